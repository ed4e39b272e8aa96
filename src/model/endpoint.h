/*
 * endpoint: the Svix dialect's endpoints (src/web/api_svix_ep.c).  An
 * endpoint IS a webhook of the team (webhook.h: the same store, spool,
 * webhookd, retries, attempt log and admin page) whose app names its
 * application, listed under it in the store (store_ep_*).  Its Svix id is
 * "ep_" and its uuid, a version 7 UUID, in base62 (app_id_from_uuid), so
 * that ids sort in creation order; a path names it by id or by uid.
 *
 * Svix's EndpointIn onto the webhook: url, headers (create), secret (the
 * signing secret: "whsec_" and base64, or generated), disabled (!active),
 * filterTypes (client v1) or eventTypes (client v2, which wins when both
 * come; null: every type, stored as events ["*"]; each must be a type of
 * the team's catalog that is not archived), channels, uid (unique within
 * the application, not starting with "ep_"), description, metadata,
 * rateLimit or throttleRate (stored and answered, not enforced), version
 * (accepted, always 1).  The webhook's name, which the native dialects and
 * the admin page show, is the description, or the url while there is
 * none (its first WH_NAME_MAX bytes); an endpoint's update sets it again.
 */
#ifndef ENDPOINT_H
#define ENDPOINT_H

#include <stddef.h>

#include <json-c/json.h>

#include "app.h"
#include "store.h"
#include "webhook.h"

#define EP_INVALID	APP_INVALID	/* a model result: errs says why */
#define EP_UID_MAX	256

/* 1 if s is an endpoint uid: ^[a-zA-Z0-9\-_.]{1,256}$, not "ep_"... */
int	 endpoint_uid_ok(const char *s);

/*
 * The operations: a store result (STORE_NOTFOUND: no such application or
 * endpoint of the team; STORE_EXISTS: the uid is taken), or EP_INVALID
 * with errs naming the bad fields ("query/iterator" for a bad iterator).
 * app and ep are what the path names: an id or a uid.  On STORE_OK *w is
 * the endpoint (webhook_free it).
 */
int	 endpoint_create(struct store *, const char *team, const char *app,
	    json_object *body, struct webhook *w, struct wh_errors *errs);
int	 endpoint_get(struct store *, const char *team, const char *app,
	    const char *ep, struct webhook *w);
/* PUT: every field from the body (absent: the default) but the secret
 * and the headers, which stay; an absent endpoint is made when
 * may_create (*created 1; under ep as its uid when the body names
 * none), else STORE_NOTFOUND; EP_INVALID ("path/endpoint_id") when it
 * would be made but ep is neither an id nor a uid. */
int	 endpoint_put(struct store *, const char *team, const char *app,
	    const char *ep, json_object *body, int may_create,
	    struct webhook *w, int *created, struct wh_errors *errs);
/* PATCH: a field absent stays, null clears it (to its default). */
int	 endpoint_patch(struct store *, const char *team, const char *app,
	    const char *ep, json_object *body, struct webhook *w,
	    struct wh_errors *errs);
int	 endpoint_delete(struct store *, const char *team, const char *app,
	    const char *ep);
/*
 * A page of the application's endpoints in id order (desc: newest
 * first) after the id iterator (NULL: from the start; "-" id: the other
 * way, the page still in the asked order).  *more: 1 when there are more
 * in the direction of travel.  The caller frees each and the array.
 */
int	 endpoint_list(struct store *, const char *team, const char *app,
	    const char *iterator, int desc, size_t limit, struct webhook **ws,
	    size_t *n, int *more);
/* Every endpoint of the application app_id (an id, resolved already), in
 * id order, through the application's index (not a walk over the team's
 * webhooks).  The caller frees each and the array. */
int	 endpoint_all(struct store *, const char *team, const char *app_id,
	    struct webhook **ws, size_t *n);
/* Headers: PUT {headers} replaces them; PATCH {headers (a null value
 * removes that one), deleteHeaders?: [names]} changes those named.  The
 * webhook's header rules apply, and svix-* names are refused too (the
 * signature's, as webhook-* are). */
int	 endpoint_set_headers(struct store *, const char *team,
	    const char *app, const char *ep, json_object *body, int patch,
	    struct wh_errors *errs);
/* {key?: a new secret (absent or null: generated), gracePeriodSeconds?:
 * 0..604800, default 86400}: the old secret signs beside the new one for
 * the grace period (webhook_keep_secret). */
int	 endpoint_rotate(struct store *, const char *team, const char *app,
	    const char *ep, json_object *body, struct wh_errors *errs);

/* Svix's EndpointOut. */
json_object *endpoint_to_json(const struct webhook *);
/* The id "ep_..." into out (APP_ID_MAX + 1 bytes). */
void	 endpoint_id(const struct webhook *, char *out);
/* Svix's EndpointHeadersOut: the headers but the sensitive ones
 * (Authorization, X-API-Key...), whose names are listed in sensitive. */
json_object *endpoint_headers_json(const struct webhook *);

#endif /* ENDPOINT_H */
