/*
 * cmd_db.c: `earctl db migrate` and `earctl db status`. Migrations are the
 * files schema/NNN_name.sql, applied in name order, each in its own
 * transaction together with its row in schema_migrations (name, SHA-256 of
 * the file, when). A file already applied is never applied again, and a
 * file whose content changed after it was applied stops everything: the
 * fix is a new migration, not an edit.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "earctl.h"

#ifndef EARD_SHAREDIR
#define EARD_SHAREDIR "/usr/local/share/eard"
#endif

/* Serialises concurrent `earctl db migrate` runs on one database. */
#define DB_MIGRATE_LOCK "7301560241"

/* One migration file and what the database says about it. */
struct db_migration {
	char	*name;		/* "010_rules.sql" */
	char	*path;
	char	*sql;		/* the file's content (NUL-terminated) */
	char	 sha[65];	/* hex SHA-256 of the content */
	char	*applied_sha;	/* from schema_migrations, or NULL */
	char	*applied_at;
	bool	 on_disk;
};

struct db_plan {
	struct db_migration	*m;
	size_t			 n;
	const char		*dir;
};

/* Is this a migration file name: NNN_name.sql? */
static int
db_is_migration(const struct dirent *d)
{
	const char	*s = d->d_name;
	size_t		 len = strlen(s);

	return (len > 8 && isdigit((unsigned char)s[0]) &&
	    isdigit((unsigned char)s[1]) && isdigit((unsigned char)s[2]) &&
	    s[3] == '_' && strcmp(s + len - 4, ".sql") == 0);
}

/* The schema directory: --schema-dir, ./schema, or the installed one. */
static const char *
db_schema_dir(const char *opt)
{
	struct stat	sb;

	if (opt != NULL)
		return (opt);
	if (stat("schema", &sb) == 0 && S_ISDIR(sb.st_mode))
		return ("schema");
	return (EARD_SHAREDIR "/schema");
}

/* Hex SHA-256 of a buffer. */
static void
db_sha256(const char *buf, size_t len, char out[65])
{
	unsigned char	md[EVP_MAX_MD_SIZE];
	unsigned int	mdlen = 0, i;

	EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL);
	for (i = 0; i < mdlen && i < 32; i++)
		snprintf(out + i * 2, 3, "%02x", md[i]);
	out[64] = '\0';
}

/* Read a whole file; NULL with *cause on failure. */
static char *
db_read_file(const char *path, size_t *len, char **cause)
{
	FILE	*f;
	char	*buf;
	long	 size;

	if ((f = fopen(path, "r")) == NULL) {
		xasprintf(cause, "could not open file \"%s\": %s", path,
		    strerror(errno));
		return (NULL);
	}
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		xasprintf(cause, "could not read file \"%s\": %s", path,
		    strerror(errno));
		fclose(f);
		return (NULL);
	}
	buf = xmalloc(size + 1);
	if (fread(buf, 1, size, f) != (size_t)size) {
		xasprintf(cause, "could not read file \"%s\"", path);
		free(buf);
		fclose(f);
		return (NULL);
	}
	fclose(f);
	buf[size] = '\0';
	*len = size;
	return (buf);
}

/* Free a plan. */
static void
db_plan_free(struct db_plan *p)
{
	size_t	i;

	for (i = 0; i < p->n; i++) {
		free(p->m[i].name);
		free(p->m[i].path);
		free(p->m[i].sql);
		free(p->m[i].applied_sha);
		free(p->m[i].applied_at);
	}
	free(p->m);
	memset(p, 0, sizeof *p);
}

/* Find a migration by name, or NULL. */
static struct db_migration *
db_plan_find(struct db_plan *p, const char *name)
{
	size_t	i;

	for (i = 0; i < p->n; i++) {
		if (strcmp(p->m[i].name, name) == 0)
			return (&p->m[i]);
	}
	return (NULL);
}

/* Compare by name, for qsort. */
static int
db_migration_cmp(const void *a, const void *b)
{
	return (strcmp(((const struct db_migration *)a)->name,
	    ((const struct db_migration *)b)->name));
}

/* List the files in the schema directory, hashed, in order. */
static int
db_plan_files(struct db_plan *p, const char *dir, char **cause)
{
	struct dirent	**list;
	struct db_migration *m;
	size_t		  len;
	int		  n, i;

	memset(p, 0, sizeof *p);
	p->dir = dir;
	if ((n = scandir(dir, &list, db_is_migration, alphasort)) == -1) {
		xasprintf(cause, "could not open schema directory \"%s\": %s",
		    dir, strerror(errno));
		return (-1);
	}
	p->m = xcalloc(n + 1, sizeof *p->m);
	for (i = 0; i < n; i++) {
		m = &p->m[p->n++];
		m->name = xstrdup(list[i]->d_name);
		xasprintf(&m->path, "%s/%s", dir, m->name);
		m->on_disk = true;
		if ((m->sql = db_read_file(m->path, &len, cause)) == NULL) {
			for (; i < n; i++)
				free(list[i]);
			free(list);
			return (-1);
		}
		db_sha256(m->sql, len, m->sha);
		free(list[i]);
	}
	free(list);
	return (0);
}

/* Create the bookkeeping table if needed and read what is applied. */
static int
db_plan_applied(PGconn *conn, struct db_plan *p, char **cause)
{
	struct db_migration	*m;
	PGresult		*res;
	const char		*name;
	int			 i;

	if (cli_db_exec(conn,
	    "CREATE TABLE IF NOT EXISTS schema_migrations ("
	    " name text PRIMARY KEY,"
	    " sha256 text NOT NULL,"
	    " applied_at timestamptz NOT NULL DEFAULT now())", cause) != 0)
		return (-1);
	res = PQexec(conn, "SELECT name, sha256, "
	    "to_char(applied_at, 'YYYY-MM-DD HH24:MI:SS TZ') "
	    "FROM schema_migrations ORDER BY name");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		xasprintf(cause, "could not read schema_migrations: %s",
		    PQresultErrorMessage(res));
		PQclear(res);
		return (-1);
	}
	for (i = 0; i < PQntuples(res); i++) {
		name = PQgetvalue(res, i, 0);
		if ((m = db_plan_find(p, name)) == NULL) {
			/* Applied, but its file is not here any more. */
			p->m = xreallocarray(p->m, p->n + 1, sizeof *p->m);
			m = &p->m[p->n++];
			memset(m, 0, sizeof *m);
			m->name = xstrdup(name);
		}
		m->applied_sha = xstrdup(PQgetvalue(res, i, 1));
		m->applied_at = xstrdup(PQgetvalue(res, i, 2));
	}
	PQclear(res);
	qsort(p->m, p->n, sizeof *p->m, db_migration_cmp);
	return (0);
}

/* Parse the options both commands take. */
static int
db_parse_options(struct cmd_ctx *ctx, int argc, char **argv,
    const char **schema_dir, bool *dry_run)
{
	static const struct option longopts[] = {
		{ "schema-dir", required_argument, NULL, 's' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	int	c;

	cli_getopt_reset();
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			*schema_dir = optarg;
			break;
		case 'n':
			if (dry_run == NULL)
				goto bad;
			*dry_run = true;
			break;
		case ':':
			return (cli_usage_error(ctx, "option \"%s\" needs a "
			    "value", argv[optind - 1]));
		default:
			goto bad;
		}
	}
	if (optind < argc)
		return (cli_usage_error(ctx, "unexpected argument \"%s\"",
		    argv[optind]));
	return (0);
bad:
	return (cli_usage_error(ctx, "unknown option \"%s\"",
	    argv[optind - 1]));
}

/* The 1-based line of a character offset (1-based, as PostgreSQL gives). */
static int
db_line_of(const char *sql, long pos)
{
	long	i;
	int	line = 1;

	for (i = 0; i < pos - 1 && sql[i] != '\0'; i++) {
		if (sql[i] == '\n')
			line++;
	}
	return (line);
}

/* Apply one migration in one transaction. */
static int
db_apply(PGconn *conn, struct db_migration *m, char **cause)
{
	PGresult	*res;
	const char	*params[2], *pos, *msg, *detail, *hint;
	char		*e;
	size_t		 len;

	if (cli_db_exec(conn, "BEGIN", cause) != 0)
		return (-1);
	res = PQexec(conn, m->sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK &&
	    PQresultStatus(res) != PGRES_EMPTY_QUERY) {
		msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		pos = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);
		detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
		hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
		if (msg == NULL) {
			e = xstrdup(PQresultErrorMessage(res));
			len = strlen(e);
			while (len > 0 && e[len - 1] == '\n')
				e[--len] = '\0';
		} else
			e = xstrdup(msg);
		if (pos != NULL)
			xasprintf(cause, "%s:%d: %s%s%s%s%s", m->path,
			    db_line_of(m->sql, atol(pos)), e,
			    detail != NULL ? "\nDetail: " : "",
			    detail != NULL ? detail : "",
			    hint != NULL ? "\nHint: " : "", hint != NULL ? hint : "");
		else
			xasprintf(cause, "%s: %s%s%s%s%s", m->path, e,
			    detail != NULL ? "\nDetail: " : "",
			    detail != NULL ? detail : "",
			    hint != NULL ? "\nHint: " : "", hint != NULL ? hint : "");
		free(e);
		PQclear(res);
		PQclear(PQexec(conn, "ROLLBACK"));
		return (-1);
	}
	PQclear(res);
	params[0] = m->name;
	params[1] = m->sha;
	res = PQexecParams(conn, "INSERT INTO schema_migrations (name, sha256) "
	    "VALUES ($1, $2)", 2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		xasprintf(cause, "could not record migration \"%s\": %s",
		    m->name, PQresultErrorMessage(res));
		PQclear(res);
		PQclear(PQexec(conn, "ROLLBACK"));
		return (-1);
	}
	PQclear(res);
	if (cli_db_exec(conn, "COMMIT", cause) != 0)
		return (-1);
	return (0);
}

/* earctl db migrate [--schema-dir DIR] [--dry-run] */
int
cmd_db_migrate_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct db_plan		 plan;
	struct db_migration	*m;
	const char		*opt_dir = NULL;
	char			*cause = NULL;
	PGconn			*conn;
	bool			 dry_run = false, bad = false;
	size_t			 i, applied = 0, already = 0;
	int			 rc;

	if ((rc = db_parse_options(ctx, argc, argv, &opt_dir, &dry_run)) != 0)
		return (rc);
	if (db_plan_files(&plan, db_schema_dir(opt_dir), &cause) != 0) {
		cli_warnx("%s", cause);
		free(cause);
		db_plan_free(&plan);
		return (CLI_EXIT_ERROR);
	}
	if ((conn = cli_db_connect(ctx, false, &cause)) == NULL) {
		cli_warnx("%s", cause);
		free(cause);
		db_plan_free(&plan);
		return (CLI_EXIT_ERROR);
	}
	rc = CLI_EXIT_ERROR;
	if (cli_db_exec(conn, "SELECT pg_advisory_lock(" DB_MIGRATE_LOCK ")",
	    &cause) != 0 || db_plan_applied(conn, &plan, &cause) != 0) {
		cli_warnx("%s", cause);
		goto out;
	}

	/* Refuse before changing anything if history was rewritten. */
	for (i = 0; i < plan.n; i++) {
		m = &plan.m[i];
		if (m->applied_sha != NULL && m->on_disk &&
		    strcmp(m->applied_sha, m->sha) != 0) {
			cli_warnx("migration \"%s\" has changed since it was "
			    "applied", m->name);
			fprintf(stderr, "Detail: applied with SHA-256 %s, the "
			    "file now has %s.\nHint: restore the file and put "
			    "the change in a new migration.\n",
			    m->applied_sha, m->sha);
			bad = true;
		}
	}
	if (bad)
		goto out;

	for (i = 0; i < plan.n; i++) {
		m = &plan.m[i];
		if (m->applied_sha != NULL) {
			already++;
			continue;
		}
		if (dry_run) {
			printf("would apply %s\n", m->name);
			continue;
		}
		if (db_apply(conn, m, &cause) != 0) {
			cli_warnx("could not apply migration \"%s\"", m->name);
			fprintf(stderr, "%s\n", cause);
			goto out;
		}
		applied++;
		printf("applied %s\n", m->name);
	}
	if (applied == 0 && !dry_run)
		printf("database is up to date (%zu migrations applied)\n",
		    already);
	rc = CLI_EXIT_OK;
out:
	free(cause);
	PQfinish(conn);
	db_plan_free(&plan);
	return (rc);
}

/* earctl db status [--schema-dir DIR] */
int
cmd_db_status_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const char *const headers[] = { "migration", "state",
	    "applied_at", "sha256" };
	struct db_plan		 plan;
	struct db_migration	*m;
	const char		*opt_dir = NULL, **cells;
	char			*cause = NULL;
	PGconn			*conn;
	size_t			 i;
	int			 rc;

	if ((rc = db_parse_options(ctx, argc, argv, &opt_dir, NULL)) != 0)
		return (rc);
	if (db_plan_files(&plan, db_schema_dir(opt_dir), &cause) != 0) {
		cli_warnx("%s", cause);
		free(cause);
		db_plan_free(&plan);
		return (CLI_EXIT_ERROR);
	}
	if ((conn = cli_db_connect(ctx, false, &cause)) == NULL) {
		cli_warnx("%s", cause);
		free(cause);
		db_plan_free(&plan);
		return (CLI_EXIT_ERROR);
	}
	if (db_plan_applied(conn, &plan, &cause) != 0) {
		cli_warnx("%s", cause);
		free(cause);
		PQfinish(conn);
		db_plan_free(&plan);
		return (CLI_EXIT_ERROR);
	}
	PQfinish(conn);

	rc = CLI_EXIT_OK;
	cells = xcalloc(plan.n * 4 + 1, sizeof *cells);
	for (i = 0; i < plan.n; i++) {
		m = &plan.m[i];
		cells[i * 4] = m->name;
		if (m->applied_sha == NULL) {
			cells[i * 4 + 1] = "pending";
			rc = CLI_EXIT_NO;
		} else if (!m->on_disk)
			cells[i * 4 + 1] = "applied (file missing)";
		else if (strcmp(m->applied_sha, m->sha) != 0) {
			cells[i * 4 + 1] = "changed";
			rc = CLI_EXIT_NO;
		} else
			cells[i * 4 + 1] = "applied";
		cells[i * 4 + 2] = m->applied_at;
		cells[i * 4 + 3] = m->on_disk ? m->sha : m->applied_sha;
	}
	cli_print_table(ctx, headers, 4, cells, plan.n);
	free(cells);
	db_plan_free(&plan);
	return (rc);
}
