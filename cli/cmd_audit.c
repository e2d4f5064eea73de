/*
 * cmd_audit.c: the decision record from the command line (issue #7):
 *	earctl audit verify [--from DATE] [--to DATE]
 *	earctl replay DECISION_ID
 *	earctl explain DECISION_ID
 *	earctl report NAME [--param K=V]... [--svg] [--direct]
 *
 * audit verify reads the log directly (--database, EARD_ADMIN_DATABASE_URL
 * or the embedded cluster) and recomputes every hash: it needs no daemon and
 * trusts nothing the daemon computed. The others go through eard, except
 * report --direct, which runs queries/NAME.sql on the database itself.
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "earctl.h"

/* SHA-256 of prev (32 bytes) followed by text. */
static void
cmd_audit_sha256(const unsigned char prev[32], const char *text,
    unsigned char out[32])
{
	EVP_MD_CTX	*c;
	unsigned int	 len = 0;

	if ((c = EVP_MD_CTX_new()) == NULL)
		fatalx("could not allocate a digest context");
	if (!EVP_DigestInit_ex(c, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(c, prev, 32) ||
	    !EVP_DigestUpdate(c, text, strlen(text)) ||
	    !EVP_DigestFinal_ex(c, out, &len) || len != 32)
		fatalx("could not compute SHA-256");
	EVP_MD_CTX_free(c);
}

/* Hex of 32 bytes. */
static void
cmd_audit_hex(const unsigned char h[32], char out[65])
{
	int	 i;

	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
	out[64] = '\0';
}

/* Parse 64 hex digits; -1 if malformed. */
int
cmd_audit_unhex(const char *s, unsigned char out[32])
{
	int	 i, hi, lo;

	if (s == NULL || strlen(s) != 64)
		return (-1);
	for (i = 0; i < 32; i++) {
		hi = s[2 * i];
		lo = s[2 * i + 1];
		hi = hi >= 'a' ? hi - 'a' + 10 : hi - '0';
		lo = lo >= 'a' ? lo - 'a' + 10 : lo - '0';
		if (hi < 0 || hi > 15 || lo < 0 || lo > 15)
			return (-1);
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return (0);
}

/* Start verifying a new chain whose first row must link to genesis. */
void
cmd_audit_verify_chain(struct cmd_audit_verify *v, const char *chain,
    const unsigned char genesis[32])
{
	snprintf(v->chain, sizeof v->chain, "%s", chain);
	memcpy(v->prev, genesis, 32);
	v->seq = 0;
	v->chains++;
}

/*
 * Check one row against the chain so far: its position, its link to the
 * previous row, and its own hash recomputed from its fields. 0 if intact,
 * -1 with v->broken set (the first broken link) otherwise.
 */
int
cmd_audit_verify_row(struct cmd_audit_verify *v,
    const struct canon_decision_fields *f, int64_t seq,
    const unsigned char prev[32], const unsigned char hash[32])
{
	unsigned char	 h[32];
	char		*canon, e[65], g[65];

	if (v->broken != NULL)
		return (-1);
	v->rows++;
	if (seq != v->seq + 1) {
		xasprintf(&v->broken, "decision %s (chain %s): sequence number "
		    "%lld, expected %lld: a decision is missing or was "
		    "inserted", f->id, v->chain, (long long)seq,
		    (long long)v->seq + 1);
		return (-1);
	}
	if (memcmp(prev, v->prev, 32) != 0) {
		cmd_audit_hex(v->prev, e);
		cmd_audit_hex(prev, g);
		xasprintf(&v->broken, "decision %s (chain %s, seq %lld): "
		    "previous hash expected %s, found %s", f->id, v->chain,
		    (long long)seq, e, g);
		return (-1);
	}
	canon = canon_decision(f);
	cmd_audit_sha256(v->prev, canon, h);
	free(canon);
	if (memcmp(h, hash, 32) != 0) {
		cmd_audit_hex(h, e);
		cmd_audit_hex(hash, g);
		xasprintf(&v->broken, "decision %s (chain %s, seq %lld): hash "
		    "expected %s, found %s", f->id, v->chain, (long long)seq,
		    e, g);
		return (-1);
	}
	memcpy(v->prev, hash, 32);
	v->seq = seq;
	return (0);
}

/* The chain's recorded head must be its last row. */
int
cmd_audit_verify_head(struct cmd_audit_verify *v, int64_t head_seq,
    const unsigned char head[32])
{
	char	 e[65], g[65];

	if (v->broken != NULL)
		return (-1);
	if (head_seq != v->seq || memcmp(head, v->prev, 32) != 0) {
		cmd_audit_hex(v->prev, e);
		cmd_audit_hex(head, g);
		xasprintf(&v->broken, "chain %s: head expected seq %lld hash "
		    "%s, found seq %lld hash %s: decisions are missing at the "
		    "end", v->chain, (long long)v->seq, e,
		    (long long)head_seq, g);
		return (-1);
	}
	return (0);
}

/* One value of a result as a string, or NULL. */
static const char *
cmd_audit_val(PGresult *res, int row, int col)
{
	return (PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col));
}

/* A stored jsonb's text as JSON (numbers as doubles: see core/canon.c). */
static json_t *
cmd_audit_load(const char *text)
{
	json_error_t	 err;

	if (text == NULL)
		return (NULL);
	return (json_loads(text, JSON_DECODE_INT_AS_REAL | JSON_DECODE_ANY,
	    &err));
}

/* Verify the rows of one chain, streamed in order. */
static int
cmd_audit_verify_rows(PGconn *conn, struct cmd_audit_verify *v,
    const char *chain, char **cause)
{
	struct canon_decision_fields	 f;
	PGresult			*res;
	const char			*params[1] = { chain };
	unsigned char			 prev[32], hash[32];
	json_t				*rq, *rs;
	int				 rc = 0;

	if (!PQsendQueryParams(conn, "SELECT seq, id, "
	    "(extract(epoch FROM decided_at) * 1000000)::bigint, kind, "
	    "requester, ruleset_version, lists_version, request::text, "
	    "response::text, encode(prev_hash, 'hex'), encode(hash, 'hex') "
	    "FROM decisions WHERE chain = $1 ORDER BY seq", 1, NULL, params,
	    NULL, NULL, 0) || !PQsetSingleRowMode(conn)) {
		xasprintf(cause, "could not read the decision log: %s",
		    PQerrorMessage(conn));
		return (-1);
	}
	while ((res = PQgetResult(conn)) != NULL) {
		if (PQresultStatus(res) == PGRES_TUPLES_OK) {
			PQclear(res);
			continue;
		}
		if (PQresultStatus(res) != PGRES_SINGLE_TUPLE) {
			if (rc == 0)
				xasprintf(cause, "could not read the decision "
				    "log: %s", PQresultErrorMessage(res));
			rc = -1;
			PQclear(res);
			continue;
		}
		if (rc != 0 || v->broken != NULL) {
			PQclear(res);
			continue;
		}
		memset(&f, 0, sizeof f);
		f.id = cmd_audit_val(res, 0, 1);
		f.at_us = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
		f.kind = cmd_audit_val(res, 0, 3);
		f.requester = cmd_audit_val(res, 0, 4);
		f.ruleset_version = cmd_audit_val(res, 0, 5);
		f.lists_version = cmd_audit_val(res, 0, 6);
		rq = cmd_audit_load(cmd_audit_val(res, 0, 7));
		rs = cmd_audit_load(cmd_audit_val(res, 0, 8));
		f.request = rq;
		f.response = rs;
		if (cmd_audit_unhex(PQgetvalue(res, 0, 9), prev) != 0 ||
		    cmd_audit_unhex(PQgetvalue(res, 0, 10), hash) != 0)
			xasprintf(&v->broken, "decision %s: malformed hash",
			    f.id);
		else
			(void)cmd_audit_verify_row(v, &f,
			    strtoll(PQgetvalue(res, 0, 0), NULL, 10), prev, hash);
		json_decref(rq);
		json_decref(rs);
		PQclear(res);
	}
	return (rc);
}

/*
 * Verify the chains between two months ("YYYY-MM", NULL for open ends):
 * 0 intact, 1 broken (v->broken says where), -1 error.
 */
int
cmd_audit_verify_db(PGconn *conn, const char *from, const char *to,
    struct cmd_audit_verify *v, char **cause)
{
	PGresult	*res, *r2;
	const char	*params[2] = { from, to }, *p2[2];
	unsigned char	 genesis[32], head[32];
	int		 i, n;
	char		 e[65];

	res = PQexecParams(conn, "SELECT chain, prev_chain, prev_seq, "
	    "encode(genesis_prev, 'hex'), head_seq, encode(head_hash, 'hex') "
	    "FROM decision_chains WHERE ($1::text IS NULL OR chain >= $1) "
	    "AND ($2::text IS NULL OR chain <= $2) ORDER BY chain", 2, NULL,
	    params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		xasprintf(cause, "could not read the decision chains: %s",
		    PQresultErrorMessage(res));
		PQclear(res);
		return (-1);
	}
	n = PQntuples(res);
	for (i = 0; i < n && v->broken == NULL; i++) {
		if (cmd_audit_unhex(PQgetvalue(res, i, 3), genesis) != 0 ||
		    cmd_audit_unhex(PQgetvalue(res, i, 5), head) != 0) {
			xasprintf(&v->broken, "chain %s: malformed hash",
			    PQgetvalue(res, i, 0));
			break;
		}
		/* The chain heads are chained: genesis is a row's hash. */
		if (!PQgetisnull(res, i, 1) &&
		    strcmp(PQgetvalue(res, i, 2), "0") != 0) {
			p2[0] = PQgetvalue(res, i, 1);
			p2[1] = PQgetvalue(res, i, 2);
			r2 = PQexecParams(conn, "SELECT encode(hash, 'hex') "
			    "FROM decisions WHERE chain = $1 AND seq = $2", 2,
			    NULL, p2, NULL, NULL, 0);
			if (PQresultStatus(r2) != PGRES_TUPLES_OK ||
			    PQntuples(r2) != 1 ||
			    strcmp(PQgetvalue(r2, 0, 0),
			    PQgetvalue(res, i, 3)) != 0) {
				cmd_audit_hex(genesis, e);
				xasprintf(&v->broken, "chain %s: its first link "
				    "%s is not the hash of decision %s of chain "
				    "%s", PQgetvalue(res, i, 0), e, p2[1],
				    p2[0]);
				PQclear(r2);
				break;
			}
			PQclear(r2);
		}
		cmd_audit_verify_chain(v, PQgetvalue(res, i, 0), genesis);
		if (cmd_audit_verify_rows(conn, v, PQgetvalue(res, i, 0),
		    cause) != 0) {
			PQclear(res);
			return (-1);
		}
		(void)cmd_audit_verify_head(v, strtoll(PQgetvalue(res, i, 4),
		    NULL, 10), head);
	}
	PQclear(res);
	return (v->broken != NULL ? 1 : 0);
}

/* "YYYY-MM" of a "YYYY-MM-DD" date, or -1. */
static int
cmd_audit_month(const char *date, char out[8])
{
	ear_date	 d;

	if (date_parse(date, &d) != 0)
		return (-1);
	snprintf(out, 8, "%.7s", date);
	return (0);
}

/* earctl audit verify [--from DATE] [--to DATE] */
int
cmd_audit_verify_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	struct cmd_audit_verify	 v;
	PGconn			*conn;
	char			 from[8], to[8], *cause = NULL;
	const char		*pf = NULL, *pt = NULL;
	json_t			*o;
	int			 ch, rc;

	cli_getopt_reset();
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			if (cmd_audit_month(optarg, from) != 0)
				return (cli_usage_error(ctx, "--from: invalid "
				    "date \"%s\" (want YYYY-MM-DD)", optarg));
			pf = from;
			break;
		case 't':
			if (cmd_audit_month(optarg, to) != 0)
				return (cli_usage_error(ctx, "--to: invalid "
				    "date \"%s\" (want YYYY-MM-DD)", optarg));
			pt = to;
			break;
		default:
			return (cli_usage_error(ctx, NULL));
		}
	}
	if (optind != argc)
		return (cli_usage_error(ctx, "unexpected argument \"%s\"",
		    argv[optind]));
	if ((conn = cli_db_connect(ctx, false, &cause)) == NULL) {
		cli_warnx("%s", cause);
		free(cause);
		return (CLI_EXIT_ERROR);
	}
	memset(&v, 0, sizeof v);
	rc = cmd_audit_verify_db(conn, pf, pt, &v, &cause);
	PQfinish(conn);
	if (rc == -1) {
		cli_warnx("%s", cause);
		free(cause);
		return (CLI_EXIT_ERROR);
	}
	if (ctx->format == CLI_FORMAT_JSON) {
		o = json_pack("{s:b, s:I, s:I}", "intact", rc == 0,
		    "decisions", (json_int_t)v.rows, "chains",
		    (json_int_t)v.chains);
		if (v.broken != NULL)
			json_object_set_new(o, "broken", json_string(v.broken));
		cli_print_json(o);
		json_decref(o);
	} else if (rc == 0)
		printf("audit log intact: %zu decisions in %zu chains\n",
		    v.rows, v.chains);
	else
		printf("audit log BROKEN: %s\n", v.broken);
	free(v.broken);
	return (rc == 0 ? CLI_EXIT_OK : CLI_EXIT_NO);
}

/* A decision id safe to put in a path. */
static bool
cmd_audit_id_ok(const char *id)
{
	size_t	 n = strspn(id, "0123456789abcdefABCDEF-");

	return (*id != '\0' && id[n] == '\0' && n < 40);
}

/* earctl replay DECISION_ID */
int
cmd_audit_replay_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	char	*path;
	json_t	*reply = NULL, *r;
	int	 status, rc;
	const char *same;

	if (argc != 2)
		return (cli_usage_error(ctx, "replay needs one decision id"));
	if (!cmd_audit_id_ok(argv[1]))
		return (cli_usage_error(ctx, "invalid decision id \"%s\"",
		    argv[1]));
	xasprintf(&path, "/v1/decisions/%s/replay", argv[1]);
	rc = cli_request(ctx, "POST", path, NULL, &status, &reply);
	free(path);
	if (rc != 0)
		return (rc);
	if (status != 200)
		return (cli_reply_exit(status, reply));
	if (ctx->format == CLI_FORMAT_JSON)
		cli_print_json(reply);
	else {
		printf("decision %s\n", argv[1]);
		printf("  recorded verdict:        %s\n",
		    cli_json_str(reply, "recorded_verdict"));
		r = json_object_get(reply, "original_rules");
		printf("  with its rules (%.12s): %s%s\n",
		    cli_json_str(r, "ruleset") ? cli_json_str(r, "ruleset") : "",
		    cli_json_str(r, "verdict") ? cli_json_str(r, "verdict") :
		    "not replayable",
		    json_is_true(json_object_get(reply, "same")) ? "" :
		    "  ALARM: differs from the record");
		r = json_object_get(reply, "current_rules");
		printf("  with today's rules (%.12s): %s%s\n",
		    cli_json_str(r, "ruleset") ? cli_json_str(r, "ruleset") : "",
		    cli_json_str(r, "verdict") ? cli_json_str(r, "verdict") : "",
		    json_is_true(json_object_get(reply, "changed")) ?
		    "  (changed since)" : "");
		if ((same = cli_json_str(reply, "note")) != NULL)
			printf("  %s\n", same);
	}
	rc = json_is_true(json_object_get(reply, "same")) ? CLI_EXIT_OK :
	    CLI_EXIT_NO;
	json_decref(reply);
	return (rc);
}

/* earctl explain DECISION_ID */
int
cmd_audit_explain_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	char		*path, *text;
	json_t		*reply = NULL, *resp, *a, *x;
	const char	*cit;
	size_t		 i;
	int		 status, rc;

	if (argc != 2)
		return (cli_usage_error(ctx, "explain needs one decision id"));
	if (!cmd_audit_id_ok(argv[1]))
		return (cli_usage_error(ctx, "invalid decision id \"%s\"",
		    argv[1]));
	xasprintf(&path, "/v1/decisions/%s", argv[1]);
	rc = cli_request(ctx, "GET", path, NULL, &status, &reply);
	free(path);
	if (rc != 0)
		return (rc);
	if (status != 200)
		return (cli_reply_exit(status, reply));
	if (ctx->format == CLI_FORMAT_JSON) {
		cli_print_json(reply);
		json_decref(reply);
		return (CLI_EXIT_OK);
	}
	resp = json_object_get(reply, "response");
	printf("decision %s\n", argv[1]);
	printf("  decided at: %s\n", cli_json_str(reply, "decided_at"));
	printf("  kind:       %s\n", cli_json_str(reply, "kind"));
	printf("  requester:  %s\n", cli_json_str(reply, "requester") ?
	    cli_json_str(reply, "requester") : "-");
	printf("  verdict:    %s\n", cli_json_str(reply, "verdict") ?
	    cli_json_str(reply, "verdict") : "-");
	printf("  rules:      %s\n", cli_json_str(reply, "ruleset_version") ?
	    cli_json_str(reply, "ruleset_version") : "-");
	x = json_object_get(resp, "classification");
	if (json_is_object(x))
		printf("  eccn:       %s\n", cli_json_str(x, "eccn") ?
		    cli_json_str(x, "eccn") : "none (not classified)");
	a = json_object_get(resp, "requirements");
	for (i = 0; i < json_array_size(a); i++) {
		x = json_array_get(a, i);
		cit = cli_json_str(x, "citation");
		printf("  requirement: %s, %s (%s)\n",
		    cli_json_str(x, "reason") ? cli_json_str(x, "reason") : "",
		    cli_json_str(x, "review_policy") ?
		    cli_json_str(x, "review_policy") : "",
		    cit != NULL ? cit : "no citation");
		/* The cited paragraph, when the eCFR text is available. */
		if (cit != NULL && cli_citation_text != NULL &&
		    (text = cli_citation_text(ctx, cit)) != NULL) {
			printf("    %s\n", text);
			free(text);
		}
	}
	a = json_object_get(resp, "exceptions");
	for (i = 0; i < json_array_size(a); i++) {
		x = json_array_get(a, i);
		printf("  exception %s: %s%s%s\n", cli_json_str(x, "code"),
		    json_is_true(json_object_get(x, "available")) ?
		    "available" : "not available",
		    cli_json_str(x, "why") ? ": " : "",
		    cli_json_str(x, "why") ? cli_json_str(x, "why") : "");
	}
	a = json_object_get(resp, "notes");
	for (i = 0; i < json_array_size(a); i++) {
		x = json_array_get(a, i);
		if (json_is_string(x))
			printf("  note: %s\n", json_string_value(x));
	}
	json_decref(reply);
	return (CLI_EXIT_OK);
}

/* A report cell as text (caller frees), NULL for null. */
static char *
cmd_audit_cell(json_t *v)
{
	char	*s;

	switch (json_typeof(v)) {
	case JSON_STRING:
		return (xstrdup(json_string_value(v)));
	case JSON_INTEGER:
		xasprintf(&s, "%lld", (long long)json_integer_value(v));
		return (s);
	case JSON_REAL:
		xasprintf(&s, "%.10g", json_real_value(v));
		return (s);
	case JSON_TRUE:
		return (xstrdup("true"));
	case JSON_FALSE:
		return (xstrdup("false"));
	case JSON_NULL:
		return (NULL);
	default:
		return (json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS));
	}
}

/* A PostgreSQL value as JSON, by the column's type (as eard does). */
static json_t *
cmd_audit_value(PGresult *res, int row, int col)
{
	return (queries_value_json(PQgetisnull(res, row, col) ? NULL :
	    PQgetvalue(res, row, col), PQftype(res, col)));
}

/* Where the query files are, for --direct. */
static const char *
cmd_audit_queries_dir(const char *opt)
{
	const char	*s;
	struct stat	 st;

	if (opt != NULL)
		return (opt);
	if ((s = getenv("EARD_QUERIES_DIR")) != NULL && *s != '\0')
		return (s);
	if (stat("queries", &st) == 0 && S_ISDIR(st.st_mode))
		return ("queries");
	if ((s = queries_dir_near_exe()) != NULL)
		return (s);
	return ("queries");
}

/*
 * Run queries/NAME.sql on the database: the reply eard would give, or NULL
 * with *cause. Parameters are taken from kv (name=value) by the header.
 */
static json_t *
cmd_audit_report_direct(struct cmd_ctx *ctx, const char *dir,
    const char *name, json_t *kv, char **cause)
{
	PGconn		*conn;
	PGresult	*res;
	FILE		*f;
	char		*path, *text, line[512], pn[64], pt[32], pd[128];
	char		*names[16];
	const char	*vals[16];
	json_t		*cols, *rows, *row, *ps, *x;
	size_t		 len = 0, cap = 4096, k;
	int		 np = 0, i, j;

	xasprintf(&path, "%s/%s.sql", dir, name);
	if ((f = fopen(path, "r")) == NULL) {
		xasprintf(cause, "could not open report \"%s\": %s", path,
		    strerror(errno));
		free(path);
		return (NULL);
	}
	free(path);
	text = xmalloc(cap);
	ps = json_object();
	while (fgets(line, sizeof line, f) != NULL) {
		k = strlen(line);
		if (len + k + 1 > cap) {
			while (len + k + 1 > cap)
				cap *= 2;
			text = xreallocarray(text, 1, cap);
		}
		memcpy(text + len, line, k + 1);
		len += k;
		if (sscanf(line, "-- param: %63s %31s %127s", pn, pt, pd) == 3 &&
		    np < (int)nitems(vals)) {
			x = json_object_get(kv, pn);
			json_object_set_new(ps, pn, x != NULL ? json_incref(x) :
			    strcmp(pd, "null") == 0 ? json_null() :
			    json_string(pd));
			names[np++] = xstrdup(pn);
		}
	}
	for (i = 0; i < np; i++) {
		vals[i] = json_string_value(json_object_get(ps, names[i]));
		free(names[i]);
	}
	fclose(f);
	if ((conn = cli_db_connect(ctx, false, cause)) == NULL) {
		free(text);
		json_decref(ps);
		return (NULL);
	}
	res = PQexecParams(conn, text, np, NULL, vals, NULL, NULL, 0);
	free(text);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		xasprintf(cause, "report %s failed: %s", name,
		    PQresultErrorMessage(res));
		PQclear(res);
		PQfinish(conn);
		json_decref(ps);
		return (NULL);
	}
	cols = json_array();
	for (j = 0; j < PQnfields(res); j++)
		json_array_append_new(cols, json_string(PQfname(res, j)));
	rows = json_array();
	for (i = 0; i < PQntuples(res); i++) {
		row = json_array();
		for (j = 0; j < PQnfields(res); j++)
			json_array_append_new(row, cmd_audit_value(res, i, j));
		json_array_append_new(rows, row);
	}
	PQclear(res);
	PQfinish(conn);
	return (json_pack("{s:s, s:o, s:o, s:o}", "report", name, "columns",
	    cols, "rows", rows, "params", ps));
}

/* The rows of a report reply as an array of objects (new reference). */
static json_t *
cmd_audit_objects(json_t *reply)
{
	json_t	*cols = json_object_get(reply, "columns");
	json_t	*rows = json_object_get(reply, "rows"), *a, *o, *r;
	size_t	 i, j;

	a = json_array();
	for (i = 0; i < json_array_size(rows); i++) {
		r = json_array_get(rows, i);
		o = json_object();
		for (j = 0; j < json_array_size(cols); j++)
			json_object_set(o, json_string_value(json_array_get(cols,
			    j)), json_array_get(r, j));
		json_array_append_new(a, o);
	}
	return (a);
}

/* Print a report reply as a table, CSV or JSON. */
static void
cmd_audit_print_report(struct cmd_ctx *ctx, json_t *reply)
{
	json_t		*cols = json_object_get(reply, "columns");
	json_t		*rows = json_object_get(reply, "rows"), *objs;
	const char	**hdr;
	char		**cells;
	size_t		 nc = json_array_size(cols), nr = json_array_size(rows);
	size_t		 i, j;

	if (ctx->format == CLI_FORMAT_JSON) {
		objs = cmd_audit_objects(reply);
		cli_print_json(objs);
		json_decref(objs);
		return;
	}
	hdr = xcalloc(nc ? nc : 1, sizeof *hdr);
	for (j = 0; j < nc; j++)
		hdr[j] = json_string_value(json_array_get(cols, j));
	cells = xcalloc(nc * nr > 0 ? nc * nr : 1, sizeof *cells);
	for (i = 0; i < nr; i++)
		for (j = 0; j < nc; j++)
			cells[i * nc + j] = cmd_audit_cell(json_array_get(
			    json_array_get(rows, i), j));
	cli_print_table(ctx, hdr, nc, (const char *const *)cells, nr);
	for (i = 0; i < nc * nr; i++)
		free(cells[i]);
	free(cells);
	free(hdr);
}

/* Append "k=v" to a query string, percent-encoding v. */
static void
cmd_audit_query_add(char **q, const char *k, const char *v)
{
	char		*enc, *out;
	size_t		 i, o = 0;
	unsigned char	 c;

	enc = xmalloc(strlen(v) * 3 + 1);
	for (i = 0; v[i] != '\0'; i++) {
		c = (unsigned char)v[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-_.~", c) != NULL)
			enc[o++] = (char)c;
		else {
			snprintf(enc + o, 4, "%%%02X", c);
			o += 3;
		}
	}
	enc[o] = '\0';
	xasprintf(&out, "%s%c%s=%s", *q, strchr(*q, '?') ? '&' : '?', k, enc);
	free(enc);
	free(*q);
	*q = out;
}

/*
 * earctl report NAME [--param K=V]... [--K V]... [--svg] [--direct]
 *     [--format table|csv|json] [--queries-dir DIR]
 * Any other --K V is the parameter K (dashes become underscores), so
 * `report impact --from D1 --to D2` works as the issue writes it.
 */
int
cmd_audit_report_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	const char	*name = NULL, *qdir = NULL, *eq, *env, *as_of;
	char		*path, *k, *cause = NULL, *p;
	json_t		*kv, *reply = NULL, *objs, *x;
	bool		 svg = false, direct = false;
	int		 i, status, rc;

	kv = json_object();
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--svg") == 0)
			svg = true;
		else if (strcmp(a, "--direct") == 0)
			direct = true;
		else if ((strcmp(a, "--format") == 0 ||
		    strcmp(a, "--queries-dir") == 0 ||
		    strcmp(a, "--param") == 0 || strcmp(a, "-p") == 0) &&
		    i + 1 >= argc) {
			json_decref(kv);
			return (cli_usage_error(ctx, "option %s needs a value",
			    a));
		} else if (strcmp(a, "--format") == 0) {
			a = argv[++i];
			if (strcmp(a, "table") == 0)
				ctx->format = CLI_FORMAT_TABLE;
			else if (strcmp(a, "csv") == 0)
				ctx->format = CLI_FORMAT_CSV;
			else if (strcmp(a, "json") == 0)
				ctx->format = CLI_FORMAT_JSON;
			else {
				json_decref(kv);
				return (cli_usage_error(ctx, "--format: want "
				    "table, csv or json, not \"%s\"", a));
			}
		} else if (strcmp(a, "--queries-dir") == 0)
			qdir = argv[++i];
		else if (strcmp(a, "--param") == 0 || strcmp(a, "-p") == 0) {
			a = argv[++i];
			if ((eq = strchr(a, '=')) == NULL || eq == a) {
				json_decref(kv);
				return (cli_usage_error(ctx, "--param: want "
				    "NAME=VALUE, not \"%s\"", a));
			}
			k = xstrndup(a, (size_t)(eq - a));
			json_object_set_new(kv, k, json_string(eq + 1));
			free(k);
		} else if (strncmp(a, "--", 2) == 0 && a[2] != '\0') {
			if ((eq = strchr(a, '=')) != NULL)
				k = xstrndup(a + 2, (size_t)(eq - a - 2));
			else if (i + 1 < argc)
				k = xstrdup(a + 2);
			else {
				json_decref(kv);
				return (cli_usage_error(ctx, "option %s needs a "
				    "value", a));
			}
			for (p = k; *p != '\0'; p++)
				if (*p == '-')
					*p = '_';
			json_object_set_new(kv, k, json_string(eq != NULL ?
			    eq + 1 : argv[++i]));
			free(k);
		} else if (name == NULL)
			name = a;
		else {
			json_decref(kv);
			return (cli_usage_error(ctx, "unexpected argument "
			    "\"%s\"", a));
		}
	}
	/* An explicit --database (not just the environment) means direct. */
	env = getenv("EARD_ADMIN_DATABASE_URL");
	if (ctx->database != NULL && (env == NULL ||
	    strcmp(env, ctx->database) != 0))
		direct = true;

	if (name == NULL) {
		rc = cli_request(ctx, "GET", "/v1/reports", NULL, &status,
		    &reply);
		if (rc != 0) {
			json_decref(kv);
			return (rc);
		}
		if (status != 200) {
			json_decref(kv);
			return (cli_reply_exit(status, reply));
		}
		x = json_object_get(reply, "reports");
		{
			static const char *const keys[] = { "name", "about" };

			cli_print_json_rows(ctx, x, keys, nitems(keys));
		}
		json_decref(reply);
		json_decref(kv);
		return (CLI_EXIT_OK);
	}
	if (strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-") !=
	    strlen(name)) {
		json_decref(kv);
		return (cli_usage_error(ctx, "invalid report name \"%s\"",
		    name));
	}
	if (direct) {
		reply = cmd_audit_report_direct(ctx, cmd_audit_queries_dir(qdir),
		    name, kv, &cause);
		if (reply == NULL) {
			cli_warnx("%s", cause);
			free(cause);
			json_decref(kv);
			return (CLI_EXIT_ERROR);
		}
	} else {
		const char	*key;
		json_t		*v;

		xasprintf(&path, "/v1/reports/%s", name);
		json_object_foreach(kv, key, v)
			cmd_audit_query_add(&path, key, json_string_value(v));
		rc = cli_request(ctx, "GET", path, NULL, &status, &reply);
		free(path);
		if (rc != 0) {
			json_decref(kv);
			return (rc);
		}
		if (status != 200) {
			json_decref(kv);
			return (cli_reply_exit(status, reply));
		}
	}
	if (svg) {
		objs = cmd_audit_objects(reply);
		as_of = json_string_value(json_object_get(json_object_get(reply,
		    "params"), "as_of"));
		if (strcmp(name, "chip-map") == 0)
			svg_chip_map(stdout, objs, as_of);
		else if (strcmp(name, "compute-frontier") == 0)
			svg_compute_frontier(stdout, objs);
		else if (strcmp(name, "open-lag") == 0)
			svg_open_lag(stdout, objs);
		else {
			json_decref(objs);
			json_decref(reply);
			json_decref(kv);
			return (cli_usage_error(ctx, "--svg: only chip-map, "
			    "compute-frontier and open-lag have a chart"));
		}
		json_decref(objs);
	} else
		cmd_audit_print_report(ctx, reply);
	json_decref(reply);
	json_decref(kv);
	return (CLI_EXIT_OK);
}
