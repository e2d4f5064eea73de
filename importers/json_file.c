/*
 * json_file.c: what chips_json.c and models_json.c share about the
 * project's own JSON files: one object, an array of them, or
 * {"<list>": [...]}, each object handed to the format's add function with
 * its row (1-based in the array, 0 for a lone object).
 */
#include <stdlib.h>
#include <string.h>

#include "importers.h"

/* Whether buf starts (after white space) like a JSON object or array. */
bool
json_file_detect(const char *buf, size_t len)
{
	size_t	 i;

	for (i = 0; i < len && strchr(" \t\r\n", buf[i]) != NULL; i++)
		;
	return i < len && (buf[i] == '{' || buf[i] == '[');
}

/* Add each object of buf with add(); -1 and *cause at the first error. */
int
json_file_parse(const char *buf, size_t len, const char *path,
    const char *list_key, const char *what, json_file_add_fn add,
    struct registry_set *set, char **cause)
{
	struct registry_source	 src = { NULL, path, 0, 100 };
	json_error_t		 jerr;
	json_t			*doc, *list, *o;
	char			*dataset, *why = NULL;
	size_t			 i;
	int			 rc = 0;

	doc = json_loadb(buf, len, JSON_DECODE_INT_AS_REAL, &jerr);
	if (doc == NULL) {
		xasprintf(cause, "%d: invalid JSON: %s", jerr.line, jerr.text);
		return -1;
	}
	xasprintf(&dataset, "json:%s", path);
	src.dataset = dataset;
	list = json_is_object(doc) && json_object_get(doc, list_key) != NULL ?
	    json_object_get(doc, list_key) : doc;
	if (json_is_object(list))
		rc = add(set, list, &src, &why);
	else if (json_is_array(list)) {
		json_array_foreach(list, i, o) {
			src.row = i + 1;
			if ((rc = add(set, o, &src, &why)) != 0)
				break;
		}
	} else {
		xasprintf(&why, "expected %s, an array or {\"%s\": [...]}",
		    what, list_key);
		rc = -1;
	}
	if (rc != 0) {
		if (src.row != 0)
			xasprintf(cause, "%s[%zu]: %s", list_key, src.row - 1,
			    why);
		else
			xasprintf(cause, "%s", why);
		free(why);
	}
	free(dataset);
	json_decref(doc);
	return rc;
}
