/*
 * screen_index.c: the screening lists in memory, for /v1/screen and for the
 * recipients of checks.
 *
 * On start, on every (re)connection and on NOTIFY lists_changed, a worker
 * thread opens its own connection (read_database_url), reads the current
 * list versions and streams their parties row by row (single-row mode) into
 * the index builder, in one snapshot, and swaps the index in under a mutex;
 * no parties document is built or held. The dispositions are fetched on
 * the read session. Requests hold a
 * reference to the index they started with (screen_index_ref/unref in core).
 * A failed load keeps the last good index. Dispositions live on the loop
 * only (loaded and added there), so they need no lock.
 */
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eard.h"

static pthread_mutex_t		 screen_mtx = PTHREAD_MUTEX_INITIALIZER;
static struct screen_index	*screen_cur;		/* under screen_mtx */
static char			*screen_versions[8];	/* recent, under mtx */
static size_t			 screen_nversion;
static int64_t			 screen_loaded_us;
/* Loads between the query and the end of the build; /readyz waits for them
 * before the first index is in, so a check is never refused for want of a
 * list that is on its way. */
static atomic_int			 screen_loading;
static char			*screen_error;
static uint64_t			 screen_gen;		/* loads asked, loop */
static uint64_t			 screen_swapped_gen;	/* under screen_mtx */
/* Each list of the index with its version and dates (under screen_mtx). */
static json_t			*screen_list_info;

/*
 * Dispositions: the latest per (party key, entry id), loop only. Entries sit
 * in an array; an open-addressing table of indexes into it (a power of two,
 * at most half full) finds one without allocating, since every candidate of
 * every screening asks.
 */
struct screen_disp_entry {
	char				*key;	/* party key */
	uint64_t			 hash;
	struct screen_disposition	 d;
};
static struct screen_disp_entry	*screen_disps;
static size_t			 screen_ndisps;
static size_t			*screen_disp_slots;	/* index + 1; 0 empty */
static size_t			 screen_disp_nslots;

static void	screen_load(void);

/* The current index, a new reference (NULL before the first load). */
struct screen_index *
screen_index_current(void)
{
	struct screen_index	*ix;

	pthread_mutex_lock(&screen_mtx);
	if ((ix = screen_cur) != NULL)
		screen_index_ref(ix);
	pthread_mutex_unlock(&screen_mtx);
	return (ix);
}

/* The list versions screened against; stays valid for a few reloads. */
const char *
screen_lists_version(void)
{
	const char	*v;

	pthread_mutex_lock(&screen_mtx);
	v = screen_nversion > 0 ?
	    screen_versions[(screen_nversion - 1) % nitems(screen_versions)] :
	    NULL;
	pthread_mutex_unlock(&screen_mtx);
	return (v);
}

int64_t
screen_index_loaded_at_us(void)
{
	return (screen_loaded_us);
}

/* A load is in flight and no index has been swapped in yet. */
bool
screen_index_pending(void)
{
	bool	 none;

	pthread_mutex_lock(&screen_mtx);
	none = screen_cur == NULL;
	pthread_mutex_unlock(&screen_mtx);
	return (none && atomic_load(&screen_loading) > 0);
}

/* Why the last load failed, or NULL (loop only: the text is copied from
 * under the builder's lock into a buffer the loop owns). */
const char *
screen_index_last_error(void)
{
	static char	 buf[512];
	const char	*r = NULL;

	pthread_mutex_lock(&screen_mtx);
	if (screen_error != NULL) {
		snprintf(buf, sizeof buf, "%s", screen_error);
		r = buf;
	}
	pthread_mutex_unlock(&screen_mtx);
	return (r);
}

/* A load in flight: its generation and where to read the lists. */
struct screen_job {
	uint64_t	 gen;
	char		*conninfo;
};

/* Swap a new index in unless a later load already did; the old one goes
 * when its last request ends. */
static bool
screen_swap(struct screen_index *ix, json_t *info, uint64_t gen)
{
	struct screen_index	*old;
	json_t			*oldinfo;
	size_t			 slot;

	pthread_mutex_lock(&screen_mtx);
	if (gen < screen_swapped_gen) {
		pthread_mutex_unlock(&screen_mtx);
		screen_index_unref(ix);
		json_decref(info);
		return (false);
	}
	screen_swapped_gen = gen;
	old = screen_cur;
	screen_cur = ix;
	oldinfo = screen_list_info;
	screen_list_info = info;
	slot = screen_nversion++ % nitems(screen_versions);
	free(screen_versions[slot]);
	screen_versions[slot] = xstrdup(screen_index_version(ix));
	screen_loaded_us = eard_now_us();
	pthread_mutex_unlock(&screen_mtx);
	json_decref(oldinfo);
	if (old != NULL)
		screen_index_unref(old);
	return (true);
}

/* Seconds since the epoch of a timestamp as jsonb writes it
 * ("2026-07-31T12:34:56.123+02:00"), or -1. */
static int64_t
screen_parse_time(const char *s)
{
	struct tm	 tm;
	int		 oh = 0, om = 0, n = 0;
	const char	*z;
	int64_t		 t;

	memset(&tm, 0, sizeof tm);
	if (s == NULL || sscanf(s, "%d-%d-%dT%d:%d:%d%n", &tm.tm_year,
	    &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec,
	    &n) < 3)
		return (-1);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = (int64_t)timegm(&tm);
	if (n > 0 && (z = strpbrk(s + n, "+-")) != NULL &&
	    sscanf(z + 1, "%d:%d", &oh, &om) >= 1)
		t -= (*z == '-' ? -1 : 1) * ((int64_t)oh * 3600 + om * 60);
	return (t);
}

/*
 * Each list of a parties document with its own version:
 * {"EL": {"kind", "list_version", "source_file", "sha256", "parties",
 * "data_date", "imported_at", "dated_at"}}; dated_at (epoch seconds) is the
 * data date when the file gives one, else the import.
 */
static json_t *
screen_list_info_build(const json_t *doc)
{
	json_t		*info = json_object(), *v, *cnt;
	const char	*code, *dd;
	size_t		 i;
	int64_t		 at;

	json_array_foreach(json_object_get(doc, "versions"), i, v) {
		dd = json_string_value(json_object_get(v, "data_date"));
		at = screen_parse_time(dd);
		if (at < 0)
			at = screen_parse_time(json_string_value(
			    json_object_get(v, "imported_at")));
		json_object_foreach(json_object_get(v, "counts"), code, cnt) {
			json_object_set_new(info, code, json_pack("{s:O?,s:O?,"
			    "s:O?,s:O?,s:O?,s:O?,s:O?,s:I}", "kind",
			    json_object_get(v, "kind"), "list_version",
			    json_object_get(v, "id"), "source_file",
			    json_object_get(v, "source_file"), "sha256",
			    json_object_get(v, "sha256"), "parties", cnt,
			    "data_date", json_object_get(v, "data_date"),
			    "imported_at", json_object_get(v, "imported_at"),
			    "dated_at", (json_int_t)at));
		}
	}
	return (info);
}

/*
 * Each loaded list with its version, party count and age in days now
 * (new reference; an empty object before the first load).
 */
json_t *
screen_index_list_info(void)
{
	json_t		*info, *v;
	const char	*code;
	int64_t		 now = eard_now_us() / 1000000, at;

	pthread_mutex_lock(&screen_mtx);
	info = screen_list_info != NULL ? json_deep_copy(screen_list_info) :
	    json_object();
	pthread_mutex_unlock(&screen_mtx);
	json_object_foreach(info, code, v) {
		at = json_integer_value(json_object_get(v, "dated_at"));
		json_object_del(v, "dated_at");
		if (at > 0)
			json_object_set_new(v, "age_days", json_integer(
			    (json_int_t)((now - at) / 86400)));
		else
			json_object_set_new(v, "age_days", json_null());
	}
	return (info);
}

/* Parse a one-dimensional text[] as PostgreSQL writes it ({a,"b c",NULL})
 * in place: *out points into s (NULL for NULL elements). */
static size_t
screen_pg_array(char *s, const char ***out, size_t *cap)
{
	size_t	 n = 0;
	char	*w;
	bool	 quoted;

	if (*s == '[' && (s = strchr(s, '=')) != NULL)	/* [0:1]={...} */
		s++;
	if (s == NULL || *s != '{')
		return (0);
	s++;
	while (*s != '\0' && *s != '}') {
		if (n == *cap) {
			*cap = *cap * 2 + 8;
			*out = xreallocarray(*out, *cap, sizeof **out);
		}
		quoted = *s == '"';
		if (quoted)
			s++;
		(*out)[n] = w = s;
		for (; *s != '\0'; s++) {
			if (quoted && *s == '\\' && s[1] != '\0')
				s++;
			else if (quoted && *s == '"') {
				s++;
				break;
			} else if (!quoted && (*s == ',' || *s == '}'))
				break;
			*w++ = *s;
		}
		if (!quoted && w - (*out)[n] == 4 &&
		    strncmp((*out)[n], "NULL", 4) == 0)
			(*out)[n] = NULL;
		n++;
		if (*s == ',') {
			*w = '\0';
			s++;
		} else if (*s == '}') {
			*w = '\0';
			break;
		} else
			*w = '\0';
	}
	return (n);
}

/* A column of a row, NULL when SQL NULL. */
static char *
screen_pg_value(PGresult *res, int col)
{
	return (PQgetisnull(res, 0, col) ? NULL : PQgetvalue(res, 0, col));
}

/*
 * The current list versions as the old parties document had them
 * ({"versions": [...]}, for the list information), fed to the builder too.
 */
static json_t *
screen_fetch_versions(PGconn *conn, struct screen_builder *b, char **ids,
    char **cause)
{
	char		*tmp;
	PGresult	*res;
	json_t		*doc, *arr, *counts;
	json_error_t	 jerr;
	int		 i;
	const char	*v[7];

	res = PQexec(conn, "SELECT id, kind, source_file, sha256, "
	    "to_jsonb(data_date) #>> '{}', to_jsonb(imported_at) #>> '{}', "
	    "counts::text FROM (SELECT DISTINCT ON (kind) * FROM "
	    "list_versions ORDER BY kind, activated_at DESC, id DESC) c "
	    "ORDER BY kind");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		xasprintf(cause, "%s", PQresultErrorMessage(res));
		PQclear(res);
		return (NULL);
	}
	*ids = xstrdup("{");
	doc = json_object();
	arr = json_array();
	json_object_set_new(doc, "versions", arr);
	for (i = 0; i < PQntuples(res); i++) {
		for (int c = 0; c < 7; c++)
			v[c] = PQgetisnull(res, i, c) ? NULL :
			    PQgetvalue(res, i, c);
		counts = v[6] != NULL ? json_loads(v[6], 0, &jerr) : NULL;
		json_array_append_new(arr, json_pack("{s:I,s:s?,s:s?,s:s?,"
		    "s:s?,s:s?,s:o}", "id", (json_int_t)strtoll(v[0], NULL,
		    10), "kind", v[1], "source_file", v[2], "sha256", v[3],
		    "data_date", v[4], "imported_at", v[5], "counts",
		    counts != NULL ? counts : json_object()));
		screen_builder_add_version(b, strtoll(v[0], NULL, 10), v[1],
		    v[3], v[4], v[5]);
		tmp = *ids;
		xasprintf(ids, "%s%s%s", tmp, i > 0 ? "," : "", v[0]);
		free(tmp);
	}
	PQclear(res);
	tmp = *ids;
	xasprintf(ids, "%s}", tmp);
	free(tmp);
	return (doc);
}

/*
 * Stream the parties of the current versions, one row at a time, straight
 * into the builder: no document is built on the server nor held here. The
 * rows come in the table's order, unsorted (a sort of the whole list costs
 * the server more than the rest of the read); their ids order them in the
 * index. ids is the current versions as an array literal.
 */
static int
screen_fetch_parties(PGconn *conn, struct screen_builder *b, const char *ids,
    char **cause)
{
	PGresult		*res;
	struct screen_party_in	 in;
	const char		**alts = NULL, **ccs = NULL;
	size_t			 altcap = 0, cccap = 0;
	int			 rc = 0;

	if (!PQsendQueryParams(conn, "SELECT p.name, p.list, p.source, "
	    "p.entry_id, p.content_hash, p.license_requirement, "
	    "p.license_policy, p.federal_register_notice, p.type, "
	    "p.list_version, p.alt_names, p.countries, p.id FROM parties p "
	    "WHERE p.list_version = ANY ($1::bigint[])", 1, NULL, &ids, NULL,
	    NULL, 0) || !PQsetSingleRowMode(conn)) {
		xasprintf(cause, "%s", PQerrorMessage(conn));
		return (-1);
	}
	while ((res = PQgetResult(conn)) != NULL) {
		if (PQresultStatus(res) == PGRES_SINGLE_TUPLE && rc == 0) {
			memset(&in, 0, sizeof in);
			in.id = strtoll(PQgetvalue(res, 0, 12), NULL, 10);
			in.name = screen_pg_value(res, 0);
			in.list = screen_pg_value(res, 1);
			in.source = screen_pg_value(res, 2);
			in.entry_id = screen_pg_value(res, 3);
			in.content_hash = screen_pg_value(res, 4);
			in.license_requirement = screen_pg_value(res, 5);
			in.license_policy = screen_pg_value(res, 6);
			in.federal_register_notice = screen_pg_value(res, 7);
			in.type = screen_pg_value(res, 8);
			in.list_version = strtoll(PQgetvalue(res, 0, 9), NULL,
			    10);
			in.nalt_names = screen_pg_array(PQgetvalue(res, 0, 10),
			    &alts, &altcap);
			in.ncountries = screen_pg_array(PQgetvalue(res, 0, 11),
			    &ccs, &cccap);
			in.alt_names = alts;
			in.countries = ccs;
			screen_builder_add_party(b, &in);
		} else if (PQresultStatus(res) != PGRES_TUPLES_OK &&
		    PQresultStatus(res) != PGRES_SINGLE_TUPLE && rc != -1) {
			xasprintf(cause, "%s", PQresultErrorMessage(res));
			rc = -1;
		}
		PQclear(res);
	}
	free(alts);
	free(ccs);
	return (rc);
}

/* Record why the last load failed (NULL: it did not). */
static void
screen_set_error(char *msg)
{
	pthread_mutex_lock(&screen_mtx);
	free(screen_error);
	screen_error = msg;
	pthread_mutex_unlock(&screen_mtx);
}

/* Worker: read the lists on its own connection and build the index, off
 * the loop; swap it in. */
static void *
screen_build_thread(void *arg)
{
	struct screen_job	*job = arg;
	char			*cause = NULL, *msg;
	struct screen_builder	*b;
	struct screen_index	*ix = NULL;
	PGconn			*conn;
	PGresult		*res;
	json_t			*vdoc = NULL, *info;
	int64_t			 t0 = eard_now_us(), t1 = 0, t2 = 0;
	size_t			 n, nn;
	char			*ids = NULL;

	b = screen_builder_new();
	conn = PQconnectdb(job->conninfo);
	if (PQstatus(conn) != CONNECTION_OK) {
		xasprintf(&cause, "%s", PQerrorMessage(conn));
		goto fail;
	}
	/* One snapshot for the versions and their parties. */
	res = PQexec(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		xasprintf(&cause, "%s", PQresultErrorMessage(res));
		PQclear(res);
		goto fail;
	}
	PQclear(res);
	/* One plain scan on one core: no parallel gather, no index. */
	PQclear(PQexec(conn, "SET LOCAL max_parallel_workers_per_gather = 0"));
	PQclear(PQexec(conn, "SET LOCAL enable_indexscan = off"));
	PQclear(PQexec(conn, "SET LOCAL enable_bitmapscan = off"));
	if ((vdoc = screen_fetch_versions(conn, b, &ids, &cause)) == NULL)
		goto fail;
	t1 = eard_now_us();
	if (screen_fetch_parties(conn, b, ids, &cause) != 0)
		goto fail;
	PQclear(PQexec(conn, "COMMIT"));
	PQfinish(conn);
	conn = NULL;
	t2 = eard_now_us();

	ix = screen_builder_finish(b);
	b = NULL;
	info = screen_list_info_build(vdoc);
	json_decref(vdoc);
	screen_set_error(NULL);
	if (screen_index_parties(ix) == 0) {
		/* No list imported yet: nothing to swap in. */
		screen_index_unref(ix);
		json_decref(info);
		goto out;
	}
	n = screen_index_parties(ix);
	nn = screen_index_names(ix);
	if (!screen_swap(ix, info, job->gen))
		goto out;
	log_info("screening lists loaded: %zu parties, %zu names (%s) in "
	    "%lld ms (connected in %lld, parties read and tokenised in %lld, "
	    "indexed in %lld)", n, nn, screen_lists_version(),
	    (long long)(eard_now_us() - t0) / 1000, (long long)(t1 - t0) /
	    1000, (long long)(t2 - t1) / 1000, (long long)(eard_now_us() -
	    t2) / 1000);
	goto out;

fail:
	/* Trailing newlines of libpq's messages are not ours to print. */
	if (cause != NULL)
		cause[strcspn(cause, "\n")] = '\0';
	xasprintf(&msg, "could not load the screening lists: %s",
	    cause != NULL ? cause : "unknown error");
	log_warnx("%s; keeping the last good lists", msg);
	screen_set_error(msg);
	free(cause);
	json_decref(vdoc);
	screen_builder_free(b);
	if (conn != NULL)
		PQfinish(conn);
out:
	free(ids);
	free(job->conninfo);
	free(job);
	/* The builder's freed pages stay in this thread's malloc arena
	 * unless given back. */
	malloc_trim(0);
	atomic_fetch_sub(&screen_loading, 1);
	return (NULL);
}

/* FNV-1a of (party key, entry id), the pair as one string with a 0x1f. */
static uint64_t
screen_disp_hash(const char *key, const char *entry_id)
{
	uint64_t		 h = 14695981039346656037ULL;
	const unsigned char	*p;

	for (p = (const unsigned char *)key; *p != '\0'; p++)
		h = (h ^ *p) * 1099511628211ULL;
	h = (h ^ 0x1f) * 1099511628211ULL;
	for (p = (const unsigned char *)entry_id; *p != '\0'; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return (h);
}

/* The slot holding (key, entry id), or the empty slot where it would go. */
static size_t
screen_disp_slot(uint64_t h, const char *key, const char *entry_id)
{
	size_t				 mask = screen_disp_nslots - 1;
	size_t				 i = (size_t)h & mask;
	const struct screen_disp_entry	*e;

	while (screen_disp_slots[i] != 0) {
		e = &screen_disps[screen_disp_slots[i] - 1];
		if (e->hash == h && strcmp(e->key, key) == 0 &&
		    strcmp(e->d.entry_id, entry_id) == 0)
			break;
		i = (i + 1) & mask;
	}
	return (i);
}

/* Grow the slot table to keep it at most half full, rehashing. */
static void
screen_disp_grow(void)
{
	size_t	i, j, mask;

	if (screen_disp_nslots >= 2 * (screen_ndisps + 1))
		return;
	free(screen_disp_slots);
	screen_disp_nslots = screen_disp_nslots == 0 ? 64 :
	    screen_disp_nslots * 2;
	while (screen_disp_nslots < 2 * (screen_ndisps + 1))
		screen_disp_nslots *= 2;
	screen_disp_slots = xcalloc(screen_disp_nslots,
	    sizeof *screen_disp_slots);
	mask = screen_disp_nslots - 1;
	for (i = 0; i < screen_ndisps; i++) {
		j = (size_t)screen_disps[i].hash & mask;
		while (screen_disp_slots[j] != 0)
			j = (j + 1) & mask;
		screen_disp_slots[j] = i + 1;
	}
}

/* Free the strings of one disposition entry. */
static void
screen_disp_clear(struct screen_disp_entry *e)
{
	free(e->key);
	free((char *)e->d.entry_id);
	free((char *)e->d.content_hash);
	free((char *)e->d.disposition);
	free((char *)e->d.note);
	free((char *)e->d.decided_by);
	free((char *)e->d.decided_at);
}

/* Replace the disposition set with the rows of a query (loop only). */
static void
screen_disps_set(PGresult *res)
{
	size_t	i, n = (size_t)PQntuples(res);

	for (i = 0; i < screen_ndisps; i++)
		screen_disp_clear(&screen_disps[i]);
	free(screen_disps);
	screen_disps = NULL;
	screen_ndisps = 0;
	free(screen_disp_slots);
	screen_disp_slots = NULL;
	screen_disp_nslots = 0;
	for (i = 0; i < n; i++)
		screen_disposition_add(PQgetvalue(res, i, 0),
		    PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
		    PQgetvalue(res, i, 3), PQgetisnull(res, i, 4) ? NULL :
		    PQgetvalue(res, i, 4), PQgetvalue(res, i, 5),
		    PQgetvalue(res, i, 6));
}

/* Add (or replace) the disposition for (party key, entry id). */
void
screen_disposition_add(const char *key, const char *entry_id,
    const char *content_hash, const char *disposition, const char *note,
    const char *by, const char *at)
{
	struct screen_disp_entry	*e;
	uint64_t			 h = screen_disp_hash(key, entry_id);
	size_t				 slot;

	screen_disp_grow();
	slot = screen_disp_slot(h, key, entry_id);
	if (screen_disp_slots[slot] != 0) {
		e = &screen_disps[screen_disp_slots[slot] - 1];
		screen_disp_clear(e);
	} else {
		screen_disps = xreallocarray(screen_disps, screen_ndisps + 1,
		    sizeof *screen_disps);
		e = &screen_disps[screen_ndisps++];
		screen_disp_slots[slot] = screen_ndisps;
	}
	e->key = xstrdup(key);
	e->hash = h;
	e->d.entry_id = xstrdup(entry_id);
	e->d.content_hash = xstrdup(content_hash);
	e->d.disposition = xstrdup(disposition);
	e->d.note = note != NULL ? xstrdup(note) : NULL;
	e->d.decided_by = xstrdup(by);
	e->d.decided_at = xstrdup(at);
}

/* The disposition lookup core calls for each candidate. */
static const struct screen_disposition *
screen_disposition_find(void *arg, const char *key, const char *entry_id)
{
	size_t	slot;

	(void)arg;
	if (screen_ndisps == 0)
		return (NULL);
	slot = screen_disp_slot(screen_disp_hash(key, entry_id), key,
	    entry_id);
	if (screen_disp_slots[slot] == 0)
		return (NULL);
	return (&screen_disps[screen_disp_slots[slot] - 1].d);
}

/* The options every screening of this daemon uses. */
void
screen_opts_daemon(struct screen_opts *o)
{
	screen_opts_default(o);
	o->disposition = screen_disposition_find;
	o->disposition_arg = NULL;
}

static void
screen_disps_done(void *arg, PGresult *res, const char *errmsg)
{
	(void)arg;
	if (res == NULL) {
		log_warnx("could not load dispositions: %s", errmsg);
		return;
	}
	screen_disps_set(res);
}

/* Fetch the lists (in a worker thread, on its own connection) and the
 * dispositions (async, on the loop). */
static void
screen_load(void)
{
	pthread_t		 t;
	pthread_attr_t		 attr;
	struct screen_job	*job;
	const char		*url = config_read_database_url(&cfg);

	screen_gen++;
	if (url == NULL)
		return;
	atomic_fetch_add(&screen_loading, 1);
	job = xmalloc(sizeof *job);
	job->gen = screen_gen;
	job->conninfo = xstrdup(url);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, screen_build_thread, job) != 0) {
		log_warn("could not start the screening index builder");
		free(job->conninfo);
		free(job);
		atomic_fetch_sub(&screen_loading, 1);
	}
	pthread_attr_destroy(&attr);
	if (db_query("SELECT DISTINCT ON (party_key, entry_id) party_key, "
	    "entry_id, content_hash, disposition, note, decided_by, "
	    "to_char(decided_at AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM dispositions "
	    "ORDER BY party_key, entry_id, decided_at DESC, id DESC", 0, NULL,
	    screen_disps_done, NULL) != 0)
		log_warnx("could not ask for dispositions");
}

static void
screen_on_notify(const char *payload, void *arg)
{
	(void)payload;
	(void)arg;
	screen_load();
}

static void
screen_on_connect(void *arg)
{
	(void)arg;
	screen_load();
}

/* Once at start-up, after db_start(). */
void
screen_init(void)
{
	db_on_notify("lists_changed", screen_on_notify, NULL);
	db_on_connect(screen_on_connect, NULL);
}

/*
 * What was last written for a screened (party key, country), loop only: a
 * name screened again with the same result, best candidate and list
 * versions on the same UTC day is not written again (the row would only
 * move last_screened within the day, which the screening report does not
 * show). A small table of hashes, emptied when full.
 */
#define SCREEN_SEEN_SLOTS	65536
struct screen_seen {
	uint64_t	who;		/* hash of key and country; 0 empty */
	uint64_t	what;		/* hash of result, top entry, lists */
	int32_t		day;		/* UTC day it was written */
};
static struct screen_seen	*screen_seen;
static size_t			 screen_nseen;

/* FNV-1a of strings, each followed by a 0x1f. */
static uint64_t
screen_seen_hash(const char *const *v, size_t n)
{
	uint64_t		 h = 14695981039346656037ULL;
	const unsigned char	*p;
	size_t			 i;

	for (i = 0; i < n; i++) {
		for (p = (const unsigned char *)(v[i] != NULL ? v[i] : "");
		    *p != '\0'; p++)
			h = (h ^ *p) * 1099511628211ULL;
		h = (h ^ 0x1f) * 1099511628211ULL;
	}
	return (h != 0 ? h : 1);
}

/* The slot of who, or the empty slot where it goes. */
static struct screen_seen *
screen_seen_slot(uint64_t who)
{
	size_t	i = (size_t)who & (SCREEN_SEEN_SLOTS - 1);

	if (screen_seen == NULL)
		screen_seen = xcalloc(SCREEN_SEEN_SLOTS, sizeof *screen_seen);
	while (screen_seen[i].who != 0 && screen_seen[i].who != who)
		i = (i + 1) & (SCREEN_SEEN_SLOTS - 1);
	return (&screen_seen[i]);
}

/* A screened party's row was written: remember what it holds. */
static void
screen_remember_done(void *arg, PGresult *res, const char *errmsg)
{
	struct screen_seen	*w = arg, *e;

	if (res == NULL) {
		log_debug("could not record a screened party: %s", errmsg);
		free(w);
		return;
	}
	if (screen_nseen >= SCREEN_SEEN_SLOTS / 2) {
		memset(screen_seen, 0, SCREEN_SEEN_SLOTS *
		    sizeof *screen_seen);
		screen_nseen = 0;
	}
	e = screen_seen_slot(w->who);
	if (e->who == 0)
		screen_nseen++;
	*e = *w;
	free(w);
}

/* Remember a screened name for rescreening (fire and forget). */
void
screen_remember(const char *name, const char *country,
    enum screen_result r, const char *top_entry)
{
	const char		*params[6];
	char			*key = screen_key(name);
	struct screen_seen	*w, *e;
	const char		*h[3];

	params[0] = key;
	params[1] = name;
	params[2] = country != NULL ? country : "";
	params[3] = screen_result_name(r);
	params[4] = top_entry;
	params[5] = screen_lists_version();
	w = xmalloc(sizeof *w);
	h[0] = key;
	h[1] = params[2];
	w->who = screen_seen_hash(h, 2);
	w->what = screen_seen_hash(params + 3, 3);
	w->day = date_today();
	e = screen_seen_slot(w->who);
	if (e->who == w->who && e->what == w->what && e->day == w->day) {
		free(w);
		free(key);
		return;
	}
	if (db_query("INSERT INTO screened_parties (party_key, name, country, "
	    "result, top_entry, lists) VALUES ($1, $2, $3, $4, $5, $6) "
	    "ON CONFLICT (party_key, country) DO UPDATE SET name = "
	    "EXCLUDED.name, result = EXCLUDED.result, top_entry = "
	    "COALESCE(EXCLUDED.top_entry, screened_parties.top_entry), "
	    "lists = EXCLUDED.lists, last_screened = now()", 6, params,
	    screen_remember_done, w) != 0) {
		log_debug("could not record a screened party");
		free(w);
	}
	free(key);
}

/*
 * Screen a check's recipient against the lists (eard.h): the hits at
 * review level or above go into the check with the lists' own words.
 */
int
screen_check(struct check *chk, char **cause)
{
	struct screen_index	*ix;
	struct screen_opts	 o;
	struct ear_listing	*l;
	size_t			 n;
	enum screen_result	 r;
	const char		*name = check_recipient_name(chk);
	const char		*cc = check_recipient_country(chk);

	if (name == NULL || *name == '\0')
		return (0);
	if ((ix = screen_index_current()) == NULL) {
		xasprintf(cause, "no screening list is loaded (import one "
		    "with earctl import csl)");
		return (-1);
	}
	screen_opts_daemon(&o);
	r = screen_query_listings(ix, name, cc, &o, &l, &n);
	check_set_screening(chk, l, n, screen_index_version(ix));
	screen_remember(name, cc, r, NULL);
	free(l);
	screen_index_unref(ix);
	return (0);
}
