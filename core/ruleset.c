/*
 * ruleset.c: the in-memory rules, compiled once from the JSON document of
 * eard_rules_document() (docs/ruleset.md) and immutable afterwards, so any
 * number of threads may read one snapshot while the daemon swaps in the
 * next. The reference count is atomic; the last ruleset_unref() frees.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine.h"

/* A string member or NULL (JSON null and absent are the same). */
static const char *
rs_str(const json_t *o, const char *key)
{
	const json_t	*v;

	v = json_object_get(o, key);
	return (json_is_string(v) ? json_string_value(v) : NULL);
}

/* Parse a date member; null or absent gives dflt. -1 if malformed. */
static int
rs_date(const json_t *o, const char *key, ear_date dflt, ear_date *out)
{
	const json_t	*v;

	v = json_object_get(o, key);
	if (v == NULL || json_is_null(v)) {
		*out = dflt;
		return (0);
	}
	if (!json_is_string(v) || date_parse(json_string_value(v), out) != 0)
		return (-1);
	return (0);
}

/* An integer member written as an integer or a real; dflt if absent. */
static int
rs_int(const json_t *o, const char *key, int dflt)
{
	const json_t	*v;
	double		 d;

	v = json_object_get(o, key);
	if (!json_is_number(v))
		return (dflt);
	d = json_number_value(v);
	if (!(d > INT_MIN && d < INT_MAX))	/* also NaN: no UB in the cast */
		return (dflt);
	return ((int)d);
}

/* Fill the common part of a rule row; -1 with *cause on error. */
static int
rs_meta_parse(const json_t *o, const char *what, const char *idkey,
    struct rs_meta *m, char **cause)
{
	memset(m, 0, sizeof *m);
	m->json = o;
	m->id = rs_str(o, idkey);
	if (m->id == NULL)
		m->id = rs_str(o, "id");
	if (m->id == NULL) {
		xasprintf(cause, "%s without \"%s\"", what, idkey);
		return (-1);
	}
	m->version = rs_int(o, "version", 1);
	if (rs_date(o, "from", EAR_DATE_NINF, &m->from) != 0 ||
	    rs_date(o, "to", EAR_DATE_INF, &m->to) != 0 ||
	    rs_date(o, "compliance", EAR_DATE_NINF, &m->compliance) != 0) {
		xasprintf(cause, "%s \"%s\": bad date in from, to or "
		    "compliance (expected YYYY-MM-DD)", what, m->id);
		return (-1);
	}
	if (m->from >= m->to) {
		xasprintf(cause, "%s \"%s\": \"from\" is not before \"to\"",
		    what, m->id);
		return (-1);
	}
	m->source = rs_str(o, "source");
	m->citation = rs_str(o, "citation");
	m->text = rs_str(o, "text");
	m->note = rs_str(o, "note");
	m->uncertain = rs_str(o, "uncertain");
	return (0);
}

/* Compile member "when" of a rule; -1 with a cause naming the rule. */
static int
rs_when(const json_t *o, const char *what, const char *id, struct pred **out,
    char **cause)
{
	const json_t	*w;
	char		*why = NULL;

	w = json_object_get(o, "when");
	if (w == NULL || json_is_null(w)) {
		xasprintf(cause, "%s \"%s\": missing \"when\"", what, id);
		return (-1);
	}
	*out = pred_compile(w, &why);
	if (*out == NULL) {
		xasprintf(cause, "%s \"%s\": when: %s", what, id,
		    why != NULL ? why : "bad predicate");
		free(why);
		return (-1);
	}
	return (0);
}

/* Member "eccns": an array of prefixes, or null for any. */
static int
rs_eccns(const json_t *o, const char *what, const char *id,
    struct rs_eccns *e, char **cause)
{
	const json_t	*a, *v;
	size_t		 i;

	memset(e, 0, sizeof *e);
	a = json_object_get(o, "eccns");
	if (a == NULL || json_is_null(a))
		return (0);
	if (json_is_string(a)) {
		e->set = true;
		e->v = xcalloc(1, sizeof *e->v);
		e->v[e->n++] = json_string_value(a);
		return (0);
	}
	if (!json_is_array(a)) {
		xasprintf(cause, "%s \"%s\": \"eccns\" must be an array or "
		    "null", what, id);
		return (-1);
	}
	e->set = true;
	e->v = xcalloc(json_array_size(a) + 1, sizeof *e->v);
	json_array_foreach(a, i, v) {
		if (!json_is_string(v)) {
			xasprintf(cause, "%s \"%s\": \"eccns\" must hold "
			    "strings", what, id);
			return (-1);
		}
		e->v[e->n++] = json_string_value(v);
	}
	return (0);
}

/* Does an ECCN match a rule's prefixes (any when unset)? */
bool
ruleset_eccns_match(const struct rs_eccns *e, const char *eccn)
{
	size_t	 i;

	if (!e->set)
		return (true);
	for (i = 0; i < e->n; i++) {
		if (pred_eccn_matches(eccn, e->v[i]))
			return (true);
	}
	return (false);
}

/* A boolean member, dflt if absent. */
static bool
rs_bool(const json_t *o, const char *key, bool dflt)
{
	const json_t	*v;

	v = json_object_get(o, key);
	return (json_is_boolean(v) ? json_is_true(v) : dflt);
}

/* A table of the document, or NULL if absent. */
static const json_t *
rs_table(const json_t *doc, const char *name)
{
	const json_t	*a;

	a = json_object_get(doc, name);
	return (json_is_array(a) ? a : NULL);
}

/* Classifications by descending precedence, then document order. */
static int
rs_class_cmp(const void *a, const void *b)
{
	const struct rs_class	*x = a, *y = b;

	if (x->precedence != y->precedence)
		return (x->precedence > y->precedence ? -1 : 1);
	return (x->m.json < y->m.json ? -1 : x->m.json > y->m.json);
}

/* Policies by descending priority, then document order. */
static int
rs_policy_cmp(const void *a, const void *b)
{
	const struct rs_policy	*x = a, *y = b;

	if (x->priority != y->priority)
		return (x->priority > y->priority ? -1 : 1);
	return (x->m.json < y->m.json ? -1 : x->m.json > y->m.json);
}

/* Free an index. */
static void
rs_ix_free(struct rs_ix *ix)
{
	free(ix->plain);
	free(ix->str);
	free(ix->num);
	free(ix->eccn);
	memset(ix, 0, sizeof *ix);
}

/* A string as JSON, null for NULL (from the validated document). */
static json_t *
rs_jstr(const char *s)
{
	return (s != NULL ? json_string_nocheck(s) : json_null());
}

/* Build the shared JSON of a rule's common fields. */
static void
rs_meta_json(const struct ruleset *rs, struct rs_meta *m)
{
	const struct rs_source	*src;
	char			 buf[11];

	src = ruleset_source(rs, m->source);
	m->j_id = rs_jstr(m->id);
	m->j_citation = rs_jstr(m->citation);
	m->j_rule = rs_jstr(src != NULL && src->citation != NULL ?
	    src->citation : m->source);
	m->j_note = rs_jstr(m->note);
	m->j_text = rs_jstr(m->text);
	if (m->from == EAR_DATE_INF || m->from == EAR_DATE_NINF)
		m->j_from = json_null();
	else {
		date_format(m->from, buf);
		m->j_from = json_string_nocheck(buf);
	}
}

/* Free a rule's shared JSON. */
static void
rs_meta_json_free(struct rs_meta *m)
{
	json_decref(m->j_id);
	json_decref(m->j_citation);
	json_decref(m->j_rule);
	json_decref(m->j_note);
	json_decref(m->j_text);
	json_decref(m->j_from);
}

/* Free everything a ruleset owns. */
static void
ruleset_free(struct ruleset *rs)
{
	size_t	 i;

	for (i = 0; i < rs->nclasses; i++)
		rs_meta_json_free(&rs->classes[i].m);
	for (i = 0; i < rs->nreqs; i++) {
		rs_meta_json_free(&rs->reqs[i].m);
		json_decref(rs->reqs[i].j_kind);
		json_decref(rs->reqs[i].j_reason);
		json_decref(rs->reqs[i].j_when_text);
	}
	for (i = 0; i < rs->npolicies; i++) {
		rs_meta_json_free(&rs->policies[i].m);
		json_decref(rs->policies[i].j_conditions);
	}
	for (i = 0; i < rs->nexceptions; i++) {
		rs_meta_json_free(&rs->exceptions[i].m);
		json_decref(rs->exceptions[i].j_code);
		json_decref(rs->exceptions[i].j_when_text);
		json_decref(rs->exceptions[i].j_conditions);
	}

	for (i = 0; i < 2; i++) {
		rs_ix_free(&rs->class_ix[i]);
		rs_ix_free(&rs->req_ix[i]);
	}
	free(rs->groups_by_cc);
	free(rs->postures_by_target);
	for (i = 0; i < rs->nclasses; i++) {
		pred_free(rs->classes[i].when);
		free(rs->classes[i].thr);
	}
	for (i = 0; i < rs->nreqs; i++) {
		free(rs->reqs[i].thr);
		pred_free(rs->reqs[i].when);
		free(rs->reqs[i].when_text);
		free(rs->reqs[i].eccns.v);
	}
	for (i = 0; i < rs->npolicies; i++) {
		free(rs->policies[i].thr);
		pred_free(rs->policies[i].when);
		free(rs->policies[i].eccns.v);
	}
	for (i = 0; i < rs->nexceptions; i++) {
		pred_free(rs->exceptions[i].when);
		free(rs->exceptions[i].when_text);
		free(rs->exceptions[i].eccns.v);
	}
	free(rs->sources);
	free(rs->groups);
	free(rs->params);
	free(rs->classes);
	free(rs->reqs);
	free(rs->policies);
	free(rs->exceptions);
	free(rs->postures);
	json_decref(rs->doc);
	free(rs->version);
	free(rs);
}

/* Load tables that hold no predicates: sources, groups, params, postures. */
static int
ruleset_load_plain(struct ruleset *rs, char **cause)
{
	const json_t	*a, *o;
	size_t		 i;

	if ((a = rs_table(rs->doc, "sources")) != NULL) {
		rs->sources = xcalloc(json_array_size(a) + 1,
		    sizeof *rs->sources);
		json_array_foreach(a, i, o) {
			struct rs_source *s = &rs->sources[rs->nsources++];

			s->id = rs_str(o, "id");
			s->citation = rs_str(o, "citation");
			s->title = rs_str(o, "title");
			s->uncertain = rs_str(o, "uncertain");
			if (s->id == NULL ||
			    rs_date(o, "effective", EAR_DATE_NINF,
			    &s->effective) != 0 ||
			    rs_date(o, "compliance", EAR_DATE_NINF,
			    &s->compliance) != 0) {
				xasprintf(cause, "source %zu: missing id or "
				    "bad date", i);
				return (-1);
			}
		}
	}
	if ((a = rs_table(rs->doc, "groups")) != NULL) {
		rs->groups = xcalloc(json_array_size(a) + 1,
		    sizeof *rs->groups);
		json_array_foreach(a, i, o) {
			struct rs_group *g = &rs->groups[rs->ngroups++];

			g->group = rs_str(o, "group");
			g->country = rs_str(o, "country");
			if (g->group == NULL || g->country == NULL) {
				xasprintf(cause, "group membership %zu: "
				    "missing group or country", i);
				return (-1);
			}
			if (rs_meta_parse(o, "group membership", "group",
			    &g->m, cause) != 0)
				return (-1);
		}
	}
	if ((a = rs_table(rs->doc, "params")) != NULL) {
		rs->params = xcalloc(json_array_size(a) + 1,
		    sizeof *rs->params);
		json_array_foreach(a, i, o) {
			struct rs_param *p = &rs->params[rs->nparams++];

			if (rs_meta_parse(o, "param", "name", &p->m,
			    cause) != 0)
				return (-1);
			p->name = p->m.id;
			if (!json_is_number(json_object_get(o, "value"))) {
				xasprintf(cause, "param \"%s\": \"value\" "
				    "must be a number", p->name);
				return (-1);
			}
			p->value = json_number_value(json_object_get(o,
			    "value"));
		}
	}
	if ((a = rs_table(rs->doc, "postures")) != NULL) {
		rs->postures = xcalloc(json_array_size(a) + 1,
		    sizeof *rs->postures);
		json_array_foreach(a, i, o) {
			struct rs_posture *p = &rs->postures[rs->npostures++];
			const char	*st;

			if (rs_meta_parse(o, "posture", "target", &p->m,
			    cause) != 0)
				return (-1);
			p->target = p->m.id;
			st = rs_str(o, "status");
			if (st == NULL || (strcmp(st, "enforced") != 0 &&
			    strcmp(st, "not_enforced") != 0)) {
				xasprintf(cause, "posture \"%s\": status must "
				    "be enforced or not_enforced", p->target);
				return (-1);
			}
			p->enforced = strcmp(st, "enforced") == 0;
		}
	}
	return (0);
}

/* Load the tables with predicates. */
static int
ruleset_load_rules(struct ruleset *rs, char **cause)
{
	const json_t	*a, *o;
	size_t		 i;

	if ((a = rs_table(rs->doc, "classifications")) != NULL) {
		rs->classes = xcalloc(json_array_size(a) + 1,
		    sizeof *rs->classes);
		json_array_foreach(a, i, o) {
			struct rs_class *c = &rs->classes[rs->nclasses];

			if (rs_meta_parse(o, "classification", "id", &c->m,
			    cause) != 0)
				return (-1);
			c->eccn = rs_str(o, "eccn");
			c->item = rs_str(o, "item");
			if (c->eccn == NULL || c->item == NULL) {
				xasprintf(cause, "classification \"%s\": "
				    "missing eccn or item", c->m.id);
				return (-1);
			}
			c->precedence = rs_int(o, "precedence", 0);
			if (rs_when(o, "classification", c->m.id, &c->when,
			    cause) != 0)
				return (-1);
			rs->nclasses++;
		}
		qsort(rs->classes, rs->nclasses, sizeof *rs->classes,
		    rs_class_cmp);
	}
	if ((a = rs_table(rs->doc, "requirements")) != NULL) {
		rs->reqs = xcalloc(json_array_size(a) + 1, sizeof *rs->reqs);
		json_array_foreach(a, i, o) {
			struct rs_req *r = &rs->reqs[rs->nreqs];

			if (rs_meta_parse(o, "requirement", "id", &r->m,
			    cause) != 0)
				return (-1);
			r->kind = rs_str(o, "kind");
			if (r->kind == NULL)
				r->kind = "ccl";
			r->reason = rs_str(o, "reason");
			r->item = rs_str(o, "item");
			r->effect = rs_str(o, "effect");
			if (r->effect == NULL)
				r->effect = strcmp(r->kind, "review") == 0 ?
				    "needs_review" : "license";
			if (strcmp(r->effect, "license") != 0 &&
			    strcmp(r->effect, "needs_review") != 0) {
				xasprintf(cause, "requirement \"%s\": effect "
				    "must be license or needs_review", r->m.id);
				return (-1);
			}
			r->exceptions = rs_bool(o, "exceptions", false);
			r->review_policy = rs_str(o, "review_policy");
			if (rs_eccns(o, "requirement", r->m.id, &r->eccns,
			    cause) != 0)
				return (-1);
			rs->nreqs++;
			if (rs_when(o, "requirement", r->m.id, &r->when,
			    cause) != 0)
				return (-1);
			r->when_text = pred_to_text(r->when);
		}
	}
	if ((a = rs_table(rs->doc, "policies")) != NULL) {
		rs->policies = xcalloc(json_array_size(a) + 1,
		    sizeof *rs->policies);
		json_array_foreach(a, i, o) {
			struct rs_policy *p = &rs->policies[rs->npolicies];

			if (rs_meta_parse(o, "policy", "id", &p->m,
			    cause) != 0)
				return (-1);
			p->reason = rs_str(o, "reason");
			p->policy = rs_str(o, "policy");
			if (p->policy == NULL) {
				xasprintf(cause, "policy \"%s\": missing "
				    "\"policy\"", p->m.id);
				return (-1);
			}
			p->priority = rs_int(o, "priority", 0);
			p->conditions = json_object_get(o, "conditions");
			if (rs_eccns(o, "policy", p->m.id, &p->eccns,
			    cause) != 0)
				return (-1);
			rs->npolicies++;
			if (rs_when(o, "policy", p->m.id, &p->when,
			    cause) != 0)
				return (-1);
		}
		qsort(rs->policies, rs->npolicies, sizeof *rs->policies,
		    rs_policy_cmp);
	}
	if ((a = rs_table(rs->doc, "exceptions")) != NULL) {
		rs->exceptions = xcalloc(json_array_size(a) + 1,
		    sizeof *rs->exceptions);
		json_array_foreach(a, i, o) {
			struct rs_exception *e =
			    &rs->exceptions[rs->nexceptions];

			if (rs_meta_parse(o, "exception", "id", &e->m,
			    cause) != 0)
				return (-1);
			e->code = rs_str(o, "code");
			if (e->code == NULL)
				e->code = e->m.id;
			e->notification = rs_bool(o, "notification", false);
			e->conditions = json_object_get(o, "conditions");
			if (rs_eccns(o, "exception", e->m.id, &e->eccns,
			    cause) != 0)
				return (-1);
			rs->nexceptions++;
			if (rs_when(o, "exception", e->m.id, &e->when,
			    cause) != 0)
				return (-1);
			e->when_text = pred_to_text(e->when);
		}
	}
	return (0);
}

/* Index entries by fact, then value without case, then position. */
static int
rs_ix_str_cmp(const void *a, const void *b)
{
	const struct rs_ix_str	*x = a, *y = b;
	int			 c;

	if ((c = strcmp(x->fact, y->fact)) != 0)
		return (c);
	if ((c = strcasecmp(x->value, y->value)) != 0)
		return (c);
	return (x->rule < y->rule ? -1 : x->rule > y->rule);
}

/* Index entries by fact, then lower bound. */
static int
rs_ix_num_cmp(const void *a, const void *b)
{
	const struct rs_ix_num	*x = a, *y = b;
	int			 c;

	if ((c = strcmp(x->fact, y->fact)) != 0)
		return (c);
	if (x->min != y->min)
		return (x->min < y->min ? -1 : 1);
	return (x->rule < y->rule ? -1 : x->rule > y->rule);
}

/* Index entries by ECCN prefix without case. */
static int
rs_ix_eccn_cmp(const void *a, const void *b)
{
	const struct rs_ix_eccn	*x = a, *y = b;
	int			 c;

	if ((c = strcasecmp(x->prefix, y->prefix)) != 0)
		return (c);
	return (x->rule < y->rule ? -1 : x->rule > y->rule);
}

/* Add rule pos to an index under its predicate's guard. */
static void
rs_ix_add(struct rs_ix *ix, const struct pred *when, uint32_t pos)
{
	struct pred_guard	 g;
	size_t			 i;

	pred_guard(when, &g);
	switch (g.kind) {
	case GUARD_IN:
		ix->str = xreallocarray(ix->str, ix->nstr + g.nvalues,
		    sizeof *ix->str);
		for (i = 0; i < g.nvalues; i++) {
			ix->str[ix->nstr].fact = g.fact;
			ix->str[ix->nstr].value = g.values[i];
			ix->str[ix->nstr++].rule = pos;
		}
		free(g.values);
		break;
	case GUARD_MIN:
		ix->num = xreallocarray(ix->num, ix->nnum + 1,
		    sizeof *ix->num);
		ix->num[ix->nnum].fact = g.fact;
		ix->num[ix->nnum].min = g.min;
		ix->num[ix->nnum].strict = g.strict;
		ix->num[ix->nnum++].rule = pos;
		break;
	default:
		ix->plain = xreallocarray(ix->plain, ix->nplain + 1,
		    sizeof *ix->plain);
		ix->plain[ix->nplain++] = pos;
		break;
	}
}

/* Sort an index's entries for lookups. */
static void
rs_ix_sort(struct rs_ix *ix)
{
	if (ix->nstr > 0)
		qsort(ix->str, ix->nstr, sizeof *ix->str, rs_ix_str_cmp);
	if (ix->nnum > 0)
		qsort(ix->num, ix->nnum, sizeof *ix->num, rs_ix_num_cmp);
	if (ix->neccn > 0)
		qsort(ix->eccn, ix->neccn, sizeof *ix->eccn, rs_ix_eccn_cmp);
}

/* Does a rule's item admit checks of kind k (NULL admits any)? */
static bool
rs_item_is(const char *item, enum item_kind k)
{
	if (item == NULL)
		return (true);
	return (strcmp(item, k == ITEM_CHIP ? "chip" : "model") == 0);
}

/* Record one threshold of a rule's predicate (pred_walk_thresholds). */
static void
rs_thr_cb(const char *fact, const char *op, double v, void *arg)
{
	struct {
		struct rs_thr	**thr;
		size_t		 *n;
	}		*a = arg;
	struct rs_thr	*t;
	char		 num[32], *e;

	(void)op;
	*a->thr = xreallocarray(*a->thr, *a->n + 1, sizeof **a->thr);
	t = &(*a->thr)[(*a->n)++];
	t->fact = fact;
	t->value = v;
	/* The margins member: "%g" without the '+' of the exponent. */
	snprintf(num, sizeof num, "%g", v);
	if ((e = strstr(num, "e+")) != NULL)
		memmove(e + 1, e + 2, strlen(e + 2) + 1);
	snprintf(t->key, sizeof t->key, "%s_%s", fact, num);
}

/* The thresholds of a predicate, in walk order. */
static void
rs_thresholds(const struct pred *when, struct rs_thr **thr, size_t *n)
{
	struct {
		struct rs_thr	**thr;
		size_t		 *n;
	}	a = { thr, n };

	*thr = NULL;
	*n = 0;
	pred_walk_thresholds(when, rs_thr_cb, &a);
}

/* Number a rule's thresholds: their keys and their rule's id. */
static void
rs_thr_number(struct ruleset *rs, json_t *keys, json_t *ids,
    struct rs_thr *thr, size_t n, const char *id)
{
	json_t	*v;
	size_t	 i;
	uint32_t rule_ix;

	if (n == 0)
		return;
	if ((v = json_object_get(ids, id)) == NULL) {
		v = json_integer(rs->nthr_rules++);
		json_object_set_new(ids, id, v);
	}
	rule_ix = (uint32_t)json_integer_value(v);
	for (i = 0; i < n; i++) {
		if ((v = json_object_get(keys, thr[i].key)) == NULL) {
			v = json_integer(rs->nthr_keys++);
			json_object_set_new(keys, thr[i].key, v);
		}
		thr[i].key_ix = (uint32_t)json_integer_value(v);
		thr[i].rule_ix = rule_ix;
	}
}

/* Groups by country, without case. */
static int
rs_group_cc_cmp(const void *a, const void *b)
{
	const struct rs_group	*x = *(const struct rs_group *const *)a;
	const struct rs_group	*y = *(const struct rs_group *const *)b;
	int			 c;

	if ((c = strcasecmp(x->country, y->country)) != 0)
		return (c);
	return (x < y ? -1 : x > y);
}

/* Postures by target, then table order. */
static int
rs_posture_cmp(const void *a, const void *b)
{
	const struct rs_posture	*x = *(const struct rs_posture *const *)a;
	const struct rs_posture	*y = *(const struct rs_posture *const *)b;
	int			 c;

	if ((c = strcmp(x->target, y->target)) != 0)
		return (c);
	return (x < y ? -1 : x > y);
}

/*
 * Build the indexes of a compiled ruleset, so that a check touches the
 * rules that can apply to it, not every rule (issue #9).
 */
static void
ruleset_index(struct ruleset *rs)
{
	struct rs_ix	*ix;
	json_t		*keys, *ids;
	size_t		 i, j;
	int		 k;

	for (i = 0; i < rs->nclasses; i++)
		rs_meta_json(rs, &rs->classes[i].m);
	for (i = 0; i < rs->nreqs; i++) {
		struct rs_req *r = &rs->reqs[i];

		rs_meta_json(rs, &r->m);
		r->j_kind = rs_jstr(r->kind);
		r->j_reason = rs_jstr(r->reason);
		r->j_when_text = json_string(r->when_text);
	}
	for (i = 0; i < rs->npolicies; i++) {
		struct rs_policy *p = &rs->policies[i];

		rs_meta_json(rs, &p->m);
		p->j_conditions = p->conditions != NULL ?
		    json_deep_copy(p->conditions) : json_array();
	}
	for (i = 0; i < rs->nexceptions; i++) {
		struct rs_exception *e = &rs->exceptions[i];

		rs_meta_json(rs, &e->m);
		e->j_code = rs_jstr(e->code);
		e->j_when_text = json_string(e->when_text);
		e->j_conditions = e->conditions != NULL ?
		    json_deep_copy(e->conditions) : json_array();
	}
	for (i = 0; i < rs->nclasses; i++)
		rs_thresholds(rs->classes[i].when, &rs->classes[i].thr,
		    &rs->classes[i].nthr);
	for (i = 0; i < rs->nreqs; i++)
		rs_thresholds(rs->reqs[i].when, &rs->reqs[i].thr,
		    &rs->reqs[i].nthr);
	for (i = 0; i < rs->npolicies; i++)
		rs_thresholds(rs->policies[i].when, &rs->policies[i].thr,
		    &rs->policies[i].nthr);
	keys = json_object();
	ids = json_object();
	for (i = 0; i < rs->nclasses; i++)
		rs_thr_number(rs, keys, ids, rs->classes[i].thr,
		    rs->classes[i].nthr, rs->classes[i].m.id);
	for (i = 0; i < rs->npolicies; i++)
		rs_thr_number(rs, keys, ids, rs->policies[i].thr,
		    rs->policies[i].nthr, rs->policies[i].m.id);
	for (i = 0; i < rs->nreqs; i++)
		rs_thr_number(rs, keys, ids, rs->reqs[i].thr,
		    rs->reqs[i].nthr, rs->reqs[i].m.id);
	json_decref(keys);
	json_decref(ids);
	for (k = ITEM_CHIP; k <= ITEM_MODEL; k++) {
		ix = &rs->class_ix[k];
		for (i = 0; i < rs->nclasses; i++) {
			if (rs_item_is(rs->classes[i].item, k))
				rs_ix_add(ix, rs->classes[i].when, (uint32_t)i);
		}
		rs_ix_sort(ix);
		ix = &rs->req_ix[k];
		for (i = 0; i < rs->nreqs; i++) {
			const struct rs_req *r = &rs->reqs[i];

			if (!rs_item_is(r->item, k))
				continue;
			if (!r->eccns.set) {
				rs_ix_add(ix, r->when, (uint32_t)i);
				continue;
			}
			ix->eccn = xreallocarray(ix->eccn, ix->neccn +
			    r->eccns.n, sizeof *ix->eccn);
			for (j = 0; j < r->eccns.n; j++) {
				ix->eccn[ix->neccn].prefix = r->eccns.v[j];
				ix->eccn[ix->neccn++].rule = (uint32_t)i;
			}
		}
		rs_ix_sort(ix);
	}
	rs->groups_by_cc = xcalloc(rs->ngroups + 1, sizeof *rs->groups_by_cc);
	for (i = 0; i < rs->ngroups; i++)
		rs->groups_by_cc[i] = &rs->groups[i];
	qsort(rs->groups_by_cc, rs->ngroups, sizeof *rs->groups_by_cc,
	    rs_group_cc_cmp);
	rs->postures_by_target = xcalloc(rs->npostures + 1,
	    sizeof *rs->postures_by_target);
	for (i = 0; i < rs->npostures; i++)
		rs->postures_by_target[i] = &rs->postures[i];
	qsort(rs->postures_by_target, rs->npostures,
	    sizeof *rs->postures_by_target, rs_posture_cmp);
	rs->indexed = true;
}

/* Append a position to a candidate list. */
static void
rs_cand_add(struct rs_cand *c, uint32_t pos)
{
	if (c->n == c->cap) {
		c->cap = c->cap > 0 ? c->cap * 2 : 32;
		c->v = xreallocarray(c->v, c->cap, sizeof *c->v);
	}
	c->v[c->n++] = pos;
}

/* Positions ascending. */
static int
rs_pos_cmp(const void *a, const void *b)
{
	uint32_t	 x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x < y ? -1 : x > y);
}

/* Sort a candidate list into table order, without duplicates. */
static void
rs_cand_finish(struct rs_cand *c)
{
	size_t	 i, o;

	if (c->n < 2)
		return;
	qsort(c->v, c->n, sizeof *c->v, rs_pos_cmp);
	for (i = 1, o = 1; i < c->n; i++) {
		if (c->v[i] != c->v[o - 1])
			c->v[o++] = c->v[i];
	}
	c->n = o;
}

/* Free a candidate list's storage. */
void
rs_cand_free(struct rs_cand *c)
{
	free(c->v);
	memset(c, 0, sizeof *c);
}

/* The guarded candidates of an index for these facts. */
static void
rs_ix_candidates(const struct rs_ix *ix, const struct facts *f,
    struct rs_cand *c)
{
	const char	*fact, *v;
	size_t		 i, j, lo, hi, mid;
	double		 x;

	for (i = 0; i < ix->nplain; i++)
		rs_cand_add(c, ix->plain[i]);
	for (i = 0; i < ix->nstr; i = j) {
		fact = ix->str[i].fact;
		for (j = i; j < ix->nstr && strcmp(ix->str[j].fact, fact) == 0;
		    j++)
			;
		if (facts_type(f, fact) != FACT_STR) {
			/* Absent (unknown) or not a string: keep them all. */
			for (lo = i; lo < j; lo++)
				rs_cand_add(c, ix->str[lo].rule);
			continue;
		}
		v = facts_get_str(f, fact);
		lo = i;
		hi = j;
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			if (strcasecmp(ix->str[mid].value, v) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < j && strcasecmp(ix->str[lo].value, v) == 0; lo++)
			rs_cand_add(c, ix->str[lo].rule);
	}
	for (i = 0; i < ix->nnum; i = j) {
		fact = ix->num[i].fact;
		for (j = i; j < ix->nnum && strcmp(ix->num[j].fact, fact) == 0;
		    j++)
			;
		if (!facts_get_num(f, fact, &x)) {
			for (lo = i; lo < j; lo++)
				rs_cand_add(c, ix->num[lo].rule);
			continue;
		}
		/* Ascending bounds: stop at the first the value misses. */
		for (lo = i; lo < j && ix->num[lo].min <= x; lo++) {
			if (!ix->num[lo].strict || x > ix->num[lo].min)
				rs_cand_add(c, ix->num[lo].rule);
		}
	}
}

/* Every position of a table (the unindexed walk). */
static void
rs_cand_all(size_t n, struct rs_cand *c)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		rs_cand_add(c, (uint32_t)i);
}

/*
 * The classification rules that may hold for a check of kind k with these
 * facts, in table (precedence) order: a superset of those not false.
 */
void
ruleset_class_candidates(const struct ruleset *rs, enum item_kind k,
    const struct facts *f, struct rs_cand *c)
{
	c->n = 0;
	if (!rs->indexed) {
		rs_cand_all(rs->nclasses, c);
		return;
	}
	rs_ix_candidates(&rs->class_ix[k], f, c);
	rs_cand_finish(c);
}

/*
 * The requirements that may apply to a check of kind k classified eccn
 * (NULL: none) with these facts, in table order: those naming no ECCN
 * (by guard) and those naming a prefix of eccn at a '.'.
 */
void
ruleset_req_candidates(const struct ruleset *rs, enum item_kind k,
    const char *eccn, const struct facts *f, struct rs_cand *c)
{
	const struct rs_ix	*ix = &rs->req_ix[k];
	size_t			 len, lo, hi, mid;
	char			 pre[64];
	const char		*p;

	c->n = 0;
	if (!rs->indexed) {
		rs_cand_all(rs->nreqs, c);
		return;
	}
	rs_ix_candidates(ix, f, c);
	if (eccn != NULL && strlen(eccn) < sizeof pre) {
		/* Each prefix of eccn ending at a '.' or at its end. */
		for (p = eccn; ; p++) {
			if (*p != '.' && *p != '\0')
				continue;
			len = (size_t)(p - eccn);
			memcpy(pre, eccn, len);
			pre[len] = '\0';
			lo = 0;
			hi = ix->neccn;
			while (lo < hi) {
				mid = lo + (hi - lo) / 2;
				if (strcasecmp(ix->eccn[mid].prefix, pre) < 0)
					lo = mid + 1;
				else
					hi = mid;
			}
			for (; lo < ix->neccn &&
			    strcasecmp(ix->eccn[lo].prefix, pre) == 0; lo++)
				rs_cand_add(c, ix->eccn[lo].rule);
			if (*p == '\0')
				break;
		}
	} else if (eccn != NULL) {
		/* An ECCN longer than any prefix: test them all. */
		for (lo = 0; lo < ix->neccn; lo++)
			rs_cand_add(c, ix->eccn[lo].rule);
	}
	rs_cand_finish(c);
}

/*
 * Compile a rules document. The ruleset keeps its own copy of doc; version
 * names it in every verdict. NULL with *cause (naming the rule) on error.
 */
struct ruleset *
ruleset_from_json(const json_t *doc, const char *version, char **cause)
{
	struct ruleset	*rs;

	if (!json_is_object(doc)) {
		xasprintf(cause, "rules document is not a JSON object");
		return (NULL);
	}
	rs = xcalloc(1, sizeof *rs);
	atomic_init(&rs->refs, 1);
	rs->version = xstrdup(version != NULL ? version : "unversioned");
	rs->doc = json_deep_copy(doc);
	if (ruleset_load_plain(rs, cause) != 0 ||
	    ruleset_load_rules(rs, cause) != 0) {
		ruleset_free(rs);
		return (NULL);
	}
	ruleset_index(rs);
	return (rs);
}

/*
 * Compile a rules document from its text (SELECT eard_rules_document()).
 * Integers are decoded as reals: PostgreSQL writes 1e26 as a 27-digit
 * integer, which no C integer holds.
 */
struct ruleset *
ruleset_from_text(const char *text, size_t len, const char *version,
    char **cause)
{
	struct ruleset	*rs;
	json_error_t	 jerr;
	json_t		*doc;

	doc = json_loadb(text, len, JSON_DECODE_INT_AS_REAL, &jerr);
	if (doc == NULL) {
		xasprintf(cause, "rules document is not valid JSON: line %d: "
		    "%s", jerr.line, jerr.text);
		return (NULL);
	}
	rs = ruleset_from_json(doc, version, cause);
	json_decref(doc);
	return (rs);
}

/* Use the indexes (the default) or walk every rule (tests compare both). */
void
ruleset_set_indexed(struct ruleset *rs, bool on)
{
	rs->indexed = on;
}

/* Take a reference (any thread). */
void
ruleset_ref(struct ruleset *rs)
{
	atomic_fetch_add(&rs->refs, 1);
}

/* Drop a reference; the last one frees (any thread). */
void
ruleset_unref(struct ruleset *rs)
{
	if (rs != NULL && atomic_fetch_sub(&rs->refs, 1) == 1)
		ruleset_free(rs);
}

/* The version the daemon named the ruleset with. */
const char *
ruleset_version(const struct ruleset *rs)
{
	return (rs->version);
}

/* Is country cc a member of group on date d? 1 or 0. */
int
ruleset_group_member(const struct ruleset *rs, const char *group,
    const char *cc, ear_date d)
{
	size_t	 i, lo, hi, mid;

	if (rs->indexed) {
		lo = 0;
		hi = rs->ngroups;
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			if (strcasecmp(rs->groups_by_cc[mid]->country, cc) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < rs->ngroups &&
		    strcasecmp(rs->groups_by_cc[lo]->country, cc) == 0; lo++) {
			const struct rs_group *g = rs->groups_by_cc[lo];

			if (strcmp(g->group, group) == 0 &&
			    date_in(d, g->m.from, g->m.to))
				return (1);
		}
		return (0);
	}
	for (i = 0; i < rs->ngroups; i++) {
		const struct rs_group *g = &rs->groups[i];

		/* Two-letter codes: compare them before anything else. */
		if (toupper((unsigned char)g->country[0]) !=
		    toupper((unsigned char)cc[0]) || g->country[0] == '\0' ||
		    strcasecmp(g->country, cc) != 0)
			continue;
		if (strcmp(g->group, group) == 0 &&
		    date_in(d, g->m.from, g->m.to))
			return (1);
	}
	return (0);
}

/* A named param in force on d. */
bool
ruleset_param(const struct ruleset *rs, const char *name, ear_date d,
    double *v)
{
	size_t	 i;

	for (i = 0; i < rs->nparams; i++) {
		if (strcmp(rs->params[i].name, name) == 0 &&
		    date_in(d, rs->params[i].m.from, rs->params[i].m.to)) {
			*v = rs->params[i].value;
			return (true);
		}
	}
	return (false);
}

/* The posture covering rule m on d (the latest to start), or NULL. */
const struct rs_posture *
ruleset_posture(const struct ruleset *rs, const struct rs_meta *m,
    ear_date d)
{
	const struct rs_posture	*best = NULL;
	size_t			 i, lo, hi, mid;

	if (rs->indexed) {
		lo = 0;
		hi = rs->npostures;
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			if (strcmp(rs->postures_by_target[mid]->target,
			    m->id) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < rs->npostures &&
		    strcmp(rs->postures_by_target[lo]->target, m->id) == 0;
		    lo++) {
			const struct rs_posture *p = rs->postures_by_target[lo];

			if (!date_in(d, p->m.from, p->m.to))
				continue;
			if (best == NULL || p->m.from >= best->m.from)
				best = p;
		}
		return (best);
	}
	for (i = 0; i < rs->npostures; i++) {
		const struct rs_posture *p = &rs->postures[i];

		if (strcmp(p->target, m->id) != 0 ||
		    !date_in(d, p->m.from, p->m.to))
			continue;
		if (best == NULL || p->m.from >= best->m.from)
			best = p;
	}
	return (best);
}

/*
 * Is rule m in force on d in a layer? The text layer reads its validity;
 * the enforced layer lets a posture remove it or put it back.
 */
bool
ruleset_in_force(const struct ruleset *rs, const struct rs_meta *m,
    ear_date d, enum rs_layer layer)
{
	const struct rs_posture	*p;

	if (layer == LAYER_ENFORCED &&
	    (p = ruleset_posture(rs, m, d)) != NULL)
		return (p->enforced);
	return (date_in(d, m->from, m->to));
}

/* The source (rulepack) of that id, or NULL. */
const struct rs_source *
ruleset_source(const struct ruleset *rs, const char *id)
{
	size_t	 i;

	if (id == NULL)
		return (NULL);
	for (i = 0; i < rs->nsources; i++) {
		if (strcmp(rs->sources[i].id, id) == 0)
			return (&rs->sources[i]);
	}
	return (NULL);
}

/* A date as JSON; null for an open end. */
static json_t *
rs_date_json(ear_date d)
{
	char	 buf[11];

	if (d == EAR_DATE_INF || d == EAR_DATE_NINF)
		return (json_null());
	date_format(d, buf);
	return (json_string(buf));
}

/* A string as JSON; null for NULL. */
static json_t *
rs_str_json(const char *s)
{
	return (s != NULL ? json_string(s) : json_null());
}

/* The groups of a country as of d, with their citations. */
json_t *
ruleset_country_json(const struct ruleset *rs, const char *cc, ear_date d)
{
	json_t	*groups, *g;
	size_t	 i;

	groups = json_array();
	for (i = 0; i < rs->ngroups; i++) {
		const struct rs_group *rg = &rs->groups[i];

		if (strcasecmp(rg->country, cc) != 0 ||
		    !date_in(d, rg->m.from, rg->m.to))
			continue;
		g = json_object();
		json_object_set_new(g, "group", json_string(rg->group));
		json_object_set_new(g, "from", rs_date_json(rg->m.from));
		json_object_set_new(g, "to", rs_date_json(rg->m.to));
		json_object_set_new(g, "citation",
		    rs_str_json(rg->m.citation));
		json_object_set_new(g, "source", rs_str_json(rg->m.source));
		json_object_set_new(g, "uncertain",
		    rs_str_json(rg->m.uncertain));
		json_array_append_new(groups, g);
	}
	return (json_pack("{s:s, s:o, s:o, s:s}", "country", cc, "as_of",
	    rs_date_json(d), "groups", groups, "ruleset", rs->version));
}

/* A rule row for display: its document row plus its state on d. */
static json_t *
rs_row_json(const struct ruleset *rs, const struct rs_meta *m, ear_date d)
{
	json_t	*o;

	o = json_deep_copy(m->json);
	json_object_set_new(o, "in_text", json_boolean(date_in(d, m->from,
	    m->to)));
	json_object_set_new(o, "enforced", json_boolean(ruleset_in_force(rs,
	    m, d, LAYER_ENFORCED)));
	return (o);
}

/* Do an ECCN asked about and a rule's prefixes touch (either way)? */
static bool
rs_eccns_touch(const struct rs_eccns *e, const char *eccn)
{
	size_t	 i;

	if (!e->set)
		return (false);
	for (i = 0; i < e->n; i++) {
		if (pred_eccn_matches(eccn, e->v[i]) ||
		    pred_eccn_matches(e->v[i], eccn))
			return (true);
	}
	return (false);
}

/* The rules touching an ECCN that are in the text or enforced on d. */
json_t *
ruleset_eccn_json(const struct ruleset *rs, const char *eccn, ear_date d)
{
	json_t	*cl, *rq, *po, *ex;
	size_t	 i;

#define RS_LIVE(m) (date_in(d, (m).from, (m).to) || \
	ruleset_in_force(rs, &(m), d, LAYER_ENFORCED))
	cl = json_array();
	for (i = 0; i < rs->nclasses; i++) {
		const struct rs_class *c = &rs->classes[i];

		if ((pred_eccn_matches(c->eccn, eccn) ||
		    pred_eccn_matches(eccn, c->eccn)) && RS_LIVE(c->m))
			json_array_append_new(cl, rs_row_json(rs, &c->m, d));
	}
	rq = json_array();
	for (i = 0; i < rs->nreqs; i++) {
		if (rs_eccns_touch(&rs->reqs[i].eccns, eccn) &&
		    RS_LIVE(rs->reqs[i].m))
			json_array_append_new(rq, rs_row_json(rs,
			    &rs->reqs[i].m, d));
	}
	po = json_array();
	for (i = 0; i < rs->npolicies; i++) {
		if (rs_eccns_touch(&rs->policies[i].eccns, eccn) &&
		    RS_LIVE(rs->policies[i].m))
			json_array_append_new(po, rs_row_json(rs,
			    &rs->policies[i].m, d));
	}
	ex = json_array();
	for (i = 0; i < rs->nexceptions; i++) {
		if (rs_eccns_touch(&rs->exceptions[i].eccns, eccn) &&
		    RS_LIVE(rs->exceptions[i].m))
			json_array_append_new(ex, rs_row_json(rs,
			    &rs->exceptions[i].m, d));
	}
#undef RS_LIVE
	return (json_pack("{s:s, s:o, s:s, s:o, s:o, s:o, s:o}", "eccn", eccn,
	    "as_of", rs_date_json(d), "ruleset", rs->version,
	    "classifications", cl, "requirements", rq, "policies", po,
	    "exceptions", ex));
}

/* Counts per table and the sources, for status pages and earctl. */
json_t *
ruleset_summary_json(const struct ruleset *rs)
{
	json_t	*counts, *sources, *s;
	size_t	 i;

	counts = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
	    "sources", (json_int_t)rs->nsources,
	    "groups", (json_int_t)rs->ngroups,
	    "params", (json_int_t)rs->nparams,
	    "classifications", (json_int_t)rs->nclasses,
	    "requirements", (json_int_t)rs->nreqs,
	    "policies", (json_int_t)rs->npolicies,
	    "exceptions", (json_int_t)rs->nexceptions,
	    "postures", (json_int_t)rs->npostures);
	sources = json_array();
	for (i = 0; i < rs->nsources; i++) {
		s = json_object();
		json_object_set_new(s, "id", json_string(rs->sources[i].id));
		json_object_set_new(s, "citation",
		    rs_str_json(rs->sources[i].citation));
		json_object_set_new(s, "title",
		    rs_str_json(rs->sources[i].title));
		json_object_set_new(s, "effective",
		    rs_date_json(rs->sources[i].effective));
		json_array_append_new(sources, s);
	}
	return (json_pack("{s:s, s:o, s:o}", "version", rs->version,
	    "counts", counts, "sources", sources));
}
