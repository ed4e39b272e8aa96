/*
 * deliver_retry: the parts of the deliver module (deliver.h) that need no
 * libcurl and that the FastCGI program uses: the delivery id and manual
 * retry.  They live apart from deliver.c so that the FastCGI program links
 * them without libcurl and the libraries it brings (see probe.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deliver.h"
#include "log.h"
#include "spool.h"
#include "util.h"

/* ---- identifiers ------------------------------------------------------- */

void
deliver_msg_id(const char *event_id, const char *webhook_uuid,
    char out[DELIVER_ID_LEN + 1])
{
	char	 s[SPOOL_ID_MAX + 64], hex[65];
	int	 n;

	n = snprintf(s, sizeof(s), "%s\n%s", event_id, webhook_uuid);
	if (n < 0 || (size_t)n >= sizeof(s))
		log_panic("deliver_msg_id: id too long");
	util_sha256_hex(s, (size_t)n, hex);
	memcpy(out, "msg_", 4);
	memcpy(out + 4, hex, 32);
	out[DELIVER_ID_LEN] = '\0';
}

/* ---- manual retry ------------------------------------------------------ */

int
deliver_id_valid(const char *s)
{
	size_t	 i;

	if (strncmp(s, "msg_", 4) != 0 || strlen(s) != DELIVER_ID_LEN)
		return 0;
	for (i = 4; i < DELIVER_ID_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' &&
		    s[i] <= 'f')))
			return 0;
	return 1;
}

int
deliver_requeue(struct store *st, struct spool *sp, const char *team,
    const char *id, const char *webhook, char *webhook_out, char *event_out,
    size_t event_outlen, int *store_res)
{
	struct spool_event	 ev;
	struct webhook		 w;
	char			*text = NULL, *out, err[128];
	char			 name[SPOOL_NAME_MAX + 1], check[DELIVER_ID_LEN + 1];
	size_t			 len;
	int			 rc, res = REQUEUE_NOTFOUND;

	memset(&ev, 0, sizeof(ev));
	if (!deliver_id_valid(id))
		return REQUEUE_NOTFOUND;
	/* A dead delivery, or one waiting for its next attempt. */
	if (spool_read_from(sp, SPOOL_DEAD, id, &text, &len) == -1 &&
	    spool_read_from(sp, SPOOL_DEFERRED, id, &text, &len) == -1)
		return spool_exists(sp, SPOOL_CUR, id) ? REQUEUE_BUSY :
		    REQUEUE_NOTFOUND;
	rc = spool_event_parse(text, len, id, util_now_ms(), &ev, err,
	    sizeof(err));
	free(text);
	if (rc == -1 || ev.webhook == NULL || strcmp(ev.team, team) != 0 ||
	    (webhook != NULL && strcmp(ev.webhook, webhook) != 0))
		goto out;
	deliver_msg_id(ev.id, ev.webhook, check);
	if (strcmp(check, id) != 0)
		goto out;
	if ((rc = webhook_get(st, team, ev.webhook, &w)) != STORE_OK) {
		*store_res = rc;
		res = rc == STORE_NOTFOUND ? REQUEUE_GONE : REQUEUE_STORE;
		goto out;
	}
	rc = w.active;
	webhook_free(&w);
	if (!rc) {
		res = REQUEUE_INACTIVE;
		goto out;
	}
	ev.manual = 1;
	out = spool_event_format(&ev);
	rc = spool_enqueue(sp, out, strlen(out), NULL, name);
	free(out);
	if (rc == -1) {
		res = REQUEUE_SPOOL;
		goto out;
	}
	if (webhook_out != NULL)
		snprintf(webhook_out, 37, "%s", ev.webhook);
	if (event_out != NULL)
		snprintf(event_out, event_outlen, "%s", ev.id);
	res = REQUEUE_OK;
out:
	spool_event_free(&ev);
	return res;
}
