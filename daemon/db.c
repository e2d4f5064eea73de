/*
 * db.c: the daemon's read session on PostgreSQL: rule loads, registry
 * lookups and LISTEN. One pgsocket, reconnected with backoff; after every
 * (re)connection the channels are LISTENed again and the rules reloaded.
 *
 * With a read_database_url that differs from database_url (a hot standby),
 * reads go to the standby and a second session on the primary does the
 * LISTENing: a standby cannot LISTEN and NOTIFY is not replicated. A NOTIFY
 * heard on the primary waits until the standby has replayed the primary's
 * WAL position at that moment (pg_last_wal_replay_lsn(), polled, at most
 * DB_REPLAY_WAIT_MS) before it reloads, so the reload sees the import.
 * When the standby cannot be reached, reads fall back to the primary; a
 * probe tries the standby every DB_PROBE_SECONDS and reads move back when
 * it answers (and is still in recovery, or at least answers).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eard.h"
#include "pgsocket.h"

struct db_hook {
	char	*channel;
	void	(*cb)(const char *, void *);
	void	*arg;
};
struct db_connect_hook {
	void	(*cb)(void *);
	void	*arg;
};

static struct pgsocket		*db_pgs;
static char			*db_url;
static char			*db_error;
static bool			 db_was_connected;
static struct db_hook		*db_hooks;
static size_t			 db_nhooks;
static struct db_connect_hook	*db_connect_hooks;
static size_t			 db_nconnect_hooks;

#define DB_REPLAY_WAIT_MS	10000	/* most we wait for a standby to replay */
#define DB_REPLAY_POLL_MS	50
#define DB_PROBE_SECONDS	5	/* retry a lost standby this often */

/* Split reads: a standby for reads, the primary for LISTEN (see above). */
static bool			 db_split;
static bool			 db_on_standby;	/* db_url is read_database_url */
static char			*db_primary_url;
static char			*db_standby_url;
static struct pgsocket		*db_listen_pgs;	/* on the primary */
static struct pgsocket		*db_probe_pgs;	/* trying the standby */
static struct event		*db_probe_timer;
static struct event		*db_switch_ev;
static const char		*db_switch_to;	/* db_primary_url or standby */
static bool			 db_resetting;

/* Notifications held until the standby has replayed the import. */
struct db_held {
	char	*channel;
	char	*payload;
};
static struct db_held		*db_held;
static size_t			 db_nheld;
static bool			 db_waiting;
static char			*db_wait_lsn;
static int64_t			 db_wait_deadline_us;
static struct event		*db_wait_timer;

static void	db_dispatch(const char *, const char *);
static void	db_listen_all(void);
static void	db_switch(const char *);
static void	db_add_timer(struct event *, int);
static void	db_wait_poll(evutil_socket_t, short, void *);

/* Channels eard itself listens on. */
static const char *const db_channels[] = {
	"rules_changed", "lists_changed", "registry_changed"
};

/* A channel name safe to put into LISTEN unquoted. */
static bool
db_channel_ok(const char *ch)
{
	const char	*p;

	if (*ch == '\0' || strlen(ch) > 63)
		return false;
	for (p = ch; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || *p == '_' ||
		    (*p >= '0' && *p <= '9' && p != ch)))
			return false;
	}
	return true;
}

/* A LISTEN finished (or failed: logged, retried at reconnection). */
static void
db_listen_done(void *arg, PGresult *res, const char *errmsg)
{
	char	*channel = arg;

	(void)res;
	if (errmsg != NULL)
		log_warnx("could not listen on channel \"%s\": %s", channel,
		    errmsg);
	else
		log_debug("listening on channel \"%s\"", channel);
	free(channel);
}

/* LISTEN on a channel (on the primary's session when reads are split). */
static void
db_listen(const char *channel)
{
	struct pgsocket	*pgs = db_split ? db_listen_pgs : db_pgs;
	char	*sql, *arg;

	if (!db_channel_ok(channel)) {
		log_warnx("invalid channel name \"%s\"", channel);
		return;
	}
	xasprintf(&sql, "LISTEN %s", channel);
	arg = xstrdup(channel);
	if (pgs == NULL ||
	    pgsocket_query(pgs, sql, 0, NULL, db_listen_done, arg) != 0)
		free(arg);
	free(sql);
}

/* Is channel already LISTENed (built in or an earlier hook)? */
static bool
db_listened(const char *channel, size_t upto)
{
	size_t	 i;

	for (i = 0; i < nitems(db_channels); i++) {
		if (strcmp(db_channels[i], channel) == 0)
			return true;
	}
	for (i = 0; i < upto; i++) {
		if (strcmp(db_hooks[i].channel, channel) == 0)
			return true;
	}
	return false;
}

/* Connected: LISTEN, reload the rules, run hooks. Lost: remember why. */
static void
db_state_cb(struct pgsocket *pgs, bool connected, const char *msg, void *arg)
{
	size_t	 i;

	(void)pgs;
	(void)arg;
	if (connected) {
		log_info("connected to the database%s",
		    db_was_connected ? " again" : "");
		if (db_was_connected)
			metrics_count_db_reconnect();
		db_was_connected = true;
		free(db_error);
		db_error = NULL;
		if (!db_split)
			db_listen_all();
		else
			log_info("reads go to the %s", db_on_standby ?
			    "standby (read_database_url)" :
			    "primary (database_url)");
		rules_reload();
		for (i = 0; i < db_nconnect_hooks; i++)
			db_connect_hooks[i].cb(db_connect_hooks[i].arg);
		return;
	}
	if (db_error == NULL || strcmp(db_error, msg) != 0)
		log_warnx("database connection: %s", msg);
	free(db_error);
	db_error = xstrdup(msg);
	if (db_split && db_on_standby && !db_resetting) {
		log_warnx("standby unreachable; reads fall back to the "
		    "primary");
		db_switch(db_primary_url);
	}
}

/* A NOTIFY: rules_changed reloads the rules; hooks hear the rest. */
static void
db_notify_cb(struct pgsocket *pgs, const char *channel, const char *payload,
    void *arg)
{
	(void)pgs;
	(void)arg;
	log_info("notification on \"%s\"%s%s", channel,
	    *payload != '\0' ? ": " : "", payload);
	db_dispatch(channel, payload);
}

/* Act on a NOTIFY now that the read session can see what it announces. */
static void
db_dispatch(const char *channel, const char *payload)
{
	size_t	 i;

	metrics_count_notify(channel);
	if (strcmp(channel, "rules_changed") == 0)
		rules_reload();
	for (i = 0; i < db_nhooks; i++) {
		if (strcmp(db_hooks[i].channel, channel) == 0)
			db_hooks[i].cb(payload, db_hooks[i].arg);
	}
}

/* LISTEN on eard's channels and the hooks' (once each). */
static void
db_listen_all(void)
{
	size_t	 i;

	for (i = 0; i < nitems(db_channels); i++)
		db_listen(db_channels[i]);
	for (i = 0; i < db_nhooks; i++) {
		if (!db_listened(db_hooks[i].channel, i))
			db_listen(db_hooks[i].channel);
	}
}

/* Arm a timer for ms milliseconds. */
static void
db_add_timer(struct event *ev, int ms)
{
	struct timeval	 tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(ev, &tv);
}

/* Move the read session to url (from the loop, not inside a callback). */
static void
db_switch_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (db_switch_to == NULL || db_pgs == NULL ||
	    strcmp(db_switch_to, db_url) == 0)
		return;
	free(db_url);
	db_url = xstrdup(db_switch_to);
	db_on_standby = db_switch_to == db_standby_url;
	db_resetting = true;		/* the reset's own "lost" is no failure */
	pgsocket_reset(db_pgs, db_url);
	db_resetting = false;
	if (!db_on_standby)
		db_add_timer(db_probe_timer, DB_PROBE_SECONDS * 1000);
}

/* Ask for the read session to move to url. */
static void
db_switch(const char *url)
{
	db_switch_to = url;
	event_active(db_switch_ev, EV_TIMEOUT, 0);
}

/* The probe reached the standby (back to it) or did not (try later). */
static void
db_probe_state_cb(struct pgsocket *pgs, bool connected, const char *msg,
    void *arg)
{
	(void)arg;
	(void)msg;
	pgsocket_free(pgs);
	db_probe_pgs = NULL;
	if (connected) {
		log_info("standby reachable again; reads go back to it");
		db_switch(db_standby_url);
	} else
		db_add_timer(db_probe_timer, DB_PROBE_SECONDS * 1000);
}

/* Time to try the standby again. */
static void
db_probe_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (db_on_standby || db_probe_pgs != NULL || db_standby_url == NULL)
		return;
	db_probe_pgs = pgsocket_new(ev_base, db_standby_url,
	    db_probe_state_cb, NULL, NULL);
	pgsocket_connect(db_probe_pgs);
}

/* Hand the held notifications on, in order. */
static void
db_release_held(void)
{
	struct db_held	*h = db_held;
	size_t		 i, n = db_nheld;

	db_held = NULL;
	db_nheld = 0;
	db_waiting = false;
	free(db_wait_lsn);
	db_wait_lsn = NULL;
	for (i = 0; i < n; i++) {
		db_dispatch(h[i].channel, h[i].payload);
		free(h[i].channel);
		free(h[i].payload);
	}
	free(h);
}

/* The standby's answer: replayed up to the LSN yet? */
static void
db_wait_result(void *arg, PGresult *res, const char *errmsg)
{
	(void)arg;
	if (errmsg == NULL && PQntuples(res) == 1 &&
	    strcmp(PQgetvalue(res, 0, 0), "t") == 0) {
		db_release_held();
		return;
	}
	if (eard_now_us() >= db_wait_deadline_us) {
		log_warnx("the standby has not replayed %s after %d ms; "
		    "reloading anyway", db_wait_lsn, DB_REPLAY_WAIT_MS);
		db_release_held();
		return;
	}
	db_add_timer(db_wait_timer, DB_REPLAY_POLL_MS);
}

/* Ask the read session whether it has replayed db_wait_lsn. */
static void
db_wait_poll(evutil_socket_t fd, short what, void *arg)
{
	const char	*params[1];

	(void)fd;
	(void)what;
	(void)arg;
	if (!db_on_standby || !db_connected()) {
		/* Reads are on the primary (or nowhere): nothing to wait for. */
		db_release_held();
		return;
	}
	params[0] = db_wait_lsn;
	if (pgsocket_query(db_pgs, "SELECT coalesce(pg_last_wal_replay_lsn() "
	    ">= $1::pg_lsn, true)", 1, params, db_wait_result, NULL) != 0)
		db_release_held();
}

/* The primary's WAL position when the NOTIFY arrived. */
static void
db_lsn_result(void *arg, PGresult *res, const char *errmsg)
{
	(void)arg;
	if (errmsg != NULL || PQntuples(res) != 1) {
		db_release_held();
		return;
	}
	db_wait_lsn = xstrdup(PQgetvalue(res, 0, 0));
	db_wait_deadline_us = eard_now_us() + DB_REPLAY_WAIT_MS * 1000;
	db_wait_poll(-1, 0, NULL);
}

/* A NOTIFY on the primary: hold it until the standby has caught up. */
static void
db_split_notify_cb(struct pgsocket *pgs, const char *channel,
    const char *payload, void *arg)
{
	(void)arg;
	log_info("notification on \"%s\"%s%s (from the primary)", channel,
	    *payload != '\0' ? ": " : "", payload);
	db_held = xreallocarray(db_held, db_nheld + 1, sizeof *db_held);
	db_held[db_nheld].channel = xstrdup(channel);
	db_held[db_nheld].payload = xstrdup(payload);
	db_nheld++;
	if (db_waiting)
		return;
	db_waiting = true;
	if (pgsocket_query(pgs, "SELECT pg_current_wal_lsn()::text", 0, NULL,
	    db_lsn_result, NULL) != 0)
		db_release_held();
}

/* The primary's LISTEN session (split reads) connected or was lost. */
static void
db_split_state_cb(struct pgsocket *pgs, bool connected, const char *msg,
    void *arg)
{
	(void)pgs;
	(void)arg;
	if (!connected) {
		log_warnx("notification session on the primary: %s", msg);
		return;
	}
	log_info("listening for notifications on the primary");
	db_listen_all();
	/* Notifications may have been missed while it was away. */
	rules_reload();
	db_release_held();
}

/* Open the read session (connecting happens on the loop). */
int
db_start(char **cause)
{
	const char	*url = config_read_database_url(&cfg);

	if (url == NULL) {
		xasprintf(cause, "database_url is not set");
		return -1;
	}
	db_url = xstrdup(url);
	db_split = cfg.read_database_url != NULL && cfg.database_url != NULL &&
	    strcmp(cfg.read_database_url, cfg.database_url) != 0;
	db_on_standby = db_split;
	if (db_split) {
		db_primary_url = xstrdup(cfg.database_url);
		db_standby_url = xstrdup(cfg.read_database_url);
		db_switch_ev = event_new(ev_base, -1, 0, db_switch_cb, NULL);
		db_probe_timer = evtimer_new(ev_base, db_probe_cb, NULL);
		db_wait_timer = evtimer_new(ev_base, db_wait_poll, NULL);
		if (db_switch_ev == NULL || db_probe_timer == NULL ||
		    db_wait_timer == NULL)
			fatalx("could not create a timer");
		db_listen_pgs = pgsocket_new(ev_base, db_primary_url,
		    db_split_state_cb, db_split_notify_cb, NULL);
		pgsocket_connect(db_listen_pgs);
		log_info("reads from read_database_url, notifications and "
		    "fallback from database_url");
	}
	db_pgs = pgsocket_new(ev_base, db_url, db_state_cb, db_notify_cb,
	    NULL);
	pgsocket_connect(db_pgs);
	return 0;
}

/* Are reads going to read_database_url (a standby) right now? */
bool
db_reading_standby(void)
{
	return db_split && db_on_standby;
}

/* After SIGHUP: reconnect if the URL changed. */
void
db_reload(void)
{
	const char	*url = config_read_database_url(&cfg);

	if (db_pgs == NULL || url == NULL || strcmp(url, db_url) == 0)
		return;
	if (db_split) {
		/* The fallback may have moved db_url; keep the split as is. */
		if (strcmp(url, db_standby_url) != 0)
			log_warnx("read_database_url changed; restart eard "
			    "to apply it");
		return;
	}
	log_info("database_url changed; reconnecting");
	free(db_url);
	db_url = xstrdup(url);
	db_was_connected = false;
	pgsocket_reset(db_pgs, db_url);
}

/* Close the read session. */
void
db_stop(void)
{
	if (db_pgs != NULL)
		pgsocket_free(db_pgs);
	db_pgs = NULL;
	free(db_url);
	db_url = NULL;
	if (db_listen_pgs != NULL)
		pgsocket_free(db_listen_pgs);
	db_listen_pgs = NULL;
	if (db_probe_pgs != NULL)
		pgsocket_free(db_probe_pgs);
	db_probe_pgs = NULL;
	if (db_probe_timer != NULL)
		event_free(db_probe_timer);
	if (db_wait_timer != NULL)
		event_free(db_wait_timer);
	if (db_switch_ev != NULL)
		event_free(db_switch_ev);
	db_probe_timer = db_wait_timer = db_switch_ev = NULL;
	free(db_primary_url);
	free(db_standby_url);
	db_primary_url = db_standby_url = NULL;
}

/* Is the read session connected? */
bool
db_connected(void)
{
	return db_pgs != NULL && pgsocket_is_connected(db_pgs);
}

/* The read session's state, for /readyz and /metrics. */
const char *
db_state(void)
{
	if (db_pgs == NULL)
		return "stopped";
	if (pgsocket_is_connected(db_pgs))
		return "connected";
	return pgsocket_state_name(pgsocket_get_state(db_pgs));
}

/* Why the read session is not connected, or NULL. */
const char *
db_last_error(void)
{
	return db_error;
}

/* Queue a query on the read session; -1 when the database is away. */
int
db_query(const char *sql, int nparams, const char *const *params,
    void (*cb)(void *, PGresult *, const char *), void *arg)
{
	if (db_pgs == NULL)
		return -1;
	return pgsocket_query(db_pgs, sql, nparams, params, cb, arg);
}

/* Register a NOTIFY hook (for lists_changed, registry_changed, ...). */
void
db_on_notify(const char *channel, void (*cb)(const char *, void *), void *arg)
{
	db_hooks = xreallocarray(db_hooks, db_nhooks + 1, sizeof *db_hooks);
	db_hooks[db_nhooks].channel = xstrdup(channel);
	db_hooks[db_nhooks].cb = cb;
	db_hooks[db_nhooks].arg = arg;
	db_nhooks++;
	if ((db_split ? db_listen_pgs != NULL &&
	    pgsocket_is_connected(db_listen_pgs) : db_connected()) &&
	    !db_listened(channel, db_nhooks - 1))
		db_listen(channel);
}

/* Register a hook called after every (re)connection. */
void
db_on_connect(void (*cb)(void *), void *arg)
{
	db_connect_hooks = xreallocarray(db_connect_hooks,
	    db_nconnect_hooks + 1, sizeof *db_connect_hooks);
	db_connect_hooks[db_nconnect_hooks].cb = cb;
	db_connect_hooks[db_nconnect_hooks].arg = arg;
	db_nconnect_hooks++;
}
