/*
 * engine.h: internals shared by the determination engine's files
 * (ruleset.c, request.c, model.c, determine.c, verdict.c). Not part of
 * libear's API: the daemon, the CLI and the importers use core/ear.h only.
 *
 * A struct ruleset is immutable after ruleset_from_json(); its strings point
 * into its own deep copy of the document, which it owns.
 */
#ifndef ENGINE_H
#define ENGINE_H

#include <stdatomic.h>

#include "ear.h"

/* What every rule row carries. */
struct rs_meta {
	const char	*id;
	int		 version;
	ear_date	 from;
	ear_date	 to;
	ear_date	 compliance;	/* EAR_DATE_NINF when none */
	const char	*source;
	const char	*citation;
	const char	*text;
	const char	*note;
	const char	*uncertain;
	const json_t	*json;		/* the row in the document */
	/*
	 * The same as JSON values built once (ruleset_index()), which verdicts
	 * share by reference: id, citation, the rule's FR citation (its
	 * source's, else the source id), note, text, from. Never modified.
	 */
	json_t		*j_id, *j_citation, *j_rule, *j_note, *j_text, *j_from;
};

struct rs_source {
	const char	*id;
	const char	*citation;
	const char	*title;
	const char	*uncertain;
	ear_date	 effective;
	ear_date	 compliance;
};

struct rs_group {
	const char	*group;
	const char	*country;
	struct rs_meta	 m;
};

struct rs_param {
	const char	*name;
	double		 value;
	struct rs_meta	 m;
};

struct rs_eccns {		/* ECCN prefixes; any when !set */
	bool		 set;
	const char	**v;
	size_t		 n;
};

/* A threshold a rule compares a fact with, for the margins. */
struct rs_thr {
	const char	*fact;
	double		 value;
	char		 key[64];	/* "tpp_4800": the margins member */
	uint32_t	 key_ix;	/* the key's number in the ruleset */
	uint32_t	 rule_ix;	/* the number of its rule's id */
};

struct rs_class {
	const char	*eccn;
	const char	*item;
	int		 precedence;
	struct pred	*when;
	struct rs_thr	*thr;		/* the thresholds of when */
	size_t		 nthr;
	struct rs_meta	 m;
};

struct rs_req {
	const char	*kind;		/* ccl, end_user, letter, review */
	const char	*reason;
	const char	*item;		/* NULL: any */
	struct rs_eccns	 eccns;
	struct pred	*when;
	char		*when_text;	/* the predicate in words */
	const char	*effect;	/* license, needs_review */
	bool		 exceptions;
	const char	*review_policy;
	struct rs_thr	*thr;
	size_t		 nthr;
	json_t		*j_kind, *j_reason, *j_when_text;	/* shared */
	struct rs_meta	 m;
};

struct rs_policy {
	const char	*reason;
	struct rs_eccns	 eccns;
	int		 priority;
	struct pred	*when;
	const char	*policy;
	const json_t	*conditions;
	json_t		*j_conditions;				/* shared */
	struct rs_thr	*thr;
	size_t		 nthr;
	struct rs_meta	 m;
};

struct rs_exception {
	const char	*code;
	struct rs_eccns	 eccns;
	struct pred	*when;
	char		*when_text;
	bool		 notification;
	const json_t	*conditions;
	json_t		*j_code, *j_when_text, *j_conditions;	/* shared */
	struct rs_meta	 m;
};

struct rs_posture {
	const char	*target;
	bool		 enforced;	/* false: not_enforced */
	struct rs_meta	 m;
};

/*
 * An index of one table's rules (positions in the table) by guard, built
 * once per snapshot: the candidates of a check are the unguarded rules,
 * those whose "in" lists the check's value of the fact (all of them when
 * the fact is absent) and those whose lower bound the fact's value reaches.
 * Requirements are also indexed by the ECCN prefixes they name.
 */
struct rs_ix_str {
	const char	*fact;
	const char	*value;
	uint32_t	 rule;
};
struct rs_ix_num {
	const char	*fact;
	double		 min;
	bool		 strict;
	uint32_t	 rule;
};
struct rs_ix_eccn {
	const char	*prefix;
	uint32_t	 rule;
};
struct rs_ix {
	uint32_t	 	*plain;		/* unguarded */
	size_t			 nplain;
	struct rs_ix_str	*str;		/* by fact, value (no case) */
	size_t			 nstr;
	struct rs_ix_num	*num;		/* by fact, min */
	size_t			 nnum;
	struct rs_ix_eccn	*eccn;		/* by prefix (no case) */
	size_t			 neccn;
};
struct rs_cand {		/* candidate positions, ascending */
	uint32_t	*v;
	size_t		 n;
	size_t		 cap;
};

struct ruleset {
	atomic_int		 refs;
	char			*version;
	json_t			*doc;	/* owned deep copy */

	struct rs_source	*sources;
	size_t			 nsources;
	struct rs_group		*groups;
	size_t			 ngroups;
	struct rs_param		*params;
	size_t			 nparams;
	struct rs_class		*classes;	/* by precedence, highest 1st */
	size_t			 nclasses;
	struct rs_req		*reqs;
	size_t			 nreqs;
	struct rs_policy	*policies;	/* by priority, highest first */
	size_t			 npolicies;
	struct rs_exception	*exceptions;
	size_t			 nexceptions;
	struct rs_posture	*postures;
	size_t			 npostures;

	/* Indexes, built once by ruleset_from_json(). */
	bool			 indexed;	/* false: walk every rule */
	struct rs_ix		 class_ix[2];	/* by enum item_kind */
	struct rs_ix		 req_ix[2];
	const struct rs_group	**groups_by_cc;	/* by country (no case) */
	const struct rs_posture	**postures_by_target;
	uint32_t		 nthr_keys;	/* distinct rs_thr.key */
	uint32_t		 nthr_rules;	/* distinct ids with thresholds */
};

/* pred.c: moving names between sets. */
void	 strset_merge(struct strset *, struct strset *);

/* pred.c: facts a "known" asks about that are absent. */
void	 pred_absent_known(const struct pred *, const struct facts *,
	     struct strset *);

/* pred.c: thresholds named in a predicate (fact, operator, number). */
typedef void (*pred_threshold_cb)(const char *, const char *, double, void *);
void	 pred_walk_thresholds(const struct pred *, pred_threshold_cb, void *);

/* pred.c: a necessary condition of a predicate, for the rule indexes. */
enum pred_guard_kind { GUARD_NONE, GUARD_IN, GUARD_MIN };
struct pred_guard {
	enum pred_guard_kind	 kind;
	const char		*fact;		/* borrowed from the pred */
	const char		**values;	/* GUARD_IN: string literals */
	size_t			 nvalues;
	double			 min;		/* GUARD_MIN: fact >= min */
	bool			 strict;	/* fact > min */
};
void	 pred_guard(const struct pred *, struct pred_guard *);

/* The two layers of docs/ruleset.md, "Determination". */
enum rs_layer { LAYER_ENFORCED, LAYER_TEXT };

bool	 ruleset_in_force(const struct ruleset *, const struct rs_meta *,
	     ear_date, enum rs_layer);
const struct rs_posture *ruleset_posture(const struct ruleset *,
	     const struct rs_meta *, ear_date);
bool	 ruleset_eccns_match(const struct rs_eccns *, const char *);
void	 ruleset_class_candidates(const struct ruleset *, enum item_kind,
	     const struct facts *, struct rs_cand *);
void	 ruleset_req_candidates(const struct ruleset *, enum item_kind,
	     const char *, const struct facts *, struct rs_cand *);
void	 rs_cand_free(struct rs_cand *);
const struct rs_source *ruleset_source(const struct ruleset *, const char *);

/* request.c: the decoded request. Strings are owned. */
struct check_listing {
	char		*name, *list, *license_requirement, *license_policy;
	char		*federal_register_notice, *matched_on;
	double		 score;
	bool		 match;
	bool		 export_list;
};

struct check {
	enum item_kind	 kind;
	ear_date	 as_of;
	char		 destination[3];
	char		*export_type;
	char		*posture;	/* "enforced" or "text" */
	char		*release;	/* export, publish, deemed_export */
	double		 quantity;

	/* chip */
	char		*chip_name;
	char		*chip_kind;
	struct chip_perf *perf;
	size_t		 nperf;
	double		 die_area;
	double		 io_bw;
	double		 mem_bw;
	double		 mem_bw_density;
	double		 package_area;
	enum tv		 datacenter;

	/* model */
	char		*model_name;
	char		*published_on;
	char		*derived_name;
	struct model_synth *synth;
	size_t		 nsynth;
	struct model_facts model;

	/* parties */
	bool		 has_recipient;
	char		*recipient_name;
	char		*recipient_country;
	char		*recipient_hq;
	char		*recipient_parent_hq;
	char		*exporter_name;
	char		*exporter_country;

	struct check_listing *listings;
	size_t		 nlistings;
	char		*lists_version;
	bool		 screened;
	double		 consignee_tpp;	/* NaN unless the daemon set it */
};

/* verdict.c */
struct verdict {
	enum verdict_kind kind;
	char		*eccn;
	json_t		*body;		/* the 200 body without decision_id */
	struct strset	 open_facts;	/* missing in a needs_review layer */
};
struct verdict *verdict_new(enum verdict_kind, const char *, json_t *);

#endif /* ENGINE_H */
