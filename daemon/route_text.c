/*
 * route_text.c: the regulator's own text, as imported (schema/040_regtext.sql).
 *
 *	GET /v1/text?cite=15 CFR 774 Supp. 1, 3A090.a.1&as_of=D
 *		the cited paragraph as stored for the latest eCFR date <= D,
 *		its ancestors' headings and its sub-paragraphs and notes; a
 *		decorated citation ("... 3A090.b.2 and Note 2 (88 FR 73458)")
 *		is split (core/cite.c) and each part looked up; parts not in
 *		the imported text are listed under not_in_text with why.
 *		404 unknown_cite when no part resolves.
 *	GET /v1/eccn/{code}?as_of=D
 *		what the in-memory ruleset says about the ECCN (as
 *		ruleset_eccn_json()) plus "text": heading, reasons for control,
 *		licence requirement rows, list-based exceptions and paragraphs
 *		of the CCL entry as of D (null when none is imported).
 *
 * Both are lookups through db_query(), never on the check path. The
 * request is held until the query's callback answers.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eard.h"

#define TEXT_MAX_CITE	512
#define TEXT_MAX_PARTS	16

/* The text of each part: the paragraph, ancestors, sub-paragraphs. */
static const char text_sql[] =
    "WITH v AS (SELECT s.scope, ecfr_scope_date(s.scope, $2::date) AS d"
    "  FROM (SELECT DISTINCT scope FROM ecfr_versions) s),"
    " c AS (SELECT * FROM unnest($1::text[], $3::text[], $4::text[])"
    "  WITH ORDINALITY AS c(cite, eccn, label, ord))"
    " SELECT c.ord, h.doc, f.doc,"
    "  (SELECT max(x.ecfr_date)::text FROM ecfr_versions x"
    "   WHERE x.ecfr_date <= $2::date"
    "   AND (x.scope = substring(c.cite from '^15 CFR (\\d+)')"
    "    OR x.scope LIKE substring(c.cite from '^15 CFR (\\d+)') || ' %'))"
    " FROM c"
    " LEFT JOIN LATERAL ("
    "  SELECT json_build_object('cite', h.cite, 'scope', h.scope,"
    "   'ecfr_date', h.ecfr_date, 'type', h.kind, 'eccn', h.eccn,"
    "   'label', h.label, 'heading', h.heading, 'body', h.body,"
    "   'line', h.line,"
    "   'ancestors', (WITH RECURSIVE a AS ("
    "     SELECT p.cite, p.parent, p.label, p.heading, p.ord, 1 AS lvl"
    "     FROM ecfr_text p WHERE p.scope = h.scope"
    "     AND p.ecfr_date = h.ecfr_date AND p.cite = h.parent"
    "    UNION ALL"
    "     SELECT p.cite, p.parent, p.label, p.heading, p.ord, a.lvl + 1"
    "     FROM ecfr_text p JOIN a ON p.scope = h.scope"
    "     AND p.ecfr_date = h.ecfr_date AND p.cite = a.parent"
    "     WHERE a.lvl < 16)"
    "    SELECT json_agg(json_build_object('cite', cite, 'label', label,"
    "     'heading', heading) ORDER BY ord) FROM a),"
    "   'subparagraphs', (WITH RECURSIVE e AS MATERIALIZED ("
    "     SELECT p.cite, p.parent, p.kind, p.label, p.heading, p.body,"
    "      p.ord FROM ecfr_text p WHERE h.eccn IS NOT NULL"
    "      AND p.eccn = h.eccn AND p.ecfr_date = h.ecfr_date"
    "      AND p.scope = h.scope"
    "    UNION ALL"
    "     SELECT p.cite, p.parent, p.kind, p.label, p.heading, p.body,"
    "      p.ord FROM ecfr_text p WHERE h.eccn IS NULL"
    "      AND p.scope = h.scope AND p.ecfr_date = h.ecfr_date),"
    "    d AS (SELECT e.*, 1 AS lvl FROM e WHERE e.parent = h.cite"
    "    UNION ALL"
    "     SELECT e.*, d.lvl + 1 FROM e JOIN d ON e.parent = d.cite"
    "     WHERE d.lvl < 16)"
    "    SELECT json_agg(json_build_object('cite', cite, 'type', kind,"
    "     'label', label, 'heading', heading, 'body', body) ORDER BY ord)"
    "    FROM (SELECT * FROM d ORDER BY ord LIMIT 400) d)) AS doc"
    "  FROM (SELECT t.*, 0 AS prio FROM ecfr_text t JOIN v"
    "    ON t.scope = v.scope AND t.ecfr_date = v.d WHERE t.cite = c.cite"
    "   UNION ALL"
    "   SELECT t.*, 1 FROM ecfr_text t JOIN v ON t.scope = v.scope"
    "    AND t.ecfr_date = v.d WHERE c.label <> '' AND t.eccn = c.eccn"
    "    AND t.label = c.label"
    "   ORDER BY prio, ord LIMIT 1) h) h ON true"
    " LEFT JOIN LATERAL (SELECT json_build_object('citation', f.citation,"
    "  'doc_number', f.doc_number, 'rin', f.rin, 'subject', f.subject,"
    "  'action', f.action, 'published', f.published,"
    "  'effective', f.effective) AS doc"
    "  FROM fr_documents f WHERE f.citation = c.cite) f ON true"
    " ORDER BY c.ord";

/* The CCL entry of an ECCN as of a date, as one JSON document. */
static const char eccn_sql[] =
    "WITH v AS (SELECT ecfr_scope_date('774 Supp. 1', $2::date) AS d)"
    " SELECT json_build_object('scope', e.scope, 'ecfr_date', e.ecfr_date,"
    "  'cite', e.cite, 'heading', e.heading, 'line', e.line,"
    "  'reasons_for_control', (SELECT t.body FROM ecfr_text t"
    "   WHERE t.scope = e.scope AND t.ecfr_date = e.ecfr_date"
    "   AND t.cite = e.cite || ' Reason for Control'),"
    "  'fields', (SELECT json_agg(json_build_object('label', t.label,"
    "   'body', t.body) ORDER BY t.ord) FROM ecfr_text t"
    "   WHERE t.scope = e.scope AND t.ecfr_date = e.ecfr_date"
    "   AND t.eccn = e.eccn AND t.kind = 'field'),"
    "  'license_requirements', (SELECT json_agg(json_build_object("
    "   'reason', c.reason, 'applies', c.applies, 'requirement',"
    "   c.requirement) ORDER BY c.ord) FROM ecfr_eccn_controls c"
    "   WHERE c.scope = e.scope AND c.ecfr_date = e.ecfr_date"
    "   AND c.eccn = e.eccn),"
    "  'license_exceptions', (SELECT json_agg(json_build_object("
    "   'code', x.code, 'text', x.text) ORDER BY x.ord)"
    "   FROM ecfr_eccn_exceptions x WHERE x.scope = e.scope"
    "   AND x.ecfr_date = e.ecfr_date AND x.eccn = e.eccn),"
    "  'paragraphs', (SELECT json_agg(json_build_object('cite', t.cite,"
    "   'path', t.path, 'type', t.kind, 'label', t.label, 'heading',"
    "   t.heading, 'body', t.body) ORDER BY t.ord) FROM ecfr_text t"
    "   WHERE t.scope = e.scope AND t.ecfr_date = e.ecfr_date"
    "   AND t.eccn = e.eccn AND t.kind IN ('paragraph', 'note')"
    "   AND ($3 = e.eccn OR t.path = $3 OR t.path LIKE $3 || '.%'"
    "    OR t.path LIKE $3 || ' %')))"
    " FROM v JOIN ecfr_text e ON e.scope = '774 Supp. 1'"
    "  AND e.ecfr_date = v.d AND e.kind = 'eccn' AND e.eccn = $1";

/* One GET /v1/text or /v1/eccn in flight. */
struct text_q {
	struct request		*r;
	char			 as_of[11];
	const char		*cite;		/* as asked */
	struct cite_part	 parts[TEXT_MAX_PARTS];
	size_t			 nparts;
	json_t			*rules;		/* /v1/eccn: the ruleset's answer */
	const char		*eccn;		/* /v1/eccn: as asked */
};

/* The as_of query parameter, default today; replies 400 when bad. */
static int
route_text_as_of(struct request *r, char out[11], ear_date *dp)
{
	const char	*s = request_query(r, "as_of");
	ear_date	 d;

	if (s == NULL)
		d = date_today();
	else if (date_parse(s, &d) != 0) {
		request_reply_errorf(r, 400, "invalid_field", "as_of",
		    "invalid date \"%s\"; expected YYYY-MM-DD", s);
		return -1;
	}
	date_format(d, out);
	if (dp != NULL)
		*dp = d;
	return 0;
}

/* A PostgreSQL text[] literal of n strings (caller frees). */
static char *
route_text_array(const char *const *v, size_t n)
{
	size_t		 i, len = 3;
	const char	*s;
	char		*out, *p;

	for (i = 0; i < n; i++)
		len += 2 * strlen(v[i]) + 3;
	p = out = xmalloc(len);
	*p++ = '{';
	for (i = 0; i < n; i++) {
		if (i > 0)
			*p++ = ',';
		*p++ = '"';
		for (s = v[i]; *s != '\0'; s++) {
			if (*s == '"' || *s == '\\')
				*p++ = '\\';
			*p++ = *s;
		}
		*p++ = '"';
	}
	*p++ = '}';
	*p = '\0';
	return out;
}

/* Why a part that did not resolve is not in the text. */
static json_t *
route_text_missing(const struct text_q *q, const struct cite_part *cp,
    const char *scope_date)
{
	char	 part[16] = "", *why;
	json_t	*o;

	if (cp->kind == CITE_CCL || cp->kind == CITE_CFR)
		sscanf(cp->cite, "15 CFR %15[0-9]", part);
	switch (cp->kind) {
	case CITE_CCL:
	case CITE_CFR:
		if (scope_date == NULL)
			xasprintf(&why, "no eCFR text of 15 CFR %s is imported "
			    "on or before %s", part, q->as_of);
		else
			xasprintf(&why, "not in the eCFR text of 15 CFR %s of "
			    "%s", part, scope_date);
		break;
	case CITE_FR:
		xasprintf(&why, "the Federal Register document is not "
		    "imported");
		break;
	default:
		xasprintf(&why, "not a citation of the regulation");
		break;
	}
	o = json_pack("{s:s, s:s, s:s}", "cite", cp->cite, "kind",
	    cite_kind_name(cp->kind), "reason", why);
	free(why);
	return o;
}

/* The GET /v1/text query answered. */
static void
route_text_done(void *arg, PGresult *res, const char *errmsg)
{
	struct text_q	*q = arg;
	struct request	*r = q->r;
	json_t		*parts, *missing, *doc, *body, *err;
	json_error_t	 jerr;
	const char	*sd;
	char		*msg;
	size_t		 i;
	long		 ord;
	int		 row;

	if (request_replied(r) || request_gone(r)) {
		request_release(r);
		return;
	}
	if (errmsg != NULL) {
		request_reply_errorf(r, 503, "text_unavailable", NULL,
		    "could not read the regulation text: %.*s",
		    (int)strcspn(errmsg, "\n"), errmsg);
		request_release(r);
		return;
	}
	parts = json_array();
	missing = json_array();
	for (row = 0; row < PQntuples(res); row++) {
		ord = strtol(PQgetvalue(res, row, 0), NULL, 10);
		if (ord < 1 || (size_t)ord > q->nparts)
			continue;
		i = (size_t)ord - 1;
		doc = NULL;
		if (!PQgetisnull(res, row, 1))
			doc = json_loads(PQgetvalue(res, row, 1), 0, &jerr);
		else if (!PQgetisnull(res, row, 2)) {
			doc = json_pack("{s:s, s:o}", "cite", q->parts[i].cite,
			    "document", json_loads(PQgetvalue(res, row, 2), 0,
			    &jerr));
		}
		if (doc != NULL) {
			json_object_set_new(doc, "kind",
			    json_string(cite_kind_name(q->parts[i].kind)));
			json_object_set_new(doc, "asked",
			    json_string(q->parts[i].cite));
			json_array_append_new(parts, doc);
			continue;
		}
		sd = PQgetisnull(res, row, 3) ? NULL : PQgetvalue(res, row, 3);
		json_array_append_new(missing, route_text_missing(q,
		    &q->parts[i], sd));
	}
	if (json_array_size(parts) == 0) {
		xasprintf(&msg, "citation \"%s\" is not in the imported "
		    "regulation text as of %s", q->cite, q->as_of);
		err = json_pack("{s:s, s:s, s:s}", "code", "unknown_cite",
		    "message", msg, "field", "cite");
		free(msg);
		request_reply_json(r, 404, json_pack("{s:o, s:o}", "error",
		    err, "not_in_text", missing));
		json_decref(parts);
		request_release(r);
		return;
	}
	body = json_pack("{s:s, s:s, s:b, s:o, s:o}", "cite", q->cite,
	    "as_of", q->as_of, "resolved", json_array_size(missing) == 0,
	    "parts", parts, "not_in_text", missing);
	request_reply_json(r, 200, body);
	request_release(r);
}

/* GET /v1/text?cite=...&as_of=D */
void
route_text_get(struct request *r)
{
	struct text_q	*q;
	const char	*cite = request_query(r, "cite");
	const char	*cites[TEXT_MAX_PARTS], *eccns[TEXT_MAX_PARTS];
	const char	*labels[TEXT_MAX_PARTS], *params[4];
	char		*a1, *a3, *a4;
	size_t		 i;
	int		 rc;

	if (cite == NULL || *cite == '\0') {
		request_reply_errorf(r, 400, "missing_field", "cite",
		    "cite is required, e.g. ?cite=15 CFR 774 Supp. 1, "
		    "3A090.a.1");
		return;
	}
	if (strlen(cite) > TEXT_MAX_CITE) {
		request_reply_errorf(r, 400, "invalid_field", "cite",
		    "cite is longer than %d bytes", TEXT_MAX_CITE);
		return;
	}
	q = request_alloc(r, sizeof *q);
	memset(q, 0, sizeof *q);
	q->r = r;
	q->cite = request_strdup(r, cite);
	if (route_text_as_of(r, q->as_of, NULL) != 0)
		return;
	q->nparts = cite_split(cite, q->parts, nitems(q->parts));
	for (i = 0; i < q->nparts; i++) {
		cites[i] = q->parts[i].cite;
		eccns[i] = q->parts[i].eccn;
		labels[i] = q->parts[i].label;
	}
	a1 = route_text_array(cites, q->nparts);
	a3 = route_text_array(eccns, q->nparts);
	a4 = route_text_array(labels, q->nparts);
	params[0] = a1;
	params[1] = q->as_of;
	params[2] = a3;
	params[3] = a4;
	request_hold(r);
	rc = db_query(text_sql, 4, params, route_text_done, q);
	free(a1);
	free(a3);
	free(a4);
	if (rc != 0) {
		request_release(r);
		request_reply_errorf(r, 503, "text_unavailable", NULL,
		    "could not read the regulation text: the database is not "
		    "reachable");
	}
}

/* Does the ruleset's ECCN answer name any rule? */
static bool
route_text_rules_empty(json_t *rules)
{
	static const char *const keys[] = { "classifications",
	    "requirements", "policies", "exceptions" };
	size_t	 i;

	for (i = 0; i < nitems(keys); i++) {
		if (json_array_size(json_object_get(rules, keys[i])) > 0)
			return false;
	}
	return true;
}

/* Reply the ruleset's answer with the text (stolen, may be NULL). */
static void
route_text_eccn_reply(struct text_q *q, json_t *text, const char *note)
{
	struct request	*r = q->r;
	json_t		*body = q->rules;

	q->rules = NULL;
	if (text == NULL && route_text_rules_empty(body)) {
		json_decref(body);
		request_reply_errorf(r, 404, "unknown_eccn", "eccn",
		    "no loaded rule and no imported eCFR text names ECCN "
		    "\"%s\" as of %s", q->eccn, q->as_of);
		return;
	}
	json_object_set_new(body, "text", text != NULL ? text : json_null());
	if (note != NULL)
		json_object_set_new(body, "text_note", json_string(note));
	request_reply_json(r, 200, body);
}

/* The GET /v1/eccn/{code} text query answered. */
static void
route_text_eccn_done(void *arg, PGresult *res, const char *errmsg)
{
	struct text_q	*q = arg;
	struct request	*r = q->r;
	json_error_t	 jerr;
	json_t		*text = NULL;
	char		*note = NULL;

	if (request_replied(r) || request_gone(r)) {
		json_decref(q->rules);
		request_release(r);
		return;
	}
	if (errmsg != NULL)
		xasprintf(&note, "the eCFR text could not be read: %.*s",
		    (int)strcspn(errmsg, "\n"), errmsg);
	else if (PQntuples(res) == 0 || PQgetisnull(res, 0, 0))
		xasprintf(&note, "no Commerce Control List text of %s is "
		    "imported on or before %s", q->eccn, q->as_of);
	else
		text = json_loads(PQgetvalue(res, 0, 0), 0, &jerr);
	route_text_eccn_reply(q, text, note);
	free(note);
	request_release(r);
}

/* GET /v1/eccn/{code}: the ruleset's rules and the CCL text of an ECCN. */
void
route_text_eccn(struct request *r)
{
	struct ruleset	*rs;
	struct text_q	*q;
	const char	*arg = request_arg(r), *params[3];
	char		 base[16], *norm;
	ear_date	 d;
	size_t		 i;

	if (strlen(arg) > 32) {
		request_reply_errorf(r, 400, "invalid_field", "eccn",
		    "ECCN \"%.32s...\" is too long", arg);
		return;
	}
	for (i = 0; arg[i] != '\0'; i++) {
		if (!isalnum((unsigned char)arg[i]) && arg[i] != '.') {
			request_reply_errorf(r, 400, "invalid_field", "eccn",
			    "invalid ECCN \"%s\"; expected e.g. 3A090 or "
			    "3A090.a", arg);
			return;
		}
	}
	q = request_alloc(r, sizeof *q);
	memset(q, 0, sizeof *q);
	q->r = r;
	q->eccn = arg;
	if (route_text_as_of(r, q->as_of, &d) != 0)
		return;
	if ((rs = rules_current()) == NULL) {
		request_reply_errorf(r, 503, "rules_not_loaded", NULL,
		    "the rules are not loaded yet");
		return;
	}
	q->rules = ruleset_eccn_json(rs, arg, d);
	ruleset_unref(rs);
	if (q->rules == NULL)
		q->rules = json_object();
	/* The entry is the ECCN proper: "3a090.a" -> "3A090". */
	for (i = 0; i < sizeof base - 1 && arg[i] != '\0' && arg[i] != '.';
	    i++)
		base[i] = (char)toupper((unsigned char)arg[i]);
	base[i] = '\0';
	norm = request_alloc(r, strlen(arg) + 1);
	memcpy(norm, base, i);
	memcpy(norm + i, arg + i, strlen(arg + i) + 1);
	params[0] = base;
	params[1] = q->as_of;
	params[2] = norm;
	request_hold(r);
	if (db_query(eccn_sql, 3, params, route_text_eccn_done, q) != 0) {
		request_release(r);
		route_text_eccn_reply(q, NULL, "the eCFR text could not be "
		    "read: the database is not reachable");
	}
}
