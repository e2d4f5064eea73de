/*
 * rulepack.c: rulepacks (rules/NN-*.xml) checked against rules/rulepack.rng
 * and the semantic rules the schema cannot say, then loaded into the rule
 * tables of schema/010_rules.sql in one transaction.
 *
 * XML is parsed without network access, without loading or substituting
 * anything from a DTD (a document type declaration is refused outright) and
 * within a size limit. Errors name "file:line: <element id=...>: what".
 *
 * Loading keeps each pack's text in `rulepacks`; when a given pack is new or
 * changed, every rule table is rebuilt from all stored packs in file-name
 * order (rules/NN-*.xml sort by date), so an `<end>` always meets the
 * versions the packs before it opened.
 */

#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <libxml/tree.h>
#include <openssl/evp.h>

#include "ear.h"
#include "importers.h"

#define RULEPACK_MAX_SIZE	(8 * 1024 * 1024)

/* One pack read from a file or from the rulepacks table. */
struct rulepack {
	char		*path;		/* for messages: the name as given */
	char		*content;
	size_t		 len;
	char		 sha256[65];
	xmlDocPtr	 doc;
	char		*id;
};

/* The state of one walk over a pack: checks only, or checks and inserts. */
struct rulepack_walk {
	const char	*path;
	PGconn		*conn;		/* NULL: validate only */
	char		*source_id;
	char		*citation;
	char		*effective;
	char		*compliance;
	size_t		 rows;
	char		**tmp;		/* strings freed after each element */
	size_t		 ntmp;
};

/* First error reported by libxml2 while validating. */
struct rulepack_xmlerr {
	char		*msg;
	long		 line;
	xmlNodePtr	 node;
};

static const char *rulepack_tables[] = {
	"classification_rules", "licence_requirements", "review_policies",
	"licence_exceptions", "rule_params"
};

/* Describe an element for a message: <requirement id="x">. */
static char *
rulepack_describe(xmlNodePtr n)
{
	static const char	*keys[] = { "id", "name", "target", "group",
				    "country", "fact", "prefix", "code" };
	char			*s, *t;
	xmlChar			*v;
	size_t			 i;

	if (n == NULL || n->type != XML_ELEMENT_NODE)
		return (xstrdup("<document>"));
	xasprintf(&s, "<%s", (const char *)n->name);
	for (i = 0; i < nitems(keys); i++) {
		v = xmlGetProp(n, (const xmlChar *)keys[i]);
		if (v == NULL)
			continue;
		xasprintf(&t, "%s %s=\"%s\"", s, keys[i], (const char *)v);
		xmlFree(v);
		free(s);
		s = t;
	}
	xasprintf(&t, "%s>", s);
	free(s);
	return (t);
}

/* Set *cause to "path:line: <element>: message". */
static void PRINTFLIKE(4, 5)
rulepack_error(char **cause, const char *path, xmlNodePtr n,
    const char *fmt, ...)
{
	va_list	 ap;
	char	*msg, *what;
	long	 line;

	if (cause == NULL)
		return;
	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	what = rulepack_describe(n);
	line = (n != NULL) ? xmlGetLineNo(n) : 0;
	free(*cause);
	if (path != NULL)
		xasprintf(cause, "%s:%ld: %s: %s", path, line, what, msg);
	else
		xasprintf(cause, "line %ld: %s: %s", line, what, msg);
	free(what);
	free(msg);
}

/*
 * Set *cause to "path:line: <rule element>: message", the line being that
 * of the culprit inside the rule (a predicate, an expression).
 */
static void PRINTFLIKE(5, 6)
rulepack_error_in(char **cause, const char *path, xmlNodePtr rule,
    xmlNodePtr at, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg, *what;
	long	 line;

	if (cause == NULL)
		return;
	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	what = rulepack_describe(rule != NULL ? rule : at);
	line = xmlGetLineNo(at != NULL ? at : rule);
	free(*cause);
	if (path != NULL)
		xasprintf(cause, "%s:%ld: %s: %s", path, line, what, msg);
	else
		xasprintf(cause, "line %ld: %s: %s", line, what, msg);
	free(what);
	free(msg);
}

/* Is this a fact docs/ruleset.md names? Asks core's compiler. */
static int
rulepack_fact_ok(const char *fact, char **err)
{
	struct pred	*pr;
	json_t		*j;

	j = json_pack("[ss]", "known", fact);
	pr = pred_compile(j, err);
	json_decref(j);
	if (pr == NULL)
		return (0);
	pred_free(pr);
	return (1);
}

/* Keep a string until the current element is done. */
static char *
rulepack_keep(struct rulepack_walk *w, char *s)
{
	if (s == NULL)
		return (NULL);
	w->tmp = xreallocarray(w->tmp, w->ntmp + 1, sizeof *w->tmp);
	w->tmp[w->ntmp++] = s;
	return (s);
}

/* Free the strings kept for the current element. */
static void
rulepack_release(struct rulepack_walk *w)
{
	size_t	i;

	for (i = 0; i < w->ntmp; i++)
		free(w->tmp[i]);
	free(w->tmp);
	w->tmp = NULL;
	w->ntmp = 0;
}

/* An attribute as a C string owned by the walk, or NULL. */
static const char *
rulepack_attr(struct rulepack_walk *w, xmlNodePtr n, const char *name)
{
	xmlChar	*v;
	char	*s;

	v = xmlGetProp(n, (const xmlChar *)name);
	if (v == NULL)
		return (NULL);
	s = xstrdup((const char *)v);
	xmlFree(v);
	return (rulepack_keep(w, s));
}

/* Text with every run of white space folded to one space, trimmed. */
static char *
rulepack_fold(const char *in)
{
	char	*out, *o;
	int	 space = 0;

	out = o = xmalloc(strlen(in) + 1);
	for (; *in != '\0'; in++) {
		if (*in == ' ' || *in == '\t' || *in == '\n' || *in == '\r') {
			space = (o != out);
			continue;
		}
		if (space)
			*o++ = ' ';
		space = 0;
		*o++ = *in;
	}
	*o = '\0';
	return (out);
}

/* The element children of n, one after another. */
static xmlNodePtr
rulepack_next(xmlNodePtr n)
{
	while (n != NULL && n->type != XML_ELEMENT_NODE)
		n = n->next;
	return (n);
}

/* Is element n named name? */
static int
rulepack_is(xmlNodePtr n, const char *name)
{
	return (strcmp((const char *)n->name, name) == 0);
}

/* The folded text of the first child element named name, or NULL. */
static const char *
rulepack_child_text(struct rulepack_walk *w, xmlNodePtr n, const char *name)
{
	xmlNodePtr	 c;
	xmlChar		*v;
	char		*s;

	for (c = rulepack_next(n->children); c != NULL;
	    c = rulepack_next(c->next)) {
		if (!rulepack_is(c, name))
			continue;
		v = xmlNodeGetContent(c);
		s = rulepack_fold(v != NULL ? (const char *)v : "");
		xmlFree(v);
		return (rulepack_keep(w, s));
	}
	return (NULL);
}

/* Every child element named name as a JSON array of folded strings. */
static json_t *
rulepack_child_texts(xmlNodePtr n, const char *name)
{
	xmlNodePtr	 c;
	xmlChar		*v;
	json_t		*a;
	char		*s;

	a = json_array();
	for (c = rulepack_next(n->children); c != NULL;
	    c = rulepack_next(c->next)) {
		if (!rulepack_is(c, name))
			continue;
		v = xmlNodeGetContent(c);
		s = rulepack_fold(v != NULL ? (const char *)v : "");
		xmlFree(v);
		json_array_append_new(a, json_string(s));
		free(s);
	}
	return (a);
}

/* A literal from an attribute: number, boolean, else string. */
static json_t *
rulepack_literal(const char *s)
{
	char	*end;
	double	 d;

	if (strcmp(s, "true") == 0)
		return (json_true());
	if (strcmp(s, "false") == 0)
		return (json_false());
	errno = 0;
	d = strtod(s, &end);
	if (*s != '\0' && *end == '\0' && errno == 0)
		return (json_real(d));
	return (json_string(s));
}

/* An expression element (<max>, <mul>, <fact>, <num>, ...) to JSON. */
static json_t *
rulepack_expr(const char *path, xmlNodePtr ctx, xmlNodePtr n, char **cause)
{
	xmlNodePtr	 c;
	xmlChar		*v;
	json_t		*j, *e;
	char		*end, *err = NULL;
	double		 d;

	if (rulepack_is(n, "fact")) {
		v = xmlGetProp(n, (const xmlChar *)"name");
		if (v == NULL) {
			rulepack_error_in(cause, path, ctx, n, "missing name");
			return (NULL);
		}
		if (!rulepack_fact_ok((const char *)v, &err)) {
			rulepack_error_in(cause, path, ctx, n, "%s", err);
			free(err);
			xmlFree(v);
			return (NULL);
		}
		j = json_pack("{s:s}", "fact", (const char *)v);
		xmlFree(v);
		return (j);
	}
	if (rulepack_is(n, "num")) {
		v = xmlGetProp(n, (const xmlChar *)"value");
		if (v == NULL) {
			rulepack_error_in(cause, path, ctx, n, "missing value");
			return (NULL);
		}
		errno = 0;
		d = strtod((const char *)v, &end);
		if (*v == '\0' || *end != '\0' || errno != 0) {
			rulepack_error_in(cause, path, ctx, n, "invalid number \"%s\"",
			    (const char *)v);
			xmlFree(v);
			return (NULL);
		}
		xmlFree(v);
		return (json_real(d));
	}
	if (!rulepack_is(n, "max") && !rulepack_is(n, "min") &&
	    !rulepack_is(n, "add") && !rulepack_is(n, "mul")) {
		rulepack_error_in(cause, path, ctx, n, "not an expression");
		return (NULL);
	}
	j = json_array();
	json_array_append_new(j, json_string((const char *)n->name));
	for (c = rulepack_next(n->children); c != NULL;
	    c = rulepack_next(c->next)) {
		if ((e = rulepack_expr(path, ctx, c, cause)) == NULL) {
			json_decref(j);
			return (NULL);
		}
		json_array_append_new(j, e);
	}
	if (json_array_size(j) < 2) {
		rulepack_error_in(cause, path, ctx, n, "expression has no operands");
		json_decref(j);
		return (NULL);
	}
	return (j);
}

/* A predicate element to its JSON array (docs/ruleset.md, "Predicates"). */
static json_t *
rulepack_pred(const char *path, xmlNodePtr ctx, xmlNodePtr n, char **cause)
{
	static const char	*cmp[] = { "ge", "gt", "le", "lt", "eq", "ne" };
	xmlNodePtr		 c;
	xmlChar			*fact, *v;
	json_t			*j, *e, *vals;
	char			*s, *tok, *save;
	size_t			 i;

	if (rulepack_is(n, "all") || rulepack_is(n, "any") ||
	    rulepack_is(n, "not")) {
		j = json_array();
		json_array_append_new(j, json_string((const char *)n->name));
		for (c = rulepack_next(n->children); c != NULL;
		    c = rulepack_next(c->next)) {
			if ((e = rulepack_pred(path, ctx, c, cause)) == NULL) {
				json_decref(j);
				return (NULL);
			}
			json_array_append_new(j, e);
		}
		if (json_array_size(j) < 2 || (rulepack_is(n, "not") &&
		    json_array_size(j) != 2)) {
			rulepack_error_in(cause, path, ctx, n, "wrong number of operands");
			json_decref(j);
			return (NULL);
		}
		return (j);
	}
	if (rulepack_is(n, "true") || rulepack_is(n, "false"))
		return (json_pack("[s]", (const char *)n->name));
	if (rulepack_is(n, "eccn")) {
		v = xmlGetProp(n, (const xmlChar *)"prefix");
		if (v == NULL) {
			rulepack_error_in(cause, path, ctx, n, "missing prefix");
			return (NULL);
		}
		j = json_pack("[ss]", "eccn", (const char *)v);
		xmlFree(v);
		return (j);
	}

	fact = xmlGetProp(n, (const xmlChar *)"fact");
	if (fact == NULL) {
		rulepack_error_in(cause, path, ctx, n, "missing fact");
		return (NULL);
	}
	if (!rulepack_fact_ok((const char *)fact, &s)) {
		rulepack_error_in(cause, path, ctx, n, "%s", s);
		free(s);
		xmlFree(fact);
		return (NULL);
	}
	j = NULL;
	if (rulepack_is(n, "known"))
		j = json_pack("[ss]", "known", (const char *)fact);
	else if (rulepack_is(n, "in-group")) {
		v = xmlGetProp(n, (const xmlChar *)"group");
		if (v == NULL)
			rulepack_error_in(cause, path, ctx, n, "missing group");
		else
			j = json_pack("[sss]", "in_group", (const char *)fact,
			    (const char *)v);
		xmlFree(v);
	} else if (rulepack_is(n, "in")) {
		vals = json_array();
		v = xmlGetProp(n, (const xmlChar *)"values");
		if (v != NULL) {
			s = xstrdup((const char *)v);
			for (tok = strtok_r(s, " \t\r\n", &save); tok != NULL;
			    tok = strtok_r(NULL, " \t\r\n", &save))
				json_array_append_new(vals, json_string(tok));
			free(s);
			xmlFree(v);
		}
		for (c = rulepack_next(n->children); c != NULL;
		    c = rulepack_next(c->next)) {
			if (!rulepack_is(c, "value"))
				continue;
			v = xmlNodeGetContent(c);
			s = rulepack_fold(v != NULL ? (const char *)v : "");
			json_array_append_new(vals, json_string(s));
			free(s);
			xmlFree(v);
		}
		if (json_array_size(vals) == 0)
			rulepack_error_in(cause, path, ctx, n, "no values");
		else
			j = json_pack("[ssO]", "in", (const char *)fact, vals);
		json_decref(vals);
	} else {
		for (i = 0; i < nitems(cmp); i++) {
			if (rulepack_is(n, cmp[i]))
				break;
		}
		if (i == nitems(cmp)) {
			rulepack_error_in(cause, path, ctx, n, "unknown predicate");
			xmlFree(fact);
			return (NULL);
		}
		v = xmlGetProp(n, (const xmlChar *)"value");
		if (v != NULL) {
			e = rulepack_literal((const char *)v);
			xmlFree(v);
		} else if ((c = rulepack_next(n->children)) != NULL)
			e = rulepack_expr(path, ctx, c, cause);
		else {
			rulepack_error_in(cause, path, ctx, n, "missing value");
			e = NULL;
		}
		if (e != NULL)
			j = json_pack("[ssO]", cmp[i], (const char *)fact, e);
		json_decref(e);
	}
	xmlFree(fact);
	return (j);
}

/* See importers.h. */
json_t *
rulepack_convert_predicate(struct _xmlNode *n, char **cause)
{
	return (rulepack_pred(NULL, NULL, n, cause));
}

/* The <when> of a rule element as JSON text, checked by the core compiler. */
static const char *
rulepack_when(struct rulepack_walk *w, xmlNodePtr n, char **cause)
{
	xmlNodePtr	 c, p;
	json_t		*j;
	struct pred	*pr;
	char		*err = NULL, *text;

	for (c = rulepack_next(n->children); c != NULL;
	    c = rulepack_next(c->next)) {
		if (rulepack_is(c, "when"))
			break;
	}
	if (c == NULL || (p = rulepack_next(c->children)) == NULL) {
		rulepack_error(cause, w->path, n, "missing <when>");
		return (NULL);
	}
	if ((j = rulepack_pred(w->path, n, p, cause)) == NULL)
		return (NULL);
	if ((pr = pred_compile(j, &err)) == NULL) {
		rulepack_error_in(cause, w->path, n, p, "%s", err);
		free(err);
		json_decref(j);
		return (NULL);
	}
	pred_free(pr);
	text = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(17));
	json_decref(j);
	return (rulepack_keep(w, text));
}

/* Check a date attribute; NULL stays NULL ("open" is NULL too). */
static int
rulepack_date(struct rulepack_walk *w, xmlNodePtr n, const char *name,
    const char *v, ear_date *d, char **cause)
{
	if (v == NULL || strcmp(v, "open") == 0)
		return (0);
	if (date_parse(v, d) != 0) {
		rulepack_error(cause, w->path, n, "invalid date in %s: \"%s\"",
		    name, v);
		return (-1);
	}
	return (0);
}

/*
 * The validity of a rule element: from (default: the source's effective
 * date; "open" = unbounded) and to (default open), checked from < to.
 */
static int
rulepack_range(struct rulepack_walk *w, xmlNodePtr n, const char **from,
    const char **to, char **cause)
{
	ear_date	 f = EAR_DATE_NINF, t = EAR_DATE_INF;

	*from = rulepack_attr(w, n, "from");
	*to = rulepack_attr(w, n, "to");
	if (*from == NULL)
		*from = w->effective;
	if (rulepack_date(w, n, "from", *from, &f, cause) != 0 ||
	    rulepack_date(w, n, "to", *to, &t, cause) != 0)
		return (-1);
	if (strcmp(*from, "open") == 0)
		*from = NULL;
	if (f >= t) {
		rulepack_error(cause, w->path, n,
		    "empty validity: \"from\" must be before \"to\"");
		return (-1);
	}
	return (0);
}

/* A space-separated list attribute as JSON array text. */
static const char *
rulepack_list(struct rulepack_walk *w, const char *v)
{
	json_t	*a;
	char	*s, *tok, *save;

	if (v == NULL)
		return (NULL);
	a = json_array();
	s = xstrdup(v);
	for (tok = strtok_r(s, " \t\r\n", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t\r\n", &save))
		json_array_append_new(a, json_string(tok));
	free(s);
	s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return (rulepack_keep(w, s));
}

/* Run one statement for element n; errors name the element. */
static int
rulepack_exec(struct rulepack_walk *w, xmlNodePtr n, const char *sql,
    int nparams, const char *const *params, int *ntuples, char **cause)
{
	PGresult	*res;
	const char	*primary, *detail;
	int		 st;

	res = PQexecParams(w->conn, sql, nparams, NULL, params, NULL, NULL, 0);
	st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
		if (primary == NULL)
			primary = PQerrorMessage(w->conn);
		if (detail != NULL)
			rulepack_error(cause, w->path, n, "%s: %s", primary,
			    detail);
		else
			rulepack_error(cause, w->path, n, "%s", primary);
		PQclear(res);
		return (-1);
	}
	if (ntuples != NULL)
		*ntuples = (st == PGRES_TUPLES_OK) ? PQntuples(res) :
		    atoi(PQcmdTuples(res));
	PQclear(res);
	w->rows++;
	return (0);
}

/* <group-membership group= country=|countries= from= to=>. */
static int
rulepack_do_group(struct rulepack_walk *w, xmlNodePtr n, char **cause)
{
	const char	*from, *to, *grp, *one, *many, *cit, *unc, *p[7];
	char		*s, *tok, *save;
	int		 rc = 0;

	grp = rulepack_attr(w, n, "group");
	one = rulepack_attr(w, n, "country");
	many = rulepack_attr(w, n, "countries");
	cit = rulepack_attr(w, n, "citation");
	unc = rulepack_child_text(w, n, "uncertain");
	if (rulepack_range(w, n, &from, &to, cause) != 0)
		return (-1);
	if (grp == NULL || (one == NULL && many == NULL)) {
		rulepack_error(cause, w->path, n, "missing group or country");
		return (-1);
	}
	if (w->conn == NULL)
		return (0);
	s = xstrdup(one != NULL ? one : many);
	for (tok = strtok_r(s, " \t\r\n", &save); tok != NULL && rc == 0;
	    tok = strtok_r(NULL, " \t\r\n", &save)) {
		p[0] = grp; p[1] = tok; p[2] = from; p[3] = to;
		p[4] = w->source_id; p[5] = cit != NULL ? cit : w->citation;
		p[6] = unc;
		rc = rulepack_exec(w, n,
		    "INSERT INTO country_groups (grp, country, valid, source_id,"
		    " citation, uncertain) VALUES ($1, $2,"
		    " daterange($3::date, $4::date, '[)'), $5, $6, $7)",
		    7, p, NULL, cause);
	}
	free(s);
	return (rc);
}

/* <param name= value=>. */
static int
rulepack_do_param(struct rulepack_walk *w, xmlNodePtr n, char **cause)
{
	const char	*from, *to, *name, *value, *cit, *p[7];
	char		*end;
	double		 d;

	name = rulepack_attr(w, n, "name");
	value = rulepack_attr(w, n, "value");
	cit = rulepack_attr(w, n, "citation");
	if (rulepack_range(w, n, &from, &to, cause) != 0)
		return (-1);
	if (name == NULL || value == NULL) {
		rulepack_error(cause, w->path, n, "missing name or value");
		return (-1);
	}
	errno = 0;
	d = strtod(value, &end);
	if (*value == '\0' || *end != '\0' || errno != 0 || d != d) {
		rulepack_error(cause, w->path, n, "invalid number \"%s\"",
		    value);
		return (-1);
	}
	if (w->conn == NULL)
		return (0);
	p[0] = name; p[1] = value; p[2] = from; p[3] = to;
	p[4] = w->source_id; p[5] = cit != NULL ? cit : w->citation;
	p[6] = rulepack_child_text(w, n, "uncertain");
	return (rulepack_exec(w, n,
	    "INSERT INTO rule_params (rule_id, value, valid, source_id,"
	    " citation, uncertain) VALUES ($1, $2::float8,"
	    " daterange($3::date, $4::date, '[)'), $5, $6, $7)",
	    7, p, NULL, cause));
}

/* <classification id= eccn= item= precedence=> with <when> and <text>. */
static int
rulepack_do_classification(struct rulepack_walk *w, xmlNodePtr n,
    char **cause)
{
	const char	*from, *to, *when, *cit, *p[11];

	if (rulepack_range(w, n, &from, &to, cause) != 0)
		return (-1);
	if ((when = rulepack_when(w, n, cause)) == NULL)
		return (-1);
	if (w->conn == NULL)
		return (0);
	cit = rulepack_attr(w, n, "citation");
	p[0] = rulepack_attr(w, n, "id");
	p[1] = rulepack_attr(w, n, "eccn");
	p[2] = rulepack_attr(w, n, "item");
	p[3] = rulepack_attr(w, n, "precedence");
	p[4] = when; p[5] = from; p[6] = to; p[7] = w->source_id;
	p[8] = cit != NULL ? cit : w->citation;
	p[9] = rulepack_child_text(w, n, "text");
	p[10] = rulepack_child_text(w, n, "uncertain");
	return (rulepack_exec(w, n,
	    "INSERT INTO classification_rules (rule_id, version, eccn, item,"
	    " precedence, predicate, valid, source_id, citation, text,"
	    " uncertain) SELECT $1, COALESCE(max(version), 0) + 1, $2, $3,"
	    " $4::int, $5::jsonb, daterange($6::date, $7::date, '[)'), $8,"
	    " $9, $10, $11 FROM classification_rules WHERE rule_id = $1",
	    11, p, NULL, cause));
}

/* The compliance date of a requirement or exception ("none": no date). */
static int
rulepack_compliance(struct rulepack_walk *w, xmlNodePtr n, const char **c,
    char **cause)
{
	ear_date	d;

	*c = rulepack_attr(w, n, "compliance");
	if (*c == NULL)
		*c = w->compliance;
	else if (strcmp(*c, "none") == 0)
		*c = NULL;
	return (rulepack_date(w, n, "compliance", *c, &d, cause));
}

/* <requirement id= kind= reason= item= eccns= effect= ...> with <when>. */
static int
rulepack_do_requirement(struct rulepack_walk *w, xmlNodePtr n, char **cause)
{
	const char	*from, *to, *when, *cit, *kind, *effect, *exc, *comp;
	const char	*p[17];

	kind = rulepack_attr(w, n, "kind");
	effect = rulepack_attr(w, n, "effect");
	exc = rulepack_attr(w, n, "exceptions");
	if (kind == NULL) {
		rulepack_error(cause, w->path, n, "missing kind");
		return (-1);
	}
	if (effect == NULL)
		effect = strcmp(kind, "review") == 0 ? "needs_review" :
		    "license";
	if ((strcmp(kind, "review") == 0) !=
	    (strcmp(effect, "needs_review") == 0)) {
		rulepack_error(cause, w->path, n, "a requirement of kind "
		    "\"review\" has effect \"needs_review\", and only it");
		return (-1);
	}
	if (strcmp(kind, "review") == 0 &&
	    rulepack_child_text(w, n, "note") == NULL) {
		rulepack_error(cause, w->path, n,
		    "a review requirement needs a <note> saying why");
		return (-1);
	}
	if (exc == NULL)
		exc = strcmp(kind, "ccl") == 0 ? "true" : "false";
	else if (strcmp(exc, "1") == 0)
		exc = "true";
	else if (strcmp(exc, "0") == 0)
		exc = "false";
	if (rulepack_range(w, n, &from, &to, cause) != 0 ||
	    rulepack_compliance(w, n, &comp, cause) != 0)
		return (-1);
	if ((when = rulepack_when(w, n, cause)) == NULL)
		return (-1);
	if (w->conn == NULL)
		return (0);
	cit = rulepack_attr(w, n, "citation");
	p[0] = rulepack_attr(w, n, "id");
	p[1] = kind;
	p[2] = rulepack_attr(w, n, "reason");
	p[3] = rulepack_attr(w, n, "item");
	p[4] = rulepack_list(w, rulepack_attr(w, n, "eccns"));
	p[5] = when; p[6] = effect; p[7] = exc;
	p[8] = rulepack_attr(w, n, "review-policy");
	p[9] = comp; p[10] = from; p[11] = to; p[12] = w->source_id;
	p[13] = cit != NULL ? cit : w->citation;
	p[14] = rulepack_child_text(w, n, "text");
	p[15] = rulepack_child_text(w, n, "note");
	p[16] = rulepack_child_text(w, n, "uncertain");
	return (rulepack_exec(w, n,
	    "INSERT INTO licence_requirements (rule_id, version, kind, reason,"
	    " item, eccns, predicate, effect, exceptions, review_policy,"
	    " compliance, valid, source_id, citation, text, note, uncertain)"
	    " SELECT $1, COALESCE(max(version), 0) + 1, $2, $3, $4,"
	    " CASE WHEN $5::json IS NULL THEN NULL"
	    " ELSE ARRAY(SELECT json_array_elements_text($5::json)) END,"
	    " $6::jsonb, $7, $8::boolean, $9, $10::date,"
	    " daterange($11::date, $12::date, '[)'), $13, $14, $15, $16, $17"
	    " FROM licence_requirements WHERE rule_id = $1",
	    17, p, NULL, cause));
}

/* <policy id= reason= eccns= priority= policy=> with <when>, <condition>. */
static int
rulepack_do_policy(struct rulepack_walk *w, xmlNodePtr n, char **cause)
{
	const char	*from, *to, *when, *cit, *p[12];
	json_t		*conds;
	char		*ctext;
	int		 rc;

	if (rulepack_range(w, n, &from, &to, cause) != 0)
		return (-1);
	if ((when = rulepack_when(w, n, cause)) == NULL)
		return (-1);
	if (w->conn == NULL)
		return (0);
	conds = rulepack_child_texts(n, "condition");
	ctext = json_dumps(conds, JSON_COMPACT);
	json_decref(conds);
	cit = rulepack_attr(w, n, "citation");
	p[0] = rulepack_attr(w, n, "id");
	p[1] = rulepack_attr(w, n, "reason");
	p[2] = rulepack_list(w, rulepack_attr(w, n, "eccns"));
	p[3] = rulepack_attr(w, n, "priority");
	p[4] = when;
	p[5] = rulepack_attr(w, n, "policy");
	p[6] = ctext; p[7] = from; p[8] = to; p[9] = w->source_id;
	p[10] = cit != NULL ? cit : w->citation;
	p[11] = rulepack_child_text(w, n, "uncertain");
	rc = rulepack_exec(w, n,
	    "INSERT INTO review_policies (rule_id, version, reason, eccns,"
	    " priority, predicate, policy, conditions, valid, source_id,"
	    " citation, uncertain) SELECT $1, COALESCE(max(version), 0) + 1,"
	    " $2, ARRAY(SELECT json_array_elements_text($3::json)), $4::int,"
	    " $5::jsonb, $6, ARRAY(SELECT json_array_elements_text($7::json)),"
	    " daterange($8::date, $9::date, '[)'), $10, $11, $12"
	    " FROM review_policies WHERE rule_id = $1",
	    12, p, NULL, cause);
	free(ctext);
	return (rc);
}

/* <exception id= code= eccns= notification=> with <when>, <condition>. */
static int
rulepack_do_exception(struct rulepack_walk *w, xmlNodePtr n, char **cause)
{
	const char	*from, *to, *when, *cit, *comp, *note, *p[13];
	json_t		*conds;
	char		*ctext;
	int		 rc;

	if (rulepack_range(w, n, &from, &to, cause) != 0 ||
	    rulepack_compliance(w, n, &comp, cause) != 0)
		return (-1);
	if ((when = rulepack_when(w, n, cause)) == NULL)
		return (-1);
	if (w->conn == NULL)
		return (0);
	note = rulepack_attr(w, n, "notification");
	if (note == NULL || strcmp(note, "0") == 0)
		note = note == NULL ? "false" : note;
	else if (strcmp(note, "1") == 0)
		note = "true";
	conds = rulepack_child_texts(n, "condition");
	ctext = json_dumps(conds, JSON_COMPACT);
	json_decref(conds);
	cit = rulepack_attr(w, n, "citation");
	p[0] = rulepack_attr(w, n, "id");
	p[1] = rulepack_attr(w, n, "code");
	p[2] = rulepack_list(w, rulepack_attr(w, n, "eccns"));
	p[3] = when; p[4] = note; p[5] = ctext; p[6] = comp;
	p[7] = from; p[8] = to; p[9] = w->source_id;
	p[10] = cit != NULL ? cit : w->citation;
	p[11] = rulepack_child_text(w, n, "uncertain");
	rc = rulepack_exec(w, n,
	    "INSERT INTO licence_exceptions (rule_id, version, code, eccns,"
	    " predicate, notification, conditions, compliance, valid,"
	    " source_id, citation, uncertain) SELECT $1,"
	    " COALESCE(max(version), 0) + 1, $2,"
	    " ARRAY(SELECT json_array_elements_text($3::json)), $4::jsonb,"
	    " $5::boolean, ARRAY(SELECT json_array_elements_text($6::json)),"
	    " $7::date, daterange($8::date, $9::date, '[)'), $10, $11, $12"
	    " FROM licence_exceptions WHERE rule_id = $1",
	    12, p, NULL, cause);
	free(ctext);
	return (rc);
}

/* <posture target= status= from= to=>. */
static int
rulepack_do_posture(struct rulepack_walk *w, xmlNodePtr n, char **cause)
{
	const char	*from, *to, *cit, *p[8];

	if (rulepack_range(w, n, &from, &to, cause) != 0)
		return (-1);
	if (w->conn == NULL)
		return (0);
	cit = rulepack_attr(w, n, "citation");
	p[0] = rulepack_attr(w, n, "target");
	p[1] = rulepack_attr(w, n, "status");
	p[2] = from; p[3] = to; p[4] = w->source_id;
	p[5] = cit != NULL ? cit : w->citation;
	p[6] = rulepack_child_text(w, n, "note");
	p[7] = rulepack_child_text(w, n, "uncertain");
	return (rulepack_exec(w, n,
	    "INSERT INTO enforcement_postures (rule_id, status, valid,"
	    " source_id, citation, note, uncertain) VALUES ($1, $2,"
	    " daterange($3::date, $4::date, '[)'), $5, $6, $7, $8)",
	    8, p, NULL, cause));
}

/* <end id= on=> or <end group= country= on=>: close an open version. */
static int
rulepack_do_end(struct rulepack_walk *w, xmlNodePtr n, char **cause)
{
	const char	*id, *grp, *cc, *on, *p[3];
	char		*sql;
	ear_date	 d;
	size_t		 i;
	int		 nt, total = 0;

	id = rulepack_attr(w, n, "id");
	grp = rulepack_attr(w, n, "group");
	cc = rulepack_attr(w, n, "country");
	on = rulepack_attr(w, n, "on");
	if (on == NULL || date_parse(on, &d) != 0) {
		rulepack_error(cause, w->path, n, "invalid or missing \"on\"");
		return (-1);
	}
	if (id == NULL && (grp == NULL || cc == NULL)) {
		rulepack_error(cause, w->path, n,
		    "needs id, or group and country");
		return (-1);
	}
	if (w->conn == NULL)
		return (0);
	if (id == NULL) {
		p[0] = grp; p[1] = cc; p[2] = on;
		if (rulepack_exec(w, n, "UPDATE country_groups SET valid ="
		    " daterange(lower(valid), $3::date, '[)') WHERE grp = $1"
		    " AND country = $2 AND upper_inf(valid) AND"
		    " (lower_inf(valid) OR lower(valid) < $3::date)",
		    3, p, &total, cause) != 0)
			return (-1);
	} else {
		p[0] = id; p[1] = on;
		for (i = 0; i < nitems(rulepack_tables); i++) {
			xasprintf(&sql, "UPDATE %s SET valid ="
			    " daterange(lower(valid), $2::date, '[)') WHERE"
			    " rule_id = $1 AND upper_inf(valid) AND"
			    " (lower_inf(valid) OR lower(valid) < $2::date)",
			    rulepack_tables[i]);
			if (rulepack_exec(w, n, sql, 2, p, &nt, cause) != 0) {
				free(sql);
				return (-1);
			}
			free(sql);
			total += nt;
		}
	}
	if (total == 0) {
		rulepack_error(cause, w->path, n, "no open version that starts "
		    "before %s: an earlier pack must open it", on);
		return (-1);
	}
	if (total > 1) {
		rulepack_error(cause, w->path, n,
		    "ambiguous: %d open versions", total);
		return (-1);
	}
	return (0);
}

/* Walk a parsed pack: check every element, and insert when connected. */
static int
rulepack_walk_doc(struct rulepack *rp, PGconn *conn, size_t *rows,
    char **cause)
{
	struct rulepack_walk	 w;
	xmlNodePtr		 root, src, n;
	const char		*published, *p[9];
	ear_date		 eff, d;
	int			 rc = 0;

	memset(&w, 0, sizeof w);
	w.path = rp->path;
	w.conn = conn;
	root = xmlDocGetRootElement(rp->doc);
	src = rulepack_next(root->children);
	if (src == NULL || !rulepack_is(src, "source")) {
		rulepack_error(cause, rp->path, root, "missing <source>");
		return (-1);
	}
	w.source_id = rp->id;
	w.citation = xstrdup(rulepack_attr(&w, src, "citation"));
	w.effective = xstrdup(rulepack_attr(&w, src, "effective"));
	w.compliance = rulepack_attr(&w, src, "compliance") != NULL ?
	    xstrdup(rulepack_attr(&w, src, "compliance")) : NULL;
	published = rulepack_attr(&w, src, "published");
	if (date_parse(w.effective, &eff) != 0 ||
	    (w.compliance != NULL && date_parse(w.compliance, &d) != 0) ||
	    (published != NULL && date_parse(published, &d) != 0)) {
		rulepack_error(cause, rp->path, src, "invalid date");
		rc = -1;
		goto out;
	}
	if (w.compliance != NULL && (date_parse(w.compliance, &d) != 0 ||
	    d < eff)) {
		rulepack_error(cause, rp->path, src,
		    "compliance date before the effective date");
		rc = -1;
		goto out;
	}
	if (conn != NULL) {
		p[0] = rp->id;
		p[1] = rulepack_attr(&w, root, "kind");
		p[2] = w.citation;
		p[3] = rulepack_attr(&w, src, "title");
		p[4] = rulepack_attr(&w, src, "url");
		p[5] = published;
		p[6] = w.effective;
		p[7] = w.compliance;
		p[8] = rulepack_child_text(&w, src, "uncertain");
		if (rulepack_exec(&w, src, "INSERT INTO rule_sources (id, kind,"
		    " citation, title, url, published, effective, compliance,"
		    " uncertain) VALUES ($1, $2, $3, $4, $5, $6::date,"
		    " $7::date, $8::date, $9)", 9, p, NULL, cause) != 0) {
			rc = -1;
			goto out;
		}
	}
	rulepack_release(&w);

	for (n = rulepack_next(src->next); n != NULL && rc == 0;
	    n = rulepack_next(n->next)) {
		if (rulepack_is(n, "group-membership"))
			rc = rulepack_do_group(&w, n, cause);
		else if (rulepack_is(n, "param"))
			rc = rulepack_do_param(&w, n, cause);
		else if (rulepack_is(n, "classification"))
			rc = rulepack_do_classification(&w, n, cause);
		else if (rulepack_is(n, "requirement"))
			rc = rulepack_do_requirement(&w, n, cause);
		else if (rulepack_is(n, "policy"))
			rc = rulepack_do_policy(&w, n, cause);
		else if (rulepack_is(n, "exception"))
			rc = rulepack_do_exception(&w, n, cause);
		else if (rulepack_is(n, "posture"))
			rc = rulepack_do_posture(&w, n, cause);
		else if (rulepack_is(n, "end"))
			rc = rulepack_do_end(&w, n, cause);
		else {
			rulepack_error(cause, rp->path, n, "unknown element");
			rc = -1;
		}
		rulepack_release(&w);
	}
out:
	rulepack_release(&w);
	if (rows != NULL)
		*rows += w.rows;
	free(w.citation);
	free(w.effective);
	free(w.compliance);
	return (rc);
}

/* Collect the first structured error libxml2 reports. */
static void
rulepack_xml_error(void *arg, xmlErrorPtr e)
{
	struct rulepack_xmlerr	*xe = arg;
	size_t			 len;

	if (xe->msg != NULL || e == NULL)
		return;
	xe->msg = xstrdup(e->message != NULL ? e->message : "invalid");
	len = strlen(xe->msg);
	while (len > 0 && (xe->msg[len - 1] == '\n' || xe->msg[len - 1] == ' '))
		xe->msg[--len] = '\0';
	xe->line = e->line;
	xe->node = e->node;
}

/* Compile the RELAX NG schema; NULL and *cause on error. */
static xmlRelaxNGPtr
rulepack_schema_load(const char *schema_path, char **cause)
{
	xmlRelaxNGParserCtxtPtr	 pc;
	xmlRelaxNGPtr		 rng;
	struct rulepack_xmlerr	 xe = { NULL, 0, NULL };

	xmlInitParser();
	if ((pc = xmlRelaxNGNewParserCtxt(schema_path)) == NULL) {
		xasprintf(cause, "could not read schema \"%s\"", schema_path);
		return (NULL);
	}
	xmlRelaxNGSetParserStructuredErrors(pc, rulepack_xml_error, &xe);
	rng = xmlRelaxNGParse(pc);
	xmlRelaxNGFreeParserCtxt(pc);
	if (rng == NULL) {
		xasprintf(cause, "%s: invalid schema: %s", schema_path,
		    xe.msg != NULL ? xe.msg : "could not parse");
	}
	free(xe.msg);
	return (rng);
}

/* Free a pack. */
static void
rulepack_free(struct rulepack *rp)
{
	if (rp == NULL)
		return;
	if (rp->doc != NULL)
		xmlFreeDoc(rp->doc);
	free(rp->path);
	free(rp->content);
	free(rp->id);
	free(rp);
}

/* Parse a pack's text, validate it against the schema, check semantics. */
static struct rulepack *
rulepack_parse(const char *path, char *content, size_t len,
    xmlRelaxNGPtr rng, char **cause)
{
	struct rulepack		*rp;
	struct rulepack_xmlerr	 xe = { NULL, 0, NULL };
	xmlParserCtxtPtr	 pc;
	xmlRelaxNGValidCtxtPtr	 vc;
	const xmlError		*e;
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen, i;
	xmlChar			*id;
	char			*what;
	int			 rc;

	rp = xcalloc(1, sizeof *rp);
	rp->path = xstrdup(path);
	rp->content = content;
	rp->len = len;
	if (len > RULEPACK_MAX_SIZE || len > (size_t)INT32_MAX) {
		xasprintf(cause, "%s: file too large (limit %d bytes)", path,
		    RULEPACK_MAX_SIZE);
		goto fail;
	}
	if (EVP_Digest(content, len, md, &mdlen, EVP_sha256(), NULL) != 1)
		fatalx("sha256 failed");
	for (i = 0; i < mdlen && i < 32; i++)
		snprintf(rp->sha256 + 2 * i, 3, "%02x", md[i]);

	if ((pc = xmlNewParserCtxt()) == NULL)
		fatalx("out of memory");
	/* No network, no DTD loading, no entity substitution (NOENT off). */
	rp->doc = xmlCtxtReadMemory(pc, content, (int)len, path, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (rp->doc == NULL) {
		e = xmlCtxtGetLastError(pc);
		if (e != NULL && e->message != NULL) {
			what = rulepack_fold(e->message);
			xasprintf(cause, "%s:%d: %s", path, e->line, what);
			free(what);
		} else
			xasprintf(cause, "%s: not well-formed XML", path);
		xmlFreeParserCtxt(pc);
		goto fail;
	}
	xmlFreeParserCtxt(pc);
	if (rp->doc->intSubset != NULL || rp->doc->extSubset != NULL) {
		xasprintf(cause, "%s:%ld: document type declarations are not "
		    "allowed in a rulepack", path, rp->doc->intSubset != NULL ?
		    xmlGetLineNo((xmlNodePtr)rp->doc->intSubset) : 1);
		goto fail;
	}

	if ((vc = xmlRelaxNGNewValidCtxt(rng)) == NULL)
		fatalx("out of memory");
	xmlRelaxNGSetValidStructuredErrors(vc, rulepack_xml_error, &xe);
	rc = xmlRelaxNGValidateDoc(vc, rp->doc);
	xmlRelaxNGFreeValidCtxt(vc);
	if (rc != 0) {
		if (xe.node != NULL && xe.node->type == XML_ELEMENT_NODE) {
			what = rulepack_describe(xe.node);
			xasprintf(cause, "%s:%ld: %s: %s", path,
			    xe.line > 0 ? xe.line : xmlGetLineNo(xe.node),
			    what, xe.msg != NULL ? xe.msg : "invalid");
			free(what);
		} else
			xasprintf(cause, "%s:%ld: %s", path, xe.line,
			    xe.msg != NULL ? xe.msg : "does not match the schema");
		free(xe.msg);
		goto fail;
	}
	free(xe.msg);

	id = xmlGetProp(xmlDocGetRootElement(rp->doc), (const xmlChar *)"id");
	rp->id = xstrdup(id != NULL ? (const char *)id : "");
	xmlFree(id);
	if (rulepack_walk_doc(rp, NULL, NULL, cause) != 0)
		goto fail;
	return (rp);

fail:
	rp->content = NULL;	/* the caller still owns it on failure */
	rulepack_free(rp);
	return (NULL);
}

/* Read a whole file. */
static char *
rulepack_read(const char *path, size_t *len, char **cause)
{
	struct stat	 sb;
	FILE		*f;
	char		*buf;

	if ((f = fopen(path, "rb")) == NULL) {
		xasprintf(cause, "could not open file \"%s\": %s", path,
		    strerror(errno));
		return (NULL);
	}
	if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
		xasprintf(cause, "\"%s\" is not a regular file", path);
		fclose(f);
		return (NULL);
	}
	if (sb.st_size > RULEPACK_MAX_SIZE) {
		xasprintf(cause, "%s: file too large (limit %d bytes)", path,
		    RULEPACK_MAX_SIZE);
		fclose(f);
		return (NULL);
	}
	buf = xmalloc((size_t)sb.st_size + 1);
	*len = fread(buf, 1, (size_t)sb.st_size, f);
	if (ferror(f)) {
		xasprintf(cause, "could not read file \"%s\": %s", path,
		    strerror(errno));
		fclose(f);
		free(buf);
		return (NULL);
	}
	buf[*len] = '\0';
	fclose(f);
	return (buf);
}

/* Read and check one file against an already compiled schema. */
static struct rulepack *
rulepack_load(const char *path, xmlRelaxNGPtr rng, char **cause)
{
	struct rulepack	*rp;
	char		*buf;
	size_t		 len;

	if ((buf = rulepack_read(path, &len, cause)) == NULL)
		return (NULL);
	if ((rp = rulepack_parse(path, buf, len, rng, cause)) == NULL)
		free(buf);
	return (rp);
}

/* See importers.h. */
int
rulepack_validate_file(const char *path, const char *schema_path,
    char **cause)
{
	xmlRelaxNGPtr	 rng;
	struct rulepack	*rp;

	if ((rng = rulepack_schema_load(schema_path, cause)) == NULL)
		return (-1);
	rp = rulepack_load(path, rng, cause);
	xmlRelaxNGFree(rng);
	if (rp == NULL)
		return (-1);
	rulepack_free(rp);
	return (0);
}

/* See importers.h. */
int
rulepack_validate_memory(const char *name, const char *buf, size_t len,
    const char *schema_path, char **cause)
{
	xmlRelaxNGPtr	 rng;
	struct rulepack	*rp;
	char		*content;

	if ((rng = rulepack_schema_load(schema_path, cause)) == NULL)
		return (-1);
	content = xmalloc(len + 1);
	memcpy(content, buf, len);
	content[len] = '\0';
	if ((rp = rulepack_parse(name, content, len, rng, cause)) == NULL)
		free(content);
	xmlRelaxNGFree(rng);
	if (rp == NULL)
		return (-1);
	rulepack_free(rp);
	return (0);
}

/* Run a statement that takes no element; *cause on error. */
static int
rulepack_sql(PGconn *conn, const char *sql, char **cause)
{
	PGresult	*res;
	int		 st;

	res = PQexec(conn, sql);
	st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		xasprintf(cause, "could not import rulepacks: %s",
		    PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) != NULL ?
		    PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) :
		    PQerrorMessage(conn));
		PQclear(res);
		return (-1);
	}
	PQclear(res);
	return (0);
}

/* Rebuild every rule table from the stored packs, in file-name order. */
static int
rulepack_rebuild(PGconn *conn, xmlRelaxNGPtr rng, size_t *rows, char **cause)
{
	PGresult	*res;
	struct rulepack	*rp;
	char		*content;
	int		 i, n;

	if (rulepack_sql(conn, "DELETE FROM enforcement_postures;"
	    " DELETE FROM licence_exceptions; DELETE FROM review_policies;"
	    " DELETE FROM licence_requirements;"
	    " DELETE FROM classification_rules; DELETE FROM rule_params;"
	    " DELETE FROM country_groups; DELETE FROM rule_sources", cause) != 0)
		return (-1);
	res = PQexec(conn, "SELECT id, name, content FROM rulepacks"
	    " ORDER BY regexp_replace(name, '^.*/', ''), id");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		xasprintf(cause, "could not read rulepacks: %s",
		    PQerrorMessage(conn));
		PQclear(res);
		return (-1);
	}
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		content = xstrdup(PQgetvalue(res, i, 2));
		rp = rulepack_parse(PQgetvalue(res, i, 1), content,
		    strlen(content), rng, cause);
		if (rp == NULL) {
			free(content);
			PQclear(res);
			return (-1);
		}
		if (rulepack_walk_doc(rp, conn, rows, cause) != 0) {
			rulepack_free(rp);
			PQclear(res);
			return (-1);
		}
		rulepack_free(rp);
	}
	PQclear(res);
	return (0);
}

/* Store the given packs and rebuild; inside the caller's transaction. */
static int
rulepack_store(PGconn *conn, struct rulepack **packs, size_t n,
    xmlRelaxNGPtr rng, struct rulepack_report *rep, char **cause)
{
	PGresult	*res;
	const char	*p[4];
	size_t		 i;
	int		 same;

	if (rulepack_sql(conn,
	    "LOCK TABLE rulepacks IN SHARE ROW EXCLUSIVE MODE", cause) != 0)
		return (-1);
	for (i = 0; i < n; i++) {
		p[0] = packs[i]->id;
		res = PQexecParams(conn,
		    "SELECT sha256 = $2 FROM rulepacks WHERE id = $1", 2, NULL,
		    (const char *[]){ packs[i]->id, packs[i]->sha256 }, NULL,
		    NULL, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			xasprintf(cause, "could not read rulepacks: %s",
			    PQerrorMessage(conn));
			PQclear(res);
			return (-1);
		}
		same = PQntuples(res) == 1 &&
		    strcmp(PQgetvalue(res, 0, 0), "t") == 0;
		PQclear(res);
		if (same) {
			rep->unchanged++;
			continue;
		}
		p[1] = packs[i]->path;
		p[2] = packs[i]->sha256;
		p[3] = packs[i]->content;
		res = PQexecParams(conn, "INSERT INTO rulepacks (id, name,"
		    " sha256, content) VALUES ($1, $2, $3, $4) ON CONFLICT (id)"
		    " DO UPDATE SET name = $2, sha256 = $3, content = $4,"
		    " imported_at = now()", 4, NULL, p, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			xasprintf(cause, "%s: could not store rulepack: %s",
			    packs[i]->path, PQerrorMessage(conn));
			PQclear(res);
			return (-1);
		}
		PQclear(res);
		rep->imported++;
	}
	if (rep->imported == 0)
		return (0);
	if (rulepack_rebuild(conn, rng, &rep->rows, cause) != 0)
		return (-1);
	return (rulepack_sql(conn, "NOTIFY rules_changed", cause));
}

/* See importers.h. */
int
rulepack_import_files(PGconn *conn, char *const *paths, size_t n,
    const char *schema_path, struct rulepack_report *rep, char **cause)
{
	struct rulepack_report	  dummy;
	struct rulepack		**packs;
	xmlRelaxNGPtr		  rng;
	PGresult		 *res;
	size_t			  i, j;
	int			  rc = -1;

	if (rep == NULL)
		rep = &dummy;
	memset(rep, 0, sizeof *rep);
	rep->files = n;
	if ((rng = rulepack_schema_load(schema_path, cause)) == NULL)
		return (-1);
	packs = xcalloc(n + 1, sizeof *packs);
	for (i = 0; i < n; i++) {
		if ((packs[i] = rulepack_load(paths[i], rng, cause)) == NULL)
			goto out;
		for (j = 0; j < i; j++) {
			if (strcmp(packs[j]->id, packs[i]->id) != 0)
				continue;
			xasprintf(cause, "%s: rulepack \"%s\" is also in %s",
			    paths[i], packs[i]->id, paths[j]);
			goto out;
		}
	}
	if (rulepack_sql(conn, "BEGIN", cause) != 0)
		goto out;
	if (rulepack_store(conn, packs, n, rng, rep, cause) != 0) {
		res = PQexec(conn, "ROLLBACK");
		PQclear(res);
		rep->imported = rep->unchanged = rep->rows = 0;
		goto out;
	}
	if (rulepack_sql(conn, "COMMIT", cause) != 0)
		goto out;
	rc = 0;
out:
	for (i = 0; i < n; i++)
		rulepack_free(packs[i]);
	free(packs);
	xmlRelaxNGFree(rng);
	return (rc);
}
