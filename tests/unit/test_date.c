/* test_date: calendar arithmetic of validity ranges (core/date.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "ear.h"

/* Effective dates the rulepacks depend on (DOMAIN.md §1). */
static void
test_date_round_trips_rule_dates(void **state)
{
	static const char *const dates[] = {
		"1970-01-01", "2022-10-07", "2023-11-17", "2024-02-29",
		"2024-12-02", "2025-01-13", "2025-05-13", "2025-05-15",
		"2026-01-15", "2026-11-10", "2099-12-31", "1900-03-01",
	};
	char	 buf[11];
	ear_date d;
	size_t	 i;

	(void)state;
	for (i = 0; i < nitems(dates); i++) {
		assert_int_equal(date_parse(dates[i], &d), 0);
		date_format(d, buf);
		assert_string_equal(buf, dates[i]);
	}
}

static void
test_date_epoch_and_ordering(void **state)
{
	ear_date a, b;

	(void)state;
	assert_int_equal(date_parse("1970-01-01", &a), 0);
	assert_int_equal(a, 0);
	/* 88 FR 73458: effective 2023-11-17, the day after 2023-11-16. */
	assert_int_equal(date_parse("2023-11-16", &a), 0);
	assert_int_equal(date_parse("2023-11-17", &b), 0);
	assert_int_equal(b - a, 1);
	assert_int_equal(date_parse("2024-03-01", &b), 0);
	assert_int_equal(date_parse("2024-02-28", &a), 0);
	assert_int_equal(b - a, 2);	/* 2024 is a leap year */
}

static void
test_date_rejects_malformed(void **state)
{
	static const char *const bad[] = {
		"", "2024-1-01", "2024-13-01", "2024-00-10", "2023-02-29",
		"2024-04-31", "24-01-01", "2024/01/01", "2024-01-01T00:00",
		"abcd-ef-gh", "1899-12-31", "2024-01-0x",
	};
	ear_date d;
	size_t	 i;

	(void)state;
	for (i = 0; i < nitems(bad); i++)
		assert_int_equal(date_parse(bad[i], &d), -1);
	assert_int_equal(date_parse(NULL, &d), -1);
}

static void
test_date_in_is_half_open(void **state)
{
	ear_date from, to;

	(void)state;
	assert_int_equal(date_parse("2025-01-13", &from), 0);
	assert_int_equal(date_parse("2025-05-13", &to), 0);
	assert_true(date_in(from, from, to));
	assert_false(date_in(to, from, to));
	assert_false(date_in(from - 1, from, to));
	assert_true(date_in(to, from, EAR_DATE_INF));
	assert_true(date_in(from, EAR_DATE_NINF, to));
}

static void
test_error_json_shape(void **state)
{
	struct ear_error err = { 0 };
	json_t	*j;

	(void)state;
	error_set(&err, 400, "invalid_field", "chip.die_area_mm2",
	    "die area must be positive, got %d", -3);
	j = error_to_json(&err);
	assert_string_equal(json_string_value(json_object_get(
	    json_object_get(j, "error"), "field")), "chip.die_area_mm2");
	assert_string_equal(json_string_value(json_object_get(
	    json_object_get(j, "error"), "message")),
	    "die area must be positive, got -3");
	assert_int_equal(err.status, 400);
	json_decref(j);
	error_clear(&err);
	assert_null(err.code);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_date_round_trips_rule_dates),
		cmocka_unit_test(test_date_epoch_and_ordering),
		cmocka_unit_test(test_date_rejects_malformed),
		cmocka_unit_test(test_date_in_is_half_open),
		cmocka_unit_test(test_error_json_shape),
	};

	log_init("test_date", LOG_LVL_WARN, false);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
