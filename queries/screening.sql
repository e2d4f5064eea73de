-- report: screening
-- Screening hits and what counsel decided about them over a period: every
-- party whose last screening gave a match or a review, the best candidate,
-- and the latest disposition recorded for it (false_positive / confirmed).
-- param: from date 1970-01-01
-- param: to date 2100-01-01
SELECT s.name,
       s.country,
       s.result,
       coalesce(s.top_entry, '-') AS top_entry,
       coalesce(p.name, '-') AS top_name,
       coalesce(p.list, '-') AS list,
       coalesce(dd.disposition, 'open') AS disposition,
       coalesce(dd.decided_by, '-') AS decided_by,
       to_char(s.last_screened AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS screened
FROM screened_parties s
LEFT JOIN LATERAL (
	SELECT pp.name, pp.list FROM parties pp
	WHERE pp.entry_id = s.top_entry
	ORDER BY pp.list_version DESC LIMIT 1) p ON true
LEFT JOIN LATERAL (
	SELECT d.disposition, d.decided_by FROM dispositions d
	WHERE d.party_key = s.party_key AND d.entry_id = s.top_entry
	ORDER BY d.decided_at DESC, d.id DESC LIMIT 1) dd ON true
WHERE s.result IN ('match', 'review')
  AND s.last_screened >= $1::date AND s.last_screened < $2::date
ORDER BY s.result, disposition, s.name, s.country;
