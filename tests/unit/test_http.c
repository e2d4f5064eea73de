/*
 * test_http.c: earctl's HTTP/1.1 reply parser (cli/http.c) — status line,
 * headers, Content-Length, chunked and read-to-close bodies, and that a
 * reply cut short is an error, never a short success.
 */
#include <sys/socket.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "earctl.h"

struct http_case {
	const char	*name;
	const char	*raw;
	bool		 eof;
	int		 rc;		/* 0 complete, 1 more, -1 error */
	int		 status;
	const char	*body;
	const char	*cause_has;	/* for rc -1 */
};

static const struct http_case http_cases[] = {
	{ "content-length body",
	  "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
	  "Content-Length: 11\r\n\r\n{\"ok\":true}", false, 0, 200,
	  "{\"ok\":true}", NULL },
	{ "content-length body, extra bytes ignored",
	  "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}garbage", false, 0,
	  200, "{}", NULL },
	{ "reason phrase with spaces, 503",
	  "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n",
	  false, 0, 503, "", NULL },
	{ "HTTP/1.0 reply read to close",
	  "HTTP/1.0 200 OK\r\n\r\nhello", true, 0, 200, "hello", NULL },
	{ "no length: more until close",
	  "HTTP/1.1 200 OK\r\n\r\nhel", false, 1, 0, NULL, NULL },
	{ "bare LF line endings",
	  "HTTP/1.1 404 Not Found\nContent-Length: 3\n\nabc", false, 0, 404,
	  "abc", NULL },
	{ "chunked body",
	  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	  "4\r\nWiki\r\n5;ext=1\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n"
	  "0\r\n\r\n", false, 0, 200, "Wikipedia in\r\n\r\nchunks.", NULL },
	{ "chunked with trailer",
	  "HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n"
	  "2\r\n{}\r\n0\r\nX-Trailer: 1\r\n\r\n", false, 0, 200, "{}", NULL },
	{ "chunked, last chunk not yet read",
	  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	  "2\r\n{}\r\n", false, 1, 0, NULL, NULL },
	{ "chunked cut short by close is an error",
	  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	  "a\r\n{\"verd", true, -1, 0, NULL, "truncated" },
	{ "content-length cut short by close is an error",
	  "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"verdict\":",
	  true, -1, 0, NULL, "truncated" },
	{ "content-length cut short, more to come",
	  "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{", false, 1, 0,
	  NULL, NULL },
	{ "headers cut short by close is an error",
	  "HTTP/1.1 200 OK\r\nContent-Len", true, -1, 0, NULL, "truncated" },
	{ "empty reply is an error", "", true, -1, 0, NULL, "truncated" },
	{ "not HTTP", "SSH-2.0-OpenSSH\r\n\r\n", false, -1, 0, NULL,
	  "status line" },
	{ "status code not a number", "HTTP/1.1 2x0 OK\r\n\r\n", false, -1, 0,
	  NULL, "status" },
	{ "bad content-length", "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
	  false, -1, 0, NULL, "Content-Length" },
	{ "bad chunk size",
	  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
	  false, -1, 0, NULL, "chunked" },
	{ "chunk without its CRLF",
	  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	  "2\r\n{}XX0\r\n\r\n", false, -1, 0, NULL, "chunked" },
	{ "unknown transfer encoding",
	  "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", false, -1, 0,
	  NULL, "transfer encoding" },
	{ "header without colon", "HTTP/1.1 200 OK\r\nBogus\r\n\r\n", false,
	  -1, 0, NULL, "header" },
	{ "204 has no body", "HTTP/1.1 204 No Content\r\n\r\n", false, 0, 204,
	  "", NULL },
};

static void
test_http_response_parse_table(void **state)
{
	struct http_response	 r;
	char			*cause;
	size_t			 i;
	int			 rc;

	(void)state;
	for (i = 0; i < nitems(http_cases); i++) {
		const struct http_case *c = &http_cases[i];

		cause = NULL;
		rc = http_response_parse(c->raw, strlen(c->raw), c->eof, &r,
		    &cause);
		if (rc != c->rc)
			fail_msg("%s: rc %d, want %d (%s)", c->name, rc, c->rc,
			    cause != NULL ? cause : "");
		if (rc == 0) {
			assert_int_equal(r.status, c->status);
			assert_non_null(r.body);
			if (r.body_len != strlen(c->body) ||
			    memcmp(r.body, c->body, r.body_len) != 0)
				fail_msg("%s: body \"%s\", want \"%s\"", c->name,
				    r.body, c->body);
			http_response_free(&r);
		} else if (rc < 0) {
			assert_non_null(cause);
			if (strstr(cause, c->cause_has) == NULL)
				fail_msg("%s: cause \"%s\" lacks \"%s\"", c->name,
				    cause, c->cause_has);
		}
		free(cause);
	}
}

static void
test_http_headers_case_insensitive_and_trimmed(void **state)
{
	static const char raw[] = "HTTP/1.1 200 OK\r\n"
	    "content-type:   application/json  \r\n"
	    "X-Request-Id: abc\r\nContent-Length: 0\r\n\r\n";
	struct http_response	 r;
	char			*cause = NULL;

	(void)state;
	assert_int_equal(http_response_parse(raw, strlen(raw), false, &r,
	    &cause), 0);
	assert_string_equal(r.reason, "OK");
	assert_int_equal(r.nheaders, 3);
	assert_string_equal(http_response_header(&r, "Content-Type"),
	    "application/json");
	assert_string_equal(http_response_header(&r, "x-request-id"), "abc");
	assert_null(http_response_header(&r, "Location"));
	http_response_free(&r);
}

/* Every prefix of a valid reply is "need more", never a wrong success. */
static void
test_http_every_prefix_needs_more(void **state)
{
	static const char raw[] = "HTTP/1.1 200 OK\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
	struct http_response	 r;
	char			*cause = NULL;
	size_t			 n;

	(void)state;
	for (n = 0; n < strlen(raw); n++) {
		assert_int_equal(http_response_parse(raw, n, false, &r,
		    &cause), 1);
		assert_int_equal(http_response_parse(raw, n, true, &r,
		    &cause), -1);
		free(cause);
		cause = NULL;
	}
	assert_int_equal(http_response_parse(raw, n, true, &r, &cause), 0);
	assert_string_equal(r.body, "abc");
	http_response_free(&r);
}

/* A whole exchange over a socketpair: the request we send, the reply read. */
static void
test_http_exchange_over_socketpair(void **state)
{
	static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 15\r\n"
	    "\r\n{\"ready\":true}\n";
	struct http_response	 r;
	char			*cause = NULL, req[4096];
	ssize_t			 n;
	int			 sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(write(sv[1], reply, strlen(reply)),
	    (ssize_t)strlen(reply));
	shutdown(sv[1], SHUT_WR);
	assert_int_equal(http_exchange(sv[0], "POST", "/v1/checks/chip", NULL,
	    "application/json", "{}", 2, 5000, &r, &cause), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "{\"ready\":true}\n");
	http_response_free(&r);

	n = read(sv[1], req, sizeof req - 1);
	assert_true(n > 0);
	req[n] = '\0';
	assert_non_null(strstr(req, "POST /v1/checks/chip HTTP/1.1\r\n"));
	assert_non_null(strstr(req, "Content-Type: application/json\r\n"));
	assert_non_null(strstr(req, "Content-Length: 2\r\n"));
	assert_non_null(strstr(req, "Connection: close\r\n"));
	assert_null(strstr(req, "Authorization"));
	assert_string_equal(req + n - 6, "\r\n\r\n{}");
	close(sv[0]);
	close(sv[1]);
}

/* A peer that closes mid-reply gives an error, not a partial verdict. */
static void
test_http_exchange_truncated_reply_fails(void **state)
{
	static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n"
	    "\r\n{\"verdict\":\"no_lic";
	struct http_response	 r;
	char			*cause = NULL;
	int			 sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(write(sv[1], reply, strlen(reply)),
	    (ssize_t)strlen(reply));
	shutdown(sv[1], SHUT_WR);
	assert_int_equal(http_exchange(sv[0], "GET", "/readyz", "secret", NULL,
	    NULL, 0, 5000, &r, &cause), -1);
	assert_non_null(strstr(cause, "truncated"));
	free(cause);
	close(sv[0]);
	close(sv[1]);
}

static void
test_http_connect_unix_missing_socket(void **state)
{
	char	*cause = NULL;

	(void)state;
	assert_int_equal(http_connect_unix("/nonexistent/eard.sock", &cause),
	    -1);
	assert_non_null(strstr(cause, "could not connect to eard"));
	free(cause);
}

static void
test_http_connect_tcp_bad_address_and_refused(void **state)
{
	char	*cause = NULL;

	(void)state;
	assert_int_equal(http_connect_tcp("no-port", &cause), -1);
	assert_non_null(strstr(cause, "use HOST:PORT"));
	free(cause);
	cause = NULL;
	/* Port 1 on loopback: nothing listens there in a test sandbox. */
	assert_int_equal(http_connect_tcp("127.0.0.1:1", &cause), -1);
	assert_non_null(strstr(cause, "could not connect to eard"));
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_response_parse_table),
		cmocka_unit_test(test_http_headers_case_insensitive_and_trimmed),
		cmocka_unit_test(test_http_every_prefix_needs_more),
		cmocka_unit_test(test_http_exchange_over_socketpair),
		cmocka_unit_test(test_http_exchange_truncated_reply_fails),
		cmocka_unit_test(test_http_connect_unix_missing_socket),
		cmocka_unit_test(test_http_connect_tcp_bad_address_and_refused),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
