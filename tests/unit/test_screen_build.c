/*
 * test_screen_build: the fast paths of the screening index (core/screen.c)
 * give the answers of the slow ones. The ASCII normaliser against the
 * Unicode one, the streamed builder (screen_builder_*, what eard feeds row
 * by row from the database, in any order: the parties' ids order them)
 * against screen_index_build() on the same parties as one document, and a
 * query asked twice (the second time from the cached fuzzy variants)
 * against itself. Fixture: tests/fixtures/
 * csl-sample.json (real CSL entries, 2026-07-31).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ear.h"

#define FIXTURE	"tests/fixtures/csl-sample.json"

/* Names of the lists and what users type: the ASCII path must fold them
 * exactly as the Unicode path does. */
static const char *ascii_names[] = {
	"Huawei Technologies Co., Ltd.",
	"S.A.L. de C.V.",
	"B&W Consulting",
	"Research & Development",
	"A&&B &C D&",
	"Mo'er `Xianchen`",
	"  leading and trailing  ",
	"tab\tand\nnewline\r",
	"JSC \"Kalashnikov Concern\"",
	"ROSTEC (State Corporation) / 2nd Office #12",
	"U.S.A. I.B.M. a.b",
	"x.y.z.",
	"..",
	"&",
	"",
	"ALL-CAPS_WITH-HYPHENS+PLUS=EQ",
	"Digits 123 and 4.5.6",
	"O'Neil's D'Arcy",
	"~!@$%^*()[]{}|\\:;<>?,",
};

/* A leading combining mark (U+0301) sends a name down the Unicode path,
 * and is stripped there: both paths must give the same text. */
static void
test_screen_normalise_ascii_path_matches_unicode_path(void **state)
{
	char	*fast, *slow, *marked;
	size_t	 i;

	(void)state;
	for (i = 0; i < nitems(ascii_names); i++) {
		xasprintf(&marked, "\xcc\x81%s", ascii_names[i]);
		fast = screen_normalise(ascii_names[i]);
		slow = screen_normalise(marked);
		assert_string_equal(fast, slow);
		free(fast);
		free(slow);
		free(marked);
	}
}

/* The fixture's parties fed one by one to the builder, as eard's loader
 * does with the rows of the parties table. */
static struct screen_index *
build_streamed(const json_t *doc, bool reversed)
{
	struct screen_builder	*b = screen_builder_new();
	struct screen_party_in	 in;
	const json_t		*e, *a, *v, *arr = json_object_get(doc,
				    "results");
	const char		*alts[64], *ccs[64];
	size_t			 i, j, k, n = json_array_size(arr);

	for (k = 0; k < n; k++) {
		/* Reversed, as rows of a table scan may come: the ids say
		 * the order. */
		i = reversed ? n - 1 - k : k;
		e = json_array_get(arr, i);
		memset(&in, 0, sizeof in);
		if (reversed)
			in.id = (int64_t)i + 1;
		in.name = json_string_value(json_object_get(e, "name"));
		in.source = json_string_value(json_object_get(e, "source"));
		in.entity_number = json_string_value(json_object_get(e,
		    "entity_number"));
		in.license_requirement = json_string_value(json_object_get(e,
		    "license_requirement"));
		in.license_policy = json_string_value(json_object_get(e,
		    "license_policy"));
		in.federal_register_notice = json_string_value(
		    json_object_get(e, "federal_register_notice"));
		in.type = json_string_value(json_object_get(e, "type"));
		json_array_foreach(json_object_get(e, "alt_names"), j, a) {
			if (in.nalt_names < nitems(alts))
				alts[in.nalt_names++] = json_string_value(a);
		}
		json_array_foreach(json_object_get(e, "addresses"), j, a) {
			v = json_object_get(a, "country");
			if (in.ncountries < nitems(ccs))
				ccs[in.ncountries++] = json_string_value(v);
		}
		in.alt_names = alts;
		in.countries = ccs;
		screen_builder_add_party(b, &in);
	}
	return (screen_builder_finish(b));
}

/* Queries over the fixture: hits, typos, aliases, acronyms, misses. */
static const struct {
	const char	*name;
	const char	*cc;
} queries[] = {
	{ "Huawei Technologies Co Ltd", "CN" },
	{ "Huawie Technolgies", NULL },
	{ "Semiconductor Manufacturing International Corporation", "CN" },
	{ "SMIC", NULL },
	{ "Kalashnikov", "RU" },
	{ "Orchard Valley Trading 23", "DE" },
	{ "Energy Holdings", NULL },
	{ "Acme Robotics GmbH", "DE" },
};

static void
test_screen_streamed_build_in_any_order_answers_as_document_build(void **state)
{
	json_t			*doc, *a, *b;
	json_error_t		 jerr;
	struct screen_index	*ix1, *ix2;
	char			*cause = NULL;
	size_t			 i;
	int			 r;

	(void)state;
	doc = json_load_file(FIXTURE, 0, &jerr);
	assert_non_null(doc);
	ix1 = screen_index_build(doc, &cause);
	assert_non_null(ix1);
	for (r = 0; r < 2; r++) {
		ix2 = build_streamed(doc, r == 1);
		assert_int_equal(screen_index_parties(ix1),
		    screen_index_parties(ix2));
		assert_int_equal(screen_index_names(ix1),
		    screen_index_names(ix2));
		assert_string_equal(screen_index_version(ix1),
		    screen_index_version(ix2));
		for (i = 0; i < nitems(queries); i++) {
			a = screen_query(ix1, queries[i].name, queries[i].cc,
			    NULL);
			b = screen_query(ix2, queries[i].name, queries[i].cc,
			    NULL);
			if (!json_equal(a, b))
				fail_msg("\"%s\" answers differently%s",
				    queries[i].name, r == 1 ?
				    " (parties fed in reverse)" : "");
			json_decref(a);
			json_decref(b);
		}
		screen_index_unref(ix2);
	}
	screen_index_unref(ix1);
	json_decref(doc);
}

/* The versions of a parties document label the lists; the builder gets
 * them with screen_builder_add_version() (schema/030_parties.sql). */
static void
test_screen_builder_labels_versions(void **state)
{
	struct screen_builder	*b = screen_builder_new();
	struct screen_party_in	 in;
	struct screen_index	*ix;
	const char		*alts[] = { "Alias One, with \"quotes\"" };
	/* A three-letter code and a NULL among the countries, as a list
	 * may carry: the builder must take them without harm. */
	const char		*ccs[] = { "CN", "CHN", NULL, "HK" };
	json_t			*lists, *res, *c;

	(void)state;
	screen_builder_add_version(b, 7, "csl", "89af6554deadbeef",
	    "2026-07-31", "2026-08-01T10:00:00+00:00");
	memset(&in, 0, sizeof in);
	in.name = "Example Listed Entity";
	in.list = "EL";
	in.source = "Entity List (EL) - Bureau of Industry and Security";
	in.entry_id = "EL:1";
	in.content_hash = "abc";
	in.alt_names = alts;
	in.nalt_names = nitems(alts);
	in.countries = ccs;
	in.ncountries = nitems(ccs);
	in.list_version = 7;
	screen_builder_add_party(b, &in);
	in.name = "";		/* no name: skipped */
	screen_builder_add_party(b, &in);
	ix = screen_builder_finish(b);
	assert_int_equal(screen_index_parties(ix), 1);
	assert_int_equal(screen_index_names(ix), 2);
	assert_string_equal(screen_index_version(ix),
	    "csl 7 (sha256 89af6554, 2026-07-31)");
	lists = screen_index_lists(ix);
	assert_string_equal(json_string_value(json_object_get(lists, "EL")),
	    "csl 7 (sha256 89af6554, 2026-07-31)");
	json_decref(lists);
	res = screen_query(ix, "Alias One with quotes", NULL, NULL);
	c = json_array_get(json_object_get(res, "candidates"), 0);
	assert_non_null(c);
	assert_string_equal(json_string_value(json_object_get(c,
	    "matched_on")), "alias \"Alias One, with \"quotes\"\"");
	/* Only two-letter codes are countries. */
	assert_int_equal(json_array_size(json_object_get(c, "countries")), 2);
	json_decref(res);
	screen_index_unref(ix);
	/* An abandoned builder frees what it built. */
	b = screen_builder_new();
	in.name = "Another";
	screen_builder_add_party(b, &in);
	screen_builder_free(b);
}

/* The second time a rare word is asked, its variants come from the cache:
 * same answer. */
static void
test_screen_cached_variants_answer_the_same(void **state)
{
	json_t			*doc, *a, *b;
	json_error_t		 jerr;
	struct screen_index	*ix;
	char			*cause = NULL;
	size_t			 i;

	(void)state;
	doc = json_load_file(FIXTURE, 0, &jerr);
	assert_non_null(doc);
	ix = screen_index_build(doc, &cause);
	assert_non_null(ix);
	for (i = 0; i < nitems(queries); i++) {
		a = screen_query(ix, queries[i].name, queries[i].cc, NULL);
		b = screen_query(ix, queries[i].name, queries[i].cc, NULL);
		if (!json_equal(a, b))
			fail_msg("\"%s\" answers differently the second time",
			    queries[i].name);
		json_decref(a);
		json_decref(b);
	}
	screen_index_unref(ix);
	json_decref(doc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_screen_normalise_ascii_path_matches_unicode_path),
		cmocka_unit_test(
		    test_screen_streamed_build_in_any_order_answers_as_document_build),
		cmocka_unit_test(test_screen_builder_labels_versions),
		cmocka_unit_test(test_screen_cached_variants_answer_the_same),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
