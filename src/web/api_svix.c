/*
 * api_svix: Svix's API at /api/v1, so that the official Svix client
 * libraries drive this service by changing their server URL.  A token's
 * team is the Svix "environment"; its scopes map as webhooks:view for
 * reads, webhooks:add, edit and remove for the writes, events:publish
 * for sending a message (and resend, recover, send-example), webhooks:remove
 * for expunging its content.  So far: health,
 * applications (src/model/app.h), event types (src/model/event_type.h),
 * endpoints (src/model/endpoint.h, handlers in api_svix_ep.c), messages
 * and their attempts (src/model/message.h, handlers in api_svix_msg.c).
 *
 * Svix's shapes: camelCase fields, dates in RFC 3339 UTC with "Z", lists
 * {data, iterator, prevIterator, done} (limit default 50, at most 250;
 * iterator; order ascending or descending), errors {code, detail} and,
 * for 422, {detail: [{loc, msg, type}]}.  Every answer but a 204 has a JSON
 * body.  Unknown query parameters and body fields are ignored.
 *
 * Every POST is idempotent under its `idempotency-key` header (the client
 * sends one on each and retries a 5xx with it): src/model/idem.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "api_svix_int.h"
#include "app.h"
#include "event_type.h"
#include "idem.h"
#include "message.h"
#include "log.h"
#include "metrics.h"


/* ---- errors ----------------------------------------------------------- */

static const char *
svix_code(int status)
{
	switch (status) {
	case 400:	return "generic_error";
	case 401:	return "authentication_failed";
	case 403:	return "insufficient access";
	case 404:	return "not_found";
	case 405:	return "method_not_allowed";
	case 409:	return "conflict";
	case 413:	return "payload_too_large";
	case 415:	return "unsupported_media_type";
	case 429:	return "rate_limited";
	default:	return status >= 500 ? "server_error" : "generic_error";
	}
}

/*
 * Svix's error: {code, detail}, or for 422 {detail: [{loc, msg, type}]},
 * one item a bad field.  A field "query/limit" is in the query: loc
 * ["query", "limit"]; any other in the body: ["body", field].
 */
void
svix_error_code(struct api_ctx *c, int status, const char *code,
    const char *message, const struct wh_errors *errs)
{
	json_object	*j, *d, *item, *loc;
	const char	*f, *slash;
	size_t		 i;

	j = json_object_new_object();
	if (status != 422) {
		json_object_object_add(j, "code", json_object_new_string(code));
		json_object_object_add(j, "detail",
		    json_object_new_string(message));
		api_json(c, status, j);
		return;
	}
	d = json_object_new_array();
	for (i = 0; errs == NULL || i < errs->n; i++) {
		f = errs != NULL ? errs->e[i].field : "";
		item = json_object_new_object();
		loc = json_object_new_array();
		if ((slash = strchr(f, '/')) != NULL) {
			json_object_array_add(loc, json_object_new_string_len(f,
			    (int)(slash - f)));
			json_object_array_add(loc,
			    json_object_new_string(slash + 1));
		} else {
			json_object_array_add(loc,
			    json_object_new_string("body"));
			if (f[0] != '\0' && strcmp(f, "body") != 0)
				json_object_array_add(loc,
				    json_object_new_string(f));
		}
		json_object_object_add(item, "loc", loc);
		json_object_object_add(item, "msg", json_object_new_string(
		    errs != NULL ? errs->e[i].msg : message));
		json_object_object_add(item, "type",
		    json_object_new_string("value_error"));
		json_object_array_add(d, item);
		if (errs == NULL)
			break;
	}
	json_object_object_add(j, "detail", d);
	api_json(c, 422, j);
}

/* The error with the status's own code. */
void
svix_error(struct api_ctx *c, int status, const char *message,
    const struct wh_errors *errs)
{
	svix_error_code(c, status, svix_code(status), message, errs);
}

/* A model result other than STORE_OK answered: 1, or 0 for STORE_OK. */
int
svix_fail(struct api_ctx *c, int rc, const struct wh_errors *errs)
{

	switch (rc) {
	case STORE_OK:
		return 0;
	case APP_INVALID:
		svix_error(c, 422, "The given data was invalid.", errs);
		break;
	case STORE_NOTFOUND:
		svix_error(c, 404, "Entity not found", NULL);
		break;
	case STORE_EXISTS:
		svix_error(c, 409, "An application with this uid already "
		    "exists.", NULL);
		break;
	case MSG_SPOOL:
		/* The spool could not take it (a failing disk): nothing is
		 * queued; the client retries a 5xx with its key. */
		http_header(c->resp, "Retry-After", "1");
		svix_error(c, 503, "The message could not be queued; try "
		    "again.", NULL);
		break;
	default:
		http_header(c->resp, "Retry-After", "1");
		svix_error(c, 503, "The store is unavailable; try again.",
		    NULL);
		break;
	}
	return 1;
}

/* Whether a PUT may make what it names when it is absent: making one needs
 * webhooks:add, as a POST does. */
int
svix_may_create(const struct api_ctx *c)
{
	return (c->auth.scopes & SCOPE_ADD) != 0;
}

/* A PUT's model result answered as svix_fail does, but an absent `what`
 * that the token may not make is a 403, not a 404. */
int
svix_put_fail(struct api_ctx *c, int rc, const char *what,
    const struct wh_errors *errs)
{
	char	 msg[160];

	if (rc == STORE_NOTFOUND && !svix_may_create(c)) {
		snprintf(msg, sizeof(msg), "There is no such %s, and this token "
		    "lacks the scope webhooks:add to make it.", what);
		svix_error(c, 403, msg, NULL);
		return 1;
	}
	return svix_fail(c, rc, errs);
}

/* ---- idempotency ------------------------------------------------------ */

/* Runs fn as the first answer of the request's idempotency key, or answers
 * the first answer again (idem.h). */
void
svix_idempotent(struct api_ctx *c, void (*fn)(struct api_ctx *))
{
	struct idem	 i;
	const char	*key;
	int		 store_res;

	key = http_param(c->req, "HTTP_IDEMPOTENCY_KEY");
	switch (idem_begin(c->st, c->auth.id, key, c->req->path, &i,
	    &store_res)) {
	case IDEM_FIRST:
		fn(c);
		idem_end(c->st, &i, c->resp->status, c->resp->body.p);
		return;
	case IDEM_REPLAY:
		c->resp->status = i.status;
		http_header(c->resp, "Content-Type", "application/json");
		http_header(c->resp, "Idempotent-Replayed", "true");
		buf_reset(&c->resp->body);
		buf_puts(&c->resp->body, i.body);
		idem_free(&i);
		return;
	case IDEM_BUSY:
		svix_error(c, 409, "A request with this idempotency key is "
		    "still in progress.", NULL);
		return;
	case IDEM_INVALID: {
		struct wh_errors errs;

		memset(&errs, 0, sizeof(errs));
		webhook_error(&errs, "header/idempotency-key", "must be 1 to "
		    "255 printable ASCII characters");
		svix_error(c, 422, "", &errs);
		return;
	}
	case IDEM_STORE:
		svix_fail(c, store_res, NULL);
		return;
	}
}

/* ---- health ----------------------------------------------------------- */

/* GET /api/v1/health: Svix's HealthReport, 200 or 500. */
static void
svix_health(struct api_ctx *c)
{
	json_object	*j, *s;
	struct buf	 scratch;
	const char	*part[] = { "database", "queue", "cache" };
	size_t		 i;
	int		 ok;

	buf_init(&scratch);
	ok = metrics_health(c->st, api_ctx_spool(c), &scratch) == 0;
	buf_free(&scratch);
	j = json_object_new_object();
	for (i = 0; i < sizeof(part) / sizeof(part[0]); i++) {
		s = json_object_new_object();
		json_object_object_add(s, "status",
		    json_object_new_string(ok ? "Ok" : "Error"));
		json_object_object_add(j, part[i], s);
	}
	api_json(c, ok ? 200 : 500, j);
}

/* GET /api/v1/health/ping: 204. */
static void
svix_ping(struct api_ctx *c)
{
	api_json(c, 204, NULL);
}

/* ---- applications ----------------------------------------------------- */

/* 1 if the query's boolean name is "true" (or "1"). */
int
svix_query_true(struct api_ctx *c, const char *name)
{
	char	 v[8];

	return http_query(c->req, name, v, sizeof(v)) == 0 &&
	    (strcmp(v, "true") == 0 || strcmp(v, "1") == 0);
}

static void
app_answer(struct api_ctx *c, int status, struct app *a)
{
	api_json(c, status, app_to_json(a));
	app_free(a);
}

static void
svix_app_create(struct api_ctx *c)
{
	struct wh_errors errs;
	struct app	 a;
	int		 created, rc;

	memset(&errs, 0, sizeof(errs));
	rc = app_create(c->st, c->auth.team, c->body,
	    svix_query_true(c, "get_if_exists"), &a, &created, &errs);
	if (svix_fail(c, rc, &errs))
		return;
	if (created)
		log_info("svix_app_create: team %s: application %s",
		    c->auth.team, a.id);
	app_answer(c, created ? 201 : 200, &a);
}

static void
svix_app_get(struct api_ctx *c)
{
	struct app	 a;

	if (!svix_fail(c, app_get(c->st, c->auth.team, c->params[0], &a),
	    NULL))
		app_answer(c, 200, &a);
}

static void
svix_app_put(struct api_ctx *c)
{
	struct wh_errors errs;
	struct app	 a;
	int		 created, rc;

	memset(&errs, 0, sizeof(errs));
	rc = app_put(c->st, c->auth.team, c->params[0], c->body,
	    svix_may_create(c), &a, &created, &errs);
	if (!svix_put_fail(c, rc, "application", &errs))
		app_answer(c, created ? 201 : 200, &a);
}

static void
svix_app_patch(struct api_ctx *c)
{
	struct wh_errors errs;
	struct app	 a;

	memset(&errs, 0, sizeof(errs));
	if (!svix_fail(c, app_patch(c->st, c->auth.team, c->params[0],
	    c->body, &a, &errs), &errs))
		app_answer(c, 200, &a);
}

static void
svix_app_delete(struct api_ctx *c)
{
	if (!svix_fail(c, app_delete(c->st, c->auth.team, c->params[0]),
	    NULL)) {
		log_info("svix_app_delete: team %s: application %s",
		    c->auth.team, c->params[0]);
		api_json(c, 204, NULL);
	}
}

/* 1 if the query names the parameter, whatever its value. */
int
svix_query_has(struct api_ctx *c, const char *name)
{
	const char	*p = c->req->query;
	size_t		 n = strlen(name);

	while (*p != '\0') {
		if (strncmp(p, name, n) == 0 && (p[n] == '=' || p[n] == '&' ||
		    p[n] == '\0'))
			return 1;
		p += strcspn(p, "&");
		if (*p == '&')
			p++;
	}
	return 0;
}

/*
 * The list parameters: limit (1..250, default 50), iterator, order; 0, or
 * -1 with a 422 answered.
 */
int
svix_list_params(struct api_ctx *c, size_t *limit, char *iter, size_t iterlen,
    int *desc)
{
	struct wh_errors errs;
	char		 v[32], *end;
	long		 n;
	int		 rc;

	memset(&errs, 0, sizeof(errs));
	*limit = SVIX_LIMIT_DEFAULT;
	rc = http_query(c->req, "limit", v, sizeof(v));
	if (rc == 0 || svix_query_has(c, "limit")) {
		n = rc == 0 ? strtol(v, &end, 10) : -1;
		if (rc != 0 || end == v || *end != '\0' || n < 1 ||
		    n > SVIX_LIMIT_MAX)
			webhook_error(&errs, "query/limit", "ensure this value "
			    "is from 1 to %d", SVIX_LIMIT_MAX);
		else
			*limit = (size_t)n;
	}
	iter[0] = '\0';
	if (http_query(c->req, "iterator", iter, iterlen) == -1) {
		iter[0] = '\0';
		if (svix_query_has(c, "iterator"))
			webhook_error(&errs, "query/iterator", "not an "
			    "iterator of this list");
	}
	*desc = 0;
	if (http_query(c->req, "order", v, sizeof(v)) == 0) {
		if (strcmp(v, "descending") == 0)
			*desc = 1;
		else if (strcmp(v, "ascending") != 0)
			webhook_error(&errs, "query/order", "must be "
			    "ascending or descending");
	}
	if (errs.count > 0) {
		svix_error(c, 422, "", &errs);
		return -1;
	}
	return 0;
}

/*
 * A list's answer: {data, iterator, prevIterator, done}.  iterator goes on
 * from the last item (last), prevIterator ("-" and the first) back from
 * the first; both null for an empty page.  Svix's done: nothing more
 * onwards; a page read backwards (back) always has the page it came from.
 */
json_object *
svix_list_page(json_object *data, const char *first, const char *last,
    int back, int more)
{
	json_object	*j;
	char		*prev;

	j = json_object_new_object();
	json_object_object_add(j, "data", data);
	json_object_object_add(j, "iterator", last != NULL ?
	    json_object_new_string(last) : NULL);
	if (first != NULL) {
		prev = xmalloc(strlen(first) + 2);
		prev[0] = '-';
		strcpy(prev + 1, first);
		json_object_object_add(j, "prevIterator",
		    json_object_new_string(prev));
		free(prev);
	} else
		json_object_object_add(j, "prevIterator", NULL);
	json_object_object_add(j, "done",
	    json_object_new_boolean(back ? 0 : !more));
	return j;
}

static void
svix_app_list(struct api_ctx *c)
{
	struct app	*as;
	json_object	*j, *d;
	char		 iter[APP_ID_MAX + 2];
	size_t		 limit, n, i;
	int		 desc, more, back;

	if (svix_list_params(c, &limit, iter, sizeof(iter), &desc) == -1)
		return;
	back = iter[0] == '-';
	if (svix_fail(c, app_list(c->st, c->auth.team, iter[0] ? iter : NULL,
	    desc, limit, &as, &n, &more), NULL))
		return;
	d = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(d, app_to_json(&as[i]));
	j = svix_list_page(d, n > 0 ? as[0].id : NULL, n > 0 ? as[n - 1].id :
	    NULL, back, more);
	for (i = 0; i < n; i++)
		app_free(&as[i]);
	free(as);
	api_json(c, 200, j);
}

/* ---- event types ----------------------------------------------------- */

static void
evtype_answer(struct api_ctx *c, int status, struct evtype *e)
{
	api_json(c, status, evtype_to_json(e, 1));
	evtype_free(e);
}

static void
svix_evtype_create(struct api_ctx *c)
{
	struct wh_errors errs;
	struct evtype	 e;
	int		 rc;

	memset(&errs, 0, sizeof(errs));
	rc = evtype_create(c->st, c->auth.team, c->body, &e, &errs);
	if (rc == STORE_EXISTS) {
		/* Svix's own code for it. */
		svix_error_code(c, 409, "event_type_exists", "An event_type "
		    "with this name already exists", NULL);
		return;
	}
	if (svix_fail(c, rc, &errs))
		return;
	log_info("svix_evtype_create: team %s: event type %s", c->auth.team,
	    e.name);
	evtype_answer(c, 201, &e);
}

static void
svix_evtype_get(struct api_ctx *c)
{
	struct evtype	 e;

	if (!svix_fail(c, evtype_get(c->st, c->auth.team, c->params[0], &e),
	    NULL))
		evtype_answer(c, 200, &e);
}

static void
svix_evtype_put(struct api_ctx *c)
{
	struct wh_errors errs;
	struct evtype	 e;
	int		 created, rc;

	memset(&errs, 0, sizeof(errs));
	rc = evtype_put(c->st, c->auth.team, c->params[0], c->body,
	    svix_may_create(c), &e, &created, &errs);
	if (!svix_put_fail(c, rc, "event type", &errs))
		evtype_answer(c, created ? 201 : 200, &e);
}

static void
svix_evtype_patch(struct api_ctx *c)
{
	struct wh_errors errs;
	struct evtype	 e;

	memset(&errs, 0, sizeof(errs));
	if (!svix_fail(c, evtype_patch(c->st, c->auth.team, c->params[0],
	    c->body, &e, &errs), &errs))
		evtype_answer(c, 200, &e);
}

static void
svix_evtype_delete(struct api_ctx *c)
{
	int	 expunge = svix_query_true(c, "expunge");

	if (!svix_fail(c, evtype_delete(c->st, c->auth.team, c->params[0],
	    expunge), NULL)) {
		log_info("svix_evtype_delete: team %s: event type %s %s",
		    c->auth.team, c->params[0], expunge ? "expunged" :
		    "archived");
		api_json(c, 204, NULL);
	}
}

static void
svix_evtype_list(struct api_ctx *c)
{
	struct evtype	*es;
	json_object	*j, *d;
	char		 iter[EVENT_TYPE_MAX + 2];
	size_t		 limit, n, i;
	int		 desc, more, back, content;

	if (svix_list_params(c, &limit, iter, sizeof(iter), &desc) == -1)
		return;
	back = iter[0] == '-';
	content = svix_query_true(c, "with_content");
	if (svix_fail(c, evtype_list(c->st, c->auth.team, iter[0] ? iter :
	    NULL, desc, svix_query_true(c, "include_archived"), limit, &es, &n,
	    &more), NULL))
		return;
	d = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(d, evtype_to_json(&es[i], content));
	/* As an application list's, the names being the iterators. */
	j = svix_list_page(d, n > 0 ? es[0].name : NULL, n > 0 ?
	    es[n - 1].name : NULL, back, more);
	for (i = 0; i < n; i++)
		evtype_free(&es[i]);
	free(es);
	api_json(c, 200, j);
}

/* Every route: "/api/v1//app/" is "/api/v1/app". */
#define SL	ROUTE_SLASHES

static const struct route api_svix_routes[] = {
	{ HTTP_M(HTTP_GET), SVIX_BASE "/health", svix_health, 0,
	  ROUTE_NOAUTH | SL },
	{ HTTP_M(HTTP_GET), SVIX_BASE "/health/ping", svix_ping, 0,
	  ROUTE_NOAUTH | SL },
	{ HTTP_M(HTTP_GET), SVIX_BASE "/app", svix_app_list, SCOPE_VIEW, SL },
	{ HTTP_M(HTTP_POST), SVIX_BASE "/app", svix_app_create, SCOPE_ADD,
	  ROUTE_BODY | SL },
	{ HTTP_M(HTTP_GET), SVIX_BASE "/app/:app", svix_app_get, SCOPE_VIEW, SL },
	{ HTTP_M(HTTP_PUT), SVIX_BASE "/app/:app", svix_app_put, SCOPE_EDIT,
	  ROUTE_BODY | SL },
	{ HTTP_M(HTTP_PATCH), SVIX_BASE "/app/:app", svix_app_patch, SCOPE_EDIT,
	  ROUTE_BODY | SL },
	{ HTTP_M(HTTP_DELETE), SVIX_BASE "/app/:app", svix_app_delete,
	  SCOPE_REMOVE, SL },
	{ HTTP_M(HTTP_GET), SVIX_BASE "/app/:app/endpoint", svix_ep_list,
	  SCOPE_VIEW, SL },
	{ HTTP_M(HTTP_POST), SVIX_BASE "/app/:app/endpoint", svix_ep_create,
	  SCOPE_ADD, ROUTE_BODY | SL },
	{ HTTP_M(HTTP_GET), SVIX_BASE "/app/:app/endpoint/:ep", svix_ep_get,
	  SCOPE_VIEW, SL },
	{ HTTP_M(HTTP_PUT), SVIX_BASE "/app/:app/endpoint/:ep", svix_ep_put,
	  SCOPE_EDIT, ROUTE_BODY | SL },
	{ HTTP_M(HTTP_PATCH), SVIX_BASE "/app/:app/endpoint/:ep", svix_ep_patch,
	  SCOPE_EDIT, ROUTE_BODY | SL },
	{ HTTP_M(HTTP_DELETE), SVIX_BASE "/app/:app/endpoint/:ep",
	  svix_ep_delete, SCOPE_REMOVE, SL },
	{ HTTP_M(HTTP_GET), SVIX_BASE "/app/:app/endpoint/:ep/headers",
	  svix_ep_headers_get, SCOPE_VIEW, SL },
	{ HTTP_M(HTTP_PUT), SVIX_BASE "/app/:app/endpoint/:ep/headers",
	  svix_ep_headers_put, SCOPE_EDIT, ROUTE_BODY | SL },
	{ HTTP_M(HTTP_PATCH), SVIX_BASE "/app/:app/endpoint/:ep/headers",
	  svix_ep_headers_patch, SCOPE_EDIT, ROUTE_BODY | SL },
	{ HTTP_M(HTTP_GET), SVIX_BASE "/app/:app/endpoint/:ep/secret",
	  svix_ep_secret, SCOPE_VIEW, SL },
	{ HTTP_M(HTTP_POST), SVIX_BASE "/app/:app/endpoint/:ep/secret/rotate",
	  svix_ep_rotate, SCOPE_EDIT, ROUTE_BODY_OPT | SL },
	{ HTTP_M(HTTP_GET), SVIX_BASE "/event-type", svix_evtype_list, SCOPE_VIEW,
	  SL },
	{ HTTP_M(HTTP_POST), SVIX_BASE "/event-type", svix_evtype_create,
	  SCOPE_ADD, ROUTE_BODY | SL },
	{ HTTP_M(HTTP_GET), SVIX_BASE "/event-type/:name", svix_evtype_get,
	  SCOPE_VIEW, SL },
	{ HTTP_M(HTTP_PUT), SVIX_BASE "/event-type/:name", svix_evtype_put,
	  SCOPE_EDIT, ROUTE_BODY | SL },
	{ HTTP_M(HTTP_PATCH), SVIX_BASE "/event-type/:name", svix_evtype_patch,
	  SCOPE_EDIT, ROUTE_BODY | SL },
	{ HTTP_M(HTTP_DELETE), SVIX_BASE "/event-type/:name", svix_evtype_delete,
	  SCOPE_REMOVE, SL },
	/* Messages: api_svix_msg.c.  Creating one publishes an event. */
	{ HTTP_M(HTTP_GET), SVIX_BASE "/app/:app/msg", svix_msg_list,
	  SCOPE_VIEW, SL },
	{ HTTP_M(HTTP_POST), SVIX_BASE "/app/:app/msg", svix_msg_create,
	  SCOPE_PUBLISH, ROUTE_BODY | SL },
	{ HTTP_M(HTTP_GET), SVIX_BASE "/app/:app/msg/:msg", svix_msg_get,
	  SCOPE_VIEW, SL },
	/* Attempts: the attempt log of the messages' deliveries. */
	{ HTTP_M(HTTP_GET), SVIX_BASE "/app/:app/attempt/endpoint/:ep",
	  svix_attempt_by_endpoint, SCOPE_VIEW, SL },
	{ HTTP_M(HTTP_GET), SVIX_BASE "/app/:app/attempt/msg/:msg",
	  svix_attempt_by_msg, SCOPE_VIEW, SL },
	{ HTTP_M(HTTP_GET), SVIX_BASE "/app/:app/msg/:msg/attempt/:attempt",
	  svix_attempt_get, SCOPE_VIEW, SL },
	{ HTTP_M(HTTP_POST), SVIX_BASE "/app/:app/msg/:msg/endpoint/:ep/resend",
	  svix_resend, SCOPE_PUBLISH, SL },
	{ HTTP_M(HTTP_GET), SVIX_BASE "/app/:app/endpoint/:ep/stats",
	  svix_ep_stats, SCOPE_VIEW, SL },
	{ HTTP_M(HTTP_POST), SVIX_BASE "/app/:app/endpoint/:ep/recover",
	  svix_ep_recover, SCOPE_PUBLISH, ROUTE_BODY | SL },
	{ HTTP_M(HTTP_GET), SVIX_BASE "/app/:app/endpoint/:ep/msg",
	  svix_attempted_msgs, SCOPE_VIEW, SL },
	{ HTTP_M(HTTP_GET), SVIX_BASE "/app/:app/msg/:msg/endpoint",
	  svix_attempted_destinations, SCOPE_VIEW, SL },
	{ HTTP_M(HTTP_DELETE), SVIX_BASE "/app/:app/msg/:msg/content",
	  svix_msg_expunge, SCOPE_REMOVE, SL },
	{ HTTP_M(HTTP_POST), SVIX_BASE "/app/:app/endpoint/:ep/send-example",
	  svix_send_example, SCOPE_PUBLISH, ROUTE_BODY | SL },
};
/* Every POST is idempotent under its idempotency-key (Svix's clients send
 * one on each and retry a 5xx with it): here, not in each handler. */
static void
svix_run(struct api_ctx *c, route_fn fn)
{
	if (c->req->method == HTTP_POST)
		svix_idempotent(c, fn);
	else
		fn(c);
}

const struct dialect api_svix_dialect = {
	"svix", SVIX_BASE, api_svix_routes,
	sizeof(api_svix_routes) / sizeof(api_svix_routes[0]),
	422, svix_error, svix_run
};
