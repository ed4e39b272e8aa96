/*
 * event: the event-type rule, publishing, the idempotency records (event.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "log.h"
#include "metrics.h"

#if EVENT_TYPE_MAX > SPOOL_TYPE_MAX
#error "an event type must fit the spool format"
#endif

#define PRUNE_BATCH	10000	/* records removed at most per prune */

int
event_type_ok(const char *s, size_t len)
{
	size_t	 i;
	int	 c;

	if (len == 0 || len > EVENT_TYPE_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

int
event_key_ok(const char *s)
{
	size_t	 i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= EVENT_KEY_MAX || s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	return i > 0;
}

/* ---- the idempotency record: team "\n" key -> {event, type, timestamp, at} */

/* 1 if rec is a record younger than EVENT_IDEM_TTL_MS (then ack holds its
 * event). */
static int
idem_replay(const char *rec, int64_t now, struct event_ack *ack)
{
	json_object	*j, *id, *type, *ts, *at;
	int		 done = 0;

	if ((j = json_tokener_parse(rec)) == NULL)
		return 0;
	if (json_object_object_get_ex(j, "event", &id) &&
	    json_object_object_get_ex(j, "type", &type) &&
	    json_object_object_get_ex(j, "timestamp", &ts) &&
	    json_object_object_get_ex(j, "at", &at) &&
	    now - json_object_get_int64(at) < EVENT_IDEM_TTL_MS) {
		snprintf(ack->id, sizeof(ack->id), "%s",
		    json_object_get_string(id));
		snprintf(ack->type, sizeof(ack->type), "%s",
		    json_object_get_string(type));
		snprintf(ack->timestamp, sizeof(ack->timestamp), "%s",
		    json_object_get_string(ts));
		ack->replayed = 1;
		done = 1;
	}
	json_object_put(j);
	return done;
}

/* Records the key for ack's event: a store result.  A concurrent publish
 * of the same key that won leaves its event in ack (replayed) and
 * STORE_EXISTS. */
static int
idem_record(struct store *st, const char *ikey, int64_t now,
    struct event_ack *ack)
{
	struct event_ack	 won;
	json_object		*rec;
	const char		*text;
	char			*old = NULL;
	int			 rc;

	rec = json_object_new_object();
	json_object_object_add(rec, "event", json_object_new_string(ack->id));
	json_object_object_add(rec, "type", json_object_new_string(ack->type));
	json_object_object_add(rec, "timestamp",
	    json_object_new_string(ack->timestamp));
	json_object_object_add(rec, "at", json_object_new_int64(now));
	text = json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	rc = store_put_new(st, STORE_IDEMPOTENCY, ikey, text, &old);
	memset(&won, 0, sizeof(won));
	if (rc == STORE_EXISTS && old != NULL && idem_replay(old, now, &won))
		*ack = won;
	else if (rc == STORE_EXISTS)		/* expired: ours now */
		rc = store_put(st, STORE_IDEMPOTENCY, ikey, text);
	json_object_put(rec);
	free(old);
	return rc;
}

enum event_pub_res
event_publish(struct store *st, struct spool *sp, const struct event_pub *pub,
    struct event_ack *ack, int *store_res)
{
	struct spool_event	 ev;
	struct metrics_counts	 count;
	char			 name[SPOOL_NAME_MAX + 1];
	char			*ikey = NULL, *old = NULL, *text;
	int64_t			 now;
	int			 rc, accepted = 0;
	enum event_pub_res	 res = EVENT_PUB_OK;

	memset(ack, 0, sizeof(*ack));
	*store_res = STORE_OK;
	if (!event_type_ok(pub->type, strlen(pub->type)) ||
	    (pub->key != NULL && (st == NULL || !event_key_ok(pub->key))))
		return EVENT_PUB_INVALID;
	now = util_now_ms();
	if (pub->key != NULL) {
		ikey = xasprintf("%s\n%s", pub->team, pub->key);
		rc = store_get(st, STORE_IDEMPOTENCY, ikey, &old);
		if (rc == STORE_OK && idem_replay(old, now, ack))
			goto out;
		if (rc != STORE_OK && rc != STORE_NOTFOUND) {
			*store_res = rc;
			res = EVENT_PUB_STORE;
			goto out;
		}
	}

	if (pub->id != NULL)
		snprintf(ack->id, sizeof(ack->id), "%s", pub->id);
	else
		util_uuid4(ack->id);
	util_iso8601(now, ack->timestamp);
	snprintf(ack->type, sizeof(ack->type), "%s", pub->type);
	memset(&ev, 0, sizeof(ev));
	ev.id = ack->id;
	ev.team = (char *)pub->team;
	ev.type = ack->type;
	ev.timestamp = ack->timestamp;
	ev.data = pub->data != NULL ? pub->data : json_object_new_object();
	ev.app = (char *)pub->app;
	ev.channels = (char **)pub->channels;
	ev.nchannels = pub->nchannels;
	ev.svix = pub->svix;
	text = spool_event_format(&ev);
	if (pub->data == NULL)
		json_object_put(ev.data);
	rc = spool_enqueue(sp, text, strlen(text), ack->id, name);
	free(text);
	if (rc == -1) {
		res = EVENT_PUB_SPOOL;
		goto out;
	}
	if (pub->key == NULL) {
		accepted = 1;
		goto out;
	}

	rc = idem_record(st, ikey, now, ack);
	if (rc == STORE_EXISTS) {
		/* A concurrent publish with the same key won: take ours
		 * back if no daemon has it yet. */
		if (spool_withdraw(sp, name) == 1)
			log_warn("event_publish: %s: a concurrent duplicate "
			    "of key was already claimed", name);
		goto out;
	}
	/* The key could not be recorded (a full or failing disk): take the
	 * event back and refuse it, so that the client's retry with the key
	 * is safe.  A daemon that claimed it already delivers it: then it is
	 * accepted, and only a retry with this key would enqueue it again. */
	if (rc != STORE_OK && spool_withdraw(sp, name) == 0) {
		log_warn("event_publish: %s: idempotency key not recorded "
		    "(store result %d); event taken back", ack->id, rc);
		res = EVENT_PUB_SPOOL;
		goto out;
	}
	if (rc != STORE_OK)
		log_warn("event_publish: %s: idempotency key not recorded "
		    "(store result %d)", ack->id, rc);
	accepted = 1;
out:
	/* Counted in a transaction of its own that waits for no flush (an
	 * event without a key writes nothing else to the store); a failure
	 * only loses the count. */
	if (accepted && st != NULL) {
		memset(&count, 0, sizeof(count));
		count.v[METRICS_EVENTS] = 1;
		(void)metrics_add(st, &count);
	}
	free(old);
	free(ikey);
	return res;
}

/* ---- pruning ---------------------------------------------------------------- */

struct expired {
	int64_t	 before;
	char	**keys;
	size_t	 n;
};

static int
idem_each(const char *key, const char *json, void *arg)
{
	struct expired	*x = arg;
	json_object	*j, *at;

	if ((j = json_tokener_parse(json)) == NULL)
		return 0;
	if (json_object_object_get_ex(j, "at", &at) &&
	    json_object_get_int64(at) < x->before) {
		x->keys = xrealloc(x->keys, (x->n + 1) * sizeof(char *));
		x->keys[x->n++] = xstrdup(key);
	}
	json_object_put(j);
	return x->n >= PRUNE_BATCH;	/* the rest next time */
}

int
event_idem_prune(struct store *st, int64_t now_ms, size_t *n)
{
	struct expired	 x;
	size_t		 i, gone = 0;
	int		 rc;

	memset(&x, 0, sizeof(x));
	x.before = now_ms - EVENT_IDEM_TTL_MS;
	rc = store_foreach(st, STORE_IDEMPOTENCY, idem_each, &x);
	for (i = 0; i < x.n; i++) {
		if (store_del(st, STORE_IDEMPOTENCY, x.keys[i]) == STORE_OK)
			gone++;
		free(x.keys[i]);
	}
	free(x.keys);
	if (n != NULL)
		*n = gone;
	return rc;
}

/* ---- fan-out -------------------------------------------------------------- */

int
event_reaches(const struct spool_event *ev, const char *wh_app,
    char *const *wh_channels, size_t nwh)
{
	size_t	 i, k;

	if (ev->app == NULL || wh_app == NULL)
		return ev->app == NULL && wh_app == NULL;
	if (strcmp(ev->app, wh_app) != 0)
		return 0;
	/* Svix: an endpoint with channels gets only the messages that
	 * share one of them; one without gets every message. */
	if (nwh == 0)
		return 1;
	for (i = 0; i < ev->nchannels; i++)
		for (k = 0; k < nwh; k++)
			if (strcmp(ev->channels[i], wh_channels[k]) == 0)
				return 1;
	return 0;
}

/* ---- reading ---------------------------------------------------------------- */

int
event_read(const char *text, size_t len, const char *name, int64_t mtime_ms,
    struct spool_event *ev, char *err, size_t errlen)
{
	char	 type[EVENT_TYPE_MAX + 1];

	if (spool_event_parse(text, len, name, mtime_ms, ev, err,
	    errlen) == -1)
		return -1;
	if (ev->webhook == NULL && !event_type_ok(ev->type, strlen(ev->type))) {
		log_clean(ev->type, type, sizeof(type));
		log_warn("spool: %s: the event type \"%s\" is not %s; only "
		    "\"*\" subscribers can receive it", name, type,
		    EVENT_TYPE_RULE);
	}
	return 0;
}
