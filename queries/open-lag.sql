-- report: open-lag
-- How far open weights trail closed models: for each closed model in the
-- registry, the first open-weights model (published: true) with at least
-- its training compute, and the lag in months between their publication
-- dates. NULL lag: no open model has caught up yet.
-- param: since date 2010-01-01
WITH m AS (
	SELECT mc.id, mc.name,
	       (f.v->>'publication_date')::date AS date,
	       (mc.facts->>'training_ops')::float8 AS ops,
	       coalesce((mc.facts->>'published')::boolean, false) AS open
	FROM models_current mc
	JOIN model_facts_now f ON f.item_id = mc.id
	WHERE (mc.facts->>'training_ops') IS NOT NULL
	  AND coalesce(f.v->>'publication_date', '') <> ''
)
SELECT c.id AS closed_id, c.name AS closed_name, c.date AS closed_date,
       c.ops AS closed_ops,
       o.id AS open_id, o.name AS open_name, o.date AS open_date,
       o.ops AS open_ops,
       CASE WHEN o.date IS NULL THEN NULL ELSE
	   round(((o.date - c.date) / 30.436875)::numeric, 1) END AS lag_months
FROM m c
LEFT JOIN LATERAL (
	SELECT * FROM m o WHERE o.open AND o.ops >= c.ops
	ORDER BY o.date, o.ops DESC, o.id LIMIT 1) o ON true
WHERE NOT c.open AND c.date >= $1::date
ORDER BY c.date, c.ops DESC, c.id;
