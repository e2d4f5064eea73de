-- 084_decisions_lz4: the decision log's JSON compressed with lz4 (issue #9).
--
-- A decision's request and response (4-10 kB of JSON each row) are stored
-- out of line and compressed. With the default pglz, compression was the
-- largest single cost of the server while eard logged checks (11% of all
-- CPU samples, `perf record -a` under 16 connections); lz4 does the same
-- work in about half the time per row for the same size on disk (20,000
-- rows of 4.3 kB: 24 us a row against 38-54 us). Rows already written keep
-- pglz and read as before; only new values change.
--
-- The partitioned parent carries the setting for partitions created later
-- (decisions_ensure_partition); the existing partitions are set one by one,
-- since ALTER TABLE on the parent does not reach them.
ALTER TABLE decisions ALTER COLUMN request SET COMPRESSION lz4,
	ALTER COLUMN response SET COMPRESSION lz4;

DO $$
DECLARE
	p	regclass;
BEGIN
	FOR p IN SELECT inhrelid::regclass FROM pg_inherits
	    WHERE inhparent = 'decisions'::regclass
	LOOP
		EXECUTE format('ALTER TABLE %s ALTER COLUMN request SET '
		    'COMPRESSION lz4, ALTER COLUMN response SET COMPRESSION lz4',
		    p);
	END LOOP;
END
$$;
