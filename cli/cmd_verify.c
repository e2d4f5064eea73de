/*
 * cmd_verify.c: earctl verify rules [--date D]
 *
 * Checks the curated rulepacks against the regulator's own text: for every
 * classification rule and parameter whose citation is a Commerce Control
 * List paragraph ("15 CFR 774 Supp. 1, 3A090.a"), the cited paragraph
 * exists in the eCFR text imported for date D (default: the latest
 * imported), and each numeric threshold of its predicate (or the
 * parameter's value) appears in that paragraph or its sub-paragraphs and
 * notes, whatever the number's form ("4,800", "10^26", "25 percent").
 *
 * A rule not in force on D (its valid range excludes D) is reported as
 * "not verifiable against this date" and is not a failure: the text of D
 * is not the text it was written against (e.g. the October 2022 3A090 of
 * 87 FR 62186 is not in the June 2026 CCL).
 *
 * Country groups: the curated memberships (table country_groups, from the
 * rulepacks) of every group the eCFR table of 15 CFR 740 Supp. 1 also
 * has are compared with that table as imported for its eCFR date E (the
 * latest 740 version on or before --date, or the latest one without
 * --date), both as of E. A difference is a finding, printed but not a
 * failure, when the curated membership is marked uncertain (the row's
 * <uncertain>, on any row of that group and country: the UAE's move to A:5
 * with a guessed date, Hong Kong treated as China, Cambodia's D:5 dates);
 * it is a failure when both sides are certain on E. (A pack's own
 * <uncertain>, such as the base pack's nominal date, does not count: it
 * is about the dates before 2022, not the membership.) Exit 0 when everything in force matches, 1 on
 * any mismatch, 4 on errors.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "earctl.h"
#include "importers.h"

/* Collect the numbers a predicate compares facts with. */
static void
verify_collect(json_t *p, double *out, size_t *n, size_t max)
{
	size_t	 i;
	json_t	*v;

	if (json_is_number(p)) {
		if (*n < max)
			out[(*n)++] = json_number_value(p);
		return;
	}
	if (!json_is_array(p) || json_array_size(p) == 0)
		return;
	/* ["in", FACT, [V...]] lists literals, not thresholds */
	if (json_is_string(json_array_get(p, 0)) &&
	    strcmp(json_string_value(json_array_get(p, 0)), "in") == 0)
		return;
	json_array_foreach(p, i, v)
		verify_collect(v, out, n, max);
}

/*
 * A paragraph that "meets or exceeds the limits in 3A090.a" (4A090.a)
 * takes its thresholds from there: the referenced subtree's text, or NULL.
 */
static char *
verify_referenced(PGconn *conn, const char *date, const char *text)
{
	const char	*s = strstr(text, "limits in "), *params[2];
	char		 cite[96];
	PGresult	*res;
	char		*out = NULL;
	size_t		 n;

	if (s == NULL)
		return NULL;
	s += 10;
	n = strcspn(s, " ,;\n");
	while (n > 0 && s[n - 1] == '.')
		n--;
	if (n < 5 || n > 40)
		return NULL;
	snprintf(cite, sizeof cite, "15 CFR 774 Supp. 1, %.*s", (int)n, s);
	params[0] = date;
	params[1] = cite;
	res = PQexecParams(conn, "SELECT string_agg(body, E'\\n') FROM"
	    " ecfr_text WHERE scope = '774 Supp. 1' AND ecfr_date ="
	    " ecfr_scope_date('774 Supp. 1', $1::date) AND (cite = $2 OR"
	    " cite LIKE $2 || '.%')", 2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
	    !PQgetisnull(res, 0, 0))
		out = xstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return out;
}

/*
 * Compare the curated country groups with the eCFR table of 740 Supp. 1
 * (see the top of the file). Returns the number of failures, -1 on error.
 */
static int
verify_groups(PGconn *conn, const char *date)
{
	const char	*params[1] = { date }, *sql;
	PGresult	*res;
	int		 i, bad = 0, findings = 0;

	sql = "WITH v AS (SELECT CASE WHEN $1::date IS NULL"
	    "   THEN (SELECT max(ecfr_date) FROM ecfr_versions WHERE scope = '740')"
	    "   ELSE ecfr_scope_date('740', $1::date) END AS d),"
	    " e AS (SELECT g.grp, g.country, g.country_name FROM ecfr_country_groups g,"
	    "   v WHERE g.scope = '740' AND g.ecfr_date = v.d"
	    "   AND g.grp IN (SELECT grp FROM country_groups)),"
	    " c AS (SELECT g.grp, g.country, g.citation, g.uncertain"
	    "   FROM country_groups g, v"
	    "   WHERE g.valid @> v.d"
	    "   AND g.grp IN (SELECT grp FROM ecfr_country_groups WHERE scope = '740'"
	    "    AND ecfr_date = v.d))"
	    " SELECT v.d::text, CASE WHEN c.grp IS NULL THEN 'ecfr' ELSE 'curated' END,"
	    "  coalesce(e.grp, c.grp), coalesce(e.country, c.country, '?'),"
	    "  coalesce(e.country_name, ''), coalesce(c.citation, ''),"
	    "  coalesce(c.uncertain, (SELECT string_agg(DISTINCT g.uncertain,"
	    "   ' ') FROM country_groups g WHERE g.grp = e.grp"
	    "   AND g.country = e.country AND g.uncertain IS NOT NULL))"
	    " FROM v LEFT JOIN (e FULL JOIN c ON e.grp = c.grp"
	    "  AND e.country = c.country) ON e.grp IS NULL OR c.grp IS NULL"
	    "  OR e.country IS NULL"
	    " WHERE v.d IS NOT NULL"
	    " ORDER BY 3, 4";
	res = PQexecParams(conn, sql, 1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		cli_warnx("could not compare country groups: %s",
		    PQresultErrorMessage(res));
		PQclear(res);
		return -1;
	}
	if (PQntuples(res) == 0) {
		printf("country groups: no eCFR text of 15 CFR 740 Supp. 1 on or "
		    "before %s (not compared)\n", date != NULL ? date :
		    "today");
		PQclear(res);
		return 0;
	}
	for (i = 0; i < PQntuples(res); i++) {
		const char	*ecfr = PQgetvalue(res, i, 0);
		bool		 curated = strcmp(PQgetvalue(res, i, 1),
		    "curated") == 0;
		const char	*grp = PQgetvalue(res, i, 2);
		const char	*cc = PQgetvalue(res, i, 3);
		const char	*name = PQgetvalue(res, i, 4);
		const char	*why = PQgetisnull(res, i, 6) ? NULL :
		    PQgetvalue(res, i, 6);

		if (i == 0)
			printf("comparing curated country groups with the eCFR "
			    "table of 15 CFR 740 Supp. 1 of %s\n", ecfr);
		if (*grp == '\0')
			continue;	/* no difference: the date row only */
		printf("%s country group %s %s%s%s%s: %s\n", why != NULL ?
		    "note " : "FAIL ", grp, cc, *name ? " (" : "", name,
		    *name ? ")" : "", curated ? "in the rulepacks, not in "
		    "the eCFR table" : "in the eCFR table, not in the "
		    "rulepacks");
		if (curated)
			printf("      rulepack citation: %s\n",
			    PQgetvalue(res, i, 5));
		if (why != NULL) {
			printf("      a finding, not a failure: the rulepack "
			    "says it is uncertain: %s\n", why);
			findings++;
		} else
			bad++;
	}
	printf("country groups: %d mismatched, %d findings where the "
	    "rulepacks are uncertain\n", bad, findings);
	PQclear(res);
	return bad;
}

/* earctl verify rules */
int
cmd_verify_rules_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "date", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*date = NULL, *params[1];
	char		*cause = NULL, dbuf[16];
	PGconn		*conn;
	PGresult	*res;
	const char	*given;
	int		 ch, i, checked = 0, skipped = 0, bad = 0, gbad;
	ear_date	 d;

	cli_getopt_reset();
	while ((ch = getopt_long(argc, argv, "d:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			date = optarg;
			break;
		default:
			return cli_usage_error(ctx, "unknown option");
		}
	}
	if (date != NULL && date_parse(date, &d) != 0)
		return cli_usage_error(ctx, "invalid --date \"%s\"", date);
	if ((conn = cli_db_connect(ctx, true, &cause)) == NULL) {
		cli_warnx("%s", cause);
		free(cause);
		return CLI_EXIT_ERROR;
	}
	given = date;
	if (date == NULL) {
		res = PQexec(conn, "SELECT max(ecfr_date)::text FROM"
		    " ecfr_versions WHERE scope = '774 Supp. 1'");
		if (PQresultStatus(res) != PGRES_TUPLES_OK ||
		    PQgetisnull(res, 0, 0)) {
			cli_warnx("no Commerce Control List text imported");
			fprintf(stderr, "HINT: Import it with: earctl import "
			    "ecfr FILE --date D\n");
			PQclear(res);
			PQfinish(conn);
			return CLI_EXIT_ERROR;
		}
		snprintf(dbuf, sizeof dbuf, "%s", PQgetvalue(res, 0, 0));
		date = dbuf;
		PQclear(res);
	}
	params[0] = date;
	res = PQexecParams(conn,
	    "WITH r AS ("
	    "  SELECT 'classification' AS kind, rule_id || ' v' || version AS id,"
	    "    citation, predicate::text AS what, valid @> $1::date AS now,"
	    "    text AS rule_text FROM classification_rules"
	    "  UNION ALL"
	    "  SELECT 'param', rule_id, citation, value::text, valid @> $1::date,"
	    "    NULL FROM rule_params)"
	    " SELECT r.kind, r.id, r.citation, r.what, r.now, r.rule_text,"
	    "  (SELECT string_agg(coalesce(t.heading, '') || ' ' || t.body,"
	    "     E'\\n' ORDER BY t.ord) FROM ecfr_text t"
	    "   WHERE t.scope = '774 Supp. 1'"
	    "     AND t.ecfr_date = ecfr_scope_date('774 Supp. 1', $1::date)"
	    "     AND (t.cite = r.c OR t.cite LIKE r.c || '.%'"
	    "          OR t.cite LIKE r.c || ' %')) AS reg_text"
	    " FROM (SELECT *, split_part(regexp_replace(citation,"
	    "   ' \\(.*$', ''), ' and ', 1) AS c FROM r) r"
	    " WHERE r.citation LIKE '15 CFR 774 Supp. 1, %'"
	    " ORDER BY r.citation, r.id", 1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		cli_warnx("could not read rules: %s", PQresultErrorMessage(res));
		PQclear(res);
		PQfinish(conn);
		return CLI_EXIT_ERROR;
	}
	printf("verifying rules against the eCFR text of %s\n", date);
	for (i = 0; i < PQntuples(res); i++) {
		const char	*kind = PQgetvalue(res, i, 0);
		const char	*id = PQgetvalue(res, i, 1);
		const char	*cite = PQgetvalue(res, i, 2);
		const char	*what = PQgetvalue(res, i, 3);
		bool		 now = strcmp(PQgetvalue(res, i, 4), "t") == 0;
		const char	*rtext = PQgetvalue(res, i, 5);
		const char	*text = PQgetvalue(res, i, 6);
		double		 nums[64];
		size_t		 n = 0, k;
		json_t		*pred;
		char		*ref;
		bool		 ok = true;

		if (!now) {
			printf("skip  %s %s (%s): not verifiable against this "
			    "date (not in force on %s)\n", kind, id, cite, date);
			skipped++;
			continue;
		}
		checked++;
		if (PQgetisnull(res, i, 6)) {
			printf("FAIL  %s %s: %s is not in the eCFR text of %s\n"
			    "      rule text: %s\n", kind, id, cite, date,
			    *rtext ? rtext : "(none)");
			bad++;
			continue;
		}
		if (strcmp(kind, "param") == 0)
			nums[n++] = strtod(what, NULL);
		else if ((pred = json_loads(what, 0, NULL)) != NULL) {
			verify_collect(pred, nums, &n, nitems(nums));
			json_decref(pred);
		}
		ref = verify_referenced(conn, date, text);
		for (k = 0; k < n && k < nitems(nums); k++) {
			/* 0 and 1 are booleans in disguise, not thresholds */
			if (nums[k] == 0 || nums[k] == 1)
				continue;
			if (!ecfr_text_has_number(text, nums[k]) &&
			    (ref == NULL || !ecfr_text_has_number(ref,
			    nums[k]))) {
				if (ok)
					printf("FAIL  %s %s (%s):\n", kind, id,
					    cite);
				printf("      threshold %g is not in the text\n",
				    nums[k]);
				ok = false;
			}
		}
		if (!ok) {
			printf("      rule: %s\n      rule text: %s\n"
			    "      eCFR %s: %s\n", what, *rtext ? rtext :
			    "(none)", date, text);
			bad++;
		} else
			printf("ok    %s %s (%s)%s\n", kind, id, cite,
			    ref != NULL ? " (with the limits it refers to)" :
			    "");
		free(ref);
	}
	printf("%d checked, %d mismatched, %d not verifiable against %s\n",
	    checked, bad, skipped, date);
	PQclear(res);
	if ((gbad = verify_groups(conn, given)) < 0) {
		PQfinish(conn);
		return CLI_EXIT_ERROR;
	}
	PQfinish(conn);
	return bad + gbad > 0 ? CLI_EXIT_NO : CLI_EXIT_OK;
}
