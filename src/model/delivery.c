/*
 * delivery: a delivery as the model sees it (delivery.h): its id, the
 * record of an attempt, manual retry, and the test delivery's answer line.
 * No libcurl: the FastCGI program links it (the transfer is the daemon's
 * deliver.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "attempt.h"
#include "delivery.h"
#include "log.h"
#include "spool.h"
#include "util.h"
#include "webhook.h"
#include "webhook_outcome.h"

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

/* ---- recording attempts ------------------------------------------------ */

char *
deliver_attempt_pack(const struct deliver_attempt *a, char id[37],
    size_t *len)
{
	const struct deliver_result	*r = a->r;
	struct attempt_info		 i;

	/* Time-ordered, like the at_log.db key it ends. */
	util_uuid7(id);
	i.delivery_id = a->delivery_id;
	i.event_id = a->event_id;
	i.event_type = a->event_type;
	i.state = delivery_state_name(a->state);
	i.error = r->error;
	i.body = r->body;
	i.attempt = a->attempt;
	i.status = r->status;
	i.success = r->cls == DELIVER_DONE;
	i.manual = a->manual;
	i.latency_ms = r->latency_ms;
	i.next_ms = a->next_ms;
	return attempt_pack(&i, len);
}

int
deliver_log_attempt(struct store *st, const struct deliver_attempt *a)
{
	struct store_attempt	 sa;
	char			*rec, id[37];
	size_t			 len;
	int			 rc;

	rec = deliver_attempt_pack(a, id, &len);
	sa.uuid = a->webhook;
	sa.id = id;
	sa.at_ms = a->at_ms;
	sa.rec = rec;
	sa.len = len;
	rc = store_attempt_add_many(st, &sa, 1);
	free(rec);
	return rc;
}

int
deliver_note_outcome(struct store *st, const char *team, const char *uuid,
    const struct deliver_result *r, int64_t now_ms, int64_t fail_window_ms,
    int test, int *deactivated)
{
	struct webhook_outcome	 o;

	o.failed = r->cls != DELIVER_DONE;
	o.gone = r->gone;
	o.error = r->error;
	o.test = test;
	o.now_ms = now_ms;
	o.fail_window_ms = fail_window_ms;
	return webhook_record_outcome(st, team, uuid, &o, deactivated);
}

/* ---- manual retry ------------------------------------------------------ */

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

/* ---- the test delivery's answer (webhookd --test) ---------------------- */

static const char *const class_names[] = {
	[DELIVER_DONE] = "done",
	[DELIVER_TEMPORARY] = "temporary",
	[DELIVER_PERMANENT] = "permanent",
};

char *
deliver_result_format(const struct deliver_result *r, int store_res)
{
	struct buf	 b;

	buf_init(&b);
	buf_printf(&b, "{\"class\":\"%s\",\"status\":%d,\"latency_ms\":%lld,"
	    "\"retry_after_ms\":%lld,\"gone\":%s,\"store\":%d,\"error\":",
	    class_names[r->cls], r->status, (long long)r->latency_ms,
	    (long long)r->retry_after_ms, r->gone ? "true" : "false",
	    store_res);
	buf_json_str(&b, r->error);
	buf_puts(&b, ",\"body\":");
	buf_json_str(&b, r->body);
	buf_puts(&b, "}\n");
	return buf_take(&b);
}

/* Copies the string member key of j into out (outlen bytes): 0, or -1. */
static int
answer_str(json_object *j, const char *key, char *out, size_t outlen)
{
	json_object	*v;

	if (!json_object_object_get_ex(j, key, &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    (size_t)json_object_get_string_len(v) >= outlen)
		return -1;
	memcpy(out, json_object_get_string(v),
	    (size_t)json_object_get_string_len(v) + 1);
	return 0;
}

static int
answer_int(json_object *j, const char *key, int64_t *out)
{
	json_object	*v;

	if (!json_object_object_get_ex(j, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return -1;
	*out = json_object_get_int64(v);
	return 0;
}

int
deliver_result_parse(const char *text, struct deliver_result *r, int *store_res)
{
	json_object	*j, *v;
	char		 cls[16];
	int64_t		 status, store;
	size_t		 i;
	int		 rc = -1;

	memset(r, 0, sizeof(*r));
	if ((j = json_tokener_parse(text)) == NULL)
		return -1;
	if (!json_object_is_type(j, json_type_object) ||
	    answer_str(j, "class", cls, sizeof(cls)) == -1 ||
	    answer_int(j, "status", &status) == -1 ||
	    answer_int(j, "latency_ms", &r->latency_ms) == -1 ||
	    answer_int(j, "retry_after_ms", &r->retry_after_ms) == -1 ||
	    answer_int(j, "store", &store) == -1 ||
	    answer_str(j, "error", r->error, sizeof(r->error)) == -1 ||
	    answer_str(j, "body", r->body, sizeof(r->body)) == -1 ||
	    !json_object_object_get_ex(j, "gone", &v) ||
	    !json_object_is_type(v, json_type_boolean) ||
	    status < 0 || status > 999 || store < STORE_OK ||
	    store > STORE_FATAL)
		goto out;
	for (i = 0; i < sizeof(class_names) / sizeof(class_names[0]); i++)
		if (strcmp(cls, class_names[i]) == 0)
			break;
	if (i == sizeof(class_names) / sizeof(class_names[0]))
		goto out;
	r->cls = (enum deliver_class)i;
	r->status = (int)status;
	r->gone = json_object_get_boolean(v);
	*store_res = (int)store;
	rc = 0;
out:
	json_object_put(j);
	if (rc == -1)
		memset(r, 0, sizeof(*r));
	return rc;
}
