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
 * The rule (ids, alternate keys, pages) is store_keyed.c's; this file has
 * the table, pruning and an application's removal.  Static functions:
 * msgs_*.
 */
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

#define MSG_DBI		(DBI_TABLES + STORE_MSGS)

static const struct keyed msgs_table = { MSG_DBI, 'm', 'e', 0, NULL };

int
store_msg_create(struct store *s, const char *team, const char *app,
    const char *id, const char *event_id, const char *json)
{
	struct kop	 op = { .kt = &msgs_table, .fn = "store_msg_create",
			    .team = team, .app = app, .ref = id,
			    .alt = event_id, .json = json };

	return store_keyed_run(s, &op, TX_WRITE, store_keyed_create_in);
}

int
store_msg_get(struct store *s, const char *team, const char *app,
    const char *ref, int by_event, char **json)
{
	struct kop	 op = { .kt = &msgs_table, .fn = "store_msg_get",
			    .team = team, .app = app, .ref = ref,
			    .by_alt = by_event };

	return store_keyed_get(s, &op, NULL, json);
}

int
store_msg_delete(struct store *s, const char *team, const char *app,
    const char *id)
{
	struct kop	 op = { .kt = &msgs_table, .fn = "store_msg_delete",
			    .team = team, .app = app, .ref = id };

	return store_keyed_run(s, &op, TX_WRITE, store_keyed_delete_in);
}

int
store_msg_list(struct store *s, const char *team, const char *app,
    const char *after, int desc, size_t limit, char ***recs, size_t *n)
{
	struct kop	 op = { .kt = &msgs_table, .fn = "store_msg_list",
			    .team = team, .app = app, .after = after,
			    .desc = desc, .limit = limit };

	return store_keyed_list(s, &op, recs, n);
}

/* ---- pruning: a scan of every message, then one removal each ---------- */

struct msgs_prune {
	store_msg_old_fn  old;
	void		 *arg;
};

/* The scan's take: the keys of the records old() names, NUL-terminated
 * ("m" team "\0" app "\0" id: two NULs within). */
static int
msgs_prune_take(struct store *s, DB_TXN *txn, struct scan *sc,
    const DBT *key, const DBT *data)
{
	const struct msgs_prune	*pr = sc->arg;
	const char		*k = key->data, *team_end;
	size_t			 elen;
	char			*json;
	int			 old;

	(void)s;
	(void)txn;
	elen = strnlen(data->data, data->size);
	team_end = memchr(k, '\0', key->size);
	if (elen >= data->size || team_end == NULL ||
	    memchr(team_end + 1, '\0', key->size - (size_t)(team_end + 1 -
	    k)) == NULL)
		return STORE_OK;
	json = xstrndup((char *)data->data + elen + 1, data->size - elen - 1);
	old = pr->old(json, pr->arg);
	free(json);
	if (old) {
		sc->keys[sc->n] = xmalloc(key->size + 1);
		memcpy(sc->keys[sc->n], key->data, key->size);
		sc->keys[sc->n][key->size] = '\0';
		sc->vals[sc->n++] = NULL;
	}
	return STORE_OK;
}

struct msgs_prune_run {
	struct store	*s;
	size_t		 removed;
};

static int
msgs_prune_one(const char *key, const char *val, void *arg)
{
	struct msgs_prune_run	*r = arg;
	struct kop		 op = { .kt = &msgs_table,
				    .fn = "store_msg_prune" };

	(void)val;
	op.team = key + 1;
	op.app = op.team + strlen(op.team) + 1;
	op.ref = op.app + strlen(op.app) + 1;
	if (store_keyed_run(r->s, &op, TX_WRITE_NOSYNC,
	    store_keyed_delete_in) == STORE_OK)
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

#define PURGE_BATCH	1000	/* messages removed a transaction, at most */

int
store_msg_delete_app(struct store *s, const char *team, const char *app,
    size_t *removed)
{
	struct kop	 op = { .kt = &msgs_table,
			    .fn = "store_msg_delete_app", .team = team,
			    .app = app };
	size_t		 n = 0;
	int		 res;

	res = store_keyed_clear(s, &op, PURGE_BATCH, &n);
	if (removed != NULL)
		*removed = n;
	return res;
}

/* ---- a message's JSON replaced (its payload expunged) ------------------- */

/* The update: the eventId kept, the JSON the caller's. */
static int
msgs_replace_fn(struct store *s, DB_TXN *txn, struct kop *op,
    const struct krec *old, char **alt, char **json)
{
	(void)s;
	(void)txn;
	*alt = old->alt != NULL && old->alt[0] != '\0' ? xstrdup(old->alt) :
	    NULL;
	*json = xstrdup(op->arg);
	return STORE_OK;
}

int
store_msg_replace(struct store *s, const char *team, const char *app,
    const char *id, const char *json)
{
	struct kop	 op = { .kt = &msgs_table, .fn = "store_msg_replace",
			    .team = team, .app = app, .ref = id,
			    .update = msgs_replace_fn, .arg = (void *)json };

	return store_keyed_run(s, &op, TX_WRITE, store_keyed_update_in);
}
