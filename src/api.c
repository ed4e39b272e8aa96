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

#include "admin.h"
#include "api.h"
#include "log.h"
#include "probe.h"

/* Every route table; the first match wins. */
static const struct {
	const struct route	*routes;
	const size_t		*n;
} tables[] = {
	{ api_native_routes, &api_native_nroutes },
	{ api_events_routes, &api_events_nroutes },
	{ api_v1_routes, &api_v1_nroutes },
	{ api_chatbot_routes, &api_chatbot_nroutes },
	{ api_admin_routes, &api_admin_nroutes },
};
#define NTABLES (sizeof(tables) / sizeof(tables[0]))

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

/* The dialect of a path that matched no route, for the shape of its 404. */
static int
dialect_of(const char *path)
{
	if (strncmp(path, "/api/web/v1/", 12) == 0)
		return API_V1;
	if (strncmp(path, "/admin", 6) == 0 &&
	    (path[6] == '\0' || path[6] == '/'))
		return API_ADMIN;
	if (strncmp(path, "/webhooks", 9) == 0 &&
	    (path[9] == '\0' || path[9] == '/'))
		return API_CHATBOT;
	return API_NATIVE;
}

/*
 * The message of a 400 in the dialects whose clients may read only the
 * message: the given one followed by each bad field ("The given data was
 * invalid: name must not be empty; url is required.").  The caller frees it.
 */
static char *
fields_message(const char *message, const struct wh_errors *errs)
{
	struct buf	 b;
	size_t		 i, n;

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
api_error(struct api_ctx *c, int status, const char *message,
    const struct wh_errors *errs)
{
	json_object	*j, *e, *arr;
	char		 ts[UTIL_ISO_LEN], *full = NULL;
	size_t		 i;
	int		 dialect;

	dialect = c->route != NULL ? c->route->dialect : dialect_of(c->req->path);
	if (dialect == API_ADMIN) {
		/* HTML, with the admin page's headers. */
		admin_error(c, status, message);
		return;
	}
	if (errs != NULL && errs->n > 0 &&
	    (dialect == API_V1 || dialect == API_CHATBOT))
		message = full = fields_message(message, errs);
	j = json_object_new_object();
	switch (dialect) {
	case API_CHATBOT:
		/* Seed 002 answers {id, timestamp, status{code, type}}; an
		 * error names the webhook when the path does. */
		if (c->route != NULL && c->params[0] != NULL)
			json_object_object_add(j, "id",
			    json_object_new_string(c->params[0]));
		util_iso8601(util_now_ms(), ts);
		json_object_object_add(j, "timestamp", json_object_new_string(ts));
		e = json_object_new_object();
		json_object_object_add(e, "code", json_object_new_int(status));
		json_object_object_add(e, "type", json_object_new_string("error"));
		json_object_object_add(e, "message",
		    json_object_new_string(message));
		json_object_object_add(j, "status", e);
		break;
	case API_V1:
		/* Seed 001 is a generated Spring client: its error shape. */
		util_iso8601(util_now_ms(), ts);
		json_object_object_add(j, "timestamp", json_object_new_string(ts));
		json_object_object_add(j, "status", json_object_new_int(status));
		json_object_object_add(j, "error",
		    json_object_new_string(http_reason(status)));
		json_object_object_add(j, "message",
		    json_object_new_string(message));
		json_object_object_add(j, "path",
		    json_object_new_string(c->req->path));
		break;
	default:
		json_object_object_add(j, "message",
		    json_object_new_string(message));
		break;
	}
	free(full);
	if (errs != NULL && errs->n > 0) {
		/* {"field": ["message", ...]} as Laravel answers a 422. */
		e = json_object_new_object();
		for (i = 0; i < errs->n; i++) {
			const char *f = errs->e[i].field[0] ? errs->e[i].field
			    : "body";
			if (!json_object_object_get_ex(e, f, &arr)) {
				arr = json_object_new_array();
				json_object_object_add(e, f, arr);
			}
			json_object_array_add(arr,
			    json_object_new_string(errs->e[i].msg));
		}
		json_object_object_add(j, "errors", e);
	}
	api_json(c, status, j);
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
		api_error(c, c->route->dialect == API_NATIVE ? 422 : 400,
		    "The given data was invalid.", &errs);
		webhook_input_free(in);
		return -1;
	}
	return 0;
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
		api_error(c, c->route->dialect == API_NATIVE ? 422 : 400,
		    "The given data was invalid.", &errs);
		return -1;
	}
	return api_store_error(c, rc) ? -1 : 0;
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
	int			 rc = ROUTER_NOTFOUND;
	struct json_tokener	*tok;

	memset(&c, 0, sizeof(c));
	c.req = req;
	c.resp = resp;
	c.st = st;
	c.cfg = cfg;
	http_header(resp, "X-Content-Type-Options", "nosniff");
	http_header(resp, "Cache-Control", "no-store");

	pathbuf = xmalloc(strlen(req->path) + 1);
	for (i = 0; !req->bad_path && i < NTABLES; i++) {
		rc = router_match(tables[i].routes, *tables[i].n, req->method,
		    req->path, pathbuf, &r, c.params, &a);
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
	if (r->flags & ROUTE_BODY) {
		if (req->body_too_large) {
			api_error(&c, 413, "The body is larger than the limit "
			    "of 1 MiB.", NULL);
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
	if (r->flags & ROUTE_BODY) {
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
			api_error(&c, r->dialect == API_NATIVE ? 422 : 400,
			    "The given data was invalid.", &errs);
			goto out;
		}
	}
	r->fn(&c);
out:
	json_object_put(c.body);
	free(pathbuf);
}
