/*
 * csv.c: a small RFC 4180 reader over a buffer, shared by the CSV
 * importers (Epoch AI's data sets, the screening list's CSV form).
 *
 * The reader owns one growing row of fields; csv_next() hands out pointers
 * into it that stay valid until the next call.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "importers.h"

struct csv_reader {
	const char	*p;
	const char	*end;
	size_t		 line;		/* current physical line, from 1 */
	size_t		 row_line;	/* first line of the last row */
	char		*buf;		/* the fields, NUL-separated */
	size_t		 buflen;
	size_t		 bufsize;
	size_t		*offs;		/* start of each field in buf */
	char		**fields;
	size_t		 nfields;
	size_t		 fieldsize;
};

/* Open a reader over len bytes of buf (borrowed), skipping a UTF-8 BOM. */
struct csv_reader *
csv_open(const char *buf, size_t len)
{
	struct csv_reader	*r;

	r = xcalloc(1, sizeof *r);
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
		buf += 3;
		len -= 3;
	}
	r->p = buf;
	r->end = buf + len;
	r->line = 1;
	return r;
}

void
csv_close(struct csv_reader *r)
{
	if (r == NULL)
		return;
	free(r->buf);
	free(r->offs);
	free(r->fields);
	free(r);
}

/* The line on which the row last returned by csv_next() began. */
size_t
csv_line(const struct csv_reader *r)
{
	return r->row_line;
}

static void
csv_putc(struct csv_reader *r, char c)
{
	if (r->buflen + 1 >= r->bufsize) {
		r->bufsize = r->bufsize == 0 ? 256 : r->bufsize * 2;
		r->buf = xreallocarray(r->buf, r->bufsize, 1);
	}
	r->buf[r->buflen++] = c;
}

static void
csv_end_field(struct csv_reader *r, size_t start)
{
	csv_putc(r, '\0');
	if (r->nfields == r->fieldsize) {
		r->fieldsize = r->fieldsize == 0 ? 16 : r->fieldsize * 2;
		r->offs = xreallocarray(r->offs, r->fieldsize, sizeof *r->offs);
		r->fields = xreallocarray(r->fields, r->fieldsize,
		    sizeof *r->fields);
	}
	r->offs[r->nfields++] = start;
}

/* Read the next row; 1 with fields, 0 at the end, -1 with *cause. */
int
csv_next(struct csv_reader *r, char ***fields, size_t *nfields, char **cause)
{
	size_t	 start, i;
	bool	 quoted;
	char	 c;

	r->buflen = 0;
	r->nfields = 0;
	if (r->p >= r->end)
		return 0;
	r->row_line = r->line;
	start = 0;
	for (;;) {
		/* One field. */
		start = r->buflen;
		quoted = false;
		if (r->p < r->end && *r->p == '"') {
			quoted = true;
			r->p++;
		}
		for (;;) {
			if (r->p >= r->end) {
				if (quoted) {
					if (cause != NULL)
						xasprintf(cause, "line %zu: "
						    "unterminated quoted field",
						    r->row_line);
					return -1;
				}
				break;
			}
			c = *r->p;
			if (quoted) {
				if (c == '"') {
					if (r->p + 1 < r->end && r->p[1] == '"') {
						csv_putc(r, '"');
						r->p += 2;
						continue;
					}
					r->p++;
					quoted = false;
					continue;
				}
				if (c == '\n')
					r->line++;
				csv_putc(r, c);
				r->p++;
				continue;
			}
			if (c == ',' || c == '\n' || c == '\r')
				break;
			csv_putc(r, c);	/* stray quotes inside are kept */
			r->p++;
		}
		csv_end_field(r, start);
		if (r->p >= r->end)
			break;
		c = *r->p++;
		if (c == ',')
			continue;
		if (c == '\r' && r->p < r->end && *r->p == '\n')
			r->p++;
		r->line++;
		break;
	}
	for (i = 0; i < r->nfields; i++)
		r->fields[i] = r->buf + r->offs[i];
	*fields = r->fields;
	*nfields = r->nfields;
	return 1;
}

/* Index of the column named name in a header row, or -1. */
int
csv_column(char *const *hdr, size_t n, const char *name)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (strcmp(hdr[i], name) == 0)
			return (int)i;
	}
	return -1;
}

/*
 * Read a number as outside CSVs write it: "3.8e+25", "1,234" (thousands
 * separators), surrounding blanks. 1 with *out, 0 when the cell says
 * nothing, -1 when it is not a number (including "1,234,5" or "inf").
 */
int
csv_number(const char *s, double *out)
{
	static const char *const nothing[] = { "unknown", "nan", "n/a", "na",
	    "-", "none", "null", "?" };
	char	 tmp[128], *endp;
	size_t	 n, i, len, digits;
	double	 v;

	while (isspace((unsigned char)*s))
		s++;
	len = strlen(s);
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	if (len == 0)
		return 0;
	for (i = 0; i < nitems(nothing); i++) {
		if (len == strlen(nothing[i]) && strncasecmp(s, nothing[i],
		    len) == 0)
			return 0;
	}
	if (len >= sizeof tmp)
		return -1;
	/* Drop thousands separators, only in groups of three digits. */
	n = 0;
	digits = 0;
	for (i = 0; i < len; i++) {
		if (s[i] == ',') {
			if (digits == 0 || i + 3 >= len ||
			    !isdigit((unsigned char)s[i + 1]) ||
			    !isdigit((unsigned char)s[i + 2]) ||
			    !isdigit((unsigned char)s[i + 3]) ||
			    (i + 4 < len && isdigit((unsigned char)s[i + 4])))
				return -1;
			continue;
		}
		if (isdigit((unsigned char)s[i]))
			digits++;
		else if (s[i] == '.' || s[i] == 'e' || s[i] == 'E')
			digits = 0;
		tmp[n++] = s[i];
	}
	tmp[n] = '\0';
	if (tmp[0] != '-' && tmp[0] != '+' && tmp[0] != '.' &&
	    !isdigit((unsigned char)tmp[0]))
		return -1;
	errno = 0;
	v = strtod(tmp, &endp);
	if (*endp != '\0' || endp == tmp || errno == ERANGE || !isfinite(v))
		return -1;
	*out = v;
	return 1;
}
