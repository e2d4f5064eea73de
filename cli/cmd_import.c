/*
 * cmd_import.c: `earctl import KIND FILE...` and `earctl rules validate`.
 * Imports go straight to PostgreSQL as eard_admin through the importers'
 * C APIs (importers/importers.h); each importer works in one transaction
 * and NOTIFYs the daemons on commit, so a bad file changes nothing. One
 * row per kind in import_kinds[]: a new importer is one row and one
 * function.
 */
#include <sys/stat.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "earctl.h"
#include "importers.h"

#ifndef EARD_SHAREDIR
#define EARD_SHAREDIR "/usr/local/share/eard"
#endif

/* What the options said. */
struct import_opts {
	const char	*format;	/* models, chips: epoch|hf|json */
	const char	*date;		/* ecfr: the eCFR date */
	const char	*citation;	/* fr: "88 FR 73458" */
	const char	*schema;	/* rules: the RELAX NG file */
};

struct import_kind {
	const char	*name;
	int		(*run)(struct cmd_ctx *, PGconn *,
			    const struct import_opts *, char **, size_t,
			    char **);
};

/* The rulepack schema: --schema, ./rules/rulepack.rng, or installed. */
static const char *
import_rng_path(const struct import_opts *o)
{
	struct stat	sb;

	if (o->schema != NULL)
		return (o->schema);
	if (stat("rules/rulepack.rng", &sb) == 0)
		return ("rules/rulepack.rng");
	return (EARD_SHAREDIR "/rules/rulepack.rng");
}

/* earctl import rules FILE... */
static int
import_rules(struct cmd_ctx *ctx, PGconn *conn, const struct import_opts *o,
    char **files, size_t n, char **cause)
{
	struct rulepack_report	r;
	char			*prev = NULL, *prev_version = NULL, *why = NULL;
	bool			 impact = true;

	/* The rules before the import, for the impact run (cmd_impact.c). */
	if (cmd_impact_previous(conn, &prev, &prev_version, &why) != 0) {
		cli_warnx("no impact run: %s", why);
		free(why);
		impact = false;
	}
	memset(&r, 0, sizeof r);
	if (rulepack_import_files(conn, files, n, import_rng_path(o), &r,
	    cause) != 0) {
		free(prev);
		free(prev_version);
		return (-1);
	}
	if (ctx->format == CLI_FORMAT_JSON)
		printf("{\"kind\":\"rules\",\"files\":%zu,\"imported\":%zu,"
		    "\"unchanged\":%zu,\"rows\":%zu}\n", r.files, r.imported,
		    r.unchanged, r.rows);
	else
		printf("rules: %zu files, %zu imported, %zu unchanged, %zu "
		    "rule rows\n", r.files, r.imported, r.unchanged, r.rows);
	if (r.imported > 0 && impact)
		cmd_impact_after_import(ctx, conn, prev, prev_version);
	free(prev);
	free(prev_version);
	return (0);
}

/* earctl import models|chips FILE... */
static int
import_registry(struct cmd_ctx *ctx, PGconn *conn, enum registry_kind kind,
    const struct import_opts *o, char **files, size_t n, char **cause)
{
	struct registry_report	r;
	const char		*what = kind == REGISTRY_MODELS ? "models" :
				    "chips";

	memset(&r, 0, sizeof r);
	if (registry_import_files(conn, kind, o->format, files, n, &r,
	    cause) != 0)
		return (-1);
	if (ctx->format == CLI_FORMAT_JSON)
		printf("{\"kind\":\"%s\",\"files\":%zu,\"items\":%zu,"
		    "\"facts_new\":%zu,\"facts_changed\":%zu,"
		    "\"facts_unchanged\":%zu}\n", what, r.files, r.items,
		    r.facts_new, r.facts_changed, r.facts_unchanged);
	else
		printf("%s: %zu files, %zu entries, %zu new facts, %zu "
		    "changed, %zu unchanged\n", what, r.files, r.items,
		    r.facts_new, r.facts_changed, r.facts_unchanged);
	return (0);
}

/* earctl import models FILE... */
static int
import_models(struct cmd_ctx *ctx, PGconn *conn, const struct import_opts *o,
    char **files, size_t n, char **cause)
{
	return (import_registry(ctx, conn, REGISTRY_MODELS, o, files, n,
	    cause));
}

/* earctl import chips FILE... */
static int
import_chips(struct cmd_ctx *ctx, PGconn *conn, const struct import_opts *o,
    char **files, size_t n, char **cause)
{
	return (import_registry(ctx, conn, REGISTRY_CHIPS, o, files, n, cause));
}

/* earctl import ecfr FILE... (one transaction per file: one date each) */
static int
import_ecfr(struct cmd_ctx *ctx, PGconn *conn, const struct import_opts *o,
    char **files, size_t n, char **cause)
{
	struct ecfr_stats	s;
	size_t			i;

	for (i = 0; i < n; i++) {
		memset(&s, 0, sizeof s);
		if (ecfr_import_file(conn, files[i], o->date, &s, cause) != 0)
			return (-1);
		if (ctx->format == CLI_FORMAT_JSON)
			printf("{\"kind\":\"ecfr\",\"file\":\"%s\",\"nodes\":"
			    "%zu,\"eccns\":%zu,\"groups\":%zu,\"chart\":%zu,"
			    "\"entities\":%zu}\n", files[i], s.nodes, s.eccns,
			    s.groups, s.chart, s.entities);
		else
			printf("ecfr: %s: %zu paragraphs, %zu ECCNs, %zu group "
			    "memberships, %zu chart rows, %zu entities\n",
			    files[i], s.nodes, s.eccns, s.groups, s.chart,
			    s.entities);
	}
	return (0);
}

/* earctl import fr FILE... (one transaction per file) */
static int
import_fr(struct cmd_ctx *ctx, PGconn *conn, const struct import_opts *o,
    char **files, size_t n, char **cause)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (fr_import_file(conn, files[i], o->citation, cause) != 0)
			return (-1);
		if (ctx->format == CLI_FORMAT_JSON)
			printf("{\"kind\":\"fr\",\"file\":\"%s\"}\n", files[i]);
		else
			printf("fr: %s imported\n", files[i]);
	}
	return (0);
}

/* earctl import csl FILE...: the Consolidated Screening List (csl.c). */
static int
import_csl(struct cmd_ctx *ctx, PGconn *conn,
    __attribute__((unused)) const struct import_opts *o, char **files,
    size_t n, char **cause)
{
	struct csl_report	 rep;
	size_t			 i;

	for (i = 0; i < n; i++) {
		if (csl_import_file(conn, files[i], &rep, cause) != 0)
			return (-1);
		if (ctx->format == CLI_FORMAT_JSON)
			printf("{\"kind\":\"csl\",\"file\":\"%s\","
			    "\"version\":%lld,\"parties\":%zu,"
			    "\"unchanged\":%s,\"rescreened\":%zu,"
			    "\"changed\":%zu}\n", files[i], rep.version,
			    rep.parties, rep.unchanged ? "true" : "false",
			    rep.rescreened, rep.changed);
		else
			printf("csl: %s: %zu parties, list version %lld%s; "
			    "%zu screened parties rescreened, %zu changed\n",
			    files[i], rep.parties, rep.version,
			    rep.unchanged ? " (already imported)" : "",
			    rep.rescreened, rep.changed);
	}
	return (0);
}

static const struct import_kind import_kinds[] = {
	{ "rules", import_rules },
	{ "chips", import_chips },
	{ "models", import_models },
	{ "csl", import_csl },
	{ "ecfr", import_ecfr },
	{ "fr", import_fr },
};

/* Parse the import options; returns the first operand's index or -exit. */
static int
import_parse(struct cmd_ctx *ctx, int argc, char **argv, struct import_opts *o)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "date", required_argument, NULL, 'd' },
		{ "citation", required_argument, NULL, 'c' },
		{ "schema", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	ear_date	d;
	int		c;

	memset(o, 0, sizeof *o);
	cli_getopt_reset();
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (strcmp(optarg, "epoch") != 0 &&
			    strcmp(optarg, "hf") != 0 &&
			    strcmp(optarg, "json") != 0)
				return (-cli_usage_error(ctx, "invalid value "
				    "for --format: \"%s\" (use epoch, hf or "
				    "json)", optarg));
			o->format = optarg;
			break;
		case 'd':
			if (date_parse(optarg, &d) != 0)
				return (-cli_usage_error(ctx, "invalid value "
				    "for --date: \"%s\" is not a date "
				    "(YYYY-MM-DD)", optarg));
			o->date = optarg;
			break;
		case 'c':
			o->citation = optarg;
			break;
		case 's':
			o->schema = optarg;
			break;
		case ':':
			return (-cli_usage_error(ctx, "option \"%s\" needs a "
			    "value", argv[optind - 1]));
		default:
			return (-cli_usage_error(ctx, "unknown option \"%s\"",
			    argv[optind - 1]));
		}
	}
	return (optind);
}

/* earctl import KIND [options] FILE... */
int
cmd_import_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct import_kind	*k = NULL;
	struct import_opts		 o;
	PGconn				*conn;
	char				*cause = NULL;
	size_t				 i;
	int				 first, rc;

	if (argc < 2)
		return (cli_usage_error(ctx, "missing what to import (rules, "
		    "chips, models, csl, ecfr or fr)"));
	for (i = 0; i < nitems(import_kinds); i++) {
		if (strcmp(argv[1], import_kinds[i].name) == 0)
			k = &import_kinds[i];
	}
	if (k == NULL)
		return (cli_usage_error(ctx, "cannot import \"%s\" (use rules, "
		    "chips, models, csl, ecfr or fr)", argv[1]));
	if ((first = import_parse(ctx, argc - 1, argv + 1, &o)) < 0)
		return (-first);
	if (first >= argc - 1)
		return (cli_usage_error(ctx, "no files given"));
	if ((conn = cli_db_connect(ctx, true, &cause)) == NULL) {
		cli_warnx("%s", cause);
		free(cause);
		return (CLI_EXIT_ERROR);
	}
	rc = CLI_EXIT_OK;
	if (k->run(ctx, conn, &o, argv + 1 + first, argc - 1 - first,
	    &cause) != 0) {
		cli_warnx("could not import %s: %s", k->name, cause);
		fputs("Nothing was changed by the failed transaction.\n",
		    stderr);
		free(cause);
		rc = CLI_EXIT_ERROR;
	}
	PQfinish(conn);
	return (rc);
}

/* earctl rules validate [--schema FILE] FILE... (no database) */
int
cmd_import_validate_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct import_opts	 o;
	char			*cause = NULL;
	int			 first, i, rc = CLI_EXIT_OK;

	if ((first = import_parse(ctx, argc, argv, &o)) < 0)
		return (-first);
	if (first >= argc)
		return (cli_usage_error(ctx, "no files given"));
	for (i = first; i < argc; i++) {
		if (rulepack_validate_file(argv[i], import_rng_path(&o),
		    &cause) != 0) {
			cli_warnx("%s", cause);
			free(cause);
			cause = NULL;
			rc = CLI_EXIT_NO;
		} else if (ctx->verbose > 0 || ctx->format == CLI_FORMAT_TABLE)
			printf("%s: valid\n", argv[i]);
	}
	return (rc);
}
