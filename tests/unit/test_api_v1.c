/* Unit tests of seed 001 (/api/web/v1/webhooks): the bodies its clients
 * send (and seed 003's envelope) through the model's decoder, the encoder,
 * and the handlers through api_handle over a real store.  Cases are tables. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "api.h"
#include "api_v1.h"
#include "auth.h"
#include "cfg.h"
#include "delivery.h"
#include "http.h"
#include "store.h"
#include "util.h"
#include "webhook.h"
#include "webhook_fixture.h"
#include "api_fixture.h"

/* Seed 003's example, verbatim. */
#define SEED003 "{\n  \"webhook\": {\n    \"name\": \"webhook to capture " \
	"customer state changes\",\n    \"active\": \"true\",\n    " \
	"\"settings\": {\n      \"customer_state_changed\": \"true\"\n    }," \
	"\n    \"url\": \"https://endpoint.com/catch-a-hook\",\n    " \
	"\"http_method\": \"POST\"\n  }\n}"

static void
test_decode(void **state)
{
	static const struct {
		const char	*label;
		const char	*body;
		int		 create;
		int		 rc;
		const char	*fields;	/* bad fields, comma-separated */
		unsigned	 set;		/* when rc == 0 */
	} cases[] = {
		{ "bare object", "{\"name\": \"Hook\", \"url\": "
		    "\"https://example.com/h\"}", 1, 0, "", WF_NAME | WF_URL },
		{ "union fields", "{\"name\": \"Hook\", \"url\": "
		    "\"https://example.com/h\", \"events\": [\"a.b\"], "
		    "\"active\": false, \"http_method\": \"PUT\", "
		    "\"headers\": {\"X-A\": \"1\"}, \"max_attempts\": 3}", 1, 0,
		    "", WF_NAME | WF_URL | WF_EVENTS | WF_ACTIVE | WF_METHOD |
		    WF_HEADERS | WF_MAX_ATTEMPTS },
		{ "what GET served, sent back", "{\"id\": \"x\", \"name\": \"H\", "
		    "\"url\": \"https://example.com/h\", \"auth\": {\"username\": "
		    "\"\", \"password\": \"\"}, \"error\": null, \"settings\": "
		    "{\"*\": \"true\"}, \"events\": [\"*\"]}", 0, 0, "",
		    WF_NAME | WF_URL | WF_AUTH | WF_EVENTS },
		{ "seed 003 envelope", SEED003, 1, 0, "", WF_NAME | WF_URL |
		    WF_ACTIVE | WF_EVENTS | WF_METHOD },
		{ "envelope, two missing", "{\"webhook\": {\"name\": \"n\", "
		    "\"url\": \"https://e.com\", \"active\": \"false\"}}", 1, -1,
		    "http_method,settings", 0 },
		{ "envelope, all missing", "{\"webhook\": {}}", 0, -1,
		    "name,url,http_method,settings,active", 0 },
		{ "create without name and url", "{}", 1, -1, "name,url", 0 },
		{ "update with nothing", "{}", 0, 0, "", 0 },
		{ "empty name, bad url", "{\"name\": \"\", \"url\": \"ftp://x\"}",
		    1, -1, "name,url", 0 },
		{ "string boolean", "{\"active\": \"false\"}", 0, 0, "",
		    WF_ACTIVE },
		{ "bad boolean", "{\"active\": \"yes\"}", 0, -1, "active", 0 },
		{ "bad method", "{\"http_method\": \"GET\"}", 0, -1,
		    "http_method", 0 },
		{ "not an object", "[1, 2]", 1, -1, "body", 0 },
	};
	json_object		*body;
	struct wh_input		 in;
	struct wh_errors	 errs;
	size_t			 i;
	int			 rc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		body = json_tokener_parse(cases[i].body);
		assert_non_null(body);
		rc = webhook_decode(body, cases[i].create, &in, &errs);
		if (rc != cases[i].rc)
			fail_msg("%s: rc %d, want %d (%s: %s)", cases[i].label,
			    rc, cases[i].rc, errs.n ? errs.e[0].field : "",
			    errs.n ? errs.e[0].msg : "");
		if (rc == -1 && !same_fields(&errs, cases[i].fields))
			fail_msg("%s: %zu errors, first %s, want %s",
			    cases[i].label, errs.n, errs.e[0].field,
			    cases[i].fields);
		if (rc == 0 && in.set != cases[i].set)
			fail_msg("%s: set %x, want %x", cases[i].label, in.set,
			    cases[i].set);
		webhook_input_free(&in);
		json_object_put(body);
	}
}

/* 1 if every member of want is in got with an equal value. */
static int
has_members(json_object *got, json_object *want, const char **bad)
{
	json_object	*v;

	json_object_object_foreach(want, k, wv) {
		*bad = k;
		if (!json_object_object_get_ex(got, k, &v) ||
		    !json_object_equal(v, wv))
			return 0;
	}
	return 1;
}

static void
test_encode(void **state)
{
	static const struct {
		const char	*label;
		struct fixture	 f;
		const char	*want;		/* members that must be there */
		const char	*never;		/* text that must not be */
	} cases[] = {
		{ "plain", { "Hook", "https://example.com/h", NULL, NULL, NULL,
		    NULL, NULL, 1, NULL, NULL },
		    "{\"id\": \"0b7c1f9e-2d4a-4c3e-9f1a-5e6d7c8b9a01\", "
		    "\"uuid\": \"0b7c1f9e-2d4a-4c3e-9f1a-5e6d7c8b9a01\", "
		    "\"name\": \"Hook\", \"url\": \"https://example.com/h\", "
		    "\"headers\": {}, \"auth\": {\"username\": \"\", "
		    "\"password\": \"\"}, \"token\": \"qwerty\", \"events\": "
		    "[\"*\"], \"settings\": {\"*\": \"true\"}, \"active\": true, "
		    "\"http_method\": \"POST\", \"max_attempts\": 8, "
		    "\"error\": null, \"created_at\": "
		    "\"2018-01-12T13:40:40.260Z\"}", NULL },
		{ "everything", { "H", "https://example.com/x", "X-A", "1",
		    "user", "s3cr3t-pass", "customer_created", 0,
		    "2017-12-04T15:06:12.053Z", "timeout of 10000ms exceeded" },
		    "{\"headers\": {\"X-A\": \"1\"}, \"auth\": {\"username\": "
		    "\"user\", \"password\": \"********\"}, \"events\": "
		    "[\"customer_created\"], \"settings\": {\"customer_created\": "
		    "\"true\"}, \"active\": false, \"error\": {\"date\": "
		    "\"2017-12-04T15:06:12.053Z\", \"message\": \"timeout of "
		    "10000ms exceeded\"}}", "s3cr3t-pass" },
	};
	struct webhook	 w;
	json_object	*got, *want;
	const char	*bad = "", *text;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fixture_webhook(&cases[i].f, &w);
		got = api_v1_json(&w);
		want = json_tokener_parse(cases[i].want);
		assert_non_null(want);
		text = api_json_string(got);
		if (!has_members(got, want, &bad))
			fail_msg("%s: member %s differs in %s", cases[i].label,
			    bad, text);
		if (cases[i].never != NULL && strstr(text, cases[i].never))
			fail_msg("%s: %s served", cases[i].label,
			    cases[i].never);
		json_object_put(want);
		json_object_put(got);
		webhook_free(&w);
	}
}

static void
test_encode_test(void **state)
{
	static const struct {
		const char		*label;
		enum deliver_class	 cls;
		int			 status;
		int64_t			 ms;
		const char		*error;
		const char		*want;
	} cases[] = {
		{ "delivered", DELIVER_DONE, 204, 12, "",
		    "{\"id\":\"0b7c1f9e-2d4a-4c3e-9f1a-5e6d7c8b9a01\",\"event\":"
		    "\"webhook.test\",\"delivered\":true,\"status\":204,"
		    "\"latency_ms\":12,\"error\":null}" },
		{ "refused by the receiver", DELIVER_TEMPORARY, 500, 40,
		    "HTTP 500", "{\"id\":\"0b7c1f9e-2d4a-4c3e-9f1a-5e6d7c8b9a01\","
		    "\"event\":\"webhook.test\",\"delivered\":false,"
		    "\"status\":500,\"latency_ms\":40,\"error\":\"HTTP 500\"}" },
		{ "no answer", DELIVER_TEMPORARY, 0, 10000,
		    "timeout of 10000ms exceeded",
		    "{\"id\":\"0b7c1f9e-2d4a-4c3e-9f1a-5e6d7c8b9a01\",\"event\":"
		    "\"webhook.test\",\"delivered\":false,\"status\":null,"
		    "\"latency_ms\":10000,\"error\":\"timeout of 10000ms "
		    "exceeded\"}" },
	};
	struct deliver_result	 r;
	json_object		*j;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&r, 0, sizeof(r));
		r.cls = cases[i].cls;
		r.status = cases[i].status;
		r.latency_ms = cases[i].ms;
		snprintf(r.error, sizeof(r.error), "%s", cases[i].error);
		j = api_v1_test_json("0b7c1f9e-2d4a-4c3e-9f1a-5e6d7c8b9a01", &r);
		if (strcmp(api_json_string(j), cases[i].want) != 0)
			fail_msg("%s: got %s", cases[i].label,
			    api_json_string(j));
		json_object_put(j);
	}
}

/* ---- the handlers over a real store ------------------------------------ */

/* The source tree's webhookd: this program is build/<kind>/test_api_v1. */
static void
webhookd_path(char *out, size_t outlen)
{
	char	 self[4096];
	ssize_t	 n;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	assert_true(n > 0);
	self[n] = '\0';
	*strrchr(self, '/') = '\0';
	assert_true((size_t)snprintf(out, outlen, "%s/../../webhookd", self) <
	    outlen);
}

static void
test_handlers(void **state)
{
	static const struct {
		const char	*label;
		enum http_method m;
		const char	*path;
		enum tok	 tok;
		const char	*ctype;
		const char	*body;
		int		 want;
		const char	*want_in;	/* text the answer holds */
		int		 save;		/* save the answer's id: 0..2; -1 */
	} cases[] = {
		{ "create", HTTP_POST, "/api/web/v1/webhooks", T_ALL, JSON,
		    "{\"name\": \"A\", \"url\": \"https://example.com/a\"}", 200,
		    "\"url\":\"https://example.com/a\"", 0 },
		{ "create, same url: 409", HTTP_POST, "/api/web/v1/webhooks",
		    T_ALL, JSON, "{\"name\": \"A2\", \"url\": "
		    "\"https://example.com/a\"}", 409, "\"status\":409", -1 },
		{ "create another", HTTP_POST, "/api/web/v1/webhooks/", T_ALL,
		    JSON, "{\"name\": \"B\", \"url\": \"https://example.com/b\"}",
		    200, "\"name\":\"B\"", 1 },
		{ "update onto a taken url: 409", HTTP_PUT,
		    "/api/web/v1/webhooks/{1}", T_ALL, JSON,
		    "{\"url\": \"https://example.com/a\"}", 409,
		    "\"error\":\"Conflict\"", -1 },
		{ "update keeping its own url", HTTP_PUT,
		    "/api/web/v1/webhooks/{1}", T_ALL, JSON,
		    "{\"name\": \"B2\", \"url\": \"https://example.com/b\"}", 200,
		    "\"name\":\"B2\"", -1 },
		{ "update to a new url", HTTP_PUT, "/api/web/v1/webhooks/{1}",
		    T_ALL, JSON, "{\"url\": \"https://example.com/b2\"}", 200,
		    "\"url\":\"https://example.com/b2\"", -1 },
		{ "create, seed 003 envelope", HTTP_POST, "/api/web/v1/webhooks",
		    T_ALL, JSON, SEED003, 200,
		    "\"settings\":{\"customer_state_changed\":\"true\"}", -1 },
		{ "bad body: 400 naming the fields", HTTP_POST,
		    "/api/web/v1/webhooks", T_ALL, JSON, "{\"name\": \"\"}", 400,
		    "name must not be empty; url is required", -1 },
		{ "envelope missing fields: 400", HTTP_POST,
		    "/api/web/v1/webhooks", T_ALL, JSON,
		    "{\"webhook\": {\"name\": \"n\"}}", 400,
		    "\"http_method\":[\"is required\"]", -1 },
		{ "update, bad body: 400", HTTP_PUT, "/api/web/v1/webhooks/{0}",
		    T_ALL, JSON, "{\"active\": \"maybe\"}", 400,
		    "active must be true or false", -1 },
		{ "malformed JSON: 400", HTTP_POST, "/api/web/v1/webhooks",
		    T_ALL, JSON, "{\"name\":", 400, "\"error\":\"Bad Request\"",
		    -1 },
		{ "wrong content type: 415", HTTP_POST, "/api/web/v1/webhooks",
		    T_ALL, "text/plain", "{}", 415, "\"status\":415", -1 },
		{ "list: a bare array", HTTP_GET, "/api/web/v1/webhooks", T_VIEW,
		    NULL, NULL, 200, "[{\"uuid\":", -1 },
		{ "get", HTTP_GET, "/api/web/v1/webhooks/{0}", T_VIEW, NULL,
		    NULL, 200, "\"name\":\"A\"", -1 },
		{ "create without WEBHOOKS:ADD: 403", HTTP_POST,
		    "/api/web/v1/webhooks", T_VIEW, JSON, "{}", 403,
		    "webhooks:add", -1 },
		{ "update without WEBHOOKS:EDIT: 403", HTTP_PUT,
		    "/api/web/v1/webhooks/{0}", T_VIEW, JSON, "{}", 403,
		    "webhooks:edit", -1 },
		{ "delete without WEBHOOKS:REMOVE: 403", HTTP_DELETE,
		    "/api/web/v1/webhooks/{0}", T_VIEW, NULL, NULL, 403,
		    "webhooks:remove", -1 },
		{ "no token: 401", HTTP_GET, "/api/web/v1/webhooks", T_NONE,
		    NULL, NULL, 401, "\"path\":\"/api/web/v1/webhooks\"", -1 },
		{ "bad token: 401", HTTP_GET, "/api/web/v1/webhooks", T_BAD,
		    NULL, NULL, 401, "\"status\":401", -1 },
		{ "not a uuid: 404", HTTP_GET, "/api/web/v1/webhooks/abc",
		    T_ALL, NULL, NULL, 404, "\"status\":404", -1 },
		{ "unknown uuid: 404", HTTP_GET, "/api/web/v1/webhooks/"
		    "0b7c1f9e-2d4a-4c3e-9f1a-5e6d7c8b9a01", T_ALL, NULL, NULL,
		    404, "\"error\":\"Not Found\"", -1 },
		{ "unknown path: 404 in the dialect", HTTP_GET,
		    "/api/web/v1/nothing", T_ALL, NULL, NULL, 404,
		    "\"status\":404", -1 },
		{ "create one on loopback", HTTP_POST, "/api/web/v1/webhooks",
		    T_ALL, JSON, "{\"name\": \"L\", \"url\": "
		    "\"http://127.0.0.1:1/hook\", \"active\": false}", 200,
		    "\"active\":false", 2 },
		{ "test without WEBHOOKS:EDIT: 403", HTTP_POST,
		    "/api/web/v1/webhooks/test/{2}", T_VIEW, NULL, NULL, 403,
		    "webhooks:edit", -1 },
		{ "test: 200 with the outcome", HTTP_POST,
		    "/api/web/v1/webhooks/test/{2}", T_ALL, NULL, NULL, 200,
		    "\"event\":\"webhook.test\",\"delivered\":false,"
		    "\"status\":null", -1 },
		{ "its error is recorded", HTTP_GET, "/api/web/v1/webhooks/{2}",
		    T_ALL, NULL, NULL, 200, "\"error\":{\"date\":\"", -1 },
		{ "test of an unknown id: 404", HTTP_POST,
		    "/api/web/v1/webhooks/test/0b7c1f9e-2d4a-4c3e-9f1a-"
		    "5e6d7c8b9a01", T_ALL, NULL, NULL, 404, "\"status\":404", -1 },
		{ "GET on test: 405", HTTP_GET, "/api/web/v1/webhooks/test/{2}",
		    T_ALL, NULL, NULL, 405, "\"status\":405", -1 },
		{ "delete: 200, empty", HTTP_DELETE, "/api/web/v1/webhooks/{0}",
		    T_ALL, NULL, NULL, 200, "", -1 },
		{ "delete again: 404", HTTP_DELETE, "/api/web/v1/webhooks/{0}",
		    T_ALL, NULL, NULL, 404, "\"status\":404", -1 },
		{ "its url is free again", HTTP_PUT, "/api/web/v1/webhooks/{1}",
		    T_ALL, JSON, "{\"url\": \"https://example.com/a\"}", 200,
		    "\"url\":\"https://example.com/a\"", -1 },
	};
	struct env	 e;
	const char	*tok;
	char		*out, *allow;
	json_object	*j, *v;
	size_t		 i;
	int		 status;

	(void)state;
	env_open(&e, "apiv1");
	/* The test delivery runs the webhookd built next to this program's
	 * directory (build/normal/..): ./webhookd of the source tree. */
	snprintf(e.cfg.home, sizeof(e.cfg.home), "%s", e.dir);
	webhookd_path(e.cfg.webhookd, sizeof(e.cfg.webhookd));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tok = cases[i].tok == T_ALL ? e.all : cases[i].tok == T_VIEW ?
		    e.view : cases[i].tok == T_BAD ? "wh_nope" : NULL;
		status = call(&e, cases[i].m, cases[i].path, tok,
		    cases[i].ctype, cases[i].body, &out, NULL);
		if (status != cases[i].want)
			fail_msg("%s: status %d, want %d: %s", cases[i].label,
			    status, cases[i].want, out);
		if (cases[i].want_in[0] == '\0' ? out[0] != '\0' :
		    strstr(out, cases[i].want_in) == NULL)
			fail_msg("%s: \"%s\" not in %s", cases[i].label,
			    cases[i].want_in, out);
		if (cases[i].save >= 0) {
			j = json_tokener_parse(out);
			assert_non_null(j);
			assert_true(json_object_object_get_ex(j, "id", &v));
			snprintf(e.id[cases[i].save], sizeof(e.id[0]), "%s",
			    json_object_get_string(v));
			json_object_put(j);
		}
		free(out);
	}
	/* Wrong method: 405 with Allow, in the dialect's shape. */
	status = call(&e, HTTP_PATCH, "/api/web/v1/webhooks/{1}", e.all, JSON,
	    "{}", &out, &allow);
	assert_int_equal(status, 405);
	assert_non_null(allow);
	assert_string_equal(allow, "GET, HEAD, PUT, DELETE");
	assert_non_null(strstr(out, "\"status\":405"));
	free(allow);
	free(out);
	env_close(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_encode_test),
		cmocka_unit_test(test_handlers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
