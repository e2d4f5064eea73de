/*
 * test_chip: TPP and performance density (core/chip.c), per 15 CFR 774
 * Supp. 1, 3A090 Technical Note 2, with the dense datasheet figures of
 * DOMAIN.md §8.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <string.h>
#include <cmocka.h>

#include "ear.h"

struct chip_row {
	const char	*name;		/* and the fact it checks */
	struct chip_perf perf[3];
	size_t		 n;
	double		 area;
	double		 tpp;
	size_t		 best;
	double		 pd;		/* rounded to 2 decimals; NaN none */
};

static const struct chip_row chips[] = {
	/* H100 SXM: FP16 989.5 x 16 = FP8 1979 x 8 = 15,832; PD 19.45. */
	{ "H100 SXM", { { "fp16", 16, 989.5 }, { "fp8", 8, 1979 } }, 2, 814,
	  15832, 0, 19.45 },
	/* B200: FP4 9000 x 4 = FP8 4500 x 8 = 36,000 (FP4 counts). */
	{ "B200", { { "fp8", 8, 4500 }, { "fp4", 4, 9000 } }, 2, 1628, 36000,
	  0, 22.11 },
	/* A100: FP16 312 x 16 = INT8 624 x 8 = 4,992; 826 mm2 -> 6.04. */
	{ "A100", { { "fp16", 16, 312 }, { "int8", 8, 624 } }, 2, 826, 4992,
	  0, 6.04 },
	/* H20: FP16 148 x 16 = FP8 296 x 8 = 2,368; 814 mm2 -> 2.91. */
	{ "H20", { { "fp16", 16, 148 }, { "fp8", 8, 296 } }, 2, 814, 2368, 0,
	  2.91 },
	/* RTX 4090: INT8 660.6 x 8 = 5,284.8 (DOMAIN §8: ~5,285). */
	{ "RTX 4090", { { "int8", 8, 660.6 } }, 1, 608, 5284.8, 0, 8.69 },
	/* Gaudi2: FP8 865 x 8 = 6,920 < BF16 450 x 16 = 7,200: highest wins. */
	{ "Gaudi2", { { "fp8", 8, 865 }, { "bf16", 16, 450 } }, 2, 826, 7200,
	  1, 8.72 },
	/* No die area: PD is unknown, not zero. */
	{ "no area", { { "fp8", 8, 750 } }, 1, 0, 6000, 0, NAN },
};

static void
test_chip_tpp_takes_highest_precision(void **state)
{
	size_t	 i, best;
	double	 tpp, pd;

	(void)state;
	for (i = 0; i < nitems(chips); i++) {
		best = 99;
		tpp = chip_compute_tpp(chips[i].perf, chips[i].n, &best);
		assert_true(fabs(tpp - chips[i].tpp) < 1e-9);
		assert_int_equal(best, chips[i].best);
		pd = chip_compute_pd(tpp, chips[i].area);
		if (isnan(chips[i].pd))
			assert_true(isnan(pd));
		else
			assert_true(fabs(round(pd * 100) / 100 -
			    chips[i].pd) < 1e-9);
	}
}

static void
test_chip_tpp_without_entries_is_unknown(void **state)
{
	struct chip_perf p = { "fp8", 0, 100 };

	(void)state;
	assert_true(isnan(chip_compute_tpp(NULL, 0, NULL)));
	/* An entry without a bit length cannot count. */
	assert_true(isnan(chip_compute_tpp(&p, 1, NULL)));
	assert_true(isnan(chip_compute_pd(NAN, 814)));
	assert_true(isnan(chip_compute_pd(4800, -1)));
}

/* The bit length is the nominal input width (3A090 Technical Note 2). */
static void
test_chip_format_bits_table(void **state)
{
	static const struct {
		const char	*format;
		int		 bits;
	} rows[] = {
		{ "fp8", 8 }, { "FP8", 8 }, { "fp16", 16 }, { "bf16", 16 },
		{ "tf32", 32 }, { "int8", 8 }, { "int4", 4 }, { "fp4", 4 },
		{ "fp32", 32 }, { "fp64", 64 }, { "e4m3", 8 }, { "fp6", 6 },
		{ "fp12", -1 }, { "", -1 }, { NULL, -1 },
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < nitems(rows); i++)
		assert_int_equal(chip_format_bits(rows[i].format),
		    rows[i].bits);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chip_tpp_takes_highest_precision),
		cmocka_unit_test(test_chip_tpp_without_entries_is_unknown),
		cmocka_unit_test(test_chip_format_bits_table),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
