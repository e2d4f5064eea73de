/*
 * output.c: how earctl prints. Human tables with aligned columns, --csv
 * (RFC 4180), --json; error replies from eard as readable messages.
 */
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "earctl.h"

/* Print one CSV field, quoted when it needs to be (RFC 4180). */
void
cli_csv_field(FILE *f, const char *s)
{
	if (s == NULL)
		return;
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* Display width of a UTF-8 string (code points; good enough for tables). */
static size_t
cli_width(const char *s)
{
	size_t	n = 0;

	for (; *s != '\0'; s++) {
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	}
	return (n);
}

/* Print rows of cells in the context's format (see earctl.h). */
void
cli_print_table(struct cmd_ctx *ctx, const char *const *headers, size_t ncols,
    const char *const *cells, size_t nrows)
{
	size_t		*w, r, c, k;
	const char	*s;
	json_t		*a, *o;

	if (ctx->format == CLI_FORMAT_JSON) {
		a = json_array();
		for (r = 0; r < nrows; r++) {
			o = json_object();
			for (c = 0; c < ncols; c++) {
				s = cells[r * ncols + c];
				json_object_set_new(o, headers[c], s != NULL ?
				    json_string(s) : json_null());
			}
			json_array_append_new(a, o);
		}
		cli_print_json(a);
		json_decref(a);
		return;
	}
	if (ctx->format == CLI_FORMAT_CSV) {
		for (c = 0; c < ncols; c++) {
			if (c > 0)
				putchar(',');
			cli_csv_field(stdout, headers[c]);
		}
		fputs("\r\n", stdout);
		for (r = 0; r < nrows; r++) {
			for (c = 0; c < ncols; c++) {
				if (c > 0)
					putchar(',');
				cli_csv_field(stdout, cells[r * ncols + c]);
			}
			fputs("\r\n", stdout);
		}
		return;
	}

	w = xcalloc(ncols, sizeof *w);
	for (c = 0; c < ncols; c++)
		w[c] = cli_width(headers[c]);
	for (r = 0; r < nrows; r++) {
		for (c = 0; c < ncols; c++) {
			s = cells[r * ncols + c];
			if (s != NULL && cli_width(s) > w[c])
				w[c] = cli_width(s);
		}
	}
	for (c = 0; c < ncols; c++) {
		fputs(headers[c], stdout);
		if (c + 1 < ncols)
			for (k = cli_width(headers[c]); k < w[c] + 2; k++)
				putchar(' ');
	}
	putchar('\n');
	for (r = 0; r < nrows; r++) {
		for (c = 0; c < ncols; c++) {
			s = cells[r * ncols + c];
			if (s == NULL)
				s = "";
			fputs(s, stdout);
			if (c + 1 < ncols)
				for (k = cli_width(s); k < w[c] + 2; k++)
					putchar(' ');
		}
		putchar('\n');
	}
	free(w);
}

/* A JSON scalar as text (numbers in shortest form); caller frees. */
char *
cli_json_text(json_t *v)
{
	char	*s;
	double	 d;

	if (v == NULL || json_is_null(v))
		return (xstrdup(""));
	if (json_is_string(v))
		return (xstrdup(json_string_value(v)));
	if (json_is_integer(v)) {
		xasprintf(&s, "%lld", (long long)json_integer_value(v));
		return (s);
	}
	if (json_is_real(v)) {
		d = json_real_value(v);
		if (d == floor(d) && fabs(d) < 1e15)
			xasprintf(&s, "%.0f", d);
		else
			xasprintf(&s, "%.6g", d);
		return (s);
	}
	if (json_is_true(v))
		return (xstrdup("true"));
	if (json_is_false(v))
		return (xstrdup("false"));
	s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	return (s != NULL ? s : xstrdup(""));
}

/* An object's key as a string, or NULL if absent or not a string. */
const char *
cli_json_str(json_t *o, const char *key)
{
	json_t	*v;

	if (!json_is_object(o))
		return (NULL);
	v = json_object_get(o, key);
	return (json_is_string(v) ? json_string_value(v) : NULL);
}

/* Print a JSON array of objects as a table of the given keys. */
void
cli_print_json_rows(struct cmd_ctx *ctx, json_t *rows, const char *const *keys,
    size_t nkeys)
{
	char	**cells;
	size_t	  n, r, c;

	if (ctx->format == CLI_FORMAT_JSON) {
		cli_print_json(rows);
		return;
	}
	n = json_is_array(rows) ? json_array_size(rows) : 0;
	cells = xcalloc(n * nkeys + 1, sizeof *cells);
	for (r = 0; r < n; r++) {
		for (c = 0; c < nkeys; c++)
			cells[r * nkeys + c] = cli_json_text(json_object_get(
			    json_array_get(rows, r), keys[c]));
	}
	cli_print_table(ctx, keys, nkeys, (const char *const *)cells, n);
	for (r = 0; r < n * nkeys; r++)
		free(cells[r]);
	free(cells);
}

/* Pretty-print JSON to stdout. */
void
cli_print_json(json_t *v)
{
	json_dumpf(v, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY |
	    JSON_REAL_PRECISION(17));
	putchar('\n');
}

/* Print an error reply {"error":{"code","message","field"}} readably. */
void
cli_print_error(json_t *reply)
{
	json_t		*e;
	const char	*code, *msg, *field;

	e = json_object_get(reply, "error");
	if (!json_is_object(e)) {
		cli_warnx("eard returned an error without details");
		return;
	}
	code = cli_json_str(e, "code");
	msg = cli_json_str(e, "message");
	field = cli_json_str(e, "field");
	fprintf(stderr, "earctl: %s", msg != NULL ? msg : "error");
	if (code != NULL)
		fprintf(stderr, " (%s)", code);
	fputc('\n', stderr);
	if (field != NULL)
		fprintf(stderr, "Field: %s\n", field);
}

/*
 * For a reply that is not 2xx: print the error and return CLI_EXIT_ERROR
 * (CLI_EXIT_UNREACHABLE for 503 from an unready daemon is left to the
 * caller). Returns CLI_EXIT_OK for 2xx.
 */
int
cli_reply_exit(int status, json_t *reply)
{
	if (status >= 200 && status < 300)
		return (CLI_EXIT_OK);
	if (reply != NULL && json_object_get(reply, "error") != NULL)
		cli_print_error(reply);
	else
		cli_warnx("eard answered with HTTP status %d", status);
	return (CLI_EXIT_ERROR);
}

/* Does an array hold no objects (predicates, lists of codes)? */
static bool
cli_array_is_flat(json_t *a)
{
	size_t	 i;
	json_t	*e;

	json_array_foreach(a, i, e) {
		if (json_is_object(e))
			return (false);
		if (json_is_array(e) && !cli_array_is_flat(e))
			return (false);
	}
	return (true);
}

/* Print an object's members YAML-like; the first line may be "- ". */
static void
cli_print_human_object(json_t *v, int indent, bool dash)
{
	const char	*k;
	json_t		*e;
	char		*s;
	bool		 first = true;
	int		 pad;

	json_object_foreach(v, k, e) {
		if (json_is_null(e))
			continue;	/* absent facts say nothing to people */
		pad = dash && first ? indent - 2 : indent;
		printf("%*s%s", pad, "", dash && first ? "- " : "");
		first = false;
		if (json_is_array(e) && cli_array_is_flat(e)) {
			s = json_dumps(e, JSON_COMPACT | JSON_ENCODE_ANY |
			    JSON_REAL_PRECISION(12));
			printf("%s: %s\n", k, s != NULL ? s : "");
			free(s);
		} else if ((json_is_object(e) && json_object_size(e) != 0) ||
		    json_is_array(e)) {
			printf("%s:\n", k);
			cli_print_human(e, indent + 2);
		} else {
			s = cli_json_text(json_is_object(e) ? NULL : e);
			printf("%s: %s\n", k, s);
			free(s);
		}
	}
	if (first && dash)
		printf("%*s- {}\n", indent - 2, "");
}

/* Print any JSON value for people: "key: value" lines, nested by indent. */
void
cli_print_human(json_t *v, int indent)
{
	json_t	*e;
	size_t	 i;
	char	*s;

	if (json_is_object(v)) {
		cli_print_human_object(v, indent, false);
		return;
	}
	if (json_is_array(v)) {
		json_array_foreach(v, i, e) {
			if (json_is_object(e)) {
				cli_print_human_object(e, indent + 2, true);
				continue;
			}
			s = json_is_array(e) ? json_dumps(e, JSON_COMPACT |
			    JSON_REAL_PRECISION(12)) :
			    cli_json_text(e);
			printf("%*s- %s\n", indent, "", s != NULL ? s : "");
			free(s);
		}
		return;
	}
	s = cli_json_text(v);
	printf("%*s%s\n", indent, "", s);
	free(s);
}

/* Reset getopt_long() for a command's own option parsing. */
void
cli_getopt_reset(void)
{
	optind = 0;
	opterr = 1;
}

/* Print a message to stderr, prefixed with the program name. */
void
cli_warnx(const char *fmt, ...)
{
	va_list	ap;

	fputs("earctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Report a usage error of the current command; returns CLI_EXIT_USAGE. */
int
cli_usage_error(struct cmd_ctx *ctx, const char *fmt, ...)
{
	va_list	ap;

	fputs("earctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (ctx != NULL && ctx->entry != NULL)
		fprintf(stderr, "Try \"earctl %s --help\".\n",
		    ctx->entry->name);
	return (CLI_EXIT_USAGE);
}

/* Map a verdict to the documented exit code. */
int
cli_exit_for_verdict(const char *verdict)
{
	if (verdict == NULL)
		return (CLI_EXIT_ERROR);
	if (strcmp(verdict, "not_subject") == 0 ||
	    strcmp(verdict, "no_license_required") == 0)
		return (CLI_EXIT_OK);
	if (strcmp(verdict, "license_exception") == 0)
		return (CLI_EXIT_EXCEPTION);
	if (strcmp(verdict, "license_required") == 0)
		return (CLI_EXIT_REQUIRED);
	if (strcmp(verdict, "needs_review") == 0)
		return (CLI_EXIT_REVIEW);
	return (CLI_EXIT_ERROR);
}
