/*
 * test_pred: predicates with Kleene three-valued logic (core/pred.c,
 * docs/ruleset.md "Predicates"): every operator, with known and missing
 * facts, and the missing facts reported only where they decide.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ear.h"

struct pred_row {
	const char	*pred;
	enum tv		 want;
	const char	*missing;	/* comma-separated, "" none */
};

/* Facts: tpp 15832, pd 19.45, datacenter true, destination CN, eccn. */
static const struct pred_row rows[] = {
	{ "[\"true\"]", TV_TRUE, "" },
	{ "[\"false\"]", TV_FALSE, "" },
	/* 3A090.a.1 threshold: TPP >= 4800 (88 FR 73458). */
	{ "[\"ge\", \"tpp\", 4800]", TV_TRUE, "" },
	{ "[\"gt\", \"tpp\", 15832]", TV_FALSE, "" },
	{ "[\"ge\", \"tpp\", 15832]", TV_TRUE, "" },
	{ "[\"le\", \"tpp\", 15832]", TV_TRUE, "" },
	{ "[\"lt\", \"tpp\", 15832]", TV_FALSE, "" },
	{ "[\"eq\", \"datacenter\", true]", TV_TRUE, "" },
	{ "[\"ne\", \"destination\", \"CN\"]", TV_FALSE, "" },
	{ "[\"eq\", \"destination\", \"cn\"]", TV_TRUE, "" },
	/* A missing fact is unknown and named. */
	{ "[\"ge\", \"die_area\", 1]", TV_UNKNOWN, "die_area" },
	{ "[\"not\", [\"ge\", \"die_area\", 1]]", TV_UNKNOWN, "die_area" },
	{ "[\"not\", [\"ge\", \"tpp\", 1]]", TV_FALSE, "" },
	/* Kleene and: false wins over unknown, and drops the missing. */
	{ "[\"all\", [\"ge\", \"io_bw\", 600], [\"lt\", \"tpp\", 4800]]",
	  TV_FALSE, "" },
	{ "[\"all\", [\"ge\", \"io_bw\", 600], [\"ge\", \"tpp\", 4800]]",
	  TV_UNKNOWN, "io_bw" },
	{ "[\"all\", [\"true\"], [\"ge\", \"tpp\", 4800]]", TV_TRUE, "" },
	/* Kleene or: true wins over unknown. */
	{ "[\"any\", [\"ge\", \"io_bw\", 600], [\"ge\", \"tpp\", 4800]]",
	  TV_TRUE, "" },
	{ "[\"any\", [\"ge\", \"io_bw\", 600], [\"lt\", \"tpp\", 4800]]",
	  TV_UNKNOWN, "io_bw" },
	{ "[\"any\", [\"false\"], [\"false\"]]", TV_FALSE, "" },
	/* Expressions: 3A090.a.2 as PD >= 5.92 and TPP >= max(1600, 0). */
	{ "[\"ge\", \"tpp\", [\"max\", 1600, 0]]", TV_TRUE, "" },
	{ "[\"ge\", \"pd\", [\"mul\", 2, 2.96]]", TV_TRUE, "" },
	{ "[\"lt\", \"tpp\", [\"add\", {\"fact\": \"pd\"}, 15813]]", TV_TRUE,
	  "" },
	{ "[\"lt\", \"tpp\", [\"min\", {\"fact\": \"mem_bw\"}, 6500]]",
	  TV_UNKNOWN, "mem_bw" },
	{ "[\"in\", \"destination\", [\"CN\", \"MO\"]]", TV_TRUE, "" },
	{ "[\"in\", \"destination\", [\"MO\", \"HK\"]]", TV_FALSE, "" },
	{ "[\"in\", \"recipient_hq\", [\"CN\"]]", TV_UNKNOWN, "recipient_hq" },
	/* in_group reads the ruleset's dated memberships (here: none). */
	{ "[\"in_group\", \"destination\", \"D:5\"]", TV_FALSE, "" },
	{ "[\"in_group\", \"recipient_hq\", \"D:5\"]", TV_UNKNOWN,
	  "recipient_hq" },
	/* ECCN prefix at a paragraph boundary (docs/ruleset.md). */
	{ "[\"eccn\", \"3A090.a\"]", TV_TRUE, "" },
	{ "[\"eccn\", \"3A090\"]", TV_TRUE, "" },
	{ "[\"eccn\", \"3A090.b\"]", TV_FALSE, "" },
	{ "[\"eccn\", \"3A090.a.1\"]", TV_TRUE, "" },
	{ "[\"known\", \"die_area\"]", TV_FALSE, "" },
	{ "[\"known\", \"tpp\"]", TV_TRUE, "" },
	{ "[\"all\", [\"known\", \"recipient_parent_hq\"], "
	  "[\"in\", \"recipient_parent_hq\", [\"CN\"]]]", TV_FALSE, "" },
};

static void
test_pred_operators_three_valued(void **state)
{
	struct facts	*f;
	struct pred	*p;
	struct strset	 missing;
	json_t		*j;
	char		*cause = NULL, *got;
	size_t		 i;
	enum tv		 t;

	(void)state;
	f = facts_new();
	facts_set_num(f, "tpp", 15832);
	facts_set_num(f, "pd", 19.45);
	facts_set_bool(f, "datacenter", true);
	facts_set_str(f, "destination", "CN");
	facts_set_str(f, "eccn", "3A090.a.1");
	for (i = 0; i < nitems(rows); i++) {
		j = json_loads(rows[i].pred, 0, NULL);
		assert_non_null(j);
		p = pred_compile(j, &cause);
		if (p == NULL)
			fail_msg("row %zu: %s", i, cause);
		json_decref(j);
		strset_init(&missing);
		t = pred_eval(p, f, NULL, 0, &missing);
		j = strset_to_json(&missing);
		got = json_dumps(j, JSON_COMPACT);
		if (t != rows[i].want)
			fail_msg("row %zu %s: got %s", i, rows[i].pred,
			    tv_name(t));
		if (*rows[i].missing == '\0')
			assert_int_equal(missing.n, 0);
		else {
			assert_int_equal(missing.n, 1);
			assert_string_equal(missing.v[0], rows[i].missing);
		}
		free(got);
		json_decref(j);
		strset_clear(&missing);
		pred_free(p);
	}
	facts_free(f);
}

/* Compile errors name what is wrong. */
static void
test_pred_compile_errors(void **state)
{
	static const struct {
		const char	*pred;
		const char	*cause;
	} bad[] = {
		{ "[\"ge\", \"tppp\", 4800]", "unknown fact \"tppp\"" },
		{ "[\"between\", \"tpp\", 1, 2]",
		  "unknown operator \"between\"" },
		{ "[\"not\"]", "\"not\" needs one operand" },
		{ "[\"ge\", \"tpp\"]",
		  "\"ge\" needs a fact and an expression" },
		{ "[\"in\", \"destination\", \"CN\"]",
		  "\"in\" needs a fact and "
		  "an array of values" },
		{ "{\"ge\": 1}", "predicate must be an array starting with an "
		  "operator name" },
		{ "[\"ge\", \"tpp\", [\"pow\", 2, 3]]", "unknown expression "
		  "operator \"pow\"" },
		{ "[\"ge\", \"tpp\", {\"fact\": \"nope\"}]", "unknown fact "
		  "\"nope\"" },
	};
	json_t	*j;
	char	*cause;
	size_t	 i;

	(void)state;
	for (i = 0; i < nitems(bad); i++) {
		cause = NULL;
		j = json_loads(bad[i].pred, 0, NULL);
		assert_non_null(j);
		assert_null(pred_compile(j, &cause));
		assert_non_null(cause);
		assert_string_equal(cause, bad[i].cause);
		free(cause);
		json_decref(j);
	}
}

/* Predicates read back in words, for verdicts and earctl. */
static void
test_pred_to_text(void **state)
{
	json_t		*j;
	struct pred	*p;
	char		*cause = NULL, *t;

	(void)state;
	j = json_loads("[\"any\", [\"ge\", \"tpp\", 4800], [\"all\", "
	    "[\"ge\", \"tpp\", 1600], [\"ge\", \"pd\", 5.92]], [\"not\", "
	    "[\"in\", \"destination\", [\"MO\", \"HK\"]]], "
	    "[\"in_group\", \"destination\", \"D:5\"], [\"lt\", "
	    "\"aggregate_tpp\", [\"add\", 26900000, [\"mul\", -1, "
	    "{\"fact\": \"consignee_year_tpp\"}]]]]", 0, NULL);
	assert_non_null(j);
	p = pred_compile(j, &cause);
	assert_non_null(p);
	t = pred_to_text(p);
	assert_string_equal(t, "(tpp >= 4800 or (tpp >= 1600 and pd >= 5.92) "
	    "or not destination in [\"MO\", \"HK\"] or destination in "
	    "Country Group D:5 or aggregate_tpp < sum(26900000, product(-1, "
	    "consignee_year_tpp)))");
	free(t);
	pred_free(p);
	json_decref(j);
}

static void
test_pred_eccn_boundary(void **state)
{
	(void)state;
	assert_true(pred_eccn_matches("3A090.a.1", "3A090.a"));
	assert_false(pred_eccn_matches("3A090.ab", "3A090.a"));
	assert_false(pred_eccn_matches("", "3A090"));
	assert_true(pred_eccn_matches("5A992.z.1", "5A992.z"));
}

static void
test_pred_facts_set_get(void **state)
{
	struct facts	*f, *c;
	double		 v;
	bool		 b;

	(void)state;
	f = facts_new();
	facts_set_num(f, "tpp", 1);
	facts_set_num(f, "tpp", 2);
	assert_true(facts_get_num(f, "tpp", &v));
	assert_true(v == 2);
	facts_set_num(f, "pd", NAN);		/* NaN is missing */
	assert_int_equal(facts_type(f, "pd"), FACT_NONE);
	facts_set_bool(f, "datacenter", false);
	assert_true(facts_get_bool(f, "datacenter", &b) && !b);
	facts_set_str(f, "destination", "CN");
	c = facts_copy(f);
	facts_unset(f, "destination");
	assert_null(facts_get_str(f, "destination"));
	assert_string_equal(facts_get_str(c, "destination"), "CN");
	facts_free(f);
	facts_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pred_operators_three_valued),
		cmocka_unit_test(test_pred_compile_errors),
		cmocka_unit_test(test_pred_to_text),
		cmocka_unit_test(test_pred_eccn_boundary),
		cmocka_unit_test(test_pred_facts_set_get),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
