/*
 * auth.c: who may ask what (issue #8, Access).
 *
 * Roles are not a ladder: pipeline (checks, screening) < counsel (also
 * dispositions, determinations, replay, explain) < admin, and analyst
 * (reports, read-only lookups) < admin, but an analyst may not run checks
 * and counsel may not run reports. Routes name the role they are for
 * (routes.c); ROLE_READER marks read-only lookups open to any known role.
 *
 * On the Unix socket the peer's uid (SO_PEERCRED) maps to a role through
 * role_map. On TCP a bearer token names its role: tokens live in the tokens
 * table, where only SHA-256(salt || token) is stored; this file keeps a copy
 * in memory, reloaded on every (re)connection and NOTIFY tokens_changed,
 * and checks expiry on each request against the clock (so a token expires
 * on time even if no reload happens).
 */
#include <sys/types.h>

#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "eard.h"

/* One bearer token as the tokens table holds it. */
struct auth_token {
	char		*name;
	enum role	 role;
	unsigned char	*salt;
	size_t		 saltlen;
	unsigned char	 hash[32];
	int64_t		 expires_us;	/* 0: never */
	bool		 revoked;
};

static struct auth_token	*auth_tokens;
static size_t			 auth_ntokens;
static bool			 auth_loaded;
static bool			 auth_loading;
static bool			 auth_reload_again;

static void	auth_reload(void *);

#define AUTH_TOKENS_SQL \
	"SELECT name, role, encode(salt, 'hex'), encode(hash, 'hex'), " \
	"coalesce((extract(epoch FROM expires_at) * 1000000)::bigint, 0), " \
	"revoked_at IS NOT NULL FROM tokens ORDER BY id"

/*
 * Does a peer with role have pass a route for need? See the top of the
 * file: the inclusions are pipeline < counsel < admin and analyst < admin.
 */
bool
auth_role_allows(enum role have, enum role need)
{
	if (need == ROLE_NONE)
		return true;
	if (have == ROLE_NONE || have == ROLE_READER)
		return false;
	if (need == ROLE_READER || have == need || have == ROLE_ADMIN)
		return true;
	return have == ROLE_COUNSEL && need == ROLE_PIPELINE;
}

/* Is the user (with primary group gid) a member of the group name? */
static bool
auth_in_group(const char *name, gid_t gid, const char *user)
{
	struct group	 gr, *grp = NULL;
	char		 buf[4096];
	gid_t		 groups[256];
	int		 n = (int)nitems(groups), i;

	if (getgrnam_r(name, &gr, buf, sizeof buf, &grp) != 0 || grp == NULL)
		return false;
	if (gid != (gid_t)-1 && grp->gr_gid == gid)
		return true;
	if (user == NULL)
		return false;
	if (getgrouplist(user, gid != (gid_t)-1 ? gid : grp->gr_gid + 1,
	    groups, &n) == -1)
		return false;
	for (i = 0; i < n; i++) {
		if (groups[i] == grp->gr_gid)
			return true;
	}
	return false;
}

/* Parse an identity role name ("none" included; not "reader"). */
static int
auth_parse_role(const char *s, enum role *out)
{
	if (server_parse_role(s, out) != 0 || *out == ROLE_READER)
		return -1;
	return 0;
}

/*
 * The role of a local peer: role_map entries "uid:role" or "user:role"
 * first, then "@group:role" (the peer's primary gid or the user's groups);
 * else the uid eard runs as and root are admin; else none.
 */
enum role
auth_role_for_peer(const char *map, uid_t uid, gid_t gid, const char *user)
{
	char		*copy, *item, *save = NULL, *colon, *end;
	enum role	 r, found = ROLE_NONE;
	unsigned long	 n;
	bool		 hit;
	int		 pass;

	for (pass = 0; map != NULL && pass < 2; pass++) {
		copy = xstrdup(map);
		for (item = strtok_r(copy, ", ", &save); item != NULL;
		    item = strtok_r(NULL, ", ", &save)) {
			if ((colon = strrchr(item, ':')) == NULL)
				continue;
			*colon = '\0';
			if (auth_parse_role(colon + 1, &r) != 0)
				continue;
			if ((*item == '@') != (pass == 1))
				continue;
			if (*item == '@')
				hit = auth_in_group(item + 1, gid, user);
			else {
				n = strtoul(item, &end, 10);
				if (*item != '\0' && *end == '\0')
					hit = (uid_t)n == uid;
				else
					hit = user != NULL &&
					    strcmp(item, user) == 0;
			}
			if (hit) {
				found = r;
				break;
			}
		}
		free(copy);
		if (item != NULL)
			return found;
	}
	if (uid == 0 || uid == geteuid())
		return ROLE_ADMIN;
	return ROLE_NONE;
}

/* SHA-256(salt || token): what the tokens table stores. */
void
auth_token_hash(const char *token, const unsigned char *salt, size_t saltlen,
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

/* Decode hex into a new buffer; NULL when it is not hex. */
static unsigned char *
auth_unhex(const char *hex, size_t *len)
{
	unsigned char	*out;
	size_t		 n = strlen(hex), i;
	unsigned int	 v;

	if (n == 0 || n % 2 != 0)
		return NULL;
	out = xmalloc(n / 2);
	for (i = 0; i < n / 2; i++) {
		if (sscanf(hex + 2 * i, "%2x", &v) != 1 ||
		    strchr("0123456789abcdefABCDEF", hex[2 * i]) == NULL ||
		    strchr("0123456789abcdefABCDEF", hex[2 * i + 1]) == NULL) {
			free(out);
			return NULL;
		}
		out[i] = (unsigned char)v;
	}
	*len = n / 2;
	return out;
}

/* Forget every token (before a reload, and in tests). */
void
auth_token_clear(void)
{
	size_t	 i;

	for (i = 0; i < auth_ntokens; i++) {
		free(auth_tokens[i].name);
		free(auth_tokens[i].salt);
	}
	free(auth_tokens);
	auth_tokens = NULL;
	auth_ntokens = 0;
}

/* Tokens held in memory. */
size_t
auth_token_count(void)
{
	return auth_ntokens;
}

/*
 * Add one token: name, role name, salt and hash in hex, expiry in
 * microseconds since the epoch (0: never), revoked. -1 if malformed.
 */
int
auth_token_set(const char *name, const char *role, const char *salt,
    const char *hash, int64_t expires_us, bool revoked)
{
	struct auth_token	 t;
	unsigned char		*h;
	size_t			 hlen;

	memset(&t, 0, sizeof t);
	if (auth_parse_role(role, &t.role) != 0 || t.role == ROLE_NONE)
		return -1;
	if ((t.salt = auth_unhex(salt, &t.saltlen)) == NULL)
		return -1;
	if ((h = auth_unhex(hash, &hlen)) == NULL || hlen != sizeof t.hash) {
		free(h);
		free(t.salt);
		return -1;
	}
	memcpy(t.hash, h, sizeof t.hash);
	free(h);
	t.name = xstrdup(name);
	t.expires_us = expires_us;
	t.revoked = revoked;
	auth_tokens = xreallocarray(auth_tokens, auth_ntokens + 1,
	    sizeof *auth_tokens);
	auth_tokens[auth_ntokens++] = t;
	auth_loaded = true;
	return 0;
}

/*
 * Check a bearer token: 0 with the role and "token:NAME" in who; -1 with
 * *why when it matches no token, has expired or was revoked; -2 when the
 * token list has not been loaded yet.
 */
int
auth_token_check(const char *token, enum role *role, char *who,
    size_t wholen, const char **why)
{
	struct auth_token	*t;
	unsigned char		 md[32];
	size_t			 i;

	*why = "the bearer token is not valid";
	if (!auth_loaded)
		return -2;
	for (i = 0; i < auth_ntokens; i++) {
		t = &auth_tokens[i];
		auth_token_hash(token, t->salt, t->saltlen, md);
		if (CRYPTO_memcmp(md, t->hash, sizeof md) != 0)
			continue;
		if (t->revoked) {
			*why = "the bearer token was revoked";
			return -1;
		}
		if (t->expires_us != 0 && eard_now_us() >= t->expires_us) {
			*why = "the bearer token has expired";
			return -1;
		}
		*role = t->role;
		snprintf(who, wholen, "token:%s", t->name);
		return 0;
	}
	return -1;
}

/* The tokens table arrived: replace the list in memory. */
static void
auth_tokens_loaded(void *arg, PGresult *res, const char *errmsg)
{
	int	 i, n, bad = 0;

	(void)arg;
	auth_loading = false;
	if (res == NULL) {
		log_warnx("could not load bearer tokens: %s",
		    errmsg != NULL ? errmsg : "unknown error");
	} else {
		auth_token_clear();
		n = PQntuples(res);
		for (i = 0; i < n; i++) {
			if (auth_token_set(PQgetvalue(res, i, 0),
			    PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
			    PQgetvalue(res, i, 3),
			    strtoll(PQgetvalue(res, i, 4), NULL, 10),
			    strcmp(PQgetvalue(res, i, 5), "t") == 0) != 0)
				bad++;
		}
		auth_loaded = true;
		if (bad > 0)
			log_warnx("%d malformed bearer tokens ignored", bad);
		log_info("loaded %d bearer tokens", n - bad);
	}
	if (auth_reload_again) {
		auth_reload_again = false;
		auth_reload(NULL);
	}
}

/* Fetch the tokens table (on connect and NOTIFY tokens_changed). */
static void
auth_reload(void *arg)
{
	(void)arg;
	if (auth_loading) {
		auth_reload_again = true;
		return;
	}
	if (db_query(AUTH_TOKENS_SQL, 0, NULL, auth_tokens_loaded, NULL) != 0) {
		log_warnx("could not load bearer tokens: the database is not "
		    "connected");
		return;
	}
	auth_loading = true;
}

/* NOTIFY tokens_changed: a token was created or revoked. */
static void
auth_on_notify(const char *payload, void *arg)
{
	(void)payload;
	auth_reload(arg);
}

/* Load tokens now and whenever they change (call once, before db_start). */
void
auth_init(void)
{
	static bool	 done;

	if (done)
		return;
	done = true;
	db_on_connect(auth_reload, NULL);
	db_on_notify("tokens_changed", auth_on_notify, NULL);
}

/* The first OpenSSL error as text. */
static const char *
auth_ssl_error(void)
{
	static char	 buf[256];
	unsigned long	 e = ERR_get_error();

	if (e == 0)
		return "unknown error";
	ERR_error_string_n(e, buf, sizeof buf);
	ERR_clear_error();
	return buf;
}

/* A TLS server context from a PEM certificate chain and key (TLS 1.2+). */
struct ssl_ctx_st *
auth_tls_context(const char *cert, const char *key, char **cause)
{
	SSL_CTX	*ctx;

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		xasprintf(cause, "could not create a TLS context: %s",
		    auth_ssl_error());
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		xasprintf(cause, "could not load TLS certificate \"%s\": %s",
		    cert, auth_ssl_error());
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		xasprintf(cause, "could not load TLS key \"%s\": %s", key,
		    auth_ssl_error());
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		xasprintf(cause, "TLS key \"%s\" does not match certificate "
		    "\"%s\"", key, cert);
		goto fail;
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}
