/* Unit tests of auth: scopes, tokens through a real store.  (The admin
 * page's sessions, CSRF tokens and login limit: test_auth_session.) */
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

static void
test_scopes(void **state)
{
	static const struct {
		const char	*in;
		int		 rc;
		unsigned	 want;
	} cases[] = {
		{ "webhooks:view", 0, SCOPE_VIEW },
		{ "WEBHOOKS:VIEW,WEBHOOKS:ADD", 0, SCOPE_VIEW | SCOPE_ADD },
		{ "webhooks:edit, webhooks:remove", 0, SCOPE_EDIT | SCOPE_REMOVE },
		{ "events:publish", 0, SCOPE_PUBLISH },
		{ "all", 0, SCOPE_ALL },
		{ "WEBHOOKS:REMOVE", 0, SCOPE_REMOVE },
		{ "webhooks:delete", -1, 0 },
		{ "view", -1, 0 },
		{ "", 0, 0 },
	};
	unsigned	 bits;
	char		*s;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (auth_scopes_parse(cases[i].in, &bits) != cases[i].rc)
			fail_msg("%s: wrong result", cases[i].in);
		if (cases[i].rc == 0 && bits != cases[i].want)
			fail_msg("%s: %x, want %x", cases[i].in, bits,
			    cases[i].want);
	}
	s = auth_scopes_format(SCOPE_ALL);
	assert_string_equal(s, "webhooks:view,webhooks:add,webhooks:edit,"
	    "webhooks:remove,events:publish");
	assert_int_equal(auth_scopes_parse(s, &bits), 0);
	assert_int_equal(bits, SCOPE_ALL);
	free(s);
}

/* The listing's view of each token: its public id, team, scopes, time. */
struct seen {
	char	 ids[4][AUTH_ID_LEN + 1];
	char	 scopes[4][128];
	size_t	 n;
};

static int
see_token(const struct auth_token_info *t, void *arg)
{
	struct seen	*s = arg;

	assert_true(s->n < 4);
	assert_string_equal(t->team, "a");
	assert_true(t->created_at > 0);
	memcpy(s->ids[s->n], t->id, sizeof(t->id));
	snprintf(s->scopes[s->n], sizeof(s->scopes[0]), "%s", t->scopes);
	s->n++;
	return 0;
}

static void
test_tokens(void **state)
{
	char		 dir[] = "/tmp/authtestXXXXXX", cmd[64];
	struct store	*st;
	struct auth	 a;
	char		*t1, *t2, id1[AUTH_ID_LEN + 1], id2[AUTH_ID_LEN + 1];
	struct seen	 seen;
	int		 k;

	(void)state;
	assert_non_null(mkdtemp(dir));
	st = store_open(dir, STORE_CREATE);
	assert_non_null(st);
	assert_int_equal(team_add(st, "a"), STORE_OK);
	assert_int_equal(auth_token_create(st, "a", SCOPE_ALL, &t1, id1),
	    STORE_OK);
	assert_int_equal(auth_token_create(st, "a", SCOPE_VIEW, &t2, id2),
	    STORE_OK);
	/* 192 random bits: "wh_" and 32 base64url characters. */
	assert_int_equal(strlen(t1), 35);
	assert_int_equal(strncmp(t1, "wh_", 3), 0);
	assert_null(strpbrk(t1, "+/="));
	assert_string_not_equal(t1, t2);

	assert_int_equal(auth_token_check(st, t1, &a), STORE_OK);
	assert_string_equal(a.team, "a");
	assert_int_equal(a.scopes, SCOPE_ALL);
	assert_string_equal(a.id, id1);
	assert_int_equal(auth_token_check(st, t2, &a), STORE_OK);
	assert_int_equal(a.scopes, SCOPE_VIEW);
	assert_int_equal(auth_token_check(st, "wh_nope", &a), STORE_NOTFOUND);
	assert_int_equal(auth_token_check(st, "", &a), STORE_NOTFOUND);

	/* The listing: both, by their public ids, never their text. */
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(auth_token_foreach(st, see_token, &seen), STORE_OK);
	assert_int_equal(seen.n, 2);
	k = strcmp(seen.ids[0], id1) == 0 ? 0 : 1;
	assert_string_equal(seen.ids[k], id1);
	assert_string_equal(seen.scopes[k], "webhooks:view,webhooks:add,"
	    "webhooks:edit,webhooks:remove,events:publish");
	assert_string_equal(seen.ids[1 - k], id2);
	assert_string_equal(seen.scopes[1 - k], "webhooks:view");

	/* Revoke by id, then by the token text itself. */
	assert_int_equal(auth_token_revoke(st, id1), STORE_OK);
	assert_int_equal(auth_token_check(st, t1, &a), STORE_NOTFOUND);
	assert_int_equal(auth_token_revoke(st, t2), STORE_OK);
	assert_int_equal(auth_token_check(st, t2, &a), STORE_NOTFOUND);
	assert_int_equal(auth_token_revoke(st, id1), STORE_NOTFOUND);
	free(t1);
	free(t2);
	store_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scopes),
		cmocka_unit_test(test_tokens),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
