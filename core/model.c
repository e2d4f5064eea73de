/*
 * model.c: counting the training operations of a model under ECCN 4E091
 * (15 CFR 774 Supp. 1, 4E091, added by 90 FR 4544, effective 2025-01-13):
 *
 * - Technical Note 2: operations are those of pre-training plus any later
 *   training such as fine-tuning (not data collection or curation); for a
 *   dense model trained with backpropagation about 6 x N x D.
 * - Technical Note 3: when more than 10% of the training operations use
 *   non-published data made by a single data-generation model, count the
 *   operations that generated it and, if the generator's weights are not
 *   published, the generator's training operations; with several such
 *   generators only the one with the most training operations; never count
 *   an operation twice.
 * - Note 1: weights derived from a published model stay uncontrolled unless
 *   the additional training exceeds the higher of 2.5e25 operations or 25%
 *   of the model's training operations.
 * - Note 2: a floor from the most capable published model, which BIS has
 *   not set (no figure found as of 2026-11): the threshold stays 1e26.
 *
 * The figures are params of the ruleset; the defaults below are the text
 * of 90 FR 4544 and are used only when the ruleset does not carry them.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine.h"

/* The figures of 90 FR 4544 (4E091 heading, Note 1, Technical Note 3). */
void
model_params_default(struct model_params *p)
{
	p->threshold = 1e26;
	p->note1_floor = 2.5e25;
	p->note1_share = 0.25;
	p->tn3_share = 0.10;
	p->note2_floor = NAN;
}

/* The params in force on d, defaults where the ruleset has none. */
void
model_params_from_ruleset(const struct ruleset *rs, ear_date d,
    struct model_params *p)
{
	double	 v;

	model_params_default(p);
	if (rs == NULL)
		return;
	if (ruleset_param(rs, "4E091.threshold_ops", d, &v))
		p->threshold = v;
	if (ruleset_param(rs, "4E091.note1_floor_ops", d, &v))
		p->note1_floor = v;
	if (ruleset_param(rs, "4E091.note1_share", d, &v))
		p->note1_share = v;
	if (ruleset_param(rs, "4E091.tn3_share", d, &v))
		p->tn3_share = v;
	if (ruleset_param(rs, "4E091.note2_floor_ops", d, &v))
		p->note2_floor = v;
}

/* Training operations estimated as 6 x N x D (4E091 Technical Note 2). */
double
model_estimate_ops(double parameters, double tokens)
{
	if (isnan(parameters) || isnan(tokens))
		return (NAN);
	return (6 * parameters * tokens);
}

/* Name a missing request field once (at most nitems(missing)). */
static void
model_missing(struct model_count *c, const char *field)
{
	size_t	 i;

	for (i = 0; i < c->nmissing; i++) {
		if (strcmp(c->missing[i], field) == 0)
			return;
	}
	if (c->nmissing < nitems(c->missing))
		c->missing[c->nmissing++] = xstrdup(field);
}

/* Technical Note 2: the model's own training, stated or estimated. */
static void
model_count_trained(const struct model_facts *f, struct model_count *c)
{
	if (!isnan(f->training_ops)) {
		c->trained = f->training_ops;
		c->trained_how = "model.training_ops";
	} else if (f->derived && !isnan(f->derived_training_ops) &&
	    !isnan(f->additional_training_ops)) {
		c->trained = f->derived_training_ops +
		    f->additional_training_ops;
		c->trained_how = "model.derived_from.training_ops + "
		    "model.additional_training_ops";
	} else if (!isnan(f->parameters) && !isnan(f->training_tokens)) {
		c->trained = model_estimate_ops(f->parameters,
		    f->training_tokens);
		c->estimated = true;
		c->est_parameters = f->parameters;
		c->est_tokens = f->training_tokens;
		c->trained_how = "estimate: 6 x model.parameters x "
		    "model.training_tokens";
	} else
		model_missing(c, "model.training_ops");
}

/* One data-generation model, its entries summed (TN3: "a single model"). */
struct model_gen {
	const char	*name;
	size_t		 first;		/* index of its first entry */
	double		 share;		/* NaN if an entry's share is missing */
	double		 generation;	/* NaN if an entry's figure is missing */
	double		 training;	/* the largest stated, NaN if none */
	enum tv		 published;
};

/* Sum the entries of the generator named like entry i (i alone if none). */
static void
model_gen_sum(const struct model_facts *f, size_t i, struct model_gen *g,
    struct model_count *c)
{
	const struct model_synth *s;
	char		 field[96];
	size_t		 k;

	memset(g, 0, sizeof *g);
	g->name = f->synth[i].generator;
	g->first = i;
	g->training = NAN;
	g->published = TV_TRUE;
	for (k = i; k < f->nsynth; k++) {
		s = &f->synth[k];
		if (k != i && (g->name == NULL || s->generator == NULL ||
		    strcasecmp(g->name, s->generator) != 0))
			continue;
		if (isnan(s->share_of_training_ops)) {
			snprintf(field, sizeof field, "model.synthetic_data"
			    "[%zu].share_of_training_ops", k);
			model_missing(c, field);
		}
		g->share += s->share_of_training_ops;
		g->generation += s->generation_ops;
		if (!isnan(s->generator_training_ops) && (isnan(g->training) ||
		    s->generator_training_ops > g->training))
			g->training = s->generator_training_ops;
		if (s->generator_published == TV_UNKNOWN)
			g->published = TV_UNKNOWN;
		else if (s->generator_published == TV_FALSE &&
		    g->published != TV_UNKNOWN)
			g->published = TV_FALSE;
		if (g->name == NULL)
			break;
	}
}

/* Has an earlier entry the same generator (already summed)? */
static bool
model_gen_seen(const struct model_facts *f, size_t i)
{
	size_t	 k;

	if (f->synth[i].generator == NULL)
		return (false);
	for (k = 0; k < i; k++) {
		if (f->synth[k].generator != NULL &&
		    strcasecmp(f->synth[k].generator,
		    f->synth[i].generator) == 0)
			return (true);
	}
	return (false);
}

/*
 * Technical Note 3: of the generators whose data is more than the share of
 * the training operations (entries of one generator summed), count only the
 * one with the most training operations. false when a missing fact leaves
 * it undecided.
 */
static bool
model_count_synthetic(const struct model_facts *f,
    const struct model_params *p, struct model_count *c)
{
	struct model_gen g, best;
	char		 field[96];
	double		 key, bestkey = -1;
	size_t		 i;
	bool		 ok = true, found = false;

	memset(&best, 0, sizeof best);
	for (i = 0; i < f->nsynth; i++) {
		if (model_gen_seen(f, i))
			continue;
		model_gen_sum(f, i, &g, c);
		if (isnan(g.share)) {
			ok = false;
			continue;
		}
		if (!(g.share > p->tn3_share))
			continue;
		if (g.published == TV_UNKNOWN) {
			snprintf(field, sizeof field, "model.synthetic_data"
			    "[%zu].generator_published", i);
			model_missing(c, field);
			ok = false;
		}
		key = g.training;
		if (isnan(key)) {
			if (g.published != TV_TRUE) {
				snprintf(field, sizeof field,
				    "model.synthetic_data[%zu]."
				    "generator_training_ops", i);
				model_missing(c, field);
				ok = false;
			}
			key = 0;
		}
		if (!found || key > bestkey) {
			best = g;
			bestkey = key;
			found = true;
		}
	}
	if (!found)
		return (ok);
	c->synth_index = (int)best.first;
	c->synth_generator = best.name;
	if (isnan(best.generation)) {
		snprintf(field, sizeof field, "model.synthetic_data[%zu]."
		    "generation_ops", best.first);
		model_missing(c, field);
		ok = false;
	} else
		c->synth_generation = best.generation;
	/*
	 * The generator's training counts when its weights are unpublished,
	 * unless it is this model's own base, already counted (nothing twice).
	 */
	if (best.published == TV_FALSE && !isnan(best.training) &&
	    !(f->derived && f->derived_name != NULL && best.name != NULL &&
	    strcasecmp(f->derived_name, best.name) == 0))
		c->synth_generator_training = best.training;
	return (ok);
}

/* Note 1: a derived model within the additional-training allowance. */
static void
model_count_note1(const struct model_facts *f, const struct model_params *p,
    struct model_count *c)
{
	c->note1_excluded = TV_FALSE;
	c->note1_limit = NAN;
	if (!f->derived)
		return;
	if (f->derived_published == TV_FALSE)
		return;
	/*
	 * 4E091 Note 1 (15 CFR 774 Supp. 1): "more than 2.5 x 10^25
	 * 'operations' or more than 25 percent of the training 'operations'
	 * defined in Note 2, whichever is higher". Note 2's figure is the
	 * compute of the most capable published model, which BIS has not
	 * set; until it does the control threshold (c->threshold: 1e26, or
	 * the Note 2 floor once set) stands in for it, so 25% of it is
	 * 2.5e25 and the limit is the floor. Not 25% of this model's or of
	 * its base's own operations.
	 */
	c->note1_limit = fmax(p->note1_floor, p->note1_share * c->threshold);
	if (f->derived_published == TV_UNKNOWN) {
		model_missing(c, "model.derived_from.published");
		c->note1_excluded = TV_UNKNOWN;
		return;
	}
	if (isnan(f->additional_training_ops)) {
		model_missing(c, "model.additional_training_ops");
		c->note1_excluded = TV_UNKNOWN;
		return;
	}
	if (isnan(c->note1_limit)) {
		/* Within the floor whatever the total; above it, unknown. */
		c->note1_excluded = f->additional_training_ops <=
		    p->note1_floor ? TV_TRUE : TV_UNKNOWN;
		return;
	}
	c->note1_excluded = f->additional_training_ops <= c->note1_limit ?
	    TV_TRUE : TV_FALSE;
}

/*
 * Count a model's operations under 4E091. Fills *out (free its strings with
 * model_count_clear()); -1 when the total cannot be known, with the request
 * fields that would decide it in out->missing.
 */
int
model_count_ops(const struct model_facts *f, const struct model_params *p,
    struct model_count *out)
{
	bool	 synth_ok;

	memset(out, 0, sizeof *out);
	out->params = *p;
	out->synth_index = -1;
	out->trained = out->total = NAN;
	out->base = f->derived ? f->derived_training_ops : NAN;
	out->additional = f->additional_training_ops;
	out->est_parameters = out->est_tokens = NAN;
	out->threshold = p->threshold;
	if (!isnan(p->note2_floor) && p->note2_floor > out->threshold)
		out->threshold = p->note2_floor;

	model_count_trained(f, out);
	synth_ok = model_count_synthetic(f, p, out);
	if (!isnan(out->trained) && synth_ok)
		out->total = out->trained + out->synth_generation +
		    out->synth_generator_training;
	model_count_note1(f, p, out);
	if (isnan(out->total)) {
		out->over = TV_UNKNOWN;
		return (-1);
	}
	out->over = out->total >= out->threshold ? TV_TRUE : TV_FALSE;
	return (0);
}

/* Free the strings of a count. */
void
model_count_clear(struct model_count *c)
{
	size_t	 i;

	for (i = 0; i < c->nmissing; i++)
		free(c->missing[i]);
	c->nmissing = 0;
}

/* A count written as the regulation writes it: 1.41e26, 1e26. */
static void
model_fmt(double v, char *buf, size_t len)
{
	char	*e;

	snprintf(buf, len, "%.3g", v);
	if ((e = strstr(buf, "e+")) != NULL)
		memmove(e + 1, e + 2, strlen(e + 2) + 1);
}

/* A number as JSON; null for NaN. */
static json_t *
model_num(double v)
{
	return (isnan(v) ? json_null() : json_real(v));
}

/* One part of a count, with its citation. */
static json_t *
model_part(const char *part, double ops, const char *cite)
{
	return (json_pack("{s:s, s:o, s:s}", "part", part, "ops",
	    model_num(ops), "citation", cite));
}

/* The arithmetic of a count, for verdicts and `earctl model estimate`. */
json_t *
model_count_json(const struct model_count *c)
{
	json_t	*o, *parts, *missing;
	char	 a[32], b[32], line[256], *s;
	size_t	 i;

	o = json_object();
	parts = json_array();
	if (!isnan(c->trained)) {
		xasprintf(&s, "training (%s)", c->trained_how);
		json_array_append_new(parts, model_part(s, c->trained,
		    "15 CFR 774 Supp. 1, 4E091 Technical Note 2"));
		free(s);
	}
	if (c->synth_index >= 0) {
		xasprintf(&s, "generation of synthetic data by \"%s\"",
		    c->synth_generator != NULL ? c->synth_generator : "?");
		json_array_append_new(parts, model_part(s, c->synth_generation,
		    "15 CFR 774 Supp. 1, 4E091 Technical Note 3"));
		free(s);
		if (c->synth_generator_training > 0) {
			xasprintf(&s, "training of unpublished generator "
			    "\"%s\"", c->synth_generator != NULL ?
			    c->synth_generator : "?");
			json_array_append_new(parts, model_part(s,
			    c->synth_generator_training,
			    "15 CFR 774 Supp. 1, 4E091 Technical Note 3"));
			free(s);
		}
	}
	json_object_set_new(o, "parts", parts);
	json_object_set_new(o, "total", model_num(c->total));
	json_object_set_new(o, "estimated", json_boolean(c->estimated));
	if (c->estimated) {
		json_object_set_new(o, "estimate", json_pack("{s:s, s:o, s:o}",
		    "formula", "6 x N x D (4E091 Technical Note 2)",
		    "parameters", model_num(c->est_parameters),
		    "training_tokens", model_num(c->est_tokens)));
	}
	json_object_set_new(o, "threshold", json_real(c->threshold));
	model_fmt(c->threshold, b, sizeof b);
	if (!isnan(c->total)) {
		model_fmt(c->total, a, sizeof a);
		snprintf(line, sizeof line, "%s %s %s by %.0f%%", a,
		    c->total >= c->threshold ? ">=" : "<", b,
		    fabs(c->total - c->threshold) / c->threshold * 100);
		json_object_set_new(o, "comparison", json_string(line));
		json_object_set_new(o, "margin", json_real(c->total -
		    c->threshold));
	} else {
		snprintf(line, sizeof line, "unknown against %s: facts "
		    "missing", b);
		json_object_set_new(o, "comparison", json_string(line));
	}
	json_object_set_new(o, "over_threshold", json_string(tv_name(c->over)));
	if (!isnan(c->base) || !isnan(c->additional) ||
	    c->note1_excluded != TV_FALSE) {
		model_fmt(c->params.note1_floor, a, sizeof a);
		snprintf(line, sizeof line, "additional training must exceed "
		    "the higher of %s and %.0f%% of the Note 2 operations "
		    "(unset: the %s threshold stands in)",
		    a, c->params.note1_share * 100, b);
		json_object_set_new(o, "note1", json_pack("{s:o, s:o, s:o, "
		    "s:s, s:s, s:s}", "base_ops", model_num(c->base),
		    "additional_ops", model_num(c->additional), "limit",
		    model_num(c->note1_limit), "excluded",
		    tv_name(c->note1_excluded), "rule", line, "citation",
		    "15 CFR 774 Supp. 1, 4E091 Note 1"));
	}
	if (isnan(c->params.note2_floor))
		snprintf(line, sizeof line, "the 4E091 Note 2 floor is unset "
		    "(BIS has published no figure), so the threshold is %s", b);
	else {
		model_fmt(c->params.note2_floor, a, sizeof a);
		snprintf(line, sizeof line, "the 4E091 Note 2 floor is %s; "
		    "the threshold is %s", a, b);
	}
	json_object_set_new(o, "note2", json_string(line));
	json_object_set_new(o, "params", json_pack("{s:f, s:f, s:f, s:f, "
	    "s:o}", "threshold_ops", c->params.threshold, "note1_floor_ops",
	    c->params.note1_floor, "note1_share", c->params.note1_share,
	    "tn3_share", c->params.tn3_share, "note2_floor_ops",
	    model_num(c->params.note2_floor)));
	missing = json_array();
	for (i = 0; i < c->nmissing; i++)
		json_array_append_new(missing, json_string(c->missing[i]));
	json_object_set_new(o, "missing", missing);
	return (o);
}
