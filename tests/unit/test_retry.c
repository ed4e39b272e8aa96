/* Unit tests of retry (the delivery policy): the schedule and its jitter,
 * the state after an attempt (done, retrying, dead, failed) with the
 * bounds on Retry-After and max_attempts, and the states' names.  Pure:
 * no store, no network.  Cases are tables. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "retry.h"

static void
test_backoff(void **state)
{
	static const struct {
		int	 attempts;
		double	 jitter;
		int64_t	 want;
	} cases[] = {
		{ 1, 0.5, 5000 }, { 1, 0.0, 4000 }, { 2, 0.5, 300000 },
		{ 3, 0.5, 1800000 }, { 4, 0.5, 7200000 }, { 5, 0.5, 18000000 },
		{ 6, 0.5, 36000000 }, { 7, 0.5, 36000000 },
		{ 19, 0.5, 36000000 }, { 0, 0.5, 5000 },
		{ 2, 0.0, 240000 }, { 2, -3, 240000 },
	};
	size_t	 i;
	int64_t	 d;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(retry_backoff_ms(cases[i].attempts,
		    cases[i].jitter), cases[i].want);
	/* +20 % at the top, never beyond. */
	d = retry_backoff_ms(2, 0.9999999);
	assert_true(d > 359000 && d < 360000);
	d = retry_backoff_ms(2, 7);
	assert_true(d < 360000);
}

static void
test_jitter(void **state)
{
	double	 j;
	int	 i;

	(void)state;
	for (i = 0; i < 1000; i++) {
		j = retry_jitter();
		assert_true(j >= 0 && j < 1);
	}
}

static void
test_next(void **state)
{
	static const struct {
		enum deliver_class	 cls;
		int			 manual, attempt, max;
		int64_t			 retry_after;
		enum delivery_state	 want;
		int64_t			 lo, hi;	/* next - now, when
							   retrying */
	} cases[] = {
		{ DELIVER_DONE, 0, 1, 5, -1, DELIVERY_DONE, 0, 0 },
		{ DELIVER_DONE, 1, 9, 5, -1, DELIVERY_DONE, 0, 0 },
		{ DELIVER_TEMPORARY, 1, 1, 5, -1, DELIVERY_FAILED, 0, 0 },
		{ DELIVER_PERMANENT, 1, 1, 5, -1, DELIVERY_FAILED, 0, 0 },
		{ DELIVER_PERMANENT, 0, 1, 5, -1, DELIVERY_DEAD, 0, 0 },
		{ DELIVER_TEMPORARY, 0, 5, 5, -1, DELIVERY_DEAD, 0, 0 },
		{ DELIVER_TEMPORARY, 0, 1, 0, -1, DELIVERY_DEAD, 0, 0 },
		{ DELIVER_TEMPORARY, 0, 1, 5, -1, DELIVERY_RETRYING,
		    4000, 6000 },
		{ DELIVER_TEMPORARY, 0, 4, 5, -1, DELIVERY_RETRYING,
		    5760000, 8640000 },
		/* Retry-After: honoured when longer, never shorter, at most
		 * a day. */
		{ DELIVER_TEMPORARY, 0, 1, 5, 60000, DELIVERY_RETRYING,
		    60000, 60000 },
		{ DELIVER_TEMPORARY, 0, 2, 5, 1000, DELIVERY_RETRYING,
		    240000, 360000 },
		{ DELIVER_TEMPORARY, 0, 1, 5, 90LL * 86400 * 1000,
		    DELIVERY_RETRYING, RETRY_AFTER_MAX_MS, RETRY_AFTER_MAX_MS },
	};
	const int64_t	 now = 1700000000000LL;
	int64_t		 next;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		next = -1;
		assert_int_equal(retry_next(cases[i].cls, cases[i].manual,
		    cases[i].attempt, cases[i].max, cases[i].retry_after, now,
		    1, &next), cases[i].want);
		if (cases[i].want != DELIVERY_RETRYING) {
			assert_true(next == 0);
			continue;
		}
		assert_true(next - now >= cases[i].lo);
		assert_true(next - now <= cases[i].hi);
	}
	/* The tests' time scale shortens every delay alike. */
	assert_int_equal(retry_next(DELIVER_TEMPORARY, 0, 1, 5, 60000, now,
	    0.001, &next), DELIVERY_RETRYING);
	assert_true(next == now + 60);
}

static void
test_states(void **state)
{
	static const struct {
		enum delivery_state	 s;
		const char		*name;
		int			 retryable;
	} cases[] = {
		{ DELIVERY_DONE, "done", 0 },
		{ DELIVERY_RETRYING, "retrying", 1 },
		{ DELIVERY_DEAD, "dead", 1 },
		{ DELIVERY_FAILED, "failed", 0 },
		{ DELIVERY_TEST, "test", 0 },
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_string_equal(delivery_state_name(cases[i].s),
		    cases[i].name);
		assert_int_equal(delivery_state_parse(cases[i].name),
		    (int)cases[i].s);
		assert_int_equal(delivery_state_retryable(cases[i].name),
		    cases[i].retryable);
	}
	assert_int_equal(delivery_state_parse("Dead"), -1);
	assert_int_equal(delivery_state_parse(""), -1);
	assert_int_equal(delivery_state_retryable("deadx"), 0);
	assert_string_equal(delivery_state_name((enum delivery_state)99), "?");
	assert_true(RETRY_FAIL_WINDOW_MS == 5LL * 86400 * 1000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_jitter),
		cmocka_unit_test(test_next),
		cmocka_unit_test(test_states),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
