/*
 * webhooks.fcgi: the REST API and the admin page, as a FastCGI program
 * (lighttpd mod_fastcgi, Apache mod_fcgid) or, when started as plain CGI,
 * for one request.  Thin: the accept loop, one context a pass.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "api.h"
#include "cfg.h"
#include "http.h"
#include "log.h"
#include "store.h"

#define MAINTAIN_EVERY_MS (60 * 1000)

/*
 * The watchdog.  Debian's Berkeley DB uses plain pthread mutexes: when a
 * process is killed while holding one of the environment's, the others
 * block on it for ever, where failchk cannot reach them.  A request that
 * outlives its deadline therefore ends the process; the web server starts
 * a new one, whose open (DB_REGISTER) sees the dead process and recovers
 * the environment.  Only async-signal-safe calls here.
 */
static void
wedged(int sig)
{
	static const char msg[] = "webhooks.fcgi: request outlived its "
	    "deadline (store wedged?): exiting so that a new process "
	    "recovers the environment\n";

	(void)sig;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(3);
	_exit(3);
}

/* Answers a request when the program cannot serve any (no store, bad
 * configuration): 503, in JSON, and says why in the log only. */
static void
unavailable(struct http_req *req, struct http_resp *resp)
{
	resp->status = 503;
	http_header(resp, "Content-Type", "application/json");
	http_header(resp, "Retry-After", "5");
	buf_puts(&resp->body, "{\"message\":\"The service is unavailable; "
	    "try again.\"}");
	http_send(req, resp);
}

/*
 * Under mod_fcgid on shared hosting, .htaccess SetEnv values arrive as
 * request parameters, not in the process environment: take the data
 * directory (and so its webhooks.conf) from the first request that names
 * one, unless the environment already did.
 */
static void
home_from_request(struct http_req *req, struct cfg *cfg)
{
	const char	*home;
	char		 err[512];

	if (getenv("WEBHOOKS_HOME") != NULL ||
	    (home = http_param(req, "WEBHOOKS_HOME")) == NULL || *home == '\0')
		return;
	setenv("WEBHOOKS_HOME", home, 1);
	if (cfg_load(cfg, err, sizeof(err)) == -1)
		log_warn("configuration: %s", err);
}

/* flags: store_open's (STORE_LAZY for the one request of plain CGI). */
static int
serve(struct store **st, struct cfg *cfg, FCGX_Request *fr, int flags)
{
	struct http_req		 req;
	struct http_resp	 resp;

	http_resp_init(&resp);
	if (http_req_read(&req, fr, cfg->max_body) == -1) {
		http_resp_free(&resp);
		return 0;
	}
	alarm(API_DEADLINE_S);
	if (*st == NULL) {
		home_from_request(&req, cfg);
		*st = store_open(cfg->home, flags);
	}
	if (*st == NULL)
		unavailable(&req, &resp);
	else {
		store_read_begin(*st);
		api_handle(*st, cfg, &req, &resp);
		store_read_end(*st);
		http_send(&req, &resp);
	}
	alarm(0);
	http_req_free(&req);
	http_resp_free(&resp);
	/* After a panic every call fails: leave, the server starts another
	 * process whose open recovers the environment. */
	return *st != NULL && store_is_fatal(*st) ? -1 : 0;
}

/*
 * max_requests reached: the program starts afresh in the same process.  It
 * closes the store and execs itself, keeping only the listening socket (fd
 * 0) and stdout and stderr, so that the connections the web server has
 * already queued on that socket wait a few milliseconds for the new image
 * instead of being reset.  (A process that exits loses them: lighttpd
 * answers 503 for each, disables the backend for a second and starts
 * another only after that.)  The PID stays, so the web server sees no
 * change; /proc/self/exe is the same program even if its file has been
 * replaced since (an upgrade takes a restart of the web server).  Returns
 * only if exec failed; the caller serves on.
 */
static void
renew(char **argv, struct store **st, long served)
{
	DIR		*d;
	struct dirent	*e;
	int		 fd;

	if (*st != NULL) {
		store_close(*st);
		*st = NULL;
	}
	/* Whatever else is open (nothing should be) stays behind. */
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == -1 &&
	    (d = opendir("/proc/self/fd")) != NULL) {
		while ((e = readdir(d)) != NULL)
			if ((fd = atoi(e->d_name)) > 2 && fd != dirfd(d))
				(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
		closedir(d);
	}
	log_info("served %ld requests (max_requests): starting afresh",
	    served);
	execv("/proc/self/exe", argv);
	log_warn("execv /proc/self/exe: %s: serving on", strerror(errno));
}

int
main(int argc, char **argv)
{
	struct cfg	 cfg;
	struct store	*st = NULL;
	FCGX_Request	 fr;
	char		 err[512];
	int64_t		 last = 0, now;
	long		 served = 0;

	(void)argc;
	log_init("webhooks.fcgi");
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, wedged);
	/* Test deliveries wait for their child (probe_run): an inherited
	 * SIG_IGN would have the kernel reap it first. */
	signal(SIGCHLD, SIG_DFL);
	if (cfg_load(&cfg, err, sizeof(err)) == -1) {
		log_warn("configuration: %s", err);
		return 1;
	}
	if (FCGX_IsCGI()) {
		/* One request: only the databases it uses are opened. */
		serve(&st, &cfg, NULL, STORE_LAZY);
		if (st != NULL)
			store_close(st);
		return 0;
	}
	if (FCGX_Init() != 0 || FCGX_InitRequest(&fr, 0, 0) != 0) {
		log_warn("FCGX_Init failed");
		return 1;
	}
	while (FCGX_Accept_r(&fr) >= 0) {
		int fatal = serve(&st, &cfg, &fr, 0);
		FCGX_Finish_r(&fr);
		if (fatal) {
			log_warn("store needs recovery: leaving so that a new "
			    "process recovers it");
			break;
		}
		if (cfg.max_requests > 0 && ++served >= cfg.max_requests) {
			renew(argv, &st, served);
			served = 0;
		}
		/* Also at the first request of each image (max_requests may
		 * renew it more often than this): the checkpoint itself is
		 * made only when the environment's last is a minute old. */
		now = util_now_ms();
		if (st != NULL && now - last > MAINTAIN_EVERY_MS) {
			store_maintain_every(st, MAINTAIN_EVERY_MS / 60000);
			last = now;
		}
	}
	if (st != NULL)
		store_close(st);
	return 0;
}
