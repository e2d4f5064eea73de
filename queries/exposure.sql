-- report: exposure
-- Where the registry's models and chips stand, destination by destination,
-- as of a date: for each item and destination the latest decision made at
-- or before the date (its verdict, when and under which rules), so an
-- analyst sees which shipments or releases need a licence.
-- param: as_of date 2100-01-01
-- param: item text null
SELECT DISTINCT ON (item, destination)
       coalesce(d.request->'chip'->>'name', d.request->'chip'->>'id',
           d.request->'model'->>'name', d.request->'model'->>'id', '-')
           AS item,
       d.kind,
       coalesce(d.request->>'destination', '-') AS destination,
       coalesce(d.verdict, '-') AS verdict,
       coalesce(d.response->'classification'->>'eccn', '-') AS eccn,
       to_char(d.decided_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')
           AS decided_at,
       left(coalesce(d.ruleset_version, '-'), 12) AS ruleset
FROM decisions d
WHERE d.kind IN ('chip', 'weights')
  AND d.decided_at < $1::date + 1
  AND ($2::text IS NULL OR
       coalesce(d.request->'chip'->>'name', d.request->'chip'->>'id',
           d.request->'model'->>'name', d.request->'model'->>'id') = $2::text)
ORDER BY item, destination, d.decided_at DESC, d.id;
