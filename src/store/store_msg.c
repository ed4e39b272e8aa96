/*
 * store_msg.c: the Svix dialect's messages (msgs.db), one application's
 * listed in the order of their ids (a message's id comes from a version 7
 * UUID: creation order), each findable by its id or its eventId:
 *
 *   "m" team "\0" app "\0" id       -> eventId "\0" json  (eventId "" when
 *                                      it has none)
 *   "e" team "\0" app "\0" eventId  -> id   (the application's eventIds,
 *                                      unique)
 *
 * As store_app.c keeps a uid in front of its record, so that a removal
 * finds the index key in the same transaction.  Static functions: msgs_*.
 */
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

#define MSG_DBI		(DBI_TABLES + STORE_MSGS)
#define MSG_FILE	(store_dbspecs[MSG_DBI].file)

struct msgs_op {
	const char	*team;
	const char	*app;
	const char	*ref;		/* an id, or an eventId when by_event */
	int		 by_event;
	const char	*event_id;	/* create */
	const char	*json;		/* create */
	char		**out;		/* get */
	/* list */
	const char	*after;
	int		 desc;
	size_t		 limit;
	char		**recs;
	size_t		 n;
};

/* kind team "\0" app "\0" name into b. */
static void
msgs_key(struct buf *b, char kind, const char *team, const char *app,
    const char *name)
{
	buf_reset(b);
	buf_putc(b, kind);
	buf_addz(b, team);
	buf_addz(b, app);
	buf_puts(b, name);
}

static int
msgs_create_body(struct store *s, DB_TXN *txn, void *arg)
{
	struct msgs_op	*op = arg;
	DB		*db;
	DBT		 key, data;
	struct buf	 k, v;
	const char	*eid = op->event_id != NULL ? op->event_id : "";
	int		 res = STORE_OK;

	if ((res = store_db(s, MSG_DBI, &db)) != STORE_OK)
		return res;
	buf_init(&k);
	buf_init(&v);
	if (eid[0] != '\0') {
		msgs_key(&k, 'e', op->team, op->app, eid);
		dbt_in(&key, k.p, k.len);
		dbt_in(&data, op->ref, strlen(op->ref));
		res = store_dberr(s, db->put(db, txn, &key, &data,
		    DB_NOOVERWRITE), "store_msg_create", MSG_FILE);
	}
	if (res == STORE_OK) {
		msgs_key(&k, 'm', op->team, op->app, op->ref);
		buf_addz(&v, eid);
		buf_puts(&v, op->json);
		dbt_in(&key, k.p, k.len);
		dbt_in(&data, v.p, v.len);
		res = store_dberr(s, db->put(db, txn, &key, &data,
		    DB_NOOVERWRITE), "store_msg_create", MSG_FILE);
	}
	buf_free(&k);
	buf_free(&v);
	return res;
}

int
store_msg_create(struct store *s, const char *team, const char *app,
    const char *id, const char *event_id, const char *json)
{
	struct msgs_op	 op;

	if (s->fatal)
		return STORE_FATAL;
	memset(&op, 0, sizeof(op));
	op.team = team;
	op.app = app;
	op.ref = id;
	op.event_id = event_id;
	op.json = json;
	return store_run(s, "store_msg_create", TX_WRITE, msgs_create_body,
	    &op);
}

/* The record op names: its key into k, its bytes (eventId "\0" json,
 * NUL-terminated) into v. */
static int
msgs_read(struct store *s, DB_TXN *txn, const struct msgs_op *op,
    struct buf *k, struct buf *v, u_int32_t flags)
{
	DB		*db;
	DBT		 key, data;
	struct buf	 id;
	int		 res;

	if ((res = store_db(s, MSG_DBI, &db)) != STORE_OK)
		return res;
	buf_init(&id);
	if (op->by_event) {
		msgs_key(k, 'e', op->team, op->app, op->ref);
		dbt_in(&key, k->p, k->len);
		dbt_out(&data);
		res = store_dberr(s, db->get(db, txn, &key, &data, flags),
		    "store_msg", MSG_FILE);
		if (res == STORE_OK)
			buf_add(&id, data.data, data.size);
	} else
		buf_puts(&id, op->ref);
	if (res == STORE_OK) {
		buf_putc(&id, '\0');
		msgs_key(k, 'm', op->team, op->app, id.p);
		dbt_in(&key, k->p, k->len);
		dbt_out(&data);
		res = store_dberr(s, db->get(db, txn, &key, &data, flags),
		    "store_msg", MSG_FILE);
		if (res == STORE_OK) {
			buf_reset(v);
			buf_add(v, data.data, data.size);
			buf_putc(v, '\0');
		}
	}
	buf_free(&id);
	return res;
}

static int
msgs_get_body(struct store *s, DB_TXN *txn, void *arg)
{
	struct msgs_op	*op = arg;
	struct buf	 k, v;
	int		 res;

	buf_init(&k);
	buf_init(&v);
	if ((res = msgs_read(s, txn, op, &k, &v, 0)) == STORE_OK) {
		free(*op->out);
		*op->out = xstrdup(v.p + strlen(v.p) + 1);
	}
	buf_free(&k);
	buf_free(&v);
	return res;
}

int
store_msg_get(struct store *s, const char *team, const char *app,
    const char *ref, int by_event, char **json)
{
	struct msgs_op	 op;

	*json = NULL;
	if (s->fatal)
		return STORE_FATAL;
	memset(&op, 0, sizeof(op));
	op.team = team;
	op.app = app;
	op.ref = ref;
	op.by_event = by_event;
	op.out = json;
	return store_run(s, "store_msg_get", TX_READ, msgs_get_body, &op);
}

/* Removes the record of key k[0..klen) and its eventId's index key. */
static int
msgs_del(struct store *s, DB *db, DB_TXN *txn, const void *k, size_t klen,
    const char *eid)
{
	DBT		 key;
	struct buf	 ek;
	const char	*app;
	int		 res = STORE_OK;

	buf_init(&ek);
	if (eid[0] != '\0') {
		/* "m" team "\0" app "\0" id: the same team and app. */
		app = (const char *)k + 1 + strlen((const char *)k + 1) + 1;
		buf_putc(&ek, 'e');
		buf_add(&ek, (const char *)k + 1, (size_t)(app - (const char *)k
		    - 1));
		buf_addz(&ek, app);
		buf_puts(&ek, eid);
		dbt_in(&key, ek.p, ek.len);
		res = store_dberr(s, db->del(db, txn, &key, 0),
		    "store_msg_delete", MSG_FILE);
		if (res == STORE_NOTFOUND)
			res = STORE_OK;
	}
	if (res == STORE_OK) {
		dbt_in(&key, (void *)k, klen);
		res = store_dberr(s, db->del(db, txn, &key, 0),
		    "store_msg_delete", MSG_FILE);
	}
	buf_free(&ek);
	return res;
}

static int
msgs_delete_body(struct store *s, DB_TXN *txn, void *arg)
{
	struct msgs_op	*op = arg;
	DB		*db;
	struct buf	 k, v;
	int		 res;

	if ((res = store_db(s, MSG_DBI, &db)) != STORE_OK)
		return res;
	buf_init(&k);
	buf_init(&v);
	if ((res = msgs_read(s, txn, op, &k, &v, DB_RMW)) == STORE_OK) {
		buf_putc(&k, '\0');	/* for msgs_del's strlen */
		res = msgs_del(s, db, txn, k.p, k.len - 1, v.p);
	}
	buf_free(&k);
	buf_free(&v);
	return res;
}

int
store_msg_delete(struct store *s, const char *team, const char *app,
    const char *id)
{
	struct msgs_op	 op;

	if (s->fatal)
		return STORE_FATAL;
	memset(&op, 0, sizeof(op));
	op.team = team;
	op.app = app;
	op.ref = id;
	return store_run(s, "store_msg_delete", TX_WRITE, msgs_delete_body,
	    &op);
}

static void
msgs_list_reset(struct msgs_op *op)
{
	size_t	 i;

	for (i = 0; i < op->n; i++)
		free(op->recs[i]);
	op->n = 0;
}

static int
msgs_list_body(struct store *s, DB_TXN *txn, void *arg)
{
	struct msgs_op	*op = arg;
	DB		*db;
	DBC		*c = NULL;
	DBT		 key, data;
	struct buf	 p, k;
	size_t		 elen;
	int		 ret, res;

	if ((res = store_db(s, MSG_DBI, &db)) != STORE_OK)
		return res;
	msgs_list_reset(op);
	buf_init(&p);
	buf_init(&k);
	msgs_key(&p, 'm', op->team, op->app, "");
	if ((ret = db->cursor(db, txn, &c, 0)) != 0) {
		res = store_dberr(s, ret, "store_msg_list", "cursor");
		goto out;
	}
	dbt_out(&data);
	if (!op->desc) {
		msgs_key(&k, 'm', op->team, op->app, op->after != NULL ?
		    op->after : "");
		dbt_in(&key, k.p, k.len);
		ret = c->get(c, &key, &data, DB_SET_RANGE);
		if (ret == 0 && op->after != NULL && key.size == k.len &&
		    memcmp(key.data, k.p, k.len) == 0)
			ret = c->get(c, &key, &data, DB_NEXT);
	} else if (op->after != NULL) {
		msgs_key(&k, 'm', op->team, op->app, op->after);
		dbt_in(&key, k.p, k.len);
		ret = c->get(c, &key, &data, DB_SET_RANGE);
		if (ret == 0)
			ret = c->get(c, &key, &data, DB_PREV);
		else if (ret == DB_NOTFOUND)
			ret = c->get(c, &key, &data, DB_LAST);
	} else
		ret = store_range_last(c, p.p, p.len, &key, &data, 0);
	while (ret == 0 && op->n < op->limit) {
		if (!has_prefix(&key, p.p, p.len)) {
			ret = DB_NOTFOUND;
			break;
		}
		elen = strnlen(data.data, data.size);
		if (elen < data.size)
			op->recs[op->n++] = xstrndup((char *)data.data + elen +
			    1, data.size - elen - 1);
		ret = c->get(c, &key, &data, op->desc ? DB_PREV : DB_NEXT);
	}
	if (ret != 0 && ret != DB_NOTFOUND)
		res = store_dberr(s, ret, "store_msg_list", "cursor get");
	ret = c->close(c);
	if (res == STORE_OK && ret != 0)
		res = store_dberr(s, ret, "store_msg_list", "cursor close");
out:
	buf_free(&p);
	buf_free(&k);
	if (res != STORE_OK)
		msgs_list_reset(op);
	return res == STORE_NOTFOUND ? STORE_ERR : res;
}

int
store_msg_list(struct store *s, const char *team, const char *app,
    const char *after, int desc, size_t limit, char ***recs, size_t *n)
{
	struct msgs_op	 op;
	int		 res;

	*recs = NULL;
	*n = 0;
	if (s->fatal)
		return STORE_FATAL;
	memset(&op, 0, sizeof(op));
	op.team = team;
	op.app = app;
	op.after = after;
	op.desc = desc;
	op.limit = limit;
	op.recs = xcalloc(limit > 0 ? limit : 1, sizeof(char *));
	res = store_run(s, "store_msg_list", TX_READ, msgs_list_body, &op);
	if (res != STORE_OK) {
		msgs_list_reset(&op);
		free(op.recs);
		return res;
	}
	*recs = op.recs;
	*n = op.n;
	return STORE_OK;
}

/* ---- pruning: a scan of every message, then one removal each ---------- */

struct msgs_prune {
	store_msg_old_fn  old;
	void		 *arg;
};

/* The scan's take: the records old() names, key and eventId. */
static int
msgs_prune_take(struct store *s, DB_TXN *txn, struct scan *sc,
    const DBT *key, const DBT *data)
{
	const struct msgs_prune	*pr = sc->arg;
	size_t			 elen;
	char			*json;
	int			 old;

	(void)s;
	(void)txn;
	elen = strnlen(data->data, data->size);
	if (elen >= data->size)
		return STORE_OK;
	json = xstrndup((char *)data->data + elen + 1, data->size - elen - 1);
	old = pr->old(json, pr->arg);
	free(json);
	if (old) {
		sc->keys[sc->n] = xmalloc(key->size + 1);
		memcpy(sc->keys[sc->n], key->data, key->size);
		sc->keys[sc->n][key->size] = '\0';
		/* The key has NULs: its length in front of the eventId. */
		sc->vals[sc->n] = xmalloc(sizeof(size_t) + elen + 1);
		memcpy(sc->vals[sc->n], &key->size, sizeof(size_t));
		memcpy(sc->vals[sc->n] + sizeof(size_t), data->data, elen);
		sc->vals[sc->n][sizeof(size_t) + elen] = '\0';
		sc->n++;
	}
	return STORE_OK;
}

struct msgs_rm {
	const char	*key;
	size_t		 klen;
	const char	*eid;
};

static int
msgs_rm_body(struct store *s, DB_TXN *txn, void *arg)
{
	struct msgs_rm	*rm = arg;
	DB		*db;
	int		 res;

	if ((res = store_db(s, MSG_DBI, &db)) != STORE_OK)
		return res;
	return msgs_del(s, db, txn, rm->key, rm->klen, rm->eid);
}

struct msgs_prune_run {
	struct store	*s;
	size_t		 removed;
};

static int
msgs_prune_one(const char *key, const char *val, void *arg)
{
	struct msgs_prune_run	*r = arg;
	struct msgs_rm		 rm;
	size_t			 klen;

	memcpy(&klen, val, sizeof(size_t));
	rm.key = key;
	rm.klen = klen;
	rm.eid = val + sizeof(size_t);
	if (store_run(r->s, "store_msg_prune", TX_WRITE_NOSYNC, msgs_rm_body,
	    &rm) == STORE_OK)
		r->removed++;
	return 0;
}

int
store_msg_prune(struct store *s, store_msg_old_fn old, void *arg,
    size_t *removed)
{
	struct msgs_prune	 pr;
	struct msgs_prune_run	 r;
	struct scan		 sc;
	int			 res;

	*removed = 0;
	if (s->fatal)
		return STORE_FATAL;
	memset(&pr, 0, sizeof(pr));
	pr.old = old;
	pr.arg = arg;
	memset(&sc, 0, sizeof(sc));
	sc.dbi = MSG_DBI;
	sc.fn = "store_msg_prune";
	sc.prefix = "m";
	sc.plen = 1;
	sc.take = msgs_prune_take;
	sc.arg = &pr;
	r.s = s;
	r.removed = 0;
	res = store_scan_run(s, &sc, msgs_prune_one, &r);
	*removed = r.removed;
	return res;
}

/* ---- an application's messages, all of them ----------------------------- */

#define PURGE_BATCH	1000	/* keys removed at most a transaction */

struct msgs_purge {
	struct buf	 prefix;
	size_t		 n;		/* removed by the last run */
};

static int
msgs_purge_body(struct store *s, DB_TXN *txn, void *arg)
{
	struct msgs_purge *pu = arg;
	DB		*db;
	DBC		*c = NULL;
	DBT		 key, data;
	int		 ret, res;

	pu->n = 0;
	if ((res = store_db(s, MSG_DBI, &db)) != STORE_OK)
		return res;
	if ((ret = db->cursor(db, txn, &c, 0)) != 0)
		return store_dberr(s, ret, "store_msg_purge", "cursor");
	dbt_in(&key, pu->prefix.p, pu->prefix.len);
	dbt_out(&data);
	ret = c->get(c, &key, &data, DB_SET_RANGE | DB_RMW);
	while (ret == 0 && pu->n < PURGE_BATCH &&
	    has_prefix(&key, pu->prefix.p, pu->prefix.len)) {
		if ((ret = c->del(c, 0)) != 0)
			break;
		pu->n++;
		ret = c->get(c, &key, &data, DB_NEXT | DB_RMW);
	}
	if (ret != 0 && ret != DB_NOTFOUND)
		res = store_dberr(s, ret, "store_msg_purge", "cursor");
	ret = c->close(c);
	if (res == STORE_OK && ret != 0)
		res = store_dberr(s, ret, "store_msg_purge", "cursor close");
	return res == STORE_NOTFOUND ? STORE_ERR : res;
}

int
store_msg_delete_app(struct store *s, const char *team, const char *app,
    size_t *removed)
{
	struct msgs_purge pu;
	const char	 kinds[] = { 'm', 'e' };
	size_t		 i, total = 0;
	int		 res = STORE_OK;

	if (s->fatal)
		return STORE_FATAL;
	buf_init(&pu.prefix);
	for (i = 0; i < sizeof(kinds) && res == STORE_OK; i++) {
		msgs_key(&pu.prefix, kinds[i], team, app, "");
		do {
			res = store_run(s, "store_msg_delete_app", TX_WRITE,
			    msgs_purge_body, &pu);
			if (res == STORE_OK && kinds[i] == 'm')
				total += pu.n;
		} while (res == STORE_OK && pu.n == PURGE_BATCH);
	}
	buf_free(&pu.prefix);
	if (removed != NULL)
		*removed = total;
	return res;
}

/* ---- a message's JSON replaced (its payload expunged) ------------------- */

static int
msgs_replace_body(struct store *s, DB_TXN *txn, void *arg)
{
	struct msgs_op	*op = arg;
	DB		*db;
	DBT		 key, data;
	struct buf	 k, v, nv;
	int		 res;

	if ((res = store_db(s, MSG_DBI, &db)) != STORE_OK)
		return res;
	buf_init(&k);
	buf_init(&v);
	buf_init(&nv);
	if ((res = msgs_read(s, txn, op, &k, &v, DB_RMW)) == STORE_OK) {
		buf_addz(&nv, v.p);	/* the eventId, kept */
		buf_puts(&nv, op->json);
		dbt_in(&key, k.p, k.len);
		dbt_in(&data, nv.p, nv.len);
		res = store_dberr(s, db->put(db, txn, &key, &data, 0),
		    "store_msg_replace", MSG_FILE);
	}
	buf_free(&k);
	buf_free(&v);
	buf_free(&nv);
	return res;
}

int
store_msg_replace(struct store *s, const char *team, const char *app,
    const char *id, const char *json)
{
	struct msgs_op	 op;

	if (s->fatal)
		return STORE_FATAL;
	memset(&op, 0, sizeof(op));
	op.team = team;
	op.app = app;
	op.ref = id;
	op.json = json;
	return store_run(s, "store_msg_replace", TX_WRITE, msgs_replace_body,
	    &op);
}
