/*
 * probe: the test delivery (POST /api/2.0/webhooks/{uuid}/test, seed 001's
 * POST /api/web/v1/webhooks/test/{id}, the admin page's test button) run in
 * a child process, `webhookd --test TEAM UUID`, which delivers through the
 * deliver module, records the attempt exactly as webhookd records any
 * other, and prints the outcome as one JSON line on its standard output.
 *
 * Why a child: libcurl is the FastCGI program's only reason to carry libcurl
 * and the dozen libraries it brings (TLS, HTTP/2, IDN, Kerberos, LDAP,
 * SSH, ...), about 4 MiB resident in every FastCGI process for a request
 * that is rare.  The daemon has them loaded anyway.
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
#include "deliver.h"

/* What probe_run found; each caller answers it in its own shape. */
enum probe_res {
	PROBE_OK = 0,		/* attempted: r is the attempt, whatever its
				   outcome */
	PROBE_NOTFOUND,		/* the webhook is gone (deleted meanwhile) */
	PROBE_NOSTART,		/* webhookd could not be started (not found,
				   not executable); logged */
	PROBE_FAILED,		/* webhookd failed or answered nothing
				   readable; logged */
	PROBE_TIMEOUT		/* webhookd did not answer in time and was
				   killed; logged */
};

/* webhookd --test exits with this when the webhook does not exist. */
#define PROBE_EXIT_NOTFOUND	3
/* The child gets the delivery timeout plus this much (opening the store,
 * recording the attempt) before it is killed. */
#define PROBE_SLACK_MS		5000
/* Bytes of the child's answer read at most. */
#define PROBE_OUT_MAX		16384

/*
 * Runs `webhookd --test team uuid` and waits for it (at most
 * cfg->timeout_ms + PROBE_SLACK_MS).  On PROBE_OK, r is the attempt and
 * *store_res the store result of recording it (r stands either way).  The
 * child gets no descriptor but /dev/null, the answer pipe and stderr (the
 * log); it is always waited for.
 */
enum probe_res probe_run(const struct cfg *, const char *team,
	    const char *uuid, struct deliver_result *r, int *store_res);
/* The HTTP status and message that answer a result other than PROBE_OK
 * (the API and the admin page say the same). */
int	probe_error(enum probe_res, const char **msg);

/*
 * The webhookd program to run into out (outlen bytes): 0, or -1 when none
 * of the places above holds an executable one (logged, with the places).
 */
int	 probe_webhookd(const struct cfg *, char *out, size_t outlen);

/* The child's answer: one line of JSON, newline included; the caller
 * frees it. */
char	*probe_format(const struct deliver_result *, int store_res);
/* Reads an answer made by probe_format into r and *store_res: 0, or -1 if
 * it is not one. */
int	 probe_parse(const char *text, struct deliver_result *r,
	    int *store_res);

#endif /* PROBE_H */
