-- report: chip-map
-- Every registered chip on TPP x performance density, for the chip map
-- (`earctl report chip-map --svg`, which shades the 3A090 regions of the
-- text in force on as_of: 87 FR 62186 from 2022-10-07, 88 FR 73458 from
-- 2023-11-17). TPP = max dense TOPS x bit length; PD = TPP / die area.
-- param: as_of date 2100-01-01
SELECT ch.id, ch.name,
       round(t.tpp::numeric, 1) AS tpp,
       round((t.tpp / nullif((ch.facts->>'die_area_mm2')::float8, 0))::numeric,
           3) AS pd,
       (ch.facts->>'io_bandwidth_gbs')::float8 AS io_bw,
       coalesce((ch.facts->>'datacenter')::boolean, true) AS datacenter,
       coalesce(f.v->>'release_date', '-') AS release_date,
       $1::date AS as_of
FROM chips_current ch
LEFT JOIN chip_facts_now f ON f.item_id = ch.id
CROSS JOIN LATERAL (
	SELECT max((p->>'dense_tops')::float8 * (p->>'bits')::float8) AS tpp
	FROM json_array_elements(ch.facts->'performance') p) t
WHERE t.tpp IS NOT NULL
  AND (f.v->>'release_date' IS NULL OR f.v->>'release_date' = ''
       OR (f.v->>'release_date')::date <= $1::date)
ORDER BY t.tpp DESC, ch.id;
