/*
 * routes.c: THE route table. One line per route: method, path, whether the
 * path is a prefix (the rest is request_arg()), the role it is for, handler.
 * Exact paths are tried before prefixes; the first match wins.
 *
 * Roles (issue #8; auth_role_allows() says who else passes):
 *	ROLE_NONE	anyone, even an unknown peer: health and metrics
 *	ROLE_READER	any known role: read-only lookups
 *	ROLE_PIPELINE	checks, screening, registering a model before release
 *			(pipeline, counsel, admin)
 *	ROLE_COUNSEL	dispositions, decisions, replay (counsel, admin)
 *	ROLE_ANALYST	reports (analyst, admin)
 *	ROLE_ADMIN	imports (tokens are managed in the database)
 */
#include <stdio.h>
#include <string.h>

#include "eard.h"

const struct route routes[] = {
	{ "GET",  "/healthz",		false,	ROLE_NONE,	route_status_healthz },
	{ "GET",  "/readyz",		false,	ROLE_NONE,	route_status_readyz },
	{ "GET",  "/metrics",		false,	ROLE_NONE,	route_status_metrics },
	{ "GET",  "/v1/countries/",	true,	ROLE_READER,	route_status_country },
	{ "GET",  "/v1/eccn/",		true,	ROLE_READER,	route_text_eccn },
	{ "GET",  "/v1/text",		false,	ROLE_READER,	route_text_get },
	{ "POST", "/v1/checks/chip",	false,	ROLE_PIPELINE,	route_checks_chip },
	{ "POST", "/v1/checks/weights",	false,	ROLE_PIPELINE,	route_checks_weights },
	{ "POST", "/v1/checks/batch",	false,	ROLE_PIPELINE,	route_checks_batch },
	{ "POST", "/v1/screen",		false,	ROLE_PIPELINE,	route_screen_screen },
	{ "GET",  "/v1/lists",		false,	ROLE_READER,	route_screen_lists },
	{ "POST", "/v1/dispositions",	false,	ROLE_COUNSEL,	route_screen_dispose },
	{ "GET",  "/v1/models",		false,	ROLE_READER,	route_registry_models },
	{ "POST", "/v1/models",		false,	ROLE_PIPELINE,	route_registry_register },
	{ "GET",  "/v1/models/",	true,	ROLE_READER,	route_registry_model },
	{ "GET",  "/v1/chips",		false,	ROLE_READER,	route_registry_chips },
	{ "GET",  "/v1/chips/",		true,	ROLE_READER,	route_registry_chip },
	{ "GET",  "/v1/decisions/",	true,	ROLE_COUNSEL,	route_decisions_get },
	{ "POST", "/v1/decisions/",	true,	ROLE_COUNSEL,	route_decisions_replay },
	{ "GET",  "/v1/reports",	false,	ROLE_ANALYST,	route_decisions_reports },
	{ "GET",  "/v1/reports/",	true,	ROLE_ANALYST,	route_decisions_report },
	{ "POST", "/v1/import/",	true,	ROLE_ADMIN,	route_import_import },
};
const size_t routes_count = nitems(routes);

/* Does path match route rt? Sets *rest for prefix routes. */
static bool
routes_match(const struct route *rt, const char *path, const char **rest)
{
	size_t	 len;

	if (!rt->prefix)
		return strcmp(rt->path, path) == 0;
	len = strlen(rt->path);
	if (strncmp(rt->path, path, len) != 0 || path[len] == '\0')
		return false;
	*rest = path + len;
	return true;
}

/*
 * Find the route for method and path. When the path exists under other
 * methods only, returns NULL with *wrong_method set and allow listing them.
 */
const struct route *
routes_find(const char *method, const char *path, bool *wrong_method,
    char *allow, size_t allowlen, const char **rest)
{
	const struct route	*rt;
	const char		*r = NULL;
	size_t			 i, pass;

	*wrong_method = false;
	if (allowlen > 0)
		*allow = '\0';
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < routes_count; i++) {
			rt = &routes[i];
			if (rt->prefix != (pass == 1))
				continue;
			if (!routes_match(rt, path, &r))
				continue;
			if (strcmp(rt->method, method) == 0 ||
			    (strcmp(method, "HEAD") == 0 &&
			    strcmp(rt->method, "GET") == 0)) {
				*rest = rt->prefix ? r : NULL;
				return rt;
			}
			*wrong_method = true;
			if (strstr(allow, rt->method) == NULL)
				snprintf(allow + strlen(allow),
				    allowlen - strlen(allow), "%s%s",
				    *allow != '\0' ? ", " : "", rt->method);
		}
		/* An exact path that matched under another method wins. */
		if (*wrong_method)
			return NULL;
	}
	return NULL;
}
