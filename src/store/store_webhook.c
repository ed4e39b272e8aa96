/*
 * store_webhook.c: webhook records and their indexes: webhooks.db (by
 * uuid), wh_team.db (each team's webhooks in creation order, with record
 * numbers for pages and the team's count), wh_url.db (the URL index of the
 * dialects that refuse a URL twice), and each team's webhook generation.
 * The JSON of a record is the model's (webhook.c); the store keeps the
 * owner, the URL and the order.  Its static functions are named wh_*.
 *
 *   webhooks.db     uuid -> team "\0" be64(seq) url "\0" json
 *                   (8 KiB pages: records are 1-3 KiB).  The prefix makes
 *                   the owner checkable on every read and the index keys
 *                   derivable on update and delete; it is stripped on read.
 *   wh_team.db      team "\0" be64(seq) -> uuid "\0" json, DB_RECNUM: the
 *                   team's webhooks in creation order, with record numbers
 *                   for O(log n) offset pagination, and a copy of each
 *                   record, so that a list page is one cursor walk with the
 *                   records in hand instead of a webhooks.db get per item
 *                   (8 KiB pages, as webhooks.db: 16 KiB pages made a
 *                   list page 16 % dearer at offset 90,000 than at 0, as
 *                   DB_SET_RECNO sums record counts along the larger
 *                   internal pages; files made before hold the uuid alone,
 *                   on 4 KiB pages, and are read through webhooks.db).
 *                   seq is the creation time in
 *                   microseconds, or the team's last seq + 1 when that is not
 *                   larger: it is read and written in the creating
 *                   transaction, so two processes creating in the same
 *                   microsecond are serialised by the lock on the index page
 *                   and still get distinct, increasing keys.
 *                   The key team "\0" alone (first of the team's keys)
 *                   holds be64(number of the team's webhooks), kept in the
 *                   creating and deleting transactions: a list page reads
 *                   its total and the team's first record number there
 *                   (DB_SET, DB_GET_RECNO) instead of finding both ends of
 *                   the team's range.  A store made before it has no such
 *                   key until the team's next create or delete, which
 *                   writes it from the range's record numbers.
 *   wh_url.db       team "\0" url -> uuid, DB_DUP | DB_DUPSORT (empty urls
 *                   are not indexed)
 */
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

/* ---- webhooks ---------------------------------------------------------- */

/* Splits a webhooks.db value: team "\0" be64(seq) url "\0" json. */
static int
wh_parse(const DBT *d, const char **team, size_t *tlen, uint64_t *seq,
    const char **url, size_t *ulen, const char **json, size_t *jlen)
{
	const char	*p = d->data, *end = p + d->size, *z;

	if ((z = memchr(p, '\0', d->size)) == NULL || end - z < 1 + 8)
		goto bad;
	*team = p;
	*tlen = (size_t)(z - p);
	*seq = be64get((const unsigned char *)z + 1);
	p = z + 1 + 8;
	if ((z = memchr(p, '\0', (size_t)(end - p))) == NULL)
		goto bad;
	*url = p;
	*ulen = (size_t)(z - p);
	*json = z + 1;
	*jlen = (size_t)(end - (z + 1));
	return 0;
bad:
	log_warn("store: malformed record in webhooks.db (%u bytes)",
	    (unsigned int)d->size);
	return -1;
}

/* Parses a webhooks.db value and checks that team owns it: STORE_OK,
 * STORE_NOTFOUND for another team's webhook, STORE_ERR if unreadable. */
static int
wh_owned(const DBT *d, const char *team, uint64_t *seq, const char **url,
    size_t *urllen, const char **json, size_t *jsonlen)
{
	const char	*t;
	size_t		 tl;

	if (wh_parse(d, &t, &tl, seq, url, urllen, json, jsonlen) == -1)
		return STORE_ERR;
	if (tl != strlen(team) || memcmp(t, team, tl) != 0)
		return STORE_NOTFOUND;
	return STORE_OK;
}

static void
wh_build(struct buf *b, const char *team, uint64_t seq, const char *url,
    const char *json)
{
	buf_reset(b);
	buf_addz(b, team);
	buf_add64(b, seq);
	buf_addz(b, url);
	buf_add(b, json, strlen(json));
}

/* team "\0" be64(seq): the key in wh_team.db */
static void
wh_teamkey(struct buf *b, const char *team, uint64_t seq)
{
	buf_reset(b);
	buf_addz(b, team);
	buf_add64(b, seq);
}

/* uuid "\0" json: the value in wh_team.db */
static void
wh_teamval(struct buf *b, const char *uuid, const char *json)
{
	buf_reset(b);
	buf_addz(b, uuid);
	buf_add(b, json, strlen(json));
}

/*
 * The json a wh_team.db value carries: 1 with *json, *jlen set, or 0 for a
 * value written before the index held records (the uuid alone), to be read
 * through webhooks.db.
 */
static int
wh_teamval_json(const DBT *v, const char **json, size_t *jlen)
{
	const char	*z;

	if ((z = memchr(v->data, '\0', v->size)) == NULL)
		return 0;
	*json = z + 1;
	*jlen = v->size - (size_t)(z + 1 - (const char *)v->data);
	return 1;
}

/* team "\0" url: the key in wh_url.db */
static void
wh_urlkey(struct buf *b, const char *team, const char *url)
{
	buf_reset(b);
	buf_addz(b, team);
	buf_add(b, url, strlen(url));
}

/* STORE_EXISTS if url (non-empty) is indexed for team with a uuid other
 * than self (NULL: any). */
static int
wh_url_taken(struct store *s, DB_TXN *txn, const char *team, const char *url,
    const char *self, const char *fn)
{
	DB		*db;
	DBC		*c;
	DBT		 key, data;
	struct buf	 k;
	int		 ret, res = STORE_OK;

	if ((res = store_db(s, DBI_WH_URL, &db)) != STORE_OK)
		return res;
	buf_init(&k);
	wh_urlkey(&k, team, url);
	if ((ret = db->cursor(db, txn, &c, 0)) != 0) {
		buf_free(&k);
		return store_dberr(s, ret, fn, "cursor wh_url.db");
	}
	dbt_in(&key, k.p, k.len);
	dbt_out(&data);
	ret = c->get(c, &key, &data, DB_SET | DB_RMW);
	while (ret == 0) {
		if (self == NULL || data.size != strlen(self) ||
		    memcmp(data.data, self, data.size) != 0) {
			res = STORE_EXISTS;
			break;
		}
		ret = c->get(c, &key, &data, DB_NEXT_DUP | DB_RMW);
	}
	if (ret != 0 && ret != DB_NOTFOUND)
		res = store_dberr(s, ret, fn, "get wh_url.db");
	if ((ret = c->close(c)) != 0 && res == STORE_OK)
		res = store_dberr(s, ret, fn, "cursor close wh_url.db");
	buf_free(&k);
	return res;
}

static int
wh_url_add(struct store *s, DB_TXN *txn, const char *team, const char *url,
    const char *uuid, const char *fn)
{
	DB		*db;
	DBT		 key, data;
	struct buf	 k;
	int		 ret, res;

	if ((res = store_db(s, DBI_WH_URL, &db)) != STORE_OK)
		return res;
	if (*url == '\0')
		return STORE_OK;
	buf_init(&k);
	wh_urlkey(&k, team, url);
	dbt_in(&key, k.p, k.len);
	dbt_in(&data, uuid, strlen(uuid));
	ret = db->put(db, txn, &key, &data, 0);
	buf_free(&k);
	if (ret == DB_KEYEXIST)		/* that very pair: fine */
		return STORE_OK;
	return store_dberr(s, ret, fn, "put wh_url.db");
}

static int
wh_url_del(struct store *s, DB_TXN *txn, const char *team, const char *url,
    size_t ulen, const char *uuid, const char *fn)
{
	DB		*db;
	DBC		*c;
	DBT		 key, data;
	struct buf	 k;
	int		 ret, res;

	if ((res = store_db(s, DBI_WH_URL, &db)) != STORE_OK)
		return res;
	if (ulen == 0)
		return STORE_OK;
	buf_init(&k);
	buf_addz(&k, team);
	buf_add(&k, url, ulen);
	if ((ret = db->cursor(db, txn, &c, 0)) != 0) {
		buf_free(&k);
		return store_dberr(s, ret, fn, "cursor wh_url.db");
	}
	dbt_in(&key, k.p, k.len);
	dbt_in(&data, uuid, strlen(uuid));
	ret = c->get(c, &key, &data, DB_GET_BOTH | DB_RMW);
	if (ret == 0)
		ret = c->del(c, 0);
	res = ret == DB_NOTFOUND ? STORE_OK :
	    store_dberr(s, ret, fn, "del wh_url.db");
	if ((ret = c->close(c)) != 0 && res == STORE_OK)
		res = store_dberr(s, ret, fn, "cursor close wh_url.db");
	buf_free(&k);
	return res;
}

/* Reads the json of webhook uuid (of team) into *json; NOTFOUND if it is
 * gone or another team's. */
static int
wh_read(struct store *s, DB_TXN *txn, const char *team, const char *uuid,
    size_t ulen, u_int32_t flags, char **json, const char *fn)
{
	DB		*db;
	DBT		 key, data;
	const char	*u, *j;
	size_t		 ul, jl;
	uint64_t	 seq = 0;
	int		 res;

	if ((res = store_db(s, DBI_WEBHOOKS, &db)) != STORE_OK)
		return res;
	dbt_in(&key, uuid, ulen);
	dbt_out(&data);
	res = store_dberr(s, db->get(db, txn, &key, &data, flags), fn,
	    "get webhooks.db");
	if (res != STORE_OK)
		return res;
	if ((res = wh_owned(&data, team, &seq, &u, &ul, &j, &jl)) != STORE_OK)
		return res;
	*json = xstrndup(j, jl);
	return STORE_OK;
}

/*
 * Adds delta to the team's count in wh_team.db, after the transaction's
 * own insert or delete there.  With no count yet (a store made before
 * it), the count is taken from the team's range of record numbers, which
 * already holds the change.
 */
static int
wh_count_add(struct store *s, DB_TXN *txn, const char *team, int delta,
    const char *fn)
{
	DB		*db;
	DBC		*c;
	DBT		 key, data;
	struct buf	 p;
	unsigned char	 v[8];
	db_recno_t	 first, last;
	uint64_t	 n = 0;
	int		 ret, res = STORE_OK;

	if ((res = store_db(s, DBI_WH_TEAM, &db)) != STORE_OK)
		return res;
	buf_init(&p);
	buf_addz(&p, team);
	dbt_in(&key, p.p, p.len);
	dbt_out(&data);
	ret = db->get(db, txn, &key, &data, DB_RMW);
	if (ret == 0 && data.size == 8) {
		n = be64get(data.data);
		if (delta < 0 && n == 0)
			log_warn("%s: wh_team.db: count below zero", fn);
		else
			n = delta < 0 ? n - 1 : n + 1;
	} else if (ret == 0 || ret == DB_NOTFOUND) {
		if (ret == 0)
			log_warn("%s: wh_team.db: malformed count", fn);
		if ((ret = db->cursor(db, txn, &c, 0)) != 0) {
			res = store_dberr(s, ret, fn, "cursor wh_team.db");
			goto out;
		}
		ret = store_range_recnos(c, p.p, p.len, &first, &last);
		if (ret == 0 && first != 0)
			n = (uint64_t)(last - first) + 1;
		if (ret != 0)
			res = store_dberr(s, ret, fn, "count wh_team.db");
		if ((ret = c->close(c)) != 0 && res == STORE_OK)
			res = store_dberr(s, ret, fn,
			    "cursor close wh_team.db");
		if (res != STORE_OK)
			goto out;
	} else {
		res = store_dberr(s, ret, fn, "get count wh_team.db");
		goto out;
	}
	be64put(v, n);
	dbt_in(&key, p.p, p.len);
	dbt_in(&data, v, sizeof(v));
	res = store_dberr(s, db->put(db, txn, &key, &data, 0), fn,
	    "put count wh_team.db");
out:
	buf_free(&p);
	return res == STORE_NOTFOUND ? STORE_ERR : res;
}

/* The hint kept for team, or NULL. */
static struct recno_hint *
wh_hint_of(struct store *s, const char *team)
{
	int	 i;

	for (i = 0; i < RECNO_HINTS; i++)
		if (s->hints[i].team != NULL &&
		    strcmp(s->hints[i].team, team) == 0)
			return &s->hints[i];
	return NULL;
}

/*
 * First and last record numbers of the team's webhooks through its count:
 * 0 with *first = 0 when the team has none, DB_NOTFOUND when there is no
 * count (a store made before it: use range_recnos), or an error.
 *
 * The count key's record number (DB_GET_RECNO, a second descent from the
 * root with every level locked: 11,000 instructions, a tenth of a list
 * page) is kept per team as a hint.  The next list goes straight to the
 * hinted number (DB_SET_RECNO, one descent instead of DB_SET and
 * DB_GET_RECNO); if the team's count key is there, the hint is exact by
 * definition, else (another team's webhooks before it came or went) the
 * count key is found by name as before and the hint renewed.
 */
static int
wh_count_recnos(struct store *s, DBC *c, const char *p, size_t n,
    db_recno_t *first, db_recno_t *last)
{
	struct recno_hint *h;
	DBT		 key, data;
	db_recno_t	 r;
	uint64_t	 cnt;
	int		 ret;

	*first = *last = 0;
	if ((h = wh_hint_of(s, p)) != NULL) {
		r = h->recno;
		dbt_in(&key, &r, sizeof(r));
		dbt_out(&data);
		ret = c->get(c, &key, &data, DB_SET_RECNO);
		if (ret == 0 && key.size == n && memcmp(key.data, p, n) == 0) {
			if (data.size != 8)
				return DB_NOTFOUND;
			cnt = be64get(data.data);
			goto found;
		}
		if (ret != 0 && ret != DB_NOTFOUND && ret != DB_KEYEMPTY)
			return ret;
	}
	dbt_in(&key, p, n);
	dbt_out(&data);
	if ((ret = c->get(c, &key, &data, DB_SET)) != 0)
		return ret;
	if (data.size != 8)
		return DB_NOTFOUND;
	cnt = be64get(data.data);
	if ((ret = store_cur_recno(c, &r)) != 0)
		return ret;
	if (h == NULL) {
		h = &s->hints[s->next_hint++ % RECNO_HINTS];
		free(h->team);
		h->team = xstrdup(p);
	}
	h->recno = r;
found:
	if (cnt == 0)
		return 0;
	*first = r + 1;
	*last = *first + (db_recno_t)cnt - 1;
	return 0;
}

/* The next sequence number of team's webhooks: creation time in
 * microseconds, or the team's last + 1 when that is not larger. */
static int
wh_next_seq(struct store *s, DB_TXN *txn, const char *team, uint64_t *seq,
    const char *fn)
{
	DB		*db;
	DBC		*c;
	DBT		 key, data;
	struct buf	 p;
	uint64_t	 last = 0, now;
	int		 ret, res = STORE_OK;

	if ((res = store_db(s, DBI_WH_TEAM, &db)) != STORE_OK)
		return res;
	buf_init(&p);
	buf_addz(&p, team);
	if ((ret = db->cursor(db, txn, &c, 0)) != 0) {
		buf_free(&p);
		return store_dberr(s, ret, fn, "cursor wh_team.db");
	}
	ret = store_range_last(c, p.p, p.len, &key, &data, DB_RMW);
	if (ret == 0 && key.size == p.len + 8)
		last = be64get((unsigned char *)key.data + p.len);
	else if (ret != 0 && ret != DB_NOTFOUND)
		res = store_dberr(s, ret, fn, "get wh_team.db");
	if ((ret = c->close(c)) != 0 && res == STORE_OK)
		res = store_dberr(s, ret, fn, "cursor close wh_team.db");
	buf_free(&p);
	now = now_us();
	*seq = now > last ? now : last + 1;
	return res;
}

/* A wh_team.db record for store_webhook_foreach: its uuid and json, or
 * nothing for the team's count; a value of an old index (the uuid alone)
 * is read through webhooks.db. */
static int
wh_take(struct store *s, DB_TXN *txn, struct scan *sc, const DBT *key,
    const DBT *data)
{
	const char	*j;
	size_t		 jl;
	char		*uuid, *json;
	int		 res;

	if (key->size == sc->plen)
		return STORE_OK;	/* the team's count, not a webhook */
	if (wh_teamval_json(data, &j, &jl)) {
		sc->keys[sc->n] = xstrdup(data->data);
		sc->vals[sc->n++] = xstrndup(j, jl);
		return STORE_OK;
	}
	uuid = xstrndup(data->data, data->size);
	res = wh_read(s, txn, sc->arg, uuid, data->size, 0, &json, sc->fn);
	if (res == STORE_OK) {
		sc->keys[sc->n] = uuid;
		sc->vals[sc->n++] = json;
		return STORE_OK;
	}
	free(uuid);
	return res == STORE_NOTFOUND ? STORE_OK : res;
}

/* A list page's bounds: through the team's count (wh_count_recnos). */
static int
wh_list_bounds(struct store *s, DBC *c, struct listop *op, db_recno_t *first,
    db_recno_t *last)
{
	return wh_count_recnos(s, c, op->prefix.p, op->prefix.len, first, last);
}

/* Appends the json the index value carries, or the json of the record
 * it refers to (a uuid, in an old wh_team.db). */
static int
wh_list_deref(struct store *s, DB_TXN *txn, struct listop *op, const DBT *k,
    const DBT *v)
{
	const char	*j;
	size_t		 jl;
	char		*json, *ref;
	int		 res;

	(void)k;
	if (wh_teamval_json(v, &j, &jl)) {
		store_page_add(op, j, jl);
		return STORE_OK;
	}
	ref = xstrndup(v->data, v->size);
	res = wh_read(s, txn, op->arg, ref, v->size, 0, &json, op->fn);
	free(ref);
	if (res == STORE_NOTFOUND) {
		log_warn("%s: %s points to a missing record", op->fn,
		    store_dbspecs[op->idx].file);
		return STORE_OK;
	}
	if (res == STORE_OK) {
		store_page_add(op, json, strlen(json));
		free(json);
	}
	return res;
}

static int	wh_gen_bump(struct store *, DB_TXN *, const char *,
	    const char *);

struct whop {
	const struct store_wh *wh;
	const char	*team;
	const char	*uuid;
	int		 flags;
	store_update_fn	 fn;
	void		*arg;
	int		 fnret;
};

static int
wh_create_body(struct store *s, DB_TXN *txn, void *arg)
{
	static const char fn[] = "store_webhook_create";
	struct whop	*op = arg;
	const struct store_wh *wh = op->wh;
	const char	*url = wh->url != NULL ? wh->url : "";
	DB		*db, *ti;
	DBT		 key, data;
	struct buf	 b, v;
	uint64_t	 seq = 0;
	int		 res;

	if ((res = store_db(s, DBI_WEBHOOKS, &db)) != STORE_OK)
		return res;
	if ((res = store_db(s, DBI_WH_TEAM, &ti)) != STORE_OK)
		return res;
	dbt_in(&key, wh->uuid, strlen(wh->uuid));
	dbt_out(&data);
	res = store_dberr(s, db->get(db, txn, &key, &data, DB_RMW), fn,
	    "get webhooks.db");
	if (res == STORE_OK)
		return STORE_EXISTS;
	if (res != STORE_NOTFOUND)
		return res;
	if ((op->flags & STORE_UNIQUE_URL) && *url != '\0' &&
	    (res = wh_url_taken(s, txn, wh->team, url, NULL, fn)) != STORE_OK)
		return res;
	if ((res = wh_next_seq(s, txn, wh->team, &seq, fn)) != STORE_OK)
		return res;
	buf_init(&b);
	wh_build(&b, wh->team, seq, url, wh->json);
	dbt_in(&key, wh->uuid, strlen(wh->uuid));
	dbt_in(&data, b.p, b.len);
	res = store_dberr(s, db->put(db, txn, &key, &data, DB_NOOVERWRITE), fn,
	    "put webhooks.db");
	if (res == STORE_OK) {
		buf_init(&v);
		wh_teamkey(&b, wh->team, seq);
		wh_teamval(&v, wh->uuid, wh->json);
		dbt_in(&key, b.p, b.len);
		dbt_in(&data, v.p, v.len);
		res = store_dberr(s, ti->put(ti, txn, &key, &data,
		    DB_NOOVERWRITE), fn, "put wh_team.db");
		buf_free(&v);
		if (res == STORE_EXISTS) {
			log_warn("%s: wh_team.db: sequence taken", fn);
			res = STORE_ERR;
		}
	}
	buf_free(&b);
	if (res == STORE_OK)
		res = wh_count_add(s, txn, wh->team, 1, fn);
	if (res == STORE_OK)
		res = wh_url_add(s, txn, wh->team, url, wh->uuid, fn);
	if (res == STORE_OK)
		res = wh_gen_bump(s, txn, wh->team, fn);
	return res;
}

int
store_wh_create_in(struct store *s, DB_TXN *txn, const struct store_wh *wh,
    int flags)
{
	struct whop	 op;

	memset(&op, 0, sizeof(op));
	op.wh = wh;
	op.flags = flags;
	return wh_create_body(s, txn, &op);
}

int
store_webhook_create(struct store *s, const struct store_wh *wh, int flags)
{
	struct whop	 op;

	if (s->fatal)
		return STORE_FATAL;
	memset(&op, 0, sizeof(op));
	op.wh = wh;
	op.flags = flags;
	return store_run(s, "store_webhook_create", TX_WRITE,
	    wh_create_body, &op);
}

int
store_webhook_get(struct store *s, const char *team, const char *uuid,
    char **json)
{
	DBT		 key, data;
	const char	*u, *j;
	size_t		 ul, jl;
	uint64_t	 seq = 0;
	int		 res;

	*json = NULL;
	if (s->fatal)
		return STORE_FATAL;
	dbt_in(&key, uuid, strlen(uuid));
	res = store_get_one(s, DBI_WEBHOOKS, &key, &data, "store_webhook_get");
	if (res != STORE_OK)
		return res;
	if ((res = wh_owned(&data, team, &seq, &u, &ul, &j, &jl)) != STORE_OK)
		return res;
	*json = xstrndup(j, jl);
	return STORE_OK;
}

static int
wh_update_body(struct store *s, DB_TXN *txn, void *arg)
{
	static const char fn[] = "store_webhook_update";
	struct whop	*op = arg;
	DB		*db, *ti;
	DBT		 key, data;
	struct buf	 b, tv;
	const char	*u, *j, *url;
	size_t		 ul, jl;
	uint64_t	 seq = 0;
	char		*old = NULL, *oldurl = NULL, *nurl = NULL, *njson = NULL;
	char		 id[64];
	int		 res, rc;

	if ((res = store_db(s, DBI_WEBHOOKS, &db)) != STORE_OK)
		return res;
	if ((res = store_db(s, DBI_WH_TEAM, &ti)) != STORE_OK)
		return res;
	buf_init(&b);
	buf_init(&tv);
	dbt_in(&key, op->uuid, strlen(op->uuid));
	dbt_out(&data);
	res = store_dberr(s, db->get(db, txn, &key, &data, DB_RMW), fn,
	    "get webhooks.db");
	if (res != STORE_OK)
		goto out;
	if ((res = wh_owned(&data, op->team, &seq, &u, &ul, &j, &jl)) !=
	    STORE_OK)
		goto out;
	old = xstrndup(j, jl);
	oldurl = xstrndup(u, ul);
	if ((rc = op->fn(old, &nurl, &njson, op->arg)) != 0) {
		op->fnret = rc;
		res = STORE_ABORTED;
		goto out;
	}
	if (njson == NULL) {
		log_warn("%s: %s: the callback gave no json", fn,
		    clean(op->uuid, id, sizeof(id)));
		res = STORE_ERR;
		goto out;
	}
	url = nurl != NULL ? nurl : "";
	if (strcmp(url, oldurl) != 0) {
		if ((op->flags & STORE_UNIQUE_URL) && *url != '\0' &&
		    (res = wh_url_taken(s, txn, op->team, url, op->uuid, fn))
		    != STORE_OK)
			goto out;
		if ((res = wh_url_del(s, txn, op->team, oldurl, strlen(oldurl),
		    op->uuid, fn)) != STORE_OK ||
		    (res = wh_url_add(s, txn, op->team, url, op->uuid, fn))
		    != STORE_OK)
			goto out;
	}
	wh_build(&b, op->team, seq, url, njson);
	dbt_in(&key, op->uuid, strlen(op->uuid));
	dbt_in(&data, b.p, b.len);
	res = store_dberr(s, db->put(db, txn, &key, &data, 0), fn,
	    "put webhooks.db");
	if (res == STORE_OK) {
		/* The index's copy (a value of an old store gains it here). */
		wh_teamkey(&b, op->team, seq);
		wh_teamval(&tv, op->uuid, njson);
		dbt_in(&key, b.p, b.len);
		dbt_in(&data, tv.p, tv.len);
		res = store_dberr(s, ti->put(ti, txn, &key, &data, 0), fn,
		    "put wh_team.db");
	}
	if (res == STORE_OK)
		res = wh_gen_bump(s, txn, op->team, fn);
out:
	buf_free(&tv);
	free(old);
	free(oldurl);
	free(nurl);
	free(njson);
	buf_free(&b);
	return res;
}

int
store_wh_update_in(struct store *s, DB_TXN *txn, const char *team,
    const char *uuid, store_update_fn fn, void *arg, int *fnret)
{
	struct whop	 op;
	int		 res;

	memset(&op, 0, sizeof(op));
	op.team = team;
	op.uuid = uuid;
	op.fn = fn;
	op.arg = arg;
	res = wh_update_body(s, txn, &op);
	*fnret = res == STORE_ABORTED ? op.fnret : 0;
	return res;
}

int
store_webhook_update(struct store *s, const char *team, const char *uuid,
    int flags, store_update_fn fn, void *arg, int *fnret)
{
	struct whop	 op;
	int		 res;

	if (s->fatal)
		return STORE_FATAL;
	memset(&op, 0, sizeof(op));
	op.team = team;
	op.uuid = uuid;
	op.flags = flags;
	op.fn = fn;
	op.arg = arg;
	res = store_run(s, "store_webhook_update", TX_WRITE,
	    wh_update_body, &op);
	if (fnret != NULL)
		*fnret = res == STORE_ABORTED ? op.fnret : 0;
	return res;
}

static int
wh_delete_body(struct store *s, DB_TXN *txn, void *arg)
{
	static const char fn[] = "store_webhook_delete";
	struct whop	*op = arg;
	DB		*db, *ti;
	DBT		 key, data;
	struct buf	 b;
	const char	*u, *j;
	size_t		 ul, jl;
	uint64_t	 seq = 0;
	char		*url = NULL, id[64];
	int		 res;

	if ((res = store_db(s, DBI_WEBHOOKS, &db)) != STORE_OK)
		return res;
	if ((res = store_db(s, DBI_WH_TEAM, &ti)) != STORE_OK)
		return res;
	buf_init(&b);
	dbt_in(&key, op->uuid, strlen(op->uuid));
	dbt_out(&data);
	res = store_dberr(s, db->get(db, txn, &key, &data, DB_RMW), fn,
	    "get webhooks.db");
	if (res != STORE_OK)
		goto out;
	if ((res = wh_owned(&data, op->team, &seq, &u, &ul, &j, &jl)) !=
	    STORE_OK)
		goto out;
	url = xstrndup(u, ul);
	if ((res = store_dberr(s, db->del(db, txn, &key, 0), fn,
	    "del webhooks.db")) != STORE_OK)
		goto out;
	wh_teamkey(&b, op->team, seq);
	dbt_in(&key, b.p, b.len);
	res = store_dberr(s, ti->del(ti, txn, &key, 0), fn, "del wh_team.db");
	if (res == STORE_OK)
		res = wh_count_add(s, txn, op->team, -1, fn);
	else if (res == STORE_NOTFOUND) {
		log_warn("%s: %s: not in wh_team.db", fn,
		    clean(op->uuid, id, sizeof(id)));
		res = STORE_OK;
	}
	if (res == STORE_OK)
		res = wh_url_del(s, txn, op->team, url, strlen(url), op->uuid,
		    fn);
	if (res == STORE_OK)
		res = wh_gen_bump(s, txn, op->team, fn);
out:
	free(url);
	buf_free(&b);
	return res;
}

int
store_wh_delete_in(struct store *s, DB_TXN *txn, const char *team,
    const char *uuid)
{
	struct whop	 op;

	memset(&op, 0, sizeof(op));
	op.team = team;
	op.uuid = uuid;
	return wh_delete_body(s, txn, &op);
}

int
store_wh_get_in(struct store *s, DB_TXN *txn, const char *team,
    const char *uuid, u_int32_t flags, char **json)
{
	return wh_read(s, txn, team, uuid, strlen(uuid), flags, json,
	    "store_wh_get_in");
}

int
store_webhook_delete(struct store *s, const char *team, const char *uuid)
{
	struct whop	 op;

	if (s->fatal)
		return STORE_FATAL;
	memset(&op, 0, sizeof(op));
	op.team = team;
	op.uuid = uuid;
	return store_run(s, "store_webhook_delete", TX_WRITE,
	    wh_delete_body, &op);
}

int
store_webhook_list(struct store *s, const char *team, size_t offset,
    size_t limit, struct store_page *pg)
{
	struct listop	 op;

	memset(&op, 0, sizeof(op));
	op.idx = DBI_WH_TEAM;
	op.fn = "store_webhook_list";
	op.bounds = wh_list_bounds;
	op.deref = wh_list_deref;
	op.arg = team;
	buf_init(&op.prefix);
	buf_addz(&op.prefix, team);
	op.offset = offset;
	op.limit = limit;
	op.pg = pg;
	return store_list_run(s, &op);
}

int
store_webhook_foreach(struct store *s, const char *team, store_each_fn fn,
    void *arg)
{
	struct scan	 sc;
	struct buf	 p;
	int		 res;

	memset(&sc, 0, sizeof(sc));
	buf_init(&p);
	buf_addz(&p, team);
	sc.dbi = DBI_WH_TEAM;
	sc.fn = "store_webhook_foreach";
	sc.prefix = p.p;
	sc.plen = p.len;
	sc.take = wh_take;
	sc.arg = team;
	res = store_scan_run(s, &sc, fn, arg);
	buf_free(&p);
	return res;
}


/* ---- webhook generations (per team) -------------------------------------- */
/*
 * A counter per team, bumped inside every transaction that creates,
 * updates or deletes one of the team's webhooks, so that a reader can keep
 * the team's webhooks in memory and learn with one get whether they are
 * still what the store holds (webhookd does, per event).  It lives in
 * webhooks.db under "\001gen" NUL team: no uuid starts with \001, and
 * webhooks.db is only ever read by uuid.  8 bytes, big-endian.
 */
#define GEN_PREFIX	"\001gen"

static void
wh_genkey(struct buf *b, const char *team)
{
	buf_reset(b);
	buf_add(b, GEN_PREFIX, sizeof(GEN_PREFIX) - 1);
	buf_addz(b, team);
}

static int
wh_gen_bump(struct store *s, DB_TXN *txn, const char *team, const char *fn)
{
	DB		*db;
	DBT		 key, data;
	struct buf	 b;
	unsigned char	 v[8];
	uint64_t	 gen = 0;
	int		 res;

	if ((res = store_db(s, DBI_WEBHOOKS, &db)) != STORE_OK)
		return res;
	buf_init(&b);
	wh_genkey(&b, team != NULL ? team : "");
	dbt_in(&key, b.p, b.len);
	dbt_out(&data);
	res = store_dberr(s, db->get(db, txn, &key, &data, DB_RMW), fn,
	    "get generation");
	if (res == STORE_OK && data.size == 8)
		gen = be64get(data.data);
	else if (res != STORE_OK && res != STORE_NOTFOUND) {
		buf_free(&b);
		return res;
	}
	be64put(v, gen + 1);
	dbt_in(&data, v, sizeof(v));
	res = store_dberr(s, db->put(db, txn, &key, &data, 0), fn,
	    "put generation");
	buf_free(&b);
	return res;
}

int
store_webhook_gen(struct store *s, const char *team, uint64_t *gen)
{
	DBT		 key, data;
	struct buf	 b;
	int		 res;

	*gen = 0;
	if (s->fatal)
		return STORE_FATAL;
	buf_init(&b);
	wh_genkey(&b, team);
	dbt_in(&key, b.p, b.len);
	res = store_get_one(s, DBI_WEBHOOKS, &key, &data, "store_webhook_gen");
	buf_free(&b);
	if (res == STORE_NOTFOUND)
		return STORE_OK;	/* never written: generation 0 */
	if (res == STORE_OK && data.size == 8)
		*gen = be64get(data.data);
	else if (res == STORE_OK)
		res = STORE_ERR;
	return res;
}
