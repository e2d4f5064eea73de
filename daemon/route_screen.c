/*
 * route_screen.c: POST /v1/screen (single {name, country, as_of} or batch
 * {"parties": [...]}), GET /v1/lists and POST /v1/dispositions.
 *
 * A screening is a decision: it gets a decision id and an audit row (kind
 * "screen") and is answered once the row is durable, like a check. The
 * matching runs on the index the request took at its start.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eard.h"

struct screen_job {
	struct request	*r;
	struct decision	 dec;
	json_t		*resp;
};

/* Validate one {name, country} object; NULL with a 400 sent on error. */
static bool
screen_party_ok(struct request *r, json_t *p, const char *path)
{
	json_t		*name = json_object_get(p, "name");
	json_t		*cc = json_object_get(p, "country");

	if (!json_is_object(p)) {
		request_reply_errorf(r, 400, "invalid_field", path,
		    "%s must be an object with \"name\"", path);
		return (false);
	}
	if (!json_is_string(name) || json_string_length(name) == 0 ||
	    json_string_length(name) > 1000) {
		request_reply_errorf(r, 400, "invalid_field", "name",
		    "\"name\" must be a string of 1 to 1000 characters");
		return (false);
	}
	if (cc != NULL && !json_is_null(cc) && (!json_is_string(cc) ||
	    json_string_length(cc) != 2)) {
		request_reply_errorf(r, 400, "invalid_field", "country",
		    "\"country\" must be an ISO 3166-1 alpha-2 code such as "
		    "\"CN\"");
		return (false);
	}
	return (true);
}

/* Screen one party: the response object (new reference). */
static json_t *
screen_one(struct screen_index *ix, json_t *p)
{
	struct screen_opts	 o;
	const char		*name = json_string_value(json_object_get(p,
				    "name"));
	const char		*cc = json_string_value(json_object_get(p,
				    "country"));
	json_t			*res, *top;
	enum screen_result	 r = SCREEN_NO_MATCH;
	const char		*rs;

	screen_opts_daemon(&o);
	res = screen_query(ix, name, cc, &o);
	rs = json_string_value(json_object_get(res, "result"));
	if (strcmp(rs, "match") == 0)
		r = SCREEN_MATCH;
	else if (strcmp(rs, "review") == 0)
		r = SCREEN_REVIEW;
	top = json_array_get(json_object_get(res, "candidates"), 0);
	screen_remember(name, cc, r, top != NULL ? json_string_value(
	    json_object_get(top, "entry_id")) : NULL);
	json_object_set_new(res, "name", json_string(name));
	if (cc != NULL)
		json_object_set_new(res, "country", json_string(cc));
	return (res);
}

static void
screen_audit_done(void *arg, int ok)
{
	struct screen_job	*job = arg;

	json_decref(job->dec.request);
	if (ok != 0) {
		json_decref(job->resp);
		request_reply_errorf(job->r, 503, "audit_unavailable", NULL,
		    "decision %s could not be recorded; no answer is given "
		    "without an audit record", job->dec.id);
	} else
		request_reply_json(job->r, 200, job->resp);
	request_release(job->r);
}

/* POST /v1/screen */
void
route_screen_screen(struct request *r)
{
	struct screen_index	*ix;
	struct screen_job	*job;
	json_t			*body, *parties, *p, *resp, *results;
	const char		*asof;
	ear_date		 d;
	size_t			 i;
	char			 path[32];

	if ((body = request_json(r)) == NULL)
		return;
	asof = json_string_value(json_object_get(body, "as_of"));
	if (json_object_get(body, "as_of") != NULL && (asof == NULL ||
	    date_parse(asof, &d) != 0)) {
		request_reply_errorf(r, 400, "invalid_field", "as_of",
		    "\"as_of\" must be a date written YYYY-MM-DD");
		return;
	}
	parties = json_object_get(body, "parties");
	if (parties != NULL) {
		if (!json_is_array(parties) || json_array_size(parties) == 0 ||
		    json_array_size(parties) > (size_t)cfg.batch_max) {
			request_reply_errorf(r, 400, "invalid_field", "parties",
			    "\"parties\" must be an array of 1 to %d objects",
			    cfg.batch_max);
			return;
		}
		json_array_foreach(parties, i, p) {
			snprintf(path, sizeof path, "parties[%zu]", i);
			if (!screen_party_ok(r, p, path))
				return;
		}
	} else if (!screen_party_ok(r, body, "body"))
		return;
	if ((ix = screen_index_current()) == NULL) {
		request_reply_errorf(r, 503, "lists_not_loaded", NULL,
		    "no screening list is loaded; import one with earctl "
		    "import csl");
		return;
	}
	if (parties != NULL) {
		results = json_array();
		json_array_foreach(parties, i, p)
			json_array_append_new(results, screen_one(ix, p));
		resp = json_pack("{s:o,s:o}", "results", results, "lists",
		    screen_index_lists(ix));
	} else
		resp = screen_one(ix, body);
	if (asof != NULL && date_parse(asof, &d) == 0 && d != date_today())
		json_object_set_new(resp, "as_of_note", json_string("screened "
		    "against the list versions loaded now; earlier list "
		    "versions are kept in the database, not in memory"));

	job = request_alloc(r, sizeof *job);
	job->r = r;
	decision_new_id(job->dec.id);
	json_object_set_new(resp, "decision_id", json_string(job->dec.id));
	job->resp = resp;
	job->dec.kind = "screen";
	job->dec.request = json_incref(body);
	job->dec.response = resp;
	job->dec.requester = request_requester(r);
	job->dec.ruleset_version = rules_version();
	job->dec.lists_version = request_strdup(r, screen_index_version(ix));
	job->dec.at_us = eard_now_us();
	screen_index_unref(ix);
	request_hold(r);
	audit_submit(&job->dec, screen_audit_done, job);
}

/*
 * GET /v1/lists: each list's own version, party count and age in days
 * ({"lists": {"EL": {"version": "csl 3 (...)", "kind", "list_version",
 * "parties", "age_days", "stale", ...}}}), the index version and when it
 * was loaded.
 */
void
route_screen_lists(struct request *r)
{
	struct screen_index	*ix;
	json_t			*resp, *labels, *info, *v, *age;
	const char		*code;
	int64_t			 at = screen_index_loaded_at_us();

	if ((ix = screen_index_current()) == NULL) {
		resp = json_pack("{s:o,s:s,s:s?}", "lists", json_object(),
		    "warning", "no screening list is loaded", "last_error",
		    screen_index_last_error());
		request_reply_json(r, 200, resp);
		return;
	}
	labels = screen_index_lists(ix);
	info = screen_index_list_info();
	json_object_foreach(labels, code, v) {
		if (json_object_get(info, code) == NULL)
			json_object_set_new(info, code, json_object());
		json_object_set(json_object_get(info, code), "version", v);
	}
	json_object_foreach(info, code, v) {
		age = json_object_get(v, "age_days");
		json_object_set_new(v, "stale", json_boolean(
		    json_is_integer(age) && json_integer_value(age) >
		    cfg.lists_max_age_days));
	}
	json_decref(labels);
	resp = json_pack("{s:o,s:s,s:I,s:I,s:i}", "lists", info, "version",
	    screen_index_version(ix), "parties",
	    (json_int_t)screen_index_parties(ix), "loaded_seconds_ago",
	    (json_int_t)((eard_now_us() - at) / 1000000),
	    "lists_max_age_days", cfg.lists_max_age_days);
	if (screen_index_last_error() != NULL)
		json_object_set_new(resp, "last_error",
		    json_string(screen_index_last_error()));
	screen_index_unref(ix);
	request_reply_json(r, 200, resp);
}

struct dispose_job {
	struct request	*r;
	char		*key, *entry_id, *hash, *disp, *note, *by;
};

static void
screen_dispose_done(void *arg, PGresult *res, const char *errmsg)
{
	struct dispose_job	*j = arg;

	if (res == NULL || PQntuples(res) != 1) {
		request_reply_errorf(j->r, 503, "database_unavailable", NULL,
		    "could not record the disposition: %s",
		    errmsg != NULL ? errmsg : "no row");
	} else {
		screen_disposition_add(j->key, j->entry_id, j->hash, j->disp,
		    j->note, j->by, PQgetvalue(res, 0, 1));
		request_reply_json(j->r, 201, json_pack("{s:s,s:s,s:s,s:s,"
		    "s:s,s:s,s:s}", "id", PQgetvalue(res, 0, 0), "party_key",
		    j->key, "entry_id", j->entry_id, "content_hash", j->hash,
		    "disposition", j->disp, "decided_by", j->by, "decided_at",
		    PQgetvalue(res, 0, 1)));
	}
	request_release(j->r);
}

/*
 * POST /v1/dispositions {party_name, entry_id, disposition, note}: tied to
 * the entry's current content hash, so it lapses when the entry changes.
 */
void
route_screen_dispose(struct request *r)
{
	struct dispose_job	*j;
	json_t			*body, *doc, *c;
	struct screen_index	*ix;
	const char		*name, *eid, *disp, *note, *params[6];
	char			*key;
	size_t			 i;

	if ((body = request_json(r)) == NULL)
		return;
	name = json_string_value(json_object_get(body, "party_name"));
	eid = json_string_value(json_object_get(body, "entry_id"));
	disp = json_string_value(json_object_get(body, "disposition"));
	note = json_string_value(json_object_get(body, "note"));
	if (name == NULL || *name == '\0') {
		request_reply_errorf(r, 400, "invalid_field", "party_name",
		    "\"party_name\" must be the screened name");
		return;
	}
	if (eid == NULL || *eid == '\0') {
		request_reply_errorf(r, 400, "invalid_field", "entry_id",
		    "\"entry_id\" must be a candidate's entry_id");
		return;
	}
	if (disp == NULL || (strcmp(disp, "false_positive") != 0 &&
	    strcmp(disp, "confirmed") != 0)) {
		request_reply_errorf(r, 400, "invalid_field", "disposition",
		    "\"disposition\" must be \"false_positive\" or "
		    "\"confirmed\"");
		return;
	}
	if ((ix = screen_index_current()) == NULL) {
		request_reply_errorf(r, 503, "lists_not_loaded", NULL,
		    "no screening list is loaded");
		return;
	}
	/* Find the entry's content hash among the name's candidates. */
	doc = screen_query(ix, name, NULL, NULL);
	screen_index_unref(ix);
	j = request_alloc(r, sizeof *j);
	j->hash = NULL;
	json_array_foreach(json_object_get(doc, "candidates"), i, c) {
		if (strcmp(json_string_value(json_object_get(c, "entry_id")),
		    eid) == 0 && json_string_value(json_object_get(c,
		    "content_hash")) != NULL)
			j->hash = request_strdup(r, json_string_value(
			    json_object_get(c, "content_hash")));
	}
	json_decref(doc);
	if (j->hash == NULL) {
		request_reply_errorf(r, 422, "unknown_entry", "entry_id",
		    "entry \"%s\" is not a candidate for \"%s\" in the lists "
		    "loaded now", eid, name);
		return;
	}
	key = screen_key(name);
	j->r = r;
	j->key = request_strdup(r, key);
	free(key);
	j->entry_id = request_strdup(r, eid);
	j->disp = request_strdup(r, disp);
	j->note = note != NULL ? request_strdup(r, note) : NULL;
	j->by = request_strdup(r, request_requester(r));
	params[0] = name;
	params[1] = j->key;
	params[2] = j->entry_id;
	params[3] = j->hash;
	params[4] = j->disp;
	params[5] = j->note;
	request_hold(r);
	/* decided_by is the peer, never what the body says. */
	{
		const char *p7[7] = { params[0], params[1], params[2],
		    params[3], params[4], params[5], j->by };
		if (db_query("INSERT INTO dispositions (party_name, party_key, "
		    "entry_id, content_hash, disposition, note, decided_by) "
		    "VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id::text, "
		    "to_char(decided_at AT TIME ZONE 'UTC', "
		    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')", 7, p7,
		    screen_dispose_done, j) != 0) {
			request_reply_errorf(r, 503, "database_unavailable",
			    NULL, "could not record the disposition: the "
			    "database is not reachable");
			request_release(r);
		}
	}
}
