/*
 * test_csl: the Consolidated Screening List parser (importers/csl.c), JSON
 * and CSV, its errors with their position, and the content hash that makes
 * a disposition lapse when a listed entry changes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "importers.h"

/* One Entity List entry in trade.gov's JSON shape (keys out of order). */
#define CSL_ENTRY \
	"{\"source\":\"Entity List (EL) - Bureau of Industry and Security\"," \
	"\"name\":\"Acme Export Ltd\",\"alt_names\":[\"Acme\"]," \
	"\"federal_register_notice\":\"89 FR 1234\"," \
	"\"addresses\":[{\"country\":\"CN\"}]}"

/* The row of a party by index, with a string member. */
static const char *
row_str(json_t *rows, size_t i, const char *k)
{
	return (json_string_value(json_object_get(json_array_get(rows, i),
	    k)));
}

/* JSON: {"results": [...]}, list code from the source, countries from the
 * addresses, entry id prefixed by the list code. */
static void
test_csl_json_parses_results(void **state)
{
	static const char buf[] = "{\"results\":[" CSL_ENTRY ","
	    "{\"source\":\"Specially Designated Nationals (SDN) - Treasury "
	    "Department\",\"name\":\"NEKRASOV, Aleksandr\","
	    "\"entity_number\":\"15268\",\"alt_names\":[],\"addresses\":["
	    "{\"country\":\"RU\"},{\"country\":\"\"}],\"programs\":"
	    "[\"RUSSIA-EO14024\"]}]}";
	json_t	*rows;
	char	*cause = NULL;

	(void)state;
	rows = csl_parse(buf, sizeof buf - 1, &cause);
	assert_non_null(rows);
	assert_int_equal(json_array_size(rows), 2);
	assert_string_equal(row_str(rows, 0, "list"), "EL");
	assert_string_equal(row_str(rows, 0, "name"), "Acme Export Ltd");
	assert_string_equal(row_str(rows, 0, "federal_register_notice"),
	    "89 FR 1234");
	assert_int_equal(strncmp(row_str(rows, 0, "entry_id"), "EL:", 3), 0);
	assert_string_equal(json_string_value(json_array_get(json_object_get(
	    json_array_get(rows, 0), "countries"), 0)), "CN");
	assert_string_equal(row_str(rows, 1, "list"), "SDN");
	/* The list's own number when it has one. */
	assert_string_equal(row_str(rows, 1, "entry_id"), "SDN:15268");
	assert_int_equal(json_array_size(json_object_get(json_array_get(rows,
	    1), "countries")), 1);
	json_decref(rows);
}

/* The content hash is sha256 of the entry as compact JSON with sorted keys:
 * the same entry in another key order hashes alike, a changed one does not
 * (schema/030_parties.sql: a disposition lapses when the entry changes). */
static void
test_csl_content_hash_follows_content(void **state)
{
	static const char a[] = "[" CSL_ENTRY "]";
	static const char b[] = "[{\"addresses\":[{\"country\":\"CN\"}],"
	    "\"alt_names\":[\"Acme\"],\"federal_register_notice\":"
	    "\"89 FR 1234\",\"name\":\"Acme Export Ltd\",\"source\":"
	    "\"Entity List (EL) - Bureau of Industry and Security\"}]";
	static const char c[] = "[{\"addresses\":[{\"country\":\"CN\"}],"
	    "\"alt_names\":[\"Acme\"],\"federal_register_notice\":"
	    "\"89 FR 1234, 90 FR 5678\",\"name\":\"Acme Export Ltd\","
	    "\"source\":\"Entity List (EL) - Bureau of Industry and "
	    "Security\"}]";
	json_t	*ra, *rb, *rc;
	char	*cause = NULL;

	(void)state;
	ra = csl_parse(a, sizeof a - 1, &cause);
	rb = csl_parse(b, sizeof b - 1, &cause);
	rc = csl_parse(c, sizeof c - 1, &cause);
	assert_non_null(ra);
	assert_non_null(rb);
	assert_non_null(rc);
	/* sha256 of the sorted compact text, computed independently. */
	assert_string_equal(row_str(ra, 0, "content_hash"),
	    "4e0b8c817f9decd7d4bd6b9b1a08eda3e2ac980a1df2e7f6f9a65c8726f090e3");
	assert_string_equal(row_str(ra, 0, "content_hash"),
	    row_str(rb, 0, "content_hash"));
	assert_string_not_equal(row_str(ra, 0, "content_hash"),
	    row_str(rc, 0, "content_hash"));
	/* The entry id does not depend on the changed column. */
	assert_string_equal(row_str(ra, 0, "entry_id"),
	    row_str(rc, 0, "entry_id"));
	json_decref(ra);
	json_decref(rb);
	json_decref(rc);
}

/* The content hash is taken over exactly what jansson's
 * json_dumps(JSON_COMPACT | JSON_SORT_KEYS) writes, whatever the entry
 * holds: escapes, control characters, non-ASCII, nesting, numbers, empty
 * containers, keys that sort bytewise (the hash of every stored party
 * depends on it; schema/030_parties.sql). */
static void
test_csl_content_hash_is_over_jansson_dump(void **state)
{
	static const char *const entries[] = {
		CSL_ENTRY,
		"{\"source\":\"Entity List (EL)\",\"name\":\"Quote \\\" and "
		"back\\\\slash / slash\",\"alt_names\":[\"tab\\there\",\"nl\\n"
		"cr\\r\",\"bell\\u0007 esc\\u001b del\\u007f\",\"\\b\\f\"]}",
		"{\"source\":\"SDN\",\"name\":\"Ni\\u00f1o \\u4e2d\\u56fd "
		"\\ud83d\\ude00 \\u2028\",\"Zeta\":1,\"alpha\":-42,\"B\":true,"
		"\"a\":false,\"_\":null,\"e\":{},\"f\":[],\"addresses\":[{"
		"\"country\":\"RU\",\"nested\":{\"z\":[1,2,{\"y\":\"x\"}],"
		"\"a\":0}}],\"\\u00e9\":\"key\",\"ab\":1,\"a b\":2}",
		"{\"source\":\"DPL\",\"name\":\"Real\",\"score\":0.1,"
		"\"big\":1e300,\"i\":9007199254740993}",
	};
	char		 buf[4096], *dump, hex[65];
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen, k;
	size_t		 i;
	json_t		*rows, *e;
	json_error_t	 jerr;
	char		*cause = NULL;

	(void)state;
	for (i = 0; i < sizeof entries / sizeof entries[0]; i++) {
		snprintf(buf, sizeof buf, "{\"results\": [%s]}", entries[i]);
		rows = csl_parse(buf, strlen(buf), &cause);
		if (rows == NULL)
			fail_msg("entry %zu: %s", i, cause);
		e = json_loads(entries[i], 0, &jerr);
		assert_non_null(e);
		dump = json_dumps(e, JSON_COMPACT | JSON_SORT_KEYS);
		EVP_Digest(dump, strlen(dump), md, &mdlen, EVP_sha256(), NULL);
		for (k = 0; k < mdlen; k++)
			snprintf(hex + 2 * k, 3, "%02x", md[k]);
		if (strcmp(row_str(rows, 0, "content_hash"), hex) != 0)
			fail_msg("entry %zu: hash of %s differs", i, dump);
		free(dump);
		json_decref(e);
		json_decref(rows);
	}
}

/* The same name listed twice gets distinct entry ids. */
static void
test_csl_duplicate_entries_get_suffixes(void **state)
{
	static const char buf[] = "[" CSL_ENTRY "," CSL_ENTRY "]";
	json_t	*rows;
	char	*cause = NULL;

	(void)state;
	rows = csl_parse(buf, sizeof buf - 1, &cause);
	assert_non_null(rows);
	assert_string_not_equal(row_str(rows, 0, "entry_id"),
	    row_str(rows, 1, "entry_id"));
	assert_non_null(strstr(row_str(rows, 1, "entry_id"), "-2"));
	json_decref(rows);
}

/* CSV: trade.gov's columns, "; "-separated alt names and addresses whose
 * last comma-separated part is the country; quoted fields; a BOM. */
static void
test_csl_csv_parses_rows(void **state)
{
	static const char buf[] = "\xef\xbb\xbf"
	    "_id,source,entity_number,type,programs,name,title,addresses,"
	    "federal_register_notice,start_date,license_requirement,"
	    "license_policy,alt_names\r\n"
	    "1,Entity List (EL) - Bureau of Industry and Security,,Entity,,"
	    "\"Acme Export Ltd\",,\"1 Road, Shenzhen, CN; 2 Street, Hong "
	    "Kong, HK\",89 FR 1234,,For all items subject to the EAR,"
	    "Presumption of denial,Acme; Acme HK\r\n"
	    "2,Denied Persons List (DPL) - Bureau of Industry and Security,,"
	    ",,\"KAL TEK LABS\",,\"Somewhere, US\",,,,,\r\n";
	json_t	*rows, *r0;
	char	*cause = NULL;

	(void)state;
	rows = csl_parse(buf, sizeof buf - 1, &cause);
	if (rows == NULL)
		fail_msg("%s", cause);
	assert_int_equal(json_array_size(rows), 2);
	r0 = json_array_get(rows, 0);
	assert_string_equal(row_str(rows, 0, "list"), "EL");
	assert_string_equal(row_str(rows, 0, "license_policy"),
	    "Presumption of denial");
	assert_int_equal(json_array_size(json_object_get(r0, "alt_names")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(
	    r0, "alt_names"), 1)), "Acme HK");
	assert_int_equal(json_array_size(json_object_get(r0, "countries")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(
	    r0, "countries"), 1)), "HK");
	assert_string_equal(row_str(rows, 1, "list"), "DPL");
	json_decref(rows);
}

/* The document's frame is walked around the entries: members before and
 * after "results" (trade.gov puts "sources_used" and "total" first), scalar
 * members, white space, a bare array; the rows are the entries in order. */
static void
test_csl_json_frame_streams_entries(void **state)
{
	static const struct {
		const char	*buf;
		size_t		 rows;
	} cases[] = {
		{ "{\"sources_used\": [{\"source\": \"x\"}], \"total\": 2,"
		  "\"results\": [" CSL_ENTRY ",\n" CSL_ENTRY "],"
		  "\"search_performed_at\": null, \"ok\":true}", 2 },
		{ "\n  {  \"results\"  :  [  " CSL_ENTRY "  ]  }  \n", 1 },
		{ "{\"total\":1,\"results\":[" CSL_ENTRY "],\"n\":-1.5e3}", 1 },
		{ "[" CSL_ENTRY "]", 1 },
		{ "\xef\xbb\xbf{\"results\": [" CSL_ENTRY "]}", 1 },
	};
	size_t	 i;
	json_t	*rows;
	char	*cause;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cause = NULL;
		rows = csl_parse(cases[i].buf, strlen(cases[i].buf), &cause);
		if (rows == NULL)
			fail_msg("case %zu: %s", i, cause);
		assert_int_equal(json_array_size(rows), cases[i].rows);
		assert_string_equal(row_str(rows, 0, "name"),
		    "Acme Export Ltd");
		/* The same hash as the entry alone (content_hash test). */
		assert_string_equal(row_str(rows, 0, "content_hash"),
		    "4e0b8c817f9decd7d4bd6b9b1a08eda3e2ac980a1df2e7f6f9a65c87"
		    "26f090e3");
		json_decref(rows);
	}
}

/* Bad files are refused with where: the line of a JSON syntax error, the
 * party's number, the CSV line. */
static void
test_csl_bad_files_say_where(void **state)
{
	static const struct {
		const char	*buf;
		const char	*want;	/* in the cause */
	} cases[] = {
		{ "{\"results\": [\n{\"name\": \"A\",\n\"source\": }]}",
		  "invalid JSON at line 3" },
		{ "{\"parties\": []}", "no \"results\" array" },
		{ "{\"results\": []}", "no parties" },
		{ "[" CSL_ENTRY ", {\"source\": \"Entity List (EL)\"}]",
		  "party 2 has no \"name\"" },
		{ "[{\"name\": \"Acme\"}]", "party 1 (\"Acme\") has no "
		  "\"source\"" },
		{ "[42]", "party 1 is not an object" },
		{ "id,title\n1,x\n", "line 1: the header has no \"source\"" },
		{ "source,name\nEntity List (EL),Acme\n,Nameless Source\n",
		  "line 3:" },
		{ "source,name\n", "no parties" },
		{ "source,name\n\"Entity List (EL),Acme\n",
		  "line 2" },
		/* The frame around the entries is read as it streams. */
		{ "{\"total\": 1,\n\"results\": [" CSL_ENTRY "]\n,}",
		  "invalid JSON at line 3: string expected" },
		{ "{\"results\": [" CSL_ENTRY "]}\n x", "invalid JSON at line "
		  "2: end of file expected" },
		{ "{\"results\": [" CSL_ENTRY " " CSL_ENTRY "]}",
		  "',' or ']' expected" },
		{ "{\"results\": [" CSL_ENTRY "] \"total\": 1}",
		  "',' or '}' expected" },
		{ "{\"results\" [" CSL_ENTRY "]}", "':' expected" },
		{ "{\"results\": [" CSL_ENTRY "],\n\"results\": []}",
		  "line 2: \"results\" given twice" },
		{ "{\"results\": {\"name\": \"A\"}}", "no \"results\" array" },
		{ "{\"results\": [" CSL_ENTRY "],\n\n\"total\": tru}",
		  "invalid JSON at line 3" },
		{ "{\"results\": [" CSL_ENTRY ",\n{\"name\": \"A\"}", "party 2" },
		{ "{\"results\": [" CSL_ENTRY, "invalid JSON" },
		{ "{}", "no \"results\" array" },
	};
	size_t	 i;
	json_t	*rows;
	char	*cause;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cause = NULL;
		rows = csl_parse(cases[i].buf, strlen(cases[i].buf), &cause);
		if (rows != NULL)
			fail_msg("case %zu parsed", i);
		assert_non_null(cause);
		if (strstr(cause, cases[i].want) == NULL)
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, cause,
			    cases[i].want);
		free(cause);
	}
}

/* The fixture of the integration tests parses whole. */
static void
test_csl_fixture_parses(void **state)
{
	FILE	*f;
	char	*buf, *cause = NULL;
	long	 n;
	json_t	*rows;

	(void)state;
	if ((f = fopen("tests/fixtures/csl-sample.json", "rb")) == NULL)
		skip();
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	rows = csl_parse(buf, (size_t)n, &cause);
	free(buf);
	if (rows == NULL)
		fail_msg("%s", cause);
	assert_true(json_array_size(rows) > 40);
	json_decref(rows);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csl_json_parses_results),
		cmocka_unit_test(test_csl_content_hash_follows_content),
		cmocka_unit_test(test_csl_content_hash_is_over_jansson_dump),
		cmocka_unit_test(test_csl_duplicate_entries_get_suffixes),
		cmocka_unit_test(test_csl_csv_parses_rows),
		cmocka_unit_test(test_csl_json_frame_streams_entries),
		cmocka_unit_test(test_csl_bad_files_say_where),
		cmocka_unit_test(test_csl_fixture_parses),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
