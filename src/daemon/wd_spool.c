/*
 * wd_spool: webhookd's spool thread.  Lists new/ (and hears of new files
 * by inotify), keeps deferred/ in a heap by due time, claims what is due
 * in batches and turns it into jobs (wd_fanout.c), takes back what the
 * main thread ended (wd_record.c), and does the periodic maintenance
 * (checkpoints, pruning).  Its loop is wd_spool_main.
 */
#include <sys/inotify.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "attempt.h"
#include "deliver.h"
#include "event.h"
#include "app.h"
#include "log.h"
#include "message.h"
#include "spool.h"
#include "store.h"
#include "util.h"
#include "wd.h"

static void
wd_spool_pend_push(struct wd *wd, const char *name)
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
wd_spool_pend_pop(struct wd *wd)
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
wd_spool_pend_clear(struct wd *wd)
{
	char	*s;

	while ((s = wd_spool_pend_pop(wd)) != NULL)
		free(s);
}

void
wd_spool_heap_push(struct wd *wd, int64_t due, const char *name)
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
char *
wd_spool_heap_pop(struct wd *wd)
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

/* Claims from/name and reads it: the event, or NULL. */
static struct wd_event *
wd_spool_claim(struct wd *wd, enum spool_dir from, const char *name)
{
	struct wd_event	*e;
	char		*text, err[128];
	size_t		 len;
	int64_t		 ms;
	int		 rc;

	if ((rc = spool_claim(wd->sp, from, name)) != 0) {
		/* A claim that failed (a failing disk, logged) is tried
		 * again a second from now: a deferred file by the heap, a
		 * new one at a listing of new/. */
		if (rc == -1 && from == SPOOL_DEFERRED)
			wd_spool_heap_push(wd, util_now_ms() + CLAIM_RETRY_MS, name);
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
	if (event_read(text, len, name, ms, &e->ev, err, sizeof(err)) == -1) {
		free(text);
		spool_quarantine(wd->sp, name, err);
		free(e->name);
		free(e);
		return NULL;
	}
	free(text);
	/* Once per event, shared by its deliveries. */
	if (e->ev.svix && app_id_from_uuid("msg_", e->ev.id,
	    e->svix_id) == 0) {
		/* A Svix message: its payload alone, as Svix sends it. */
		e->body = xstrdup(e->ev.data_text);
		e->bodylen = strlen(e->body);
	} else
		e->body = deliver_body_text(e->ev.type, e->ev.timestamp,
		    e->ev.data_text, &e->bodylen);
	e->pending = 1;			/* held while fanning out */
	return e;
}

/* A claimed event turned into jobs. */
static void
wd_spool_take_event(struct wd *wd, struct wd_event *e)
{
	if (e->ev.webhook != NULL)
		wd_fan_delivery(wd, e);
	else
		wd_fan_event(wd, e);
	wd_rec_event_unref(wd, e);
}

static void
wd_spool_list_new(struct wd *wd)
{
	struct spool_ent	*v;
	size_t			 n, i;

	wd_spool_pend_clear(wd);
	if (spool_list_names(wd->sp, SPOOL_NEW, &v, &n) == -1)
		return;
	for (i = 0; i < n; i++)
		wd_spool_pend_push(wd, v[i].name);
	spool_list_free(v, n);
}

void
wd_spool_list_deferred(struct wd *wd)
{
	struct spool_ent	*v;
	size_t			 n, i;
	char			*s;

	while ((s = wd_spool_heap_pop(wd)) != NULL)
		free(s);
	if (spool_list(wd->sp, SPOOL_DEFERRED, &v, &n) == -1)
		return;
	for (i = 0; i < n; i++)
		wd_spool_heap_push(wd, v[i].mtime_ms, v[i].name);
	spool_list_free(v, n);
}

static void
wd_spool_read_inotify(struct wd *wd)
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
				wd_spool_pend_push(wd, ie->name);
		}
	}
}

/* The spool thread: something waits to be claimed now (a new event, a
 * deferred delivery that is due). */
static int
wd_spool_work_due(struct wd *wd, int64_t now)
{
	return wd->pend_n > 0 || (wd->nheap > 0 && wd->heap[0].due <= now);
}

/* 1 while a claim batch may go on: recording what the main thread gave
 * back comes first (its endpoints wait for it), after CLAIM_MIN claims. */
static int
wd_spool_claim_more(struct wd *wd, size_t n)
{
	return n < CLAIM_BATCH && wd->alive + n < wd->jobs_max &&
	    (n < CLAIM_MIN ||
	    !__atomic_load_n(&wd->h.back_ready, __ATOMIC_RELAXED));
}

/*
 * Claims what may be taken now (due deferred deliveries, new events), at
 * most CLAIM_BATCH, and turns them into jobs.  Every claim of the batch
 * comes before the fan-out reads the webhooks' generation (wd_fan_team),
 * so one read serves the batch.  1 if more is waiting.
 */
static int
wd_spool_take_work(struct wd *wd, int64_t now)
{
	struct wd_event	*evs[CLAIM_BATCH];
	char		*name;
	size_t		 n = 0, i;

	if (wd->rescan || now >= wd->next_rescan) {
		wd->rescan = 0;
		wd->next_rescan = now + RESCAN_MS;
		wd_spool_list_new(wd);
	}
	while (wd_spool_claim_more(wd, n) && wd->nheap > 0 &&
	    wd->heap[0].due <= now) {
		name = wd_spool_heap_pop(wd);
		if ((evs[n] = wd_spool_claim(wd, SPOOL_DEFERRED, name)) != NULL)
			n++;
		free(name);
	}
	while (wd_spool_claim_more(wd, n) && (name = wd_spool_pend_pop(wd)) != NULL) {
		if ((evs[n] = wd_spool_claim(wd, SPOOL_NEW, name)) != NULL)
			n++;
		free(name);
	}
	wd->pass++;
	for (i = 0; i < n; i++)
		if (wd->fatal) {
			/* Left in cur/: the next start puts it back. */
			wd_rec_progress_unlist(wd, evs[i]);
			wd_rec_event_free(evs[i]);
		} else
			wd_spool_take_event(wd, evs[i]);
	wd_hand_made(wd);
	return wd->alive < wd->jobs_max && wd_spool_work_due(wd, now);
}

void
wd_spool_maintain(struct wd *wd)
{
	int64_t		 now = util_now_ms(), keep;
	size_t		 n = 0;

	keep = now - (int64_t)(wd->cfg.retention_days * 86400 * 1000);
	if (store_maintain(wd->st) != STORE_OK)
		log_warn("webhookd: store maintenance failed");
	if (attempt_prune(wd->st, keep, &n) == STORE_OK && n > 0)
		log_info("webhookd: pruned %zu attempts older than %g days", n,
		    wd->cfg.retention_days);
	if (message_prune(wd->st, keep, &n) == STORE_OK && n > 0)
		log_info("webhookd: pruned %zu Svix messages older than %g "
		    "days", n, wd->cfg.retention_days);
	if (spool_prune(wd->sp, SPOOL_DEAD, keep, &n) == 0 && n > 0)
		log_info("webhookd: pruned %zu dead deliveries", n);
	spool_prune(wd->sp, SPOOL_TMP, now - TMP_MAX_AGE_MS, NULL);
	event_idem_prune(wd->st, now, NULL);
	if (store_is_fatal(wd->st))
		wd->fatal = 1;
}

/* The spool thread: nothing in memory, nothing to claim now. */
static int
wd_spool_idle(struct wd *wd)
{
	return wd->alive == 0 && !wd_spool_work_due(wd, util_now_ms());
}

/* The spool thread's poll timeout. */
static int
wd_spool_timeout(struct wd *wd, int64_t now, int more, int stopping)
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
void *
wd_spool_main(void *arg)
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
		back = wd_hand_spool_take(wd, &net_done, &stopping);

		/* Going back to the spool: what was done must be on disk. */
		if (net_done)
			wd_rec_progress_flush(wd, 0, 1);
		now = util_now_ms();
		spilled = 0;
		for (j = back; j != NULL; j = next) {
			next = j->hnext;
			wd_rec_take_back(wd, j, now, &spilled);
		}
		if (spilled > 0)
			log_info("webhookd: %zu deliveries waited %d s behind "
			    "slow endpoints; deferred", spilled,
			    SPILL_WAIT_MS / 1000);
		wd_rec_batch_flush(wd, net_done ? INT64_MAX : now);
		wd_rec_stranded_retry(wd, now);
		if (net_done)
			break;

		more = 0;
		if (!stopping && !wd->fatal)
			more = wd_spool_take_work(wd, now);
		now = util_now_ms();
		wd_rec_progress_flush(wd, now, 0);
		if (!wd->once && !wd->fatal && now >= wd->next_maintain) {
			wd_spool_maintain(wd);
			wd->next_maintain = now + MAINTAIN_MS;
		}
		room = wd->alive >= wd->jobs_max && wd_spool_work_due(wd, now);
		done = wd->fatal || (wd->once && wd_spool_idle(wd));
		if (wd->fatal && !stopping)
			log_warn("webhookd: the store needs recovery; exiting");
		timeout = wd_spool_timeout(wd, now, more, stopping);
		log_flush();

		timeout = wd_hand_spool_sleep(wd, room, done, timeout);
		if (timeout == 0)
			continue;

		pfd[0].fd = wd->ifd;
		pfd[0].events = POLLIN;
		pfd[1].fd = wd->efd;
		pfd[1].events = POLLIN;
		pfd[0].revents = pfd[1].revents = 0;
		if (poll(pfd, 2, timeout) == -1 && errno != EINTR)
			log_warn("webhookd: poll: %s", strerror(errno));
		wd_hand_spool_awake(wd);
		if (pfd[1].revents != 0)
			(void)!read(wd->efd, &v, sizeof(v));
		if (pfd[0].revents != 0)
			wd_spool_read_inotify(wd);
	}
	wd_thread_cpu(wd->spool_cpu);
	log_flush();
	return NULL;
}

/* At the end: what the spool thread keeps of the spool's directories. */
void
wd_spool_free(struct wd *wd)
{
	wd_spool_pend_clear(wd);
	free(wd->pend);
	wd->pend = NULL;
	while (wd->nheap > 0)
		free(wd_spool_heap_pop(wd));
	free(wd->heap);
	wd->heap = NULL;
	wd->heap_cap = 0;
}
