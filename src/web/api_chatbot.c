/*
 * api_chatbot: seed 002 (ChatBot.com) at /webhooks.  The list is
 * [{id, name, url, error}] with error the last error's message ("" when
 * none); one webhook is {id, name, url, token, headers: [{name, value}],
 * auth: {username, password}, error: {date, message}} followed by the union
 * fields the seed does not name (http_method, events, settings, active,
 * max_attempts, created_at, updated_at), so that what another dialect wrote
 * reads back whole.  Create, update and delete answer
 * {id, timestamp, status: {code: 200, type: "success"}}; errors answer the
 * same shape with type "error" (chatbot_error).  The seed lists no status codes:
 * a bad body is 400, its message naming each bad field.
 *
 * Choices: no basic auth is served as {"username": "", "password": ""} and
 * no error as {"date": "", "message": ""}, the seed's own spelling of empty
 * values, so a client always finds strings there.  A stored password is
 * served as "********", never in clear (sending the mask back on update
 * keeps it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "api_chatbot.h"
#include "log.h"

#define BASE		"/webhooks"

/* Union fields served after the seed's own, in this order. */
static const char *const extras[] = {
	"http_method", "events", "settings", "active", "max_attempts",
	"created_at", "updated_at", NULL
};

/* Moves key from the union object u to j (a new reference). */
static void
take(json_object *j, json_object *u, const char *key)
{
	json_object	*v = NULL;

	json_object_object_get_ex(u, key, &v);
	json_object_object_add(j, key, json_object_get(v));
}

json_object *
api_chatbot_json(const struct webhook *w)
{
	json_object	*j, *u, *a, *h, *e;
	size_t		 i;

	u = webhook_to_json(w);
	j = json_object_new_object();
	take(j, u, "id");
	take(j, u, "name");
	take(j, u, "url");
	take(j, u, "token");
	a = json_object_new_array();
	for (i = 0; i < w->nheaders; i++) {
		h = json_object_new_object();
		json_object_object_add(h, "name",
		    json_object_new_string(w->headers[i].name));
		json_object_object_add(h, "value",
		    json_object_new_string(w->headers[i].value));
		json_object_array_add(a, h);
	}
	json_object_object_add(j, "headers", a);
	/* {username, password: "********" or ""}: the model masks it. */
	take(j, u, "auth");
	e = json_object_new_object();
	json_object_object_add(e, "date", json_object_new_string(
	    w->error_date != NULL ? w->error_date : ""));
	json_object_object_add(e, "message", json_object_new_string(
	    w->error_msg != NULL ? w->error_msg : ""));
	json_object_object_add(j, "error", e);
	for (i = 0; extras[i] != NULL; i++)
		take(j, u, extras[i]);
	json_object_put(u);
	return j;
}

json_object *
api_chatbot_item_json(const struct webhook *w)
{
	json_object	*j;

	j = json_object_new_object();
	json_object_object_add(j, "id", json_object_new_string(w->uuid));
	json_object_object_add(j, "name", json_object_new_string(
	    w->name != NULL ? w->name : ""));
	json_object_object_add(j, "url", json_object_new_string(
	    w->url != NULL ? w->url : ""));
	json_object_object_add(j, "error", json_object_new_string(
	    w->error_msg != NULL ? w->error_msg : ""));
	return j;
}

json_object *
api_chatbot_status_json(const char *id, int64_t ms)
{
	json_object	*j, *s;
	char		 ts[UTIL_ISO_LEN];

	util_iso8601(ms, ts);
	j = json_object_new_object();
	json_object_object_add(j, "id", json_object_new_string(id));
	json_object_object_add(j, "timestamp", json_object_new_string(ts));
	s = json_object_new_object();
	json_object_object_add(s, "code", json_object_new_int(200));
	json_object_object_add(s, "type", json_object_new_string("success"));
	json_object_object_add(j, "status", s);
	return j;
}

static void
chatbot_list(struct api_ctx *c)
{
	api_list_all(c, api_chatbot_item_json);
}

static void
chatbot_get(struct api_ctx *c)
{
	struct webhook	 w;

	if (api_webhook_get(c, &w) == -1)
		return;
	api_json(c, 200, api_chatbot_json(&w));
	webhook_free(&w);
}

static void
chatbot_create(struct api_ctx *c)
{
	struct webhook	 w;

	if (api_webhook_create(c, 0, &w) == -1)
		return;
	api_json(c, 200, api_chatbot_status_json(w.uuid, w.created_at));
	webhook_free(&w);
}

static void
chatbot_update(struct api_ctx *c)
{
	struct webhook	 w;

	if (api_webhook_update(c, 0, &w) == -1)
		return;
	api_json(c, 200, api_chatbot_status_json(w.uuid, w.updated_at));
	webhook_free(&w);
}

static void
chatbot_delete(struct api_ctx *c)
{
	if (api_webhook_delete(c) == 0)
		api_json(c, 200, api_chatbot_status_json(c->params[0],
		    util_now_ms()));
}

/* Seed 002 answers {id, timestamp, status{code, type}}: an error is
 * {id?, timestamp, status: {code, type: "error", message}, errors?}, naming
 * the webhook when the path does, the message naming each bad field. */
static void
chatbot_error(struct api_ctx *c, int status, const char *message,
    const struct wh_errors *errs)
{
	json_object	*j, *e;
	char		 ts[UTIL_ISO_LEN], *full;

	full = api_error_message(message, errs);
	j = json_object_new_object();
	if (c->route != NULL && c->params[0] != NULL)
		json_object_object_add(j, "id",
		    json_object_new_string(c->params[0]));
	util_iso8601(util_now_ms(), ts);
	json_object_object_add(j, "timestamp", json_object_new_string(ts));
	e = json_object_new_object();
	json_object_object_add(e, "code", json_object_new_int(status));
	json_object_object_add(e, "type", json_object_new_string("error"));
	json_object_object_add(e, "message", json_object_new_string(full));
	json_object_object_add(j, "status", e);
	api_error_fields(j, errs);
	free(full);
	api_json(c, status, j);
}

static const struct route api_chatbot_routes[] = {
	{ HTTP_M(HTTP_GET), BASE, chatbot_list, SCOPE_VIEW, 0 },
	{ HTTP_M(HTTP_POST), BASE, chatbot_create, SCOPE_ADD, ROUTE_BODY },
	{ HTTP_M(HTTP_GET), BASE "/:id", chatbot_get, SCOPE_VIEW, 0 },
	{ HTTP_M(HTTP_PUT), BASE "/:id", chatbot_update, SCOPE_EDIT,
	    ROUTE_BODY },
	{ HTTP_M(HTTP_DELETE), BASE "/:id", chatbot_delete, SCOPE_REMOVE, 0 },
};
const struct dialect api_chatbot_dialect = {
	"chatbot", "/webhooks", api_chatbot_routes,
	sizeof(api_chatbot_routes) / sizeof(api_chatbot_routes[0]),
	400, chatbot_error, NULL
};
