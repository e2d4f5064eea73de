/*
 * determine.c: the determination of docs/ruleset.md, "Determination".
 *
 * determine() is a pure function of a ruleset snapshot and a decoded check.
 * It runs twice, once per layer (what BIS enforces, what the text says), and
 * within a layer once per classification the facts leave open: when the
 * answer is the same under every open classification it stands, otherwise
 * the verdict is needs_review and `missing` names the request fields that
 * would settle it (fail closed, only where it could change the answer).
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine.h"

#define DET_MAX_ALTS	16

/* Review policies from the most to the least strict. */
static const char *det_policies[] = { "policy_of_denial",
    "presumption_of_denial", "case_by_case", "presumption_of_approval" };

/* What one layer decides for one classification. */
struct outcome {
	enum verdict_kind kind;
	json_t		*reqs;		/* requirements considered */
	json_t		*excs;		/* exceptions considered */
	json_t		*notes;
	struct strset	 missing;	/* fact names */
	int		 policy;	/* index in det_policies, -1 none */
	json_t		*used;		/* rules used: for uncertain notes */
};

/* The state of one determination. */
struct det {
	const struct ruleset	*rs;
	const struct check	*c;
	ear_date		 d;
	const char		*item;	/* "chip", "model" */
	struct facts		*facts;
	json_t			*notes;
	struct model_count	 count;
	bool			 counted;
	double			 tpp, pd;
	enum tv			 published;	/* on as_of */
	struct rs_cand		 cand;		/* rules that may apply */
};

/* Append a note unless the same sentence is already there. */
static void
det_note(json_t *notes, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	size_t	 i;
	json_t	*v;

	va_start(ap, fmt);
	xvasprintf(&s, fmt, ap);
	va_end(ap);
	json_array_foreach(notes, i, v) {
		if (strcmp(json_string_value(v), s) == 0) {
			free(s);
			return;
		}
	}
	json_array_append_new(notes, json_string(s));
	free(s);
}

/* Append the notes of from that to lacks. */
static void
det_notes_merge(json_t *to, const json_t *from)
{
	size_t	 i;
	json_t	*v;

	json_array_foreach(from, i, v)
		det_note(to, "%s", json_string_value(v));
}

/* A string as JSON; null for NULL. */
static json_t *
det_str(const char *s)
{
	return (s != NULL ? json_string(s) : json_null());
}

/* The Federal Register citation of a rule's source, else its id. */
static const char *
det_rule_cite(const struct det *dt, const struct rs_meta *m)
{
	const struct rs_source	*s;

	s = ruleset_source(dt->rs, m->source);
	if (s != NULL && s->citation != NULL)
		return (s->citation);
	return (m->source);
}

/* Remember a rule as used, for its uncertain sentence. */
static void
det_used(json_t *used, const struct rs_meta *m)
{
	if (m->uncertain != NULL)
		json_object_set_new(used, m->id, json_string(m->uncertain));
}

/* A lower-cased copy. */
static char *
det_lower(const char *s)
{
	char	*l, *p;

	l = xstrdup(s);
	for (p = l; *p != '\0'; p++)
		*p = tolower((unsigned char)*p);
	return (l);
}

/* Round for display (the exact value is in the margins). */
static double
det_round(double v, double unit)
{
	return (round(v / unit) * unit);
}

/* The facts of a chip check (docs/ruleset.md, "Facts"). */
static void
det_chip_facts(struct det *dt)
{
	const struct check	*c = dt->c;
	struct facts		*f = dt->facts;
	char			*l;
	double			 dens;

	facts_set_str(f, "chip_kind", c->chip_kind);
	dt->tpp = chip_compute_tpp(c->perf, c->nperf, NULL);
	if (isnan(dt->tpp) && c->nperf == 0 && c->chip_kind != NULL &&
	    strcmp(c->chip_kind, "hbm") == 0) {
		/* A memory device has no digital processing units. */
		dt->tpp = 0;
		det_note(dt->notes, "a memory device (chip.kind \"hbm\") has "
		    "no digital processing units: its TPP is taken as 0 "
		    "(15 CFR 774 Supp. 1, 3A090 Technical Note 2)");
	}
	dt->pd = chip_compute_pd(dt->tpp, c->die_area);
	facts_set_num(f, "tpp", dt->tpp);
	facts_set_num(f, "pd", dt->pd);
	facts_set_num(f, "die_area", c->die_area);
	facts_set_num(f, "io_bw", c->io_bw);
	facts_set_num(f, "mem_bw", c->mem_bw);
	dens = c->mem_bw_density;
	if (isnan(dens) && !isnan(c->mem_bw) && c->package_area > 0)
		dens = c->mem_bw / c->package_area;
	facts_set_num(f, "mem_bw_density", dens);
	if (c->datacenter != TV_UNKNOWN)
		facts_set_bool(f, "datacenter", c->datacenter == TV_TRUE);
	facts_set_num(f, "quantity", c->quantity);
	facts_set_num(f, "aggregate_tpp", dt->tpp * c->quantity);
	if (c->chip_name != NULL) {
		l = det_lower(c->chip_name);
		facts_set_str(f, "chip_name", l);
		free(l);
	}
	facts_set_num(f, "consignee_year_tpp", c->consignee_tpp);
}

/* The facts of a weights check, from the 4E091 count. */
static void
det_model_facts(struct det *dt)
{
	const struct check	*c = dt->c;
	struct facts		*f = dt->facts;
	struct model_params	 p;

	model_params_from_ruleset(dt->rs, dt->d, &p);
	if (model_count_ops(&c->model, &p, &dt->count) != 0) {
		/* The total stays missing; dt->count.missing names why. */
	}
	dt->counted = true;
	facts_set_num(f, "training_ops", dt->count.total);
	facts_set_num(f, "ops_threshold", dt->count.threshold);
	if (dt->count.note1_excluded != TV_UNKNOWN)
		facts_set_bool(f, "note1_excluded",
		    dt->count.note1_excluded == TV_TRUE);
	if (dt->published != TV_UNKNOWN)
		facts_set_bool(f, "published", dt->published == TV_TRUE);
	if (c->model.derived_published != TV_UNKNOWN)
		facts_set_bool(f, "derived_from_published",
		    c->model.derived_published == TV_TRUE);
	facts_set_num(f, "base_training_ops", c->model.derived_training_ops);
	facts_set_num(f, "additional_training_ops",
	    c->model.additional_training_ops);
	facts_set_str(f, "release", c->release);
}

/* The facts every check has: destination, parties, export type. */
static void
det_common_facts(struct det *dt)
{
	const struct check	*c = dt->c;
	struct facts		*f = dt->facts;
	char			*l;

	facts_set_str(f, "item", dt->item);
	facts_set_str(f, "destination", c->destination);
	facts_set_str(f, "export_type", c->export_type);
	facts_set_str(f, "recipient_hq", c->recipient_hq);
	/* Absent a stated ultimate parent, the recipient is its own. */
	facts_set_str(f, "recipient_parent_hq", c->recipient_parent_hq != NULL ?
	    c->recipient_parent_hq : c->recipient_hq);
	facts_set_str(f, "recipient_country", c->recipient_country != NULL ?
	    c->recipient_country : c->destination);
	if (c->exporter_name != NULL) {
		l = det_lower(c->exporter_name);
		facts_set_str(f, "exporter", l);
		free(l);
	}
	facts_set_str(f, "exporter_country", c->exporter_country);
}

/* The request field that supplies a fact, for `missing`. */
static void
det_missing_field(const struct det *dt, const char *fact, struct strset *out)
{
	static const struct {
		const char	*fact;
		const char	*field;
	} map[] = {
		{ "tpp", "chip.performance" },
		{ "aggregate_tpp", "chip.performance" },
		{ "die_area", "chip.die_area_mm2" },
		{ "io_bw", "chip.io_bandwidth_gbs" },
		{ "mem_bw", "chip.memory_bandwidth_gbs" },
		{ "mem_bw_density", "chip.memory_bandwidth_density_gbs_mm2" },
		{ "datacenter", "chip.datacenter" },
		{ "chip_name", "chip.name" },
		{ "chip_kind", "chip.kind" },
		{ "recipient_hq", "recipient.headquarters" },
		{ "recipient_parent_hq",
		    "recipient.ultimate_parent_headquarters" },
		{ "recipient_country", "recipient.country" },
		{ "exporter", "exporter.name" },
		{ "exporter_country", "exporter.country" },
		{ "published", "model.published" },
		{ "derived_from_published", "model.derived_from.published" },
		{ "base_training_ops", "model.derived_from.training_ops" },
		{ "additional_training_ops", "model.additional_training_ops" },
		{ "consignee_year_tpp", "consignee_year_tpp (shipments to "
		    "this consignee this calendar year)" },
	};
	size_t	 i;

	if (strcmp(fact, "pd") == 0) {
		strset_add(out, isnan(dt->tpp) ? "chip.performance" :
		    "chip.die_area_mm2");
		return;
	}
	if (strcmp(fact, "training_ops") == 0 ||
	    strcmp(fact, "note1_excluded") == 0) {
		for (i = 0; i < dt->count.nmissing; i++)
			strset_add(out, dt->count.missing[i]);
		if (dt->count.nmissing == 0)
			strset_add(out, "model.training_ops");
		return;
	}
	if (strcmp(fact, "eccn") == 0)
		return;
	for (i = 0; i < nitems(map); i++) {
		if (strcmp(map[i].fact, fact) == 0) {
			strset_add(out, map[i].field);
			return;
		}
	}
	strset_add(out, fact);
}

/* An empty outcome: no licence until a requirement says otherwise. */
static void
outcome_init(struct outcome *o)
{
	memset(o, 0, sizeof *o);
	o->kind = VERDICT_NO_LICENSE;
	o->reqs = json_array();
	o->excs = json_array();
	o->notes = json_array();
	o->used = json_object();
	o->policy = -1;
	strset_init(&o->missing);
}

/* Free what an outcome holds. */
static void
outcome_clear(struct outcome *o)
{
	json_decref(o->reqs);
	json_decref(o->excs);
	json_decref(o->notes);
	json_decref(o->used);
	strset_clear(&o->missing);
}

/* The strictness of a review policy (0 strictest), -1 if unknown. */
static int
det_policy_rank(const char *policy)
{
	size_t	 i;

	if (policy == NULL)
		return (-1);
	for (i = 0; i < nitems(det_policies); i++) {
		if (strcmp(policy, det_policies[i]) == 0)
			return ((int)i);
	}
	return (-1);
}

/* Keep the stricter of two policy ranks (-1 is none). */
static int
det_stricter(int a, int b)
{
	if (a < 0)
		return (b);
	if (b < 0)
		return (a);
	return (a < b ? a : b);
}

/* The review policy of an applying licence requirement. */
static json_t *
det_review_policy(struct det *dt, enum rs_layer layer, const struct rs_req *r,
    const char *eccn, struct outcome *o, const char **policy)
{
	const struct rs_policy	*p;
	struct strset		 tmp;
	json_t			*x;
	enum tv			 t;
	size_t			 i;
	bool			 unsure = false;

	*policy = r->review_policy;
	if (r->review_policy != NULL)
		return (NULL);
	for (i = 0; i < dt->rs->npolicies; i++) {
		p = &dt->rs->policies[i];
		if (!ruleset_in_force(dt->rs, &p->m, dt->d, layer))
			continue;
		if (p->reason != NULL && r->reason != NULL &&
		    strcmp(p->reason, r->reason) != 0)
			continue;
		if (p->eccns.set && (eccn == NULL ||
		    !ruleset_eccns_match(&p->eccns, eccn)))
			continue;
		strset_init(&tmp);
		t = pred_eval(p->when, dt->facts, dt->rs, dt->d, &tmp);
		if (t == TV_UNKNOWN && !unsure) {
			struct strset	 fields;

			strset_init(&fields);
			for (size_t k = 0; k < tmp.n; k++)
				det_missing_field(dt, tmp.v[k], &fields);
			json_t *fj = strset_to_json(&fields);
			char *fs = json_dumps(fj, JSON_COMPACT);
			det_note(o->notes, "review policy %s (%s) may apply "
			    "but could not be decided (missing: %s)", p->m.id,
			    p->m.citation != NULL ? p->m.citation : "?", fs);
			free(fs);
			json_decref(fj);
			strset_clear(&fields);
			unsure = true;
		}
		strset_clear(&tmp);
		if (t != TV_TRUE)
			continue;
		det_used(o->used, &p->m);
		*policy = p->policy;
		x = json_object();
		json_object_set_new(x, "id", json_incref(p->m.j_id));
		json_object_set_new(x, "citation",
		    json_incref(p->m.j_citation));
		json_object_set_new(x, "rule", json_incref(p->m.j_rule));
		json_object_set_new(x, "conditions",
		    json_incref(p->j_conditions));
		return (x);
	}
	return (NULL);
}

/* Evaluate the exceptions for an ECCN once; returns the best state. */
static enum tv
det_exceptions(struct det *dt, enum rs_layer layer, const char *eccn,
    struct outcome *o, struct strset *missing)
{
	const struct rs_exception *e;
	struct strset	 tmp;
	enum tv		 t, best = TV_FALSE;
	json_t		*x;
	size_t		 i;
	char		 why[1024], *cond;

	if (json_array_size(o->excs) != 0) {
		json_t *v;
		json_array_foreach(o->excs, i, v) {
			const json_t *a = json_object_get(v, "available");
			if (json_is_true(a))
				return (TV_TRUE);
			if (json_is_null(a))
				best = TV_UNKNOWN;
		}
		return (best);
	}
	for (i = 0; i < dt->rs->nexceptions; i++) {
		e = &dt->rs->exceptions[i];
		if (!ruleset_in_force(dt->rs, &e->m, dt->d, layer))
			continue;
		if (e->eccns.set && (eccn == NULL ||
		    !ruleset_eccns_match(&e->eccns, eccn)))
			continue;
		if (e->m.compliance != EAR_DATE_NINF &&
		    dt->d < e->m.compliance)
			continue;
		strset_init(&tmp);
		t = pred_eval(e->when, dt->facts, dt->rs, dt->d, &tmp);
		if (t == TV_TRUE) {
			best = TV_TRUE;
			det_used(o->used, &e->m);
			snprintf(why, sizeof why, "eligible on this date%s",
			    e->notification ? "; advance notification to "
			    "BIS is required before the export" : "");
		} else if (t == TV_UNKNOWN) {
			if (best != TV_TRUE)
				best = TV_UNKNOWN;
			strset_merge(missing, &tmp);
			snprintf(why, sizeof why, "eligibility could not be "
			    "decided from the facts given");
		} else {
			cond = pred_why_false(e->when, dt->facts, dt->rs,
			    dt->d);
			snprintf(why, sizeof why, "not eligible: it requires "
			    "%s", cond);
			free(cond);
		}
		strset_clear(&tmp);
		/* Fixed text is the ruleset's shared JSON (ruleset_index()). */
		x = json_object();
		json_object_set_new(x, "code", json_incref(e->j_code));
		json_object_set_new(x, "id", json_incref(e->m.j_id));
		json_object_set_new(x, "available", t == TV_UNKNOWN ?
		    json_null() : json_boolean(t == TV_TRUE));
		json_object_set_new(x, "why", json_string(why));
		json_object_set_new(x, "notification",
		    json_boolean(e->notification));
		json_object_set_new(x, "conditions",
		    json_incref(e->j_conditions));
		json_object_set_new(x, "citation",
		    json_incref(e->m.j_citation));
		json_object_set_new(x, "rule", json_incref(e->m.j_rule));
		json_object_set_new(x, "note", json_incref(e->m.j_note));
		json_object_set_new(x, "eligibility",
		    json_incref(e->j_when_text));
		json_array_append_new(o->excs, x);
	}
	return (best);
}

/*
 * Steps 3 to 5 of the determination for one layer and one classification
 * (eccn NULL: none).
 */
static void
det_requirements(struct det *dt, enum rs_layer layer, const char *eccn,
    struct outcome *o)
{
	const struct rs_req	*r;
	struct strset		 tmp, exmiss;
	enum tv			 t, ex;
	json_t			*x, *pol;
	const char		*policy, *status;
	size_t			 i, k;
	bool			 review = false, required = false;
	bool			 undetermined = false, overcome = false;
	char			 cd[11];
	int			 prank = -1, arank = -1;

	facts_set_str(dt->facts, "eccn", eccn != NULL ? eccn : "");
	ruleset_req_candidates(dt->rs, dt->c->kind, eccn, dt->facts,
	    &dt->cand);
	for (i = 0; i < dt->cand.n; i++) {
		r = &dt->rs->reqs[dt->cand.v[i]];
		if (r->item != NULL && strcmp(r->item, dt->item) != 0)
			continue;
		if (!ruleset_in_force(dt->rs, &r->m, dt->d, layer))
			continue;
		if (r->eccns.set && (eccn == NULL ||
		    !ruleset_eccns_match(&r->eccns, eccn)))
			continue;
		strset_init(&tmp);
		t = pred_eval(r->when, dt->facts, dt->rs, dt->d, &tmp);
		if (t == TV_FALSE) {
			strset_clear(&tmp);
			continue;
		}
		if (r->m.compliance != EAR_DATE_NINF &&
		    dt->d < r->m.compliance) {
			date_format(r->m.compliance, cd);
			det_note(o->notes, "%s (%s) is in the text on this "
			    "date but compliance is not required until %s: "
			    "not applied", r->m.id, r->m.citation != NULL ?
			    r->m.citation : det_rule_cite(dt, &r->m), cd);
			det_used(o->used, &r->m);
			strset_clear(&tmp);
			continue;
		}
		det_used(o->used, &r->m);
		policy = NULL;
		pol = NULL;
		if (t == TV_UNKNOWN) {
			status = "undetermined";
			undetermined = true;
			strset_merge(&o->missing, &tmp);
		} else if (strcmp(r->effect, "needs_review") == 0) {
			status = "needs_review";
			review = true;
			/* A review rule firing on an absent fact names it. */
			pred_absent_known(r->when, dt->facts, &o->missing);
		} else {
			pol = det_review_policy(dt, layer, r, eccn, o, &policy);
			status = "applies";
			if (r->exceptions) {
				strset_init(&exmiss);
				ex = det_exceptions(dt, layer, eccn, o,
				    &exmiss);
				if (ex == TV_TRUE) {
					status = "overcome";
					overcome = true;
				} else if (ex == TV_UNKNOWN) {
					status = "exception_undetermined";
					undetermined = true;
					for (k = 0; k < exmiss.n; k++)
						strset_add(&o->missing,
						    exmiss.v[k]);
				} else
					required = true;
				strset_clear(&exmiss);
			} else
				required = true;
			if (strcmp(status, "overcome") != 0)
				prank = det_stricter(prank,
				    det_policy_rank(policy));
			arank = det_stricter(arank, det_policy_rank(policy));
		}
		strset_clear(&tmp);
		if (r->m.note != NULL && strcmp(status, "overcome") != 0)
			det_note(o->notes, "%s: %s", r->m.id, r->m.note);
		x = json_object();
		json_object_set_new(x, "id", json_incref(r->m.j_id));
		json_object_set_new(x, "version",
		    json_integer(r->m.version));
		json_object_set_new(x, "kind", json_incref(r->j_kind));
		json_object_set_new(x, "reason", json_incref(r->j_reason));
		json_object_set_new(x, "review_policy", det_str(policy));
		json_object_set_new(x, "status", json_string_nocheck(status));
		json_object_set_new(x, "citation",
		    json_incref(r->m.j_citation));
		json_object_set_new(x, "rule", json_incref(r->m.j_rule));
		json_object_set_new(x, "note", json_incref(r->m.j_note));
		json_object_set_new(x, "text", json_incref(r->m.j_text));
		json_object_set_new(x, "from", json_incref(r->m.j_from));
		json_object_set_new(x, "exceptions",
		    json_boolean(r->exceptions));
		json_object_set_new(x, "condition",
		    json_incref(r->j_when_text));
		if (pol != NULL)
			json_object_set_new(x, "review_policy_rule", pol);
		json_array_append_new(o->reqs, x);
	}
	o->policy = required || prank >= 0 ? prank : arank;
	if (review)
		o->kind = VERDICT_REVIEW;
	else if (required)
		o->kind = VERDICT_REQUIRED;
	else if (undetermined)
		o->kind = VERDICT_REVIEW;
	else if (overcome)
		o->kind = VERDICT_EXCEPTION;
	else
		o->kind = VERDICT_NO_LICENSE;
	if (o->kind != VERDICT_REVIEW)
		strset_clear(&o->missing);
}

/* One classification the facts leave open, and the rule behind it. */
struct det_alt {
	const struct rs_class	*rule;	/* NULL: no ECCN */
	enum tv			 state;
};

/*
 * Step 2: the classification in a layer. Fills alts with the first true
 * rule (or none) preceded by every rule left unknown before it; returns the
 * count. The facts that left them unknown go to missing.
 */
static size_t
det_classify(struct det *dt, enum rs_layer layer, struct det_alt *alts,
    struct strset *missing)
{
	const struct rs_class	*c;
	struct strset		 tmp;
	enum tv			 t;
	size_t			 i, n = 0;

	facts_unset(dt->facts, "eccn");
	ruleset_class_candidates(dt->rs, dt->c->kind, dt->facts, &dt->cand);
	for (i = 0; i < dt->cand.n; i++) {
		c = &dt->rs->classes[dt->cand.v[i]];
		if (strcmp(c->item, dt->item) != 0 ||
		    !ruleset_in_force(dt->rs, &c->m, dt->d, layer))
			continue;
		strset_init(&tmp);
		t = pred_eval(c->when, dt->facts, dt->rs, dt->d, &tmp);
		if (t == TV_FALSE) {
			strset_clear(&tmp);
			continue;
		}
		if (t == TV_UNKNOWN) {
			strset_merge(missing, &tmp);
			if (n < DET_MAX_ALTS - 1) {
				alts[n].rule = c;
				alts[n++].state = TV_UNKNOWN;
			}
			continue;
		}
		strset_clear(&tmp);
		alts[n].rule = c;
		alts[n++].state = TV_TRUE;
		return (n);
	}
	alts[n].rule = NULL;
	alts[n++].state = TV_TRUE;
	return (n);
}

/*
 * Margins to every number a classification or requirement compares. The
 * thresholds are numbered per snapshot (ruleset_index()): a margin object
 * is found by its key's number and a rule listed under it at most once by
 * a bit per rule id.
 */
struct det_margins {
	struct det	*dt;
	json_t		*out;
	json_t		**obj;		/* by key number */
	uint64_t	**seen;		/* by key number: bits by rule id */
};

/* Record the thresholds a rule compares known facts with. */
static void
det_margin_rule(struct det_margins *dm, const struct rs_thr *thr, size_t n,
    json_t *id)
{
	const struct ruleset	*rs = dm->dt->rs;
	json_t			*m;
	uint64_t		*bits;
	double			 v;
	size_t			 i;

	for (i = 0; i < n; i++) {
		if (!facts_get_num(dm->dt->facts, thr[i].fact, &v))
			continue;
		if ((m = dm->obj[thr[i].key_ix]) == NULL) {
			m = json_object();
			json_object_set_new(m, "fact",
			    json_string_nocheck(thr[i].fact));
			json_object_set_new(m, "value", json_real(v));
			json_object_set_new(m, "threshold",
			    json_real(thr[i].value));
			json_object_set_new(m, "margin",
			    json_real(v - thr[i].value));
			json_object_set_new(m, "at_or_above",
			    json_boolean(v >= thr[i].value));
			json_object_set_new(m, "rules", json_array());
			json_object_set_new(dm->out, thr[i].key, m);
			dm->obj[thr[i].key_ix] = m;
			dm->seen[thr[i].key_ix] = xcalloc(
			    (rs->nthr_rules + 63) / 64, sizeof *bits);
		}
		bits = dm->seen[thr[i].key_ix];
		if (bits[thr[i].rule_ix / 64] & (1ULL << (thr[i].rule_ix % 64)))
			continue;
		bits[thr[i].rule_ix / 64] |= 1ULL << (thr[i].rule_ix % 64);
		json_array_append(json_object_get(m, "rules"), id);
	}
}

/* Margins to every number the rules in force compare. */
static json_t *
det_margins(struct det *dt)
{
	struct det_margins	 dm;
	size_t			 i;

	dm.dt = dt;
	dm.out = json_object();
	dm.obj = xcalloc(dt->rs->nthr_keys + 1, sizeof *dm.obj);
	dm.seen = xcalloc(dt->rs->nthr_keys + 1, sizeof *dm.seen);
	for (i = 0; i < dt->rs->nclasses; i++) {
		const struct rs_class *c = &dt->rs->classes[i];

		if (c->nthr == 0 || strcmp(c->item, dt->item) != 0 ||
		    !date_in(dt->d, c->m.from, c->m.to))
			continue;
		det_margin_rule(&dm, c->thr, c->nthr, c->m.j_id);
	}
	for (i = 0; i < dt->rs->npolicies; i++) {
		const struct rs_policy *p = &dt->rs->policies[i];

		if (p->nthr == 0 || !date_in(dt->d, p->m.from, p->m.to))
			continue;
		det_margin_rule(&dm, p->thr, p->nthr, p->m.j_id);
	}
	for (i = 0; i < dt->rs->nreqs; i++) {
		const struct rs_req *r = &dt->rs->reqs[i];

		if (r->nthr == 0 || (r->item != NULL &&
		    strcmp(r->item, dt->item) != 0) ||
		    !date_in(dt->d, r->m.from, r->m.to))
			continue;
		det_margin_rule(&dm, r->thr, r->nthr, r->m.j_id);
	}
	for (i = 0; i < dt->rs->nthr_keys; i++)
		free(dm.seen[i]);
	free(dm.seen);
	free(dm.obj);
	return (dm.out);
}

/* A layer's answer: the outcome and the classification it rests on. */
struct layer_result {
	struct outcome		 o;
	const struct rs_class	*rule;
	bool			 open;	/* classification left open */
};

/* The ECCN of an open classification, or "no ECCN". */
static const char *
det_alt_name(const struct det_alt *a)
{
	return (a->rule != NULL ? a->rule->eccn : "no ECCN");
}

/* Steps 2 to 5 in one layer. */
static void
det_layer(struct det *dt, enum rs_layer layer, struct layer_result *lr)
{
	struct det_alt	 alts[DET_MAX_ALTS];
	struct outcome	 o[DET_MAX_ALTS];
	struct strset	 cmiss;
	size_t		 n, i, k;
	bool		 same = true;

	strset_init(&cmiss);
	n = det_classify(dt, layer, alts, &cmiss);
	for (i = 0; i < n; i++) {
		outcome_init(&o[i]);
		det_requirements(dt, layer, alts[i].rule != NULL ?
		    alts[i].rule->eccn : NULL, &o[i]);
		if (o[i].kind != o[0].kind || o[i].policy != o[0].policy)
			same = false;
	}
	/* The primary is the first true classification (the last alt). */
	if (alts[n - 1].rule != NULL)
		det_used(o[n - 1].used, &alts[n - 1].rule->m);
	lr->o = o[n - 1];
	lr->rule = alts[n - 1].rule;
	lr->open = n > 1;
	if (n > 1) {
		char	*fs;
		struct strset fields;

		strset_init(&fields);
		for (k = 0; k < cmiss.n; k++)
			det_missing_field(dt, cmiss.v[k], &fields);
		fs = xstrdup("");
		for (k = 0; k < fields.n; k++) {
			char	*t;

			xasprintf(&t, "%s%s%s", fs, k > 0 ? ", " : "",
			    fields.v[k]);
			free(fs);
			fs = t;
		}
		for (i = 0; i + 1 < n; i++) {
			det_note(lr->o.notes, "the classification could also "
			    "be %s (%s) if %s were known: under it the answer "
			    "is %s", det_alt_name(&alts[i]),
			    alts[i].rule->m.citation != NULL ?
			    alts[i].rule->m.citation : alts[i].rule->m.id, fs,
			    verdict_kind_name(o[i].kind));
		}
		free(fs);
		strset_clear(&fields);
		if (!same || lr->o.kind == VERDICT_REVIEW) {
			lr->o.kind = VERDICT_REVIEW;
			for (k = 0; k < cmiss.n; k++)
				strset_add(&lr->o.missing, cmiss.v[k]);
			for (i = 0; i + 1 < n; i++) {
				for (k = 0; k < o[i].missing.n; k++)
					strset_add(&lr->o.missing,
					    o[i].missing.v[k]);
			}
		}
		for (i = 0; i + 1 < n; i++) {
			json_object_update(lr->o.used, o[i].used);
			outcome_clear(&o[i]);
		}
	}
	strset_clear(&cmiss);
}

/* A listed party's review policy, from the list's wording; NULL if other. */
static const char *
det_listing_policy(const char *text)
{
	if (text == NULL)
		return (NULL);
	if (strcasestr(text, "policy of denial") != NULL &&
	    strcasestr(text, "presumption") == NULL)
		return ("policy_of_denial");
	/* The lists write both "of" and "for" (YMTC, 87 FR 77508). */
	if (strcasestr(text, "presumption of denial") != NULL ||
	    strcasestr(text, "presumption for denial") != NULL)
		return ("presumption_of_denial");
	if (strcasestr(text, "case-by-case") != NULL ||
	    strcasestr(text, "case by case") != NULL)
		return ("case_by_case");
	if (strcasestr(text, "presumption of approval") != NULL)
		return ("presumption_of_approval");
	return (NULL);
}

/* The requirement a listed party brings (15 CFR 744.16 and the list). */
static json_t *
det_listing_json(const struct check_listing *l, const char *pol)
{
	return (json_pack("{s:s, s:s, s:o, s:o, s:o, s:s, s:o, s:o, s:o, s:o, "
	    "s:b}", "id", "entity_list", "kind", "entity_list", "reason",
	    det_str(l->list), "review_policy", det_str(pol),
	    "review_policy_text", det_str(l->license_policy), "status",
	    "applies", "citation", det_str(l->federal_register_notice),
	    "rule", det_str(l->federal_register_notice), "note",
	    det_str(l->license_requirement), "text", det_str(l->name),
	    "exceptions", 0));
}

/*
 * Screening hits: the Entity List and friends, and hits to review. A match
 * on an export list requires a licence (15 CFR 744.11) whatever weaker or
 * other-regime hits sit beside it; those add notes, and make the verdict
 * needs_review only when no listing requires a licence.
 */
static void
det_screening(struct det *dt, struct outcome *o, json_t *screening,
    bool not_subject)
{
	const struct check_listing	*l;
	size_t				 i;
	int				 rank;
	const char			*pol;
	enum verdict_kind		 before = o->kind;
	bool				 listed = false, review = false;

	for (i = 0; i < dt->c->nlistings; i++) {
		l = &dt->c->listings[i];
		if (screening != NULL) {
			json_array_append_new(screening, json_pack("{s:o, s:o, "
			    "s:o, s:o, s:f, s:b, s:b, s:o, s:o, s:o}", "name",
			    det_str(l->name), "list", det_str(l->list),
			    "source", det_str(l->list),
			    "matched_on", det_str(l->matched_on), "score",
			    l->score, "match", l->match, "export_list",
			    l->export_list, "license_requirement",
			    det_str(l->license_requirement), "license_policy",
			    det_str(l->license_policy),
			    "federal_register_notice",
			    det_str(l->federal_register_notice)));
		}
		if (not_subject) {
			det_note(o->notes, "the recipient matches \"%s\" on "
			    "%s: the item is not subject to the EAR, but other "
			    "regimes (OFAC) may still restrict the "
			    "transaction", l->name != NULL ? l->name : "?",
			    l->list != NULL ? l->list : "a screening list");
			continue;
		}
		if (l->match && l->export_list) {
			pol = det_listing_policy(l->license_policy);
			json_array_append_new(o->reqs,
			    det_listing_json(l, pol));
			det_note(o->notes, "the recipient matches \"%s\" on "
			    "%s: no licence exception overcomes a listed "
			    "party's licence requirement (15 CFR 744.16)",
			    l->name != NULL ? l->name : "?",
			    l->list != NULL ? l->list : "the Entity List");
			rank = det_policy_rank(pol);
			o->policy = det_stricter(o->policy, rank);
			listed = true;
		} else {
			det_note(o->notes, "the recipient %s \"%s\" on %s "
			    "(score %.2f): counsel must review the party%s",
			    l->match ? "matches" : "may match",
			    l->name != NULL ? l->name : "?",
			    l->list != NULL ? l->list : "a screening list",
			    l->score, l->export_list ? "" :
			    " (not an EAR list: another regime such as OFAC "
			    "applies)");
			review = true;
		}
	}
	if (listed && before != VERDICT_REVIEW)
		o->kind = VERDICT_REQUIRED;
	else if (listed || review)
		o->kind = VERDICT_REVIEW;
}

/* Published weights and publication: step 1 (15 CFR 734.7, 734.3(b)(3)). */
static bool
det_not_subject(struct det *dt, json_t *notes)
{
	const struct check	*c = dt->c;
	bool			 publish;

	if (dt->c->kind != ITEM_MODEL)
		return (false);
	publish = c->release != NULL && strcmp(c->release, "publish") == 0;
	if (dt->published != TV_TRUE && !publish)
		return (false);
	if (dt->published == TV_TRUE)
		det_note(notes, "published weights are not subject to the EAR "
		    "(15 CFR 734.7(a), 734.3(b)(3); 15 CFR 774 Supp. 1, 4E091 "
		    "Note 1), whatever the destination or date");
	if (publish) {
		det_note(notes, "publishing the weights makes them "
		    "\"published\" under 15 CFR 734.7(a): generally "
		    "accessible to the interested public (e.g. posted on the "
		    "public internet, free or at the cost of reproduction); "
		    "published information and software are not subject to "
		    "the EAR (15 CFR 734.3(b)(3)), so the release itself "
		    "needs no licence");
		det_note(notes, "licence terms that restrict further "
		    "dissemination may defeat \"published\" (UNCERTAIN; a "
		    "standard open-weights licence is treated as published)");
		det_note(notes, "while 4E091 stood in the text (90 FR 4544, "
		    "effective 2025-01-13, compliance 2025-05-15, not "
		    "enforced since 2025-05-13), its Note 1 said published "
		    "weights are not controlled, and unpublished weights of "
		    "a model trained with 1e26 or more operations needed a "
		    "licence to every destination until published");
	}
	det_note(notes, "not subject to the EAR does not mean no US "
	    "restriction: OFAC sanctions are a separate regime");
	return (true);
}

/* Does a posture target a rule that bears on this item and ECCN? */
static bool
det_posture_relevant(struct det *dt, const char *target, const char *eccn)
{
	size_t	 i;

	for (i = 0; i < dt->rs->nreqs; i++) {
		const struct rs_req *r = &dt->rs->reqs[i];

		if (strcmp(r->m.id, target) == 0 && (r->item == NULL ||
		    strcmp(r->item, dt->item) == 0) && (!r->eccns.set ||
		    (eccn != NULL && ruleset_eccns_match(&r->eccns, eccn))))
			return (true);
	}
	for (i = 0; i < dt->rs->nexceptions; i++) {
		const struct rs_exception *e = &dt->rs->exceptions[i];

		if (strcmp(e->m.id, target) == 0 && eccn != NULL &&
		    ruleset_eccns_match(&e->eccns, eccn))
			return (true);
	}
	for (i = 0; i < dt->rs->npolicies; i++) {
		const struct rs_policy *p = &dt->rs->policies[i];

		if (strcmp(p->m.id, target) == 0 && eccn != NULL &&
		    ruleset_eccns_match(&p->eccns, eccn))
			return (true);
	}
	for (i = 0; i < dt->rs->nclasses; i++) {
		const struct rs_class *c = &dt->rs->classes[i];

		if (strcmp(c->m.id, target) == 0 &&
		    strcmp(c->item, dt->item) == 0)
			return (true);
	}
	return (false);
}

/* Name the postures in force on d that bear on this determination. */
static void
det_posture_notes(struct det *dt, json_t *notes, const char *eccn1,
    const char *eccn2)
{
	const struct rs_posture	*p;
	size_t			 i;
	char			 from[11];

	for (i = 0; i < dt->rs->npostures; i++) {
		p = &dt->rs->postures[i];
		if (!date_in(dt->d, p->m.from, p->m.to))
			continue;
		if (!det_posture_relevant(dt, p->target, eccn1) &&
		    !det_posture_relevant(dt, p->target, eccn2))
			continue;
		date_format(p->m.from, from);
		det_note(notes, "BIS enforcement posture: %s is %s since %s "
		    "(%s)%s%s", p->target, p->enforced ? "enforced" :
		    "not enforced", from, p->m.citation != NULL ?
		    p->m.citation : det_rule_cite(dt, &p->m),
		    p->m.note != NULL ? ": " : "",
		    p->m.note != NULL ? p->m.note : "");
		if (p->m.uncertain != NULL)
			det_note(notes, "%s posture: UNCERTAIN: %s", p->target,
			    p->m.uncertain);
	}
}

/* The classification object of the verdict. */
static json_t *
det_classification(struct det *dt, const struct layer_result *lr)
{
	json_t	*o, *margins;
	const struct rs_class *c = lr->rule;

	o = json_object();
	json_object_set_new(o, "eccn", det_str(c != NULL ? c->eccn : NULL));
	if (dt->c->kind == ITEM_CHIP) {
		json_object_set_new(o, "tpp", isnan(dt->tpp) ? json_null() :
		    json_real(det_round(dt->tpp, 0.01)));
		json_object_set_new(o, "performance_density", isnan(dt->pd) ?
		    json_null() : json_real(det_round(dt->pd, 0.01)));
		if (dt->c->quantity > 1 && !isnan(dt->tpp))
			json_object_set_new(o, "aggregate_tpp",
			    json_real(dt->tpp * dt->c->quantity));
	} else
		json_object_set_new(o, "training_ops",
		    isnan(dt->count.total) ? json_null() :
		    json_real(dt->count.total));
	margins = det_margins(dt);
	if (dt->c->kind == ITEM_MODEL && !isnan(dt->count.total)) {
		/* The 4E091 threshold is a param, not a literal in the rule. */
		json_object_set_new(margins, "training_ops_4E091", json_pack("{s:s, s:f, s:f, "
		    "s:f, s:b, s:[s]}", "fact", "training_ops", "value",
		    dt->count.total, "threshold", dt->count.threshold,
		    "margin", dt->count.total - dt->count.threshold,
		    "at_or_above", dt->count.total >= dt->count.threshold,
		    "rules", "4E091"));
	}
	json_object_set_new(o, "margins", margins);
	json_object_set_new(o, "facts_used", facts_to_json(dt->facts));
	json_object_set_new(o, "id", det_str(c != NULL ? c->m.id : NULL));
	json_object_set_new(o, "citation", det_str(c != NULL ?
	    c->m.citation : NULL));
	json_object_set_new(o, "rule", det_str(c != NULL ?
	    det_rule_cite(dt, &c->m) : NULL));
	json_object_set_new(o, "text", det_str(c != NULL ? c->m.text : NULL));
	json_object_set_new(o, "open", json_boolean(lr->open));
	return (o);
}

/* Uncertain sentences of the rules used, and of the destination's groups. */
static void
det_uncertain_notes(struct det *dt, const json_t *used, json_t *notes)
{
	const char	*id;
	json_t		*v;
	size_t		 i;

	json_object_foreach((json_t *)used, id, v)
		det_note(notes, "%s: UNCERTAIN: %s", id, json_string_value(v));
	for (i = 0; i < dt->rs->ngroups; i++) {
		const struct rs_group *g = &dt->rs->groups[i];

		if (g->m.uncertain == NULL ||
		    strcasecmp(g->country, dt->c->destination) != 0 ||
		    !date_in(dt->d, g->m.from, g->m.to))
			continue;
		det_note(notes, "%s in %s: UNCERTAIN: %s", g->country,
		    g->group, g->m.uncertain);
	}
}

/* Determine a check against a ruleset: the verdict (never NULL). */
struct verdict *
determine(const struct ruleset *rs, const struct check *c)
{
	struct det		 dt;
	struct layer_result	 lr[2];
	struct outcome		*main_o;
	enum rs_layer		 want;
	enum verdict_kind	 kind, other;
	json_t			*body, *notes, *screening, *cls, *missing;
	struct strset		 fields;
	size_t			 i;
	char			 as_of[11];
	const char		*eccn;
	bool			 ns, pub_unknown;
	ear_date		 pub;

	if (rs == NULL || c == NULL)
		fatalx("determine without a ruleset or a check");
	memset(&dt, 0, sizeof dt);
	dt.rs = rs;
	dt.c = c;
	dt.d = c->as_of;
	dt.item = c->kind == ITEM_CHIP ? "chip" : "model";
	dt.facts = facts_new();
	dt.notes = notes = json_array();
	date_format(c->as_of, as_of);
	dt.tpp = dt.pd = NAN;
	dt.count.total = NAN;
	dt.published = c->model.published;
	if (c->kind == ITEM_MODEL && dt.published == TV_TRUE &&
	    c->published_on != NULL && date_parse(c->published_on, &pub) == 0 &&
	    dt.d < pub) {
		/* Published later: on as_of the weights were not yet public. */
		dt.published = TV_FALSE;
		det_note(notes, "the weights were published on %s, after "
		    "as_of: on %s they were unpublished", c->published_on,
		    as_of);
	}
	det_common_facts(&dt);
	if (c->kind == ITEM_CHIP)
		det_chip_facts(&dt);
	else
		det_model_facts(&dt);
	want = c->posture != NULL && strcmp(c->posture, "text") == 0 ?
	    LAYER_TEXT : LAYER_ENFORCED;
	screening = json_array();

	ns = det_not_subject(&dt, notes);
	for (i = 0; i < 2; i++) {
		if (ns) {
			outcome_init(&lr[i].o);
			lr[i].o.kind = VERDICT_NOT_SUBJECT;
			lr[i].rule = NULL;
			lr[i].open = false;
		} else
			det_layer(&dt, i == 0 ? LAYER_ENFORCED : LAYER_TEXT,
			    &lr[i]);
		det_screening(&dt, &lr[i].o, i == 0 ? screening : NULL, ns);
	}
	main_o = &lr[want].o;
	kind = main_o->kind;
	other = lr[want == LAYER_ENFORCED ? 1 : 0].o.kind;

	/* Publication not stated: fail closed if it matters. */
	pub_unknown = c->kind == ITEM_MODEL && !ns &&
	    dt.published == TV_UNKNOWN;
	if (pub_unknown) {
		if (kind == VERDICT_NO_LICENSE)
			det_note(notes, "model.published was not given: the "
			    "weights were taken as unpublished (published "
			    "weights would be not subject to the EAR)");
		else if (kind != VERDICT_REVIEW) {
			det_note(notes, "model.published was not given: if "
			    "the weights are published they are not subject "
			    "to the EAR (15 CFR 734.7(a)), otherwise the "
			    "answer is %s", verdict_kind_name(kind));
			kind = VERDICT_REVIEW;
			strset_add(&main_o->missing, "published");
		}
	}

	det_notes_merge(notes, main_o->notes);
	if (other != kind && !pub_unknown)
		det_posture_notes(&dt, notes, lr[0].rule != NULL ?
		    lr[0].rule->eccn : NULL, lr[1].rule != NULL ?
		    lr[1].rule->eccn : NULL);
	det_uncertain_notes(&dt, main_o->used, notes);
	if (c->kind == ITEM_MODEL && dt.counted && !ns) {
		if (isnan(dt.count.params.note2_floor))
			det_note(notes, "4E091 Note 2 floor (the most capable "
			    "published model) is unset: BIS has published no "
			    "figure, so the threshold is 1e26 operations");
		if (dt.count.estimated)
			det_note(notes, "training operations are an estimate "
			    "(6 x parameters x training tokens, 4E091 "
			    "Technical Note 2), not a stated figure");
		if (c->release != NULL && strcmp(c->release,
		    "deemed_export") == 0)
			det_note(notes, "deemed export (15 CFR 734.13(b)): "
			    "releasing the weights to a foreign person in the "
			    "United States is an export to that person's "
			    "country, %s", c->destination);
	}
	if (lr[want].rule == NULL && !lr[want].open && !ns) {
		det_note(notes, "no loaded classification rule classifies "
		    "this item on this date; only the loaded rules were "
		    "evaluated (not other ECCNs, the end-use rules of 15 CFR "
		    "744.21-744.23 beyond those loaded, or the embargoes of "
		    "part 746)");
	}
	if (c->recipient_name != NULL && !c->screened)
		det_note(notes, "the recipient was not screened against the "
		    "restricted-party lists");

	strset_init(&fields);
	if (kind == VERDICT_REVIEW) {
		for (i = 0; i < main_o->missing.n; i++)
			det_missing_field(&dt, main_o->missing.v[i], &fields);
	}
	missing = strset_to_json(&fields);
	strset_clear(&fields);

	body = json_object();
	json_object_set_new(body, "verdict",
	    json_string(verdict_kind_name(kind)));
	if (other != kind) {
		json_object_set_new(body, want == LAYER_ENFORCED ?
		    "text_verdict" : "enforced_verdict",
		    json_string(verdict_kind_name(other)));
		json_object_set_new(body, want == LAYER_ENFORCED ?
		    "text_requirements" : "enforced_requirements",
		    json_incref(lr[want == LAYER_ENFORCED ? 1 : 0].o.reqs));
		if (want == LAYER_ENFORCED && !pub_unknown)
			det_note(notes, "the regulation text alone gives %s: "
			    "BIS does not enforce it as written on this date "
			    "(see the enforcement posture notes)",
			    verdict_kind_name(other));
	}
	json_object_set_new(body, "posture", json_string(want ==
	    LAYER_ENFORCED ? "enforced" : "text"));
	json_object_set_new(body, "review_policy",
	    kind == VERDICT_NO_LICENSE || kind == VERDICT_NOT_SUBJECT ||
	    main_o->policy < 0 ? json_null() :
	    json_string(det_policies[main_o->policy]));
	cls = det_classification(&dt, &lr[want]);
	json_object_set_new(body, "classification", cls);
	json_object_set_new(body, "requirements", json_incref(main_o->reqs));
	json_object_set_new(body, "exceptions", json_incref(main_o->excs));
	json_object_set_new(body, "screening", screening);
	if (c->lists_version != NULL)
		json_object_set_new(body, "screening_lists",
		    json_string(c->lists_version));
	json_object_set_new(body, "notes", notes);
	json_object_set_new(body, "missing", missing);
	date_format(dt.d, as_of);
	json_object_set_new(body, "as_of", json_string(as_of));
	json_object_set_new(body, "ruleset", json_string(rs->version));
	if (c->kind == ITEM_MODEL)
		json_object_set_new(body, "count", model_count_json(&dt.count));

	eccn = lr[want].rule != NULL ? lr[want].rule->eccn : NULL;
	struct verdict *v = verdict_new(kind, eccn, body);

	for (i = 0; i < 2; i++) {
		if (lr[i].o.kind != VERDICT_REVIEW)
			continue;
		for (size_t k = 0; k < lr[i].o.missing.n; k++)
			strset_add(&v->open_facts, lr[i].o.missing.v[k]);
	}

	outcome_clear(&lr[0].o);
	outcome_clear(&lr[1].o);
	model_count_clear(&dt.count);
	facts_free(dt.facts);
	rs_cand_free(&dt.cand);
	return (v);
}
