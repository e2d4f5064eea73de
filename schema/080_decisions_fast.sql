-- 080_decisions_fast: the decision log's group commit with the hashes
-- computed by the writer (issue #9, keeping every guarantee of issue #7 and
-- schema/020_decisions.sql).
--
-- decisions_append(jsonb) expanded its batch several times and hashed row by
-- row in a PL/pgSQL loop: about 1.5 ms of server time per decision. Here the
-- writer (daemon/audit.c) sends, for a batch in chain order:
--	canons	the canonical forms, joined by newlines (a canonical form has
--		no raw control character: core/canon.c escapes them)
--	hashes	the hashes it computed, hex, 64 digits per decision
--	at_us	each decision's time (microseconds since the epoch, UTC)
--	ids	the decision ids, only when replaying a spool (NULL otherwise)
-- and decisions_append_hashed() checks, set-based and under the same
-- advisory lock as decisions_append(), that every hash is
--	sha256(prev_hash || canonical)
-- with prev_hash the chain's head (or the previous row of the batch), and
-- only then inserts. Each canonical form is parsed once, by the INSERT; the
-- request and response columns are its "request" and "response".
--
-- Optimistic concurrency: the writer chains onto the heads it last saw.
-- When another eard appended in between, the hashes do not match the heads:
-- nothing is inserted and the function returns status 'moved' with every
-- chain's current head; the writer recomputes and sends again. A replayed
-- spool batch (ids given) whose decisions are already there returns
-- 'duplicate' and nothing is inserted: the writer drops what is present and
-- recomputes. On success it returns 'ok' with the new head of each chain the
-- batch touched. A new chain (month) opens, as in decisions_append(), from
-- the head of the latest chain before it, counting this batch's rows.
--
-- Privileges as for decisions_append(): eard_writer may only EXECUTE it.

-- decisions_id duplicated the primary key (id, decided_at), which serves a
-- lookup by id; decisions_verdict served no query (queries/decisions.sql
-- filters on decided_at). Each cost an index insertion per decision.
DROP INDEX IF EXISTS decisions_id;
DROP INDEX IF EXISTS decisions_verdict;

-- Raised by decisions_append_hashed() on a row that does not chain.
CREATE OR REPLACE FUNCTION decisions_chain_broken()
RETURNS bytea
LANGUAGE plpgsql
AS $$
BEGIN
	RAISE EXCEPTION 'decision hashes do not chain onto the heads'
	    USING ERRCODE = 'EA001';
END
$$;

CREATE OR REPLACE FUNCTION decisions_append_hashed(canons text, hashes text,
    at_us bigint[], ids text[])
RETURNS TABLE (status text, chain text, head_seq bigint, head_hash bytea)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	hb	bytea;
	n	integer;
	ch	text[];		/* the batch's chains, ascending */
	cnt	bigint[];	/* its decisions in each */
	firsto	integer[];	/* the ordinals of its first and last in each */
	lasto	integer[];
	bseq	bigint[] := '{}';	/* each chain's head before the batch */
	bhash	bytea[] := '{}';
	nseq	bigint[] := '{}';	/* and after */
	nhash	bytea[] := '{}';
	isnew	boolean[] := '{}';
	pch	text[] := '{}';	/* a new chain's previous chain */
	pseq	bigint[] := '{}';
	k	integer;
	j	integer;
	c	text;
	p	text;
	hs	bigint;
	hh	bytea;
	lo	timestamptz;
	hi	timestamptz;
	ins	bigint;
BEGIN
	-- The record is worth nothing if a crash can take back an answered
	-- COMMIT: insist on a synchronous commit whatever the server default.
	PERFORM set_config('synchronous_commit', 'on', true);
	PERFORM set_config('work_mem', '64MB', true);
	n := coalesce(cardinality(at_us), 0);
	IF coalesce(octet_length(hashes), 0) <> 64 * n OR
	    (ids IS NOT NULL AND cardinality(ids) <> n) THEN
		RAISE EXCEPTION 'malformed decision batch'
		    USING ERRCODE = 'invalid_parameter_value',
		    DETAIL = format('%s times, %s hash digits.', n,
			coalesce(octet_length(hashes), 0));
	END IF;
	IF n = 0 THEN
		RETURN;
	END IF;
	-- Times never go back in a batch, so each chain's rows are contiguous.
	IF EXISTS (SELECT 1 FROM generate_series(2, n) AS i
	    WHERE at_us[i] < at_us[i - 1]) THEN
		RAISE EXCEPTION 'decision batch not in time order'
		    USING ERRCODE = 'invalid_parameter_value';
	END IF;
	hb := decode(hashes, 'hex');
	PERFORM pg_advisory_xact_lock(hashtext('eard.decisions.chain'));

	-- A replayed spool: decisions already recorded are the writer's to drop
	-- (its hashes chained them); look only at the batch's time span.
	IF ids IS NOT NULL THEN
		lo := timestamptz 'epoch' + at_us[1] * interval '1 microsecond';
		hi := timestamptz 'epoch' + at_us[n] * interval '1 microsecond';
		IF EXISTS (SELECT 1 FROM decisions x
		    WHERE x.decided_at >= lo AND x.decided_at <= hi
		    AND (x.id, x.decided_at) IN (SELECT u.i, timestamptz 'epoch' +
			u.a * interval '1 microsecond'
			FROM unnest(ids, at_us) AS u (i, a))) THEN
			RETURN QUERY SELECT 'duplicate'::text, NULL::text,
			    NULL::bigint, NULL::bytea;
			RETURN;
		END IF;
	END IF;

	SELECT array_agg(x.c ORDER BY x.c), array_agg(x.n ORDER BY x.c),
	    array_agg(x.f ORDER BY x.c), array_agg(x.l ORDER BY x.c)
	    INTO ch, cnt, firsto, lasto
	    FROM (SELECT to_char((timestamptz 'epoch' + u.a *
		interval '1 microsecond') AT TIME ZONE 'UTC', 'YYYY-MM') AS c,
		count(*) AS n, min(u.o)::integer AS f, max(u.o)::integer AS l
		FROM unnest(at_us) WITH ORDINALITY AS u (a, o) GROUP BY 1) x;

	-- Each chain's head before the batch; a new chain links to the latest
	-- chain before it, as it will be once this batch's rows are in.
	FOR k IN 1 .. cardinality(ch) LOOP
		c := ch[k];
		SELECT d.head_seq, d.head_hash INTO hs, hh
		    FROM decision_chains d WHERE d.chain = c;
		IF FOUND THEN
			isnew[k] := false;
			pch[k] := NULL;
			pseq[k] := NULL;
		ELSE
			SELECT d.chain, d.head_seq, d.head_hash INTO p, hs, hh
			    FROM decision_chains d WHERE d.chain < c
			    ORDER BY d.chain DESC LIMIT 1;
			IF NOT FOUND THEN
				p := NULL;
			END IF;
			j := k - 1;
			IF j >= 1 AND (p IS NULL OR ch[j] >= p) THEN
				p := ch[j];
				hs := nseq[j];
				hh := nhash[j];
			END IF;
			IF p IS NULL THEN
				hs := NULL;
				hh := decode(repeat('00', 32), 'hex');
			END IF;
			isnew[k] := true;
			pch[k] := p;
			pseq[k] := hs;
			hs := 0;
		END IF;
		bseq[k] := hs;
		bhash[k] := hh;
		nseq[k] := hs + cnt[k];
		nhash[k] := substring(hb FROM (lasto[k] - 1) * 32 + 1 FOR 32);
	END LOOP;

	BEGIN
		FOR k IN 1 .. cardinality(ch) LOOP
			PERFORM decisions_ensure_partition((ch[k] ||
			    '-01 00:00:00+00')::timestamptz);
		END LOOP;
		INSERT INTO decision_chains (chain, prev_chain, prev_seq,
		    genesis_prev, head_seq, head_hash)
		SELECT u.c, u.p, u.s, u.h, 0, u.h
		    FROM unnest(ch, pch, pseq, bhash, isnew)
			AS u (c, p, s, h, isnew)
		    WHERE u.isnew;

		-- One pass: each canonical form is hashed once and parsed once
		-- (OFFSET 0 keeps the subquery whole, so j is not re-parsed
		-- for every column). A row whose hash does not chain onto the
		-- one before it (or the head), whose time is not its canonical
		-- form's, or that has no time (more rows than times) stops it.
		INSERT INTO decisions (id, decided_at, kind, requester,
		    request, response, verdict, ruleset_version, lists_version,
		    chain, seq, prev_hash, hash)
		SELECT r.j->>'id', r.ts, coalesce(r.j->>'kind', ''),
		    r.j->>'requester', coalesce(r.j->'request', 'null'),
		    coalesce(r.j->'response', 'null'),
		    CASE WHEN jsonb_typeof(r.j->'response'->'verdict') = 'string'
			THEN r.j->'response'->>'verdict'
			WHEN jsonb_typeof(r.j->'response'->'result') = 'string'
			THEN r.j->'response'->>'result' END,
		    r.j->>'ruleset_version', r.j->>'lists_version', r.chain,
		    r.seq, r.prev,
		    CASE WHEN (r.j->>'at_us')::bigint = r.a AND
			r.h = sha256(r.prev || convert_to(r.c, 'UTF8'))
			THEN r.h ELSE decisions_chain_broken() END
		FROM (SELECT u.c::jsonb AS j, u.c, u.a, u.ts, u.chain, u.h,
			b.seq + u.o - b.first + 1 AS seq,
			CASE WHEN u.o = b.first THEN b.hash
			    ELSE substring(hb FROM (u.o - 2) * 32 + 1 FOR 32)
			    END AS prev
		    FROM (SELECT t.c, t.o::integer AS o, at_us[t.o] AS a,
			    timestamptz 'epoch' + at_us[t.o] *
			    interval '1 microsecond' AS ts,
			    to_char((timestamptz 'epoch' + at_us[t.o] *
			    interval '1 microsecond') AT TIME ZONE 'UTC',
			    'YYYY-MM') AS chain,
			    substring(hb FROM (t.o::integer - 1) * 32 + 1
			    FOR 32) AS h
			FROM string_to_table(canons, E'\n') WITH ORDINALITY
			    AS t (c, o)) u
		    LEFT JOIN unnest(ch, bseq, bhash, firsto)
			AS b (chain, seq, hash, first) ON b.chain = u.chain
		    OFFSET 0) r
;
		GET DIAGNOSTICS ins = ROW_COUNT;
		IF ins <> n THEN
			RAISE EXCEPTION 'decision hashes do not chain onto the heads'
			    USING ERRCODE = 'EA001';
		END IF;
		UPDATE decision_chains d SET head_seq = u.s, head_hash = u.h,
		    updated_at = now()
		    FROM unnest(ch, nseq, nhash) AS u (c, s, h)
		    WHERE d.chain = u.c;
	EXCEPTION WHEN SQLSTATE 'EA001' OR unique_violation THEN
		-- Another writer moved a head (or the batch is wrong): nothing
		-- is kept; the writer recomputes from the heads returned.
		RETURN QUERY SELECT 'moved'::text, NULL::text, NULL::bigint,
		    NULL::bytea;
		RETURN QUERY SELECT 'moved'::text, d.chain, d.head_seq,
		    d.head_hash FROM decision_chains d ORDER BY d.chain;
		RETURN;
	END;
	RETURN QUERY SELECT 'ok'::text, u.c, u.s, u.h
	    FROM unnest(ch, nseq, nhash) AS u (c, s, h);
END
$$;

REVOKE ALL ON FUNCTION decisions_append_hashed(text, text, bigint[], text[])
    FROM PUBLIC;
REVOKE ALL ON FUNCTION decisions_chain_broken() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION decisions_append_hashed(text, text, bigint[], text[])
    TO eard_writer;
