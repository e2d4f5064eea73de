/*
 * server.c: evhttp on the Unix socket (and an optional TCP listener), who
 * the peer is (SO_PEERCRED or a bearer token) and what role that gives.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "eard.h"

/*
 * The loop's globals (declared in eard.h's eard.c section) live here so that
 * libeard.a is complete without eard.c: unit tests link it alone.
 */
struct event_base		*ev_base;
int64_t				 eard_started_us;
static bool			 server_stopping;

static struct evhttp		*server_http;
static struct evhttp_bound_socket *server_unix;
static struct evhttp_bound_socket *server_tcp;
static struct evhttp		*server_tcp_http;	/* owns server_tcp */
static struct evhttp		*server_https;	/* TLS bufferevents */
static SSL_CTX			*server_ssl_ctx;

static struct evhttp	*server_http_new(void);
static char			*server_unix_path;

static const char *const server_roles[] = {
	"none", "pipeline", "analyst", "counsel", "admin", "reader"
};

/* Wall-clock microseconds. */
int64_t
eard_now_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* True once SIGTERM/SIGINT arrived. */
bool
eard_stopping(void)
{
	return server_stopping;
}

/* Mark the daemon as stopping (SIGTERM/SIGINT). */
void
eard_set_stopping(void)
{
	server_stopping = true;
}

/* A role's name. */
const char *
server_role_name(enum role r)
{
	if ((size_t)r < nitems(server_roles))
		return server_roles[r];
	return "none";
}

/* Parse a role name. */
int
server_parse_role(const char *s, enum role *out)
{
	size_t	 i;

	for (i = 0; i < nitems(server_roles); i++) {
		if (strcmp(s, server_roles[i]) == 0) {
			*out = (enum role)i;
			return 0;
		}
	}
	return -1;
}

/* May a peer with role have use a route for need? (auth.c decides.) */
bool
server_role_allows(enum role have, enum role need)
{
	return auth_role_allows(have, need);
}

/* The role of a local uid (no group known): see auth_role_for_peer(). */
enum role
server_role_for_uid(const char *map, uid_t uid, const char *user)
{
	return auth_role_for_peer(map, uid, (gid_t)-1, user);
}

/* Check a bearer token against tcp_tokens "name:sha256hex[:role]". */
static int
server_check_token(const char *token, enum role *role, char *who,
    size_t wholen)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0, i;
	char		 hex[2 * EVP_MAX_MD_SIZE + 1];
	char		*copy, *item, *save = NULL, *hash, *rname;
	int		 rc = -1;

	if (cfg.tcp_tokens == NULL)
		return -1;
	if (!EVP_Digest(token, strlen(token), md, &mdlen, EVP_sha256(), NULL))
		return -1;
	for (i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	copy = xstrdup(cfg.tcp_tokens);
	for (item = strtok_r(copy, ", ", &save); item != NULL;
	    item = strtok_r(NULL, ", ", &save)) {
		if ((hash = strchr(item, ':')) == NULL)
			continue;
		*hash++ = '\0';
		if ((rname = strchr(hash, ':')) != NULL)
			*rname++ = '\0';
		if (strcasecmp(hash, hex) != 0)
			continue;
		*role = ROLE_PIPELINE;
		if (rname != NULL && server_parse_role(rname, role) != 0)
			*role = ROLE_NONE;
		snprintf(who, wholen, "token:%s", item);
		rc = 0;
		break;
	}
	free(copy);
	return rc;
}


/*
 * The user name of a uid, or NULL: getpwuid_r() reads /etc/passwd (six
 * system calls), so the last few answers are kept for SERVER_PW_TTL
 * seconds; a renamed user shows under the new name within that time.
 */
#define SERVER_PW_SLOTS	8
#define SERVER_PW_TTL	10
static const char *
server_user_name(uid_t uid)
{
	static struct {
		uid_t	 uid;
		time_t	 at;
		bool	 found;
		char	 name[256];	/* LOGIN_NAME_MAX */
	}		 cache[SERVER_PW_SLOTS];
	static size_t	 next;
	struct passwd	 pw, *pwp = NULL;
	char		 buf[1024];
	time_t		 now = time(NULL);
	size_t		 i;

	for (i = 0; i < SERVER_PW_SLOTS; i++) {
		if (cache[i].at != 0 && cache[i].uid == uid &&
		    now - cache[i].at < SERVER_PW_TTL && now >= cache[i].at)
			return (cache[i].found ? cache[i].name : NULL);
	}
	if (getpwuid_r(uid, &pw, buf, sizeof buf, &pwp) != 0)
		pwp = NULL;
	i = next++ % SERVER_PW_SLOTS;
	cache[i].uid = uid;
	cache[i].at = now;
	cache[i].found = pwp != NULL &&
	    strlen(pwp->pw_name) < sizeof cache[i].name;
	if (cache[i].found)
		memcpy(cache[i].name, pwp->pw_name, strlen(pwp->pw_name) + 1);
	return (cache[i].found ? cache[i].name : NULL);
}

/*
 * Who is asking: on the Unix socket the peer's uid (SO_PEERCRED); on TCP a
 * bearer token, required. Fills the role and the requester string.
 */
int
server_identify(struct evhttp_request *req, enum role *role, char *who,
    size_t wholen, struct ear_error *err)
{
	struct evhttp_connection	*evcon;
	struct bufferevent		*bev;
	struct sockaddr_storage		 ss;
	socklen_t			 sslen = sizeof ss, crlen;
	struct ucred			 cr;
	const char			*auth, *why, *name;
	evutil_socket_t			 fd;

	*role = ROLE_NONE;
	snprintf(who, wholen, "unknown");
	evcon = evhttp_request_get_connection(req);
	if (evcon == NULL) {
		error_set(err, 400, "connection_closed", NULL,
		    "the connection closed");
		return -1;
	}
	if (limits_admit(req, err) != 0)
		return -1;
	bev = evhttp_connection_get_bufferevent(evcon);
	fd = bev != NULL ? bufferevent_getfd(bev) : -1;
	if (fd == -1 || getsockname(fd, (struct sockaddr *)&ss, &sslen) != 0) {
		error_set(err, 500, "internal_error", NULL,
		    "could not identify the peer");
		return -1;
	}
	if (ss.ss_family == AF_UNIX) {
		crlen = sizeof cr;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) != 0) {
			error_set(err, 500, "internal_error", NULL,
			    "could not read the peer's credentials: %s",
			    strerror(errno));
			return -1;
		}
		name = server_user_name(cr.uid);
		snprintf(who, wholen, "uid:%u(%s)", (unsigned)cr.uid,
		    name != NULL ? name : "?");
		*role = auth_role_for_peer(cfg.role_map, cr.uid, cr.gid, name);
		return 0;
	}
	auth = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Authorization");
	if (auth == NULL || strncasecmp(auth, "Bearer ", 7) != 0) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "WWW-Authenticate", "Bearer");
		error_set(err, 401, "unauthorized", "Authorization",
		    "a bearer token is required on TCP");
		return -1;
	}
	if (server_check_token(auth + 7, role, who, wholen) == 0)
		return 0;
	switch (auth_token_check(auth + 7, role, who, wholen, &why)) {
	case 0:
		return 0;
	case -2:
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Retry-After", "1");
		error_set(err, 503, "tokens_not_loaded", NULL,
		    "bearer tokens have not been loaded from the database yet");
		return -1;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "WWW-Authenticate", "Bearer error=\"invalid_token\"");
	error_set(err, 401, "unauthorized", "Authorization", "%s", why);
	return -1;
	return 0;
}

/* Every request goes to request_handle(). */
static void
server_gencb(struct evhttp_request *req, void *arg)
{
	(void)arg;
	request_handle(req);
}

/* Remove a socket file left by a dead eard; refuse if one answers. */
static int
server_clear_stale(const char *path, char **cause)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	int			 fd, rc;

	if (lstat(path, &st) != 0)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		xasprintf(cause, "\"%s\" exists and is not a socket", path);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1) {
		xasprintf(cause, "could not create socket: %s",
		    strerror(errno));
		return -1;
	}
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	rc = connect(fd, (struct sockaddr *)&sun, sizeof sun);
	close(fd);
	if (rc == 0) {
		xasprintf(cause, "another server is listening on \"%s\"",
		    path);
		return -1;
	}
	log_info("removing stale socket \"%s\"", path);
	if (unlink(path) != 0 && errno != ENOENT) {
		xasprintf(cause, "could not remove stale socket \"%s\": %s",
		    path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Create, bind and listen on the Unix socket with its mode and group. */
static int
server_listen_unix(const char *path, char **cause)
{
	struct sockaddr_un	 sun;
	struct group		 gr, *grp = NULL;
	char			 grbuf[1024];
	mode_t			 old;
	int			 fd;

	if (strlen(path) >= sizeof sun.sun_path) {
		xasprintf(cause, "socket path \"%s\" is too long", path);
		return -1;
	}
	if (server_clear_stale(path, cause) != 0)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		xasprintf(cause, "could not create socket: %s",
		    strerror(errno));
		return -1;
	}
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		umask(old);
		xasprintf(cause, "could not bind \"%s\": %s", path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	umask(old);
	if (cfg.socket_group != NULL) {
		if (getgrnam_r(cfg.socket_group, &gr, grbuf, sizeof grbuf,
		    &grp) != 0 || grp == NULL) {
			xasprintf(cause, "group \"%s\" does not exist",
			    cfg.socket_group);
			goto fail;
		}
		if (chown(path, (uid_t)-1, grp->gr_gid) != 0) {
			xasprintf(cause, "could not change the group of "
			    "\"%s\": %s", path, strerror(errno));
			goto fail;
		}
	}
	if (chmod(path, (mode_t)cfg.socket_mode) != 0) {
		xasprintf(cause, "could not change the mode of \"%s\": %s",
		    path, strerror(errno));
		goto fail;
	}
	if (listen(fd, 128) != 0 || evutil_make_socket_nonblocking(fd) != 0) {
		xasprintf(cause, "could not listen on \"%s\": %s", path,
		    strerror(errno));
		goto fail;
	}
	server_unix = evhttp_accept_socket_with_handle(server_http, fd);
	if (server_unix == NULL) {
		xasprintf(cause, "could not accept on \"%s\"", path);
		goto fail;
	}
	server_unix_path = xstrdup(path);
	return 0;
fail:
	close(fd);
	unlink(path);
	return -1;
}

/* A TLS bufferevent for each TCP connection (evhttp sets the fd). */
static struct bufferevent *
server_tls_bevcb(struct event_base *base, void *arg)
{
	struct bufferevent	*bev;
	SSL			*ssl;

	(void)arg;
	if ((ssl = SSL_new(server_ssl_ctx)) == NULL)
		return NULL;
	bev = bufferevent_openssl_socket_new(base, -1, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (bev != NULL)
		bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

/*
 * The evhttp for TCP: its own one with TLS bufferevents (tls_cert and
 * tls_key), or, only when tcp_insecure is set, the plain one.
 */
static struct evhttp *
server_tcp_server(const char *spec, char **cause)
{
	if (cfg.tls_cert == NULL || cfg.tls_key == NULL) {
		if (!cfg.tcp_insecure) {
			xasprintf(cause, "listen_tcp is set but tls_cert and "
			    "tls_key are not; a TCP listener needs TLS "
			    "(tcp_insecure = yes turns TLS off, for tests "
			    "only)");
			return NULL;
		}
		log_warnx("WARNING: TCP listener %s WITHOUT TLS "
		    "(tcp_insecure = yes): bearer tokens and decisions cross "
		    "the network in clear; never use this outside tests",
		    spec);
		return server_http;
	}
	if ((server_ssl_ctx = auth_tls_context(cfg.tls_cert, cfg.tls_key,
	    cause)) == NULL)
		return NULL;
	if ((server_https = server_http_new()) == NULL) {
		xasprintf(cause, "could not create the HTTPS server");
		return NULL;
	}
	evhttp_set_bevcb(server_https, server_tls_bevcb, NULL);
	return server_https;
}

/* "host:port" or "[v6]:port" or ":port". */
static int
server_listen_tcp(const char *spec, char **cause)
{
	char		*host, *colon;
	unsigned long	 port;
	char		*end;

	if ((server_tcp_http = server_tcp_server(spec, cause)) == NULL)
		return -1;
	host = xstrdup(spec);
	if ((colon = strrchr(host, ':')) == NULL) {
		xasprintf(cause, "invalid listen_tcp \"%s\": expected "
		    "host:port", spec);
		free(host);
		return -1;
	}
	*colon = '\0';
	port = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || port == 0 || port > 65535) {
		xasprintf(cause, "invalid port in listen_tcp \"%s\"", spec);
		free(host);
		return -1;
	}
	if (*host == '[' && host[strlen(host) - 1] == ']') {
		host[strlen(host) - 1] = '\0';
		memmove(host, host + 1, strlen(host));
	}
	server_tcp = evhttp_bind_socket_with_handle(server_tcp_http,
	    *host != '\0' ? host : "0.0.0.0", (ev_uint16_t)port);
	if (server_tcp == NULL) {
		xasprintf(cause, "could not listen on TCP \"%s\": %s", spec,
		    strerror(errno));
		free(host);
		return -1;
	}
	log_info("listening on TCP %s (%s, bearer tokens required)", spec,
	    server_tcp_http == server_https ? "TLS" : "NO TLS");
	free(host);
	return 0;
}

/* Limits that SIGHUP may change, on one evhttp. */
static void
server_apply_limits_to(struct evhttp *http)
{
	size_t	 hard;

	/*
	 * evhttp answers bodies over its own limit with an HTML 413 before
	 * we see them; keep that limit well above max_body_size so that
	 * request_handle() gives the JSON 413 in all but absurd cases.
	 */
	hard = cfg.max_body_size * 8;
	if (hard < 16 * 1024 * 1024)
		hard = 16 * 1024 * 1024;
	evhttp_set_max_body_size(http, (ev_ssize_t)hard);
	evhttp_set_max_headers_size(http, (ev_ssize_t)cfg.max_header_size);
	if (cfg.idle_timeout > 0)
		evhttp_set_timeout(http, cfg.idle_timeout);
}

/* Limits that SIGHUP may change, on the plain and the TLS evhttp. */
static void
server_apply_limits(void)
{
	if (server_http != NULL)
		server_apply_limits_to(server_http);
	if (server_https != NULL)
		server_apply_limits_to(server_https);
}

/* A new evhttp with the methods, content type, limits and callback. */
static struct evhttp *
server_http_new(void)
{
	struct evhttp	*http;

	if ((http = evhttp_new(ev_base)) == NULL)
		return NULL;
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET |
	    EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
	    EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_default_content_type(http, "application/json");
	server_apply_limits_to(http);
	evhttp_set_gencb(http, server_gencb, NULL);
	evhttp_set_bevcb(http, limits_bevcb, NULL);
	return http;
}

/*
 * Sockets handed over by systemd socket activation (sd_listen_fds(3)
 * semantics, done by hand): LISTEN_PID must be our pid and LISTEN_FDS
 * fds start at 3. The variables are removed so children do not see them.
 * Returns the number of fds (0 when not socket-activated).
 */
int
server_listen_fds(void)
{
	const char	*pid, *fds;
	char		*end;
	long		 n, p;
	int		 fd;

	pid = getenv("LISTEN_PID");
	fds = getenv("LISTEN_FDS");
	if (pid == NULL || fds == NULL)
		return 0;
	p = strtol(pid, &end, 10);
	if (*pid == '\0' || *end != '\0' || p != (long)getpid())
		return 0;
	n = strtol(fds, &end, 10);
	if (*fds == '\0' || *end != '\0' || n <= 0 || n > 64)
		return 0;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	for (fd = SERVER_LISTEN_FDS_START; fd < SERVER_LISTEN_FDS_START + n;
	    fd++) {
		if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0)
			return -1;
	}
	return (int)n;
}

/* Serve the sockets systemd passed: Unix ones as the socket, TCP as TCP. */
static int
server_adopt_fds(int n, char **cause)
{
	struct sockaddr_storage		 ss;
	socklen_t			 sslen;
	struct evhttp_bound_socket	*bound;
	int				 fd, type;
	socklen_t			 tlen;

	for (fd = SERVER_LISTEN_FDS_START; fd < SERVER_LISTEN_FDS_START + n;
	    fd++) {
		sslen = sizeof ss;
		tlen = sizeof type;
		if (getsockname(fd, (struct sockaddr *)&ss, &sslen) != 0 ||
		    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) != 0 ||
		    type != SOCK_STREAM) {
			xasprintf(cause, "file descriptor %d from systemd is "
			    "not a stream socket", fd);
			return -1;
		}
		if (ss.ss_family != AF_UNIX && cfg.tcp_tokens == NULL) {
			xasprintf(cause, "systemd passed a TCP socket but "
			    "tcp_tokens is not set; a TCP listener needs "
			    "bearer tokens");
			return -1;
		}
		if (evutil_make_socket_nonblocking(fd) != 0) {
			xasprintf(cause, "could not make file descriptor %d "
			    "non-blocking", fd);
			return -1;
		}
		if (ss.ss_family != AF_UNIX && server_tcp_http == NULL &&
		    (server_tcp_http = server_tcp_server("(from systemd)",
		    cause)) == NULL)
			return -1;
		bound = evhttp_accept_socket_with_handle(ss.ss_family ==
		    AF_UNIX ? server_http : server_tcp_http, fd);
		if (bound == NULL) {
			xasprintf(cause, "could not accept on file "
			    "descriptor %d", fd);
			return -1;
		}
		if (ss.ss_family == AF_UNIX && server_unix == NULL) {
			server_unix = bound;
			log_info("listening on the Unix socket from systemd "
			    "(fd %d)", fd);
		} else if (ss.ss_family != AF_UNIX && server_tcp == NULL) {
			server_tcp = bound;
			log_info("listening on TCP from systemd (fd %d; bearer "
			    "tokens required)", fd);
		} else
			log_info("listening on file descriptor %d from systemd",
			    fd);
	}
	return 0;
}

/* Start listening. */
int
server_start(char **cause)
{
	int	 nfds;

	auth_init();
	server_http = evhttp_new(ev_base);
	if (server_http == NULL) {
		xasprintf(cause, "could not create the HTTP server");
		return -1;
	}
	evhttp_set_allowed_methods(server_http, EVHTTP_REQ_GET |
	    EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
	    EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_default_content_type(server_http, "application/json");
	server_apply_limits();
	evhttp_set_gencb(server_http, server_gencb, NULL);
	evhttp_set_bevcb(server_http, limits_bevcb, NULL);
	if ((nfds = server_listen_fds()) < 0) {
		xasprintf(cause, "could not take the sockets from systemd: %s",
		    strerror(errno));
		return -1;
	}
	if (nfds > 0)
		return server_adopt_fds(nfds, cause);
	if (server_listen_unix(cfg.socket, cause) != 0)
		return -1;
	log_info("listening on %s (mode %04o)", cfg.socket, cfg.socket_mode);
	if (cfg.listen_tcp != NULL && server_listen_tcp(cfg.listen_tcp,
	    cause) != 0)
		return -1;
	return 0;
}

/* Apply reloadable limits after SIGHUP. */
void
server_reload(void)
{
	if (server_http != NULL)
		server_apply_limits();
}

/* Stop taking new connections; requests in flight go on. */
void
server_stop_accepting(void)
{
	if (server_http == NULL)
		return;
	if (server_unix != NULL) {
		evhttp_del_accept_socket(server_http, server_unix);
		server_unix = NULL;
	}
	if (server_tcp != NULL) {
		evhttp_del_accept_socket(server_tcp_http != NULL ?
		    server_tcp_http : server_http, server_tcp);
		server_tcp = NULL;
	}
	if (server_unix_path != NULL) {
		unlink(server_unix_path);
		free(server_unix_path);
		server_unix_path = NULL;
	}
}

/* Requests in flight. */
size_t
server_inflight(void)
{
	return request_count_inflight();
}

/* Close everything (connections included). */
void
server_close(void)
{
	server_stop_accepting();
	if (server_https != NULL) {
		evhttp_free(server_https);
		server_https = NULL;
	}
	if (server_http != NULL) {
		evhttp_free(server_http);
		server_http = NULL;
	}
	limits_close();
	server_tcp_http = NULL;
	if (server_ssl_ctx != NULL) {
		SSL_CTX_free(server_ssl_ctx);
		server_ssl_ctx = NULL;
	}
}
