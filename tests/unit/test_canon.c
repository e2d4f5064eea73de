/*
 * test_canon: canon_dumps() writes the very bytes of jansson's
 * json_dumps(JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15)),
 * the form eard answers in, on hand-picked values (escapes, UTF-8, reals
 * around every formatting edge) and on the verdict of every expert case.
 * Run from the repository root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include "ear.h"

#define FLAGS	(JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15))

/* canon_dumps and json_dumps agree on v (consumed). */
static void
same(json_t *v)
{
	char	*a, *b;
	size_t	 len = 0;

	a = canon_dumps(v, &len);
	b = json_dumps(v, FLAGS);
	assert_non_null(a);
	assert_non_null(b);
	assert_string_equal(a, b);
	assert_int_equal(len, strlen(b));
	free(a);
	free(b);
	json_decref(v);
}

/* Reals at the edges of "%.15g" and of jansson's clean-up of it. */
static void
test_canon_dumps_reals(void **state)
{
	static const double reals[] = { 0.0, 1.0, -1.0, 4992.0, 6.04,
	    6.04358353510896, 19.4496314496314, 1e26, 2.5e25, 1e-5, 1.5e-7,
	    -2.5e-300, 1e15, 999999999999999.0, 1e14, 123456789012345.0,
	    1234567890123456.0, 9007199254740993.0, 1e100, 0.1, 1.0 / 3,
	    26900000.0, 4800.0, 5.92, -0.5, 1.7976931348623157e308,
	    4.9e-324, 1e21, 1e22, 12345.678901234567 };
	size_t	 i;

	(void)state;
	for (i = 0; i < nitems(reals); i++)
		same(json_real(reals[i]));
	same(json_real(-0.0));
	same(json_integer(0));
	same(json_integer(-9223372036854775807LL - 1));
	same(json_integer(9223372036854775807LL));
}

/* Strings: quotes, backslashes, controls, slash, DEL, UTF-8. */
static void
test_canon_dumps_strings(void **state)
{
	static const char *strs[] = { "", "plain", "quote \" and \\ back",
	    "controls \b\f\n\r\t \x01\x1f end", "slash / and del \x7f",
	    "caf\xc3\xa9 \xe2\x80\x94 \xe2\x80\xa8 \xf0\x9f\x98\x80",
	    "15 CFR 774 Supp. 1, 3A090.a" };
	json_t	*bad;
	size_t	 i;

	(void)state;
	for (i = 0; i < nitems(strs); i++)
		same(json_string(strs[i]));
	same(json_pack("{s:s, s:[i, f, b, n, {}], s:{}, s:[]}", "k\"\n\xc3\xa9",
	    "v", "a", 1, 2.5, 1, "o", "e"));
	/* Invalid UTF-8 fails as json_dumps fails. */
	bad = json_stringn_nocheck("caf\xc3 \xff", 6);
	assert_null(canon_dumps(bad, NULL));
	assert_null(json_dumps(bad, FLAGS));
	json_decref(bad);
}

/* Every expert case's verdict, on the real rules. */
static void
test_canon_dumps_verdicts(void **state)
{
	struct ear_error err = { 0 };
	struct ruleset	*rs;
	struct check	*chk;
	struct verdict	*v;
	json_t		*doc, *c;
	json_error_t	 jerr;
	const char	*ep;
	char		*line = NULL, *cause = NULL;
	size_t		 cap = 0, n = 0;
	FILE		*f;

	(void)state;
	doc = json_load_file("tests/fixtures/rules-document.json",
	    JSON_DECODE_INT_AS_REAL, &jerr);
	assert_non_null(doc);
	rs = ruleset_from_json(doc, "v", &cause);
	json_decref(doc);
	assert_non_null(rs);
	f = fopen("tests/fixtures/cases.jsonl", "r");
	assert_non_null(f);
	while (getline(&line, &cap, f) != -1) {
		if ((c = json_loads(line, 0, &jerr)) == NULL)
			continue;
		ep = json_string_value(json_object_get(c, "endpoint"));
		if (ep != NULL && (strcmp(ep, "/v1/checks/chip") == 0 ||
		    strcmp(ep, "/v1/checks/weights") == 0)) {
			chk = check_decode(strcmp(ep, "/v1/checks/chip") == 0 ?
			    ITEM_CHIP : ITEM_MODEL, json_object_get(c,
			    "request"), date_today(), &err);
			if (chk != NULL) {
				v = determine(rs, chk);
				same(verdict_to_json(v, "id"));
				verdict_free(v);
				check_free(chk);
				n++;
			} else
				error_clear(&err);
		}
		json_decref(c);
	}
	free(line);
	fclose(f);
	ruleset_unref(rs);
	assert_true(n >= 50);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_canon_dumps_reals),
		cmocka_unit_test(test_canon_dumps_strings),
		cmocka_unit_test(test_canon_dumps_verdicts),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
