/*
 * loadgen: a closed-loop HTTP/1.1 load generator for eard's sockets.
 *
 *	loadgen -u SOCKET | -t HOST:PORT  -c CONNS -d SECONDS
 *	        -r REQUESTS.jsonl[:WEIGHT] [-r ...]  [-H 'Name: value' ...]
 *	        [-w WARMUP_SECONDS] [-n NAME]
 *
 * Each connection is kept alive and has one request in flight at a time.
 * A request file holds one JSON object a line: {"method": "POST", "path":
 * "/v1/checks/chip", "body": {...}}. With several files, requests are drawn
 * from them in proportion to their weights (a smooth weighted round robin,
 * so the mix is the same in every run) and round-robin within each file.
 *
 * At the end it prints one JSON line: requests/s (all answers, and 2xx
 * only), latency percentiles in microseconds over the answers of the
 * measured window, counts per HTTP status, the error code of non-2xx
 * answers, transport errors by kind (so a closed connection says how it
 * closed), announced closes (Connection: close) and reconnects, and the
 * requests still unanswered at the end (how many over 1 s, the oldest). With several files, the same per file.
 * Single-threaded (poll): on a small machine it costs one core at most.
 *
 * Exit status: 0, or 1 when there was a transport error or a 5xx answer.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ear.h"

#define LG_MAXFILES 16
#define LG_MAXHEADERS 16
#define LG_MAXCODES 32
#define LG_SCHED 1000 /* most slots of the weighted schedule */

/* The kinds of transport error, each counted on its own. */
enum lg_err {
	LG_ERR_CONNECT, /* connect() failed */
	LG_ERR_WRITE, /* write() failed (EPIPE, ECONNRESET) */
	LG_ERR_RESET, /* read() failed (ECONNRESET) */
	LG_ERR_CLOSED_IDLE, /* EOF before any byte of the answer */
	LG_ERR_CLOSED_MID, /* EOF in the middle of an answer */
	LG_ERR_BAD, /* an answer that is not HTTP/1.x */
	LG_NERR
};
static const char *lg_err_names[LG_NERR] = {"connect", "write_failed",
    "read_reset", "closed_before_answer", "closed_mid_answer", "bad_answer"};

/* A request, ready to write. */
struct lg_req {
	char *wire;
	size_t len;
};

/* Latencies and counts of one file, or of the whole run. */
struct lg_stats {
	int64_t *lat;
	size_t nlat, szlat;
	size_t status[600];
};

/* One request file. */
struct lg_file {
	const char *path;
	unsigned weight;
	struct lg_req *reqs;
	size_t nreqs;
	size_t cursor; /* the next request of this file */
	struct lg_stats st;
};

/* One connection and its request in flight. */
struct lg_conn {
	int fd; /* -1 while waiting to reconnect */
	int64_t retry_ns; /* when to try connecting again */
	struct lg_file *file;
	struct lg_req *req; /* in flight */
	size_t sent; /* bytes of it written */
	char *in; /* answer bytes so far */
	size_t inlen, insize;
	size_t hdr; /* header length once known, else 0 */
	size_t need; /* whole answer length once known, else 0 */
	size_t chunk_at; /* chunked: where the next chunk starts */
	bool chunked;
	bool close_after; /* the answer said Connection: close */
	int status;
	int64_t started_ns;
	bool writing;
};

/* A non-2xx answer's status and error code, counted. */
struct lg_code {
	char key[64];
	size_t n;
};

static const char *lg_unix;
static const char *lg_tcp;
static const char *lg_headers[LG_MAXHEADERS];
static int lg_nheaders;
static struct lg_file lg_files[LG_MAXFILES];
static int lg_nfiles;
static int lg_sched[LG_SCHED];
static size_t lg_nsched, lg_seq;
static struct lg_stats lg_all;
static size_t lg_errs[LG_NERR];
static struct lg_code lg_codes[LG_MAXCODES];
static int lg_ncodes;
static size_t lg_codes_other;
static size_t lg_closes, lg_reconnects;
static int64_t lg_measure_ns; /* answers before this are warm-up */

/* Monotonic time in nanoseconds. */
static int64_t
lg_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Read one request file into ready-to-send wire requests. */
static void
lg_load(struct lg_file *lf)
{
	FILE *f;
	char *line = NULL, *body, hdrs[4096];
	size_t cap = 0, off = 0;
	json_t *o;
	json_error_t je;
	const char *method, *rpath;
	int i;

	for (i = 0; i < lg_nheaders; i++)
		off += (size_t)snprintf(
		    hdrs + off, sizeof hdrs - off, "%s\r\n", lg_headers[i]);
	hdrs[off] = '\0';
	if ((f = fopen(lf->path, "r")) == NULL)
		fatal("could not open file \"%s\"", lf->path);
	while (getline(&line, &cap, f) != -1) {
		if (line[0] == '\n' || line[0] == '\0')
			continue;
		if ((o = json_loads(line, 0, &je)) == NULL)
			fatalx("%s: %s", lf->path, je.text);
		method = json_string_value(json_object_get(o, "method"));
		rpath = json_string_value(json_object_get(o, "path"));
		if (method == NULL || rpath == NULL)
			fatalx("%s: each line needs method and path", lf->path);
		body =
		    json_object_get(o, "body") != NULL
			? json_dumps(json_object_get(o, "body"), JSON_COMPACT)
			: NULL;
		lf->reqs =
		    xreallocarray(lf->reqs, lf->nreqs + 1, sizeof *lf->reqs);
		lf->reqs[lf->nreqs].len =
		    (size_t)xasprintf(&lf->reqs[lf->nreqs].wire,
			"%s %s HTTP/1.1\r\nHost: eard\r\n%s"
			"Content-Type: application/json\r\n"
			"Content-Length: %zu\r\n\r\n%s",
			method, rpath, hdrs, body != NULL ? strlen(body) : 0,
			body != NULL ? body : "");
		lf->nreqs++;
		free(body);
		json_decref(o);
	}
	free(line);
	fclose(f);
	if (lf->nreqs == 0)
		fatalx("%s: no requests", lf->path);
}

/* Build the weighted schedule: file i appears weight_i times, spread. */
static void
lg_schedule(void)
{
	long cur[LG_MAXFILES] = {0}, total = 0;
	int i, best;

	for (i = 0; i < lg_nfiles; i++)
		total += lg_files[i].weight;
	if (total > LG_SCHED)
		fatalx("weights add up to more than %d", LG_SCHED);
	for (lg_nsched = 0; lg_nsched < (size_t)total; lg_nsched++) {
		best = 0;
		for (i = 0; i < lg_nfiles; i++) {
			cur[i] += lg_files[i].weight;
			if (cur[i] > cur[best])
				best = i;
		}
		cur[best] -= total;
		lg_sched[lg_nsched] = best;
	}
}

/* Connect one connection; on failure count it and retry a little later. */
static void
lg_connect(struct lg_conn *c)
{
	struct sockaddr_un sun;
	struct addrinfo hints, *res;
	char host[256], *port;
	int fd, one = 1;

	c->fd = -1;
	if (lg_unix != NULL) {
		if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
			fatal("could not create socket");
		memset(&sun, 0, sizeof sun);
		sun.sun_family = AF_UNIX;
		if (strlen(lg_unix) >= sizeof sun.sun_path)
			fatalx("socket path too long");
		strcpy(sun.sun_path, lg_unix);
		if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1)
			goto fail;
	} else {
		snprintf(host, sizeof host, "%s", lg_tcp);
		if ((port = strrchr(host, ':')) == NULL)
			fatalx("-t wants HOST:PORT");
		*port++ = '\0';
		memset(&hints, 0, sizeof hints);
		hints.ai_socktype = SOCK_STREAM;
		if (getaddrinfo(host, port, &hints, &res) != 0)
			fatalx("could not resolve \"%s\"", lg_tcp);
		if ((fd = socket(res->ai_family, SOCK_STREAM, 0)) == -1)
			fatal("could not create socket");
		if (connect(fd, res->ai_addr, res->ai_addrlen) == -1) {
			freeaddrinfo(res);
			goto fail;
		}
		freeaddrinfo(res);
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	c->fd = fd;
	return;
fail:
	lg_errs[LG_ERR_CONNECT]++;
	close(fd);
	c->retry_ns = lg_now() + 10000000;
}

/* Take the next request of the mix for connection c. */
static void
lg_next(struct lg_conn *c)
{
	struct lg_file *lf = &lg_files[lg_sched[lg_seq++ % lg_nsched]];

	c->file = lf;
	c->req = &lf->reqs[lf->cursor++ % lf->nreqs];
	c->sent = 0;
	c->inlen = c->hdr = c->need = c->chunk_at = 0;
	c->chunked = c->close_after = false;
	c->writing = true;
	c->started_ns = lg_now();
}

/* Close c (after an error kind, or LG_NERR for a clean close), reconnect. */
static void
lg_drop(struct lg_conn *c, enum lg_err kind)
{
	if (kind != LG_NERR)
		lg_errs[kind]++;
	if (c->fd != -1)
		close(c->fd);
	lg_reconnects++;
	lg_connect(c);
}

/* Does header block h (NUL-terminated, lower-cased) have this line? */
static const char *
lg_header(const char *h, const char *name)
{
	const char *p = strstr(h, name);

	return p == NULL ? NULL : p + strlen(name);
}

/* Parse the header block once it is all there. 0 wait, 1 done, -1 bad. */
static int
lg_parse_header(struct lg_conn *c)
{
	char *end, *h, *v, saved;
	size_t i;
	int rc;

	c->in[c->inlen] = '\0';
	if ((end = strstr(c->in, "\r\n\r\n")) == NULL)
		return c->inlen > 65536 ? -1 : 0;
	c->hdr = (size_t)(end - c->in) + 4;
	if (sscanf(c->in, "HTTP/1.%*d %d", &c->status) != 1 ||
	    c->status < 100 || c->status > 599)
		return -1;
	/* Lower-case the header block in place (the body is left alone) and
	 * end it for strstr; the byte is put back below. */
	h = c->in;
	for (i = 0; i < c->hdr; i++)
		if (h[i] >= 'A' && h[i] <= 'Z')
			h[i] = (char)(h[i] + 32);
	saved = h[c->hdr - 2];
	h[c->hdr - 2] = '\0';
	rc = 1;
	if ((v = (char *)lg_header(h, "\r\nconnection:")) != NULL &&
	    strncmp(v + strspn(v, " "), "close", 5) == 0)
		c->close_after = true;
	if ((v = (char *)lg_header(h, "\r\ntransfer-encoding:")) != NULL &&
	    strncmp(v + strspn(v, " "), "chunked", 7) == 0) {
		c->chunked = true;
		c->chunk_at = c->hdr;
	} else if ((v = (char *)lg_header(h, "\r\ncontent-length:")) != NULL)
		c->need = c->hdr + strtoul(v, NULL, 10);
	else if (c->status == 204 || c->status == 304)
		c->need = c->hdr;
	else
		rc = -1; /* read-to-close answers are not expected here */
	h[c->hdr - 2] = saved;
	return rc;
}

/* Walk the chunks that have arrived. 0 wait, 1 whole, -1 bad. */
static int
lg_parse_chunks(struct lg_conn *c)
{
	char *p, *eol, *endp;
	unsigned long n;

	c->in[c->inlen] = '\0';
	for (;;) {
		p = c->in + c->chunk_at;
		if ((eol = strstr(p, "\r\n")) == NULL)
			return 0;
		n = strtoul(p, &endp, 16);
		if (endp == p)
			return -1;
		if (n == 0) {
			/* No trailers expected: the last chunk, then CRLF. */
			if (c->inlen < (size_t)(eol - c->in) + 4)
				return 0;
			c->need = (size_t)(eol - c->in) + 4;
			return 1;
		}
		if (c->inlen < (size_t)(eol - c->in) + 2 + n + 2)
			return 0;
		c->chunk_at = (size_t)(eol - c->in) + 2 + n + 2;
	}
}

/* Count a non-2xx answer by its status and the error code in its body. */
static void
lg_count_code(struct lg_conn *c)
{
	char key[64], *p, *q;
	int i;

	c->in[c->need] = '\0';
	p = strstr(c->in + c->hdr, "\"code\"");
	if (p != NULL && (p = strchr(p + 6, '"')) != NULL &&
	    (q = strchr(p + 1, '"')) != NULL && q - p < 40)
		snprintf(key, sizeof key, "%d %.*s", c->status,
		    (int)(q - p - 1), p + 1);
	else
		snprintf(key, sizeof key, "%d", c->status);
	for (i = 0; i < lg_ncodes; i++) {
		if (strcmp(lg_codes[i].key, key) == 0) {
			lg_codes[i].n++;
			return;
		}
	}
	if (lg_ncodes == LG_MAXCODES) {
		lg_codes_other++;
		return;
	}
	snprintf(
	    lg_codes[lg_ncodes].key, sizeof lg_codes[lg_ncodes].key, "%s", key);
	lg_codes[lg_ncodes++].n = 1;
}

/* Record one answer's latency and status. */
static void
lg_record(struct lg_stats *st, int64_t ns, int status)
{
	if (st->nlat == st->szlat) {
		st->szlat = st->szlat ? st->szlat * 2 : 65536;
		st->lat = xreallocarray(st->lat, st->szlat, sizeof *st->lat);
	}
	st->lat[st->nlat++] = ns;
	st->status[status]++;
}

/* Order latencies for qsort. */
static int
lg_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* The p-th latency percentile in microseconds of sorted stats. */
static double
lg_pct(const struct lg_stats *st, double p)
{
	size_t i;

	if (st->nlat == 0)
		return 0;
	i = (size_t)(p * (double)(st->nlat - 1) + 0.5);
	return (double)st->lat[i] / 1000.0;
}

/* Answers of a status class (2 for 2xx...). */
static size_t
lg_class(const struct lg_stats *st, int k)
{
	size_t n = 0;
	int i;

	for (i = k * 100; i < k * 100 + 100; i++)
		n += st->status[i];
	return n;
}

/* Print the figures of stats st over secs seconds, as JSON members. */
static void
lg_print_stats(struct lg_stats *st, double secs)
{
	int i;
	bool first = true;

	qsort(st->lat, st->nlat, sizeof *st->lat, lg_cmp);
	printf("\"requests\":%zu,\"rps\":%.1f,\"ok_rps\":%.1f,"
	       "\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,"
	       "\"max_us\":%.1f,\"status_2xx\":%zu,\"status_3xx\":%zu,"
	       "\"status_4xx\":%zu,\"status_5xx\":%zu,\"status\":{",
	    st->nlat, (double)st->nlat / secs, (double)lg_class(st, 2) / secs,
	    lg_pct(st, 0.50), lg_pct(st, 0.90), lg_pct(st, 0.99),
	    st->nlat ? (double)st->lat[st->nlat - 1] / 1000.0 : 0,
	    lg_class(st, 2), lg_class(st, 3), lg_class(st, 4), lg_class(st, 5));
	for (i = 100; i < 600; i++) {
		if (st->status[i] == 0)
			continue;
		printf("%s\"%d\":%zu", first ? "" : ",", i, st->status[i]);
		first = false;
	}
	printf("}");
}

/* Print a string as a JSON string (paths and names: no control bytes). */
static void
lg_print_str(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		putchar(*s);
	}
	putchar('"');
}

/* Print usage and exit. */
static void
usage(void)
{
	fprintf(stderr,
	    "usage: loadgen -u SOCKET | -t HOST:PORT -c CONNS -d SECONDS\n"
	    "               -r REQUESTS.jsonl[:WEIGHT] [-r ...] [-H HEADER] "
	    "[-w WARMUP] [-n NAME]\n");
	exit(2);
}

/* Add request file spec FILE[:WEIGHT]. */
static void
lg_add_file(char *spec)
{
	struct lg_file *lf;
	char *colon;
	long w = 1;

	if (lg_nfiles == LG_MAXFILES)
		fatalx("at most %d request files", LG_MAXFILES);
	lf = &lg_files[lg_nfiles++];
	if ((colon = strrchr(spec, ':')) != NULL &&
	    strspn(colon + 1, "0123456789") == strlen(colon + 1) &&
	    colon[1] != '\0') {
		*colon = '\0';
		w = strtol(colon + 1, NULL, 10);
	}
	if (w < 1 || w > LG_SCHED)
		fatalx("weight of \"%s\" must be 1 to %d", spec, LG_SCHED);
	lf->path = spec;
	lf->weight = (unsigned)w;
}

/* Write or read on connection c, which poll said is ready. */
static void
lg_service(struct lg_conn *c)
{
	ssize_t n;
	int r;
	int64_t now;

	if (c->writing) {
		n = write(c->fd, c->req->wire + c->sent, c->req->len - c->sent);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			/* Not sent: send it again once reconnected. */
			lg_drop(c, LG_ERR_WRITE);
			c->sent = 0;
			c->started_ns = lg_now();
			return;
		}
		c->sent += (size_t)n;
		if (c->sent == c->req->len)
			c->writing = false;
		return;
	}
	if (c->inlen == c->insize) {
		c->insize *= 2;
		c->in = xreallocarray(c->in, c->insize + 1, 1);
	}
	n = read(c->fd, c->in + c->inlen, c->insize - c->inlen);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* The server closed or reset: say how, then send it again. */
		lg_drop(c, n == -1         ? LG_ERR_RESET
			   : c->inlen == 0 ? LG_ERR_CLOSED_IDLE
					   : LG_ERR_CLOSED_MID);
		c->inlen = c->hdr = c->need = c->chunk_at = 0;
		c->chunked = c->close_after = false;
		c->sent = 0;
		c->writing = true;
		c->started_ns = lg_now();
		return;
	}
	c->inlen += (size_t)n;
	if (c->hdr == 0) {
		if ((r = lg_parse_header(c)) == 0)
			return;
		if (r == -1) {
			lg_drop(c, LG_ERR_BAD);
			lg_next(c);
			return;
		}
	}
	if (c->chunked && c->need == 0) {
		if ((r = lg_parse_chunks(c)) == 0)
			return;
		if (r == -1) {
			lg_drop(c, LG_ERR_BAD);
			lg_next(c);
			return;
		}
	}
	if (c->inlen < c->need)
		return;
	now = lg_now();
	if (now >= lg_measure_ns) {
		lg_record(&lg_all, now - c->started_ns, c->status);
		lg_record(&c->file->st, now - c->started_ns, c->status);
		if (c->status / 100 != 2)
			lg_count_code(c);
	}
	if (c->close_after) {
		lg_closes++;
		lg_drop(c, LG_NERR);
	}
	lg_next(c);
}

int
main(int argc, char **argv)
{
	struct lg_conn *conns, *c;
	struct pollfd *pfd;
	const char *name = "run";
	int nconn = 16, seconds = 5, warmup = 0, ch, i, k, nfd, *map;
	int64_t deadline, now, oldest = 0;
	size_t stalled = 0, nerr = 0;
	double secs;
	bool first;

	log_init("loadgen", LOG_LVL_WARN, false);
	/* A server that closes a connection is an error to count, not a
	 * reason to die. */
	signal(SIGPIPE, SIG_IGN);
	while ((ch = getopt(argc, argv, "u:t:c:d:r:H:n:w:")) != -1) {
		switch (ch) {
		case 'u':
			lg_unix = optarg;
			break;
		case 't':
			lg_tcp = optarg;
			break;
		case 'c':
			nconn = atoi(optarg);
			break;
		case 'd':
			seconds = atoi(optarg);
			break;
		case 'r':
			lg_add_file(optarg);
			break;
		case 'H':
			if (lg_nheaders == LG_MAXHEADERS)
				fatalx("at most %d headers", LG_MAXHEADERS);
			lg_headers[lg_nheaders++] = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'w':
			warmup = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if ((lg_unix == NULL) == (lg_tcp == NULL) || lg_nfiles == 0 ||
	    nconn < 1 || nconn > 4096 || seconds < 1 || warmup < 0)
		usage();
	for (k = 0; k < lg_nfiles; k++)
		lg_load(&lg_files[k]);
	lg_schedule();

	conns = xcalloc((size_t)nconn, sizeof *conns);
	pfd = xcalloc((size_t)nconn, sizeof *pfd);
	map = xcalloc((size_t)nconn, sizeof *map);
	for (i = 0; i < nconn; i++) {
		c = &conns[i];
		c->insize = 65536;
		c->in = xmalloc(c->insize + 1);
		lg_connect(c);
		if (c->fd == -1 && i == 0)
			fatal("could not connect to \"%s\"",
			    lg_unix != NULL ? lg_unix : lg_tcp);
		lg_next(c);
	}
	lg_measure_ns = lg_now() + (int64_t)warmup * 1000000000;
	deadline = lg_measure_ns + (int64_t)seconds * 1000000000;
	while ((now = lg_now()) < deadline) {
		for (i = nfd = 0; i < nconn; i++) {
			c = &conns[i];
			if (c->fd == -1 && now >= c->retry_ns) {
				lg_connect(c);
				c->started_ns = lg_now();
			}
			if (c->fd == -1)
				continue;
			pfd[nfd].fd = c->fd;
			pfd[nfd].events = c->writing ? POLLOUT : POLLIN;
			pfd[nfd].revents = 0;
			map[nfd++] = i;
		}
		if (poll(pfd, (nfds_t)nfd, 10) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		for (i = 0; i < nfd; i++) {
			if (pfd[i].revents != 0)
				lg_service(&conns[map[i]]);
		}
	}
	now = lg_now();
	for (i = 0; i < nconn; i++) {
		if (conns[i].fd == -1)
			continue;
		if (now - conns[i].started_ns > 1000000000)
			stalled++;
		if (now - conns[i].started_ns > oldest)
			oldest = now - conns[i].started_ns;
	}
	for (k = 0; k < LG_NERR; k++)
		nerr += lg_errs[k];
	secs = (double)(now - lg_measure_ns) / 1e9;

	printf("{\"name\":");
	lg_print_str(name);
	printf(",\"transport\":\"%s\",\"connections\":%d,\"seconds\":%.2f,",
	    lg_unix != NULL ? "unix" : "tcp", nconn, secs);
	lg_print_stats(&lg_all, secs);
	printf(",\"errors\":%zu,\"errors_by_kind\":{", nerr);
	for (k = 0, first = true; k < LG_NERR; k++) {
		if (lg_errs[k] == 0)
			continue;
		printf("%s\"%s\":%zu", first ? "" : ",", lg_err_names[k],
		    lg_errs[k]);
		first = false;
	}
	printf("},\"non_2xx_codes\":{");
	for (i = 0; i < lg_ncodes; i++) {
		printf("%s", i ? "," : "");
		lg_print_str(lg_codes[i].key);
		printf(":%zu", lg_codes[i].n);
	}
	if (lg_codes_other != 0)
		printf("%s\"other\":%zu", lg_ncodes ? "," : "", lg_codes_other);
	printf("},\"closes_announced\":%zu,\"reconnects\":%zu,"
	       "\"in_flight_over_1s\":%zu,\"oldest_in_flight_us\":%.1f",
	    lg_closes, lg_reconnects, stalled, (double)oldest / 1000.0);
	if (lg_nfiles > 1) {
		printf(",\"mix\":[");
		for (k = 0; k < lg_nfiles; k++) {
			printf("%s{\"file\":", k ? "," : "");
			lg_print_str(basename((char *)lg_files[k].path));
			printf(",\"weight\":%u,", lg_files[k].weight);
			lg_print_stats(&lg_files[k].st, secs);
			printf("}");
		}
		printf("]");
	}
	printf("}\n");
	return nerr != 0 || lg_class(&lg_all, 5) != 0;
}
