/*
 * Unit tests of the store (its environment, tables and webhooks; the
 * attempt log: test_store_attempt.c): a real Berkeley DB environment in a
 * fresh temporary directory per test, and real processes for the
 * concurrency and crash cases.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <db.h>

#include "log.h"
#include "store.h"
#include "util.h"

#include "store_fixture.h"

/*
 * The waits of the tests between processes (a pause for another process
 * to get somewhere, a bound on how long it may take), times
 * WEBHOOKS_TEST_SLOW (1 if unset): make valgrind sets it, since every
 * process runs some twenty times slower there.
 */
static int
slow(void)
{
	const char	*v = getenv("WEBHOOKS_TEST_SLOW");
	int		 n = v != NULL ? atoi(v) : 1;

	return n < 1 ? 1 : n > 100 ? 100 : n;
}
#define SLOW(n)	((n) * slow())

/* ---- key -> json kinds: teams, tokens, two of the tables --------------- */

struct kind {
	const char *label;
	int	(*add)(struct store *, int, const char *, const char *);
	int	(*get)(struct store *, int, const char *, char **);
	int	(*del)(struct store *, int, const char *);	/* NULL: none */
	int	(*each)(struct store *, int, store_each_fn, void *);
	int	 table;
	int	 add_refuses_dup;
};

static int
team_add(struct store *s, int t, const char *k, const char *j)
{
	(void)t;
	return store_team_add(s, k, j);
}

static int
team_get(struct store *s, int t, const char *k, char **j)
{
	(void)t;
	return store_team_get(s, k, j);
}

static int
team_each(struct store *s, int t, store_each_fn fn, void *arg)
{
	(void)t;
	return store_team_foreach(s, fn, arg);
}

static int
token_add(struct store *s, int t, const char *k, const char *j)
{
	(void)t;
	return store_token_add(s, k, j);
}

static int
token_get(struct store *s, int t, const char *k, char **j)
{
	(void)t;
	return store_token_get(s, k, j);
}

static int
token_del(struct store *s, int t, const char *k)
{
	(void)t;
	return store_token_del(s, k);
}

static int
token_each(struct store *s, int t, store_each_fn fn, void *arg)
{
	(void)t;
	return store_token_foreach(s, fn, arg);
}

static int
table_add(struct store *s, int t, const char *k, const char *j)
{
	return store_put(s, (enum store_table)t, k, j);
}

static int
table_get(struct store *s, int t, const char *k, char **j)
{
	return store_get(s, (enum store_table)t, k, j);
}

static int
table_del(struct store *s, int t, const char *k)
{
	return store_del(s, (enum store_table)t, k);
}

static int
table_each(struct store *s, int t, store_each_fn fn, void *arg)
{
	return store_foreach(s, (enum store_table)t, fn, arg);
}

static const struct kind kinds[] = {
	{ "teams", team_add, team_get, NULL, team_each, 0, 1 },
	{ "tokens", token_add, token_get, token_del, token_each, 0, 1 },
	{ "idempotency", table_add, table_get, table_del, table_each,
	  STORE_IDEMPOTENCY, 0 },
	{ "sessions", table_add, table_get, table_del, table_each,
	  STORE_SESSIONS, 0 },
};

struct each_acc {
	int	 n;
	int	 stop_at;	/* 0: never */
	char	 last[64];
	int	 ordered;
};

static int
each_count(const char *key, const char *json, void *arg)
{
	struct each_acc	*a = arg;
	char		 want[64];

	snprintf(want, sizeof(want), "{\"k\":\"%s\"}", key);
	if (strcmp(json, want) != 0 || strcmp(a->last, key) >= 0)
		a->ordered = 0;
	snprintf(a->last, sizeof(a->last), "%s", key);
	a->n++;
	return a->stop_at != 0 && a->n == a->stop_at;
}

static void
test_kv_kinds(void **state)
{
	struct fx	*fx = *state;
	size_t		 i;
	int		 k;
	char		 key[32], val[64], *json;
	struct each_acc	 acc;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		const struct kind *kd = &kinds[i];

		/* 150 records: more than one foreach batch */
		for (k = 0; k < 150; k++) {
			snprintf(key, sizeof(key), "key%04d", k);
			snprintf(val, sizeof(val), "{\"k\":\"%s\"}", key);
			assert_int_equal(kd->add(fx->s, kd->table, key, val),
			    STORE_OK);
		}
		assert_int_equal(kd->get(fx->s, kd->table, "key0042", &json),
		    STORE_OK);
		assert_string_equal(json, "{\"k\":\"key0042\"}");
		free(json);
		assert_int_equal(kd->get(fx->s, kd->table, "nope", &json),
		    STORE_NOTFOUND);
		assert_null(json);
		assert_int_equal(kd->add(fx->s, kd->table, "key0001",
		    "{\"k\":\"key0001\"}"),
		    kd->add_refuses_dup ? STORE_EXISTS : STORE_OK);

		memset(&acc, 0, sizeof(acc));
		acc.ordered = 1;
		assert_int_equal(kd->each(fx->s, kd->table, each_count, &acc),
		    STORE_OK);
		assert_int_equal(acc.n, 150);
		assert_true(acc.ordered);

		memset(&acc, 0, sizeof(acc));
		acc.ordered = 1;
		acc.stop_at = 70;
		assert_int_equal(kd->each(fx->s, kd->table, each_count, &acc),
		    STORE_OK);
		assert_int_equal(acc.n, 70);

		if (kd->del == NULL)
			continue;
		assert_int_equal(kd->del(fx->s, kd->table, "key0042"),
		    STORE_OK);
		assert_int_equal(kd->del(fx->s, kd->table, "key0042"),
		    STORE_NOTFOUND);
		assert_int_equal(kd->get(fx->s, kd->table, "key0042", &json),
		    STORE_NOTFOUND);
	}
}

/* A foreach callback that deletes what it is given: no self-deadlock. */
static int
each_delete(const char *key, const char *json, void *arg)
{
	struct fx	*fx = arg;

	(void)json;
	return store_del(fx->s, STORE_SESSIONS, key) != STORE_OK;
}

static void
test_foreach_deletes(void **state)
{
	struct fx	*fx = *state;
	struct each_acc	 acc;
	char		 key[32];
	int		 k;

	for (k = 0; k < 100; k++) {
		snprintf(key, sizeof(key), "s%03d", k);
		assert_int_equal(store_put(fx->s, STORE_SESSIONS, key, "{}"),
		    STORE_OK);
	}
	assert_int_equal(store_foreach(fx->s, STORE_SESSIONS, each_delete, fx),
	    STORE_OK);
	memset(&acc, 0, sizeof(acc));
	assert_int_equal(store_foreach(fx->s, STORE_SESSIONS, each_count,
	    &acc), STORE_OK);
	assert_int_equal(acc.n, 0);
}

static void
test_put_new(void **state)
{
	struct fx	*fx = *state;
	char		*ex, *json;

	assert_int_equal(store_put_new(fx->s, STORE_IDEMPOTENCY, "t\nk1",
	    "{\"event\":\"e1\"}", &ex), STORE_OK);
	assert_null(ex);
	assert_int_equal(store_put_new(fx->s, STORE_IDEMPOTENCY, "t\nk1",
	    "{\"event\":\"e2\"}", &ex), STORE_EXISTS);
	assert_string_equal(ex, "{\"event\":\"e1\"}");
	free(ex);
	assert_int_equal(store_put_new(fx->s, STORE_IDEMPOTENCY, "t\nk1",
	    "{\"event\":\"e3\"}", NULL), STORE_EXISTS);
	assert_int_equal(store_get(fx->s, STORE_IDEMPOTENCY, "t\nk1", &json),
	    STORE_OK);
	assert_string_equal(json, "{\"event\":\"e1\"}");
	free(json);
	/* store_put overwrites */
	assert_int_equal(store_put(fx->s, STORE_IDEMPOTENCY, "t\nk1",
	    "{\"event\":\"e4\"}"), STORE_OK);
	assert_int_equal(store_get(fx->s, STORE_IDEMPOTENCY, "t\nk1", &json),
	    STORE_OK);
	assert_string_equal(json, "{\"event\":\"e4\"}");
	free(json);
}

/* ---- webhooks ---------------------------------------------------------- */

static void
mkuuid(int team, int i, char *out)
{
	snprintf(out, 37, "%08x-0000-4000-8000-%012x", team, i);
}

static int
wh_create(struct store *s, const char *team, const char *uuid,
    const char *url, const char *json, int flags)
{
	struct store_wh	 wh = { team, uuid, url, json };

	return store_webhook_create(s, &wh, flags);
}

struct upd {
	const char	*url;		/* NULL: keep */
	const char	*json;		/* NULL: increment "n" */
	int		 refuse;
	int		 calls;
	int		 die;		/* SIGKILL ourselves in the callback */
};

static int
upd_fn(const char *old, char **url, char **json, void *arg)
{
	struct upd	*u = arg;
	int		 n = 0;

	u->calls++;
	if (u->die)
		raise(SIGKILL);
	if (u->refuse)
		return u->refuse;
	if (u->json != NULL)
		*json = xstrdup(u->json);
	else {
		if (sscanf(old, "{\"n\":%d}", &n) != 1)
			return 99;
		*json = xasprintf("{\"n\":%d}", n + 1);
	}
	*url = xstrdup(u->url != NULL ? u->url : "http://x.test/");
	return 0;
}

static void
test_webhook_crud(void **state)
{
	struct fx	*fx = *state;
	struct upd	 u;
	char		*json;
	int		 fnret;

	assert_int_equal(wh_create(fx->s, "acme", "u-1", "http://a.test/",
	    "{\"name\":\"one\"}", 0), STORE_OK);
	assert_int_equal(wh_create(fx->s, "acme", "u-1", "http://b.test/",
	    "{\"name\":\"dup\"}", 0), STORE_EXISTS);
	assert_int_equal(store_webhook_get(fx->s, "acme", "u-1", &json),
	    STORE_OK);
	assert_string_equal(json, "{\"name\":\"one\"}");
	free(json);

	memset(&u, 0, sizeof(u));
	u.url = "http://c.test/";
	u.json = "{\"name\":\"two\"}";
	assert_int_equal(store_webhook_update(fx->s, "acme", "u-1", 0, upd_fn,
	    &u, &fnret), STORE_OK);
	assert_int_equal(fnret, 0);
	assert_int_equal(u.calls, 1);
	assert_int_equal(store_webhook_get(fx->s, "acme", "u-1", &json),
	    STORE_OK);
	assert_string_equal(json, "{\"name\":\"two\"}");
	free(json);

	/* the callback refuses: nothing written, its value comes back */
	memset(&u, 0, sizeof(u));
	u.refuse = 7;
	u.json = "{\"name\":\"three\"}";
	assert_int_equal(store_webhook_update(fx->s, "acme", "u-1", 0, upd_fn,
	    &u, &fnret), STORE_ABORTED);
	assert_int_equal(fnret, 7);
	assert_int_equal(store_webhook_get(fx->s, "acme", "u-1", &json),
	    STORE_OK);
	assert_string_equal(json, "{\"name\":\"two\"}");
	free(json);

	memset(&u, 0, sizeof(u));
	u.json = "{}";
	assert_int_equal(store_webhook_update(fx->s, "acme", "u-404", 0,
	    upd_fn, &u, &fnret), STORE_NOTFOUND);
	assert_int_equal(u.calls, 0);

	assert_int_equal(store_webhook_delete(fx->s, "acme", "u-1"), STORE_OK);
	assert_int_equal(store_webhook_get(fx->s, "acme", "u-1", &json),
	    STORE_NOTFOUND);
	assert_null(json);
	assert_int_equal(store_webhook_delete(fx->s, "acme", "u-1"),
	    STORE_NOTFOUND);
	assert_int_equal(store_is_fatal(fx->s), 0);
}

static void
test_team_isolation(void **state)
{
	struct fx		*fx = *state;
	struct store_page	 pg;
	struct upd		 u;
	char			*json;
	int			 fnret;

	assert_int_equal(wh_create(fx->s, "a", "ua", "http://a.test/",
	    "{\"t\":\"a\"}", 0), STORE_OK);
	assert_int_equal(wh_create(fx->s, "b", "ub", "http://a.test/",
	    "{\"t\":\"b\"}", STORE_UNIQUE_URL), STORE_OK);
	/* "ab" shares a prefix with "a" */
	assert_int_equal(wh_create(fx->s, "ab", "uab", "", "{\"t\":\"ab\"}",
	    0), STORE_OK);

	assert_int_equal(store_webhook_get(fx->s, "b", "ua", &json),
	    STORE_NOTFOUND);
	assert_null(json);
	memset(&u, 0, sizeof(u));
	u.json = "{\"t\":\"stolen\"}";
	assert_int_equal(store_webhook_update(fx->s, "b", "ua", 0, upd_fn, &u,
	    &fnret), STORE_NOTFOUND);
	assert_int_equal(u.calls, 0);
	assert_int_equal(store_webhook_delete(fx->s, "b", "ua"),
	    STORE_NOTFOUND);
	assert_int_equal(store_webhook_get(fx->s, "a", "ua", &json), STORE_OK);
	assert_string_equal(json, "{\"t\":\"a\"}");
	free(json);

	assert_int_equal(store_webhook_list(fx->s, "a", 0, 10, &pg), STORE_OK);
	assert_int_equal(pg.total, 1);
	assert_int_equal(pg.n, 1);
	assert_string_equal(pg.recs[0], "{\"t\":\"a\"}");
	store_page_free(&pg);
	assert_int_equal(store_webhook_list(fx->s, "ab", 0, 10, &pg),
	    STORE_OK);
	assert_int_equal(pg.total, 1);
	assert_string_equal(pg.recs[0], "{\"t\":\"ab\"}");
	store_page_free(&pg);
	assert_int_equal(store_webhook_list(fx->s, "nobody", 0, 10, &pg),
	    STORE_OK);
	assert_int_equal(pg.total, 0);
	assert_int_equal(pg.n, 0);
	store_page_free(&pg);
}

#define NA	300		/* webhooks of team "alpha" */
#define NB	150		/* of team "beta", interleaved */

static void
fill_two_teams(struct store *s)
{
	char	 uuid[37], json[64];
	int	 i, a = 0, b = 0;

	for (i = 0; i < NA + NB; i++) {
		if (i % 3 == 2 && b < NB) {
			mkuuid(2, b, uuid);
			snprintf(json, sizeof(json), "{\"b\":%d}", b);
			assert_int_equal(wh_create(s, "beta", uuid, "", json,
			    0), STORE_OK);
			b++;
		} else {
			mkuuid(1, a, uuid);
			snprintf(json, sizeof(json), "{\"a\":%d}", a);
			assert_int_equal(wh_create(s, "alpha", uuid, "", json,
			    0), STORE_OK);
			a++;
		}
	}
	assert_int_equal(a, NA);
	assert_int_equal(b, NB);
}

static const struct {
	const char	*label;
	const char	*team;
	const char	*fmt;
	size_t		 offset, limit;
	size_t		 want_n, want_total;
} pages[] = {
	{ "alpha first", "alpha", "{\"a\":%d}", 0, 15, 15, NA },
	{ "alpha middle", "alpha", "{\"a\":%d}", 137, 20, 20, NA },
	{ "alpha last full", "alpha", "{\"a\":%d}", NA - 20, 20, 20, NA },
	{ "alpha last partial", "alpha", "{\"a\":%d}", NA - 7, 20, 7, NA },
	{ "alpha at end", "alpha", "{\"a\":%d}", NA, 20, 0, NA },
	{ "alpha beyond", "alpha", "{\"a\":%d}", NA + 1000, 20, 0, NA },
	{ "alpha all", "alpha", "{\"a\":%d}", 0, 1000, NA, NA },
	{ "alpha limit 0", "alpha", "{\"a\":%d}", 0, 0, 0, NA },
	{ "beta first", "beta", "{\"b\":%d}", 0, 15, 15, NB },
	{ "beta last", "beta", "{\"b\":%d}", NB - 1, 15, 1, NB },
	{ "beta middle", "beta", "{\"b\":%d}", 50, 50, 50, NB },
};

struct order_acc {
	const char	*fmt;
	int		 n;
	int		 ok;
};

static int
each_in_order(const char *uuid, const char *json, void *arg)
{
	struct order_acc *a = arg;
	char		  want[64];

	(void)uuid;
	snprintf(want, sizeof(want), a->fmt, a->n);
	if (strcmp(json, want) != 0)
		a->ok = 0;
	a->n++;
	return 0;
}

static void
test_pagination(void **state)
{
	struct fx		*fx = *state;
	struct store_page	 pg;
	struct order_acc	 acc;
	char			 want[64], uuid[37];
	size_t			 i, j;

	fill_two_teams(fx->s);
	for (i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		print_message("  %s\n", pages[i].label);
		assert_int_equal(store_webhook_list(fx->s, pages[i].team,
		    pages[i].offset, pages[i].limit, &pg), STORE_OK);
		assert_int_equal(pg.total, pages[i].want_total);
		assert_int_equal(pg.n, pages[i].want_n);
		for (j = 0; j < pg.n; j++) {
			snprintf(want, sizeof(want), pages[i].fmt,
			    (int)(pages[i].offset + j));
			assert_string_equal(pg.recs[j], want);
		}
		store_page_free(&pg);
	}

	acc.fmt = "{\"a\":%d}";
	acc.n = 0;
	acc.ok = 1;
	assert_int_equal(store_webhook_foreach(fx->s, "alpha", each_in_order,
	    &acc), STORE_OK);
	assert_int_equal(acc.n, NA);
	assert_true(acc.ok);

	/* delete the first alpha: totals and offsets follow */
	mkuuid(1, 0, uuid);
	assert_int_equal(store_webhook_delete(fx->s, "alpha", uuid), STORE_OK);
	assert_int_equal(store_webhook_list(fx->s, "alpha", 0, 2, &pg),
	    STORE_OK);
	assert_int_equal(pg.total, NA - 1);
	assert_string_equal(pg.recs[0], "{\"a\":1}");
	store_page_free(&pg);
	assert_int_equal(store_webhook_list(fx->s, "beta", NB - 1, 5, &pg),
	    STORE_OK);
	assert_int_equal(pg.total, NB);
	assert_int_equal(pg.n, 1);
	store_page_free(&pg);

	/* The store keeps where beta's records begin as a hint: alpha's,
	 * before them, coming and going moves them; pages stay right. */
	for (i = 0; i < 4; i++) {
		if (i % 2 == 0) {
			mkuuid(1, 1000 + (int)i, uuid);
			assert_int_equal(wh_create(fx->s, "alpha", uuid, "",
			    "{\"a\":0}", 0), STORE_OK);
		} else {
			mkuuid(1, (int)i, uuid);
			assert_int_equal(store_webhook_delete(fx->s, "alpha",
			    uuid), STORE_OK);
		}
		for (j = 0; j < 2; j++) {
			assert_int_equal(store_webhook_list(fx->s, "beta",
			    j * 7, 3, &pg), STORE_OK);
			assert_int_equal(pg.total, NB);
			assert_int_equal(pg.n, 3);
			snprintf(want, sizeof(want), "{\"b\":%d}", (int)j * 7);
			assert_string_equal(pg.recs[0], want);
			store_page_free(&pg);
		}
	}
}

static void
test_unique_url(void **state)
{
	struct fx	*fx = *state;
	struct upd	 u;
	int		 fnret;

	assert_int_equal(wh_create(fx->s, "t", "u1", "http://x.test/a", "{}",
	    STORE_UNIQUE_URL), STORE_OK);
	assert_int_equal(wh_create(fx->s, "t", "u2", "http://x.test/a", "{}",
	    STORE_UNIQUE_URL), STORE_EXISTS);
	/* the failed create left nothing behind */
	{
		char *json;

		assert_int_equal(store_webhook_get(fx->s, "t", "u2", &json),
		    STORE_NOTFOUND);
	}
	/* without the flag, or in another team, the url may repeat */
	assert_int_equal(wh_create(fx->s, "t", "u3", "http://x.test/a", "{}",
	    0), STORE_OK);
	assert_int_equal(wh_create(fx->s, "t2", "u4", "http://x.test/a", "{}",
	    STORE_UNIQUE_URL), STORE_OK);
	assert_int_equal(wh_create(fx->s, "t", "u5", "http://x.test/b", "{}",
	    STORE_UNIQUE_URL), STORE_OK);

	/* update onto a taken url */
	memset(&u, 0, sizeof(u));
	u.url = "http://x.test/a";
	u.json = "{}";
	assert_int_equal(store_webhook_update(fx->s, "t", "u5",
	    STORE_UNIQUE_URL, upd_fn, &u, &fnret), STORE_EXISTS);
	/* keeping its own url is fine */
	u.url = "http://x.test/b";
	assert_int_equal(store_webhook_update(fx->s, "t", "u5",
	    STORE_UNIQUE_URL, upd_fn, &u, &fnret), STORE_OK);
	/* moving away frees the old url */
	u.url = "http://x.test/c";
	assert_int_equal(store_webhook_update(fx->s, "t", "u5",
	    STORE_UNIQUE_URL, upd_fn, &u, &fnret), STORE_OK);
	assert_int_equal(wh_create(fx->s, "t", "u6", "http://x.test/b", "{}",
	    STORE_UNIQUE_URL), STORE_OK);
	/* deleting frees the url (u1 and u3 both have /a) */
	assert_int_equal(store_webhook_delete(fx->s, "t", "u1"), STORE_OK);
	assert_int_equal(wh_create(fx->s, "t", "u7", "http://x.test/a", "{}",
	    STORE_UNIQUE_URL), STORE_EXISTS);
	assert_int_equal(store_webhook_delete(fx->s, "t", "u3"), STORE_OK);
	assert_int_equal(wh_create(fx->s, "t", "u7", "http://x.test/a", "{}",
	    STORE_UNIQUE_URL), STORE_OK);
}

/* ---- several processes -------------------------------------------------- */

#define NPROC	4
#define NINC	60
#define NREC	3

static void
test_concurrent_updates(void **state)
{
	struct fx	*fx = *state;
	struct upd	 u;
	pid_t		 pids[NPROC];
	char		 uuid[37], *json;
	int		 p, i, st, n, fnret;

	for (i = 0; i < NREC; i++) {
		mkuuid(9, i, uuid);
		assert_int_equal(wh_create(fx->s, "t", uuid, "http://x.test/",
		    "{\"n\":0}", 0), STORE_OK);
	}
	for (p = 0; p < NPROC; p++) {
		pids[p] = fork();
		assert_true(pids[p] != -1);
		if (pids[p] != 0)
			continue;
		/* the child: its own environment handle */
		struct store *cs = store_open(fx->home, 0);
		int bad = cs == NULL;

		for (i = 0; i < NINC * NREC && !bad; i++) {
			mkuuid(9, (i + p) % NREC, uuid);
			memset(&u, 0, sizeof(u));
			if (store_webhook_update(cs, "t", uuid, 0, upd_fn, &u,
			    &fnret) != STORE_OK)
				bad = 1;
			/* and readers in the way */
			if (store_webhook_get(cs, "t", uuid, &json) !=
			    STORE_OK)
				bad = 1;
			free(json);
		}
		store_close(cs);
		_exit(bad);
	}
	for (p = 0; p < NPROC; p++) {
		assert_int_equal(waitpid(pids[p], &st, 0), pids[p]);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	for (i = 0; i < NREC; i++) {
		mkuuid(9, i, uuid);
		assert_int_equal(store_webhook_get(fx->s, "t", uuid, &json),
		    STORE_OK);
		assert_int_equal(sscanf(json, "{\"n\":%d}", &n), 1);
		assert_int_equal(n, NPROC * NINC);
		free(json);
	}
}

static void
test_concurrent_creates(void **state)
{
	struct fx		*fx = *state;
	struct store_page	 pg;
	pid_t			 pids[NPROC];
	char			 uuid[37];
	int			 p, i, st;

	for (p = 0; p < NPROC; p++) {
		pids[p] = fork();
		assert_true(pids[p] != -1);
		if (pids[p] != 0)
			continue;
		struct store *cs = store_open(fx->home, 0);
		int bad = cs == NULL;

		for (i = 0; i < 50 && !bad; i++) {
			mkuuid(p, i, uuid);
			if (wh_create(cs, "same", uuid, uuid, "{}",
			    STORE_UNIQUE_URL) != STORE_OK)
				bad = 1;
		}
		store_close(cs);
		_exit(bad);
	}
	for (p = 0; p < NPROC; p++) {
		assert_int_equal(waitpid(pids[p], &st, 0), pids[p]);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	assert_int_equal(store_webhook_list(fx->s, "same", 0, 1000, &pg),
	    STORE_OK);
	assert_int_equal(pg.total, NPROC * 50);
	assert_int_equal(pg.n, NPROC * 50);
	store_page_free(&pg);
}

/* Forks a child that opens its own store and SIGKILLs itself in the update
 * callback, holding the write lock of the record; waits for it. */
static void
die_in_update(struct fx *fx, const char *uuid)
{
	struct upd	 u;
	pid_t		 pid;
	int		 st, fnret;

	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		struct store *cs = store_open(fx->home, 0);

		if (cs == NULL)
			_exit(3);
		memset(&u, 0, sizeof(u));
		u.die = 1;
		store_webhook_update(cs, "t", uuid, 0, upd_fn, &u, &fnret);
		_exit(4);	/* not reached */
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGKILL);
}

static void
assert_n(struct store *s, const char *uuid, int want)
{
	char	*json;
	int	 n;

	assert_int_equal(store_webhook_get(s, "t", uuid, &json), STORE_OK);
	assert_int_equal(sscanf(json, "{\"n\":%d}", &n), 1);
	assert_int_equal(n, want);
	free(json);
}

/*
 * A process SIGKILLed while it wanted a lock that a dead process holds must
 * not wedge the cleanup.  Were it asleep in Berkeley DB's lock wait (a
 * pthread condition variable in the shared region), glibc would count it
 * as a waiter for ever and the failchk of the next process to open would
 * block in pthread_cond_destroy; the store never waits for a lock, so the
 * next process opens, frees the dead locks and writes, within seconds.
 */
static void
test_killed_waiter(void **state)
{
	struct fx	*fx = *state;
	struct upd	 u;
	pid_t		 waiter, pid;
	int		 st, fnret, go[2], i;
	char		 c;

	assert_int_equal(wh_create(fx->s, "t", "w", "http://x.test/",
	    "{\"n\":0}", 0), STORE_OK);
	assert_int_equal(pipe(go), 0);
	waiter = fork();
	assert_true(waiter != -1);
	if (waiter == 0) {
		struct store *cs = store_open(fx->home, 0);

		close(go[1]);
		if (cs != NULL && read(go[0], &c, 1) == 1) {
			memset(&u, 0, sizeof(u));
			store_webhook_update(cs, "t", "w", 0, upd_fn, &u,
			    &fnret);
		}
		store_close(cs);
		_exit(0);
	}
	close(go[0]);
	usleep(SLOW(200000));			/* the waiter has opened */
	die_in_update(fx, "w");		/* the lock holder dies */
	assert_int_equal(write(go[1], "g", 1), 1);
	close(go[1]);
	/* The waiter wants the lock, and waits for it: killed before that
	 * (still inside a region's mutex under memcheck's slowness, which a
	 * 2 ms pause allowed), it forces a recovery, which ends every
	 * process of the environment, this one too. */
	usleep(SLOW(50000));
	(void)kill(waiter, SIGKILL);
	assert_int_equal(waitpid(waiter, &st, 0), waiter);

	/* a new process: its open runs failchk, then it writes */
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		struct store *cs = store_open(fx->home, 0);
		int bad = cs == NULL;

		memset(&u, 0, sizeof(u));
		if (!bad && store_webhook_update(cs, "t", "w", 0, upd_fn, &u,
		    &fnret) != STORE_OK)
			bad = 1;
		store_close(cs);
		_exit(bad);
	}
	for (i = 0; i < SLOW(200) && waitpid(pid, &st, WNOHANG) == 0; i++)
		usleep(50000);
	if (i == SLOW(200)) {
		(void)kill(pid, SIGKILL);
		(void)waitpid(pid, &st, 0);
		fail_msg("the next process wedged in failchk");
	}
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/*
 * A process of the environment that takes a SIGBUS (a region page gone, a
 * full disk under a mapped file): the store's handler marks the
 * environment panicked and the process exits 70.
 */
static void
sigbus_child(const char *home)
{
	pid_t	 pid;
	int	 st;

	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		struct store *cs = store_open(home, 0);

		if (cs == NULL)
			_exit(1);
		raise(SIGBUS);
		_exit(2);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 70);
}

/*
 * A SIGBUS in a process that has the store open (a region page without a
 * disk block behind it, on a full disk) panics the environment before the
 * process dies: the live processes see STORE_FATAL instead of waiting on a
 * mutex the dead one may hold, and the next open recovers, with the data.
 */
static void
test_sigbus_panics(void **state)
{
	struct fx	*fx = *state;
	struct upd	 u;
	char		*json = NULL, c;
	pid_t		 live;
	int		 st, fnret, ready[2], done[2];

	assert_int_equal(wh_create(fx->s, "t", "bus", "http://x.test/",
	    "{\"n\":0}", 0), STORE_OK);
	/* The live process is a child too, so that the panicked handle
	 * (whose Berkeley DB memory a panicked environment never frees)
	 * ends with it and not in this process. */
	store_close(fx->s);
	fx->s = NULL;
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(done), 0);
	live = fork();
	assert_true(live != -1);
	if (live == 0) {
		struct store *ls = store_open(fx->home, 0);

		close(ready[0]);
		close(done[1]);
		if (ls == NULL || write(ready[1], "r", 1) != 1 ||
		    read(done[0], &c, 1) != 1)
			_exit(1);
		if (store_webhook_get(ls, "t", "bus", &json) != STORE_FATAL)
			_exit(2);
		_exit(store_is_fatal(ls) == 1 ? 0 : 3);
	}
	close(ready[1]);
	close(done[0]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	sigbus_child(fx->home);
	assert_int_equal(write(done[1], "d", 1), 1);
	assert_int_equal(waitpid(live, &st, 0), live);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	close(ready[0]);
	close(done[1]);
	alarm(SLOW(20));			/* the open must not hang */
	fx->s = store_open(fx->home, 0);
	alarm(0);
	assert_non_null(fx->s);
	assert_int_equal(store_webhook_get(fx->s, "t", "bus", &json),
	    STORE_OK);
	assert_string_equal(json, "{\"n\":0}");
	free(json);
	memset(&u, 0, sizeof(u));
	assert_int_equal(store_webhook_update(fx->s, "t", "bus", 0, upd_fn,
	    &u, &fnret), STORE_OK);
	assert_n(fx->s, "bus", 1);
}

/*
 * A DB_REGISTER recovery ends the processes still in the environment
 * (store_env.c, env_stop_stale): a member that sits idle (or blocked on a
 * mutex of the dead one's) sees no panic, so the recovering opener sends
 * it SIGALRM.  Here the environment is panicked (a SIGBUS, see above), so
 * failchk cannot fix it and the next open runs a full recovery while an
 * idle member waits on a pipe: it must end by SIGALRM, and the data stay.
 */
static void
test_recovery_ends_stale(void **state)
{
	struct fx	*fx = *state;
	char		*json = NULL, c;
	pid_t		 idle;
	int		 st, i, ready[2], done[2];

	assert_int_equal(wh_create(fx->s, "t", "stale", "http://x.test/",
	    "{\"n\":0}", 0), STORE_OK);
	store_close(fx->s);
	fx->s = NULL;
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(done), 0);
	idle = fork();
	assert_true(idle != -1);
	if (idle == 0) {
		struct store *ls = store_open(fx->home, 0);

		close(ready[0]);
		close(done[1]);
		signal(SIGALRM, SIG_DFL);
		if (ls == NULL || write(ready[1], "r", 1) != 1)
			_exit(1);
		/* idle in the environment until the end of the test */
		_exit(read(done[0], &c, 1) == -1 ? 3 : 0);
	}
	close(ready[1]);
	close(done[0]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	sigbus_child(fx->home);

	alarm(SLOW(20));			/* the open must not hang */
	fx->s = store_open(fx->home, 0);
	alarm(0);
	assert_non_null(fx->s);
	for (i = 0; i < SLOW(100) && waitpid(idle, &st, WNOHANG) == 0; i++)
		usleep(50000);
	if (i == SLOW(100)) {
		(void)kill(idle, SIGKILL);
		(void)waitpid(idle, &st, 0);
		close(ready[0]);
		close(done[1]);
		fail_msg("the recovery left the idle process in the "
		    "environment");
	}
	close(ready[0]);
	close(done[1]);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGALRM);
	assert_int_equal(store_webhook_get(fx->s, "t", "stale", &json),
	    STORE_OK);
	assert_string_equal(json, "{\"n\":0}");
	free(json);
	assert_int_equal(store_is_fatal(fx->s), 0);
}

/*
 * A process SIGKILLed inside a transaction (holding a write lock) must not
 * wedge the others: failchk (run by a call that keeps finding a lock
 * taken, by store_maintain, or by the DB_REGISTER check of a process
 * opening the environment) frees its locks and aborts its transaction; a
 * reader retrying meanwhile gets through.
 */
static void
test_crash_in_txn(void **state)
{
	struct fx	*fx = *state;
	struct upd	 u;
	pid_t		 pid;
	int		 st, fnret, go[2];
	char		 c;

	assert_int_equal(wh_create(fx->s, "t", "crash", "http://x.test/",
	    "{\"n\":0}", 0), STORE_OK);

	/* 1: a live reader, opened before the crash, finds the dead
	 * process's lock taken and retries until a failchk frees it */
	assert_int_equal(pipe(go), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		struct store *cs = store_open(fx->home, 0);
		char *json = NULL;
		int bad = cs == NULL;

		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			bad = 5;
		if (!bad && store_webhook_get(cs, "t", "crash", &json) !=
		    STORE_OK)
			bad = 6;
		if (!bad && strcmp(json, "{\"n\":0}") != 0)
			bad = 7;
		free(json);
		store_close(cs);
		_exit(bad);
	}
	close(go[0]);
	usleep(SLOW(200000));			/* the reader has opened */
	die_in_update(fx, "crash");
	assert_int_equal(write(go[1], "g", 1), 1);
	close(go[1]);
	usleep(SLOW(200000));			/* the reader retries */
	assert_int_equal(store_failchk(fx->s), STORE_OK);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);

	assert_n(fx->s, "crash", 0);
	memset(&u, 0, sizeof(u));
	assert_int_equal(store_webhook_update(fx->s, "t", "crash", 0, upd_fn,
	    &u, &fnret), STORE_OK);
	assert_n(fx->s, "crash", 1);
	assert_int_equal(store_is_fatal(fx->s), 0);

	/* 2: a crash, then a new process opens (DB_REGISTER finds the dead
	 * one and runs failchk) and writes */
	die_in_update(fx, "crash");
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		struct store *cs = store_open(fx->home, 0);
		int bad = cs == NULL;

		memset(&u, 0, sizeof(u));
		if (!bad && store_webhook_update(cs, "t", "crash", 0, upd_fn,
		    &u, &fnret) != STORE_OK)
			bad = 1;
		if (!bad && store_is_fatal(cs))
			bad = 2;
		store_close(cs);
		_exit(bad);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(store_is_fatal(fx->s), 0);
	assert_n(fx->s, "crash", 2);

	/* 3: a crash in a busy environment: another process keeps taking
	 * and releasing locks (until told to stop); the parent, finding the
	 * lock taken try after try, runs failchk itself */
	assert_int_equal(pipe(go), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		struct store *cs = store_open(fx->home, 0);
		int i, bad = cs == NULL;

		close(go[1]);
		fcntl(go[0], F_SETFL, O_NONBLOCK);
		for (i = 0; i < SLOW(6000) && !bad; i++) {	/* at most a minute */
			if (read(go[0], &c, 1) != -1)
				break;
			if (store_put(cs, STORE_SESSIONS, "busy", "{}") !=
			    STORE_OK)
				bad = 1;
			usleep(10000);
		}
		store_close(cs);
		_exit(bad);
	}
	close(go[0]);
	die_in_update(fx, "crash");
	memset(&u, 0, sizeof(u));
	assert_int_equal(store_webhook_update(fx->s, "t", "crash", 0, upd_fn,
	    &u, &fnret), STORE_OK);
	close(go[1]);
	assert_n(fx->s, "crash", 3);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);

	/* and the store can still be closed and opened */
	store_close(fx->s);
	fx->s = store_open(fx->home, 0);
	assert_non_null(fx->s);
	memset(&u, 0, sizeof(u));
	assert_int_equal(store_webhook_update(fx->s, "t", "crash", 0, upd_fn,
	    &u, &fnret), STORE_OK);
	assert_n(fx->s, "crash", 4);
}

/*
 * A process SIGKILLed in a write transaction after its changes (the
 * test-only pause before the commit, WEBHOOKS_TEST_TXN_PAUSE), then
 * several live processes freeing after it at the same moment: failchk runs
 * in one at a time, else two would undo the dead transaction twice and
 * panic the environment ("Log sequence error").
 */
static void
test_failchk_at_once(void **state)
{
	struct fx	*fx = *state;
	enum { N = 4, ROUNDS = 5 };
	pid_t		 victim, pids[N];
	int		 round, p, st, go[2];
	char		 key[32], c;

	for (round = 0; round < ROUNDS; round++) {
		assert_int_equal(pipe(go), 0);
		for (p = 0; p < N; p++) {
			pids[p] = fork();
			assert_true(pids[p] != -1);
			if (pids[p] == 0) {
				struct store *cs = store_open(fx->home, 0);
				int bad = cs == NULL;

				close(go[1]);
				if (read(go[0], &c, 1) != 0)	/* EOF: go */
					bad = 2;
				if (!bad && store_failchk(cs) != STORE_OK)
					bad = 3;
				if (!bad && store_put(cs, STORE_SESSIONS,
				    "after", "{}") != STORE_OK)
					bad = 4;
				if (!bad && store_is_fatal(cs))
					bad = 5;
				store_close(cs);
				_exit(bad);
			}
		}
		close(go[0]);
		victim = fork();
		assert_true(victim != -1);
		if (victim == 0) {
			struct store *cs = store_open(fx->home, 0);

			setenv("WEBHOOKS_TEST_TXN_PAUSE", "10000", 1);
			snprintf(key, sizeof(key), "dying%d", round);
			if (cs != NULL)
				store_put(cs, STORE_SESSIONS, key, "{}");
			_exit(3);	/* not reached: killed in the pause */
		}
		usleep(SLOW(300000));		/* in the pause, its page changed */
		assert_int_equal(kill(victim, SIGKILL), 0);
		assert_int_equal(waitpid(victim, &st, 0), victim);
		assert_true(WIFSIGNALED(st));
		close(go[1]);		/* all at once */
		for (p = 0; p < N; p++) {
			assert_int_equal(waitpid(pids[p], &st, 0), pids[p]);
			assert_true(WIFEXITED(st));
			assert_int_equal(WEXITSTATUS(st), 0);
		}
	}
	assert_int_equal(store_put(fx->s, STORE_SESSIONS, "end", "{}"),
	    STORE_OK);
	assert_int_equal(store_is_fatal(fx->s), 0);
}

/* ---- maintenance ------------------------------------------------------ */

static void
test_maintain_backup_check(void **state)
{
	struct fx	*fx = *state;
	struct store	*bs;
	char		 bhome[96], bdir[128], *json;
	char		 uuid[37];
	int		 i;

	for (i = 0; i < 100; i++) {
		mkuuid(5, i, uuid);
		assert_int_equal(wh_create(fx->s, "t", uuid, "http://x.test/",
		    "{\"n\":0}", 0), STORE_OK);
	}
	assert_int_equal(store_team_add(fx->s, "t", "{\"name\":\"t\"}"),
	    STORE_OK);
	assert_int_equal(store_maintain(fx->s), STORE_OK);
	/* check is for a quiescent environment: no handle open here */
	store_close(fx->s);
	assert_int_equal(store_check(fx->home), STORE_OK);
	fx->s = store_open(fx->home, 0);
	assert_non_null(fx->s);

	snprintf(bhome, sizeof(bhome), "%s/restore", fx->home);
	assert_int_equal(mkdir(bhome, 0700), 0);
	snprintf(bdir, sizeof(bdir), "%s/db", bhome);
	assert_int_equal(store_backup(fx->s, bdir), STORE_OK);
	/* a second backup into the same place replaces the first */
	assert_int_equal(store_backup(fx->s, bdir), STORE_OK);

	/* after the backup: a change the backup does not have */
	assert_int_equal(store_team_add(fx->s, "later", "{}"), STORE_OK);

	bs = store_open(bhome, 0);
	assert_non_null(bs);
	mkuuid(5, 99, uuid);
	assert_int_equal(store_webhook_get(bs, "t", uuid, &json), STORE_OK);
	assert_string_equal(json, "{\"n\":0}");
	free(json);
	assert_int_equal(store_team_get(bs, "t", &json), STORE_OK);
	free(json);
	assert_int_equal(store_team_get(bs, "later", &json), STORE_NOTFOUND);
	store_close(bs);
	assert_int_equal(store_check(bhome), STORE_OK);
}

static void
test_fatal_recover(void **state)
{
	struct fx	*fx = *state;
	char		*json;

	assert_int_equal(store_team_add(fx->s, "t", "{\"name\":\"t\"}"),
	    STORE_OK);
	store_close(fx->s);
	fx->s = store_open(fx->home, STORE_FATAL_RECOVER);
	assert_non_null(fx->s);
	assert_int_equal(store_team_get(fx->s, "t", &json), STORE_OK);
	assert_string_equal(json, "{\"name\":\"t\"}");
	free(json);
	assert_int_equal(store_team_add(fx->s, "u", "{}"), STORE_OK);
}

static void
test_open_missing(void **state)
{
	(void)state;
	assert_null(store_open("/nonexistent/test_store", 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_kv_kinds, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_foreach_deletes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_put_new, setup, teardown),
		cmocka_unit_test_setup_teardown(test_webhook_crud, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_team_isolation, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pagination, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_unique_url, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_updates, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_creates, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_killed_waiter, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_failchk_at_once, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sigbus_panics, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_recovery_ends_stale, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_crash_in_txn, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_maintain_backup_check,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_fatal_recover, setup,
		    teardown),
		cmocka_unit_test(test_open_missing),
	};

	log_init("test_store");
	if (getenv("TEST_FILTER") != NULL)
		cmocka_set_test_filter(getenv("TEST_FILTER"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
