/*
 * The Consolidated Screening List (trade.gov) into the party model of
 * schema/030_parties.sql: the JSON shape ({"results": [...]}, each with
 * name, alt_names, source, addresses[].country, license_requirement,
 * license_policy, federal_register_notice, entity_number, programs) and the
 * CSV form (one row per party; alt_names and addresses separated by "; ").
 *
 * A file is written in one transaction as a list version with the sha256 of
 * its bytes; the same file again only re-activates its version. Its parties
 * go to the server as one COPY, streamed while they are converted (the
 * server stores a chunk while the next is encoded), so a bad entry aborts
 * the COPY and the transaction: a bad file changes nothing. After the
 * commit every party screened before is rescreened against the new lists
 * and the changes are stored (rescreen_changes).
 */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "importers.h"

/* Bytes of COPY data sent to the server at a time. */
#define CSL_COPY_CHUNK	65536

/*
 * A party row as the importer writes it (schema/030_parties.sql): strings
 * borrowed from the entry (raw) unless marked owned; NULL where the entry
 * has no non-empty value. txt is the entry as compact JSON with sorted
 * keys, the text its content hash is taken over.
 */
struct csl_row {
	char		*entry_id;	/* owned */
	char		 content_hash[65];
	char		 list[32];
	const char	*source;
	const char	*name;
	json_t		*alt_names;	/* owned: the non-empty ones */
	json_t		*countries;	/* owned: two-letter codes */
	json_t		*addresses;	/* raw's array or NULL */
	const char	*type;
	const char	*license_requirement;
	const char	*license_policy;
	const char	*federal_register_notice;
	const char	*entity_number;
	json_t		*programs;	/* raw's array or NULL */
	json_t		*raw;
	char		*txt;		/* owned */
};

/*
 * One parse: the digest of the content hashes, the entry ids seen so far
 * (a duplicate gets a suffix in file order), and where each row goes
 * (row() gets it borrowed).
 */
struct csl_parser {
	EVP_MD		*md;
	EVP_MD_CTX	*ctx;
	json_t		*seen;		/* entry id -> times seen */
	size_t		 n;		/* rows emitted */
	int		(*row)(void *, const struct csl_row *, char **);
	void		*arg;
};

/* The hex of a digest. */
static void
csl_hex(const unsigned char *md, unsigned int mdlen, char out[65])
{
	static const char	 digits[] = "0123456789abcdef";
	unsigned int		 i;

	for (i = 0; i < mdlen && i < 32; i++) {
		out[i * 2] = digits[md[i] >> 4];
		out[i * 2 + 1] = digits[md[i] & 0xf];
	}
	out[i * 2] = '\0';
}

/* The hex sha256 of a buffer. */
static void
csl_sha256(const void *buf, size_t len, char out[65])
{
	unsigned char	md[EVP_MAX_MD_SIZE];
	unsigned int	mdlen = 0;

	EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL);
	csl_hex(md, mdlen, out);
}

/* Set up a parse that hands each row to fn(arg, ...). */
static void
csl_parser_init(struct csl_parser *p,
    int (*fn)(void *, const struct csl_row *, char **), void *arg)
{
	memset(p, 0, sizeof *p);
	/* Fetched once: EVP_sha256() alone looks the digest up per call. */
	if ((p->md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL ||
	    (p->ctx = EVP_MD_CTX_new()) == NULL)
		fatalx("could not set up sha256");
	p->seen = json_object();
	p->row = fn;
	p->arg = arg;
}

/* Free what a parse holds. */
static void
csl_parser_clear(struct csl_parser *p)
{
	EVP_MD_CTX_free(p->ctx);
	EVP_MD_free(p->md);
	json_decref(p->seen);
}

/* The hex sha256 of a string, with the parse's digest. */
static void
csl_parser_sha256(struct csl_parser *p, const char *s, char out[65])
{
	unsigned char	md[EVP_MAX_MD_SIZE];
	unsigned int	mdlen = 0;

	if (EVP_DigestInit_ex2(p->ctx, p->md, NULL) != 1 ||
	    EVP_DigestUpdate(p->ctx, s, strlen(s)) != 1 ||
	    EVP_DigestFinal_ex(p->ctx, md, &mdlen) != 1)
		fatalx("sha256 failed");
	csl_hex(md, mdlen, out);
}

/* A growing string. */
struct csl_buf {
	char	*s;
	size_t	 len;
	size_t	 size;
};

/* Append bytes to a growing string. */
static void
csl_buf_add(struct csl_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->size) {
		while (b->len + n + 1 > b->size)
			b->size = b->size != 0 ? b->size * 2 : 1024;
		b->s = xreallocarray(b->s, b->size, 1);
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

/* A JSON string as jansson's dump writes it without JSON_ENSURE_ASCII:
 * quote, backslash and control characters escaped, the rest as is. */
static void
csl_canon_string(struct csl_buf *b, const char *s, size_t len)
{
	const char	*run = s, *end = s + len;
	char		 esc[8];
	unsigned char	 c;

	csl_buf_add(b, "\"", 1);
	for (; s < end; s++) {
		c = (unsigned char)*s;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		csl_buf_add(b, run, (size_t)(s - run));
		run = s + 1;
		switch (c) {
		case '"': csl_buf_add(b, "\\\"", 2); break;
		case '\\': csl_buf_add(b, "\\\\", 2); break;
		case '\b': csl_buf_add(b, "\\b", 2); break;
		case '\f': csl_buf_add(b, "\\f", 2); break;
		case '\n': csl_buf_add(b, "\\n", 2); break;
		case '\r': csl_buf_add(b, "\\r", 2); break;
		case '\t': csl_buf_add(b, "\\t", 2); break;
		default:
			snprintf(esc, sizeof esc, "\\u%04X", c);
			csl_buf_add(b, esc, 6);
			break;
		}
	}
	csl_buf_add(b, run, (size_t)(s - run));
	csl_buf_add(b, "\"", 1);
}

/* Object keys in jansson's JSON_SORT_KEYS order (bytewise). */
static int
csl_canon_cmp(const void *a, const void *b)
{
	return (strcmp(*(const char *const *)a, *(const char *const *)b));
}

/* Append v in the canonical form; -1 on a real number (see below). */
static int
csl_canon(struct csl_buf *b, const json_t *v)
{
	const char	*k, *stack[32], **keys;
	json_t		*m;
	size_t		 i, n;
	char		 num[32];
	int		 rc = 0;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		n = json_object_size(v);
		keys = n <= nitems(stack) ? stack :
		    xreallocarray(NULL, n, sizeof *keys);
		i = 0;
		json_object_foreach((json_t *)v, k, m)
			keys[i++] = k;
		qsort(keys, n, sizeof *keys, csl_canon_cmp);
		csl_buf_add(b, "{", 1);
		for (i = 0; i < n && rc == 0; i++) {
			if (i > 0)
				csl_buf_add(b, ",", 1);
			csl_canon_string(b, keys[i], strlen(keys[i]));
			csl_buf_add(b, ":", 1);
			rc = csl_canon(b, json_object_get(v, keys[i]));
		}
		csl_buf_add(b, "}", 1);
		if (keys != stack)
			free(keys);
		return (rc);
	case JSON_ARRAY:
		csl_buf_add(b, "[", 1);
		for (i = 0; i < json_array_size(v) && rc == 0; i++) {
			if (i > 0)
				csl_buf_add(b, ",", 1);
			rc = csl_canon(b, json_array_get(v, i));
		}
		csl_buf_add(b, "]", 1);
		return (rc);
	case JSON_STRING:
		csl_canon_string(b, json_string_value(v),
		    json_string_length(v));
		return (0);
	case JSON_INTEGER:
		snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		csl_buf_add(b, num, strlen(num));
		return (0);
	case JSON_TRUE:
		csl_buf_add(b, "true", 4);
		return (0);
	case JSON_FALSE:
		csl_buf_add(b, "false", 5);
		return (0);
	case JSON_NULL:
		csl_buf_add(b, "null", 4);
		return (0);
	default:
		/* A real: its digits are jansson's business. */
		return (-1);
	}
}

/*
 * An entry as compact JSON with sorted keys, byte for byte what
 * json_dumps(JSON_COMPACT | JSON_SORT_KEYS) writes (the content hash is
 * taken over it, so it must not change), without jansson's per-object key
 * arrays. NULL when the entry holds a real number: the caller then asks
 * jansson. The caller frees the string.
 */
static char *
csl_canon_dumps(const json_t *v)
{
	struct csl_buf	b = { NULL, 0, 0 };

	if (csl_canon(&b, v) != 0) {
		free(b.s);
		return (NULL);
	}
	return (b.s);
}

/* A non-empty string member, or NULL. */
static const char *
csl_str(const json_t *o, const char *k)
{
	const char	*s = json_string_value(json_object_get(o, k));

	return (s != NULL && *s != '\0' ? s : NULL);
}

/* Free what a row owns. */
static void
csl_row_clear(struct csl_row *r)
{
	free(r->entry_id);
	free(r->txt);
	json_decref(r->alt_names);
	json_decref(r->countries);
}

/* A member if it is an array, else NULL. */
static json_t *
csl_array(const json_t *o, const char *k)
{
	json_t	*a = json_object_get(o, k);

	return (json_is_array(a) ? a : NULL);
}

/*
 * Turn one trade.gov entry into a party row: list code, entry id, content
 * hash, countries. 0, or -1 and *cause (r is then empty). r borrows from
 * raw: it is used before raw is released.
 */
static int
csl_party(struct csl_parser *p, json_t *raw, size_t idx, struct csl_row *r,
    char **cause)
{
	const char	*cc;
	char		 cs[256];
	json_t		*a, *v;
	size_t		 i, cslen = 0;
	bool		 cstrunc = false;

	memset(r, 0, sizeof *r);
	if (!json_is_object(raw)) {
		xasprintf(cause, "party %zu is not an object", idx + 1);
		return (-1);
	}
	if ((r->name = csl_str(raw, "name")) == NULL) {
		xasprintf(cause, "party %zu has no \"name\"", idx + 1);
		return (-1);
	}
	if ((r->source = csl_str(raw, "source")) == NULL) {
		xasprintf(cause, "party %zu (\"%s\") has no \"source\"",
		    idx + 1, r->name);
		return (-1);
	}
	r->raw = raw;
	screen_list_code(r->source, r->list, sizeof r->list);
	r->addresses = csl_array(raw, "addresses");
	r->programs = csl_array(raw, "programs");
	r->type = csl_str(raw, "type");
	r->license_requirement = csl_str(raw, "license_requirement");
	r->license_policy = csl_str(raw, "license_policy");
	r->federal_register_notice = csl_str(raw, "federal_register_notice");
	r->entity_number = csl_str(raw, "entity_number");
	r->countries = json_array();
	json_array_foreach(r->addresses, i, a) {
		cc = csl_str(a, "country");
		if (cc == NULL || strlen(cc) != 2)
			continue;
		json_array_append_new(r->countries, json_string(cc));
		/* "CN,HK": three bytes a country */
		if (cslen + 4 > sizeof cs) {
			cstrunc = true;
			continue;
		}
		if (cslen > 0)
			cs[cslen++] = ',';
		memcpy(cs + cslen, cc, 2);
		cslen += 2;
	}
	cs[cslen] = '\0';
	r->alt_names = json_array();
	json_array_foreach(json_object_get(raw, "alt_names"), i, v)
		if (json_string_value(v) != NULL && *json_string_value(v))
			json_array_append(r->alt_names, v);
	if (cstrunc) {
		/* More countries than the buffer: join them the long way. */
		char	*all = NULL, *tmp;

		json_array_foreach(r->countries, i, v) {
			tmp = all;
			xasprintf(&all, "%s%s%s", tmp != NULL ? tmp : "",
			    tmp != NULL ? "," : "", json_string_value(v));
			free(tmp);
		}
		r->entry_id = screen_entry_id(r->list, r->entity_number,
		    r->name, all);
		free(all);
	} else
		r->entry_id = screen_entry_id(r->list, r->entity_number,
		    r->name, cslen > 0 ? cs : NULL);
	if ((r->txt = csl_canon_dumps(raw)) == NULL &&
	    (r->txt = json_dumps(raw, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		fatalx("could not encode a party");
	csl_parser_sha256(p, r->txt, r->content_hash);
	return (0);
}

/* A row as a JSON object (csl_parse()'s rows). New reference. */
static json_t *
csl_row_json(const struct csl_row *r)
{
	json_t	*row;

	row = json_pack("{s:s,s:s,s:s,s:s,s:s,s:O,s:O,s:o,s:s?,s:s?,s:s?,"
	    "s:s?,s:s?,s:O,s:o}",
	    "entry_id", r->entry_id, "content_hash", r->content_hash,
	    "list", r->list, "source", r->source, "name", r->name,
	    "alt_names", r->alt_names, "countries", r->countries,
	    "addresses", r->addresses != NULL ? json_incref(r->addresses) :
	    json_array(), "type", r->type,
	    "license_requirement", r->license_requirement,
	    "license_policy", r->license_policy,
	    "federal_register_notice", r->federal_register_notice,
	    "entity_number", r->entity_number, "raw", r->raw,
	    "programs", r->programs != NULL ? json_incref(r->programs) :
	    json_array());
	if (row == NULL)
		fatalx("could not build a party row");
	return (row);
}

/*
 * Hand a row on, a duplicate entry id (the same name listed twice) given a
 * suffix first ("-2", "-3" in file order). Clears the row.
 */
static int
csl_emit(struct csl_parser *p, struct csl_row *r, char **cause)
{
	char		*nid;
	json_int_t	 k;
	int		 rc;

	k = json_integer_value(json_object_get(p->seen, r->entry_id));
	json_object_set_new(p->seen, r->entry_id, json_integer(k + 1));
	if (k > 0) {
		xasprintf(&nid, "%s-%lld", r->entry_id, (long long)k + 1);
		free(r->entry_id);
		r->entry_id = nid;
	}
	p->n++;
	rc = p->row(p->arg, r, cause);
	csl_row_clear(r);
	return (rc);
}

/* Skip JSON white space, counting lines. */
static void
csl_json_ws(const char *buf, size_t len, size_t *pos, int *line)
{
	for (; *pos < len; (*pos)++) {
		switch (buf[*pos]) {
		case '\n':
			(*line)++;
			break;
		case ' ':
		case '\t':
		case '\r':
			break;
		default:
			return;
		}
	}
}

/* The byte at *pos after white space, or '\0' at the end. */
static char
csl_json_peek(const char *buf, size_t len, size_t *pos, int *line)
{
	csl_json_ws(buf, len, pos, line);
	return (*pos < len ? buf[*pos] : '\0');
}

/* A syntax error of the document's frame. */
static int
csl_json_expected(int line, const char *what, char **cause)
{
	xasprintf(cause, "invalid JSON at line %d: %s expected", line, what);
	return (-1);
}

/* Decode the one JSON value at *pos and step past it; NULL and *cause. */
static json_t *
csl_json_value(const char *buf, size_t len, size_t *pos, int *line,
    char **cause)
{
	json_error_t	 jerr;
	json_t		*v;
	const char	*s, *e;

	/* position is the bytes read, also on success (jansson load.c). */
	v = json_loadb(buf + *pos, len - *pos, JSON_DECODE_ANY |
	    JSON_DISABLE_EOF_CHECK, &jerr);
	if (v == NULL) {
		xasprintf(cause, "invalid JSON at line %d: %s",
		    *line + jerr.line - 1, jerr.text);
		return (NULL);
	}
	s = buf + *pos;
	e = s + jerr.position;
	while ((s = memchr(s, '\n', (size_t)(e - s))) != NULL) {
		(*line)++;
		s++;
	}
	*pos += (size_t)jerr.position;
	return (v);
}

/* The entries of the array at *pos, each converted and handed on. */
static int
csl_json_entries(struct csl_parser *p, const char *buf, size_t len,
    size_t *pos, int *line, char **cause)
{
	struct csl_row	 r;
	json_t		*e;
	char		 c;
	size_t		 i;
	int		 rc;

	(*pos)++;
	if (csl_json_peek(buf, len, pos, line) == ']') {
		(*pos)++;
		return (0);
	}
	for (i = 0;; i++) {
		csl_json_ws(buf, len, pos, line);
		if ((e = csl_json_value(buf, len, pos, line, cause)) == NULL)
			return (-1);
		rc = csl_party(p, e, i, &r, cause);
		if (rc == 0)
			rc = csl_emit(p, &r, cause);
		json_decref(e);
		if (rc != 0)
			return (-1);
		c = csl_json_peek(buf, len, pos, line);
		(*pos)++;
		if (c == ']')
			return (0);
		if (c != ',')
			return (csl_json_expected(*line, "',' or ']'", cause));
	}
}

/*
 * The members of the object at *pos (after its '{'): "results" streamed as
 * entries, the others decoded and dropped. *found is 1 when "results" was
 * an array.
 */
static int
csl_json_members(struct csl_parser *p, const char *buf, size_t len,
    size_t *pos, int *line, int *found, char **cause)
{
	json_t	*k, *v;
	int	 rc = 0, results;
	char	 c;

	for (;;) {
		if (csl_json_peek(buf, len, pos, line) != '"')
			return (csl_json_expected(*line, "string", cause));
		if ((k = csl_json_value(buf, len, pos, line, cause)) == NULL)
			return (-1);
		results = strcmp(json_string_value(k), "results") == 0;
		json_decref(k);
		if (csl_json_peek(buf, len, pos, line) != ':')
			return (csl_json_expected(*line, "':'", cause));
		(*pos)++;
		c = csl_json_peek(buf, len, pos, line);
		if (results && *found != 0) {
			xasprintf(cause, "line %d: \"results\" given twice",
			    *line);
			return (-1);
		}
		if (results && c == '[') {
			*found = 1;
			rc = csl_json_entries(p, buf, len, pos, line, cause);
		} else {
			if (results)
				*found = -1;	/* not an array */
			if ((v = csl_json_value(buf, len, pos, line,
			    cause)) == NULL)
				return (-1);
			json_decref(v);
		}
		if (rc != 0)
			return (-1);
		c = csl_json_peek(buf, len, pos, line);
		(*pos)++;
		if (c == '}')
			return (0);
		if (c != ',')
			return (csl_json_expected(*line, "',' or '}'", cause));
	}
}

/*
 * Parse the JSON form into p's rows, an entry at a time: the document's
 * frame ({"results": [...], ...} or a bare array) is walked here and each
 * entry decoded alone, so rows flow while the rest is read and the whole
 * tree is never held. Every other member is decoded too: the file must be
 * valid JSON throughout.
 */
static int
csl_parse_json_into(struct csl_parser *p, const char *buf, size_t len,
    char **cause)
{
	json_t		*v;
	json_error_t	 jerr;
	size_t		 pos = 0;
	int		 line = 1, found = 0;
	char		 c;

	c = csl_json_peek(buf, len, &pos, &line);
	if (c == '[') {
		if (csl_json_entries(p, buf, len, &pos, &line, cause) != 0)
			return (-1);
		found = 1;
	} else if (c == '{') {
		pos++;
		if (csl_json_peek(buf, len, &pos, &line) == '}')
			pos++;
		else if (csl_json_members(p, buf, len, &pos, &line, &found,
		    cause) != 0)
			return (-1);
	} else {
		/* Not an object or array: jansson says what is wrong. */
		if ((v = json_loadb(buf, len, 0, &jerr)) == NULL) {
			xasprintf(cause, "invalid JSON at line %d: %s",
			    jerr.line, jerr.text);
			return (-1);
		}
		json_decref(v);
	}
	csl_json_ws(buf, len, &pos, &line);
	if (pos < len)
		return (csl_json_expected(line, "end of file", cause));
	if (found != 1) {
		xasprintf(cause, "no \"results\" array: not a consolidated "
		    "screening list");
		return (-1);
	}
	if (p->n == 0) {
		xasprintf(cause, "the list has no parties");
		return (-1);
	}
	return (0);
}

/* Split "a; b; c" into a JSON array of strings. */
static json_t *
csl_split(const char *s)
{
	json_t	*a = json_array();
	char	*copy, *p, *w, *e;

	if (s == NULL)
		return (a);
	copy = xstrdup(s);
	for (p = copy; (w = strsep(&p, ";")) != NULL;) {
		while (isspace((unsigned char)*w))
			w++;
		e = w + strlen(w);
		while (e > w && isspace((unsigned char)e[-1]))
			*--e = '\0';
		if (*w != '\0')
			json_array_append_new(a, json_string(w));
	}
	free(copy);
	return (a);
}

/* Parse the CSV form (trade.gov's columns) into p's rows. */
static int
csl_parse_csv_into(struct csl_parser *p, const char *buf, size_t len,
    char **cause)
{
	static const char *cols[] = { "source", "entity_number", "type",
		"programs", "name", "addresses", "federal_register_notice",
		"license_requirement", "license_policy", "alt_names",
		"source_list_url" };
	struct csv_reader	*r;
	struct csl_row		 row;
	char			**f, *err = NULL;
	size_t			 nf, i, k;
	int			 col[nitems(cols)], rc;
	json_t			*raw, *addrs, *a, *v;
	const char		*cc;

	r = csv_open(buf, len);
	if ((rc = csv_next(r, &f, &nf, &err)) != 1) {
		xasprintf(cause, "line 1: %s", rc == 0 ? "empty file" : err);
		free(err);
		csv_close(r);
		return (-1);
	}
	for (i = 0; i < nitems(cols); i++)
		col[i] = csv_column(f, nf, cols[i]);
	if (col[0] < 0 || col[4] < 0) {
		xasprintf(cause, "line 1: the header has no \"source\" and "
		    "\"name\" columns: not a consolidated screening list");
		csv_close(r);
		return (-1);
	}
	while ((rc = csv_next(r, &f, &nf, &err)) == 1) {
		raw = json_object();
		for (i = 0; i < nitems(cols); i++) {
			if (col[i] < 0 || (size_t)col[i] >= nf ||
			    *f[col[i]] == '\0')
				continue;
			if (strcmp(cols[i], "alt_names") == 0 ||
			    strcmp(cols[i], "programs") == 0)
				json_object_set_new(raw, cols[i],
				    csl_split(f[col[i]]));
			else if (strcmp(cols[i], "addresses") == 0) {
				/* "street, city, ..., CC; ...": the country last */
				addrs = json_array();
				a = csl_split(f[col[i]]);
				json_array_foreach(a, k, v) {
					cc = strrchr(json_string_value(v), ',');
					cc = cc != NULL ? cc + 1 :
					    json_string_value(v);
					while (*cc == ' ')
						cc++;
					json_array_append_new(addrs, json_pack(
					    "{s:s,s:s}", "address",
					    json_string_value(v), "country",
					    cc));
				}
				json_decref(a);
				json_object_set_new(raw, "addresses", addrs);
			} else
				json_object_set_new(raw, cols[i],
				    json_string(f[col[i]]));
		}
		if (json_object_get(raw, "alt_names") == NULL)
			json_object_set_new(raw, "alt_names", json_array());
		if (csl_party(p, raw, p->n, &row, &err) != 0) {
			json_decref(raw);
			xasprintf(cause, "line %zu: %s", csv_line(r), err);
			free(err);
			csv_close(r);
			return (-1);
		}
		rc = csl_emit(p, &row, cause);
		json_decref(raw);
		if (rc != 0) {
			csv_close(r);
			return (-1);
		}
	}
	if (rc < 0) {
		xasprintf(cause, "line %zu: %s", csv_line(r), err);
		free(err);
		csv_close(r);
		return (-1);
	}
	csv_close(r);
	if (p->n == 0) {
		xasprintf(cause, "the list has no parties");
		return (-1);
	}
	return (0);
}

/* Parse a buffer in either form (JSON if it starts with { or [). */
static int
csl_parse_into(struct csl_parser *p, const char *buf, size_t len,
    char **cause)
{
	size_t	i = 0;

	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < len && isspace((unsigned char)buf[i]))
		i++;
	if (i < len && (buf[i] == '{' || buf[i] == '['))
		return (csl_parse_json_into(p, buf + i, len - i, cause));
	return (csl_parse_csv_into(p, buf, len, cause));
}

/* The row callback of csl_parse*(): append to an array. */
static int
csl_collect(void *arg, const struct csl_row *r, char **cause)
{
	(void)cause;
	json_array_append_new(arg, csl_row_json(r));
	return (0);
}

/* Run a parse that collects the rows; NULL and *cause on error. */
static json_t *
csl_parse_rows(int (*into)(struct csl_parser *, const char *, size_t,
    char **), const char *buf, size_t len, char **cause)
{
	struct csl_parser	 p;
	json_t			*rows = json_array();

	csl_parser_init(&p, csl_collect, rows);
	if (into(&p, buf, len, cause) != 0) {
		json_decref(rows);
		rows = NULL;
	}
	csl_parser_clear(&p);
	return (rows);
}

/* Parse the JSON form: an array of party rows (new reference) or NULL. */
json_t *
csl_parse_json(const char *buf, size_t len, char **cause)
{
	return (csl_parse_rows(csl_parse_json_into, buf, len, cause));
}

/* Parse the CSV form (trade.gov's columns): rows as csl_parse_json(). */
json_t *
csl_parse_csv(const char *buf, size_t len, char **cause)
{
	return (csl_parse_rows(csl_parse_csv_into, buf, len, cause));
}

/* Parse a buffer in either form (JSON if it starts with { or [). */
json_t *
csl_parse(const char *buf, size_t len, char **cause)
{
	return (csl_parse_rows(csl_parse_into, buf, len, cause));
}

/* Read a whole file; NULL and *cause on error. */
static char *
csl_read_file(const char *path, size_t *len, char **cause)
{
	FILE	*f;
	char	*buf;
	long	 sz;

	if ((f = fopen(path, "rb")) == NULL) {
		xasprintf(cause, "could not open file \"%s\": %m", path);
		return (NULL);
	}
	if (fseek(f, 0, SEEK_END) != 0 || (sz = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		xasprintf(cause, "could not read file \"%s\": %m", path);
		fclose(f);
		return (NULL);
	}
	buf = xmalloc((size_t)sz + 1);
	if (fread(buf, 1, (size_t)sz, f) != (size_t)sz) {
		xasprintf(cause, "could not read file \"%s\": %m", path);
		free(buf);
		fclose(f);
		return (NULL);
	}
	buf[sz] = '\0';
	fclose(f);
	*len = (size_t)sz;
	return (buf);
}

/* Run a statement; -1 and *cause on error. */
static int
csl_exec(PGconn *conn, const char *sql, int n, const char *const *params,
    PGresult **out, char **cause)
{
	PGresult	*res;
	ExecStatusType	 st;

	res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
	st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		xasprintf(cause, "database error: %s",
		    PQresultErrorMessage(res));
		PQclear(res);
		return (-1);
	}
	if (out != NULL)
		*out = res;
	else
		PQclear(res);
	return (0);
}

/*
 * The COPY of a list version's parties: rows encoded in COPY's text format
 * into buf, sent each CSL_COPY_CHUNK bytes; counts per list code as they
 * go ({"EL": 3420, ...}).
 */
struct csl_copy {
	PGconn		*conn;
	const char	*vid;
	char		*buf;
	size_t		 len;
	size_t		 size;
	json_t		*counts;
};

/* Append bytes to the COPY buffer. */
static void
csl_copy_add(struct csl_copy *c, const char *s, size_t n)
{
	if (c->len + n > c->size) {
		while (c->len + n > c->size)
			c->size = c->size != 0 ? c->size * 2 : 2 * CSL_COPY_CHUNK;
		c->buf = xreallocarray(c->buf, c->size, 1);
	}
	memcpy(c->buf + c->len, s, n);
	c->len += n;
}

/* One field of COPY's text format: backslash, newline, return and tab
 * escaped. */
static void
csl_copy_text(struct csl_copy *c, const char *s)
{
	size_t	n;

	for (;;) {
		n = strcspn(s, "\\\n\r\t");
		csl_copy_add(c, s, n);
		s += n;
		switch (*s) {
		case '\0': return;
		case '\\': csl_copy_add(c, "\\\\", 2); break;
		case '\n': csl_copy_add(c, "\\n", 2); break;
		case '\r': csl_copy_add(c, "\\r", 2); break;
		default: csl_copy_add(c, "\\t", 2); break;
		}
		s++;
	}
}

/* A string as a COPY field, \N when NULL. */
static void
csl_copy_str(struct csl_copy *c, const char *s)
{
	if (s == NULL)
		csl_copy_add(c, "\\N", 2);
	else
		csl_copy_text(c, s);
}

/* The strings of an array (NULL: none) as a text[] literal in a COPY
 * field. */
static void
csl_copy_array(struct csl_copy *c, const json_t *a)
{
	json_t		*v;
	size_t		 i, n, m = 0;
	const char	*s;

	csl_copy_add(c, "{", 1);
	json_array_foreach(a, i, v) {
		if ((s = json_string_value(v)) == NULL)
			continue;
		if (m++ > 0)
			csl_copy_add(c, ",", 1);
		csl_copy_add(c, "\"", 1);
		for (;;) {
			n = strcspn(s, "\"\\\n\r\t");
			csl_copy_add(c, s, n);
			s += n;
			/* Array quoting first, then COPY's own escaping. */
			switch (*s) {
			case '\0': break;
			case '"': csl_copy_add(c, "\\\\\"", 3); break;
			case '\\': csl_copy_add(c, "\\\\\\\\", 4); break;
			case '\n': csl_copy_add(c, "\\n", 2); break;
			case '\r': csl_copy_add(c, "\\r", 2); break;
			default: csl_copy_add(c, "\\t", 2); break;
			}
			if (*s++ == '\0')
				break;
		}
		csl_copy_add(c, "\"", 1);
	}
	csl_copy_add(c, "}", 1);
}

/* A JSON array (NULL: empty) as a jsonb COPY field. */
static void
csl_copy_json(struct csl_copy *c, const json_t *v)
{
	char	*txt;

	if (v == NULL) {
		csl_copy_add(c, "[]", 2);
		return;
	}
	txt = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	csl_copy_text(c, txt != NULL ? txt : "null");
	free(txt);
}

/* Send what is buffered; -1 and *cause when the connection fails. */
static int
csl_copy_flush(struct csl_copy *c, char **cause)
{
	if (c->len == 0)
		return (0);
	if (PQputCopyData(c->conn, c->buf, (int)c->len) != 1) {
		xasprintf(cause, "database error: %s",
		    PQerrorMessage(c->conn));
		return (-1);
	}
	c->len = 0;
	return (0);
}

/*
 * The row callback of an import: one line of COPY, sent once a chunk is
 * full. raw goes as the text its content hash was taken over (jsonb keeps
 * no key order, so it is the same value as the entry).
 */
static int
csl_copy_row(void *arg, const struct csl_row *r, char **cause)
{
	const char	*strs[] = { r->entry_id, r->content_hash, r->list,
	    r->source, r->name };
	const char	*tail[] = { r->type, r->license_requirement,
	    r->license_policy, r->federal_register_notice, r->entity_number };
	struct csl_copy	*c = arg;
	size_t		 k;

	json_object_set_new(c->counts, r->list, json_integer(
	    json_integer_value(json_object_get(c->counts, r->list)) + 1));
	csl_copy_add(c, c->vid, strlen(c->vid));
	for (k = 0; k < nitems(strs); k++) {
		csl_copy_add(c, "\t", 1);
		csl_copy_str(c, strs[k]);
	}
	csl_copy_add(c, "\t", 1);
	csl_copy_array(c, r->alt_names);
	csl_copy_add(c, "\t", 1);
	csl_copy_array(c, r->countries);
	csl_copy_add(c, "\t", 1);
	csl_copy_json(c, r->addresses);
	for (k = 0; k < nitems(tail); k++) {
		csl_copy_add(c, "\t", 1);
		csl_copy_str(c, tail[k]);
	}
	csl_copy_add(c, "\t", 1);
	csl_copy_array(c, r->programs);
	csl_copy_add(c, "\t", 1);
	csl_copy_text(c, r->txt);
	csl_copy_add(c, "\n", 1);
	if (c->len >= CSL_COPY_CHUNK)
		return (csl_copy_flush(c, cause));
	return (0);
}

/*
 * Parse buf and COPY its parties as list version vid, streamed; the
 * version's counts are set after. A parse error ends the COPY with an
 * error (the caller rolls back) and *cause is "path: what".
 */
static int
csl_copy_file(PGconn *conn, const char *path, const char *vid,
    const char *buf, size_t len, size_t *nrows, char **cause)
{
	struct csl_copy		 c;
	struct csl_parser	 p;
	PGresult		*res;
	char			*err = NULL, *ctxt;
	const char		*params[2];
	int			 rc;

	res = PQexec(conn, "COPY parties (list_version, entry_id, "
	    "content_hash, list, source, name, alt_names, countries, "
	    "addresses, type, license_requirement, license_policy, "
	    "federal_register_notice, entity_number, programs, raw) "
	    "FROM STDIN");
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		xasprintf(cause, "database error: %s",
		    PQresultErrorMessage(res));
		PQclear(res);
		return (-1);
	}
	PQclear(res);
	memset(&c, 0, sizeof c);
	c.conn = conn;
	c.vid = vid;
	c.counts = json_object();
	csl_parser_init(&p, csl_copy_row, &c);
	rc = csl_parse_into(&p, buf, len, &err);
	*nrows = p.n;
	csl_parser_clear(&p);
	if (rc == 0)
		rc = csl_copy_flush(&c, &err);
	free(c.buf);
	if (PQputCopyEnd(conn, rc == 0 ? NULL : "import aborted") != 1 &&
	    rc == 0) {
		xasprintf(&err, "database error: %s", PQerrorMessage(conn));
		rc = -1;
	}
	while ((res = PQgetResult(conn)) != NULL) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK && rc == 0) {
			xasprintf(&err, "database error: %s",
			    PQresultErrorMessage(res));
			rc = -1;
		}
		PQclear(res);
	}
	if (rc != 0) {
		if (err != NULL && strncmp(err, "database error", 14) == 0)
			*cause = err;
		else {
			xasprintf(cause, "%s: %s", path,
			    err != NULL ? err : "could not parse");
			free(err);
		}
		json_decref(c.counts);
		return (-1);
	}
	ctxt = json_dumps(c.counts, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(c.counts);
	params[0] = vid;
	params[1] = ctxt;
	rc = csl_exec(conn, "UPDATE list_versions SET counts = $2::jsonb "
	    "WHERE id = $1", 2, params, NULL, cause);
	free(ctxt);
	return (rc);
}

/* Write a file as a list version, in one transaction. */
static int
csl_store(PGconn *conn, const char *path, const char *buf, size_t len,
    const char *sha, struct csl_report *rep, char **cause)
{
	const char	*params[2];
	PGresult	*res;
	char		*vid;
	const char	*base;

	if (csl_exec(conn, "BEGIN", 0, NULL, NULL, cause) != 0)
		return (-1);
	params[0] = sha;
	if (csl_exec(conn, "UPDATE list_versions SET activated_at = now() "
	    "WHERE kind = 'csl' AND sha256 = $1 RETURNING id::text, (SELECT "
	    "count(*) FROM parties WHERE list_version = list_versions.id)",
	    1, params, &res, cause) != 0)
		goto fail;
	if (PQntuples(res) > 0) {
		/* The same file again: it becomes current, nothing else. */
		rep->unchanged = true;
		rep->version = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		rep->parties = strtoull(PQgetvalue(res, 0, 1), NULL, 10);
		PQclear(res);
		goto commit;
	}
	PQclear(res);
	base = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
	params[0] = base;
	params[1] = sha;
	if (csl_exec(conn, "INSERT INTO list_versions (kind, source_file, "
	    "sha256) VALUES ('csl', $1, $2) RETURNING id", 2, params, &res,
	    cause) != 0)
		goto fail;
	vid = xstrdup(PQgetvalue(res, 0, 0));
	rep->version = strtoll(vid, NULL, 10);
	PQclear(res);
	if (csl_copy_file(conn, path, vid, buf, len, &rep->parties,
	    cause) != 0) {
		free(vid);
		goto fail;
	}
	free(vid);
commit:
	if (csl_exec(conn, "NOTIFY lists_changed", 0, NULL, NULL, cause) != 0)
		goto fail;
	if (csl_exec(conn, "COMMIT", 0, NULL, NULL, cause) != 0)
		goto fail;
	return (0);
fail:
	PQclear(PQexec(conn, "ROLLBACK"));
	return (-1);
}

/* Import one CSL file (JSON or CSV) and rescreen; see importers.h. */
int
csl_import_file(PGconn *conn, const char *path, struct csl_report *rep,
    char **cause)
{
	char	*buf, sha[65];
	size_t	 len;
	int	 rc;

	memset(rep, 0, sizeof *rep);
	if ((buf = csl_read_file(path, &len, cause)) == NULL)
		return (-1);
	csl_sha256(buf, len, sha);
	memcpy(rep->sha256, sha, sizeof rep->sha256);
	rc = csl_store(conn, path, buf, len, sha, rep, cause);
	free(buf);
	if (rc != 0)
		return (-1);
	if (!rep->unchanged &&
	    csl_rescreen(conn, &rep->rescreened, &rep->changed, cause) != 0)
		return (-1);
	return (0);
}

/* Counsel's dispositions, for rescreening as the daemon screens. */
struct csl_disps {
	PGresult			*res;	/* owns the strings */
	json_t				*map;	/* "key\x1fentry" -> index */
	struct screen_disposition	*d;
};

/* The disposition lookup of a rescreen (struct screen_opts). */
static const struct screen_disposition *
csl_disposition_find(void *arg, const char *key, const char *entry_id)
{
	struct csl_disps	*cd = arg;
	json_t			*v;
	char			*k;

	xasprintf(&k, "%s\x1f%s", key, entry_id);
	v = json_object_get(cd->map, k);
	free(k);
	return (v != NULL ? &cd->d[json_integer_value(v)] : NULL);
}

/* Load the latest disposition per (party key, entry id). */
static int
csl_disps_load(PGconn *conn, struct csl_disps *cd, char **cause)
{
	int	 i, n;
	char	*k;

	cd->map = json_object();
	cd->d = NULL;
	if (csl_exec(conn, "SELECT DISTINCT ON (party_key, entry_id) "
	    "party_key, entry_id, content_hash, disposition, note, "
	    "decided_by, to_char(decided_at AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM dispositions "
	    "ORDER BY party_key, entry_id, decided_at DESC, id DESC", 0, NULL,
	    &cd->res, cause) != 0) {
		cd->res = NULL;
		return (-1);
	}
	n = PQntuples(cd->res);
	cd->d = xcalloc((size_t)n + 1, sizeof *cd->d);
	for (i = 0; i < n; i++) {
		cd->d[i].entry_id = PQgetvalue(cd->res, i, 1);
		cd->d[i].content_hash = PQgetvalue(cd->res, i, 2);
		cd->d[i].disposition = PQgetvalue(cd->res, i, 3);
		cd->d[i].note = PQgetisnull(cd->res, i, 4) ? NULL :
		    PQgetvalue(cd->res, i, 4);
		cd->d[i].decided_by = PQgetvalue(cd->res, i, 5);
		cd->d[i].decided_at = PQgetvalue(cd->res, i, 6);
		xasprintf(&k, "%s\x1f%s", PQgetvalue(cd->res, i, 0),
		    PQgetvalue(cd->res, i, 1));
		json_object_set_new(cd->map, k, json_integer(i));
		free(k);
	}
	return (0);
}

/* Whether a rescreen changed a party: its result, or its best candidate
 * when either result is a hit and the old one is known. */
static bool
csl_rescreen_changed(const char *old, const char *oldtop, const char *new,
    const char *newtop)
{
	if (strcmp(old, new) != 0)
		return (true);
	if (strcmp(new, "no_match") == 0)
		return (false);
	/* A check's recipient is remembered without its best candidate. */
	if (*oldtop == '\0')
		return (false);
	return (strcmp(oldtop, newtop) != 0);
}

/* The current version of each kind of list (030_parties.sql). */
#define CSL_CURRENT_SQL \
	"WITH cur AS (SELECT DISTINCT ON (kind) * FROM list_versions " \
	"ORDER BY kind, activated_at DESC, id DESC) "

/*
 * The parties document of eard_parties_document() (schema/030_parties.sql)
 * with the same members, from one row per party: the function builds it as
 * one jsonb value, which takes the server seconds for the full list (about
 * 3 s for 25,921 parties against 0.3 s for the rows). New reference, or
 * NULL and *cause.
 */
static json_t *
csl_parties_document(PGconn *conn, char **cause)
{
	PGresult	*res;
	json_t		*doc, *v, *parties;
	json_error_t	 jerr;
	int		 i, n;

	if (csl_exec(conn, CSL_CURRENT_SQL "SELECT COALESCE(jsonb_agg("
	    "jsonb_build_object('id', c.id, 'kind', c.kind, 'source_file', "
	    "c.source_file, 'sha256', c.sha256, 'data_date', c.data_date, "
	    "'imported_at', c.imported_at, 'counts', c.counts) ORDER BY "
	    "c.kind), '[]'::jsonb)::text FROM cur c", 0, NULL, &res,
	    cause) != 0)
		return (NULL);
	if ((v = json_loads(PQgetvalue(res, 0, 0), 0, &jerr)) == NULL) {
		xasprintf(cause, "could not read the list versions: %s",
		    jerr.text);
		PQclear(res);
		return (NULL);
	}
	PQclear(res);
	doc = json_object();
	json_object_set_new(doc, "versions", v);
	parties = json_array();
	json_object_set_new(doc, "parties", parties);
	if (csl_exec(conn, CSL_CURRENT_SQL "SELECT jsonb_build_object("
	    "'entry_id', p.entry_id, 'content_hash', p.content_hash, "
	    "'list', p.list, 'source', p.source, 'name', p.name, "
	    "'alt_names', to_jsonb(p.alt_names), "
	    "'countries', to_jsonb(p.countries), 'type', p.type, "
	    "'license_requirement', p.license_requirement, "
	    "'license_policy', p.license_policy, "
	    "'federal_register_notice', p.federal_register_notice, "
	    "'list_version', p.list_version)::text "
	    "FROM parties p JOIN cur c ON c.id = p.list_version ORDER BY p.id",
	    0, NULL, &res, cause) != 0) {
		json_decref(doc);
		return (NULL);
	}
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		if ((v = json_loads(PQgetvalue(res, i, 0), 0, &jerr)) == NULL) {
			xasprintf(cause, "could not read a party: %s",
			    jerr.text);
			PQclear(res);
			json_decref(doc);
			return (NULL);
		}
		json_array_append_new(parties, v);
	}
	PQclear(res);
	return (doc);
}

/*
 * Rescreen every party screened before against the current lists, with
 * counsel's dispositions as the daemon applies them; store the ones whose
 * result or best candidate changed in rescreen_changes (new_top is the
 * entry id, new_top_name its listed name) and their new result and best
 * candidate in screened_parties.
 */
int
csl_rescreen(PGconn *conn, size_t *nrescreened, size_t *nchanged,
    char **cause)
{
	PGresult		*res = NULL, *sp = NULL;
	json_t			*doc, *q, *top;
		struct screen_index	*ix;
	struct screen_opts	 o;
	struct csl_disps	 cd = { NULL, NULL, NULL };
	size_t			 i;
	const char		*params[7], *nr, *newtop, *topname;
	char			*err = NULL, *vid;
	int			 rc = -1;

	*nrescreened = *nchanged = 0;
	/* Nobody screened yet: nothing to rescreen, no index to build. */
	if (csl_exec(conn, "SELECT 1 FROM screened_parties LIMIT 1", 0, NULL,
	    &res, cause) != 0)
		return (-1);
	i = (size_t)PQntuples(res);
	PQclear(res);
	if (i == 0)
		return (0);
	if (csl_exec(conn, "SELECT (SELECT max(id) FROM list_versions)::text",
	    0, NULL, &res, cause) != 0)
		return (-1);
	vid = xstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	if ((doc = csl_parties_document(conn, cause)) == NULL) {
		free(vid);
		return (-1);
	}
	ix = screen_index_build(doc, &err);
	json_decref(doc);
	if (ix == NULL) {
		xasprintf(cause, "could not index the lists: %s", err);
		free(err);
		free(vid);
		return (-1);
	}
	if (csl_disps_load(conn, &cd, cause) != 0)
		goto out;
	screen_opts_default(&o);
	o.disposition = csl_disposition_find;
	o.disposition_arg = &cd;
	if (csl_exec(conn, "SELECT id::text, name, country, result, "
	    "COALESCE(top_entry, '') FROM screened_parties ORDER BY id", 0,
	    NULL, &sp, cause) != 0)
		goto out;
	if (csl_exec(conn, "BEGIN", 0, NULL, NULL, cause) != 0)
		goto out;
	for (i = 0; i < (size_t)PQntuples(sp); i++) {
		q = screen_query(ix, PQgetvalue(sp, i, 1),
		    *PQgetvalue(sp, i, 2) != '\0' ? PQgetvalue(sp, i, 2) : NULL,
		    &o);
		nr = json_string_value(json_object_get(q, "result"));
		top = json_array_get(json_object_get(q, "candidates"), 0);
		newtop = top != NULL ? json_string_value(json_object_get(top,
		    "entry_id")) : "";
		topname = top != NULL ? json_string_value(json_object_get(top,
		    "name")) : NULL;
		(*nrescreened)++;
		if (!csl_rescreen_changed(PQgetvalue(sp, i, 3),
		    PQgetvalue(sp, i, 4), nr, newtop)) {
			json_decref(q);
			continue;
		}
		(*nchanged)++;
		params[0] = PQgetvalue(sp, i, 0);
		params[1] = vid;
		params[2] = PQgetvalue(sp, i, 3);
		params[3] = nr;
		params[4] = PQgetvalue(sp, i, 4);
		params[5] = newtop;
		params[6] = topname;
		if (csl_exec(conn, "INSERT INTO rescreen_changes "
		    "(screened_party, list_version, old_result, new_result, "
		    "old_top, new_top, new_top_name) VALUES ($1, $2, $3, $4, "
		    "NULLIF($5, ''), NULLIF($6, ''), $7)", 7, params, NULL,
		    cause) != 0 ||
		    csl_exec(conn, "UPDATE screened_parties SET result = $2, "
		    "top_entry = NULLIF($3, '') WHERE id = $1", 3,
		    (const char *[]){ params[0], nr, newtop }, NULL,
		    cause) != 0) {
			json_decref(q);
			PQclear(PQexec(conn, "ROLLBACK"));
			goto out;
		}
		json_decref(q);
	}
	if (csl_exec(conn, "COMMIT", 0, NULL, NULL, cause) != 0)
		goto out;
	rc = 0;
out:
	PQclear(sp);
	PQclear(cd.res);
	json_decref(cd.map);
	free(cd.d);
	screen_index_unref(ix);
	free(vid);
	return (rc);
}
