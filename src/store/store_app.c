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
 * The rule they share (ids, alternate keys, pages) is store_keyed.c's;
 * this file has their tables and what goes with their records.  Static
 * functions: apps_*, evtype_*, ep_*.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

#define APP_DBI		(DBI_TABLES + STORE_APPS)

static int	ep_held(struct store *, DB_TXN *, struct kop *, const char *);

static const struct keyed apps_table = { APP_DBI, 'i', 'u', 0, NULL };
static const struct keyed evtype_table = { APP_DBI, 't', 0, 0, NULL };
static const struct keyed ep_table = { APP_DBI, 'e', 'n', 1, ep_held };

/* The caller's store_update_fn (applications) or store_rmw_fn (event
 * types) as a keyed_update_fn: its refusal is left in *fnret. */
struct apps_upd {
	store_update_fn	 fn;
	store_rmw_fn	 rmw;
	void		*arg;
	int		*fnret;
};

static int
apps_update_fn(struct store *s, DB_TXN *txn, struct kop *op,
    const struct krec *old, char **uid, char **json)
{
	struct apps_upd	*u = op->arg;
	int		 rc;

	(void)s;
	(void)txn;
	if (u->fn != NULL)
		rc = u->fn(old->json, uid, json, u->arg);
	else
		rc = u->rmw(old->json, json, u->arg);
	if (rc == 0)
		return STORE_OK;
	*u->fnret = rc;
	return STORE_ABORTED;
}

int
store_app_create(struct store *s, const char *team, const char *id,
    const char *uid, const char *json)
{
	struct kop	 op = { .kt = &apps_table, .fn = "store_app_create",
			    .team = team, .ref = id, .alt = uid,
			    .json = json };

	return store_keyed_run(s, &op, TX_WRITE, store_keyed_create_in);
}

int
store_app_get(struct store *s, const char *team, const char *ref,
    int by_uid, char **json)
{
	struct kop	 op = { .kt = &apps_table, .fn = "store_app_get",
			    .team = team, .ref = ref, .by_alt = by_uid };

	return store_keyed_get(s, &op, NULL, json);
}

int
store_app_update(struct store *s, const char *team, const char *ref,
    int by_uid, store_update_fn fn, void *arg, int *fnret)
{
	struct apps_upd	 u = { fn, NULL, arg, fnret };
	struct kop	 op = { .kt = &apps_table, .fn = "store_app_update",
			    .team = team, .ref = ref, .by_alt = by_uid,
			    .update = apps_update_fn, .arg = &u };
	int		 dummy = 0;

	if (fnret == NULL)
		u.fnret = &dummy;
	return store_keyed_run(s, &op, TX_WRITE, store_keyed_update_in);
}

static int	ep_gone(struct store *, DB_TXN *, struct kop *,
	    const struct krec *);

/* The application's endpoints go with it: each index key, its uid's key
 * and its webhook (one already gone is skipped). */
static int
apps_gone(struct store *s, DB_TXN *txn, struct kop *op, const struct krec *r)
{
	struct kop	 eps = { .kt = &ep_table, .fn = op->fn,
			    .team = op->team, .app = r->id, .gone = ep_gone };

	return store_keyed_clear_in(s, txn, &eps, 0, NULL);
}

int
store_app_delete(struct store *s, const char *team, const char *ref,
    int by_uid)
{
	struct kop	 op = { .kt = &apps_table, .fn = "store_app_delete",
			    .team = team, .ref = ref, .by_alt = by_uid,
			    .gone = apps_gone };

	return store_keyed_run(s, &op, TX_WRITE, store_keyed_delete_in);
}

int
store_app_list(struct store *s, const char *team, const char *after,
    int desc, size_t limit, char ***recs, size_t *n)
{
	struct kop	 op = { .kt = &apps_table, .fn = "store_app_list",
			    .team = team, .after = after, .desc = desc,
			    .limit = limit };

	return store_keyed_list(s, &op, recs, n);
}

/* ---- event types: "t" team "\0" name -> json ------------------------ */

int
store_evtype_get(struct store *s, const char *team, const char *name,
    char **json)
{
	struct kop	 op = { .kt = &evtype_table, .fn = "store_evtype_get",
			    .team = team, .ref = name };

	return store_keyed_get(s, &op, NULL, json);
}

int
store_evtype_put(struct store *s, const char *team, const char *name,
    store_rmw_fn fn, void *arg, int *fnret)
{
	struct apps_upd	 u = { NULL, fn, arg, fnret };
	struct kop	 op = { .kt = &evtype_table, .fn = "store_evtype_put",
			    .team = team, .ref = name, .upsert = 1,
			    .update = apps_update_fn, .arg = &u };
	int		 dummy = 0;

	if (fnret == NULL)
		u.fnret = &dummy;
	return store_keyed_run(s, &op, TX_WRITE, store_keyed_update_in);
}

int
store_evtype_delete(struct store *s, const char *team, const char *name)
{
	struct kop	 op = { .kt = &evtype_table,
			    .fn = "store_evtype_delete", .team = team,
			    .ref = name };

	return store_keyed_run(s, &op, TX_WRITE, store_keyed_delete_in);
}

int
store_evtype_list(struct store *s, const char *team, const char *after,
    int desc, size_t limit, char ***recs, size_t *n)
{
	struct kop	 op = { .kt = &evtype_table, .fn = "store_evtype_list",
			    .team = team, .after = after, .desc = desc,
			    .limit = limit };

	return store_keyed_list(s, &op, recs, n);
}

/* ---- endpoints: "e" team "\0" app "\0" uuid -> uid, "n" ... uid -> uuid */

/* An endpoint holds its uid while its webhook is there. */
static int
ep_held(struct store *s, DB_TXN *txn, struct kop *op, const char *uuid)
{
	char	*json = NULL;
	int	 res;

	res = store_wh_get_in(s, txn, op->team, uuid, 0, &json);
	free(json);
	return res;
}

/* Its webhook goes with an endpoint. */
static int
ep_gone(struct store *s, DB_TXN *txn, struct kop *op, const struct krec *r)
{
	return store_wh_delete_in(s, txn, op->team, r->id);
}

/* A list's endpoint: its webhook's json, or nothing when it is gone. */
static int
ep_take(struct store *s, DB_TXN *txn, struct kop *op, const char *id,
    size_t idlen, const DBT *data)
{
	char	*uuid, *json = NULL;
	int	 res;

	(void)data;
	uuid = xstrndup(id, idlen);
	res = store_wh_get_in(s, txn, op->team, uuid, 0, &json);
	free(uuid);
	if (res == STORE_OK)
		op->recs[op->n++] = json;
	return res == STORE_NOTFOUND ? STORE_OK : res;
}

static int
ep_create_in(struct store *s, DB_TXN *txn, struct kop *op)
{
	struct kop	 app = { .kt = &apps_table, .fn = op->fn,
			    .team = op->team, .ref = op->app };
	struct krec	 r;
	int		 res;

	/* The application, read-locked until the commit: its delete waits. */
	res = store_keyed_read(s, txn, &app, 0, &r);
	store_krec_free(&r);
	if (res == STORE_OK)
		res = store_keyed_create_in(s, txn, op);
	if (res == STORE_OK)
		res = store_wh_create_in(s, txn, op->arg, 0);
	return res;
}

int
store_ep_create(struct store *s, const char *app, const char *uid,
    const struct store_wh *wh)
{
	struct kop	 op = { .kt = &ep_table, .fn = "store_ep_create",
			    .team = wh->team, .app = app, .ref = wh->uuid,
			    .alt = uid, .arg = (void *)(uintptr_t)wh };

	return store_keyed_run(s, &op, TX_WRITE, ep_create_in);
}

int
store_ep_uid(struct store *s, const char *team, const char *app,
    const char *uid, char **uuid)
{
	struct kop	 op = { .kt = &ep_table, .fn = "store_ep_uid",
			    .team = team, .app = app, .ref = uid,
			    .by_alt = 1 };

	return store_keyed_get(s, &op, uuid, NULL);
}

/* The endpoint's update: its webhook's through the caller's fn, which
 * also gives the new uid. */
struct ep_upd {
	store_ep_fn	 fn;
	void		*arg;
	int		*fnret;
	char		*uid;
};

static int
ep_wh_fn(const char *old, char **url, char **json, void *arg)
{
	struct ep_upd	*u = arg;

	free(u->uid);
	u->uid = NULL;
	return u->fn(old, url, &u->uid, json, u->arg);
}

static int
ep_update_fn(struct store *s, DB_TXN *txn, struct kop *op,
    const struct krec *old, char **uid, char **json)
{
	struct ep_upd	*u = op->arg;
	int		 res;

	(void)json;
	res = store_wh_update_in(s, txn, op->team, old->id, ep_wh_fn, u,
	    u->fnret);
	*uid = u->uid;
	u->uid = NULL;
	return res;
}

int
store_ep_update(struct store *s, const char *team, const char *app,
    const char *uuid, store_ep_fn fn, void *arg, int *fnret)
{
	struct ep_upd	 u = { fn, arg, fnret, NULL };
	struct kop	 op = { .kt = &ep_table, .fn = "store_ep_update",
			    .team = team, .app = app, .ref = uuid,
			    .update = ep_update_fn, .arg = &u };
	int		 dummy = 0, res;

	if (fnret == NULL)
		u.fnret = &dummy;
	res = store_keyed_run(s, &op, TX_WRITE, store_keyed_update_in);
	free(u.uid);
	return res;
}

int
store_ep_delete(struct store *s, const char *team, const char *app,
    const char *uuid)
{
	struct kop	 op = { .kt = &ep_table, .fn = "store_ep_delete",
			    .team = team, .app = app, .ref = uuid,
			    .gone = ep_gone };

	return store_keyed_run(s, &op, TX_WRITE, store_keyed_delete_in);
}

int
store_ep_list(struct store *s, const char *team, const char *app,
    const char *after, int desc, size_t limit, char ***recs, size_t *n)
{
	struct kop	 op = { .kt = &ep_table, .fn = "store_ep_list",
			    .team = team, .app = app, .after = after,
			    .desc = desc, .limit = limit, .take = ep_take };

	return store_keyed_list(s, &op, recs, n);
}
