/* Unit tests of seed 002 (ChatBot.com, /webhooks): the bodies its clients
 * send through the model's decoder against the seed's limits, the encoders
 * (one webhook, a list entry, the answer to a write), and the handlers
 * through api_handle over a real store.  Cases are tables. */
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
#include "api_chatbot.h"
#include "auth.h"
#include "cfg.h"
#include "http.h"
#include "store.h"
#include "util.h"
#include "webhook.h"
#include "webhook_fixture.h"
#include "api_fixture.h"

/* The seed's create and update body, verbatim but for the URL. */
#define SEED002 "\n{\n\"name\": \"Webhook name\",\n\"url\": " \
	"\"https://example.com/hook\",\n\"token\": \"\",\n\"headers\": [],\n" \
	"\"auth\": {}\n}\n"

/*
 * Expands a body template: "<aN>" becomes N letters 'a', "<hN>" N headers
 * {"name": "X-H<i>", "value": "v"} separated by commas.  The caller frees it.
 */
static char *
expand(const char *t)
{
	struct buf	 b;
	const char	*p;
	char		*end;
	long		 n, i;

	buf_init(&b);
	for (p = t; *p; p++) {
		if (p[0] == '<' && (p[1] == 'a' || p[1] == 'h') &&
		    (n = strtol(p + 2, &end, 10)) > 0 && *end == '>') {
			for (i = 0; i < n; i++) {
				if (p[1] == 'a')
					buf_putc(&b, 'a');
				else
					buf_printf(&b, "%s{\"name\": \"X-H%ld\", "
					    "\"value\": \"v\"}", i ? ", " : "", i);
			}
			p = end;
		} else
			buf_putc(&b, *p);
	}
	buf_putc(&b, '\0');
	return buf_take(&b);
}

static void
test_decode(void **state)
{
	/* The seed's limits: name 1..1024, token 1..1024, headers 1..99 with
	 * name 1..128 and value 1..1024, auth username and password 1..1024;
	 * and its own example ("", [], {}) is accepted. */
	static const struct {
		const char	*label;
		const char	*body;
		int		 create;
		int		 rc;
		const char	*fields;	/* bad fields, comma-separated */
	} cases[] = {
		{ "the seed's example", SEED002, 1, 0, "" },
		{ "the seed's example as an update", SEED002, 0, 0, "" },
		{ "name of 1024", "{\"name\": \"<a1024>\", \"url\": "
		    "\"https://e.com\"}", 1, 0, "" },
		{ "name of 1025", "{\"name\": \"<a1025>\", \"url\": "
		    "\"https://e.com\"}", 1, -1, "name" },
		{ "empty name", "{\"name\": \"\", \"url\": \"https://e.com\"}", 1,
		    -1, "name" },
		{ "token of 1024", "{\"token\": \"<a1024>\"}", 0, 0, "" },
		{ "token of 1025", "{\"token\": \"<a1025>\"}", 0, -1, "token" },
		{ "token qwerty", "{\"token\": \"qwerty\"}", 0, 0, "" },
		{ "99 headers", "{\"headers\": [<h99>]}", 0, 0, "" },
		{ "100 headers", "{\"headers\": [<h100>]}", 0, -1, "headers" },
		{ "header name of 128", "{\"headers\": [{\"name\": \"<a128>\", "
		    "\"value\": \"v\"}]}", 0, 0, "" },
		{ "header name of 129", "{\"headers\": [{\"name\": \"<a129>\", "
		    "\"value\": \"v\"}]}", 0, -1, "headers[0].name" },
		{ "header value of 1024", "{\"headers\": [{\"name\": \"X\", "
		    "\"value\": \"<a1024>\"}]}", 0, 0, "" },
		{ "header value of 1025", "{\"headers\": [{\"name\": \"X\", "
		    "\"value\": \"<a1025>\"}]}", 0, -1, "headers[0].value" },
		{ "empty header name and value", "{\"headers\": [{\"name\": \"\", "
		    "\"value\": \"\"}]}", 0, -1,
		    "headers[0].name,headers[0].value" },
		{ "header without value", "{\"headers\": [{\"name\": \"X\"}]}", 0,
		    -1, "headers[0].value" },
		{ "auth of 1024", "{\"auth\": {\"username\": \"<a1024>\", "
		    "\"password\": \"<a1024>\"}}", 0, 0, "" },
		{ "auth of 1025", "{\"auth\": {\"username\": \"<a1025>\", "
		    "\"password\": \"<a1025>\"}}", 0, -1,
		    "auth.username,auth.password" },
		{ "auth without password", "{\"auth\": {\"username\": \"u\"}}", 0,
		    -1, "auth.password" },
		{ "auth as served for none", "{\"auth\": {\"username\": \"\", "
		    "\"password\": \"\"}}", 0, 0, "" },
		{ "headers not a list", "{\"headers\": \"X: 1\"}", 0, -1,
		    "headers" },
		{ "create without url", "{\"name\": \"n\"}", 1, -1, "url" },
	};
	json_object		*body;
	struct wh_input		 in;
	struct wh_errors	 errs;
	char			*text;
	size_t			 i;
	int			 rc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		text = expand(cases[i].body);
		body = json_tokener_parse(text);
		if (body == NULL)
			fail_msg("%s: bad JSON", cases[i].label);
		rc = webhook_decode(body, cases[i].create, &in, &errs);
		if (rc != cases[i].rc)
			fail_msg("%s: rc %d, want %d (%s: %s)", cases[i].label,
			    rc, cases[i].rc, errs.n ? errs.e[0].field : "",
			    errs.n ? errs.e[0].msg : "");
		if (rc == -1 && !same_fields(&errs, cases[i].fields))
			fail_msg("%s: %zu errors, first %s, want %s",
			    cases[i].label, errs.n, errs.e[0].field,
			    cases[i].fields);
		json_object_put(body);
		free(text);
		if (rc == 0 && strcmp(cases[i].body, SEED002) == 0 &&
		    !cases[i].create)
			/* "" token on update keeps the stored secret. */
			assert_false(in.set & WF_TOKEN);
		if (rc == 0 && strcmp(cases[i].body, SEED002) == 0 &&
		    cases[i].create) {
			/* "" token: one is generated; [] and {}: none. */
			assert_true(in.set & WF_TOKEN);
			assert_non_null(in.w.token);
			assert_int_equal(strncmp(in.w.token, "whsec_", 6), 0);
			assert_int_equal(in.w.nheaders, 0);
			assert_null(in.w.auth_user);
		}
		webhook_input_free(&in);
	}
}

static void
test_encode(void **state)
{
	static const struct {
		const char	*label;
		struct fixture	 f;
		const char	*one;	/* api_chatbot_json, the seed's part */
		const char	*item;	/* api_chatbot_item_json */
		const char	*never;	/* text that must not be served */
	} cases[] = {
		{ "nothing set", { "Webhook", "https://example.com", NULL, NULL,
		    NULL, NULL, NULL, 1, NULL, NULL },
		    "{\"id\":\"0b7c1f9e-2d4a-4c3e-9f1a-5e6d7c8b9a01\","
		    "\"name\":\"Webhook\",\"url\":\"https://example.com\","
		    "\"token\":\"qwerty\",\"headers\":[],\"auth\":{\"username\":"
		    "\"\",\"password\":\"\"},\"error\":{\"date\":\"\","
		    "\"message\":\"\"}",
		    "{\"id\":\"0b7c1f9e-2d4a-4c3e-9f1a-5e6d7c8b9a01\","
		    "\"name\":\"Webhook\",\"url\":\"https://example.com\","
		    "\"error\":\"\"}", NULL },
		{ "everything set", { "Webhook example", "https://example.com",
		    "X-Api-Key", "k", "user", "s3cr3t-pass", "customer_created",
		    0, "2017-12-04T15:06:12.053Z",
		    "timeout of 10000ms exceeded" },
		    "{\"id\":\"0b7c1f9e-2d4a-4c3e-9f1a-5e6d7c8b9a01\","
		    "\"name\":\"Webhook example\",\"url\":\"https://example.com\","
		    "\"token\":\"qwerty\",\"headers\":[{\"name\":\"X-Api-Key\","
		    "\"value\":\"k\"}],\"auth\":{\"username\":\"user\","
		    "\"password\":\"********\"},\"error\":{\"date\":"
		    "\"2017-12-04T15:06:12.053Z\",\"message\":\"timeout of "
		    "10000ms exceeded\"}",
		    "{\"id\":\"0b7c1f9e-2d4a-4c3e-9f1a-5e6d7c8b9a01\","
		    "\"name\":\"Webhook example\",\"url\":\"https://example.com\","
		    "\"error\":\"timeout of 10000ms exceeded\"}", "s3cr3t-pass" },
	};
	/* The union fields follow the seed's, in this order. */
	static const char *const extras[] = {
		"http_method", "events", "settings", "active", "max_attempts",
		"created_at", "updated_at"
	};
	struct webhook	 w;
	json_object	*got;
	const char	*text;
	char		 key[32];
	size_t		 i, k;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fixture_webhook(&cases[i].f, &w);
		got = api_chatbot_json(&w);
		text = api_json_string(got);
		if (strncmp(text, cases[i].one, strlen(cases[i].one)) != 0)
			fail_msg("%s: got %s\nwant %s...", cases[i].label, text,
			    cases[i].one);
		for (k = 0; k < sizeof(extras) / sizeof(extras[0]); k++) {
			snprintf(key, sizeof(key), "\"%s\":", extras[k]);
			if (strstr(text + strlen(cases[i].one), key) == NULL)
				fail_msg("%s: no %s", cases[i].label, key);
		}
		if (cases[i].never != NULL && strstr(text, cases[i].never))
			fail_msg("%s: %s served", cases[i].label,
			    cases[i].never);
		json_object_put(got);
		got = api_chatbot_item_json(&w);
		assert_string_equal(api_json_string(got), cases[i].item);
		json_object_put(got);
		webhook_free(&w);
	}
	/* The answer to a write, as the seed shows it. */
	got = api_chatbot_status_json("58ee2e085d033800059a3f7f",
	    1515764440260LL);
	assert_string_equal(api_json_string(got),
	    "{\"id\":\"58ee2e085d033800059a3f7f\",\"timestamp\":"
	    "\"2018-01-12T13:40:40.260Z\",\"status\":{\"code\":200,"
	    "\"type\":\"success\"}}");
	json_object_put(got);
}

/* ---- the handlers over a real store ------------------------------------ */

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
		const char	*never;		/* text it must not hold */
		int		 save;		/* save the answer's id: 0, 1; -1 */
	} cases[] = {
		{ "create, the seed's body", HTTP_POST, "/webhooks", T_ALL, JSON,
		    SEED002, 200, "\"status\":{\"code\":200,\"type\":\"success\"}",
		    NULL, 0 },
		{ "list", HTTP_GET, "/webhooks", T_VIEW, NULL, NULL, 200,
		    "[{\"id\":\"{0}\",\"name\":\"Webhook name\",\"url\":"
		    "\"https://example.com/hook\",\"error\":\"\"}]", NULL, -1 },
		{ "get", HTTP_GET, "/webhooks/{0}", T_VIEW, NULL, NULL, 200,
		    "\"headers\":[],\"auth\":{\"username\":\"\",\"password\":\"\"},"
		    "\"error\":{\"date\":\"\",\"message\":\"\"}", NULL, -1 },
		{ "update: headers, auth, token", HTTP_PUT, "/webhooks/{0}",
		    T_ALL, JSON, "{\"name\": \"Renamed\", \"url\": "
		    "\"https://example.com/hook\", \"token\": \"qwerty\", "
		    "\"headers\": [{\"name\": \"X-A\", \"value\": \"1\"}], "
		    "\"auth\": {\"username\": \"u\", \"password\": "
		    "\"hunter2-pw\"}}", 200, "{\"id\":\"{0}\",\"timestamp\":",
		    NULL, -1 },
		{ "get: password masked", HTTP_GET, "/webhooks/{0}", T_ALL, NULL,
		    NULL, 200, "\"token\":\"qwerty\",\"headers\":[{\"name\":"
		    "\"X-A\",\"value\":\"1\"}],\"auth\":{\"username\":\"u\","
		    "\"password\":\"********\"}", "hunter2-pw", -1 },
		{ "get, view-only: secret and header values masked too", HTTP_GET,
		    "/webhooks/{0}", T_VIEW, NULL, NULL, 200,
		    "\"token\":\"********\",\"headers\":[{\"name\":"
		    "\"X-A\",\"value\":\"********\"}],\"auth\":{\"username\":"
		    "\"u\",\"password\":\"********\"}", "qwerty", -1 },
		{ "update sending the mask back keeps it", HTTP_PUT,
		    "/webhooks/{0}", T_ALL, JSON, "{\"auth\": {\"username\": "
		    "\"u2\", \"password\": \"********\"}}", 200,
		    "\"type\":\"success\"", NULL, -1 },
		{ "same url twice is allowed here", HTTP_POST, "/webhooks/",
		    T_ALL, JSON, SEED002, 200, "\"type\":\"success\"", NULL, 1 },
		{ "bad body: 400 naming the field", HTTP_POST, "/webhooks", T_ALL,
		    JSON, "{\"name\": \"\", \"url\": \"https://e.com\"}", 400,
		    "\"status\":{\"code\":400,\"type\":\"error\",\"message\":"
		    "\"The given data was invalid: name must not be empty.\"}",
		    NULL, -1 },
		{ "update, bad header: 400 with id", HTTP_PUT, "/webhooks/{0}",
		    T_ALL, JSON, "{\"headers\": [{\"name\": \"X\"}]}", 400,
		    "{\"id\":\"{0}\",\"timestamp\":", NULL, -1 },
		{ "malformed JSON: 400", HTTP_POST, "/webhooks", T_ALL, JSON,
		    "{", 400, "\"code\":400,\"type\":\"error\"", NULL, -1 },
		{ "no content type: 415", HTTP_POST, "/webhooks", T_ALL, NULL,
		    "{}", 415, "\"code\":415,\"type\":\"error\"", NULL, -1 },
		{ "no token: 401", HTTP_GET, "/webhooks", T_NONE, NULL, NULL,
		    401, "\"code\":401,\"type\":\"error\"", NULL, -1 },
		{ "bad token: 401", HTTP_GET, "/webhooks/{0}", T_BAD, NULL, NULL,
		    401, "\"code\":401,\"type\":\"error\"", NULL, -1 },
		{ "create without the scope: 403", HTTP_POST, "/webhooks",
		    T_VIEW, JSON, SEED002, 403, "\"code\":403,\"type\":\"error\"",
		    NULL, -1 },
		{ "not a uuid: 404", HTTP_GET, "/webhooks/5a21a9e21ec94a0007f9ac19",
		    T_ALL, NULL, NULL, 404, "\"code\":404,\"type\":\"error\"",
		    NULL, -1 },
		{ "unknown path: 404 in the dialect", HTTP_GET, "/webhooks/a/b",
		    T_ALL, NULL, NULL, 404, "\"code\":404,\"type\":\"error\"",
		    NULL, -1 },
		{ "delete, as the seed sends it", HTTP_DELETE, "/webhooks/{0}",
		    T_ALL, JSON, NULL, 200, "{\"id\":\"{0}\",\"timestamp\":",
		    "\"error\"", -1 },
		{ "get after delete: 404", HTTP_GET, "/webhooks/{0}", T_ALL, NULL,
		    NULL, 404, "{\"id\":\"{0}\",\"timestamp\":", NULL, -1 },
		{ "the other is still there", HTTP_GET, "/webhooks", T_ALL, NULL,
		    NULL, 200, "[{\"id\":\"{1}\"", NULL, -1 },
	};
	struct env	 e;
	const char	*tok;
	char		*out, *want, *allow;
	json_object	*j, *v;
	size_t		 i;
	int		 status;

	(void)state;
	env_open(&e, "apicb");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tok = cases[i].tok == T_ALL ? e.all : cases[i].tok == T_VIEW ?
		    e.view : cases[i].tok == T_BAD ? "wh_nope" : NULL;
		status = call(&e, cases[i].m, cases[i].path, tok,
		    cases[i].ctype, cases[i].body, &out, NULL);
		if (status != cases[i].want)
			fail_msg("%s: status %d, want %d: %s", cases[i].label,
			    status, cases[i].want, out);
		want = subst(&e, cases[i].want_in);
		if (strstr(out, want) == NULL)
			fail_msg("%s: \"%s\" not in %s", cases[i].label, want,
			    out);
		free(want);
		if (cases[i].never != NULL && strstr(out, cases[i].never))
			fail_msg("%s: \"%s\" in %s", cases[i].label,
			    cases[i].never, out);
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
	status = call(&e, HTTP_DELETE, "/webhooks", e.all, NULL, NULL, &out,
	    &allow);
	assert_int_equal(status, 405);
	assert_non_null(allow);
	assert_string_equal(allow, "GET, HEAD, POST");
	assert_non_null(strstr(out, "\"code\":405,\"type\":\"error\""));
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
		cmocka_unit_test(test_handlers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
