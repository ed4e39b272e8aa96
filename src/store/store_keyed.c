/*
 * store_keyed.c: records under an id and an alternate key (store_int.h,
 * struct keyed), the one rule that the Svix dialect's tables share
 * (store_app.c's applications, event types and endpoints, store_msg.c's
 * messages): keys of NUL-separated parts with a one-letter kind, a record
 * read by its id or through its alternate key, created with the alternate
 * key unique in its scope, updated by read-modify-write that moves that
 * key, removed with it, and listed a page at a time either way from a
 * cursor.
 *
 * A record's value begins with its alternate key, so that an update or a
 * delete finds the index key to move or remove in the same transaction.
 * Its static functions are named keyed_*.
 */
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

#define KFILE(op)	(store_dbspecs[(op)->kt->dbi].file)

void
store_key(struct buf *b, char kind, const char *team, const char *app,
    const char *name)
{
	buf_reset(b);
	buf_putc(b, kind);
	buf_addz(b, team);
	if (app != NULL)
		buf_addz(b, app);
	buf_puts(b, name);
}

void
store_krec_free(struct krec *r)
{
	buf_free(&r->key);
	free(r->id);
	free(r->alt);
	free(r->json);
	memset(r, 0, sizeof(*r));
}

/* A value's bytes as a string (malloc'd): an empty value may come with no
 * memory at all (data NULL). */
static char *
keyed_str(const DBT *d)
{
	return d->size > 0 ? xstrndup(d->data, d->size) : xstrdup("");
}

/* The record's value as the table keeps it into v. */
static void
keyed_value(const struct keyed *kt, struct buf *v, const char *alt,
    const char *json)
{
	buf_reset(v);
	if (kt->altkind == 0) {
		buf_puts(v, json);
		return;
	}
	if (kt->bare) {
		buf_puts(v, alt);
		return;
	}
	buf_addz(v, alt);
	buf_puts(v, json);
}

/* A value's alt and json into r (malloc'd); -1 when it has no alt's end. */
static int
keyed_parse(const struct keyed *kt, const DBT *d, struct krec *r)
{
	size_t	 alen;

	free(r->alt);
	free(r->json);
	r->alt = r->json = NULL;
	if (kt->altkind == 0) {
		r->alt = xstrdup("");
		r->json = keyed_str(d);
		return 0;
	}
	if (kt->bare) {
		r->alt = keyed_str(d);
		return 0;
	}
	if (d->size == 0 || (alen = strnlen(d->data, d->size)) >= d->size)
		return -1;
	r->alt = xstrndup(d->data, alen);
	r->json = xstrndup((const char *)d->data + alen + 1,
	    d->size - alen - 1);
	return 0;
}

/* kind's key for name in op's scope into k, and its value into data
 * (Berkeley DB's memory) read with flags; a store result. */
static int
keyed_fetch(struct store *s, DB *db, DB_TXN *txn, struct kop *op, char kind,
    const char *name, u_int32_t flags, struct buf *k, DBT *data)
{
	DBT	 key;

	store_key(k, kind, op->team, op->app, name);
	dbt_in(&key, k->p, k->len);
	dbt_out(data);
	return store_dberr(s, db->get(db, txn, &key, data, flags), op->fn,
	    KFILE(op));
}

int
store_keyed_read(struct store *s, DB_TXN *txn, struct kop *op,
    u_int32_t flags, struct krec *r)
{
	DB		*db;
	DBT		 data;
	int		 res;

	memset(r, 0, sizeof(*r));
	buf_init(&r->key);
	if ((res = store_db(s, op->kt->dbi, &db)) != STORE_OK)
		return res;
	if (op->by_alt) {
		if ((res = keyed_fetch(s, db, txn, op, op->kt->altkind, op->ref,
		    flags, &r->key, &data)) != STORE_OK)
			return res;
		r->id = keyed_str(&data);
	} else
		r->id = xstrdup(op->ref);
	res = keyed_fetch(s, db, txn, op, op->kt->kind, r->id, flags, &r->key,
	    &data);
	if (res == STORE_NOTFOUND && op->upsert) {
		r->alt = xstrdup("");
		return STORE_OK;
	}
	if (res != STORE_OK)
		return res;
	if (keyed_parse(op->kt, &data, r) != 0) {
		log_warn("%s: %s: a record without its alternate key",
		    op->fn, KFILE(op));
		return STORE_ERR;
	}
	r->found = 1;
	return STORE_OK;
}

/* alt's key into k and the id it names into *holder (malloc'd; NULL when
 * none), read with DB_RMW. */
static int
keyed_alt_holder(struct store *s, DB *db, DB_TXN *txn, struct kop *op,
    const char *alt, struct buf *k, char **holder)
{
	DBT	 data;
	int	 res;

	*holder = NULL;
	res = keyed_fetch(s, db, txn, op, op->kt->altkind, alt, DB_RMW, k,
	    &data);
	if (res == STORE_OK)
		*holder = keyed_str(&data);
	return res == STORE_NOTFOUND ? STORE_OK : res;
}

/* Puts alt's key naming id: STORE_EXISTS when another record that still
 * is one holds it. */
static int
keyed_alt_take(struct store *s, DB *db, DB_TXN *txn, struct kop *op,
    const char *alt, const char *id)
{
	DBT		 key, data;
	struct buf	 k;
	char		*holder;
	int		 res;

	buf_init(&k);
	if ((res = keyed_alt_holder(s, db, txn, op, alt, &k, &holder)) ==
	    STORE_OK && holder != NULL && strcmp(holder, id) != 0) {
		if (op->kt->held == NULL ||
		    (res = op->kt->held(s, txn, op, holder)) == STORE_OK)
			res = STORE_EXISTS;
		else if (res == STORE_NOTFOUND)
			res = STORE_OK;		/* its holder is gone */
	}
	if (res == STORE_OK) {
		dbt_in(&key, k.p, k.len);
		dbt_in(&data, id, strlen(id));
		res = store_dberr(s, db->put(db, txn, &key, &data, 0), op->fn,
		    KFILE(op));
	}
	free(holder);
	buf_free(&k);
	return res;
}

/* Removes alt's key when it names id. */
static int
keyed_alt_drop(struct store *s, DB *db, DB_TXN *txn, struct kop *op,
    const char *alt, const char *id)
{
	DBT		 key;
	struct buf	 k;
	char		*holder;
	int		 res;

	if (op->kt->altkind == 0 || alt[0] == '\0')
		return STORE_OK;
	buf_init(&k);
	if ((res = keyed_alt_holder(s, db, txn, op, alt, &k, &holder)) ==
	    STORE_OK && holder != NULL && strcmp(holder, id) == 0) {
		dbt_in(&key, k.p, k.len);
		res = store_dberr(s, db->del(db, txn, &key, 0), op->fn,
		    KFILE(op));
	}
	free(holder);
	buf_free(&k);
	return res == STORE_NOTFOUND ? STORE_OK : res;
}

/* Writes the record of key k with alt and json. */
static int
keyed_put(struct store *s, DB *db, DB_TXN *txn, struct kop *op,
    const struct buf *k, const char *alt, const char *json, u_int32_t flags)
{
	DBT		 key, data;
	struct buf	 v;
	int		 res;

	buf_init(&v);
	keyed_value(op->kt, &v, alt, json);
	dbt_in(&key, k->p, k->len);
	dbt_in(&data, v.p, v.len);
	res = store_dberr(s, db->put(db, txn, &key, &data, flags), op->fn,
	    KFILE(op));
	buf_free(&v);
	return res;
}

int
store_keyed_create_in(struct store *s, DB_TXN *txn, struct kop *op)
{
	DB		*db;
	struct buf	 k;
	const char	*alt = op->alt != NULL ? op->alt : "";
	int		 res;

	if ((res = store_db(s, op->kt->dbi, &db)) != STORE_OK)
		return res;
	if (op->kt->altkind != 0 && alt[0] != '\0' &&
	    (res = keyed_alt_take(s, db, txn, op, alt, op->ref)) != STORE_OK)
		return res;
	buf_init(&k);
	store_key(&k, op->kt->kind, op->team, op->app, op->ref);
	res = keyed_put(s, db, txn, op, &k, alt, op->json, DB_NOOVERWRITE);
	buf_free(&k);
	return res;
}

int
store_keyed_update_in(struct store *s, DB_TXN *txn, struct kop *op)
{
	struct krec	 r;
	DB		*db;
	char		*alt = NULL, *json = NULL;
	int		 res;

	if ((res = store_db(s, op->kt->dbi, &db)) != STORE_OK)
		return res;
	if ((res = store_keyed_read(s, txn, op, DB_RMW, &r)) != STORE_OK ||
	    (res = op->update(s, txn, op, &r, &alt, &json)) != STORE_OK)
		goto out;
	if (alt == NULL)
		alt = xstrdup("");
	if (op->kt->altkind != 0 && strcmp(alt, r.alt) != 0) {
		if ((res = keyed_alt_drop(s, db, txn, op, r.alt, r.id)) !=
		    STORE_OK || (alt[0] != '\0' && (res = keyed_alt_take(s, db,
		    txn, op, alt, r.id)) != STORE_OK))
			goto out;
	}
	res = keyed_put(s, db, txn, op, &r.key, alt, json, 0);
out:
	free(alt);
	free(json);
	store_krec_free(&r);
	return res;
}

/* Removes the record r (its key and alternate key), then op->gone. */
static int
keyed_remove(struct store *s, DB *db, DB_TXN *txn, struct kop *op,
    const struct krec *r, DBC *c)
{
	DBT	 key;
	int	 res;

	if (c != NULL)
		res = store_dberr(s, c->del(c, 0), op->fn, "cursor del");
	else {
		dbt_in(&key, r->key.p, r->key.len);
		res = store_dberr(s, db->del(db, txn, &key, 0), op->fn,
		    KFILE(op));
	}
	if (res == STORE_OK)
		res = keyed_alt_drop(s, db, txn, op, r->alt, r->id);
	if (res == STORE_OK && op->gone != NULL)
		res = op->gone(s, txn, op, r);
	return res;
}

int
store_keyed_delete_in(struct store *s, DB_TXN *txn, struct kop *op)
{
	struct krec	 r;
	DB		*db;
	int		 res;

	if ((res = store_db(s, op->kt->dbi, &db)) != STORE_OK)
		return res;
	if ((res = store_keyed_read(s, txn, op, DB_RMW, &r)) == STORE_OK)
		res = keyed_remove(s, db, txn, op, &r, NULL);
	store_krec_free(&r);
	return res;
}

/* A cursor walk's end: ret its last get's (DB_NOTFOUND: past the last),
 * res the walk's so far; closes c. */
static int
keyed_walk_end(struct store *s, struct kop *op, DBC *c, int ret, int res)
{
	if (res == STORE_OK && ret != 0 && ret != DB_NOTFOUND)
		res = store_dberr(s, ret, op->fn, "cursor get");
	ret = c->close(c);
	if (res == STORE_OK && ret != 0)
		res = store_dberr(s, ret, op->fn, "cursor close");
	return res;
}

int
store_keyed_clear_in(struct store *s, DB_TXN *txn, struct kop *op,
    size_t max, size_t *n)
{
	DB		*db;
	DBC		*c = NULL;
	DBT		 key, data;
	struct buf	 p;
	struct krec	 r;
	size_t		 done = 0;
	int		 ret, res;

	if (n != NULL)
		*n = 0;
	if ((res = store_db(s, op->kt->dbi, &db)) != STORE_OK)
		return res;
	if ((ret = db->cursor(db, txn, &c, 0)) != 0)
		return store_dberr(s, ret, op->fn, "cursor");
	buf_init(&p);
	memset(&r, 0, sizeof(r));
	store_key(&p, op->kt->kind, op->team, op->app, "");
	dbt_in(&key, p.p, p.len);
	dbt_out(&data);
	ret = c->get(c, &key, &data, DB_SET_RANGE | DB_RMW);
	while (ret == 0 && (max == 0 || done < max) &&
	    has_prefix(&key, p.p, p.len)) {
		r.id = xstrndup((const char *)key.data + p.len,
		    key.size - p.len);
		if (keyed_parse(op->kt, &data, &r) != 0)
			r.alt = xstrdup("");
		if ((res = keyed_remove(s, db, txn, op, &r, c)) ==
		    STORE_NOTFOUND)
			res = STORE_OK;	/* gone elsewhere */
		store_krec_free(&r);
		if (res != STORE_OK)
			break;
		done++;
		ret = c->get(c, &key, &data, DB_NEXT | DB_RMW);
	}
	res = keyed_walk_end(s, op, c, ret, res);
	buf_free(&p);
	if (n != NULL)
		*n = done;
	return res;
}

/* ---- whole calls ---------------------------------------------------- */

struct keyed_call {
	keyed_step_fn	 step;
	struct kop	*op;
};

static int
keyed_call_body(struct store *s, DB_TXN *txn, void *arg)
{
	struct keyed_call *kc = arg;

	return kc->step(s, txn, kc->op);
}

int
store_keyed_run(struct store *s, struct kop *op, enum txmode mode,
    keyed_step_fn step)
{
	struct keyed_call kc = { step, op };

	if (s->fatal)
		return STORE_FATAL;
	return store_run(s, op->fn, mode, keyed_call_body, &kc);
}

struct keyed_get {
	struct kop	*op;
	char		**id, **json;
};

static int
keyed_get_body(struct store *s, DB_TXN *txn, void *arg)
{
	struct keyed_get *g = arg;
	struct krec	 r;
	int		 res;

	if ((res = store_keyed_read(s, txn, g->op, 0, &r)) == STORE_OK) {
		if (g->id != NULL) {
			free(*g->id);
			*g->id = r.id;
			r.id = NULL;
		}
		if (g->json != NULL) {
			free(*g->json);
			*g->json = r.json;
			r.json = NULL;
		}
	}
	store_krec_free(&r);
	return res;
}

int
store_keyed_get(struct store *s, struct kop *op, char **id, char **json)
{
	struct keyed_get g = { op, id, json };

	if (id != NULL)
		*id = NULL;
	if (json != NULL)
		*json = NULL;
	if (s->fatal)
		return STORE_FATAL;
	return store_run(s, op->fn, TX_READ, keyed_get_body, &g);
}

struct keyed_clear {
	struct kop	*op;
	size_t		 max, n;
};

static int
keyed_clear_body(struct store *s, DB_TXN *txn, void *arg)
{
	struct keyed_clear *cl = arg;

	return store_keyed_clear_in(s, txn, cl->op, cl->max, &cl->n);
}

int
store_keyed_clear(struct store *s, struct kop *op, size_t max,
    size_t *removed)
{
	struct keyed_clear cl = { op, max, 0 };
	int		 res;

	*removed = 0;
	do {
		if (s->fatal)
			return STORE_FATAL;
		res = store_run(s, op->fn, TX_WRITE, keyed_clear_body, &cl);
		if (res == STORE_OK)
			*removed += cl.n;
	} while (res == STORE_OK && cl.n == max);
	return res;
}

/* ---- pages ---------------------------------------------------------- */

static void
keyed_list_reset(struct kop *op)
{
	size_t	 i;

	for (i = 0; i < op->n; i++)
		free(op->recs[i]);
	op->n = 0;
}

/* The default take: the record's json (one without it is left out). */
static int
keyed_take_json(struct store *s, DB_TXN *txn, struct kop *op,
    const char *id, size_t idlen, const DBT *data)
{
	size_t	 alen;

	(void)s;
	(void)txn;
	(void)id;
	(void)idlen;
	if (op->kt->altkind == 0) {
		op->recs[op->n++] = keyed_str(data);
		return STORE_OK;
	}
	if (data->size > 0 &&
	    (alen = strnlen(data->data, data->size)) < data->size)
		op->recs[op->n++] = xstrndup((const char *)data->data + alen +
		    1, data->size - alen - 1);
	return STORE_OK;
}

/* Positions c on the page's first record: after op->after forwards,
 * before it backwards; 0, DB_NOTFOUND or an error. */
static int
keyed_list_first(struct kop *op, DBC *c, const struct buf *p, DBT *key,
    DBT *data)
{
	struct buf	 k;
	int		 ret;

	if (op->desc && op->after == NULL)
		return store_range_last(c, p->p, p->len, key, data, 0);
	buf_init(&k);
	store_key(&k, op->kt->kind, op->team, op->app,
	    op->after != NULL ? op->after : "");
	dbt_in(key, k.p, k.len);
	dbt_out(data);
	ret = c->get(c, key, data, DB_SET_RANGE);
	if (!op->desc) {
		if (ret == 0 && op->after != NULL && key->size == k.len &&
		    memcmp(key->data, k.p, k.len) == 0)
			ret = c->get(c, key, data, DB_NEXT);
	} else if (ret == 0)
		ret = c->get(c, key, data, DB_PREV);
	else if (ret == DB_NOTFOUND)
		ret = c->get(c, key, data, DB_LAST);
	buf_free(&k);
	return ret;
}

static int
keyed_list_body(struct store *s, DB_TXN *txn, void *arg)
{
	struct kop	*op = arg;
	keyed_take_fn	 take = op->take != NULL ? op->take : keyed_take_json;
	DB		*db;
	DBC		*c = NULL;
	DBT		 key, data;
	struct buf	 p;
	int		 ret, res;

	if ((res = store_db(s, op->kt->dbi, &db)) != STORE_OK)
		return res;
	keyed_list_reset(op);
	if ((ret = db->cursor(db, txn, &c, 0)) != 0)
		return store_dberr(s, ret, op->fn, "cursor");
	buf_init(&p);
	store_key(&p, op->kt->kind, op->team, op->app, "");
	ret = keyed_list_first(op, c, &p, &key, &data);
	while (ret == 0 && op->n < op->limit) {
		if (!has_prefix(&key, p.p, p.len)) {
			ret = DB_NOTFOUND;
			break;
		}
		if ((res = take(s, txn, op, (const char *)key.data + p.len,
		    key.size - p.len, &data)) != STORE_OK)
			break;
		ret = c->get(c, &key, &data, op->desc ? DB_PREV : DB_NEXT);
	}
	res = keyed_walk_end(s, op, c, ret, res);
	buf_free(&p);
	if (res != STORE_OK)
		keyed_list_reset(op);
	return res == STORE_NOTFOUND ? STORE_ERR : res;
}

int
store_keyed_list(struct store *s, struct kop *op, char ***recs, size_t *n)
{
	int	 res;

	*recs = NULL;
	*n = 0;
	if (s->fatal)
		return STORE_FATAL;
	op->n = 0;
	op->recs = xcalloc(op->limit > 0 ? op->limit : 1, sizeof(char *));
	res = store_run(s, op->fn, TX_READ, keyed_list_body, op);
	if (res != STORE_OK) {
		keyed_list_reset(op);
		free(op->recs);
		op->recs = NULL;
		return res;
	}
	*recs = op->recs;
	*n = op->n;
	return STORE_OK;
}
