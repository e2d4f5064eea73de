/*
 * test_cases: every expert case against the engine and the real rulepacks.
 *
 * Loads tests/fixtures/rules-document.json (generated from the rulepacks
 * in rules/ by
 * scripts/gen-rules-fixture.sh) and runs each line of
 * tests/fixtures/cases.jsonl and, when present,
 * ../shared/cases/checks.public.jsonl (paths from the repository root),
 * comparing verdict, ECCN prefix, review_policy and text_verdict where the
 * case gives them. Each failing case prints one line with its `why`.
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

#define RULES_DOC	"tests/fixtures/rules-document.json"
#define OWN_CASES	"tests/fixtures/cases.jsonl"
#define PUBLIC_CASES	"../shared/cases/checks.public.jsonl"

static struct ruleset *rs;

static int
setup(void **state)
{
	json_error_t	 jerr;
	json_t		*doc;
	char		*cause = NULL;

	(void)state;
	doc = json_load_file(RULES_DOC, JSON_DECODE_INT_AS_REAL, &jerr);
	if (doc == NULL) {
		fprintf(stderr, "skip: %s not loadable (%s); generate it with "
		    "scripts/gen-rules-fixture.sh\n", RULES_DOC, jerr.text);
		return (0);
	}
	rs = ruleset_from_json(doc, "rules-document", &cause);
	json_decref(doc);
	if (rs == NULL) {
		fprintf(stderr, "%s: %s\n", RULES_DOC, cause);
		free(cause);
		return (-1);
	}
	return (0);
}

static int
teardown(void **state)
{
	(void)state;
	if (rs != NULL)
		ruleset_unref(rs);
	return (0);
}

/* Compare one expectation; append a description to *why on mismatch. */
static bool
case_field(const json_t *expect, const char *key, const json_t *got,
    bool prefix, char *buf, size_t len)
{
	const json_t	*want;
	bool		 ok;
	size_t		 n;

	want = json_object_get(expect, key);
	if (want == NULL)
		return (true);
	if (json_is_null(want))
		ok = got == NULL || json_is_null(got);
	else if (!json_is_string(want) || !json_is_string(got))
		ok = false;
	else if (prefix)
		ok = pred_eccn_matches(json_string_value(got),
		    json_string_value(want));
	else
		ok = strcmp(json_string_value(want),
		    json_string_value(got)) == 0;
	if (!ok) {
		n = strlen(buf);
		snprintf(buf + n, len - n, " %s: want %s got %s;", key,
		    json_is_string(want) ? json_string_value(want) : "null",
		    json_is_string(got) ? json_string_value(got) : "null");
	}
	return (ok);
}

/* Run one case; true when it passes. */
static bool
case_run(const json_t *c, const char *file, size_t line)
{
	struct ear_error err = { 0 };
	struct check	*chk;
	struct verdict	*v;
	const char	*ep, *id;
	const json_t	*expect;
	json_t		*out, *cls;
	enum item_kind	 kind;
	char		 buf[1024] = "";
	bool		 ok;

	ep = json_string_value(json_object_get(c, "endpoint"));
	id = json_string_value(json_object_get(c, "id"));
	if (ep == NULL || (strcmp(ep, "/v1/checks/chip") != 0 &&
	    strcmp(ep, "/v1/checks/weights") != 0))
		return (true);	/* not a check */
	kind = strcmp(ep, "/v1/checks/chip") == 0 ? ITEM_CHIP : ITEM_MODEL;
	chk = check_decode(kind, json_object_get(c, "request"),
	    date_today(), &err);
	if (chk == NULL) {
		printf("FAIL %s:%zu %s: request rejected: %s (%s)\n", file,
		    line, id != NULL ? id : "?", err.message,
		    err.field != NULL ? err.field : "");
		error_clear(&err);
		return (false);
	}
	v = determine(rs, chk);
	out = verdict_to_json(v, NULL);
	cls = json_object_get(out, "classification");
	expect = json_object_get(c, "expect");
	ok = case_field(expect, "verdict", json_object_get(out, "verdict"),
	    false, buf, sizeof buf);
	ok &= case_field(expect, "eccn", json_object_get(cls, "eccn"), true,
	    buf, sizeof buf);
	ok &= case_field(expect, "review_policy", json_object_get(out,
	    "review_policy"), false, buf, sizeof buf);
	ok &= case_field(expect, "text_verdict", json_object_get(out,
	    "text_verdict"), false, buf, sizeof buf);
	if (!ok) {
		printf("FAIL %s:%zu %s:%s why: %s\n", file, line,
		    id != NULL ? id : "?", buf,
		    json_string_value(json_object_get(c, "why")));
		if (getenv("CASES_VERBOSE") != NULL) {
			char *s = json_dumps(out, JSON_INDENT(1));
			printf("%s\n", s);
			free(s);
		}
	}
	json_decref(out);
	verdict_free(v);
	check_free(chk);
	return (ok);
}

/* Run every line of a JSONL file; counts into *n and *bad. */
static int
case_file(const char *path, size_t *n, size_t *bad)
{
	FILE		*f;
	char		*line = NULL;
	size_t		 cap = 0, lineno = 0;
	ssize_t		 len;
	json_t		*c;
	json_error_t	 jerr;

	if ((f = fopen(path, "r")) == NULL)
		return (-1);
	while ((len = getline(&line, &cap, f)) != -1) {
		lineno++;
		if (len <= 1 || line[0] == '#')
			continue;
		c = json_loads(line, 0, &jerr);
		if (c == NULL) {
			printf("FAIL %s:%zu: bad JSON: %s\n", path, lineno,
			    jerr.text);
			(*bad)++;
			continue;
		}
		(*n)++;
		if (!case_run(c, path, lineno))
			(*bad)++;
		json_decref(c);
	}
	free(line);
	fclose(f);
	return (0);
}

static void
test_cases_expert_answers(void **state)
{
	size_t	 n = 0, bad = 0;
	int	 files = 0;

	(void)state;
	if (rs == NULL)
		skip();
	if (case_file(OWN_CASES, &n, &bad) == 0)
		files++;
	else
		printf("note: %s absent\n", OWN_CASES);
	if (case_file(PUBLIC_CASES, &n, &bad) == 0)
		files++;
	else
		printf("note: %s absent (../shared not mounted)\n",
		    PUBLIC_CASES);
	if (files == 0)
		skip();
	printf("cases: %zu run, %zu failed\n", n, bad);
	assert_int_equal(bad, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases_expert_answers),
	};

	return (cmocka_run_group_tests(tests, setup, teardown));
}
