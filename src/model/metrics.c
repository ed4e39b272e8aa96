/*
 * metrics: the counters record, the health answer and the exposition text
 * (see metrics.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "metrics.h"
#include "util.h"

#define COUNTERS_KEY	"metrics"	/* the record in STORE_COUNTERS */

const int64_t	metrics_bucket_ms[METRICS_NBUCKETS] = {
	5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000
};

/* The counters record's member of each counter (the buckets: "le_" ms). */
static const char *const counter_keys[METRICS_LATENCY_BUCKET] = {
	[METRICS_EVENTS] =		"events_accepted",
	[METRICS_DELIVERED] =		"delivered",
	[METRICS_FAILED] =		"failed",
	[METRICS_RETRYING] =		"retrying",
	[METRICS_DEAD] =		"dead",
	[METRICS_DISABLED] =		"webhooks_disabled",
	[METRICS_LATENCY_SUM_MS] =	"latency_sum_ms",
	[METRICS_LATENCY_COUNT] =	"latency_count",
};

static void
counter_key(int i, char *out, size_t len)
{
	if (i < METRICS_LATENCY_BUCKET)
		snprintf(out, len, "%s", counter_keys[i]);
	else
		snprintf(out, len, "le_%lld",
		    (long long)metrics_bucket_ms[i - METRICS_LATENCY_BUCKET]);
}

void
metrics_count_attempt(struct metrics_counts *c, const char *state,
    int64_t latency_ms)
{
	int	 i;

	if (strcmp(state, "done") == 0)
		c->v[METRICS_DELIVERED]++;
	else if (strcmp(state, "failed") == 0)
		c->v[METRICS_FAILED]++;
	else if (strcmp(state, "retrying") == 0)
		c->v[METRICS_RETRYING]++;
	else if (strcmp(state, "dead") == 0)
		c->v[METRICS_DEAD]++;
	else
		return;
	if (latency_ms < 0)
		latency_ms = 0;
	c->v[METRICS_LATENCY_SUM_MS] += latency_ms;
	c->v[METRICS_LATENCY_COUNT]++;
	for (i = 0; i < METRICS_NBUCKETS; i++)
		if (latency_ms <= metrics_bucket_ms[i]) {
			c->v[METRICS_LATENCY_BUCKET + i]++;
			break;
		}
}

static int
counters_any(const struct metrics_counts *c)
{
	int	 i;

	for (i = 0; i < METRICS_N; i++)
		if (c->v[i] != 0)
			return 1;
	return 0;
}

/* The record's counts into c (a record that cannot be read counts as
 * empty: the counters start again rather than stop). */
static void
counters_parse(const char *rec, struct metrics_counts *c)
{
	json_object	*j, *v;
	char		 key[32];
	int		 i;

	memset(c, 0, sizeof(*c));
	if (rec == NULL || (j = json_tokener_parse(rec)) == NULL)
		return;
	if (json_object_is_type(j, json_type_object))
		for (i = 0; i < METRICS_N; i++) {
			counter_key(i, key, sizeof(key));
			if (json_object_object_get_ex(j, key, &v))
				c->v[i] = json_object_get_int64(v);
		}
	json_object_put(j);
}

/* A store_rmw_fn: adds arg's counts to the record; no write when there is
 * nothing to add. */
static int
counters_add(const char *old, char **json, void *arg)
{
	const struct metrics_counts	*add = arg;
	struct metrics_counts		 c;
	struct buf			 b;
	char				 key[32];
	int				 i;

	*json = NULL;
	if (!counters_any(add))
		return 0;
	counters_parse(old, &c);
	buf_init(&b);
	buf_puts(&b, "{\"v\":1");
	for (i = 0; i < METRICS_N; i++) {
		counter_key(i, key, sizeof(key));
		buf_printf(&b, ",\"%s\":%lld", key,
		    (long long)(c.v[i] + add->v[i]));
	}
	buf_putc(&b, '}');
	*json = buf_take(&b);
	return 0;
}

/* store_rmw's needed: the record is not even read (no lock on it) when
 * there is nothing to add, as for most of a webhook's outcomes. */
static int
counters_needed(void *arg)
{
	const struct metrics_also	*m = arg;

	return counters_any(m->c);
}

static int
counters_also(const char *old, char **json, void *arg)
{
	const struct metrics_also	*m = arg;

	return counters_add(old, json, (void *)(uintptr_t)m->c);
}

void
metrics_also(struct store *st, struct metrics_also *m,
    const struct metrics_counts *c)
{
	m->rmw.table = STORE_COUNTERS;
	m->rmw.key = COUNTERS_KEY;
	m->rmw.needed = counters_needed;
	m->rmw.fn = counters_also;
	m->rmw.arg = m;
	m->c = c;
	store_also(st, &m->rmw);
}

void
metrics_also_end(struct store *st)
{
	store_also(st, NULL);
}

int
metrics_add(struct store *st, const struct metrics_counts *c)
{
	if (!counters_any(c))
		return STORE_OK;
	return store_update_nosync(st, STORE_COUNTERS, COUNTERS_KEY,
	    counters_add, (void *)(uintptr_t)c, NULL);
}

int
metrics_read(struct store *st, struct metrics_counts *c)
{
	char	*rec = NULL;
	int	 rc;

	rc = store_get(st, STORE_COUNTERS, COUNTERS_KEY, &rec);
	counters_parse(rec, c);
	free(rec);
	return rc == STORE_NOTFOUND ? STORE_OK : rc;
}

/* ---- the exposition text ------------------------------------------------ */

static void
family(struct buf *out, const char *name, const char *type, const char *help)
{
	buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
	    type);
}

/* ms as seconds, exactly and in the shortest form ("0.005", "0.05",
 * "12"), as Prometheus's clients write a bucket's le. */
static void
seconds(struct buf *out, int64_t ms)
{
	char		 frac[4];
	uint64_t	 u;
	int		 n = 3;

	if (ms < 0)
		buf_putc(out, '-');
	u = ms < 0 ? -(uint64_t)ms : (uint64_t)ms;
	buf_printf(out, "%llu", (unsigned long long)(u / 1000));
	snprintf(frac, sizeof(frac), "%03u", (unsigned)(u % 1000));
	while (n > 0 && frac[n - 1] == '0')
		frac[--n] = '\0';
	if (n > 0)
		buf_printf(out, ".%s", frac);
}

void
metrics_text(struct buf *out, const struct metrics_snapshot *s)
{
	static const struct {
		int		 i;
		const char	*label;
	} outcomes[] = {
		{ METRICS_DELIVERED, "delivered" },
		{ METRICS_FAILED, "failed" },
		{ METRICS_RETRYING, "retrying" },
		{ METRICS_DEAD, "dead" },
	};
	static const struct {
		enum spool_dir	 d;
		const char	*label;
	} dirs[] = {
		{ SPOOL_NEW, "new" },
		{ SPOOL_CUR, "cur" },
		{ SPOOL_DEFERRED, "deferred" },
		{ SPOOL_DEAD, "dead" },
		{ SPOOL_QUARANTINE, "quarantine" },
	};
	const int64_t	*v = s->c.v;
	int64_t		 cum = 0;
	size_t		 i;
	int		 any = 0;

	family(out, "webhooks_events_accepted_total", "counter",
	    "Events accepted for delivery (POST /api/2.0/events answered "
	    "202).");
	buf_printf(out, "webhooks_events_accepted_total %lld\n",
	    (long long)v[METRICS_EVENTS]);

	family(out, "webhooks_deliveries_total", "counter",
	    "Delivery attempts by the state they left their delivery in.");
	for (i = 0; i < sizeof(outcomes) / sizeof(outcomes[0]); i++)
		buf_printf(out, "webhooks_deliveries_total{outcome=\"%s\"} "
		    "%lld\n", outcomes[i].label,
		    (long long)v[outcomes[i].i]);

	family(out, "webhooks_attempt_duration_seconds", "histogram",
	    "How long delivery attempts took, request to answer.");
	for (i = 0; i < METRICS_NBUCKETS; i++) {
		cum += v[METRICS_LATENCY_BUCKET + i];
		buf_puts(out, "webhooks_attempt_duration_seconds_bucket{le=\"");
		seconds(out, metrics_bucket_ms[i]);
		buf_printf(out, "\"} %lld\n", (long long)cum);
	}
	buf_printf(out, "webhooks_attempt_duration_seconds_bucket{le=\"+Inf\"}"
	    " %lld\n", (long long)v[METRICS_LATENCY_COUNT]);
	buf_puts(out, "webhooks_attempt_duration_seconds_sum ");
	seconds(out, v[METRICS_LATENCY_SUM_MS]);
	buf_printf(out, "\nwebhooks_attempt_duration_seconds_count %lld\n",
	    (long long)v[METRICS_LATENCY_COUNT]);

	family(out, "webhooks_disabled_total", "counter",
	    "Webhooks deactivated after failing every attempt for 5 days.");
	buf_printf(out, "webhooks_disabled_total %lld\n",
	    (long long)v[METRICS_DISABLED]);

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		any |= s->spool[dirs[i].d] >= 0;
	if (any) {
		family(out, "webhooks_spool_files", "gauge",
		    "Files in each directory of the spool.");
		for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
			if (s->spool[dirs[i].d] >= 0)
				buf_printf(out, "webhooks_spool_files"
				    "{state=\"%s\"} %lld\n", dirs[i].label,
				    (long long)s->spool[dirs[i].d]);
		family(out, "webhooks_oldest_pending_event_age_seconds",
		    "gauge", "Age of the oldest event not yet delivered "
		    "(new/ or cur/); 0 when there is none.");
		buf_puts(out, "webhooks_oldest_pending_event_age_seconds ");
		seconds(out, s->oldest_ms > 0 ? s->oldest_ms : 0);
		buf_putc(out, '\n');
	}

	if (s->store_bytes >= 0) {
		family(out, "webhooks_store_bytes", "gauge",
		    "Bytes of the store's database and log files.");
		buf_printf(out, "webhooks_store_bytes %lld\n",
		    (long long)s->store_bytes);
	}
}

/* The time in the name of an event file ("<ms>.<id>"), or -1. */
static int64_t
name_ms(const char *name)
{
	char		*end;
	long long	 ms;

	if (name[0] < '0' || name[0] > '9')
		return -1;
	ms = strtoll(name, &end, 10);
	return *end == '.' ? (int64_t)ms : -1;
}

/* The spool's counts into s; the oldest event of new/ and cur/ (their
 * names begin with its time, and are listed sorted). */
static void
spool_counts(struct spool *sp, int64_t now_ms, struct metrics_snapshot *s)
{
	struct spool_ent	*ents;
	size_t			 n, k;
	int64_t			 ms;
	int			 d;

	s->oldest_ms = -1;
	for (d = 0; d < SPOOL_NDIRS; d++) {
		s->spool[d] = -1;
		if (sp == NULL || d == SPOOL_TMP ||
		    spool_list_names(sp, (enum spool_dir)d, &ents, &n) == -1)
			continue;
		s->spool[d] = (int64_t)n;
		if (d == SPOOL_NEW || d == SPOOL_CUR)
			for (k = 0; k < n; k++)
				if ((ms = name_ms(ents[k].name)) >= 0) {
					if (now_ms - ms > s->oldest_ms)
						s->oldest_ms = now_ms - ms;
					break;
				}
		spool_list_free(ents, n);
	}
}

int
metrics_expose(struct store *st, struct spool *sp, int64_t now_ms,
    struct buf *out)
{
	struct metrics_snapshot	 s;
	uint64_t		 bytes;
	int			 rc;

	memset(&s, 0, sizeof(s));
	if ((rc = metrics_read(st, &s.c)) != STORE_OK)
		return rc;
	spool_counts(sp, now_ms, &s);
	s.store_bytes = store_size(st, &bytes) == STORE_OK ?
	    (int64_t)bytes : -1;
	metrics_text(out, &s);
	return STORE_OK;
}

int
metrics_health(struct store *st, struct spool *sp, struct buf *out)
{
	struct metrics_counts	 c;
	int			 store_ok, spool_ok;

	store_ok = st != NULL && !store_is_fatal(st) &&
	    metrics_read(st, &c) == STORE_OK;
	spool_ok = sp != NULL && spool_writable(sp) == 0;
	buf_printf(out, "{\"status\":\"%s\",\"store\":\"%s\","
	    "\"spool\":\"%s\"}", store_ok && spool_ok ? "ok" : "unavailable",
	    store_ok ? "ok" : "unavailable",
	    spool_ok ? "ok" : "not writable");
	return store_ok && spool_ok ? 0 : -1;
}
