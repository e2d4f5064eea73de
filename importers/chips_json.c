/*
 * chips_json.c: the project's own chip JSON. A file is one chip object, an
 * array of them, or {"chips": [...]}; a chip object is the check contract's
 * `chip` (ARCHITECTURE.md) plus "manufacturer", "release_date" and
 * "confidence":
 *
 *	{"name": "NVIDIA H100 SXM5 80GB", "performance": [{"format": "fp8",
 *	 "bits": 8, "dense_tops": 1979}], "die_area_mm2": 814,
 *	 "io_bandwidth_gbs": 900, "memory_bandwidth_gbs": 3350,
 *	 "datacenter": true}
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "importers.h"

static const char *const chips_json_numbers[] = { "die_area_mm2",
    "io_bandwidth_gbs", "memory_bandwidth_gbs" };
static const char *const chips_json_strings[] = { "kind", "manufacturer",
    "release_date" };

/* Check and copy a performance array: [{"format", "bits", "dense_tops"}]. */
static json_t *
chips_json_perf(const json_t *a, char **cause)
{
	json_t		*out, *e;
	const char	*fmt;
	size_t		 i;
	double		 bits, tops;

	if (!json_is_array(a)) {
		xasprintf(cause, "field \"performance\" must be an array");
		return NULL;
	}
	out = json_array();
	json_array_foreach(a, i, e) {
		fmt = json_string_value(json_object_get(e, "format"));
		bits = json_number_value(json_object_get(e, "bits"));
		tops = json_number_value(json_object_get(e, "dense_tops"));
		if (!json_is_number(json_object_get(e, "bits")))
			bits = chip_format_bits(fmt != NULL ? fmt : "");
		if (fmt == NULL || bits <= 0 || bits != floor(bits) ||
		    !json_is_number(json_object_get(e, "dense_tops")) ||
		    tops < 0 || !isfinite(tops)) {
			xasprintf(cause, "performance[%zu] needs \"format\", "
			    "\"bits\" (a positive integer) and \"dense_tops\" "
			    "(a non-negative number)", i);
			json_decref(out);
			return NULL;
		}
		json_array_append_new(out, json_pack("{s:s, s:i, s:f}",
		    "format", fmt, "bits", (int)bits, "dense_tops", tops));
	}
	return out;
}

/* Add one chip object to set. */
int
chips_json_add(struct registry_set *set, const json_t *c,
    const struct registry_source *src, char **cause)
{
	const char	*name, *key, *conf;
	json_t		*v, *perf;
	size_t		 i;

	if (!json_is_object(c)) {
		xasprintf(cause, "a chip must be a JSON object");
		return -1;
	}
	json_object_foreach((json_t *)c, key, v) {
		bool known = strcmp(key, "name") == 0 ||
		    strcmp(key, "id") == 0 || strcmp(key, "performance") == 0 ||
		    strcmp(key, "datacenter") == 0 ||
		    strcmp(key, "confidence") == 0;

		for (i = 0; !known && i < nitems(chips_json_numbers); i++)
			known = strcmp(key, chips_json_numbers[i]) == 0;
		for (i = 0; !known && i < nitems(chips_json_strings); i++)
			known = strcmp(key, chips_json_strings[i]) == 0;
		if (!known) {
			xasprintf(cause, "unknown field \"%s\"", key);
			return -1;
		}
	}
	name = json_string_value(json_object_get(c, "name"));
	if (name == NULL || *name == '\0') {
		xasprintf(cause, "field \"name\" is required (a string)");
		return -1;
	}
	conf = json_string_value(json_object_get(c, "confidence"));
	for (i = 0; i < nitems(chips_json_numbers); i++) {
		v = json_object_get(c, chips_json_numbers[i]);
		if (v == NULL || json_is_null(v))
			continue;
		if (!json_is_number(v) || json_number_value(v) < 0) {
			xasprintf(cause, "field \"%s\" must be a non-negative "
			    "number", chips_json_numbers[i]);
			return -1;
		}
	}
	v = json_object_get(c, "datacenter");
	if (v != NULL && !json_is_null(v) && !json_is_boolean(v)) {
		xasprintf(cause, "field \"datacenter\" must be true or false");
		return -1;
	}
	perf = NULL;
	if ((v = json_object_get(c, "performance")) != NULL &&
	    (perf = chips_json_perf(v, cause)) == NULL)
		return -1;

	if (perf != NULL)
		registry_add_fact(set, name, "performance", perf, src, conf,
		    NULL);
	for (i = 0; i < nitems(chips_json_numbers); i++) {
		v = json_object_get(c, chips_json_numbers[i]);
		if (json_is_number(v))
			registry_add_fact(set, name, chips_json_numbers[i],
			    json_real(json_number_value(v)), src, conf, NULL);
	}
	for (i = 0; i < nitems(chips_json_strings); i++) {
		v = json_object_get(c, chips_json_strings[i]);
		if (json_is_string(v))
			registry_add_fact(set, name, chips_json_strings[i],
			    json_copy(v), src, conf, NULL);
	}
	v = json_object_get(c, "datacenter");
	if (json_is_boolean(v))
		registry_add_fact(set, name, "datacenter", json_copy(v), src,
		    conf, NULL);
	return 0;
}

static bool
chips_json_detect(const char *buf, size_t len, const char *path)
{
	(void)path;
	if (!json_file_detect(buf, len))
		return false;
	return memmem(buf, len, "\"name\"", 6) != NULL;
}

static int
chips_json_parse(const char *buf, size_t len, const char *path,
    struct registry_set *set, char **cause)
{
	return json_file_parse(buf, len, path, "chips", "a chip",
	    chips_json_add, set, cause);
}

const struct registry_format chips_json_format = {
	"json", REGISTRY_CHIPS, chips_json_detect, chips_json_parse
};
