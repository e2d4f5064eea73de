/*
 * queries.c: what eard (daemon/report.c) and `earctl audit report --direct`
 * (cli/cmd_audit.c) share about the report queries in queries/NAME.sql:
 * where the directory is found next to the running binary, and how a
 * PostgreSQL text value becomes JSON by its column's type.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ear.h"

/* The queries directory beside the running binary, or NULL if none. */
const char *
queries_dir_near_exe(void)
{
	static char	 dir[PATH_MAX + 32];
	char		 exe[PATH_MAX], *slash;
	ssize_t		 n;
	struct stat	 st;

	/* build/eard -> queries next to the build directory. */
	if ((n = readlink("/proc/self/exe", exe, sizeof exe - 1)) <= 0)
		return (NULL);
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) == NULL)
		return (NULL);
	*slash = '\0';
	snprintf(dir, sizeof dir, "%s/../queries", exe);
	if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		return (dir);
	snprintf(dir, sizeof dir, "%s/../share/eard/queries", exe);
	if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		return (dir);
	return (NULL);
}

/* A PostgreSQL text value (NULL: SQL null) as JSON, by its type's OID. */
json_t *
queries_value_json(const char *s, unsigned int type)
{
	char		*end;
	long long	 ll;
	json_error_t	 jerr;
	json_t		*j;

	if (s == NULL)
		return (json_null());
	switch (type) {
	case 16:	/* bool */
		return (json_boolean(*s == 't'));
	case 20: case 21: case 23:	/* int8, int2, int4 */
		ll = strtoll(s, &end, 10);
		return (*end == '\0' ? json_integer(ll) : json_string(s));
	case 700: case 701: case 1700:	/* float4, float8, numeric */
		if (strcmp(s, "NaN") == 0 || strstr(s, "Infinity") != NULL)
			return (json_string(s));
		if (strpbrk(s, ".eE") == NULL) {
			errno = 0;
			ll = strtoll(s, &end, 10);
			if (*end == '\0' && errno == 0)
				return (json_integer(ll));
		}
		return (json_real(strtod(s, NULL)));
	case 114: case 3802:	/* json, jsonb */
		j = json_loads(s, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL,
		    &jerr);
		return (j != NULL ? j : json_string(s));
	default:
		return (json_string(s));
	}
}
