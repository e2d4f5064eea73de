/*
 * test_canon: canon_dumps() writes the very bytes of jansson's
 * json_dumps(JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15)),
 * the form eard answers in, on hand-picked values (escapes, UTF-8, reals
 * around every formatting edge) and on the verdict of every expert case;
 * and canon_number(), canon_json() and canon_decision() write the very
 * bytes of their first versions (kept below as ref_*: the hash chain of
 * every decision already logged covers those bytes), on random numbers,
 * random JSON and the decision of every expert case.
 * Run from the repository root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include "ear.h"

#define FLAGS	(JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15))

/* canon_dumps and json_dumps agree on v (consumed). */
static void
same(json_t *v)
{
	char	*a, *b;
	size_t	 len = 0;

	a = canon_dumps(v, &len);
	b = json_dumps(v, FLAGS);
	assert_non_null(a);
	assert_non_null(b);
	assert_string_equal(a, b);
	assert_int_equal(len, strlen(b));
	free(a);
	free(b);
	json_decref(v);
}

/*
 * The first canonical writer, kept verbatim as the reference: the bytes
 * `earctl audit verify` recomputes for rows already logged.
 */
struct ref_buf {
	char	*p;
	size_t	 len;
	size_t	 size;
};

/* Append n bytes (reference). */
static void
ref_put(struct ref_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->size) {
		while (b->len + n + 1 > b->size)
			b->size = b->size ? b->size * 2 : 256;
		b->p = realloc(b->p, b->size);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* Append a string (reference). */
static void
ref_puts(struct ref_buf *b, const char *s)
{
	ref_put(b, s, strlen(s));
}

/* Append a JSON string literal (reference). */
static void
ref_string(struct ref_buf *b, const char *s, size_t n)
{
	char		 esc[8];
	size_t		 i, start;
	unsigned char	 c;

	ref_put(b, "\"", 1);
	for (i = start = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		ref_put(b, s + start, i - start);
		switch (c) {
		case '"':  ref_puts(b, "\\\""); break;
		case '\\': ref_puts(b, "\\\\"); break;
		case '\b': ref_puts(b, "\\b"); break;
		case '\f': ref_puts(b, "\\f"); break;
		case '\n': ref_puts(b, "\\n"); break;
		case '\r': ref_puts(b, "\\r"); break;
		case '\t': ref_puts(b, "\\t"); break;
		default:
			snprintf(esc, sizeof esc, "\\u%04x", c);
			ref_puts(b, esc);
			break;
		}
		start = i + 1;
	}
	ref_put(b, s + start, n - start);
	ref_put(b, "\"", 1);
}

/* Format a number (reference). */
static void
ref_number(double d, char out[static 32])
{
	if (d == 0)
		d = 0;
	if (isfinite(d) && d == floor(d) && fabs(d) < 9007199254740992.0)
		snprintf(out, 32, "%lld", (long long)d);
	else
		snprintf(out, 32, "%.17g", d);
}

/* qsort order of keys (reference). */
static int
ref_key_cmp(const void *a, const void *b)
{
	return (strcmp(*(const char *const *)a, *(const char *const *)b));
}

/* Append the canonical form of v (reference). */
static void
ref_value(struct ref_buf *b, const json_t *v)
{
	const char	**keys, *k;
	json_t		*x;
	size_t		 i, n;
	char		 num[32];

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		n = json_object_size(v);
		keys = calloc(n ? n : 1, sizeof *keys);
		assert_non_null(keys);
		i = 0;
		json_object_foreach((json_t *)v, k, x)
			keys[i++] = k;
		qsort(keys, n, sizeof *keys, ref_key_cmp);
		ref_put(b, "{", 1);
		for (i = 0; i < n; i++) {
			if (i > 0)
				ref_put(b, ",", 1);
			ref_string(b, keys[i], strlen(keys[i]));
			ref_put(b, ":", 1);
			ref_value(b, json_object_get(v, keys[i]));
		}
		ref_put(b, "}", 1);
		free(keys);
		break;
	case JSON_ARRAY:
		ref_put(b, "[", 1);
		for (i = 0; i < json_array_size(v); i++) {
			if (i > 0)
				ref_put(b, ",", 1);
			ref_value(b, json_array_get(v, i));
		}
		ref_put(b, "]", 1);
		break;
	case JSON_STRING:
		ref_string(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		ref_number((double)json_integer_value(v), num);
		ref_puts(b, num);
		break;
	case JSON_REAL:
		ref_number(json_real_value(v), num);
		ref_puts(b, num);
		break;
	case JSON_TRUE:
		ref_puts(b, "true");
		break;
	case JSON_FALSE:
		ref_puts(b, "false");
		break;
	default:
		ref_puts(b, "null");
		break;
	}
}

/* The canonical form of v (reference). */
static char *
ref_json(const json_t *v)
{
	struct ref_buf	 b = { NULL, 0, 0 };

	if (v == NULL)
		ref_puts(&b, "null");
	else
		ref_value(&b, v);
	return (b.p);
}

/* The canonical form of a decision (reference). */
static char *
ref_decision(const struct canon_decision_fields *f)
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
	s = ref_json(o);
	json_decref(o);
	return (s);
}

/* canon_number and the reference agree on d. */
static void
same_number(double d)
{
	char	 a[32], b[32];

	canon_number(d, a);
	ref_number(d, b);
	if (strcmp(a, b) != 0)
		fail_msg("canon_number(%a): '%s', reference '%s'", d,
		    a, b);
}

/* A random double: any bit pattern, or a value of the usual shapes. */
static double
rand_double(void)
{
	uint64_t	 u;
	double		 d;

	switch (random() % 6) {
	case 0:
		u = ((uint64_t)random() << 33) ^ ((uint64_t)random() << 11) ^
		    (uint64_t)random();
		memcpy(&d, &u, sizeof d);
		return (d);
	case 1:
		return ((double)(random() % 100000) - 50000);
	case 2:
		return (round((double)random() / 1000.0) / 100.0);
	case 3:
		return (ldexp((double)random(), (int)(random() % 80) - 20));
	case 4:
		return ((double)(((int64_t)random() << 31) ^ random()) *
		    (random() % 2 ? 1 : -1));
	default:
		return ((double)random() / (double)(random() | 1));
	}
}

/* Numbers: edges of the integer path and of %.17g, then random ones. */
static void
test_canon_number(void **state)
{
	static const double nums[] = { 0.0, -0.0, 1.0, -1.0, 2.0, 10.0,
	    4800.0, 4992.3, 19.45, 0.1, 1.0 / 3, 1e15, 1e16,
	    9007199254740991.0, -9007199254740991.0, 9007199254740992.0,
	    -9007199254740992.0, 9007199254740994.0, 1e17, 1e21, 1e22, 1e300,
	    -1e300, 4.9e-324, 2.2250738585072014e-308, 1.7976931348623157e308,
	    0.5, -0.5, 1e-5, 123456789.0, 2147483648.0, 4294967296.0,
	    -2147483649.0, 1099511627776.5 };
	size_t	 i;
	long	 k;

	(void)state;
	for (i = 0; i < nitems(nums); i++)
		same_number(nums[i]);
	same_number(INFINITY);
	same_number(-INFINITY);
	same_number(NAN);
	for (k = -100000; k <= 100000; k++)
		same_number((double)k);
	for (k = 0; k < 53; k++) {
		same_number(ldexp(1, (int)k));
		same_number(ldexp(1, (int)k) - 1);
		same_number(-ldexp(1, (int)k) + 1);
		same_number(ldexp(1, (int)k) + 0.5);
	}
	srandom(20261129);
	for (i = 0; i < 300000; i++)
		same_number(rand_double());
	/* The exact 17-digit path: its range, ties, and rounding carries. */
	for (k = 1; k < 200000; k++) {
		same_number((double)k / 100);
		same_number(-(double)k / 1000);
		same_number((double)k * 0.1);
		same_number(ldexp((double)k, -(int)(k % 70)));
		same_number(ldexp((double)(random() | 1), -(int)(k % 64)));
		same_number(1e-4 * (1 + (double)k * 1e-6));
		same_number(1e17 - (double)k * 16);
	}
	for (k = -6; k <= 18; k++) {
		double	 p = pow(10, (double)k);

		same_number(p);
		same_number(nextafter(p, 0));
		same_number(nextafter(p, INFINITY));
		same_number(-p);
		same_number(p * 9.999999999999999);
		same_number(p * 0.99999999999999999);
	}
}

/* A random JSON value of at most depth levels. */
static json_t *
rand_json(int depth)
{
	static const char *keys[] = { "a", "b", "ab", "", "z", "requester",
	    "request", "\xc3\xa9t\xc3\xa9", "k\"q", "t\tab", "A", "aa",
	    "ruleset_version", "response", "long key with spaces here" };
	static const char *strs[] = { "", "x", "plain ascii text, long "
	    "enough for the word scan", "q\"b\\s", "\x01\x1f\x7f ctl",
	    "caf\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x98\x80", "\n\r\t\b\f",
	    "ab\x81\"cdefgh\xff\\ijk\x80\x01lmnop\xc3\xa9\xc3\xa9\"\"",
	    "0123456789abcdef\xe2\x80\x94\\0123456789\x7f\x1f" };
	json_t	*v;
	int	 i, n;

	switch (depth <= 0 ? random() % 6 : random() % 8) {
	case 0:
		return (json_string(strs[random() % nitems(strs)]));
	case 1:
		return (json_integer(((int64_t)random() << 32 ^ random()) >>
		    (random() % 64)));
	case 2:
		return (json_real(rand_double()));
	case 3:
		return (random() % 2 ? json_true() : json_false());
	case 4:
		return (json_null());
	case 5:
		return (json_integer(random() % 1000 - 500));
	case 6:
		v = json_array();
		n = (int)(random() % 5);
		for (i = 0; i < n; i++)
			json_array_append_new(v, rand_json(depth - 1));
		return (v);
	default:
		v = json_object();
		n = (int)(random() % 40);
		for (i = 0; i < n; i++)
			json_object_set_new(v, keys[random() % nitems(keys)],
			    rand_json(depth - 1));
		return (v);
	}
}

/* canon_json and the reference agree on random values. */
static void
test_canon_json_random(void **state)
{
	json_t	*v;
	char	*a, *b;
	int	 i;

	(void)state;
	srandom(7);
	for (i = 0; i < 3000; i++) {
		v = rand_json(4);
		a = canon_json(v);
		b = ref_json(v);
		assert_string_equal(a, b);
		free(a);
		free(b);
		json_decref(v);
	}
	/* An object too large for the stack (sorted by qsort). */
	v = json_object();
	for (i = 0; i < 500; i++) {
		char	 key[16];

		snprintf(key, sizeof key, "k%d", (i * 7919) % 1000);
		json_object_set_new(v, key, rand_json(2));
	}
	a = canon_json(v);
	b = ref_json(v);
	assert_string_equal(a, b);
	free(a);
	free(b);
	json_decref(v);
	a = canon_json(NULL);
	assert_string_equal(a, "null");
	free(a);
}

/* canon_decision and the reference agree on f. */
static void
same_decision(const struct canon_decision_fields *f)
{
	char	*a, *b;

	a = canon_decision(f);
	b = ref_decision(f);
	assert_string_equal(a, b);
	free(a);
	free(b);
}

/* Reals at the edges of "%.15g" and of jansson's clean-up of it. */
static void
test_canon_dumps_reals(void **state)
{
	static const double reals[] = { 0.0, 1.0, -1.0, 4992.0, 6.04,
	    6.04358353510896, 19.4496314496314, 1e26, 2.5e25, 1e-5, 1.5e-7,
	    -2.5e-300, 1e15, 999999999999999.0, 1e14, 123456789012345.0,
	    1234567890123456.0, 9007199254740993.0, 1e100, 0.1, 1.0 / 3,
	    26900000.0, 4800.0, 5.92, -0.5, 1.7976931348623157e308,
	    4.9e-324, 1e21, 1e22, 12345.678901234567, 9999999999999999.0,
	    99999999999999.99, 0.00099999999999999999, 1e-4, 9.99999999999999e-5,
	    1e16, 1e17, 99999999999999990.0, 0.5e-4, 4992.3, 19.45 };
	size_t	 i;
	double	 d;

	(void)state;
	for (i = 0; i < nitems(reals); i++)
		same(json_real(reals[i]));
	/* Random reals, through the exact 15-digit path and around it. */
	srandom(15);
	for (i = 0; i < 200000; i++) {
		switch (i % 4) {
		case 0:
			d = ldexp((double)random() / 2147483648.0 + 1,
			    (int)(random() % 72) - 16);
			break;
		case 1:
			d = (double)(random() % 10000000) /
			    (double)(1 + random() % 1000);
			break;
		case 2:
			d = round((double)random() / 100) / 100;
			break;
		default:
			d = ldexp((double)(random() | 1), -(int)(random() % 90));
			break;
		}
		same(json_real(i % 3 == 0 ? -d : d));
	}
	same(json_real(-0.0));
	same(json_integer(0));
	same(json_integer(-9223372036854775807LL - 1));
	same(json_integer(9223372036854775807LL));
}

/* Strings: quotes, backslashes, controls, slash, DEL, UTF-8. */
static void
test_canon_dumps_strings(void **state)
{
	static const char *strs[] = { "", "plain", "quote \" and \\ back",
	    "controls \b\f\n\r\t \x01\x1f end", "slash / and del \x7f",
	    "caf\xc3\xa9 \xe2\x80\x94 \xe2\x80\xa8 \xf0\x9f\x98\x80",
	    "15 CFR 774 Supp. 1, 3A090.a" };
	json_t	*bad;
	size_t	 i;

	(void)state;
	for (i = 0; i < nitems(strs); i++)
		same(json_string(strs[i]));
	same(json_pack("{s:s, s:[i, f, b, n, {}], s:{}, s:[]}", "k\"\n\xc3\xa9",
	    "v", "a", 1, 2.5, 1, "o", "e"));
	/* Invalid UTF-8 fails as json_dumps fails. */
	bad = json_stringn_nocheck("caf\xc3 \xff", 6);
	assert_null(canon_dumps(bad, NULL));
	assert_null(json_dumps(bad, FLAGS));
	json_decref(bad);
}

/* Every expert case's verdict, on the real rules. */
static void
test_canon_dumps_verdicts(void **state)
{
	struct ear_error err = { 0 };
	struct ruleset	*rs;
	struct check	*chk;
	struct verdict	*v;
	json_t		*doc, *c;
	json_error_t	 jerr;
	const char	*ep;
	struct canon_decision_fields f;
	json_t		*resp;
	const char	*bench = getenv("CANON_BENCH");
	char		*line = NULL, *cause = NULL;
	size_t		 cap = 0, n = 0;
	long		 k, nbench = bench != NULL ? atol(bench) : 0;
	FILE		*fp;

	(void)state;
	memset(&f, 0, sizeof f);
	doc = json_load_file("tests/fixtures/rules-document.json",
	    JSON_DECODE_INT_AS_REAL, &jerr);
	assert_non_null(doc);
	rs = ruleset_from_json(doc, "v", &cause);
	json_decref(doc);
	assert_non_null(rs);
	fp = fopen("tests/fixtures/cases.jsonl", "r");
	assert_non_null(fp);
	while (getline(&line, &cap, fp) != -1) {
		if ((c = json_loads(line, 0, &jerr)) == NULL)
			continue;
		ep = json_string_value(json_object_get(c, "endpoint"));
		if (ep != NULL && (strcmp(ep, "/v1/checks/chip") == 0 ||
		    strcmp(ep, "/v1/checks/weights") == 0)) {
			chk = check_decode(strcmp(ep, "/v1/checks/chip") == 0 ?
			    ITEM_CHIP : ITEM_MODEL, json_object_get(c,
			    "request"), date_today(), &err);
			if (chk != NULL) {
				v = determine(rs, chk);
				same(verdict_to_json(v, "id"));
				resp = verdict_to_json(v, "0192d2f0-id");
				f.id = "0192d2f0-id";
				f.at_us = 1764460800123456LL + (int64_t)n;
				f.kind = ep + 11;
				f.requester = n % 3 == 0 ? NULL : "ops@example";
				f.ruleset_version = "2025-01-15.3";
				f.lists_version = n % 2 ? NULL : "csl-2026-11-28";
				f.request = json_object_get(c, "request");
				f.response = resp;
				same_decision(&f);
				for (k = 0; bench != NULL && k < nbench; k++)
					free(canon_decision(&f));
				json_decref(resp);
				verdict_free(v);
				check_free(chk);
				n++;
			} else
				error_clear(&err);
		}
		json_decref(c);
	}
	free(line);
	fclose(fp);
	ruleset_unref(rs);
	if (bench != NULL)
		fprintf(stderr, "canon_decision: %zu decisions, %ld times\n",
		    n, nbench + 1);
	assert_true(n >= 50);
}

/* Decisions with absent, null and invalid fields (a key jansson drops). */
static void
test_canon_decision_edges(void **state)
{
	struct canon_decision_fields f;
	json_t	*req, *resp;

	(void)state;
	memset(&f, 0, sizeof f);
	same_decision(&f);
	req = json_pack("{s:s, s:i, s:f}", "as_of", "2025-01-15", "n", 3,
	    "x", 19.45);
	resp = json_pack("{s:s, s:[]}", "verdict", "license_required",
	    "reasons");
	f.id = "id-1";
	f.at_us = -5;
	f.kind = "screen";
	f.requester = "caf\xc3\xa9 \"q\" \x01";
	f.ruleset_version = "bad \xc3 utf-8";
	f.lists_version = "\xed\xa0\x80 surrogate";
	f.request = req;
	f.response = resp;
	same_decision(&f);
	f.id = "\xff";
	f.kind = "\xf4\x90\x80\x80";
	f.requester = "\xe0\x80\x80";
	f.at_us = INT64_MAX;
	same_decision(&f);
	f.at_us = 9007199254740993LL;
	f.request = NULL;
	same_decision(&f);
	json_decref(req);
	json_decref(resp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_canon_dumps_reals),
		cmocka_unit_test(test_canon_dumps_strings),
		cmocka_unit_test(test_canon_dumps_verdicts),
		cmocka_unit_test(test_canon_number),
		cmocka_unit_test(test_canon_json_random),
		cmocka_unit_test(test_canon_decision_edges),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
