/*
 * canon.c: the canonical form of a JSON value, the bytes a decision's hash
 * covers (schema/020_decisions.sql). It must come out the same from the
 * json_t the daemon answered with and from the row read back from jsonb
 * years later, so:
 * - object keys are sorted by their UTF-8 bytes, no whitespace anywhere;
 * - strings are written raw UTF-8, escaping only '"', '\\' and controls
 *   (\b \f \n \r \t, else \u00XX), whatever escapes the input used;
 * - a number is written from its double value, so 2, 2.0 and 2e0 agree: an
 *   integral value below 2^53 in magnitude as an integer, anything else with
 *   %.17g (which round-trips a double). jsonb keeps the decimal digits it is
 *   given and jansson writes doubles with 17 digits, so the round trip
 *   through PostgreSQL gives back the same double, hence the same text.
 *
 * canon_dumps() is another writer, for answers rather than hashes: the very
 * bytes of jansson's json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY |
 * JSON_REAL_PRECISION(15)) (keys in insertion order, reals as "%.15g" with
 * ".0" added to integral values and the exponent's '+' and leading zeros
 * dropped), several times faster: jansson checks every object and array
 * for cycles through a hash table keyed by its printed address.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ear.h"

struct canon_buf {
	char	*p;
	size_t	 len;
	size_t	 size;
};

/* Append n bytes. */
static void
canon_put(struct canon_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->size) {
		while (b->len + n + 1 > b->size)
			b->size = b->size ? b->size * 2 : 256;
		b->p = xreallocarray(b->p, 1, b->size);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* Append a NUL-terminated string. */
static void
canon_puts(struct canon_buf *b, const char *s)
{
	canon_put(b, s, strlen(s));
}

/* Append a JSON string literal. */
static void
canon_string(struct canon_buf *b, const char *s, size_t n)
{
	char		 esc[8];
	size_t		 i, start;
	unsigned char	 c;

	canon_put(b, "\"", 1);
	for (i = start = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		canon_put(b, s + start, i - start);
		switch (c) {
		case '"':  canon_puts(b, "\\\""); break;
		case '\\': canon_puts(b, "\\\\"); break;
		case '\b': canon_puts(b, "\\b"); break;
		case '\f': canon_puts(b, "\\f"); break;
		case '\n': canon_puts(b, "\\n"); break;
		case '\r': canon_puts(b, "\\r"); break;
		case '\t': canon_puts(b, "\\t"); break;
		default:
			snprintf(esc, sizeof esc, "\\u%04x", c);
			canon_puts(b, esc);
			break;
		}
		start = i + 1;
	}
	canon_put(b, s + start, n - start);
	canon_put(b, "\"", 1);
}

/* Append a JSON string as jansson writes it; -1 on invalid UTF-8. */
static int
canon_dump_string(struct canon_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	char		 esc[8];
	size_t		 i, start, k, len;
	unsigned char	 c;

	canon_put(b, "\"", 1);
	for (i = start = 0; i < n; i++) {
		/* Eight plain ASCII bytes at a time (no control, '"', '\\'). */
		while (i + 8 <= n) {
			uint64_t	 w, t;

			memcpy(&w, s + i, 8);
			t = (w - 0x2020202020202020ULL) |
			    ((w ^ 0x2222222222222222ULL) -
			    0x0101010101010101ULL) |
			    ((w ^ 0x5c5c5c5c5c5c5c5cULL) -
			    0x0101010101010101ULL) | w;
			if ((t & 0x8080808080808080ULL) != 0)
				break;
			i += 8;
		}
		if (i >= n)
			break;
		c = (unsigned char)s[i];
		if (c >= 0x80) {
			/* A whole, minimal UTF-8 sequence, as jansson checks. */
			len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
			if (len == 0 || c > 0xf4 || i + len > n)
				return (-1);
			for (k = 1; k < len; k++) {
				if (((unsigned char)s[i + k] & 0xc0) != 0x80)
					return (-1);
			}
			if ((c == 0xe0 && (unsigned char)s[i + 1] < 0xa0) ||
			    (c == 0xed && (unsigned char)s[i + 1] > 0x9f) ||
			    (c == 0xf0 && (unsigned char)s[i + 1] < 0x90) ||
			    (c == 0xf4 && (unsigned char)s[i + 1] > 0x8f))
				return (-1);
			i += len - 1;
			continue;
		}
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		canon_put(b, s + start, i - start);
		switch (c) {
		case '"':  canon_put(b, "\\\"", 2); break;
		case '\\': canon_put(b, "\\\\", 2); break;
		case '\b': canon_put(b, "\\b", 2); break;
		case '\f': canon_put(b, "\\f", 2); break;
		case '\n': canon_put(b, "\\n", 2); break;
		case '\r': canon_put(b, "\\r", 2); break;
		case '\t': canon_put(b, "\\t", 2); break;
		default:
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 0xf];
			canon_put(b, esc, 6);
			break;
		}
		start = i + 1;
	}
	canon_put(b, s + start, n - start);
	canon_put(b, "\"", 1);
	return (0);
}

/* Append an integer in decimal (snprintf costs more than the rest). */
static void
canon_dump_int(struct canon_buf *b, long long v)
{
	char			 buf[24], *p = buf + sizeof buf;
	unsigned long long	 u;

	u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--p = '-';
	canon_put(b, p, (size_t)(buf + sizeof buf - p));
}

/* Append a real as jansson writes it with JSON_REAL_PRECISION(15). */
static void
canon_dump_real(struct canon_buf *b, double d)
{
	char		 buf[40], *start, *end;
	long long	 ll;
	size_t		 len;
	int		 n;

	if (d == floor(d) && fabs(d) < 1e15) {
		/* "%.15g" of an integral value below 1e15 is its digits. */
		ll = (long long)d;
		if (ll == 0 && signbit(d))
			canon_put(b, "-", 1);
		canon_dump_int(b, ll);
		canon_put(b, ".0", 2);
		return;
	}
	n = snprintf(buf, sizeof buf, "%.15g", d);
	if (n < 0 || (size_t)n >= sizeof buf - 3)
		fatalx("real does not fit");
	len = (size_t)n;
	if (strchr(buf, '.') == NULL && strchr(buf, 'e') == NULL) {
		memcpy(buf + len, ".0", 3);
		len += 2;
	}
	if ((start = strchr(buf, 'e')) != NULL) {
		start++;
		end = start + 1;
		if (*start == '-')
			start++;
		while (*end == '0')
			end++;
		if (end != start) {
			memmove(start, end, len - (size_t)(end - buf) + 1);
			len -= (size_t)(end - start);
		}
	}
	canon_put(b, buf, len);
}

/* Append v as jansson's compact form; -1 where jansson would fail. */
static int
canon_dump_value(struct canon_buf *b, const json_t *v, int depth)
{
	const char	*k;
	json_t		*x;
	size_t		 i, n;

	if (depth > 2048)
		return (-1);
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		canon_put(b, "{", 1);
		i = 0;
		json_object_foreach((json_t *)v, k, x) {
			if (i++ > 0)
				canon_put(b, ",", 1);
			if (canon_dump_string(b, k, strlen(k)) != 0)
				return (-1);
			canon_put(b, ":", 1);
			if (canon_dump_value(b, x, depth + 1) != 0)
				return (-1);
		}
		canon_put(b, "}", 1);
		return (0);
	case JSON_ARRAY:
		canon_put(b, "[", 1);
		n = json_array_size(v);
		for (i = 0; i < n; i++) {
			if (i > 0)
				canon_put(b, ",", 1);
			if (canon_dump_value(b, json_array_get(v, i),
			    depth + 1) != 0)
				return (-1);
		}
		canon_put(b, "]", 1);
		return (0);
	case JSON_STRING:
		return (canon_dump_string(b, json_string_value(v),
		    json_string_length(v)));
	case JSON_INTEGER:
		canon_dump_int(b, (long long)json_integer_value(v));
		return (0);
	case JSON_REAL:
		canon_dump_real(b, json_real_value(v));
		return (0);
	case JSON_TRUE:
		canon_put(b, "true", 4);
		return (0);
	case JSON_FALSE:
		canon_put(b, "false", 5);
		return (0);
	default:
		canon_put(b, "null", 4);
		return (0);
	}
}

/*
 * v in jansson's compact form (see the top of the file), *len its length;
 * NULL where json_dumps() would fail (invalid UTF-8). Caller frees.
 */
char *
canon_dumps(const json_t *v, size_t *len)
{
	struct canon_buf	 b = { NULL, 0, 0 };

	b.size = 4096;
	b.p = xmalloc(b.size);
	b.p[0] = '\0';
	if (v == NULL || canon_dump_value(&b, v, 0) != 0) {
		free(b.p);
		return (NULL);
	}
	if (len != NULL)
		*len = b.len;
	return (b.p);
}

/* Format a number from its double value (see the top of the file). */
void
canon_number(double d, char out[static 32])
{
	if (d == 0)
		d = 0;	/* -0 and 0 agree */
	if (isfinite(d) && d == floor(d) && fabs(d) < 9007199254740992.0)
		snprintf(out, 32, "%lld", (long long)d);
	else
		snprintf(out, 32, "%.17g", d);
}

static int
canon_key_cmp(const void *a, const void *b)
{
	return (strcmp(*(const char *const *)a, *(const char *const *)b));
}

/* Append the canonical form of v. */
static void
canon_value(struct canon_buf *b, const json_t *v)
{
	const char	**keys, *k;
	json_t		*x;
	size_t		 i, n;
	char		 num[32];

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		n = json_object_size(v);
		keys = xcalloc(n ? n : 1, sizeof *keys);
		i = 0;
		json_object_foreach((json_t *)v, k, x)
			keys[i++] = k;
		qsort(keys, n, sizeof *keys, canon_key_cmp);
		canon_put(b, "{", 1);
		for (i = 0; i < n; i++) {
			if (i > 0)
				canon_put(b, ",", 1);
			canon_string(b, keys[i], strlen(keys[i]));
			canon_put(b, ":", 1);
			canon_value(b, json_object_get(v, keys[i]));
		}
		canon_put(b, "}", 1);
		free(keys);
		break;
	case JSON_ARRAY:
		canon_put(b, "[", 1);
		for (i = 0; i < json_array_size(v); i++) {
			if (i > 0)
				canon_put(b, ",", 1);
			canon_value(b, json_array_get(v, i));
		}
		canon_put(b, "]", 1);
		break;
	case JSON_STRING:
		canon_string(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		canon_number((double)json_integer_value(v), num);
		canon_puts(b, num);
		break;
	case JSON_REAL:
		canon_number(json_real_value(v), num);
		canon_puts(b, num);
		break;
	case JSON_TRUE:
		canon_puts(b, "true");
		break;
	case JSON_FALSE:
		canon_puts(b, "false");
		break;
	case JSON_NULL:
	default:
		canon_puts(b, "null");
		break;
	}
}

/* The canonical form of a JSON value; NULL is null. Caller frees. */
char *
canon_json(const json_t *v)
{
	struct canon_buf	 b = { NULL, 0, 0 };

	if (v == NULL)
		canon_puts(&b, "null");
	else
		canon_value(&b, v);
	return (b.p);
}

/*
 * The canonical form of a decision: the object of its recorded fields, so
 * the hash covers everything `earctl audit verify` can read back.
 */
char *
canon_decision(const struct canon_decision_fields *f)
{
	json_t	*o;
	char	*s;

	o = json_object();
	json_object_set_new(o, "id", json_string(f->id));
	json_object_set_new(o, "at_us", json_integer(f->at_us));
	json_object_set_new(o, "kind", f->kind ? json_string(f->kind) :
	    json_null());
	json_object_set_new(o, "requester", f->requester ?
	    json_string(f->requester) : json_null());
	json_object_set_new(o, "ruleset_version", f->ruleset_version ?
	    json_string(f->ruleset_version) : json_null());
	json_object_set_new(o, "lists_version", f->lists_version ?
	    json_string(f->lists_version) : json_null());
	json_object_set(o, "request", f->request ? (json_t *)f->request :
	    json_null());
	json_object_set(o, "response", f->response ? (json_t *)f->response :
	    json_null());
	s = canon_json(o);
	json_decref(o);
	return (s);
}
