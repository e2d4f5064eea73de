/*
 * models_json.c: the project's own model JSON (docs/release-pipeline.md),
 * also the body of POST /v1/models. A file is one model object, an array of
 * them, or {"models": [...]}. A model object is the check contract's
 * `model` plus registry facts:
 *
 *	{"name": "Acme-1", "developer": "Acme", "parameters": 1.2e12,
 *	 "active_parameters": 1e11, "training_ops": 3e26,
 *	 "training_tokens": 2e13, "training_gpu_hours": 3.1e7,
 *	 "training_peak_flops": 9.89e14, "utilization": 0.4,
 *	 "published": false, "published_on": null, "license_terms": "...",
 *	 "derived_from": {"name": "Base-1"}, "additional_training_ops": 2e25,
 *	 "synthetic_data": [...], "confidence": "stated by the developer"}
 *
 * When training_ops is absent it is estimated (and labelled): 6 x N x D
 * with N the active parameters (90 FR 4544, 4E091 Technical Note 2), else
 * GPU-hours x peak x utilisation (0.4 unless given).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "importers.h"

static const char *const models_json_numbers[] = { "parameters",
    "active_parameters", "training_ops", "training_tokens",
    "training_gpu_hours", "training_peak_flops", "utilization",
    "additional_training_ops" };
static const char *const models_json_strings[] = { "developer",
    "license_terms", "modality", "country", "hf_repo", "publication_date" };

static int
models_json_number(const json_t *m, const char *key, double *out,
    char **cause)
{
	json_t	*v = json_object_get(m, key);

	*out = NAN;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_number(v) || json_number_value(v) < 0 ||
	    !isfinite(json_number_value(v))) {
		xasprintf(cause, "field \"%s\" must be a non-negative number",
		    key);
		return -1;
	}
	*out = json_number_value(v);
	return 0;
}

/* Add one model object to set. */
int
models_json_add(struct registry_set *set, const json_t *m,
    const struct registry_source *src, char **cause)
{
	const char	*name, *key, *conf;
	json_t		*v, *df;
	double		 num[nitems(models_json_numbers)], ops, n, d;
	ear_date	 date;
	size_t		 i;
	char		*slug;

	if (!json_is_object(m)) {
		xasprintf(cause, "a model must be a JSON object");
		return -1;
	}
	json_object_foreach((json_t *)m, key, v) {
		bool known = strcmp(key, "name") == 0 ||
		    strcmp(key, "id") == 0 || strcmp(key, "published") == 0 ||
		    strcmp(key, "published_on") == 0 ||
		    strcmp(key, "derived_from") == 0 ||
		    strcmp(key, "synthetic_data") == 0 ||
		    strcmp(key, "confidence") == 0;

		for (i = 0; !known && i < nitems(models_json_numbers); i++)
			known = strcmp(key, models_json_numbers[i]) == 0;
		for (i = 0; !known && i < nitems(models_json_strings); i++)
			known = strcmp(key, models_json_strings[i]) == 0;
		if (!known) {
			xasprintf(cause, "unknown field \"%s\"", key);
			return -1;
		}
	}
	name = json_string_value(json_object_get(m, "name"));
	if (name == NULL || *name == '\0') {
		xasprintf(cause, "field \"name\" is required (a string)");
		return -1;
	}
	slug = registry_slug(name);
	if (*slug == '\0' || (json_object_get(m, "id") != NULL &&
	    (!json_is_string(json_object_get(m, "id")) || strcmp(slug,
	    json_string_value(json_object_get(m, "id"))) != 0))) {
		xasprintf(cause, "field \"id\" must be the slug of the name "
		    "(\"%s\")", slug);
		free(slug);
		return -1;
	}
	free(slug);
	conf = json_string_value(json_object_get(m, "confidence"));
	for (i = 0; i < nitems(models_json_numbers); i++) {
		if (models_json_number(m, models_json_numbers[i], &num[i],
		    cause) != 0)
			return -1;
	}
	v = json_object_get(m, "published");
	if (v != NULL && !json_is_null(v) && !json_is_boolean(v)) {
		xasprintf(cause, "field \"published\" must be true or false");
		return -1;
	}
	v = json_object_get(m, "published_on");
	if (v != NULL && !json_is_null(v) && (!json_is_string(v) ||
	    date_parse(json_string_value(v), &date) != 0)) {
		xasprintf(cause, "field \"published_on\" must be a date "
		    "(YYYY-MM-DD)");
		return -1;
	}
	df = json_object_get(m, "derived_from");
	if (df != NULL && !json_is_null(df) && !json_is_string(df) &&
	    !(json_is_object(df) && json_is_string(json_object_get(df,
	    "name")))) {
		xasprintf(cause, "field \"derived_from\" must be a name or "
		    "{\"name\": ...}");
		return -1;
	}
	v = json_object_get(m, "synthetic_data");
	if (v != NULL && !json_is_null(v) && !json_is_array(v)) {
		xasprintf(cause, "field \"synthetic_data\" must be an array");
		return -1;
	}

	/* The entry exists even when no other fact is known yet. */
	registry_add_fact(set, name, "name", json_string(name), src, conf,
	    NULL);
	for (i = 0; i < nitems(models_json_numbers); i++) {
		if (isnan(num[i]) || strcmp(models_json_numbers[i],
		    "training_peak_flops") == 0 ||
		    strcmp(models_json_numbers[i], "utilization") == 0)
			continue;
		registry_add_fact(set, name, models_json_numbers[i],
		    json_real(num[i]), src, conf, NULL);
	}
	for (i = 0; i < nitems(models_json_strings); i++) {
		v = json_object_get(m, models_json_strings[i]);
		if (json_is_string(v))
			registry_add_fact(set, name, models_json_strings[i],
			    json_copy(v), src, conf, NULL);
	}
	v = json_object_get(m, "published");
	if (json_is_boolean(v))
		registry_add_fact(set, name, "published", json_copy(v), src,
		    conf, NULL);
	v = json_object_get(m, "published_on");
	if (json_is_string(v))
		registry_add_fact(set, name, "published_on", json_copy(v), src,
		    conf, NULL);
	if (json_is_string(df))
		registry_add_fact(set, name, "derived_from", json_copy(df), src,
		    conf, NULL);
	else if (json_is_object(df))
		registry_add_fact(set, name, "derived_from",
		    json_copy(json_object_get(df, "name")), src, conf, NULL);
	v = json_object_get(m, "synthetic_data");
	if (json_is_array(v))
		registry_add_fact(set, name, "synthetic_data",
		    json_deep_copy(v), src, conf, NULL);

	/* Estimates, labelled, when the operations are not stated. */
	if (!isnan(num[2]))
		return 0;
	n = !isnan(num[1]) ? num[1] : num[0];
	d = num[3];
	if (!isnan(n) && !isnan(d)) {
		ops = registry_estimate_6nd(n, d);
		registry_add_fact(set, name, "training_ops_estimate",
		    json_real(ops), src, "estimate", json_pack(
		    "{s:s, s:f, s:f, s:s}", "method", "6 x N x D",
		    "N", n, "D", d, "N_is", !isnan(num[1]) ?
		    "active parameters" : "parameters"));
	} else if (!isnan(num[4]) && !isnan(num[5])) {
		double u = !isnan(num[6]) ? num[6] : 0.4;

		ops = registry_estimate_gpu_hours(num[4], num[5], u);
		registry_add_fact(set, name, "training_ops_estimate",
		    json_real(ops), src, "estimate", json_pack(
		    "{s:s, s:f, s:f, s:f, s:b}", "method",
		    "GPU-hours x 3600 x peak FLOP/s x utilization",
		    "gpu_hours", num[4], "peak_flops", num[5],
		    "utilization", u, "utilization_default", isnan(num[6])));
	}
	return 0;
}

static bool
models_json_detect(const char *buf, size_t len, const char *path)
{
	(void)path;
	if (!json_file_detect(buf, len))
		return false;
	return memmem(buf, len, "\"model_type\"", 12) == NULL &&
	    memmem(buf, len, "\"name\"", 6) != NULL;
}

static int
models_json_parse(const char *buf, size_t len, const char *path,
    struct registry_set *set, char **cause)
{
	return json_file_parse(buf, len, path, "models", "a model",
	    models_json_add, set, cause);
}

const struct registry_format models_json_format = {
	"json", REGISTRY_MODELS, models_json_detect, models_json_parse
};
