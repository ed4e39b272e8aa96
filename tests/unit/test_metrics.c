/* Unit tests of metrics: the exposition text of a snapshot (names, labels,
 * the histogram's cumulative buckets and seconds, what is left out when
 * unknown), an attempt's bucket, the counters record in the store (added
 * alone, and with another write: committed with it, not at all when that
 * write is refused), the spool's counts and oldest event, and the health
 * answer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "attempt.h"
#include "metrics.h"
#include "spool.h"
#include "store.h"
#include "util.h"
#define SPOOL_FIXTURE_STORE
#include "spool_fixture.h"

/* 1 if text holds line as a whole line. */
static int
has_line(const char *text, const char *line)
{
	size_t		 n = strlen(line);
	const char	*p;

	for (p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return 1;
	return 0;
}

#define ASSERT_LINE(text, line) do {					\
	if (!has_line((text), (line)))					\
		fail_msg("no line \"%s\" in:\n%s", (line), (text));	\
} while (0)

static void
test_text(void **state)
{
	struct metrics_snapshot	 s;
	struct buf		 b;
	int			 i;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.c.v[METRICS_EVENTS] = 7;
	s.c.v[METRICS_DELIVERED] = 3;
	s.c.v[METRICS_FAILED] = 1;
	s.c.v[METRICS_RETRYING] = 2;
	s.c.v[METRICS_DEAD] = 4;
	s.c.v[METRICS_DISABLED] = 5;
	/* 10 attempts: 2 within 5 ms, 3 within 100 ms, 5 over 10 s. */
	s.c.v[METRICS_LATENCY_BUCKET + 0] = 2;
	s.c.v[METRICS_LATENCY_BUCKET + 4] = 3;
	s.c.v[METRICS_LATENCY_COUNT] = 10;
	s.c.v[METRICS_LATENCY_SUM_MS] = 61234;
	for (i = 0; i < SPOOL_NDIRS; i++)
		s.spool[i] = i * 10;
	s.oldest_ms = 2500;
	s.store_bytes = 123456;
	buf_init(&b);
	metrics_text(&b, &s);
	buf_putc(&b, '\0');
	ASSERT_LINE(b.p, "# TYPE webhooks_events_accepted_total counter");
	ASSERT_LINE(b.p, "webhooks_events_accepted_total 7");
	ASSERT_LINE(b.p, "# TYPE webhooks_deliveries_total counter");
	ASSERT_LINE(b.p, "webhooks_deliveries_total{outcome=\"delivered\"} 3");
	ASSERT_LINE(b.p, "webhooks_deliveries_total{outcome=\"failed\"} 1");
	ASSERT_LINE(b.p, "webhooks_deliveries_total{outcome=\"retrying\"} 2");
	ASSERT_LINE(b.p, "webhooks_deliveries_total{outcome=\"dead\"} 4");
	ASSERT_LINE(b.p,
	    "# TYPE webhooks_attempt_duration_seconds histogram");
	ASSERT_LINE(b.p,
	    "webhooks_attempt_duration_seconds_bucket{le=\"0.005\"} 2");
	ASSERT_LINE(b.p,
	    "webhooks_attempt_duration_seconds_bucket{le=\"0.05\"} 2");
	ASSERT_LINE(b.p,
	    "webhooks_attempt_duration_seconds_bucket{le=\"0.1\"} 5");
	ASSERT_LINE(b.p,
	    "webhooks_attempt_duration_seconds_bucket{le=\"10\"} 5");
	ASSERT_LINE(b.p,
	    "webhooks_attempt_duration_seconds_bucket{le=\"+Inf\"} 10");
	ASSERT_LINE(b.p, "webhooks_attempt_duration_seconds_sum 61.234");
	ASSERT_LINE(b.p, "webhooks_attempt_duration_seconds_count 10");
	ASSERT_LINE(b.p, "webhooks_disabled_total 5");
	ASSERT_LINE(b.p, "# TYPE webhooks_spool_files gauge");
	ASSERT_LINE(b.p, "webhooks_spool_files{state=\"new\"} 10");
	ASSERT_LINE(b.p, "webhooks_spool_files{state=\"cur\"} 20");
	ASSERT_LINE(b.p, "webhooks_spool_files{state=\"deferred\"} 30");
	ASSERT_LINE(b.p, "webhooks_spool_files{state=\"dead\"} 40");
	ASSERT_LINE(b.p, "webhooks_spool_files{state=\"quarantine\"} 50");
	assert_null(strstr(b.p, "state=\"tmp\""));
	ASSERT_LINE(b.p, "webhooks_oldest_pending_event_age_seconds 2.5");
	ASSERT_LINE(b.p, "webhooks_store_bytes 123456");
	/* Every line a comment or a sample, the text ending in a newline. */
	assert_int_equal(b.p[b.len - 2], '\n');
	buf_free(&b);

	/* Unknown: left out, not 0 (and no spool, no oldest). */
	for (i = 0; i < SPOOL_NDIRS; i++)
		s.spool[i] = -1;
	s.store_bytes = -1;
	buf_init(&b);
	metrics_text(&b, &s);
	buf_putc(&b, '\0');
	assert_null(strstr(b.p, "webhooks_spool_files"));
	assert_null(strstr(b.p, "webhooks_oldest_pending"));
	assert_null(strstr(b.p, "webhooks_store_bytes"));
	ASSERT_LINE(b.p, "webhooks_events_accepted_total 7");
	buf_free(&b);
}

static void
test_count_attempt(void **state)
{
	static const struct {
		const char	*state;
		int64_t		 ms;
		int		 counter;	/* -1: not counted */
		int		 bucket;	/* -1: +Inf only */
	} cases[] = {
		{ "done", 0, METRICS_DELIVERED, 0 },
		{ "done", 5, METRICS_DELIVERED, 0 },
		{ "done", 6, METRICS_DELIVERED, 1 },
		{ "retrying", 100, METRICS_RETRYING, 4 },
		{ "dead", 10000, METRICS_DEAD, 10 },
		{ "failed", 10001, METRICS_FAILED, -1 },
		{ "done", -3, METRICS_DELIVERED, 0 },
		{ "test", 1, -1, -1 },
		{ "", 1, -1, -1 },
	};
	struct metrics_counts	 c;
	size_t			 i;
	int			 k, sum;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&c, 0, sizeof(c));
		metrics_count_attempt(&c, cases[i].state, cases[i].ms);
		sum = 0;
		for (k = 0; k < METRICS_LATENCY_SUM_MS; k++)
			sum += (int)c.v[k];
		if (cases[i].counter == -1) {
			assert_int_equal(sum, 0);
			assert_int_equal(c.v[METRICS_LATENCY_COUNT], 0);
			continue;
		}
		assert_int_equal(sum, 1);
		assert_int_equal(c.v[cases[i].counter], 1);
		assert_int_equal(c.v[METRICS_LATENCY_COUNT], 1);
		assert_int_equal(c.v[METRICS_LATENCY_SUM_MS],
		    cases[i].ms < 0 ? 0 : cases[i].ms);
		for (k = 0; k < METRICS_NBUCKETS; k++)
			assert_int_equal(c.v[METRICS_LATENCY_BUCKET + k],
			    k == cases[i].bucket);
	}
}

static void
test_counters(void **state)
{
	struct fx		*f = *state;
	struct metrics_counts	 c, add, got;
	struct metrics_also	 m;

	memset(&c, 0, sizeof(c));
	assert_int_equal(metrics_read(f->st, &got), STORE_OK);
	assert_memory_equal(&got, &c, sizeof(c));

	memset(&add, 0, sizeof(add));
	add.v[METRICS_EVENTS] = 2;
	add.v[METRICS_LATENCY_BUCKET + 3] = 1;
	assert_int_equal(metrics_add(f->st, &add), STORE_OK);
	assert_int_equal(metrics_add(f->st, &add), STORE_OK);
	assert_int_equal(metrics_read(f->st, &got), STORE_OK);
	assert_int_equal(got.v[METRICS_EVENTS], 4);
	assert_int_equal(got.v[METRICS_LATENCY_BUCKET + 3], 2);
	assert_int_equal(got.v[METRICS_DEAD], 0);

	/* With another write: counted when it commits... */
	memset(&add, 0, sizeof(add));
	add.v[METRICS_DEAD] = 3;
	metrics_also(f->st, &m, &add);
	assert_int_equal(store_put_new(f->st, STORE_SECRETS, "k", "{}", NULL),
	    STORE_OK);
	metrics_also_end(f->st);
	assert_int_equal(metrics_read(f->st, &got), STORE_OK);
	assert_int_equal(got.v[METRICS_DEAD], 3);
	assert_int_equal(got.v[METRICS_EVENTS], 4);
	/* ...not when it is refused (the key is taken)... */
	metrics_also(f->st, &m, &add);
	assert_int_equal(store_put_new(f->st, STORE_SECRETS, "k", "{}", NULL),
	    STORE_EXISTS);
	metrics_also_end(f->st);
	assert_int_equal(metrics_read(f->st, &got), STORE_OK);
	assert_int_equal(got.v[METRICS_DEAD], 3);
	/* ...and only by the next write call: metrics_also_end forgets. */
	metrics_also(f->st, &m, &add);
	metrics_also_end(f->st);
	assert_int_equal(store_put(f->st, STORE_SECRETS, "k", "{}"),
	    STORE_OK);
	assert_int_equal(metrics_read(f->st, &got), STORE_OK);
	assert_int_equal(got.v[METRICS_DEAD], 3);
	/* A record that cannot be read starts again. */
	assert_int_equal(store_put(f->st, STORE_COUNTERS, "metrics", "{x"),
	    STORE_OK);
	assert_int_equal(metrics_read(f->st, &got), STORE_OK);
	assert_int_equal(got.v[METRICS_DEAD], 0);
	assert_int_equal(metrics_add(f->st, &add), STORE_OK);
	assert_int_equal(metrics_read(f->st, &got), STORE_OK);
	assert_int_equal(got.v[METRICS_DEAD], 3);
}

/* The daemon's batch of attempts (attempt_add_many) counts each by the
 * state it left and its latency, in the batch's transaction. */
static void
test_attempt_batch(void **state)
{
	static const struct {
		const char	*state;
		int64_t		 ms;
	} rows[] = {
		{ "done", 3 }, { "retrying", 120 }, { "dead", 20000 },
	};
	struct fx		*f = *state;
	struct attempt_info	 i;
	struct store_attempt	 v[4];
	struct metrics_counts	 got;
	char			 ids[4][8];
	size_t			 k;

	memset(v, 0, sizeof(v));
	for (k = 0; k < 3; k++) {
		memset(&i, 0, sizeof(i));
		i.delivery_id = "msg_x";
		i.event_id = "ev";
		i.event_type = "a.b";
		i.state = rows[k].state;
		i.error = "";
		i.body = "";
		i.attempt = 1;
		i.latency_ms = rows[k].ms;
		i.success = strcmp(rows[k].state, "done") == 0;
		snprintf(ids[k], sizeof(ids[k]), "id%zu", k);
		v[k].uuid = "00000000-0000-4000-8000-000000000001";
		v[k].id = ids[k];
		v[k].at_ms = 1000 + (int64_t)k;
		v[k].rec = attempt_pack(&i, &v[k].len);
	}
	/* A record of JSON (an old store's) is logged, not counted. */
	v[3].uuid = v[0].uuid;
	v[3].id = "json";
	v[3].at_ms = 2000;
	v[3].rec = "{\"state\":\"done\"}";
	v[3].len = strlen(v[3].rec);
	assert_int_equal(attempt_add_many(f->st, v, 4), STORE_OK);
	assert_int_equal(metrics_read(f->st, &got), STORE_OK);
	assert_int_equal(got.v[METRICS_DELIVERED], 1);
	assert_int_equal(got.v[METRICS_RETRYING], 1);
	assert_int_equal(got.v[METRICS_DEAD], 1);
	assert_int_equal(got.v[METRICS_FAILED], 0);
	assert_int_equal(got.v[METRICS_LATENCY_COUNT], 3);
	assert_int_equal(got.v[METRICS_LATENCY_SUM_MS], 20123);
	assert_int_equal(got.v[METRICS_LATENCY_BUCKET + 0], 1);
	assert_int_equal(got.v[METRICS_LATENCY_BUCKET + 5], 1);
	assert_int_equal(got.v[METRICS_LATENCY_BUCKET + 10], 0);
	/* The same keys again: refused whole (one attempt alone is), and
	 * not counted. */
	assert_int_equal(attempt_add_many(f->st, v, 1), STORE_EXISTS);
	assert_int_equal(metrics_read(f->st, &got), STORE_OK);
	assert_int_equal(got.v[METRICS_DELIVERED], 1);
	for (k = 0; k < 3; k++)
		free((char *)(uintptr_t)v[k].rec);
}

static void
test_expose(void **state)
{
	struct fx	*f = *state;
	struct buf	 b;
	char		 name[64], line[96];
	int64_t		 now = util_now_ms();

	/* Two events in new/, the older 90 s old; one in quarantine/. */
	snprintf(name, sizeof(name), "%013lld.a", (long long)(now - 90000));
	assert_int_equal(spool_write(f->sp, SPOOL_NEW, name, "x", 1, 0), 0);
	snprintf(name, sizeof(name), "%013lld.b", (long long)(now - 1000));
	assert_int_equal(spool_write(f->sp, SPOOL_NEW, name, "x", 1, 0), 0);
	assert_int_equal(spool_write(f->sp, SPOOL_QUARANTINE, "q", "x", 1, 0),
	    0);
	buf_init(&b);
	assert_int_equal(metrics_expose(f->st, f->sp, now, &b), STORE_OK);
	buf_putc(&b, '\0');
	ASSERT_LINE(b.p, "webhooks_spool_files{state=\"new\"} 2");
	ASSERT_LINE(b.p, "webhooks_spool_files{state=\"cur\"} 0");
	ASSERT_LINE(b.p, "webhooks_spool_files{state=\"quarantine\"} 1");
	ASSERT_LINE(b.p, "webhooks_oldest_pending_event_age_seconds 90");
	assert_non_null(strstr(b.p, "\nwebhooks_store_bytes "));
	snprintf(line, sizeof(line), "webhooks_store_bytes 0");
	assert_false(has_line(b.p, line));
	buf_free(&b);
}

static int
tmp_entries(struct spool *sp)
{
	struct dirent	*e;
	DIR		*d;
	int		 n = 0;

	assert_non_null(d = opendir(spool_path(sp, SPOOL_TMP)));
	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

static void
test_health(void **state)
{
	struct fx	*f = *state;
	struct buf	 b;

	buf_init(&b);
	assert_int_equal(metrics_health(f->st, f->sp, &b), 0);
	buf_putc(&b, '\0');
	assert_string_equal(b.p,
	    "{\"status\":\"ok\",\"store\":\"ok\",\"spool\":\"ok\"}");
	buf_reset(&b);
	assert_int_equal(metrics_health(f->st, NULL, &b), -1);
	buf_putc(&b, '\0');
	assert_string_equal(b.p, "{\"status\":\"unavailable\",\"store\":"
	    "\"ok\",\"spool\":\"not writable\"}");
	buf_reset(&b);
	assert_int_equal(metrics_health(NULL, f->sp, &b), -1);
	buf_putc(&b, '\0');
	assert_string_equal(b.p, "{\"status\":\"unavailable\",\"store\":"
	    "\"unavailable\",\"spool\":\"ok\"}");
	buf_free(&b);
	/* The probe leaves nothing behind in tmp/. */
	assert_int_equal(spool_writable(f->sp), 0);
	assert_int_equal(tmp_entries(f->sp), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_count_attempt),
		cmocka_unit_test_setup_teardown(test_counters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attempt_batch, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_expose, setup, teardown),
		cmocka_unit_test_setup_teardown(test_health, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
