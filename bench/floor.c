/*
 * floor: the transport floor. A bare libevent evhttp server on a Unix
 * socket or a TCP port that answers every request with a fixed,
 * verdict-sized JSON body: what any evhttp daemon on this machine can at
 * best do. eard's figures in bench/BENCHMARKS.md are ratios to this one,
 * measured in the same run over the same socket type.
 *
 *	floor SOCKET | HOST:PORT [BODY.json]
 *
 * An argument with a '/' in it is a socket path, else HOST:PORT.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>

#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "ear.h"

static char *floor_body;
static size_t floor_len;

/* Answer any request with the fixed body. */
static void
floor_cb(struct evhttp_request *req, void *arg)
{
	struct evbuffer *out = evhttp_request_get_output_buffer(req);

	(void)arg;
	/* Drain the body as a real handler would read it. */
	evbuffer_drain(evhttp_request_get_input_buffer(req),
	    evbuffer_get_length(evhttp_request_get_input_buffer(req)));
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	evbuffer_add_reference(out, floor_body, floor_len, NULL, NULL);
	evhttp_send_reply(req, 200, "OK", NULL);
}

/* Stop the loop on SIGTERM. */
static void
floor_stop(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	event_base_loopexit(arg, NULL);
}

int
main(int argc, char **argv)
{
	struct event_base *base;
	struct evhttp *http;
	struct evconnlistener *lev;
	struct sockaddr_un sun;
	struct addrinfo hints, *res = NULL;
	char host[256], *port;
	bool tcp;
	struct event *sig;
	FILE *f;
	long n;

	log_init("floor", LOG_LVL_WARN, false);
	if (argc < 2 || argc > 3) {
		fprintf(
		    stderr, "usage: floor SOCKET | HOST:PORT [BODY.json]\n");
		return 2;
	}
	if (argc == 3) {
		if ((f = fopen(argv[2], "r")) == NULL)
			fatal("could not open \"%s\"", argv[2]);
		fseek(f, 0, SEEK_END);
		n = ftell(f);
		rewind(f);
		floor_body = xmalloc((size_t)n + 1);
		floor_len = fread(floor_body, 1, (size_t)n, f);
		fclose(f);
	} else {
		floor_body = xstrdup("{\"verdict\":\"license_required\"}");
		floor_len = strlen(floor_body);
	}
	signal(SIGPIPE, SIG_IGN);
	base = event_base_new();
	http = evhttp_new(base);
	evhttp_set_gencb(http, floor_cb, NULL);
	tcp = strchr(argv[1], '/') == NULL;
	if (tcp) {
		snprintf(host, sizeof host, "%s", argv[1]);
		if ((port = strrchr(host, ':')) == NULL)
			fatalx("want a socket path or HOST:PORT");
		*port++ = '\0';
		memset(&hints, 0, sizeof hints);
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_PASSIVE;
		if (getaddrinfo(host, port, &hints, &res) != 0)
			fatalx("could not resolve \"%s\"", argv[1]);
		lev = evconnlistener_new_bind(base, NULL, NULL,
		    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC |
			LEV_OPT_REUSEABLE,
		    128, res->ai_addr, (int)res->ai_addrlen);
		freeaddrinfo(res);
	} else {
		memset(&sun, 0, sizeof sun);
		sun.sun_family = AF_UNIX;
		snprintf(sun.sun_path, sizeof sun.sun_path, "%s", argv[1]);
		unlink(argv[1]);
		lev = evconnlistener_new_bind(base, NULL, NULL,
		    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 128,
		    (struct sockaddr *)&sun, sizeof sun);
	}
	if (lev == NULL)
		fatal("could not listen on \"%s\"", argv[1]);
	if (evhttp_bind_listener(http, lev) == NULL)
		fatalx("evhttp_bind_listener");
	sig = evsignal_new(base, SIGTERM, floor_stop, base);
	event_add(sig, NULL);
	event_base_dispatch(base);
	if (!tcp)
		unlink(argv[1]);
	return 0;
}
