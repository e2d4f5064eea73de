/*
 * test_impact.c: the change-impact report's pure parts (cli/cmd_impact.c).
 * cmd_impact_diff() on hand-made verdict bodies, one row per kind of
 * change; cmd_impact_compute() on the rules document of the curated packs
 * (tests/fixtures/rules-document.json) with the H100's figures, each row
 * citing the rule it checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "earctl.h"

#define RULES_DOC	"tests/fixtures/rules-document.json"

/* A JSON text as a value; fails the test if malformed. */
static json_t *
load(const char *text)
{
	json_error_t	 err;
	json_t		*j;

	j = json_loads(text, 0, &err);
	if (j == NULL)
		fail_msg("bad JSON in the test: %s: %s", err.text, text);
	return (j);
}

/* The "rules" column of a diff, as the table shows it, or "none". */
static char *
diff_summary(const char *a, const char *b, bool all)
{
	json_t		*va, *vb, *d, *x;
	char		*s = NULL, *n;
	const char	*change, *type, *id;
	size_t		 i;

	va = load(a);
	vb = load(b);
	d = cmd_impact_diff(va, vb, all);
	json_decref(va);
	json_decref(vb);
	if (d == NULL)
		return (xstrdup("none"));
	json_array_foreach(json_object_get(d, "changed"), i, x) {
		change = json_string_value(json_object_get(x, "change"));
		type = json_string_value(json_object_get(x, "type"));
		id = json_string_value(json_object_get(x, "id"));
		xasprintf(&n, "%s%s%c%s:%s", s != NULL ? s : "",
		    s != NULL ? " " : "", change[0], type, id);
		free(s);
		s = n;
	}
	xasprintf(&n, "%s %s%s%s", json_is_true(json_object_get(d,
	    "flipped")) ? "flipped" : "same", json_string_value(
	    json_object_get(d, "to_verdict")), s != NULL ? " " : "",
	    s != NULL ? s : "");
	free(s);
	json_decref(d);
	return (n);
}

static const struct {
	const char	*name;
	const char	*a;
	const char	*b;
	bool		 all;
	const char	*want;
} diff_cases[] = {
	/* Same verdict, same rules: nothing to report. */
	{ "identical verdicts", "{\"verdict\":\"no_license_required\"}",
	  "{\"verdict\":\"no_license_required\"}", false, "none" },
	/* 88 FR 73458: RS-3A090.a-dest for D:1/D:4 from 2023-11-17. */
	{ "a requirement added flips the verdict",
	  "{\"verdict\":\"no_license_required\",\"requirements\":[]}",
	  "{\"verdict\":\"license_required\",\"review_policy\":"
	  "\"presumption_of_approval\",\"requirements\":[{\"id\":"
	  "\"RS-3A090.a-dest\",\"status\":\"applies\",\"review_policy\":"
	  "\"presumption_of_approval\",\"citation\":"
	  "\"15 CFR 742.6(a)(6)(iii)\","
	  "\"rule\":\"88 FR 73458\"}]}", false,
	  "flipped license_required arequirement:RS-3A090.a-dest" },
	/* BIS letter to NVIDIA of 2023-10-23 gives way to 88 FR 73458. */
	{ "a letter removed, a requirement added",
	  "{\"verdict\":\"needs_review\",\"requirements\":[{\"id\":"
	  "\"REV-NVIDIA-2023-exporter\",\"status\":\"needs_review\"}]}",
	  "{\"verdict\":\"license_required\",\"requirements\":[{\"id\":"
	  "\"RS-3A090.a-dest\",\"status\":\"applies\"}]}", false,
	  "flipped license_required rrequirement:REV-NVIDIA-2023-exporter "
	  "arequirement:RS-3A090.a-dest" },
	/* 87 FR 62186 3A090.a to 88 FR 73458 3A090.a.1. */
	{ "a new classification is named",
	  "{\"verdict\":\"license_required\",\"classification\":{\"eccn\":"
	  "\"3A090.a\"}}",
	  "{\"verdict\":\"needs_review\",\"classification\":{\"eccn\":"
	  "\"3A090.a.1\"}}", false,
	  "flipped needs_review cclassification:3A090.a.1" },
	/* 89 FR 23876: NAC available (notified advanced computing). */
	{ "an exception becoming available",
	  "{\"verdict\":\"license_required\",\"exceptions\":[{\"code\":\"NAC\","
	  "\"id\":\"NAC\",\"available\":false}]}",
	  "{\"verdict\":\"license_exception\",\"exceptions\":["
	  "{\"code\":\"NAC\","
	  "\"id\":\"NAC\",\"available\":true}]}", false,
	  "flipped license_exception cexception:NAC" },
	{ "an exception merely considered and unavailable is left out",
	  "{\"verdict\":\"needs_review\",\"exceptions\":[]}",
	  "{\"verdict\":\"license_required\",\"exceptions\":[{\"code\":\"NAC\","
	  "\"id\":\"NAC\",\"available\":false}]}", false,
	  "flipped license_required" },
	/*
	 * 90 FR 4544 in the text from 2025-05-15, not enforced since
	 * 2025-05-13 (BIS press release): only the text's verdict flips.
	 */
	{ "a posture: the text's verdict flips, the enforced one not",
	  "{\"verdict\":\"no_license_required\",\"notes\":[]}",
	  "{\"verdict\":\"no_license_required\",\"text_verdict\":"
	  "\"license_required\",\"text_requirements\":[{\"id\":"
	  "\"RS-4E091-worldwide\",\"status\":\"applies\"}],\"notes\":[\"BIS "
	  "enforcement posture: RS-4E091-worldwide is not enforced since "
	  "2025-05-13 (BIS press release, 2025-05-13): why\"]}", false,
	  "same no_license_required aposture:RS-4E091-worldwide "
	  "atext_requirement:RS-4E091-worldwide" },
	/* 91 FR 1684: case-by-case for exports from the US below limits. */
	{ "a review policy change is reported without a flip",
	  "{\"verdict\":\"license_required\",\"review_policy\":"
	  "\"presumption_of_denial\",\"requirements\":[{\"id\":\"R\","
	  "\"status\":\"applies\",\"review_policy\":\"presumption_of_denial\","
	  "\"review_policy_rule\":{\"id\":\"RS-3A090-pod\",\"rule\":"
	  "\"88 FR 73458\"}}]}",
	  "{\"verdict\":\"license_required\",\"review_policy\":"
	  "\"case_by_case\",\"requirements\":[{\"id\":\"R\",\"status\":"
	  "\"applies\",\"review_policy\":\"case_by_case\","
	  "\"review_policy_rule\":{\"id\":\"RS-3A090-cbc-2026\",\"rule\":"
	  "\"91 FR 1684\"}}]}", false,
	  "same license_required crequirement:R rreview_policy:RS-3A090-pod "
	  "areview_policy:RS-3A090-cbc-2026" },
	{ "same verdict, other rules: only with all",
	  "{\"verdict\":\"license_required\",\"requirements\":[{\"id\":\"A\","
	  "\"status\":\"applies\"}]}",
	  "{\"verdict\":\"license_required\",\"requirements\":[{\"id\":\"B\","
	  "\"status\":\"applies\"}]}", false, "none" },
	{ "same verdict, other rules, with all",
	  "{\"verdict\":\"license_required\",\"requirements\":[{\"id\":\"A\","
	  "\"status\":\"applies\"}]}",
	  "{\"verdict\":\"license_required\",\"requirements\":[{\"id\":\"B\","
	  "\"status\":\"applies\"}]}", true,
	  "same license_required rrequirement:A arequirement:B" },
};

/* Each kind of change is found and named. */
static void
test_impact_diff_names_what_changed(void **state)
{
	char	*got;
	size_t	 i;

	(void)state;
	for (i = 0; i < nitems(diff_cases); i++) {
		got = diff_summary(diff_cases[i].a, diff_cases[i].b,
		    diff_cases[i].all);
		if (strcmp(got, diff_cases[i].want) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"",
			    diff_cases[i].name, got, diff_cases[i].want);
		free(got);
	}
}

/* The posture's state and citation come from the note. */
static void
test_impact_diff_posture_state_and_citation(void **state)
{
	json_t	*va, *vb, *d, *x;

	(void)state;
	va = load("{\"verdict\":\"no_license_required\"}");
	vb = load("{\"verdict\":\"no_license_required\",\"text_verdict\":"
	    "\"license_required\",\"notes\":[\"BIS enforcement posture: AIA "
	    "is not enforced since 2025-05-13 (BIS press release, "
	    "2025-05-13): License Exception AIA (740.27) ...\"]}");
	d = cmd_impact_diff(va, vb, false);
	assert_non_null(d);
	x = json_array_get(json_object_get(d, "changed"), 0);
	assert_string_equal(json_string_value(json_object_get(x, "to")),
	    "not enforced since 2025-05-13");
	assert_string_equal(json_string_value(json_object_get(x, "citation")),
	    "BIS press release, 2025-05-13");
	assert_string_equal(json_string_value(json_object_get(d,
	    "to_text_verdict")), "license_required");
	json_decref(d);
	json_decref(va);
	json_decref(vb);
}

/* The H100 SXM5 (TPP 15832, PD 19.45) as the registry gives it. */
static const char h100[] = "[{\"kind\":\"chip\",\"id\":\"nvidia-h100\","
    "\"name\":\"NVIDIA H100 SXM5\",\"facts\":{\"name\":\"NVIDIA H100 SXM5\","
    "\"performance\":[{\"format\":\"fp8\",\"bits\":8,\"dense_tops\":1979}],"
    "\"die_area_mm2\":814,\"io_bandwidth_gbs\":900,"
    "\"memory_bandwidth_gbs\":3350,\"datacenter\":true}},"
    "{\"kind\":\"chip\",\"id\":\"broken\",\"name\":\"Broken\",\"facts\":"
    "{\"performance\":[{\"format\":\"fp8\",\"bits\":-1,\"dense_tops\":1}]}}]";

/*
 * 88 FR 73458 (effective 2023-11-17): the H100 to SA (D:4) flips to
 * license_required under RS-3A090.a-dest; to IL it does not; a registry
 * entry whose facts do not decode is an error, not a flip.
 */
static void
test_impact_compute_88fr73458(void **state)
{
	static const char *const dests[] = { "SA", "IL" };
	struct cmd_impact_side	 a, b;
	struct cmd_impact_opts	 o;
	struct ruleset		*rs;
	json_error_t		 jerr;
	json_t			*doc, *items, *res, *f, *x;
	char			*cause = NULL;
	size_t			 i;
	bool			 named = false;

	(void)state;
	doc = json_load_file(RULES_DOC, 0, &jerr);
	if (doc == NULL)
		fail_msg("cannot load %s: %s", RULES_DOC, jerr.text);
	rs = ruleset_from_json(doc, "fixture", &cause);
	json_decref(doc);
	if (rs == NULL)
		fail_msg("cannot compile %s: %s", RULES_DOC, cause);
	items = load(h100);
	memset(&o, 0, sizeof o);
	o.destinations = dests;
	o.ndestinations = nitems(dests);
	a.rs = b.rs = rs;
	a.as_of = date_from_ymd(2023, 11, 16);
	b.as_of = date_from_ymd(2023, 11, 17);
	res = cmd_impact_compute(&a, &b, items, &o);

	assert_int_equal(json_integer_value(json_object_get(res, "count")), 1);
	assert_int_equal(json_integer_value(json_object_get(res, "checks")), 4);
	f = json_array_get(json_object_get(res, "flips"), 0);
	assert_string_equal(json_string_value(json_object_get(f,
	    "destination")), "SA");
	assert_string_equal(json_string_value(json_object_get(f,
	    "to_verdict")), "license_required");
	json_array_foreach(json_object_get(f, "changed"), i, x) {
		if (strcmp(json_string_value(json_object_get(x, "id")),
		    "RS-3A090.a-dest") == 0) {
			assert_string_equal(json_string_value(json_object_get(x,
			    "rule")), "88 FR 73458");
			named = true;
		}
	}
	assert_true(named);
	assert_non_null(strstr(json_string_value(json_object_get(f,
	    "citations")), "15 CFR 742.6(a)(6)(iii) (88 FR 73458)"));
	x = json_array_get(json_object_get(res, "errors"), 0);
	assert_string_equal(json_string_value(json_object_get(x, "id")),
	    "broken");
	x = json_object_get(res, "from");
	assert_string_equal(json_string_value(json_object_get(x, "as_of")),
	    "2023-11-16");

	json_decref(res);
	json_decref(items);
	ruleset_unref(rs);
}

/* The default watch list is alpha-2 codes, each once. */
static void
test_impact_watch_list(void **state)
{
	size_t	 i, j;

	(void)state;
	assert_true(cmd_impact_nwatch >= 20);
	for (i = 0; i < cmd_impact_nwatch; i++) {
		assert_int_equal(strlen(cmd_impact_watch[i]), 2);
		for (j = 0; j < i; j++)
			assert_string_not_equal(cmd_impact_watch[i],
			    cmd_impact_watch[j]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_impact_diff_names_what_changed),
		cmocka_unit_test(test_impact_diff_posture_state_and_citation),
		cmocka_unit_test(test_impact_compute_88fr73458),
		cmocka_unit_test(test_impact_watch_list),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
