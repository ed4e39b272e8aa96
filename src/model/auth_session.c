/*
 * auth_session: the admin page's sessions, CSRF tokens and the login's
 * rate limit (auth.h), over the store's session, secret and limit tables.
 * A session holds its token's hash: revoking the token ends its sessions
 * (auth_token_by_hash, auth_int.h).
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "auth.h"
#include "auth_int.h"
#include "log.h"
#include "util.h"

/* ---- admin sessions and CSRF ------------------------------------------ */

#define SESSION_RECORD_VERSION	1
/* The idle clock is written at most this often (a store write). */
#define SESSION_TOUCH_MS	(60 * 1000)

/* 1 if sid has the shape of a session id (before any store access). */
static int
sid_valid(const char *sid)
{
	size_t	 i;

	for (i = 0; sid[i] != '\0'; i++)
		if (!((sid[i] >= 'a' && sid[i] <= 'z') ||
		    (sid[i] >= 'A' && sid[i] <= 'Z') ||
		    (sid[i] >= '0' && sid[i] <= '9') || sid[i] == '-' ||
		    sid[i] == '_'))
			return 0;
	return i == AUTH_SID_LEN;
}

static char *
session_record(const char *token_hash, int64_t created, int64_t last)
{
	json_object	*j;
	char		*s;

	j = json_object_new_object();
	json_object_object_add(j, "v",
	    json_object_new_int(SESSION_RECORD_VERSION));
	json_object_object_add(j, "token", json_object_new_string(token_hash));
	json_object_object_add(j, "created", json_object_new_int64(created));
	json_object_object_add(j, "last", json_object_new_int64(last));
	s = xstrdup(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
	json_object_put(j);
	return s;
}

/* Reads a session record; 0, or -1 if it is unreadable. */
static int
session_parse(const char *rec, char token_hash[65], int64_t *created,
    int64_t *last)
{
	json_object	*j, *v;
	const char	*s;
	int		 rc = -1;

	if ((j = json_tokener_parse(rec)) == NULL)
		return -1;
	if (json_object_object_get_ex(j, "token", &v) &&
	    (s = json_object_get_string(v)) != NULL && strlen(s) == 64) {
		memcpy(token_hash, s, 65);
		*created = json_object_object_get_ex(j, "created", &v) ?
		    json_object_get_int64(v) : 0;
		*last = json_object_object_get_ex(j, "last", &v) ?
		    json_object_get_int64(v) : 0;
		rc = 0;
	}
	json_object_put(j);
	return rc;
}

/* 1 when a session created and last used then is over at now. */
static int
session_over(int64_t now, int64_t created, int64_t last)
{
	return now - last > AUTH_SESSION_IDLE_MS ||
	    now - created > AUTH_SESSION_MAX_MS;
}

struct expired {
	char	**keys;
	size_t	  n;
	int64_t	  now;
};

static int
collect_expired(const char *key, const char *json, void *arg)
{
	struct expired	*x = arg;
	char		 th[65];
	int64_t		 created, last;

	if (session_parse(json, th, &created, &last) == -1 ||
	    session_over(x->now, created, last)) {
		x->keys = xrealloc(x->keys, (x->n + 1) * sizeof(*x->keys));
		x->keys[x->n++] = xstrdup(key);
	}
	return 0;
}

/* Removes expired and unreadable sessions; failures only delay it. */
static void
sessions_prune(struct store *st, int64_t now)
{
	struct expired	 x;
	size_t		 i;

	memset(&x, 0, sizeof(x));
	x.now = now;
	if (store_foreach(st, STORE_SESSIONS, collect_expired, &x) == STORE_OK)
		for (i = 0; i < x.n; i++)
			store_del(st, STORE_SESSIONS, x.keys[i]);
	for (i = 0; i < x.n; i++)
		free(x.keys[i]);
	free(x.keys);
}

int
auth_session_create(struct store *st, const char *token,
    char sid[AUTH_SID_LEN + 1], struct auth *out)
{
	unsigned char	 raw[32];
	char		 th[65], key[65], *b64, *rec;
	int64_t		 now = util_now_ms();
	size_t		 i;
	int		 rc;

	if (strlen(token) > 256)
		return STORE_NOTFOUND;
	util_sha256_hex(token, strlen(token), th);
	if ((rc = auth_token_by_hash(st, th, out)) != STORE_OK)
		return rc;
	sessions_prune(st, now);

	util_random(raw, sizeof(raw));
	b64 = util_base64(raw, sizeof(raw));	/* 43 characters and '=' */
	for (i = 0; i < AUTH_SID_LEN; i++)
		sid[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : b64[i];
	sid[AUTH_SID_LEN] = '\0';
	free(b64);
	util_sha256_hex(sid, AUTH_SID_LEN, key);
	rec = session_record(th, now, now);
	rc = store_put_new(st, STORE_SESSIONS, key, rec, NULL);
	free(rec);
	if (rc != STORE_OK)
		memset(sid, 0, AUTH_SID_LEN + 1);
	return rc;
}

int
auth_session_check(struct store *st, const char *sid, struct auth *out)
{
	char		 key[65], th[65], *rec = NULL, *nrec;
	int64_t		 created, last, now = util_now_ms();
	int		 rc;

	if (!sid_valid(sid))
		return STORE_NOTFOUND;
	util_sha256_hex(sid, AUTH_SID_LEN, key);
	if ((rc = store_get(st, STORE_SESSIONS, key, &rec)) != STORE_OK)
		return rc;
	if (session_parse(rec, th, &created, &last) == -1) {
		log_warn("auth_session_check: session %.12s: unreadable record",
		    key);
		rc = STORE_NOTFOUND;
		goto end;
	}
	if (session_over(now, created, last)) {
		rc = STORE_NOTFOUND;
		goto end;
	}
	/* The token's team and scopes now; revoked: the session ends. */
	if ((rc = auth_token_by_hash(st, th, out)) != STORE_OK)
		goto end;
	if (now - last > SESSION_TOUCH_MS) {
		nrec = session_record(th, created, now);
		if (store_put(st, STORE_SESSIONS, key, nrec) != STORE_OK)
			log_warn("auth_session_check: session %.12s: cannot "
			    "note its use", key);
		free(nrec);
	}
	free(rec);
	return STORE_OK;
end:
	free(rec);
	if (rc == STORE_NOTFOUND)
		store_del(st, STORE_SESSIONS, key);
	return rc;
}

int
auth_session_destroy(struct store *st, const char *sid)
{
	char	 key[65];
	int	 rc;

	if (!sid_valid(sid))
		return STORE_OK;
	util_sha256_hex(sid, AUTH_SID_LEN, key);
	rc = store_del(st, STORE_SESSIONS, key);
	return rc == STORE_NOTFOUND ? STORE_OK : rc;
}

/* The CSRF key, once read or made; keylen 0 until then. */
static struct {
	unsigned char	 key[32];
	size_t		 keylen;
} csrf;

#define CSRF_KEY_NAME	"csrf"

/* Reads the hex key of a STORE_SECRETS record; 0, or -1. */
static int
csrf_key_parse(const char *rec)
{
	json_object	*j, *v;
	const char	*s;
	size_t		 i;
	int		 rc = -1;

	if ((j = json_tokener_parse(rec)) == NULL)
		return -1;
	if (json_object_object_get_ex(j, "key", &v) &&
	    (s = json_object_get_string(v)) != NULL &&
	    strlen(s) == 2 * sizeof(csrf.key) &&
	    strspn(s, "0123456789abcdef") == 2 * sizeof(csrf.key)) {
		for (i = 0; i < sizeof(csrf.key); i++) {
			unsigned hi = (unsigned)(s[2 * i] <= '9' ? s[2 * i] - '0' :
			    s[2 * i] - 'a' + 10);
			unsigned lo = (unsigned)(s[2 * i + 1] <= '9' ?
			    s[2 * i + 1] - '0' : s[2 * i + 1] - 'a' + 10);
			csrf.key[i] = (unsigned char)(hi << 4 | lo);
		}
		csrf.keylen = sizeof(csrf.key);
		rc = 0;
	}
	json_object_put(j);
	return rc;
}

/*
 * Loads the CSRF key, making it if no process has yet: store_put_new
 * decides between two processes making it at once, and the loser reads
 * the winner's.
 */
static int
csrf_key(struct store *st)
{
	unsigned char	 raw[sizeof(csrf.key)];
	char		 hex[2 * sizeof(csrf.key) + 1], *rec = NULL;
	char		*mine, *existing = NULL;
	int		 rc;

	if (csrf.keylen != 0)
		return STORE_OK;
	rc = store_get(st, STORE_SECRETS, CSRF_KEY_NAME, &rec);
	if (rc == STORE_NOTFOUND) {
		util_random(raw, sizeof(raw));
		util_hex(raw, sizeof(raw), hex);
		mine = xasprintf("{\"v\":1,\"key\":\"%s\",\"created\":%lld}",
		    hex, (long long)util_now_ms());
		rc = store_put_new(st, STORE_SECRETS, CSRF_KEY_NAME, mine,
		    &existing);
		if (rc == STORE_OK) {
			rec = mine;
			mine = NULL;
		} else if (rc == STORE_EXISTS) {
			rec = existing;
			rc = STORE_OK;
		}
		free(mine);
		memset(hex, 0, sizeof(hex));
		memset(raw, 0, sizeof(raw));
	}
	if (rc == STORE_OK && csrf_key_parse(rec) == -1) {
		log_warn("auth_csrf_token: the CSRF key in secrets.db is "
		    "unreadable");
		rc = STORE_ERR;
	}
	free(rec);
	return rc;
}

int
auth_keys_init(struct store *st)
{
	return csrf_key(st);
}

int
auth_csrf_token(struct store *st, const char *sid,
    char out[AUTH_CSRF_LEN + 1])
{
	char	*s;
	int	 rc;

	out[0] = '\0';
	if ((rc = csrf_key(st)) != STORE_OK)
		return rc;
	s = xasprintf("webhooks admin csrf\n%s", sid);
	util_hmac_sha256_hex(csrf.key, csrf.keylen, s, strlen(s), out);
	free(s);
	return STORE_OK;
}

int
auth_csrf_check(struct store *st, const char *sid, const char *token)
{
	char	 want[AUTH_CSRF_LEN + 1];

	if (token == NULL || strlen(token) != AUTH_CSRF_LEN ||
	    auth_csrf_token(st, sid, want) != STORE_OK)
		return 0;
	return util_ct_compare(want, token, AUTH_CSRF_LEN) == 0;
}

/* ---- the admin login's rate limit --------------------------------------- */

#define LIMIT_RECORD_VERSION	1
#define LIMIT_KEY_MAX		96

/* A key's failures: the window began at start (ms), fails in it, refused
 * the logins refused since the limit was reached. */
struct limit {
	int64_t		 start;
	long		 fails;
	long		 refused;
};

static int
limit_parse(const char *rec, struct limit *l)
{
	json_object	*j, *v;

	memset(l, 0, sizeof(*l));
	if (rec == NULL || (j = json_tokener_parse(rec)) == NULL)
		return -1;
	if (json_object_object_get_ex(j, "start", &v))
		l->start = json_object_get_int64(v);
	if (json_object_object_get_ex(j, "fails", &v))
		l->fails = (long)json_object_get_int64(v);
	if (json_object_object_get_ex(j, "refused", &v))
		l->refused = (long)json_object_get_int64(v);
	json_object_put(j);
	return 0;
}

static char *
limit_record(const struct limit *l)
{
	return xasprintf("{\"v\":%d,\"start\":%lld,\"fails\":%ld,"
	    "\"refused\":%ld}", LIMIT_RECORD_VERSION, (long long)l->start,
	    l->fails, l->refused);
}

static int
limit_over(const struct limit *l, int64_t now)
{
	return now - l->start >= AUTH_LOGIN_WINDOW_MS;
}

/* What one store_update of a limit record did (the callback's outputs). */
struct limit_op {
	int		 fail;		/* 1: count a failure, 0: a refusal */
	int64_t		 now;
	struct limit	 was;		/* the record before (zero if none) */
	struct limit	 now_l;		/* and after */
};

static int
limit_bump(const char *old, char **json, void *arg)
{
	struct limit_op	*op = arg;
	struct limit	 l;

	if (limit_parse(old, &l) == -1)
		memset(&l, 0, sizeof(l));
	op->was = l;
	if (limit_over(&l, op->now)) {
		l.start = op->now;
		l.fails = 0;
		l.refused = 0;
	}
	if (op->fail)
		l.fails++;
	else
		l.refused++;
	op->now_l = l;
	*json = limit_record(&l);
	return 0;
}

/* Seconds until key's window ends if it is limited (then STORE_OK and
 * *retry_s > 0); *retry_s 0 if not. */
static int
limit_check(struct store *st, const char *key, int64_t now, int *retry_s)
{
	struct limit	 l;
	char		*rec = NULL;
	int		 rc;

	*retry_s = 0;
	rc = store_get(st, STORE_LIMITS, key, &rec);
	if (rc == STORE_NOTFOUND)
		return STORE_OK;
	if (rc != STORE_OK)
		return rc;
	if (limit_parse(rec, &l) == 0 && l.fails >= AUTH_LOGIN_FAILS &&
	    !limit_over(&l, now))
		*retry_s = (int)((l.start + AUTH_LOGIN_WINDOW_MS - now + 999) /
		    1000);
	free(rec);
	return STORE_OK;
}

/* Counts a failure (fail 1) or a refusal (0) of key; op's outputs say what
 * the record was and became. */
static int
limit_count(struct store *st, const char *key, int fail, int64_t now,
    struct limit_op *op)
{
	memset(op, 0, sizeof(*op));
	op->fail = fail;
	op->now = now;
	return store_update(st, STORE_LIMITS, key, limit_bump, op, NULL);
}

struct limit_expired {
	char	**keys;
	long	 *refused;
	size_t	  n;
	int64_t	  now;
};

static int
collect_limits(const char *key, const char *json, void *arg)
{
	struct limit_expired	*x = arg;
	struct limit		 l;

	if (limit_parse(json, &l) == -1 || limit_over(&l, x->now)) {
		x->keys = xrealloc(x->keys, (x->n + 1) * sizeof(*x->keys));
		x->refused = xrealloc(x->refused,
		    (x->n + 1) * sizeof(*x->refused));
		x->keys[x->n] = xstrdup(key);
		x->refused[x->n++] = l.refused;
	}
	return 0;
}

/*
 * Removes the records of windows that are over, at most once a window in
 * a process, and logs how many logins each refused while it was limited
 * (the one line a limited key gets besides its first failure and the
 * limit).  Failures only delay it.
 */
static void
limits_prune(struct store *st, int64_t now)
{
	static int64_t		 last;
	struct limit_expired	 x;
	size_t			 i;

	if (now - last < AUTH_LOGIN_WINDOW_MS)
		return;
	last = now;
	memset(&x, 0, sizeof(x));
	x.now = now;
	if (store_foreach(st, STORE_LIMITS, collect_limits, &x) == STORE_OK)
		for (i = 0; i < x.n; i++) {
			if (x.refused[i] > 0)
				log_info("admin_login: %s: %ld more logins "
				    "refused while limited", x.keys[i],
				    x.refused[i]);
			store_del(st, STORE_LIMITS, x.keys[i]);
		}
	for (i = 0; i < x.n; i++)
		free(x.keys[i]);
	free(x.keys);
	free(x.refused);
}

struct id_team {
	const char	*id;
	char		 team[AUTH_TEAM_MAX + 1];
};

static int
id_team(const char *key, const char *json, void *arg)
{
	struct id_team	*f = arg;
	struct auth	 a;

	if (strncmp(key, f->id, AUTH_ID_LEN) != 0)
		return 0;
	if (auth_quick_token(json, &a) == 0)
		memcpy(f->team, a.team, sizeof(f->team));
	return 1;
}

/* The team whose token has the public id text, into team ("" if none). */
static int
team_of_id(struct store *st, const char *text, char team[AUTH_TEAM_MAX + 1])
{
	struct id_team	 f;
	int		 rc;

	team[0] = '\0';
	if (strlen(text) != AUTH_ID_LEN ||
	    strspn(text, "0123456789abcdef") != AUTH_ID_LEN)
		return STORE_OK;
	memset(&f, 0, sizeof(f));
	f.id = text;
	if ((rc = store_token_foreach(st, id_team, &f)) == STORE_OK)
		memcpy(team, f.team, AUTH_TEAM_MAX + 1);
	return rc;
}

/*
 * The limit's key of a client address: "addr 192.0.2.1"; an IPv6 client
 * by its /64 ("addr 2001:db8:1:2::/64"), since one host commonly has a
 * whole /64 to draw addresses from; an IPv4-mapped one as IPv4.
 */
static void
limit_addr_key(const char *addr, char *key, size_t keylen)
{
	struct in6_addr	 a6;
	char		 text[INET6_ADDRSTRLEN];

	if (addr == NULL || *addr == '\0')
		addr = "-";
	if (strchr(addr, ':') != NULL && inet_pton(AF_INET6, addr, &a6) == 1) {
		if (IN6_IS_ADDR_V4MAPPED(&a6) &&
		    inet_ntop(AF_INET, &a6.s6_addr[12], text, sizeof(text)) !=
		    NULL) {
			snprintf(key, keylen, "addr %s", text);
			return;
		}
		memset(&a6.s6_addr[8], 0, 8);
		if (inet_ntop(AF_INET6, &a6, text, sizeof(text)) != NULL) {
			snprintf(key, keylen, "addr %s/64", text);
			return;
		}
	}
	/* What the web server says: at most an IPv6 text. */
	snprintf(key, keylen, "addr %.64s", addr);
}

/* Counts a failure of key and logs the first of its window (with what was
 * refused in the window before) and the one that reaches the limit. */
static void
login_failed(struct store *st, const char *key, const char *addr,
    int64_t now)
{
	struct limit_op	 op;
	char		 who[2 * LIMIT_KEY_MAX];

	if (limit_count(st, key, 1, now, &op) != STORE_OK) {
		log_warn("admin_login: %s: a failed login from %s not counted",
		    key, addr);
		return;
	}
	/* "from 192.0.2.1", or "for team red (...)" */
	if (strncmp(key, "addr ", 5) == 0)
		snprintf(who, sizeof(who), "from %s", addr);
	else
		snprintf(who, sizeof(who), "for team %s (a token id tried as "
		    "the token, from %s)", key + 5, addr);
	if (op.now_l.fails == 1 && op.was.refused > 0)
		log_info("admin_login: a login refused %s, after %ld refused "
		    "while limited", who, op.was.refused);
	else if (op.now_l.fails == 1)
		log_info("admin_login: a login refused %s", who);
	else if (op.now_l.fails == AUTH_LOGIN_FAILS)
		log_warn("admin_login: %d failed logins in %d s, the last %s: "
		    "further logins refused for %lld s (then counted, not "
		    "logged)", AUTH_LOGIN_FAILS, AUTH_LOGIN_WINDOW_MS / 1000,
		    who, (long long)(op.now_l.start + AUTH_LOGIN_WINDOW_MS -
		    now + 999) / 1000);
}

int
auth_login(struct store *st, const char *addr, const char *token,
    char sid[AUTH_SID_LEN + 1], struct auth *out, int *retry_s)
{
	char		 akey[LIMIT_KEY_MAX], tkey[LIMIT_KEY_MAX];
	char		 team[AUTH_TEAM_MAX + 1];
	struct limit_op	 op;
	int64_t		 now = util_now_ms();
	int		 rc, retry;

	*retry_s = 0;
	memset(sid, 0, AUTH_SID_LEN + 1);
	limits_prune(st, now);
	limit_addr_key(addr, akey, sizeof(akey));
	team[0] = '\0';
	if ((rc = limit_check(st, akey, now, &retry)) != STORE_OK)
		return rc;
	if (retry == 0 && (rc = team_of_id(st, token, team)) != STORE_OK)
		return rc;
	if (team[0] != '\0') {
		snprintf(tkey, sizeof(tkey), "team %s", team);
		if ((rc = limit_check(st, tkey, now, &retry)) != STORE_OK)
			return rc;
	}
	/*
	 * A limited address still logs in with a real token: the addresses
	 * behind one proxy or NAT are one, and one client's wrong tokens
	 * must not lock every other out.  The limit cannot be what stops
	 * guessing anyway (a token has 192 random bits, and the API takes
	 * tokens unlimited); it keeps failures cheap and the log short.  A
	 * team's limit is only ever reached by its token ids, never tokens.
	 */
	rc = team[0] != '\0' && retry > 0 ? STORE_NOTFOUND :
	    auth_session_create(st, token, sid, out);
	if (retry > 0 && rc == STORE_NOTFOUND) {
		/* Counted, not logged: limits_prune logs the count. */
		(void)limit_count(st, team[0] != '\0' ? tkey : akey, 0, now,
		    &op);
		*retry_s = retry;
		return AUTH_LIMITED;
	}
	if (rc != STORE_NOTFOUND)
		return rc;
	login_failed(st, akey, addr != NULL ? addr : "-", now);
	if (team[0] != '\0')
		login_failed(st, tkey, addr != NULL ? addr : "-", now);
	return STORE_NOTFOUND;
}
