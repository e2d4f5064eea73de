-- report: freshness
-- How old is what eard answers from: each screening list's current
-- version, the rulepacks, the eCFR snapshots and the registry imports, with
-- their age in days on a date. Lists older than lists_max_age_days (7 by
-- default in eard) make /readyz warn.
-- param: as_of date 2100-01-01
SELECT * FROM (
	SELECT 'list' AS what, l.kind AS name,
	       coalesce(to_char(l.data_date, 'YYYY-MM-DD'), '-') AS data_date,
	       to_char(l.imported_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')
		   AS imported,
	       ($1::date - coalesce(l.data_date,
		   (l.imported_at AT TIME ZONE 'UTC')::date)) AS age_days
	FROM (SELECT DISTINCT ON (kind) * FROM list_versions
	      ORDER BY kind, activated_at DESC, id DESC) l
	UNION ALL
	SELECT 'rulepack', r.id, coalesce(to_char(s.effective, 'YYYY-MM-DD'), '-'),
	       to_char(r.imported_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
	       ($1::date - (r.imported_at AT TIME ZONE 'UTC')::date)
	FROM rulepacks r LEFT JOIN rule_sources s ON s.id = r.id
	UNION ALL
	SELECT 'registry', i.kind, '-',
	       to_char(max(i.imported_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
	       ($1::date - max(i.imported_at AT TIME ZONE 'UTC')::date)
	FROM registry_imports i GROUP BY i.kind
) f
ORDER BY what, name;
