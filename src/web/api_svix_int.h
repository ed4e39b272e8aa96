/*
 * api_svix_int.h: what the Svix dialect's files share (api_svix.c holds
 * these, the route table, health, applications and event types; each
 * other api_svix_*.c one resource's handlers, which the table names).
 */
#ifndef API_SVIX_INT_H
#define API_SVIX_INT_H

#include <stddef.h>

#include <json-c/json.h>

#include "api.h"
#include "webhook.h"

#define SVIX_BASE		"/api/v1"
#define SVIX_LIMIT_DEFAULT	50
#define SVIX_LIMIT_MAX		250

/*
 * Svix's error: {code, detail}, or for 422 {detail: [{loc, msg, type}]},
 * one item a bad field of errs (a field "query/limit" is in the query:
 * loc ["query", "limit"]; any other in the body: ["body", field]).
 * svix_error uses the status's own code.
 */
void	 svix_error_code(struct api_ctx *, int status, const char *code,
	    const char *message, const struct wh_errors *errs);
void	 svix_error(struct api_ctx *, int status, const char *message,
	    const struct wh_errors *errs);
/* A model result other than STORE_OK (APP_INVALID: 422 from errs;
 * MSG_SPOOL: 503 with Retry-After) answered: 1, or 0 for STORE_OK. */
int	 svix_fail(struct api_ctx *, int rc, const struct wh_errors *errs);
/* Whether the token may make what a PUT names when it is absent. */
int	 svix_may_create(const struct api_ctx *);
/* As svix_fail, but an absent `what` the token may not make is a 403. */
int	 svix_put_fail(struct api_ctx *, int rc, const char *what,
	    const struct wh_errors *errs);
/* Runs fn as the first answer of the request's idempotency key, or
 * answers the first answer again (idem.h).  The dialect's run hook puts
 * every POST through it (svix_run). */
void	 svix_idempotent(struct api_ctx *, void (*fn)(struct api_ctx *));

/* 1 if the query's boolean name is "true" (or "1"). */
int	 svix_query_true(struct api_ctx *, const char *name);
/* 1 if the query names the parameter, whatever its value. */
int	 svix_query_has(struct api_ctx *, const char *name);
/* The list parameters: limit (1..250, default 50), iterator (into iter,
 * "" when absent; "-" first: backwards), order; 0, or -1 with a 422
 * answered. */
int	 svix_list_params(struct api_ctx *, size_t *limit, char *iter,
	    size_t iterlen, int *desc);
/* A list's answer {data, iterator, prevIterator, done} around data (taken
 * over); first and last are the page's first and last ids (NULL: an empty
 * page). */
json_object *svix_list_page(json_object *data, const char *first,
	    const char *last, int back, int more);

/* The endpoints' handlers (api_svix_ep.c): params[0] the application,
 * params[1] the endpoint. */
void	 svix_ep_list(struct api_ctx *);
void	 svix_ep_create(struct api_ctx *);
void	 svix_ep_get(struct api_ctx *);
void	 svix_ep_put(struct api_ctx *);
void	 svix_ep_patch(struct api_ctx *);
void	 svix_ep_delete(struct api_ctx *);
void	 svix_ep_headers_get(struct api_ctx *);
void	 svix_ep_headers_put(struct api_ctx *);
void	 svix_ep_headers_patch(struct api_ctx *);
void	 svix_ep_secret(struct api_ctx *);
void	 svix_ep_rotate(struct api_ctx *);

/* api_svix_msg.c: messages. */
void	 svix_msg_create(struct api_ctx *);
void	 svix_msg_get(struct api_ctx *);
void	 svix_msg_list(struct api_ctx *);
void	 svix_msg_expunge(struct api_ctx *);
void	 svix_send_example(struct api_ctx *);
void	 svix_attempt_by_endpoint(struct api_ctx *);
void	 svix_attempt_by_msg(struct api_ctx *);
void	 svix_attempt_get(struct api_ctx *);
void	 svix_resend(struct api_ctx *);
void	 svix_ep_stats(struct api_ctx *);
void	 svix_ep_recover(struct api_ctx *);
void	 svix_attempted_msgs(struct api_ctx *);
void	 svix_attempted_destinations(struct api_ctx *);

#endif /* API_SVIX_INT_H */
