/*
 * store_app.c: the Svix dialect's applications (apps.db), one team's
 * listed in the order of their ids (the model makes ids that sort in
 * creation order), each findable by its id or its uid:
 *
 *   "i" team "\0" id   -> uid "\0" json   (uid "" when it has none)
 *   "u" team "\0" uid  -> id              (the team's uids, unique)
 *   "t" team "\0" name -> json            (the team's event types, in
 *                                          name order: store_evtype_*)
 *   "e" team "\0" app "\0" uuid -> uid     (the application's endpoints,
 *                                          webhooks of the team, in uuid
 *                                          order: store_ep_*)
 *   "n" team "\0" app "\0" uid -> uuid     (their uids, unique in the app)
 *
 * An endpoint's webhook is written in the same transaction as its index
 * keys; one deleted through another dialect leaves its keys, which the
 * readers take for none (a list skips it, its uid may be taken again).
 *
 * Keeping the uid in front of the record lets an update or a delete find
 * the index key to move or remove in the same transaction.  Its static
 * functions are named apps_*.
 */
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

#define APP_DBI		(DBI_TABLES + STORE_APPS)
#define APP_FILE	(store_dbspecs[APP_DBI].file)

struct apps_op {
	const char	*team;
	const char	*ref;		/* an id, or a uid when by_uid */
	int		 by_uid;
	const char	*id;		/* create */
	const char	*uid;		/* create: "" or NULL for none */
	const char	*json;		/* create */
	store_update_fn	 fn;		/* update */
	void		*arg;
	int		*fnret;
	char		**out;		/* get */
	store_rmw_fn	 rmw;		/* event type put */
	/* endpoints */
	const char	*app;		/* the application's id */
	const struct store_wh *wh;	/* create */
	store_ep_fn	 epfn;		/* update */
	/* list */
	char		 kind;		/* 'i' applications, 't' event types,
					   'e' an application's endpoints */
	const char	*after;
	int		 desc;
	size_t		 limit;
	char		**recs;
	size_t		 n;
};

/* kind team "\0" name into b. */
static void
apps_key(struct buf *b, char kind, const char *team, const char *name)
{
	buf_reset(b);
	buf_putc(b, kind);
	buf_addz(b, team);
	buf_puts(b, name);
}

/* The id the op's ref names into id (a store result). */
static int
apps_resolve(struct store *s, DB_TXN *txn, const struct apps_op *op,
    struct buf *id, u_int32_t flags)
{
	DB		*db;
	DBT		 key, data;
	struct buf	 k;
	int		 ret, res;

	if ((res = store_db(s, APP_DBI, &db)) != STORE_OK)
		return res;
	buf_reset(id);
	if (!op->by_uid) {
		buf_puts(id, op->ref);
		return STORE_OK;
	}

	buf_init(&k);
	apps_key(&k, 'u', op->team, op->ref);
	dbt_in(&key, k.p, k.len);
	dbt_out(&data);
	ret = db->get(db, txn, &key, &data, flags);
	if ((res = store_dberr(s, ret, "store_app", APP_FILE)) == STORE_OK)
		buf_add(id, data.data, data.size);
	buf_free(&k);
	return res;
}

static int
apps_create_body(struct store *s, DB_TXN *txn, void *arg)
{
	struct apps_op	*op = arg;
	DB		*db;
	DBT		 key, data;
	struct buf	 k, v;
	int		 res = STORE_OK;
	const char	*uid = op->uid != NULL ? op->uid : "";

	if ((res = store_db(s, APP_DBI, &db)) != STORE_OK)
		return res;
	buf_init(&k);
	buf_init(&v);
	if (uid[0] != '\0') {
		apps_key(&k, 'u', op->team, uid);
		dbt_in(&key, k.p, k.len);
		dbt_in(&data, op->id, strlen(op->id));
		res = store_dberr(s, db->put(db, txn, &key, &data,
		    DB_NOOVERWRITE), "store_app_create", APP_FILE);
	}
	if (res == STORE_OK) {
		apps_key(&k, 'i', op->team, op->id);
		buf_addz(&v, uid);
		buf_puts(&v, op->json);
		dbt_in(&key, k.p, k.len);
		dbt_in(&data, v.p, v.len);
		res = store_dberr(s, db->put(db, txn, &key, &data,
		    DB_NOOVERWRITE), "store_app_create", APP_FILE);
	}
	buf_free(&k);
	buf_free(&v);
	return res;
}

int
store_app_create(struct store *s, const char *team, const char *id,
    const char *uid, const char *json)
{
	struct apps_op	 op;

	if (s->fatal)
		return STORE_FATAL;
	memset(&op, 0, sizeof(op));
	op.team = team;
	op.id = id;
	op.uid = uid;
	op.json = json;
	return store_run(s, "store_app_create", TX_WRITE, apps_create_body, &op);
}

/* The record of op's ref: its key into k, its bytes into v (uid "\0"
 * json). */
static int
apps_read(struct store *s, DB_TXN *txn, const struct apps_op *op,
    struct buf *k, struct buf *v, u_int32_t flags)
{
	DB	*db;
	DBT	 key, data;
	struct buf id;
	int	 res;

	if ((res = store_db(s, APP_DBI, &db)) != STORE_OK)
		return res;
	buf_init(&id);
	res = apps_resolve(s, txn, op, &id, flags);
	if (res == STORE_OK) {
		buf_putc(&id, '\0');
		apps_key(k, 'i', op->team, id.p);
		dbt_in(&key, k->p, k->len);
		dbt_out(&data);
		res = store_dberr(s, db->get(db, txn, &key, &data, flags),
		    "store_app", APP_FILE);
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
apps_get_body(struct store *s, DB_TXN *txn, void *arg)
{
	struct apps_op	*op = arg;
	struct buf	 k, v;
	int		 res;

	buf_init(&k);
	buf_init(&v);
	if ((res = apps_read(s, txn, op, &k, &v, 0)) == STORE_OK) {
		free(*op->out);
		*op->out = xstrdup(v.p + strlen(v.p) + 1);
	}
	buf_free(&k);
	buf_free(&v);
	return res;
}

int
store_app_get(struct store *s, const char *team, const char *ref,
    int by_uid, char **json)
{
	struct apps_op	 op;

	*json = NULL;
	if (s->fatal)
		return STORE_FATAL;
	memset(&op, 0, sizeof(op));
	op.team = team;
	op.ref = ref;
	op.by_uid = by_uid;
	op.out = json;
	return store_run(s, "store_app_get", TX_READ, apps_get_body, &op);
}

static int
apps_update_body(struct store *s, DB_TXN *txn, void *arg)
{
	struct apps_op	*op = arg;
	DB		*db;
	DBT		 key, data;
	struct buf	 k, v, uk;
	char		*uid = NULL, *json = NULL;
	const char	*olduid, *id;
	char		*idz;
	int		 res, rc;

	if ((res = store_db(s, APP_DBI, &db)) != STORE_OK)
		return res;
	buf_init(&k);
	buf_init(&v);
	buf_init(&uk);
	if ((res = apps_read(s, txn, op, &k, &v, DB_RMW)) != STORE_OK)
		goto out;
	olduid = v.p;
	id = k.p + 1 + strlen(op->team) + 1;
	/* k is not NUL-terminated: id ends where k does. */
	idz = xstrndup(id, k.len - (size_t)(id - k.p));
	if ((rc = op->fn(olduid + strlen(olduid) + 1, &uid, &json,
	    op->arg)) != 0) {
		*op->fnret = rc;
		res = STORE_ABORTED;
		free(idz);
		goto out;
	}
	if (uid == NULL)
		uid = xstrdup("");
	if (strcmp(uid, olduid) != 0) {
		if (olduid[0] != '\0') {
			apps_key(&uk, 'u', op->team, olduid);
			dbt_in(&key, uk.p, uk.len);
			res = store_dberr(s, db->del(db, txn, &key, 0),
			    "store_app_update", APP_FILE);
			if (res == STORE_NOTFOUND)
				res = STORE_OK;
		}
		if (res == STORE_OK && uid[0] != '\0') {
			apps_key(&uk, 'u', op->team, uid);
			dbt_in(&key, uk.p, uk.len);
			dbt_in(&data, idz, strlen(idz));
			res = store_dberr(s, db->put(db, txn, &key, &data,
			    DB_NOOVERWRITE), "store_app_update", APP_FILE);
		}
	}
	free(idz);
	if (res != STORE_OK)
		goto out;
	buf_reset(&v);
	buf_addz(&v, uid);
	buf_puts(&v, json);
	dbt_in(&key, k.p, k.len);
	dbt_in(&data, v.p, v.len);
	res = store_dberr(s, db->put(db, txn, &key, &data, 0),
	    "store_app_update", APP_FILE);
out:
	free(uid);
	free(json);
	buf_free(&k);
	buf_free(&v);
	buf_free(&uk);
	return res;
}

int
store_app_update(struct store *s, const char *team, const char *ref,
    int by_uid, store_update_fn fn, void *arg, int *fnret)
{
	struct apps_op	 op;
	int		 dummy = 0;

	if (s->fatal)
		return STORE_FATAL;
	memset(&op, 0, sizeof(op));
	op.team = team;
	op.ref = ref;
	op.by_uid = by_uid;
	op.fn = fn;
	op.arg = arg;
	op.fnret = fnret != NULL ? fnret : &dummy;
	return store_run(s, "store_app_update", TX_WRITE, apps_update_body,
	    &op);
}

static int	ep_delete_all(struct store *, DB *, DB_TXN *, const char *,
	    const char *);

static int
apps_delete_body(struct store *s, DB_TXN *txn, void *arg)
{
	struct apps_op	*op = arg;
	DB		*db;
	DBT		 key;
	struct buf	 k, v, uk;
	int		 res;

	if ((res = store_db(s, APP_DBI, &db)) != STORE_OK)
		return res;
	buf_init(&k);
	buf_init(&v);
	buf_init(&uk);
	if ((res = apps_read(s, txn, op, &k, &v, DB_RMW)) != STORE_OK)
		goto out;
	if (v.p[0] != '\0') {
		apps_key(&uk, 'u', op->team, v.p);
		dbt_in(&key, uk.p, uk.len);
		res = store_dberr(s, db->del(db, txn, &key, 0),
		    "store_app_delete", APP_FILE);
		if (res == STORE_NOTFOUND)
			res = STORE_OK;
	}
	if (res == STORE_OK) {
		dbt_in(&key, k.p, k.len);
		res = store_dberr(s, db->del(db, txn, &key, 0),
		    "store_app_delete", APP_FILE);
		if (res == STORE_NOTFOUND)
			res = STORE_ERR;
	}
	if (res == STORE_OK) {
		/* k is "i" team "\0" id, not NUL-terminated. */
		char *id = xstrndup(k.p + 1 + strlen(op->team) + 1,
		    k.len - 2 - strlen(op->team));

		res = ep_delete_all(s, db, txn, op->team, id);
		free(id);
	}
out:
	buf_free(&k);
	buf_free(&v);
	buf_free(&uk);
	return res;
}

int
store_app_delete(struct store *s, const char *team, const char *ref,
    int by_uid)
{
	struct apps_op	 op;

	if (s->fatal)
		return STORE_FATAL;
	memset(&op, 0, sizeof(op));
	op.team = team;
	op.ref = ref;
	op.by_uid = by_uid;
	return store_run(s, "store_app_delete", TX_WRITE, apps_delete_body,
	    &op);
}

static void
apps_list_reset(struct apps_op *op)
{
	size_t	 i;

	for (i = 0; i < op->n; i++)
		free(op->recs[i]);
	op->n = 0;
}

/* The list's prefix into p: kind team "\0", and app "\0" for endpoints. */
static void
apps_prefix(struct buf *p, const struct apps_op *op)
{
	buf_reset(p);
	buf_putc(p, op->kind);
	buf_addz(p, op->team);
	if (op->app != NULL)
		buf_addz(p, op->app);
}

/* An endpoint of the list (its key's uuid after the prefix): its
 * webhook's json taken, or nothing when the webhook is gone. */
static int
apps_list_ep(struct store *s, DB_TXN *txn, struct apps_op *op,
    const DBT *key, size_t plen)
{
	char	*uuid, *json = NULL;
	int	 res;

	uuid = xstrndup((const char *)key->data + plen, key->size - plen);
	res = store_wh_get_in(s, txn, op->team, uuid, 0, &json);
	free(uuid);
	if (res == STORE_OK)
		op->recs[op->n++] = json;
	return res == STORE_NOTFOUND ? STORE_OK : res;
}

static int
apps_list_body(struct store *s, DB_TXN *txn, void *arg)
{
	struct apps_op	*op = arg;
	DB		*db;
	DBC		*c = NULL;
	DBT		 key, data;
	struct buf	 p, k;
	size_t		 ulen;
	int		 ret, res = STORE_OK;

	if ((res = store_db(s, APP_DBI, &db)) != STORE_OK)
		return res;
	apps_list_reset(op);
	buf_init(&p);
	buf_init(&k);
	apps_prefix(&p, op);
	if ((ret = db->cursor(db, txn, &c, 0)) != 0) {
		res = store_dberr(s, ret, "store_app_list", "cursor");
		goto out;
	}
	dbt_out(&data);
	if (!op->desc) {
		apps_prefix(&k, op);
		if (op->after != NULL)
			buf_puts(&k, op->after);
		dbt_in(&key, k.p, k.len);
		ret = c->get(c, &key, &data, DB_SET_RANGE);
		if (ret == 0 && op->after != NULL && key.size == k.len &&
		    memcmp(key.data, k.p, k.len) == 0)
			ret = c->get(c, &key, &data, DB_NEXT);
	} else if (op->after != NULL) {
		apps_prefix(&k, op);
		buf_puts(&k, op->after);
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
		/* An application's uid "\0" json, an event type's json, an
		 * endpoint's webhook (its index record empty: data.data may
		 * be NULL, which strnlen must not be given). */
		ulen = data.size > 0 ? strnlen(data.data, data.size) : 0;
		if (op->kind == 'e') {
			if ((res = apps_list_ep(s, txn, op, &key, p.len)) !=
			    STORE_OK)
				break;
		} else if (op->kind != 'i')
			op->recs[op->n++] = xstrndup(data.data, data.size);
		else if (ulen < data.size)
			op->recs[op->n++] = xstrndup((char *)data.data + ulen +
			    1, data.size - ulen - 1);
		ret = c->get(c, &key, &data, op->desc ? DB_PREV : DB_NEXT);
	}
	if (res == STORE_OK && ret != 0 && ret != DB_NOTFOUND)
		res = store_dberr(s, ret, "store_app_list", "cursor get");
	ret = c->close(c);
	if (res == STORE_OK && ret != 0)
		res = store_dberr(s, ret, "store_app_list", "cursor close");
out:
	buf_free(&p);
	buf_free(&k);
	if (res != STORE_OK)
		apps_list_reset(op);
	return res == STORE_NOTFOUND ? STORE_ERR : res;
}

static int
apps_list(struct store *s, char kind, const char *team, const char *app,
    const char *after, int desc, size_t limit, char ***recs, size_t *n)
{
	struct apps_op	 op;
	int		 res;

	*recs = NULL;
	*n = 0;
	if (s->fatal)
		return STORE_FATAL;
	memset(&op, 0, sizeof(op));
	op.kind = kind;
	op.team = team;
	op.app = app;
	op.after = after;
	op.desc = desc;
	op.limit = limit;
	op.recs = xcalloc(limit > 0 ? limit : 1, sizeof(char *));
	res = store_run(s, "store_app_list", TX_READ, apps_list_body, &op);
	if (res != STORE_OK) {
		apps_list_reset(&op);
		free(op.recs);
		return res;
	}
	*recs = op.recs;
	*n = op.n;
	return STORE_OK;
}

int
store_app_list(struct store *s, const char *team, const char *after,
    int desc, size_t limit, char ***recs, size_t *n)
{
	return apps_list(s, 'i', team, NULL, after, desc, limit, recs, n);
}

/* ---- event types: "t" team "\0" name -> json ------------------------ */

static int
evtype_get_body(struct store *s, DB_TXN *txn, void *arg)
{
	struct apps_op	*op = arg;
	DB		*db;
	DBT		 key, data;
	struct buf	 k;
	int		 res;

	if ((res = store_db(s, APP_DBI, &db)) != STORE_OK)
		return res;
	buf_init(&k);
	apps_key(&k, 't', op->team, op->ref);
	dbt_in(&key, k.p, k.len);
	dbt_out(&data);
	res = store_dberr(s, db->get(db, txn, &key, &data, 0),
	    "store_evtype_get", APP_FILE);
	if (res == STORE_OK) {
		free(*op->out);
		*op->out = xstrndup(data.data, data.size);
	}
	buf_free(&k);
	return res;
}

int
store_evtype_get(struct store *s, const char *team, const char *name,
    char **json)
{
	struct apps_op	 op;

	*json = NULL;
	if (s->fatal)
		return STORE_FATAL;
	memset(&op, 0, sizeof(op));
	op.team = team;
	op.ref = name;
	op.out = json;
	return store_run(s, "store_evtype_get", TX_READ, evtype_get_body,
	    &op);
}

static int
evtype_put_body(struct store *s, DB_TXN *txn, void *arg)
{
	struct apps_op	*op = arg;
	DB		*db;
	DBT		 key, data;
	struct buf	 k;
	char		*old = NULL, *json = NULL;
	int		 res, rc;

	if ((res = store_db(s, APP_DBI, &db)) != STORE_OK)
		return res;
	buf_init(&k);
	apps_key(&k, 't', op->team, op->ref);
	dbt_in(&key, k.p, k.len);
	dbt_out(&data);
	res = store_dberr(s, db->get(db, txn, &key, &data, DB_RMW),
	    "store_evtype_put", APP_FILE);
	if (res == STORE_OK)
		old = xstrndup(data.data, data.size);
	else if (res != STORE_NOTFOUND)
		goto out;
	if ((rc = op->rmw(old, &json, op->arg)) != 0) {
		*op->fnret = rc;
		res = STORE_ABORTED;
		goto out;
	}
	dbt_in(&key, k.p, k.len);
	dbt_in(&data, json, strlen(json));
	res = store_dberr(s, db->put(db, txn, &key, &data, 0),
	    "store_evtype_put", APP_FILE);
out:
	free(old);
	free(json);
	buf_free(&k);
	return res;
}

int
store_evtype_put(struct store *s, const char *team, const char *name,
    store_rmw_fn fn, void *arg, int *fnret)
{
	struct apps_op	 op;
	int		 dummy = 0;

	if (s->fatal)
		return STORE_FATAL;
	memset(&op, 0, sizeof(op));
	op.team = team;
	op.ref = name;
	op.rmw = fn;
	op.arg = arg;
	op.fnret = fnret != NULL ? fnret : &dummy;
	return store_run(s, "store_evtype_put", TX_WRITE, evtype_put_body,
	    &op);
}

static int
evtype_delete_body(struct store *s, DB_TXN *txn, void *arg)
{
	struct apps_op	*op = arg;
	DB		*db;
	DBT		 key;
	struct buf	 k;
	int		 res;

	if ((res = store_db(s, APP_DBI, &db)) != STORE_OK)
		return res;
	buf_init(&k);
	apps_key(&k, 't', op->team, op->ref);
	dbt_in(&key, k.p, k.len);
	res = store_dberr(s, db->del(db, txn, &key, 0), "store_evtype_delete",
	    APP_FILE);
	buf_free(&k);
	return res;
}

int
store_evtype_delete(struct store *s, const char *team, const char *name)
{
	struct apps_op	 op;

	if (s->fatal)
		return STORE_FATAL;
	memset(&op, 0, sizeof(op));
	op.team = team;
	op.ref = name;
	return store_run(s, "store_evtype_delete", TX_WRITE,
	    evtype_delete_body, &op);
}

int
store_evtype_list(struct store *s, const char *team, const char *after,
    int desc, size_t limit, char ***recs, size_t *n)
{
	return apps_list(s, 't', team, NULL, after, desc, limit, recs, n);
}

/* ---- endpoints: "e" team "\0" app "\0" uuid -> uid, "n" ... uid -> uuid */

/* kind team "\0" app "\0" name into b. */
static void
ep_key(struct buf *b, char kind, const char *team, const char *app,
    const char *name)
{
	buf_reset(b);
	buf_putc(b, kind);
	buf_addz(b, team);
	buf_addz(b, app);
	buf_puts(b, name);
}

/* The uid's key for uuid: STORE_EXISTS when another endpoint of the app
 * that still is one holds it. */
static int
ep_uid_take(struct store *s, DB *db, DB_TXN *txn, const char *team,
    const char *app, const char *uid, const char *uuid, const char *fn)
{
	DBT		 key, data;
	struct buf	 k;
	char		*holder, *json = NULL;
	int		 res;

	buf_init(&k);
	ep_key(&k, 'n', team, app, uid);
	dbt_in(&key, k.p, k.len);
	dbt_out(&data);
	res = store_dberr(s, db->get(db, txn, &key, &data, DB_RMW), fn,
	    APP_FILE);
	if (res == STORE_OK) {
		holder = xstrndup(data.data, data.size);
		if (strcmp(holder, uuid) == 0)
			res = STORE_OK;
		else if ((res = store_wh_get_in(s, txn, team, holder, 0,
		    &json)) == STORE_OK)
			res = STORE_EXISTS;
		else if (res == STORE_NOTFOUND)
			res = STORE_OK;	/* its webhook is gone */
		free(holder);
		free(json);
	} else if (res == STORE_NOTFOUND)
		res = STORE_OK;
	if (res == STORE_OK) {
		dbt_in(&key, k.p, k.len);
		dbt_in(&data, uuid, strlen(uuid));
		res = store_dberr(s, db->put(db, txn, &key, &data, 0), fn,
		    APP_FILE);
	}
	buf_free(&k);
	return res;
}

/* Removes the uid's key when it is uuid's. */
static int
ep_uid_drop(struct store *s, DB *db, DB_TXN *txn, const char *team,
    const char *app, const char *uid, const char *uuid, const char *fn)
{
	DBT		 key, data;
	struct buf	 k;
	int		 res;

	if (uid[0] == '\0')
		return STORE_OK;
	buf_init(&k);
	ep_key(&k, 'n', team, app, uid);
	dbt_in(&key, k.p, k.len);
	dbt_out(&data);
	res = store_dberr(s, db->get(db, txn, &key, &data, DB_RMW), fn,
	    APP_FILE);
	if (res == STORE_OK && data.size == strlen(uuid) &&
	    memcmp(data.data, uuid, data.size) == 0)
		res = store_dberr(s, db->del(db, txn, &key, 0), fn, APP_FILE);
	buf_free(&k);
	return res == STORE_NOTFOUND ? STORE_OK : res;
}

/* The endpoint's index key into k and its uid into *uid (malloc'd). */
static int
ep_read(struct store *s, DB *db, DB_TXN *txn, const struct apps_op *op,
    struct buf *k, char **uid, const char *fn)
{
	DBT	 key, data;
	int	 res;

	ep_key(k, 'e', op->team, op->app, op->ref);
	dbt_in(&key, k->p, k->len);
	dbt_out(&data);
	res = store_dberr(s, db->get(db, txn, &key, &data, DB_RMW), fn,
	    APP_FILE);
	if (res == STORE_OK)
		*uid = xstrndup(data.data, data.size);
	return res;
}

static int
ep_put(struct store *s, DB *db, DB_TXN *txn, const struct buf *k,
    const char *uid, const char *fn)
{
	DBT	 key, data;

	dbt_in(&key, k->p, k->len);
	dbt_in(&data, uid, strlen(uid));
	return store_dberr(s, db->put(db, txn, &key, &data, 0), fn, APP_FILE);
}

static int
ep_create_body(struct store *s, DB_TXN *txn, void *arg)
{
	static const char fn[] = "store_ep_create";
	struct apps_op	*op = arg;
	DB		*db;
	DBT		 key, data;
	struct buf	 k;
	const char	*uid = op->uid != NULL ? op->uid : "";
	int		 res;

	if ((res = store_db(s, APP_DBI, &db)) != STORE_OK)
		return res;
	buf_init(&k);
	/* The application, read-locked until the commit: its delete waits. */
	apps_key(&k, 'i', op->team, op->app);
	dbt_in(&key, k.p, k.len);
	dbt_out(&data);
	res = store_dberr(s, db->get(db, txn, &key, &data, 0), fn, APP_FILE);
	if (res == STORE_OK && uid[0] != '\0')
		res = ep_uid_take(s, db, txn, op->team, op->app, uid,
		    op->wh->uuid, fn);
	if (res == STORE_OK) {
		ep_key(&k, 'e', op->team, op->app, op->wh->uuid);
		res = ep_put(s, db, txn, &k, uid, fn);
	}
	if (res == STORE_OK)
		res = store_wh_create_in(s, txn, op->wh, 0);
	buf_free(&k);
	return res;
}

int
store_ep_create(struct store *s, const char *app, const char *uid,
    const struct store_wh *wh)
{
	struct apps_op	 op;

	if (s->fatal)
		return STORE_FATAL;
	memset(&op, 0, sizeof(op));
	op.team = wh->team;
	op.app = app;
	op.uid = uid;
	op.wh = wh;
	return store_run(s, "store_ep_create", TX_WRITE, ep_create_body, &op);
}

static int
ep_uid_body(struct store *s, DB_TXN *txn, void *arg)
{
	struct apps_op	*op = arg;
	DB		*db;
	DBT		 key, data;
	struct buf	 k;
	int		 res;

	if ((res = store_db(s, APP_DBI, &db)) != STORE_OK)
		return res;
	buf_init(&k);
	ep_key(&k, 'n', op->team, op->app, op->ref);
	dbt_in(&key, k.p, k.len);
	dbt_out(&data);
	res = store_dberr(s, db->get(db, txn, &key, &data, 0), "store_ep_uid",
	    APP_FILE);
	if (res == STORE_OK) {
		free(*op->out);
		*op->out = xstrndup(data.data, data.size);
	}
	buf_free(&k);
	return res;
}

int
store_ep_uid(struct store *s, const char *team, const char *app,
    const char *uid, char **uuid)
{
	struct apps_op	 op;

	*uuid = NULL;
	if (s->fatal)
		return STORE_FATAL;
	memset(&op, 0, sizeof(op));
	op.team = team;
	op.app = app;
	op.ref = uid;
	op.out = uuid;
	return store_run(s, "store_ep_uid", TX_READ, ep_uid_body, &op);
}

/* store_wh_update_in's callback around the endpoint's: its uid kept. */
struct ep_upd {
	store_ep_fn	 fn;
	void		*arg;
	char		*uid;
};

static int
ep_update_fn(const char *old, char **url, char **json, void *arg)
{
	struct ep_upd	*u = arg;

	free(u->uid);
	u->uid = NULL;
	return u->fn(old, url, &u->uid, json, u->arg);
}

static int
ep_update_body(struct store *s, DB_TXN *txn, void *arg)
{
	static const char fn[] = "store_ep_update";
	struct apps_op	*op = arg;
	struct ep_upd	 u;
	DB		*db;
	struct buf	 k;
	char		*olduid = NULL;
	const char	*uid;
	int		 res;

	if ((res = store_db(s, APP_DBI, &db)) != STORE_OK)
		return res;
	buf_init(&k);
	memset(&u, 0, sizeof(u));
	u.fn = op->epfn;
	u.arg = op->arg;
	if ((res = ep_read(s, db, txn, op, &k, &olduid, fn)) != STORE_OK)
		goto out;
	if ((res = store_wh_update_in(s, txn, op->team, op->ref,
	    ep_update_fn, &u, op->fnret)) != STORE_OK)
		goto out;
	uid = u.uid != NULL ? u.uid : "";
	if (strcmp(uid, olduid) == 0)
		goto out;
	if ((res = ep_uid_drop(s, db, txn, op->team, op->app, olduid,
	    op->ref, fn)) == STORE_OK && uid[0] != '\0')
		res = ep_uid_take(s, db, txn, op->team, op->app, uid, op->ref,
		    fn);
	if (res == STORE_OK)
		res = ep_put(s, db, txn, &k, uid, fn);
out:
	free(u.uid);
	free(olduid);
	buf_free(&k);
	return res;
}

int
store_ep_update(struct store *s, const char *team, const char *app,
    const char *uuid, store_ep_fn fn, void *arg, int *fnret)
{
	struct apps_op	 op;
	int		 dummy = 0;

	if (s->fatal)
		return STORE_FATAL;
	memset(&op, 0, sizeof(op));
	op.team = team;
	op.app = app;
	op.ref = uuid;
	op.epfn = fn;
	op.arg = arg;
	op.fnret = fnret != NULL ? fnret : &dummy;
	return store_run(s, "store_ep_update", TX_WRITE, ep_update_body, &op);
}

static int
ep_delete_body(struct store *s, DB_TXN *txn, void *arg)
{
	static const char fn[] = "store_ep_delete";
	struct apps_op	*op = arg;
	DB		*db;
	DBT		 key;
	struct buf	 k;
	char		*uid = NULL;
	int		 res;

	if ((res = store_db(s, APP_DBI, &db)) != STORE_OK)
		return res;
	buf_init(&k);
	if ((res = ep_read(s, db, txn, op, &k, &uid, fn)) != STORE_OK)
		goto out;
	dbt_in(&key, k.p, k.len);
	if ((res = store_dberr(s, db->del(db, txn, &key, 0), fn, APP_FILE)) ==
	    STORE_OK)
		res = ep_uid_drop(s, db, txn, op->team, op->app, uid, op->ref,
		    fn);
	if (res == STORE_OK)
		res = store_wh_delete_in(s, txn, op->team, op->ref);
out:
	free(uid);
	buf_free(&k);
	return res;
}

int
store_ep_delete(struct store *s, const char *team, const char *app,
    const char *uuid)
{
	struct apps_op	 op;

	if (s->fatal)
		return STORE_FATAL;
	memset(&op, 0, sizeof(op));
	op.team = team;
	op.app = app;
	op.ref = uuid;
	return store_run(s, "store_ep_delete", TX_WRITE, ep_delete_body, &op);
}

int
store_ep_list(struct store *s, const char *team, const char *app,
    const char *after, int desc, size_t limit, char ***recs, size_t *n)
{
	return apps_list(s, 'e', team, app, after, desc, limit, recs, n);
}

/*
 * The application's endpoints removed with it (apps_delete_body): each
 * index key, its uid's key and its webhook (one already gone is skipped).
 */
static int
ep_delete_all(struct store *s, DB *db, DB_TXN *txn, const char *team,
    const char *app)
{
	static const char fn[] = "store_app_delete";
	DBC		*c = NULL;
	DBT		 key, data;
	struct buf	 p;
	char		*uuid, *uid;
	int		 ret, res = STORE_OK;

	buf_init(&p);
	ep_key(&p, 'e', team, app, "");
	if ((ret = db->cursor(db, txn, &c, 0)) != 0) {
		buf_free(&p);
		return store_dberr(s, ret, fn, "cursor");
	}
	dbt_in(&key, p.p, p.len);
	dbt_out(&data);
	ret = c->get(c, &key, &data, DB_SET_RANGE | DB_RMW);
	while (ret == 0 && has_prefix(&key, p.p, p.len)) {
		uuid = xstrndup((const char *)key.data + p.len,
		    key.size - p.len);
		uid = xstrndup(data.data, data.size);
		res = store_dberr(s, c->del(c, 0), fn, "cursor del");
		if (res == STORE_OK)
			res = ep_uid_drop(s, db, txn, team, app, uid, uuid, fn);
		if (res == STORE_OK &&
		    (res = store_wh_delete_in(s, txn, team, uuid)) ==
		    STORE_NOTFOUND)
			res = STORE_OK;
		free(uuid);
		free(uid);
		if (res != STORE_OK)
			break;
		ret = c->get(c, &key, &data, DB_NEXT | DB_RMW);
	}
	if (res == STORE_OK && ret != 0 && ret != DB_NOTFOUND)
		res = store_dberr(s, ret, fn, "cursor get");
	ret = c->close(c);
	if (res == STORE_OK && ret != 0)
		res = store_dberr(s, ret, fn, "cursor close");
	buf_free(&p);
	return res;
}
