/*
 * wd: webhookd's private header, shared by its modules (wd_*.c) and their
 * unit tests: the daemon's state (struct wd), what the threads hand each
 * other, and each module's functions.  The design is in webhookd.c's top
 * comment.  Nothing outside webhookd and its tests includes it.
 */
#ifndef WD_H
#define WD_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "cfg.h"
#include "deliver.h"
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
				   webhook (wd_ep_take) */

struct endpoint;

/* A claimed spool file: an event, or one delivery of one. */
struct wd_event {
	char			*name;		/* in cur/ */
	enum spool_dir		 from;		/* where it was claimed from */
	struct spool_event	 ev;
	char			*body;		/* the payload, signed per attempt */
	char			 svix_id[40];	/* a Svix message: its id, the
					   svix-id of each delivery; else "" */
	size_t			 bodylen;
	int			 pending;	/* jobs not yet resolved (+1 while
						   fanning out) */
	int			 multi;		/* several deliveries: progress */
	int			 keep;		/* an outcome failed to record */
	int			 abandoned;	/* shutdown: back where it was */
	int			 has_prog;	/* its progress file exists */
	struct buf		 prog;		/* progress lines not yet written */
	int64_t			 prog_since;	/* when the first of them came */
	struct wd_event		*pnext, *pprev;	/* events with such lines */
	int			 logging;	/* attempts in wd->batch */
	struct wd_event		*cnext;		/* wd->closing */
};

/* An attempt's record waiting for the batch's commit. */
struct batched {
	char			 uuid[37];	/* the webhook's */
	char			 id[37];
	int64_t			 at_ms;
	char			*rec;		/* attempt_pack's */
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
	struct wd_event		*ev;		/* the spool thread's (the main
						   thread reads its body) */
	struct webhook		 wh;
	char			 msg_id[DELIVER_ID_LEN + 1];
	int			 attempt;	/* this one's number, 1-based */
	int64_t			 started_ms;
	int64_t			 queued_ms;
	char			*epkey;		/* wd_ep_key(), until queued */
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
 * A team's webhooks as parsed at generation gen (webhook_team_gen): fan-out
 * reads the generation (one get) and lists and parses the webhooks again
 * only when it changed, so that a webhook changed or deactivated just
 * before a publish is seen by that event's fan-out.
 */
struct team_hooks {
	char			*team;
	uint64_t		 gen;
	unsigned		 pass;		/* the claim batch gen was read in */
	struct webhook		*ws;
	char			**keys;		/* their wd_ep_key()s */
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

	struct wd_event		*prog_head;	/* events with unwritten progress */

	struct batched		*batch;		/* attempts not yet logged */
	struct store_attempt	*batchv;
	size_t			 nbatch, batch_cap;
	int64_t			 batch_retry;	/* a failed commit: try then */
	struct wd_event		*closing;	/* resolved, waiting for them */
	struct stranded		*stranded;	/* in cur/, to take out again */
	int64_t			 stranded_next;	/* the next try */

	char			(*failing)[37];	/* webhooks we saw fail */
	size_t			 nfailing, failing_cap;

	struct team_hooks	*teams;		/* webhooks per team, cached */
	size_t			 nteams;

	size_t			 jobs_max;	/* claim no more beyond */
	int64_t			 next_maintain, next_rescan;
};

/* ---- wd_endpoint.c: endpoints and their limits (main thread) */

char	*wd_ep_key(const char *team, const char *url);
void	 wd_ep_release(struct wd *wd, struct endpoint *ep);
void	 wd_ep_ready_push(struct wd *wd, struct endpoint *ep);
struct endpoint	*wd_ep_ready_pop(struct wd *wd);
void	 wd_ep_queue(struct wd *wd, struct job *j);
void	 wd_ep_spill_old(struct wd *wd, int64_t now);
struct job	*wd_ep_take(struct endpoint *ep);
/* j, just taken from ep (wd_ep_take), goes on ep's wire. */
void	 wd_ep_job_start(struct wd *wd, struct endpoint *ep, struct job *j);
/* j's transfer ended: off its endpoint's wire (counted unrecorded until
 * the spool thread records it), and the endpoint ready again if it may. */
void	 wd_ep_job_done(struct wd *wd, struct job *j);

/* ---- wd_handoff.c: the hand-off between the threads */

void	 wd_hand_init(struct wd *wd);
void	 wd_hand_free(struct wd *wd);
void	 wd_hand_append(struct job **h, struct job **t, struct job *j);
void	 wd_hand_out_add(struct wd *wd, struct job *j);
void	 wd_hand_made(struct wd *wd);
void	 wd_hand_recorded(struct wd *wd);
void	 wd_thread_cpu(double cpu[2]);
int	 wd_hand_exchange(struct wd *wd, int *room);
struct job	*wd_hand_spool_take(struct wd *wd, int *net_done,
	    int *stopping);
int	 wd_hand_spool_sleep(struct wd *wd, int room, int done, int timeout);
void	 wd_hand_spool_awake(struct wd *wd);
int	 wd_hand_net_sleep(struct wd *wd, int done, int64_t now, int timeout);
void	 wd_hand_net_awake(struct wd *wd);
void	 wd_hand_net_finish(struct wd *wd);

/* ---- wd_fanout.c: fan-out, the per-team webhook cache (spool thread) */

void	 wd_fan_teams_free(struct wd *wd);
void	 wd_fan_event(struct wd *wd, struct wd_event *e);
void	 wd_fan_delivery(struct wd *wd, struct wd_event *e);

/* ---- wd_net.c: the network loop (the main thread) */

void	 wd_net_run(struct wd *wd);

/* ---- wd_record.c: recording outcomes (spool thread) */

void	 wd_rec_event_free(struct wd_event *e);
void	 wd_rec_progress_unlist(struct wd *wd, struct wd_event *e);
void	 wd_rec_progress_flush(struct wd *wd, int64_t now, int force);
void	 wd_rec_stranded_retry(struct wd *wd, int64_t now);
void	 wd_rec_event_unref(struct wd *wd, struct wd_event *e);
void	 wd_rec_batch_flush(struct wd *wd, int64_t now);
void	 wd_rec_free(struct wd *wd);
void	 wd_rec_take_back(struct wd *wd, struct job *j, int64_t now,
	    size_t *spilled);

/* ---- wd_spool.c: claims, inotify, the deferred heap, maintenance */

void	 wd_spool_free(struct wd *wd);
void	 wd_spool_heap_push(struct wd *wd, int64_t due, const char *name);
char	*wd_spool_heap_pop(struct wd *wd);
void	 wd_spool_list_deferred(struct wd *wd);
void	 wd_spool_maintain(struct wd *wd);
void	*wd_spool_main(void *arg);

#endif /* WD_H */
