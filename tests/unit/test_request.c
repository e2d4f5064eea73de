/*
 * test_request: strict decoding of check requests (core/request.c, the
 * check contract of ARCHITECTURE.md): each bad field is a 400 naming the
 * exact JSON path.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ear.h"

#define CHIP "\"chip\": {\"performance\": [{\"format\": \"fp8\", " \
	"\"dense_tops\": 1979}]}"

struct bad_row {
	enum item_kind	 kind;
	const char	*body;
	const char	*code;
	const char	*field;
};

static const struct bad_row bad[] = {
	{ ITEM_CHIP, "{" CHIP "}", "missing_field", "destination" },
	{ ITEM_CHIP, "{\"destination\": \"CHN\", " CHIP "}", "invalid_field",
	  "destination" },
	{ ITEM_CHIP, "{\"destination\": 86, " CHIP "}", "invalid_field",
	  "destination" },
	{ ITEM_CHIP, "{\"destination\": \"C1\", " CHIP "}", "invalid_field",
	  "destination" },
	/* ISO 3166-1: the United Kingdom is GB, XX is unassigned. */
	{ ITEM_CHIP, "{\"destination\": \"UK\", " CHIP "}", "invalid_field",
	  "destination" },
	{ ITEM_CHIP, "{\"destination\": \"XX\", " CHIP "}", "invalid_field",
	  "destination" },
	{ ITEM_CHIP, "{\"destination\": \"GB\", " CHIP ", \"recipient\": "
	  "{\"ultimate_parent_headquarters\": \"QQ\"}}", "invalid_field",
	  "recipient.ultimate_parent_headquarters" },
	{ ITEM_CHIP, "{\"destination\": \"CN\", \"as_of\": \"2024-02-30\", "
	  CHIP "}", "invalid_field", "as_of" },
	{ ITEM_CHIP, "{\"destination\": \"CN\", \"as_of\": \"01/06/2024\", "
	  CHIP "}", "invalid_field", "as_of" },
	{ ITEM_CHIP, "{\"destination\": \"CN\"}", "missing_field", "chip" },
	{ ITEM_CHIP, "{\"destination\": \"CN\", \"chip\": {\"performance\": "
	  "[{\"format\": \"fp8\", \"dense_tops\": 1}, {\"format\": \"fp16\", "
	  "\"dense_tops\": -5}]}}", "invalid_field",
	  "chip.performance[1].dense_tops" },
	{ ITEM_CHIP, "{\"destination\": \"CN\", \"chip\": {\"performance\": "
	  "[{\"format\": \"fp12\", \"dense_tops\": 1}]}}", "missing_field",
	  "chip.performance[0].bits" },
	{ ITEM_CHIP, "{\"destination\": \"CN\", \"chip\": {\"performance\": "
	  "[{\"format\": \"fp8\", \"bits\": 0, \"dense_tops\": 1}]}}",
	  "invalid_field", "chip.performance[0].bits" },
	{ ITEM_CHIP, "{\"destination\": \"CN\", \"chip\": {\"performance\": "
	  "[{\"bits\": 8, \"dense_tops\": 1}]}}", "missing_field",
	  "chip.performance[0].format" },
	{ ITEM_CHIP, "{\"destination\": \"CN\", \"chip\": {\"die_area_mm2\": "
	  "\"814\"}}", "invalid_field", "chip.die_area_mm2" },
	{ ITEM_CHIP, "{\"destination\": \"CN\", \"chip\": {\"die_area_mm2\": "
	  "-1}}", "invalid_field", "chip.die_area_mm2" },
	{ ITEM_CHIP, "{\"destination\": \"CN\", \"chip\": {\"datacenter\": "
	  "\"yes\"}}", "invalid_field", "chip.datacenter" },
	{ ITEM_CHIP, "{\"destination\": \"CN\", \"chip\": {\"kind\": "
	  "\"gpu\"}}", "invalid_field", "chip.kind" },
	{ ITEM_CHIP, "{\"destination\": \"CN\", \"chip\": {\"sparse\": "
	  "true}}", "unknown_field", "chip.sparse" },
	{ ITEM_CHIP, "{\"destination\": \"CN\", " CHIP ", \"extra\": 1}",
	  "unknown_field", "extra" },
	{ ITEM_CHIP, "{\"destination\": \"CN\", " CHIP ", \"quantity\": 0}",
	  "invalid_field", "quantity" },
	{ ITEM_CHIP, "{\"destination\": \"CN\", " CHIP ", \"quantity\": 2.5}",
	  "invalid_field", "quantity" },
	{ ITEM_CHIP, "{\"destination\": \"CN\", " CHIP ", \"export_type\": "
	  "\"import\"}", "invalid_field", "export_type" },
	{ ITEM_CHIP, "{\"destination\": \"CN\", " CHIP ", \"posture\": "
	  "\"lenient\"}", "invalid_field", "posture" },
	{ ITEM_CHIP, "{\"destination\": \"CN\", " CHIP ", \"recipient\": "
	  "{\"headquarters\": \"China\"}}", "invalid_field",
	  "recipient.headquarters" },
	{ ITEM_CHIP, "{\"destination\": \"CN\", " CHIP ", \"recipient\": "
	  "{\"address\": \"x\"}}", "unknown_field", "recipient.address" },
	{ ITEM_CHIP, "{\"destination\": \"CN\", " CHIP ", \"exporter\": "
	  "\"NVIDIA\"}", "invalid_field", "exporter" },
	{ ITEM_MODEL, "{\"destination\": \"AE\"}", "missing_field", "model" },
	{ ITEM_MODEL, "{\"destination\": \"AE\", \"model\": {}, \"release\": "
	  "\"leak\"}", "invalid_field", "release" },
	{ ITEM_MODEL, "{\"destination\": \"AE\", \"model\": "
	  "{\"training_ops\": -3e26}}", "invalid_field", "model.training_ops" },
	{ ITEM_MODEL, "{\"destination\": \"AE\", \"model\": {\"published\": "
	  "1}}", "invalid_field", "model.published" },
	{ ITEM_MODEL, "{\"destination\": \"AE\", \"model\": "
	  "{\"published_on\": \"2025\"}}", "invalid_field",
	  "model.published_on" },
	{ ITEM_MODEL, "{\"destination\": \"AE\", \"model\": {\"derived_from\":"
	  " {\"weights\": 1}}}", "unknown_field",
	  "model.derived_from.weights" },
	{ ITEM_MODEL, "{\"destination\": \"AE\", \"model\": "
	  "{\"synthetic_data\": [{\"share_of_training_ops\": 1.5}]}}",
	  "invalid_field", "model.synthetic_data[0].share_of_training_ops" },
	{ ITEM_MODEL, "{\"destination\": \"AE\", \"model\": "
	  "{\"synthetic_data\": [{}, {\"generator_training_ops\": \"big\"}]}}",
	  "invalid_field", "model.synthetic_data[1].generator_training_ops" },
	{ ITEM_MODEL, "{\"destination\": \"AE\", \"quantity\": 2, \"model\": "
	  "{}}", "unknown_field", "quantity" },
	{ ITEM_CHIP, "[1, 2]", "invalid_body", NULL },
};

static void
test_request_rejects_each_bad_field(void **state)
{
	struct ear_error err;
	struct check	*c;
	json_t		*j;
	size_t		 i;

	(void)state;
	for (i = 0; i < nitems(bad); i++) {
		memset(&err, 0, sizeof err);
		j = json_loads(bad[i].body, 0, NULL);
		assert_non_null(j);
		c = check_decode(bad[i].kind, j, 0, &err);
		json_decref(j);
		if (c != NULL)
			fail_msg("row %zu accepted: %s", i, bad[i].body);
		assert_int_equal(err.status, 400);
		if (strcmp(err.code, bad[i].code) != 0 ||
		    (bad[i].field == NULL) != (err.field == NULL) ||
		    (bad[i].field != NULL &&
		    strcmp(err.field, bad[i].field) != 0))
			fail_msg("row %zu: got %s %s (%s), want %s %s", i,
			    err.code, err.field ? err.field : "-", err.message,
			    bad[i].code, bad[i].field ? bad[i].field : "-");
		error_clear(&err);
	}
}

/* 1e308 is finite, but 1e308 x 8 is not: TPP would overflow. */
static void
test_request_rejects_non_finite(void **state)
{
	struct ear_error err = { 0 };
	json_t	*j, *perf;

	(void)state;
	j = json_loads("{\"destination\": \"CN\", \"chip\": {\"performance\": "
	    "[{\"format\": \"fp8\", \"dense_tops\": 1}]}}", 0, NULL);
	perf = json_array_get(json_object_get(json_object_get(j, "chip"),
	    "performance"), 0);
	json_object_set_new(perf, "dense_tops", json_real(1e308));
	assert_null(check_decode(ITEM_CHIP, j, 0, &err));
	assert_string_equal(err.field, "chip.performance[0].dense_tops");
	error_clear(&err);
	json_decref(j);
}

/* What a good request decodes to: upper-cased codes, defaults. */
static void
test_request_accepts_contract_fields(void **state)
{
	struct ear_error err = { 0 };
	struct check	*c;
	json_t		*j;
	ear_date	 d;

	(void)state;
	j = json_loads("{\"as_of\": \"2024-06-01\", \"destination\": \"cn\", "
	    "\"chip\": {\"id\": \"h100\", \"name\": \"H100\", \"kind\": \"ic\","
	    " \"performance\": [{\"format\": \"FP8\", \"dense_tops\": 1979}], "
	    "\"memory_bandwidth_density_gbs_mm2\": 1.2, \"package_area_mm2\": "
	    "null}, \"quantity\": 256, \"recipient\": {\"name\": \"R\", "
	    "\"headquarters\": \"cn\"}, \"exporter\": {\"name\": \"NVIDIA\", "
	    "\"country\": \"US\"}, \"export_type\": \"reexport\", "
	    "\"posture\": \"text\"}", 0, NULL);
	c = check_decode(ITEM_CHIP, j, 0, &err);
	json_decref(j);
	assert_non_null(c);
	assert_string_equal(check_destination(c), "CN");
	assert_true(date_parse("2024-06-01", &d) == 0 && check_as_of(c) == d);
	assert_string_equal(check_recipient_name(c), "R");
	/* The recipient's country defaults to the destination. */
	assert_string_equal(check_recipient_country(c), "CN");
	assert_string_equal(check_item_name(c), "H100");
	/* 1979 x 8 x 256 units. */
	assert_true(check_aggregate_tpp(c) == 1979.0 * 8 * 256);
	check_free(c);

	/* Weights: export_type is accepted (public cases carry it). */
	j = json_loads("{\"destination\": \"AE\", \"release\": "
	    "\"deemed_export\", \"export_type\": \"export\", \"model\": "
	    "{\"name\": \"m\", \"training_ops\": 3e26, \"published\": false, "
	    "\"published_on\": null, \"derived_from\": {\"name\": \"b\", "
	    "\"published\": true, \"training_ops\": 9e25}, "
	    "\"additional_training_ops\": 2e25, \"synthetic_data\": "
	    "[{\"generator\": \"g\", \"generator_published\": false, "
	    "\"generator_training_ops\": 8e25, \"generation_ops\": 1e24, "
	    "\"share_of_training_ops\": 0.4}], \"training_tokens\": 1e13}}",
	    0, NULL);
	c = check_decode(ITEM_MODEL, j, 12345, &err);
	json_decref(j);
	assert_non_null(c);
	assert_int_equal(check_as_of(c), 12345);	/* default: today */
	assert_null(check_recipient_country(c));
	check_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_rejects_each_bad_field),
		cmocka_unit_test(test_request_rejects_non_finite),
		cmocka_unit_test(test_request_accepts_contract_fields),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
