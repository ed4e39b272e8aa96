/*
 * The handlers' unit tests' fixture (test_api_v1, test_api_chatbot,
 * test_dialect): a real store in a fresh temporary directory holding the
 * team "a" and two of its tokens, and one request through api_handle as
 * the FastCGI program would make it.  Included after cmocka.h (it
 * asserts).
 */
#ifndef API_FIXTURE_H
#define API_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "auth.h"
#include "cfg.h"
#include "http.h"
#include "store.h"
#include "team.h"
#include "util.h"

struct env {
	char		 dir[32];
	struct store	*st;
	struct cfg	 cfg;
	char		*all, *view;	/* tokens: every scope; webhooks:view */
	char		 id[3][64];	/* saved ids: "{0}" to "{2}" */
};

/* The token a case sends (T_BAD: one that does not exist). */
enum tok { T_ALL, T_VIEW, T_NONE, T_BAD };
#define JSON "application/json"

/* Replaces "{0}" to "{2}" in t by the saved ids; the caller frees it. */
static char *
subst(struct env *e, const char *t)
{
	struct buf	 b;
	const char	*p;

	buf_init(&b);
	for (p = t; *p; p++) {
		if (p[0] == '{' && p[1] >= '0' && p[1] <= '2' && p[2] == '}') {
			buf_puts(&b, e->id[p[1] - '0']);
			p += 2;
		} else
			buf_putc(&b, *p);
	}
	buf_putc(&b, '\0');
	return buf_take(&b);
}

/*
 * Runs one request through api_handle, with token (NULL: none) as its
 * Bearer token.  pathfmt may hold "{0}" to "{2}" for a saved id.  Returns
 * the status; *out (the caller frees) is the body, *allow (if allow is not
 * NULL; the caller frees) the Allow header or NULL.
 */
static int
call(struct env *e, enum http_method m, const char *pathfmt,
    const char *token, const char *ctype, const char *body, char **out,
    char **allow)
{
	struct http_req		 req;
	struct http_resp	 resp;
	char			 query[1] = "", auth[128], *h, *path;
	int			 status;

	path = subst(e, pathfmt);
	memset(&req, 0, sizeof(req));
	req.method = m;
	req.method_name = http_method_name(m);
	req.path = path;
	req.query = query;
	req.host = "127.0.0.1";
	if (token != NULL) {
		snprintf(auth, sizeof(auth), "Bearer %s", token);
		req.authorization = auth;
	}
	req.content_type = ctype;
	req.body = xstrdup(body != NULL ? body : "");
	req.body_len = strlen(req.body);
	http_resp_init(&resp);
	api_handle(e->st, &e->cfg, &req, &resp);
	status = resp.status;
	*out = xstrdup(resp.body.p != NULL ? resp.body.p : "");
	if (allow != NULL) {
		*allow = NULL;
		if (resp.headers.p != NULL &&
		    (h = strstr(resp.headers.p, "Allow: ")) != NULL)
			*allow = xstrndup(h + 7, strcspn(h + 7, "\r\n"));
	}
	http_resp_free(&resp);
	free(req.body);
	free(path);
	return status;
}

/* A store in /tmp/<tag>testXXXXXX with the team "a", and e->all and
 * e->view its tokens. */
static void
env_open(struct env *e, const char *tag)
{
	char	 id[AUTH_ID_LEN + 1];

	memset(e, 0, sizeof(*e));
	assert_true((size_t)snprintf(e->dir, sizeof(e->dir),
	    "/tmp/%stestXXXXXX", tag) < sizeof(e->dir));
	assert_non_null(mkdtemp(e->dir));
	e->st = store_open(e->dir, STORE_CREATE);
	assert_non_null(e->st);
	e->cfg.max_body = 1 << 20;
	e->cfg.per_page_max = 100;
	e->cfg.timeout_ms = 2000;
	assert_int_equal(team_add(e->st, "a"), STORE_OK);
	assert_int_equal(auth_token_create(e->st, "a", SCOPE_ALL, &e->all, id),
	    STORE_OK);
	assert_int_equal(auth_token_create(e->st, "a", SCOPE_VIEW, &e->view,
	    id), STORE_OK);
}

static void
env_close(struct env *e)
{
	char	 cmd[64];

	free(e->all);
	free(e->view);
	store_close(e->st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", e->dir);
	assert_int_equal(system(cmd), 0);
}

#endif /* API_FIXTURE_H */
