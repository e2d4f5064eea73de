/*
 * pgsocket.h: one asynchronous PostgreSQL connection driven by libevent.
 *
 * The connection is a state machine (pgqd's pgsocket in spirit):
 *
 *   IDLE --pgsocket_connect--> CONNECTING --PQconnectPoll OK--> READY
 *   READY --query sent--> BUSY --last PGresult--> READY
 *   CONNECTING/READY/BUSY --error or server gone--> WAIT --backoff--> CONNECTING
 *
 * Nothing blocks: connecting uses PQconnectStart/PQconnectPoll, queries
 * PQsendQueryParams + PQflush, results PQconsumeInput/PQisBusy/PQgetResult.
 *
 * Queries are queued (FIFO) and sent one at a time. Each query's callback is
 * called exactly once: with its first PGresult (the wrapper PQclears it after
 * the callback returns; do not keep it), or with res == NULL and a message
 * when the query failed, the connection dropped while it was queued or in
 * flight, or the pgsocket is freed. A result with an error status
 * (PGRES_FATAL_ERROR) is delivered as res == NULL and the server's message.
 *
 * NOTIFY messages go to the notify callback; the state callback hears of
 * every connection and disconnection (to re-LISTEN, reload, report state).
 * Reconnection is automatic, with exponential backoff from 250 ms to 4 s.
 *
 * Callbacks may call pgsocket_query() and even pgsocket_free() (the free is
 * deferred until the callback returns).
 */
#ifndef PGSOCKET_H
#define PGSOCKET_H

#include <stdbool.h>

#include <event2/event.h>
#include <libpq-fe.h>

struct pgsocket;

enum pgsocket_state {
	PGSOCKET_IDLE,		/* created, not yet asked to connect */
	PGSOCKET_CONNECTING,
	PGSOCKET_READY,		/* connected, nothing in flight */
	PGSOCKET_BUSY,		/* a query in flight */
	PGSOCKET_WAIT,		/* disconnected, waiting to retry */
};

/* Told of state changes: connected (msg NULL) or lost (msg says why). */
typedef void (*pgsocket_state_cb)(struct pgsocket *, bool connected,
    const char *msg, void *arg);
/* One per NOTIFY. */
typedef void (*pgsocket_notify_cb)(struct pgsocket *, const char *channel,
    const char *payload, void *arg);
/* One per query: res or errmsg, never both. */
typedef void (*pgsocket_result_cb)(void *arg, PGresult *res,
    const char *errmsg);

struct pgsocket	*pgsocket_new(struct event_base *, const char *conninfo,
		     pgsocket_state_cb, pgsocket_notify_cb, void *arg);
void		 pgsocket_connect(struct pgsocket *);
/* Queue a query; -1 (cb not called) when the socket is not connected. */
int		 pgsocket_query(struct pgsocket *, const char *sql, int nparams,
		     const char *const *params, pgsocket_result_cb, void *arg)
		     __attribute__((warn_unused_result));
/* Drop the connection and reconnect at once (e.g. conninfo changed). */
void		 pgsocket_reset(struct pgsocket *, const char *conninfo);
void		 pgsocket_free(struct pgsocket *);
enum pgsocket_state pgsocket_get_state(const struct pgsocket *);
const char	*pgsocket_state_name(enum pgsocket_state);
bool		 pgsocket_is_connected(const struct pgsocket *);
const char	*pgsocket_last_error(const struct pgsocket *);
size_t		 pgsocket_queued(const struct pgsocket *);

#endif /* PGSOCKET_H */
