/*
 * route_import.c: POST /v1/import/{kind} (admin), the socket form of
 * `earctl import KIND FILE`. kind is rules, chips, models, csl, ecfr or fr;
 * the body is the file's bytes (at most max_body_size: bigger files need
 * the CLI). Query parameters: name=FILE (the file name in messages and,
 * for rulepacks, the name whose order decides the rebuild, so give the
 * pack's own, e.g. 20-ccl.xml), format=epoch|hf|json (models, chips),
 * date=YYYY-MM-DD (ecfr), citation="88 FR 12170" (fr).
 *
 * The loop only checks the request and copies the body. A detached worker
 * thread per import writes it to a private directory (mkdtemp under
 * spool_dir, else $TMPDIR, else /tmp; the file keeps the given name),
 * opens its own blocking connection to import_database_url (default:
 * database_url with user=eard_admin) and calls the importer of
 * importers/importers.h, which runs in one transaction: a bad file changes
 * nothing. Imports run one at a time (a mutex); a finished job goes on a
 * done list and the worker writes a byte to a pipe whose read event, on
 * the loop, replies (report.c's pattern; libevent is not thread-enabled
 * here, so the worker never touches it). The worker logs nothing and
 * never touches the request.
 *
 * Replies: 200 with the importer's counts, 400 with its message ("FILE:
 * LINE: <element id=...>: what"), 503 when the database cannot be reached
 * or too many imports are queued.
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
#include "importers.h"

#ifndef EARD_SHAREDIR
#define EARD_SHAREDIR "/usr/local/share/eard"
#endif

#define IMPORT_MAX_QUEUED	4	/* imports waiting or running */
#define IMPORT_NAME_MAX		128

struct import_job {
	TAILQ_ENTRY(import_job)	 entry;
	struct request		*r;
	char			 kind[8];
	char			*name;		/* safe file name */
	char			*format;	/* or NULL */
	char			*date;		/* or NULL */
	char			*citation;	/* or NULL */
	char			*url;		/* the connection string */
	char			*dir;		/* where to make the temp dir */
	char			*rng;		/* rulepack schema */
	char			*data;
	size_t			 len;
	int			 status;
	json_t			*body;
	int64_t			 start_us;
};
TAILQ_HEAD(import_queue, import_job);

static struct {
	bool			 init;
	pthread_mutex_t		 mtx;		/* done, queued */
	pthread_mutex_t		 run;		/* one import at a time */
	struct import_queue	 done;
	size_t			 queued;
	int			 pipe[2];
	struct event		*ev;
} imp = { .mtx = PTHREAD_MUTEX_INITIALIZER,
    .run = PTHREAD_MUTEX_INITIALIZER };

static const char *const import_kinds[] = {
	"rules", "chips", "models", "csl", "ecfr", "fr"
};

/* An error body in the API's shape. */
static json_t *
import_error_json(const char *code, const char *msg)
{
	return (json_pack("{s:{s:s, s:s, s:n}}", "error", "code", code,
	    "message", msg, "field"));
}

/* Append "key='value'" (libpq quoting) to *s. */
static void
import_conninfo_add(char **s, const char *key, const char *val)
{
	char		*n;
	const char	*p;
	size_t		 len, i = 0;

	len = strlen(*s) + strlen(key) + 2 * strlen(val) + 5;
	n = xmalloc(len);
	i = (size_t)snprintf(n, len, "%s%s%s='", *s, **s != '\0' ? " " : "",
	    key);
	for (p = val; *p != '\0'; p++) {
		if (*p == '\'' || *p == '\\')
			n[i++] = '\\';
		n[i++] = *p;
	}
	n[i++] = '\'';
	n[i] = '\0';
	free(*s);
	*s = n;
}

/*
 * database_url (key=value or URI) with its user replaced by eard_admin:
 * the default of import_database_url. NULL with *cause if it does not
 * parse.
 */
char *
import_conninfo_admin(const char *url, char **cause)
{
	PQconninfoOption	*opts, *o;
	char			*err = NULL, *s;

	if ((opts = PQconninfoParse(url, &err)) == NULL) {
		xasprintf(cause, "could not parse database_url: %s",
		    err != NULL ? err : "out of memory");
		PQfreemem(err);
		return (NULL);
	}
	s = xstrdup("");
	for (o = opts; o->keyword != NULL; o++) {
		if (o->val == NULL || strcmp(o->keyword, "user") == 0)
			continue;
		import_conninfo_add(&s, o->keyword, o->val);
	}
	import_conninfo_add(&s, "user", "eard_admin");
	PQconninfoFree(opts);
	return (s);
}

/* The rulepack schema: $EARD_RULES_SCHEMA, beside the binary, or shared. */
static char *
import_rng_path(void)
{
	const char	*s;
	char		*path;
	struct stat	 sb;

	if ((s = getenv("EARD_RULES_SCHEMA")) != NULL && *s != '\0')
		return (xstrdup(s));
	if ((s = queries_dir_near_exe()) != NULL) {
		xasprintf(&path, "%s/../rules/rulepack.rng", s);
		if (stat(path, &sb) == 0)
			return (path);
		free(path);
	}
	if (stat("rules/rulepack.rng", &sb) == 0)
		return (xstrdup("rules/rulepack.rng"));
	return (xstrdup(EARD_SHAREDIR "/rules/rulepack.rng"));
}

/* Remove every "dir/" from a message, so it names the file as given. */
static char *
import_strip_dir(char *msg, const char *dir)
{
	char	*p, *pre;
	size_t	 n;

	xasprintf(&pre, "%s/", dir);
	n = strlen(pre);
	while ((p = strstr(msg, pre)) != NULL)
		memmove(p, p + n, strlen(p + n) + 1);
	free(pre);
	return (msg);
}

/* Write the body to dir/name, a new directory only this process reads. */
static char *
import_write_file(struct import_job *job, char **dirp, char **cause)
{
	char	*dir, *path;
	size_t	 off = 0;
	ssize_t	 n;
	int	 fd;

	xasprintf(&dir, "%s/eard-import.XXXXXX", job->dir);
	if (mkdtemp(dir) == NULL) {
		xasprintf(cause, "could not create a directory in %s: %s",
		    job->dir, strerror(errno));
		free(dir);
		return (NULL);
	}
	xasprintf(&path, "%s/%s", dir, job->name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1) {
		xasprintf(cause, "could not create %s: %s", path,
		    strerror(errno));
		goto fail;
	}
	while (off < job->len) {
		n = write(fd, job->data + off, job->len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			xasprintf(cause, "could not write %s: %s", path,
			    strerror(errno));
			close(fd);
			unlink(path);
			goto fail;
		}
		off += (size_t)n;
	}
	close(fd);
	*dirp = dir;
	return (path);
fail:
	rmdir(dir);
	free(dir);
	free(path);
	return (NULL);
}

/* Run the importer of job->kind on path; 0, or -1 with *cause. */
static int
import_run_kind(struct import_job *job, PGconn *conn, char *path,
    char **cause)
{
	struct rulepack_report	 rr;
	struct registry_report	 gr;
	struct csl_report	 cr;
	struct ecfr_stats	 es;
	enum registry_kind	 rk;

	if (strcmp(job->kind, "rules") == 0) {
		memset(&rr, 0, sizeof rr);
		if (rulepack_import_files(conn, &path, 1, job->rng, &rr,
		    cause) != 0)
			return (-1);
		job->body = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I}",
		    "kind", "rules", "name", job->name,
		    "files", (json_int_t)rr.files,
		    "imported", (json_int_t)rr.imported,
		    "unchanged", (json_int_t)rr.unchanged,
		    "rows", (json_int_t)rr.rows);
	} else if (strcmp(job->kind, "models") == 0 ||
	    strcmp(job->kind, "chips") == 0) {
		rk = job->kind[0] == 'm' ? REGISTRY_MODELS : REGISTRY_CHIPS;
		memset(&gr, 0, sizeof gr);
		if (registry_import_files(conn, rk, job->format, &path, 1,
		    &gr, cause) != 0)
			return (-1);
		job->body = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I}",
		    "kind", job->kind, "name", job->name,
		    "files", (json_int_t)gr.files,
		    "items", (json_int_t)gr.items,
		    "facts_new", (json_int_t)gr.facts_new,
		    "facts_changed", (json_int_t)gr.facts_changed,
		    "facts_unchanged", (json_int_t)gr.facts_unchanged);
	} else if (strcmp(job->kind, "csl") == 0) {
		memset(&cr, 0, sizeof cr);
		if (csl_import_file(conn, path, &cr, cause) != 0)
			return (-1);
		job->body = json_pack("{s:s, s:s, s:I, s:I, s:s, s:b, s:I, "
		    "s:I}", "kind", "csl", "name", job->name,
		    "version", (json_int_t)cr.version,
		    "parties", (json_int_t)cr.parties,
		    "sha256", cr.sha256, "unchanged", cr.unchanged,
		    "rescreened", (json_int_t)cr.rescreened,
		    "changed", (json_int_t)cr.changed);
	} else if (strcmp(job->kind, "ecfr") == 0) {
		memset(&es, 0, sizeof es);
		if (ecfr_import_file(conn, path, job->date, &es, cause) != 0)
			return (-1);
		job->body = json_pack("{s:s, s:s, s:o, s:I, s:I, s:I, s:I, "
		    "s:I}", "kind", "ecfr", "name", job->name,
		    "date", job->date != NULL ? json_string(job->date) :
		    json_null(), "nodes", (json_int_t)es.nodes,
		    "eccns", (json_int_t)es.eccns,
		    "groups", (json_int_t)es.groups,
		    "chart", (json_int_t)es.chart,
		    "entities", (json_int_t)es.entities);
	} else {
		if (fr_import_file(conn, path, job->citation, cause) != 0)
			return (-1);
		job->body = json_pack("{s:s, s:s}", "kind", "fr",
		    "name", job->name);
	}
	return (0);
}

/* The import itself, in the worker: sets job->status and job->body. */
static void
import_run(struct import_job *job)
{
	PGconn	*conn;
	char	*dir = NULL, *path, *cause = NULL;

	if ((path = import_write_file(job, &dir, &cause)) == NULL) {
		job->status = 500;
		job->body = import_error_json("import_failed", cause);
		free(cause);
		return;
	}
	conn = PQconnectdb(job->url);
	if (PQstatus(conn) != CONNECTION_OK) {
		xasprintf(&cause, "could not connect for the import: %s",
		    PQerrorMessage(conn));
		job->status = 503;
		job->body = import_error_json("database_unavailable", cause);
	} else if (import_run_kind(job, conn, path, &cause) != 0) {
		import_strip_dir(cause, dir);
		if (PQstatus(conn) != CONNECTION_OK) {
			job->status = 503;
			job->body = import_error_json("database_unavailable",
			    cause);
		} else {
			job->status = 400;
			job->body = import_error_json("invalid_import", cause);
		}
	} else
		job->status = 200;
	free(cause);
	PQfinish(conn);
	unlink(path);
	rmdir(dir);
	free(path);
	free(dir);
}

/* The worker thread of one import. */
static void *
import_thread(void *arg)
{
	struct import_job	*job = arg;
	char			 c = 'i';

	pthread_mutex_lock(&imp.run);
	import_run(job);
	pthread_mutex_unlock(&imp.run);

	pthread_mutex_lock(&imp.mtx);
	TAILQ_INSERT_TAIL(&imp.done, job, entry);
	pthread_mutex_unlock(&imp.mtx);
	while (write(imp.pipe[1], &c, 1) == -1 && errno == EINTR)
		;
	return (NULL);
}

/* Free a job (on the loop). */
static void
import_job_free(struct import_job *job)
{
	free(job->name);
	free(job->format);
	free(job->date);
	free(job->citation);
	free(job->url);
	free(job->dir);
	free(job->rng);
	free(job->data);
	free(job);
}

/* On the loop: reply to finished imports. */
static void
import_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct import_job	*job;
	json_t			*msg;
	char			 buf[64];

	(void)what;
	(void)arg;
	while (read(fd, buf, sizeof buf) > 0)
		;
	for (;;) {
		pthread_mutex_lock(&imp.mtx);
		if ((job = TAILQ_FIRST(&imp.done)) != NULL) {
			TAILQ_REMOVE(&imp.done, job, entry);
			imp.queued--;
		}
		pthread_mutex_unlock(&imp.mtx);
		if (job == NULL)
			break;
		if (job->status == 200)
			log_rinfo(request_id(job->r), "import %s %s by %s: done "
			    "in %lld ms", job->kind, job->name,
			    request_requester(job->r),
			    (long long)(eard_now_us() - job->start_us) / 1000);
		else {
			msg = json_object_get(json_object_get(job->body,
			    "error"), "message");
			log_rwarnx(request_id(job->r), "import %s %s by %s: %s",
			    job->kind, job->name, request_requester(job->r),
			    json_string_value(msg) != NULL ?
			    json_string_value(msg) : "failed");
		}
		if (!request_replied(job->r))
			request_reply_json(job->r, job->status, job->body);
		else
			json_decref(job->body);
		request_release(job->r);
		import_job_free(job);
	}
}

/* Set up the done pipe and its event (once, on the loop). */
static int
import_init(void)
{
	int	 i;

	if (imp.init)
		return (0);
	TAILQ_INIT(&imp.done);
	if (pipe(imp.pipe) == -1)
		return (-1);
	for (i = 0; i < 2; i++) {
		if (fcntl(imp.pipe[i], F_SETFL, O_NONBLOCK) == -1 ||
		    fcntl(imp.pipe[i], F_SETFD, FD_CLOEXEC) == -1)
			return (-1);
	}
	imp.ev = event_new(ev_base, imp.pipe[0], EV_READ | EV_PERSIST,
	    import_done_cb, NULL);
	if (imp.ev == NULL || event_add(imp.ev, NULL) == -1)
		return (-1);
	imp.init = true;
	return (0);
}

/* The file name to use: name=FILE's last component, checked, or a default. */
static char *
import_safe_name(const char *kind, const char *name)
{
	const char	*base;
	char		*s;
	size_t		 n;

	if (name == NULL || *name == '\0') {
		xasprintf(&s, "%s-upload", kind);
		return (s);
	}
	base = strrchr(name, '/') != NULL ? strrchr(name, '/') + 1 : name;
	n = strspn(base, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._-");
	if (*base == '\0' || *base == '.' || base[n] != '\0' ||
	    n > IMPORT_NAME_MAX)
		return (NULL);
	return (xstrdup(base));
}

/* Is s YYYY-MM-DD (digits in place)? */
static bool
import_date_ok(const char *s)
{
	int	 i;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return (false);
	for (i = 0; i < 10; i++) {
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return (false);
	}
	return (true);
}

/* POST /v1/import/{kind}: check, copy the body, hand it to a worker. */
void
route_import_import(struct request *r)
{
	struct import_job	*job;
	pthread_t		 t;
	pthread_attr_t		 attr;
	const char		*kind = request_arg(r), *data, *s;
	const char		*format, *date, *name;
	char			*cause = NULL;
	size_t			 i, len;
	int			 rc;

	for (i = 0; i < nitems(import_kinds); i++) {
		if (strcmp(kind, import_kinds[i]) == 0)
			break;
	}
	if (i == nitems(import_kinds)) {
		request_reply_errorf(r, 404, "not_found", "kind",
		    "no importer \"%s\"; kinds: rules, chips, models, csl, "
		    "ecfr, fr", kind);
		return;
	}
	data = request_body(r, &len);
	if (len == 0) {
		request_reply_errorf(r, 400, "empty_body", NULL,
		    "request body is empty; expected the file to import");
		return;
	}
	name = request_query(r, "name");
	format = request_query(r, "format");
	date = request_query(r, "date");
	if (format != NULL && strcmp(format, "epoch") != 0 &&
	    strcmp(format, "hf") != 0 && strcmp(format, "json") != 0) {
		request_reply_errorf(r, 400, "invalid_parameter", "format",
		    "format must be epoch, hf or json, not \"%s\"", format);
		return;
	}
	if (date != NULL && !import_date_ok(date)) {
		request_reply_errorf(r, 400, "invalid_parameter", "date",
		    "date must be YYYY-MM-DD, not \"%s\"", date);
		return;
	}
	if (import_init() != 0) {
		request_reply_errorf(r, 500, "import_failed", NULL,
		    "could not set up the import worker: %s", strerror(errno));
		return;
	}
	job = xcalloc(1, sizeof *job);
	snprintf(job->kind, sizeof job->kind, "%s", kind);
	if ((job->name = import_safe_name(kind, name)) == NULL) {
		import_job_free(job);
		request_reply_errorf(r, 400, "invalid_parameter", "name",
		    "name must be a file name of letters, digits, '.', '_' "
		    "and '-' (at most %d)", IMPORT_NAME_MAX);
		return;
	}
	if (cfg.import_database_url != NULL)
		job->url = xstrdup(cfg.import_database_url);
	else if ((job->url = import_conninfo_admin(cfg.database_url != NULL ?
	    cfg.database_url : "", &cause)) == NULL) {
		import_job_free(job);
		request_reply_errorf(r, 500, "import_failed", NULL, "%s",
		    cause);
		free(cause);
		return;
	}
	job->format = format != NULL ? xstrdup(format) : NULL;
	job->date = date != NULL ? xstrdup(date) : NULL;
	s = request_query(r, "citation");
	job->citation = s != NULL ? xstrdup(s) : NULL;
	if (cfg.spool_dir != NULL && access(cfg.spool_dir, W_OK) == 0)
		job->dir = xstrdup(cfg.spool_dir);
	else if ((s = getenv("TMPDIR")) != NULL && *s != '\0')
		job->dir = xstrdup(s);
	else
		job->dir = xstrdup("/tmp");
	job->rng = import_rng_path();
	job->data = xmalloc(len);
	memcpy(job->data, data, len);
	job->len = len;
	job->r = r;
	job->start_us = eard_now_us();

	pthread_mutex_lock(&imp.mtx);
	if (imp.queued >= IMPORT_MAX_QUEUED) {
		pthread_mutex_unlock(&imp.mtx);
		import_job_free(job);
		request_reply_errorf(r, 503, "import_busy", NULL,
		    "%d imports are already queued; try again later",
		    IMPORT_MAX_QUEUED);
		return;
	}
	imp.queued++;
	pthread_mutex_unlock(&imp.mtx);

	request_hold(r);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t, &attr, import_thread, job);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		pthread_mutex_lock(&imp.mtx);
		imp.queued--;
		pthread_mutex_unlock(&imp.mtx);
		import_job_free(job);
		request_reply_errorf(r, 503, "import_busy", NULL,
		    "could not start an import worker: %s", strerror(rc));
		request_release(r);
	}
}
