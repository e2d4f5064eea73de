/*
 * cmd_status.c: `earctl status`. Asks eard's /readyz and /metrics and
 * prints readiness, versions and the database state. Exit 0 ready, 1
 * answering but not ready, 3 unreachable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "earctl.h"

/* Is this metric one the summary shows? */
static bool
status_metric_wanted(const char *name, size_t len)
{
	static const char *const words[] = { "_info", "database", "db_",
	    "uptime", "ruleset", "spool", "pending", "lists" };
	size_t	i;
	char	buf[256];

	if (len >= sizeof buf || len == 0)
		return (false);
	memcpy(buf, name, len);
	buf[len] = '\0';
	if (strstr(buf, "_bucket") != NULL || strstr(buf, "_sum") != NULL ||
	    strstr(buf, "_count") != NULL)
		return (false);
	for (i = 0; i < nitems(words); i++) {
		if (strstr(buf, words[i]) != NULL)
			return (true);
	}
	return (false);
}

/* Pick the summary lines out of Prometheus text into an object. */
static json_t *
status_parse_metrics(const char *text)
{
	json_t		*o = json_object();
	const char	*p = text, *eol, *name_end, *val;
	char		*key, *value;

	while (p != NULL && *p != '\0') {
		eol = strchr(p, '\n');
		if (eol == NULL)
			eol = p + strlen(p);
		if (*p != '#' && eol > p) {
			/* The series (name + labels) ends at the last space. */
			val = eol;
			while (val > p && val[-1] != ' ')
				val--;
			name_end = p + strcspn(p, "{ \n");
			if (val > p && status_metric_wanted(p, name_end - p)) {
				key = xstrndup(p, val - 1 - p);
				value = xstrndup(val, eol - val);
				json_object_set_new(o, key, json_string(value));
				free(key);
				free(value);
			}
		}
		p = *eol == '\n' ? eol + 1 : NULL;
	}
	return (o);
}

/* earctl status */
int
cmd_status_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	json_t		*ready = NULL, *metrics, *out;
	char		*text = NULL;
	const char	*k;
	json_t		*v;
	int		 rc, status, mstatus;
	bool		 is_ready;

	if (argc > 1)
		return (cli_usage_error(ctx, "unexpected argument \"%s\"",
		    argv[1]));
	if ((rc = cli_request(ctx, "GET", "/readyz", NULL, &status,
	    &ready)) != 0)
		return (rc);
	is_ready = status == 200;
	if ((rc = cli_request_text(ctx, "GET", "/metrics", NULL, &mstatus,
	    &text)) != 0) {
		json_decref(ready);
		return (rc);
	}
	metrics = mstatus == 200 && text != NULL ?
	    status_parse_metrics(text) : json_object();
	free(text);

	if (ctx->format == CLI_FORMAT_JSON) {
		out = json_pack("{s:b, s:i, s:O, s:o}", "ready", is_ready,
		    "status", status, "readyz", ready != NULL ? ready :
		    json_null(), "metrics", metrics);
		cli_print_json(out);
		json_decref(out);
	} else {
		printf("%-10s%s (HTTP %d)\n", "ready:", is_ready ? "yes" : "no",
		    status);
		printf("%-10s%s\n", "socket:", ctx->tcp != NULL ? ctx->tcp :
		    ctx->socket_path);
		if (json_is_object(ready)) {
			json_object_foreach(ready, k, v) {
				if (strcmp(k, "ready") == 0)
					continue;
				if (json_is_object(v) || json_is_array(v)) {
					printf("%s:\n", k);
					cli_print_human(v, 2);
				} else {
					char *s = cli_json_text(v);

					printf("%s: %s\n", k, s);
					free(s);
				}
			}
		}
		if (json_object_size(metrics) != 0) {
			printf("metrics:\n");
			json_object_foreach(metrics, k, v)
				printf("  %s %s\n", k, json_string_value(v));
		}
		json_decref(metrics);
	}
	json_decref(ready);
	return (is_ready ? CLI_EXIT_OK : CLI_EXIT_NO);
}
