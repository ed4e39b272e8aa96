/*
 * wd_fanout: webhookd's spool thread turning a claimed file into jobs: an
 * event fans out to the team's active webhooks that it reaches (its
 * application's, by channel: event_reaches) subscribed to its type
 * (skipping those whose delivery already has an outcome: its progress
 * line, its deferred/ or dead/ file), a delivery file is one job.  The
 * team's webhooks are kept parsed per store generation (struct
 * team_hooks), so that one read of the generation per claim batch serves
 * every event of it.
 */
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "log.h"
#include "spool.h"
#include "store.h"
#include "util.h"
#include "webhook.h"
#include "wd.h"

/* A job for e to w (taking over w's strings); msg_id, when known, is
 * deliver_msg_id's of the two. */
static struct job *
wd_fan_job_new(struct wd *wd, struct wd_event *e, struct webhook *w,
    int attempt, const char *msg_id)
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
 * wd_hand_made). */
static void
wd_fan_job_made(struct wd *wd, struct job *j, const char *key)
{
	j->epkey = xstrdup(key);
	wd_hand_append(&wd->made_h, &wd->made_t, j);
}

static int
wd_fan_each(struct webhook *w, void *arg)
{
	struct team_hooks	*t = arg;

	t->ws = xrealloc(t->ws, (t->n + 1) * sizeof(*t->ws));
	t->keys = xrealloc(t->keys, (t->n + 1) * sizeof(*t->keys));
	t->keys[t->n] = wd_ep_key(t->team, w->url);
	t->ws[t->n++] = *w;
	return 0;
}

static void
wd_fan_team_clear(struct team_hooks *t)
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

void
wd_fan_teams_free(struct wd *wd)
{
	struct team_hooks	*t;

	while ((t = wd->teams) != NULL) {
		wd->teams = t->next;
		wd_fan_team_clear(t);
		free(t->team);
		free(t);
	}
	wd->nteams = 0;
}

/* The team's webhooks, as the store holds them now; NULL on a store error
 * (rc set). */
static struct team_hooks *
wd_fan_team(struct wd *wd, const char *team, int *rc)
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
	if ((*rc = webhook_team_gen(wd->st, team, &gen)) != STORE_OK)
		return NULL;
	if (t != NULL && t->gen == gen) {
		t->pass = wd->pass;
		return t;
	}
	if (t == NULL) {
		if (wd->nteams >= TEAMS_MAX)
			wd_fan_teams_free(wd);
		t = xcalloc(1, sizeof(*t));
		t->team = xstrdup(team);
		t->next = wd->teams;
		wd->teams = t;
		wd->nteams++;
	}
	wd_fan_team_clear(t);
	/* Listed after gen was read: a change in between makes the next
	 * event list again, never keeps a stale copy. */
	*rc = webhook_team_each(wd->st, team, wd_fan_each, t);
	if (*rc != STORE_OK && *rc != STORE_NOTFOUND) {
		wd_fan_team_clear(t);
		t->gen = UINT64_MAX;
		t->pass = wd->pass - 1;
		return NULL;
	}
	*rc = STORE_OK;
	t->gen = gen;
	t->pass = wd->pass;
	return t;
}

/* 1 if line is one of the lines of text. */
static int
wd_fan_has_line(const char *text, const char *line)
{
	size_t		 n = strlen(line);
	const char	*p;

	for (p = text; (p = strstr(p, line)) != NULL; p += n)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return 1;
	return 0;
}

/* An event: one job per webhook that wants it and has no outcome yet. */
void
wd_fan_event(struct wd *wd, struct wd_event *e)
{
	struct team_hooks	*t;
	struct job		**js = NULL;
	const char		**ks = NULL;
	struct webhook		 w;
	char			*progress, id[DELIVER_ID_LEN + 1];
	size_t			 i, n = 0;
	int			 rc, seen;

	if ((t = wd_fan_team(wd, e->ev.team, &rc)) == NULL) {
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
		if (!event_reaches(&e->ev, t->ws[i].app, t->ws[i].channels,
		    t->ws[i].nchannels) || !webhook_wants(&t->ws[i], e->ev.type))
			continue;
		deliver_msg_id(e->ev.id, t->ws[i].uuid, id);
		if (seen && ((progress != NULL &&
		    wd_fan_has_line(progress, t->ws[i].uuid)) ||
		    spool_exists(wd->sp, SPOOL_DEFERRED, id) ||
		    spool_exists(wd->sp, SPOOL_DEAD, id)))
			continue;
		webhook_dup(&w, &t->ws[i]);
		js = xrealloc(js, (n + 1) * sizeof(*js));
		ks = xrealloc(ks, (n + 1) * sizeof(*ks));
		ks[n] = t->keys[i];
		js[n++] = wd_fan_job_new(wd, e, &w, 1, id);
	}
	e->multi = n > 1 || progress != NULL;
	free(progress);
	for (i = 0; i < n; i++)
		wd_fan_job_made(wd, js[i], ks[i]);
	free(js);
	free(ks);
}

/* A delivery file (deferred, or a manual retry): one job. */
void
wd_fan_delivery(struct wd *wd, struct wd_event *e)
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
	j = wd_fan_job_new(wd, e, &w, e->ev.attempt + 1, NULL);
	key = wd_ep_key(e->ev.team, j->wh.url);
	wd_fan_job_made(wd, j, key);
	free(key);
}
