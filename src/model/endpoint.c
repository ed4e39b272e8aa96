/*
 * endpoint: the Svix dialect's endpoints, webhooks of an application
 * (endpoint.h).  A Svix body is checked by turning what the webhook has a
 * field for into the native body webhook_decode reads (its errors renamed
 * back to Svix's fields), and the rest (uid, description, channels,
 * metadata, rate limit) by the checks here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "endpoint.h"
#include "event_type.h"
#include "log.h"
#include "util.h"

#define GRACE_MAX_S	604800	/* Svix's 7 days (WH_GRACE_MAX_S) */

enum ep_mode { EP_CREATE, EP_PUT, EP_PATCH };

/* ---- checks ------------------------------------------------------------ */

int
endpoint_uid_ok(const char *s)
{
	return s != NULL && strncmp(s, "ep_", 3) != 0 &&
	    app_name_ok(s, EP_UID_MAX);
}

/* ^(whsec_)?[a-zA-Z0-9+/=]{32,100}$ */
static int
secret_ok(const char *s)
{
	size_t	 i;
	int	 c;

	if (strncmp(s, "whsec_", 6) == 0)
		s += 6;
	for (i = 0; s[i] != '\0'; i++) {
		c = (unsigned char)s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '='))
			return 0;
	}
	return i >= 32 && i <= 100;
}

/* A JSON string that a C string carries whole: no NUL inside, which would
 * cut it short where it is stored. */
static int
whole_string(json_object *v)
{
	return json_object_is_type(v, json_type_string) &&
	    strlen(json_object_get_string(v)) ==
	    (size_t)json_object_get_string_len(v);
}

/* The errors webhook_decode named after the native body's fields, renamed
 * after the Svix body's. */
static void
rename_errors(struct wh_errors *errs, size_t from, const char *evkey)
{
	static const char *const map[][2] = {
		{ "name", "description" }, { "token", "secret" },
		{ "active", "disabled" },
	};
	char	 tail[16];	/* "[127]" */
	size_t	 i, k;

	for (i = from; i < errs->n; i++) {
		for (k = 0; k < sizeof(map) / sizeof(map[0]); k++)
			if (strcmp(errs->e[i].field, map[k][0]) == 0)
				snprintf(errs->e[i].field,
				    sizeof(errs->e[i].field), "%s", map[k][1]);
		/* "events" and "events[i]", an element's. */
		if (strncmp(errs->e[i].field, "events", 6) == 0 &&
		    (errs->e[i].field[6] == '\0' ||
		    errs->e[i].field[6] == '[')) {
			snprintf(tail, sizeof(tail), "%s",
			    errs->e[i].field + 6);
			snprintf(errs->e[i].field, sizeof(errs->e[i].field),
			    "%s%s", evkey, tail);
		}
	}
}

/* ---- decoding ------------------------------------------------------- */

/* The body's member key: 1 with *v (NULL for null), or 0 when absent. */
static int
member(json_object *body, const char *key, json_object **v)
{
	*v = NULL;
	return json_object_object_get_ex(body, key, v);
}

static void
add_channel(struct webhook *w, const char *name)
{
	size_t	 i;

	for (i = 0; i < w->nchannels; i++)
		if (strcmp(w->channels[i], name) == 0)
			return;
	w->channels = xrealloc(w->channels,
	    (w->nchannels + 1) * sizeof(*w->channels));
	w->channels[w->nchannels++] = xstrdup(name);
}

static void
decode_channels(json_object *v, struct webhook *w, struct wh_errors *errs)
{
	json_object	*e;
	size_t		 i, n;

	if (v == NULL)
		return;
	if (!json_object_is_type(v, json_type_array) ||
	    (n = json_object_array_length(v)) < 1 || n > WH_CHANNELS_MAX) {
		webhook_error(errs, "channels", "Channels must have at least 1 "
		    "and at most %d items, or be set to null.",
		    WH_CHANNELS_MAX);
		return;
	}
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(v, i);
		if (!whole_string(e) ||
		    !app_name_ok(json_object_get_string(e), WH_CHANNEL_MAX)) {
			webhook_error(errs, "channels", "each must match "
			    "^[a-zA-Z0-9\\-_.]{1,%d}$", WH_CHANNEL_MAX);
			return;
		}
		add_channel(w, json_object_get_string(e));
	}
}

static void
decode_metadata(json_object *v, struct webhook *w, struct wh_errors *errs)
{
	struct json_object_iterator	 it, end;
	json_object			*val;

	if (v == NULL)
		return;
	if (!json_object_is_type(v, json_type_object) ||
	    json_object_object_length(v) > WH_METADATA_MAX) {
		webhook_error(errs, "metadata", "must be an object of at most "
		    "%d strings", WH_METADATA_MAX);
		return;
	}
	it = json_object_iter_begin(v);
	end = json_object_iter_end(v);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		val = json_object_iter_peek_value(&it);
		if (!whole_string(val)) {
			webhook_error(errs, "metadata", "must be an object of "
			    "strings (without NUL)");
			return;
		}
		w->metadata = xrealloc(w->metadata,
		    (w->nmetadata + 1) * sizeof(*w->metadata));
		w->metadata[w->nmetadata].name =
		    xstrdup(json_object_iter_peek_name(&it));
		w->metadata[w->nmetadata].value =
		    xstrdup(json_object_get_string(val));
		w->nmetadata++;
	}
}

/*
 * The event types a body subscribes to, checked against the team's
 * catalog: each must be a type there that is not archived (Svix's rule).
 */
static void
check_catalog(struct store *st, const char *team, const struct webhook *w,
    const char *key, struct wh_errors *errs)
{
	struct evtype	 e;
	struct buf	 missing;
	size_t		 i;
	int		 rc, bad = 0;

	buf_init(&missing);
	for (i = 0; i < w->nevents; i++) {
		if (strcmp(w->events[i], "*") == 0)
			continue;
		rc = evtype_get(st, team, w->events[i], &e);
		if (rc == STORE_OK && !e.archived) {
			evtype_free(&e);
			continue;
		}
		if (rc == STORE_OK)
			evtype_free(&e);
		else if (rc != STORE_NOTFOUND) {
			webhook_error(errs, key, "the event types could not be "
			    "read; try again");
			buf_free(&missing);
			return;
		}
		if (bad++ > 0)
			buf_puts(&missing, ", ");
		buf_puts(&missing, w->events[i]);
	}
	if (bad > 0)
		webhook_error(errs, key, "The following event types don't "
		    "exist: %.140s", missing.p);
	buf_free(&missing);
}

/*
 * A Svix EndpointIn, EndpointUpdate or EndpointPatch into in (mode says
 * which).  The fields the webhook has (url, headers, secret, disabled,
 * the event types, the description as the name) go through
 * webhook_decode as a native body; WF_NAME is left out of in->set: the
 * name follows the description and the url (ep_name).  0, or -1 with
 * errs filled.
 */
static int
ep_decode(struct store *st, const char *team, json_object *body,
    enum ep_mode mode, struct wh_input *in, struct wh_errors *errs_out)
{
	struct wh_errors pre;
	json_object	*nb, *v, *types = NULL, *arr;
	const char	*evkey = "filterTypes", *rlkey;
	int		 has_types, has;
	size_t		 i;
	int64_t		 rl;

	struct wh_errors *errs = errs_out;

	memset(in, 0, sizeof(*in));
	errs->n = errs->count = 0;
	if (body == NULL || !json_object_is_type(body, json_type_object)) {
		webhook_error(errs, "body", "value is not a valid dict");
		return -1;
	}
	/* The checks before webhook_decode's, which starts errs afresh. */
	memset(&pre, 0, sizeof(pre));
	errs = &pre;
	nb = json_object_new_object();
	if (member(body, "url", &v))
		json_object_object_add(nb, "url", json_object_get(v));
	else if (mode != EP_PATCH)
		webhook_error(errs, "url", "field required");
	if (member(body, "description", &v) && v != NULL &&
	    (!json_object_is_type(v, json_type_string) ||
	    json_object_get_string_len(v) > 0))
		json_object_object_add(nb, "name", json_object_get(v));
	if (mode == EP_CREATE && member(body, "headers", &v) && v != NULL)
		json_object_object_add(nb, "headers", json_object_get(v));
	if (mode != EP_PUT && member(body, "secret", &v) && v != NULL) {
		if (!whole_string(v) || !secret_ok(json_object_get_string(v)))
			webhook_error(errs, "secret", "must match "
			    "^(whsec_)?[a-zA-Z0-9+/=]{32,100}$");
		else
			json_object_object_add(nb, "token",
			    json_object_get(v));
	}
	has = member(body, "disabled", &v);
	if (v != NULL) {
		if (!json_object_is_type(v, json_type_boolean))
			webhook_error(errs, "disabled", "value could not be "
			    "parsed to a boolean");
		else
			json_object_object_add(nb, "active",
			    json_object_new_boolean(!json_object_get_boolean(v)));
	} else if (mode != EP_PATCH || has)
		json_object_object_add(nb, "active",
		    json_object_new_boolean(1));
	/* eventTypes, the newer name, wins. */
	has_types = member(body, "eventTypes", &types);
	if (has_types)
		evkey = "eventTypes";
	else
		has_types = member(body, "filterTypes", &types);
	if (types != NULL) {
		if (!json_object_is_type(types, json_type_array) ||
		    json_object_array_length(types) == 0)
			webhook_error(errs, evkey, "must be a list of at least "
			    "one event type, or null");
		else
			json_object_object_add(nb, "events",
			    json_object_get(types));
	} else if (mode != EP_PATCH || has_types) {
		arr = json_object_new_array();
		json_object_array_add(arr, json_object_new_string("*"));
		json_object_object_add(nb, "events", arr);
	}
	errs = errs_out;
	webhook_decode(nb, 0, in, errs);
	json_object_put(nb);
	rename_errors(errs, 0, evkey);
	for (i = 0; i < pre.n; i++)
		webhook_error(errs, pre.e[i].field, "%s", pre.e[i].msg);
	in->set &= ~WF_NAME;
	if ((in->set & WF_EVENTS) && errs->count == 0)
		check_catalog(st, team, &in->w, evkey, errs);

	/* The fields the native body has none for. */
	has = member(body, "description", &v);
	if (has || mode != EP_PATCH) {
		in->set |= WF_DESCRIPTION;
		free(in->w.description);
		in->w.description = NULL;
		if (v != NULL && json_object_is_type(v, json_type_string) &&
		    json_object_get_string_len(v) > 0)
			in->w.description = xstrdup(json_object_get_string(v));
		else if (v != NULL && !json_object_is_type(v, json_type_string))
			webhook_error(errs, "description", "str type expected");
	}
	has = member(body, "uid", &v);
	if (has || mode != EP_PATCH) {
		in->set |= WF_UID;
		if (v != NULL && (!whole_string(v) ||
		    !endpoint_uid_ok(json_object_get_string(v))))
			webhook_error(errs, "uid", "must match "
			    "^[a-zA-Z0-9\\-_.]{1,256}$ and not start with ep_");
		else if (v != NULL)
			in->w.uid = xstrdup(json_object_get_string(v));
	}
	has = member(body, "channels", &v);
	if (has || mode != EP_PATCH) {
		in->set |= WF_CHANNELS;
		decode_channels(v, &in->w, errs);
	}
	has = member(body, "metadata", &v);
	if (has || mode != EP_PATCH) {
		in->set |= WF_METADATA;
		decode_metadata(v, &in->w, errs);
	}
	/* throttleRate is rateLimit's newer name: it wins when both come. */
	rlkey = "throttleRate";
	if (!(has = member(body, rlkey, &v))) {
		rlkey = "rateLimit";
		has = member(body, rlkey, &v);
	}
	if (has || mode != EP_PATCH) {
		in->set |= WF_RATE_LIMIT;
		if (v != NULL) {
			rl = json_object_is_type(v, json_type_int) ?
			    json_object_get_int64(v) : 0;
			if (rl < 1 || rl > WH_RATE_LIMIT_MAX)
				webhook_error(errs, rlkey, "ensure this value "
				    "is an integer from 1 to %d",
				    WH_RATE_LIMIT_MAX);
			else
				in->w.rate_limit = (int)rl;
		}
	}
	if (member(body, "version", &v) && v != NULL &&
	    (!json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < 1 || json_object_get_int64(v) > 65535))
		webhook_error(errs, "version", "Endpoint versions must be at "
		    "least one if set");
	if (errs->count > 0) {
		webhook_input_free(in);
		return -1;
	}
	return 0;
}

/* The webhook's name: the description, or the url's first WH_NAME_MAX
 * bytes (not cutting a UTF-8 character). */
static void
ep_name(struct webhook *w)
{
	const char	*src;
	size_t		 n;

	src = w->description != NULL && w->description[0] != '\0' ?
	    w->description : w->url != NULL ? w->url : "";
	n = strlen(src);
	if (n > WH_NAME_MAX) {
		n = WH_NAME_MAX;
		while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;
	}
	free(w->name);
	w->name = xstrndup(src, n);
}

/* ---- finding ------------------------------------------------------------- */

/* The application's id into app_id: a store result. */
static int
app_resolve(struct store *st, const char *team, const char *app,
    char *app_id)
{
	struct app	 a;
	int		 rc;

	if ((rc = app_get(st, team, app, &a)) != STORE_OK)
		return rc;
	snprintf(app_id, APP_ID_MAX + 1, "%s", a.id);
	app_free(&a);
	return STORE_OK;
}

/* The uuid of the application's endpoint ep (an id or a uid). */
static int
ep_uuid(struct store *st, const char *team, const char *app_id,
    const char *ep, char uuid[37])
{
	char	*u = NULL;
	int	 rc;

	if (app_uuid_from_id("ep_", ep, uuid) == 0)
		return STORE_OK;
	if (!endpoint_uid_ok(ep))
		return STORE_NOTFOUND;
	if ((rc = store_ep_uid(st, team, app_id, ep, &u)) != STORE_OK)
		return rc;
	if (!util_is_uuid(u)) {
		free(u);
		return STORE_ERR;
	}
	memcpy(uuid, u, 37);
	free(u);
	return STORE_OK;
}

/* Both: the application's id and the endpoint's uuid. */
static int
ep_resolve(struct store *st, const char *team, const char *app,
    const char *ep, char *app_id, char uuid[37])
{
	int	 rc;

	if ((rc = app_resolve(st, team, app, app_id)) != STORE_OK)
		return rc;
	return ep_uuid(st, team, app_id, ep, uuid);
}

/* The webhook uuid when it is an endpoint of app_id. */
static int
ep_read(struct store *st, const char *team, const char *app_id,
    const char *uuid, struct webhook *w)
{
	int	 rc;

	if ((rc = webhook_get(st, team, uuid, w)) != STORE_OK)
		return rc;
	if (w->app == NULL || strcmp(w->app, app_id) != 0) {
		webhook_free(w);
		return STORE_NOTFOUND;
	}
	return STORE_OK;
}

int
endpoint_get(struct store *st, const char *team, const char *app,
    const char *ep, struct webhook *w)
{
	char	 app_id[APP_ID_MAX + 1], uuid[37];
	int	 rc;

	memset(w, 0, sizeof(*w));
	if ((rc = ep_resolve(st, team, app, ep, app_id, uuid)) != STORE_OK)
		return rc;
	return ep_read(st, team, app_id, uuid, w);
}

/* ---- create ------------------------------------------------------------ */

static int
ep_create(struct store *st, const char *team, const char *app_id,
    json_object *body, struct webhook *w, struct wh_errors *errs)
{
	struct wh_input	 in;
	struct store_wh	 sw;
	char		*rec;
	int		 rc;

	memset(w, 0, sizeof(*w));
	if (ep_decode(st, team, body, EP_CREATE, &in, errs) == -1)
		return EP_INVALID;
	webhook_init(w, team);
	util_uuid7(w->uuid);
	w->app = xstrdup(app_id);
	webhook_apply(w, &in);
	webhook_input_free(&in);
	w->updated_at = w->created_at;
	ep_name(w);
	webhook_check(w, errs);
	if (errs->count > 0) {
		webhook_free(w);
		return EP_INVALID;
	}
	rec = webhook_to_record(w);
	sw.team = team;
	sw.uuid = w->uuid;
	sw.url = w->url;
	sw.json = rec;
	rc = store_ep_create(st, app_id, w->uid, &sw);
	free(rec);
	if (rc != STORE_OK)
		webhook_free(w);
	return rc;
}

int
endpoint_create(struct store *st, const char *team, const char *app,
    json_object *body, struct webhook *w, struct wh_errors *errs)
{
	char	 app_id[APP_ID_MAX + 1];
	int	 rc;

	memset(w, 0, sizeof(*w));
	if ((rc = app_resolve(st, team, app, app_id)) != STORE_OK)
		return rc;
	return ep_create(st, team, app_id, body, w, errs);
}

/* ---- updates ----------------------------------------------------------- */

/* What an update does to the stored webhook (ep_update_fn). */
struct ep_upd {
	const char		*app_id;
	const struct wh_input	*in;
	json_object		*hpatch;	/* headers PATCH's body */
	struct wh_errors	 errs;
	char			*result;
};
#define UPD_INVALID	(-2)
#define UPD_OTHER	(-3)	/* not an endpoint of the application */

/* The headers of w changed by a headers PATCH body into a native body's
 * "headers" object (a value null removes, deleteHeaders removes). */
static json_object *
headers_patched(const struct webhook *w, json_object *body)
{
	json_object	*h, *p = NULL, *del = NULL, *e;
	size_t		 i, k;
	int		 drop;

	h = json_object_new_object();
	json_object_object_get_ex(body, "headers", &p);
	json_object_object_get_ex(body, "deleteHeaders", &del);
	for (i = 0; i < w->nheaders; i++) {
		drop = 0;
		if (json_object_is_type(p, json_type_object)) {
			json_object_object_foreach(p, name, val) {
				(void)val;
				if (strcasecmp(name, w->headers[i].name) == 0)
					drop = 1;
			}
		}
		for (k = 0; json_object_is_type(del, json_type_array) &&
		    k < json_object_array_length(del); k++) {
			e = json_object_array_get_idx(del, k);
			if (json_object_is_type(e, json_type_string) &&
			    strcasecmp(json_object_get_string(e),
			    w->headers[i].name) == 0)
				drop = 1;
		}
		if (!drop)
			json_object_object_add(h, w->headers[i].name,
			    json_object_new_string(w->headers[i].value));
	}
	if (json_object_is_type(p, json_type_object)) {
		json_object_object_foreach(p, name, val)
			if (val != NULL)
				json_object_object_add(h, name,
				    json_object_get(val));
	}
	return h;
}

/* store_ep_fn: the stored webhook changed; it may run more than once. */
static int
ep_update_fn(const char *old, char **url, char **uid, char **json, void *arg)
{
	struct ep_upd	*u = arg;
	struct webhook	 w;
	struct wh_input	 hin;
	json_object	*nb;
	char		*secret;
	int64_t		 now;

	memset(&u->errs, 0, sizeof(u->errs));
	if (webhook_from_record(old, &w) == -1)
		return -1;
	if (w.app == NULL || strcmp(w.app, u->app_id) != 0) {
		webhook_free(&w);
		return UPD_OTHER;
	}
	secret = xstrdup(w.token != NULL ? w.token : "");
	if (u->hpatch != NULL) {
		nb = json_object_new_object();
		json_object_object_add(nb, "headers",
		    headers_patched(&w, u->hpatch));
		if (webhook_decode(nb, 0, &hin, &u->errs) == 0)
			webhook_apply(&w, &hin);
		webhook_input_free(&hin);
		json_object_put(nb);
	} else
		webhook_apply(&w, u->in);
	ep_name(&w);
	/* A secret replaced (a rotation, a PATCH's secret) stays valid for
	 * the grace period, as every dialect's update keeps it. */
	if (u->in != NULL && w.token != NULL && strcmp(secret, w.token) != 0) {
		now = util_now_ms();
		webhook_keep_secret(&w, secret, now +
		    webhook_grace_ms(u->in), now);
	}
	free(secret);
	if (u->errs.count == 0)
		webhook_check(&w, &u->errs);
	if (u->errs.count > 0) {
		webhook_free(&w);
		return UPD_INVALID;
	}
	*url = xstrdup(w.url);
	*uid = w.uid != NULL ? xstrdup(w.uid) : NULL;
	*json = webhook_to_record(&w);
	free(u->result);
	u->result = xstrdup(*json);
	webhook_free(&w);
	return 0;
}

/* Runs u on the endpoint: a model result, *w the result (if not NULL). */
static int
ep_update(struct store *st, const char *team, const char *app_id,
    const char *uuid, struct ep_upd *u, struct webhook *w,
    struct wh_errors *errs)
{
	int	 rc, fnret = 0;

	u->app_id = app_id;
	rc = store_ep_update(st, team, app_id, uuid, ep_update_fn, u, &fnret);
	if (rc == STORE_ABORTED && fnret == UPD_INVALID) {
		*errs = u->errs;
		rc = EP_INVALID;
	} else if (rc == STORE_ABORTED && fnret == UPD_OTHER)
		rc = STORE_NOTFOUND;
	else if (rc == STORE_ABORTED) {
		log_warn("endpoint_update: %s: stored record unreadable", uuid);
		rc = STORE_ERR;
	}
	if (rc == STORE_OK && w != NULL &&
	    webhook_from_record(u->result, w) == -1)
		rc = STORE_ERR;
	free(u->result);
	u->result = NULL;
	return rc;
}

static int
ep_change(struct store *st, const char *team, const char *app,
    const char *ep, json_object *body, enum ep_mode mode, int may_create,
    struct webhook *w, int *created, struct wh_errors *errs)
{
	struct wh_input	 in;
	struct ep_upd	 u;
	json_object	*b, *v;
	char		 app_id[APP_ID_MAX + 1], uuid[37];
	int		 rc;

	memset(w, 0, sizeof(*w));
	if (created != NULL)
		*created = 0;
	if ((rc = app_resolve(st, team, app, app_id)) != STORE_OK)
		return rc;
	rc = ep_uuid(st, team, app_id, ep, uuid);
	if (rc == STORE_NOTFOUND && may_create && !endpoint_uid_ok(ep)) {
		/* Neither an id (ep_uuid took those) nor a uid: nothing a
		 * PUT could find again, so not one more endpoint each time
		 * (an event type's PUT answers the same). */
		errs->n = errs->count = 0;
		webhook_error(errs, "path/endpoint_id", "must be an endpoint "
		    "id or a uid matching ^[a-zA-Z0-9\\-_.]{1,256}$");
		return EP_INVALID;
	}
	if (rc == STORE_NOTFOUND && may_create) {
		/* Absent: made, under ep as its uid when the body names
		 * none. */
		if (body == NULL ||
		    !json_object_is_type(body, json_type_object) ||
		    (json_object_object_get_ex(body, "uid", &v) && v != NULL))
			b = json_object_get(body);
		else {
			b = json_object_new_object();
			json_object_object_foreach(body, k, val)
				json_object_object_add(b, k,
				    json_object_get(val));
			json_object_object_add(b, "uid",
			    json_object_new_string(ep));
		}
		rc = ep_create(st, team, app_id, b, w, errs);
		json_object_put(b);
		if (rc == STORE_OK && created != NULL)
			*created = 1;
		return rc;
	}
	if (rc != STORE_OK)
		return rc;
	if (ep_decode(st, team, body, mode, &in, errs) == -1)
		return EP_INVALID;
	memset(&u, 0, sizeof(u));
	u.in = &in;
	rc = ep_update(st, team, app_id, uuid, &u, w, errs);
	webhook_input_free(&in);
	return rc;
}

int
endpoint_put(struct store *st, const char *team, const char *app,
    const char *ep, json_object *body, int may_create, struct webhook *w,
    int *created, struct wh_errors *errs)
{
	return ep_change(st, team, app, ep, body, EP_PUT, may_create, w,
	    created, errs);
}

int
endpoint_patch(struct store *st, const char *team, const char *app,
    const char *ep, json_object *body, struct webhook *w,
    struct wh_errors *errs)
{
	return ep_change(st, team, app, ep, body, EP_PATCH, 0, w, NULL, errs);
}

/* deleteHeaders: a list of at most WH_HEADERS_MAX strings of 1 to
 * WH_HNAME_MAX bytes (a name never stored only removes nothing). */
static int
names_ok(json_object *a)
{
	json_object	*e;
	size_t		 i, n, len;

	if (!json_object_is_type(a, json_type_array) ||
	    (n = json_object_array_length(a)) > WH_HEADERS_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(a, i);
		if (!whole_string(e))
			return 0;
		len = strlen(json_object_get_string(e));
		if (len == 0 || len > WH_HNAME_MAX)
			return 0;
	}
	return 1;
}

int
endpoint_set_headers(struct store *st, const char *team, const char *app,
    const char *ep, json_object *body, int patch, struct wh_errors *errs)
{
	struct wh_input	 in;
	struct ep_upd	 u;
	json_object	*h = NULL, *del = NULL, *nb;
	char		 app_id[APP_ID_MAX + 1], uuid[37];
	int		 rc;

	errs->n = errs->count = 0;
	if (body == NULL || !json_object_is_type(body, json_type_object) ||
	    !json_object_object_get_ex(body, "headers", &h) ||
	    !json_object_is_type(h, json_type_object)) {
		webhook_error(errs, "headers", "field required: an object of "
		    "header names and values");
		return EP_INVALID;
	}
	if (patch && json_object_object_get_ex(body, "deleteHeaders", &del) &&
	    del != NULL && !names_ok(del))
		webhook_error(errs, "deleteHeaders", "must be a list of at most "
		    "%d header names", WH_HEADERS_MAX);
	if (errs->count > 0)
		return EP_INVALID;
	if ((rc = ep_resolve(st, team, app, ep, app_id, uuid)) != STORE_OK)
		return rc;
	memset(&u, 0, sizeof(u));
	memset(&in, 0, sizeof(in));
	if (patch)
		u.hpatch = body;
	else {
		nb = json_object_new_object();
		json_object_object_add(nb, "headers", json_object_get(h));
		rc = webhook_decode(nb, 0, &in, errs);
		json_object_put(nb);
		if (rc == -1) {
			/* What it decoded before the bad one. */
			webhook_input_free(&in);
			return EP_INVALID;
		}
		u.in = &in;
	}
	rc = ep_update(st, team, app_id, uuid, &u, NULL, errs);
	webhook_input_free(&in);
	return rc;
}

int
endpoint_rotate(struct store *st, const char *team, const char *app,
    const char *ep, json_object *body, struct wh_errors *errs)
{
	struct wh_input	 in;
	struct ep_upd	 u;
	json_object	*nb, *v;
	char		 app_id[APP_ID_MAX + 1], uuid[37];
	size_t		 i;
	int		 rc;

	errs->n = errs->count = 0;
	if (body != NULL && !json_object_is_type(body, json_type_object)) {
		webhook_error(errs, "body", "value is not a valid dict");
		return EP_INVALID;
	}
	/* Svix's body as the native rotation's {token, grace_seconds}. */
	nb = json_object_new_object();
	if (body != NULL && member(body, "key", &v) && v != NULL) {
		if (!whole_string(v) || !secret_ok(json_object_get_string(v)))
			webhook_error(errs, "key", "must match "
			    "^(whsec_)?[a-zA-Z0-9+/=]{32,100}$");
		json_object_object_add(nb, "token", json_object_get(v));
	}
	if (body != NULL && member(body, "gracePeriodSeconds", &v) &&
	    v != NULL) {
		if (!json_object_is_type(v, json_type_int) ||
		    json_object_get_int64(v) < 0 ||
		    json_object_get_int64(v) > GRACE_MAX_S)
			webhook_error(errs, "gracePeriodSeconds", "Duration "
			    "must be between 0 and 7 days");
		json_object_object_add(nb, "grace_seconds",
		    json_object_get(v));
	}
	if (errs->count > 0) {
		json_object_put(nb);
		return EP_INVALID;
	}
	rc = webhook_decode_rotate(nb, &in, errs);
	json_object_put(nb);
	if (rc == -1) {
		for (i = 0; i < errs->n; i++)
			if (strcmp(errs->e[i].field, "token") == 0)
				snprintf(errs->e[i].field,
				    sizeof(errs->e[i].field), "key");
		return EP_INVALID;
	}
	if ((rc = ep_resolve(st, team, app, ep, app_id, uuid)) == STORE_OK) {
		memset(&u, 0, sizeof(u));
		u.in = &in;
		rc = ep_update(st, team, app_id, uuid, &u, NULL, errs);
	}
	webhook_input_free(&in);
	return rc;
}

/* ---- delete and list ----------------------------------------------------- */

int
endpoint_delete(struct store *st, const char *team, const char *app,
    const char *ep)
{
	char	 app_id[APP_ID_MAX + 1], uuid[37];
	int	 rc;

	if ((rc = ep_resolve(st, team, app, ep, app_id, uuid)) != STORE_OK)
		return rc;
	return store_ep_delete(st, team, app_id, uuid);
}

static int
ep_parse_any(const char *rec, void *w)
{
	return webhook_from_record(rec, w);
}

int
endpoint_all(struct store *st, const char *team, const char *app_id,
    struct webhook **ws, size_t *n)
{
	char	**recs, after[37];
	size_t	  got, i, parsed;
	int	  rc;

	*ws = NULL;
	*n = 0;
	after[0] = '\0';
	do {
		recs = NULL;
		got = 0;
		if ((rc = store_ep_list(st, team, app_id, after[0] != '\0' ?
		    after : NULL, 0, 500, &recs, &got)) != STORE_OK) {
			while (*n > 0)
				webhook_free(&(*ws)[--*n]);
			free(*ws);
			*ws = NULL;
			return rc;
		}
		*ws = xrealloc(*ws, (*n + got + 1) * sizeof(**ws));
		for (i = 0, parsed = 0; i < got; i++) {
			memset(&(*ws)[*n], 0, sizeof(**ws));
			if (webhook_from_record(recs[i], &(*ws)[*n]) == 0) {
				snprintf(after, sizeof(after), "%s",
				    (*ws)[*n].uuid);
				(*n)++;
				parsed++;
			}
			free(recs[i]);
		}
		free(recs);
		/* A page of nothing readable (logged) would not move on. */
	} while (got == 500 && parsed > 0);
	return STORE_OK;
}

int
endpoint_list(struct store *st, const char *team, const char *app,
    const char *iterator, int desc, size_t limit, struct webhook **ws,
    size_t *n, int *more)
{
	char	**recs = NULL, app_id[APP_ID_MAX + 1], after[37];
	size_t	  got = 0;
	int	  back = 0, rc;

	*ws = NULL;
	*n = 0;
	*more = 0;
	if ((rc = app_resolve(st, team, app, app_id)) != STORE_OK)
		return rc;
	if (iterator != NULL && iterator[0] == '-') {
		back = 1;
		iterator++;
	}
	if (iterator != NULL && iterator[0] != '\0' &&
	    app_uuid_from_id("ep_", iterator, after) == -1)
		return EP_INVALID;
	/* One more than asked: whether there are more. */
	rc = store_ep_list(st, team, app_id, iterator != NULL &&
	    iterator[0] != '\0' ? after : NULL, desc != back, limit + 1, &recs,
	    &got);
	if (rc != STORE_OK)
		return rc;
	*ws = app_page(recs, got, limit, back, sizeof(**ws), ep_parse_any, n,
	    more);
	return STORE_OK;
}

/* ---- answers ------------------------------------------------------------- */

void
endpoint_id(const struct webhook *w, char *out)
{
	if (app_id_from_uuid("ep_", w->uuid, out) == -1)
		out[0] = '\0';
}

static json_object *
str_or_null(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

/* The event types as Svix answers them: null for every type. */
static json_object *
types_json(const struct webhook *w)
{
	json_object	*a;
	size_t		 i;

	for (i = 0; i < w->nevents; i++)
		if (strcmp(w->events[i], "*") == 0)
			return NULL;
	if (w->nevents == 0)
		return NULL;
	a = json_object_new_array();
	for (i = 0; i < w->nevents; i++)
		json_object_array_add(a, json_object_new_string(w->events[i]));
	return a;
}

json_object *
endpoint_to_json(const struct webhook *w)
{
	json_object	*j, *a, *m;
	char		 id[APP_ID_MAX + 1], ts[UTIL_ISO_LEN];
	size_t		 i;

	j = json_object_new_object();
	endpoint_id(w, id);
	json_object_object_add(j, "id", json_object_new_string(id));
	json_object_object_add(j, "uid", str_or_null(w->uid));
	json_object_object_add(j, "url", json_object_new_string(w->url));
	json_object_object_add(j, "description", json_object_new_string(
	    w->description != NULL ? w->description : ""));
	json_object_object_add(j, "disabled",
	    json_object_new_boolean(!w->active));
	json_object_object_add(j, "filterTypes", types_json(w));
	json_object_object_add(j, "eventTypes", types_json(w));
	a = NULL;
	if (w->nchannels > 0) {
		a = json_object_new_array();
		for (i = 0; i < w->nchannels; i++)
			json_object_array_add(a,
			    json_object_new_string(w->channels[i]));
	}
	json_object_object_add(j, "channels", a);
	json_object_object_add(j, "rateLimit", w->rate_limit > 0 ?
	    json_object_new_int(w->rate_limit) : NULL);
	json_object_object_add(j, "throttleRate", w->rate_limit > 0 ?
	    json_object_new_int(w->rate_limit) : NULL);
	json_object_object_add(j, "version", json_object_new_int(1));
	m = json_object_new_object();
	for (i = 0; i < w->nmetadata; i++)
		json_object_object_add(m, w->metadata[i].name,
		    json_object_new_string(w->metadata[i].value));
	json_object_object_add(j, "metadata", m);
	util_iso8601(w->created_at, ts);
	json_object_object_add(j, "createdAt", json_object_new_string(ts));
	util_iso8601(w->updated_at, ts);
	json_object_object_add(j, "updatedAt", json_object_new_string(ts));
	return j;
}

/* Svix's list of the headers whose values are not answered. */
static int
sensitive(const char *name)
{
	static const char *const s[] = {
		"x-auth-token", "x-api-key", "www-authenticate",
		"authorization", "proxy-authenticate", "proxy-authorization",
	};
	size_t	 i;

	for (i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		if (strcasecmp(name, s[i]) == 0)
			return 1;
	return 0;
}

json_object *
endpoint_headers_json(const struct webhook *w)
{
	json_object	*j, *h, *s;
	size_t		 i;

	j = json_object_new_object();
	h = json_object_new_object();
	s = json_object_new_array();
	for (i = 0; i < w->nheaders; i++) {
		if (sensitive(w->headers[i].name))
			json_object_array_add(s,
			    json_object_new_string(w->headers[i].name));
		else
			json_object_object_add(h, w->headers[i].name,
			    json_object_new_string(w->headers[i].value));
	}
	json_object_object_add(j, "headers", h);
	json_object_object_add(j, "sensitive", s);
	return j;
}
