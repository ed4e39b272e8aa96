/*
 * store: the Berkeley DB 5.3 environment in $WEBHOOKS_HOME/db and every
 * database in it.  See store.h for the contract.
 *
 * Files (all btrees, one database per file):
 *
 *   teams.db        name -> json
 *   tokens.db       SHA-256 hex of a token -> json
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
 *   at_log.db       webhook uuid "\0" be64(at_ms) id -> record, DB_RECNUM
 *                   (8 KiB pages): the attempt log, a webhook's attempts
 *                   in time order, so that one put logs an attempt, a page
 *                   of a webhook's log is positioned by record number, and
 *                   pruning walks each webhook's oldest attempts.  (Stores
 *                   made before it kept attempts.db, at_hook.db and
 *                   at_time.db: store_upgrade moves their attempts
 *                   over.)  A record is packed (see ATREC_V2) or, from
 *                   older stores, the JSON itself.
 *   deliveries.db, events.db, idempotency.db, sessions.db, limits.db,
 *   secrets.db: key -> json
 *
 * be64(at_ms) is the time with its sign bit flipped, big-endian, so that
 * byte order is time order.  Keys are stored without a terminating NUL;
 * json values too (they are copied out and terminated on read).
 *
 * Concurrency: every process opens its own DB_ENV with DB_REGISTER |
 * DB_RECOVER | DB_FAILCHK (no DB_THREAD, no DB_PRIVATE).  Every read and
 * write runs in a DB_TXN_NOWAIT transaction: a lock that is not free at
 * once fails the call with DB_LOCK_NOTGRANTED, and run() tries the whole
 * transaction again after a short random sleep.
 *
 * Why never wait for a lock: a Berkeley DB lock waiter sleeps on a
 * pthread condition variable in the shared region.  If it is SIGKILLed
 * there, glibc (2.25 and later) still counts it as a waiter, and the
 * failchk that cleans up after it calls pthread_cond_destroy on that
 * variable, which then blocks for ever; every process of the environment
 * wedges behind it (seen in the SIGKILL test: the opener stuck in
 * __txn_failchk -> __mutex_refresh -> pthread_cond_destroy).  A process
 * that never waits can die anywhere without leaving a waiter behind.
 *
 * A process that dies in a transaction (say, SIGKILLed by the web server in
 * the middle of a request) leaves its locks held.  DB_ENV->failchk frees
 * them and aborts its transactions; it runs (1) when any process opens the
 * environment and the registry shows a dead one (DB_REGISTER |
 * DB_FAILCHK), (2) in store_failchk, which webhookd calls periodically, and
 * (3) here, every FAILCHK_EVERY tries of a call that keeps finding a lock
 * taken.
 * Reads use DB_READ_COMMITTED transactions; between store_read_begin
 * and store_read_end (a FastCGI request) they share one.  foreach
 * functions read in batches and call back with no lock held, so a callback
 * may write to the store.
 *
 * A full disk.  The regions (__db.001 ...) are files that every process
 * maps; Berkeley DB creates them sparse and grows them by writing their
 * last byte.  A page of a region touched for the first time when its file
 * system has no free block gives SIGBUS, not an error, and the process
 * dies holding a region mutex: every other process then blocks on that
 * mutex for ever, new ones in their open's failchk too (issue 16).  So no
 * region page is left without its block: DB_REGION_INIT makes the creator
 * write each region whole at creation (ENOSPC is then an error of the
 * open), and every open reserves the blocks of each region up to the size
 * it may grow to (its mapping's length) with fallocate(FALLOC_FL_KEEP_SIZE)
 * (region_reserve).  Database files are never mapped (DB_NOMMAP: a
 * read-only handle, see db_open_one, would otherwise map a small file).
 * What is left on a full disk are the log and database
 * files, written with write(2): ENOSPC comes back as an error, the
 * transaction aborts, the caller answers 503, and the next write after
 * space returns succeeds.  Should a SIGBUS come anyway, the handler panics
 * the environment before the process dies, so that the others leave and the
 * next open recovers instead of waiting on the dead process's mutex.
 *
 * Process ids in the is_alive check may be reused by an unrelated process;
 * then the dead process's locks stay until that pid goes too.  Rare, and
 * the lock timeout keeps waiters from hanging in the meantime.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <db.h>

#include "log.h"
#include "store.h"
#include "util.h"

/*
 * The cache and the other regions are files mapped by every process; the
 * pages a process touches count in its resident size, and under load a
 * process touches the whole cache.  Measured with 100,000 webhooks after
 * GETs, list pages and creates: 16 MiB of cache made each FastCGI process
 * 33 MiB resident (20 MiB of it the cache region), 4 MiB 17.5 MiB (5 MiB),
 * with the same GET, random GET, list and create rates: the store is far
 * larger than either cache, and the OS page cache holds the rest.  Then 2
 * MiB: 9.8 -> 7.3 MiB resident (cache region 5.0 -> 2.5 MiB), and again
 * the same rates, random GETs and list pages included, and the same
 * webhookd deliveries/s (1 MiB: 6.0 MiB, random GETs perhaps slower).  Fixed
 * when the environment is created (or recreated by a recovery).
 */
#define CACHE_BYTES	(2u * 1024 * 1024)
#define LOG_MAX_BYTES	(8u * 1024 * 1024)
#define LOCK_TIMEOUT_US	1000000u	/* the longest lock wait outside a txn */
#define REG_TIMEOUT_US	500000u		/* a recovering process waits this */
#define THREAD_COUNT	64u		/* processes tracked for failchk */
#define MAX_TRIES	200		/* retries of one call on a taken lock */
#define FAILCHK_EVERY	16		/* tries between two failchks */
#define PRUNE_BATCH	500		/* keys visited per transaction */
#define SCAN_BATCH	64		/* records per foreach transaction */
#define BULK_MAX	(1024u * 1024)	/* bulk list buffer, at most */
#define RECNO_HINTS	8		/* teams whose count key's recno is kept */

#define RETRY		(-1)		/* internal: abort and run again */

enum dbi {
	DBI_TEAMS, DBI_TOKENS, DBI_WEBHOOKS, DBI_WH_TEAM, DBI_WH_URL,
	DBI_AT_LOG,
	DBI_TABLES,			/* + enum store_table */
	DBI_N = DBI_TABLES + STORE_NTABLES
};

static const struct dbspec {
	const char	*file;
	u_int32_t	 pagesize;
	u_int32_t	 flags;		/* DB->set_flags before open */
} dbspecs[DBI_N] = {
	[DBI_TEAMS] =		{ "teams.db",		4096, 0 },
	[DBI_TOKENS] =		{ "tokens.db",		4096, 0 },
	[DBI_WEBHOOKS] =	{ "webhooks.db",	8192, 0 },
	[DBI_WH_TEAM] =		{ "wh_team.db",		8192, DB_RECNUM },
	[DBI_WH_URL] =		{ "wh_url.db",		8192,
				  DB_DUP | DB_DUPSORT },
	[DBI_AT_LOG] =		{ "at_log.db",		8192, DB_RECNUM },
	[DBI_TABLES + STORE_DELIVERIES] = { "deliveries.db", 8192, 0 },
	[DBI_TABLES + STORE_EVENTS] =	  { "events.db",     8192, 0 },
	[DBI_TABLES + STORE_IDEMPOTENCY] = { "idempotency.db", 4096, 0 },
	[DBI_TABLES + STORE_SESSIONS] =	  { "sessions.db",   4096, 0 },
	[DBI_TABLES + STORE_LIMITS] =	  { "limits.db",     4096, 0 },
	[DBI_TABLES + STORE_SECRETS] =	  { "secrets.db",    4096, 0 },
};

struct store {
	DB_ENV			*env;
	DB			*db[DBI_N];
	pid_t			 pid;		/* for thread_id, set at open */
	int			 lockfd;	/* the db directory: failchk_lock */
	volatile sig_atomic_t	 fatal;		/* panic or recovered under us */
	unsigned int		 rnd;		/* back-off jitter */
	int			 scoped;	/* in store_read_begin/end */
	DB_TXN			*rtxn;		/* the scope's reads, or NULL */
	struct recno_hint {			/* see count_recnos */
		char		*team;
		db_recno_t	 recno;
	}			 hints[RECNO_HINTS];
	unsigned int		 next_hint;	/* the one to replace next */
	unsigned char		 ro[DBI_N];	/* opened read-only (disk full) */
	int			 degraded;	/* some ro[i] is set */
};

/* Modes of run(). */
enum txmode { TX_WRITE, TX_WRITE_NOSYNC, TX_READ };

typedef int (*body_fn)(struct store *, DB_TXN *, void *);

static int	reopen_rw(struct store *);

/* ---- small helpers ------------------------------------------------- */

static void
be64put(unsigned char *p, uint64_t v)
{
	int	 i;

	for (i = 7; i >= 0; i--) {
		p[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
}

static uint64_t
be64get(const unsigned char *p)
{
	uint64_t v = 0;
	int	 i;

	for (i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

/* Time as an order-preserving unsigned number. */
static uint64_t
at_enc(int64_t at_ms)
{
	return (uint64_t)at_ms ^ ((uint64_t)1 << 63);
}

static int64_t
at_dec(uint64_t v)
{
	return (int64_t)(v ^ ((uint64_t)1 << 63));
}

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* A DBT that points at memory of ours, for input. */
static void
dbt_in(DBT *d, const void *p, size_t len)
{
	memset(d, 0, sizeof(*d));
	d->data = (void *)(uintptr_t)p;
	d->size = (u_int32_t)len;
}

/* A DBT for output into memory Berkeley DB owns (valid until the next call
 * on the same handle: no DB_THREAD). */
static void
dbt_out(DBT *d)
{
	memset(d, 0, sizeof(*d));
}

/* 1 if d starts with the n bytes of p. */
static int
has_prefix(const DBT *d, const void *p, size_t n)
{
	return d->size >= n && memcmp(d->data, p, n) == 0;
}

/* Appends s and its NUL. */
static void
buf_addz(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s) + 1);
}

static void
buf_add64(struct buf *b, uint64_t v)
{
	unsigned char	 p[8];

	be64put(p, v);
	buf_add(b, p, sizeof(p));
}

/* Copies an identifier from outside into out for a log line. */
static const char *
clean(const char *s, char *out, size_t outlen)
{
	log_clean(s, out, outlen);
	return out;
}

/*
 * Maps a Berkeley DB result to a store result; logs what the caller cannot
 * be expected to handle.  Deadlocks and lock timeouts become RETRY.
 */
static int
dberr(struct store *s, int ret, const char *fn, const char *what)
{
	switch (ret) {
	case 0:
		return STORE_OK;
	case DB_NOTFOUND:
	case DB_KEYEMPTY:
		return STORE_NOTFOUND;
	case DB_KEYEXIST:
		return STORE_EXISTS;
	case DB_LOCK_NOTGRANTED:
	case DB_LOCK_DEADLOCK:
		return RETRY;
	case DB_RUNRECOVERY:
		if (!s->fatal)
			log_warn("%s: %s: %s", fn, what, db_strerror(ret));
		s->fatal = 1;
		return STORE_FATAL;
	default:
		log_warn("%s: %s: %s", fn, what, db_strerror(ret));
		return STORE_ERR;
	}
}

/*
 * failchk must not run in two processes at once: both abort the same dead
 * transaction, and the second undo, finding the page undone already,
 * panics the environment ("Log sequence error: page LSN ...; previous
 * LSN ...", then DB_RUNRECOVERY for every process: seen when the fault
 * test SIGKILLed FastCGI processes in write transactions).  An exclusive
 * flock(2) on the db directory keeps it to one process at a time: held
 * around each DB_ENV->failchk and around env->open (whose DB_REGISTER |
 * DB_FAILCHK runs failchk when the registry shows a dead process).  The
 * kernel drops the lock of a process that dies holding it.
 */
static void
failchk_lock(struct store *s, int op)
{
	if (s->lockfd == -1)
		return;
	while (flock(s->lockfd, op) == -1 && errno == EINTR)
		;
}

/* Frees the locks and aborts the transactions of dead processes. */
static int
failchk(struct store *s, const char *fn)
{
	int	 ret;

	failchk_lock(s, LOCK_EX);
	ret = s->env->failchk(s->env, 0);
	failchk_lock(s, LOCK_UN);
	if (ret != 0)
		return dberr(s, ret, fn, "failchk");
	return STORE_OK;
}

/*
 * Sleeps a little before try number `try` + 1, more as tries go on (at
 * most 6.4 ms); now and then frees the locks of dead processes, in case
 * the lock that keeps being taken is one of theirs.
 */
static void
backoff(struct store *s, const char *fn, int try)
{
	unsigned int	 max;

	if (try % FAILCHK_EVERY == 0)
		(void)failchk(s, fn);
	max = 50u << (try < 7 ? try : 7);
	usleep(rand_r(&s->rnd) % max);
}

/*
 * The read scope's transaction (store_read_begin): begun at the scope's
 * first read, shared by the reads that follow, committed at its end.  Its
 * reads are DB_READ_COMMITTED and release each lock as the call returns,
 * so it holds no lock between calls; a read that finds a lock taken
 * aborts it and the next try begins another.  A write ends it first, so
 * the process never holds two transactions.  Returns a store result.
 */
static int
scope_txn(struct store *s, const char *fn, DB_TXN **txn)
{
	int	 ret, res;

	if (s->rtxn == NULL && (ret = s->env->txn_begin(s->env, NULL,
	    &s->rtxn, DB_TXN_NOWAIT | DB_READ_COMMITTED)) != 0) {
		s->rtxn = NULL;
		res = dberr(s, ret, fn, "txn_begin");
		return res == STORE_NOTFOUND ? STORE_ERR : res;
	}
	*txn = s->rtxn;
	return STORE_OK;
}

/* Ends the scope's transaction, if one is open: commits it after reads
 * that succeeded, aborts it after one that did not (ok == 0). */
static void
scope_close(struct store *s, int ok, const char *fn)
{
	DB_TXN	*txn = s->rtxn;
	int	 ret;

	if (txn == NULL)
		return;
	s->rtxn = NULL;
	ret = ok ? txn->commit(txn, 0) : txn->abort(txn);
	if (ret != 0)
		(void)dberr(s, ret, fn, ok ? "txn_commit" : "txn_abort");
}

void
store_read_begin(struct store *s)
{
	s->scoped = 1;
}

void
store_read_end(struct store *s)
{
	scope_close(s, 1, "store_read_end");
	s->scoped = 0;
}

/*
 * Test only (tests/e2e/fault_proc.test.mjs): with WEBHOOKS_TEST_TXN_PAUSE
 * set to "MS" or "MS:FN", each write transaction (of the store function
 * FN only, when named) sleeps MS milliseconds after its changes, its locks
 * held, just before its commit, so that a test can SIGKILL a process in
 * the middle of a write transaction.  The sleep is poll(NULL, 0, MS), a
 * call the test recognises in /proc/PID/task/TID/syscall.  Never set
 * outside the tests; unset, nothing happens.
 */
static void
test_pause(const char *fn)
{
	const char	*v = getenv("WEBHOOKS_TEST_TXN_PAUSE");
	char		*end;
	long		 ms;

	if (v == NULL || *v == '\0')
		return;
	ms = strtol(v, &end, 10);
	if (ms <= 0 || ms > 10000 ||
	    (*end != '\0' && (*end != ':' || strcmp(end + 1, fn) != 0)))
		return;
	(void)poll(NULL, 0, (int)ms);
}

/*
 * Runs body in a transaction, again after a deadlock, at most MAX_TRIES
 * times.  body returns a store result or RETRY; only STORE_OK commits.
 */
static int
run(struct store *s, const char *fn, enum txmode mode, body_fn body,
    void *arg)
{
	DB_TXN		*txn;
	u_int32_t	 bflags, cflags;
	int		 try, ret, res;

	bflags = DB_TXN_NOWAIT | (mode == TX_READ ? DB_READ_COMMITTED : 0);
	cflags = mode == TX_WRITE_NOSYNC ? DB_TXN_WRITE_NOSYNC : 0;
	if (mode != TX_READ) {
		scope_close(s, 1, fn);
		if (s->degraded && (res = reopen_rw(s)) != STORE_OK)
			return res;
	}
	for (try = 0; try < MAX_TRIES; try++) {
		if (try > 0)
			backoff(s, fn, try);
		if (s->fatal)
			return STORE_FATAL;
		if (mode == TX_READ && s->scoped) {
			if ((res = scope_txn(s, fn, &txn)) == RETRY)
				continue;
			if (res != STORE_OK)
				return res;
			res = body(s, txn, arg);
			if (res != STORE_OK && res != STORE_NOTFOUND)
				scope_close(s, 0, fn);
			if (s->fatal)
				return STORE_FATAL;
			if (res != RETRY)
				return res;
			continue;
		}
		if ((ret = s->env->txn_begin(s->env, NULL, &txn, bflags)) != 0) {
			res = dberr(s, ret, fn, "txn_begin");
			if (res == RETRY)
				continue;
			return res == STORE_NOTFOUND ? STORE_ERR : res;
		}
		res = body(s, txn, arg);
		if (res == STORE_OK) {
			if (mode != TX_READ)
				test_pause(fn);
			if ((ret = txn->commit(txn, cflags)) == 0)
				return STORE_OK;
			res = dberr(s, ret, fn, "txn_commit");
		} else if ((ret = txn->abort(txn)) != 0) {
			if (dberr(s, ret, fn, "txn_abort") == STORE_FATAL)
				return STORE_FATAL;
		}
		if (s->fatal)
			return STORE_FATAL;
		if (res != RETRY)
			return res;
	}
	log_warn("%s: locks still taken after %d tries", fn, MAX_TRIES);
	return STORE_ERR;
}

/* One record's DB->get, as a run() body. */
struct get_op {
	int		 dbi;
	DBT		*key, *data;
	const char	*fn;
};

static int
get_body(struct store *s, DB_TXN *txn, void *arg)
{
	struct get_op	*op = arg;
	DB		*db = s->db[op->dbi];
	int		 ret;

	dbt_out(op->data);
	if ((ret = db->get(db, txn, op->key, op->data, 0)) == 0)
		return STORE_OK;
	return dberr(s, ret, op->fn, dbspecs[op->dbi].file);
}

/* DB->get of one record in a read transaction (run's, or the read
 * scope's); data is Berkeley DB's memory (the handle's buffer, valid
 * until its next call). */
static int
get_one(struct store *s, int dbi, DBT *key, DBT *data, const char *fn)
{
	struct get_op	 op = { dbi, key, data, fn };

	return run(s, fn, TX_READ, get_body, &op);
}

/* ---- environment ------------------------------------------------------ */

static void
errcall(const DB_ENV *env, const char *pfx, const char *msg)
{
	(void)env;
	log_warn("%s: %s", pfx != NULL ? pfx : "store", msg);
}

/* Berkeley DB's informational messages (failchk says what it freed). */
static void
msgcall(const DB_ENV *env, const char *msg)
{
	(void)env;
	log_info("store: bdb: %s", msg);
}

/*
 * Whether process pid has this environment's registry open: a member of
 * the environment, not some process that took a dead member's pid.
 */
static int
has_registry(pid_t pid, const char *reg)
{
	DIR		*d;
	struct dirent	*de;
	char		 p[64], link[PATH_MAX];
	ssize_t		 n;
	int		 found = 0;

	snprintf(p, sizeof(p), "/proc/%ld/fd", (long)pid);
	if ((d = opendir(p)) == NULL)
		return 0;
	while (!found && (de = readdir(d)) != NULL) {
		snprintf(p, sizeof(p), "/proc/%ld/fd/%.20s", (long)pid,
		    de->d_name);
		if ((n = readlink(p, link, sizeof(link) - 1)) > 0) {
			link[n] = '\0';
			found = strcmp(link, reg) == 0;
		}
	}
	closedir(d);
	return found;
}

/*
 * DB_REGISTER recovery, in the process that runs it: after telling the
 * others to leave (a panic) and waiting REG_TIMEOUT_US, Berkeley DB names
 * each process still registered.  One that died holding a mutex of the
 * environment leaves the others blocked on it, where no panic reaches
 * them (a FastCGI process's watchdog would end it after 10 s; webhookd
 * has none): SIGALRM ends them now (the FastCGI program's handler exits,
 * its default action ends the others), and their server or supervisor
 * starts them again on the recovered environment.  A process still
 * registered and not blocked would fail its next call for good anyway.
 */
static void
stop_stale(DB_ENV *env, pid_t pid)
{
	const char	*home;
	char		 dir[PATH_MAX], *reg;

	if (pid <= 1 || pid == getpid() || env->get_home(env, &home) != 0 ||
	    home == NULL || realpath(home, dir) == NULL)
		return;
	reg = xasprintf("%s/__db.register", dir);
	if (has_registry(pid, reg)) {
		log_warn("store: recovery: process %ld is still in the "
		    "environment: ending it", (long)pid);
		(void)kill(pid, SIGALRM);
	}
	free(reg);
}

static void
event_cb(DB_ENV *env, u_int32_t event, void *info)
{
	struct store	*s = env->app_private;

	if (event == DB_EVENT_REG_ALIVE && info != NULL)
		stop_stale(env, *(pid_t *)info);
	if ((event == DB_EVENT_PANIC || event == DB_EVENT_REG_PANIC) &&
	    s != NULL)
		s->fatal = 1;
}

static int
is_alive(DB_ENV *env, pid_t pid, db_threadid_t tid, u_int32_t flags)
{
	struct store	*s = env->app_private;

	(void)tid;
	(void)flags;
	if (s != NULL && pid == s->pid)
		return 1;
	return kill(pid, 0) == 0 || errno == EPERM;
}

/* One thread per process: the pid is the identity.  The pid is the one
 * saved at store_open, so a forked child must open its own store. */
static void
thread_id(DB_ENV *env, pid_t *pid, db_threadid_t *tid)
{
	struct store	*s = env->app_private;

	if (pid != NULL)
		*pid = s != NULL ? s->pid : getpid();
	if (tid != NULL)
		memset(tid, 0, sizeof(*tid));
}

/* Creates a DB_ENV handle configured for this store. */
static int
env_create(struct store *s, DB_ENV **envp, int private_env)
{
	DB_ENV	*env;
	int	 ret;

	if ((ret = db_env_create(&env, 0)) != 0) {
		log_warn("store_open: db_env_create: %s", db_strerror(ret));
		return -1;
	}
	env->app_private = s;
	env->set_errcall(env, errcall);
	env->set_errpfx(env, "store: bdb");
	env->set_msgcall(env, msgcall);
	if (private_env) {
		*envp = env;
		return 0;
	}
	if ((ret = env->set_event_notify(env, event_cb)) != 0 ||
	    (ret = env->set_cachesize(env, 0, CACHE_BYTES, 1)) != 0 ||
	    (ret = env->set_lg_max(env, LOG_MAX_BYTES)) != 0 ||
	    (ret = env->set_lk_detect(env, DB_LOCK_DEFAULT)) != 0 ||
	    (ret = env->set_lk_max_locks(env, 5000)) != 0 ||
	    (ret = env->set_lk_max_objects(env, 5000)) != 0 ||
	    (ret = env->set_lk_max_lockers(env, 2000)) != 0 ||
	    (ret = env->set_thread_count(env, THREAD_COUNT)) != 0 ||
	    (ret = env->set_isalive(env, is_alive)) != 0 ||
	    (ret = env->set_thread_id(env, thread_id)) != 0 ||
	    (ret = env->set_timeout(env, REG_TIMEOUT_US,
	    DB_SET_REG_TIMEOUT)) != 0 ||
	    (ret = env->set_timeout(env, LOCK_TIMEOUT_US,
	    DB_SET_LOCK_TIMEOUT)) != 0 ||
	    (ret = env->set_flags(env, DB_TIME_NOTGRANTED, 1)) != 0 ||
	    (ret = env->set_flags(env, DB_REGION_INIT, 1)) != 0 ||
	    (ret = env->set_flags(env, DB_NOMMAP, 1)) != 0) {
		log_warn("store_open: configure environment: %s",
		    db_strerror(ret));
		(void)env->close(env, 0);
		return -1;
	}
	*envp = env;
	return 0;
}

/* Catastrophic recovery, alone: DB_RECOVER_FATAL excludes DB_REGISTER.
 * Only when no other process uses the environment (webhookctl recover). */
static int
recover_fatal(struct store *s, const char *path, int private_env)
{
	DB_ENV		*env;
	u_int32_t	 fl;
	int		 ret;

	if (env_create(s, &env, private_env) == -1)
		return -1;
	fl = DB_CREATE | DB_INIT_LOCK | DB_INIT_LOG | DB_INIT_MPOOL |
	    DB_INIT_TXN | DB_RECOVER_FATAL;
	if (private_env)
		fl |= DB_PRIVATE;
	if ((ret = env->open(env, path, fl, 0600)) != 0) {
		log_warn("store_open: catastrophic recovery of %s: %s", path,
		    db_strerror(ret));
		(void)env->close(env, 0);
		return -1;
	}
	if ((ret = env->close(env, 0)) != 0) {
		log_warn("store_open: close after recovery of %s: %s", path,
		    db_strerror(ret));
		return -1;
	}
	return 0;
}

static int
mkdir_ok(const char *path)
{
	if (mkdir(path, 0700) == -1 && errno != EEXIST) {
		log_warn("store_open: mkdir %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* 1 for the errors of a file system that cannot take a write now (full,
 * over quota, failing): a database is then opened read-only instead. */
static int
disk_error(int ret)
{
	return ret == ENOSPC || ret == EDQUOT || ret == EIO;
}

/*
 * Opens database i into *dbp: read-write, created if missing, or with
 * rdonly read-only (an open for writing logs a record, which a full disk
 * refuses; a read-only handle logs nothing).  Returns 0, else the
 * Berkeley DB error (logged) or -1.
 */
static int
db_open_one(struct store *s, int i, int rdonly, DB **dbp)
{
	const struct dbspec *sp = &dbspecs[i];
	DB	*db;
	int	 ret, try;

	for (try = 0; try < MAX_TRIES; try++) {
		if (try > 0)
			backoff(s, "store_open", try);
		if ((ret = db_create(&db, s->env, 0)) != 0) {
			log_warn("store_open: db_create %s: %s", sp->file,
			    db_strerror(ret));
			return -1;
		}
		if ((ret = db->set_pagesize(db, sp->pagesize)) != 0 ||
		    (sp->flags != 0 &&
		    (ret = db->set_flags(db, sp->flags)) != 0)) {
			log_warn("store_open: configure %s: %s", sp->file,
			    db_strerror(ret));
			(void)db->close(db, 0);
			return -1;
		}
		ret = db->open(db, NULL, sp->file, NULL, DB_BTREE,
		    (rdonly ? DB_RDONLY : DB_CREATE) | DB_AUTO_COMMIT, 0600);
		if (ret == 0) {
			*dbp = db;
			return 0;
		}
		(void)db->close(db, 0);
		if (dberr(s, ret, "store_open", sp->file) != RETRY)
			return ret;
	}
	return -1;
}

/*
 * Before a write: the databases that store_open could only open read-only
 * (the disk was full) are opened read-write again.  STORE_ERR while that
 * still fails.
 */
static int
reopen_rw(struct store *s)
{
	DB	*db, *old;
	int	 i;

	for (i = 0; i < DBI_N; i++) {
		if (!s->ro[i])
			continue;
		if (db_open_one(s, i, 0, &db) != 0)
			return s->fatal ? STORE_FATAL : STORE_ERR;
		old = s->db[i];
		s->db[i] = db;
		s->ro[i] = 0;
		(void)old->close(old, DB_NOSYNC);
	}
	s->degraded = 0;
	log_info("store: the databases are writable again");
	return STORE_OK;
}

/*
 * Reserves the disk blocks of every region of the environment in dir up to
 * the length this process maps it with (the most it may grow to), keeping
 * the files' sizes (Berkeley DB reads a region's size from its file).  The
 * lengths come from /proc/self/maps; without it (not Linux) nothing is
 * done.  A file system without fallocate is left as it is.  -1 (logged)
 * when the blocks cannot be had: the process must not use the
 * environment, a first touch of a page could be a SIGBUS.
 */
static int
region_reserve(const char *dir)
{
	FILE		*fp;
	char		*real, line[4096], *name, *p;
	unsigned long	 lo, hi;
	size_t		 dlen;
	int		 fd, res = 0;

	if ((real = realpath(dir, NULL)) == NULL)
		return 0;
	if ((fp = fopen("/proc/self/maps", "r")) == NULL) {
		free(real);
		return 0;
	}
	dlen = strlen(real);
	while (res == 0 && fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "%lx-%lx", &lo, &hi) != 2 ||
		    (name = strchr(line, '/')) == NULL ||
		    strncmp(name, real, dlen) != 0 || name[dlen] != '/' ||
		    strncmp(name + dlen + 1, "__db.", 5) != 0)
			continue;
		for (p = name + dlen + 6; *p >= '0' && *p <= '9'; p++)
			;
		if (*p != '\0' || p == name + dlen + 6)
			continue;	/* not a region ("(deleted)", register) */
		if ((fd = open(name, O_RDWR | O_CLOEXEC)) == -1)
			continue;
		if (fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, (off_t)(hi - lo))
		    == -1 && errno != EOPNOTSUPP && errno != ENOSYS) {
			log_warn("store_open: reserve %lu bytes for %s: %s",
			    hi - lo, name, strerror(errno));
			res = -1;
		}
		close(fd);
	}
	fclose(fp);
	free(real);
	return res;
}

/*
 * SIGBUS in a process that has the environment open: a page of a region
 * (or of a memory-mapped file) that has no disk block behind it.  The
 * process cannot go on, and may hold a region mutex that nobody will ever
 * release; panic the environment (the next open then recovers it, and the
 * live processes see DB_RUNRECOVERY and leave) and end.  The alarm ends the
 * process should the panic itself block.
 */
static struct store *bus_store;

static void
on_sigbus(int sig)
{
	static const char msg[] = "store: SIGBUS in the environment "
	    "(disk full under a region?): panicking it so that the next "
	    "open recovers, and exiting\n";
	struct store	*s = bus_store;

	(void)sig;
	signal(SIGALRM, SIG_DFL);
	alarm(2);
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(70);
	if (s != NULL && s->env != NULL)
		(void)s->env->set_flags(s->env, DB_PANIC_ENVIRONMENT, 1);
	_exit(70);
}

/*
 * Without STORE_CREATE, $home/db must exist (missing database files are
 * still created: a newer version may add one).
 */
struct store *
store_open(const char *home, int flags)
{
	struct store	*s;
	struct stat	 st;
	char		*path;
	u_int32_t	 fl;
	int		 i, ret;

	s = xcalloc(1, sizeof(*s));
	s->pid = getpid();
	s->lockfd = -1;
	signal(SIGBUS, on_sigbus);
	s->rnd = (unsigned int)s->pid ^ (unsigned int)now_us();
	path = xasprintf("%s/db", home);
	if (flags & STORE_CREATE) {
		if (mkdir_ok(home) == -1 || mkdir_ok(path) == -1)
			goto fail;
	} else if (stat(path, &st) == -1) {
		log_warn("store_open: %s: %s", path, strerror(errno));
		goto fail;
	} else if (!S_ISDIR(st.st_mode)) {
		log_warn("store_open: %s: not a directory", path);
		goto fail;
	}
	if ((flags & STORE_FATAL_RECOVER) && recover_fatal(s, path, 0) == -1)
		goto fail;
	if (env_create(s, &s->env, 0) == -1)
		goto fail;
	fl = DB_CREATE | DB_INIT_LOCK | DB_INIT_LOG | DB_INIT_MPOOL |
	    DB_INIT_TXN | DB_REGISTER | DB_RECOVER | DB_FAILCHK;
	if ((s->lockfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1)
		log_warn("store_open: %s: %s", path, strerror(errno));
	failchk_lock(s, LOCK_EX);
	ret = s->env->open(s->env, path, fl, 0600);
	failchk_lock(s, LOCK_UN);
	if (ret != 0) {
		log_warn("store_open: open environment %s: %s", path,
		    db_strerror(ret));
		(void)s->env->close(s->env, 0);
		s->env = NULL;
		goto fail;
	}
	/* A panic seen while the open recovered (DB_REGISTER found a dead
	 * process in a panicked environment) was the old environment's: the
	 * open succeeded, so this one is sound. */
	s->fatal = 0;
	bus_store = s;
	if (region_reserve(path) == -1)
		goto fail;
	/* Joining an existing environment keeps its lock timeout: set ours. */
	(void)s->env->set_timeout(s->env, LOCK_TIMEOUT_US, DB_SET_LOCK_TIMEOUT);
	for (i = 0; i < DBI_N; i++) {
		if ((ret = db_open_one(s, i, 0, &s->db[i])) == 0)
			continue;
		if (!disk_error(ret) || db_open_one(s, i, 1, &s->db[i]) != 0)
			goto fail;
		s->ro[i] = 1;
		s->degraded = 1;
	}
	free(path);
	return s;
fail:
	free(path);
	store_close(s);
	return NULL;
}

void
store_close(struct store *s)
{
	int	 i, ret;

	if (s == NULL)
		return;
	if (bus_store == s)
		bus_store = NULL;
	scope_close(s, 0, "store_close");
	for (i = 0; i < RECNO_HINTS; i++)
		free(s->hints[i].team);
	/* DB_NOSYNC: every change is in the log already (transactions), so
	 * close need not write the cache; that keeps closing cheap for a
	 * process per request (plain CGI). */
	for (i = 0; i < DBI_N; i++) {
		if (s->db[i] == NULL)
			continue;
		if ((ret = s->db[i]->close(s->db[i], DB_NOSYNC)) != 0 &&
		    !s->fatal)
			log_warn("store_close: close %s: %s", dbspecs[i].file,
			    db_strerror(ret));
	}
	if (s->env != NULL &&
	    (ret = s->env->close(s->env, 0)) != 0 && !s->fatal)
		log_warn("store_close: close environment: %s",
		    db_strerror(ret));
	if (s->lockfd != -1)
		close(s->lockfd);
	free(s);
}

int
store_is_fatal(struct store *s)
{
	return s->fatal != 0;
}

int
store_failchk(struct store *s)
{
	if (s->fatal)
		return STORE_FATAL;
	return failchk(s, "store_failchk");
}

/*
 * A checkpoint, then removal of the log files normal recovery no longer
 * needs.  Catastrophic recovery (webhookctl recover) needs every log since
 * the last backup: it relies on the backups made with store_backup, which
 * copy the logs along with the databases.  Also runs failchk, so a
 * long-running process (webhookd) frees what dead processes left.
 */
int
store_maintain(struct store *s)
{
	return store_maintain_every(s, 0);
}

int
store_maintain_every(struct store *s, int minutes)
{
	char	**list = NULL;
	int	  ret, res;

	if (s->fatal)
		return STORE_FATAL;
	if ((res = failchk(s, "store_maintain")) != STORE_OK)
		return res;
	/* Berkeley DB's own rule: min minutes since the last checkpoint,
	 * kept in the shared region. */
	if ((ret = s->env->txn_checkpoint(s->env, 0, (u_int32_t)minutes, 0))
	    != 0)
		return dberr(s, ret, "store_maintain", "txn_checkpoint");
	if ((ret = s->env->log_archive(s->env, &list, DB_ARCH_REMOVE)) != 0)
		return dberr(s, ret, "store_maintain", "log_archive");
	free(list);
	return STORE_OK;
}

/*
 * DB_ENV->backup copies the databases and then the logs into dir (emptied
 * first), the way db_hotbackup does; then catastrophic recovery in a
 * private environment makes the copy consistent on its own.  webhookctl
 * restore copies it into a new data directory (backup.c) and runs
 * catastrophic recovery once more (store_recover_copy).
 */
int
store_backup(struct store *s, const char *dir)
{
	int	 ret, res;

	if (s->fatal)
		return STORE_FATAL;
	if ((res = failchk(s, "store_backup")) != STORE_OK)
		return res;
	if ((ret = s->env->txn_checkpoint(s->env, 0, 0, DB_FORCE)) != 0)
		return dberr(s, ret, "store_backup", "txn_checkpoint");
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		log_warn("store_backup: mkdir %s: %s", dir, strerror(errno));
		return STORE_ERR;
	}
	if ((ret = s->env->backup(s->env, dir, DB_CREATE | DB_BACKUP_CLEAN))
	    != 0)
		return dberr(s, ret, "store_backup", dir);
	if (recover_fatal(s, dir, 1) == -1)
		return STORE_ERR;
	return STORE_OK;
}

int
store_recover_copy(const char *dir)
{
	struct store	*s;
	int		 rc;

	s = xcalloc(1, sizeof(*s));
	s->pid = getpid();
	rc = recover_fatal(s, dir, 1) == -1 ? STORE_ERR : STORE_OK;
	free(s);
	return rc;
}

static void
verify_errcall(const DB_ENV *env, const char *pfx, const char *msg)
{
	(void)env;
	log_warn("store_check: %s%s%s", pfx != NULL ? pfx : "",
	    pfx != NULL ? ": " : "", msg);
}

/*
 * DB->verify on a fresh handle for each file (it must not run on an open
 * handle).  It reads the files directly, so it is meaningful only for a
 * quiescent environment: first a forced checkpoint writes every committed
 * change into the files; stop the web server and webhookd while it runs.
 * Returns STORE_OK when every file is clean, else STORE_ERR.
 */
int
store_check(const char *home)
{
	struct store	*s;
	struct stat	 st;
	DB		*db;
	char		*file;
	int		 i, ret, bad = 0;

	if ((s = store_open(home, 0)) == NULL)
		log_warn("store_check: %s: cannot open the environment; "
		    "verifying the files as they are", home);
	else {
		if ((ret = s->env->txn_checkpoint(s->env, 0, 0, DB_FORCE))
		    != 0)
			log_warn("store_check: txn_checkpoint: %s",
			    db_strerror(ret));
		store_close(s);
	}
	for (i = 0; i < DBI_N; i++) {
		file = xasprintf("%s/db/%s", home, dbspecs[i].file);
		if (stat(file, &st) == -1) {
			log_warn("store_check: %s: %s", file, strerror(errno));
			bad++;
		} else if ((ret = db_create(&db, NULL, 0)) != 0) {
			log_warn("store_check: db_create: %s",
			    db_strerror(ret));
			bad++;
		} else {
			db->set_errcall(db, verify_errcall);
			/* verify always discards the handle */
			if ((ret = db->verify(db, file, NULL, NULL, 0)) != 0) {
				log_warn("store_check: %s: %s", file,
				    db_strerror(ret));
				bad++;
			}
		}
		free(file);
	}
	return bad == 0 ? STORE_OK : STORE_ERR;
}

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
	DB		*db = s->db[kv->dbi];
	DBT		 key, data;
	int		 ret, res;

	dbt_in(&key, kv->key, strlen(kv->key));
	dbt_in(&data, kv->json, strlen(kv->json));
	ret = db->put(db, txn, &key, &data, kv->putflags);
	res = dberr(s, ret, "store_put", dbspecs[kv->dbi].file);
	if (res == STORE_EXISTS && kv->existing != NULL) {
		dbt_out(&data);
		ret = db->get(db, txn, &key, &data, 0);
		if ((res = dberr(s, ret, "store_put_new",
		    dbspecs[kv->dbi].file)) != STORE_OK)
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
	return run(s, fn, TX_WRITE, kv_put_body, &kv);
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
	if ((res = get_one(s, dbi, &key, &data, fn)) != STORE_OK)
		return res;
	*json = xstrndup(data.data, data.size);
	return STORE_OK;
}

static int
kv_del_body(struct store *s, DB_TXN *txn, void *arg)
{
	struct kv	*kv = arg;
	DB		*db = s->db[kv->dbi];
	DBT		 key;

	dbt_in(&key, kv->key, strlen(kv->key));
	return dberr(s, db->del(db, txn, &key, 0), "store_del",
	    dbspecs[kv->dbi].file);
}

static int
kv_del(struct store *s, int dbi, const char *key, const char *fn)
{
	struct kv	 kv = { dbi, key, NULL, 0, NULL };

	if (s->fatal)
		return STORE_FATAL;
	return run(s, fn, TX_WRITE, kv_del_body, &kv);
}

/* ---- batched scans for the foreach functions ------------------------ */

struct scan {
	int		 dbi;
	const char	*fn;
	const void	*prefix;	/* keys must start with it */
	size_t		 plen;
	const char	*team;		/* wh_team: values are uuids: deref */
	struct buf	 last;		/* resume after this key */
	int		 started;
	size_t		 n;
	char		*keys[SCAN_BATCH];
	char		*vals[SCAN_BATCH];
};

static void
scan_reset(struct scan *sc)
{
	size_t	 i;

	for (i = 0; i < sc->n; i++) {
		free(sc->keys[i]);
		free(sc->vals[i]);
	}
	sc->n = 0;
}

static int wh_parse(const DBT *, const char **, size_t *, uint64_t *,
    const char **, size_t *, const char **, size_t *);
static int wh_owned(const DBT *, const char *, uint64_t *, const char **,
    size_t *, const char **, size_t *);
static int teamval_json(const DBT *, const char **, size_t *);

/* Reads the json of webhook uuid (of team) into *json; NOTFOUND if it is
 * gone or another team's. */
static int
wh_read(struct store *s, DB_TXN *txn, const char *team, const char *uuid,
    size_t ulen, u_int32_t flags, char **json, const char *fn)
{
	DB		*db = s->db[DBI_WEBHOOKS];
	DBT		 key, data;
	const char	*u, *j;
	size_t		 ul, jl;
	uint64_t	 seq = 0;
	int		 res;

	dbt_in(&key, uuid, ulen);
	dbt_out(&data);
	res = dberr(s, db->get(db, txn, &key, &data, flags), fn,
	    "get webhooks.db");
	if (res != STORE_OK)
		return res;
	if ((res = wh_owned(&data, team, &seq, &u, &ul, &j, &jl)) != STORE_OK)
		return res;
	*json = xstrndup(j, jl);
	return STORE_OK;
}

static int
scan_body(struct store *s, DB_TXN *txn, void *arg)
{
	struct scan	*sc = arg;
	DB		*db = s->db[sc->dbi];
	DBC		*c = NULL;
	DBT		 key, data;
	const char	*j;
	size_t		 jl;
	char		*uuid, *json;
	int		 ret, res;

	scan_reset(sc);
	if ((ret = db->cursor(db, txn, &c, 0)) != 0)
		return dberr(s, ret, sc->fn, "cursor");
	dbt_out(&data);
	if (sc->started) {
		dbt_in(&key, sc->last.p, sc->last.len);
		ret = c->get(c, &key, &data, DB_SET_RANGE);
		if (ret == 0 && key.size == sc->last.len &&
		    memcmp(key.data, sc->last.p, key.size) == 0)
			ret = c->get(c, &key, &data, DB_NEXT);
	} else if (sc->plen > 0) {
		dbt_in(&key, sc->prefix, sc->plen);
		ret = c->get(c, &key, &data, DB_SET_RANGE);
	} else {
		dbt_out(&key);
		ret = c->get(c, &key, &data, DB_FIRST);
	}
	while (ret == 0 && sc->n < SCAN_BATCH) {
		if (!has_prefix(&key, sc->prefix, sc->plen)) {
			ret = DB_NOTFOUND;
			break;
		}
		buf_reset(&sc->last);
		buf_add(&sc->last, key.data, key.size);
		if (sc->team != NULL && key.size == sc->plen) {
			/* the team's count, not a webhook */
		} else if (sc->team != NULL && teamval_json(&data, &j, &jl)) {
			sc->keys[sc->n] = xstrdup(data.data);
			sc->vals[sc->n++] = xstrndup(j, jl);
		} else if (sc->team != NULL) {
			uuid = xstrndup(data.data, data.size);
			res = wh_read(s, txn, sc->team, uuid, data.size, 0,
			    &json, sc->fn);
			if (res == STORE_OK) {
				sc->keys[sc->n] = uuid;
				sc->vals[sc->n++] = json;
			} else {
				free(uuid);
				if (res != STORE_NOTFOUND)
					goto fail;
			}
		} else {
			sc->keys[sc->n] = xstrndup(key.data, key.size);
			sc->vals[sc->n++] = xstrndup(data.data, data.size);
		}
		ret = c->get(c, &key, &data, DB_NEXT);
	}
	if (ret != 0 && ret != DB_NOTFOUND) {
		res = dberr(s, ret, sc->fn, "cursor get");
		goto fail;
	}
	ret = c->close(c);
	c = NULL;
	if (ret != 0) {
		res = dberr(s, ret, sc->fn, "cursor close");
		goto fail;
	}
	return STORE_OK;
fail:
	if (c != NULL)
		(void)c->close(c);
	return res == STORE_NOTFOUND ? STORE_ERR : res;
}

/* Calls fn for each record of sc's database (and prefix), a batch at a
 * time, with no lock held during the calls. */
static int
scan_run(struct store *s, struct scan *sc, store_each_fn fn, void *arg)
{
	size_t	 i, got;
	int	 res = STORE_OK, stop = 0;

	buf_init(&sc->last);
	sc->started = 0;
	sc->n = 0;
	do {
		if (s->fatal) {
			res = STORE_FATAL;
			break;
		}
		if ((res = run(s, sc->fn, TX_READ, scan_body, sc)) != STORE_OK)
			break;
		sc->started = 1;
		got = sc->n;
		for (i = 0; i < sc->n && !stop; i++)
			stop = fn(sc->keys[i], sc->vals[i], arg) != 0;
		scan_reset(sc);
	} while (got == SCAN_BATCH && !stop);
	scan_reset(sc);
	buf_free(&sc->last);
	return res;
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
	return scan_run(s, &sc, fn, arg);
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
table_dbi(enum store_table t)
{
	if ((int)t < 0 || t >= STORE_NTABLES)
		log_panic("store: no table %d", (int)t);
	return DBI_TABLES + (int)t;
}

int
store_put(struct store *s, enum store_table t, const char *key,
    const char *json)
{
	return kv_put(s, table_dbi(t), key, json, 0, NULL, "store_put");
}

int
store_put_new(struct store *s, enum store_table t, const char *key,
    const char *json, char **existing)
{
	return kv_put(s, table_dbi(t), key, json, DB_NOOVERWRITE, existing,
	    "store_put_new");
}

int
store_get(struct store *s, enum store_table t, const char *key, char **json)
{
	return kv_get(s, table_dbi(t), key, json, "store_get");
}

int
store_del(struct store *s, enum store_table t, const char *key)
{
	return kv_del(s, table_dbi(t), key, "store_del");
}

int
store_foreach(struct store *s, enum store_table t, store_each_fn fn,
    void *arg)
{
	return kv_foreach(s, table_dbi(t), fn, arg, "store_foreach");
}

struct rmw {
	int		 dbi;
	const char	*key;
	store_rmw_fn	 fn;
	void		*arg;
	int		 fnret;
};

static int
rmw_body(struct store *s, DB_TXN *txn, void *arg)
{
	struct rmw	*op = arg;
	DB		*db = s->db[op->dbi];
	DBT		 key, data;
	char		*old = NULL, *njson = NULL;
	int		 res, rc;

	dbt_in(&key, op->key, strlen(op->key));
	dbt_out(&data);
	res = dberr(s, db->get(db, txn, &key, &data, DB_RMW), "store_update",
	    dbspecs[op->dbi].file);
	if (res == STORE_OK)
		old = xstrndup(data.data, data.size);
	else if (res != STORE_NOTFOUND)
		return res;
	if ((rc = op->fn(old, &njson, op->arg)) != 0) {
		op->fnret = rc;
		res = STORE_ABORTED;
	} else if (njson == NULL) {
		log_warn("store_update: the callback gave no json");
		res = STORE_ERR;
	} else {
		dbt_in(&key, op->key, strlen(op->key));
		dbt_in(&data, njson, strlen(njson));
		res = dberr(s, db->put(db, txn, &key, &data, 0),
		    "store_update", dbspecs[op->dbi].file);
	}
	free(old);
	free(njson);
	return res;
}

int
store_update(struct store *s, enum store_table t, const char *key,
    store_rmw_fn fn, void *arg, int *fnret)
{
	struct rmw	 op = { table_dbi(t), key, fn, arg, 0 };
	int		 res;

	if (s->fatal)
		return STORE_FATAL;
	res = run(s, "store_update", TX_WRITE, rmw_body, &op);
	if (fnret != NULL)
		*fnret = op.fnret;
	return res;
}

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
teamkey(struct buf *b, const char *team, uint64_t seq)
{
	buf_reset(b);
	buf_addz(b, team);
	buf_add64(b, seq);
}

/* uuid "\0" json: the value in wh_team.db */
static void
teamval(struct buf *b, const char *uuid, const char *json)
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
teamval_json(const DBT *v, const char **json, size_t *jlen)
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
urlkey(struct buf *b, const char *team, const char *url)
{
	buf_reset(b);
	buf_addz(b, team);
	buf_add(b, url, strlen(url));
}

/* STORE_EXISTS if url (non-empty) is indexed for team with a uuid other
 * than self (NULL: any). */
static int
url_taken(struct store *s, DB_TXN *txn, const char *team, const char *url,
    const char *self, const char *fn)
{
	DB		*db = s->db[DBI_WH_URL];
	DBC		*c;
	DBT		 key, data;
	struct buf	 k;
	int		 ret, res = STORE_OK;

	buf_init(&k);
	urlkey(&k, team, url);
	if ((ret = db->cursor(db, txn, &c, 0)) != 0) {
		buf_free(&k);
		return dberr(s, ret, fn, "cursor wh_url.db");
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
		res = dberr(s, ret, fn, "get wh_url.db");
	if ((ret = c->close(c)) != 0 && res == STORE_OK)
		res = dberr(s, ret, fn, "cursor close wh_url.db");
	buf_free(&k);
	return res;
}

static int
url_add(struct store *s, DB_TXN *txn, const char *team, const char *url,
    const char *uuid, const char *fn)
{
	DB		*db = s->db[DBI_WH_URL];
	DBT		 key, data;
	struct buf	 k;
	int		 ret;

	if (*url == '\0')
		return STORE_OK;
	buf_init(&k);
	urlkey(&k, team, url);
	dbt_in(&key, k.p, k.len);
	dbt_in(&data, uuid, strlen(uuid));
	ret = db->put(db, txn, &key, &data, 0);
	buf_free(&k);
	if (ret == DB_KEYEXIST)		/* that very pair: fine */
		return STORE_OK;
	return dberr(s, ret, fn, "put wh_url.db");
}

static int
url_del(struct store *s, DB_TXN *txn, const char *team, const char *url,
    size_t ulen, const char *uuid, const char *fn)
{
	DB		*db = s->db[DBI_WH_URL];
	DBC		*c;
	DBT		 key, data;
	struct buf	 k;
	int		 ret, res;

	if (ulen == 0)
		return STORE_OK;
	buf_init(&k);
	buf_addz(&k, team);
	buf_add(&k, url, ulen);
	if ((ret = db->cursor(db, txn, &c, 0)) != 0) {
		buf_free(&k);
		return dberr(s, ret, fn, "cursor wh_url.db");
	}
	dbt_in(&key, k.p, k.len);
	dbt_in(&data, uuid, strlen(uuid));
	ret = c->get(c, &key, &data, DB_GET_BOTH | DB_RMW);
	if (ret == 0)
		ret = c->del(c, 0);
	res = ret == DB_NOTFOUND ? STORE_OK :
	    dberr(s, ret, fn, "del wh_url.db");
	if ((ret = c->close(c)) != 0 && res == STORE_OK)
		res = dberr(s, ret, fn, "cursor close wh_url.db");
	buf_free(&k);
	return res;
}

/* Positions c on the last key starting with prefix p (n bytes, ending in
 * "\0"); the key after the range is p with its "\0" made "\1".  Returns 0,
 * DB_NOTFOUND when the range is empty, or an error. */
static int
range_last(DBC *c, const void *p, size_t n, DBT *key, DBT *data,
    u_int32_t rmw)
{
	char	 stack[256], *hi;
	int	 ret;

	hi = n <= sizeof(stack) ? stack : xmalloc(n);
	memcpy(hi, p, n);
	hi[n - 1] = '\1';
	dbt_in(key, hi, n);
	dbt_out(data);
	ret = c->get(c, key, data, DB_SET_RANGE | rmw);
	if (ret == 0)
		ret = c->get(c, key, data, DB_PREV | rmw);
	else if (ret == DB_NOTFOUND)
		ret = c->get(c, key, data, DB_LAST | rmw);
	if (hi != stack)
		free(hi);
	if (ret == 0 && !has_prefix(key, p, n))
		ret = DB_NOTFOUND;
	return ret;
}

/* Record number of the cursor's position. */
static int
cur_recno(DBC *c, db_recno_t *recno)
{
	DBT	 key, data;

	dbt_out(&key);
	memset(&data, 0, sizeof(data));
	data.data = recno;
	data.ulen = sizeof(*recno);
	data.flags = DB_DBT_USERMEM;
	return c->get(c, &key, &data, DB_GET_RECNO);
}

/* First and last record numbers of the keys starting with p (n bytes,
 * ending in "\0"); *first = 0 when there are none. */
static int
range_recnos(DBC *c, const void *p, size_t n, db_recno_t *first,
    db_recno_t *last)
{
	DBT	 key, data;
	int	 ret;

	*first = *last = 0;
	dbt_in(&key, p, n);
	dbt_out(&data);
	ret = c->get(c, &key, &data, DB_SET_RANGE);
	/* A team's count key is the prefix itself: no record. */
	if (ret == 0 && key.size == n)
		ret = c->get(c, &key, &data, DB_NEXT);
	if (ret == DB_NOTFOUND || (ret == 0 && !has_prefix(&key, p, n)))
		return 0;
	if (ret != 0 || (ret = cur_recno(c, first)) != 0)
		return ret;
	if ((ret = range_last(c, p, n, &key, &data, 0)) != 0 ||
	    (ret = cur_recno(c, last)) != 0)
		return ret;
	return 0;
}

/*
 * Adds delta to the team's count in wh_team.db, after the transaction's
 * own insert or delete there.  With no count yet (a store made before
 * it), the count is taken from the team's range of record numbers, which
 * already holds the change.
 */
static int
count_add(struct store *s, DB_TXN *txn, const char *team, int delta,
    const char *fn)
{
	DB		*db = s->db[DBI_WH_TEAM];
	DBC		*c;
	DBT		 key, data;
	struct buf	 p;
	unsigned char	 v[8];
	db_recno_t	 first, last;
	uint64_t	 n = 0;
	int		 ret, res = STORE_OK;

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
			res = dberr(s, ret, fn, "cursor wh_team.db");
			goto out;
		}
		ret = range_recnos(c, p.p, p.len, &first, &last);
		if (ret == 0 && first != 0)
			n = (uint64_t)(last - first) + 1;
		if (ret != 0)
			res = dberr(s, ret, fn, "count wh_team.db");
		if ((ret = c->close(c)) != 0 && res == STORE_OK)
			res = dberr(s, ret, fn, "cursor close wh_team.db");
		if (res != STORE_OK)
			goto out;
	} else {
		res = dberr(s, ret, fn, "get count wh_team.db");
		goto out;
	}
	be64put(v, n);
	dbt_in(&key, p.p, p.len);
	dbt_in(&data, v, sizeof(v));
	res = dberr(s, db->put(db, txn, &key, &data, 0), fn,
	    "put count wh_team.db");
out:
	buf_free(&p);
	return res == STORE_NOTFOUND ? STORE_ERR : res;
}

/* The hint kept for team, or NULL. */
static struct recno_hint *
hint_of(struct store *s, const char *team)
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
count_recnos(struct store *s, DBC *c, const char *p, size_t n,
    db_recno_t *first, db_recno_t *last)
{
	struct recno_hint *h;
	DBT		 key, data;
	db_recno_t	 r;
	uint64_t	 cnt;
	int		 ret;

	*first = *last = 0;
	if ((h = hint_of(s, p)) != NULL) {
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
	if ((ret = cur_recno(c, &r)) != 0)
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
next_seq(struct store *s, DB_TXN *txn, const char *team, uint64_t *seq,
    const char *fn)
{
	DB		*db = s->db[DBI_WH_TEAM];
	DBC		*c;
	DBT		 key, data;
	struct buf	 p;
	uint64_t	 last = 0, now;
	int		 ret, res = STORE_OK;

	buf_init(&p);
	buf_addz(&p, team);
	if ((ret = db->cursor(db, txn, &c, 0)) != 0) {
		buf_free(&p);
		return dberr(s, ret, fn, "cursor wh_team.db");
	}
	ret = range_last(c, p.p, p.len, &key, &data, DB_RMW);
	if (ret == 0 && key.size == p.len + 8)
		last = be64get((unsigned char *)key.data + p.len);
	else if (ret != 0 && ret != DB_NOTFOUND)
		res = dberr(s, ret, fn, "get wh_team.db");
	if ((ret = c->close(c)) != 0 && res == STORE_OK)
		res = dberr(s, ret, fn, "cursor close wh_team.db");
	buf_free(&p);
	now = now_us();
	*seq = now > last ? now : last + 1;
	return res;
}

static int	gen_bump(struct store *, DB_TXN *, const char *, const char *);

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
create_body(struct store *s, DB_TXN *txn, void *arg)
{
	static const char fn[] = "store_webhook_create";
	struct whop	*op = arg;
	const struct store_wh *wh = op->wh;
	const char	*url = wh->url != NULL ? wh->url : "";
	DB		*db = s->db[DBI_WEBHOOKS], *ti = s->db[DBI_WH_TEAM];
	DBT		 key, data;
	struct buf	 b, v;
	uint64_t	 seq = 0;
	int		 res;

	dbt_in(&key, wh->uuid, strlen(wh->uuid));
	dbt_out(&data);
	res = dberr(s, db->get(db, txn, &key, &data, DB_RMW), fn,
	    "get webhooks.db");
	if (res == STORE_OK)
		return STORE_EXISTS;
	if (res != STORE_NOTFOUND)
		return res;
	if ((op->flags & STORE_UNIQUE_URL) && *url != '\0' &&
	    (res = url_taken(s, txn, wh->team, url, NULL, fn)) != STORE_OK)
		return res;
	if ((res = next_seq(s, txn, wh->team, &seq, fn)) != STORE_OK)
		return res;
	buf_init(&b);
	wh_build(&b, wh->team, seq, url, wh->json);
	dbt_in(&key, wh->uuid, strlen(wh->uuid));
	dbt_in(&data, b.p, b.len);
	res = dberr(s, db->put(db, txn, &key, &data, DB_NOOVERWRITE), fn,
	    "put webhooks.db");
	if (res == STORE_OK) {
		buf_init(&v);
		teamkey(&b, wh->team, seq);
		teamval(&v, wh->uuid, wh->json);
		dbt_in(&key, b.p, b.len);
		dbt_in(&data, v.p, v.len);
		res = dberr(s, ti->put(ti, txn, &key, &data, DB_NOOVERWRITE),
		    fn, "put wh_team.db");
		buf_free(&v);
		if (res == STORE_EXISTS) {
			log_warn("%s: wh_team.db: sequence taken", fn);
			res = STORE_ERR;
		}
	}
	buf_free(&b);
	if (res == STORE_OK)
		res = count_add(s, txn, wh->team, 1, fn);
	if (res == STORE_OK)
		res = url_add(s, txn, wh->team, url, wh->uuid, fn);
	if (res == STORE_OK)
		res = gen_bump(s, txn, wh->team, fn);
	return res;
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
	return run(s, "store_webhook_create", TX_WRITE, create_body, &op);
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
	res = get_one(s, DBI_WEBHOOKS, &key, &data, "store_webhook_get");
	if (res != STORE_OK)
		return res;
	if ((res = wh_owned(&data, team, &seq, &u, &ul, &j, &jl)) != STORE_OK)
		return res;
	*json = xstrndup(j, jl);
	return STORE_OK;
}

static int
update_body(struct store *s, DB_TXN *txn, void *arg)
{
	static const char fn[] = "store_webhook_update";
	struct whop	*op = arg;
	DB		*db = s->db[DBI_WEBHOOKS], *ti = s->db[DBI_WH_TEAM];
	DBT		 key, data;
	struct buf	 b, tv;
	const char	*u, *j, *url;
	size_t		 ul, jl;
	uint64_t	 seq = 0;
	char		*old = NULL, *oldurl = NULL, *nurl = NULL, *njson = NULL;
	char		 id[64];
	int		 res, rc;

	buf_init(&b);
	buf_init(&tv);
	dbt_in(&key, op->uuid, strlen(op->uuid));
	dbt_out(&data);
	res = dberr(s, db->get(db, txn, &key, &data, DB_RMW), fn,
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
		    (res = url_taken(s, txn, op->team, url, op->uuid, fn))
		    != STORE_OK)
			goto out;
		if ((res = url_del(s, txn, op->team, oldurl, strlen(oldurl),
		    op->uuid, fn)) != STORE_OK ||
		    (res = url_add(s, txn, op->team, url, op->uuid, fn))
		    != STORE_OK)
			goto out;
	}
	wh_build(&b, op->team, seq, url, njson);
	dbt_in(&key, op->uuid, strlen(op->uuid));
	dbt_in(&data, b.p, b.len);
	res = dberr(s, db->put(db, txn, &key, &data, 0), fn,
	    "put webhooks.db");
	if (res == STORE_OK) {
		/* The index's copy (a value of an old store gains it here). */
		teamkey(&b, op->team, seq);
		teamval(&tv, op->uuid, njson);
		dbt_in(&key, b.p, b.len);
		dbt_in(&data, tv.p, tv.len);
		res = dberr(s, ti->put(ti, txn, &key, &data, 0), fn,
		    "put wh_team.db");
	}
	if (res == STORE_OK)
		res = gen_bump(s, txn, op->team, fn);
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
	res = run(s, "store_webhook_update", TX_WRITE, update_body, &op);
	if (fnret != NULL)
		*fnret = res == STORE_ABORTED ? op.fnret : 0;
	return res;
}

static int
delete_body(struct store *s, DB_TXN *txn, void *arg)
{
	static const char fn[] = "store_webhook_delete";
	struct whop	*op = arg;
	DB		*db = s->db[DBI_WEBHOOKS], *ti = s->db[DBI_WH_TEAM];
	DBT		 key, data;
	struct buf	 b;
	const char	*u, *j;
	size_t		 ul, jl;
	uint64_t	 seq = 0;
	char		*url = NULL, id[64];
	int		 res;

	buf_init(&b);
	dbt_in(&key, op->uuid, strlen(op->uuid));
	dbt_out(&data);
	res = dberr(s, db->get(db, txn, &key, &data, DB_RMW), fn,
	    "get webhooks.db");
	if (res != STORE_OK)
		goto out;
	if ((res = wh_owned(&data, op->team, &seq, &u, &ul, &j, &jl)) !=
	    STORE_OK)
		goto out;
	url = xstrndup(u, ul);
	if ((res = dberr(s, db->del(db, txn, &key, 0), fn,
	    "del webhooks.db")) != STORE_OK)
		goto out;
	teamkey(&b, op->team, seq);
	dbt_in(&key, b.p, b.len);
	res = dberr(s, ti->del(ti, txn, &key, 0), fn, "del wh_team.db");
	if (res == STORE_OK)
		res = count_add(s, txn, op->team, -1, fn);
	else if (res == STORE_NOTFOUND) {
		log_warn("%s: %s: not in wh_team.db", fn,
		    clean(op->uuid, id, sizeof(id)));
		res = STORE_OK;
	}
	if (res == STORE_OK)
		res = url_del(s, txn, op->team, url, strlen(url), op->uuid,
		    fn);
	if (res == STORE_OK)
		res = gen_bump(s, txn, op->team, fn);
out:
	free(url);
	buf_free(&b);
	return res;
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
	return run(s, "store_webhook_delete", TX_WRITE, delete_body, &op);
}

void
store_page_free(struct store_page *pg)
{
	if (pg == NULL)
		return;
	free(pg->mem);
	free(pg->recs);
	pg->mem = NULL;
	pg->recs = NULL;
	pg->n = 0;
	pg->total = 0;
}

/* A page of an index with record numbers: the keys starting with prefix,
 * from offset, forward (creation order) or backward (newest first). */
struct listop {
	int		 idx;		/* DBI_WH_TEAM or DBI_AT_LOG */
	const char	*fn;
	const char	*team;		/* webhooks: check the owner */
	struct buf	 prefix;	/* ends in "\0" */
	size_t		 offset, limit;
	int		 backward;
	struct store_page *pg;
	struct buf	 mem;		/* the records, each with its NUL */
	size_t		*off;		/* where each begins in mem */
};

/* Appends a record to the page: one block for all of them (a malloc and
 * a free a record were 6 % of a list page), pointed into at the end. */
static void
page_add(struct listop *op, const char *json, size_t len)
{
	op->off[op->pg->n++] = op->mem.len;
	buf_add(&op->mem, json, len);
	buf_add(&op->mem, "", 1);
}

static int	 atrec_json(struct buf *, const DBT *, const DBT *);

/* Appends the json the index value carries, or the json of the record
 * it refers to (a uuid, in an old wh_team.db); for the attempt log, the
 * json of k -> v. */
static int
list_deref(struct store *s, DB_TXN *txn, struct listop *op, const DBT *k,
    const DBT *v)
{
	const char	*j;
	size_t		 jl;
	char		*json, *ref;
	int		 res;

	if (op->idx == DBI_AT_LOG) {
		/* Rendered in place; taken back if it cannot be read. */
		jl = op->mem.len;
		if (atrec_json(&op->mem, k, v) == -1) {
			op->mem.len = jl;
			log_warn("%s: a malformed record in at_log.db", op->fn);
			return STORE_OK;
		}
		op->off[op->pg->n++] = jl;
		buf_add(&op->mem, "", 1);
		return STORE_OK;
	}
	if (teamval_json(v, &j, &jl)) {
		page_add(op, j, jl);
		return STORE_OK;
	}
	ref = xstrndup(v->data, v->size);
	res = wh_read(s, txn, op->team, ref, v->size, 0, &json, op->fn);
	free(ref);
	if (res == STORE_NOTFOUND) {
		log_warn("%s: %s points to a missing record", op->fn,
		    dbspecs[op->idx].file);
		return STORE_OK;
	}
	if (res == STORE_OK) {
		page_add(op, json, strlen(json));
		free(json);
	}
	return res;
}

/*
 * Forward from record number recno, want records, read in bulk
 * (DB_MULTIPLE_KEY): one cursor call copies a run of key/data pairs into a
 * buffer, instead of one DB_NEXT per record, each with its own page lock
 * and cursor set-up.  The buffer is sized for the records wanted (at least
 * a page, as Berkeley DB requires); a run that stops short is continued by
 * the next call from where it stopped.
 * Returns 0 or a Berkeley DB error; *res a store error from list_deref.
 */
static int
list_bulk(struct store *s, DB_TXN *txn, struct listop *op, DBC *c,
    db_recno_t recno, size_t want, int *res)
{
	struct store_page *pg = op->pg;
	DBT		 key, data, v, kk;
	size_t		 size, pgsz;
	u_int32_t	 flag = DB_SET_RECNO;
	void		*p, *k, *d;
	u_int32_t	 kl, dl;
	int		 ret;

	/* About a kilobyte a record, in whole pages: measured for 15 records
	 * of 1.3 KiB on 8 KiB pages, one page a call cost 7 % more (three
	 * calls), three pages 3 % more (more copied than used). */
	pgsz = dbspecs[op->idx].pagesize;
	size = (want < BULK_MAX / 1024 ? want * 1024 : BULK_MAX) + pgsz - 1;
	size = size / pgsz * pgsz;
	data.data = NULL;
	for (;;) {
		dbt_in(&key, &recno, sizeof(recno));
		memset(&data, 0, sizeof(data));
		data.data = xmalloc(size);
		data.ulen = (u_int32_t)size;
		data.flags = DB_DBT_USERMEM;
		ret = c->get(c, &key, &data, flag | DB_MULTIPLE_KEY);
		if (ret == DB_BUFFER_SMALL) {
			/* One record larger than the buffer. */
			free(data.data);
			size = ((size_t)data.size + 1023) & ~(size_t)1023;
			continue;
		}
		if (ret != 0)
			break;
		DB_MULTIPLE_INIT(p, &data);
		for (;;) {
			DB_MULTIPLE_KEY_NEXT(p, &data, k, kl, d, dl);
			if (p == NULL)
				break;
			if (kl < op->prefix.len ||
			    memcmp(k, op->prefix.p, op->prefix.len) != 0) {
				free(data.data);
				return 0;
			}
			dbt_in(&v, d, dl);
			dbt_in(&kk, k, kl);
			if ((*res = list_deref(s, txn, op, &kk, &v)) !=
			    STORE_OK) {
				free(data.data);
				return 0;
			}
			if (pg->n == want) {
				free(data.data);
				return 0;
			}
		}
		free(data.data);
		data.data = NULL;
		flag = DB_NEXT;
	}
	free(data.data);
	return ret == DB_NOTFOUND ? 0 : ret;
}

static int
list_body(struct store *s, DB_TXN *txn, void *arg)
{
	struct listop	*op = arg;
	struct store_page *pg = op->pg;
	DB		*db = s->db[op->idx];
	DBC		*c;
	DBT		 key, data;
	db_recno_t	 first, last, recno;
	size_t		 want;
	size_t		 i;
	int		 ret, res = STORE_OK;

	store_page_free(pg);
	buf_reset(&op->mem);
	free(op->off);
	op->off = NULL;
	if ((ret = db->cursor(db, txn, &c, 0)) != 0)
		return dberr(s, ret, op->fn, "cursor");
	ret = DB_NOTFOUND;
	if (op->idx == DBI_WH_TEAM)
		ret = count_recnos(s, c, op->prefix.p, op->prefix.len, &first,
		    &last);
	if (ret == DB_NOTFOUND)
		ret = range_recnos(c, op->prefix.p, op->prefix.len, &first,
		    &last);
	if (ret != 0)
		goto dberror;
	if (first == 0 || last < first)
		goto done;
	pg->total = (size_t)(last - first) + 1;
	if (op->offset >= pg->total || op->limit == 0)
		goto done;
	want = pg->total - op->offset;
	if (want > op->limit)
		want = op->limit;
	pg->recs = xcalloc(want, sizeof(*pg->recs));
	op->off = xcalloc(want, sizeof(*op->off));
	buf_reserve(&op->mem, want * 1536);
	recno = op->backward ? last - (db_recno_t)op->offset :
	    first + (db_recno_t)op->offset;
	if (!op->backward) {
		if ((ret = list_bulk(s, txn, op, c, recno, want, &res)) != 0)
			goto dberror;
		if (res != STORE_OK)
			goto fail;
		goto done;
	}
	dbt_in(&key, &recno, sizeof(recno));
	dbt_out(&data);
	ret = c->get(c, &key, &data, DB_SET_RECNO);
	while (ret == 0 && pg->n < want) {
		if (!has_prefix(&key, op->prefix.p, op->prefix.len))
			break;
		if ((res = list_deref(s, txn, op, &key, &data)) != STORE_OK)
			goto fail;
		if (pg->n < want)
			ret = c->get(c, &key, &data,
			    op->backward ? DB_PREV : DB_NEXT);
	}
	if (ret != 0 && ret != DB_NOTFOUND)
		goto dberror;
done:
	if ((ret = c->close(c)) != 0) {
		c = NULL;
		goto dberror;
	}
	if (pg->n > 0) {
		pg->mem = buf_take(&op->mem);
		for (i = 0; i < pg->n; i++)
			pg->recs[i] = pg->mem + op->off[i];
	}
	return STORE_OK;
dberror:
	res = dberr(s, ret, op->fn, "cursor get");
fail:
	if (c != NULL)
		(void)c->close(c);
	store_page_free(pg);
	return res == STORE_NOTFOUND ? STORE_ERR : res;
}

static int
list_run(struct store *s, struct listop *op)
{
	int	 res;

	memset(op->pg, 0, sizeof(*op->pg));
	if (s->fatal)
		return STORE_FATAL;
	buf_init(&op->mem);
	res = run(s, op->fn, TX_READ, list_body, op);
	if (res != STORE_OK)
		store_page_free(op->pg);
	buf_free(&op->prefix);
	buf_free(&op->mem);
	free(op->off);
	return res;
}

int
store_webhook_list(struct store *s, const char *team, size_t offset,
    size_t limit, struct store_page *pg)
{
	struct listop	 op;

	memset(&op, 0, sizeof(op));
	op.idx = DBI_WH_TEAM;
	op.fn = "store_webhook_list";
	op.team = team;
	buf_init(&op.prefix);
	buf_addz(&op.prefix, team);
	op.offset = offset;
	op.limit = limit;
	op.pg = pg;
	return list_run(s, &op);
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
	sc.team = team;
	res = scan_run(s, &sc, fn, arg);
	buf_free(&p);
	return res;
}

/* ---- the attempt log ----------------------------------------------- */

struct attop {
	int64_t		 at_ms;		/* prune: older than this */
	struct buf	 from;		/* prune: the key to start from */
	struct buf	 next;		/* prune: the key the next batch starts
					   from (from is kept for a retry) */
	size_t		 n;		/* prune: removed in this transaction */
	int		 done;		/* prune: nothing older is left */
};

/* uuid "\0" be64(at) id: the key in at_log.db */
static void
atlogkey(struct buf *b, const char *uuid, size_t ulen, uint64_t at,
    const void *id, size_t idlen)
{
	buf_reset(b);
	buf_add(b, uuid, ulen);
	buf_putc(b, '\0');
	buf_add64(b, at);
	buf_add(b, id, idlen);
}

/*
 * An attempt's record in at_log.db.  Its webhook, time and id are in the
 * key; the rest is packed, a third the size of the JSON it is listed as
 * (Berkeley DB logs a page split whole, so the log grows by about three
 * times a record's size):
 *   0x02, flags (1 success, 2 manual), be16 attempt, be16 status (0:
 *   none), be64 latency_ms, be64 next_ms (0: none), then delivery_id,
 *   event_id, event_type, state, error, body, each be16 length + bytes.
 * A record starting with '{' is the JSON itself (stores made before, and
 * store_attempt_add), listed as it is.
 */
#define ATREC_V2	0x02
#define ATREC_HEAD	22
#define ATREC_STRS	6

static void
buf_add16(struct buf *b, size_t v)
{
	unsigned char	 p[2];

	if (v > 0xffff)
		v = 0xffff;
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
	buf_add(b, p, 2);
}

static void
atrec_str(struct buf *b, const char *s)
{
	size_t	 n = strlen(s);

	if (n > 0xffff)
		n = 0xffff;
	buf_add16(b, n);
	buf_add(b, s, n);
}

char *
store_attempt_pack(const struct store_attempt_info *i, size_t *len)
{
	struct buf	 b;
	unsigned char	 h[2];

	buf_init(&b);
	h[0] = ATREC_V2;
	h[1] = (unsigned char)((i->success ? 1 : 0) | (i->manual ? 2 : 0));
	buf_add(&b, h, 2);
	buf_add16(&b, i->attempt < 0 ? 0 : (size_t)i->attempt);
	buf_add16(&b, i->status < 0 ? 0 : (size_t)i->status);
	buf_add64(&b, (uint64_t)i->latency_ms);
	buf_add64(&b, (uint64_t)i->next_ms);
	atrec_str(&b, i->delivery_id);
	atrec_str(&b, i->event_id);
	atrec_str(&b, i->event_type);
	atrec_str(&b, i->state);
	atrec_str(&b, i->error);
	atrec_str(&b, i->body);
	*len = b.len;
	return buf_take(&b);
}

static void
atrec_iso(struct buf *b, int64_t ms)
{
	char	 ts[UTIL_ISO_LEN];

	if (ms <= 0) {
		buf_puts(b, "null");
		return;
	}
	util_iso8601(ms, ts);
	buf_json_str(b, ts);
}

/*
 * Appends the JSON of the at_log.db record k -> v to out: the text itself,
 * or the packed record unpacked.  -1 if it is malformed.
 */
static int
atrec_json(struct buf *out, const DBT *k, const DBT *v)
{
	static const char *const names[3] = { "delivery_id", "event_id",
	    "event_type" };
	const unsigned char	*p = v->data, *end = p + v->size, *kp = k->data;
	const unsigned char	*nul, *str[ATREC_STRS];
	size_t			 slen[ATREC_STRS], i, ulen;
	int			 flags, attempt, status;

	if (v->size > 0 && p[0] == '{') {
		buf_add(out, v->data, v->size);
		return 0;
	}
	if (v->size < ATREC_HEAD || p[0] != ATREC_V2 ||
	    (nul = memchr(kp, '\0', k->size)) == NULL ||
	    (size_t)(kp + k->size - nul) < 1 + 8)
		return -1;
	ulen = (size_t)(nul - kp);
	flags = p[1];
	attempt = p[2] << 8 | p[3];
	status = p[4] << 8 | p[5];
	p += ATREC_HEAD;
	for (i = 0; i < ATREC_STRS; i++) {
		if (end - p < 2)
			return -1;
		slen[i] = (size_t)(p[0] << 8 | p[1]);
		p += 2;
		if ((size_t)(end - p) < slen[i])
			return -1;
		str[i] = p;
		p += slen[i];
	}
	buf_puts(out, "{\"v\":1,\"id\":");
	buf_json_strn(out, (const char *)nul + 9,
	    (size_t)(kp + k->size - (nul + 9)));
	for (i = 0; i < 3; i++) {
		buf_puts(out, ",\"");
		buf_puts(out, names[i]);
		buf_puts(out, "\":");
		buf_json_strn(out, (const char *)str[i], slen[i]);
	}
	buf_puts(out, ",\"webhook_id\":");
	buf_json_strn(out, (const char *)kp, ulen);
	buf_puts(out, ",\"attempt\":");
	buf_putll(out, attempt);
	buf_puts(out, ",\"created_at\":");
	atrec_iso(out, at_dec(be64get(nul + 1)));
	buf_puts(out, ",\"status_code\":");
	if (status > 0)
		buf_putll(out, status);
	else
		buf_puts(out, "null");
	buf_puts(out, ",\"latency_ms\":");
	buf_putll(out, (long long)be64get((const unsigned char *)v->data + 6));
	buf_puts(out, (flags & 1) ? ",\"success\":true,\"error\":" :
	    ",\"success\":false,\"error\":");
	if (slen[4] > 0)
		buf_json_strn(out, (const char *)str[4], slen[4]);
	else
		buf_puts(out, "null");
	buf_puts(out, ",\"response_body\":");
	buf_json_strn(out, (const char *)str[5], slen[5]);
	buf_puts(out, ",\"state\":");
	buf_json_strn(out, (const char *)str[3], slen[3]);
	buf_puts(out, ",\"next_attempt_at\":");
	atrec_iso(out, (int64_t)be64get((const unsigned char *)v->data + 14));
	buf_puts(out, (flags & 2) ? ",\"manual\":true}" :
	    ",\"manual\":false}");
	return 0;
}

int
store_attempt_json(struct buf *out, const void *key, size_t klen,
    const void *rec, size_t len)
{
	DBT	 k, v;

	dbt_in(&k, key, klen);
	dbt_in(&v, rec, len);
	return atrec_json(out, &k, &v);
}

struct attbatch {
	const struct store_attempt	*v;
	size_t				 n;
	size_t				 dup;	/* ids taken already */
};

/* One put an attempt. */
static int
attempt_add_body(struct store *s, DB_TXN *txn, void *arg)
{
	struct attbatch	*ab = arg;
	DB		*db = s->db[DBI_AT_LOG];
	DBT		 key, data;
	struct buf	 b;
	size_t		 i;
	int		 res = STORE_OK;

	buf_init(&b);
	ab->dup = 0;
	for (i = 0; i < ab->n && res == STORE_OK; i++) {
		atlogkey(&b, ab->v[i].uuid, strlen(ab->v[i].uuid),
		    at_enc(ab->v[i].at_ms), ab->v[i].id, strlen(ab->v[i].id));
		dbt_in(&key, b.p, b.len);
		dbt_in(&data, ab->v[i].rec, ab->v[i].len);
		res = dberr(s, db->put(db, txn, &key, &data, DB_NOOVERWRITE),
		    "store_attempt_add", "put at_log.db");
		/* A taken id is that attempt's problem, not the batch's. */
		if (res == STORE_EXISTS && ab->n > 1) {
			ab->dup++;
			res = STORE_OK;
		}
	}
	buf_free(&b);
	return res;
}

int
store_attempt_add(struct store *s, const char *webhook_uuid, const char *id,
    int64_t at_ms, const char *json)
{
	struct store_attempt	 a = { webhook_uuid, id, at_ms, json,
	    strlen(json) };

	return store_attempt_add_many(s, &a, 1);
}

int
store_attempt_add_many(struct store *s, const struct store_attempt *v,
    size_t n)
{
	struct attbatch	 ab = { v, n, 0 };
	int		 res;

	if (s->fatal)
		return STORE_FATAL;
	if (n == 0)
		return STORE_OK;
	res = run(s, "store_attempt_add", TX_WRITE_NOSYNC, attempt_add_body,
	    &ab);
	if (res == STORE_OK && ab.dup > 0)
		log_warn("store_attempt_add: %zu of %zu attempt ids were taken "
		    "already; those attempts were not logged", ab.dup, n);
	return res;
}

int
store_attempt_list(struct store *s, const char *webhook_uuid, size_t offset,
    size_t limit, struct store_page *pg)
{
	struct listop	 op;

	memset(&op, 0, sizeof(op));
	op.idx = DBI_AT_LOG;
	op.fn = "store_attempt_list";
	buf_init(&op.prefix);
	buf_addz(&op.prefix, webhook_uuid);
	op.offset = offset;
	op.limit = limit;
	op.backward = 1;
	op.pg = pg;
	return list_run(s, &op);
}

/*
 * At most PRUNE_BATCH keys visited (removed, or passed on to the next
 * webhook: a store of many webhooks with nothing old must not hold its
 * locks over all of them), from op->from on: each webhook's attempts are
 * in time order, so its old ones are at the start of its range, and the
 * first young one sends the cursor on to the next webhook.  A key that
 * cannot be read (no listing shows it) is removed too.
 */
static int
prune_body(struct store *s, DB_TXN *txn, void *arg)
{
	static const char fn[] = "store_attempt_prune";
	struct attop	*op = arg;
	DB		*db = s->db[DBI_AT_LOG];
	DBC		*c;
	DBT		 key, data;
	const char	*nul;
	size_t		 steps = 0;
	int		 ret, res = STORE_OK, bad;

	op->n = 0;
	op->done = 0;
	if ((ret = db->cursor(db, txn, &c, 0)) != 0)
		return dberr(s, ret, fn, "cursor at_log.db");
	dbt_in(&key, op->from.p, op->from.len);
	dbt_out(&data);
	data.flags = DB_DBT_PARTIAL;	/* the keys are enough */
	ret = c->get(c, &key, &data, (op->from.len > 0 ? DB_SET_RANGE :
	    DB_FIRST) | DB_RMW);
	while (ret == 0 && steps++ < PRUNE_BATCH) {
		nul = memchr(key.data, '\0', key.size);
		bad = nul == NULL || key.size - (size_t)(nul + 1 -
		    (const char *)key.data) < 8;
		if (bad)
			log_warn("%s: a malformed key in at_log.db; removed",
			    fn);
		if (bad || at_dec(be64get((const unsigned char *)nul + 1)) <
		    op->at_ms) {
			if ((ret = c->del(c, 0)) != 0)
				break;
			op->n++;
			ret = c->get(c, &key, &data, DB_NEXT | DB_RMW);
			continue;
		}
		/* The next webhook: the first key past uuid "\0" ... */
		buf_reset(&op->next);
		buf_add(&op->next, key.data, (size_t)(nul - (const char *)
		    key.data));
		buf_putc(&op->next, '\001');
		dbt_in(&key, op->next.p, op->next.len);
		ret = c->get(c, &key, &data, DB_SET_RANGE | DB_RMW);
	}
	if (ret == 0) {
		/* Stopped at a full batch: the next one starts here. */
		buf_reset(&op->next);
		buf_add(&op->next, key.data, key.size);
	} else if (ret == DB_NOTFOUND)
		op->done = 1;
	else if (res == STORE_OK)
		res = dberr(s, ret, fn, "delete");
	if ((ret = c->close(c)) != 0 && res == STORE_OK)
		res = dberr(s, ret, fn, "cursor close at_log.db");
	return res == STORE_NOTFOUND ? STORE_ERR : res;
}

/* In transactions of at most PRUNE_BATCH keys, so that no lock is held
 * long; *removed counts what was committed, also on error. */
int
store_attempt_prune(struct store *s, int64_t before_ms, size_t *removed)
{
	struct attop	 op;
	struct buf	 t;
	int		 res = STORE_OK;

	*removed = 0;
	memset(&op, 0, sizeof(op));
	op.at_ms = before_ms;
	buf_init(&op.from);
	buf_init(&op.next);
	do {
		if (s->fatal) {
			res = STORE_FATAL;
			break;
		}
		res = run(s, "store_attempt_prune", TX_WRITE_NOSYNC,
		    prune_body, &op);
		if (res != STORE_OK)
			break;
		*removed += op.n;
		t = op.from;
		op.from = op.next;
		op.next = t;
	} while (!op.done);
	buf_free(&op.from);
	buf_free(&op.next);
	return res;
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
migrate_body(struct store *s, DB_TXN *txn, void *arg)
{
	static const char fn[] = "store_upgrade";
	struct migop	*op = arg;
	DB		*db = s->db[DBI_AT_LOG];
	DBC		*c;
	DBT		 key, data, k2, d2;
	int		 ret, res = STORE_OK;

	op->n = op->moved = 0;
	op->done = 0;
	if ((ret = op->hook->cursor(op->hook, txn, &c, 0)) != 0)
		return dberr(s, ret, fn, "cursor at_hook.db");
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
		res = dberr(s, ret, fn, "copy");
	if ((ret = c->close(c)) != 0 && res == STORE_OK)
		res = dberr(s, ret, fn, "cursor close at_hook.db");
	return res == STORE_NOTFOUND ? STORE_ERR : res;
}

static DB *
old_open(struct store *s, const char *file)
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
	if (!op.done && ((op.hook = old_open(s, "at_hook.db")) == NULL ||
	    (op.att = old_open(s, "attempts.db")) == NULL)) {
		log_warn("store_upgrade: cannot open the old attempt log");
		res = STORE_ERR;
	}
	while (res == STORE_OK && !op.done) {
		res = run(s, "store_upgrade", TX_WRITE, migrate_body, &op);
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
			res = dberr(s, ret, "store_upgrade", old[i]);
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
genkey(struct buf *b, const char *team)
{
	buf_reset(b);
	buf_add(b, GEN_PREFIX, sizeof(GEN_PREFIX) - 1);
	buf_addz(b, team);
}

static int
gen_bump(struct store *s, DB_TXN *txn, const char *team, const char *fn)
{
	DB		*db = s->db[DBI_WEBHOOKS];
	DBT		 key, data;
	struct buf	 b;
	unsigned char	 v[8];
	uint64_t	 gen = 0;
	int		 res;

	buf_init(&b);
	genkey(&b, team != NULL ? team : "");
	dbt_in(&key, b.p, b.len);
	dbt_out(&data);
	res = dberr(s, db->get(db, txn, &key, &data, DB_RMW), fn,
	    "get generation");
	if (res == STORE_OK && data.size == 8)
		gen = be64get(data.data);
	else if (res != STORE_OK && res != STORE_NOTFOUND) {
		buf_free(&b);
		return res;
	}
	be64put(v, gen + 1);
	dbt_in(&data, v, sizeof(v));
	res = dberr(s, db->put(db, txn, &key, &data, 0), fn,
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
	genkey(&b, team);
	dbt_in(&key, b.p, b.len);
	res = get_one(s, DBI_WEBHOOKS, &key, &data, "store_webhook_gen");
	buf_free(&b);
	if (res == STORE_NOTFOUND)
		return STORE_OK;	/* never written: generation 0 */
	if (res == STORE_OK && data.size == 8)
		*gen = be64get(data.data);
	else if (res == STORE_OK)
		res = STORE_ERR;
	return res;
}
