/*
 * ecfr.c: eCFR versioner-API XML into dated regulation text.
 *
 * The file is read with libxml2's xmlTextReader, one node at a time, so a
 * whole title parses in bounded memory: only the text of the current block
 * (a P, FP-1, TD, ...) and the document being built are held. Network
 * access is off, entities are never substituted, no DTD is loaded, nesting
 * is bounded, and libxml2's own limits on text and name sizes stay on
 * (no XML_PARSE_HUGE). A malformed or truncated file fails with its line.
 *
 * What comes out (struct ecfr_doc, importers.h):
 * - nodes: parts (DIV5), sections (DIV8), appendices (DIV9) and their
 *   lettered paragraphs; in the Commerce Control List (15 CFR 774 Supp. 1)
 *   each ECCN entry (split at each FP-2/B header), its Reason for Control,
 *   licence requirement table, list-based licence exceptions, related
 *   fields, each lettered paragraph ("3A090.a.1") and each note
 *   ("3A090.a Note 1", "4E091 Technical Note 2");
 * - tables (TABLE class="gpo_table"): country groups (740 Supp. 1), Country
 *   Chart marks (738 Supp. 1) and Entity List rows (744 Supp. 4), where a
 *   blank country cell inherits the row above.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlreader.h>
#include <openssl/evp.h>

#include "ear.h"
#include "importers.h"

#define ECFR_MAX_DEPTH	128	/* deeper nesting is not eCFR markup */
#define ECFR_MAX_CELLS	64	/* columns of one table row */
#define ECFR_MAX_FOOT	16	/* footnote marks kept per cell */

enum { NA_NODES, NA_CONTROLS, NA_EXC, NA_GROUPS, NA_CHART, NA_ENT };

enum ecfr_table_kind { TBL_TEXT, TBL_GROUPS, TBL_CHART, TBL_ENTITY };
enum ecfr_sect { SECT_NONE, SECT_LICREQ, SECT_EXC, SECT_ITEMS };

/* A growable string. */
struct sbuf {
	char	*s;
	size_t	 len;
	size_t	 cap;
};

/* One open DIVn: its node and cite. */
struct ecfr_div {
	int	 depth;
	int	 level;		/* n of DIVn */
	size_t	 node;		/* index in doc->nodes */
	char	*cite;
	enum ecfr_table_kind tables;
	bool	 ccl;
};

struct ecfr_cell {
	char	*text;
	int	 span;
	int	 foot[ECFR_MAX_FOOT];
	size_t	 nfoot;
	bool	 head;
};

struct ecfr_parser {
	struct ecfr_doc	*doc;
	xmlTextReaderPtr r;
	char		*error;
	int		 error_line;

	/* The block being collected (P, FP-1, TD, HEAD, ...). */
	int		 block_depth;	/* -1: none */
	char		 block_tag[16];
	int		 block_line;
	int		 block_span;
	struct sbuf	 text;
	struct sbuf	 lead;		/* text of a leading I/B/E element */
	char		 lead_tag[8];	/* "I", "B", "E04" */
	int		 lead_depth;	/* -1: not in the lead */
	bool		 lead_done;
	int		 sup_depth;	/* -1, else inside SU or E T="53" */
	int		 foot[ECFR_MAX_FOOT];
	size_t		 nfoot;

	struct ecfr_div	 divs[ECFR_MAX_DEPTH];
	size_t		 ndivs;

	/* CCL entry. */
	char		*eccn;
	size_t		 eccn_node;
	enum ecfr_sect	 sect;
	size_t		 last_node;	/* continuation target; SIZE_MAX none */
	size_t		 last_para;	/* last lettered paragraph of the entry */
	bool		 last_exc;	/* last block was an exception line */

	/* NOTE. */
	int		 note_depth;	/* -1: not in a NOTE */
	char		*note_target;	/* path the note attaches to */
	char		*note_name;	/* "Note 1", "Technical Note" */
	bool		 note_plural;
	size_t		 note_node;	/* SIZE_MAX until created */

	/* TABLE. */
	int		 table_depth;	/* -1: not in a table */
	enum ecfr_table_kind table_kind;
	bool		 in_thead;
	struct ecfr_cell cells[ECFR_MAX_CELLS];
	size_t		 ncells;
	char		*hdr[ECFR_MAX_CELLS];	/* last header row, by column */
	size_t		 nhdr;
	char		*groups[ECFR_MAX_CELLS];	/* group of each column */
	char		*inherit_country;
	size_t		 nrows;
	int		 row_line;

	/* Section paragraphs "(a)(1)(i)". */
	char		 plab[6][16];
	int		 plev;

	json_t		*cites;		/* every node's cite, as a set */
};

static void	 ecfr_fail(struct ecfr_parser *, int, const char *, ...)
		     PRINTFLIKE(3, 4);

/* Copy a string into a fixed buffer, truncating. */
static void
ecfr_strlcpy(char *dst, const char *src, size_t size)
{
	snprintf(dst, size, "%s", src);
}

/* Append bytes to a string buffer. */
static void
sbuf_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t	 cap = b->cap ? b->cap : 128;

		while (cap < b->len + n + 1)
			cap *= 2;
		b->s = xreallocarray(b->s, cap, 1);
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

/* Reset a string buffer to empty, keeping its memory. */
static void
sbuf_reset(struct sbuf *b)
{
	b->len = 0;
	if (b->s != NULL)
		b->s[0] = '\0';
}

/* Return the buffer's contents, never NULL. */
static const char *
sbuf_str(const struct sbuf *b)
{
	return b->s != NULL ? b->s : "";
}

/* Whether s starts with prefix (case-insensitive). */
static bool
ecfr_prefix(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* Record the first error with its line; later ones are ignored. */
static void
ecfr_fail(struct ecfr_parser *p, int line, const char *fmt, ...)
{
	va_list	 ap;

	if (p->error != NULL)
		return;
	va_start(ap, fmt);
	if (xvasprintf(&p->error, fmt, ap) == -1)
		p->error = NULL;
	va_end(ap);
	p->error_line = line;
}

/* Grow one of the document's arrays to hold one more element. */
static void *
ecfr_grow(void *arr, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return arr;
	*cap = *cap ? *cap * 2 : 64;
	return xreallocarray(arr, *cap, size);
}

static const char *const ecfr_kind_names[] = {
	"part", "subpart", "section", "appendix", "heading", "eccn", "field",
	"controls", "exceptions", "paragraph", "note", "table"
};

/* The name stored in ecfr_text.kind. */
const char *
ecfr_kind_name(enum ecfr_kind k)
{
	if ((size_t)k >= nitems(ecfr_kind_names))
		return "text";
	return ecfr_kind_names[k];
}

/* Find a node by its full citation (linear; for tests and small tools). */
const struct ecfr_node *
ecfr_find(const struct ecfr_doc *doc, const char *cite)
{
	size_t	 i;

	for (i = 0; i < doc->nnodes; i++) {
		if (strcmp(doc->nodes[i].cite, cite) == 0)
			return &doc->nodes[i];
	}
	return NULL;
}

/* Whether a cite is already used (checked from the end: recent first). */
static bool
ecfr_cite_used(struct ecfr_parser *p, const char *cite)
{
	size_t	 i;

	for (i = p->doc->nnodes; i > 0; i--) {
		if (strcmp(p->doc->nodes[i - 1].cite, cite) == 0)
			return true;
		/* cites repeat only within an entry or a section */
		if (p->doc->nodes[i - 1].kind == ECFR_ECCN ||
		    p->doc->nodes[i - 1].kind == ECFR_SECTION)
			return false;
	}
	return false;
}

/* Add a node; path is made unique with " (2)", " (3)". Returns its index. */
static size_t
ecfr_add_node(struct ecfr_parser *p, enum ecfr_kind kind, const char *path,
    const char *parent, const char *label, const char *heading,
    const char *body, int line)
{
	struct ecfr_doc		*doc = p->doc;
	struct ecfr_node	*n;
	char			*cite, *upath;
	int			 k;

	upath = xstrdup(path);
	/* "15 CFR 740.1" + "(a)(1)" joins without a comma */
	xasprintf(&cite, "%s%s%s", doc->cite_prefix, *path == '(' ? "" : ", ",
	    upath);
	if (*path == '\0') {
		free(cite);
		cite = xstrdup(doc->cite_prefix);
	}
	for (k = 2; ecfr_cite_used(p, cite); k++) {
		free(upath);
		free(cite);
		xasprintf(&upath, "%s (%d)", path, k);
		xasprintf(&cite, "%s%s%s", doc->cite_prefix,
		    *path == '(' ? "" : ", ", upath);
	}
	doc->nodes = ecfr_grow(doc->nodes, doc->nnodes, &doc->nalloc[NA_NODES],
	    sizeof *doc->nodes);
	n = &doc->nodes[doc->nnodes];
	memset(n, 0, sizeof *n);
	n->kind = kind;
	n->cite = cite;
	json_object_setn_new_nocheck(p->cites, cite, strlen(cite), json_true());
	n->path = upath;
	n->parent = parent != NULL ? xstrdup(parent) : NULL;
	n->eccn = p->eccn != NULL ? xstrdup(p->eccn) : NULL;
	n->label = label != NULL ? xstrdup(label) : NULL;
	n->heading = heading != NULL ? xstrdup(heading) : NULL;
	n->body = xstrdup(body != NULL ? body : "");
	n->line = line;
	return doc->nnodes++;
}

/* Append a line of text to a node's body. */
static void
ecfr_node_append(struct ecfr_parser *p, size_t i, const char *text)
{
	struct ecfr_node	*n = &p->doc->nodes[i];
	char			*s;

	if (*text == '\0')
		return;
	if (*n->body == '\0') {
		free(n->body);
		n->body = xstrdup(text);
		return;
	}
	xasprintf(&s, "%s\n%s", n->body, text);
	free(n->body);
	n->body = s;
}

/* --- country names --- */

static const struct {
	const char	*name;	/* normalised: see ecfr_country_norm() */
	const char	*code;
} ecfr_countries[] = {
	{ "afghanistan", "AF" },
	{ "albania", "AL" },
	{ "algeria", "DZ" },
	{ "andorra", "AD" },
	{ "angola", "AO" },
	{ "antigua and barbuda", "AG" },
	{ "argentina", "AR" },
	{ "armenia", "AM" },
	{ "aruba", "AW" },
	{ "australia", "AU" },
	{ "austria", "AT" },
	{ "azerbaijan", "AZ" },
	{ "bahamas", "BS" },
	{ "bahrain", "BH" },
	{ "bangladesh", "BD" },
	{ "barbados", "BB" },
	{ "belarus", "BY" },
	{ "belgium", "BE" },
	{ "belize", "BZ" },
	{ "benin", "BJ" },
	{ "bhutan", "BT" },
	{ "bolivia", "BO" },
	{ "bosnia and herzegovina", "BA" },
	{ "botswana", "BW" },
	{ "brazil", "BR" },
	{ "brunei", "BN" },
	{ "bulgaria", "BG" },
	{ "burkina faso", "BF" },
	{ "burma", "MM" },
	{ "myanmar", "MM" },
	{ "burundi", "BI" },
	{ "cambodia", "KH" },
	{ "cameroon", "CM" },
	{ "canada", "CA" },
	{ "cape verde", "CV" },
	{ "cabo verde", "CV" },
	{ "central african republic", "CF" },
	{ "chad", "TD" },
	{ "chile", "CL" },
	{ "china", "CN" },
	{ "china prc", "CN" },
	{ "china peoples republic of", "CN" },
	{ "peoples republic of china", "CN" },
	{ "colombia", "CO" },
	{ "comoros", "KM" },
	{ "congo democratic republic of", "CD" },
	{ "congo democratic republic of the", "CD" },
	{ "democratic republic of congo", "CD" },
	{ "congo republic of", "CG" },
	{ "congo republic of the", "CG" },
	{ "republic of congo", "CG" },
	{ "costa rica", "CR" },
	{ "cote divoire", "CI" },
	{ "cote dlvoire", "CI" },
	{ "croatia", "HR" },
	{ "cuba", "CU" },
	{ "curacao", "CW" },
	{ "cyprus", "CY" },
	{ "czech republic", "CZ" },
	{ "czechia", "CZ" },
	{ "denmark", "DK" },
	{ "djibouti", "DJ" },
	{ "dominica", "DM" },
	{ "dominican republic", "DO" },
	{ "ecuador", "EC" },
	{ "egypt", "EG" },
	{ "el salvador", "SV" },
	{ "equatorial guinea", "GQ" },
	{ "eritrea", "ER" },
	{ "estonia", "EE" },
	{ "eswatini", "SZ" },
	{ "ethiopia", "ET" },
	{ "fiji", "FJ" },
	{ "finland", "FI" },
	{ "france", "FR" },
	{ "gabon", "GA" },
	{ "gambia", "GM" },
	{ "georgia", "GE" },
	{ "germany", "DE" },
	{ "ghana", "GH" },
	{ "greece", "GR" },
	{ "grenada", "GD" },
	{ "guatemala", "GT" },
	{ "guinea", "GN" },
	{ "guinea bissau", "GW" },
	{ "guyana", "GY" },
	{ "haiti", "HT" },
	{ "honduras", "HN" },
	{ "hong kong", "HK" },
	{ "hungary", "HU" },
	{ "iceland", "IS" },
	{ "india", "IN" },
	{ "indonesia", "ID" },
	{ "iran", "IR" },
	{ "iraq", "IQ" },
	{ "ireland", "IE" },
	{ "israel", "IL" },
	{ "italy", "IT" },
	{ "jamaica", "JM" },
	{ "japan", "JP" },
	{ "jordan", "JO" },
	{ "kazakhstan", "KZ" },
	{ "kenya", "KE" },
	{ "kiribati", "KI" },
	{ "korea north", "KP" },
	{ "north korea", "KP" },
	{ "korea democratic peoples republic of", "KP" },
	{ "korea south", "KR" },
	{ "south korea", "KR" },
	{ "korea republic of", "KR" },
	{ "kosovo", "XK" },
	{ "kuwait", "KW" },
	{ "kyrgyzstan", "KG" },
	{ "laos", "LA" },
	{ "latvia", "LV" },
	{ "lebanon", "LB" },
	{ "lesotho", "LS" },
	{ "liberia", "LR" },
	{ "libya", "LY" },
	{ "liechtenstein", "LI" },
	{ "lithuania", "LT" },
	{ "luxembourg", "LU" },
	{ "macau", "MO" },
	{ "macao", "MO" },
	{ "madagascar", "MG" },
	{ "malawi", "MW" },
	{ "malaysia", "MY" },
	{ "maldives", "MV" },
	{ "mali", "ML" },
	{ "malta", "MT" },
	{ "marshall islands", "MH" },
	{ "mauritania", "MR" },
	{ "mauritius", "MU" },
	{ "mexico", "MX" },
	{ "micronesia federated state of", "FM" },
	{ "micronesia federated states of", "FM" },
	{ "moldova", "MD" },
	{ "monaco", "MC" },
	{ "mongolia", "MN" },
	{ "montenegro", "ME" },
	{ "morocco", "MA" },
	{ "mozambique", "MZ" },
	{ "namibia", "NA" },
	{ "nauru", "NR" },
	{ "nepal", "NP" },
	{ "netherlands", "NL" },
	{ "new zealand", "NZ" },
	{ "nicaragua", "NI" },
	{ "niger", "NE" },
	{ "nigeria", "NG" },
	{ "north macedonia", "MK" },
	{ "norway", "NO" },
	{ "oman", "OM" },
	{ "pakistan", "PK" },
	{ "palau", "PW" },
	{ "panama", "PA" },
	{ "papua new guinea", "PG" },
	{ "paraguay", "PY" },
	{ "peru", "PE" },
	{ "philippines", "PH" },
	{ "poland", "PL" },
	{ "portugal", "PT" },
	{ "qatar", "QA" },
	{ "romania", "RO" },
	{ "russia", "RU" },
	{ "russian federation", "RU" },
	{ "rwanda", "RW" },
	{ "saint kitts and nevis", "KN" },
	{ "saint lucia", "LC" },
	{ "saint vincent and grenadines", "VC" },
	{ "samoa", "WS" },
	{ "san marino", "SM" },
	{ "sao tome and principe", "ST" },
	{ "saudi arabia", "SA" },
	{ "senegal", "SN" },
	{ "serbia", "RS" },
	{ "seychelles", "SC" },
	{ "seycheles", "SC" },
	{ "sierra leone", "SL" },
	{ "singapore", "SG" },
	{ "sint maarten", "SX" },
	{ "slovakia", "SK" },
	{ "slovenia", "SI" },
	{ "solomon islands", "SB" },
	{ "somalia", "SO" },
	{ "south africa", "ZA" },
	{ "south sudan", "SS" },
	{ "south sudan republic of", "SS" },
	{ "spain", "ES" },
	{ "sri lanka", "LK" },
	{ "sudan", "SD" },
	{ "suriname", "SR" },
	{ "sweden", "SE" },
	{ "switzerland", "CH" },
	{ "syria", "SY" },
	{ "taiwan", "TW" },
	{ "tajikistan", "TJ" },
	{ "tanzania", "TZ" },
	{ "thailand", "TH" },
	{ "timor leste", "TL" },
	{ "togo", "TG" },
	{ "tonga", "TO" },
	{ "trinidad and tobago", "TT" },
	{ "tunisia", "TN" },
	{ "turkey", "TR" },
	{ "turkiye", "TR" },
	{ "turkmenistan", "TM" },
	{ "tuvalu", "TV" },
	{ "uganda", "UG" },
	{ "ukraine", "UA" },
	{ "united arab emirates", "AE" },
	{ "united kingdom", "GB" },
	{ "united states", "US" },
	{ "uruguay", "UY" },
	{ "uzbekistan", "UZ" },
	{ "vanuatu", "VU" },
	{ "vatican city", "VA" },
	{ "holy see", "VA" },
	{ "venezuela", "VE" },
	{ "vietnam", "VN" },
	{ "western sahara", "EH" },
	{ "yemen", "YE" },
	{ "zambia", "ZM" },
	{ "zimbabwe", "ZW" },
};

/* Lower-case ASCII words: "Côte d'Ivoire" -> "cote divoire". */
static void
ecfr_country_norm(const char *in, char *out, size_t outsz)
{
	const unsigned char	*s = (const unsigned char *)in;
	size_t			 o = 0;
	char			 c;

	for (; *s != '\0' && o + 6 < outsz; s++) {
		if (*s == 0xc3 && s[1] != '\0') {	/* Latin-1 letters */
			s++;
			if (*s == 0xbc || *s == 0x9c)
				c = 'u';
			else if (*s == 0xa7 || *s == 0x87)
				c = 'c';
			else if (*s >= 0xb2 && *s <= 0xb6)
				c = 'o';
			else if (*s >= 0xa8 && *s <= 0xab)
				c = 'e';
			else if (*s >= 0xa0 && *s <= 0xa5)
				c = 'a';
			else
				c = ' ';
		} else if (*s == '&') {
			memcpy(out + o, " and ", 5);
			o += 5;
			continue;
		} else if (*s == '\'' || *s == '.')
			continue;
		else if (*s == 0xe2 && s[1] == 0x80 && s[2] != '\0') {
			s += 2;		/* curly quotes, dashes */
			if (*s == 0x99 || *s == 0x98)
				continue;
			c = ' ';
		} else if (isalnum(*s))
			c = tolower(*s);
		else
			c = ' ';
		if (c == ' ' && (o == 0 || out[o - 1] == ' '))
			continue;
		out[o++] = c;
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
}

/* Drop the words "the" and turn a leading "st " into "saint ". */
static void
ecfr_country_words(char *s)
{
	char	 tmp[256], *w, *save = NULL;
	size_t	 o = 0;

	ecfr_strlcpy(tmp, s, sizeof tmp);
	for (w = strtok_r(tmp, " ", &save); w != NULL;
	    w = strtok_r(NULL, " ", &save)) {
		if (strcmp(w, "the") == 0)
			continue;
		if (o == 0 && strcmp(w, "st") == 0)
			w = (char *)"saint";
		o += snprintf(s + o, 256 - o, "%s%s", o ? " " : "", w);
		if (o >= 255)
			break;
	}
	s[o < 256 ? o : 255] = '\0';
}

/* The ISO 3166-1 alpha-2 code of a country as the EAR names it, or NULL. */
const char *
ecfr_country_code(const char *name)
{
	char	 norm[256], *paren;
	size_t	 i;
	int	 pass;

	if (name == NULL)
		return NULL;
	ecfr_country_norm(name, norm, sizeof norm);
	ecfr_country_words(norm);
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < nitems(ecfr_countries); i++) {
			if (strcmp(norm, ecfr_countries[i].name) == 0)
				return ecfr_countries[i].code;
		}
		/* "Sint Maarten (the Dutch two-fifths ...)" */
		if ((paren = strchr(name, '(')) == NULL)
			break;
		{
			char	*head = xstrndup(name, paren - name);

			ecfr_country_norm(head, norm, sizeof norm);
			ecfr_country_words(norm);
			free(head);
		}
	}
	return NULL;
}

/* --- numbers in text --- */

/*
 * Numbers as regulation text writes them: "4800", "4,800", "5.92",
 * "10^26" (10<SU>26</SU>), "2.5 × 10^25", "25 percent" (also 0.25).
 * Returns how many were found (up to max stored in out).
 */
size_t
ecfr_text_numbers(const char *text, double *out, size_t max)
{
	const char	*s = text;
	size_t		 n = 0;

#define PUSH(v) do { if (n < max) out[n] = (v); n++; } while (0)
	while (*s != '\0') {
		char	 digits[64];
		size_t	 d = 0;
		double	 v;
		const char *t;

		/* not inside "3A090" or a paragraph path "a.1" */
		if (!isdigit((unsigned char)*s) ||
		    (s > text && (isalpha((unsigned char)s[-1]) ||
		    isdigit((unsigned char)s[-1]))) ||
		    (s > text + 1 && s[-1] == '.' &&
		    isalnum((unsigned char)s[-2]))) {
			s++;
			continue;
		}
		while (d + 1 < sizeof digits && (isdigit((unsigned char)*s) ||
		    ((*s == ',' || *s == '.') &&
		    isdigit((unsigned char)s[1])))) {
			if (*s == ',' && isdigit((unsigned char)s[1]) &&
			    isdigit((unsigned char)s[2]) &&
			    isdigit((unsigned char)s[3]) &&
			    !isdigit((unsigned char)s[4])) {
				s++;	/* thousands separator */
				continue;
			}
			if (*s == ',')
				break;
			digits[d++] = *s++;
		}
		digits[d] = '\0';
		v = strtod(digits, NULL);
		/* "10^26", "10 26" (superscript lost) */
		if (strcmp(digits, "10") == 0 && (*s == '^' ||
		    (*s == ' ' && isdigit((unsigned char)s[1]) &&
		    isdigit((unsigned char)s[2]) &&
		    !isdigit((unsigned char)s[3])))) {
			double	 e = strtod(s + 1, (char **)&t);

			v = 1;
			while (e-- > 0)
				v *= 10;
			s = t;
		} else {
			/* "2.5 × 10^25", "2.5 x 10^25" */
			t = s;
			while (*t == ' ')
				t++;
			if ((strncmp(t, "\xc3\x97", 2) == 0 ||
			    (*t == 'x' && t[1] == ' ')) &&
			    (t = strstr(t, "10^")) != NULL &&
			    t - s < 8) {
				double	 e = strtod(t + 3, (char **)&t);
				double	 m = 1;

				while (e-- > 0)
					m *= 10;
				PUSH(v);
				v *= m;
				s = t;
			}
		}
		PUSH(v);
		t = s;
		while (*t == ' ')
			t++;
		if (strncmp(t, "percent", 7) == 0 || *t == '%')
			PUSH(v / 100);
	}
	/* "ten percent" and the like */
	{
		static const struct { const char *w; double v; } words[] = {
			{ "ten percent", 0.1 }, { "twenty-five percent", 0.25 },
			{ "fifty percent", 0.5 }, { "one-half", 0.5 },
		};
		size_t	 i;

		for (i = 0; i < nitems(words); i++) {
			if (strcasestr(text, words[i].w) != NULL)
				PUSH(words[i].v);
		}
	}
#undef PUSH
	return n;
}

/* Whether text contains the number v (relative tolerance 1e-9). */
bool
ecfr_text_has_number(const char *text, double v)
{
	double	 nums[512];
	size_t	 n, i;

	n = ecfr_text_numbers(text, nums, nitems(nums));
	if (n > nitems(nums))
		n = nitems(nums);
	for (i = 0; i < n; i++) {
		double	 diff = nums[i] - v;

		if (diff < 0)
			diff = -diff;
		if (diff <= 1e-9 * (v < 0 ? -v : v) || diff == 0)
			return true;
	}
	return false;
}

/* --- entities --- */

/* Free an entity's strings and arrays. */
void
ecfr_entity_clear(struct ecfr_entity *e)
{
	size_t	 i;

	free(e->country_name);
	free(e->country);
	free(e->name);
	for (i = 0; i < e->naliases; i++)
		free(e->aliases[i]);
	free(e->aliases);
	for (i = 0; i < e->naddresses; i++)
		free(e->addresses[i]);
	free(e->addresses);
	free(e->license_requirement);
	free(e->review_policy);
	for (i = 0; i < e->nfr_citations; i++)
		free(e->fr_citations[i]);
	free(e->fr_citations);
	free(e->footnotes);
	memset(e, 0, sizeof *e);
}

/* Append s to a string array. */
static void
ecfr_strv_add(char ***v, size_t *n, char *s)
{
	*v = xreallocarray(*v, *n + 1, sizeof **v);
	(*v)[(*n)++] = s;
}

/* Strip trailing separators of a list item: ";", "; and", ",". */
static void
ecfr_strip_item(char *s, bool period)
{
	size_t	 n = strlen(s);

	for (;;) {
		while (n > 0 && (isspace((unsigned char)s[n - 1]) ||
		    s[n - 1] == ';' || s[n - 1] == ','))
			n--;
		if (n >= 4 && strncmp(s + n - 4, " and", 4) == 0) {
			n -= 4;
			continue;
		}
		if (n >= 3 && strncmp(s + n - 3, " or", 3) == 0) {
			n -= 3;
			continue;
		}
		break;
	}
	s[n] = '\0';
	/*
	 * The last alias ends the sentence: "—CPUNTO." Keep the period of
	 * an abbreviation ("Inc.", "Ltd.", "Co.", "S.A.").
	 */
	if (period && n > 0 && s[n - 1] == '.') {
		static const char *const abbr[] = {
			"Inc.", "Ltd.", "Co.", "Corp.", "Jr.", "Sr.", "Bhd.",
			"Pvt.", "Pte.", "L.L.C.", "LLC.", "Ltda.", "Cia."
		};
		const char	*w = strrchr(s, ' ');
		size_t		 i;
		bool		 keep = false;

		w = w != NULL ? w + 1 : s;
		for (i = 0; i < nitems(abbr); i++) {
			if (strcasecmp(w, abbr[i]) == 0)
				keep = true;
		}
		/* "S.A." "B.V.": dots inside the last word */
		if (strchr(w, '.') != s + n - 1)
			keep = true;
		if (!keep)
			s[n - 1] = '\0';
	}
}

/*
 * Split the entity cell: the first line is the name (", a.k.a., the
 * following N aliases:" cut off), lines starting with a dash are aliases,
 * the rest are addresses.
 */
void
ecfr_entity_set_cell(struct ecfr_entity *e, const char *cell)
{
	char	*copy, *line, *save = NULL, *aka;
	bool	 first = true;

	copy = xstrdup(cell);
	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char	*t = xmlsafe_trim(line);

		if (*t == '\0') {
			free(t);
			continue;
		}
		if (first) {
			first = false;
			if ((aka = strstr(t, "a.k.a.")) != NULL) {
				char	*rest = aka + 6;

				*aka = '\0';
				ecfr_strip_item(t, false);
				free(e->name);
				e->name = xstrdup(t);
				/* "a.k.a. Foo" on the same line */
				while (*rest == ',' || *rest == ' ')
					rest++;
				if (*rest != '\0' &&
				    strncmp(rest, "the following", 13) != 0) {
					char	*a = xstrdup(rest);

					ecfr_strip_item(a, true);
					ecfr_strv_add(&e->aliases, &e->naliases,
					    a);
				}
			} else {
				free(e->name);
				e->name = xstrdup(t);
				ecfr_strip_item(e->name, false);
			}
			free(t);
			continue;
		}
		if (strncmp(t, "\xe2\x80\x94", 3) == 0 ||
		    strncmp(t, "\xe2\x80\x93", 3) == 0 || *t == '-') {
			char	*a = xstrdup(t + (*t == '-' ? 1 : 3));

			ecfr_strip_item(a, true);
			if (*a != '\0')
				ecfr_strv_add(&e->aliases, &e->naliases, a);
			else
				free(a);
		} else {
			char	*a = xstrdup(t);

			ecfr_strip_item(a, false);
			if (*a != '\0')
				ecfr_strv_add(&e->addresses, &e->naddresses,
				    a);
			else
				free(a);
		}
		free(t);
	}
	free(copy);
	if (e->name == NULL)
		e->name = xstrdup("");
}

/* Split an FR citation cell: "85 FR 34503, 6/5/20. 86 FR 1, 1/4/21." */
void
ecfr_entity_set_fr(struct ecfr_entity *e, const char *cell)
{
	const char	*s = cell, *start = NULL, *t;

	for (t = s; *t != '\0'; t++) {
		bool	 begin = false;

		if (isdigit((unsigned char)*t) && (t == s ||
		    !isalnum((unsigned char)t[-1]))) {
			const char	*u = t;

			while (isdigit((unsigned char)*u))
				u++;
			if (strncmp(u, " FR ", 4) == 0)
				begin = true;
		}
		if (begin) {
			if (start != NULL) {
				char	*c = xstrndup(start, t - start);

				ecfr_strip_item(c, false);
				while (*c != '\0' && c[strlen(c) - 1] == '.')
					c[strlen(c) - 1] = '\0';
				ecfr_strv_add(&e->fr_citations,
				    &e->nfr_citations, c);
			}
			start = t;
		}
	}
	if (start != NULL) {
		char	*c = xmlsafe_trim(start);

		ecfr_strip_item(c, false);
		while (*c != '\0' && c[strlen(c) - 1] == '.')
			c[strlen(c) - 1] = '\0';
		ecfr_strv_add(&e->fr_citations, &e->nfr_citations, c);
	} else if (*cell != '\0')
		ecfr_strv_add(&e->fr_citations, &e->nfr_citations,
		    xstrdup(cell));
}

/* --- tables --- */

/* Free the current row's cells. */
static void
ecfr_row_clear(struct ecfr_parser *p)
{
	size_t	 i;

	for (i = 0; i < p->ncells; i++)
		free(p->cells[i].text);
	p->ncells = 0;
}

/* A group code in a header cell: "[A:1]", "Country Group D:5", "[B]". */
static char *
ecfr_header_group(const char *h)
{
	const char	*s;

	for (s = h; *s != '\0'; s++) {
		if (*s < 'A' || *s > 'E' || (s > h && isalnum((unsigned char)
		    s[-1])))
			continue;
		if (s[1] == ':' && isdigit((unsigned char)s[2]) &&
		    !isdigit((unsigned char)s[3]))
			return xstrndup(s, 3);
		if (s > h && s[-1] == '[' && s[1] == ']')
			return xstrndup(s, 1);
	}
	return NULL;
}

/* Whether a cell holds a mark: "X" (footnote marks already removed). */
static bool
ecfr_cell_marked(const char *t)
{
	while (isspace((unsigned char)*t))
		t++;
	return (*t == 'X' || *t == 'x') && (t[1] == '\0' ||
	    isspace((unsigned char)t[1]) || t[1] == '^');
}

/* A header row of the current table. */
static void
ecfr_table_header(struct ecfr_parser *p)
{
	size_t	 i, col = 0, nchart = 0;

	for (i = 0; i < p->nhdr; i++) {
		free(p->hdr[i]);
		free(p->groups[i]);
		p->hdr[i] = p->groups[i] = NULL;
	}
	p->nhdr = 0;
	for (i = 0; i < p->ncells && col < ECFR_MAX_CELLS; i++) {
		int	 s;

		for (s = 0; s < p->cells[i].span && col < ECFR_MAX_CELLS; s++) {
			p->hdr[col] = xstrdup(p->cells[i].text);
			p->groups[col] = ecfr_header_group(p->cells[i].text);
			col++;
		}
	}
	p->nhdr = col;
	if (p->table_kind != TBL_CHART)
		return;
	/* the chart's column row: "CB 1", "NS 2", ... */
	for (i = 1; i < p->nhdr; i++) {
		const char *h = p->hdr[i];

		if (isupper((unsigned char)h[0]) && isupper((unsigned char)
		    h[1]) && h[2] == ' ' && isdigit((unsigned char)h[3]))
			nchart++;
	}
	if (nchart + 1 < p->nhdr || nchart == 0)
		return;
	for (i = 0; i < p->doc->nchart_columns; i++)
		free(p->doc->chart_columns[i]);
	free(p->doc->chart_columns);
	p->doc->chart_columns = xreallocarray(NULL, nchart,
	    sizeof *p->doc->chart_columns);
	for (i = 0; i < nchart; i++)
		p->doc->chart_columns[i] = xstrndup(p->hdr[i + 1], 4);
	p->doc->nchart_columns = nchart;
}

/* A body row of a Country Groups table. */
static void
ecfr_table_groups(struct ecfr_parser *p)
{
	struct ecfr_doc	*doc = p->doc;
	size_t		 i, col;
	const char	*country;

	if (p->ncells < 2 || *p->cells[0].text == '\0')
		return;
	country = p->cells[0].text;
	for (i = 1, col = p->cells[0].span; i < p->ncells; i++) {
		const char	*g = col < p->nhdr ? p->groups[col] : NULL;
		struct ecfr_group *m;

		col += p->cells[i].span;
		if (g == NULL || !ecfr_cell_marked(p->cells[i].text))
			continue;
		doc->groups = ecfr_grow(doc->groups, doc->ngroups,
		    &doc->nalloc[NA_GROUPS], sizeof *doc->groups);
		m = &doc->groups[doc->ngroups++];
		m->group = xstrdup(g);
		m->country_name = xstrdup(country);
		m->country = ecfr_country_code(country) != NULL ?
		    xstrdup(ecfr_country_code(country)) : NULL;
	}
}

/* A body row of the Commerce Country Chart. */
static void
ecfr_table_chart(struct ecfr_parser *p)
{
	struct ecfr_doc		*doc = p->doc;
	struct ecfr_chart_row	*c;
	size_t			 i;
	int			 col;

	if (p->ncells < 2 || *p->cells[0].text == '\0')
		return;
	doc->chart = ecfr_grow(doc->chart, doc->nchart, &doc->nalloc[NA_CHART],
	    sizeof *doc->chart);
	c = &doc->chart[doc->nchart++];
	memset(c, 0, sizeof *c);
	c->country_name = xstrdup(p->cells[0].text);
	if (ecfr_country_code(c->country_name) != NULL)
		c->country = xstrdup(ecfr_country_code(c->country_name));
	if (p->cells[0].nfoot > 0) {
		c->footnotes = xreallocarray(NULL, p->cells[0].nfoot,
		    sizeof *c->footnotes);
		for (i = 0; i < p->cells[0].nfoot; i++)
			c->footnotes[i] = p->cells[0].foot[i];
		c->nfootnotes = p->cells[0].nfoot;
	}
	if (p->ncells == 2 && p->cells[1].span > 1) {
		c->pointer = xstrdup(p->cells[1].text);
		return;
	}
	for (i = 1, col = 0; i < p->ncells; i++) {
		if (ecfr_cell_marked(p->cells[i].text) &&
		    (size_t)col < doc->nchart_columns) {
			c->marks = xreallocarray(c->marks, c->nmarks + 1,
			    sizeof *c->marks);
			c->marks[c->nmarks++] =
			    xstrdup(doc->chart_columns[col]);
		}
		col += p->cells[i].span;
	}
}

/* A body row of the Entity List: country inherited when blank. */
static void
ecfr_table_entity(struct ecfr_parser *p)
{
	struct ecfr_doc		*doc = p->doc;
	struct ecfr_entity	*e;
	size_t			 i, j;

	if (p->ncells == 0)
		return;
	if (*p->cells[0].text != '\0') {
		free(p->inherit_country);
		p->inherit_country = xstrdup(p->cells[0].text);
	}
	if (p->ncells < 2 || *p->cells[1].text == '\0')
		return;
	/* an address continued on a row of its own */
	if (p->ncells == 2 && doc->nentities > 0 && *p->cells[0].text == '\0') {
		e = &doc->entities[doc->nentities - 1];
		ecfr_strv_add(&e->addresses, &e->naddresses,
		    xstrdup(p->cells[1].text));
		return;
	}
	if (p->inherit_country == NULL) {
		ecfr_fail(p, p->row_line, "entity list row has no country");
		return;
	}
	doc->entities = ecfr_grow(doc->entities, doc->nentities,
	    &doc->nalloc[NA_ENT], sizeof *doc->entities);
	e = &doc->entities[doc->nentities++];
	memset(e, 0, sizeof *e);
	e->line = p->row_line;
	e->country_name = xstrdup(p->inherit_country);
	if (ecfr_country_code(e->country_name) != NULL)
		e->country = xstrdup(ecfr_country_code(e->country_name));
	ecfr_entity_set_cell(e, p->cells[1].text);
	if (p->ncells > 2)
		e->license_requirement = xstrdup(p->cells[2].text);
	if (p->ncells > 3)
		e->review_policy = xstrdup(p->cells[3].text);
	if (p->ncells > 4)
		ecfr_entity_set_fr(e, p->cells[4].text);
	for (i = 1; i < p->ncells; i++) {
		for (j = 0; j < p->cells[i].nfoot; j++) {
			e->footnotes = xreallocarray(e->footnotes,
			    e->nfootnotes + 1, sizeof *e->footnotes);
			e->footnotes[e->nfootnotes++] = p->cells[i].foot[j];
		}
	}
}

/* An ECCN's licence requirement row: "RS applies to 3A090.a" | text. */
static bool
ecfr_table_control(struct ecfr_parser *p)
{
	struct ecfr_doc		*doc = p->doc;
	struct ecfr_control	*c;
	const char		*t = p->cells[0].text, *a;
	char			*line;
	size_t			 n = 0;

	while (isupper((unsigned char)t[n]))
		n++;
	if (n < 2 || n > 3 || strncmp(t + n, " applies", 8) != 0)
		return false;
	a = t + n + 8;
	while (*a == ' ')
		a++;
	if (strncmp(a, "to ", 3) == 0)
		a += 3;
	doc->controls = ecfr_grow(doc->controls, doc->ncontrols,
	    &doc->nalloc[NA_CONTROLS], sizeof *doc->controls);
	c = &doc->controls[doc->ncontrols++];
	c->eccn = xstrdup(p->eccn);
	c->reason = xstrndup(t, n);
	c->applies = xstrdup(a);
	c->requirement = xstrdup(p->ncells > 1 ? p->cells[1].text : "");
	xasprintf(&line, "%s: %s", t, c->requirement);
	{
		char	*path;
		size_t	 i;

		xasprintf(&path, "%s License Requirements", p->eccn);
		for (i = p->doc->nnodes; i > p->eccn_node; i--) {
			if (strcmp(p->doc->nodes[i - 1].path, path) == 0)
				break;
		}
		if (i == p->eccn_node)
			i = ecfr_add_node(p, ECFR_CONTROLS, path,
			    doc->nodes[p->eccn_node].cite, "License Requirements",
			    "License Requirements", NULL, p->row_line) + 1;
		ecfr_node_append(p, i - 1, line);
		free(path);
	}
	free(line);
	return true;
}

/* A finished TR. */
static void
ecfr_table_row(struct ecfr_parser *p)
{
	bool	 head = p->in_thead;
	size_t	 i;

	if (p->ncells == 0)
		return;
	for (i = 0; i < p->ncells; i++) {
		if (!p->cells[i].head)
			break;
	}
	if (i == p->ncells)
		head = true;
	if (head) {
		ecfr_table_header(p);
		return;
	}
	p->nrows++;
	switch (p->table_kind) {
	case TBL_GROUPS:
		ecfr_table_groups(p);
		return;
	case TBL_CHART:
		ecfr_table_chart(p);
		return;
	case TBL_ENTITY:
		ecfr_table_entity(p);
		return;
	case TBL_TEXT:
		break;
	}
	if (p->eccn != NULL && ecfr_table_control(p))
		return;
	/* any other table: its rows as text of the current node */
	if (p->last_node != SIZE_MAX) {
		struct sbuf	 b = { NULL, 0, 0 };

		for (i = 0; i < p->ncells; i++) {
			if (i > 0)
				sbuf_add(&b, " | ", 3);
			sbuf_add(&b, p->cells[i].text, strlen(p->cells[i].text));
		}
		ecfr_node_append(p, p->last_node, sbuf_str(&b));
		free(b.s);
	}
}

/* --- CCL entries --- */

/* Whether t starts with an ECCN ("3A090", "0Y521") followed by a space. */
static bool
ecfr_is_eccn(const char *t)
{
	return isdigit((unsigned char)t[0]) && t[1] >= 'A' && t[1] <= 'E' &&
	    isdigit((unsigned char)t[2]) && isdigit((unsigned char)t[3]) &&
	    isdigit((unsigned char)t[4]) && (t[5] == ' ' || t[5] == '\0' ||
	    t[5] == '\n');
}

/* Forget the current entry. */
static void
ecfr_entry_end(struct ecfr_parser *p)
{
	free(p->eccn);
	p->eccn = NULL;
	p->sect = SECT_NONE;
	p->last_para = SIZE_MAX;
	p->last_exc = false;
}

/* The innermost DIV's cite (or the document prefix). */
static const char *
ecfr_div_cite(struct ecfr_parser *p)
{
	if (p->ndivs == 0)
		return p->doc->cite_prefix;
	return p->divs[p->ndivs - 1].cite;
}

/* Whether the innermost DIV is the Commerce Control List. */
static bool
ecfr_in_ccl(struct ecfr_parser *p)
{
	size_t	 i;

	for (i = 0; i < p->ndivs; i++) {
		if (p->divs[i].ccl)
			return true;
	}
	return false;
}

/* Start an ECCN entry at its FP-2/B header. */
static void
ecfr_entry_start(struct ecfr_parser *p, const char *text, int line)
{
	char	*heading;

	ecfr_entry_end(p);
	p->eccn = xstrndup(text, 5);
	heading = xmlsafe_trim(text + 5);
	for (char *c = heading; *c != '\0'; c++)
		if (*c == '\n')
			*c = ' ';
	if (ecfr_cite_used(p, p->eccn) == false) {
		char	*cite;

		xasprintf(&cite, "%s, %s", p->doc->cite_prefix, p->eccn);
		if (json_object_getn(p->cites, cite, strlen(cite)) == NULL)
			p->doc->neccns++;
		free(cite);
	}
	p->eccn_node = ecfr_add_node(p, ECFR_ECCN, p->eccn, ecfr_div_cite(p),
	    p->eccn, heading, NULL, line);
	p->last_node = p->eccn_node;
	free(heading);
}

/*
 * A lettered paragraph label at the start of CCL text: "a.", "a.1.",
 * "a.2.a.1.", "1.", "2.a.". Returns its length (with the final dot), or 0.
 */
static size_t
ecfr_ccl_label(const char *t)
{
	size_t	 n = 0, comp = 0;

	for (;;) {
		size_t	 start = n;

		if (islower((unsigned char)t[n]) && t[n + 1] == '.')
			n++;
		else {
			while (isdigit((unsigned char)t[n]) && n - start < 3)
				n++;
		}
		if (n == start || t[n] != '.')
			return 0;
		n++;
		comp++;
		if (t[n] == ' ' || t[n] == '\0' || t[n] == '\n')
			return comp > 0 ? n : 0;
		if (!isalnum((unsigned char)t[n]))
			return 0;
	}
}

/* The path of a paragraph's parent: "3A090.a.1" -> "3A090.a". */
static char *
ecfr_parent_path(const char *path)
{
	const char	*dot = strrchr(path, '.');

	if (dot == NULL)
		return NULL;
	return xstrndup(path, dot - path);
}

/* A P inside an entry: a lettered paragraph or a continuation. */
static void
ecfr_entry_para(struct ecfr_parser *p, const char *text, int line)
{
	size_t	 n = ecfr_ccl_label(text);
	char	*label, *path, *ppath, *pcite;
	const char *body;

	if (n == 0 || isdigit((unsigned char)text[0])) {
		if (p->last_node != SIZE_MAX)
			ecfr_node_append(p, p->last_node, text);
		return;
	}
	label = xstrndup(text, n - 1);
	xasprintf(&path, "%s.%s", p->eccn, label);
	body = text;
	ppath = ecfr_parent_path(path);
	xasprintf(&pcite, "%s, %s", p->doc->cite_prefix, ppath);
	p->last_node = p->last_para = ecfr_add_node(p, ECFR_PARAGRAPH, path,
	    pcite, label, NULL, body, line);
	free(pcite);
	free(ppath);
	free(path);
	free(label);
}

/* A field line "Label: text" of an entry (FP-1 with a leading I). */
static void
ecfr_entry_field(struct ecfr_parser *p, const char *label, const char *rest,
    int line)
{
	struct ecfr_doc	*doc = p->doc;
	char		*path;
	size_t		 i;

	if (strcasecmp(label, "Items") == 0) {
		p->sect = SECT_ITEMS;
		if (ecfr_ccl_label(rest) > 0)
			ecfr_entry_para(p, rest, line);
		else
			ecfr_node_append(p, p->eccn_node, rest);
		return;
	}
	if (p->sect == SECT_EXC || (strlen(label) <= 8 &&
	    strspn(label, "ABCDEFGHIJKLMNOPQRSTUVWXYZ/") == strlen(label))) {
		struct ecfr_exception *x;

		doc->exceptions = ecfr_grow(doc->exceptions, doc->nexceptions,
		    &doc->nalloc[NA_EXC], sizeof *doc->exceptions);
		x = &doc->exceptions[doc->nexceptions++];
		x->eccn = xstrdup(p->eccn);
		x->code = xstrdup(label);
		x->text = xstrdup(rest);
		xasprintf(&path, "%s License Exceptions", p->eccn);
		for (i = doc->nnodes; i > p->eccn_node; i--) {
			if (strcmp(doc->nodes[i - 1].path, path) == 0)
				break;
		}
		if (i == p->eccn_node)
			i = ecfr_add_node(p, ECFR_EXCEPTIONS, path,
			    doc->nodes[p->eccn_node].cite,
			    "List Based License Exceptions",
			    "List Based License Exceptions", NULL, line) + 1;
		{
			char	*l;

			xasprintf(&l, "%s: %s", label, rest);
			ecfr_node_append(p, i - 1, l);
			free(l);
		}
		p->last_node = i - 1;
		p->last_exc = true;
		free(path);
		return;
	}
	xasprintf(&path, "%s %s", p->eccn, label);
	p->last_node = ecfr_add_node(p, ECFR_FIELD, path,
	    doc->nodes[p->eccn_node].cite, label, label, rest, line);
	free(path);
}

/* A section heading inside an entry ("List of Items Controlled"). */
static void
ecfr_entry_sect(struct ecfr_parser *p, const char *t)
{
	if (ecfr_prefix(t, "License Requirements"))
		p->sect = SECT_LICREQ;
	else if (ecfr_prefix(t, "List Based") || ecfr_prefix(t, "List-Based"))
		p->sect = SECT_EXC;
	else if (ecfr_prefix(t, "List of Items") || ecfr_prefix(t, "Special"))
		p->sect = SECT_ITEMS;
}

/* --- notes --- */

/* Begin a NOTE: "Note 1 to 3A090.a:", "Technical Notes:", "Note:". */
static void
ecfr_note_head(struct ecfr_parser *p, const char *hed)
{
	char	*h = xmlsafe_trim(hed), *to, *c;
	size_t	 n;

	for (c = h; *c != '\0'; c++)
		if (*c == '\n')
			*c = ' ';
	n = strlen(h);
	while (n > 0 && (h[n - 1] == ':' || h[n - 1] == '.' || h[n - 1] == ' '))
		h[--n] = '\0';
	free(p->note_name);
	free(p->note_target);
	p->note_target = NULL;
	p->note_node = SIZE_MAX;
	if ((to = strstr(h, " to ")) != NULL) {
		char	*t = to + 4;
		size_t	 tl = strcspn(t, " ,;");

		*to = '\0';
		if (p->eccn != NULL && strncmp(t, p->eccn, 5) == 0)
			p->note_target = xstrndup(t, tl);
		else if (p->eccn != NULL)
			*to = ' ';	/* keep "Note to paragraph a" whole */
	}
	p->note_name = xstrdup(*h != '\0' ? h : "Note");
	n = strlen(p->note_name);
	p->note_plural = n >= 5 && strcmp(p->note_name + n - 5, "Notes") == 0;
	free(h);
	if (p->note_target == NULL && p->eccn != NULL) {
		if (p->last_para != SIZE_MAX && !p->note_plural)
			p->note_target = xstrdup(p->doc->nodes[p->last_para].path);
		else
			p->note_target = xstrdup(p->eccn);
	}
}

/* A P of a NOTE. */
static void
ecfr_note_para(struct ecfr_parser *p, const char *text, int line)
{
	char		*path, *pcite;
	size_t		 n;

	if (p->eccn == NULL) {
		/* notes outside a CCL entry: text of the section */
		if (p->last_node != SIZE_MAX)
			ecfr_node_append(p, p->last_node, text);
		return;
	}
	if (p->note_name == NULL)
		ecfr_note_head(p, "Note");
	xasprintf(&pcite, "%s, %s", p->doc->cite_prefix, p->note_target);
	if (p->note_plural && isdigit((unsigned char)text[0]) &&
	    (n = ecfr_ccl_label(text)) > 0) {
		char	*label = xstrndup(text, n - 1);
		char	*single = xstrndup(p->note_name,
		    strlen(p->note_name) - 1);

		xasprintf(&path, "%s %s %s", p->note_target, single, label);
		p->last_node = ecfr_add_node(p, ECFR_NOTE, path, pcite, label,
		    p->note_name, text, line);
		free(single);
		free(label);
		free(path);
		free(pcite);
		return;
	}
	if (p->note_node == SIZE_MAX || (p->note_plural &&
	    p->last_node != p->note_node)) {
		if (p->note_plural && p->last_node != SIZE_MAX &&
		    p->note_node != SIZE_MAX) {
			/* unnumbered text after a numbered note */
			ecfr_node_append(p, p->last_node, text);
			free(pcite);
			return;
		}
		xasprintf(&path, "%s %s", p->note_target, p->note_name);
		p->note_node = ecfr_add_node(p, ECFR_NOTE, path, pcite,
		    p->note_name, p->note_name, text, line);
		p->last_node = p->note_node;
		free(path);
		free(pcite);
		return;
	}
	ecfr_node_append(p, p->note_node, text);
	free(pcite);
}

/* --- sections (parts other than the CCL) --- */

/* The level of a "(x)" label given the labels open above it. */
static int
ecfr_sect_level(struct ecfr_parser *p, const char *lab, bool italic)
{
	bool	 roman = strspn(lab, "ivxl") == strlen(lab);
	bool	 lower = islower((unsigned char)lab[0]);
	bool	 digit = isdigit((unsigned char)lab[0]);
	bool	 upper = isupper((unsigned char)lab[0]);

	if (italic && digit)
		return 4;
	if (italic && roman)
		return 5;
	if (digit)
		return 1;
	if (upper)
		return 3;
	if (roman && lower && p->plev >= 1) {
		/* "(i)" after "(h)" is a letter, after "(1)" a numeral */
		if (strcmp(lab, "i") == 0 && p->plev >= 0 &&
		    strcmp(p->plab[0], "h") == 0 && p->plev == 1)
			return 0;
		return 2;
	}
	return 0;
}

/* A P of a section: "(a) ...", "(a)(1) ...", or a continuation. */
static void
ecfr_sect_para(struct ecfr_parser *p, const char *text, bool italic,
    int line)
{
	const char	*t = text, *div = ecfr_div_cite(p);
	char		 path[256], pcite[300];
	size_t		 o = 0;
	int		 lev, i;

	if (*t != '(' || p->ndivs == 0 ||
	    p->doc->nodes[p->divs[p->ndivs - 1].node].kind != ECFR_SECTION) {
		if (p->last_node != SIZE_MAX)
			ecfr_node_append(p, p->last_node, text);
		return;
	}
	while (*t == '(') {
		size_t	 n = strcspn(t + 1, ")");
		char	 lab[16];

		if (n == 0 || n >= sizeof lab || t[n + 1] != ')')
			break;
		memcpy(lab, t + 1, n);
		lab[n] = '\0';
		lev = ecfr_sect_level(p, lab, italic && t != text);
		if (lev > p->plev + 1)
			lev = p->plev + 1;
		ecfr_strlcpy(p->plab[lev], lab, sizeof p->plab[lev]);
		p->plev = lev + 1;
		t += n + 2;
		italic = false;
	}
	if (t == text) {
		ecfr_node_append(p, p->last_node, text);
		return;
	}
	/* "15 CFR 740.2" + "(a)(1)" */
	for (i = 0; i < p->plev; i++)
		o += snprintf(path + o, sizeof path - o, "(%s)", p->plab[i]);
	snprintf(pcite, sizeof pcite, "%s", div);
	{
		const char	*sec = div + strlen(p->doc->cite_prefix);
		char		*full;

		while (*sec == ',' || *sec == ' ')
			sec++;
		xasprintf(&full, "%s%s", sec, path);
		p->last_node = ecfr_add_node(p, ECFR_PARAGRAPH, full, pcite,
		    path, NULL, text, line);
		free(full);
	}
}

/* --- the reader --- */

static const char *const ecfr_blocks[] = {
	"HEAD", "HD1", "HD2", "HD3", "P", "FP", "FP-1", "FP-2", "HED", "TH",
	"TD", "AMDPAR", "PSPACE", "EXTRACT", "CITA", "AUTH", "SOURCE",
	"EDNOTE"
};

/* Whether an element name is a block whose text we collect. */
static bool
ecfr_is_block(const char *name)
{
	size_t	 i;

	for (i = 0; i < nitems(ecfr_blocks); i++) {
		if (strcmp(name, ecfr_blocks[i]) == 0)
			return true;
	}
	return false;
}

/* Append text, collapsing white space runs to one space. */
static void
ecfr_text(void *arg, const char *s)
{
	struct ecfr_parser	*p = arg;
	size_t			 n;

	if (p->block_depth < 0)
		return;
	if (p->sup_depth >= 0 && (p->table_kind == TBL_CHART ||
	    p->table_kind == TBL_ENTITY) && p->table_depth >= 0) {
		/* a footnote mark in a list table */
		if (p->nfoot < ECFR_MAX_FOOT && isdigit((unsigned char)*s))
			p->foot[p->nfoot++] = atoi(s);
		return;
	}
	while (*s != '\0') {
		/* a run without white space goes as it is */
		if ((n = strcspn(s, " \t\n\r")) > 0) {
			sbuf_add(&p->text, s, n);
			if (p->lead_depth >= 0)
				sbuf_add(&p->lead, s, n);
			s += n;
			continue;
		}
		s++;
		if (p->text.len == 0 || p->text.s[p->text.len - 1] == ' ' ||
		    p->text.s[p->text.len - 1] == '\n' ||
		    p->text.s[p->text.len - 1] == '^')
			continue;
		sbuf_add(&p->text, " ", 1);
		if (p->lead_depth >= 0)
			sbuf_add(&p->lead, " ", 1);
	}
}

/* Set the document's scope and citation prefix from the root DIV. */
static void
ecfr_set_scope(struct ecfr_parser *p, int level, const char *n,
    const char *meta)
{
	struct ecfr_doc	*doc = p->doc;
	const char	*on;
	int		 supp, part;

	if (level == 9 && sscanf(n, "Supplement No. %d to Part %d", &supp,
	    &part) == 2) {
		xasprintf(&doc->scope, "%d Supp. %d", part, supp);
	} else if (level == 8 && strncmp(n, "\xc2\xa7 ", 3) == 0)
		doc->scope = xstrdup(n + 3);
	else if (level == 1)
		xasprintf(&doc->scope, "title %s", n);
	else
		doc->scope = xstrdup(n);
	if (level == 1)
		doc->cite_prefix = xstrdup("15 CFR");
	else
		xasprintf(&doc->cite_prefix, "15 CFR %s", doc->scope);
	/* "/on/2026-07-23/title-15/..." (the API's own file carries a date) */
	if (doc->date == NULL && meta != NULL &&
	    (on = strstr(meta, "/on/")) != NULL) {
		char	 d[11];
		ear_date e;

		memcpy(d, on + 4, 10);
		d[10] = '\0';
		if (strlen(on) >= 14 && date_parse(d, &e) == 0)
			doc->date = xstrdup(d);
	}
}

/* The cite of a DIV nested in the document. */
static char *
ecfr_div_make_cite(struct ecfr_parser *p, int level, const char *n)
{
	int	 supp, part;
	char	*c;

	if (level == 9 && sscanf(n, "Supplement No. %d to Part %d", &supp,
	    &part) == 2)
		xasprintf(&c, "15 CFR %d Supp. %d", part, supp);
	else if (level == 8 && strncmp(n, "\xc2\xa7 ", 3) == 0)
		xasprintf(&c, "15 CFR %s", n + 3);
	else if (level == 5)
		xasprintf(&c, "15 CFR %s", n);
	else
		xasprintf(&c, "%s, %s", ecfr_div_cite(p), n);
	return c;
}

/* An opening DIVn. */
static void
ecfr_div_start(struct ecfr_parser *p, int level, int depth, int line)
{
	xmlChar		*n = xmlTextReaderGetAttribute(p->r, BAD_CAST "N");
	xmlChar		*meta = xmlTextReaderGetAttribute(p->r,
			    BAD_CAST "hierarchy_metadata");
	const char	*ns = n != NULL ? (const char *)n : "";
	struct ecfr_div	*d;
	enum ecfr_kind	 kind;
	char		*cite, *path;
	const char	*prefix;

	if (p->ndivs == ECFR_MAX_DEPTH) {
		ecfr_fail(p, line, "DIV elements nested too deeply");
		goto out;
	}
	if (p->doc->scope == NULL)
		ecfr_set_scope(p, level, ns, (const char *)meta);
	ecfr_entry_end(p);
	d = &p->divs[p->ndivs];
	memset(d, 0, sizeof *d);
	d->depth = depth;
	d->level = level;
	if (p->ndivs == 0)
		cite = xstrdup(p->doc->cite_prefix);
	else
		cite = ecfr_div_make_cite(p, level, ns);
	d->cite = cite;
	d->ccl = strstr(ns, "to Part 774") != NULL &&
	    strstr(ns, "Supplement No. 1 ") != NULL;
	if (strstr(ns, "Supplement No. 1 to Part 740") != NULL)
		d->tables = TBL_GROUPS;
	else if (strstr(ns, "Supplement No. 1 to Part 738") != NULL)
		d->tables = TBL_CHART;
	else if (strstr(ns, "Supplement No. 4 to Part 744") != NULL)
		d->tables = TBL_ENTITY;
	else
		d->tables = p->ndivs > 0 ? p->divs[p->ndivs - 1].tables :
		    TBL_TEXT;
	switch (level) {
	case 5:
		kind = ECFR_PART;
		break;
	case 6:
		kind = ECFR_SUBPART;
		break;
	case 8:
		kind = ECFR_SECTION;
		break;
	case 9:
		kind = ECFR_APPENDIX;
		break;
	default:
		kind = ECFR_HEADING;
		break;
	}
	prefix = p->doc->cite_prefix;
	if (strncmp(cite, prefix, strlen(prefix)) == 0) {
		path = xstrdup(cite + strlen(prefix));
		if (*path == ',' || *path == ' ') {
			char	*q = path;

			while (*q == ',' || *q == ' ')
				q++;
			memmove(path, q, strlen(q) + 1);
		}
	} else
		path = xstrdup(cite + 7);	/* after "15 CFR " */
	d->node = ecfr_add_node(p, kind, path, p->ndivs > 0 ?
	    p->divs[p->ndivs - 1].cite : NULL, ns, NULL, NULL, line);
	p->last_node = d->node;
	p->plev = 0;
	p->ndivs++;
	free(path);
out:
	xmlFree(n);
	xmlFree(meta);
}

/* A finished block: route its text to the entry, note, table or section. */
static void
ecfr_block(struct ecfr_parser *p)
{
	char		*text = xmlsafe_trim(sbuf_str(&p->text));
	char		*lead = xmlsafe_trim(sbuf_str(&p->lead));
	const char	*tag = p->block_tag;
	int		 line = p->block_line;

	/* table cells */
	if (p->table_depth >= 0 && (strcmp(tag, "TD") == 0 ||
	    strcmp(tag, "TH") == 0)) {
		if (p->ncells < ECFR_MAX_CELLS) {
			struct ecfr_cell *c = &p->cells[p->ncells++];

			c->text = text;
			c->span = p->block_span;
			c->head = strcmp(tag, "TH") == 0;
			memcpy(c->foot, p->foot, sizeof c->foot);
			c->nfoot = p->nfoot;
			text = NULL;
		}
		goto out;
	}
	if (strcmp(tag, "HEAD") == 0) {
		if (p->ndivs > 0) {
			struct ecfr_node *n = &p->doc->nodes[
			    p->divs[p->ndivs - 1].node];

			for (char *c = text; *c != '\0'; c++)
				if (*c == '\n')
					*c = ' ';
			free(n->heading);
			n->heading = xstrdup(text);
			if (p->ndivs == 1 && p->doc->heading == NULL)
				p->doc->heading = xstrdup(text);
		}
		goto out;
	}
	if (p->note_depth >= 0) {
		if (strcmp(tag, "HED") == 0)
			ecfr_note_head(p, text);
		else
			ecfr_note_para(p, text, line);
		goto out;
	}
	if (!ecfr_in_ccl(p)) {
		if (strcmp(tag, "P") == 0 || strcmp(tag, "FP") == 0)
			ecfr_sect_para(p, text, strcmp(p->lead_tag, "I") == 0 &&
			    strncmp(text, lead, strlen(lead)) == 0 &&
			    *lead == '(', line);
		else if (p->last_node != SIZE_MAX)
			ecfr_node_append(p, p->last_node, text);
		goto out;
	}
	/* the Commerce Control List */
	if (strcmp(tag, "FP-2") == 0 && strcmp(p->lead_tag, "B") == 0 &&
	    ecfr_is_eccn(text)) {
		ecfr_entry_start(p, text, line);
		goto out;
	}
	if (strncmp(tag, "HD", 2) == 0) {
		if (p->eccn != NULL && (ecfr_prefix(text, "List") ||
		    ecfr_prefix(text, "License Requirements") ||
		    ecfr_prefix(text, "Special"))) {
			ecfr_entry_sect(p, text);
			goto out;
		}
		ecfr_entry_end(p);
		if (ecfr_prefix(text, "Category ")) {
			char	 path[32];
			int	 cat;

			if (sscanf(text, "Category %d", &cat) == 1)
				snprintf(path, sizeof path, "Category %d", cat);
			else
				snprintf(path, sizeof path, "Category");
			p->last_node = ecfr_add_node(p, ECFR_HEADING, path,
			    ecfr_div_cite(p), NULL, text, NULL, line);
		}
		goto out;
	}
	if (p->eccn == NULL) {
		if (p->last_node != SIZE_MAX)
			ecfr_node_append(p, p->last_node, text);
		goto out;
	}
	if (*lead != '\0' && strncmp(text, lead, strlen(lead)) == 0 &&
	    strncmp(p->lead_tag, "E", 1) == 0 && strcmp(tag, "P") != 0) {
		ecfr_entry_sect(p, lead);
		goto out;
	}
	if (*lead != '\0' && strcmp(p->lead_tag, "I") == 0 &&
	    lead[strlen(lead) - 1] == ':' &&
	    strncmp(text, lead, strlen(lead)) == 0) {
		char	*label = xstrndup(lead, strlen(lead) - 1);
		char	*rest = xmlsafe_trim(text + strlen(lead));

		ecfr_entry_field(p, label, rest, line);
		free(rest);
		free(label);
		goto out;
	}
	if (strcmp(tag, "P") == 0 || (p->sect == SECT_ITEMS &&
	    ecfr_ccl_label(text) > 0)) {
		ecfr_entry_para(p, text, line);
		goto out;
	}
	if (p->last_exc && p->doc->nexceptions > 0) {
		struct ecfr_exception *x =
		    &p->doc->exceptions[p->doc->nexceptions - 1];
		char	*s;

		xasprintf(&s, "%s\n%s", x->text, text);
		free(x->text);
		x->text = s;
	}
	if (p->last_node != SIZE_MAX)
		ecfr_node_append(p, p->last_node, text);
out:
	free(text);
	free(lead);
}

/* An element opens. */
static void
ecfr_start(void *arg, const char *name, int depth, int line)
{
	struct ecfr_parser	*p = arg;

	if (depth >= ECFR_MAX_DEPTH) {
		ecfr_fail(p, line, "elements nested too deeply (%d levels)",
		    depth);
		return;
	}
	if (strncmp(name, "DIV", 3) == 0 && isdigit((unsigned char)name[3]) &&
	    name[4] == '\0') {
		ecfr_div_start(p, name[3] - '0', depth, line);
		return;
	}
	if (p->doc->scope == NULL) {
		ecfr_fail(p, line, "document root is <%s>, not an eCFR DIV",
		    name);
		return;
	}
	if (strcmp(name, "NOTE") == 0 || strcmp(name, "EXTRACT") == 0) {
		if (strcmp(name, "NOTE") == 0 && p->note_depth < 0) {
			p->note_depth = depth;
			free(p->note_name);
			p->note_name = NULL;
			p->note_node = SIZE_MAX;
		}
		return;
	}
	if (strcmp(name, "TABLE") == 0) {
		if (p->table_depth < 0) {
			p->table_depth = depth;
			p->table_kind = p->ndivs > 0 ?
			    p->divs[p->ndivs - 1].tables : TBL_TEXT;
			p->nrows = 0;
			free(p->inherit_country);
			p->inherit_country = NULL;
		}
		return;
	}
	if (strcmp(name, "THEAD") == 0) {
		p->in_thead = true;
		return;
	}
	if (strcmp(name, "TR") == 0) {
		ecfr_row_clear(p);
		p->row_line = line;
		return;
	}
	if (p->block_depth >= 0) {
		/* inline markup inside a block */
		if (strcmp(name, "br") == 0 || strcmp(name, "BR") == 0) {
			if (p->text.len > 0 &&
			    p->text.s[p->text.len - 1] == ' ')
				p->text.len--;
			sbuf_add(&p->text, "\n", 1);
			return;
		}
		if (strcmp(name, "SU") == 0 || (strcmp(name, "E") == 0 &&
		    xmlTextReaderHasAttributes(p->r) == 1)) {
			xmlChar	*t = xmlTextReaderGetAttribute(p->r,
			    BAD_CAST "T");
			bool	 sup = strcmp(name, "SU") == 0 ||
			    (t != NULL && strcmp((char *)t, "53") == 0);

			if (sup && p->sup_depth < 0) {
				p->sup_depth = depth;
				if (!((p->table_kind == TBL_CHART ||
				    p->table_kind == TBL_ENTITY) &&
				    p->table_depth >= 0)) {
					while (p->text.len > 0 &&
					    p->text.s[p->text.len - 1] == ' ')
						p->text.len--;
					sbuf_add(&p->text, "^", 1);
				}
			}
			if (!sup && p->lead_depth < 0 && !p->lead_done &&
			    p->text.len == 0) {
				p->lead_depth = depth;
				snprintf(p->lead_tag, sizeof p->lead_tag,
				    "E%s", t != NULL ? (char *)t : "");
			}
			xmlFree(t);
			return;
		}
		if ((strcmp(name, "I") == 0 || strcmp(name, "B") == 0) &&
		    p->lead_depth < 0 && !p->lead_done) {
			size_t	 i;

			for (i = 0; i < p->text.len; i++) {
				if (!isspace((unsigned char)p->text.s[i]))
					break;
			}
			if (i == p->text.len) {
				p->lead_depth = depth;
				ecfr_strlcpy(p->lead_tag, name, sizeof p->lead_tag);
			}
		}
		return;
	}
	if (ecfr_is_block(name)) {
		xmlChar	*span = xmlTextReaderGetAttribute(p->r,
		    BAD_CAST "colspan");

		p->block_depth = depth;
		ecfr_strlcpy(p->block_tag, name, sizeof p->block_tag);
		p->block_line = line;
		p->block_span = span != NULL ? atoi((char *)span) : 1;
		if (p->block_span < 1 || p->block_span > ECFR_MAX_CELLS)
			p->block_span = 1;
		xmlFree(span);
		sbuf_reset(&p->text);
		sbuf_reset(&p->lead);
		p->lead_tag[0] = '\0';
		p->lead_depth = -1;
		p->lead_done = false;
		p->sup_depth = -1;
		p->nfoot = 0;
	}
}

/* An element closes. */
static void
ecfr_end(void *arg, const char *name, int depth)
{
	struct ecfr_parser	*p = arg;

	if (p->block_depth >= 0) {
		if (depth == p->sup_depth)
			p->sup_depth = -1;
		if (depth == p->lead_depth) {
			p->lead_depth = -1;
			p->lead_done = true;
		}
		if (depth == p->block_depth) {
			p->block_depth = -1;
			ecfr_block(p);
		}
		return;
	}
	if (strcmp(name, "TR") == 0 && p->table_depth >= 0) {
		ecfr_table_row(p);
		ecfr_row_clear(p);
		return;
	}
	if (strcmp(name, "THEAD") == 0) {
		p->in_thead = false;
		return;
	}
	if (depth == p->table_depth) {
		p->table_depth = -1;
		p->table_kind = TBL_TEXT;
		return;
	}
	if (depth == p->note_depth) {
		p->note_depth = -1;
		free(p->note_name);
		free(p->note_target);
		p->note_name = p->note_target = NULL;
		p->note_node = SIZE_MAX;
		return;
	}
	if (p->ndivs > 0 && depth == p->divs[p->ndivs - 1].depth) {
		ecfr_entry_end(p);
		free(p->divs[p->ndivs - 1].cite);
		p->ndivs--;
		p->last_node = p->ndivs > 0 ? p->divs[p->ndivs - 1].node :
		    SIZE_MAX;
	}
}

/* ecfr_fail() for xmlsafe_read(). */
static void
ecfr_fail_msg(void *arg, int line, const char *msg)
{
	ecfr_fail(arg, line, "%s", msg);
}

/* Whether the parse has failed (the reader loop stops). */
static bool
ecfr_failed(void *arg)
{
	return ((struct ecfr_parser *)arg)->error != NULL;
}

static const struct xmlsafe_ops ecfr_ops = {
	"eCFR XML", true, ecfr_start, ecfr_end, ecfr_text, ecfr_fail_msg,
	ecfr_failed
};

/* Run the reader over the whole input. */
static struct ecfr_doc *
ecfr_parse(xmlTextReaderPtr r, const char *name, const char *date,
    char **cause)
{
	struct ecfr_parser	 p;
	int			 i;
	size_t			 k;
	ear_date		 d;

	memset(&p, 0, sizeof p);
	p.doc = xcalloc(1, sizeof *p.doc);
	p.r = r;
	p.block_depth = p.note_depth = p.table_depth = -1;
	p.lead_depth = p.sup_depth = -1;
	p.last_node = p.last_para = p.note_node = SIZE_MAX;
	if (date != NULL) {
		if (date_parse(date, &d) != 0) {
			xasprintf(cause, "invalid eCFR date \"%s\"", date);
			free(p.doc);
			xmlFreeTextReader(r);
			return NULL;
		}
		p.doc->date = xstrdup(date);
	}
	p.cites = json_object();
	xmlsafe_read(r, &ecfr_ops, &p);
	json_decref(p.cites);
	p.cites = NULL;
	if (p.error == NULL && p.doc->scope == NULL)
		ecfr_fail(&p, 1, "no eCFR DIV element found");
	if (p.error == NULL && p.ndivs != 0)
		ecfr_fail(&p, xmlTextReaderGetParserLineNumber(r),
		    "document ends inside <DIV%d>", p.divs[0].level);
	if (p.error == NULL && p.doc->date == NULL)
		ecfr_fail(&p, 1, "the file names no eCFR date; pass --date");
	xmlFreeTextReader(r);

	ecfr_row_clear(&p);
	for (k = 0; k < p.nhdr; k++) {
		free(p.hdr[k]);
		free(p.groups[k]);
	}
	for (k = 0; k < p.ndivs; k++)
		free(p.divs[k].cite);
	free(p.text.s);
	free(p.lead.s);
	free(p.eccn);
	free(p.note_name);
	free(p.note_target);
	free(p.inherit_country);
	if (p.error != NULL) {
		i = p.error_line;
		xasprintf(cause, "%s:%d: %s", name, i, p.error);
		free(p.error);
		ecfr_free(p.doc);
		return NULL;
	}
	return p.doc;
}

/* Parse an eCFR file (streamed from disk). */
struct ecfr_doc *
ecfr_parse_file(const char *path, const char *date, char **cause)
{
	xmlTextReaderPtr	 r;

	if ((r = xmlsafe_open_file(path, cause)) == NULL)
		return NULL;
	return ecfr_parse(r, path, date, cause);
}

/* Parse an eCFR document held in memory. */
struct ecfr_doc *
ecfr_parse_memory(const char *buf, size_t len, const char *date,
    char **cause)
{
	xmlTextReaderPtr	 r;

	if ((r = xmlsafe_open_memory(buf, len, cause)) == NULL)
		return NULL;
	return ecfr_parse(r, "input", date, cause);
}

/* Free a parsed document. */
void
ecfr_free(struct ecfr_doc *doc)
{
	size_t	 i, j;

	if (doc == NULL)
		return;
	for (i = 0; i < doc->nnodes; i++) {
		struct ecfr_node *n = &doc->nodes[i];

		free(n->cite);
		free(n->path);
		free(n->parent);
		free(n->eccn);
		free(n->label);
		free(n->heading);
		free(n->body);
	}
	free(doc->nodes);
	for (i = 0; i < doc->ncontrols; i++) {
		free(doc->controls[i].eccn);
		free(doc->controls[i].reason);
		free(doc->controls[i].applies);
		free(doc->controls[i].requirement);
	}
	free(doc->controls);
	for (i = 0; i < doc->nexceptions; i++) {
		free(doc->exceptions[i].eccn);
		free(doc->exceptions[i].code);
		free(doc->exceptions[i].text);
	}
	free(doc->exceptions);
	for (i = 0; i < doc->ngroups; i++) {
		free(doc->groups[i].group);
		free(doc->groups[i].country_name);
		free(doc->groups[i].country);
	}
	free(doc->groups);
	for (i = 0; i < doc->nchart; i++) {
		struct ecfr_chart_row *c = &doc->chart[i];

		free(c->country_name);
		free(c->country);
		for (j = 0; j < c->nmarks; j++)
			free(c->marks[j]);
		free(c->marks);
		free(c->footnotes);
		free(c->pointer);
	}
	free(doc->chart);
	for (i = 0; i < doc->nchart_columns; i++)
		free(doc->chart_columns[i]);
	free(doc->chart_columns);
	for (i = 0; i < doc->nentities; i++)
		ecfr_entity_clear(&doc->entities[i]);
	free(doc->entities);
	free(doc->scope);
	free(doc->cite_prefix);
	free(doc->date);
	free(doc->heading);
	free(doc);
}

/* --- storage --- */

/* Hex SHA-256 of a buffer. */
static void
ecfr_sha256_hex(const void *buf, size_t len, char out[65])
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0, i;

	EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL);
	for (i = 0; i < mdlen && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[64] = '\0';
}

/* Hex SHA-256 of a file's bytes; -1 if it cannot be read. */
static int
ecfr_sha256_file(const char *path, char out[65], char **cause)
{
	EVP_MD_CTX	*ctx;
	unsigned char	 md[EVP_MAX_MD_SIZE], buf[65536];
	unsigned int	 mdlen = 0, i;
	size_t		 n;
	FILE		*f;

	if ((f = fopen(path, "rb")) == NULL) {
		xasprintf(cause, "could not open file \"%s\": %s", path,
		    strerror(errno));
		return -1;
	}
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		fatalx("out of memory");
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		EVP_DigestUpdate(ctx, buf, n);
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	fclose(f);
	for (i = 0; i < mdlen && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[64] = '\0';
	return 0;
}

/* Run one statement; on failure set *cause from the server's message. */
static int
ecfr_exec(PGconn *conn, const char *sql, int n, const char *const *params,
    char **cause)
{
	PGresult	*res;
	int		 st;

	res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
	st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		const char *m = PQresultErrorMessage(res);

		const char *dt = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);

		xasprintf(cause, "database error: %.*s%s%s",
		    (int)strcspn(m, "\n"), m, dt != NULL ? ": " : "",
		    dt != NULL ? dt : "");
		PQclear(res);
		return -1;
	}
	PQclear(res);
	return 0;
}

/* Append a field in COPY text format; NULL is \N. */
static void
copy_field(struct sbuf *b, const char *s, bool last)
{
	size_t	 n;

	if (s == NULL)
		sbuf_add(b, "\\N", 2);
	while (s != NULL) {
		/* runs without a byte to escape are copied whole */
		n = strcspn(s, "\\\t\n\r");
		sbuf_add(b, s, n);
		s += n;
		if (*s == '\0')
			break;
		switch (*s) {
		case '\\':
			sbuf_add(b, "\\\\", 2);
			break;
		case '\t':
			sbuf_add(b, "\\t", 2);
			break;
		case '\n':
			sbuf_add(b, "\\n", 2);
			break;
		default:
			sbuf_add(b, "\\r", 2);
			break;
		}
		s++;
	}
	sbuf_add(b, last ? "\n" : "\t", 1);
}

/* A text[] literal {"a","b"} for COPY. */
static void
copy_strv(struct sbuf *b, char *const *v, size_t n, bool last)
{
	struct sbuf	 a = { NULL, 0, 0 };
	size_t		 i;

	sbuf_add(&a, "{", 1);
	for (i = 0; i < n; i++) {
		const char *s;

		if (i > 0)
			sbuf_add(&a, ",", 1);
		sbuf_add(&a, "\"", 1);
		for (s = v[i]; *s != '\0'; s++) {
			if (*s == '"' || *s == '\\')
				sbuf_add(&a, "\\", 1);
			sbuf_add(&a, s, 1);
		}
		sbuf_add(&a, "\"", 1);
	}
	sbuf_add(&a, "}", 1);
	copy_field(b, a.s, last);
	free(a.s);
}

/* An integer[] literal for COPY. */
static void
copy_intv(struct sbuf *b, const int *v, size_t n, bool last)
{
	struct sbuf	 a = { NULL, 0, 0 };
	char		 num[16];
	size_t		 i;

	sbuf_add(&a, "{", 1);
	for (i = 0; i < n; i++) {
		snprintf(num, sizeof num, "%s%d", i ? "," : "", v[i]);
		sbuf_add(&a, num, strlen(num));
	}
	sbuf_add(&a, "}", 1);
	copy_field(b, a.s, last);
	free(a.s);
}

/* Send rows in COPY text format. */
static int
ecfr_copy(PGconn *conn, const char *sql, const struct sbuf *data,
    char **cause)
{
	PGresult	*res;
	int		 ok;

	res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		xasprintf(cause, "database error: %s",
		    PQresultErrorMessage(res));
		PQclear(res);
		return -1;
	}
	PQclear(res);
	ok = PQputCopyData(conn, sbuf_str(data), (int)data->len) == 1;
	if (PQputCopyEnd(conn, ok ? NULL : "client error") != 1)
		ok = 0;
	while ((res = PQgetResult(conn)) != NULL) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK && ok) {
			const char *m = PQresultErrorMessage(res);

			xasprintf(cause, "database error: %.*s",
			    (int)strcspn(m, "\n"), m);
			ok = 0;
		}
		PQclear(res);
	}
	if (!ok && *cause == NULL)
		xasprintf(cause, "COPY failed: %s", PQerrorMessage(conn));
	return ok ? 0 : -1;
}

/* Whether a table of another migration exists (party model). */
static bool
ecfr_table_exists(PGconn *conn, const char *name)
{
	const char	*params[1] = { name };
	PGresult	*res;
	bool		 yes;

	res = PQexecParams(conn, "SELECT to_regclass($1) IS NOT NULL", 1,
	    NULL, params, NULL, NULL, 0);
	yes = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
	    strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return yes;
}

/* The party model's JSON of one entity (raw column and content hash). */
static json_t *
ecfr_entity_json(const struct ecfr_entity *e)
{
	json_t	*o = json_object(), *a;
	size_t	 i;

	json_object_set_new(o, "name", json_string(e->name));
	json_object_set_new(o, "country_name", json_string(e->country_name));
	json_object_set_new(o, "country", e->country ? json_string(e->country) :
	    json_null());
	a = json_array();
	for (i = 0; i < e->naliases; i++)
		json_array_append_new(a, json_string(e->aliases[i]));
	json_object_set_new(o, "alt_names", a);
	a = json_array();
	for (i = 0; i < e->naddresses; i++)
		json_array_append_new(a, json_string(e->addresses[i]));
	json_object_set_new(o, "addresses", a);
	json_object_set_new(o, "license_requirement",
	    e->license_requirement ? json_string(e->license_requirement) :
	    json_null());
	json_object_set_new(o, "license_policy", e->review_policy ?
	    json_string(e->review_policy) : json_null());
	a = json_array();
	for (i = 0; i < e->nfr_citations; i++)
		json_array_append_new(a, json_string(e->fr_citations[i]));
	json_object_set_new(o, "federal_register_notices", a);
	a = json_array();
	for (i = 0; i < e->nfootnotes; i++)
		json_array_append_new(a, json_integer(e->footnotes[i]));
	json_object_set_new(o, "footnotes", a);
	return o;
}

/*
 * Insert entities as parties of list version vid (030_parties), in one
 * COPY. entry_id is "EL:" and 16 hex digits of sha256(lower(name) "|"
 * country).
 */
int
ecfr_insert_parties(PGconn *conn, const char *vid,
    const struct ecfr_entity *ents, size_t n, char **cause)
{
	struct sbuf	 b = { NULL, 0, 0 };
	char		(*ids)[40], *err = NULL;
	size_t		 i, j;
	int		 rc;

	if (n == 0)
		return 0;
	ids = xreallocarray(NULL, n, sizeof *ids);
	for (i = 0; i < n; i++) {
		const struct ecfr_entity *e = &ents[i];
		json_t	*raw = ecfr_entity_json(e), *addr;
		char	*key, *rawtxt, *addrtxt, *fr, hash[65], chash[65];
		int	 k = 2;

		xasprintf(&key, "%s|%s", e->name, e->country ? e->country : "");
		for (char *c = key; *c != '\0'; c++)
			*c = tolower((unsigned char)*c);
		ecfr_sha256_hex(key, strlen(key), hash);
		snprintf(ids[i], sizeof ids[i], "EL:%.16s", hash);
		for (j = 0; j < i; j++) {
			if (strcmp(ids[j], ids[i]) == 0) {
				snprintf(ids[i], sizeof ids[i], "EL:%.16s:%d",
				    hash, k++);
				j = (size_t)-1;
			}
		}
		rawtxt = json_dumps(raw, JSON_COMPACT | JSON_SORT_KEYS);
		ecfr_sha256_hex(rawtxt, strlen(rawtxt), chash);
		addr = json_array();
		for (j = 0; j < e->naddresses; j++) {
			json_array_append_new(addr, json_pack("{s:s,s:s?}",
			    "address", e->addresses[j], "country",
			    e->country));
		}
		addrtxt = json_dumps(addr, JSON_COMPACT);
		{
			struct sbuf f = { NULL, 0, 0 };

			for (j = 0; j < e->nfr_citations; j++) {
				if (j > 0)
					sbuf_add(&f, "; ", 2);
				sbuf_add(&f, e->fr_citations[j],
				    strlen(e->fr_citations[j]));
			}
			fr = f.s;	/* NULL when there are none */
		}
		copy_field(&b, vid, false);
		copy_field(&b, ids[i], false);
		copy_field(&b, chash, false);
		copy_field(&b, "EL", false);
		copy_field(&b, "Entity List (EL) - Bureau of Industry and "
		    "Security", false);
		copy_field(&b, e->name, false);
		copy_strv(&b, e->aliases, e->naliases, false);
		copy_strv(&b, &e->country, e->country != NULL &&
		    *e->country != '\0' ? 1 : 0, false);
		copy_field(&b, addrtxt, false);
		copy_field(&b, "Entity", false);
		copy_field(&b, e->license_requirement, false);
		copy_field(&b, e->review_policy, false);
		copy_field(&b, fr != NULL && *fr != '\0' ? fr : NULL, false);
		copy_field(&b, rawtxt, true);
		free(key);
		free(rawtxt);
		free(addrtxt);
		free(fr);
		json_decref(addr);
		json_decref(raw);
	}
	free(ids);
	rc = ecfr_copy(conn, "COPY parties (list_version, entry_id,"
	    " content_hash, list, source, name, alt_names, countries,"
	    " addresses, type, license_requirement, license_policy,"
	    " federal_register_notice, raw) FROM STDIN", &b, &err);
	free(b.s);
	if (rc != 0)
		*cause = err;
	return rc;
}

/*
 * The Entity List of an eCFR file as a new "entity_list" version of the
 * party model; the same file again only re-activates its version.
 */
static int
ecfr_store_parties(PGconn *conn, const struct ecfr_doc *doc,
    const char *source_file, const char *sha256, char **cause)
{
	const char	*params[5];
	char		 counts[64];
	PGresult	*res;
	char		*vid;
	int		 rc;

	if (!ecfr_table_exists(conn, "parties"))
		return 0;
	params[0] = sha256;
	if (ecfr_exec(conn, "UPDATE list_versions SET activated_at = now()"
	    " WHERE kind = 'entity_list' AND sha256 = $1", 1, params,
	    cause) != 0)
		return -1;
	snprintf(counts, sizeof counts, "{\"EL\": %zu}", doc->nentities);
	params[0] = source_file;
	params[1] = sha256;
	params[2] = doc->date;
	params[3] = counts;
	res = PQexecParams(conn, "INSERT INTO list_versions (kind, source_file,"
	    " sha256, data_date, counts) VALUES ('entity_list', $1, $2, $3,"
	    " $4::jsonb) ON CONFLICT (kind, sha256) DO NOTHING RETURNING id",
	    4, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		xasprintf(cause, "database error: %s",
		    PQresultErrorMessage(res));
		PQclear(res);
		return -1;
	}
	if (PQntuples(res) == 0) {	/* known file: re-activated above */
		PQclear(res);
		return 0;
	}
	vid = xstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	rc = ecfr_insert_parties(conn, vid, doc->entities, doc->nentities,
	    cause);
	free(vid);
	return rc;
}

/* Write a parsed document in one transaction. */
int
ecfr_store(PGconn *conn, const struct ecfr_doc *doc, const char *source_file,
    const char *sha256, struct ecfr_stats *stats, char **cause)
{
	struct sbuf	 b = { NULL, 0, 0 };
	const char	*params[6];
	char		 counts[256], ord[32];
	size_t		 i, j;

	*cause = NULL;
	snprintf(counts, sizeof counts, "{\"nodes\": %zu, \"eccns\": %zu, "
	    "\"controls\": %zu, \"exceptions\": %zu, \"groups\": %zu, "
	    "\"chart\": %zu, \"entities\": %zu}", doc->nnodes, doc->neccns,
	    doc->ncontrols, doc->nexceptions, doc->ngroups, doc->nchart,
	    doc->nentities);
	if (ecfr_exec(conn, "BEGIN", 0, NULL, cause) != 0)
		return -1;
	params[0] = doc->scope;
	params[1] = doc->date;
	if (ecfr_exec(conn, "DELETE FROM ecfr_versions WHERE scope = $1 AND"
	    " ecfr_date = $2", 2, params, cause) != 0)
		goto fail;
	params[2] = doc->heading;
	params[3] = source_file;
	params[4] = sha256;
	params[5] = counts;
	if (ecfr_exec(conn, "INSERT INTO ecfr_versions (scope, ecfr_date,"
	    " heading, source_file, sha256, counts) VALUES ($1, $2, $3, $4,"
	    " $5, $6::jsonb)", 6, params, cause) != 0)
		goto fail;

	for (i = 0; i < doc->nnodes; i++) {
		const struct ecfr_node *n = &doc->nodes[i];
		char	 line[32];

		snprintf(ord, sizeof ord, "%zu", i);
		snprintf(line, sizeof line, "%d", n->line);
		copy_field(&b, doc->scope, false);
		copy_field(&b, doc->date, false);
		copy_field(&b, ord, false);
		copy_field(&b, n->cite, false);
		copy_field(&b, n->path, false);
		copy_field(&b, n->parent, false);
		copy_field(&b, ecfr_kind_name(n->kind), false);
		copy_field(&b, n->eccn, false);
		copy_field(&b, n->label, false);
		copy_field(&b, n->heading, false);
		copy_field(&b, n->body, false);
		copy_field(&b, line, true);
	}
	if (ecfr_copy(conn, "COPY ecfr_text (scope, ecfr_date, ord, cite, path,"
	    " parent, kind, eccn, label, heading, body, line) FROM STDIN",
	    &b, cause) != 0)
		goto fail;

	sbuf_reset(&b);
	for (i = 0; i < doc->ncontrols; i++) {
		const struct ecfr_control *c = &doc->controls[i];

		snprintf(ord, sizeof ord, "%zu", i);
		copy_field(&b, doc->scope, false);
		copy_field(&b, doc->date, false);
		copy_field(&b, c->eccn, false);
		copy_field(&b, ord, false);
		copy_field(&b, c->reason, false);
		copy_field(&b, c->applies, false);
		copy_field(&b, c->requirement, true);
	}
	if (b.len > 0 && ecfr_copy(conn, "COPY ecfr_eccn_controls (scope,"
	    " ecfr_date, eccn, ord, reason, applies, requirement) FROM STDIN",
	    &b, cause) != 0)
		goto fail;

	sbuf_reset(&b);
	for (i = 0; i < doc->nexceptions; i++) {
		const struct ecfr_exception *x = &doc->exceptions[i];

		snprintf(ord, sizeof ord, "%zu", i);
		copy_field(&b, doc->scope, false);
		copy_field(&b, doc->date, false);
		copy_field(&b, x->eccn, false);
		copy_field(&b, ord, false);
		copy_field(&b, x->code, false);
		copy_field(&b, x->text, true);
	}
	if (b.len > 0 && ecfr_copy(conn, "COPY ecfr_eccn_exceptions (scope,"
	    " ecfr_date, eccn, ord, code, text) FROM STDIN", &b, cause) != 0)
		goto fail;

	sbuf_reset(&b);
	for (i = 0; i < doc->ngroups; i++) {
		const struct ecfr_group *g = &doc->groups[i];

		for (j = 0; j < i; j++) {
			if (strcmp(doc->groups[j].group, g->group) == 0 &&
			    strcmp(doc->groups[j].country_name,
			    g->country_name) == 0)
				break;
		}
		if (j < i)
			continue;	/* listed twice */
		copy_field(&b, doc->scope, false);
		copy_field(&b, doc->date, false);
		copy_field(&b, g->group, false);
		copy_field(&b, g->country_name, false);
		copy_field(&b, g->country, true);
	}
	if (b.len > 0 && ecfr_copy(conn, "COPY ecfr_country_groups (scope,"
	    " ecfr_date, grp, country_name, country) FROM STDIN", &b,
	    cause) != 0)
		goto fail;

	sbuf_reset(&b);
	for (i = 0; i < doc->nchart; i++) {
		const struct ecfr_chart_row *c = &doc->chart[i];

		for (j = 0; j < i; j++) {
			if (strcmp(doc->chart[j].country_name,
			    c->country_name) == 0)
				break;
		}
		if (j < i)
			continue;
		copy_field(&b, doc->scope, false);
		copy_field(&b, doc->date, false);
		copy_field(&b, c->country_name, false);
		copy_field(&b, c->country, false);
		copy_strv(&b, c->marks, c->nmarks, false);
		copy_intv(&b, c->footnotes, c->nfootnotes, false);
		copy_field(&b, c->pointer, true);
	}
	if (b.len > 0 && ecfr_copy(conn, "COPY ecfr_chart (scope, ecfr_date,"
	    " country_name, country, marks, footnotes, pointer) FROM STDIN",
	    &b, cause) != 0)
		goto fail;

	sbuf_reset(&b);
	for (i = 0; i < doc->nentities; i++) {
		const struct ecfr_entity *e = &doc->entities[i];

		snprintf(ord, sizeof ord, "%zu", i);
		copy_field(&b, doc->scope, false);
		copy_field(&b, doc->date, false);
		copy_field(&b, ord, false);
		copy_field(&b, e->country_name, false);
		copy_field(&b, e->country, false);
		copy_field(&b, e->name, false);
		copy_strv(&b, e->aliases, e->naliases, false);
		copy_strv(&b, e->addresses, e->naddresses, false);
		copy_field(&b, e->license_requirement, false);
		copy_field(&b, e->review_policy, false);
		copy_strv(&b, e->fr_citations, e->nfr_citations, false);
		copy_intv(&b, e->footnotes, e->nfootnotes, true);
	}
	if (b.len > 0 && ecfr_copy(conn, "COPY ecfr_entities (scope, ecfr_date,"
	    " ord, country_name, country, name, aliases, addresses,"
	    " license_requirement, review_policy, fr_citations, footnotes)"
	    " FROM STDIN", &b, cause) != 0)
		goto fail;
	if (doc->nentities > 0 && ecfr_store_parties(conn, doc, source_file,
	    sha256, cause) != 0)
		goto fail;
	if (doc->nentities > 0 &&
	    ecfr_exec(conn, "NOTIFY lists_changed", 0, NULL, cause) != 0)
		goto fail;
	if (ecfr_exec(conn, "NOTIFY regtext_changed", 0, NULL, cause) != 0 ||
	    ecfr_exec(conn, "COMMIT", 0, NULL, cause) != 0)
		goto fail;
	free(b.s);
	if (stats != NULL) {
		stats->nodes = doc->nnodes;
		stats->eccns = doc->neccns;
		stats->groups = doc->ngroups;
		stats->chart = doc->nchart;
		stats->entities = doc->nentities;
	}
	return 0;
fail:
	free(b.s);
	{
		PGresult *res = PQexec(conn, "ROLLBACK");

		PQclear(res);
	}
	return -1;
}

/* Parse a file and store it: `earctl import ecfr FILE [--date D]`. */
int
ecfr_import_file(PGconn *conn, const char *path, const char *date,
    struct ecfr_stats *stats, char **cause)
{
	struct ecfr_doc	*doc;
	char		 sha[65];
	const char	*base;
	int		 rc;

	if (ecfr_sha256_file(path, sha, cause) != 0)
		return -1;
	if ((doc = ecfr_parse_file(path, date, cause)) == NULL)
		return -1;
	base = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
	rc = ecfr_store(conn, doc, base, sha, stats, cause);
	if (rc == 0)
		log_info("imported eCFR %s as of %s: %zu text nodes, %zu ECCNs, "
		    "%zu group memberships, %zu chart rows, %zu entities",
		    doc->scope, doc->date, doc->nnodes, doc->neccns,
		    doc->ngroups, doc->nchart, doc->nentities);
	ecfr_free(doc);
	return rc;
}
