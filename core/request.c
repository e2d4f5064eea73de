/*
 * request.c: strict decoding of a check request (ARCHITECTURE.md, "The check
 * contract"). Every field is typed and range-checked; an unknown field, a
 * malformed value or a missing required field is a 400 whose "field" is the
 * JSON path of the culprit (chip.performance[1].dense_tops), so a client can
 * fix it without guessing. A check owns copies of everything it keeps.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

#define PATH_MAX_LEN	128

/* Join a parent path and a key: "chip" + "name" = "chip.name". */
static void
req_path(char *buf, const char *parent, const char *key)
{
	size_t	 n = 0, k;

	if (parent != NULL && *parent != '\0') {
		n = strnlen(parent, PATH_MAX_LEN - 2);
		memcpy(buf, parent, n);
		buf[n++] = '.';
	}
	k = strnlen(key, PATH_MAX_LEN - 1 - n);
	memcpy(buf + n, key, k);
	buf[n + k] = '\0';
}

/* Set a 400 error with a fixed message; returns -1. */
static int
req_fail(struct ear_error *err, const char *code, const char *field,
    const char *msg)
{
	error_set(err, 400, code, field, "%s", msg);
	return (-1);
}

/* Reject members of o not named in allowed (a NULL-terminated list). */
static int
req_keys(const json_t *o, const char *path, const char *const *allowed,
    struct ear_error *err)
{
	const char	*key;
	const json_t	*v;
	char		 p[PATH_MAX_LEN], *msg;
	size_t		 i;

	json_object_foreach((json_t *)o, key, v) {
		for (i = 0; allowed[i] != NULL; i++) {
			if (strcmp(key, allowed[i]) == 0)
				break;
		}
		if (allowed[i] == NULL) {
			req_path(p, path, key);
			xasprintf(&msg, "unknown field \"%s\"", p);
			error_set(err, 400, "unknown_field", p, "%s", msg);
			free(msg);
			return (-1);
		}
	}
	return (0);
}

/* An optional member: NULL when absent or null. */
static const json_t *
req_get(const json_t *o, const char *key)
{
	const json_t	*v;

	v = json_object_get(o, key);
	return (v == NULL || json_is_null(v) ? NULL : v);
}

/* An optional finite number >= 0; NaN when absent. */
static int
req_num(const json_t *o, const char *key, const char *path, double *out,
    struct ear_error *err)
{
	const json_t	*v;
	char		 p[PATH_MAX_LEN];
	double		 d;

	*out = NAN;
	if ((v = req_get(o, key)) == NULL)
		return (0);
	req_path(p, path, key);
	if (!json_is_number(v)) {
		error_set(err, 400, "invalid_field", p, "%s must be a number",
		    p);
		return (-1);
	}
	d = json_number_value(v);
	if (!isfinite(d) || d < 0) {
		error_set(err, 400, "invalid_field", p, "%s must be a finite "
		    "number >= 0", p);
		return (-1);
	}
	*out = d;
	return (0);
}

/* An optional string; NULL when absent. */
static int
req_str(const json_t *o, const char *key, const char *path, char **out,
    struct ear_error *err)
{
	const json_t	*v;
	char		 p[PATH_MAX_LEN];

	*out = NULL;
	if ((v = req_get(o, key)) == NULL)
		return (0);
	if (!json_is_string(v)) {
		req_path(p, path, key);
		error_set(err, 400, "invalid_field", p, "%s must be a string",
		    p);
		return (-1);
	}
	*out = xstrdup(json_string_value(v));
	return (0);
}

/* An optional boolean as a truth value; TV_UNKNOWN when absent. */
static int
req_bool(const json_t *o, const char *key, const char *path, enum tv *out,
    struct ear_error *err)
{
	const json_t	*v;
	char		 p[PATH_MAX_LEN];

	*out = TV_UNKNOWN;
	if ((v = req_get(o, key)) == NULL)
		return (0);
	if (!json_is_boolean(v)) {
		req_path(p, path, key);
		error_set(err, 400, "invalid_field", p, "%s must be true or "
		    "false", p);
		return (-1);
	}
	*out = json_is_true(v) ? TV_TRUE : TV_FALSE;
	return (0);
}

/* An optional string from a fixed list; dflt when absent. */
static int
req_enum(const json_t *o, const char *key, const char *path,
    const char *const *values, const char *dflt, char **out,
    struct ear_error *err)
{
	char	 p[PATH_MAX_LEN], *s, *list;
	size_t	 i;

	if (req_str(o, key, path, &s, err) != 0)
		return (-1);
	if (s == NULL) {
		*out = dflt != NULL ? xstrdup(dflt) : NULL;
		return (0);
	}
	for (i = 0; values[i] != NULL; i++) {
		if (strcmp(s, values[i]) == 0) {
			*out = s;
			return (0);
		}
	}
	free(s);
	req_path(p, path, key);
	list = xstrdup(values[0]);
	for (i = 1; values[i] != NULL; i++) {
		xasprintf(&s, "%s, %s", list, values[i]);
		free(list);
		list = s;
	}
	error_set(err, 400, "invalid_field", p, "%s must be one of: %s", p,
	    list);
	free(list);
	return (-1);
}

/*
 * The 249 officially assigned ISO 3166-1 alpha-2 codes (ISO 3166
 * Maintenance Agency, as shipped by the iso-codes project), two letters
 * each, plus XK (Kosovo: user-assigned, used by the US government).
 */
static const char req_iso3166[] =
	"ADAEAFAGAIALAMAOAQARASATAUAWAXAZBABBBDBEBFBGBHBIBJBLBMBNBOBQBRBS"
	"BTBVBWBYBZCACCCDCFCGCHCICKCLCMCNCOCRCUCVCWCXCYCZDEDJDKDMDODZECEE"
	"EGEHERESETFIFJFKFMFOFRGAGBGDGEGFGGGHGIGLGMGNGPGQGRGSGTGUGWGYHKHM"
	"HNHRHTHUIDIEILIMINIOIQIRISITJEJMJOJPKEKGKHKIKMKNKPKRKWKYKZLALBLC"
	"LILKLRLSLTLULVLYMAMCMDMEMFMGMHMKMLMMMNMOMPMQMRMSMTMUMVMWMXMYMZNA"
	"NCNENFNGNINLNONPNRNUNZOMPAPEPFPGPHPKPLPMPNPRPSPTPWPYQARERORSRURW"
	"SASBSCSDSESGSHSISJSKSLSMSNSOSRSSSTSVSXSYSZTCTDTFTGTHTJTKTLTMTNTO"
	"TRTTTVTWTZUAUGUMUSUYUZVAVCVEVGVIVNVUWFWSYEYTZAZMZW"
	"XK";

/* Is an upper-case two-letter code an assigned country code? */
static bool
req_iso3166_known(const char *cc)
{
	size_t	 i;

	for (i = 0; req_iso3166[i] != '\0'; i += 2) {
		if (req_iso3166[i] == cc[0] && req_iso3166[i + 1] == cc[1])
			return (true);
	}
	return (false);
}

/* An optional ISO 3166-1 alpha-2 code, upper-cased; NULL when absent. */
static int
req_country(const json_t *o, const char *key, const char *path, char **out,
    struct ear_error *err)
{
	char	 p[PATH_MAX_LEN], *s;

	if (req_str(o, key, path, &s, err) != 0)
		return (-1);
	*out = s;
	if (s == NULL)
		return (0);
	if (strlen(s) != 2 || !isalpha((unsigned char)s[0]) ||
	    !isalpha((unsigned char)s[1])) {
		free(s);
		*out = NULL;
		req_path(p, path, key);
		error_set(err, 400, "invalid_field", p, "%s must be an ISO "
		    "3166-1 alpha-2 country code such as \"CN\"", p);
		return (-1);
	}
	s[0] = toupper((unsigned char)s[0]);
	s[1] = toupper((unsigned char)s[1]);
	if (!req_iso3166_known(s)) {
		req_path(p, path, key);
		error_set(err, 400, "invalid_field", p, "%s: \"%s\" is not an "
		    "ISO 3166-1 alpha-2 country code%s", p, s,
		    strcmp(s, "UK") == 0 ? " (the United Kingdom is \"GB\")" :
		    "");
		free(s);
		*out = NULL;
		return (-1);
	}
	return (0);
}

/* An optional object; NULL when absent, -1 when not an object. */
static int
req_obj(const json_t *o, const char *key, const char *path,
    const json_t **out, struct ear_error *err)
{
	char	 p[PATH_MAX_LEN];

	*out = req_get(o, key);
	if (*out != NULL && !json_is_object(*out)) {
		req_path(p, path, key);
		error_set(err, 400, "invalid_field", p, "%s must be an object",
		    p);
		return (-1);
	}
	return (0);
}

/* chip.performance[]: dense rates per precision. */
static int
req_performance(struct check *c, const json_t *a, struct ear_error *err)
{
	static const char *const keys[] = { "format", "bits", "dense_tops",
	    NULL };
	const json_t	*e, *b;
	char		 p[PATH_MAX_LEN], pb[PATH_MAX_LEN], *fmt;
	size_t		 i;
	double		 tops;

	if (!json_is_array(a))
		return (req_fail(err, "invalid_field", "chip.performance",
		    "chip.performance must be an array"));
	c->perf = xcalloc(json_array_size(a) + 1, sizeof *c->perf);
	json_array_foreach(a, i, e) {
		struct chip_perf *cp = &c->perf[c->nperf];

		snprintf(p, sizeof p, "chip.performance[%zu]", i);
		if (!json_is_object(e)) {
			error_set(err, 400, "invalid_field", p, "%s must be an "
			    "object", p);
			return (-1);
		}
		if (req_keys(e, p, keys, err) != 0 ||
		    req_str(e, "format", p, &fmt, err) != 0)
			return (-1);
		if (fmt == NULL) {
			req_path(pb, p, "format");
			error_set(err, 400, "missing_field", pb, "%s is "
			    "required", pb);
			return (-1);
		}
		snprintf(cp->format, sizeof cp->format, "%s", fmt);
		for (char *q = cp->format; *q != '\0'; q++)
			*q = tolower((unsigned char)*q);
		free(fmt);
		if (req_num(e, "dense_tops", p, &tops, err) != 0)
			return (-1);
		if (isnan(tops)) {
			req_path(pb, p, "dense_tops");
			error_set(err, 400, "missing_field", pb, "%s is "
			    "required", pb);
			return (-1);
		}
		cp->dense_tops = tops;
		req_path(pb, p, "bits");
		if ((b = req_get(e, "bits")) != NULL) {
			if (!json_is_integer(b) || json_integer_value(b) <= 0 ||
			    json_integer_value(b) > 1024) {
				error_set(err, 400, "invalid_field", pb, "%s "
				    "must be a positive integer", pb);
				return (-1);
			}
			cp->bits = (int)json_integer_value(b);
		} else if ((cp->bits = chip_format_bits(cp->format)) < 0) {
			error_set(err, 400, "missing_field", pb, "unknown "
			    "format \"%s\": give its bit length in %s",
			    cp->format, pb);
			return (-1);
		}
		if (!isfinite(cp->dense_tops * cp->bits)) {
			req_path(pb, p, "dense_tops");
			error_set(err, 400, "invalid_field", pb, "%s is too "
			    "large: dense_tops x bits overflows", pb);
			return (-1);
		}
		c->nperf++;
	}
	return (0);
}

/* The chip object of a chip check. */
static int
req_chip(struct check *c, const json_t *o, struct ear_error *err)
{
	static const char *const keys[] = { "id", "name", "performance",
	    "die_area_mm2", "io_bandwidth_gbs", "memory_bandwidth_gbs",
	    "datacenter", "kind", "memory_bandwidth_density_gbs_mm2",
	    "package_area_mm2", NULL };
	static const char *const kinds[] = { "ic", "hbm", "computer", NULL };
	const json_t	*v;

	if (req_keys(o, "chip", keys, err) != 0)
		return (-1);
	if ((v = req_get(o, "id")) != NULL && !json_is_string(v))
		return (req_fail(err, "invalid_field", "chip.id",
		    "chip.id must be a string"));
	if (req_str(o, "name", "chip", &c->chip_name, err) != 0 ||
	    req_enum(o, "kind", "chip", kinds, "ic", &c->chip_kind, err) != 0 ||
	    req_num(o, "die_area_mm2", "chip", &c->die_area, err) != 0 ||
	    req_num(o, "io_bandwidth_gbs", "chip", &c->io_bw, err) != 0 ||
	    req_num(o, "memory_bandwidth_gbs", "chip", &c->mem_bw, err) != 0 ||
	    req_num(o, "memory_bandwidth_density_gbs_mm2", "chip",
	    &c->mem_bw_density, err) != 0 ||
	    req_num(o, "package_area_mm2", "chip", &c->package_area,
	    err) != 0 ||
	    req_bool(o, "datacenter", "chip", &c->datacenter, err) != 0)
		return (-1);
	if ((v = req_get(o, "performance")) != NULL &&
	    req_performance(c, v, err) != 0)
		return (-1);
	return (0);
}

/* model.derived_from */
static int
req_derived(struct check *c, const json_t *o, struct ear_error *err)
{
	static const char *const keys[] = { "id", "name", "published",
	    "training_ops", NULL };
	const char	*path = "model.derived_from";

	if (req_keys(o, path, keys, err) != 0)
		return (-1);
	c->model.derived = true;
	if (req_str(o, "name", path, &c->derived_name, err) != 0 ||
	    req_bool(o, "published", path, &c->model.derived_published,
	    err) != 0 ||
	    req_num(o, "training_ops", path, &c->model.derived_training_ops,
	    err) != 0)
		return (-1);
	c->model.derived_name = c->derived_name;
	return (0);
}

/* model.synthetic_data[] */
static int
req_synthetic(struct check *c, const json_t *a, struct ear_error *err)
{
	static const char *const keys[] = { "generator",
	    "generator_published", "generator_training_ops", "generation_ops",
	    "share_of_training_ops", NULL };
	const json_t	*e;
	char		 p[PATH_MAX_LEN], pb[PATH_MAX_LEN], *gen;
	size_t		 i;

	if (!json_is_array(a))
		return (req_fail(err, "invalid_field", "model.synthetic_data",
		    "model.synthetic_data must be an array"));
	c->synth = xcalloc(json_array_size(a) + 1, sizeof *c->synth);
	json_array_foreach(a, i, e) {
		struct model_synth *s = &c->synth[c->nsynth];

		snprintf(p, sizeof p, "model.synthetic_data[%zu]", i);
		if (!json_is_object(e)) {
			error_set(err, 400, "invalid_field", p, "%s must be an "
			    "object", p);
			return (-1);
		}
		if (req_keys(e, p, keys, err) != 0 ||
		    req_str(e, "generator", p, &gen, err) != 0)
			return (-1);
		s->generator = gen;
		c->nsynth++;
		if (req_bool(e, "generator_published", p,
		    &s->generator_published, err) != 0 ||
		    req_num(e, "generator_training_ops", p,
		    &s->generator_training_ops, err) != 0 ||
		    req_num(e, "generation_ops", p, &s->generation_ops,
		    err) != 0 ||
		    req_num(e, "share_of_training_ops", p,
		    &s->share_of_training_ops, err) != 0)
			return (-1);
		if (s->share_of_training_ops > 1) {
			req_path(pb, p, "share_of_training_ops");
			error_set(err, 400, "invalid_field", pb, "%s is a "
			    "share between 0 and 1", pb);
			return (-1);
		}
	}
	return (0);
}

/* The model object of a weights check. */
static int
req_model(struct check *c, const json_t *o, struct ear_error *err)
{
	static const char *const keys[] = { "id", "name", "training_ops",
	    "parameters", "published", "published_on", "derived_from",
	    "additional_training_ops", "synthetic_data", "training_tokens",
	    NULL };
	struct model_facts *m = &c->model;
	const json_t	*v;
	ear_date	 d;

	if (req_keys(o, "model", keys, err) != 0)
		return (-1);
	if ((v = req_get(o, "id")) != NULL && !json_is_string(v))
		return (req_fail(err, "invalid_field", "model.id",
		    "model.id must be a string"));
	if (req_str(o, "name", "model", &c->model_name, err) != 0 ||
	    req_num(o, "training_ops", "model", &m->training_ops, err) != 0 ||
	    req_num(o, "parameters", "model", &m->parameters, err) != 0 ||
	    req_num(o, "training_tokens", "model", &m->training_tokens,
	    err) != 0 ||
	    req_num(o, "additional_training_ops", "model",
	    &m->additional_training_ops, err) != 0 ||
	    req_bool(o, "published", "model", &m->published, err) != 0 ||
	    req_str(o, "published_on", "model", &c->published_on, err) != 0)
		return (-1);
	m->name = c->model_name;
	if (c->published_on != NULL && date_parse(c->published_on, &d) != 0)
		return (req_fail(err, "invalid_field", "model.published_on",
		    "model.published_on must be a date YYYY-MM-DD"));
	if (req_obj(o, "derived_from", "model", &v, err) != 0)
		return (-1);
	if (v != NULL && req_derived(c, v, err) != 0)
		return (-1);
	if ((v = req_get(o, "synthetic_data")) != NULL &&
	    req_synthetic(c, v, err) != 0)
		return (-1);
	m->synth = c->synth;
	m->nsynth = c->nsynth;
	return (0);
}

/* recipient and exporter. */
static int
req_parties(struct check *c, const json_t *body, struct ear_error *err)
{
	static const char *const rkeys[] = { "name", "country",
	    "headquarters", "ultimate_parent_headquarters", NULL };
	static const char *const ekeys[] = { "name", "country", NULL };
	const json_t	*o;

	if (req_obj(body, "recipient", NULL, &o, err) != 0)
		return (-1);
	if (o != NULL) {
		c->has_recipient = true;
		if (req_keys(o, "recipient", rkeys, err) != 0 ||
		    req_str(o, "name", "recipient", &c->recipient_name,
		    err) != 0 ||
		    req_country(o, "country", "recipient",
		    &c->recipient_country, err) != 0 ||
		    req_country(o, "headquarters", "recipient",
		    &c->recipient_hq, err) != 0 ||
		    req_country(o, "ultimate_parent_headquarters", "recipient",
		    &c->recipient_parent_hq, err) != 0)
			return (-1);
	}
	if (req_obj(body, "exporter", NULL, &o, err) != 0)
		return (-1);
	if (o != NULL) {
		if (req_keys(o, "exporter", ekeys, err) != 0 ||
		    req_str(o, "name", "exporter", &c->exporter_name,
		    err) != 0 ||
		    req_country(o, "country", "exporter", &c->exporter_country,
		    err) != 0)
			return (-1);
	}
	return (0);
}

/* Top-level members shared by both kinds of check. */
static int
req_common(struct check *c, const json_t *body, ear_date today,
    struct ear_error *err)
{
	static const char *const types[] = { "export", "reexport",
	    "in_country_transfer", NULL };
	static const char *const postures[] = { "enforced", "text", NULL };
	const json_t	*v;
	char		*s;

	c->as_of = today;
	if ((v = req_get(body, "as_of")) != NULL) {
		if (!json_is_string(v) ||
		    date_parse(json_string_value(v), &c->as_of) != 0)
			return (req_fail(err, "invalid_field", "as_of",
			    "as_of must be a date YYYY-MM-DD"));
	}
	if (req_get(body, "destination") == NULL)
		return (req_fail(err, "missing_field", "destination",
		    "destination is required: an ISO 3166-1 alpha-2 country "
		    "code such as \"CN\""));
	if (req_country(body, "destination", NULL, &s, err) != 0)
		return (-1);
	memcpy(c->destination, s, 3);
	free(s);
	if (req_enum(body, "export_type", NULL, types, "export",
	    &c->export_type, err) != 0 ||
	    req_enum(body, "posture", NULL, postures, "enforced", &c->posture,
	    err) != 0)
		return (-1);
	return (req_parties(c, body, err));
}

/* Defaults of a new check: everything missing, quantity 1. */
static void
check_init(struct check *c, enum item_kind kind)
{
	c->kind = kind;
	c->quantity = 1;
	c->die_area = c->io_bw = c->mem_bw = NAN;
	c->mem_bw_density = c->package_area = NAN;
	c->datacenter = TV_UNKNOWN;
	c->model.training_ops = c->model.parameters = NAN;
	c->model.training_tokens = NAN;
	c->model.derived_training_ops = NAN;
	c->model.additional_training_ops = NAN;
	c->model.published = TV_UNKNOWN;
	c->model.derived_published = TV_UNKNOWN;
	c->consignee_tpp = NAN;
}

/*
 * Decode a chip or weights check. today is the default as_of. NULL with a
 * 400 in err on a bad body; the caller frees a check with check_free().
 */
struct check *
check_decode(enum item_kind kind, const json_t *body, ear_date today,
    struct ear_error *err)
{
	static const char *const chip_keys[] = { "as_of", "destination",
	    "chip", "quantity", "recipient", "exporter", "export_type",
	    "posture", "kind", NULL };
	static const char *const weights_keys[] = { "as_of", "destination",
	    "release", "model", "recipient", "exporter", "export_type",
	    "posture", "kind", NULL };
	static const char *const releases[] = { "export", "publish",
	    "deemed_export", NULL };
	struct check	*c;
	const json_t	*v;
	const char	*want;
	double		 q;

	if (!json_is_object(body)) {
		error_set(err, 400, "invalid_body", NULL, "request body must "
		    "be a JSON object");
		return (NULL);
	}
	c = xcalloc(1, sizeof *c);
	check_init(c, kind);
	if (req_keys(body, NULL, kind == ITEM_CHIP ? chip_keys : weights_keys,
	    err) != 0)
		goto fail;
	want = kind == ITEM_CHIP ? "chip" : "weights";
	if ((v = req_get(body, "kind")) != NULL && (!json_is_string(v) ||
	    strcmp(json_string_value(v), want) != 0)) {
		error_set(err, 400, "invalid_field", "kind", "kind must be "
		    "\"%s\" here", want);
		goto fail;
	}
	if (req_common(c, body, today, err) != 0)
		goto fail;

	if (kind == ITEM_CHIP) {
		if (req_obj(body, "chip", NULL, &v, err) != 0)
			goto fail;
		if (v == NULL) {
			req_fail(err, "missing_field", "chip", "chip is "
			    "required: inline facts or {\"id\": ...}");
			goto fail;
		}
		if (req_chip(c, v, err) != 0)
			goto fail;
		if ((v = req_get(body, "quantity")) != NULL) {
			q = json_is_number(v) ? json_number_value(v) : -1;
			if (!isfinite(q) || q < 1 || q != floor(q) ||
			    q > 9007199254740992.0) {
				req_fail(err, "invalid_field", "quantity",
				    "quantity must be a positive integer");
				goto fail;
			}
			c->quantity = q;
		}
	} else {
		if (req_enum(body, "release", NULL, releases, "export",
		    &c->release, err) != 0)
			goto fail;
		if (req_obj(body, "model", NULL, &v, err) != 0)
			goto fail;
		if (v == NULL) {
			req_fail(err, "missing_field", "model", "model is "
			    "required: inline facts or {\"id\": ...}");
			goto fail;
		}
		if (req_model(c, v, err) != 0)
			goto fail;
	}
	return (c);

fail:
	check_free(c);
	return (NULL);
}

/* Free the strings of a screening hit. */
static void
check_listing_clear(struct check_listing *l)
{
	free(l->name);
	free(l->list);
	free(l->license_requirement);
	free(l->license_policy);
	free(l->federal_register_notice);
	free(l->matched_on);
}

/* Free a check and everything it owns. */
void
check_free(struct check *c)
{
	size_t	 i;

	if (c == NULL)
		return;
	free(c->export_type);
	free(c->posture);
	free(c->release);
	free(c->chip_name);
	free(c->chip_kind);
	free(c->perf);
	free(c->model_name);
	free(c->published_on);
	free(c->derived_name);
	for (i = 0; i < c->nsynth; i++)
		free((char *)c->synth[i].generator);
	free(c->synth);
	free(c->recipient_name);
	free(c->recipient_country);
	free(c->recipient_hq);
	free(c->recipient_parent_hq);
	free(c->exporter_name);
	free(c->exporter_country);
	for (i = 0; i < c->nlistings; i++)
		check_listing_clear(&c->listings[i]);
	free(c->listings);
	free(c->lists_version);
	free(c);
}

/* Chip or weights. */
enum item_kind
check_kind(const struct check *c)
{
	return (c->kind);
}

/* The date the question is asked as of. */
ear_date
check_as_of(const struct check *c)
{
	return (c->as_of);
}

/* The destination, upper-case ISO 3166-1 alpha-2. */
const char *
check_destination(const struct check *c)
{
	return (c->destination);
}

/* The recipient's name, or NULL. */
const char *
check_recipient_name(const struct check *c)
{
	return (c->recipient_name);
}

/* The recipient's country: as given, else the destination if a recipient. */
const char *
check_recipient_country(const struct check *c)
{
	if (c->recipient_country != NULL)
		return (c->recipient_country);
	return (c->has_recipient ? c->destination : NULL);
}

/* The chip's or model's name, or NULL. */
const char *
check_item_name(const struct check *c)
{
	return (c->kind == ITEM_CHIP ? c->chip_name : c->model_name);
}

/* xstrdup() that passes NULL through. */
static char *
check_dup(const char *s)
{
	return (s != NULL ? xstrdup(s) : NULL);
}

/*
 * Record the screening of the recipient: n hits (copied) against lists of
 * lists_version. Calling it with n = 0 records a clean screening.
 */
void
check_set_screening(struct check *c, const struct ear_listing *hits,
    size_t n, const char *lists_version)
{
	size_t	 i;

	for (i = 0; i < c->nlistings; i++)
		check_listing_clear(&c->listings[i]);
	free(c->listings);
	free(c->lists_version);
	c->listings = xcalloc(n + 1, sizeof *c->listings);
	for (i = 0; i < n; i++) {
		struct check_listing *l = &c->listings[i];

		l->name = check_dup(hits[i].name);
		l->list = check_dup(hits[i].list);
		l->license_requirement = check_dup(hits[i].license_requirement);
		l->license_policy = check_dup(hits[i].license_policy);
		l->federal_register_notice =
		    check_dup(hits[i].federal_register_notice);
		l->matched_on = check_dup(hits[i].matched_on);
		l->score = hits[i].score;
		l->match = hits[i].match;
		l->export_list = hits[i].export_list;
	}
	c->nlistings = n;
	c->lists_version = check_dup(lists_version);
	c->screened = true;
}

/*
 * Give dst the screening src was given (check_set_screening()), so checks
 * of one recipient in one batch are screened once. src may be a holder
 * from check_screening_holder().
 */
void
check_copy_screening(struct check *dst, const struct check *src)
{
	struct ear_listing	*hits;
	size_t			 i;

	if (!src->screened)
		return;
	hits = xcalloc(src->nlistings + 1, sizeof *hits);
	for (i = 0; i < src->nlistings; i++) {
		const struct check_listing *l = &src->listings[i];

		hits[i].name = l->name;
		hits[i].list = l->list;
		hits[i].license_requirement = l->license_requirement;
		hits[i].license_policy = l->license_policy;
		hits[i].federal_register_notice = l->federal_register_notice;
		hits[i].matched_on = l->matched_on;
		hits[i].score = l->score;
		hits[i].match = l->match;
		hits[i].export_list = l->export_list;
	}
	check_set_screening(dst, hits, src->nlistings, src->lists_version);
	free(hits);
}

/* A check holding only a copy of src's screening; free with check_free(). */
struct check *
check_screening_holder(const struct check *src)
{
	struct check	*h;

	h = xcalloc(1, sizeof *h);
	h->kind = src->kind;
	check_copy_screening(h, src);
	return (h);
}

/* TPP already shipped to this consignee this calendar year (LPP cap). */
void
check_set_consignee_tpp(struct check *c, double tpp)
{
	c->consignee_tpp = tpp;
}

/*
 * The TPP this check would ship (TPP x quantity), for counting a
 * consignee's calendar-year total; NaN for weights or without figures.
 */
double
check_aggregate_tpp(const struct check *c)
{
	if (c->kind != ITEM_CHIP)
		return (NAN);
	return (chip_compute_tpp(c->perf, c->nperf, NULL) * c->quantity);
}
