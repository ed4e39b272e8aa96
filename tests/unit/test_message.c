/*
 * Unit tests of the Svix dialect's messages (src/model/message.c over
 * src/store/store_msg.c, publishing through src/model/event.c): the
 * fan-out rule (event_reaches) as a table; a message created is stored
 * and its event is in the spool with its application, channels and the
 * svix mark, its id the "msg_" of the event's UUID; a taken eventId is
 * STORE_EXISTS; bad bodies name their fields; get by id and by eventId;
 * another application's message is not found; list order, pages and
 * filters; an endpoint's attempted messages and a message's attempted
 * endpoints (outcomes, Svix's status filter, pages both ways); expunge
 * (the payload gone, the spool's waiting copies withdrawn); send-example's
 * message to one endpoint; resend
 * writes a manual delivery file; pruning by age.  Each
 * test runs in its own temporary data directory (store and spool).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "delivery.h"
#include "endpoint.h"
#include "event.h"
#include "message.h"
#include "spool.h"
#include "store.h"
#include "util.h"
#include "webhook.h"
#define SPOOL_FIXTURE_STORE
#include "spool_fixture.h"
#include "json_fixture.h"

static void
test_reaches(void **state)
{
	char		*ab[] = { "a", "b" }, *c[] = { "c" }, *none[] = { NULL };
	static const struct {
		const char	*label;
		const char	*ev_app;
		int		 ev_ch;		/* 0 none, 1 {a, b}, 2 {c} */
		const char	*wh_app;
		int		 wh_ch;
		int		 want;
	} cases[] = {
		{ "native event, native webhook", NULL, 0, NULL, 0, 1 },
		{ "native event, endpoint", NULL, 0, "app_1", 0, 0 },
		{ "message, native webhook", "app_1", 0, NULL, 0, 0 },
		{ "message, its endpoint", "app_1", 0, "app_1", 0, 1 },
		{ "message, another app's endpoint", "app_1", 0, "app_2", 0, 0 },
		{ "channels, endpoint without", "app_1", 1, "app_1", 0, 1 },
		{ "channels shared", "app_1", 1, "app_1", 1, 1 },
		{ "channels not shared", "app_1", 1, "app_1", 2, 0 },
		{ "no channels, endpoint with", "app_1", 0, "app_1", 2, 0 },
	};
	struct spool_event	 ev;
	char			**chs[] = { none, ab, c };
	size_t			 nch[] = { 0, 2, 1 }, i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&ev, 0, sizeof(ev));
		ev.app = (char *)cases[i].ev_app;
		ev.channels = chs[cases[i].ev_ch];
		ev.nchannels = nch[cases[i].ev_ch];
		if (event_reaches(&ev, cases[i].wh_app, chs[cases[i].wh_ch],
		    nch[cases[i].wh_ch]) != cases[i].want)
			fail_msg("%s: not %d", cases[i].label, cases[i].want);
	}
}

/* A new application of team t: its id into id. */
static void
mkapp(struct fx *f, const char *uid, char *id)
{
	struct wh_errors errs;
	struct app	 a;
	json_object	*b;
	char		 text[128];
	int		 created;

	memset(&errs, 0, sizeof(errs));
	snprintf(text, sizeof(text), "{\"name\":\"n\",\"uid\":\"%s\"}", uid);
	b = body(text);
	assert_int_equal(app_create(f->st, "t", b, 0, &a, &created, &errs),
	    STORE_OK);
	strcpy(id, a.id);
	app_free(&a);
	json_object_put(b);
}

static int
create(struct fx *f, const char *app, const char *text, struct message *m,
    struct wh_errors *errs)
{
	json_object	*b = body(text);
	int		 rc;

	memset(errs, 0, sizeof(*errs));
	rc = message_create(f->st, f->sp, "t", app, b, m, errs);
	json_object_put(b);
	return rc;
}

/* The one file of new/ parsed into ev. */
static void
only_new(struct fx *f, struct spool_event *ev, char *name, size_t namelen)
{
	struct spool_ent *v;
	char		 err[128], *text;
	size_t		 n, len;

	assert_int_equal(spool_list(f->sp, SPOOL_NEW, &v, &n), 0);
	assert_int_equal(n, 1);
	snprintf(name, namelen, "%s", v[0].name);
	assert_int_equal(spool_read_from(f->sp, SPOOL_NEW, v[0].name, &text,
	    &len), 0);
	assert_int_equal(spool_event_parse(text, len, v[0].name, 1, ev, err,
	    sizeof(err)), 0);
	free(text);
	spool_list_free(v, n);
}

static void
test_create_get(void **state)
{
	struct fx		*f = *state;
	struct wh_errors	 errs;
	struct message		 m, g;
	struct spool_event	 ev;
	char			 app[APP_ID_MAX + 1], app2[APP_ID_MAX + 1];
	char			 uuid[37], name[SPOOL_NAME_MAX + 1];
	json_object		*j, *v;

	mkapp(f, "acme", app);
	mkapp(f, "other", app2);
	assert_int_equal(create(f, "acme", "{\"eventType\":\"order.paid\","
	    "\"payload\":{\"n\":1},\"eventId\":\"ev-1\",\"channels\":"
	    "[\"eu\",\"vip\"]}", &m, &errs), STORE_OK);
	assert_memory_equal(m.id, "msg_", 4);
	assert_int_equal(strlen(m.id), 4 + APP_UUID_B62);
	assert_int_equal(app_uuid_from_id("msg_", m.id, uuid), 0);
	assert_string_equal(uuid, m.uuid);
	assert_string_equal(m.app, app);

	/* The event in the spool: the message's UUID, app, channels, svix,
	 * the payload as its data. */
	only_new(f, &ev, name, sizeof(name));
	assert_string_equal(ev.id, m.uuid);
	assert_string_equal(ev.team, "t");
	assert_string_equal(ev.type, "order.paid");
	assert_string_equal(ev.app, app);
	assert_int_equal(ev.svix, 1);
	assert_int_equal(ev.nchannels, 2);
	assert_string_equal(ev.channels[0], "eu");
	assert_string_equal(ev.data_text, "{\"n\":1}");
	spool_event_free(&ev);

	/* MessageOut. */
	j = message_to_json(&m, 1);
	assert_true(json_object_object_get_ex(j, "eventId", &v));
	assert_string_equal(json_object_get_string(v), "ev-1");
	assert_true(json_object_object_get_ex(j, "payload", &v));
	assert_string_equal(json_object_to_json_string_ext(v,
	    JSON_C_TO_STRING_PLAIN), "{\"n\":1}");
	assert_true(json_object_object_get_ex(j, "timestamp", &v));
	assert_int_equal(strlen(json_object_get_string(v)), 24);
	json_object_put(j);
	j = message_to_json(&m, 0);
	assert_true(json_object_object_get_ex(j, "payload", &v));
	assert_int_equal(json_object_object_length(v), 0);
	json_object_put(j);

	/* Get by id, by eventId, through the uid or the id of the app. */
	assert_int_equal(message_get(f->st, "t", "acme", m.id, &g), STORE_OK);
	assert_string_equal(g.event_type, "order.paid");
	assert_int_equal(g.nchannels, 2);
	message_free(&g);
	assert_int_equal(message_get(f->st, "t", app, "ev-1", &g), STORE_OK);
	assert_string_equal(g.id, m.id);
	message_free(&g);
	/* Another application's, another team's, no such app. */
	assert_int_equal(message_get(f->st, "t", "other", m.id, &g),
	    STORE_NOTFOUND);
	assert_int_equal(message_get(f->st, "u", app, m.id, &g),
	    STORE_NOTFOUND);
	assert_int_equal(message_get(f->st, "t", "nope", m.id, &g),
	    STORE_NOTFOUND);

	/* The eventId is the application's: taken here, free there; nothing
	 * more in the spool for the refused one. */
	assert_int_equal(spool_remove(f->sp, SPOOL_NEW, name), 0);
	assert_int_equal(create(f, app, "{\"eventType\":\"x\",\"payload\":{},"
	    "\"eventId\":\"ev-1\"}", &g, &errs), STORE_EXISTS);
	assert_false(spool_exists(f->sp, SPOOL_NEW, name));
	assert_int_equal(create(f, app2, "{\"eventType\":\"x\",\"payload\":{},"
	    "\"eventId\":\"ev-1\"}", &g, &errs), STORE_OK);
	message_free(&g);
	message_free(&m);
}

static void
test_invalid(void **state)
{
	static const struct {
		const char	*body;
		const char	*field;
	} cases[] = {
		{ "{\"payload\":{}}", "eventType" },
		{ "{\"eventType\":\"a b\",\"payload\":{}}", "eventType" },
		{ "{\"eventType\":7,\"payload\":{}}", "eventType" },
		{ "{\"eventType\":\"x\"}", "payload" },
		{ "{\"eventType\":\"x\",\"payload\":[1]}", "payload" },
		{ "{\"eventType\":\"x\",\"payload\":{},\"eventId\":\"a/b\"}",
		  "eventId" },
		{ "{\"eventType\":\"x\",\"payload\":{},\"eventId\":\"\"}",
		  "eventId" },
		{ "{\"eventType\":\"x\",\"payload\":{},\"channels\":\"a\"}",
		  "channels" },
		{ "{\"eventType\":\"x\",\"payload\":{},\"channels\":[\"a b\"]}",
		  "channels" },
		/* The endpoints' channel rule (Svix's): no ':', which no
		 * endpoint could subscribe to; a NUL cuts nothing short. */
		{ "{\"eventType\":\"x\",\"payload\":{},\"channels\":"
		  "[\"project:1\"]}", "channels" },
		{ "{\"eventType\":\"x\",\"payload\":{},\"channels\":"
		  "[\"eu\\u0000x\"]}", "channels" },
		{ "{\"eventType\":\"x\",\"payload\":{},\"eventId\":"
		  "\"e1\\u0000x\"}", "eventId" },
		{ "{\"eventType\":\"x\",\"payload\":{},\"channels\":[\"1\",\"2\","
		  "\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\",\"10\",\"11\"]}",
		  "channels" },
	};
	struct fx		*f = *state;
	struct wh_errors	 errs;
	struct message		 m;
	struct spool_ent	*v;
	char			 app[APP_ID_MAX + 1];
	size_t			 i, n;

	mkapp(f, "acme", app);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (create(f, "acme", cases[i].body, &m, &errs) != APP_INVALID)
			fail_msg("case %zu accepted", i);
		assert_true(errs.count >= 1);
		assert_string_equal(errs.e[0].field, cases[i].field);
	}
	/* Nothing stored, nothing queued. */
	assert_int_equal(spool_list(f->sp, SPOOL_NEW, &v, &n), 0);
	assert_int_equal(n, 0);
	spool_list_free(v, n);
	/* No such application. */
	assert_int_equal(create(f, "nope", "{\"eventType\":\"x\",\"payload\":"
	    "{}}", &m, &errs), STORE_NOTFOUND);
}

static void
test_list(void **state)
{
	struct fx		*f = *state;
	struct wh_errors	 errs;
	struct message		 m, *ms;
	struct message_filter	 flt;
	char			 app[APP_ID_MAX + 1], ids[7][APP_ID_MAX + 1];
	char			 text[160], *types[] = { "b.x" };
	size_t			 n, i;
	int			 more;

	mkapp(f, "acme", app);
	for (i = 0; i < 7; i++) {
		snprintf(text, sizeof(text), "{\"eventType\":\"%s\",\"payload\":"
		    "{\"i\":%zu}%s}", i % 2 ? "b.x" : "a.x", i,
		    i < 2 ? ",\"channels\":[\"eu\"]" : "");
		assert_int_equal(create(f, app, text, &m, &errs), STORE_OK);
		strcpy(ids[i], m.id);
		message_free(&m);
	}
	/* Ascending pages of 3, and on from the last. */
	assert_int_equal(message_list(f->st, "t", app, NULL, 0, 3, NULL, &ms,
	    &n, &more), STORE_OK);
	assert_int_equal(n, 3);
	assert_int_equal(more, 1);
	assert_string_equal(ms[0].id, ids[0]);
	assert_string_equal(ms[2].id, ids[2]);
	for (i = 0; i < n; i++)
		message_free(&ms[i]);
	free(ms);
	assert_int_equal(message_list(f->st, "t", app, ids[5], 0, 3, NULL, &ms,
	    &n, &more), STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(more, 0);
	assert_string_equal(ms[0].id, ids[6]);
	message_free(&ms[0]);
	free(ms);
	/* Newest first; backwards from ids[2] ("-" iterator). */
	assert_int_equal(message_list(f->st, "t", app, NULL, 1, 2, NULL, &ms,
	    &n, &more), STORE_OK);
	assert_string_equal(ms[0].id, ids[6]);
	assert_string_equal(ms[1].id, ids[5]);
	for (i = 0; i < n; i++)
		message_free(&ms[i]);
	free(ms);
	snprintf(text, sizeof(text), "-%s", ids[2]);
	assert_int_equal(message_list(f->st, "t", app, text, 0, 5, NULL, &ms,
	    &n, &more), STORE_OK);
	assert_int_equal(n, 2);
	assert_string_equal(ms[0].id, ids[0]);
	assert_string_equal(ms[1].id, ids[1]);
	for (i = 0; i < n; i++)
		message_free(&ms[i]);
	free(ms);
	/* Filters: a channel, event types, a page of the kept ones. */
	memset(&flt, 0, sizeof(flt));
	flt.channel = "eu";
	assert_int_equal(message_list(f->st, "t", app, NULL, 0, 50, &flt, &ms,
	    &n, &more), STORE_OK);
	assert_int_equal(n, 2);
	for (i = 0; i < n; i++)
		message_free(&ms[i]);
	free(ms);
	memset(&flt, 0, sizeof(flt));
	flt.types = types;
	flt.ntypes = 1;
	assert_int_equal(message_list(f->st, "t", app, NULL, 0, 2, &flt, &ms,
	    &n, &more), STORE_OK);
	assert_int_equal(n, 2);
	assert_int_equal(more, 1);
	assert_string_equal(ms[0].id, ids[1]);
	assert_string_equal(ms[1].id, ids[3]);
	for (i = 0; i < n; i++)
		message_free(&ms[i]);
	free(ms);
	flt.before_ms = 1;	/* before 1970: none */
	assert_int_equal(message_list(f->st, "t", app, NULL, 0, 50, &flt, &ms,
	    &n, &more), STORE_OK);
	assert_int_equal(n, 0);
	free(ms);
	/* Pruning: none is older than a minute ago, all older than later. */
	assert_int_equal(message_prune(f->st, util_now_ms() - 60000, &n),
	    STORE_OK);
	assert_int_equal(n, 0);
	assert_int_equal(message_prune(f->st, util_now_ms() + 1000, &n),
	    STORE_OK);
	assert_int_equal(n, 7);
	assert_int_equal(message_list(f->st, "t", app, NULL, 0, 50, NULL, &ms,
	    &n, &more), STORE_OK);
	assert_int_equal(n, 0);
	free(ms);
}

/* An endpoint of app at url into w. */
static void
mkep(struct fx *f, const char *app, struct webhook *w)
{
	struct wh_errors errs;
	json_object	*b = body("{\"url\":\"https://example.com/hook\"}");

	memset(&errs, 0, sizeof(errs));
	assert_int_equal(endpoint_create(f->st, "t", app, b, w, &errs),
	    STORE_OK);
	json_object_put(b);
}

/* Logs an attempt of message m at webhook w: ok, or a failure with a
 * retry due (retrying) or none. */
static void
attempt(struct fx *f, const struct message *m, const struct webhook *w,
    int64_t at, int ok, int retrying)
{
	struct deliver_attempt	 a;
	struct deliver_result	 r;
	char			 id[DELIVER_ID_LEN + 1];

	memset(&r, 0, sizeof(r));
	r.cls = ok ? DELIVER_DONE : DELIVER_TEMPORARY;
	r.status = ok ? 200 : 500;
	r.retry_after_ms = -1;
	deliver_msg_id(m->uuid, w->uuid, id);
	memset(&a, 0, sizeof(a));
	a.delivery_id = id;
	a.event_id = m->uuid;
	a.event_type = m->event_type;
	a.webhook = w->uuid;
	a.attempt = 1;
	a.at_ms = at;
	a.r = &r;
	a.state = ok ? DELIVERY_DONE : retrying ? DELIVERY_RETRYING :
	    DELIVERY_DEAD;
	a.next_ms = retrying ? at + 60000 : 0;
	assert_int_equal(deliver_log_attempt(f->st, &a), STORE_OK);
}

/*
 * An endpoint's attempted messages (newest first, the latest attempt's
 * outcome, Svix's status filter, pages both ways, the message filter) and
 * a message's attempted endpoints (endpoint id order, pages).
 */
static void
test_attempted(void **state)
{
	struct fx		*f = *state;
	struct wh_errors	 errs;
	struct message		 m[3];
	struct webhook		 e1, e2;
	struct msg_attempted	*v;
	struct message_filter	 flt;
	char			 app[APP_ID_MAX + 1], it[APP_ID_MAX + 2];
	char			 ep1[APP_ID_MAX + 1], ep2[APP_ID_MAX + 1];
	char			*types[] = { "b.x" };
	const int		 want[4][3] = {	/* kept by status 0..3 */
		{ 1, 0, 0 }, { 0, 0, 0 }, { 0, 0, 1 }, { 0, 1, 0 } };
	size_t			 n, i, k;
	int			 more, s;
	int64_t			 t0 = util_now_ms();

	mkapp(f, "acme", app);
	mkep(f, app, &e1);
	mkep(f, app, &e2);
	endpoint_id(&e1, ep1);
	endpoint_id(&e2, ep2);
	for (i = 0; i < 3; i++)
		assert_int_equal(create(f, app, i == 1 ?
		    "{\"eventType\":\"b.x\",\"payload\":{}}" :
		    "{\"eventType\":\"a.x\",\"payload\":{}}", &m[i], &errs),
		    STORE_OK);
	/* At e1: m0 failed, then succeeded; m1 failed, a retry due; m2
	 * failed for good.  At e2: m0 failed, a retry due. */
	attempt(f, &m[0], &e1, t0, 0, 0);
	attempt(f, &m[0], &e1, t0 + 1, 1, 0);
	attempt(f, &m[1], &e1, t0 + 2, 0, 1);
	attempt(f, &m[2], &e1, t0 + 3, 0, 0);
	attempt(f, &m[0], &e2, t0 + 4, 0, 1);

	assert_int_equal(message_attempted(f->st, "t", "acme", ep1, NULL, 50,
	    NULL, -1, &v, &n, &more, &errs), STORE_OK);
	assert_int_equal(n, 3);
	assert_int_equal(more, 0);
	assert_string_equal(v[0].m.id, m[2].id);
	assert_int_equal(v[0].status, 2);
	assert_string_equal(v[0].next, "");
	assert_string_equal(v[1].m.id, m[1].id);
	assert_int_equal(v[1].status, 3);
	assert_int_equal(strlen(v[1].next), 24);
	assert_string_equal(v[2].m.id, m[0].id);
	assert_int_equal(v[2].status, 0);
	message_attempted_free(v, n);

	/* Svix's status filter: each keeps its one message, 1 none. */
	for (s = 0; s < 4; s++) {
		assert_int_equal(message_attempted(f->st, "t", app, ep1, NULL,
		    50, NULL, s, &v, &n, &more, &errs), STORE_OK);
		for (i = 0, k = 0; i < 3; i++)
			k += (size_t)want[s][i];
		assert_int_equal(n, k);
		for (i = 0; i < n; i++) {
			assert_int_equal(v[i].status, s);
			for (k = 0; k < 3 && strcmp(v[i].m.id, m[k].id); k++)
				;
			assert_true(k < 3 && want[s][k]);
		}
		message_attempted_free(v, n);
	}

	/* Pages of one: onwards, then back from the second. */
	assert_int_equal(message_attempted(f->st, "t", app, ep1, NULL, 1, NULL,
	    -1, &v, &n, &more, &errs), STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(more, 1);
	assert_string_equal(v[0].m.id, m[2].id);
	message_attempted_free(v, n);
	assert_int_equal(message_attempted(f->st, "t", app, ep1, m[2].id, 1,
	    NULL, -1, &v, &n, &more, &errs), STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(more, 1);
	assert_string_equal(v[0].m.id, m[1].id);
	message_attempted_free(v, n);
	snprintf(it, sizeof(it), "-%s", m[0].id);
	assert_int_equal(message_attempted(f->st, "t", app, ep1, it, 5, NULL,
	    -1, &v, &n, &more, &errs), STORE_OK);
	assert_int_equal(n, 2);
	assert_int_equal(more, 0);
	assert_string_equal(v[0].m.id, m[2].id);
	assert_string_equal(v[1].m.id, m[1].id);
	message_attempted_free(v, n);

	/* The message filter: event types. */
	memset(&flt, 0, sizeof(flt));
	flt.types = types;
	flt.ntypes = 1;
	assert_int_equal(message_attempted(f->st, "t", app, ep1, NULL, 50,
	    &flt, -1, &v, &n, &more, &errs), STORE_OK);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].m.id, m[1].id);
	message_attempted_free(v, n);

	/* e2: m0 alone, sending; a bad iterator; no such endpoint. */
	assert_int_equal(message_attempted(f->st, "t", app, ep2, NULL, 50,
	    NULL, -1, &v, &n, &more, &errs), STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].status, 3);
	message_attempted_free(v, n);
	memset(&errs, 0, sizeof(errs));
	assert_int_equal(message_attempted(f->st, "t", app, ep2, "nope", 50,
	    NULL, -1, &v, &n, &more, &errs), APP_INVALID);
	assert_int_equal(errs.count, 1);
	assert_int_equal(message_attempted(f->st, "t", app, "ep_nope", NULL,
	    50, NULL, -1, &v, &n, &more, &errs), STORE_NOTFOUND);

	/* m0's destinations: e1 (success) then e2 (fail, a retry due),
	 * by endpoint id; pages of one. */
	assert_int_equal(message_destinations(f->st, "t", app, m[0].id, NULL,
	    50, &v, &n, &more, &errs), STORE_OK);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].w.uuid, e1.uuid);
	assert_int_equal(v[0].status, 0);
	assert_string_equal(v[0].next, "");
	assert_string_equal(v[1].w.uuid, e2.uuid);
	assert_int_equal(v[1].status, 2);
	assert_int_equal(strlen(v[1].next), 24);
	message_attempted_free(v, n);
	assert_int_equal(message_destinations(f->st, "t", app, m[0].id, NULL,
	    1, &v, &n, &more, &errs), STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(more, 1);
	assert_string_equal(v[0].w.uuid, e1.uuid);
	message_attempted_free(v, n);
	assert_int_equal(message_destinations(f->st, "t", app, m[0].id, ep1,
	    1, &v, &n, &more, &errs), STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(more, 0);
	assert_string_equal(v[0].w.uuid, e2.uuid);
	message_attempted_free(v, n);
	snprintf(it, sizeof(it), "-%s", ep2);
	assert_int_equal(message_destinations(f->st, "t", app, m[0].id, it,
	    5, &v, &n, &more, &errs), STORE_OK);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].w.uuid, e1.uuid);
	message_attempted_free(v, n);
	/* m2 reached e1 alone; no such message. */
	assert_int_equal(message_destinations(f->st, "t", app, m[2].id, NULL,
	    50, &v, &n, &more, &errs), STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].status, 2);
	message_attempted_free(v, n);
	assert_int_equal(message_destinations(f->st, "t", app, "msg_nope",
	    NULL, 50, &v, &n, &more, &errs), STORE_NOTFOUND);

	for (i = 0; i < 3; i++)
		message_free(&m[i]);
	webhook_free(&e1);
	webhook_free(&e2);
}

/*
 * Expunge: the payload read back as {"expired": true} (the eventId kept),
 * the event's file in new/ and its deliveries in deferred/ and dead/
 * withdrawn, another message's left; resend refused; twice is fine.
 */
static void
test_expunge(void **state)
{
	struct fx		*f = *state;
	struct wh_errors	 errs;
	struct message		 m, m2, g;
	struct webhook		 e1;
	struct spool_ent	*v;
	json_object		*j, *p;
	char			 app[APP_ID_MAX + 1], ep1[APP_ID_MAX + 1];
	char			 id[DELIVER_ID_LEN + 1], id2[DELIVER_ID_LEN + 1];
	size_t			 n, k;

	mkapp(f, "acme", app);
	mkep(f, app, &e1);
	endpoint_id(&e1, ep1);
	assert_int_equal(create(f, app, "{\"eventType\":\"a.x\",\"payload\":"
	    "{\"secret\":\"s\"},\"eventId\":\"e-1\"}", &m, &errs), STORE_OK);
	assert_int_equal(create(f, app, "{\"eventType\":\"a.x\",\"payload\":"
	    "{\"n\":2}}", &m2, &errs), STORE_OK);
	deliver_msg_id(m.uuid, e1.uuid, id);
	deliver_msg_id(m2.uuid, e1.uuid, id2);
	assert_int_equal(spool_write(f->sp, SPOOL_DEFERRED, id, "{}", 2, 0), 0);
	assert_int_equal(spool_write(f->sp, SPOOL_DEAD, id, "{}", 2, 0), 0);
	assert_int_equal(spool_write(f->sp, SPOOL_DEFERRED, id2, "{}", 2, 0),
	    0);

	assert_int_equal(message_expunge(f->st, f->sp, "t", "acme", m.id, &n),
	    STORE_OK);
	assert_int_equal(n, 3);
	assert_false(spool_exists(f->sp, SPOOL_DEFERRED, id));
	assert_false(spool_exists(f->sp, SPOOL_DEAD, id));
	assert_true(spool_exists(f->sp, SPOOL_DEFERRED, id2));
	/* new/ keeps m2's event alone. */
	assert_int_equal(spool_list_names(f->sp, SPOOL_NEW, &v, &k), 0);
	assert_int_equal(k, 1);
	assert_non_null(strstr(v[0].name, m2.uuid));
	spool_list_free(v, k);

	assert_int_equal(message_get(f->st, "t", app, "e-1", &g), STORE_OK);
	assert_string_equal(g.id, m.id);
	assert_int_equal(g.expunged, 1);
	j = message_to_json(&g, 1);
	assert_true(json_object_object_get_ex(j, "payload", &p));
	assert_string_equal(json_object_to_json_string_ext(p,
	    JSON_C_TO_STRING_PLAIN), "{\"expired\":true}");
	json_object_put(j);
	message_free(&g);
	assert_int_equal(message_get(f->st, "t", app, m2.id, &g), STORE_OK);
	assert_int_equal(g.expunged, 0);
	message_free(&g);

	assert_int_equal(message_resend(f->st, f->sp, "t", app, m.id, ep1),
	    MSG_EXPUNGED);
	assert_int_equal(message_expunge(f->st, f->sp, "t", app, "e-1", &n),
	    STORE_OK);
	assert_int_equal(n, 0);
	assert_int_equal(message_expunge(f->st, f->sp, "t", app, "msg_nope",
	    &n), STORE_NOTFOUND);
	assert_int_equal(message_expunge(f->st, f->sp, "t", "nope", m.id, &n),
	    STORE_NOTFOUND);
	message_free(&m);
	message_free(&m2);
	webhook_free(&e1);
}

/*
 * send-example's message: stored, and a delivery file for the one
 * endpoint named after the event; nothing queued for a disabled one.
 */
static void
test_send_to(void **state)
{
	struct fx		*f = *state;
	struct message		 m, g;
	struct webhook		 e1, e2;
	struct spool_event	 ev;
	struct wh_errors	 errs;
	json_object		*p = body("{\"k\":1}"), *b;
	char			 app[APP_ID_MAX + 1], ep1[APP_ID_MAX + 1];
	char			 ep2[APP_ID_MAX + 1], name[SPOOL_NAME_MAX + 1];

	mkapp(f, "acme", app);
	mkep(f, app, &e1);
	endpoint_id(&e1, ep1);
	b = body("{\"url\":\"https://example.com/x\",\"disabled\":true}");
	memset(&errs, 0, sizeof(errs));
	assert_int_equal(endpoint_create(f->st, "t", app, b, &e2, &errs),
	    STORE_OK);
	json_object_put(b);
	endpoint_id(&e2, ep2);

	assert_int_equal(message_send_to(f->st, f->sp, "t", "acme", ep1,
	    "a.x", p, &m), STORE_OK);
	only_new(f, &ev, name, sizeof(name));
	assert_non_null(strstr(name, m.uuid));
	assert_string_equal(ev.id, m.uuid);
	assert_string_equal(ev.webhook, e1.uuid);
	assert_string_equal(ev.app, app);
	assert_string_equal(ev.type, "a.x");
	assert_int_equal(ev.svix, 1);
	assert_int_equal(ev.manual, 0);
	assert_int_equal(ev.attempt, 0);
	assert_string_equal(ev.data_text, "{\"k\":1}");
	spool_event_free(&ev);
	assert_int_equal(message_get(f->st, "t", app, m.id, &g), STORE_OK);
	assert_string_equal(json_object_to_json_string_ext(g.payload,
	    JSON_C_TO_STRING_PLAIN), "{\"k\":1}");
	message_free(&g);
	message_free(&m);

	/* Disabled: stored, not queued (new/ still holds the one). */
	assert_int_equal(message_send_to(f->st, f->sp, "t", app, ep2, "a.x", p,
	    &m), STORE_OK);
	only_new(f, &ev, name, sizeof(name));
	spool_event_free(&ev);
	assert_int_equal(message_get(f->st, "t", app, m.id, &g), STORE_OK);
	message_free(&g);
	message_free(&m);
	assert_int_equal(message_send_to(f->st, f->sp, "t", app, "ep_nope",
	    "a.x", p, &m), STORE_NOTFOUND);
	assert_int_equal(message_send_to(f->st, f->sp, "t", "nope", ep1,
	    "a.x", p, &m), STORE_NOTFOUND);
	json_object_put(p);
	webhook_free(&e1);
	webhook_free(&e2);
}

static void
test_store_eventid_freed(void **state)
{
	struct fx	*f = *state;
	char		*json;

	/* A removed message frees its eventId. */
	assert_int_equal(store_msg_create(f->st, "t", "app_1", "msg_1", "e",
	    "{}"), STORE_OK);
	assert_int_equal(store_msg_create(f->st, "t", "app_1", "msg_2", "e",
	    "{}"), STORE_EXISTS);
	assert_int_equal(store_msg_get(f->st, "t", "app_1", "e", 1, &json),
	    STORE_OK);
	free(json);
	assert_int_equal(store_msg_delete(f->st, "t", "app_1", "msg_1"),
	    STORE_OK);
	assert_int_equal(store_msg_get(f->st, "t", "app_1", "e", 1, &json),
	    STORE_NOTFOUND);
	assert_int_equal(store_msg_create(f->st, "t", "app_1", "msg_2", "e",
	    "{}"), STORE_OK);
	/* A message without an eventId. */
	assert_int_equal(store_msg_create(f->st, "t", "app_1", "msg_3", NULL,
	    "{}"), STORE_OK);
	assert_int_equal(store_msg_get(f->st, "t", "app_1", "", 1, &json),
	    STORE_NOTFOUND);
}

static void
test_app_delete(void **state)
{
	struct fx		*f = *state;
	struct wh_errors	 errs;
	struct message		 m;
	char			 app[APP_ID_MAX + 1], app2[APP_ID_MAX + 1];
	char			**recs, *json;
	size_t			 n;

	mkapp(f, "gone", app);
	mkapp(f, "stays", app2);
	assert_int_equal(create(f, app, "{\"eventType\":\"x\",\"payload\":{},"
	    "\"eventId\":\"e1\"}", &m, &errs), STORE_OK);
	message_free(&m);
	assert_int_equal(create(f, app, "{\"eventType\":\"x\",\"payload\":{}}",
	    &m, &errs), STORE_OK);
	message_free(&m);
	assert_int_equal(create(f, app2, "{\"eventType\":\"x\",\"payload\":{},"
	    "\"eventId\":\"e1\"}", &m, &errs), STORE_OK);
	message_free(&m);
	/* By its uid: the application and its messages, not another's. */
	assert_int_equal(app_delete(f->st, "t", "gone"), STORE_OK);
	assert_int_equal(store_msg_list(f->st, "t", app, NULL, 0, 10, &recs,
	    &n), STORE_OK);
	assert_int_equal(n, 0);
	free(recs);
	assert_int_equal(store_msg_get(f->st, "t", app, "e1", 1, &json),
	    STORE_NOTFOUND);
	assert_int_equal(store_msg_get(f->st, "t", app2, "e1", 1, &json),
	    STORE_OK);
	free(json);
	assert_int_equal(app_delete(f->st, "t", "gone"), STORE_NOTFOUND);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reaches),
		cmocka_unit_test_setup_teardown(test_create_get, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attempted, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_expunge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_to, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_eventid_freed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_app_delete, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
