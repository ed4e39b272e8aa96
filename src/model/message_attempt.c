/*
 * message_attempt: what the attempt log says of the Svix dialect's
 * messages (message.h): a message's attempts and an endpoint's, resend,
 * an endpoint's outcomes (stats, recover), the messages attempted at an
 * endpoint and the endpoints a message was attempted at.  The message
 * itself (its record, JSON, create, get, list, expunge) is message.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attempt.h"
#include "delivery.h"
#include "endpoint.h"
#include "event.h"
#include "log.h"
#include "message.h"
#include "util.h"
/* ---- endpoints, attempts, resend ------------------------------------- */

int
message_endpoint(struct store *st, const char *team, const char *app_id,
    const char *ep_ref, struct webhook *w)
{
	/* An endpoint's id or uid, the endpoint model's way. */
	return endpoint_get(st, team, app_id, ep_ref, w);
}

/* The time of a version 7 UUID (its first 48 bits), or -1. */
static int64_t
msg_uuid_ms(const char *u)
{
	int64_t	 t = 0;
	size_t	 i;
	int	 c;

	for (i = 0; i < 13; i++) {
		if (i == 8)
			continue;	/* the first '-' */
		c = (unsigned char)u[i];
		if (c >= '0' && c <= '9')
			t = t * 16 + (c - '0');
		else if (c >= 'a' && c <= 'f')
			t = t * 16 + (c - 'a' + 10);
		else
			return -1;
	}
	return t;
}

/* What message_attempts gathers. */
struct msg_att {
	const char	*app;
	const char	*event;		/* the message's UUID, or NULL */
	const char	*attempt;	/* the attempt's UUID, or NULL */
	char		**eps;		/* the endpoints' uuids and urls */
	char		**urls;
	size_t		 neps;
};

static int
msg_att_each(struct webhook *w, void *arg)
{
	struct msg_att	*x = arg;

	if (w->app != NULL && strcmp(w->app, x->app) == 0) {
		x->eps = xrealloc(x->eps, (x->neps + 1) * sizeof(char *));
		x->urls = xrealloc(x->urls, (x->neps + 1) * sizeof(char *));
		x->eps[x->neps] = xstrdup(w->uuid);
		x->urls[x->neps++] = xstrdup(w->url != NULL ? w->url : "");
	}
	webhook_free(w);
	return 0;
}

/* The string member key of j, or "". */
static const char *
msg_str(json_object *j, const char *key)
{
	json_object	*v;

	return json_object_object_get_ex(j, key, &v) && v != NULL ?
	    json_object_get_string(v) : "";
}

/* Svix's MessageAttemptOut of a native attempt (attempt.h's JSON). */
static json_object *
msg_attempt_out(json_object *a, const char *ep_uuid, const char *url)
{
	json_object	*j, *v;
	char		 id[APP_ID_MAX + 1];
	int		 status, ok;

	j = json_object_new_object();
	if (app_id_from_uuid("atmpt_", msg_str(a, "id"), id) == -1)
		snprintf(id, sizeof(id), "atmpt_");
	json_object_object_add(j, "id", json_object_new_string(id));
	json_object_object_add(j, "url", json_object_new_string(url));
	json_object_object_add(j, "response",
	    json_object_new_string(msg_str(a, "response_body")));
	status = json_object_object_get_ex(a, "status_code", &v) && v != NULL ?
	    json_object_get_int(v) : 0;
	json_object_object_add(j, "responseStatusCode",
	    json_object_new_int(status));
	json_object_object_add(j, "responseDurationMs", json_object_new_int64(
	    json_object_object_get_ex(a, "latency_ms", &v) ?
	    json_object_get_int64(v) : 0));
	/* Svix: 0 success, 1 pending, 2 fail, 3 sending; and in words. */
	ok = json_object_object_get_ex(a, "success", &v) &&
	    json_object_get_boolean(v);
	json_object_object_add(j, "status", json_object_new_int(ok ? 0 : 2));
	json_object_object_add(j, "statusText",
	    json_object_new_string(ok ? "success" : "fail"));
	/* 0 scheduled, 1 manual. */
	json_object_object_add(j, "triggerType", json_object_new_int(
	    json_object_object_get_ex(a, "manual", &v) &&
	    json_object_get_boolean(v) ? 1 : 0));
	if (app_id_from_uuid("msg_", msg_str(a, "event_id"), id) == -1)
		snprintf(id, sizeof(id), "msg_");
	json_object_object_add(j, "msgId", json_object_new_string(id));
	if (app_id_from_uuid("ep_", ep_uuid, id) == -1)
		snprintf(id, sizeof(id), "ep_");
	json_object_object_add(j, "endpointId", json_object_new_string(id));
	json_object_object_add(j, "timestamp",
	    json_object_new_string(msg_str(a, "created_at")));
	return j;
}

static int
msg_att_newest_first(const void *a, const void *b)
{
	json_object *const *x = a, *const *y = b;

	/* The ids are UUID7s' base62: their order is time order. */
	return -strcmp(msg_str(*x, "id"), msg_str(*y, "id"));
}

int
message_attempts(struct store *st, const char *team, const char *app_ref,
    const char *msg_ref, const char *ep_ref, const char *attempt_ref,
    json_object **out)
{
	struct msg_att	 x;
	struct store_page pg;
	struct message	 m;
	struct webhook	 w;
	struct app	 a;
	json_object	*all, *one;
	char		 muuid[37], auuid[37], since[UTIL_ISO_LEN];
	const char	*at;
	size_t		 i, k, off;
	int64_t		 since_ms;
	int		 rc, older;

	*out = NULL;
	memset(&x, 0, sizeof(x));
	memset(&m, 0, sizeof(m));
	if ((rc = app_get(st, team, app_ref, &a)) != STORE_OK)
		return rc;
	x.app = a.id;
	if (msg_ref != NULL) {
		if ((rc = message_get(st, team, a.id, msg_ref, &m)) != STORE_OK)
			goto out;
		snprintf(muuid, sizeof(muuid), "%s", m.uuid);
		x.event = muuid;
	}
	if (attempt_ref != NULL) {
		if (app_uuid_from_id("atmpt_", attempt_ref, auuid) == -1) {
			rc = STORE_NOTFOUND;
			goto out;
		}
		x.attempt = auuid;
	}
	if (ep_ref != NULL) {
		if ((rc = message_endpoint(st, team, a.id, ep_ref, &w)) !=
		    STORE_OK)
			goto out;
		msg_att_each(&w, &x);
	} else {
		struct webhook	*ws;
		size_t		 nws, j;

		if ((rc = endpoint_all(st, team, a.id, &ws, &nws)) != STORE_OK)
			goto out;
		for (j = 0; j < nws; j++)
			msg_att_each(&ws[j], &x);	/* frees each */
		free(ws);
	}
	rc = STORE_OK;
	/* A log is read newest first: attempts made before the message (or
	 * the attempt asked for, by its UUID's time) end the walk, with a
	 * minute's slack, so that a recent message costs its own attempts,
	 * not the endpoint's whole log. */
	since[0] = '\0';
	since_ms = x.attempt != NULL ? msg_uuid_ms(x.attempt) :
	    x.event != NULL ? m.created_ms : -1;
	if (since_ms > 60000)
		util_iso8601(since_ms - 60000, since);
	all = json_object_new_array();
	for (i = 0; i < x.neps && rc == STORE_OK; i++)
		for (off = 0, older = 0; !older && off < MSG_ATTEMPTS_SCAN;
		    off += 500) {
			memset(&pg, 0, sizeof(pg));
			if ((rc = attempt_list(st, x.eps[i], off, 500, &pg)) !=
			    STORE_OK)
				break;
			for (k = 0; k < pg.n && !older; k++) {
				if ((one = json_tokener_parse(pg.recs[k])) ==
				    NULL)
					continue;
				at = msg_str(one, "created_at");
				if (since[0] != '\0' && at[0] != '\0' &&
				    strcmp(at, since) < 0) {
					older = 1;
					json_object_put(one);
					break;
				}
				if ((x.event == NULL || strcmp(msg_str(one,
				    "event_id"), x.event) == 0) &&
				    (x.attempt == NULL || strcmp(msg_str(one,
				    "id"), x.attempt) == 0))
					json_object_array_add(all,
					    msg_attempt_out(one, x.eps[i],
					    x.urls[i]));
				json_object_put(one);
			}
			k = pg.n;
			attempt_page_free(&pg);
			if (k < 500)
				break;
		}
	if (rc != STORE_OK) {
		json_object_put(all);
		goto out;
	}
	json_object_array_sort(all, msg_att_newest_first);
	*out = all;
out:
	for (i = 0; i < x.neps; i++) {
		free(x.eps[i]);
		free(x.urls[i]);
	}
	free(x.eps);
	free(x.urls);
	message_free(&m);
	app_free(&a);
	return rc;
}

int
message_resend(struct store *st, struct spool *sp, const char *team,
    const char *app_ref, const char *msg_ref, const char *ep_ref)
{
	struct spool_event	 ev;
	struct message		 m;
	struct webhook		 w;
	char			 ts[UTIL_ISO_LEN], name[SPOOL_NAME_MAX + 1];
	char			*text;
	int			 rc;

	if ((rc = message_get(st, team, app_ref, msg_ref, &m)) != STORE_OK)
		return rc;
	if ((rc = message_endpoint(st, team, m.app, ep_ref, &w)) !=
	    STORE_OK) {
		message_free(&m);
		return rc;
	}
	if (m.expunged) {
		webhook_free(&w);
		message_free(&m);
		return MSG_EXPUNGED;
	}
	/* The message's event as a manual delivery of it to w: one attempt,
	 * the same svix-id. */
	memset(&ev, 0, sizeof(ev));
	util_iso8601(m.created_ms, ts);
	ev.id = m.uuid;
	ev.team = (char *)team;
	ev.type = m.event_type;
	ev.timestamp = ts;
	ev.data = m.payload;
	ev.webhook = w.uuid;
	ev.manual = 1;
	ev.app = m.app;
	ev.channels = m.channels;
	ev.nchannels = m.nchannels;
	ev.svix = 1;
	text = spool_event_format(&ev);
	rc = spool_enqueue(sp, text, strlen(text), NULL, name) == -1 ?
	    MSG_SPOOL : STORE_OK;
	free(text);
	webhook_free(&w);
	message_free(&m);
	return rc;
}

/* ---- an endpoint's outcomes: stats and recover ------------------------ */

/* One message's outcome at an endpoint. */
struct msg_outcome {
	char	 uuid[37];
	int	 status;	/* Svix's: 0 success, 1 pending, 2 fail */
	int	 last;		/* the latest attempt's: 0 success, 2 fail */
	char	 next[UTIL_ISO_LEN]; /* its retry's time; "" none due */
};

/*
 * The outcome of each message of the endpoint's attempts (newest first:
 * the first attempt seen of a message is its latest) made in [since,
 * until] into *os (*n of them; the caller frees the array).
 */
static int
msg_outcomes(struct store *st, const char *team, const char *app_ref,
    const char *ep_ref, int64_t since, int64_t until,
    struct msg_outcome **os, size_t *n)
{
	struct store_page pg;
	struct webhook	 w;
	struct app	 a;
	json_object	*one, *v;
	const char	*ev, *state;
	size_t		 off, k, i, got;
	int64_t		 t;
	int		 rc, success;

	*os = NULL;
	*n = 0;
	if ((rc = app_get(st, team, app_ref, &a)) != STORE_OK)
		return rc;
	rc = message_endpoint(st, team, a.id, ep_ref, &w);
	app_free(&a);
	if (rc != STORE_OK)
		return rc;
	for (off = 0; off < MSG_ATTEMPTS_SCAN && rc == STORE_OK; off += got) {
		memset(&pg, 0, sizeof(pg));
		if ((rc = attempt_list(st, w.uuid, off, 500, &pg)) != STORE_OK)
			break;
		got = pg.n;
		for (k = 0; k < pg.n; k++) {
			if ((one = json_tokener_parse(pg.recs[k])) == NULL)
				continue;
			ev = msg_str(one, "event_id");
			t = msg_uuid_ms(ev);
			if (strlen(ev) != 36 || t == -1 ||
			    (since > 0 && t < since) || (until > 0 && t > until)) {
				json_object_put(one);
				continue;
			}
			success = json_object_object_get_ex(one, "success", &v) &&
			    json_object_get_boolean(v);
			state = msg_str(one, "state");
			for (i = 0; i < *n; i++)
				if (strcmp((*os)[i].uuid, ev) == 0)
					break;
			if (i == *n) {
				*os = xrealloc(*os, (*n + 1) * sizeof(**os));
				snprintf((*os)[i].uuid, sizeof((*os)[i].uuid),
				    "%s", ev);
				(*os)[i].status = success ? 0 :
				    strcmp(state, "retrying") == 0 ? 1 : 2;
				(*os)[i].last = success ? 0 : 2;
				snprintf((*os)[i].next, sizeof((*os)[i].next),
				    "%s", strcmp(state, "retrying") == 0 ?
				    msg_str(one, "next_attempt_at") : "");
				(*n)++;
			} else if (success)
				(*os)[i].status = 0;
			json_object_put(one);
		}
		attempt_page_free(&pg);
		if (got < 500)
			break;
	}
	webhook_free(&w);
	if (rc != STORE_OK) {
		free(*os);
		*os = NULL;
		*n = 0;
	}
	return rc;
}

int
message_endpoint_stats(struct store *st, const char *team,
    const char *app_ref, const char *ep_ref, int64_t since_ms,
    int64_t until_ms, struct msg_stats *s)
{
	struct msg_outcome	*os;
	size_t			 n, i;
	int			 rc;

	memset(s, 0, sizeof(*s));
	if ((rc = msg_outcomes(st, team, app_ref, ep_ref, since_ms, until_ms,
	    &os, &n)) != STORE_OK)
		return rc;
	for (i = 0; i < n; i++) {
		if (os[i].status == 0)
			s->success++;
		else if (os[i].status == 1)
			s->pending++;
		else
			s->fail++;
	}
	free(os);
	return STORE_OK;
}

int
message_recover(struct store *st, struct spool *sp, const char *team,
    const char *app_ref, const char *ep_ref, int64_t since_ms,
    int64_t until_ms, size_t *n)
{
	struct msg_outcome	*os;
	struct app		 a;
	char			 id[APP_ID_MAX + 1];
	size_t			 k, i;
	int			 rc;

	*n = 0;
	if ((rc = msg_outcomes(st, team, app_ref, ep_ref, since_ms, until_ms,
	    &os, &k)) != STORE_OK)
		return rc;
	if ((rc = app_get(st, team, app_ref, &a)) != STORE_OK) {
		free(os);
		return rc;
	}
	for (i = 0; i < k && rc == STORE_OK; i++) {
		if (os[i].status != 2 ||
		    app_id_from_uuid("msg_", os[i].uuid, id) == -1)
			continue;
		rc = message_resend(st, sp, team, a.id, id, ep_ref);
		if (rc == STORE_NOTFOUND || rc == MSG_EXPUNGED)
			rc = STORE_OK;	/* pruned meanwhile, or expunged */
		else if (rc == STORE_OK)
			(*n)++;
	}
	app_free(&a);
	free(os);
	return rc;
}

/* ---- an endpoint's attempted messages, a message's endpoints ---------- */

void
message_attempted_free(struct msg_attempted *v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		message_free(&v[i].m);
		webhook_free(&v[i].w);
	}
	free(v);
}

static int
msg_outcome_newest_first(const void *a, const void *b)
{
	const struct msg_outcome *x = a, *y = b;

	return -strcmp(x->uuid, y->uuid);
}

/*
 * The iterator of a list in uuid order: its id's UUID into uuid (prefix
 * "msg_" or "ep_") and whether it goes backwards; "" for none.  0, or -1
 * with errs.
 */
static int
msg_iterator(const char *iterator, const char *prefix, char *uuid, int *back,
    struct wh_errors *errs)
{
	uuid[0] = '\0';
	*back = 0;
	if (iterator == NULL)
		return 0;
	if (iterator[0] == '-') {
		*back = 1;
		iterator++;
	}
	if (strlen(iterator) > APP_ID_MAX ||
	    app_uuid_from_id(prefix, iterator, uuid) == -1) {
		webhook_error(errs, "query/iterator", "not an iterator of "
		    "this list");
		return -1;
	}
	return 0;
}

/* Whether the outcome o passes Svix's status filter want (-1: any), and
 * the status to answer into *shown. */
static int
msg_status_kept(const struct msg_outcome *o, int want, int *shown)
{
	int	 due = o->next[0] != '\0';

	switch (want) {
	case 0:
		*shown = 0;
		return o->status == 0;
	case 2:
		*shown = 2;
		return o->status != 0 && !due;
	case 3:
		*shown = 3;
		return o->status != 0 && due;
	case -1:
		*shown = due ? 3 : o->last;
		return 1;
	default:
		return 0;
	}
}

/* Reverses v[0..n). */
static void
msg_attempted_reverse(struct msg_attempted *v, size_t n)
{
	struct msg_attempted	 t;
	size_t			 i;

	for (i = 0; i < n / 2; i++) {
		t = v[i];
		v[i] = v[n - 1 - i];
		v[n - 1 - i] = t;
	}
}

int
message_attempted(struct store *st, const char *team, const char *app_ref,
    const char *ep_ref, const char *iterator, size_t limit,
    const struct message_filter *f, int status, struct msg_attempted **out,
    size_t *n, int *more, struct wh_errors *errs)
{
	struct msg_outcome	*os = NULL;
	struct msg_attempted	*v;
	struct app		 a;
	char			 it[37];
	size_t			 k, i, got = 0;
	int			 rc, back, shown;

	*out = NULL;
	*n = 0;
	*more = 0;
	if (msg_iterator(iterator, "msg_", it, &back, errs) == -1)
		return APP_INVALID;
	if ((rc = app_get(st, team, app_ref, &a)) != STORE_OK)
		return rc;
	if ((rc = msg_outcomes(st, team, a.id, ep_ref, 0, 0, &os, &k)) !=
	    STORE_OK) {
		app_free(&a);
		return rc;
	}
	qsort(os, k, sizeof(*os), msg_outcome_newest_first);
	v = xcalloc(limit + 1, sizeof(*v));
	/* Forwards: the older ones after the iterator, newest first;
	 * backwards: the newer ones before it, from the nearest. */
	for (i = 0; i < k && got <= limit && rc == STORE_OK; i++) {
		const struct msg_outcome *o = &os[back ? k - 1 - i : i];

		if (it[0] != '\0' && (back ? strcmp(o->uuid, it) <= 0 :
		    strcmp(o->uuid, it) >= 0))
			continue;
		if (!msg_status_kept(o, status, &shown))
			continue;
		rc = message_of_event(st, team, a.id, o->uuid, &v[got].m);
		if (rc == STORE_NOTFOUND) {	/* pruned or removed */
			rc = STORE_OK;
			continue;
		}
		if (rc != STORE_OK)
			break;
		if (!message_kept(&v[got].m, f)) {
			message_free(&v[got].m);
			continue;
		}
		v[got].status = shown;
		snprintf(v[got].next, sizeof(v[got].next), "%s", o->next);
		got++;
	}
	free(os);
	app_free(&a);
	if (rc != STORE_OK) {
		message_attempted_free(v, got);
		return rc;
	}
	if (got > limit) {
		*more = 1;
		message_free(&v[limit].m);
		got = limit;
	}
	if (back)
		msg_attempted_reverse(v, got);
	*out = v;
	*n = got;
	return STORE_OK;
}

/*
 * The latest attempt of the event at the webhook (its last
 * MSG_ATTEMPTS_SCAN): *found, and the outcome into o.
 */
static int
msg_latest_at(struct store *st, const char *webhook_uuid, const char *event,
    int *found, struct msg_outcome *o)
{
	struct store_page pg;
	json_object	*one, *v;
	const char	*state;
	size_t		 off, k, got;
	int		 rc = STORE_OK;

	*found = 0;
	for (off = 0; off < MSG_ATTEMPTS_SCAN && !*found; off += got) {
		memset(&pg, 0, sizeof(pg));
		if ((rc = attempt_list(st, webhook_uuid, off, 500, &pg)) !=
		    STORE_OK)
			break;
		got = pg.n;
		for (k = 0; k < pg.n && !*found; k++) {
			if ((one = json_tokener_parse(pg.recs[k])) == NULL)
				continue;
			if (strcmp(msg_str(one, "event_id"), event) == 0) {
				*found = 1;
				o->last = json_object_object_get_ex(one,
				    "success", &v) && json_object_get_boolean(v) ?
				    0 : 2;
				state = msg_str(one, "state");
				snprintf(o->next, sizeof(o->next), "%s",
				    strcmp(state, "retrying") == 0 ?
				    msg_str(one, "next_attempt_at") : "");
			}
			json_object_put(one);
		}
		attempt_page_free(&pg);
		if (got < 500)
			break;
	}
	return rc;
}

int
message_destinations(struct store *st, const char *team, const char *app_ref,
    const char *msg_ref, const char *iterator, size_t limit,
    struct msg_attempted **out, size_t *n, int *more, struct wh_errors *errs)
{
	struct msg_outcome	 o;
	struct msg_attempted	*v = NULL;
	struct message		 m;
	struct { struct webhook *ws; size_t n; } x;	/* its endpoints */
	char			 it[37];
	size_t			 i, got = 0;
	int			 rc, back, found;

	*out = NULL;
	*n = 0;
	*more = 0;
	memset(&x, 0, sizeof(x));
	if (msg_iterator(iterator, "ep_", it, &back, errs) == -1)
		return APP_INVALID;
	if ((rc = message_get(st, team, app_ref, msg_ref, &m)) != STORE_OK)
		return rc;
	/* In id order: the endpoint model's. */
	if ((rc = endpoint_all(st, team, m.app, &x.ws, &x.n)) != STORE_OK)
		goto out;
	v = xcalloc(limit + 1, sizeof(*v));
	for (i = 0; i < x.n && got <= limit && rc == STORE_OK; i++) {
		struct webhook *w = &x.ws[back ? x.n - 1 - i : i];

		if (it[0] != '\0' && (back ? strcmp(w->uuid, it) >= 0 :
		    strcmp(w->uuid, it) <= 0))
			continue;
		memset(&o, 0, sizeof(o));
		if ((rc = msg_latest_at(st, w->uuid, m.uuid, &found, &o)) !=
		    STORE_OK || !found)
			continue;
		v[got].w = *w;		/* taken over */
		memset(w, 0, sizeof(*w));
		v[got].status = o.last;
		snprintf(v[got].next, sizeof(v[got].next), "%s", o.next);
		got++;
	}
	if (rc != STORE_OK) {
		message_attempted_free(v, got);
		v = NULL;
		got = 0;
		goto out;
	}
	if (got > limit) {
		*more = 1;
		webhook_free(&v[limit].w);
		got = limit;
	}
	if (back)
		msg_attempted_reverse(v, got);
	*out = v;
	*n = got;
out:
	for (i = 0; i < x.n; i++)
		webhook_free(&x.ws[i]);
	free(x.ws);
	message_free(&m);
	return rc;
}

