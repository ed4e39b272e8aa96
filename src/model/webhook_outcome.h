/*
 * webhook_outcome: the webhook model's rule for what a delivery's outcome
 * does to its webhook: the last error {date, message}, the run of failures
 * (fail_since), and deactivation (a 410 Gone at once, or failures in a row
 * for retry.h's RETRY_FAIL_WINDOW_MS).  One read-modify-write of the
 * stored record in one transaction; the daemon and the test delivery call
 * it, neither touches the record itself.
 */
#ifndef WEBHOOK_OUTCOME_H
#define WEBHOOK_OUTCOME_H

#include <stdint.h>

#include "store.h"

struct webhook_outcome {
	int		 failed;	/* else delivered */
	int		 gone;		/* 410: deactivate now */
	const char	*error;		/* why it failed ("" or NULL: "delivery
					   failed") */
	int		 test;		/* a test delivery: the error only,
					   never the run or deactivation */
	int64_t		 now_ms;
	int64_t		 fail_window_ms; /* RETRY_FAIL_WINDOW_MS, scaled */
};

/*
 * Applies o to the stored webhook team/uuid: a failure sets its error
 * and, unless test, the start of its run of failures; a 410, or failures
 * for fail_window_ms in a row, deactivate it (and say so in the error).
 * A success ends the run of failures (the last error stays: it is the
 * *last* error).  *deactivated (may be NULL) is set to 1 when this call
 * deactivated the webhook.  Returns a store result (STORE_OK also when
 * nothing needed writing).
 */
int	 webhook_record_outcome(struct store *, const char *team,
	    const char *uuid, const struct webhook_outcome *o,
	    int *deactivated);

#endif /* WEBHOOK_OUTCOME_H */
