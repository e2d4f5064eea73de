/* config.c: the configuration keys, the INI-style file and its dump. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eard.h"

struct eard_config	 cfg;

#define CF(name, type, field, dflt, choices, reload, help) \
	{ name, type, offsetof(struct eard_config, field), dflt, choices, \
	  reload, help }

/*
 * The one table of keys: it drives the file parser, command-line overrides
 * (--key-name VALUE), --dump-config, --help and what SIGHUP applies.
 */
const struct config_key config_keys[] = {
	CF("socket", CF_STRING, socket, "./var/run/eard.sock", NULL, false,
	    "path of the Unix socket"),
	CF("socket_mode", CF_MODE, socket_mode, "0660", NULL, false,
	    "file mode of the Unix socket (octal)"),
	CF("socket_group", CF_STRING, socket_group, NULL, NULL, false,
	    "group that owns the Unix socket"),
	CF("listen_tcp", CF_STRING, listen_tcp, NULL, NULL, false,
	    "host:port of a TCP listener (off when unset; needs TLS)"),
	CF("tcp_tokens", CF_STRING, tcp_tokens, NULL, NULL, true,
	    "static bearer tokens name:sha256hex[:role],... besides the "
	    "tokens table"),
	CF("tls_cert", CF_STRING, tls_cert, NULL, NULL, false,
	    "PEM certificate chain of the TCP listener (TLS is required)"),
	CF("tls_key", CF_STRING, tls_key, NULL, NULL, false,
	    "PEM private key of the TCP listener"),
	CF("tcp_insecure", CF_BOOL, tcp_insecure, "no", NULL, false,
	    "yes: TCP without TLS (tests only; logged loudly)"),
	CF("database_url", CF_STRING, database_url, "dbname=eard", NULL, true,
	    "libpq connection string (EARD_DATABASE_URL overrides)"),
	CF("read_database_url", CF_STRING, read_database_url, NULL, NULL, true,
	    "connection for rule loads and lookups (default database_url)"),
	CF("import_database_url", CF_STRING, import_database_url, NULL, NULL,
	    true, "connection of POST /v1/import (default database_url as "
	    "user eard_admin)"),
	CF("log_level", CF_STRING, log_level, "info", "error|warning|info|debug",
	    true, "least severe level logged"),
	CF("log_format", CF_STRING, log_format, "text", "text|json", true,
	    "log line format"),
	CF("max_body_size", CF_SIZE, max_body_size, "1MiB", NULL, true,
	    "largest request body; larger gets 413"),
	CF("max_header_size", CF_SIZE, max_header_size, "16KiB", NULL, true,
	    "largest request header block"),
	CF("max_connections", CF_INT, max_connections, "1024", NULL, true,
	    "connections served at once; more are closed"),
	CF("request_timeout", CF_SECONDS, request_timeout, "30", NULL, true,
	    "seconds a request may take before it gets 503"),
	CF("idle_timeout", CF_SECONDS, idle_timeout, "60", NULL, true,
	    "seconds an idle connection is kept"),
	CF("audit_mode", CF_STRING, audit_mode, "durable", "durable|async",
	    true, "reply after the decision is durable, or at once"),
	CF("spool_dir", CF_STRING, spool_dir, "./var/spool", NULL, false,
	    "directory of the local audit spool"),
	CF("role_map", CF_STRING, role_map, NULL, NULL, true,
	    "uid, user or @group:role,... (pipeline analyst counsel admin)"),
	CF("batch_max", CF_INT, batch_max, "10000", NULL, true,
	    "most checks in one POST /v1/checks/batch"),
	CF("lists_max_age_days", CF_INT, lists_max_age_days, "7", NULL, true,
	    "screening lists older than this make /readyz fail"),
	CF("stop_timeout", CF_SECONDS, stop_timeout, "10", NULL, true,
	    "seconds to finish requests in flight on SIGTERM"),
	CF("max_requests_per_connection", CF_INT, max_requests_per_connection,
	    "1000", NULL, true,
	    "requests served on one connection before it is closed"),
	CF("read_timeout", CF_SECONDS, read_timeout, "10", NULL, true,
	    "seconds to receive one whole request; slower clients are cut"),
	CF("max_pending_decisions", CF_INT, max_pending_decisions, "50000",
	    NULL, true, "decisions awaiting commit; more get 503 + Retry-After"),
	CF("spool_max_bytes", CF_SIZE, spool_max_bytes, "1GiB", NULL, false,
	    "largest audit spool; when full and the database is down, 503"),
};
const size_t config_nkeys = nitems(config_keys);

/* The table entry of a key, or NULL. */
static const struct config_key *
config_find_key(const char *name)
{
	size_t	 i;

	for (i = 0; i < config_nkeys; i++) {
		if (strcmp(config_keys[i].name, name) == 0)
			return &config_keys[i];
	}
	return NULL;
}

/* Parse "123", "64k", "1MiB", "2 MB" into bytes (powers of 1024). */
static int
config_parse_size(const char *s, size_t *out)
{
	unsigned long long	 v, mult = 1;
	char			*end;

	errno = 0;
	if (!isdigit((unsigned char)*s))
		return -1;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	while (*end == ' ')
		end++;
	if (*end == '\0' || strcasecmp(end, "b") == 0)
		mult = 1;
	else if (strcasecmp(end, "k") == 0 || strcasecmp(end, "kb") == 0 ||
	    strcasecmp(end, "kib") == 0)
		mult = 1024;
	else if (strcasecmp(end, "m") == 0 || strcasecmp(end, "mb") == 0 ||
	    strcasecmp(end, "mib") == 0)
		mult = 1024 * 1024;
	else if (strcasecmp(end, "g") == 0 || strcasecmp(end, "gb") == 0 ||
	    strcasecmp(end, "gib") == 0)
		mult = 1024ULL * 1024 * 1024;
	else
		return -1;
	if (v > SIZE_MAX / mult)
		return -1;
	*out = (size_t)(v * mult);
	return 0;
}

/* Parse a non-negative int; seconds may carry "s" or "min". */
static int
config_parse_int(const char *s, bool seconds, int *out)
{
	long	 v;
	char	*end;

	errno = 0;
	if (*s == '\0')
		return -1;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || v < 0 || v > INT_MAX)
		return -1;
	while (*end == ' ')
		end++;
	if (seconds && strcmp(end, "s") == 0)
		end += 1;
	else if (seconds && strcmp(end, "min") == 0) {
		if (v > INT_MAX / 60)
			return -1;
		v *= 60;
		end += 3;
	}
	if (*end != '\0')
		return -1;
	*out = (int)v;
	return 0;
}

/* Is v one of the "a|b|c" choices? */
static bool
config_in_choices(const char *choices, const char *v)
{
	const char	*p = choices, *bar;
	size_t		 len;

	for (;;) {
		bar = strchr(p, '|');
		len = bar != NULL ? (size_t)(bar - p) : strlen(p);
		if (strlen(v) == len && strncmp(p, v, len) == 0)
			return true;
		if (bar == NULL)
			return false;
		p = bar + 1;
	}
}

/* Set one key from its text form; an empty string unsets a string key. */
int
config_set(struct eard_config *c, const char *name, const char *value,
    char **cause)
{
	const struct config_key	*k;
	char			*base = (char *)c, **sp, *end;
	long			 mode;
	int			 iv;
	size_t			 sv;

	if ((k = config_find_key(name)) == NULL) {
		xasprintf(cause, "unrecognized configuration parameter \"%s\"",
		    name);
		return -1;
	}
	switch (k->type) {
	case CF_STRING:
		if (k->choices != NULL && *value != '\0' &&
		    !config_in_choices(k->choices, value)) {
			xasprintf(cause, "invalid value for parameter \"%s\": "
			    "\"%s\" (expected %s)", name, value, k->choices);
			return -1;
		}
		sp = (char **)(base + k->offset);
		free(*sp);
		*sp = *value != '\0' ? xstrdup(value) : NULL;
		return 0;
	case CF_INT:
	case CF_SECONDS:
		if (config_parse_int(value, k->type == CF_SECONDS, &iv) != 0) {
			xasprintf(cause, "invalid value for parameter \"%s\": "
			    "\"%s\" (expected a non-negative integer%s)", name,
			    value, k->type == CF_SECONDS ? " of seconds" : "");
			return -1;
		}
		*(int *)(base + k->offset) = iv;
		return 0;
	case CF_SIZE:
		if (config_parse_size(value, &sv) != 0) {
			xasprintf(cause, "invalid value for parameter \"%s\": "
			    "\"%s\" (expected a size such as 1048576 or 1MiB)",
			    name, value);
			return -1;
		}
		*(size_t *)(base + k->offset) = sv;
		return 0;
	case CF_BOOL:
		if (strcmp(value, "on") == 0 || strcmp(value, "true") == 0 ||
		    strcmp(value, "yes") == 0 || strcmp(value, "1") == 0)
			*(bool *)(base + k->offset) = true;
		else if (strcmp(value, "off") == 0 ||
		    strcmp(value, "false") == 0 || strcmp(value, "no") == 0 ||
		    strcmp(value, "0") == 0)
			*(bool *)(base + k->offset) = false;
		else {
			xasprintf(cause, "invalid value for parameter \"%s\": "
			    "\"%s\" (expected on or off)", name, value);
			return -1;
		}
		return 0;
	case CF_MODE:
		errno = 0;
		mode = strtol(value, &end, 8);
		if (errno != 0 || end == value || *end != '\0' || mode < 0 ||
		    mode > 07777) {
			xasprintf(cause, "invalid value for parameter \"%s\": "
			    "\"%s\" (expected an octal file mode such as 0660)",
			    name, value);
			return -1;
		}
		*(int *)(base + k->offset) = (int)mode;
		return 0;
	}
	fatalx("unknown configuration type");
}

/* Every key to its default. */
void
config_defaults(struct eard_config *c)
{
	size_t	 i;
	char	*cause = NULL;

	memset(c, 0, sizeof *c);
	for (i = 0; i < config_nkeys; i++) {
		if (config_keys[i].dflt == NULL)
			continue;
		if (config_set(c, config_keys[i].name, config_keys[i].dflt,
		    &cause) != 0)
			fatalx("bad default: %s", cause);
	}
}

/* Strip leading and trailing white space in place. */
static char *
config_trim(char *s)
{
	char	*e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/*
 * Parse file text: "key = value" lines; "#" or ";" start a comment line;
 * "[section]" lines are ignored; a value may be double-quoted. Errors name
 * the file and line.
 */
int
config_parse_buffer(const char *name, const char *text, struct eard_config *c,
    char **cause)
{
	char	*copy, *line, *next, *eq, *key, *value, *why = NULL;
	size_t	 len;
	int	 lineno = 0, rc = 0;

	copy = xstrdup(text);
	for (line = copy; line != NULL; line = next) {
		lineno++;
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		line = config_trim(line);
		if (*line == '\0' || *line == '#' || *line == ';')
			continue;
		if (*line == '[' && line[strlen(line) - 1] == ']')
			continue;
		if ((eq = strchr(line, '=')) == NULL) {
			xasprintf(cause, "syntax error in file \"%s\" line %d: "
			    "expected \"key = value\"", name, lineno);
			rc = -1;
			break;
		}
		*eq = '\0';
		key = config_trim(line);
		value = config_trim(eq + 1);
		len = strlen(value);
		if (len >= 2 && value[0] == '"' && value[len - 1] == '"') {
			value[len - 1] = '\0';
			value++;
		} else if (len >= 1 && value[0] == '"') {
			xasprintf(cause, "syntax error in file \"%s\" line %d: "
			    "unterminated quoted string", name, lineno);
			rc = -1;
			break;
		}
		if (*key == '\0') {
			xasprintf(cause, "syntax error in file \"%s\" line %d: "
			    "missing key before \"=\"", name, lineno);
			rc = -1;
			break;
		}
		if (config_set(c, key, value, &why) != 0) {
			xasprintf(cause, "%s in file \"%s\" line %d", why, name,
			    lineno);
			free(why);
			rc = -1;
			break;
		}
	}
	free(copy);
	return rc;
}

/* Read a configuration file on top of what c holds. */
int
config_load(const char *path, struct eard_config *c, char **cause)
{
	FILE	*f;
	char	*text;
	size_t	 len = 0, cap = 4096, n;
	int	 rc;

	if ((f = fopen(path, "r")) == NULL) {
		xasprintf(cause, "could not open configuration file \"%s\": %s",
		    path, strerror(errno));
		return -1;
	}
	text = xmalloc(cap);
	while ((n = fread(text + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (cap - len < 2) {
			cap *= 2;
			text = xreallocarray(text, cap, 1);
		}
	}
	if (ferror(f)) {
		xasprintf(cause, "could not read configuration file \"%s\": %s",
		    path, strerror(errno));
		fclose(f);
		free(text);
		return -1;
	}
	fclose(f);
	text[len] = '\0';
	rc = config_parse_buffer(path, text, c, cause);
	free(text);
	return rc;
}

/* Copy the reloadable keys of next into cur (SIGHUP). */
void
config_apply_reloadable(struct eard_config *cur, struct eard_config *next)
{
	const struct config_key	*k;
	char			*cb = (char *)cur, *nb = (char *)next, **cs, **ns;
	size_t			 i;

	for (i = 0; i < config_nkeys; i++) {
		k = &config_keys[i];
		if (!k->reloadable)
			continue;
		switch (k->type) {
		case CF_STRING:
			cs = (char **)(cb + k->offset);
			ns = (char **)(nb + k->offset);
			free(*cs);
			*cs = *ns != NULL ? xstrdup(*ns) : NULL;
			break;
		case CF_INT:
		case CF_SECONDS:
		case CF_MODE:
			*(int *)(cb + k->offset) = *(int *)(nb + k->offset);
			break;
		case CF_SIZE:
			*(size_t *)(cb + k->offset) =
			    *(size_t *)(nb + k->offset);
			break;
		case CF_BOOL:
			*(bool *)(cb + k->offset) = *(bool *)(nb + k->offset);
			break;
		}
	}
}

/* Free the strings of c. */
void
config_free(struct eard_config *c)
{
	size_t	 i;
	char	**sp;

	for (i = 0; i < config_nkeys; i++) {
		if (config_keys[i].type != CF_STRING)
			continue;
		sp = (char **)((char *)c + config_keys[i].offset);
		free(*sp);
		*sp = NULL;
	}
}

/* One key's value in the form the file takes. */
static char *
config_format_value(const struct eard_config *c, const struct config_key *k)
{
	const char	*base = (const char *)c;
	const char	*s;
	char		*out;

	switch (k->type) {
	case CF_STRING:
		s = *(char *const *)(base + k->offset);
		if (s == NULL)
			return xstrdup("");
		if (strchr(s, '#') != NULL || strchr(s, ';') != NULL ||
		    isspace((unsigned char)*s) ||
		    isspace((unsigned char)s[strlen(s) - 1]))
			xasprintf(&out, "\"%s\"", s);
		else
			out = xstrdup(s);
		return out;
	case CF_INT:
	case CF_SECONDS:
		xasprintf(&out, "%d", *(const int *)(base + k->offset));
		return out;
	case CF_SIZE:
		xasprintf(&out, "%zu", *(const size_t *)(base + k->offset));
		return out;
	case CF_BOOL:
		return xstrdup(*(const bool *)(base + k->offset) ? "on" : "off");
	case CF_MODE:
		xasprintf(&out, "%04o", *(const int *)(base + k->offset));
		return out;
	}
	fatalx("unknown configuration type");
}

/* The whole configuration as a file eard can read back; caller frees. */
char *
config_dump(const struct eard_config *c)
{
	char	*out = xstrdup(""), *v, *tmp;
	size_t	 i;

	for (i = 0; i < config_nkeys; i++) {
		v = config_format_value(c, &config_keys[i]);
		xasprintf(&tmp, "%s# %s%s\n%s = %s\n", out, config_keys[i].help,
		    config_keys[i].reloadable ? " (reloadable)" : "",
		    config_keys[i].name, v);
		free(out);
		free(v);
		out = tmp;
	}
	return out;
}

/* The key list for --help. */
void
config_print_help(FILE *f)
{
	const struct config_key	*k;
	char			 flag[64];
	size_t			 i;

	for (i = 0; i < config_nkeys; i++) {
		k = &config_keys[i];
		snprintf(flag, sizeof flag, "--%s", k->name);
		for (char *p = flag; *p != '\0'; p++) {
			if (*p == '_')
				*p = '-';
		}
		fprintf(f, "  %-24s %s%s [%s]\n", flag, k->help,
		    k->reloadable ? "" : " (restart)",
		    k->dflt != NULL ? k->dflt : "unset");
	}
}

/* The connection string for reads: read_database_url or database_url. */
const char *
config_read_database_url(const struct eard_config *c)
{
	if (c->read_database_url != NULL)
		return c->read_database_url;
	return c->database_url;
}
