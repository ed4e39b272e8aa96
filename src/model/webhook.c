/*
 * webhook: the model of a webhook over the store: create, read, update,
 * delete and list a team's webhooks, each change in one transaction, and
 * the views the dialects answer from.  A request body becomes a checked
 * struct wh_input through one function (webhook_decode) that walks the
 * field table (webhook_field.c) against the limits in webhook.h; a webhook
 * becomes a stored record (JSON with "v") and back, and the union JSON the
 * dialects start their answers from: each of them a loop over the same
 * table.  Below the model sits the store, whose webhook records the
 * model's three files (webhook_int.h) alone read and write.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "log.h"
#include "util.h"
#include "webhook.h"
#include "webhook_int.h"

#define SECRET_BYTES	24

/* ---- the webhook itself ------------------------------------------------ */

char *
webhook_new_secret(void)
{
	unsigned char	 raw[SECRET_BYTES];
	char		*b64, *s;

	util_random(raw, sizeof(raw));
	b64 = util_base64(raw, sizeof(raw));
	s = xasprintf("%s%s", SECRET_PREFIX, b64);
	free(b64);
	return s;
}

void
webhook_prune_secrets(struct webhook *w, int64_t now_ms)
{
	size_t	 i, n;

	for (i = n = 0; i < w->nold_secrets; i++) {
		if (w->old_secrets[i].expires_at > now_ms)
			w->old_secrets[n++] = w->old_secrets[i];
		else
			free(w->old_secrets[i].secret);
	}
	w->nold_secrets = n;
}

void
webhook_keep_secret(struct webhook *w, const char *old, int64_t until_ms,
    int64_t now_ms)
{
	size_t	 i, n;

	webhook_prune_secrets(w, now_ms);
	/* Copies of the new secret or of old go: old comes first now. */
	for (i = n = 0; i < w->nold_secrets; i++) {
		if (strcmp(w->old_secrets[i].secret, old) == 0 ||
		    (w->token != NULL &&
		    strcmp(w->old_secrets[i].secret, w->token) == 0))
			free(w->old_secrets[i].secret);
		else
			w->old_secrets[n++] = w->old_secrets[i];
	}
	w->nold_secrets = n;
	if (until_ms <= now_ms || old[0] == '\0' ||
	    (w->token != NULL && strcmp(old, w->token) == 0))
		return;
	if (w->nold_secrets == WH_OLD_SECRETS_MAX)
		free(w->old_secrets[--w->nold_secrets].secret);
	w->old_secrets = xrealloc(w->old_secrets,
	    (w->nold_secrets + 1) * sizeof(*w->old_secrets));
	memmove(w->old_secrets + 1, w->old_secrets,
	    w->nold_secrets * sizeof(*w->old_secrets));
	w->old_secrets[0].secret = xstrdup(old);
	w->old_secrets[0].expires_at = until_ms;
	w->nold_secrets++;
}

int64_t
webhook_grace_ms(const struct wh_input *in)
{
	int64_t	 s;

	s = in->has_grace ? in->grace_s : WH_GRACE_DEFAULT_S;
	if (s < 0)
		s = 0;
	if (s > WH_GRACE_MAX_S)
		s = WH_GRACE_MAX_S;
	return s * 1000;
}

void
webhook_init(struct webhook *w, const char *team)
{
	memset(w, 0, sizeof(*w));
	wh_fields_init(w);
	util_uuid4(w->uuid);
	w->team = xstrdup(team != NULL ? team : "");
	w->name = xstrdup("");
	w->url = xstrdup("");
	wh_add_event(w, "*");
	w->token = webhook_new_secret();
	w->created_at = w->updated_at = util_now_ms();
}

void
webhook_check(const struct webhook *w, struct wh_errors *errs)
{
	wh_check_combined(w, errs);
}

int
webhook_wants(const struct webhook *w, const char *type)
{
	size_t	 i;

	if (!w->active)
		return 0;
	for (i = 0; i < w->nevents; i++)
		if (strcmp(w->events[i], "*") == 0 ||
		    strcmp(w->events[i], type) == 0)
			return 1;
	return 0;
}

const char *
webhook_method_name(enum wh_method m)
{
	switch (m) {
	case WH_PUT:
		return "PUT";
	case WH_PATCH:
		return "PATCH";
	case WH_POST:
	default:
		return "POST";
	}
}


/* ---- the model over the store ------------------------------------------ */

int
webhook_create(struct store *st, struct webhook *w, int flags)
{
	struct store_wh	 sw;
	char		*rec;
	int		 rc;

	rec = webhook_to_record(w);
	sw.team = w->team;
	sw.uuid = w->uuid;
	sw.url = w->url;
	sw.json = rec;
	rc = store_webhook_create(st, &sw, flags);
	free(rec);
	return rc;
}

/* On any result but STORE_OK, w holds nothing to free. */
int
webhook_get(struct store *st, const char *team, const char *uuid,
    struct webhook *w)
{
	char	*json = NULL;
	int	 rc;

	memset(w, 0, sizeof(*w));
	if ((rc = store_webhook_get(st, team, uuid, &json)) != STORE_OK)
		return rc;
	rc = webhook_from_record(json, w) == 0 ? STORE_OK : STORE_ERR;
	free(json);
	return rc;
}

struct update_arg {
	const struct wh_input	*in;
	char			*result;	/* the last record written */
	struct wh_errors	 errs;		/* the rules it broke */
};
#define UPDATE_INVALID	(-2)	/* update_fn: the result breaks a rule */

/*
 * The read-modify-write step of webhook_update.  It may run more than once
 * (deadlock retry): it only writes its outputs and arg->result, which it
 * replaces each time.
 */
static int
update_fn(const char *old, char **url, char **json, void *varg)
{
	struct update_arg	*arg = varg;
	struct webhook		 w;
	char			*secret;
	int64_t			 now;

	if (webhook_from_record(old, &w) == -1)
		return -1;
	secret = xstrdup(w.token != NULL ? w.token : "");
	webhook_apply(&w, arg->in);
	/* A secret replaced stays valid for the grace period (rotation). */
	if (w.token != NULL && strcmp(secret, w.token) != 0) {
		now = util_now_ms();
		webhook_keep_secret(&w, secret, now +
		    webhook_grace_ms(arg->in), now);
	}
	free(secret);
	memset(&arg->errs, 0, sizeof(arg->errs));
	wh_check_combined(&w, &arg->errs);
	if (arg->errs.count > 0) {
		webhook_free(&w);
		return UPDATE_INVALID;
	}
	*url = xstrdup(w.url);
	*json = webhook_to_record(&w);
	free(arg->result);
	arg->result = xstrdup(*json);
	webhook_free(&w);
	return 0;
}

/* On any result but STORE_OK, *out holds nothing to free. */
int
webhook_update(struct store *st, const char *team, const char *uuid,
    const struct wh_input *in, int flags, struct webhook *out,
    struct wh_errors *errs)
{
	struct update_arg	 arg;
	int			 rc, fnret = 0;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	memset(&arg, 0, sizeof(arg));
	arg.in = in;
	rc = store_webhook_update(st, team, uuid, flags, update_fn, &arg,
	    &fnret);
	if (rc == STORE_ABORTED && fnret == UPDATE_INVALID) {
		if (errs != NULL)
			*errs = arg.errs;
		rc = WEBHOOK_INVALID;
	} else if (rc == STORE_ABORTED) {
		log_warn("webhook_update: %s: stored record unreadable", uuid);
		rc = STORE_ERR;
	}
	if (rc == STORE_OK && out != NULL &&
	    webhook_from_record(arg.result, out) == -1)
		rc = STORE_ERR;
	free(arg.result);
	return rc;
}

int
webhook_delete(struct store *st, const char *team, const char *uuid)
{
	return store_webhook_delete(st, team, uuid);
}

/*
 * A record that cannot be read is left out of the page (and logged by
 * webhook_from_record): one bad record must not hide the team's others.
 */
int
webhook_list(struct store *st, const char *team, size_t offset, size_t limit,
    struct webhook **ws, size_t *n, size_t *total)
{
	struct store_page	 page;
	size_t			 i;
	int			 rc;

	*ws = NULL;
	*n = 0;
	if (total != NULL)
		*total = 0;
	memset(&page, 0, sizeof(page));
	if ((rc = store_webhook_list(st, team, offset, limit, &page)) !=
	    STORE_OK)
		return rc;
	*ws = xcalloc(page.n, sizeof(**ws));
	for (i = 0; i < page.n; i++)
		if (webhook_from_record(page.recs[i], &(*ws)[*n]) == 0)
			(*n)++;
	if (total != NULL)
		*total = page.total;
	store_page_free(&page);
	return STORE_OK;
}

struct team_each {
	webhook_each_fn	 fn;
	void		*arg;
};

static int
webhook_each_record(const char *uuid, const char *json, void *arg)
{
	struct team_each	*e = arg;
	struct webhook		 w;

	(void)uuid;
	if (webhook_from_record(json, &w) == -1)
		return 0;
	return e->fn(&w, e->arg);
}

int
webhook_team_each(struct store *st, const char *team, webhook_each_fn fn,
    void *arg)
{
	struct team_each	 e = { fn, arg };

	return store_webhook_foreach(st, team, webhook_each_record, &e);
}

int
webhook_team_gen(struct store *st, const char *team, uint64_t *gen)
{
	return store_webhook_gen(st, team, gen);
}

/* ---- views ------------------------------------------------------------- */

void
webhook_view_free(struct webhook_view *v)
{
	free(v->mem);
	memset(v, 0, sizeof(*v));
}

/* 1 if the 36 bytes at s are hex digits and dashes (what a link may hold
 * unescaped); a table, as util_is_uuid was 450 instructions an item. */
static int
uuid_chars(const char *s)
{
	static const unsigned char ok[256] = {
		['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1,
		['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
		['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1,
		['f'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1,
		['E'] = 1, ['F'] = 1, ['-'] = 1,
	};
	unsigned	 all = 1;
	int		 i;

	for (i = 0; i < 36; i++)
		all &= ok[(unsigned char)s[i]];
	return all;
}

/*
 * Takes rec into v: its stored view when it has one that names a uuid,
 * else the members written from the record.  With own, rec (malloc'd) is
 * consumed; without, it is borrowed, and the view points into it.  0, or
 * -1 if the record cannot be read (v is then empty).
 */
static int
view_of_record(char *rec, int own, int redact, struct webhook_view *v)
{
	struct webhook	 w;
	struct buf	 b;
	const char	*m;
	size_t		 ml;

	memset(v, 0, sizeof(*v));
	if (!redact &&
	    webhook_record_view(rec, strlen(rec), &m, &ml) && ml > 8 + 36 &&
	    memcmp(m, "\"uuid\":\"", 8) == 0 && m[8 + 36] == '"') {
		memcpy(v->uuid, m + 8, 36);
		v->uuid[36] = '\0';
		if (uuid_chars(v->uuid)) {
			v->members = m;
			v->len = ml;
			v->mem = own ? rec : NULL;
			return 0;
		}
	}
	if (webhook_from_record(rec, &w) == -1) {
		if (own)
			free(rec);
		return -1;
	}
	if (own)
		free(rec);
	if (redact)
		webhook_redact(&w);
	buf_init(&b);
	webhook_json_members(&b, &w);
	memcpy(v->uuid, w.uuid, sizeof(v->uuid));
	webhook_free(&w);
	v->len = b.len;
	v->mem = buf_take(&b);
	v->members = v->mem;
	return 0;
}

/* On any result but STORE_OK, v holds nothing to free. */
int
webhook_get_view(struct store *st, const char *team, const char *uuid,
    int redact, struct webhook_view *v)
{
	char	*json = NULL;
	int	 rc;

	memset(v, 0, sizeof(*v));
	if ((rc = store_webhook_get(st, team, uuid, &json)) != STORE_OK)
		return rc;
	return view_of_record(json, 1, redact, v) == 0 ? STORE_OK : STORE_ERR;
}

/* As webhook_list: an unreadable record is left out of the page. */
int
webhook_list_views(struct store *st, const char *team, size_t offset,
    size_t limit, int redact, struct webhook_views *out)
{
	struct store_page	 page;
	size_t			 i;
	int			 rc;

	memset(out, 0, sizeof(*out));
	memset(&page, 0, sizeof(page));
	if ((rc = store_webhook_list(st, team, offset, limit, &page)) !=
	    STORE_OK)
		return rc;
	out->v = xcalloc(page.n, sizeof(*out->v));
	for (i = 0; i < page.n; i++)
		if (view_of_record(page.recs[i], 0, redact,
		    &out->v[out->n]) == 0)
			out->n++;
	out->total = page.total;
	out->mem = page.mem;
	page.mem = NULL;
	store_page_free(&page);
	return STORE_OK;
}

void
webhook_views_free(struct webhook_views *vs)
{
	size_t	 i;

	for (i = 0; i < vs->n; i++)
		webhook_view_free(&vs->v[i]);
	free(vs->v);
	free(vs->mem);
	memset(vs, 0, sizeof(*vs));
}
