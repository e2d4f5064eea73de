-- report: compute-frontier
-- Models' training compute over time, open weights and closed, for the
-- frontier chart (`earctl report compute-frontier --svg`) with the 1e25
-- (EU AI Act Art. 51(2)) and 1e26 (4E091, 90 FR 4544) lines.
-- param: since date 2010-01-01
SELECT m.id, m.name,
       (f.v->>'publication_date')::date AS date,
       (m.facts->>'training_ops')::float8 AS training_ops,
       coalesce((m.facts->>'published')::boolean, false) AS open_weights,
       m.training_ops_basis AS basis
FROM models_current m
JOIN model_facts_now f ON f.item_id = m.id
WHERE (m.facts->>'training_ops') IS NOT NULL
  AND coalesce(f.v->>'publication_date', '') <> ''
  AND (f.v->>'publication_date')::date >= $1::date
ORDER BY date, training_ops DESC, m.id;
