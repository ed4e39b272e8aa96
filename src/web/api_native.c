/*
 * api_native: seed 000 (Passona API 2.0) at /api/2.0/webhooks.  A webhook is
 * served inside a "data" envelope with "links" [{rel: self, uri}], the list
 * is paginated Laravel-style ("data", "links", "meta"), create answers 201,
 * delete 204 with no body, bad fields 422 naming each one, errors
 * {"message", "errors"?}.
 *
 * GET /api/2.0/openapi.json serves the OpenAPI 3.1 document of every
 * dialect, templates/openapi.json, without a token (a public spec, as Svix
 * and Stripe publish theirs): it lives beside the admin page's templates
 * because the program already finds that directory wherever it is
 * installed (tmpl_dir: the repository, `make install`, a shared host).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "log.h"
#include "tmpl.h"

#define PER_PAGE_DEFAULT 15
#define BASE "/api/2.0/webhooks"

/*
 * The webhook as seed 000 shows it: the union fields plus links, written as
 * JSON text into b.  base is http_base_url's, computed once per answer.
 */
static void
native_put(struct buf *b, const char *base, const struct webhook *w)
{
	struct buf	 uri;

	buf_init(&uri);
	buf_puts(&uri, base);
	buf_puts(&uri, BASE "/");
	buf_puts(&uri, w->uuid);
	buf_putc(b, '{');
	webhook_json_members(b, w);
	buf_puts(b, ",\"links\":[{\"rel\":\"self\",\"uri\":");
	buf_json_str(b, uri.p);
	buf_puts(b, "}]}");
	buf_free(&uri);
}

/*
 * What goes between a view's members and its uuid: the links member up to
 * the uri's path, once per answer.  base holds host characters and the
 * percent-encoded mount only, or a base_url setting of host and path
 * characters that cfg checked (http_base_url), and a uuid hex digits and
 * dashes: the uri needs no escaping.
 */
static void
link_start(struct buf *l, const char *base)
{
	buf_init(l);
	buf_puts(l, ",\"links\":[{\"rel\":\"self\",\"uri\":\"");
	buf_puts(l, base);
	buf_puts(l, BASE "/");
}

/* The same from a view: its members as they are, then the links. */
static void
native_put_view(struct buf *b, const struct buf *link,
    const struct webhook_view *v)
{
	buf_putc(b, '{');
	buf_add(b, v->members, v->len);
	buf_add(b, link->p, link->len);
	buf_add(b, v->uuid, 36);
	buf_add(b, "\"}]}", 4);
}

/* Starts a JSON answer: status, Content-Type, an empty body to write into. */
static struct buf *
answer_start(struct api_ctx *c, int status)
{
	c->resp->status = status;
	http_header(c->resp, "Content-Type", "application/json");
	buf_reset(&c->resp->body);
	return &c->resp->body;
}

static void
answer_one(struct api_ctx *c, int status, const struct webhook *w)
{
	struct buf	*b;
	char		*base;

	base = http_base_url(c->req, c->cfg->base_url);
	b = answer_start(c, status);
	buf_puts(b, "{\"data\":");
	native_put(b, base, w);
	buf_putc(b, '}');
	free(base);
}

static void
native_create(struct api_ctx *c)
{
	struct webhook	 w;
	char		*loc, *base;

	if (api_webhook_create(c, 0, &w) == -1)
		return;
	base = http_base_url(c->req, c->cfg->base_url);
	loc = xasprintf("%s%s/%s", base, BASE, w.uuid);
	http_header(c->resp, "Location", loc);
	free(loc);
	free(base);
	answer_one(c, 201, &w);
	webhook_free(&w);
}

static void
native_get(struct api_ctx *c)
{
	struct webhook_view v;
	struct buf	*b, link;
	char		*base;

	if (api_webhook_get_view(c, &v) == -1)
		return;
	base = http_base_url(c->req, c->cfg->base_url);
	link_start(&link, base);
	b = answer_start(c, 200);
	buf_puts(b, "{\"data\":");
	native_put_view(b, &link, &v);
	buf_putc(b, '}');
	buf_free(&link);
	free(base);
	webhook_view_free(&v);
}

static void
native_update(struct api_ctx *c)
{
	struct webhook	 w;

	if (api_webhook_update(c, 0, &w) == -1)
		return;
	answer_one(c, 200, &w);
	webhook_free(&w);
}

/* POST .../{id}/secret/rotate: the webhook with its new secret. */
static void
native_rotate(struct api_ctx *c)
{
	struct webhook	 w;

	if (api_webhook_rotate(c, &w) == -1)
		return;
	answer_one(c, 200, &w);
	webhook_free(&w);
}

static void
native_delete(struct api_ctx *c)
{
	if (api_webhook_delete(c) == 0)
		api_json(c, 204, NULL);
}

/* A positive integer query parameter, or def when absent or not one. */
static long
query_long(struct api_ctx *c, const char *name, long def)
{
	char	 v[32], *end;
	long	 n;

	if (http_query(c->req, name, v, sizeof(v)) == -1)
		return def;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v || *end != '\0' || n < 1)
		return def;
	return n;
}

/* v in decimal, as json-c writes an int64. */
static void
put_long(struct buf *b, long v)
{
	char	 d[24];
	size_t	 i = sizeof(d);
	unsigned long u;

	if (v < 0) {
		buf_printf(b, "%ld", v);
		return;
	}
	u = (unsigned long)v;
	do {
		d[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0);
	buf_add(b, d + i, sizeof(d) - i);
}

/* "url?[per_page=N&]page=P" as a JSON string; url and pp need no escaping
 * (http_base_url's characters, a fixed path, digits). */
static void
page_link(struct buf *b, const char *base, const char *path, const char *pp,
    long page)
{
	buf_putc(b, '"');
	buf_puts(b, base);
	buf_puts(b, path);
	buf_putc(b, '?');
	buf_puts(b, pp);
	buf_puts(b, "page=");
	put_long(b, page);
	buf_putc(b, '"');
}

/*
 * A list's "links" and "meta" written as text after the data
 * (",\"links\":{...},\"meta\":{...}"), without building json-c objects
 * (that was a tenth of a list page).
 */
static void
paginate_text(struct buf *b, const char *base, const char *path, long page,
    long per_page, size_t n, size_t total)
{
	char	 pp[48] = "";
	long	 last;

	last = total == 0 ? 1 : (long)((total + (size_t)per_page - 1) /
	    (size_t)per_page);
	if (per_page != PER_PAGE_DEFAULT)
		snprintf(pp, sizeof(pp), "per_page=%ld&", per_page);
	buf_puts(b, ",\"links\":{\"first\":");
	page_link(b, base, path, pp, 1);
	buf_puts(b, ",\"last\":");
	page_link(b, base, path, pp, last);
	buf_puts(b, ",\"prev\":");
	if (page > 1 && page <= last + 1)
		page_link(b, base, path, pp, page - 1);
	else
		buf_puts(b, "null");
	buf_puts(b, ",\"next\":");
	if (page < last)
		page_link(b, base, path, pp, page + 1);
	else
		buf_puts(b, "null");
	buf_puts(b, "},\"meta\":{\"current_page\":");
	put_long(b, page);
	buf_puts(b, ",\"from\":");
	if (n)
		put_long(b, (page - 1) * per_page + 1);
	else
		buf_puts(b, "null");
	buf_puts(b, ",\"last_page\":");
	put_long(b, last);
	buf_puts(b, ",\"path\":\"");
	buf_puts(b, base);
	buf_puts(b, path);
	buf_puts(b, "\",\"per_page\":");
	put_long(b, per_page);
	buf_puts(b, ",\"to\":");
	if (n)
		put_long(b, (page - 1) * per_page + (long)n);
	else
		buf_puts(b, "null");
	buf_puts(b, ",\"total\":");
	put_long(b, (long)total);
	buf_putc(b, '}');
}

/*
 * The same "links" and "meta" added to a json-c answer (the attempt log's
 * list), taken from paginate_text's bytes so that the shape is written in
 * one place.
 */
void
api_native_paginate(struct api_ctx *c, json_object *j, const char *path,
    long page, long per_page, size_t n, size_t total)
{
	struct buf	 b;
	json_object	*parts;
	char		*base;

	base = http_base_url(c->req, c->cfg->base_url);
	buf_init(&b);
	buf_puts(&b, "{\"_\":0");
	paginate_text(&b, base, path, page, per_page, n, total);
	buf_putc(&b, '}');
	if ((parts = json_tokener_parse(b.p)) == NULL)
		log_panic("api_native_paginate: unparsable links");
	json_object_object_add(j, "links",
	    json_object_get(json_object_object_get(parts, "links")));
	json_object_object_add(j, "meta",
	    json_object_get(json_object_object_get(parts, "meta")));
	json_object_put(parts);
	buf_free(&b);
	free(base);
}

int
api_native_page_params(struct api_ctx *c, long *page, long *per_page)
{
	*per_page = query_long(c, "per_page", PER_PAGE_DEFAULT);
	if (*per_page > c->cfg->per_page_max)
		*per_page = c->cfg->per_page_max;
	*page = query_long(c, "page", 1);
	/* Beyond any possible list: keep the offset arithmetic in range. */
	return *page > 100000000L ? -1 : 0;
}

static void
native_list(struct api_ctx *c)
{
	struct webhook_views vs;
	struct buf	*b, link;
	char		*base;
	size_t		 i, want;
	long		 page, per_page;

	if (api_native_page_params(c, &page, &per_page) == -1) {
		api_error(c, 422, "page is out of range.", NULL);
		return;
	}
	if (api_store_error(c, webhook_list_views(c->st, c->auth.team,
	    (size_t)(page - 1) * (size_t)per_page, (size_t)per_page,
	    !api_sees_secrets(c), &vs)))
		return;
	base = http_base_url(c->req, c->cfg->base_url);
	link_start(&link, base);
	b = answer_start(c, 200);
	/* One allocation for the page: the views, their links, the rest. */
	for (i = 0, want = 1024 + strlen(base) * 6; i < vs.n; i++)
		want += vs.v[i].len + link.len + 48;
	buf_reserve(b, want);
	buf_puts(b, "{\"data\":[");
	for (i = 0; i < vs.n; i++) {
		if (i > 0)
			buf_putc(b, ',');
		native_put_view(b, &link, &vs.v[i]);
	}
	buf_free(&link);
	buf_putc(b, ']');
	paginate_text(b, base, BASE, page, per_page, vs.n, vs.total);
	free(base);
	webhook_views_free(&vs);
	buf_putc(b, '}');
}

/*
 * The document, read once a process (it changes with the program, as the
 * templates do); a file that cannot be read answers 500 and is logged.
 */
static void
native_openapi(struct api_ctx *c)
{
	static struct buf	 doc;
	static int		 loaded;
	struct buf		*b;
	FILE			*fp;
	char			*path, chunk[8192];
	size_t			 n;

	if (!loaded) {
		path = xasprintf("%s/openapi.json", tmpl_dir());
		if ((fp = fopen(path, "r")) == NULL) {
			log_warn("openapi: %s: %s", path, strerror(errno));
			free(path);
			api_error(c, 500, "The OpenAPI document cannot be read "
			    "(set WEBHOOKS_TEMPLATES).", NULL);
			return;
		}
		buf_init(&doc);
		while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
			buf_add(&doc, chunk, n);
		if (ferror(fp)) {
			log_warn("openapi: %s: read error", path);
			fclose(fp);
			free(path);
			buf_free(&doc);
			api_error(c, 500, "The OpenAPI document cannot be read.",
			    NULL);
			return;
		}
		fclose(fp);
		free(path);
		loaded = 1;
	}
	b = answer_start(c, 200);
	buf_add(b, doc.p, doc.len);
}

static const struct route api_native_routes[] = {
	{ HTTP_M(HTTP_GET), "/api/2.0/openapi.json", native_openapi, 0,
	    ROUTE_NOAUTH },
	{ HTTP_M(HTTP_GET), BASE, native_list, SCOPE_VIEW, 0 },
	{ HTTP_M(HTTP_POST), BASE, native_create, SCOPE_ADD, ROUTE_BODY },
	{ HTTP_M(HTTP_GET), BASE "/:id", native_get, SCOPE_VIEW, 0 },
	{ HTTP_M(HTTP_PUT) | HTTP_M(HTTP_PATCH), BASE "/:id", native_update,
	    SCOPE_EDIT, ROUTE_BODY },
	{ HTTP_M(HTTP_DELETE), BASE "/:id", native_delete, SCOPE_REMOVE, 0 },
	{ HTTP_M(HTTP_POST), BASE "/:id/secret/rotate", native_rotate,
	    SCOPE_EDIT, ROUTE_BODY_OPT },
};

void
api_native_error(struct api_ctx *c, int status, const char *message,
    const struct wh_errors *errs)
{
	json_object	*j;

	j = json_object_new_object();
	json_object_object_add(j, "message", json_object_new_string(message));
	api_error_fields(j, errs);
	api_json(c, status, j);
}

const struct dialect api_native_dialect = {
	"native", "/api/2.0", api_native_routes,
	sizeof(api_native_routes) / sizeof(api_native_routes[0]),
	422, api_native_error, NULL
};
