/*
 * test_ruleset: compiling the rules document (core/ruleset.c,
 * docs/ruleset.md): load errors name the rule, group memberships follow
 * their dates, postures move rules between layers, lookups for the API.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ear.h"

static struct ruleset *
load_min(void)
{
	json_t		*doc;
	struct ruleset	*rs;
	char		*cause = NULL;

	doc = json_load_file("tests/fixtures/ruleset-min.json", 0, NULL);
	assert_non_null(doc);
	rs = ruleset_from_json(doc, "v1", &cause);
	json_decref(doc);
	if (rs == NULL)
		fail_msg("%s", cause);
	return (rs);
}

/* A bad document is refused with a cause naming the rule and the fault. */
static void
test_ruleset_errors_name_the_rule(void **state)
{
	static const struct {
		const char	*doc;
		const char	*cause;
	} bad[] = {
		{ "{\"classifications\": [{\"id\": \"3A090.a.1\", \"eccn\": "
		  "\"3A090.a.1\", \"item\": \"chip\", \"when\": [\"ge\", "
		  "\"tppp\", 4800]}]}",
		  "classification \"3A090.a.1\": when: unknown fact \"tppp\"" },
		{ "{\"requirements\": [{\"id\": \"RS-x\", \"when\": "
		  "[\"nope\"]}]}",
		  "requirement \"RS-x\": when: unknown operator \"nope\"" },
		{ "{\"requirements\": [{\"id\": \"RS-y\"}]}",
		  "requirement \"RS-y\": missing \"when\"" },
		{ "{\"requirements\": [{\"id\": \"RS-z\", \"when\": "
		  "[\"true\"], "
		  "\"from\": \"2025-13-01\"}]}",
		  "requirement \"RS-z\": bad date in from, to or compliance "
		  "(expected YYYY-MM-DD)" },
		{ "{\"policies\": [{\"id\": \"p\", \"when\": [\"true\"], "
		  "\"policy\": \"case_by_case\", \"from\": \"2025-01-02\", "
		  "\"to\": \"2025-01-01\"}]}",
		  "policy \"p\": \"from\" is not before \"to\"" },
		{ "{\"exceptions\": [{\"id\": \"NAC\", \"eccns\": 5, \"when\": "
		  "[\"true\"]}]}",
		  "exception \"NAC\": \"eccns\" must be an array or null" },
		{ "{\"postures\": [{\"target\": \"t\", \"status\": "
		  "\"paused\"}]}",
		  "posture \"t\": status must be enforced or not_enforced" },
		{ "{\"params\": [{\"name\": \"4E091.threshold_ops\", "
		  "\"value\": "
		  "\"1e26\"}]}",
		  "param \"4E091.threshold_ops\": \"value\" must be a number" },
		{ "[]", "rules document is not a JSON object" },
	};
	struct ruleset	*rs;
	json_t		*j;
	char		*cause;
	size_t		 i;

	(void)state;
	for (i = 0; i < nitems(bad); i++) {
		cause = NULL;
		j = json_loads(bad[i].doc, 0, NULL);
		assert_non_null(j);
		rs = ruleset_from_json(j, "bad", &cause);
		json_decref(j);
		assert_null(rs);
		assert_non_null(cause);
		assert_string_equal(cause, bad[i].cause);
		free(cause);
	}
	cause = NULL;
	assert_null(ruleset_from_text("{", 1, "x", &cause));
	assert_non_null(cause);
	free(cause);
}

/* Cyprus left D:5 on 2024-05-30 (89 FR 40369): half-open ranges. */
static void
test_ruleset_groups_follow_dates(void **state)
{
	struct ruleset	*rs;
	json_t		*j;

	(void)state;
	rs = load_min();
	assert_int_equal(ruleset_group_member(rs, "D:5", "CY",
	    date_from_ymd(2024, 5, 29)), 1);
	assert_int_equal(ruleset_group_member(rs, "D:5", "CY",
	    date_from_ymd(2024, 5, 30)), 0);
	assert_int_equal(ruleset_group_member(rs, "D:5", "cn",
	    date_from_ymd(2024, 5, 30)), 1);
	/* Macau is never D:5: the EAR says "Macau or D:5". */
	assert_int_equal(ruleset_group_member(rs, "D:5", "MO",
	    date_from_ymd(2024, 5, 30)), 0);
	j = ruleset_country_json(rs, "AE", date_from_ymd(2024, 6, 1));
	assert_int_equal(json_array_size(json_object_get(j, "groups")), 1);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(json_object_get(j, "groups"), 0), "group")), "D:4");
	json_decref(j);
	ruleset_unref(rs);
}

/* Lookups: the ECCN view, the summary, params and the refcount. */
static void
test_ruleset_lookups(void **state)
{
	struct ruleset	*rs;
	json_t		*j, *reqs, *r;
	double		 v;
	size_t		 i;
	bool		 found = false;

	(void)state;
	rs = load_min();
	assert_string_equal(ruleset_version(rs), "v1");
	j = ruleset_eccn_json(rs, "4E091", date_from_ymd(2025, 6, 1));
	reqs = json_object_get(j, "requirements");
	json_array_foreach(reqs, i, r) {
		if (strcmp(json_string_value(json_object_get(r, "id")),
		    "RS-4E091-worldwide") != 0)
			continue;
		found = true;
		/* In the text, not enforced since 2025-05-13. */
		assert_true(json_is_true(json_object_get(r, "in_text")));
		assert_true(json_is_false(json_object_get(r, "enforced")));
	}
	assert_true(found);
	json_decref(j);
	j = ruleset_eccn_json(rs, "3A090.a.1", date_from_ymd(2024, 6, 1));
	assert_true(json_array_size(json_object_get(j,
	    "classifications")) >= 1);
	assert_true(json_array_size(json_object_get(j, "requirements")) >= 2);
	json_decref(j);
	j = ruleset_summary_json(rs);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j,
	    "counts"), "classifications")), 7);
	json_decref(j);
	assert_true(ruleset_param(rs, "4E091.threshold_ops",
	    date_from_ymd(2025, 1, 13), &v) && v == 1e26);
	assert_false(ruleset_param(rs, "4E091.threshold_ops",
	    date_from_ymd(2025, 1, 12), &v));
	ruleset_ref(rs);
	ruleset_unref(rs);
	ruleset_unref(rs);
}

/* One snapshot shared by threads that determine and take references. */
static void *
ruleset_thread(void *arg)
{
	struct ruleset	*rs = arg;
	struct ear_error err = { 0 };
	struct check	*c;
	struct verdict	*v;
	json_t		*req;
	int		 i, bad = 0;

	req = json_loads("{\"as_of\": \"2024-06-01\", \"destination\": "
	    "\"CN\", \"chip\": {\"performance\": [{\"format\": \"fp8\", "
	    "\"dense_tops\": 1979}], \"die_area_mm2\": 814, "
	    "\"datacenter\": true}, \"recipient\": {\"headquarters\": "
	    "\"CN\"}}", 0, NULL);
	for (i = 0; i < 300; i++) {
		ruleset_ref(rs);
		c = check_decode(ITEM_CHIP, req, 0, &err);
		v = determine(rs, c);
		if (verdict_kind(v) != VERDICT_REQUIRED)
			bad++;
		verdict_free(v);
		check_free(c);
		ruleset_unref(rs);
	}
	json_decref(req);
	return (bad == 0 ? arg : NULL);
}

static void
test_ruleset_shared_across_threads(void **state)
{
	struct ruleset	*rs;
	pthread_t	 t[4];
	void		*ret;
	size_t		 i;

	(void)state;
	rs = load_min();
	for (i = 0; i < nitems(t); i++)
		assert_int_equal(pthread_create(&t[i], NULL, ruleset_thread,
		    rs), 0);
	for (i = 0; i < nitems(t); i++) {
		assert_int_equal(pthread_join(t[i], &ret), 0);
		assert_ptr_equal(ret, rs);
	}
	ruleset_unref(rs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ruleset_errors_name_the_rule),
		cmocka_unit_test(test_ruleset_groups_follow_dates),
		cmocka_unit_test(test_ruleset_lookups),
		cmocka_unit_test(test_ruleset_shared_across_threads),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
