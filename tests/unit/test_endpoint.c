/*
 * Unit tests of the Svix dialect's endpoints (src/model/endpoint.c over
 * src/store/store_app.c's endpoint index): an endpoint is a webhook of the
 * team with its application; create / get by id and by uid / put / patch /
 * delete, the event-type catalog check, uids unique within an application
 * (free again once the endpoint is gone), another team's or application's
 * endpoint not found, list pages in both orders and backwards, headers,
 * rotation keeping the old secret, and an application's delete removing
 * its endpoints' webhooks.  Each store test runs in its own directory.
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
#include "endpoint.h"
#include "event_type.h"
#include "store.h"
#include "util.h"
#include "webhook.h"
#include "store_fixture.h"
#include "json_fixture.h"

/* An application of team with uid, and the event types a.b and c.d. */
static void
make_app(struct store *s, const char *team, const char *uid, char *id)
{
	struct wh_errors errs;
	struct evtype	 e;
	struct app	 a;
	json_object	*j;
	char		 text[128];
	int		 created;

	memset(&errs, 0, sizeof(errs));
	snprintf(text, sizeof(text), "{\"name\":\"n\",\"uid\":\"%s\"}", uid);
	j = body(text);
	assert_int_equal(app_create(s, team, j, 0, &a, &created, &errs),
	    STORE_OK);
	json_object_put(j);
	strcpy(id, a.id);
	app_free(&a);
	j = body("{\"name\":\"a.b\",\"description\":\"x\"}");
	if (evtype_create(s, team, j, &e, &errs) == STORE_OK)
		evtype_free(&e);
	json_object_put(j);
	j = body("{\"name\":\"c.d\",\"description\":\"x\"}");
	if (evtype_create(s, team, j, &e, &errs) == STORE_OK)
		evtype_free(&e);
	json_object_put(j);
}

static int
create(struct store *s, const char *team, const char *app, const char *text,
    struct webhook *w, struct wh_errors *errs)
{
	json_object	*j = body(text);
	int		 rc;

	memset(errs, 0, sizeof(*errs));
	rc = endpoint_create(s, team, app, j, w, errs);
	json_object_put(j);
	return rc;
}

/* 1 if errs names field. */
static int
names(const struct wh_errors *errs, const char *field)
{
	size_t	 i;

	for (i = 0; i < errs->n; i++)
		if (strcmp(errs->e[i].field, field) == 0)
			return 1;
	return 0;
}

static void
test_uid_rule(void **state)
{
	char	 long_uid[300];

	(void)state;
	assert_true(endpoint_uid_ok("a"));
	assert_true(endpoint_uid_ok("A-z_0.9"));
	assert_false(endpoint_uid_ok(""));
	assert_false(endpoint_uid_ok("ep_x"));
	assert_false(endpoint_uid_ok("a b"));
	assert_false(endpoint_uid_ok("a/b"));
	memset(long_uid, 'x', 256);
	long_uid[256] = '\0';
	assert_true(endpoint_uid_ok(long_uid));
	long_uid[256] = 'x';
	long_uid[257] = '\0';
	assert_false(endpoint_uid_ok(long_uid));
}

static void
test_crud(void **state)
{
	struct fx	*fx = *state;
	struct wh_errors errs;
	struct webhook	 w, g, n;
	json_object	*j, *o, *v;
	char		 app[APP_ID_MAX + 1], app2[APP_ID_MAX + 1];
	char		 id[APP_ID_MAX + 1], uuid[37];
	int		 created;

	make_app(fx->s, "t1", "acme", app);
	make_app(fx->s, "t1", "other", app2);
	assert_int_equal(create(fx->s, "t1", "acme", "{\"url\":"
	    "\"https://e.com/h\",\"uid\":\"ep-1\",\"description\":\"Hook\","
	    "\"filterTypes\":[\"a.b\"],\"channels\":[\"c1\",\"c1\",\"c2\"],"
	    "\"metadata\":{\"k\":\"v\"},\"rateLimit\":7,\"headers\":"
	    "{\"X-A\":\"1\"},\"secret\":\"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\","
	    "\"version\":1,\"unknown\":true}", &w, &errs), STORE_OK);
	/* The webhook: its uuid version 7, the application, the fields. */
	assert_int_equal(w.uuid[14], '7');
	assert_string_equal(w.app, app);
	assert_string_equal(w.team, "t1");
	assert_string_equal(w.name, "Hook");
	assert_string_equal(w.description, "Hook");
	assert_string_equal(w.uid, "ep-1");
	assert_int_equal(w.nevents, 1);
	assert_string_equal(w.events[0], "a.b");
	assert_int_equal(w.nchannels, 2);
	assert_int_equal(w.rate_limit, 7);
	assert_int_equal(w.nheaders, 1);
	assert_string_equal(w.token, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
	assert_true(w.active);
	endpoint_id(&w, id);
	assert_int_equal(strlen(id), 3 + APP_UUID_B62);
	assert_int_equal(app_uuid_from_id("ep_", id, uuid), 0);
	assert_string_equal(uuid, w.uuid);
	/* EndpointOut: both spellings of the types and the rate. */
	o = endpoint_to_json(&w);
	assert_true(json_object_object_get_ex(o, "id", &v));
	assert_string_equal(json_object_get_string(v), id);
	assert_true(json_object_object_get_ex(o, "filterTypes", &v));
	assert_int_equal(json_object_array_length(v), 1);
	assert_true(json_object_object_get_ex(o, "eventTypes", &v));
	assert_int_equal(json_object_array_length(v), 1);
	assert_true(json_object_object_get_ex(o, "throttleRate", &v));
	assert_int_equal(json_object_get_int(v), 7);
	assert_true(json_object_object_get_ex(o, "disabled", &v));
	assert_false(json_object_get_boolean(v));
	assert_false(json_object_object_get_ex(o, "secret", &v));
	json_object_put(o);

	/* By id, by uid, the webhook itself; not through another
	 * application or team. */
	assert_int_equal(endpoint_get(fx->s, "t1", "acme", id, &g), STORE_OK);
	assert_string_equal(g.uuid, w.uuid);
	webhook_free(&g);
	assert_int_equal(endpoint_get(fx->s, "t1", app, "ep-1", &g), STORE_OK);
	assert_string_equal(g.uuid, w.uuid);
	webhook_free(&g);
	assert_int_equal(webhook_get(fx->s, "t1", w.uuid, &g), STORE_OK);
	assert_string_equal(g.app, app);
	webhook_free(&g);
	assert_int_equal(endpoint_get(fx->s, "t1", "other", id, &g),
	    STORE_NOTFOUND);
	assert_int_equal(endpoint_get(fx->s, "t1", "other", "ep-1", &g),
	    STORE_NOTFOUND);
	assert_int_equal(endpoint_get(fx->s, "t2", "acme", id, &g),
	    STORE_NOTFOUND);
	assert_int_equal(endpoint_get(fx->s, "t1", "nope", id, &g),
	    STORE_NOTFOUND);

	/* The uid is the application's: taken here, free in the other. */
	assert_int_equal(create(fx->s, "t1", "acme", "{\"url\":"
	    "\"https://e.com/2\",\"uid\":\"ep-1\"}", &n, &errs), STORE_EXISTS);
	assert_int_equal(create(fx->s, "t1", "other", "{\"url\":"
	    "\"https://e.com/2\",\"uid\":\"ep-1\"}", &n, &errs), STORE_OK);
	webhook_free(&n);

	/* Bad bodies name their Svix fields. */
	assert_int_equal(create(fx->s, "t1", "acme", "{\"url\":\"ftp://x\","
	    "\"filterTypes\":[\"a.b\",\"no.such\"],\"uid\":\"ep_1\","
	    "\"channels\":[],\"secret\":\"short\",\"disabled\":\"yes\","
	    "\"rateLimit\":0,\"metadata\":{\"a\":1},\"version\":0}", &n, &errs),
	    EP_INVALID);
	assert_true(names(&errs, "url"));
	assert_true(names(&errs, "uid"));
	assert_true(names(&errs, "channels"));
	assert_true(names(&errs, "secret"));
	assert_true(names(&errs, "disabled"));
	assert_true(names(&errs, "rateLimit"));
	assert_true(names(&errs, "metadata"));
	assert_true(names(&errs, "version"));
	assert_int_equal(create(fx->s, "t1", "acme", "{\"url\":\"https://e.com\","
	    "\"eventTypes\":[\"a.b\",\"no.such\"]}", &n, &errs), EP_INVALID);
	assert_true(names(&errs, "eventTypes"));
	assert_non_null(strstr(errs.e[0].msg, "no.such"));
	assert_int_equal(create(fx->s, "t1", "acme", "{\"uid\":\"x\"}", &n,
	    &errs), EP_INVALID);
	assert_true(names(&errs, "url"));

	/* PATCH: an absent field stays, null clears. */
	memset(&errs, 0, sizeof(errs));
	j = body("{\"description\":null,\"eventTypes\":null,\"disabled\":true,"
	    "\"throttleRate\":9}");
	assert_int_equal(endpoint_patch(fx->s, "t1", "acme", "ep-1", j, &g,
	    &errs), STORE_OK);
	json_object_put(j);
	assert_null(g.description);
	assert_string_equal(g.name, "https://e.com/h");	/* the url's */
	assert_string_equal(g.events[0], "*");
	assert_false(g.active);
	assert_int_equal(g.rate_limit, 9);
	assert_string_equal(g.uid, "ep-1");
	assert_int_equal(g.nchannels, 2);
	assert_int_equal(g.nmetadata, 1);
	assert_int_equal(g.nheaders, 1);
	assert_true(g.updated_at >= g.created_at);
	webhook_free(&g);
	/* A new uid frees the old one. */
	j = body("{\"uid\":\"ep-renamed\"}");
	assert_int_equal(endpoint_patch(fx->s, "t1", "acme", id, j, &g,
	    &errs), STORE_OK);
	json_object_put(j);
	webhook_free(&g);
	assert_int_equal(endpoint_get(fx->s, "t1", "acme", "ep-1", &g),
	    STORE_NOTFOUND);
	assert_int_equal(endpoint_get(fx->s, "t1", "acme", "ep-renamed", &g),
	    STORE_OK);
	webhook_free(&g);

	/* PUT: every field but the secret and headers replaced. */
	j = body("{\"url\":\"https://e.com/put\"}");
	assert_int_equal(endpoint_put(fx->s, "t1", "acme", "ep-renamed", j, 1,
	    &g, &created, &errs), STORE_OK);
	json_object_put(j);
	assert_false(created);
	assert_null(g.uid);
	assert_true(g.active);
	assert_int_equal(g.nchannels, 0);
	assert_int_equal(g.nmetadata, 0);
	assert_int_equal(g.rate_limit, 0);
	assert_int_equal(g.nheaders, 1);
	assert_string_equal(g.token, w.token);
	webhook_free(&g);
	/* An absent one is made under the path's uid, or not at all. */
	j = body("{\"url\":\"https://e.com/new\"}");
	assert_int_equal(endpoint_put(fx->s, "t1", "acme", "made-by-put", j, 0,
	    &g, &created, &errs), STORE_NOTFOUND);
	assert_int_equal(endpoint_put(fx->s, "t1", "acme", "made-by-put", j, 1,
	    &g, &created, &errs), STORE_OK);
	json_object_put(j);
	assert_true(created);
	assert_string_equal(g.uid, "made-by-put");
	webhook_free(&g);
	/* A path that is no uid (too long, a space) makes nothing, even
	 * with a uid in the body: every PUT again would make one more.  An
	 * id not there is not found. */
	j = body("{\"url\":\"https://e.com/new\",\"uid\":\"in-body\"}");
	{
		char	 long_uid[258];

		memset(long_uid, 'u', 257);
		long_uid[257] = '\0';
		assert_int_equal(endpoint_put(fx->s, "t1", "acme", long_uid, j,
		    1, &g, &created, &errs), EP_INVALID);
		assert_true(names(&errs, "path/endpoint_id"));
	}
	assert_int_equal(endpoint_put(fx->s, "t1", "acme", "has space", j, 1,
	    &g, &created, &errs), EP_INVALID);
	/* Without the right to make one: not found, as before. */
	assert_int_equal(endpoint_put(fx->s, "t1", "acme", "has space", j, 0,
	    &g, &created, &errs), STORE_NOTFOUND);
	assert_int_equal(endpoint_put(fx->s, "t1", "acme",
	    "ep_0000000000000000000000", j, 1, &g, &created, &errs),
	    STORE_NOTFOUND);
	assert_false(created);
	json_object_put(j);
	assert_int_equal(endpoint_get(fx->s, "t1", "acme", "in-body", &g),
	    STORE_NOTFOUND);

	/* Delete: the webhook goes with it. */
	assert_int_equal(endpoint_delete(fx->s, "t1", "other", id),
	    STORE_NOTFOUND);
	assert_int_equal(endpoint_delete(fx->s, "t1", "acme", id), STORE_OK);
	assert_int_equal(webhook_get(fx->s, "t1", w.uuid, &g), STORE_NOTFOUND);
	assert_int_equal(endpoint_delete(fx->s, "t1", "acme", id),
	    STORE_NOTFOUND);
	(void)app2;
	webhook_free(&w);
}

static void
test_uid_after_native_delete(void **state)
{
	struct fx	*fx = *state;
	struct wh_errors errs;
	struct webhook	 w, n, *ws;
	char		 app[APP_ID_MAX + 1];
	size_t		 cnt;
	int		 more;

	make_app(fx->s, "t1", "acme", app);
	assert_int_equal(create(fx->s, "t1", "acme", "{\"url\":"
	    "\"https://e.com/h\",\"uid\":\"u\"}", &w, &errs), STORE_OK);
	/* Deleted through the native dialect: no longer an endpoint. */
	assert_int_equal(webhook_delete(fx->s, "t1", w.uuid), STORE_OK);
	assert_int_equal(endpoint_get(fx->s, "t1", "acme", "u", &n),
	    STORE_NOTFOUND);
	assert_int_equal(endpoint_list(fx->s, "t1", "acme", NULL, 0, 10, &ws,
	    &cnt, &more), STORE_OK);
	assert_int_equal(cnt, 0);
	free(ws);
	assert_int_equal(create(fx->s, "t1", "acme", "{\"url\":"
	    "\"https://e.com/h\",\"uid\":\"u\"}", &n, &errs), STORE_OK);
	webhook_free(&n);
	webhook_free(&w);
}

static void
test_list(void **state)
{
	struct fx	*fx = *state;
	struct wh_errors errs;
	struct webhook	 w, *ws;
	char		 app[APP_ID_MAX + 1], ids[7][APP_ID_MAX + 1];
	char		 id[APP_ID_MAX + 1], it[APP_ID_MAX + 2];
	size_t		 n, i;
	int		 more;

	make_app(fx->s, "t1", "acme", app);
	make_app(fx->s, "t1", "other", app);
	for (i = 0; i < 7; i++) {
		assert_int_equal(create(fx->s, "t1", "acme",
		    "{\"url\":\"https://e.com/h\"}", &w, &errs), STORE_OK);
		endpoint_id(&w, ids[i]);
		webhook_free(&w);
		if (i > 0)
			assert_true(strcmp(ids[i - 1], ids[i]) < 0);
	}
	assert_int_equal(create(fx->s, "t1", "other",
	    "{\"url\":\"https://e.com/h\"}", &w, &errs), STORE_OK);
	webhook_free(&w);

	/* Forwards in pages of 3. */
	assert_int_equal(endpoint_list(fx->s, "t1", "acme", NULL, 0, 3, &ws,
	    &n, &more), STORE_OK);
	assert_int_equal(n, 3);
	assert_true(more);
	for (i = 0; i < n; i++) {
		endpoint_id(&ws[i], id);
		assert_string_equal(id, ids[i]);
		webhook_free(&ws[i]);
	}
	free(ws);
	assert_int_equal(endpoint_list(fx->s, "t1", "acme", ids[5], 0, 3, &ws,
	    &n, &more), STORE_OK);
	assert_int_equal(n, 1);
	assert_false(more);
	endpoint_id(&ws[0], id);
	assert_string_equal(id, ids[6]);
	webhook_free(&ws[0]);
	free(ws);
	/* Descending, and backwards from an iterator. */
	assert_int_equal(endpoint_list(fx->s, "t1", "acme", NULL, 1, 2, &ws,
	    &n, &more), STORE_OK);
	assert_int_equal(n, 2);
	endpoint_id(&ws[0], id);
	assert_string_equal(id, ids[6]);
	for (i = 0; i < n; i++)
		webhook_free(&ws[i]);
	free(ws);
	snprintf(it, sizeof(it), "-%s", ids[4]);
	assert_int_equal(endpoint_list(fx->s, "t1", "acme", it, 0, 2, &ws,
	    &n, &more), STORE_OK);
	assert_int_equal(n, 2);
	endpoint_id(&ws[0], id);
	assert_string_equal(id, ids[2]);
	endpoint_id(&ws[1], id);
	assert_string_equal(id, ids[3]);
	for (i = 0; i < n; i++)
		webhook_free(&ws[i]);
	free(ws);
	/* A bad iterator; another team's application. */
	assert_int_equal(endpoint_list(fx->s, "t1", "acme", "app_x", 0, 2, &ws,
	    &n, &more), EP_INVALID);
	assert_int_equal(endpoint_list(fx->s, "t2", "acme", NULL, 0, 2, &ws,
	    &n, &more), STORE_NOTFOUND);

	/* The application's delete removes its endpoints' webhooks, not the
	 * other application's. */
	assert_int_equal(app_delete(fx->s, "t1", "acme"), STORE_OK);
	for (i = 0; i < 7; i++) {
		char	 uuid[37];

		assert_int_equal(app_uuid_from_id("ep_", ids[i], uuid), 0);
		assert_int_equal(webhook_get(fx->s, "t1", uuid, &w),
		    STORE_NOTFOUND);
	}
	assert_int_equal(endpoint_list(fx->s, "t1", "other", NULL, 0, 10, &ws,
	    &n, &more), STORE_OK);
	assert_int_equal(n, 1);
	webhook_free(&ws[0]);
	free(ws);
}

static void
test_headers_and_rotate(void **state)
{
	struct fx	*fx = *state;
	struct wh_errors errs;
	struct webhook	 w, g;
	json_object	*j, *o, *v;
	char		 app[APP_ID_MAX + 1], *old;

	make_app(fx->s, "t1", "acme", app);
	assert_int_equal(create(fx->s, "t1", "acme", "{\"url\":"
	    "\"https://e.com/h\",\"uid\":\"h\"}", &w, &errs), STORE_OK);
	j = body("{\"headers\":{\"X-A\":\"1\",\"Authorization\":\"Bearer s\"}}");
	assert_int_equal(endpoint_set_headers(fx->s, "t1", "acme", "h", j, 0,
	    &errs), STORE_OK);
	json_object_put(j);
	j = body("{\"headers\":{\"x-a\":null,\"X-B\":\"2\"},"
	    "\"deleteHeaders\":[\"nothing\"]}");
	assert_int_equal(endpoint_set_headers(fx->s, "t1", "acme", "h", j, 1,
	    &errs), STORE_OK);
	json_object_put(j);
	assert_int_equal(endpoint_get(fx->s, "t1", "acme", "h", &g), STORE_OK);
	o = endpoint_headers_json(&g);
	assert_string_equal(json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN), "{\"headers\":{\"X-B\":\"2\"},"
	    "\"sensitive\":[\"Authorization\"]}");
	json_object_put(o);
	webhook_free(&g);
	j = body("{\"headers\":{\"Bad Name\":\"x\"}}");
	assert_int_equal(endpoint_set_headers(fx->s, "t1", "acme", "h", j, 0,
	    &errs), EP_INVALID);
	json_object_put(j);
	assert_true(errs.n > 0);
	assert_int_equal(strncmp(errs.e[0].field, "headers", 7), 0);

	/* Rotation: a new secret, the old one kept for the grace period. */
	old = xstrdup(w.token);
	assert_int_equal(endpoint_rotate(fx->s, "t1", "acme", "h", NULL,
	    &errs), STORE_OK);
	assert_int_equal(endpoint_get(fx->s, "t1", "acme", "h", &g), STORE_OK);
	assert_string_not_equal(g.token, old);
	assert_int_equal(strncmp(g.token, "whsec_", 6), 0);
	assert_int_equal(g.nold_secrets, 1);
	assert_string_equal(g.old_secrets[0].secret, old);
	assert_true(g.old_secrets[0].expires_at > util_now_ms() +
	    23 * 3600 * 1000LL);
	webhook_free(&g);
	j = body("{\"key\":\"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\","
	    "\"gracePeriodSeconds\":0}");
	assert_int_equal(endpoint_rotate(fx->s, "t1", "acme", "h", j, &errs),
	    STORE_OK);
	json_object_put(j);
	assert_int_equal(endpoint_get(fx->s, "t1", "acme", "h", &g), STORE_OK);
	assert_string_equal(g.token, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
	assert_int_equal(g.nold_secrets, 1);	/* the first old one only */
	webhook_free(&g);
	j = body("{\"key\":\"nope\",\"gracePeriodSeconds\":604801}");
	assert_int_equal(endpoint_rotate(fx->s, "t1", "acme", "h", j, &errs),
	    EP_INVALID);
	json_object_put(j);
	assert_true(names(&errs, "key"));
	assert_true(names(&errs, "gracePeriodSeconds"));
	/* A PATCH's secret is kept as an old one too, for 24 hours. */
	j = body("{\"secret\":\"whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD\"}");
	assert_int_equal(endpoint_patch(fx->s, "t1", "acme", "h", j, &g, &errs),
	    STORE_OK);
	json_object_put(j);
	assert_string_equal(g.token, "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD");
	assert_int_equal(g.nold_secrets, 2);
	assert_string_equal(g.old_secrets[0].secret,
	    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
	webhook_free(&g);
	(void)v;
	free(old);
	webhook_free(&w);
}

/* Hostile bodies: each refused with the field it names, nothing stored.
 * json-c keeps a string's NUL, which a C string would cut short (a uid
 * "a\u0000b" stored as "a"); svix-* headers are the signature's; a
 * filterTypes element's error named after filterTypes. */
static void
test_hostile(void **state)
{
	static const struct {
		const char	*body, *field;
	} bad[] = {
		{ "{\"url\":\"https://e.com/x\",\"uid\":\"a\\u0000b\"}", "uid" },
		{ "{\"url\":\"https://e.com/x\",\"channels\":[\"a\\u0000b\"]}",
		    "channels" },
		{ "{\"url\":\"https://e.com/x\",\"metadata\":{\"k\":\"v\\u0000w\"}}",
		    "metadata" },
		{ "{\"url\":\"https://e.com/x\",\"metadata\":{\"k\":1}}",
		    "metadata" },
		{ "{\"url\":\"https://e.com/x\",\"secret\":\"whsec_"
		    "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\\u0000x\"}", "secret" },
		{ "{\"url\":\"https://e.com/x\",\"headers\":{\"Svix-Signature\":"
		    "\"v1,x\"}}", "headers.Svix-Signature.name" },
		{ "{\"url\":\"https://e.com/x\",\"headers\":{\"X-A\":\"a\\r\\nB: c\"}}",
		    "headers.X-A.value" },
		{ "{\"url\":\"https://e.com/x\",\"headers\":{\"Host\":\"h\"}}",
		    "headers.Host.name" },
		{ "{\"url\":\"https://e.com/x\",\"filterTypes\":[\"a.b\",7]}",
		    "filterTypes[1]" },
		{ "{\"url\":\"https://e.com/x\",\"eventTypes\":[\"a\\u0000b\"]}",
		    "eventTypes[0]" },
		{ "{\"url\":\"https://u:p@e.com/x\"}", "url" },
		{ "{\"url\":\"file:///etc/passwd\"}", "url" },
		{ "{\"url\":\"https://e.com/x\",\"description\":\"a\\u0000b\"}",
		    "description" },
	};
	struct fx	*fx = *state;
	struct wh_errors errs;
	struct webhook	 w, *ws;
	json_object	*j;
	char		 app[APP_ID_MAX + 1], uid[300];
	size_t		 i, n;
	int		 more;

	make_app(fx->s, "t1", "acme", app);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(create(fx->s, "t1", "acme", bad[i].body, &w,
		    &errs), EP_INVALID);
		if (!names(&errs, bad[i].field))
			fail_msg("%s: %s not named (%s)", bad[i].body,
			    bad[i].field, errs.n > 0 ? errs.e[0].field : "-");
	}
	memset(uid, 'u', 257);
	uid[257] = '\0';
	j = json_object_new_object();
	json_object_object_add(j, "url", json_object_new_string(
	    "https://e.com/x"));
	json_object_object_add(j, "uid", json_object_new_string(uid));
	memset(&errs, 0, sizeof(errs));
	assert_int_equal(endpoint_create(fx->s, "t1", "acme", j, &w, &errs),
	    EP_INVALID);
	assert_true(names(&errs, "uid"));
	json_object_put(j);
	assert_int_equal(endpoint_list(fx->s, "t1", "acme", NULL, 0, 10, &ws,
	    &n, &more), STORE_OK);
	assert_int_equal(n, 0);
	free(ws);

	/* The headers routes: svix-* and CR/LF refused, deleteHeaders a
	 * list of names. */
	assert_int_equal(create(fx->s, "t1", "acme", "{\"url\":"
	    "\"https://e.com/h\",\"uid\":\"h\"}", &w, &errs), STORE_OK);
	webhook_free(&w);
	j = body("{\"headers\":{\"svix-id\":\"x\"}}");
	assert_int_equal(endpoint_set_headers(fx->s, "t1", "acme", "h", j, 0,
	    &errs), EP_INVALID);
	assert_true(names(&errs, "headers.svix-id.name"));
	assert_int_equal(endpoint_set_headers(fx->s, "t1", "acme", "h", j, 1,
	    &errs), EP_INVALID);
	json_object_put(j);
	/* ...but a null, which only removes, is let by. */
	j = body("{\"headers\":{\"svix-id\":null}}");
	assert_int_equal(endpoint_set_headers(fx->s, "t1", "acme", "h", j, 1,
	    &errs), STORE_OK);
	json_object_put(j);
	/* A bad one after good ones: what was decoded is freed (valgrind
	 * and LeakSanitizer see it). */
	j = body("{\"headers\":{\"X-A\":\"1\",\"X-B\":\"2\",\"x-a\":\"3\"}}");
	assert_int_equal(endpoint_set_headers(fx->s, "t1", "acme", "h", j, 0,
	    &errs), EP_INVALID);
	json_object_put(j);
	j = body("{\"headers\":{\"X-A\":\"1\\n2\"}}");
	assert_int_equal(endpoint_set_headers(fx->s, "t1", "acme", "h", j, 1,
	    &errs), EP_INVALID);
	json_object_put(j);
	for (i = 0; i < 3; i++) {
		j = body(i == 0 ? "{\"headers\":{},\"deleteHeaders\":\"X-A\"}" :
		    i == 1 ? "{\"headers\":{},\"deleteHeaders\":[1]}" :
		    "{\"headers\":{},\"deleteHeaders\":[\"\"]}");
		assert_int_equal(endpoint_set_headers(fx->s, "t1", "acme", "h",
		    j, 1, &errs), EP_INVALID);
		assert_true(names(&errs, "deleteHeaders"));
		json_object_put(j);
	}
	j = json_object_new_object();
	json_object_object_add(j, "headers", json_object_new_object());
	json_object_object_add(j, "deleteHeaders", json_object_new_array());
	for (i = 0; i < WH_HEADERS_MAX + 1; i++)
		json_object_array_add(json_object_object_get(j,
		    "deleteHeaders"), json_object_new_string("X-A"));
	assert_int_equal(endpoint_set_headers(fx->s, "t1", "acme", "h", j, 1,
	    &errs), EP_INVALID);
	json_object_put(j);
	j = body("{\"key\":\"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\\u0000\"}");
	assert_int_equal(endpoint_rotate(fx->s, "t1", "acme", "h", j, &errs),
	    EP_INVALID);
	assert_true(names(&errs, "key"));
	json_object_put(j);
	assert_int_equal(endpoint_get(fx->s, "t1", "acme", "h", &w), STORE_OK);
	assert_int_equal(w.nheaders, 0);
	assert_int_equal(w.nold_secrets, 0);
	webhook_free(&w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uid_rule),
		cmocka_unit_test_setup_teardown(test_crud, setup, teardown),
		cmocka_unit_test_setup_teardown(test_uid_after_native_delete,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_headers_and_rotate, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_hostile, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
