-- 010_rules: the rule history loaded from rulepacks (rules/*.xml) by
-- importers/rulepack.c, and eard_rules_document(), the one JSON document
-- core/ruleset.c compiles (docs/ruleset.md is the contract).
--
-- Every rule row carries `valid daterange` ([from, to), NULL bound = open)
-- and `source_id`, the rulepack it came from. Two versions of one rule never
-- overlap in time: each table has an exclusion constraint on its identity and
-- `valid` (btree_gist, created by 001_foundation).
--
-- The rulepacks table keeps each pack's text and content hash: the importer
-- rebuilds every rule table from the stored packs, in file-name order, in the
-- same transaction as the import, so the tables are a pure function of the
-- packs.

CREATE TABLE IF NOT EXISTS rulepacks (
	id		text PRIMARY KEY,
	name		text NOT NULL,		-- file the pack came from, as given
	sha256		text NOT NULL,
	content		text NOT NULL,
	imported_at	timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS rule_sources (
	id		text PRIMARY KEY REFERENCES rulepacks (id) ON DELETE CASCADE,
	kind		text NOT NULL,
	citation	text NOT NULL,
	title		text NOT NULL,
	url		text,
	published	date,
	effective	date NOT NULL,
	compliance	date,
	uncertain	text
);

CREATE TABLE IF NOT EXISTS country_groups (
	grp		text NOT NULL,
	country		text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
	valid		daterange NOT NULL CHECK (NOT isempty(valid)),
	source_id	text NOT NULL REFERENCES rule_sources (id),
	citation	text NOT NULL,
	uncertain	text,
	EXCLUDE USING gist (grp WITH =, country WITH =, valid WITH &&)
);

CREATE TABLE IF NOT EXISTS rule_params (
	rule_id		text NOT NULL,		-- the parameter's name
	value		double precision NOT NULL,
	valid		daterange NOT NULL CHECK (NOT isempty(valid)),
	source_id	text NOT NULL REFERENCES rule_sources (id),
	citation	text NOT NULL,
	uncertain	text,
	EXCLUDE USING gist (rule_id WITH =, valid WITH &&)
);

CREATE TABLE IF NOT EXISTS classification_rules (
	rule_id		text NOT NULL,
	version		integer NOT NULL,
	eccn		text NOT NULL,
	item		text NOT NULL CHECK (item IN ('chip', 'model')),
	precedence	integer NOT NULL,
	predicate	jsonb NOT NULL,
	valid		daterange NOT NULL CHECK (NOT isempty(valid)),
	source_id	text NOT NULL REFERENCES rule_sources (id),
	citation	text NOT NULL,
	text		text,
	uncertain	text,
	UNIQUE (rule_id, version),
	EXCLUDE USING gist (rule_id WITH =, valid WITH &&)
);

CREATE TABLE IF NOT EXISTS licence_requirements (
	rule_id		text NOT NULL,
	version		integer NOT NULL,
	kind		text NOT NULL
			    CHECK (kind IN ('ccl', 'end_user', 'letter', 'review')),
	reason		text NOT NULL,
	item		text NOT NULL CHECK (item IN ('chip', 'model')),
	eccns		text[],			-- NULL: any item of that kind
	predicate	jsonb NOT NULL,
	effect		text NOT NULL
			    CHECK (effect IN ('license', 'needs_review')),
	exceptions	boolean NOT NULL,
	review_policy	text,
	compliance	date,
	valid		daterange NOT NULL CHECK (NOT isempty(valid)),
	source_id	text NOT NULL REFERENCES rule_sources (id),
	citation	text NOT NULL,
	text		text,
	note		text,
	uncertain	text,
	UNIQUE (rule_id, version),
	EXCLUDE USING gist (rule_id WITH =, valid WITH &&)
);

CREATE TABLE IF NOT EXISTS review_policies (
	rule_id		text NOT NULL,
	version		integer NOT NULL,
	reason		text NOT NULL,
	eccns		text[] NOT NULL,
	priority	integer NOT NULL,
	predicate	jsonb NOT NULL,
	policy		text NOT NULL,
	conditions	text[] NOT NULL DEFAULT '{}',
	valid		daterange NOT NULL CHECK (NOT isempty(valid)),
	source_id	text NOT NULL REFERENCES rule_sources (id),
	citation	text NOT NULL,
	uncertain	text,
	UNIQUE (rule_id, version),
	EXCLUDE USING gist (rule_id WITH =, valid WITH &&)
);

CREATE TABLE IF NOT EXISTS licence_exceptions (
	rule_id		text NOT NULL,
	version		integer NOT NULL,
	code		text NOT NULL,
	eccns		text[] NOT NULL,
	predicate	jsonb NOT NULL,
	notification	boolean NOT NULL,
	conditions	text[] NOT NULL DEFAULT '{}',
	compliance	date,
	valid		daterange NOT NULL CHECK (NOT isempty(valid)),
	source_id	text NOT NULL REFERENCES rule_sources (id),
	citation	text NOT NULL,
	uncertain	text,
	UNIQUE (rule_id, version),
	EXCLUDE USING gist (rule_id WITH =, valid WITH &&)
);

CREATE TABLE IF NOT EXISTS enforcement_postures (
	rule_id		text NOT NULL,		-- the target requirement's id
	status		text NOT NULL
			    CHECK (status IN ('enforced', 'not_enforced')),
	valid		daterange NOT NULL CHECK (NOT isempty(valid)),
	source_id	text NOT NULL REFERENCES rule_sources (id),
	citation	text NOT NULL,
	note		text,
	uncertain	text,
	EXCLUDE USING gist (rule_id WITH =, valid WITH &&)
);

REVOKE ALL ON rulepacks, rule_sources, country_groups, rule_params,
    classification_rules, licence_requirements, review_policies,
    licence_exceptions, enforcement_postures FROM PUBLIC;
GRANT SELECT ON rulepacks, rule_sources, country_groups, rule_params,
    classification_rules, licence_requirements, review_policies,
    licence_exceptions, enforcement_postures TO eard_reader;
GRANT SELECT, INSERT, UPDATE, DELETE ON rulepacks, rule_sources,
    country_groups, rule_params, classification_rules, licence_requirements,
    review_policies, licence_exceptions, enforcement_postures TO eard_admin;

-- A date range bound as docs/ruleset.md writes it: "YYYY-MM-DD" or null.
CREATE OR REPLACE FUNCTION eard_rules_bound(d date) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN d IS NULL OR isfinite(d) IS NOT TRUE THEN NULL
	    ELSE to_char(d, 'YYYY-MM-DD') END
$$;

-- The whole rule history as the document of docs/ruleset.md.
CREATE OR REPLACE FUNCTION eard_rules_document() RETURNS json
LANGUAGE sql STABLE AS $$
SELECT json_build_object(
    'sources', COALESCE((SELECT json_agg(json_build_object(
	'id', s.id, 'citation', s.citation, 'kind', s.kind, 'title', s.title,
	'published', eard_rules_bound(s.published),
	'effective', eard_rules_bound(s.effective),
	'compliance', eard_rules_bound(s.compliance),
	'uncertain', s.uncertain, 'url', s.url)
	ORDER BY s.effective, s.id) FROM rule_sources s), '[]'::json),
    'groups', COALESCE((SELECT json_agg(json_build_object(
	'group', g.grp, 'country', g.country,
	'from', eard_rules_bound(lower(g.valid)),
	'to', eard_rules_bound(upper(g.valid)),
	'source', g.source_id, 'citation', g.citation,
	'uncertain', g.uncertain)
	ORDER BY g.grp, g.country, lower(g.valid) NULLS FIRST)
	FROM country_groups g), '[]'::json),
    'params', COALESCE((SELECT json_agg(json_build_object(
	'name', p.rule_id, 'value', p.value,
	'from', eard_rules_bound(lower(p.valid)),
	'to', eard_rules_bound(upper(p.valid)),
	'source', p.source_id, 'citation', p.citation,
	'uncertain', p.uncertain)
	ORDER BY p.rule_id, lower(p.valid) NULLS FIRST)
	FROM rule_params p), '[]'::json),
    'classifications', COALESCE((SELECT json_agg(json_build_object(
	'id', c.rule_id, 'version', c.version, 'eccn', c.eccn,
	'item', c.item, 'precedence', c.precedence, 'when', c.predicate,
	'from', eard_rules_bound(lower(c.valid)),
	'to', eard_rules_bound(upper(c.valid)),
	'source', c.source_id, 'citation', c.citation, 'text', c.text,
	'uncertain', c.uncertain)
	ORDER BY c.precedence DESC, c.rule_id, c.version)
	FROM classification_rules c), '[]'::json),
    'requirements', COALESCE((SELECT json_agg(json_build_object(
	'id', r.rule_id, 'version', r.version, 'kind', r.kind,
	'reason', r.reason, 'item', r.item, 'eccns', to_json(r.eccns),
	'when', r.predicate, 'effect', r.effect,
	'from', eard_rules_bound(lower(r.valid)),
	'to', eard_rules_bound(upper(r.valid)),
	'compliance', eard_rules_bound(r.compliance),
	'exceptions', r.exceptions, 'review_policy', r.review_policy,
	'source', r.source_id, 'citation', r.citation, 'text', r.text,
	'note', r.note, 'uncertain', r.uncertain)
	ORDER BY r.rule_id, r.version)
	FROM licence_requirements r), '[]'::json),
    'policies', COALESCE((SELECT json_agg(json_build_object(
	'id', p.rule_id, 'version', p.version, 'reason', p.reason,
	'eccns', to_json(p.eccns), 'priority', p.priority,
	'when', p.predicate, 'policy', p.policy,
	'conditions', to_json(p.conditions),
	'from', eard_rules_bound(lower(p.valid)),
	'to', eard_rules_bound(upper(p.valid)),
	'source', p.source_id, 'citation', p.citation,
	'uncertain', p.uncertain)
	ORDER BY p.priority DESC, p.rule_id, p.version)
	FROM review_policies p), '[]'::json),
    'exceptions', COALESCE((SELECT json_agg(json_build_object(
	'code', e.code, 'id', e.rule_id, 'version', e.version,
	'eccns', to_json(e.eccns), 'when', e.predicate,
	'notification', e.notification, 'conditions', to_json(e.conditions),
	'from', eard_rules_bound(lower(e.valid)),
	'to', eard_rules_bound(upper(e.valid)),
	'compliance', eard_rules_bound(e.compliance),
	'source', e.source_id, 'citation', e.citation,
	'uncertain', e.uncertain)
	ORDER BY e.code, e.rule_id, e.version)
	FROM licence_exceptions e), '[]'::json),
    'postures', COALESCE((SELECT json_agg(json_build_object(
	'target', t.rule_id, 'status', t.status,
	'from', eard_rules_bound(lower(t.valid)),
	'to', eard_rules_bound(upper(t.valid)),
	'source', t.source_id, 'citation', t.citation, 'note', t.note,
	'uncertain', t.uncertain)
	ORDER BY t.rule_id, lower(t.valid) NULLS FIRST)
	FROM enforcement_postures t), '[]'::json))
$$;

GRANT EXECUTE ON FUNCTION eard_rules_document() TO eard_reader;
GRANT EXECUTE ON FUNCTION eard_rules_bound(date) TO eard_reader;
