/*
 * test_auth.c: who may ask what (daemon/auth.c, issue #8 "Access"): the
 * role set of each route class, role_map for uids, users and groups, the
 * bearer tokens (valid, wrong, expired, revoked, not loaded) with the hash
 * earctl stores, earctl's --expires parser and the TLS context's errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "eard.h"
#include "earctl.h"

/* Issue #8: pipeline (checks, screening); counsel (also dispositions,
 * determinations, replay, explain); analyst (reports, read-only lookups);
 * admin (imports, tokens). Rows: have, route class, allowed. */
static const struct {
	enum role	 have;
	enum role	 need;
	bool		 ok;
} role_rows[] = {
	/* health and metrics are open to anyone */
	{ ROLE_NONE,	 ROLE_NONE,	true },
	{ ROLE_ANALYST,	 ROLE_NONE,	true },
	/* read-only lookups: every known role, not an unknown peer */
	{ ROLE_NONE,	 ROLE_READER,	false },
	{ ROLE_PIPELINE, ROLE_READER,	true },
	{ ROLE_ANALYST,	 ROLE_READER,	true },
	{ ROLE_COUNSEL,	 ROLE_READER,	true },
	{ ROLE_ADMIN,	 ROLE_READER,	true },
	/* checks and screening: pipeline, counsel, admin; not analyst */
	{ ROLE_NONE,	 ROLE_PIPELINE,	false },
	{ ROLE_PIPELINE, ROLE_PIPELINE,	true },
	{ ROLE_ANALYST,	 ROLE_PIPELINE,	false },
	{ ROLE_COUNSEL,	 ROLE_PIPELINE,	true },
	{ ROLE_ADMIN,	 ROLE_PIPELINE,	true },
	/* dispositions, decisions, replay: counsel, admin */
	{ ROLE_PIPELINE, ROLE_COUNSEL,	false },
	{ ROLE_ANALYST,	 ROLE_COUNSEL,	false },
	{ ROLE_COUNSEL,	 ROLE_COUNSEL,	true },
	{ ROLE_ADMIN,	 ROLE_COUNSEL,	true },
	/* reports: analyst, admin; not pipeline, not counsel */
	{ ROLE_PIPELINE, ROLE_ANALYST,	false },
	{ ROLE_COUNSEL,	 ROLE_ANALYST,	false },
	{ ROLE_ANALYST,	 ROLE_ANALYST,	true },
	{ ROLE_ADMIN,	 ROLE_ANALYST,	true },
	/* imports: admin only */
	{ ROLE_PIPELINE, ROLE_ADMIN,	false },
	{ ROLE_COUNSEL,	 ROLE_ADMIN,	false },
	{ ROLE_ANALYST,	 ROLE_ADMIN,	false },
	{ ROLE_ADMIN,	 ROLE_ADMIN,	true },
	/* READER is a route class, never an identity */
	{ ROLE_READER,	 ROLE_READER,	false },
};

static void
test_auth_role_sets_follow_issue_8(void **state)
{
	size_t	 i;

	(void)state;
	for (i = 0; i < nitems(role_rows); i++) {
		if (auth_role_allows(role_rows[i].have, role_rows[i].need) !=
		    role_rows[i].ok)
			fail_msg("row %zu: %s on a %s route should be %s", i,
			    server_role_name(role_rows[i].have),
			    server_role_name(role_rows[i].need),
			    role_rows[i].ok ? "allowed" : "refused");
	}
}

/* Every route in the table is of one of the classes above. */
static void
test_auth_routes_classes(void **state)
{
	size_t	 i;
	bool	 reports = false, checks = false;

	(void)state;
	for (i = 0; i < routes_count; i++) {
		assert_true(routes[i].role <= ROLE_READER);
		if (strncmp(routes[i].path, "/v1/checks/", 11) == 0) {
			checks = true;
			assert_int_equal(routes[i].role, ROLE_PIPELINE);
		}
		if (strncmp(routes[i].path, "/v1/reports", 11) == 0) {
			reports = true;
			assert_int_equal(routes[i].role, ROLE_ANALYST);
		}
		if (strcmp(routes[i].path, "/v1/dispositions") == 0)
			assert_int_equal(routes[i].role, ROLE_COUNSEL);
		if (strcmp(routes[i].path, "/v1/eccn/") == 0)
			assert_int_equal(routes[i].role, ROLE_READER);
	}
	assert_true(checks && reports);
}

static void
test_auth_role_map_uid_user_group(void **state)
{
	const char	*map = "1000:pipeline, alice:counsel, @root:analyst, "
			    "1002:none, 1003:reader, 4242:admin";

	(void)state;
	assert_int_equal(auth_role_for_peer(map, 1000, 1000, "bob"),
	    ROLE_PIPELINE);
	assert_int_equal(auth_role_for_peer(map, 1001, 1001, "alice"),
	    ROLE_COUNSEL);
	/* a group entry matches the peer's gid (group root is gid 0) */
	assert_int_equal(auth_role_for_peer(map, 5000, 0, NULL),
	    ROLE_ANALYST);
	/* uid entries win over group entries */
	assert_int_equal(auth_role_for_peer(map, 1000, 0, "bob"),
	    ROLE_PIPELINE);
	/* none is a role: denies everything but health */
	assert_int_equal(auth_role_for_peer(map, 1002, 1002, NULL), ROLE_NONE);
	/* "reader" is not an identity: the entry is ignored */
	assert_int_equal(auth_role_for_peer(map, 1003, 1003, NULL), ROLE_NONE);
	/* unknown uid, unknown group: nothing */
	assert_int_equal(auth_role_for_peer(map, 5001, 5001, "mallory"),
	    ROLE_NONE);
	assert_int_equal(auth_role_for_peer(NULL, 5001, 5001, NULL),
	    ROLE_NONE);
	/* root and eard's own uid are admin unless mapped otherwise */
	assert_int_equal(auth_role_for_peer(NULL, 0, 0, "root"), ROLE_ADMIN);
	assert_int_equal(auth_role_for_peer("0:counsel", 0, 0, "root"),
	    ROLE_COUNSEL);
	assert_int_equal(auth_role_for_peer(NULL, geteuid(), (gid_t)-1, NULL),
	    ROLE_ADMIN);
}

/* Hash a token as earctl token create does and hold it in memory. */
static void
add_token(const char *name, const char *role, const char *token,
    int64_t expires_us, bool revoked)
{
	static const unsigned char salt[16] = "0123456789abcdef";
	unsigned char	 md[32];
	char		 salthex[33], hashhex[65];
	size_t		 i;

	cmd_token_hash(token, salt, sizeof salt, md);
	for (i = 0; i < sizeof salt; i++)
		snprintf(salthex + 2 * i, 3, "%02x", salt[i]);
	for (i = 0; i < sizeof md; i++)
		snprintf(hashhex + 2 * i, 3, "%02x", md[i]);
	assert_int_equal(auth_token_set(name, role, salthex, hashhex,
	    expires_us, revoked), 0);
}

static void
test_auth_tokens(void **state)
{
	const unsigned char salt[] = "salt";
	unsigned char	 a[32], b[32];
	const char	*why = NULL;
	enum role	 r = ROLE_NONE;
	char		 who[64];
	int64_t		 now = eard_now_us();

	(void)state;
	/* before the first load: -2 (503), not 401 */
	assert_int_equal(auth_token_check("x", &r, who, sizeof who, &why), -2);

	/* earctl and eard hash the same way */
	cmd_token_hash("eard_abc", salt, 4, a);
	auth_token_hash("eard_abc", salt, 4, b);
	assert_memory_equal(a, b, 32);

	add_token("ci-release", "pipeline", "eard_good", 0, false);
	add_token("old", "counsel", "eard_old", now - 1000000, false);
	add_token("gone", "admin", "eard_gone", now + 3600000000LL, true);
	add_token("soon", "analyst", "eard_soon", now + 3600000000LL, false);
	assert_int_equal(auth_token_count(), 4);

	assert_int_equal(auth_token_check("eard_good", &r, who, sizeof who,
	    &why), 0);
	assert_int_equal(r, ROLE_PIPELINE);
	assert_string_equal(who, "token:ci-release");
	assert_int_equal(auth_token_check("eard_soon", &r, who, sizeof who,
	    &why), 0);
	assert_int_equal(r, ROLE_ANALYST);

	assert_int_equal(auth_token_check("eard_wrong", &r, who, sizeof who,
	    &why), -1);
	assert_string_equal(why, "the bearer token is not valid");
	assert_int_equal(auth_token_check("eard_old", &r, who, sizeof who,
	    &why), -1);
	assert_string_equal(why, "the bearer token has expired");
	assert_int_equal(auth_token_check("eard_gone", &r, who, sizeof who,
	    &why), -1);
	assert_string_equal(why, "the bearer token was revoked");
	assert_int_equal(auth_token_check("", &r, who, sizeof who, &why), -1);

	/* malformed rows are refused */
	assert_int_equal(auth_token_set("x", "god", "00", "00", 0, false), -1);
	assert_int_equal(auth_token_set("x", "admin", "zz", "00", 0, false),
	    -1);
	assert_int_equal(auth_token_set("x", "admin", "00", "0011", 0, false),
	    -1);
	assert_int_equal(auth_token_set("x", "none", "00", "00", 0, false),
	    -1);

	/* cleared (a reload with no rows): nothing matches, still loaded */
	auth_token_clear();
	assert_int_equal(auth_token_check("eard_good", &r, who, sizeof who,
	    &why), -1);
}

static const struct {
	const char	*in;
	long long	 seconds;
	const char	*at;
	int		 rc;
} expiry_rows[] = {
	{ "90d",	90LL * 86400,	"",		0 },
	{ "12h",	12 * 3600,	"",		0 },
	{ "30m",	1800,		"",		0 },
	{ "2s",		2,		"",		0 },
	{ "4w",		28 * 86400,	"",		0 },
	{ "never",	0,		"",		0 },
	{ "2027-01-31",	0,		"2027-01-31",	0 },
	{ "0d",		0,		"",		-1 },
	{ "90",		0,		"",		-1 },
	{ "d",		0,		"",		-1 },
	{ "-1d",	0,		"",		-1 },
	{ "99999999d",	0,		"",		-1 },
	{ "2027-13-01",	0,		"",		-1 },
};

static void
test_auth_token_expiry_parse(void **state)
{
	long long	 s;
	char		 at[16], *cause;
	size_t		 i;
	int		 rc;

	(void)state;
	for (i = 0; i < nitems(expiry_rows); i++) {
		cause = NULL;
		rc = cmd_token_parse_expiry(expiry_rows[i].in, &s, at,
		    sizeof at, &cause);
		if (rc != expiry_rows[i].rc)
			fail_msg("\"%s\": rc %d", expiry_rows[i].in, rc);
		if (rc == 0) {
			assert_int_equal(s, expiry_rows[i].seconds);
			assert_string_equal(at, expiry_rows[i].at);
		} else
			assert_non_null(strstr(cause, "--expires"));
		free(cause);
	}
}

static void
test_auth_tls_context_errors(void **state)
{
	char	*cause = NULL;

	(void)state;
	assert_null(auth_tls_context("/nonexistent/cert.pem",
	    "/nonexistent/key.pem", &cause));
	assert_non_null(strstr(cause, "could not load TLS certificate"));
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_auth_tokens),
		cmocka_unit_test(test_auth_role_sets_follow_issue_8),
		cmocka_unit_test(test_auth_routes_classes),
		cmocka_unit_test(test_auth_role_map_uid_user_group),
		cmocka_unit_test(test_auth_token_expiry_parse),
		cmocka_unit_test(test_auth_tls_context_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
