-- report: impact
-- What a rules change flipped: the change-impact run that `earctl import
-- rules` keeps after each import that changes the rules (impact_runs,
-- schema/070_impact.sql), one row per registry item and watched destination
-- whose verdict, text verdict or review policy changed, with the rules that
-- changed it (+ added, - removed, ~ changed) and their citations. Checks
-- name a neutral recipient headquartered in the destination. Between any
-- two dates or rulesets: earctl report impact --from D1 --to D2 (computed by
-- earctl, see earctl(1)). run is the run's id (default: the latest).
-- param: run numeric null
WITH r AS (
	SELECT * FROM impact_runs
	WHERE $1::bigint IS NULL OR id = $1::bigint
	ORDER BY id DESC LIMIT 1
)
SELECT r.id AS run,
       to_char(r.as_of, 'YYYY-MM-DD') AS as_of,
       left(r.from_version, 12) AS from_rules,
       left(r.to_version, 12) AS to_rules,
       f->>'kind' AS kind,
       f->>'item' AS item,
       f->>'destination' AS destination,
       f->>'from' AS "from",
       f->>'to' AS "to",
       f->>'rules' AS rules,
       f->>'citations' AS citations
FROM r, jsonb_array_elements(r.result->'flips') WITH ORDINALITY AS x(f, n)
ORDER BY x.n;
