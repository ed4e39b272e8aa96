/*
 * webhookd: the delivery daemon.  Claims spool files by rename, fans each
 * event out to the team's active webhooks subscribed to its type, and
 * delivers through one libcurl multi loop: many transfers at once over a
 * shared connection cache, at most per_endpoint of them to any one
 * endpoint of one team (team, scheme, host, port), so that a slow or dead
 * endpoint only ever waits behind itself, and a team whose webhooks hang
 * on a host never holds up another team's deliveries to the same host
 * (within a team's endpoint, a webhook with nothing in flight goes ahead of
 * another's backlog: queue_take).
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
#include "probe.h"
#include "spool.h"
#include "store.h"
#include "util.h"
#include "webhook.h"

#define RESCAN_MS	60000	/* new/ is listed again this often, in case */
#define MAINTAIN_MS	300000	/* checkpoint, log archive, pruning */
#define JOBS_MIN	1024	/* jobs in memory: claim no more beyond */
#define SPILL_WAIT_MS	5000	/* a job queued this long may be spilled */
#define TEAMS_MAX	1024	/* teams whose webhooks are kept parsed */
#define SPILL_BATCH	256	/* jobs spilled at most per round */
#define SPILL_DELAY_MS	10000	/* a spilled job waits this long on disk */
#define RECORD_RETRY_MS	60000	/* a file whose outcome could not be written */
#define DRAIN_EXTRA_MS	500	/* SIGTERM: in-flight timeout + this */
#define PROGRESS_MS	250	/* progress lines wait this long in memory */
#define TMP_MAX_AGE_MS	(36LL * 3600 * 1000)	/* maildir's rule for tmp/ */
#define IDEM_TTL_MS	(24LL * 3600 * 1000)
#define EP_BUCKETS	1024
#define CLAIM_BATCH	64	/* claims of one pass of the spool thread */
#define CLAIM_MIN	2	/* ... at least, when answers wait */
#define UNREC_FACTOR	16	/* answers an endpoint may have waiting for
				   their record, x per_endpoint */
#define RECORD_BATCH	32	/* answers that wake the spool thread */
#define BATCH_RETRY_MS	1000	/* a failed attempt-log commit, again */
#define CLAIM_RETRY_MS	1000	/* a failed claim, again */
#define STRANDED_MS	1000	/* a file that could not leave cur/, again */
#define RECORD_MS	2	/* ... or the age of the oldest */
#define NET_WAIT_MS	60000	/* the main thread's longest poll */
#define PICK_SCAN	16	/* queued jobs looked at for one of another
				   webhook (queue_take) */

struct endpoint;

/* A claimed spool file: an event, or one delivery of one. */
struct event {
	char			*name;		/* in cur/ */
	enum spool_dir		 from;		/* where it was claimed from */
	struct spool_event	 ev;
	char			*body;		/* the payload, signed per attempt */
	size_t			 bodylen;
	int			 pending;	/* jobs not yet resolved (+1 while
						   fanning out) */
	int			 multi;		/* several deliveries: progress */
	int			 keep;		/* an outcome failed to record */
	int			 abandoned;	/* shutdown: back where it was */
	int			 has_prog;	/* its progress file exists */
	struct buf		 prog;		/* progress lines not yet written */
	int64_t			 prog_since;	/* when the first of them came */
	struct event		*pnext, *pprev;	/* events with such lines */
	int			 logging;	/* attempts in wd->batch */
	struct event		*cnext;		/* wd->closing */
};

/* An attempt's record waiting for the batch's commit. */
struct batched {
	char			 uuid[37];	/* the webhook's */
	char			 id[37];
	int64_t			 at_ms;
	char			*rec;		/* store_attempt_pack's */
	size_t			 len;
	struct endpoint		*ep;		/* told once recorded */
};

/*
 * What the two threads hand each other, under mu.  Each sleeps in poll
 * only after looking here under mu with its flag set, and the other wakes
 * it (an eventfd; curl_multi_wakeup) only when the flag says it sleeps.
 */
struct hand {
	pthread_mutex_t		 mu;
	struct job		*new_h, *new_t;	/* made: to the main thread */
	struct job		*back_h, *back_t; /* ended: to the spool thread */
	struct endpoint		**rec;		/* attempts recorded, by endpoint */
	size_t			 nrec, rec_cap;
	size_t			 back_n;	/* jobs in back_h */
	int64_t			 back_since;	/* when back_h last filled */
	int			 back_ready;	/* the spool thread was asked to
					   take back_h (read without mu
					   too: a hint) */
	int			 net_sleeps;	/* the main thread polls */
	int			 spool_sleeps;	/* the spool thread polls */
	int			 stopping;	/* SIGTERM: claim nothing more */
	int			 room_wanted;	/* the spool waits for memory */
	int			 spool_done;	/* --once finished, or fatal */
	int			 net_done;	/* every job handed back */
};

/* What a job handed back to the spool thread is. */
enum job_kind {
	JOB_DONE,		/* attempted: res holds the outcome */
	JOB_SPILL,		/* waited too long behind its endpoint */
	JOB_ABANDON		/* shutdown: not attempted */
};

/* One attempt of one delivery. */
struct job {
	struct event		*ev;		/* the spool thread's (the main
						   thread reads its body) */
	struct webhook		 wh;
	char			 msg_id[DELIVER_ID_LEN + 1];
	int			 attempt;	/* this one's number, 1-based */
	int64_t			 started_ms;
	int64_t			 queued_ms;
	char			*epkey;		/* endpoint_key(), until queued */
	struct endpoint		*ep;		/* the main thread's */
	struct deliver_xfer	*x;
	enum job_kind		 kind;
	struct deliver_result	 res;
	struct job		*next;		/* endpoint queue */
	struct job		*iprev, *inext;	/* in flight */
	struct job		*fprev, *fnext;	/* in flight at its endpoint */
	struct job		*hnext;		/* struct hand's lists */
};

/* A (team, scheme, host, port) and its queue.  Keyed by team as well, so
 * that the limits are each team's: one team's hanging deliveries fill its
 * own slots, never another's.  The connections are not: libcurl's cache
 * is the multi handle's, shared by every team. */
struct endpoint {
	char			*key;
	int			 active;	/* transfers in flight */
	int			 unrec;		/* answered, not yet recorded */
	struct job		*qh, *qt;
	size_t			 qlen;
	int			 mixed;		/* the queue may hold jobs of
						   several webhooks */
	struct job		*fh;		/* its transfers in flight */
	int			 ready;		/* in the ready list */
	struct endpoint		*hnext;		/* hash chain */
	struct endpoint		*rnext;		/* ready list */
};

/* A deferred delivery: its file's name and due time. */
struct dent {
	int64_t	 due;
	char	*name;
};

/*
 * A file left in cur/ because taking it out failed (a failing disk): the
 * move into to/ (due its mtime and heap time for deferred/), or with
 * finish its removal, is tried again every STRANDED_MS until it succeeds.
 */
struct stranded {
	struct stranded	*next;
	char		*name;
	enum spool_dir	 to;
	int64_t		 due;
	int		 finish;	/* remove it (and its progress) instead */
	int		 progress;
};

/*
 * A team's webhooks as parsed at generation gen (store_webhook_gen): fan-out
 * reads the generation (one get) and lists and parses the webhooks again
 * only when it changed, so that a webhook changed or deactivated just
 * before a publish is seen by that event's fan-out.
 */
struct team_hooks {
	char			*team;
	uint64_t		 gen;
	unsigned		 pass;		/* the claim batch gen was read in */
	struct webhook		*ws;
	char			**keys;		/* their endpoint_key()s */
	size_t			 n;
	struct team_hooks	*next;
};

struct wd {
	struct cfg		 cfg;
	struct hand		 h;
	int			 once;
	int			 fatal;		/* the spool thread's; read by
						   the main thread after the
						   join */

	/* The main thread's: the network. */
	CURLM			*multi;
	struct deliver_opts	 opts;
	int			 stopping;
	int64_t			 drain_until;
	int			 sfd;
	struct endpoint		*buckets[EP_BUCKETS];
	struct endpoint		*rhead, *rtail;	/* endpoints that may start */
	struct job		*inflight;
	size_t			 ninflight;
	size_t			 njobs;		/* queued + in flight */
	struct job		*out_h, *out_t;	/* ended, not yet handed back */
	size_t			 out_n;
	int			 out_now;	/* back_h must be taken now */
	int64_t			 next_spill;

	/* The spool thread's: the spool and the store. */
	pthread_t		 spool_thr;
	double			 spool_cpu[2];	/* its CPU seconds, user and system */
	struct store		*st;
	struct spool		*sp;
	int			 ifd, efd;
	int			 progress_left;	/* progress files at start */
	size_t			 alive;		/* jobs made, not yet resolved */
	unsigned		 pass;		/* claim batches so far */

	char			**pend;		/* names seen in new/, FIFO */
	size_t			 pend_head, pend_n, pend_cap;
	int			 rescan;

	struct dent		*heap;		/* deferred/, by due time */
	size_t			 nheap, heap_cap;

	struct job		*made_h, *made_t; /* made, not yet handed over */

	struct event		*prog_head;	/* events with unwritten progress */

	struct batched		*batch;		/* attempts not yet logged */
	struct store_attempt	*batchv;
	size_t			 nbatch, batch_cap;
	int64_t			 batch_retry;	/* a failed commit: try then */
	struct event		*closing;	/* resolved, waiting for them */
	struct stranded		*stranded;	/* in cur/, to take out again */
	int64_t			 stranded_next;	/* the next try */

	char			(*failing)[37];	/* webhooks we saw fail */
	size_t			 nfailing, failing_cap;

	struct team_hooks	*teams;		/* webhooks per team, cached */
	size_t			 nteams;

	size_t			 jobs_max;	/* claim no more beyond */
	int64_t			 next_maintain, next_rescan;
};


/* ---- small containers -------------------------------------------------- */

static void
pend_push(struct wd *wd, const char *name)
{
	if (wd->pend_head + wd->pend_n == wd->pend_cap) {
		if (wd->pend_head > 0) {
			memmove(wd->pend, wd->pend + wd->pend_head,
			    wd->pend_n * sizeof(char *));
			wd->pend_head = 0;
		}
		if (wd->pend_n == wd->pend_cap) {
			wd->pend_cap = wd->pend_cap ? wd->pend_cap * 2 : 256;
			wd->pend = xrealloc(wd->pend,
			    wd->pend_cap * sizeof(char *));
		}
	}
	wd->pend[wd->pend_head + wd->pend_n++] = xstrdup(name);
}

static char *
pend_pop(struct wd *wd)
{
	char	*s;

	if (wd->pend_n == 0)
		return NULL;
	s = wd->pend[wd->pend_head++];
	if (--wd->pend_n == 0)
		wd->pend_head = 0;
	return s;
}

static void
pend_clear(struct wd *wd)
{
	char	*s;

	while ((s = pend_pop(wd)) != NULL)
		free(s);
}

static void
heap_push(struct wd *wd, int64_t due, const char *name)
{
	size_t		 i, p;
	struct dent	 t;

	if (wd->nheap == wd->heap_cap) {
		wd->heap_cap = wd->heap_cap ? wd->heap_cap * 2 : 256;
		wd->heap = xrealloc(wd->heap, wd->heap_cap * sizeof(*wd->heap));
	}
	i = wd->nheap++;
	wd->heap[i].due = due;
	wd->heap[i].name = xstrdup(name);
	while (i > 0) {
		p = (i - 1) / 2;
		if (wd->heap[p].due <= wd->heap[i].due)
			break;
		t = wd->heap[p];
		wd->heap[p] = wd->heap[i];
		wd->heap[i] = t;
		i = p;
	}
}

/* Removes the top; the caller frees the name it returns. */
static char *
heap_pop(struct wd *wd)
{
	char		*name;
	size_t		 i = 0, l, r, m;
	struct dent	 t;

	if (wd->nheap == 0)
		return NULL;
	name = wd->heap[0].name;
	wd->heap[0] = wd->heap[--wd->nheap];
	for (;;) {
		l = 2 * i + 1;
		r = l + 1;
		m = i;
		if (l < wd->nheap && wd->heap[l].due < wd->heap[m].due)
			m = l;
		if (r < wd->nheap && wd->heap[r].due < wd->heap[m].due)
			m = r;
		if (m == i)
			break;
		t = wd->heap[m];
		wd->heap[m] = wd->heap[i];
		wd->heap[i] = t;
		i = m;
	}
	return name;
}

static int
failing_find(struct wd *wd, const char *uuid)
{
	size_t	 i;

	for (i = 0; i < wd->nfailing; i++)
		if (strcmp(wd->failing[i], uuid) == 0)
			return (int)i;
	return -1;
}

static void
failing_set(struct wd *wd, const char *uuid, int on)
{
	int	 i = failing_find(wd, uuid);

	if (on && i == -1) {
		if (wd->nfailing == wd->failing_cap) {
			wd->failing_cap = wd->failing_cap ?
			    wd->failing_cap * 2 : 64;
			wd->failing = xrealloc(wd->failing,
			    wd->failing_cap * sizeof(*wd->failing));
		}
		snprintf(wd->failing[wd->nfailing++], 37, "%s", uuid);
	} else if (!on && i != -1)
		memcpy(wd->failing[i], wd->failing[--wd->nfailing], 37);
}

/* ---- endpoints ------------------------------------------------------------ */

/* "team scheme://host:port" of a team's URL, the URL part in lower case
 * (the URL itself if unparsable).  A team name has no space. */
static char *
endpoint_key(const char *team, const char *url)
{
	CURLU	*u;
	char	*scheme = NULL, *host = NULL, *port = NULL, *key, *p;

	u = curl_url();
	if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) ==
	    CURLUE_OK)
		key = xasprintf("%s %s://%s:%s", team, scheme, host, port);
	else
		key = xasprintf("%s %s", team, url);
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	for (p = key + strlen(team); *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return key;
}

static unsigned
hash(const char *s)
{
	unsigned	 h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h % EP_BUCKETS;
}

/* The endpoint of key (endpoint_key's), made when new. */
static struct endpoint *
endpoint_get(struct wd *wd, const char *key)
{
	struct endpoint	*ep;
	unsigned	 h;

	h = hash(key);
	for (ep = wd->buckets[h]; ep != NULL; ep = ep->hnext)
		if (strcmp(ep->key, key) == 0)
			return ep;
	ep = xcalloc(1, sizeof(*ep));
	ep->key = xstrdup(key);
	ep->hnext = wd->buckets[h];
	wd->buckets[h] = ep;
	return ep;
}

/* Frees ep when nothing is queued or in flight for it. */
static void
endpoint_release(struct wd *wd, struct endpoint *ep)
{
	struct endpoint	**pp;

	if (ep->active > 0 || ep->unrec > 0 || ep->qh != NULL || ep->ready)
		return;
	for (pp = &wd->buckets[hash(ep->key)]; *pp != NULL;
	    pp = &(*pp)->hnext)
		if (*pp == ep) {
			*pp = ep->hnext;
			break;
		}
	free(ep->key);
	free(ep);
}

static void
ready_push(struct wd *wd, struct endpoint *ep)
{
	if (ep->ready || ep->qh == NULL || ep->active >= wd->cfg.per_endpoint)
		return;
	if (ep->unrec >= UNREC_FACTOR * wd->cfg.per_endpoint) {
		/* It waits for the records: ask for them now. */
		wd->out_now = 1;
		return;
	}
	ep->ready = 1;
	ep->rnext = NULL;
	if (wd->rtail != NULL)
		wd->rtail->rnext = ep;
	else
		wd->rhead = ep;
	wd->rtail = ep;
}

static struct endpoint *
ready_pop(struct wd *wd)
{
	struct endpoint	*ep;

	/* An endpoint whose queue spill_old emptied while it waited here
	 * has nothing to start: it goes (and is freed if idle). */
	while ((ep = wd->rhead) != NULL) {
		wd->rhead = ep->rnext;
		if (wd->rhead == NULL)
			wd->rtail = NULL;
		ep->ready = 0;
		if (ep->qh != NULL)
			return ep;
		endpoint_release(wd, ep);
	}
	return NULL;
}

/* ---- handing jobs between the threads ---------------------------------- */

static void
list_append(struct job **h, struct job **t, struct job *j)
{
	j->hnext = NULL;
	if (*t != NULL)
		(*t)->hnext = j;
	else
		*h = j;
	*t = j;
}

/* The main thread: j ended, or goes back unattempted (which the spool
 * thread must see at once). */
static void
out_add(struct wd *wd, struct job *j)
{
	list_append(&wd->out_h, &wd->out_t, j);
	wd->out_n++;
	if (j->kind != JOB_DONE)
		wd->out_now = 1;
}

/* Appends the list fh..ft to h..t. */
static void
list_join(struct job **h, struct job **t, struct job *fh, struct job *ft)
{
	if (fh == NULL)
		return;
	if (*t != NULL)
		(*t)->hnext = fh;
	else
		*h = fh;
	*t = ft;
}

/* Wakes the spool thread if it sleeps (h.mu held): a write only then, a
 * system call saved on most passes. */
static void
spool_wake(struct wd *wd)
{
	uint64_t	 one = 1;

	if (!wd->h.spool_sleeps)
		return;
	wd->h.spool_sleeps = 0;
	if (write(wd->efd, &one, sizeof(one)) == -1 && errno != EAGAIN)
		log_warn("webhookd: eventfd: %s", strerror(errno));
}

/* Wakes the main thread if it sleeps (h.mu held). */
static void
net_wake(struct wd *wd)
{
	if (!wd->h.net_sleeps)
		return;
	wd->h.net_sleeps = 0;
	(void)curl_multi_wakeup(wd->multi);
}

/* The spool thread: the jobs made so far go to the main thread. */
static void
hand_made(struct wd *wd)
{
	struct job	*j;

	if (wd->made_h == NULL)
		return;
	pthread_mutex_lock(&wd->h.mu);
	if (wd->h.net_done) {
		/* Too late: the main thread is gone.  They come back to this
		 * thread unattempted, as its next pass's last jobs. */
		for (j = wd->made_h; j != NULL; j = j->hnext)
			j->kind = JOB_ABANDON;
		list_join(&wd->h.back_h, &wd->h.back_t, wd->made_h,
		    wd->made_t);
	} else {
		list_join(&wd->h.new_h, &wd->h.new_t, wd->made_h,
		    wd->made_t);
		net_wake(wd);
	}
	pthread_mutex_unlock(&wd->h.mu);
	wd->made_h = wd->made_t = NULL;
}

/* The spool thread: the batch's attempts are recorded, their endpoints
 * may take more transfers. */
static void
recorded(struct wd *wd)
{
	size_t	 i;

	pthread_mutex_lock(&wd->h.mu);
	for (i = 0; i < wd->nbatch; i++) {
		if (wd->batch[i].ep == NULL)
			continue;
		if (wd->h.nrec == wd->h.rec_cap) {
			wd->h.rec_cap = wd->h.rec_cap ? wd->h.rec_cap * 2 : 64;
			wd->h.rec = xrealloc(wd->h.rec,
			    wd->h.rec_cap * sizeof(*wd->h.rec));
		}
		wd->h.rec[wd->h.nrec++] = wd->batch[i].ep;
	}
	net_wake(wd);
	pthread_mutex_unlock(&wd->h.mu);
}

/* ---- events ------------------------------------------------------------------ */

static void
event_free(struct event *e)
{
	spool_event_free(&e->ev);
	buf_free(&e->prog);
	free(e->body);
	free(e->name);
	free(e);
}

/*
 * Progress lines (the webhooks an event with several deliveries is done
 * with) are written to the event's progress file only once they have
 * waited PROGRESS_MS: most events finish every delivery well within that,
 * and then leave the spool without ever creating the file (creating it
 * was half the daemon's work).  The cost: a SIGKILL (or a machine crash)
 * may repeat a delivery done in the last PROGRESS_MS before it, like one
 * in flight.  SIGTERM writes them all.
 */
static void
progress_unlist(struct wd *wd, struct event *e)
{
	if (e->prog.len == 0 && e->pprev == NULL && wd->prog_head != e)
		return;
	if (e->pprev != NULL)
		e->pprev->pnext = e->pnext;
	else if (wd->prog_head == e)
		wd->prog_head = e->pnext;
	if (e->pnext != NULL)
		e->pnext->pprev = e->pprev;
	e->pnext = e->pprev = NULL;
}

static void
progress_note(struct wd *wd, struct event *e, const char *uuid)
{
	if (e->prog.len == 0) {
		e->prog_since = util_now_ms();
		e->pprev = NULL;
		e->pnext = wd->prog_head;
		if (wd->prog_head != NULL)
			wd->prog_head->pprev = e;
		wd->prog_head = e;
	}
	buf_puts(&e->prog, uuid);
	buf_putc(&e->prog, '\n');
}

static void
progress_write(struct wd *wd, struct event *e)
{
	if (e->prog.len == 0)
		return;
	/* One append of all the lines (spool_progress_add adds the last
	 * newline). */
	e->prog.p[--e->prog.len] = '\0';
	spool_progress_add(wd->sp, e->name, e->prog.p);
	e->has_prog = 1;
	buf_reset(&e->prog);
	progress_unlist(wd, e);
}

/* Writes the progress lines older than PROGRESS_MS (all when force). */
static void
progress_flush(struct wd *wd, int64_t now, int force)
{
	struct event	*e, *next;

	for (e = wd->prog_head; e != NULL; e = next) {
		next = e->pnext;
		if (force || now - e->prog_since >= PROGRESS_MS)
			progress_write(wd, e);
	}
}

/* Keeps name (in cur/) to be taken out again (see struct stranded). */
static void
strand(struct wd *wd, const char *name, enum spool_dir to, int64_t due,
    int finish, int progress)
{
	struct stranded	*st = xcalloc(1, sizeof(*st));

	st->name = xstrdup(name);
	st->to = to;
	st->due = due;
	st->finish = finish;
	st->progress = progress;
	st->next = wd->stranded;
	wd->stranded = st;
	if (wd->stranded_next == 0)
		wd->stranded_next = util_now_ms() + STRANDED_MS;
	log_warn("webhookd: %s stays in cur/ for now; trying again every "
	    "second", name);
}

/* Takes the stranded files out of cur/ now if it is their time. */
static void
stranded_retry(struct wd *wd, int64_t now)
{
	struct stranded	*st, **pp;
	int		 rc;

	if (wd->stranded == NULL || now < wd->stranded_next)
		return;
	for (pp = &wd->stranded; (st = *pp) != NULL;) {
		if (st->finish)
			rc = spool_finish(wd->sp, st->name, st->progress);
		else
			rc = spool_unclaim(wd->sp, st->name, st->to, st->due);
		if (rc != 0) {
			pp = &st->next;
			continue;
		}
		if (!st->finish && st->to == SPOOL_DEFERRED)
			heap_push(wd, st->due, st->name);
		log_info("webhookd: %s left cur/ after all", st->name);
		*pp = st->next;
		free(st->name);
		free(st);
	}
	wd->stranded_next = wd->stranded != NULL ? now + STRANDED_MS : 0;
}

/* The last job of e is resolved (or abandoned): the file leaves cur/ (or,
 * on a failing disk, is kept to leave it later: strand). */
static void
event_close(struct wd *wd, struct event *e)
{
	int64_t	 due;
	int	 progress;

	/* Going back to the spool: what was done must be on disk. */
	if (e->abandoned || e->keep)
		progress_write(wd, e);
	progress_unlist(wd, e);
	if (e->abandoned) {
		/* Worked on: the next claim looks at what was done. */
		if (e->ev.webhook == NULL && !e->has_prog)
			spool_progress_mark(wd->sp, e->name);
		if (spool_unclaim(wd->sp, e->name, e->from, 0) == -1)
			strand(wd, e->name, e->from, 0, 0, 0);
	}
	else if (e->keep) {
		/* Some outcome is not on disk: everything is tried again
		 * later (duplicates at worst, never a loss). */
		due = util_now_ms() + (int64_t)(RECORD_RETRY_MS *
		    wd->cfg.time_scale);
		if (spool_unclaim(wd->sp, e->name, SPOOL_DEFERRED, due) == 0)
			heap_push(wd, due, e->name);
		else
			strand(wd, e->name, SPOOL_DEFERRED, due, 0, 0);
	} else {
		/* A delivery file may carry a mark from spool_recover. */
		progress = e->has_prog || e->ev.webhook != NULL;
		if (spool_finish(wd->sp, e->name, progress) == -1)
			strand(wd, e->name, SPOOL_CUR, 0, 1, progress);
	}
	event_free(e);
}

/* An event whose attempts are in the batch leaves cur/ only once the
 * batch is committed: a crash before sends them again, never loses them. */
static void
event_unref(struct wd *wd, struct event *e)
{
	if (--e->pending > 0)
		return;
	if (e->logging) {
		e->cnext = wd->closing;
		wd->closing = e;
	} else
		event_close(wd, e);
}

/* Keeps a's record (id new) for batch_flush; ep (the main thread's) is
 * told once it is written. */
static void
batch_add(struct wd *wd, struct event *e, const struct deliver_attempt *a,
    struct endpoint *ep)
{
	struct batched	*b;

	if (wd->nbatch == wd->batch_cap) {
		wd->batch_cap = wd->batch_cap ? wd->batch_cap * 2 : 64;
		wd->batch = xrealloc(wd->batch,
		    wd->batch_cap * sizeof(*wd->batch));
		wd->batchv = xrealloc(wd->batchv,
		    wd->batch_cap * sizeof(*wd->batchv));
	}
	b = &wd->batch[wd->nbatch++];
	snprintf(b->uuid, sizeof(b->uuid), "%s", a->webhook);
	b->rec = deliver_attempt_pack(a, b->id, &b->len);
	b->at_ms = a->at_ms;
	b->ep = ep;
	e->logging = 1;
}

/*
 * Writes the attempts of this pass of the loop in one transaction, then
 * lets their events leave the spool.  The commit does not wait for the
 * log flush (an attempt line may be lost in a machine crash, not in a
 * crash of the daemon).  A commit that fails (a full or failing disk)
 * keeps the attempts and their events, and is tried again a second later
 * with whatever the passes in between added: an attempt is never dropped,
 * and its event stays in cur/ until it is logged.  The store failing for
 * good leaves the events in cur/, to be delivered again by the next start.
 */
static void
batch_flush(struct wd *wd, int64_t now)
{
	struct event	*e;
	size_t		 i;
	int		 rc;

	if (wd->nbatch > 0 && !wd->fatal) {
		if (now < wd->batch_retry)
			return;
		for (i = 0; i < wd->nbatch; i++) {
			wd->batchv[i].uuid = wd->batch[i].uuid;
			wd->batchv[i].id = wd->batch[i].id;
			wd->batchv[i].at_ms = wd->batch[i].at_ms;
			wd->batchv[i].rec = wd->batch[i].rec;
			wd->batchv[i].len = wd->batch[i].len;
		}
		rc = store_attempt_add_many(wd->st, wd->batchv, wd->nbatch);
		if (rc == STORE_FATAL)
			wd->fatal = 1;
		else if (rc != STORE_OK) {
			if (wd->batch_retry == 0)
				log_warn("webhookd: %zu attempts could not be "
				    "logged; trying again every second",
				    wd->nbatch);
			wd->batch_retry = now + BATCH_RETRY_MS;
			return;
		}
		if (wd->batch_retry != 0)
			log_info("webhookd: %zu attempts logged after all",
			    wd->nbatch);
		wd->batch_retry = 0;
	}
	if (wd->nbatch > 0) {
		for (i = 0; i < wd->nbatch; i++)
			free(wd->batch[i].rec);
		recorded(wd);
		wd->nbatch = 0;
	}
	while ((e = wd->closing) != NULL) {
		wd->closing = e->cnext;
		e->logging = 0;
		if (wd->fatal) {
			progress_unlist(wd, e);
			event_free(e);
		} else
			event_close(wd, e);
	}
}

/* The spool thread: j is resolved. */
static void
job_free(struct wd *wd, struct job *j)
{
	webhook_free(&j->wh);
	free(j->epkey);
	free(j);
	wd->alive--;
}

/* The delivery file of job j's delivery, for deferred/ or dead/. */
static char *
delivery_text(const struct job *j, int attempts)
{
	struct spool_event	 d = j->ev->ev;

	d.webhook = (char *)j->wh.uuid;
	d.attempt = attempts;
	d.manual = 0;
	return spool_event_format(&d);
}

/* Writes job j's delivery file into deferred/ due at due; 0 or -1. */
static int
defer_job(struct wd *wd, struct job *j, int attempts, int64_t due)
{
	char	*text;
	int	 rc;

	text = delivery_text(j, attempts);
	rc = spool_write(wd->sp, SPOOL_DEFERRED, j->msg_id, text, strlen(text),
	    due);
	free(text);
	if (rc == 0)
		heap_push(wd, due, j->msg_id);
	return rc;
}

/* The main thread: queues j behind its endpoint (j->epkey). */
static void
job_queue(struct wd *wd, struct job *j)
{
	struct endpoint	*ep;

	ep = endpoint_get(wd, j->epkey);
	free(j->epkey);
	j->epkey = NULL;
	j->ep = ep;
	j->next = NULL;
	j->queued_ms = util_now_ms();
	if (ep->qt != NULL) {
		if (strcmp(ep->qt->wh.uuid, j->wh.uuid) != 0)
			ep->mixed = 1;
		ep->qt->next = j;
	} else {
		ep->qh = j;
		ep->mixed = 0;
	}
	ep->qt = j;
	ep->qlen++;
	wd->njobs++;
	ready_push(wd, ep);
}

/*
 * Memory holds at most jobs_max jobs.  When it is full and work is
 * waiting in the spool (the spool thread says so), the main thread gives
 * back jobs that have waited in a queue for SPILL_WAIT_MS (behind a slow
 * endpoint, or the limit on all transfers), and
 * the spool thread writes them to disk as deferred deliveries (their
 * attempt not counted), so that a slow endpoint's backlog never keeps the
 * others' events from being claimed.
 */
static void
spill_old(struct wd *wd, int64_t now)
{
	struct endpoint	*ep;
	struct job	*j;
	size_t		 b, n = 0;

	for (b = 0; b < EP_BUCKETS && n < SPILL_BATCH; b++)
		for (ep = wd->buckets[b]; ep != NULL && n < SPILL_BATCH;
		    ep = ep->hnext)
			while ((j = ep->qh) != NULL && n < SPILL_BATCH &&
			    now - j->queued_ms >= SPILL_WAIT_MS) {
				ep->qh = j->next;
				if (ep->qh == NULL)
					ep->qt = NULL;
				ep->qlen--;
				wd->njobs--;
				n++;
				j->kind = JOB_SPILL;
				out_add(wd, j);
			}
}

/* The spool thread: a job given back unattempted goes to deferred/. */
static void
spill_job(struct wd *wd, struct job *j, int64_t now)
{
	struct event	*e = j->ev;

	if (defer_job(wd, j, j->attempt - 1, now + SPILL_DELAY_MS) == -1)
		e->keep = 1;
	else if (e->multi)
		progress_note(wd, e, j->wh.uuid);
	job_free(wd, j);
	event_unref(wd, e);
}

/* A job for e to w (taking over w's strings); msg_id, when known, is
 * deliver_msg_id's of the two. */
static struct job *
job_new(struct wd *wd, struct event *e, struct webhook *w, int attempt,
    const char *msg_id)
{
	struct job	*j;

	wd->alive++;
	j = xcalloc(1, sizeof(*j));
	j->ev = e;
	j->wh = *w;		/* takes over w's strings */
	memset(w, 0, sizeof(*w));
	j->attempt = attempt;
	if (msg_id != NULL)
		memcpy(j->msg_id, msg_id, sizeof(j->msg_id));
	else
		deliver_msg_id(e->ev.id, j->wh.uuid, j->msg_id);
	e->pending++;
	return j;
}

/* The spool thread: j is ready for the main thread (handed over by
 * hand_made). */
static void
job_made(struct wd *wd, struct job *j, const char *key)
{
	j->epkey = xstrdup(key);
	list_append(&wd->made_h, &wd->made_t, j);
}

static int
fanout_each(const char *uuid, const char *json, void *arg)
{
	struct team_hooks	*t = arg;
	struct webhook		 w;

	(void)uuid;
	if (webhook_from_record(json, &w) == -1)
		return 0;
	t->ws = xrealloc(t->ws, (t->n + 1) * sizeof(*t->ws));
	t->keys = xrealloc(t->keys, (t->n + 1) * sizeof(*t->keys));
	t->keys[t->n] = endpoint_key(t->team, w.url);
	t->ws[t->n++] = w;
	return 0;
}

static void
team_hooks_clear(struct team_hooks *t)
{
	size_t	 i;

	for (i = 0; i < t->n; i++) {
		webhook_free(&t->ws[i]);
		free(t->keys[i]);
	}
	free(t->ws);
	free(t->keys);
	t->ws = NULL;
	t->keys = NULL;
	t->n = 0;
}

static void
teams_free(struct wd *wd)
{
	struct team_hooks	*t;

	while ((t = wd->teams) != NULL) {
		wd->teams = t->next;
		team_hooks_clear(t);
		free(t->team);
		free(t);
	}
	wd->nteams = 0;
}

/* The team's webhooks, as the store holds them now; NULL on a store error
 * (rc set). */
static struct team_hooks *
team_hooks(struct wd *wd, const char *team, int *rc)
{
	struct team_hooks	*t;
	uint64_t		 gen;

	for (t = wd->teams; t != NULL; t = t->next)
		if (strcmp(t->team, team) == 0)
			break;
	/* Read after every claim of this batch: any change committed
	 * before one of its events was published is seen. */
	*rc = STORE_OK;
	if (t != NULL && t->pass == wd->pass)
		return t;
	if ((*rc = store_webhook_gen(wd->st, team, &gen)) != STORE_OK)
		return NULL;
	if (t != NULL && t->gen == gen) {
		t->pass = wd->pass;
		return t;
	}
	if (t == NULL) {
		if (wd->nteams >= TEAMS_MAX)
			teams_free(wd);
		t = xcalloc(1, sizeof(*t));
		t->team = xstrdup(team);
		t->next = wd->teams;
		wd->teams = t;
		wd->nteams++;
	}
	team_hooks_clear(t);
	/* Listed after gen was read: a change in between makes the next
	 * event list again, never keeps a stale copy. */
	*rc = store_webhook_foreach(wd->st, team, fanout_each, t);
	if (*rc != STORE_OK && *rc != STORE_NOTFOUND) {
		team_hooks_clear(t);
		t->gen = UINT64_MAX;
		t->pass = wd->pass - 1;
		return NULL;
	}
	*rc = STORE_OK;
	t->gen = gen;
	t->pass = wd->pass;
	return t;
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/* A copy of w that owns its strings. */
static void
webhook_copy(struct webhook *dst, const struct webhook *w)
{
	size_t	 i;

	*dst = *w;
	dst->team = dup_or_null(w->team);
	dst->name = dup_or_null(w->name);
	dst->url = dup_or_null(w->url);
	dst->auth_user = dup_or_null(w->auth_user);
	dst->auth_pass = dup_or_null(w->auth_pass);
	dst->token = dup_or_null(w->token);
	dst->error_date = dup_or_null(w->error_date);
	dst->error_msg = dup_or_null(w->error_msg);
	dst->headers = w->nheaders > 0 ?
	    xcalloc(w->nheaders, sizeof(*w->headers)) : NULL;
	for (i = 0; i < w->nheaders; i++) {
		dst->headers[i].name = dup_or_null(w->headers[i].name);
		dst->headers[i].value = dup_or_null(w->headers[i].value);
	}
	dst->events = w->nevents > 0 ?
	    xcalloc(w->nevents, sizeof(*w->events)) : NULL;
	for (i = 0; i < w->nevents; i++)
		dst->events[i] = dup_or_null(w->events[i]);
}

/* 1 if line is one of the lines of text. */
static int
has_line(const char *text, const char *line)
{
	size_t		 n = strlen(line);
	const char	*p;

	for (p = text; (p = strstr(p, line)) != NULL; p += n)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return 1;
	return 0;
}

/* An event: one job per webhook that wants it and has no outcome yet. */
static void
fan_out(struct wd *wd, struct event *e)
{
	struct team_hooks	*t;
	struct job		**js = NULL;
	const char		**ks = NULL;
	struct webhook		 w;
	char			*progress, id[DELIVER_ID_LEN + 1];
	size_t			 i, n = 0;
	int			 rc, seen;

	if ((t = team_hooks(wd, e->ev.team, &rc)) == NULL) {
		if (rc == STORE_FATAL)
			wd->fatal = 1;
		e->keep = 1;
		return;
	}
	/* An event straight from new/ without a progress file was never
	 * worked on (spool_progress_mark): none of its deliveries can be
	 * in deferred/ or dead/, and two stat calls per webhook are saved. */
	progress = e->from != SPOOL_NEW || wd->progress_left ?
	    spool_progress_read(wd->sp, e->name) : NULL;
	e->has_prog = progress != NULL;
	seen = progress != NULL || e->from != SPOOL_NEW;
	for (i = 0; i < t->n; i++) {
		if (!webhook_wants(&t->ws[i], e->ev.type))
			continue;
		deliver_msg_id(e->ev.id, t->ws[i].uuid, id);
		if (seen && ((progress != NULL &&
		    has_line(progress, t->ws[i].uuid)) ||
		    spool_exists(wd->sp, SPOOL_DEFERRED, id) ||
		    spool_exists(wd->sp, SPOOL_DEAD, id)))
			continue;
		webhook_copy(&w, &t->ws[i]);
		js = xrealloc(js, (n + 1) * sizeof(*js));
		ks = xrealloc(ks, (n + 1) * sizeof(*ks));
		ks[n] = t->keys[i];
		js[n++] = job_new(wd, e, &w, 1, id);
	}
	e->multi = n > 1 || progress != NULL;
	free(progress);
	for (i = 0; i < n; i++)
		job_made(wd, js[i], ks[i]);
	free(js);
	free(ks);
}

/* A delivery file (deferred, or a manual retry): one job. */
static void
one_delivery(struct wd *wd, struct event *e)
{
	struct webhook	 w;
	struct job	*j;
	char		 id[DELIVER_ID_LEN + 1], *text, *key;
	int		 rc;

	rc = webhook_get(wd->st, e->ev.team, e->ev.webhook, &w);
	if (rc == STORE_NOTFOUND) {
		log_info("deliver: webhook %s event %s: the webhook is gone; "
		    "delivery dropped", e->ev.webhook, e->ev.id);
		return;
	}
	if (rc != STORE_OK) {
		if (rc == STORE_FATAL)
			wd->fatal = 1;
		e->keep = 1;
		return;
	}
	if (!w.active) {
		deliver_msg_id(e->ev.id, w.uuid, id);
		log_info("deliver: webhook %s event %s: the webhook is "
		    "inactive; delivery %s", w.uuid, e->ev.id,
		    e->ev.manual ? "not retried" : "dead");
		if (!e->ev.manual) {
			text = spool_event_format(&e->ev);
			if (spool_write(wd->sp, SPOOL_DEAD, id, text,
			    strlen(text), 0) == -1)
				e->keep = 1;
			free(text);
		}
		webhook_free(&w);
		return;
	}
	j = job_new(wd, e, &w, e->ev.attempt + 1, NULL);
	key = endpoint_key(e->ev.team, j->wh.url);
	job_made(wd, j, key);
	free(key);
}

/* Claims from/name and reads it: the event, or NULL. */
static struct event *
claim_file(struct wd *wd, enum spool_dir from, const char *name)
{
	struct event	*e;
	char		*text, err[128];
	size_t		 len;
	int64_t		 ms;
	int		 rc;

	if ((rc = spool_claim(wd->sp, from, name)) != 0) {
		/* A claim that failed (a failing disk, logged) is tried
		 * again a second from now: a deferred file by the heap, a
		 * new one at a listing of new/. */
		if (rc == -1 && from == SPOOL_DEFERRED)
			heap_push(wd, util_now_ms() + CLAIM_RETRY_MS, name);
		else if (rc == -1 && wd->next_rescan > util_now_ms() +
		    CLAIM_RETRY_MS)
			wd->next_rescan = util_now_ms() + CLAIM_RETRY_MS;
		return NULL;
	}
	if (spool_read(wd->sp, name, &text, &len) == -1) {
		spool_quarantine(wd->sp, name, strerror(errno));
		return NULL;
	}
	e = xcalloc(1, sizeof(*e));
	e->name = xstrdup(name);
	e->from = from;
	/* Our names start with the enqueue time: the default timestamp. */
	ms = strtoll(name, NULL, 10);
	if (ms < 1000000000000LL)
		ms = util_now_ms();
	if (spool_event_parse(text, len, name, ms, &e->ev, err,
	    sizeof(err)) == -1) {
		free(text);
		spool_quarantine(wd->sp, name, err);
		free(e->name);
		free(e);
		return NULL;
	}
	free(text);
	/* Once per event, shared by its deliveries. */
	e->body = deliver_body_text(e->ev.type, e->ev.timestamp,
	    e->ev.data_text, &e->bodylen);
	e->pending = 1;			/* held while fanning out */
	return e;
}

/* A claimed event turned into jobs. */
static void
take_event(struct wd *wd, struct event *e)
{
	if (e->ev.webhook != NULL)
		one_delivery(wd, e);
	else
		fan_out(wd, e);
	event_unref(wd, e);
}

/* ---- transfers ------------------------------------------------------------- */

/* The main thread: j's attempt ended (or could not start, r set); the
 * spool thread records it, and the endpoint counts it unrecorded until
 * then. */
static void
net_done(struct wd *wd, struct job *j)
{
	struct endpoint	*ep = j->ep;

	if (j->x != NULL) {
		deliver_xfer_free(j->x);
		j->x = NULL;
	}
	wd->njobs--;
	ep->active--;
	if (j->fprev != NULL)
		j->fprev->fnext = j->fnext;
	else
		ep->fh = j->fnext;
	if (j->fnext != NULL)
		j->fnext->fprev = j->fprev;
	ep->unrec++;
	ready_push(wd, ep);
	j->kind = JOB_DONE;
	out_add(wd, j);
}

/* Whether j's webhook has a transfer in flight at ep. */
static int
busy_here(const struct endpoint *ep, const struct job *j)
{
	const struct job	*f;

	for (f = ep->fh; f != NULL; f = f->fnext)
		if (strcmp(f->wh.uuid, j->wh.uuid) == 0)
			return 1;
	return 0;
}

/*
 * The job to start next at ep (whose queue is not empty), unlinked from
 * the queue: the first, unless its webhook has a transfer in flight here
 * and one of the next PICK_SCAN is of a webhook that has none, which then
 * goes first.  So the per_endpoint slots of a team at a host are shared by
 * its webhooks: one webhook's backlog behind a hanging path does not keep
 * the team's other webhooks there waiting behind all of it, only until a
 * slot frees.  A queue of one webhook's jobs (the common case, and any
 * flood) is never searched.
 */
static struct job *
queue_take(struct endpoint *ep)
{
	struct job	*j = ep->qh, *prev = NULL, *p, *pp;
	int		 n;

	if (ep->mixed && ep->fh != NULL && busy_here(ep, j))
		for (pp = j, p = j->next, n = 0; p != NULL && n < PICK_SCAN;
		    pp = p, p = p->next, n++)
			if (!busy_here(ep, p)) {
				prev = pp;
				j = p;
				break;
			}
	if (prev == NULL)
		ep->qh = j->next;
	else
		prev->next = j->next;
	if (ep->qt == j)
		ep->qt = prev;
	j->next = NULL;
	ep->qlen--;
	return j;
}

/* Starts what the limits allow; the number of transfers started. */
static int
start_jobs(struct wd *wd)
{
	struct endpoint		*ep;
	struct job		*j;
	int			 n = 0;

	while (!wd->stopping && wd->ninflight < (size_t)wd->cfg.concurrency &&
	    (ep = ready_pop(wd)) != NULL) {
		j = queue_take(ep);
		ep->active++;
		j->fprev = NULL;
		j->fnext = ep->fh;
		if (ep->fh != NULL)
			ep->fh->fprev = j;
		ep->fh = j;
		ready_push(wd, ep);
		j->started_ms = util_now_ms();
		if (deliver_xfer_new(&j->wh, j->msg_id, j->ev->body,
		    j->ev->bodylen, &wd->opts, j, &j->x, &j->res) == -1) {
			j->x = NULL;
			net_done(wd, j);
			continue;
		}
		curl_multi_add_handle(wd->multi, deliver_xfer_easy(j->x));
		n++;
		j->iprev = NULL;
		j->inext = wd->inflight;
		if (wd->inflight != NULL)
			wd->inflight->iprev = j;
		wd->inflight = j;
		wd->ninflight++;
	}
	return n;
}

static void
inflight_remove(struct wd *wd, struct job *j)
{
	if (j->iprev != NULL)
		j->iprev->inext = j->inext;
	else
		wd->inflight = j->inext;
	if (j->inext != NULL)
		j->inext->iprev = j->iprev;
	wd->ninflight--;
	curl_multi_remove_handle(wd->multi, deliver_xfer_easy(j->x));
}

static void
reap(struct wd *wd)
{
	struct job		*j;
	CURLMsg			*m;
	int			 left;
	void			*priv;

	while ((m = curl_multi_info_read(wd->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
		j = deliver_xfer_arg(priv);
		inflight_remove(wd, j);
		deliver_xfer_done(j->x, m->data.result, &j->res);
		net_done(wd, j);
	}
}

/* The spool thread: the outcome of one attempt logged, recorded, and its
 * next state on disk before the event's file may go.  Frees j. */
static void
job_resolve(struct wd *wd, struct job *j)
{
	const struct deliver_result *r = &j->res;
	struct deliver_attempt	 a;
	struct event		*e = j->ev;
	enum delivery_state	 state;
	char			*text, type[SPOOL_TYPE_MAX + 1];
	int64_t			 now = util_now_ms(), next;
	int			 rc, deact = 0, recorded = 1;

	state = retry_next(r->cls, e->ev.manual, j->attempt,
	    j->wh.max_attempts, r->retry_after_ms, now, wd->cfg.time_scale,
	    &next);

	memset(&a, 0, sizeof(a));
	a.delivery_id = j->msg_id;
	a.event_id = e->ev.id;
	a.event_type = e->ev.type;
	a.webhook = j->wh.uuid;
	a.attempt = j->attempt;
	a.at_ms = j->started_ms;
	a.r = r;
	a.state = state;
	a.next_ms = next;
	a.manual = e->ev.manual;
	batch_add(wd, e, &a, j->ep);
	log_clean(e->ev.type, type, sizeof(type));
	log_info("deliver: webhook %s event %s (%s) attempt %d/%d: %s, "
	    "status %d, %lld ms%s%s", j->wh.uuid, e->ev.id, type, j->attempt,
	    retry_max_attempts(j->wh.max_attempts), delivery_state_name(state),
	    r->status, (long long)r->latency_ms,
	    r->error[0] ? ": " : "", r->error);

	/* The webhook's error and run of failures: a write only when
	 * something changes (a failure, or the first success after one). */
	if (r->cls != DELIVER_DONE || j->wh.fail_since != 0 ||
	    failing_find(wd, j->wh.uuid) != -1) {
		rc = deliver_note_outcome(wd->st, j->wh.team != NULL ?
		    j->wh.team : e->ev.team, j->wh.uuid, r, now,
		    (int64_t)((double)RETRY_FAIL_WINDOW_MS *
		    wd->cfg.time_scale), 0, &deact);
		if (rc == STORE_FATAL)
			wd->fatal = 1;
		failing_set(wd, j->wh.uuid, r->cls != DELIVER_DONE);
		if (deact && r->gone)
			log_info("deliver: webhook %s deactivated: 410 Gone",
			    j->wh.uuid);
		else if (deact)
			log_info("deliver: webhook %s deactivated: failing "
			    "for %d days", j->wh.uuid, RETRY_FAIL_WINDOW_DAYS);
	}

	/* The delivery's next state, durably, before the file goes. */
	if (state == DELIVERY_RETRYING) {
		if (defer_job(wd, j, j->attempt, next) == -1)
			recorded = 0;
	} else if (state == DELIVERY_DEAD) {
		text = delivery_text(j, j->attempt);
		if (spool_write(wd->sp, SPOOL_DEAD, j->msg_id, text,
		    strlen(text), 0) == -1)
			recorded = 0;
		free(text);
	} else if (state == DELIVERY_DONE && e->ev.manual) {
		/* A manual retry got through: nothing left to retry. */
		spool_remove(wd->sp, SPOOL_DEFERRED, j->msg_id);
		spool_remove(wd->sp, SPOOL_DEAD, j->msg_id);
	}
	if (!recorded)
		e->keep = 1;
	else if (e->multi && e->pending > 1)
		progress_note(wd, e, j->wh.uuid);

	job_free(wd, j);
	event_unref(wd, e);
}

/* The main thread, at its end: every job not finished goes back to the
 * spool thread, which puts it back with its file; the endpoints go. */
static void
abandon_all(struct wd *wd)
{
	struct endpoint	*ep, *next;
	struct job	*j;
	size_t		 b;

	while ((j = wd->inflight) != NULL) {
		inflight_remove(wd, j);
		deliver_xfer_free(j->x);
		j->x = NULL;
		j->kind = JOB_ABANDON;
		out_add(wd, j);
	}
	for (b = 0; b < EP_BUCKETS; b++)
		for (ep = wd->buckets[b]; ep != NULL; ep = next) {
			next = ep->hnext;
			while ((j = ep->qh) != NULL) {
				ep->qh = j->next;
				j->kind = JOB_ABANDON;
				out_add(wd, j);
			}
			free(ep->key);
			free(ep);
		}
	memset(wd->buckets, 0, sizeof(wd->buckets));
	wd->rhead = wd->rtail = NULL;
	wd->njobs = 0;
}

/* The spool thread: a job the main thread gave back. */
static void
take_back(struct wd *wd, struct job *j, int64_t now, size_t *spilled)
{
	switch (j->kind) {
	case JOB_DONE:
		job_resolve(wd, j);
		break;
	case JOB_SPILL:
		spill_job(wd, j, now);
		(*spilled)++;
		break;
	case JOB_ABANDON:
		j->ev->abandoned = 1;
		event_unref(wd, j->ev);
		job_free(wd, j);
		break;
	}
}

/* ---- the spool's directories ----------------------------------------------- */

static void
list_new(struct wd *wd)
{
	struct spool_ent	*v;
	size_t			 n, i;

	pend_clear(wd);
	if (spool_list_names(wd->sp, SPOOL_NEW, &v, &n) == -1)
		return;
	for (i = 0; i < n; i++)
		pend_push(wd, v[i].name);
	spool_list_free(v, n);
}

static void
list_deferred(struct wd *wd)
{
	struct spool_ent	*v;
	size_t			 n, i;
	char			*s;

	while ((s = heap_pop(wd)) != NULL)
		free(s);
	if (spool_list(wd->sp, SPOOL_DEFERRED, &v, &n) == -1)
		return;
	for (i = 0; i < n; i++)
		heap_push(wd, v[i].mtime_ms, v[i].name);
	spool_list_free(v, n);
}

static void
read_inotify(struct wd *wd)
{
	char				 b[65536]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event	*ie;
	ssize_t				 n;
	char				*p;

	for (;;) {
		n = read(wd->ifd, b, sizeof(b));
		if (n <= 0)
			return;
		for (p = b; p < b + n; p += sizeof(*ie) + ie->len) {
			ie = (const struct inotify_event *)p;
			if (ie->mask & IN_Q_OVERFLOW)
				wd->rescan = 1;
			else if (ie->len == 0)
				continue;
			else if (!spool_name_ok(ie->name))
				wd->rescan |= ie->name[0] != '.';
			else if (!(ie->mask & IN_CREATE) ||
			    !spool_is_regular(wd->sp, SPOOL_NEW, ie->name))
				pend_push(wd, ie->name);
		}
	}
}

/* The main thread's. */
static void
read_signals(struct wd *wd)
{
	struct signalfd_siginfo	 si;

	while (read(wd->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (!wd->stopping)
			log_info("webhookd: signal %u: finishing the %zu "
			    "transfers in flight", si.ssi_signo,
			    wd->ninflight);
		wd->stopping = 1;
		wd->drain_until = util_now_ms() + wd->cfg.timeout_ms +
		    DRAIN_EXTRA_MS;
	}
}

/* The spool thread: something waits to be claimed now (a new event, a
 * deferred delivery that is due). */
static int
work_due(struct wd *wd, int64_t now)
{
	return wd->pend_n > 0 || (wd->nheap > 0 && wd->heap[0].due <= now);
}

/* 1 while a claim batch may go on: recording what the main thread gave
 * back comes first (its endpoints wait for it), after CLAIM_MIN claims. */
static int
claim_more(struct wd *wd, size_t n)
{
	return n < CLAIM_BATCH && wd->alive + n < wd->jobs_max &&
	    (n < CLAIM_MIN ||
	    !__atomic_load_n(&wd->h.back_ready, __ATOMIC_RELAXED));
}

/*
 * Claims what may be taken now (due deferred deliveries, new events), at
 * most CLAIM_BATCH, and turns them into jobs.  Every claim of the batch
 * comes before the fan-out reads the webhooks' generation (team_hooks),
 * so one read serves the batch.  1 if more is waiting.
 */
static int
take_work(struct wd *wd, int64_t now)
{
	struct event	*evs[CLAIM_BATCH];
	char		*name;
	size_t		 n = 0, i;

	if (wd->rescan || now >= wd->next_rescan) {
		wd->rescan = 0;
		wd->next_rescan = now + RESCAN_MS;
		list_new(wd);
	}
	while (claim_more(wd, n) && wd->nheap > 0 &&
	    wd->heap[0].due <= now) {
		name = heap_pop(wd);
		if ((evs[n] = claim_file(wd, SPOOL_DEFERRED, name)) != NULL)
			n++;
		free(name);
	}
	while (claim_more(wd, n) && (name = pend_pop(wd)) != NULL) {
		if ((evs[n] = claim_file(wd, SPOOL_NEW, name)) != NULL)
			n++;
		free(name);
	}
	wd->pass++;
	for (i = 0; i < n; i++)
		if (wd->fatal) {
			/* Left in cur/: the next start puts it back. */
			progress_unlist(wd, evs[i]);
			event_free(evs[i]);
		} else
			take_event(wd, evs[i]);
	hand_made(wd);
	return wd->alive < wd->jobs_max && work_due(wd, now);
}

/* ---- maintenance ---------------------------------------------------------------- */

struct expired {
	int64_t	 before;
	char	**keys;
	size_t	 n;
};

static int
idem_each(const char *key, const char *json, void *arg)
{
	struct expired	*x = arg;
	json_object	*j, *at;

	if ((j = json_tokener_parse(json)) == NULL)
		return 0;
	if (json_object_object_get_ex(j, "at", &at) &&
	    json_object_get_int64(at) < x->before) {
		x->keys = xrealloc(x->keys, (x->n + 1) * sizeof(char *));
		x->keys[x->n++] = xstrdup(key);
	}
	json_object_put(j);
	return x->n >= 10000;	/* the rest next time */
}

static void
maintain(struct wd *wd)
{
	struct expired	 x;
	int64_t		 now = util_now_ms(), keep;
	size_t		 n = 0, i;

	keep = now - (int64_t)wd->cfg.retention_days * 86400 * 1000;
	if (store_maintain(wd->st) != STORE_OK)
		log_warn("webhookd: store maintenance failed");
	if (store_attempt_prune(wd->st, keep, &n) == STORE_OK && n > 0)
		log_info("webhookd: pruned %zu attempts older than %d days", n,
		    wd->cfg.retention_days);
	if (spool_prune(wd->sp, SPOOL_DEAD, keep, &n) == 0 && n > 0)
		log_info("webhookd: pruned %zu dead deliveries", n);
	spool_prune(wd->sp, SPOOL_TMP, now - TMP_MAX_AGE_MS, NULL);
	memset(&x, 0, sizeof(x));
	x.before = now - IDEM_TTL_MS;
	store_foreach(wd->st, STORE_IDEMPOTENCY, idem_each, &x);
	for (i = 0; i < x.n; i++) {
		store_del(wd->st, STORE_IDEMPOTENCY, x.keys[i]);
		free(x.keys[i]);
	}
	free(x.keys);
	if (store_is_fatal(wd->st))
		wd->fatal = 1;
}

/* ---- main ---------------------------------------------------------------------- */

static int
setup_fds(struct wd *wd)
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

/* The calling thread's CPU time in seconds: cpu[0] user, cpu[1] system. */
static void
thread_cpu(double cpu[2])
{
	struct rusage	 ru;

	cpu[0] = cpu[1] = 0;
	if (getrusage(RUSAGE_THREAD, &ru) == -1)
		return;
	cpu[0] = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
	cpu[1] = (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* The spool thread: nothing in memory, nothing to claim now. */
static int
idle(struct wd *wd)
{
	return wd->alive == 0 && !work_due(wd, util_now_ms());
}

/* The spool thread's poll timeout. */
static int
spool_timeout(struct wd *wd, int64_t now, int more, int stopping)
{
	int64_t	 t, timeout = RESCAN_MS;

	if (more)
		return 0;
	if (wd->prog_head != NULL && PROGRESS_MS < timeout)
		timeout = PROGRESS_MS;
	/* A due deferred delivery is worth waking for only if it can be
	 * claimed then: while memory is full, jobs coming back wake us. */
	if (wd->nheap > 0 && !stopping && wd->alive < wd->jobs_max) {
		t = wd->heap[0].due - now;
		if (t < timeout)
			timeout = t;
	}
	if (!wd->once && wd->next_maintain - now < timeout)
		timeout = wd->next_maintain - now;
	if (wd->next_rescan - now < timeout)
		timeout = wd->next_rescan - now;
	if (wd->stranded != NULL && wd->stranded_next - now < timeout)
		timeout = wd->stranded_next - now;
	if (wd->nbatch > 0 && wd->batch_retry - now < timeout)
		timeout = wd->batch_retry - now;
	return timeout < 0 ? 0 : (int)timeout;
}

/*
 * The spool thread: records what the main thread gives back, claims new
 * work and hands it over, keeps the spool, until the main thread says it
 * has given everything back.
 */
static void *
spool_main(void *arg)
{
	struct wd	*wd = arg;
	struct pollfd	 pfd[2];
	struct job	*back, *j, *next;
	uint64_t	 v;
	size_t		 spilled;
	int64_t		 now;
	int		 net_done, stopping, more = 0, room, done, timeout;

	wd->next_rescan = 0;
	wd->next_maintain = util_now_ms() + (wd->once ? 0 : 10000);
	for (;;) {
		pthread_mutex_lock(&wd->h.mu);
		back = wd->h.back_h;
		wd->h.back_h = wd->h.back_t = NULL;
		wd->h.back_n = 0;
		__atomic_store_n(&wd->h.back_ready, 0, __ATOMIC_RELAXED);
		net_done = wd->h.net_done;
		stopping = wd->h.stopping;
		pthread_mutex_unlock(&wd->h.mu);

		/* Going back to the spool: what was done must be on disk. */
		if (net_done)
			progress_flush(wd, 0, 1);
		now = util_now_ms();
		spilled = 0;
		for (j = back; j != NULL; j = next) {
			next = j->hnext;
			take_back(wd, j, now, &spilled);
		}
		if (spilled > 0)
			log_info("webhookd: %zu deliveries waited %d s behind "
			    "slow endpoints; deferred", spilled,
			    SPILL_WAIT_MS / 1000);
		batch_flush(wd, net_done ? INT64_MAX : now);
		stranded_retry(wd, now);
		if (net_done)
			break;

		more = 0;
		if (!stopping && !wd->fatal)
			more = take_work(wd, now);
		now = util_now_ms();
		progress_flush(wd, now, 0);
		if (!wd->once && !wd->fatal && now >= wd->next_maintain) {
			maintain(wd);
			wd->next_maintain = now + MAINTAIN_MS;
		}
		room = wd->alive >= wd->jobs_max && work_due(wd, now);
		done = wd->fatal || (wd->once && idle(wd));
		if (wd->fatal && !stopping)
			log_warn("webhookd: the store needs recovery; exiting");
		timeout = spool_timeout(wd, now, more, stopping);
		log_flush();

		pthread_mutex_lock(&wd->h.mu);
		if (room && !wd->h.room_wanted)
			net_wake(wd);
		wd->h.room_wanted = room;
		if (done && !wd->h.spool_done) {
			wd->h.spool_done = wd->fatal ? 2 : 1;
			wd->h.stopping = 1;
			net_wake(wd);
		}
		if (wd->h.back_h != NULL || wd->h.net_done)
			timeout = 0;
		else if (timeout > 0)
			wd->h.spool_sleeps = 1;
		pthread_mutex_unlock(&wd->h.mu);
		if (timeout == 0)
			continue;

		pfd[0].fd = wd->ifd;
		pfd[0].events = POLLIN;
		pfd[1].fd = wd->efd;
		pfd[1].events = POLLIN;
		pfd[0].revents = pfd[1].revents = 0;
		if (poll(pfd, 2, timeout) == -1 && errno != EINTR)
			log_warn("webhookd: poll: %s", strerror(errno));
		pthread_mutex_lock(&wd->h.mu);
		wd->h.spool_sleeps = 0;
		pthread_mutex_unlock(&wd->h.mu);
		if (pfd[1].revents != 0)
			(void)!read(wd->efd, &v, sizeof(v));
		if (pfd[0].revents != 0)
			read_inotify(wd);
	}
	thread_cpu(wd->spool_cpu);
	log_flush();
	return NULL;
}

/*
 * The main thread: one exchange with the spool thread.  The jobs that
 * ended go; the jobs made and the recorded attempts come.  *room: the
 * spool thread waits for memory; returns its spool_done.
 */
static int
net_exchange(struct wd *wd, int *room)
{
	struct endpoint	**rec;
	struct job	*in, *j;
	size_t		 nrec, i;
	int		 done;

	pthread_mutex_lock(&wd->h.mu);
	if (wd->out_h != NULL) {
		if (wd->h.back_h == NULL)
			wd->h.back_since = util_now_ms();
		list_join(&wd->h.back_h, &wd->h.back_t, wd->out_h, wd->out_t);
		wd->out_h = wd->out_t = NULL;
		wd->h.back_n += wd->out_n;
		wd->out_n = 0;
	}
	/* Answers wake the spool thread in batches (see the top). */
	if (wd->h.back_h != NULL && (wd->out_now || wd->stopping ||
	    wd->h.back_n >= RECORD_BATCH ||
	    util_now_ms() - wd->h.back_since >= RECORD_MS)) {
		wd->out_now = 0;
		__atomic_store_n(&wd->h.back_ready, 1, __ATOMIC_RELAXED);
		spool_wake(wd);
	}
	in = wd->h.new_h;
	wd->h.new_h = wd->h.new_t = NULL;
	rec = wd->h.rec;
	nrec = wd->h.nrec;
	wd->h.nrec = 0;
	if (wd->stopping)
		wd->h.stopping = 1;
	*room = wd->h.room_wanted;
	done = wd->h.spool_done;
	/* The array stays the spool thread's; read under mu. */
	for (i = 0; i < nrec; i++) {
		rec[i]->unrec--;
		ready_push(wd, rec[i]);
		endpoint_release(wd, rec[i]);
	}
	pthread_mutex_unlock(&wd->h.mu);
	for (; in != NULL; in = j) {
		j = in->hnext;
		job_queue(wd, in);
	}
	return done;
}

/*
 * The main thread's loop: transfers, until SIGTERM's drain ends, or the
 * spool thread is done (--once, or a store failure); then every job goes
 * back to the spool thread.
 */
static void
net_run(struct wd *wd)
{
	struct curl_waitfd	 fds[1];
	struct job		*in, *j;
	int64_t			 now;
	int			 running, timeout, room, done;

	for (;;) {
		curl_multi_perform(wd->multi, &running);
		reap(wd);
		done = net_exchange(wd, &room);
		if (start_jobs(wd) > 0) {
			curl_multi_perform(wd->multi, &running);
			/* What ended meanwhile: poll would not see it. */
			reap(wd);
		}
		now = util_now_ms();
		if (room && !wd->stopping && now >= wd->next_spill) {
			wd->next_spill = now + 500;
			spill_old(wd, now);
		}
		if (done == 2 || (done && wd->njobs == 0))
			break;
		if (wd->stopping && (wd->ninflight == 0 ||
		    now >= wd->drain_until))
			break;

		timeout = NET_WAIT_MS;
		if (wd->stopping && wd->drain_until - now < timeout)
			timeout = (int)(wd->drain_until - now);
		if (room && wd->next_spill - now < timeout)
			timeout = (int)(wd->next_spill - now);
		if (timeout < 0 || wd->out_h != NULL)
			timeout = 0;
		log_flush();
		pthread_mutex_lock(&wd->h.mu);
		/* Answers the sleeping spool thread was not woken for yet. */
		if (wd->h.back_h != NULL && wd->h.spool_sleeps &&
		    wd->h.back_since + RECORD_MS - now < timeout)
			timeout = (int)(wd->h.back_since + RECORD_MS - now);
		if (timeout < 0 || wd->h.new_h != NULL || wd->h.nrec > 0 ||
		    wd->h.spool_done != done)
			timeout = 0;
		else if (timeout > 0)
			wd->h.net_sleeps = 1;
		pthread_mutex_unlock(&wd->h.mu);
		fds[0].fd = wd->sfd;
		fds[0].events = CURL_WAIT_POLLIN;
		fds[0].revents = 0;
		if (curl_multi_poll(wd->multi, fds, 1, timeout, NULL) !=
		    CURLM_OK)
			fds[0].revents = CURL_WAIT_POLLIN;
		pthread_mutex_lock(&wd->h.mu);
		wd->h.net_sleeps = 0;
		pthread_mutex_unlock(&wd->h.mu);
		if (fds[0].revents != 0)
			read_signals(wd);
	}
	abandon_all(wd);
	pthread_mutex_lock(&wd->h.mu);
	in = wd->h.new_h;
	wd->h.new_h = wd->h.new_t = NULL;
	for (; in != NULL; in = j) {
		j = in->hnext;
		in->kind = JOB_ABANDON;
		out_add(wd, in);
	}
	list_join(&wd->h.back_h, &wd->h.back_t, wd->out_h, wd->out_t);
	wd->out_h = wd->out_t = NULL;
	wd->out_n = 0;
	wd->h.stopping = 1;
	wd->h.net_done = 1;
	spool_wake(wd);
	pthread_mutex_unlock(&wd->h.mu);
}

static void
usage(void)
{
	fprintf(stderr, "usage: webhookd [--user NAME] [--once | -n | "
	    "--test [--detach] TEAM UUID [EVENT_ID]]\n");
	exit(2);
}

/*
 * Under plain CGI the web server reads the program's standard error (into
 * its error log) to its end before it ends the request: Apache's mod_cgi
 * does.  A tester holding it would hold the request for the whole delivery.
 * So under CGI (GATEWAY_INTERFACE set, as RFC 3875 has it) the tester's
 * standard error becomes /dev/null once the request has stopped waiting
 * for it (PROBE_WAIT_MS): the log lines of a test slower than that are
 * lost, its attempt is recorded all the same.  A thread: the delivery
 * itself blocks the main one.
 */
static void *
stderr_release(void *arg)
{
	int	 fd = (int)(intptr_t)arg;

	(void)poll(NULL, 0, PROBE_WAIT_MS + 100);	/* a cancellation
							   point */
	(void)dup2(fd, STDERR_FILENO);
	return NULL;
}

/*
 * The tester's own process, made by fork when --detach asks: the first
 * process exits 0 at once, so that the FastCGI program that started it
 * waits for it no longer than a fork; the tester leaves its session and
 * process group (a kill of the group the FastCGI program made, or of the
 * web server's, does not reach it), ignores SIGPIPE (the FastCGI program
 * reads its outcome only PROBE_WAIT_MS) and keeps every descriptor,
 * its slot's (probe.h) among them (standard error until PROBE_WAIT_MS
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
 * else.  Exits 0 with the outcome on stdout, or PROBE_EXIT_NOTFOUND (and
 * PROBE_NOTFOUND_LINE on stdout), or 2 (bad arguments), or 1 (logged).
 * Detached, the outcome is all the caller learns; the tester ends itself
 * (SIGALRM) if the delivery timeout plus PROBE_SLACK_MS pass.
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
		alarm((unsigned)((cfg.timeout_ms + PROBE_SLACK_MS + 999) /
		    1000));
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_warn("webhookd --test: curl_global_init failed");
		return 1;
	}
	if ((st = store_open(cfg.home, 0)) == NULL)
		goto out;
	if ((res = webhook_get(st, team, uuid, &w)) != STORE_OK) {
		if (res == STORE_NOTFOUND) {
			rc = PROBE_EXIT_NOTFOUND;
			fputs(PROBE_NOTFOUND_LINE, stdout);
		} else
			log_warn("webhookd --test: webhook %s: store result %d",
			    uuid, res);
		goto out;
	}
	memset(&r, 0, sizeof(r));
	res = deliver_test(st, &cfg, &w, evid, &r);
	webhook_free(&w);
	out = probe_format(&r, res);
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
	struct stranded	*st;
	char		 err[512];
	double		 net_cpu[2];
	size_t		 n;
	int		 i, check = 0, rc, dropped;

	log_init("webhookd");
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
	pthread_mutex_init(&wd->h.mu, NULL);
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
	if (setup_fds(wd) == -1)
		goto out;
	if ((wd->multi = curl_multi_init()) == NULL)
		log_panic("webhookd: curl_multi_init failed");
	curl_multi_setopt(wd->multi, CURLMOPT_MAXCONNECTS,
	    (long)wd->cfg.concurrency * 2);
	list_deferred(wd);
	log_info("webhookd: started on %s%s: %d transfers, %d per endpoint, "
	    "%zu deferred", wd->cfg.home, wd->once ? " (--once)" : "",
	    wd->cfg.concurrency, wd->cfg.per_endpoint, wd->nheap);

	/* One write of the log lines of each pass of the loops. */
	log_buffer(1);
	if ((i = pthread_create(&wd->spool_thr, NULL, spool_main, wd)) != 0) {
		log_warn("webhookd: pthread_create: %s", strerror(i));
		goto out;
	}
	/* For top -H, ps -L and perf: which thread is which. */
	pthread_setname_np(wd->spool_thr, "webhookd-spool");
	net_run(wd);
	thread_cpu(net_cpu);
	pthread_join(wd->spool_thr, NULL);
	teams_free(wd);
	if (wd->once && !wd->fatal)
		maintain(wd);
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
	pend_clear(wd);
	free(wd->pend);
	while (wd->nheap > 0)
		free(heap_pop(wd));
	free(wd->heap);
	free(wd->failing);
	free(wd->batch);
	free(wd->batchv);
	while ((st = wd->stranded) != NULL) {
		wd->stranded = st->next;
		free(st->name);
		free(st);
	}
	free(wd->h.rec);
	pthread_mutex_destroy(&wd->h.mu);
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
