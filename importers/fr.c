/*
 * fr.c: a Federal Register rule in GPO's FR XML (RULE > PREAMB, SUPLINF >
 * REGTEXT > AMDPAR, GPOTABLE > ROW > ENT), read with xmlTextReader under
 * the same limits as ecfr.c (no network, no entity substitution, no DTD,
 * bounded depth).
 *
 * What is kept: the document (FR citation, document number, RIN, agency,
 * CFR parts, subject, action, the DATES text, publication and effective
 * dates, each AMDPAR) and, for amendments of the Entity List (15 CFR 744
 * Supp. 4), each entity of the amendment's table with the action its
 * AMDPAR names ("by adding", "by revising", "by removing"), effective on
 * the rule's effective date.
 *
 * The citation is not in a single rule's XML: the volume follows from the
 * year (volume 88 is 2023) and the first page is the one before the first
 * PRTPAGE; `earctl import fr --citation` overrides it.
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

#define FR_MAX_DEPTH	128
#define FR_MAX_CELLS	16
#define FR_MAX_FOOT	16

/* An AMDPAR's instruction: under COUNTRY, by adding "NAME". */
struct fr_instr {
	enum fr_action	 action;
	char		*country;
	char		*name;
};

struct fr_cell {
	char	*text;
	int	 foot[FR_MAX_FOOT];
	size_t	 nfoot;
};

struct fr_parser {
	struct fr_doc	*doc;
	xmlTextReaderPtr r;
	char		*error;
	int		 error_line;

	char		 stack[FR_MAX_DEPTH][16];	/* open element names */
	int		 capture_depth;		/* -1: not capturing */
	char		*text;			/* captured text */
	size_t		 len;
	int		 sup_depth;
	int		 foot[FR_MAX_FOOT];
	size_t		 nfoot;
	int		 first_page;
	bool		 in_el_regtext;		/* REGTEXT PART="744" */

	struct fr_cell	 cells[FR_MAX_CELLS];
	size_t		 ncells;
	int		 row_line;
	char		*country;

	struct fr_instr	*instr;
	size_t		 ninstr;
	char		*last_country;
};

/* Record the first error with its line. */
static void
fr_fail(void *arg, int line, const char *msg)
{
	struct fr_parser	*p = arg;

	if (p->error != NULL)
		return;
	p->error = xstrdup(msg);
	p->error_line = line;
}

/* Append text, collapsing white space. */
static void
fr_add_text(struct fr_parser *p, const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		char	 c = s[i];

		if (c == '\r' || c == '\n' || c == '\t')
			c = ' ';
		if (c == ' ' && (p->len == 0 || p->text[p->len - 1] == ' ' ||
		    p->text[p->len - 1] == '\n'))
			continue;
		p->text = xreallocarray(p->text, p->len + 2, 1);
		p->text[p->len++] = c;
		p->text[p->len] = '\0';
	}
}

/* The captured text, trimmed (a new string). */
static char *
fr_take(struct fr_parser *p)
{
	return xmlsafe_trim(p->text != NULL ? p->text : "");
}

/* The name of the element n levels up (0: the current one). */
static const char *
fr_up(struct fr_parser *p, int depth, int n)
{
	if (depth - n < 0 || depth - n >= FR_MAX_DEPTH)
		return "";
	return p->stack[depth - n];
}

static const char *const fr_months[] = {
	"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December"
};

/* The first "Month D, YYYY" in text as YYYY-MM-DD, or NULL. */
static char *
fr_find_date(const char *text, const char *after)
{
	const char	*s = text;
	size_t		 m;
	char		*out;

	if (after != NULL && (s = strcasestr(text, after)) == NULL)
		s = text;
	for (; *s != '\0'; s++) {
		for (m = 0; m < nitems(fr_months); m++) {
			size_t	 ml = strlen(fr_months[m]);
			int	 d, y;

			if (strncmp(s, fr_months[m], ml) != 0 || s[ml] != ' ')
				continue;
			if (sscanf(s + ml, " %d, %d", &d, &y) == 2 && d >= 1 &&
			    d <= 31 && y > 1900 && y < 3000) {
				xasprintf(&out, "%04d-%02zu-%02d", y, m + 1, d);
				return out;
			}
		}
	}
	return NULL;
}

/* "2/27/2023" or "2/27/23" after "AND " in "[INSERT FR PAGE ... AND D]". */
static char *
fr_insert_date(const char *text)
{
	const char	*s = strstr(text, "[INSERT FR PAGE NUMBER AND ");
	int		 m, d, y;
	char		*out;

	if (s == NULL || sscanf(s + 27, "%d/%d/%d", &m, &d, &y) != 3)
		return NULL;
	if (y < 100)
		y += 2000;
	if (m < 1 || m > 12 || d < 1 || d > 31)
		return NULL;
	xasprintf(&out, "%04d-%02d-%02d", y, m, d);
	return out;
}

/* Parse an AMDPAR's instructions: "Under X, by adding ... “A” and “B”". */
static void
fr_amdpar(struct fr_parser *p, const char *text)
{
	const char	*u = strstr(text, "Under "), *by, *s;
	enum fr_action	 action;
	char		*country;

	if (u == NULL || (by = strstr(u, ", by ")) == NULL)
		return;
	country = xstrndup(u + 6, by - (u + 6));
	if (strncmp(by + 5, "revising", 8) == 0)
		action = FR_REVISE;
	else if (strncmp(by + 5, "removing", 8) == 0)
		action = FR_REMOVE;
	else
		action = FR_ADD;
	for (s = by; (s = strstr(s, "\xe2\x80\x9c")) != NULL;) {
		const char	*e = strstr(s + 3, "\xe2\x80\x9d");
		struct fr_instr	*in;
		char		*name, *t;

		if (e == NULL)
			break;
		name = xstrndup(s + 3, e - (s + 3));
		/* trim; a name ends without its closing list comma */
		for (t = name; isspace((unsigned char)*t); t++)
			;
		memmove(name, t, strlen(t) + 1);
		while (*name != '\0' && (isspace((unsigned char)
		    name[strlen(name) - 1]) || name[strlen(name) - 1] == ';'))
			name[strlen(name) - 1] = '\0';
		p->instr = xreallocarray(p->instr, p->ninstr + 1,
		    sizeof *p->instr);
		in = &p->instr[p->ninstr++];
		in->action = action;
		in->country = xstrdup(country);
		in->name = name;
		s = e + 3;
	}
	free(country);
}

/*
 * Whether a cell is empty or only the "* * *" of omitted text (GPO pads
 * these with em spaces, so anything without a letter or digit is blank).
 */
static bool
fr_cell_blank(const char *t)
{
	for (; *t != '\0'; t++) {
		if (isalnum((unsigned char)*t))
			return false;
	}
	return true;
}

/* Add an entity to the document. */
static struct fr_entity *
fr_add_entity(struct fr_parser *p)
{
	struct fr_doc		*doc = p->doc;
	struct fr_entity	*e;

	if (doc->nentities == doc->nalloc[1]) {
		doc->nalloc[1] = doc->nalloc[1] ? doc->nalloc[1] * 2 : 16;
		doc->entities = xreallocarray(doc->entities, doc->nalloc[1],
		    sizeof *doc->entities);
	}
	e = &doc->entities[doc->nentities++];
	memset(e, 0, sizeof *e);
	return e;
}

/* A ROW of an Entity List GPOTABLE. */
static void
fr_row(struct fr_parser *p)
{
	struct fr_entity	*fe;
	struct ecfr_entity	*e;
	size_t			 i, j;

	if (p->ncells == 0)
		return;
	if (!fr_cell_blank(p->cells[0].text) &&
	    strcasecmp(p->cells[0].text, "Country") != 0) {
		free(p->country);
		p->country = xstrdup(p->cells[0].text);
	}
	if (p->ncells < 2 || fr_cell_blank(p->cells[1].text) ||
	    strcasecmp(p->cells[1].text, "Entity") == 0)
		return;
	if (p->ncells == 2 && p->doc->nentities > 0) {
		e = &p->doc->entities[p->doc->nentities - 1].e;
		e->addresses = xreallocarray(e->addresses, e->naddresses + 1,
		    sizeof *e->addresses);
		e->addresses[e->naddresses++] = xstrdup(p->cells[1].text);
		return;
	}
	if (p->country == NULL) {
		fr_fail(p, p->row_line, "entity list row has no country");
		return;
	}
	fe = fr_add_entity(p);
	e = &fe->e;
	e->line = p->row_line;
	e->country_name = xstrdup(p->country);
	if (ecfr_country_code(p->country) != NULL)
		e->country = xstrdup(ecfr_country_code(p->country));
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
	fe->action = FR_ADD;
	for (i = 0; i < p->ninstr; i++) {
		if (strcasecmp(p->instr[i].name, e->name) == 0) {
			fe->action = p->instr[i].action;
			break;
		}
	}
}

/* A captured element closes. */
static void
fr_captured(struct fr_parser *p, const char *name, int depth)
{
	struct fr_doc	*doc = p->doc;
	const char	*parent = fr_up(p, depth, 1);
	char		*t = fr_take(p);
	char		**slot = NULL;

	if (strcmp(name, "ENT") == 0) {
		if (p->ncells < FR_MAX_CELLS) {
			struct fr_cell *c = &p->cells[p->ncells++];

			c->text = t;
			memcpy(c->foot, p->foot, sizeof c->foot);
			c->nfoot = p->nfoot;
			t = NULL;
		}
	} else if (strcmp(name, "AMDPAR") == 0) {
		doc->amendments = xreallocarray(doc->amendments,
		    doc->namendments + 1, sizeof *doc->amendments);
		doc->amendments[doc->namendments++] = xstrdup(t);
		fr_amdpar(p, t);
	} else if (strcmp(name, "AGENCY") == 0)
		slot = &doc->agency;
	else if (strcmp(name, "SUBAGY") == 0)
		slot = &doc->subagency;
	else if (strcmp(name, "CFR") == 0)
		slot = &doc->cfr;
	else if (strcmp(name, "SUBJECT") == 0 &&
	    strcmp(parent, "PREAMB") == 0)
		slot = &doc->subject;
	else if (strcmp(name, "RIN") == 0) {
		if (strncmp(t, "RIN ", 4) == 0)
			memmove(t, t + 4, strlen(t + 4) + 1);
		slot = &doc->rin;
	} else if (strcmp(name, "FRDOC") == 0) {
		const char	*s = strstr(t, "FR Doc. ");

		if (s != NULL && doc->doc_number == NULL)
			doc->doc_number = xstrndup(s + 8, strcspn(s + 8,
			    " ]"));
	} else if (strcmp(name, "P") == 0 && strcmp(parent, "ACT") == 0)
		slot = &doc->action;
	else if (strcmp(name, "P") == 0 && (strcmp(parent, "EFFDATE") == 0 ||
	    strcmp(parent, "DATES") == 0)) {
		if (doc->dates_text != NULL) {
			char	*s;

			xasprintf(&s, "%s %s", doc->dates_text, t);
			free(doc->dates_text);
			doc->dates_text = s;
		} else
			doc->dates_text = xstrdup(t);
	}
	if (slot != NULL && *slot == NULL) {
		*slot = t;
		t = NULL;
	}
	free(t);
}

/* Whether an element's text is captured. */
static bool
fr_captures(struct fr_parser *p, const char *name, int depth)
{
	static const char *const names[] = {
		"AGENCY", "SUBAGY", "CFR", "RIN", "SUBJECT", "FRDOC", "AMDPAR"
	};
	const char	*parent = fr_up(p, depth, 1);
	size_t		 i;

	for (i = 0; i < nitems(names); i++) {
		if (strcmp(name, names[i]) == 0)
			return true;
	}
	if (strcmp(name, "ENT") == 0)
		return p->in_el_regtext;
	return strcmp(name, "P") == 0 && (strcmp(parent, "ACT") == 0 ||
	    strcmp(parent, "EFFDATE") == 0 || strcmp(parent, "DATES") == 0);
}

/* An element opens. */
static void
fr_start(void *arg, const char *name, int depth, int line)
{
	struct fr_parser	*p = arg;

	if (depth >= FR_MAX_DEPTH) {
		fr_fail(p, line, "elements nested too deeply");
		return;
	}
	snprintf(p->stack[depth], sizeof p->stack[depth], "%s", name);
	if (depth == 0 && strcmp(name, "RULE") != 0 &&
	    strcmp(name, "FEDREG") != 0 && strcmp(name, "RULES") != 0) {
		fr_fail(p, line, "document root is not a Federal Register "
		    "RULE");
		return;
	}
	if (strcmp(name, "PRTPAGE") == 0 && p->first_page == 0) {
		xmlChar	*pg = xmlTextReaderGetAttribute(p->r, BAD_CAST "P");

		if (pg != NULL)
			p->first_page = atoi((char *)pg);
		xmlFree(pg);
	}
	if (strcmp(name, "REGTEXT") == 0) {
		xmlChar	*part = xmlTextReaderGetAttribute(p->r, BAD_CAST "PART");

		p->in_el_regtext = part != NULL &&
		    strcmp((char *)part, "744") == 0;
		xmlFree(part);
	}
	if (strcmp(name, "ROW") == 0) {
		size_t	 i;

		for (i = 0; i < p->ncells; i++)
			free(p->cells[i].text);
		p->ncells = 0;
		p->row_line = line;
	}
	if (p->capture_depth >= 0) {
		if (strcmp(name, "LI") == 0) {
			/* a list line: a real line break, not white space */
			while (p->len > 0 && p->text[p->len - 1] == ' ')
				p->len--;
			p->text = xreallocarray(p->text, p->len + 2, 1);
			p->text[p->len++] = '\n';
			p->text[p->len] = '\0';
		} else if (strcmp(name, "SU") == 0 && p->sup_depth < 0)
			p->sup_depth = depth;
		return;
	}
	if (fr_captures(p, name, depth)) {
		p->capture_depth = depth;
		p->len = 0;
		if (p->text != NULL)
			p->text[0] = '\0';
		p->nfoot = 0;
		p->sup_depth = -1;
	}
}

/* An element closes. */
static void
fr_end(void *arg, const char *name, int depth)
{
	struct fr_parser	*p = arg;

	if (depth == p->sup_depth)
		p->sup_depth = -1;
	if (depth == p->capture_depth) {
		p->capture_depth = -1;
		fr_captured(p, name, depth);
		return;
	}
	if (strcmp(name, "ROW") == 0 && p->in_el_regtext) {
		fr_row(p);
		return;
	}
	if (strcmp(name, "REGTEXT") == 0)
		p->in_el_regtext = false;
}

/* Text inside a captured element (footnote marks aside). */
static void
fr_text(void *arg, const char *s)
{
	struct fr_parser	*p = arg;

	if (p->capture_depth < 0)
		return;
	if (p->sup_depth >= 0) {
		if (p->nfoot < FR_MAX_FOOT && isdigit((unsigned char)*s))
			p->foot[p->nfoot++] = atoi(s);
		return;
	}
	fr_add_text(p, s, strlen(s));
}

/* Whether the parse has failed (the reader loop stops). */
static bool
fr_failed(void *arg)
{
	return ((struct fr_parser *)arg)->error != NULL;
}

static const struct xmlsafe_ops fr_ops = {
	"Federal Register XML", false, fr_start, fr_end, fr_text, fr_fail,
	fr_failed
};

/* Fill in what the parse left: dates, citation, removals. */
static void
fr_finish(struct fr_parser *p)
{
	struct fr_doc	*doc = p->doc;
	size_t		 i, j;
	char		*pub = NULL;

	if (doc->dates_text != NULL)
		doc->effective = fr_find_date(doc->dates_text, "effective");
	for (i = 0; i < doc->nentities && pub == NULL; i++) {
		for (j = 0; j < doc->entities[i].e.nfr_citations; j++) {
			if ((pub = fr_insert_date(
			    doc->entities[i].e.fr_citations[j])) != NULL)
				break;
		}
	}
	doc->published = pub;
	if (doc->citation == NULL && p->first_page > 1 && (doc->published ||
	    doc->effective)) {
		int	 year = atoi(doc->published ? doc->published :
		    doc->effective);

		xasprintf(&doc->citation, "%d FR %d", year - 1935,
		    p->first_page - 1);
	}
	/* "[INSERT FR PAGE NUMBER AND 2/27/2023]" -> the citation */
	for (i = 0; i < doc->nentities && doc->citation != NULL; i++) {
		struct ecfr_entity *e = &doc->entities[i].e;

		for (j = 0; j < e->nfr_citations; j++) {
			char	*s = e->fr_citations[j], *ins;
			int	 m, d, y;

			if ((ins = strstr(s, "[INSERT FR PAGE NUMBER AND ")) ==
			    NULL || sscanf(ins + 27, "%d/%d/%d", &m, &d, &y) != 3)
				continue;
			xasprintf(&e->fr_citations[j], "%s, %d/%d/%d",
			    doc->citation, m, d, y % 100);
			free(s);
		}
	}
	/* removals are not in the table: only the AMDPAR names them */
	for (i = 0; i < p->ninstr; i++) {
		struct fr_entity *fe;

		if (p->instr[i].action != FR_REMOVE)
			continue;
		for (j = 0; j < doc->nentities; j++) {
			if (strcasecmp(doc->entities[j].e.name,
			    p->instr[i].name) == 0)
				break;
		}
		if (j < doc->nentities)
			continue;
		fe = fr_add_entity(p);
		fe->action = FR_REMOVE;
		fe->e.name = xstrdup(p->instr[i].name);
		fe->e.country_name = xstrdup(p->instr[i].country);
		if (ecfr_country_code(p->instr[i].country) != NULL)
			fe->e.country = xstrdup(ecfr_country_code(
			    p->instr[i].country));
	}
}

/* Run the reader over the whole rule. */
static struct fr_doc *
fr_parse(xmlTextReaderPtr r, const char *name, char **cause)
{
	struct fr_parser	 p;
	size_t			 i;

	memset(&p, 0, sizeof p);
	p.doc = xcalloc(1, sizeof *p.doc);
	p.r = r;
	p.capture_depth = p.sup_depth = -1;
	xmlsafe_read(r, &fr_ops, &p);
	if (p.error == NULL && p.doc->agency == NULL &&
	    p.doc->subject == NULL)
		fr_fail(&p, 1, "no PREAMB with AGENCY or SUBJECT found");
	if (p.error == NULL)
		fr_finish(&p);
	xmlFreeTextReader(r);
	for (i = 0; i < p.ncells; i++)
		free(p.cells[i].text);
	for (i = 0; i < p.ninstr; i++) {
		free(p.instr[i].country);
		free(p.instr[i].name);
	}
	free(p.instr);
	free(p.text);
	free(p.country);
	free(p.last_country);
	if (p.error != NULL) {
		xasprintf(cause, "%s:%d: %s", name, p.error_line, p.error);
		free(p.error);
		fr_free(p.doc);
		return NULL;
	}
	return p.doc;
}

/* Parse an FR rule file. */
struct fr_doc *
fr_parse_file(const char *path, char **cause)
{
	xmlTextReaderPtr	 r;

	if ((r = xmlsafe_open_file(path, cause)) == NULL)
		return NULL;
	return fr_parse(r, path, cause);
}

/* Parse an FR rule held in memory. */
struct fr_doc *
fr_parse_memory(const char *buf, size_t len, char **cause)
{
	xmlTextReaderPtr	 r;

	if ((r = xmlsafe_open_memory(buf, len, cause)) == NULL)
		return NULL;
	return fr_parse(r, "input", cause);
}

/* Free a parsed rule. */
void
fr_free(struct fr_doc *doc)
{
	size_t	 i;

	if (doc == NULL)
		return;
	free(doc->citation);
	free(doc->doc_number);
	free(doc->rin);
	free(doc->agency);
	free(doc->subagency);
	free(doc->cfr);
	free(doc->subject);
	free(doc->action);
	free(doc->dates_text);
	free(doc->published);
	free(doc->effective);
	for (i = 0; i < doc->namendments; i++)
		free(doc->amendments[i]);
	free(doc->amendments);
	for (i = 0; i < doc->nentities; i++)
		ecfr_entity_clear(&doc->entities[i].e);
	free(doc->entities);
	free(doc);
}

/* "add", "revise", "remove" (fr_entity_actions.action). */
const char *
fr_action_name(enum fr_action a)
{
	switch (a) {
	case FR_ADD:
		return "add";
	case FR_REVISE:
		return "revise";
	case FR_REMOVE:
		return "remove";
	}
	return "add";
}

/* --- storage --- */

/* Run one statement; on failure set *cause. */
static int
fr_exec(PGconn *conn, const char *sql, int n, const char *const *params,
    PGresult **out, char **cause)
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
	if (out != NULL)
		*out = res;
	else
		PQclear(res);
	return 0;
}

/* A PostgreSQL array literal of strings. */
static char *
fr_array(char *const *v, size_t n)
{
	size_t	 i, len = 3;
	char	*out, *o;

	for (i = 0; i < n; i++)
		len += 2 * strlen(v[i]) + 3;
	out = o = xmalloc(len);
	*o++ = '{';
	for (i = 0; i < n; i++) {
		const char *s;

		if (i > 0)
			*o++ = ',';
		*o++ = '"';
		for (s = v[i]; *s != '\0'; s++) {
			if (*s == '"' || *s == '\\')
				*o++ = '\\';
			*o++ = *s;
		}
		*o++ = '"';
	}
	*o++ = '}';
	*o = '\0';
	return out;
}

/* An integer array literal. */
static char *
fr_intarray(const int *v, size_t n)
{
	char	*out = xstrdup("{"), *s;
	size_t	 i;

	for (i = 0; i < n; i++) {
		xasprintf(&s, "%s%s%d", out, i ? "," : "", v[i]);
		free(out);
		out = s;
	}
	xasprintf(&s, "%s}", out);
	free(out);
	return s;
}

/*
 * The Entity List after this rule, as a new "entity_list" version of the
 * party model: the current version's entries minus those the rule adds,
 * revises or removes, plus its additions and revisions.
 */
static int
fr_store_parties(PGconn *conn, const struct fr_doc *doc, const char *file,
    const char *sha, char **cause)
{
	PGresult	*res;
	const char	*params[5];
	char		*vid, *prev = NULL, **keys, *keyarr, counts[64];
	struct ecfr_entity *keep;
	size_t		 i, nkeep = 0;
	int		 rc = -1;

	if (fr_exec(conn, "SELECT to_regclass('parties') IS NOT NULL", 0,
	    NULL, &res, cause) != 0)
		return -1;
	if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
		PQclear(res);
		return 0;
	}
	PQclear(res);
	params[0] = sha;
	if (fr_exec(conn, "UPDATE list_versions SET activated_at = now()"
	    " WHERE kind = 'entity_list' AND sha256 = $1 RETURNING id", 1,
	    params, &res, cause) != 0)
		return -1;
	i = PQntuples(res);
	PQclear(res);
	if (i > 0)
		return 0;	/* this rule was applied before */
	if (fr_exec(conn, "SELECT id FROM list_versions WHERE kind ="
	    " 'entity_list' ORDER BY activated_at DESC, id DESC LIMIT 1", 0,
	    NULL, &res, cause) != 0)
		return -1;
	if (PQntuples(res) == 1)
		prev = xstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);

	params[0] = file;
	params[1] = sha;
	params[2] = doc->effective;
	if (fr_exec(conn, "INSERT INTO list_versions (kind, source_file,"
	    " sha256, data_date) VALUES ('entity_list', $1, $2, $3)"
	    " RETURNING id", 3, params, &res, cause) != 0)
		goto out;
	vid = xstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);

	keys = xcalloc(doc->nentities + 1, sizeof *keys);
	keep = xcalloc(doc->nentities + 1, sizeof *keep);
	for (i = 0; i < doc->nentities; i++) {
		const struct ecfr_entity *e = &doc->entities[i].e;
		char	*c;

		xasprintf(&keys[i], "%s|%s", e->name, e->country ? e->country :
		    "");
		for (c = keys[i]; *c != '\0' && *c != '|'; c++)
			*c = tolower((unsigned char)*c);
		if (doc->entities[i].action != FR_REMOVE)
			keep[nkeep++] = *e;	/* shallow: not freed */
	}
	keyarr = fr_array(keys, doc->nentities);
	rc = 0;
	if (prev != NULL) {
		params[0] = vid;
		params[1] = prev;
		params[2] = keyarr;
		rc = fr_exec(conn, "INSERT INTO parties (list_version, entry_id,"
		    " content_hash, list, source, name, alt_names, countries,"
		    " addresses, type, license_requirement, license_policy,"
		    " federal_register_notice, entity_number, programs, raw)"
		    " SELECT $1, entry_id, content_hash, list, source, name,"
		    " alt_names, countries, addresses, type, license_requirement,"
		    " license_policy, federal_register_notice, entity_number,"
		    " programs, raw FROM parties WHERE list_version = $2 AND NOT"
		    " (lower(name) || '|' || coalesce(countries[1], '')) ="
		    " ANY ($3::text[])", 3, params, NULL, cause);
	}
	if (rc == 0)
		rc = ecfr_insert_parties(conn, vid, keep, nkeep, cause);
	if (rc == 0) {
		snprintf(counts, sizeof counts, "%s", "{}");
		params[0] = vid;
		rc = fr_exec(conn, "UPDATE list_versions SET counts ="
		    " jsonb_build_object('EL', (SELECT count(*) FROM parties"
		    " WHERE list_version = $1)) WHERE id = $1", 1, params, NULL,
		    cause);
	}
	for (i = 0; i < doc->nentities; i++)
		free(keys[i]);
	free(keys);
	free(keep);
	free(keyarr);
	free(vid);
out:
	free(prev);
	return rc;
}

/* Hex SHA-256 of a file. */
static int
fr_sha256_file(const char *path, char out[65], char **cause)
{
	unsigned char	 md[EVP_MAX_MD_SIZE], buf[65536];
	unsigned int	 mdlen = 0, i;
	EVP_MD_CTX	*ctx;
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

/* Write a parsed rule in one transaction; the same citation is replaced. */
int
fr_store(PGconn *conn, const struct fr_doc *doc, const char *file,
    const char *sha, char **cause)
{
	const char	*params[14];
	char		*amd, ord[32];
	size_t		 i;
	PGresult	*res;

	*cause = NULL;
	if (doc->citation == NULL) {
		xasprintf(cause, "the rule's Federal Register citation is "
		    "unknown; pass --citation");
		return -1;
	}
	if (fr_exec(conn, "BEGIN", 0, NULL, NULL, cause) != 0)
		return -1;
	params[0] = doc->citation;
	if (fr_exec(conn, "DELETE FROM fr_documents WHERE citation = $1", 1,
	    params, NULL, cause) != 0)
		goto fail;
	amd = fr_array(doc->amendments, doc->namendments);
	params[1] = doc->doc_number;
	params[2] = doc->rin;
	params[3] = doc->agency;
	params[4] = doc->subagency;
	params[5] = doc->cfr;
	params[6] = doc->subject;
	params[7] = doc->action;
	params[8] = doc->dates_text;
	params[9] = doc->published;
	params[10] = doc->effective;
	params[11] = amd;
	params[12] = file;
	params[13] = sha;
	if (fr_exec(conn, "INSERT INTO fr_documents (citation, doc_number, rin,"
	    " agency, subagency, cfr, subject, action, dates_text, published,"
	    " effective, amendments, source_file, sha256) VALUES ($1, $2, $3,"
	    " $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)", 14, params,
	    NULL, cause) != 0) {
		free(amd);
		goto fail;
	}
	free(amd);
	for (i = 0; i < doc->nentities; i++) {
		const struct fr_entity *fe = &doc->entities[i];
		const struct ecfr_entity *e = &fe->e;
		char	*al = fr_array(e->aliases, e->naliases);
		char	*ad = fr_array(e->addresses, e->naddresses);
		char	*fc = fr_array(e->fr_citations, e->nfr_citations);
		char	*fn = fr_intarray(e->footnotes, e->nfootnotes);
		int	 rc;

		snprintf(ord, sizeof ord, "%zu", i);
		params[1] = ord;
		params[2] = fr_action_name(fe->action);
		params[3] = doc->effective;
		params[4] = e->country_name;
		params[5] = e->country;
		params[6] = e->name;
		params[7] = al;
		params[8] = ad;
		params[9] = e->license_requirement;
		params[10] = e->review_policy;
		params[11] = fc;
		params[12] = fn;
		rc = fr_exec(conn, "INSERT INTO fr_entity_actions (citation, ord,"
		    " action, effective, country_name, country, name, aliases,"
		    " addresses, license_requirement, review_policy,"
		    " fr_citations, footnotes) VALUES ($1, $2, $3, $4, $5, $6,"
		    " $7, $8, $9, $10, $11, $12, $13)", 13, params, NULL, cause);
		free(al);
		free(ad);
		free(fc);
		free(fn);
		if (rc != 0)
			goto fail;
	}
	if (doc->nentities > 0 && (fr_store_parties(conn, doc, file, sha,
	    cause) != 0 || fr_exec(conn, "NOTIFY lists_changed", 0, NULL, NULL,
	    cause) != 0))
		goto fail;
	if (fr_exec(conn, "COMMIT", 0, NULL, NULL, cause) != 0)
		goto fail;
	return 0;
fail:
	res = PQexec(conn, "ROLLBACK");
	PQclear(res);
	return -1;
}

/* Parse and store: `earctl import fr FILE [--citation C]`. */
int
fr_import_file(PGconn *conn, const char *path, const char *citation,
    char **cause)
{
	struct fr_doc	*doc;
	char		 sha[65];
	const char	*base;
	int		 rc;

	if (fr_sha256_file(path, sha, cause) != 0)
		return -1;
	if ((doc = fr_parse_file(path, cause)) == NULL)
		return -1;
	if (citation != NULL) {
		free(doc->citation);
		doc->citation = xstrdup(citation);
	}
	base = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
	rc = fr_store(conn, doc, base, sha, cause);
	if (rc == 0)
		log_info("imported %s (FR Doc. %s, effective %s): %zu entity "
		    "list actions", doc->citation, doc->doc_number ?
		    doc->doc_number : "?", doc->effective ? doc->effective :
		    "?", doc->nentities);
	fr_free(doc);
	return rc;
}
