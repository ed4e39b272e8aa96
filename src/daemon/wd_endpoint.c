/*
 * wd_endpoint: webhookd's endpoints and their limits (the main thread's).
 * An endpoint is a (team, scheme, host, port) with its queue of jobs; it
 * takes a new transfer while fewer than per_endpoint are on the wire and
 * fewer than UNREC_FACTOR x per_endpoint of its answers wait for their
 * record, and then sits in the ready list, which wd_net_start (wd_net.c)
 * pops in turn.  Within an endpoint, a webhook with nothing in flight
 * goes ahead of another's backlog (wd_ep_take).  Jobs that waited too
 * long behind their endpoint while memory is full are spilled back to the
 * spool thread (wd_ep_spill_old).
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"
#include "wd.h"

/* "team scheme://host:port" of a team's URL, the URL part in lower case
 * (the URL itself if unparsable).  A team name has no space. */
char *
wd_ep_key(const char *team, const char *url)
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
wd_ep_hash(const char *s)
{
	unsigned	 h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h % EP_BUCKETS;
}

/* The endpoint of key (wd_ep_key's), made when new. */
static struct endpoint *
wd_ep_get(struct wd *wd, const char *key)
{
	struct endpoint	*ep;
	unsigned	 h;

	h = wd_ep_hash(key);
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
void
wd_ep_release(struct wd *wd, struct endpoint *ep)
{
	struct endpoint	**pp;

	if (ep->active > 0 || ep->unrec > 0 || ep->qh != NULL || ep->ready)
		return;
	for (pp = &wd->buckets[wd_ep_hash(ep->key)]; *pp != NULL;
	    pp = &(*pp)->hnext)
		if (*pp == ep) {
			*pp = ep->hnext;
			break;
		}
	free(ep->key);
	free(ep);
}

void
wd_ep_job_start(struct wd *wd, struct endpoint *ep, struct job *j)
{
	ep->active++;
	j->fprev = NULL;
	j->fnext = ep->fh;
	if (ep->fh != NULL)
		ep->fh->fprev = j;
	ep->fh = j;
	wd_ep_ready_push(wd, ep);
}

void
wd_ep_job_done(struct wd *wd, struct job *j)
{
	struct endpoint	*ep = j->ep;

	wd->njobs--;
	ep->active--;
	if (j->fprev != NULL)
		j->fprev->fnext = j->fnext;
	else
		ep->fh = j->fnext;
	if (j->fnext != NULL)
		j->fnext->fprev = j->fprev;
	ep->unrec++;
	wd_ep_ready_push(wd, ep);
}

void
wd_ep_ready_push(struct wd *wd, struct endpoint *ep)
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

struct endpoint *
wd_ep_ready_pop(struct wd *wd)
{
	struct endpoint	*ep;

	/* An endpoint whose queue wd_ep_spill_old emptied while it waited here
	 * has nothing to start: it goes (and is freed if idle). */
	while ((ep = wd->rhead) != NULL) {
		wd->rhead = ep->rnext;
		if (wd->rhead == NULL)
			wd->rtail = NULL;
		ep->ready = 0;
		if (ep->qh != NULL)
			return ep;
		wd_ep_release(wd, ep);
	}
	return NULL;
}

/* The main thread: queues j behind its endpoint (j->epkey). */
void
wd_ep_queue(struct wd *wd, struct job *j)
{
	struct endpoint	*ep;

	ep = wd_ep_get(wd, j->epkey);
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
	wd_ep_ready_push(wd, ep);
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
void
wd_ep_spill_old(struct wd *wd, int64_t now)
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
				wd_hand_out_add(wd, j);
			}
}

/* Whether j's webhook has a transfer in flight at ep. */
static int
wd_ep_busy(const struct endpoint *ep, const struct job *j)
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
struct job *
wd_ep_take(struct endpoint *ep)
{
	struct job	*j = ep->qh, *prev = NULL, *p, *pp;
	int		 n;

	if (ep->mixed && ep->fh != NULL && wd_ep_busy(ep, j))
		for (pp = j, p = j->next, n = 0; p != NULL && n < PICK_SCAN;
		    pp = p, p = p->next, n++)
			if (!wd_ep_busy(ep, p)) {
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
