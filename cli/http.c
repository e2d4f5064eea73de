/*
 * http.c: a small blocking HTTP/1.1 client for earctl. One request per
 * connection (Connection: close) over eard's Unix socket, or over TCP with
 * a bearer token. Replies are read whole (bounded) and parsed by
 * http_response_parse(), which knows Content-Length, chunked and
 * read-to-close bodies and calls a reply cut short an error.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "earctl.h"

#define HTTP_MAX_REPLY	(256 * 1024 * 1024)	/* a big report, not more */
#define HTTP_MAX_HEAD	(64 * 1024)

/* Free what a parsed response owns and zero it. */
void
http_response_free(struct http_response *r)
{
	size_t	i;

	for (i = 0; i < r->nheaders; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	free(r->headers);
	free(r->reason);
	free(r->body);
	memset(r, 0, sizeof *r);
}

/* A header's value (first of that name, case-insensitive), or NULL. */
const char *
http_response_header(const struct http_response *r, const char *name)
{
	size_t	i;

	for (i = 0; i < r->nheaders; i++) {
		if (strcasecmp(r->headers[i].name, name) == 0)
			return (r->headers[i].value);
	}
	return (NULL);
}

/* Find "\r\n" (or a bare "\n") in [p, end); returns the line end or NULL. */
static const char *
http_find_eol(const char *p, const char *end, size_t *eollen)
{
	const char	*nl;

	nl = memchr(p, '\n', end - p);
	if (nl == NULL)
		return (NULL);
	if (nl > p && nl[-1] == '\r') {
		*eollen = 2;
		return (nl - 1);
	}
	*eollen = 1;
	return (nl);
}

/* Parse "HTTP/1.x NNN reason". */
static int
http_parse_status(const char *p, const char *eol, struct http_response *r,
    char **cause)
{
	size_t	len = eol - p;
	int	i, status = 0;

	if (len < 12 || strncmp(p, "HTTP/1.", 7) != 0 ||
	    (p[7] != '0' && p[7] != '1') || p[8] != ' ') {
		xasprintf(cause, "malformed HTTP status line");
		return (-1);
	}
	for (i = 9; i < 12; i++) {
		if (p[i] < '0' || p[i] > '9') {
			xasprintf(cause, "malformed HTTP status code");
			return (-1);
		}
		status = status * 10 + (p[i] - '0');
	}
	if (status < 100 || (len > 12 && p[12] != ' ')) {
		xasprintf(cause, "malformed HTTP status code");
		return (-1);
	}
	r->status = status;
	r->reason = len > 13 ? xstrndup(p + 13, len - 13) : xstrdup("");
	return (0);
}

/* Parse one "Name: value" header line into r. */
static int
http_parse_header(const char *p, const char *eol, struct http_response *r,
    char **cause)
{
	const char	*colon, *v, *ve;

	colon = memchr(p, ':', eol - p);
	if (colon == NULL || colon == p) {
		xasprintf(cause, "malformed HTTP header line");
		return (-1);
	}
	for (v = colon + 1; v < eol && (*v == ' ' || *v == '\t'); v++)
		;
	for (ve = eol; ve > v && (ve[-1] == ' ' || ve[-1] == '\t'); ve--)
		;
	r->headers = xreallocarray(r->headers, r->nheaders + 1,
	    sizeof *r->headers);
	r->headers[r->nheaders].name = xstrndup(p, colon - p);
	r->headers[r->nheaders].value = xstrndup(v, ve - v);
	r->nheaders++;
	return (0);
}

/* Parse a decimal Content-Length strictly. */
static int
http_parse_length(const char *s, size_t *out)
{
	size_t	n = 0;

	if (*s == '\0')
		return (-1);
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || n > HTTP_MAX_REPLY)
			return (-1);
		n = n * 10 + (*s - '0');
	}
	if (n > HTTP_MAX_REPLY)
		return (-1);
	*out = n;
	return (0);
}

/*
 * Decode a chunked body from [p, end) into r->body. Returns 0 done, 1 need
 * more, -1 malformed.
 */
static int
http_parse_chunked(const char *p, const char *end, struct http_response *r,
    char **cause)
{
	const char	*eol, *q;
	size_t		 eollen, size, cap = 0, len = 0;
	char		*body = NULL;
	int		 digit;

	for (;;) {
		if ((eol = http_find_eol(p, end, &eollen)) == NULL)
			goto more;
		size = 0;
		for (q = p; q < eol && *q != ';'; q++) {
			if (*q >= '0' && *q <= '9')
				digit = *q - '0';
			else if (*q >= 'a' && *q <= 'f')
				digit = *q - 'a' + 10;
			else if (*q >= 'A' && *q <= 'F')
				digit = *q - 'A' + 10;
			else
				goto bad;
			if (size > HTTP_MAX_REPLY / 16)
				goto bad;
			size = size * 16 + digit;
		}
		if (q == p)
			goto bad;
		p = eol + eollen;
		if (size == 0) {
			/* Trailers, then the empty line. */
			for (;;) {
				if ((eol = http_find_eol(p, end, &eollen)) ==
				    NULL)
					goto more;
				if (eol == p)
					break;
				p = eol + eollen;
			}
			break;
		}
		if (len + size > HTTP_MAX_REPLY)
			goto bad;
		if ((size_t)(end - p) < size + 1)
			goto more;
		if (len + size + 1 > cap) {
			cap = (len + size + 1) * 2;
			body = xreallocarray(body, cap, 1);
		}
		memcpy(body + len, p, size);
		len += size;
		p += size;
		if (*p == '\r') {
			if (end - p < 2)
				goto more;
			if (p[1] != '\n')
				goto bad;
			p += 2;
		} else if (*p == '\n')
			p++;
		else
			goto bad;
	}
	if (body == NULL)
		body = xmalloc(1);
	body[len] = '\0';
	r->body = body;
	r->body_len = len;
	return (0);
more:
	free(body);
	return (1);
bad:
	free(body);
	xasprintf(cause, "malformed chunked body in HTTP reply");
	return (-1);
}

/*
 * Parse a whole HTTP/1.1 response from buf. eof says the peer closed the
 * connection, so nothing more will come. Returns 0 with r filled, 1 when
 * more bytes are needed (never when eof), -1 with *cause on a malformed or
 * truncated reply. r is left empty unless 0 is returned.
 */
int
http_response_parse(const char *buf, size_t len, bool eof,
    struct http_response *r, char **cause)
{
	const char	*p = buf, *end = buf + len, *eol, *te, *cl;
	size_t		 eollen, blen;
	int		 rc;

	memset(r, 0, sizeof *r);
	if ((eol = http_find_eol(p, end, &eollen)) == NULL) {
		if (len > HTTP_MAX_HEAD) {
			xasprintf(cause, "HTTP status line too long");
			return (-1);
		}
		goto more;
	}
	if (http_parse_status(p, eol, r, cause) != 0)
		goto bad;
	p = eol + eollen;
	for (;;) {
		if ((eol = http_find_eol(p, end, &eollen)) == NULL) {
			if (len > HTTP_MAX_HEAD) {
				xasprintf(cause, "HTTP headers too long");
				goto bad;
			}
			goto more;
		}
		if (eol == p) {
			p = eol + eollen;
			break;
		}
		if (http_parse_header(p, eol, r, cause) != 0)
			goto bad;
		p = eol + eollen;
	}

	te = http_response_header(r, "Transfer-Encoding");
	cl = http_response_header(r, "Content-Length");
	if (te != NULL && strcasecmp(te, "identity") != 0) {
		if (strcasecmp(te, "chunked") != 0) {
			xasprintf(cause, "unsupported transfer encoding \"%s\"",
			    te);
			goto bad;
		}
		rc = http_parse_chunked(p, end, r, cause);
		if (rc < 0)
			goto bad;
		if (rc > 0)
			goto more;
		return (0);
	}
	if (r->status == 204 || r->status == 304 || r->status < 200)
		blen = 0;
	else if (cl != NULL) {
		if (http_parse_length(cl, &blen) != 0) {
			xasprintf(cause, "invalid Content-Length \"%s\"", cl);
			goto bad;
		}
		if ((size_t)(end - p) < blen)
			goto more;
	} else {
		/* No length: the body runs to the end of the connection. */
		if (!eof)
			goto more;
		blen = end - p;
	}
	r->body = xmalloc(blen + 1);
	memcpy(r->body, p, blen);
	r->body[blen] = '\0';
	r->body_len = blen;
	return (0);
more:
	http_response_free(r);
	if (eof) {
		xasprintf(cause, "truncated HTTP reply (%zu bytes)", len);
		return (-1);
	}
	return (1);
bad:
	http_response_free(r);
	return (-1);
}

/* Connect to a Unix socket; returns the fd or -1 with *cause. */
int
http_connect_unix(const char *path, char **cause)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path) {
		xasprintf(cause, "socket path \"%s\" is too long", path);
		return (-1);
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		xasprintf(cause, "could not create socket: %s",
		    strerror(errno));
		return (-1);
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		xasprintf(cause, "could not connect to eard at \"%s\": %s",
		    path, strerror(errno));
		close(fd);
		return (-1);
	}
	return (fd);
}

/* Connect to HOST:PORT over TCP; returns the fd or -1 with *cause. */
int
http_connect_tcp(const char *hostport, char **cause)
{
	struct addrinfo	 hints, *res, *ai;
	char		*host, *port;
	int		 fd = -1, error, saved = 0;

	host = xstrdup(hostport);
	if (host[0] == '[' && (port = strstr(host, "]:")) != NULL) {
		*port = '\0';
		port += 2;
		memmove(host, host + 1, strlen(host + 1) + 1);
	} else if ((port = strrchr(host, ':')) != NULL)
		*port++ = '\0';
	if (port == NULL || *port == '\0' || *host == '\0') {
		xasprintf(cause, "invalid TCP address \"%s\": use HOST:PORT",
		    hostport);
		free(host);
		return (-1);
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((error = getaddrinfo(host, port, &hints, &res)) != 0) {
		xasprintf(cause, "could not resolve \"%s\": %s", hostport,
		    gai_strerror(error));
		free(host);
		return (-1);
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd == -1) {
			saved = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	free(host);
	if (fd == -1)
		xasprintf(cause, "could not connect to eard at \"%s\": %s",
		    hostport, strerror(saved));
	return (fd);
}

/* Milliseconds on the monotonic clock. */
static long long
http_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* Wait until fd is ready for events or the deadline passes. */
static int
http_wait(int fd, short events, long long deadline, char **cause)
{
	struct pollfd	pfd;
	long long	left;
	int		n;

	for (;;) {
		left = deadline - http_now_ms();
		if (left <= 0) {
			xasprintf(cause, "timed out waiting for eard");
			return (-1);
		}
		pfd.fd = fd;
		pfd.events = events;
		n = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (n > 0)
			return (0);
		if (n == -1 && errno != EINTR) {
			xasprintf(cause, "poll failed: %s", strerror(errno));
			return (-1);
		}
	}
}

/*
 * Send one request on a connected fd and read the whole reply. host and
 * token may be NULL; body may be NULL (then len is 0). Returns 0 with *r
 * filled, or -1 with *cause. Does not close fd.
 */
int
http_exchange(int fd, const char *method, const char *path, const char *token,
    const char *ctype, const char *body, size_t len, int timeout_ms,
    struct http_response *r, char **cause)
{
	char		*head, *buf;
	size_t		 hlen, off, cap, have = 0;
	ssize_t		 n;
	long long	 deadline;
	int		 rc;

	deadline = http_now_ms() + (timeout_ms > 0 ? timeout_ms : 30000);
	xasprintf(&head, "%s %s HTTP/1.1\r\n"
	    "Host: eard\r\n"
	    "User-Agent: earctl/%s\r\n"
	    "Accept: application/json\r\n"
	    "Connection: close\r\n"
	    "%s%s%s"
	    "%s%s%s"
	    "Content-Length: %zu\r\n"
	    "\r\n",
	    method, path, EARD_VERSION,
	    token != NULL ? "Authorization: Bearer " : "",
	    token != NULL ? token : "", token != NULL ? "\r\n" : "",
	    ctype != NULL ? "Content-Type: " : "",
	    ctype != NULL ? ctype : "", ctype != NULL ? "\r\n" : "",
	    body != NULL ? len : 0);
	hlen = strlen(head);

	/* Write the head, then the body. */
	for (off = 0; off < hlen + len; ) {
		const char	*p;
		size_t		 want;

		if (off < hlen) {
			p = head + off;
			want = hlen - off;
		} else {
			p = body + (off - hlen);
			want = hlen + len - off;
		}
		if (http_wait(fd, POLLOUT, deadline, cause) != 0)
			goto fail;
		n = send(fd, p, want, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			xasprintf(cause, "could not send request to eard: %s",
			    strerror(errno));
			goto fail;
		}
		off += n;
	}
	free(head);
	head = NULL;

	/* Read until the reply is complete or the peer closes. */
	cap = 16384;
	buf = xmalloc(cap);
	for (;;) {
		if (have == cap) {
			if (cap >= HTTP_MAX_REPLY) {
				xasprintf(cause, "reply from eard too large");
				free(buf);
				goto fail;
			}
			cap *= 2;
			buf = xreallocarray(buf, cap, 1);
		}
		if (http_wait(fd, POLLIN, deadline, cause) != 0) {
			free(buf);
			goto fail;
		}
		n = recv(fd, buf + have, cap - have, 0);
		if (n == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			if (errno != ECONNRESET) {
				xasprintf(cause, "could not read reply from "
				    "eard: %s", strerror(errno));
				free(buf);
				goto fail;
			}
			n = 0;
		}
		have += n;
		rc = http_response_parse(buf, have, n == 0, r, cause);
		if (rc == 0)
			break;
		if (rc < 0) {
			free(buf);
			goto fail;
		}
	}
	free(buf);
	return (0);
fail:
	free(head);
	return (-1);
}

/* Connect and exchange once; 0, or an exit code with the reason printed. */
static int
cli_http(struct cmd_ctx *ctx, const char *method, const char *path,
    const char *ctype, const char *body, size_t len, struct http_response *r)
{
	char	*cause = NULL;
	int	 fd;

	if (ctx->tcp != NULL)
		fd = http_connect_tcp(ctx->tcp, &cause);
	else
		fd = http_connect_unix(ctx->socket_path, &cause);
	if (fd == -1) {
		cli_warnx("%s", cause);
		if (ctx->tcp == NULL)
			fputs("Hint: is eard running? Give its socket with "
			    "--socket or EARD_SOCKET.\n", stderr);
		free(cause);
		return (CLI_EXIT_UNREACHABLE);
	}
	if (http_exchange(fd, method, path, ctx->tcp != NULL ? ctx->token :
	    NULL, ctype, body, len, ctx->timeout_ms, r, &cause) != 0) {
		cli_warnx("%s %s: %s", method, path, cause);
		free(cause);
		close(fd);
		return (CLI_EXIT_UNREACHABLE);
	}
	close(fd);
	if (ctx->verbose > 0)
		fprintf(stderr, "earctl: %s %s -> %d %s\n", method, path,
		    r->status, r->reason);
	return (0);
}

/* Send a JSON request to eard and parse the JSON reply (see earctl.h). */
int
cli_request(struct cmd_ctx *ctx, const char *method, const char *path,
    json_t *body, int *status, json_t **reply)
{
	struct http_response	 r;
	json_error_t		 jerr;
	char			*text = NULL;
	int			 rc;

	*reply = NULL;
	*status = 0;
	if (body != NULL) {
		text = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(17));
		json_decref(body);
		if (text == NULL) {
			cli_warnx("could not encode the request as JSON");
			return (CLI_EXIT_ERROR);
		}
	}
	rc = cli_http(ctx, method, path, text != NULL ? "application/json" :
	    NULL, text, text != NULL ? strlen(text) : 0, &r);
	free(text);
	if (rc != 0)
		return (rc);
	*status = r.status;
	if (r.body_len > 0) {
		*reply = json_loadb(r.body, r.body_len, JSON_DECODE_ANY, &jerr);
		if (*reply == NULL && ctx->verbose > 0)
			cli_warnx("reply is not JSON: %s", jerr.text);
	}
	http_response_free(&r);
	return (0);
}

/* Send a request and return the reply body verbatim (see earctl.h). */
int
cli_request_text(struct cmd_ctx *ctx, const char *method, const char *path,
    json_t *body, int *status, char **text)
{
	struct http_response	 r;
	char			*req = NULL;
	int			 rc;

	*text = NULL;
	*status = 0;
	if (body != NULL) {
		req = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(17));
		json_decref(body);
		if (req == NULL) {
			cli_warnx("could not encode the request as JSON");
			return (CLI_EXIT_ERROR);
		}
	}
	rc = cli_http(ctx, method, path, req != NULL ? "application/json" :
	    NULL, req, req != NULL ? strlen(req) : 0, &r);
	free(req);
	if (rc != 0)
		return (rc);
	*status = r.status;
	*text = r.body;
	r.body = NULL;
	http_response_free(&r);
	return (0);
}
