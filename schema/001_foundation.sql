-- 001_foundation: extensions and the roles every later migration grants to.
--
-- Roles (cluster-wide, created once; migrations are applied by a superuser):
--   eard_reader  reads rules, registry, lists and the decision log
--   eard_writer  inserts decisions (and nothing else)
--   eard_admin   imports: all DML on rule, registry and list tables
--   eard         the daemon's login role: member of eard_reader and eard_writer
-- Least privilege: the daemon never owns a table and cannot UPDATE or DELETE
-- a decision.

CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS unaccent;

DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'eard_reader') THEN
		CREATE ROLE eard_reader NOLOGIN;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'eard_writer') THEN
		CREATE ROLE eard_writer NOLOGIN;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'eard_admin') THEN
		CREATE ROLE eard_admin LOGIN IN ROLE eard_reader;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'eard') THEN
		CREATE ROLE eard LOGIN IN ROLE eard_reader, eard_writer;
	END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO eard_reader, eard_writer, eard_admin;

-- Where every rule, list and registry row comes from is recorded by the
-- later migrations (rule_sources, list_versions, registry sources).

-- A small key/value table for facts about this database itself.
CREATE TABLE IF NOT EXISTS eard_meta (
	key	text PRIMARY KEY,
	value	text NOT NULL,
	set_at	timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT ON eard_meta TO eard_reader;
GRANT SELECT, INSERT, UPDATE, DELETE ON eard_meta TO eard_admin;
INSERT INTO eard_meta (key, value) VALUES ('schema_generation', '1')
	ON CONFLICT (key) DO NOTHING;
