/*
 * test_screen: party screening (core/screen.c) on tests/fixtures/
 * csl-sample.json (real CSL entries, 2026-07-31) and, when present, on the
 * whole list in ../shared/data/regs/csl/consolidated.json.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ear.h"

static struct screen_index *
load(const char *path)
{
	json_t			*doc;
	json_error_t		 jerr;
	struct screen_index	*ix;
	char			*cause = NULL;

	if ((doc = json_load_file(path, 0, &jerr)) == NULL)
		return (NULL);
	ix = screen_index_build(doc, &cause);
	json_decref(doc);
	assert_non_null(ix);
	return (ix);
}

static void
test_screen_normalise_folds_marks_case_and_punctuation(void **state)
{
	static const struct { const char *in, *out; } rows[] = {
		{ "Huawei Technologies Co., Ltd.", "huawei technologies co ltd" },
		{ "MÜNCHEN Straße", "munchen strasse" },
		{ "Ærø Łódź", "aero lodz" },
		{ "S.A.L. de C.V.", "sal de cv" },
		{ "Mo\xe2\x80\x99" "er Xianchen", "moer xianchen" },
		{ "B&W Consulting", "bw consulting" },
		{ "Research & Development", "research development" },
		{ "\xd0\x9e\xd0\x9e\xd0\x9e \xd0\xa1\xd0\xb8\xd0\xb3\xd0\xbc\xd0\xb0",
		  "ooo sigma" },
	};
	size_t	i;
	char	*s;

	(void)state;
	for (i = 0; i < nitems(rows); i++) {
		s = screen_normalise(rows[i].in);
		assert_string_equal(s, rows[i].out);
		free(s);
	}
}

static void
test_screen_key_drops_form_words_and_plurals(void **state)
{
	static const struct { const char *in, *out; } rows[] = {
		{ "Yangtze Memory Technologies Company Limited",
		  "yangtze memory technology" },
		{ "Yangtze Memory Technologies Co., Ltd.",
		  "yangtze memory technology" },
		{ "Moore Threads", "moore thread" },
		{ "OOO Romashka", "romashka" },
		{ "Sdn. Bhd. Acme", "acme" },
		{ "Tsinghua Univ.", "tsinghua university" },
		{ "Acme Intl Tech GmbH", "acme international technology" },
	};
	size_t	i;
	char	*s;

	(void)state;
	for (i = 0; i < nitems(rows); i++) {
		s = screen_key(rows[i].in);
		assert_string_equal(s, rows[i].out);
		free(s);
	}
	assert_true(screen_is_form_word("gmbh"));
	assert_true(screen_is_form_word("jsc"));
	assert_false(screen_is_form_word("huawei"));
}

static void
test_screen_jaro_winkler(void **state)
{
	(void)state;
	assert_true(screen_jaro_winkler("huawei", "huawei") == 1.0);
	assert_true(screen_jaro_winkler("martha", "marhta") > 0.95);
	assert_true(screen_jaro_winkler("huawei", "huawai") > 0.9);
	assert_true(screen_jaro_winkler("acme", "zzzz") == 0.0);
}

static void
test_screen_list_code(void **state)
{
	char	b[32];

	(void)state;
	screen_list_code("Entity List (EL) - Bureau of Industry and Security",
	    b, sizeof b);
	assert_string_equal(b, "EL");
	screen_list_code("Non-SDN Menu-Based Sanctions List (NS-MBS List) - "
	    "Treasury Department", b, sizeof b);
	assert_string_equal(b, "NS-MBS");
	assert_true(screen_export_list("EL"));
	assert_false(screen_export_list("SDN"));
}

/* The public cases (../shared/cases/screen.public.jsonl), as rows. */
static const struct {
	const char	*id, *name, *country, *top;	/* top NULL: no hit */
	bool		 full_only;	/* needs the whole list's weights */
} cases[] = {
	{ "S01", "Huawei Technologies Co Ltd", "CN", "Huawei", false },
	{ "S02", "SMIC Beijing", NULL, "Semiconductor Manufacturing International", false },
	{ "S03", "Yangtze Memory Technologies Company Limited", "CN", "Yangtze Memory", false },
	{ "S04", "Moore Threads", "CN", "Moore Thread", false },
	{ "S05", "Acme Robotics GmbH", "DE", NULL, false },
	{ "S06", "Energy Holdings", "US", NULL, false },
	/* own cases */
	{ "O01", "Huawai Technologies", "CN", "Huawei", true },	/* typo */
	{ "O02", "Threads Moore", NULL, "Moore Thread", false },	/* order */
	{ "O03", "Technology Development Co Ltd", "CN", NULL, false },	/* generic */
	{ "O04", "YMTC", "CN", "Yangtze Memory", false },		/* alias acronym */
};

static void
run_cases(struct screen_index *ix, bool full)
{
	json_t		*res, *top;
	const char	*r;
	size_t		 i;

	for (i = 0; i < nitems(cases); i++) {
		if (cases[i].full_only && !full)
			continue;
		res = screen_query(ix, cases[i].name, cases[i].country, NULL);
		r = json_string_value(json_object_get(res, "result"));
		top = json_array_get(json_object_get(res, "candidates"), 0);
		if (cases[i].top == NULL) {
			if (strcmp(r, "no_match") != 0)
				fail_msg("%s: \"%s\" should not hit, got %s",
				    cases[i].id, cases[i].name, r);
		} else {
			if (strcmp(r, "no_match") == 0 || top == NULL)
				fail_msg("%s: \"%s\" should hit", cases[i].id,
				    cases[i].name);
			if (strcasestr(json_string_value(json_object_get(top,
			    "name")), cases[i].top) == NULL)
				fail_msg("%s: top is \"%s\"", cases[i].id,
				    json_string_value(json_object_get(top,
				    "name")));
			assert_non_null(json_object_get(top, "explanation"));
		}
		json_decref(res);
	}
}

static void
test_screen_public_cases_on_fixture(void **state)
{
	struct screen_index	*ix = load("tests/fixtures/csl-sample.json");

	(void)state;
	assert_non_null(ix);
	run_cases(ix, false);
	screen_index_unref(ix);
}

static void
test_screen_public_cases_on_full_list(void **state)
{
	struct screen_index	*ix;

	(void)state;
	ix = load("../shared/data/regs/csl/consolidated.json");
	if (ix == NULL)
		skip();
	assert_int_equal(screen_index_parties(ix), 25921);
	run_cases(ix, true);
	screen_index_unref(ix);
}

static void
test_screen_idf_makes_generic_words_light(void **state)
{
	struct screen_index	*ix = load("tests/fixtures/csl-sample.json");

	(void)state;
	assert_true(screen_index_weight(ix, "huawei") >
	    2 * screen_index_weight(ix, "technology"));
	assert_true(screen_index_weight(ix, "Ltd") == 0);
	screen_index_unref(ix);
}

static void
test_screen_acronym_explained(void **state)
{
	struct screen_index	*ix = load("tests/fixtures/csl-sample.json");
	json_t			*res, *c;
	size_t			 i;
	bool			 seen = false;

	(void)state;
	/* UESTC: the initials of University of Electronic Science and
	 * Technology of China (Entity List), which has no such alias. */
	res = screen_query(ix, "UESTC", NULL, NULL);
	json_array_foreach(json_object_get(res, "candidates"), i, c) {
		if (json_is_object(json_object_get(json_object_get(c,
		    "explanation"), "acronym")))
			seen = true;
	}
	assert_true(seen);
	json_decref(res);
	screen_index_unref(ix);
}

static const struct screen_disposition fp = { NULL, "x", "false_positive",
    "reviewed", "counsel", "2026-08-01T00:00:00Z" };

static const struct screen_disposition *
find_fp(void *arg, const char *key, const char *entry_id)
{
	(void)key;
	return (strcmp(entry_id, (const char *)arg) == 0 ? &fp : NULL);
}

static void
test_screen_disposition_shown_and_lapses(void **state)
{
	struct screen_index	*ix = load("tests/fixtures/csl-sample.json");
	struct screen_opts	 o;
	json_t			*res, *top;
	char			*eid;

	(void)state;
	res = screen_query(ix, "Moore Threads", "CN", NULL);
	top = json_array_get(json_object_get(res, "candidates"), 0);
	eid = xstrdup(json_string_value(json_object_get(top, "entry_id")));
	json_decref(res);
	screen_opts_default(&o);
	o.disposition = find_fp;
	o.disposition_arg = eid;
	/* The fixture has no content hashes: the disposition has lapsed. */
	res = screen_query(ix, "Moore Threads", "CN", &o);
	top = json_array_get(json_object_get(res, "candidates"), 0);
	assert_non_null(json_object_get(top, "disposition"));
	assert_true(json_is_true(json_object_get(json_object_get(top,
	    "disposition"), "lapsed")));
	assert_string_equal(json_string_value(json_object_get(res, "result")),
	    "match");
	json_decref(res);
	free(eid);
	screen_index_unref(ix);
}

static void
test_screen_listings_carry_list_words(void **state)
{
	struct screen_index	*ix = load("tests/fixtures/csl-sample.json");
	struct ear_listing	*l;
	size_t			 n;

	(void)state;
	/* 88 FR 71992: Moore Threads added to the Entity List (2023-10-17). */
	assert_int_equal(screen_query_listings(ix, "Moore Threads", "CN",
	    NULL, &l, &n), SCREEN_MATCH);
	assert_true(n >= 1);
	assert_string_equal(l[0].list, "EL");
	assert_true(l[0].export_list);
	assert_string_equal(l[0].federal_register_notice, "88 FR 71992");
	assert_string_equal(l[0].license_policy, "Presumption of denial");
	free(l);
	assert_int_equal(screen_query_listings(ix, "Acme Robotics GmbH", "DE",
	    NULL, &l, &n), SCREEN_NO_MATCH);
	assert_int_equal(n, 0);
	free(l);
	screen_index_unref(ix);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_screen_normalise_folds_marks_case_and_punctuation),
		cmocka_unit_test(test_screen_key_drops_form_words_and_plurals),
		cmocka_unit_test(test_screen_jaro_winkler),
		cmocka_unit_test(test_screen_list_code),
		cmocka_unit_test(test_screen_public_cases_on_fixture),
		cmocka_unit_test(test_screen_public_cases_on_full_list),
		cmocka_unit_test(test_screen_idf_makes_generic_words_light),
		cmocka_unit_test(test_screen_acronym_explained),
		cmocka_unit_test(test_screen_disposition_shown_and_lapses),
		cmocka_unit_test(test_screen_listings_carry_list_words),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
