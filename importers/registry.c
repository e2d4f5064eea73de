/*
 * registry.c: the model and chip registry. Formats (epoch.c, hf.c,
 * models_json.c, chips_json.c) parse files into a struct registry_set;
 * this file merges, detects formats and writes a set in one transaction
 * through registry_import() in schema/050_registry.sql.
 *
 * A set owns its JSON: items is {"<id>": {"id", "name", "facts": {...}}}.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "importers.h"

struct registry_set {
	enum registry_kind	 kind;
	json_t			*items;
	json_t			*files;
};

static const struct registry_format *const registry_formats[] = {
	&epoch_models_format,
	&epoch_chips_format,
	&hf_format,
	&models_json_format,
	&chips_json_format,
};

struct registry_set *
registry_set_new(enum registry_kind kind)
{
	struct registry_set	*set;

	set = xcalloc(1, sizeof *set);
	set->kind = kind;
	set->items = json_object();
	set->files = json_array();
	return set;
}

void
registry_set_free(struct registry_set *set)
{
	if (set == NULL)
		return;
	json_decref(set->items);
	json_decref(set->files);
	free(set);
}

size_t
registry_set_count(const struct registry_set *set)
{
	return json_object_size(set->items);
}

const json_t *
registry_set_items(const struct registry_set *set)
{
	return set->items;
}

const char *
registry_kind_name(enum registry_kind kind)
{
	return kind == REGISTRY_CHIPS ? "chips" : "models";
}

/* The stable id of a name: ASCII letters and digits, other runs one '-'. */
char *
registry_slug(const char *name)
{
	char	*out;
	size_t	 n = 0;
	bool	 dash = false;

	out = xmalloc(strlen(name) + 1);
	for (; *name != '\0'; name++) {
		unsigned char c = (unsigned char)*name;

		if (c >= 'A' && c <= 'Z')
			c = c - 'A' + 'a';
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			if (dash && n > 0)
				out[n++] = '-';
			dash = false;
			out[n++] = (char)c;
		} else
			dash = true;
	}
	out[n] = '\0';
	return out;
}

/* Training operations from parameters and tokens (90 FR 4544, 4E091 TN 2). */
double
registry_estimate_6nd(double n, double d)
{
	return 6.0 * n * d;
}

/* Training operations from accelerator-hours at a peak rate and a utilisation. */
double
registry_estimate_gpu_hours(double hours, double peak_flops, double util)
{
	return hours * 3600.0 * peak_flops * util;
}

/*
 * Record one fact of the entry called name. A fact already recorded from a
 * source of higher priority is kept; otherwise the new one replaces it
 * (the last of equal priority wins, so file order decides, deterministically).
 */
void
registry_add_fact(struct registry_set *set, const char *name,
    const char *fact, json_t *value, const struct registry_source *src,
    const char *confidence, json_t *estimate)
{
	json_t	*item, *facts, *old, *f;
	char	*id;

	id = registry_slug(name);
	if (*id == '\0') {
		free(id);
		json_decref(value);
		json_decref(estimate);
		return;
	}
	item = json_object_get(set->items, id);
	if (item == NULL) {
		item = json_pack("{s:s, s:s, s:{}, s:i}", "id", id, "name", name,
		    "facts", "priority", src->priority);
		json_object_set_new(set->items, id, item);
	} else if (src->priority >
	    json_integer_value(json_object_get(item, "priority"))) {
		json_object_set_new(item, "name", json_string(name));
		json_object_set_new(item, "priority",
		    json_integer(src->priority));
	}
	free(id);
	facts = json_object_get(item, "facts");
	old = json_object_get(facts, fact);
	if (old != NULL && json_integer_value(json_object_get(old,
	    "priority")) > src->priority) {
		json_decref(value);
		json_decref(estimate);
		return;
	}
	f = json_pack("{s:o, s:s, s:i}", "value", value, "dataset",
	    src->dataset, "priority", src->priority);
	if (src->file != NULL)
		json_object_set_new(f, "file", json_string(src->file));
	if (src->row != 0)
		json_object_set_new(f, "row", json_integer((json_int_t)src->row));
	if (confidence != NULL && *confidence != '\0')
		json_object_set_new(f, "confidence", json_string(confidence));
	if (estimate != NULL)
		json_object_set_new(f, "estimate", estimate);
	json_object_set_new(facts, fact, f);
}

/* Parse one buffer in the given format (NULL: detect) into set. */
int
registry_parse_buffer(struct registry_set *set, const char *format,
    const char *buf, size_t len, const char *path, char **cause)
{
	const struct registry_format	*rf = NULL;
	size_t				 i;
	char				*why = NULL;

	for (i = 0; i < nitems(registry_formats); i++) {
		const struct registry_format *f = registry_formats[i];

		if (f->kind != set->kind)
			continue;
		if (format != NULL) {
			if (strcmp(format, f->name) == 0) {
				rf = f;
				break;
			}
		} else if (f->detect(buf, len, path)) {
			rf = f;
			break;
		}
	}
	if (rf == NULL) {
		if (format != NULL)
			xasprintf(cause, "%s: unknown %s format \"%s\"", path,
			    registry_kind_name(set->kind), format);
		else
			xasprintf(cause, "%s: could not detect the format of "
			    "this %s file (use --format)", path,
			    registry_kind_name(set->kind));
		return -1;
	}
	if (rf->parse(buf, len, path, set, &why) != 0) {
		if (why != NULL && why[0] >= '0' && why[0] <= '9')
			xasprintf(cause, "%s:%s", path, why);
		else
			xasprintf(cause, "%s: %s", path, why != NULL ? why :
			    "invalid");
		free(why);
		return -1;
	}
	json_array_append_new(set->files, json_pack("{s:s, s:s}", "file", path,
	    "format", rf->name));
	return 0;
}

/* Read a whole file; NULL and *cause on error. */
static char *
registry_read_file(const char *path, size_t *lenp, char **cause)
{
	FILE	*f;
	char	*buf = NULL;
	size_t	 len = 0, size = 0, n;

	if ((f = fopen(path, "rb")) == NULL) {
		xasprintf(cause, "could not open file \"%s\": %s", path,
		    strerror(errno));
		return NULL;
	}
	for (;;) {
		if (len + 65536 + 1 > size) {
			size = size == 0 ? 131072 : size * 2;
			buf = xreallocarray(buf, size, 1);
		}
		n = fread(buf + len, 1, size - len - 1, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		xasprintf(cause, "could not read file \"%s\": %s", path,
		    strerror(errno));
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[len] = '\0';
	*lenp = len;
	return buf;
}

int
registry_parse_file(struct registry_set *set, const char *format,
    const char *path, char **cause)
{
	char	*buf;
	size_t	 len;
	int	 rc;

	if ((buf = registry_read_file(path, &len, cause)) == NULL)
		return -1;
	rc = registry_parse_buffer(set, format, buf, len, path, cause);
	free(buf);
	return rc;
}

static int
registry_exec(PGconn *conn, const char *sql, char **cause)
{
	PGresult	*res;
	int		 rc = 0;

	res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		xasprintf(cause, "%s", PQresultErrorMessage(res));
		rc = -1;
	}
	PQclear(res);
	return rc;
}

/* The number in a report object, or 0. */
static size_t
registry_report_num(const json_t *o, const char *key)
{
	json_int_t	 v = json_integer_value(json_object_get(o, key));

	return v > 0 ? (size_t)v : 0;
}

/*
 * Import every file in one transaction on a connection with eard_admin (or
 * eard_writer) rights. Files are parsed first: a bad file changes nothing.
 */
int
registry_import_files(PGconn *conn, enum registry_kind kind,
    const char *format, char *const *paths, size_t n,
    struct registry_report *rep, char **cause)
{
	struct registry_set	*set;
	PGresult		*res;
	const char		*params[3];
	char			*items, *files, *msg;
	json_t			*report;
	size_t			 i;

	memset(rep, 0, sizeof *rep);
	set = registry_set_new(kind);
	for (i = 0; i < n; i++) {
		if (registry_parse_file(set, format, paths[i], cause) != 0) {
			registry_set_free(set);
			return -1;
		}
	}
	rep->files = n;
	items = json_dumps(set->items, JSON_COMPACT | JSON_REAL_PRECISION(15));
	files = json_dumps(set->files, JSON_COMPACT);
	registry_set_free(set);
	if (registry_exec(conn, "BEGIN", cause) != 0) {
		free(items);
		free(files);
		return -1;
	}
	params[0] = registry_kind_name(kind);
	params[1] = items;
	params[2] = files;
	res = PQexecParams(conn, "SELECT registry_import($1, $2::jsonb, "
	    "$3::jsonb)::text", 3, NULL, params, NULL, NULL, 0);
	free(items);
	free(files);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		msg = PQresultErrorMessage(res);
		xasprintf(cause, "could not import %s: %.*s",
		    registry_kind_name(kind), (int)strcspn(msg, "\n"), msg);
		PQclear(res);
		PQclear(PQexec(conn, "ROLLBACK"));
		return -1;
	}
	report = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	PQclear(res);
	rep->items = registry_report_num(report, "items");
	rep->facts_new = registry_report_num(report, "facts_new");
	rep->facts_changed = registry_report_num(report, "facts_changed");
	rep->facts_unchanged = registry_report_num(report, "facts_unchanged");
	json_decref(report);
	if (registry_exec(conn, "COMMIT", cause) != 0) {
		PQclear(PQexec(conn, "ROLLBACK"));
		return -1;
	}
	return 0;
}
