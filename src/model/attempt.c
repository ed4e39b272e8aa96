/*
 * attempt: an attempt's record in the attempt log and its JSON (see
 * attempt.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attempt.h"
#include "metrics.h"
#include "util.h"

static void
atrec_put64(unsigned char *p, uint64_t v)
{
	int	 i;

	for (i = 7; i >= 0; i--) {
		p[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
}

static uint64_t
atrec_get64(const unsigned char *p)
{
	uint64_t v = 0;
	int	 i;

	for (i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

static void
atrec_add64(struct buf *b, uint64_t v)
{
	unsigned char	 p[8];

	atrec_put64(p, v);
	buf_add(b, p, sizeof(p));
}

/*
 * An attempt's record in the attempt log (at_log.db).  Its webhook, time
 * and id are in the key; the rest is packed, a third the size of the JSON
 * it is listed as (Berkeley DB logs a page split whole, so the log grows
 * by about three times a record's size):
 *   0x02, flags (1 success, 2 manual), be16 attempt, be16 status (0:
 *   none), be64 latency_ms, be64 next_ms (0: none), then delivery_id,
 *   event_id, event_type, state, error, body, each be16 length + bytes.
 * A record starting with '{' is the JSON itself (stores made before, and
 * store_attempt_add), listed as it is.  A record of another version (a
 * first byte that is neither) is malformed here.
 */
#define ATREC_V2	0x02
#define ATREC_HEAD	22
#define ATREC_STRS	6

static void
atrec_add16(struct buf *b, size_t v)
{
	unsigned char	 p[2];

	if (v > 0xffff)
		v = 0xffff;
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
	buf_add(b, p, 2);
}

static void
atrec_str(struct buf *b, const char *s)
{
	size_t	 n = strlen(s);

	if (n > 0xffff)
		n = 0xffff;
	atrec_add16(b, n);
	buf_add(b, s, n);
}

char *
attempt_pack(const struct attempt_info *i, size_t *len)
{
	struct buf	 b;
	unsigned char	 h[2];

	buf_init(&b);
	h[0] = ATREC_V2;
	h[1] = (unsigned char)((i->success ? 1 : 0) | (i->manual ? 2 : 0));
	buf_add(&b, h, 2);
	atrec_add16(&b, i->attempt < 0 ? 0 : (size_t)i->attempt);
	atrec_add16(&b, i->status < 0 ? 0 : (size_t)i->status);
	atrec_add64(&b, (uint64_t)i->latency_ms);
	atrec_add64(&b, (uint64_t)i->next_ms);
	atrec_str(&b, i->delivery_id);
	atrec_str(&b, i->event_id);
	atrec_str(&b, i->event_type);
	atrec_str(&b, i->state);
	atrec_str(&b, i->error);
	atrec_str(&b, i->body);
	*len = b.len;
	return buf_take(&b);
}

static void
atrec_iso(struct buf *b, int64_t ms)
{
	char	 ts[UTIL_ISO_LEN];

	if (ms <= 0) {
		buf_puts(b, "null");
		return;
	}
	util_iso8601(ms, ts);
	buf_json_str(b, ts);
}

int
attempt_json(struct buf *out, const struct store_attempt_view *a)
{
	static const char *const names[3] = { "delivery_id", "event_id",
	    "event_type" };
	const unsigned char	*p = a->rec, *end = p + a->len;
	const unsigned char	*str[ATREC_STRS];
	size_t			 slen[ATREC_STRS], i;
	int			 flags, attempt, status;

	if (a->len > 0 && p[0] == '{') {
		buf_add(out, a->rec, a->len);
		return 0;
	}
	if (a->len < ATREC_HEAD || p[0] != ATREC_V2)
		return -1;
	flags = p[1];
	attempt = p[2] << 8 | p[3];
	status = p[4] << 8 | p[5];
	p += ATREC_HEAD;
	for (i = 0; i < ATREC_STRS; i++) {
		if (end - p < 2)
			return -1;
		slen[i] = (size_t)(p[0] << 8 | p[1]);
		p += 2;
		if ((size_t)(end - p) < slen[i])
			return -1;
		str[i] = p;
		p += slen[i];
	}
	p = a->rec;
	buf_puts(out, "{\"v\":1,\"id\":");
	buf_json_strn(out, a->id, a->idlen);
	for (i = 0; i < 3; i++) {
		buf_puts(out, ",\"");
		buf_puts(out, names[i]);
		buf_puts(out, "\":");
		buf_json_strn(out, (const char *)str[i], slen[i]);
	}
	buf_puts(out, ",\"webhook_id\":");
	buf_json_strn(out, a->uuid, a->ulen);
	buf_puts(out, ",\"attempt\":");
	buf_putll(out, attempt);
	buf_puts(out, ",\"created_at\":");
	atrec_iso(out, a->at_ms);
	buf_puts(out, ",\"status_code\":");
	if (status > 0)
		buf_putll(out, status);
	else
		buf_puts(out, "null");
	buf_puts(out, ",\"latency_ms\":");
	buf_putll(out, (long long)atrec_get64(p + 6));
	buf_puts(out, (flags & 1) ? ",\"success\":true,\"error\":" :
	    ",\"success\":false,\"error\":");
	if (slen[4] > 0)
		buf_json_strn(out, (const char *)str[4], slen[4]);
	else
		buf_puts(out, "null");
	buf_puts(out, ",\"response_body\":");
	buf_json_strn(out, (const char *)str[5], slen[5]);
	buf_puts(out, ",\"state\":");
	buf_json_strn(out, (const char *)str[3], slen[3]);
	buf_puts(out, ",\"next_attempt_at\":");
	atrec_iso(out, (int64_t)atrec_get64(p + 14));
	buf_puts(out, (flags & 2) ? ",\"manual\":true}" :
	    ",\"manual\":false}");
	return 0;
}

int
attempt_list(struct store *st, const char *webhook_uuid, size_t offset,
    size_t limit, struct store_page *pg)
{
	return store_attempt_list(st, webhook_uuid, offset, limit,
	    attempt_json, pg);
}

void
attempt_page_free(struct store_page *pg)
{
	store_page_free(pg);
}

/* Counts the attempt of record p (attempt_pack's) in c: its state and
 * latency; a record of another format is not counted. */
static void
atrec_count(struct metrics_counts *c, const unsigned char *p, size_t len)
{
	const unsigned char	*q = p + ATREC_HEAD, *end = p + len;
	char			 state[16];
	size_t			 i, n;

	if (len < ATREC_HEAD || p[0] != ATREC_V2)
		return;
	for (i = 0; i < ATREC_STRS; i++) {
		if (end - q < 2)
			return;
		n = (size_t)(q[0] << 8 | q[1]);
		q += 2;
		if ((size_t)(end - q) < n)
			return;
		if (i == 3) {		/* state */
			if (n >= sizeof(state))
				return;
			memcpy(state, q, n);
			state[n] = '\0';
			metrics_count_attempt(c, state,
			    (int64_t)atrec_get64(p + 6));
			return;
		}
		q += n;
	}
}

/* The attempts by outcome and their latencies are counted in the same
 * transaction (metrics.h). */
int
attempt_add_many(struct store *st, const struct store_attempt *v, size_t n)
{
	struct metrics_counts	 c;
	struct metrics_also	 m;
	size_t			 i;
	int			 rc;

	memset(&c, 0, sizeof(c));
	for (i = 0; i < n; i++)
		atrec_count(&c, (const unsigned char *)v[i].rec, v[i].len);
	metrics_also(st, &m, &c);
	rc = store_attempt_add_many(st, v, n);
	metrics_also_end(st);
	return rc;
}

int
attempt_prune(struct store *st, int64_t before_ms, size_t *removed)
{
	return store_attempt_prune(st, before_ms, removed);
}
