-- 020_decisions: the decision log (issue #7), append-only and hash-chained,
-- and the rules documents decisions were made with, for replay.
--
-- decisions is partitioned by month of decided_at (UTC). Each month is one
-- hash chain: row n of chain C has
--	hash = SHA-256(prev_hash || canonical)
-- where prev_hash is row n-1's hash and canonical is the decision's canonical
-- form (daemon/audit.c, audit_canonical(): sorted keys, compact, numbers
-- normalised so that a jsonb round trip gives the same bytes). The first row
-- of a chain takes as prev_hash the head of the previous chain at the moment
-- the chain was opened (decision_chains.prev_chain/prev_seq), so chain heads
-- are chained too; the very first chain starts from 32 zero bytes.
--
-- Concurrency: several eard instances may append at once. decisions_append()
-- takes one transaction-level advisory lock for the whole log before it
-- reads a chain head, and holds it to COMMIT, so heads are read and advanced
-- by one writer at a time. One lock (rather than one per chain) also makes
-- opening a new chain, which reads the previous chain's head, safe; writers
-- queue on it for the length of one group commit, which the batch amortises.
--
-- Privileges: eard_writer cannot INSERT into decisions directly (a direct
-- insert could not be chained correctly); it may only EXECUTE
-- decisions_append(), a SECURITY DEFINER function that inserts and advances
-- the chain. Nobody but the owner may UPDATE or DELETE, and a trigger rejects
-- UPDATE and DELETE even for the owner and eard_admin; a superuser can get
-- past it (session_replication_role = replica), which `earctl audit verify`
-- then detects.

CREATE TABLE IF NOT EXISTS decisions (
	id		text NOT NULL,
	decided_at	timestamptz NOT NULL,
	kind		text NOT NULL,
	requester	text,
	request		jsonb NOT NULL,
	response	jsonb NOT NULL,
	verdict		text,
	ruleset_version	text,
	lists_version	text,
	chain		text NOT NULL,		/* 'YYYY-MM', the UTC month */
	seq		bigint NOT NULL,	/* position in the chain, from 1 */
	prev_hash	bytea NOT NULL,
	hash		bytea NOT NULL,
	recorded_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (id, decided_at)
) PARTITION BY RANGE (decided_at);

CREATE INDEX IF NOT EXISTS decisions_decided_at ON decisions (decided_at);
CREATE INDEX IF NOT EXISTS decisions_chain_seq ON decisions (chain, seq);
CREATE INDEX IF NOT EXISTS decisions_id ON decisions (id);
CREATE INDEX IF NOT EXISTS decisions_verdict ON decisions (verdict, decided_at);

-- One row per chain: where it links to, and its head.
CREATE TABLE IF NOT EXISTS decision_chains (
	chain		text PRIMARY KEY,
	prev_chain	text,			/* NULL for the first chain */
	prev_seq	bigint,
	genesis_prev	bytea NOT NULL,
	head_seq	bigint NOT NULL,
	head_hash	bytea NOT NULL,
	opened_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);

-- Every rules document the daemon has served, by version (the SHA-256 of the
-- document text), so a decision can be replayed with the rules of its day.
CREATE TABLE IF NOT EXISTS ruleset_documents (
	version		text PRIMARY KEY,
	document	jsonb NOT NULL,
	loaded_at	timestamptz NOT NULL DEFAULT now()
);

-- The month partition holding ts, created if missing; returns its name.
CREATE OR REPLACE FUNCTION decisions_ensure_partition(ts timestamptz)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
	m	timestamp := date_trunc('month', ts AT TIME ZONE 'UTC');
	part	text := 'decisions_' || to_char(m, 'YYYYMM');
BEGIN
	IF to_regclass(part) IS NULL THEN
		EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF decisions '
		    'FOR VALUES FROM (%L) TO (%L)', part,
		    (m AT TIME ZONE 'UTC'), ((m + interval '1 month') AT TIME ZONE 'UTC'));
		EXECUTE format('CREATE UNIQUE INDEX IF NOT EXISTS %I ON %I (seq)',
		    part || '_seq', part);
	END IF;
	RETURN part;
END
$$;

-- Append a batch of decisions, chaining each; returns how many were new.
-- batch: a JSON array of {id, at_us, kind, requester, request, response,
-- verdict, ruleset_version, lists_version, canonical}. A decision already
-- present (same id and time: a spool replayed twice) is skipped and does not
-- advance the chain. Hashes are computed row by row (a chain is sequential)
-- and the rows then go in with one INSERT: a per-row INSERT into the
-- partitioned table costs far more than the hashing.
CREATE OR REPLACE FUNCTION decisions_append(batch jsonb)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
	r	record;
	c	text;
	cur	text := NULL;
	hseq	bigint;
	hhash	bytea;
	pchain	text;
	pseq	bigint;
	phash	bytea;
	h	bytea;
	n	integer := 0;
	lo	timestamptz;
	hi	timestamptz;
	present	text[];
	ids	text[];
	last_id	text;
	last_ts	timestamptz;
	a_ord	bigint[] := '{}';
	a_chain	text[] := '{}';
	a_seq	bigint[] := '{}';
	a_prev	bytea[] := '{}';
	a_hash	bytea[] := '{}';
BEGIN
	-- The record is worth nothing if a crash can take back an answered
	-- COMMIT: insist on a synchronous commit whatever the server default.
	PERFORM set_config('synchronous_commit', 'on', true);
	-- A batch of a few thousand decisions is tens of megabytes: sort and
	-- join it in memory, not in temporary files.
	PERFORM set_config('work_mem', '64MB', true);
	PERFORM pg_advisory_xact_lock(hashtext('eard.decisions.chain'));
	-- What is already there (a replayed spool): look only at the batch's
	-- time span, so the partitions are pruned and the index is used. The
	-- batch is expanded once here: a subquery over it would be re-expanded
	-- for every row it is compared with.
	SELECT min(t), max(t), array_agg(id) INTO lo, hi, ids
	    FROM (SELECT value->>'id' AS id, timestamptz 'epoch' +
		(value->>'at_us')::bigint * interval '1 microsecond' AS t
		FROM jsonb_array_elements(batch)) b;
	SELECT coalesce(array_agg(x.id || '@' || x.decided_at::text), '{}')
	    INTO present FROM decisions x
	    WHERE x.decided_at >= lo AND x.decided_at <= hi
	    AND x.id = ANY (ids);
	FOR r IN
		SELECT e.value->>'id' AS id, e.value->>'canonical' AS canon,
		    e.ts, e.ord
		FROM (SELECT value, ord, timestamptz 'epoch' +
			(value->>'at_us')::bigint * interval '1 microsecond' AS ts
		    FROM jsonb_array_elements(batch) WITH ORDINALITY
			AS a (value, ord)) e
		WHERE NOT ((e.value->>'id') || '@' || e.ts::text = ANY (present))
		ORDER BY e.ts, e.value->>'id'
	LOOP
		c := to_char(r.ts AT TIME ZONE 'UTC', 'YYYY-MM');
		IF cur IS DISTINCT FROM c THEN
			IF cur IS NOT NULL THEN
				UPDATE decision_chains SET head_seq = hseq,
				    head_hash = hhash, updated_at = now()
				    WHERE chain = cur;
			END IF;
			PERFORM decisions_ensure_partition(r.ts);
			SELECT head_seq, head_hash INTO hseq, hhash
			    FROM decision_chains WHERE chain = c;
			IF NOT FOUND THEN
				SELECT chain, head_seq, head_hash
				    INTO pchain, pseq, phash
				    FROM decision_chains WHERE chain < c
				    ORDER BY chain DESC LIMIT 1;
				IF NOT FOUND THEN
					pchain := NULL;
					pseq := NULL;
					phash := decode(repeat('00', 32), 'hex');
				END IF;
				INSERT INTO decision_chains (chain, prev_chain,
				    prev_seq, genesis_prev, head_seq, head_hash)
				    VALUES (c, pchain, pseq, phash, 0, phash);
				hseq := 0;
				hhash := phash;
			END IF;
			cur := c;
		END IF;
		-- The same decision twice in one batch: keep the first.
		IF r.id = last_id AND r.ts = last_ts THEN
			CONTINUE;
		END IF;
		last_id := r.id;
		last_ts := r.ts;
		h := sha256(hhash || convert_to(r.canon, 'UTF8'));
		a_ord := a_ord || r.ord;
		a_chain := a_chain || c;
		a_seq := a_seq || (hseq + 1);
		a_prev := a_prev || hhash;
		a_hash := a_hash || h;
		hseq := hseq + 1;
		hhash := h;
		n := n + 1;
	END LOOP;
	IF cur IS NOT NULL THEN
		UPDATE decision_chains SET head_seq = hseq, head_hash = hhash,
		    updated_at = now() WHERE chain = cur;
	END IF;
	-- Under the lock nobody else appends, so nothing here conflicts.
	INSERT INTO decisions (id, decided_at, kind, requester, request,
	    response, verdict, ruleset_version, lists_version, chain, seq,
	    prev_hash, hash)
	SELECT b.d->>'id', timestamptz 'epoch' +
	    (b.d->>'at_us')::bigint * interval '1 microsecond',
	    b.d->>'kind', b.d->>'requester', b.d->'request', b.d->'response',
	    b.d->>'verdict', b.d->>'ruleset_version', b.d->>'lists_version',
	    u.chain, u.seq, u.prev, u.hash
	FROM unnest(a_ord, a_chain, a_seq, a_prev, a_hash)
	    AS u (ord, chain, seq, prev, hash)
	JOIN jsonb_array_elements(batch) WITH ORDINALITY AS b (d, ord)
	    ON b.ord = u.ord;
	RETURN n;
END
$$;

-- The log is append-only: reject UPDATE and DELETE whoever asks.
CREATE OR REPLACE FUNCTION decisions_reject_change()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
	RAISE EXCEPTION 'the decision log is append-only'
	    USING ERRCODE = 'insufficient_privilege',
	    DETAIL = format('%s on %s was rejected.', TG_OP, TG_TABLE_NAME),
	    HINT = 'Record a new decision instead of changing an old one.';
END
$$;

DROP TRIGGER IF EXISTS decisions_append_only ON decisions;
CREATE TRIGGER decisions_append_only BEFORE UPDATE OR DELETE ON decisions
	FOR EACH ROW EXECUTE FUNCTION decisions_reject_change();
DROP TRIGGER IF EXISTS decisions_no_truncate ON decisions;
CREATE TRIGGER decisions_no_truncate BEFORE TRUNCATE ON decisions
	FOR EACH STATEMENT EXECUTE FUNCTION decisions_reject_change();

-- Partitions for a year back and a year ahead; later months are created by
-- decisions_append() on demand.
DO $$
BEGIN
	PERFORM decisions_ensure_partition(date_trunc('month', now()) +
	    k * interval '1 month') FROM generate_series(-12, 12) AS k;
END
$$;

REVOKE ALL ON decisions, decision_chains, ruleset_documents FROM PUBLIC;
REVOKE ALL ON FUNCTION decisions_append(jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION decisions_ensure_partition(timestamptz) FROM PUBLIC;
GRANT SELECT ON decisions, decision_chains, ruleset_documents TO eard_reader;
GRANT EXECUTE ON FUNCTION decisions_append(jsonb) TO eard_writer;
GRANT INSERT ON ruleset_documents TO eard_writer;
GRANT SELECT ON decisions, decision_chains, ruleset_documents TO eard_admin;
