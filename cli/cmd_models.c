/*
 * cmd_models.c: the model and chip registry from the command line.
 *
 *	earctl models list [--over OPS] [--unpublished] [--as-of DATE]
 *	earctl model show ID
 *	earctl model estimate (--params N --tokens D | --gpu-hours H
 *	    (--chip ID | --peak-flops F) [--utilization U] | --model ID)
 *	earctl chips list
 *
 * All but `model estimate` with numbers ask eard (GET /v1/models,
 * /v1/models/ID, /v1/chips, /v1/chips/ID).
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "earctl.h"
#include "importers.h"

/* Utilisation assumed when none is given: labelled wherever it is used. */
#define MODELS_DEFAULT_UTILIZATION	0.4

/* Dense BF16 peaks of common training chips (Epoch AI ml_hardware.csv). */
static const struct {
	const char	*name;
	const char	*id;
	double		 flops;
} models_chips[] = {
	{ "h100", "nvidia-h100-sxm5-80gb", 989.4e12 },
	{ "h800", "nvidia-h800-sxm5", 989e12 },
	{ "a100", "nvidia-a100-sxm4-80-gb", 312e12 },
	{ "b200", "nvidia-b200", 2250e12 },
	{ "v100", "nvidia-v100", 125e12 },
};

static int
models_num(struct cmd_ctx *ctx, const char *flag, const char *s, double *out)
{
	double	 v;

	if (csv_number(s, &v) != 1 || v < 0)
		return cli_usage_error(ctx, "invalid value for %s: \"%s\" is "
		    "not a non-negative number", flag, s);
	*out = v;
	return 0;
}

/* GET path; on a non-2xx reply print it and return the exit code. */
static int
models_get(struct cmd_ctx *ctx, const char *path, json_t **reply)
{
	int	 rc, status;

	*reply = NULL;
	if ((rc = cli_request(ctx, "GET", path, NULL, &status, reply)) != 0)
		return rc;
	if (status == 404 && ctx->format != CLI_FORMAT_JSON) {
		cli_print_error(*reply);
		json_decref(*reply);
		*reply = NULL;
		return CLI_EXIT_NO;
	}
	if ((rc = cli_reply_exit(status, *reply)) != 0) {
		json_decref(*reply);
		*reply = NULL;
		return rc;
	}
	return 0;
}

/* earctl models list [--over OPS] [--unpublished] [--as-of DATE] */
int
cmd_models_list_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "over", required_argument, NULL, 'o' },
		{ "unpublished", no_argument, NULL, 'u' },
		{ "as-of", required_argument, NULL, 'a' },
		{ "limit", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const keys[] = { "id", "name", "ops", "ops_basis",
	    "parameters", "published", "publication_date", "developer" };
	const char	*over = NULL, *as_of = NULL, *limit = NULL;
	bool		 unpub = false;
	json_t		*reply, *m;
	char		 path[512];
	double		 v;
	ear_date	 d;
	int		 c, rc;

	cli_getopt_reset();
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			if ((rc = models_num(ctx, "--over", optarg, &v)) != 0)
				return rc;
			over = optarg;
			break;
		case 'l':
			if ((rc = models_num(ctx, "--limit", optarg, &v)) != 0)
				return rc;
			limit = optarg;
			break;
		case 'u':
			unpub = true;
			break;
		case 'a':
			if (date_parse(optarg, &d) != 0)
				return cli_usage_error(ctx, "invalid value for "
				    "--as-of: \"%s\" is not a date "
				    "(YYYY-MM-DD)", optarg);
			as_of = optarg;
			break;
		case ':':
			return cli_usage_error(ctx, "option \"%s\" needs a "
			    "value", argv[optind - 1]);
		default:
			return cli_usage_error(ctx, "unknown option \"%s\"",
			    argv[optind - 1]);
		}
	}
	if (optind != argc)
		return cli_usage_error(ctx, "too many operands");
	snprintf(path, sizeof path, "/v1/models?unpublished=%s%s%s%s%s%s%s",
	    unpub ? "true" : "false", over ? "&over=" : "", over ? over : "",
	    as_of ? "&as_of=" : "", as_of ? as_of : "",
	    limit ? "&limit=" : "", limit ? limit : "");
	if ((rc = models_get(ctx, path, &reply)) != 0)
		return rc;
	if (ctx->format == CLI_FORMAT_JSON) {
		cli_print_json(reply);
		json_decref(reply);
		return CLI_EXIT_OK;
	}
	cli_print_json_rows(ctx, json_object_get(reply, "models"), keys,
	    nitems(keys));
	m = json_object_get(reply, "most_compute_published");
	if (ctx->format == CLI_FORMAT_TABLE && json_is_object(m))
		printf("\nmost compute-intensive published model as of %s: "
		    "%s (%.3g operations, published %s); %s\n",
		    json_string_value(json_object_get(reply, "as_of")),
		    json_string_value(json_object_get(m, "name")),
		    json_number_value(json_object_get(m, "training_ops")),
		    json_string_value(json_object_get(m, "published_on")),
		    json_string_value(json_object_get(m, "source")));
	json_decref(reply);
	return CLI_EXIT_OK;
}

/* earctl model show ID */
int
cmd_model_show_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	json_t	*reply;
	char	*path;
	int	 rc;

	if (argc != 2)
		return cli_usage_error(ctx, argc < 2 ? "missing model id" :
		    "too many operands");
	xasprintf(&path, "/v1/models/%s", argv[1]);
	rc = models_get(ctx, path, &reply);
	free(path);
	if (rc != 0)
		return rc;
	if (ctx->format == CLI_FORMAT_JSON)
		cli_print_json(reply);
	else
		cli_print_human(reply, 0);
	json_decref(reply);
	return CLI_EXIT_OK;
}

/* The dense BF16 peak (FLOP/s) of a chip: the table above, else eard. */
static int
models_chip_peak(struct cmd_ctx *ctx, const char *chip, double *peak,
    char **label)
{
	const json_t	*e, *perf;
	json_t		*reply;
	char		*path;
	size_t		 i;
	int		 rc;

	for (i = 0; i < nitems(models_chips); i++) {
		if (strcasecmp(chip, models_chips[i].name) == 0 ||
		    strcmp(chip, models_chips[i].id) == 0) {
			*peak = models_chips[i].flops;
			xasprintf(label, "%s dense BF16 peak (Epoch AI "
			    "ml_hardware.csv)", models_chips[i].id);
			return 0;
		}
	}
	xasprintf(&path, "/v1/chips/%s", chip);
	rc = models_get(ctx, path, &reply);
	free(path);
	if (rc != 0)
		return rc;
	*peak = NAN;
	perf = json_object_get(json_object_get(reply, "facts"), "performance");
	json_array_foreach(perf, i, e) {
		const char *f = json_string_value(json_object_get(e, "format"));

		if (f != NULL && (strcmp(f, "bf16") == 0 ||
		    (strcmp(f, "fp16") == 0 && isnan(*peak))))
			*peak = json_number_value(json_object_get(e,
			    "dense_tops")) * 1e12;
	}
	json_decref(reply);
	if (isnan(*peak)) {
		cli_warnx("chip \"%s\" has no 16-bit dense peak in the "
		    "registry; give --peak-flops", chip);
		return CLI_EXIT_ERROR;
	}
	xasprintf(label, "%s dense 16-bit peak (registry)", chip);
	return 0;
}

/*
 * earctl model estimate: training operations, line by line.
 *   6 x N x D (90 FR 4544, 4E091 Technical Note 2: 6*N*D for a dense layer
 *   trained with backprop; N = active parameters for mixture-of-experts)
 *   or GPU-hours x 3600 x peak FLOP/s x utilisation.
 */
int
cmd_model_estimate_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "params", required_argument, NULL, 'p' },
		{ "active-params", required_argument, NULL, 'A' },
		{ "tokens", required_argument, NULL, 't' },
		{ "gpu-hours", required_argument, NULL, 'g' },
		{ "chip", required_argument, NULL, 'c' },
		{ "peak-flops", required_argument, NULL, 'f' },
		{ "utilization", required_argument, NULL, 'u' },
		{ "model", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 }
	};
	double		 n = NAN, na = NAN, d = NAN, h = NAN, peak = NAN;
	double		 u = NAN, ops;
	const char	*chip = NULL, *model = NULL;
	char		*label = NULL, *path;
	json_t		*reply, *out, *det;
	int		 c, rc;

	cli_getopt_reset();
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		rc = 0;
		switch (c) {
		case 'p':
			rc = models_num(ctx, "--params", optarg, &n);
			break;
		case 'A':
			rc = models_num(ctx, "--active-params", optarg, &na);
			break;
		case 't':
			rc = models_num(ctx, "--tokens", optarg, &d);
			break;
		case 'g':
			rc = models_num(ctx, "--gpu-hours", optarg, &h);
			break;
		case 'f':
			rc = models_num(ctx, "--peak-flops", optarg, &peak);
			break;
		case 'u':
			rc = models_num(ctx, "--utilization", optarg, &u);
			if (rc == 0 && (u <= 0 || u > 1))
				rc = cli_usage_error(ctx, "--utilization must "
				    "be in (0, 1]");
			break;
		case 'c':
			chip = optarg;
			break;
		case 'm':
			model = optarg;
			break;
		case ':':
			return cli_usage_error(ctx, "option \"%s\" needs a "
			    "value", argv[optind - 1]);
		default:
			return cli_usage_error(ctx, "unknown option \"%s\"",
			    argv[optind - 1]);
		}
		if (rc != 0)
			return rc;
	}
	if (optind != argc)
		return cli_usage_error(ctx, "too many operands");
	if (model != NULL) {
		xasprintf(&path, "/v1/models/%s", model);
		rc = models_get(ctx, path, &reply);
		free(path);
		if (rc != 0)
			return rc;
		det = json_object_get(reply, "detail");
#define DET(k) json_number_value(json_object_get(json_object_get(det, k), \
	"value"))
		if (isnan(n) && json_object_get(det, "parameters") != NULL)
			n = DET("parameters");
		if (isnan(na) && json_object_get(det, "active_parameters"))
			na = DET("active_parameters");
		if (isnan(d) && json_object_get(det, "training_tokens"))
			d = DET("training_tokens");
		if (isnan(h) && json_object_get(det, "training_gpu_hours"))
			h = DET("training_gpu_hours");
		if (json_object_get(det, "training_ops") != NULL)
			printf("stated training operations: %.4g (%s)\n",
			    DET("training_ops"), json_string_value(
			    json_object_get(json_object_get(det,
			    "training_ops"), "dataset")));
#undef DET
		json_decref(reply);
	}
	out = json_object();
	if (!isnan(n) && !isnan(d)) {
		double nn = !isnan(na) ? na : n;

		ops = registry_estimate_6nd(nn, d);
		if (ctx->format != CLI_FORMAT_JSON) {
			printf("method: 6 x N x D (15 CFR 774 Supp. 1, 4E091 "
			    "Technical Note 2; 90 FR 4544)\n");
			printf("N = %.4g %s\n", nn, !isnan(na) ?
			    "active parameters (mixture of experts)" :
			    "parameters");
			printf("D = %.4g training tokens\n", d);
			printf("6 x %.4g x %.4g = %.4g operations (estimate)\n",
			    nn, d, ops);
		}
		json_object_set_new(out, "method", json_string("6 x N x D"));
		json_object_set_new(out, "N", json_real(nn));
		json_object_set_new(out, "D", json_real(d));
	} else if (!isnan(h)) {
		bool dflt = isnan(u);

		if (isnan(peak)) {
			if (chip == NULL) {
				json_decref(out);
				return cli_usage_error(ctx, "--gpu-hours needs "
				    "--chip ID or --peak-flops F");
			}
			if ((rc = models_chip_peak(ctx, chip, &peak,
			    &label)) != 0) {
				json_decref(out);
				return rc;
			}
		}
		if (dflt)
			u = MODELS_DEFAULT_UTILIZATION;
		ops = registry_estimate_gpu_hours(h, peak, u);
		if (ctx->format != CLI_FORMAT_JSON) {
			printf("method: GPU-hours x 3600 s x peak FLOP/s x "
			    "utilisation\n");
			printf("GPU-hours = %.4g\n", h);
			printf("peak = %.4g FLOP/s%s%s\n", peak,
			    label != NULL ? ", " : " (given)",
			    label != NULL ? label : "");
			printf("utilisation = %.2f%s\n", u, dflt ?
			    " (default assumption, not measured)" : "");
			printf("%.4g x 3600 x %.4g x %.2f = %.4g operations "
			    "(estimate)\n", h, peak, u, ops);
		}
		json_object_set_new(out, "method", json_string(
		    "GPU-hours x 3600 x peak x utilization"));
		json_object_set_new(out, "gpu_hours", json_real(h));
		json_object_set_new(out, "peak_flops", json_real(peak));
		json_object_set_new(out, "utilization", json_real(u));
		json_object_set_new(out, "utilization_default",
		    json_boolean(dflt));
	} else {
		json_decref(out);
		return cli_usage_error(ctx, "give --params and --tokens, "
		    "--gpu-hours with --chip or --peak-flops, or --model ID "
		    "with those facts in the registry");
	}
	free(label);
	json_object_set_new(out, "training_ops", json_real(ops));
	json_object_set_new(out, "over_1e26", json_boolean(ops >= 1e26));
	if (ctx->format == CLI_FORMAT_JSON)
		cli_print_json(out);
	else
		printf("%s 1e26 (the 4E091 threshold): %s\n",
		    ops >= 1e26 ? "at or above" : "below",
		    ops >= 1e26 ? "the weights would be 4E091 if unpublished" :
		    "not 4E091 on compute alone");
	json_decref(out);
	return CLI_EXIT_OK;
}

/* earctl chips list */
int
cmd_chips_list_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const char *const keys[] = { "id", "name", "tpp",
	    "performance_density", "epoch_tpp", "manufacturer",
	    "release_date" };
	json_t	*reply;
	int	 rc;

	(void)argv;
	if (argc != 1)
		return cli_usage_error(ctx, "too many operands");
	if ((rc = models_get(ctx, "/v1/chips", &reply)) != 0)
		return rc;
	if (ctx->format == CLI_FORMAT_JSON)
		cli_print_json(reply);
	else
		cli_print_json_rows(ctx, json_object_get(reply, "chips"), keys,
		    nitems(keys));
	json_decref(reply);
	return CLI_EXIT_OK;
}
