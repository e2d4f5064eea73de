/* test_cite: a verdict's citation split into stored cites (core/cite.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "ear.h"

/*
 * Each citation as the rulepacks in rules/ write it, and the parts
 * it must become: "kind|cite|eccn|label" joined with " ; ".
 */
static const struct {
	const char	*in;
	const char	*want;
} cases[] = {
	/* 20-87FR62186.xml etc.: a plain CCL paragraph. */
	{ "15 CFR 774 Supp. 1, 3A090.a.1",
	  "ccl|15 CFR 774 Supp. 1, 3A090.a.1|3A090|" },
	/* The form of issue 5, without the comma. */
	{ "15 CFR 774 Supp. 1 3A090.a.1",
	  "ccl|15 CFR 774 Supp. 1, 3A090.a.1|3A090|" },
	/* 3A090 Note 2 (88 FR 73458) scopes .a and .b. */
	{ "15 CFR 774 Supp. 1, 3A090.b.2 and Note 2",
	  "ccl|15 CFR 774 Supp. 1, 3A090.b.2|3A090| ; "
	  "ccl|15 CFR 774 Supp. 1, 3A090.b.2 Note 2|3A090|Note 2" },
	/* 4E091 Technical Note 3 (90 FR 4544). */
	{ "15 CFR 774 Supp. 1, 4E091 Technical Note 3",
	  "ccl|15 CFR 774 Supp. 1, 4E091 Technical Note 3|4E091|"
	  "Technical Note 3" },
	/* A remark naming an FR rule keeps the rule. */
	{ "15 CFR 774 Supp. 1, 4A090.a (87 FR 62186 text)",
	  "ccl|15 CFR 774 Supp. 1, 4A090.a|4A090| ; fr|87 FR 62186||" },
	{ "15 CFR 742.6(a)(6)(iii)",
	  "cfr|15 CFR 742.6(a)(6)(iii)||" },
	{ "15 CFR 742.6(b)(10) (91 FR 1684)",
	  "cfr|15 CFR 742.6(b)(10)|| ; fr|91 FR 1684||" },
	{ "15 CFR 740 (License Exception LPP), 90 FR 4544",
	  "cfr|15 CFR 740|| ; fr|90 FR 4544||" },
	{ "15 CFR 740 Supp. 1; 89 FR 40369",
	  "cfr|15 CFR 740 Supp. 1|| ; fr|89 FR 40369||" },
	{ "15 CFR 740 Supp. 1 (Hong Kong treated as China)",
	  "cfr|15 CFR 740 Supp. 1||" },
	{ "15 CFR 740 Supp. 1 and 774 Supp. 1, 3A090.b (eCFR 2026-07-23)",
	  "cfr|15 CFR 740 Supp. 1|| ; ccl|15 CFR 774 Supp. 1, 3A090.b|3A090|" },
	{ "15 CFR 740 Supp. 5(a) (90 FR 4544)",
	  "cfr|15 CFR 740 Supp. 5(a)|| ; fr|90 FR 4544||" },
	{ "88 FR 73458", "fr|88 FR 73458||" },
	/* Not a regulation: one part, whole. */
	{ "BIS is-informed letter to NVIDIA, 2025-04-09 (NVIDIA Form 8-K)",
	  "other|BIS is-informed letter to NVIDIA, 2025-04-09 "
	  "(NVIDIA Form 8-K)||" },
	{ "", "other|||" },
};

/* Every rulepack citation form splits as /v1/text looks it up. */
static void
test_cite_split_rulepack_forms(void **state)
{
	struct cite_part	 parts[8];
	char			 got[1024];
	size_t			 i, k, n;

	(void)state;
	for (i = 0; i < nitems(cases); i++) {
		n = cite_split(cases[i].in, parts, nitems(parts));
		*got = '\0';
		for (k = 0; k < n; k++)
			snprintf(got + strlen(got), sizeof got - strlen(got),
			    "%s%s|%s|%s|%s", k > 0 ? " ; " : "",
			    cite_kind_name(parts[k].kind), parts[k].cite,
			    parts[k].eccn, parts[k].label);
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("\"%s\": got \"%s\", want \"%s\"", cases[i].in,
			    got, cases[i].want);
	}
}

/* The output array is never overrun, and duplicates are merged. */
static void
test_cite_split_bounded_and_deduplicated(void **state)
{
	struct cite_part	 parts[2];
	size_t			 n;

	(void)state;
	n = cite_split("88 FR 1; 88 FR 2; 88 FR 3; 88 FR 4", parts, 2);
	assert_int_equal(n, 2);
	n = cite_split("88 FR 1; 88 FR 1 (88 FR 1)", parts, 2);
	assert_int_equal(n, 1);
	assert_int_equal(cite_split("88 FR 1", parts, 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cite_split_rulepack_forms),
		cmocka_unit_test(test_cite_split_bounded_and_deduplicated),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
