/*
 * store_upgrade.c: bringing a store made by an older version up to date,
 * at webhookd's start (store_upgrade): the attempt log of three files
 * moved into at_log.db, and the tables nothing used removed.  Its static
 * functions are named upgrade_*.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

/*
 * deliveries.db and events.db: tables that versions before this one
 * created in every store and nothing ever read or wrote.  Each is removed
 * in a transaction of its own that waits for no lock (store_run), so that
 * a process of an older version that still has it open makes the removal
 * wait for the next start instead of blocking this one; a failure is
 * logged and is not the upgrade's (the file is empty and harmless).
 */
static const char *const unused_tables[] = { "deliveries.db", "events.db" };

static int
upgrade_unused_body(struct store *s, DB_TXN *txn, void *arg)
{
	const char	*file = arg;
	int		 ret;

	if ((ret = s->env->dbremove(s->env, txn, file, NULL, 0)) == ENOENT)
		return STORE_OK;
	return store_dberr(s, ret, "store_upgrade", file);
}

static void
upgrade_unused_remove(struct store *s, const char *home)
{
	struct stat	 st;
	char		*path;
	size_t		 i;
	int		 ret;

	for (i = 0; i < sizeof(unused_tables) / sizeof(unused_tables[0]);
	    i++) {
		path = xasprintf("%s/db/%s", home, unused_tables[i]);
		ret = stat(path, &st);
		free(path);
		if (ret == -1)
			continue;
		if (store_run(s, "store_upgrade", TX_WRITE, upgrade_unused_body,
		    (void *)(uintptr_t)unused_tables[i]) == STORE_OK)
			log_info("store_upgrade: removed %s, which nothing "
			    "uses", unused_tables[i]);
		else
			log_warn("store_upgrade: %s (unused) could not be "
			    "removed; trying again at the next start",
			    unused_tables[i]);
	}
}

/*
 * Stores made before at_log.db kept an attempt in three files: attempts.db
 * (id -> json), at_hook.db (uuid "\0" be64(at) id -> id) and at_time.db.
 * webhookd moves them over at its start, MIGRATE_BATCH a transaction
 * (resumable: the puts overwrite), then removes the old files.
 */
#define MIGRATE_BATCH	500

struct migop {
	DB		*hook, *att;
	struct buf	 from, next;
	size_t		 n;		/* old entries read this batch */
	size_t		 moved;		/* of them, with a record to move */
	int		 done;
};

static int
upgrade_migrate_body(struct store *s, DB_TXN *txn, void *arg)
{
	static const char fn[] = "store_upgrade";
	struct migop	*op = arg;
	DB		*db;
	DBC		*c;
	DBT		 key, data, k2, d2;
	int		 ret, res = STORE_OK;

	if ((res = store_db(s, DBI_AT_LOG, &db)) != STORE_OK)
		return res;
	op->n = op->moved = 0;
	op->done = 0;
	if ((ret = op->hook->cursor(op->hook, txn, &c, 0)) != 0)
		return store_dberr(s, ret, fn, "cursor at_hook.db");
	dbt_in(&key, op->from.p, op->from.len);
	dbt_out(&data);
	ret = c->get(c, &key, &data, op->from.len > 0 ? DB_SET_RANGE :
	    DB_FIRST);
	for (; ret == 0 && op->n < MIGRATE_BATCH; op->n++) {
		dbt_in(&k2, data.data, data.size);
		dbt_out(&d2);
		ret = op->att->get(op->att, txn, &k2, &d2, 0);
		if (ret == 0 && (ret = db->put(db, txn, &key, &d2, 0)) == 0)
			op->moved++;
		if (ret != 0 && ret != DB_NOTFOUND)
			break;
		ret = c->get(c, &key, &data, DB_NEXT);
	}
	if (ret == 0) {
		buf_reset(&op->next);
		buf_add(&op->next, key.data, key.size);
	} else if (ret == DB_NOTFOUND)
		op->done = 1;
	else
		res = store_dberr(s, ret, fn, "copy");
	if ((ret = c->close(c)) != 0 && res == STORE_OK)
		res = store_dberr(s, ret, fn, "cursor close at_hook.db");
	return res == STORE_NOTFOUND ? STORE_ERR : res;
}

static DB *
upgrade_old_open(struct store *s, const char *file)
{
	DB	*db;

	if (db_create(&db, s->env, 0) != 0)
		return NULL;
	if (db->open(db, NULL, file, NULL, DB_BTREE, DB_AUTO_COMMIT, 0) !=
	    0) {
		(void)db->close(db, 0);
		return NULL;
	}
	return db;
}

int
store_upgrade(struct store *s, const char *home, size_t *moved)
{
	/* at_hook.db says an upgrade is due: it goes last. */
	static const char *const old[] = {
		"at_time.db", "attempts.db", "at_hook.db"
	};
	struct migop	 op;
	struct buf	 t;
	struct stat	 st;
	char		*path;
	size_t		 i;
	int		 res = STORE_OK, ret;

	*moved = 0;
	upgrade_unused_remove(s, home);
	path = xasprintf("%s/db/at_hook.db", home);
	ret = stat(path, &st);
	free(path);
	if (ret == -1)
		return STORE_OK;
	memset(&op, 0, sizeof(op));
	buf_init(&op.from);
	buf_init(&op.next);
	/* Without attempts.db the move was done, and removal cut short. */
	path = xasprintf("%s/db/attempts.db", home);
	if (stat(path, &st) == -1 && errno == ENOENT)
		op.done = 1;
	free(path);
	if (!op.done &&
	    ((op.hook = upgrade_old_open(s, "at_hook.db")) == NULL ||
	    (op.att = upgrade_old_open(s, "attempts.db")) == NULL)) {
		log_warn("store_upgrade: cannot open the old attempt log");
		res = STORE_ERR;
	}
	while (res == STORE_OK && !op.done) {
		res = store_run(s, "store_upgrade", TX_WRITE,
		    upgrade_migrate_body, &op);
		if (res != STORE_OK)
			break;
		*moved += op.moved;
		t = op.from;
		op.from = op.next;
		op.next = t;
	}
	if (op.hook != NULL)
		(void)op.hook->close(op.hook, 0);
	if (op.att != NULL)
		(void)op.att->close(op.att, 0);
	buf_free(&op.from);
	buf_free(&op.next);
	for (i = 0; res == STORE_OK && i < sizeof(old) / sizeof(old[0]); i++)
		if ((ret = s->env->dbremove(s->env, NULL, old[i], NULL,
		    DB_AUTO_COMMIT)) != 0 && ret != ENOENT)
			res = store_dberr(s, ret, "store_upgrade", old[i]);
	return res;
}

