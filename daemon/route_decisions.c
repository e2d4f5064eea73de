/*
 * route_decisions.c: the decision record over HTTP (issue #7).
 *
 *	GET  /v1/decisions/{id}		the stored decision (counsel)
 *	POST /v1/decisions/{id}/replay	re-determine it with the rules it was
 *					made with and with today's (counsel)
 *	GET  /v1/reports		the report queries and their parameters
 *	GET  /v1/reports/{name}		run queries/NAME.sql (analyst), off the
 *					loop (daemon/report.c)
 *
 * Replay takes the stored request (as received, after registry ids were
 * resolved), the screening hits the decision recorded (so the lists of the
 * day count, not today's), and the decision's as_of date. The rules of the
 * day are the current ruleset when the version matches, else the document
 * kept in ruleset_documents, compiled for the occasion.
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eard.h"

#define DECISION_SQL \
	"SELECT id, to_char(decided_at AT TIME ZONE 'UTC', " \
	"'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), kind, requester, verdict, " \
	"ruleset_version, lists_version, chain, seq, encode(hash, 'hex'), " \
	"request::text, response::text FROM decisions WHERE id = $1 " \
	"ORDER BY decided_at DESC LIMIT 1"

struct replay {
	struct request	*r;
	json_t		*dec;		/* the stored decision */
	struct ruleset	*old;		/* the rules of the day, or NULL */
	char		*old_why;	/* why there are none */
};

/* Integral doubles back to integers (jsonb text parsed as reals). */
static void
decisions_fix_numbers(json_t *v)
{
	const char	*k;
	json_t		*x;
	size_t		 i;
	double		 d;

	if (json_is_object(v)) {
		json_object_foreach(v, k, x) {
			if (json_is_real(x)) {
				d = json_real_value(x);
				if (d == floor(d) && fabs(d) < 9007199254740992.0)
					json_object_set_new(v, k,
					    json_integer((json_int_t)d));
			} else
				decisions_fix_numbers(x);
		}
	} else if (json_is_array(v)) {
		for (i = 0; i < json_array_size(v); i++) {
			x = json_array_get(v, i);
			if (json_is_real(x)) {
				d = json_real_value(x);
				if (d == floor(d) && fabs(d) < 9007199254740992.0)
					json_array_set_new(v, i,
					    json_integer((json_int_t)d));
			} else
				decisions_fix_numbers(x);
		}
	}
}

/* Stored jsonb text as JSON. */
static json_t *
decisions_load(const char *text)
{
	json_error_t	 jerr;
	json_t		*v;

	v = json_loads(text, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, &jerr);
	if (v == NULL)
		return (json_null());
	decisions_fix_numbers(v);
	return (v);
}

/* The decision row as JSON. */
static json_t *
decisions_row_json(PGresult *res)
{
	static const char *const names[] = { "id", "decided_at", "kind",
	    "requester", "verdict", "ruleset_version", "lists_version",
	    "chain" };
	json_t	*o;
	size_t	 i;

	o = json_object();
	for (i = 0; i < nitems(names); i++)
		json_object_set_new(o, names[i], PQgetisnull(res, 0, (int)i) ?
		    json_null() : json_string(PQgetvalue(res, 0, (int)i)));
	json_object_set_new(o, "seq", json_integer(strtoll(PQgetvalue(res, 0,
	    8), NULL, 10)));
	json_object_set_new(o, "hash", json_string(PQgetvalue(res, 0, 9)));
	json_object_set_new(o, "request", decisions_load(PQgetvalue(res, 0,
	    10)));
	json_object_set_new(o, "response", decisions_load(PQgetvalue(res, 0,
	    11)));
	return (o);
}

/* The id in /v1/decisions/{id}[/replay]; NULL if malformed. */
static char *
decisions_id(struct request *r, const char *suffix)
{
	const char	*arg = request_arg(r);
	size_t		 n, sl = suffix != NULL ? strlen(suffix) : 0;

	if (arg == NULL)
		return (NULL);
	n = strspn(arg, "0123456789abcdefABCDEF-");
	if (n == 0 || n >= 40)
		return (NULL);
	if (suffix == NULL ? arg[n] != '\0' :
	    strncmp(arg + n, suffix, sl) != 0 || arg[n + sl] != '\0')
		return (NULL);
	return (request_strdup(r, arg));
}

static void
decisions_get_cb(void *arg, PGresult *res, const char *errmsg)
{
	struct request	*r = arg;

	if (errmsg != NULL)
		request_reply_errorf(r, 503, "database_unavailable", NULL,
		    "could not read the decision log: %s", errmsg);
	else if (PQntuples(res) == 0)
		request_reply_errorf(r, 404, "unknown_decision", "id",
		    "no decision \"%s\" in the log", request_arg(r));
	else
		request_reply_json(r, 200, decisions_row_json(res));
	request_release(r);
}

/* GET /v1/decisions/{id} */
void
route_decisions_get(struct request *r)
{
	const char	*params[1];
	char		*id;

	if ((id = decisions_id(r, NULL)) == NULL) {
		request_reply_errorf(r, 404, "not_found", NULL,
		    "no such resource: use /v1/decisions/{id}");
		return;
	}
	params[0] = id;
	request_hold(r);
	if (db_query(DECISION_SQL, 1, params, decisions_get_cb, r) != 0) {
		request_reply_errorf(r, 503, "database_unavailable", NULL,
		    "the database is not connected");
		request_release(r);
	}
}

/* Screening hits as the decision recorded them (borrowed strings). */
static struct ear_listing *
decisions_listings(json_t *resp, size_t *n)
{
	struct ear_listing	*l;
	json_t			*a, *x;
	size_t			 i;

	a = json_object_get(resp, "screening");
	*n = json_array_size(a);
	if (*n == 0)
		return (NULL);
	l = xcalloc(*n, sizeof *l);
	for (i = 0; i < *n; i++) {
		x = json_array_get(a, i);
		l[i].name = json_string_value(json_object_get(x, "name"));
		l[i].list = json_string_value(json_object_get(x, "list"));
		l[i].license_requirement = json_string_value(
		    json_object_get(x, "license_requirement"));
		l[i].license_policy = json_string_value(
		    json_object_get(x, "license_policy"));
		l[i].federal_register_notice = json_string_value(
		    json_object_get(x, "federal_register_notice"));
		l[i].matched_on = json_string_value(json_object_get(x,
		    "matched_on"));
		l[i].score = json_number_value(json_object_get(x, "score"));
		l[i].match = json_is_true(json_object_get(x, "match"));
		l[i].export_list = json_is_true(json_object_get(x,
		    "export_list"));
	}
	return (l);
}

/* Determine the stored request with rs: the verdict body, or an error. */
static json_t *
decisions_decide(struct ruleset *rs, json_t *dec)
{
	struct ear_error	 err = { 0 };
	struct ear_listing	*l;
	struct check		*chk;
	struct verdict		*v;
	json_t			*req, *resp, *out;
	const char		*kind, *s;
	ear_date		 as_of;
	size_t			 n;

	kind = json_string_value(json_object_get(dec, "kind"));
	req = json_object_get(dec, "request");
	resp = json_object_get(dec, "response");
	s = json_string_value(json_object_get(resp, "as_of"));
	if (s == NULL || date_parse(s, &as_of) != 0) {
		s = json_string_value(json_object_get(dec, "decided_at"));
		if (s == NULL || strlen(s) < 10 || date_parse(s, &as_of) != 0)
			as_of = date_today();
	}
	chk = check_decode(strcmp(kind, "chip") == 0 ? ITEM_CHIP : ITEM_MODEL,
	    req, as_of, &err);
	if (chk == NULL) {
		out = json_pack("{s:o}", "error", error_to_json(&err));
		error_clear(&err);
		return (out);
	}
	if ((l = decisions_listings(resp, &n)) != NULL) {
		check_set_screening(chk, l, n, json_string_value(
		    json_object_get(dec, "lists_version")));
		free(l);
	}
	v = determine(rs, chk);
	out = verdict_to_json(v, json_string_value(json_object_get(dec, "id")));
	verdict_free(v);
	check_free(chk);
	return (out);
}

/* What differs between two verdict bodies, in the keys that matter. */
static json_t *
decisions_diff(json_t *a, json_t *b)
{
	static const char *const keys[] = { "verdict", "text_verdict",
	    "classification", "requirements", "exceptions" };
	json_t	*d;
	size_t	 i;

	d = json_array();
	for (i = 0; i < nitems(keys); i++) {
		if (!json_equal(json_object_get(a, keys[i]),
		    json_object_get(b, keys[i])) &&
		    (json_object_get(a, keys[i]) != NULL ||
		    json_object_get(b, keys[i]) != NULL))
			json_array_append_new(d, json_string(keys[i]));
	}
	return (d);
}

/* Both determinations made: answer and free. */
static void
decisions_replay_finish(struct replay *rp)
{
	struct ruleset	*cur;
	json_t		*dec = rp->dec, *o, *orig, *now = NULL, *body;
	const char	*recorded, *ov = NULL, *nv = NULL;
	bool		 same;

	recorded = json_string_value(json_object_get(dec, "verdict"));
	orig = rp->old != NULL ? decisions_decide(rp->old, dec) : NULL;
	if ((cur = rules_current()) != NULL)
		now = decisions_decide(cur, dec);
	if (orig != NULL)
		ov = json_string_value(json_object_get(orig, "verdict"));
	if (now != NULL)
		nv = json_string_value(json_object_get(now, "verdict"));
	same = ov != NULL && recorded != NULL && strcmp(ov, recorded) == 0;

	body = json_object();
	json_object_set(body, "decision_id", json_object_get(dec, "id"));
	json_object_set(body, "recorded_verdict", json_object_get(dec,
	    "verdict"));
	o = json_object();
	json_object_set_new(o, "ruleset", json_string(rp->old != NULL ?
	    ruleset_version(rp->old) : json_string_value(json_object_get(dec,
	    "ruleset_version"))));
	json_object_set_new(o, "verdict", ov != NULL ? json_string(ov) :
	    json_null());
	if (orig != NULL && json_object_get(orig, "error") != NULL)
		json_object_set(o, "error", json_object_get(orig, "error"));
	if (rp->old_why != NULL)
		json_object_set_new(o, "unavailable", json_string(rp->old_why));
	json_object_set_new(body, "original_rules", o);
	o = json_object();
	json_object_set_new(o, "ruleset", cur != NULL ?
	    json_string(ruleset_version(cur)) : json_null());
	json_object_set_new(o, "verdict", nv != NULL ? json_string(nv) :
	    json_null());
	if (now != NULL)
		json_object_set(o, "response", now);
	json_object_set_new(body, "current_rules", o);
	json_object_set_new(body, "same", json_boolean(same));
	json_object_set_new(body, "changed", json_boolean(nv != NULL &&
	    ov != NULL && strcmp(nv, ov) != 0));
	json_object_set_new(body, "differences", now != NULL ?
	    decisions_diff(json_object_get(dec, "response"), now) :
	    json_array());
	if (!same) {
		json_object_set_new(body, "alarm", json_string(ov == NULL ?
		    "the decision could not be replayed with its own rules" :
		    "replaying with its own rules gives a different verdict "
		    "than the one recorded"));
		log_rwarnx(request_id(rp->r), "replay of decision %s: recorded "
		    "%s, replayed %s", json_string_value(json_object_get(dec,
		    "id")), recorded ? recorded : "-", ov ? ov : "-");
	}
	request_reply_json(rp->r, 200, body);

	json_decref(orig);
	json_decref(now);
	if (cur != NULL)
		ruleset_unref(cur);
	if (rp->old != NULL)
		ruleset_unref(rp->old);
	json_decref(rp->dec);
	free(rp->old_why);
	request_release(rp->r);
	free(rp);
}

/* The rules document of the decision's day arrived. */
static void
decisions_doc_cb(void *arg, PGresult *res, const char *errmsg)
{
	struct replay	*rp = arg;
	json_t		*doc;
	json_error_t	 jerr;
	char		*cause = NULL;
	const char	*version;

	version = json_string_value(json_object_get(rp->dec,
	    "ruleset_version"));
	if (errmsg != NULL)
		xasprintf(&rp->old_why, "could not read the rules document: %s",
		    errmsg);
	else if (PQntuples(res) == 0)
		xasprintf(&rp->old_why, "rules document %s is not kept "
		    "(ruleset_documents)", version);
	else if ((doc = json_loads(PQgetvalue(res, 0, 0), 0, &jerr)) == NULL)
		xasprintf(&rp->old_why, "rules document %s: %s", version,
		    jerr.text);
	else {
		rp->old = ruleset_from_json(doc, version, &cause);
		json_decref(doc);
		if (rp->old == NULL) {
			xasprintf(&rp->old_why, "rules document %s does not "
			    "compile: %s", version, cause);
			free(cause);
		}
	}
	decisions_replay_finish(rp);
}

/* The decision arrived: find the rules of its day. */
static void
decisions_replay_cb(void *arg, PGresult *res, const char *errmsg)
{
	struct replay	*rp = arg;
	const char	*kind, *version, *params[1];

	if (errmsg != NULL || PQntuples(res) == 0) {
		if (errmsg != NULL)
			request_reply_errorf(rp->r, 503, "database_unavailable",
			    NULL, "could not read the decision log: %s",
			    errmsg);
		else
			request_reply_errorf(rp->r, 404, "unknown_decision",
			    "id", "no such decision in the log");
		request_release(rp->r);
		free(rp);
		return;
	}
	rp->dec = decisions_row_json(res);
	kind = json_string_value(json_object_get(rp->dec, "kind"));
	if (kind == NULL || (strcmp(kind, "chip") != 0 &&
	    strcmp(kind, "weights") != 0)) {
		request_reply_errorf(rp->r, 422, "not_replayable", "kind",
		    "only chip and weights checks can be replayed, not \"%s\"",
		    kind != NULL ? kind : "");
		json_decref(rp->dec);
		request_release(rp->r);
		free(rp);
		return;
	}
	version = json_string_value(json_object_get(rp->dec,
	    "ruleset_version"));
	if (version != NULL && strcmp(version, rules_version()) == 0) {
		rp->old = rules_current();
		decisions_replay_finish(rp);
		return;
	}
	params[0] = version != NULL ? version : "";
	if (db_query("SELECT document::text FROM ruleset_documents "
	    "WHERE version = $1", 1, params, decisions_doc_cb, rp) != 0) {
		rp->old_why = xstrdup("the database is not connected");
		decisions_replay_finish(rp);
	}
}

/* POST /v1/decisions/{id}/replay */
void
route_decisions_replay(struct request *r)
{
	struct replay	*rp;
	const char	*params[1];
	char		*id, *slash;

	if ((id = decisions_id(r, "/replay")) == NULL) {
		request_reply_errorf(r, 404, "not_found", NULL,
		    "no such resource: use POST /v1/decisions/{id}/replay");
		return;
	}
	if ((slash = strchr(id, '/')) != NULL)
		*slash = '\0';
	rp = xcalloc(1, sizeof *rp);
	rp->r = r;
	params[0] = id;
	request_hold(r);
	if (db_query(DECISION_SQL, 1, params, decisions_replay_cb, rp) != 0) {
		request_reply_errorf(r, 503, "database_unavailable", NULL,
		    "the database is not connected");
		request_release(r);
		free(rp);
	}
}

/* GET /v1/reports: each report, what it answers, its parameters. */
void
route_decisions_reports(struct request *r)
{
	struct report_def	*def;
	struct dirent		*de;
	DIR			*d;
	json_t			*a, *ps;
	char			 name[256], *cause = NULL;
	size_t			 len;
	bool			 missing;
	int			 i;

	if ((d = opendir(report_queries_dir())) == NULL) {
		request_reply_errorf(r, 500, "no_reports", NULL,
		    "could not open the queries directory \"%s\"",
		    report_queries_dir());
		return;
	}
	a = json_array();
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len < 5 || len >= sizeof name ||
		    strcmp(de->d_name + len - 4, ".sql") != 0)
			continue;
		snprintf(name, sizeof name, "%.*s", (int)(len - 4), de->d_name);
		if ((def = report_load(name, &missing, &cause)) == NULL) {
			free(cause);
			cause = NULL;
			continue;
		}
		ps = json_array();
		for (i = 0; i < def->nparams; i++)
			json_array_append_new(ps, json_pack("{s:s, s:s, s:o}",
			    "name", def->params[i].name, "type",
			    def->params[i].type, "default", def->params[i].dflt ?
			    json_string(def->params[i].dflt) : json_null()));
		json_array_append_new(a, json_pack("{s:s, s:s, s:o}", "name",
		    name, "about", def->about, "params", ps));
		report_free(def);
	}
	closedir(d);
	request_reply_json(r, 200, json_pack("{s:o}", "reports", a));
}

struct report_req {
	struct request	*r;
	char		*name;
	json_t		*params;
};

static void
decisions_report_done(void *arg, int status, json_t *body)
{
	struct report_req	*rr = arg;

	if (status == 200) {
		json_object_set_new(body, "report", json_string(rr->name));
		json_object_set(body, "params", rr->params);
	}
	request_reply_json(rr->r, status, body);
	request_release(rr->r);
	json_decref(rr->params);
	free(rr->name);
	free(rr);
}

/* GET /v1/reports/{name}?param=value... */
void
route_decisions_report(struct request *r)
{
	struct report_def	*def;
	struct report_req	*rr;
	const char		*name = request_arg(r), *v;
	const char		*vals[nitems(def->params)];
	char			*cause = NULL;
	bool			 missing;
	json_t			*ps;
	int			 i;

	if (name == NULL || (def = report_load(name, &missing,
	    &cause)) == NULL) {
		request_reply_errorf(r, missing ? 404 : 500, missing ?
		    "unknown_report" : "report_unreadable", "name", "%s",
		    cause != NULL ? cause : "no report name");
		free(cause);
		return;
	}
	ps = json_object();
	for (i = 0; i < def->nparams; i++) {
		v = request_query(r, def->params[i].name);
		if (v == NULL)
			v = def->params[i].dflt;
		if (!report_param_ok(&def->params[i], v)) {
			request_reply_errorf(r, 400, "invalid_parameter",
			    def->params[i].name, "parameter \"%s\" must be a "
			    "%s, not \"%s\"", def->params[i].name,
			    def->params[i].type, v);
			json_decref(ps);
			report_free(def);
			return;
		}
		vals[i] = v;
		json_object_set_new(ps, def->params[i].name, v != NULL ?
		    json_string(v) : json_null());
	}
	report_init(ev_base, config_read_database_url(&cfg));
	rr = xcalloc(1, sizeof *rr);
	rr->r = r;
	rr->name = xstrdup(name);
	rr->params = ps;
	request_hold(r);
	report_submit(def->sql, def->nparams, vals, decisions_report_done, rr);
	report_free(def);
}
