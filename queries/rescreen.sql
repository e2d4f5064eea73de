-- report: rescreen
-- Who changed when a new list version was rescreened: every screened party
-- whose result or best candidate changed, with the old and the new result,
-- the new best candidate (entry id, listed name and list) and the list
-- version that changed it, newest first. A party whose new result is match
-- or review needs a look; dispositions recorded before were applied.
-- param: since date 1970-01-01
SELECT to_char(c.rescreened_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')
	   AS rescreened,
       s.name,
       s.country,
       c.old_result,
       c.new_result,
       coalesce(c.old_top, '-') AS old_top,
       coalesce(c.new_top, '-') AS new_top,
       coalesce(c.new_top_name, '-') AS new_top_name,
       coalesce(p.list, '-') AS list,
       coalesce(c.list_version::text, '-') AS list_version
FROM rescreen_changes c
JOIN screened_parties s ON s.id = c.screened_party
LEFT JOIN LATERAL (
	SELECT pp.list FROM parties pp
	WHERE pp.entry_id = c.new_top
	ORDER BY pp.list_version DESC LIMIT 1) p ON true
WHERE c.rescreened_at >= $1::date
ORDER BY c.rescreened_at DESC, c.id DESC;
