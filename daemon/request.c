/*
 * request.c: one HTTP request in flight, from dispatch to its reply.
 *
 * A request starts with one reference, owned by "the reply not yet sent".
 * Replying drops it; request_hold()/request_release() keep the object alive
 * while async work (SQL, audit) runs. The last release frees everything the
 * request owns in one place: request_alloc() blocks, the parsed body, the
 * query table. When the client goes away, libevent keeps the evhttp_request
 * for us until we reply (the reply then only frees it).
 */
#include <sys/queue.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "eard.h"

struct request {
	TAILQ_ENTRY(request)	 entry;
	struct evhttp_request	*req;
	char			 id[24];
	const struct route	*route;
	char			*arg;
	struct evkeyvalq	 query;
	bool			 query_parsed;
	json_t			*body;
	bool			 body_parsed;
	char			 requester[128];
	enum role		 role;
	int			 refs;
	bool			 replied;
	int			 status;
	int64_t			 start_us;
	const char		*verdict;	/* static; for the access log */
	struct event		*timeout;
	void			**allocs;
	size_t			 nallocs;
};
TAILQ_HEAD(request_list, request);
static struct request_list	 request_inflight =
    TAILQ_HEAD_INITIALIZER(request_inflight);
static size_t			 request_ninflight;
static uint64_t			 request_counter;
static uint32_t			 request_prefix;

/* The reason phrase of a status. */
static const char *
request_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	}
	return "Unknown";
}

/* Take the caller's X-Request-Id when it is short and plain, else make one. */
static void
request_make_id(struct request *r)
{
	const char	*h;
	size_t		 i, len;

	h = evhttp_find_header(evhttp_request_get_input_headers(r->req),
	    "X-Request-Id");
	if (h != NULL && (len = strlen(h)) > 0 && len < sizeof r->id) {
		for (i = 0; i < len; i++) {
			if (!isalnum((unsigned char)h[i]) && h[i] != '-' &&
			    h[i] != '_' && h[i] != '.')
				break;
		}
		if (i == len) {
			memcpy(r->id, h, len + 1);
			return;
		}
	}
	if (request_prefix == 0) {
		struct timespec	 ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		request_prefix = (uint32_t)(ts.tv_nsec ^ (ts.tv_sec << 8) ^
		    ((uint32_t)getpid() << 16)) | 1;
	}
	snprintf(r->id, sizeof r->id, "%06x-%llu",
	    (unsigned)(request_prefix & 0xffffff),
	    (unsigned long long)++request_counter);
}

/* Free the request and everything it owns. */
static void
request_free(struct request *r)
{
	size_t	 i;

	TAILQ_REMOVE(&request_inflight, r, entry);
	request_ninflight--;
	if (r->timeout != NULL)
		event_free(r->timeout);
	for (i = 0; i < r->nallocs; i++)
		free(r->allocs[i]);
	free(r->allocs);
	if (r->query_parsed)
		evhttp_clear_headers(&r->query);
	json_decref(r->body);
	free(r->arg);
	free(r);
}

/* Keep the request alive while async work runs. */
void
request_hold(struct request *r)
{
	r->refs++;
}

/* Drop a reference; the last one frees the request. */
void
request_release(struct request *r)
{
	if (--r->refs == 0)
		request_free(r);
}

/* Has the request been answered (or timed out)? */
bool
request_replied(struct request *r)
{
	return r->replied;
}

/* The client closed its connection before the reply. */
bool
request_gone(struct request *r)
{
	return evhttp_request_get_connection(r->req) == NULL;
}

/* What a check or screening answered, for the access log line. */
void
request_set_verdict(struct request *r, const char *verdict)
{
	r->verdict = verdict;
}

/*
 * The access log line: with log_format = json at level info, with the
 * request id, method, route, path, status, duration and verdict as
 * members; as text at level debug.
 */
static void
request_log_access(struct request *r, int status, int64_t us)
{
	json_t		*f;
	bool		 json;
	char		 msg[64];

	json = cfg.log_format != NULL && strcmp(cfg.log_format, "json") == 0;
	if (log_get_level() < (json ? LOG_LVL_INFO : LOG_LVL_DEBUG))
		return;
	f = json_pack("{s:s, s:s, s:s, s:i, s:f, s:s}",
	    "method", r->route != NULL ? r->route->method : "-",
	    "route", r->route != NULL ? r->route->path : "unmatched",
	    "path", evhttp_request_get_uri(r->req), "status", status,
	    "duration_ms", (double)us / 1000.0, "requester", r->requester);
	if (f == NULL)
		return;
	if (r->verdict != NULL)
		json_object_set_new(f, "verdict", json_string(r->verdict));
	snprintf(msg, sizeof msg, "request done");
	log_rfields(json ? LOG_LVL_INFO : LOG_LVL_DEBUG, r->id, msg, f);
	json_decref(f);
}

/* Send status and buffer, record metrics, drop the reply reference. */
static void
request_send(struct request *r, int status, const char *ctype,
    struct evbuffer *buf)
{
	struct evkeyvalq	*out;
	int64_t			 us;

	if (r->replied) {
		log_rwarnx(r->id, "second reply to one request ignored");
		evbuffer_free(buf);
		return;
	}
	r->replied = true;
	r->status = status;
	if (r->timeout != NULL)
		evtimer_del(r->timeout);
	out = evhttp_request_get_output_headers(r->req);
	evhttp_add_header(out, "Content-Type", ctype);
	evhttp_add_header(out, "X-Request-Id", r->id);
	if (status == 503 && evhttp_find_header(out, "Retry-After") == NULL)
		evhttp_add_header(out, "Retry-After", "1");
	if (eard_stopping())
		evhttp_add_header(out, "Connection", "close");
	evhttp_send_reply(r->req, status, request_reason(status), buf);
	evbuffer_free(buf);
	us = eard_now_us() - r->start_us;
	metrics_count_request(r->route != NULL ? r->route->path : "unmatched",
	    status, us);
	request_log_access(r, status, us);
	request_release(r);
}

/* Reply with a JSON body (stolen). */
void
request_reply_json(struct request *r, int status, json_t *body)
{
	struct evbuffer	*buf;
	char		*s;
	size_t		 len = 0;

	buf = evbuffer_new();
	if (buf == NULL)
		fatalx("out of memory");
	/*
	 * jansson's compact form with 15 significant digits (a density of
	 * 19.45 prints as 19.45), written by canon_dumps() in a fraction of
	 * json_dumps()'s time.
	 */
	s = body != NULL ? canon_dumps(body, &len) : NULL;
	json_decref(body);
	if (s == NULL) {
		log_rwarnx(r->id, "could not encode a reply");
		status = 500;
		s = xstrdup("{\"error\":{\"code\":\"internal_error\","
		    "\"message\":\"could not encode the reply\","
		    "\"field\":null}}");
		len = strlen(s);
	}
	evbuffer_add(buf, s, len);
	evbuffer_add(buf, "\n", 1);
	free(s);
	request_send(r, status, "application/json", buf);
}

/* Reply {"error":{...}} with the error's status. */
void
request_reply_error(struct request *r, const struct ear_error *err)
{
	int	 status = err->status >= 400 ? err->status : 500;

	if (status >= 500)
		log_rwarnx(r->id, "%s: %s", err->code != NULL ? err->code :
		    "error", err->message != NULL ? err->message : "");
	request_reply_json(r, status, error_to_json(err));
}

/* Reply an error built from a format. */
void
request_reply_errorf(struct request *r, int status, const char *code,
    const char *field, const char *fmt, ...)
{
	struct ear_error	 err = { 0 };
	va_list			 ap;
	char			*msg;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	error_set(&err, status, code, field, "%s", msg);
	free(msg);
	request_reply_error(r, &err);
	error_clear(&err);
}

/* Reply with a text body of the given content type. */
void
request_reply_text(struct request *r, int status, const char *ctype,
    const char *text)
{
	struct evbuffer	*buf;

	if ((buf = evbuffer_new()) == NULL)
		fatalx("out of memory");
	evbuffer_add(buf, text, strlen(text));
	request_send(r, status, ctype, buf);
}

/* Memory freed with the request. */
void *
request_alloc(struct request *r, size_t size)
{
	void	*p;

	p = xcalloc(1, size != 0 ? size : 1);
	r->allocs = xreallocarray(r->allocs, r->nallocs + 1,
	    sizeof *r->allocs);
	r->allocs[r->nallocs++] = p;
	return p;
}

/* A copy of s freed with the request. */
char *
request_strdup(struct request *r, const char *s)
{
	size_t	 len = strlen(s);
	char	*p;

	p = request_alloc(r, len + 1);
	memcpy(p, s, len + 1);
	return p;
}

/* The parsed JSON body; replies 400 (and returns NULL) when it is bad. */
json_t *
request_json(struct request *r)
{
	struct evbuffer	*in;
	json_error_t	 jerr;
	size_t		 len;
	const char	*data;

	if (r->body_parsed) {
		if (r->body == NULL && !r->replied)
			request_reply_errorf(r, 400, "malformed_json", NULL,
			    "request body is not valid JSON");
		return r->body;
	}
	r->body_parsed = true;
	in = evhttp_request_get_input_buffer(r->req);
	len = evbuffer_get_length(in);
	if (len == 0) {
		request_reply_errorf(r, 400, "empty_body", NULL,
		    "request body is empty; expected a JSON object");
		return NULL;
	}
	data = (const char *)evbuffer_pullup(in, -1);
	r->body = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (r->body == NULL) {
		request_reply_errorf(r, 400, "malformed_json", NULL,
		    "malformed JSON at line %d, column %d: %s", jerr.line,
		    jerr.column, jerr.text);
		return NULL;
	}
	if (!json_is_object(r->body)) {
		json_decref(r->body);
		r->body = NULL;
		request_reply_errorf(r, 400, "malformed_json", NULL,
		    "request body must be a JSON object");
		return NULL;
	}
	return r->body;
}

/* The raw body and its length (borrowed; for non-JSON bodies). */
const char *
request_body(struct request *r, size_t *len)
{
	struct evbuffer	*in;

	in = evhttp_request_get_input_buffer(r->req);
	*len = evbuffer_get_length(in);
	if (*len == 0)
		return ("");
	return ((const char *)evbuffer_pullup(in, -1));
}

/* The path after a prefix route, URL-decoded ("" if none). */
const char *
request_arg(struct request *r)
{
	return r->arg != NULL ? r->arg : "";
}

/* A query-string parameter, or NULL. */
const char *
request_query(struct request *r, const char *key)
{
	const struct evhttp_uri	*uri;
	const char		*q;

	if (!r->query_parsed) {
		TAILQ_INIT(&r->query);
		r->query_parsed = true;
		uri = evhttp_request_get_evhttp_uri(r->req);
		q = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
		if (q != NULL && evhttp_parse_query_str(q, &r->query) != 0)
			evhttp_clear_headers(&r->query);
	}
	return evhttp_find_header(&r->query, key);
}

/* The request id, for logs and X-Request-Id. */
const char *
request_id(struct request *r)
{
	return r->id;
}

/* Who asked: "uid:1000(name)" or "token:NAME". */
const char *
request_requester(struct request *r)
{
	return r->requester;
}

/* The matched route's path, or "unmatched". */
const char *
request_route(struct request *r)
{
	return r->route != NULL ? r->route->path : "unmatched";
}

/* The role of the peer. */
enum role
request_role(struct request *r)
{
	return r->role;
}

/* Requests not yet freed. */
size_t
request_count_inflight(void)
{
	return request_ninflight;
}

/* request_timeout passed without a reply. */
static void
request_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct request	*r = arg;

	(void)fd;
	(void)what;
	if (r->replied)
		return;
	log_rwarnx(r->id, "request timed out after %d s", cfg.request_timeout);
	limits_hit("request_timeout");
	request_reply_errorf(r, 503, "timeout", NULL,
	    "request did not complete within %d seconds",
	    cfg.request_timeout);
}

/* The method's name as the route table writes it. */
static const char *
request_method_name(enum evhttp_cmd_type cmd)
{
	switch (cmd) {
	case EVHTTP_REQ_GET: return "GET";
	case EVHTTP_REQ_POST: return "POST";
	case EVHTTP_REQ_HEAD: return "HEAD";
	case EVHTTP_REQ_PUT: return "PUT";
	case EVHTTP_REQ_DELETE: return "DELETE";
	case EVHTTP_REQ_OPTIONS: return "OPTIONS";
	case EVHTTP_REQ_TRACE: return "TRACE";
	case EVHTTP_REQ_CONNECT: return "CONNECT";
	case EVHTTP_REQ_PATCH: return "PATCH";
	}
	return "UNKNOWN";
}

/* Everything evhttp hands us: route, authorise, size-check, run. */
void
request_handle(struct evhttp_request *req)
{
	struct request		*r;
	const struct route	*rt;
	const struct evhttp_uri	*uri;
	struct ear_error	 err = { 0 };
	struct timeval		 tv;
	const char		*path, *method, *rest = NULL;
	char			*dpath, allow[128];
	bool			 wrong_method = false;

	r = xcalloc(1, sizeof *r);
	r->req = req;
	r->refs = 1;
	r->start_us = eard_now_us();
	TAILQ_INSERT_TAIL(&request_inflight, r, entry);
	request_ninflight++;
	request_make_id(r);

	if (eard_stopping()) {
		request_reply_errorf(r, 503, "shutting_down", NULL,
		    "the server is shutting down");
		return;
	}
	if (server_identify(req, &r->role, r->requester, sizeof r->requester,
	    &err) != 0) {
		request_reply_error(r, &err);
		error_clear(&err);
		return;
	}

	uri = evhttp_request_get_evhttp_uri(req);
	path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	if (path == NULL || *path == '\0')
		path = "/";
	method = request_method_name(evhttp_request_get_command(req));
	rt = routes_find(method, path, &wrong_method, allow, sizeof allow,
	    &rest);
	if (rt == NULL && wrong_method) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", allow);
		request_reply_errorf(r, 405, "method_not_allowed", NULL,
		    "method %s is not allowed on %s; allowed: %s", method,
		    path, allow);
		return;
	}
	if (rt == NULL) {
		request_reply_errorf(r, 404, "not_found", NULL,
		    "no route for %s %s", method, path);
		return;
	}
	r->route = rt;
	if (rest != NULL) {
		dpath = evhttp_uridecode(rest, 0, NULL);
		r->arg = dpath != NULL ? xstrdup(dpath) : xstrdup(rest);
		free(dpath);
	}
	if (!server_role_allows(r->role, rt->role)) {
		request_reply_errorf(r, 403, "forbidden", NULL,
		    "%s may not use %s %s: role %s needed, has %s",
		    r->requester, rt->method, rt->path,
		    server_role_name(rt->role), server_role_name(r->role));
		return;
	}
	if (evbuffer_get_length(evhttp_request_get_input_buffer(req)) >
	    cfg.max_body_size) {
		limits_hit("max_body_size");
		request_reply_errorf(r, 413, "body_too_large", NULL,
		    "request body is larger than max_body_size (%zu bytes)%s",
		    cfg.max_body_size, strncmp(rt->path, "/v1/import/", 11) == 0 ?
		    "; import larger files with earctl import" : "");
		return;
	}
	if (cfg.request_timeout > 0) {
		r->timeout = evtimer_new(ev_base, request_timeout_cb, r);
		tv.tv_sec = cfg.request_timeout;
		tv.tv_usec = 0;
		evtimer_add(r->timeout, &tv);
	}
	log_rdebug(r->id, "%s %s from %s", method, path, r->requester);
	request_hold(r);
	rt->fn(r);
	request_release(r);
}
