/* pgsocket.c: one asynchronous PostgreSQL connection on libevent. */
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include "ear.h"
#include "pgsocket.h"

#define PGSOCKET_BACKOFF_MIN_MS		250
#define PGSOCKET_BACKOFF_MAX_MS		4000
#define PGSOCKET_CONNECT_TIMEOUT_S	10

struct pgsocket_query {
	TAILQ_ENTRY(pgsocket_query) entry;
	char			*sql;
	int			 nparams;
	char			**params;	/* NULL entries are SQL NULLs */
	pgsocket_result_cb	 cb;
	void			*arg;
};
TAILQ_HEAD(pgsocket_queue, pgsocket_query);

struct pgsocket {
	struct event_base	*base;
	char			*conninfo;
	PGconn			*conn;
	enum pgsocket_state	 state;
	struct event		*ev;		/* the connection's socket */
	short			 ev_what;
	struct event		*timer;		/* backoff and connect timeout */
	int			 backoff_ms;
	char			*last_error;

	pgsocket_state_cb	 state_cb;
	pgsocket_notify_cb	 notify_cb;
	void			*arg;

	struct pgsocket_queue	 queue;
	struct pgsocket_query	*current;
	PGresult		*result;	/* first result of current */

	int			 depth;		/* inside one of our callbacks */
	bool			 dying;		/* freed while depth > 0 */
};

static void	pgsocket_io_cb(evutil_socket_t, short, void *);
static void	pgsocket_timer_cb(evutil_socket_t, short, void *);
static void	pgsocket_start(struct pgsocket *);
static void	pgsocket_send_next(struct pgsocket *);
static void	pgsocket_destroy(struct pgsocket *);

/* Keep the first line of a libpq message (the rest is a hint). */
static void
pgsocket_set_error(struct pgsocket *pgs, const char *msg)
{
	size_t	 len;

	free(pgs->last_error);
	if (msg == NULL || *msg == '\0')
		msg = "connection lost";
	len = strcspn(msg, "\n");
	while (len > 0 && msg[len - 1] == ' ')
		len--;
	pgs->last_error = xstrndup(msg, len);
}

/* Server notices go to the log, not to stderr raw. */
static void
pgsocket_notice(void *arg, const char *msg)
{
	size_t	 len = strlen(msg);

	(void)arg;
	while (len > 0 && msg[len - 1] == '\n')
		len--;
	log_info("database: %.*s", (int)len, msg);
}

/* Wait for the given events on the connection's socket. */
static void
pgsocket_watch(struct pgsocket *pgs, short what)
{
	if (pgs->ev != NULL && pgs->ev_what == what &&
	    event_get_fd(pgs->ev) == PQsocket(pgs->conn))
		return;
	if (pgs->ev != NULL) {
		event_free(pgs->ev);
		pgs->ev = NULL;
	}
	pgs->ev_what = what;
	if (what == 0)
		return;
	pgs->ev = event_new(pgs->base, PQsocket(pgs->conn), what,
	    pgsocket_io_cb, pgs);
	if (pgs->ev == NULL || event_add(pgs->ev, NULL) == -1)
		fatalx("could not watch the database connection");
}

/* Free a query and its copied parameters. */
static void
pgsocket_query_free(struct pgsocket_query *q)
{
	int	 i;

	for (i = 0; i < q->nparams; i++)
		free(q->params[i]);
	free(q->params);
	free(q->sql);
	free(q);
}

/* Call a query's callback once, guarding against a free inside it. */
static void
pgsocket_deliver(struct pgsocket *pgs, struct pgsocket_query *q,
    PGresult *res, const char *errmsg)
{
	pgs->depth++;
	q->cb(q->arg, res, errmsg);
	pgs->depth--;
	if (res != NULL)
		PQclear(res);
	pgsocket_query_free(q);
}

/* Fail the query in flight and everything queued. */
static void
pgsocket_fail_all(struct pgsocket *pgs, const char *errmsg)
{
	struct pgsocket_query	*q;
	PGresult		*res;

	if ((q = pgs->current) != NULL) {
		pgs->current = NULL;
		res = pgs->result;
		pgs->result = NULL;
		if (res != NULL)
			PQclear(res);
		pgsocket_deliver(pgs, q, NULL, errmsg);
	}
	while ((q = TAILQ_FIRST(&pgs->queue)) != NULL) {
		TAILQ_REMOVE(&pgs->queue, q, entry);
		pgsocket_deliver(pgs, q, NULL, errmsg);
	}
}

/* The connection failed or went away: clean up and schedule a retry. */
static void
pgsocket_lost(struct pgsocket *pgs, const char *why)
{
	struct timeval	 tv;

	pgsocket_set_error(pgs, why);
	if (pgs->ev != NULL) {
		event_free(pgs->ev);
		pgs->ev = NULL;
	}
	pgs->ev_what = 0;
	if (pgs->conn != NULL) {
		PQfinish(pgs->conn);
		pgs->conn = NULL;
	}
	pgs->state = PGSOCKET_WAIT;
	pgsocket_fail_all(pgs, pgs->last_error);
	if (pgs->dying)
		return;

	tv.tv_sec = pgs->backoff_ms / 1000;
	tv.tv_usec = (pgs->backoff_ms % 1000) * 1000;
	evtimer_del(pgs->timer);
	evtimer_add(pgs->timer, &tv);
	if (pgs->backoff_ms < PGSOCKET_BACKOFF_MAX_MS)
		pgs->backoff_ms *= 2;
	if (pgs->backoff_ms > PGSOCKET_BACKOFF_MAX_MS)
		pgs->backoff_ms = PGSOCKET_BACKOFF_MAX_MS;

	/* Told of every failed attempt too, so readiness can say why. */
	if (pgs->state_cb != NULL) {
		pgs->depth++;
		pgs->state_cb(pgs, false, pgs->last_error, pgs->arg);
		pgs->depth--;
	}
}

/* The handshake finished: watch for input and run the queue. */
static void
pgsocket_connected(struct pgsocket *pgs)
{
	evtimer_del(pgs->timer);
	pgs->state = PGSOCKET_READY;
	pgs->backoff_ms = PGSOCKET_BACKOFF_MIN_MS;
	free(pgs->last_error);
	pgs->last_error = NULL;
	pgsocket_watch(pgs, EV_READ | EV_PERSIST);
	if (pgs->state_cb != NULL) {
		pgs->depth++;
		pgs->state_cb(pgs, true, NULL, pgs->arg);
		pgs->depth--;
		if (pgs->dying)
			return;
	}
	pgsocket_send_next(pgs);
}

/* Advance the connection handshake by one PQconnectPoll step. */
static void
pgsocket_poll_connect(struct pgsocket *pgs)
{
	switch (PQconnectPoll(pgs->conn)) {
	case PGRES_POLLING_READING:
		pgsocket_watch(pgs, EV_READ);
		break;
	case PGRES_POLLING_WRITING:
		pgsocket_watch(pgs, EV_WRITE);
		break;
	case PGRES_POLLING_OK:
		pgsocket_connected(pgs);
		break;
	default:
		pgsocket_lost(pgs, PQerrorMessage(pgs->conn));
		break;
	}
}

/* Begin connecting (from IDLE or WAIT). */
static void
pgsocket_start(struct pgsocket *pgs)
{
	struct timeval	 tv = { PGSOCKET_CONNECT_TIMEOUT_S, 0 };

	pgs->state = PGSOCKET_CONNECTING;
	pgs->conn = PQconnectStart(pgs->conninfo);
	if (pgs->conn == NULL) {
		pgsocket_lost(pgs, "out of memory");
		return;
	}
	if (PQstatus(pgs->conn) == CONNECTION_BAD) {
		pgsocket_lost(pgs, PQerrorMessage(pgs->conn));
		return;
	}
	PQsetNoticeProcessor(pgs->conn, pgsocket_notice, pgs);
	if (PQsetnonblocking(pgs->conn, 1) == -1) {
		pgsocket_lost(pgs, PQerrorMessage(pgs->conn));
		return;
	}
	evtimer_del(pgs->timer);
	evtimer_add(pgs->timer, &tv);
	/* libpq's documented first step: act as if polling said "writing". */
	pgsocket_watch(pgs, EV_WRITE);
}

/* Send the next queued query if the connection is free. */
static void
pgsocket_send_next(struct pgsocket *pgs)
{
	struct pgsocket_query	*q;
	int			 r;

	if (pgs->state != PGSOCKET_READY || pgs->current != NULL || pgs->dying)
		return;
	if ((q = TAILQ_FIRST(&pgs->queue)) == NULL)
		return;
	TAILQ_REMOVE(&pgs->queue, q, entry);
	pgs->current = q;
	pgs->state = PGSOCKET_BUSY;
	if (!PQsendQueryParams(pgs->conn, q->sql, q->nparams, NULL,
	    (const char *const *)q->params, NULL, NULL, 0)) {
		pgsocket_lost(pgs, PQerrorMessage(pgs->conn));
		return;
	}
	r = PQflush(pgs->conn);
	if (r == -1) {
		pgsocket_lost(pgs, PQerrorMessage(pgs->conn));
		return;
	}
	pgsocket_watch(pgs, r == 1 ? EV_READ | EV_WRITE | EV_PERSIST :
	    EV_READ | EV_PERSIST);
}

/* Hand NOTIFYs to the notify callback. */
static void
pgsocket_notifies(struct pgsocket *pgs)
{
	PGnotify	*n;

	while (!pgs->dying && pgs->conn != NULL &&
	    (n = PQnotifies(pgs->conn)) != NULL) {
		if (pgs->notify_cb != NULL) {
			pgs->depth++;
			pgs->notify_cb(pgs, n->relname, n->extra, pgs->arg);
			pgs->depth--;
		}
		PQfreemem(n);
	}
}

/* Collect results of the query in flight; deliver when the last is in. */
static void
pgsocket_collect(struct pgsocket *pgs)
{
	struct pgsocket_query	*q;
	PGresult		*res;
	ExecStatusType		 st;
	char			*msg;

	while (!pgs->dying && pgs->state == PGSOCKET_BUSY &&
	    !PQisBusy(pgs->conn)) {
		res = PQgetResult(pgs->conn);
		if (res != NULL) {
			if (pgs->result == NULL)
				pgs->result = res;
			else
				PQclear(res);
			continue;
		}
		/* NULL: the query is complete. */
		q = pgs->current;
		res = pgs->result;
		pgs->current = NULL;
		pgs->result = NULL;
		pgs->state = PGSOCKET_READY;
		st = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;
		if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ||
		    st == PGRES_EMPTY_QUERY)
			pgsocket_deliver(pgs, q, res, NULL);
		else {
			msg = xstrdup(res != NULL ?
			    PQresultErrorMessage(res) : "no result");
			msg[strcspn(msg, "\n")] = '\0';
			if (res != NULL)
				PQclear(res);
			pgsocket_deliver(pgs, q, NULL, msg);
			free(msg);
		}
		pgsocket_send_next(pgs);
	}
}

/* The connection's socket is readable or writable. */
static void
pgsocket_io_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pgsocket	*pgs = arg;
	int		 r;

	(void)fd;
	pgs->depth++;
	if (pgs->state == PGSOCKET_CONNECTING) {
		pgsocket_poll_connect(pgs);
		goto out;
	}
	if (pgs->conn == NULL)
		goto out;
	if ((what & EV_WRITE) && pgs->state == PGSOCKET_BUSY) {
		r = PQflush(pgs->conn);
		if (r == -1) {
			pgsocket_lost(pgs, PQerrorMessage(pgs->conn));
			goto out;
		}
		if (r == 0)
			pgsocket_watch(pgs, EV_READ | EV_PERSIST);
	}
	if (what & EV_READ) {
		if (!PQconsumeInput(pgs->conn) ||
		    PQstatus(pgs->conn) == CONNECTION_BAD) {
			pgsocket_lost(pgs, PQerrorMessage(pgs->conn));
			goto out;
		}
		pgsocket_notifies(pgs);
		if (!pgs->dying)
			pgsocket_collect(pgs);
	}
out:
	pgs->depth--;
	if (pgs->dying && pgs->depth == 0)
		pgsocket_destroy(pgs);
}

/* Backoff over (retry) or the handshake took too long (give up on it). */
static void
pgsocket_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pgsocket	*pgs = arg;

	(void)fd;
	(void)what;
	pgs->depth++;
	if (pgs->state == PGSOCKET_WAIT)
		pgsocket_start(pgs);
	else if (pgs->state == PGSOCKET_CONNECTING)
		pgsocket_lost(pgs, "timeout expired while connecting");
	pgs->depth--;
	if (pgs->dying && pgs->depth == 0)
		pgsocket_destroy(pgs);
}

/* Create a connection object; nothing happens until pgsocket_connect(). */
struct pgsocket *
pgsocket_new(struct event_base *base, const char *conninfo,
    pgsocket_state_cb state_cb, pgsocket_notify_cb notify_cb, void *arg)
{
	struct pgsocket	*pgs;

	pgs = xcalloc(1, sizeof *pgs);
	pgs->base = base;
	pgs->conninfo = xstrdup(conninfo != NULL ? conninfo : "");
	pgs->state = PGSOCKET_IDLE;
	pgs->backoff_ms = PGSOCKET_BACKOFF_MIN_MS;
	pgs->state_cb = state_cb;
	pgs->notify_cb = notify_cb;
	pgs->arg = arg;
	TAILQ_INIT(&pgs->queue);
	pgs->timer = evtimer_new(base, pgsocket_timer_cb, pgs);
	if (pgs->timer == NULL)
		fatalx("could not create a timer");
	return pgs;
}

/* Start connecting; retries forever with backoff until freed. */
void
pgsocket_connect(struct pgsocket *pgs)
{
	if (pgs->state != PGSOCKET_IDLE)
		return;
	pgs->depth++;
	pgsocket_start(pgs);
	pgs->depth--;
	if (pgs->dying && pgs->depth == 0)
		pgsocket_destroy(pgs);
}

/* Queue one statement with text parameters (copied). */
int
pgsocket_query(struct pgsocket *pgs, const char *sql, int nparams,
    const char *const *params, pgsocket_result_cb cb, void *arg)
{
	struct pgsocket_query	*q;
	int			 i;

	if (pgs->dying || (pgs->state != PGSOCKET_READY &&
	    pgs->state != PGSOCKET_BUSY))
		return -1;
	q = xcalloc(1, sizeof *q);
	q->sql = xstrdup(sql);
	q->nparams = nparams;
	if (nparams > 0) {
		q->params = xcalloc(nparams, sizeof *q->params);
		for (i = 0; i < nparams; i++)
			q->params[i] = params[i] != NULL ?
			    xstrdup(params[i]) : NULL;
	}
	q->cb = cb;
	q->arg = arg;
	TAILQ_INSERT_TAIL(&pgs->queue, q, entry);
	if (pgs->depth == 0) {
		pgs->depth++;
		pgsocket_send_next(pgs);
		pgs->depth--;
		if (pgs->dying && pgs->depth == 0)
			pgsocket_destroy(pgs);
	} else
		pgsocket_send_next(pgs);
	return 0;
}

/* Drop the connection (failing its queries) and connect again now. */
void
pgsocket_reset(struct pgsocket *pgs, const char *conninfo)
{
	if (conninfo != NULL) {
		free(pgs->conninfo);
		pgs->conninfo = xstrdup(conninfo);
	}
	pgs->depth++;
	if (pgs->state != PGSOCKET_IDLE && pgs->state != PGSOCKET_WAIT)
		pgsocket_lost(pgs, "connection reset");
	if (!pgs->dying) {
		evtimer_del(pgs->timer);
		pgs->backoff_ms = PGSOCKET_BACKOFF_MIN_MS;
		pgsocket_start(pgs);
	}
	pgs->depth--;
	if (pgs->dying && pgs->depth == 0)
		pgsocket_destroy(pgs);
}

/* Release everything; only when no callback of ours is running. */
static void
pgsocket_destroy(struct pgsocket *pgs)
{
	if (pgs->ev != NULL)
		event_free(pgs->ev);
	if (pgs->timer != NULL)
		event_free(pgs->timer);
	if (pgs->result != NULL)
		PQclear(pgs->result);
	if (pgs->conn != NULL)
		PQfinish(pgs->conn);
	free(pgs->conninfo);
	free(pgs->last_error);
	free(pgs);
}

/* Close the connection; pending callbacks get an error first. */
void
pgsocket_free(struct pgsocket *pgs)
{
	if (pgs == NULL || pgs->dying)
		return;
	pgs->dying = true;
	pgs->depth++;
	pgsocket_fail_all(pgs, "connection closed");
	pgs->depth--;
	if (pgs->depth == 0)
		pgsocket_destroy(pgs);
}

/* The current state. */
enum pgsocket_state
pgsocket_get_state(const struct pgsocket *pgs)
{
	return pgs->state;
}

/* A state's name for logs and /readyz. */
const char *
pgsocket_state_name(enum pgsocket_state st)
{
	switch (st) {
	case PGSOCKET_IDLE:
		return "idle";
	case PGSOCKET_CONNECTING:
		return "connecting";
	case PGSOCKET_READY:
		return "ready";
	case PGSOCKET_BUSY:
		return "busy";
	case PGSOCKET_WAIT:
		return "disconnected";
	}
	return "unknown";
}

/* Ready or busy: queries may be queued. */
bool
pgsocket_is_connected(const struct pgsocket *pgs)
{
	return pgs->state == PGSOCKET_READY || pgs->state == PGSOCKET_BUSY;
}

/* Why the last attempt or connection failed, or NULL. */
const char *
pgsocket_last_error(const struct pgsocket *pgs)
{
	return pgs->last_error;
}

/* Queries queued or in flight. */
size_t
pgsocket_queued(const struct pgsocket *pgs)
{
	struct pgsocket_query	*q;
	size_t			 n = 0;

	TAILQ_FOREACH(q, &pgs->queue, entry)
		n++;
	return n + (pgs->current != NULL ? 1 : 0);
}
