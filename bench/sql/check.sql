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
	ELSIF op = 'eq' AND jsonb_typeof(p -> 2) = 'boolean' THEN
		RETURN (f -> (p ->> 1)) = (p -> 2);
	END IF;
	x := (f ->> (p ->> 1))::double precision;
	y := bench_num(p -> 2, f);
	RETURN CASE op WHEN 'ge' THEN x >= y WHEN 'gt' THEN x > y
	    WHEN 'le' THEN x <= y WHEN 'lt' THEN x < y WHEN 'eq' THEN x = y
	    WHEN 'ne' THEN x <> y END;
END
$$;

-- One chip check: the chip as the API takes it, the destination, the date.
-- Facts as core/chip.c defines them: TPP = max over formats of dense TOPS x
-- bit length (15 CFR 774 Supp. 1, 3A090 Technical Notes), performance
-- density = TPP / die area.
CREATE OR REPLACE FUNCTION bench_chip_facts(chip jsonb, dest text,
    exporter text, hq text) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT jsonb_strip_nulls(jsonb_build_object(
	    'chip_kind', 'ic',
	    'chip_name', lower(chip ->> 'name'),
	    'tpp', t.tpp,
	    'pd', t.tpp / nullif((chip ->> 'die_area_mm2')::float8, 0),
	    'io_bw', (chip ->> 'io_bandwidth_gbs')::float8,
	    'mem_bw', (chip ->> 'memory_bandwidth_gbs')::float8,
	    'datacenter', chip -> 'datacenter',
	    'destination', dest,
	    'exporter', lower(exporter),
	    'recipient_hq', hq))
	FROM (SELECT max((p ->> 'dense_tops')::float8 * (p ->> 'bits')::float8)
	    AS tpp FROM jsonb_array_elements(chip -> 'performance') p) t
$$;
