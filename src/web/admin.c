/*
 * admin: the admin page's frame (admin_int.h): the request, login and
 * logout, the list of webhooks, and the table of routes (the pages of one
 * webhook are admin_webhook.c's).  Each handler begins with admin_begin,
 * which sets the security headers, finds the session, and for a POST
 * reads the form (application/x-www-form-urlencoded) and checks its CSRF
 * token, all before any other store access; then it fills a tmpl_data and
 * renders its page inside the layout.
 *
 * Every path the page writes (links, form actions, redirects, the cookies'
 * Path) begins with the mount (http_prefix): handlers and templates write
 * "/admin/...", admin_redirect and the templates' {{base}} prefix it.
 *
 * Sessions: the cookie wh_session (HttpOnly, SameSite=Strict, Path=/admin/
 * below the mount, Secure over HTTPS) holds the session id; every form carries
 * auth_csrf_token(session id).  The login form, before any session, is
 * protected the same way by a random cookie wh_login.  Logins go through
 * auth_login's rate limit (429 with Retry-After).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "admin.h"
#include "admin_int.h"
#include "attempt.h"
#include "auth.h"
#include "cfg.h"
#include "dialect.h"
#include "http.h"
#include "log.h"
#include "retry.h"
#include "tmpl.h"
#include "webhook.h"

#define COOKIE_SESSION	"wh_session"
#define COOKIE_LOGIN	"wh_login"
#define PER_PAGE	20	/* webhooks on a page of the list */
#define EXCERPT_MAX	300	/* bytes of a response body shown */
#define FORM_FIELDS_MAX	(WH_HEADERS_MAX * 2 + WH_EVENTS_MAX + 64)

/* Fixed messages a redirect may ask the next page to show (?done=). */
static const struct {
	const char	*key;
	const char	*text;
} notices[] = {
	{ "deleted", "The webhook was deleted." },
	{ "saved", "The webhook was saved." },
	{ "retried", "The delivery was queued again." },
	{ "loggedout", "You are logged out." },
};

/* ---- the request's form ------------------------------------------------ */



static void
form_free(struct form *fm)
{
	size_t	 i;

	for (i = 0; i < fm->n; i++) {
		free(fm->f[i].name);
		free(fm->f[i].value);
	}
	free(fm->f);
	memset(fm, 0, sizeof(*fm));
}

/* Parses an urlencoded body; -1 on a bad escape, a NUL or too many fields. */
static int
form_parse(struct form *fm, const char *body)
{
	const char	*p = body, *amp, *eq;
	char		*name, *value;

	memset(fm, 0, sizeof(*fm));
	while (*p != '\0') {
		amp = p + strcspn(p, "&");
		if (amp > p) {
			if (fm->n == FORM_FIELDS_MAX)
				return -1;
			eq = memchr(p, '=', (size_t)(amp - p));
			if (eq == NULL)
				eq = amp;
			name = xstrndup(p, (size_t)(eq - p));
			value = eq < amp ? xstrndup(eq + 1,
			    (size_t)(amp - eq - 1)) : xstrdup("");
			fm->f = xrealloc(fm->f, (fm->n + 1) * sizeof(*fm->f));
			fm->f[fm->n].name = name;
			fm->f[fm->n].value = value;
			fm->n++;
			if (http_urldecode(name, 1) == -1 ||
			    http_urldecode(value, 1) == -1)
				return -1;
		}
		p = *amp ? amp + 1 : amp;
	}
	return 0;
}

/* The first value of name, or NULL. */
const char *
admin_form_get(const struct form *fm, const char *name)
{
	size_t	 i;

	for (i = 0; i < fm->n; i++)
		if (strcmp(fm->f[i].name, name) == 0)
			return fm->f[i].value;
	return NULL;
}

const char *
admin_form_str(const struct form *fm, const char *name)
{
	const char	*v = admin_form_get(fm, name);

	return v != NULL ? v : "";
}

/* ---- the request ---------------------------------------------------------- */


/* The value of cookie name into out; 0, or -1 if absent or too long. */
static int
cookie_get(const struct http_req *req, const char *name, char *out,
    size_t outlen)
{
	const char	*p = req->cookie, *end;
	size_t		 nlen = strlen(name), vlen;

	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == ';')
			p++;
		end = p + strcspn(p, ";");
		if ((size_t)(end - p) > nlen && strncmp(p, name, nlen) == 0 &&
		    p[nlen] == '=') {
			vlen = (size_t)(end - p) - nlen - 1;
			if (vlen >= outlen)
				return -1;
			memcpy(out, p + nlen + 1, vlen);
			out[vlen] = '\0';
			return 0;
		}
		p = end;
	}
	return -1;
}

const char *
admin_prefix(const struct admin *a)
{
	return http_prefix(a->c->req, a->c->cfg != NULL ?
	    a->c->cfg->base_url : NULL);
}

static void
set_cookie(struct admin *a, const char *name, const char *value, int clear)
{
	char	*h;

	h = xasprintf("%s=%s; Path=%s/admin/; HttpOnly; SameSite=Strict%s%s",
	    name, value, admin_prefix(a), clear ? "; Max-Age=0" : "",
	    a->c->req->https ? "; Secure" : "");
	http_header(a->c->resp, "Set-Cookie", h);
	free(h);
}

void
admin_security_headers(struct http_resp *resp)
{
	/* nosniff and no-store come from api_handle for every answer. */
	http_header(resp, "Content-Security-Policy",
	    "default-src 'self'; frame-ancestors 'none'; form-action 'self'; "
	    "base-uri 'none'");
	http_header(resp, "X-Frame-Options", "DENY");
	http_header(resp, "Referrer-Policy", "same-origin");
}

int
admin_can(const struct admin *a, unsigned scope)
{
	return a->sid[0] != '\0' && (a->c->auth.scopes & scope) == scope;
}

/* Renders page into the layout as the answer (status).  The layout gets
 * the page's own data plus content (the rendered page, the only raw slot). */
void
admin_render(struct admin *a, int status, const char *page, const char *title)
{
	struct http_resp	*resp = a->c->resp;
	struct buf		 body;

	tmpl_set(a->d, "title", title);
	tmpl_set(a->d, "base", admin_prefix(a));
	if (a->sid[0] != '\0') {
		tmpl_flag(a->d, "logged_in", 1);
		tmpl_set(a->d, "team", a->c->auth.team);
		tmpl_set(a->d, "csrf", a->csrf);
		tmpl_flag(a->d, "can_add", admin_can(a, SCOPE_ADD));
		tmpl_flag(a->d, "can_view", admin_can(a, SCOPE_VIEW));
		tmpl_flag(a->d, "can_edit", admin_can(a, SCOPE_EDIT));
		tmpl_flag(a->d, "can_remove", admin_can(a, SCOPE_REMOVE));
	}
	buf_init(&body);
	if (tmpl_render(page, a->d, &body) == -1)
		goto broken;
	tmpl_set(a->d, "content", body.p);
	buf_reset(&body);
	if (tmpl_render("layout.html", a->d, &body) == -1)
		goto broken;
	resp->status = status;
	http_header(resp, "Content-Type", "text/html; charset=utf-8");
	buf_reset(&resp->body);
	buf_add(&resp->body, body.p, body.len);
	buf_free(&body);
	return;
broken:
	/* The templates are part of the installation: say where they were
	 * looked for (the details are in the log). */
	buf_free(&body);
	resp->status = 500;
	http_header(resp, "Content-Type", "text/plain; charset=utf-8");
	buf_reset(&resp->body);
	buf_printf(&resp->body, "The admin page's templates cannot be read "
	    "from %s (set WEBHOOKS_TEMPLATES).\n", tmpl_dir());
}

void
admin_fail(struct admin *a, int status, const char *message)
{
	tmpl_setf(a->d, "status", "%d", status);
	tmpl_set(a->d, "reason", http_reason(status));
	tmpl_set(a->d, "message", message);
	admin_render(a, status, "error.html", http_reason(status));
}

/* 303 to a path of ours ("/admin/"), below the mount. */
void
admin_redirect(struct admin *a, const char *location)
{
	char	*loc;

	a->c->resp->status = 303;
	loc = xasprintf("%s%s", admin_prefix(a), location);
	http_header(a->c->resp, "Location", loc);
	free(loc);
	buf_reset(&a->c->resp->body);
}

/* A store result as a page; 1 when it answered. */
int
admin_store_failed(struct admin *a, int rc)
{
	switch (rc) {
	case STORE_OK:
		return 0;
	case STORE_NOTFOUND:
		admin_fail(a, 404, "There is no such webhook in your team.");
		break;
	case STORE_EXISTS:
		admin_fail(a, 409, "A webhook with this URL already exists.");
		break;
	case WEBHOOK_INVALID:	/* the form sends both; only a race gets here */
		admin_fail(a, 422, "Basic auth and an Authorization header cannot "
		    "both be set.");
		break;
	default:
		http_header(a->c->resp, "Retry-After", "1");
		admin_fail(a, 503, "The store is unavailable; try again in a moment.");
		break;
	}
	return 1;
}

/*
 * The start of every handler: headers, session, form, CSRF and scope.
 * Returns 0, or -1 when the answer is already made (then call admin_end
 * all the same).
 */
int
admin_begin(struct admin *a, struct api_ctx *c, int flags, unsigned scope)
{
	char	 sid[AUTH_SID_LEN + 2];
	int	 rc, post = c->req->method == HTTP_POST;

	memset(a, 0, sizeof(*a));
	a->c = c;
	a->d = tmpl_data_new();
	admin_security_headers(c->resp);

	if (post) {
		if (c->req->body_too_large) {
			admin_fail(a, 413, "The form is larger than the limit.");
			return -1;
		}
		if (c->req->content_type == NULL || strncasecmp(
		    c->req->content_type, "application/x-www-form-urlencoded",
		    33) != 0) {
			admin_fail(a, 415, "The form must be sent as "
			    "application/x-www-form-urlencoded.");
			return -1;
		}
		if (form_parse(&a->form, c->req->body) == -1) {
			admin_fail(a, 400, "The form cannot be read.");
			return -1;
		}
	}
	if (cookie_get(c->req, COOKIE_SESSION, sid, sizeof(sid)) == 0) {
		rc = auth_session_check(c->st, sid, &c->auth);
		if (rc == STORE_OK) {
			memcpy(a->sid, sid, sizeof(a->sid));
			rc = auth_csrf_token(c->st, a->sid, a->csrf);
		}
		if (rc != STORE_OK && rc != STORE_NOTFOUND) {
			admin_store_failed(a, rc);
			return -1;
		}
	}
	if (post && !(flags & NO_CSRF) && (a->sid[0] == '\0' ||
	    !auth_csrf_check(c->st, a->sid, admin_form_get(&a->form, "csrf")))) {
		admin_fail(a, 403, a->sid[0] == '\0' ? "Your session has ended: log "
		    "in again." : "The form's security token is missing or "
		    "stale: reload the page and try again.");
		return -1;
	}
	if ((flags & NEED_SESSION) && a->sid[0] == '\0') {
		admin_redirect(a, "/admin/login");
		return -1;
	}
	if (scope != 0 && !admin_can(a, scope)) {
		char *need = auth_scopes_format(scope), *msg;
		msg = xasprintf("Your token lacks the scope %s.", need);
		admin_fail(a, 403, msg);
		free(msg);
		free(need);
		return -1;
	}
	return 0;
}

void
admin_end(struct admin *a)
{
	form_free(&a->form);
	tmpl_data_free(a->d);
}

/* A webhook's uuid from the path, or a 404 page (then -1). */
int
admin_path_uuid(struct admin *a)
{
	if (!util_is_uuid(a->c->params[0])) {
		admin_fail(a, 404, "There is no such webhook in your team.");
		return -1;
	}
	return 0;
}

/* "2017-12-04T15:06:12.053Z" -> "2017-12-04 15:06:12 UTC". */
void
admin_human_date(const char *iso, char *out, size_t outlen)
{
	if (iso == NULL || strlen(iso) < 19 || iso[10] != 'T') {
		snprintf(out, outlen, "%s", iso != NULL ? iso : "");
		return;
	}
	snprintf(out, outlen, "%.10s %.8s UTC", iso, iso + 11);
}

void
admin_human_ms(int64_t ms, char *out, size_t outlen)
{
	char	 iso[UTIL_ISO_LEN];

	util_iso8601(ms, iso);
	admin_human_date(iso, out, outlen);
}

void
admin_events_text(const struct webhook *w, struct buf *b)
{
	size_t	 i;

	for (i = 0; i < w->nevents; i++) {
		if (i > 0)
			buf_puts(b, ", ");
		buf_puts(b, strcmp(w->events[i], "*") == 0 ? "all events" :
		    w->events[i]);
	}
	if (w->nevents == 0)
		buf_puts(b, "none");
}

/* ---- delivery attempts ------------------------------------------------------ */

static const char *
jstr(json_object *j, const char *key)
{
	json_object	*v;

	if (!json_object_object_get_ex(j, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int64_t
jint(json_object *j, const char *key, int64_t def)
{
	json_object	*v;

	if (!json_object_object_get_ex(j, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return def;
	return json_object_get_int64(v);
}

static int
jbool(json_object *j, const char *key)
{
	json_object	*v;

	return json_object_object_get_ex(j, key, &v) &&
	    json_object_get_boolean(v);
}

/*
 * Fills item with one attempt record of the attempt log: when, event,
 * status, latency, error, response excerpt, state.  -1 if unreadable.
 */
int
admin_attempt_item(struct tmpl_data *it, const char *rec, char **newer,
    size_t nnewer)
{
	json_object	*j, *o;
	const char	*s, *id, *state;
	size_t		 k;
	int		 retry;
	char		 when[48], excerpt[EXCERPT_MAX + 8];
	int64_t		 status;
	size_t		 n;

	if ((j = json_tokener_parse(rec)) == NULL)
		return -1;
	admin_human_date(jstr(j, "created_at"), when, sizeof(when));
	tmpl_set(it, "when", when);
	tmpl_set(it, "event", jstr(j, "event_type"));
	tmpl_set(it, "delivery_id", jstr(j, "delivery_id"));
	tmpl_setf(it, "attempt", "%lld", (long long)jint(j, "attempt", 1));
	status = jint(j, "status_code", 0);
	if (status > 0)
		tmpl_setf(it, "status", "%lld", (long long)status);
	else
		tmpl_set(it, "status", "none");
	tmpl_setf(it, "latency", "%lld ms", (long long)jint(j, "latency_ms", 0));
	tmpl_set(it, "error", jstr(j, "error"));
	tmpl_set(it, "state", jstr(j, "state"));
	tmpl_flag(it, "ok", jbool(j, "success"));
	tmpl_flag(it, "failed", !jbool(j, "success"));
	tmpl_flag(it, "manual", jbool(j, "manual"));
	/* A retry button on the newest attempt of a delivery that failed for
	 * good ("dead") or waits for its next attempt ("retrying"): only
	 * those are in the spool to be sent again.  Tests are not. */
	id = jstr(j, "delivery_id");
	state = jstr(j, "state");
	retry = !jbool(j, "success") && id != NULL && state != NULL &&
	    delivery_state_retryable(state);
	for (k = 0; retry && k < nnewer; k++) {
		if ((o = json_tokener_parse(newer[k])) == NULL)
			continue;
		if ((s = jstr(o, "delivery_id")) != NULL && strcmp(s, id) == 0)
			retry = 0;
		json_object_put(o);
	}
	tmpl_flag(it, "retry", retry);
	tmpl_set(it, "excerpt", "");
	if ((s = jstr(j, "response_body")) != NULL && *s != '\0') {
		/* Cut at a character boundary: the text is valid UTF-8. */
		n = strlen(s);
		if (n > EXCERPT_MAX) {
			n = EXCERPT_MAX;
			while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
				n--;
		}
		snprintf(excerpt, sizeof(excerpt), "%.*s%s", (int)n, s,
		    n < strlen(s) ? "…" : "");
		tmpl_set(it, "excerpt", excerpt);
	}
	json_object_put(j);
	return 0;
}

/* ---- pages --------------------------------------------------------------------- */

/*
 * The login form's pre-session value: 20 random bytes and the time in
 * seconds, 48 hex digits.  The form's CSRF token is its HMAC, so the time
 * cannot be changed: a value and token taken from the login page to be
 * planted in someone's browser are good for an hour at most.
 */
#define PRE_LEN		48
#define PRE_LIFE_S	3600

static void
pre_make(char out[PRE_LEN + 1])
{
	unsigned char	 raw[20];

	util_random(raw, sizeof(raw));
	util_hex(raw, sizeof(raw), out);
	snprintf(out + 2 * sizeof(raw), PRE_LEN + 1 - 2 * sizeof(raw), "%08llx",
	    (unsigned long long)(util_now_ms() / 1000) & 0xffffffffULL);
}

/* 1 if pre has the shape of pre_make's and was made within the hour. */
static int
pre_fresh(const char *pre)
{
	long long	 made, now = util_now_ms() / 1000;

	if (strlen(pre) != PRE_LEN || strspn(pre, "0123456789abcdef") !=
	    PRE_LEN)
		return 0;
	made = strtoll(pre + PRE_LEN - 8, NULL, 16);
	return made <= (now & 0xffffffffLL) + 60 &&
	    (now & 0xffffffffLL) - made <= PRE_LIFE_S;
}

static void
page_login(struct admin *a, int status, const char *error)
{
	char		 pre[PRE_LEN + 1], csrf[AUTH_CSRF_LEN + 1];
	int		 rc;

	/* A fresh pre-session value each time the form is shown. */
	pre_make(pre);
	rc = auth_csrf_token(a->c->st, pre, csrf);
	if (rc == STORE_OK)
		set_cookie(a, COOKIE_LOGIN, pre, 0);
	if (admin_store_failed(a, rc))
		return;
	tmpl_set(a->d, "login_csrf", csrf);
	tmpl_set(a->d, "error", error);
	admin_render(a, status, "login.html", "Log in");
}

static void
admin_login_form(struct api_ctx *c)
{
	struct admin	 a;
	char		 n[16];

	if (admin_begin(&a, c, 0, 0) == 0) {
		if (a.sid[0] != '\0')
			admin_redirect(&a, "/admin/");
		else {
			if (http_query(c->req, "done", n, sizeof(n)) == 0 &&
			    strcmp(n, "loggedout") == 0)
				tmpl_set(a.d, "notice", "You are logged out.");
			page_login(&a, 200, NULL);
		}
	}
	admin_end(&a);
}

static void
admin_login(struct api_ctx *c)
{
	struct admin	 a;
	struct auth	 au;
	char		 pre[64], sid[AUTH_SID_LEN + 1], n[16], *msg;
	const char	*token;
	int		 rc, retry;

	if (admin_begin(&a, c, NO_CSRF, 0) == -1)
		goto out;
	/* The pre-session cookie and the form's token must agree. */
	if (cookie_get(c->req, COOKIE_LOGIN, pre, sizeof(pre)) == -1 ||
	    !pre_fresh(pre) ||
	    !auth_csrf_check(c->st, pre, admin_form_get(&a.form, "csrf"))) {
		admin_fail(&a, 403, "The login form's security token is missing or "
		    "stale: reload the login page and try again.");
		goto out;
	}
	token = admin_form_str(&a.form, "token");
	while (*token == ' ')
		token++;
	rc = auth_login(c->st, c->req->remote_addr, token, sid, &au, &retry);
	if (rc == AUTH_LIMITED) {
		/* Logged by auth_login: the first failure and the limit. */
		snprintf(n, sizeof(n), "%d", retry);
		http_header(c->resp, "Retry-After", n);
		msg = xasprintf("Too many failed logins: try again in %d "
		    "seconds.", retry);
		page_login(&a, 429, msg);
		free(msg);
		goto out;
	}
	if (rc == STORE_NOTFOUND) {
		page_login(&a, 401, "This token is not valid.");
		goto out;
	}
	if (admin_store_failed(&a, rc))
		goto out;
	/* An old session of this browser ends here. */
	if (a.sid[0] != '\0')
		auth_session_destroy(c->st, a.sid);
	log_info("admin_login: team %s, token %s logged in", au.team, au.id);
	set_cookie(&a, COOKIE_SESSION, sid, 0);
	set_cookie(&a, COOKIE_LOGIN, "", 1);
	admin_redirect(&a, "/admin/");
out:
	admin_end(&a);
}

static void
admin_logout(struct api_ctx *c)
{
	struct admin	 a;

	if (admin_begin(&a, c, 0, 0) == 0) {
		auth_session_destroy(c->st, a.sid);
		set_cookie(&a, COOKIE_SESSION, "", 1);
		admin_redirect(&a, "/admin/login?done=loggedout");
	}
	admin_end(&a);
}

static void
admin_style(struct api_ctx *c)
{
	struct admin	 a;

	/* Static: no session needed, but the same headers. */
	memset(&a, 0, sizeof(a));
	a.c = c;
	a.d = tmpl_data_new();
	admin_security_headers(c->resp);
	if (tmpl_render("style.css", NULL, &c->resp->body) == -1) {
		c->resp->status = 404;
		buf_reset(&c->resp->body);
	} else
		http_header(c->resp, "Content-Type", "text/css; charset=utf-8");
	admin_end(&a);
}

/* The notice a redirect asked for (?done=), from the fixed list only. */
void
admin_notice(struct admin *a)
{
	char	 key[16];
	size_t	 i;

	if (http_query(a->c->req, "done", key, sizeof(key)) == -1)
		return;
	for (i = 0; i < sizeof(notices) / sizeof(notices[0]); i++)
		if (strcmp(key, notices[i].key) == 0)
			tmpl_set(a->d, "notice", notices[i].text);
}

/* The newest attempt of a webhook as "✓ 200, date" into the row. */
static void
last_outcome(struct admin *a, struct tmpl_data *row, const char *uuid)
{
	struct store_page	 pg;
	struct tmpl_data	*it;

	memset(&pg, 0, sizeof(pg));
	if (attempt_list(a->c->st, uuid, 0, 1, &pg) != STORE_OK)
		return;
	if (pg.n > 0) {
		it = tmpl_add(row, "last");
		if (admin_attempt_item(it, pg.recs[0], NULL, 0) == -1)
			tmpl_set(it, "status", "unreadable");
	}
	attempt_page_free(&pg);
}

static void
admin_list(struct api_ctx *c)
{
	struct admin		 a;
	struct webhook		*ws = NULL;
	struct tmpl_data	*row;
	struct buf		 ev;
	char			 v[32], *end, date[48];
	size_t			 n = 0, total = 0, i, pages;
	long			 page = 1;

	if (admin_begin(&a, c, NEED_SESSION, 0) == -1)
		goto out;
	if (strcmp(c->req->path, "/admin") == 0) {
		/* The cookie's path ends in /admin/: stay under it. */
		admin_redirect(&a, "/admin/");
		goto out;
	}
	admin_notice(&a);
	if (!admin_can(&a, SCOPE_VIEW)) {
		admin_render(&a, 200, "list.html", "Webhooks");
		goto out;
	}
	if (http_query(c->req, "page", v, sizeof(v)) == 0) {
		errno = 0;
		page = strtol(v, &end, 10);
		if (errno || end == v || *end || page < 1 || page > 1000000)
			page = 1;
	}
	if (admin_store_failed(&a, webhook_list(c->st, c->auth.team,
	    (size_t)(page - 1) * PER_PAGE, PER_PAGE, &ws, &n, &total)))
		goto out;
	buf_init(&ev);
	for (i = 0; i < n; i++) {
		row = tmpl_add(a.d, "webhooks");
		tmpl_set(row, "uuid", ws[i].uuid);
		tmpl_set(row, "name", ws[i].name);
		tmpl_set(row, "url", ws[i].url);
		tmpl_flag(row, "active", ws[i].active);
		buf_reset(&ev);
		admin_events_text(&ws[i], &ev);
		tmpl_set(row, "events", ev.p);
		tmpl_set(row, "error", ws[i].error_msg);
		admin_human_date(ws[i].error_date, date, sizeof(date));
		tmpl_set(row, "error_date", ws[i].error_msg ? date : "");
		last_outcome(&a, row, ws[i].uuid);
		webhook_free(&ws[i]);
	}
	buf_free(&ev);
	free(ws);
	pages = total == 0 ? 1 : (total + PER_PAGE - 1) / PER_PAGE;
	tmpl_setf(a.d, "total", "%zu", total);
	tmpl_flag(a.d, "any", total > 0);
	if (pages > 1) {
		tmpl_setf(a.d, "page", "%ld", page);
		tmpl_setf(a.d, "pages", "%zu", pages);
		if (page > 1)
			tmpl_setf(a.d, "prev", "/admin/?page=%ld", page - 1);
		if ((size_t)page < pages)
			tmpl_setf(a.d, "next", "/admin/?page=%ld", page + 1);
	}
	admin_render(&a, 200, "list.html", "Webhooks");
out:
	admin_end(&a);
}

static void
admin_error(struct api_ctx *c, int status, const char *message,
    const struct wh_errors *errs)
{
	struct admin	 a;

	(void)errs;
	memset(&a, 0, sizeof(a));
	a.c = c;
	a.d = tmpl_data_new();
	admin_security_headers(c->resp);
	admin_fail(&a, status, message);
	admin_end(&a);
}

#define GET	HTTP_M(HTTP_GET)
#define POST	HTTP_M(HTTP_POST)
#define ADMIN(m, path, fn) \
	{ m, path, fn, 0, ROUTE_NOAUTH }

/* Every route ROUTE_NOAUTH: they check the session themselves. */
static const struct route admin_routes[] = {
	ADMIN(GET, "/admin", admin_list),
	ADMIN(GET, "/admin/style.css", admin_style),
	ADMIN(GET, "/admin/login", admin_login_form),
	ADMIN(POST, "/admin/login", admin_login),
	ADMIN(POST, "/admin/logout", admin_logout),
	ADMIN(GET, "/admin/webhooks/new", admin_new_form),
	ADMIN(POST, "/admin/webhooks/new", admin_create),
	ADMIN(GET, "/admin/webhooks/:id", admin_show),
	ADMIN(GET, "/admin/webhooks/:id/edit", admin_edit_form),
	ADMIN(POST, "/admin/webhooks/:id/edit", admin_update),
	ADMIN(POST, "/admin/webhooks/:id/secret", admin_secret),
	ADMIN(POST, "/admin/webhooks/:id/test", admin_test),
	ADMIN(POST, "/admin/webhooks/:id/deliveries/:did/retry", admin_retry),
	ADMIN(GET, "/admin/webhooks/:id/delete", admin_delete_form),
	ADMIN(POST, "/admin/webhooks/:id/delete", admin_delete),
};
const struct dialect admin_dialect = {
	"admin", "/admin", admin_routes,
	sizeof(admin_routes) / sizeof(admin_routes[0]),
	422, admin_error, NULL
};
