/*
 * route_registry.c: the model and chip registry over HTTP
 * (schema/050_registry.sql).
 *
 *	GET  /v1/models[?over=1e25&unpublished=true&as_of=D&limit=N]
 *	GET  /v1/models/{id}	facts with sources and every version
 *	POST /v1/models		register a model (facts become new versions)
 *	GET  /v1/chips[?limit=N]
 *	GET  /v1/chips/{id}	facts, sources, versions, computed TPP and PD
 *
 * Every query goes through db_query() and answers from its callback; the
 * request is held until then.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eard.h"
#include "importers.h"

/* Answer a query whose one cell is a JSON document, or 404/503. */
struct registry_q {
	struct request	*r;
	bool		 chip;		/* add computed TPP and PD */
	bool		 list;
	int		 status;	/* on success */
	const char	*what;		/* "model", "chip" */
};

/* TPP (3A090 Technical Note 2) and PD of a chip's contract facts. */
static void
route_registry_add_figures(json_t *o, const json_t *facts)
{
	struct chip_perf	 p[32];
	const json_t		*perf, *e, *area;
	size_t			 i, n = 0, best = 0;
	double			 tpp, pd;
	const char		*fmt;

	perf = json_object_get(facts, "performance");
	json_array_foreach(perf, i, e) {
		if (n == nitems(p))
			break;
		memset(&p[n], 0, sizeof p[n]);
		fmt = json_string_value(json_object_get(e, "format"));
		snprintf(p[n].format, sizeof p[n].format, "%s",
		    fmt != NULL ? fmt : "");
		p[n].bits = (int)json_number_value(json_object_get(e, "bits"));
		p[n].dense_tops = json_number_value(json_object_get(e,
		    "dense_tops"));
		n++;
	}
	tpp = chip_compute_tpp(p, n, &best);
	area = json_object_get(facts, "die_area_mm2");
	pd = chip_compute_pd(tpp, json_is_number(area) ?
	    json_number_value(area) : NAN);
	json_object_set_new(o, "tpp", isnan(tpp) ? json_null() :
	    json_real(tpp));
	json_object_set_new(o, "tpp_from", isnan(tpp) ? json_null() :
	    json_pack("{s:s, s:i, s:f}", "format", p[best].format, "bits",
	    p[best].bits, "dense_tops", p[best].dense_tops));
	json_object_set_new(o, "performance_density", isnan(pd) ?
	    json_null() : json_real(pd));
	if (isnan(pd))
		json_object_set_new(o, "performance_density_missing",
		    json_string(isnan(tpp) ? "no performance figures" :
		    "no die area"));
}

static void
route_registry_done(void *arg, PGresult *res, const char *errmsg)
{
	struct registry_q	*q = arg;
	struct request		*r = q->r;
	json_t			*doc, *e;
	json_error_t		 jerr;
	size_t			 i;

	if (request_replied(r) || request_gone(r)) {
		request_release(r);
		return;
	}
	if (errmsg != NULL) {
		request_reply_errorf(r, strstr(errmsg, "does not exist") ?
		    404 : 503, "registry_unavailable", NULL,
		    "could not read the registry: %.*s",
		    (int)strcspn(errmsg, "\n"), errmsg);
		request_release(r);
		return;
	}
	if (PQntuples(res) == 0 || PQgetisnull(res, 0, 0)) {
		request_reply_errorf(r, 404, q->chip ? "unknown_chip" :
		    "unknown_model", "id", "no %s with id \"%s\" in the "
		    "registry", q->what, request_arg(r));
		request_release(r);
		return;
	}
	doc = json_loads(PQgetvalue(res, 0, 0), JSON_DECODE_INT_AS_REAL,
	    &jerr);
	if (doc == NULL) {
		request_reply_errorf(r, 500, "internal_error", NULL,
		    "the registry answered invalid JSON: %s", jerr.text);
		request_release(r);
		return;
	}
	if (q->chip && q->list) {
		json_array_foreach(json_object_get(doc, "chips"), i, e)
			route_registry_add_figures(e, json_object_get(e,
			    "facts"));
	} else if (q->chip)
		route_registry_add_figures(doc, json_object_get(doc, "facts"));
	request_reply_json(r, q->status, doc);
	request_release(r);
}

/* Queue sql with params; replies 503 itself when the database is away. */
static void
route_registry_query(struct request *r, const char *what, bool chip,
    bool list, int status, const char *sql, int n, const char *const *p)
{
	struct registry_q	*q;

	q = request_alloc(r, sizeof *q);
	q->r = r;
	q->chip = chip;
	q->list = list;
	q->status = status;
	q->what = what;
	request_hold(r);
	if (db_query(sql, n, p, route_registry_done, q) != 0) {
		request_release(r);
		request_reply_errorf(r, 503, "registry_unavailable", NULL,
		    "could not read the registry: the database is not "
		    "reachable");
	}
}

/* A query parameter that must be a number; 0 ok (or absent), -1 replied. */
static int
route_registry_num_arg(struct request *r, const char *name, const char **out)
{
	const char	*v = request_query(r, name);
	char		*end;
	double		 d;

	*out = NULL;
	if (v == NULL || *v == '\0')
		return 0;
	d = strtod(v, &end);
	if (*end != '\0' || !isfinite(d) || d < 0) {
		request_reply_errorf(r, 400, "invalid_field", name,
		    "invalid %s \"%s\"; expected a non-negative number such "
		    "as 1e25", name, v);
		return -1;
	}
	*out = v;
	return 0;
}

/* GET /v1/models: the registry's models, biggest training compute first. */
void
route_registry_models(struct request *r)
{
	const char	*p[4], *up, *asof;
	ear_date	 d;

	if (route_registry_num_arg(r, "over", &p[0]) != 0 ||
	    route_registry_num_arg(r, "limit", &p[3]) != 0)
		return;
	up = request_query(r, "unpublished");
	p[1] = up != NULL && (strcmp(up, "true") == 0 || strcmp(up, "1") == 0 ||
	    *up == '\0') ? "true" : "false";
	asof = request_query(r, "as_of");
	if (asof != NULL && date_parse(asof, &d) != 0) {
		request_reply_errorf(r, 400, "invalid_field", "as_of",
		    "invalid as_of \"%s\"; expected YYYY-MM-DD", asof);
		return;
	}
	p[2] = asof;
	route_registry_query(r, "model", false, true, 200,
	    "SELECT json_build_object("
	    " 'as_of', coalesce($3::date, current_date),"
	    " 'models', coalesce(json_agg(m ORDER BY m.ops DESC NULLS LAST,"
	    "  m.id), '[]'),"
	    " 'most_compute_published', (SELECT row_to_json(x) FROM"
	    "  most_compute_published(coalesce($3::date, current_date)) x))"
	    "::text FROM (SELECT id, name,"
	    "  (facts->>'training_ops')::float8 AS ops,"
	    "  training_ops_basis AS ops_basis,"
	    "  (facts->>'parameters')::float8 AS parameters,"
	    "  (facts->>'published')::boolean AS published,"
	    "  detail->'publication_date'->>'value' AS publication_date,"
	    "  detail->'developer'->>'value' AS developer"
	    " FROM models_current"
	    " WHERE ($1::float8 IS NULL OR"
	    "   (facts->>'training_ops')::float8 >= $1::float8)"
	    "  AND (NOT $2::boolean OR"
	    "   (facts->>'published')::boolean IS NOT TRUE)"
	    "  AND ($3::date IS NULL OR"
	    "   (detail->'publication_date'->>'value')::date <= $3::date)"
	    " ORDER BY 3 DESC NULLS LAST, id"
	    " LIMIT coalesce($4::integer, 10000)) m", 4, p);
}

/* GET /v1/models/{id}: current facts with sources, and every version. */
void
route_registry_model(struct request *r)
{
	const char	*p[1];

	p[0] = request_arg(r);
	route_registry_query(r, "model", false, false, 200,
	    "SELECT json_build_object('id', id, 'name', name, 'facts', facts,"
	    " 'training_ops_basis', training_ops_basis, 'detail', detail,"
	    " 'versions', registry_versions('models', id))::text"
	    " FROM models_current WHERE id = $1", 1, p);
}

/* GET /v1/chips/{id}: facts, sources, versions, TPP and PD. */
void
route_registry_chip(struct request *r)
{
	const char	*p[1];

	p[0] = request_arg(r);
	route_registry_query(r, "chip", true, false, 200,
	    "SELECT json_build_object('id', id, 'name', name, 'facts', facts,"
	    " 'detail', detail,"
	    " 'versions', registry_versions('chips', id))::text"
	    " FROM chips_current WHERE id = $1", 1, p);
}

/* GET /v1/chips: every chip with its contract facts and computed TPP. */
void
route_registry_chips(struct request *r)
{
	const char	*p[1];

	if (route_registry_num_arg(r, "limit", &p[0]) != 0)
		return;
	route_registry_query(r, "chip", true, true, 200,
	    "SELECT json_build_object('chips', coalesce(json_agg("
	    " json_build_object('id', id, 'name', name, 'facts', facts,"
	    "  'manufacturer', detail->'manufacturer'->>'value',"
	    "  'release_date', detail->'release_date'->>'value',"
	    "  'epoch_tpp', (detail->'epoch_tpp'->>'value')::float8)"
	    " ORDER BY id), '[]'))::text"
	    " FROM (SELECT * FROM chips_current ORDER BY id"
	    " LIMIT coalesce($1::integer, 10000)) c", 1, p);
}

/*
 * POST /v1/models: a pipeline registers the model it is about to release.
 * The body is one model object (models_json.c), an array or {"models": []};
 * its facts become new versions where they changed.
 */
void
route_registry_register(struct request *r)
{
	struct registry_set	*set;
	struct registry_source	 src;
	json_t			*body, *list, *m;
	const char		*p[3];
	char			*cause = NULL, *items, *files, *ds;
	size_t			 i;
	int			 rc = 0;

	if ((body = request_json(r)) == NULL)
		return;
	xasprintf(&ds, "api:POST /v1/models by %s", request_requester(r));
	src.dataset = ds;
	src.file = NULL;
	src.row = 0;
	src.priority = 100;
	set = registry_set_new(REGISTRY_MODELS);
	list = json_is_object(body) && json_object_get(body, "models") ?
	    json_object_get(body, "models") : body;
	if (json_is_array(list)) {
		json_array_foreach(list, i, m) {
			if ((rc = models_json_add(set, m, &src, &cause)) != 0) {
				char *c2;

				xasprintf(&c2, "models[%zu]: %s", i, cause);
				free(cause);
				cause = c2;
				break;
			}
		}
	} else
		rc = models_json_add(set, list, &src, &cause);
	free(ds);
	if (rc == 0 && registry_set_count(set) == 0) {
		rc = -1;
		cause = xstrdup("no model given");
	}
	if (rc != 0) {
		request_reply_errorf(r, 400, "invalid_field", NULL, "%s", cause);
		free(cause);
		registry_set_free(set);
		return;
	}
	items = json_dumps(registry_set_items(set), JSON_COMPACT |
	    JSON_REAL_PRECISION(15));
	m = json_pack("[{s:s}]", "api", request_requester(r));
	files = json_dumps(m, JSON_COMPACT);
	json_decref(m);
	registry_set_free(set);
	p[0] = request_strdup(r, items);
	p[1] = request_strdup(r, files);
	free(items);
	free(files);
	route_registry_query(r, "model", false, false, 201,
	    "SELECT json_build_object('report', registry_import('models',"
	    " $1::jsonb, $2::jsonb), 'ids', (SELECT json_agg(k ORDER BY k)"
	    " FROM jsonb_object_keys($1::jsonb) k))::text", 2, p);
}
