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
/* One XML predicate element (<all>, <ge>, ...) to its JSON array; NULL and
 * *cause on error. Returns a new reference. */
struct _xmlNode;
json_t	*rulepack_convert_predicate(struct _xmlNode *, char **);

#endif /* IMPORTERS_H */
