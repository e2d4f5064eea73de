/*
 * eard.c: the export-control compliance daemon: options, signals, the loop.
 *
 * Start-up: defaults, then the file (-c), then EARD_DATABASE_URL, then the
 * command line (each --key-name VALUE sets the config key key_name). SIGHUP
 * reads them again in that order and applies the reloadable keys, then
 * reloads the rules. SIGTERM/SIGINT stop accepting, wait up to stop_timeout
 * for requests in flight, flush the audit writer and exit 0.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#include "eard.h"

static const char	*eard_config_file;
static char		**eard_overrides;	/* key, value pairs */
static size_t		 eard_noverrides;
static int64_t		 eard_stop_deadline;
static struct event	*eard_stop_timer;

/* The --help text; the keys come from the config table. */
static void
eard_usage(FILE *f)
{
	fprintf(f,
	    "usage: eard [-f] [-c FILE] [--dump-config] [--KEY VALUE ...]\n"
	    "\n"
	    "eard answers export-control checks over HTTP on a Unix socket.\n"
	    "\n"
	    "  -c, --config FILE        read the configuration file\n"
	    "  -f, --foreground         stay in the foreground, log to stderr\n"
	    "      --dump-config        print the configuration in effect, exit\n"
	    "      --version            print the version, exit\n"
	    "  -h, --help               this text\n"
	    "\n"
	    "Every configuration key is also an option (--socket PATH,\n"
	    "--database-url URL, --listen-tcp HOST:PORT, --log-level LEVEL,\n"
	    "...); EARD_DATABASE_URL overrides database_url from the file.\n"
	    "Keys [default]:\n");
	config_print_help(f);
}

/*
 * --version: what this binary is built from. The rules and lists are data
 * loaded at run time, so only a running eard knows their versions
 * (`earctl --version` asks it; so do /readyz and /metrics).
 */
static void
eard_print_version(void)
{
	int	 pq = PQlibVersion();

	printf("eard %s\n", EARD_VERSION);
	printf("libevent %s, libpq %d.%d, jansson %s, %s\n",
	    event_get_version(), pq / 10000, pq % 10000, JANSSON_VERSION,
	    OpenSSL_version(OPENSSL_VERSION));
	printf("rules and screening lists: loaded from the database at run "
	    "time; `earctl --version` shows those of a running eard\n");
}

/* "--database-url" -> "database_url" if that is a key. */
static bool
eard_option_key(const char *opt, char *key, size_t keylen)
{
	size_t	 i;

	if (strncmp(opt, "--", 2) != 0)
		return false;
	snprintf(key, keylen, "%s", opt + 2);
	for (i = 0; key[i] != '\0'; i++) {
		if (key[i] == '-')
			key[i] = '_';
	}
	for (i = 0; i < config_nkeys; i++) {
		if (strcmp(config_keys[i].name, key) == 0)
			return true;
	}
	return false;
}

/* Build a configuration: defaults, file, environment, command line. */
static int
eard_read_config(struct eard_config *c, char **cause)
{
	const char	*env;
	size_t		 i;

	config_defaults(c);
	if (eard_config_file != NULL &&
	    config_load(eard_config_file, c, cause) != 0)
		return -1;
	if ((env = getenv("EARD_DATABASE_URL")) != NULL && *env != '\0' &&
	    config_set(c, "database_url", env, cause) != 0)
		return -1;
	for (i = 0; i < eard_noverrides; i++) {
		if (config_set(c, eard_overrides[2 * i],
		    eard_overrides[2 * i + 1], cause) != 0)
			return -1;
	}
	return 0;
}

/* Logging from the configuration. */
static void
eard_apply_logging(void)
{
	enum log_level	 lvl;

	if (cfg.log_level != NULL && log_parse_level(cfg.log_level, &lvl) == 0)
		log_set_level(lvl);
	log_set_json(cfg.log_format != NULL &&
	    strcmp(cfg.log_format, "json") == 0);
}

/* SIGHUP: the reloadable keys, then the rules. */
static void
eard_reload(void)
{
	struct eard_config	 next;
	char			*cause = NULL;

	log_info("reloading the configuration");
	if (eard_read_config(&next, &cause) != 0) {
		log_warnx("configuration not reloaded: %s", cause);
		free(cause);
		config_free(&next);
		return;
	}
	config_apply_reloadable(&cfg, &next);
	config_free(&next);
	eard_apply_logging();
	server_reload();
	audit_set_limits((size_t)cfg.max_pending_decisions, 0);
	db_reload();
	rules_reload();
}

/* The audit writer is flushed: leave the loop. */
static void
eard_audit_flushed(void *arg)
{
	(void)arg;
	log_info("audit flushed; exiting");
	event_base_loopbreak(ev_base);
}

/* While stopping: wait for requests in flight, then flush the audit. */
static void
eard_stop_check(evutil_socket_t fd, short what, void *arg)
{
	struct timeval	 tv = { 0, 50000 };
	size_t		 n = request_count_inflight();

	(void)fd;
	(void)what;
	(void)arg;
	if (n > 0 && eard_now_us() < eard_stop_deadline) {
		evtimer_add(eard_stop_timer, &tv);
		return;
	}
	if (n > 0)
		log_warnx("stop_timeout passed with %zu requests in flight", n);
	audit_shutdown(eard_audit_flushed, NULL);
}

/* SIGHUP reloads; SIGTERM/SIGINT begin a clean stop. */
static void
eard_signal(evutil_socket_t sig, short what, void *arg)
{
	struct timeval	 tv = { 0, 0 };

	(void)what;
	(void)arg;
	if (sig == SIGHUP) {
		eard_reload();
		return;
	}
	if (eard_stopping()) {
		log_warnx("second signal: exiting now");
		exit(1);
	}
	log_info("received %s; stopping", sig == SIGTERM ? "SIGTERM" :
	    "SIGINT");
	eard_set_stopping();
	server_stop_accepting();
	eard_stop_deadline = eard_now_us() + (int64_t)cfg.stop_timeout *
	    1000000;
	eard_stop_timer = evtimer_new(ev_base, eard_stop_check, NULL);
	evtimer_add(eard_stop_timer, &tv);
}

/* Read the configuration, start listening and connecting, run the loop. */
int
main(int argc, char **argv)
{
	struct event	*sig_hup, *sig_term, *sig_int;
	char		*cause = NULL, *dump, key[64];
	bool		 foreground = false, dump_config = false;
	int		 i;

	log_init("eard", LOG_LVL_INFO, false);
	eard_overrides = xcalloc((size_t)argc * 2 + 2, sizeof *eard_overrides);
	for (i = 1; i < argc; i++) {
		const char	*a = argv[i], *eq;
		char		 opt[64];

		if (strcmp(a, "-f") == 0 || strcmp(a, "--foreground") == 0)
			foreground = true;
		else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			eard_usage(stdout);
			return 0;
		} else if (strcmp(a, "--version") == 0) {
			eard_print_version();
			return 0;
		} else if (strcmp(a, "--dump-config") == 0)
			dump_config = true;
		else if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
			if (++i >= argc) {
				fprintf(stderr, "eard: %s needs a file\n", a);
				return 2;
			}
			eard_config_file = argv[i];
		} else if (strncmp(a, "--", 2) == 0) {
			eq = strchr(a, '=');
			snprintf(opt, sizeof opt, "%.*s",
			    eq != NULL ? (int)(eq - a) : (int)strlen(a), a);
			if (!eard_option_key(opt, key, sizeof key)) {
				fprintf(stderr, "eard: unknown option \"%s\"; "
				    "see eard --help\n", opt);
				return 2;
			}
			if (eq == NULL && ++i >= argc) {
				fprintf(stderr, "eard: %s needs a value\n", a);
				return 2;
			}
			eard_overrides[2 * eard_noverrides] = xstrdup(key);
			eard_overrides[2 * eard_noverrides + 1] =
			    xstrdup(eq != NULL ? eq + 1 : argv[i]);
			eard_noverrides++;
		} else {
			fprintf(stderr, "eard: unexpected argument \"%s\"; "
			    "see eard --help\n", a);
			return 2;
		}
	}
	if (eard_read_config(&cfg, &cause) != 0) {
		fprintf(stderr, "eard: %s\n", cause);
		return 2;
	}
	if (dump_config) {
		dump = config_dump(&cfg);
		fputs(dump, stdout);
		free(dump);
		return 0;
	}

	log_init("eard", LOG_LVL_INFO, !foreground);
	eard_apply_logging();
	if (!foreground && daemon(1, 0) != 0)
		fatal("could not detach");
	signal(SIGPIPE, SIG_IGN);
	eard_started_us = eard_now_us();
	if ((ev_base = event_base_new()) == NULL)
		fatalx("could not create the event loop");

	sig_hup = evsignal_new(ev_base, SIGHUP, eard_signal, NULL);
	sig_term = evsignal_new(ev_base, SIGTERM, eard_signal, NULL);
	sig_int = evsignal_new(ev_base, SIGINT, eard_signal, NULL);
	if (sig_hup == NULL || sig_term == NULL || sig_int == NULL ||
	    evsignal_add(sig_hup, NULL) != 0 ||
	    evsignal_add(sig_term, NULL) != 0 ||
	    evsignal_add(sig_int, NULL) != 0)
		fatalx("could not install signal handlers");

	rules_init();
	/* EARD_AUDIT_MAX_PENDING and EARD_SPOOL_MAX_BYTES win over the file */
	audit_set_limits(getenv("EARD_AUDIT_MAX_PENDING") != NULL ? 0 :
	    (size_t)cfg.max_pending_decisions, getenv("EARD_SPOOL_MAX_BYTES") !=
	    NULL ? 0 : cfg.spool_max_bytes);
	audit_init(ev_base, &cfg);
	if (server_start(&cause) != 0)
		fatalx("%s", cause);
	if (db_start(&cause) != 0)
		fatalx("%s", cause);
	if (screen_init != NULL)
		screen_init();
	log_info("eard %s started (pid %ld)", EARD_VERSION, (long)getpid());

	event_base_dispatch(ev_base);

	server_close();
	db_stop();
	rules_clear();
	event_free(sig_hup);
	event_free(sig_term);
	event_free(sig_int);
	if (eard_stop_timer != NULL)
		event_free(eard_stop_timer);
	log_info("stopped");
	return 0;
}
