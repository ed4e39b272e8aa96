/*
 * admin_webhook: the admin page's pages of one webhook (admin_int.h): its
 * form (new and edit), its page (settings, the last attempts), the test
 * button, a new secret, a failed delivery sent again, delete.
 *
 * A webhook form is turned into the JSON body the API would get and
 * checked by webhook_decode, so the page and the API accept and refuse the
 * same things; the model's errors are mapped back to the form's fields.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "admin_int.h"
#include "attempt.h"
#include "auth.h"
#include "cfg.h"
#include "delivery.h"
#include "dialect.h"
#include "http.h"
#include "log.h"
#include "probe.h"
#include "spool.h"
#include "tmpl.h"
#include "webhook.h"

#define ATTEMPTS_SHOWN	25	/* delivery attempts on a webhook's page */
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
			    admin_form_str(fm, f->plain[i].ff.key));
		else if (admin_form_get(fm, f->plain[i].ff.key) != NULL)
			buf_putc(&f->plain[i].text, '1');
	}
	f->method = admin_form_str(fm, "http_method");
	f->auth_user = admin_form_str(fm, "auth_user");
	f->auth_pass = admin_form_str(fm, "auth_pass");
	f->token = admin_form_str(fm, "token");
	v = admin_form_get(fm, "rows");
	rows = v != NULL ? strtol(v, NULL, 10) : 0;
	if (rows < 0 || rows > ROWS_MAX)
		rows = ROWS_MAX;
	for (n = 0; n < (size_t)rows; n++) {
		snprintf(key, sizeof(key), "header_name_%zu", n);
		v = admin_form_str(fm, key);
		snprintf(key, sizeof(key), "header_value_%zu", n);
		add_row(f, v, admin_form_str(fm, key));
	}
	for (i = 0; i < fm->n; i++)
		if (strcmp(fm->f[i].name, "events") == 0)
			add_event(f, fm->f[i].value);
	/* Other names: separated by spaces or commas. */
	copy = xstrdup(admin_form_str(fm, "events_other"));
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
	admin_render(a, status, "form.html", title);
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
	admin_events_text(w, &ev);
	tmpl_set(a->d, "events", ev.p);
	buf_free(&ev);
	admin_human_ms(w->created_at, date, sizeof(date));
	tmpl_set(a->d, "created", date);
	admin_human_ms(w->updated_at, date, sizeof(date));
	tmpl_set(a->d, "updated", date);
	if (w->error_msg != NULL) {
		admin_human_date(w->error_date, date, sizeof(date));
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
	tmpl_flag(a->d, "can_test", admin_can(a, SCOPE_EDIT));
	tmpl_flag(a->d, "can_retry", admin_can(a, SCOPE_EDIT));
	memset(&pg, 0, sizeof(pg));
	if (attempt_list(a->c->st, w->uuid, 0, ATTEMPTS_SHOWN, &pg)
	    == STORE_OK) {
		tmpl_flag(a->d, "has_attempts", pg.n > 0);
		for (i = 0; i < pg.n; i++) {
			it = tmpl_add(a->d, "attempts");
			if (admin_attempt_item(it, pg.recs[i], pg.recs, i) == -1)
				tmpl_set(it, "error", "(unreadable record)");
		}
		attempt_page_free(&pg);
	} else
		tmpl_set(a->d, "attempts_error", "The delivery log cannot be "
		    "read now.");
	admin_render(a, status, "webhook.html", w->name);
}

void
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
	if (admin_form_get(fm, "add_header") != NULL) {
		if (f->nrows < ROWS_MAX)
			add_row(f, "", "");
		page_form(a, 200, f, old);
		return 0;
	}
	if ((v = admin_form_get(fm, "remove_header")) != NULL) {
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

void
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
	if (!admin_store_failed(&a, rc)) {
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

void
admin_edit_form(struct api_ctx *c)
{
	struct admin	 a;
	struct wform	 f;
	struct webhook	 w;

	wform_init(&f);
	if (admin_begin(&a, c, NEED_SESSION, SCOPE_EDIT) == 0 &&
	    admin_path_uuid(&a) == 0 &&
	    !admin_store_failed(&a, webhook_get(c->st, c->auth.team, c->params[0],
	    &w))) {
		wform_from_webhook(&f, &w);
		page_form(&a, 200, &f, &w);
		webhook_free(&w);
	}
	wform_free(&f);
	admin_end(&a);
}

void
admin_update(struct api_ctx *c)
{
	struct admin	 a;
	struct wform	 f;
	struct wh_input	 in;
	struct webhook	 old;
	char		*loc;

	wform_init(&f);
	if (admin_begin(&a, c, NEED_SESSION, SCOPE_EDIT) == -1 ||
	    admin_path_uuid(&a) == -1 ||
	    admin_store_failed(&a, webhook_get(c->st, c->auth.team, c->params[0],
	    &old)))
		goto out;
	if (form_submitted(&a, &f, &old, &in)) {
		if (!admin_store_failed(&a, webhook_update(c->st, c->auth.team,
		    old.uuid, &in, 0, NULL, NULL))) {
			loc = xasprintf("/admin/webhooks/%s?done=saved",
			    old.uuid);
			admin_redirect(&a, loc);
			free(loc);
		}
		webhook_input_free(&in);
	}
	webhook_free(&old);
out:
	wform_free(&f);
	admin_end(&a);
}

void
admin_show(struct api_ctx *c)
{
	struct admin	 a;
	struct webhook	 w;

	if (admin_begin(&a, c, NEED_SESSION, SCOPE_VIEW) == 0 &&
	    admin_path_uuid(&a) == 0 &&
	    !admin_store_failed(&a, webhook_get(c->st, c->auth.team, c->params[0],
	    &w))) {
		admin_notice(&a);
		if (!(c->auth.scopes & SCOPE_EDIT))
			webhook_redact(&w);
		page_webhook(&a, 200, &w, NULL, NULL, NULL);
		webhook_free(&w);
	}
	admin_end(&a);
}

/* A new signing secret, shown once; the old one stays valid for the
 * default grace (rotation). */
void
admin_secret(struct api_ctx *c)
{
	struct admin	 a;
	struct wh_input	 in;
	struct webhook	 w;
	char		 until[UTIL_ISO_LEN];

	if (admin_begin(&a, c, NEED_SESSION, SCOPE_EDIT) == -1 ||
	    admin_path_uuid(&a) == -1)
		goto out;
	memset(&in, 0, sizeof(in));	/* the default grace */
	in.set = WF_TOKEN;
	in.w.token = webhook_new_secret();
	if (!admin_store_failed(&a, webhook_update(c->st, c->auth.team, c->params[0],
	    &in, 0, &w, NULL))) {
		log_info("admin_secret: team %s: webhook %s: new secret, "
		    "%zu old kept", c->auth.team, w.uuid, w.nold_secrets);
		/* The old secret signs beside the new one for the grace. */
		if (w.nold_secrets > 0) {
			util_iso8601(w.old_secrets[0].expires_at, until);
			tmpl_setf(a.d, "notice", "A new signing secret was "
			    "made. The old one stays valid until %s: "
			    "deliveries carry both signatures until then.",
			    until);
		} else
			tmpl_set(a.d, "notice", "A new signing secret was made.");
		page_webhook(&a, 200, &w, w.token, NULL, NULL);
		webhook_free(&w);
	}
	free(in.w.token);
out:
	admin_end(&a);
}

void
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
	    admin_path_uuid(&a) == -1 ||
	    admin_store_failed(&a, webhook_get(c->st, c->auth.team, c->params[0],
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
		admin_fail(&a, status, msg);
		goto out;
	}
	/* Again, for the error the test may have noted. */
	if (!admin_store_failed(&a, webhook_get(c->st, c->auth.team, c->params[0],
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
void
admin_retry(struct api_ctx *c)
{
	struct admin	 a;
	struct spool	*sp;
	const char	*id = c->params[1];
	char		*loc;
	int		 store_res = STORE_OK;

	if (admin_begin(&a, c, NEED_SESSION, SCOPE_EDIT) == -1 ||
	    admin_path_uuid(&a) == -1)
		goto out;
	if ((sp = admin_spool(&a)) == NULL) {
		admin_fail(&a, 503, "The spool is unavailable; try again.");
		goto out;
	}
	switch (deliver_requeue(c->st, sp, c->auth.team, id, c->params[0],
	    NULL, NULL, 0, &store_res)) {
	case REQUEUE_OK:
		break;
	case REQUEUE_BUSY:
		admin_fail(&a, 409, "The delivery is being attempted right now.");
		goto out;
	case REQUEUE_INACTIVE:
		admin_fail(&a, 409, "The webhook is inactive: activate it first.");
		goto out;
	case REQUEUE_SPOOL:
		admin_fail(&a, 503, "The retry could not be stored; try again.");
		goto out;
	case REQUEUE_STORE:
		admin_store_failed(&a, store_res);
		goto out;
	default:
		admin_fail(&a, 404, "There is no such failed delivery: it may have "
		    "been retried already.");
		goto out;
	}
	log_info("admin_retry: team %s: webhook %s: delivery %s queued",
	    c->auth.team, c->params[0], id);
	loc = xasprintf("/admin/webhooks/%s?done=retried", c->params[0]);
	admin_redirect(&a, loc);
	free(loc);
out:
	admin_end(&a);
}

void
admin_delete_form(struct api_ctx *c)
{
	struct admin	 a;
	struct webhook	 w;

	if (admin_begin(&a, c, NEED_SESSION, SCOPE_REMOVE) == 0 &&
	    admin_path_uuid(&a) == 0 &&
	    !admin_store_failed(&a, webhook_get(c->st, c->auth.team, c->params[0],
	    &w))) {
		tmpl_set(a.d, "uuid", w.uuid);
		tmpl_set(a.d, "name", w.name);
		tmpl_set(a.d, "url", w.url);
		admin_render(&a, 200, "delete.html", "Delete webhook");
		webhook_free(&w);
	}
	admin_end(&a);
}

void
admin_delete(struct api_ctx *c)
{
	struct admin	 a;

	if (admin_begin(&a, c, NEED_SESSION, SCOPE_REMOVE) == 0 &&
	    admin_path_uuid(&a) == 0 &&
	    !admin_store_failed(&a, webhook_delete(c->st, c->auth.team,
	    c->params[0]))) {
		log_info("admin_delete: team %s: webhook %s", c->auth.team,
		    c->params[0]);
		admin_redirect(&a, "/admin/?done=deleted");
	}
	admin_end(&a);
}

/* The dialect's errors: unknown paths and wrong methods under /admin, as
 * an admin HTML page (a page's own errors come from fail). */
