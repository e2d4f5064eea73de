/*
 * test_pgsocket.c: the libpq state machine of daemon/pgsocket.c, with libpq
 * replaced at link time by a scripted fake. The fake's "server" is one end
 * of a socketpair: writing a byte to it makes the connection readable, so
 * the real libevent loop drives pgsocket exactly as it would a server.
 */
/* WRAP: -Wl,--wrap=PQconnectStart -Wl,--wrap=PQconnectPoll -Wl,--wrap=PQstatus -Wl,--wrap=PQsocket -Wl,--wrap=PQsetnonblocking -Wl,--wrap=PQsetNoticeProcessor -Wl,--wrap=PQsendQueryParams -Wl,--wrap=PQflush -Wl,--wrap=PQconsumeInput -Wl,--wrap=PQisBusy -Wl,--wrap=PQgetResult -Wl,--wrap=PQresultStatus -Wl,--wrap=PQresultErrorMessage -Wl,--wrap=PQclear -Wl,--wrap=PQfinish -Wl,--wrap=PQerrorMessage -Wl,--wrap=PQnotifies -Wl,--wrap=PQfreemem */
#include <sys/socket.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <libpq-fe.h>

#include "ear.h"
#include "pgsocket.h"

/* The fake server's state. */
struct fake_result {
	ExecStatusType	 status;
	char		 msg[64];
};
static struct {
	int			 fds[2];
	bool			 open;
	bool			 dead;
	bool			 fail_connect;
	int			 connects;
	int			 finishes;
	int			 clears;
	int			 freemems;
	int			 flush_pending;	/* PQflush returns 1 this often */
	char			 sent[8][64];
	int			 nsent;
	struct fake_result	*results[8];
	int			 nresults;
	bool			 complete;	/* current query done */
	PGnotify		*notify;
} fk;

PGconn *__wrap_PQconnectStart(const char *);
PostgresPollingStatusType __wrap_PQconnectPoll(PGconn *);
ConnStatusType __wrap_PQstatus(const PGconn *);
int __wrap_PQsocket(const PGconn *);
int __wrap_PQsetnonblocking(PGconn *, int);
PQnoticeProcessor __wrap_PQsetNoticeProcessor(PGconn *, PQnoticeProcessor,
    void *);
int __wrap_PQsendQueryParams(PGconn *, const char *, int, const Oid *,
    const char *const *, const int *, const int *, int);
int __wrap_PQflush(PGconn *);
int __wrap_PQconsumeInput(PGconn *);
int __wrap_PQisBusy(PGconn *);
PGresult *__wrap_PQgetResult(PGconn *);
ExecStatusType __wrap_PQresultStatus(const PGresult *);
char *__wrap_PQresultErrorMessage(const PGresult *);
void __wrap_PQclear(PGresult *);
void __wrap_PQfinish(PGconn *);
char *__wrap_PQerrorMessage(const PGconn *);
PGnotify *__wrap_PQnotifies(PGconn *);
void __wrap_PQfreemem(void *);

PGconn *
__wrap_PQconnectStart(const char *conninfo)
{
	(void)conninfo;
	assert_false(fk.open);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, fk.fds) != 0)
		fail_msg("socketpair");
	fk.open = true;
	fk.dead = false;
	fk.connects++;
	return (PGconn *)&fk;
}

PostgresPollingStatusType
__wrap_PQconnectPoll(PGconn *c)
{
	(void)c;
	return fk.fail_connect ? PGRES_POLLING_FAILED : PGRES_POLLING_OK;
}

ConnStatusType
__wrap_PQstatus(const PGconn *c)
{
	(void)c;
	return fk.dead ? CONNECTION_BAD : CONNECTION_OK;
}

int
__wrap_PQsocket(const PGconn *c)
{
	(void)c;
	return fk.open ? fk.fds[0] : -1;
}

int
__wrap_PQsetnonblocking(PGconn *c, int on)
{
	(void)c;
	(void)on;
	return 0;
}

PQnoticeProcessor
__wrap_PQsetNoticeProcessor(PGconn *c, PQnoticeProcessor p, void *arg)
{
	(void)c;
	(void)p;
	(void)arg;
	return NULL;
}

int
__wrap_PQsendQueryParams(PGconn *c, const char *sql, int n, const Oid *t,
    const char *const *v, const int *l, const int *f, int rf)
{
	(void)c;
	(void)n;
	(void)t;
	(void)v;
	(void)l;
	(void)f;
	(void)rf;
	assert_true(fk.nsent < 8);
	snprintf(fk.sent[fk.nsent++], sizeof fk.sent[0], "%s", sql);
	fk.complete = false;
	return 1;
}

int
__wrap_PQflush(PGconn *c)
{
	(void)c;
	if (fk.flush_pending > 0) {
		fk.flush_pending--;
		return 1;
	}
	return 0;
}

int
__wrap_PQconsumeInput(PGconn *c)
{
	char	 buf[64];

	(void)c;
	while (recv(fk.fds[0], buf, sizeof buf, MSG_DONTWAIT) > 0)
		;
	return fk.dead ? 0 : 1;
}

int
__wrap_PQisBusy(PGconn *c)
{
	(void)c;
	return fk.nresults == 0 && !fk.complete;
}

PGresult *
__wrap_PQgetResult(PGconn *c)
{
	struct fake_result	*r;

	(void)c;
	if (fk.nresults == 0)
		return NULL;
	r = fk.results[0];
	memmove(fk.results, fk.results + 1, --fk.nresults * sizeof r);
	return (PGresult *)r;
}

ExecStatusType
__wrap_PQresultStatus(const PGresult *r)
{
	return ((const struct fake_result *)r)->status;
}

char *
__wrap_PQresultErrorMessage(const PGresult *r)
{
	return ((struct fake_result *)r)->msg;
}

void
__wrap_PQclear(PGresult *r)
{
	fk.clears++;
	free(r);
}

void
__wrap_PQfinish(PGconn *c)
{
	(void)c;
	if (fk.open) {
		close(fk.fds[0]);
		close(fk.fds[1]);
	}
	fk.open = false;
	fk.finishes++;
}

char *
__wrap_PQerrorMessage(const PGconn *c)
{
	static char	 msg[] = "server closed the connection unexpectedly\n"
	    "\tThis probably means the server terminated abnormally\n";

	(void)c;
	return msg;
}

PGnotify *
__wrap_PQnotifies(PGconn *c)
{
	PGnotify	*n = fk.notify;

	(void)c;
	fk.notify = NULL;
	return n;
}

void
__wrap_PQfreemem(void *p)
{
	fk.freemems++;
	free(p);
}

/* The server sends one result (and completes the query). */
static void
fake_reply(ExecStatusType st, const char *msg)
{
	struct fake_result	*r = calloc(1, sizeof *r);

	r->status = st;
	snprintf(r->msg, sizeof r->msg, "%s", msg != NULL ? msg : "");
	fk.results[fk.nresults++] = r;
	fk.complete = true;
	assert_int_equal(write(fk.fds[1], "x", 1), 1);
}

/* What the callbacks saw. */
static struct {
	int		 up, down;
	char		 down_msg[128];
	int		 results, errors;
	char		 order[8][16];
	int		 norder;
	char		 errmsg[128];
	ExecStatusType	 status;
	char		 channel[32], payload[32];
	struct pgsocket	*free_in_cb;
} seen;

static struct event_base	*base;

static void
on_state(struct pgsocket *pgs, bool connected, const char *msg, void *arg)
{
	(void)pgs;
	(void)arg;
	if (connected)
		seen.up++;
	else {
		seen.down++;
		snprintf(seen.down_msg, sizeof seen.down_msg, "%s", msg);
	}
}

static void
on_notify(struct pgsocket *pgs, const char *ch, const char *payload,
    void *arg)
{
	(void)pgs;
	(void)arg;
	snprintf(seen.channel, sizeof seen.channel, "%s", ch);
	snprintf(seen.payload, sizeof seen.payload, "%s", payload);
}

static void
on_result(void *arg, PGresult *res, const char *errmsg)
{
	const char	*tag = arg;

	if (seen.norder < 8)
		snprintf(seen.order[seen.norder++], 16, "%s", tag);
	if (res != NULL) {
		seen.results++;
		seen.status = PQresultStatus(res);
		/* The wrapper clears after we return, not before. */
		assert_int_equal(fk.clears, seen.results - 1);
	} else {
		seen.errors++;
		snprintf(seen.errmsg, sizeof seen.errmsg, "%s", errmsg);
	}
	if (seen.free_in_cb != NULL) {
		struct pgsocket	*p = seen.free_in_cb;

		seen.free_in_cb = NULL;
		pgsocket_free(p);
	}
}

static void
spin(int ms)
{
	struct timeval	 tv = { ms / 1000, (ms % 1000) * 1000 };

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

static int
setup(void **state)
{
	(void)state;
	memset(&fk, 0, sizeof fk);
	memset(&seen, 0, sizeof seen);
	base = event_base_new();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	event_base_free(base);
	return 0;
}

static struct pgsocket *
connected_socket(void)
{
	struct pgsocket	*pgs;

	pgs = pgsocket_new(base, "dbname=x", on_state, on_notify, NULL);
	assert_int_equal(pgsocket_get_state(pgs), PGSOCKET_IDLE);
	pgsocket_connect(pgs);
	assert_int_equal(pgsocket_get_state(pgs), PGSOCKET_CONNECTING);
	spin(20);
	assert_int_equal(seen.up, 1);
	assert_true(pgsocket_is_connected(pgs));
	return pgs;
}

static void
test_pgsocket_connects_and_reports(void **state)
{
	struct pgsocket	*pgs;

	(void)state;
	pgs = connected_socket();
	assert_int_equal(pgsocket_get_state(pgs), PGSOCKET_READY);
	assert_null(pgsocket_last_error(pgs));
	pgsocket_free(pgs);
	assert_int_equal(fk.finishes, 1);
}

static void
test_pgsocket_query_before_connect_refused(void **state)
{
	struct pgsocket	*pgs;

	(void)state;
	pgs = pgsocket_new(base, "dbname=x", on_state, on_notify, NULL);
	assert_int_equal(pgsocket_query(pgs, "SELECT 1", 0, NULL, on_result,
	    (void *)"a"), -1);
	assert_int_equal(seen.results + seen.errors, 0);
	pgsocket_free(pgs);
}

static void
test_pgsocket_result_delivered_once_then_cleared(void **state)
{
	struct pgsocket	*pgs;

	(void)state;
	pgs = connected_socket();
	assert_int_equal(pgsocket_query(pgs, "SELECT 1", 0, NULL, on_result,
	    (void *)"a"), 0);
	assert_int_equal(pgsocket_get_state(pgs), PGSOCKET_BUSY);
	assert_string_equal(fk.sent[0], "SELECT 1");
	fake_reply(PGRES_TUPLES_OK, NULL);
	spin(20);
	assert_int_equal(seen.results, 1);
	assert_int_equal(seen.errors, 0);
	assert_int_equal(seen.status, PGRES_TUPLES_OK);
	assert_int_equal(fk.clears, 1);
	assert_int_equal(pgsocket_get_state(pgs), PGSOCKET_READY);
	pgsocket_free(pgs);
}

static void
test_pgsocket_error_result_gives_first_line(void **state)
{
	struct pgsocket	*pgs;

	(void)state;
	pgs = connected_socket();
	assert_int_equal(pgsocket_query(pgs, "SELECT x", 0, NULL, on_result,
	    (void *)"a"), 0);
	fake_reply(PGRES_FATAL_ERROR, "ERROR:  column \"x\" does not exist\n"
	    "LINE 1: ...");
	spin(20);
	assert_int_equal(seen.results, 0);
	assert_int_equal(seen.errors, 1);
	assert_string_equal(seen.errmsg,
	    "ERROR:  column \"x\" does not exist");
	assert_int_equal(fk.clears, 1);
	assert_true(pgsocket_is_connected(pgs));
	pgsocket_free(pgs);
}

static void
test_pgsocket_queries_run_one_at_a_time_in_order(void **state)
{
	struct pgsocket	*pgs;

	(void)state;
	pgs = connected_socket();
	fk.flush_pending = 1;	/* the first send needs a writable socket */
	assert_int_equal(pgsocket_query(pgs, "Q1", 0, NULL, on_result,
	    (void *)"q1"), 0);
	assert_int_equal(pgsocket_query(pgs, "Q2", 0, NULL, on_result,
	    (void *)"q2"), 0);
	assert_int_equal(fk.nsent, 1);
	assert_int_equal(pgsocket_queued(pgs), 2);
	fake_reply(PGRES_COMMAND_OK, NULL);
	spin(20);
	assert_int_equal(fk.nsent, 2);
	assert_string_equal(fk.sent[1], "Q2");
	fake_reply(PGRES_COMMAND_OK, NULL);
	spin(20);
	assert_int_equal(seen.norder, 2);
	assert_string_equal(seen.order[0], "q1");
	assert_string_equal(seen.order[1], "q2");
	assert_int_equal(pgsocket_queued(pgs), 0);
	pgsocket_free(pgs);
}

static void
test_pgsocket_notify_reaches_callback(void **state)
{
	struct pgsocket	*pgs;
	PGnotify	*n;

	(void)state;
	pgs = connected_socket();
	/* One allocation as libpq makes it: struct, then the strings. */
	n = calloc(1, sizeof *n + 32);
	n->relname = (char *)(n + 1);
	strcpy(n->relname, "rules_changed");
	n->extra = n->relname + 16;
	strcpy(n->extra, "v2");
	fk.notify = n;
	assert_int_equal(write(fk.fds[1], "n", 1), 1);
	spin(20);
	assert_string_equal(seen.channel, "rules_changed");
	assert_string_equal(seen.payload, "v2");
	assert_int_equal(fk.freemems, 1);
	pgsocket_free(pgs);
}

static void
test_pgsocket_lost_connection_fails_queries_and_reconnects(void **state)
{
	struct pgsocket	*pgs;

	(void)state;
	pgs = connected_socket();
	assert_int_equal(pgsocket_query(pgs, "Q1", 0, NULL, on_result,
	    (void *)"q1"), 0);
	assert_int_equal(pgsocket_query(pgs, "Q2", 0, NULL, on_result,
	    (void *)"q2"), 0);
	fk.dead = true;
	assert_int_equal(write(fk.fds[1], "x", 1), 1);
	spin(20);
	/* Both queries hear of it; the message is libpq's first line. */
	assert_int_equal(seen.errors, 2);
	assert_string_equal(seen.errmsg,
	    "server closed the connection unexpectedly");
	assert_int_equal(seen.down, 1);
	assert_int_equal(pgsocket_get_state(pgs), PGSOCKET_WAIT);
	assert_false(pgsocket_is_connected(pgs));
	assert_int_equal(fk.finishes, 1);
	assert_int_equal(pgsocket_query(pgs, "Q3", 0, NULL, on_result,
	    (void *)"q3"), -1);
	/* The first retry comes after 250 ms. */
	spin(150);
	assert_int_equal(fk.connects, 1);
	spin(250);
	assert_int_equal(fk.connects, 2);
	assert_int_equal(seen.up, 2);
	assert_true(pgsocket_is_connected(pgs));
	pgsocket_free(pgs);
}

static void
test_pgsocket_failed_connect_backs_off(void **state)
{
	struct pgsocket	*pgs;

	(void)state;
	fk.fail_connect = true;
	pgs = pgsocket_new(base, "dbname=x", on_state, on_notify, NULL);
	pgsocket_connect(pgs);
	spin(20);
	assert_int_equal(seen.up, 0);
	assert_int_equal(seen.down, 1);
	assert_int_equal(pgsocket_get_state(pgs), PGSOCKET_WAIT);
	/* Retries at 250 ms, then 500 ms later: 2 attempts by ~300 ms, 3 by ~800. */
	spin(300);
	assert_int_equal(fk.connects, 2);
	fk.fail_connect = false;
	spin(550);
	assert_int_equal(fk.connects, 3);
	assert_int_equal(seen.up, 1);
	pgsocket_free(pgs);
}

static void
test_pgsocket_free_inside_callback_is_safe(void **state)
{
	struct pgsocket	*pgs;

	(void)state;
	pgs = connected_socket();
	assert_int_equal(pgsocket_query(pgs, "Q1", 0, NULL, on_result,
	    (void *)"q1"), 0);
	assert_int_equal(pgsocket_query(pgs, "Q2", 0, NULL, on_result,
	    (void *)"q2"), 0);
	seen.free_in_cb = pgs;
	fake_reply(PGRES_TUPLES_OK, NULL);
	spin(20);
	/* Q1 answered, Q2 failed by the free, the connection closed once. */
	assert_int_equal(seen.results, 1);
	assert_int_equal(seen.errors, 1);
	assert_string_equal(seen.errmsg, "connection closed");
	assert_int_equal(fk.finishes, 1);
	assert_int_equal(fk.clears, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_pgsocket_connects_and_reports, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_pgsocket_query_before_connect_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_pgsocket_result_delivered_once_then_cleared, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_pgsocket_error_result_gives_first_line, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_pgsocket_queries_run_one_at_a_time_in_order, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_pgsocket_notify_reaches_callback, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_pgsocket_lost_connection_fails_queries_and_reconnects,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_pgsocket_failed_connect_backs_off, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_pgsocket_free_inside_callback_is_safe, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
