/*
 * libear: the domain of eard, pure C with no I/O beyond logging to stderr.
 * Depends on libc, jansson (the JSON codec) and utf8proc (name matching).
 *
 * Sections follow the files that implement them: a function's prefix names
 * its file (chip_compute_tpp() is in core/chip.c).
 *
 * Ownership: a function that returns a pointer the caller must free says so
 * in its section; everything else is borrowed from its argument.
 */
#ifndef EAR_H
#define EAR_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include <jansson.h>

#define MUSTCHECK __attribute__((warn_unused_result))
#define PRINTFLIKE(a, b) __attribute__((format(printf, a, b)))
#define NORETURN __attribute__((noreturn))

#ifndef nitems
#define nitems(a) (sizeof(a) / sizeof((a)[0]))
#endif

/* xmalloc.c: allocation that dies on out-of-memory (callers never check). */
void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
int	 xasprintf(char **, const char *, ...) PRINTFLIKE(2, 3);
int	 xvasprintf(char **, const char *, va_list) PRINTFLIKE(2, 0);

/* log.c: logging to stderr (or syslog), OpenSMTPD style. */
enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };
void	 log_init(const char *, enum log_level, bool);
void	 log_set_level(enum log_level);
void	 log_set_json(bool);
enum log_level log_get_level(void);
int	 log_parse_level(const char *, enum log_level *) MUSTCHECK;
void	 log_warn(const char *, ...) PRINTFLIKE(1, 2);
void	 log_warnx(const char *, ...) PRINTFLIKE(1, 2);
void	 log_info(const char *, ...) PRINTFLIKE(1, 2);
void	 log_debug(const char *, ...) PRINTFLIKE(1, 2);
void	 log_rwarnx(const char *, const char *, ...) PRINTFLIKE(2, 3);
void	 log_rinfo(const char *, const char *, ...) PRINTFLIKE(2, 3);
void	 log_rdebug(const char *, const char *, ...) PRINTFLIKE(2, 3);
void	 log_rfields(enum log_level, const char *, const char *, json_t *);
NORETURN void fatal(const char *, ...) PRINTFLIKE(1, 2);
NORETURN void fatalx(const char *, ...) PRINTFLIKE(1, 2);

/*
 * date.c: calendar dates as days since 1970-01-01 (UTC), the unit of every
 * validity range. Ranges are half-open [from, to); EAR_DATE_INF is open.
 */
typedef int32_t ear_date;
#define EAR_DATE_NINF	INT32_MIN
#define EAR_DATE_INF	INT32_MAX
int	 date_parse(const char *, ear_date *) MUSTCHECK;	/* "YYYY-MM-DD" */
void	 date_format(ear_date, char [static 11]);
ear_date date_today(void);
ear_date date_from_ymd(int, int, int);
void	 date_to_ymd(ear_date, int *, int *, int *);
bool	 date_in(ear_date, ear_date, ear_date);		/* from <= d < to */

/*
 * error.c: a user-facing error, as in {"error":{"code","message","field"}}.
 * Strings are owned by the struct; error_clear() frees them.
 */
struct ear_error {
	int	 status;	/* HTTP status: 400, 404, 413, 422, 500, 503 */
	char	*code;		/* "invalid_field", "unknown_field", ... */
	char	*message;	/* PostgreSQL style: lower case, no period */
	char	*field;		/* JSON path of the culprit, or NULL */
};
void	 error_set(struct ear_error *, int, const char *, const char *,
	     const char *, ...) PRINTFLIKE(5, 6);
void	 error_clear(struct ear_error *);
json_t	*error_to_json(const struct ear_error *);	/* new reference */


/*
 * chip.c: advanced-computing figures of an IC (15 CFR 774 Supp. 1, 3A090
 * Technical Note 2). TPP = max over precisions of dense TOPS x bit length;
 * performance density (PD) = TPP / applicable die area (mm2).
 */
struct chip_perf {
	char	 format[16];	/* "fp8", "bf16", "int8", ... (lower case) */
	int	 bits;		/* bit length of the operation */
	double	 dense_tops;	/* dense (not sparse) peak, 10^12 ops/s */
};
double	 chip_compute_tpp(const struct chip_perf *, size_t, size_t *);
double	 chip_compute_pd(double, double);	/* NaN if area <= 0 or NaN */
int	 chip_format_bits(const char *);	/* -1 if unknown */

/*
 * pred.c: facts, sets of names and compiled predicates with Kleene
 * three-valued logic (docs/ruleset.md). A struct pred is immutable once
 * compiled and may be shared across threads.
 */
enum tv { TV_FALSE = 0, TV_TRUE = 1, TV_UNKNOWN = 2 };
struct pred;
struct facts;
struct ruleset;
struct strset {			/* a small ordered set of owned strings */
	char	**v;
	size_t	  n;
};
void	 strset_init(struct strset *);
void	 strset_add(struct strset *, const char *);
bool	 strset_has(const struct strset *, const char *);
void	 strset_clear(struct strset *);
json_t	*strset_to_json(const struct strset *);	/* new reference */

enum fact_type { FACT_NONE, FACT_NUM, FACT_BOOL, FACT_STR };
struct facts *facts_new(void);			/* caller frees with facts_free */
void	 facts_free(struct facts *);
struct facts *facts_copy(const struct facts *);
void	 facts_set_num(struct facts *, const char *, double);
void	 facts_set_bool(struct facts *, const char *, bool);
void	 facts_set_str(struct facts *, const char *, const char *);
void	 facts_unset(struct facts *, const char *);
enum fact_type facts_type(const struct facts *, const char *);
bool	 facts_get_num(const struct facts *, const char *, double *);
bool	 facts_get_bool(const struct facts *, const char *, bool *);
const char *facts_get_str(const struct facts *, const char *); /* or NULL */
json_t	*facts_to_json(const struct facts *);	/* new reference */

struct pred *pred_compile(const json_t *, char **) MUSTCHECK;
void	 pred_free(struct pred *);
enum tv	 pred_eval(const struct pred *, const struct facts *,
	     const struct ruleset *, ear_date, struct strset *);
bool	 pred_eccn_matches(const char *, const char *);	/* prefix at a '.' */
char	*pred_to_text(const struct pred *);	/* in words; caller frees */
char	*pred_why_false(const struct pred *, const struct facts *,
	     const struct ruleset *, ear_date);	/* the failing part, in words */
const char *tv_name(enum tv);

/*
 * ruleset.c: the immutable in-memory rules compiled from the document of
 * eard_rules_document() (docs/ruleset.md). Refcounted (atomic): the daemon
 * holds one reference per snapshot and one per request in flight.
 * ruleset_*_json() return new references.
 */
struct ruleset *ruleset_from_json(const json_t *, const char *, char **)
	     MUSTCHECK;
struct ruleset *ruleset_from_text(const char *, size_t, const char *,
	     char **) MUSTCHECK;	/* parses with JSON_DECODE_INT_AS_REAL */
void	 ruleset_ref(struct ruleset *);
void	 ruleset_unref(struct ruleset *);
void	 ruleset_set_indexed(struct ruleset *, bool);	/* false: walk all */
const char *ruleset_version(const struct ruleset *);
int	 ruleset_group_member(const struct ruleset *, const char *,
	     const char *, ear_date);
json_t	*ruleset_country_json(const struct ruleset *, const char *, ear_date);
json_t	*ruleset_eccn_json(const struct ruleset *, const char *, ear_date);
json_t	*ruleset_summary_json(const struct ruleset *);
bool	 ruleset_param(const struct ruleset *, const char *, ear_date,
	     double *);

/*
 * request.c: strict decoding of a check request body (the check contract in
 * ARCHITECTURE.md). check_decode() returns NULL and fills err (400, the JSON
 * path of the culprit in err->field) on a bad body. The daemon resolves a
 * registry {"id": ...} chip or model before decoding, and adds screening
 * hits with check_set_screening() (copied) before determine().
 */
enum item_kind { ITEM_CHIP, ITEM_MODEL };
struct check;
struct ear_listing {	/* a screening hit, filled by the daemon */
	const char	*name;
	const char	*list;
	const char	*license_requirement;
	const char	*license_policy;
	const char	*federal_register_notice;
	const char	*matched_on;
	double		 score;
	bool		 match;		/* false: "review" */
	bool		 export_list;	/* Entity List, MEU, DPL, UVL: EAR */
};
struct check *check_decode(enum item_kind, const json_t *, ear_date,
	     struct ear_error *) MUSTCHECK;
void	 check_free(struct check *);
enum item_kind check_kind(const struct check *);
ear_date check_as_of(const struct check *);
const char *check_destination(const struct check *);
const char *check_recipient_name(const struct check *);	/* NULL if none */
const char *check_recipient_country(const struct check *); /* NULL if none */
const char *check_item_name(const struct check *);	/* NULL if none */
void	 check_set_screening(struct check *, const struct ear_listing *,
	     size_t, const char *);
void	 check_set_consignee_tpp(struct check *, double); /* shipped this year */
void	 check_copy_screening(struct check *, const struct check *);
struct check *check_screening_holder(const struct check *); /* check_free */
double	 check_aggregate_tpp(const struct check *);	/* TPP x quantity, NaN */

/*
 * model.c: 4E091 operation counting (15 CFR 774 Supp. 1, 4E091 Technical
 * Notes 2 and 3, Note 1; 90 FR 4544). Numbers are NaN when missing; booleans
 * are enum tv (TV_UNKNOWN when missing). Strings are borrowed.
 */
struct model_synth {
	const char	*generator;
	enum tv		 generator_published;
	double		 generator_training_ops;
	double		 generation_ops;
	double		 share_of_training_ops;	/* 0..1 */
};
struct model_facts {
	const char	*name;
	double		 training_ops;		/* stated (pre-training + fine-tuning) */
	double		 parameters;
	double		 training_tokens;
	enum tv		 published;
	bool		 derived;		/* derived_from given */
	const char	*derived_name;
	enum tv		 derived_published;
	double		 derived_training_ops;
	double		 additional_training_ops;
	const struct model_synth *synth;
	size_t		 nsynth;
};
struct model_params {
	double	 threshold;	/* 4E091.threshold_ops: 1e26 */
	double	 note1_floor;	/* 4E091.note1_floor_ops: 2.5e25 */
	double	 note1_share;	/* 4E091.note1_share: 0.25 */
	double	 tn3_share;	/* 4E091.tn3_share: 0.10 */
	double	 note2_floor;	/* 4E091.note2_floor_ops: NaN while unset */
};
struct model_count {
	double	 total;		/* counted operations, NaN if unknown */
	bool	 estimated;	/* total rests on 6*N*D */
	double	 trained;	/* stated or estimated training_ops */
	double	 base;		/* derived: base model's operations */
	double	 additional;	/* derived: additional training */
	double	 synth_generation;	/* TN3: generation operations added */
	double	 synth_generator_training; /* TN3: generator training added */
	int	 synth_index;	/* TN3: generator counted, -1 none */
	const char *synth_generator;	/* its name (borrowed), or NULL */
	const char *trained_how;	/* where "trained" came from */
	double	 est_parameters;	/* estimate inputs (N, D) */
	double	 est_tokens;
	double	 threshold;	/* effective: max(threshold, note2_floor) */
	enum tv	 over;		/* total >= threshold */
	enum tv	 note1_excluded; /* derived from published, within Note 1 */
	double	 note1_limit;	/* max(note1_floor, note1_share * total) */
	char	*missing[8];	/* request fields that were missing */
	size_t	 nmissing;
	struct model_params params;
};
void	 model_params_default(struct model_params *);
void	 model_params_from_ruleset(const struct ruleset *, ear_date,
	     struct model_params *);
double	 model_estimate_ops(double, double);	/* 6 * N * D */
int	 model_count_ops(const struct model_facts *,
	     const struct model_params *, struct model_count *) MUSTCHECK;
void	 model_count_clear(struct model_count *);
json_t	*model_count_json(const struct model_count *);	/* new reference */

/*
 * determine.c, verdict.c: determine() is pure and never returns NULL; the
 * caller frees the verdict with verdict_free(). verdict_to_json() returns a
 * new reference: the 200 body of the check contract.
 */
enum verdict_kind {
	VERDICT_NOT_SUBJECT,
	VERDICT_NO_LICENSE,
	VERDICT_EXCEPTION,
	VERDICT_REQUIRED,
	VERDICT_REVIEW
};
struct verdict;
struct verdict *determine(const struct ruleset *, const struct check *);
enum verdict_kind verdict_kind(const struct verdict *);
const char *verdict_kind_name(enum verdict_kind);
int	 verdict_exit_code(enum verdict_kind);
const char *verdict_eccn(const struct verdict *);	/* NULL if none */
/* Did the fact's absence leave a layer needs_review (either layer)? */
bool	 verdict_missing_fact(const struct verdict *, const char *);
json_t	*verdict_to_json(const struct verdict *, const char *);
void	 verdict_free(struct verdict *);

/*
 * screen.c: party screening against the screening lists, in memory.
 * screen_index_build() takes the document of eard_parties_document()
 * ({"versions":[...], "parties":[...]}, schema/030_parties.sql) or a
 * trade.gov CSL file ({"results":[...]}) and returns an immutable index,
 * refcounted (atomic) and safe to query from many threads. Strings returned
 * by screen_normalise()/screen_key() are the caller's to free; ear_listing
 * strings from screen_query_listings() are borrowed from the index (hold a
 * reference while using them), the array itself is the caller's to free.
 */
enum screen_result { SCREEN_NO_MATCH, SCREEN_REVIEW, SCREEN_MATCH };
struct screen_index;
struct screen_disposition {	/* counsel's reviewed decision, borrowed */
	const char	*entry_id;
	const char	*content_hash;	/* of the entry when disposed */
	const char	*disposition;	/* "false_positive" | "confirmed" */
	const char	*note;
	const char	*decided_by;
	const char	*decided_at;
};
struct screen_opts {
	double		 match_threshold;	/* score >= this: match */
	double		 review_threshold;	/* score >= this: review */
	double		 min_score;		/* candidates listed from here */
	size_t		 limit;			/* at most this many candidates */
	/* Latest disposition for (party key, entry id), or NULL. */
	const struct screen_disposition *(*disposition)(void *, const char *,
	    const char *);
	void		*disposition_arg;
};
void	 screen_opts_default(struct screen_opts *);
char	*screen_normalise(const char *);	/* NFKD, fold, strip; caller frees */
char	*screen_key(const char *);	/* canonical tokens, no form words */
bool	 screen_is_form_word(const char *);	/* a normalised token */
double	 screen_jaro_winkler(const char *, const char *);
const char *screen_result_name(enum screen_result);
void	 screen_list_code(const char *, char *, size_t); /* "(EL)" of a source */
bool	 screen_export_list(const char *);	/* EL, MEU, DPL, UVL */
char	*screen_entry_id(const char *, const char *, const char *,
	     const char *);	/* list, entity_number, name, countries; frees */
struct screen_index *screen_index_build(const json_t *, char **) MUSTCHECK;
/*
 * The same index fed one list version and one party at a time (rows as they
 * stream from the database), no whole document held: new, add_version per
 * current version, add_party per party (strings borrowed for the call), then
 * finish (consumes the builder) or free (abandons it).
 */
struct screen_builder;
struct screen_party_in {
	const char		*name;			/* required */
	const char		*list;			/* short code, or NULL */
	const char		*source;
	const char		*entry_id;		/* NULL: derived */
	const char		*entity_number;
	const char		*content_hash;
	const char		*license_requirement;
	const char		*license_policy;
	const char		*federal_register_notice;
	const char		*type;
	const char *const	*alt_names;
	size_t			 nalt_names;
	const char *const	*countries;		/* ISO alpha-2 */
	size_t			 ncountries;
	int64_t			 list_version;
	int64_t			 id;	/* order in the index (parties.id); 0: as added */
};
struct screen_builder *screen_builder_new(void);
void	 screen_builder_add_version(struct screen_builder *, int64_t,
	     const char *, const char *, const char *, const char *);
	     /* id, kind, sha256, data_date, imported_at (as jsonb writes) */
void	 screen_builder_add_party(struct screen_builder *,
	     const struct screen_party_in *);
struct screen_index *screen_builder_finish(struct screen_builder *);
void	 screen_builder_free(struct screen_builder *);
void	 screen_index_ref(struct screen_index *);
void	 screen_index_unref(struct screen_index *);
size_t	 screen_index_parties(const struct screen_index *);
size_t	 screen_index_names(const struct screen_index *);
const char *screen_index_version(const struct screen_index *);
json_t	*screen_index_lists(const struct screen_index *); /* new reference */
double	 screen_index_weight(const struct screen_index *, const char *);
json_t	*screen_query(const struct screen_index *, const char *,
	     const char *, const struct screen_opts *);	/* new reference */
enum screen_result screen_query_listings(const struct screen_index *,
	     const char *, const char *, const struct screen_opts *,
	     struct ear_listing **, size_t *);

/*
 * canon.c: the canonical form of JSON and of a decision (the bytes the
 * decision log's hash chain covers): sorted keys, compact, numbers written
 * from their double value. Returned strings are the caller's to free.
 */
struct canon_decision_fields {
	const char	*id;
	int64_t		 at_us;		/* decided_at, microseconds since epoch */
	const char	*kind;
	const char	*requester;
	const char	*ruleset_version;
	const char	*lists_version;
	const json_t	*request;
	const json_t	*response;
};
char	*canon_json(const json_t *);
char	*canon_dumps(const json_t *, size_t *);	/* = jansson compact, fast */
char	*canon_decision(const struct canon_decision_fields *);
void	 canon_number(double, char [static 32]);

/*
 * cite.c: a verdict's citation ("15 CFR 774 Supp. 1, 3A090.b.2 and Note 2",
 * "15 CFR 742.6(b)(10) (91 FR 1684)") split into the citations it names,
 * each in the form the eCFR text is stored under (schema/040_regtext.sql):
 * CCL paragraphs and notes, other CFR sections, FR documents, and anything
 * else (letters, press releases) as one "other" part. Pure, no I/O.
 */
enum cite_kind { CITE_CCL, CITE_CFR, CITE_FR, CITE_OTHER };
struct cite_part {
	enum cite_kind	 kind;
	char		 cite[192];	/* "15 CFR 774 Supp. 1, 3A090.a.1" */
	char		 eccn[16];	/* CCL: "3A090", else "" */
	char		 label[40];	/* CCL note: "Note 2", else "" */
};
size_t	 cite_split(const char *, struct cite_part *, size_t);
const char *cite_kind_name(enum cite_kind);

/*
 * queries.c: shared by eard's reports and `earctl audit report --direct`.
 * queries_dir_near_exe() looks beside the running binary (readlink, stat:
 * the one place libear touches the file system) and returns a static
 * buffer or NULL; queries_value_json() turns a PostgreSQL text value (NULL
 * for SQL null) into JSON by its type's OID (new reference).
 */
const char *queries_dir_near_exe(void);
json_t	*queries_value_json(const char *, unsigned int);

#endif /* EAR_H */
