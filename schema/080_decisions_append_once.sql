-- 080_decisions_append_once: decisions_append() expands its batch once.
--
-- The 020 version looked for already-recorded decisions (a replayed spool)
-- with `id IN (SELECT ... FROM jsonb_array_elements(batch))`, which the
-- planner ran as a nested loop re-expanding the whole batch (megabytes of
-- jsonb) once for every decision already in the batch's time span: the
-- cost of a group commit grew with the product of the two. It now collects
-- the batch's ids into an array in the same pass that finds its time span,
-- and sorts in memory. Behaviour, hashes and grants are unchanged
-- (CREATE OR REPLACE keeps the function's privileges).

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
REVOKE ALL ON FUNCTION decisions_append(jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION decisions_ensure_partition(timestamptz) FROM PUBLIC;
GRANT SELECT ON decisions, decision_chains, ruleset_documents TO eard_reader;
GRANT EXECUTE ON FUNCTION decisions_append(jsonb) TO eard_writer;
GRANT INSERT ON ruleset_documents TO eard_writer;
GRANT SELECT ON decisions, decision_chains, ruleset_documents TO eard_admin;
