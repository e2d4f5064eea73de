-- bench/sql/check.sql: the SQL-per-check baseline of bench/run.sh.
--
-- What a user without eard would do: ask PostgreSQL the same question once
-- per check, over the same rule tables (schema/010_rules.sql): which
-- classification rules in force on the date does the chip meet (thresholds
-- on TPP, performance density, I/O rate), and which licence requirements in
-- force on that date apply to that classification and destination (country
-- groups in force on that date included). Predicates are the same jsonb
-- trees eard compiles; here they are walked by bench_pred() with SQL's
-- three-valued logic (NULL = unknown), as core/pred.c does. Loaded into the
-- benchmark's throwaway cluster only; not a migration.
--
-- bench/run.sh loads the very chip requests eard is sent into bench_cases
-- and has pgbench run bench_chip_check() on a random one per transaction;
-- it also compares bench_chip_verdict() with eard's verdict on each of
-- them, so the table says how often the baseline reaches eard's answer
-- (it knows no licence exceptions, letters' fine print or notes: a
-- licence_exception of eard's counts as license_required here).

-- A fact or a number: {"fact": "io_bw"}, 1.5, ["add", x, y], ["mul", x, y],
-- ["max", ...], ["min", ...].
CREATE OR REPLACE FUNCTION bench_num(e jsonb, f jsonb) RETURNS double precision
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
	op	text;
	acc	double precision;
	v	double precision;
	i	int;
BEGIN
	IF jsonb_typeof(e) = 'number' THEN
		RETURN e::text::double precision;
	ELSIF jsonb_typeof(e) = 'object' THEN
		RETURN (f ->> (e ->> 'fact'))::double precision;
	END IF;
	op := e ->> 0;
	acc := bench_num(e -> 1, f);
	FOR i IN 2 .. jsonb_array_length(e) - 1 LOOP
		v := bench_num(e -> i, f);
		acc := CASE op WHEN 'add' THEN acc + v WHEN 'mul' THEN acc * v
		    WHEN 'max' THEN greatest(acc, v) WHEN 'min' THEN least(acc, v)
		    END;
	END LOOP;
	RETURN acc;
END
$$;

-- A predicate over the facts f on date d: true, false or NULL (unknown).
CREATE OR REPLACE FUNCTION bench_pred(p jsonb, f jsonb, d date) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
DECLARE
	op	text := p ->> 0;
	v	boolean;
	unk	boolean := false;
	i	int;
	x	double precision;
	y	double precision;
BEGIN
	IF op IN ('all', 'any') THEN
		FOR i IN 1 .. jsonb_array_length(p) - 1 LOOP
			v := bench_pred(p -> i, f, d);
			IF v IS NULL THEN
				unk := true;
			ELSIF v = (op = 'any') THEN
				RETURN v;
			END IF;
		END LOOP;
		RETURN CASE WHEN unk THEN NULL ELSE op = 'all' END;
	ELSIF op = 'not' THEN
		RETURN NOT bench_pred(p -> 1, f, d);
	ELSIF op = 'true' THEN
		RETURN true;
	ELSIF op = 'false' THEN
		RETURN false;
	ELSIF op = 'known' THEN
		RETURN f ? (p ->> 1);
	ELSIF op = 'in' THEN
		IF NOT f ? (p ->> 1) THEN
			RETURN NULL;
		END IF;
		RETURN (p -> 2) ? lower(f ->> (p ->> 1))
		    OR (p -> 2) ? (f ->> (p ->> 1));
	ELSIF op = 'in_group' THEN
		IF NOT f ? (p ->> 1) THEN
			RETURN NULL;
		END IF;
		RETURN EXISTS (SELECT 1 FROM country_groups g
		    WHERE g.grp = p ->> 2 AND g.country = f ->> (p ->> 1)
		    AND g.valid @> d);
	ELSIF op = 'eccn' THEN
		-- The classification starts with the prefix at a paragraph
		-- boundary (core/pred.c pred_eccn_matches).
		IF NOT f ? 'eccn' THEN
			RETURN NULL;
		END IF;
		RETURN lower(f ->> 'eccn') = lower(p ->> 1)
		    OR lower(f ->> 'eccn') LIKE lower(p ->> 1) || '.%';
	ELSIF op IN ('eq', 'ne') AND jsonb_typeof(p -> 2) IN ('boolean', 'string')
	    THEN
		IF NOT f ? (p ->> 1) THEN
			RETURN NULL;
		END IF;
		RETURN ((f -> (p ->> 1)) = (p -> 2)) = (op = 'eq');
	END IF;
	IF NOT f ? (p ->> 1) THEN
		RETURN NULL;
	END IF;
	x := (f ->> (p ->> 1))::double precision;
	y := bench_num(p -> 2, f);
	RETURN CASE op WHEN 'ge' THEN x >= y WHEN 'gt' THEN x > y
	    WHEN 'le' THEN x <= y WHEN 'lt' THEN x < y WHEN 'eq' THEN x = y
	    WHEN 'ne' THEN x <> y END;
END
$$;

-- The facts of a chip check request, as core/determine.c sets them
-- (docs/ruleset.md, "Facts"): TPP = max over formats of dense TOPS x bit
-- length (15 CFR 774 Supp. 1, 3A090 Technical Notes), performance density
-- = TPP / die area, the parties and destination.
CREATE OR REPLACE FUNCTION bench_chip_facts(req jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT jsonb_strip_nulls(jsonb_build_object(
	    'item', 'chip',
	    'chip_kind', coalesce(req #>> '{chip,kind}', 'ic'),
	    'chip_name', lower(req #>> '{chip,name}'),
	    'tpp', t.tpp,
	    'pd', t.tpp / nullif((req #>> '{chip,die_area_mm2}')::float8, 0),
	    'die_area', (req #>> '{chip,die_area_mm2}')::float8,
	    'io_bw', (req #>> '{chip,io_bandwidth_gbs}')::float8,
	    'mem_bw', (req #>> '{chip,memory_bandwidth_gbs}')::float8,
	    'mem_bw_density',
		(req #>> '{chip,memory_bandwidth_density_gbs_mm2}')::float8,
	    'datacenter', req #> '{chip,datacenter}',
	    'quantity', (req ->> 'quantity')::float8,
	    'aggregate_tpp', t.tpp * (req ->> 'quantity')::float8,
	    'destination', req ->> 'destination',
	    'export_type', req ->> 'export_type',
	    'recipient_hq', req #>> '{recipient,headquarters}',
	    'recipient_parent_hq', coalesce(
		req #>> '{recipient,ultimate_parent_headquarters}',
		req #>> '{recipient,headquarters}'),
	    'recipient_country', coalesce(req #>> '{recipient,country}',
		req ->> 'destination'),
	    'exporter', lower(req #>> '{exporter,name}'),
	    'exporter_country', req #>> '{exporter,country}'))
	FROM (SELECT max((p ->> 'dense_tops')::float8 * (p ->> 'bits')::float8)
	    AS tpp FROM jsonb_array_elements(req #> '{chip,performance}') p) t
$$;

-- One chip check: the classification (the first rule in force on the date
-- whose predicate holds, by precedence; class_unknown when one above it was
-- unknown), then every requirement in force on the date for that
-- classification whose compliance date has come, with whether its
-- predicate holds (NULL: unknown).
CREATE OR REPLACE FUNCTION bench_chip_check(req jsonb)
RETURNS TABLE (eccn text, class_unknown boolean, rule_id text, reason text,
    effect text, applies boolean, citation text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
	d	date := coalesce((req ->> 'as_of')::date, current_date);
	f	jsonb := bench_chip_facts(req);
	c	record;
	v	boolean;
	n	integer := 0;
BEGIN
	eccn := NULL;
	class_unknown := false;
	FOR c IN SELECT r.eccn, r.predicate FROM classification_rules r
	    WHERE r.item = 'chip' AND r.valid @> d
	    ORDER BY r.precedence DESC
	LOOP
		v := bench_pred(c.predicate, f, d);
		IF v IS NULL THEN
			class_unknown := true;
		ELSIF v THEN
			eccn := c.eccn;
			EXIT;
		END IF;
	END LOOP;
	IF eccn IS NOT NULL THEN
		f := f || jsonb_build_object('eccn', eccn);
	END IF;
	FOR c IN SELECT r.rule_id, r.reason, r.effect, r.predicate, r.citation
	    FROM licence_requirements r
	    WHERE r.item = 'chip' AND r.valid @> d
	      AND (r.compliance IS NULL OR r.compliance <= d)
	      AND (r.eccns IS NULL OR EXISTS (SELECT 1 FROM unnest(r.eccns) e
		WHERE lower(eccn) = lower(e) OR lower(eccn) LIKE lower(e) || '.%'))
	LOOP
		v := bench_pred(c.predicate, f, d);
		CONTINUE WHEN v IS FALSE;
		rule_id := c.rule_id;
		reason := c.reason;
		effect := c.effect;
		applies := v;
		citation := c.citation;
		n := n + 1;
		RETURN NEXT;
	END LOOP;
	IF n = 0 THEN
		rule_id := NULL;
		reason := NULL;
		effect := NULL;
		applies := NULL;
		citation := NULL;
		RETURN NEXT;
	END IF;
END
$$;

-- The verdict the rows of bench_chip_check() amount to.
CREATE OR REPLACE FUNCTION bench_chip_verdict(req jsonb) RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT CASE
	    WHEN bool_or(applies AND effect = 'license') THEN 'license_required'
	    WHEN bool_or(applies IS NULL AND rule_id IS NOT NULL)
		OR bool_or(applies AND effect = 'needs_review')
		OR bool_or(class_unknown) THEN 'needs_review'
	    ELSE 'no_license_required' END
	FROM bench_chip_check(req)
$$;

-- The requests of the run, numbered for pgbench's random pick, with the
-- expert case (tests/fixtures/cases.jsonl) each comes from.
CREATE TABLE IF NOT EXISTS bench_cases (
	id	integer PRIMARY KEY,
	req	jsonb NOT NULL,
	case_id	text
);

-- The same, logged as a user would have to: the request and the rows of
-- its determination inserted, committed (synchronous_commit on, as eard's
-- durable mode). bench/run.sh runs it as a second pgbench baseline.
CREATE TABLE IF NOT EXISTS bench_log (
	id		bigserial PRIMARY KEY,
	decided_at	timestamptz NOT NULL DEFAULT now(),
	req		jsonb NOT NULL,
	result		json
);
