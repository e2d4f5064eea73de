/*
 * test_audit_chain: the decision log's hash chain as the writer computes it
 * (daemon/audit.c, audit_chain_hashes()), against vectors computed outside
 * eard with `openssl dgst -sha256` over the 32-byte previous hash followed
 * by the canonical bytes, and checked with PostgreSQL's
 * sha256(prev || convert_to(canonical, 'UTF8')), the expression
 * schema/080_decisions_fast.sql re-checks every row with.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "eard.h"

#define C_D0	"{\"at_us\":1733011199999999,\"id\":\"d0\",\"kind\":\"chip\"}"
#define C_D1	"{\"at_us\":1733011200000000,\"id\":\"d1\",\"kind\":\"chip\"}"
#define C_D2	"{\"at_us\":1733011200000001,\"id\":\"d2\",\"kind\":\"chip\"}"

/* sha256(32 zero bytes || C_D1), sha256(H1 || C_D2) (openssl dgst). */
#define H1 "b55c844b6430785e484dbca77beb0a5cea71886173b1f59444d35212ebeb69d1"
#define H2 "f7a86db14bc593cdd2359deaf982194d20c9f47a9b9258fc9a9e5676e4de7ea1"
/* sha256(32 zero bytes || C_D0), sha256(H3 || C_D1). */
#define H3 "154c5ffd10468d3cce30ab794b542373c65646b1f2b599af2b19222e9a01fb3c"
#define H4 "103daaa4c1cd2327a7fe6abd455620f5601c68573f6328e2cb10c6f232fcb17d"
/* X = sha256("x"), an older chain's head; sha256(X || C_D1). */
#define HX "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"
#define H5 "63eeebc721483359df2f7b82688f3ebcab518c590e0c6761a00161a43a2c2c59"

static void
hex(const unsigned char h[32], char out[65])
{
	size_t	 i;

	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

static void
unhex(const char *s, unsigned char out[32])
{
	size_t		 i;
	unsigned int	 x;

	for (i = 0; i < 32; i++) {
		if (sscanf(s + 2 * i, "%2x", &x) != 1)
			fail_msg("bad hex %s", s);
		out[i] = (unsigned char)x;
	}
}

/* Chain canon[] (times at[]) onto heads; compare the hashes with want[]. */
static void
chain_check(struct audit_head **heads, size_t *nheads, const char **canon,
    const int64_t *at, size_t n, const char **want)
{
	unsigned char	 (*h)[32];
	size_t		*len, i;
	char		 got[65];

	h = calloc(n, sizeof *h);
	len = calloc(n, sizeof *len);
	for (i = 0; i < n; i++)
		len[i] = strlen(canon[i]);
	audit_chain_hashes(heads, nheads, canon, len, at, n, h);
	for (i = 0; i < n; i++) {
		hex(h[i], got);
		if (strcmp(got, want[i]) != 0)
			fail_msg("row %zu: hash %s, want %s", i, got, want[i]);
	}
	free(h);
	free(len);
}

/* The chain of a time is its UTC month (schema/020: one chain a month). */
static void
test_audit_chain_name_is_utc_month(void **state)
{
	static const struct {
		int64_t		 at_us;
		const char	*want;
	} rows[] = {
		{ 0, "1970-01" },
		{ -1, "1969-12" },
		{ 1733011199999999LL, "2024-11" },	/* last µs of November */
		{ 1733011200000000LL, "2024-12" },	/* 2024-12-01 00:00 UTC */
		{ 1798761599999999LL, "2026-12" },
		{ 1798761600000000LL, "2027-01" },
	};
	char	 c[8];
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		audit_chain_name(rows[i].at_us, c);
		if (strcmp(c, rows[i].want) != 0)
			fail_msg("%lld: %s, want %s", (long long)rows[i].at_us,
			    c, rows[i].want);
	}
}

/* The very first chain starts from 32 zero bytes; row 2 chains on row 1. */
static void
test_audit_chain_two_rows_from_genesis(void **state)
{
	const char		*canon[] = { C_D1, C_D2 };
	const int64_t		 at[] = { 1733011200000000LL,
				    1733011200000001LL };
	const char		*want[] = { H1, H2 };
	struct audit_head	*heads = NULL;
	size_t			 n = 0;
	char			 got[65];

	(void)state;
	chain_check(&heads, &n, canon, at, 2, want);
	assert_int_equal(n, 1);
	assert_string_equal(heads[0].chain, "2024-12");
	assert_int_equal(heads[0].seq, 2);
	hex(heads[0].hash, got);
	assert_string_equal(got, H2);
	free(heads);
}

/* A batch across a month boundary opens the new chain from the old head. */
static void
test_audit_chain_month_boundary_links_heads(void **state)
{
	const char		*canon[] = { C_D0, C_D1 };
	const int64_t		 at[] = { 1733011199999999LL,
				    1733011200000000LL };
	const char		*want[] = { H3, H4 };
	struct audit_head	*heads = NULL;
	size_t			 n = 0;
	char			 got[65];

	(void)state;
	chain_check(&heads, &n, canon, at, 2, want);
	assert_int_equal(n, 2);
	assert_string_equal(heads[0].chain, "2024-11");
	assert_int_equal(heads[0].seq, 1);
	assert_string_equal(heads[1].chain, "2024-12");
	assert_int_equal(heads[1].seq, 1);
	hex(heads[1].hash, got);
	assert_string_equal(got, H4);
	free(heads);
}

/* An existing head is continued, with its sequence number. */
static void
test_audit_chain_continues_known_head(void **state)
{
	const char		*canon[] = { C_D2 };
	const int64_t		 at[] = { 1733011200000001LL };
	const char		*want[] = { H2 };
	struct audit_head	*heads;
	size_t			 n = 1;

	(void)state;
	heads = calloc(1, sizeof *heads);
	strcpy(heads[0].chain, "2024-12");
	heads[0].seq = 7;
	unhex(H1, heads[0].hash);
	chain_check(&heads, &n, canon, at, 1, want);
	assert_int_equal(n, 1);
	assert_int_equal(heads[0].seq, 8);
	free(heads);
}

/* A new month after a gap links to the latest chain before it. */
static void
test_audit_chain_new_month_links_latest_before(void **state)
{
	const char		*canon[] = { C_D1 };
	const int64_t		 at[] = { 1733011200000000LL };
	const char		*want[] = { H5 };
	struct audit_head	*heads;
	size_t			 n = 2;

	(void)state;
	heads = calloc(2, sizeof *heads);
	strcpy(heads[0].chain, "2024-09");
	heads[0].seq = 3;
	unhex(H3, heads[0].hash);
	strcpy(heads[1].chain, "2024-10");
	heads[1].seq = 5;
	unhex(HX, heads[1].hash);
	chain_check(&heads, &n, canon, at, 1, want);
	assert_int_equal(n, 3);
	assert_string_equal(heads[2].chain, "2024-12");
	assert_int_equal(heads[2].seq, 1);
	assert_int_equal(heads[1].seq, 5);
	free(heads);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_audit_chain_name_is_utc_month),
		cmocka_unit_test(test_audit_chain_two_rows_from_genesis),
		cmocka_unit_test(test_audit_chain_month_boundary_links_heads),
		cmocka_unit_test(test_audit_chain_continues_known_head),
		cmocka_unit_test(test_audit_chain_new_month_links_latest_before),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
