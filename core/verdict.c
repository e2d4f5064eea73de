/*
 * verdict.c: the verdict of a determination and its JSON (the 200 body of
 * the check contract in ARCHITECTURE.md). determine() builds the body; this
 * file names the kinds, maps them to earctl exit codes and adds the
 * decision id when the daemon serialises it.
 */
#include <stdlib.h>

#include "engine.h"

/* A verdict owning body (a JSON object without decision_id). */
struct verdict *
verdict_new(enum verdict_kind kind, const char *eccn, json_t *body)
{
	struct verdict	*v;

	v = xcalloc(1, sizeof *v);
	v->kind = kind;
	v->eccn = eccn != NULL ? xstrdup(eccn) : NULL;
	v->body = body;
	strset_init(&v->open_facts);
	return (v);
}

/* The kind of a verdict. */
enum verdict_kind
verdict_kind(const struct verdict *v)
{
	return (v->kind);
}

/* The ECCN the verdict rests on, or NULL. */
const char *
verdict_eccn(const struct verdict *v)
{
	return (v->eccn);
}

/* Did the fact's absence leave a layer needs_review? */
bool
verdict_missing_fact(const struct verdict *v, const char *fact)
{
	return (strset_has(&v->open_facts, fact));
}

/* The contract's name of a verdict. */
const char *
verdict_kind_name(enum verdict_kind k)
{
	switch (k) {
	case VERDICT_NOT_SUBJECT:
		return ("not_subject");
	case VERDICT_NO_LICENSE:
		return ("no_license_required");
	case VERDICT_EXCEPTION:
		return ("license_exception");
	case VERDICT_REQUIRED:
		return ("license_required");
	default:
		return ("needs_review");
	}
}

/* earctl's exit code for a verdict (ARCHITECTURE.md, "Verdicts"). */
int
verdict_exit_code(enum verdict_kind k)
{
	switch (k) {
	case VERDICT_NOT_SUBJECT:
	case VERDICT_NO_LICENSE:
		return (0);
	case VERDICT_EXCEPTION:
		return (10);
	case VERDICT_REQUIRED:
		return (20);
	default:
		return (30);
	}
}

/*
 * The response body with its decision id (may be NULL): a new reference
 * whose members are shared with the verdict, so treat it as read-only.
 */
json_t *
verdict_to_json(const struct verdict *v, const char *decision_id)
{
	json_t	*o;

	o = json_object();
	json_object_set_new(o, "decision_id", decision_id != NULL ?
	    json_string(decision_id) : json_null());
	/* Members are shared with the verdict: the caller only reads them. */
	json_object_update(o, v->body);
	return (o);
}

/* Free a verdict. */
void
verdict_free(struct verdict *v)
{
	if (v == NULL)
		return;
	json_decref(v->body);
	strset_clear(&v->open_facts);
	free(v->eccn);
	free(v);
}
