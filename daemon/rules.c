/*
 * rules.c: the ruleset in force, loaded from `SELECT eard_rules_document()`
 * on the read session and compiled by core. The swap is a pointer exchange
 * on the loop: requests in flight keep the reference they took.
 *
 * The version of a ruleset is the SHA-256 (hex) of the document's text, so
 * two daemons on one database name the same rules the same way and audit
 * can keep the exact document for replay.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "eard.h"

static struct ruleset	*rules_cur;
static char		*rules_error;
static int64_t		 rules_at_us;
static bool		 rules_loading;
static bool		 rules_again;

/* The SHA-256 of text in hex: the ruleset version. */
static void
rules_sha256(const char *text, char out[65])
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 len = 0, i;

	if (!EVP_Digest(text, strlen(text), md, &len, EVP_sha256(), NULL))
		fatalx("could not compute SHA-256");
	for (i = 0; i < len && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[64] = '\0';
}

/* Remember and log why the rules could not be loaded. */
static void
rules_set_error(const char *what, const char *detail)
{
	free(rules_error);
	xasprintf(&rules_error, "%s: %s", what, detail);
	log_warnx("%s", rules_error);
}

/* Compile a document and swap it in; the old one goes when unreferenced. */
static void
rules_install(const char *text)
{
	struct ruleset	*rs, *old;
	json_t		*doc;
	json_error_t	 jerr;
	char		 version[65], *cause = NULL;

	rules_sha256(text, version);
	if (rules_cur != NULL &&
	    strcmp(ruleset_version(rules_cur), version) == 0) {
		log_debug("rules unchanged (version %.12s)", version);
		rules_at_us = eard_now_us();
		return;
	}
	doc = json_loads(text, 0, &jerr);
	if (doc == NULL) {
		rules_set_error("could not parse the rules document",
		    jerr.text);
		return;
	}
	rs = ruleset_from_json(doc, version, &cause);
	json_decref(doc);
	if (rs == NULL) {
		rules_set_error("could not compile the rules", cause);
		free(cause);
		return;
	}
	old = rules_cur;
	rules_cur = rs;
	rules_at_us = eard_now_us();
	free(rules_error);
	rules_error = NULL;
	if (old != NULL)
		ruleset_unref(old);
	audit_record_ruleset(version, text);
	log_info("rules loaded: version %.12s", version);
}

/* The rules document arrived (or not). */
static void
rules_fetched(void *arg, PGresult *res, const char *errmsg)
{
	(void)arg;
	rules_loading = false;
	if (errmsg != NULL)
		rules_set_error("could not load the rules", errmsg);
	else if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0))
		rules_set_error("could not load the rules",
		    "eard_rules_document() returned no document");
	else
		rules_install(PQgetvalue(res, 0, 0));
	if (rules_again) {
		rules_again = false;
		rules_reload();
	}
}

/* No rules until the first load. */
void
rules_init(void)
{
	rules_cur = NULL;
}

/* Fetch the document again (NOTIFY, SIGHUP, reconnection). */
void
rules_reload(void)
{
	if (rules_loading) {
		rules_again = true;
		return;
	}
	if (!db_connected())
		return;
	if (db_query("SELECT eard_rules_document()::text", 0, NULL,
	    rules_fetched, NULL) != 0)
		return;
	rules_loading = true;
}

/* A new reference to the rules in force, or NULL before the first load. */
struct ruleset *
rules_current(void)
{
	if (rules_cur != NULL)
		ruleset_ref(rules_cur);
	return rules_cur;
}

/* Drop the rules (at exit). */
void
rules_clear(void)
{
	if (rules_cur != NULL)
		ruleset_unref(rules_cur);
	rules_cur = NULL;
	free(rules_error);
	rules_error = NULL;
}

/* The version of the rules in force, "" before the first load. */
const char *
rules_version(void)
{
	return rules_cur != NULL ? ruleset_version(rules_cur) : "";
}

/* When the rules were last loaded or confirmed unchanged. */
int64_t
rules_loaded_at_us(void)
{
	return rules_at_us;
}

/* Why the last load failed, or NULL. */
const char *
rules_last_error(void)
{
	return rules_error;
}
