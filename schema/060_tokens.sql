-- 060_tokens: bearer tokens of eard's TCP listener (issue #8, Access).
--
-- `earctl token create --role R --name N [--expires 90d]` makes a random
-- token, prints it once and stores only a per-token random salt and
-- SHA-256(salt || token); the token itself is never stored. A name is
-- unique among live (unrevoked) tokens, so a revoked name can be reissued;
-- rows are never deleted, which keeps who held what, and when.
--
-- The daemon (role eard, through eard_reader) reads the table on every
-- connection and on NOTIFY tokens_changed, which any change here sends;
-- it checks expires_at and revoked_at on every request. Only eard_admin
-- (earctl token ...) may create tokens or set revoked_at.

CREATE TABLE IF NOT EXISTS tokens (
	id		bigserial PRIMARY KEY,
	name		text NOT NULL
			CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
	role		text NOT NULL
			CHECK (role IN ('pipeline', 'counsel', 'analyst', 'admin')),
	salt		bytea NOT NULL CHECK (octet_length(salt) >= 16),
	hash		bytea NOT NULL CHECK (octet_length(hash) = 32),
	created_at	timestamptz NOT NULL DEFAULT now(),
	created_by	text NOT NULL DEFAULT current_user,
	expires_at	timestamptz,
	revoked_at	timestamptz,
	CHECK (expires_at IS NULL OR expires_at > created_at)
);
CREATE UNIQUE INDEX IF NOT EXISTS tokens_live_name
	ON tokens (name) WHERE revoked_at IS NULL;

CREATE OR REPLACE FUNCTION tokens_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('tokens_changed', '');
	RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS tokens_changed ON tokens;
CREATE TRIGGER tokens_changed AFTER INSERT OR UPDATE OR DELETE ON tokens
	FOR EACH STATEMENT EXECUTE FUNCTION tokens_notify();

REVOKE ALL ON tokens FROM PUBLIC;
GRANT SELECT ON tokens TO eard_reader;
GRANT SELECT, INSERT ON tokens TO eard_admin;
GRANT UPDATE (revoked_at) ON tokens TO eard_admin;
GRANT USAGE ON SEQUENCE tokens_id_seq TO eard_admin;
