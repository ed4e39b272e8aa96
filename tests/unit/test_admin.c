/* Unit tests of the admin page through api_handle over a real store: the
 * login form and its pre-session cookie, the session cookie, CSRF on every
 * POST, scopes, HTML errors, logout, and the login limit's 429.  (The
 * sessions, CSRF tokens and the limit themselves: test_auth_session.) */
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
#include "http.h"
#include "store.h"
#include "util.h"

#include "token_fixture.h"

#ifndef TEMPLATES_DIR
#define TEMPLATES_DIR "templates"
#endif

static int
setup(void **state)
{
	return token_setup(state, "test_admin");
}

/* ---- the pages through api_handle -------------------------------------- */

struct answer {
	int	 status;
	char	*headers;
	char	*body;
};

static void
answer_free(struct answer *a)
{
	free(a->headers);
	free(a->body);
}

/* One request as the FastCGI program would serve it. */
static void
serve(struct store *st, enum http_method m, const char *path, int https,
    const char *cookie, const char *ctype, const char *body,
    struct answer *out)
{
	struct http_req		 req;
	struct http_resp	 resp;
	struct cfg		 cfg;
	char			*q;

	memset(&cfg, 0, sizeof(cfg));
	cfg.max_body = 1 << 20;
	cfg.per_page_max = 100;
	cfg.timeout_ms = 1000;
	memset(&req, 0, sizeof(req));
	req.method = m;
	req.method_name = http_method_name(m);
	req.path = xstrdup(path);
	if ((q = strchr(req.path, '?')) != NULL) {
		req.query = xstrdup(q + 1);
		*q = '\0';
	} else
		req.query = xstrdup("");
	req.host = "127.0.0.1";
	req.https = https;
	req.cookie = cookie;
	req.content_type = ctype;
	req.remote_addr = "127.0.0.1";
	req.body = xstrdup(body != NULL ? body : "");
	req.body_len = strlen(req.body);
	http_resp_init(&resp);
	api_handle(st, &cfg, &req, &resp);
	out->status = resp.status;
	out->headers = xstrdup(resp.headers.p != NULL ? resp.headers.p : "");
	out->body = xstrdup(resp.body.p != NULL ? resp.body.p : "");
	http_resp_free(&resp);
	http_req_free(&req);
}

/* The value of "name=" up to one of the stop characters, or NULL. */
static char *
grab(const char *text, const char *name, const char *stop)
{
	const char	*p = strstr(text, name);

	if (p == NULL)
		return NULL;
	p += strlen(name);
	return xstrndup(p, strcspn(p, stop));
}

static void
test_pages(void **state)
{
	static const char form[] = "application/x-www-form-urlencoded";
	struct fixture	*f = *state;
	struct answer	 a;
	char		*pre, *csrf, *sid, *body, *cookie;
	const char	*p;
	int		 i;

	setenv("WEBHOOKS_TEMPLATES", TEMPLATES_DIR, 1);

	/* No session: to the login page, with the headers. */
	serve(f->st, HTTP_GET, "/admin/", 0, NULL, NULL, NULL, &a);
	assert_int_equal(a.status, 303);
	assert_non_null(strstr(a.headers, "Location: /admin/login\r\n"));
	assert_non_null(strstr(a.headers, "Content-Security-Policy: "
	    "default-src 'self'"));
	assert_non_null(strstr(a.headers, "X-Frame-Options: DENY\r\n"));
	assert_non_null(strstr(a.headers, "X-Content-Type-Options: nosniff"));
	assert_non_null(strstr(a.headers, "Referrer-Policy: same-origin"));
	assert_null(strstr(a.headers, "Access-Control"));
	answer_free(&a);

	/* The login form over HTTPS: its cookie is Secure. */
	serve(f->st, HTTP_GET, "/admin/login", 1, NULL, NULL, NULL, &a);
	assert_int_equal(a.status, 200);
	assert_non_null(strstr(a.headers, "; HttpOnly; SameSite=Strict; "
	    "Secure\r\n"));
	pre = grab(a.headers, "wh_login=", ";");
	csrf = grab(a.body, "name=\"csrf\" value=\"", "\"");
	assert_non_null(pre);
	assert_non_null(csrf);
	answer_free(&a);

	/* Without the pre-session cookie, or with a wrong token: 403. */
	body = xasprintf("csrf=%s&token=%s", csrf, f->token);
	serve(f->st, HTTP_POST, "/admin/login", 1, NULL, form, body, &a);
	assert_int_equal(a.status, 403);
	assert_null(strstr(a.headers, "wh_session="));
	answer_free(&a);
	cookie = xasprintf("wh_login=%s", pre);
	serve(f->st, HTTP_POST, "/admin/login", 1, cookie, form, "csrf=0&"
	    "token=x", &a);
	assert_int_equal(a.status, 403);
	answer_free(&a);
	/* A pre-session value older than an hour, with its right token
	 * (taken from the login page long ago): 403. */
	{
		char	 old[49], oldcsrf[AUTH_CSRF_LEN + 1], *ob, *oc;

		snprintf(old, sizeof(old), "%.40s%08llx", pre,
		    (unsigned long long)(util_now_ms() / 1000 - 3700));
		assert_int_equal(auth_csrf_token(f->st, old, oldcsrf),
		    STORE_OK);
		ob = xasprintf("csrf=%s&token=%s", oldcsrf, f->token);
		oc = xasprintf("wh_login=%s", old);
		serve(f->st, HTTP_POST, "/admin/login", 1, oc, form, ob, &a);
		assert_int_equal(a.status, 403);
		assert_null(strstr(a.headers, "wh_session="));
		answer_free(&a);
		/* The same made 50 minutes ago is still good (no session
		 * made here: the wrong token). */
		snprintf(old, sizeof(old), "%.40s%08llx", pre,
		    (unsigned long long)(util_now_ms() / 1000 - 3000));
		assert_int_equal(auth_csrf_token(f->st, old, oldcsrf),
		    STORE_OK);
		free(ob);
		free(oc);
		ob = xasprintf("csrf=%s&token=wh_wrong_but_fresh", oldcsrf);
		oc = xasprintf("wh_login=%s", old);
		serve(f->st, HTTP_POST, "/admin/login", 1, oc, form, ob, &a);
		assert_int_equal(a.status, 401);
		answer_free(&a);
		free(ob);
		free(oc);
	}
	/* The wrong content type: 415. */
	serve(f->st, HTTP_POST, "/admin/login", 1, cookie, "application/json",
	    body, &a);
	assert_int_equal(a.status, 415);
	answer_free(&a);

	serve(f->st, HTTP_POST, "/admin/login", 1, cookie, form, body, &a);
	assert_int_equal(a.status, 303);
	assert_non_null(strstr(a.headers, "Path=/admin/; HttpOnly; "
	    "SameSite=Strict; Secure\r\n"));
	sid = grab(a.headers, "wh_session=", ";");
	assert_non_null(sid);
	assert_int_equal(strlen(sid), AUTH_SID_LEN);
	answer_free(&a);
	free(body);
	free(cookie);
	free(csrf);

	/* Logged in: the list; a POST without the session's token: 403. */
	cookie = xasprintf("other=1; wh_session=%s", sid);
	serve(f->st, HTTP_GET, "/admin/", 1, cookie, NULL, NULL, &a);
	assert_int_equal(a.status, 200);
	assert_non_null(strstr(a.body, "Team <strong>red</strong>"));
	csrf = grab(a.body, "name=\"csrf\" value=\"", "\"");
	answer_free(&a);
	serve(f->st, HTTP_POST, "/admin/logout", 1, cookie, form, "", &a);
	assert_int_equal(a.status, 403);
	answer_free(&a);
	/* A token without webhooks:add may not see the form. */
	serve(f->st, HTTP_GET, "/admin/webhooks/new", 1, cookie, NULL, NULL,
	    &a);
	assert_int_equal(a.status, 403);
	assert_non_null(strstr(a.body, "webhooks:add"));
	answer_free(&a);
	/* Unknown paths under /admin/ answer in HTML. */
	serve(f->st, HTTP_GET, "/admin/nope", 1, cookie, NULL, NULL, &a);
	assert_int_equal(a.status, 404);
	assert_non_null(strstr(a.headers, "Content-Type: text/html"));
	answer_free(&a);

	body = xasprintf("csrf=%s", csrf);
	serve(f->st, HTTP_POST, "/admin/logout", 1, cookie, form, body, &a);
	assert_int_equal(a.status, 303);
	assert_non_null(strstr(a.headers, "wh_session=; Path=/admin/; "
	    "HttpOnly; SameSite=Strict; Max-Age=0; Secure"));
	answer_free(&a);
	serve(f->st, HTTP_GET, "/admin/", 1, cookie, NULL, NULL, &a);
	assert_int_equal(a.status, 303);
	answer_free(&a);
	free(body);
	free(cookie);
	free(csrf);
	free(sid);
	free(pre);

	/* Ten wrong tokens (the first was above): 401 each; then 429 with
	 * Retry-After for a wrong token, while the right one logs in (the
	 * address may be a proxy's, every client's). */
	serve(f->st, HTTP_GET, "/admin/login", 0, NULL, NULL, NULL, &a);
	pre = grab(a.headers, "wh_login=", ";");
	csrf = grab(a.body, "name=\"csrf\" value=\"", "\"");
	answer_free(&a);
	cookie = xasprintf("wh_login=%s", pre);
	body = xasprintf("csrf=%s&token=wh_wrong", csrf);
	for (i = 1; i < AUTH_LOGIN_FAILS; i++) {
		serve(f->st, HTTP_POST, "/admin/login", 0, cookie, form, body,
		    &a);
		assert_int_equal(a.status, 401);
		answer_free(&a);
	}
	serve(f->st, HTTP_POST, "/admin/login", 0, cookie, form, body, &a);
	assert_int_equal(a.status, 429);
	assert_non_null(p = strstr(a.headers, "Retry-After: "));
	assert_true(atoi(p + 13) > 0 && atoi(p + 13) <= 60);
	assert_non_null(strstr(a.body, "Too many failed logins"));
	assert_null(strstr(a.headers, "wh_session="));
	answer_free(&a);
	free(body);
	body = xasprintf("csrf=%s&token=%s", csrf, f->token);
	serve(f->st, HTTP_POST, "/admin/login", 0, cookie, form, body, &a);
	assert_int_equal(a.status, 303);
	assert_non_null(strstr(a.headers, "wh_session="));
	answer_free(&a);
	free(body);
	free(cookie);
	free(csrf);
	free(pre);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pages, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
