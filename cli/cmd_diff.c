/*
 * cmd_diff.c: earctl diff ecfr DATE1 DATE2 [--json]
 *
 * What changed in the imported eCFR text between the versions in force on
 * two dates (each scope's latest imported date <= DATE, as
 * ecfr_scope_date() says): paragraphs and notes added, removed or changed
 * (with a short word diff), country-group memberships of 15 CFR 740
 * Supp. 1 added or removed, and Entity List entries (15 CFR 744 Supp. 4)
 * added, removed or changed (which fields). Reads the database directly
 * (--database, as the other admin commands do). Exit 0, 4 on errors.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "earctl.h"

#define DIFF_CONTEXT	4	/* words kept around a change */

static const char diff_text_sql[] =
    "WITH s AS (SELECT DISTINCT scope FROM ecfr_versions),"
    " a AS (SELECT t.* FROM ecfr_text t JOIN s ON t.scope = s.scope"
    "  AND t.ecfr_date = ecfr_scope_date(s.scope, $1::date)),"
    " b AS (SELECT t.* FROM ecfr_text t JOIN s ON t.scope = s.scope"
    "  AND t.ecfr_date = ecfr_scope_date(s.scope, $2::date))"
    " SELECT CASE WHEN a.cite IS NULL THEN 'added' WHEN b.cite IS NULL"
    "  THEN 'removed' ELSE 'changed' END, coalesce(b.cite, a.cite),"
    "  coalesce(a.heading || ' ', '') || coalesce(a.body, ''),"
    "  coalesce(b.heading || ' ', '') || coalesce(b.body, '')"
    " FROM a FULL JOIN b ON a.scope = b.scope AND a.cite = b.cite"
    " WHERE a.cite IS NULL OR b.cite IS NULL OR a.body <> b.body"
    "  OR a.heading IS DISTINCT FROM b.heading"
    " ORDER BY coalesce(b.scope, a.scope), coalesce(b.ord, a.ord)";

static const char diff_groups_sql[] =
    "WITH a AS (SELECT * FROM ecfr_country_groups g"
    "  WHERE g.ecfr_date = ecfr_scope_date(g.scope, $1::date)),"
    " b AS (SELECT * FROM ecfr_country_groups g"
    "  WHERE g.ecfr_date = ecfr_scope_date(g.scope, $2::date))"
    " SELECT CASE WHEN a.grp IS NULL THEN 'added' ELSE 'removed' END,"
    "  coalesce(b.grp, a.grp), coalesce(b.country_name, a.country_name),"
    "  coalesce(b.country, a.country, '')"
    " FROM a FULL JOIN b ON a.grp = b.grp"
    "  AND a.country_name = b.country_name"
    " WHERE a.grp IS NULL OR b.grp IS NULL ORDER BY 2, 3";

/* Entries keyed by country, name and rank among entries of that name. */
static const char diff_entities_sql[] =
    "WITH a AS (SELECT e.*, row_number() OVER (PARTITION BY country_name,"
    "   name ORDER BY ord) AS k FROM ecfr_entities e"
    "  WHERE e.ecfr_date = ecfr_scope_date(e.scope, $1::date)),"
    " b AS (SELECT e.*, row_number() OVER (PARTITION BY country_name,"
    "   name ORDER BY ord) AS k FROM ecfr_entities e"
    "  WHERE e.ecfr_date = ecfr_scope_date(e.scope, $2::date))"
    " SELECT CASE WHEN a.name IS NULL THEN 'added' WHEN b.name IS NULL"
    "  THEN 'removed' ELSE 'changed' END,"
    "  coalesce(b.country_name, a.country_name), coalesce(b.name, a.name),"
    "  CASE WHEN a.name IS NOT NULL AND b.name IS NOT NULL THEN"
    "  concat_ws(', ',"
    "   CASE WHEN a.aliases <> b.aliases THEN 'aliases' END,"
    "   CASE WHEN a.addresses <> b.addresses THEN 'addresses' END,"
    "   CASE WHEN a.license_requirement IS DISTINCT FROM"
    "    b.license_requirement THEN 'license requirement' END,"
    "   CASE WHEN a.review_policy IS DISTINCT FROM b.review_policy"
    "    THEN 'review policy' END,"
    "   CASE WHEN a.fr_citations <> b.fr_citations"
    "    THEN 'FR citations' END) ELSE '' END,"
    "  CASE WHEN a.name IS NOT NULL THEN json_build_object('aliases',"
    "   a.aliases, 'addresses', a.addresses, 'license_requirement',"
    "   a.license_requirement, 'review_policy', a.review_policy,"
    "   'fr_citations', a.fr_citations) END,"
    "  CASE WHEN b.name IS NOT NULL THEN json_build_object('aliases',"
    "   b.aliases, 'addresses', b.addresses, 'license_requirement',"
    "   b.license_requirement, 'review_policy', b.review_policy,"
    "   'fr_citations', b.fr_citations) END"
    " FROM a FULL JOIN b ON a.country_name = b.country_name"
    "  AND a.name = b.name AND a.k = b.k"
    " WHERE a.name IS NULL OR b.name IS NULL OR a.aliases <> b.aliases"
    "  OR a.addresses <> b.addresses"
    "  OR a.license_requirement IS DISTINCT FROM b.license_requirement"
    "  OR a.review_policy IS DISTINCT FROM b.review_policy"
    "  OR a.fr_citations <> b.fr_citations"
    " ORDER BY 2, 3";

/* Split s into words (pointers into a copy the caller frees). */
static char **
cmd_diff_split(const char *s, size_t *n, char **copy)
{
	char	**w = NULL, *p;
	size_t	  cap = 0;

	*n = 0;
	*copy = p = xstrdup(s);
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		if (*n == cap) {
			cap = cap == 0 ? 32 : cap * 2;
			w = xreallocarray(w, cap, sizeof *w);
		}
		w[(*n)++] = p;
		while (*p != '\0' && !isspace((unsigned char)*p))
			p++;
		if (*p != '\0')
			*p++ = '\0';
	}
	return (w);
}

/* Append words w[from..to) to out, separated by spaces. */
static void
cmd_diff_append(char **out, char **w, size_t from, size_t to)
{
	char	*t;
	size_t	 i;

	for (i = from; i < to; i++) {
		xasprintf(&t, "%s%s%s", *out, **out != '\0' ? " " : "", w[i]);
		free(*out);
		*out = t;
	}
}

/*
 * A short word diff of before and after: the words in common at both ends
 * are cut to DIFF_CONTEXT each side ("..."), the rest shown as
 * "[-old words-] {+new words+}". Caller frees.
 */
char *
cmd_diff_words(const char *before, const char *after)
{
	char	**a, **b, *ca, *cb, *out, *t, *w;
	size_t	  na, nb, pre = 0, suf = 0;

	a = cmd_diff_split(before, &na, &ca);
	b = cmd_diff_split(after, &nb, &cb);
	while (pre < na && pre < nb && strcmp(a[pre], b[pre]) == 0)
		pre++;
	while (suf < na - pre && suf < nb - pre &&
	    strcmp(a[na - 1 - suf], b[nb - 1 - suf]) == 0)
		suf++;
	out = xstrdup(pre > DIFF_CONTEXT ? "..." : "");
	cmd_diff_append(&out, a, pre > DIFF_CONTEXT ? pre - DIFF_CONTEXT : 0,
	    pre);
	if (na - suf > pre) {
		w = xstrdup("");
		cmd_diff_append(&w, a, pre, na - suf);
		xasprintf(&t, "%s%s[-%s-]", out, *out != '\0' ? " " : "", w);
		free(w);
		free(out);
		out = t;
	}
	if (nb - suf > pre) {
		w = xstrdup("");
		cmd_diff_append(&w, b, pre, nb - suf);
		xasprintf(&t, "%s%s{+%s+}", out, *out != '\0' ? " " : "", w);
		free(w);
		free(out);
		out = t;
	}
	cmd_diff_append(&out, a, na - suf, na - suf + (suf > DIFF_CONTEXT ?
	    DIFF_CONTEXT : suf));
	if (suf > DIFF_CONTEXT) {
		xasprintf(&t, "%s ...", out);
		free(out);
		out = t;
	}
	free(a);
	free(b);
	free(ca);
	free(cb);
	return (out);
}

/* A JSON cell as JSON (null when NULL or unreadable). */
static json_t *
cmd_diff_json(PGresult *res, int row, int col)
{
	json_t	*j;

	if (PQgetisnull(res, row, col) ||
	    (j = json_loads(PQgetvalue(res, row, col), 0, NULL)) == NULL)
		return (json_null());
	return (j);
}

/* Run one diff query; NULL after printing why. */
static PGresult *
cmd_diff_query(PGconn *conn, const char *sql, const char *const *params)
{
	PGresult	*res;

	res = PQexecParams(conn, sql, 2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		cli_warnx("could not compare the eCFR versions: %s",
		    PQresultErrorMessage(res));
		PQclear(res);
		return (NULL);
	}
	return (res);
}

/* earctl diff ecfr DATE1 DATE2 [--json] */
int
cmd_diff_ecfr_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*params[2];
	char		*cause = NULL, *d;
	PGconn		*conn;
	PGresult	*rt = NULL, *rg = NULL, *re = NULL;
	json_t		*out, *arr;
	ear_date	 d1, d2;
	int		 ch, i, rc = CLI_EXIT_ERROR;

	cli_getopt_reset();
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			ctx->format = CLI_FORMAT_JSON;
			break;
		default:
			return (cli_usage_error(ctx, "unknown option"));
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 2)
		return (cli_usage_error(ctx, "diff ecfr needs two dates"));
	if (date_parse(argv[0], &d1) != 0 || date_parse(argv[1], &d2) != 0)
		return (cli_usage_error(ctx, "invalid date \"%s\"; expected "
		    "YYYY-MM-DD", date_parse(argv[0], &d1) != 0 ? argv[0] :
		    argv[1]));
	params[0] = argv[0];
	params[1] = argv[1];
	if ((conn = cli_db_connect(ctx, true, &cause)) == NULL) {
		cli_warnx("%s", cause);
		free(cause);
		return (CLI_EXIT_ERROR);
	}
	if ((rt = cmd_diff_query(conn, diff_text_sql, params)) == NULL ||
	    (rg = cmd_diff_query(conn, diff_groups_sql, params)) == NULL ||
	    (re = cmd_diff_query(conn, diff_entities_sql, params)) == NULL)
		goto out;
	rc = CLI_EXIT_OK;
	if (ctx->format == CLI_FORMAT_JSON) {
		out = json_pack("{s:s, s:s}", "from", argv[0], "to", argv[1]);
		arr = json_array();
		for (i = 0; i < PQntuples(rt); i++) {
			d = strcmp(PQgetvalue(rt, i, 0), "changed") == 0 ?
			    cmd_diff_words(PQgetvalue(rt, i, 2),
			    PQgetvalue(rt, i, 3)) : NULL;
			json_array_append_new(arr, json_pack("{s:s, s:s, s:s,"
			    " s:s, s:s?}", "change", PQgetvalue(rt, i, 0),
			    "cite", PQgetvalue(rt, i, 1), "before",
			    PQgetvalue(rt, i, 2), "after", PQgetvalue(rt, i, 3),
			    "diff", d));
			free(d);
		}
		json_object_set_new(out, "paragraphs", arr);
		arr = json_array();
		for (i = 0; i < PQntuples(rg); i++)
			json_array_append_new(arr, json_pack("{s:s, s:s, s:s,"
			    " s:s}", "change", PQgetvalue(rg, i, 0), "group",
			    PQgetvalue(rg, i, 1), "country_name",
			    PQgetvalue(rg, i, 2), "country",
			    PQgetvalue(rg, i, 3)));
		json_object_set_new(out, "country_groups", arr);
		arr = json_array();
		for (i = 0; i < PQntuples(re); i++)
			json_array_append_new(arr, json_pack("{s:s, s:s, s:s,"
			    " s:s, s:o, s:o}", "change", PQgetvalue(re, i, 0),
			    "country_name", PQgetvalue(re, i, 1), "name",
			    PQgetvalue(re, i, 2), "fields",
			    PQgetvalue(re, i, 3), "before",
			    cmd_diff_json(re, i, 4), "after",
			    cmd_diff_json(re, i, 5)));
		json_object_set_new(out, "entities", arr);
		cli_print_json(out);
		json_decref(out);
		goto out;
	}
	printf("eCFR text in force on %s -> %s\n", argv[0], argv[1]);
	printf("paragraphs: %d added, removed or changed\n", PQntuples(rt));
	for (i = 0; i < PQntuples(rt); i++) {
		const char *c = PQgetvalue(rt, i, 0);

		if (strcmp(c, "changed") == 0) {
			d = cmd_diff_words(PQgetvalue(rt, i, 2),
			    PQgetvalue(rt, i, 3));
			printf("  ~ %s: %s\n", PQgetvalue(rt, i, 1), d);
			free(d);
		} else
			printf("  %c %s\n", *c == 'a' ? '+' : '-',
			    PQgetvalue(rt, i, 1));
	}
	printf("country groups: %d memberships added or removed\n",
	    PQntuples(rg));
	for (i = 0; i < PQntuples(rg); i++)
		printf("  %c %s %s%s%s%s\n", *PQgetvalue(rg, i, 0) == 'a' ?
		    '+' : '-', PQgetvalue(rg, i, 1), PQgetvalue(rg, i, 2),
		    *PQgetvalue(rg, i, 3) ? " (" : "", PQgetvalue(rg, i, 3),
		    *PQgetvalue(rg, i, 3) ? ")" : "");
	printf("entities: %d added, removed or changed\n", PQntuples(re));
	for (i = 0; i < PQntuples(re); i++) {
		const char *c = PQgetvalue(re, i, 0);

		printf("  %c %s: %s%s%s\n", *c == 'a' ? '+' : *c == 'r' ?
		    '-' : '~', PQgetvalue(re, i, 1), PQgetvalue(re, i, 2),
		    *c == 'c' ? ": " : "", *c == 'c' ? PQgetvalue(re, i, 3) :
		    "");
	}
out:
	PQclear(rt);
	PQclear(rg);
	PQclear(re);
	PQfinish(conn);
	return (rc);
}
