/*
 * Unit tests of the attempt log (src/store/store_attempt.c, listed through the
 * model's attempt_list) and of store_upgrade (src/store/store_upgrade.c): a real
 * Berkeley DB environment in a fresh temporary directory per test.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <db.h>

#include "attempt.h"
#include "store.h"
#include "store_fixture.h"
#include "util.h"

/* ---- attempts ---------------------------------------------------------- */

/* A packed record lists as the whole JSON object of the API, every field
 * from the record or its key, escaped; a record written as JSON (stores
 * made before) lists as it was, in the same page. */
static void
test_attempt_record(void **state)
{
	struct fx			*fx = *state;
	struct attempt_info		 i;
	struct store_attempt		 a[2];
	struct store_page		 pg;
	char				*rec[2], want[1024], at[UTIL_ISO_LEN],
					 next[UTIL_ISO_LEN];
	size_t				 len[2];
	const int64_t			 t = 1795463400914LL;

	memset(&i, 0, sizeof(i));
	i.delivery_id = "msg_0123456789abcdef0123456789abcdef";
	i.event_id = "ev\"1";
	i.event_type = "order.created";
	i.state = "retrying";
	i.error = "boom\nline";
	i.body = "{\"ok\":false}\t\x01";
	i.attempt = 3;
	i.status = 0;
	i.success = 0;
	i.manual = 1;
	i.latency_ms = 1234;
	i.next_ms = t + 5000;
	rec[0] = attempt_pack(&i, &len[0]);
	/* Far smaller than its JSON (about 420 bytes for a 204). */
	assert_true(len[0] < 140);
	i.error = "";
	i.body = "";
	i.state = "done";
	i.status = 204;
	i.success = 1;
	i.manual = 0;
	i.attempt = 4;
	i.latency_ms = 0;
	i.next_ms = 0;
	rec[1] = attempt_pack(&i, &len[1]);
	a[0] = (struct store_attempt){ "w9", "01a2-one", t, rec[0], len[0] };
	a[1] = (struct store_attempt){ "w9", "01a2-two", t + 1, rec[1],
	    len[1] };
	assert_int_equal(store_attempt_add_many(fx->s, a, 2), STORE_OK);
	assert_int_equal(store_attempt_add(fx->s, "w9", "01a2-old", t - 1,
	    "{\"old\":true}"), STORE_OK);
	free(rec[0]);
	free(rec[1]);

	assert_int_equal(attempt_list(fx->s, "w9", 0, 10, &pg),
	    STORE_OK);
	assert_int_equal(pg.n, 3);
	util_iso8601(t, at);
	util_iso8601(t + 5000, next);
	snprintf(want, sizeof(want), "{\"v\":1,\"id\":\"01a2-one\","
	    "\"delivery_id\":\"msg_0123456789abcdef0123456789abcdef\","
	    "\"event_id\":\"ev\\\"1\",\"event_type\":\"order.created\","
	    "\"webhook_id\":\"w9\",\"attempt\":3,\"created_at\":\"%s\","
	    "\"status_code\":null,\"latency_ms\":1234,\"success\":false,"
	    "\"error\":\"boom\\nline\","
	    "\"response_body\":\"{\\\"ok\\\":false}\\t\\u0001\","
	    "\"state\":\"retrying\",\"next_attempt_at\":\"%s\","
	    "\"manual\":true}", at, next);
	assert_string_equal(pg.recs[1], want);
	util_iso8601(t + 1, at);
	snprintf(want, sizeof(want), "{\"v\":1,\"id\":\"01a2-two\","
	    "\"delivery_id\":\"msg_0123456789abcdef0123456789abcdef\","
	    "\"event_id\":\"ev\\\"1\",\"event_type\":\"order.created\","
	    "\"webhook_id\":\"w9\",\"attempt\":4,\"created_at\":\"%s\","
	    "\"status_code\":204,\"latency_ms\":0,\"success\":true,"
	    "\"error\":null,\"response_body\":\"\",\"state\":\"done\","
	    "\"next_attempt_at\":null,\"manual\":false}", at);
	assert_string_equal(pg.recs[0], want);
	assert_string_equal(pg.recs[2], "{\"old\":true}");
	store_page_free(&pg);

	/* A record cut short is left out of the list, with a warning; the
	 * rest of the page is still there. */
	a[0] = (struct store_attempt){ "w9", "01a2-zcut", t + 2,
	    "\x02\x01\x00\x01", 4 };
	assert_int_equal(store_attempt_add_many(fx->s, a, 1), STORE_OK);
	assert_int_equal(attempt_list(fx->s, "w9", 0, 10, &pg),
	    STORE_OK);
	assert_int_equal(pg.n, 3);
	assert_non_null(strstr(pg.recs[0], "\"id\":\"01a2-two\""));
	store_page_free(&pg);
}

static void
test_attempts(void **state)
{
	struct fx		*fx = *state;
	struct store_page	 pg;
	char			 id[32], json[64], want[64];
	size_t			 removed, i;
	int			 k;

	/* 200 attempts of w1 at 1000, 1010, ...; 50 of w2 interleaved */
	for (k = 0; k < 200; k++) {
		snprintf(id, sizeof(id), "a%04d", k);
		snprintf(json, sizeof(json), "{\"k\":%d}", k);
		assert_int_equal(store_attempt_add(fx->s, "w1", id,
		    1000 + 10 * k, json), STORE_OK);
		if (k % 4 == 0) {
			snprintf(id, sizeof(id), "b%04d", k);
			assert_int_equal(store_attempt_add(fx->s, "w2", id,
			    1000 + 10 * k, json), STORE_OK);
		}
	}
	/* The same attempt again (a batch written twice) */
	assert_int_equal(store_attempt_add(fx->s, "w1", "a0000", 1000, "{}"),
	    STORE_EXISTS);

	/* newest first */
	assert_int_equal(attempt_list(fx->s, "w1", 0, 10, &pg),
	    STORE_OK);
	assert_int_equal(pg.total, 200);
	assert_int_equal(pg.n, 10);
	for (i = 0; i < pg.n; i++) {
		snprintf(want, sizeof(want), "{\"k\":%d}", 199 - (int)i);
		assert_string_equal(pg.recs[i], want);
	}
	store_page_free(&pg);
	assert_int_equal(attempt_list(fx->s, "w1", 195, 10, &pg),
	    STORE_OK);
	assert_int_equal(pg.n, 5);
	assert_string_equal(pg.recs[4], "{\"k\":0}");
	store_page_free(&pg);
	assert_int_equal(attempt_list(fx->s, "w1", 200, 10, &pg),
	    STORE_OK);
	assert_int_equal(pg.n, 0);
	store_page_free(&pg);
	assert_int_equal(attempt_list(fx->s, "w2", 0, 100, &pg),
	    STORE_OK);
	assert_int_equal(pg.total, 50);
	assert_string_equal(pg.recs[0], "{\"k\":196}");
	store_page_free(&pg);
	assert_int_equal(attempt_list(fx->s, "w3", 0, 100, &pg),
	    STORE_OK);
	assert_int_equal(pg.total, 0);
	store_page_free(&pg);

	/* prune before k = 150: 150 of w1, 38 of w2 (k = 0, 4, ..., 148) */
	assert_int_equal(store_attempt_prune(fx->s, 1000 + 10 * 150,
	    &removed), STORE_OK);
	assert_int_equal(removed, 150 + 38);
	assert_int_equal(attempt_list(fx->s, "w1", 0, 100, &pg),
	    STORE_OK);
	assert_int_equal(pg.total, 50);
	assert_string_equal(pg.recs[49], "{\"k\":150}");
	store_page_free(&pg);
	assert_int_equal(attempt_list(fx->s, "w2", 0, 100, &pg),
	    STORE_OK);
	assert_int_equal(pg.total, 12);
	store_page_free(&pg);
	/* a pruned id is free again */
	assert_int_equal(store_attempt_add(fx->s, "w1", "a0000", 5, "{}"),
	    STORE_OK);
	assert_int_equal(store_attempt_prune(fx->s, 0, &removed), STORE_OK);
	assert_int_equal(removed, 0);
	assert_int_equal(store_attempt_prune(fx->s, INT64_MAX, &removed),
	    STORE_OK);
	assert_int_equal(removed, 51 + 12);
}

/* The attempt log of a store made before at_log.db (attempts.db,
 * at_hook.db, at_time.db) is moved over by store_upgrade. */
static void
old_put(DB *db, const void *k, size_t kl, const char *v)
{
	DBT	 key, data;

	memset(&key, 0, sizeof(key));
	memset(&data, 0, sizeof(data));
	key.data = (void *)(uintptr_t)k;
	key.size = (u_int32_t)kl;
	data.data = (void *)(uintptr_t)v;
	data.size = (u_int32_t)strlen(v);
	assert_int_equal(db->put(db, NULL, &key, &data, 0), 0);
}

static void
test_upgrade_attempts(void **state)
{
	struct fx		*fx = *state;
	struct store_page	 pg;
	DB			*hook, *att, *tm;
	unsigned char		 k[64];
	char			 id[8], json[32], path[512];
	size_t			 moved;
	int			 i, j;

	store_close(fx->s);
	snprintf(path, sizeof(path), "%s/db/at_log.db", fx->home);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(db_create(&hook, NULL, 0), 0);
	assert_int_equal(hook->set_flags(hook, DB_RECNUM), 0);
	snprintf(path, sizeof(path), "%s/db/at_hook.db", fx->home);
	assert_int_equal(hook->open(hook, NULL, path, NULL, DB_BTREE,
	    DB_CREATE, 0600), 0);
	assert_int_equal(db_create(&att, NULL, 0), 0);
	snprintf(path, sizeof(path), "%s/db/attempts.db", fx->home);
	assert_int_equal(att->open(att, NULL, path, NULL, DB_BTREE,
	    DB_CREATE, 0600), 0);
	assert_int_equal(db_create(&tm, NULL, 0), 0);
	snprintf(path, sizeof(path), "%s/db/at_time.db", fx->home);
	assert_int_equal(tm->open(tm, NULL, path, NULL, DB_BTREE,
	    DB_CREATE, 0600), 0);
	/* 1200 attempts (more than one batch) of w1 at 1000 + i, newest
	 * last; key "w1\0" be64(at, sign bit flipped) id */
	for (i = 0; i < 1200; i++) {
		snprintf(id, sizeof(id), "i%05d", i % 100000);
		snprintf(json, sizeof(json), "{\"k\":%d}", i);
		memcpy(k, "w1", 3);
		for (j = 0; j < 8; j++)
			k[3 + j] = (unsigned char)((((uint64_t)(1000 + i)) ^
			    ((uint64_t)1 << 63)) >> (56 - 8 * j));
		memcpy(k + 11, id, 6);
		old_put(hook, k, 17, id);
		old_put(att, id, 6, json);
	}
	assert_int_equal(hook->close(hook, 0), 0);
	assert_int_equal(att->close(att, 0), 0);
	assert_int_equal(tm->close(tm, 0), 0);

	assert_non_null(fx->s = store_open(fx->home, 0));
	assert_int_equal(store_upgrade(fx->s, fx->home, &moved), STORE_OK);
	assert_int_equal(moved, 1200);
	snprintf(path, sizeof(path), "%s/db/at_hook.db", fx->home);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/db/attempts.db", fx->home);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(attempt_list(fx->s, "w1", 0, 2, &pg),
	    STORE_OK);
	assert_int_equal(pg.total, 1200);
	assert_int_equal(pg.n, 2);
	assert_string_equal(pg.recs[0], "{\"k\":1199}");
	assert_string_equal(pg.recs[1], "{\"k\":1198}");
	store_page_free(&pg);
	/* Nothing left to move the next time */
	assert_int_equal(store_upgrade(fx->s, fx->home, &moved), STORE_OK);
	assert_int_equal(moved, 0);
}

/*
 * Stores made before kept deliveries.db and events.db, which nothing
 * used: store_upgrade removes them.  One that a process (of an older
 * version) still has open is left for the next start, at once: the
 * upgrade neither blocks on it nor fails.
 */
static void
old_table(const char *home, const char *file)
{
	DB	*db;
	char	 path[512];

	snprintf(path, sizeof(path), "%s/db/%s", home, file);
	assert_int_equal(db_create(&db, NULL, 0), 0);
	assert_int_equal(db->open(db, NULL, path, NULL, DB_BTREE, DB_CREATE,
	    0600), 0);
	old_put(db, "k", 1, "{}");
	assert_int_equal(db->close(db, 0), 0);
}

static void
old_holder(const char *home, int ready, int hold)
{
	DB_ENV	*env;
	DB	*db;
	char	 path[512], c = 'r';

	snprintf(path, sizeof(path), "%s/db", home);
	if (db_env_create(&env, 0) != 0 || env->open(env, path,
	    DB_INIT_LOCK | DB_INIT_LOG | DB_INIT_MPOOL | DB_INIT_TXN, 0) != 0 ||
	    db_create(&db, env, 0) != 0 || db->open(db, NULL,
	    "deliveries.db", NULL, DB_BTREE, DB_AUTO_COMMIT, 0) != 0)
		_exit(2);
	if (write(ready, &c, 1) != 1)
		_exit(3);
	while (read(hold, &c, 1) > 0)
		;
	(void)db->close(db, 0);
	(void)env->close(env, 0);
	_exit(0);
}

static void
test_upgrade_unused(void **state)
{
	struct fx	*fx = *state;
	char		 del[512], ev[512], c;
	size_t		 moved;
	int		 ready[2], hold[2], status;
	int64_t		 t0;
	pid_t		 pid;

	store_close(fx->s);
	old_table(fx->home, "deliveries.db");
	old_table(fx->home, "events.db");
	snprintf(del, sizeof(del), "%s/db/deliveries.db", fx->home);
	snprintf(ev, sizeof(ev), "%s/db/events.db", fx->home);
	assert_non_null(fx->s = store_open(fx->home, 0));
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(hold), 0);
	if ((pid = fork()) == 0) {
		close(ready[0]);
		close(hold[1]);
		old_holder(fx->home, ready[1], hold[0]);
	}
	assert_true(pid > 0);
	close(ready[1]);
	close(hold[0]);
	assert_int_equal(read(ready[0], &c, 1), 1);

	t0 = util_now_ms();
	assert_int_equal(store_upgrade(fx->s, fx->home, &moved), STORE_OK);
	assert_true(util_now_ms() - t0 < 5000);
	assert_int_equal(moved, 0);
	assert_int_equal(access(ev, F_OK), -1);
	assert_int_equal(access(del, F_OK), 0);	/* still open over there */

	close(hold[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(ready[0]);
	assert_int_equal(store_upgrade(fx->s, fx->home, &moved), STORE_OK);
	assert_int_equal(access(del, F_OK), -1);
	/* The store goes on as before. */
	assert_int_equal(store_team_add(fx->s, "t", "{}"), STORE_OK);
	store_close(fx->s);
	assert_non_null(fx->s = store_open(fx->home, 0));
	assert_int_equal(access(del, F_OK), -1);
}

static void
test_attempt_prune_many(void **state)
{
	struct fx	*fx = *state;
	char		 id[32];
	size_t		 removed;
	int		 k;

	/* more than one prune transaction */
	for (k = 0; k < 1234; k++) {
		snprintf(id, sizeof(id), "x%05d", k);
		assert_int_equal(store_attempt_add(fx->s, "w", id, k, "{}"),
		    STORE_OK);
	}
	assert_int_equal(store_attempt_prune(fx->s, 1200, &removed),
	    STORE_OK);
	assert_int_equal(removed, 1200);
}

/* Many webhooks with nothing old are walked in bounded batches, and a
 * key that cannot be read (as an old store's upgrade could bring) is
 * removed rather than stopping every prune from then on. */
static void
test_attempt_prune_walk(void **state)
{
	struct fx		*fx = *state;
	struct store_page	 pg;
	DB			*hook, *att;
	char			 uuid[32], path[512];
	size_t			 removed, moved;
	int			 k;

	/* An old store whose attempt log holds a key without its parts */
	store_close(fx->s);
	snprintf(path, sizeof(path), "%s/db/at_log.db", fx->home);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(db_create(&hook, NULL, 0), 0);
	assert_int_equal(hook->set_flags(hook, DB_RECNUM), 0);
	snprintf(path, sizeof(path), "%s/db/at_hook.db", fx->home);
	assert_int_equal(hook->open(hook, NULL, path, NULL, DB_BTREE,
	    DB_CREATE, 0600), 0);
	assert_int_equal(db_create(&att, NULL, 0), 0);
	snprintf(path, sizeof(path), "%s/db/attempts.db", fx->home);
	assert_int_equal(att->open(att, NULL, path, NULL, DB_BTREE,
	    DB_CREATE, 0600), 0);
	old_put(hook, "junk", 4, "j1");
	old_put(att, "j1", 2, "{}");
	assert_int_equal(hook->close(hook, 0), 0);
	assert_int_equal(att->close(att, 0), 0);
	assert_non_null(fx->s = store_open(fx->home, 0));
	assert_int_equal(store_upgrade(fx->s, fx->home, &moved), STORE_OK);
	assert_int_equal(moved, 1);

	/* 1,500 webhooks, each with one old attempt and one young one */
	for (k = 0; k < 1500; k++) {
		snprintf(uuid, sizeof(uuid), "w%05d", k);
		assert_int_equal(store_attempt_add(fx->s, uuid, "a", 10, "{}"),
		    STORE_OK);
		assert_int_equal(store_attempt_add(fx->s, uuid, "b", 5000,
		    "{}"), STORE_OK);
	}
	assert_int_equal(store_attempt_prune(fx->s, 1000, &removed),
	    STORE_OK);
	assert_int_equal(removed, 1501);
	assert_int_equal(store_attempt_prune(fx->s, 1000, &removed),
	    STORE_OK);
	assert_int_equal(removed, 0);
	assert_int_equal(attempt_list(fx->s, "w00777", 0, 10, &pg),
	    STORE_OK);
	assert_int_equal(pg.total, 1);
	store_page_free(&pg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_attempt_record, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_attempts, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_attempt_prune_walk, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_attempt_prune_many, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_unused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_attempts, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
