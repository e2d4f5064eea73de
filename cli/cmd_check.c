/*
 * cmd_check.c: `earctl check chip` and `earctl check weights`. Builds the
 * request of ARCHITECTURE.md's check contract from flags (or a file, which
 * flags then amend), POSTs it to eard, prints the verdict and exits with
 * the code of the verdict so a pipeline can gate on it.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "earctl.h"

/* Bit length of the common number formats, for --tops FMT=N. */
static const struct {
	const char	*format;
	int		 bits;
} check_formats[] = {
	{ "fp4", 4 }, { "int4", 4 }, { "fp6", 6 },
	{ "fp8", 8 }, { "int8", 8 }, { "e4m3", 8 }, { "e5m2", 8 },
	{ "fp16", 16 }, { "bf16", 16 }, { "int16", 16 },
	{ "fp32", 32 }, { "int32", 32 }, { "fp64", 64 }, { "int64", 64 },
	/*
	 * tf32 is left out on purpose: whether its bit length for TPP is 19
	 * or 32 is a judgement; give it as tf32:BITS=N.
	 */
};

/* A JSON number: an integer when the value is one, else a real. */
static json_t *
check_number(double d)
{
	if (d == floor(d) && fabs(d) < 9007199254740992.0)
		return (json_integer((json_int_t)d));
	return (json_real(d));
}

/* Parse a finite, non-negative number option. */
static int
check_parse_number(struct cmd_ctx *ctx, const char *opt, const char *arg,
    double *out)
{
	char	*end;
	double	 d;

	errno = 0;
	d = strtod(arg, &end);
	if (*arg == '\0' || *end != '\0' || errno != 0 || !isfinite(d) ||
	    d < 0) {
		return (cli_usage_error(ctx, "invalid value for --%s: \"%s\" "
		    "is not a non-negative number", opt, arg));
	}
	*out = d;
	return (0);
}

/* Parse "CC": two letters, returned upper case in out[3]. */
static int
check_parse_country(struct cmd_ctx *ctx, const char *opt, const char *arg,
    char out[3])
{
	if (strlen(arg) != 2 || !isalpha((unsigned char)arg[0]) ||
	    !isalpha((unsigned char)arg[1])) {
		return (cli_usage_error(ctx, "invalid value for --%s: \"%s\" "
		    "is not an ISO 3166-1 alpha-2 country code (e.g. CN)",
		    opt, arg));
	}
	out[0] = toupper((unsigned char)arg[0]);
	out[1] = toupper((unsigned char)arg[1]);
	out[2] = '\0';
	return (0);
}

/* Parse a YYYY-MM-DD date option. */
static int
check_parse_date(struct cmd_ctx *ctx, const char *opt, const char *arg)
{
	ear_date	d;

	if (date_parse(arg, &d) != 0) {
		return (cli_usage_error(ctx, "invalid value for --%s: \"%s\" "
		    "is not a date (YYYY-MM-DD)", opt, arg));
	}
	return (0);
}

/* Check that arg is one of the NULL-terminated words. */
static int
check_parse_word(struct cmd_ctx *ctx, const char *opt, const char *arg,
    const char *const *words)
{
	const char	*const *w;
	char		 list[256] = "";

	for (w = words; *w != NULL; w++) {
		if (strcmp(arg, *w) == 0)
			return (0);
	}
	for (w = words; *w != NULL; w++) {
		if (w != words)
			strncat(list, ", ", sizeof list - strlen(list) - 1);
		strncat(list, *w, sizeof list - strlen(list) - 1);
	}
	return (cli_usage_error(ctx, "invalid value for --%s: \"%s\" (use "
	    "one of %s)", opt, arg, list));
}

/* Parse --tops FMT[:BITS]=N into a performance entry. */
static int
check_parse_tops(struct cmd_ctx *ctx, const char *arg, json_t **entry)
{
	const char	*eq, *colon;
	char		*fmt, *end;
	double		 tops;
	long		 bits = 0;
	size_t		 i;

	*entry = NULL;
	if ((eq = strchr(arg, '=')) == NULL || eq == arg) {
		return (cli_usage_error(ctx, "invalid value for --tops: \"%s\" "
		    "(use FORMAT=TOPS, e.g. fp8=1979, or FORMAT:BITS=TOPS)",
		    arg));
	}
	colon = memchr(arg, ':', eq - arg);
	fmt = xstrndup(arg, (colon != NULL ? colon : eq) - arg);
	for (i = 0; fmt[i] != '\0'; i++)
		fmt[i] = tolower((unsigned char)fmt[i]);
	if (colon != NULL) {
		errno = 0;
		bits = strtol(colon + 1, &end, 10);
		if (end != eq || errno != 0 || bits <= 0 || bits > 128) {
			free(fmt);
			return (cli_usage_error(ctx, "invalid bit length in "
			    "--tops \"%s\"", arg));
		}
	} else {
		for (i = 0; i < nitems(check_formats); i++) {
			if (strcmp(fmt, check_formats[i].format) == 0)
				bits = check_formats[i].bits;
		}
		if (bits == 0) {
			cli_usage_error(ctx, "unknown number format \"%s\" in "
			    "--tops", fmt);
			fprintf(stderr, "Hint: give its bit length, as "
			    "--tops %s:BITS=TOPS.\n", fmt);
			free(fmt);
			return (CLI_EXIT_USAGE);
		}
	}
	if (check_parse_number(ctx, "tops", eq + 1, &tops) != 0) {
		free(fmt);
		return (CLI_EXIT_USAGE);
	}
	*entry = json_pack("{s:s, s:I, s:o}", "format", fmt, "bits",
	    (json_int_t)bits, "dense_tops", check_number(tops));
	free(fmt);
	return (0);
}

/* Read a JSON object from a file, or stdin for "-". */
static int
check_load_file(const char *path, json_t **out)
{
	json_error_t	 jerr;
	json_t		*j;

	if (strcmp(path, "-") == 0)
		j = json_loadf(stdin, 0, &jerr);
	else
		j = json_load_file(path, 0, &jerr);
	if (j == NULL) {
		if (jerr.line > 0)
			cli_warnx("could not read \"%s\": line %d, column %d: "
			    "%s", path, jerr.line, jerr.column, jerr.text);
		else
			cli_warnx("could not read \"%s\": %s", path, jerr.text);
		return (CLI_EXIT_ERROR);
	}
	if (!json_is_object(j)) {
		cli_warnx("\"%s\" is not a JSON object", path);
		json_decref(j);
		return (CLI_EXIT_ERROR);
	}
	*out = j;
	return (0);
}

/* The object at key, created if missing (a non-object is replaced). */
static json_t *
check_obj(json_t *parent, const char *key)
{
	json_t	*o;

	o = json_object_get(parent, key);
	if (!json_is_object(o)) {
		o = json_object();
		json_object_set_new(parent, key, o);
	}
	return (o);
}

/* Options shared by both checks: destination, date, parties. */
enum {
	OPT_TO = 1000, OPT_AS_OF, OPT_FILE, OPT_DRY_RUN,
	OPT_RECIPIENT, OPT_RECIPIENT_COUNTRY, OPT_RECIPIENT_HQ,
	OPT_RECIPIENT_PARENT_HQ, OPT_EXPORTER, OPT_EXPORTER_COUNTRY,
	OPT_NAME,
	/* chip */
	OPT_TOPS, OPT_DIE_AREA, OPT_IO_BW, OPT_MEM_BW, OPT_DATACENTER,
	OPT_NO_DATACENTER, OPT_CHIP, OPT_QUANTITY, OPT_EXPORT_TYPE, OPT_KIND,
	/* weights */
	OPT_TRAINING_OPS, OPT_PARAMETERS, OPT_PUBLISHED, OPT_UNPUBLISHED,
	OPT_PUBLISHED_ON, OPT_DERIVED_FROM, OPT_BASE_OPS, OPT_BASE_PUBLISHED,
	OPT_BASE_UNPUBLISHED, OPT_ADDITIONAL_OPS, OPT_MODEL, OPT_RELEASE,
	OPT_POSTURE,
};

#define CHECK_COMMON_OPTIONS						\
	{ "to", required_argument, NULL, OPT_TO },			\
	{ "destination", required_argument, NULL, OPT_TO },		\
	{ "as-of", required_argument, NULL, OPT_AS_OF },		\
	{ "file", required_argument, NULL, OPT_FILE },			\
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },			\
	{ "recipient", required_argument, NULL, OPT_RECIPIENT },	\
	{ "recipient-country", required_argument, NULL,			\
	    OPT_RECIPIENT_COUNTRY },					\
	{ "recipient-hq", required_argument, NULL, OPT_RECIPIENT_HQ },	\
	{ "recipient-parent-hq", required_argument, NULL,		\
	    OPT_RECIPIENT_PARENT_HQ },					\
	{ "exporter", required_argument, NULL, OPT_EXPORTER },		\
	{ "exporter-country", required_argument, NULL,			\
	    OPT_EXPORTER_COUNTRY },					\
	{ "name", required_argument, NULL, OPT_NAME }

/* What the flags said, before they are merged into the request. */
struct check_args {
	const char	*file;
	bool		 dry_run;
	char		 to[3];
	const char	*as_of;
	json_t		*recipient;	/* fields given by flags */
	json_t		*exporter;
	json_t		*item;		/* chip or model facts given by flags */
	json_t		*top;		/* top-level fields given by flags */
	const char	*id;		/* --chip / --model */
};

/* Handle an option both checks share; 1 if it was not one of them. */
static int
check_common_option(struct cmd_ctx *ctx, int c, struct check_args *a)
{
	char	cc[3];

	switch (c) {
	case OPT_TO:
		if (check_parse_country(ctx, "to", optarg, a->to) != 0)
			return (CLI_EXIT_USAGE);
		return (0);
	case OPT_AS_OF:
		if (check_parse_date(ctx, "as-of", optarg) != 0)
			return (CLI_EXIT_USAGE);
		a->as_of = optarg;
		return (0);
	case OPT_FILE:
		a->file = optarg;
		return (0);
	case OPT_DRY_RUN:
		a->dry_run = true;
		return (0);
	case OPT_RECIPIENT:
		json_object_set_new(a->recipient, "name", json_string(optarg));
		return (0);
	case OPT_RECIPIENT_COUNTRY:
	case OPT_RECIPIENT_HQ:
	case OPT_RECIPIENT_PARENT_HQ:
		if (check_parse_country(ctx, c == OPT_RECIPIENT_COUNTRY ?
		    "recipient-country" : c == OPT_RECIPIENT_HQ ?
		    "recipient-hq" : "recipient-parent-hq", optarg, cc) != 0)
			return (CLI_EXIT_USAGE);
		json_object_set_new(a->recipient, c == OPT_RECIPIENT_COUNTRY ?
		    "country" : c == OPT_RECIPIENT_HQ ? "headquarters" :
		    "ultimate_parent_headquarters", json_string(cc));
		return (0);
	case OPT_EXPORTER:
		json_object_set_new(a->exporter, "name", json_string(optarg));
		return (0);
	case OPT_EXPORTER_COUNTRY:
		if (check_parse_country(ctx, "exporter-country", optarg,
		    cc) != 0)
			return (CLI_EXIT_USAGE);
		json_object_set_new(a->exporter, "country", json_string(cc));
		return (0);
	case OPT_NAME:
		json_object_set_new(a->item, "name", json_string(optarg));
		return (0);
	}
	return (1);
}

/* Report an unknown option (c '?') or a missing value (c ':'). */
static int
check_bad_option(struct cmd_ctx *ctx, int c, int argc, char **argv)
{
	const char	*bad = optind - 1 < argc ? argv[optind - 1] : "?";

	if (c == ':')
		return (cli_usage_error(ctx, "option \"%s\" needs a value",
		    bad));
	return (cli_usage_error(ctx, "unknown option \"%s\"", bad));
}

/*
 * Merge the flags into the request (file content or a new object), check
 * what is required, and return the body in *out.
 */
static int
check_finish(struct cmd_ctx *ctx, struct check_args *a, const char *itemkey,
    const char *idopt, json_t **out)
{
	json_t		*body = NULL, *item;
	const char	*k;
	json_t		*v;
	int		 rc;

	if (a->file != NULL) {
		if ((rc = check_load_file(a->file, &body)) != 0)
			return (rc);
	} else
		body = json_object();

	if (a->id != NULL) {
		if (json_object_size(a->item) != 0) {
			json_decref(body);
			return (cli_usage_error(ctx, "--%s cannot be combined "
			    "with %s facts given as flags", idopt, itemkey));
		}
		json_object_set_new(body, itemkey, json_pack("{s:s}", "id",
		    a->id));
	} else if (json_object_size(a->item) != 0) {
		item = check_obj(body, itemkey);
		json_object_update(item, a->item);
	}
	if (!json_is_object(json_object_get(body, itemkey))) {
		json_decref(body);
		return (cli_usage_error(ctx, "no %s given: give its facts as "
		    "flags, --%s ID or --file FILE", itemkey, idopt));
	}

	if (a->as_of != NULL)
		json_object_set_new(body, "as_of", json_string(a->as_of));
	if (a->to[0] != '\0')
		json_object_set_new(body, "destination", json_string(a->to));
	if (!json_is_string(json_object_get(body, "destination"))) {
		json_decref(body);
		return (cli_usage_error(ctx, "no destination given: use --to CC"));
	}
	if (json_object_size(a->recipient) != 0)
		json_object_update(check_obj(body, "recipient"), a->recipient);
	if (json_object_size(a->exporter) != 0)
		json_object_update(check_obj(body, "exporter"), a->exporter);
	json_object_foreach(a->top, k, v)
		json_object_set(body, k, v);
	*out = body;
	return (0);
}

/* Create the flag accumulators. */
static void
check_args_init(struct check_args *a)
{
	memset(a, 0, sizeof *a);
	a->recipient = json_object();
	a->exporter = json_object();
	a->item = json_object();
	a->top = json_object();
}

/* Free the flag accumulators. */
static void
check_args_free(struct check_args *a)
{
	json_decref(a->recipient);
	json_decref(a->exporter);
	json_decref(a->item);
	json_decref(a->top);
}

/*
 * Build the POST /v1/checks/chip body from argv. Returns 0 with *out (a new
 * reference), or an exit code with the message printed. Sets *dry_run.
 */
static int
check_chip_build(struct cmd_ctx *ctx, int argc, char **argv, json_t **out,
    bool *dry_run)
{
	static const struct option longopts[] = {
		CHECK_COMMON_OPTIONS,
		{ "tops", required_argument, NULL, OPT_TOPS },
		{ "die-area", required_argument, NULL, OPT_DIE_AREA },
		{ "io-bw", required_argument, NULL, OPT_IO_BW },
		{ "mem-bw", required_argument, NULL, OPT_MEM_BW },
		{ "datacenter", no_argument, NULL, OPT_DATACENTER },
		{ "no-datacenter", no_argument, NULL, OPT_NO_DATACENTER },
		{ "kind", required_argument, NULL, OPT_KIND },
		{ "chip", required_argument, NULL, OPT_CHIP },
		{ "quantity", required_argument, NULL, OPT_QUANTITY },
		{ "export-type", required_argument, NULL, OPT_EXPORT_TYPE },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const export_types[] = { "export", "reexport",
	    "in_country_transfer", NULL };
	static const char *const kinds[] = { "ic", "hbm", "computer", NULL };
	struct check_args	 a;
	json_t			*perf = json_array(), *entry;
	double			 d;
	char			*end;
	long long		 q;
	int			 c, rc = 0;

	*out = NULL;
	check_args_init(&a);
	cli_getopt_reset();
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if ((rc = check_common_option(ctx, c, &a)) != 1) {
			if (rc != 0)
				goto out;
			continue;
		}
		rc = 0;
		switch (c) {
		case OPT_TOPS:
			if ((rc = check_parse_tops(ctx, optarg, &entry)) != 0)
				goto out;
			json_array_append_new(perf, entry);
			break;
		case OPT_DIE_AREA:
		case OPT_IO_BW:
		case OPT_MEM_BW:
			if ((rc = check_parse_number(ctx, c == OPT_DIE_AREA ?
			    "die-area" : c == OPT_IO_BW ? "io-bw" : "mem-bw",
			    optarg, &d)) != 0)
				goto out;
			json_object_set_new(a.item, c == OPT_DIE_AREA ?
			    "die_area_mm2" : c == OPT_IO_BW ?
			    "io_bandwidth_gbs" : "memory_bandwidth_gbs",
			    check_number(d));
			break;
		case OPT_DATACENTER:
		case OPT_NO_DATACENTER:
			json_object_set_new(a.item, "datacenter",
			    json_boolean(c == OPT_DATACENTER));
			break;
		case OPT_KIND:
			if ((rc = check_parse_word(ctx, "kind", optarg,
			    kinds)) != 0)
				goto out;
			json_object_set_new(a.item, "kind", json_string(optarg));
			break;
		case OPT_CHIP:
			a.id = optarg;
			break;
		case OPT_QUANTITY:
			errno = 0;
			q = strtoll(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || errno != 0 ||
			    q < 1) {
				rc = cli_usage_error(ctx, "invalid value for "
				    "--quantity: \"%s\" is not a whole number "
				    "of units (1 or more)", optarg);
				goto out;
			}
			json_object_set_new(a.top, "quantity",
			    json_integer(q));
			break;
		case OPT_EXPORT_TYPE:
			if ((rc = check_parse_word(ctx, "export-type", optarg,
			    export_types)) != 0)
				goto out;
			json_object_set_new(a.top, "export_type",
			    json_string(optarg));
			break;
		default:
			rc = check_bad_option(ctx, c, argc, argv);
			goto out;
		}
	}
	if (optind < argc) {
		rc = cli_usage_error(ctx, "unexpected argument \"%s\"",
		    argv[optind]);
		goto out;
	}
	if (json_array_size(perf) != 0)
		json_object_set(a.item, "performance", perf);
	rc = check_finish(ctx, &a, "chip", "chip", out);
	*dry_run = a.dry_run;
out:
	json_decref(perf);
	check_args_free(&a);
	return (rc);
}

/*
 * Build the POST /v1/checks/weights body from argv (as check_chip_build).
 */
static int
check_weights_build(struct cmd_ctx *ctx, int argc, char **argv, json_t **out,
    bool *dry_run)
{
	static const struct option longopts[] = {
		CHECK_COMMON_OPTIONS,
		{ "training-ops", required_argument, NULL, OPT_TRAINING_OPS },
		{ "parameters", required_argument, NULL, OPT_PARAMETERS },
		{ "published", no_argument, NULL, OPT_PUBLISHED },
		{ "unpublished", no_argument, NULL, OPT_UNPUBLISHED },
		{ "published-on", required_argument, NULL, OPT_PUBLISHED_ON },
		{ "derived-from", required_argument, NULL, OPT_DERIVED_FROM },
		{ "base-ops", required_argument, NULL, OPT_BASE_OPS },
		{ "base-published", no_argument, NULL, OPT_BASE_PUBLISHED },
		{ "base-unpublished", no_argument, NULL, OPT_BASE_UNPUBLISHED },
		{ "additional-ops", required_argument, NULL,
		    OPT_ADDITIONAL_OPS },
		{ "model", required_argument, NULL, OPT_MODEL },
		{ "release", required_argument, NULL, OPT_RELEASE },
		{ "posture", required_argument, NULL, OPT_POSTURE },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const releases[] = { "export", "publish",
	    "deemed_export", NULL };
	static const char *const postures[] = { "enforced", "text", NULL };
	struct check_args	 a;
	json_t			*base = json_object();
	double			 d;
	int			 c, rc = 0;

	*out = NULL;
	check_args_init(&a);
	cli_getopt_reset();
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if ((rc = check_common_option(ctx, c, &a)) != 1) {
			if (rc != 0)
				goto out;
			continue;
		}
		rc = 0;
		switch (c) {
		case OPT_TRAINING_OPS:
		case OPT_PARAMETERS:
		case OPT_ADDITIONAL_OPS:
			if ((rc = check_parse_number(ctx, c ==
			    OPT_TRAINING_OPS ? "training-ops" : c ==
			    OPT_PARAMETERS ? "parameters" : "additional-ops",
			    optarg, &d)) != 0)
				goto out;
			json_object_set_new(a.item, c == OPT_TRAINING_OPS ?
			    "training_ops" : c == OPT_PARAMETERS ? "parameters" :
			    "additional_training_ops", check_number(d));
			break;
		case OPT_PUBLISHED:
		case OPT_UNPUBLISHED:
			json_object_set_new(a.item, "published",
			    json_boolean(c == OPT_PUBLISHED));
			break;
		case OPT_PUBLISHED_ON:
			if ((rc = check_parse_date(ctx, "published-on",
			    optarg)) != 0)
				goto out;
			json_object_set_new(a.item, "published_on",
			    json_string(optarg));
			break;
		case OPT_DERIVED_FROM:
			json_object_set_new(base, "name", json_string(optarg));
			break;
		case OPT_BASE_OPS:
			if ((rc = check_parse_number(ctx, "base-ops", optarg,
			    &d)) != 0)
				goto out;
			json_object_set_new(base, "training_ops",
			    check_number(d));
			break;
		case OPT_BASE_PUBLISHED:
		case OPT_BASE_UNPUBLISHED:
			json_object_set_new(base, "published",
			    json_boolean(c == OPT_BASE_PUBLISHED));
			break;
		case OPT_MODEL:
			a.id = optarg;
			break;
		case OPT_RELEASE:
			if ((rc = check_parse_word(ctx, "release", optarg,
			    releases)) != 0)
				goto out;
			json_object_set_new(a.top, "release",
			    json_string(optarg));
			break;
		case OPT_POSTURE:
			if ((rc = check_parse_word(ctx, "posture", optarg,
			    postures)) != 0)
				goto out;
			json_object_set_new(a.top, "posture",
			    json_string(optarg));
			break;
		default:
			rc = check_bad_option(ctx, c, argc, argv);
			goto out;
		}
	}
	if (optind < argc) {
		rc = cli_usage_error(ctx, "unexpected argument \"%s\"",
		    argv[optind]);
		goto out;
	}
	if (json_object_size(base) != 0)
		json_object_set(a.item, "derived_from", base);
	rc = check_finish(ctx, &a, "model", "model", out);
	*dry_run = a.dry_run;
out:
	json_decref(base);
	check_args_free(&a);
	return (rc);
}

/* The chip request body from argv, for tests and --dry-run (see earctl.h). */
int
cmd_check_chip_body(struct cmd_ctx *ctx, int argc, char **argv, json_t **out)
{
	bool	dry_run;

	return (check_chip_build(ctx, argc, argv, out, &dry_run));
}

/* The weights request body from argv, for tests and --dry-run. */
int
cmd_check_weights_body(struct cmd_ctx *ctx, int argc, char **argv,
    json_t **out)
{
	bool	dry_run;

	return (check_weights_build(ctx, argc, argv, out, &dry_run));
}

/* Print "  key: value" for each member of an object (nested one level). */
static void
check_print_object(const char *indent, json_t *o)
{
	const char	*k, *k2;
	json_t		*v, *v2;
	char		*s;
	bool		 first;

	json_object_foreach(o, k, v) {
		if (json_is_object(v)) {
			printf("%s%s:", indent, k);
			first = true;
			json_object_foreach(v, k2, v2) {
				s = cli_json_text(v2);
				printf("%s %s=%s", first ? "" : ",", k2, s);
				free(s);
				first = false;
			}
			putchar('\n');
			continue;
		}
		s = cli_json_text(v);
		printf("%s%s: %s\n", indent, k, s);
		free(s);
	}
}

/*
 * Print classification.margins: "tpp 4992 >= 4800 by 192 (3A090.a)" for
 * entries with fact/value/threshold/margin, else key: value.
 */
static void
check_print_margins(json_t *margins)
{
	const char	*k, *fact;
	json_t		*m, *rules;
	char		*val, *thr, *mar, *r;

	json_object_foreach(margins, k, m) {
		fact = cli_json_str(m, "fact");
		if (!json_is_object(m) || fact == NULL ||
		    json_object_get(m, "value") == NULL ||
		    json_object_get(m, "threshold") == NULL) {
			json_t *one = json_pack("{s:O}", k, m);

			check_print_object("  ", one);
			json_decref(one);
			continue;
		}
		val = cli_json_text(json_object_get(m, "value"));
		thr = cli_json_text(json_object_get(m, "threshold"));
		mar = cli_json_text(json_object_get(m, "margin"));
		printf("  %s %s %s %s", fact, val, json_is_false(
		    json_object_get(m, "at_or_above")) ? "<" : ">=", thr);
		if (*mar != '\0')
			printf(" (margin %s%s)", mar[0] == '-' ? "" : "+", mar);
		rules = json_object_get(m, "rules");
		if (json_is_array(rules) && json_array_size(rules) != 0) {
			r = json_dumps(rules, JSON_COMPACT);
			printf(" %s", r != NULL ? r : "");
			free(r);
		}
		putchar('\n');
		free(val);
		free(thr);
		free(mar);
	}
}

/* Print a list of strings (or objects) as "  - item" lines. */
static void
check_print_list(const char *title, json_t *a)
{
	size_t	 i;
	json_t	*v;
	char	*s;

	if (!json_is_array(a) || json_array_size(a) == 0)
		return;
	printf("%s:\n", title);
	json_array_foreach(a, i, v) {
		s = cli_json_text(v);
		printf("  - %s\n", s);
		free(s);
	}
}

/* Print a number field of an object if present. */
static void
check_print_field(const char *label, json_t *o, const char *key)
{
	json_t	*v;
	char	*s;

	v = json_object_get(o, key);
	if (v == NULL)
		return;
	s = cli_json_text(v);
	printf("%-22s%s\n", label, *s != '\0' ? s : "-");
	free(s);
}

/* Print a verdict reply for people. */
static void
check_print_verdict(struct cmd_ctx *ctx, json_t *r)
{
	json_t		*cls, *v, *conds;
	const char	*s;
	size_t		 i, j;
	char		*t;

	s = cli_json_str(r, "verdict");
	printf("%-22s%s\n", "verdict:", s != NULL ? s : "?");
	if ((s = cli_json_str(r, "text_verdict")) != NULL)
		printf("%-22s%s (the regulation text alone)\n", "text verdict:",
		    s);
	if ((s = cli_json_str(r, "review_policy")) != NULL)
		printf("%-22s%s\n", "review policy:", s);

	cls = json_object_get(r, "classification");
	if (json_is_object(cls)) {
		v = json_object_get(cls, "eccn");
		printf("%-22s%s\n", "ECCN:", json_is_string(v) ?
		    json_string_value(v) : "none (no loaded rule classifies it)");
		if ((s = cli_json_str(cls, "citation")) != NULL)
			printf("%-22s%s\n", "  cited:", s);
		check_print_field("TPP:", cls, "tpp");
		check_print_field("performance density:", cls,
		    "performance_density");
		check_print_field("aggregate TPP:", cls, "aggregate_tpp");
		v = json_object_get(cls, "margins");
		if (json_is_object(v) && json_object_size(v) != 0) {
			printf("margins:\n");
			check_print_margins(v);
		}
		v = json_object_get(cls, "facts_used");
		if (ctx->verbose > 0 && json_is_object(v)) {
			printf("facts used:\n");
			check_print_object("  ", v);
		}
	}
	v = json_object_get(r, "count");
	if (json_is_object(v)) {
		printf("training operations counted (4E091):\n");
		check_print_object("  ", v);
	}

	v = json_object_get(r, "requirements");
	if (json_is_array(v) && json_array_size(v) != 0) {
		printf("requirements:\n");
		for (i = 0; i < json_array_size(v); i++) {
			json_t *q = json_array_get(v, i);

			s = cli_json_str(q, "reason");
			printf("  - %s: ", s != NULL ? s : "licence");
			s = cli_json_str(q, "review_policy");
			printf("%s", s != NULL ? s : "licence required");
			if ((s = cli_json_str(q, "citation")) != NULL)
				printf(", %s", s);
			if ((s = cli_json_str(q, "rule")) != NULL)
				printf(" [%s]", s);
			putchar('\n');
			if ((s = cli_json_str(q, "note")) != NULL)
				printf("    %s\n", s);
			conds = json_object_get(q, "conditions");
			for (j = 0; j < json_array_size(conds); j++) {
				t = cli_json_text(json_array_get(conds, j));
				printf("    condition: %s\n", t);
				free(t);
			}
		}
	}
	v = json_object_get(r, "exceptions");
	if (json_is_array(v) && json_array_size(v) != 0) {
		printf("licence exceptions:\n");
		for (i = 0; i < json_array_size(v); i++) {
			json_t *x = json_array_get(v, i);

			s = cli_json_str(x, "code");
			printf("  - %s: %s", s != NULL ? s : "?",
			    json_is_true(json_object_get(x, "available")) ?
			    "available" : "not available");
			if ((s = cli_json_str(x, "citation")) != NULL)
				printf(", %s", s);
			putchar('\n');
			if ((s = cli_json_str(x, "why")) != NULL)
				printf("    why: %s\n", s);
			if (json_is_true(json_object_get(x, "notification")))
				printf("    notification to BIS required\n");
			conds = json_object_get(x, "conditions");
			for (j = 0; j < json_array_size(conds); j++) {
				t = cli_json_text(json_array_get(conds, j));
				printf("    condition: %s\n", t);
				free(t);
			}
		}
	}
	v = json_object_get(r, "screening");
	if (json_is_array(v) && json_array_size(v) != 0) {
		printf("screening:\n");
		for (i = 0; i < json_array_size(v); i++) {
			json_t *x = json_array_get(v, i);

			if (!json_is_object(x)) {
				t = cli_json_text(x);
				printf("  - %s\n", t);
				free(t);
				continue;
			}
			s = cli_json_str(x, "name");
			printf("  - %s", s != NULL ? s : "?");
			if ((s = cli_json_str(x, "source")) != NULL)
				printf(" (%s)", s);
			if ((s = cli_json_str(x, "license_requirement")) != NULL)
				printf(": %s", s);
			putchar('\n');
		}
	}
	check_print_list("notes", json_object_get(r, "notes"));
	check_print_list("missing facts", json_object_get(r, "missing"));

	s = cli_json_str(r, "as_of");
	printf("as of %s", s != NULL ? s : "?");
	s = cli_json_str(r, "ruleset");
	printf(", ruleset %s", s != NULL ? s : "?");
	s = cli_json_str(r, "decision_id");
	printf(", decision %s\n", s != NULL ? s : "?");
}

/* Send a check and report it; the exit code follows the verdict. */
static int
check_send(struct cmd_ctx *ctx, const char *path, json_t *body)
{
	json_error_t	 jerr;
	json_t		*reply = NULL;
	char		*text = NULL;
	int		 rc, status;

	if (ctx->format == CLI_FORMAT_JSON) {
		if ((rc = cli_request_text(ctx, "POST", path, body, &status,
		    &text)) != 0)
			return (rc);
		reply = json_loads(text != NULL ? text : "", 0, &jerr);
		if (status >= 200 && status < 300) {
			fputs(text != NULL ? text : "", stdout);
			if (text != NULL && *text != '\0' &&
			    text[strlen(text) - 1] != '\n')
				putchar('\n');
		}
		free(text);
	} else if ((rc = cli_request(ctx, "POST", path, body, &status,
	    &reply)) != 0)
		return (rc);

	if ((rc = cli_reply_exit(status, reply)) != 0) {
		json_decref(reply);
		return (rc);
	}
	if (!json_is_object(reply)) {
		cli_warnx("eard's reply to %s is not a JSON object", path);
		json_decref(reply);
		return (CLI_EXIT_ERROR);
	}
	if (ctx->format != CLI_FORMAT_JSON)
		check_print_verdict(ctx, reply);
	rc = cli_exit_for_verdict(cli_json_str(reply, "verdict"));
	if (rc == CLI_EXIT_ERROR)
		cli_warnx("eard's reply has no known verdict");
	json_decref(reply);
	return (rc);
}

/* Run a check command: build, maybe print (--dry-run), send. */
static int
check_run(struct cmd_ctx *ctx, int argc, char **argv, const char *path,
    int (*build)(struct cmd_ctx *, int, char **, json_t **, bool *))
{
	json_t	*body;
	bool	 dry_run = false;
	int	 rc;

	if ((rc = build(ctx, argc, argv, &body, &dry_run)) != 0)
		return (rc);
	if (dry_run) {
		cli_print_json(body);
		json_decref(body);
		return (CLI_EXIT_OK);
	}
	return (check_send(ctx, path, body));
}

/* earctl check chip */
int
cmd_check_chip_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	return (check_run(ctx, argc, argv, "/v1/checks/chip",
	    check_chip_build));
}

/* earctl check weights */
int
cmd_check_weights_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	return (check_run(ctx, argc, argv, "/v1/checks/weights",
	    check_weights_build));
}
