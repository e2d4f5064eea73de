/*
 * xmlsafe.c: the xmlTextReader set-up that ecfr.c and fr.c share: readers
 * with no network, no entity substitution and no DTD, a read loop that
 * refuses DOCTYPE and entity references and keeps libxml2's first error
 * with its line, and the text helpers both parsers use.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlreader.h>

#include "importers.h"

/* Reader options: no network, no entity substitution, no DTD. */
#define XMLSAFE_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOCDATA | \
	XML_PARSE_NOWARNING | XML_PARSE_NOERROR)

/* The loop's state, for the error callback. */
struct xmlsafe_state {
	const struct xmlsafe_ops	*ops;
	void				*arg;
};

/* A reader over a file; NULL and *cause if it cannot be opened. */
struct _xmlTextReader *
xmlsafe_open_file(const char *path, char **cause)
{
	xmlTextReaderPtr	 r;
	FILE			*f;

	if ((f = fopen(path, "r")) == NULL) {
		xasprintf(cause, "could not open file \"%s\": %s", path,
		    strerror(errno));
		return NULL;
	}
	fclose(f);
	if ((r = xmlReaderForFile(path, NULL, XMLSAFE_OPTIONS)) == NULL) {
		xasprintf(cause, "could not read file \"%s\"", path);
		return NULL;
	}
	return r;
}

/* A reader over a buffer; NULL and *cause if none can be made. */
struct _xmlTextReader *
xmlsafe_open_memory(const char *buf, size_t len, char **cause)
{
	xmlTextReaderPtr	 r;

	if (len > INT32_MAX) {
		xasprintf(cause, "document too large");
		return NULL;
	}
	r = xmlReaderForMemory(buf, (int)len, "memory", NULL,
	    XMLSAFE_OPTIONS);
	if (r == NULL) {
		xasprintf(cause, "could not create XML reader");
		return NULL;
	}
	return r;
}

/* libxml2's error callback: an error's message, trimmed, to ops->fail. */
static void
xmlsafe_error(void *arg, xmlErrorPtr err)
{
	struct xmlsafe_state	*st = arg;
	char			*m;
	size_t			 n;

	if (err == NULL || err->level < XML_ERR_ERROR)
		return;
	m = xstrdup(err->message != NULL ? err->message : "parse error");
	n = strlen(m);
	while (n > 0 && isspace((unsigned char)m[n - 1]))
		m[--n] = '\0';
	if (n > 1 && isupper((unsigned char)m[0]) &&
	    !isupper((unsigned char)m[1]))
		m[0] = tolower((unsigned char)m[0]);
	st->ops->fail(st->arg, err->line, m);
	free(m);
}

/* Run r over the whole input, calling ops until ops->failed(). */
void
xmlsafe_read(struct _xmlTextReader *r, const struct xmlsafe_ops *ops,
    void *arg)
{
	struct xmlsafe_state	 st = { ops, arg };
	char			*m;
	int			 ret = 0;

	xmlTextReaderSetStructuredErrorHandler(r, xmlsafe_error, &st);
	while (!ops->failed(arg) && (ret = xmlTextReaderRead(r)) == 1) {
		int		 type = xmlTextReaderNodeType(r);
		int		 depth = xmlTextReaderDepth(r);
		const char	*nm = (const char *)xmlTextReaderConstName(r);
		int		 line = xmlTextReaderGetParserLineNumber(r);

		switch (type) {
		case XML_READER_TYPE_DOCUMENT_TYPE:
			/* No DOCTYPE: no entities, no DTD fetch (issue #8). */
			xasprintf(&m, "document type declarations are not "
			    "allowed in %s", ops->what);
			ops->fail(arg, line, m);
			free(m);
			break;
		case XML_READER_TYPE_ELEMENT:
			ops->start(arg, nm, depth, line);
			if (xmlTextReaderIsEmptyElement(r))
				ops->end(arg, nm, depth);
			break;
		case XML_READER_TYPE_END_ELEMENT:
			ops->end(arg, nm, depth);
			break;
		case XML_READER_TYPE_TEXT:
		case XML_READER_TYPE_CDATA:
		case XML_READER_TYPE_SIGNIFICANT_WHITESPACE:
		case XML_READER_TYPE_WHITESPACE:
			ops->text(arg,
			    (const char *)xmlTextReaderConstValue(r));
			break;
		case XML_READER_TYPE_ENTITY_REFERENCE:
			if (ops->name_entities) {
				xasprintf(&m, "entity reference &%s; is not "
				    "allowed", nm);
				ops->fail(arg, line, m);
				free(m);
			} else
				ops->fail(arg, line, "entity references are "
				    "not allowed");
			break;
		default:
			break;
		}
	}
	if (!ops->failed(arg) && ret != 0)
		ops->fail(arg, xmlTextReaderGetParserLineNumber(r),
		    "could not parse XML");
	xmlTextReaderSetStructuredErrorHandler(r, NULL, NULL);
}

/* Copy s without leading and trailing white space (and spaces by '\n'). */
char *
xmlsafe_trim(const char *s)
{
	const char	*e;
	char		*out, *o;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	out = xstrndup(s, e - s);
	/* drop spaces around line breaks */
	for (o = out, s = out; *s != '\0'; s++) {
		if (*s == ' ' && (s[1] == '\n' || (o > out && o[-1] == '\n')))
			continue;
		*o++ = *s;
	}
	*o = '\0';
	return out;
}
