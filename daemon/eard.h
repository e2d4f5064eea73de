/*
 * eard.h: the daemon's internal header, one section per file (tmux.h style).
 *
 * Ownership rules used throughout the daemon:
 * - a struct request owns everything allocated with request_alloc() and the
 *   parsed JSON body; all of it is freed in one place when the request ends
 *   (after its reply and after the last request_release());
 * - a struct ruleset is refcounted by core (ruleset_ref/ruleset_unref):
 *   rules_current() returns a new reference the caller drops;
 * - json_t arguments named "body" are stolen; other json_t are borrowed.
 *
 * Everything here runs on the single event loop (ev_base) unless a comment
 * says otherwise.
 */
#ifndef EARD_H
#define EARD_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <event2/event.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "ear.h"

struct request;
struct ruleset;
struct check;
struct evhttp_request;

/* eard.c: main, signals, the loop (these globals are defined in server.c). */
extern struct event_base	*ev_base;
extern int64_t			 eard_started_us;	/* CLOCK_REALTIME */
int64_t	 eard_now_us(void);
bool	 eard_stopping(void);
void	 eard_set_stopping(void);

/*
 * config.c: the declarative key table (pgbouncer CF_ABS style). The table
 * drives parsing of the INI-style file, --dump-config, --help and SIGHUP.
 */
enum config_type { CF_STRING, CF_INT, CF_SIZE, CF_BOOL, CF_MODE, CF_SECONDS };
struct config_key {
	const char	*name;
	enum config_type type;
	size_t		 offset;	/* in struct eard_config */
	const char	*dflt;		/* as written in the file; NULL = unset */
	const char	*choices;	/* "a|b|c" for strings, or NULL */
	bool		 reloadable;	/* applied on SIGHUP */
	const char	*help;
};
struct eard_config {
	char	*socket;		/* path of the Unix socket */
	int	 socket_mode;		/* octal, 0660 */
	char	*socket_group;		/* group owning the socket, or unset */
	char	*listen_tcp;		/* "host:port", unset = no TCP */
	char	*tcp_tokens;		/* "name:sha256hex,..." bearer tokens */
	char	*tls_cert;		/* later: TLS on the TCP listener */
	char	*tls_key;
	bool	 tcp_insecure;	/* TCP without TLS (tests only) */
	char	*database_url;
	char	*read_database_url;	/* unset = database_url */
	char	*import_database_url;	/* unset = database_url as eard_admin */
	char	*log_level;
	char	*log_format;		/* text | json */
	size_t	 max_body_size;
	size_t	 max_header_size;
	int	 max_connections;
	int	 request_timeout;	/* seconds */
	int	 idle_timeout;		/* seconds */
	char	*audit_mode;		/* durable | async */
	char	*spool_dir;
	char	*role_map;		/* "uid-or-user:role,..." */
	int	 batch_max;
	int	 lists_max_age_days;
	int	 stop_timeout;		/* seconds */
	/* limits.c */
	int	 max_requests_per_connection;
	int	 read_timeout;		/* seconds to receive one request */
	int	 max_pending_decisions;
	size_t	 spool_max_bytes;
};
extern struct eard_config	 cfg;
extern const struct config_key	 config_keys[];
extern const size_t		 config_nkeys;
void	 config_defaults(struct eard_config *);
int	 config_load(const char *, struct eard_config *, char **) MUSTCHECK;
int	 config_set(struct eard_config *, const char *, const char *, char **)
	     MUSTCHECK;
int	 config_parse_buffer(const char *, const char *, struct eard_config *,
	     char **) MUSTCHECK;
void	 config_apply_reloadable(struct eard_config *, struct eard_config *);
void	 config_free(struct eard_config *);
char	*config_dump(const struct eard_config *);	/* caller frees */
void	 config_print_help(FILE *);
const char *config_read_database_url(const struct eard_config *);

/* server.c: evhttp on the Unix socket (+ optional TCP), peers and roles. */
/*
 * Identities are NONE..ADMIN; ROLE_READER only names a route class (any
 * known role). Which role includes which: see auth.c (not an order).
 */
enum role { ROLE_NONE, ROLE_PIPELINE, ROLE_ANALYST, ROLE_COUNSEL, ROLE_ADMIN,
	    ROLE_READER };
int	 server_start(char **) MUSTCHECK;
void	 server_stop_accepting(void);
void	 server_close(void);
void	 server_reload(void);
size_t	 server_inflight(void);
const char *server_role_name(enum role);
int	 server_parse_role(const char *, enum role *) MUSTCHECK;
enum role server_role_for_uid(const char *, uid_t, const char *);
bool	 server_role_allows(enum role, enum role);
int	 server_identify(struct evhttp_request *, enum role *, char *, size_t,
	     struct ear_error *) MUSTCHECK;
/* systemd socket activation: fds from 3, LISTEN_FDS/LISTEN_PID (ops) */
#define SERVER_LISTEN_FDS_START	3
int	 server_listen_fds(void);

/*
 * auth.c: who may ask what. auth_role_allows(have, need): need NONE is
 * anyone; READER any known role; PIPELINE (checks, screening) is pipeline,
 * counsel, admin; COUNSEL (dispositions, decisions, replay, explain) is
 * counsel, admin; ANALYST (reports) is analyst, admin; ADMIN admin only.
 * auth_role_for_peer(): role_map "uid:role, user:role, @group:role" (uid
 * and user entries before groups; gid (gid_t)-1 = unknown); else the uid
 * eard runs as and root are admin; else none. Bearer tokens come from the
 * tokens table (schema/060_tokens.sql) on connect and NOTIFY
 * tokens_changed: auth_token_check() returns 0 (role, "token:NAME"), -1
 * invalid/expired/revoked (*why set, static), -2 when no token list has
 * been loaded yet. auth_token_hash(): SHA-256(salt || token), as earctl
 * token create stores it. auth_tls_context(): an SSL_CTX for the TCP
 * listener (TLS 1.2+), NULL with *cause.
 */
struct ssl_ctx_st;
bool	 auth_role_allows(enum role, enum role);
enum role auth_role_for_peer(const char *, uid_t, gid_t, const char *);
void	 auth_init(void);
int	 auth_token_check(const char *, enum role *, char *, size_t,
	     const char **);
void	 auth_token_hash(const char *, const unsigned char *, size_t,
	     unsigned char [32]);
int	 auth_token_set(const char *, const char *, const char *,
	     const char *, int64_t, bool) MUSTCHECK;
void	 auth_token_clear(void);
size_t	 auth_token_count(void);
struct ssl_ctx_st *auth_tls_context(const char *, const char *, char **);

/*
 * routes.c: THE route table, one line per route. prefix routes match
 * "path" followed by anything; request_arg() gives the remainder.
 */
struct route {
	const char	*method;
	const char	*path;
	bool		 prefix;
	enum role	 role;		/* minimum role */
	void		(*fn)(struct request *);
};
extern const struct route	 routes[];
extern const size_t		 routes_count;
const struct route *routes_find(const char *, const char *, bool *,
	     char *, size_t, const char **);

/*
 * request.c: one HTTP request in flight. Every reply function ends the
 * request; calling two is a bug (the second is logged and ignored).
 */
json_t	*request_json(struct request *);	/* body; on error replies 400, NULL */
const char *request_arg(struct request *);	/* after a prefix route, URL-decoded */
const char *request_query(struct request *, const char *);
const char *request_id(struct request *);
const char *request_requester(struct request *); /* "uid:1000(name)", "token:NAME" */
const char *request_route(struct request *);	/* the route's path, for metrics */
enum role request_role(struct request *);
void	 request_reply_json(struct request *, int, json_t *); /* steals body */
void	 request_reply_error(struct request *, const struct ear_error *);
void	 request_reply_errorf(struct request *, int, const char *,
	     const char *, const char *, ...) PRINTFLIKE(5, 6);
void	 request_reply_text(struct request *, int, const char *, const char *);
void	*request_alloc(struct request *, size_t);
char	*request_strdup(struct request *, const char *);
void	 request_hold(struct request *);
void	 request_release(struct request *);
bool	 request_replied(struct request *);
/* the raw body (borrowed, until the request ends) and its length */
const char *request_body(struct request *, size_t *);
bool	 request_gone(struct request *);	/* the client went away */
void	 request_handle(struct evhttp_request *);	/* server.c's entry */
void	 request_set_verdict(struct request *, const char *); /* static str */
size_t	 request_count_inflight(void);

/* db.c: the daemon's read session (rules, lookups, LISTEN). */
int	 db_start(char **) MUSTCHECK;
void	 db_stop(void);
void	 db_reload(void);			/* after SIGHUP: new URL? reconnect */
bool	 db_connected(void);
const char *db_state(void);			/* "connected", "connecting", ... */
const char *db_last_error(void);
bool	 db_reading_standby(void);		/* reads on read_database_url */
/* async SQL; cb gets res NULL and errmsg on failure; the wrapper PQclears */
int	 db_query(const char *, int, const char *const *,
	     void (*)(void *, PGresult *, const char *), void *) MUSTCHECK;
/* call cb(payload, arg) on every NOTIFY on channel (re-LISTENed on reconnect) */
void	 db_on_notify(const char *, void (*)(const char *, void *), void *);
/* call cb(arg) after every (re)connection, once LISTENs are in place */
void	 db_on_connect(void (*)(void *), void *);

/* rules.c: the current ruleset, swapped atomically. */
struct ruleset *rules_current(void);		/* a new ref; NULL before first load */
void	 rules_init(void);
void	 rules_reload(void);			/* fetch and swap (async) */
void	 rules_clear(void);
const char *rules_version(void);		/* "" before the first load */
int64_t	 rules_loaded_at_us(void);
const char *rules_last_error(void);

/* route_checks.c: POST /v1/checks/{chip,weights,batch}. */
void	 route_checks_chip(struct request *);
void	 route_checks_weights(struct request *);
void	 route_checks_batch(struct request *);
void	 decision_new_id(char [40]);		/* UUIDv7 */

/* route_status.c: health, readiness, metrics and in-memory lookups. */
void	 route_status_healthz(struct request *);
void	 route_status_readyz(struct request *);
void	 route_status_metrics(struct request *);
void	 route_status_country(struct request *);
void	 route_status_eccn(struct request *);

/*
 * route_text.c: GET /v1/text?cite=C&as_of=D (the stored eCFR text of a
 * citation) and GET /v1/eccn/{code} (the ruleset's answer plus "text",
 * the CCL entry as of D). Lookups through db_query().
 */
void	 route_text_get(struct request *);
void	 route_text_eccn(struct request *);

/* metrics.c: counters for /metrics. */
void	 metrics_count_request(const char *, int, int64_t);
void	 metrics_count_verdict(const char *, const char *);
void	 metrics_count_db_reconnect(void);
void	 metrics_count_notify(const char *);
char	*metrics_render(void);				/* caller frees */

/* audit.c (the audit engineer's; this interface is fixed). */
struct decision {
	char		 id[40];
	const char	*kind;		/* "chip", "weights", "screen" */
	json_t		*request;
	json_t		*response;
	const char	*requester;
	const char	*ruleset_version;
	const char	*lists_version;
	int64_t		 at_us;
};
/* done(arg, 0) once the row is durable, done(arg, -1) if it cannot be */
void	 audit_submit(struct decision *, void (*)(void *, int), void *);
size_t	 audit_pending(void);
size_t	 audit_spool_depth(void);
void	 audit_shutdown(void (*)(void *), void *);
/*
 * Call audit_init() once at start, after the config is read (audit_submit()
 * calls it with ev_base and cfg if nobody has). It opens its own connection
 * on cfg.database_url and the spool in cfg.spool_dir, replaying the spool
 * first. audit_set_limits() (0 keeps the default) sets the cap on decisions
 * pending (default 50000; over it audit_submit() answers -1: 503) and on the
 * spool file (default 1 GiB); EARD_AUDIT_MAX_PENDING and
 * EARD_SPOOL_MAX_BYTES in the environment set them too.
 * audit_record_ruleset() keeps a rules document (the text the ruleset
 * version is the SHA-256 of) in ruleset_documents for replay; call it when
 * rules are loaded. audit_state() is "connected", "spooling", "replaying".
 */
void	 audit_init(struct event_base *, const struct eard_config *);
void	 audit_set_limits(size_t, size_t);
void	 audit_record_ruleset(const char *, const char *);
const char *audit_state(void);
bool	 audit_is_durable(void);		/* false: audit_mode = async */
/*
 * The hash chain as the writer computes it (schema/080_decisions_fast.sql):
 * audit_chain_name() is the chain (UTC month "YYYY-MM") of a time;
 * audit_chain_hashes() chains n canonical forms (times never decreasing)
 * onto the heads (sorted by chain; new chains are added, linked to the
 * latest before them) and writes each hash = SHA-256(prev || canonical).
 */
struct audit_head {
	char		 chain[8];
	int64_t		 seq;
	unsigned char	 hash[32];
};
void	 audit_chain_name(int64_t, char [static 8]);
void	 audit_chain_hashes(struct audit_head **, size_t *,
	     const char *const *, const size_t *, const int64_t *, size_t,
	     unsigned char (*)[32]);

/* spool.c: the fsync'd local spool of decisions (length + CRC-32 framed). */
struct spool;
struct spool *spool_open(const char *, size_t, char **) MUSTCHECK;
void	 spool_close(struct spool *);
int	 spool_append(struct spool *, const char *const *, const size_t *,
	     size_t, char **) MUSTCHECK;
int	 spool_next(struct spool *, off_t *, char **, size_t *, char **)
	     MUSTCHECK;
int	 spool_truncate(struct spool *, char **) MUSTCHECK;
size_t	 spool_records(const struct spool *);
size_t	 spool_bytes(const struct spool *);
const char *spool_path(const struct spool *);
uint32_t spool_crc32(const void *, size_t);
unsigned char *spool_frame(const void *, size_t, size_t *);

/*
 * report.c: queries/NAME.sql run by a worker thread with its own blocking
 * connection (read URL, read-only, statement timeout); results come back
 * on the loop. report_load() returns a parsed file the caller frees with
 * report_free(); report_submit() copies its arguments and later calls
 * done(arg, status, body) on the loop (body: a new reference, either
 * {"columns","rows","truncated"} or an {"error":...}).
 */
struct report_param {
	char	*name;
	char	*type;		/* date | numeric | text */
	char	*dflt;		/* NULL: SQL NULL */
};
struct report_def {
	char			*name;
	char			*about;		/* the header's sentences */
	char			*sql;
	int			 nparams;
	struct report_param	 params[16];
};
void	 report_init(struct event_base *, const char *);
void	 report_submit(const char *, int, const char *const *,
	     void (*)(void *, int, json_t *), void *);
struct report_def *report_load(const char *, bool *, char **);
struct report_def *report_parse(const char *, const char *, char **);
void	 report_free(struct report_def *);
bool	 report_name_ok(const char *);
bool	 report_param_ok(const struct report_param *, const char *);
const char *report_queries_dir(void);
json_t	*report_value_json(PGresult *, int, int);
json_t	*report_result_json(PGresult *);

/*
 * route_decisions.c: GET /v1/decisions/{id}, POST /v1/decisions/{id}/replay,
 * GET /v1/reports and GET /v1/reports/{name}.
 */
void	 route_decisions_get(struct request *);
void	 route_decisions_replay(struct request *);
void	 route_decisions_reports(struct request *);
void	 route_decisions_report(struct request *);

/*
 * Screening inside a check (the screening engineer's screen_index.c). Weak:
 * when screening is not linked in, checks are not screened (core notes it).
 * screen_init() is called once at start-up, after db_start(), when present.
 * screen_check() screens check_recipient_name()/check_recipient_country()
 * against the lists in force on check_as_of() and records the hits with
 * check_set_screening(); 0 when screened, -1 with *cause (caller frees)
 * when the lists cannot be consulted (the check then fails with 503).
 * screen_lists_version() goes into the decision's lists_version.
 */
void	 screen_init(void) __attribute__((weak));
int	 screen_check(struct check *, char **) __attribute__((weak));
const char *screen_lists_version(void) __attribute__((weak));

/*
 * screen_index.c (the rest): the current index as a new reference (NULL
 * before the first load; drop it with screen_index_unref()), when and how
 * the last load went, dispositions held on the loop, the options every
 * screening uses (thresholds + dispositions), and screened names recorded
 * for rescreening after an import (csl_rescreen()).
 */
struct screen_index *screen_index_current(void);
int64_t	 screen_index_loaded_at_us(void);
const char *screen_index_last_error(void);
bool	 screen_index_pending(void);
/* {"EL": {kind, list_version, source_file, sha256, parties, data_date,
 * imported_at, age_days}, ...}: new reference, {} before the first load. */
json_t	*screen_index_list_info(void);
void	 screen_disposition_add(const char *, const char *, const char *,
	     const char *, const char *, const char *, const char *);
void	 screen_opts_daemon(struct screen_opts *);
void	 screen_remember(const char *, const char *, enum screen_result,
	     const char *);

/* route_screen.c: POST /v1/screen, GET /v1/lists, POST /v1/dispositions. */
void	 route_screen_screen(struct request *);
void	 route_screen_lists(struct request *);
void	 route_screen_dispose(struct request *);

/*
 * route_import.c: POST /v1/import/{rules,chips,models,csl,ecfr,fr} (admin).
 * The body is the file; a worker thread writes it to a private temp file
 * and runs the importer on its own blocking connection to
 * import_database_url (default: database_url as user eard_admin), one
 * import at a time; the reply comes back on the loop.
 */
void	 route_import_import(struct request *);
char	*import_conninfo_admin(const char *, char **) MUSTCHECK;

/* route_registry.c: GET/POST /v1/models, GET /v1/chips (the registry). */
void	 route_registry_models(struct request *);
void	 route_registry_model(struct request *);
void	 route_registry_register(struct request *);
void	 route_registry_chips(struct request *);
void	 route_registry_chip(struct request *);

/*
 * limits.c: connections tracked from accept (max_connections, read_timeout,
 * max_requests_per_connection) and eard_limit_hits_total. limits_bevcb() is
 * the bufferevent factory of the plain evhttp; another factory (TLS) calls
 * limits_track() on each bufferevent it makes. limits_admit() runs first on
 * every request; limits_hit() counts a limit (its config key) when hit.
 */
struct bufferevent;
struct bufferevent *limits_bevcb(struct event_base *, void *);
void	 limits_track(struct bufferevent *);
int	 limits_admit(struct evhttp_request *, struct ear_error *) MUSTCHECK;
void	 limits_hit(const char *);
uint64_t limits_hits(const char *);
size_t	 limits_connections(void);
char	*limits_render(void);			/* caller frees */
void	 limits_close(void);

#endif /* EARD_H */
