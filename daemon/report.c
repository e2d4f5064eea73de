/*
 * report.c: named report queries (queries/NAME.sql) run off the event loop.
 *
 * One worker thread owns one blocking libpq connection on the read URL
 * (read_database_url, else database_url), read-only and with a statement
 * timeout, and runs jobs one at a time. A finished job goes on a done list
 * and the worker writes one byte to a pipe; the loop's read event takes
 * the job off the list and calls its callback there. The loop never waits
 * for a report; the worker never touches libevent or a request.
 *
 * A query file starts with a header of comments:
 *	-- report: NAME
 *	-- What it answers, in sentences.
 *	-- param: NAME TYPE DEFAULT	(TYPE: date, numeric, text; DEFAULT null)
 * Parameters are $1, $2, ... in header order, passed as text; the SQL casts.
 *
 * Ownership: report_submit() copies its arguments; the body handed to done
 * is a new reference the callback takes.
 */
#include <sys/queue.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "eard.h"

#define REPORT_TIMEOUT_S	30
#define REPORT_MAX_ROWS		100000

struct report_job {
	TAILQ_ENTRY(report_job)	 entry;
	char			*sql;
	int			 nparams;
	char			**params;
	void			(*done)(void *, int, json_t *);
	void			*arg;
	int			 status;
	json_t			*body;
};
TAILQ_HEAD(report_queue, report_job);

static struct {
	bool			 init;
	pthread_t		 thread;
	pthread_mutex_t		 mtx;
	pthread_cond_t		 cond;
	struct report_queue	 waiting;
	struct report_queue	 done;
	int			 pipe[2];
	struct event		*ev;
	char			*url;		/* the worker's */
	char			*fallback_url;	/* database_url, if not url */
	int			 timeout_s;
} rep = { .mtx = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

/* A PostgreSQL value as JSON, by the column's type. */
json_t *
report_value_json(PGresult *res, int row, int col)
{
	return (queries_value_json(PQgetisnull(res, row, col) ? NULL :
	    PQgetvalue(res, row, col), PQftype(res, col)));
}

/* A result as {"columns": [...], "rows": [[...], ...]}. */
json_t *
report_result_json(PGresult *res)
{
	json_t	*cols, *rows, *row;
	int	 i, j, n, m;

	cols = json_array();
	m = PQnfields(res);
	for (j = 0; j < m; j++)
		json_array_append_new(cols, json_string(PQfname(res, j)));
	rows = json_array();
	n = PQntuples(res);
	for (i = 0; i < n && i < REPORT_MAX_ROWS; i++) {
		row = json_array();
		for (j = 0; j < m; j++)
			json_array_append_new(row, report_value_json(res, i, j));
		json_array_append_new(rows, row);
	}
	return (json_pack("{s:o, s:o, s:b}", "columns", cols, "rows", rows,
	    "truncated", n > REPORT_MAX_ROWS));
}

/* An error body in the API's shape. */
static json_t *
report_error_json(const char *code, const char *msg)
{
	return (json_pack("{s:{s:s, s:s, s:n}}", "error", "code", code,
	    "message", msg, "field"));
}

/* Connect the worker's session; NULL with *cause. */
static PGconn *
report_connect(char **cause)
{
	PGconn		*conn;
	PGresult	*res;
	char		 sql[128];

	conn = PQconnectdb(rep.url);
	if (PQstatus(conn) != CONNECTION_OK && rep.fallback_url != NULL) {
		/* The standby (read_database_url) is away: use the primary. */
		PQfinish(conn);
		conn = PQconnectdb(rep.fallback_url);
	}
	if (PQstatus(conn) != CONNECTION_OK) {
		xasprintf(cause, "could not connect for reports: %s",
		    PQerrorMessage(conn));
		PQfinish(conn);
		return (NULL);
	}
	snprintf(sql, sizeof sql, "SET statement_timeout = '%ds'; "
	    "SET default_transaction_read_only = on", rep.timeout_s);
	res = PQexec(conn, sql);
	PQclear(res);
	return (conn);
}

/* Run one job on the worker's connection. */
static void
report_run(PGconn **conn, struct report_job *job)
{
	PGresult	*res;
	const char	*state;
	char		*cause = NULL;
	int		 attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		if (*conn == NULL && (*conn = report_connect(&cause)) == NULL) {
			job->status = 503;
			job->body = report_error_json("database_unavailable",
			    cause);
			free(cause);
			return;
		}
		res = PQexecParams(*conn, job->sql, job->nparams, NULL,
		    (const char *const *)job->params, NULL, NULL, 0);
		if (PQresultStatus(res) == PGRES_TUPLES_OK) {
			job->status = 200;
			job->body = report_result_json(res);
			PQclear(res);
			return;
		}
		if (PQstatus(*conn) != CONNECTION_OK) {
			/* The server went away: reconnect and try once more. */
			PQclear(res);
			PQfinish(*conn);
			*conn = NULL;
			continue;
		}
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		if (state != NULL && strcmp(state, "57014") == 0) {
			job->status = 504;
			job->body = report_error_json("report_timeout",
			    "the report took longer than its statement "
			    "timeout");
		} else if (state != NULL && strncmp(state, "22", 2) == 0) {
			job->status = 400;
			job->body = report_error_json("invalid_parameter",
			    PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
		} else {
			job->status = 500;
			job->body = report_error_json("report_failed",
			    PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) ?
			    PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) :
			    PQerrorMessage(*conn));
		}
		PQclear(res);
		return;
	}
	job->status = 503;
	job->body = report_error_json("database_unavailable",
	    "the database connection was lost");
}

/* The worker thread: take jobs, run them, hand them back. */
static void *
report_worker(void *arg)
{
	struct report_job	*job;
	PGconn			*conn = NULL;
	char			 c = 'r';

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&rep.mtx);
		while ((job = TAILQ_FIRST(&rep.waiting)) == NULL)
			pthread_cond_wait(&rep.cond, &rep.mtx);
		TAILQ_REMOVE(&rep.waiting, job, entry);
		pthread_mutex_unlock(&rep.mtx);

		report_run(&conn, job);

		pthread_mutex_lock(&rep.mtx);
		TAILQ_INSERT_TAIL(&rep.done, job, entry);
		pthread_mutex_unlock(&rep.mtx);
		while (write(rep.pipe[1], &c, 1) == -1 && errno == EINTR)
			;
	}
	return (NULL);
}

/* On the loop: hand finished jobs to their callbacks. */
static void
report_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct report_job	*job;
	char			 buf[64];
	int			 i;

	(void)what;
	(void)arg;
	while (read(fd, buf, sizeof buf) > 0)
		;
	for (;;) {
		pthread_mutex_lock(&rep.mtx);
		if ((job = TAILQ_FIRST(&rep.done)) != NULL)
			TAILQ_REMOVE(&rep.done, job, entry);
		pthread_mutex_unlock(&rep.mtx);
		if (job == NULL)
			break;
		job->done(job->arg, job->status, job->body);
		free(job->sql);
		for (i = 0; i < job->nparams; i++)
			free(job->params[i]);
		free(job->params);
		free(job);
	}
}

/* Start the worker (once). */
void
report_init(struct event_base *base, const char *url)
{
	const char	*s;
	int		 i;

	if (rep.init)
		return;
	rep.init = true;
	TAILQ_INIT(&rep.waiting);
	TAILQ_INIT(&rep.done);
	rep.url = xstrdup(url != NULL ? url : "");
	if (cfg.database_url != NULL && strcmp(cfg.database_url, rep.url) != 0)
		rep.fallback_url = xstrdup(cfg.database_url);
	rep.timeout_s = REPORT_TIMEOUT_S;
	if ((s = getenv("EARD_REPORT_TIMEOUT")) != NULL && atoi(s) > 0)
		rep.timeout_s = atoi(s);
	if (pipe(rep.pipe) == -1)
		fatal("pipe");
	for (i = 0; i < 2; i++) {
		if (fcntl(rep.pipe[i], F_SETFL, O_NONBLOCK) == -1 ||
		    fcntl(rep.pipe[i], F_SETFD, FD_CLOEXEC) == -1)
			fatal("fcntl");
	}
	rep.ev = event_new(base, rep.pipe[0], EV_READ | EV_PERSIST,
	    report_done_cb, NULL);
	if (rep.ev == NULL || event_add(rep.ev, NULL) == -1)
		fatalx("could not watch the report pipe");
	if (pthread_create(&rep.thread, NULL, report_worker, NULL) != 0)
		fatalx("could not start the report worker");
	pthread_detach(rep.thread);
}

/* Queue a query; done(arg, status, body) is called on the loop later. */
void
report_submit(const char *sql, int nparams, const char *const *params,
    void (*done)(void *, int, json_t *), void *arg)
{
	struct report_job	*job;
	int			 i;

	job = xcalloc(1, sizeof *job);
	job->sql = xstrdup(sql);
	job->nparams = nparams;
	job->params = xcalloc(nparams > 0 ? nparams : 1, sizeof *job->params);
	for (i = 0; i < nparams; i++)
		job->params[i] = params[i] != NULL ? xstrdup(params[i]) : NULL;
	job->done = done;
	job->arg = arg;
	pthread_mutex_lock(&rep.mtx);
	TAILQ_INSERT_TAIL(&rep.waiting, job, entry);
	pthread_cond_signal(&rep.cond);
	pthread_mutex_unlock(&rep.mtx);
}

/* Free a parsed query file. */
void
report_free(struct report_def *def)
{
	int	 i;

	if (def == NULL)
		return;
	for (i = 0; i < def->nparams; i++) {
		free(def->params[i].name);
		free(def->params[i].type);
		free(def->params[i].dflt);
	}
	free(def->name);
	free(def->about);
	free(def->sql);
	free(def);
}

/* Parse a query file's text (see the top of this file). */
struct report_def *
report_parse(const char *name, const char *text, char **cause)
{
	struct report_def	*def;
	struct report_param	*p;
	const char		*line, *nl;
	char			*l, f0[64], f1[32], f2[128];
	size_t			 len;

	def = xcalloc(1, sizeof *def);
	def->name = xstrdup(name);
	def->sql = xstrdup(text);
	def->about = xstrdup("");
	for (line = text; *line != '\0'; line = nl + 1) {
		nl = strchr(line, '\n');
		len = nl != NULL ? (size_t)(nl - line) : strlen(line);
		if (strncmp(line, "--", 2) != 0)
			break;
		l = xstrndup(line + 2, len - 2);
		if (strncmp(l, " param:", 7) == 0) {
			if (sscanf(l + 7, "%63s %31s %127s", f0, f1, f2) != 3) {
				xasprintf(cause, "%s: malformed parameter line "
				    "\"%.*s\"", name, (int)len, line);
				free(l);
				report_free(def);
				return (NULL);
			}
			if (def->nparams == (int)nitems(def->params)) {
				xasprintf(cause, "%s: too many parameters",
				    name);
				free(l);
				report_free(def);
				return (NULL);
			}
			p = &def->params[def->nparams++];
			p->name = xstrdup(f0);
			p->type = xstrdup(f1);
			p->dflt = strcmp(f2, "null") == 0 ? NULL : xstrdup(f2);
		} else if (strncmp(l, " report:", 8) != 0) {
			char	*about;

			xasprintf(&about, "%s%s%s", def->about,
			    *def->about != '\0' ? " " : "",
			    l[0] == ' ' ? l + 1 : l);
			free(def->about);
			def->about = about;
		}
		free(l);
		if (nl == NULL)
			break;
	}
	return (def);
}

/* A report name is lower-case letters, digits and '-'. */
bool
report_name_ok(const char *name)
{
	size_t	 n = strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-");

	return (*name != '\0' && name[n] == '\0' && n < 64);
}

/* Where the query files are. */
const char *
report_queries_dir(void)
{
	const char	*s;

	if ((s = getenv("EARD_QUERIES_DIR")) != NULL && *s != '\0')
		return (s);
	if ((s = queries_dir_near_exe()) != NULL)
		return (s);
	return ("queries");
}

/* Load queries/NAME.sql; NULL with *cause (ENOENT: *missing set). */
struct report_def *
report_load(const char *name, bool *missing, char **cause)
{
	struct report_def	*def;
	char			*path, *text;
	FILE			*f;
	long			 len;

	*missing = false;
	if (!report_name_ok(name)) {
		*missing = true;
		xasprintf(cause, "invalid report name \"%s\"", name);
		return (NULL);
	}
	xasprintf(&path, "%s/%s.sql", report_queries_dir(), name);
	if ((f = fopen(path, "r")) == NULL) {
		*missing = errno == ENOENT;
		xasprintf(cause, "could not open report \"%s\": %s", path,
		    strerror(errno));
		free(path);
		return (NULL);
	}
	free(path);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	text = xmalloc(len > 0 ? (size_t)len + 1 : 1);
	len = (long)fread(text, 1, len > 0 ? (size_t)len : 0, f);
	text[len] = '\0';
	fclose(f);
	def = report_parse(name, text, cause);
	free(text);
	return (def);
}

/* Check a parameter value against its declared type. */
bool
report_param_ok(const struct report_param *p, const char *v)
{
	ear_date	 d;
	char		*end;

	if (v == NULL)
		return (true);
	if (strcmp(p->type, "date") == 0)
		return (date_parse(v, &d) == 0);
	if (strcmp(p->type, "numeric") == 0) {
		(void)strtod(v, &end);
		return (*v != '\0' && *end == '\0');
	}
	return (true);
}
