/* log.c: leveled logging to stderr or syslog, optionally as JSON lines. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "ear.h"

static const char	*log_procname = "eard";
static enum log_level	 log_level = LOG_LVL_INFO;
static bool		 log_syslog;
static bool		 log_json;

static const char *const log_names[] = { "error", "warning", "info", "debug" };

/* Set the program name, the level and whether to log to syslog. */
void
log_init(const char *procname, enum log_level level, bool use_syslog)
{
	log_procname = procname;
	log_level = level;
	log_syslog = use_syslog;
	if (use_syslog)
		openlog(procname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_set_level(enum log_level level)
{
	log_level = level;
}

void
log_set_json(bool on)
{
	log_json = on;
}

enum log_level
log_get_level(void)
{
	return log_level;
}

/* Parse "error", "warning", "info" or "debug". */
int
log_parse_level(const char *s, enum log_level *out)
{
	size_t	 i;

	for (i = 0; i < nitems(log_names); i++) {
		if (strcmp(s, log_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	if (strcmp(s, "warn") == 0) {
		*out = LOG_LVL_WARN;
		return 0;
	}
	return -1;
}

static void
log_emit(enum log_level level, const char *rid, const char *msg)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char		 ts[64];
	struct tm	 tm;
	struct timespec	 now;
	json_t		*o;
	char		*line;

	if (log_syslog) {
		if (rid != NULL)
			syslog(prio[level], "[%s] %s", rid, msg);
		else
			syslog(prio[level], "%s", msg);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, now.tv_nsec / 1000000);
	if (log_json) {
		o = json_pack("{s:s, s:s, s:s, s:s}", "ts", ts, "level",
		    log_names[level], "proc", log_procname, "msg", msg);
		if (o != NULL && rid != NULL)
			json_object_set_new(o, "request_id", json_string(rid));
		line = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
		if (line != NULL)
			fprintf(stderr, "%s\n", line);
		free(line);
		json_decref(o);
		return;
	}
	if (rid != NULL)
		fprintf(stderr, "%s %s[%s] %s: [%s] %s\n", ts, log_procname,
		    log_names[level], log_names[level], rid, msg);
	else
		fprintf(stderr, "%s %s: %s: %s\n", ts, log_procname,
		    log_names[level], msg);
}

/* Print one JSON line: ts, level, proc, msg, request_id, then fields. */
static void
log_emit_fields(enum log_level level, const char *rid, const char *msg,
    json_t *fields)
{
	char		 ts[64];
	struct tm	 tm;
	struct timespec	 now;
	json_t		*o;
	char		*line;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, now.tv_nsec / 1000000);
	o = json_object();
	json_object_set_new(o, "ts", json_string(ts));
	json_object_set_new(o, "level", json_string(log_names[level]));
	json_object_set_new(o, "proc", json_string(log_procname));
	json_object_set_new(o, "msg", json_string(msg));
	if (rid != NULL)
		json_object_set_new(o, "request_id", json_string(rid));
	if (fields != NULL)
		json_object_update(o, fields);
	line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (line != NULL)
		fprintf(stderr, "%s\n", line);
	free(line);
	json_decref(o);
}

static void
log_vlog(enum log_level level, const char *rid, int errnum, const char *fmt,
    va_list ap)
{
	char	*msg, *full;

	if (level > log_level)
		return;
	if (vasprintf(&msg, fmt, ap) == -1)
		return;
	if (errnum != 0) {
		if (asprintf(&full, "%s: %s", msg, strerror(errnum)) == -1) {
			free(msg);
			return;
		}
		free(msg);
		msg = full;
	}
	log_emit(level, rid, msg);
	free(msg);
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	log_vlog(LOG_LVL_WARN, NULL, saved, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vlog(LOG_LVL_WARN, NULL, 0, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vlog(LOG_LVL_INFO, NULL, 0, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vlog(LOG_LVL_DEBUG, NULL, 0, fmt, ap);
	va_end(ap);
}

/* Per-request variants: the first argument is the request id. */
void
log_rwarnx(const char *rid, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vlog(LOG_LVL_WARN, rid, 0, fmt, ap);
	va_end(ap);
}

void
log_rinfo(const char *rid, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vlog(LOG_LVL_INFO, rid, 0, fmt, ap);
	va_end(ap);
}

void
log_rdebug(const char *rid, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vlog(LOG_LVL_DEBUG, rid, 0, fmt, ap);
	va_end(ap);
}

/*
 * A line with named fields (the access log): in JSON they become members of
 * the line's object, in text " key=value" after msg. fields is borrowed.
 */
void
log_rfields(enum log_level level, const char *rid, const char *msg,
    json_t *fields)
{
	const char	*k;
	json_t		*v;
	char		*line, *val, *tmp;

	if (level > log_level)
		return;
	if (log_json && !log_syslog) {
		log_emit_fields(level, rid, msg, fields);
		return;
	}
	line = xstrdup(msg);
	json_object_foreach(fields, k, v) {
		if (json_is_string(v))
			val = xstrdup(json_string_value(v));
		else if ((val = json_dumps(v, JSON_ENCODE_ANY |
		    JSON_COMPACT)) == NULL)
			continue;
		xasprintf(&tmp, "%s %s=%s", line, k, val);
		free(val);
		free(line);
		line = tmp;
	}
	log_emit(level, rid, line);
	free(line);
}

/* A setup step failed with errno set: log it and exit. */
void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	log_vlog(LOG_LVL_ERROR, NULL, saved, fmt, ap);
	va_end(ap);
	exit(1);
}

/* An impossible state: log it and exit. */
void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vlog(LOG_LVL_ERROR, NULL, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
