/*
 * admin: the HTML admin page under /admin/.  Log in with an API token (a
 * server-side session in a cookie), then list, create, edit, delete and test
 * the token's team's webhooks and see their recent deliveries, as far as
 * the token's scopes allow.  Pages are rendered from templates/ by tmpl;
 * every POST carries a CSRF token; no JavaScript.
 */
#ifndef ADMIN_H
#define ADMIN_H

#include <stddef.h>

#include "router.h"

struct api_ctx;

/* The routes: every one ROUTE_NOAUTH (they check the session themselves),
 * dialect API_ADMIN. */
extern const struct route	api_admin_routes[];
extern const size_t		api_admin_nroutes;

/* Answers an error as an admin HTML page (api_error's API_ADMIN branch:
 * unknown paths and wrong methods under /admin/). */
void	admin_error(struct api_ctx *, int status, const char *message);

#endif /* ADMIN_H */
