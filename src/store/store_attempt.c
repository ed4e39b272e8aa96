/*
 * store_attempt.c: the attempt log, at_log.db: webhook uuid "\0"
 * be64(at_ms) id -> record, DB_RECNUM (8 KiB pages): a webhook's attempts
 * in time order, so that one put logs an attempt, a page of a webhook's
 * log is positioned by record number, and pruning walks each webhook's
 * oldest attempts.  The record's bytes are the model's (attempt.c packs
 * them and renders them as JSON); the store keeps keys, bytes and ranges.
 * Its static functions are named at_*.
 */
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

#define PRUNE_BATCH	500		/* keys visited per transaction */

/* ---- the attempt log ----------------------------------------------- */

struct attop {
	int64_t		 at_ms;		/* prune: older than this */
	struct buf	 from;		/* prune: the key to start from */
	struct buf	 next;		/* prune: the key the next batch starts
					   from (from is kept for a retry) */
	size_t		 n;		/* prune: removed in this transaction */
	int		 done;		/* prune: nothing older is left */
};

/* uuid "\0" be64(at) id: the key in at_log.db */
static void
at_logkey(struct buf *b, const char *uuid, size_t ulen, uint64_t at,
    const void *id, size_t idlen)
{
	buf_reset(b);
	buf_add(b, uuid, ulen);
	buf_putc(b, '\0');
	buf_add64(b, at);
	buf_add(b, id, idlen);
}


struct attbatch {
	const struct store_attempt	*v;
	size_t				 n;
	size_t				 dup;	/* ids taken already */
};

/* One put an attempt. */
static int
at_add_body(struct store *s, DB_TXN *txn, void *arg)
{
	struct attbatch	*ab = arg;
	DB		*db;
	DBT		 key, data;
	struct buf	 b;
	size_t		 i;
	int		 res = STORE_OK;

	if ((res = store_db(s, DBI_AT_LOG, &db)) != STORE_OK)
		return res;
	buf_init(&b);
	ab->dup = 0;
	for (i = 0; i < ab->n && res == STORE_OK; i++) {
		at_logkey(&b, ab->v[i].uuid, strlen(ab->v[i].uuid),
		    at_enc(ab->v[i].at_ms), ab->v[i].id, strlen(ab->v[i].id));
		dbt_in(&key, b.p, b.len);
		dbt_in(&data, ab->v[i].rec, ab->v[i].len);
		res = store_dberr(s, db->put(db, txn, &key, &data,
		    DB_NOOVERWRITE), "store_attempt_add", "put at_log.db");
		/* A taken id is that attempt's problem, not the batch's. */
		if (res == STORE_EXISTS && ab->n > 1) {
			ab->dup++;
			res = STORE_OK;
		}
	}
	buf_free(&b);
	return res;
}

int
store_attempt_add(struct store *s, const char *webhook_uuid, const char *id,
    int64_t at_ms, const char *json)
{
	struct store_attempt	 a = { webhook_uuid, id, at_ms, json,
	    strlen(json) };

	return store_attempt_add_many(s, &a, 1);
}

int
store_attempt_add_many(struct store *s, const struct store_attempt *v,
    size_t n)
{
	struct attbatch	 ab = { v, n, 0 };
	int		 res;

	if (s->fatal)
		return STORE_FATAL;
	if (n == 0)
		return STORE_OK;
	res = store_run(s, "store_attempt_add", TX_WRITE_NOSYNC,
	    at_add_body, &ab);
	if (res == STORE_OK && ab.dup > 0)
		log_warn("store_attempt_add: %zu of %zu attempt ids were taken "
		    "already; those attempts were not logged", ab.dup, n);
	return res;
}

/*
 * A record of the log for a page: its key's parts and its bytes rendered
 * in place by the list's renderer, taken back if it cannot be read.
 */
static int
at_list_deref(struct store *s, DB_TXN *txn, struct listop *op, const DBT *k,
    const DBT *v)
{
	store_render_fn			 render =
			    *(const store_render_fn *)op->arg;
	struct store_attempt_view	 a;
	const char			*kp = k->data, *nul;
	size_t				 len;

	(void)s;
	(void)txn;
	len = op->mem.len;
	if ((nul = memchr(kp, '\0', k->size)) == NULL ||
	    (size_t)(kp + k->size - nul) < 1 + 8)
		goto bad;
	a.uuid = kp;
	a.ulen = (size_t)(nul - kp);
	a.at_ms = at_dec(be64get((const unsigned char *)nul + 1));
	a.id = nul + 9;
	a.idlen = (size_t)(kp + k->size - (nul + 9));
	a.rec = v->data;
	a.len = v->size;
	if (render(&op->mem, &a) == -1)
		goto bad;
	op->off[op->pg->n++] = len;
	buf_add(&op->mem, "", 1);
	return STORE_OK;
bad:
	op->mem.len = len;
	log_warn("%s: a malformed record in at_log.db", op->fn);
	return STORE_OK;
}

int
store_attempt_list(struct store *s, const char *webhook_uuid, size_t offset,
    size_t limit, store_render_fn render, struct store_page *pg)
{
	struct listop	 op;

	memset(&op, 0, sizeof(op));
	op.idx = DBI_AT_LOG;
	op.fn = "store_attempt_list";
	op.deref = at_list_deref;
	op.arg = &render;
	buf_init(&op.prefix);
	buf_addz(&op.prefix, webhook_uuid);
	op.offset = offset;
	op.limit = limit;
	op.backward = 1;
	op.pg = pg;
	return store_list_run(s, &op);
}

/*
 * At most PRUNE_BATCH keys visited (removed, or passed on to the next
 * webhook: a store of many webhooks with nothing old must not hold its
 * locks over all of them), from op->from on: each webhook's attempts are
 * in time order, so its old ones are at the start of its range, and the
 * first young one sends the cursor on to the next webhook.  A key that
 * cannot be read (no listing shows it) is removed too.
 */
static int
at_prune_body(struct store *s, DB_TXN *txn, void *arg)
{
	static const char fn[] = "store_attempt_prune";
	struct attop	*op = arg;
	DB		*db;
	DBC		*c;
	DBT		 key, data;
	const char	*nul;
	size_t		 steps = 0;
	int		 ret, res = STORE_OK, bad;

	if ((res = store_db(s, DBI_AT_LOG, &db)) != STORE_OK)
		return res;
	op->n = 0;
	op->done = 0;
	if ((ret = db->cursor(db, txn, &c, 0)) != 0)
		return store_dberr(s, ret, fn, "cursor at_log.db");
	dbt_in(&key, op->from.p, op->from.len);
	dbt_out(&data);
	data.flags = DB_DBT_PARTIAL;	/* the keys are enough */
	ret = c->get(c, &key, &data, (op->from.len > 0 ? DB_SET_RANGE :
	    DB_FIRST) | DB_RMW);
	while (ret == 0 && steps++ < PRUNE_BATCH) {
		nul = memchr(key.data, '\0', key.size);
		bad = nul == NULL || key.size - (size_t)(nul + 1 -
		    (const char *)key.data) < 8;
		if (bad)
			log_warn("%s: a malformed key in at_log.db; removed",
			    fn);
		if (bad || at_dec(be64get((const unsigned char *)nul + 1)) <
		    op->at_ms) {
			if ((ret = c->del(c, 0)) != 0)
				break;
			op->n++;
			ret = c->get(c, &key, &data, DB_NEXT | DB_RMW);
			continue;
		}
		/* The next webhook: the first key past uuid "\0" ... */
		buf_reset(&op->next);
		buf_add(&op->next, key.data, (size_t)(nul - (const char *)
		    key.data));
		buf_putc(&op->next, '\001');
		dbt_in(&key, op->next.p, op->next.len);
		ret = c->get(c, &key, &data, DB_SET_RANGE | DB_RMW);
	}
	if (ret == 0) {
		/* Stopped at a full batch: the next one starts here. */
		buf_reset(&op->next);
		buf_add(&op->next, key.data, key.size);
	} else if (ret == DB_NOTFOUND)
		op->done = 1;
	else if (res == STORE_OK)
		res = store_dberr(s, ret, fn, "delete");
	if ((ret = c->close(c)) != 0 && res == STORE_OK)
		res = store_dberr(s, ret, fn, "cursor close at_log.db");
	return res == STORE_NOTFOUND ? STORE_ERR : res;
}

/* In transactions of at most PRUNE_BATCH keys, so that no lock is held
 * long; *removed counts what was committed, also on error. */
int
store_attempt_prune(struct store *s, int64_t before_ms, size_t *removed)
{
	struct attop	 op;
	struct buf	 t;
	int		 res = STORE_OK;

	*removed = 0;
	memset(&op, 0, sizeof(op));
	op.at_ms = before_ms;
	buf_init(&op.from);
	buf_init(&op.next);
	do {
		if (s->fatal) {
			res = STORE_FATAL;
			break;
		}
		res = store_run(s, "store_attempt_prune", TX_WRITE_NOSYNC,
		    at_prune_body, &op);
		if (res != STORE_OK)
			break;
		*removed += op.n;
		t = op.from;
		op.from = op.next;
		op.next = t;
	} while (!op.done);
	buf_free(&op.from);
	buf_free(&op.next);
	return res;
}

