/*
 * limits.c: the limits eard puts on its clients, and what it counts when one
 * is hit (eard_limit_hits_total{limit="..."}).
 *
 * Connections are tracked from accept: evhttp asks limits_bevcb() for each
 * connection's bufferevent, and we keep a reference to it. evhttp frees a
 * connection's bufferevent by dropping its callbacks and its reference; the
 * periodic sweep sees the callbacks gone and drops ours. So a connection
 * over max_connections is refused as soon as it is accepted (a JSON 503
 * written straight to the socket, then shut down), before it sends anything
 * or costs a request, and a client sending a request slower than
 * read_timeout (slowloris) is cut off. Everything here runs on the loop.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "eard.h"

struct limits_conn {
	TAILQ_ENTRY(limits_conn) entry;
	struct bufferevent	*bev;		/* our reference */
	struct evbuffer_cb_entry *incb;
	int64_t			 reading_us;	/* first byte of a request */
	int64_t			 active_us;	/* last bytes or request */
	size_t			 received;	/* bytes since reading_us */
	unsigned		 requests;
	bool			 refused;	/* over max_connections */
	bool			 answered;	/* the refusal was sent */
	bool			 pending;	/* limits_refuse_cb to run */
};
static TAILQ_HEAD(limits_conns_head, limits_conn) limits_conns =
    TAILQ_HEAD_INITIALIZER(limits_conns);
static size_t			 limits_nconns;	/* not refused */
static struct event		*limits_sweep_ev;

/* The limits, in the order /metrics lists them. */
static const char *const limits_names[] = {
	"max_body_size", "max_header_size", "max_connections",
	"max_requests_per_connection", "request_timeout", "read_timeout",
	"idle_timeout", "batch_max", "max_pending_decisions",
	"spool_max_bytes", "malformed_request"
};
static uint64_t			 limits_counts[nitems(limits_names)];

/* Count one hit of a limit (a name of limits_names). */
void
limits_hit(const char *name)
{
	size_t	 i;

	for (i = 0; i < nitems(limits_names); i++) {
		if (strcmp(limits_names[i], name) == 0) {
			limits_counts[i]++;
			return;
		}
	}
	log_warnx("unknown limit \"%s\" counted", name);
}

/* How often a limit was hit. */
uint64_t
limits_hits(const char *name)
{
	size_t	 i;

	for (i = 0; i < nitems(limits_names); i++) {
		if (strcmp(limits_names[i], name) == 0)
			return limits_counts[i];
	}
	return 0;
}

/* Connections open now (refused ones excluded). */
size_t
limits_connections(void)
{
	return limits_nconns;
}

/* The metrics of this file, Prometheus text; caller frees. */
char *
limits_render(void)
{
	char	*out, *tmp;
	size_t	 i;

	xasprintf(&out, "# HELP eard_limit_hits_total Requests or "
	    "connections refused or cut by a limit, by limit (the config "
	    "key).\n# TYPE eard_limit_hits_total counter\n");
	for (i = 0; i < nitems(limits_names); i++) {
		xasprintf(&tmp, "%seard_limit_hits_total{limit=\"%s\"} %llu\n",
		    out, limits_names[i], (unsigned long long)limits_counts[i]);
		free(out);
		out = tmp;
	}
	xasprintf(&tmp, "%s# HELP eard_connections Client connections "
	    "open.\n# TYPE eard_connections gauge\neard_connections %zu\n",
	    out, limits_nconns);
	free(out);
	return tmp;
}

/* Has evhttp let go of the connection (bufferevent_free drops callbacks)? */
static bool
limits_conn_dead(struct limits_conn *c)
{
	bufferevent_data_cb	 rd, wr;
	bufferevent_event_cb	 ev;
	void			*arg;

	bufferevent_getcb(c->bev, &rd, &wr, &ev, &arg);
	return rd == NULL && wr == NULL && ev == NULL;
}

/* Forget a connection evhttp has freed. */
static void
limits_conn_free(struct limits_conn *c)
{
	TAILQ_REMOVE(&limits_conns, c, entry);
	if (!c->refused)
		limits_nconns--;
	evbuffer_remove_cb_entry(bufferevent_get_input(c->bev), c->incb);
	bufferevent_decref(c->bev);
	free(c);
}

/*
 * Write a whole HTTP error to a connection's socket without waiting and
 * shut our side. With now, tell evhttp it reached end of file so that it
 * frees the connection at once; else it is freed when the client closes
 * (a client still sending its request must be able to read the answer).
 */
static void
limits_send_close(struct bufferevent *bev, evutil_socket_t fd, bool now,
    int status, const char *reason, const char *code, const char *message)
{
	char	*body, *msg;
	ssize_t	 n;

	xasprintf(&body, "{\"error\":{\"code\":\"%s\",\"message\":\"%s\","
	    "\"field\":null}}\n", code, message);
	xasprintf(&msg, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
	    "Content-Length: %zu\r\n%sConnection: close\r\n\r\n%s", status,
	    reason, strlen(body), status == 503 ? "Retry-After: 1\r\n" : "",
	    body);
	/* best effort: the socket buffer of a new connection holds this */
	n = send(fd, msg, strlen(msg), MSG_NOSIGNAL | MSG_DONTWAIT);
	(void)n;
	shutdown(fd, SHUT_WR);
	free(msg);
	free(body);
	if (now)
		bufferevent_trigger_event(bev, BEV_EVENT_READING |
		    BEV_EVENT_EOF, 0);
}

/* A connection over max_connections: answer 503 before it asks. */
static void
limits_refuse_cb(evutil_socket_t fd, short what, void *arg)
{
	struct limits_conn	*c = arg;
	evutil_socket_t		 sfd;

	(void)fd;
	(void)what;
	c->pending = false;
	if (c->answered || limits_conn_dead(c))
		return;
	c->answered = true;
	if ((sfd = bufferevent_getfd(c->bev)) == -1)
		return;
	limits_send_close(c->bev, sfd, false, 503, "Service Unavailable",
	    "too_many_connections", "more than max_connections connections "
	    "are open; retry later");
}

/* Bytes arrived: a request has started if none was being read. */
static void
limits_input_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct limits_conn	*c = arg;

	(void)buf;
	if (info->n_added == 0)
		return;
	c->active_us = eard_now_us();
	if (c->reading_us == 0) {
		c->reading_us = c->active_us;
		c->received = 0;
	}
	c->received += info->n_added;
}

/* Once a second: forget closed connections, cut slow requests. */
static void
limits_sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct limits_conn	*c, *next;
	int64_t			 now = eard_now_us();
	evutil_socket_t		 sfd;

	(void)fd;
	(void)what;
	(void)arg;
	for (c = TAILQ_FIRST(&limits_conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (limits_conn_dead(c)) {
			if (c->pending)
				continue;
			/* evhttp's idle timer closed it (idle_timeout) */
			if (!c->refused && cfg.idle_timeout > 0 &&
			    now - c->active_us >=
			    (int64_t)cfg.idle_timeout * 1000000 - 100000)
				limits_hit("idle_timeout");
			limits_conn_free(c);
			continue;
		}
		if (c->refused || c->reading_us == 0 || cfg.read_timeout <= 0 ||
		    now - c->reading_us < (int64_t)cfg.read_timeout * 1000000)
			continue;
		limits_hit("read_timeout");
		c->reading_us = 0;
		/* shut down: no longer counted, whenever evhttp frees it */
		c->refused = true;
		limits_nconns--;
		if ((sfd = bufferevent_getfd(c->bev)) == -1)
			continue;
		log_info("closing a connection that sent no whole request "
		    "within read_timeout (%d s)", cfg.read_timeout);
		limits_send_close(c->bev, sfd, true, 408, "Request Timeout",
		    "read_timeout", "the request was not received within "
		    "read_timeout seconds");
	}
}

/* Track a connection's bufferevent (evhttp will set its fd). */
void
limits_track(struct bufferevent *bev)
{
	struct limits_conn	*c;
	struct timeval		 zero = { 0, 0 };

	if (limits_sweep_ev == NULL) {
		limits_sweep_ev = event_new(ev_base, -1, EV_PERSIST,
		    limits_sweep_cb, NULL);
		if (limits_sweep_ev != NULL) {
			struct timeval	 tv = { 1, 0 };

			evtimer_add(limits_sweep_ev, &tv);
		}
	}
	c = xcalloc(1, sizeof *c);
	c->bev = bev;
	c->active_us = eard_now_us();
	bufferevent_incref(bev);
	c->incb = evbuffer_add_cb(bufferevent_get_input(bev),
	    limits_input_cb, c);
	/* closed connections must not count against the new one */
	if (cfg.max_connections > 0 &&
	    limits_nconns >= (size_t)cfg.max_connections)
		limits_sweep_cb(-1, 0, NULL);
	if (cfg.max_connections > 0 &&
	    limits_nconns >= (size_t)cfg.max_connections) {
		c->refused = true;
		c->pending = true;
		limits_hit("max_connections");
		event_base_once(ev_base, -1, EV_TIMEOUT, limits_refuse_cb, c,
		    &zero);
	} else
		limits_nconns++;
	TAILQ_INSERT_TAIL(&limits_conns, c, entry);
}

/* evhttp's bufferevent factory for plain connections: tracked. */
struct bufferevent *
limits_bevcb(struct event_base *base, void *arg)
{
	struct bufferevent	*bev;

	(void)arg;
	if ((bev = bufferevent_socket_new(base, -1, 0)) == NULL)
		return NULL;
	limits_track(bev);
	return bev;
}

/*
 * A whole request arrived on a connection: refuse it if the connection is
 * over max_connections (the race with limits_refuse_cb), and ask evhttp to
 * close after this reply when the connection has served
 * max_requests_per_connection requests.
 */
int
limits_admit(struct evhttp_request *req, struct ear_error *err)
{
	struct evhttp_connection	*evcon;
	struct bufferevent		*bev;
	struct limits_conn		*c;
	struct evkeyvalq		*out;

	if ((evcon = evhttp_request_get_connection(req)) == NULL)
		return 0;
	bev = evhttp_connection_get_bufferevent(evcon);
	TAILQ_FOREACH_REVERSE(c, &limits_conns, limits_conns_head, entry) {
		if (c->bev == bev)
			break;
	}
	if (c == NULL)
		return 0;
	out = evhttp_request_get_output_headers(req);
	c->reading_us = 0;
	c->active_us = eard_now_us();
	if (c->refused) {
		c->answered = true;
		evhttp_add_header(out, "Connection", "close");
		error_set(err, 503, "too_many_connections", NULL,
		    "more than max_connections (%d) connections are open",
		    cfg.max_connections);
		return -1;
	}
	c->requests++;
	if (cfg.max_requests_per_connection > 0 &&
	    c->requests >= (unsigned)cfg.max_requests_per_connection) {
		if (c->requests == (unsigned)cfg.max_requests_per_connection)
			limits_hit("max_requests_per_connection");
		evhttp_add_header(out, "Connection", "close");
	}
	return 0;
}

/*
 * Did the request that evhttp failed to parse have headers over
 * max_header_size? (evhttp fails both a bad and a too long header block
 * with 400.) The bytes it consumed of this request tell.
 */
static bool
limits_headers_too_large(struct evhttp_request *req)
{
	struct evhttp_connection	*evcon;
	struct bufferevent		*bev;
	struct limits_conn		*c;
	size_t				 left;

	if ((evcon = evhttp_request_get_connection(req)) == NULL)
		return false;
	bev = evhttp_connection_get_bufferevent(evcon);
	TAILQ_FOREACH_REVERSE(c, &limits_conns, limits_conns_head, entry) {
		if (c->bev == bev)
			break;
	}
	if (c == NULL || c->reading_us == 0)
		return false;
	left = evbuffer_get_length(bufferevent_get_input(bev));
	return c->received > left &&
	    c->received - left > cfg.max_header_size;
}

/* Forget every connection (at exit, after evhttp_free). */
void
limits_close(void)
{
	struct limits_conn	*c;

	while ((c = TAILQ_FIRST(&limits_conns)) != NULL) {
		c->pending = false;
		limits_conn_free(c);
	}
	if (limits_sweep_ev != NULL) {
		event_free(limits_sweep_ev);
		limits_sweep_ev = NULL;
	}
}

/*
 * evhttp answers what it cannot parse (a bad request line, headers over
 * max_header_size, a body over its hard limit) with evhttp_send_error(), an
 * HTML page. libevent calls it through its PLT, so this definition replaces
 * it for the whole process (ELF symbol interposition): every error eard
 * sends is JSON, and each is counted.
 */
void
evhttp_send_error(struct evhttp_request *req, int error, const char *reason)
{
	struct evkeyvalq	*in, *out;
	struct evbuffer		*buf;
	const char		*code, *limit, *msg, *cl;
	char			*body;

	in = evhttp_request_get_input_headers(req);
	cl = in != NULL ? evhttp_find_header(in, "Content-Length") : NULL;
	switch (error) {
	case HTTP_ENTITYTOOLARGE:
		if (cl != NULL && strtoull(cl, NULL, 10) > cfg.max_body_size) {
			code = "body_too_large";
			limit = "max_body_size";
			msg = "request body is larger than max_body_size";
		} else {
			code = "headers_too_large";
			limit = "max_header_size";
			msg = "request headers are larger than max_header_size";
		}
		reason = "Payload Too Large";
		break;
	case HTTP_BADREQUEST:
		if (limits_headers_too_large(req)) {
			code = "headers_too_large";
			limit = "max_header_size";
			msg = "request headers are larger than max_header_size";
			error = 431;
			reason = "Request Header Fields Too Large";
			break;
		}
		code = "malformed_request";
		limit = "malformed_request";
		msg = "the request is not valid HTTP/1.1";
		reason = "Bad Request";
		break;
	case HTTP_NOTFOUND:
		code = "not_found";
		limit = NULL;
		msg = "not found";
		break;
	case HTTP_BADMETHOD:
		code = "method_not_allowed";
		limit = NULL;
		msg = "method not allowed";
		break;
	default:
		code = "http_error";
		limit = NULL;
		msg = "the request could not be served";
		break;
	}
	if (limit != NULL)
		limits_hit(limit);
	if ((buf = evbuffer_new()) == NULL)
		fatalx("out of memory");
	xasprintf(&body, "{\"error\":{\"code\":\"%s\",\"message\":\"%s\","
	    "\"field\":null}}\n", code, msg);
	evbuffer_add(buf, body, strlen(body));
	free(body);
	out = evhttp_request_get_output_headers(req);
	evhttp_clear_headers(out);
	evhttp_add_header(out, "Content-Type", "application/json");
	evhttp_add_header(out, "Connection", "close");
	evhttp_send_reply(req, error, reason != NULL ? reason : "Error", buf);
	evbuffer_free(buf);
}
