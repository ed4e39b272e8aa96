/*
 * retry: the delivery policy, in one place.  What an attempt's outcome
 * means for its delivery (the states of the attempt log and the API), when
 * a failed delivery is tried again (the schedule, its jitter, the bounds
 * on an honoured Retry-After, max_attempts), and how long a webhook may
 * fail before it is deactivated.  Pure: no store, no libcurl; webhookd,
 * the test delivery, the attempt log and the admin pages use it.
 *
 * The state machine of one delivery (one event to one webhook):
 *
 *   attempt -> DONE       2xx
 *           -> RETRYING   failed, attempts < max_attempts, not permanent:
 *                         the next attempt after retry_backoff_ms
 *           -> DEAD       failed for good (a permanent failure, or the
 *                         last attempt): kept in dead/ for a manual retry
 *           -> FAILED     a manual retry that failed (never rescheduled)
 *           -> TEST       the test delivery of the API and the admin page
 *
 * To change the schedule: retry.c's table and this header's comment.
 */
#ifndef RETRY_H
#define RETRY_H

#include <stdint.h>

/* The outcome of one attempt (qmail's 0 / 100 / 111). */
enum deliver_class {
	DELIVER_DONE = 0,	/* 2xx: delivered */
	DELIVER_TEMPORARY,	/* failed; try again on the schedule */
	DELIVER_PERMANENT	/* failed; retrying cannot help (410 Gone, an
				   address refused by the SSRF guard, a URL
				   that is not http or https) */
};

/* A delivery's state after an attempt; the attempt log keeps its name. */
enum delivery_state {
	DELIVERY_DONE = 0,
	DELIVERY_RETRYING,
	DELIVERY_DEAD,
	DELIVERY_FAILED,
	DELIVERY_TEST
};

/* "done", "retrying", "dead", "failed", "test". */
const char	*delivery_state_name(enum delivery_state);
/* The state of a name; -1 if none. */
int		 delivery_state_parse(const char *name);
/* 1 if a delivery left in this state can be sent again by hand (its file
 * is in dead/ or deferred/): "dead" and "retrying". */
int		 delivery_state_retryable(const char *name);

/*
 * The delay after `attempts` attempts have failed (attempts >= 1): 5 s,
 * 5 min, 30 min, 2 h, 5 h, 10 h, then 10 h for every later one, times
 * (0.8 + 0.4 * jitter) for jitter in [0, 1) (+-20 %).
 */
int64_t		 retry_backoff_ms(int attempts, double jitter);
/* A random jitter in [0, 1) for retry_backoff_ms. */
double		 retry_jitter(void);

/* An honoured Retry-After (of a 429 or 503) never shortens the schedule,
 * and waits at most this long. */
#define RETRY_AFTER_MAX_MS	(24LL * 3600 * 1000)

/* A webhook's max_attempts as the schedule counts it: at least 1. */
int		 retry_max_attempts(int max_attempts);

/*
 * The state of a delivery after its attempt number `attempt` ended in
 * cls: manual is 1 for a manual retry (POST /deliveries/{id}/retry);
 * retry_after_ms is the answer's Retry-After (-1 without one).  For
 * DELIVERY_RETRYING, *next_ms is when the next attempt is due: now_ms plus
 * the delay (retry_backoff_ms with a retry_jitter drawn only then) scaled
 * by time_scale (the tests' time_scale setting, 1 in production); else 0.
 */
enum delivery_state retry_next(enum deliver_class cls, int manual,
		    int attempt, int max_attempts, int64_t retry_after_ms,
		    int64_t now_ms, double time_scale, int64_t *next_ms);

/* Failures in a row for this long deactivate a webhook. */
#define RETRY_FAIL_WINDOW_DAYS	5
#define RETRY_FAIL_WINDOW_MS	(RETRY_FAIL_WINDOW_DAYS * 24LL * 3600 * 1000)

#endif /* RETRY_H */
