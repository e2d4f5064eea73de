/*
 * screen_eval: the labelled evaluation of party screening.
 *
 *	screen_eval [CSL.json] [-n SAMPLE] [-q NAME [CC]]
 *
 * Builds the index from the CSL (default ../shared/data/regs/csl/
 * consolidated.json), then a labelled set from the list itself: real names
 * with the perturbations screening meets in practice (form words dropped or
 * spelled differently, an alias, transliteration and accents, a typo, word
 * order) as positives, and plausible company names that are not on the list
 * as negatives. Reports precision and recall at the default thresholds (for
 * "match", and for "match or review"), the index build time and the
 * in-process time per query. -q screens one name and prints the JSON.
 * SCREEN_EVAL_DUMP=1 prints every query with its result (one line each).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ear.h"

static double
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec * 1e3 + ts.tv_nsec / 1e6);
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

/* A small deterministic generator, so every run scores the same set. */
static uint32_t
eval_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return ((uint32_t)(rng >> 11));
}

enum pert { P_FORM_DROP, P_FORM_SPELL, P_ALIAS, P_ACCENT, P_TYPO,
	P_ORDER, P_COUNT };
static const char *pert_names[] = { "form words dropped",
	"form words spelled out", "alias", "accents and case", "typo",
	"word order" };

/* Rewrite the name's words: drop form words or spell them differently. */
static char *
eval_forms(const char *name, bool drop)
{
	static const struct { const char *from, *to; } spell[] = {
		{ "co", "Company" }, { "company", "Co." }, { "ltd", "Limited" },
		{ "limited", "Ltd." }, { "corp", "Corporation" },
		{ "corporation", "Corp." }, { "inc", "Incorporated" },
		{ "llc", "L.L.C." }, { "jsc", "Joint Stock Company" },
	};
	char	*copy = xstrdup(name), *p = copy, *w, *out, *norm;
	size_t	 i, len = 0;
	bool	 changed = false;

	out = xcalloc(1, strlen(name) * 3 + 64);
	while ((w = strsep(&p, " ")) != NULL) {
		const char *put = w;
		norm = screen_normalise(w);
		if (*norm != '\0' && screen_is_form_word(norm)) {
			if (drop) {
				changed = true;
				free(norm);
				continue;
			}
			for (i = 0; i < nitems(spell); i++)
				if (strcmp(norm, spell[i].from) == 0) {
					put = spell[i].to;
					changed = true;
					break;
				}
		}
		free(norm);
		len += sprintf(out + len, "%s%s", len > 0 ? " " : "", put);
	}
	free(copy);
	if (!changed) {
		free(out);
		return (NULL);
	}
	return (out);
}

/* Accents on vowels and the case flipped, as a foreign system spells it. */
static char *
eval_accent(const char *name)
{
	char	*out = xcalloc(1, strlen(name) * 3 + 1);
	size_t	 len = 0;
	bool	 changed = false;

	for (; *name != '\0'; name++) {
		switch (*name) {
		case 'e': case 'E':
			len += sprintf(out + len, "%s", "\xc3\xa9");
			changed = true;
			break;
		case 'o': case 'O':
			len += sprintf(out + len, "%s", "\xc3\xb6");
			changed = true;
			break;
		case 'u': case 'U':
			len += sprintf(out + len, "%s", "\xc3\xbc");
			changed = true;
			break;
		default:
			out[len++] = (*name >= 'A' && *name <= 'Z') ?
			    *name - 'A' + 'a' : *name;
		}
	}
	if (!changed) {
		free(out);
		return (NULL);
	}
	return (out);
}

/* One typo (two letters swapped or one dropped) in the longest word. */
static char *
eval_typo(const char *name)
{
	char	*out = xstrdup(name);
	size_t	 i, best = 0, bestlen = 0, cur = 0, len;

	len = strlen(out);
	for (i = 0; i <= len; i++) {
		if (i == len || out[i] == ' ') {
			if (i - cur > bestlen) {
				bestlen = i - cur;
				best = cur;
			}
			cur = i + 1;
		}
	}
	if (bestlen < 6) {
		free(out);
		return (NULL);
	}
	i = best + 2 + eval_rand() % (bestlen - 3);
	if (eval_rand() % 2) {
		char c = out[i];
		out[i] = out[i + 1];
		out[i + 1] = c;
	} else
		memmove(out + i, out + i + 1, len - i);
	return (out);
}

/* The words in reverse order. */
static char *
eval_order(const char *name)
{
	char	*copy = xstrdup(name), *w[64], *p = copy, *out;
	size_t	 n = 0, len = 0;

	while ((w[n] = strsep(&p, " ")) != NULL && n < 63)
		if (*w[n] != '\0')
			n++;
	if (n < 2) {
		free(copy);
		return (NULL);
	}
	out = xcalloc(1, strlen(name) + 2);
	while (n-- > 0)
		len += sprintf(out + len, "%s%s", len > 0 ? " " : "", w[n]);
	free(copy);
	return (out);
}

/* With SCREEN_EVAL_DUMP set, every query and its result as one line of
 * canonical JSON, to compare two builds of the matcher. */
static void
eval_dump(const char *name, const json_t *res)
{
	char	*s;

	if (getenv("SCREEN_EVAL_DUMP") == NULL)
		return;
	s = json_dumps(res, JSON_COMPACT | JSON_SORT_KEYS);
	printf("%s\t%s\n", name, s);
	free(s);
}

/* A made-up word of two or three syllables. */
static void
eval_word(char *buf, size_t size)
{
	static const char *syl[] = { "ka", "lor", "ven", "tri", "mo", "sel",
		"dar", "qui", "ber", "nol", "fax", "zen", "pra", "tuv", "wel",
		"gor", "sta", "lin", "bex", "ron" };
	size_t	n = 2 + eval_rand() % 2, i;

	buf[0] = '\0';
	for (i = 0; i < n; i++)
		strncat(buf, syl[eval_rand() % nitems(syl)],
		    size - strlen(buf) - 1);
	buf[0] = buf[0] - 'a' + 'A';
}

/* A plausible company name that is not on any list. */
static char *
eval_negative(void)
{
	static const char *generic[] = { "Energy", "Holdings", "Technology",
		"Development", "International", "Group", "Trading", "Robotics",
		"Software", "Logistics", "Systems", "Capital", "Industries",
		"Solutions", "Electronics", "Engineering", "Shipping",
		"Consulting", "Medical", "Foods", "Global", "Pacific", "United",
		"General", "Advanced", "Research", "Services" };
	static const char *forms[] = { "GmbH", "Inc.", "Ltd.", "LLC",
		"Co., Ltd.", "S.A.", "B.V.", "AG", "Corp.", "" };
	char	w[32], *out;
	int	kind = eval_rand() % 4;

	eval_word(w, sizeof w);
	switch (kind) {
	case 0:		/* generic words only */
		xasprintf(&out, "%s %s %s",
		    generic[eval_rand() % nitems(generic)],
		    generic[eval_rand() % nitems(generic)],
		    forms[eval_rand() % nitems(forms)]);
		break;
	case 1:
		xasprintf(&out, "%s %s %s", w,
		    generic[eval_rand() % nitems(generic)],
		    forms[eval_rand() % nitems(forms)]);
		break;
	case 2:
		xasprintf(&out, "%s %s %s %s", w,
		    generic[eval_rand() % nitems(generic)],
		    generic[eval_rand() % nitems(generic)],
		    forms[eval_rand() % nitems(forms)]);
		break;
	default:
		xasprintf(&out, "%s %s", generic[eval_rand() % nitems(generic)],
		    w);
		break;
	}
	return (out);
}

static int
cmp_word(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/* A name's key with its words sorted: equal for reordered names. */
static char *
sorted_key(const char *name)
{
	char	*key = screen_key(name), *p = key, *w[64], *out;
	size_t	 n = 0, i, len = 0;

	while (n < 64 && (w[n] = strsep(&p, " ")) != NULL)
		n++;
	qsort(w, n, sizeof *w, cmp_word);
	out = xcalloc(1, strlen(name) * 2 + 2);
	for (i = 0; i < n; i++)
		len += sprintf(out + len, "%s ", w[i]);
	free(key);
	return (out);
}

/* The text a candidate matched on: its alias, or its name. */
static char *
matched_text(json_t *cand)
{
	const char *on = json_string_value(json_object_get(cand, "matched_on"));

	if (strncmp(on, "alias \"", 7) == 0)
		return (xstrndup(on + 7, strlen(on) - 8));
	return (xstrdup(json_string_value(json_object_get(cand, "name"))));
}

/* Whether the candidates of a screening name the expected entry at or above
 * the given level. */
static bool
eval_found(json_t *res, const char *entry_id, bool review_ok)
{
	json_t	*c;
	size_t	 i;
	const char *r;

	json_array_foreach(json_object_get(res, "candidates"), i, c) {
		if (strcmp(json_string_value(json_object_get(c, "entry_id")),
		    entry_id) != 0)
			continue;
		r = json_string_value(json_object_get(c, "result"));
		return (strcmp(r, "match") == 0 ||
		    (review_ok && strcmp(r, "review") == 0));
	}
	return (false);
}

int
main(int argc, char **argv)
{
	const char		*path = "../shared/data/regs/csl/consolidated.json";
	const char		*query = NULL, *qcc = NULL;
	json_t			*doc, *arr, *e, *res, *alts;
	json_error_t		 jerr;
	struct screen_index	*ix;
	char			*cause, *name, *norm;
	double			 t0, t1, tq = 0;
	size_t			 i, n, sample = 1500, nq = 0;
	size_t			 tp_m[P_COUNT] = { 0 }, tp_r[P_COUNT] = { 0 };
	size_t			 tot[P_COUNT] = { 0 }, fp_m = 0, fp_r = 0;
	size_t			 nneg = 0, tpm = 0, tpr = 0, npos = 0;
	int			 c;
	enum pert		 pt;

	while ((c = getopt(argc, argv, "n:q:")) != -1) {
		switch (c) {
		case 'n':
			sample = strtoul(optarg, NULL, 10);
			break;
		case 'q':
			query = optarg;
			break;
		default:
			fprintf(stderr, "usage: screen_eval [-n N] [-q NAME "
			    "[CC]] [CSL.json]\n");
			return (2);
		}
	}
	argc -= optind;
	argv += optind;
	if (query != NULL && argc > 0 && strlen(argv[0]) == 2) {
		qcc = argv[0];
		argc--;
		argv++;
	}
	if (argc > 0)
		path = argv[0];
	if ((doc = json_load_file(path, 0, &jerr)) == NULL) {
		fprintf(stderr, "screen_eval: could not read \"%s\": %s "
		    "(skipped)\n", path, jerr.text);
		return (77);
	}
	t0 = now_ms();
	ix = screen_index_build(doc, &cause);
	t1 = now_ms();
	if (ix == NULL) {
		fprintf(stderr, "screen_eval: %s\n", cause);
		return (1);
	}
	if (query != NULL) {
		t0 = now_ms();
		res = screen_query(ix, query, qcc, NULL);
		t1 = now_ms();
		json_dumpf(res, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		printf("\n%.3f ms\n", t1 - t0);
		json_decref(res);
		screen_index_unref(ix);
		json_decref(doc);
		return (0);
	}
	printf("index: %zu parties, %zu names and aliases, built in %.0f ms\n",
	    screen_index_parties(ix), screen_index_names(ix), t1 - t0);

	arr = json_object_get(doc, "results");
	n = json_array_size(arr);
	for (i = 0; i < sample; i++) {
		const char *pname, *src, *en;
		char *eid, code[32], *cs = NULL;
		json_t *a;
		size_t k;

		e = json_array_get(arr, eval_rand() % n);
		pname = json_string_value(json_object_get(e, "name"));
		src = json_string_value(json_object_get(e, "source"));
		en = json_string_value(json_object_get(e, "entity_number"));
		screen_list_code(src, code, sizeof code);
		json_array_foreach(json_object_get(e, "addresses"), k, a) {
			char *tmp = cs;
			const char *cc = json_string_value(json_object_get(a,
			    "country"));
			if (cc == NULL || strlen(cc) != 2)
				continue;
			xasprintf(&cs, "%s%s%s", tmp != NULL ? tmp : "",
			    tmp != NULL ? "," : "", cc);
			free(tmp);
		}
		eid = screen_entry_id(code, en, pname, cs);
		free(cs);
		pt = (enum pert)(i % P_COUNT);
		alts = json_object_get(e, "alt_names");
		switch (pt) {
		case P_FORM_DROP:
			name = eval_forms(pname, true);
			break;
		case P_FORM_SPELL:
			name = eval_forms(pname, false);
			break;
		case P_ALIAS:
			name = json_array_size(alts) > 0 ? xstrdup(
			    json_string_value(json_array_get(alts,
			    eval_rand() % json_array_size(alts)))) : NULL;
			break;
		case P_ACCENT:
			name = eval_accent(pname);
			break;
		case P_TYPO:
			name = eval_typo(pname);
			break;
		default:
			name = eval_order(pname);
			break;
		}
		if (name == NULL) {
			free(eid);
			continue;
		}
		/* A name of form words only says nothing: not a case. */
		norm = screen_key(name);
		if (*norm == '\0') {
			free(norm);
			free(name);
			free(eid);
			continue;
		}
		free(norm);
		t0 = now_ms();
		res = screen_query(ix, name, NULL, NULL);
		tq += now_ms() - t0;
		eval_dump(name, res);
		nq++;
		tot[pt]++;
		npos++;
		if (eval_found(res, eid, false)) {
			tp_m[pt]++;
			tpm++;
		}
		if (eval_found(res, eid, true)) {
			tp_r[pt]++;
			tpr++;
		} else if (getenv("SCREEN_EVAL_VERBOSE") != NULL)
			printf("  missed (%s): \"%s\" for \"%s\"\n",
			    pert_names[pt], name, pname);
		json_decref(res);
		free(name);
		free(eid);
	}
	for (i = 0; i < sample; i++) {
		const char *r;
		char *key;
		json_t *cand;

		name = eval_negative();
		t0 = now_ms();
		res = screen_query(ix, name, NULL, NULL);
		tq += now_ms() - t0;
		eval_dump(name, res);
		nq++;
		/* A generated name that is a listed name is not a negative. */
		key = sorted_key(name);
		cand = json_array_get(json_object_get(res, "candidates"), 0);
		if (cand != NULL) {
			char *mt = matched_text(cand);
			char *k2 = sorted_key(mt);
			bool same = strcmp(key, k2) == 0;
			free(k2);
			free(mt);
			if (same) {
				free(key);
				free(name);
				json_decref(res);
				continue;
			}
		}
		free(key);
		nneg++;
		r = json_string_value(json_object_get(res, "result"));
		if (strcmp(r, "match") == 0)
			fp_m++;
		if (strcmp(r, "no_match") != 0) {
			fp_r++;
			if (getenv("SCREEN_EVAL_VERBOSE") != NULL)
				printf("  false %s: \"%s\" -> \"%s\" on %s\n",
				    r, name, json_string_value(json_object_get(
				    cand, "name")), json_string_value(
				    json_object_get(cand, "matched_on")));
		}
		json_decref(res);
		free(name);
	}

	printf("labelled set: %zu positives (perturbed list names), %zu "
	    "negatives (names not on the list)\n", npos, nneg);
	printf("%-24s %6s %10s %18s\n", "perturbation", "cases", "match",
	    "match or review");
	for (i = 0; i < P_COUNT; i++)
		printf("%-24s %6zu %9.1f%% %17.1f%%\n", pert_names[i], tot[i],
		    tot[i] ? 100.0 * tp_m[i] / tot[i] : 0,
		    tot[i] ? 100.0 * tp_r[i] / tot[i] : 0);
	printf("at \"match\":           precision %.3f recall %.3f "
	    "(%zu false matches)\n", tpm + fp_m ? (double)tpm / (tpm + fp_m) :
	    0, npos ? (double)tpm / npos : 0, fp_m);
	printf("at \"match or review\": precision %.3f recall %.3f "
	    "(%zu false alerts)\n", tpr + fp_r ? (double)tpr / (tpr + fp_r) :
	    0, npos ? (double)tpr / npos : 0, fp_r);
	printf("in-process: %.3f ms per query (%zu queries)\n", tq / nq, nq);
	screen_index_unref(ix);
	json_decref(doc);
	return (0);
}
