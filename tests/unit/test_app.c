/*
 * Unit tests of the Svix dialect's applications (src/model/app.c over
 * src/store/store_app.c) and of its idempotency records (src/model/idem.c):
 * the id generator's format and order, the uid rule, create / get by id
 * and by uid / put / patch / delete, unique uids per team, another team's
 * application not found, list pages in both orders and backwards, and the
 * answers kept for an idempotency key.  Each store test runs in its own
 * temporary directory.
 */
#include <sys/wait.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "idem.h"
#include "store.h"
#include "util.h"
#include "store_fixture.h"
#include "json_fixture.h"

static void
test_id_format_and_order(void **state)
{
	char		 prev[APP_ID_MAX + 1], id[APP_ID_MAX + 1];
	const char	*p;
	int		 i;

	(void)state;
	app_id_make("app_", prev);
	for (i = 0; i < 20000; i++) {
		app_id_make("app_", id);
		assert_int_equal(strlen(id), 4 + APP_KSUID_LEN);
		assert_memory_equal(id, "app_", 4);
		for (p = id + 4; *p; p++)
			assert_non_null(strchr("0123456789ABCDEFGHIJKLMNOPQRS"
			    "TUVWXYZabcdefghijklmnopqrstuvwxyz", *p));
		/* Strictly increasing within a process, even within one ms. */
		assert_true(strcmp(prev, id) < 0);
		memcpy(prev, id, sizeof(id));
	}
	/* Other prefixes, same length of the rest. */
	app_id_make("msg_", id);
	assert_int_equal(strlen(id), 4 + APP_KSUID_LEN);
	app_id_make("atmpt_", id);
	assert_int_equal(strlen(id), 6 + APP_KSUID_LEN);
	assert_true(strlen(id) <= APP_ID_MAX);
}

static void
test_id_time_order(void **state)
{
	char		 a[APP_ID_MAX + 1], b[APP_ID_MAX + 1];
	struct timespec	 ts = { 0, 3 * 1000000L };

	(void)state;
	/* Ids of later milliseconds sort after (the time leads). */
	app_id_make("app_", a);
	nanosleep(&ts, NULL);
	app_id_make("app_", b);
	assert_true(strcmp(a, b) < 0);
	/* The first characters carry the time: ids 3 ms apart share most of
	 * their first 8 characters, random ones would not. */
	assert_memory_equal(a, b, 4 + 6);
}

/* The ids made of UUIDs: back to the same UUID, in the UUIDs' order, and
 * nothing but prefix and 22 digits of at most 128 bits read back. */
static void
test_id_of_uuid(void **state)
{
	char	 u1[37], u2[37], back[37], id1[APP_ID_MAX + 1];
	char	 id2[APP_ID_MAX + 1], bad[APP_ID_MAX + 1];
	int	 i;

	(void)state;
	for (i = 0; i < 200; i++) {
		util_uuid7(u1);
		util_uuid7(u2);
		assert_int_equal(app_id_from_uuid("ep_", u1, id1), 0);
		assert_int_equal(app_id_from_uuid("ep_", u2, id2), 0);
		assert_int_equal(strlen(id1), 3 + APP_UUID_B62);
		assert_true(strcmp(id1, id2) < 0);
		assert_int_equal(app_uuid_from_id("ep_", id1, back), 0);
		assert_string_equal(back, u1);
	}
	assert_int_equal(app_id_from_uuid("msg_",
	    "00000000-0000-0000-0000-000000000000", id1), 0);
	assert_string_equal(id1, "msg_0000000000000000000000");
	assert_int_equal(app_id_from_uuid("msg_",
	    "ffffffff-ffff-ffff-ffff-ffffffffffff", id1), 0);
	assert_int_equal(app_uuid_from_id("msg_", id1, back), 0);
	assert_string_equal(back, "ffffffff-ffff-ffff-ffff-ffffffffffff");
	/* One more than 2^128 - 1: refused. */
	snprintf(bad, sizeof(bad), "%s", id1);
	bad[strlen(bad) - 1]++;
	assert_int_equal(app_uuid_from_id("msg_", bad, back), -1);
	assert_int_equal(app_uuid_from_id("msg_",
	    "msg_zzzzzzzzzzzzzzzzzzzzzz", back), -1);
	assert_int_equal(app_uuid_from_id("ep_", id1, back), -1);
	assert_int_equal(app_uuid_from_id("msg_", "msg_abc", back), -1);
	assert_int_equal(app_uuid_from_id("msg_",
	    "msg_000000000000000000000!", back), -1);
	assert_int_equal(app_id_from_uuid("ep_", "not-a-uuid", id1), -1);
}

static void
test_uid_rule(void **state)
{
	char	 big[300];

	(void)state;
	assert_true(app_uid_ok("acme"));
	assert_true(app_uid_ok("a-b_c.d-09"));
	assert_true(app_uid_ok("APP_x"));	/* the prefix is lower case */
	assert_true(app_uid_ok("app-x"));
	assert_false(app_uid_ok("app_x"));
	assert_false(app_uid_ok(""));
	assert_false(app_uid_ok("a b"));
	assert_false(app_uid_ok("a/b"));
	assert_false(app_uid_ok("é"));
	memset(big, 'a', 256);
	big[256] = '\0';
	assert_true(app_uid_ok(big));
	big[256] = 'a';
	big[257] = '\0';
	assert_false(app_uid_ok(big));
	assert_true(app_ref_is_id("app_123"));
	assert_false(app_ref_is_id("acme"));
}

static void
test_crud(void **state)
{
	struct fx	*fx = *state;
	struct wh_errors errs;
	struct app	 a, b, g;
	json_object	*j, *v;
	int		 created;

	memset(&errs, 0, sizeof(errs));
	j = body("{\"name\":\"Acme\",\"uid\":\"acme\",\"metadata\":{\"k\":\"v\"},"
	    "\"rateLimit\":3,\"unknown\":1}");
	assert_int_equal(app_create(fx->s, "t1", j, 0, &a, &created, &errs),
	    STORE_OK);
	json_object_put(j);
	assert_true(created);
	assert_string_equal(a.uid, "acme");
	assert_int_equal(a.rate_limit, 3);
	assert_true(a.created_ms > 0 && a.created_ms == a.updated_ms);

	/* By id and by uid; not from another team. */
	assert_int_equal(app_get(fx->s, "t1", a.id, &g), STORE_OK);
	assert_string_equal(g.name, "Acme");
	app_free(&g);
	assert_int_equal(app_get(fx->s, "t1", "acme", &g), STORE_OK);
	assert_string_equal(g.id, a.id);
	app_free(&g);
	assert_int_equal(app_get(fx->s, "t2", a.id, &g), STORE_NOTFOUND);
	assert_int_equal(app_get(fx->s, "t2", "acme", &g), STORE_NOTFOUND);

	/* The uid is the team's: taken in t1, free in t2. */
	j = body("{\"name\":\"Again\",\"uid\":\"acme\"}");
	assert_int_equal(app_create(fx->s, "t1", j, 0, &b, &created, &errs),
	    STORE_EXISTS);
	assert_int_equal(app_create(fx->s, "t1", j, 1, &b, &created, &errs),
	    STORE_OK);
	assert_false(created);
	assert_string_equal(b.id, a.id);
	app_free(&b);
	assert_int_equal(app_create(fx->s, "t2", j, 0, &b, &created, &errs),
	    STORE_OK);
	assert_string_not_equal(b.id, a.id);
	app_free(&b);
	json_object_put(j);

	/* Bad bodies name their fields. */
	memset(&errs, 0, sizeof(errs));
	j = body("{\"uid\":\"app_x\",\"rateLimit\":0,\"metadata\":{\"a\":1}}");
	assert_int_equal(app_create(fx->s, "t1", j, 0, &b, &created, &errs),
	    APP_INVALID);
	json_object_put(j);
	assert_int_equal(errs.n, 4);
	assert_string_equal(errs.e[0].field, "name");
	assert_string_equal(errs.e[1].field, "uid");
	assert_string_equal(errs.e[2].field, "rateLimit");
	assert_string_equal(errs.e[3].field, "metadata");
	/* A NUL inside the name or uid, which a C string would cut short
	 * ("acme\u0000x" taken for "acme"): refused, not a 409. */
	memset(&errs, 0, sizeof(errs));
	j = body("{\"name\":\"A\\u0000B\",\"uid\":\"acme\\u0000x\"}");
	assert_int_equal(app_create(fx->s, "t1", j, 0, &b, &created, &errs),
	    APP_INVALID);
	json_object_put(j);
	assert_int_equal(errs.n, 2);
	assert_string_equal(errs.e[0].field, "name");
	assert_string_equal(errs.e[1].field, "uid");

	/* Patch: absent stays, null clears; the old uid is free again. */
	memset(&errs, 0, sizeof(errs));
	j = body("{\"uid\":\"acme-2\",\"rateLimit\":null}");
	assert_int_equal(app_patch(fx->s, "t1", "acme", j, &b, &errs),
	    STORE_OK);
	json_object_put(j);
	assert_string_equal(b.name, "Acme");
	assert_string_equal(b.uid, "acme-2");
	assert_int_equal(b.rate_limit, -1);
	assert_true(json_object_object_get_ex(b.metadata, "k", &v));
	app_free(&b);
	assert_int_equal(app_get(fx->s, "t1", "acme", &g), STORE_NOTFOUND);
	assert_int_equal(app_get(fx->s, "t1", "acme-2", &g), STORE_OK);
	app_free(&g);

	/* Patch onto a taken uid: 409, nothing changed. */
	j = body("{\"name\":\"Other\",\"uid\":\"other\"}");
	assert_int_equal(app_create(fx->s, "t1", j, 0, &b, &created, &errs),
	    STORE_OK);
	json_object_put(j);
	j = body("{\"uid\":\"acme-2\"}");
	assert_int_equal(app_patch(fx->s, "t1", b.id, j, &g, &errs),
	    STORE_EXISTS);
	json_object_put(j);
	assert_int_equal(app_get(fx->s, "t1", "other", &g), STORE_OK);
	assert_string_equal(g.id, b.id);
	app_free(&g);
	app_free(&b);

	/* Put replaces (absent fields: none), or creates under the uid. */
	j = body("{\"name\":\"Put\"}");
	assert_int_equal(app_put(fx->s, "t1", a.id, j, 0, &b, &created,
	    &errs), STORE_OK);
	assert_false(created);
	assert_null(b.uid);
	assert_int_equal(json_object_object_length(b.metadata), 0);
	app_free(&b);
	assert_int_equal(app_put(fx->s, "t1", "fresh", j, 0, &b, &created,
	    &errs), STORE_NOTFOUND);
	assert_int_equal(app_get(fx->s, "t1", "fresh", &g), STORE_NOTFOUND);
	assert_int_equal(app_put(fx->s, "t1", "fresh", j, 1, &b, &created,
	    &errs), STORE_OK);
	assert_true(created);
	assert_string_equal(b.uid, "fresh");
	app_free(&b);
	json_object_put(j);

	/* Delete: gone by id and uid; the uid free again. */
	assert_int_equal(app_delete(fx->s, "t1", "fresh"), STORE_OK);
	assert_int_equal(app_delete(fx->s, "t1", "fresh"), STORE_NOTFOUND);
	assert_int_equal(app_delete(fx->s, "t2", a.id), STORE_NOTFOUND);
	assert_int_equal(app_delete(fx->s, "t1", a.id), STORE_OK);
	assert_int_equal(app_get(fx->s, "t1", a.id, &g), STORE_NOTFOUND);
	app_free(&a);
}

static void
test_list(void **state)
{
	struct fx	*fx = *state;
	struct wh_errors errs;
	struct app	 a, *as;
	char		 ids[10][APP_ID_MAX + 1], it[APP_ID_MAX + 2];
	json_object	*j;
	size_t		 n, i;
	int		 created, more;

	memset(&errs, 0, sizeof(errs));
	j = body("{\"name\":\"x\"}");
	for (i = 0; i < 10; i++) {
		assert_int_equal(app_create(fx->s, i % 2 ? "t1" : "t1", j, 0,
		    &a, &created, &errs), STORE_OK);
		memcpy(ids[i], a.id, sizeof(a.id));
		app_free(&a);
	}
	/* Another team's, made last, sorting after: never listed. */
	assert_int_equal(app_create(fx->s, "t2", j, 0, &a, &created, &errs),
	    STORE_OK);
	app_free(&a);
	assert_int_equal(app_create(fx->s, "t0", j, 0, &a, &created, &errs),
	    STORE_OK);
	app_free(&a);
	json_object_put(j);

	assert_int_equal(app_list(fx->s, "t1", NULL, 0, 4, &as, &n, &more),
	    STORE_OK);
	assert_int_equal(n, 4);
	assert_true(more);
	for (i = 0; i < n; i++)
		assert_string_equal(as[i].id, ids[i]);
	for (i = 0; i < n; i++)
		app_free(&as[i]);
	free(as);
	/* From an iterator to the end. */
	assert_int_equal(app_list(fx->s, "t1", ids[3], 0, 50, &as, &n, &more),
	    STORE_OK);
	assert_int_equal(n, 6);
	assert_false(more);
	assert_string_equal(as[0].id, ids[4]);
	assert_string_equal(as[5].id, ids[9]);
	for (i = 0; i < n; i++)
		app_free(&as[i]);
	free(as);
	/* Descending from the newest, then on from an iterator. */
	assert_int_equal(app_list(fx->s, "t1", NULL, 1, 3, &as, &n, &more),
	    STORE_OK);
	assert_int_equal(n, 3);
	assert_true(more);
	assert_string_equal(as[0].id, ids[9]);
	assert_string_equal(as[2].id, ids[7]);
	for (i = 0; i < n; i++)
		app_free(&as[i]);
	free(as);
	assert_int_equal(app_list(fx->s, "t1", ids[2], 1, 3, &as, &n, &more),
	    STORE_OK);
	assert_int_equal(n, 2);
	assert_false(more);
	assert_string_equal(as[0].id, ids[1]);
	assert_string_equal(as[1].id, ids[0]);
	for (i = 0; i < n; i++)
		app_free(&as[i]);
	free(as);
	/* Backwards ("-" id): the page before, still in ascending order. */
	snprintf(it, sizeof(it), "-%s", ids[6]);
	assert_int_equal(app_list(fx->s, "t1", it, 0, 3, &as, &n, &more),
	    STORE_OK);
	assert_int_equal(n, 3);
	assert_true(more);
	assert_string_equal(as[0].id, ids[3]);
	assert_string_equal(as[2].id, ids[5]);
	for (i = 0; i < n; i++)
		app_free(&as[i]);
	free(as);
	/* A team with none. */
	assert_int_equal(app_list(fx->s, "t9", NULL, 0, 3, &as, &n, &more),
	    STORE_OK);
	assert_int_equal(n, 0);
	assert_false(more);
	free(as);
}

static void
test_idem(void **state)
{
	struct fx	*fx = *state;
	struct idem	 i, k;
	int		 sr;

	/* No key: run, nothing kept. */
	assert_int_equal(idem_begin(fx->s, "tok1", NULL, "/api/v1/app", &i,
	    &sr), IDEM_FIRST);
	idem_end(fx->s, &i, 201, "{}");
	assert_int_equal(idem_begin(fx->s, "tok1", "bad\tkey", "/api/v1/app", &i,
	    &sr), IDEM_INVALID);
	/* The first answer, then its replay. */
	assert_int_equal(idem_begin(fx->s, "tok1", "k1", "/api/v1/app", &i,
	    &sr), IDEM_FIRST);
	idem_end(fx->s, &i, 201, "{\"id\":\"app_1\"}");
	assert_int_equal(idem_begin(fx->s, "tok1", "k1", "/api/v1/app", &i,
	    &sr), IDEM_REPLAY);
	assert_int_equal(i.status, 201);
	assert_string_equal(i.body, "{\"id\":\"app_1\"}");
	idem_free(&i);
	/* Another token, another path: their own. */
	assert_int_equal(idem_begin(fx->s, "tok2", "k1", "/api/v1/app", &i,
	    &sr), IDEM_FIRST);
	idem_end(fx->s, &i, 500, "{}");
	assert_int_equal(idem_begin(fx->s, "tok1", "k1", "/api/v1/app/x", &i,
	    &sr), IDEM_FIRST);
	/* While it runs, a repeat waits, then is told it is busy. */
	assert_int_equal(idem_begin(fx->s, "tok1", "k1", "/api/v1/app/x", &k,
	    &sr), IDEM_BUSY);
	/* Not a 2xx: not kept, the key runs again. */
	idem_end(fx->s, &i, 409, "{}");
	assert_int_equal(idem_begin(fx->s, "tok1", "k1", "/api/v1/app/x", &i,
	    &sr), IDEM_FIRST);
	idem_free(&i);
	/* A 5xx of tok2 was not kept either. */
	assert_int_equal(idem_begin(fx->s, "tok2", "k1", "/api/v1/app", &i,
	    &sr), IDEM_FIRST);
	idem_free(&i);
}

/* A repeat that comes while the first runs waits, and gets its answer
 * (the repeat in a child process with its own store handle). */
static void
test_idem_wait(void **state)
{
	struct fx	*fx = *state;
	struct idem	 i;
	struct timespec	 ts = { 0, 300 * 1000000L };
	pid_t		 pid;
	int		 sr, status;

	assert_int_equal(idem_begin(fx->s, "tok1", "w1", "/api/v1/app", &i,
	    &sr), IDEM_FIRST);
	if ((pid = fork()) == 0) {
		struct store	*st = store_open(fx->home, 0);
		struct idem	 k;
		int		 rc;

		if (st == NULL)
			_exit(3);
		rc = idem_begin(st, "tok1", "w1", "/api/v1/app", &k, &sr);
		_exit(rc == IDEM_REPLAY && k.status == 201 &&
		    strcmp(k.body, "{\"id\":\"w\"}") == 0 ? 0 : 1);
	}
	assert_true(pid > 0);
	nanosleep(&ts, NULL);
	idem_end(fx->s, &i, 201, "{\"id\":\"w\"}");
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_format_and_order),
		cmocka_unit_test(test_id_time_order),
		cmocka_unit_test(test_id_of_uuid),
		cmocka_unit_test(test_uid_rule),
		cmocka_unit_test_setup_teardown(test_crud, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idem, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idem_wait, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
