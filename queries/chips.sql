-- report: chips
-- The registry's chips by 3A090 classification, with their TPP and
-- performance density (PD) and the margins to each threshold, as the text
-- reads from 2023-11-17 (88 FR 73458; 15 CFR 774 Supp. 1, 3A090):
--   .a: TPP >= 4800, or TPP >= 1600 and PD >= 5.92
--   .b: 2400 <= TPP < 4800 and 1.6 <= PD < 5.92, or TPP >= 1600 and
--       3.2 <= PD < 5.92
--   Note 2: a chip not designed or marketed for datacenters is caught only
--   at TPP >= 4800.
-- TPP = max over precisions of dense TOPS x bit length (Technical Note 2);
-- PD = TPP / die area. The engine (POST /v1/checks/chip) is authoritative;
-- this report is the registry at a glance.
-- param: classification text null
WITH c AS (
	SELECT ch.id, ch.name,
	       (SELECT max((p->>'dense_tops')::float8 * (p->>'bits')::float8)
		FROM json_array_elements(ch.facts->'performance') p) AS tpp,
	       (ch.facts->>'die_area_mm2')::float8 AS die_area,
	       coalesce((ch.facts->>'datacenter')::boolean, true) AS datacenter
	FROM chips_current ch
), k AS (
	SELECT c.*, c.tpp / nullif(c.die_area, 0) AS pd FROM c
), cls AS (
	SELECT k.*,
	       CASE
		WHEN k.tpp IS NULL THEN 'unknown (no performance)'
		WHEN k.tpp >= 4800 THEN '3A090.a'
		WHEN NOT k.datacenter THEN 'not 3A090 (Note 2)'
		WHEN k.pd IS NULL AND k.tpp >= 1600 THEN 'unknown (no die area)'
		WHEN k.tpp >= 1600 AND k.pd >= 5.92 THEN '3A090.a'
		WHEN (k.tpp >= 2400 AND k.pd >= 1.6) OR
		     (k.tpp >= 1600 AND k.pd >= 3.2) THEN '3A090.b'
		ELSE 'not 3A090'
	       END AS classification
	FROM k
)
SELECT classification, id, name,
       round(tpp::numeric, 1) AS tpp,
       round(pd::numeric, 3) AS pd,
       datacenter,
       round((tpp / 4800)::numeric, 3) AS margin_tpp_4800,
       round((tpp / 1600)::numeric, 3) AS margin_tpp_1600,
       round((pd / 5.92)::numeric, 3) AS margin_pd_5_92,
       round((pd / 1.6)::numeric, 3) AS margin_pd_1_6
FROM cls
WHERE $1::text IS NULL OR classification = $1::text
ORDER BY classification, tpp DESC NULLS LAST, id;
