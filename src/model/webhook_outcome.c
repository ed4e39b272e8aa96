/*
 * webhook_outcome: a delivery's outcome applied to its webhook.  See
 * webhook_outcome.h.
 */
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "retry.h"
#include "util.h"
#include "webhook.h"
#include "webhook_outcome.h"

struct outcome_apply_arg {
	const struct webhook_outcome	*o;
	int				 deactivated;	/* output */
	struct metrics_counts		 counts;	/* output: the 5-day
							   rule's */
};

#define OUTCOME_NOTHING	1	/* nothing to write */
#define OUTCOME_BAD	2	/* the record cannot be read */

static int
outcome_apply(const char *old, char **url, char **json, void *arg)
{
	struct outcome_apply_arg	*a = arg;
	const struct webhook_outcome	*o = a->o;
	struct webhook			 w;
	const char			*error;
	char				 ts[UTIL_ISO_LEN], *msg;

	a->deactivated = 0;
	a->counts.v[METRICS_DISABLED] = 0;
	if (webhook_from_record(old, &w) == -1)
		return OUTCOME_BAD;
	error = o->error != NULL ? o->error : "";
	if (!o->failed) {
		if (w.fail_since == 0) {
			webhook_free(&w);
			return OUTCOME_NOTHING;
		}
		w.fail_since = 0;
	} else {
		msg = xstrdup(error[0] ? error : "delivery failed");
		if (!o->test) {
			if (w.fail_since == 0)
				w.fail_since = o->now_ms;
			if (w.active && o->gone) {
				w.active = 0;
				a->deactivated = 1;
				free(msg);
				msg = xasprintf("%s; the webhook was "
				    "deactivated (410 Gone)", error);
			} else if (w.active &&
			    o->now_ms - w.fail_since >= o->fail_window_ms) {
				w.active = 0;
				a->deactivated = 1;
				a->counts.v[METRICS_DISABLED] = 1;
				free(msg);
				msg = xasprintf("%s; the webhook was "
				    "deactivated after failing every attempt "
				    "for %d days", error,
				    RETRY_FAIL_WINDOW_DAYS);
			}
		}
		util_iso8601(o->now_ms, ts);
		free(w.error_date);
		free(w.error_msg);
		w.error_date = xstrdup(ts);
		w.error_msg = msg;
	}
	*url = xstrdup(w.url);
	*json = webhook_to_record(&w);
	webhook_free(&w);
	return 0;
}

int
webhook_record_outcome(struct store *st, const char *team, const char *uuid,
    const struct webhook_outcome *o, int *deactivated)
{
	struct outcome_apply_arg	 a;
	struct metrics_also		 m;
	int				 rc, fnret = 0;

	memset(&a, 0, sizeof(a));
	a.o = o;
	/* A deactivation by the 5-day rule is counted in its transaction. */
	metrics_also(st, &m, &a.counts);
	rc = store_webhook_update(st, team, uuid, 0, outcome_apply, &a, &fnret);
	metrics_also_end(st);
	if (rc == STORE_ABORTED)
		rc = fnret == OUTCOME_NOTHING ? STORE_OK : STORE_ERR;
	if (deactivated != NULL)
		*deactivated = rc == STORE_OK && a.deactivated;
	return rc;
}
