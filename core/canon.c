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

static size_t	canon_realg(double, int, char [static 32]);

/* Make room for n more bytes and a NUL. */
static void
canon_grow(struct canon_buf *b, size_t n)
{
	while (b->len + n + 1 > b->size)
		b->size = b->size ? b->size * 2 : 256;
	b->p = xreallocarray(b->p, 1, b->size);
}

/* Append n bytes. */
static inline void
canon_put(struct canon_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->size)
		canon_grow(b, n);
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
		/* Eight bytes at a time while none needs an escape. */
		while (i + 8 <= n) {
			uint64_t	 w, m, t;

			/*
			 * On the low seven bits of each byte (no carry
			 * between bytes), bit 7 of t is set where the byte
			 * is >= 0x20, not '"' and not '\\', or is >= 0x80.
			 */
			memcpy(&w, s + i, 8);
			m = w & 0x7f7f7f7f7f7f7f7fULL;
			t = ((m + 0x6060606060606060ULL) &
			    ((m ^ 0x2222222222222222ULL) +
			    0x7f7f7f7f7f7f7f7fULL) &
			    ((m ^ 0x5c5c5c5c5c5c5c5cULL) +
			    0x7f7f7f7f7f7f7f7fULL)) | w;
			if ((t & 0x8080808080808080ULL) !=
			    0x8080808080808080ULL)
				break;
			i += 8;
		}
		if (i >= n)
			break;
		c = (unsigned char)s[i];
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
	if ((len = canon_realg(d, 15, buf)) == 0) {
		n = snprintf(buf, sizeof buf, "%.15g", d);
		if (n < 0 || (size_t)n >= sizeof buf - 3)
			fatalx("real does not fit");
		len = (size_t)n;
	}
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

/*
 * Write the digits of an integer of magnitude below 2^53 at out; its
 * length. The very text of snprintf "%lld", without its cost.
 */
static size_t
canon_int(long long v, char *out)
{
	char			 buf[24], *p = buf + sizeof buf;
	unsigned long long	 u;
	size_t			 len;

	u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--p = '-';
	len = (size_t)(buf + sizeof buf - p);
	memcpy(out, p, len);
	out[len] = '\0';
	return (len);
}

/*
 * "%.<prec>g" (prec 15 or 17) of a double of magnitude in [1e-4, 1e17),
 * exactly as printf writes it, with 128-bit integers: |d| = m 2^e, and the
 * prec significant digits are m 5^s 2^(e+s) rounded half to even
 * (printf's rounding of the exact binary value), s = prec - 1 - the
 * decimal exponent; m 5^s stays below 2^102 for s <= 21. Its length, or 0
 * where it does not apply.
 */
static size_t
canon_realg(double d, int prec, char out[static 32])
{
	static const uint64_t	 pow5[22] = { 1ULL, 5ULL, 25ULL, 125ULL,
	    625ULL, 3125ULL, 15625ULL, 78125ULL, 390625ULL, 1953125ULL,
	    9765625ULL, 48828125ULL, 244140625ULL, 1220703125ULL,
	    6103515625ULL, 30517578125ULL, 152587890625ULL,
	    762939453125ULL, 3814697265625ULL, 19073486328125ULL,
	    95367431640625ULL, 476837158203125ULL };
	unsigned __int128	 lo, hi, v, q, r, half;
	uint64_t		 bits, m, n;
	double			 a = fabs(d);
	char			 dig[17], *p = out;
	int			 e, x, s, sh, k, tries, len, i;

	if (!(a >= 1e-4 && a < 1e17) || (prec != 15 && prec != 17))
		return (0);
	hi = prec == 17 ? 100000000000000000ULL : 1000000000000000ULL;
	lo = hi / 10;
	memcpy(&bits, &a, sizeof bits);
	m = (bits & ((1ULL << 52) - 1)) | (1ULL << 52);
	e = (int)(bits >> 52) - 1075;
	x = (int)floor(log10(a));
	for (tries = 0;; tries++) {
		s = prec - 1 - x;
		if (tries == 4 || s < 0 || s > 21)
			return (0);
		v = (unsigned __int128)m * pow5[s];
		sh = e + s;
		if (sh >= 0)
			q = v << sh;
		else {
			k = -sh;
			if (k >= 120)
				return (0);
			q = v >> k;
			r = v - (q << k);
			half = (unsigned __int128)1 << (k - 1);
			if (r > half || (r == half && (q & 1) != 0))
				q++;
		}
		if (q >= hi)
			x++;
		else if (q < lo)
			x--;
		else
			break;
	}
	n = (uint64_t)q;
	for (i = prec - 1; i >= 0; i--) {
		dig[i] = (char)('0' + n % 10);
		n /= 10;
	}
	for (len = prec; len > 1 && dig[len - 1] == '0'; len--)
		;
	if (d < 0)
		*p++ = '-';
	if (x < -4 || x >= prec) {
		*p++ = dig[0];
		if (len > 1) {
			*p++ = '.';
			memcpy(p, dig + 1, (size_t)len - 1);
			p += len - 1;
		}
		p += snprintf(p, 8, "e%c%02d", x < 0 ? '-' : '+',
		    x < 0 ? -x : x);
	} else if (x >= 0) {
		for (i = 0; i <= x; i++)
			*p++ = i < len ? dig[i] : '0';
		if (len > x + 1) {
			*p++ = '.';
			memcpy(p, dig + x + 1, (size_t)(len - x - 1));
			p += len - x - 1;
		}
	} else {
		*p++ = '0';
		*p++ = '.';
		for (i = 0; i < -x - 1; i++)
			*p++ = '0';
		memcpy(p, dig, (size_t)len);
		p += len;
	}
	*p = '\0';
	return ((size_t)(p - out));
}

/*
 * Format a number from its double value (see the top of the file); its
 * length. Integral values take the integer path (the bulk of a request's
 * numbers), the others "%.17g", computed here where it can be.
 */
static size_t
canon_format(double d, char out[static 32])
{
	size_t	 len;
	int	 n;

	if (d == 0)
		d = 0;	/* -0 and 0 agree */
	if (isfinite(d) && d == floor(d) && fabs(d) < 9007199254740992.0)
		return (canon_int((long long)d, out));
	if ((len = canon_realg(d, 17, out)) != 0)
		return (len);
	n = snprintf(out, 32, "%.17g", d);
	if (n < 0 || n >= 32)
		fatalx("number does not fit");
	return ((size_t)n);
}

/* Format a number from its double value (see the top of the file). */
void
canon_number(double d, char out[static 32])
{
	canon_format(d, out);
}

/* Append a number as canon_number() writes it. */
static void
canon_put_number(struct canon_buf *b, double d)
{
	char	 num[32];

	canon_put(b, num, canon_format(d, num));
}

struct canon_member {
	const char	*key;
	const json_t	*value;
};

/* Sort an object's members by key bytes (few members: insertion sort). */
static void
canon_sort_members(struct canon_member *m, size_t n)
{
	struct canon_member	 x;
	size_t			 i, j;

	for (i = 1; i < n; i++) {
		x = m[i];
		for (j = i; j > 0 && strcmp(m[j - 1].key, x.key) > 0; j--)
			m[j] = m[j - 1];
		m[j] = x;
	}
}

/* qsort order of members: by key bytes. */
static int
canon_member_cmp(const void *a, const void *b)
{
	return (strcmp(((const struct canon_member *)a)->key,
	    ((const struct canon_member *)b)->key));
}

/* Append the canonical form of v. */
static void
canon_value(struct canon_buf *b, const json_t *v)
{
	struct canon_member	 small[32], *m;
	const char		*k;
	json_t			*x;
	size_t			 i, n;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		n = json_object_size(v);
		m = n <= nitems(small) ? small : xcalloc(n, sizeof *m);
		i = 0;
		json_object_foreach((json_t *)v, k, x) {
			if (i == n)
				break;
			m[i].key = k;
			m[i++].value = x;
		}
		n = i;
		if (n <= nitems(small))
			canon_sort_members(m, n);
		else
			qsort(m, n, sizeof *m, canon_member_cmp);
		canon_put(b, "{", 1);
		for (i = 0; i < n; i++) {
			if (i > 0)
				canon_put(b, ",", 1);
			canon_string(b, m[i].key, strlen(m[i].key));
			canon_put(b, ":", 1);
			canon_value(b, m[i].value);
		}
		canon_put(b, "}", 1);
		if (m != small)
			free(m);
		break;
	case JSON_ARRAY:
		canon_put(b, "[", 1);
		n = json_array_size(v);
		for (i = 0; i < n; i++) {
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
		canon_put_number(b, (double)json_integer_value(v));
		break;
	case JSON_REAL:
		canon_put_number(b, json_real_value(v));
		break;
	case JSON_TRUE:
		canon_put(b, "true", 4);
		break;
	case JSON_FALSE:
		canon_put(b, "false", 5);
		break;
	case JSON_NULL:
	default:
		canon_put(b, "null", 4);
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
 * True if jansson's json_string() takes s: valid, minimal UTF-8 of code
 * points that are not surrogates nor above U+10FFFF.
 */
static int
canon_utf8_valid(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 len, k;
	unsigned char		 c;

	for (; *p != '\0'; p++) {
		c = *p;
		if (c < 0x80)
			continue;
		len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
		if (len == 0 || c > 0xf4)
			return (0);
		for (k = 1; k < len; k++) {
			if ((p[k] & 0xc0) != 0x80)
				return (0);	/* also stops at the NUL */
		}
		if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f) ||
		    (c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] > 0x8f))
			return (0);
		p += len - 1;
	}
	return (1);
}

/*
 * Append one member of a decision's top-level object; a string jansson
 * would refuse (invalid UTF-8) leaves the member out, as json_string()
 * returning NULL did when the object was built with jansson, and so does a
 * missing id; other missing strings are null.
 */
static void
canon_decision_string(struct canon_buf *b, const char *key, const char *s,
    int omit_null)
{
	if (s == NULL ? omit_null : !canon_utf8_valid(s))
		return;
	canon_put(b, ",", 1);	/* after at_us, always there */
	canon_put(b, key, strlen(key));
	if (s == NULL)
		canon_put(b, "null", 4);
	else
		canon_string(b, s, strlen(s));
}

/*
 * The canonical form of a decision: the object of its recorded fields, so
 * the hash covers everything `earctl audit verify` can read back. Written
 * member by member in sorted key order (the bytes canon_json() gives for
 * the same object built with jansson: tests/unit/test_canon.c).
 */
char *
canon_decision(const struct canon_decision_fields *f)
{
	struct canon_buf	 b = { NULL, 0, 0 };

	b.size = 8192;
	b.p = xmalloc(b.size);
	canon_put(&b, "{\"at_us\":", 9);
	canon_put_number(&b, (double)f->at_us);
	canon_decision_string(&b, "\"id\":", f->id, 1);
	canon_decision_string(&b, "\"kind\":", f->kind, 0);
	canon_decision_string(&b, "\"lists_version\":", f->lists_version, 0);
	canon_put(&b, ",\"request\":", 11);
	if (f->request != NULL)
		canon_value(&b, f->request);
	else
		canon_put(&b, "null", 4);
	canon_decision_string(&b, "\"requester\":", f->requester, 0);
	canon_put(&b, ",\"response\":", 12);
	if (f->response != NULL)
		canon_value(&b, f->response);
	else
		canon_put(&b, "null", 4);
	canon_decision_string(&b, "\"ruleset_version\":", f->ruleset_version,
	    0);
	canon_put(&b, "}", 1);
	return (b.p);
}
