/*
 * cmd_token.c: `earctl token create|list|revoke`, the bearer tokens of
 * eard's TCP listener (schema/060_tokens.sql). Tokens are made here from
 * 32 random bytes, printed once, and stored only as a 16-byte random salt
 * and SHA-256(salt || token), the form daemon/auth.c checks. These commands
 * talk to PostgreSQL directly as eard_admin (--database, else
 * EARD_ADMIN_DATABASE_URL); every change NOTIFYs the daemons.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "earctl.h"

#define TOKEN_SALT_BYTES	16
#define TOKEN_RANDOM_BYTES	32
#define TOKEN_PREFIX		"eard_"

/* SHA-256(salt || token): the same as auth_token_hash() in the daemon. */
void
cmd_token_hash(const char *token, const unsigned char *salt, size_t saltlen,
    unsigned char out[32])
{
	EVP_MD_CTX	*ctx;
	unsigned int	 len = 32;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		fatalx("out of memory");
	if (!EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(ctx, salt, saltlen) ||
	    !EVP_DigestUpdate(ctx, token, strlen(token)) ||
	    !EVP_DigestFinal_ex(ctx, out, &len))
		fatalx("SHA-256 failed");
	EVP_MD_CTX_free(ctx);
}

/* Lower-case hex of n bytes into out (2n + 1 bytes). */
static void
cmd_token_hex(const unsigned char *in, size_t n, char *out)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", in[i]);
	out[2 * n] = '\0';
}

/*
 * Parse --expires: "never", N followed by s, m (minutes), h, d or w, or a
 * date YYYY-MM-DD (midnight UTC). Sets *seconds (relative) or copies the
 * date into at (absolute); both zero/empty for never. -1 with *cause.
 */
int
cmd_token_parse_expiry(const char *s, long long *seconds, char *at,
    size_t atlen, char **cause)
{
	unsigned long long	 n;
	long long		 mult;
	char			*end;
	int			 y, m, d;

	*seconds = 0;
	if (atlen > 0)
		*at = '\0';
	if (strcmp(s, "never") == 0)
		return 0;
	if (strlen(s) == 10 && sscanf(s, "%4d-%2d-%2d", &y, &m, &d) == 3 &&
	    s[4] == '-' && s[7] == '-' && m >= 1 && m <= 12 && d >= 1 &&
	    d <= 31 && y >= 2000) {
		snprintf(at, atlen, "%s", s);
		return 0;
	}
	if (!isdigit((unsigned char)*s))
		goto bad;
	n = strtoull(s, &end, 10);
	if (strcmp(end, "s") == 0)
		mult = 1;
	else if (strcmp(end, "m") == 0)
		mult = 60;
	else if (strcmp(end, "h") == 0)
		mult = 3600;
	else if (strcmp(end, "d") == 0)
		mult = 86400;
	else if (strcmp(end, "w") == 0)
		mult = 7 * 86400;
	else
		goto bad;
	if (n == 0 || n > 100ULL * 366 * 86400 / (unsigned long long)mult)
		goto bad;
	*seconds = (long long)n * mult;
	return 0;
bad:
	xasprintf(cause, "invalid --expires \"%s\": expected a duration such "
	    "as 90d, 12h or 30m, a date YYYY-MM-DD, or never", s);
	return -1;
}

/* Connect as eard_admin, printing why not. */
static PGconn *
cmd_token_connect(struct cmd_ctx *ctx)
{
	PGconn	*conn;
	char	*cause = NULL;

	if ((conn = cli_db_connect(ctx, true, &cause)) == NULL) {
		cli_warnx("%s", cause);
		free(cause);
	}
	return conn;
}

/* earctl token create --role ROLE --name NAME [--expires WHEN] */
int
cmd_token_create_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option	 longopts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "name", required_argument, NULL, 'n' },
		{ "expires", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 }
	};
	unsigned char	 rnd[TOKEN_RANDOM_BYTES], salt[TOKEN_SALT_BYTES];
	unsigned char	 md[32];
	char		 token[sizeof TOKEN_PREFIX + 2 * TOKEN_RANDOM_BYTES];
	char		 salthex[2 * TOKEN_SALT_BYTES + 1], hashhex[65];
	char		 secs[32], at[16], *cause = NULL;
	const char	*role = NULL, *name = NULL, *expires = "90d";
	const char	*params[6];
	long long	 seconds;
	PGconn		*conn;
	PGresult	*res;
	json_t		*j;
	int		 ch;

	cli_getopt_reset();
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			role = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'e':
			expires = optarg;
			break;
		default:
			return cli_usage_error(ctx, "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage_error(ctx, "unexpected argument \"%s\"",
		    argv[optind]);
	if (role == NULL || name == NULL)
		return cli_usage_error(ctx, "--role and --name are required");
	if (strcmp(role, "pipeline") != 0 && strcmp(role, "counsel") != 0 &&
	    strcmp(role, "analyst") != 0 && strcmp(role, "admin") != 0)
		return cli_usage_error(ctx, "invalid --role \"%s\": expected "
		    "pipeline, counsel, analyst or admin", role);
	if (cmd_token_parse_expiry(expires, &seconds, at, sizeof at,
	    &cause) != 0) {
		cli_usage_error(ctx, "%s", cause);
		free(cause);
		return CLI_EXIT_USAGE;
	}
	if (RAND_bytes(rnd, sizeof rnd) != 1 ||
	    RAND_bytes(salt, sizeof salt) != 1) {
		cli_warnx("could not get random bytes for the token");
		return CLI_EXIT_ERROR;
	}
	memcpy(token, TOKEN_PREFIX, strlen(TOKEN_PREFIX));
	cmd_token_hex(rnd, sizeof rnd, token + strlen(TOKEN_PREFIX));
	cmd_token_hash(token, salt, sizeof salt, md);
	cmd_token_hex(salt, sizeof salt, salthex);
	cmd_token_hex(md, sizeof md, hashhex);
	snprintf(secs, sizeof secs, "%lld", seconds);

	if ((conn = cmd_token_connect(ctx)) == NULL)
		return CLI_EXIT_ERROR;
	params[0] = name;
	params[1] = role;
	params[2] = salthex;
	params[3] = hashhex;
	params[4] = secs;
	params[5] = at;
	res = PQexecParams(conn,
	    "INSERT INTO tokens (name, role, salt, hash, expires_at) "
	    "VALUES ($1, $2, decode($3, 'hex'), decode($4, 'hex'), "
	    "CASE WHEN $6 <> '' THEN $6::date::timestamp AT TIME ZONE 'UTC' "
	    "WHEN $5::bigint > 0 THEN now() + make_interval(secs => $5::bigint) "
	    "END) RETURNING to_char(expires_at AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
	    6, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		if (strcmp(PQresultErrorField(res, PG_DIAG_SQLSTATE) != NULL ?
		    PQresultErrorField(res, PG_DIAG_SQLSTATE) : "", "23505") == 0)
			cli_warnx("a live token named \"%s\" exists; revoke it "
			    "first or choose another name", name);
		else
			cli_warnx("could not create token \"%s\": %s", name,
			    PQresultErrorMessage(res));
		PQclear(res);
		PQfinish(conn);
		return CLI_EXIT_ERROR;
	}
	if (ctx->format == CLI_FORMAT_JSON) {
		j = json_pack("{s:s, s:s, s:s, s:s?}", "name", name, "role",
		    role, "token", token, "expires_at",
		    PQgetisnull(res, 0, 0) ? NULL : PQgetvalue(res, 0, 0));
		cli_print_json(j);
		json_decref(j);
	} else {
		printf("%s\n", token);
		fprintf(stderr, "earctl: token \"%s\" (role %s) expires %s; "
		    "it is shown only this once\n", name, role,
		    PQgetisnull(res, 0, 0) ? "never" : PQgetvalue(res, 0, 0));
	}
	explicit_bzero(token, sizeof token);
	PQclear(res);
	PQfinish(conn);
	return CLI_EXIT_OK;
}

/* earctl token list: every token with its state; never a secret. */
int
cmd_token_list_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const char *const headers[] = { "name", "role", "state",
	    "created_at", "created_by", "expires_at", "revoked_at" };
	const char	**cells;
	PGconn		*conn;
	PGresult	*res;
	int		 i, n, c;

	(void)argv;
	if (argc > 1)
		return cli_usage_error(ctx, "unexpected argument \"%s\"",
		    argv[1]);
	if ((conn = cmd_token_connect(ctx)) == NULL)
		return CLI_EXIT_ERROR;
	res = PQexecParams(conn,
	    "SELECT name, role, CASE WHEN revoked_at IS NOT NULL THEN 'revoked' "
	    "WHEN expires_at <= now() THEN 'expired' ELSE 'live' END, "
	    "to_char(created_at AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), created_by, "
	    "to_char(expires_at AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
	    "to_char(revoked_at AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM tokens ORDER BY name, id",
	    0, NULL, NULL, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		cli_warnx("could not list tokens: %s",
		    PQresultErrorMessage(res));
		PQclear(res);
		PQfinish(conn);
		return CLI_EXIT_ERROR;
	}
	n = PQntuples(res);
	cells = xcalloc((size_t)n * 7 + 1, sizeof *cells);
	for (i = 0; i < n; i++) {
		for (c = 0; c < 7; c++)
			cells[i * 7 + c] = PQgetisnull(res, i, c) ? NULL :
			    PQgetvalue(res, i, c);
	}
	cli_print_table(ctx, headers, 7, cells, (size_t)n);
	free(cells);
	PQclear(res);
	PQfinish(conn);
	return CLI_EXIT_OK;
}

/* earctl token revoke NAME: the live token of that name stops working. */
int
cmd_token_revoke_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	const char	*params[1];
	PGconn		*conn;
	PGresult	*res;
	int		 rc = CLI_EXIT_OK;

	if (argc != 2)
		return cli_usage_error(ctx, "expected one token NAME");
	if ((conn = cmd_token_connect(ctx)) == NULL)
		return CLI_EXIT_ERROR;
	params[0] = argv[1];
	res = PQexecParams(conn,
	    "UPDATE tokens SET revoked_at = now() "
	    "WHERE name = $1 AND revoked_at IS NULL RETURNING id",
	    1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		cli_warnx("could not revoke token \"%s\": %s", argv[1],
		    PQresultErrorMessage(res));
		rc = CLI_EXIT_ERROR;
	} else if (PQntuples(res) == 0) {
		cli_warnx("no live token named \"%s\"", argv[1]);
		rc = CLI_EXIT_ERROR;
	} else if (ctx->format != CLI_FORMAT_JSON)
		fprintf(stderr, "earctl: token \"%s\" revoked\n", argv[1]);
	PQclear(res);
	PQfinish(conn);
	return rc;
}
