/*
 * The Consolidated Screening List (trade.gov) into the party model of
 * schema/030_parties.sql: the JSON shape ({"results": [...]}, each with
 * name, alt_names, source, addresses[].country, license_requirement,
 * license_policy, federal_register_notice, entity_number, programs) and the
 * CSV form (one row per party; alt_names and addresses separated by "; ").
 *
 * A file is parsed whole before the database is touched; it is then written
 * in one transaction as a list version with the sha256 of its bytes, with
 * one round trip for all its parties. The same file again only re-activates
 * its version. After the commit every party screened before is rescreened
 * against the new lists and the changes are stored (rescreen_changes).
 */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "importers.h"

/* The hex sha256 of a buffer. */
static void
csl_sha256(const void *buf, size_t len, char out[65])
{
	unsigned char	md[EVP_MAX_MD_SIZE];
	unsigned int	mdlen = 0, i;

	EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL);
	for (i = 0; i < mdlen && i < 32; i++)
		snprintf(out + i * 2, 3, "%02x", md[i]);
	out[64] = '\0';
}

/* A non-empty string member, or NULL. */
static const char *
csl_str(const json_t *o, const char *k)
{
	const char	*s = json_string_value(json_object_get(o, k));

	return (s != NULL && *s != '\0' ? s : NULL);
}

/*
 * Turn one trade.gov entry into a party row: list code, entry id, content
 * hash, countries. Returns a new reference, or NULL and *cause.
 */
static json_t *
csl_party(json_t *raw, size_t idx, char **cause)
{
	const char	*name, *source;
	char		 code[32], hash[65], *txt, *cs = NULL, *tmp, *eid;
	json_t		*row, *countries, *alts, *a, *v;
	size_t		 i;

	if (!json_is_object(raw)) {
		xasprintf(cause, "party %zu is not an object", idx + 1);
		return (NULL);
	}
	if ((name = csl_str(raw, "name")) == NULL) {
		xasprintf(cause, "party %zu has no \"name\"", idx + 1);
		return (NULL);
	}
	if ((source = csl_str(raw, "source")) == NULL) {
		xasprintf(cause, "party %zu (\"%s\") has no \"source\"",
		    idx + 1, name);
		return (NULL);
	}
	screen_list_code(source, code, sizeof code);
	countries = json_array();
	json_array_foreach(json_object_get(raw, "addresses"), i, a) {
		const char *cc = csl_str(a, "country");

		if (cc == NULL || strlen(cc) != 2)
			continue;
		json_array_append_new(countries, json_string(cc));
		tmp = cs;
		xasprintf(&cs, "%s%s%s", tmp != NULL ? tmp : "",
		    tmp != NULL ? "," : "", cc);
		free(tmp);
	}
	alts = json_array();
	json_array_foreach(json_object_get(raw, "alt_names"), i, v)
		if (json_string_value(v) != NULL && *json_string_value(v))
			json_array_append(alts, v);
	eid = screen_entry_id(code, csl_str(raw, "entity_number"), name, cs);
	free(cs);
	txt = json_dumps(raw, JSON_COMPACT | JSON_SORT_KEYS);
	csl_sha256(txt, strlen(txt), hash);
	free(txt);
	row = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:s?,s:s?,s:s?,"
	    "s:s?,s:s?,s:O}",
	    "entry_id", eid, "content_hash", hash, "list", code,
	    "source", source, "name", name, "alt_names", alts,
	    "countries", countries, "addresses",
	    json_is_array(json_object_get(raw, "addresses")) ?
	    json_incref(json_object_get(raw, "addresses")) : json_array(),
	    "type", csl_str(raw, "type"),
	    "license_requirement", csl_str(raw, "license_requirement"),
	    "license_policy", csl_str(raw, "license_policy"),
	    "federal_register_notice", csl_str(raw, "federal_register_notice"),
	    "entity_number", csl_str(raw, "entity_number"), "raw", raw);
	free(eid);
	if (json_is_array(json_object_get(raw, "programs")))
		json_object_set(row, "programs",
		    json_object_get(raw, "programs"));
	else
		json_object_set_new(row, "programs", json_array());
	return (row);
}

/* Give duplicate entry ids (the same name listed twice) a suffix. */
static void
csl_dedup(json_t *rows)
{
	json_t		*seen = json_object(), *r;
	size_t		 i;
	const char	*id;
	char		*nid;
	json_int_t	 k;

	json_array_foreach(rows, i, r) {
		id = json_string_value(json_object_get(r, "entry_id"));
		k = json_integer_value(json_object_get(seen, id));
		json_object_set_new(seen, id, json_integer(k + 1));
		if (k == 0)
			continue;
		xasprintf(&nid, "%s-%lld", id, (long long)k + 1);
		json_object_set_new(r, "entry_id", json_string(nid));
		free(nid);
	}
	json_decref(seen);
}

/* Parse the JSON form: an array of party rows (new reference) or NULL. */
json_t *
csl_parse_json(const char *buf, size_t len, char **cause)
{
	json_t		*doc, *arr, *rows, *row, *e;
	json_error_t	 jerr;
	size_t		 i;

	if ((doc = json_loadb(buf, len, 0, &jerr)) == NULL) {
		xasprintf(cause, "invalid JSON at line %d: %s", jerr.line,
		    jerr.text);
		return (NULL);
	}
	arr = json_is_array(doc) ? doc : json_object_get(doc, "results");
	if (!json_is_array(arr)) {
		xasprintf(cause, "no \"results\" array: not a consolidated "
		    "screening list");
		json_decref(doc);
		return (NULL);
	}
	rows = json_array();
	json_array_foreach(arr, i, e) {
		if ((row = csl_party(e, i, cause)) == NULL) {
			json_decref(rows);
			json_decref(doc);
			return (NULL);
		}
		json_array_append_new(rows, row);
	}
	json_decref(doc);
	if (json_array_size(rows) == 0) {
		xasprintf(cause, "the list has no parties");
		json_decref(rows);
		return (NULL);
	}
	csl_dedup(rows);
	return (rows);
}

/* Split "a; b; c" into a JSON array of strings. */
static json_t *
csl_split(const char *s)
{
	json_t	*a = json_array();
	char	*copy, *p, *w, *e;

	if (s == NULL)
		return (a);
	copy = xstrdup(s);
	for (p = copy; (w = strsep(&p, ";")) != NULL;) {
		while (isspace((unsigned char)*w))
			w++;
		e = w + strlen(w);
		while (e > w && isspace((unsigned char)e[-1]))
			*--e = '\0';
		if (*w != '\0')
			json_array_append_new(a, json_string(w));
	}
	free(copy);
	return (a);
}

/* Parse the CSV form (trade.gov's columns): rows as csl_parse_json(). */
json_t *
csl_parse_csv(const char *buf, size_t len, char **cause)
{
	static const char *cols[] = { "source", "entity_number", "type",
		"programs", "name", "addresses", "federal_register_notice",
		"license_requirement", "license_policy", "alt_names",
		"source_list_url" };
	struct csv_reader	*r;
	char			**f, *err = NULL;
	size_t			 nf, i, k;
	int			 col[nitems(cols)], rc;
	json_t			*rows, *raw, *row, *addrs, *a, *v;
	const char		*cc;

	r = csv_open(buf, len);
	if ((rc = csv_next(r, &f, &nf, &err)) != 1) {
		xasprintf(cause, "line 1: %s", rc == 0 ? "empty file" : err);
		free(err);
		csv_close(r);
		return (NULL);
	}
	for (i = 0; i < nitems(cols); i++)
		col[i] = csv_column(f, nf, cols[i]);
	if (col[0] < 0 || col[4] < 0) {
		xasprintf(cause, "line 1: the header has no \"source\" and "
		    "\"name\" columns: not a consolidated screening list");
		csv_close(r);
		return (NULL);
	}
	rows = json_array();
	while ((rc = csv_next(r, &f, &nf, &err)) == 1) {
		raw = json_object();
		for (i = 0; i < nitems(cols); i++) {
			if (col[i] < 0 || (size_t)col[i] >= nf ||
			    *f[col[i]] == '\0')
				continue;
			if (strcmp(cols[i], "alt_names") == 0 ||
			    strcmp(cols[i], "programs") == 0)
				json_object_set_new(raw, cols[i],
				    csl_split(f[col[i]]));
			else if (strcmp(cols[i], "addresses") == 0) {
				/* "street, city, ..., CC; ...": the country last */
				addrs = json_array();
				a = csl_split(f[col[i]]);
				json_array_foreach(a, k, v) {
					cc = strrchr(json_string_value(v), ',');
					cc = cc != NULL ? cc + 1 :
					    json_string_value(v);
					while (*cc == ' ')
						cc++;
					json_array_append_new(addrs, json_pack(
					    "{s:s,s:s}", "address",
					    json_string_value(v), "country",
					    cc));
				}
				json_decref(a);
				json_object_set_new(raw, "addresses", addrs);
			} else
				json_object_set_new(raw, cols[i],
				    json_string(f[col[i]]));
		}
		if (json_object_get(raw, "alt_names") == NULL)
			json_object_set_new(raw, "alt_names", json_array());
		row = csl_party(raw, json_array_size(rows), &err);
		json_decref(raw);
		if (row == NULL) {
			xasprintf(cause, "line %zu: %s", csv_line(r), err);
			free(err);
			json_decref(rows);
			csv_close(r);
			return (NULL);
		}
		json_array_append_new(rows, row);
	}
	if (rc < 0) {
		xasprintf(cause, "line %zu: %s", csv_line(r), err);
		free(err);
		json_decref(rows);
		csv_close(r);
		return (NULL);
	}
	csv_close(r);
	if (json_array_size(rows) == 0) {
		xasprintf(cause, "the list has no parties");
		json_decref(rows);
		return (NULL);
	}
	csl_dedup(rows);
	return (rows);
}

/* Parse a buffer in either form (JSON if it starts with { or [). */
json_t *
csl_parse(const char *buf, size_t len, char **cause)
{
	size_t	i = 0;

	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < len && isspace((unsigned char)buf[i]))
		i++;
	if (i < len && (buf[i] == '{' || buf[i] == '['))
		return (csl_parse_json(buf + i, len - i, cause));
	return (csl_parse_csv(buf, len, cause));
}

/* Read a whole file; NULL and *cause on error. */
static char *
csl_read_file(const char *path, size_t *len, char **cause)
{
	FILE	*f;
	char	*buf;
	long	 sz;

	if ((f = fopen(path, "rb")) == NULL) {
		xasprintf(cause, "could not open file \"%s\": %m", path);
		return (NULL);
	}
	if (fseek(f, 0, SEEK_END) != 0 || (sz = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		xasprintf(cause, "could not read file \"%s\": %m", path);
		fclose(f);
		return (NULL);
	}
	buf = xmalloc((size_t)sz + 1);
	if (fread(buf, 1, (size_t)sz, f) != (size_t)sz) {
		xasprintf(cause, "could not read file \"%s\": %m", path);
		free(buf);
		fclose(f);
		return (NULL);
	}
	buf[sz] = '\0';
	fclose(f);
	*len = (size_t)sz;
	return (buf);
}

/* Run a statement; -1 and *cause on error. */
static int
csl_exec(PGconn *conn, const char *sql, int n, const char *const *params,
    PGresult **out, char **cause)
{
	PGresult	*res;
	ExecStatusType	 st;

	res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
	st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		xasprintf(cause, "database error: %s",
		    PQresultErrorMessage(res));
		PQclear(res);
		return (-1);
	}
	if (out != NULL)
		*out = res;
	else
		PQclear(res);
	return (0);
}

/* Count parties per list code: {"EL": 3420, ...}. New reference. */
static json_t *
csl_counts(const json_t *rows)
{
	json_t		*c = json_object(), *r;
	size_t		 i;
	const char	*code;

	json_array_foreach(rows, i, r) {
		code = json_string_value(json_object_get(r, "list"));
		json_object_set_new(c, code, json_integer(
		    json_integer_value(json_object_get(c, code)) + 1));
	}
	return (c);
}

/* One field of COPY's text format: backslash, newline, return and tab
 * escaped. */
static void
csl_copy_text(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default: fputc(*s, f); break;
		}
	}
}

/* A string member as a COPY field, \N when absent. */
static void
csl_copy_str(FILE *f, const json_t *row, const char *k)
{
	const char	*s = json_string_value(json_object_get(row, k));

	if (s == NULL)
		fputs("\\N", f);
	else
		csl_copy_text(f, s);
}

/* An array of strings as a text[] literal in a COPY field. */
static void
csl_copy_array(FILE *f, const json_t *row, const char *k)
{
	json_t		*v;
	size_t		 i, n = 0;
	const char	*s;

	fputc('{', f);
	json_array_foreach(json_object_get(row, k), i, v) {
		if ((s = json_string_value(v)) == NULL)
			continue;
		fputs(n++ > 0 ? ",\"" : "\"", f);
		for (; *s != '\0'; s++) {
			/* Array quoting first, then COPY's own escaping. */
			if (*s == '"' || *s == '\\')
				fputs("\\\\", f);
			if (*s == '\\')
				fputs("\\\\", f);
			else if (*s == '\n')
				fputs("\\n", f);
			else if (*s == '\r')
				fputs("\\r", f);
			else if (*s == '\t')
				fputs("\\t", f);
			else
				fputc(*s, f);
		}
		fputc('"', f);
	}
	fputc('}', f);
}

/* A JSON member as a jsonb COPY field. */
static void
csl_copy_json(FILE *f, const json_t *row, const char *k)
{
	char	*txt;

	txt = json_dumps(json_object_get(row, k), JSON_COMPACT |
	    JSON_ENCODE_ANY);
	csl_copy_text(f, txt != NULL ? txt : "null");
	free(txt);
}

/* Write the parties of list version vid with COPY (one round trip, no
 * per-row statement and no server-side JSON unpacking); -1 and *cause. */
static int
csl_copy_rows(PGconn *conn, const char *vid, const json_t *rows,
    char **cause)
{
	static const char *strs[] = { "entry_id", "content_hash", "list",
	    "source", "name" };
	static const char *tail[] = { "type", "license_requirement",
	    "license_policy", "federal_register_notice", "entity_number" };
	FILE		*f;
	char		*buf = NULL;
	size_t		 len = 0, i, k;
	json_t		*r;
	PGresult	*res;
	int		 rc = -1;

	res = PQexec(conn, "COPY parties (list_version, entry_id, "
	    "content_hash, list, source, name, alt_names, countries, "
	    "addresses, type, license_requirement, license_policy, "
	    "federal_register_notice, entity_number, programs, raw) "
	    "FROM STDIN");
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		xasprintf(cause, "database error: %s",
		    PQresultErrorMessage(res));
		PQclear(res);
		return (-1);
	}
	PQclear(res);
	if ((f = open_memstream(&buf, &len)) == NULL)
		fatal("open_memstream");
	json_array_foreach(rows, i, r) {
		fputs(vid, f);
		for (k = 0; k < nitems(strs); k++) {
			fputc('\t', f);
			csl_copy_str(f, r, strs[k]);
		}
		fputc('\t', f);
		csl_copy_array(f, r, "alt_names");
		fputc('\t', f);
		csl_copy_array(f, r, "countries");
		fputc('\t', f);
		csl_copy_json(f, r, "addresses");
		for (k = 0; k < nitems(tail); k++) {
			fputc('\t', f);
			csl_copy_str(f, r, tail[k]);
		}
		fputc('\t', f);
		csl_copy_array(f, r, "programs");
		fputc('\t', f);
		csl_copy_json(f, r, "raw");
		fputc('\n', f);
	}
	fclose(f);
	if (PQputCopyData(conn, buf, (int)len) == 1 &&
	    PQputCopyEnd(conn, NULL) == 1)
		rc = 0;
	free(buf);
	while ((res = PQgetResult(conn)) != NULL) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK && rc == 0) {
			xasprintf(cause, "database error: %s",
			    PQresultErrorMessage(res));
			rc = -1;
		}
		PQclear(res);
	}
	if (rc != 0 && *cause == NULL)
		xasprintf(cause, "database error: %s", PQerrorMessage(conn));
	return (rc);
}

/* Write parsed rows as a list version, in one transaction. */
static int
csl_store(PGconn *conn, const char *path, const char *sha, json_t *rows,
    struct csl_report *rep, char **cause)
{
	const char	*params[4];
	PGresult	*res;
	json_t		*counts;
	char		*ctxt, *vid;
	const char	*base;

	if (csl_exec(conn, "BEGIN", 0, NULL, NULL, cause) != 0)
		return (-1);
	params[0] = sha;
	if (csl_exec(conn, "UPDATE list_versions SET activated_at = now() "
	    "WHERE kind = 'csl' AND sha256 = $1 RETURNING id", 1, params,
	    &res, cause) != 0)
		goto fail;
	if (PQntuples(res) > 0) {
		/* The same file again: it becomes current, nothing else. */
		rep->unchanged = true;
		rep->version = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		PQclear(res);
		goto commit;
	}
	PQclear(res);
	counts = csl_counts(rows);
	ctxt = json_dumps(counts, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(counts);
	base = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
	params[0] = base;
	params[1] = sha;
	params[2] = ctxt;
	if (csl_exec(conn, "INSERT INTO list_versions (kind, source_file, "
	    "sha256, counts) VALUES ('csl', $1, $2, $3::jsonb) RETURNING id",
	    3, params, &res, cause) != 0) {
		free(ctxt);
		goto fail;
	}
	free(ctxt);
	vid = xstrdup(PQgetvalue(res, 0, 0));
	rep->version = strtoll(vid, NULL, 10);
	PQclear(res);
	if (csl_copy_rows(conn, vid, rows, cause) != 0) {
		free(vid);
		goto fail;
	}
	free(vid);
commit:
	if (csl_exec(conn, "NOTIFY lists_changed", 0, NULL, NULL, cause) != 0)
		goto fail;
	if (csl_exec(conn, "COMMIT", 0, NULL, NULL, cause) != 0)
		goto fail;
	return (0);
fail:
	PQclear(PQexec(conn, "ROLLBACK"));
	return (-1);
}

/* Import one CSL file (JSON or CSV) and rescreen; see importers.h. */
int
csl_import_file(PGconn *conn, const char *path, struct csl_report *rep,
    char **cause)
{
	char	*buf, sha[65], *err = NULL;
	size_t	 len;
	json_t	*rows;
	int	 rc;

	memset(rep, 0, sizeof *rep);
	if ((buf = csl_read_file(path, &len, cause)) == NULL)
		return (-1);
	csl_sha256(buf, len, sha);
	rows = csl_parse(buf, len, &err);
	free(buf);
	if (rows == NULL) {
		xasprintf(cause, "%s: %s", path, err);
		free(err);
		return (-1);
	}
	rep->parties = json_array_size(rows);
	memcpy(rep->sha256, sha, sizeof rep->sha256);
	rc = csl_store(conn, path, sha, rows, rep, cause);
	json_decref(rows);
	if (rc != 0)
		return (-1);
	if (!rep->unchanged &&
	    csl_rescreen(conn, &rep->rescreened, &rep->changed, cause) != 0)
		return (-1);
	return (0);
}

/* Counsel's dispositions, for rescreening as the daemon screens. */
struct csl_disps {
	PGresult			*res;	/* owns the strings */
	json_t				*map;	/* "key\x1fentry" -> index */
	struct screen_disposition	*d;
};

/* The disposition lookup of a rescreen (struct screen_opts). */
static const struct screen_disposition *
csl_disposition_find(void *arg, const char *key, const char *entry_id)
{
	struct csl_disps	*cd = arg;
	json_t			*v;
	char			*k;

	xasprintf(&k, "%s\x1f%s", key, entry_id);
	v = json_object_get(cd->map, k);
	free(k);
	return (v != NULL ? &cd->d[json_integer_value(v)] : NULL);
}

/* Load the latest disposition per (party key, entry id). */
static int
csl_disps_load(PGconn *conn, struct csl_disps *cd, char **cause)
{
	int	 i, n;
	char	*k;

	cd->map = json_object();
	cd->d = NULL;
	if (csl_exec(conn, "SELECT DISTINCT ON (party_key, entry_id) "
	    "party_key, entry_id, content_hash, disposition, note, "
	    "decided_by, to_char(decided_at AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM dispositions "
	    "ORDER BY party_key, entry_id, decided_at DESC, id DESC", 0, NULL,
	    &cd->res, cause) != 0) {
		cd->res = NULL;
		return (-1);
	}
	n = PQntuples(cd->res);
	cd->d = xcalloc((size_t)n + 1, sizeof *cd->d);
	for (i = 0; i < n; i++) {
		cd->d[i].entry_id = PQgetvalue(cd->res, i, 1);
		cd->d[i].content_hash = PQgetvalue(cd->res, i, 2);
		cd->d[i].disposition = PQgetvalue(cd->res, i, 3);
		cd->d[i].note = PQgetisnull(cd->res, i, 4) ? NULL :
		    PQgetvalue(cd->res, i, 4);
		cd->d[i].decided_by = PQgetvalue(cd->res, i, 5);
		cd->d[i].decided_at = PQgetvalue(cd->res, i, 6);
		xasprintf(&k, "%s\x1f%s", PQgetvalue(cd->res, i, 0),
		    PQgetvalue(cd->res, i, 1));
		json_object_set_new(cd->map, k, json_integer(i));
		free(k);
	}
	return (0);
}

/* Whether a rescreen changed a party: its result, or its best candidate
 * when either result is a hit and the old one is known. */
static bool
csl_rescreen_changed(const char *old, const char *oldtop, const char *new,
    const char *newtop)
{
	if (strcmp(old, new) != 0)
		return (true);
	if (strcmp(new, "no_match") == 0)
		return (false);
	/* A check's recipient is remembered without its best candidate. */
	if (*oldtop == '\0')
		return (false);
	return (strcmp(oldtop, newtop) != 0);
}

/*
 * Rescreen every party screened before against the current lists, with
 * counsel's dispositions as the daemon applies them; store the ones whose
 * result or best candidate changed in rescreen_changes (new_top is the
 * entry id, new_top_name its listed name) and their new result and best
 * candidate in screened_parties.
 */
int
csl_rescreen(PGconn *conn, size_t *nrescreened, size_t *nchanged,
    char **cause)
{
	PGresult		*res = NULL, *sp = NULL;
	json_t			*doc, *q, *top;
	json_error_t		 jerr;
	struct screen_index	*ix;
	struct screen_opts	 o;
	struct csl_disps	 cd = { NULL, NULL, NULL };
	size_t			 i;
	const char		*params[7], *nr, *newtop, *topname;
	char			*err = NULL, *vid;
	int			 rc = -1;

	*nrescreened = *nchanged = 0;
	/* Nobody screened yet: nothing to rescreen, no index to build. */
	if (csl_exec(conn, "SELECT 1 FROM screened_parties LIMIT 1", 0, NULL,
	    &res, cause) != 0)
		return (-1);
	i = (size_t)PQntuples(res);
	PQclear(res);
	if (i == 0)
		return (0);
	if (csl_exec(conn, "SELECT eard_parties_document()::text, (SELECT "
	    "max(id) FROM list_versions)::text", 0, NULL, &res, cause) != 0)
		return (-1);
	doc = json_loads(PQgetvalue(res, 0, 0), 0, &jerr);
	vid = xstrdup(PQgetvalue(res, 0, 1));
	PQclear(res);
	if (doc == NULL) {
		xasprintf(cause, "could not read the parties document: %s",
		    jerr.text);
		free(vid);
		return (-1);
	}
	ix = screen_index_build(doc, &err);
	json_decref(doc);
	if (ix == NULL) {
		xasprintf(cause, "could not index the lists: %s", err);
		free(err);
		free(vid);
		return (-1);
	}
	if (csl_disps_load(conn, &cd, cause) != 0)
		goto out;
	screen_opts_default(&o);
	o.disposition = csl_disposition_find;
	o.disposition_arg = &cd;
	if (csl_exec(conn, "SELECT id::text, name, country, result, "
	    "COALESCE(top_entry, '') FROM screened_parties ORDER BY id", 0,
	    NULL, &sp, cause) != 0)
		goto out;
	if (csl_exec(conn, "BEGIN", 0, NULL, NULL, cause) != 0)
		goto out;
	for (i = 0; i < (size_t)PQntuples(sp); i++) {
		q = screen_query(ix, PQgetvalue(sp, i, 1),
		    *PQgetvalue(sp, i, 2) != '\0' ? PQgetvalue(sp, i, 2) : NULL,
		    &o);
		nr = json_string_value(json_object_get(q, "result"));
		top = json_array_get(json_object_get(q, "candidates"), 0);
		newtop = top != NULL ? json_string_value(json_object_get(top,
		    "entry_id")) : "";
		topname = top != NULL ? json_string_value(json_object_get(top,
		    "name")) : NULL;
		(*nrescreened)++;
		if (!csl_rescreen_changed(PQgetvalue(sp, i, 3),
		    PQgetvalue(sp, i, 4), nr, newtop)) {
			json_decref(q);
			continue;
		}
		(*nchanged)++;
		params[0] = PQgetvalue(sp, i, 0);
		params[1] = vid;
		params[2] = PQgetvalue(sp, i, 3);
		params[3] = nr;
		params[4] = PQgetvalue(sp, i, 4);
		params[5] = newtop;
		params[6] = topname;
		if (csl_exec(conn, "INSERT INTO rescreen_changes "
		    "(screened_party, list_version, old_result, new_result, "
		    "old_top, new_top, new_top_name) VALUES ($1, $2, $3, $4, "
		    "NULLIF($5, ''), NULLIF($6, ''), $7)", 7, params, NULL,
		    cause) != 0 ||
		    csl_exec(conn, "UPDATE screened_parties SET result = $2, "
		    "top_entry = NULLIF($3, '') WHERE id = $1", 3,
		    (const char *[]){ params[0], nr, newtop }, NULL,
		    cause) != 0) {
			json_decref(q);
			PQclear(PQexec(conn, "ROLLBACK"));
			goto out;
		}
		json_decref(q);
	}
	if (csl_exec(conn, "COMMIT", 0, NULL, NULL, cause) != 0)
		goto out;
	rc = 0;
out:
	PQclear(sp);
	PQclear(cd.res);
	json_decref(cd.map);
	free(cd.d);
	screen_index_unref(ix);
	free(vid);
	return (rc);
}
