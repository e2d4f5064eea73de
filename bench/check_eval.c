/*
 * check_eval: the cost of one check in the engine alone, without HTTP, the
 * database or the decision log: decode, determine() and the verdict JSON
 * serialised as eard sends it, in a loop over the chip and weights requests
 * of the expert cases.
 *
 *	check_eval [-p] [-n rounds] [-g factor] [rules-document.json]
 *	    [cases.jsonl]
 *
 * -p prints every verdict instead (one JSON line each, on the request's own
 * date and on each from/to date of the rules), to compare two builds.
 * -g k adds synthetic rules to the document the way bench/run.sh
 * `grow_rules k` adds them to the database (k - 1 copies of every
 * classification rule, under a never-reached TPP floor and a synthetic
 * ECCN, and of every requirement, scoped to the synthetic ECCN or, when it
 * names none, to an exporter no request names), so the growth of the cost
 * with the number of rules can be read without a cluster. Prints one JSON
 * line: checks, seconds, microseconds per check. Run it under
 * `valgrind --tool=callgrind` for instruction counts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ear.h"

/* A synthetic copy of a classification rule: never fires. */
static json_t *
synthetic_class(const json_t *c, int g)
{
	json_t	*n;
	char	*s;

	n = json_deep_copy(c);
	xasprintf(&s, "SYN-%d-%s", g, json_string_value(json_object_get(c,
	    "id")));
	json_object_set_new(n, "id", json_string(s));
	free(s);
	xasprintf(&s, "SYN%d.%s", g, json_string_value(json_object_get(c,
	    "eccn")));
	json_object_set_new(n, "eccn", json_string(s));
	free(s);
	json_object_set_new(n, "when", json_pack("[s, [s, s, f], O]", "all",
	    "ge", "tpp", 1e12 + g, json_object_get(c, "when")));
	return (n);
}

/* A synthetic copy of a requirement: scoped so that it never applies. */
static json_t *
synthetic_req(const json_t *r, int g)
{
	json_t	*n, *e, *ne, *v;
	char	*s, who[64];
	size_t	 i;

	n = json_deep_copy(r);
	xasprintf(&s, "SYN-%d-%s", g, json_string_value(json_object_get(r,
	    "id")));
	json_object_set_new(n, "id", json_string(s));
	free(s);
	e = json_object_get(r, "eccns");
	if (json_is_array(e)) {
		ne = json_array();
		json_array_foreach(e, i, v) {
			xasprintf(&s, "SYN%d.%s", g, json_string_value(v));
			json_array_append_new(ne, json_string(s));
			free(s);
		}
		json_object_set_new(n, "eccns", ne);
	} else {
		snprintf(who, sizeof who, "syn exporter %d", g);
		json_object_set_new(n, "when", json_pack("[s, [s, s, [s]], O]",
		    "all", "in", "exporter", who, json_object_get(r, "when")));
	}
	return (n);
}

/* Grow the document's classifications and requirements k-fold. */
static void
grow(json_t *doc, int k)
{
	json_t	*a, *add;
	size_t	 i, n;
	int	 g;

	a = json_object_get(doc, "classifications");
	n = json_array_size(a);
	add = json_array();
	for (g = 1; g < k; g++)
		for (i = 0; i < n; i++)
			json_array_append_new(add,
			    synthetic_class(json_array_get(a, i), g));
	json_array_extend(a, add);
	json_decref(add);
	a = json_object_get(doc, "requirements");
	n = json_array_size(a);
	add = json_array();
	for (g = 1; g < k; g++)
		for (i = 0; i < n; i++)
			json_array_append_new(add,
			    synthetic_req(json_array_get(a, i), g));
	json_array_extend(a, add);
	json_decref(add);
}

/* Print the verdict of a request on a date (NULL: its own). */
static void
print_one(struct ruleset *rs, json_t *req, enum item_kind kind,
    const char *as_of)
{
	struct ear_error err = { 0 };
	struct check	*chk;
	struct verdict	*v;
	json_t		*body, *out;
	char		*s;

	body = json_deep_copy(req);
	if (as_of != NULL)
		json_object_set_new(body, "as_of", json_string(as_of));
	chk = check_decode(kind, body, date_from_ymd(2026, 6, 1), &err);
	json_decref(body);
	if (chk == NULL) {
		printf("error: %s\n", err.message);
		error_clear(&err);
		return;
	}
	v = determine(rs, chk);
	out = verdict_to_json(v, "id");
	s = json_dumps(out, JSON_COMPACT | JSON_REAL_PRECISION(15));
	printf("%s\n", s);
	free(s);
	json_decref(out);
	verdict_free(v);
	check_free(chk);
}

/* Every request on its own date and on every from/to date of the rules. */
static void
print_all(struct ruleset *rs, const json_t *doc, json_t **reqs,
    enum item_kind *kinds, size_t n)
{
	static const char *tables[] = { "classifications", "requirements",
	    "policies", "exceptions", "postures", "groups", "params" };
	const json_t	*row, *d;
	size_t		 t, i, k;
	const char	*keys[] = { "from", "to", "compliance" };

	for (i = 0; i < n; i++) {
		print_one(rs, reqs[i], kinds[i], NULL);
		for (t = 0; t < nitems(tables); t++) {
			json_array_foreach(json_object_get(doc, tables[t]),
			    k, row) {
				for (size_t j = 0; j < nitems(keys); j++) {
					d = json_object_get(row, keys[j]);
					if (json_is_string(d))
						print_one(rs, reqs[i],
						    kinds[i],
						    json_string_value(d));
				}
			}
		}
	}
}

/* Microseconds of the monotonic clock. */
static double
now_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3);
}

int
main(int argc, char **argv)
{
	const char	*rules = "tests/fixtures/rules-document.json";
	const char	*cases = "tests/fixtures/cases.jsonl";
	struct ear_error err = { 0 };
	struct ruleset	*rs;
	struct check	*chk;
	struct verdict	*v;
	json_t		*doc, *c, *reqs[512], *out;
	json_error_t	 jerr;
	enum item_kind	 kinds[512];
	const char	*ep;
	char		*cause = NULL, *line = NULL, *s;
	size_t		 cap = 0, n = 0, i, checks = 0;
	double		 t0, t1;
	FILE		*f;
	int		 ch, rounds = 200, factor = 1, r;
	bool		 print = false;

	while ((ch = getopt(argc, argv, "g:n:p")) != -1) {
		switch (ch) {
		case 'p':
			print = true;
			break;
		case 'g':
			factor = atoi(optarg);
			break;
		case 'n':
			rounds = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: check_eval [-n rounds] "
			    "[-g factor] [rules-document.json] "
			    "[cases.jsonl]\n");
			return (2);
		}
	}
	if (optind < argc)
		rules = argv[optind++];
	if (optind < argc)
		cases = argv[optind++];
	doc = json_load_file(rules, JSON_DECODE_INT_AS_REAL, &jerr);
	if (doc == NULL)
		fatalx("%s: %s", rules, jerr.text);
	if (factor > 1)
		grow(doc, factor);
	rs = ruleset_from_json(doc, "check_eval", &cause);
	if (rs == NULL)
		fatalx("%s: %s", rules, cause);
	if ((f = fopen(cases, "r")) == NULL)
		fatal("%s", cases);
	while (getline(&line, &cap, f) != -1 && n < nitems(reqs)) {
		if ((c = json_loads(line, 0, &jerr)) == NULL)
			continue;
		ep = json_string_value(json_object_get(c, "endpoint"));
		if (ep != NULL && (strcmp(ep, "/v1/checks/chip") == 0 ||
		    strcmp(ep, "/v1/checks/weights") == 0)) {
			kinds[n] = strcmp(ep, "/v1/checks/chip") == 0 ?
			    ITEM_CHIP : ITEM_MODEL;
			reqs[n++] = json_incref(json_object_get(c, "request"));
		}
		json_decref(c);
	}
	free(line);
	fclose(f);

	if (print) {
		print_all(rs, doc, reqs, kinds, n);
		return (0);
	}
	t0 = now_us();
	for (r = 0; r < rounds; r++) {
		for (i = 0; i < n; i++) {
			chk = check_decode(kinds[i], reqs[i], date_today(),
			    &err);
			if (chk == NULL) {
				error_clear(&err);
				continue;
			}
			v = determine(rs, chk);
			out = verdict_to_json(v, "0190f0f0-0000-7000-8000-"
			    "000000000000");
			s = canon_dumps(out, NULL);	/* as eard replies */
			free(s);
			json_decref(out);
			verdict_free(v);
			check_free(chk);
			checks++;
		}
	}
	t1 = now_us();
	printf("{\"checks\": %zu, \"factor\": %d, \"seconds\": %.3f, "
	    "\"us_per_check\": %.2f}\n", checks, factor, (t1 - t0) / 1e6,
	    checks > 0 ? (t1 - t0) / (double)checks : 0);
	for (i = 0; i < n; i++)
		json_decref(reqs[i]);
	ruleset_unref(rs);
	json_decref(doc);
	return (0);
}
