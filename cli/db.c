/*
 * db.c: earctl's direct PostgreSQL connections, for the commands that work
 * on the database rather than through eard (db migrate, import). Blocking
 * libpq is fine here: earctl has no event loop.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "earctl.h"

/*
 * The connection string: --database / EARD_ADMIN_DATABASE_URL (in ctx),
 * else the embedded cluster of `make run` under ./var/run (resolved to an
 * absolute path, since ./var may be a link). Caller frees.
 */
static char *
cli_db_url(struct cmd_ctx *ctx, bool admin)
{
	char	 real[PATH_MAX], *url;

	if (ctx->database != NULL)
		return (xstrdup(ctx->database));
	if (realpath("var/run", real) == NULL)
		strcpy(real, "/run/postgresql");
	xasprintf(&url, "host=%s dbname=eard user=%s", real,
	    admin ? "eard_admin" : "postgres");
	return (url);
}

/*
 * Connect: admin false is the superuser (migrations), true is eard_admin
 * (imports). Returns NULL with *cause on failure.
 */
PGconn *
cli_db_connect(struct cmd_ctx *ctx, bool admin, char **cause)
{
	PGconn		*conn;
	PGresult	*res;
	char		*url, *msg;
	size_t		 len;

	url = cli_db_url(ctx, admin);
	if (ctx->verbose > 0)
		fprintf(stderr, "earctl: connecting to \"%s\"\n", url);
	conn = PQconnectdb(url);
	if (PQstatus(conn) != CONNECTION_OK) {
		msg = xstrdup(PQerrorMessage(conn));
		len = strlen(msg);
		while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
			msg[--len] = '\0';
		xasprintf(cause, "could not connect to the database (%s): %s",
		    url, msg);
		free(msg);
		free(url);
		PQfinish(conn);
		return (NULL);
	}
	free(url);
	res = PQexec(conn, "SET client_min_messages = warning");
	PQclear(res);
	return (conn);
}

/* Run SQL without results; -1 with *cause on error. */
int
cli_db_exec(PGconn *conn, const char *sql, char **cause)
{
	PGresult	*res;
	const char	*msg;
	size_t		 len;
	int		 rc = 0;

	res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK) {
		msg = PQresultErrorMessage(res);
		len = strlen(msg);
		while (len > 0 && msg[len - 1] == '\n')
			len--;
		xasprintf(cause, "%.*s", (int)len, msg);
		rc = -1;
	}
	PQclear(res);
	return (rc);
}
