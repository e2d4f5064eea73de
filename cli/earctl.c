/*
 * earctl: main(), the global options and THE command table.
 *
 * Other engineers add one line each to cmd_table[] below (see the comment
 * at the top of earctl.h for the entry shape) and their section to
 * earctl.h. Keep docs/earctl.1 in step: tests/unit/test_cli_args.c checks
 * that every command here appears in it.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "earctl.h"

static int	cmd_help_exec(struct cmd_ctx *, int, char **);
static int	cmd_version_exec(struct cmd_ctx *, int, char **);

/*
 * THE command table. One line per command; multi-word names are matched
 * word by word, longest first. Keep "help" first.
 */
const struct cmd_entry cmd_table[] = {
	{ "help", "help [COMMAND]",
	  "Show the commands, the global options and the exit codes, or the "
	  "usage of one command.", cmd_help_exec },
	{ "version", "version", "Print the version of earctl and, when eard "
	  "answers, its version, the ruleset in force and each screening "
	  "list's version.",
	  cmd_version_exec },
	{ "status", "status",
	  "Show whether eard is ready, its version, the ruleset version and the "
	  "database state (GET /readyz and /metrics). Exits 1 when eard answers "
	  "but is not ready, 3 when it does not answer.", cmd_status_exec },
	{ "db migrate", "db migrate [--schema-dir DIR] [--dry-run]",
	  "Apply the pending schema/NNN_*.sql migrations in order, each in one "
	  "transaction, recording name and SHA-256 in schema_migrations. "
	  "Idempotent; refuses to run if an applied file has changed.",
	  cmd_db_migrate_exec },
	{ "db status", "db status [--schema-dir DIR]",
	  "List the migrations: applied (with when) and pending. Exits 1 if "
	  "any are pending or changed.", cmd_db_status_exec },
	{ "check chip",
	  "check chip (--tops FMT=N... [--die-area MM2] [--io-bw GBS] "
	  "[--mem-bw GBS] [--datacenter|--no-datacenter] [--name NAME] | "
	  "--chip ID | --file FILE) --to CC [--as-of DATE] [--quantity N] "
	  "[--recipient NAME] [--recipient-country CC] [--recipient-hq CC] "
	  "[--exporter NAME] [--exporter-country CC] [--export-type TYPE] "
	  "[--dry-run]",
	  "Ask eard whether exporting a chip to a destination on a date needs "
	  "a licence (POST /v1/checks/chip). Prints the verdict, the ECCN, TPP "
	  "and performance density with their margins, each requirement with "
	  "its citation and review policy, the exceptions and why. The exit "
	  "code follows the verdict. --dry-run prints the request body only.",
	  cmd_check_chip_exec },
	{ "check weights",
	  "check weights (--training-ops OPS [--parameters N] [--published|"
	  "--unpublished] [--name NAME] [--derived-from NAME "
	  "--base-ops OPS --base-published] [--additional-ops OPS] | "
	  "--model ID | --file FILE) --to CC [--as-of DATE] "
	  "[--release export|publish|deemed_export] [--posture enforced|text] "
	  "[--recipient NAME] [--recipient-hq CC] [--dry-run]",
	  "Ask eard whether releasing a model's weights needs a licence "
	  "(POST /v1/checks/weights). Prints the verdict, the operations "
	  "counted against the 4E091 threshold, requirements and notes. The "
	  "exit code follows the verdict.", cmd_check_weights_exec },
	{ "eccn", "eccn CODE [--as-of DATE]",
	  "Show the rules that classify or control an ECCN as of a date "
	  "(GET /v1/eccn/CODE).", cmd_lookup_eccn_exec },
	{ "country", "country CC [--as-of DATE]",
	  "Show a country's country-group memberships and the rules naming it "
	  "as of a date (GET /v1/countries/CC).", cmd_lookup_country_exec },
	{ "import", "import rules|chips|models|csl|ecfr|fr [--format FMT] "
	  "[--date DATE] [--schema FILE] FILE...",
	  "Load files into the database directly (--database, else "
	  "EARD_ADMIN_DATABASE_URL, else the embedded cluster), in one "
	  "transaction per run, then notify the daemons.", cmd_import_exec },
	{ "rules validate", "rules validate [--schema FILE] FILE...",
	  "Check rulepack files against rules/rulepack.rng and the semantic "
	  "rules, without a database. Exits 1 if any file is invalid.",
	  cmd_import_validate_exec },
	/* Other engineers: add your line(s) below this comment. */
	{ "text", "text CITE... [--as-of DATE] [--json]", "Print a citation's paragraph as imported from the eCFR for the date (GET /v1/text): its sub-paragraphs and notes in full; a decorated citation is split into its parts, and parts not in the imported text are listed with why. Exits 1 when nothing of it is in the text.", cmd_text_exec },
	{ "diff ecfr", "diff ecfr DATE1 DATE2 [--json]", "Show what changed in the imported eCFR text between the versions in force on two dates: paragraphs and notes added, removed or changed (with a word diff), country-group memberships (15 CFR 740 Supp. 1) and Entity List entries (15 CFR 744 Supp. 4). Reads the database directly.", cmd_diff_ecfr_exec },
	{ "screen", "screen NAME [--country CC] [--json]", "Screen a party's name against the loaded screening lists (POST /v1/screen): each candidate with its score, list, the name or alias it matched on, why in one line and counsel's disposition. A no_match is no match in the named list versions, not a clearance. Exits 0 on no_match, 30 on review, 20 on match.", cmd_screen_exec },
	{ "screen dispose", "screen dispose --party NAME --entry ID (--false-positive | --confirmed) [--note TEXT]", "Record counsel's disposition of a candidate for a screened name (POST /v1/dispositions). Later screenings show it next to the candidate; it lapses when the listed entry changes. Who changed after an import: earctl report rescreen.", cmd_screen_dispose_exec },
	{ "lists", "lists", "Show each loaded screening list with its own version, party count and age in days, and whether it is older than lists_max_age_days (GET /v1/lists).", cmd_screen_lists_exec },
	{ "verify rules", "verify rules [--date DATE]", "Check that every rule citing a CCL paragraph matches the imported eCFR text of the date (default: the latest): the paragraph exists and each threshold appears in it. Rules not in force on the date are reported as not verifiable. Exits 1 on any mismatch.", cmd_verify_rules_exec },
	{ "models list", "models list [--over OPS] [--unpublished] [--as-of DATE] [--limit N]", "List the registry's models, most training compute first (GET /v1/models), and the most compute-intensive published model as of the date: a proxy from the Epoch data, not the legal floor of 4E091 Note 2.", cmd_models_list_exec },
	{ "model show", "model show ID", "Show a registry model's facts with their sources and every version (GET /v1/models/ID).", cmd_model_show_exec },
	{ "model estimate", "model estimate (--params N [--active-params N] --tokens D | --gpu-hours H (--chip ID | --peak-flops F) [--utilization U] | --model ID)", "Estimate training operations line by line: 6 x N x D, or GPU-hours x peak x utilisation (0.4 unless given, and labelled).", cmd_model_estimate_exec },
	{ "chips list", "chips list", "List the registry's chips with TPP and performance density (GET /v1/chips).", cmd_chips_list_exec },
	{ "audit verify", "audit verify [--from DATE] [--to DATE]",
	  "Recompute the decision log's hash chains (one per month, heads "
	  "chained) on the database and name the first broken link. Exits 0 "
	  "when intact, 1 when broken.", cmd_audit_verify_exec },
	{ "replay", "replay DECISION_ID",
	  "Re-determine a recorded decision with the rules it was made with "
	  "and with today's (POST /v1/decisions/ID/replay). Exits 0 when the "
	  "verdict is the recorded one, 1 (an alarm) when it is not.",
	  cmd_audit_replay_exec },
	{ "explain", "explain DECISION_ID",
	  "Print a recorded decision: verdict, classification, each "
	  "requirement with its citation, the exceptions and notes "
	  "(GET /v1/decisions/ID).", cmd_audit_explain_exec },
	{ "report", "report [NAME] [--param K=V]... [--K V]... "
	  "[--format table|csv|json] [--svg] [--direct] [--queries-dir DIR]",
	  "Run a named report (queries/NAME.sql) through eard (GET "
	  "/v1/reports/NAME), or on the database with --direct or --database. "
	  "Without NAME, list the reports. --svg draws chip-map, "
	  "compute-frontier and open-lag as SVG on standard output.",
	  cmd_audit_report_exec },
	{ "report impact", "report impact [--from DATE] [--to DATE] [--as-of DATE] [--from-ruleset VERSION] [--to-ruleset VERSION] [--destinations CC,...] [--recipient-hq CC] [--exporter NAME [--exporter-country CC]] [--all] [--format table|csv|json]", "Which registered models and chips, for which destinations of the watch list, change verdict between two dates (--from, --to) or two ruleset versions (--from-ruleset, --to-ruleset, as of --as-of), with the requirements, exceptions and enforcement postures that changed it. Determined by earctl on the database's rules, for a neutral recipient headquartered in the destination. Without a date or version, shows the run kept after the latest rules import (impact_runs).", cmd_impact_exec },
	{ "token create", "token create --role pipeline|counsel|analyst|admin --name NAME [--expires 90d|12h|YYYY-MM-DD|never]", "Create a bearer token for eard's TCP listener and print it once; only a salted SHA-256 is stored (tokens table, as eard_admin). Expires in 90 days unless --expires says otherwise.", cmd_token_create_exec },
	{ "token list", "token list", "List the bearer tokens: name, role, live, expired or revoked, and when (never the tokens themselves).", cmd_token_list_exec },
	{ "token revoke", "token revoke NAME", "Revoke the live token NAME; eard refuses it from the next request (NOTIFY tokens_changed).", cmd_token_revoke_exec },
};
const size_t cmd_table_size = nitems(cmd_table);

/* How many words of argv match a multi-word command name (0: none). */
static int
cmd_match(const char *name, int argc, char **argv)
{
	const char	*p = name, *sp;
	size_t		 len;
	int		 i = 0;

	for (;;) {
		sp = strchr(p, ' ');
		len = sp != NULL ? (size_t)(sp - p) : strlen(p);
		if (i >= argc || strlen(argv[i]) != len ||
		    strncmp(argv[i], p, len) != 0)
			return (0);
		i++;
		if (sp == NULL)
			return (i);
		p = sp + 1;
	}
}

/* Find the command argv names, longest match first; *nwords is its length. */
const struct cmd_entry *
cmd_find(int argc, char **argv, int *nwords)
{
	const struct cmd_entry	*best = NULL;
	size_t			 i;
	int			 n, bestn = 0;

	for (i = 0; i < cmd_table_size; i++) {
		n = cmd_match(cmd_table[i].name, argc, argv);
		if (n > bestn) {
			best = &cmd_table[i];
			bestn = n;
		}
	}
	*nwords = bestn;
	return (best);
}

/*
 * Print text word-wrapped at 79 columns: the first line after prefix, the
 * others indented by indent spaces.
 */
static void
cmd_print_wrapped(FILE *f, const char *prefix, const char *text, int indent)
{
	const char	*p = text, *sp;
	int		 col, len;

	fputs(prefix, f);
	col = (int)strlen(prefix);
	while (*p != '\0') {
		sp = strchr(p, ' ');
		len = sp != NULL ? (int)(sp - p) : (int)strlen(p);
		if (col > indent && col + 1 + len > 79) {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
		} else if (p != text) {
			fputc(' ', f);
			col++;
		}
		fwrite(p, 1, len, f);
		col += len;
		p += len;
		while (*p == ' ')
			p++;
	}
	fputc('\n', f);
}

/* Print one command's usage and help. */
static void
cmd_print_usage(FILE *f, const struct cmd_entry *e)
{
	char	*prefix;

	xasprintf(&prefix, "usage: earctl %s", e->name);
	/* The usage starts with the name; wrap what follows it. */
	if (strncmp(e->usage, e->name, strlen(e->name)) == 0 &&
	    e->usage[strlen(e->name)] == ' ')
		cmd_print_wrapped(f, prefix, e->usage + strlen(e->name), 8);
	else
		cmd_print_wrapped(f, "usage: earctl ", e->usage, 8);
	free(prefix);
	fputc('\n', f);
	cmd_print_wrapped(f, "", e->help, 0);
}

/* Print the overall help: global options, commands, exit codes. */
static void
cmd_print_help(FILE *f)
{
	size_t	i;

	fputs("usage: earctl [global options] COMMAND [ARGS]\n"
	    "\n"
	    "Global options (anywhere before --):\n"
	    "  --socket PATH     eard's Unix socket (else $EARD_SOCKET, else\n"
	    "                    ./var/run/eard.sock, else /run/eard/eard.sock)\n"
	    "  --tcp HOST:PORT   talk to eard over TCP instead ($EARD_TCP), with\n"
	    "                    the bearer token in $EARD_TOKEN\n"
	    "  --database URL    PostgreSQL for db and import commands (else\n"
	    "                    $EARD_ADMIN_DATABASE_URL, else ./var/run)\n"
	    "  --json            print JSON (a check prints eard's reply verbatim)\n"
	    "  --csv             print tables as CSV\n"
	    "  --timeout SECS    give up on eard after SECS seconds (30)\n"
	    "  -v, --verbose     say more\n"
	    "  --version         print the version\n"
	    "  -h, --help        this help; `earctl COMMAND --help` for one command\n"
	    "\n"
	    "Commands:\n", f);
	for (i = 0; i < cmd_table_size; i++)
		cmd_print_wrapped(f, "  ", cmd_table[i].usage, 6);
	fputs("\n"
	    "Exit codes:\n"
	    "  0   ok; verdict not_subject or no_license_required\n"
	    "  1   a negative answer: not ready, pending migrations, mismatch\n"
	    "  2   usage error\n"
	    "  3   eard unreachable\n"
	    "  4   other error (error reply, database error)\n"
	    "  10  verdict license_exception\n"
	    "  20  verdict license_required\n"
	    "  30  verdict needs_review\n", f);
}

/* earctl help [COMMAND] */
static int
cmd_help_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct cmd_entry	*e;
	int			 n;

	if (argc <= 1) {
		cmd_print_help(stdout);
		return (CLI_EXIT_OK);
	}
	e = cmd_find(argc - 1, argv + 1, &n);
	if (e == NULL || n != argc - 1)
		return (cli_usage_error(ctx, "unknown command \"%s\"", argv[1]));
	cmd_print_usage(stdout, e);
	return (CLI_EXIT_OK);
}

/* earctl version */
static int
cmd_version_exec(__attribute__((unused)) struct cmd_ctx *ctx,
    __attribute__((unused)) int argc, __attribute__((unused)) char **argv)
{
	return (cmd_version_print(ctx));
}

/* The default socket: ./var/run/eard.sock if it exists, else the installed one. */
static const char *
cli_default_socket(void)
{
	if (access("var/run/eard.sock", F_OK) == 0)
		return ("var/run/eard.sock");
	return ("/run/eard/eard.sock");
}

/* Is this a global option taking a value? Returns its ctx slot or NULL. */
static const char **
cli_global_value(struct cmd_ctx *ctx, const char *arg, const char **inl)
{
	static const struct {
		const char	*name;
		size_t		 off;
	} opts[] = {
		{ "--socket", offsetof(struct cmd_ctx, socket_path) },
		{ "--tcp", offsetof(struct cmd_ctx, tcp) },
		{ "--database", offsetof(struct cmd_ctx, database) },
	};
	size_t	i, len;

	for (i = 0; i < nitems(opts); i++) {
		len = strlen(opts[i].name);
		if (strncmp(arg, opts[i].name, len) != 0)
			continue;
		if (arg[len] == '\0') {
			*inl = NULL;
			return ((const char **)((char *)ctx + opts[i].off));
		}
		if (arg[len] == '=') {
			*inl = arg + len + 1;
			return ((const char **)((char *)ctx + opts[i].off));
		}
	}
	return (NULL);
}

/*
 * Take the global options out of argv (they may appear anywhere before
 * "--"), leaving argv[0] and the command words with their own arguments.
 * Returns -1 on a usage error (printed), else the new argc.
 */
static int
cli_parse_globals(struct cmd_ctx *ctx, int argc, char **argv, bool *version,
    bool *help)
{
	const char	**slot, *inl;
	char		 *end;
	long		  secs;
	int		  i, out = 1;
	bool		  seen_cmd = false, dashdash = false;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (dashdash) {
			argv[out++] = argv[i];
			continue;
		}
		if (strcmp(a, "--") == 0) {
			dashdash = true;
			argv[out++] = argv[i];
			continue;
		}
		if ((slot = cli_global_value(ctx, a, &inl)) != NULL) {
			if (inl == NULL) {
				if (i + 1 >= argc) {
					cli_warnx("option %s needs a value", a);
					return (-1);
				}
				inl = argv[++i];
			}
			*slot = inl;
		} else if (strcmp(a, "--json") == 0)
			ctx->format = CLI_FORMAT_JSON;
		else if (strcmp(a, "--csv") == 0)
			ctx->format = CLI_FORMAT_CSV;
		else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0)
			ctx->verbose++;
		else if (strncmp(a, "--timeout", 9) == 0 &&
		    (a[9] == '\0' || a[9] == '=')) {
			inl = a[9] == '=' ? a + 10 : (i + 1 < argc ? argv[++i] :
			    NULL);
			errno = 0;
			secs = inl != NULL ? strtol(inl, &end, 10) : 0;
			if (inl == NULL || errno != 0 || *end != '\0' ||
			    secs <= 0 || secs > 86400) {
				cli_warnx("invalid value for --timeout: give "
				    "seconds between 1 and 86400");
				return (-1);
			}
			ctx->timeout_ms = (int)secs * 1000;
		} else if (!seen_cmd && strcmp(a, "--version") == 0)
			*version = true;
		else if (!seen_cmd && (strcmp(a, "--help") == 0 ||
		    strcmp(a, "-h") == 0))
			*help = true;
		else if (!seen_cmd && a[0] == '-' && a[1] != '\0') {
			cli_warnx("unknown global option \"%s\"", a);
			return (-1);
		} else {
			seen_cmd = true;
			argv[out++] = argv[i];
		}
	}
	argv[out] = NULL;
	return (out);
}

/* Does the command's own argument list ask for --help (before "--")? */
static bool
cli_wants_help(int argc, char **argv)
{
	int	i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return (false);
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return (true);
	}
	return (false);
}

/* Parse the command line and run one command; returns the exit code. */
int
cmd_run(int argc, char **argv)
{
	struct cmd_ctx		 ctx;
	const struct cmd_entry	*e;
	bool			 version = false, help = false;
	const char		*s;
	size_t			 i;
	int			 n, nwords;

	memset(&ctx, 0, sizeof ctx);
	ctx.timeout_ms = 30000;
	ctx.format = CLI_FORMAT_TABLE;
	if ((n = cli_parse_globals(&ctx, argc, argv, &version, &help)) < 0) {
		fputs("Try \"earctl help\".\n", stderr);
		return (CLI_EXIT_USAGE);
	}
	if (ctx.socket_path == NULL) {
		s = getenv("EARD_SOCKET");
		ctx.socket_path = s != NULL && *s != '\0' ? s :
		    cli_default_socket();
	}
	if (ctx.tcp == NULL && (s = getenv("EARD_TCP")) != NULL && *s != '\0')
		ctx.tcp = s;
	if ((s = getenv("EARD_TOKEN")) != NULL && *s != '\0')
		ctx.token = s;
	if (ctx.database == NULL &&
	    (s = getenv("EARD_ADMIN_DATABASE_URL")) != NULL && *s != '\0')
		ctx.database = s;

	if (version)
		return (cmd_version_exec(&ctx, 0, NULL));
	if (help || n <= 1) {
		cmd_print_help(help ? stdout : stderr);
		return (help ? CLI_EXIT_OK : CLI_EXIT_USAGE);
	}

	e = cmd_find(n - 1, argv + 1, &nwords);
	if (e == NULL) {
		cli_warnx("unknown command \"%s\"", argv[1]);
		/* "earctl check" alone: list the commands it starts. */
		for (i = 0; i < cmd_table_size; i++) {
			s = cmd_table[i].name;
			if (strncmp(s, argv[1], strlen(argv[1])) == 0 &&
			    s[strlen(argv[1])] == ' ')
				fprintf(stderr, "usage: earctl %s\n",
				    cmd_table[i].usage);
		}
		fputs("Try \"earctl help\".\n", stderr);
		return (CLI_EXIT_USAGE);
	}
	ctx.entry = e;
	/* argv[0] becomes the last word of the command, for getopt. */
	argv += nwords;
	n -= nwords;
	if (cli_wants_help(n, argv)) {
		cmd_print_usage(stdout, e);
		return (CLI_EXIT_OK);
	}
	cli_getopt_reset();
	return (e->exec(&ctx, n, argv));
}

#ifndef EARCTL_NO_MAIN
int
main(int argc, char **argv)
{
	log_init("earctl", LOG_LVL_WARN, false);
	return (cmd_run(argc, argv));
}
#endif
