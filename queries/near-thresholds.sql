-- report: near-thresholds
-- Models in the registry near or over the training-compute lines that
-- matter: 1e25 operations (EU AI Act, Regulation (EU) 2024/1689 Art. 51(2),
-- systemic-risk presumption; not a US export control) and 1e26 operations
-- (15 CFR 774 Supp. 1, 4E091; 90 FR 4544, in the text from 2025-01-13).
-- margin_* is training_ops / line: >= 1 is over it. A model is listed when
-- it is within a factor `band` below a line or over it.
-- param: band numeric 10
SELECT m.id,
       m.name,
       (m.facts->>'training_ops')::float8 AS training_ops,
       m.training_ops_basis AS basis,
       coalesce((m.facts->>'published')::text, '-') AS published,
       round(((m.facts->>'training_ops')::float8 / 1e25)::numeric, 3)
           AS margin_1e25,
       round(((m.facts->>'training_ops')::float8 / 1e26)::numeric, 3)
           AS margin_1e26,
       CASE WHEN (m.facts->>'training_ops')::float8 >= 1e26 THEN 'over 1e26'
            WHEN (m.facts->>'training_ops')::float8 >= 1e25 THEN 'over 1e25'
            ELSE 'below 1e25' END AS status
FROM models_current m
WHERE (m.facts->>'training_ops')::float8 >= 1e25 / $1::numeric
ORDER BY training_ops DESC, m.id;
