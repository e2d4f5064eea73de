/* route_status.c: /healthz, /readyz, /metrics and in-memory rule lookups. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eard.h"

/* GET /healthz: the process answers. */
void
route_status_healthz(struct request *r)
{
	request_reply_json(r, 200, json_pack("{s:s, s:s}", "status", "ok",
	    "version", EARD_VERSION));
}

/* Warn (not fail) about screening lists older than lists_max_age_days. */
static void
route_status_list_warnings(json_t *body)
{
	json_t		*info, *v, *warnings = json_array();
	const char	*code;
	json_int_t	 age;

	info = screen_index_list_info();
	json_object_foreach(info, code, v) {
		if (!json_is_integer(json_object_get(v, "age_days")))
			continue;
		age = json_integer_value(json_object_get(v, "age_days"));
		if (age > cfg.lists_max_age_days)
			json_array_append_new(warnings, json_sprintf("screening "
			    "list %s is %lld days old (lists_max_age_days is "
			    "%d); import a newer one", code, (long long)age,
			    cfg.lists_max_age_days));
	}
	json_decref(info);
	if (json_array_size(warnings) > 0)
		json_object_set_new(body, "warnings", warnings);
	else
		json_decref(warnings);
}

/* GET /readyz: 200 only with the database reachable and rules loaded. */
void
route_status_readyz(struct request *r)
{
	const char	*reason = NULL;
	json_t		*body;
	bool		 ready;

	if (eard_stopping())
		reason = "shutting down";
	else if (!db_connected())
		reason = "database unreachable";
	else if (*rules_version() == '\0')
		reason = rules_last_error() != NULL ? "rules not loaded: error" :
		    "rules not loaded yet";
	else if (screen_index_pending())
		reason = "screening lists loading";
	ready = reason == NULL;
	body = json_pack("{s:b, s:s, s:s, s:s}", "ready", ready, "version",
	    EARD_VERSION, "database", db_state(), "audit", audit_state());
	json_object_set_new(body, "ruleset", *rules_version() != '\0' ?
	    json_string(rules_version()) : json_null());
	route_status_list_warnings(body);
	if (!ready) {
		json_object_set_new(body, "reason", json_string(reason));
		if (!db_connected() && db_last_error() != NULL)
			json_object_set_new(body, "detail",
			    json_string(db_last_error()));
		else if (rules_last_error() != NULL)
			json_object_set_new(body, "detail",
			    json_string(rules_last_error()));
	}
	request_reply_json(r, ready ? 200 : 503, body);
}

/* GET /metrics: Prometheus text format. */
void
route_status_metrics(struct request *r)
{
	char	*text = metrics_render();

	request_reply_text(r, 200, "text/plain; version=0.0.4", text);
	free(text);
}

/* The as_of query parameter, default today; replies 400 when bad. */
static int
route_status_as_of(struct request *r, ear_date *out)
{
	const char	*s = request_query(r, "as_of");

	if (s == NULL) {
		*out = date_today();
		return 0;
	}
	if (date_parse(s, out) != 0) {
		request_reply_errorf(r, 400, "invalid_field", "as_of",
		    "invalid date \"%s\"; expected YYYY-MM-DD", s);
		return -1;
	}
	return 0;
}

/* The ruleset, or NULL after replying 503. */
static struct ruleset *
route_status_rules(struct request *r)
{
	struct ruleset	*rs = rules_current();

	if (rs == NULL)
		request_reply_errorf(r, 503, "rules_not_loaded", NULL,
		    "the rules are not loaded yet");
	return rs;
}

/* GET /v1/countries/{cc}: a country's groups on as_of. */
void
route_status_country(struct request *r)
{
	struct ruleset	*rs;
	ear_date	 as_of;
	char		 cc[3];
	const char	*arg = request_arg(r);
	json_t		*body;

	if (strlen(arg) != 2 || !isalpha((unsigned char)arg[0]) ||
	    !isalpha((unsigned char)arg[1])) {
		request_reply_errorf(r, 400, "invalid_field", "country",
		    "invalid country code \"%s\"; expected ISO 3166-1 "
		    "alpha-2 such as CN", arg);
		return;
	}
	cc[0] = (char)toupper((unsigned char)arg[0]);
	cc[1] = (char)toupper((unsigned char)arg[1]);
	cc[2] = '\0';
	if (route_status_as_of(r, &as_of) != 0)
		return;
	if ((rs = route_status_rules(r)) == NULL)
		return;
	body = ruleset_country_json(rs, cc, as_of);
	ruleset_unref(rs);
	if (body == NULL) {
		request_reply_errorf(r, 404, "unknown_country", "country",
		    "no rules name country \"%s\"", cc);
		return;
	}
	request_reply_json(r, 200, body);
}

/* GET /v1/eccn/{code}: the classification and requirements of an ECCN. */
void
route_status_eccn(struct request *r)
{
	struct ruleset	*rs;
	ear_date	 as_of;
	const char	*arg = request_arg(r);
	json_t		*body;

	if (strlen(arg) > 32) {
		request_reply_errorf(r, 400, "invalid_field", "eccn",
		    "ECCN \"%.32s...\" is too long", arg);
		return;
	}
	if (route_status_as_of(r, &as_of) != 0)
		return;
	if ((rs = route_status_rules(r)) == NULL)
		return;
	body = ruleset_eccn_json(rs, arg, as_of);
	ruleset_unref(rs);
	if (body == NULL) {
		request_reply_errorf(r, 404, "unknown_eccn", "eccn",
		    "no loaded rule names ECCN \"%s\"", arg);
		return;
	}
	request_reply_json(r, 200, body);
}
