-- report: decisions
-- What eard decided over a period: decisions counted by kind, verdict,
-- requester and destination, with the first and last of each group.
-- param: from date 1970-01-01
-- param: to date 2100-01-01
-- param: kind text null
SELECT d.kind,
       coalesce(d.verdict, '-') AS verdict,
       coalesce(d.requester, '-') AS requester,
       coalesce(d.request->>'destination', d.request->>'country', '-')
           AS destination,
       count(*) AS decisions,
       to_char(min(d.decided_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')
           AS first,
       to_char(max(d.decided_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')
           AS last
FROM decisions d
WHERE d.decided_at >= $1::date AND d.decided_at < $2::date
  AND ($3::text IS NULL OR d.kind = $3::text)
GROUP BY 1, 2, 3, 4
ORDER BY decisions DESC, 1, 2, 3, 4;
