-- 030_parties: screening lists (the Consolidated Screening List, the Entity
-- List from eCFR / Federal Register text), dispositions and rescreening.
--
-- The party model every list importer writes (importers/csl.c for the
-- trade.gov CSL, importers/ecfr.c for the Entity List of 15 CFR 744 Supp. 4):
--
--   list_versions  one row per imported file: kind, file, sha256 of its bytes,
--                  when, counts per list. A kind's current version is the one
--                  with the latest activated_at (re-importing a known file
--                  only touches activated_at: idempotent).
--   parties        one row per listed entry of a version. entry_id is stable
--                  across versions (list code + entity number, or a hash of
--                  list, name and countries); content_hash is the sha256 of
--                  the entry's content, so a disposition taken on an entry
--                  lapses when the entry changes.
--
-- An importer writes a version and its parties in one transaction, then
-- NOTIFY lists_changed. The daemon reads SELECT eard_parties_document()::text.

CREATE TABLE IF NOT EXISTS list_versions (
	id		bigserial PRIMARY KEY,
	kind		text NOT NULL,		-- 'csl', 'entity_list' (eCFR/FR), ...
	source_file	text NOT NULL,		-- file name as given to the importer
	sha256		text NOT NULL,		-- hex sha256 of the file's bytes
	data_date	date,			-- date of the data, when the file says
	imported_at	timestamptz NOT NULL DEFAULT now(),
	activated_at	timestamptz NOT NULL DEFAULT now(),
	counts		jsonb NOT NULL DEFAULT '{}',	-- {"EL": 3420, "SDN": 19181, ...}
	UNIQUE (kind, sha256)
);

CREATE TABLE IF NOT EXISTS parties (
	id		bigserial PRIMARY KEY,
	list_version	bigint NOT NULL REFERENCES list_versions (id) ON DELETE CASCADE,
	entry_id	text NOT NULL,		-- "EL:3f2a9c01d4e5b6a7", "SDN:15268"
	content_hash	text NOT NULL,		-- hex sha256 of the entry's content
	list		text NOT NULL,		-- short code: EL, SDN, DPL, MEU, UVL, ...
	source		text NOT NULL,		-- the list as published: "Entity List (EL) - Bureau of Industry and Security"
	name		text NOT NULL,
	alt_names	text[] NOT NULL DEFAULT '{}',
	countries	text[] NOT NULL DEFAULT '{}',	-- ISO 3166-1 alpha-2, from addresses
	addresses	jsonb NOT NULL DEFAULT '[]',
	type		text,			-- Entity, Individual, Vessel, Aircraft
	license_requirement	text,		-- the list's own words (Entity List column 3)
	license_policy		text,		-- review policy (column 4)
	federal_register_notice	text,		-- FR citations (column 5)
	entity_number	text,
	programs	text[] NOT NULL DEFAULT '{}',
	raw		jsonb NOT NULL,		-- the entry as the file had it
	UNIQUE (list_version, entry_id)
);
CREATE INDEX IF NOT EXISTS parties_entry_idx ON parties (entry_id);

-- A counsel's reviewed decision on (screened party name, listed entry).
-- party_key is the name as the matcher normalises it (screen_normalise()).
-- It applies while the entry's content_hash is unchanged.
CREATE TABLE IF NOT EXISTS dispositions (
	id		bigserial PRIMARY KEY,
	party_name	text NOT NULL,
	party_key	text NOT NULL,
	entry_id	text NOT NULL,
	content_hash	text NOT NULL,
	disposition	text NOT NULL
	    CHECK (disposition IN ('false_positive', 'confirmed')),
	note		text,
	decided_by	text NOT NULL,
	decided_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS dispositions_key_idx
	ON dispositions (party_key, entry_id, decided_at DESC);

-- Every party name screened (by /v1/screen or a check's recipient), with its
-- last known result, so a new list version can be rescreened.
CREATE TABLE IF NOT EXISTS screened_parties (
	id		bigserial PRIMARY KEY,
	party_key	text NOT NULL,
	name		text NOT NULL,
	country		text NOT NULL DEFAULT '',
	result		text NOT NULL,		-- match | review | no_match
	top_entry	text,			-- entry_id of the best candidate
	lists		text,			-- list versions it was screened against
	first_screened	timestamptz NOT NULL DEFAULT now(),
	last_screened	timestamptz NOT NULL DEFAULT now(),
	UNIQUE (party_key, country)
);

-- What a rescreen after an import changed (earctl report rescreen).
CREATE TABLE IF NOT EXISTS rescreen_changes (
	id		bigserial PRIMARY KEY,
	screened_party	bigint NOT NULL REFERENCES screened_parties (id) ON DELETE CASCADE,
	list_version	bigint REFERENCES list_versions (id) ON DELETE SET NULL,
	old_result	text NOT NULL,
	new_result	text NOT NULL,
	old_top		text,
	new_top		text,
	new_top_name	text,
	rescreened_at	timestamptz NOT NULL DEFAULT now()
);

-- The current parties of every kind as one JSON document for the daemon:
-- {"versions": [{id, kind, source_file, sha256, data_date, imported_at,
--   counts}], "parties": [{entry_id, content_hash, list, source, name,
--   alt_names, countries, type, license_requirement, license_policy,
--   federal_register_notice, list_version}]}
CREATE OR REPLACE FUNCTION eard_parties_document() RETURNS jsonb
LANGUAGE sql STABLE AS $$
	WITH cur AS (
		SELECT DISTINCT ON (kind) *
		FROM list_versions
		ORDER BY kind, activated_at DESC, id DESC
	)
	SELECT jsonb_build_object(
	    'versions', COALESCE((SELECT jsonb_agg(jsonb_build_object(
		'id', c.id, 'kind', c.kind, 'source_file', c.source_file,
		'sha256', c.sha256, 'data_date', c.data_date,
		'imported_at', c.imported_at, 'counts', c.counts) ORDER BY c.kind)
		FROM cur c), '[]'::jsonb),
	    'parties', COALESCE((SELECT jsonb_agg(jsonb_build_object(
		'entry_id', p.entry_id, 'content_hash', p.content_hash,
		'list', p.list, 'source', p.source, 'name', p.name,
		'alt_names', to_jsonb(p.alt_names),
		'countries', to_jsonb(p.countries), 'type', p.type,
		'license_requirement', p.license_requirement,
		'license_policy', p.license_policy,
		'federal_register_notice', p.federal_register_notice,
		'list_version', p.list_version) ORDER BY p.id)
		FROM parties p JOIN cur c ON c.id = p.list_version), '[]'::jsonb))
$$;

GRANT SELECT ON list_versions, parties, dispositions, screened_parties,
	rescreen_changes TO eard_reader;
GRANT SELECT, INSERT, UPDATE, DELETE ON list_versions, parties, dispositions,
	screened_parties, rescreen_changes TO eard_admin;
GRANT USAGE ON SEQUENCE list_versions_id_seq, parties_id_seq,
	rescreen_changes_id_seq TO eard_admin;
-- The daemon records dispositions (counsel over the socket) and screened
-- names; it never updates or deletes them.
GRANT INSERT ON dispositions, screened_parties TO eard_writer;
GRANT USAGE ON SEQUENCE dispositions_id_seq, screened_parties_id_seq
	TO eard_writer, eard_admin;
GRANT EXECUTE ON FUNCTION eard_parties_document() TO eard_reader;
