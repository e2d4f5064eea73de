/*
 * cmd_impact.c: the change-impact report (issue #7, "Replay and change
 * impact"):
 *	earctl report impact --from D1 --to D2
 *	earctl report impact --from-ruleset V1 [--to-ruleset V2] [--as-of D]
 *
 * Every registered model and chip (models_current, chips_current), for
 * every destination of the watch list, is determined on two sides, each a
 * ruleset and an as_of date, and the verdicts that flip are listed with the
 * requirements, exceptions and enforcement postures that differ between
 * the two verdicts. It is not SQL: the determination is libear's, so
 * earctl reads the rules document (eard_rules_document(), or a version kept
 * in ruleset_documents) and the registry from the database and determines
 * here, the way eard would.
 *
 * The check of each (item, destination, date) names a neutral recipient in
 * the destination whose headquarters are the destination (--recipient-hq
 * to say otherwise) and no exporter (--exporter for a company's letters),
 * and is not screened: a listed party's own requirements are not part of a
 * rule change's impact.
 *
 * The watch list is --destinations, else EARD_IMPACT_DESTINATIONS, else
 * the database's eard_meta row impact_destinations, else cmd_impact_watch.
 *
 * After `earctl import rules` changes the rules, cmd_import.c calls
 * cmd_impact_after_import(), which runs the report between the rules
 * before and after the import as of today and keeps it in impact_runs
 * (schema/070_impact.sql). Without a date or a version, `earctl report
 * impact` shows the latest kept run (queries/impact.sql).
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "earctl.h"

/*
 * The default watch list: the destinations whose treatment the AI rules
 * change. D:5 and embargoed countries (CN, MO, RU, IR, KP, SY, CU; 15 CFR
 * 740 Supp. 1), Hong Kong (treated as China since 85 FR 43435), the D:1/D:4
 * countries of 88 FR 73458's 3A090 licence requirement (VN, SA, AE, KZ,
 * KH), the diffusion rule's tier 2 (IL, IN, SG, MY; 90 FR 4544) and tier 1
 * (DE, JP, TW), and the United States itself for deemed exports.
 */
const char *const cmd_impact_watch[] = {
	"CN", "HK", "MO", "RU", "IR", "KP", "SY", "CU", "VN", "SA", "AE",
	"IL", "IN", "TW", "SG", "MY", "DE", "JP", "US", "KH", "KZ"
};
const size_t cmd_impact_nwatch = nitems(cmd_impact_watch);

/* One side of the comparison while it is being set up. */
struct impact_load {
	const char	*want;		/* a version, a prefix or "current" */
	char		*version;	/* the ruleset version */
	struct ruleset	*rs;
	ear_date	 as_of;
};

/* A member of an object as a string, or NULL. */
static const char *
impact_str(const json_t *o, const char *key)
{
	return (json_string_value(json_object_get(o, key)));
}

/* The SHA-256 of text in hex: the ruleset version, as eard computes it. */
static void
impact_sha256(const char *text, char out[65])
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 len = 0, i;

	if (!EVP_Digest(text, strlen(text), md, &len, EVP_sha256(), NULL))
		fatalx("could not compute SHA-256");
	for (i = 0; i < len && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[64] = '\0';
}

/* The verdict the regulation text alone gives: text_verdict or verdict. */
static const char *
impact_text_verdict(const json_t *v)
{
	const char	*s;

	if ((s = impact_str(v, "text_verdict")) != NULL)
		return (s);
	return (impact_str(v, "verdict"));
}

/* Two nullable strings are equal. */
static bool
impact_same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a == b);
	return (strcmp(a, b) == 0);
}

/* The element of an array of objects whose key is id, or NULL. */
static const json_t *
impact_find(const json_t *a, const char *key, const char *id)
{
	const json_t	*x;
	size_t		 i;

	json_array_foreach(a, i, x) {
		if (impact_same(impact_str(x, key), id))
			return (x);
	}
	return (NULL);
}

/* Append one change: what kind of rule, which, and its state on each side. */
static void
impact_change(json_t *changed, const char *type, const char *id,
    const char *from, const char *to, const json_t *xa, const json_t *xb)
{
	const json_t	*src = xb != NULL ? xb : xa;
	const char	*change;

	if (from == NULL)
		change = "added";
	else if (to == NULL)
		change = "removed";
	else
		change = "changed";
	json_array_append_new(changed, json_pack("{s:s, s:s, s:s, s:o, s:o, "
	    "s:o, s:o}", "type", type, "id", id != NULL ? id : "?", "change",
	    change, "from", from != NULL ? json_string(from) : json_null(),
	    "to", to != NULL ? json_string(to) : json_null(), "citation",
	    impact_str(src, "citation") != NULL ?
	    json_string(impact_str(src, "citation")) : json_null(), "rule",
	    impact_str(src, "rule") != NULL ?
	    json_string(impact_str(src, "rule")) : json_null()));
}

/* A requirement's state: "applies, presumption_of_denial"; caller frees. */
static char *
impact_req_state(const json_t *r)
{
	const char	*status, *policy;
	char		*s;

	if (r == NULL)
		return (NULL);
	status = impact_str(r, "status");
	policy = impact_str(r, "review_policy");
	xasprintf(&s, "%s%s%s", status != NULL ? status : "listed",
	    policy != NULL ? ", " : "", policy != NULL ? policy : "");
	return (s);
}

/* Has changed an entry of this type, id and change already? */
static bool
impact_has_change(const json_t *changed, const char *type, const char *id,
    const char *change)
{
	const json_t	*x;
	size_t		 i;

	json_array_foreach(changed, i, x) {
		if (impact_same(impact_str(x, "type"), type) &&
		    impact_same(impact_str(x, "id"), id) &&
		    impact_same(impact_str(x, "change"), change))
			return (true);
	}
	return (false);
}

/*
 * The review policy rules (a requirement's review_policy_rule, e.g. 91 FR
 * 1684's case-by-case policy) that one side applies and the other not.
 */
static void
impact_diff_policy(json_t *changed, const json_t *x, const json_t *y)
{
	const json_t	*pa, *pb;
	const char	*ida, *idb;

	pa = x != NULL ? json_object_get(x, "review_policy_rule") : NULL;
	pb = y != NULL ? json_object_get(y, "review_policy_rule") : NULL;
	ida = impact_str(pa, "id");
	idb = impact_str(pb, "id");
	if (impact_same(ida, idb))
		return;
	if (ida != NULL && !impact_has_change(changed, "review_policy", ida,
	    "removed"))
		impact_change(changed, "review_policy", ida,
		    impact_str(x, "review_policy"), NULL, pa, NULL);
	if (idb != NULL && !impact_has_change(changed, "review_policy", idb,
	    "added"))
		impact_change(changed, "review_policy", idb, NULL,
		    impact_str(y, "review_policy"), NULL, pb);
}

/* Requirements (enforced, or the text's) present or stated differently. */
static void
impact_diff_reqs(json_t *changed, const char *type, const json_t *ra,
    const json_t *rb)
{
	const json_t	*x, *y;
	const char	*id;
	char		*sa, *sb;
	size_t		 i;

	json_array_foreach(ra, i, x) {
		id = impact_str(x, "id");
		y = impact_find(rb, "id", id);
		sa = impact_req_state(x);
		sb = impact_req_state(y);
		if (!impact_same(sa, sb))
			impact_change(changed, type, id, sa, sb, x, y);
		if (strcmp(type, "requirement") == 0)
			impact_diff_policy(changed, x, y);
		free(sa);
		free(sb);
	}
	json_array_foreach(rb, i, y) {
		id = impact_str(y, "id");
		if (impact_find(ra, "id", id) != NULL)
			continue;
		sb = impact_req_state(y);
		impact_change(changed, type, id, NULL, sb, NULL, y);
		if (strcmp(type, "requirement") == 0)
			impact_diff_policy(changed, NULL, y);
		free(sb);
	}
}

/* An exception's state, or NULL when it was not considered. */
static const char *
impact_exc_state(const json_t *e)
{
	const json_t	*a;

	if (e == NULL)
		return (NULL);
	a = json_object_get(e, "available");
	if (json_is_true(a))
		return ("available");
	if (json_is_false(a))
		return ("not available");
	return ("undecided");
}

/*
 * Exceptions whose availability differs. One that is merely considered on
 * one side and unavailable is not what flipped a verdict: it is left out.
 */
static void
impact_diff_excs(json_t *changed, const json_t *ea, const json_t *eb)
{
	const json_t	*x, *y;
	const char	*id, *sa, *sb;
	size_t		 i;

	json_array_foreach(ea, i, x) {
		id = impact_str(x, "id") != NULL ? impact_str(x, "id") :
		    impact_str(x, "code");
		y = impact_find(eb, "id", id);
		sa = impact_exc_state(x);
		sb = impact_exc_state(y);
		if (impact_same(sa, sb))
			continue;
		if ((sa == NULL || strcmp(sa, "not available") == 0) &&
		    (sb == NULL || strcmp(sb, "not available") == 0))
			continue;
		impact_change(changed, "exception", id, sa, sb, x, y);
	}
	json_array_foreach(eb, i, y) {
		id = impact_str(y, "id") != NULL ? impact_str(y, "id") :
		    impact_str(y, "code");
		if (impact_find(ea, "id", id) != NULL)
			continue;
		sb = impact_exc_state(y);
		if (strcmp(sb, "not available") == 0)
			continue;
		impact_change(changed, "exception", id, NULL, sb, NULL, y);
	}
}

#define IMPACT_POSTURE	"BIS enforcement posture: "

/*
 * The enforcement postures a verdict names in its notes, as
 * {target: {"state", "citation"}}: determine() writes them as
 * "BIS enforcement posture: TARGET is STATE since DATE (CITATION)...".
 */
static json_t *
impact_postures(const json_t *v)
{
	const json_t	*n;
	const char	*s, *is, *par, *end;
	char		*target, *state, *cit;
	json_t		*o;
	size_t		 i;

	o = json_object();
	json_array_foreach(json_object_get(v, "notes"), i, n) {
		if ((s = json_string_value(n)) == NULL ||
		    strncmp(s, IMPACT_POSTURE, strlen(IMPACT_POSTURE)) != 0)
			continue;
		s += strlen(IMPACT_POSTURE);
		if ((is = strstr(s, " is ")) == NULL)
			continue;
		target = xstrndup(s, (size_t)(is - s));
		is += 4;
		if ((par = strstr(is, " (")) == NULL) {
			par = is + strlen(is);
			cit = NULL;
		} else if ((end = strchr(par + 2, ')')) != NULL)
			cit = xstrndup(par + 2, (size_t)(end - par - 2));
		else
			cit = xstrdup(par + 2);
		state = xstrndup(is, (size_t)(par - is));
		json_object_set_new(o, target, json_pack("{s:s, s:o}",
		    "state", state, "citation", cit != NULL ?
		    json_string(cit) : json_null()));
		free(target);
		free(state);
		free(cit);
	}
	return (o);
}

/* Postures named on one side and not (or not so) on the other. */
static void
impact_diff_postures(json_t *changed, const json_t *va, const json_t *vb)
{
	json_t		*pa, *pb, *x, *y;
	const char	*target;

	pa = impact_postures(va);
	pb = impact_postures(vb);
	json_object_foreach(pa, target, x) {
		y = json_object_get(pb, target);
		if (y == NULL || !impact_same(impact_str(x, "state"),
		    impact_str(y, "state")))
			impact_change(changed, "posture", target,
			    impact_str(x, "state"), y != NULL ?
			    impact_str(y, "state") : NULL, x, y);
	}
	json_object_foreach(pb, target, y) {
		if (json_object_get(pa, target) == NULL)
			impact_change(changed, "posture", target, NULL,
			    impact_str(y, "state"), NULL, y);
	}
	json_decref(pa);
	json_decref(pb);
}

/* A nullable string as JSON. */
static json_t *
impact_jstr(const char *s)
{
	return (s != NULL ? json_string(s) : json_null());
}

/*
 * Compare two verdict bodies (see earctl.h): NULL when nothing is to be
 * reported, else a new object naming the verdicts and what changed.
 */
json_t *
cmd_impact_diff(const json_t *va, const json_t *vb, bool all)
{
	const json_t	*ca, *cb;
	const char	*ea, *eb;
	json_t		*changed, *o;
	bool		 flipped, text_flipped, policy;

	flipped = !impact_same(impact_str(va, "verdict"),
	    impact_str(vb, "verdict"));
	text_flipped = !impact_same(impact_text_verdict(va),
	    impact_text_verdict(vb));
	/* Presumption of denial to case-by-case is a change counsel needs. */
	policy = !impact_same(impact_str(va, "review_policy"),
	    impact_str(vb, "review_policy"));

	changed = json_array();
	ca = json_object_get(va, "classification");
	cb = json_object_get(vb, "classification");
	ea = impact_str(ca, "eccn");
	eb = impact_str(cb, "eccn");
	if (!impact_same(ea, eb))
		impact_change(changed, "classification", eb != NULL ? eb : ea,
		    ea, eb, ea != NULL ? ca : NULL, eb != NULL ? cb : NULL);
	impact_diff_reqs(changed, "requirement",
	    json_object_get(va, "requirements"),
	    json_object_get(vb, "requirements"));
	impact_diff_excs(changed, json_object_get(va, "exceptions"),
	    json_object_get(vb, "exceptions"));
	impact_diff_postures(changed, va, vb);
	impact_diff_reqs(changed, "text_requirement",
	    json_object_get(va, "text_requirements"),
	    json_object_get(vb, "text_requirements"));

	if (!flipped && !text_flipped && !policy &&
	    (!all || json_array_size(changed) == 0)) {
		json_decref(changed);
		return (NULL);
	}
	o = json_object();
	json_object_set_new(o, "from_verdict",
	    impact_jstr(impact_str(va, "verdict")));
	json_object_set_new(o, "to_verdict",
	    impact_jstr(impact_str(vb, "verdict")));
	json_object_set_new(o, "from_text_verdict",
	    impact_jstr(impact_text_verdict(va)));
	json_object_set_new(o, "to_text_verdict",
	    impact_jstr(impact_text_verdict(vb)));
	json_object_set_new(o, "from_review_policy",
	    impact_jstr(impact_str(va, "review_policy")));
	json_object_set_new(o, "to_review_policy",
	    impact_jstr(impact_str(vb, "review_policy")));
	json_object_set_new(o, "from_eccn", impact_jstr(ea));
	json_object_set_new(o, "to_eccn", impact_jstr(eb));
	json_object_set_new(o, "flipped", json_boolean(flipped));
	json_object_set_new(o, "changed", changed);
	return (o);
}

/*
 * "license_required, case_by_case" or "no_license_required (text:
 * license_required)"; caller frees.
 */
static char *
impact_verdict_text(const char *verdict, const char *policy,
    const char *text)
{
	char	*s;

	if (verdict == NULL)
		return (xstrdup("-"));
	xasprintf(&s, "%s%s%s%s%s%s", verdict, policy != NULL ? ", " : "",
	    policy != NULL ? policy : "", text != NULL &&
	    strcmp(text, verdict) != 0 ? " (text: " : "", text != NULL &&
	    strcmp(text, verdict) != 0 ? text : "", text != NULL &&
	    strcmp(text, verdict) != 0 ? ")" : "");
	return (s);
}

/* Append s to *buf with a separator; *buf may be NULL. */
static void
impact_append(char **buf, const char *sep, const char *s)
{
	char	*n;

	if (*buf == NULL) {
		*buf = xstrdup(s);
		return;
	}
	xasprintf(&n, "%s%s%s", *buf, sep, s);
	free(*buf);
	*buf = n;
}

/*
 * One change in words: "+RS-3A090.a-dest: applies, presumption_of_denial",
 * "-REV-...: needs_review", "~classification: 3A090.a -> 3A090.a.1",
 * "+posture AIA: not enforced since 2025-05-13"; caller frees.
 */
static char *
impact_change_text(const json_t *x)
{
	const char	*type = impact_str(x, "type");
	const char	*from = impact_str(x, "from");
	const char	*to = impact_str(x, "to");
	const char	*id = impact_str(x, "id");
	char		*what, *s;

	if (strcmp(type, "requirement") == 0)
		what = xstrdup(id);
	else if (strcmp(type, "classification") == 0)
		what = xstrdup(type);
	else
		xasprintf(&what, "%s %s", type, id);
	if (from == NULL)
		xasprintf(&s, "+%s: %s", what, to != NULL ? to : "");
	else if (to == NULL)
		xasprintf(&s, "-%s: %s", what, from);
	else
		xasprintf(&s, "~%s: %s -> %s", what, from, to);
	free(what);
	return (s);
}

/*
 * The flattened columns of a flip, for tables and CSV: from, to, rules
 * ("+RS-3A090.a-dest, -REV-...") and citations (each cited once).
 */
static void
impact_flatten(json_t *flip)
{
	const json_t	*x;
	const char	*cit, *rule;
	char		*from, *to, *rules = NULL, *cits = NULL, *s;
	size_t		 i;
	json_t		*seen;

	from = impact_verdict_text(impact_str(flip, "from_verdict"),
	    impact_str(flip, "from_review_policy"),
	    impact_str(flip, "from_text_verdict"));
	to = impact_verdict_text(impact_str(flip, "to_verdict"),
	    impact_str(flip, "to_review_policy"),
	    impact_str(flip, "to_text_verdict"));
	seen = json_object();
	json_array_foreach(json_object_get(flip, "changed"), i, x) {
		s = impact_change_text(x);
		impact_append(&rules, "; ", s);
		free(s);
		cit = impact_str(x, "citation");
		rule = impact_str(x, "rule");
		if (cit == NULL && rule == NULL)
			continue;
		if (cit == NULL || rule == NULL || strcmp(cit, rule) == 0)
			s = xstrdup(cit != NULL ? cit : rule);
		else
			xasprintf(&s, "%s (%s)", cit, rule);
		if (json_object_get(seen, s) == NULL) {
			json_object_set_new(seen, s, json_true());
			impact_append(&cits, "; ", s);
		}
		free(s);
	}
	json_decref(seen);
	json_object_set_new(flip, "from", json_string(from));
	json_object_set_new(flip, "to", json_string(to));
	json_object_set_new(flip, "rules", impact_jstr(rules));
	json_object_set_new(flip, "citations", impact_jstr(cits));
	free(from);
	free(to);
	free(rules);
	free(cits);
}

/* The check body of one item for one destination on one date. */
static json_t *
impact_body(const json_t *item, bool chip, const char *dest, ear_date as_of,
    const struct cmd_impact_opts *o)
{
	json_t	*b, *r, *facts;
	char	 d[11];

	date_format(as_of, d);
	facts = json_object_get(item, "facts");
	b = json_pack("{s:s, s:s, s:O, s:s}", "as_of", d, "destination", dest,
	    chip ? "chip" : "model", json_is_object(facts) ? facts :
	    json_object(), "export_type", "export");
	if (!json_is_object(facts))
		json_object_set_new(b, chip ? "chip" : "model", json_object());
	if (!chip)
		json_object_set_new(b, "release", json_string("export"));
	r = json_pack("{s:s, s:s}", "country", dest, "headquarters",
	    o->recipient_hq != NULL ? o->recipient_hq : dest);
	json_object_set_new(b, "recipient", r);
	if (o->exporter != NULL) {
		r = json_pack("{s:s}", "name", o->exporter);
		if (o->exporter_country != NULL)
			json_object_set_new(r, "country",
			    json_string(o->exporter_country));
		json_object_set_new(b, "exporter", r);
	}
	return (b);
}

/* Determine one side; the verdict body (new reference) or NULL with err. */
static json_t *
impact_determine(const struct cmd_impact_side *side, const json_t *item,
    bool chip, const char *dest, const struct cmd_impact_opts *o,
    struct ear_error *err)
{
	struct check	*c;
	struct verdict	*v;
	json_t		*body, *out;

	body = impact_body(item, chip, dest, side->as_of, o);
	c = check_decode(chip ? ITEM_CHIP : ITEM_MODEL, body, side->as_of,
	    err);
	json_decref(body);
	if (c == NULL)
		return (NULL);
	v = determine(side->rs, c);
	/* verdict_to_json()'s members are the verdict's: keep a copy. */
	body = verdict_to_json(v, NULL);
	out = json_deep_copy(body);
	json_decref(body);
	verdict_free(v);
	check_free(c);
	return (out);
}

/* A side as JSON: {"ruleset", "as_of"}. */
static json_t *
impact_side_json(const struct cmd_impact_side *s)
{
	char	 d[11];

	date_format(s->as_of, d);
	return (json_pack("{s:s, s:s}", "ruleset", ruleset_version(s->rs),
	    "as_of", d));
}

/*
 * Determine every item for every destination on both sides and keep the
 * differences (see earctl.h). Items whose facts do not decode are listed
 * once each in "errors".
 */
json_t *
cmd_impact_compute(const struct cmd_impact_side *a,
    const struct cmd_impact_side *b, const json_t *items,
    const struct cmd_impact_opts *o)
{
	struct ear_error	 err;
	const json_t		*item;
	json_t			*res, *flips, *errors, *dests, *va, *vb, *d;
	const char		*dest, *kind;
	char			*who;
	size_t			 i, k, checks = 0;
	bool			 chip, failed;

	flips = json_array();
	errors = json_array();
	dests = json_array();
	for (k = 0; k < o->ndestinations; k++)
		json_array_append_new(dests, json_string(o->destinations[k]));
	json_array_foreach(items, i, item) {
		kind = impact_str(item, "kind");
		chip = kind != NULL && strcmp(kind, "chip") == 0;
		failed = false;
		for (k = 0; k < o->ndestinations && !failed; k++) {
			dest = o->destinations[k];
			memset(&err, 0, sizeof err);
			va = impact_determine(a, item, chip, dest, o, &err);
			vb = va != NULL ? impact_determine(b, item, chip, dest,
			    o, &err) : NULL;
			if (va == NULL || vb == NULL) {
				json_array_append_new(errors, json_pack("{s:s, "
				    "s:o, s:o, s:s, s:o}", "kind", chip ?
				    "chip" : "model", "id",
				    impact_jstr(impact_str(item, "id")),
				    "item", impact_jstr(impact_str(item,
				    "name")), "message", err.message != NULL ?
				    err.message : "could not decode the check",
				    "field", impact_jstr(err.field)));
				error_clear(&err);
				json_decref(va);
				failed = true;
				continue;
			}
			checks += 2;
			d = cmd_impact_diff(va, vb, o->all);
			json_decref(va);
			json_decref(vb);
			if (d == NULL)
				continue;
			json_object_set_new(d, "kind", json_string(chip ?
			    "chip" : "model"));
			json_object_set_new(d, "id",
			    impact_jstr(impact_str(item, "id")));
			json_object_set_new(d, "item",
			    impact_jstr(impact_str(item, "name")));
			json_object_set_new(d, "destination",
			    json_string(dest));
			impact_flatten(d);
			json_array_append_new(flips, d);
		}
	}
	if (o->recipient_hq != NULL)
		xasprintf(&who, "a neutral recipient in the destination, "
		    "headquartered in %s", o->recipient_hq);
	else
		who = xstrdup("a neutral recipient in the destination, "
		    "headquartered there");
	res = json_pack("{s:o, s:o, s:o, s:s, s:o, s:I, s:I, s:I, s:o, s:o}",
	    "from", impact_side_json(a), "to", impact_side_json(b),
	    "destinations", dests, "recipient", who, "exporter",
	    impact_jstr(o->exporter), "items", (json_int_t)json_array_size(
	    items), "checks", (json_int_t)checks, "count",
	    (json_int_t)json_array_size(flips), "flips", flips, "errors",
	    errors);
	free(who);
	return (res);
}

/* One value of a result as a string, or NULL. */
static const char *
impact_val(PGresult *res, int row, int col)
{
	return (PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col));
}

/* Run a query; the result or NULL with *cause. */
static PGresult *
impact_query(PGconn *conn, const char *what, const char *sql, int n,
    const char *const *params, char **cause)
{
	PGresult	*res;
	char		*msg;
	size_t		 len;

	res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK ||
	    PQresultStatus(res) == PGRES_COMMAND_OK)
		return (res);
	msg = xstrdup(PQresultErrorMessage(res));
	len = strlen(msg);
	while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
		msg[--len] = '\0';
	xasprintf(cause, "could not %s: %s", what, msg);
	free(msg);
	PQclear(res);
	return (NULL);
}

/*
 * The rules document in force in the database now: text and version
 * (caller frees both), or -1 with *cause.
 */
static int
impact_current(PGconn *conn, char **text, char **version, char **cause)
{
	PGresult	*res;
	char		 v[65];

	if ((res = impact_query(conn, "read the rules", "SELECT "
	    "eard_rules_document()::text", 0, NULL, cause)) == NULL)
		return (-1);
	if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0)) {
		xasprintf(cause, "eard_rules_document() returned no document");
		PQclear(res);
		return (-1);
	}
	*text = xstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	impact_sha256(*text, v);
	*version = xstrdup(v);
	return (0);
}

/*
 * A ruleset version kept in ruleset_documents, by its version or a unique
 * prefix of at least 6 hex digits; "current" is the database's rules now.
 */
static int
impact_stored(PGconn *conn, const char *want, char **text, char **version,
    char **cause)
{
	PGresult	*res;
	const char	*params[1] = { want };

	if (strcmp(want, "current") == 0)
		return (impact_current(conn, text, version, cause));
	if (strlen(want) < 6 || strlen(want) > 64 ||
	    strspn(want, "0123456789abcdef") != strlen(want)) {
		xasprintf(cause, "invalid ruleset version \"%s\": give its "
		    "SHA-256 in hex (at least 6 digits) or \"current\"", want);
		return (-1);
	}
	if ((res = impact_query(conn, "read ruleset_documents",
	    "SELECT version, "
	    "document::text FROM ruleset_documents WHERE version LIKE $1 || "
	    "'%' ORDER BY version LIMIT 2", 1, params, cause)) == NULL)
		return (-1);
	if (PQntuples(res) != 1) {
		xasprintf(cause, PQntuples(res) == 0 ? "no ruleset version "
		    "\"%s\" in ruleset_documents (eard keeps each version it "
		    "has served)" : "ruleset version \"%s\" is ambiguous: give "
		    "more digits", want);
		PQclear(res);
		return (-1);
	}
	*version = xstrdup(PQgetvalue(res, 0, 0));
	*text = xstrdup(PQgetvalue(res, 0, 1));
	PQclear(res);
	return (0);
}

/* Compile a rules document; NULL with *cause. */
static struct ruleset *
impact_compile(const char *text, const char *version, char **cause)
{
	struct ruleset	*rs;
	char		*why = NULL;

	rs = ruleset_from_text(text, strlen(text), version, &why);
	if (rs == NULL) {
		xasprintf(cause, "could not compile the rules of version "
		    "%.12s: %s", version, why);
		free(why);
	}
	return (rs);
}

/* Every registry model and chip as [{kind, id, name, facts}]; or NULL. */
static json_t *
impact_items(PGconn *conn, char **cause)
{
	PGresult	*res;
	json_error_t	 jerr;
	json_t		*items, *facts;
	int		 i;

	if ((res = impact_query(conn, "read the registry", "SELECT 'chip', id, "
	    "name, facts::text FROM chips_current UNION ALL SELECT 'model', "
	    "id, name, facts::text FROM models_current ORDER BY 1, 2", 0,
	    NULL, cause)) == NULL)
		return (NULL);
	items = json_array();
	for (i = 0; i < PQntuples(res); i++) {
		facts = impact_val(res, i, 3) == NULL ? json_object() :
		    json_loads(impact_val(res, i, 3), 0,
		    &jerr);
		if (facts == NULL)
			facts = json_object();
		json_array_append_new(items, json_pack("{s:s, s:s, s:o, s:o}",
		    "kind", PQgetvalue(res, i, 0), "id", PQgetvalue(res, i, 1),
		    "name", impact_jstr(impact_val(res, i, 2)), "facts",
		    facts));
	}
	PQclear(res);
	return (items);
}

/*
 * Parse a watch list ("CN,SA AE"): upper-cased, deduplicated alpha-2
 * codes into *out (caller frees each and the array); -1 with *cause.
 */
static int
impact_parse_destinations(const char *s, char ***out, size_t *n,
    char **cause)
{
	char		**v = NULL, cc[3];
	size_t		  nv = 0, i, len;
	const char	 *p = s;
	bool		  dup;

	while (*p != '\0') {
		p += strspn(p, ", \t\n");
		if (*p == '\0')
			break;
		len = strcspn(p, ", \t\n");
		if (len != 2 || !isalpha((unsigned char)p[0]) ||
		    !isalpha((unsigned char)p[1])) {
			xasprintf(cause, "invalid destination \"%.*s\" in the "
			    "watch list: want ISO 3166-1 alpha-2 codes such as "
			    "CN,SA", (int)len, p);
			for (i = 0; i < nv; i++)
				free(v[i]);
			free(v);
			return (-1);
		}
		cc[0] = (char)toupper((unsigned char)p[0]);
		cc[1] = (char)toupper((unsigned char)p[1]);
		cc[2] = '\0';
		dup = false;
		for (i = 0; i < nv; i++)
			dup = dup || strcmp(v[i], cc) == 0;
		if (!dup) {
			v = xreallocarray(v, nv + 1, sizeof *v);
			v[nv++] = xstrdup(cc);
		}
		p += len;
	}
	if (nv == 0) {
		xasprintf(cause, "the watch list of destinations is empty");
		free(v);
		return (-1);
	}
	*out = v;
	*n = nv;
	return (0);
}

/*
 * The watch list: opt (--destinations), EARD_IMPACT_DESTINATIONS, the
 * eard_meta row impact_destinations, or cmd_impact_watch.
 */
static int
impact_destinations(PGconn *conn, const char *opt, char ***out, size_t *n,
    char **cause)
{
	PGresult	*res;
	const char	*env;
	char		*why = NULL;
	size_t		 i;
	int		 rc;

	if (opt != NULL)
		return (impact_parse_destinations(opt, out, n, cause));
	env = getenv("EARD_IMPACT_DESTINATIONS");
	if (env != NULL && *env != '\0')
		return (impact_parse_destinations(env, out, n, cause));
	res = impact_query(conn, "read eard_meta",
	    "SELECT value FROM eard_meta "
	    "WHERE key = 'impact_destinations'", 0, NULL, &why);
	free(why);
	if (res != NULL && PQntuples(res) == 1) {
		rc = impact_parse_destinations(PQgetvalue(res, 0, 0), out, n,
		    cause);
		PQclear(res);
		return (rc);
	}
	PQclear(res);
	*out = xcalloc(cmd_impact_nwatch, sizeof **out);
	for (i = 0; i < cmd_impact_nwatch; i++)
		(*out)[i] = xstrdup(cmd_impact_watch[i]);
	*n = cmd_impact_nwatch;
	return (0);
}

/* Free a watch list. */
static void
impact_free_destinations(char **v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Print a result: the flips as a table or CSV, or the whole as JSON. */
static void
impact_print(struct cmd_ctx *ctx, json_t *res)
{
	static const char *const keys[] = { "kind", "item", "destination",
	    "from", "to", "rules", "citations" };
	const json_t	*e;
	size_t		 i;
	FILE		*f = ctx->format == CLI_FORMAT_TABLE ? stdout : stderr;

	if (ctx->format == CLI_FORMAT_JSON) {
		cli_print_json(res);
		return;
	}
	fprintf(f, "impact: %s, rules %.12s -> %s, rules %.12s\n",
	    impact_str(json_object_get(res, "from"), "as_of"),
	    impact_str(json_object_get(res, "from"), "ruleset"),
	    impact_str(json_object_get(res, "to"), "as_of"),
	    impact_str(json_object_get(res, "to"), "ruleset"));
	fprintf(f, "  %lld registry items x %zu destinations, for %s%s%s; "
	    "%lld verdicts change\n",
	    (long long)json_integer_value(json_object_get(res, "items")),
	    json_array_size(json_object_get(res, "destinations")),
	    impact_str(res, "recipient"),
	    impact_str(res, "exporter") != NULL ? ", exporter " : "",
	    impact_str(res, "exporter") != NULL ? impact_str(res,
	    "exporter") : "",
	    (long long)json_integer_value(json_object_get(res, "count")));
	json_array_foreach(json_object_get(res, "errors"), i, e)
		fprintf(stderr, "earctl: %s %s not determined: %s\n",
		    impact_str(e, "kind"), impact_str(e, "id"),
		    impact_str(e, "message"));
	if (ctx->format == CLI_FORMAT_TABLE)
		putchar('\n');
	cli_print_json_rows(ctx, json_object_get(res, "flips"), keys,
	    nitems(keys));
}

/* Load one side's rules (cached when both sides name the same version). */
static int
impact_load_side(PGconn *conn, struct impact_load *s,
    const struct impact_load *other, char **cause)
{
	char	*text = NULL;

	if (impact_stored(conn, s->want != NULL ? s->want : "current", &text,
	    &s->version, cause) != 0)
		return (-1);
	if (other != NULL && other->rs != NULL &&
	    strcmp(other->version, s->version) == 0) {
		s->rs = other->rs;
		ruleset_ref(s->rs);
		free(text);
		return (0);
	}
	s->rs = impact_compile(text, s->version, cause);
	free(text);
	return (s->rs != NULL ? 0 : -1);
}

/* Free a side. */
static void
impact_load_clear(struct impact_load *s)
{
	if (s->rs != NULL)
		ruleset_unref(s->rs);
	free(s->version);
}

/* Pass `report impact` without a side to the generic report (stored runs). */
static int
impact_stored_report(struct cmd_ctx *ctx, int argc, char **argv)
{
	char	**v;
	int	  i, rc;

	v = xcalloc((size_t)argc + 2, sizeof *v);
	v[0] = (char *)"report";
	v[1] = (char *)"impact";
	for (i = 1; i < argc; i++)
		v[i + 1] = argv[i];
	rc = cmd_audit_report_exec(ctx, argc + 1, v);
	free(v);
	return (rc);
}

/* A date option's value, or a usage error's exit code (negative). */
static int
impact_date_opt(struct cmd_ctx *ctx, const char *name, const char *arg,
    ear_date *d)
{
	if (date_parse(arg, d) != 0)
		return (-cli_usage_error(ctx, "--%s: invalid date \"%s\" (want "
		    "YYYY-MM-DD)", name, arg));
	return (0);
}

/* earctl report impact ... (see the top of this file) */
int
cmd_impact_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "as-of", required_argument, NULL, 'a' },
		{ "from-ruleset", required_argument, NULL, 'F' },
		{ "to-ruleset", required_argument, NULL, 'T' },
		{ "destinations", required_argument, NULL, 'd' },
		{ "recipient-hq", required_argument, NULL, 'r' },
		{ "exporter", required_argument, NULL, 'e' },
		{ "exporter-country", required_argument, NULL, 'E' },
		{ "all", no_argument, NULL, 'A' },
		{ "format", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	struct impact_load	 a, b;
	struct cmd_impact_side	 sa, sb;
	struct cmd_impact_opts	 o;
	char			**dests = NULL, *cause = NULL, hq[3];
	size_t			 ndests = 0;
	ear_date		 as_of = date_today(), from, to;
	bool			 side = false, has_from = false, has_to = false;
	json_t			*items = NULL, *res;
	PGconn			*conn;
	int			 ch, i, rc;

	for (i = 1; i < argc && !side; i++) {
		side = strcmp(argv[i], "--from") == 0 ||
		    strcmp(argv[i], "--to") == 0 ||
		    strncmp(argv[i], "--from=", 7) == 0 ||
		    strncmp(argv[i], "--to=", 5) == 0 ||
		    strncmp(argv[i], "--from-ruleset", 14) == 0 ||
		    strncmp(argv[i], "--to-ruleset", 12) == 0;
	}
	if (!side)
		return (impact_stored_report(ctx, argc, argv));

	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	memset(&o, 0, sizeof o);
	cli_getopt_reset();
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		rc = 0;
		switch (ch) {
		case 'f':
			rc = impact_date_opt(ctx, "from", optarg, &from);
			has_from = true;
			break;
		case 't':
			rc = impact_date_opt(ctx, "to", optarg, &to);
			has_to = true;
			break;
		case 'a':
			rc = impact_date_opt(ctx, "as-of", optarg, &as_of);
			break;
		case 'F':
			a.want = optarg;
			break;
		case 'T':
			b.want = optarg;
			break;
		case 'd':
			impact_free_destinations(dests, ndests);
			dests = NULL;
			if (impact_parse_destinations(optarg, &dests, &ndests,
			    &cause) != 0) {
				rc = -cli_usage_error(ctx, "--destinations: %s",
				    cause);
				free(cause);
				cause = NULL;
			}
			break;
		case 'r':
			if (strlen(optarg) != 2 ||
			    !isalpha((unsigned char)optarg[0]) ||
			    !isalpha((unsigned char)optarg[1])) {
				rc = -cli_usage_error(ctx, "--recipient-hq: "
				    "want an ISO 3166-1 alpha-2 code, not "
				    "\"%s\"", optarg);
				break;
			}
			hq[0] = (char)toupper((unsigned char)optarg[0]);
			hq[1] = (char)toupper((unsigned char)optarg[1]);
			hq[2] = '\0';
			o.recipient_hq = hq;
			break;
		case 'e':
			o.exporter = optarg;
			break;
		case 'E':
			o.exporter_country = optarg;
			break;
		case 'A':
			o.all = true;
			break;
		case 'o':
			if (strcmp(optarg, "table") == 0)
				ctx->format = CLI_FORMAT_TABLE;
			else if (strcmp(optarg, "csv") == 0)
				ctx->format = CLI_FORMAT_CSV;
			else if (strcmp(optarg, "json") == 0)
				ctx->format = CLI_FORMAT_JSON;
			else
				rc = -cli_usage_error(ctx, "--format: want "
				    "table, csv or json, not \"%s\"", optarg);
			break;
		default:
			rc = -cli_usage_error(ctx, NULL);
			break;
		}
		if (rc != 0) {
			impact_free_destinations(dests, ndests);
			return (-rc);
		}
	}
	if (optind != argc) {
		impact_free_destinations(dests, ndests);
		return (cli_usage_error(ctx, "unexpected argument \"%s\"",
		    argv[optind]));
	}
	a.as_of = has_from ? from : as_of;
	b.as_of = has_to ? to : as_of;

	if ((conn = cli_db_connect(ctx, false, &cause)) == NULL)
		goto fail;
	if (impact_load_side(conn, &a, NULL, &cause) != 0 ||
	    impact_load_side(conn, &b, &a, &cause) != 0 ||
	    (items = impact_items(conn, &cause)) == NULL ||
	    (dests == NULL && impact_destinations(conn, NULL, &dests,
	    &ndests, &cause) != 0)) {
		PQfinish(conn);
		goto fail;
	}
	PQfinish(conn);

	o.destinations = (const char *const *)dests;
	o.ndestinations = ndests;
	sa.rs = a.rs;
	sa.as_of = a.as_of;
	sb.rs = b.rs;
	sb.as_of = b.as_of;
	res = cmd_impact_compute(&sa, &sb, items, &o);
	impact_print(ctx, res);
	json_decref(res);
	json_decref(items);
	impact_free_destinations(dests, ndests);
	impact_load_clear(&a);
	impact_load_clear(&b);
	return (CLI_EXIT_OK);

fail:
	cli_warnx("%s", cause);
	free(cause);
	json_decref(items);
	impact_free_destinations(dests, ndests);
	impact_load_clear(&a);
	impact_load_clear(&b);
	return (CLI_EXIT_ERROR);
}

/*
 * Before `earctl import rules`: the rules document the import will change
 * and its version. With no rulepack imported yet, the last document eard
 * kept in ruleset_documents, if any; else none (*text NULL).
 */
int
cmd_impact_previous(PGconn *conn, char **text, char **version, char **cause)
{
	PGresult	*res;
	bool		 empty;

	*text = *version = NULL;
	if ((res = impact_query(conn, "read the rulepacks", "SELECT NOT EXISTS "
	    "(SELECT 1 FROM rulepacks)", 0, NULL, cause)) == NULL)
		return (-1);
	empty = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (!empty)
		return (impact_current(conn, text, version, cause));
	if ((res = impact_query(conn, "read ruleset_documents",
	    "SELECT version, "
	    "document::text FROM ruleset_documents ORDER BY loaded_at DESC, "
	    "version LIMIT 1", 0, NULL, cause)) == NULL)
		return (-1);
	if (PQntuples(res) == 1) {
		*version = xstrdup(PQgetvalue(res, 0, 0));
		*text = xstrdup(PQgetvalue(res, 0, 1));
	}
	PQclear(res);
	return (0);
}

/* Store a run in impact_runs; its id, or -1 with *cause. */
static long long
impact_store(PGconn *conn, json_t *res, char **cause)
{
	PGresult	*r;
	const char	*params[4];
	char		*text;
	long long	 id;

	text = json_dumps(res, JSON_COMPACT | JSON_REAL_PRECISION(17));
	params[0] = impact_str(json_object_get(res, "from"), "ruleset");
	params[1] = impact_str(json_object_get(res, "to"), "ruleset");
	params[2] = impact_str(json_object_get(res, "to"), "as_of");
	params[3] = text;
	r = impact_query(conn, "store the run in impact_runs",
	    "INSERT INTO impact_runs "
	    "(from_version, to_version, as_of, result) VALUES ($1, $2, $3, "
	    "$4::jsonb) RETURNING id", 4, params, cause);
	free(text);
	if (r == NULL)
		return (-1);
	id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return (id);
}

/*
 * After `earctl import rules` changed the rules: the impact between the
 * previous document (cmd_impact_previous()) and the new one as of today,
 * kept in impact_runs, and one line saying so. A failure is a warning:
 * the import itself has been committed.
 */
void
cmd_impact_after_import(struct cmd_ctx *ctx, PGconn *conn,
    const char *prev_text, const char *prev_version)
{
	struct cmd_impact_side	 sa, sb;
	struct cmd_impact_opts	 o;
	struct ruleset		*ra = NULL, *rb = NULL;
	char			*text = NULL, *version = NULL, *cause = NULL;
	char			**dests = NULL, today[11];
	size_t			 ndests = 0;
	json_t			*items = NULL, *res = NULL;
	long long		 id;

	if (prev_text == NULL || prev_version == NULL) {
		if (ctx->format != CLI_FORMAT_JSON)
			printf("impact: not run (no previous rules to compare "
			    "with)\n");
		return;
	}
	if (impact_current(conn, &text, &version, &cause) != 0)
		goto fail;
	if (strcmp(version, prev_version) == 0) {
		if (ctx->format != CLI_FORMAT_JSON)
			printf("impact: not run (the rules document is "
			    "unchanged, version %.12s)\n", version);
		goto out;
	}
	if ((ra = impact_compile(prev_text, prev_version, &cause)) == NULL ||
	    (rb = impact_compile(text, version, &cause)) == NULL ||
	    (items = impact_items(conn, &cause)) == NULL ||
	    impact_destinations(conn, NULL, &dests, &ndests, &cause) != 0)
		goto fail;
	memset(&o, 0, sizeof o);
	o.destinations = (const char *const *)dests;
	o.ndestinations = ndests;
	sa.rs = ra;
	sb.rs = rb;
	sa.as_of = sb.as_of = date_today();
	res = cmd_impact_compute(&sa, &sb, items, &o);
	if ((id = impact_store(conn, res, &cause)) < 0)
		goto fail;
	date_format(sa.as_of, today);
	if (ctx->format == CLI_FORMAT_JSON)
		printf("{\"kind\":\"impact\",\"run\":%lld,\"from\":\"%s\","
		    "\"to\":\"%s\",\"as_of\":\"%s\",\"items\":%zu,"
		    "\"flips\":%zu}\n", id, prev_version, version, today,
		    json_array_size(items), json_array_size(
		    json_object_get(res, "flips")));
	else
		printf("impact: %zu verdicts change from rules %.12s to %.12s "
		    "as of %s (%zu registry items x %zu destinations); run "
		    "%lld, see earctl report impact\n", json_array_size(
		    json_object_get(res, "flips")), prev_version, version,
		    today, json_array_size(items), ndests, id);
	goto out;

fail:
	cli_warnx("the rules were imported, but the impact run failed: %s",
	    cause);
out:
	free(cause);
	free(text);
	free(version);
	if (ra != NULL)
		ruleset_unref(ra);
	if (rb != NULL)
		ruleset_unref(rb);
	json_decref(items);
	json_decref(res);
	impact_free_destinations(dests, ndests);
}
