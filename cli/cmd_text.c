/*
 * cmd_text.c: the text of a citation (GET /v1/text): `earctl text CITE`
 * and the hook of `earctl explain`.
 *
 * cli_citation_text() is the strong definition of the weak hook declared
 * in earctl.h: explain prints what it returns under each requirement. (A
 * weak reference does not pull an object out of a static archive; the
 * command's entry in the table does.)
 */
#include <getopt.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "earctl.h"

/* s percent-encoded for a query string (caller frees). */
char *
cmd_text_urlencode(const char *s)
{
	static const char	 hex[] = "0123456789ABCDEF";
	char			*out, *p;

	p = out = xmalloc(3 * strlen(s) + 1);
	for (; *s != '\0'; s++) {
		if (isalnum((unsigned char)*s) || strchr("-_.~", *s) != NULL)
			*p++ = *s;
		else {
			*p++ = '%';
			*p++ = hex[(unsigned char)*s >> 4];
			*p++ = hex[(unsigned char)*s & 15];
		}
	}
	*p = '\0';
	return (out);
}

/* Append a line to a growing text, indented as explain prints it. */
static void PRINTFLIKE(2, 3)
cmd_text_line(char **text, const char *fmt, ...)
{
	va_list	 ap;
	char	*line, *t;

	va_start(ap, fmt);
	xvasprintf(&line, fmt, ap);
	va_end(ap);
	if (*text == NULL)
		*text = line;
	else {
		xasprintf(&t, "%s\n    %s", *text, line);
		free(*text);
		free(line);
		*text = t;
	}
}

/*
 * The reply of GET /v1/text as the lines explain prints: each part's cite
 * and eCFR date, its body, its sub-paragraphs and notes in full, then the
 * parts not in the imported text with why. Caller frees.
 */
char *
cmd_text_format(json_t *reply)
{
	json_t		*parts, *p, *subs, *s, *miss, *doc;
	const char	*v, *t;
	char		*text = NULL;
	size_t		 i, k;

	parts = json_object_get(reply, "parts");
	json_array_foreach(parts, i, p) {
		if ((doc = json_object_get(p, "document")) != NULL) {
			v = cli_json_str(doc, "subject");
			cmd_text_line(&text, "%s: %s", cli_json_str(p, "cite"),
			    v != NULL ? v : "(no subject)");
			continue;
		}
		cmd_text_line(&text, "%s (eCFR %s):", cli_json_str(p, "cite"),
		    cli_json_str(p, "ecfr_date"));
		t = cli_json_str(p, "type");
		if ((v = cli_json_str(p, "heading")) != NULL &&
		    (t == NULL || strcmp(t, "note") != 0))
			cmd_text_line(&text, "  %s", v);
		if ((v = cli_json_str(p, "body")) != NULL && *v != '\0')
			cmd_text_line(&text, "  %s", v);
		subs = json_object_get(p, "subparagraphs");
		json_array_foreach(subs, k, s) {
			v = cli_json_str(s, "body");
			if (cli_json_str(s, "type") != NULL &&
			    strcmp(cli_json_str(s, "type"), "note") == 0)
				cmd_text_line(&text, "  %s: %s",
				    cli_json_str(s, "label") != NULL ?
				    cli_json_str(s, "label") : "Note",
				    v != NULL ? v : "");
			else if (v != NULL && *v != '\0')
				cmd_text_line(&text, "  %s", v);
		}
	}
	miss = json_object_get(reply, "not_in_text");
	json_array_foreach(miss, i, p)
		cmd_text_line(&text, "%s: not in the imported text (%s)",
		    cli_json_str(p, "cite"), cli_json_str(p, "reason"));
	return (text);
}

/* The hook of `earctl explain`: a cited paragraph in full, or NULL. */
char *
cli_citation_text(struct cmd_ctx *ctx, const char *cite)
{
	char	*enc, *path, *text;
	json_t	*reply = NULL;
	int	 status;

	enc = cmd_text_urlencode(cite);
	xasprintf(&path, "/v1/text?cite=%s", enc);
	free(enc);
	if (cli_request(ctx, "GET", path, NULL, &status, &reply) != 0) {
		free(path);
		return (NULL);
	}
	free(path);
	text = (status == 200 || status == 404) ? cmd_text_format(reply) :
	    NULL;
	json_decref(reply);
	return (text);
}

/* earctl text CITE... [--as-of DATE] [--json] */
int
cmd_text_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "as-of", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*as_of = NULL;
	char		*cite = NULL, *t, *enc, *path, *text;
	json_t		*reply = NULL;
	ear_date	 d;
	int		 ch, i, status, rc;

	cli_getopt_reset();
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'a':
			as_of = optarg;
			break;
		case 'j':
			ctx->format = CLI_FORMAT_JSON;
			break;
		default:
			return (cli_usage_error(ctx, "unknown option"));
		}
	}
	if (optind >= argc)
		return (cli_usage_error(ctx, "text needs a citation, e.g. "
		    "\"15 CFR 774 Supp. 1, 3A090.a.1\""));
	if (as_of != NULL && date_parse(as_of, &d) != 0)
		return (cli_usage_error(ctx, "invalid --as-of \"%s\"; "
		    "expected YYYY-MM-DD", as_of));
	/* the words of an unquoted citation */
	for (i = optind; i < argc; i++) {
		xasprintf(&t, "%s%s%s", cite != NULL ? cite : "",
		    cite != NULL ? " " : "", argv[i]);
		free(cite);
		cite = t;
	}
	enc = cmd_text_urlencode(cite);
	free(cite);
	xasprintf(&path, "/v1/text?cite=%s%s%s", enc, as_of != NULL ?
	    "&as_of=" : "", as_of != NULL ? as_of : "");
	free(enc);
	rc = cli_request(ctx, "GET", path, NULL, &status, &reply);
	free(path);
	if (rc != 0)
		return (rc);
	if (status != 200 && status != 404)
		return (cli_reply_exit(status, reply));
	if (ctx->format == CLI_FORMAT_JSON)
		cli_print_json(reply);
	else if ((text = cmd_text_format(reply)) != NULL) {
		printf("%s\n", text);
		free(text);
	}
	json_decref(reply);
	return (status == 200 ? CLI_EXIT_OK : CLI_EXIT_NO);
}
