/*
 * store_int.h: what the store's own files share (store_env.c,
 * store_range.c, store_team.c, store_webhook.c, store_attempt.c,
 * store_app.c, store_upgrade.c), and nothing outside them includes: the handle, the
 * table of database files, run() and the small helpers for keys.
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
 *                   endpoints, webhooks of an application (store_app.c)
 *   msgs.db         "m" team "\0" app "\0" id -> eventId "\0" json, "e" team
 *                   "\0" app "\0" eventId -> id: the Svix dialect's messages
 *                   (store_msg.c)
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
