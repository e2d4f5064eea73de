/*
 * test_audit: the decision log's canonical form (core/canon.c) and hash
 * chain verification (cli/cmd_audit.c), the way `earctl audit verify`
 * recomputes what schema/020_decisions.sql's decisions_append() stored.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "earctl.h"

/* Canonical form: table of input JSON and the bytes the hash covers. */
static void
test_canon_table(void **state)
{
	static const struct {
		const char	*in;
		const char	*want;
		const char	*why;
	} rows[] = {
		{ "{\"b\": 1, \"a\": 2}", "{\"a\":2,\"b\":1}", "keys sorted, compact" },
		{ "{\"z\": {\"y\": [1, 2, {\"x\": null, \"w\": true}]}}",
		  "{\"z\":{\"y\":[1,2,{\"w\":true,\"x\":null}]}}", "nested sort" },
		{ "{\"aa\": 1, \"b\": 2, \"a\": 3}", "{\"a\":3,\"aa\":1,\"b\":2}",
		  "bytewise order, not jsonb's length-first order" },
		{ "[2.0, 2, 1989.5, -0.0, 0.1]",
		  "[2,2,1989.5,0,0.10000000000000001]",
		  "numbers from their double value" },
		{ "[1e26, 3e25]",
		  "[1e+26,3.0000000000000001e+25]",
		  "4E091 and EU AI Act scale numbers keep 17 digits" },
		{ "\"caf\\u00e9 \\\"q\\\" \\\\ \\n\\u0001\"",
		  "\"caf\xc3\xa9 \\\"q\\\" \\\\ \\n\\u0001\"",
		  "raw UTF-8, only quote, backslash and controls escaped" },
	};
	json_error_t	 err;
	json_t		*v;
	char		*c;
	size_t		 i;

	(void)state;
	for (i = 0; i < nitems(rows); i++) {
		v = json_loads(rows[i].in, JSON_DECODE_ANY, &err);
		if (v == NULL)
			fail_msg("row %zu: %s", i, err.text);
		c = canon_json(v);
		if (strcmp(c, rows[i].want) != 0)
			fail_msg("row %zu (%s): got %s want %s", i, rows[i].why,
			    c, rows[i].want);
		free(c);
		json_decref(v);
	}
}

/*
 * The canonical form survives PostgreSQL: jsonb prints 3e25 as
 * 30000000000000001000000000 and "\u00e9" as raw UTF-8, reorders keys and
 * adds spaces; read back as audit verify reads it, the bytes are the same.
 */
static void
test_canon_survives_jsonb_round_trip(void **state)
{
	json_t		*orig, *back;
	json_error_t	 err;
	char		*a, *b;

	(void)state;
	orig = json_pack("{s:f, s:s, s:i, s:f, s:[f]}", "training_ops", 3e25,
	    "name", "caf\xc3\xa9", "quantity", 256, "tpp", 15832.0, "ops",
	    0.1);
	/* What jsonb gave back for that document (psql, PostgreSQL 15). */
	back = json_loads("{\"ops\": [0.10000000000000001], \"tpp\": 15832.0, "
	    "\"name\": \"caf\xc3\xa9\", \"quantity\": 256, \"training_ops\": "
	    "30000000000000001000000000}", JSON_DECODE_INT_AS_REAL, &err);
	assert_non_null(back);
	a = canon_json(orig);
	b = canon_json(back);
	assert_string_equal(a, b);
	free(a);
	free(b);
	json_decref(orig);
	json_decref(back);
}

/* SHA-256(prev || text), as decisions_append() computes it in SQL. */
static void
chain_hash(const unsigned char prev[32], const char *text,
    unsigned char out[32])
{
	EVP_MD_CTX	*c = EVP_MD_CTX_new();
	unsigned int	 len;

	EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	EVP_DigestUpdate(c, prev, 32);
	EVP_DigestUpdate(c, text, strlen(text));
	EVP_DigestFinal_ex(c, out, &len);
	EVP_MD_CTX_free(c);
}

/* The C hash equals PostgreSQL's sha256(prev || convert_to(text)). */
static void
test_chain_hash_matches_postgresql(void **state)
{
	static const unsigned char zero[32];
	unsigned char	 h[32], want[32];

	(void)state;
	/* SELECT encode(sha256(decode(repeat('00', 32), 'hex') ||
	 *     convert_to('{"at_us":1,"id":"x"}', 'UTF8')), 'hex') */
	assert_int_equal(cmd_audit_unhex("46f027e71ec0a23eefd9767fe276610445"
	    "27496c570c2b90421d00723c5f97f7", want), 0);
	chain_hash(zero, "{\"at_us\":1,\"id\":\"x\"}", h);
	assert_memory_equal(h, want, 32);
}

struct row {
	struct canon_decision_fields	 f;
	unsigned char			 prev[32];
	unsigned char			 hash[32];
	json_t				*req;
	json_t				*resp;
};

/* Three decisions chained the way decisions_append() chains them. */
static void
build_chain(struct row rows[3])
{
	static const char *const ids[] = { "019a0000-0000-7000-8000-000000000001",
	    "019a0000-0000-7000-8000-000000000002",
	    "019a0000-0000-7000-8000-000000000003" };
	static const char *const verdicts[] = { "license_required",
	    "no_license_required", "license_exception" };
	unsigned char	 prev[32] = { 0 };
	char		*c;
	int		 i;

	for (i = 0; i < 3; i++) {
		memset(&rows[i], 0, sizeof rows[i]);
		rows[i].req = json_pack("{s:s, s:s, s:{s:s, s:[{s:s, s:i, s:f}]}}",
		    "as_of", "2024-06-01", "destination", i == 0 ? "CN" : "DE",
		    "chip", "name", "NVIDIA H100 SXM", "performance", "format",
		    "fp8", "bits", 8, "dense_tops", 1979.0);
		rows[i].resp = json_pack("{s:s, s:s}", "decision_id", ids[i],
		    "verdict", verdicts[i]);
		rows[i].f.id = ids[i];
		rows[i].f.at_us = 1717200000000000LL + i;
		rows[i].f.kind = "chip";
		rows[i].f.requester = "uid:1000(counsel)";
		rows[i].f.ruleset_version = "abc";
		rows[i].f.request = rows[i].req;
		rows[i].f.response = rows[i].resp;
		memcpy(rows[i].prev, prev, 32);
		c = canon_decision(&rows[i].f);
		chain_hash(prev, c, rows[i].hash);
		free(c);
		memcpy(prev, rows[i].hash, 32);
	}
}

static void
free_chain(struct row rows[3])
{
	int	 i;

	for (i = 0; i < 3; i++) {
		json_decref(rows[i].req);
		json_decref(rows[i].resp);
	}
}

static int
verify(struct row rows[3], struct cmd_audit_verify *v)
{
	static const unsigned char zero[32];
	int	 i, rc = 0;

	memset(v, 0, sizeof *v);
	cmd_audit_verify_chain(v, "2024-06", zero);
	for (i = 0; i < 3 && rc == 0; i++)
		rc = cmd_audit_verify_row(v, &rows[i].f, i + 1, rows[i].prev,
		    rows[i].hash);
	if (rc == 0)
		rc = cmd_audit_verify_head(v, 3, rows[2].hash);
	return (rc);
}

/* An intact chain verifies. */
static void
test_chain_intact_verifies(void **state)
{
	struct cmd_audit_verify	 v;
	struct row		 rows[3];

	(void)state;
	build_chain(rows);
	assert_int_equal(verify(rows, &v), 0);
	assert_null(v.broken);
	assert_int_equal(v.rows, 3);
	free_chain(rows);
}

/* One edited verdict is caught and named: its id, expected and found. */
static void
test_chain_edited_row_detected(void **state)
{
	struct cmd_audit_verify	 v;
	struct row		 rows[3];

	(void)state;
	build_chain(rows);
	json_object_set_new(rows[1].resp, "verdict",
	    json_string("license_required"));
	assert_int_equal(verify(rows, &v), -1);
	assert_non_null(v.broken);
	assert_non_null(strstr(v.broken, rows[1].f.id));
	assert_non_null(strstr(v.broken, "hash expected"));
	free(v.broken);
	free_chain(rows);
}

/* A deleted row breaks the sequence at the row after it. */
static void
test_chain_deleted_row_detected(void **state)
{
	static const unsigned char zero[32];
	struct cmd_audit_verify	 v;
	struct row		 rows[3];

	(void)state;
	build_chain(rows);
	memset(&v, 0, sizeof v);
	cmd_audit_verify_chain(&v, "2024-06", zero);
	assert_int_equal(cmd_audit_verify_row(&v, &rows[0].f, 1, rows[0].prev,
	    rows[0].hash), 0);
	assert_int_equal(cmd_audit_verify_row(&v, &rows[2].f, 3, rows[2].prev,
	    rows[2].hash), -1);
	assert_non_null(strstr(v.broken, rows[2].f.id));
	free(v.broken);
	free_chain(rows);
}

/* A truncated tail (last row deleted, head kept) is caught at the head. */
static void
test_chain_truncated_tail_detected(void **state)
{
	static const unsigned char zero[32];
	struct cmd_audit_verify	 v;
	struct row		 rows[3];
	int			 i;

	(void)state;
	build_chain(rows);
	memset(&v, 0, sizeof v);
	cmd_audit_verify_chain(&v, "2024-06", zero);
	for (i = 0; i < 2; i++)
		assert_int_equal(cmd_audit_verify_row(&v, &rows[i].f, i + 1,
		    rows[i].prev, rows[i].hash), 0);
	assert_int_equal(cmd_audit_verify_head(&v, 3, rows[2].hash), -1);
	assert_non_null(strstr(v.broken, "head"));
	free(v.broken);
	free_chain(rows);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_canon_table),
		cmocka_unit_test(test_canon_survives_jsonb_round_trip),
		cmocka_unit_test(test_chain_hash_matches_postgresql),
		cmocka_unit_test(test_chain_intact_verifies),
		cmocka_unit_test(test_chain_edited_row_detected),
		cmocka_unit_test(test_chain_deleted_row_detected),
		cmocka_unit_test(test_chain_truncated_tail_detected),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
