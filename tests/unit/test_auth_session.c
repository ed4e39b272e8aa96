/* Unit tests of auth_session (auth.h's second half) through a real store:
 * the admin page's sessions (life, bad ids, expiry), CSRF tokens and their
 * key, and the login's rate limit per address and per team. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "auth.h"
#include "store.h"
#include "util.h"

#include "token_fixture.h"

static int
setup(void **state)
{
	return token_setup(state, "test_auth_session");
}

static void
test_session_life(void **state)
{
	struct fixture	*f = *state;
	struct auth	 a;
	char		 sid[AUTH_SID_LEN + 1], sid2[AUTH_SID_LEN + 1];
	size_t		 i;

	assert_int_equal(auth_session_create(f->st, "wh_bogus", sid, &a),
	    STORE_NOTFOUND);
	assert_int_equal(auth_session_create(f->st, f->token, sid, &a),
	    STORE_OK);
	assert_string_equal(a.team, "red");
	assert_int_equal(a.scopes, SCOPE_VIEW | SCOPE_EDIT);
	assert_int_equal(strlen(sid), AUTH_SID_LEN);
	for (i = 0; i < AUTH_SID_LEN; i++)
		assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789-_", sid[i]));

	/* Two logins, two sessions. */
	assert_int_equal(auth_session_create(f->st, f->token, sid2, &a),
	    STORE_OK);
	assert_string_not_equal(sid, sid2);

	memset(&a, 0, sizeof(a));
	assert_int_equal(auth_session_check(f->st, sid, &a), STORE_OK);
	assert_string_equal(a.team, "red");
	assert_string_equal(a.id, f->id);

	/* Logout ends one session, not the other. */
	assert_int_equal(auth_session_destroy(f->st, sid), STORE_OK);
	assert_int_equal(auth_session_check(f->st, sid, &a), STORE_NOTFOUND);
	assert_int_equal(auth_session_destroy(f->st, sid), STORE_OK);
	assert_int_equal(auth_session_check(f->st, sid2, &a), STORE_OK);

	/* Revoking the token ends its sessions. */
	assert_int_equal(auth_token_revoke(f->st, f->id), STORE_OK);
	assert_int_equal(auth_session_check(f->st, sid2, &a), STORE_NOTFOUND);
}

static void
test_session_bad_ids(void **state)
{
	static const char *const bad[] = {
		"", "x", "../../etc/passwd",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",	/* 42 */
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",	/* 44 */
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",	/* padding */
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",	/* unknown */
	};
	struct fixture	*f = *state;
	struct auth	 a;
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (auth_session_check(f->st, bad[i], &a) != STORE_NOTFOUND)
			fail_msg("session id [%s] accepted", bad[i]);
		assert_int_equal(auth_session_destroy(f->st, bad[i]), STORE_OK);
	}
}

/* A session idle for more than 2 hours, or logged in more than 12 hours
 * ago, is over (and removed). */
static void
test_session_expiry(void **state)
{
	struct fixture	*f = *state;
	struct auth	 a;
	char		 sid[AUTH_SID_LEN + 1], key[65], th[65], *rec, *got;
	int64_t		 now = util_now_ms();

	assert_int_equal(auth_session_create(f->st, f->token, sid, &a),
	    STORE_OK);
	util_sha256_hex(sid, strlen(sid), key);
	util_sha256_hex(f->token, strlen(f->token), th);

	/* Idle for just under 2 hours: alive, and its clock restarts. */
	rec = xasprintf("{\"v\":1,\"token\":\"%s\",\"created\":%lld,"
	    "\"last\":%lld}", th, (long long)(now - AUTH_SESSION_IDLE_MS),
	    (long long)(now - AUTH_SESSION_IDLE_MS + 60000));
	assert_int_equal(store_put(f->st, STORE_SESSIONS, key, rec), STORE_OK);
	free(rec);
	assert_int_equal(auth_session_check(f->st, sid, &a), STORE_OK);
	assert_int_equal(store_get(f->st, STORE_SESSIONS, key, &got), STORE_OK);
	assert_non_null(strstr(got, "\"last\":"));
	assert_true(strtoll(strstr(got, "\"last\":") + 7, NULL, 10) >=
	    now - 1000);
	free(got);
	assert_int_equal(auth_session_check(f->st, sid, &a), STORE_OK);

	/* Idle for 2 hours and a minute: over. */
	rec = xasprintf("{\"v\":1,\"token\":\"%s\",\"created\":%lld,"
	    "\"last\":%lld}", th, (long long)(now - 2 * AUTH_SESSION_IDLE_MS),
	    (long long)(now - AUTH_SESSION_IDLE_MS - 60000));
	assert_int_equal(store_put(f->st, STORE_SESSIONS, key, rec), STORE_OK);
	free(rec);
	assert_int_equal(auth_session_check(f->st, sid, &a), STORE_NOTFOUND);
	assert_int_equal(store_get(f->st, STORE_SESSIONS, key, &got),
	    STORE_NOTFOUND);

	/* Used a minute ago, but logged in over 12 hours ago: over. */
	rec = xasprintf("{\"v\":1,\"token\":\"%s\",\"created\":%lld,"
	    "\"last\":%lld}", th, (long long)(now - AUTH_SESSION_MAX_MS - 1000),
	    (long long)(now - 60000));
	assert_int_equal(store_put(f->st, STORE_SESSIONS, key, rec), STORE_OK);
	free(rec);
	assert_int_equal(auth_session_check(f->st, sid, &a), STORE_NOTFOUND);
	/* And just under 12 hours: alive. */
	rec = xasprintf("{\"v\":1,\"token\":\"%s\",\"created\":%lld,"
	    "\"last\":%lld}", th, (long long)(now - AUTH_SESSION_MAX_MS + 60000),
	    (long long)(now - 60000));
	assert_int_equal(store_put(f->st, STORE_SESSIONS, key, rec), STORE_OK);
	free(rec);
	assert_int_equal(auth_session_check(f->st, sid, &a), STORE_OK);

	/* An unreadable record is no session either. */
	assert_int_equal(store_put(f->st, STORE_SESSIONS, key, "{nonsense"),
	    STORE_OK);
	assert_int_equal(auth_session_check(f->st, sid, &a), STORE_NOTFOUND);
}

static void
test_csrf(void **state)
{
	static const char sid1[] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	static const char sid2[] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB";
	struct fixture	*f = *state;
	char		 t1[AUTH_CSRF_LEN + 1], t1b[AUTH_CSRF_LEN + 1];
	char		 t2[AUTH_CSRF_LEN + 1], bad[AUTH_CSRF_LEN + 1];
	char		 sidhash[65], want[65], *rec, *msg;
	const char	*hex;
	unsigned char	 key[32];
	size_t		 i;

	assert_int_equal(auth_csrf_token(f->st, sid1, t1), STORE_OK);
	assert_int_equal(auth_csrf_token(f->st, sid1, t1b), STORE_OK);
	assert_int_equal(auth_csrf_token(f->st, sid2, t2), STORE_OK);
	assert_int_equal(strlen(t1), AUTH_CSRF_LEN);
	assert_int_equal(strspn(t1, "0123456789abcdef"), AUTH_CSRF_LEN);
	assert_string_equal(t1, t1b);			/* tied to the session */
	assert_string_not_equal(t1, t2);
	/* Not the store key (the session id's plain SHA-256). */
	util_sha256_hex(sid1, strlen(sid1), sidhash);
	assert_string_not_equal(t1, sidhash);
	/* Not the unkeyed SHA-256 that anyone could compute (the old way). */
	msg = xasprintf("webhooks admin csrf\n%s", sid1);
	util_sha256_hex(msg, strlen(msg), sidhash);
	assert_string_not_equal(t1, sidhash);
	/* But the HMAC under the 32-byte key kept in the store. */
	assert_int_equal(store_get(f->st, STORE_SECRETS, "csrf", &rec),
	    STORE_OK);
	hex = strstr(rec, "\"key\":\"");
	assert_non_null(hex);
	hex += 7;
	assert_int_equal(strcspn(hex, "\""), 64);
	for (i = 0; i < sizeof(key); i++) {
		unsigned v;
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		key[i] = (unsigned char)v;
	}
	util_hmac_sha256_hex(key, sizeof(key), msg, strlen(msg), want);
	assert_string_equal(t1, want);
	free(rec);
	free(msg);

	assert_int_equal(auth_csrf_check(f->st, sid1, t1), 1);
	assert_int_equal(auth_csrf_check(f->st, sid2, t1), 0);
	assert_int_equal(auth_csrf_check(f->st, sid1, NULL), 0);
	assert_int_equal(auth_csrf_check(f->st, sid1, ""), 0);
	assert_int_equal(auth_csrf_check(f->st, sid1, "abc"), 0);
	memcpy(bad, t1, sizeof(bad));
	bad[AUTH_CSRF_LEN - 1] = bad[AUTH_CSRF_LEN - 1] == '0' ? '1' : '0';
	assert_int_equal(auth_csrf_check(f->st, sid1, bad), 0);
}

/* Moves the window of a limit record back by ms (as if time passed). */
static void
age_limit(struct store *st, const char *key, int64_t ms)
{
	char	*rec, *p, *nrec;
	long long start;

	assert_int_equal(store_get(st, STORE_LIMITS, key, &rec), STORE_OK);
	assert_non_null(p = strstr(rec, "\"start\":"));
	start = strtoll(p + 8, NULL, 10);
	nrec = xasprintf("{\"v\":1,\"start\":%lld,\"fails\":%d,\"refused\":0}",
	    start - (long long)ms, AUTH_LOGIN_FAILS);
	assert_int_equal(store_put(st, STORE_LIMITS, key, nrec), STORE_OK);
	free(nrec);
	free(rec);
}

static void
test_login_limit(void **state)
{
	struct fixture	*f = *state;
	struct auth	 a;
	char		 sid[AUTH_SID_LEN + 1], addr[32], *rec;
	int		 i, retry;

	/* Ten failures from one address... */
	for (i = 0; i < AUTH_LOGIN_FAILS; i++) {
		assert_int_equal(auth_login(f->st, "192.0.2.1", "wh_nope", sid,
		    &a, &retry), STORE_NOTFOUND);
		assert_int_equal(retry, 0);
	}
	/* ...and its wrong tokens are refused for at most a minute, while
	 * a real token still logs in from it (the address may be a proxy's,
	 * shared by every client). */
	assert_int_equal(auth_login(f->st, "192.0.2.1", "wh_nope", sid, &a,
	    &retry), AUTH_LIMITED);
	assert_true(retry > 0 && retry <= AUTH_LOGIN_WINDOW_MS / 1000);
	assert_string_equal(sid, "");
	assert_int_equal(auth_login(f->st, "192.0.2.1", "wh_nope2", sid, &a,
	    &retry), AUTH_LIMITED);
	assert_int_equal(auth_login(f->st, "192.0.2.1", f->token, sid, &a,
	    &retry), STORE_OK);
	assert_string_equal(a.team, "red");
	assert_int_equal(retry, 0);
	/* The refusals are counted (for the log), not as failures; the
	 * real token's login is neither. */
	assert_int_equal(store_get(f->st, STORE_LIMITS, "addr 192.0.2.1",
	    &rec), STORE_OK);
	assert_non_null(strstr(rec, "\"fails\":10,\"refused\":2"));
	free(rec);
	/* Another address is not affected. */
	assert_int_equal(auth_login(f->st, "192.0.2.2", f->token, sid, &a,
	    &retry), STORE_OK);
	assert_string_equal(a.team, "red");
	/* Once the minute is over, the address may log in again. */
	age_limit(f->st, "addr 192.0.2.1", AUTH_LOGIN_WINDOW_MS);
	assert_int_equal(auth_login(f->st, "192.0.2.1", f->token, sid, &a,
	    &retry), STORE_OK);

	/* IPv6: a /64 is one client; an IPv4-mapped address is the IPv4. */
	for (i = 0; i < AUTH_LOGIN_FAILS; i++) {
		snprintf(addr, sizeof(addr), "2001:db8:1:2::%x", i + 1);
		assert_int_equal(auth_login(f->st, addr, "wh_nope", sid, &a,
		    &retry), STORE_NOTFOUND);
	}
	assert_int_equal(auth_login(f->st, "2001:db8:1:2:ffff:1:2:3",
	    "wh_nope", sid, &a, &retry), AUTH_LIMITED);
	assert_int_equal(auth_login(f->st, "2001:db8:1:3::1", "wh_nope", sid,
	    &a, &retry), STORE_NOTFOUND);
	for (i = 0; i < AUTH_LOGIN_FAILS; i++)
		assert_int_equal(auth_login(f->st, i % 2 ? "192.0.2.77" :
		    "::ffff:192.0.2.77", "wh_nope", sid, &a, &retry),
		    STORE_NOTFOUND);
	assert_int_equal(auth_login(f->st, "192.0.2.77", "wh_nope", sid, &a,
	    &retry), AUTH_LIMITED);

	/* Per team: its token's public id tried as a token, from many
	 * addresses, counts against the team... */
	for (i = 0; i < AUTH_LOGIN_FAILS; i++) {
		snprintf(addr, sizeof(addr), "198.51.100.%d", i + 1);
		assert_int_equal(auth_login(f->st, addr, f->id, sid, &a,
		    &retry), STORE_NOTFOUND);
	}
	assert_int_equal(auth_login(f->st, "198.51.100.99", f->id, sid, &a,
	    &retry), AUTH_LIMITED);
	assert_true(retry > 0 && retry <= AUTH_LOGIN_WINDOW_MS / 1000);
	/* ...an id no token has does not... */
	assert_int_equal(auth_login(f->st, "198.51.100.99", "0123456789ab",
	    sid, &a, &retry), STORE_NOTFOUND);
	/* ...and never keeps the team's own token out. */
	assert_int_equal(auth_login(f->st, "198.51.100.99", f->token, sid, &a,
	    &retry), STORE_OK);
	assert_int_equal(store_get(f->st, STORE_LIMITS, "team red", &rec),
	    STORE_OK);
	free(rec);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_session_life, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_session_bad_ids, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_session_expiry, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_csrf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_login_limit, setup,
		    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
