/*
 * event: the model of an event, the one place for
 *
 *  - the event-type rule: what a publish (POST /api/2.0/events, webhookctl
 *    publish) and a subscription (a webhook's events, seed 003's settings
 *    keys, the admin form) accept.  1..128 of [A-Za-z0-9._-], the names
 *    Svix and the Standard Webhooks tools use ("order.paid", seed 003's
 *    "new_assigned_message", our "webhook.test").  "*" is no event type:
 *    only a subscription may name it, meaning every event.
 *  - publishing: the checks, the spool file, the idempotency record.
 *  - the idempotency records' lifetime (24 h) and their pruning (the Svix
 *    dialect's kept answers share the table and the pruning: idem.h).
 *  - reading an event file of the spool (webhookd).
 *
 * Callers: the edge (api_events.c, webhookctl.c, admin.c through webhook.c)
 * and webhookd.  This module calls the store and the spool.
 */
#ifndef EVENT_H
#define EVENT_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "spool.h"
#include "store.h"
#include "util.h"

#define EVENT_TYPE_MAX		128
#define EVENT_KEY_MAX		255	/* an idempotency key */
#define EVENT_IDEM_TTL_MS	(24LL * 3600 * 1000)
/* The rule in words, for every message that refuses a type. */
#define EVENT_TYPE_RULE		"1 to 128 letters, digits, '.', '_' or '-'"

/* 1 if s[0..len) is an event type (len: a JSON string may hold a NUL). */
int	 event_type_ok(const char *s, size_t len);
/* 1 if s is an idempotency key: 1..255 printable ASCII characters. */
int	 event_key_ok(const char *s);

/* What to publish. */
struct event_pub {
	const char	*team;
	const char	*type;
	json_object	*data;		/* a JSON object; NULL: {} */
	const char	*key;		/* the idempotency key; NULL: none */
	/* A Svix message (message.h): */
	const char	*id;		/* its UUID; NULL: a new one */
	const char	*app;		/* its application; NULL: none */
	char *const	*channels;
	size_t		 nchannels;
	int		 svix;
};

/* The accepted event (the first one of the key when replayed). */
struct event_ack {
	char	 id[37];
	char	 type[EVENT_TYPE_MAX + 1];
	char	 timestamp[UTIL_ISO_LEN];
	int	 replayed;
};

enum event_pub_res {
	EVENT_PUB_OK = 0,
	EVENT_PUB_INVALID,	/* a type or key outside the rules */
	EVENT_PUB_SPOOL,	/* not stored (a failing disk): nothing left */
	EVENT_PUB_STORE		/* the idempotency lookup failed: *store_res */
};

/*
 * Publishes an event: EVENT_PUB_OK once its spool file is durable in new/
 * (ack filled), or once an idempotency record of the team's key younger
 * than EVENT_IDEM_TTL_MS names an earlier event (ack->replayed, nothing
 * enqueued).  The record is written after the file, so that a crash between
 * the two costs at most a duplicate, never an acknowledged event lost; when
 * it cannot be written the file is taken back (if no daemon claimed it yet)
 * and the answer is EVENT_PUB_SPOOL.  st may be NULL when pub->key is.
 */
enum event_pub_res event_publish(struct store *st, struct spool *sp,
	    const struct event_pub *pub, struct event_ack *ack,
	    int *store_res);

/* Removes the idempotency records older than EVENT_IDEM_TTL_MS (at most
 * 10,000 a call: the rest next time); *n (may be NULL) counts them. */
int	 event_idem_prune(struct store *st, int64_t now_ms, size_t *n);

/*
 * Whether an event reaches a webhook of application wh_app (NULL: none)
 * with channels wh_channels (nwh of them), its type apart (webhook_wants):
 * an event of an application reaches only that application's webhooks,
 * and of those, when both have channels, only the ones that share one;
 * an event without an application reaches only webhooks without one.
 * The one place of this rule: webhookd's fan-out and recover ask it.
 */
int	 event_reaches(const struct spool_event *ev, const char *wh_app,
	    char *const *wh_channels, size_t nwh);

/*
 * webhookd's reader of a claimed spool file: spool_event_parse (0, or -1
 * with the reason in err: the file goes to quarantine).  The format takes
 * any printable type, as it always did, so that files accepted before the
 * event-type rule (an event given back at a restart, a deferred or dead
 * delivery) are still delivered; an event file whose type breaks the rule
 * is logged (it can reach only "*" subscribers).
 */
int	 event_read(const char *text, size_t len, const char *name,
	    int64_t mtime_ms, struct spool_event *ev, char *err,
	    size_t errlen);

#endif /* EVENT_H */
