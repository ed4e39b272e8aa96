/* Unit tests of backup (what a backup holds and keeps: mtimes, modes,
 * progress files; what it skips: tmp/, sockets, FIFOs without blocking;
 * what backup and restore refuse) and of priv (root becomes the home's
 * owner for good, a root-owned home is refused or kept as asked).  Each
 * test runs in its own temporary directory; the priv cases run in a
 * forked child, and only as root. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backup.h"
#include "priv.h"
#include "spool.h"
#include "store.h"
#include "util.h"
#define SPOOL_FIXTURE_STORE
#include "spool_fixture.h"

static void
put(const char *dir, const char *name, const char *text, mode_t mode)
{
	char	*p = xasprintf("%s/%s", dir, name);
	int	 fd;

	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd != -1);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(chmod(p, mode), 0);
	free(p);
}

static int
exists(const char *dir, const char *name)
{
	struct stat	 st;
	char		*p = xasprintf("%s/%s", dir, name);
	int		 rc = lstat(p, &st) == 0;

	free(p);
	return rc;
}

static struct stat
stat_of(const char *dir, const char *name)
{
	struct stat	 st;
	char		*p = xasprintf("%s/%s", dir, name);

	assert_int_equal(lstat(p, &st), 0);
	free(p);
	return st;
}

static void
test_round_trip(void **state)
{
	struct fx		*f = *state;
	struct sockaddr_un	 sun;
	struct stat		 a, b;
	unsigned long		 n = 0;
	char			 name[SPOOL_NAME_MAX + 1], *sock, *d;
	char			*bk, *restored;
	int			 s;

	bk = xasprintf("%s/bk", f->base);
	restored = xasprintf("%s/restored", f->base);
	assert_int_equal(spool_enqueue(f->sp, "{\"v\":1}", 7, NULL, name), 0);
	/* A deferred file: its mtime is its next attempt, a day ahead. */
	assert_int_equal(spool_write(f->sp, SPOOL_DEFERRED, "msg_1", "{}", 2,
	    util_now_ms() + 86400000), 0);
	put(spool_path(f->sp, SPOOL_CUR), "claimed.1", "{}", 0660);
	put(spool_path(f->sp, SPOOL_CUR), ".claimed.1.done", "hook\n", 0660);
	put(spool_path(f->sp, SPOOL_TMP), "half.1", "{", 0660);
	put(spool_path(f->sp, SPOOL_QUARANTINE), "bad.1", "x", 0660);
	put(f->home, "webhooks.conf", "max_body = 2048\n", 0640);
	put(f->home, "admin.token", "wh_secret\n", 0600);
	/* Not copied, and never blocking the copy: a FIFO in new/, a socket
	 * at the top. */
	d = xasprintf("%s/fifo", spool_path(f->sp, SPOOL_NEW));
	assert_int_equal(mkfifo(d, 0600), 0);
	free(d);
	sock = xasprintf("%s/fcgi.sock-0", f->home);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock);
	assert_int_equal(bind(s, (struct sockaddr *)&sun, sizeof(sun)), 0);

	assert_int_equal(backup_make(f->st, f->sp, f->home, bk, &n), 0);
	close(s);
	free(sock);
	assert_int_equal(n, 5);	/* new, deferred, cur + progress, quarantine */
	assert_true(exists(bk, "BACKUP"));
	assert_true(exists(bk, "db/webhooks.db"));
	assert_false(exists(bk, "fcgi.sock-0"));
	assert_false(exists(bk, "spool/new/fifo"));
	assert_false(exists(bk, "spool/tmp/half.1"));

	assert_int_equal(backup_restore(bk, restored), 0);
	assert_false(exists(restored, "BACKUP"));
	d = xasprintf("spool/new/%s", name);
	assert_true(exists(restored, d));
	free(d);
	a = stat_of(spool_path(f->sp, SPOOL_DEFERRED), "msg_1");
	b = stat_of(restored, "spool/deferred/msg_1");
	assert_int_equal(a.st_mtim.tv_sec, b.st_mtim.tv_sec);
	assert_int_equal(a.st_mtim.tv_nsec, b.st_mtim.tv_nsec);
	assert_true(exists(restored, "spool/cur/claimed.1"));
	assert_true(exists(restored, "spool/cur/.claimed.1.done"));
	assert_true(exists(restored, "spool/quarantine/bad.1"));
	assert_true(exists(restored, "spool/tmp"));
	a = stat_of(f->home, "admin.token");
	b = stat_of(restored, "admin.token");
	assert_int_equal(b.st_mode & 0777, 0600);
	b = stat_of(restored, "webhooks.conf");
	assert_int_equal(b.st_mode & 0777, 0640);
	assert_false(exists(restored, "db/__db.001"));
	assert_int_equal(store_check(restored), STORE_OK);
	free(bk);
	free(restored);
}

static void
test_refusals(void **state)
{
	struct fx	*f = *state;
	char		*p, *bk, *restored;

	bk = xasprintf("%s/bk", f->base);
	restored = xasprintf("%s/restored", f->base);
	/* backup: not over a file, nor over a directory that is no backup. */
	put(f->base, "file", "x", 0600);
	p = xasprintf("%s/file", f->base);
	assert_int_equal(backup_make(f->st, f->sp, f->home, p, NULL), -1);
	free(p);
	p = xasprintf("%s/other", f->base);
	assert_int_equal(mkdir(p, 0700), 0);
	put(p, "mine", "x", 0600);
	assert_int_equal(backup_make(f->st, f->sp, f->home, p, NULL), -1);
	assert_true(exists(p, "mine"));
	/* restore: not from it (no BACKUP), nor a wrong magic. */
	assert_int_equal(backup_restore(p, restored), -1);
	assert_false(exists(f->base, "restored"));
	put(p, "BACKUP", "webhooks backup 2\n", 0600);
	assert_int_equal(backup_restore(p, restored), -1);
	free(p);
	/* restore: not into a directory with anything in it, nor a file. */
	assert_int_equal(backup_make(f->st, f->sp, f->home, bk, NULL), 0);
	assert_int_equal(mkdir(restored, 0700), 0);
	put(restored, "keep", "x", 0600);
	assert_int_equal(backup_restore(bk, restored), -1);
	assert_false(exists(restored, "db"));
	p = xasprintf("%s/file", f->base);
	assert_int_equal(backup_restore(bk, p), -1);
	free(p);
	/* An empty directory will do; a trailing slash too. */
	p = xasprintf("%s/empty", f->base);
	assert_int_equal(mkdir(p, 0700), 0);
	assert_int_equal(backup_restore(bk, p), 0);
	free(p);
	p = xasprintf("%s/", bk);
	assert_int_equal(backup_make(f->st, f->sp, f->home, p, NULL), 0);
	free(p);
	free(bk);
	free(restored);
}

/* Runs fn in a child; returns its exit status. */
static int
in_child(int (*fn)(const char *), const char *home)
{
	pid_t	 pid;
	int	 status;

	if ((pid = fork()) == 0)
		_exit(fn(home));
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 99;
}

static int
drop_to_owner(const char *home)
{
	char	 err[256];
	int	 dropped = 0;
	uid_t	 r, e, s;
	gid_t	 groups[4];

	if (priv_drop(home, NULL, PRIV_REFUSE_ROOT, &dropped, err,
	    sizeof(err)) == -1 || !dropped)
		return 1;
	if (getresuid(&r, &e, &s) == -1 || r != 65534 || e != 65534 ||
	    s != 65534 || getgid() != 65534)
		return 2;
	if (setuid(0) != -1 || seteuid(0) != -1)
		return 3;
	if (getgroups(4, groups) < 1 || groups[0] == 0)
		return 4;
	return 0;
}

static int
refuse_root_home(const char *home)
{
	char	 err[256];

	if (priv_drop(home, NULL, PRIV_REFUSE_ROOT, NULL, err,
	    sizeof(err)) != -1)
		return 1;
	if (strstr(err, "refusing to run as root") == NULL ||
	    strstr(err, "--user root") == NULL)
		return 2;
	if (priv_drop(home, "root", PRIV_REFUSE_ROOT, NULL, err,
	    sizeof(err)) != 0 || geteuid() != 0)
		return 3;
	if (priv_drop(home, NULL, PRIV_KEEP_ROOT, NULL, err,
	    sizeof(err)) != 0 || geteuid() != 0)
		return 4;
	if (priv_drop(home, "no-such-user-x", PRIV_KEEP_ROOT, NULL, err,
	    sizeof(err)) != -1 || strstr(err, "no such user") == NULL)
		return 5;
	return 0;
}

static void
test_priv(void **state)
{
	struct fx	*f = *state;
	char		*p;

	if (geteuid() != 0) {
		skip();
		return;
	}
	assert_int_equal(in_child(refuse_root_home, f->home), 0);
	p = xasprintf("%s/nobodys", f->base);
	assert_int_equal(mkdir(p, 0700), 0);
	assert_int_equal(chown(p, 65534, 65534), 0);
	assert_int_equal(in_child(drop_to_owner, p), 0);
	free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_priv, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
