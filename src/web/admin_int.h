/*
 * admin_int: what the admin page's two files share, and nothing else
 * includes.  admin.c is the page's frame (the request, its session and
 * CSRF check, rendering, login and logout, the list) and its table of
 * routes; admin_webhook.c the pages of one webhook (its form, new, edit,
 * show, test, secret, retry, delete).
 */
#ifndef ADMIN_INT_H
#define ADMIN_INT_H

#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "dialect.h"
#include "http.h"
#include "tmpl.h"
#include "util.h"
#include "webhook.h"

/* The request's form (application/x-www-form-urlencoded), decoded. */
struct form_pair {
	char	*name;
	char	*value;
};

struct form {
	struct form_pair *f;
	size_t		 n;
};

/* One request to the admin page, from admin_begin to admin_end. */
struct admin {
	struct api_ctx		*c;
	struct form		 form;
	char			 sid[AUTH_SID_LEN + 1];	/* "": no session */
	char			 csrf[AUTH_CSRF_LEN + 1];
	struct tmpl_data	*d;
};

/* admin_begin's flags. */
#define NEED_SESSION	0x01	/* no session: GET -> login page, POST -> 403 */
#define NO_CSRF		0x02	/* POST checked otherwise (login) */

/* ---- admin.c ------------------------------------------------------------ */

/*
 * The start of every handler: headers, session, form, CSRF and scope.
 * Returns 0, or -1 when the answer is already made (then call admin_end
 * all the same).
 */
int	 admin_begin(struct admin *a, struct api_ctx *c, int flags,
	    unsigned scope);
void	 admin_end(struct admin *a);
/* The first value of name in the request's form, or NULL; or "". */
const char *admin_form_get(const struct form *fm, const char *name);
const char *admin_form_str(const struct form *fm, const char *name);
void	 admin_security_headers(struct http_resp *resp);
/* 1 if the session's token has scope. */
int	 admin_can(const struct admin *a, unsigned scope);
/* Renders page into the layout as the answer (status).  The layout gets
 * the page's own data plus content (the rendered page, the only raw slot). */
void	 admin_render(struct admin *a, int status, const char *page,
	    const char *title);
/* An error page. */
void	 admin_fail(struct admin *a, int status, const char *message);
/* 303 to a path of ours ("/admin/..."), below the mount. */
void	 admin_redirect(struct admin *a, const char *location);
/* What every path the page writes begins with: http_prefix ("" at the
 * root, "/hooks"); the templates' {{base}}. */
const char *admin_prefix(const struct admin *a);
/* A store result as a page; 1 when it answered. */
int	 admin_store_failed(struct admin *a, int rc);
/* A webhook's uuid from the path, or a 404 page (then -1). */
int	 admin_path_uuid(struct admin *a);
/* "2017-12-04T15:06:12.053Z" -> "2017-12-04 15:06:12 UTC". */
void	 admin_human_date(const char *iso, char *out, size_t outlen);
void	 admin_human_ms(int64_t ms, char *out, size_t outlen);
/* A webhook's events, space-separated. */
void	 admin_events_text(const struct webhook *w, struct buf *b);
/*
 * Fills item with one attempt record of the attempt log: when, event,
 * status, latency, error, response excerpt, state.  -1 if unreadable.
 */
int	 admin_attempt_item(struct tmpl_data *it, const char *rec,
	    char **newer, size_t nnewer);
/* The notice a redirect asked for (?done=), from the fixed list only. */
void	 admin_notice(struct admin *a);

/* ---- admin_webhook.c: the handlers of one webhook's pages --------------- */

void	 admin_new_form(struct api_ctx *);
void	 admin_create(struct api_ctx *);
void	 admin_show(struct api_ctx *);
void	 admin_edit_form(struct api_ctx *);
void	 admin_update(struct api_ctx *);
void	 admin_secret(struct api_ctx *);
void	 admin_test(struct api_ctx *);
void	 admin_retry(struct api_ctx *);
void	 admin_delete_form(struct api_ctx *);
void	 admin_delete(struct api_ctx *);

#endif /* ADMIN_INT_H */
