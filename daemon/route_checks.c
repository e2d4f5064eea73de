/*
 * route_checks.c: POST /v1/checks/chip, /v1/checks/weights and
 * /v1/checks/batch (the check contract in ARCHITECTURE.md).
 *
 * One check: resolve a registry {"id": ...} item (one SELECT on the read
 * session), decode, screen the recipient, determine() on the ruleset the
 * request took at its start, record the decision, and reply only once the
 * decision is durable (audit_submit's done callback). A batch runs each
 * item that way and replies once every item is done, results in order.
 *
 * Ownership: a checks_job and its items live in request memory; the JSON
 * each item holds is released in checks_job_finish().
 */
#include <sys/random.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eard.h"

struct checks_job;

struct checks_item {
	struct checks_job	*job;
	enum item_kind		 kind;
	json_t			*body;		/* the item's request (owned) */
	json_t			*result;	/* response or {"error":...} */
	char			*text;		/* batch: result, written */
	int			 status;	/* 200 or the error's */
	struct check		*chk;		/* while the consignee is asked */
	bool			 consignee_asked;
	uint64_t		 registry_gen;	/* of a registry lookup */
	struct decision		 dec;
};

struct checks_job {
	struct request		*r;
	struct ruleset		*rs;
	bool			 batch;
	size_t			 n;
	size_t			 next;		/* the next item to start */
	size_t			 outstanding;
	struct checks_item	*items;
	ear_date		 today;
	json_t			*screened;	/* batch: recipient -> holder */
	json_t			*consignees;	/* consignee key -> year's TPP */
	struct check		**holders;	/* screening of each recipient */
	size_t			 nholders;
};

static void	checks_item_run(struct checks_item *);
static void	checks_item_determine(struct checks_item *, struct check *);
static void	checks_item_submit(struct checks_item *);
static bool	checks_note2_context(struct checks_item *, struct check *);

/*
 * A time-ordered unique id: UUIDv7 (RFC 9562), 74 random bits. The random
 * bytes come from the kernel 4 KiB at a time (one getrandom() per 256 ids,
 * not one per id: a batch makes thousands). Loop thread only.
 */
void
decision_new_id(char out[40])
{
	static unsigned char	 pool[4096];
	static size_t		 used = sizeof pool;
	unsigned char		 b[16];
	struct timespec		 ts;
	uint64_t		 ms;
	size_t			 got = 0;
	ssize_t			 n;

	if (used + sizeof b > sizeof pool) {
		while (got < sizeof pool) {
			n = getrandom(pool + got, sizeof pool - got, 0);
			if (n <= 0)
				fatal("could not read random bytes");
			got += (size_t)n;
		}
		used = 0;
	}
	memcpy(b, pool + used, sizeof b);
	explicit_bzero(pool + used, sizeof b);
	used += sizeof b;
	clock_gettime(CLOCK_REALTIME, &ts);
	ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	b[0] = (unsigned char)(ms >> 40);
	b[1] = (unsigned char)(ms >> 32);
	b[2] = (unsigned char)(ms >> 24);
	b[3] = (unsigned char)(ms >> 16);
	b[4] = (unsigned char)(ms >> 8);
	b[5] = (unsigned char)ms;
	b[6] = (unsigned char)(0x70 | (b[6] & 0x0f));
	b[8] = (unsigned char)(0x80 | (b[8] & 0x3f));
	snprintf(out, 40, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5],
	    b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

/* The decision kind of an item: "chip" or "weights". */
static const char *
checks_kind_name(enum item_kind kind)
{
	return kind == ITEM_CHIP ? "chip" : "weights";
}

/* The request field that holds the item. */
static const char *
checks_item_field(enum item_kind kind)
{
	return kind == ITEM_CHIP ? "chip" : "model";
}

/*
 * The batch's answer, {"results":[...]} from each item's text in order:
 * the bytes request_reply_json() would write for the tree, without
 * holding every item's tree until the last is done.
 */
static void
checks_batch_reply(struct checks_job *job)
{
	static const char	 head[] = "{\"results\":[", tail[] = "]}\n";
	char			*out, *p;
	size_t			 i, len = sizeof head + sizeof tail, n;

	for (i = 0; i < job->n; i++)
		len += strlen(job->items[i].text) + 1;
	out = p = xmalloc(len);
	memcpy(p, head, sizeof head - 1);
	p += sizeof head - 1;
	for (i = 0; i < job->n; i++) {
		if (i > 0)
			*p++ = ',';
		n = strlen(job->items[i].text);
		memcpy(p, job->items[i].text, n);
		p += n;
	}
	memcpy(p, tail, sizeof tail);
	request_reply_text(job->r, 200, "application/json", out);
	free(out);
}

/* Everything is done: reply and let go of what the job holds. */
static void
checks_job_finish(struct checks_job *job)
{
	struct request	*r = job->r;
	size_t		 i;

	if (!request_replied(r)) {
		if (job->batch)
			checks_batch_reply(job);
		else
			request_reply_json(r, job->items[0].status,
			    json_incref(job->items[0].result));
	}
	for (i = 0; i < job->n; i++) {
		json_decref(job->items[i].body);
		json_decref(job->items[i].result);
		free(job->items[i].text);
	}
	for (i = 0; i < job->nholders; i++)
		check_free(job->holders[i]);
	free(job->holders);
	json_decref(job->screened);
	json_decref(job->consignees);
	if (job->rs != NULL)
		ruleset_unref(job->rs);
	request_release(r);
}

/* One item is done (answered or failed). */
static void
checks_item_done(struct checks_item *it)
{
	struct checks_job	*job = it->job;

	if (job->batch) {
		/* Its text now; the tree goes (a batch holds thousands). */
		it->text = it->result != NULL ? canon_dumps(it->result,
		    NULL) : NULL;
		if (it->text == NULL)
			it->text = xstrdup("null");
		json_decref(it->result);
		it->result = NULL;
	}
	if (--job->outstanding == 0)
		checks_job_finish(job);
}

/* The item failed with err: its result is the error. */
static void
checks_item_fail(struct checks_item *it, const struct ear_error *err)
{
	json_decref(it->result);
	it->result = error_to_json(err);
	it->status = err->status;
	if (err->status >= 500)
		log_rwarnx(request_id(it->job->r), "check failed: %s",
		    err->message);
	checks_item_done(it);
}

/* The item failed: build the error from a format. */
static void PRINTFLIKE(5, 6)
checks_item_failf(struct checks_item *it, int status, const char *code,
    const char *field, const char *fmt, ...)
{
	struct ear_error	 err = { 0 };
	va_list			 ap;
	char			*msg;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	error_set(&err, status, code, field, "%s", msg);
	free(msg);
	checks_item_fail(it, &err);
	error_clear(&err);
}

/* audit_submit's answer: only a durable decision is sent. */
static void
checks_audit_done(void *arg, int ok)
{
	struct checks_item	*it = arg;

	json_decref(it->dec.request);
	json_decref(it->dec.response);
	it->dec.request = it->dec.response = NULL;
	if (ok != 0) {
		checks_item_failf(it, 503, "audit_unavailable", NULL,
		    "decision %s could not be recorded; no answer is given "
		    "without an audit record", it->dec.id);
		return;
	}
	it->status = 200;
	checks_item_done(it);
}

/* The memo key of a check's recipient: name, unit separator, country. */
static char *
checks_screen_key(const struct check *chk)
{
	const char	*cc = check_recipient_country(chk);
	char		*key;

	xasprintf(&key, "%s\037%s", check_recipient_name(chk),
	    cc != NULL ? cc : "");
	return (key);
}

/*
 * In a batch, a recipient already screened gives its hits to the next
 * check naming it (same name and country, same lists in one pass): one
 * screening per recipient instead of one per item. True if it did.
 */
static bool
checks_screen_again(struct checks_job *job, struct check *chk)
{
	json_t	*ix;
	char	*key;

	if (!job->batch || job->screened == NULL ||
	    check_recipient_name(chk) == NULL)
		return (false);
	key = checks_screen_key(chk);
	ix = json_object_get(job->screened, key);
	free(key);
	if (ix == NULL)
		return (false);
	check_copy_screening(chk, job->holders[json_integer_value(ix)]);
	return (true);
}

/* Remember a batch item's screening for the recipient's next checks. */
static void
checks_screen_keep(struct checks_job *job, const struct check *chk)
{
	char	*key;

	if (!job->batch || check_recipient_name(chk) == NULL)
		return;
	if (job->screened == NULL)
		job->screened = json_object();
	key = checks_screen_key(chk);
	if (json_object_get(job->screened, key) == NULL) {
		job->holders = xreallocarray(job->holders, job->nholders + 1,
		    sizeof *job->holders);
		job->holders[job->nholders] = check_screening_holder(chk);
		json_object_set_new(job->screened, key,
		    json_integer((json_int_t)job->nholders++));
	}
	free(key);
}

/* Decode, screen, determine and submit the decision. */
static void
checks_item_decide(struct checks_item *it)
{
	struct checks_job	*job = it->job;
	struct ear_error	 err = { 0 };
	struct check		*chk;
	char			*cause = NULL;

	chk = check_decode(it->kind, it->body, job->today, &err);
	if (chk == NULL) {
		checks_item_fail(it, &err);
		error_clear(&err);
		return;
	}
	if (screen_check != NULL && !checks_screen_again(job, chk)) {
		if (screen_check(chk, &cause) != 0) {
			check_free(chk);
			checks_item_failf(it, 503, "screening_unavailable",
			    "recipient", "could not screen the recipient: %s",
			    cause != NULL ? cause : "lists unavailable");
			free(cause);
			return;
		}
		checks_screen_keep(job, chk);
	}
	checks_item_determine(it, chk);
}

/*
 * The TPP the decision log shows cleared for this consignee in the check's
 * calendar year, for quantity caps such as License Exception LPP's (90 FR
 * 4544: 26,900,000 TPP per ultimate consignee per calendar year). Asked
 * only when that figure's absence left the verdict (or the text layer's)
 * needs_review, the one outcome it can change. The log keeps the total
 * per (consignee, year) as rows go in (schema/083_consignee_years.sql), so
 * this is one key lookup whatever the size of the log.
 */
#define CHECKS_CONSIGNEE_SQL						\
	"SELECT coalesce((SELECT tpp FROM consignee_years "		\
	"WHERE consignee = lower($1) AND year = $2::integer), 0)"

/*
 * One count in flight per (consignee, year): checks asking the same while
 * it runs wait for its answer instead of each queueing a query.
 */
struct checks_count {
	char			*name;
	char			 from[11];
	struct checks_item	**waiting;
	size_t			 nwaiting;
	struct checks_count	*next;
};
static struct checks_count	*checks_counts;

/*
 * A job keeps the first answer for each consignee and year: a batch is
 * decided on the log as it stood when it came in, as when it was decided
 * in one turn of the loop, not on its own earlier items as their commits
 * happen to land between its slices.
 */
static void
checks_consignee_keep(struct checks_job *job, const char *name,
    const char *from, double tpp)
{
	char	*key;

	if (job->consignees == NULL)
		job->consignees = json_object();
	xasprintf(&key, "%s\037%s", name, from);
	if (json_object_get(job->consignees, key) == NULL)
		json_object_set_new(job->consignees, key, json_real(tpp));
	free(key);
}

/* The job's answer for a consignee and year (borrowed), or NULL. */
static const json_t *
checks_consignee_kept(struct checks_job *job, const char *name,
    const char *from)
{
	const json_t	*v;
	char		*key;

	if (job->consignees == NULL)
		return (NULL);
	xasprintf(&key, "%s\037%s", name, from);
	v = json_object_get(job->consignees, key);
	free(key);
	return (v);
}

/* The count answered: every check that waited for it goes on. */
static void
checks_consignee_done(void *arg, PGresult *res, const char *errmsg)
{
	struct checks_count	*cc = arg, **pp;
	struct checks_item	*it;
	struct check		*chk;
	double			 tpp = 0;
	bool			 ok;
	size_t			 i;

	for (pp = &checks_counts; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == cc) {
			*pp = cc->next;
			break;
		}
	}
	ok = res != NULL && PQntuples(res) == 1 && !PQgetisnull(res, 0, 0);
	if (ok)
		tpp = strtod(PQgetvalue(res, 0, 0), NULL);
	for (i = 0; i < cc->nwaiting; i++) {
		it = cc->waiting[i];
		chk = it->chk;
		it->chk = NULL;
		if (request_replied(it->job->r)) {
			check_free(chk);
			checks_item_failf(it, 503, "timeout", NULL,
			    "request ended");
			continue;
		}
		if (ok) {
			checks_consignee_keep(it->job, cc->name, cc->from,
			    tpp);
			check_set_consignee_tpp(chk, tpp);
		} else
			log_rwarnx(request_id(it->job->r), "could not count "
			    "the consignee's shipments this year: %s",
			    errmsg != NULL ? errmsg : "no answer");
		checks_item_determine(it, chk);
	}
	free(cc->waiting);
	free(cc->name);
	free(cc);
}

/* Ask the decision log for the consignee's year; false if it cannot. */
static bool
checks_ask_consignee(struct checks_item *it, struct check *chk)
{
	struct checks_count	*cc;
	const json_t		*kept;
	const char		*params[2], *name;
	char			 from[11], year[8];
	int			 y, m, d;

	if (check_kind(chk) != ITEM_CHIP ||
	    (name = check_recipient_name(chk)) == NULL)
		return (false);
	date_to_ymd(check_as_of(chk), &y, &m, &d);
	date_format(date_from_ymd(y, 1, 1), from);
	snprintf(year, sizeof year, "%d", y);
	it->consignee_asked = true;
	if ((kept = checks_consignee_kept(it->job, name, from)) != NULL) {
		/* Decided again at once on the job's answer. */
		check_set_consignee_tpp(chk, json_real_value(kept));
		checks_item_determine(it, chk);
		return (true);
	}
	for (cc = checks_counts; cc != NULL; cc = cc->next) {
		if (strcmp(cc->name, name) == 0 && strcmp(cc->from, from) == 0)
			break;
	}
	it->chk = chk;
	if (cc != NULL) {
		cc->waiting = xreallocarray(cc->waiting, cc->nwaiting + 1,
		    sizeof *cc->waiting);
		cc->waiting[cc->nwaiting++] = it;
		return (true);
	}
	/* Linked before the query: a failure may answer it at once. */
	cc = xcalloc(1, sizeof *cc);
	cc->name = xstrdup(name);
	memcpy(cc->from, from, sizeof cc->from);
	cc->waiting = xcalloc(1, sizeof *cc->waiting);
	cc->waiting[cc->nwaiting++] = it;
	cc->next = checks_counts;
	checks_counts = cc;
	params[0] = name;
	params[1] = year;
	if (db_query(CHECKS_CONSIGNEE_SQL, 2, params, checks_consignee_done,
	    cc) != 0) {
		checks_counts = cc->next;
		free(cc->waiting);
		free(cc->name);
		free(cc);
		it->chk = NULL;
		return (false);
	}
	return (true);
}

/* Determine on the job's ruleset and submit the decision. */
static void
checks_item_determine(struct checks_item *it, struct check *chk)
{
	struct checks_job	*job = it->job;
	struct verdict		*v;
	json_t			*resp;

	v = determine(job->rs, chk);
	/*
	 * The decision log is asked only when the consignee's year is what
	 * left a layer needs_review (a quantity cap such as LPP's): the one
	 * case where its answer can change the verdict.
	 */
	if (!it->consignee_asked && !request_replied(job->r) &&
	    verdict_missing_fact(v, "consignee_year_tpp") &&
	    checks_ask_consignee(it, chk)) {
		verdict_free(v);
		return;
	}
	decision_new_id(it->dec.id);
	resp = verdict_to_json(v, it->dec.id);
	metrics_count_verdict(checks_kind_name(it->kind),
	    verdict_kind_name(verdict_kind(v)));
	if (!job->batch)
		request_set_verdict(job->r, verdict_kind_name(verdict_kind(v)));
	log_rdebug(request_id(job->r), "decision %s: %s %s", it->dec.id,
	    checks_kind_name(it->kind), verdict_kind_name(verdict_kind(v)));
	verdict_free(v);
	it->result = resp;
	if (it->kind == ITEM_MODEL && checks_note2_context(it, chk))
		return;		/* checks_note2_done() submits */
	check_free(chk);
	checks_item_submit(it);
}

/*
 * 4E091 Note 2 excludes models trained with fewer operations than the most
 * advanced published model needed; BIS has set no figure. As context, not
 * as the floor, a weights verdict names the registry's most
 * compute-intensive published model as of its date (Epoch AI's data).
 * Answers are cached per date until the registry changes.
 */
#define CHECKS_NOTE2_SLOTS 64
static struct {
	ear_date	 date;
	char		*note;		/* NULL: slot empty */
} checks_note2[CHECKS_NOTE2_SLOTS];
static size_t	checks_note2_next;
static bool	checks_note2_hooked;

/*
 * One lookup in flight per date: the weights checks of a batch that need
 * the same date's context wait for its answer instead of each queueing a
 * query (and, answered one by one, each going to the log in a commit of
 * its own).
 */
struct checks_note2_wait {
	ear_date		 date;
	struct checks_item	**waiting;
	size_t			 nwaiting;
	struct checks_note2_wait *next;
};
static struct checks_note2_wait	*checks_note2_inflight;

static void
checks_note2_clear(const char *payload, void *arg)
{
	size_t	 i;

	(void)payload;
	(void)arg;
	for (i = 0; i < CHECKS_NOTE2_SLOTS; i++) {
		free(checks_note2[i].note);
		checks_note2[i].note = NULL;
	}
}

/* Add the note to the item's response (a copy of its notes array). */
static void
checks_note2_add(struct checks_item *it, const char *note)
{
	json_t	*notes;

	if (note == NULL || *note == '\0' || !json_is_object(it->result))
		return;
	notes = json_object_get(it->result, "notes");
	notes = json_is_array(notes) ? json_deep_copy(notes) : json_array();
	json_array_append_new(notes, json_string(note));
	json_object_set_new(it->result, "notes", notes);
}

static void
checks_note2_done(void *arg, PGresult *res, const char *errmsg)
{
	struct checks_note2_wait	*w = arg, **pp;
	struct checks_item		*it;
	char				 day[11], *note = NULL;
	json_t				*row;
	json_error_t			 jerr;
	size_t				 i;

	for (pp = &checks_note2_inflight; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	}
	date_format(w->date, day);
	if (res != NULL && PQntuples(res) == 1 && !PQgetisnull(res, 0, 0) &&
	    (row = json_loads(PQgetvalue(res, 0, 0), 0, &jerr)) != NULL) {
		xasprintf(&note, "4E091 Note 2 context (a proxy from the "
		    "registry, not the legal floor): the most compute-intensive "
		    "published model in the registry as of %s is \"%s\" "
		    "(published %s, %.3g operations)", day,
		    json_string_value(json_object_get(row, "name")) != NULL ?
		    json_string_value(json_object_get(row, "name")) : "?",
		    json_string_value(json_object_get(row, "published_on")) !=
		    NULL ? json_string_value(json_object_get(row,
		    "published_on")) : "?",
		    json_number_value(json_object_get(row, "training_ops")));
		json_decref(row);
	} else if (res != NULL && PQntuples(res) == 1)
		xasprintf(&note, "4E091 Note 2 context: the registry holds no "
		    "published model with stated training compute as of %s",
		    day);
	else if (w->nwaiting > 0)
		log_rdebug(request_id(w->waiting[0]->job->r), "no Note 2 "
		    "context: %s", errmsg != NULL ? errmsg : "no answer");
	if (note != NULL) {
		free(checks_note2[checks_note2_next].note);
		checks_note2[checks_note2_next].date = w->date;
		checks_note2[checks_note2_next].note = xstrdup(note);
		checks_note2_next = (checks_note2_next + 1) % CHECKS_NOTE2_SLOTS;
	}
	for (i = 0; i < w->nwaiting; i++) {
		it = w->waiting[i];
		check_free(it->chk);
		it->chk = NULL;
		checks_note2_add(it, note);
		checks_item_submit(it);
	}
	free(note);
	free(w->waiting);
	free(w);
}

/* Add the Note 2 context; true when a lookup is under way. */
static bool
checks_note2_context(struct checks_item *it, struct check *chk)
{
	struct checks_note2_wait	*w;
	char				 day[11];
	const char			*params[1];
	size_t				 i;

	for (i = 0; i < CHECKS_NOTE2_SLOTS; i++) {
		if (checks_note2[i].note != NULL &&
		    checks_note2[i].date == check_as_of(chk)) {
			checks_note2_add(it, checks_note2[i].note);
			return (false);
		}
	}
	if (!checks_note2_hooked) {
		db_on_notify("registry_changed", checks_note2_clear, NULL);
		checks_note2_hooked = true;
	}
	for (w = checks_note2_inflight; w != NULL; w = w->next) {
		if (w->date == check_as_of(chk))
			break;
	}
	if (w != NULL) {
		w->waiting = xreallocarray(w->waiting, w->nwaiting + 1,
		    sizeof *w->waiting);
		w->waiting[w->nwaiting++] = it;
		it->chk = chk;
		return (true);
	}
	/* Linked before the query: a failure may answer it at once. */
	w = xcalloc(1, sizeof *w);
	w->date = check_as_of(chk);
	w->waiting = xcalloc(1, sizeof *w->waiting);
	w->waiting[w->nwaiting++] = it;
	w->next = checks_note2_inflight;
	checks_note2_inflight = w;
	it->chk = chk;
	date_format(w->date, day);
	params[0] = day;
	if (db_query("SELECT (SELECT row_to_json(x)::text FROM "
	    "most_compute_published($1::date) x)", 1, params,
	    checks_note2_done, w) != 0) {
		checks_note2_inflight = w->next;
		free(w->waiting);
		free(w);
		it->chk = NULL;
		return (false);
	}
	return (true);
}

/* Record the decision; the answer goes out once it is durable. */
static void
checks_item_submit(struct checks_item *it)
{
	struct checks_job	*job = it->job;
	json_t			*resp = it->result;

	it->dec.kind = checks_kind_name(it->kind);
	it->dec.request = json_incref(it->body);
	it->dec.response = json_incref(resp);
	it->dec.requester = request_requester(job->r);
	it->dec.ruleset_version = ruleset_version(job->rs);
	it->dec.lists_version = screen_lists_version != NULL ?
	    screen_lists_version() : NULL;
	it->dec.at_us = eard_now_us();
	audit_submit(&it->dec, checks_audit_done, it);
}

/*
 * Registry entries by id, so that a check naming {"chip": {"id": X}} needs
 * no round trip once X was looked up: the facts (or JSON null for "no such
 * id") under "c:X" / "m:X". Emptied on NOTIFY registry_changed, on every
 * (re)connection (a notification may have been missed meanwhile) and when
 * full; an answer that left before an emptying is not kept (generation).
 * Without a database and without a cached entry, the check still fails
 * closed with registry_unavailable.
 */
#define CHECKS_REGISTRY_MAX	8192
static json_t	*checks_registry;
static uint64_t	 checks_registry_gen;
static bool	 checks_registry_hooked;

/* Forget every cached registry entry. */
static void
checks_registry_clear(void)
{
	json_decref(checks_registry);
	checks_registry = NULL;
	checks_registry_gen++;
}

static void
checks_registry_notify(const char *payload, void *arg)
{
	(void)payload;
	(void)arg;
	checks_registry_clear();
}

static void
checks_registry_connect(void *arg)
{
	(void)arg;
	checks_registry_clear();
}

/* The cache key of an id: "c:" or "m:" and the id. */
static void
checks_registry_key(enum item_kind kind, const char *id, char *key,
    size_t len)
{
	snprintf(key, len, "%c:%s", kind == ITEM_CHIP ? 'c' : 'm', id);
}

/* Remember an answer (facts, or NULL for no such id) of generation gen. */
static void
checks_registry_put(enum item_kind kind, const char *id, const json_t *facts,
    uint64_t gen)
{
	char	 key[256];

	if (gen != checks_registry_gen || strlen(id) > sizeof key - 3)
		return;
	if (checks_registry == NULL ||
	    json_object_size(checks_registry) >= CHECKS_REGISTRY_MAX) {
		json_decref(checks_registry);
		checks_registry = json_object();
	}
	checks_registry_key(kind, id, key, sizeof key);
	json_object_set_new(checks_registry, key, facts != NULL ?
	    json_deep_copy(facts) : json_null());
}

/* The cached answer for an id (borrowed; JSON null: no such id), or NULL. */
static const json_t *
checks_registry_get(enum item_kind kind, const char *id)
{
	char	 key[256];

	if (checks_registry == NULL || strlen(id) > sizeof key - 3)
		return (NULL);
	checks_registry_key(kind, id, key, sizeof key);
	return (json_object_get(checks_registry, key));
}

/* The item's registry entry is facts (borrowed), or absent when NULL. */
static void
checks_registry_use(struct checks_item *it, const char *id,
    const json_t *facts)
{
	const char	*field = checks_item_field(it->kind);
	char		 path[16];

	snprintf(path, sizeof path, "%s.id", field);
	if (facts == NULL) {
		checks_item_failf(it, 404, it->kind == ITEM_CHIP ?
		    "unknown_chip" : "unknown_model", path,
		    "no %s with id \"%s\" in the registry", field, id);
		return;
	}
	json_object_set_new(it->body, field, json_deep_copy(facts));
	checks_item_decide(it);
}

/* The registry answered for {"chip": {"id": X}} / {"model": {"id": X}}. */
static void
checks_registry_done(void *arg, PGresult *res, const char *errmsg)
{
	struct checks_item	*it = arg;
	const char		*field = checks_item_field(it->kind);
	const char		*id;
	json_t			*facts, *item;
	json_error_t		 jerr;
	char			 path[16];
	char			*idc;

	item = json_object_get(it->body, field);
	id = json_string_value(json_object_get(item, "id"));
	snprintf(path, sizeof path, "%s.id", field);
	if (request_replied(it->job->r)) {
		checks_item_failf(it, 503, "timeout", NULL, "request ended");
		return;
	}
	if (errmsg != NULL) {
		if (strstr(errmsg, "does not exist") != NULL) {
			checks_item_failf(it, 404, it->kind == ITEM_CHIP ?
			    "unknown_chip" : "unknown_model", path,
			    "the registry is not installed; give the %s's "
			    "facts inline", field);
			return;
		}
		checks_item_failf(it, 503, "registry_unavailable", path,
		    "could not look up %s \"%s\": %s", field, id, errmsg);
		return;
	}
	if (PQntuples(res) == 0) {
		checks_registry_put(it->kind, id, NULL, it->registry_gen);
		checks_registry_use(it, id, NULL);
		return;
	}
	facts = json_loads(PQgetvalue(res, 0, 0), 0, &jerr);
	if (!json_is_object(facts)) {
		json_decref(facts);
		checks_item_failf(it, 500, "internal_error", path,
		    "the registry entry for \"%s\" is not an object", id);
		return;
	}
	checks_registry_put(it->kind, id, facts, it->registry_gen);
	idc = xstrdup(id);	/* id lives in the member about to be replaced */
	checks_registry_use(it, idc, facts);
	free(idc);
	json_decref(facts);
}

/* Start one item: resolve its registry id first when it has one. */
static void
checks_item_run(struct checks_item *it)
{
	const char	*field = checks_item_field(it->kind), *id;
	const char	*params[1];
	const json_t	*facts;
	json_t		*item, *idv;
	char		 path[16];

	item = json_object_get(it->body, field);
	idv = json_is_object(item) ? json_object_get(item, "id") : NULL;
	if (idv == NULL) {
		checks_item_decide(it);
		return;
	}
	snprintf(path, sizeof path, "%s.id", field);
	if (!json_is_string(idv) || json_object_size(item) != 1) {
		checks_item_failf(it, 400, "invalid_field", path,
		    "a registry %s is {\"id\": \"...\"} and nothing else",
		    field);
		return;
	}
	id = json_string_value(idv);
	if (!checks_registry_hooked) {
		db_on_notify("registry_changed", checks_registry_notify, NULL);
		db_on_connect(checks_registry_connect, NULL);
		checks_registry_hooked = true;
	}
	if ((facts = checks_registry_get(it->kind, id)) != NULL) {
		checks_registry_use(it, id, json_is_null(facts) ? NULL :
		    facts);
		return;
	}
	it->registry_gen = checks_registry_gen;
	params[0] = id;
	if (db_query(it->kind == ITEM_CHIP ?
	    "SELECT facts::text FROM chips_current WHERE id = $1" :
	    "SELECT facts::text FROM models_current WHERE id = $1", 1,
	    params, checks_registry_done, it) != 0)
		checks_item_failf(it, 503, "registry_unavailable", path,
		    "could not look up %s \"%s\": the database is not "
		    "reachable", field, id);
}

/* A job for n items, holding the request and the ruleset; NULL if 503. */
static struct checks_job *
checks_job_new(struct request *r, size_t n, bool batch)
{
	struct checks_job	*job;
	struct ruleset		*rs;
	size_t			 i;

	if ((rs = rules_current()) == NULL) {
		request_reply_errorf(r, 503, "rules_not_loaded", NULL,
		    "the rules are not loaded yet; try again shortly");
		return NULL;
	}
	job = request_alloc(r, sizeof *job);
	job->r = r;
	job->rs = rs;
	job->batch = batch;
	job->n = n;
	job->today = date_today();
	job->items = request_alloc(r, (n > 0 ? n : 1) * sizeof *job->items);
	for (i = 0; i < n; i++)
		job->items[i].job = job;
	request_hold(r);
	return job;
}

/*
 * A batch starts CHECKS_SLICE items per turn of the loop, so that the
 * decision log commits the first ones while the next are decided (and the
 * loop serves others meanwhile) instead of waiting for the last.
 */
#define CHECKS_SLICE	64

static void	checks_job_slice(evutil_socket_t, short, void *);

/* Start the job's next items: all of them, or a slice for a batch. */
static void
checks_job_start(struct checks_job *job)
{
	/*
	 * A timeout, not an activation: libevent runs activations made by
	 * callbacks in the same turn, before polling, so the log's
	 * connection would not be read or written until the last slice.
	 */
	static const struct timeval	 turn = { 0, 1 };
	struct checks_item		*it;
	size_t				 end;

	for (;;) {
		end = job->batch && job->n - job->next > CHECKS_SLICE ?
		    job->next + CHECKS_SLICE : job->n;
		for (; job->next < end; job->next++) {
			it = &job->items[job->next];
			if (it->result != NULL)
				checks_item_done(it);
			else if (request_replied(job->r))
				checks_item_failf(it, 503, "timeout", NULL,
				    "request ended");
			else
				checks_item_run(it);
		}
		if (job->next == job->n)
			break;
		if (ev_base != NULL && event_base_once(ev_base, -1,
		    EV_TIMEOUT, checks_job_slice, job, &turn) == 0)
			return;
	}
	/* Every item started: drop the count that kept the job. */
	if (--job->outstanding == 0)
		checks_job_finish(job);
}

/* The next slice of a batch. */
static void
checks_job_slice(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	checks_job_start(arg);
}

/* Run every item; the extra count keeps the job until all have started. */
static void
checks_job_run(struct checks_job *job)
{
	job->outstanding = job->n + 1;
	job->next = 0;
	checks_job_start(job);
}

/* POST /v1/checks/chip and /weights: one item. */
static void
checks_single(struct request *r, enum item_kind kind)
{
	struct checks_job	*job;
	json_t			*body;

	if ((body = request_json(r)) == NULL)
		return;
	if ((job = checks_job_new(r, 1, false)) == NULL)
		return;
	job->items[0].kind = kind;
	job->items[0].body = json_copy(body);	/* top level its own */
	checks_job_run(job);
}

/* POST /v1/checks/chip */
void
route_checks_chip(struct request *r)
{
	checks_single(r, ITEM_CHIP);
}

/* POST /v1/checks/weights */
void
route_checks_weights(struct request *r)
{
	checks_single(r, ITEM_MODEL);
}

/* POST /v1/checks/batch: {"checks": [{"kind": "chip"|"weights", ...}]} */
void
route_checks_batch(struct request *r)
{
	struct checks_job	*job;
	struct checks_item	*it;
	struct ear_error	 err = { 0 };
	json_t			*body, *checks, *c;
	const char		*kind;
	char			 path[48];
	size_t			 i;

	if ((body = request_json(r)) == NULL)
		return;
	checks = json_object_get(body, "checks");
	if (!json_is_array(checks)) {
		request_reply_errorf(r, 400, "invalid_field", "checks",
		    "\"checks\" must be an array of check requests");
		return;
	}
	if (json_object_size(body) != 1) {
		request_reply_errorf(r, 400, "unknown_field", NULL,
		    "a batch has only \"checks\"");
		return;
	}
	if (json_array_size(checks) > (size_t)cfg.batch_max) {
		limits_hit("batch_max");
		request_reply_errorf(r, 400, "too_many_checks", "checks",
		    "a batch holds at most %d checks (batch_max); this one "
		    "has %zu", cfg.batch_max, json_array_size(checks));
		return;
	}
	if ((job = checks_job_new(r, json_array_size(checks), true)) == NULL)
		return;
	json_array_foreach(checks, i, c) {
		it = &job->items[i];
		snprintf(path, sizeof path, "checks[%zu].kind", i);
		kind = json_string_value(json_object_get(c, "kind"));
		if (!json_is_object(c) || kind == NULL ||
		    (strcmp(kind, "chip") != 0 &&
		    strcmp(kind, "weights") != 0)) {
			error_set(&err, 400, "invalid_field", path,
			    "each check needs \"kind\": \"chip\" or "
			    "\"weights\"");
			it->result = error_to_json(&err);
			it->status = 400;
			error_clear(&err);
			continue;
		}
		it->kind = strcmp(kind, "chip") == 0 ? ITEM_CHIP : ITEM_MODEL;
		/*
		 * Its own top level (kind goes, a registry id is replaced),
		 * members shared with the request's body: nothing below the
		 * top is changed (check_decode() only reads).
		 */
		it->body = json_copy(c);
		json_object_del(it->body, "kind");
	}
	checks_job_run(job);
}
