-- 083_consignee_years: what the decision log has cleared per consignee and
-- calendar year, kept as a running total (issue #9).
--
-- A quantity cap per consignee and year (License Exception LPP in the AI
-- diffusion text, 90 FR 4544, 15 CFR 740.29) is decided by what the log has
-- already cleared for that consignee that year. daemon/route_checks.c used
-- to sum it with a scan of every chip decision, which grew with the log
-- (0.04 s at 3,000 decisions, 0.6-0.9 s at 40,000). The total is now kept
-- per (consignee, year) by a statement trigger on decisions, so every way a
-- row gets in (decisions_append_hashed(), the older decisions_append(), a
-- replayed spool) keeps it, in the same transaction as the rows themselves,
-- and the count becomes one key lookup.
--
-- What counts is unchanged from the scan it replaces: chip decisions whose
-- verdict is no_license_required or license_exception, keyed by the lower
-- case recipient name and the year of the decision's as_of date, adding
-- classification.aggregate_tpp, else classification.tpp.

CREATE TABLE IF NOT EXISTS consignee_years (
	consignee	text NOT NULL,		/* lower(recipient.name) */
	year		integer NOT NULL,	/* of the decision's as_of */
	tpp		float8 NOT NULL,
	decisions	bigint NOT NULL,
	updated_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (consignee, year)
);

-- Add the cleared chip decisions of one INSERT statement to the totals.
CREATE OR REPLACE FUNCTION consignee_years_add()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
	INSERT INTO consignee_years AS cy (consignee, year, tpp, decisions)
	SELECT lower(n.request->'recipient'->>'name'),
	    left(n.response->>'as_of', 4)::integer,
	    coalesce(sum(coalesce(
		(n.response->'classification'->>'aggregate_tpp')::float8,
		(n.response->'classification'->>'tpp')::float8)), 0),
	    count(*)
	FROM new_decisions n
	WHERE n.kind = 'chip'
	    AND n.verdict IN ('no_license_required', 'license_exception')
	    AND jsonb_typeof(n.request->'recipient'->'name') = 'string'
	    AND n.response->>'as_of' ~ '^[0-9]{4}-'
	GROUP BY 1, 2
	ON CONFLICT (consignee, year) DO UPDATE
	    SET tpp = cy.tpp + excluded.tpp,
		decisions = cy.decisions + excluded.decisions,
		updated_at = now();
	RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS decisions_consignee_years ON decisions;
CREATE TRIGGER decisions_consignee_years AFTER INSERT ON decisions
	REFERENCING NEW TABLE AS new_decisions
	FOR EACH STATEMENT EXECUTE FUNCTION consignee_years_add();

-- The totals of what was logged before this migration.
INSERT INTO consignee_years (consignee, year, tpp, decisions)
SELECT lower(d.request->'recipient'->>'name'),
    left(d.response->>'as_of', 4)::integer,
    coalesce(sum(coalesce(
	(d.response->'classification'->>'aggregate_tpp')::float8,
	(d.response->'classification'->>'tpp')::float8)), 0),
    count(*)
FROM decisions d
WHERE d.kind = 'chip'
    AND d.verdict IN ('no_license_required', 'license_exception')
    AND jsonb_typeof(d.request->'recipient'->'name') = 'string'
    AND d.response->>'as_of' ~ '^[0-9]{4}-'
GROUP BY 1, 2
ON CONFLICT (consignee, year) DO NOTHING;

REVOKE ALL ON FUNCTION consignee_years_add() FROM PUBLIC;
GRANT SELECT ON consignee_years TO eard_reader, eard_admin;
