/*
 * audit.c: the decision log writer. Every answer eard gives is recorded
 * before it is sent (issue #7):
 *
 * - audit_submit() turns a decision into one record (a JSON object with its
 *   canonical form, core/canon.c) and queues it; nothing is kept by
 *   reference, so the caller may free its decision at once.
 * - Group commit: one batch is in flight at a time, on the writer's own
 *   connection (as role eard, on database_url). Decisions submitted while a
 *   batch commits queue up and go together in the next one:
 *	SELECT decisions_append($1::jsonb)
 *   one statement, one transaction; the SQL function chains the hashes under
 *   an advisory lock (schema/020_decisions.sql says why there). Each done()
 *   is called once that COMMIT has returned.
 * - When PostgreSQL is down, the commit fails, or it hangs past
 *   AUDIT_COMMIT_TIMEOUT, the batch goes to the spool (daemon/spool.c) and
 *   done(0) follows its fsync; if the spool cannot take it, done(-1): the
 *   caller answers 503 rather than an unrecorded verdict. A batch whose
 *   COMMIT outcome is unknown (connection lost in flight) is spooled too:
 *   the replay's insert skips what is already there.
 * - On every (re)connection, and at start, the spool is replayed first, in
 *   batches, then truncated.
 * - audit_mode = async answers as soon as a decision is queued (logged at
 *   start as an explicit opt-out); durability then lags by one commit.
 *
 * Everything runs on the event loop; done() callbacks are always called
 * from the loop, never inside audit_submit(). Spool writes fsync on the loop:
 * they happen only while PostgreSQL is unavailable, one per batch.
 */
#include <sys/queue.h>
#include <sys/types.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "eard.h"
#include "pgsocket.h"

#define AUDIT_MAX_PENDING	50000
#define AUDIT_SPOOL_MAX_BYTES	((size_t)1024 * 1024 * 1024)
#define AUDIT_BATCH_MAX		5000
#define AUDIT_BATCH_BYTES	((size_t)16 * 1024 * 1024)
#define AUDIT_COMMIT_TIMEOUT	5	/* seconds */
#define AUDIT_REPLAY_RETRY	2	/* seconds */

struct audit_entry {
	TAILQ_ENTRY(audit_entry) entry;
	char		*rec;		/* the record, a JSON object */
	size_t		 len;
	void		(*done)(void *, int);	/* NULL once answered */
	void		*arg;
};
TAILQ_HEAD(audit_queue, audit_entry);

struct audit_batch {
	struct audit_entry	**v;
	size_t			  n;
	bool			  replay;	/* records from the spool */
	off_t			  next_off;	/* replay: where the next starts */
	bool			  abandoned;	/* timed out: already spooled */
};

struct audit_deferred {
	void	(*done)(void *, int);
	void	*arg;
	int	 ok;
};

static struct {
	bool			 init;
	struct event_base	*base;
	bool			 durable;
	size_t			 max_pending;
	size_t			 spool_max;
	int			 batch_max;

	struct pgsocket		*pg;
	struct spool		*spool;
	off_t			 spool_off;	/* replayed up to here */
	size_t			 spool_replayed;
	bool			 replay_hold;	/* a replay failed: wait */

	struct audit_queue	 queue;
	size_t			 nqueued;
	size_t			 npending;	/* queued + in flight */
	struct audit_batch	*inflight;
	struct event		*ev_kick;
	struct event		*ev_timeout;
	struct event		*ev_retry;

	char			*doc_version;	/* rules document to record */
	char			*doc_text;
	bool			 doc_inflight;

	bool			 stopping;
	void			(*stop_done)(void *);
	void			*stop_arg;
} audit;

/*
 * eard.c's loop and config, weak so that unit tests can link this file
 * without main(); audit_submit() starts the writer with them if the daemon
 * has not called audit_init().
 */
#pragma weak ev_base
#pragma weak cfg

static void	audit_run(evutil_socket_t, short, void *);
static void	audit_kick(void);

/* Call done(arg, ok) from the loop, soon. */
static void
audit_deferred_cb(evutil_socket_t fd, short what, void *arg)
{
	struct audit_deferred	*d = arg;

	(void)fd;
	(void)what;
	d->done(d->arg, d->ok);
	free(d);
}

static void
audit_defer(void (*done)(void *, int), void *arg, int ok)
{
	struct audit_deferred	*d;
	struct timeval		 tv = { 0, 0 };

	d = xmalloc(sizeof *d);
	d->done = done;
	d->arg = arg;
	d->ok = ok;
	if (event_base_once(audit.base, -1, EV_TIMEOUT, audit_deferred_cb, d,
	    &tv) == -1)
		fatalx("could not schedule an audit callback");
}

static void
audit_entry_free(struct audit_entry *e)
{
	free(e->rec);
	free(e);
}

/* Answer every entry of a batch that has not been answered yet. */
static void
audit_batch_complete(struct audit_batch *b, int ok)
{
	struct audit_entry	*e;
	size_t			 i;

	for (i = 0; i < b->n; i++) {
		e = b->v[i];
		if (e->done != NULL) {
			e->done(e->arg, ok);
			e->done = NULL;
		}
	}
}

static void
audit_batch_free(struct audit_batch *b)
{
	size_t	 i;

	for (i = 0; i < b->n; i++)
		audit_entry_free(b->v[i]);
	free(b->v);
	free(b);
}

/* The batch parameter: a JSON array of the records. Caller frees. */
static char *
audit_batch_param(struct audit_batch *b)
{
	char	*p;
	size_t	 len = 2, off = 0, i;

	for (i = 0; i < b->n; i++)
		len += b->v[i]->len + 1;
	p = xmalloc(len + 1);
	p[off++] = '[';
	for (i = 0; i < b->n; i++) {
		if (i > 0)
			p[off++] = ',';
		memcpy(p + off, b->v[i]->rec, b->v[i]->len);
		off += b->v[i]->len;
	}
	p[off++] = ']';
	p[off] = '\0';
	return (p);
}

/* Write a batch to the spool and answer it: 0 after fsync, else -1. */
static void
audit_spool_batch(struct audit_batch *b)
{
	const char	**recs;
	size_t		 *lens, i;
	char		 *cause = NULL;
	int		  ok = -1;

	if (audit.spool == NULL)
		log_warnx("decisions not recorded: no spool (spool_dir)");
	else {
		recs = xcalloc(b->n, sizeof *recs);
		lens = xcalloc(b->n, sizeof *lens);
		for (i = 0; i < b->n; i++) {
			recs[i] = b->v[i]->rec;
			lens[i] = b->v[i]->len;
		}
		if (spool_append(audit.spool, recs, lens, b->n, &cause) == 0)
			ok = 0;
		else {
			log_warnx("%zu decisions not recorded: %s", b->n, cause);
			free(cause);
			limits_hit("spool_max_bytes");
		}
		free(recs);
		free(lens);
	}
	if (ok == 0)
		log_debug("spooled %zu decisions (%zu in spool)", b->n,
		    spool_records(audit.spool));
	audit.npending -= b->n;
	audit_batch_complete(b, ok);
}

/* The result of one batch's decisions_append(). */
static void
audit_commit_cb(void *arg, PGresult *res, const char *errmsg)
{
	struct audit_batch	*b = arg;
	struct timeval		 tv = { 0, 0 };
	char			*cause = NULL;

	if (b->abandoned) {
		/* Spooled already when it timed out; the replay dedupes. */
		audit_batch_free(b);
		return;
	}
	evtimer_del(audit.ev_timeout);
	audit.inflight = NULL;
	if (b->replay) {
		if (res == NULL) {
			log_warnx("spool replay failed: %s", errmsg);
			audit.replay_hold = true;
			tv.tv_sec = AUDIT_REPLAY_RETRY;
			evtimer_add(audit.ev_retry, &tv);
		} else {
			audit.spool_off = b->next_off;
			audit.spool_replayed += b->n;
			if ((size_t)audit.spool_off >= spool_bytes(audit.spool)) {
				log_info("spool replayed: %zu decisions",
				    audit.spool_replayed);
				if (spool_truncate(audit.spool, &cause) != 0) {
					log_warnx("%s", cause);
					free(cause);
				}
				audit.spool_off = 0;
				audit.spool_replayed = 0;
			}
		}
		audit_batch_free(b);
		audit_kick();
		return;
	}
	if (res == NULL) {
		log_warnx("could not commit %zu decisions, spooling: %s", b->n,
		    errmsg);
		audit_spool_batch(b);
	} else {
		audit.npending -= b->n;
		audit_batch_complete(b, 0);
	}
	audit_batch_free(b);
	audit_kick();
}

/* A commit took too long: spool its batch and start a new connection. */
static void
audit_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct audit_batch	*b = audit.inflight;

	(void)fd;
	(void)what;
	(void)arg;
	if (b == NULL)
		return;
	log_warnx("commit of %zu decisions took over %d s, spooling them", b->n,
	    AUDIT_COMMIT_TIMEOUT);
	audit.inflight = NULL;
	b->abandoned = true;
	if (!b->replay)
		audit_spool_batch(b);
	pgsocket_reset(audit.pg, NULL);		/* calls audit_commit_cb */
	audit_kick();
}

/* Retry a failed replay. */
static void
audit_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	audit.replay_hold = false;
	audit_kick();
}

/* Send a batch; false if it could not be sent. */
static bool
audit_send(struct audit_batch *b)
{
	const char	*params[1];
	struct timeval	 tv = { 0, 0 };
	char		*p;
	int		 r;

	p = audit_batch_param(b);
	params[0] = p;
	audit.inflight = b;
	r = pgsocket_query(audit.pg, "SELECT decisions_append($1::jsonb)", 1,
	    params, audit_commit_cb, b);
	free(p);
	if (r != 0) {
		audit.inflight = NULL;
		return (false);
	}
	tv.tv_sec = AUDIT_COMMIT_TIMEOUT;
	evtimer_add(audit.ev_timeout, &tv);
	return (true);
}

/* Start replaying the next batch of the spool; false if nothing to do. */
static bool
audit_replay_next(void)
{
	struct audit_batch	*b;
	struct audit_entry	*e;
	off_t			 off = audit.spool_off;
	size_t			 bytes = 0, len;
	char			*p, *cause = NULL;
	int			 r = 0;

	b = xcalloc(1, sizeof *b);
	b->replay = true;
	while (b->n < AUDIT_BATCH_MAX && bytes < AUDIT_BATCH_BYTES) {
		r = spool_next(audit.spool, &off, &p, &len, &cause);
		if (r == -1) {
			log_warnx("%s", cause);
			free(cause);
			break;
		}
		if (r == 0)
			break;
		e = xcalloc(1, sizeof *e);
		e->rec = p;
		e->len = len;
		b->v = xreallocarray(b->v, b->n + 1, sizeof *b->v);
		b->v[b->n++] = e;
		bytes += len;
	}
	b->next_off = off;
	if (b->n == 0) {
		/* Nothing readable left: the rest is not replayable. */
		audit_batch_free(b);
		if (spool_records(audit.spool) > 0 && r == 0) {
			if (spool_truncate(audit.spool, &cause) != 0) {
				log_warnx("%s", cause);
				free(cause);
			}
			audit.spool_off = 0;
			audit.spool_replayed = 0;
		}
		return (false);
	}
	if (!audit_send(b)) {
		audit_batch_free(b);
		return (false);
	}
	return (true);
}

/* Everything flushed at shutdown: tell the daemon. */
static void
audit_stop_check(void)
{
	void	(*cb)(void *);

	if (!audit.stopping || audit.stop_done == NULL)
		return;
	if (audit.inflight != NULL || audit.nqueued != 0)
		return;
	cb = audit.stop_done;
	audit.stop_done = NULL;
	log_info("audit: flushed");
	cb(audit.stop_arg);
}

/* Send the rules document waiting to be recorded, if any. */
static void
audit_doc_cb(void *arg, PGresult *res, const char *errmsg)
{
	char	*version = arg;

	audit.doc_inflight = false;
	if (res == NULL)
		log_warnx("could not record rules document %s: %s", version,
		    errmsg);
	else if (audit.doc_version != NULL &&
	    strcmp(audit.doc_version, version) == 0) {
		free(audit.doc_version);
		free(audit.doc_text);
		audit.doc_version = audit.doc_text = NULL;
	}
	free(version);
	audit_kick();
}

static void
audit_doc_send(void)
{
	const char	*params[2];
	char		*v;

	if (audit.doc_version == NULL || audit.doc_inflight ||
	    !pgsocket_is_connected(audit.pg))
		return;
	v = xstrdup(audit.doc_version);
	params[0] = audit.doc_version;
	params[1] = audit.doc_text;
	if (pgsocket_query(audit.pg, "INSERT INTO ruleset_documents "
	    "(version, document) VALUES ($1, $2::jsonb) "
	    "ON CONFLICT (version) DO NOTHING", 2, params, audit_doc_cb,
	    v) != 0) {
		free(v);
		return;
	}
	audit.doc_inflight = true;
}

/* One step of the writer: replay, or send (or spool) the next batch. */
static void
audit_run(evutil_socket_t fd, short what, void *arg)
{
	struct audit_batch	*b;
	struct audit_entry	*e;
	size_t			 bytes = 0;
	bool			 up;
	size_t			 max;

	(void)fd;
	(void)what;
	(void)arg;
	if (audit.inflight != NULL)
		return;
	up = pgsocket_is_connected(audit.pg);
	if (up && !audit.doc_inflight)
		audit_doc_send();
	if (up && !audit.stopping && !audit.replay_hold &&
	    spool_records(audit.spool) > 0 && audit_replay_next())
		return;
	if (audit.nqueued == 0) {
		audit_stop_check();
		return;
	}
	max = audit.batch_max > 0 ? (size_t)audit.batch_max : AUDIT_BATCH_MAX;
	b = xcalloc(1, sizeof *b);
	b->v = xcalloc(max < audit.nqueued ? max : audit.nqueued,
	    sizeof *b->v);
	while ((e = TAILQ_FIRST(&audit.queue)) != NULL && b->n < max &&
	    (b->n == 0 || bytes + e->len < AUDIT_BATCH_BYTES)) {
		TAILQ_REMOVE(&audit.queue, e, entry);
		audit.nqueued--;
		b->v[b->n++] = e;
		bytes += e->len;
	}
	if (up && audit_send(b))
		return;
	/* PostgreSQL is not there: the spool answers for it. */
	audit_spool_batch(b);
	audit_batch_free(b);
	audit_kick();
}

static void
audit_kick(void)
{
	event_active(audit.ev_kick, EV_TIMEOUT, 0);
}

/* The writer's connection came or went. */
static void
audit_state_cb(struct pgsocket *pg, bool connected, const char *msg,
    void *arg)
{
	(void)pg;
	(void)arg;
	if (connected) {
		log_info("audit: connected%s", spool_records(audit.spool) > 0 ?
		    ", replaying the spool" : "");
		audit.replay_hold = false;
		audit_kick();
	} else
		log_warnx("audit: connection lost: %s; spooling decisions",
		    msg != NULL ? msg : "unknown error");
}

/* A size from the environment, or dflt. */
static size_t
audit_env_size(const char *name, size_t dflt)
{
	const char		*s = getenv(name);
	char			*end;
	unsigned long long	 v;

	if (s == NULL || *s == '\0')
		return (dflt);
	v = strtoull(s, &end, 10);
	if (*end != '\0' || v == 0) {
		log_warnx("ignoring %s=\"%s\": not a positive integer", name, s);
		return (dflt);
	}
	return ((size_t)v);
}

/* Start the writer: its connection, its spool. */
void
audit_init(struct event_base *base, const struct eard_config *c)
{
	char	*cause = NULL;

	if (audit.init)
		return;
	audit.init = true;
	audit.base = base;
	TAILQ_INIT(&audit.queue);
	if (audit.max_pending == 0)
		audit.max_pending = audit_env_size("EARD_AUDIT_MAX_PENDING",
		    AUDIT_MAX_PENDING);
	if (audit.spool_max == 0)
		audit.spool_max = audit_env_size("EARD_SPOOL_MAX_BYTES",
		    AUDIT_SPOOL_MAX_BYTES);
	audit.batch_max = c->batch_max;
	audit.durable = c->audit_mode == NULL ||
	    strcmp(c->audit_mode, "async") != 0;
	if (!audit.durable)
		log_warnx("audit_mode = async: answers are sent before their "
		    "decisions are durable; a crash can lose recent decisions");
	audit.ev_kick = event_new(base, -1, 0, audit_run, NULL);
	audit.ev_timeout = evtimer_new(base, audit_timeout_cb, NULL);
	audit.ev_retry = evtimer_new(base, audit_retry_cb, NULL);
	if (audit.ev_kick == NULL || audit.ev_timeout == NULL ||
	    audit.ev_retry == NULL)
		fatalx("could not create audit events");

	if (c->spool_dir == NULL || *c->spool_dir == '\0')
		log_warnx("no spool_dir: decisions cannot be kept while the "
		    "database is down, checks will be refused then");
	else if ((audit.spool = spool_open(c->spool_dir, audit.spool_max,
	    &cause)) == NULL) {
		log_warnx("%s; checks will be refused while the database is "
		    "down", cause);
		free(cause);
	} else if (spool_records(audit.spool) > 0)
		log_info("spool %s holds %zu decisions to replay",
		    spool_path(audit.spool), spool_records(audit.spool));

	audit.pg = pgsocket_new(base, c->database_url, audit_state_cb, NULL,
	    NULL);
	pgsocket_connect(audit.pg);
}

/* Set the caps (0 keeps the current value). */
void
audit_set_limits(size_t max_pending, size_t spool_max_bytes)
{
	if (max_pending != 0)
		audit.max_pending = max_pending;
	if (spool_max_bytes != 0)
		audit.spool_max = spool_max_bytes;
}

/* The record of a decision: what decisions_append() takes. */
static char *
audit_record(const struct decision *d, size_t *len)
{
	struct canon_decision_fields	 f;
	json_t				*o, *v;
	char				*canon, *s;

	memset(&f, 0, sizeof f);
	f.id = d->id;
	f.at_us = d->at_us;
	f.kind = d->kind;
	f.requester = d->requester;
	f.ruleset_version = d->ruleset_version;
	f.lists_version = d->lists_version;
	f.request = d->request;
	f.response = d->response;
	canon = canon_decision(&f);

	o = json_object();
	json_object_set_new(o, "id", json_string(d->id));
	json_object_set_new(o, "at_us", json_integer(d->at_us));
	json_object_set_new(o, "kind", json_string(d->kind ? d->kind : ""));
	json_object_set_new(o, "requester", d->requester ?
	    json_string(d->requester) : json_null());
	json_object_set(o, "request", d->request ? d->request : json_null());
	json_object_set(o, "response", d->response ? d->response :
	    json_null());
	v = d->response ? json_object_get(d->response, "verdict") : NULL;
	if (!json_is_string(v) && d->response != NULL)
		v = json_object_get(d->response, "result");
	json_object_set(o, "verdict", json_is_string(v) ? v : json_null());
	json_object_set_new(o, "ruleset_version", d->ruleset_version ?
	    json_string(d->ruleset_version) : json_null());
	json_object_set_new(o, "lists_version", d->lists_version ?
	    json_string(d->lists_version) : json_null());
	json_object_set_new(o, "canonical", json_string(canon));
	free(canon);
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (s == NULL)
		fatalx("could not serialise a decision");
	*len = strlen(s);
	return (s);
}

/* Record a decision; done(arg, 0) once durable, done(arg, -1) if not. */
void
audit_submit(struct decision *d, void (*done)(void *, int), void *arg)
{
	struct audit_entry	*e;
	struct timespec		 ts;

	if (!audit.init) {
		if (&ev_base == NULL || &cfg == NULL || ev_base == NULL)
			fatalx("decision submitted before the audit writer "
			    "was started");
		audit_init(ev_base, &cfg);
	}
	if (audit.npending >= audit.max_pending || audit.stopping) {
		log_warnx("decision %s refused: %s", d->id, audit.stopping ?
		    "shutting down" : "too many decisions pending");
		if (!audit.stopping)
			limits_hit("max_pending_decisions");
		audit_defer(done, arg, -1);
		return;
	}
	if (d->at_us == 0) {
		clock_gettime(CLOCK_REALTIME, &ts);
		d->at_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	}
	e = xcalloc(1, sizeof *e);
	e->rec = audit_record(d, &e->len);
	if (audit.durable) {
		e->done = done;
		e->arg = arg;
	} else
		audit_defer(done, arg, 0);
	TAILQ_INSERT_TAIL(&audit.queue, e, entry);
	audit.nqueued++;
	audit.npending++;
	audit_kick();
}

/* Decisions accepted, not yet durable. */
size_t
audit_pending(void)
{
	return (audit.npending);
}

/* Decisions in the spool not yet replayed. */
size_t
audit_spool_depth(void)
{
	size_t	 n = spool_records(audit.spool);

	return (n > audit.spool_replayed ? n - audit.spool_replayed : 0);
}

/* Keep a rules document for replay (recorded on the writer's connection). */
void
audit_record_ruleset(const char *version, const char *document)
{
	if (version == NULL || document == NULL || *version == '\0')
		return;
	free(audit.doc_version);
	free(audit.doc_text);
	audit.doc_version = xstrdup(version);
	audit.doc_text = xstrdup(document);
	if (audit.init)
		audit_kick();
}

/* "connected", "spooling" or "replaying". */
const char *
audit_state(void)
{
	if (audit.pg == NULL || !pgsocket_is_connected(audit.pg))
		return ("spooling");
	if (spool_records(audit.spool) > 0)
		return ("replaying");
	return ("connected");
}

/* Whether answers wait for durability (audit_mode = durable). */
bool
audit_is_durable(void)
{
	return (audit.durable);
}

/* Flush what is pending (to the table or the spool), then call done. */
void
audit_shutdown(void (*done)(void *), void *arg)
{
	if (!audit.init) {
		done(arg);
		return;
	}
	audit.stopping = true;
	audit.stop_done = done;
	audit.stop_arg = arg;
	audit_kick();
}
