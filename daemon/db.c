/*
 * db.c: the daemon's read session on PostgreSQL: rule loads, registry
 * lookups and LISTEN. One pgsocket, reconnected with backoff; after every
 * (re)connection the channels are LISTENed again and the rules reloaded.
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

/* LISTEN on a channel. */
static void
db_listen(const char *channel)
{
	char	*sql, *arg;

	if (!db_channel_ok(channel)) {
		log_warnx("invalid channel name \"%s\"", channel);
		return;
	}
	xasprintf(&sql, "LISTEN %s", channel);
	arg = xstrdup(channel);
	if (pgsocket_query(db_pgs, sql, 0, NULL, db_listen_done, arg) != 0)
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
		for (i = 0; i < nitems(db_channels); i++)
			db_listen(db_channels[i]);
		for (i = 0; i < db_nhooks; i++) {
			if (!db_listened(db_hooks[i].channel, i))
				db_listen(db_hooks[i].channel);
		}
		rules_reload();
		for (i = 0; i < db_nconnect_hooks; i++)
			db_connect_hooks[i].cb(db_connect_hooks[i].arg);
		return;
	}
	if (db_error == NULL || strcmp(db_error, msg) != 0)
		log_warnx("database connection: %s", msg);
	free(db_error);
	db_error = xstrdup(msg);
}

/* A NOTIFY: rules_changed reloads the rules; hooks hear the rest. */
static void
db_notify_cb(struct pgsocket *pgs, const char *channel, const char *payload,
    void *arg)
{
	size_t	 i;

	(void)pgs;
	(void)arg;
	log_info("notification on \"%s\"%s%s", channel,
	    *payload != '\0' ? ": " : "", payload);
	if (strcmp(channel, "rules_changed") == 0)
		rules_reload();
	for (i = 0; i < db_nhooks; i++) {
		if (strcmp(db_hooks[i].channel, channel) == 0)
			db_hooks[i].cb(payload, db_hooks[i].arg);
	}
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
	db_pgs = pgsocket_new(ev_base, db_url, db_state_cb, db_notify_cb,
	    NULL);
	pgsocket_connect(db_pgs);
	return 0;
}

/* After SIGHUP: reconnect if the URL changed. */
void
db_reload(void)
{
	const char	*url = config_read_database_url(&cfg);

	if (db_pgs == NULL || url == NULL || strcmp(url, db_url) == 0)
		return;
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
	if (db_connected() && !db_listened(channel, db_nhooks - 1))
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
