/*
 * api_ops: what an operator's tools ask of the service (src/model/metrics.h
 * does the work).
 *
 *   GET /health    no token       200 {"status":"ok",...}, 503 otherwise
 *   GET /metrics   metrics:view   200 Prometheus text exposition 0.0.4
 *
 * /health is for load balancers and uptime checks: one read of the store
 * (no lock waited for) and a byte written to the spool, nothing logged.
 * /metrics reads the counters record, counts the spool's files and stats
 * the store's: never a scan of the attempt log.
 */
#include "api.h"
#include "metrics.h"
#include "spool.h"

#define EXPOSITION_TYPE	"text/plain; version=0.0.4; charset=utf-8"

/* GET /health: 200 or 503, with {"status", "store", "spool"}. */
static void
ops_health(struct api_ctx *c)
{
	int	 rc;

	buf_reset(&c->resp->body);
	rc = metrics_health(c->st, api_ctx_spool(c), &c->resp->body);
	c->resp->status = rc == 0 ? 200 : 503;
	if (rc != 0)
		http_header(c->resp, "Retry-After", "5");
	http_header(c->resp, "Content-Type", "application/json");
}

/* GET /metrics: the exposition text. */
static void
ops_metrics(struct api_ctx *c)
{
	struct buf	 out;

	buf_init(&out);
	if (api_store_error(c, metrics_expose(c->st, api_ctx_spool(c),
	    util_now_ms(), &out))) {
		buf_free(&out);
		return;
	}
	c->resp->status = 200;
	http_header(c->resp, "Content-Type", EXPOSITION_TYPE);
	buf_reset(&c->resp->body);
	buf_add(&c->resp->body, out.p, out.len);
	buf_free(&out);
}

static const struct route api_health_routes[] = {
	{ HTTP_M(HTTP_GET), "/health", ops_health, 0, ROUTE_NOAUTH },
};
static const struct route api_metrics_routes[] = {
	{ HTTP_M(HTTP_GET), "/metrics", ops_metrics, SCOPE_METRICS, 0 },
};

/* Two entries, one a path (a dialect's routes stay under its prefix); their
 * errors (401, 403, 405) in the native dialect's shape. */
const struct dialect api_health_dialect = {
	"health", "/health", api_health_routes,
	sizeof(api_health_routes) / sizeof(api_health_routes[0]),
	422, api_native_error, NULL
};
const struct dialect api_metrics_dialect = {
	"metrics", "/metrics", api_metrics_routes,
	sizeof(api_metrics_routes) / sizeof(api_metrics_routes[0]),
	422, api_native_error, NULL
};
