/*
 * Unit tests of dialects as data: a fifth dialect is one file plus one
 * line.  This file is that file: the dialect "echo" at /echo/v9, with its
 * own routes over api.h's shared operations, its own error shape and its
 * own invalid-input status (418, which no real dialect uses); and the one
 * line is its entry in this test's table of dialects, which the Makefile
 * links instead of src/web/dialect.c's.  api.c is the same object the
 * FastCGI program links: nothing in it knows the echo dialect.  The real
 * dialects are checked through the same api_handle beside it.
 */
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
#include "auth.h"
#include "cfg.h"
#include "dialect.h"
#include "http.h"
#include "store.h"
#include "team.h"
#include "util.h"
#include "api_fixture.h"

/* ---- the fifth dialect: what src/api_echo.c would hold ------------------- */

#define ECHO_BASE	"/echo/v9/webhooks"

/* {"problem": {"status", "title", "fields": [name...]}} */
static void
echo_error(struct api_ctx *c, int status, const char *message,
    const struct wh_errors *errs)
{
	json_object	*j, *p, *f;
	size_t		 i;

	p = json_object_new_object();
	json_object_object_add(p, "status", json_object_new_int(status));
	json_object_object_add(p, "title", json_object_new_string(message));
	f = json_object_new_array();
	for (i = 0; errs != NULL && i < errs->n; i++)
		json_object_array_add(f,
		    json_object_new_string(errs->e[i].field));
	json_object_object_add(p, "fields", f);
	j = json_object_new_object();
	json_object_object_add(j, "problem", p);
	api_json(c, status, j);
}

/* {"echo": {"id", "name"}} */
static json_object *
echo_json(const struct webhook *w)
{
	json_object	*j, *e;

	e = json_object_new_object();
	json_object_object_add(e, "id", json_object_new_string(w->uuid));
	json_object_object_add(e, "name", json_object_new_string(w->name));
	j = json_object_new_object();
	json_object_object_add(j, "echo", e);
	return j;
}

static void
echo_create(struct api_ctx *c)
{
	struct webhook	 w;

	if (api_webhook_create(c, 0, &w) == -1)
		return;
	api_json(c, 201, echo_json(&w));
	webhook_free(&w);
}

static void
echo_get(struct api_ctx *c)
{
	struct webhook	 w;

	if (api_webhook_get(c, &w) == -1)
		return;
	api_json(c, 200, echo_json(&w));
	webhook_free(&w);
}

static void
echo_update(struct api_ctx *c)
{
	struct webhook	 w;

	if (api_webhook_update(c, 0, &w) == -1)
		return;
	api_json(c, 200, echo_json(&w));
	webhook_free(&w);
}

static const struct route echo_routes[] = {
	{ HTTP_M(HTTP_POST), ECHO_BASE, echo_create, SCOPE_ADD, ROUTE_BODY },
	{ HTTP_M(HTTP_GET), ECHO_BASE "/:id", echo_get, SCOPE_VIEW, 0 },
	{ HTTP_M(HTTP_PUT), ECHO_BASE "/:id", echo_update, SCOPE_EDIT,
	    ROUTE_BODY },
};

static const struct dialect test_echo_dialect = {
	"echo", "/echo/v9", echo_routes,
	sizeof(echo_routes) / sizeof(echo_routes[0]),
	418, echo_error, NULL
};

/* ---- the one line: src/web/dialect.c's table, and the echo dialect ----------- */

#define ENTRY(d)	&d,
const struct dialect *const dialects[] = {
	API_DIALECTS(ENTRY)
	&test_echo_dialect,
};
const size_t ndialects = sizeof(dialects) / sizeof(dialects[0]);

/* ---- the table ------------------------------------------------------------ */

static void
test_table(void **state)
{
	size_t	 i, k;

	(void)state;
	assert_int_equal(ndialects, 9);
	for (i = 0; i < ndialects; i++) {
		const struct dialect *d = dialects[i];

		assert_non_null(d->name);
		assert_non_null(d->error);
		assert_true(d->prefix[0] == '/');
		assert_true(d->prefix[strlen(d->prefix) - 1] != '/');
		assert_true(d->nroutes > 0);
		for (k = 0; k < d->nroutes; k++)
			if (strncmp(d->routes[k].pattern, d->prefix,
			    strlen(d->prefix)) != 0)
				fail_msg("%s: route %s outside %s", d->name,
				    d->routes[k].pattern, d->prefix);
		for (k = 0; k < i; k++)
			if (strcmp(dialects[k]->name, d->name) == 0)
				fail_msg("two dialects named %s", d->name);
	}
	/* The seeds' invalid-input statuses. */
	assert_int_equal(api_native_dialect.invalid, 422);
	assert_int_equal(api_events_dialect.invalid, 422);
	assert_int_equal(api_v1_dialect.invalid, 400);
	assert_int_equal(api_chatbot_dialect.invalid, 400);
	assert_int_equal(api_svix_dialect.invalid, 422);
}

/* ---- through api_handle --------------------------------------------------- */

static void
test_echo(void **state)
{
	static const struct {
		const char	*label;
		enum http_method m;
		const char	*path;		/* "{id}": the webhook made */
		const char	*body;
		int		 status;
		const char	*want;		/* in the body */
		const char	*never;		/* not in the body */
	} cases[] = {
		{ "a bad body: the dialect's status and shape", HTTP_POST,
		    ECHO_BASE, "{\"name\": \"\", \"url\": \"https://e.com\"}",
		    418, "{\"problem\":{\"status\":418,\"title\":\"The given "
		    "data was invalid.\",\"fields\":[\"name\"]}}", NULL },
		{ "a NUL in a key: api_handle's check, the dialect's status",
		    HTTP_POST, ECHO_BASE, "{\"a\\u0000b\": 1}", 418,
		    "\"fields\":[\"body\"]", NULL },
		{ "not JSON: 400 in the dialect's shape", HTTP_POST, ECHO_BASE,
		    "{", 400, "{\"problem\":{\"status\":400", NULL },
		{ "unknown path under the prefix: 404 in its shape", HTTP_GET,
		    "/echo/v9/nothing", NULL, 404,
		    "{\"problem\":{\"status\":404,\"title\":\"Not found.\"",
		    NULL },
		{ "the prefix itself", HTTP_GET, "/echo/v9", NULL, 404,
		    "\"problem\"", NULL },
		{ "no such webhook", HTTP_GET, ECHO_BASE
		    "/0b7c1f9e-2d4a-4c3e-9f1a-5e6d7c8b9a01", NULL, 404,
		    "{\"problem\":{\"status\":404,\"title\":\"No such "
		    "webhook.\"", NULL },
		{ "a path beside the prefix is not the dialect's", HTTP_GET,
		    "/echo/v99", NULL, 404, "{\"message\":\"Not found.\"}",
		    "problem" },
		{ "create", HTTP_POST, ECHO_BASE,
		    "{\"name\": \"e\", \"url\": \"https://e.com/h\"}", 201,
		    "{\"echo\":{\"id\":", NULL },
		{ "read back through the echo dialect", HTTP_GET,
		    ECHO_BASE "/{id}", NULL, 200, "\"name\":\"e\"", NULL },
		{ "read back through seed 000", HTTP_GET,
		    "/api/2.0/webhooks/{id}", NULL, 200, "\"name\":\"e\"",
		    NULL },
		{ "an update the model refuses across fields", HTTP_PUT,
		    ECHO_BASE "/{id}", "{\"auth\": {\"username\": \"u\", "
		    "\"password\": \"p\"}, \"headers\": {\"Authorization\": "
		    "\"x\"}}", 418, "\"problem\":{\"status\":418", NULL },
		/* The real dialects beside it keep their own. */
		{ "seed 000 invalid: 422", HTTP_POST, "/api/2.0/webhooks",
		    "{\"name\": \"\", \"url\": \"https://e.com\"}", 422,
		    "{\"message\":\"The given data was invalid.\",\"errors\":"
		    "{\"name\":[", "problem" },
		{ "seed 001 invalid: 400, fields in the message", HTTP_POST,
		    "/api/web/v1/webhooks", "{\"name\": \"\", \"url\": "
		    "\"https://e.com\"}", 400, "\"error\":\"Bad Request\","
		    "\"message\":\"The given data was invalid: name ", NULL },
		{ "seed 001 404", HTTP_GET, "/api/web/v1/nothing", NULL, 404,
		    "\"path\":\"/api/web/v1/nothing\"", NULL },
		{ "seed 002 invalid: 400", HTTP_POST, "/webhooks",
		    "{\"name\": \"\", \"url\": \"https://e.com\"}", 400,
		    "\"status\":{\"code\":400,\"type\":\"error\"", NULL },
		{ "seed 002 404", HTTP_GET, "/webhooks/a/b", NULL, 404,
		    "\"type\":\"error\"", NULL },
		{ "events 404 under the native prefix", HTTP_GET,
		    "/api/2.0/nothing", NULL, 404,
		    "{\"message\":\"Not found.\"}", NULL },
		{ "no dialect's prefix: the first dialect's shape", HTTP_GET,
		    "/nothing", NULL, 404, "{\"message\":\"Not found.\"}",
		    NULL },
		{ "the admin page's 404 is a page", HTTP_GET,
		    "/admin/nothing", NULL, 404, "<html", "{\"" },
	};
	struct env	 e;
	json_object	*j, *v;
	char		*out, *allow, path[128], id[64] = "", *p;
	size_t		 i;
	int		 status;

	(void)state;
	/* The admin page's templates, from the top of the repository. */
	setenv("WEBHOOKS_TEMPLATES", "templates", 1);
	env_open(&e, "dialect");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(path, sizeof(path), "%s", cases[i].path);
		if ((p = strstr(path, "{id}")) != NULL)
			snprintf(p, sizeof(path) - (size_t)(p - path), "%s",
			    id);
		status = call(&e, cases[i].m, path, e.all,
		    cases[i].body != NULL ? JSON : NULL, cases[i].body, &out,
		    NULL);
		if (status != cases[i].status)
			fail_msg("%s: status %d, want %d: %s", cases[i].label,
			    status, cases[i].status, out);
		if (strstr(out, cases[i].want) == NULL)
			fail_msg("%s: \"%s\" not in %s", cases[i].label,
			    cases[i].want, out);
		if (cases[i].never != NULL &&
		    strstr(out, cases[i].never) != NULL)
			fail_msg("%s: \"%s\" in %s", cases[i].label,
			    cases[i].never, out);
		if (status == 201) {
			assert_non_null(j = json_tokener_parse(out));
			assert_true(json_object_object_get_ex(j, "echo", &v));
			assert_true(json_object_object_get_ex(v, "id", &v));
			snprintf(id, sizeof(id), "%s",
			    json_object_get_string(v));
			json_object_put(j);
		}
		free(out);
	}
	/* Wrong method: 405 with the Allow of the dialect's routes. */
	snprintf(path, sizeof(path), "%s", ECHO_BASE);
	status = call(&e, HTTP_DELETE, path, e.all, NULL, NULL, &out, &allow);
	assert_int_equal(status, 405);
	assert_non_null(allow);
	assert_string_equal(allow, "POST");
	assert_non_null(strstr(out, "{\"problem\":{\"status\":405"));
	free(allow);
	free(out);
	env_close(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_echo),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
