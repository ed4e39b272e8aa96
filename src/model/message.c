/*
 * message: the Svix dialect's messages, an event each (message.h).
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

#define RECORD_V	1
#define LIST_ROUNDS	64	/* store pages read for one filtered page */

void
message_free(struct message *m)
{
	size_t	 i;

	free(m->event_id);
	free(m->event_type);
	json_object_put(m->payload);
	for (i = 0; i < m->nchannels; i++)
		free(m->channels[i]);
	free(m->channels);
	memset(m, 0, sizeof(*m));
}

int
message_event_id_ok(const char *s)
{
	return app_name_ok(s, MSG_EVENT_ID_MAX);
}

static json_object *
msg_channels_json(const struct message *m)
{
	json_object	*a;
	size_t		 i;

	if (m->nchannels == 0)
		return NULL;
	a = json_object_new_array();
	for (i = 0; i < m->nchannels; i++)
		json_object_array_add(a, json_object_new_string(m->channels[i]));
	return a;
}

static char *
msg_record(const struct message *m)
{
	json_object	*j;
	char		*s;

	j = json_object_new_object();
	json_object_object_add(j, "v", json_object_new_int(RECORD_V));
	json_object_object_add(j, "id", json_object_new_string(m->id));
	json_object_object_add(j, "eventId", m->event_id != NULL ?
	    json_object_new_string(m->event_id) : NULL);
	json_object_object_add(j, "eventType",
	    json_object_new_string(m->event_type));
	json_object_object_add(j, "payload", m->expunged ? NULL :
	    json_object_get(m->payload));
	json_object_object_add(j, "channels", msg_channels_json(m));
	json_object_object_add(j, "createdAt",
	    json_object_new_int64(m->created_ms));
	s = xstrdup(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(j);
	return s;
}

/* The record of app's message into m: 0, or -1 (logged). */
static int
msg_parse(const char *rec, const char *app, struct message *m)
{
	json_object	*j, *v, *c;
	size_t		 i, n;

	memset(m, 0, sizeof(*m));
	if ((j = json_tokener_parse(rec)) == NULL ||
	    !json_object_is_type(j, json_type_object) ||
	    !json_object_object_get_ex(j, "id", &v) ||
	    strlen(json_object_get_string(v)) > APP_ID_MAX ||
	    app_uuid_from_id("msg_", json_object_get_string(v),
	    m->uuid) == -1) {
		log_warn("msg_parse: an unreadable message record");
		json_object_put(j);
		return -1;
	}
	snprintf(m->id, sizeof(m->id), "%s", json_object_get_string(v));
	snprintf(m->app, sizeof(m->app), "%s", app);
	if (json_object_object_get_ex(j, "eventId", &v) && v != NULL)
		m->event_id = xstrdup(json_object_get_string(v));
	m->event_type = xstrdup(json_object_object_get_ex(j, "eventType",
	    &v) ? json_object_get_string(v) : "");
	if (!json_object_object_get_ex(j, "payload", &v))
		m->payload = json_object_new_object();
	else if (v == NULL) {
		/* Expunged: Svix answers a payload gone this way. */
		m->expunged = 1;
		m->payload = json_object_new_object();
		json_object_object_add(m->payload, "expired",
		    json_object_new_boolean(1));
	} else
		m->payload = json_object_get(v);
	if (json_object_object_get_ex(j, "channels", &v) &&
	    json_object_is_type(v, json_type_array) &&
	    (n = json_object_array_length(v)) > 0) {
		m->channels = xcalloc(n, sizeof(char *));
		for (i = 0; i < n; i++) {
			c = json_object_array_get_idx(v, i);
			m->channels[m->nchannels++] =
			    xstrdup(json_object_get_string(c));
		}
	}
	if (json_object_object_get_ex(j, "createdAt", &v))
		m->created_ms = json_object_get_int64(v);
	json_object_put(j);
	return 0;
}

json_object *
message_to_json(const struct message *m, int with_content)
{
	json_object	*j;
	char		 ts[UTIL_ISO_LEN];

	j = json_object_new_object();
	json_object_object_add(j, "id", json_object_new_string(m->id));
	json_object_object_add(j, "eventId", m->event_id != NULL ?
	    json_object_new_string(m->event_id) : NULL);
	json_object_object_add(j, "eventType",
	    json_object_new_string(m->event_type));
	json_object_object_add(j, "payload", with_content ?
	    json_object_get(m->payload) : json_object_new_object());
	json_object_object_add(j, "channels", msg_channels_json(m));
	util_iso8601(m->created_ms, ts);
	json_object_object_add(j, "timestamp", json_object_new_string(ts));
	return j;
}

/* ---- decoding --------------------------------------------------------- */

/* A MessageIn into m: 0, or -1 with errs filled.  Unknown fields (the
 * application to create with it, the retention) are ignored. */
static int
msg_decode(json_object *body, struct message *m, struct wh_errors *errs)
{
	json_object	*v, *c;
	size_t		 i, n, n0 = errs->count;

	if (body == NULL || !json_object_is_type(body, json_type_object)) {
		webhook_error(errs, "body", "value is not a valid dict");
		return -1;
	}
	if (!json_object_object_get_ex(body, "eventType", &v) || v == NULL)
		webhook_error(errs, "eventType", "field required");
	else if (!json_object_is_type(v, json_type_string) ||
	    !event_type_ok(json_object_get_string(v),
	    (size_t)json_object_get_string_len(v)))
		webhook_error(errs, "eventType", "must be %s", EVENT_TYPE_RULE);
	else
		m->event_type = xstrdup(json_object_get_string(v));
	if (!json_object_object_get_ex(body, "payload", &v) || v == NULL)
		webhook_error(errs, "payload", "field required");
	else if (!json_object_is_type(v, json_type_object))
		webhook_error(errs, "payload", "value is not a valid dict");
	else
		m->payload = json_object_get(v);
	if (json_object_object_get_ex(body, "eventId", &v) && v != NULL) {
		if (!app_json_name_ok(v, MSG_EVENT_ID_MAX))
			webhook_error(errs, "eventId", "must match "
			    "^[a-zA-Z0-9\\-_.]{1,256}$");
		else
			m->event_id = xstrdup(json_object_get_string(v));
	}
	if (json_object_object_get_ex(body, "channels", &v) && v != NULL) {
		n = json_object_is_type(v, json_type_array) ?
		    json_object_array_length(v) : 0;
		if (!json_object_is_type(v, json_type_array) ||
		    n > SPOOL_CHANNELS_MAX)
			webhook_error(errs, "channels", "must be a list of at "
			    "most %d channels", SPOOL_CHANNELS_MAX);
		else {
			m->channels = xcalloc(n > 0 ? n : 1, sizeof(char *));
			for (i = 0; i < n; i++) {
				c = json_object_array_get_idx(v, i);
				/* The rule an endpoint's channels follow. */
				if (!app_json_name_ok(c, WH_CHANNEL_MAX)) {
					webhook_error(errs, "channels", "each "
					    "must match ^[a-zA-Z0-9\\-_.]"
					    "{1,%d}$", WH_CHANNEL_MAX);
					break;
				}
				m->channels[m->nchannels++] =
				    xstrdup(json_object_get_string(c));
			}
		}
	}
	return errs->count > n0 ? -1 : 0;
}

/* ---- operations ------------------------------------------------------- */

int
message_create(struct store *st, struct spool *sp, const char *team,
    const char *app_ref, json_object *body, struct message *m,
    struct wh_errors *errs)
{
	struct event_pub	 pub;
	struct event_ack	 ack;
	struct app		 a;
	char			*rec;
	int			 rc, store_res;

	memset(m, 0, sizeof(*m));
	if ((rc = app_get(st, team, app_ref, &a)) != STORE_OK)
		return rc;
	snprintf(m->app, sizeof(m->app), "%s", a.id);
	app_free(&a);
	if (msg_decode(body, m, errs) == -1) {
		message_free(m);
		return APP_INVALID;
	}
	util_uuid7(m->uuid);
	if (app_id_from_uuid("msg_", m->uuid, m->id) == -1)
		log_panic("message_create: no id for %s", m->uuid);
	m->created_ms = util_now_ms();
	/* Stored first: the eventId's uniqueness decides; then published
	 * (a failed publish takes the record back).  A crash between the
	 * two leaves a message never answered 202 and never queued: without
	 * an eventId the client's retry makes a new one; with one, the
	 * retry gets a 409, and resend or recover sends the stored one. */
	rec = msg_record(m);
	rc = store_msg_create(st, team, m->app, m->id, m->event_id, rec);
	free(rec);
	if (rc != STORE_OK) {
		message_free(m);
		return rc;
	}
	memset(&pub, 0, sizeof(pub));
	pub.team = team;
	pub.type = m->event_type;
	pub.data = m->payload;
	pub.id = m->uuid;
	pub.app = m->app;
	pub.channels = m->channels;
	pub.nchannels = m->nchannels;
	pub.svix = 1;
	if (event_publish(st, sp, &pub, &ack, &store_res) != EVENT_PUB_OK) {
		if (store_msg_delete(st, team, m->app, m->id) != STORE_OK)
			log_warn("message_create: %s: not published, and its "
			    "record not removed", m->id);
		message_free(m);
		return MSG_SPOOL;
	}
	return STORE_OK;
}

int
message_get(struct store *st, const char *team, const char *app_ref,
    const char *ref, struct message *m)
{
	struct app	 a;
	char		*rec = NULL, uuid[37];
	int		 rc;

	memset(m, 0, sizeof(*m));
	if ((rc = app_get(st, team, app_ref, &a)) != STORE_OK)
		return rc;
	rc = store_msg_get(st, team, a.id, ref,
	    app_uuid_from_id("msg_", ref, uuid) == -1, &rec);
	if (rc == STORE_OK)
		rc = msg_parse(rec, a.id, m) == 0 ? STORE_OK : STORE_ERR;
	free(rec);
	app_free(&a);
	return rc;
}

int
message_of_event(struct store *st, const char *team, const char *app,
    const char *event_uuid, struct message *m)
{
	char	 id[APP_ID_MAX + 1], *rec = NULL;
	int	 rc;

	memset(m, 0, sizeof(*m));
	if (app_id_from_uuid("msg_", event_uuid, id) == -1)
		return STORE_NOTFOUND;
	rc = store_msg_get(st, team, app, id, 0, &rec);
	if (rc == STORE_OK)
		rc = msg_parse(rec, app, m) == 0 ? STORE_OK : STORE_ERR;
	free(rec);
	return rc;
}

int
message_kept(const struct message *m, const struct message_filter *f)
{
	size_t	 i;
	int	 ok;

	if (f == NULL)
		return 1;
	if (f->before_ms > 0 && m->created_ms >= f->before_ms)
		return 0;
	if (f->after_ms > 0 && m->created_ms <= f->after_ms)
		return 0;
	if (f->channel != NULL) {
		for (i = 0, ok = 0; i < m->nchannels && !ok; i++)
			ok = strcmp(m->channels[i], f->channel) == 0;
		if (!ok)
			return 0;
	}
	if (f->ntypes > 0) {
		for (i = 0, ok = 0; i < f->ntypes && !ok; i++)
			ok = strcmp(m->event_type, f->types[i]) == 0;
		if (!ok)
			return 0;
	}
	return 1;
}

int
message_list(struct store *st, const char *team, const char *app_ref,
    const char *iterator, int desc, size_t limit,
    const struct message_filter *f, struct message **ms, size_t *n,
    int *more)
{
	struct app	 a;
	struct message	 m;
	char		**recs = NULL, after[APP_ID_MAX + 1];
	size_t		 got, i, k = 0, round;
	int		 back = 0, rc, end = 0;

	*ms = NULL;
	*n = 0;
	*more = 0;
	if ((rc = app_get(st, team, app_ref, &a)) != STORE_OK)
		return rc;
	if (iterator != NULL && iterator[0] == '-') {
		back = 1;
		iterator++;
	}
	after[0] = '\0';
	if (iterator != NULL)
		snprintf(after, sizeof(after), "%s", iterator);
	*ms = xcalloc(limit + 1, sizeof(**ms));
	/* Pages of the store until limit + 1 are kept (whether there are
	 * more), the store runs out, or a bound of rounds is reached. */
	for (round = 0; k <= limit && !end && round < LIST_ROUNDS; round++) {
		rc = store_msg_list(st, team, a.id, after[0] ? after : NULL,
		    desc != back, limit + 1, &recs, &got);
		if (rc != STORE_OK)
			goto fail;
		end = got < limit + 1;
		for (i = 0; i < got; i++) {
			if (msg_parse(recs[i], a.id, &m) == 0) {
				snprintf(after, sizeof(after), "%s", m.id);
				if (k <= limit && message_kept(&m, f))
					(*ms)[k++] = m;
				else
					message_free(&m);
			}
			free(recs[i]);
		}
		free(recs);
		recs = NULL;
	}
	if (k > limit) {
		*more = 1;
		message_free(&(*ms)[limit]);
		k = limit;
	} else if (!end)
		*more = 1;	/* the bound of rounds, not the end */
	if (back)
		for (i = 0; i < k / 2; i++) {
			m = (*ms)[i];
			(*ms)[i] = (*ms)[k - 1 - i];
			(*ms)[k - 1 - i] = m;
		}
	*n = k;
	app_free(&a);
	return STORE_OK;
fail:
	for (i = 0; i < k; i++)
		message_free(&(*ms)[i]);
	free(*ms);
	*ms = NULL;
	app_free(&a);
	return rc;
}

/* ---- pruning ---------------------------------------------------------- */

static int
msg_old(const char *json, void *arg)
{
	const int64_t	*before = arg;
	json_object	*j, *v;
	int		 old = 0;

	if ((j = json_tokener_parse(json)) == NULL)
		return 0;
	if (json_object_object_get_ex(j, "createdAt", &v))
		old = json_object_get_int64(v) < *before;
	json_object_put(j);
	return old;
}

int
message_prune(struct store *st, int64_t before_ms, size_t *removed)
{
	return store_msg_prune(st, msg_old, &before_ms, removed);
}

/* ---- expunge ---------------------------------------------------------- */

/*
 * Removes the spool's copies of the event uuid that no daemon holds: its
 * file in new/ ("<ms>.<uuid>": spool_enqueue's name for it), and its
 * deliveries in deferred/ and dead/ to each endpoint of the application
 * app (named by their delivery id).  *n counts them.
 */
static int
msg_spool_withdraw(struct store *st, struct spool *sp, const char *team,
    const char *app, const char *uuid, size_t *n)
{
	struct spool_ent	*v;
	struct webhook		*ws;
	char			 id[DELIVER_ID_LEN + 1];
	size_t			 k, i, len, ulen = strlen(uuid);
	int			 rc;

	if (spool_list_names(sp, SPOOL_NEW, &v, &k) == -1)
		return STORE_ERR;
	for (i = 0; i < k; i++) {
		len = strlen(v[i].name);
		if (len > ulen && v[i].name[len - ulen - 1] == '.' &&
		    strcmp(v[i].name + len - ulen, uuid) == 0 &&
		    spool_withdraw(sp, v[i].name) == 0)
			(*n)++;
	}
	spool_list_free(v, k);
	if ((rc = endpoint_all(st, team, app, &ws, &k)) != STORE_OK)
		return rc;
	for (i = 0; i < k; i++) {
		deliver_msg_id(uuid, ws[i].uuid, id);
		if (spool_exists(sp, SPOOL_DEFERRED, id) &&
		    spool_remove(sp, SPOOL_DEFERRED, id) == 0)
			(*n)++;
		if (spool_exists(sp, SPOOL_DEAD, id) &&
		    spool_remove(sp, SPOOL_DEAD, id) == 0)
			(*n)++;
		webhook_free(&ws[i]);
	}
	free(ws);
	return rc;
}

int
message_expunge(struct store *st, struct spool *sp, const char *team,
    const char *app_ref, const char *msg_ref, size_t *withdrawn)
{
	struct message	 m;
	char		*rec;
	int		 rc;

	*withdrawn = 0;
	if ((rc = message_get(st, team, app_ref, msg_ref, &m)) != STORE_OK)
		return rc;
	/* The record first: from here on nothing sends it again. */
	if (!m.expunged) {
		m.expunged = 1;
		rec = msg_record(&m);
		rc = store_msg_replace(st, team, m.app, m.id, rec);
		free(rec);
	}
	if (rc == STORE_OK)
		rc = msg_spool_withdraw(st, sp, team, m.app, m.uuid, withdrawn);
	message_free(&m);
	return rc;
}

/* ---- one endpoint's message (send-example) ----------------------------- */

int
message_send_to(struct store *st, struct spool *sp, const char *team,
    const char *app_ref, const char *ep_ref, const char *event_type,
    json_object *payload, struct message *m)
{
	struct spool_event	 ev;
	struct webhook		 w;
	struct app		 a;
	char			 ts[UTIL_ISO_LEN], name[SPOOL_NAME_MAX + 1];
	char			*text;
	int			 rc;

	memset(m, 0, sizeof(*m));
	if ((rc = app_get(st, team, app_ref, &a)) != STORE_OK)
		return rc;
	snprintf(m->app, sizeof(m->app), "%s", a.id);
	app_free(&a);
	if ((rc = message_endpoint(st, team, m->app, ep_ref, &w)) != STORE_OK)
		return rc;
	m->event_type = xstrdup(event_type);
	m->payload = json_object_get(payload);
	util_uuid7(m->uuid);
	if (app_id_from_uuid("msg_", m->uuid, m->id) == -1)
		log_panic("message_send_to: no id for %s", m->uuid);
	m->created_ms = util_now_ms();
	text = msg_record(m);
	rc = store_msg_create(st, team, m->app, m->id, NULL, text);
	free(text);
	if (rc != STORE_OK)
		goto fail;
	/* A delivery file for w alone, its first attempt to come; named
	 * after the event as a published one is (expunge finds it). */
	memset(&ev, 0, sizeof(ev));
	util_iso8601(m->created_ms, ts);
	ev.id = m->uuid;
	ev.team = (char *)team;
	ev.type = m->event_type;
	ev.timestamp = ts;
	ev.data = m->payload;
	ev.webhook = w.uuid;
	ev.app = m->app;
	ev.svix = 1;
	/* As the fan-out would: nothing for an endpoint that is disabled
	 * or that the type or the channels do not reach (Svix stores the
	 * message all the same). */
	if (!w.active || !webhook_wants(&w, m->event_type) ||
	    !event_reaches(&ev, w.app, w.channels, w.nchannels)) {
		webhook_free(&w);
		return STORE_OK;
	}
	text = spool_event_format(&ev);
	if (spool_enqueue(sp, text, strlen(text), m->uuid, name) == -1) {
		if (store_msg_delete(st, team, m->app, m->id) != STORE_OK)
			log_warn("message_send_to: %s: not queued, and its "
			    "record not removed", m->id);
		rc = MSG_SPOOL;
	}
	free(text);
	if (rc != STORE_OK)
		goto fail;
	webhook_free(&w);
	return STORE_OK;
fail:
	webhook_free(&w);
	message_free(m);
	return rc;
}
