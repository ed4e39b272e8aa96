/*
 * store_int.h: what the store's own files share (store_env.c,
 * store_range.c, store_keyed.c, store_team.c, store_webhook.c,
 * store_attempt.c, store_app.c, store_msg.c, store_upgrade.c), and nothing
 * outside them includes: the handle, the table of database files, run(),
 * the records by id and alternate key, and the small helpers for keys.
 *
 * Files (all btrees, one database per file):
 *
 *   teams.db        name -> json
 *   tokens.db       SHA-256 hex of a token -> json
 *   webhooks.db     uuid -> team "\0" be64(seq) url "\0" json
 *                   (8 KiB pages: records are 1-3 KiB).  The prefix makes
 *                   the owner checkable on every read and the index keys
 *                   derivable on update and delete; it is stripped on read.
 *                   Also each team's webhook generation (store_webhook.c).
 *   wh_team.db      team "\0" be64(seq) -> uuid "\0" json, DB_RECNUM: the
 *                   team's webhooks in creation order, with record numbers
 *                   for O(log n) offset pagination, and a copy of each
 *                   record (store_webhook.c says more), and under team
 *                   "\0" alone the team's count.
 *   wh_url.db       team "\0" url -> uuid, DB_DUP | DB_DUPSORT (empty urls
 *                   are not indexed)
 *   at_log.db       webhook uuid "\0" be64(at_ms) id -> record, DB_RECNUM
 *                   (8 KiB pages): the attempt log (store_attempt.c).  The
 *                   record's bytes are the model's (attempt.c).
 *   apps.db         "i" team "\0" id -> uid "\0" json, "u" team "\0" uid -> id:
 *                   the Svix dialect's applications; "t" team "\0" name ->
 *                   json: its event types; "e" team "\0" app "\0" uuid ->
 *                   uid, "n" team "\0" app "\0" uid -> uuid: its
 *                   endpoints, webhooks of an application (store_app.c, over
 *                   store_keyed.c)
 *   msgs.db         "m" team "\0" app "\0" id -> eventId "\0" json, "e" team
 *                   "\0" app "\0" eventId -> id: the Svix dialect's messages
 *                   (store_msg.c, over store_keyed.c)
 *   idempotency.db, sessions.db, limits.db, secrets.db, counters.db:
 *                   key -> json
 *                   (store_team.c; enum store_table says what each holds)
 *
 * Stores made by older versions may hold more files: store_upgrade.c moves
 * or removes them.
 *
 * be64(at_ms) is the time with its sign bit flipped, big-endian, so that
 * byte order is time order.  Keys are stored without a terminating NUL;
 * json values too (they are copied out and terminated on read).
 */
#ifndef STORE_INT_H
#define STORE_INT_H

#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <db.h>

#include "log.h"
#include "store.h"
#include "util.h"

#define SCAN_BATCH	64		/* records per foreach transaction */
#define RECNO_HINTS	8		/* teams whose count key's recno is kept */

#define RETRY		(-1)		/* internal: abort and run again */

enum dbi {
	DBI_TEAMS, DBI_TOKENS, DBI_WEBHOOKS, DBI_WH_TEAM, DBI_WH_URL,
	DBI_AT_LOG,
	DBI_TABLES,			/* + enum store_table */
	DBI_N = DBI_TABLES + STORE_NTABLES
};

/* The database files, in store_env.c. */
struct dbspec {
	const char	*file;
	u_int32_t	 pagesize;
	u_int32_t	 flags;		/* DB->set_flags before open */
};
extern const struct dbspec store_dbspecs[DBI_N];

struct store {
	DB_ENV			*env;
	DB			*db[DBI_N];	/* NULL until used: store_db */
	pid_t			 pid;		/* env_thread_id's, from open */
	int			 lockfd;	/* the db directory (flock) */
	char			*registry;	/* the real path of its
						   __db.register */
	volatile sig_atomic_t	 fatal;		/* panic or recovered under us */
	unsigned int		 rnd;		/* back-off jitter */
	int			 scoped;	/* in store_read_begin/end */
	DB_TXN			*rtxn;		/* the scope's reads, or NULL */
	struct recno_hint {			/* see store_webhook.c */
		char		*team;
		db_recno_t	 recno;
	}			 hints[RECNO_HINTS];
	unsigned int		 next_hint;	/* the one to replace next */
	unsigned char		 ro[DBI_N];	/* opened read-only (disk full) */
	int			 degraded;	/* some ro[i] is set */
	const struct store_rmw	*also;		/* store_also's, for the
						   next write */
};

/* ---- transactions (store_env.c) ----------------------------------------- */

/* Modes of store_run(). */
enum txmode { TX_WRITE, TX_WRITE_NOSYNC, TX_READ };

typedef int (*body_fn)(struct store *, DB_TXN *, void *);

/*
 * Runs body in a transaction, again after a deadlock or a taken lock,
 * at most a bounded number of times.  body returns a store result or
 * RETRY; only STORE_OK commits.
 */
int	store_run(struct store *, const char *fn, enum txmode, body_fn,
	    void *arg);
/* store_also's read-modify-write in txn (store_team.c); a store result. */
int	store_rmw_in(struct store *, DB_TXN *, const struct store_rmw *);
/* Maps a Berkeley DB result to a store result (RETRY for a lock), logging
 * what the caller cannot be expected to handle. */
int	store_dberr(struct store *, int ret, const char *fn, const char *what);
/* The handle of database dbi (enum dbi), opened at its first use: for a
 * transaction's body; a store result (RETRY: a lock was taken). */
int	store_db(struct store *, int dbi, DB **dbp);
/* DB->get of one record in a read transaction; data is Berkeley DB's
 * memory (the handle's buffer, valid until its next call). */
int	store_get_one(struct store *, int dbi, DBT *key, DBT *data,
	    const char *fn);

/* ---- webhooks within another call's transaction (store_webhook.c) ------- */

/*
 * store_webhook_create, _update, _delete and _get as steps of a
 * transaction that also writes elsewhere (store_app.c's endpoints: the
 * webhook and its application's index in one commit).  Results as theirs
 * (RETRY included); get reads with flags (0, DB_RMW).
 */
int	store_wh_create_in(struct store *, DB_TXN *, const struct store_wh *,
	    int flags);
int	store_wh_update_in(struct store *, DB_TXN *, const char *team,
	    const char *uuid, store_update_fn, void *arg, int *fnret);
int	store_wh_delete_in(struct store *, DB_TXN *, const char *team,
	    const char *uuid);
int	store_wh_get_in(struct store *, DB_TXN *, const char *team,
	    const char *uuid, u_int32_t flags, char **json);

/* ---- scans and pages (store_range.c) ------------------------------------ */

/*
 * A scan of the keys of one database that start with prefix, a batch of
 * SCAN_BATCH records a transaction, calling back with no lock held.  take
 * (NULL: copy key and value) puts what a record gives into keys[n],
 * vals[n] (malloc'd) and counts it, or leaves it out; a store result.
 */
struct scan;
typedef int (*scan_take_fn)(struct store *, DB_TXN *, struct scan *,
	    const DBT *key, const DBT *data);
struct scan {
	int		 dbi;
	const char	*fn;
	const void	*prefix;	/* keys must start with it */
	size_t		 plen;
	scan_take_fn	 take;
	const void	*arg;		/* take's */
	struct buf	 last;		/* resume after this key */
	int		 started;
	size_t		 n;
	char		*keys[SCAN_BATCH];
	char		*vals[SCAN_BATCH];
};
int	store_scan_run(struct store *, struct scan *, store_each_fn, void *arg);

/*
 * A page of an index with record numbers: the keys starting with prefix,
 * from offset, forward (creation order) or backward (newest first).
 * bounds (NULL: range_recnos) finds the range's record numbers; deref
 * appends each record's JSON to the page (page_add, or in place).
 */
struct listop;
typedef int (*list_bounds_fn)(struct store *, DBC *, struct listop *,
	    db_recno_t *first, db_recno_t *last);
typedef int (*list_deref_fn)(struct store *, DB_TXN *, struct listop *,
	    const DBT *key, const DBT *data);
struct listop {
	int		 idx;		/* DBI_WH_TEAM or DBI_AT_LOG */
	const char	*fn;
	list_bounds_fn	 bounds;
	list_deref_fn	 deref;
	const void	*arg;		/* deref's */
	struct buf	 prefix;	/* ends in "\0" */
	size_t		 offset, limit;
	int		 backward;
	struct store_page *pg;
	struct buf	 mem;		/* the records, each with its NUL */
	size_t		*off;		/* where each begins in mem */
};
int	store_list_run(struct store *, struct listop *);
void	store_page_add(struct listop *, const char *json, size_t len);

int	store_range_last(DBC *, const void *p, size_t n, DBT *key, DBT *data,
	    u_int32_t rmw);
int	store_cur_recno(DBC *, db_recno_t *);
int	store_range_recnos(DBC *, const void *p, size_t n, db_recno_t *first,
	    db_recno_t *last);

/* ---- records by id and by an alternate key (store_keyed.c) ------------- */

/*
 * A table of records in one database (apps.db's applications, event types
 * and endpoints, msgs.db's messages), in the order of their ids within a
 * scope, a team or one application of a team:
 *
 *   kind team "\0" [app "\0"] id   -> alt "\0" json   (alt "" when none)
 *   altkind team "\0" [app "\0"] alt -> id          (alt unique in the scope)
 *
 * A table without alternate keys (altkind 0) keeps json alone; a bare one
 * keeps alt alone (the endpoints: their record is a webhook elsewhere).
 * Keys have no terminating NUL, nor values.  Every body takes its database
 * through store_db.
 */
struct kop;
struct keyed {
	int		 dbi;
	char		 kind;		/* the records' */
	char		 altkind;	/* the alternate keys'; 0: none */
	int		 bare;		/* a record is its alt alone */
	/* NULL, or whether the record id that holds an alternate key still
	 * is one: STORE_OK, STORE_NOTFOUND (gone: the key is free), or an
	 * error. */
	int		(*held)(struct store *, DB_TXN *, struct kop *,
			    const char *id);
};

/* A record as read (store_keyed_read); free it with store_krec_free. */
struct krec {
	struct buf	 key;		/* its key */
	char		*id;
	char		*alt;		/* "" when none */
	char		*json;		/* NULL: bare, or absent (upsert) */
	int		 found;
};

/* The new alt and json of an update (malloc'd, the store frees them; alt
 * NULL: none; json NULL for a bare table): a store result, STORE_OK to
 * write. */
typedef int (*keyed_update_fn)(struct store *, DB_TXN *, struct kop *,
	    const struct krec *old, char **alt, char **json);
/* What goes with a record when it is removed (its alternate key is gone
 * already): a store result. */
typedef int (*keyed_gone_fn)(struct store *, DB_TXN *, struct kop *,
	    const struct krec *);
/* A list's record: put what it gives into op->recs[op->n++] (malloc'd),
 * or leave it out; a store result. */
typedef int (*keyed_take_fn)(struct store *, DB_TXN *, struct kop *,
	    const char *id, size_t idlen, const DBT *data);

/* One call on a table: the caller's fields, then the list's results. */
struct kop {
	const struct keyed *kt;
	const char	*fn;		/* the store call, for log lines */
	const char	*team;
	const char	*app;		/* NULL: the scope is the team */
	const char	*ref;		/* an id, or an alt when by_alt */
	int		 by_alt;
	const char	*alt;		/* create: NULL or "" for none */
	const char	*json;		/* create */
	keyed_update_fn	 update;
	int		 upsert;	/* update: an absent record is made */
	keyed_gone_fn	 gone;		/* delete, clear; NULL: nothing */
	keyed_take_fn	 take;		/* list; NULL: the record's json */
	void		*arg;		/* the callbacks' */
	const char	*after;		/* list: from after it (NULL: the
					   first, or the last when desc) */
	int		 desc;
	size_t		 limit;
	char		**recs;		/* the list's, limit of them */
	size_t		 n;
};

/* kind team "\0" [app "\0"] name into b. */
void	store_key(struct buf *b, char kind, const char *team, const char *app,
	    const char *name);
void	store_krec_free(struct krec *);

/*
 * Steps of a transaction, store_keyed_run's or another call's (store_app.c's
 * endpoints with their webhooks); each a store result (RETRY included).
 *
 * store_keyed_read: the record op->ref names into r (found 0, and the key
 * to write, when it is absent and op->upsert; else STORE_NOTFOUND); flags
 * 0 or DB_RMW.
 */
int	store_keyed_read(struct store *, DB_TXN *, struct kop *,
	    u_int32_t flags, struct krec *r);
/* Creates record op->ref with op->alt and op->json: STORE_EXISTS when the
 * id or the alt is taken. */
int	store_keyed_create_in(struct store *, DB_TXN *, struct kop *);
/* Read-modify-write through op->update; a changed alt moves its key
 * (STORE_EXISTS when another record holds the new one). */
int	store_keyed_update_in(struct store *, DB_TXN *, struct kop *);
/* Removes op->ref's record and its alternate key, then op->gone. */
int	store_keyed_delete_in(struct store *, DB_TXN *, struct kop *);
/* Removes the scope's records, at most max (0: all), each as
 * store_keyed_delete_in (a gone's STORE_NOTFOUND: already gone, skipped);
 * *n (may be NULL) counts them. */
int	store_keyed_clear_in(struct store *, DB_TXN *, struct kop *,
	    size_t max, size_t *n);

/* A step as a call of its own: its transaction in mode, retried. */
typedef int (*keyed_step_fn)(struct store *, DB_TXN *, struct kop *);
int	store_keyed_run(struct store *, struct kop *, enum txmode,
	    keyed_step_fn);
/* op->ref's id and json (each may be NULL: not wanted; the caller frees). */
int	store_keyed_get(struct store *, struct kop *, char **id, char **json);
/* The scope's records, max a transaction; *removed counts them. */
int	store_keyed_clear(struct store *, struct kop *, size_t max,
	    size_t *removed);
/* At most op->limit records of the scope in id order after op->after, or
 * backwards before it when op->desc, into *recs (n of them; the caller
 * frees each and the array). */
int	store_keyed_list(struct store *, struct kop *, char ***recs,
	    size_t *n);

/* ---- small helpers ------------------------------------------------------ */

static inline void
be64put(unsigned char *p, uint64_t v)
{
	int	 i;

	for (i = 7; i >= 0; i--) {
		p[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
}

static inline uint64_t
be64get(const unsigned char *p)
{
	uint64_t v = 0;
	int	 i;

	for (i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

/* Time as an order-preserving unsigned number. */
static inline uint64_t
at_enc(int64_t at_ms)
{
	return (uint64_t)at_ms ^ ((uint64_t)1 << 63);
}

static inline int64_t
at_dec(uint64_t v)
{
	return (int64_t)(v ^ ((uint64_t)1 << 63));
}

static inline uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* A DBT that points at memory of ours, for input. */
static inline void
dbt_in(DBT *d, const void *p, size_t len)
{
	memset(d, 0, sizeof(*d));
	d->data = (void *)(uintptr_t)p;
	d->size = (u_int32_t)len;
}

/* A DBT for output into memory Berkeley DB owns (valid until the next call
 * on the same handle: no DB_THREAD). */
static inline void
dbt_out(DBT *d)
{
	memset(d, 0, sizeof(*d));
}

/* 1 if d starts with the n bytes of p. */
static inline int
has_prefix(const DBT *d, const void *p, size_t n)
{
	return d->size >= n && memcmp(d->data, p, n) == 0;
}

/* Appends s and its NUL. */
static inline void
buf_addz(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s) + 1);
}

static inline void
buf_add64(struct buf *b, uint64_t v)
{
	unsigned char	 p[8];

	be64put(p, v);
	buf_add(b, p, sizeof(p));
}

/* Copies an identifier from outside into out for a log line. */
static inline const char *
clean(const char *s, char *out, size_t outlen)
{
	log_clean(s, out, outlen);
	return out;
}

#endif /* STORE_INT_H */
