/*
 * store_env.c: the Berkeley DB 5.3 environment in $WEBHOOKS_HOME/db: open
 * (with recovery), close, the transactions every store call runs in
 * (store_run), failchk, checkpoints and log removal (store_maintain), hot
 * backup, verification, and what keeps a full disk from killing processes.
 * The databases and their records are the other store_*.c files'
 * (store_int.h lists them); see store.h for the contract.  Its static
 * functions are named env_*.
 *
 * Concurrency: every process opens its own DB_ENV with DB_REGISTER |
 * DB_RECOVER | DB_FAILCHK (no DB_THREAD, no DB_PRIVATE).  Every read and
 * write runs in a DB_TXN_NOWAIT transaction: a lock that is not free at
 * once fails the call with DB_LOCK_NOTGRANTED, and store_run() tries the
 * whole transaction again after a short random sleep.
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
 * DB_FAILCHK), (2) here, every FAILCHK_EVERY tries of a call that keeps
 * finding a lock taken (so a process blocked by a dead one's lock frees it
 * itself within a few milliseconds), and (3) in store_maintain, which
 * webhookd runs every 5 minutes and each FastCGI process every minute
 * (and store_failchk, for a caller that wants it alone).
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
 * (env_region_reserve).  Database files are never mapped (DB_NOMMAP: a
 * read-only handle, see env_db_open_one, would otherwise map a small file).
 * What is left on a full disk are the log and database
 * files, written with write(2): ENOSPC comes back as an error, the
 * transaction aborts, the caller answers 503, and the next write after
 * space returns succeeds.  Should a SIGBUS come anyway, the handler panics
 * the environment before the process dies, so that the others leave and the
 * next open recovers instead of waiting on the dead process's mutex.
 *
 * Process ids in the env_is_alive check may be reused by an unrelated process;
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
#include <unistd.h>

#include "store_int.h"

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

const struct dbspec store_dbspecs[DBI_N] = {
	[DBI_TEAMS] =		{ "teams.db",		4096, 0 },
	[DBI_TOKENS] =		{ "tokens.db",		4096, 0 },
	[DBI_WEBHOOKS] =	{ "webhooks.db",	8192, 0 },
	[DBI_WH_TEAM] =		{ "wh_team.db",		8192, DB_RECNUM },
	[DBI_WH_URL] =		{ "wh_url.db",		8192,
				  DB_DUP | DB_DUPSORT },
	[DBI_AT_LOG] =		{ "at_log.db",		8192, DB_RECNUM },
	[DBI_TABLES + STORE_IDEMPOTENCY] = { "idempotency.db", 4096, 0 },
	[DBI_TABLES + STORE_SESSIONS] =	  { "sessions.db",   4096, 0 },
	[DBI_TABLES + STORE_LIMITS] =	  { "limits.db",     4096, 0 },
	[DBI_TABLES + STORE_SECRETS] =	  { "secrets.db",    4096, 0 },
	[DBI_TABLES + STORE_COUNTERS] =	  { "counters.db",   4096, 0 },
	[DBI_TABLES + STORE_APPS] =	  { "apps.db",       4096, 0 },
	[DBI_TABLES + STORE_MSGS] =	  { "msgs.db",       8192, 0 },
};

static int	env_reopen_rw(struct store *);
static int	env_run(struct store *, const char *, enum txmode, body_fn,
		    void *, const struct store_rmw *);

/* ---- transactions ------------------------------------------------------ */

/*
 * Maps a Berkeley DB result to a store result; logs what the caller cannot
 * be expected to handle.  Deadlocks and lock timeouts become RETRY.
 */
int
store_dberr(struct store *s, int ret, const char *fn, const char *what)
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
env_failchk_lock(struct store *s, int op)
{
	if (s->lockfd == -1)
		return;
	while (flock(s->lockfd, op) == -1 && errno == EINTR)
		;
}

/* Frees the locks and aborts the transactions of dead processes. */
static int
env_failchk(struct store *s, const char *fn)
{
	int	 ret;

	env_failchk_lock(s, LOCK_EX);
	ret = s->env->failchk(s->env, 0);
	env_failchk_lock(s, LOCK_UN);
	if (ret != 0)
		return store_dberr(s, ret, fn, "failchk");
	return STORE_OK;
}

/*
 * Sleeps a little before try number `try` + 1, more as tries go on (at
 * most 6.4 ms); now and then frees the locks of dead processes, in case
 * the lock that keeps being taken is one of theirs.
 */
static void
env_backoff(struct store *s, const char *fn, int try)
{
	unsigned int	 max;

	if (try % FAILCHK_EVERY == 0)
		(void)env_failchk(s, fn);
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
env_scope_txn(struct store *s, const char *fn, DB_TXN **txn)
{
	int	 ret, res;

	if (s->rtxn == NULL && (ret = s->env->txn_begin(s->env, NULL,
	    &s->rtxn, DB_TXN_NOWAIT | DB_READ_COMMITTED)) != 0) {
		s->rtxn = NULL;
		res = store_dberr(s, ret, fn, "txn_begin");
		return res == STORE_NOTFOUND ? STORE_ERR : res;
	}
	*txn = s->rtxn;
	return STORE_OK;
}

/* Ends the scope's transaction, if one is open: commits it after reads
 * that succeeded, aborts it after one that did not (ok == 0). */
static void
env_scope_close(struct store *s, int ok, const char *fn)
{
	DB_TXN	*txn = s->rtxn;
	int	 ret;

	if (txn == NULL)
		return;
	s->rtxn = NULL;
	ret = ok ? txn->commit(txn, 0) : txn->abort(txn);
	if (ret != 0)
		(void)store_dberr(s, ret, fn, ok ? "txn_commit" : "txn_abort");
}

void
store_read_begin(struct store *s)
{
	s->scoped = 1;
}

void
store_read_end(struct store *s)
{
	env_scope_close(s, 1, "store_read_end");
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
env_test_pause(const char *fn)
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
int
store_run(struct store *s, const char *fn, enum txmode mode, body_fn body,
    void *arg)
{
	const struct store_rmw *also = mode != TX_READ ? s->also : NULL;

	if (mode != TX_READ)
		s->also = NULL;
	return env_run(s, fn, mode, body, arg, also);
}

void
store_also(struct store *s, const struct store_rmw *rmw)
{
	s->also = rmw;
}

/* store_run's loop; also (a write's store_also) runs after body. */
static int
env_run(struct store *s, const char *fn, enum txmode mode, body_fn body,
    void *arg, const struct store_rmw *also)
{
	DB_TXN		*txn;
	u_int32_t	 bflags, cflags;
	int		 try, ret, res;

	bflags = DB_TXN_NOWAIT | (mode == TX_READ ? DB_READ_COMMITTED : 0);
	cflags = mode == TX_WRITE_NOSYNC ? DB_TXN_WRITE_NOSYNC : 0;
	if (mode != TX_READ) {
		env_scope_close(s, 1, fn);
		if (s->degraded && (res = env_reopen_rw(s)) != STORE_OK)
			return res;
	}
	for (try = 0; try < MAX_TRIES; try++) {
		if (try > 0)
			env_backoff(s, fn, try);
		if (s->fatal)
			return STORE_FATAL;
		if (mode == TX_READ && s->scoped) {
			if ((res = env_scope_txn(s, fn, &txn)) == RETRY)
				continue;
			if (res != STORE_OK)
				return res;
			res = body(s, txn, arg);
			if (res != STORE_OK && res != STORE_NOTFOUND)
				env_scope_close(s, 0, fn);
			if (s->fatal)
				return STORE_FATAL;
			if (res != RETRY)
				return res;
			continue;
		}
		if ((ret = s->env->txn_begin(s->env, NULL, &txn, bflags)) != 0) {
			res = store_dberr(s, ret, fn, "txn_begin");
			if (res == RETRY)
				continue;
			return res == STORE_NOTFOUND ? STORE_ERR : res;
		}
		res = body(s, txn, arg);
		if (res == STORE_OK && also != NULL)
			res = store_rmw_in(s, txn, also);
		if (res == STORE_OK) {
			if (mode != TX_READ)
				env_test_pause(fn);
			if ((ret = txn->commit(txn, cflags)) == 0)
				return STORE_OK;
			res = store_dberr(s, ret, fn, "txn_commit");
		} else if ((ret = txn->abort(txn)) != 0) {
			if (store_dberr(s, ret, fn, "txn_abort") == STORE_FATAL)
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

/* One record's DB->get, as a store_run() body. */
struct get_op {
	int		 dbi;
	DBT		*key, *data;
	const char	*fn;
};

static int
env_get_body(struct store *s, DB_TXN *txn, void *arg)
{
	struct get_op	*op = arg;
	DB		*db;
	int		 ret, res;

	if ((res = store_db(s, op->dbi, &db)) != STORE_OK)
		return res;
	dbt_out(op->data);
	if ((ret = db->get(db, txn, op->key, op->data, 0)) == 0)
		return STORE_OK;
	return store_dberr(s, ret, op->fn, store_dbspecs[op->dbi].file);
}

/* DB->get of one record in a read transaction (run's, or the read
 * scope's); data is Berkeley DB's memory (the handle's buffer, valid
 * until its next call). */
int
store_get_one(struct store *s, int dbi, DBT *key, DBT *data, const char *fn)
{
	struct get_op	 op = { dbi, key, data, fn };

	return store_run(s, fn, TX_READ, env_get_body, &op);
}

/* ---- environment ------------------------------------------------------ */

static void
env_errcall(const DB_ENV *env, const char *pfx, const char *msg)
{
	(void)env;
	log_warn("%s: %s", pfx != NULL ? pfx : "store", msg);
}

/* Berkeley DB's informational messages (failchk says what it freed). */
static void
env_msgcall(const DB_ENV *env, const char *msg)
{
	(void)env;
	log_info("store: bdb: %s", msg);
}

/*
 * Whether process pid has this environment's registry open: a member of
 * the environment, not some process that took a dead member's pid.
 */
static int
env_has_registry(pid_t pid, const char *reg)
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
 * Berkeley DB names every slot of the registry but the dead one's, empty
 * ones as pid 0.  The event comes inside env->open, where DB_ENV->get_home
 * is refused (BDB1565, "method not permitted before handle's open
 * method"): the registry's path is the store's, made before the open.
 */
static void
env_stop_stale(struct store *s, pid_t pid)
{
	if (pid <= 1 || pid == getpid() || s->registry == NULL)
		return;
	if (env_has_registry(pid, s->registry)) {
		log_warn("store: recovery: process %ld is still in the "
		    "environment: ending it", (long)pid);
		(void)kill(pid, SIGALRM);
	}
}

static void
env_event_cb(DB_ENV *env, u_int32_t event, void *info)
{
	struct store	*s = env->app_private;

	if (event == DB_EVENT_REG_ALIVE && info != NULL && s != NULL)
		env_stop_stale(s, *(pid_t *)info);
	if ((event == DB_EVENT_PANIC || event == DB_EVENT_REG_PANIC) &&
	    s != NULL)
		s->fatal = 1;
}

static int
env_is_alive(DB_ENV *env, pid_t pid, db_threadid_t tid, u_int32_t flags)
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
env_thread_id(DB_ENV *env, pid_t *pid, db_threadid_t *tid)
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
	env->set_errcall(env, env_errcall);
	env->set_errpfx(env, "store: bdb");
	env->set_msgcall(env, env_msgcall);
	if (private_env) {
		*envp = env;
		return 0;
	}
	if ((ret = env->set_event_notify(env, env_event_cb)) != 0 ||
	    (ret = env->set_cachesize(env, 0, CACHE_BYTES, 1)) != 0 ||
	    (ret = env->set_lg_max(env, LOG_MAX_BYTES)) != 0 ||
	    (ret = env->set_lk_detect(env, DB_LOCK_DEFAULT)) != 0 ||
	    (ret = env->set_lk_max_locks(env, 5000)) != 0 ||
	    (ret = env->set_lk_max_objects(env, 5000)) != 0 ||
	    (ret = env->set_lk_max_lockers(env, 2000)) != 0 ||
	    (ret = env->set_thread_count(env, THREAD_COUNT)) != 0 ||
	    (ret = env->set_isalive(env, env_is_alive)) != 0 ||
	    (ret = env->set_thread_id(env, env_thread_id)) != 0 ||
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
env_recover_fatal(struct store *s, const char *path, int private_env)
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
env_mkdir(const char *path)
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
env_disk_error(int ret)
{
	return ret == ENOSPC || ret == EDQUOT || ret == EIO;
}

/*
 * Opens database i into *dbp: read-write, created if missing, or with
 * rdonly read-only (an open for writing logs a record, which a full disk
 * refuses; a read-only handle logs nothing), trying at most tries times
 * while another process holds a lock it needs.  Returns 0, else the
 * Berkeley DB error (logged unless a taken lock) or -1.
 */
static int
env_db_open_one(struct store *s, int i, int rdonly, int tries, DB **dbp)
{
	const struct dbspec *sp = &store_dbspecs[i];
	DB	*db;
	int	 ret = -1, try;

	for (try = 0; try < tries; try++) {
		if (try > 0)
			env_backoff(s, "store_open", try);
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
		if (store_dberr(s, ret, "store_open", sp->file) != RETRY)
			return ret;
	}
	return ret;
}

/*
 * The handle of database dbi into *dbp, the database opened at its first
 * use when the store was opened with STORE_LAZY: a process that serves one
 * request (plain CGI) opens only the files that request reads, each open
 * costing a dozen system calls and two log records (its open and its
 * close).  Called in a transaction's body: a
 * lock the open could not have is not tried for again here, but RETRY, and
 * the whole transaction runs again (store_run).  A disk that cannot take a
 * write gets a read-only handle, as store_open did for every database; a
 * write through it fails, and the next write opens it for writing again
 * (env_reopen_rw).  Returns a store result.
 */
int
store_db(struct store *s, int dbi, DB **dbp)
{
	int	 ret;

	if ((*dbp = s->db[dbi]) != NULL)
		return STORE_OK;
	if (s->fatal)
		return STORE_FATAL;
	if ((ret = env_db_open_one(s, dbi, 0, 1, &s->db[dbi])) != 0 &&
	    env_disk_error(ret) &&
	    (ret = env_db_open_one(s, dbi, 1, 1, &s->db[dbi])) == 0) {
		s->ro[dbi] = 1;
		s->degraded = 1;
	}
	if (ret == 0) {
		*dbp = s->db[dbi];
		return STORE_OK;
	}
	s->db[dbi] = NULL;
	if (s->fatal)
		return STORE_FATAL;
	return ret == DB_LOCK_NOTGRANTED || ret == DB_LOCK_DEADLOCK ? RETRY :
	    STORE_ERR;
}

/* Opens every database not open yet (store_open without STORE_LAZY,
 * store_check); -1 when one cannot be opened. */
static int
env_db_open_all(struct store *s)
{
	int	 i, ret;

	for (i = 0; i < DBI_N; i++) {
		if (s->db[i] != NULL)
			continue;
		if ((ret = env_db_open_one(s, i, 0, MAX_TRIES, &s->db[i])) == 0)
			continue;
		if (!env_disk_error(ret) ||
		    env_db_open_one(s, i, 1, MAX_TRIES, &s->db[i]) != 0)
			return -1;
		s->ro[i] = 1;
		s->degraded = 1;
	}
	return 0;
}

/*
 * Before a write: the databases that store_open could only open read-only
 * (the disk was full) are opened read-write again.  STORE_ERR while that
 * still fails.
 */
static int
env_reopen_rw(struct store *s)
{
	DB	*db, *old;
	int	 i;

	for (i = 0; i < DBI_N; i++) {
		if (!s->ro[i])
			continue;
		if (env_db_open_one(s, i, 0, MAX_TRIES, &db) != 0)
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
env_region_reserve(const char *dir)
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
		/* Not sscanf: its cost per line was a sixth of a plain CGI
		 * request's own instructions. */
		if ((name = strchr(line, '/')) == NULL ||
		    strncmp(name, real, dlen) != 0 || name[dlen] != '/' ||
		    strncmp(name + dlen + 1, "__db.", 5) != 0)
			continue;
		lo = strtoul(line, &p, 16);
		if (*p != '-')
			continue;
		hi = strtoul(p + 1, &p, 16);
		if (*p != ' ' || hi < lo)
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
env_on_sigbus(int sig)
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
	char		*path, dir[PATH_MAX];
	u_int32_t	 fl;
	int		 ret;

	s = xcalloc(1, sizeof(*s));
	s->pid = getpid();
	s->lockfd = -1;
	signal(SIGBUS, env_on_sigbus);
	s->rnd = (unsigned int)s->pid ^ (unsigned int)now_us();
	path = xasprintf("%s/db", home);
	if (flags & STORE_CREATE) {
		if (env_mkdir(home) == -1 || env_mkdir(path) == -1)
			goto fail;
	} else if (stat(path, &st) == -1) {
		log_warn("store_open: %s: %s", path, strerror(errno));
		goto fail;
	} else if (!S_ISDIR(st.st_mode)) {
		log_warn("store_open: %s: not a directory", path);
		goto fail;
	}
	if ((flags & STORE_FATAL_RECOVER) &&
	    env_recover_fatal(s, path, 0) == -1)
		goto fail;
	if (env_create(s, &s->env, 0) == -1)
		goto fail;
	fl = DB_CREATE | DB_INIT_LOCK | DB_INIT_LOG | DB_INIT_MPOOL |
	    DB_INIT_TXN | DB_REGISTER | DB_RECOVER | DB_FAILCHK;
	if ((s->lockfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1)
		log_warn("store_open: %s: %s", path, strerror(errno));
	if (realpath(path, dir) != NULL)
		s->registry = xasprintf("%s/__db.register", dir);
	env_failchk_lock(s, LOCK_EX);
	ret = s->env->open(s->env, path, fl, 0600);
	env_failchk_lock(s, LOCK_UN);
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
	if (env_region_reserve(path) == -1)
		goto fail;
	/* Joining an existing environment keeps its lock timeout: set ours. */
	(void)s->env->set_timeout(s->env, LOCK_TIMEOUT_US, DB_SET_LOCK_TIMEOUT);
	/* With STORE_LAZY the databases open at their first use (store_db). */
	if (!(flags & STORE_LAZY) && env_db_open_all(s) == -1)
		goto fail;
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
	env_scope_close(s, 0, "store_close");
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
			log_warn("store_close: close %s: %s",
			    store_dbspecs[i].file, db_strerror(ret));
	}
	if (s->env != NULL &&
	    (ret = s->env->close(s->env, 0)) != 0 && !s->fatal)
		log_warn("store_close: close environment: %s",
		    db_strerror(ret));
	if (s->lockfd != -1)
		close(s->lockfd);
	free(s->registry);
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
	return env_failchk(s, "store_failchk");
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
	if ((res = env_failchk(s, "store_maintain")) != STORE_OK)
		return res;
	/* Berkeley DB's own rule: min minutes since the last checkpoint,
	 * kept in the shared region. */
	if ((ret = s->env->txn_checkpoint(s->env, 0, (u_int32_t)minutes, 0))
	    != 0)
		return store_dberr(s, ret, "store_maintain", "txn_checkpoint");
	if ((ret = s->env->log_archive(s->env, &list, DB_ARCH_REMOVE)) != 0)
		return store_dberr(s, ret, "store_maintain", "log_archive");
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
	if ((res = env_failchk(s, "store_backup")) != STORE_OK)
		return res;
	if ((ret = s->env->txn_checkpoint(s->env, 0, 0, DB_FORCE)) != 0)
		return store_dberr(s, ret, "store_backup", "txn_checkpoint");
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		log_warn("store_backup: mkdir %s: %s", dir, strerror(errno));
		return STORE_ERR;
	}
	if ((ret = s->env->backup(s->env, dir, DB_CREATE | DB_BACKUP_CLEAN))
	    != 0)
		return store_dberr(s, ret, "store_backup", dir);
	if (env_recover_fatal(s, dir, 1) == -1)
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
	rc = env_recover_fatal(s, dir, 1) == -1 ? STORE_ERR : STORE_OK;
	free(s);
	return rc;
}

static void
env_verify_errcall(const DB_ENV *env, const char *pfx, const char *msg)
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
		file = xasprintf("%s/db/%s", home, store_dbspecs[i].file);
		if (stat(file, &st) == -1) {
			log_warn("store_check: %s: %s", file, strerror(errno));
			bad++;
		} else if ((ret = db_create(&db, NULL, 0)) != 0) {
			log_warn("store_check: db_create: %s",
			    db_strerror(ret));
			bad++;
		} else {
			db->set_errcall(db, env_verify_errcall);
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


int
store_size(struct store *s, uint64_t *bytes)
{
	const char	*home = NULL;
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;
	int		 fd;

	*bytes = 0;
	if (s->env->get_home(s->env, &home) != 0 || home == NULL ||
	    (fd = open(home, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return STORE_ERR;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return STORE_ERR;
	}
	/* The databases and the log files; the regions (__db.*) are the
	 * environment's shared memory, not its data. */
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "__db.", 5) != 0 &&
		    de->d_name[0] != '.' &&
		    fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode))
			*bytes += (uint64_t)st.st_size;
	closedir(d);
	return STORE_OK;
}
