/* Unit tests of probe: the child's answer (delivery.h's
 * deliver_result_format and deliver_result_parse) written and read back,
 * answers refused, where webhookd is looked for, and probe_run against
 * stand-in programs (shell scripts) that answer, fail, hang, go on past the
 * wait or are missing: what the child inherits (descriptors, environment,
 * arguments, its slot), that no child is left unwaited for, and the cap on
 * a team's tests in flight, which frees itself when a tester ends.  Cases
 * are tables. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "delivery.h"
#include "prefix.h"
#include "probe.h"
#include "util.h"

static void
test_format_parse(void **state)
{
	static const struct {
		const char		*label;
		enum deliver_class	 cls;
		int			 status;
		int64_t			 latency, retry_after;
		int			 gone, store;
		const char		*error, *body;
	} cases[] = {
		{ "done", DELIVER_DONE, 204, 12, -1, 0, STORE_OK, "", "" },
		{ "a body to escape", DELIVER_DONE, 200, 1, -1, 0, STORE_OK, "",
		    "{\"ok\": \"yes\"}\n\tline 2 \\ \x01 caf\xc3\xa9 /" },
		{ "500", DELIVER_TEMPORARY, 500, 40, -1, 0, STORE_OK,
		    "Request failed with status code 500", "oops" },
		{ "timeout", DELIVER_TEMPORARY, 0, 10000, -1, 0, STORE_OK,
		    "timeout of 10000ms exceeded", "" },
		{ "429 with Retry-After", DELIVER_TEMPORARY, 429, 3, 120000, 0,
		    STORE_OK, "Request failed with status code 429", "" },
		{ "gone, not recorded", DELIVER_PERMANENT, 410, 2, -1, 1,
		    STORE_ERR, "Request failed with status code 410", "" },
		{ "refused address", DELIVER_PERMANENT, 0, 0, -1, 0, STORE_OK,
		    "refused: 127.0.0.1 is a loopback address", "" },
	};
	struct deliver_result	 in, out;
	char			*text, big[DELIVER_LOG_BODY + 1];
	size_t			 i;
	int			 store;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&in, 0, sizeof(in));
		in.cls = cases[i].cls;
		in.status = cases[i].status;
		in.latency_ms = cases[i].latency;
		in.retry_after_ms = cases[i].retry_after;
		in.gone = cases[i].gone;
		snprintf(in.error, sizeof(in.error), "%s", cases[i].error);
		snprintf(in.body, sizeof(in.body), "%s", cases[i].body);
		text = deliver_result_format(&in, cases[i].store);
		/* One line: the only newline ends it. */
		assert_non_null(strchr(text, '\n'));
		assert_int_equal(strchr(text, '\n') - text, strlen(text) - 1);
		store = -1;
		if (deliver_result_parse(text, &out, &store) != 0)
			fail_msg("%s: %s does not parse", cases[i].label, text);
		assert_int_equal(store, cases[i].store);
		assert_int_equal(out.cls, in.cls);
		assert_int_equal(out.status, in.status);
		assert_int_equal(out.latency_ms, in.latency_ms);
		assert_int_equal(out.retry_after_ms, in.retry_after_ms);
		assert_int_equal(out.gone, in.gone);
		assert_string_equal(out.error, in.error);
		assert_string_equal(out.body, in.body);
		free(text);
	}
	/* A body of the largest size the log keeps. */
	memset(&in, 0, sizeof(in));
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(in.body, big, sizeof(big));
	text = deliver_result_format(&in, STORE_OK);
	assert_int_equal(deliver_result_parse(text, &out, &store), 0);
	assert_string_equal(out.body, big);
	free(text);
}

static void
test_parse_refused(void **state)
{
	static const char *const cases[] = {
		"",
		"hello",
		"[]",
		"{}",
		"{\"class\":\"done\",\"status\":200,\"latency_ms\":1,"
		    "\"retry_after_ms\":-1,\"gone\":false,\"store\":0,"
		    "\"error\":\"\"}",				/* no body */
		"{\"class\":\"fine\",\"status\":200,\"latency_ms\":1,"
		    "\"retry_after_ms\":-1,\"gone\":false,\"store\":0,"
		    "\"error\":\"\",\"body\":\"\"}",		/* class */
		"{\"class\":\"done\",\"status\":\"200\",\"latency_ms\":1,"
		    "\"retry_after_ms\":-1,\"gone\":false,\"store\":0,"
		    "\"error\":\"\",\"body\":\"\"}",		/* status type */
		"{\"class\":\"done\",\"status\":-1,\"latency_ms\":1,"
		    "\"retry_after_ms\":-1,\"gone\":false,\"store\":0,"
		    "\"error\":\"\",\"body\":\"\"}",		/* status range */
		"{\"class\":\"done\",\"status\":200,\"latency_ms\":1,"
		    "\"retry_after_ms\":-1,\"gone\":0,\"store\":0,"
		    "\"error\":\"\",\"body\":\"\"}",		/* gone type */
		"{\"class\":\"done\",\"status\":200,\"latency_ms\":1,"
		    "\"retry_after_ms\":-1,\"gone\":false,\"store\":99,"
		    "\"error\":\"\",\"body\":\"\"}",		/* store range */
	};
	struct deliver_result	 r;
	size_t			 i;
	int			 store;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (deliver_result_parse(cases[i], &r, &store) != -1)
			fail_msg("case %zu accepted: %s", i, cases[i]);
}

/* ---- probe_run against stand-ins ----------------------------------------- */

static char	 dir[64], home[96];

static char	 path_buf[160];

static void
script(const char *name, const char *body)
{
	char	 path[128];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	fprintf(f, "#!/bin/sh\n%s\n", body);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, 0755), 0);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/webhooks-probe-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	/* The data directory: its spool holds the slots. */
	snprintf(home, sizeof(home), "%s/home of the test", dir);
	if (mkdir(home, 0700) == -1)
		return -1;
	snprintf(path_buf, sizeof(path_buf), "%s/spool", home);
	if (mkdir(path_buf, 0700) == -1)
		return -1;
	/* Answers with what it was given: its arguments (the event id in
	 * "error"), whether descriptor 42 (left open without close-on-exec
	 * by the test) reached it, its standard input, two variables, and
	 * the file of its descriptor 3, the slot. */
	script("echo",
	    "fd=closed; [ -e /proc/$$/fd/42 ] && fd=open\n"
	    "in=$(readlink /proc/$$/fd/0)\n"
	    "slot=$(basename \"$(readlink /proc/$$/fd/3)\")\n"
	    "printf '{\"class\":\"done\",\"status\":200,\"latency_ms\":5,"
	    "\"retry_after_ms\":-1,\"gone\":false,\"store\":0,"
	    "\"error\":\"%s\",\"body\":\"%s %s %s %s|%s|%s|%s|%s|%s\"}\\n' "
	    "\"$5\" \"$1\" \"$2\" \"$3\" \"$4\" \"$fd\" \"$in\" "
	    "\"${HTTP_AUTHORIZATION:-none}\" \"$WEBHOOKS_HOME\" \"$slot\"");
	/* Answers at once; what it leaves behind holds the slot 3 s. */
	script("holds",
	    "sleep 3 >/dev/null &\n"
	    "printf '{\"class\":\"done\",\"status\":204,\"latency_ms\":1,"
	    "\"retry_after_ms\":-1,\"gone\":false,\"store\":0,"
	    "\"error\":\"\",\"body\":\"\"}\\n'");
	/* Exits at once, as webhookd --detach does; what it leaves behind
	 * answers after the wait (into a closed pipe). */
	script("detaches",
	    "(sleep 3; echo late) &\n"
	    "exit 0");
	script("notfound-line", "echo notfound");
	script("unrecorded",
	    "printf '{\"class\":\"temporary\",\"status\":500,\"latency_ms\":5,"
	    "\"retry_after_ms\":-1,\"gone\":false,\"store\":4,"
	    "\"error\":\"Request failed with status code 500\","
	    "\"body\":\"\"}\\n'");
	script("notfound", "exit 3");
	script("fails", "echo 'webhookd: something broke' >&2; exit 1");
	script("garbage", "echo hello");
	script("chatty", "head -c 20000 /dev/zero | tr '\\0' x; exec sleep 30");
	script("silent", "exit 0");
	script("killed", "kill -9 $$");
	script("hangs", "exec sleep 30");
	/* Its output ends, but it does not exit; nor does what it started. */
	script("lingers", "sleep 30 >/dev/null & exec 1>&-; exec sleep 30");
	return 0;
}

static int
teardown(void **state)
{
	char	 cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_run(void **state)
{
	static const struct {
		const char	*prog;
		enum probe_res	 want;
		const char	*body;	/* on PROBE_OK */
		int		 store;
	} cases[] = {
		{ "echo", PROBE_OK,
		    "--test --detach team1 00000000-0000-4000-8000-000000000001"
		    "|closed|/dev/null|none|%s|.test.team1.0", STORE_OK },
		{ "unrecorded", PROBE_OK, "", STORE_ERR },
		{ "notfound", PROBE_NOTFOUND, NULL, 0 },
		{ "notfound-line", PROBE_NOTFOUND, NULL, 0 },
		{ "fails", PROBE_FAILED, NULL, 0 },
		{ "garbage", PROBE_FAILED, NULL, 0 },
		{ "chatty", PROBE_FAILED, NULL, 0 },	/* too much: killed */
		{ "silent", PROBE_FAILED, NULL, 0 },
		{ "killed", PROBE_FAILED, NULL, 0 },
		{ "missing", PROBE_NOSTART, NULL, 0 },
		/* Last: they wait out the wait (DELIVER_TEST_WAIT_MS); the
		 * first two are killed. */
		{ "lingers", PROBE_FAILED, NULL, 0 },
		{ "hangs", PROBE_FAILED, NULL, 0 },
		{ "detaches", PROBE_PENDING, NULL, 0 },
	};
	struct cfg		 cfg;
	struct deliver_result	 r;
	char			 id[DELIVER_ID_LEN + 1], want_id[DELIVER_ID_LEN + 1];
	char			 body[256];
	int64_t			 t0, took;
	size_t			 i;
	int			 fd, store;
	enum probe_res		 res;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.home, sizeof(cfg.home), "%s", home);
	cfg.timeout_ms = 100;
	/* A descriptor without close-on-exec, as a library might leave. */
	assert_int_not_equal(fd = open("/dev/null", O_RDONLY), -1);
	assert_int_equal(dup2(fd, 42), 42);
	close(fd);
	setenv("HTTP_AUTHORIZATION", "Bearer secret", 1);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(cfg.webhookd, sizeof(cfg.webhookd), "%s/%s", dir,
		    cases[i].prog);
		t0 = util_now_ms();
		store = -1;
		id[0] = '\0';
		res = probe_run(&cfg, "team1",
		    "00000000-0000-4000-8000-000000000001", id, &r, &store);
		if (res != cases[i].want)
			fail_msg("%s: result %d, not %d", cases[i].prog, res,
			    cases[i].want);
		took = util_now_ms() - t0;
		/* The delivery id is known whatever happens next. */
		assert_int_equal(strlen(id), DELIVER_ID_LEN);
		if (cases[i].want == PROBE_OK) {
			snprintf(body, sizeof(body), cases[i].body, home);
			assert_string_equal(r.body, body);
			assert_int_equal(store, cases[i].store);
		}
		if (strcmp(cases[i].prog, "echo") == 0) {
			/* The event id it was given makes the id answered. */
			assert_true(util_is_uuid(r.error));
			deliver_msg_id(r.error,
			    "00000000-0000-4000-8000-000000000001", want_id);
			assert_string_equal(id, want_id);
		}
		if (cases[i].want == PROBE_PENDING ||
		    strcmp(cases[i].prog, "lingers") == 0 ||
		    strcmp(cases[i].prog, "hangs") == 0)
			assert_true(took >= DELIVER_TEST_WAIT_MS &&
			    took < DELIVER_TEST_WAIT_MS + 1000);
		else
			assert_true(took < 1500);
		/* Every child was waited for. */
		assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
		assert_int_equal(errno, ECHILD);
	}
	unsetenv("HTTP_AUTHORIZATION");
	close(42);
}

/* Started with stdin and stdout closed (pipe2 then returns 0 and 1): the
 * child still gets /dev/null and the pipe in their places. */
static void
test_run_closed_stdio(void **state)
{
	struct cfg		 cfg;
	struct deliver_result	 r;
	char			 id[DELIVER_ID_LEN + 1], want[256];
	int			 in, out, store, res;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.home, sizeof(cfg.home), "%s", home);
	cfg.timeout_ms = 1000;
	snprintf(cfg.webhookd, sizeof(cfg.webhookd), "%s/echo", dir);
	fflush(stdout);
	assert_int_not_equal(in = dup(STDIN_FILENO), -1);
	assert_int_not_equal(out = dup(STDOUT_FILENO), -1);
	close(STDIN_FILENO);
	close(STDOUT_FILENO);
	res = probe_run(&cfg, "t", "u", id, &r, &store);
	assert_int_equal(dup2(in, STDIN_FILENO), STDIN_FILENO);
	assert_int_equal(dup2(out, STDOUT_FILENO), STDOUT_FILENO);
	close(in);
	close(out);
	assert_int_equal(res, PROBE_OK);
	snprintf(want, sizeof(want), "--test --detach t u|closed|/dev/null|"
	    "none|%s|.test.t.0", home);
	assert_string_equal(r.body, want);
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
}

/* Two tests of a team in flight at once, across processes (flock): a third
 * is refused at once, another team is not; a slot frees itself when what
 * holds it ends. */
static void
test_cap(void **state)
{
	static const struct {
		const char	*label, *team;
		enum probe_res	 want;
		int		 sleep_ms;	/* before it */
	} cases[] = {
		{ "first", "capped", PROBE_OK, 0 },
		{ "second", "capped", PROBE_OK, 0 },
		{ "third, while both hold their slots", "capped", PROBE_BUSY, 0 },
		{ "another team", "other", PROBE_OK, 0 },
		{ "again", "capped", PROBE_BUSY, 0 },
		{ "once the holders ended", "capped", PROBE_OK, 3500 },
	};
	struct cfg		 cfg;
	struct deliver_result	 r;
	char			 id[DELIVER_ID_LEN + 1];
	int64_t			 t0;
	size_t			 i;
	int			 store;
	enum probe_res		 res;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.home, sizeof(cfg.home), "%s", home);
	snprintf(cfg.webhookd, sizeof(cfg.webhookd), "%s/holds", dir);
	cfg.timeout_ms = 3000;
	assert_int_equal(probe_retry_after(&cfg), 3);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].sleep_ms > 0)
			usleep((useconds_t)cases[i].sleep_ms * 1000);
		t0 = util_now_ms();
		res = probe_run(&cfg, cases[i].team,
		    "00000000-0000-4000-8000-000000000001", id, &r, &store);
		if (res != cases[i].want)
			fail_msg("%s: result %d, not %d", cases[i].label, res,
			    cases[i].want);
		assert_true(util_now_ms() - t0 < 1000);
	}
	/* No slot file anywhere but the spool, and a refusal when the spool
	 * is missing. */
	snprintf(cfg.home, sizeof(cfg.home), "%s/nowhere", dir);
	assert_int_equal(probe_run(&cfg, "capped",
	    "00000000-0000-4000-8000-000000000001", id, &r, &store),
	    PROBE_FAILED);
}

static void
test_where(void **state)
{
	struct cfg	 cfg;
	char		 out[4200], self[PATH_MAX], next[PATH_MAX + 16];
	ssize_t		 n;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	/* The setting wins, and must name a program. */
	snprintf(cfg.webhookd, sizeof(cfg.webhookd), "%s/echo", dir);
	assert_int_equal(probe_webhookd(&cfg, out, sizeof(out)), 0);
	assert_string_equal(out, cfg.webhookd);
	snprintf(cfg.webhookd, sizeof(cfg.webhookd), "%s/missing", dir);
	assert_int_equal(probe_webhookd(&cfg, out, sizeof(out)), -1);
	snprintf(cfg.webhookd, sizeof(cfg.webhookd), "%s", dir);
	assert_int_equal(probe_webhookd(&cfg, out, sizeof(out)), -1);
	/* Without it: next to this program (build/normal/../webhookd, not
	 * there unless put there below), else the installed one, if any. */
	cfg.webhookd[0] = '\0';
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	assert_true(n > 0);
	self[n] = '\0';
	*strrchr(self, '/') = '\0';
	snprintf(next, sizeof(next), "%s/../webhookd", self);
	assert_int_equal(access(next, F_OK), -1);
	if (access(PROBE_WEBHOOKD, X_OK) == 0) {
		assert_int_equal(probe_webhookd(&cfg, out, sizeof(out)), 0);
		assert_string_equal(out, PROBE_WEBHOOKD);
	} else
		assert_int_equal(probe_webhookd(&cfg, out, sizeof(out)), -1);
	assert_int_equal(close(open(next, O_CREAT | O_WRONLY, 0755)), 0);
	assert_int_equal(probe_webhookd(&cfg, out, sizeof(out)), 0);
	assert_string_equal(out, next);
	assert_int_equal(unlink(next), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_parse),
		cmocka_unit_test(test_parse_refused),
		cmocka_unit_test(test_where),
		cmocka_unit_test(test_run_closed_stdio),
		cmocka_unit_test(test_run),
		cmocka_unit_test(test_cap),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
