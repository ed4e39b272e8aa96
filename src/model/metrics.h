/*
 * metrics: the service's health and its metrics in Prometheus's text
 * exposition format (GET /health, GET /metrics).  This module owns the
 * metric names, the counters record and the exposition text; the edge only
 * calls it.
 *
 * The counters (events accepted, attempts by outcome, the attempt
 * latency histogram, webhooks disabled by the 5-day rule) are one record of
 * the store's counters table, shared by every process and kept across
 * restarts; each is added to in the transaction of what it counts
 * (store_also), or for a published event in a transaction of its own that
 * does not wait for the log flush.  A scrape reads that record, counts the
 * spool's directory entries and stats the store's files: it never scans
 * the attempt log.
 */
#ifndef METRICS_H
#define METRICS_H

#include <stdint.h>

#include "spool.h"
#include "store.h"

struct buf;

/* The upper bounds of the attempt latency histogram, in ms (+Inf
 * besides). */
#define METRICS_NBUCKETS	11
extern const int64_t	metrics_bucket_ms[METRICS_NBUCKETS];

enum metrics_counter {
	METRICS_EVENTS = 0,		/* events accepted */
	METRICS_DELIVERED,		/* attempts by the state they left */
	METRICS_FAILED,			/* their delivery in (retry.h) */
	METRICS_RETRYING,
	METRICS_DEAD,
	METRICS_DISABLED,		/* webhooks disabled by the 5-day rule */
	METRICS_LATENCY_SUM_MS,		/* of every attempt counted above */
	METRICS_LATENCY_COUNT,
	METRICS_LATENCY_BUCKET,		/* + i: latency <= metrics_bucket_ms[i]
					   (and above the bucket before) */
	METRICS_N = METRICS_LATENCY_BUCKET + METRICS_NBUCKETS
};

/* Counts to add, or counts read. */
struct metrics_counts {
	int64_t		 v[METRICS_N];
};

/* Adds one attempt that left its delivery in state (delivery_state_name's
 * "done", "failed", "retrying" or "dead"; anything else is not counted)
 * after latency_ms. */
void	 metrics_count_attempt(struct metrics_counts *, const char *state,
	    int64_t latency_ms);

/*
 * Counts c in the next write call of st, in its transaction (store_also):
 * what c holds when that call commits is added, nothing when all zero.
 * also is the caller's, and must live until that call returns; call
 * metrics_also_end after it.
 */
struct metrics_also {
	struct store_rmw		 rmw;
	const struct metrics_counts	*c;
};
void	 metrics_also(struct store *, struct metrics_also *also,
	    const struct metrics_counts *c);
void	 metrics_also_end(struct store *);
/* Adds c in a transaction of its own (no wait for the log flush); a store
 * result. */
int	 metrics_add(struct store *, const struct metrics_counts *c);
/* The counters as stored (all 0 before the first); a store result. */
int	 metrics_read(struct store *, struct metrics_counts *c);

/* What a scrape shows. */
struct metrics_snapshot {
	struct metrics_counts	 c;
	int64_t			 spool[SPOOL_NDIRS]; /* files; -1: unknown */
	int64_t			 oldest_ms;	/* age of the oldest event in
						   new/ or cur/; -1: none */
	int64_t			 store_bytes;	/* -1: unknown */
};

/* Appends the exposition text of s to out. */
void	 metrics_text(struct buf *out, const struct metrics_snapshot *s);
/* Appends the exposition text of st and sp (sp may be NULL: spool metrics
 * left out) at now_ms to out; a store result (STORE_OK: out holds it). */
int	 metrics_expose(struct store *, struct spool *, int64_t now_ms,
	    struct buf *out);
/*
 * The health of st and sp (either may be NULL: unavailable): 0 when the
 * store answers a read and a file can be written in the spool, else -1;
 * out receives a small JSON object either way
 * ({"status":"ok"|"unavailable","store":"ok"|..., "spool":"ok"|...}).
 * Logs nothing: a load balancer calls it every few seconds.
 */
int	 metrics_health(struct store *, struct spool *, struct buf *out);

#endif /* METRICS_H */
