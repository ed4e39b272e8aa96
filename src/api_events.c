/*
 * api_events: events and deliveries under the native base.
 *
 *   POST /api/2.0/events                       events:publish   202
 *   POST /api/2.0/webhooks/{uuid}/test         webhooks:edit    200, 202
 *   GET  /api/2.0/webhooks/{uuid}/deliveries   webhooks:view    200
 *   POST /api/2.0/deliveries/{id}/retry        webhooks:edit    202
 *
 * An event is accepted (202) only once its spool file is durable in new/;
 * any failed write or fsync answers 503 and leaves nothing behind.  The
 * idempotency record is written after the file, so that a crash between
 * the two costs at most a duplicate event, never an acknowledged one lost;
 * when the record cannot be written the file is taken back (if no daemon
 * claimed it yet) and the answer is 503.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "attempt.h"
#include "deliver.h"
#include "log.h"
#include "spool.h"

#define IDEM_KEY_MAX	255
#define IDEM_TTL_MS	(24LL * 3600 * 1000)

/*
 * The spool, opened on first use and kept for the life of the process (a
 * FastCGI process serves many requests; the directory descriptors are
 * what every write needs).
 */
static struct spool *
spool_of(struct api_ctx *c)
{
	static struct spool	*sp;

	if (sp == NULL)
		sp = spool_open(c->cfg->home, 1);
	return sp;
}

static void
unavailable(struct api_ctx *c, const char *msg)
{
	http_header(c->resp, "Retry-After", "1");
	api_error(c, 503, msg, NULL);
}

static int
key_ok(const char *s)
{
	size_t	 i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= IDEM_KEY_MAX || s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	return i > 0;
}

/* The checked body of POST /events. */
struct publish {
	const char	*type;
	json_object	*data;		/* borrowed from the body */
	const char	*key;		/* NULL when none */
};

static int
publish_decode(json_object *body, struct publish *p, struct wh_errors *errs)
{
	json_object	*v;

	memset(p, 0, sizeof(*p));
	if (!json_object_is_type(body, json_type_object)) {
		webhook_error(errs, "body", "The body must be a JSON object.");
		return -1;
	}
	if (!json_object_object_get_ex(body, "event", &v) || v == NULL)
		webhook_error(errs, "event", "The event field is required.");
	else if (!json_object_is_type(v, json_type_string) ||
	    !spool_type_ok(json_object_get_string(v)))
		webhook_error(errs, "event", "The event must be 1 to %d "
		    "printable characters.", SPOOL_TYPE_MAX);
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
		    !key_ok(json_object_get_string(v)))
			webhook_error(errs, "idempotency_key", "The "
			    "idempotency key must be 1 to %d printable "
			    "characters.", IDEM_KEY_MAX);
		else
			p->key = json_object_get_string(v);
	}
	return errs->count > 0 ? -1 : 0;
}

/* The answer to a publish: {id, event, timestamp}. */
static void
answer_event(struct api_ctx *c, const char *id, const char *type,
    const char *ts, int replayed)
{
	json_object	*j;

	j = json_object_new_object();
	json_object_object_add(j, "id", json_object_new_string(id));
	json_object_object_add(j, "event", json_object_new_string(type));
	json_object_object_add(j, "timestamp", json_object_new_string(ts));
	if (replayed)
		http_header(c->resp, "Idempotent-Replayed", "true");
	api_json(c, 202, j);
}

/* If rec is an idempotency record younger than 24 h, answers with its
 * event and returns 1. */
static int
replay(struct api_ctx *c, const char *rec, int64_t now)
{
	json_object	*j, *id, *type, *ts, *at;
	int		 done = 0;

	if ((j = json_tokener_parse(rec)) == NULL)
		return 0;
	if (json_object_object_get_ex(j, "event", &id) &&
	    json_object_object_get_ex(j, "type", &type) &&
	    json_object_object_get_ex(j, "timestamp", &ts) &&
	    json_object_object_get_ex(j, "at", &at) &&
	    now - json_object_get_int64(at) < IDEM_TTL_MS) {
		answer_event(c, json_object_get_string(id),
		    json_object_get_string(type), json_object_get_string(ts), 1);
		done = 1;
	}
	json_object_put(j);
	return done;
}

static void
events_publish(struct api_ctx *c)
{
	struct wh_errors	 errs;
	struct publish		 p;
	struct spool_event	 ev;
	struct spool		*sp;
	json_object		*rec;
	char			 id[37], ts[UTIL_ISO_LEN];
	char			 name[SPOOL_NAME_MAX + 1];
	char			*ikey = NULL, *old = NULL, *text;
	int64_t			 now;
	int			 rc;

	memset(&errs, 0, sizeof(errs));
	if (publish_decode(c->body, &p, &errs) == -1) {
		api_error(c, 422, "The given data was invalid.", &errs);
		return;
	}
	if ((sp = spool_of(c)) == NULL) {
		unavailable(c, "The spool is unavailable; try again.");
		return;
	}
	now = util_now_ms();
	if (p.key != NULL) {
		ikey = xasprintf("%s\n%s", c->auth.team, p.key);
		rc = store_get(c->st, STORE_IDEMPOTENCY, ikey, &old);
		if (rc == STORE_OK && replay(c, old, now))
			goto out;
		if (rc != STORE_OK && rc != STORE_NOTFOUND) {
			api_store_error(c, rc);
			goto out;
		}
		free(old);
		old = NULL;
	}

	util_uuid4(id);
	util_iso8601(now, ts);
	memset(&ev, 0, sizeof(ev));
	ev.id = id;
	ev.team = c->auth.team;
	ev.type = (char *)p.type;
	ev.timestamp = ts;
	ev.data = p.data != NULL ? p.data : json_object_new_object();
	text = spool_event_format(&ev);
	if (p.data == NULL)
		json_object_put(ev.data);
	rc = spool_enqueue(sp, text, strlen(text), id, name);
	free(text);
	if (rc == -1) {
		unavailable(c, "The event could not be stored; try again.");
		goto out;
	}

	if (p.key != NULL) {
		rec = json_object_new_object();
		json_object_object_add(rec, "event", json_object_new_string(id));
		json_object_object_add(rec, "type",
		    json_object_new_string(p.type));
		json_object_object_add(rec, "timestamp",
		    json_object_new_string(ts));
		json_object_object_add(rec, "at", json_object_new_int64(now));
		rc = store_put_new(c->st, STORE_IDEMPOTENCY, ikey,
		    api_json_string(rec), &old);
		if (rc == STORE_EXISTS && old != NULL && replay(c, old, now)) {
			/* A concurrent request with the same key won: take
			 * ours back if no daemon has it yet. */
			if (spool_withdraw(sp, name) == 1)
				log_warn("events_publish: %s: a concurrent "
				    "duplicate of key was already claimed",
				    id);
			json_object_put(rec);
			goto out;
		}
		if (rc == STORE_EXISTS)		/* expired: ours now */
			rc = store_put(c->st, STORE_IDEMPOTENCY, ikey,
			    api_json_string(rec));
		json_object_put(rec);
		/* The key could not be recorded (a full or failing disk):
		 * take the event back and answer 503, so that the client's
		 * retry with the key is safe.  A daemon that claimed it
		 * already delivers it: then it is accepted, and only a retry
		 * with this key would enqueue it again. */
		if (rc != STORE_OK && spool_withdraw(sp, name) == 0) {
			log_warn("events_publish: %s: idempotency key not "
			    "recorded (store result %d); event taken back",
			    id, rc);
			unavailable(c, "The event could not be stored; "
			    "try again.");
			goto out;
		}
		if (rc != STORE_OK)
			log_warn("events_publish: %s: idempotency key not "
			    "recorded (store result %d)", id, rc);
	}
	answer_event(c, id, p.type, ts, 0);
out:
	free(old);
	free(ikey);
}

/* ---- the test endpoint ---------------------------------------------------- */

/*
 * 200 with the attempt when it was made within PROBE_WAIT_MS; else 202 with
 * its delivery id, "status": "in_progress" and where its attempt will be
 * listed (links.deliveries).
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
	store_page_free(&pg);
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

	if ((sp = spool_of(c)) == NULL) {
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

const struct route api_events_routes[] = {
	{ HTTP_M(HTTP_POST), "/api/2.0/events", events_publish, SCOPE_PUBLISH,
	    ROUTE_BODY, API_NATIVE },
	{ HTTP_M(HTTP_POST), "/api/2.0/webhooks/:id/test", webhook_test,
	    SCOPE_EDIT, 0, API_NATIVE },
	{ HTTP_M(HTTP_GET), "/api/2.0/webhooks/:id/deliveries",
	    webhook_deliveries, SCOPE_VIEW, 0, API_NATIVE },
	{ HTTP_M(HTTP_POST), "/api/2.0/deliveries/:id/retry", delivery_retry,
	    SCOPE_EDIT, 0, API_NATIVE },
};
const size_t api_events_nroutes = sizeof(api_events_routes) /
    sizeof(api_events_routes[0]);
