/*
 * probe: the test delivery in a detached webhookd.  See probe.h for why.
 *
 * The tester is started with posix_spawn (a vfork: nothing of the parent is
 * copied) and given exactly four descriptors: /dev/null as its standard
 * input (under a FastCGI server, descriptor 0 is the listening socket),
 * the write end of a pipe as its standard output, our standard error,
 * which is the web server's error log, and its slot's locked file as
 * descriptor 3.  Everything else (the FastCGI connection, the Berkeley DB
 * files, the spool's directories) is closed in the child before exec.  Its
 * environment is ours without the request's headers (HTTP_*: under plain
 * CGI they hold the Authorization and Cookie values), with WEBHOOKS_HOME
 * set to the data directory in use.
 *
 * The process started forks the tester and exits at once; the parent
 * reads the answer until DELIVER_TEST_WAIT_MS have passed, and always waits for
 * the process it started (killing it if it has not exited by then): no
 * zombie outlives a request.  A tester still at work when the wait ends
 * writes its outcome into a pipe no one reads, and records it anyway.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "log.h"
#include "probe.h"
#include "util.h"

#include "prefix.h"		/* PROBE_WEBHOOKD: $(PREFIX)/bin/webhookd, made
				   by the Makefile */

extern char **environ;

/* Why path is no program to run, or NULL when it is one. */
static const char *
not_executable(const char *path)
{
	struct stat	 st;

	if (stat(path, &st) == -1 || access(path, X_OK) == -1)
		return strerror(errno);
	return S_ISREG(st.st_mode) ? NULL : "not a regular file";
}

int
probe_webhookd(const struct cfg *cfg, char *out, size_t outlen)
{
	const char	*why;
	char		 self[PATH_MAX], *slash;
	ssize_t		 n;

	if (cfg->webhookd[0] != '\0') {
		if ((why = not_executable(cfg->webhookd)) != NULL) {
			log_warn("probe: the webhookd setting names %s: %s",
			    cfg->webhookd, why);
			return -1;
		}
		snprintf(out, outlen, "%s", cfg->webhookd);
		return 0;
	}
	/* Next to the program: <dir>/cgi-bin/webhooks.fcgi, <dir>/webhookd. */
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			if ((size_t)snprintf(out, outlen, "%s/../webhookd",
			    self) < outlen && not_executable(out) == NULL)
				return 0;
		}
	} else
		self[0] = '\0';
	if (not_executable(PROBE_WEBHOOKD) == NULL) {
		snprintf(out, outlen, "%s", PROBE_WEBHOOKD);
		return 0;
	}
	log_warn("probe: no webhookd program: not in %s/.., not %s; set "
	    "webhookd in webhooks.conf (or WEBHOOKS_WEBHOOKD)", self,
	    PROBE_WEBHOOKD);
	return -1;
}

/* Our environment for the child: without HTTP_*, with WEBHOOKS_HOME.  The
 * array is the caller's to free (with its one WEBHOOKS_HOME string). */
static char **
child_env(const struct cfg *cfg)
{
	char	**env;
	size_t	  i, n = 0;

	for (i = 0; environ[i] != NULL; i++)
		;
	env = xcalloc(i + 2, sizeof(*env));
	env[n++] = xasprintf("WEBHOOKS_HOME=%s", cfg->home);
	for (i = 0; environ[i] != NULL; i++)
		if (strncmp(environ[i], "HTTP_", 5) != 0 &&
		    strncmp(environ[i], "WEBHOOKS_HOME=", 14) != 0)
			env[n++] = environ[i];
	env[n] = NULL;
	return env;
}

/* fd moved above the standard descriptors (a process started with one
 * of them closed gets it back from pipe2), close-on-exec; -1 if it cannot
 * be (logged). */
static int
above_stdio(int fd)
{
	int	 nfd;

	if (fd > STDERR_FILENO)
		return fd;
	if ((nfd = fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1)) == -1)
		log_warn("probe: fcntl F_DUPFD_CLOEXEC: %s", strerror(errno));
	close(fd);
	return nfd;
}

/* The descriptor the tester finds its slot on. */
#define SLOT_FD		3

/* Starts path --test --detach team uuid evid with its output into a pipe
 * and slot as its SLOT_FD: the child's pid and *rfd, the read end
 * (close-on-exec), or -1 (logged). */
static pid_t
spawn(const struct cfg *cfg, const char *path, const char *team,
    const char *uuid, const char *evid, int slot, int *rfd)
{
	posix_spawn_file_actions_t	 fa;
	posix_spawnattr_t		 at;
	sigset_t			 none, dfl;
	char				*argv[7], **env;
	pid_t				 pid = -1;
	int				 p[2], err;

	if (pipe2(p, O_CLOEXEC) == -1) {
		log_warn("probe: pipe: %s", strerror(errno));
		return -1;
	}
	/* The child's stdin, stdout and SLOT_FD are set in place: neither
	 * end may be one of them already (slot is not: see slot_take). */
	p[0] = above_stdio(p[0]);
	p[1] = above_stdio(p[1]);
	if (p[0] == -1 || p[1] == -1) {
		if (p[0] != -1)
			close(p[0]);
		if (p[1] != -1)
			close(p[1]);
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	sigaddset(&dfl, SIGCHLD);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dfl);
	/* Its own process group, so that a kill reaches what it started. */
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null",
	    O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, p[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, slot, SLOT_FD);
	posix_spawn_file_actions_addclosefrom_np(&fa, SLOT_FD + 1);
	argv[0] = (char *)path;
	argv[1] = (char *)"--test";
	argv[2] = (char *)"--detach";
	argv[3] = (char *)team;
	argv[4] = (char *)uuid;
	argv[5] = (char *)evid;
	argv[6] = NULL;
	env = child_env(cfg);
	if ((err = posix_spawn(&pid, path, &fa, &at, argv, env)) != 0) {
		log_warn("probe: start %s: %s", path, strerror(err));
		pid = -1;
	}
	free(env[0]);
	free(env);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (pid == -1)
		close(p[0]);
	else
		*rfd = p[0];
	return pid;
}

/*
 * One of team's PROBE_PER_TEAM slots, locked (flock, which a fork and an
 * exec pass on and the kernel drops with the last descriptor): its
 * descriptor, close-on-exec and above SLOT_FD; -2 when every slot is
 * taken; -1 on an error (logged).  The files stay: one per slot a team
 * ever used, empty.
 */
static int
slot_take(const struct cfg *cfg, const char *team)
{
	char	*path, *spool;
	int	 i, fd, nfd;

	for (i = 0; i < PROBE_PER_TEAM; i++) {
		path = xasprintf("%s/spool/.test.%s.%d", cfg->home, team, i);
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		    0660);
		if (fd == -1 && errno == ENOENT) {
			/* A data directory whose spool was never opened. */
			spool = xasprintf("%s/spool", cfg->home);
			if (mkdir(spool, 0770) == 0 || errno == EEXIST)
				fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC |
				    O_NOFOLLOW, 0660);
			else
				errno = ENOENT;
			free(spool);
		}
		if (fd == -1) {
			log_warn("probe: %s: %s", path, strerror(errno));
			free(path);
			return -1;
		}
		free(path);
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			if (fd > SLOT_FD)
				return fd;
			nfd = fcntl(fd, F_DUPFD_CLOEXEC, SLOT_FD + 1);
			if (nfd == -1)
				log_warn("probe: fcntl F_DUPFD_CLOEXEC: %s",
				    strerror(errno));
			close(fd);	/* the lock stays with nfd */
			return nfd;
		}
		if (errno != EWOULDBLOCK) {
			log_warn("probe: flock on a slot of team %s: %s", team,
			    strerror(errno));
			close(fd);
			return -1;
		}
		close(fd);	/* taken: the next one */
	}
	return -2;
}

/* Reads fd to its end into out (at most PROBE_OUT_MAX bytes) before
 * deadline_ms: 0; -1 on an error or too much (logged); -2 when the
 * deadline passed. */
static int
read_all(int fd, int64_t deadline_ms, struct buf *out, const char *path)
{
	struct pollfd	 pfd;
	char		 chunk[4096];
	ssize_t		 n;
	int64_t		 left;
	int		 rc;

	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		if ((left = deadline_ms - util_now_ms()) <= 0)
			return -2;
		if ((rc = poll(&pfd, 1, (int)left)) == -1) {
			if (errno == EINTR)
				continue;
			log_warn("probe: poll: %s", strerror(errno));
			return -1;
		}
		if (rc == 0)
			continue;	/* the deadline check above ends it */
		if ((n = read(fd, chunk, sizeof(chunk))) == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			log_warn("probe: read: %s", strerror(errno));
			return -1;
		}
		if (n == 0)
			return 0;
		if (out->len + (size_t)n > PROBE_OUT_MAX) {
			log_warn("probe: %s --test: answer over %d bytes", path,
			    PROBE_OUT_MAX);
			return -1;
		}
		buf_add(out, chunk, (size_t)n);
	}
}

/* Waits for pid until deadline_ms, then kills its process group and
 * waits for it (*late = 1): the end of its output is not its exit.  Its
 * wait status, or -1. */
static int
reap(pid_t pid, int64_t deadline_ms, int *late)
{
	pid_t	 w;
	int	 status;

	*late = 0;
	while ((w = waitpid(pid, &status, WNOHANG)) != pid) {
		if (w == -1 && errno != EINTR)
			goto fail;
		if (w == 0 && util_now_ms() >= deadline_ms) {
			*late = 1;
			(void)kill(-pid, SIGKILL);
			while (waitpid(pid, &status, 0) == -1)
				if (errno != EINTR)
					goto fail;
			return status;
		}
		if (w == 0)
			(void)poll(NULL, 0, 2);
	}
	return status;
fail:
	log_warn("probe: waitpid %ld: %s", (long)pid, strerror(errno));
	return -1;
}

int
probe_error(enum probe_res res, const char **msg)
{
	switch (res) {
	case PROBE_NOTFOUND:
		*msg = "No such webhook.";
		return 404;
	case PROBE_BUSY:
		*msg = "Too many test deliveries of this team are in "
		    "progress; try again when one has finished.";
		return 429;
	case PROBE_NOSTART:
		*msg = "The test delivery could not be started (webhookd is "
		    "missing); see the server's log.";
		return 500;
	default:
		*msg = "The test delivery failed in webhookd; see the "
		    "server's log.";
		return 500;
	}
}

int
probe_retry_after(const struct cfg *cfg)
{
	return (cfg->timeout_ms + 999) / 1000;
}

enum probe_res
probe_run(const struct cfg *cfg, const char *team, const char *uuid,
    char id[DELIVER_ID_LEN + 1], struct deliver_result *r, int *store_res)
{
	struct buf	 out;
	char		 path[PATH_MAX + 16], evid[37];
	pid_t		 pid;
	int64_t		 deadline;
	int		 fd = -1, slot, status, rd, late;
	enum probe_res	 res;

	memset(r, 0, sizeof(*r));
	*store_res = STORE_OK;
	util_uuid4(evid);
	deliver_msg_id(evid, uuid, id);
	if (probe_webhookd(cfg, path, sizeof(path)) == -1)
		return PROBE_NOSTART;
	if ((slot = slot_take(cfg, team)) < 0)
		return slot == -2 ? PROBE_BUSY : PROBE_FAILED;
	deadline = util_now_ms() + DELIVER_TEST_WAIT_MS;
	pid = spawn(cfg, path, team, uuid, evid, slot, &fd);
	/* The tester holds the slot now: it frees when the tester ends. */
	close(slot);
	if (pid == -1)
		return PROBE_NOSTART;
	buf_init(&out);
	rd = read_all(fd, deadline, &out, path);
	close(fd);
	/* The process started exits at once, leaving the tester; after an
	 * error it is not waited for. */
	status = reap(pid, rd == -1 ? 0 : deadline, &late);
	if (late)
		log_warn("probe: %s --test: no exit in time", path);
	if (rd == -1 || late)
		res = PROBE_FAILED;
	else if (status != -1 && WIFEXITED(status) &&
	    WEXITSTATUS(status) == DELIVER_TEST_EXIT_NOTFOUND)
		res = PROBE_NOTFOUND;
	else if (status == -1 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		if (status != -1 && WIFSIGNALED(status))
			log_warn("probe: %s --test %s: killed by signal %d",
			    path, uuid, WTERMSIG(status));
		else if (status != -1)
			log_warn("probe: %s --test %s: exit status %d", path,
			    uuid, WEXITSTATUS(status));
		res = PROBE_FAILED;
	} else if (rd == -2) {
		log_info("probe: team %s: webhook %s: test delivery %s goes on "
		    "after %d ms", team, uuid, id, DELIVER_TEST_WAIT_MS);
		res = PROBE_PENDING;
	} else if (out.len > 0 &&
	    strcmp(out.p, DELIVER_TEST_NOTFOUND_LINE) == 0)
		res = PROBE_NOTFOUND;
	else if (out.len == 0 ||
	    deliver_result_parse(out.p, r, store_res) == -1) {
		log_warn("probe: %s --test %s: no outcome in its answer",
		    path, uuid);
		res = PROBE_FAILED;
	} else
		res = PROBE_OK;
	buf_free(&out);
	return res;
}
