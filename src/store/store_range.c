/*
 * store_range.c: reading runs of keys for the other store files: the
 * batched scans of the foreach functions (SCAN_BATCH records a read
 * transaction, called back with no lock held, so that a callback may
 * write) and the pages of the indexes with record numbers (wh_team.db,
 * at_log.db), positioned by record number and read in bulk.  Its static
 * functions are named range_*.
 */
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

#define BULK_MAX	(1024u * 1024)	/* bulk list buffer, at most */

/* ---- batched scans for the foreach functions ------------------------ */

static void
range_scan_reset(struct scan *sc)
{
	size_t	 i;

	for (i = 0; i < sc->n; i++) {
		free(sc->keys[i]);
		free(sc->vals[i]);
	}
	sc->n = 0;
}

static int
range_scan_body(struct store *s, DB_TXN *txn, void *arg)
{
	struct scan	*sc = arg;
	DB		*db;
	DBC		*c = NULL;
	DBT		 key, data;
	int		 ret, res;

	if ((res = store_db(s, sc->dbi, &db)) != STORE_OK)
		return res;
	range_scan_reset(sc);
	if ((ret = db->cursor(db, txn, &c, 0)) != 0)
		return store_dberr(s, ret, sc->fn, "cursor");
	dbt_out(&data);
	if (sc->started) {
		dbt_in(&key, sc->last.p, sc->last.len);
		ret = c->get(c, &key, &data, DB_SET_RANGE);
		if (ret == 0 && key.size == sc->last.len &&
		    memcmp(key.data, sc->last.p, key.size) == 0)
			ret = c->get(c, &key, &data, DB_NEXT);
	} else if (sc->plen > 0) {
		dbt_in(&key, sc->prefix, sc->plen);
		ret = c->get(c, &key, &data, DB_SET_RANGE);
	} else {
		dbt_out(&key);
		ret = c->get(c, &key, &data, DB_FIRST);
	}
	while (ret == 0 && sc->n < SCAN_BATCH) {
		if (!has_prefix(&key, sc->prefix, sc->plen)) {
			ret = DB_NOTFOUND;
			break;
		}
		buf_reset(&sc->last);
		buf_add(&sc->last, key.data, key.size);
		if (sc->take != NULL) {
			if ((res = sc->take(s, txn, sc, &key, &data)) !=
			    STORE_OK)
				goto fail;
		} else {
			sc->keys[sc->n] = xstrndup(key.data, key.size);
			sc->vals[sc->n++] = xstrndup(data.data, data.size);
		}
		ret = c->get(c, &key, &data, DB_NEXT);
	}
	if (ret != 0 && ret != DB_NOTFOUND) {
		res = store_dberr(s, ret, sc->fn, "cursor get");
		goto fail;
	}
	ret = c->close(c);
	c = NULL;
	if (ret != 0) {
		res = store_dberr(s, ret, sc->fn, "cursor close");
		goto fail;
	}
	return STORE_OK;
fail:
	if (c != NULL)
		(void)c->close(c);
	return res == STORE_NOTFOUND ? STORE_ERR : res;
}

/* Calls fn for each record of sc's database (and prefix), a batch at a
 * time, with no lock held during the calls. */
int
store_scan_run(struct store *s, struct scan *sc, store_each_fn fn, void *arg)
{
	size_t	 i, got;
	int	 res = STORE_OK, stop = 0;

	buf_init(&sc->last);
	sc->started = 0;
	sc->n = 0;
	do {
		if (s->fatal) {
			res = STORE_FATAL;
			break;
		}
		if ((res = store_run(s, sc->fn, TX_READ, range_scan_body,
		    sc)) != STORE_OK)
			break;
		sc->started = 1;
		got = sc->n;
		for (i = 0; i < sc->n && !stop; i++)
			stop = fn(sc->keys[i], sc->vals[i], arg) != 0;
		range_scan_reset(sc);
	} while (got == SCAN_BATCH && !stop);
	range_scan_reset(sc);
	buf_free(&sc->last);
	return res;
}

/* ---- record-number ranges ------------------------------------------ */

/* Positions c on the last key starting with prefix p (n bytes, ending in
 * "\0"); the key after the range is p with its "\0" made "\1".  Returns 0,
 * DB_NOTFOUND when the range is empty, or an error. */
int
store_range_last(DBC *c, const void *p, size_t n, DBT *key, DBT *data,
    u_int32_t rmw)
{
	char	 stack[256], *hi;
	int	 ret;

	hi = n <= sizeof(stack) ? stack : xmalloc(n);
	memcpy(hi, p, n);
	hi[n - 1] = '\1';
	dbt_in(key, hi, n);
	dbt_out(data);
	ret = c->get(c, key, data, DB_SET_RANGE | rmw);
	if (ret == 0)
		ret = c->get(c, key, data, DB_PREV | rmw);
	else if (ret == DB_NOTFOUND)
		ret = c->get(c, key, data, DB_LAST | rmw);
	if (hi != stack)
		free(hi);
	if (ret == 0 && !has_prefix(key, p, n))
		ret = DB_NOTFOUND;
	return ret;
}

/* Record number of the cursor's position. */
int
store_cur_recno(DBC *c, db_recno_t *recno)
{
	DBT	 key, data;

	dbt_out(&key);
	memset(&data, 0, sizeof(data));
	data.data = recno;
	data.ulen = sizeof(*recno);
	data.flags = DB_DBT_USERMEM;
	return c->get(c, &key, &data, DB_GET_RECNO);
}

/* First and last record numbers of the keys starting with p (n bytes,
 * ending in "\0"); *first = 0 when there are none. */
int
store_range_recnos(DBC *c, const void *p, size_t n, db_recno_t *first,
    db_recno_t *last)
{
	DBT	 key, data;
	int	 ret;

	*first = *last = 0;
	dbt_in(&key, p, n);
	dbt_out(&data);
	ret = c->get(c, &key, &data, DB_SET_RANGE);
	/* A team's count key is the prefix itself: no record. */
	if (ret == 0 && key.size == n)
		ret = c->get(c, &key, &data, DB_NEXT);
	if (ret == DB_NOTFOUND || (ret == 0 && !has_prefix(&key, p, n)))
		return 0;
	if (ret != 0 || (ret = store_cur_recno(c, first)) != 0)
		return ret;
	if ((ret = store_range_last(c, p, n, &key, &data, 0)) != 0 ||
	    (ret = store_cur_recno(c, last)) != 0)
		return ret;
	return 0;
}


/* ---- pages ----------------------------------------------------------- */

void
store_page_free(struct store_page *pg)
{
	if (pg == NULL)
		return;
	free(pg->mem);
	free(pg->recs);
	pg->mem = NULL;
	pg->recs = NULL;
	pg->n = 0;
	pg->total = 0;
}

/* Appends a record to the page: one block for all of them (a malloc and
 * a free a record were 6 % of a list page), pointed into at the end. */
void
store_page_add(struct listop *op, const char *json, size_t len)
{
	op->off[op->pg->n++] = op->mem.len;
	buf_add(&op->mem, json, len);
	buf_add(&op->mem, "", 1);
}

/*
 * Forward from record number recno, want records, read in bulk
 * (DB_MULTIPLE_KEY): one cursor call copies a run of key/data pairs into a
 * buffer, instead of one DB_NEXT per record, each with its own page lock
 * and cursor set-up.  The buffer is sized for the records wanted (at least
 * a page, as Berkeley DB requires); a run that stops short is continued by
 * the next call from where it stopped.
 * Returns 0 or a Berkeley DB error; *res a store error from list_deref.
 */
static int
range_list_bulk(struct store *s, DB_TXN *txn, struct listop *op, DBC *c,
    db_recno_t recno, size_t want, int *res)
{
	struct store_page *pg = op->pg;
	DBT		 key, data, v, kk;
	size_t		 size, pgsz;
	u_int32_t	 flag = DB_SET_RECNO;
	void		*p, *k, *d;
	u_int32_t	 kl, dl;
	int		 ret;

	/* About a kilobyte a record, in whole pages: measured for 15 records
	 * of 1.3 KiB on 8 KiB pages, one page a call cost 7 % more (three
	 * calls), three pages 3 % more (more copied than used). */
	pgsz = store_dbspecs[op->idx].pagesize;
	size = (want < BULK_MAX / 1024 ? want * 1024 : BULK_MAX) + pgsz - 1;
	size = size / pgsz * pgsz;
	data.data = NULL;
	for (;;) {
		dbt_in(&key, &recno, sizeof(recno));
		memset(&data, 0, sizeof(data));
		data.data = xmalloc(size);
		data.ulen = (u_int32_t)size;
		data.flags = DB_DBT_USERMEM;
		ret = c->get(c, &key, &data, flag | DB_MULTIPLE_KEY);
		if (ret == DB_BUFFER_SMALL) {
			/* One record larger than the buffer. */
			free(data.data);
			size = ((size_t)data.size + 1023) & ~(size_t)1023;
			continue;
		}
		if (ret != 0)
			break;
		DB_MULTIPLE_INIT(p, &data);
		for (;;) {
			DB_MULTIPLE_KEY_NEXT(p, &data, k, kl, d, dl);
			if (p == NULL)
				break;
			if (kl < op->prefix.len ||
			    memcmp(k, op->prefix.p, op->prefix.len) != 0) {
				free(data.data);
				return 0;
			}
			dbt_in(&v, d, dl);
			dbt_in(&kk, k, kl);
			if ((*res = op->deref(s, txn, op, &kk, &v)) !=
			    STORE_OK) {
				free(data.data);
				return 0;
			}
			if (pg->n == want) {
				free(data.data);
				return 0;
			}
		}
		free(data.data);
		data.data = NULL;
		flag = DB_NEXT;
	}
	free(data.data);
	return ret == DB_NOTFOUND ? 0 : ret;
}

static int
range_list_body(struct store *s, DB_TXN *txn, void *arg)
{
	struct listop	*op = arg;
	struct store_page *pg = op->pg;
	DB		*db;
	DBC		*c;
	DBT		 key, data;
	db_recno_t	 first, last, recno;
	size_t		 want;
	size_t		 i;
	int		 ret, res = STORE_OK;

	if ((res = store_db(s, op->idx, &db)) != STORE_OK)
		return res;
	store_page_free(pg);
	buf_reset(&op->mem);
	free(op->off);
	op->off = NULL;
	if ((ret = db->cursor(db, txn, &c, 0)) != 0)
		return store_dberr(s, ret, op->fn, "cursor");
	ret = DB_NOTFOUND;
	if (op->bounds != NULL)
		ret = op->bounds(s, c, op, &first, &last);
	if (ret == DB_NOTFOUND)
		ret = store_range_recnos(c, op->prefix.p, op->prefix.len,
		    &first, &last);
	if (ret != 0)
		goto dberror;
	if (first == 0 || last < first)
		goto done;
	pg->total = (size_t)(last - first) + 1;
	if (op->offset >= pg->total || op->limit == 0)
		goto done;
	want = pg->total - op->offset;
	if (want > op->limit)
		want = op->limit;
	pg->recs = xcalloc(want, sizeof(*pg->recs));
	op->off = xcalloc(want, sizeof(*op->off));
	buf_reserve(&op->mem, want * 1536);
	recno = op->backward ? last - (db_recno_t)op->offset :
	    first + (db_recno_t)op->offset;
	if (!op->backward) {
		if ((ret = range_list_bulk(s, txn, op, c, recno, want,
		    &res)) != 0)
			goto dberror;
		if (res != STORE_OK)
			goto fail;
		goto done;
	}
	dbt_in(&key, &recno, sizeof(recno));
	dbt_out(&data);
	ret = c->get(c, &key, &data, DB_SET_RECNO);
	while (ret == 0 && pg->n < want) {
		if (!has_prefix(&key, op->prefix.p, op->prefix.len))
			break;
		if ((res = op->deref(s, txn, op, &key, &data)) != STORE_OK)
			goto fail;
		if (pg->n < want)
			ret = c->get(c, &key, &data,
			    op->backward ? DB_PREV : DB_NEXT);
	}
	if (ret != 0 && ret != DB_NOTFOUND)
		goto dberror;
done:
	if ((ret = c->close(c)) != 0) {
		c = NULL;
		goto dberror;
	}
	if (pg->n > 0) {
		pg->mem = buf_take(&op->mem);
		for (i = 0; i < pg->n; i++)
			pg->recs[i] = pg->mem + op->off[i];
	}
	return STORE_OK;
dberror:
	res = store_dberr(s, ret, op->fn, "cursor get");
fail:
	if (c != NULL)
		(void)c->close(c);
	store_page_free(pg);
	return res == STORE_NOTFOUND ? STORE_ERR : res;
}

int
store_list_run(struct store *s, struct listop *op)
{
	int	 res;

	memset(op->pg, 0, sizeof(*op->pg));
	if (s->fatal)
		return STORE_FATAL;
	buf_init(&op->mem);
	res = store_run(s, op->fn, TX_READ, range_list_body, op);
	if (res != STORE_OK)
		store_page_free(op->pg);
	buf_free(&op->prefix);
	buf_free(&op->mem);
	free(op->off);
	return res;
}

