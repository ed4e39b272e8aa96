/*
 * store_team.c: the databases that map a key to a JSON text: teams (name),
 * tokens (the SHA-256 hex of a token) and the small tables of enum
 * store_table (idempotency records, admin sessions, login limits, server
 * secrets, counters), with a read-modify-write for counters (also one
 * done in another write's transaction: store_also).  The JSON is the
 * callers'; the store only keeps it.  Its static functions are named kv_*.
 */
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

/* ---- simple key -> json databases ---------------------------------- */

struct kv {
	int		 dbi;
	const char	*key;
	const char	*json;
	u_int32_t	 putflags;
	char		**existing;
};

static int
kv_put_body(struct store *s, DB_TXN *txn, void *arg)
{
	struct kv	*kv = arg;
	DB		*db;
	DBT		 key, data;
	int		 ret, res;

	if ((res = store_db(s, kv->dbi, &db)) != STORE_OK)
		return res;
	dbt_in(&key, kv->key, strlen(kv->key));
	dbt_in(&data, kv->json, strlen(kv->json));
	ret = db->put(db, txn, &key, &data, kv->putflags);
	res = store_dberr(s, ret, "store_put", store_dbspecs[kv->dbi].file);
	if (res == STORE_EXISTS && kv->existing != NULL) {
		dbt_out(&data);
		ret = db->get(db, txn, &key, &data, 0);
		if ((res = store_dberr(s, ret, "store_put_new",
		    store_dbspecs[kv->dbi].file)) != STORE_OK)
			return res == STORE_NOTFOUND ? STORE_ERR : res;
		free(*kv->existing);
		*kv->existing = xstrndup(data.data, data.size);
		return STORE_EXISTS;
	}
	return res;
}

static int
kv_put(struct store *s, int dbi, const char *key, const char *json,
    u_int32_t flags, char **existing, const char *fn)
{
	struct kv	 kv = { dbi, key, json, flags, existing };

	if (existing != NULL)
		*existing = NULL;
	if (s->fatal)
		return STORE_FATAL;
	return store_run(s, fn, TX_WRITE, kv_put_body, &kv);
}

static int
kv_get(struct store *s, int dbi, const char *k, char **json, const char *fn)
{
	DBT	 key, data;
	int	 res;

	*json = NULL;
	if (s->fatal)
		return STORE_FATAL;
	dbt_in(&key, k, strlen(k));
	if ((res = store_get_one(s, dbi, &key, &data, fn)) != STORE_OK)
		return res;
	*json = xstrndup(data.data, data.size);
	return STORE_OK;
}

static int
kv_del_body(struct store *s, DB_TXN *txn, void *arg)
{
	struct kv	*kv = arg;
	DB		*db;
	DBT		 key;
	int		 res;

	if ((res = store_db(s, kv->dbi, &db)) != STORE_OK)
		return res;
	dbt_in(&key, kv->key, strlen(kv->key));
	return store_dberr(s, db->del(db, txn, &key, 0), "store_del",
	    store_dbspecs[kv->dbi].file);
}

static int
kv_del(struct store *s, int dbi, const char *key, const char *fn)
{
	struct kv	 kv = { dbi, key, NULL, 0, NULL };

	if (s->fatal)
		return STORE_FATAL;
	return store_run(s, fn, TX_WRITE, kv_del_body, &kv);
}

static int
kv_foreach(struct store *s, int dbi, store_each_fn fn, void *arg,
    const char *where)
{
	struct scan	 sc;

	memset(&sc, 0, sizeof(sc));
	sc.dbi = dbi;
	sc.fn = where;
	sc.prefix = "";
	return store_scan_run(s, &sc, fn, arg);
}

/* ---- teams and tokens ---------------------------------------------- */

int
store_team_add(struct store *s, const char *name, const char *json)
{
	return kv_put(s, DBI_TEAMS, name, json, DB_NOOVERWRITE, NULL,
	    "store_team_add");
}

int
store_team_get(struct store *s, const char *name, char **json)
{
	return kv_get(s, DBI_TEAMS, name, json, "store_team_get");
}

int
store_team_foreach(struct store *s, store_each_fn fn, void *arg)
{
	return kv_foreach(s, DBI_TEAMS, fn, arg, "store_team_foreach");
}

int
store_token_add(struct store *s, const char *hash, const char *json)
{
	return kv_put(s, DBI_TOKENS, hash, json, DB_NOOVERWRITE, NULL,
	    "store_token_add");
}

int
store_token_get(struct store *s, const char *hash, char **json)
{
	return kv_get(s, DBI_TOKENS, hash, json, "store_token_get");
}

int
store_token_del(struct store *s, const char *hash)
{
	return kv_del(s, DBI_TOKENS, hash, "store_token_del");
}

int
store_token_foreach(struct store *s, store_each_fn fn, void *arg)
{
	return kv_foreach(s, DBI_TOKENS, fn, arg, "store_token_foreach");
}

/* ---- generic tables -------------------------------------------------- */

static int
kv_table_dbi(enum store_table t)
{
	if ((int)t < 0 || t >= STORE_NTABLES)
		log_panic("store: no table %d", (int)t);
	return DBI_TABLES + (int)t;
}

int
store_put(struct store *s, enum store_table t, const char *key,
    const char *json)
{
	return kv_put(s, kv_table_dbi(t), key, json, 0, NULL, "store_put");
}

int
store_put_new(struct store *s, enum store_table t, const char *key,
    const char *json, char **existing)
{
	return kv_put(s, kv_table_dbi(t), key, json, DB_NOOVERWRITE, existing,
	    "store_put_new");
}

int
store_get(struct store *s, enum store_table t, const char *key, char **json)
{
	return kv_get(s, kv_table_dbi(t), key, json, "store_get");
}

int
store_del(struct store *s, enum store_table t, const char *key)
{
	return kv_del(s, kv_table_dbi(t), key, "store_del");
}

int
store_foreach(struct store *s, enum store_table t, store_each_fn fn,
    void *arg)
{
	return kv_foreach(s, kv_table_dbi(t), fn, arg, "store_foreach");
}

struct rmw {
	int		 dbi;
	const char	*key;
	store_rmw_fn	 fn;
	void		*arg;
	int		 fnret;
	int		 optional;	/* store_also's: no json, no write */
};

static int
kv_rmw_body(struct store *s, DB_TXN *txn, void *arg)
{
	struct rmw	*op = arg;
	DB		*db;
	DBT		 key, data;
	char		*old = NULL, *njson = NULL;
	int		 res, rc;

	if ((res = store_db(s, op->dbi, &db)) != STORE_OK)
		return res;
	dbt_in(&key, op->key, strlen(op->key));
	dbt_out(&data);
	res = store_dberr(s, db->get(db, txn, &key, &data, DB_RMW),
	    "store_update", store_dbspecs[op->dbi].file);
	if (res == STORE_OK)
		old = xstrndup(data.data, data.size);
	else if (res != STORE_NOTFOUND)
		return res;
	if ((rc = op->fn(old, &njson, op->arg)) != 0) {
		op->fnret = rc;
		res = STORE_ABORTED;
	} else if (njson == NULL && op->optional) {
		res = STORE_OK;
	} else if (njson == NULL) {
		log_warn("store_update: the callback gave no json");
		res = STORE_ERR;
	} else {
		dbt_in(&key, op->key, strlen(op->key));
		dbt_in(&data, njson, strlen(njson));
		res = store_dberr(s, db->put(db, txn, &key, &data, 0),
		    "store_update", store_dbspecs[op->dbi].file);
	}
	free(old);
	free(njson);
	return res;
}

static int
kv_update(struct store *s, enum store_table t, const char *key,
    store_rmw_fn fn, void *arg, int *fnret, enum txmode mode)
{
	struct rmw	 op = { kv_table_dbi(t), key, fn, arg, 0, 0 };
	int		 res;

	if (s->fatal)
		return STORE_FATAL;
	res = store_run(s, "store_update", mode, kv_rmw_body, &op);
	if (fnret != NULL)
		*fnret = op.fnret;
	return res;
}

int
store_update(struct store *s, enum store_table t, const char *key,
    store_rmw_fn fn, void *arg, int *fnret)
{
	return kv_update(s, t, key, fn, arg, fnret, TX_WRITE);
}

int
store_update_nosync(struct store *s, enum store_table t, const char *key,
    store_rmw_fn fn, void *arg, int *fnret)
{
	return kv_update(s, t, key, fn, arg, fnret, TX_WRITE_NOSYNC);
}

int
store_rmw_in(struct store *s, DB_TXN *txn, const struct store_rmw *also)
{
	struct rmw	 op = { kv_table_dbi(also->table), also->key, also->fn,
	    also->arg, 0, 1 };

	if (also->needed != NULL && !also->needed(also->arg))
		return STORE_OK;
	return kv_rmw_body(s, txn, &op);
}
