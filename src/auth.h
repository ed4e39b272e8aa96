/*
 * auth: API tokens and their scopes.  A token belongs to one team; the store
 * keeps only its SHA-256.  (Admin sessions and CSRF tokens live here too.)
 */
#ifndef AUTH_H
#define AUTH_H

#include "store.h"

#define SCOPE_VIEW	0x01	/* webhooks:view   WEBHOOKS:VIEW */
#define SCOPE_ADD	0x02	/* webhooks:add    WEBHOOKS:ADD */
#define SCOPE_EDIT	0x04	/* webhooks:edit   WEBHOOKS:EDIT */
#define SCOPE_REMOVE	0x08	/* webhooks:remove WEBHOOKS:REMOVE */
#define SCOPE_PUBLISH	0x10	/* events:publish  EVENTS:PUBLISH */
#define SCOPE_ALL	0x1f

#define AUTH_TEAM_MAX	64
#define AUTH_ID_LEN	12	/* a token's public id: hex of its hash */

struct auth {
	char		team[AUTH_TEAM_MAX + 1];
	unsigned	scopes;
	char		id[AUTH_ID_LEN + 1];
};

/* "webhooks:view,events:publish" (either case, or "all") -> bits; -1 if a
 * name is unknown. */
int	 auth_scopes_parse(const char *list, unsigned *out);
/* The canonical spelling, comma-separated; the caller frees it. */
char	*auth_scopes_format(unsigned);
/* 1 if name is a valid team name: 1..64 of [A-Za-z0-9._-]. */
int	 auth_team_valid(const char *name);

/*
 * Makes a token for the team: 192 random bits, "wh_" + base64url.  Stores
 * its hash; *token (the caller frees it) is the only copy of the text.
 */
int	auth_token_create(struct store *, const char *team, unsigned scopes,
	    char **token, char *id);
/* STORE_OK and *out filled for a known token, STORE_NOTFOUND otherwise. */
int	auth_token_check(struct store *, const char *token, struct auth *out);
/* Revokes by public id (or by the token text itself). */
int	auth_token_revoke(struct store *, const char *id_or_token);

#endif /* AUTH_H */
