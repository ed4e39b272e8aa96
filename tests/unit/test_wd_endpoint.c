/* Unit tests of webhookd's endpoints (src/daemon/wd_endpoint.c): the endpoint key
 * (per team, scheme, host and port), the ready list and its limits
 * (per_endpoint transfers on the wire, UNREC_FACTOR x per_endpoint answers
 * waiting for their record), the pick of a webhook with nothing in flight
 * (wd_ep_take), release of idle endpoints and the spill of jobs that
 * waited too long.  No network, no threads: the main thread's side is
 * driven by hand, as wd_net.c drives it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "wd.h"

static struct wd *
wd_new(int per_endpoint)
{
	struct wd	*wd = xcalloc(1, sizeof(*wd));

	wd->cfg.per_endpoint = per_endpoint;
	wd->cfg.concurrency = 100;
	return wd;
}

/* Every job made, freed by done(). */
static struct job	*made[64];
static size_t		 nmade;

/* A job of webhook uuid to url, of team, queued. */
static struct job *
queued(struct wd *wd, const char *team, const char *url, const char *uuid)
{
	struct job	*j = xcalloc(1, sizeof(*j));

	assert_true(nmade < sizeof(made) / sizeof(made[0]));
	made[nmade++] = j;

	snprintf(j->wh.uuid, sizeof(j->wh.uuid), "%s", uuid);
	j->epkey = wd_ep_key(team, url);
	wd_ep_queue(wd, j);
	return j;
}

/* What the recorded answer does (wd_hand_exchange). */
static void
recorded(struct wd *wd, struct endpoint *ep)
{
	ep->unrec--;
	wd_ep_ready_push(wd, ep);
	wd_ep_release(wd, ep);
}

/* The end of a test: the endpoints left, the jobs, wd. */
static void
done(struct wd *wd)
{
	struct endpoint	*ep, *next;
	size_t		 b;

	for (b = 0; b < EP_BUCKETS; b++)
		for (ep = wd->buckets[b]; ep != NULL; ep = next) {
			next = ep->hnext;
			free(ep->key);
			free(ep);
		}
	while (nmade > 0)
		free(made[--nmade]);
	free(wd);
}

static size_t
nendpoints(const struct wd *wd)
{
	const struct endpoint	*ep;
	size_t			 b, n = 0;

	for (b = 0; b < EP_BUCKETS; b++)
		for (ep = wd->buckets[b]; ep != NULL; ep = ep->hnext)
			n++;
	return n;
}

static void
test_key(void **state)
{
	static const struct {
		const char	*team, *url, *want;
	} cases[] = {
		{ "t1", "https://Example.COM/a?b", "t1 https://example.com:443" },
		{ "t1", "http://example.com/x", "t1 http://example.com:80" },
		{ "t1", "http://example.com:8080/x",
		    "t1 http://example.com:8080" },
		{ "Team", "HTTPS://EXAMPLE.com", "Team https://example.com:443" },
		{ "t1", "http://[::1]:81/", "t1 http://[::1]:81" },
		{ "t1", "not a URL", "t1 not a url" },
	};
	size_t	 i;
	char	*k;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		k = wd_ep_key(cases[i].team, cases[i].url);
		assert_string_equal(k, cases[i].want);
		free(k);
	}
}

/* per_endpoint on the wire at most; the next one once one ends. */
static void
test_limit(void **state)
{
	struct wd	*wd = wd_new(2);
	struct endpoint	*ep;
	struct job	*j[4], *t;
	int		 i;

	(void)state;
	for (i = 0; i < 4; i++)
		j[i] = queued(wd, "t1", "https://a.example/h", "w1");
	assert_int_equal(nendpoints(wd), 1);
	assert_ptr_equal(j[0]->ep, j[3]->ep);
	assert_int_equal(j[0]->ep->qlen, 4);
	assert_true(wd->njobs == 4);

	/* In order, two of them. */
	for (i = 0; i < 2; i++) {
		ep = wd_ep_ready_pop(wd);
		assert_non_null(ep);
		t = wd_ep_take(ep);
		assert_ptr_equal(t, j[i]);
		wd_ep_job_start(wd, ep, t);
	}
	assert_null(wd_ep_ready_pop(wd));
	assert_int_equal(j[0]->ep->qlen, 2);

	/* One ends: the endpoint may start the next. */
	wd_ep_job_done(wd, j[0]);
	ep = wd_ep_ready_pop(wd);
	assert_ptr_equal(ep, j[2]->ep);
	t = wd_ep_take(ep);
	assert_ptr_equal(t, j[2]);
	wd_ep_job_start(wd, ep, t);
	assert_null(wd_ep_ready_pop(wd));

	/* Everything ends and is recorded: the endpoint goes. */
	wd_ep_job_done(wd, j[1]);
	ep = wd_ep_ready_pop(wd);
	t = wd_ep_take(ep);
	assert_ptr_equal(t, j[3]);
	wd_ep_job_start(wd, ep, t);
	wd_ep_job_done(wd, j[2]);
	wd_ep_job_done(wd, j[3]);
	assert_null(wd_ep_ready_pop(wd));
	assert_int_equal(ep->unrec, 4);
	for (i = 0; i < 4; i++)
		recorded(wd, ep);
	assert_int_equal(nendpoints(wd), 0);
	done(wd);
}

/* Answers waiting for their record hold an endpoint back, and ask the
 * spool thread for them at once. */
static void
test_unrecorded(void **state)
{
	struct wd	*wd = wd_new(1);
	struct endpoint	*ep;
	struct job	*j, *k;
	int		 i, n = UNREC_FACTOR;

	(void)state;
	for (i = 0; i < n; i++) {
		j = queued(wd, "t1", "https://a.example/h", "w1");
		ep = wd_ep_ready_pop(wd);
		assert_non_null(ep);
		assert_ptr_equal(wd_ep_take(ep), j);
		wd_ep_job_start(wd, ep, j);
		wd_ep_job_done(wd, j);
	}
	assert_int_equal(ep->unrec, n);
	assert_int_equal(wd->out_now, 0);
	k = queued(wd, "t1", "https://a.example/h", "w1");
	assert_null(wd_ep_ready_pop(wd));
	assert_int_equal(wd->out_now, 1);
	/* Another team's endpoint at the same host is not held. */
	j = queued(wd, "t2", "https://a.example/h", "w2");
	assert_ptr_not_equal(j->ep, k->ep);
	assert_ptr_equal(wd_ep_ready_pop(wd), j->ep);
	assert_ptr_equal(wd_ep_take(j->ep), j);
	/* One recorded: it may go on. */
	recorded(wd, ep);
	assert_ptr_equal(wd_ep_ready_pop(wd), ep);
	assert_ptr_equal(wd_ep_take(ep), k);
	done(wd);
}

/* Two endpoints take turns in the ready list. */
static void
test_turns(void **state)
{
	struct wd	*wd = wd_new(1);
	struct job	*a1, *a2, *b1;
	struct endpoint	*ep;

	(void)state;
	a1 = queued(wd, "t1", "https://a.example/", "w1");
	a2 = queued(wd, "t1", "https://a.example/", "w1");
	b1 = queued(wd, "t1", "https://b.example/", "w2");
	assert_int_equal(nendpoints(wd), 2);
	ep = wd_ep_ready_pop(wd);
	assert_ptr_equal(ep, a1->ep);
	assert_ptr_equal(wd_ep_take(ep), a1);
	wd_ep_job_start(wd, ep, a1);
	ep = wd_ep_ready_pop(wd);
	assert_ptr_equal(ep, b1->ep);
	assert_ptr_equal(wd_ep_take(ep), b1);
	wd_ep_job_start(wd, ep, b1);
	assert_null(wd_ep_ready_pop(wd));
	assert_ptr_equal(a2->ep, a1->ep);
	done(wd);
}

/* A webhook with nothing in flight goes ahead of another's backlog. */
static void
test_take_other_webhook(void **state)
{
	struct wd	*wd = wd_new(2);
	struct job	*j[5];
	struct endpoint	*ep;

	(void)state;
	j[0] = queued(wd, "t1", "https://a.example/slow", "w1");
	j[1] = queued(wd, "t1", "https://a.example/slow", "w1");
	j[2] = queued(wd, "t1", "https://a.example/slow", "w1");
	j[3] = queued(wd, "t1", "https://a.example/fast", "w2");
	j[4] = queued(wd, "t1", "https://a.example/fast", "w2");
	ep = wd_ep_ready_pop(wd);
	assert_true(ep->mixed);
	assert_ptr_equal(wd_ep_take(ep), j[0]);
	wd_ep_job_start(wd, ep, j[0]);
	/* w1 is on the wire here: w2's first goes next. */
	assert_ptr_equal(wd_ep_ready_pop(wd), ep);
	assert_ptr_equal(wd_ep_take(ep), j[3]);
	wd_ep_job_start(wd, ep, j[3]);
	assert_null(wd_ep_ready_pop(wd));
	assert_ptr_equal(ep->qh, j[1]);
	assert_ptr_equal(ep->qt, j[4]);
	/* Both in flight: the head of the queue, in order. */
	wd_ep_job_done(wd, j[3]);
	assert_ptr_equal(wd_ep_ready_pop(wd), ep);
	assert_ptr_equal(wd_ep_take(ep), j[4]);
	wd_ep_job_start(wd, ep, j[4]);
	wd_ep_job_done(wd, j[0]);
	assert_ptr_equal(wd_ep_ready_pop(wd), ep);
	assert_ptr_equal(wd_ep_take(ep), j[1]);
	assert_ptr_equal(ep->qh, j[2]);
	assert_ptr_equal(ep->qt, j[2]);
	assert_int_equal(ep->qlen, 1);
	done(wd);
}

/* Jobs queued SPILL_WAIT_MS go back to the spool thread; newer stay. */
static void
test_spill(void **state)
{
	struct wd	*wd = wd_new(1);
	struct job	*j[3], *o;
	int64_t		 now;
	int		 i, n = 0;

	(void)state;
	for (i = 0; i < 3; i++)
		j[i] = queued(wd, "t1", "https://a.example/", "w1");
	now = util_now_ms();
	j[0]->queued_ms = now - SPILL_WAIT_MS - 1;
	j[1]->queued_ms = now - SPILL_WAIT_MS;
	wd_ep_spill_old(wd, now);
	for (o = wd->out_h; o != NULL; o = o->hnext) {
		assert_int_equal(o->kind, JOB_SPILL);
		assert_ptr_equal(o, j[n]);
		n++;
	}
	assert_int_equal(n, 2);
	assert_true(wd->out_n == 2);
	assert_int_equal(wd->out_now, 1);
	assert_true(wd->njobs == 1);
	assert_ptr_equal(j[2]->ep->qh, j[2]);
	assert_int_equal(j[2]->ep->qlen, 1);
	done(wd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_unrecorded),
		cmocka_unit_test(test_turns),
		cmocka_unit_test(test_take_other_webhook),
		cmocka_unit_test(test_spill),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
