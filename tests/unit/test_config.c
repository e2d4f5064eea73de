/* test_config.c: the configuration key table, file parser and dump. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "eard.h"

static void
test_config_defaults_match_issue(void **state)
{
	struct eard_config	 c;

	(void)state;
	config_defaults(&c);
	/* Issue #2 and daemon.md: the documented defaults. */
	assert_string_equal(c.socket, "./var/run/eard.sock");
	assert_int_equal(c.socket_mode, 0660);
	assert_int_equal(c.max_body_size, 1024 * 1024);
	assert_int_equal(c.batch_max, 10000);
	assert_int_equal(c.lists_max_age_days, 7);
	assert_string_equal(c.audit_mode, "durable");
	assert_string_equal(c.log_format, "text");
	assert_null(c.listen_tcp);
	assert_null(c.read_database_url);
	assert_string_equal(config_read_database_url(&c), c.database_url);
	config_free(&c);
}

struct config_case {
	const char	*key;
	const char	*value;
	int		 ok;
};

static void
test_config_set_types(void **state)
{
	static const struct config_case cases[] = {
		{ "max_body_size", "1048576", 0 },
		{ "max_body_size", "64k", 0 },
		{ "max_body_size", "2MiB", 0 },
		{ "max_body_size", "1 GB", 0 },
		{ "max_body_size", "lots", -1 },
		{ "max_body_size", "-1", -1 },
		{ "max_body_size", "5 parsecs", -1 },
		{ "batch_max", "10", 0 },
		{ "batch_max", "-3", -1 },
		{ "batch_max", "ten", -1 },
		{ "batch_max", "99999999999", -1 },
		{ "stop_timeout", "30s", 0 },
		{ "stop_timeout", "2min", 0 },
		{ "stop_timeout", "2h", -1 },
		{ "socket_mode", "0600", 0 },
		{ "socket_mode", "0999", -1 },
		{ "log_format", "json", 0 },
		{ "log_format", "xml", -1 },
		{ "audit_mode", "async", 0 },
		{ "audit_mode", "sometimes", -1 },
		{ "log_level", "debug", 0 },
		{ "log_level", "loud", -1 },
		{ "no_such_key", "1", -1 },
	};
	struct eard_config	 c;
	char			*cause;
	size_t			 i;
	int			 rc;

	(void)state;
	config_defaults(&c);
	for (i = 0; i < nitems(cases); i++) {
		cause = NULL;
		rc = config_set(&c, cases[i].key, cases[i].value, &cause);
		if (rc != cases[i].ok)
			fail_msg("%s = %s: got %d (%s)", cases[i].key,
			    cases[i].value, rc, cause ? cause : "");
		if (rc != 0) {
			assert_non_null(cause);
			assert_non_null(strstr(cause, cases[i].key));
		}
		free(cause);
	}
	config_free(&c);
}

static void
test_config_set_values(void **state)
{
	struct eard_config	 c;
	char			*cause = NULL;

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_set(&c, "max_body_size", "64k", &cause), 0);
	assert_int_equal(c.max_body_size, 65536);
	assert_int_equal(config_set(&c, "stop_timeout", "2min", &cause), 0);
	assert_int_equal(c.stop_timeout, 120);
	assert_int_equal(config_set(&c, "socket_mode", "0600", &cause), 0);
	assert_int_equal(c.socket_mode, 0600);
	/* An empty value unsets a string key. */
	assert_int_equal(config_set(&c, "database_url", "", &cause), 0);
	assert_null(c.database_url);
	config_free(&c);
}

static void
test_config_parse_file(void **state)
{
	static const char text[] =
	    "# a comment\n"
	    "; another\n"
	    "[eard]\n"
	    "socket = /run/eard/eard.sock\n"
	    "  database_url = \"host=/tmp dbname=eard # not a comment\"  \n"
	    "\n"
	    "batch_max=25\n"
	    "role_map = 1000:pipeline, alice:counsel\n";
	struct eard_config	 c;
	char			*cause = NULL;

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_parse_buffer("t.conf", text, &c, &cause), 0);
	assert_string_equal(c.socket, "/run/eard/eard.sock");
	assert_string_equal(c.database_url,
	    "host=/tmp dbname=eard # not a comment");
	assert_int_equal(c.batch_max, 25);
	assert_string_equal(c.role_map, "1000:pipeline, alice:counsel");
	config_free(&c);
}

struct config_bad {
	const char	*text;
	const char	*want;	/* in the message */
};

static void
test_config_bad_lines_named(void **state)
{
	static const struct config_bad cases[] = {
		{ "socket = /x\nno equals here\n", "line 2" },
		{ "\n\n\nbatch_max = many\n", "line 4" },
		{ "bogus = 1\n", "unrecognized configuration parameter \"bogus\"" },
		{ "socket = \"unterminated\n", "unterminated quoted string" },
		{ " = 3\n", "missing key" },
	};
	struct eard_config	 c;
	char			*cause;
	size_t			 i;

	(void)state;
	for (i = 0; i < nitems(cases); i++) {
		config_defaults(&c);
		cause = NULL;
		assert_int_equal(config_parse_buffer("bad.conf", cases[i].text,
		    &c, &cause), -1);
		assert_non_null(cause);
		if (strstr(cause, cases[i].want) == NULL ||
		    strstr(cause, "bad.conf") == NULL)
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, cause,
			    cases[i].want);
		free(cause);
		config_free(&c);
	}
}

static void
test_config_dump_round_trips(void **state)
{
	struct eard_config	 a, b;
	char			*cause = NULL, *d1, *d2;

	(void)state;
	config_defaults(&a);
	assert_int_equal(config_set(&a, "database_url",
	    "host=/tmp dbname=eard # x", &cause), 0);
	assert_int_equal(config_set(&a, "batch_max", "5", &cause), 0);
	assert_int_equal(config_set(&a, "socket_mode", "0600", &cause), 0);
	d1 = config_dump(&a);
	/* Every key of the table appears in the dump. */
	for (size_t i = 0; i < config_nkeys; i++) {
		char	 want[64];

		snprintf(want, sizeof want, "\n%s = ", config_keys[i].name);
		if (i > 0 && strstr(d1, want) == NULL)
			fail_msg("dump lacks %s", config_keys[i].name);
	}
	config_defaults(&b);
	assert_int_equal(config_parse_buffer("dump", d1, &b, &cause), 0);
	d2 = config_dump(&b);
	assert_string_equal(d1, d2);
	assert_string_equal(b.database_url, "host=/tmp dbname=eard # x");
	assert_int_equal(b.socket_mode, 0600);
	free(d1);
	free(d2);
	config_free(&a);
	config_free(&b);
}

static void
test_config_reload_only_reloadable(void **state)
{
	struct eard_config	 cur, next;
	char			*cause = NULL;

	(void)state;
	config_defaults(&cur);
	config_defaults(&next);
	assert_int_equal(config_set(&next, "socket", "/elsewhere", &cause), 0);
	assert_int_equal(config_set(&next, "max_body_size", "10", &cause), 0);
	assert_int_equal(config_set(&next, "log_level", "debug", &cause), 0);
	config_apply_reloadable(&cur, &next);
	/* socket needs a restart; max_body_size and log_level do not. */
	assert_string_equal(cur.socket, "./var/run/eard.sock");
	assert_int_equal(cur.max_body_size, 10);
	assert_string_equal(cur.log_level, "debug");
	config_free(&cur);
	config_free(&next);
}

static void
test_config_roles(void **state)
{
	enum role	 r;

	(void)state;
	assert_int_equal(server_role_for_uid("1000:pipeline,alice:counsel",
	    1000, "bob"), ROLE_PIPELINE);
	assert_int_equal(server_role_for_uid("1000:pipeline,alice:counsel",
	    1001, "alice"), ROLE_COUNSEL);
	/* Root is admin by default; a stranger gets nothing. */
	assert_int_equal(server_role_for_uid(NULL, 0, "root"), ROLE_ADMIN);
	if (geteuid() != 4242)
		assert_int_equal(server_role_for_uid(NULL, 4242, "x"),
		    ROLE_NONE);
	assert_int_equal(server_parse_role("analyst", &r), 0);
	assert_int_equal(r, ROLE_ANALYST);
	assert_int_equal(server_parse_role("god", &r), -1);
	/* pipeline < counsel < admin, analyst < admin (issue #8). */
	assert_false(server_role_allows(ROLE_ANALYST, ROLE_PIPELINE));
	assert_false(server_role_allows(ROLE_ANALYST, ROLE_COUNSEL));
	assert_true(server_role_allows(ROLE_COUNSEL, ROLE_PIPELINE));
	assert_true(server_role_allows(ROLE_ADMIN, ROLE_COUNSEL));
	assert_false(server_role_allows(ROLE_PIPELINE, ROLE_COUNSEL));
	assert_false(server_role_allows(ROLE_NONE, ROLE_PIPELINE));
	assert_true(server_role_allows(ROLE_NONE, ROLE_NONE));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_defaults_match_issue),
		cmocka_unit_test(test_config_set_types),
		cmocka_unit_test(test_config_set_values),
		cmocka_unit_test(test_config_parse_file),
		cmocka_unit_test(test_config_bad_lines_named),
		cmocka_unit_test(test_config_dump_round_trips),
		cmocka_unit_test(test_config_reload_only_reloadable),
		cmocka_unit_test(test_config_roles),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
