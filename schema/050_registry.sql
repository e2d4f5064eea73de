-- 050_registry: the model and chip registry, loaded by importers/registry.c
-- (Epoch AI CSVs, Hugging Face config.json, the project's own JSON) and by
-- POST /v1/models.
--
-- An entry (models, chips) is a stable id (a slug of the name:
-- "nvidia-h100-sxm5-80gb") and a name. Its facts are versioned one by one
-- (model_facts, chip_facts): each version is valid over a tstzrange of
-- registry time, so a changed fact becomes a new version and the old one is
-- kept with its validity (the exclusion constraints say two versions of one
-- fact never overlap). Each version carries its source (dataset, file, row),
-- the source's confidence, its priority (a fact from a lower-priority source
-- never replaces one from a higher: re-importing any file is idempotent) and,
-- when the value is an estimate, the method and inputs.
--
-- models_current / chips_current give each entry's current facts as `facts`,
-- shaped exactly like the check contract's `model` / `chip` objects
-- (ARCHITECTURE.md), so the daemon resolves {"chip":{"id":X}} with
--   SELECT facts FROM chips_current WHERE id = $1
-- and the same for models_current; `detail` has every fact with its source.

CREATE TABLE IF NOT EXISTS models (
	id		text PRIMARY KEY CHECK (id ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
	name		text NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS chips (
	id		text PRIMARY KEY CHECK (id ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
	name		text NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS model_facts (
	item_id		text NOT NULL REFERENCES models (id),
	fact		text NOT NULL,
	value		jsonb NOT NULL,
	valid		tstzrange NOT NULL CHECK (NOT isempty(valid)),
	dataset		text NOT NULL,
	file		text,
	row_no		integer,
	confidence	text,
	priority	integer NOT NULL,
	estimate	jsonb,
	EXCLUDE USING gist (item_id WITH =, fact WITH =, valid WITH &&)
);
CREATE INDEX IF NOT EXISTS model_facts_current
	ON model_facts (item_id, fact) WHERE upper_inf(valid);

CREATE TABLE IF NOT EXISTS chip_facts (
	item_id		text NOT NULL REFERENCES chips (id),
	fact		text NOT NULL,
	value		jsonb NOT NULL,
	valid		tstzrange NOT NULL CHECK (NOT isempty(valid)),
	dataset		text NOT NULL,
	file		text,
	row_no		integer,
	confidence	text,
	priority	integer NOT NULL,
	estimate	jsonb,
	EXCLUDE USING gist (item_id WITH =, fact WITH =, valid WITH &&)
);
CREATE INDEX IF NOT EXISTS chip_facts_current
	ON chip_facts (item_id, fact) WHERE upper_inf(valid);

-- One row per import: what was given and what changed.
CREATE TABLE IF NOT EXISTS registry_imports (
	id		bigserial PRIMARY KEY,
	kind		text NOT NULL CHECK (kind IN ('models', 'chips')),
	files		jsonb NOT NULL,
	report		jsonb NOT NULL,
	imported_at	timestamptz NOT NULL DEFAULT now(),
	imported_by	text NOT NULL DEFAULT current_user
);

-- The id of a name, exactly as registry_slug() in importers/registry.c:
-- ASCII letters and digits lower-cased, every other run of bytes one '-'.
CREATE OR REPLACE FUNCTION registry_slug(p_name text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
	SELECT btrim(regexp_replace(
	    translate(p_name, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
		'abcdefghijklmnopqrstuvwxyz'),
	    '[^a-z0-9]+', '-', 'g'), '-')
$$;

-- Write one batch of parsed entries (importers/registry.c builds the JSON):
--   p_items = {"<id>": {"id", "name", "facts": {"<fact>": {"value",
--              "dataset", "file", "row", "confidence", "priority",
--              "estimate"}}}}
-- Returns {"items", "facts_new", "facts_changed", "facts_unchanged"} and
-- sends NOTIFY registry_changed (delivered on commit).
CREATE OR REPLACE FUNCTION registry_import(p_kind text, p_items jsonb,
    p_files jsonb DEFAULT '[]') RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
	items_t	text;
	facts_t	text;
	it	jsonb;
	k	text;
	fv	jsonb;
	cur	record;
	n_items	integer := 0;
	n_new	integer := 0;
	n_chg	integer := 0;
	n_same	integer := 0;
	report	jsonb;
BEGIN
	IF p_kind = 'models' THEN
		items_t := 'models'; facts_t := 'model_facts';
	ELSIF p_kind = 'chips' THEN
		items_t := 'chips'; facts_t := 'chip_facts';
	ELSE
		RAISE EXCEPTION 'unknown registry kind "%"', p_kind;
	END IF;
	FOR it IN SELECT value FROM jsonb_each(p_items) LOOP
		n_items := n_items + 1;
		EXECUTE format('INSERT INTO %I (id, name) VALUES ($1, $2) '
		    'ON CONFLICT (id) DO NOTHING', items_t)
		    USING it->>'id', it->>'name';
		FOR k, fv IN SELECT * FROM jsonb_each(it->'facts') LOOP
			EXECUTE format('SELECT value, priority, lower(valid) AS since '
			    'FROM %I WHERE item_id = $1 AND fact = $2 AND '
			    'upper_inf(valid) FOR UPDATE', facts_t)
			    INTO cur USING it->>'id', k;
			IF cur IS NULL OR cur.value IS NULL THEN
				n_new := n_new + 1;
			ELSIF cur.value = fv->'value' OR
			    (fv->>'priority')::integer < cur.priority THEN
				n_same := n_same + 1;
				CONTINUE;
			ELSIF cur.since = now() THEN
				-- set twice in one transaction: keep one version
				EXECUTE format('DELETE FROM %I WHERE item_id = $1 '
				    'AND fact = $2 AND upper_inf(valid)', facts_t)
				    USING it->>'id', k;
				n_chg := n_chg + 1;
			ELSE
				EXECUTE format('UPDATE %I SET valid = '
				    'tstzrange(lower(valid), now()) WHERE '
				    'item_id = $1 AND fact = $2 AND '
				    'upper_inf(valid)', facts_t)
				    USING it->>'id', k;
				n_chg := n_chg + 1;
			END IF;
			EXECUTE format('INSERT INTO %I (item_id, fact, value, valid, '
			    'dataset, file, row_no, confidence, priority, estimate) '
			    'VALUES ($1, $2, $3, tstzrange(now(), NULL), $4, $5, '
			    '$6, $7, $8, $9)', facts_t)
			    USING it->>'id', k, fv->'value',
				coalesce(fv->>'dataset', 'unknown'), fv->>'file',
				(fv->>'row')::integer, fv->>'confidence',
				coalesce((fv->>'priority')::integer, 0),
				CASE WHEN jsonb_typeof(fv->'estimate') = 'object'
				    THEN fv->'estimate' END;
		END LOOP;
	END LOOP;
	report := jsonb_build_object('items', n_items, 'facts_new', n_new,
	    'facts_changed', n_chg, 'facts_unchanged', n_same);
	INSERT INTO registry_imports (kind, files, report)
	    VALUES (p_kind, p_files, report);
	PERFORM pg_notify('registry_changed', p_kind);
	RETURN report;
END
$$;

-- Current facts of every model, and `facts` in the check contract's shape.
-- A fine-tune's derived_from names its base; the base's own current facts
-- (published, training_ops) are filled in when the base is in the registry.
CREATE OR REPLACE VIEW model_facts_now AS
SELECT item_id,
    jsonb_object_agg(fact, value) AS v,
    jsonb_object_agg(fact, jsonb_strip_nulls(jsonb_build_object(
	'value', value, 'dataset', dataset, 'file', file, 'row', row_no,
	'confidence', confidence, 'estimate', estimate,
	'since', lower(valid)))) AS detail
FROM model_facts
WHERE upper_inf(valid)
GROUP BY item_id;

-- `facts` is json, not jsonb: jsonb writes 3e25 as a 26-digit integer that
-- JSON decoders reject as too big, while float8 inside json_build_object
-- keeps "3e+25".
CREATE OR REPLACE FUNCTION registry_synth_json(p jsonb) RETURNS json
LANGUAGE sql IMMUTABLE AS $$
	SELECT json_agg(json_strip_nulls(json_build_object(
	    'generator', e->>'generator',
	    'generator_published', (e->>'generator_published')::boolean,
	    'generator_training_ops',
		(e->>'generator_training_ops')::double precision,
	    'generation_ops', (e->>'generation_ops')::double precision,
	    'share_of_training_ops',
		(e->>'share_of_training_ops')::double precision)))
	FROM jsonb_array_elements(CASE WHEN jsonb_typeof(p) = 'array'
	    THEN p ELSE '[]' END) e
$$;

CREATE OR REPLACE VIEW models_current AS
SELECT m.id, m.name,
    json_strip_nulls(json_build_object(
	'name', m.name,
	'training_ops', coalesce(c.v->>'training_ops',
	    c.v->>'training_ops_estimate')::double precision,
	'parameters', (c.v->>'parameters')::double precision,
	'published', (c.v->>'published')::boolean,
	'published_on', c.v->>'published_on',
	'additional_training_ops',
	    (c.v->>'additional_training_ops')::double precision,
	'synthetic_data', registry_synth_json(c.v->'synthetic_data'),
	'derived_from', CASE WHEN c.v ? 'derived_from' THEN
	    json_strip_nulls(json_build_object(
		'name', c.v->>'derived_from',
		'published', (b.v->>'published')::boolean,
		'training_ops',
		    (b.v->>'training_ops')::double precision)) END)) AS facts,
    CASE WHEN c.v ? 'training_ops' THEN 'stated'
	WHEN c.v ? 'training_ops_estimate' THEN 'estimate' END
	AS training_ops_basis,
    coalesce(c.detail, '{}') AS detail
FROM models m
LEFT JOIN model_facts_now c ON c.item_id = m.id
LEFT JOIN model_facts_now b
    ON b.item_id = registry_slug(c.v->>'derived_from');

CREATE OR REPLACE VIEW chip_facts_now AS
SELECT item_id,
    jsonb_object_agg(fact, value) AS v,
    jsonb_object_agg(fact, jsonb_strip_nulls(jsonb_build_object(
	'value', value, 'dataset', dataset, 'file', file, 'row', row_no,
	'confidence', confidence, 'estimate', estimate,
	'since', lower(valid)))) AS detail
FROM chip_facts
WHERE upper_inf(valid)
GROUP BY item_id;

CREATE OR REPLACE FUNCTION registry_perf_json(p jsonb) RETURNS json
LANGUAGE sql IMMUTABLE AS $$
	SELECT coalesce(json_agg(json_build_object(
	    'format', e->>'format', 'bits', (e->>'bits')::integer,
	    'dense_tops', (e->>'dense_tops')::double precision)), '[]')
	FROM jsonb_array_elements(CASE WHEN jsonb_typeof(p) = 'array'
	    THEN p ELSE '[]' END) e
$$;

CREATE OR REPLACE VIEW chips_current AS
SELECT ch.id, ch.name,
    json_strip_nulls(json_build_object(
	'name', ch.name,
	'kind', c.v->>'kind',
	'performance', registry_perf_json(c.v->'performance'),
	'die_area_mm2', (c.v->>'die_area_mm2')::double precision,
	'io_bandwidth_gbs', (c.v->>'io_bandwidth_gbs')::double precision,
	'memory_bandwidth_gbs',
	    (c.v->>'memory_bandwidth_gbs')::double precision,
	'datacenter', (c.v->>'datacenter')::boolean)) AS facts,
    coalesce(c.detail, '{}') AS detail
FROM chips ch
LEFT JOIN chip_facts_now c ON c.item_id = ch.id;

-- Every version of one entry's facts, newest first (GET /v1/models/{id}).
CREATE OR REPLACE FUNCTION registry_versions(p_kind text, p_id text)
RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
	    'fact', fact, 'value', value, 'from', lower(valid),
	    'to', upper(valid), 'dataset', dataset, 'file', file,
	    'row', row_no, 'confidence', confidence, 'estimate', estimate))
	    ORDER BY fact, lower(valid) DESC), '[]')
	FROM (SELECT * FROM model_facts WHERE p_kind = 'models' AND
		item_id = p_id
	    UNION ALL
	    SELECT * FROM chip_facts WHERE p_kind = 'chips' AND
		item_id = p_id) f
$$;

-- Note 2 context (15 CFR 774 Supp. 1, 4E091 Note 2; 90 FR 4544): the most
-- compute-intensive published model in the registry as of a date. A proxy
-- from the Epoch data, never the legal floor, which BIS has not set.
CREATE OR REPLACE FUNCTION most_compute_published(p_as_of date)
RETURNS TABLE (id text, name text, training_ops double precision,
    published_on date, source text)
LANGUAGE sql STABLE AS $$
	SELECT m.id, m.name, (m.facts->>'training_ops')::double precision,
	    (m.facts->>'published_on')::date,
	    'proxy from the Epoch data, not the legal floor'::text
	FROM models_current m
	WHERE (m.facts->>'published')::boolean
	    AND m.training_ops_basis = 'stated'
	    AND (m.facts->>'published_on')::date <= p_as_of
	ORDER BY (m.facts->>'training_ops')::double precision DESC, m.id
	LIMIT 1
$$;

GRANT SELECT ON models, chips, model_facts, chip_facts, registry_imports,
    model_facts_now, chip_facts_now, models_current, chips_current
    TO eard_reader;
GRANT SELECT, INSERT, UPDATE, DELETE ON models, chips, model_facts,
    chip_facts, registry_imports TO eard_admin;
GRANT USAGE ON SEQUENCE registry_imports_id_seq TO eard_admin;
REVOKE ALL ON FUNCTION registry_import(text, jsonb, jsonb) FROM PUBLIC;
-- eard_writer: POST /v1/models registers a pipeline's model through it.
GRANT EXECUTE ON FUNCTION registry_import(text, jsonb, jsonb)
    TO eard_admin, eard_writer;
GRANT EXECUTE ON FUNCTION registry_slug(text), registry_versions(text, text),
    registry_synth_json(jsonb), registry_perf_json(jsonb),
    most_compute_published(date) TO eard_reader;
