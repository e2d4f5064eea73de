/*
 * Party screening: names of parties against the screening lists (the
 * Consolidated Screening List, the Entity List of 15 CFR 744 Supp. 4).
 *
 * A name is normalised (NFKD, case fold, marks and punctuation stripped,
 * common Latin and Cyrillic letters transliterated), cut into tokens, and
 * each token canonicalised (abbreviations expanded, plurals folded).
 * Corporate form words and particles weigh nothing; every other token weighs
 * by how rare it is over all names and aliases (squared inverse document
 * frequency), so generic words ("energy", "holding", "technology") weigh
 * little and a distinctive word ("huawei") a lot.
 *
 * Candidates come from an inverted index over tokens (and acronyms) of names
 * and aliases; tokens the lists do not know are matched to known ones through
 * a trigram index with Jaro-Winkler. A candidate is scored by weighted token
 * alignment, word order free:
 *
 *	score = sum(sim * (wq + we)) / (sum wq + sum we)
 *
 * over aligned (query, entry) token pairs, so both the query's and the
 * entry's unmatched words lower it. A query token may stand for the acronym
 * of the entry's unmatched words (SMIC). The country is a supporting
 * feature. Every candidate carries its explanation.
 *
 * An index is built from a parties document (screen_index_build()) or fed
 * party by party (screen_builder_*(), what eard streams from the parties
 * table); its strings live in one arena, the repeated ones interned. Names
 * of plain ASCII (most of the lists) are normalised without utf8proc.
 *
 * The index is immutable once built, but for one cache: the fuzzy variants
 * of a rare known token, filled on first use with a compare-and-swap.
 * Queries keep their scratch (and a memory of unknown tokens) per thread
 * and may run in parallel.
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "ear.h"

#define SCREEN_MAX_TOKENS	32	/* tokens of a query considered */
#define SCREEN_MAX_VARIANTS	8	/* known tokens a query token may be */
#define SCREEN_FUZZY_MIN	0.88	/* Jaro-Winkler to count as the same */
#define SCREEN_SHORTLIST	160	/* names scored in full per query */
#define SCREEN_ACRONYM_SIM	0.95
#define SCREEN_COUNTRY_BONUS	0.03
#define SCREEN_COUNTRY_MALUS	0.92

/* An open-addressing map from a string (borrowed) to a number. */
struct smap {
	const char	**keys;
	uint32_t	 *vals;
	size_t		  cap;
	size_t		  n;
};

/*
 * Every string of an index lives in its arena: large chunks, freed together
 * with the index, so an index is a few hundred allocations, not one per
 * string. Strings many parties share (list, source, licence columns, type)
 * are interned once.
 */
#define SCREEN_ARENA_CHUNK	(256 * 1024)
struct screen_arena {
	char		**chunks;
	size_t		  nchunks;
	char		 *cur;
	size_t		  left;
};

struct screen_party {		/* strings in the index's arena */
	const char	*name;
	const char	*list;		/* short code: EL, SDN, ... */
	const char	*source;
	const char	*entry_id;
	const char	*content_hash;
	const char	*license_requirement;
	const char	*license_policy;
	const char	*federal_register_notice;
	const char	*type;
	char		 (*countries)[3];
	size_t		  ncountries;
	int64_t		  list_version;
	bool		  export_list;
};

struct screen_name {		/* a name or an alias of a party */
	uint32_t	 party;
	uint32_t	 tok_off;	/* into index->toks */
	uint16_t	 ntok;
	bool		 alias;
	double		 wsum;		/* total weight of its tokens */
	const char	*matched_on;	/* "name" or "alias \"...\"" */
};

struct screen_index {
	int			 refs;
	uint64_t		 serial;	/* unique to this index */
	struct screen_arena	 arena;
	struct smap		 strings;	/* interned strings */
	struct screen_party	*parties;
	size_t			 nparties;
	struct screen_name	*names;
	size_t			 nnames;
	uint32_t		*toks;		/* vocab ids of every name's tokens */
	size_t			 ntoks;

	struct smap		 vocab;		/* token -> vocab id */
	const char		**vstr;		/* vocab id -> token */
	double			*vweight;	/* vocab id -> weight (0: form word) */
	uint8_t			*vstop;		/* vocab id -> a particle */
	uint32_t		*vdf;
	uint32_t		*post_off;	/* CSR: vocab id -> names */
	uint32_t		*post;
	size_t			 nvocab;

	/* vocab id -> the fuzzy variants of a rare known token, filled the
	 * first time a query has the token (published with a CAS, so the
	 * index stays shareable between threads) */
	struct screen_fz	**fz;

	struct smap		 trigrams;	/* trigram -> id */
	uint32_t		*tri_off;	/* CSR: trigram id -> vocab ids */
	uint32_t		*tri_post;

	double			 unknown_weight;	/* of a token no list has */
	double			 info_floor;	/* matched weight below: damped */
	char			*version;
	json_t			*lists;		/* {"EL": "csl 3 (...)"} */
};

/* Transliterations of letters NFKD leaves alone (after case folding). */
static const struct {
	int32_t		 cp;
	const char	*to;
} screen_translit[] = {
	{ 0x00df, "ss" }, { 0x00e6, "ae" }, { 0x0153, "oe" }, { 0x00f8, "o" },
	{ 0x0142, "l" }, { 0x0111, "d" }, { 0x00f0, "d" }, { 0x00fe, "th" },
	{ 0x0131, "i" }, { 0x0127, "h" }, { 0x0167, "t" }, { 0x0138, "k" },
	{ 0x014b, "ng" }, { 0x0140, "l" }, { 0x0133, "ij" },
	/* Cyrillic, BGN/PCGN-like; marks (й, ё) are stripped before. */
	{ 0x0430, "a" }, { 0x0431, "b" }, { 0x0432, "v" }, { 0x0433, "g" },
	{ 0x0434, "d" }, { 0x0435, "e" }, { 0x0436, "zh" }, { 0x0437, "z" },
	{ 0x0438, "i" }, { 0x043a, "k" }, { 0x043b, "l" }, { 0x043c, "m" },
	{ 0x043d, "n" }, { 0x043e, "o" }, { 0x043f, "p" }, { 0x0440, "r" },
	{ 0x0441, "s" }, { 0x0442, "t" }, { 0x0443, "u" }, { 0x0444, "f" },
	{ 0x0445, "kh" }, { 0x0446, "ts" }, { 0x0447, "ch" }, { 0x0448, "sh" },
	{ 0x0449, "shch" }, { 0x044a, "" }, { 0x044b, "y" }, { 0x044c, "" },
	{ 0x044d, "e" }, { 0x044e, "yu" }, { 0x044f, "ya" }, { 0x0456, "i" },
	{ 0x0457, "i" }, { 0x0454, "ye" }, { 0x0491, "g" },
};

/*
 * Corporate form words in many languages, and their spelled-out forms
 * (Russian OOO = obshchestvo s ogranichennoi otvetstvennostyu): they say
 * what kind of company, not which one.
 */
static const char *screen_form_words[] = {
	"ab", "ad", "ag", "ao", "aps", "as", "asa", "bhd", "bsc", "bv", "bvba",
	"cjsc", "co", "company", "corp", "corporation", "cv", "cvba", "dd",
	"dmcc", "doo", "eireli", "eood", "ehf", "eurl", "fz", "fzc", "fzco",
	"fze", "fzllc", "gk", "gmbh", "hf", "inc", "incorporated", "jsc",
	"joint", "kabushiki", "kaisha", "kft", "kg", "kgaa", "kk", "liability",
	"limited", "llc", "llp", "lp", "ltd", "ltda", "mbh", "nv", "nyrt",
	"oao", "obshchestvo", "ogranichennoi", "ogranichennoy", "ohg", "ojs",
	"ojsc", "oo", "ood", "ooo", "otkrytoe", "otvetstvennostyu", "oy", "oyj",
	"pao", "pjsc", "plc", "pllc", "pp", "private", "psc", "pt", "pte",
	"pty", "public", "publichnoe", "pvt", "qsc", "sa", "sab", "sae",
	"sal", "saog", "sapi", "sarl", "sas", "sasu", "sdn", "se", "sl", "snc", "sp",
	"spa", "spc", "sprl", "srl", "sro", "stock", "tbk", "tov",
	"tovarystvo", "ug", "ulc", "wll", "yk", "zao", "zakrytoe", "zrt",
	"aktsionernoe", "aktsionernoye", "obshestvo", "anonim", "sirketi",
	"sti",
};

/* Particles: no weight, and not part of an acronym. */
static const char *screen_stop_words[] = {
	"a", "and", "da", "de", "del", "der", "des", "di", "do", "du", "e",
	"et", "for", "fur", "la", "le", "of", "the", "und", "ve", "y",
};

/*
 * Generic words of company names: common in any language, so the lists'
 * own frequencies understate how little they say. Their weight is cut.
 */
static const char *screen_generic_words[] = {
	"advanced", "air", "asia", "aviation", "bank", "capital", "center",
	"chemical", "commercial", "communication", "construction", "consulting",
	"data", "development", "digital", "east", "electric", "electronic",
	"energy", "engineering", "enterprise", "equipment", "export",
	"finance", "financial", "first", "general", "global", "gold", "golden",
	"group", "health", "holding", "import", "industrial", "industry",
	"information", "innovation", "international", "investment",
	"logistic", "machinery", "management", "manufacturing", "marine",
	"material", "media", "medical", "metal", "network", "new", "north",
	"ocean", "oil", "pacific", "petroleum", "power", "product",
	"production", "project", "research", "resource", "science",
	"scientific", "sea", "security", "service", "shipping", "smart",
	"software", "solution", "south", "star", "supply", "system",
	"technical", "technology", "telecom", "trade", "trading", "transport",
	"united", "west", "world",
};
#define SCREEN_GENERIC_FACTOR	0.3

/* Abbreviations as written in the lists and by users. */
struct screen_abbrev {
	const char	*abbr;
	const char	*word;
};
static struct screen_abbrev screen_abbrevs[] = {
	{ "acad", "academy" }, { "assn", "association" },
	{ "assoc", "association" }, { "bros", "brother" },
	{ "centre", "center" }, { "chem", "chemical" }, { "ctr", "center" },
	{ "dept", "department" }, { "dev", "development" },
	{ "devt", "development" }, { "elec", "electronic" },
	{ "eng", "engineering" }, { "engg", "engineering" },
	{ "equip", "equipment" }, { "gov", "government" },
	{ "govt", "government" }, { "grp", "group" }, { "hldg", "holding" },
	{ "hldgs", "holding" }, { "ind", "industry" }, { "inds", "industry" },
	{ "inst", "institute" }, { "intl", "international" },
	{ "lab", "laboratory" }, { "labs", "laboratory" },
	{ "laboratories", "laboratory" }, { "manuf", "manufacturing" },
	{ "mfg", "manufacturing" }, { "mfr", "manufacturer" },
	{ "mgmt", "management" }, { "natl", "national" },
	{ "pharm", "pharmaceutical" }, { "res", "research" },
	{ "sci", "science" }, { "svc", "service" }, { "svcs", "service" },
	{ "sys", "system" }, { "tech", "technology" },
	{ "techn", "technology" }, { "univ", "university" },
};

static int
screen_cmp_str(const void *a, const void *b)
{
	return (strcmp(*(const char *const *)a, *(const char *const *)b));
}

/* Whether a sorted table of words holds this one. */
static bool
screen_in_table(const char **table, size_t n, const char *w)
{
	return (bsearch(&w, table, n, sizeof *table, screen_cmp_str) != NULL);
}

static int	screen_cmp_abbrev(const void *, const void *);

/* Sort the word tables once (they are written for reading, not sorted). */
static void
screen_tables_init(void)
{
	static int	done;

	if (__atomic_load_n(&done, __ATOMIC_ACQUIRE))
		return;
	/* Sorting is idempotent, so two threads racing here do no harm. */
	qsort(screen_form_words, nitems(screen_form_words),
	    sizeof *screen_form_words, screen_cmp_str);
	qsort(screen_stop_words, nitems(screen_stop_words),
	    sizeof *screen_stop_words, screen_cmp_str);
	qsort(screen_generic_words, nitems(screen_generic_words),
	    sizeof *screen_generic_words, screen_cmp_str);
	qsort(screen_abbrevs, nitems(screen_abbrevs), sizeof *screen_abbrevs,
	    screen_cmp_abbrev);
	__atomic_store_n(&done, 1, __ATOMIC_RELEASE);
}

/* Whether a normalised, canonical token is a corporate form word. */
bool
screen_is_form_word(const char *w)
{
	screen_tables_init();
	return (screen_in_table(screen_form_words, nitems(screen_form_words),
	    w));
}

/* Whether a token is a particle (or a lone letter) that weighs nothing. */
static bool
screen_is_stop_word(const char *w)
{
	screen_tables_init();
	if (w[0] != '\0' && w[1] == '\0')
		return (true);
	return (screen_in_table(screen_stop_words, nitems(screen_stop_words),
	    w));
}

/* FNV-1a over a string. */
static uint64_t
screen_hash(const char *s)
{
	uint64_t	h = 14695981039346656037ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return (h);
}

static void
smap_init(struct smap *m, size_t hint)
{
	m->cap = 64;
	while (m->cap < hint * 2)
		m->cap *= 2;
	m->keys = xcalloc(m->cap, sizeof *m->keys);
	m->vals = xcalloc(m->cap, sizeof *m->vals);
	m->n = 0;
}

static void
smap_free(struct smap *m)
{
	free(m->keys);
	free(m->vals);
}

/* Look a key up; NULL if absent, else a pointer to its value. */
static uint32_t *
smap_get(const struct smap *m, const char *k)
{
	size_t	i;

	if (m->cap == 0)
		return (NULL);
	i = screen_hash(k) & (m->cap - 1);
	while (m->keys[i] != NULL) {
		if (strcmp(m->keys[i], k) == 0)
			return (&m->vals[i]);
		i = (i + 1) & (m->cap - 1);
	}
	return (NULL);
}

/* Insert a key (borrowed) unless present; return its value slot. */
static uint32_t *
smap_put(struct smap *m, const char *k, uint32_t v, bool *added)
{
	size_t	i, j, ocap;
	const char **okeys;
	uint32_t *ovals;

	if ((m->n + 1) * 2 > m->cap) {
		okeys = m->keys;
		ovals = m->vals;
		ocap = m->cap;
		m->cap *= 2;
		m->keys = xcalloc(m->cap, sizeof *m->keys);
		m->vals = xcalloc(m->cap, sizeof *m->vals);
		for (j = 0; j < ocap; j++) {
			if (okeys[j] == NULL)
				continue;
			i = screen_hash(okeys[j]) & (m->cap - 1);
			while (m->keys[i] != NULL)
				i = (i + 1) & (m->cap - 1);
			m->keys[i] = okeys[j];
			m->vals[i] = ovals[j];
		}
		free(okeys);
		free(ovals);
	}
	i = screen_hash(k) & (m->cap - 1);
	while (m->keys[i] != NULL) {
		if (strcmp(m->keys[i], k) == 0) {
			*added = false;
			return (&m->vals[i]);
		}
		i = (i + 1) & (m->cap - 1);
	}
	m->keys[i] = k;
	m->vals[i] = v;
	m->n++;
	*added = true;
	return (&m->vals[i]);
}

/* A growing byte buffer for building strings. */
struct sbuf {
	char	*s;
	size_t	 len;
	size_t	 cap;
};

static void
sbuf_add(struct sbuf *b, const char *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = xreallocarray(b->s, b->cap, 1);
	}
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

/* Empty a buffer for reuse, keeping its memory. */
static void
sbuf_reset(struct sbuf *b)
{
	b->len = 0;
	sbuf_add(b, "", 0);
}

/*
 * Normalise a name made only of ASCII (most of the lists): what the
 * Unicode path below does to ASCII (NFKD and case folding are lower-casing
 * there), without decomposing and re-encoding every character.
 */
static void
screen_normalise_ascii(const char *in, struct sbuf *b)
{
	size_t	seglen = 0;
	bool	sep = false;
	char	c;

	for (; (c = *in) != '\0'; in++) {
		if (c == '\'' || c == '`')
			continue;
		if (c == '&' && !sep && seglen > 0 && seglen <= 2)
			continue;
		if (c == '.' && seglen == 1 && !sep) {
			seglen = 0;
			continue;
		}
		if (c >= 'A' && c <= 'Z')
			c = c - 'A' + 'a';
		else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
			sep = true;
			continue;
		}
		if (sep && b->len > 0)
			sbuf_add(b, " ", 1);
		if (sep)
			seglen = 0;
		sep = false;
		/* One byte: the buffer's slack is checked only on growth. */
		if (b->len + 2 > b->cap)
			sbuf_add(b, &c, 1);
		else {
			b->s[b->len++] = c;
			b->s[b->len] = '\0';
		}
		seglen++;
	}
}

/* Normalise a name into b (emptied first): NFKD, case fold, strip marks,
 * transliterate, tokens of letters and digits joined by single spaces. */
static void
screen_normalise_buf(const char *in, struct sbuf *b)
{
	utf8proc_uint8_t	*mapped = NULL;
	utf8proc_ssize_t	 n, i, step;
	utf8proc_int32_t	 cp;
	size_t			 seglen = 0, j;
	bool			 sep = false;
	utf8proc_uint8_t	 enc[4];
	const char		*to, *p;
	utf8proc_category_t	 cat;

	if (in == NULL)
		in = "";
	sbuf_reset(b);
	for (p = in; *p != '\0' && (*p & 0x80) == 0; p++)
		;
	if (*p == '\0') {
		screen_normalise_ascii(in, b);
		return;
	}
	n = utf8proc_map((const utf8proc_uint8_t *)in, 0, &mapped,
	    UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPAT |
	    UTF8PROC_DECOMPOSE | UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK);
	if (n < 0) {
		/* Not UTF-8: keep ASCII letters and digits only. */
		for (; *in != '\0'; in++) {
			if ((*in >= 'a' && *in <= 'z') ||
			    (*in >= '0' && *in <= '9')) {
				if (sep && b->len > 0)
					sbuf_add(b, " ", 1);
				sep = false;
				sbuf_add(b, in, 1);
			} else if (*in >= 'A' && *in <= 'Z') {
				char c = *in - 'A' + 'a';
				if (sep && b->len > 0)
					sbuf_add(b, " ", 1);
				sep = false;
				sbuf_add(b, &c, 1);
			} else
				sep = true;
		}
		return;
	}
	for (i = 0; i < n; i += step) {
		step = utf8proc_iterate(mapped + i, n - i, &cp);
		if (step <= 0)
			break;
		to = NULL;
		for (j = 0; cp >= 0x80 && j < nitems(screen_translit); j++) {
			if (screen_translit[j].cp == cp) {
				to = screen_translit[j].to;
				break;
			}
		}
		if (to != NULL) {
			if (*to == '\0')
				continue;
			if (sep && b->len > 0)
				sbuf_add(b, " ", 1);
			if (sep)
				seglen = 0;
			sep = false;
			sbuf_add(b, to, strlen(to));
			seglen++;
			continue;
		}
		/* Apostrophes join ("Mo'er" is one word). */
		if (cp == '\'' || cp == 0x2019 || cp == 0x2018 ||
		    cp == 0x02bc || cp == '`' || cp == 0x00b4)
			continue;
		/* An ampersand inside initials joins them: B&W -> bw. */
		if (cp == '&' && !sep && seglen > 0 && seglen <= 2)
			continue;
		/* A dot after a lone letter joins initials: S.A.L. -> sal. */
		if (cp == '.' && seglen == 1 && !sep) {
			seglen = 0;
			continue;
		}
		cat = utf8proc_category(cp);
		if (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) {
			/* letters */
		} else if (cat >= UTF8PROC_CATEGORY_ND &&
		    cat <= UTF8PROC_CATEGORY_NO) {
			/* digits */
		} else {
			sep = true;
			continue;
		}
		if (sep && b->len > 0)
			sbuf_add(b, " ", 1);
		if (sep)
			seglen = 0;
		sep = false;
		sbuf_add(b, (const char *)enc,
		    (size_t)utf8proc_encode_char(cp, enc));
		seglen++;
	}
	free(mapped);
}

/* Normalise a name (see screen_normalise_buf). The caller frees. */
char *
screen_normalise(const char *in)
{
	struct sbuf	b = { NULL, 0, 0 };

	screen_normalise_buf(in, &b);
	return (b.s);
}

static int
screen_cmp_abbrev(const void *a, const void *b)
{
	return (strcmp(((const struct screen_abbrev *)a)->abbr,
	    ((const struct screen_abbrev *)b)->abbr));
}

/*
 * Canonicalise one normalised token in place (buffer of at least 32 bytes
 * or strlen + 1): abbreviations expanded, plurals folded to the singular.
 */
static void
screen_canon_token(char *t, size_t size)
{
	struct screen_abbrev		 key = { t, NULL };
	const struct screen_abbrev	*a;
	size_t				 len;

	screen_tables_init();
	a = bsearch(&key, screen_abbrevs, nitems(screen_abbrevs),
	    sizeof *screen_abbrevs, screen_cmp_abbrev);
	if (a != NULL) {
		if (strlen(a->word) < size)
			strcpy(t, a->word);
		return;
	}
	if (screen_is_form_word(t))
		return;
	len = strlen(t);
	if (len > 4 && strcmp(t + len - 3, "ies") == 0) {
		t[len - 3] = 'y';
		t[len - 2] = '\0';
	} else if (len > 3 && t[len - 1] == 's' && t[len - 2] != 's' &&
	    t[len - 2] != 'u' && t[len - 2] != 'i')
		t[len - 1] = '\0';
}

/* A name cut into canonical tokens; its buffers are reused from one name
 * to the next (screen_tokens_init() once, screen_tokens_free() at the end). */
struct screen_tokens {
	struct sbuf	 norm;
	char		*buf;
	size_t		 cap;
	char		*v[SCREEN_MAX_TOKENS];
	size_t		 n;
};

static void
screen_tokens_init(struct screen_tokens *st)
{
	memset(st, 0, sizeof *st);
}

/* Cut a name into canonical tokens. */
static void
screen_tokens_make(const char *name, struct screen_tokens *st)
{
	char	*p, *tok, *out;
	size_t	 need;

	screen_normalise_buf(name, &st->norm);
	/* Room for every token to grow to its longest expansion. */
	need = st->norm.len + 1 + SCREEN_MAX_TOKENS * 16;
	if (st->cap < need) {
		free(st->buf);
		st->cap = need;
		st->buf = xmalloc(st->cap);
	}
	st->n = 0;
	out = st->buf;
	for (p = st->norm.s; (tok = strsep(&p, " ")) != NULL;) {
		if (*tok == '\0' || st->n == SCREEN_MAX_TOKENS)
			continue;
		strcpy(out, tok);
		screen_canon_token(out, strlen(tok) + 16);
		st->v[st->n++] = out;
		out += strlen(out) + 1;
	}
}

static void
screen_tokens_free(struct screen_tokens *st)
{
	free(st->norm.s);
	free(st->buf);
}

/* The key of tokens made: canonical tokens without form words and
 * particles, in order. The caller frees. */
static char *
screen_key_tokens(const struct screen_tokens *st)
{
	struct sbuf	b = { NULL, 0, 0 };
	size_t		i;

	sbuf_add(&b, "", 0);
	for (i = 0; i < st->n; i++) {
		if (screen_is_form_word(st->v[i]) ||
		    screen_is_stop_word(st->v[i]))
			continue;
		if (b.len > 0)
			sbuf_add(&b, " ", 1);
		sbuf_add(&b, st->v[i], strlen(st->v[i]));
	}
	return (b.s);
}

/* The key of a screened party: its canonical tokens without form words
 * and particles, in order. The caller frees. */
char *
screen_key(const char *name)
{
	struct screen_tokens	 st;
	char			*key;

	screen_tokens_init(&st);
	screen_tokens_make(name, &st);
	key = screen_key_tokens(&st);
	screen_tokens_free(&st);
	return (key);
}

/* Jaro-Winkler similarity of two strings (bytes), in [0, 1]. */
double
screen_jaro_winkler(const char *a, const char *b)
{
	size_t	la = strlen(a), lb = strlen(b), i, j, lo, hi, m = 0, t = 0;
	size_t	win, k, prefix;
	bool	ma[64], mb[64];
	double	jaro;

	if (la == 0 && lb == 0)
		return (1.0);
	if (la == 0 || lb == 0)
		return (0.0);
	if (la > 64)
		la = 64;
	if (lb > 64)
		lb = 64;
	memset(ma, 0, sizeof ma);
	memset(mb, 0, sizeof mb);
	win = (la > lb ? la : lb) / 2;
	win = win > 0 ? win - 1 : 0;
	for (i = 0; i < la; i++) {
		lo = i > win ? i - win : 0;
		hi = i + win + 1 < lb ? i + win + 1 : lb;
		for (j = lo; j < hi; j++) {
			if (mb[j] || a[i] != b[j])
				continue;
			ma[i] = mb[j] = true;
			m++;
			break;
		}
	}
	if (m == 0)
		return (0.0);
	for (i = 0, k = 0; i < la; i++) {
		if (!ma[i])
			continue;
		while (!mb[k])
			k++;
		if (a[i] != b[k])
			t++;
		k++;
	}
	jaro = ((double)m / la + (double)m / lb +
	    ((double)m - t / 2.0) / m) / 3.0;
	for (prefix = 0; prefix < 4 && prefix < la && prefix < lb &&
	    a[prefix] == b[prefix]; prefix++)
		;
	return (jaro + prefix * 0.1 * (1.0 - jaro));
}

/* The short code of a list from its published source name: "(EL)". */
void
screen_list_code(const char *source, char *buf, size_t size)
{
	const char	*open, *close;
	size_t		 len;

	if (size == 0)
		return;
	buf[0] = '\0';
	if (source == NULL)
		return;
	open = strchr(source, '(');
	close = open != NULL ? strchr(open, ')') : NULL;
	if (open == NULL || close == NULL) {
		snprintf(buf, size, "%s", source);
		return;
	}
	len = close - open - 1;
	if (len >= 5 && strncmp(close - 5, " List", 5) == 0)
		len -= 5;	/* "(NS-MBS List)" */
	if (len >= size)
		len = size - 1;
	memcpy(buf, open + 1, len);
	buf[len] = '\0';
}

/* Whether a list is one of BIS's, administered under the EAR. */
bool
screen_export_list(const char *code)
{
	return (strcmp(code, "EL") == 0 || strcmp(code, "MEU") == 0 ||
	    strcmp(code, "DPL") == 0 || strcmp(code, "UVL") == 0);
}

/* A listed entry's id, stable across versions: the list's own number when
 * it has one, else a hash of name and countries. The caller frees. */
char *
screen_entry_id(const char *list, const char *entity_number,
    const char *name, const char *countries)
{
	char		*s, *id;
	uint64_t	 h;

	if (entity_number != NULL && *entity_number != '\0') {
		xasprintf(&id, "%s:%s", list, entity_number);
		return (id);
	}
	xasprintf(&s, "%s|%s|%s", list, name != NULL ? name : "",
	    countries != NULL ? countries : "");
	h = screen_hash(s);
	free(s);
	xasprintf(&id, "%s:%016llx", list, (unsigned long long)h);
	return (id);
}

const char *
screen_result_name(enum screen_result r)
{
	switch (r) {
	case SCREEN_MATCH:
		return ("match");
	case SCREEN_REVIEW:
		return ("review");
	case SCREEN_NO_MATCH:
		break;
	}
	return ("no_match");
}

/* The default thresholds (see bench/BENCHMARKS.md for how they were set). */
void
screen_opts_default(struct screen_opts *o)
{
	memset(o, 0, sizeof *o);
	o->match_threshold = 0.85;
	o->review_threshold = 0.70;
	o->min_score = 0.55;
	o->limit = 10;
}

/* Room for n bytes in the arena. */
static char *
screen_arena_alloc(struct screen_arena *a, size_t n)
{
	char	*p;

	if (n > a->left) {
		a->chunks = xreallocarray(a->chunks, a->nchunks + 1,
		    sizeof *a->chunks);
		if (n > SCREEN_ARENA_CHUNK / 4) {
			/* A long string gets a chunk of its own. */
			p = xmalloc(n);
			a->chunks[a->nchunks++] = p;
			return (p);
		}
		a->cur = xmalloc(SCREEN_ARENA_CHUNK);
		a->chunks[a->nchunks++] = a->cur;
		a->left = SCREEN_ARENA_CHUNK;
	}
	p = a->cur;
	a->cur += n;
	a->left -= n;
	return (p);
}

static const char *
screen_arena_strdup(struct screen_arena *a, const char *s)
{
	size_t	 n = strlen(s) + 1;
	char	*p = screen_arena_alloc(a, n);

	memcpy(p, s, n);
	return (p);
}

static void
screen_arena_free(struct screen_arena *a)
{
	size_t	i;

	for (i = 0; i < a->nchunks; i++)
		free(a->chunks[i]);
	free(a->chunks);
	memset(a, 0, sizeof *a);
}

/* A string (or NULL for NULL or ""), interned in the index's arena. */
static const char *
screen_intern(struct screen_index *ix, const char *s)
{
	struct smap	*m = &ix->strings;
	size_t		 i;
	const char	*copy;
	bool		 added;

	if (s == NULL || *s == '\0')
		return (NULL);
	i = screen_hash(s) & (m->cap - 1);
	while (m->keys[i] != NULL) {
		if (strcmp(m->keys[i], s) == 0)
			return (m->keys[i]);
		i = (i + 1) & (m->cap - 1);
	}
	copy = screen_arena_strdup(&ix->arena, s);
	smap_put(m, copy, 0, &added);
	return (copy);
}

/* A string of one party (or NULL for NULL or ""), in the arena. */
static const char *
screen_arena_nz(struct screen_index *ix, const char *s)
{
	return (s != NULL && *s != '\0' ? screen_arena_strdup(&ix->arena, s) :
	    NULL);
}

/* A list version as the builder keeps it, for the labels. */
struct screen_version_in {
	int64_t		 id;
	char		*kind;
	char		*sha256;
	char		*data_date;
	char		*imported_at;
};

#define SCREEN_VFORM	0x1	/* vocab flags while building */
#define SCREEN_VSTOP	0x2

struct screen_builder {
	struct screen_index		*ix;
	size_t				 parties_cap;
	size_t				 names_cap;
	size_t				 toks_cap;
	size_t				 vocab_cap;
	uint8_t				*vflags;
	struct screen_tokens		 st;
	struct screen_version_in	*versions;
	size_t				 nversions;
	/* Per party: its order key, first name and number of names; the
	 * parties are put in key order at the end if they came out of it. */
	int64_t				*pid;
	uint32_t			*pname0;
	uint32_t			*pnames;
	bool				 unsorted;
};

/* Intern a token in the vocabulary under construction. */
static uint32_t
screen_vocab_add(struct screen_builder *b, const char *t)
{
	struct screen_index	*ix = b->ix;
	uint32_t		*slot;
	bool			 added;
	const char		*copy;

	if ((slot = smap_get(&ix->vocab, t)) != NULL)
		return (*slot);
	if (ix->nvocab == b->vocab_cap) {
		b->vocab_cap = b->vocab_cap * 2 + 1024;
		ix->vstr = xreallocarray(ix->vstr, b->vocab_cap,
		    sizeof *ix->vstr);
		b->vflags = xreallocarray(b->vflags, b->vocab_cap,
		    sizeof *b->vflags);
	}
	copy = screen_arena_strdup(&ix->arena, t);
	ix->vstr[ix->nvocab] = copy;
	b->vflags[ix->nvocab] = (screen_is_form_word(t) ? SCREEN_VFORM : 0) |
	    (screen_is_stop_word(t) ? SCREEN_VSTOP : 0);
	slot = smap_put(&ix->vocab, copy, (uint32_t)ix->nvocab, &added);
	return ((uint32_t)ix->nvocab++);
}

/* The acronyms of a name's tokens (vocab ids): initials of every word but
 * particles, and of every word but particles and form words. */
static void
screen_acronyms(const struct screen_builder *b, const uint32_t *v, size_t n,
    char *all, char *bare, size_t size)
{
	const struct screen_index	*ix = b->ix;
	size_t				 i, na = 0, nb = 0;

	for (i = 0; i < n; i++) {
		if (b->vflags[v[i]] & SCREEN_VSTOP)
			continue;
		if (na + 1 < size)
			all[na++] = ix->vstr[v[i]][0];
		if (!(b->vflags[v[i]] & SCREEN_VFORM) && nb + 1 < size)
			bare[nb++] = ix->vstr[v[i]][0];
	}
	all[na] = '\0';
	bare[nb] = '\0';
}

/* Whether an acronym is worth indexing: 2..8 ASCII letters. */
static bool
screen_acronym_ok(const char *a)
{
	size_t	n = strlen(a);

	if (n < 2 || n > 8)
		return (false);
	for (; *a != '\0'; a++)
		if (*a < 'a' || *a > 'z')
			return (false);
	return (true);
}

/* Pack the byte trigram at s (padded with ^ and $ by the caller). */
static void
screen_trigram(const char *s, char out[4])
{
	memcpy(out, s, 3);
	out[3] = '\0';
}

/* Add a name (or alias) of party p to the index under construction. */
static void
screen_index_add_name(struct screen_builder *b, uint32_t p, const char *text,
    bool alias)
{
	struct screen_index	*ix = b->ix;
	struct screen_tokens	*st = &b->st;
	struct screen_name	*sn;
	char			 all[16], bare[16], key[20], *m;
	size_t			 i, len;

	screen_tokens_make(text, st);
	if (st->n == 0)
		return;
	if (ix->nnames == b->names_cap) {
		b->names_cap = b->names_cap * 2 + 1024;
		ix->names = xreallocarray(ix->names, b->names_cap,
		    sizeof *ix->names);
	}
	if (ix->ntoks + st->n + 2 > b->toks_cap) {
		b->toks_cap = b->toks_cap * 2 + 4096;
		ix->toks = xreallocarray(ix->toks, b->toks_cap,
		    sizeof *ix->toks);
	}
	sn = &ix->names[ix->nnames++];
	sn->party = p;
	sn->alias = alias;
	sn->wsum = 0;	/* summed later; the array comes from realloc */
	if (alias) {
		len = strlen(text);
		m = screen_arena_alloc(&ix->arena, len + 10);
		memcpy(m, "alias \"", 7);
		memcpy(m + 7, text, len);
		memcpy(m + 7 + len, "\"", 2);
		sn->matched_on = m;
	} else
		sn->matched_on = "name";
	sn->tok_off = (uint32_t)ix->ntoks;
	for (i = 0; i < st->n; i++)
		ix->toks[ix->ntoks++] = screen_vocab_add(b, st->v[i]);
	sn->ntok = (uint16_t)st->n;
	/* Acronyms are indexed as "#smic" and never scored as tokens. */
	screen_acronyms(b, ix->toks + sn->tok_off, st->n, all, bare,
	    sizeof all);
	if (screen_acronym_ok(all)) {
		snprintf(key, sizeof key, "#%s", all);
		ix->toks[ix->ntoks++] = screen_vocab_add(b, key);
	}
	if (screen_acronym_ok(bare) && strcmp(all, bare) != 0) {
		snprintf(key, sizeof key, "#%s", bare);
		ix->toks[ix->ntoks++] = screen_vocab_add(b, key);
	}
}

/* Number of real (non-acronym) tokens of a name. */
static size_t
screen_name_real(const struct screen_index *ix, const struct screen_name *sn)
{
	return (sn->ntok);
	(void)ix;
}

/* A new, empty index under construction. */
struct screen_builder *
screen_builder_new(void)
{
	static uint64_t		 serials;
	struct screen_builder	*b;
	struct screen_index	*ix;

	screen_tables_init();
	b = xcalloc(1, sizeof *b);
	screen_tokens_init(&b->st);
	ix = b->ix = xcalloc(1, sizeof *ix);
	ix->refs = 1;
	ix->serial = __atomic_add_fetch(&serials, 1, __ATOMIC_RELAXED);
	smap_init(&ix->vocab, 65536);
	smap_init(&ix->strings, 256);
	return (b);
}

/* Remember a current list version (its id, kind, sha256 and dates). */
void
screen_builder_add_version(struct screen_builder *b, int64_t id,
    const char *kind, const char *sha256, const char *data_date,
    const char *imported_at)
{
	struct screen_version_in	*v;

	b->versions = xreallocarray(b->versions, b->nversions + 1,
	    sizeof *b->versions);
	v = &b->versions[b->nversions++];
	v->id = id;
	v->kind = kind != NULL && *kind != '\0' ? xstrdup(kind) : NULL;
	v->sha256 = sha256 != NULL && *sha256 != '\0' ? xstrdup(sha256) :
	    NULL;
	v->data_date = data_date != NULL && *data_date != '\0' ?
	    xstrdup(data_date) : NULL;
	v->imported_at = imported_at != NULL && *imported_at != '\0' ?
	    xstrdup(imported_at) : NULL;
}

/* Add one party with its names; a party without a name is skipped. */
void
screen_builder_add_party(struct screen_builder *b,
    const struct screen_party_in *in)
{
	struct screen_index	*ix = b->ix;
	struct screen_party	*p;
	const char		*list = in->list, *source = in->source;
	char			 code[32], *cs = NULL, *tmp, *eid;
	size_t			 i, k;

	if (in->name == NULL || *in->name == '\0')
		return;
	if (source != NULL && *source == '\0')
		source = NULL;
	if (list == NULL || *list == '\0') {
		screen_list_code(source, code, sizeof code);
		list = code;
	}
	if (ix->nparties == b->parties_cap) {
		b->parties_cap = b->parties_cap * 2 + 1024;
		ix->parties = xreallocarray(ix->parties, b->parties_cap,
		    sizeof *ix->parties);
		b->pid = xreallocarray(b->pid, b->parties_cap, sizeof *b->pid);
		b->pname0 = xreallocarray(b->pname0, b->parties_cap,
		    sizeof *b->pname0);
		b->pnames = xreallocarray(b->pnames, b->parties_cap,
		    sizeof *b->pnames);
	}
	p = &ix->parties[ix->nparties];
	memset(p, 0, sizeof *p);
	p->name = screen_arena_strdup(&ix->arena, in->name);
	p->list = screen_intern(ix, list);
	if (p->list == NULL)
		p->list = "";
	p->source = screen_intern(ix, source != NULL ? source : list);
	if (p->source == NULL)
		p->source = "";
	p->license_requirement = screen_intern(ix, in->license_requirement);
	p->license_policy = screen_intern(ix, in->license_policy);
	p->federal_register_notice = screen_intern(ix,
	    in->federal_register_notice);
	p->type = screen_intern(ix, in->type);
	p->export_list = screen_export_list(p->list);
	p->list_version = in->list_version;
	if (in->ncountries > 0) {
		p->countries = (char (*)[3])screen_arena_alloc(&ix->arena,
		    in->ncountries * 3);
		for (i = 0; i < in->ncountries; i++) {
			if (in->countries[i] == NULL ||
			    strlen(in->countries[i]) != 2)
				continue;
			memcpy(p->countries[p->ncountries++], in->countries[i],
			    3);
			if (in->entry_id != NULL && *in->entry_id != '\0')
				continue;
			tmp = cs;
			xasprintf(&cs, "%s%s%s", tmp != NULL ? tmp : "",
			    tmp != NULL ? "," : "", in->countries[i]);
			free(tmp);
		}
	}
	if (in->entry_id != NULL && *in->entry_id != '\0')
		p->entry_id = screen_arena_strdup(&ix->arena, in->entry_id);
	else {
		eid = screen_entry_id(p->list, in->entity_number, in->name,
		    cs);
		p->entry_id = screen_arena_strdup(&ix->arena, eid);
		free(eid);
	}
	free(cs);
	p->content_hash = screen_arena_nz(ix, in->content_hash);

	k = ix->nparties++;
	b->pid[k] = in->id != 0 ? in->id : (int64_t)k + 1;
	if (k > 0 && b->pid[k] <= b->pid[k - 1])
		b->unsorted = true;
	b->pname0[k] = (uint32_t)ix->nnames;
	screen_index_add_name(b, (uint32_t)k, p->name, false);
	for (i = 0; i < in->nalt_names; i++) {
		if (in->alt_names[i] != NULL && *in->alt_names[i] != '\0')
			screen_index_add_name(b, (uint32_t)k, in->alt_names[i],
			    true);
	}
	b->pnames[k] = (uint32_t)ix->nnames - b->pname0[k];
}

/* Order of two parties by key (then as added), for screen_index_sort. */
static int
screen_cmp_party(const void *a, const void *b, void *arg)
{
	const int64_t	*key = arg;
	uint32_t	 x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	if (key[x] != key[y])
		return (key[x] < key[y] ? -1 : 1);
	return (x < y ? -1 : x > y);
}

/*
 * Put parties that came out of key order (rows of a table scan) in order,
 * with their names and tokens, so ties between names go the same way
 * whatever order the rows came in.
 */
static void
screen_index_sort(struct screen_builder *b)
{
	struct screen_index	*ix = b->ix;
	uint32_t		*perm, p, j, n0, end;
	struct screen_party	*parties;
	struct screen_name	*names;
	uint32_t		*toks;
	size_t			 i, nn = 0, nt = 0;

	perm = xreallocarray(NULL, ix->nparties + 1, sizeof *perm);
	for (i = 0; i < ix->nparties; i++)
		perm[i] = (uint32_t)i;
	qsort_r(perm, ix->nparties, sizeof *perm, screen_cmp_party, b->pid);
	parties = xreallocarray(NULL, ix->nparties + 1, sizeof *parties);
	names = xreallocarray(NULL, ix->nnames + 1, sizeof *names);
	toks = xreallocarray(NULL, ix->ntoks + 1, sizeof *toks);
	for (i = 0; i < ix->nparties; i++) {
		p = perm[i];
		parties[i] = ix->parties[p];
		n0 = b->pname0[p];
		for (j = n0; j < n0 + b->pnames[p]; j++) {
			/* A name's tokens run to the next name's (its
			 * acronym keys follow its tokens). */
			end = j + 1 < ix->nnames ? ix->names[j + 1].tok_off :
			    (uint32_t)ix->ntoks;
			names[nn] = ix->names[j];
			names[nn].party = (uint32_t)i;
			names[nn].tok_off = (uint32_t)nt;
			memcpy(toks + nt, ix->toks + ix->names[j].tok_off,
			    (end - ix->names[j].tok_off) * sizeof *toks);
			nt += end - ix->names[j].tok_off;
			nn++;
		}
	}
	free(perm);
	free(ix->parties);
	free(ix->names);
	free(ix->toks);
	ix->parties = parties;
	ix->names = names;
	ix->toks = toks;
}

/* Abandon a builder and what it built. */
void
screen_builder_free(struct screen_builder *b)
{
	size_t	i;

	if (b == NULL)
		return;
	for (i = 0; i < b->nversions; i++) {
		free(b->versions[i].kind);
		free(b->versions[i].sha256);
		free(b->versions[i].data_date);
		free(b->versions[i].imported_at);
	}
	free(b->versions);
	free(b->vflags);
	free(b->pid);
	free(b->pname0);
	free(b->pnames);
	screen_tokens_free(&b->st);
	if (b->ix != NULL)
		screen_index_unref(b->ix);
	free(b);
}

/* A string member of a JSON object, or NULL when missing or not a string. */
static const char *
screen_json_str(const json_t *o, const char *k)
{
	const char	*s = json_string_value(json_object_get(o, k));

	return (s != NULL && *s != '\0' ? s : NULL);
}

/* Feed one party of either document shape to the builder. */
static void
screen_party_read(struct screen_builder *b, const json_t *e)
{
	struct screen_party_in	 in;
	const json_t		*a, *v;
	const char		**alts = NULL, **ccs = NULL;
	size_t			 i;

	if (!json_is_object(e))
		return;
	memset(&in, 0, sizeof in);
	in.name = screen_json_str(e, "name");
	in.list = screen_json_str(e, "list");
	in.source = screen_json_str(e, "source");
	in.entry_id = screen_json_str(e, "entry_id");
	in.entity_number = screen_json_str(e, "entity_number");
	in.content_hash = screen_json_str(e, "content_hash");
	in.license_requirement = screen_json_str(e, "license_requirement");
	in.license_policy = screen_json_str(e, "license_policy");
	in.federal_register_notice = screen_json_str(e,
	    "federal_register_notice");
	in.type = screen_json_str(e, "type");
	in.list_version = json_integer_value(json_object_get(e,
	    "list_version"));
	a = json_object_get(e, "alt_names");
	if (json_is_array(a) && json_array_size(a) > 0) {
		alts = xcalloc(json_array_size(a), sizeof *alts);
		json_array_foreach(a, i, v)
			alts[in.nalt_names++] = json_string_value(v);
	}
	/* Countries: "countries": ["CN"] or "addresses": [{"country": "CN"}]. */
	a = json_object_get(e, "countries");
	if (!json_is_array(a))
		a = json_object_get(e, "addresses");
	if (json_is_array(a) && json_array_size(a) > 0) {
		ccs = xcalloc(json_array_size(a), sizeof *ccs);
		json_array_foreach(a, i, v)
			ccs[in.ncountries++] = json_is_object(v) ?
			    screen_json_str(v, "country") :
			    json_string_value(v);
	}
	in.alt_names = alts;
	in.countries = ccs;
	screen_builder_add_party(b, &in);
	free(alts);
	free(ccs);
}

/* The label of a list version: "csl 3 (sha256 1a2b3c4d, 2026-07-31)". */
static char *
screen_version_label(const struct screen_version_in *v)
{
	char	*s;

	xasprintf(&s, "%s %lld (sha256 %.8s, %s)",
	    v->kind != NULL ? v->kind : "list", (long long)v->id,
	    v->sha256 != NULL ? v->sha256 : "?",
	    v->data_date != NULL ? v->data_date :
	    (v->imported_at != NULL ? v->imported_at : "undated"));
	return (s);
}

/* Build the list -> version map and the index version string. */
static void
screen_index_label(struct screen_index *ix, const struct screen_builder *b)
{
	struct sbuf	 sb = { NULL, 0, 0 };
	size_t		 i, j;
	char		*label, *old;
	const char	*code;
	json_t		*cur;

	ix->lists = json_object();
	sbuf_add(&sb, "", 0);
	for (i = 0; i < b->nversions; i++) {
		label = screen_version_label(&b->versions[i]);
		if (sb.len > 0)
			sbuf_add(&sb, ", ", 2);
		sbuf_add(&sb, label, strlen(label));
		for (j = 0; j < ix->nparties; j++) {
			if (ix->parties[j].list_version != b->versions[i].id)
				continue;
			code = ix->parties[j].list;
			cur = json_object_get(ix->lists, code);
			if (cur == NULL)
				json_object_set_new(ix->lists, code,
				    json_string(label));
			else if (strstr(json_string_value(cur), label) == NULL) {
				xasprintf(&old, "%s; %s",
				    json_string_value(cur), label);
				json_object_set_new(ix->lists, code,
				    json_string(old));
				free(old);
			}
		}
		free(label);
	}
	if (sb.len == 0) {
		/* A bare CSL file: no version rows, say what it was. */
		sbuf_add(&sb, "unversioned", 11);
		for (j = 0; j < ix->nparties; j++)
			if (json_object_get(ix->lists, ix->parties[j].list) ==
			    NULL)
				json_object_set_new(ix->lists,
				    ix->parties[j].list,
				    json_string("unversioned"));
	}
	ix->version = sb.s;
}

/* Build the index from a parties document or a trade.gov CSL file. */
struct screen_index *
screen_index_build(const json_t *doc, char **cause)
{
	struct screen_builder	*b;
	const json_t		*arr, *e, *v;
	size_t			 i;

	if (json_is_array(doc))
		arr = doc;
	else if (json_is_array(json_object_get(doc, "parties")))
		arr = json_object_get(doc, "parties");
	else if (json_is_array(json_object_get(doc, "results")))
		arr = json_object_get(doc, "results");
	else {
		if (cause != NULL)
			*cause = xstrdup("parties document has no \"parties\" "
			    "or \"results\" array");
		return (NULL);
	}
	b = screen_builder_new();
	json_array_foreach(json_object_get(doc, "versions"), i, v)
		screen_builder_add_version(b,
		    json_integer_value(json_object_get(v, "id")),
		    screen_json_str(v, "kind"), screen_json_str(v, "sha256"),
		    screen_json_str(v, "data_date"),
		    screen_json_str(v, "imported_at"));
	json_array_foreach(arr, i, e)
		screen_party_read(b, e);
	return (screen_builder_finish(b));
}

/* Finish the index: postings, weights, the trigram index, the labels. The
 * builder is consumed. */
struct screen_index *
screen_builder_finish(struct screen_builder *b)
{
	struct screen_index	*ix = b->ix;
	size_t			 i, j, k, n, ntri = 0, tri_cap = 0;
	uint32_t		*cnt, *fill, *seen, v, *slot;
	const struct screen_name *sn;
	char			 padded[80], tri[4];
	bool			 added;
	double			 N, idf;

	if (b->unsorted)
		screen_index_sort(b);

	/* Document frequencies and postings (CSR), one posting per name. */
	n = ix->nvocab;
	ix->vdf = xcalloc(n + 1, sizeof *ix->vdf);
	ix->vweight = xcalloc(n + 1, sizeof *ix->vweight);
	ix->vstop = xcalloc(n + 1, sizeof *ix->vstop);
	ix->post_off = xcalloc(n + 1, sizeof *ix->post_off);
	seen = xcalloc(n + 1, sizeof *seen);
	for (i = 0; i < n; i++)
		seen[i] = UINT32_MAX;
	for (i = 0; i < ix->nnames; i++) {
		sn = &ix->names[i];
		/* Acronym keys follow the tokens up to the next name. */
		j = i + 1 < ix->nnames ? ix->names[i + 1].tok_off : ix->ntoks;
		for (k = sn->tok_off; k < j; k++) {
			v = ix->toks[k];
			if (seen[v] == i)
				continue;
			seen[v] = (uint32_t)i;
			ix->vdf[v]++;
		}
	}
	cnt = xcalloc(n + 1, sizeof *cnt);
	for (i = 0; i < n; i++)
		ix->post_off[i + 1] = ix->post_off[i] + ix->vdf[i];
	ix->post = xcalloc(ix->post_off[n] + 1, sizeof *ix->post);
	for (i = 0; i < n; i++)
		seen[i] = UINT32_MAX;
	for (i = 0; i < ix->nnames; i++) {
		sn = &ix->names[i];
		j = i + 1 < ix->nnames ? ix->names[i + 1].tok_off : ix->ntoks;
		for (k = sn->tok_off; k < j; k++) {
			v = ix->toks[k];
			if (seen[v] == i)
				continue;
			seen[v] = (uint32_t)i;
			ix->post[ix->post_off[v] + cnt[v]++] = (uint32_t)i;
		}
	}
	free(cnt);
	free(seen);

	/* Weights: squared IDF; form words and particles weigh nothing. */
	N = (double)ix->nnames + 1.0;
	for (i = 0; i < n; i++) {
		ix->vstop[i] = (b->vflags[i] & SCREEN_VSTOP) != 0;
		if (ix->vstr[i][0] == '#' || (b->vflags[i] & SCREEN_VFORM) ||
		    ix->vstop[i])
			continue;
		idf = log(N / (ix->vdf[i] + 0.5));
		ix->vweight[i] = idf > 0 ? idf * idf : 0;
		if (screen_in_table(screen_generic_words,
		    nitems(screen_generic_words), ix->vstr[i]))
			ix->vweight[i] *= SCREEN_GENERIC_FACTOR;
	}
	for (i = 0; i < ix->nnames; i++) {
		sn = &ix->names[i];
		for (k = sn->tok_off; k < sn->tok_off + sn->ntok; k++)
			ix->names[i].wsum += ix->vweight[ix->toks[k]];
	}
	idf = log(N / 0.5);
	ix->unknown_weight = idf * idf;
	/* A match on less than this much weight is damped: about what two
	 * words each in one name of 150 weigh in the whole CSL; it scales
	 * with the size of the lists. */
	ix->info_floor = 0.3 * ix->unknown_weight;

	/* Trigram index over the vocabulary, for tokens no list has. */
	smap_init(&ix->trigrams, 16384);
	cnt = NULL;
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1) {
			ix->tri_off = xcalloc(ntri + 1, sizeof *ix->tri_off);
			for (i = 0; i < ntri; i++)
				ix->tri_off[i + 1] = ix->tri_off[i] + cnt[i];
			ix->tri_post = xcalloc(ix->tri_off[ntri] + 1,
			    sizeof *ix->tri_post);
			fill = xcalloc(ntri + 1, sizeof *fill);
		} else
			fill = NULL;
		for (i = 0; i < n; i++) {
			if (ix->vweight[i] == 0 || strlen(ix->vstr[i]) > 60)
				continue;
			snprintf(padded, sizeof padded, "^%s$", ix->vstr[i]);
			for (k = 0; padded[k + 2] != '\0'; k++) {
				screen_trigram(padded + k, tri);
				if (pass == 1) {
					slot = smap_get(&ix->trigrams, tri);
					ix->tri_post[ix->tri_off[*slot] +
					    fill[*slot]++] = (uint32_t)i;
					continue;
				}
				if ((slot = smap_get(&ix->trigrams, tri)) ==
				    NULL) {
					if (ntri == tri_cap) {
						tri_cap = tri_cap * 2 + 1024;
						cnt = xreallocarray(cnt,
						    tri_cap, sizeof *cnt);
					}
					cnt[ntri] = 0;
					slot = smap_put(&ix->trigrams,
					    screen_arena_strdup(&ix->arena,
					    tri), (uint32_t)ntri, &added);
					ntri++;
				}
				cnt[*slot]++;
			}
		}
		free(fill);
	}
	free(cnt);

	ix->fz = xcalloc(n + 1, sizeof *ix->fz);

	/* What the index holds is final: give back the growth slack. */
	ix->parties = xreallocarray(ix->parties, ix->nparties + 1,
	    sizeof *ix->parties);
	ix->names = xreallocarray(ix->names, ix->nnames + 1,
	    sizeof *ix->names);
	ix->toks = xreallocarray(ix->toks, ix->ntoks + 1, sizeof *ix->toks);
	ix->vstr = xreallocarray(ix->vstr, ix->nvocab + 1, sizeof *ix->vstr);
	smap_free(&ix->strings);
	memset(&ix->strings, 0, sizeof ix->strings);

	screen_index_label(ix, b);
	b->ix = NULL;
	screen_builder_free(b);
	return (ix);
}

void
screen_index_ref(struct screen_index *ix)
{
	__atomic_add_fetch(&ix->refs, 1, __ATOMIC_RELAXED);
}

/* Drop a reference; the last one frees the index. */
void
screen_index_unref(struct screen_index *ix)
{
	size_t	i;

	if (ix == NULL || __atomic_sub_fetch(&ix->refs, 1,
	    __ATOMIC_ACQ_REL) != 0)
		return;
	screen_arena_free(&ix->arena);
	smap_free(&ix->strings);
	for (i = 0; ix->fz != NULL && i < ix->nvocab; i++)
		free(ix->fz[i]);
	free(ix->fz);
	free(ix->parties);
	free(ix->names);
	free(ix->toks);
	free(ix->vstr);
	free(ix->vweight);
	free(ix->vstop);
	free(ix->vdf);
	free(ix->post_off);
	free(ix->post);
	smap_free(&ix->trigrams);
	smap_free(&ix->vocab);
	free(ix->tri_off);
	free(ix->tri_post);
	free(ix->version);
	json_decref(ix->lists);
	free(ix);
}

size_t
screen_index_parties(const struct screen_index *ix)
{
	return (ix->nparties);
}

size_t
screen_index_names(const struct screen_index *ix)
{
	return (ix->nnames);
}

const char *
screen_index_version(const struct screen_index *ix)
{
	return (ix->version);
}

/* Each list's code and the version it came from: {"EL": "csl 3 (...)"}. */
json_t *
screen_index_lists(const struct screen_index *ix)
{
	return (json_deep_copy(ix->lists));
}

/* The weight of a (raw) word in this index: 0 for form words. */
double
screen_index_weight(const struct screen_index *ix, const char *word)
{
	struct screen_tokens	 st;
	uint32_t		*v;
	double			 w;

	screen_tokens_init(&st);
	screen_tokens_make(word, &st);
	if (st.n == 0)
		w = 0;
	else if (screen_is_form_word(st.v[0]) || screen_is_stop_word(st.v[0]))
		w = 0;
	else if ((v = smap_get(&ix->vocab, st.v[0])) != NULL)
		w = ix->vweight[*v];
	else
		w = ix->unknown_weight;
	screen_tokens_free(&st);
	return (w);
}

/* A query token with the known tokens it may stand for. */
struct screen_qtok {
	const char	*text;
	double		 weight;
	bool		 ignored;	/* form word or particle */
	size_t		 nvar;
	uint32_t	 var[SCREEN_MAX_VARIANTS];
	double		 sim[SCREEN_MAX_VARIANTS];
	int32_t		 acronym;	/* vocab id of "#text", or -1 */
	bool		 acronym_ok;	/* may be an acronym */
};

/*
 * Per-thread scratch for candidate generation: a dense array over name ids
 * (zero between queries) and the ids touched, so a query allocates nothing
 * in proportion to the lists. Kept for the thread's life.
 */
struct screen_scratch {
	float		*val;
	uint32_t	*touched;
	size_t		 ntouched;
	size_t		 cap;
	struct screen_short *sh;	/* the shortlist */
	size_t		 shcap;
	struct screen_score *sc;	/* its scores, SCREEN_SHORTLIST */
};
static __thread struct screen_scratch screen_tls;

/* This thread's scratch, large enough for n names and all zero. */
static struct screen_scratch *
screen_scratch_get(size_t n)
{
	struct screen_scratch	*s = &screen_tls;

	if (s->cap < n) {
		free(s->val);
		free(s->touched);
		s->val = xcalloc(n, sizeof *s->val);
		s->touched = xcalloc(n, sizeof *s->touched);
		s->cap = n;
	}
	s->ntouched = 0;
	return (s);
}

static inline void
screen_scratch_add(struct screen_scratch *s, uint32_t k, double v)
{
	if (s->val[k] == 0)
		s->touched[s->ntouched++] = k;
	s->val[k] += (float)v;
	if (s->val[k] == 0)	/* never leave a touched entry at zero */
		s->val[k] = 1e-9f;
}

/* The similarity a fuzzy pair counts for: Jaro-Winkler stretched, so a
 * near miss weighs clearly less than the word itself. */
static double
screen_fuzzy_sim(const char *a, const char *b)
{
	size_t	la = strlen(a), lb = strlen(b), lo, hi, p;
	double	jw, need, jmax;

	lo = la < lb ? la : lb;
	hi = la < lb ? lb : la;
	/* Short words: one letter off is already another word. */
	need = lo <= 5 ? 0.93 : SCREEN_FUZZY_MIN;
	/* Jaro is at most (2 + lo/hi) / 3 and Winkler adds p / 10 of what is
	 * left for a common prefix of p: skip pairs that cannot get there. */
	if (lo > 0 && hi <= 64) {
		for (p = 0; p < 4 && p < lo && a[p] == b[p]; p++)
			;
		jmax = (2.0 + (double)lo / hi) / 3.0;
		if (jmax + p * 0.1 * (1.0 - jmax) < need - 1e-9)
			return (0);
	}
	jw = screen_jaro_winkler(a, b);
	if (jw < need)
		return (0);
	return (1.0 - 2.5 * (1.0 - jw));
}

/* Whether an unknown token is a misspelt form word ("limied"). */
static bool
screen_fuzzy_form_word(const char *t)
{
	size_t	i, lt = strlen(t), lw;

	if (lt < 5)
		return (false);
	for (i = 0; i < nitems(screen_form_words); i++) {
		lw = strlen(screen_form_words[i]);
		if (lw < 5)
			continue;
		/* Jaro-Winkler is at most 0.4 + 0.6 (2 + short/long) / 3:
		 * under 0.92 when the shorter is under 0.6 of the longer. */
		if (lt <= 64 && lw <= 64 &&
		    10 * (lt < lw ? lt : lw) < 6 * (lt < lw ? lw : lt))
			continue;
		if (screen_jaro_winkler(t, screen_form_words[i]) >= 0.92)
			return (true);
	}
	return (false);
}

/*
 * Per-thread scratch for the trigram search: a count per vocabulary id
 * (zero between queries) and the ids touched. Kept for the thread's life.
 */
struct screen_tricount {
	uint16_t	*cnt;
	uint32_t	*touched;
	size_t		 ntouched;
	size_t		 cap;
};
static __thread struct screen_tricount screen_tri_tls;

/* Find known tokens close to an unknown one through the trigram index. */
static void
screen_fuzzy(const struct screen_index *ix, struct screen_qtok *q)
{
	struct screen_tricount	*tc = &screen_tri_tls;
	char			 padded[80], tri[4];
	uint32_t		*slot, v;
	size_t			 k, i, j, ntri = 0, worst;
	double			 s, need;

	if (strlen(q->text) < 4 || strlen(q->text) > 60)
		return;
	if (tc->cap < ix->nvocab) {
		free(tc->cnt);
		free(tc->touched);
		tc->cap = ix->nvocab;
		tc->cnt = xcalloc(tc->cap, sizeof *tc->cnt);
		tc->touched = xcalloc(tc->cap, sizeof *tc->touched);
	}
	tc->ntouched = 0;
	snprintf(padded, sizeof padded, "^%s$", q->text);
	for (k = 0; padded[k + 2] != '\0'; k++) {
		screen_trigram(padded + k, tri);
		ntri++;
		if ((slot = smap_get(&ix->trigrams, tri)) == NULL)
			continue;
		for (i = ix->tri_off[*slot]; i < ix->tri_off[*slot + 1]; i++) {
			v = ix->tri_post[i];
			if (tc->cnt[v] == 0)
				tc->touched[tc->ntouched++] = v;
			if (tc->cnt[v] < UINT16_MAX)
				tc->cnt[v]++;
		}
	}
	/* One edit changes at most three trigrams. */
	need = ntri > 4 ? ntri - 4 : 1;
	for (i = 0; i < tc->ntouched; i++) {
		v = tc->touched[i];
		if (tc->cnt[v] < need) {
			tc->cnt[v] = 0;
			continue;
		}
		tc->cnt[v] = 0;
		if (q->nvar > 0 && q->var[0] == v)
			continue;	/* the word itself */
		if ((s = screen_fuzzy_sim(q->text, ix->vstr[v])) == 0)
			continue;
		if (q->nvar < SCREEN_MAX_VARIANTS) {
			q->var[q->nvar] = v;
			q->sim[q->nvar++] = s;
			continue;
		}
		/* Keep the closest ones: replace the farthest (not the word
		 * itself), ties to the lower id, so the order of the search
		 * does not matter. */
		worst = SIZE_MAX;
		for (j = q->sim[0] == 1.0 ? 1 : 0; j < q->nvar; j++) {
			if (worst == SIZE_MAX || q->sim[j] < q->sim[worst] ||
			    (q->sim[j] == q->sim[worst] &&
			    q->var[j] > q->var[worst]))
				worst = j;
		}
		if (worst != SIZE_MAX && (s > q->sim[worst] ||
		    (s == q->sim[worst] && v < q->var[worst]))) {
			q->var[worst] = v;
			q->sim[worst] = s;
		}
	}
	tc->ntouched = 0;
}

/* The fuzzy variants of a rare known token (after the token itself). */
struct screen_fz {
	size_t		 n;
	uint32_t	 var[SCREEN_MAX_VARIANTS];
	double		 sim[SCREEN_MAX_VARIANTS];
};

/* Add the variants of known token v to q (whose var[0] is v): from the
 * index's cache, or searched once and cached. */
static void
screen_fuzzy_known(const struct screen_index *ix, uint32_t v,
    struct screen_qtok *q)
{
	struct screen_fz	*fz, *expect = NULL;

	fz = __atomic_load_n(&ix->fz[v], __ATOMIC_ACQUIRE);
	if (fz == NULL) {
		screen_fuzzy(ix, q);
		fz = xmalloc(sizeof *fz);
		fz->n = q->nvar;
		memcpy(fz->var, q->var, sizeof fz->var);
		memcpy(fz->sim, q->sim, sizeof fz->sim);
		if (!__atomic_compare_exchange_n(&ix->fz[v], &expect, fz,
		    false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			free(fz);	/* another thread cached the same */
		return;
	}
	q->nvar = fz->n;
	memcpy(q->var, fz->var, sizeof q->var);
	memcpy(q->sim, fz->sim, sizeof q->sim);
}

/*
 * Per-thread memory of the tokens no list has, for the names screened
 * again and again: direct-mapped by the token's hash, each entry tied to
 * the index it was found in (its serial, never reused).
 */
#define SCREEN_UCACHE_SLOTS	1024
struct screen_ucache {
	uint64_t	 serial;	/* 0: empty */
	char		 text[61];
	bool		 form;		/* a misspelt form word */
	size_t		 nvar;
	uint32_t	 var[SCREEN_MAX_VARIANTS];
	double		 sim[SCREEN_MAX_VARIANTS];
};
static __thread struct screen_ucache *screen_ucache;

/* An unknown token: true when it is a misspelt form word, else its fuzzy
 * variants in q (searched, or remembered from an earlier query). */
static bool
screen_fuzzy_unknown(const struct screen_index *ix, struct screen_qtok *q)
{
	struct screen_ucache	*e;
	size_t			 len = strlen(q->text);

	if (len >= sizeof e->text) {
		if (screen_fuzzy_form_word(q->text))
			return (true);
		screen_fuzzy(ix, q);
		return (false);
	}
	if (screen_ucache == NULL)
		screen_ucache = xcalloc(SCREEN_UCACHE_SLOTS,
		    sizeof *screen_ucache);
	e = &screen_ucache[screen_hash(q->text) % SCREEN_UCACHE_SLOTS];
	if (e->serial == ix->serial && strcmp(e->text, q->text) == 0) {
		q->nvar = e->nvar;
		memcpy(q->var, e->var, sizeof q->var);
		memcpy(q->sim, e->sim, sizeof q->sim);
		return (e->form);
	}
	e->form = screen_fuzzy_form_word(q->text);
	if (!e->form)
		screen_fuzzy(ix, q);
	e->serial = ix->serial;
	memcpy(e->text, q->text, len + 1);
	e->nvar = q->nvar;
	memcpy(e->var, q->var, sizeof e->var);
	memcpy(e->sim, q->sim, sizeof e->sim);
	return (e->form);
}

/* Prepare the query's tokens: weights, known variants, acronym keys. */
static size_t
screen_query_tokens(const struct screen_index *ix, struct screen_tokens *st,
    struct screen_qtok *q)
{
	size_t		 i, j;
	uint32_t	*v;
	char		 key[20];
	double		 best;

	for (i = 0; i < st->n; i++) {
		memset(&q[i], 0, sizeof q[i]);
		q[i].text = st->v[i];
		q[i].acronym = -1;
		if (screen_is_form_word(st->v[i]) ||
		    screen_is_stop_word(st->v[i])) {
			q[i].ignored = true;
			continue;
		}
		if ((v = smap_get(&ix->vocab, st->v[i])) != NULL) {
			q[i].var[0] = *v;
			q[i].sim[0] = 1.0;
			q[i].nvar = 1;
			q[i].weight = ix->vweight[*v];
			/* A word only a name or two has may be their typo. */
			if (ix->vdf[*v] <= 3)
				screen_fuzzy_known(ix, *v, &q[i]);
		} else if (screen_fuzzy_unknown(ix, &q[i])) {
			q[i].ignored = true;	/* a misspelt form word */
			continue;
		} else {
			/* A typo of a known word weighs what that word does. */
			q[i].weight = ix->unknown_weight;
			best = 0;
			for (j = 0; j < q[i].nvar; j++) {
				if (q[i].sim[j] > best) {
					best = q[i].sim[j];
					q[i].weight = ix->vweight[q[i].var[j]];
				}
			}
		}
		if (screen_acronym_ok(st->v[i])) {
			q[i].acronym_ok = true;
			snprintf(key, sizeof key, "#%s", st->v[i]);
			if ((v = smap_get(&ix->vocab, key)) != NULL)
				q[i].acronym = (int32_t)*v;
		}
	}
	return (st->n);
}

/* The result of scoring one name against the query. */
struct screen_score {
	uint32_t	 name;
	double		 base;		/* alignment score */
	double		 score;		/* after information and country */
	double		 matched_weight;
	int		 country;	/* 1 match, -1 mismatch, 0 unknown */
	int		 acronym_q;	/* query token used as acronym, or -1 */
	int8_t		 align[SCREEN_MAX_TOKENS];	/* query -> entry pos */
	double		 asim[SCREEN_MAX_TOKENS];
	uint64_t	 acr_mask;	/* entry positions the acronym covers */
};

/* Similarity of query token q to known token v. */
static double
screen_sim(const struct screen_qtok *q, uint32_t v)
{
	size_t	i;

	for (i = 0; i < q->nvar; i++)
		if (q->var[i] == v)
			return (q->sim[i]);
	return (0);
}

/* Score a name against the query by weighted token alignment. */
static void
screen_score_name(const struct screen_index *ix, const struct screen_qtok *q,
    size_t nq, uint32_t name, const char *country, struct screen_score *sc)
{
	const struct screen_name	*sn = &ix->names[name];
	const struct screen_party	*p = &ix->parties[sn->party];
	const uint32_t			*et = ix->toks + sn->tok_off;
	size_t				 ne = screen_name_real(ix, sn), i, j;
	size_t				 bi, bj, k, na;
	double				 wq = 0, we = 0, num = 0, s, best, w;
	bool				 eused[SCREEN_MAX_TOKENS] = { 0 };
	char				 acr[SCREEN_MAX_TOKENS + 1];
	char				 acr2[SCREEN_MAX_TOKENS + 1];
	uint64_t			 m1, m2;
	size_t				 na2;

	memset(sc, 0, sizeof *sc);
	sc->name = name;
	sc->acronym_q = -1;
	if (ne > SCREEN_MAX_TOKENS)
		ne = SCREEN_MAX_TOKENS;
	for (i = 0; i < nq; i++) {
		sc->align[i] = -1;
		if (!q[i].ignored)
			wq += q[i].weight;
	}
	for (j = 0; j < ne; j++)
		we += ix->vweight[et[j]];

	/* Greedy alignment: the heaviest similar pair first. */
	for (;;) {
		best = 0;
		bi = bj = SIZE_MAX;
		for (i = 0; i < nq; i++) {
			if (q[i].ignored || sc->align[i] != -1)
				continue;
			for (j = 0; j < ne; j++) {
				if (eused[j] || ix->vweight[et[j]] == 0)
					continue;
				s = screen_sim(&q[i], et[j]);
				if (s == 0)
					continue;
				s *= q[i].weight + ix->vweight[et[j]];
				if (s > best) {
					best = s;
					bi = i;
					bj = j;
				}
			}
		}
		if (bi == SIZE_MAX)
			break;
		sc->align[bi] = (int8_t)bj;
		sc->asim[bi] = screen_sim(&q[bi], et[bj]);
		eused[bj] = true;
		num += sc->asim[bi] * (q[bi].weight + ix->vweight[et[bj]]);
		sc->matched_weight += sc->asim[bi] * q[bi].weight;
	}

	/* An unaligned query token may be the acronym of the rest (SMIC). */
	for (i = 0; i < nq; i++) {
		if (q[i].ignored || sc->align[i] != -1 ||
		    !q[i].acronym_ok)
			continue;
		na = na2 = 0;
		m1 = m2 = 0;
		for (j = 0; j < ne; j++) {
			if (eused[j] || ix->vstop[et[j]])
				continue;
			acr[na++] = ix->vstr[et[j]][0];
			m1 |= 1ULL << j;
			if (ix->vweight[et[j]] > 0) {
				acr2[na2++] = ix->vstr[et[j]][0];
				m2 |= 1ULL << j;
			}
		}
		acr[na] = acr2[na2] = '\0';
		if (na2 >= 2 && strcmp(acr2, q[i].text) == 0)
			sc->acr_mask = m2;
		else if (na >= 2 && strcmp(acr, q[i].text) == 0)
			sc->acr_mask = m1;
		else
			continue;
		w = 0;
		for (k = 0; k < ne; k++) {
			if (sc->acr_mask & (1ULL << k)) {
				w += ix->vweight[et[k]];
				eused[k] = true;
			}
		}
		/* The acronym stands for the words: it weighs what they do. */
		wq += w - q[i].weight;
		num += SCREEN_ACRONYM_SIM * 2 * w;
		sc->matched_weight += SCREEN_ACRONYM_SIM * w;
		sc->acronym_q = (int)i;
		sc->asim[i] = SCREEN_ACRONYM_SIM;
		break;
	}

	sc->base = wq + we > 0 ? num / (wq + we) : 0;
	sc->score = sc->base;
	/* Generic words alone ("Energy Holdings") say little: damp them. */
	if (sc->matched_weight < ix->info_floor)
		sc->score *= sqrt(sc->matched_weight / ix->info_floor);
	if (country != NULL && *country != '\0' && p->ncountries > 0) {
		sc->country = -1;
		for (k = 0; k < p->ncountries; k++)
			if (strcasecmp(p->countries[k], country) == 0)
				sc->country = 1;
		if (sc->country == 1)
			sc->score += SCREEN_COUNTRY_BONUS;
		else
			sc->score *= SCREEN_COUNTRY_MALUS;
	}
	if (sc->score > 1)
		sc->score = 1;
	if (sc->score < 0)
		sc->score = 0;
}

/* Order scores best first; ties by name id, so results are stable. */
static int
screen_cmp_score(const void *a, const void *b)
{
	const struct screen_score *x = a, *y = b;

	if (x->score != y->score)
		return (x->score < y->score ? 1 : -1);
	return (x->name < y->name ? -1 : x->name > y->name);
}

/* A shortlist entry of candidate generation. */
struct screen_short {
	uint32_t	name;
	double		bound;
};

static int
screen_cmp_short(const void *a, const void *b)
{
	const struct screen_short *x = a, *y = b;

	if (x->bound != y->bound)
		return (x->bound < y->bound ? 1 : -1);
	return (x->name < y->name ? -1 : x->name > y->name);
}

/* Screen a name: candidates scored, best per party first, in *out (the
 * caller frees). Returns how many. */
static size_t
screen_run(const struct screen_index *ix, const char *name,
    const char *country, const struct screen_opts *o,
    struct screen_tokens *st, struct screen_qtok *q, size_t *nqp,
    struct screen_score **out)
{
	struct screen_scratch	*acc;
	struct screen_short	*sh;
	struct screen_score	*sc, *best;
	size_t			 nq, i, j, k, nsh = 0, nsc = 0, nbest = 0;
	uint32_t		 v, *partybest;
	double			 min = o->min_score, wq = 0, est;

	screen_tokens_make(name, st);
	nq = screen_query_tokens(ix, st, q);
	*nqp = nq;
	*out = NULL;
	for (i = 0; i < nq; i++)
		if (!q[i].ignored)
			wq += q[i].weight;
	acc = screen_scratch_get(ix->nnames);
	for (i = 0; i < nq; i++) {
		if (q[i].ignored)
			continue;
		for (j = 0; j < q[i].nvar; j++) {
			v = q[i].var[j];
			for (k = ix->post_off[v]; k < ix->post_off[v + 1]; k++)
				screen_scratch_add(acc, ix->post[k],
				    q[i].sim[j] * q[i].weight);
		}
		if (q[i].acronym >= 0) {
			v = (uint32_t)q[i].acronym;
			for (k = ix->post_off[v]; k < ix->post_off[v + 1]; k++)
				screen_scratch_add(acc, ix->post[k],
				    q[i].weight);
		}
	}
	if (acc->ntouched == 0)
		return (0);
	if (acc->shcap < acc->ntouched) {
		free(acc->sh);
		acc->shcap = acc->ntouched * 2;
		acc->sh = xreallocarray(NULL, acc->shcap, sizeof *acc->sh);
	}
	sh = acc->sh;
	for (i = 0; i < acc->ntouched; i++) {
		v = acc->touched[i];
		/* The score if the entry's matched words weighed the query's;
		 * far below what would be listed, it is not worth scoring. */
		est = 2 * acc->val[v] / (wq + ix->names[v].wsum + 1e-9);
		acc->val[v] = 0;
		if (est < min * 0.5)
			continue;
		sh[nsh].name = v;
		sh[nsh++].bound = est;
	}
	acc->ntouched = 0;
	if (nsh == 0)
		return (0);
	qsort(sh, nsh, sizeof *sh, screen_cmp_short);
	if (nsh > SCREEN_SHORTLIST)
		nsh = SCREEN_SHORTLIST;

	if (acc->sc == NULL)
		acc->sc = xcalloc(SCREEN_SHORTLIST, sizeof *acc->sc);
	sc = acc->sc;	/* each entry is cleared by screen_score_name() */
	for (i = 0; i < nsh; i++)
		screen_score_name(ix, q, nq, sh[i].name, country, &sc[nsc++]);
	qsort(sc, nsc, sizeof *sc, screen_cmp_score);

	/* Best name per party. */
	best = xreallocarray(NULL, nsc + 1, sizeof *best);
	partybest = xreallocarray(NULL, nsc + 1, sizeof *partybest);
	for (i = 0; i < nsc; i++) {
		if (sc[i].score < min)
			break;
		v = ix->names[sc[i].name].party;
		for (j = 0; j < nbest; j++)
			if (partybest[j] == v)
				break;
		if (j < nbest)
			continue;
		partybest[nbest] = v;
		best[nbest++] = sc[i];
	}
	free(partybest);
	*out = best;
	return (nbest);
}

/* Set a string member, null when NULL (json_pack's "s?"). */
static void
screen_json_set_str(json_t *o, const char *k, const char *v)
{
	json_object_set_new_nocheck(o, k, v != NULL ? json_string(v) :
	    json_null());
}

/* {"token": t, "weight": w} with the weight to two decimals. */
static json_t *
screen_json_token(const char *t, double w)
{
	json_t	*o = json_object();

	screen_json_set_str(o, "token", t);
	json_object_set_new_nocheck(o, "weight", json_real(round(w * 100) /
	    100));
	return (o);
}

/* Explain one candidate: each aligned token with weights and similarity,
 * what was left over, the acronym and the country. */
static json_t *
screen_explain(const struct screen_index *ix, const struct screen_qtok *q,
    size_t nq, const struct screen_score *sc, const char *country)
{
	const struct screen_name	*sn = &ix->names[sc->name];
	const struct screen_party	*p = &ix->parties[sn->party];
	const uint32_t			*et = ix->toks + sn->tok_off;
	json_t				*ex, *toks, *uq, *ue, *ign, *t, *cc;
	bool				 used[SCREEN_MAX_TOKENS] = { 0 };
	size_t				 i, j, ne = screen_name_real(ix, sn);
	struct sbuf			 b = { NULL, 0, 0 };

	if (ne > SCREEN_MAX_TOKENS)
		ne = SCREEN_MAX_TOKENS;
	ex = json_object();
	toks = json_array();
	uq = json_array();
	ue = json_array();
	ign = json_array();
	for (i = 0; i < nq; i++) {
		if (q[i].ignored) {
			json_array_append_new(ign, json_string(q[i].text));
			continue;
		}
		if ((int)i == sc->acronym_q)
			continue;
		if (sc->align[i] < 0) {
			json_array_append_new(uq, screen_json_token(q[i].text,
			    q[i].weight));
			continue;
		}
		j = (size_t)sc->align[i];
		used[j] = true;
		t = json_object();
		screen_json_set_str(t, "query", q[i].text);
		screen_json_set_str(t, "entry", ix->vstr[et[j]]);
		json_object_set_new(t, "query_weight",
		    json_real(round(q[i].weight * 100) / 100));
		json_object_set_new(t, "entry_weight",
		    json_real(round(ix->vweight[et[j]] * 100) / 100));
		json_object_set_new(t, "similarity",
		    json_real(round(sc->asim[i] * 1000) / 1000));
		json_array_append_new(toks, t);
	}
	for (j = 0; j < ne; j++) {
		if (sc->acr_mask & (1ULL << j)) {
			used[j] = true;
			if (b.len > 0)
				sbuf_add(&b, " ", 1);
			sbuf_add(&b, ix->vstr[et[j]], strlen(ix->vstr[et[j]]));
		}
		if (used[j])
			continue;
		if (ix->vweight[et[j]] == 0)
			json_array_append_new(ign, json_string(ix->vstr[et[j]]));
		else
			json_array_append_new(ue, screen_json_token(
			    ix->vstr[et[j]], ix->vweight[et[j]]));
	}
	json_object_set_new(ex, "tokens", toks);
	json_object_set_new(ex, "unmatched_query", uq);
	json_object_set_new(ex, "unmatched_entry", ue);
	json_object_set_new(ex, "ignored_form_words", ign);
	if (sc->acronym_q >= 0)
		json_object_set_new(ex, "acronym", json_pack("{s:s,s:s}",
		    "query", q[sc->acronym_q].text, "expands_to", b.s));
	else
		json_object_set_new(ex, "acronym", json_null());
	free(b.s);
	cc = json_array();
	for (i = 0; i < p->ncountries; i++)
		json_array_append_new(cc, json_string(p->countries[i]));
	json_object_set_new(ex, "country", json_pack("{s:s?,s:o,s:s}",
	    "query", country != NULL && *country != '\0' ? country : NULL,
	    "entry", cc, "effect", sc->country > 0 ? "match, raised" :
	    sc->country < 0 ? "mismatch, lowered" : "not compared"));
	json_object_set_new(ex, "alignment_score",
	    json_real(round(sc->base * 1000) / 1000));
	if (sc->matched_weight < ix->info_floor)
		json_object_set_new(ex, "generic_words_damped", json_true());
	return (ex);
}

/* The verdict of a candidate score under the thresholds. */
static enum screen_result
screen_classify(double score, const struct screen_opts *o)
{
	if (score >= o->match_threshold)
		return (SCREEN_MATCH);
	if (score >= o->review_threshold)
		return (SCREEN_REVIEW);
	return (SCREEN_NO_MATCH);
}

/* The disposition that applies to a candidate, and whether it lapsed. */
static const struct screen_disposition *
screen_disposition(const struct screen_index *ix, const struct screen_opts *o,
    const char *key, const struct screen_party *p, bool *lapsed)
{
	const struct screen_disposition	*d;

	*lapsed = false;
	if (o->disposition == NULL)
		return (NULL);
	d = o->disposition(o->disposition_arg, key, p->entry_id);
	if (d == NULL)
		return (NULL);
	if (p->content_hash == NULL || d->content_hash == NULL ||
	    strcmp(p->content_hash, d->content_hash) != 0)
		*lapsed = true;
	(void)ix;
	return (d);
}

/*
 * Screen a name (and country, may be NULL) against the index: the body of
 * POST /v1/screen without the decision id. New reference.
 */
json_t *
screen_query(const struct screen_index *ix, const char *name,
    const char *country, const struct screen_opts *opts)
{
	struct screen_opts		 def;
	struct screen_tokens		 st;
	struct screen_qtok		 q[SCREEN_MAX_TOKENS];
	struct screen_score		*sc;
	const struct screen_disposition	*d;
	const struct screen_party	*p;
	size_t				 n, nq, i;
	json_t				*res, *cands, *c;
	enum screen_result		 r, overall = SCREEN_NO_MATCH;
	char				*key;
	bool				 lapsed;

	if (opts == NULL) {
		screen_opts_default(&def);
		opts = &def;
	}
	screen_tokens_init(&st);
	n = screen_run(ix, name, country, opts, &st, q, &nq, &sc);
	key = screen_key_tokens(&st);
	cands = json_array();
	for (i = 0; i < n && i < opts->limit; i++) {
		p = &ix->parties[ix->names[sc[i].name].party];
		r = screen_classify(sc[i].score, opts);
		/* Built member by member: json_pack() would parse its format
		 * for every candidate of every screening. */
		c = json_object();
		screen_json_set_str(c, "name", p->name);
		screen_json_set_str(c, "matched_on",
		    ix->names[sc[i].name].matched_on);
		screen_json_set_str(c, "source", p->source);
		screen_json_set_str(c, "list", p->list);
		json_object_set_new(c, "score",
		    json_real(round(sc[i].score * 1000) / 1000));
		json_object_set_new(c, "match", json_boolean(r ==
		    SCREEN_MATCH));
		screen_json_set_str(c, "result", screen_result_name(r));
		screen_json_set_str(c, "license_requirement",
		    p->license_requirement);
		screen_json_set_str(c, "license_policy", p->license_policy);
		screen_json_set_str(c, "federal_register_notice",
		    p->federal_register_notice);
		screen_json_set_str(c, "entry_id", p->entry_id);
		screen_json_set_str(c, "content_hash", p->content_hash);
		json_object_set_new(c, "export_list",
		    json_boolean(p->export_list));
		json_object_set_new(c, "countries", json_array());
		for (size_t k = 0; k < p->ncountries; k++)
			json_array_append_new(json_object_get(c, "countries"),
			    json_string(p->countries[k]));
		json_object_set_new(c, "explanation",
		    screen_explain(ix, q, nq, &sc[i], country));
		d = screen_disposition(ix, opts, key, p, &lapsed);
		if (d != NULL) {
			json_object_set_new(c, "disposition", json_pack(
			    "{s:s,s:s?,s:s?,s:s?,s:b}", "disposition",
			    d->disposition, "note", d->note, "decided_by",
			    d->decided_by, "decided_at", d->decided_at,
			    "lapsed", lapsed));
			/* A reviewed false positive stays reviewed. */
			if (!lapsed && strcmp(d->disposition,
			    "false_positive") == 0) {
				json_object_set_new(c, "match", json_false());
				r = SCREEN_NO_MATCH;
			} else if (!lapsed && strcmp(d->disposition,
			    "confirmed") == 0) {
				json_object_set_new(c, "match", json_true());
				r = SCREEN_MATCH;
			}
		}
		if (r > overall)
			overall = r;
		json_array_append_new(cands, c);
	}
	res = json_pack("{s:s,s:o,s:o,s:s,s:s}", "result",
	    screen_result_name(overall), "candidates", cands, "lists",
	    screen_index_lists(ix), "lists_version", ix->version,
	    "party_key", key);
	if (overall == SCREEN_NO_MATCH)
		json_object_set_new(res, "note", json_sprintf("no match in list "
		    "versions %s; this is not a clearance", ix->version));
	free(key);
	free(sc);
	screen_tokens_free(&st);
	return (res);
}

/*
 * Screen a name for a check: the candidates at review level or above as
 * listings (strings borrowed from the index; *out is the caller's to free).
 */
enum screen_result
screen_query_listings(const struct screen_index *ix, const char *name,
    const char *country, const struct screen_opts *opts,
    struct ear_listing **out, size_t *nout)
{
	struct screen_opts		 def;
	struct screen_tokens		 st;
	struct screen_qtok		 q[SCREEN_MAX_TOKENS];
	struct screen_score		*sc;
	const struct screen_disposition	*d;
	const struct screen_party	*p;
	struct ear_listing		*l;
	size_t				 n, nq, i;
	enum screen_result		 r, overall = SCREEN_NO_MATCH;
	char				*key;
	bool				 lapsed;

	if (opts == NULL) {
		screen_opts_default(&def);
		opts = &def;
	}
	*out = NULL;
	*nout = 0;
	screen_tokens_init(&st);
	n = screen_run(ix, name, country, opts, &st, q, &nq, &sc);
	key = screen_key_tokens(&st);
	for (i = 0; i < n && i < opts->limit; i++) {
		p = &ix->parties[ix->names[sc[i].name].party];
		r = screen_classify(sc[i].score, opts);
		d = screen_disposition(ix, opts, key, p, &lapsed);
		if (d != NULL && !lapsed) {
			if (strcmp(d->disposition, "false_positive") == 0)
				r = SCREEN_NO_MATCH;
			else if (strcmp(d->disposition, "confirmed") == 0)
				r = SCREEN_MATCH;
		}
		if (r == SCREEN_NO_MATCH)
			continue;
		if (r > overall)
			overall = r;
		*out = xreallocarray(*out, *nout + 1, sizeof **out);
		l = &(*out)[(*nout)++];
		l->name = p->name;
		l->list = p->list;
		l->license_requirement = p->license_requirement;
		l->license_policy = p->license_policy;
		l->federal_register_notice = p->federal_register_notice;
		l->matched_on = ix->names[sc[i].name].matched_on;
		l->score = sc[i].score;
		l->match = r == SCREEN_MATCH;
		l->export_list = p->export_list;
	}
	free(key);
	free(sc);
	screen_tokens_free(&st);
	return (overall);
}
