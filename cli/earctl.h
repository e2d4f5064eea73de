/*
 * earctl: the command-line client of eard. Internal header, one section per
 * file (tmux.h style); each cli/cmd_*.c adds its own section at the end.
 *
 * A command is one entry in the table in earctl.c (struct cmd_entry). main()
 * parses the global options into a struct cmd_ctx, finds the entry whose
 * words match the start of the remaining arguments ("check chip"), answers
 * --help itself, then calls exec() with argv[0] set to the command's last
 * word so getopt_long() works as usual (reset optind = 0 first; see
 * cli_getopt_reset()). exec() returns the process exit code.
 *
 * Adding a command: write cli/cmd_thing.c with
 *	int cmd_thing_exec(struct cmd_ctx *, int, char **);
 * declare it in a section of this header, and add ONE line to cmd_table[]
 * in earctl.c:
 *	{ "thing list", "thing list [--over N]", "List things.", cmd_thing_exec },
 * The usage string is printed after "usage: earctl "; help is one or more
 * full sentences. docs/earctl.1 must list the command too (a unit test
 * checks that every name in the table appears in the man page).
 *
 * Ownership: a json_t returned through a pointer argument is a new reference
 * the caller decrefs; a json_t passed as a body is stolen.
 */
#ifndef EARCTL_H
#define EARCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "ear.h"

/*
 * Exit codes: stable, documented in docs/earctl.1 and `earctl help`.
 * Verdicts map as ARCHITECTURE.md says; 1 is a negative answer that is not
 * an error (daemon not ready, audit chain broken, verification mismatch).
 */
#define CLI_EXIT_OK		0	/* ok, not_subject, no_license_required */
#define CLI_EXIT_NO		1	/* not ready / check failed (status, verify) */
#define CLI_EXIT_USAGE		2	/* bad command line */
#define CLI_EXIT_UNREACHABLE	3	/* could not talk to eard */
#define CLI_EXIT_ERROR		4	/* any other error (4xx/5xx reply, database) */
#define CLI_EXIT_EXCEPTION	10	/* license_exception */
#define CLI_EXIT_REQUIRED	20	/* license_required */
#define CLI_EXIT_REVIEW		30	/* needs_review */

enum cli_format { CLI_FORMAT_TABLE, CLI_FORMAT_JSON, CLI_FORMAT_CSV };

/* The state every command gets: global options, resolved once in main(). */
struct cmd_ctx {
	const char		*socket_path;	/* --socket, EARD_SOCKET, defaults */
	const char		*tcp;		/* --tcp HOST:PORT (EARD_TCP) or NULL */
	const char		*token;		/* bearer token for TCP (EARD_TOKEN) */
	const char		*database;	/* --database, EARD_ADMIN_DATABASE_URL */
	enum cli_format		 format;	/* --json / --csv, else a table */
	int			 verbose;	/* -v, repeatable */
	int			 timeout_ms;	/* --timeout SECONDS, default 30 s */
	const struct cmd_entry	*entry;		/* the command being run */
};

/* One command: a row of the table in earctl.c. */
struct cmd_entry {
	const char	*name;	/* "check chip": one or more words */
	const char	*usage;	/* "check chip [--to CC] ...", after "earctl " */
	const char	*help;	/* what it does, full sentences */
	int		(*exec)(struct cmd_ctx *, int, char **);
};

/* earctl.c (not in libearctl.a: tests #include it with EARCTL_NO_MAIN) */
extern const struct cmd_entry cmd_table[];
extern const size_t cmd_table_size;
const struct cmd_entry *cmd_find(int, char **, int *);
int	 cmd_run(int, char **);

/*
 * http.c: a small blocking HTTP/1.1 client, one request per connection
 * (Connection: close), over the Unix socket or TCP with a bearer token.
 */
struct http_header {
	char	*name;
	char	*value;
};
struct http_response {
	int			 status;	/* 200, 404, ... */
	char			*reason;	/* "OK" */
	struct http_header	*headers;
	size_t			 nheaders;
	char			*body;		/* NUL-terminated for convenience */
	size_t			 body_len;
};
/* 0 complete, 1 need more bytes (only when !eof), -1 malformed/truncated */
int	 http_response_parse(const char *, size_t, bool, struct http_response *,
	     char **) MUSTCHECK;
void	 http_response_free(struct http_response *);
const char *http_response_header(const struct http_response *, const char *);
int	 http_connect_unix(const char *, char **) MUSTCHECK;
int	 http_connect_tcp(const char *, char **) MUSTCHECK;
int	 http_exchange(int, const char *, const char *, const char *,
	     const char *, const char *, size_t, int, struct http_response *,
	     char **) MUSTCHECK;
/*
 * Send a request to eard. body is stolen (may be NULL). On a reply of any
 * HTTP status: returns 0, *status set, *reply the parsed JSON body (NULL if
 * the body is empty or not JSON). Otherwise prints why to stderr and returns
 * the exit code to use: CLI_EXIT_UNREACHABLE (could not connect or send) or
 * CLI_EXIT_ERROR (broken reply). Typical use:
 *	if ((rc = cli_request(ctx, "GET", "/readyz", NULL, &st, &r)) != 0)
 *		return rc;
 */
int	 cli_request(struct cmd_ctx *, const char *, const char *, json_t *,
	     int *, json_t **) MUSTCHECK;
/*
 * The same, returning the reply body verbatim (for /metrics, or --json
 * output that must be eard's own bytes): *text is the caller's to free.
 */
int	 cli_request_text(struct cmd_ctx *, const char *, const char *,
	     json_t *, int *, char **) MUSTCHECK;

/*
 * db.c: direct PostgreSQL connections for admin commands. The URL is
 * --database, else EARD_ADMIN_DATABASE_URL, else the embedded cluster of
 * `make run`: "host=<abs ./var/run> dbname=eard user=postgres" (superuser:
 * migrations) or user=eard_admin when admin is true (imports).
 */
PGconn	*cli_db_connect(struct cmd_ctx *, bool, char **) MUSTCHECK;
int	 cli_db_exec(PGconn *, const char *, char **) MUSTCHECK;

/*
 * output.c: human tables, --json, --csv. cli_print_table() prints rows of
 * ncols cells (cells[row * ncols + col], NULL prints empty) in ctx->format:
 * aligned columns, CSV (RFC 4180) or a JSON array of objects keyed by the
 * headers. cli_print_json_rows() does the same from a JSON array of objects,
 * taking the listed keys (numbers and booleans formatted, null empty).
 */
void	 cli_print_table(struct cmd_ctx *, const char *const *, size_t,
	     const char *const *, size_t);
void	 cli_print_json_rows(struct cmd_ctx *, json_t *, const char *const *,
	     size_t);
void	 cli_print_json(json_t *);			/* pretty, to stdout */
void	 cli_print_human(json_t *, int);		/* key: value lines */
void	 cli_print_error(json_t *);			/* {"error":...} to stderr */
int	 cli_reply_exit(int, json_t *);			/* non-2xx -> print, exit */
char	*cli_json_text(json_t *);			/* a scalar as text; free */
const char *cli_json_str(json_t *, const char *);	/* object key as string */
void	 cli_csv_field(FILE *, const char *);
void	 cli_getopt_reset(void);			/* before getopt_long */
int	 cli_usage_error(struct cmd_ctx *, const char *, ...) PRINTFLIKE(2, 3);
void	 cli_warnx(const char *, ...) PRINTFLIKE(1, 2);	/* "earctl: ..." */
int	 cli_exit_for_verdict(const char *);		/* verdict -> exit code */

/* cmd_db.c */
int	 cmd_db_migrate_exec(struct cmd_ctx *, int, char **);
int	 cmd_db_status_exec(struct cmd_ctx *, int, char **);

/* cmd_status.c */
int	 cmd_status_exec(struct cmd_ctx *, int, char **);

/* cmd_version.c */
int	 cmd_version_print(struct cmd_ctx *);

/* cmd_check.c */
int	 cmd_check_chip_exec(struct cmd_ctx *, int, char **);
int	 cmd_check_weights_exec(struct cmd_ctx *, int, char **);
int	 cmd_check_chip_body(struct cmd_ctx *, int, char **, json_t **) MUSTCHECK;
int	 cmd_check_weights_body(struct cmd_ctx *, int, char **, json_t **)
	     MUSTCHECK;

/* cmd_lookup.c */
int	 cmd_lookup_eccn_exec(struct cmd_ctx *, int, char **);
int	 cmd_lookup_country_exec(struct cmd_ctx *, int, char **);

/* cmd_import.c */
int	 cmd_import_exec(struct cmd_ctx *, int, char **);
int	 cmd_import_validate_exec(struct cmd_ctx *, int, char **);

/*
 * cmd_audit.c: audit verify, replay, explain, report. The verifier walks
 * one chain at a time: cmd_audit_verify_chain() with the chain's first
 * link, then each row in seq order, then the recorded head. broken (caller
 * frees) names the first broken link.
 */
struct cmd_audit_verify {
	char		 chain[16];
	unsigned char	 prev[32];	/* hash of the last good row */
	int64_t		 seq;
	size_t		 rows;
	size_t		 chains;
	char		*broken;
};
int	 cmd_audit_verify_exec(struct cmd_ctx *, int, char **);
int	 cmd_audit_replay_exec(struct cmd_ctx *, int, char **);
int	 cmd_audit_explain_exec(struct cmd_ctx *, int, char **);
int	 cmd_audit_report_exec(struct cmd_ctx *, int, char **);
void	 cmd_audit_verify_chain(struct cmd_audit_verify *, const char *,
	     const unsigned char [32]);
int	 cmd_audit_verify_row(struct cmd_audit_verify *,
	     const struct canon_decision_fields *, int64_t,
	     const unsigned char [32], const unsigned char [32]);
int	 cmd_audit_verify_head(struct cmd_audit_verify *, int64_t,
	     const unsigned char [32]);
int	 cmd_audit_verify_db(PGconn *, const char *, const char *,
	     struct cmd_audit_verify *, char **);
int	 cmd_audit_unhex(const char *, unsigned char [32]);
/*
 * The hook for `earctl explain`: the text of a cited paragraph (e.g.
 * "15 CFR 742.6(a)(6)(iii)") through GET /v1/text, or NULL. Weak: defined
 * by the eCFR engineer's file when it exists; caller frees the text.
 */
char	*cli_citation_text(struct cmd_ctx *, const char *)
	     __attribute__((weak));

/*
 * svg.c: hand-made SVG charts for reports. Each takes the report's rows
 * (a JSON array of objects) and writes a whole SVG document to f.
 */
void	 svg_chip_map(FILE *, json_t *, const char *);
void	 svg_compute_frontier(FILE *, json_t *);
void	 svg_open_lag(FILE *, json_t *);

/* cmd_models.c: the model and chip registry (GET /v1/models, /v1/chips). */
int	 cmd_models_list_exec(struct cmd_ctx *, int, char **);
int	 cmd_model_show_exec(struct cmd_ctx *, int, char **);
int	 cmd_model_estimate_exec(struct cmd_ctx *, int, char **);
int	 cmd_chips_list_exec(struct cmd_ctx *, int, char **);

/* cmd_verify.c: rulepacks against the imported eCFR text. */
int	 cmd_verify_rules_exec(struct cmd_ctx *, int, char **);

/*
 * cmd_screen.c: screen NAME, screen dispose, lists (POST /v1/screen,
 * POST /v1/dispositions, GET /v1/lists). cmd_screen_exit() maps a result
 * to the exit code (no_match 0, review 30, match 20); cmd_screen_why()
 * writes a candidate's explanation in one line (caller frees).
 */
int	 cmd_screen_exec(struct cmd_ctx *, int, char **);
int	 cmd_screen_dispose_exec(struct cmd_ctx *, int, char **);
int	 cmd_screen_lists_exec(struct cmd_ctx *, int, char **);
int	 cmd_screen_exit(const char *);
char	*cmd_screen_why(json_t *);

/*
 * cmd_token.c: earctl token create|list|revoke (schema/060_tokens.sql).
 * cmd_token_hash() is SHA-256(salt || token), as the daemon checks it.
 */
int	 cmd_token_create_exec(struct cmd_ctx *, int, char **);
int	 cmd_token_list_exec(struct cmd_ctx *, int, char **);
int	 cmd_token_revoke_exec(struct cmd_ctx *, int, char **);
void	 cmd_token_hash(const char *, const unsigned char *, size_t,
	     unsigned char [32]);
int	 cmd_token_parse_expiry(const char *, long long *, char *, size_t,
	     char **) MUSTCHECK;

/* cmd_text.c: the text of a citation (GET /v1/text), earctl text, explain. */
int	 cmd_text_exec(struct cmd_ctx *, int, char **);
char	*cmd_text_urlencode(const char *);
char	*cmd_text_format(json_t *);

/* cmd_diff.c: earctl diff ecfr DATE1 DATE2 (the imported eCFR versions). */
int	 cmd_diff_ecfr_exec(struct cmd_ctx *, int, char **);
char	*cmd_diff_words(const char *, const char *);

/*
 * cmd_impact.c: earctl report impact (issue #7). Which registry models and
 * chips, for which watched destinations, change verdict between two sides,
 * each a ruleset and an as_of date, and the requirements, exceptions and
 * enforcement postures that changed it. Computed with libear, not in SQL.
 *
 * cmd_impact_diff() compares two verdict bodies (verdict_to_json()): NULL
 * when neither the verdict nor the regulation text's verdict changed (and,
 * with all, no rule changed), else a new object {from_verdict, to_verdict,
 * from_text_verdict, to_text_verdict, from_eccn, to_eccn, flipped,
 * changed: [{type, id, change, from, to, citation, rule}]}.
 * cmd_impact_compute() runs items ([{kind: "chip"|"model", id, name,
 * facts}], facts as in models_current / chips_current) x destinations on
 * both sides: a new object {from, to, destinations, recipient, items,
 * checks, count, flips: [diff + kind, id, item, destination], errors}.
 * Both are pure. The import hook: cmd_impact_previous() before the import
 * (*text, *version: the rules document and its ruleset version, both NULL
 * when there were no rules; caller frees), cmd_impact_after_import() after
 * it with them (stores a run in impact_runs and prints one line; never
 * fails the import).
 */
struct cmd_impact_side {
	const struct ruleset	*rs;
	ear_date		 as_of;
};
struct cmd_impact_opts {
	const char *const	*destinations;
	size_t			 ndestinations;
	const char		*recipient_hq;	/* NULL: the destination */
	const char		*exporter;	/* NULL: no exporter named */
	const char		*exporter_country;
	bool			 all;		/* also same verdict, rules differ */
};
extern const char *const cmd_impact_watch[];	/* the default watch list */
extern const size_t cmd_impact_nwatch;
int	 cmd_impact_exec(struct cmd_ctx *, int, char **);
json_t	*cmd_impact_diff(const json_t *, const json_t *, bool);
json_t	*cmd_impact_compute(const struct cmd_impact_side *,
	     const struct cmd_impact_side *, const json_t *,
	     const struct cmd_impact_opts *);
int	 cmd_impact_previous(PGconn *, char **, char **, char **) MUSTCHECK;
void	 cmd_impact_after_import(struct cmd_ctx *, PGconn *, const char *,
	     const char *);

#endif /* EARCTL_H */
