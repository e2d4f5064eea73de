/*
 * rules_load: a small driver for importers/rulepack.c, used by
 * scripts/gen-rules-fixture.sh and tests/integration/t_rules.sh when earctl
 * is not at hand. Connects with the libpq environment (PGHOST, PGUSER, ...).
 *
 *   rules_load [-n] -s rules/rulepack.rng FILE...
 *
 * -n validates only (no database). Exit 0 on success, 1 on error.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ear.h"
#include "importers.h"

int
main(int argc, char **argv)
{
	struct rulepack_report	 rep;
	PGconn			*conn;
	const char		*schema = "rules/rulepack.rng";
	char			*cause = NULL;
	int			 ch, check = 0, i;

	while ((ch = getopt(argc, argv, "ns:")) != -1) {
		switch (ch) {
		case 'n':
			check = 1;
			break;
		case 's':
			schema = optarg;
			break;
		default:
			fprintf(stderr, "usage: rules_load [-n] [-s schema] "
			    "file...\n");
			return (2);
		}
	}
	if (check) {
		for (i = optind; i < argc; i++) {
			if (rulepack_validate_file(argv[i], schema,
			    &cause) != 0) {
				fprintf(stderr, "rules_load: %s\n", cause);
				free(cause);
				return (1);
			}
		}
		return (0);
	}
	conn = PQconnectdb("");
	if (PQstatus(conn) != CONNECTION_OK) {
		fprintf(stderr, "rules_load: %s", PQerrorMessage(conn));
		PQfinish(conn);
		return (1);
	}
	if (rulepack_import_files(conn, argv + optind, (size_t)(argc - optind),
	    schema, &rep, &cause) != 0) {
		fprintf(stderr, "rules_load: %s\n", cause);
		free(cause);
		PQfinish(conn);
		return (1);
	}
	printf("files %zu imported %zu unchanged %zu rows %zu\n", rep.files,
	    rep.imported, rep.unchanged, rep.rows);
	PQfinish(conn);
	return (0);
}
