/*
 * auth_int: what the two auth files share, and nothing else includes:
 * auth.c (tokens and scopes) and auth_session.c (the admin page's
 * sessions, CSRF tokens, the login's rate limit), whose sessions and
 * limits look tokens up by their hash.
 */
#ifndef AUTH_INT_H
#define AUTH_INT_H

#include "auth.h"

/* A token record of the shape auth_token_create writes into *out,
 * without json-c: 0, or -1 (then read it with json-c). */
int	 auth_quick_token(const char *rec, struct auth *out);
/* The token whose SHA-256 is hash: STORE_OK and *out, or STORE_NOTFOUND. */
int	 auth_token_by_hash(struct store *, const char *hash,
	    struct auth *out);

#endif /* AUTH_INT_H */
