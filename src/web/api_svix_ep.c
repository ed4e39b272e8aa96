/*
 * api_svix_ep: the Svix dialect's endpoints, /api/v1/app/{app}/endpoint
 * (src/model/endpoint.h: an endpoint is a webhook of the application).
 * The route table is api_svix.c's; params[0] is the application, params[1]
 * the endpoint, each an id or a uid.
 */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "api_svix_int.h"
#include "endpoint.h"
#include "log.h"

/* A model result answered: 1, or 0 for STORE_OK.  A uid taken is a 409 of
 * its own words. */
static int
ep_fail(struct api_ctx *c, int rc, const struct wh_errors *errs)
{
	if (rc == STORE_EXISTS) {
		svix_error(c, 409, "An endpoint with this uid already exists.",
		    NULL);
		return 1;
	}
	return svix_fail(c, rc, errs);
}

static void
ep_answer(struct api_ctx *c, int status, struct webhook *w)
{
	api_json(c, status, endpoint_to_json(w));
	webhook_free(w);
}

void
svix_ep_create(struct api_ctx *c)
{
	struct wh_errors errs;
	struct webhook	 w;
	char		 id[APP_ID_MAX + 1];

	memset(&errs, 0, sizeof(errs));
	if (ep_fail(c, endpoint_create(c->st, c->auth.team, c->params[0],
	    c->body, &w, &errs), &errs))
		return;
	endpoint_id(&w, id);
	log_info("svix_ep_create: team %s: endpoint %s (webhook %s) of %s",
	    c->auth.team, id, w.uuid, w.app);
	ep_answer(c, 201, &w);
}

void
svix_ep_get(struct api_ctx *c)
{
	struct webhook	 w;

	if (!ep_fail(c, endpoint_get(c->st, c->auth.team, c->params[0],
	    c->params[1], &w), NULL))
		ep_answer(c, 200, &w);
}

void
svix_ep_put(struct api_ctx *c)
{
	struct wh_errors errs;
	struct webhook	 w;
	int		 created, rc;

	memset(&errs, 0, sizeof(errs));
	rc = endpoint_put(c->st, c->auth.team, c->params[0], c->params[1],
	    c->body, svix_may_create(c), &w, &created, &errs);
	if (rc == STORE_EXISTS) {
		ep_fail(c, rc, NULL);
		return;
	}
	if (!svix_put_fail(c, rc, "endpoint", &errs))
		ep_answer(c, created ? 201 : 200, &w);
}

void
svix_ep_patch(struct api_ctx *c)
{
	struct wh_errors errs;
	struct webhook	 w;

	memset(&errs, 0, sizeof(errs));
	if (!ep_fail(c, endpoint_patch(c->st, c->auth.team, c->params[0],
	    c->params[1], c->body, &w, &errs), &errs))
		ep_answer(c, 200, &w);
}

void
svix_ep_delete(struct api_ctx *c)
{
	if (!ep_fail(c, endpoint_delete(c->st, c->auth.team, c->params[0],
	    c->params[1]), NULL)) {
		log_info("svix_ep_delete: team %s: endpoint %s of %s",
		    c->auth.team, c->params[1], c->params[0]);
		api_json(c, 204, NULL);
	}
}

void
svix_ep_list(struct api_ctx *c)
{
	struct wh_errors errs;
	struct webhook	*ws;
	json_object	*j, *d;
	char		 iter[APP_ID_MAX + 2], first[APP_ID_MAX + 1],
			 last[APP_ID_MAX + 1];
	size_t		 limit, n, i;
	int		 desc, more, back, rc;

	if (svix_list_params(c, &limit, iter, sizeof(iter), &desc) == -1)
		return;
	back = iter[0] == '-';
	rc = endpoint_list(c->st, c->auth.team, c->params[0], iter[0] ? iter :
	    NULL, desc, limit, &ws, &n, &more);
	if (rc == EP_INVALID) {
		memset(&errs, 0, sizeof(errs));
		webhook_error(&errs, "query/iterator", "not an iterator of "
		    "this list");
		svix_error(c, 422, "", &errs);
		return;
	}
	if (ep_fail(c, rc, NULL))
		return;
	d = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(d, endpoint_to_json(&ws[i]));
	if (n > 0) {
		endpoint_id(&ws[0], first);
		endpoint_id(&ws[n - 1], last);
	}
	j = svix_list_page(d, n > 0 ? first : NULL, n > 0 ? last : NULL, back,
	    more);
	for (i = 0; i < n; i++)
		webhook_free(&ws[i]);
	free(ws);
	api_json(c, 200, j);
}

/* ---- headers and secret ----------------------------------------------- */

/* GET …/headers: a token that may not edit sees the values masked, as
 * the native dialects show them. */
void
svix_ep_headers_get(struct api_ctx *c)
{
	struct webhook	 w;

	if (ep_fail(c, endpoint_get(c->st, c->auth.team, c->params[0],
	    c->params[1], &w), NULL))
		return;
	if (!(c->auth.scopes & SCOPE_EDIT))
		webhook_redact(&w);
	api_json(c, 200, endpoint_headers_json(&w));
	webhook_free(&w);
}

static void
headers_set(struct api_ctx *c, int patch)
{
	struct wh_errors errs;

	memset(&errs, 0, sizeof(errs));
	if (!ep_fail(c, endpoint_set_headers(c->st, c->auth.team,
	    c->params[0], c->params[1], c->body, patch, &errs), &errs))
		api_json(c, 204, NULL);
}

void
svix_ep_headers_put(struct api_ctx *c)
{
	headers_set(c, 0);
}

void
svix_ep_headers_patch(struct api_ctx *c)
{
	headers_set(c, 1);
}

/* GET …/secret: the signing secret, which only a token that may edit
 * reads (the native dialects mask it for the others). */
void
svix_ep_secret(struct api_ctx *c)
{
	struct webhook	 w;
	json_object	*j;

	if (!(c->auth.scopes & SCOPE_EDIT)) {
		svix_error(c, 403, "Reading a signing secret needs the scope "
		    "webhooks:edit.", NULL);
		return;
	}
	if (ep_fail(c, endpoint_get(c->st, c->auth.team, c->params[0],
	    c->params[1], &w), NULL))
		return;
	j = json_object_new_object();
	json_object_object_add(j, "key", json_object_new_string(
	    w.token != NULL ? w.token : ""));
	webhook_free(&w);
	api_json(c, 200, j);
}

void
svix_ep_rotate(struct api_ctx *c)
{
	struct wh_errors errs;

	memset(&errs, 0, sizeof(errs));
	if (ep_fail(c, endpoint_rotate(c->st, c->auth.team, c->params[0],
	    c->params[1], c->body, &errs), &errs))
		return;
	log_info("svix_ep_rotate: team %s: endpoint %s of %s: secret rotated",
	    c->auth.team, c->params[1], c->params[0]);
	api_json(c, 204, NULL);
}

