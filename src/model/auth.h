/*
 * auth: API tokens and their scopes.  A token belongs to one team; the store
 * keeps only its SHA-256 (auth.c).  The admin page's sessions, CSRF tokens
 * and the login's rate limit are declared here too (auth_session.c).
 */
#ifndef AUTH_H
#define AUTH_H

#include "store.h"
#include "team.h"

#define SCOPE_VIEW	0x01	/* webhooks:view   WEBHOOKS:VIEW */
#define SCOPE_ADD	0x02	/* webhooks:add    WEBHOOKS:ADD */
#define SCOPE_EDIT	0x04	/* webhooks:edit   WEBHOOKS:EDIT */
#define SCOPE_REMOVE	0x08	/* webhooks:remove WEBHOOKS:REMOVE */
#define SCOPE_PUBLISH	0x10	/* events:publish  EVENTS:PUBLISH */
/* "all": a team's scopes.  The metrics are the whole service's, not a
 * team's: their scope is never implied, only named. */
#define SCOPE_ALL	0x1f
#define SCOPE_METRICS	0x20	/* metrics:view    METRICS:VIEW (GET /metrics) */

#define AUTH_TEAM_MAX	TEAM_NAME_MAX
#define AUTH_ID_LEN	12	/* a token's public id: hex of its hash */

struct auth {
	char		team[AUTH_TEAM_MAX + 1];
	unsigned	scopes;
	char		id[AUTH_ID_LEN + 1];
};

/* "webhooks:view,events:publish" (either case, or "all": SCOPE_ALL) ->
 * bits; -1 if a name is unknown. */
int	 auth_scopes_parse(const char *list, unsigned *out);
/* The canonical spelling, comma-separated; the caller frees it. */
char	*auth_scopes_format(unsigned);
/* team_name_valid (team.h), for the callers that know only auth. */
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
/* A token as a listing shows it (never its text, which is not kept). */
struct auth_token_info {
	char		 id[AUTH_ID_LEN + 1];
	const char	*team;		/* NULL when the record lacks it */
	const char	*scopes;	/* auth_scopes_format's, or NULL */
	int64_t		 created_at;	/* ms; 0 when unknown */
};
/* Calls fn for each token in the order of their hashes (a readable record
 * each; others are skipped); a non-zero return stops early.  A store
 * result. */
typedef int (*auth_token_each_fn)(const struct auth_token_info *, void *arg);
int	auth_token_foreach(struct store *, auth_token_each_fn, void *arg);

/* ---- admin sessions and CSRF ------------------------------------------ */
/*
 * A session of the admin page: a random id (the cookie's value) whose
 * SHA-256 keys a record in STORE_SESSIONS.  The record remembers the hash of
 * the API token that logged in, so the team and scopes are the token's own
 * at every request and revoking the token ends its sessions.  A session
 * ends at logout, when its token is revoked, after 2 hours idle, and in any
 * case 12 hours after the login.
 */
#define AUTH_SESSION_IDLE_MS	(2LL * 3600 * 1000)
#define AUTH_SESSION_MAX_MS	(12LL * 3600 * 1000)
#define AUTH_SID_LEN		43	/* base64url of 32 random bytes */
#define AUTH_CSRF_LEN		64	/* hex of an HMAC-SHA256 */

/*
 * Logs in with an API token: STORE_OK with the new session's id in sid and
 * the token's holder in *out; STORE_NOTFOUND for a bad token.  Removes
 * expired sessions on the way.  (No rate limit: auth_login adds it.)
 */
int	auth_session_create(struct store *, const char *token,
	    char sid[AUTH_SID_LEN + 1], struct auth *out);
/* STORE_OK and *out for a live session (its idle clock restarts),
 * STORE_NOTFOUND for an unknown, expired or revoked one. */
int	auth_session_check(struct store *, const char *sid, struct auth *out);
/* Ends a session (STORE_OK also when it did not exist). */
int	auth_session_destroy(struct store *, const char *sid);
/*
 * The CSRF token of a session id (or of the login form's cookie value):
 * hex HMAC-SHA256 of a tag and the id under the server's CSRF key, so that
 * it is tied to the session, reveals nothing of the id, and cannot be made
 * without the key.  The key is 32 random bytes made once, by the first
 * process that needs it, in the store (STORE_SECRETS "csrf"), and kept by
 * each process once read.  STORE_OK, or the store's error when the key can
 * be neither read nor made (then out is "").
 */
int	auth_csrf_token(struct store *, const char *sid,
	    char out[AUTH_CSRF_LEN + 1]);
/* Makes the server's keys (the CSRF key) unless they exist: `webhookctl
 * init` calls it, so that a new data directory serves the login page
 * without a write (a full disk, a failing one).  A store's result. */
int	auth_keys_init(struct store *);
/* 1 if token is sid's CSRF token (compared in constant time), else 0. */
int	auth_csrf_check(struct store *, const char *sid, const char *token);

/* ---- the admin login's rate limit --------------------------------------- */
/*
 * Failed logins are counted per client address, and per team for the
 * failures that name one (the text tried was the public id of one of the
 * team's tokens: a wrong token reveals no team).  AUTH_LOGIN_FAILS failures
 * of one key within AUTH_LOGIN_WINDOW_MS of its first one refuse its next
 * logins until that window ends, at most a minute.  The counts live in the
 * store (STORE_LIMITS), shared by every process.  A team's limit never
 * refuses one of its own tokens.
 */
#define AUTH_LOGIN_FAILS	10
#define AUTH_LOGIN_WINDOW_MS	(60 * 1000)
#define AUTH_LIMITED		(-2)	/* auth_login: too many failures */

/*
 * auth_session_create under the rate limit, for a client at addr.
 * STORE_OK (a session), STORE_NOTFOUND (a bad token: counted, and logged
 * when it is the first of its window or reaches the limit), AUTH_LIMITED
 * with *retry_s (seconds until the window ends) without trying the token,
 * or a store error.
 */
int	auth_login(struct store *, const char *addr, const char *token,
	    char sid[AUTH_SID_LEN + 1], struct auth *out, int *retry_s);

#endif /* AUTH_H */
