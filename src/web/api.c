/*
 * api: one request from routing to answer, for every dialect.  The order of
 * checks is fixed and happens before any handler runs: unknown path 404,
 * wrong method 405 with Allow, body over the limit 413, wrong content type
 * 415, then the token (401, 403), then malformed JSON 400.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "api.h"
#include "log.h"
#include "probe.h"
#include "spool.h"

const char *
api_json_string(json_object *j)
{
	return json_object_to_json_string_ext(j,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

void
api_json(struct api_ctx *c, int status, json_object *j)
{
	c->resp->status = status;
	if (j == NULL)
		return;
	http_header(c->resp, "Content-Type", "application/json");
	buf_reset(&c->resp->body);
	buf_puts(&c->resp->body, api_json_string(j));
	json_object_put(j);
}

/* The dialect whose prefix covers path (a path that matched no route), for
 * the shape of its 404 or 405; the first dialect when none does. */
static const struct dialect *
dialect_of_path(const char *path)
{
	const char	*p;
	size_t		 i, n;

	for (i = 0; i < ndialects; i++) {
		p = dialects[i]->prefix;
		n = strlen(p);
		if (strncmp(path, p, n) == 0 &&
		    (path[n] == '\0' || path[n] == '/'))
			return dialects[i];
	}
	return dialects[0];
}

char *
api_error_message(const char *message, const struct wh_errors *errs)
{
	struct buf	 b;
	size_t		 i, n;

	if (errs == NULL || errs->n == 0)
		return xstrdup(message);
	buf_init(&b);
	n = strlen(message);
	if (n > 0 && message[n - 1] == '.')
		n--;
	buf_add(&b, message, n);
	for (i = 0; i < errs->n; i++)
		buf_printf(&b, "%s%s %s", i == 0 ? ": " : "; ",
		    errs->e[i].field[0] ? errs->e[i].field : "body",
		    errs->e[i].msg);
	if (errs->count > errs->n)
		buf_printf(&b, "; and %zu more", errs->count - errs->n);
	buf_putc(&b, '.');
	return buf_take(&b);
}

void
api_error_fields(json_object *j, const struct wh_errors *errs)
{
	json_object	*e, *arr;
	const char	*f;
	size_t		 i;

	if (errs == NULL || errs->n == 0)
		return;
	e = json_object_new_object();
	for (i = 0; i < errs->n; i++) {
		f = errs->e[i].field[0] ? errs->e[i].field : "body";
		if (!json_object_object_get_ex(e, f, &arr)) {
			arr = json_object_new_array();
			json_object_object_add(e, f, arr);
		}
		json_object_array_add(arr, json_object_new_string(
		    errs->e[i].msg));
	}
	json_object_object_add(j, "errors", e);
}

void
api_error(struct api_ctx *c, int status, const char *message,
    const struct wh_errors *errs)
{
	if (c->dialect == NULL)
		c->dialect = dialect_of_path(c->req->path);
	c->dialect->error(c, status, message, errs);
}

int
api_store_error(struct api_ctx *c, int res)
{
	switch (res) {
	case STORE_OK:
		return 0;
	case STORE_NOTFOUND:
		api_error(c, 404, "No such webhook.", NULL);
		break;
	case STORE_EXISTS:
		api_error(c, 409, "A webhook with this url already exists.",
		    NULL);
		break;
	default:
		http_header(c->resp, "Retry-After", "1");
		api_error(c, 503, "The store is unavailable; try again.", NULL);
		break;
	}
	return 1;
}

/* The path's webhook uuid, or a 404 answered and NULL. */
static const char *
path_uuid(struct api_ctx *c)
{
	if (c->params[0] == NULL || !util_is_uuid(c->params[0])) {
		api_error(c, 404, "No such webhook.", NULL);
		return NULL;
	}
	return c->params[0];
}

/* Decodes the body into in, or answers the bad fields and returns -1. */
static int
decode_body(struct api_ctx *c, int create, struct wh_input *in)
{
	struct wh_errors	 errs;

	memset(&errs, 0, sizeof(errs));
	if (webhook_decode(c->body, create, in, &errs) == -1) {
		api_error(c, c->dialect->invalid,
		    "The given data was invalid.", &errs);
		webhook_input_free(in);
		return -1;
	}
	return 0;
}

struct spool *
api_ctx_spool(struct api_ctx *c)
{
	static struct spool	*sp;

	if (sp == NULL)
		sp = spool_open(c->cfg->home, 1);
	return sp;
}

int
api_sees_secrets(const struct api_ctx *c)
{
	return (c->auth.scopes & SCOPE_EDIT) != 0;
}

int
api_webhook_get(struct api_ctx *c, struct webhook *w)
{
	const char	*uuid;

	if ((uuid = path_uuid(c)) == NULL ||
	    api_store_error(c, webhook_get(c->st, c->auth.team, uuid, w)))
		return -1;
	if (!api_sees_secrets(c))
		webhook_redact(w);
	return 0;
}

int
api_webhook_get_view(struct api_ctx *c, struct webhook_view *v)
{
	const char	*uuid;

	if ((uuid = path_uuid(c)) == NULL ||
	    api_store_error(c, webhook_get_view(c->st, c->auth.team, uuid,
	    !api_sees_secrets(c), v)))
		return -1;
	return 0;
}

int
api_webhook_create(struct api_ctx *c, int flags, struct webhook *w)
{
	struct wh_input	 in;

	if (decode_body(c, 1, &in) == -1)
		return -1;
	webhook_init(w, c->auth.team);
	webhook_apply(w, &in);
	webhook_input_free(&in);
	if (api_store_error(c, webhook_create(c->st, w, flags))) {
		webhook_free(w);
		return -1;
	}
	return 0;
}

int
api_webhook_update(struct api_ctx *c, int flags, struct webhook *w)
{
	struct wh_errors errs;
	struct wh_input	 in;
	const char	*uuid;
	int		 rc;

	if ((uuid = path_uuid(c)) == NULL || decode_body(c, 0, &in) == -1)
		return -1;
	memset(&errs, 0, sizeof(errs));
	rc = webhook_update(c->st, c->auth.team, uuid, &in, flags, w, &errs);
	webhook_input_free(&in);
	if (rc == WEBHOOK_INVALID) {
		api_error(c, c->dialect->invalid,
		    "The given data was invalid.", &errs);
		return -1;
	}
	return api_store_error(c, rc) ? -1 : 0;
}

int
api_webhook_rotate(struct api_ctx *c, struct webhook *w)
{
	struct wh_errors errs;
	struct wh_input	 in;
	const char	*uuid;
	int		 rc;

	if ((uuid = path_uuid(c)) == NULL)
		return -1;
	memset(&errs, 0, sizeof(errs));
	if (webhook_decode_rotate(c->body, &in, &errs) == -1) {
		api_error(c, c->dialect->invalid,
		    "The given data was invalid.", &errs);
		return -1;
	}
	rc = webhook_update(c->st, c->auth.team, uuid, &in, 0, w, &errs);
	webhook_input_free(&in);
	if (rc == WEBHOOK_INVALID) {
		api_error(c, c->dialect->invalid,
		    "The given data was invalid.", &errs);
		return -1;
	}
	if (api_store_error(c, rc))
		return -1;
	log_info("api_webhook_rotate: team %s: webhook %s: new signing "
	    "secret, %zu old kept", c->auth.team, w->uuid, w->nold_secrets);
	return 0;
}

int
api_webhook_delete(struct api_ctx *c)
{
	const char	*uuid;

	if ((uuid = path_uuid(c)) == NULL ||
	    api_store_error(c, webhook_delete(c->st, c->auth.team, uuid)))
		return -1;
	return 0;
}

int
api_webhook_test(struct api_ctx *c, const struct webhook *w, char *id,
    struct deliver_result *r)
{
	enum probe_res	 res;
	const char	*msg;
	char		 secs[16];
	int		 store_res, status;

	res = probe_run(c->cfg, c->auth.team, w->uuid, id, r, &store_res);
	if (res == PROBE_PENDING)
		return 1;
	if (res != PROBE_OK) {
		if (res == PROBE_BUSY) {
			snprintf(secs, sizeof(secs), "%d",
			    probe_retry_after(c->cfg));
			http_header(c->resp, "Retry-After", secs);
		}
		status = probe_error(res, &msg);
		api_error(c, status, msg, NULL);
		return -1;
	}
	/* The outcome stands even if recording it failed. */
	if (store_res != STORE_OK)
		log_warn("api_webhook_test: %s: recording the attempt: store "
		    "result %d", w->uuid, store_res);
	return 0;
}

#define LIST_CHUNK 256	/* first read of a whole list; the rest at once */

void
api_list_all(struct api_ctx *c, json_object *(*enc)(const struct webhook *))
{
	struct webhook	*ws = NULL;
	json_object	*a;
	size_t		 n = 0, total = 0, i;
	int		 rc;

	rc = webhook_list(c->st, c->auth.team, 0, LIST_CHUNK, &ws, &n, &total);
	if (rc == STORE_OK && total > LIST_CHUNK) {
		for (i = 0; i < n; i++)
			webhook_free(&ws[i]);
		free(ws);
		ws = NULL;
		n = 0;
		rc = webhook_list(c->st, c->auth.team, 0, total, &ws, &n, NULL);
	}
	if (api_store_error(c, rc))
		return;
	a = json_object_new_array();
	for (i = 0; i < n; i++) {
		if (!api_sees_secrets(c))
			webhook_redact(&ws[i]);
		json_object_array_add(a, enc(&ws[i]));
		webhook_free(&ws[i]);
	}
	free(ws);
	api_json(c, 200, a);
}

static int
is_json_type(const char *ct)
{
	size_t	 n;

	if (ct == NULL)
		return 0;
	n = strcspn(ct, "; \t");
	if (n == 16 && strncasecmp(ct, "application/json", 16) == 0)
		return 1;
	/* application/vnd.foo+json */
	return n > 17 && strncasecmp(ct, "application/", 12) == 0 &&
	    strncasecmp(ct + n - 5, "+json", 5) == 0;
}

/* 1 if the n bytes at p are JSON white space only (no NUL either). */
static int
only_space(const char *p, size_t n)
{
	for (; n > 0; p++, n--)
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			return 0;
	return 1;
}

static void
allow_header(struct api_ctx *c, unsigned allow)
{
	struct buf	 b;
	int		 m;

	buf_init(&b);
	for (m = HTTP_GET; m < HTTP_OTHER; m++)
		if (allow & HTTP_M(m) || (m == HTTP_HEAD && allow & HTTP_M(HTTP_GET))) {
			if (b.len)
				buf_puts(&b, ", ");
			buf_puts(&b, http_method_name((enum http_method)m));
		}
	http_header(c->resp, "Allow", b.p ? b.p : "");
	buf_free(&b);
}

static int
authenticate(struct api_ctx *c)
{
	const char	*h = c->req->authorization;
	int		 rc;

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0 || h[7] == '\0') {
		http_header(c->resp, "WWW-Authenticate", "Bearer");
		api_error(c, 401, "Missing bearer token.", NULL);
		return -1;
	}
	h += 7;
	while (*h == ' ')
		h++;
	rc = auth_token_check(c->st, h, &c->auth);
	if (rc == STORE_NOTFOUND) {
		http_header(c->resp, "WWW-Authenticate",
		    "Bearer error=\"invalid_token\"");
		api_error(c, 401, "Invalid token.", NULL);
		return -1;
	}
	if (api_store_error(c, rc))
		return -1;
	if ((c->auth.scopes & c->route->scope) != c->route->scope) {
		char *need = auth_scopes_format(c->route->scope), msg[128];
		snprintf(msg, sizeof(msg), "This token lacks the scope %s.",
		    need);
		free(need);
		api_error(c, 403, msg, NULL);
		return -1;
	}
	return 0;
}

void
api_handle(struct store *st, const struct cfg *cfg, struct http_req *req,
    struct http_resp *resp)
{
	struct api_ctx		 c;
	const struct route	*r = NULL;
	char			*pathbuf;
	unsigned		 allow = 0, a;
	size_t			 i;
	int			 rc = ROUTER_NOTFOUND, body;
	struct json_tokener	*tok;

	memset(&c, 0, sizeof(c));
	c.req = req;
	c.resp = resp;
	c.st = st;
	c.cfg = cfg;
	http_header(resp, "X-Content-Type-Options", "nosniff");
	http_header(resp, "Cache-Control", "no-store");

	pathbuf = xmalloc(strlen(req->path) + 1);
	for (i = 0; !req->bad_path && i < ndialects; i++) {
		rc = router_match(dialects[i]->routes, dialects[i]->nroutes,
		    req->method, req->path, pathbuf, &r, c.params, &a);
		if (rc == ROUTER_OK)
			break;
		allow |= a;
	}
	if (rc != ROUTER_OK) {
		if (allow != 0) {
			allow_header(&c, allow);
			api_error(&c, 405, "Method not allowed.", NULL);
		} else
			api_error(&c, 404, "Not found.", NULL);
		goto out;
	}
	c.route = r;
	c.dialect = dialects[i];
	/* An optional body that is absent: the handler gets none. */
	body = (r->flags & ROUTE_BODY) || ((r->flags & ROUTE_BODY_OPT) &&
	    (req->body_too_large || !only_space(req->body, req->body_len)));
	if (body) {
		if (req->body_too_large) {
			char	 msg[96];

			/* The max_body setting: in MiB when whole MiB. */
			if (cfg->max_body % 1048576 == 0)
				snprintf(msg, sizeof(msg), "The body is larger "
				    "than the limit of %ld MiB.",
				    cfg->max_body / 1048576);
			else
				snprintf(msg, sizeof(msg), "The body is larger "
				    "than the limit of %ld bytes.",
				    cfg->max_body);
			api_error(&c, 413, msg, NULL);
			goto out;
		}
		if (!is_json_type(req->content_type)) {
			api_error(&c, 415, "The body must be application/json.",
			    NULL);
			goto out;
		}
	}
	if (!(r->flags & ROUTE_NOAUTH) && authenticate(&c) == -1)
		goto out;
	if (body) {
		tok = json_tokener_new();
		c.body = json_tokener_parse_ex(tok, req->body,
		    (int)req->body_len);
		if (c.body == NULL ||
		    json_tokener_get_error(tok) != json_tokener_success ||
		    !only_space(req->body + json_tokener_get_parse_end(tok),
		    req->body_len - json_tokener_get_parse_end(tok))) {
			json_object_put(c.body);
			c.body = NULL;
			json_tokener_free(tok);
			api_error(&c, 400, "The body is not valid JSON.", NULL);
			goto out;
		}
		json_tokener_free(tok);
		if (util_json_key_nul(req->body, req->body_len)) {
			struct wh_errors	 errs;

			memset(&errs, 0, sizeof(errs));
			webhook_error(&errs, "body", "object keys must not "
			    "contain NUL (\\u0000)");
			api_error(&c, c.dialect->invalid,
			    "The given data was invalid.", &errs);
			goto out;
		}
	}
	if (c.dialect->run != NULL)
		c.dialect->run(&c, r->fn);
	else
		r->fn(&c);
out:
	json_object_put(c.body);
	free(pathbuf);
}
