/*
 * dialect: a dialect of the API as data, and the request context every
 * handler of every dialect gets.  A dialect owns a path prefix, a route
 * table, the shape of its errors and the status of a body the model
 * refuses; api_handle (api.c) dispatches over the table of dialects below
 * and names none of them.
 *
 * Adding a dialect is one new file and one line: src/api_NAME.c (a route
 * table over api.h's shared operations, an encoder, an error function and
 * one `const struct dialect api_NAME_dialect`; the Makefile builds every
 * src/api_*.c), and its line in API_DIALECTS.
 *
 * Seed 003's {"webhook": {...}} envelope owns no prefix or routes: it is a
 * body every create and update route accepts, unwrapped by the model's
 * decoder (webhook_decode), and answered in the dialect of the route.
 */
#ifndef DIALECT_H
#define DIALECT_H

#include <stddef.h>
#include <json-c/json.h>

#include "auth.h"
#include "router.h"

struct cfg;
struct http_req;
struct http_resp;
struct store;
struct wh_errors;
struct dialect;

/* One request, from routing to answer; freed by api_handle. */
struct spool;

struct api_ctx {
	struct http_req		*req;
	struct http_resp	*resp;
	struct store		*st;
	const struct cfg	*cfg;
	const struct dialect	*dialect;	/* of the route, or of the path */
	const struct route	*route;		/* NULL before routing */
	struct auth		 auth;		/* set when the route needs a token */
	const char		*params[ROUTER_PARAMS_MAX];
	json_object		*body;		/* parsed body of ROUTE_BODY routes */
};

/* The spool of the request's data directory: opened on first use and
 * kept for the life of the process (one a process: the admin page and the
 * API share it); NULL if it cannot be opened (logged).  api.c's. */
struct spool	*api_ctx_spool(struct api_ctx *);

struct dialect {
	const char		*name;		/* "native", "v1": tests, logs */
	/* The paths it answers: the prefix itself and what continues it
	 * with '/'.  A path no prefix covers is answered (404) in the shape
	 * of the first dialect. */
	const char		*prefix;
	const struct route	*routes;
	size_t			 nroutes;
	/* The status of a body that breaks the model's rules: 422, or 400
	 * where the seed lists no 422. */
	int			 invalid;
	/* Answers an error in the dialect's shape; errs (the bad fields) may
	 * be NULL. */
	void			(*error)(struct api_ctx *, int status,
				    const char *message,
				    const struct wh_errors *errs);
	/* NULL, or how the dialect runs each of its routes' handlers once
	 * the request is routed, authenticated and its body read (the Svix
	 * dialect: every POST under its idempotency key). */
	void			(*run)(struct api_ctx *, route_fn fn);
};

/*
 * Every dialect, in the order their routes are tried (the first route that
 * matches wins).  A new dialect is one line here.
 */
#define API_DIALECTS(X)							\
	X(api_native_dialect)	/* seed 000: /api/2.0/webhooks */	\
	X(api_events_dialect)	/* /api/2.0: events, deliveries */	\
	X(api_v1_dialect)	/* seed 001: /api/web/v1/webhooks */	\
	X(api_chatbot_dialect)	/* seed 002: /webhooks */		\
	X(api_svix_dialect)	/* Svix's API: /api/v1 */		\
	X(admin_dialect)	/* the HTML admin page: /admin */		\
	X(api_health_dialect)	/* GET /health (api_ops.c) */		\
	X(api_metrics_dialect)	/* GET /metrics (api_ops.c) */

#define DIALECT_DECLARE(d)	extern const struct dialect d;
API_DIALECTS(DIALECT_DECLARE)

/* The table API_DIALECTS makes (dialect.c; a test may link its own). */
extern const struct dialect *const	dialects[];
extern const size_t			ndialects;

#endif /* DIALECT_H */
