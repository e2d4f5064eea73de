/* metrics.c: counters and the Prometheus text exposition for /metrics. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eard.h"

/* Upper bounds of the latency buckets, in seconds (+Inf is implicit). */
static const double metrics_buckets[] = {
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
	0.1, 0.25, 0.5, 1, 2.5, 5, 10
};
#define METRICS_NBUCKETS nitems(metrics_buckets)

struct metrics_route {
	const char	*route;		/* static: the route table's path */
	uint64_t	 buckets[METRICS_NBUCKETS];
	uint64_t	 count;
	double		 sum;
};
struct metrics_status {
	const char	*route;
	int		 status;
	uint64_t	 count;
};
struct metrics_verdict {
	char		*kind;
	char		*verdict;
	uint64_t	 count;
};

static struct metrics_route	*metrics_routes;
static size_t			 metrics_nroutes;
static struct metrics_status	*metrics_statuses;
static size_t			 metrics_nstatuses;
static struct metrics_verdict	*metrics_verdicts;
static size_t			 metrics_nverdicts;
static uint64_t			 metrics_db_reconnects;

/* NOTIFYs heard, by channel: imports that reached this instance. */
struct metrics_notify {
	char		*channel;
	uint64_t	 count;
	int64_t		 last_us;
};
static struct metrics_notify	*metrics_notifies;
static size_t			 metrics_nnotifies;

/* Per-list facts from the screening engineer's screen_index.c, if linked. */
#pragma weak screen_index_list_info

/* One finished request: its route (a static string), status and latency. */
void
metrics_count_request(const char *route, int status, int64_t us)
{
	struct metrics_route	*mr = NULL;
	struct metrics_status	*ms = NULL;
	double			 s = (double)us / 1e6;
	size_t			 i;

	for (i = 0; i < metrics_nroutes; i++) {
		if (strcmp(metrics_routes[i].route, route) == 0) {
			mr = &metrics_routes[i];
			break;
		}
	}
	if (mr == NULL) {
		metrics_routes = xreallocarray(metrics_routes,
		    metrics_nroutes + 1, sizeof *metrics_routes);
		mr = &metrics_routes[metrics_nroutes++];
		memset(mr, 0, sizeof *mr);
		mr->route = route;
	}
	for (i = 0; i < METRICS_NBUCKETS; i++) {
		if (s <= metrics_buckets[i])
			mr->buckets[i]++;
	}
	mr->count++;
	mr->sum += s;

	for (i = 0; i < metrics_nstatuses; i++) {
		if (metrics_statuses[i].status == status &&
		    strcmp(metrics_statuses[i].route, route) == 0) {
			ms = &metrics_statuses[i];
			break;
		}
	}
	if (ms == NULL) {
		metrics_statuses = xreallocarray(metrics_statuses,
		    metrics_nstatuses + 1, sizeof *metrics_statuses);
		ms = &metrics_statuses[metrics_nstatuses++];
		ms->route = route;
		ms->status = status;
		ms->count = 0;
	}
	ms->count++;
}

/* One verdict given: kind "chip"/"weights", verdict name. */
void
metrics_count_verdict(const char *kind, const char *verdict)
{
	size_t	 i;

	for (i = 0; i < metrics_nverdicts; i++) {
		if (strcmp(metrics_verdicts[i].kind, kind) == 0 &&
		    strcmp(metrics_verdicts[i].verdict, verdict) == 0) {
			metrics_verdicts[i].count++;
			return;
		}
	}
	metrics_verdicts = xreallocarray(metrics_verdicts,
	    metrics_nverdicts + 1, sizeof *metrics_verdicts);
	metrics_verdicts[metrics_nverdicts].kind = xstrdup(kind);
	metrics_verdicts[metrics_nverdicts].verdict = xstrdup(verdict);
	metrics_verdicts[metrics_nverdicts].count = 1;
	metrics_nverdicts++;
}

/* The read session connected again after a loss. */
void
metrics_count_db_reconnect(void)
{
	metrics_db_reconnects++;
}

/* A NOTIFY arrived on channel (an import somewhere reached us). */
void
metrics_count_notify(const char *channel)
{
	size_t	 i;

	for (i = 0; i < metrics_nnotifies; i++) {
		if (strcmp(metrics_notifies[i].channel, channel) == 0)
			break;
	}
	if (i == metrics_nnotifies) {
		metrics_notifies = xreallocarray(metrics_notifies,
		    metrics_nnotifies + 1, sizeof *metrics_notifies);
		metrics_notifies[i].channel = xstrdup(channel);
		metrics_notifies[i].count = 0;
		metrics_nnotifies++;
	}
	metrics_notifies[i].count++;
	metrics_notifies[i].last_us = eard_now_us();
}

/* Append to a growing string. */
static void PRINTFLIKE(2, 3)
metrics_add(char **out, const char *fmt, ...)
{
	va_list	 ap;
	char	*line, *tmp;

	va_start(ap, fmt);
	xvasprintf(&line, fmt, ap);
	va_end(ap);
	xasprintf(&tmp, "%s%s", *out, line);
	free(*out);
	free(line);
	*out = tmp;
}

/*
 * The operator's gauges (docs/metrics.md): states as labelled 1s, ages in
 * seconds, where reads go, and the NOTIFYs (imports) heard.
 */
static void
metrics_render_ops(char **out)
{
	json_t		*info, *v;
	const char	*k;
	int64_t		 now = eard_now_us(), at;
	size_t		 i;

	metrics_add(out, "# HELP eard_database_state State of the read "
	    "session (1 for the current state).\n"
	    "# TYPE eard_database_state gauge\n"
	    "eard_database_state{state=\"%s\"} 1\n", db_state());
	metrics_add(out, "# HELP eard_database_read_standby 1 when reads "
	    "go to read_database_url, 0 when they go to database_url.\n"
	    "# TYPE eard_database_read_standby gauge\n"
	    "eard_database_read_standby %d\n", db_reading_standby() ? 1 : 0);
	metrics_add(out, "# HELP eard_audit_state State of the audit writer "
	    "(1 for the current state).\n# TYPE eard_audit_state gauge\n"
	    "eard_audit_state{state=\"%s\"} 1\n", audit_state());
	at = rules_loaded_at_us();
	metrics_add(out, "# HELP eard_ruleset_age_seconds Seconds since the "
	    "rules were last loaded or confirmed (-1 before the first).\n"
	    "# TYPE eard_ruleset_age_seconds gauge\n"
	    "eard_ruleset_age_seconds %.3f\n",
	    at > 0 ? (double)(now - at) / 1e6 : -1.0);
	metrics_add(out, "# HELP eard_rules_load_error 1 when the last rules "
	    "load failed.\n# TYPE eard_rules_load_error gauge\n"
	    "eard_rules_load_error %d\n", rules_last_error() != NULL ? 1 : 0);
	metrics_add(out, "# HELP eard_notifications_total NOTIFYs heard, by "
	    "channel (imports reaching this instance).\n"
	    "# TYPE eard_notifications_total counter\n");
	for (i = 0; i < metrics_nnotifies; i++)
		metrics_add(out, "eard_notifications_total{channel=\"%s\"} "
		    "%llu\n", metrics_notifies[i].channel,
		    (unsigned long long)metrics_notifies[i].count);
	metrics_add(out, "# HELP eard_notification_last_seconds When the last "
	    "NOTIFY arrived, by channel (Unix time).\n"
	    "# TYPE eard_notification_last_seconds gauge\n");
	for (i = 0; i < metrics_nnotifies; i++)
		metrics_add(out, "eard_notification_last_seconds{channel=\"%s\"}"
		    " %.3f\n", metrics_notifies[i].channel,
		    (double)metrics_notifies[i].last_us / 1e6);
	if (screen_index_list_info == NULL)
		return;
	info = screen_index_list_info();
	metrics_add(out, "# HELP eard_list_age_days Age of each screening "
	    "list's data (days), as /readyz judges it against "
	    "lists_max_age_days.\n# TYPE eard_list_age_days gauge\n");
	json_object_foreach(info, k, v) {
		if (json_is_number(json_object_get(v, "age_days")))
			metrics_add(out, "eard_list_age_days{list=\"%s\"} %g\n",
			    k, json_number_value(json_object_get(v,
			    "age_days")));
	}
	metrics_add(out, "# HELP eard_list_info Each screening list's "
	    "version.\n# TYPE eard_list_info gauge\n");
	json_object_foreach(info, k, v) {
		if (json_is_string(json_object_get(v, "list_version")))
			metrics_add(out, "eard_list_info{list=\"%s\","
			    "version=\"%s\"} 1\n", k, json_string_value(
			    json_object_get(v, "list_version")));
	}
	metrics_add(out, "# HELP eard_lists_max_age_days The configured "
	    "limit (lists_max_age_days).\n"
	    "# TYPE eard_lists_max_age_days gauge\n"
	    "eard_lists_max_age_days %d\n", cfg.lists_max_age_days);
	json_decref(info);
}

/* The Prometheus text exposition; caller frees. */
char *
metrics_render(void)
{
	struct metrics_route	*mr;
	char			*out = xstrdup(""), *limits;
	size_t			 i, j;

	metrics_add(&out, "# HELP eard_requests_total HTTP requests answered, "
	    "by route and status.\n# TYPE eard_requests_total counter\n");
	for (i = 0; i < metrics_nstatuses; i++)
		metrics_add(&out, "eard_requests_total{route=\"%s\","
		    "status=\"%d\"} %llu\n", metrics_statuses[i].route,
		    metrics_statuses[i].status,
		    (unsigned long long)metrics_statuses[i].count);

	metrics_add(&out, "# HELP eard_request_duration_seconds Time from "
	    "request to reply.\n"
	    "# TYPE eard_request_duration_seconds histogram\n");
	for (i = 0; i < metrics_nroutes; i++) {
		mr = &metrics_routes[i];
		for (j = 0; j < METRICS_NBUCKETS; j++)
			metrics_add(&out, "eard_request_duration_seconds_bucket"
			    "{route=\"%s\",le=\"%g\"} %llu\n", mr->route,
			    metrics_buckets[j],
			    (unsigned long long)mr->buckets[j]);
		metrics_add(&out, "eard_request_duration_seconds_bucket"
		    "{route=\"%s\",le=\"+Inf\"} %llu\n", mr->route,
		    (unsigned long long)mr->count);
		metrics_add(&out, "eard_request_duration_seconds_sum"
		    "{route=\"%s\"} %.6f\n", mr->route, mr->sum);
		metrics_add(&out, "eard_request_duration_seconds_count"
		    "{route=\"%s\"} %llu\n", mr->route,
		    (unsigned long long)mr->count);
	}

	metrics_add(&out, "# HELP eard_verdicts_total Verdicts given, by "
	    "kind.\n# TYPE eard_verdicts_total counter\n");
	for (i = 0; i < metrics_nverdicts; i++)
		metrics_add(&out, "eard_verdicts_total{kind=\"%s\","
		    "verdict=\"%s\"} %llu\n", metrics_verdicts[i].kind,
		    metrics_verdicts[i].verdict,
		    (unsigned long long)metrics_verdicts[i].count);

	metrics_add(&out, "# HELP eard_database_up 1 when the read session "
	    "is connected.\n# TYPE eard_database_up gauge\n"
	    "eard_database_up %d\n", db_connected() ? 1 : 0);
	metrics_add(&out, "# HELP eard_database_reconnects_total Times the "
	    "read session connected again.\n"
	    "# TYPE eard_database_reconnects_total counter\n"
	    "eard_database_reconnects_total %llu\n",
	    (unsigned long long)metrics_db_reconnects);
	metrics_add(&out, "# HELP eard_ruleset_info The ruleset in force.\n"
	    "# TYPE eard_ruleset_info gauge\n"
	    "eard_ruleset_info{version=\"%s\"} %d\n", rules_version(),
	    *rules_version() != '\0' ? 1 : 0);
	metrics_add(&out, "# HELP eard_ruleset_loaded_seconds When the rules "
	    "were last loaded (Unix time).\n"
	    "# TYPE eard_ruleset_loaded_seconds gauge\n"
	    "eard_ruleset_loaded_seconds %.3f\n",
	    (double)rules_loaded_at_us() / 1e6);
	metrics_add(&out, "# HELP eard_uptime_seconds Seconds since start.\n"
	    "# TYPE eard_uptime_seconds gauge\neard_uptime_seconds %.3f\n",
	    (double)(eard_now_us() - eard_started_us) / 1e6);
	metrics_add(&out, "# HELP eard_requests_in_flight Requests not yet "
	    "finished.\n# TYPE eard_requests_in_flight gauge\n"
	    "eard_requests_in_flight %zu\n", request_count_inflight());
	metrics_add(&out, "# HELP eard_decisions_pending Decisions waiting "
	    "to be durable.\n# TYPE eard_decisions_pending gauge\n"
	    "eard_decisions_pending %zu\n", audit_pending());
	metrics_add(&out, "# HELP eard_audit_spool_depth Decisions in the "
	    "local spool.\n# TYPE eard_audit_spool_depth gauge\n"
	    "eard_audit_spool_depth %zu\n", audit_spool_depth());
	metrics_render_ops(&out);
	metrics_add(&out, "# HELP eard_build_info The running version.\n"
	    "# TYPE eard_build_info gauge\neard_build_info{version=\"%s\"} 1\n",
	    EARD_VERSION);
	limits = limits_render();
	metrics_add(&out, "%s", limits);
	free(limits);
	return out;
}
