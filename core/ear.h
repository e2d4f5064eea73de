/*
 * libear: the domain of eard, pure C with no I/O beyond logging to stderr.
 * Depends on libc, jansson (the JSON codec) and utf8proc (name matching).
 *
 * Sections follow the files that implement them: a function's prefix names
 * its file (chip_compute_tpp() is in core/chip.c).
 *
 * Ownership: a function that returns a pointer the caller must free says so
 * in its section; everything else is borrowed from its argument.
 */
#ifndef EAR_H
#define EAR_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include <jansson.h>

#define MUSTCHECK __attribute__((warn_unused_result))
#define PRINTFLIKE(a, b) __attribute__((format(printf, a, b)))
#define NORETURN __attribute__((noreturn))

#ifndef nitems
#define nitems(a) (sizeof(a) / sizeof((a)[0]))
#endif

/* xmalloc.c: allocation that dies on out-of-memory (callers never check). */
void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
int	 xasprintf(char **, const char *, ...) PRINTFLIKE(2, 3);
int	 xvasprintf(char **, const char *, va_list) PRINTFLIKE(2, 0);

/* log.c: logging to stderr (or syslog), OpenSMTPD style. */
enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };
void	 log_init(const char *, enum log_level, bool);
void	 log_set_level(enum log_level);
void	 log_set_json(bool);
enum log_level log_get_level(void);
int	 log_parse_level(const char *, enum log_level *) MUSTCHECK;
void	 log_warn(const char *, ...) PRINTFLIKE(1, 2);
void	 log_warnx(const char *, ...) PRINTFLIKE(1, 2);
void	 log_info(const char *, ...) PRINTFLIKE(1, 2);
void	 log_debug(const char *, ...) PRINTFLIKE(1, 2);
void	 log_rwarnx(const char *, const char *, ...) PRINTFLIKE(2, 3);
void	 log_rinfo(const char *, const char *, ...) PRINTFLIKE(2, 3);
void	 log_rdebug(const char *, const char *, ...) PRINTFLIKE(2, 3);
NORETURN void fatal(const char *, ...) PRINTFLIKE(1, 2);
NORETURN void fatalx(const char *, ...) PRINTFLIKE(1, 2);

/*
 * date.c: calendar dates as days since 1970-01-01 (UTC), the unit of every
 * validity range. Ranges are half-open [from, to); EAR_DATE_INF is open.
 */
typedef int32_t ear_date;
#define EAR_DATE_NINF	INT32_MIN
#define EAR_DATE_INF	INT32_MAX
int	 date_parse(const char *, ear_date *) MUSTCHECK;	/* "YYYY-MM-DD" */
void	 date_format(ear_date, char [static 11]);
ear_date date_today(void);
ear_date date_from_ymd(int, int, int);
void	 date_to_ymd(ear_date, int *, int *, int *);
bool	 date_in(ear_date, ear_date, ear_date);		/* from <= d < to */

/*
 * error.c: a user-facing error, as in {"error":{"code","message","field"}}.
 * Strings are owned by the struct; error_clear() frees them.
 */
struct ear_error {
	int	 status;	/* HTTP status: 400, 404, 413, 422, 500, 503 */
	char	*code;		/* "invalid_field", "unknown_field", ... */
	char	*message;	/* PostgreSQL style: lower case, no period */
	char	*field;		/* JSON path of the culprit, or NULL */
};
void	 error_set(struct ear_error *, int, const char *, const char *,
	     const char *, ...) PRINTFLIKE(5, 6);
void	 error_clear(struct ear_error *);
json_t	*error_to_json(const struct ear_error *);	/* new reference */


#endif /* EAR_H */
