/*
 * admin: the admin page.  Each handler begins with admin_begin, which sets
 * the security headers, finds the session, and for a POST reads the form
 * and checks its CSRF token, all before any other store access; then it
 * fills a tmpl_data and renders its page inside the layout.
 *
 * Forms are application/x-www-form-urlencoded.  A webhook form is turned
 * into the JSON body the API would get and checked by webhook_decode, so
 * the page and the API accept and refuse the same things; the model's
 * errors are mapped back to the form's fields.
 *
 * Sessions: the cookie wh_session (HttpOnly, SameSite=Strict, Path=/admin/,
 * Secure over HTTPS) holds the session id; every form carries
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
#include "attempt.h"
#include "auth.h"
#include "cfg.h"
#include "deliver.h"
#include "dialect.h"
#include "http.h"
#include "log.h"
#include "probe.h"
#include "spool.h"
#include "tmpl.h"
#include "webhook.h"

#define COOKIE_SESSION	"wh_session"
#define COOKIE_LOGIN	"wh_login"
#define PER_PAGE	20	/* webhooks on a page of the list */
#define ATTEMPTS_SHOWN	25	/* delivery attempts on a webhook's page */
#define EXCERPT_MAX	300	/* bytes of a response body shown */
#define FORM_FIELDS_MAX	(WH_HEADERS_MAX * 2 + WH_EVENTS_MAX + 64)
#define ROWS_MAX	WH_HEADERS_MAX

/* What the event check boxes offer; other names go in a text field. */
static const struct {
	const char	*name;
	const char	*label;
} known_events[] = {
	{ "*", "All events" },
	{ "webhook.test", "webhook.test" },
	{ "new_assigned_message", "new_assigned_message" },
	{ "new_unassigned_message", "new_unassigned_message" },
	{ "outbound_message", "outbound_message" },
	{ "customer_subscribed", "customer_subscribed" },
	{ "customer_unsubscribed", "customer_unsubscribed" },
	{ "user_assignment", "user_assignment" },
	{ "customer_created", "customer_created" },
	{ "tag_added_to_message", "tag_added_to_message" },
	{ "tag_removed_from_message", "tag_removed_from_message" },
	{ "customer_double_opted_in", "customer_double_opted_in" },
	{ "customer_state_changed", "customer_state_changed" },
};
#define NKNOWN (sizeof(known_events) / sizeof(known_events[0]))

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

struct field {
	char	*name;
	char	*value;
};

struct form {
	struct field	*f;
	size_t		 n;
};

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
static const char *
form_get(const struct form *fm, const char *name)
{
	size_t	 i;

	for (i = 0; i < fm->n; i++)
		if (strcmp(fm->f[i].name, name) == 0)
			return fm->f[i].value;
	return NULL;
}

static const char *
form_str(const struct form *fm, const char *name)
{
	const char	*v = form_get(fm, name);

	return v != NULL ? v : "";
}

/* ---- the request ---------------------------------------------------------- */

struct admin {
	struct api_ctx		*c;
	struct form		 form;
	char			 sid[AUTH_SID_LEN + 1];	/* "": no session */
	char			 csrf[AUTH_CSRF_LEN + 1];
	struct tmpl_data	*d;
};

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

static void
set_cookie(struct admin *a, const char *name, const char *value, int clear)
{
	char	*h;

	h = xasprintf("%s=%s; Path=/admin/; HttpOnly; SameSite=Strict%s%s",
	    name, value, clear ? "; Max-Age=0" : "",
	    a->c->req->https ? "; Secure" : "");
	http_header(a->c->resp, "Set-Cookie", h);
	free(h);
}

static void
security_headers(struct http_resp *resp)
{
	/* nosniff and no-store come from api_handle for every answer. */
	http_header(resp, "Content-Security-Policy",
	    "default-src 'self'; frame-ancestors 'none'; form-action 'self'; "
	    "base-uri 'none'");
	http_header(resp, "X-Frame-Options", "DENY");
	http_header(resp, "Referrer-Policy", "same-origin");
}

static int
can(const struct admin *a, unsigned scope)
{
	return a->sid[0] != '\0' && (a->c->auth.scopes & scope) == scope;
}

/* Renders page into the layout as the answer (status).  The layout gets
 * the page's own data plus content (the rendered page, the only raw slot). */
static void
render(struct admin *a, int status, const char *page, const char *title)
{
	struct http_resp	*resp = a->c->resp;
	struct buf		 body;

	tmpl_set(a->d, "title", title);
	if (a->sid[0] != '\0') {
		tmpl_flag(a->d, "logged_in", 1);
		tmpl_set(a->d, "team", a->c->auth.team);
		tmpl_set(a->d, "csrf", a->csrf);
		tmpl_flag(a->d, "can_add", can(a, SCOPE_ADD));
		tmpl_flag(a->d, "can_view", can(a, SCOPE_VIEW));
		tmpl_flag(a->d, "can_edit", can(a, SCOPE_EDIT));
		tmpl_flag(a->d, "can_remove", can(a, SCOPE_REMOVE));
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

static void
fail(struct admin *a, int status, const char *message)
{
	tmpl_setf(a->d, "status", "%d", status);
	tmpl_set(a->d, "reason", http_reason(status));
	tmpl_set(a->d, "message", message);
	render(a, status, "error.html", http_reason(status));
}

/* 303 to a path of ours. */
static void
redirect(struct admin *a, const char *location)
{
	a->c->resp->status = 303;
	http_header(a->c->resp, "Location", location);
	buf_reset(&a->c->resp->body);
}

/* A store result as a page; 1 when it answered. */
static int
store_failed(struct admin *a, int rc)
{
	switch (rc) {
	case STORE_OK:
		return 0;
	case STORE_NOTFOUND:
		fail(a, 404, "There is no such webhook in your team.");
		break;
	case STORE_EXISTS:
		fail(a, 409, "A webhook with this URL already exists.");
		break;
	case WEBHOOK_INVALID:	/* the form sends both; only a race gets here */
		fail(a, 422, "Basic auth and an Authorization header cannot "
		    "both be set.");
		break;
	default:
		http_header(a->c->resp, "Retry-After", "1");
		fail(a, 503, "The store is unavailable; try again in a moment.");
		break;
	}
	return 1;
}

#define NEED_SESSION	0x01	/* no session: GET -> login page, POST -> 403 */
#define NO_CSRF		0x02	/* POST checked otherwise (login) */

/*
 * The start of every handler: headers, session, form, CSRF and scope.
 * Returns 0, or -1 when the answer is already made (then call admin_end
 * all the same).
 */
static int
admin_begin(struct admin *a, struct api_ctx *c, int flags, unsigned scope)
{
	char	 sid[AUTH_SID_LEN + 2];
	int	 rc, post = c->req->method == HTTP_POST;

	memset(a, 0, sizeof(*a));
	a->c = c;
	a->d = tmpl_data_new();
	security_headers(c->resp);

	if (post) {
		if (c->req->body_too_large) {
			fail(a, 413, "The form is larger than the limit.");
			return -1;
		}
		if (c->req->content_type == NULL || strncasecmp(
		    c->req->content_type, "application/x-www-form-urlencoded",
		    33) != 0) {
			fail(a, 415, "The form must be sent as "
			    "application/x-www-form-urlencoded.");
			return -1;
		}
		if (form_parse(&a->form, c->req->body) == -1) {
			fail(a, 400, "The form cannot be read.");
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
			store_failed(a, rc);
			return -1;
		}
	}
	if (post && !(flags & NO_CSRF) && (a->sid[0] == '\0' ||
	    !auth_csrf_check(c->st, a->sid, form_get(&a->form, "csrf")))) {
		fail(a, 403, a->sid[0] == '\0' ? "Your session has ended: log "
		    "in again." : "The form's security token is missing or "
		    "stale: reload the page and try again.");
		return -1;
	}
	if ((flags & NEED_SESSION) && a->sid[0] == '\0') {
		redirect(a, "/admin/login");
		return -1;
	}
	if (scope != 0 && !can(a, scope)) {
		char *need = auth_scopes_format(scope), *msg;
		msg = xasprintf("Your token lacks the scope %s.", need);
		fail(a, 403, msg);
		free(msg);
		free(need);
		return -1;
	}
	return 0;
}

static void
admin_end(struct admin *a)
{
	form_free(&a->form);
	tmpl_data_free(a->d);
}

/* A webhook's uuid from the path, or a 404 page (then -1). */
static int
path_uuid(struct admin *a)
{
	if (!util_is_uuid(a->c->params[0])) {
		fail(a, 404, "There is no such webhook in your team.");
		return -1;
	}
	return 0;
}

/* "2017-12-04T15:06:12.053Z" -> "2017-12-04 15:06:12 UTC". */
static void
human_date(const char *iso, char *out, size_t outlen)
{
	if (iso == NULL || strlen(iso) < 19 || iso[10] != 'T') {
		snprintf(out, outlen, "%s", iso != NULL ? iso : "");
		return;
	}
	snprintf(out, outlen, "%.10s %.8s UTC", iso, iso + 11);
}

static void
human_ms(int64_t ms, char *out, size_t outlen)
{
	char	 iso[UTIL_ISO_LEN];

	util_iso8601(ms, iso);
	human_date(iso, out, outlen);
}

static void
events_text(const struct webhook *w, struct buf *b)
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
static int
attempt_item(struct tmpl_data *it, const char *rec, char **newer,
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
	human_date(jstr(j, "created_at"), when, sizeof(when));
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
	if (store_failed(a, rc))
		return;
	tmpl_set(a->d, "login_csrf", csrf);
	tmpl_set(a->d, "error", error);
	render(a, status, "login.html", "Log in");
}

static void
admin_login_form(struct api_ctx *c)
{
	struct admin	 a;
	char		 n[16];

	if (admin_begin(&a, c, 0, 0) == 0) {
		if (a.sid[0] != '\0')
			redirect(&a, "/admin/");
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
	    !auth_csrf_check(c->st, pre, form_get(&a.form, "csrf"))) {
		fail(&a, 403, "The login form's security token is missing or "
		    "stale: reload the login page and try again.");
		goto out;
	}
	token = form_str(&a.form, "token");
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
	if (store_failed(&a, rc))
		goto out;
	/* An old session of this browser ends here. */
	if (a.sid[0] != '\0')
		auth_session_destroy(c->st, a.sid);
	log_info("admin_login: team %s, token %s logged in", au.team, au.id);
	set_cookie(&a, COOKIE_SESSION, sid, 0);
	set_cookie(&a, COOKIE_LOGIN, "", 1);
	redirect(&a, "/admin/");
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
		redirect(&a, "/admin/login?done=loggedout");
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
	security_headers(c->resp);
	if (tmpl_render("style.css", NULL, &c->resp->body) == -1) {
		c->resp->status = 404;
		buf_reset(&c->resp->body);
	} else
		http_header(c->resp, "Content-Type", "text/css; charset=utf-8");
	admin_end(&a);
}

/* The notice a redirect asked for (?done=), from the fixed list only. */
static void
notice(struct admin *a)
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
		if (attempt_item(it, pg.recs[0], NULL, 0) == -1)
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
		/* The cookie's path is /admin/: stay under it. */
		redirect(&a, "/admin/");
		goto out;
	}
	notice(&a);
	if (!can(&a, SCOPE_VIEW)) {
		render(&a, 200, "list.html", "Webhooks");
		goto out;
	}
	if (http_query(c->req, "page", v, sizeof(v)) == 0) {
		errno = 0;
		page = strtol(v, &end, 10);
		if (errno || end == v || *end || page < 1 || page > 1000000)
			page = 1;
	}
	if (store_failed(&a, webhook_list(c->st, c->auth.team,
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
		events_text(&ws[i], &ev);
		tmpl_set(row, "events", ev.p);
		tmpl_set(row, "error", ws[i].error_msg);
		human_date(ws[i].error_date, date, sizeof(date));
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
	render(&a, 200, "list.html", "Webhooks");
out:
	admin_end(&a);
}

/* ---- the webhook form ------------------------------------------------------------ */

/* The shaped fields' error slots; the plain ones (webhook_form_field:
 * name, url, active, max_attempts) have err_KEY, from the model's table. */
enum wfield {
	F_METHOD, F_HEADERS, F_AUTH_USER, F_AUTH_PASS, F_EVENTS, F_TOKEN,
	F_OTHER, F_NFIELDS
};
static const char *const wfield_slot[F_NFIELDS] = {
	"err_method", "err_headers", "err_auth_user", "err_auth_pass",
	"err_events", "err_token", "err_other"
};
#define PLAIN_MAX	16	/* plain fields a form can hold */

struct hrow {
	const char	*name;
	const char	*value;
	struct buf	 err_name;
	struct buf	 err_value;
};

/* One plain field of the form: its text, and its errors. */
struct wplain {
	struct wh_form_field	 ff;
	struct buf		 text;
	struct buf		 err;
};

/* What the form holds (the shaped fields point into the request's form or
 * a webhook; the plain ones are copied). */
struct wform {
	const char	*method, *auth_user, *auth_pass, *token;
	struct wplain	 plain[PLAIN_MAX];
	size_t		 nplain;
	int		 has_password;	/* edit: a password is stored */
	int		 checked[NKNOWN];
	struct buf	 other;		/* other event names, space-separated */
	struct hrow	 rows[ROWS_MAX + 1];
	size_t		 nrows;
	struct buf	 err[F_NFIELDS];
	int		 nerrs;
};

static void
wform_init(struct wform *f)
{
	size_t	 i;

	memset(f, 0, sizeof(*f));
	f->auth_user = f->auth_pass = f->token = "";
	f->method = "POST";
	buf_init(&f->other);
	for (i = 0; i < F_NFIELDS; i++)
		buf_init(&f->err[i]);
	/* The plain fields, with a new webhook's values. */
	for (i = 0; i < PLAIN_MAX &&
	    webhook_form_field(i, &f->plain[i].ff) != NULL; i++) {
		buf_init(&f->plain[i].text);
		buf_init(&f->plain[i].err);
		webhook_form_text(&f->plain[i].ff, NULL, &f->plain[i].text);
	}
	f->nplain = i;
}

/* The text of plain field i, never NULL. */
static const char *
wplain_text(const struct wform *f, size_t i)
{
	return f->plain[i].text.p != NULL ? f->plain[i].text.p : "";
}

static void
wform_free(struct wform *f)
{
	size_t	 i;

	buf_free(&f->other);
	for (i = 0; i < F_NFIELDS; i++)
		buf_free(&f->err[i]);
	for (i = 0; i < f->nplain; i++) {
		buf_free(&f->plain[i].text);
		buf_free(&f->plain[i].err);
	}
	for (i = 0; i < f->nrows; i++) {
		buf_free(&f->rows[i].err_name);
		buf_free(&f->rows[i].err_value);
	}
}

static void
add_row(struct wform *f, const char *name, const char *value)
{
	if (f->nrows == ROWS_MAX + 1)
		return;
	memset(&f->rows[f->nrows], 0, sizeof(f->rows[0]));
	f->rows[f->nrows].name = name;
	f->rows[f->nrows].value = value;
	f->nrows++;
}

static void
add_event(struct wform *f, const char *name)
{
	size_t	 k;

	for (k = 0; k < NKNOWN; k++)
		if (strcmp(name, known_events[k].name) == 0) {
			f->checked[k] = 1;
			return;
		}
	if (f->other.len > 0)
		buf_putc(&f->other, ' ');
	buf_puts(&f->other, name);
}

/* The form as a stored webhook shows it (edit). */
static void
wform_from_webhook(struct wform *f, const struct webhook *w)
{
	size_t	 i;

	for (i = 0; i < f->nplain; i++) {
		buf_reset(&f->plain[i].text);
		webhook_form_text(&f->plain[i].ff, w, &f->plain[i].text);
	}
	f->method = webhook_method_name(w->method);
	for (i = 0; i < w->nheaders; i++)
		add_row(f, w->headers[i].name, w->headers[i].value);
	f->auth_user = w->auth_user != NULL ? w->auth_user : "";
	f->has_password = w->auth_user != NULL;
	for (i = 0; i < w->nevents; i++)
		add_event(f, w->events[i]);
}

/* The form as it was sent. */
static void
wform_from_request(struct wform *f, const struct form *fm)
{
	const char	*v;
	char		 key[48], *copy, *tok, *save = NULL;
	size_t		 i, n;
	long		 rows;

	for (i = 0; i < f->nplain; i++) {
		buf_reset(&f->plain[i].text);
		if (f->plain[i].ff.input != WH_INPUT_CHECK)
			buf_puts(&f->plain[i].text,
			    form_str(fm, f->plain[i].ff.key));
		else if (form_get(fm, f->plain[i].ff.key) != NULL)
			buf_putc(&f->plain[i].text, '1');
	}
	f->method = form_str(fm, "http_method");
	f->auth_user = form_str(fm, "auth_user");
	f->auth_pass = form_str(fm, "auth_pass");
	f->token = form_str(fm, "token");
	v = form_get(fm, "rows");
	rows = v != NULL ? strtol(v, NULL, 10) : 0;
	if (rows < 0 || rows > ROWS_MAX)
		rows = ROWS_MAX;
	for (n = 0; n < (size_t)rows; n++) {
		snprintf(key, sizeof(key), "header_name_%zu", n);
		v = form_str(fm, key);
		snprintf(key, sizeof(key), "header_value_%zu", n);
		add_row(f, v, form_str(fm, key));
	}
	for (i = 0; i < fm->n; i++)
		if (strcmp(fm->f[i].name, "events") == 0)
			add_event(f, fm->f[i].value);
	/* Other names: separated by spaces or commas. */
	copy = xstrdup(form_str(fm, "events_other"));
	for (tok = strtok_r(copy, " ,\t\r\n", &save); tok != NULL;
	    tok = strtok_r(NULL, " ,\t\r\n", &save))
		add_event(f, tok);
	free(copy);
}

/* 1 if s is a whole decimal integer (then *out holds it). */
static int
is_int(const char *s, long *out)
{
	char	*end;

	errno = 0;
	*out = strtol(s, &end, 10);
	return *s != '\0' && *end == '\0' && errno == 0;
}

/*
 * The JSON body the API would get for this form.  rowmap[k] receives the
 * form row of the k-th header sent (empty rows are left out).  With old
 * (edit), an empty password keeps the stored one.
 */
static json_object *
wform_json(const struct wform *f, const struct webhook *old, size_t *rowmap)
{
	json_object	*j, *arr, *h, *au;
	char		*copy, *tok, *save = NULL;
	size_t		 i, k = 0;
	long		 n;

	j = json_object_new_object();
	for (i = 0; i < f->nplain; i++) {
		const char	*t = wplain_text(f, i);
		json_object	*v;

		switch (f->plain[i].ff.input) {
		case WH_INPUT_CHECK:
			v = json_object_new_boolean(t[0] != '\0');
			break;
		case WH_INPUT_NUMBER:
			v = is_int(t, &n) ? json_object_new_int64(n) :
			    json_object_new_string(t);
			break;
		default:
			v = json_object_new_string(t);
			break;
		}
		json_object_object_add(j, f->plain[i].ff.key, v);
	}
	json_object_object_add(j, "http_method",
	    json_object_new_string(f->method));
	arr = json_object_new_array();
	for (i = 0; i < f->nrows; i++) {
		if (f->rows[i].name[0] == '\0' && f->rows[i].value[0] == '\0')
			continue;
		h = json_object_new_object();
		json_object_object_add(h, "name",
		    json_object_new_string(f->rows[i].name));
		json_object_object_add(h, "value",
		    json_object_new_string(f->rows[i].value));
		json_object_array_add(arr, h);
		rowmap[k++] = i;
	}
	json_object_object_add(j, "headers", arr);
	au = json_object_new_object();
	if (f->auth_user[0] != '\0' || f->auth_pass[0] != '\0') {
		json_object_object_add(au, "username",
		    json_object_new_string(f->auth_user));
		json_object_object_add(au, "password", json_object_new_string(
		    f->auth_pass[0] == '\0' && old != NULL &&
		    old->auth_user != NULL ? "********" : f->auth_pass));
	}
	json_object_object_add(j, "auth", au);
	arr = json_object_new_array();
	for (i = 0; i < NKNOWN; i++)
		if (f->checked[i])
			json_object_array_add(arr,
			    json_object_new_string(known_events[i].name));
	copy = xstrdup(f->other.p != NULL ? f->other.p : "");
	for (tok = strtok_r(copy, " ", &save); tok != NULL;
	    tok = strtok_r(NULL, " ", &save))
		json_object_array_add(arr, json_object_new_string(tok));
	free(copy);
	json_object_object_add(j, "events", arr);
	if (old == NULL && f->token[0] != '\0')
		json_object_object_add(j, "token",
		    json_object_new_string(f->token));
	return j;
}

static void
add_err(struct buf *b, const char *label, const char *msg)
{
	if (b->len > 0)
		buf_puts(b, "; ");
	buf_printf(b, "%s %s", label, msg);
}

/* Puts each of the model's errors next to its form field. */
static void
wform_errors(struct wform *f, const struct wh_errors *errs,
    const size_t *rowmap, size_t nmap, json_object *body)
{
	static const struct {
		const char	*field;
		enum wfield	 slot;
		const char	*label;
	} fields[] = {
		{ "http_method", F_METHOD, "Method" },
		{ "headers", F_HEADERS, "Headers:" },
		{ "auth.username", F_AUTH_USER, "User name" },
		{ "auth.password", F_AUTH_PASS, "Password" },
		{ "auth", F_AUTH_USER, "Basic auth" },
		{ "events", F_EVENTS, "Events" },
		{ "settings", F_EVENTS, "Events" },
		{ "token", F_TOKEN, "The signing secret" },
	};
	const char	*fld, *rest;
	json_object	*arr, *e;
	char		*end, label[WH_EVENT_MAX + 16];
	size_t		 i, k, idx;

	for (i = 0; i < errs->n; i++) {
		fld = errs->e[i].field;
		f->nerrs++;
		if (strncmp(fld, "headers[", 8) == 0) {
			idx = strtoul(fld + 8, &end, 10);
			rest = *end == ']' ? end + 1 : "";
			if (idx < nmap) {
				struct hrow *r = &f->rows[rowmap[idx]];
				if (strcmp(rest, ".value") == 0)
					add_err(&r->err_value, "Header value",
					    errs->e[i].msg);
				else
					add_err(&r->err_name, "Header name",
					    errs->e[i].msg);
				continue;
			}
		}
		if (strncmp(fld, "events[", 7) == 0) {
			idx = strtoul(fld + 7, &end, 10);
			if (json_object_object_get_ex(body, "events", &arr) &&
			    (e = json_object_array_get_idx(arr, idx)) != NULL) {
				snprintf(label, sizeof(label), "“%s”",
				    json_object_get_string(e));
				add_err(&f->err[F_EVENTS], label, errs->e[i].msg);
				continue;
			}
		}
		for (k = 0; k < f->nplain; k++)
			if (strcmp(fld, f->plain[k].ff.key) == 0)
				break;
		if (k < f->nplain) {
			add_err(&f->plain[k].err, f->plain[k].ff.label,
			    errs->e[i].msg);
			continue;
		}
		for (k = 0; k < sizeof(fields) / sizeof(fields[0]); k++)
			if (strncmp(fld, fields[k].field,
			    strlen(fields[k].field)) == 0)
				break;
		if (k < sizeof(fields) / sizeof(fields[0]))
			add_err(&f->err[fields[k].slot], fields[k].label,
			    errs->e[i].msg);
		else
			add_err(&f->err[F_OTHER], fld, errs->e[i].msg);
	}
}

/* The form page: new (w == NULL) or edit. */
static void
page_form(struct admin *a, int status, struct wform *f,
    const struct webhook *w)
{
	struct tmpl_data	*it;
	static const char *const methods[] = { "POST", "PUT", "PATCH" };
	size_t			 i;
	char			*title, *slot;

	if (w != NULL) {
		tmpl_set(a->d, "uuid", w->uuid);
		tmpl_setf(a->d, "action", "/admin/webhooks/%s/edit", w->uuid);
		tmpl_flag(a->d, "edit", 1);
		title = xasprintf("Edit %s", w->name);
	} else {
		tmpl_set(a->d, "action", "/admin/webhooks/new");
		tmpl_flag(a->d, "create", 1);
		title = xstrdup("New webhook");
	}
	tmpl_set(a->d, "heading", title);
	/* The plain fields: their text (or flag) under their key, their
	 * errors under err_KEY. */
	for (i = 0; i < f->nplain; i++) {
		if (f->plain[i].ff.input == WH_INPUT_CHECK)
			tmpl_flag(a->d, f->plain[i].ff.key,
			    wplain_text(f, i)[0] != '\0');
		else
			tmpl_set(a->d, f->plain[i].ff.key, wplain_text(f, i));
		slot = xasprintf("err_%s", f->plain[i].ff.key);
		tmpl_set(a->d, slot, f->plain[i].err.p);
		free(slot);
	}
	for (i = 0; i < 3; i++) {
		it = tmpl_add(a->d, "methods");
		tmpl_set(it, "method", methods[i]);
		tmpl_flag(it, "selected", strcmp(f->method, methods[i]) == 0);
	}
	/* The rows, and one empty row to fill in. */
	if (f->nrows == 0 || f->rows[f->nrows - 1].name[0] != '\0' ||
	    f->rows[f->nrows - 1].value[0] != '\0')
		add_row(f, "", "");
	for (i = 0; i < f->nrows; i++) {
		it = tmpl_add(a->d, "rows");
		tmpl_setf(it, "i", "%zu", i);
		tmpl_setf(it, "n", "%zu", i + 1);
		tmpl_set(it, "hname", f->rows[i].name);
		tmpl_set(it, "hvalue", f->rows[i].value);
		tmpl_set(it, "err_hname", f->rows[i].err_name.p);
		tmpl_set(it, "err_hvalue", f->rows[i].err_value.p);
		tmpl_flag(it, "removable", f->nrows > 1 ||
		    f->rows[i].name[0] != '\0' || f->rows[i].value[0] != '\0');
	}
	tmpl_setf(a->d, "nrows", "%zu", f->nrows);
	tmpl_set(a->d, "auth_user", f->auth_user);
	tmpl_flag(a->d, "has_password", f->has_password);
	for (i = 0; i < NKNOWN; i++) {
		it = tmpl_add(a->d, "known_events");
		tmpl_set(it, "event", known_events[i].name);
		tmpl_set(it, "label", known_events[i].label);
		tmpl_setf(it, "id", "ev%zu", i);
		tmpl_flag(it, "checked", f->checked[i]);
	}
	tmpl_set(a->d, "events_other", f->other.p);
	tmpl_setf(a->d, "attempts_max", "%d", WH_ATTEMPTS_MAX);
	tmpl_set(a->d, "token", f->token);
	for (i = 0; i < F_NFIELDS; i++)
		tmpl_set(a->d, wfield_slot[i], f->err[i].p);
	tmpl_flag(a->d, "invalid", f->nerrs > 0);
	render(a, status, "form.html", title);
	free(title);
}

/* The plain fields of w (webhook_form_field) under their keys: text, or a
 * flag for a check box. */
static void
show_plain(struct tmpl_data *d, const struct webhook *w)
{
	struct wh_form_field	 ff;
	struct buf		 t;
	size_t			 i;

	buf_init(&t);
	for (i = 0; webhook_form_field(i, &ff) != NULL; i++) {
		buf_reset(&t);
		webhook_form_text(&ff, w, &t);
		if (ff.input == WH_INPUT_CHECK)
			tmpl_flag(d, ff.key, t.len > 0);
		else
			tmpl_set(d, ff.key, t.p);
	}
	buf_free(&t);
}

/* The webhook's page.  secret: shown once (create, new secret); test: the
 * outcome of a test just sent; pending: the delivery id of a test just
 * sent whose outcome is not known yet. */
static void
page_webhook(struct admin *a, int status, const struct webhook *w,
    const char *secret, const struct deliver_result *test,
    const char *pending)
{
	struct store_page	 pg;
	struct tmpl_data	*it;
	struct buf		 ev;
	char			 date[48];
	size_t			 i;

	tmpl_set(a->d, "uuid", w->uuid);
	show_plain(a->d, w);
	tmpl_set(a->d, "method", webhook_method_name(w->method));
	for (i = 0; i < w->nheaders; i++) {
		it = tmpl_add(a->d, "headers");
		tmpl_set(it, "hname", w->headers[i].name);
		tmpl_set(it, "hvalue", w->headers[i].value);
	}
	tmpl_set(a->d, "auth_user", w->auth_user);
	buf_init(&ev);
	events_text(w, &ev);
	tmpl_set(a->d, "events", ev.p);
	buf_free(&ev);
	human_ms(w->created_at, date, sizeof(date));
	tmpl_set(a->d, "created", date);
	human_ms(w->updated_at, date, sizeof(date));
	tmpl_set(a->d, "updated", date);
	if (w->error_msg != NULL) {
		human_date(w->error_date, date, sizeof(date));
		tmpl_set(a->d, "error_date", date);
		tmpl_set(a->d, "error", w->error_msg);
	}
	tmpl_set(a->d, "secret", secret);
	if (test != NULL) {
		it = tmpl_add(a->d, "test");
		tmpl_flag(it, "ok", test->cls == DELIVER_DONE);
		tmpl_flag(it, "failed", test->cls != DELIVER_DONE);
		if (test->status > 0)
			tmpl_setf(it, "status", "%d", test->status);
		else
			tmpl_set(it, "status", "none");
		tmpl_setf(it, "latency", "%lld ms", (long long)test->latency_ms);
		tmpl_set(it, "error", test->error);
		tmpl_set(it, "excerpt", test->body);
	}
	if (pending != NULL) {
		it = tmpl_add(a->d, "test_pending");
		tmpl_set(it, "delivery_id", pending);
	}
	tmpl_flag(a->d, "can_test", can(a, SCOPE_EDIT));
	tmpl_flag(a->d, "can_retry", can(a, SCOPE_EDIT));
	memset(&pg, 0, sizeof(pg));
	if (attempt_list(a->c->st, w->uuid, 0, ATTEMPTS_SHOWN, &pg)
	    == STORE_OK) {
		tmpl_flag(a->d, "has_attempts", pg.n > 0);
		for (i = 0; i < pg.n; i++) {
			it = tmpl_add(a->d, "attempts");
			if (attempt_item(it, pg.recs[i], pg.recs, i) == -1)
				tmpl_set(it, "error", "(unreadable record)");
		}
		attempt_page_free(&pg);
	} else
		tmpl_set(a->d, "attempts_error", "The delivery log cannot be "
		    "read now.");
	render(a, status, "webhook.html", w->name);
}

static void
admin_new_form(struct api_ctx *c)
{
	struct admin	 a;
	struct wform	 f;

	wform_init(&f);
	if (admin_begin(&a, c, NEED_SESSION, SCOPE_ADD) == 0) {
		f.checked[0] = 1;	/* "*" */
		page_form(&a, 200, &f, NULL);
	}
	wform_free(&f);
	admin_end(&a);
}

/*
 * A POSTed webhook form: the buttons that change the rows show the form
 * again; "save" checks it with the model.  Returns 1 with *in filled when
 * it is to be saved; 0 when the page was answered.
 */
static int
form_submitted(struct admin *a, struct wform *f, const struct webhook *old,
    struct wh_input *in)
{
	const struct form	*fm = &a->form;
	struct wh_errors	 errs;
	json_object		*body;
	size_t			 rowmap[ROWS_MAX + 1], i;
	const char		*v;

	wform_from_request(f, fm);
	if (old != NULL)
		f->has_password = old->auth_user != NULL;
	if (form_get(fm, "add_header") != NULL) {
		if (f->nrows < ROWS_MAX)
			add_row(f, "", "");
		page_form(a, 200, f, old);
		return 0;
	}
	if ((v = form_get(fm, "remove_header")) != NULL) {
		i = strtoul(v, NULL, 10);
		if (i < f->nrows) {
			memmove(&f->rows[i], &f->rows[i + 1],
			    (f->nrows - i - 1) * sizeof(f->rows[0]));
			f->nrows--;
		}
		page_form(a, 200, f, old);
		return 0;
	}
	memset(&errs, 0, sizeof(errs));
	memset(in, 0, sizeof(*in));
	body = wform_json(f, old, rowmap);
	if (webhook_decode(body, old == NULL, in, &errs) == -1) {
		size_t nmap = 0;
		for (i = 0; i < f->nrows; i++)
			if (f->rows[i].name[0] != '\0' ||
			    f->rows[i].value[0] != '\0')
				nmap++;
		wform_errors(f, &errs, rowmap, nmap, body);
		json_object_put(body);
		webhook_input_free(in);
		page_form(a, 422, f, old);
		return 0;
	}
	json_object_put(body);
	return 1;
}

static void
admin_create(struct api_ctx *c)
{
	struct admin	 a;
	struct wform	 f;
	struct wh_input	 in;
	struct webhook	 w;
	int		 rc;

	wform_init(&f);
	if (admin_begin(&a, c, NEED_SESSION, SCOPE_ADD) == -1 ||
	    !form_submitted(&a, &f, NULL, &in))
		goto out;
	webhook_init(&w, c->auth.team);
	webhook_apply(&w, &in);
	webhook_input_free(&in);
	rc = webhook_create(c->st, &w, 0);
	if (!store_failed(&a, rc)) {
		log_info("admin_create: team %s: webhook %s", c->auth.team,
		    w.uuid);
		tmpl_set(a.d, "notice", "The webhook was created.");
		page_webhook(&a, 201, &w, w.token, NULL, NULL);
	}
	webhook_free(&w);
out:
	wform_free(&f);
	admin_end(&a);
}

static void
admin_edit_form(struct api_ctx *c)
{
	struct admin	 a;
	struct wform	 f;
	struct webhook	 w;

	wform_init(&f);
	if (admin_begin(&a, c, NEED_SESSION, SCOPE_EDIT) == 0 &&
	    path_uuid(&a) == 0 &&
	    !store_failed(&a, webhook_get(c->st, c->auth.team, c->params[0],
	    &w))) {
		wform_from_webhook(&f, &w);
		page_form(&a, 200, &f, &w);
		webhook_free(&w);
	}
	wform_free(&f);
	admin_end(&a);
}

static void
admin_update(struct api_ctx *c)
{
	struct admin	 a;
	struct wform	 f;
	struct wh_input	 in;
	struct webhook	 old;
	char		*loc;

	wform_init(&f);
	if (admin_begin(&a, c, NEED_SESSION, SCOPE_EDIT) == -1 ||
	    path_uuid(&a) == -1 ||
	    store_failed(&a, webhook_get(c->st, c->auth.team, c->params[0],
	    &old)))
		goto out;
	if (form_submitted(&a, &f, &old, &in)) {
		if (!store_failed(&a, webhook_update(c->st, c->auth.team,
		    old.uuid, &in, 0, NULL, NULL))) {
			loc = xasprintf("/admin/webhooks/%s?done=saved",
			    old.uuid);
			redirect(&a, loc);
			free(loc);
		}
		webhook_input_free(&in);
	}
	webhook_free(&old);
out:
	wform_free(&f);
	admin_end(&a);
}

static void
admin_show(struct api_ctx *c)
{
	struct admin	 a;
	struct webhook	 w;

	if (admin_begin(&a, c, NEED_SESSION, SCOPE_VIEW) == 0 &&
	    path_uuid(&a) == 0 &&
	    !store_failed(&a, webhook_get(c->st, c->auth.team, c->params[0],
	    &w))) {
		notice(&a);
		if (!(c->auth.scopes & SCOPE_EDIT))
			webhook_redact(&w);
		page_webhook(&a, 200, &w, NULL, NULL, NULL);
		webhook_free(&w);
	}
	admin_end(&a);
}

/* A new signing secret, shown once. */
static void
admin_secret(struct api_ctx *c)
{
	struct admin	 a;
	struct wh_input	 in;
	struct webhook	 w;

	if (admin_begin(&a, c, NEED_SESSION, SCOPE_EDIT) == -1 ||
	    path_uuid(&a) == -1)
		goto out;
	memset(&in, 0, sizeof(in));
	in.set = WF_TOKEN;
	in.w.token = webhook_new_secret();
	if (!store_failed(&a, webhook_update(c->st, c->auth.team, c->params[0],
	    &in, 0, &w, NULL))) {
		log_info("admin_secret: team %s: webhook %s: new secret",
		    c->auth.team, w.uuid);
		tmpl_set(a.d, "notice", "A new signing secret was made.");
		page_webhook(&a, 200, &w, w.token, NULL, NULL);
		webhook_free(&w);
	}
	free(in.w.token);
out:
	admin_end(&a);
}

static void
admin_test(struct api_ctx *c)
{
	struct admin		 a;
	struct webhook		 w;
	struct deliver_result	 r;
	enum probe_res		 res;
	const char		*msg;
	char			 id[DELIVER_ID_LEN + 1], secs[16];
	int			 rc, status;

	if (admin_begin(&a, c, NEED_SESSION, SCOPE_EDIT) == -1 ||
	    path_uuid(&a) == -1 ||
	    store_failed(&a, webhook_get(c->st, c->auth.team, c->params[0],
	    &w)))
		goto out;
	res = probe_run(c->cfg, c->auth.team, w.uuid, id, &r, &rc);
	if (res == PROBE_OK && rc != STORE_OK)
		log_warn("admin_test: webhook %s: the attempt was not recorded",
		    w.uuid);
	webhook_free(&w);
	if (res != PROBE_OK && res != PROBE_PENDING) {
		if (res == PROBE_BUSY) {
			snprintf(secs, sizeof(secs), "%d",
			    probe_retry_after(c->cfg));
			http_header(c->resp, "Retry-After", secs);
		}
		status = probe_error(res, &msg);
		fail(&a, status, msg);
		goto out;
	}
	/* Again, for the error the test may have noted. */
	if (!store_failed(&a, webhook_get(c->st, c->auth.team, c->params[0],
	    &w))) {
		page_webhook(&a, 200, &w, NULL, res == PROBE_OK ? &r : NULL,
		    res == PROBE_PENDING ? id : NULL);
		webhook_free(&w);
	}
out:
	admin_end(&a);
}

/* The process's spool (api_ctx_spool). */
static struct spool *
admin_spool(struct admin *a)
{
	return api_ctx_spool(a->c);
}

/*
 * Sends a failed delivery again, as POST /api/2.0/deliveries/{id}/retry
 * does (deliver_requeue): back into the spool as a manual retry.
 */
static void
admin_retry(struct api_ctx *c)
{
	struct admin	 a;
	struct spool	*sp;
	const char	*id = c->params[1];
	char		*loc;
	int		 store_res = STORE_OK;

	if (admin_begin(&a, c, NEED_SESSION, SCOPE_EDIT) == -1 ||
	    path_uuid(&a) == -1)
		goto out;
	if ((sp = admin_spool(&a)) == NULL) {
		fail(&a, 503, "The spool is unavailable; try again.");
		goto out;
	}
	switch (deliver_requeue(c->st, sp, c->auth.team, id, c->params[0],
	    NULL, NULL, 0, &store_res)) {
	case REQUEUE_OK:
		break;
	case REQUEUE_BUSY:
		fail(&a, 409, "The delivery is being attempted right now.");
		goto out;
	case REQUEUE_INACTIVE:
		fail(&a, 409, "The webhook is inactive: activate it first.");
		goto out;
	case REQUEUE_SPOOL:
		fail(&a, 503, "The retry could not be stored; try again.");
		goto out;
	case REQUEUE_STORE:
		store_failed(&a, store_res);
		goto out;
	default:
		fail(&a, 404, "There is no such failed delivery: it may have "
		    "been retried already.");
		goto out;
	}
	log_info("admin_retry: team %s: webhook %s: delivery %s queued",
	    c->auth.team, c->params[0], id);
	loc = xasprintf("/admin/webhooks/%s?done=retried", c->params[0]);
	redirect(&a, loc);
	free(loc);
out:
	admin_end(&a);
}

static void
admin_delete_form(struct api_ctx *c)
{
	struct admin	 a;
	struct webhook	 w;

	if (admin_begin(&a, c, NEED_SESSION, SCOPE_REMOVE) == 0 &&
	    path_uuid(&a) == 0 &&
	    !store_failed(&a, webhook_get(c->st, c->auth.team, c->params[0],
	    &w))) {
		tmpl_set(a.d, "uuid", w.uuid);
		tmpl_set(a.d, "name", w.name);
		tmpl_set(a.d, "url", w.url);
		render(&a, 200, "delete.html", "Delete webhook");
		webhook_free(&w);
	}
	admin_end(&a);
}

static void
admin_delete(struct api_ctx *c)
{
	struct admin	 a;

	if (admin_begin(&a, c, NEED_SESSION, SCOPE_REMOVE) == 0 &&
	    path_uuid(&a) == 0 &&
	    !store_failed(&a, webhook_delete(c->st, c->auth.team,
	    c->params[0]))) {
		log_info("admin_delete: team %s: webhook %s", c->auth.team,
		    c->params[0]);
		redirect(&a, "/admin/?done=deleted");
	}
	admin_end(&a);
}

/* The dialect's errors: unknown paths and wrong methods under /admin, as
 * an admin HTML page (a page's own errors come from fail). */
static void
admin_error(struct api_ctx *c, int status, const char *message,
    const struct wh_errors *errs)
{
	struct admin	 a;

	(void)errs;
	memset(&a, 0, sizeof(a));
	a.c = c;
	a.d = tmpl_data_new();
	security_headers(c->resp);
	fail(&a, status, message);
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
	422, admin_error
};
