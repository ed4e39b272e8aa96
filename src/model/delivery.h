/*
 * delivery: one event's delivery to one webhook, as the model sees it,
 * apart from the transfer: its id, the outcome of an attempt, the attempt's
 * record in the attempt log and what it means for the webhook, the manual
 * retry, and the line in which `webhookd --test` tells the FastCGI program
 * the outcome of a test delivery (src/web/probe.h starts it).
 *
 * Needs no libcurl: the FastCGI program links it.  The transfer itself
 * (the request, its signature, the SSRF guard, classifying the answer) is
 * the daemon's deliver module (src/daemon/deliver.h); what an outcome
 * means for the delivery (its state, the retry schedule) is retry.h's
 * policy, and what it means for the webhook webhook_outcome.h's.  The
 * names keep the deliver_ prefix of the module they came from.
 */
#ifndef DELIVERY_H
#define DELIVERY_H

#include <stddef.h>
#include <stdint.h>

#include "retry.h"
#include "store.h"

#define DELIVER_LOG_BODY	1024	/* bytes of it kept for the attempt log */
#define DELIVER_ERROR_MAX	256
#define DELIVER_ID_LEN		36	/* "msg_" + 32 hex */

/* The outcome of one attempt: enum deliver_class (retry.h). */
struct deliver_result {
	enum deliver_class cls;
	int		 status;	/* HTTP status, 0 when none came */
	int64_t		 latency_ms;
	int64_t		 retry_after_ms; /* Retry-After of a 429/503, else -1 */
	int		 gone;		/* 410: the webhook is to be deactivated */
	char		 error[DELIVER_ERROR_MAX]; /* "" on success */
	/* The start of the response body, made valid UTF-8, NUL-terminated. */
	char		 body[DELIVER_LOG_BODY + 1];
};

/* ---- identifiers ------------------------------------------------------- */

/*
 * The webhook-id of an event's delivery to a webhook: "msg_" + 32 hex of
 * SHA-256(event id "\n" webhook uuid).  The same for every retry, distinct
 * per webhook.  It is also the delivery's id in the API.
 */
void	 deliver_msg_id(const char *event_id, const char *webhook_uuid,
	    char out[DELIVER_ID_LEN + 1]);
/* 1 if s is a delivery id: "msg_" + 32 lower-case hex digits. */
int	 deliver_id_valid(const char *s);

/* ---- recording attempts ------------------------------------------------ */

/* What the attempt log keeps of one attempt. */
struct deliver_attempt {
	const char	*delivery_id;	/* = webhook-id */
	const char	*event_id;
	const char	*event_type;
	const char	*webhook;	/* uuid */
	int		 attempt;	/* 1-based */
	int64_t		 at_ms;		/* when it started */
	const struct deliver_result *r;
	enum delivery_state state;	/* after it (retry.h) */
	int64_t		 next_ms;	/* next attempt when retrying, else 0 */
	int		 manual;	/* sent by POST /deliveries/{id}/retry */
};
/* Appends a to the attempt log; a store result. */
int	 deliver_log_attempt(struct store *, const struct deliver_attempt *a);
/* The attempt log's record of a (attempt_pack), with a new id
 * written into id; the caller frees it (webhookd logs many in one
 * transaction). */
char	*deliver_attempt_pack(const struct deliver_attempt *a, char id[37],
	    size_t *len);

/*
 * The webhook model's record of an attempt's outcome (webhook_outcome.h):
 * the webhook's error, its run of failures, its deactivation after
 * fail_window_ms of them (retry.h) or a 410.  test: a test delivery.
 */
int	 deliver_note_outcome(struct store *, const char *team,
	    const char *uuid, const struct deliver_result *, int64_t now_ms,
	    int64_t fail_window_ms, int test, int *deactivated);

/* ---- manual retry ------------------------------------------------------ */

struct spool;

/* What deliver_requeue found; each caller answers it in its own shape. */
enum deliver_requeue_res {
	REQUEUE_OK = 0,		/* queued for webhookd as a manual retry */
	REQUEUE_NOTFOUND,	/* no dead or deferred delivery of that id for
				   this team (and webhook, when one is given) */
	REQUEUE_BUSY,		/* being attempted right now */
	REQUEUE_GONE,		/* its webhook was deleted */
	REQUEUE_INACTIVE,	/* its webhook is inactive */
	REQUEUE_SPOOL,		/* the spool could not be written: try later */
	REQUEUE_STORE		/* the store failed; *store_res says how */
};

/*
 * Sends a dead or deferred delivery again: its file, checked to be the
 * team's (and webhook's, if not NULL), goes back into the spool as a manual
 * retry.  *webhook_out (if not NULL) receives the delivery's webhook uuid
 * (37 bytes) and *event_out its event id (at most SPOOL_ID_MAX + 1 bytes).
 */
int	 deliver_requeue(struct store *, struct spool *, const char *team,
	    const char *id, const char *webhook, char *webhook_out,
	    char *event_out, size_t event_outlen, int *store_res);

/* ---- the test delivery's answer (webhookd --test) ---------------------- */

/*
 * webhookd --test TEAM UUID EVENT_ID delivers a test event, records it,
 * and prints its outcome as one line (deliver_result_format), or exits
 * DELIVER_TEST_EXIT_NOTFOUND after the line DELIVER_TEST_NOTFOUND_LINE
 * when the webhook does not exist.  The FastCGI program (probe.h) reads
 * that line for DELIVER_TEST_WAIT_MS at most; a detached tester ends itself
 * when the delivery timeout plus DELIVER_TEST_SLACK_MS have passed.
 */
#define DELIVER_TEST_EXIT_NOTFOUND	3
#define DELIVER_TEST_NOTFOUND_LINE	"notfound\n"
/* How long a request waits for the outcome of its test. */
#define DELIVER_TEST_WAIT_MS		2000
/* The tester gets the delivery timeout plus this much (opening the store,
 * recording the attempt) before it ends itself. */
#define DELIVER_TEST_SLACK_MS		5000

/* The tester's answer: one line of JSON, newline included; the caller
 * frees it. */
char	*deliver_result_format(const struct deliver_result *, int store_res);
/* Reads an answer made by deliver_result_format into r and *store_res: 0,
 * or -1 if it is not one. */
int	 deliver_result_parse(const char *text, struct deliver_result *r,
	    int *store_res);

#endif /* DELIVERY_H */
