/* error.c: user-facing errors with a code, a message and the field. */
#include <stdio.h>
#include <stdlib.h>

#include "ear.h"

/* Replace any previous error in err. field may be NULL. */
void
error_set(struct ear_error *err, int status, const char *code,
    const char *field, const char *fmt, ...)
{
	va_list	 ap;

	if (err == NULL)
		return;
	error_clear(err);
	err->status = status;
	err->code = xstrdup(code);
	err->field = field != NULL ? xstrdup(field) : NULL;
	va_start(ap, fmt);
	xvasprintf(&err->message, fmt, ap);
	va_end(ap);
}

void
error_clear(struct ear_error *err)
{
	free(err->code);
	free(err->message);
	free(err->field);
	err->code = err->message = err->field = NULL;
	err->status = 0;
}

/* {"error":{"code":...,"message":...,"field":...}}; field omitted if NULL. */
json_t *
error_to_json(const struct ear_error *err)
{
	json_t	*e;

	e = json_object();
	json_object_set_new(e, "code",
	    json_string(err->code != NULL ? err->code : "internal"));
	json_object_set_new(e, "message",
	    json_string(err->message != NULL ? err->message : "internal error"));
	if (err->field != NULL)
		json_object_set_new(e, "field", json_string(err->field));
	return json_pack("{s:o}", "error", e);
}
