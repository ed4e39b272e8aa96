/*
 * Unit tests of the Svix dialect's keys and records on disk (apps.db,
 * msgs.db: store_app.c, store_msg.c, store_keyed.c): what the calls write
 * is compared byte for byte with fixed golden keys and values, and golden
 * records put in by hand (as an older build wrote them) read back through
 * the calls.  A change of layout fails here before an existing store stops
 * reading; and an application's messages removed a batch at a time.
 * Each test runs in its own directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "store_fixture.h"

#define APPS	(DBI_TABLES + STORE_APPS)
#define MSGS	(DBI_TABLES + STORE_MSGS)

/* A key and its value; S() gives a literal with its length (NULs in it). */
struct golden {
	const char	*label;
	int		 dbi;
	const char	*key;
	size_t		 klen;
	const char	*val;		/* NULL: the key must be absent */
	size_t		 vlen;
};
#define S(lit)	lit, sizeof(lit) - 1

static void
check_golden(struct store *s, const struct golden *g, size_t n)
{
	DBT	 key, data;
	size_t	 i;
	int	 res;

	for (i = 0; i < n; i++) {
		dbt_in(&key, g[i].key, g[i].klen);
		dbt_out(&data);
		res = store_get_one(s, g[i].dbi, &key, &data, "test");
		if (g[i].val == NULL) {
			if (res != STORE_NOTFOUND)
				fail_msg("%s: present", g[i].label);
			continue;
		}
		if (res != STORE_OK)
			fail_msg("%s: %d", g[i].label, res);
		if (data.size != g[i].vlen ||
		    memcmp(data.data, g[i].val, g[i].vlen) != 0)
			fail_msg("%s: value differs", g[i].label);
	}
}

static int
put_body(struct store *s, DB_TXN *txn, void *arg)
{
	const struct golden *g = arg;
	DB		*db;
	DBT		 key, data;
	int		 res;

	if ((res = store_db(s, g->dbi, &db)) != STORE_OK)
		return res;
	dbt_in(&key, g->key, g->klen);
	dbt_in(&data, g->val, g->vlen);
	return store_dberr(s, db->put(db, txn, &key, &data, 0), "test", "put");
}

static int
upd_uid(const char *old, char **url, char **json, void *arg)
{
	(void)old;
	*url = xstrdup(arg);
	*json = xstrdup("{\"v\":2}");
	return 0;
}

static int
put_evtype(const char *old, char **json, void *arg)
{
	(void)old;
	(void)arg;
	*json = xstrdup("{\"name\":\"a.b\"}");
	return 0;
}

static int
upd_ep(const char *old, char **url, char **uid, char **json, void *arg)
{
	(void)old;
	*url = xstrdup("https://example.test/2");
	*uid = xstrdup(arg);
	*json = xstrdup("{\"ep\":2}");
	return 0;
}

/* Message 4 is old. */
static int
old_4(const char *json, void *arg)
{
	(void)arg;
	return strcmp(json, "{\"m\":4}") == 0;
}

/* What the calls write. */
static void
test_written(void **state)
{
	struct fx	*fx = *state;
	struct store	*s = fx->s;
	struct store_wh	 wh = { "t1", "U1", "https://example.test/1",
			    "{\"ep\":1}" };
	static const struct golden g[] = {
		{ "app", APPS, S("it1\0app_1"), S("u2\0{\"v\":2}") },
		{ "app no uid", APPS, S("it1\0app_2"), S("\0{\"v\":1}") },
		{ "uid moved", APPS, S("ut1\0u1"), NULL, 0 },
		{ "uid", APPS, S("ut1\0u2"), S("app_1") },
		{ "evtype", APPS, S("tt1\0a.b"), S("{\"name\":\"a.b\"}") },
		{ "ep", APPS, S("et1\0app_1\0U1"), S("e2") },
		{ "ep uid moved", APPS, S("nt1\0app_1\0e1"), NULL, 0 },
		{ "ep uid", APPS, S("nt1\0app_1\0e2"), S("U1") },
		{ "msg", MSGS, S("mt1\0app_1\0msg_1"), S("ev1\0{\"m\":1}") },
		{ "msg no eventId", MSGS, S("mt1\0app_1\0msg_2"),
		    S("\0{\"m\":2}") },
		{ "eventId", MSGS, S("et1\0app_1\0ev1"), S("msg_1") },
		{ "msg gone", MSGS, S("mt1\0app_1\0msg_3"), NULL, 0 },
		{ "eventId gone", MSGS, S("et1\0app_1\0ev3"), NULL, 0 },
		{ "msg pruned", MSGS, S("mt1\0app_1\0msg_4"), NULL, 0 },
		{ "eventId pruned", MSGS, S("et1\0app_1\0ev4"), NULL, 0 },
	};
	size_t		 removed = 0;
	int		 fnret = 0;

	assert_int_equal(store_app_create(s, "t1", "app_1", "u1",
	    "{\"v\":1}"), STORE_OK);
	assert_int_equal(store_app_create(s, "t1", "app_2", NULL,
	    "{\"v\":1}"), STORE_OK);
	assert_int_equal(store_app_update(s, "t1", "u1", 1, upd_uid, "u2",
	    &fnret), STORE_OK);
	assert_int_equal(store_evtype_put(s, "t1", "a.b", put_evtype, NULL,
	    &fnret), STORE_OK);
	assert_int_equal(store_ep_create(s, "app_1", "e1", &wh), STORE_OK);
	assert_int_equal(store_ep_update(s, "t1", "app_1", "U1", upd_ep, "e2",
	    &fnret), STORE_OK);
	assert_int_equal(store_msg_create(s, "t1", "app_1", "msg_1", "ev1",
	    "{\"m\":1}"), STORE_OK);
	assert_int_equal(store_msg_create(s, "t1", "app_1", "msg_2", NULL,
	    "{\"m\":2}"), STORE_OK);
	assert_int_equal(store_msg_create(s, "t1", "app_1", "msg_3", "ev3",
	    "{\"m\":3}"), STORE_OK);
	assert_int_equal(store_msg_delete(s, "t1", "app_1", "msg_3"),
	    STORE_OK);
	assert_int_equal(store_msg_create(s, "t1", "app_1", "msg_4", "ev4",
	    "{\"m\":4}"), STORE_OK);
	assert_int_equal(store_msg_prune(s, old_4, NULL, &removed), STORE_OK);
	assert_int_equal(removed, 1);
	check_golden(s, g, sizeof(g) / sizeof(g[0]));
}

/* Records as an older build wrote them, read through the calls. */
static void
test_read_old(void **state)
{
	struct fx	*fx = *state;
	struct store	*s = fx->s;
	static const struct golden g[] = {
		{ "app", APPS, S("it1\0app_1"), S("u1\0{\"v\":1}") },
		{ "uid", APPS, S("ut1\0u1"), S("app_1") },
		{ "app 2", APPS, S("it1\0app_2"), S("\0{\"v\":3}") },
		{ "evtype", APPS, S("tt1\0a.b"), S("{\"e\":1}") },
		{ "ep", APPS, S("et1\0app_1\0U1"), S("e1") },
		{ "ep uid", APPS, S("nt1\0app_1\0e1"), S("U1") },
		{ "msg", MSGS, S("mt1\0app_1\0msg_1"), S("ev1\0{\"m\":1}") },
		{ "eventId", MSGS, S("et1\0app_1\0ev1"), S("msg_1") },
		{ "msg 2", MSGS, S("mt1\0app_1\0msg_2"), S("\0{\"m\":2}") },
	};
	struct store_wh	 wh = { "t1", "U1", "https://example.test/1",
			    "{\"ep\":1}" };
	char		*json = NULL, **recs = NULL;
	size_t		 i, n = 0, removed = 0;

	for (i = 0; i < sizeof(g) / sizeof(g[0]); i++)
		assert_int_equal(store_run(s, "test", TX_WRITE, put_body,
		    (void *)(uintptr_t)&g[i]), STORE_OK);
	assert_int_equal(store_webhook_create(s, &wh, 0), STORE_OK);

	assert_int_equal(store_app_get(s, "t1", "u1", 1, &json), STORE_OK);
	assert_string_equal(json, "{\"v\":1}");
	free(json);
	assert_int_equal(store_app_get(s, "t1", "app_2", 0, &json), STORE_OK);
	assert_string_equal(json, "{\"v\":3}");
	free(json);
	assert_int_equal(store_app_create(s, "t1", "app_3", "u1", "{}"),
	    STORE_EXISTS);
	assert_int_equal(store_app_list(s, "t1", NULL, 1, 5, &recs, &n),
	    STORE_OK);
	assert_int_equal(n, 2);
	assert_string_equal(recs[0], "{\"v\":3}");
	assert_string_equal(recs[1], "{\"v\":1}");
	for (i = 0; i < n; i++)
		free(recs[i]);
	free(recs);

	assert_int_equal(store_evtype_get(s, "t1", "a.b", &json), STORE_OK);
	assert_string_equal(json, "{\"e\":1}");
	free(json);

	assert_int_equal(store_ep_uid(s, "t1", "app_1", "e1", &json),
	    STORE_OK);
	assert_string_equal(json, "U1");
	free(json);
	assert_int_equal(store_ep_list(s, "t1", "app_1", NULL, 0, 5, &recs,
	    &n), STORE_OK);
	assert_int_equal(n, 1);
	assert_string_equal(recs[0], "{\"ep\":1}");
	free(recs[0]);
	free(recs);

	assert_int_equal(store_msg_get(s, "t1", "app_1", "ev1", 1, &json),
	    STORE_OK);
	assert_string_equal(json, "{\"m\":1}");
	free(json);
	assert_int_equal(store_msg_create(s, "t1", "app_1", "msg_9", "ev1",
	    "{}"), STORE_EXISTS);
	assert_int_equal(store_msg_list(s, "t1", "app_1", "msg_1", 0, 5,
	    &recs, &n), STORE_OK);
	assert_int_equal(n, 1);
	assert_string_equal(recs[0], "{\"m\":2}");
	free(recs[0]);
	free(recs);

	/* The application's delete takes its endpoints with it. */
	assert_int_equal(store_app_delete(s, "t1", "app_1", 0), STORE_OK);
	assert_int_equal(store_msg_delete_app(s, "t1", "app_1", &removed),
	    STORE_OK);
	assert_int_equal(removed, 2);
	{
		static const struct golden gone[] = {
			{ "app", APPS, S("it1\0app_1"), NULL, 0 },
			{ "uid", APPS, S("ut1\0u1"), NULL, 0 },
			{ "ep", APPS, S("et1\0app_1\0U1"), NULL, 0 },
			{ "ep uid", APPS, S("nt1\0app_1\0e1"), NULL, 0 },
			{ "msg", MSGS, S("mt1\0app_1\0msg_1"), NULL, 0 },
			{ "eventId", MSGS, S("et1\0app_1\0ev1"), NULL, 0 },
			{ "msg 2", MSGS, S("mt1\0app_1\0msg_2"), NULL, 0 },
			{ "app 2", APPS, S("it1\0app_2"), S("\0{\"v\":3}") },
		};

		check_golden(s, gone, sizeof(gone) / sizeof(gone[0]));
	}
	assert_int_equal(store_webhook_get(s, "t1", "U1", &json),
	    STORE_NOTFOUND);
}

/* A scope cleared a few records a transaction, their eventIds with them,
 * another application's left alone. */
static void
test_clear_batches(void **state)
{
	struct fx	*fx = *state;
	struct store	*s = fx->s;
	static const struct keyed msgs = { MSGS, 'm', 'e', 0, NULL };
	struct kop	 op = { .kt = &msgs, .fn = "test", .team = "t1",
			    .app = "app_1" };
	static const struct golden g[] = {
		{ "msg", MSGS, S("mt1\0app_1\0msg_0"), NULL, 0 },
		{ "eventId", MSGS, S("et1\0app_1\0ev0"), NULL, 0 },
		{ "msg 4", MSGS, S("mt1\0app_1\0msg_4"), NULL, 0 },
		{ "eventId 4", MSGS, S("et1\0app_1\0ev4"), NULL, 0 },
		{ "other app", MSGS, S("mt1\0app_2\0msg_0"), S("ev0\0{}") },
		{ "its eventId", MSGS, S("et1\0app_2\0ev0"), S("msg_0") },
	};
	char		 id[16], eid[16];
	size_t		 i, removed = 0;

	for (i = 0; i < 5; i++) {
		snprintf(id, sizeof(id), "msg_%zu", i);
		snprintf(eid, sizeof(eid), "ev%zu", i);
		assert_int_equal(store_msg_create(s, "t1", "app_1", id, eid,
		    "{}"), STORE_OK);
	}
	assert_int_equal(store_msg_create(s, "t1", "app_2", "msg_0", "ev0",
	    "{}"), STORE_OK);
	assert_int_equal(store_keyed_clear(s, &op, 2, &removed), STORE_OK);
	assert_int_equal(removed, 5);
	check_golden(s, g, sizeof(g) / sizeof(g[0]));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_written, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_old, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_clear_batches, setup,
		    teardown),
	};

	log_init("test_store_svix");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
