/*
 * cmd_version.c: `earctl version` and `earctl --version`. Prints earctl's
 * version, then asks eard, when it is reachable, for its version, the
 * ruleset in force and the version of each screening list loaded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "earctl.h"

/* The daemon's half: /readyz (version, ruleset) and /v1/lists. */
static void
version_print_daemon(struct cmd_ctx *ctx)
{
	json_t		*ready = NULL, *lists = NULL, *v;
	const char	*code, *s;
	int		 status, rc;

	if (ctx->tcp == NULL && access(ctx->socket_path, F_OK) != 0) {
		printf("eard: not running at %s\n", ctx->socket_path);
		return;
	}
	if (ctx->timeout_ms > 3000)
		ctx->timeout_ms = 3000;
	rc = cli_request(ctx, "GET", "/readyz", NULL, &status, &ready);
	if (rc != 0 || !json_is_object(ready)) {
		printf("eard: not reachable at %s\n", ctx->tcp != NULL ?
		    ctx->tcp : ctx->socket_path);
		json_decref(ready);
		return;
	}
	s = json_string_value(json_object_get(ready, "version"));
	printf("eard %s at %s%s\n", s != NULL ? s : "?", ctx->tcp != NULL ?
	    ctx->tcp : ctx->socket_path, status == 200 ? "" : " (not ready)");
	s = json_string_value(json_object_get(ready, "ruleset"));
	printf("ruleset %s\n", s != NULL ? s : "(none loaded)");
	json_decref(ready);
	if (cli_request(ctx, "GET", "/v1/lists", NULL, &status, &lists) != 0)
		return;
	if (status == 200 && json_object_size(json_object_get(lists,
	    "lists")) > 0) {
		json_object_foreach(json_object_get(lists, "lists"), code, v) {
			s = json_string_value(json_object_get(v, "version"));
			if (s == NULL)
				s = json_string_value(json_object_get(v,
				    "list_version"));
			printf("list %s %s\n", code, s != NULL ? s : "?");
		}
	} else if (status == 200)
		printf("lists (none loaded)\n");
	json_decref(lists);
}

/* earctl version / earctl --version */
int
cmd_version_print(struct cmd_ctx *ctx)
{
	printf("earctl %s\n", EARD_VERSION);
	version_print_daemon(ctx);
	return (CLI_EXIT_OK);
}
