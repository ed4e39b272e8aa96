/*
 * api: what every dialect's handlers share: dispatch over the table of
 * dialects (dialect.h), authentication, JSON bodies, the webhook operations
 * and the parts of error answers the dialects' shapes share.  Each dialect
 * is its own api_*.c; api_native.c is seed 000 at /api/2.0/webhooks.
 */
#ifndef API_H
#define API_H

#include <json-c/json.h>

#include "auth.h"
#include "cfg.h"
#include "dialect.h"
#include "http.h"
#include "router.h"
#include "webhook.h"

/* Seconds a request may take before the process is deemed wedged (see
 * api_handle).  A test delivery waits DELIVER_TEST_WAIT_MS at most, well
 * within. */
#define API_DEADLINE_S	10

/* Serves one request: route, authenticate, check the body, run the handler,
 * answer errors in the route's dialect.  Never exits on bad input. */
void	api_handle(struct store *, const struct cfg *, struct http_req *,
	    struct http_resp *);

/* Answers status with a JSON body (takes ownership of j, may be NULL for no
 * body). */
void	api_json(struct api_ctx *, int status, json_object *j);
/* Answers an error in the dialect of the route (or of the path, before
 * routing); errs may be NULL. */
void	api_error(struct api_ctx *, int status, const char *message,
	    const struct wh_errors *errs);
/* For the dialects' error functions: adds {"field": ["message", ...]} as
 * "errors" to j (as Laravel answers a 422), nothing when errs is NULL or
 * empty. */
void	api_error_fields(json_object *j, const struct wh_errors *errs);
/* The message of an error in the dialects whose clients may read only the
 * message: message followed by each bad field ("The given data was
 * invalid: name must not be empty; url is required."), or a copy of
 * message when errs names none.  The caller frees it. */
char	*api_error_message(const char *message, const struct wh_errors *errs);
/* Seed 000's error: {"message", "errors"?}; the events routes share it. */
void	api_native_error(struct api_ctx *, int status, const char *message,
	    const struct wh_errors *errs);
/* Maps a store result to an answer (404, 503...) and returns 1, or 0 for
 * STORE_OK. */
int	api_store_error(struct api_ctx *, int res);
/* Reads ?page= and ?per_page= (default 15, capped at per_page_max); 0, or
 * -1 if the page is out of any range. */
int	api_native_page_params(struct api_ctx *, long *page, long *per_page);
/* Adds the Laravel paginator's "links" and "meta" for a list served at path
 * ("/api/2.0/webhooks"); n is the number of items on this page. */
void	api_native_paginate(struct api_ctx *, json_object *, const char *path,
	    long page, long per_page, size_t n, size_t total);

/*
 * The webhook operations every dialect shares.  Each checks the path's
 * uuid and the body, calls the model and, on any failure, answers in the
 * route's dialect (a bad body: the dialect's invalid status) and returns
 * -1.  On 0, *w is filled and the caller answers and frees
 * it with webhook_free.  flags: STORE_UNIQUE_URL where the dialect refuses
 * a url registered twice.
 */
int	api_webhook_get(struct api_ctx *, struct webhook *w);
/* 1 if the request's token may see secrets (webhooks:edit): without it,
 * what api_webhook_get, api_webhook_get_view and api_list_all answer is
 * webhook_redact'ed.  A create answers its own webhook whole: its maker
 * needs the secret it was given. */
int	api_sees_secrets(const struct api_ctx *);
/* The same as JSON text ready to answer (webhook_view_free it). */
int	api_webhook_get_view(struct api_ctx *, struct webhook_view *v);
int	api_webhook_create(struct api_ctx *, int flags, struct webhook *w);
int	api_webhook_update(struct api_ctx *, int flags, struct webhook *w);
int	api_webhook_delete(struct api_ctx *);
/* A new signing secret (the body's, else generated) replacing the old,
 * which stays valid for the grace period (webhook_decode_rotate's body). */
int	api_webhook_rotate(struct api_ctx *, struct webhook *w);

/*
 * The test delivery of w, now (probe_run: in a detached webhookd), its
 * delivery id into id (DELIVER_ID_LEN + 1 bytes): 0 and r, the attempt
 * whatever its outcome, when it came within DELIVER_TEST_WAIT_MS; 1 when it
 * goes on (the caller answers 202 with id); or -1 with the failure to make one
 * answered in the route's dialect (429 with Retry-After: the team's tests
 * in flight are at their cap; 404 the webhook is gone; 500 webhookd missing
 * or failing).
 */
struct deliver_result;
int	api_webhook_test(struct api_ctx *, const struct webhook *w, char *id,
	    struct deliver_result *r);

/* Answers every webhook of the team, in creation order, as a bare JSON
 * array of enc(webhook): the lists of the dialects that do not paginate. */
void	api_list_all(struct api_ctx *,
	    json_object *(*enc)(const struct webhook *));

/* Serializes j plain, without escaping '/'; the caller frees nothing. */
const char *api_json_string(json_object *j);

#endif /* API_H */
