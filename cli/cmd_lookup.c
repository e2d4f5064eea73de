/*
 * cmd_lookup.c: `earctl eccn CODE` and `earctl country CC`, read-only
 * lookups of the rules in force as of a date (GET /v1/eccn/CODE,
 * GET /v1/countries/CC).
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "earctl.h"

/* Parse [--as-of DATE] and exactly one operand. */
static int
lookup_parse(struct cmd_ctx *ctx, int argc, char **argv, const char **as_of,
    const char **operand)
{
	static const struct option longopts[] = {
		{ "as-of", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 }
	};
	ear_date	d;
	int		c;

	*as_of = NULL;
	cli_getopt_reset();
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			if (date_parse(optarg, &d) != 0)
				return (cli_usage_error(ctx, "invalid value for "
				    "--as-of: \"%s\" is not a date "
				    "(YYYY-MM-DD)", optarg));
			*as_of = optarg;
			break;
		case ':':
			return (cli_usage_error(ctx, "option \"%s\" needs a "
			    "value", argv[optind - 1]));
		default:
			return (cli_usage_error(ctx, "unknown option \"%s\"",
			    argv[optind - 1]));
		}
	}
	if (optind + 1 != argc)
		return (cli_usage_error(ctx, optind >= argc ? "missing "
		    "operand" : "too many operands"));
	*operand = argv[optind];
	return (0);
}

/* GET a lookup path and print the reply. */
static int
lookup_get(struct cmd_ctx *ctx, const char *path)
{
	json_t	*reply;
	int	 rc, status;

	if ((rc = cli_request(ctx, "GET", path, NULL, &status, &reply)) != 0)
		return (rc);
	if (status == 404 && ctx->format != CLI_FORMAT_JSON) {
		cli_print_error(reply);
		json_decref(reply);
		return (CLI_EXIT_NO);
	}
	if ((rc = cli_reply_exit(status, reply)) != 0) {
		json_decref(reply);
		return (rc);
	}
	if (ctx->format == CLI_FORMAT_JSON)
		cli_print_json(reply);
	else
		cli_print_human(reply, 0);
	json_decref(reply);
	return (CLI_EXIT_OK);
}

/* earctl eccn CODE [--as-of DATE] */
int
cmd_lookup_eccn_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	const char	*as_of, *code, *p;
	char		*path;
	int		 rc;

	if ((rc = lookup_parse(ctx, argc, argv, &as_of, &code)) != 0)
		return (rc);
	for (p = code; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && *p != '.')
			break;
	}
	if (*p != '\0' || p == code || strlen(code) > 32)
		return (cli_usage_error(ctx, "invalid ECCN \"%s\" (e.g. 3A090 "
		    "or 3A090.a)", code));
	xasprintf(&path, "/v1/eccn/%s%s%s", code, as_of != NULL ?
	    "?as_of=" : "", as_of != NULL ? as_of : "");
	rc = lookup_get(ctx, path);
	free(path);
	return (rc);
}

/* earctl country CC [--as-of DATE] */
int
cmd_lookup_country_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	const char	*as_of, *cc;
	char		*path, up[3];
	int		 rc;

	if ((rc = lookup_parse(ctx, argc, argv, &as_of, &cc)) != 0)
		return (rc);
	if (strlen(cc) != 2 || !isalpha((unsigned char)cc[0]) ||
	    !isalpha((unsigned char)cc[1]))
		return (cli_usage_error(ctx, "invalid country code \"%s\" (an "
		    "ISO 3166-1 alpha-2 code such as CN)", cc));
	up[0] = toupper((unsigned char)cc[0]);
	up[1] = toupper((unsigned char)cc[1]);
	up[2] = '\0';
	xasprintf(&path, "/v1/countries/%s%s%s", up, as_of != NULL ?
	    "?as_of=" : "", as_of != NULL ? as_of : "");
	rc = lookup_get(ctx, path);
	free(path);
	return (rc);
}
