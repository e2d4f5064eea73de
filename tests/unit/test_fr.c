/*
 * test_fr.c: the Federal Register parser (importers/fr.c) without a
 * database, on 88 FR 12170 (FR Doc. 2023-03929, Entity List additions,
 * effective 2023-02-24): the committed trimmed copy always, the full file
 * from ../shared/data when present. Run from the repository root.
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

#include "ear.h"
#include "importers.h"

#define FR_FULL "../shared/data/regs/fr/FR_2023-03929_entity_list_additions_88FR12170.xml"
#define FR_TRIM "tests/fixtures/fr/FR_2023-03929_trimmed.xml"

/* The 13 entries of 88 FR 12170 (10 entities, some under 2-3 countries). */
static const struct {
	const char	*cc, *name;
	size_t		 naliases;
} fr_rows[] = {
	{ "CA", "CPUNTO Inc.", 1 },
	{ "CA", "Electronic Network Inc.", 6 },
	{ "CN", "AOOK Technology Ltd.", 2 },
	{ "CN", "Beijing Ti-Tech Science and Technology Development Co.", 2 },
	{ "CN", "Beijing Yunze Technology Co., Ltd.", 3 },
	{ "CN", "China HEAD Aerospace Technology Co.", 7 },
	{ "CN", "Spacety Co., Ltd.", 3 },
	{ "FR", "China HEAD Aerospace Technology Co.", 7 },
	{ "LU", "Spacety Co., Ltd.", 3 },
	{ "NL", "China HEAD Aerospace Technology Co.", 7 },
	{ "RU", "Dexias Industrial Products and Trade Limited Company", 5 },
	{ "RU", "Innovation and Technologies LLC", 2 },
	{ "RU", "Promtekhkomplekt JSC", 4 },
};

static void
check_rule(const char *path)
{
	char		*cause = NULL;
	struct fr_doc	*doc = fr_parse_file(path, &cause);
	size_t		 i;

	if (doc == NULL)
		fail_msg("%s: %s", path, cause);
	assert_string_equal(doc->citation, "88 FR 12170");
	assert_string_equal(doc->doc_number, "2023-03929");
	assert_string_equal(doc->rin, "0694-AJ13");
	assert_string_equal(doc->cfr, "15 CFR Part 744");
	assert_string_equal(doc->subject,
	    "Additions of Entities to the Entity List");
	assert_string_equal(doc->effective, "2023-02-24");	/* DATES */
	assert_string_equal(doc->published, "2023-02-27");
	assert_int_equal(doc->nentities, nitems(fr_rows));
	for (i = 0; i < nitems(fr_rows); i++) {
		const struct ecfr_entity *e = &doc->entities[i].e;

		assert_int_equal(doc->entities[i].action, FR_ADD);
		assert_non_null(e->country);
		if (strcmp(e->country, fr_rows[i].cc) != 0 ||
		    strcmp(e->name, fr_rows[i].name) != 0)
			fail_msg("row %zu: %s %s, expected %s %s", i,
			    e->country, e->name, fr_rows[i].cc,
			    fr_rows[i].name);
		assert_int_equal(e->naliases, fr_rows[i].naliases);
		assert_true(e->naddresses >= 1);
		/* footnote 3: Russia/Belarus military end user (734.9(g)) */
		assert_int_equal(e->nfootnotes, 1);
		assert_int_equal(e->footnotes[0], 3);
		assert_int_equal(e->nfr_citations, 1);
		assert_string_equal(e->fr_citations[0], "88 FR 12170, 2/27/23");
		assert_non_null(strstr(e->review_policy, "Policy of denial"));
	}
	assert_string_equal(doc->entities[0].e.aliases[0], "CPUNTO");
	fr_free(doc);
}

static void
test_fr_entity_list_additions_trimmed(void **state)
{
	(void)state;
	check_rule(FR_TRIM);
}

static void
test_fr_entity_list_additions_full(void **state)
{
	(void)state;
	if (access(FR_FULL, R_OK) != 0)
		skip();
	check_rule(FR_FULL);
}

/* AMDPAR actions: "by revising", "by removing" (removals not in a table). */
static void
test_fr_amdpar_actions(void **state)
{
	static const char xml[] =
	    "<RULE><PREAMB><AGENCY>DEPARTMENT OF COMMERCE</AGENCY>"
	    "<SUBJECT>Entity List revisions</SUBJECT><EFFDATE><P>This rule is "
	    "effective March 1, 2024.</P></EFFDATE></PREAMB><SUPLINF>"
	    "<PRTPAGE P=\"15001\"/><REGTEXT TITLE=\"15\" PART=\"744\">"
	    "<AMDPAR>a. Under CHINA, PEOPLE'S REPUBLIC OF, by revising the "
	    "entry for \xe2\x80\x9c" "Alpha Ltd.\xe2\x80\x9d;</AMDPAR>"
	    "<AMDPAR>b. Under RUSSIA, by removing the entry for \xe2\x80\x9c"
	    "Beta LLC\xe2\x80\x9d.</AMDPAR>"
	    "<GPOTABLE COLS=\"5\"><ROW><ENT I=\"01\">CHINA, PEOPLE'S REPUBLIC "
	    "OF</ENT><ENT>Alpha Ltd.</ENT><ENT>For all items.</ENT>"
	    "<ENT>Presumption of denial.</ENT><ENT>89 FR 1, 1/2/24.</ENT>"
	    "</ROW></GPOTABLE></REGTEXT></SUPLINF>"
	    "<FRDOC>[FR Doc. 2024-00001 Filed 2-28-24; 8:45 am]</FRDOC></RULE>";
	char		*cause = NULL;
	struct fr_doc	*doc = fr_parse_memory(xml, sizeof xml - 1, &cause);

	(void)state;
	if (doc == NULL)
		fail_msg("%s", cause);
	assert_string_equal(doc->effective, "2024-03-01");
	assert_string_equal(doc->citation, "89 FR 15000");
	assert_string_equal(doc->doc_number, "2024-00001");
	assert_int_equal(doc->nentities, 2);
	assert_int_equal(doc->entities[0].action, FR_REVISE);
	assert_string_equal(doc->entities[0].e.name, "Alpha Ltd.");
	assert_int_equal(doc->entities[1].action, FR_REMOVE);
	assert_string_equal(doc->entities[1].e.name, "Beta LLC");
	assert_string_equal(doc->entities[1].e.country, "RU");
	fr_free(doc);
}

/* Truncated or hostile rules fail with a line and never crash. */
static void
test_fr_truncated_and_hostile_fail(void **state)
{
	static const char hostile[] = "<?xml version=\"1.0\"?><!DOCTYPE r ["
	    "<!ENTITY x SYSTEM \"file:///etc/passwd\">]><RULE><PREAMB>"
	    "<AGENCY>&x;</AGENCY></PREAMB></RULE>";
	FILE	*f = fopen(FR_TRIM, "rb");
	char	*buf, *cause = NULL;
	long	 len, off;
	struct fr_doc *doc;

	(void)state;
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = xmalloc(len);
	assert_int_equal(fread(buf, 1, len, f), (size_t)len);
	fclose(f);
	for (off = 1; off < len - 20; off += len / 89) {
		doc = fr_parse_memory(buf, off, &cause);
		if (doc != NULL)
			fail_msg("truncated at %ld parsed", off);
		assert_non_null(strstr(cause, "input:"));
		free(cause);
		cause = NULL;
	}
	free(buf);
	doc = fr_parse_memory(hostile, sizeof hostile - 1, &cause);
	assert_null(doc);
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fr_entity_list_additions_trimmed),
		cmocka_unit_test(test_fr_entity_list_additions_full),
		cmocka_unit_test(test_fr_amdpar_actions),
		cmocka_unit_test(test_fr_truncated_and_hostile_fail),
	};

	log_init("test_fr", LOG_LVL_WARN, false);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
