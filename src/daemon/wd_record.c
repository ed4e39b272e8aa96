/*
 * wd_record: webhookd's spool thread recording outcomes.  An attempt's
 * outcome goes into the attempt log (batched: one transaction a pass),
 * onto the webhook (webhook_outcome.h) and, by the delivery policy
 * (retry.h), into deferred/ or dead/; only then may its event leave cur/
 * (wd_rec_event_close), or stay there to be taken out later on a failing disk
 * (stranded files).  Progress lines record the deliveries an event with
 * several is done with.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attempt.h"
#include "deliver.h"
#include "log.h"
#include "retry.h"
#include "spool.h"
#include "store.h"
#include "util.h"
#include "webhook_outcome.h"
#include "wd.h"

static int
wd_rec_failing_find(struct wd *wd, const char *uuid)
{
	size_t	 i;

	for (i = 0; i < wd->nfailing; i++)
		if (strcmp(wd->failing[i], uuid) == 0)
			return (int)i;
	return -1;
}

static void
wd_rec_failing_set(struct wd *wd, const char *uuid, int on)
{
	int	 i = wd_rec_failing_find(wd, uuid);

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

void
wd_rec_event_free(struct wd_event *e)
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
void
wd_rec_progress_unlist(struct wd *wd, struct wd_event *e)
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
wd_rec_progress_note(struct wd *wd, struct wd_event *e, const char *uuid)
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
wd_rec_progress_write(struct wd *wd, struct wd_event *e)
{
	if (e->prog.len == 0)
		return;
	/* One append of all the lines (spool_progress_add adds the last
	 * newline). */
	e->prog.p[--e->prog.len] = '\0';
	spool_progress_add(wd->sp, e->name, e->prog.p);
	e->has_prog = 1;
	buf_reset(&e->prog);
	wd_rec_progress_unlist(wd, e);
}

/* Writes the progress lines older than PROGRESS_MS (all when force). */
void
wd_rec_progress_flush(struct wd *wd, int64_t now, int force)
{
	struct wd_event	*e, *next;

	for (e = wd->prog_head; e != NULL; e = next) {
		next = e->pnext;
		if (force || now - e->prog_since >= PROGRESS_MS)
			wd_rec_progress_write(wd, e);
	}
}

/* Keeps name (in cur/) to be taken out again (see struct stranded). */
static void
wd_rec_strand(struct wd *wd, const char *name, enum spool_dir to, int64_t due,
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
void
wd_rec_stranded_retry(struct wd *wd, int64_t now)
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
			wd_spool_heap_push(wd, st->due, st->name);
		log_info("webhookd: %s left cur/ after all", st->name);
		*pp = st->next;
		free(st->name);
		free(st);
	}
	wd->stranded_next = wd->stranded != NULL ? now + STRANDED_MS : 0;
}

/* The last job of e is resolved (or abandoned): the file leaves cur/ (or,
 * on a failing disk, is kept to leave it later: wd_rec_strand). */
static void
wd_rec_event_close(struct wd *wd, struct wd_event *e)
{
	int64_t	 due;
	int	 progress;

	/* Going back to the spool: what was done must be on disk. */
	if (e->abandoned || e->keep)
		wd_rec_progress_write(wd, e);
	wd_rec_progress_unlist(wd, e);
	if (e->abandoned) {
		/* Worked on: the next claim looks at what was done. */
		if (e->ev.webhook == NULL && !e->has_prog)
			spool_progress_mark(wd->sp, e->name);
		if (spool_unclaim(wd->sp, e->name, e->from, 0) == -1)
			wd_rec_strand(wd, e->name, e->from, 0, 0, 0);
	}
	else if (e->keep) {
		/* Some outcome is not on disk: everything is tried again
		 * later (duplicates at worst, never a loss). */
		due = util_now_ms() + (int64_t)(RECORD_RETRY_MS *
		    wd->cfg.time_scale);
		if (spool_unclaim(wd->sp, e->name, SPOOL_DEFERRED, due) == 0)
			wd_spool_heap_push(wd, due, e->name);
		else
			wd_rec_strand(wd, e->name, SPOOL_DEFERRED, due, 0, 0);
	} else {
		/* A delivery file may carry a mark from spool_recover. */
		progress = e->has_prog || e->ev.webhook != NULL;
		if (spool_finish(wd->sp, e->name, progress) == -1)
			wd_rec_strand(wd, e->name, SPOOL_CUR, 0, 1, progress);
	}
	wd_rec_event_free(e);
}

/* An event whose attempts are in the batch leaves cur/ only once the
 * batch is committed: a crash before sends them again, never loses them. */
void
wd_rec_event_unref(struct wd *wd, struct wd_event *e)
{
	if (--e->pending > 0)
		return;
	if (e->logging) {
		e->cnext = wd->closing;
		wd->closing = e;
	} else
		wd_rec_event_close(wd, e);
}

/* Keeps a's record (id new) for wd_rec_batch_flush; ep (the main thread's) is
 * told once it is written. */
static void
wd_rec_batch_add(struct wd *wd, struct wd_event *e,
    const struct deliver_attempt *a, struct endpoint *ep)
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
void
wd_rec_batch_flush(struct wd *wd, int64_t now)
{
	struct wd_event	*e;
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
		rc = attempt_add_many(wd->st, wd->batchv, wd->nbatch);
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
		wd_hand_recorded(wd);
		wd->nbatch = 0;
	}
	while ((e = wd->closing) != NULL) {
		wd->closing = e->cnext;
		e->logging = 0;
		if (wd->fatal) {
			wd_rec_progress_unlist(wd, e);
			wd_rec_event_free(e);
		} else
			wd_rec_event_close(wd, e);
	}
}

/* The spool thread: j is resolved. */
static void
wd_rec_job_free(struct wd *wd, struct job *j)
{
	webhook_free(&j->wh);
	free(j->epkey);
	free(j);
	wd->alive--;
}

/* The delivery file of job j's delivery, for deferred/ or dead/. */
static char *
wd_rec_delivery_text(const struct job *j, int attempts)
{
	struct spool_event	 d = j->ev->ev;

	d.webhook = (char *)j->wh.uuid;
	d.attempt = attempts;
	d.manual = 0;
	return spool_event_format(&d);
}

/* Writes job j's delivery file into deferred/ due at due; 0 or -1. */
static int
wd_rec_defer(struct wd *wd, struct job *j, int attempts, int64_t due)
{
	char	*text;
	int	 rc;

	text = wd_rec_delivery_text(j, attempts);
	rc = spool_write(wd->sp, SPOOL_DEFERRED, j->msg_id, text, strlen(text),
	    due);
	free(text);
	if (rc == 0)
		wd_spool_heap_push(wd, due, j->msg_id);
	return rc;
}

/* The spool thread: a job given back unattempted goes to deferred/. */
static void
wd_rec_spill(struct wd *wd, struct job *j, int64_t now)
{
	struct wd_event	*e = j->ev;

	if (wd_rec_defer(wd, j, j->attempt - 1, now + SPILL_DELAY_MS) == -1)
		e->keep = 1;
	else if (e->multi)
		wd_rec_progress_note(wd, e, j->wh.uuid);
	wd_rec_job_free(wd, j);
	wd_rec_event_unref(wd, e);
}

/* The spool thread: the outcome of one attempt logged, recorded, and its
 * next state on disk before the event's file may go.  Frees j. */
static void
wd_rec_resolve(struct wd *wd, struct job *j)
{
	const struct deliver_result *r = &j->res;
	struct deliver_attempt	 a;
	struct wd_event		*e = j->ev;
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
	wd_rec_batch_add(wd, e, &a, j->ep);
	log_clean(e->ev.type, type, sizeof(type));
	log_info("deliver: webhook %s event %s (%s) attempt %d/%d: %s, "
	    "status %d, %lld ms%s%s", j->wh.uuid, e->ev.id, type, j->attempt,
	    retry_max_attempts(j->wh.max_attempts), delivery_state_name(state),
	    r->status, (long long)r->latency_ms,
	    r->error[0] ? ": " : "", r->error);

	/* The webhook's error and run of failures: a write only when
	 * something changes (a failure, or the first success after one). */
	if (r->cls != DELIVER_DONE || j->wh.fail_since != 0 ||
	    wd_rec_failing_find(wd, j->wh.uuid) != -1) {
		rc = deliver_note_outcome(wd->st, j->wh.team != NULL ?
		    j->wh.team : e->ev.team, j->wh.uuid, r, now,
		    (int64_t)((double)RETRY_FAIL_WINDOW_MS *
		    wd->cfg.time_scale), 0, &deact);
		if (rc == STORE_FATAL)
			wd->fatal = 1;
		wd_rec_failing_set(wd, j->wh.uuid, r->cls != DELIVER_DONE);
		if (deact && r->gone)
			log_info("deliver: webhook %s deactivated: 410 Gone",
			    j->wh.uuid);
		else if (deact)
			log_info("deliver: webhook %s deactivated: failing "
			    "for %d days", j->wh.uuid, RETRY_FAIL_WINDOW_DAYS);
	}

	/* The delivery's next state, durably, before the file goes. */
	if (state == DELIVERY_RETRYING) {
		if (wd_rec_defer(wd, j, j->attempt, next) == -1)
			recorded = 0;
	} else if (state == DELIVERY_DEAD) {
		text = wd_rec_delivery_text(j, j->attempt);
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
		wd_rec_progress_note(wd, e, j->wh.uuid);

	wd_rec_job_free(wd, j);
	wd_rec_event_unref(wd, e);
}

/* The spool thread: a job the main thread gave back. */
void
wd_rec_take_back(struct wd *wd, struct job *j, int64_t now, size_t *spilled)
{
	switch (j->kind) {
	case JOB_DONE:
		wd_rec_resolve(wd, j);
		break;
	case JOB_SPILL:
		wd_rec_spill(wd, j, now);
		(*spilled)++;
		break;
	case JOB_ABANDON:
		j->ev->abandoned = 1;
		wd_rec_event_unref(wd, j->ev);
		wd_rec_job_free(wd, j);
		break;
	}
}

/* At the end: what recording keeps between passes (the batch, the
 * failing webhooks, the files stranded in cur/, which stay there). */
void
wd_rec_free(struct wd *wd)
{
	struct stranded	*st;

	free(wd->failing);
	free(wd->batch);
	free(wd->batchv);
	wd->failing = NULL;
	wd->batch = NULL;
	wd->batchv = NULL;
	while ((st = wd->stranded) != NULL) {
		wd->stranded = st->next;
		free(st->name);
		free(st);
	}
}
