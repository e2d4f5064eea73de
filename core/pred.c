/*
 * pred.c: facts, small sets of names, and predicates over facts.
 *
 * Predicates are the JSON arrays of docs/ruleset.md, compiled once into an
 * immutable tree and evaluated with Kleene's three-valued logic: a missing
 * fact makes a comparison unknown, and unknown survives "all" and "any"
 * only when the known operands do not already decide them. The names of
 * missing facts are collected only where they made the result unknown.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine.h"

/* Sets of names. */

/* An empty set. */
void
strset_init(struct strset *ss)
{
	ss->v = NULL;
	ss->n = 0;
}

/* Add a name unless it is already there; the set keeps insertion order. */
void
strset_add(struct strset *ss, const char *s)
{
	if (ss == NULL || s == NULL || strset_has(ss, s))
		return;
	ss->v = xreallocarray(ss->v, ss->n + 1, sizeof *ss->v);
	ss->v[ss->n++] = xstrdup(s);
}

/* Is the name in the set? */
bool
strset_has(const struct strset *ss, const char *s)
{
	size_t	 i;

	for (i = 0; i < ss->n; i++) {
		if (strcmp(ss->v[i], s) == 0)
			return (true);
	}
	return (false);
}

/* Free the names and empty the set. */
void
strset_clear(struct strset *ss)
{
	size_t	 i;

	for (i = 0; i < ss->n; i++)
		free(ss->v[i]);
	free(ss->v);
	strset_init(ss);
}

/* The set as a JSON array of strings. */
json_t *
strset_to_json(const struct strset *ss)
{
	json_t	*a;
	size_t	 i;

	a = json_array();
	for (i = 0; i < ss->n; i++)
		json_array_append_new(a, json_string(ss->v[i]));
	return (a);
}

/* Move every name of from into to (which may be NULL). */
void
strset_merge(struct strset *to, struct strset *from)
{
	size_t	 i;

	if (to != NULL) {
		for (i = 0; i < from->n; i++)
			strset_add(to, from->v[i]);
	}
	strset_clear(from);
}

/* Facts. */

struct fact {
	char		*name;
	enum fact_type	 type;
	double		 num;
	bool		 b;
	char		*str;
};

struct facts {
	struct fact	*v;
	size_t		 n;
};

/* An empty set of facts; free it with facts_free(). */
struct facts *
facts_new(void)
{
	return (xcalloc(1, sizeof(struct facts)));
}

/* Free a set of facts and everything in it. */
void
facts_free(struct facts *f)
{
	size_t	 i;

	if (f == NULL)
		return;
	for (i = 0; i < f->n; i++) {
		free(f->v[i].name);
		free(f->v[i].str);
	}
	free(f->v);
	free(f);
}

/* A deep copy of a set of facts. */
struct facts *
facts_copy(const struct facts *f)
{
	struct facts	*c;
	size_t		 i;

	c = facts_new();
	c->v = xcalloc(f->n > 0 ? f->n : 1, sizeof *c->v);
	c->n = f->n;
	for (i = 0; i < f->n; i++) {
		c->v[i] = f->v[i];
		c->v[i].name = xstrdup(f->v[i].name);
		if (f->v[i].str != NULL)
			c->v[i].str = xstrdup(f->v[i].str);
	}
	return (c);
}

/* The fact of that name, or NULL. */
static const struct fact *
facts_find(const struct facts *f, const char *name)
{
	size_t	 i;

	if (f == NULL)
		return (NULL);
	for (i = 0; i < f->n; i++) {
		if (strcmp(f->v[i].name, name) == 0)
			return (&f->v[i]);
	}
	return (NULL);
}

/* The slot for name, emptied, appended if it is new. */
static struct fact *
facts_slot(struct facts *f, const char *name)
{
	struct fact	*fc;

	fc = (struct fact *)facts_find(f, name);
	if (fc == NULL) {
		f->v = xreallocarray(f->v, f->n + 1, sizeof *f->v);
		fc = &f->v[f->n++];
		fc->name = xstrdup(name);
		fc->str = NULL;
	}
	free(fc->str);
	fc->str = NULL;
	fc->num = 0;
	fc->b = false;
	return (fc);
}

/* Set a number; NaN means missing. */
void
facts_set_num(struct facts *f, const char *name, double v)
{
	struct fact	*fc;

	if (isnan(v)) {
		facts_unset(f, name);
		return;
	}
	fc = facts_slot(f, name);
	fc->type = FACT_NUM;
	fc->num = v;
}

/* Set a boolean fact. */
void
facts_set_bool(struct facts *f, const char *name, bool v)
{
	struct fact	*fc;

	fc = facts_slot(f, name);
	fc->type = FACT_BOOL;
	fc->b = v;
}

/* Set a string; NULL means missing. */
void
facts_set_str(struct facts *f, const char *name, const char *v)
{
	struct fact	*fc;

	if (v == NULL) {
		facts_unset(f, name);
		return;
	}
	fc = facts_slot(f, name);
	fc->type = FACT_STR;
	fc->str = xstrdup(v);
}

/* Make a fact missing. */
void
facts_unset(struct facts *f, const char *name)
{
	struct fact	*fc;
	size_t		 i;

	fc = (struct fact *)facts_find(f, name);
	if (fc == NULL)
		return;
	i = fc - f->v;
	free(fc->name);
	free(fc->str);
	memmove(&f->v[i], &f->v[i + 1], (f->n - i - 1) * sizeof *f->v);
	f->n--;
}

/* The type of a fact; FACT_NONE when missing. */
enum fact_type
facts_type(const struct facts *f, const char *name)
{
	const struct fact	*fc;

	fc = facts_find(f, name);
	return (fc != NULL ? fc->type : FACT_NONE);
}

/* A number fact; false when missing or not a number. */
bool
facts_get_num(const struct facts *f, const char *name, double *v)
{
	const struct fact	*fc;

	fc = facts_find(f, name);
	if (fc == NULL || fc->type != FACT_NUM)
		return (false);
	*v = fc->num;
	return (true);
}

/* A boolean fact; false when missing or not a boolean. */
bool
facts_get_bool(const struct facts *f, const char *name, bool *v)
{
	const struct fact	*fc;

	fc = facts_find(f, name);
	if (fc == NULL || fc->type != FACT_BOOL)
		return (false);
	*v = fc->b;
	return (true);
}

/* A string fact, or NULL when missing or not a string. */
const char *
facts_get_str(const struct facts *f, const char *name)
{
	const struct fact	*fc;

	fc = facts_find(f, name);
	if (fc == NULL || fc->type != FACT_STR)
		return (NULL);
	return (fc->str);
}

/* The facts as a JSON object, in the order they were set. */
json_t *
facts_to_json(const struct facts *f)
{
	json_t	*o, *v;
	size_t	 i;

	o = json_object();
	for (i = 0; i < f->n; i++) {
		switch (f->v[i].type) {
		case FACT_NUM:
			v = json_real(f->v[i].num);
			if (v == NULL)
				v = json_null();
			break;
		case FACT_BOOL:
			v = json_boolean(f->v[i].b);
			break;
		case FACT_STR:
			v = json_string(f->v[i].str);
			break;
		default:
			v = json_null();
			break;
		}
		json_object_set_new(o, f->v[i].name, v);
	}
	return (o);
}

/* Predicates. */

/* The facts a predicate may name: docs/ruleset.md, "Facts". */
static const char *pred_facts[] = {
	"item", "chip_kind", "tpp", "pd", "die_area", "io_bw", "mem_bw",
	"mem_bw_density", "datacenter", "quantity", "aggregate_tpp",
	"chip_name", "training_ops", "published", "derived_from_published",
	"base_training_ops", "additional_training_ops", "destination",
	"recipient_hq", "recipient_parent_hq", "recipient_country", "exporter",
	"exporter_country", "export_type", "release", "eccn", "ops_threshold",
	"note1_excluded", "consignee_year_tpp",
};

enum pred_op {
	P_ALL, P_ANY, P_NOT, P_GE, P_GT, P_LE, P_LT, P_EQ, P_NE, P_IN,
	P_IN_GROUP, P_ECCN, P_KNOWN, P_TRUE, P_FALSE
};

static const struct {
	const char	*name;
	enum pred_op	 op;
} pred_ops[] = {
	{ "all", P_ALL }, { "any", P_ANY }, { "not", P_NOT }, { "ge", P_GE },
	{ "gt", P_GT }, { "le", P_LE }, { "lt", P_LT }, { "eq", P_EQ },
	{ "ne", P_NE }, { "in", P_IN }, { "in_group", P_IN_GROUP },
	{ "eccn", P_ECCN }, { "known", P_KNOWN }, { "true", P_TRUE },
	{ "false", P_FALSE },
};

enum expr_type { E_NUM, E_STR, E_BOOL, E_FACT, E_MAX, E_MIN, E_ADD, E_MUL };

struct expr {
	enum expr_type	  type;
	double		  num;
	bool		  b;
	char		 *s;		/* string literal or fact name */
	struct expr	**args;
	size_t		  nargs;
};

struct pred {
	enum pred_op	  op;
	char		 *fact;		/* comparisons, in, in_group, known */
	char		 *arg;		/* in_group: group; eccn: prefix */
	struct expr	 *expr;		/* comparisons */
	struct expr	**values;	/* in: literals */
	size_t		  nvalues;
	struct pred	**kids;		/* all, any, not */
	size_t		  nkids;
};

/* A value during evaluation; FACT_NONE is missing. */
struct value {
	enum fact_type	 type;
	double		 num;
	bool		 b;
	const char	*s;
};

/* Free an expression tree. */
static void
expr_free(struct expr *e)
{
	size_t	 i;

	if (e == NULL)
		return;
	for (i = 0; i < e->nargs; i++)
		expr_free(e->args[i]);
	free(e->args);
	free(e->s);
	free(e);
}

/* Free a compiled predicate. */
void
pred_free(struct pred *p)
{
	size_t	 i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nkids; i++)
		pred_free(p->kids[i]);
	free(p->kids);
	for (i = 0; i < p->nvalues; i++)
		expr_free(p->values[i]);
	free(p->values);
	expr_free(p->expr);
	free(p->fact);
	free(p->arg);
	free(p);
}

/* Is name a fact of docs/ruleset.md? */
static bool
pred_fact_known(const char *name)
{
	size_t	 i;

	for (i = 0; i < nitems(pred_facts); i++) {
		if (strcmp(pred_facts[i], name) == 0)
			return (true);
	}
	return (false);
}

/* Compile an expression: a literal, {"fact": name} or [op, E...]. */
static struct expr *
expr_compile(const json_t *j, char **cause)
{
	struct expr	*e, *a;
	const json_t	*f;
	const char	*op;
	size_t		 i;

	e = xcalloc(1, sizeof *e);
	if (json_is_number(j)) {
		e->type = E_NUM;
		e->num = json_number_value(j);
	} else if (json_is_string(j)) {
		e->type = E_STR;
		e->s = xstrdup(json_string_value(j));
	} else if (json_is_boolean(j)) {
		e->type = E_BOOL;
		e->b = json_is_true(j);
	} else if (json_is_object(j)) {
		f = json_object_get(j, "fact");
		if (!json_is_string(f) || json_object_size(j) != 1) {
			xasprintf(cause, "expression object must be "
			    "{\"fact\": NAME}");
			goto fail;
		}
		if (!pred_fact_known(json_string_value(f))) {
			xasprintf(cause, "unknown fact \"%s\"",
			    json_string_value(f));
			goto fail;
		}
		e->type = E_FACT;
		e->s = xstrdup(json_string_value(f));
	} else if (json_is_array(j) && json_array_size(j) >= 2 &&
	    json_is_string(json_array_get(j, 0))) {
		op = json_string_value(json_array_get(j, 0));
		if (strcmp(op, "max") == 0)
			e->type = E_MAX;
		else if (strcmp(op, "min") == 0)
			e->type = E_MIN;
		else if (strcmp(op, "add") == 0)
			e->type = E_ADD;
		else if (strcmp(op, "mul") == 0)
			e->type = E_MUL;
		else {
			xasprintf(cause, "unknown expression operator \"%s\"",
			    op);
			goto fail;
		}
		for (i = 1; i < json_array_size(j); i++) {
			a = expr_compile(json_array_get(j, i), cause);
			if (a == NULL)
				goto fail;
			if (a->type == E_STR || a->type == E_BOOL) {
				expr_free(a);
				xasprintf(cause, "\"%s\" takes numbers", op);
				goto fail;
			}
			e->args = xreallocarray(e->args, e->nargs + 1,
			    sizeof *e->args);
			e->args[e->nargs++] = a;
		}
	} else {
		xasprintf(cause, "bad expression");
		goto fail;
	}
	return (e);

fail:
	expr_free(e);
	return (NULL);
}

/* Compile a predicate from its JSON form; on error *cause says why. */
struct pred *
pred_compile(const json_t *j, char **cause)
{
	struct pred	*p, *k;
	const json_t	*a;
	const char	*name, *fact;
	size_t		 i, n;

	if (!json_is_array(j) || json_array_size(j) == 0 ||
	    !json_is_string(json_array_get(j, 0))) {
		xasprintf(cause, "predicate must be an array starting with "
		    "an operator name");
		return (NULL);
	}
	n = json_array_size(j);
	name = json_string_value(json_array_get(j, 0));
	p = xcalloc(1, sizeof *p);
	for (i = 0; i < nitems(pred_ops); i++) {
		if (strcmp(pred_ops[i].name, name) == 0)
			break;
	}
	if (i == nitems(pred_ops)) {
		xasprintf(cause, "unknown operator \"%s\"", name);
		goto fail;
	}
	p->op = pred_ops[i].op;

	switch (p->op) {
	case P_ALL:
	case P_ANY:
	case P_NOT:
		if (n < 2 || (p->op == P_NOT && n != 2)) {
			xasprintf(cause, "\"%s\" needs %s", name,
			    p->op == P_NOT ? "one operand" :
			    "at least one operand");
			goto fail;
		}
		for (i = 1; i < n; i++) {
			k = pred_compile(json_array_get(j, i), cause);
			if (k == NULL)
				goto fail;
			p->kids = xreallocarray(p->kids, p->nkids + 1,
			    sizeof *p->kids);
			p->kids[p->nkids++] = k;
		}
		return (p);
	case P_TRUE:
	case P_FALSE:
		if (n != 1) {
			xasprintf(cause, "\"%s\" takes no operand", name);
			goto fail;
		}
		return (p);
	case P_ECCN:
		if (n != 2 || !json_is_string(json_array_get(j, 1))) {
			xasprintf(cause, "\"eccn\" needs one ECCN prefix");
			goto fail;
		}
		p->arg = xstrdup(json_string_value(json_array_get(j, 1)));
		return (p);
	default:
		break;
	}

	/* Everything else starts with a fact name. */
	if (n < 2 || !json_is_string(json_array_get(j, 1))) {
		xasprintf(cause, "\"%s\" needs a fact name", name);
		goto fail;
	}
	fact = json_string_value(json_array_get(j, 1));
	if (!pred_fact_known(fact)) {
		xasprintf(cause, "unknown fact \"%s\"", fact);
		goto fail;
	}
	p->fact = xstrdup(fact);

	switch (p->op) {
	case P_KNOWN:
		if (n != 2) {
			xasprintf(cause, "\"known\" takes one fact");
			goto fail;
		}
		break;
	case P_IN:
		a = json_array_get(j, 2);
		if (n != 3 || !json_is_array(a)) {
			xasprintf(cause, "\"in\" needs a fact and an array of "
			    "values");
			goto fail;
		}
		for (i = 0; i < json_array_size(a); i++) {
			const json_t	*v = json_array_get(a, i);

			if (!json_is_string(v) && !json_is_number(v) &&
			    !json_is_boolean(v)) {
				xasprintf(cause, "\"in\" values must be "
				    "literals");
				goto fail;
			}
			p->values = xreallocarray(p->values, p->nvalues + 1,
			    sizeof *p->values);
			p->values[p->nvalues++] = expr_compile(v, cause);
		}
		break;
	case P_IN_GROUP:
		if (n != 3 || !json_is_string(json_array_get(j, 2))) {
			xasprintf(cause, "\"in_group\" needs a fact and a "
			    "country group");
			goto fail;
		}
		p->arg = xstrdup(json_string_value(json_array_get(j, 2)));
		break;
	default:	/* comparisons */
		if (n != 3) {
			xasprintf(cause, "\"%s\" needs a fact and an "
			    "expression", name);
			goto fail;
		}
		p->expr = expr_compile(json_array_get(j, 2), cause);
		if (p->expr == NULL)
			goto fail;
		break;
	}
	return (p);

fail:
	pred_free(p);
	return (NULL);
}

/* The value of a fact, noting it in missing when it is absent. */
static struct value
pred_fact_value(const char *name, const struct facts *f, struct strset *missing)
{
	struct value		 v = { FACT_NONE, 0, false, NULL };
	const struct fact	*fc;

	fc = facts_find(f, name);
	if (fc == NULL) {
		strset_add(missing, name);
		return (v);
	}
	v.type = fc->type;
	v.num = fc->num;
	v.b = fc->b;
	v.s = fc->str;
	return (v);
}

/* Evaluate an expression; FACT_NONE if a fact in it is missing. */
static struct value
expr_eval(const struct expr *e, const struct facts *f, struct strset *missing)
{
	struct value	 v = { FACT_NONE, 0, false, NULL }, a;
	size_t		 i;
	bool		 unknown = false;

	switch (e->type) {
	case E_NUM:
		v.type = FACT_NUM;
		v.num = e->num;
		return (v);
	case E_STR:
		v.type = FACT_STR;
		v.s = e->s;
		return (v);
	case E_BOOL:
		v.type = FACT_BOOL;
		v.b = e->b;
		return (v);
	case E_FACT:
		return (pred_fact_value(e->s, f, missing));
	default:
		break;
	}
	for (i = 0; i < e->nargs; i++) {
		a = expr_eval(e->args[i], f, missing);
		if (a.type != FACT_NUM) {
			unknown = true;
			continue;
		}
		if (i == 0) {
			v.num = a.num;
			continue;
		}
		switch (e->type) {
		case E_MAX:
			v.num = fmax(v.num, a.num);
			break;
		case E_MIN:
			v.num = fmin(v.num, a.num);
			break;
		case E_ADD:
			v.num += a.num;
			break;
		default:
			v.num *= a.num;
			break;
		}
	}
	if (!unknown)
		v.type = FACT_NUM;
	return (v);
}

/* Compare two known values; mismatched types are unequal and unordered. */
static bool
pred_compare(enum pred_op op, const struct value *l, const struct value *r)
{
	int	 c;

	if (l->type != r->type)
		return (op == P_NE);
	switch (l->type) {
	case FACT_NUM:
		c = l->num < r->num ? -1 : l->num > r->num ? 1 : 0;
		break;
	case FACT_BOOL:
		if (op != P_EQ && op != P_NE)
			return (false);
		c = l->b == r->b ? 0 : 1;
		break;
	default:
		c = strcasecmp(l->s, r->s);
		break;
	}
	switch (op) {
	case P_GE:
		return (c >= 0);
	case P_GT:
		return (c > 0);
	case P_LE:
		return (c <= 0);
	case P_LT:
		return (c < 0);
	case P_EQ:
		return (c == 0);
	default:
		return (c != 0);
	}
}

/* Does eccn start with prefix at a paragraph boundary? */
bool
pred_eccn_matches(const char *eccn, const char *prefix)
{
	size_t	 n;

	if (eccn == NULL || prefix == NULL)
		return (false);
	n = strlen(prefix);
	if (n == 0 || strncasecmp(eccn, prefix, n) != 0)
		return (false);
	return (eccn[n] == '\0' || eccn[n] == '.');
}

/*
 * Evaluate p on facts as of date d. Facts whose absence made the result
 * unknown are added to missing (which may be NULL).
 */
enum tv
pred_eval(const struct pred *p, const struct facts *f,
    const struct ruleset *rs, ear_date d, struct strset *missing)
{
	struct strset	 tmp;
	struct value	 l, r;
	enum tv		 t, res;
	size_t		 i;
	const char	*eccn;

	switch (p->op) {
	case P_TRUE:
		return (TV_TRUE);
	case P_FALSE:
		return (TV_FALSE);
	case P_NOT:
		t = pred_eval(p->kids[0], f, rs, d, missing);
		return (t == TV_UNKNOWN ? TV_UNKNOWN :
		    t == TV_TRUE ? TV_FALSE : TV_TRUE);
	case P_ALL:
	case P_ANY:
		strset_init(&tmp);
		res = p->op == P_ALL ? TV_TRUE : TV_FALSE;
		for (i = 0; i < p->nkids; i++) {
			t = pred_eval(p->kids[i], f, rs, d, &tmp);
			if (p->op == P_ALL && t == TV_FALSE) {
				strset_clear(&tmp);
				return (TV_FALSE);
			}
			if (p->op == P_ANY && t == TV_TRUE) {
				strset_clear(&tmp);
				return (TV_TRUE);
			}
			if (t == TV_UNKNOWN)
				res = TV_UNKNOWN;
		}
		strset_merge(missing, &tmp);
		return (res);
	case P_KNOWN:
		return (facts_find(f, p->fact) != NULL ? TV_TRUE : TV_FALSE);
	case P_ECCN:
		eccn = facts_get_str(f, "eccn");
		if (eccn == NULL) {
			strset_add(missing, "eccn");
			return (TV_UNKNOWN);
		}
		return (pred_eccn_matches(eccn, p->arg) ? TV_TRUE : TV_FALSE);
	case P_IN_GROUP:
		l = pred_fact_value(p->fact, f, missing);
		if (l.type == FACT_NONE)
			return (TV_UNKNOWN);
		if (l.type != FACT_STR || rs == NULL)
			return (TV_FALSE);
		return (ruleset_group_member(rs, p->arg, l.s, d) == 1 ?
		    TV_TRUE : TV_FALSE);
	case P_IN:
		l = pred_fact_value(p->fact, f, missing);
		if (l.type == FACT_NONE)
			return (TV_UNKNOWN);
		for (i = 0; i < p->nvalues; i++) {
			r = expr_eval(p->values[i], f, NULL);
			if (pred_compare(P_EQ, &l, &r))
				return (TV_TRUE);
		}
		return (TV_FALSE);
	default:
		strset_init(&tmp);
		l = pred_fact_value(p->fact, f, &tmp);
		r = expr_eval(p->expr, f, &tmp);
		if (l.type == FACT_NONE || r.type == FACT_NONE) {
			strset_merge(missing, &tmp);
			return (TV_UNKNOWN);
		}
		strset_clear(&tmp);
		return (pred_compare(p->op, &l, &r) ? TV_TRUE : TV_FALSE);
	}
}

/* "false", "true" or "unknown". */
const char *
tv_name(enum tv t)
{
	switch (t) {
	case TV_FALSE:
		return ("false");
	case TV_TRUE:
		return ("true");
	default:
		return ("unknown");
	}
}

/*
 * Call cb for every comparison of a fact with a number literal in p: the
 * thresholds a determination reports margins to.
 */
void
pred_walk_thresholds(const struct pred *p, pred_threshold_cb cb, void *arg)
{
	static const char *ops[] = { [P_GE] = ">=", [P_GT] = ">",
	    [P_LE] = "<=", [P_LT] = "<", [P_EQ] = "==", [P_NE] = "!=" };
	size_t	 i;

	for (i = 0; i < p->nkids; i++)
		pred_walk_thresholds(p->kids[i], cb, arg);
	if (p->op >= P_GE && p->op <= P_NE && p->expr != NULL &&
	    p->expr->type == E_NUM)
		cb(p->fact, ops[p->op], p->expr->num, arg);
}

/* A number as the regulation writes it: 4800, 5.92, 26900000, 1e26. */
static void
pred_fmt_num(double v, char *out, size_t len)
{
	char	*e;

	if (v == floor(v) && fabs(v) < 1e15)
		snprintf(out, len, "%.0f", v);
	else {
		snprintf(out, len, "%.6g", v);
		if ((e = strstr(out, "e+")) != NULL)
			memmove(e + 1, e + 2, strlen(e + 2) + 1);
	}
}

/* A growing string for predicates in words. */
struct ptext {
	char	*s;
	size_t	 len, cap;
};

/* Append printf-style text, growing the buffer. */
static void PRINTFLIKE(2, 3)
ptext_add(struct ptext *t, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			fatalx("vsnprintf failed");
		if ((size_t)n < t->cap - t->len)
			break;
		t->cap = (t->cap + n + 1) * 2;
		t->s = xreallocarray(t->s, t->cap, 1);
	}
	t->len += n;
}

/* Append an expression in words. */
static void
expr_text(const struct expr *e, struct ptext *t)
{
	static const char *names[] = { [E_MAX] = "max", [E_MIN] = "min",
	    [E_ADD] = "sum", [E_MUL] = "product" };
	char	 num[32];
	size_t	 i;

	switch (e->type) {
	case E_NUM:
		pred_fmt_num(e->num, num, sizeof num);
		ptext_add(t, "%s", num);
		break;
	case E_STR:
		ptext_add(t, "\"%s\"", e->s);
		break;
	case E_BOOL:
		ptext_add(t, "%s", e->b ? "true" : "false");
		break;
	case E_FACT:
		ptext_add(t, "%s", e->s);
		break;
	default:
		ptext_add(t, "%s(", names[e->type]);
		for (i = 0; i < e->nargs; i++) {
			if (i > 0)
				ptext_add(t, ", ");
			expr_text(e->args[i], t);
		}
		ptext_add(t, ")");
		break;
	}
}

/* Append a predicate in words. */
static void
pred_text(const struct pred *p, struct ptext *t)
{
	static const char *ops[] = { [P_GE] = ">=", [P_GT] = ">",
	    [P_LE] = "<=", [P_LT] = "<", [P_EQ] = "=", [P_NE] = "!=" };
	size_t	 i;

	switch (p->op) {
	case P_TRUE:
		ptext_add(t, "always");
		break;
	case P_FALSE:
		ptext_add(t, "never");
		break;
	case P_NOT:
		ptext_add(t, "not ");
		pred_text(p->kids[0], t);
		break;
	case P_ALL:
	case P_ANY:
		ptext_add(t, "(");
		for (i = 0; i < p->nkids; i++) {
			if (i > 0)
				ptext_add(t, " %s ", p->op == P_ALL ? "and" :
				    "or");
			pred_text(p->kids[i], t);
		}
		ptext_add(t, ")");
		break;
	case P_KNOWN:
		ptext_add(t, "%s is known", p->fact);
		break;
	case P_ECCN:
		ptext_add(t, "ECCN in %s", p->arg);
		break;
	case P_IN_GROUP:
		ptext_add(t, "%s in Country Group %s", p->fact, p->arg);
		break;
	case P_IN:
		ptext_add(t, "%s in [", p->fact);
		for (i = 0; i < p->nvalues; i++) {
			if (i > 0)
				ptext_add(t, ", ");
			expr_text(p->values[i], t);
		}
		ptext_add(t, "]");
		break;
	default:
		ptext_add(t, "%s %s ", p->fact, ops[p->op]);
		expr_text(p->expr, t);
		break;
	}
}

/* A predicate in words, e.g. "(tpp >= 4800 or pd >= 5.92)"; caller frees. */
char *
pred_to_text(const struct pred *p)
{
	struct ptext	 t;

	t.cap = 128;
	t.len = 0;
	t.s = xmalloc(t.cap);
	t.s[0] = '\0';
	pred_text(p, &t);
	return (t.s);
}

/*
 * The part of a false predicate that makes it false, in words: the first
 * false conjunct of an "all", followed down; the whole predicate otherwise.
 * Caller frees.
 */
char *
pred_why_false(const struct pred *p, const struct facts *f,
    const struct ruleset *rs, ear_date d)
{
	size_t	 i;

	if (p->op == P_ALL) {
		for (i = 0; i < p->nkids; i++) {
			if (pred_eval(p->kids[i], f, rs, d, NULL) == TV_FALSE)
				return (pred_why_false(p->kids[i], f, rs, d));
		}
	}
	return (pred_to_text(p));
}

/* Add to missing every fact a "known" in p asks about that is absent. */
void
pred_absent_known(const struct pred *p, const struct facts *f,
    struct strset *missing)
{
	size_t	 i;

	for (i = 0; i < p->nkids; i++)
		pred_absent_known(p->kids[i], f, missing);
	if (p->op == P_KNOWN && facts_find(f, p->fact) == NULL)
		strset_add(missing, p->fact);
}

/* The guard of one predicate node, if it is a comparison or an "in". */
static bool
pred_guard_node(const struct pred *p, struct pred_guard *g)
{
	size_t	 i;

	if (p->op == P_IN) {
		g->kind = GUARD_IN;
		g->fact = p->fact;
		g->values = xcalloc(p->nvalues + 1, sizeof *g->values);
		g->nvalues = 0;
		for (i = 0; i < p->nvalues; i++) {
			/* Other literals never equal a string fact. */
			if (p->values[i]->type == E_STR)
				g->values[g->nvalues++] = p->values[i]->s;
		}
		return (true);
	}
	if ((p->op == P_GE || p->op == P_GT) && p->expr != NULL &&
	    p->expr->type == E_NUM) {
		g->kind = GUARD_MIN;
		g->fact = p->fact;
		g->min = p->expr->num;
		g->strict = p->op == P_GT;
		return (true);
	}
	return (false);
}

/*
 * A necessary condition of p for the rule indexes of ruleset.c: p is false
 * whenever the guard's fact is known and fails it (a string not among the
 * values of an "in", a number below the bound of a "ge"/"gt"). Taken from
 * p itself or a conjunct of a top-level "all", an "in" preferred. When the
 * fact is absent p may be unknown, so an index must keep the rule then.
 * GUARD_NONE when p has none; g->values is the caller's to free.
 */
void
pred_guard(const struct pred *p, struct pred_guard *g)
{
	struct pred_guard	 num;
	size_t			 i;
	bool			 have_num = false;

	memset(g, 0, sizeof *g);
	memset(&num, 0, sizeof num);
	g->kind = GUARD_NONE;
	if (p->op != P_ALL) {
		if (!pred_guard_node(p, g))
			g->kind = GUARD_NONE;
		return;
	}
	for (i = 0; i < p->nkids; i++) {
		if (p->kids[i]->op == P_IN) {
			pred_guard_node(p->kids[i], g);
			return;
		}
		if (!have_num && pred_guard_node(p->kids[i], &num))
			have_num = true;
	}
	if (have_num)
		*g = num;
}
