-- 040_regtext: the regulator's own text, dated (importers/ecfr.c, fr.c).
--
-- Every eCFR import is one row of ecfr_versions: a scope (the document
-- root: "774 Supp. 1", "740", "738", "744") and the eCFR date it shows.
-- A version is in force from its date until the next imported date of the
-- same scope (ecfr_scope_date()). Re-importing the same scope and date
-- replaces that version's rows in one transaction: idempotent.
--
-- Citations use one form: "15 CFR 774 Supp. 1, 3A090.a.1",
-- "15 CFR 774 Supp. 1, 4E091 Technical Note 2", "15 CFR 740.2(a)".

CREATE TABLE IF NOT EXISTS ecfr_versions (
	scope		text NOT NULL,
	ecfr_date	date NOT NULL,
	heading		text,
	source_file	text NOT NULL,
	sha256		text NOT NULL,
	counts		jsonb NOT NULL DEFAULT '{}',
	imported_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (scope, ecfr_date)
);

CREATE TABLE IF NOT EXISTS ecfr_text (
	scope		text NOT NULL,
	ecfr_date	date NOT NULL,
	ord		integer NOT NULL,	-- document order
	cite		text NOT NULL,
	path		text NOT NULL,		-- cite after the scope: "3A090.a.1"
	parent		text,			-- parent's cite
	kind		text NOT NULL,		-- eccn, paragraph, note, field, ...
	eccn		text,
	label		text,
	heading		text,
	body		text NOT NULL DEFAULT '',
	line		integer,
	tsv		tsvector GENERATED ALWAYS AS (to_tsvector('english',
			    coalesce(heading, '') || ' ' || body)) STORED,
	PRIMARY KEY (scope, ecfr_date, cite),
	FOREIGN KEY (scope, ecfr_date) REFERENCES ecfr_versions ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS ecfr_text_cite_idx ON ecfr_text (cite, ecfr_date);
CREATE INDEX IF NOT EXISTS ecfr_text_eccn_idx ON ecfr_text (eccn, ecfr_date);
CREATE INDEX IF NOT EXISTS ecfr_text_tsv_idx ON ecfr_text USING gin (tsv);

-- Licence requirement rows of each ECCN ("RS applies to 3A090.a" | ...).
CREATE TABLE IF NOT EXISTS ecfr_eccn_controls (
	scope		text NOT NULL,
	ecfr_date	date NOT NULL,
	eccn		text NOT NULL,
	ord		integer NOT NULL,
	reason		text NOT NULL,
	applies		text,
	requirement	text,
	PRIMARY KEY (scope, ecfr_date, eccn, ord),
	FOREIGN KEY (scope, ecfr_date) REFERENCES ecfr_versions ON DELETE CASCADE
);

-- List-based licence exceptions of each ECCN ("NAC/ACA" | "Yes, for ...").
CREATE TABLE IF NOT EXISTS ecfr_eccn_exceptions (
	scope		text NOT NULL,
	ecfr_date	date NOT NULL,
	eccn		text NOT NULL,
	ord		integer NOT NULL,
	code		text NOT NULL,
	text		text NOT NULL,
	PRIMARY KEY (scope, ecfr_date, eccn, ord),
	FOREIGN KEY (scope, ecfr_date) REFERENCES ecfr_versions ON DELETE CASCADE
);

-- Country groups as the eCFR table of 15 CFR 740 Supp. 1 shows them on a
-- date. The curated rule table (rulepacks) is separate; `earctl verify
-- rules` compares the two.
CREATE TABLE IF NOT EXISTS ecfr_country_groups (
	scope		text NOT NULL,
	ecfr_date	date NOT NULL,
	grp		text NOT NULL,		-- "D:5"
	country_name	text NOT NULL,
	country		text,			-- ISO 3166-1 alpha-2
	PRIMARY KEY (scope, ecfr_date, grp, country_name),
	FOREIGN KEY (scope, ecfr_date) REFERENCES ecfr_versions ON DELETE CASCADE
);

-- Commerce Country Chart (15 CFR 738 Supp. 1): one row per country.
CREATE TABLE IF NOT EXISTS ecfr_chart (
	scope		text NOT NULL,
	ecfr_date	date NOT NULL,
	country_name	text NOT NULL,
	country		text,
	marks		text[] NOT NULL DEFAULT '{}',	-- {"NS 1","RS 2"}
	footnotes	integer[] NOT NULL DEFAULT '{}',
	pointer		text,			-- embargoed rows
	PRIMARY KEY (scope, ecfr_date, country_name),
	FOREIGN KEY (scope, ecfr_date) REFERENCES ecfr_versions ON DELETE CASCADE
);

-- The Entity List (15 CFR 744 Supp. 4) as of an eCFR date. The same
-- entries go to the party model (030_parties) as a list version of kind
-- "entity_list" for screening; this table keeps every date for diffs.
CREATE TABLE IF NOT EXISTS ecfr_entities (
	scope		text NOT NULL,
	ecfr_date	date NOT NULL,
	ord		integer NOT NULL,
	country_name	text NOT NULL,
	country		text,
	name		text NOT NULL,
	aliases		text[] NOT NULL DEFAULT '{}',
	addresses	text[] NOT NULL DEFAULT '{}',
	license_requirement text,
	review_policy	text,
	fr_citations	text[] NOT NULL DEFAULT '{}',
	footnotes	integer[] NOT NULL DEFAULT '{}',
	PRIMARY KEY (scope, ecfr_date, ord),
	FOREIGN KEY (scope, ecfr_date) REFERENCES ecfr_versions ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS ecfr_entities_name_idx
	ON ecfr_entities (lower(name), ecfr_date);

-- Federal Register documents (importers/fr.c).
CREATE TABLE IF NOT EXISTS fr_documents (
	citation	text PRIMARY KEY,	-- "88 FR 12170"
	doc_number	text,			-- "2023-03929"
	rin		text,
	agency		text,
	subagency	text,
	cfr		text,
	subject		text,
	action		text,
	dates_text	text,
	published	date,
	effective	date,
	amendments	text[] NOT NULL DEFAULT '{}',
	source_file	text NOT NULL,
	sha256		text NOT NULL,
	imported_at	timestamptz NOT NULL DEFAULT now()
);

-- Entity List amendments of an FR document, effective on its date.
CREATE TABLE IF NOT EXISTS fr_entity_actions (
	citation	text NOT NULL REFERENCES fr_documents ON DELETE CASCADE,
	ord		integer NOT NULL,
	action		text NOT NULL CHECK (action IN ('add', 'revise', 'remove')),
	effective	date,
	country_name	text NOT NULL,
	country		text,
	name		text NOT NULL,
	aliases		text[] NOT NULL DEFAULT '{}',
	addresses	text[] NOT NULL DEFAULT '{}',
	license_requirement text,
	review_policy	text,
	fr_citations	text[] NOT NULL DEFAULT '{}',
	footnotes	integer[] NOT NULL DEFAULT '{}',
	PRIMARY KEY (citation, ord)
);

-- The eCFR date of scope in force on d: the latest imported date <= d.
CREATE OR REPLACE FUNCTION ecfr_scope_date(p_scope text, d date)
RETURNS date LANGUAGE sql STABLE AS $$
	SELECT max(ecfr_date) FROM ecfr_versions
	WHERE scope = p_scope AND ecfr_date <= d
$$;

-- The text of a citation as of d, with the version it came from.
CREATE OR REPLACE FUNCTION ecfr_text_as_of(p_cite text, d date)
RETURNS SETOF ecfr_text LANGUAGE sql STABLE AS $$
	SELECT t.* FROM ecfr_text t
	WHERE t.cite = p_cite
	  AND t.ecfr_date = ecfr_scope_date(t.scope, d)
$$;

GRANT SELECT ON ecfr_versions, ecfr_text, ecfr_eccn_controls,
	ecfr_eccn_exceptions, ecfr_country_groups, ecfr_chart, ecfr_entities,
	fr_documents, fr_entity_actions TO eard_reader;
GRANT SELECT, INSERT, UPDATE, DELETE ON ecfr_versions, ecfr_text,
	ecfr_eccn_controls, ecfr_eccn_exceptions, ecfr_country_groups,
	ecfr_chart, ecfr_entities, fr_documents, fr_entity_actions TO eard_admin;
GRANT EXECUTE ON FUNCTION ecfr_scope_date(text, date),
	ecfr_text_as_of(text, date) TO eard_reader;
