/*
 * cmd_screen.c: party screening from the command line. `earctl screen NAME`
 * asks eard (POST /v1/screen) and prints the candidates with their score,
 * list, the name they matched on, why in a line or two, and counsel's
 * disposition; `earctl screen dispose` records a disposition (POST
 * /v1/dispositions); `earctl lists` shows the loaded lists (GET /v1/lists).
 * Who changed after an import is `earctl report rescreen`
 * (queries/rescreen.sql, through the report machinery of cmd_audit.c).
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "earctl.h"

/* The exit code of a screening result: no_match 0, review 30, match 20. */
int
cmd_screen_exit(const char *result)
{
	if (result == NULL)
		return (CLI_EXIT_ERROR);
	if (strcmp(result, "match") == 0)
		return (CLI_EXIT_REQUIRED);
	if (strcmp(result, "review") == 0)
		return (CLI_EXIT_REVIEW);
	return (CLI_EXIT_OK);
}

/* Append printf-style text to a growing string. */
static void PRINTFLIKE(2, 3)
cmd_screen_cat(char **s, const char *fmt, ...)
{
	va_list	 ap;
	char	*add, *old = *s;

	va_start(ap, fmt);
	xvasprintf(&add, fmt, ap);
	va_end(ap);
	xasprintf(s, "%s%s%s", old != NULL ? old : "",
	    old != NULL && *old != '\0' ? "; " : "", add);
	free(old);
	free(add);
}

/*
 * The "why" of a candidate in one line: the aligned words with their
 * similarity, an acronym, what was left unmatched, form words ignored,
 * generic words damped and the country's effect. Caller frees.
 */
char *
cmd_screen_why(json_t *ex)
{
	char		*s = NULL, *w = NULL, *old;
	json_t		*t, *acr, *cc;
	size_t		 i;
	const char	*q, *e, *eff;
	double		 sim;

	json_array_foreach(json_object_get(ex, "tokens"), i, t) {
		q = cli_json_str(t, "query");
		e = cli_json_str(t, "entry");
		sim = json_number_value(json_object_get(t, "similarity"));
		old = w;
		if (q != NULL && e != NULL && strcmp(q, e) == 0)
			xasprintf(&w, "%s%s%s", old != NULL ? old : "",
			    old != NULL ? " " : "", q);
		else
			xasprintf(&w, "%s%s%s~%s %.2f", old != NULL ? old : "",
			    old != NULL ? " " : "", q != NULL ? q : "?",
			    e != NULL ? e : "?", sim);
		free(old);
	}
	if (w != NULL) {
		cmd_screen_cat(&s, "words %s", w);
		free(w);
	}
	acr = json_object_get(ex, "acronym");
	if (json_is_object(acr))
		cmd_screen_cat(&s, "acronym %s = %s", cli_json_str(acr,
		    "query"), cli_json_str(acr, "expands_to"));
	w = NULL;
	json_array_foreach(json_object_get(ex, "unmatched_query"), i, t) {
		old = w;
		xasprintf(&w, "%s%s%s", old != NULL ? old : "",
		    old != NULL ? " " : "", cli_json_str(t, "token"));
		free(old);
	}
	if (w != NULL) {
		cmd_screen_cat(&s, "not in entry: %s", w);
		free(w);
		w = NULL;
	}
	json_array_foreach(json_object_get(ex, "unmatched_entry"), i, t) {
		old = w;
		xasprintf(&w, "%s%s%s", old != NULL ? old : "",
		    old != NULL ? " " : "", cli_json_str(t, "token"));
		free(old);
	}
	if (w != NULL) {
		cmd_screen_cat(&s, "not in name: %s", w);
		free(w);
	}
	if (json_array_size(json_object_get(ex, "ignored_form_words")) > 0)
		cmd_screen_cat(&s, "%zu form word(s) ignored",
		    json_array_size(json_object_get(ex, "ignored_form_words")));
	if (json_is_true(json_object_get(ex, "generic_words_damped")))
		cmd_screen_cat(&s, "generic words only, damped");
	cc = json_object_get(ex, "country");
	eff = cli_json_str(cc, "effect");
	if (eff != NULL && strcmp(eff, "not compared") != 0)
		cmd_screen_cat(&s, "country %s", eff);
	if (s == NULL)
		s = xstrdup("-");
	return (s);
}

/* Print a screening reply as a table of candidates. */
static void
cmd_screen_print(struct cmd_ctx *ctx, json_t *reply)
{
	static const char *const hdr[] = { "score", "result", "list", "name",
	    "matched_on", "why", "disposition" };
	json_t		*cands, *c, *d;
	const char	**cells;
	char		**own;
	size_t		 n, i, k = 0, nown = 0;
	const char	*note;

	printf("%s: %s", cli_json_str(reply, "name"),
	    cli_json_str(reply, "result"));
	if (cli_json_str(reply, "country") != NULL)
		printf(" (country %s)", cli_json_str(reply, "country"));
	printf("\n");
	if ((note = cli_json_str(reply, "note")) != NULL)
		printf("%s\n", note);
	else
		printf("lists: %s\n", cli_json_str(reply, "lists_version"));
	if (cli_json_str(reply, "decision_id") != NULL)
		printf("decision: %s\n", cli_json_str(reply, "decision_id"));
	cands = json_object_get(reply, "candidates");
	if ((n = json_array_size(cands)) == 0)
		return;
	printf("\n");
	cells = xcalloc(n * nitems(hdr), sizeof *cells);
	own = xcalloc(n * 3, sizeof *own);
	json_array_foreach(cands, i, c) {
		xasprintf(&own[nown], "%.3f",
		    json_number_value(json_object_get(c, "score")));
		cells[k++] = own[nown++];
		cells[k++] = cli_json_str(c, "result");
		cells[k++] = cli_json_str(c, "list");
		cells[k++] = cli_json_str(c, "name");
		cells[k++] = cli_json_str(c, "matched_on");
		own[nown] = cmd_screen_why(json_object_get(c, "explanation"));
		cells[k++] = own[nown++];
		d = json_object_get(c, "disposition");
		if (json_is_object(d)) {
			xasprintf(&own[nown], "%s%s by %s %s%s%s",
			    cli_json_str(d, "disposition"),
			    json_is_true(json_object_get(d, "lapsed")) ?
			    " (lapsed: the entry changed)" : "",
			    cli_json_str(d, "decided_by"),
			    cli_json_str(d, "decided_at"),
			    cli_json_str(d, "note") != NULL ? ": " : "",
			    cli_json_str(d, "note") != NULL ?
			    cli_json_str(d, "note") : "");
			cells[k++] = own[nown++];
		} else
			cells[k++] = "-";
	}
	cli_print_table(ctx, hdr, nitems(hdr), cells, n);
	for (i = 0; i < nown; i++)
		free(own[i]);
	free(own);
	free(cells);
}

/* earctl screen NAME [--country CC] [--json] */
int
cmd_screen_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "country", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*country = NULL;
	json_t		*body, *reply;
	int		 c, rc, status;

	cli_getopt_reset();
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (strlen(optarg) != 2)
				return (cli_usage_error(ctx, "invalid value for "
				    "--country: \"%s\" is not an ISO 3166-1 "
				    "alpha-2 code such as CN", optarg));
			country = optarg;
			break;
		case 'j':
			ctx->format = CLI_FORMAT_JSON;
			break;
		case ':':
			return (cli_usage_error(ctx, "option \"%s\" needs a "
			    "value", argv[optind - 1]));
		default:
			return (cli_usage_error(ctx, "unknown option \"%s\"",
			    argv[optind - 1]));
		}
	}
	if (optind + 1 != argc)
		return (cli_usage_error(ctx, optind >= argc ? "missing the "
		    "name to screen" : "too many operands (quote a name with "
		    "spaces)"));
	body = json_pack("{s:s}", "name", argv[optind]);
	if (country != NULL)
		json_object_set_new(body, "country", json_string(country));
	if ((rc = cli_request(ctx, "POST", "/v1/screen", body, &status,
	    &reply)) != 0)
		return (rc);
	if ((rc = cli_reply_exit(status, reply)) != 0) {
		json_decref(reply);
		return (rc);
	}
	if (ctx->format == CLI_FORMAT_JSON)
		cli_print_json(reply);
	else
		cmd_screen_print(ctx, reply);
	rc = cmd_screen_exit(cli_json_str(reply, "result"));
	json_decref(reply);
	return (rc);
}

/* earctl screen dispose --party NAME --entry ID (--false-positive |
 * --confirmed) [--note TEXT] */
int
cmd_screen_dispose_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "party", required_argument, NULL, 'p' },
		{ "entry", required_argument, NULL, 'e' },
		{ "false-positive", no_argument, NULL, 'f' },
		{ "confirmed", no_argument, NULL, 'c' },
		{ "note", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*party = NULL, *entry = NULL, *disp = NULL, *note = NULL;
	json_t		*body, *reply;
	int		 c, rc, status;

	cli_getopt_reset();
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			party = optarg;
			break;
		case 'e':
			entry = optarg;
			break;
		case 'f':
		case 'c':
			if (disp != NULL)
				return (cli_usage_error(ctx, "give one of "
				    "--false-positive and --confirmed"));
			disp = c == 'f' ? "false_positive" : "confirmed";
			break;
		case 'n':
			note = optarg;
			break;
		case ':':
			return (cli_usage_error(ctx, "option \"%s\" needs a "
			    "value", argv[optind - 1]));
		default:
			return (cli_usage_error(ctx, "unknown option \"%s\"",
			    argv[optind - 1]));
		}
	}
	if (optind != argc)
		return (cli_usage_error(ctx, "unexpected argument \"%s\"",
		    argv[optind]));
	if (party == NULL || *party == '\0')
		return (cli_usage_error(ctx, "--party NAME is required: the "
		    "name as it was screened"));
	if (entry == NULL || *entry == '\0')
		return (cli_usage_error(ctx, "--entry ID is required: a "
		    "candidate's entry id from earctl screen --json"));
	if (disp == NULL)
		return (cli_usage_error(ctx, "--false-positive or --confirmed "
		    "is required"));
	body = json_pack("{s:s,s:s,s:s}", "party_name", party, "entry_id",
	    entry, "disposition", disp);
	if (note != NULL)
		json_object_set_new(body, "note", json_string(note));
	if ((rc = cli_request(ctx, "POST", "/v1/dispositions", body, &status,
	    &reply)) != 0)
		return (rc);
	if ((rc = cli_reply_exit(status, reply)) != 0) {
		json_decref(reply);
		return (rc);
	}
	if (ctx->format == CLI_FORMAT_JSON)
		cli_print_json(reply);
	else
		printf("recorded: %s is %s for \"%s\" (by %s at %s); it lapses "
		    "when the entry changes\n", cli_json_str(reply, "entry_id"),
		    cli_json_str(reply, "disposition"), party,
		    cli_json_str(reply, "decided_by"),
		    cli_json_str(reply, "decided_at"));
	json_decref(reply);
	return (CLI_EXIT_OK);
}

/* earctl lists: each loaded list's version, parties and age. */
int
cmd_screen_lists_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const char *const hdr[] = { "list", "version", "parties",
	    "age_days", "stale" };
	json_t		*reply, *lists, *v;
	const char	*code, **cells;
	char		**own;
	size_t		 n, k = 0, nown = 0, i;
	int		 rc, status;

	(void)argv;
	if (argc != 1)
		return (cli_usage_error(ctx, "lists takes no arguments"));
	if ((rc = cli_request(ctx, "GET", "/v1/lists", NULL, &status,
	    &reply)) != 0)
		return (rc);
	if ((rc = cli_reply_exit(status, reply)) != 0) {
		json_decref(reply);
		return (rc);
	}
	if (ctx->format == CLI_FORMAT_JSON) {
		cli_print_json(reply);
		json_decref(reply);
		return (CLI_EXIT_OK);
	}
	lists = json_object_get(reply, "lists");
	n = json_object_size(lists);
	if (n == 0) {
		printf("%s\n", cli_json_str(reply, "warning") != NULL ?
		    cli_json_str(reply, "warning") : "no list");
		json_decref(reply);
		return (CLI_EXIT_NO);
	}
	cells = xcalloc(n * nitems(hdr), sizeof *cells);
	own = xcalloc(n * 3, sizeof *own);
	json_object_foreach(lists, code, v) {
		cells[k++] = code;
		cells[k++] = cli_json_str(v, "version");
		own[nown] = cli_json_text(json_object_get(v, "parties"));
		cells[k++] = own[nown++];
		own[nown] = cli_json_text(json_object_get(v, "age_days"));
		cells[k++] = own[nown++];
		cells[k++] = json_is_true(json_object_get(v, "stale")) ?
		    "yes" : "no";
	}
	cli_print_table(ctx, hdr, nitems(hdr), cells, n);
	for (i = 0; i < nown; i++)
		free(own[i]);
	free(own);
	free(cells);
	json_decref(reply);
	return (CLI_EXIT_OK);
}
