/*
 * cite.c: split a verdict's citation into the citations it names.
 *
 * Rulepacks cite in one form (STYLE.md) but decorate it: "15 CFR 774
 * Supp. 1, 3A090.b.2 and Note 2", "15 CFR 774 Supp. 1, 4A090.a (87 FR
 * 62186 text)", "15 CFR 740 (License Exception LPP), 90 FR 4544",
 * "15 CFR 740 Supp. 1 and 774 Supp. 1, 3A090.b (eCFR 2026-07-23)". The
 * eCFR text is stored under plain cites ("15 CFR 774 Supp. 1, 3A090.b.2",
 * "15 CFR 742.6(a)(6)(iii)"), so /v1/text and earctl look each part up on
 * its own. Parenthesised remarks after a space are dropped, except the FR
 * citations in them; "(a)(6)" right after a section number is part of it.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ear.h"

#define CITE_CCL_PREFIX	"15 CFR 774 Supp. 1"
#define CITE_MAX	1024
#define CITE_PIECES	32

/* The name of a kind, as /v1/text reports it. */
const char *
cite_kind_name(enum cite_kind k)
{
	switch (k) {
	case CITE_CCL:
		return ("ccl");
	case CITE_CFR:
		return ("cfr");
	case CITE_FR:
		return ("fr");
	case CITE_OTHER:
		break;
	}
	return ("other");
}

/* Length of an "88 FR 12170" at s, or 0. */
static size_t
cite_fr_len(const char *s)
{
	const char	*p = s;

	if (!isdigit((unsigned char)*p))
		return (0);
	while (isdigit((unsigned char)*p))
		p++;
	if (strncmp(p, " FR ", 4) != 0)
		return (0);
	p += 4;
	if (!isdigit((unsigned char)*p))
		return (0);
	while (isdigit((unsigned char)*p))
		p++;
	if (isalnum((unsigned char)*p))
		return (0);
	return ((size_t)(p - s));
}

/* Is s an ECCN ("3A090", "0A501") followed by nothing, '.' or ' '? */
static bool
cite_is_eccn(const char *s)
{
	return (isdigit((unsigned char)s[0]) && s[1] >= 'A' && s[1] <= 'E' &&
	    isdigit((unsigned char)s[2]) && isdigit((unsigned char)s[3]) &&
	    isdigit((unsigned char)s[4]) && (s[5] == '\0' || s[5] == '.' ||
	    s[5] == ' '));
}

/* Is s a note label ("Note 2", "Technical Note 3") and nothing more? */
static bool
cite_is_note(const char *s)
{
	if (strncmp(s, "Technical ", 10) == 0)
		s += 10;
	if (strncmp(s, "Note", 4) != 0)
		return (false);
	s += 4;
	if (*s == '\0')
		return (true);
	if (*s++ != ' ' || !isdigit((unsigned char)*s))
		return (false);
	while (isdigit((unsigned char)*s))
		s++;
	return (*s == '\0');
}

/* Add a part unless the same cite is there already; false when full. */
static bool
cite_add(struct cite_part *out, size_t *n, size_t max, enum cite_kind kind,
    const char *cite, const char *eccn, const char *label)
{
	size_t	 i;

	for (i = 0; i < *n; i++) {
		if (strcmp(out[i].cite, cite) == 0)
			return (true);
	}
	if (*n >= max)
		return (false);
	memset(&out[*n], 0, sizeof out[*n]);
	out[*n].kind = kind;
	snprintf(out[*n].cite, sizeof out[*n].cite, "%s", cite);
	snprintf(out[*n].eccn, sizeof out[*n].eccn, "%s", eccn);
	snprintf(out[*n].label, sizeof out[*n].label, "%s", label);
	(*n)++;
	return (true);
}

/* Trim spaces and trailing commas or periods in place. */
static char *
cite_trim(char *s)
{
	size_t	 len;

	while (isspace((unsigned char)*s))
		s++;
	len = strlen(s);
	while (len > 0 && (isspace((unsigned char)s[len - 1]) ||
	    s[len - 1] == ',' || s[len - 1] == ';'))
		s[--len] = '\0';
	return (s);
}

/* A CCL path ("3A090.a.1", "4E091 Technical Note 3") as a part. */
static void
cite_add_ccl(struct cite_part *out, size_t *n, size_t max, const char *path,
    char *last, size_t lastlen)
{
	char		 cite[192], eccn[16] = "", label[40] = "";
	const char	*note;

	if (cite_is_eccn(path))
		snprintf(eccn, sizeof eccn, "%.5s", path);
	if ((note = strstr(path, " Technical Note")) != NULL ||
	    (note = strstr(path, " Note")) != NULL)
		snprintf(label, sizeof label, "%s", note + 1);
	snprintf(cite, sizeof cite, "%s, %s", CITE_CCL_PREFIX, path);
	cite_add(out, n, max, CITE_CCL, cite, eccn, label);
	/* "and Note 2" after this refers to its paragraph */
	if (*eccn != '\0')
		snprintf(last, lastlen, "%.*s", (int)(note != NULL ?
		    (size_t)(note - path) : strlen(path)), path);
}

/* Classify one piece of the citation and add it; false if unrecognised. */
static bool
cite_piece(struct cite_part *out, size_t *n, size_t max, char *piece,
    char *last, size_t lastlen)
{
	char		 cite[192], label[40], eccn[16];
	size_t		 len;

	len = strlen(CITE_CCL_PREFIX);
	if (strncmp(piece, "774 Supp. 1", 11) == 0) {
		snprintf(cite, sizeof cite, "15 CFR %s", piece);
		return (cite_piece(out, n, max, cite, last, lastlen));
	}
	if (strncmp(piece, CITE_CCL_PREFIX, len) == 0) {
		if (piece[len] == '\0') {
			cite_add(out, n, max, CITE_CCL, CITE_CCL_PREFIX, "",
			    "");
			return (true);
		}
		/* "15 CFR 774 Supp. 1 3A090.a" or ", 3A090.a" */
		if (piece[len] == ',')
			len++;
		if (piece[len] != ' ')
			return (false);
		while (piece[len] == ' ')
			len++;
		if (piece[len] == '\0')
			return (false);
		cite_add_ccl(out, n, max, piece + len, last, lastlen);
		return (true);
	}
	if (strncmp(piece, "15 CFR ", 7) == 0 &&
	    isdigit((unsigned char)piece[7])) {
		cite_add(out, n, max, CITE_CFR, piece, "", "");
		return (true);
	}
	/* "740 Supp. 1" or "742.6(a)" after an "and" */
	if (isdigit((unsigned char)piece[0]) && isdigit((unsigned char)piece[1])
	    && isdigit((unsigned char)piece[2]) && (piece[3] == '.' ||
	    strncmp(piece + 3, " Supp.", 6) == 0)) {
		snprintf(cite, sizeof cite, "15 CFR %s", piece);
		return (cite_piece(out, n, max, cite, last, lastlen));
	}
	if (cite_is_note(piece) && *last != '\0') {
		snprintf(cite, sizeof cite, "%s, %s %s", CITE_CCL_PREFIX, last,
		    piece);
		snprintf(label, sizeof label, "%s", piece);
		snprintf(eccn, sizeof eccn, "%.5s", last);
		cite_add(out, n, max, CITE_CCL, cite, eccn, label);
		return (true);
	}
	if ((len = cite_fr_len(piece)) != 0 && piece[len] == '\0') {
		cite_add(out, n, max, CITE_FR, piece, "", "");
		return (true);
	}
	return (false);
}

/*
 * Split citation s into at most max parts (see the top of the file).
 * Returns the number of parts; a citation naming no regulation is one
 * CITE_OTHER part holding it whole.
 */
size_t
cite_split(const char *s, struct cite_part *out, size_t max)
{
	char		 buf[CITE_MAX], text[CITE_MAX], fr[CITE_PIECES][32];
	char		 last[64] = "", *pieces[CITE_PIECES], *p, *q;
	size_t		 i, j, len, n = 0, nfr = 0, npieces = 0, m = 0;
	int		 depth;

	if (max == 0)
		return (0);
	snprintf(buf, sizeof buf, "%s", s);
	/* Remarks " (...)" out of the main text; keep their FR cites. */
	for (i = 0; buf[i] != '\0'; i++) {
		if (buf[i] == ' ' && buf[i + 1] == '(') {
			depth = 0;
			for (j = i + 1; buf[j] != '\0'; j++) {
				if (buf[j] == '(')
					depth++;
				else if (buf[j] == ')' && --depth == 0)
					break;
			}
			for (p = buf + i + 2; p < buf + j; p++) {
				if ((p == buf + i + 2 || !isalnum((unsigned
				    char)p[-1])) && (len = cite_fr_len(p)) != 0 &&
				    nfr < CITE_PIECES) {
					snprintf(fr[nfr++], sizeof fr[0], "%.*s",
					    (int)len, p);
					p += len - 1;
				}
			}
			if (buf[j] == '\0')
				break;
			i = j;
			continue;
		}
		text[m++] = buf[i];
	}
	text[m] = '\0';

	/* Pieces: at ";", at " and ", at ", " before "15 CFR" or an FR cite. */
	p = text;
	pieces[npieces++] = p;
	for (q = text; *q != '\0' && npieces < CITE_PIECES; q++) {
		if (*q == ';') {
			*q = '\0';
			pieces[npieces++] = q + 1;
		} else if (strncmp(q, " and ", 5) == 0) {
			*q = '\0';
			pieces[npieces++] = q + 5;
			q += 4;
		} else if (q[0] == ',' && q[1] == ' ' &&
		    (strncmp(q + 2, "15 CFR ", 7) == 0 ||
		    cite_fr_len(q + 2) != 0)) {
			*q = '\0';
			pieces[npieces++] = q + 2;
			q++;
		}
	}
	for (i = 0; i < npieces; i++) {
		p = cite_trim(pieces[i]);
		if (*p != '\0')
			(void)cite_piece(out, &n, max, p, last, sizeof last);
	}
	for (i = 0; i < nfr; i++)
		(void)cite_add(out, &n, max, CITE_FR, fr[i], "", "");
	if (n == 0) {
		snprintf(buf, sizeof buf, "%s", s);
		cite_add(out, &n, max, CITE_OTHER, cite_trim(buf), "", "");
	}
	return (n);
}
