/*
 * test_determine_index: the rule indexes of core/ruleset.c change nothing.
 *
 * Every chip and weights request of tests/fixtures/cases.jsonl (and of
 * ../shared/cases/checks.public.jsonl when present) is determined on the
 * real rules (tests/fixtures/rules-document.json) twice, once with the
 * indexes and once walking every rule, and the full verdict JSON must be
 * byte-identical: on the case's own date and on every era boundary of the
 * rules (each from, to and compliance date of a rule, a posture or a
 * group membership, and the day before it), where a rule comes into or
 * goes out of force. The same again on the rules grown with synthetic
 * rules as bench/run.sh `grow_rules` makes them (letters scoped to an
 * exporter no request names, rules under synthetic ECCNs, classifications
 * behind a TPP floor no chip reaches), which the indexes skip.
 * Run from the repository root.
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
#define MAX_DATES	512

struct req {
	enum item_kind	 kind;
	json_t		*body;
};

static json_t		*doc;
static struct req	*reqs;
static size_t		 nreqs;
static ear_date		 dates[MAX_DATES];
static size_t		 ndates;

/* Read the chip and weights requests of a JSONL file of cases. */
static void
load_cases(const char *path)
{
	FILE		*f;
	char		*line = NULL;
	size_t		 cap = 0;
	json_t		*c;
	json_error_t	 jerr;
	const char	*ep;

	if ((f = fopen(path, "r")) == NULL)
		return;
	while (getline(&line, &cap, f) != -1) {
		if ((c = json_loads(line, 0, &jerr)) == NULL)
			continue;
		ep = json_string_value(json_object_get(c, "endpoint"));
		if (ep != NULL && (strcmp(ep, "/v1/checks/chip") == 0 ||
		    strcmp(ep, "/v1/checks/weights") == 0)) {
			reqs = realloc(reqs, (nreqs + 1) * sizeof *reqs);
			reqs[nreqs].kind = strcmp(ep, "/v1/checks/chip") == 0 ?
			    ITEM_CHIP : ITEM_MODEL;
			reqs[nreqs++].body = json_incref(json_object_get(c,
			    "request"));
		}
		json_decref(c);
	}
	free(line);
	fclose(f);
}

/* Add a date (and the day before) to the boundaries, once. */
static void
add_date(const json_t *v)
{
	ear_date	 d;
	size_t		 i, k;

	if (!json_is_string(v) || date_parse(json_string_value(v), &d) != 0)
		return;
	for (k = 0; k < 2; k++, d--) {
		for (i = 0; i < ndates && dates[i] != d; i++)
			;
		if (i == ndates && ndates < MAX_DATES)
			dates[ndates++] = d;
	}
}

/* Every from, to and compliance date of the document's rows. */
static void
load_dates(void)
{
	static const char *tables[] = { "classifications", "requirements",
	    "policies", "exceptions", "postures", "groups", "params" };
	const json_t	*row;
	size_t		 t, i;

	for (t = 0; t < nitems(tables); t++) {
		json_array_foreach(json_object_get(doc, tables[t]), i, row) {
			add_date(json_object_get(row, "from"));
			add_date(json_object_get(row, "to"));
			add_date(json_object_get(row, "compliance"));
		}
	}
}

static int
setup(void **state)
{
	json_error_t	 jerr;

	(void)state;
	doc = json_load_file(RULES_DOC, JSON_DECODE_INT_AS_REAL, &jerr);
	if (doc == NULL) {
		fprintf(stderr, "%s: %s\n", RULES_DOC, jerr.text);
		return (-1);
	}
	load_cases(OWN_CASES);
	load_cases(PUBLIC_CASES);
	load_dates();
	return (0);
}

static int
teardown(void **state)
{
	size_t	 i;

	(void)state;
	for (i = 0; i < nreqs; i++)
		json_decref(reqs[i].body);
	free(reqs);
	json_decref(doc);
	return (0);
}

/* The verdict JSON of a request on a ruleset, as eard would send it. */
static char *
verdict_text(struct ruleset *rs, const struct req *q, const char *as_of)
{
	struct ear_error err = { 0 };
	struct check	*chk;
	struct verdict	*v;
	json_t		*body, *out;
	char		*s;

	body = json_deep_copy(q->body);
	if (as_of != NULL)
		json_object_set_new(body, "as_of", json_string(as_of));
	chk = check_decode(q->kind, body, date_from_ymd(2026, 6, 1), &err);
	json_decref(body);
	if (chk == NULL) {
		s = strdup(err.message != NULL ? err.message : "error");
		error_clear(&err);
		return (s);
	}
	v = determine(rs, chk);
	out = verdict_to_json(v, "id");
	s = json_dumps(out, JSON_COMPACT | JSON_REAL_PRECISION(15));
	json_decref(out);
	verdict_free(v);
	check_free(chk);
	return (s);
}

/* Indexed and unindexed give the same bytes on every request and date. */
static size_t
compare_all(struct ruleset *ix, struct ruleset *walk, const char *what)
{
	char		 day[11], *a, *b;
	size_t		 i, k, n = 0, bad = 0;

	for (i = 0; i < nreqs; i++) {
		for (k = 0; k <= ndates; k++) {
			if (k < ndates)
				date_format(dates[k], day);
			a = verdict_text(ix, &reqs[i], k < ndates ? day : NULL);
			b = verdict_text(walk, &reqs[i], k < ndates ? day :
			    NULL);
			n++;
			if (strcmp(a, b) != 0) {
				if (bad++ < 3)
					printf("DIFF %s request %zu as_of %s:"
					    "\n indexed: %.400s\n walked:  "
					    "%.400s\n", what, i, k < ndates ?
					    day : "(own)", a, b);
			}
			free(a);
			free(b);
		}
	}
	printf("%s: %zu determinations compared, %zu differ\n", what, n, bad);
	return (bad);
}

/* Copies of the document's rules that never fire (bench/run.sh). */
static json_t *
grown_doc(int k)
{
	json_t		*g, *a, *add, *n, *e, *ne, *v;
	size_t		 i, j, cnt;
	int		 c;
	char		 buf[128];
	const char	*id;

	g = json_deep_copy(doc);
	a = json_object_get(g, "classifications");
	cnt = json_array_size(a);
	add = json_array();
	for (c = 1; c < k; c++) {
		for (i = 0; i < cnt; i++) {
			n = json_deep_copy(json_array_get(a, i));
			id = json_string_value(json_object_get(n, "id"));
			snprintf(buf, sizeof buf, "SYN-%d-%s", c, id);
			json_object_set_new(n, "id", json_string(buf));
			snprintf(buf, sizeof buf, "SYN%d.%s", c,
			    json_string_value(json_object_get(n, "eccn")));
			json_object_set_new(n, "eccn", json_string(buf));
			json_object_set_new(n, "when", json_pack("[s, [s, s, f],"
			    " O]", "all", "ge", "tpp", 1e12 + c,
			    json_object_get(n, "when")));
			json_array_append_new(add, n);
		}
	}
	json_array_extend(a, add);
	json_decref(add);
	a = json_object_get(g, "requirements");
	cnt = json_array_size(a);
	add = json_array();
	for (c = 1; c < k; c++) {
		for (i = 0; i < cnt; i++) {
			n = json_deep_copy(json_array_get(a, i));
			id = json_string_value(json_object_get(n, "id"));
			snprintf(buf, sizeof buf, "SYN-%d-%s", c, id);
			json_object_set_new(n, "id", json_string(buf));
			e = json_object_get(n, "eccns");
			if (json_is_array(e)) {
				ne = json_array();
				json_array_foreach(e, j, v) {
					snprintf(buf, sizeof buf, "SYN%d.%s", c,
					    json_string_value(v));
					json_array_append_new(ne,
					    json_string(buf));
				}
				json_object_set_new(n, "eccns", ne);
			} else {
				snprintf(buf, sizeof buf, "syn exporter %d", c);
				json_object_set_new(n, "when", json_pack("[s, "
				    "[s, s, [s]], O]", "all", "in", "exporter",
				    buf, json_object_get(n, "when")));
			}
			json_array_append_new(add, n);
		}
	}
	json_array_extend(a, add);
	json_decref(add);
	return (g);
}

/* Two snapshots of one document, one walking every rule. */
static void
pair(const json_t *d, struct ruleset **ix, struct ruleset **walk)
{
	char	*cause = NULL;

	*ix = ruleset_from_json(d, "v", &cause);
	assert_non_null(*ix);
	*walk = ruleset_from_json(d, "v", &cause);
	assert_non_null(*walk);
	ruleset_set_indexed(*walk, false);
}

/* The real rules: indexes give the verdicts of the full walk. */
static void
test_determine_index_matches_walk(void **state)
{
	struct ruleset	*ix, *walk;

	(void)state;
	assert_true(nreqs >= 50);	/* the expert cases are there */
	assert_true(ndates >= 20);
	pair(doc, &ix, &walk);
	assert_int_equal(compare_all(ix, walk, "rules"), 0);
	ruleset_unref(ix);
	ruleset_unref(walk);
}

/* Grown 5x with rules that never fire: still the walk's verdicts. */
static void
test_determine_index_matches_walk_grown(void **state)
{
	struct ruleset	*ix, *walk;
	json_t		*g;

	(void)state;
	g = grown_doc(5);
	pair(g, &ix, &walk);
	json_decref(g);
	assert_int_equal(compare_all(ix, walk, "rules x5"), 0);
	ruleset_unref(ix);
	ruleset_unref(walk);
}

/* Without the exporter, a letter's rule stays a candidate (unknown). */
static void
test_determine_index_keeps_rules_of_absent_facts(void **state)
{
	struct ruleset	*ix, *walk;
	struct req	 q;
	char		*a, *b;

	(void)state;
	pair(doc, &ix, &walk);
	/* The H20 letter (2025-04) asks for the exporter's name. */
	q.kind = ITEM_CHIP;
	q.body = json_loads("{\"as_of\": \"2025-06-01\", \"destination\": "
	    "\"CN\", \"chip\": {\"name\": \"NVIDIA H20\", \"performance\": "
	    "[{\"format\": \"fp8\", \"bits\": 8, \"dense_tops\": 296}], "
	    "\"die_area_mm2\": 814, \"io_bandwidth_gbs\": 900, "
	    "\"memory_bandwidth_gbs\": 4000, \"datacenter\": true}}", 0, NULL);
	assert_non_null(q.body);
	a = verdict_text(ix, &q, NULL);
	b = verdict_text(walk, &q, NULL);
	assert_string_equal(a, b);
	assert_non_null(strstr(a, "\"verdict\":\"needs_review\""));
	free(a);
	free(b);
	json_decref(q.body);
	ruleset_unref(ix);
	ruleset_unref(walk);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_determine_index_matches_walk),
		cmocka_unit_test(test_determine_index_matches_walk_grown),
		cmocka_unit_test(
		    test_determine_index_keeps_rules_of_absent_facts),
	};

	return (cmocka_run_group_tests(tests, setup, teardown));
}
