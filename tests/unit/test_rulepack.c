/*
 * test_rulepack: the rulepack checker (importers/rulepack.c) without a
 * database: every curated pack validates, bad packs are refused with
 * "file:line: <element>: what", and XML predicates become the JSON arrays
 * of docs/ruleset.md. Run from the repository root (make unit does).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <libxml/parser.h>

#include "importers.h"

#define RNG	"rules/rulepack.rng"
#define BAD	"tests/fixtures/rulepacks/"

/* Every pack in rules/ passes the schema and the semantic checks. */
static void
test_rulepack_every_curated_pack_validates(void **state)
{
	glob_t	 g;
	size_t	 i;
	char	*cause = NULL;

	(void)state;
	assert_int_equal(glob("rules/[0-9]*.xml", 0, NULL, &g), 0);
	assert_true(g.gl_pathc >= 15);	/* the timeline, 2022 to 2026 */
	for (i = 0; i < g.gl_pathc; i++) {
		if (rulepack_validate_file(g.gl_pathv[i], RNG, &cause) != 0)
			fail_msg("%s", cause);
	}
	globfree(&g);
}

/* Bad packs: the message names file, line and element. */
static void
test_rulepack_errors_name_file_line_element(void **state)
{
	static const struct {
		const char	*file;
		const char	*want;
	} t[] = {
		/* Facts are docs/ruleset.md's table: the culprit's line, the rule's element. */
		{ BAD "bad-unknown-fact.xml", BAD "bad-unknown-fact.xml:9: "
		    "<requirement id=\"x\">: unknown fact \"tppp\"" },
		{ BAD "bad-range.xml", BAD "bad-range.xml:5: <param name=\"p\">: "
		    "empty validity: \"from\" must be before \"to\"" },
		{ BAD "bad-date.xml", BAD "bad-date.xml:5: <posture "
		    "target=\"x\">: invalid date in from: \"2030-02-30\"" },
		{ BAD "bad-review.xml", BAD "bad-review.xml:5: <requirement "
		    "id=\"z\">: a review requirement needs a <note> saying why" },
		/* RELAX NG: precedence is required. */
		{ BAD "bad-schema.xml", BAD "bad-schema.xml:5: <classification "
		    "id=\"y\">: " },
		/* No external entities: the parser never reads /etc/passwd. */
		{ BAD "bad-doctype.xml", BAD "bad-doctype.xml:6: " },
		{ BAD "bad-xml.xml", BAD "bad-xml.xml:5: " },
		{ "rules/no-such-pack.xml", "could not open file "
		    "\"rules/no-such-pack.xml\": " },
	};
	size_t	 i;
	char	*cause;

	(void)state;
	for (i = 0; i < nitems(t); i++) {
		cause = NULL;
		assert_int_equal(rulepack_validate_file(t[i].file, RNG,
		    &cause), -1);
		assert_non_null(cause);
		if (strncmp(cause, t[i].want, strlen(t[i].want)) != 0)
			fail_msg("%s: got \"%s\"", t[i].file, cause);
		assert_null(strstr(cause, "root:"));	/* no passwd content */
		free(cause);
	}
}

/* Packs that need the database (end of nothing, overlap) pass alone. */
static void
test_rulepack_db_only_errors_pass_validation(void **state)
{
	char	*cause = NULL;

	(void)state;
	assert_int_equal(rulepack_validate_file(BAD "bad-end.xml", RNG,
	    &cause), 0);
	assert_int_equal(rulepack_validate_file(BAD "bad-overlap.xml", RNG,
	    &cause), 0);
	assert_int_equal(rulepack_validate_file(BAD "good-extra.xml", RNG,
	    &cause), 0);
}

/* A document type declaration is refused even with internal entities only. */
static void
test_rulepack_refuses_doctype(void **state)
{
	char	 path[] = "/tmp/test_rulepack.XXXXXX";
	char	*cause = NULL;
	FILE	*f;
	int	 fd;

	(void)state;
	assert_true((fd = mkstemp(path)) >= 0);
	assert_non_null(f = fdopen(fd, "w"));
	fputs("<?xml version=\"1.0\"?>\n<!DOCTYPE rulepack [\n"
	    "<!ENTITY cc \"CN\">\n]>\n<rulepack id=\"T\" kind=\"guidance\">"
	    "<source citation=\"&cc;\" title=\"t\" effective=\"2030-01-01\"/>"
	    "</rulepack>\n", f);
	fclose(f);
	assert_int_equal(rulepack_validate_file(path, RNG, &cause), -1);
	assert_non_null(strstr(cause, "document type declarations are not "
	    "allowed"));
	free(cause);
	unlink(path);
}

/* XML predicates become docs/ruleset.md's JSON arrays. */
static void
test_rulepack_converts_predicates(void **state)
{
	static const struct {
		const char	*xml;
		const char	*json;
	} t[] = {
		/* 3A090.a.2, 15 CFR 774 Supp. 1: TPP >= 1600 and PD >= 5.92. */
		{ "<all><ge fact=\"tpp\" value=\"1600\"/><ge fact=\"pd\" "
		  "value=\"5.92\"/></all>",
		  "[\"all\", [\"ge\", \"tpp\", 1600.0], [\"ge\", \"pd\", 5.92]]" },
		/* Note 2 to 3A090: the datacenter fact is a boolean literal. */
		{ "<eq fact=\"datacenter\" value=\"true\"/>",
		  "[\"eq\", \"datacenter\", true]" },
		/* 742.6(a)(6)(iii): D:1, D:4, D:5 excluding A:5/A:6, plus Macau. */
		{ "<any><in-group fact=\"destination\" group=\"D:5\"/>"
		  "<in fact=\"destination\" values=\"MO HK\"/>"
		  "<not><in-group fact=\"destination\" group=\"A:6\"/></not></any>",
		  "[\"any\", [\"in_group\", \"destination\", \"D:5\"], [\"in\", "
		  "\"destination\", [\"MO\", \"HK\"]], [\"not\", [\"in_group\", "
		  "\"destination\", \"A:6\"]]]" },
		/* Letters: names with spaces as <value> children, next to values=. */
		{ "<in fact=\"exporter\" values=\"nvidia\"><value>nvidia "
		  "corporation</value></in>",
		  "[\"in\", \"exporter\", [\"nvidia\", \"nvidia corporation\"]]" },
		/* 4E091: the threshold is a fact reference. */
		{ "<ge fact=\"training_ops\"><fact name=\"ops_threshold\"/></ge>",
		  "[\"ge\", \"training_ops\", {\"fact\": \"ops_threshold\"}]" },
		/* Intel letter 2025: mem_bw >= 1700 - io_bw (sum >= 1700). */
		{ "<ge fact=\"mem_bw\"><add><num value=\"1700\"/><mul><num "
		  "value=\"-1\"/><fact name=\"io_bw\"/></mul></add></ge>",
		  "[\"ge\", \"mem_bw\", [\"add\", 1700.0, [\"mul\", -1.0, "
		  "{\"fact\": \"io_bw\"}]]]" },
		/* 4E091 Note 1 as an expression: max(2.5e25, 0.25 x ops). */
		{ "<le fact=\"additional_training_ops\"><max><num value=\"2.5e25\"/>"
		  "<mul><num value=\"0.25\"/><fact name=\"training_ops\"/></mul>"
		  "</max></le>",
		  "[\"le\", \"additional_training_ops\", [\"max\", 2.5e25, "
		  "[\"mul\", 0.25, {\"fact\": \"training_ops\"}]]]" },
		{ "<eccn prefix=\"3A090.a\"/>", "[\"eccn\", \"3A090.a\"]" },
		{ "<known fact=\"exporter\"/>", "[\"known\", \"exporter\"]" },
		{ "<true/>", "[\"true\"]" },
		{ "<eq fact=\"export_type\" value=\"reexport\"/>",
		  "[\"eq\", \"export_type\", \"reexport\"]" },
	};
	xmlDocPtr	 doc;
	json_t		*got, *want;
	json_error_t	 je;
	char		*cause = NULL, *s;
	size_t		 i;

	(void)state;
	for (i = 0; i < nitems(t); i++) {
		doc = xmlReadMemory(t[i].xml, (int)strlen(t[i].xml), "t.xml",
		    NULL, XML_PARSE_NONET);
		assert_non_null(doc);
		got = rulepack_convert_predicate(xmlDocGetRootElement(doc),
		    &cause);
		if (got == NULL)
			fail_msg("%s: %s", t[i].xml, cause);
		want = json_loads(t[i].json, 0, &je);
		assert_non_null(want);
		if (!json_equal(got, want)) {
			s = json_dumps(got, JSON_COMPACT);
			fail_msg("%s: got %s", t[i].xml, s);
		}
		json_decref(got);
		json_decref(want);
		xmlFreeDoc(doc);
	}
}

/* Malformed predicates are refused with the element's line. */
static void
test_rulepack_refuses_bad_predicates(void **state)
{
	static const struct {
		const char	*xml;
		const char	*want;
	} t[] = {
		{ "<ge fact=\"tppp\" value=\"1\"/>",
		  "line 1: <ge fact=\"tppp\">: unknown fact \"tppp\"" },
		{ "<not><true/><false/></not>",
		  "line 1: <not>: wrong number of operands" },
		{ "<in fact=\"destination\"/>",
		  "line 1: <in fact=\"destination\">: no values" },
		{ "<ge fact=\"tpp\"><num value=\"x\"/></ge>",
		  "line 1: <num>: invalid number \"x\"" },
		{ "<ge fact=\"tpp\"><fact name=\"nope\"/></ge>",
		  "line 1: <fact name=\"nope\">: unknown fact \"nope\"" },
	};
	xmlDocPtr	 doc;
	char		*cause;
	size_t		 i;

	(void)state;
	for (i = 0; i < nitems(t); i++) {
		cause = NULL;
		doc = xmlReadMemory(t[i].xml, (int)strlen(t[i].xml), "t.xml",
		    NULL, XML_PARSE_NONET);
		assert_non_null(doc);
		assert_null(rulepack_convert_predicate(
		    xmlDocGetRootElement(doc), &cause));
		assert_non_null(cause);
		if (strcmp(cause, t[i].want) != 0)
			fail_msg("%s: got \"%s\"", t[i].xml, cause);
		free(cause);
		xmlFreeDoc(doc);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rulepack_every_curated_pack_validates),
		cmocka_unit_test(test_rulepack_errors_name_file_line_element),
		cmocka_unit_test(test_rulepack_db_only_errors_pass_validation),
		cmocka_unit_test(test_rulepack_refuses_doctype),
		cmocka_unit_test(test_rulepack_converts_predicates),
		cmocka_unit_test(test_rulepack_refuses_bad_predicates),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
