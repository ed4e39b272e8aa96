/*
 * admin: the HTML admin page under /admin/.  Log in with an API token (a
 * server-side session in a cookie), then list, create, edit, delete and test
 * the token's team's webhooks and see their recent deliveries, as far as
 * the token's scopes allow.  Pages are rendered from templates/ by tmpl;
 * every POST carries a CSRF token; no JavaScript.
 */
#ifndef ADMIN_H
#define ADMIN_H

#include "dialect.h"

/* The page is a dialect of its own, admin_dialect (dialect.h): prefix
 * /admin, HTML pages, its errors (unknown paths, wrong methods) as admin
 * pages.  Nothing else is exported. */
extern const struct dialect	admin_dialect;

#endif /* ADMIN_H */
