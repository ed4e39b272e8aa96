/*
 * probe: the test delivery (POST /api/2.0/webhooks/{uuid}/test, seed 001's
 * POST /api/web/v1/webhooks/test/{id}, the admin page's test button) run in
 * a process of its own, `webhookd --test --detach TEAM UUID EVENT_ID`,
 * which delivers through the deliver module, records the attempt exactly
 * as webhookd records any other, and prints the outcome as one JSON line
 * on its standard output.
 *
 * Why another process: libcurl is the FastCGI program's only reason to
 * carry libcurl and the dozen libraries it brings (TLS, HTTP/2, IDN,
 * Kerberos, LDAP, SSH, ...), about 4 MiB resident in every FastCGI process
 * for a request that is rare.  The daemon has them loaded anyway.
 *
 * Why detached, with a bounded wait: a receiver may take the whole delivery
 * timeout (up to 120 s) to answer, and a FastCGI process that waited for it
 * would serve no one else meanwhile; a few such tests would hold every
 * process of the server.  So the tester leaves the request's process group
 * at once (webhookd forks and its first process exits) and the request
 * waits for its answer DELIVER_TEST_WAIT_MS at most: if it came, the outcome is
 * answered as it always was (200); if not, the test goes on alone and the
 * request answers 202 with the delivery id, whose attempt is listed in the
 * webhook's deliveries once made (Svix's "send example", GitHub's ping).
 *
 * Tests in flight are capped per team (PROBE_PER_TEAM), across every
 * FastCGI process: a test holds a slot, an flock(2) on one of the files
 * $WEBHOOKS_HOME/spool/.test.TEAM.N, taken by the request and handed to
 * the tester as its descriptor 3.  The lock lives as long as the tester
 * holds that descriptor, so a slot frees itself when its tester ends, however
 * it ends; the tester also ends itself (SIGALRM) when the delivery timeout
 * plus DELIVER_TEST_SLACK_MS have passed.
 *
 * The webhookd program is found as: the setting `webhookd` (webhooks.conf,
 * WEBHOOKS_WEBHOOKD), else ../webhookd next to the running program (the
 * source tree: cgi-bin/webhooks.fcgi and ./webhookd), else the
 * $(PREFIX)/bin/webhookd of `make install`.
 */
#ifndef PROBE_H
#define PROBE_H

#include <stddef.h>

#include "cfg.h"
#include "delivery.h"

/* What probe_run found; each caller answers it in its own shape. */
enum probe_res {
	PROBE_OK = 0,		/* attempted within DELIVER_TEST_WAIT_MS: r
				   is the attempt, whatever its outcome */
	PROBE_PENDING,		/* started, not finished within
				   DELIVER_TEST_WAIT_MS: it goes on alone and
				   is recorded when done */
	PROBE_BUSY,		/* PROBE_PER_TEAM tests of the team are in
				   flight already */
	PROBE_NOTFOUND,		/* the webhook is gone (deleted meanwhile) */
	PROBE_NOSTART,		/* webhookd could not be started (not found,
				   not executable); logged */
	PROBE_FAILED		/* webhookd failed, answered nothing readable,
				   or no slot could be taken; logged */
};

/* The tester's exit codes and answer line, the request's wait
 * (DELIVER_TEST_WAIT_MS) and the tester's own limit are the protocol both
 * ends share: delivery.h. */

/* Tests of one team in flight at once, across every FastCGI process. */
#define PROBE_PER_TEAM		2
/* Bytes of the tester's answer read at most. */
#define PROBE_OUT_MAX		16384

/*
 * Takes a slot of team's and starts the tester on uuid with a new event,
 * whose delivery id goes into id; waits for its answer DELIVER_TEST_WAIT_MS at
 * most.  On PROBE_OK, r is the attempt and *store_res the store result of
 * recording it (r stands either way); on PROBE_PENDING, only id is known.
 * The tester gets no descriptor but /dev/null, the answer pipe, stderr (the
 * log) and its slot; the process started is always waited for (the tester
 * it leaves behind is not this process's child).
 */
enum probe_res probe_run(const struct cfg *, const char *team,
	    const char *uuid, char id[DELIVER_ID_LEN + 1],
	    struct deliver_result *r, int *store_res);
/* The HTTP status and message that answer a result other than PROBE_OK
 * and PROBE_PENDING (the API and the admin page say the same). */
int	probe_error(enum probe_res, const char **msg);
/* The Retry-After of a PROBE_BUSY answer, in seconds: the longest a test
 * holds its slot. */
int	probe_retry_after(const struct cfg *);

/*
 * The webhookd program to run into out (outlen bytes): 0, or -1 when none
 * of the places above holds an executable one (logged, with the places).
 */
int	 probe_webhookd(const struct cfg *, char *out, size_t outlen);

#endif /* PROBE_H */
