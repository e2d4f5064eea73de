/*
 * importers: load outside data into PostgreSQL, each import in one
 * transaction, then NOTIFY the daemons. Internal to eard and earctl.
 *
 * Sections follow the files that implement them: a function's prefix names
 * its file (rulepack_import_files() is in importers/rulepack.c).
 *
 * Ownership: a `char **cause` set on failure is the caller's to free.
 */
#ifndef IMPORTERS_H
#define IMPORTERS_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

#include "ear.h"

/* rulepack.c */
/*
 * Rulepacks (rules/NN-*.xml, schema rules/rulepack.rng) into the rule tables
 * of schema/010_rules.sql. rulepack_import_files() loads every given file in
 * one transaction on a connection with eard_admin rights: a bad file changes
 * nothing and *cause names "file:line: <element id=...>: what". A pack whose
 * content hash is already stored is skipped; when any pack is new or changed
 * the rule tables are rebuilt from every stored pack in file-name order, and
 * NOTIFY rules_changed is sent on commit.
 */
struct rulepack_report {
	size_t	 files;		/* files given */
	size_t	 imported;	/* packs new or changed */
	size_t	 unchanged;	/* packs whose content hash was already stored */
	size_t	 rows;		/* rule rows written by the rebuild (0 if none) */
};
int	 rulepack_import_files(PGconn *, char *const *, size_t, const char *,
	     struct rulepack_report *, char **) MUSTCHECK;
/* Schema and semantic checks of one file, no database. */
int	 rulepack_validate_file(const char *, const char *, char **) MUSTCHECK;
/* The same for a pack in memory, named for messages (the fuzz harness). */
int	 rulepack_validate_memory(const char *, const char *, size_t,
	     const char *, char **) MUSTCHECK;
/* One XML predicate element (<all>, <ge>, ...) to its JSON array; NULL and
 * *cause on error. Returns a new reference. */
struct _xmlNode;
json_t	*rulepack_convert_predicate(struct _xmlNode *, char **) MUSTCHECK;

/*
 * xmlsafe.c: the libxml2 reader set-up of ecfr.c and fr.c. Readers have no
 * network, no entity substitution, no DTD (xmlsafe_open_*(): NULL and
 * *cause, else the caller frees with xmlFreeTextReader()). xmlsafe_read()
 * walks the document, refusing DOCTYPE and entity references through
 * ops->fail (also libxml2's errors, trimmed, and "could not parse XML"),
 * and stops once ops->failed() says so. xmlsafe_trim() returns a new
 * string.
 */
struct _xmlTextReader;
struct xmlsafe_ops {
	const char	*what;		/* "eCFR XML", for the DOCTYPE refusal */
	bool		 name_entities;	/* "entity reference &x; ..." */
	void		(*start)(void *, const char *, int, int);
	void		(*end)(void *, const char *, int);
	void		(*text)(void *, const char *);
	void		(*fail)(void *, int, const char *);
	bool		(*failed)(void *);
};
struct _xmlTextReader *xmlsafe_open_file(const char *, char **) MUSTCHECK;
struct _xmlTextReader *xmlsafe_open_memory(const char *, size_t, char **)
	     MUSTCHECK;
void	 xmlsafe_read(struct _xmlTextReader *, const struct xmlsafe_ops *,
	     void *);
char	*xmlsafe_trim(const char *);

/*
 * ecfr.c: eCFR versioner-API XML (a part, a section or an appendix such as
 * 15 CFR 774 Supp. 1) into dated regulation text, CCL entries, country
 * groups (740 Supp. 1), Country Chart marks (738 Supp. 1) and the Entity
 * List (744 Supp. 4). Tables: schema/040_regtext.sql. Parsing is pure (no
 * database), so it is unit-tested and fuzzed alone; ecfr_store() writes a
 * parsed document in one transaction (the same scope and date again
 * replaces it: idempotent). A parsed document and everything in it is
 * freed by ecfr_free().
 *
 * earctl import ecfr FILE [--date D]:
 *	if (ecfr_import_file(conn, path, date_or_NULL, &stats, &cause) != 0)
 *		... report cause, free it; nothing was written ...
 */
enum ecfr_kind {
	ECFR_PART, ECFR_SUBPART, ECFR_SECTION, ECFR_APPENDIX, ECFR_HEADING,
	ECFR_ECCN, ECFR_FIELD, ECFR_CONTROLS, ECFR_EXCEPTIONS, ECFR_PARAGRAPH,
	ECFR_NOTE, ECFR_TABLE
};
/* One citable piece of text: "15 CFR 774 Supp. 1, 3A090.a.1". */
struct ecfr_node {
	enum ecfr_kind	 kind;
	char		*cite;		/* full citation, unique in a document */
	char		*path;		/* after the scope: "3A090.a.1" */
	char		*parent;	/* parent's cite, or NULL */
	char		*eccn;		/* "3A090" inside a CCL entry, else NULL */
	char		*label;		/* "a.1", "Note 1", "(a)" or NULL */
	char		*heading;	/* ECCN/section heading, note heading */
	char		*body;		/* the text, inline markup flattened */
	int		 line;		/* line in the file where it starts */
};
/* A row of an ECCN's licence requirements table. */
struct ecfr_control {
	char	*eccn;
	char	*reason;	/* "RS" */
	char	*applies;	/* "3A090.a", "entire entry" */
	char	*requirement;	/* "To or within any destination worldwide, ..." */
};
/* A list-based licence exception line ("NAC/ACA: Yes, for 3A090.a, ..."). */
struct ecfr_exception {
	char	*eccn;
	char	*code;		/* "NAC/ACA", "LVS", "AIA" */
	char	*text;
};
/* A country's membership in a group (740 Supp. 1). */
struct ecfr_group {
	char	*group;		/* "D:5" */
	char	*country_name;	/* as the table writes it: "China" */
	char	*country;	/* ISO 3166-1 alpha-2, or NULL if unknown */
};
/* A Commerce Country Chart row (738 Supp. 1). */
struct ecfr_chart_row {
	char	*country_name;
	char	*country;	/* ISO alpha-2 or NULL */
	char   **marks;		/* "NS 1", "RS 2", ... (columns with an X) */
	size_t	 nmarks;
	int	*footnotes;
	size_t	 nfootnotes;
	char	*pointer;	/* embargoed rows: "See part 746 ..." */
};
/* An Entity List entry (744 Supp. 4 or an FR amendment's table). */
struct ecfr_entity {
	char	*country_name;	/* "CHINA, PEOPLE'S REPUBLIC OF" */
	char	*country;	/* ISO alpha-2 or NULL */
	char	*name;
	char   **aliases;	/* after "a.k.a." */
	size_t	 naliases;
	char   **addresses;
	size_t	 naddresses;
	char	*license_requirement;
	char	*review_policy;
	char   **fr_citations;	/* "88 FR 12170, 2/27/23" */
	size_t	 nfr_citations;
	int	*footnotes;	/* footnote marks in the row */
	size_t	 nfootnotes;
	int	 line;
};
struct ecfr_doc {
	char			*scope;		/* "774 Supp. 1", "740", ... */
	char			*cite_prefix;	/* "15 CFR 774 Supp. 1" */
	char			*date;		/* "YYYY-MM-DD" eCFR date */
	char			*heading;	/* the root DIV's HEAD */
	struct ecfr_node	*nodes;
	size_t			 nnodes;
	struct ecfr_control	*controls;
	size_t			 ncontrols;
	struct ecfr_exception	*exceptions;
	size_t			 nexceptions;
	struct ecfr_group	*groups;
	size_t			 ngroups;
	struct ecfr_chart_row	*chart;
	size_t			 nchart;
	char		       **chart_columns;	/* column order of the chart */
	size_t			 nchart_columns;
	struct ecfr_entity	*entities;
	size_t			 nentities;
	size_t			 neccns;	/* distinct ECCN headers found */
	size_t			 nalloc[6];	/* private: array capacities */
};
struct ecfr_stats {
	size_t	nodes, eccns, groups, chart, entities;
};
/* date may be NULL: then the file's hierarchy_metadata must carry one. */
struct ecfr_doc *ecfr_parse_file(const char *, const char *, char **)
	     MUSTCHECK;
struct ecfr_doc *ecfr_parse_memory(const char *, size_t, const char *,
	     char **) MUSTCHECK;
void	 ecfr_free(struct ecfr_doc *);
const struct ecfr_node *ecfr_find(const struct ecfr_doc *, const char *);
const char *ecfr_kind_name(enum ecfr_kind);
int	 ecfr_store(PGconn *, const struct ecfr_doc *, const char *,
	     const char *, struct ecfr_stats *, char **) MUSTCHECK;
int	 ecfr_import_file(PGconn *, const char *, const char *,
	     struct ecfr_stats *, char **) MUSTCHECK;
/* "China", "CHINA, PEOPLE'S REPUBLIC OF", "Korea, South" -> "CN", "KR" */
const char *ecfr_country_code(const char *);
/* Split an Entity List "entity" cell (lines) into name, aliases, addresses. */
void	 ecfr_entity_set_cell(struct ecfr_entity *, const char *);
void	 ecfr_entity_clear(struct ecfr_entity *);
/* Split a Federal Register citation cell into e->fr_citations. */
void	 ecfr_entity_set_fr(struct ecfr_entity *, const char *);
/* Numbers in regulation text: "4,800", "5.92", "10^26", "2.5 × 10^25". */
size_t	 ecfr_text_numbers(const char *, double *, size_t);
bool	 ecfr_text_has_number(const char *, double);
/* Insert entities as parties of list_versions id (text); fr.c uses it. */
int	 ecfr_insert_parties(PGconn *, const char *, const struct ecfr_entity *,
	     size_t, char **) MUSTCHECK;

/*
 * fr.c: a Federal Register rule (RULE with PREAMB, REGTEXT/AMDPAR and
 * GPOTABLE): the document and, for Entity List amendments, the entities
 * added, revised or removed, effective on the rule's effective date. They
 * go to fr_entity_actions (040_regtext) and, as a new "entity_list"
 * version of the party model (030_parties), to screening.
 *
 * earctl import fr FILE [--citation "88 FR 12170"]:
 *	if (fr_import_file(conn, path, citation_or_NULL, &cause) != 0) ...
 */
enum fr_action { FR_ADD, FR_REVISE, FR_REMOVE };
struct fr_entity {
	enum fr_action		 action;
	struct ecfr_entity	 e;
};
struct fr_doc {
	char		*citation;	/* "88 FR 12170" */
	char		*doc_number;	/* "2023-03929" */
	char		*rin;		/* "0694-AJ13" */
	char		*agency;
	char		*subagency;
	char		*cfr;		/* "15 CFR Part 744" */
	char		*subject;
	char		*action;	/* "Final rule." */
	char		*dates_text;	/* the DATES paragraph */
	char		*published;	/* YYYY-MM-DD or NULL */
	char		*effective;	/* YYYY-MM-DD or NULL */
	char	       **amendments;	/* AMDPAR texts */
	size_t		 namendments;
	struct fr_entity *entities;
	size_t		 nentities;
	size_t		 nalloc[2];
};
struct fr_doc *fr_parse_file(const char *, char **) MUSTCHECK;
struct fr_doc *fr_parse_memory(const char *, size_t, char **) MUSTCHECK;
void	 fr_free(struct fr_doc *);
const char *fr_action_name(enum fr_action);
int	 fr_store(PGconn *, const struct fr_doc *, const char *, const char *,
	     char **) MUSTCHECK;
int	 fr_import_file(PGconn *, const char *, const char *, char **)
	     MUSTCHECK;

/* csv.c */
/*
 * A small RFC 4180 reader over a buffer: quoted fields with "" escapes and
 * embedded newlines, CRLF or LF, a leading UTF-8 byte-order mark skipped.
 * csv_next() returns 1 with a row (fields borrowed until the next call),
 * 0 at the end, -1 with *cause "line N: ..." on an unterminated quote.
 * csv_number() reads the numbers found in outside CSVs ("3.8e+25",
 * "1,234", " 42 "): 1 and *out on a number, 0 when the cell says nothing
 * ("", "Unknown", "NaN", "N/A", "-"), -1 when it is not a number.
 */
struct csv_reader;
struct csv_reader *csv_open(const char *, size_t);
int	 csv_next(struct csv_reader *, char ***, size_t *, char **) MUSTCHECK;
size_t	 csv_line(const struct csv_reader *);	/* first line of last row */
void	 csv_close(struct csv_reader *);
int	 csv_number(const char *, double *) MUSTCHECK;
int	 csv_column(char *const *, size_t, const char *);	/* -1 if absent */

/* registry.c */
/*
 * The model and chip registry (schema/050_registry.sql). Each format is one
 * file with a parse function (struct registry_format); parsing fills a
 * struct registry_set in memory (one entry per id, facts merged by source
 * priority), and registry_import_files() writes every given file in one
 * transaction through registry_import() in SQL: an unchanged fact is left
 * alone, a changed one becomes a new version, and NOTIFY registry_changed
 * is sent on commit. A bad file changes nothing; *cause names "file:line".
 * format is "epoch", "hf", "json" or NULL (detected from the content).
 */
enum registry_kind { REGISTRY_MODELS, REGISTRY_CHIPS };
struct registry_source {
	const char	*dataset;	/* "epoch:notable_ai_models", "hf", ... */
	const char	*file;		/* as given (relative path) */
	size_t		 row;		/* line of the record, 0 if none */
	int		 priority;	/* higher wins when sources disagree */
};
struct registry_set;
struct registry_report {
	size_t	 files;
	size_t	 items;		/* registry entries touched */
	size_t	 facts_new;	/* facts never seen before */
	size_t	 facts_changed;	/* new versions of existing facts */
	size_t	 facts_unchanged;
};
struct registry_format {
	const char		*name;		/* "epoch", "hf", "json" */
	enum registry_kind	 kind;
	bool			(*detect)(const char *, size_t, const char *);
	int			(*parse)(const char *, size_t, const char *,
				    struct registry_set *, char **);
};
int	 registry_import_files(PGconn *, enum registry_kind, const char *,
	     char *const *, size_t, struct registry_report *, char **)
	     MUSTCHECK;
int	 registry_parse_file(struct registry_set *, const char *, const char *,
	     char **) MUSTCHECK;
int	 registry_parse_buffer(struct registry_set *, const char *, const char *,
	     size_t, const char *, char **) MUSTCHECK;
struct registry_set *registry_set_new(enum registry_kind);
void	 registry_set_free(struct registry_set *);
size_t	 registry_set_count(const struct registry_set *);
/* {"<id>": {"id","name","facts":{"<fact>":{"value",...}}}}; borrowed */
const json_t *registry_set_items(const struct registry_set *);
/* Record one fact; value (and estimate, may be NULL) are stolen. */
void	 registry_add_fact(struct registry_set *, const char *, const char *,
	     json_t *, const struct registry_source *, const char *, json_t *);
char	*registry_slug(const char *);			/* caller frees */
const char *registry_kind_name(enum registry_kind);	/* "models", "chips" */
double	 registry_estimate_6nd(double, double);		/* 6 * N * D */
double	 registry_estimate_gpu_hours(double, double, double);

/* epoch.c: Epoch AI's CSVs (models: notable/large_scale/frontier; chips). */
extern const struct registry_format epoch_models_format;
extern const struct registry_format epoch_chips_format;
int	 epoch_format_bits(const char *);	/* column header -> bits, -1 */

/* hf.c: Hugging Face config.json -> parameter counts from the architecture. */
struct hf_estimate {
	char	 model_type[64];
	double	 total;		/* parameters, NaN if unsupported */
	double	 active;	/* per token (MoE), = total for dense */
	int	 layers;
	int	 moe_layers;
	int	 experts;	/* routed experts, 0 dense */
	int	 experts_per_token;
	char	 note[256];	/* what is and is not counted */
};
/* -1 and *cause "unsupported: <model_type>" when it cannot count it right */
int	 hf_estimate_params(const json_t *, struct hf_estimate *, char **)
	     MUSTCHECK;
extern const struct registry_format hf_format;

/* models_json.c, chips_json.c: the project's own JSON (docs/release-pipeline.md). */
extern const struct registry_format models_json_format;
extern const struct registry_format chips_json_format;
/* One model object (the check contract's shape + "id", "developer", ...). */
int	 models_json_add(struct registry_set *, const json_t *,
	     const struct registry_source *, char **) MUSTCHECK;
int	 chips_json_add(struct registry_set *, const json_t *,
	     const struct registry_source *, char **) MUSTCHECK;

/*
 * json_file.c: the plumbing of models_json.c and chips_json.c. A file is
 * one object, an array of them, or {"<list_key>": [...]}; "what" names one
 * object in the error ("a chip"). Errors: "<list_key>[i]: ..." or
 * "LINE: invalid JSON: ...".
 */
typedef int (*json_file_add_fn)(struct registry_set *, const json_t *,
	     const struct registry_source *, char **);
bool	 json_file_detect(const char *, size_t);
int	 json_file_parse(const char *, size_t, const char *, const char *,
	     const char *, json_file_add_fn, struct registry_set *, char **)
	     MUSTCHECK;

/*
 * csl.c: the trade.gov Consolidated Screening List (JSON or CSV) into the
 * party model of schema/030_parties.sql, one transaction, NOTIFY
 * lists_changed; the same file again only re-activates its version. Then
 * every party in screened_parties is rescreened (csl_rescreen(), also for
 * other list importers to call after their commit). csl_parse*() return
 * the party rows (a new reference) or NULL and *cause ("line N: ...").
 */
struct csl_report {
	size_t	 parties;
	bool	 unchanged;	/* the file was already imported */
	long long version;	/* list_versions.id */
	char	 sha256[65];
	size_t	 rescreened;
	size_t	 changed;	/* rescreened parties whose result changed */
};
json_t	*csl_parse(const char *, size_t, char **);
json_t	*csl_parse_json(const char *, size_t, char **);
json_t	*csl_parse_csv(const char *, size_t, char **);
int	 csl_import_file(PGconn *, const char *, struct csl_report *, char **)
	     MUSTCHECK;
int	 csl_rescreen(PGconn *, size_t *, size_t *, char **) MUSTCHECK;

#endif /* IMPORTERS_H */
