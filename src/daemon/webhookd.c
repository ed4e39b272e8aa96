/*
 * webhookd: the delivery daemon.  Claims spool files by rename, fans each
 * event out to the team's active webhooks subscribed to its type, and
 * delivers through one libcurl multi loop: many transfers at once over a
 * shared connection cache, at most per_endpoint of them to any one
 * endpoint of one team (team, scheme, host, port), so that a slow or dead
 * endpoint only ever waits behind itself, and a team whose webhooks hang
 * on a host never holds up another team's deliveries to the same host
 * (within a team's endpoint, a webhook with nothing in flight goes ahead of
 * another's backlog: wd_ep_take).
 *
 *   webhookd          run until SIGTERM / SIGINT
 *   webhookd --once   deliver what is due now and exit (for cron)
 *   webhookd -n       check the configuration: "configuration OK"
 *   webhookd --user NAME ...
 *                     started as root: run as NAME ("root" to stay root);
 *                     without it root becomes the owner of $WEBHOOKS_HOME,
 *                     and a root-owned $WEBHOOKS_HOME is refused (priv.h)
 *   webhookd --test [--detach] TEAM UUID [EVENT_ID]
 *                     one test delivery for the FastCGI program (probe.h):
 *                     deliver, record, print the outcome as a JSON line;
 *                     --detach: in a process of its own, the first exits
 *
 * Where state lives, and why.  An event file stays in cur/ until each of
 * its deliveries is resolved durably: done (the attempt log, and for an
 * event with several deliveries a line in its progress file), deferred (a
 * delivery file in deferred/, fsync'd, whose mtime is its next attempt) or
 * dead (a delivery file in dead/, fsync'd).  Only then is it removed.  A
 * crash at any point leaves it in cur/, and the next start puts it back in
 * new/: deliveries already resolved are skipped (their progress line, or
 * their deferred/dead file), the others sent again -- the duplicates are
 * exactly the attempts in flight.
 *
 * Deferred deliveries are files rather than Berkeley DB records because a
 * file per delivery carries everything its next attempt needs (the event
 * with it), survives restarts of the daemon and of the machine, needs no
 * scan of a table that also holds the past, and makes a claim as atomic
 * as an event's: the same rename into cur/.  At start the daemon lists
 * deferred/ once into a heap ordered by mtime; from then on it knows every
 * file there, since only the (single, locked) daemon writes deferred/.
 *
 * The attempt log in the store is the history; the attempts that end in
 * one pass of the loop are written in one transaction, without waiting
 * for the log flush (an attempt line may be lost in a machine crash, an
 * event may not), and their events leave cur/ only after that commit.
 *
 * Two threads, so that the network never waits for the disk:
 *  - the main thread (the network) owns the libcurl multi handle, the
 *    endpoints and their queues, and the signals: it starts, signs and
 *    reaps transfers, and nothing else;
 *  - the spool thread owns the spool, the store and the log of attempts:
 *    it claims, reads and fans out events, records outcomes (the attempt
 *    log, the webhook's error, deferred/ and dead/ files) and removes
 *    finished events.
 * Jobs go from the spool thread to the main thread when made, and back
 * when their transfer ends (or is spilled or abandoned), through two lists
 * under one mutex (struct hand); each side sleeps in poll and is woken by
 * the other only when it sleeps.  Answers wake a sleeping spool thread in
 * batches: when RECORD_BATCH wait, when the oldest has waited RECORD_MS,
 * when an endpoint waits for its records, or at once for a job given back
 * unattempted.  (A wake-up for every few answers cost more than their
 * recording: fewer, larger transactions took webhookd --once over 20,000
 * deliveries from 0.91 s to 0.80 s, and its CPU time from 1.10 s to
 * 1.04 s, medians of 6 alternating runs.)
 * An endpoint takes a new transfer while fewer than per_endpoint are on
 * the wire and fewer than UNREC_FACTOR x per_endpoint of its answers wait
 * to be recorded, so that a crash repeats at most (1 + UNREC_FACTOR) x
 * per_endpoint deliveries an endpoint (of one team): those in flight, on
 * the wire or answered but not yet in the attempt log.
 *
 * The files, the way Postfix splits its queue manager (the state they
 * share is struct wd, in wd.h):
 *   webhookd.c     this: arguments, settings, privileges, the threads;
 *                  --once, -n, --test [--detach]
 *   wd_endpoint.c  endpoints per team, their limits, the ready list
 *   wd_handoff.c   what the threads hand each other, and their wake-ups
 *   wd_net.c       the main thread: the libcurl multi loop
 *   wd_spool.c     the spool thread: inotify, claims, the deferred heap,
 *                  maintenance
 *   wd_fanout.c    claimed files into jobs; the per-team webhook cache
 *   wd_record.c    outcomes recorded: the attempt log, the webhook
 *                  (webhook_outcome.h), deferred/ and dead/ by the
 *                  delivery policy (retry.h), files out of cur/
 */
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/signalfd.h>

#include <sys/eventfd.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "auth.h"
#include "cfg.h"
#include "deliver.h"
#include "log.h"
#include "priv.h"
#include "spool.h"
#include "store.h"
#include "util.h"
#include "webhook.h"
#include "wd.h"

static int
wd_setup_fds(struct wd *wd)
{
	sigset_t	 set;

	/* Blocked before the spool thread starts: it inherits the mask,
	 * and only the main thread's signalfd sees them. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1 ||
	    (wd->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) == -1) {
		log_warn("webhookd: signalfd: %s", strerror(errno));
		return -1;
	}
	signal(SIGPIPE, SIG_IGN);
	if ((wd->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1) {
		log_warn("webhookd: eventfd: %s", strerror(errno));
		return -1;
	}
	wd->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (wd->ifd == -1 || inotify_add_watch(wd->ifd,
	    spool_path(wd->sp, SPOOL_NEW), IN_MOVED_TO | IN_CREATE) == -1) {
		log_warn("webhookd: inotify on %s: %s",
		    spool_path(wd->sp, SPOOL_NEW), strerror(errno));
		return -1;
	}
	return 0;
}

/* On standard output with status 0 when asked for (-h, --help). */
static void
usage_to(int asked)
{
	fprintf(asked ? stdout : stderr, "usage: webhookd [--user NAME] "
	    "[--once | -n | --test [--detach] TEAM UUID [EVENT_ID]]\n");
	exit(asked ? 0 : 2);
}

static void
usage(void)
{
	usage_to(0);
}

/*
 * Under plain CGI the web server reads the program's standard error (into
 * its error log) to its end before it ends the request: Apache's mod_cgi
 * does.  A tester holding it would hold the request for the whole delivery.
 * So under CGI (GATEWAY_INTERFACE set, as RFC 3875 has it) the tester's
 * standard error becomes /dev/null once the request has stopped waiting
 * for it (DELIVER_TEST_WAIT_MS): the log lines of a test slower than that are
 * lost, its attempt is recorded all the same.  A thread: the delivery
 * itself blocks the main one.
 */
static void *
stderr_release(void *arg)
{
	int	 fd = (int)(intptr_t)arg;

	/* a cancellation point */
	(void)poll(NULL, 0, DELIVER_TEST_WAIT_MS + 100);
	(void)dup2(fd, STDERR_FILENO);
	return NULL;
}

/*
 * The tester's own process, made by fork when --detach asks: the first
 * process exits 0 at once, so that the FastCGI program that started it
 * waits for it no longer than a fork; the tester leaves its session and
 * process group (a kill of the group the FastCGI program made, or of the
 * web server's, does not reach it), ignores SIGPIPE (the FastCGI program
 * reads its outcome only DELIVER_TEST_WAIT_MS) and keeps every descriptor,
 * its slot's (probe.h) among them (standard error until DELIVER_TEST_WAIT_MS
 * only, under CGI: see stderr_release, whose thread goes into *thr and
 * its descriptor into *nullfd, else -1).  0 in the tester, -1 on an error
 * (logged); the first process does not return.
 */
static int
detach(pthread_t *thr, int *nullfd)
{
	pid_t		 pid;
	int		 fd, err;

	fflush(NULL);
	if ((pid = fork()) == -1) {
		log_warn("webhookd --test: fork: %s", strerror(errno));
		return -1;
	}
	if (pid > 0)
		_exit(0);
	(void)setsid();
	signal(SIGPIPE, SIG_IGN);
	*nullfd = -1;
	if (getenv("GATEWAY_INTERFACE") != NULL &&
	    (fd = open("/dev/null", O_WRONLY | O_CLOEXEC)) != -1) {
		if ((err = pthread_create(thr, NULL, stderr_release,
		    (void *)(intptr_t)fd)) == 0)
			*nullfd = fd;
		else {
			log_warn("webhookd --test: pthread_create: %s",
			    strerror(err));
			close(fd);
		}
	}
	return 0;
}

/*
 * webhookd --test [--detach] TEAM UUID [EVENT_ID]: the test delivery of
 * the API and the admin page, run for the FastCGI program (probe_run) so
 * that it needs no libcurl.  Needs neither the spool nor its lock: the
 * event (of id EVENT_ID, else a new one) is made here and goes nowhere
 * else.  Exits 0 with the outcome on stdout, or DELIVER_TEST_EXIT_NOTFOUND (and
 * DELIVER_TEST_NOTFOUND_LINE on stdout), or 2 (bad arguments), or 1 (logged).
 * Detached, the outcome is all the caller learns; the tester ends itself
 * (SIGALRM) if the delivery timeout plus DELIVER_TEST_SLACK_MS pass.
 */
static int
test_one(const char *team, const char *uuid, const char *evid, int detached,
    const char *user)
{
	struct cfg		 cfg;
	struct store		*st = NULL;
	struct webhook		 w;
	struct deliver_result	 r;
	pthread_t		 thr;
	char			 err[512], *out, newid[37];
	int			 rc = 1, res, nullfd = -1;

	if (!auth_team_valid(team) || !util_is_uuid(uuid) ||
	    (evid != NULL && !util_is_uuid(evid))) {
		log_warn("webhookd --test: usage: webhookd --test [--detach] "
		    "TEAM UUID [EVENT_ID] (a team name, a webhook uuid and an "
		    "event uuid)");
		return 2;
	}
	if (evid == NULL) {
		util_uuid4(newid);
		evid = newid;
	}
	if (cfg_load(&cfg, err, sizeof(err)) == -1) {
		log_warn("webhookd --test: configuration: %s", err);
		return 1;
	}
	/* Run by the web server's program as its user; a web server that
	 * runs it as root on a root-owned home already is root. */
	if (priv_drop(cfg.home, user, PRIV_KEEP_ROOT, NULL, err,
	    sizeof(err)) == -1) {
		log_warn("webhookd --test: %s", err);
		return 1;
	}
	if (detached) {
		if (detach(&thr, &nullfd) == -1)
			return 1;
		alarm((unsigned)((cfg.timeout_ms + DELIVER_TEST_SLACK_MS +
		    999) / 1000));
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_warn("webhookd --test: curl_global_init failed");
		return 1;
	}
	if ((st = store_open(cfg.home, 0)) == NULL)
		goto out;
	if ((res = webhook_get(st, team, uuid, &w)) != STORE_OK) {
		if (res == STORE_NOTFOUND) {
			rc = DELIVER_TEST_EXIT_NOTFOUND;
			fputs(DELIVER_TEST_NOTFOUND_LINE, stdout);
		} else
			log_warn("webhookd --test: webhook %s: store result %d",
			    uuid, res);
		goto out;
	}
	memset(&r, 0, sizeof(r));
	res = deliver_test(st, &cfg, &w, evid, &r);
	webhook_free(&w);
	out = deliver_result_format(&r, res);
	if (fputs(out, stdout) != EOF && fflush(stdout) == 0)
		rc = 0;
	else if (detached && errno == EPIPE)
		rc = 0;		/* the caller answered 202 meanwhile */
	else
		log_warn("webhookd --test: write the outcome: %s",
		    strerror(errno));
	free(out);
out:
	deliver_cleanup();
	curl_global_cleanup();
	if (st != NULL)
		store_close(st);
	if (nullfd != -1) {
		pthread_cancel(thr);
		pthread_join(thr, NULL);
		close(nullfd);
	}
	return rc;
}

int
main(int argc, char *argv[])
{
	struct wd	*wd;
	const char	*user = NULL;
	char		 err[512];
	double		 net_cpu[2];
	size_t		 n;
	int		 i, check = 0, rc, dropped;

	log_init("webhookd");
	if (argc == 2 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0))
		usage_to(1);
	if (argc >= 3 && strcmp(argv[1], "--user") == 0) {
		user = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc >= 2 && strcmp(argv[1], "--test") == 0) {
		i = argc > 2 && strcmp(argv[2], "--detach") == 0 ? 3 : 2;
		if (argc - i != 2 && argc - i != 3)
			usage();
		return test_one(argv[i], argv[i + 1],
		    argc - i == 3 ? argv[i + 2] : NULL, i == 3, user);
	}
	wd = xcalloc(1, sizeof(*wd));
	wd->ifd = wd->sfd = wd->efd = -1;
	wd_hand_init(wd);
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--once") == 0)
			wd->once = 1;
		else if (strcmp(argv[i], "-n") == 0)
			check = 1;
		else if (strcmp(argv[i], "--user") == 0 && i + 1 < argc &&
		    user == NULL)
			user = argv[++i];
		else
			usage();
	}
	if (cfg_load(&wd->cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "webhookd: configuration: %s\n", err);
		free(wd);
		return 1;
	}
	if (check) {
		printf("configuration OK\n");
		free(wd);
		return 0;
	}
	/* Before anything is opened or created: every file this process
	 * makes must be usable by the web server's program. */
	if (priv_drop(wd->cfg.home, user, PRIV_REFUSE_ROOT, &dropped, err,
	    sizeof(err)) == -1) {
		log_warn("webhookd: %s", err);
		free(wd);
		return 1;
	}
	if (dropped)
		log_info("webhookd: running as %s (uid %u, gid %u)%s%s",
		    getpwuid(getuid()) != NULL ? getpwuid(getuid())->pw_name :
		    "?", (unsigned)getuid(), (unsigned)getgid(),
		    user == NULL ? ", the owner of " : "",
		    user == NULL ? wd->cfg.home : "");
	else if (geteuid() == 0)
		log_info("webhookd: running as root (--user root)");
	wd->opts.allow_private = wd->cfg.allow_private;
	wd->jobs_max = (size_t)wd->cfg.concurrency * 8;
	if (wd->jobs_max < JOBS_MIN)
		wd->jobs_max = JOBS_MIN;
	wd->opts.timeout_ms = wd->cfg.timeout_ms;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_warn("webhookd: curl_global_init failed");
		free(wd);
		return 1;
	}
	rc = 1;
	if ((wd->sp = spool_open(wd->cfg.home, 1)) == NULL)
		goto out;
	if ((i = spool_lock(wd->sp)) != 0) {
		if (i == 1)
			log_info("webhookd: another webhookd is running on %s",
			    wd->cfg.home);
		/* For cron, another daemon at work is no error. */
		rc = i == 1 && wd->once ? 0 : 1;
		goto out;
	}
	if ((wd->st = store_open(wd->cfg.home, 0)) == NULL) {
		log_warn("webhookd: cannot open the store in %s",
		    wd->cfg.home);
		goto out;
	}
	if (store_upgrade(wd->st, wd->cfg.home, &n) != STORE_OK)
		log_warn("webhookd: the old attempt log could not be moved "
		    "over; trying again at the next start");
	else if (n > 0)
		log_info("webhookd: moved %zu attempts to the new attempt log",
		    n);
	if (spool_recover(wd->sp, &n) == 0 && n > 0)
		log_info("webhookd: put back %zu claims of a previous run", n);
	/* Without any, no event in new/ has one (only this daemon writes
	 * them): fan-out need not look for one, one open less an event. */
	wd->progress_left = spool_progress_any(wd->sp);
	if (wd_setup_fds(wd) == -1)
		goto out;
	if ((wd->multi = curl_multi_init()) == NULL)
		log_panic("webhookd: curl_multi_init failed");
	curl_multi_setopt(wd->multi, CURLMOPT_MAXCONNECTS,
	    (long)wd->cfg.concurrency * 2);
	wd_spool_list_deferred(wd);
	log_info("webhookd: started on %s%s: %d transfers, %d per endpoint, "
	    "%zu deferred", wd->cfg.home, wd->once ? " (--once)" : "",
	    wd->cfg.concurrency, wd->cfg.per_endpoint, wd->nheap);

	/* One write of the log lines of each pass of the loops. */
	log_buffer(1);
	if ((i = pthread_create(&wd->spool_thr, NULL, wd_spool_main, wd)) != 0) {
		log_warn("webhookd: pthread_create: %s", strerror(i));
		goto out;
	}
	/* For top -H, ps -L and perf: which thread is which. */
	pthread_setname_np(wd->spool_thr, "webhookd-spool");
	wd_net_run(wd);
	wd_thread_cpu(net_cpu);
	pthread_join(wd->spool_thr, NULL);
	wd_fan_teams_free(wd);
	if (wd->once && !wd->fatal)
		wd_spool_maintain(wd);
	rc = wd->fatal ? 1 : 0;
	log_info("webhookd: stopped (CPU time, user + system: network thread "
	    "%.2f + %.2f s, spool thread %.2f + %.2f s)", net_cpu[0], net_cpu[1],
	    wd->spool_cpu[0], wd->spool_cpu[1]);
out:
	log_buffer(0);
	if (wd->multi != NULL)
		curl_multi_cleanup(wd->multi);
	deliver_cleanup();
	curl_global_cleanup();
	wd_spool_free(wd);
	wd_rec_free(wd);
	wd_hand_free(wd);
	if (wd->efd != -1)
		close(wd->efd);
	if (wd->ifd != -1)
		close(wd->ifd);
	if (wd->sfd != -1)
		close(wd->sfd);
	if (wd->st != NULL)
		store_close(wd->st);
	spool_close(wd->sp);
	free(wd);
	return rc;
}
