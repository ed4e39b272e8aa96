/*
 * idem: the answers kept for the Svix dialect's idempotency keys (idem.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "event.h"
#include "idem.h"
#include "log.h"
#include "util.h"

#define POLL_MS		25

enum rec_state { REC_FREE, REC_PENDING, REC_DONE };

/* What a record says at now: done (i's status and body set), pending, or
 * free (expired, unreadable). */
static enum rec_state
idem_state(const char *rec, int64_t now, struct idem *i)
{
	json_object	*j, *at, *v, *b;
	enum rec_state	 st = REC_FREE;
	int64_t		 age;

	if (rec == NULL || (j = json_tokener_parse(rec)) == NULL)
		return REC_FREE;
	if (!json_object_object_get_ex(j, "at", &at))
		goto out;
	age = now - json_object_get_int64(at);
	if (json_object_object_get_ex(j, "pending", &v)) {
		if (age < IDEM_PENDING_MS)
			st = REC_PENDING;
	} else if (age < IDEM_ANSWER_TTL_MS &&
	    json_object_object_get_ex(j, "status", &v) &&
	    json_object_object_get_ex(j, "body", &b)) {
		i->status = json_object_get_int(v);
		free(i->body);
		i->body = xstrdup(json_object_get_string(b));
		st = REC_DONE;
	}
out:
	json_object_put(j);
	return st;
}

static void
sleep_ms(int ms)
{
	struct timespec	 ts = { 0, ms * 1000000L };

	nanosleep(&ts, NULL);
}

enum idem_res
idem_begin(struct store *st, const char *who, const char *key,
    const char *path, struct idem *i, int *store_res)
{
	char		 pending[64], *old = NULL;
	int64_t		 start, now;
	int		 rc;

	memset(i, 0, sizeof(*i));
	*store_res = STORE_OK;
	if (key == NULL)
		return IDEM_FIRST;
	if (!event_key_ok(key))
		return IDEM_INVALID;
	i->skey = xasprintf("svix\n%s\n%s\n%s", who, path, key);
	start = now = util_now_ms();
	for (;;) {
		snprintf(pending, sizeof(pending),
		    "{\"at\":%lld,\"pending\":true}", (long long)now);
		rc = store_put_new(st, STORE_IDEMPOTENCY, i->skey, pending,
		    &old);
		if (rc == STORE_OK)
			return IDEM_FIRST;
		if (rc != STORE_EXISTS) {
			*store_res = rc;
			break;
		}
		switch (idem_state(old, now, i)) {
		case REC_DONE:
			free(old);
			return IDEM_REPLAY;
		case REC_FREE:
			/* Expired, or its first died: ours now. */
			free(old);
			old = NULL;
			if ((rc = store_put(st, STORE_IDEMPOTENCY, i->skey,
			    pending)) == STORE_OK)
				return IDEM_FIRST;
			*store_res = rc;
			goto fail;
		case REC_PENDING:
			break;
		}
		free(old);
		old = NULL;
		if ((now = util_now_ms()) - start >= IDEM_WAIT_MS) {
			idem_free(i);
			return IDEM_BUSY;
		}
		sleep_ms(POLL_MS);
		now = util_now_ms();
	}
fail:
	free(old);
	idem_free(i);
	return IDEM_STORE;
}

void
idem_end(struct store *st, struct idem *i, int status, const char *body)
{
	json_object	*j;
	int		 rc;

	if (i->skey == NULL)
		return;
	if (status >= 200 && status < 300) {
		j = json_object_new_object();
		json_object_object_add(j, "at",
		    json_object_new_int64(util_now_ms()));
		json_object_object_add(j, "status", json_object_new_int(status));
		json_object_object_add(j, "body",
		    json_object_new_string(body != NULL ? body : ""));
		rc = store_put(st, STORE_IDEMPOTENCY, i->skey,
		    json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
		json_object_put(j);
	} else
		rc = store_del(st, STORE_IDEMPOTENCY, i->skey);
	if (rc != STORE_OK && rc != STORE_NOTFOUND)
		log_warn("idem_end: the answer of an idempotency key not kept "
		    "(store result %d)", rc);
	idem_free(i);
}

void
idem_free(struct idem *i)
{
	free(i->skey);
	free(i->body);
	memset(i, 0, sizeof(*i));
}
