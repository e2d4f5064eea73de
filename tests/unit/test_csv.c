/* test_csv: the RFC 4180 reader and the number formats of outside CSVs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "importers.h"

/* Quoted fields, "" escapes, embedded newlines, CRLF and a BOM. */
static void
test_csv_reads_rfc4180_records(void **state)
{
	static const char buf[] = "\xef\xbb\xbf" "a,b,c\r\n"
	    "\"x, y\",\"say \"\"hi\"\"\",3\r\n"
	    "\"multi\nline\",,\n"
	    "last,row,no-newline";
	struct csv_reader	*r;
	char			**f, *cause = NULL;
	size_t			 n;

	(void)state;
	r = csv_open(buf, sizeof buf - 1);
	assert_int_equal(csv_next(r, &f, &n, &cause), 1);
	assert_int_equal(n, 3);
	assert_string_equal(f[0], "a");		/* BOM skipped */
	assert_int_equal(csv_line(r), 1);
	assert_int_equal(csv_next(r, &f, &n, &cause), 1);
	assert_string_equal(f[0], "x, y");
	assert_string_equal(f[1], "say \"hi\"");
	assert_string_equal(f[2], "3");
	assert_int_equal(csv_line(r), 2);
	assert_int_equal(csv_next(r, &f, &n, &cause), 1);
	assert_int_equal(n, 3);
	assert_string_equal(f[0], "multi\nline");
	assert_string_equal(f[1], "");
	assert_string_equal(f[2], "");
	assert_int_equal(csv_line(r), 3);
	assert_int_equal(csv_next(r, &f, &n, &cause), 1);
	assert_int_equal(csv_line(r), 5);	/* the quoted newline counts */
	assert_string_equal(f[2], "no-newline");
	assert_int_equal(csv_next(r, &f, &n, &cause), 0);
	csv_close(r);
}

static void
test_csv_unterminated_quote_names_line(void **state)
{
	static const char buf[] = "a,b\n1,2\n3,\"open\n";
	struct csv_reader	*r;
	char			**f, *cause = NULL;
	size_t			 n;

	(void)state;
	r = csv_open(buf, sizeof buf - 1);
	assert_int_equal(csv_next(r, &f, &n, &cause), 1);
	assert_int_equal(csv_next(r, &f, &n, &cause), 1);
	assert_int_equal(csv_next(r, &f, &n, &cause), -1);
	assert_non_null(strstr(cause, "line 3"));
	free(cause);
	csv_close(r);
}

/* The number formats in Epoch AI's CSVs (../shared/data/README.md). */
static void
test_csv_number_formats(void **state)
{
	static const struct {
		const char	*in;
		int		 rc;
		double		 want;
	} cases[] = {
		{ "3.8e+25", 1, 3.8e25 },
		{ "4.4199999999999994e+24", 1, 4.4199999999999994e24 },
		{ "1,234", 1, 1234 },
		{ "1,200,000,000,000", 1, 1.2e12 },
		{ " 42 ", 1, 42 },
		{ "989400000000000.0", 1, 989.4e12 },
		{ "-1.5", 1, -1.5 },
		{ "", 0, 0 },
		{ "Unknown", 0, 0 },
		{ "NaN", 0, 0 },
		{ "n/a", 0, 0 },
		{ "12abc", -1, 0 },
		{ "1,23", -1, 0 },
		{ "2260275840, 2290000001", -1, 0 },
		{ "Infinity", -1, 0 },
		{ "1e999", -1, 0 },
	};
	size_t	 i;
	double	 v;

	(void)state;
	for (i = 0; i < nitems(cases); i++) {
		v = NAN;
		assert_int_equal(csv_number(cases[i].in, &v), cases[i].rc);
		if (cases[i].rc == 1)
			assert_true(v == cases[i].want);
	}
}

static void
test_csv_column_finds_header(void **state)
{
	char	 a[] = "Model", b[] = "Parameters", c[] = "Training compute";
	char	*hdr[] = { a, b, c };

	(void)state;
	assert_int_equal(csv_column(hdr, 3, "Parameters"), 1);
	assert_int_equal(csv_column(hdr, 3, "Confidence"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_reads_rfc4180_records),
		cmocka_unit_test(test_csv_unterminated_quote_names_line),
		cmocka_unit_test(test_csv_number_formats),
		cmocka_unit_test(test_csv_column_finds_header),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
