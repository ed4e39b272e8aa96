/*
 * wd_net: webhookd's main thread, the network.  One libcurl multi loop:
 * starts what the endpoints' limits allow (wd_ep_*), reaps finished
 * transfers, exchanges jobs with the spool thread (wd_hand_exchange), and
 * drains on SIGTERM; at its end every job goes back to the spool thread.
 */
#include <sys/signalfd.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deliver.h"
#include "log.h"
#include "util.h"
#include "wd.h"

/* The main thread: j's attempt ended (or could not start, r set); the
 * spool thread records it, and the endpoint counts it unrecorded until
 * then. */
static void
wd_net_done(struct wd *wd, struct job *j)
{
	if (j->x != NULL) {
		deliver_xfer_free(j->x);
		j->x = NULL;
	}
	wd_ep_job_done(wd, j);
	j->kind = JOB_DONE;
	wd_hand_out_add(wd, j);
}

/* Starts what the limits allow; the number of transfers started. */
static int
wd_net_start(struct wd *wd)
{
	struct endpoint		*ep;
	struct job		*j;
	int			 n = 0;

	while (!wd->stopping && wd->ninflight < (size_t)wd->cfg.concurrency &&
	    (ep = wd_ep_ready_pop(wd)) != NULL) {
		j = wd_ep_take(ep);
		wd_ep_job_start(wd, ep, j);
		j->started_ms = util_now_ms();
		if (deliver_xfer_new(&j->wh, j->ev->svix_id[0] != '\0' ?
		    j->ev->svix_id : j->msg_id, j->ev->svix_id[0] != '\0',
		    j->ev->body,
		    j->ev->bodylen, &wd->opts, j, &j->x, &j->res) == -1) {
			j->x = NULL;
			wd_net_done(wd, j);
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
wd_net_inflight_remove(struct wd *wd, struct job *j)
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
wd_net_reap(struct wd *wd)
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
		wd_net_inflight_remove(wd, j);
		deliver_xfer_done(j->x, m->data.result, &j->res);
		wd_net_done(wd, j);
	}
}

/* The main thread, at its end: every job not finished goes back to the
 * spool thread, which puts it back with its file; the endpoints go. */
static void
wd_net_abandon_all(struct wd *wd)
{
	struct endpoint	*ep, *next;
	struct job	*j;
	size_t		 b;

	while ((j = wd->inflight) != NULL) {
		wd_net_inflight_remove(wd, j);
		deliver_xfer_free(j->x);
		j->x = NULL;
		j->kind = JOB_ABANDON;
		wd_hand_out_add(wd, j);
	}
	for (b = 0; b < EP_BUCKETS; b++)
		for (ep = wd->buckets[b]; ep != NULL; ep = next) {
			next = ep->hnext;
			while ((j = ep->qh) != NULL) {
				ep->qh = j->next;
				j->kind = JOB_ABANDON;
				wd_hand_out_add(wd, j);
			}
			free(ep->key);
			free(ep);
		}
	memset(wd->buckets, 0, sizeof(wd->buckets));
	wd->rhead = wd->rtail = NULL;
	wd->njobs = 0;
}

/* The main thread's. */
static void
wd_net_read_signals(struct wd *wd)
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

/*
 * The main thread's loop: transfers, until SIGTERM's drain ends, or the
 * spool thread is done (--once, or a store failure); then every job goes
 * back to the spool thread.
 */
void
wd_net_run(struct wd *wd)
{
	struct curl_waitfd	 fds[1];
	int64_t			 now;
	int			 running, timeout, room, done;

	for (;;) {
		curl_multi_perform(wd->multi, &running);
		wd_net_reap(wd);
		done = wd_hand_exchange(wd, &room);
		if (wd_net_start(wd) > 0) {
			curl_multi_perform(wd->multi, &running);
			/* What ended meanwhile: poll would not see it. */
			wd_net_reap(wd);
		}
		now = util_now_ms();
		if (room && !wd->stopping && now >= wd->next_spill) {
			wd->next_spill = now + 500;
			wd_ep_spill_old(wd, now);
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
		timeout = wd_hand_net_sleep(wd, done, now, timeout);
		fds[0].fd = wd->sfd;
		fds[0].events = CURL_WAIT_POLLIN;
		fds[0].revents = 0;
		if (curl_multi_poll(wd->multi, fds, 1, timeout, NULL) !=
		    CURLM_OK)
			fds[0].revents = CURL_WAIT_POLLIN;
		wd_hand_net_awake(wd);
		if (fds[0].revents != 0)
			wd_net_read_signals(wd);
	}
	wd_net_abandon_all(wd);
	wd_hand_net_finish(wd);
}
