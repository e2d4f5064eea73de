/*
 * test_ecfr.c: the eCFR parser (importers/ecfr.c) without a database.
 *
 * Always: the committed fixtures of 15 CFR 740 Supp. 1, 738 Supp. 1 and
 * 744 Supp. 4 (tests/fixtures/ecfr/, built by scripts/make-ecfr-fixtures.sh)
 * against their committed expected files; number forms; country names;
 * hostile and truncated input. With ../shared/data: the real CCL (golden
 * ECCN paragraphs) and the derived tables. Run from the repository root.
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
#include <jansson.h>

#include "ear.h"
#include "importers.h"

#define CCL "../shared/data/regs/ecfr/ecfr_t15_p774_supp1_CCL.xml"
#define DERIVED "../shared/data/regs/derived/"
#define FIX "tests/fixtures/ecfr/"

static char *
slurp(const char *path, size_t *len)
{
	FILE	*f = fopen(path, "rb");
	char	*buf;
	long	 n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = xmalloc(n + 1);
	if (fread(buf, 1, n, f) != (size_t)n)
		n = 0;
	buf[n] = '\0';
	fclose(f);
	*len = n;
	return buf;
}

static struct ecfr_doc *
parse_ok(const char *path, const char *date)
{
	char		*cause = NULL;
	struct ecfr_doc	*doc = ecfr_parse_file(path, date, &cause);

	if (doc == NULL)
		fail_msg("%s: %s", path, cause);
	return doc;
}

/* Sorted lines of a file, compared with sorted lines built by the test. */
static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
assert_lines_equal(char **got, size_t ngot, const char *expected_path)
{
	size_t	 len, n = 0, i;
	char	*buf = slurp(expected_path, &len), *line, *save = NULL;
	char	**exp = NULL;

	assert_non_null(buf);
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		exp = xreallocarray(exp, n + 1, sizeof *exp);
		exp[n++] = line;
	}
	qsort(exp, n, sizeof *exp, cmp_str);
	qsort(got, ngot, sizeof *got, cmp_str);
	for (i = 0; i < n && i < ngot; i++) {
		if (strcmp(exp[i], got[i]) != 0)
			fail_msg("%s line %zu: expected \"%s\", got \"%s\"",
			    expected_path, i, exp[i], got[i]);
	}
	assert_int_equal(ngot, n);
	free(exp);
	free(buf);
}

/* 15 CFR 740 Supp. 1 (eCFR 2026-07-23): every group membership. */
static void
test_ecfr_country_groups_match_derived_table(void **state)
{
	struct ecfr_doc	*doc = parse_ok(FIX "part740_country_groups.xml", NULL);
	char		**got;
	size_t		 i;

	(void)state;
	assert_string_equal(doc->scope, "740");
	assert_string_equal(doc->date, "2026-07-23");	/* from metadata */
	got = xcalloc(doc->ngroups, sizeof *got);
	for (i = 0; i < doc->ngroups; i++) {
		assert_non_null(doc->groups[i].country);	/* ISO known */
		xasprintf(&got[i], "%s|%s", doc->groups[i].group,
		    doc->groups[i].country_name);
	}
	assert_lines_equal(got, doc->ngroups,
	    FIX "part740_country_groups.expected");
	for (i = 0; i < doc->ngroups; i++)
		free(got[i]);
	free(got);
	ecfr_free(doc);
}

/* Facts of the 2026-07-23 Country Groups table, each cited. */
static void
test_ecfr_country_groups_known_members(void **state)
{
	static const struct {
		const char	*group, *cc;
		bool		 member;
		const char	*why;
	} rows[] = {
		{ "D:5", "CN", true, "740 Supp. 1 D:5: China (arms embargo)" },
		{ "D:5", "CY", false, "89 FR 40369: Cyprus removed from D:5 "
		    "effective 2024-05-30" },
		{ "D:5", "MO", false, "Macau is not in D:5; the EAR names it "
		    "beside D:5" },
		{ "A:5", "JP", true, "740 Supp. 1 A:5: Japan" },
		{ "E:1", "IR", true, "740 Supp. 1 E:1: Iran" },
		{ "D:1", "RU", true, "740 Supp. 1 D:1: Russia" },
	};
	struct ecfr_doc	*doc = parse_ok(FIX "part740_country_groups.xml", NULL);
	size_t		 i, j;

	(void)state;
	for (i = 0; i < nitems(rows); i++) {
		bool	 found = false;

		for (j = 0; j < doc->ngroups; j++) {
			if (strcmp(doc->groups[j].group, rows[i].group) == 0 &&
			    doc->groups[j].country != NULL &&
			    strcmp(doc->groups[j].country, rows[i].cc) == 0)
				found = true;
		}
		if (found != rows[i].member)
			fail_msg("%s %s: %s", rows[i].group, rows[i].cc,
			    rows[i].why);
	}
	ecfr_free(doc);
}

/* 15 CFR 738 Supp. 1 (eCFR 2026-07-23): marks and footnotes per country. */
static void
test_ecfr_country_chart_matches_derived_table(void **state)
{
	struct ecfr_doc	*doc = parse_ok(FIX "part738_country_chart.xml", NULL);
	char		**got;
	size_t		 i, j;

	(void)state;
	assert_int_equal(doc->nchart_columns, 16);
	got = xcalloc(doc->nchart, sizeof *got);
	for (i = 0; i < doc->nchart; i++) {
		const struct ecfr_chart_row *c = &doc->chart[i];
		char	 marks[256] = "", foot[64] = "";

		assert_non_null(c->country);
		for (j = 0; j < c->nmarks; j++) {
			strcat(marks, j ? "," : "");
			strcat(marks, c->marks[j]);
		}
		for (j = 0; j < c->nfootnotes; j++)
			snprintf(foot + strlen(foot), sizeof foot - strlen(foot),
			    "%s%d", j ? "," : "", c->footnotes[j]);
		xasprintf(&got[i], "%s|%s|%s", c->country_name, marks, foot);
	}
	assert_lines_equal(got, doc->nchart,
	    FIX "part738_country_chart.expected");
	for (i = 0; i < doc->nchart; i++)
		free(got[i]);
	free(got);
	ecfr_free(doc);
}

/* FR citations joined as the CSL joins them, separators aside. */
static void
join_fr(const struct ecfr_entity *e, char *out, size_t outsz)
{
	size_t	 j;

	out[0] = '\0';
	for (j = 0; j < e->nfr_citations; j++) {
		const char *c = e->fr_citations[j];

		snprintf(out + strlen(out), outsz - strlen(out), "%s%s",
		    j ? " " : "", c);
	}
}

/* Strip separators so "84 FR 1, 85 FR 2" equals "84 FR 1; 85 FR 2". */
static void
squash(char *s)
{
	char	*o = s;

	for (; *s != '\0'; s++) {
		if (*s == ',' || *s == ';' || *s == '.' || *s == ' ')
			continue;
		*o++ = *s;
	}
	*o = '\0';
}

/* 15 CFR 744 Supp. 4 fixture: names, aliases, policy, FR citations. */
static void
test_ecfr_entity_list_matches_csl_rows(void **state)
{
	struct ecfr_doc	*doc = parse_ok(FIX "part744_entity_list.xml", NULL);
	size_t		 len, i, n = 0;
	char		*buf = slurp(FIX "part744_entity_list.expected", &len);
	char		*line, *save = NULL;

	(void)state;
	assert_non_null(buf);
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save), n++) {
		char	*f[5], *s = line, fr[2048], want[2048];
		size_t	 k;
		bool	 found = false;

		for (k = 0; k < 5; k++) {
			f[k] = s;
			s = strchr(s, '|');
			if (s != NULL)
				*s++ = '\0';
			else
				s = (char *)"";
		}
		for (i = 0; i < doc->nentities && !found; i++) {
			const struct ecfr_entity *e = &doc->entities[i];
			char	 name[512];

			snprintf(name, sizeof name, "%s", f[1]);
			/* the CSL keeps a stray trailing comma on a few */
			if (*name && name[strlen(name) - 1] == ',')
				name[strlen(name) - 1] = '\0';
			if (e->country == NULL || strcmp(e->country, f[0]) ||
			    strcmp(e->name, name) != 0)
				continue;
			join_fr(e, fr, sizeof fr);
			snprintf(want, sizeof want, "%s", f[4]);
			squash(fr);
			squash(want);
			if (strcmp(fr, want) != 0)
				continue;
			found = true;
			assert_string_equal(e->review_policy, f[3]);
			/* aliases: as many as the CSL lists */
			{
				size_t	 na = *f[2] ? 1 : 0;

				for (s = f[2]; *s; s++)
					na += *s == ';';
				assert_int_equal(e->naliases, na);
			}
		}
		if (!found)
			fail_msg("entity not parsed: %s|%s", f[0], f[1]);
	}
	assert_int_equal(doc->nentities, n);
	free(buf);
	ecfr_free(doc);
}

/* A blank country cell inherits the country of the row above. */
static void
test_ecfr_entity_blank_country_inherits(void **state)
{
	static const char xml[] =
	    "<DIV9 N=\"Supplement No. 4 to Part 744\" TYPE=\"APPENDIX\">"
	    "<HEAD>Supplement No. 4 to Part 744—Entity List</HEAD>"
	    "<TABLE class=\"gpo_table\"><THEAD><TR><TH>Country</TH>"
	    "<TH>Entity</TH><TH>License requirement</TH><TH>License review "
	    "policy</TH><TH>Federal Register citation</TH></TR></THEAD><TBODY>"
	    "<TR><TD>CHINA, PEOPLE'S REPUBLIC OF</TD><TD>Alpha Co., Ltd., "
	    "a.k.a., the following two aliases:<br></br>—Alpha;<br></br>"
	    "—Alpha Tech.<br></br>1 Road, Beijing, China.</TD>"
	    "<TD>For all items subject to the EAR.<SU>1</SU></TD>"
	    "<TD>Presumption of denial.</TD><TD>85 FR 34503, 6/5/20. "
	    "86 FR 1, 1/4/21.</TD></TR>"
	    "<TR><TD></TD><TD>Beta Ltd.</TD><TD>x</TD><TD>y</TD>"
	    "<TD>88 FR 12170, 2/27/23</TD></TR>"
	    "</TBODY></TABLE></DIV9>";
	char		*cause = NULL;
	struct ecfr_doc	*doc;
	const struct ecfr_entity *a, *b;

	(void)state;
	doc = ecfr_parse_memory(xml, sizeof xml - 1, "2026-07-23", &cause);
	assert_non_null(doc);
	assert_int_equal(doc->nentities, 2);
	a = &doc->entities[0];
	b = &doc->entities[1];
	assert_string_equal(a->name, "Alpha Co., Ltd.");
	assert_int_equal(a->naliases, 2);
	assert_string_equal(a->aliases[0], "Alpha");
	assert_string_equal(a->aliases[1], "Alpha Tech");
	assert_int_equal(a->naddresses, 1);
	assert_string_equal(a->addresses[0], "1 Road, Beijing, China.");
	assert_int_equal(a->nfootnotes, 1);
	assert_int_equal(a->footnotes[0], 1);
	assert_int_equal(a->nfr_citations, 2);
	assert_string_equal(a->fr_citations[0], "85 FR 34503, 6/5/20");
	assert_string_equal(b->country, "CN");
	assert_string_equal(b->country_name, "CHINA, PEOPLE'S REPUBLIC OF");
	ecfr_free(doc);
}

/* Number forms of regulation text. */
static void
test_ecfr_text_numbers_forms(void **state)
{
	static const struct {
		const char	*text;
		double		 v;
		bool		 has;
	} rows[] = {
		{ "a 'total processing performance' of 4800 or more", 4800, true },
		{ "of 4,800 or more", 4800, true },
		{ "'performance density' of 5.92 or more.", 5.92, true },
		{ "trained utilizing 10^26 or more 'operations.'", 1e26, true },
		{ "trained utilizing 10 26 or more", 1e26, true },
		{ "more than 2.5 × 10^25 'operations'", 2.5e25, true },
		{ "more than 25 percent of the training", 0.25, true },
		{ "If more than ten percent of the 'operations'", 0.1, true },
		{ "of 1600 or more", 4800, false },
		{ "3A090.a.1", 1, false },
		{ "a.1. A TPP of 4800", 1, false },
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < nitems(rows); i++) {
		if (ecfr_text_has_number(rows[i].text, rows[i].v) !=
		    rows[i].has)
			fail_msg("row %zu: \"%s\" %s %g", i, rows[i].text,
			    rows[i].has ? "lacks" : "has", rows[i].v);
	}
}

/* Country names as the EAR writes them. */
static void
test_ecfr_country_code_names(void **state)
{
	static const struct { const char *name, *cc; } rows[] = {
		{ "CHINA, PEOPLE'S REPUBLIC OF", "CN" }, { "China", "CN" },
		{ "Korea, South", "KR" }, { "Korea, North", "KP" },
		{ "T\xc3\xbcrkiye", "TR" }, { "Burma", "MM" },
		{ "Bahamas, The", "BS" }, { "St. Kitts and Nevis", "KN" },
		{ "Saint Kitts & Nevis", "KN" }, { "Cote d'Ivoire", "CI" },
		{ "Congo (Democratic Republic of the)", "CD" },
		{ "Sint Maarten (the Dutch two-fifths of the island of Saint "
		    "Martin)", "SX" },
		{ "RUSSIA", "RU" }, { "Macau", "MO" },
		{ "United Arab Emirates", "AE" }, { "Atlantis", NULL },
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < nitems(rows); i++) {
		const char *cc = ecfr_country_code(rows[i].name);

		if (rows[i].cc == NULL)
			assert_null(cc);
		else if (cc == NULL || strcmp(cc, rows[i].cc) != 0)
			fail_msg("%s: expected %s, got %s", rows[i].name,
			    rows[i].cc, cc ? cc : "NULL");
	}
}

/* Entities are never expanded; external ones never fetched. */
static void
test_ecfr_rejects_entities_and_bad_roots(void **state)
{
	static const char *const bad[] = {
		"<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY a \"aaaa\">"
		"<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]>"
		"<DIV9 N=\"Supplement No. 1 to Part 774\"><P>&b;</P></DIV9>",
		"<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY x SYSTEM "
		"\"file:///etc/passwd\">]><DIV8 N=\"\xc2\xa7 740.1\"><P>&x;</P>"
		"</DIV8>",
		"<html><body/></html>",
		"<DIV5 N=\"740\"><P>unclosed</DIV5>",
		"",
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < nitems(bad); i++) {
		char		*cause = NULL;
		struct ecfr_doc	*doc = ecfr_parse_memory(bad[i], strlen(bad[i]),
		    "2026-01-01", &cause);

		if (doc != NULL)
			fail_msg("input %zu parsed", i);
		assert_non_null(cause);
		assert_non_null(strstr(cause, "input:"));
		free(cause);
	}
}

/* A file without a date in its metadata needs --date. */
static void
test_ecfr_requires_a_date(void **state)
{
	static const char xml[] = "<DIV8 N=\"\xc2\xa7 740.1\" TYPE=\"SECTION\">"
	    "<HEAD>\xc2\xa7 740.1 Introduction.</HEAD><P>(a) Scope.</P>"
	    "<P>(1) One.</P></DIV8>";
	char		*cause = NULL;
	struct ecfr_doc	*doc;

	(void)state;
	doc = ecfr_parse_memory(xml, sizeof xml - 1, NULL, &cause);
	assert_null(doc);
	assert_non_null(strstr(cause, "--date"));
	free(cause);
	doc = ecfr_parse_memory(xml, sizeof xml - 1, "2026-07-23", &cause);
	assert_non_null(doc);
	assert_non_null(ecfr_find(doc, "15 CFR 740.1(a)(1)"));
	ecfr_free(doc);
}

/* Truncation at many offsets fails cleanly with a line, never crashes. */
static void
truncate_everywhere(const char *path, size_t steps)
{
	size_t	 len, off, step;
	char	*buf = slurp(path, &len);

	assert_non_null(buf);
	step = len / steps > 0 ? len / steps : 1;
	for (off = 1; off < len - 16; off += step) {
		char		*cause = NULL;
		struct ecfr_doc	*doc = ecfr_parse_memory(buf, off,
		    "2026-06-01", &cause);

		if (doc != NULL)
			fail_msg("%s truncated at %zu parsed", path, off);
		assert_non_null(cause);
		free(cause);
	}
	free(buf);
}

static void
test_ecfr_truncated_fixtures_fail(void **state)
{
	(void)state;
	truncate_everywhere(FIX "part740_country_groups.xml", 97);
	truncate_everywhere(FIX "part744_entity_list.xml", 97);
}

/* --- with ../shared/data --- */

static bool
have_shared(void)
{
	return access(CCL, R_OK) == 0;
}

/* 15 CFR 774 Supp. 1 (local eCFR, ~June 2026): golden paragraphs. */
static void
test_ecfr_ccl_golden_paragraphs(void **state)
{
	static const struct {
		const char	*cite;
		double		 nums[4];
		const char	*words;
	} rows[] = {
		/* 3A090 as of 88 FR 73458 (eff. 2023-11-17), unchanged since */
		{ "15 CFR 774 Supp. 1, 3A090.a.1", { 4800 }, "total processing" },
		{ "15 CFR 774 Supp. 1, 3A090.a.2", { 1600, 5.92 }, "density" },
		{ "15 CFR 774 Supp. 1, 3A090.b.1", { 2400, 4800, 1.6, 5.92 },
		    "less than" },
		{ "15 CFR 774 Supp. 1, 3A090.b.2", { 1600, 3.2, 5.92 }, "3.2" },
		/* 3A090.c HBM, 90 FR 1 ... (Dec 2024 rule) */
		{ "15 CFR 774 Supp. 1, 3A090.c", { 2 }, "High bandwidth memory" },
		{ "15 CFR 774 Supp. 1, 4A090.a", { 0 }, "3A090.a" },
		/* 4E091 (90 FR 4544): notes */
		{ "15 CFR 774 Supp. 1, 4E091 Technical Note 2", { 0 },
		    "pre-training" },
		{ "15 CFR 774 Supp. 1, 4E091 Technical Note 3", { 0.1 },
		    "data-generation model" },
		{ "15 CFR 774 Supp. 1, 4E091 Note 1", { 2.5e25, 0.25 },
		    "published" },
		{ "15 CFR 774 Supp. 1, 4E091 Note 2", { 0 }, "most advanced" },
		{ "15 CFR 774 Supp. 1, 5A992.z.1", { 0 }, "3A090.a" },
		{ "15 CFR 774 Supp. 1, 3A090.a Technical Note 2", { 4800 },
		    "MacTOPS" },
	};
	struct ecfr_doc	*doc;
	const struct ecfr_node *n;
	size_t		 i, k;

	(void)state;
	if (!have_shared())
		skip();
	doc = parse_ok(CCL, "2026-06-01");
	for (i = 0; i < nitems(rows); i++) {
		if ((n = ecfr_find(doc, rows[i].cite)) == NULL)
			fail_msg("%s not found", rows[i].cite);
		if (strstr(n->body, rows[i].words) == NULL)
			fail_msg("%s lacks \"%s\": %s", rows[i].cite,
			    rows[i].words, n->body);
		for (k = 0; k < 4 && rows[i].nums[k] != 0; k++) {
			if (!ecfr_text_has_number(n->body, rows[i].nums[k]))
				fail_msg("%s lacks %g: %s", rows[i].cite,
				    rows[i].nums[k], n->body);
		}
	}
	/* headings, reasons for control, controls */
	n = ecfr_find(doc, "15 CFR 774 Supp. 1, 4E091");
	assert_non_null(n);
	assert_non_null(strstr(n->heading, "10^26"));
	n = ecfr_find(doc, "15 CFR 774 Supp. 1, 3A090 Reason for Control");
	assert_non_null(n);
	assert_string_equal(n->body, "RS, AT");
	for (i = k = 0; i < doc->ncontrols; i++) {
		if (strcmp(doc->controls[i].eccn, "3A090") == 0)
			k++;
	}
	assert_int_equal(k, 4);	/* RS .a, RS .b, RS .c, AT */
	ecfr_free(doc);
}

/*
 * The number of ECCNs: 637 distinct FP-2/B headers, as commoditybench
 * counts. ecmcp's 633 (eCFR 2026-07-23) is a subset: every one of its
 * ECCNs is found here; the four more are entries its later snapshot or
 * its filter does not list.
 */
static void
test_ecfr_ccl_eccn_count(void **state)
{
	json_t		*j;
	json_error_t	 err;
	struct ecfr_doc	*doc;
	size_t		 i, missing = 0;
	json_t		*e;

	(void)state;
	if (!have_shared())
		skip();
	doc = parse_ok(CCL, "2026-06-01");
	assert_int_equal(doc->neccns, 637);
	j = json_load_file(DERIVED "commoditybench_ccl_index.json", 0, &err);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "n_entries")),
	    (json_int_t)doc->neccns);
	json_decref(j);
	j = json_load_file(DERIVED "ecmcp_ccl.json", 0, &err);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "entryCount")),
	    633);
	json_array_foreach(json_object_get(j, "entries"), i, e) {
		char	 cite[64];

		snprintf(cite, sizeof cite, "15 CFR 774 Supp. 1, %s",
		    json_string_value(json_object_get(e, "eccn")));
		if (ecfr_find(doc, cite) == NULL) {
			print_message("ecmcp ECCN not found: %s\n", cite);
			missing++;
		}
	}
	assert_int_equal(missing, 0);
	json_decref(j);
	ecfr_free(doc);
}

/* The fixture's groups against the derived JSON itself. */
static void
test_ecfr_country_groups_match_json(void **state)
{
	json_t		*j, *by, *members, *g;
	json_error_t	 err;
	struct ecfr_doc	*doc;
	const char	*letter, *country;
	size_t		 n = 0, i;

	(void)state;
	if (!have_shared())
		skip();
	j = json_load_file(DERIVED "ecmcp_country-groups.json", 0, &err);
	assert_non_null(j);
	doc = parse_ok(FIX "part740_country_groups.xml", NULL);
	by = json_object_get(j, "byCountry");
	json_object_foreach(by, letter, members) {
		json_t	*list;

		json_object_foreach(members, country, list) {
			json_array_foreach(list, i, g) {
				size_t	 k;
				bool	 found = false;

				for (k = 0; k < doc->ngroups; k++) {
					if (strcmp(doc->groups[k].group,
					    json_string_value(g)) == 0 &&
					    strcmp(doc->groups[k].country_name,
					    country) == 0)
						found = true;
				}
				if (!found)
					fail_msg("%s %s missing",
					    json_string_value(g), country);
				n++;
			}
		}
	}
	assert_int_equal(n, doc->ngroups);
	ecfr_free(doc);
	json_decref(j);
}

/* Truncating the real CCL at 64 offsets: each fails, none crashes. */
static void
test_ecfr_ccl_truncated_fails(void **state)
{
	(void)state;
	if (!have_shared())
		skip();
	truncate_everywhere(CCL, 64);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ecfr_country_groups_match_derived_table),
		cmocka_unit_test(test_ecfr_country_groups_known_members),
		cmocka_unit_test(test_ecfr_country_chart_matches_derived_table),
		cmocka_unit_test(test_ecfr_entity_list_matches_csl_rows),
		cmocka_unit_test(test_ecfr_entity_blank_country_inherits),
		cmocka_unit_test(test_ecfr_text_numbers_forms),
		cmocka_unit_test(test_ecfr_country_code_names),
		cmocka_unit_test(test_ecfr_rejects_entities_and_bad_roots),
		cmocka_unit_test(test_ecfr_requires_a_date),
		cmocka_unit_test(test_ecfr_truncated_fixtures_fail),
		cmocka_unit_test(test_ecfr_ccl_golden_paragraphs),
		cmocka_unit_test(test_ecfr_ccl_eccn_count),
		cmocka_unit_test(test_ecfr_country_groups_match_json),
		cmocka_unit_test(test_ecfr_ccl_truncated_fails),
	};

	log_init("test_ecfr", LOG_LVL_WARN, false);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
