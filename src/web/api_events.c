/*
 * api_events: events and deliveries under the native base.
 *
 *   POST /api/2.0/events                       events:publish   202
 *   POST /api/2.0/webhooks/{uuid}/test         webhooks:edit    200, 202
 *   GET  /api/2.0/webhooks/{uuid}/deliveries   webhooks:view    200
 *   POST /api/2.0/deliveries/{id}/retry        webhooks:edit    202
 *
 * An event is accepted (202) only once its spool file is durable in new/;
 * any failed write or fsync answers 503 and leaves nothing behind
 * (event_publish, event.h, does the work: the type rule, the spool file,
 * the idempotency record).
 */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "attempt.h"
#include "delivery.h"
#include "event.h"
#include "spool.h"


static void
unavailable(struct api_ctx *c, const char *msg)
{
	http_header(c->resp, "Retry-After", "1");
	api_error(c, 503, msg, NULL);
}

/* The body of POST /events into p; -1 with the field errors. */
static int
publish_decode(json_object *body, const char *team, struct event_pub *p,
    struct wh_errors *errs)
{
	json_object	*v;

	memset(p, 0, sizeof(*p));
	p->team = team;
	if (!json_object_is_type(body, json_type_object)) {
		webhook_error(errs, "body", "The body must be a JSON object.");
		return -1;
	}
	if (!json_object_object_get_ex(body, "event", &v) || v == NULL)
		webhook_error(errs, "event", "The event field is required.");
	else if (!json_object_is_type(v, json_type_string) ||
	    !event_type_ok(json_object_get_string(v),
	    (size_t)json_object_get_string_len(v)))
		webhook_error(errs, "event", "The event must be "
		    EVENT_TYPE_RULE ".");
	else
		p->type = json_object_get_string(v);
	if (json_object_object_get_ex(body, "data", &v)) {
		if (!json_object_is_type(v, json_type_object))
			webhook_error(errs, "data",
			    "The data must be a JSON object.");
		else
			p->data = v;
	}
	if (json_object_object_get_ex(body, "idempotency_key", &v) &&
	    v != NULL) {
		if (!json_object_is_type(v, json_type_string) ||
		    !event_key_ok(json_object_get_string(v)))
			webhook_error(errs, "idempotency_key", "The "
			    "idempotency key must be 1 to %d printable "
			    "characters.", EVENT_KEY_MAX);
		else
			p->key = json_object_get_string(v);
	}
	return errs->count > 0 ? -1 : 0;
}

/* POST /events: 202 {id, event, timestamp}. */
static void
events_publish(struct api_ctx *c)
{
	struct wh_errors	 errs;
	struct event_pub	 p;
	struct event_ack	 ack;
	struct spool		*sp;
	json_object		*j;
	int			 store_res;

	memset(&errs, 0, sizeof(errs));
	if (publish_decode(c->body, c->auth.team, &p, &errs) == -1) {
		api_error(c, 422, "The given data was invalid.", &errs);
		return;
	}
	if ((sp = api_ctx_spool(c)) == NULL) {
		unavailable(c, "The spool is unavailable; try again.");
		return;
	}
	switch (event_publish(c->st, sp, &p, &ack, &store_res)) {
	case EVENT_PUB_OK:
		break;
	case EVENT_PUB_STORE:
		api_store_error(c, store_res);
		return;
	case EVENT_PUB_INVALID:		/* publish_decode checked */
		api_error(c, 422, "The given data was invalid.", NULL);
		return;
	default:
		unavailable(c, "The event could not be stored; try again.");
		return;
	}
	j = json_object_new_object();
	json_object_object_add(j, "id", json_object_new_string(ack.id));
	json_object_object_add(j, "event", json_object_new_string(ack.type));
	json_object_object_add(j, "timestamp",
	    json_object_new_string(ack.timestamp));
	if (ack.replayed)
		http_header(c->resp, "Idempotent-Replayed", "true");
	api_json(c, 202, j);
}

/* ---- the test endpoint ---------------------------------------------------- */

/*
 * 200 with the attempt when it was made within DELIVER_TEST_WAIT_MS; else
 * 202 with its delivery id, "status": "in_progress" and where its attempt
 * will be listed (links.deliveries).
 */
static void
webhook_test(struct api_ctx *c)
{
	struct deliver_result	 r;
	struct webhook		 w;
	json_object		*j, *d, *l;
	char			 id[DELIVER_ID_LEN + 1], *path;
	int			 rc;

	if (api_webhook_get(c, &w) == -1)
		return;
	if ((rc = api_webhook_test(c, &w, id, &r)) == -1) {
		webhook_free(&w);
		return;
	}
	d = json_object_new_object();
	json_object_object_add(d, "webhook_id", json_object_new_string(w.uuid));
	json_object_object_add(d, "event_type",
	    json_object_new_string("webhook.test"));
	json_object_object_add(d, "delivery_id", json_object_new_string(id));
	j = json_object_new_object();
	json_object_object_add(j, "data", d);
	if (rc == 1) {
		json_object_object_add(d, "status",
		    json_object_new_string("in_progress"));
		json_object_object_add(d, "message", json_object_new_string(
		    "The receiver has not answered yet; the attempt will be "
		    "listed with the webhook's deliveries."));
		path = xasprintf("/api/2.0/webhooks/%s/deliveries", w.uuid);
		l = json_object_new_object();
		json_object_object_add(l, "deliveries",
		    json_object_new_string(path));
		json_object_object_add(j, "links", l);
		free(path);
		api_json(c, 202, j);
		webhook_free(&w);
		return;
	}
	json_object_object_add(d, "success",
	    json_object_new_boolean(r.cls == DELIVER_DONE));
	json_object_object_add(d, "status_code", r.status > 0 ?
	    json_object_new_int(r.status) : NULL);
	json_object_object_add(d, "latency_ms",
	    json_object_new_int64(r.latency_ms));
	json_object_object_add(d, "error", r.error[0] != '\0' ?
	    json_object_new_string(r.error) : NULL);
	json_object_object_add(d, "response_body",
	    json_object_new_string(r.body));
	api_json(c, 200, j);
	webhook_free(&w);
}

/* ---- the attempt log -------------------------------------------------------- */

static void
webhook_deliveries(struct api_ctx *c)
{
	struct store_page	 pg;
	struct webhook		 w;
	json_object		*j, *data, *a;
	char			*path;
	long			 page, per_page;
	size_t			 i, n = 0;

	if (api_webhook_get(c, &w) == -1)
		return;
	webhook_free(&w);
	if (api_native_page_params(c, &page, &per_page) == -1) {
		api_error(c, 422, "page is out of range.", NULL);
		return;
	}
	memset(&pg, 0, sizeof(pg));
	if (api_store_error(c, attempt_list(c->st, c->params[0],
	    (size_t)(page - 1) * (size_t)per_page, (size_t)per_page, &pg)))
		return;
	data = json_object_new_array();
	for (i = 0; i < pg.n; i++) {
		if ((a = json_tokener_parse(pg.recs[i])) == NULL)
			continue;
		json_object_object_del(a, "v");
		json_object_array_add(data, a);
		n++;
	}
	j = json_object_new_object();
	json_object_object_add(j, "data", data);
	path = xasprintf("/api/2.0/webhooks/%s/deliveries", c->params[0]);
	api_native_paginate(c, j, path, page, per_page, n, pg.total);
	free(path);
	attempt_page_free(&pg);
	api_json(c, 200, j);
}

/* ---- manual retry --------------------------------------------------------------- */

static void
delivery_retry(struct api_ctx *c)
{
	struct spool	*sp;
	json_object	*j;
	const char	*id = c->params[0];
	char		 webhook[37], event[SPOOL_ID_MAX + 1];
	int		 store_res = STORE_OK;

	if ((sp = api_ctx_spool(c)) == NULL) {
		unavailable(c, "The spool is unavailable; try again.");
		return;
	}
	switch (deliver_requeue(c->st, sp, c->auth.team, id, NULL, webhook,
	    event, sizeof(event), &store_res)) {
	case REQUEUE_OK:
		break;
	case REQUEUE_BUSY:
		api_error(c, 409, "The delivery is being attempted right now.",
		    NULL);
		return;
	case REQUEUE_GONE:
		api_error(c, 404, "The delivery's webhook no longer exists.",
		    NULL);
		return;
	case REQUEUE_INACTIVE:
		api_error(c, 409, "The webhook is inactive; activate it first.",
		    NULL);
		return;
	case REQUEUE_SPOOL:
		unavailable(c, "The retry could not be stored; try again.");
		return;
	case REQUEUE_STORE:
		api_store_error(c, store_res);
		return;
	default:
		api_error(c, 404, "No such failed delivery.", NULL);
		return;
	}
	j = json_object_new_object();
	json_object_object_add(j, "delivery_id", json_object_new_string(id));
	json_object_object_add(j, "event_id", json_object_new_string(event));
	json_object_object_add(j, "webhook_id", json_object_new_string(webhook));
	json_object_object_add(j, "status", json_object_new_string("queued"));
	api_json(c, 202, j);
}

static const struct route api_events_routes[] = {
	{ HTTP_M(HTTP_POST), "/api/2.0/events", events_publish, SCOPE_PUBLISH,
	    ROUTE_BODY },
	{ HTTP_M(HTTP_POST), "/api/2.0/webhooks/:id/test", webhook_test,
	    SCOPE_EDIT, 0 },
	{ HTTP_M(HTTP_GET), "/api/2.0/webhooks/:id/deliveries",
	    webhook_deliveries, SCOPE_VIEW, 0 },
	{ HTTP_M(HTTP_POST), "/api/2.0/deliveries/:id/retry", delivery_retry,
	    SCOPE_EDIT, 0 },
};
/* Under the native prefix, in the native dialect's shapes: a table of its
 * own so that these routes stay with their handlers. */
const struct dialect api_events_dialect = {
	"events", "/api/2.0", api_events_routes,
	sizeof(api_events_routes) / sizeof(api_events_routes[0]),
	422, api_native_error, NULL
};
