/*
 * Unit tests of the event model (src/model/event.c): the event-type rule as a
 * table, the same verdict from publishing and from subscribing (a webhook's
 * events and seed 003's settings keys) for every row, publishing into a
 * spool with and without an idempotency key, the key's 24 h and its
 * pruning, and reading spool files of types the rule now refuses.  Each
 * test that writes runs in its own temporary directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "metrics.h"
#include "spool.h"
#include "store.h"
#include "util.h"
#include "webhook.h"
#define SPOOL_FIXTURE_STORE
#include "spool_fixture.h"

static const struct {
	const char	*s;
	size_t		 len;		/* 0: strlen */
	int		 ok;
} types[] = {
	{ "order.paid", 0, 1 },
	{ "webhook.test", 0, 1 },
	{ "new_assigned_message", 0, 1 },	/* seed 003 */
	{ "customer_state_changed", 0, 1 },
	{ "invoice-paid.v2", 0, 1 },
	{ "A", 0, 1 },
	{ "0", 0, 1 },
	{ "...", 0, 1 },
	{ "@A128@", 0, 1 },
	{ "", 0, 0 },
	{ "@A129@", 0, 0 },
	{ "order paid", 0, 0 },			/* issue 17's bug */
	{ " order.paid", 0, 0 },
	{ "order.paid ", 0, 0 },
	{ "order\tpaid", 0, 0 },
	{ "order\npaid", 0, 0 },
	{ "*", 0, 0 },		/* only a subscription names it */
	{ "order.*", 0, 0 },
	{ "order/paid", 0, 0 },
	{ "order:paid", 0, 0 },
	{ "order,paid", 0, 0 },
	{ "\"quoted\"", 0, 0 },
	{ "caf\xc3\xa9", 0, 0 },
	{ "\x7f", 0, 0 },
	{ "a\0b", 3, 0 },		/* a NUL inside a JSON string */
};
#define NTYPES (sizeof(types) / sizeof(types[0]))

/* types[i].s with @A128@ / @A129@ expanded; caller frees. */
static char *
type_at(size_t i, size_t *len)
{
	char	*s;

	if (strcmp(types[i].s, "@A128@") == 0 ||
	    strcmp(types[i].s, "@A129@") == 0) {
		*len = strcmp(types[i].s, "@A128@") == 0 ? 128 : 129;
		s = xmalloc(*len + 1);
		memset(s, 'a', *len);
		s[*len] = '\0';
		return s;
	}
	*len = types[i].len != 0 ? types[i].len : strlen(types[i].s);
	s = xmalloc(*len + 1);
	memcpy(s, types[i].s, *len + 1);
	return s;
}

static void
test_type_rule(void **state)
{
	size_t	 i, len;
	char	*s;

	(void)state;
	for (i = 0; i < NTYPES; i++) {
		s = type_at(i, &len);
		if (event_type_ok(s, len) != types[i].ok)
			fail_msg("event_type_ok(row %zu \"%s\") != %d", i, s,
			    types[i].ok);
		free(s);
	}
}

/* webhook_decode's verdict on one subscription. */
static int
subscribe_ok(json_object *body)
{
	struct wh_input		 in;
	struct wh_errors	 errs;
	int			 rc;

	memset(&in, 0, sizeof(in));
	memset(&errs, 0, sizeof(errs));
	rc = webhook_decode(body, 0, &in, &errs);
	webhook_input_free(&in);
	json_object_put(body);
	return rc == 0;
}

/* Every name is allowed by publishing iff by subscribing, through both
 * spellings of a subscription; "*" only by subscribing. */
static void
test_publish_and_subscribe_agree(void **state)
{
	json_object	*b, *arr, *set;
	size_t		 i, len;
	char		*s;
	int		 pub, sub, sub003;

	(void)state;
	for (i = 0; i < NTYPES; i++) {
		s = type_at(i, &len);
		pub = event_type_ok(s, len);
		b = json_object_new_object();
		arr = json_object_new_array();
		json_object_array_add(arr, json_object_new_string_len(s,
		    (int)len));
		json_object_object_add(b, "events", arr);
		sub = subscribe_ok(b);
		if (strlen(s) == len) {		/* a key holds no NUL */
			b = json_object_new_object();
			set = json_object_new_object();
			json_object_object_add(set, s,
			    json_object_new_string("true"));
			json_object_object_add(b, "settings", set);
			sub003 = subscribe_ok(b);
		} else
			sub003 = 0;
		if (strcmp(s, "*") == 0) {
			if (pub || !sub || !sub003)
				fail_msg("\"*\": publish %d, subscribe %d, "
				    "settings %d", pub, sub, sub003);
		} else if (pub != sub || pub != sub003 ||
		    pub != types[i].ok)
			fail_msg("row %zu \"%s\": publish %d, subscribe %d, "
			    "settings %d", i, s, pub, sub, sub003);
		free(s);
	}
}

static void
test_key_rule(void **state)
{
	char	 k[300];

	(void)state;
	assert_int_equal(event_key_ok("order-42 paid"), 1);
	assert_int_equal(event_key_ok(""), 0);
	assert_int_equal(event_key_ok("a\nb"), 0);
	memset(k, 'k', sizeof(k));
	k[255] = '\0';
	assert_int_equal(event_key_ok(k), 1);
	k[255] = 'k';
	k[256] = '\0';
	assert_int_equal(event_key_ok(k), 0);
}

/* ---- publishing ------------------------------------------------------------ */

static size_t
count_new(struct spool *sp)
{
	struct spool_ent	*v;
	size_t			 n;

	assert_int_equal(spool_list(sp, SPOOL_NEW, &v, &n), 0);
	spool_list_free(v, n);
	return n;
}

/* The one file of new/, parsed. */
static void
read_new(struct spool *sp, struct spool_event *ev)
{
	struct spool_ent	*v;
	size_t			 n, len;
	char			*text, err[128];

	assert_int_equal(spool_list(sp, SPOOL_NEW, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(spool_claim(sp, SPOOL_NEW, v[0].name), 0);
	assert_int_equal(spool_read(sp, v[0].name, &text, &len), 0);
	assert_int_equal(event_read(text, len, v[0].name, 1, ev, err,
	    sizeof(err)), 0);
	assert_int_equal(spool_finish(sp, v[0].name, 0), 0);
	free(text);
	spool_list_free(v, n);
}

static void
test_publish(void **state)
{
	struct fx		*f = *state;
	struct event_pub	 p;
	struct event_ack	 a;
	struct spool_event	 ev;
	int			 sr;

	memset(&p, 0, sizeof(p));
	p.team = "default";
	p.type = "order.paid";
	p.data = json_tokener_parse("{\"order\":42}");
	assert_int_equal(event_publish(NULL, f->sp, &p, &a, &sr),
	    EVENT_PUB_OK);
	json_object_put(p.data);
	assert_true(util_is_uuid(a.id));
	assert_string_equal(a.type, "order.paid");
	assert_int_equal(a.replayed, 0);
	read_new(f->sp, &ev);
	assert_string_equal(ev.id, a.id);
	assert_string_equal(ev.team, "default");
	assert_string_equal(ev.type, "order.paid");
	assert_string_equal(ev.timestamp, a.timestamp);
	assert_string_equal(ev.data_text, "{\"order\":42}");
	spool_event_free(&ev);

	/* No data: {}. */
	p.data = NULL;
	assert_int_equal(event_publish(NULL, f->sp, &p, &a, &sr),
	    EVENT_PUB_OK);
	read_new(f->sp, &ev);
	assert_string_equal(ev.data_text, "{}");
	spool_event_free(&ev);

	/* The rule, whoever calls: nothing enqueued. */
	p.type = "order paid";
	assert_int_equal(event_publish(NULL, f->sp, &p, &a, &sr),
	    EVENT_PUB_INVALID);
	p.type = "*";
	assert_int_equal(event_publish(NULL, f->sp, &p, &a, &sr),
	    EVENT_PUB_INVALID);
	p.type = "order.paid";
	p.key = "";
	assert_int_equal(event_publish(f->st, f->sp, &p, &a, &sr),
	    EVENT_PUB_INVALID);
	p.key = "k";		/* a key needs the store */
	assert_int_equal(event_publish(NULL, f->sp, &p, &a, &sr),
	    EVENT_PUB_INVALID);
	assert_int_equal(count_new(f->sp), 0);
}

static void
test_idempotency(void **state)
{
	struct fx		*f = *state;
	struct event_pub	 p;
	struct event_ack	 a1, a2, a3;
	struct metrics_counts	 mc;
	char			*rec;
	size_t			 n;
	int			 sr;

	memset(&p, 0, sizeof(p));
	p.team = "default";
	p.type = "idem.event";
	p.key = "order-77";
	assert_int_equal(event_publish(f->st, f->sp, &p, &a1, &sr),
	    EVENT_PUB_OK);
	assert_int_equal(a1.replayed, 0);
	/* Again, another type: the first event, nothing enqueued. */
	p.type = "other.event";
	assert_int_equal(event_publish(f->st, f->sp, &p, &a2, &sr),
	    EVENT_PUB_OK);
	assert_int_equal(a2.replayed, 1);
	assert_string_equal(a2.id, a1.id);
	assert_string_equal(a2.type, "idem.event");
	assert_string_equal(a2.timestamp, a1.timestamp);
	assert_int_equal(count_new(f->sp), 1);
	/* The key is the team's. */
	p.team = "beta";
	assert_int_equal(event_publish(f->st, f->sp, &p, &a3, &sr),
	    EVENT_PUB_OK);
	assert_int_equal(a3.replayed, 0);
	assert_string_not_equal(a3.id, a1.id);
	assert_int_equal(count_new(f->sp), 2);

	/* Older than 24 h: the key is free again, and pruned. */
	rec = xasprintf("{\"event\":\"%s\",\"type\":\"idem.event\","
	    "\"timestamp\":\"%s\",\"at\":%lld}", a1.id, a1.timestamp,
	    (long long)(util_now_ms() - EVENT_IDEM_TTL_MS - 1));
	assert_int_equal(store_put(f->st, STORE_IDEMPOTENCY,
	    "default\norder-77", rec), STORE_OK);
	free(rec);
	p.team = "default";
	assert_int_equal(event_publish(f->st, f->sp, &p, &a2, &sr),
	    EVENT_PUB_OK);
	assert_int_equal(a2.replayed, 0);
	assert_string_not_equal(a2.id, a1.id);
	assert_int_equal(count_new(f->sp), 3);
	/* Three events accepted (the replay is not one): the metrics. */
	assert_int_equal(metrics_read(f->st, &mc), STORE_OK);
	assert_int_equal(mc.v[METRICS_EVENTS], 3);

	rec = xasprintf("{\"event\":\"x\",\"type\":\"t\",\"timestamp\":\"t\","
	    "\"at\":%lld}", (long long)(util_now_ms() - EVENT_IDEM_TTL_MS -
	    1000));
	assert_int_equal(store_put(f->st, STORE_IDEMPOTENCY, "default\nold",
	    rec), STORE_OK);
	free(rec);
	assert_int_equal(event_idem_prune(f->st, util_now_ms(), &n), STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_get(f->st, STORE_IDEMPOTENCY, "default\nold",
	    &rec), STORE_NOTFOUND);
	assert_int_equal(store_get(f->st, STORE_IDEMPOTENCY,
	    "default\norder-77", &rec), STORE_OK);
	free(rec);
	assert_int_equal(store_get(f->st, STORE_IDEMPOTENCY, "beta\norder-77",
	    &rec), STORE_OK);
	free(rec);
	/* A day later every record goes. */
	assert_int_equal(event_idem_prune(f->st, util_now_ms() +
	    EVENT_IDEM_TTL_MS + 1, &n), STORE_OK);
	assert_int_equal(n, 2);
}

/* Files written before the rule (an event given back at a restart, a
 * deferred delivery) are still read; a type the format refuses is not. */
static void
test_read_old_types(void **state)
{
	static const struct {
		const char	*text;
		int		 rc;
	} files[] = {
		{ "{\"team\":\"t\",\"type\":\"order paid\"}", 0 },
		{ "{\"team\":\"t\",\"type\":\"order paid\",\"webhook\":"
		    "\"6b1f5c3e-9d2a-4c1b-8e7f-0a1b2c3d4e5f\",\"attempt\":2}",
		    0 },
		{ "{\"team\":\"t\",\"type\":\"order.paid\"}", 0 },
		{ "{\"team\":\"t\",\"type\":\"a\\nb\"}", -1 },
		{ "{\"team\":\"t\",\"type\":\"\"}", -1 },
	};
	struct spool_event	 ev;
	char			 err[128];
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (event_read(files[i].text, strlen(files[i].text), "n", 1,
		    &ev, err, sizeof(err)) != files[i].rc)
			fail_msg("file %zu: not %d", i, files[i].rc);
		if (files[i].rc == 0)
			spool_event_free(&ev);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_type_rule),
		cmocka_unit_test(test_publish_and_subscribe_agree),
		cmocka_unit_test(test_key_rule),
		cmocka_unit_test_setup_teardown(test_publish, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idempotency, setup,
		    teardown),
		cmocka_unit_test(test_read_old_types),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
