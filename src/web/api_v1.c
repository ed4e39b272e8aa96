/*
 * api_v1: seed 001 ("WebhooksApi", a generated client) at
 * /api/web/v1/webhooks.  Bodies are the bare webhook object, no envelope,
 * with "id" and the union fields; the list is a bare JSON array of them.
 * Create and update answer 200 with the webhook, delete 200 with an empty
 * body.  The seed lists no 422: a bad body is 400, still naming each bad
 * field.  A callback URL is registered once per team: create, or an update
 * that would register it twice, is 409 Conflict.  POST .../test/{id} sends
 * the webhook.test event now, through the delivery code, and answers 200
 * with the attempt's outcome once it was attempted, whatever the outcome,
 * or 202 if the receiver has not answered within DELIVER_TEST_WAIT_MS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "api_v1.h"
#include "delivery.h"

#define BASE		"/api/web/v1/webhooks"

json_object *
api_v1_json(const struct webhook *w)
{
	/* The union fields are the seed's Webhook: id, name, url and the
	 * rest a generated client ignores when it does not know them. */
	return webhook_to_json(w);
}

static void
v1_list(struct api_ctx *c)
{
	api_list_all(c, api_v1_json);
}

static void
v1_create(struct api_ctx *c)
{
	struct webhook	 w;

	if (api_webhook_create(c, STORE_UNIQUE_URL, &w) == -1)
		return;
	api_json(c, 200, api_v1_json(&w));
	webhook_free(&w);
}

static void
v1_get(struct api_ctx *c)
{
	struct webhook	 w;

	if (api_webhook_get(c, &w) == -1)
		return;
	api_json(c, 200, api_v1_json(&w));
	webhook_free(&w);
}

static void
v1_update(struct api_ctx *c)
{
	struct webhook	 w;

	if (api_webhook_update(c, STORE_UNIQUE_URL, &w) == -1)
		return;
	api_json(c, 200, api_v1_json(&w));
	webhook_free(&w);
}

static void
v1_delete(struct api_ctx *c)
{
	/* "null (empty response body)". */
	if (api_webhook_delete(c) == 0)
		api_json(c, 200, NULL);
}

json_object *
api_v1_test_json(const char *id, const struct deliver_result *r)
{
	json_object	*j;

	j = json_object_new_object();
	json_object_object_add(j, "id", json_object_new_string(id));
	json_object_object_add(j, "event",
	    json_object_new_string("webhook.test"));
	json_object_object_add(j, "delivered",
	    json_object_new_boolean(r->cls == DELIVER_DONE));
	json_object_object_add(j, "status", r->status > 0 ?
	    json_object_new_int(r->status) : NULL);
	json_object_object_add(j, "latency_ms",
	    json_object_new_int64(r->latency_ms));
	json_object_object_add(j, "error", r->error[0] != '\0' ?
	    json_object_new_string(r->error) : NULL);
	return j;
}

/* The seed documents 200 and no body; a generated client takes any 2xx
 * as success.  202 when the receiver has not answered within
 * DELIVER_TEST_WAIT_MS: {id, event, delivery_id, in_progress: true}, the
 * outcome null. */
static void
v1_test(struct api_ctx *c)
{
	struct webhook		 w;
	struct deliver_result	 r;
	json_object		*j;
	char			 id[DELIVER_ID_LEN + 1];

	if (api_webhook_get(c, &w) == -1)
		return;
	switch (api_webhook_test(c, &w, id, &r)) {
	case 0:
		j = api_v1_test_json(w.uuid, &r);
		json_object_object_add(j, "delivery_id",
		    json_object_new_string(id));
		api_json(c, 200, j);
		break;
	case 1:
		j = json_object_new_object();
		json_object_object_add(j, "id", json_object_new_string(w.uuid));
		json_object_object_add(j, "event",
		    json_object_new_string("webhook.test"));
		json_object_object_add(j, "delivery_id",
		    json_object_new_string(id));
		json_object_object_add(j, "in_progress",
		    json_object_new_boolean(1));
		json_object_object_add(j, "delivered", NULL);
		json_object_object_add(j, "status", NULL);
		json_object_object_add(j, "error", NULL);
		api_json(c, 202, j);
		break;
	}
	webhook_free(&w);
}

/* Seed 001 is a generated Spring client: its error shape,
 * {timestamp, status, error, message, path, errors?}, the message naming
 * each bad field. */
static void
v1_error(struct api_ctx *c, int status, const char *message,
    const struct wh_errors *errs)
{
	json_object	*j;
	char		 ts[UTIL_ISO_LEN], *full, *path;

	full = api_error_message(message, errs);
	util_iso8601(util_now_ms(), ts);
	j = json_object_new_object();
	json_object_object_add(j, "timestamp", json_object_new_string(ts));
	json_object_object_add(j, "status", json_object_new_int(status));
	json_object_object_add(j, "error",
	    json_object_new_string(http_reason(status)));
	json_object_object_add(j, "message", json_object_new_string(full));
	/* The request's path, as Spring answers it: the mount included. */
	path = xasprintf("%s%s", c->req->mount != NULL ? c->req->mount : "",
	    c->req->path);
	json_object_object_add(j, "path", json_object_new_string(path));
	free(path);
	api_error_fields(j, errs);
	free(full);
	api_json(c, status, j);
}

static const struct route api_v1_routes[] = {
	{ HTTP_M(HTTP_GET), BASE, v1_list, SCOPE_VIEW, 0 },
	{ HTTP_M(HTTP_POST), BASE, v1_create, SCOPE_ADD, ROUTE_BODY },
	{ HTTP_M(HTTP_GET), BASE "/:id", v1_get, SCOPE_VIEW, 0 },
	{ HTTP_M(HTTP_PUT), BASE "/:id", v1_update, SCOPE_EDIT, ROUTE_BODY },
	{ HTTP_M(HTTP_DELETE), BASE "/:id", v1_delete, SCOPE_REMOVE, 0 },
	{ HTTP_M(HTTP_POST), BASE "/test/:id", v1_test, SCOPE_EDIT, 0 },
};
const struct dialect api_v1_dialect = {
	"v1", "/api/web/v1", api_v1_routes,
	sizeof(api_v1_routes) / sizeof(api_v1_routes[0]),
	400, v1_error, NULL
};
