/*
 * wd_handoff: what webhookd's two threads hand each other (struct hand,
 * under its mutex): made jobs to the main thread, ended jobs and the
 * endpoints whose attempts were recorded back.  Each side sleeps in poll
 * and is woken by the other (an eventfd; curl_multi_wakeup) only when its
 * flag says it sleeps; answers wake the spool thread in batches
 * (RECORD_BATCH, RECORD_MS: see webhookd.c's top comment).
 */
#include <sys/resource.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "util.h"
#include "wd.h"

void
wd_hand_init(struct wd *wd)
{
	pthread_mutex_init(&wd->h.mu, NULL);
}

void
wd_hand_free(struct wd *wd)
{
	free(wd->h.rec);
	wd->h.rec = NULL;
	pthread_mutex_destroy(&wd->h.mu);
}

void
wd_hand_append(struct job **h, struct job **t, struct job *j)
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
void
wd_hand_out_add(struct wd *wd, struct job *j)
{
	wd_hand_append(&wd->out_h, &wd->out_t, j);
	wd->out_n++;
	if (j->kind != JOB_DONE)
		wd->out_now = 1;
}

/* Appends the list fh..ft to h..t. */
static void
wd_hand_join(struct job **h, struct job **t, struct job *fh, struct job *ft)
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
wd_hand_spool_wake(struct wd *wd)
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
wd_hand_net_wake(struct wd *wd)
{
	if (!wd->h.net_sleeps)
		return;
	wd->h.net_sleeps = 0;
	(void)curl_multi_wakeup(wd->multi);
}

/* The spool thread: the jobs made so far go to the main thread. */
void
wd_hand_made(struct wd *wd)
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
		wd_hand_join(&wd->h.back_h, &wd->h.back_t, wd->made_h,
		    wd->made_t);
	} else {
		wd_hand_join(&wd->h.new_h, &wd->h.new_t, wd->made_h,
		    wd->made_t);
		wd_hand_net_wake(wd);
	}
	pthread_mutex_unlock(&wd->h.mu);
	wd->made_h = wd->made_t = NULL;
}

/* The spool thread: the batch's attempts are recorded, their endpoints
 * may take more transfers. */
void
wd_hand_recorded(struct wd *wd)
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
	wd_hand_net_wake(wd);
	pthread_mutex_unlock(&wd->h.mu);
}

/* The calling thread's CPU time in seconds: cpu[0] user, cpu[1] system. */
void
wd_thread_cpu(double cpu[2])
{
	struct rusage	 ru;

	cpu[0] = cpu[1] = 0;
	if (getrusage(RUSAGE_THREAD, &ru) == -1)
		return;
	cpu[0] = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
	cpu[1] = (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/*
 * The main thread: one exchange with the spool thread.  The jobs that
 * ended go; the jobs made and the recorded attempts come.  *room: the
 * spool thread waits for memory; returns its spool_done.
 */
int
wd_hand_exchange(struct wd *wd, int *room)
{
	struct endpoint	**rec;
	struct job	*in, *j;
	size_t		 nrec, i;
	int		 done;

	pthread_mutex_lock(&wd->h.mu);
	if (wd->out_h != NULL) {
		if (wd->h.back_h == NULL)
			wd->h.back_since = util_now_ms();
		wd_hand_join(&wd->h.back_h, &wd->h.back_t, wd->out_h, wd->out_t);
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
		wd_hand_spool_wake(wd);
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
		wd_ep_ready_push(wd, rec[i]);
		wd_ep_release(wd, rec[i]);
	}
	pthread_mutex_unlock(&wd->h.mu);
	for (; in != NULL; in = j) {
		j = in->hnext;
		wd_ep_queue(wd, in);
	}
	return done;
}

/*
 * The spool thread, at the top of its pass: the jobs the main thread gave
 * back (a list by hnext), *net_done (the main thread has given back
 * everything and ended) and *stopping (claim nothing more).
 */
struct job *
wd_hand_spool_take(struct wd *wd, int *net_done, int *stopping)
{
	struct job	*back;

	pthread_mutex_lock(&wd->h.mu);
	back = wd->h.back_h;
	wd->h.back_h = wd->h.back_t = NULL;
	wd->h.back_n = 0;
	__atomic_store_n(&wd->h.back_ready, 0, __ATOMIC_RELAXED);
	*net_done = wd->h.net_done;
	*stopping = wd->h.stopping;
	pthread_mutex_unlock(&wd->h.mu);
	return back;
}

/*
 * The spool thread, before it polls for timeout ms: tells the main thread
 * whether it waits for memory (room: the main thread spills) and whether
 * it is done (--once finished, or fatal), and says it sleeps.  Returns
 * the timeout, 0 when something came meanwhile.
 */
int
wd_hand_spool_sleep(struct wd *wd, int room, int done, int timeout)
{
	pthread_mutex_lock(&wd->h.mu);
	if (room && !wd->h.room_wanted)
		wd_hand_net_wake(wd);
	wd->h.room_wanted = room;
	if (done && !wd->h.spool_done) {
		wd->h.spool_done = wd->fatal ? 2 : 1;
		wd->h.stopping = 1;
		wd_hand_net_wake(wd);
	}
	if (wd->h.back_h != NULL || wd->h.net_done)
		timeout = 0;
	else if (timeout > 0)
		wd->h.spool_sleeps = 1;
	pthread_mutex_unlock(&wd->h.mu);
	return timeout;
}

/* The spool thread, after its poll. */
void
wd_hand_spool_awake(struct wd *wd)
{
	pthread_mutex_lock(&wd->h.mu);
	wd->h.spool_sleeps = 0;
	pthread_mutex_unlock(&wd->h.mu);
}

/*
 * The main thread, before it polls for timeout ms (done: the spool_done
 * it last saw): no longer than the oldest answer a sleeping spool thread
 * was not woken for may wait (RECORD_MS), not at all when something came
 * meanwhile; says it sleeps.  Returns the timeout.
 */
int
wd_hand_net_sleep(struct wd *wd, int done, int64_t now, int timeout)
{
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
	return timeout;
}

/* The main thread, after its poll. */
void
wd_hand_net_awake(struct wd *wd)
{
	pthread_mutex_lock(&wd->h.mu);
	wd->h.net_sleeps = 0;
	pthread_mutex_unlock(&wd->h.mu);
}

/*
 * The main thread, at its end (its endpoints abandoned): the jobs made
 * for it and not yet taken go back unattempted with the rest, and the
 * spool thread learns that everything is back.
 */
void
wd_hand_net_finish(struct wd *wd)
{
	struct job	*in, *j;

	pthread_mutex_lock(&wd->h.mu);
	in = wd->h.new_h;
	wd->h.new_h = wd->h.new_t = NULL;
	for (; in != NULL; in = j) {
		j = in->hnext;
		in->kind = JOB_ABANDON;
		wd_hand_out_add(wd, in);
	}
	wd_hand_join(&wd->h.back_h, &wd->h.back_t, wd->out_h, wd->out_t);
	wd->out_h = wd->out_t = NULL;
	wd->out_n = 0;
	wd->h.stopping = 1;
	wd->h.net_done = 1;
	wd_hand_spool_wake(wd);
	pthread_mutex_unlock(&wd->h.mu);
}
