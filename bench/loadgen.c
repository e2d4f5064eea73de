/*
 * loadgen: a closed-loop HTTP/1.1 load generator for eard's socket.
 *
 *	loadgen -u SOCKET | -t HOST:PORT  -c CONNS -d SECONDS  -r REQUESTS.jsonl
 *	        [-H 'Authorization: Bearer ...'] [-n NAME]
 *
 * Each connection is kept alive and has one request in flight at a time;
 * requests are taken round-robin from the file (one JSON object a line:
 * {"method": "POST", "path": "/v1/checks/chip", "body": {...}}). At the end
 * it prints one JSON line: requests/s, latency percentiles in microseconds,
 * status counts and errors. Single-threaded (poll), so on a small machine
 * it costs one core at most.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ear.h"

struct lg_req {
	char	*wire;		/* the whole request, ready to write */
	size_t	 len;
};

struct lg_conn {
	int	 fd;
	size_t	 next;		/* index of the request to send */
	size_t	 sent;		/* bytes of it written */
	char	*in;		/* response bytes so far */
	size_t	 inlen, insize;
	int64_t	 started_ns;
	bool	 writing;
};

static const char	*lg_unix;
static const char	*lg_tcp;
static const char	*lg_header;
static struct lg_req	*lg_reqs;
static size_t		 lg_nreqs;
static int64_t		*lg_lat;
static size_t		 lg_nlat, lg_szlat;
static size_t		 lg_status[6];
static size_t		 lg_errors;

static int64_t
lg_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Read the request file into ready-to-send wire requests. */
static void
lg_load(const char *path)
{
	FILE	*f;
	char	*line = NULL, *body;
	size_t	 cap = 0;
	json_t	*o;
	json_error_t je;
	const char *method, *rpath;

	if ((f = fopen(path, "r")) == NULL)
		fatal("could not open \"%s\"", path);
	while (getline(&line, &cap, f) != -1) {
		if (line[0] == '\n' || line[0] == '\0')
			continue;
		if ((o = json_loads(line, 0, &je)) == NULL)
			fatalx("%s: %s", path, je.text);
		method = json_string_value(json_object_get(o, "method"));
		rpath = json_string_value(json_object_get(o, "path"));
		if (method == NULL || rpath == NULL)
			fatalx("%s: each line needs method and path", path);
		body = json_object_get(o, "body") != NULL ?
		    json_dumps(json_object_get(o, "body"), JSON_COMPACT) : NULL;
		lg_reqs = xreallocarray(lg_reqs, lg_nreqs + 1, sizeof *lg_reqs);
		lg_reqs[lg_nreqs].len = xasprintf(&lg_reqs[lg_nreqs].wire,
		    "%s %s HTTP/1.1\r\nHost: eard\r\n%s%s"
		    "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
		    method, rpath, lg_header != NULL ? lg_header : "",
		    lg_header != NULL ? "\r\n" : "",
		    body != NULL ? strlen(body) : 0, body != NULL ? body : "");
		lg_nreqs++;
		free(body);
		json_decref(o);
	}
	free(line);
	fclose(f);
	if (lg_nreqs == 0)
		fatalx("%s: no requests", path);
}

static int
lg_connect(void)
{
	struct sockaddr_un	 sun;
	struct addrinfo		 hints, *res;
	char			 host[256], *port;
	int			 fd;

	if (lg_unix != NULL) {
		if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
			fatal("socket");
		memset(&sun, 0, sizeof sun);
		sun.sun_family = AF_UNIX;
		if (strlen(lg_unix) >= sizeof sun.sun_path)
			fatalx("socket path too long");
		strcpy(sun.sun_path, lg_unix);
		if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1)
			fatal("could not connect to \"%s\"", lg_unix);
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
			fatal("socket");
		if (connect(fd, res->ai_addr, res->ai_addrlen) == -1)
			fatal("could not connect to \"%s\"", lg_tcp);
		freeaddrinfo(res);
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

/* Is a whole response in c->in? Returns its length, 0 if not yet, -1 bad. */
static ssize_t
lg_complete(struct lg_conn *c, int *status)
{
	char	*end, *cl;
	size_t	 hdr, blen;

	if (c->inlen < 12)
		return 0;
	c->in[c->inlen] = '\0';
	if ((end = strstr(c->in, "\r\n\r\n")) == NULL)
		return 0;
	hdr = (size_t)(end - c->in) + 4;
	if (sscanf(c->in, "HTTP/1.%*d %d", status) != 1)
		return -1;
	cl = strcasestr(c->in, "\r\nContent-Length:");
	if (cl == NULL || cl > end)
		return -1;
	blen = strtoul(cl + 17, NULL, 10);
	if (c->inlen < hdr + blen)
		return 0;
	return (ssize_t)(hdr + blen);
}

static void
lg_record(int64_t ns, int status)
{
	if (lg_nlat == lg_szlat) {
		lg_szlat = lg_szlat ? lg_szlat * 2 : 65536;
		lg_lat = xreallocarray(lg_lat, lg_szlat, sizeof *lg_lat);
	}
	lg_lat[lg_nlat++] = ns;
	if (status >= 100 && status < 600)
		lg_status[status / 100]++;
}

static int
lg_cmp(const void *a, const void *b)
{
	int64_t	 x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static double
lg_pct(double p)
{
	size_t	 i;

	if (lg_nlat == 0)
		return 0;
	i = (size_t)(p * (double)(lg_nlat - 1));
	return (double)lg_lat[i] / 1000.0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: loadgen -u SOCKET | -t HOST:PORT -c CONNS "
	    "-d SECONDS -r REQUESTS.jsonl [-H HEADER] [-n NAME]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct lg_conn	*conns;
	struct pollfd	*pfd;
	const char	*reqfile = NULL, *name = "run";
	int		 nconn = 16, seconds = 5, ch, i, status;
	int64_t		 start, deadline, now;
	ssize_t		 n, whole;
	struct lg_conn	*c;

	log_init("loadgen", LOG_LVL_WARN, false);
	/* A server that closes a connection is an error to count, not a
	 * reason to die. */
	signal(SIGPIPE, SIG_IGN);
	while ((ch = getopt(argc, argv, "u:t:c:d:r:H:n:")) != -1) {
		switch (ch) {
		case 'u': lg_unix = optarg; break;
		case 't': lg_tcp = optarg; break;
		case 'c': nconn = atoi(optarg); break;
		case 'd': seconds = atoi(optarg); break;
		case 'r': reqfile = optarg; break;
		case 'H': lg_header = optarg; break;
		case 'n': name = optarg; break;
		default: usage();
		}
	}
	if ((lg_unix == NULL) == (lg_tcp == NULL) || reqfile == NULL ||
	    nconn < 1 || nconn > 4096 || seconds < 1)
		usage();
	lg_load(reqfile);

	conns = xcalloc((size_t)nconn, sizeof *conns);
	pfd = xcalloc((size_t)nconn, sizeof *pfd);
	for (i = 0; i < nconn; i++) {
		conns[i].fd = lg_connect();
		conns[i].next = (size_t)i % lg_nreqs;
		conns[i].insize = 65536;
		conns[i].in = xmalloc(conns[i].insize + 1);
		conns[i].writing = true;
		conns[i].started_ns = lg_now();
	}
	start = lg_now();
	deadline = start + (int64_t)seconds * 1000000000;
	while ((now = lg_now()) < deadline) {
		for (i = 0; i < nconn; i++) {
			pfd[i].fd = conns[i].fd;
			pfd[i].events = conns[i].writing ? POLLOUT : POLLIN;
		}
		if (poll(pfd, (nfds_t)nconn, 100) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		for (i = 0; i < nconn; i++) {
			c = &conns[i];
			if (pfd[i].revents == 0)
				continue;
			if (c->writing) {
				n = write(c->fd, lg_reqs[c->next].wire + c->sent,
				    lg_reqs[c->next].len - c->sent);
				if (n <= 0) {
					if (n == -1 && errno == EAGAIN)
						continue;
					lg_errors++;
					close(c->fd);
					c->fd = lg_connect();
					c->sent = 0;
					c->started_ns = lg_now();
					continue;
				}
				c->sent += (size_t)n;
				if (c->sent == lg_reqs[c->next].len) {
					c->writing = false;
					c->inlen = 0;
				}
				continue;
			}
			if (c->inlen == c->insize) {
				c->insize *= 2;
				c->in = xreallocarray(c->in, c->insize + 1, 1);
			}
			n = read(c->fd, c->in + c->inlen, c->insize - c->inlen);
			if (n <= 0) {
				if (n == -1 && errno == EAGAIN)
					continue;
				/* The server closed: count it, reconnect. */
				lg_errors++;
				close(c->fd);
				c->fd = lg_connect();
				c->writing = true;
				c->sent = 0;
				c->started_ns = lg_now();
				continue;
			}
			c->inlen += (size_t)n;
			whole = lg_complete(c, &status);
			if (whole < 0) {
				lg_errors++;
				whole = (ssize_t)c->inlen;
				status = 0;
			}
			if (whole == 0)
				continue;
			now = lg_now();
			lg_record(now - c->started_ns, status);
			c->next = (c->next + (size_t)nconn) % lg_nreqs;
			c->sent = 0;
			c->writing = true;
			c->started_ns = now;
		}
	}
	now = lg_now();
	qsort(lg_lat, lg_nlat, sizeof *lg_lat, lg_cmp);
	printf("{\"name\":\"%s\",\"connections\":%d,\"seconds\":%.2f,"
	    "\"requests\":%zu,\"rps\":%.1f,\"p50_us\":%.1f,\"p90_us\":%.1f,"
	    "\"p99_us\":%.1f,\"max_us\":%.1f,\"status_2xx\":%zu,"
	    "\"status_4xx\":%zu,\"status_5xx\":%zu,\"errors\":%zu}\n",
	    name, nconn, (double)(now - start) / 1e9, lg_nlat,
	    (double)lg_nlat / ((double)(now - start) / 1e9), lg_pct(0.50),
	    lg_pct(0.90), lg_pct(0.99), lg_nlat ? lg_lat[lg_nlat - 1] / 1000.0 : 0,
	    lg_status[2], lg_status[4], lg_status[5], lg_errors);
	return lg_errors != 0 || lg_status[5] != 0;
}
