/* test_diff: the word diff of `earctl diff ecfr` (cli/cmd_diff.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "earctl.h"

static const struct {
	const char	*before;
	const char	*after;
	const char	*want;
} cases[] = {
	/* A threshold changes (as 3A090.a.1's 4800 would). */
	{ "a.1. A 'total processing performance' of 4800 or more; or",
	  "a.1. A 'total processing performance' of 4900 or more; or",
	  "... 'total processing performance' of [-4800-] {+4900+} or more; "
	  "or" },
	/* Words added at the end. */
	{ "RS, AT", "RS, AT, NS", "RS, [-AT-] {+AT, NS+}" },
	/* Words removed at the start. */
	{ "the United Arab Emirates or China", "China",
	  "[-the United Arab Emirates or-] China" },
	/* Long common tails are cut too. */
	{ "x one two three four five six seven",
	  "y one two three four five six seven",
	  "[-x-] {+y+} one two three four ..." },
	/* Whitespace alone is no change. */
	{ "a  b\nc", "a b c", "a b c" },
	{ "", "new", "{+new+}" },
};

/* Changed words are marked, common words around them kept or elided. */
static void
test_diff_words_marks_the_change(void **state)
{
	size_t	 i;
	char	*got;

	(void)state;
	for (i = 0; i < nitems(cases); i++) {
		got = cmd_diff_words(cases[i].before, cases[i].after);
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("\"%s\" -> \"%s\": got \"%s\", want \"%s\"",
			    cases[i].before, cases[i].after, got,
			    cases[i].want);
		free(got);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diff_words_marks_the_change),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
