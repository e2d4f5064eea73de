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
 */
#include <math.h>
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
