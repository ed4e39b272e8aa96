/*
 * message: the Svix dialect's messages (src/web/api_svix_msg.c).  A
 * message IS an event: creating one publishes an event (event.h) whose id
 * is the message's UUID (version 7: time-ordered), with the application,
 * the channels and the mark "svix" in its spool file, so that webhookd
 * fans it out to that application's endpoints alone (event_reaches) and
 * delivers its payload with svix-* headers.  The message is also kept in
 * the store's msgs table (store_msg.c) so that it can be read back, and
 * pruned with the attempt log (the same retention).
 *
 * message.c holds the message itself (record, JSON, create, get, list,
 * expunge, send-example); message_attempt.c what the attempt log says of
 * it (attempts, resend, stats, recover, the attempted lists).
 *
 * Its id is "msg_" and the UUID in base62 (app_id_from_uuid): the svix-id
 * of every delivery of it.  The record: {"v": 1, "id", "eventId" (null:
 * none), "eventType", "payload", "channels" (null: none), "createdAt"
 * (ms)}.
 */
#ifndef MESSAGE_H
#define MESSAGE_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "app.h"
#include "spool.h"
#include "store.h"
#include "util.h"
#include "webhook.h"

#define MSG_EVENT_ID_MAX	256

/* Model results beyond the store's (APP_INVALID: the body breaks a rule). */
#define MSG_SPOOL	(-2)	/* the spool could not take it: try later */
#define MSG_EXPUNGED	(-3)	/* its payload was removed: not sent again */

struct message {
	char		 id[APP_ID_MAX + 1];	/* "msg_" ... */
	char		 uuid[37];		/* the event's id */
	char		 app[APP_ID_MAX + 1];	/* its application's id */
	char		*event_id;		/* NULL: none */
	char		*event_type;
	json_object	*payload;		/* never NULL */
	char		**channels;
	size_t		 nchannels;
	int64_t		 created_ms;
	int		 expunged;	/* its payload removed: payload is
					   {"expired": true}, as Svix's */
};

void	 message_free(struct message *);
/* Svix's MessageOut; payload {} unless with_content. */
json_object *message_to_json(const struct message *, int with_content);
/* 1 if s is an eventId: ^[a-zA-Z0-9\-_.]{1,256}$. */
int	 message_event_id_ok(const char *s);

/*
 * POST: a MessageIn {eventType, payload (an object), eventId?, channels?}
 * of application app_ref (an id or a uid) of the team: stored, then
 * published (its spool file durable) before STORE_OK.  STORE_EXISTS: the
 * application has a message of that eventId; STORE_NOTFOUND: no such
 * application; APP_INVALID with errs; MSG_SPOOL.  *m filled on STORE_OK.
 */
int	 message_create(struct store *, struct spool *, const char *team,
	    const char *app_ref, json_object *body, struct message *m,
	    struct wh_errors *errs);
/* ref: a message's id or its eventId. */
int	 message_get(struct store *, const char *team, const char *app_ref,
	    const char *ref, struct message *m);

/* What a list keeps (Svix's query parameters); NULL or 0: no filter. */
struct message_filter {
	const char	*channel;
	char		**types;	/* event_types */
	size_t		 ntypes;
	int64_t		 before_ms;	/* created before; 0: any */
	int64_t		 after_ms;	/* created after; 0: any */
};
/* 1 if the filter f keeps m (every member of f that is set). */
int	 message_kept(const struct message *m,
	    const struct message_filter *f);
/*
 * A page of the application's messages as app_list's (iterator: a
 * message id; "-" id: backwards), those the filter keeps.
 */
int	 message_list(struct store *, const char *team, const char *app_ref,
	    const char *iterator, int desc, size_t limit,
	    const struct message_filter *f, struct message **ms, size_t *n,
	    int *more);
/* The message (and the application id) of a delivery file's event:
 * its application's record, by the event's UUID.  For the attempts. */
int	 message_of_event(struct store *, const char *team, const char *app,
	    const char *event_uuid, struct message *m);
/*
 * The endpoint ep_ref (its id or uid: endpoint.h) of application app_id: its webhook
 * into *w (webhook_free it); STORE_NOTFOUND when it is another's.
 */
int	 message_endpoint(struct store *, const char *team, const char *app_id,
	    const char *ep_ref, struct webhook *w);

/*
 * The attempt log's attempts of the application's messages as Svix's
 * MessageAttemptOut, newest first, into *out (a new JSON array): of the
 * message msg_ref (NULL: any) to the endpoint ep_ref (NULL: every endpoint
 * of the application); attempt_ref (NULL: any) keeps only that attempt
 * ("atmpt_" id).  At most MSG_ATTEMPTS_SCAN attempts an endpoint are read.
 */
#define MSG_ATTEMPTS_SCAN	10000
int	 message_attempts(struct store *, const char *team,
	    const char *app_ref, const char *msg_ref, const char *ep_ref,
	    const char *attempt_ref, json_object **out);
/*
 * Sends the message again to the endpoint, now, as a manual retry (one
 * attempt, triggerType 1): a delivery file in the spool.  STORE_NOTFOUND
 * for no such message or endpoint; MSG_SPOOL; MSG_EXPUNGED.
 */
int	 message_resend(struct store *, struct spool *, const char *team,
	    const char *app_ref, const char *msg_ref, const char *ep_ref);

/*
 * An endpoint's messages by their outcome there (Svix's EndpointStats):
 * each message of the application that reached it, made in [since_ms,
 * until_ms] (0: no bound), counted once: success when an attempt
 * succeeded, else pending while it is retried, else fail.
 */
struct msg_stats {
	size_t	 success, pending, fail, sending;
};
int	 message_endpoint_stats(struct store *, const char *team,
	    const char *app_ref, const char *ep_ref, int64_t since_ms,
	    int64_t until_ms, struct msg_stats *s);
/*
 * Svix's recover: each message of that window whose delivery to the
 * endpoint failed (no success, no retry left) is sent to it again
 * (message_resend); *n counts them.
 */
int	 message_recover(struct store *, struct spool *, const char *team,
	    const char *app_ref, const char *ep_ref, int64_t since_ms,
	    int64_t until_ms, size_t *n);

/*
 * A message's outcome at an endpoint, as Svix answers it: status 0
 * success, 2 fail, 3 sending (EndpointMessageOut: a retry is due) and
 * next, the time of the next attempt ("" when none is due).
 */
struct msg_attempted {
	struct message	 m;		/* message_attempted */
	struct webhook	 w;		/* message_destinations */
	int		 status;
	char		 next[UTIL_ISO_LEN];
};
void	 message_attempted_free(struct msg_attempted *, size_t n);
/*
 * Svix's listAttemptedMessages: the messages of the application attempted
 * at the endpoint ep_ref (the last MSG_ATTEMPTS_SCAN attempts there), newest
 * first, each with its latest attempt's outcome (status 3 while a retry is
 * due), those f keeps; status (-1: any) keeps those of that outcome the way
 * Svix's filter does (0: any attempt succeeded; 2: none did and none is
 * due; 3: a retry is due and none succeeded; 1: none).  iterator: a
 * message id (the page after it), "-" id (the page before it).  *out (n of
 * them, message_attempted_free) in newest-first order; *more: more in the
 * direction of travel.  APP_INVALID with errs for a bad iterator.
 */
int	 message_attempted(struct store *, const char *team,
	    const char *app_ref, const char *ep_ref, const char *iterator,
	    size_t limit, const struct message_filter *f, int status,
	    struct msg_attempted **out, size_t *n, int *more,
	    struct wh_errors *errs);
/*
 * Svix's listAttemptedDestinations: the application's endpoints that have
 * an attempt of the message msg_ref (its id or eventId), in endpoint id
 * order, each with its latest attempt there (status 0 success or 2 fail;
 * next set while a retry is due).  iterator: an endpoint id as above.
 */
int	 message_destinations(struct store *, const char *team,
	    const char *app_ref, const char *msg_ref, const char *iterator,
	    size_t limit, struct msg_attempted **out, size_t *n, int *more,
	    struct wh_errors *errs);

/*
 * Svix's send-example: a message of event_type with payload (taken as it
 * is, any JSON value: an event type's example) stored as any other, sent
 * to the endpoint ep_ref alone (a delivery file for it, retried on the
 * schedule), not to the application's other endpoints; not sent when the
 * endpoint is disabled or its types or channels would not take it.  *m filled on
 * STORE_OK; STORE_NOTFOUND for no such application or endpoint; MSG_SPOOL.
 */
int	 message_send_to(struct store *, struct spool *, const char *team,
	    const char *app_ref, const char *ep_ref, const char *event_type,
	    json_object *payload, struct message *m);

/*
 * Svix's expunge-content: the stored payload of the message is removed
 * (read back as {"expired": true}; resend and recover skip it), and so
 * are its copies in the spool that no daemon holds: the event while it
 * waits in new/, and each delivery of it waiting in deferred/ for a retry
 * or kept in dead/ (*withdrawn counts those files).  A delivery being
 * attempted at that moment (claimed in cur/) still goes out, and a manual
 * resend already queued too.  Removing it again is STORE_OK.
 */
int	 message_expunge(struct store *, struct spool *, const char *team,
	    const char *app_ref, const char *msg_ref, size_t *withdrawn);

/* Removes the messages made before before_ms (the attempts' retention). */
int	 message_prune(struct store *, int64_t before_ms, size_t *removed);

#endif /* MESSAGE_H */
