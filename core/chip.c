/*
 * chip.c: the advanced-computing figures of an integrated circuit.
 *
 * 15 CFR 774 Supp. 1, 3A090 Technical Note 2 (88 FR 73458, in force from
 * 2023-11-17, unchanged in the eCFR of 2026-07-23): "total processing
 * performance" (TPP) is 2 x MacTOPS x the bit length of the operation, and
 * 2 x MacTOPS is the datasheet dense TOPS/TFLOPS figure; where an IC supports
 * several bit lengths the highest TPP counts. Performance density is TPP
 * divided by the applicable die area in mm2.
 */
#include <math.h>
#include <string.h>
#include <strings.h>

#include "ear.h"

/*
 * Bit length per format. 3A090 Technical Note 2: the bit length of a
 * multiply-accumulate is the largest bit length of the inputs to the
 * multiply, taken at the format's nominal width: TF32 is a 32-bit input
 * format (its 19 significant bits are not its length), FP8 (E4M3/E5M2) 8.
 */
static const struct {
	const char	*name;
	int		 bits;
} chip_formats[] = {
	{ "fp64", 64 },	{ "fp32", 32 },	{ "tf32", 32 },	{ "fp16", 16 },
	{ "bf16", 16 },	{ "fp8", 8 },	{ "e4m3", 8 },	{ "e5m2", 8 },
	{ "fp6", 6 },	{ "fp4", 4 },	{ "mxfp4", 4 },	{ "nvfp4", 4 },
	{ "int64", 64 }, { "int32", 32 }, { "int16", 16 }, { "int8", 8 },
	{ "int4", 4 },	{ "int1", 1 },
};

/* The nominal bit length of a numeric format, or -1 if it is unknown. */
int
chip_format_bits(const char *format)
{
	size_t	 i;

	if (format == NULL)
		return (-1);
	for (i = 0; i < nitems(chip_formats); i++) {
		if (strcasecmp(format, chip_formats[i].name) == 0)
			return (chip_formats[i].bits);
	}
	return (-1);
}

/*
 * TPP of an IC: the highest dense_tops x bits over its precisions. Returns
 * NaN when there is no usable entry; *best (if not NULL) is the index used.
 */
double
chip_compute_tpp(const struct chip_perf *perf, size_t n, size_t *best)
{
	double	 tpp = NAN, v;
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (perf[i].bits <= 0 || !isfinite(perf[i].dense_tops) ||
		    perf[i].dense_tops < 0)
			continue;
		v = perf[i].dense_tops * perf[i].bits;
		if (isnan(tpp) || v > tpp) {
			tpp = v;
			if (best != NULL)
				*best = i;
		}
	}
	return (tpp);
}

/* Performance density: TPP per mm2 of applicable die area; NaN if unknown. */
double
chip_compute_pd(double tpp, double die_area_mm2)
{
	if (isnan(tpp) || isnan(die_area_mm2) || die_area_mm2 <= 0)
		return (NAN);
	return (tpp / die_area_mm2);
}
