/* Unit tests of spool: maildir's protocol (enqueue leaves nothing in tmp/,
 * a failed write leaves nothing in new/), claims by rename, deferral with
 * the next attempt in the mtime, putting claims back at start, quarantine,
 * progress files, pruning and the daemon lock.  Each test runs in its own
 * temporary directory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spool.h"
#include "util.h"
#include "spool_fixture.h"

static size_t
count(struct spool *sp, enum spool_dir d)
{
	struct spool_ent	*v;
	size_t			 n;

	assert_int_equal(spool_list(sp, d, &v, &n), 0);
	spool_list_free(v, n);
	return n;
}

/* Every entry of a directory, dot files included. */
static size_t
count_all(struct spool *sp, enum spool_dir d)
{
	char	*cmd, out[32] = "";
	FILE	*p;

	cmd = xasprintf("ls -A '%s' | wc -l", spool_path(sp, d));
	p = popen(cmd, "r");
	assert_non_null(fgets(out, sizeof(out), p));
	pclose(p);
	free(cmd);
	return (size_t)atol(out);
}

static char *
slurp(const char *path)
{
	char	*s = NULL;
	size_t	 n = 0;
	FILE	*f;

	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	s = xmalloc(1 << 16);
	n = fread(s, 1, (1 << 16) - 1, f);
	s[n] = '\0';
	fclose(f);
	return s;
}

static void
test_name_ok(void **state)
{
	static const struct {
		const char	*name;
		int		 ok;
	} cases[] = {
		{ "1700000000000.abc", 1 }, { "x", 1 }, { "a-b_c.d,e:f", 1 },
		{ "", 0 }, { ".hidden", 0 }, { "..", 0 }, { "a/b", 0 },
		{ "a b", 0 }, { "a\nb", 0 }, { "a\x7f", 0 }, { "\xc3\xa9", 0 },
	};
	char	 longname[SPOOL_NAME_MAX + 2];
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (spool_name_ok(cases[i].name) != cases[i].ok)
			fail_msg("\"%s\"", cases[i].name);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[SPOOL_NAME_MAX] = '\0';
	assert_int_equal(spool_name_ok(longname), 1);
	longname[SPOOL_NAME_MAX] = 'a';
	longname[SPOOL_NAME_MAX + 1] = '\0';
	assert_int_equal(spool_name_ok(longname), 0);
}

static void
test_dirs(void **state)
{
	static const char *const dirs[] = {
		"tmp", "new", "cur", "deferred", "dead", "quarantine"
	};
	struct fx	*f = *state;
	struct stat	 st;
	char		 p[128];
	size_t		 i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(p, sizeof(p), "%s/spool/%s", f->home, dirs[i]);
		assert_int_equal(stat(p, &st), 0);
		assert_true(S_ISDIR(st.st_mode));
		assert_string_equal(spool_path(f->sp, (enum spool_dir)i), p);
	}
	/* Opening without create needs them all. */
	snprintf(p, sizeof(p), "%s/spool/dead", f->home);
	assert_int_equal(rmdir(p), 0);
	assert_null(spool_open(f->home, 0));
	assert_int_equal(mkdir(p, 0770), 0);
}

static void
test_enqueue(void **state)
{
	struct fx	*f = *state;
	char		 name[SPOOL_NAME_MAX + 1], name2[SPOOL_NAME_MAX + 1];
	char		 path[512], *s;
	const char	*data = "{\"v\":1,\"id\":\"e1\"}";

	assert_int_equal(spool_enqueue(f->sp, data, strlen(data), "e1", name),
	    0);
	assert_int_equal(strlen(name), 13 + 1 + 2);
	assert_string_equal(name + 14, "e1");
	snprintf(path, sizeof(path), "%s/%s", spool_path(f->sp, SPOOL_NEW),
	    name);
	s = slurp(path);
	assert_non_null(s);
	assert_string_equal(s, data);
	free(s);
	assert_int_equal(count_all(f->sp, SPOOL_TMP), 0);
	/* Random unique parts: many names, all distinct. */
	assert_int_equal(spool_enqueue(f->sp, "x", 1, NULL, name2), 0);
	assert_string_not_equal(name, name2);
	assert_int_equal(strlen(name2), 13 + 1 + 32);
	assert_int_equal(count(f->sp, SPOOL_NEW), 2);
	assert_int_equal(count_all(f->sp, SPOOL_TMP), 0);
}

static void
test_enqueue_many_sorted(void **state)
{
	struct fx		*f = *state;
	struct spool_ent	*v;
	char			 name[SPOOL_NAME_MAX + 1];
	size_t			 n, i;

	for (i = 0; i < 50; i++)
		assert_int_equal(spool_enqueue(f->sp, "{}", 2, NULL, name), 0);
	assert_int_equal(spool_list(f->sp, SPOOL_NEW, &v, &n), 0);
	assert_int_equal(n, 50);
	for (i = 1; i < n; i++)
		assert_true(strcmp(v[i - 1].name, v[i].name) < 0);
	spool_list_free(v, n);
}

static void
test_enqueue_fails(void **state)
{
	struct fx	*f = *state;
	struct rlimit	 old, rl;
	char		 name[SPOOL_NAME_MAX + 1], *big;
	int		 rc;

	/* A write that fails (file size limit): -1, nothing accepted. */
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	rl = old;
	rl.rlim_cur = 1024;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
	big = xcalloc(1, 4096);
	memset(big, 'a', 4095);
	rc = spool_enqueue(f->sp, big, 4095, NULL, name);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	free(big);
	assert_int_equal(rc, -1);
	assert_int_equal(errno, EFBIG);
	assert_int_equal(count_all(f->sp, SPOOL_NEW), 0);
	assert_int_equal(count_all(f->sp, SPOOL_TMP), 0);
}

static void
test_enqueue_no_tmp(void **state)
{
	struct fx	*f = *state;
	char		 name[SPOOL_NAME_MAX + 1], *cmd;
	int		 rc;

	/* tmp/ made immutable (root can't write then either), when chattr
	 * works here: open fails, nothing accepted. */
	cmd = xasprintf("chattr +i '%s' 2>/dev/null",
	    spool_path(f->sp, SPOOL_TMP));
	rc = system(cmd);
	free(cmd);
	if (rc != 0)
		skip();
	rc = spool_enqueue(f->sp, "{}", 2, NULL, name);
	cmd = xasprintf("chattr -i '%s'", spool_path(f->sp, SPOOL_TMP));
	assert_int_equal(system(cmd), 0);
	free(cmd);
	assert_int_equal(rc, -1);
	assert_int_equal(count_all(f->sp, SPOOL_NEW), 0);
}

static void
test_claim_read_finish(void **state)
{
	struct fx	*f = *state;
	char		 name[SPOOL_NAME_MAX + 1], *data;
	size_t		 len;

	assert_int_equal(spool_enqueue(f->sp, "hello", 5, NULL, name), 0);
	assert_int_equal(spool_claim(f->sp, SPOOL_NEW, name), 0);
	assert_int_equal(count(f->sp, SPOOL_NEW), 0);
	assert_int_equal(count(f->sp, SPOOL_CUR), 1);
	/* Someone else (or a second daemon) gets nothing. */
	assert_int_equal(spool_claim(f->sp, SPOOL_NEW, name), 1);
	assert_int_equal(spool_read(f->sp, name, &data, &len), 0);
	assert_int_equal(len, 5);
	assert_string_equal(data, "hello");
	free(data);
	assert_int_equal(spool_progress_add(f->sp, name, "wh1"), 0);
	assert_int_equal(spool_finish(f->sp, name, 1), 0);
	assert_int_equal(count_all(f->sp, SPOOL_CUR), 0);
	/* Finishing twice is harmless. */
	assert_int_equal(spool_finish(f->sp, name, 1), 0);
}

/* A FIFO (or any other non-file) where a progress file goes, as any
 * program that may write into the spool could leave: nothing blocks,
 * nothing is read from it or written to it. */
static void
test_progress_fifo(void **state)
{
	struct fx	*f = *state;
	char		 name[SPOOL_NAME_MAX + 1], path[512];

	assert_int_equal(spool_enqueue(f->sp, "hello", 5, NULL, name), 0);
	assert_int_equal(spool_claim(f->sp, SPOOL_NEW, name), 0);
	snprintf(path, sizeof(path), "%s/.%s.done",
	    spool_path(f->sp, SPOOL_CUR), name);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_null(spool_progress_read(f->sp, name));
	assert_int_equal(spool_progress_add(f->sp, name, "wh1"), -1);
	assert_int_equal(spool_progress_mark(f->sp, name), -1);
	assert_int_equal(spool_finish(f->sp, name, 1), 0);
	assert_int_equal(count_all(f->sp, SPOOL_CUR), 0);
}

static void
test_withdraw(void **state)
{
	struct fx	*f = *state;
	char		 a[SPOOL_NAME_MAX + 1], b[SPOOL_NAME_MAX + 1];

	assert_int_equal(spool_enqueue(f->sp, "a", 1, NULL, a), 0);
	assert_int_equal(spool_enqueue(f->sp, "b", 1, NULL, b), 0);
	assert_int_equal(spool_withdraw(f->sp, a), 0);
	assert_int_equal(count(f->sp, SPOOL_NEW), 1);
	assert_int_equal(count_all(f->sp, SPOOL_TMP), 0);
	/* Too late once claimed. */
	assert_int_equal(spool_claim(f->sp, SPOOL_NEW, b), 0);
	assert_int_equal(spool_withdraw(f->sp, b), 1);
	assert_int_equal(count(f->sp, SPOOL_CUR), 1);
}

static void
test_defer(void **state)
{
	struct fx		*f = *state;
	struct spool_ent	*v;
	size_t			 n;
	char			 name[SPOOL_NAME_MAX + 1], path[512], *s;
	const int64_t		 when = 1900000000123LL;

	/* A delivery file written durably into deferred/ with its time. */
	assert_int_equal(spool_write(f->sp, SPOOL_DEFERRED, "msg_abc",
	    "{\"attempt\":1}", 13, when), 0);
	assert_int_equal(spool_list(f->sp, SPOOL_DEFERRED, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].name, "msg_abc");
	assert_true(v[0].mtime_ms == when);
	spool_list_free(v, n);
	/* Rewritten (a later attempt) in place: replaced, not doubled. */
	assert_int_equal(spool_write(f->sp, SPOOL_DEFERRED, "msg_abc",
	    "{\"attempt\":2}", 13, when + 1000), 0);
	assert_int_equal(spool_list(f->sp, SPOOL_DEFERRED, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_true(v[0].mtime_ms == when + 1000);
	spool_list_free(v, n);
	snprintf(path, sizeof(path), "%s/msg_abc",
	    spool_path(f->sp, SPOOL_DEFERRED));
	s = slurp(path);
	assert_string_equal(s, "{\"attempt\":2}");
	free(s);
	assert_int_equal(count_all(f->sp, SPOOL_TMP), 0);
	/* Bad names are refused. */
	assert_int_equal(spool_write(f->sp, SPOOL_DEFERRED, "../x", "", 0, 0),
	    -1);

	/* A whole claimed file moved back with a new time. */
	assert_int_equal(spool_enqueue(f->sp, "e", 1, NULL, name), 0);
	assert_int_equal(spool_claim(f->sp, SPOOL_NEW, name), 0);
	assert_int_equal(spool_unclaim(f->sp, name, SPOOL_DEFERRED, when), 0);
	assert_int_equal(spool_list(f->sp, SPOOL_DEFERRED, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].name, name);	/* digits sort before 'm' */
	assert_true(v[0].mtime_ms == when);
	spool_list_free(v, n);
	/* And claimed from deferred/. */
	assert_int_equal(spool_claim(f->sp, SPOOL_DEFERRED, "msg_abc"), 0);
	assert_int_equal(count(f->sp, SPOOL_CUR), 1);
}

static void
test_recover(void **state)
{
	struct fx	*f = *state;
	char		 a[SPOOL_NAME_MAX + 1], b[SPOOL_NAME_MAX + 1];
	char		 path[512], *p;
	size_t		 n;

	/* a: an event claimed by a daemon that died, with progress. */
	assert_int_equal(spool_enqueue(f->sp, "a", 1, NULL, a), 0);
	assert_int_equal(spool_claim(f->sp, SPOOL_NEW, a), 0);
	assert_int_equal(spool_progress_add(f->sp, a, "wh1"), 0);
	assert_int_equal(spool_progress_add(f->sp, a, "wh2"), 0);
	/* b: a claimed delivery already rewritten into deferred/. */
	assert_int_equal(spool_write(f->sp, SPOOL_DEFERRED, "msg_b", "1", 1, 0),
	    0);
	assert_int_equal(spool_claim(f->sp, SPOOL_DEFERRED, "msg_b"), 0);
	assert_int_equal(spool_write(f->sp, SPOOL_DEFERRED, "msg_b", "2", 1, 0),
	    0);
	/* c: a claimed delivery already dead. */
	assert_int_equal(spool_write(f->sp, SPOOL_DEAD, "msg_c", "x", 1, 0), 0);
	snprintf(path, sizeof(path), "%s/msg_c", spool_path(f->sp, SPOOL_CUR));
	assert_int_equal(close(open(path, O_CREAT | O_WRONLY, 0600)), 0);
	/* An orphan progress file, of an event long gone. */
	snprintf(b, sizeof(b), "1.gone");
	assert_int_equal(spool_progress_add(f->sp, b, "wh1"), 0);

	assert_int_equal(spool_recover(f->sp, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(count(f->sp, SPOOL_NEW), 1);
	assert_int_equal(count(f->sp, SPOOL_DEFERRED), 1);
	assert_int_equal(count(f->sp, SPOOL_DEAD), 1);
	/* Only a's progress is left in cur/. */
	assert_int_equal(count_all(f->sp, SPOOL_CUR), 1);
	assert_null(spool_progress_read(f->sp, b));
	/* Claimed again, a's progress is still there. */
	assert_int_equal(spool_claim(f->sp, SPOOL_NEW, a), 0);
	p = spool_progress_read(f->sp, a);
	assert_non_null(p);
	assert_string_equal(p, "wh1\nwh2\n");
	free(p);
	assert_int_equal(spool_finish(f->sp, a, 1), 0);
	assert_null(spool_progress_read(f->sp, a));
	assert_int_equal(count_all(f->sp, SPOOL_CUR), 0);
}

static void
test_quarantine(void **state)
{
	struct fx	*f = *state;
	char		 name[SPOOL_NAME_MAX + 1];

	assert_int_equal(spool_enqueue(f->sp, "not json", 8, NULL, name), 0);
	assert_int_equal(spool_claim(f->sp, SPOOL_NEW, name), 0);
	assert_int_equal(spool_quarantine(f->sp, name, "not JSON"), 0);
	assert_int_equal(count(f->sp, SPOOL_QUARANTINE), 1);
	assert_int_equal(count_all(f->sp, SPOOL_CUR), 0);
	/* Quarantined files stay: recovery does not touch them. */
	assert_int_equal(spool_recover(f->sp, NULL), 0);
	assert_int_equal(count(f->sp, SPOOL_QUARANTINE), 1);
}

/* Names the spool does not take are quarantined when new/ is listed,
 * except hidden ones (maildir's to skip); not-regular files are told. */
static void
test_bad_names(void **state)
{
	static const char *const bad[] = {
		"bad name", "tab\tname", "esc\033[31m", "high\xc3\xa9",
	};
	struct fx		*f = *state;
	struct spool_ent	*v;
	char			 path[512], name[SPOOL_NAME_MAX + 1];
	size_t			 n, i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s",
		    spool_path(f->sp, SPOOL_NEW), bad[i]);
		assert_int_equal(close(open(path, O_CREAT | O_WRONLY, 0600)),
		    0);
	}
	snprintf(path, sizeof(path), "%s/.hidden",
	    spool_path(f->sp, SPOOL_NEW));
	assert_int_equal(close(open(path, O_CREAT | O_WRONLY, 0600)), 0);
	assert_int_equal(spool_enqueue(f->sp, "{}", 2, NULL, name), 0);
	snprintf(path, sizeof(path), "%s/fifo", spool_path(f->sp, SPOOL_NEW));
	assert_int_equal(mkfifo(path, 0600), 0);

	assert_int_equal(spool_list_names(f->sp, SPOOL_NEW, &v, &n), 0);
	assert_int_equal(n, 2);			/* name and fifo */
	spool_list_free(v, n);
	assert_int_equal(count(f->sp, SPOOL_QUARANTINE),
	    sizeof(bad) / sizeof(bad[0]));
	assert_int_equal(spool_is_regular(f->sp, SPOOL_NEW, name), 1);
	assert_int_equal(spool_is_regular(f->sp, SPOOL_NEW, "fifo"), 0);
	assert_int_equal(spool_is_regular(f->sp, SPOOL_NEW, "gone"), 0);
	assert_int_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/.hidden",
	    spool_path(f->sp, SPOOL_NEW));
	assert_int_equal(access(path, F_OK), 0);
}

static void
test_read_refuses(void **state)
{
	struct fx	*f = *state;
	char		 path[512], *data;
	size_t		 len;
	int		 fd;

	/* A symlink planted in new/ is not followed. */
	snprintf(path, sizeof(path), "%s/link", spool_path(f->sp, SPOOL_NEW));
	assert_int_equal(symlink("/etc/passwd", path), 0);
	assert_int_equal(spool_claim(f->sp, SPOOL_NEW, "link"), 0);
	assert_int_equal(spool_read(f->sp, "link", &data, &len), -1);
	assert_null(data);
	/* A file over the limit. */
	snprintf(path, sizeof(path), "%s/big", spool_path(f->sp, SPOOL_CUR));
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd != -1);
	assert_int_equal(ftruncate(fd, SPOOL_FILE_MAX + 1), 0);
	close(fd);
	assert_int_equal(spool_read(f->sp, "big", &data, &len), -1);
	assert_int_equal(errno, EFBIG);
	/* Empty is fine. */
	snprintf(path, sizeof(path), "%s/empty", spool_path(f->sp, SPOOL_CUR));
	assert_int_equal(close(open(path, O_CREAT | O_WRONLY, 0600)), 0);
	assert_int_equal(spool_read(f->sp, "empty", &data, &len), 0);
	assert_int_equal(len, 0);
	assert_string_equal(data, "");
	free(data);
	/* A missing one. */
	assert_int_equal(spool_read(f->sp, "nope", &data, &len), -1);
}

static void
test_prune(void **state)
{
	struct fx	*f = *state;
	size_t		 n;
	int64_t		 now = util_now_ms();

	assert_int_equal(spool_write(f->sp, SPOOL_DEAD, "old", "x", 1,
	    now - 40LL * 86400 * 1000), 0);
	assert_int_equal(spool_write(f->sp, SPOOL_DEAD, "young", "x", 1,
	    now - 1000), 0);
	assert_int_equal(spool_prune(f->sp, SPOOL_DEAD,
	    now - 30LL * 86400 * 1000, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(count(f->sp, SPOOL_DEAD), 1);
}

static void
test_lock(void **state)
{
	struct fx	*f = *state;
	struct spool	*other;

	assert_int_equal(spool_lock(f->sp), 0);
	assert_int_equal(spool_lock(f->sp), 0);	/* held already */
	other = spool_open(f->home, 0);
	assert_non_null(other);
	assert_int_equal(spool_lock(other), 1);
	spool_close(f->sp);
	assert_int_equal(spool_lock(other), 0);
	f->sp = other;
}

static void
test_event_format(void **state)
{
	static const struct {
		const char	*text;
		int		 ok;
		const char	*why;
	} cases[] = {
		{ "{\"v\":1,\"id\":\"e1\",\"team\":\"t\",\"type\":\"a.b\","
		    "\"timestamp\":\"2024-01-01T00:00:00.000Z\",\"data\":{\"x\":1}}",
		    1, NULL },
		/* The minimum a shell script writes. */
		{ "{\"team\":\"default\",\"type\":\"x\"}", 1, NULL },
		{ "{\"team\":\"t\",\"type\":\"x\",\"data\":[1,2]}", 1, NULL },
		{ "{\"team\":\"t\",\"type\":\"x\",\"webhook\":"
		    "\"0c5f1a52-8a4c-4d6c-9a39-4b1a53d1f8a1\",\"attempt\":3,"
		    "\"manual\":true}", 1, NULL },
		{ "", 0, "not JSON" },
		{ "{\"team\":", 0, "not JSON" },
		{ "[1]", 0, "not a JSON object" },
		{ "{\"v\":2,\"team\":\"t\",\"type\":\"x\"}", 0, "version" },
		{ "{\"type\":\"x\"}", 0, "required" },
		{ "{\"team\":\"t\"}", 0, "required" },
		{ "{\"team\":\"t/..\",\"type\":\"x\"}", 0, "team" },
		{ "{\"team\":\"t\",\"type\":\"\"}", 0, "type" },
		{ "{\"team\":\"t\",\"type\":\"a\\nb\"}", 0, "type" },
		{ "{\"team\":\"t\",\"type\":7}", 0, "type" },
		{ "{\"team\":\"t\",\"type\":\"x\",\"id\":\"a b\"}", 0, "id" },
		{ "{\"team\":\"t\",\"type\":\"x\",\"webhook\":\"nope\"}", 0,
		    "webhook" },
		{ "{\"team\":\"t\",\"type\":\"x\",\"attempt\":-1}", 0,
		    "attempt" },
	};
	static const struct {
		const char	*text;
		const char	*want;
	} data[] = {
		{ "{\"team\":\"t\",\"type\":\"x\",\"data\":{\"a\":[1,-2.5e3,"
		    "\"q\\\"\\u00e9/\",null,true,false,{},[]]}}",
		  "{\"a\":[1,-2.5e3,\"q\\\"\\u00e9/\",null,true,false,{},[]]}" },
		{ " { \"team\" : \"t\" , \"type\" : \"x\" , \"data\" : null } \n",
		  "null" },
		{ "{\"team\":\"t\",\"type\":\"x\",\"data\":\"s\"}", "\"s\"" },
		/* An escape in a field: json-c reads it. */
		{ "{\"team\":\"t\",\"type\":\"\\u0078\",\"data\":{\"a\": 1}}",
		  "{\"a\":1}" },
		/* A field twice: json-c's last one wins, as before. */
		{ "{\"team\":\"t\",\"type\":\"y\",\"type\":\"x\"}", "{}" },
	};
	struct spool_event	 ev, ev2;
	char			 err[128], *text;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = spool_event_parse(cases[i].text, strlen(cases[i].text),
		    "1700000000000.abc", 1700000000000LL, &ev, err, sizeof(err));
		if ((rc == 0) != cases[i].ok)
			fail_msg("case %zu: rc %d (%s)", i, rc, rc ? err : "");
		if (rc == 0) {
			/* Round trip. */
			text = spool_event_format(&ev);
			assert_int_equal(spool_event_parse(text, strlen(text), "x",
			    0, &ev2, err, sizeof(err)), 0);
			assert_string_equal(ev.id, ev2.id);
			assert_string_equal(ev.team, ev2.team);
			assert_string_equal(ev.type, ev2.type);
			assert_string_equal(ev.timestamp, ev2.timestamp);
			assert_int_equal(ev.attempt, ev2.attempt);
			assert_int_equal(ev.manual, ev2.manual);
			assert_string_equal(ev.data_text, ev2.data_text);
			spool_event_free(&ev2);
			spool_event_free(&ev);
			free(text);
		} else
			assert_non_null(strstr(err, cases[i].why));
	}
	/* Defaults: an id from the name (stable), the time, data {}. */
	assert_int_equal(spool_event_parse("{\"team\":\"t\",\"type\":\"x\"}",
	    23, "myname", 1700000000000LL, &ev, err, sizeof(err)), 0);
	assert_true(util_is_uuid(ev.id));
	assert_string_equal(ev.timestamp, "2023-11-14T22:13:20.000Z");
	assert_string_equal(ev.data_text, "{}");
	assert_int_equal(spool_event_parse("{\"team\":\"t\",\"type\":\"x\"}",
	    23, "myname", 1, &ev2, err, sizeof(err)), 0);
	assert_string_equal(ev.id, ev2.id);
	spool_event_free(&ev2);
	spool_event_free(&ev);
	/* data is kept as the file has it (strict JSON, the fast path), or
	 * as json-c writes it when json-c had to read the file. */
	for (i = 0; i < sizeof(data) / sizeof(data[0]); i++) {
		if (spool_event_parse(data[i].text, strlen(data[i].text), "n",
		    1, &ev, err, sizeof(err)) != 0)
			fail_msg("data case %zu: %s", i, err);
		assert_string_equal(ev.data_text, data[i].want);
		assert_string_equal(ev.type, "x");
		spool_event_free(&ev);
	}
	/* Event types. */
	assert_int_equal(spool_type_ok("a"), 1);
	assert_int_equal(spool_type_ok("order paid/v2 (test)"), 1);
	assert_int_equal(spool_type_ok(""), 0);
	assert_int_equal(spool_type_ok("\x7f"), 0);
}

/* The Svix members: app, channels and the svix mark, read on both roads
 * (the fast one gives channels to json-c), written back, refused when
 * malformed; a file without them has none. */
static void
test_event_svix_members(void **state)
{
	static const struct {
		const char	*text;
		int		 ok;
	} cases[] = {
		{ "{\"team\":\"t\",\"type\":\"x\",\"app\":\"app_1\","
		    "\"svix\":true}", 1 },
		{ "{\"team\":\"t\",\"type\":\"x\",\"app\":\"app_1\","
		    "\"channels\":[\"a\",\"b.c:d\"],\"svix\":true}", 1 },
		{ "{\"team\":\"t\",\"type\":\"x\",\"channels\":[]}", 0 },
		{ "{\"team\":\"t\",\"type\":\"x\",\"channels\":\"a\"}", 0 },
		{ "{\"team\":\"t\",\"type\":\"x\",\"channels\":[\"a b\"]}",
		    0 },
		{ "{\"team\":\"t\",\"type\":\"x\",\"channels\":[1]}", 0 },
		{ "{\"team\":\"t\",\"type\":\"x\",\"channels\":[\"1\",\"2\","
		    "\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\",\"10\",\"11\"]}",
		    0 },
		{ "{\"team\":\"t\",\"type\":\"x\",\"app\":\"a/b\"}", 0 },
		{ "{\"team\":\"t\",\"type\":\"x\",\"app\":7}", 0 },
	};
	struct spool_event	 ev, ev2;
	char			 err[128], *text;
	size_t			 i, k;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = spool_event_parse(cases[i].text, strlen(cases[i].text),
		    "n", 1, &ev, err, sizeof(err));
		if ((rc == 0) != cases[i].ok)
			fail_msg("case %zu: rc %d (%s)", i, rc, rc ? err : "");
		if (rc != 0)
			continue;
		assert_string_equal(ev.app, "app_1");
		assert_int_equal(ev.svix, 1);
		text = spool_event_format(&ev);
		assert_int_equal(spool_event_parse(text, strlen(text), "n", 1,
		    &ev2, err, sizeof(err)), 0);
		assert_string_equal(ev2.app, "app_1");
		assert_int_equal(ev2.svix, 1);
		assert_int_equal(ev2.nchannels, ev.nchannels);
		for (k = 0; k < ev.nchannels; k++)
			assert_string_equal(ev2.channels[k], ev.channels[k]);
		spool_event_free(&ev2);
		spool_event_free(&ev);
		free(text);
	}
	assert_int_equal(spool_event_parse(cases[1].text, strlen(cases[1].text),
	    "n", 1, &ev, err, sizeof(err)), 0);
	assert_int_equal(ev.nchannels, 2);
	assert_string_equal(ev.channels[1], "b.c:d");
	spool_event_free(&ev);
	/* Channels keep a message on the fast path: its payload as the file
	 * has it (json-c would write 1.5). */
	text = "{\"team\":\"t\",\"type\":\"x\",\"app\":\"app_1\",\"channels\":"
	    "[\"a\", \"b\"],\"svix\":true,\"data\":{\"a\":1.50}}";
	assert_int_equal(spool_event_parse(text, strlen(text), "n", 1, &ev,
	    err, sizeof(err)), 0);
	assert_string_equal(ev.data_text, "{\"a\":1.50}");
	assert_int_equal(ev.nchannels, 2);
	assert_string_equal(ev.channels[1], "b");
	spool_event_free(&ev);
	/* An old file: none of them, and none written. */
	assert_int_equal(spool_event_parse("{\"team\":\"t\",\"type\":\"x\"}",
	    23, "n", 1, &ev, err, sizeof(err)), 0);
	assert_null(ev.app);
	assert_int_equal(ev.nchannels, 0);
	assert_int_equal(ev.svix, 0);
	text = spool_event_format(&ev);
	assert_null(strstr(text, "app"));
	assert_null(strstr(text, "channels"));
	assert_null(strstr(text, "svix"));
	free(text);
	spool_event_free(&ev);
}

/*
 * What fuzz_spool found (tests/fuzz/): each a file that the reader took
 * wrongly.  text is copied to the end of a page followed by an unmapped
 * one, so that reading a byte past it faults here, with or without ASan.
 */
static void
test_event_fuzzed(void **state)
{
	static const struct {
		const char	*label;
		const char	*text;
		int		 ok;
		int		 attempt, manual;
		const char	*why;
	} cases[] = {
		/* The attempt count was read with strtol, past the end of
		 * text when the file ends in its digits. */
		{ "ends in the attempt's digits",
		  "{\"team\":\"t\",\"type\":\"x\",\"webhook\":"
		  "\"0c5f1a52-8a4c-4d6c-9a39-4b1a53d1f8a1\",\"attempt\":7",
		  0, 0, 0, "not JSON" },
		{ "attempt read without strtol",
		  "{\"team\":\"t\",\"type\":\"x\",\"webhook\":"
		  "\"0c5f1a52-8a4c-4d6c-9a39-4b1a53d1f8a1\",\"attempt\":1000}",
		  1, 1000, 0, NULL },
		/* json-c read the first object of two run together and the
		 * rest was lost; such a file is corrupt: quarantine. */
		{ "two objects", "{\"team\":\"t\",\"type\":\"x\",\"data\":2},"
		  "\"webhook\":\"0c5f1a52-8a4c-4d6c-9a39-4b1a53d1f8a1\"}",
		  0, 0, 0, "text after" },
		{ "an object and garbage",
		  "{\"team\":\"t\",\"type\":\"x\"}{\"team\":\"u\"}",
		  0, 0, 0, "text after" },
		{ "white space after", "{\"team\":\"t\",\"type\":\"x\"} \r\n\t",
		  1, 0, 0, NULL },
		/* attempt and manual are a delivery's: an event that carries
		 * them would send its deliveries as manual retries (one
		 * attempt, no retry), and spool_event_format drops them. */
		{ "event with attempt and manual",
		  "{\"team\":\"t\",\"type\":\"x\",\"attempt\":2,"
		  "\"manual\":true}", 1, 0, 0, NULL },
		{ "the same on json-c's path",
		  "{\"team\":\"t\",\"type\":\"\\u0078\",\"attempt\":2,"
		  "\"manual\":true}", 1, 0, 0, NULL },
	};
	struct spool_event	 ev, ev2;
	long			 pg = sysconf(_SC_PAGESIZE);
	char			 err[128], *page, *text, *out;
	size_t			 i, n;

	(void)state;
	page = mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(page != MAP_FAILED);
	assert_int_equal(mprotect(page + pg, (size_t)pg, PROT_NONE), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = strlen(cases[i].text);
		text = page + pg - n;
		memcpy(text, cases[i].text, n);
		err[0] = '\0';
		int rc = spool_event_parse(text, n, "n", 1, &ev, err,
		    sizeof(err));
		if ((rc == 0) != cases[i].ok)
			fail_msg("%s: rc %d (%s)", cases[i].label, rc, err);
		if (rc == -1) {
			if (strstr(err, cases[i].why) == NULL)
				fail_msg("%s: %s", cases[i].label, err);
			continue;
		}
		assert_int_equal(ev.attempt, cases[i].attempt);
		assert_int_equal(ev.manual, cases[i].manual);
		out = spool_event_format(&ev);
		assert_int_equal(spool_event_parse(out, strlen(out), "n", 1,
		    &ev2, err, sizeof(err)), 0);
		assert_int_equal(ev2.attempt, ev.attempt);
		assert_int_equal(ev2.manual, ev.manual);
		spool_event_free(&ev2);
		spool_event_free(&ev);
		free(out);
	}
	munmap(page, (size_t)pg * 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_ok),
		cmocka_unit_test(test_event_format),
		cmocka_unit_test(test_event_svix_members),
		cmocka_unit_test(test_event_fuzzed),
		cmocka_unit_test_setup_teardown(test_dirs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enqueue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enqueue_many_sorted, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_enqueue_fails, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_enqueue_no_tmp, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_claim_read_finish, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_progress_fifo, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_withdraw, setup, teardown),
		cmocka_unit_test_setup_teardown(test_defer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recover, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quarantine, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_read_refuses, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bad_names, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_prune, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
	};

	return cmocka_run_group_tests_name("spool", tests, NULL, NULL);
}
