/*
 * audit.c: the decision log writer. Every answer eard gives is recorded
 * before it is sent (issue #7):
 *
 * - audit_submit() turns a decision into one record (a JSON object with its
 *   canonical form, core/canon.c) and queues it; nothing is kept by
 *   reference, so the caller may free its decision at once.
 * - Group commit: one batch is in flight at a time, on the writer's own
 *   connection (as role eard, on database_url). Decisions submitted while a
 *   batch commits queue up and go together in the next one. The writer
 *   chains the hashes itself, SHA-256(prev_hash || canonical), onto the
 *   chain heads it last saw, and sends the batch in chain order as
 *	SELECT ... FROM decisions_append_hashed(canons, hashes, times, ids)
 *   one statement, one transaction (schema/080_decisions_fast.sql): the
 *   function re-checks every hash under the log's advisory lock and inserts
 *   only if they all chain onto the current heads. If another eard moved a
 *   head meanwhile it answers 'moved' with the current heads and the writer
 *   recomputes and sends again (optimistic concurrency). Each done() is
 *   called once that COMMIT has returned.
 * - When PostgreSQL is down, the commit fails, or it hangs past
 *   AUDIT_COMMIT_TIMEOUT, the batch goes to the spool (daemon/spool.c) and
 *   done(0) follows its fsync; if the spool cannot take it, done(-1): the
 *   caller answers 503 rather than an unrecorded verdict. A batch whose
 *   COMMIT outcome is unknown (connection lost in flight) is spooled too:
 *   a replay first asks which of its decisions are already there and drops
 *   them, and the function refuses ('duplicate') a replay that would
 *   record one twice. After any failure the heads are read again.
 * - On every (re)connection, and at start, the spool is replayed first, in
 *   batches, then truncated. A spool record is a JSON object with the
 *   decision's "id", "at_us" and "canonical" form, which holds every field
 *   of the row; records spooled by earlier versions (all the fields, for
 *   decisions_append(jsonb)) have the same three and replay the same way.
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
#include <openssl/evp.h>

#include "eard.h"
#include "pgsocket.h"

#define AUDIT_MAX_PENDING	50000
#define AUDIT_SPOOL_MAX_BYTES	((size_t)1024 * 1024 * 1024)
#define AUDIT_BATCH_MAX		5000
/*
 * A batch's canonical forms: at a few hundred microseconds a decision on a
 * busy server, 4 MiB (about 1,000 to 2,000 decisions) commits in well under
 * AUDIT_COMMIT_TIMEOUT; larger batches amortise nothing more.
 */
#define AUDIT_BATCH_BYTES	((size_t)4 * 1024 * 1024)
#define AUDIT_COMMIT_TIMEOUT	5	/* seconds */
#define AUDIT_REPLAY_RETRY	2	/* seconds */
#define AUDIT_MAX_TRIES		5	/* 'moved' or 'duplicate' in a row */

#define AUDIT_APPEND_SQL \
	"SELECT status, chain, head_seq, encode(head_hash, 'hex') " \
	"FROM decisions_append_hashed($1, $2, $3::bigint[], $4::text[])"
#define AUDIT_HEADS_SQL \
	"SELECT chain, head_seq, encode(head_hash, 'hex') " \
	"FROM decision_chains ORDER BY chain"
#define AUDIT_PRESENT_SQL \
	"SELECT u.o FROM unnest($1::text[], $2::bigint[]) WITH ORDINALITY " \
	"AS u (i, a, o) WHERE EXISTS (SELECT 1 FROM decisions x " \
	"WHERE x.id = u.i AND x.decided_at = timestamptz 'epoch' + " \
	"u.a * interval '1 microsecond')"

struct audit_entry {
	TAILQ_ENTRY(audit_entry) entry;
	char		*canon;		/* the canonical form, hashed */
	size_t		 len;
	char		*id;
	int64_t		 at_us;
	bool		 skip;		/* replay: recorded already */
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
	bool			  checked;	/* replay: skip marks are set */
	int			  tries;	/* sends refused in a row */
	struct timespec		  sent;		/* when it was first sent */
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
	struct audit_head	*heads;		/* as last seen, by chain */
	size_t			 nheads;
	bool			 heads_known;
	EVP_MD_CTX		*md;
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
static bool	audit_step(struct audit_batch *);

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
	free(e->canon);
	free(e->id);
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

/* The chain (UTC month, "YYYY-MM") a decision made at at_us belongs to. */
void
audit_chain_name(int64_t at_us, char out[static 8])
{
	time_t		 t;
	struct tm	 tm;

	t = (time_t)(at_us / 1000000 - (at_us % 1000000 < 0 ? 1 : 0));
	if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 > 9999 ||
	    tm.tm_year + 1900 < 0)
		fatalx("decision time out of range: %lld", (long long)at_us);
	snprintf(out, 8, "%04u-%02u", (unsigned)(tm.tm_year + 1900) % 10000u,
	    (unsigned)(tm.tm_mon + 1) % 100u);
}

/* SHA-256 of prev (32 bytes) followed by text, into out. */
static void
audit_sha256(const unsigned char prev[32], const char *text, size_t len,
    unsigned char out[32])
{
	unsigned int	 n = 0;

	if (audit.md == NULL && (audit.md = EVP_MD_CTX_new()) == NULL)
		fatalx("out of memory");
	if (!EVP_DigestInit_ex(audit.md, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(audit.md, prev, 32) ||
	    !EVP_DigestUpdate(audit.md, text, len) ||
	    !EVP_DigestFinal_ex(audit.md, out, &n) || n != 32)
		fatalx("could not compute SHA-256");
}

/* The head of chain c in heads, or NULL. */
static struct audit_head *
audit_head_find(struct audit_head *heads, size_t n, const char *c)
{
	size_t	 lo = 0, hi = n, mid;
	int	 r;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		r = strcmp(heads[mid].chain, c);
		if (r == 0)
			return (&heads[mid]);
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (NULL);
}

/*
 * Open chain c in heads: it starts from the head of the latest chain before
 * it (32 zero bytes for the very first), as decisions_append_hashed() opens
 * it. Returns the new head.
 */
static struct audit_head *
audit_head_open(struct audit_head **heads, size_t *n, const char *c)
{
	struct audit_head	*h;
	size_t			 i;

	for (i = 0; i < *n && strcmp((*heads)[i].chain, c) < 0; i++)
		continue;
	*heads = xreallocarray(*heads, *n + 1, sizeof **heads);
	memmove(*heads + i + 1, *heads + i, (*n - i) * sizeof **heads);
	(*n)++;
	h = *heads + i;
	memset(h, 0, sizeof *h);
	snprintf(h->chain, sizeof h->chain, "%s", c);
	if (i > 0)
		memcpy(h->hash, (*heads)[i - 1].hash, 32);
	h->seq = 0;
	return (h);
}

/* Chain n canonical forms onto heads (see eard.h). */
void
audit_chain_hashes(struct audit_head **heads, size_t *nheads,
    const char *const *canon, const size_t *len, const int64_t *at_us,
    size_t n, unsigned char (*out)[32])
{
	struct audit_head	*h = NULL;
	char			 c[8];
	size_t			 i;

	for (i = 0; i < n; i++) {
		audit_chain_name(at_us[i], c);
		if (h == NULL || strcmp(h->chain, c) != 0) {
			h = audit_head_find(*heads, *nheads, c);
			if (h == NULL)
				h = audit_head_open(heads, nheads, c);
		}
		audit_sha256(h->hash, canon[i], len[i], out[i]);
		memcpy(h->hash, out[i], 32);
		h->seq++;
	}
}

/* Decode 64 hex digits; -1 if malformed. */
static int
audit_unhex(const char *s, unsigned char out[32])
{
	size_t	 i;
	int	 hi, lo;

	if (strlen(s) != 64)
		return (-1);
	for (i = 0; i < 32; i++) {
		hi = s[2 * i];
		lo = s[2 * i + 1];
		hi = hi >= '0' && hi <= '9' ? hi - '0' : hi >= 'a' && hi <= 'f' ?
		    hi - 'a' + 10 : -1;
		lo = lo >= '0' && lo <= '9' ? lo - '0' : lo >= 'a' && lo <= 'f' ?
		    lo - 'a' + 10 : -1;
		if (hi < 0 || lo < 0)
			return (-1);
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return (0);
}

/*
 * Replace the heads by rows (chain, seq, hex hash) of res from column col;
 * rows with a NULL chain are skipped. -1 if a row is malformed.
 */
static int
audit_heads_load(PGresult *res, int col)
{
	struct audit_head	*v;
	size_t			 n = 0;
	int			 i;

	v = xcalloc((size_t)PQntuples(res) + 1, sizeof *v);
	for (i = 0; i < PQntuples(res); i++) {
		if (PQgetisnull(res, i, col))
			continue;
		snprintf(v[n].chain, sizeof v[n].chain, "%s",
		    PQgetvalue(res, i, col));
		v[n].seq = strtoll(PQgetvalue(res, i, col + 1), NULL, 10);
		if (audit_unhex(PQgetvalue(res, i, col + 2), v[n].hash) != 0) {
			free(v);
			return (-1);
		}
		n++;
	}
	/* decision_chains is read ORDER BY chain: keep the order sure. */
	for (i = 1; i < (int)n; i++) {
		if (strcmp(v[i - 1].chain, v[i].chain) >= 0) {
			free(v);
			return (-1);
		}
	}
	free(audit.heads);
	audit.heads = v;
	audit.nheads = n;
	audit.heads_known = true;
	return (0);
}

/* Order of a batch: time, then id (the chain order). */
static int
audit_entry_cmp(const void *a, const void *b)
{
	const struct audit_entry	*x = *(struct audit_entry *const *)a;
	const struct audit_entry	*y = *(struct audit_entry *const *)b;

	if (x->at_us != y->at_us)
		return (x->at_us < y->at_us ? -1 : 1);
	return (strcmp(x->id, y->id));
}

/* Put a batch in chain order; in a replay, the same decision twice once. */
static void
audit_batch_sort(struct audit_batch *b)
{
	size_t	 i;

	qsort(b->v, b->n, sizeof *b->v, audit_entry_cmp);
	if (!b->replay)
		return;
	for (i = 1; i < b->n; i++) {
		if (audit_entry_cmp(&b->v[i - 1], &b->v[i]) == 0)
			b->v[i]->skip = true;
	}
}

/*
 * The spool record of an entry: its id, time and canonical form, all the
 * replay needs (the canonical form holds every field of the row).
 */
static char *
audit_spool_record(const struct audit_entry *e, size_t *len)
{
	json_t	*o;
	char	*s;

	o = json_pack("{s:s, s:I, s:s%}", "id", e->id, "at_us",
	    (json_int_t)e->at_us, "canonical", e->canon, e->len);
	if (o == NULL || (s = json_dumps(o, JSON_COMPACT)) == NULL)
		fatalx("could not serialise a decision");
	json_decref(o);
	*len = strlen(s);
	return (s);
}

/* Write a batch to the spool and answer it: 0 after fsync, else -1. */
static void
audit_spool_batch(struct audit_batch *b)
{
	char		**recs;
	size_t		 *lens, i;
	char		 *cause = NULL;
	int		  ok = -1;

	if (audit.spool == NULL)
		log_warnx("decisions not recorded: no spool (spool_dir)");
	else {
		recs = xcalloc(b->n, sizeof *recs);
		lens = xcalloc(b->n, sizeof *lens);
		for (i = 0; i < b->n; i++)
			recs[i] = audit_spool_record(b->v[i], &lens[i]);
		if (spool_append(audit.spool, (const char *const *)recs, lens,
		    b->n, &cause) == 0)
			ok = 0;
		else {
			log_warnx("%zu decisions not recorded: %s", b->n, cause);
			free(cause);
			limits_hit("spool_max_bytes");
		}
		for (i = 0; i < b->n; i++)
			free(recs[i]);
		free(recs);
		free(lens);
	}
	if (ok == 0)
		log_debug("spooled %zu decisions (%zu in spool)", b->n,
		    spool_records(audit.spool));
	audit.npending -= b->n;
	audit_batch_complete(b, ok);
}

/* The batch in flight is over: committed (ok) or not. */
static void
audit_batch_done(struct audit_batch *b, bool ok, const char *errmsg)
{
	struct timeval	 tv = { 0, 0 };
	char		*cause = NULL;

	evtimer_del(audit.ev_timeout);
	audit.inflight = NULL;
	if (!ok)
		audit.heads_known = false;	/* outcome unknown: re-read */
	else if (log_get_level() >= LOG_LVL_DEBUG) {
		struct timespec	 now;

		clock_gettime(CLOCK_MONOTONIC, &now);
		log_debug("committed %zu decisions%s in %.3f ms (%d retries)",
		    b->n, b->replay ? " (replay)" : "",
		    (double)(now.tv_sec - b->sent.tv_sec) * 1e3 +
		    (double)(now.tv_nsec - b->sent.tv_nsec) / 1e6, b->tries);
	}
	if (b->replay) {
		if (!ok) {
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
	if (!ok) {
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

/* Take the next step of a batch, or end it if it cannot be sent. */
static void
audit_continue(struct audit_batch *b)
{
	if (!audit_step(b))
		audit_batch_done(b, false, pgsocket_is_connected(audit.pg) ?
		    "could not send the decisions" : "connection lost");
}

/* The result of decisions_append_hashed(). */
static void
audit_append_cb(void *arg, PGresult *res, const char *errmsg)
{
	struct audit_batch	*b = arg;
	const char		*st;
	int			 i;

	if (b->abandoned) {
		/* Spooled already when it timed out; the replay dedupes. */
		audit_batch_free(b);
		return;
	}
	if (res == NULL) {
		audit_batch_done(b, false, errmsg);
		return;
	}
	st = PQntuples(res) > 0 ? PQgetvalue(res, 0, 0) : "ok";
	if (strcmp(st, "ok") == 0) {
		for (i = 0; i < PQntuples(res); i++) {
			if (audit_head_find(audit.heads, audit.nheads,
			    PQgetvalue(res, i, 1)) == NULL)
				(void)audit_head_open(&audit.heads,
				    &audit.nheads, PQgetvalue(res, i, 1));
		}
		for (i = 0; i < PQntuples(res); i++) {
			struct audit_head *h = audit_head_find(audit.heads,
			    audit.nheads, PQgetvalue(res, i, 1));

			h->seq = strtoll(PQgetvalue(res, i, 2), NULL, 10);
			if (audit_unhex(PQgetvalue(res, i, 3), h->hash) != 0)
				audit.heads_known = false;
		}
		b->tries = 0;
		audit_batch_done(b, true, NULL);
		return;
	}
	if (++b->tries > AUDIT_MAX_TRIES) {
		audit_batch_done(b, false, "the decision log's chain heads "
		    "kept moving, or the batch's hashes are wrong");
		return;
	}
	if (strcmp(st, "duplicate") == 0) {
		log_debug("spool replay: decisions already recorded, "
		    "checking again");
		b->checked = false;
	} else if (strcmp(st, "moved") == 0) {
		log_debug("decision chain moved (another writer), "
		    "chaining again");
		if (audit_heads_load(res, 1) != 0)
			audit.heads_known = false;
	} else {
		audit_batch_done(b, false, "unexpected answer from "
		    "decisions_append_hashed()");
		return;
	}
	audit_continue(b);
}

/* The chain heads, read before a batch is chained. */
static void
audit_heads_cb(void *arg, PGresult *res, const char *errmsg)
{
	struct audit_batch	*b = arg;

	if (b->abandoned) {
		audit_batch_free(b);
		return;
	}
	if (res == NULL) {
		audit_batch_done(b, false, errmsg);
		return;
	}
	if (audit_heads_load(res, 0) != 0) {
		audit_batch_done(b, false, "malformed decision chain heads");
		return;
	}
	audit_continue(b);
}

/* Which decisions of a replayed batch are recorded already. */
static void
audit_present_cb(void *arg, PGresult *res, const char *errmsg)
{
	struct audit_batch	*b = arg;
	size_t			 i, k, o, live = 0;
	int			 r;

	if (b->abandoned) {
		audit_batch_free(b);
		return;
	}
	if (res == NULL) {
		audit_batch_done(b, false, errmsg);
		return;
	}
	/* Ordinals count the entries not skipped, in batch order. */
	for (r = 0; r < PQntuples(res); r++) {
		o = strtoull(PQgetvalue(res, r, 0), NULL, 10);
		for (i = k = 0; i < b->n; i++) {
			if (b->v[i]->skip)
				continue;
			if (++k == o) {
				b->v[i]->skip = true;
				break;
			}
		}
	}
	if (PQntuples(res) > 0)
		log_info("spool replay: %d decisions already recorded, skipped",
		    PQntuples(res));
	b->checked = true;
	for (i = 0; i < b->n; i++)
		live += !b->v[i]->skip;
	if (live == 0) {
		audit_batch_done(b, true, NULL);
		return;
	}
	audit_continue(b);
}

/* A PostgreSQL array literal of the ids of the entries not skipped. */
static char *
audit_ids_param(struct audit_batch *b)
{
	char		*p, *q;
	const char	*s;
	size_t		 len = 3, i;

	for (i = 0; i < b->n; i++)
		len += 2 * strlen(b->v[i]->id) + 3;
	p = q = xmalloc(len);
	*q++ = '{';
	for (i = 0; i < b->n; i++) {
		if (b->v[i]->skip)
			continue;
		if (q[-1] != '{')
			*q++ = ',';
		*q++ = '"';
		for (s = b->v[i]->id; *s != '\0'; s++) {
			if (*s == '"' || *s == '\\')
				*q++ = '\\';
			*q++ = *s;
		}
		*q++ = '"';
	}
	*q++ = '}';
	*q = '\0';
	return (p);
}

/* A PostgreSQL array literal of the times of the entries not skipped. */
static char *
audit_times_param(struct audit_batch *b)
{
	char	*p;
	size_t	 off = 0, i;

	p = xmalloc(b->n * 22 + 3);
	p[off++] = '{';
	for (i = 0; i < b->n; i++) {
		if (b->v[i]->skip)
			continue;
		off += (size_t)snprintf(p + off, 23, "%s%lld",
		    p[off - 1] == '{' ? "" : ",", (long long)b->v[i]->at_us);
	}
	p[off++] = '}';
	p[off] = '\0';
	return (p);
}

/* Send a replayed batch's ids: which are recorded already? */
static bool
audit_send_present(struct audit_batch *b)
{
	const char	*params[2];
	char		*ids, *times;
	size_t		 i;
	int		 r;

	for (i = 0; i < b->n; i++) {
		/* Skip marks other than in-batch duplicates are re-derived. */
		if (i == 0 || audit_entry_cmp(&b->v[i - 1], &b->v[i]) != 0)
			b->v[i]->skip = false;
	}
	ids = audit_ids_param(b);
	times = audit_times_param(b);
	params[0] = ids;
	params[1] = times;
	r = pgsocket_query(audit.pg, AUDIT_PRESENT_SQL, 2, params,
	    audit_present_cb, b);
	free(ids);
	free(times);
	return (r == 0);
}

/* Chain the batch onto the heads and send it. */
static bool
audit_send_append(struct audit_batch *b)
{
	struct audit_head	*heads;
	size_t			 nheads = audit.nheads, n = 0, len = 1, i, off;
	const char		**canon;
	size_t			*lens;
	int64_t			*at;
	unsigned char		(*h)[32];
	const char		*params[4];
	char			*canons, *hex, *times, *ids = NULL;
	static const char	 xd[] = "0123456789abcdef";
	int			 r;

	canon = xcalloc(b->n, sizeof *canon);
	lens = xcalloc(b->n, sizeof *lens);
	at = xcalloc(b->n, sizeof *at);
	for (i = 0; i < b->n; i++) {
		if (b->v[i]->skip)
			continue;
		canon[n] = b->v[i]->canon;
		lens[n] = b->v[i]->len;
		at[n] = b->v[i]->at_us;
		len += lens[n] + 1;
		n++;
	}
	h = xcalloc(n, sizeof *h);
	heads = xcalloc(nheads + 1, sizeof *heads);
	if (nheads > 0)
		memcpy(heads, audit.heads, nheads * sizeof *heads);
	audit_chain_hashes(&heads, &nheads, canon, lens, at, n, h);
	free(heads);

	/* Canonical forms have no raw newline (core/canon.c escapes it). */
	canons = xmalloc(len);
	hex = xmalloc(64 * n + 1);
	for (i = off = 0; i < n; i++) {
		if (i > 0)
			canons[off++] = '\n';
		memcpy(canons + off, canon[i], lens[i]);
		off += lens[i];
	}
	canons[off] = '\0';
	for (i = 0; i < 32 * n; i++) {
		hex[2 * i] = xd[h[i / 32][i % 32] >> 4];
		hex[2 * i + 1] = xd[h[i / 32][i % 32] & 15];
	}
	hex[64 * n] = '\0';
	times = audit_times_param(b);
	if (b->replay)
		ids = audit_ids_param(b);
	params[0] = canons;
	params[1] = hex;
	params[2] = times;
	params[3] = ids;
	r = pgsocket_query(audit.pg, AUDIT_APPEND_SQL, 4, params,
	    audit_append_cb, b);
	free(canons);
	free(hex);
	free(times);
	free(ids);
	free(h);
	free(canon);
	free(lens);
	free(at);
	return (r == 0);
}

/* Send the next query of a batch; false if it could not be sent. */
static bool
audit_step(struct audit_batch *b)
{
	if (b->replay && !b->checked)
		return (audit_send_present(b));
	if (!audit.heads_known)
		return (pgsocket_query(audit.pg, AUDIT_HEADS_SQL, 0, NULL,
		    audit_heads_cb, b) == 0);
	return (audit_send_append(b));
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
	audit.heads_known = false;
	b->abandoned = true;
	if (!b->replay)
		audit_spool_batch(b);
	pgsocket_reset(audit.pg, NULL);		/* calls the batch's callback */
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
	struct timeval	 tv = { 0, 0 };

	audit_batch_sort(b);
	clock_gettime(CLOCK_MONOTONIC, &b->sent);
	audit.inflight = b;
	if (!audit_step(b)) {
		audit.inflight = NULL;
		return (false);
	}
	tv.tv_sec = AUDIT_COMMIT_TIMEOUT;
	evtimer_add(audit.ev_timeout, &tv);
	return (true);
}

/* An entry from a spool record; NULL (and a warning) if unusable. */
static struct audit_entry *
audit_replay_entry(const char *rec, size_t len)
{
	struct audit_entry	*e;
	json_t			*o, *c, *id, *at;
	json_error_t		 err;

	if ((o = json_loadb(rec, len, 0, &err)) == NULL) {
		log_warnx("spool record unreadable, not replayed: %s",
		    err.text);
		return (NULL);
	}
	c = json_object_get(o, "canonical");
	id = json_object_get(o, "id");
	at = json_object_get(o, "at_us");
	if (!json_is_string(c) || !json_is_string(id) ||
	    !json_is_integer(at) || json_string_length(c) == 0 ||
	    memchr(json_string_value(c), '\n', json_string_length(c)) !=
	    NULL) {
		log_warnx("spool record without a usable canonical form, "
		    "not replayed");
		json_decref(o);
		return (NULL);
	}
	e = xcalloc(1, sizeof *e);
	e->len = json_string_length(c);
	e->canon = xmalloc(e->len + 1);
	memcpy(e->canon, json_string_value(c), e->len + 1);
	e->id = xstrdup(json_string_value(id));
	e->at_us = json_integer_value(at);
	json_decref(o);
	return (e);
}

/* Start replaying the next batch of the spool; false if nothing to do. */
static bool
audit_replay_next(void)
{
	struct audit_batch	*b;
	struct audit_entry	*e;
	off_t			 off = audit.spool_off;
	size_t			 bytes = 0, len, nrec = 0;
	char			*p, *cause = NULL;
	int			 r = 0;

	b = xcalloc(1, sizeof *b);
	b->replay = true;
	while (nrec < AUDIT_BATCH_MAX && bytes < AUDIT_BATCH_BYTES) {
		r = spool_next(audit.spool, &off, &p, &len, &cause);
		if (r == -1) {
			log_warnx("%s", cause);
			free(cause);
			break;
		}
		if (r == 0)
			break;
		nrec++;
		bytes += len;
		e = audit_replay_entry(p, len);
		free(p);
		if (e == NULL)
			continue;
		b->v = xreallocarray(b->v, b->n + 1, sizeof *b->v);
		b->v[b->n++] = e;
	}
	b->next_off = off;
	if (b->n == 0 && nrec > 0) {
		/* Only unusable records: step over them. */
		audit_batch_free(b);
		audit.spool_off = off;
		audit.spool_replayed += nrec;
		audit_kick();
		return (true);
	}
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

/* The canonical form of a decision: the bytes its hash covers. */
static char *
audit_canonical(const struct decision *d, size_t *len)
{
	struct canon_decision_fields	 f;
	char				*canon;

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
	*len = strlen(canon);
	return (canon);
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
	e->canon = audit_canonical(d, &e->len);
	e->id = xstrdup(d->id);
	e->at_us = d->at_us;
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
