/*
 * diskref: the disk's own ceilings, the references for the durable-write
 * benchmarks.  Each mode runs for SECONDS (or COUNT operations, whichever
 * comes first) in a fresh directory DIR (created) and prints one line:
 * "<ops> <seconds> <ops/s>".
 *
 *   diskref maildir DIR SECONDS COUNT [SIZE]
 *	one writer: SIZE bytes (default 1024) to tmp/N, fsync, close,
 *	rename into new/, fsync of new/: what one durable spool file costs.
 *   diskref bdb DIR SECONDS COUNT [SIZE]
 *	one writer: a Berkeley DB transactional environment, one btree
 *	(8 KiB pages), a SIZE-byte put per transaction, each committed
 *	durably (the default DB_TXN_SYNC): what one durable commit costs.
 *   diskref claim DIR SECONDS COUNT [SIZE]
 *	COUNT files of SIZE bytes put into new/ first (not timed, not
 *	fsync'd, as the delivery benchmark writes its events), then each
 *	one claimed as webhookd claims an event: rename into cur/, open,
 *	read, close, and at the end unlink: the file system's share of a
 *	delivered event, the floor of webhookd's spool thread.  Prints
 *	"<files> <seconds> <files/s> <CPU us a file>".
 *
 * Build: cc -O2 -o diskref tests/bench/diskref.c -ldb-5.3
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <db.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what)
{
	fprintf(stderr, "diskref: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void
mkdir_or_die(const char *p)
{
	if (mkdir(p, 0700) == -1 && errno != EEXIST)
		die(p);
}

/* A new file of SIZE bytes, fsync'd if sync. */
static void
put_file(const char *path, const char *buf, size_t size, int sync)
{
	int	 fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) == -1)
		die(path);
	if (write(fd, buf, size) != (ssize_t)size)
		die("write");
	if (sync && fsync(fd) == -1)
		die("fsync");
	if (close(fd) == -1)
		die("close");
}

static void
maildir(const char *dir, double secs, long count, size_t size)
{
	char	 tmp[4096], new[4096], t[4200], n[4200], *buf;
	double	 t0, t1;
	long	 i;
	int	 dfd;

	snprintf(tmp, sizeof(tmp), "%s/tmp", dir);
	snprintf(new, sizeof(new), "%s/new", dir);
	mkdir_or_die(dir);
	mkdir_or_die(tmp);
	mkdir_or_die(new);
	if ((dfd = open(new, O_RDONLY | O_DIRECTORY)) == -1)
		die(new);
	if ((buf = malloc(size)) == NULL)
		die("malloc");
	memset(buf, 'x', size);
	t0 = now();
	for (i = 0; i < count && (i & 15 || now() - t0 < secs); i++) {
		snprintf(t, sizeof(t), "%s/%ld.ref", tmp, i);
		snprintf(n, sizeof(n), "%s/%ld.ref", new, i);
		put_file(t, buf, size, 1);
		if (rename(t, n) == -1)
			die("rename");
		if (fsync(dfd) == -1)
			die("fsync dir");
	}
	t1 = now();
	printf("%ld %.3f %.0f\n", i, t1 - t0, (double)i / (t1 - t0));
	free(buf);
	close(dfd);
}

static double
cpu(void)
{
	struct rusage	ru;

	if (getrusage(RUSAGE_SELF, &ru) == -1)
		die("getrusage");
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void
claim(const char *dir, double secs, long count, size_t size)
{
	char	 new[4096], cur[4096], n[4200], c[4200], *buf;
	double	 t0, t1, c0;
	long	 i, done;
	int	 fd;

	snprintf(new, sizeof(new), "%s/new", dir);
	snprintf(cur, sizeof(cur), "%s/cur", dir);
	mkdir_or_die(dir);
	mkdir_or_die(new);
	mkdir_or_die(cur);
	if ((buf = malloc(size)) == NULL)
		die("malloc");
	memset(buf, 'x', size);
	for (i = 0; i < count; i++) {
		snprintf(n, sizeof(n), "%s/%ld.ref", new, i);
		put_file(n, buf, size, 0);
	}
	c0 = cpu();
	t0 = now();
	for (i = 0; i < count && (i & 15 || now() - t0 < secs); i++) {
		snprintf(n, sizeof(n), "%s/%ld.ref", new, i);
		snprintf(c, sizeof(c), "%s/%ld.ref:2,", cur, i);
		if (rename(n, c) == -1)
			die("rename");
		if ((fd = open(c, O_RDONLY)) == -1)
			die(c);
		if (read(fd, buf, size) == -1)
			die("read");
		if (close(fd) == -1)
			die("close");
	}
	done = i;
	for (i = 0; i < done; i++) {
		snprintf(c, sizeof(c), "%s/%ld.ref:2,", cur, i);
		if (unlink(c) == -1)
			die("unlink");
	}
	t1 = now();
	printf("%ld %.3f %.0f %.1f\n", done, t1 - t0, (double)done / (t1 - t0),
	    (cpu() - c0) / (double)done * 1e6);
	free(buf);
}

static void
bdb(const char *dir, double secs, long count, size_t size)
{
	DB_ENV	*env;
	DB	*db;
	DB_TXN	*txn;
	DBT	 k, v;
	char	 key[32], *buf;
	double	 t0, t1;
	long	 i;
	int	 ret;

	mkdir_or_die(dir);
	if ((buf = malloc(size)) == NULL)
		die("malloc");
	memset(buf, 'x', size);
	if ((ret = db_env_create(&env, 0)) != 0 ||
	    (ret = env->set_cachesize(env, 0, 32u << 20, 1)) != 0 ||
	    (ret = env->open(env, dir, DB_CREATE | DB_INIT_LOCK |
	    DB_INIT_LOG | DB_INIT_MPOOL | DB_INIT_TXN, 0600)) != 0 ||
	    (ret = db_create(&db, env, 0)) != 0 ||
	    (ret = db->set_pagesize(db, 8192)) != 0 ||
	    (ret = db->open(db, NULL, "ref.db", NULL, DB_BTREE,
	    DB_CREATE | DB_AUTO_COMMIT, 0600)) != 0) {
		fprintf(stderr, "diskref: bdb: %s\n", db_strerror(ret));
		exit(1);
	}
	t0 = now();
	for (i = 0; i < count && (i & 15 || now() - t0 < secs); i++) {
		memset(&k, 0, sizeof(k));
		memset(&v, 0, sizeof(v));
		k.size = (u_int32_t)snprintf(key, sizeof(key), "%012ld", i);
		k.data = key;
		v.data = buf;
		v.size = (u_int32_t)size;
		if ((ret = env->txn_begin(env, NULL, &txn, 0)) != 0 ||
		    (ret = db->put(db, txn, &k, &v, 0)) != 0 ||
		    (ret = txn->commit(txn, 0)) != 0) {
			fprintf(stderr, "diskref: bdb put: %s\n",
			    db_strerror(ret));
			exit(1);
		}
	}
	t1 = now();
	printf("%ld %.3f %.0f\n", i, t1 - t0, (double)i / (t1 - t0));
	db->close(db, 0);
	env->close(env, 0);
	free(buf);
}

int
main(int argc, char **argv)
{
	double	 secs;
	long	 count;
	size_t	 size = 1024;

	if (argc < 5 || argc > 6) {
		fprintf(stderr, "usage: diskref maildir|bdb|claim DIR SECONDS COUNT "
		    "[SIZE]\n");
		return 2;
	}
	secs = atof(argv[3]);
	count = atol(argv[4]);
	if (argc == 6)
		size = (size_t)atol(argv[5]);
	if (strcmp(argv[1], "maildir") == 0)
		maildir(argv[2], secs, count, size);
	else if (strcmp(argv[1], "bdb") == 0)
		bdb(argv[2], secs, count, size);
	else if (strcmp(argv[1], "claim") == 0)
		claim(argv[2], secs, count, size);
	else {
		fprintf(stderr, "diskref: unknown mode %s\n", argv[1]);
		return 2;
	}
	return 0;
}
