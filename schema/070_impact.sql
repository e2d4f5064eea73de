-- 070_impact: the change-impact runs (issue #7, "Replay and change impact").
--
-- After `earctl import rules` changes the rules, earctl determines every
-- registry model and chip (models_current, chips_current) for every
-- destination of the watch list with the rules before and after the import,
-- as of the day of the import, and keeps the verdicts that flip here, with
-- the requirements, exceptions and enforcement postures that flipped them
-- (cli/cmd_impact.c; `earctl report impact` shows the latest run).
--
-- from_version and to_version are ruleset versions: the SHA-256 (hex) of
-- the text of eard_rules_document(), as eard names them in
-- ruleset_documents. result is the document `earctl report impact --json`
-- prints: {"from", "to", "destinations", "recipient", "items", "checks",
-- "count", "flips": [...], "errors": [...]}.

CREATE TABLE IF NOT EXISTS impact_runs (
	id		bigserial PRIMARY KEY,
	ran_at		timestamptz NOT NULL DEFAULT now(),
	from_version	text NOT NULL,
	to_version	text NOT NULL,
	as_of		date NOT NULL,
	result		jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS impact_runs_ran_at ON impact_runs (ran_at);

REVOKE ALL ON impact_runs FROM PUBLIC;
GRANT SELECT ON impact_runs TO eard_reader;
GRANT INSERT ON impact_runs TO eard_admin;
GRANT USAGE ON SEQUENCE impact_runs_id_seq TO eard_admin;
