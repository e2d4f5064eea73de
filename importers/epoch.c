/*
 * epoch.c: Epoch AI's data sets (CC-BY 4.0, epoch.ai): "Data on AI Models"
 * (notable_ai_models.csv, large_scale_ai_models.csv, frontier_ai_models.csv)
 * and "Data on Machine Learning Hardware" (ml_hardware.csv).
 *
 * Columns are found by header name, so the three model files (46, 34 and 96
 * columns) share one parser; a model named in several files is one registry
 * entry (merged by slug), the file of higher priority winning a disagreement
 * (frontier > large-scale > notable: the notable file writes 4.42e24 as
 * 4.4199999999999994e+24).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "importers.h"

/* Precision columns of ml_hardware.csv: dense peak, bit length per operation. */
static const struct {
	const char	*column;
	const char	*format;
	int		 bits;
} epoch_precisions[] = {
	{ "Tensor-FP16/BF16 performance (FLOP/s)", "bf16", 16 },
	{ "FP8 performance (FLOP/s)", "fp8", 8 },
	{ "FP4 performance (FLOP/s)", "fp4", 4 },
	{ "FP64 (double precision) performance (FLOP/s)", "fp64", 64 },
	{ "FP32 (single precision) performance (FLOP/s)", "fp32", 32 },
	/*
	 * TF32 is 19 bits wide (1 sign, 8 exponent, 10 mantissa): the bit
	 * length of the inputs to the multiply (3A090 Technical Note 2) is
	 * read as 19, as Epoch's own TPP column does (Trainium1: 190 x 19 =
	 * 3610). UNCERTAIN: BIS has not said whether TF32 counts as 32.
	 */
	{ "TF32 (TensorFloat-32) performance (FLOP/s)", "tf32", 19 },
	{ "FP16 (half precision) performance (FLOP/s)", "fp16", 16 },
	{ "INT16 performance (OP/s)", "int16", 16 },
	{ "INT8 performance (OP/s)", "int8", 8 },
	{ "INT4 performance (OP/s)", "int4", 4 },
};

/* The bit length of a precision column of ml_hardware.csv, or -1. */
int
epoch_format_bits(const char *column)
{
	size_t	 i;

	for (i = 0; i < nitems(epoch_precisions); i++) {
		if (strcmp(column, epoch_precisions[i].column) == 0)
			return epoch_precisions[i].bits;
	}
	return -1;
}

/* The first line of buf, BOM skipped, contains every needle. */
static bool
epoch_header_has(const char *buf, size_t len, const char *const *needles,
    size_t n)
{
	const char	*nl;
	char		*line;
	size_t		 i, l;
	bool		 ok = true;

	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
		buf += 3;
		len -= 3;
	}
	nl = memchr(buf, '\n', len);
	l = nl != NULL ? (size_t)(nl - buf) : len;
	line = xstrndup(buf, l);
	for (i = 0; i < n && ok; i++)
		ok = strstr(line, needles[i]) != NULL;
	free(line);
	return ok;
}

static bool
epoch_models_detect(const char *buf, size_t len, const char *path)
{
	static const char *const needles[] = { "Model", "Parameters",
	    "Training compute (FLOP)" };

	(void)path;
	return epoch_header_has(buf, len, needles, nitems(needles));
}

static bool
epoch_chips_detect(const char *buf, size_t len, const char *path)
{
	static const char *const needles[] = { "Hardware name",
	    "Total processing performance" };

	(void)path;
	return epoch_header_has(buf, len, needles, nitems(needles));
}

/* "dir/notable_ai_models.csv" -> "epoch:notable_ai_models" and its priority. */
static char *
epoch_dataset(const char *path, int *priority)
{
	const char	*base;
	char		*out;
	size_t		 l;

	base = strrchr(path, '/');
	base = base != NULL ? base + 1 : path;
	l = strlen(base);
	if (l > 4 && strcmp(base + l - 4, ".csv") == 0)
		l -= 4;
	xasprintf(&out, "epoch:%.*s", (int)l, base);
	if (strstr(base, "frontier") != NULL)
		*priority = 30;
	else if (strstr(base, "large_scale") != NULL)
		*priority = 20;
	else
		*priority = 10;
	return out;
}

/* A cell by column index, "" when the column or the cell is absent. */
static const char *
epoch_cell(char **f, size_t n, int col)
{
	if (col < 0 || (size_t)col >= n)
		return "";
	return f[col];
}

/* A number cell: 1 set, 0 empty, -1 with *cause naming line and column. */
static int
epoch_num(char **f, size_t n, int col, const char *hdr, size_t line,
    double *out, char **cause)
{
	int	 rc;

	rc = csv_number(epoch_cell(f, n, col), out);
	if (rc < 0)
		xasprintf(cause, "%zu: column \"%s\": not a number: \"%s\"",
		    line, hdr, epoch_cell(f, n, col));
	return rc;
}

/*
 * "Model accessibility" -> published weights (15 CFR 734.7(a); 4E091 Note 1)
 * and the licence terms. Open weights under any licence are read as
 * published (DOMAIN.md 7: a standard open licence counts; whether
 * restrictive terms defeat "published" is UNCERTAIN, so the terms are kept).
 * API or hosted access and unreleased models have unpublished weights.
 * Returns -1 when the cell says nothing (unknown), else 0 or 1.
 */
static int
epoch_published(const char *access, const char **terms)
{
	*terms = NULL;
	if (strncmp(access, "Open weights", 12) == 0) {
		if (strstr(access, "non-commercial") != NULL)
			*terms = "non-commercial";
		else if (strstr(access, "restricted") != NULL)
			*terms = "restricted use";
		else
			*terms = "unrestricted";
		return 1;
	}
	if (strcmp(access, "Unreleased") == 0 ||
	    strcmp(access, "API access") == 0 ||
	    strncmp(access, "Hosted access", 13) == 0)
		return 0;
	return -1;
}

static void
epoch_add_str(struct registry_set *set, const char *name, const char *fact,
    const char *s, const struct registry_source *src, const char *conf)
{
	if (*s != '\0')
		registry_add_fact(set, name, fact, json_string(s), src, conf,
		    NULL);
}

static int
epoch_models_parse(const char *buf, size_t len, const char *path,
    struct registry_set *set, char **cause)
{
	struct csv_reader	*r;
	struct registry_source	 src;
	char			**f, **hdr = NULL, *dataset;
	size_t			 n, nhdr = 0, i;
	int			 rc, c_model, c_org, c_date, c_params, c_ops;
	int			 c_conf, c_access, c_country, c_domain, c_base;
	int			 c_ft, c_hw, c_tokens;
	double			 v;
	ear_date		 d;

	r = csv_open(buf, len);
	if ((rc = csv_next(r, &f, &n, cause)) <= 0) {
		if (rc == 0)
			xasprintf(cause, "1: empty file");
		csv_close(r);
		return -1;
	}
	hdr = xcalloc(n, sizeof *hdr);
	for (i = 0; i < n; i++)
		hdr[i] = xstrdup(f[i]);
	nhdr = n;
	c_model = csv_column(hdr, nhdr, "Model");
	c_org = csv_column(hdr, nhdr, "Organization");
	c_date = csv_column(hdr, nhdr, "Publication date");
	c_params = csv_column(hdr, nhdr, "Parameters");
	c_ops = csv_column(hdr, nhdr, "Training compute (FLOP)");
	c_conf = csv_column(hdr, nhdr, "Confidence");
	c_access = csv_column(hdr, nhdr, "Model accessibility");
	c_country = csv_column(hdr, nhdr, "Country (of organization)");
	c_domain = csv_column(hdr, nhdr, "Domain");
	c_base = csv_column(hdr, nhdr, "Base model");
	c_ft = csv_column(hdr, nhdr, "Finetune compute (FLOP)");
	c_hw = csv_column(hdr, nhdr, "Training hardware");
	/* The frontier file's "Training dataset size" column holds names. */
	c_tokens = csv_column(hdr, nhdr, "Training dataset size (total)");
	dataset = epoch_dataset(path, &src.priority);
	src.dataset = dataset;
	src.file = path;
	rc = 0;
	if (c_model < 0 || c_params < 0 || c_ops < 0) {
		xasprintf(cause, "1: not an Epoch AI models file (no \"Model\", "
		    "\"Parameters\" or \"Training compute (FLOP)\" column)");
		rc = -1;
	}
	while (rc == 0 && (rc = csv_next(r, &f, &n, cause)) == 1) {
		const char	*name, *conf, *access, *terms, *date;
		char		*tname;
		int		 pub;

		rc = 0;
		src.row = csv_line(r);
		if (n == 1 && *f[0] == '\0')
			continue;	/* blank line */
		tname = xstrdup(epoch_cell(f, n, c_model));
		name = tname;
		while (*name == ' ')
			name++;
		for (i = strlen(tname); i > 0 && tname[i - 1] == ' '; i--)
			tname[i - 1] = '\0';
		if (*name == '\0') {
			free(tname);
			continue;
		}
		conf = epoch_cell(f, n, c_conf);
		if ((rc = epoch_num(f, n, c_params, hdr[c_params], src.row, &v,
		    cause)) < 0)
			goto bad;
		if (rc == 1 && v > 0)
			registry_add_fact(set, name, "parameters", json_real(v),
			    &src, conf, NULL);
		if ((rc = epoch_num(f, n, c_ops, hdr[c_ops], src.row, &v,
		    cause)) < 0)
			goto bad;
		if (rc == 1 && v > 0)
			registry_add_fact(set, name, "training_ops",
			    json_real(v), &src, conf, NULL);
		if (c_ft >= 0) {
			if ((rc = epoch_num(f, n, c_ft, hdr[c_ft], src.row, &v,
			    cause)) < 0)
				goto bad;
			if (rc == 1 && v > 0)
				registry_add_fact(set, name,
				    "additional_training_ops", json_real(v),
				    &src, conf, NULL);
		}
		if (c_tokens >= 0 && csv_number(epoch_cell(f, n, c_tokens),
		    &v) == 1 && v > 0)
			registry_add_fact(set, name, "training_dataset_size",
			    json_real(v), &src, conf, NULL);
		date = epoch_cell(f, n, c_date);
		if (*date != '\0' && date_parse(date, &d) != 0) {
			xasprintf(cause, "%zu: column \"Publication date\": "
			    "not a date (YYYY-MM-DD): \"%s\"", src.row, date);
			rc = -1;
			goto bad;
		}
		epoch_add_str(set, name, "publication_date", date, &src, conf);
		access = epoch_cell(f, n, c_access);
		pub = epoch_published(access, &terms);
		epoch_add_str(set, name, "accessibility", access, &src, conf);
		if (pub >= 0) {
			registry_add_fact(set, name, "published",
			    json_boolean(pub), &src, conf, NULL);
			if (terms != NULL)
				epoch_add_str(set, name, "license_terms", terms,
				    &src, conf);
			/* Open weights: taken as published on publication. */
			if (pub == 1)
				epoch_add_str(set, name, "published_on", date,
				    &src, conf);
		}
		epoch_add_str(set, name, "developer", epoch_cell(f, n, c_org),
		    &src, conf);
		epoch_add_str(set, name, "country",
		    epoch_cell(f, n, c_country), &src, conf);
		epoch_add_str(set, name, "domain", epoch_cell(f, n, c_domain),
		    &src, conf);
		epoch_add_str(set, name, "training_hardware",
		    epoch_cell(f, n, c_hw), &src, conf);
		if (c_base >= 0) {
			char	*base = xstrdup(epoch_cell(f, n, c_base));

			for (i = strlen(base); i > 0 && base[i - 1] == ' '; i--)
				base[i - 1] = '\0';
			epoch_add_str(set, name, "derived_from", base, &src,
			    conf);
			free(base);
		}
		rc = 0;
bad:
		free(tname);
	}
	for (i = 0; i < nhdr; i++)
		free(hdr[i]);
	free(hdr);
	free(dataset);
	csv_close(r);
	return rc < 0 ? -1 : 0;
}

static int
epoch_chips_parse(const char *buf, size_t len, const char *path,
    struct registry_set *set, char **cause)
{
	struct csv_reader	*r;
	struct registry_source	 src;
	char			**f, **hdr = NULL, *dataset;
	size_t			 n, nhdr, i;
	int			 rc, c_name, c_die, c_mem, c_io, c_tpp, c_man;
	int			 c_type, c_date, c_tdp, c_node;
	int			 c_perf[nitems(epoch_precisions)];
	double			 v;

	r = csv_open(buf, len);
	if ((rc = csv_next(r, &f, &n, cause)) <= 0) {
		if (rc == 0)
			xasprintf(cause, "1: empty file");
		csv_close(r);
		return -1;
	}
	hdr = xcalloc(n, sizeof *hdr);
	for (i = 0; i < n; i++)
		hdr[i] = xstrdup(f[i]);
	nhdr = n;
	c_name = csv_column(hdr, nhdr, "Hardware name");
	c_man = csv_column(hdr, nhdr, "Manufacturer");
	c_type = csv_column(hdr, nhdr, "Type");
	c_date = csv_column(hdr, nhdr, "Release date");
	c_die = csv_column(hdr, nhdr, "Die Size (mm^2)");
	c_mem = csv_column(hdr, nhdr, "Memory bandwidth (byte/s)");
	c_io = csv_column(hdr, nhdr, "Intranode bandwidth (byte/s)");
	c_tpp = csv_column(hdr, nhdr,
	    "Total processing performance (bit-OP/s)");
	c_tdp = csv_column(hdr, nhdr, "TDP (W)");
	c_node = csv_column(hdr, nhdr, "Process size (nm)");
	for (i = 0; i < nitems(epoch_precisions); i++)
		c_perf[i] = csv_column(hdr, nhdr, epoch_precisions[i].column);
	dataset = epoch_dataset(path, &src.priority);
	src.dataset = dataset;
	src.file = path;
	rc = 0;
	if (c_name < 0) {
		xasprintf(cause, "1: not an Epoch AI hardware file (no "
		    "\"Hardware name\" column)");
		rc = -1;
	}
	while (rc == 0 && (rc = csv_next(r, &f, &n, cause)) == 1) {
		const char	*name;
		json_t		*perf;

		rc = 0;
		src.row = csv_line(r);
		name = epoch_cell(f, n, c_name);
		if (*name == '\0')
			continue;
		perf = json_array();
		for (i = 0; i < nitems(epoch_precisions); i++) {
			if ((rc = epoch_num(f, n, c_perf[i],
			    epoch_precisions[i].column, src.row, &v,
			    cause)) < 0)
				break;
			/* FLOP/s -> TOPS (10^12 operations per second). */
			if (rc == 1 && v > 0)
				json_array_append_new(perf, json_pack(
				    "{s:s, s:i, s:f}", "format",
				    epoch_precisions[i].format, "bits",
				    epoch_precisions[i].bits, "dense_tops",
				    v / 1e12));
		}
		if (rc < 0) {
			json_decref(perf);
			break;
		}
		registry_add_fact(set, name, "performance", perf, &src, NULL,
		    NULL);
		/* An empty die size is no die area, never zero. */
		if ((rc = epoch_num(f, n, c_die, "Die Size (mm^2)", src.row,
		    &v, cause)) < 0)
			break;
		if (rc == 1 && v > 0)
			registry_add_fact(set, name, "die_area_mm2",
			    json_real(v), &src, NULL, NULL);
		if ((rc = epoch_num(f, n, c_mem, "Memory bandwidth (byte/s)",
		    src.row, &v, cause)) < 0)
			break;
		if (rc == 1 && v > 0)
			registry_add_fact(set, name, "memory_bandwidth_gbs",
			    json_real(v / 1e9), &src, NULL, NULL);
		if ((rc = epoch_num(f, n, c_io, "Intranode bandwidth (byte/s)",
		    src.row, &v, cause)) < 0)
			break;
		if (rc == 1 && v > 0)
			registry_add_fact(set, name, "io_bandwidth_gbs",
			    json_real(v / 1e9), &src, NULL, NULL);
		if (csv_number(epoch_cell(f, n, c_tpp), &v) == 1 && v > 0)
			registry_add_fact(set, name, "epoch_tpp",
			    json_real(v / 1e12), &src, NULL, NULL);
		if (csv_number(epoch_cell(f, n, c_tdp), &v) == 1 && v > 0)
			registry_add_fact(set, name, "tdp_w", json_real(v),
			    &src, NULL, NULL);
		if (csv_number(epoch_cell(f, n, c_node), &v) == 1 && v > 0)
			registry_add_fact(set, name, "process_nm",
			    json_real(v), &src, NULL, NULL);
		epoch_add_str(set, name, "manufacturer",
		    epoch_cell(f, n, c_man), &src, NULL);
		epoch_add_str(set, name, "type", epoch_cell(f, n, c_type),
		    &src, NULL);
		epoch_add_str(set, name, "release_date",
		    epoch_cell(f, n, c_date), &src, NULL);
		rc = 0;
	}
	for (i = 0; i < nhdr; i++)
		free(hdr[i]);
	free(hdr);
	free(dataset);
	csv_close(r);
	return rc < 0 ? -1 : 0;
}

const struct registry_format epoch_models_format = {
	"epoch", REGISTRY_MODELS, epoch_models_detect, epoch_models_parse
};
const struct registry_format epoch_chips_format = {
	"epoch", REGISTRY_CHIPS, epoch_chips_detect, epoch_chips_parse
};
