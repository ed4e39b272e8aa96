/*
 * retry: the delivery policy.  See retry.h.
 */
#include <stddef.h>
#include <string.h>

#include "retry.h"
#include "util.h"

static const char *const retry_state_names[] = {
	[DELIVERY_DONE] = "done",
	[DELIVERY_RETRYING] = "retrying",
	[DELIVERY_DEAD] = "dead",
	[DELIVERY_FAILED] = "failed",
	[DELIVERY_TEST] = "test",
};

#define RETRY_NSTATES	(sizeof(retry_state_names) / \
			 sizeof(retry_state_names[0]))

const char *
delivery_state_name(enum delivery_state s)
{
	return (size_t)s < RETRY_NSTATES ? retry_state_names[s] : "?";
}

int
delivery_state_parse(const char *name)
{
	size_t	 i;

	for (i = 0; i < RETRY_NSTATES; i++)
		if (strcmp(retry_state_names[i], name) == 0)
			return (int)i;
	return -1;
}

int
delivery_state_retryable(const char *name)
{
	int	 s = delivery_state_parse(name);

	return s == DELIVERY_DEAD || s == DELIVERY_RETRYING;
}

int64_t
retry_backoff_ms(int attempts, double jitter)
{
	static const int64_t sched[] = {
		5LL * 1000, 5LL * 60 * 1000, 30LL * 60 * 1000,
		2LL * 3600 * 1000, 5LL * 3600 * 1000, 10LL * 3600 * 1000,
	};
	const size_t	 n = sizeof(sched) / sizeof(sched[0]);
	int64_t		 d;

	if (attempts < 1)
		attempts = 1;
	d = (size_t)attempts <= n ? sched[attempts - 1] : sched[n - 1];
	if (jitter < 0)
		jitter = 0;
	if (jitter >= 1)
		jitter = 0.999999;
	return (int64_t)((double)d * (0.8 + 0.4 * jitter));
}

double
retry_jitter(void)
{
	uint32_t	 v;

	util_random(&v, sizeof(v));
	return (double)v / 4294967296.0;
}

int
retry_max_attempts(int max_attempts)
{
	return max_attempts > 0 ? max_attempts : 1;
}

enum delivery_state
retry_next(enum deliver_class cls, int manual, int attempt,
    int max_attempts, int64_t retry_after_ms, int64_t now_ms,
    double time_scale, int64_t *next_ms)
{
	int64_t	 delay;

	*next_ms = 0;
	if (cls == DELIVER_DONE)
		return DELIVERY_DONE;
	if (manual)
		return DELIVERY_FAILED;
	if (cls == DELIVER_PERMANENT ||
	    attempt >= retry_max_attempts(max_attempts))
		return DELIVERY_DEAD;
	delay = retry_backoff_ms(attempt, retry_jitter());
	/* Retry-After never shortens the schedule; bounded. */
	if (retry_after_ms > delay)
		delay = retry_after_ms > RETRY_AFTER_MAX_MS ?
		    RETRY_AFTER_MAX_MS : retry_after_ms;
	*next_ms = now_ms + (int64_t)((double)delay * time_scale);
	return DELIVERY_RETRYING;
}
