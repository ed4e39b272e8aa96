/*
 * event_type: the Svix dialect's event-type catalog (event_type.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "event_type.h"
#include "log.h"
#include "util.h"

#define RECORD_V	1

enum evtype_mode { MODE_CREATE, MODE_PUT, MODE_PATCH };

/* ---- records ---------------------------------------------------------- */

void
evtype_free(struct evtype *e)
{
	free(e->description);
	free(e->group);
	json_object_put(e->schemas);
	json_object_put(e->flags);
	memset(e, 0, sizeof(*e));
}

static char *
evtype_record(const struct evtype *e)
{
	json_object	*j;
	char		*s;

	j = json_object_new_object();
	json_object_object_add(j, "v", json_object_new_int(RECORD_V));
	json_object_object_add(j, "name", json_object_new_string(e->name));
	json_object_object_add(j, "description",
	    json_object_new_string(e->description));
	json_object_object_add(j, "archived",
	    json_object_new_boolean(e->archived));
	json_object_object_add(j, "deprecated",
	    json_object_new_boolean(e->deprecated));
	json_object_object_add(j, "schemas", json_object_get(e->schemas));
	json_object_object_add(j, "featureFlags", json_object_get(e->flags));
	json_object_object_add(j, "groupName", e->group != NULL ?
	    json_object_new_string(e->group) : NULL);
	json_object_object_add(j, "createdAt",
	    json_object_new_int64(e->created_ms));
	json_object_object_add(j, "updatedAt",
	    json_object_new_int64(e->updated_ms));
	s = xstrdup(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(j);
	return s;
}

/* The record into e: 0, or -1 when it is not one (logged). */
static int
evtype_parse(const char *rec, struct evtype *e)
{
	json_object	*j, *v;

	memset(e, 0, sizeof(*e));
	if ((j = json_tokener_parse(rec)) == NULL ||
	    !json_object_is_type(j, json_type_object) ||
	    !json_object_object_get_ex(j, "name", &v) ||
	    strlen(json_object_get_string(v)) > EVENT_TYPE_MAX) {
		log_warn("evtype_parse: an unreadable event type record");
		json_object_put(j);
		return -1;
	}
	snprintf(e->name, sizeof(e->name), "%s", json_object_get_string(v));
	e->description = xstrdup(json_object_object_get_ex(j, "description",
	    &v) ? json_object_get_string(v) : "");
	e->archived = json_object_object_get_ex(j, "archived", &v) &&
	    json_object_get_boolean(v);
	e->deprecated = json_object_object_get_ex(j, "deprecated", &v) &&
	    json_object_get_boolean(v);
	if (json_object_object_get_ex(j, "schemas", &v) && v != NULL)
		e->schemas = json_object_get(v);
	if (json_object_object_get_ex(j, "featureFlags", &v) &&
	    json_object_is_type(v, json_type_array))
		e->flags = json_object_get(v);
	if (json_object_object_get_ex(j, "groupName", &v) && v != NULL)
		e->group = xstrdup(json_object_get_string(v));
	if (json_object_object_get_ex(j, "createdAt", &v))
		e->created_ms = json_object_get_int64(v);
	if (json_object_object_get_ex(j, "updatedAt", &v))
		e->updated_ms = json_object_get_int64(v);
	json_object_put(j);
	return 0;
}

json_object *
evtype_to_json(const struct evtype *e, int with_schemas)
{
	json_object	*j;
	char		 ts[UTIL_ISO_LEN];

	j = json_object_new_object();
	json_object_object_add(j, "name", json_object_new_string(e->name));
	json_object_object_add(j, "description",
	    json_object_new_string(e->description));
	json_object_object_add(j, "archived",
	    json_object_new_boolean(e->archived));
	json_object_object_add(j, "deprecated",
	    json_object_new_boolean(e->deprecated));
	json_object_object_add(j, "schemas", with_schemas ?
	    json_object_get(e->schemas) : NULL);
	/* featureFlag: the older, single spelling, the first of them. */
	json_object_object_add(j, "featureFlag", e->flags != NULL &&
	    json_object_array_length(e->flags) > 0 ?
	    json_object_get(json_object_array_get_idx(e->flags, 0)) : NULL);
	json_object_object_add(j, "featureFlags", json_object_get(e->flags));
	json_object_object_add(j, "groupName", e->group != NULL ?
	    json_object_new_string(e->group) : NULL);
	util_iso8601(e->created_ms, ts);
	json_object_object_add(j, "createdAt", json_object_new_string(ts));
	util_iso8601(e->updated_ms, ts);
	json_object_object_add(j, "updatedAt", json_object_new_string(ts));
	return j;
}

/* ---- decoding --------------------------------------------------------- */

/* 1 if s has no control character (Svix's rule for a description). */
static int
text_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* A boolean field: absent stays (patch) or is false; null only absent. */
static void
decode_bool(json_object *body, const char *field, int patch, int *out,
    struct wh_errors *errs)
{
	json_object	*v;

	if (!json_object_object_get_ex(body, field, &v)) {
		if (!patch)
			*out = 0;
	} else if (!json_object_is_type(v, json_type_boolean))
		webhook_error(errs, field, "value could not be parsed to a "
		    "boolean");
	else
		*out = json_object_get_boolean(v);
}

/* The feature flags: featureFlags (an array) wins over featureFlag (one,
 * the older spelling). */
static void
decode_flags(json_object *body, int patch, struct evtype *e,
    struct wh_errors *errs)
{
	json_object	*v, *a;
	const char	*field = "featureFlags";
	size_t		 i;
	int		 bad = 0;

	if (!json_object_object_get_ex(body, field, &v)) {
		field = "featureFlag";
		if (!json_object_object_get_ex(body, field, &v)) {
			if (!patch) {
				json_object_put(e->flags);
				e->flags = NULL;
			}
			return;
		}
	}
	if (v == NULL) {
		json_object_put(e->flags);
		e->flags = NULL;
		return;
	}
	if (json_object_is_type(v, json_type_string)) {
		a = json_object_new_array();
		json_object_array_add(a, json_object_get(v));
	} else
		a = json_object_get(v);
	if (!json_object_is_type(a, json_type_array) ||
	    json_object_array_length(a) > EVTYPE_FLAGS_MAX)
		bad = 1;
	for (i = 0; !bad && i < json_object_array_length(a); i++) {
		v = json_object_array_get_idx(a, i);
		if (!app_json_name_ok(v, EVTYPE_FLAG_MAX))
			bad = 1;
	}
	if (bad) {
		webhook_error(errs, field, "must be at most %d names matching "
		    "^[a-zA-Z0-9\\-_.]{1,256}$", EVTYPE_FLAGS_MAX);
		json_object_put(a);
		return;
	}
	json_object_put(e->flags);
	e->flags = json_object_array_length(a) > 0 ? a : NULL;
	if (e->flags == NULL)
		json_object_put(a);
}

/* The body's fields over e (the name only in MODE_CREATE).  0, or -1 with
 * errs filled. */
static int
evtype_decode(json_object *body, enum evtype_mode mode, struct evtype *e,
    struct wh_errors *errs)
{
	json_object	*v;
	int		 patch = mode == MODE_PATCH;
	size_t		 n0 = errs->count;

	if (body == NULL || !json_object_is_type(body, json_type_object)) {
		webhook_error(errs, "body", "value is not a valid dict");
		return -1;
	}
	if (mode == MODE_CREATE) {
		if (!json_object_object_get_ex(body, "name", &v))
			webhook_error(errs, "name", "field required");
		else if (!json_object_is_type(v, json_type_string) ||
		    !event_type_ok(json_object_get_string(v),
		    (size_t)json_object_get_string_len(v)))
			webhook_error(errs, "name", "must match "
			    "^[a-zA-Z0-9\\-_.]{1,%d}$", EVENT_TYPE_MAX);
		else
			snprintf(e->name, sizeof(e->name), "%s",
			    json_object_get_string(v));
	}
	if (json_object_object_get_ex(body, "description", &v)) {
		if (!json_object_is_type(v, json_type_string))
			webhook_error(errs, "description", "str type expected");
		else if (json_object_get_string_len(v) > EVTYPE_DESC_MAX ||
		    !text_ok(json_object_get_string(v)))
			webhook_error(errs, "description", "at most %d bytes, "
			    "no control characters", EVTYPE_DESC_MAX);
		else {
			free(e->description);
			e->description = xstrdup(json_object_get_string(v));
		}
	} else if (!patch)
		webhook_error(errs, "description", "field required");
	decode_bool(body, "archived", patch, &e->archived, errs);
	decode_bool(body, "deprecated", patch, &e->deprecated, errs);
	if (json_object_object_get_ex(body, "schemas", &v) && v != NULL) {
		if (!json_object_is_type(v, json_type_object) ||
		    strlen(json_object_to_json_string_ext(v,
		    JSON_C_TO_STRING_PLAIN)) > EVTYPE_SCHEMAS_MAX)
			webhook_error(errs, "schemas", "must be an object (a "
			    "JSON schema per version) of at most %d bytes",
			    EVTYPE_SCHEMAS_MAX);
		else {
			json_object_put(e->schemas);
			e->schemas = json_object_get(v);
		}
	} else if (!patch || json_object_object_get_ex(body, "schemas",
	    NULL)) {
		json_object_put(e->schemas);
		e->schemas = NULL;
	}
	decode_flags(body, patch, e, errs);
	if (json_object_object_get_ex(body, "groupName", &v) && v != NULL) {
		if (!app_json_name_ok(v, EVTYPE_FLAG_MAX))
			webhook_error(errs, "groupName", "must match "
			    "^[a-zA-Z0-9\\-_.]{1,256}$");
		else {
			free(e->group);
			e->group = xstrdup(json_object_get_string(v));
		}
	} else if (!patch || json_object_object_get_ex(body, "groupName",
	    NULL)) {
		free(e->group);
		e->group = NULL;
	}
	return errs->count > n0 ? -1 : 0;
}

/* ---- operations ------------------------------------------------------- */

int
evtype_get(struct store *st, const char *team, const char *name,
    struct evtype *e)
{
	char	*rec = NULL;
	int	 rc;

	memset(e, 0, sizeof(*e));
	if (!event_type_ok(name, strlen(name)))
		return STORE_NOTFOUND;
	rc = store_evtype_get(st, team, name, &rec);
	if (rc == STORE_OK)
		rc = evtype_parse(rec, e) == 0 ? STORE_OK : STORE_ERR;
	free(rec);
	return rc;
}

/* What a write does with the stored type, in the store's transaction. */
struct evtype_upd {
	json_object		*body;
	enum evtype_mode	 mode;
	const char		*name;
	int			 may_create;
	struct wh_errors	*errs;
	struct wh_errors	 e0;	/* errs before the first run */
	struct evtype		 out;
	int			 created;
};

#define UPD_INVALID	1	/* fn's results: the body breaks a rule */
#define UPD_EXISTS	2	/* create: a type not archived has the name */
#define UPD_NOTFOUND	3	/* put, patch: none (and may not make it) */
#define UPD_BROKEN	4	/* the stored record is unreadable */

/* store_rmw_fn: the stored type (or none) changed by the body. */
static int
evtype_update_fn(const char *old, char **json, void *arg)
{
	struct evtype_upd	*u = arg;
	int64_t			 now = util_now_ms();

	evtype_free(&u->out);
	*u->errs = u->e0;	/* fn may run again: count once */
	u->created = 0;
	if (old == NULL) {
		if (u->mode == MODE_PATCH ||
		    (u->mode == MODE_PUT && !u->may_create))
			return UPD_NOTFOUND;
		u->created = 1;
		u->out.description = xstrdup("");
		u->out.created_ms = now;
	} else if (evtype_parse(old, &u->out) == -1)
		return UPD_BROKEN;
	else if (u->mode == MODE_CREATE && !u->out.archived)
		return UPD_EXISTS;
	/* An archived type made again is un-archived, unless the body
	 * archives it. */
	if (u->mode == MODE_CREATE)
		u->out.archived = 0;
	if (evtype_decode(u->body, u->mode == MODE_CREATE ? MODE_PUT :
	    u->mode, &u->out, u->errs) == -1)
		return UPD_INVALID;
	snprintf(u->out.name, sizeof(u->out.name), "%s", u->name);
	u->out.updated_ms = now;
	*json = evtype_record(&u->out);
	return 0;
}

static int
evtype_update(struct store *st, const char *team, const char *name,
    json_object *body, enum evtype_mode mode, int may_create,
    struct evtype *e, int *created, struct wh_errors *errs)
{
	struct evtype_upd	 u;
	int			 rc, fnret = 0;

	memset(e, 0, sizeof(*e));
	memset(&u, 0, sizeof(u));
	u.body = body;
	u.mode = mode;
	u.name = name;
	u.may_create = may_create;
	u.errs = errs;
	u.e0 = *errs;
	rc = store_evtype_put(st, team, name, evtype_update_fn, &u, &fnret);
	if (rc == STORE_ABORTED) {
		evtype_free(&u.out);
		switch (fnret) {
		case UPD_INVALID:	return EVTYPE_INVALID;
		case UPD_EXISTS:	return STORE_EXISTS;
		case UPD_NOTFOUND:	return STORE_NOTFOUND;
		default:		return STORE_ERR;
		}
	}
	if (rc != STORE_OK) {
		evtype_free(&u.out);
		return rc;
	}
	*e = u.out;
	if (created != NULL)
		*created = u.created;
	return STORE_OK;
}

int
evtype_create(struct store *st, const char *team, json_object *body,
    struct evtype *e, struct wh_errors *errs)
{
	char	 name[EVENT_TYPE_MAX + 1];

	/* The body's rules first, the name among them: the store's key. */
	memset(e, 0, sizeof(*e));
	if (evtype_decode(body, MODE_CREATE, e, errs) == -1) {
		evtype_free(e);
		return EVTYPE_INVALID;
	}
	snprintf(name, sizeof(name), "%s", e->name);
	evtype_free(e);
	return evtype_update(st, team, name, body, MODE_CREATE, 1, e, NULL,
	    errs);
}

int
evtype_put(struct store *st, const char *team, const char *name,
    json_object *body, int may_create, struct evtype *e, int *created,
    struct wh_errors *errs)
{
	*created = 0;
	memset(e, 0, sizeof(*e));
	if (!event_type_ok(name, strlen(name))) {
		webhook_error(errs, "path/event_type_name", "must match "
		    "^[a-zA-Z0-9\\-_.]{1,%d}$", EVENT_TYPE_MAX);
		return EVTYPE_INVALID;
	}
	return evtype_update(st, team, name, body, MODE_PUT, may_create, e,
	    created, errs);
}

int
evtype_patch(struct store *st, const char *team, const char *name,
    json_object *body, struct evtype *e, struct wh_errors *errs)
{
	memset(e, 0, sizeof(*e));
	if (!event_type_ok(name, strlen(name)))
		return STORE_NOTFOUND;
	return evtype_update(st, team, name, body, MODE_PATCH, 0, e, NULL,
	    errs);
}

/* store_rmw_fn: the stored type archived. */
static int
evtype_archive_fn(const char *old, char **json, void *arg)
{
	struct evtype	 e;

	(void)arg;
	if (old == NULL)
		return UPD_NOTFOUND;
	if (evtype_parse(old, &e) == -1)
		return UPD_BROKEN;
	e.archived = 1;
	e.updated_ms = util_now_ms();
	*json = evtype_record(&e);
	evtype_free(&e);
	return 0;
}

int
evtype_delete(struct store *st, const char *team, const char *name,
    int expunge)
{
	int	 rc, fnret = 0;

	if (!event_type_ok(name, strlen(name)))
		return STORE_NOTFOUND;
	if (expunge)
		return store_evtype_delete(st, team, name);
	rc = store_evtype_put(st, team, name, evtype_archive_fn, NULL,
	    &fnret);
	if (rc == STORE_ABORTED)
		return fnret == UPD_NOTFOUND ? STORE_NOTFOUND : STORE_ERR;
	return rc;
}

int
evtype_list(struct store *st, const char *team, const char *iterator,
    int desc, int include_archived, size_t limit, struct evtype **es,
    size_t *n, int *more)
{
	char		**recs = NULL, after[EVENT_TYPE_MAX + 1];
	char		  prev[EVENT_TYPE_MAX + 1];
	size_t		  got, i, k = 0;
	int		  back = 0, rc, end = 0;
	struct evtype	  e;

	*es = NULL;
	*n = 0;
	*more = 0;
	if (iterator != NULL && iterator[0] == '-') {
		back = 1;
		iterator++;
	}
	after[0] = '\0';
	if (iterator != NULL)
		snprintf(after, sizeof(after), "%s", iterator);
	/* One more than asked: whether there are more.  Archived types left
	 * out may take a few reads. */
	*es = xcalloc(limit + 1, sizeof(**es));
	while (k <= limit && !end) {
		memcpy(prev, after, sizeof(prev));
		rc = store_evtype_list(st, team, after[0] ? after : NULL,
		    desc != back, limit + 1, &recs, &got);
		if (rc != STORE_OK) {
			while (k > 0)
				evtype_free(&(*es)[--k]);
			free(*es);
			*es = NULL;
			return rc;
		}
		end = got < limit + 1;
		for (i = 0; i < got; i++) {
			if (k <= limit && evtype_parse(recs[i], &e) == 0) {
				snprintf(after, sizeof(after), "%s", e.name);
				if (e.archived && !include_archived)
					evtype_free(&e);
				else
					(*es)[k++] = e;
			}
			free(recs[i]);
		}
		free(recs);
		recs = NULL;
		/* No readable record in a whole read: stop there. */
		if (got == 0 || strcmp(prev, after) == 0)
			end = 1;
	}
	if (k > limit) {
		*more = 1;
		evtype_free(&(*es)[--k]);
	}
	if (back)	/* read the other way: the page in the asked order */
		for (i = 0; i < k / 2; i++) {
			e = (*es)[i];
			(*es)[i] = (*es)[k - 1 - i];
			(*es)[k - 1 - i] = e;
		}
	*n = k;
	return STORE_OK;
}

json_object *
evtype_example(const struct evtype *e, size_t index)
{
	json_object	*v, *ex;

	if (e->schemas == NULL ||
	    !json_object_object_get_ex(e->schemas, "1", &v) ||
	    !json_object_is_type(v, json_type_object) ||
	    !json_object_object_get_ex(v, "examples", &ex) ||
	    !json_object_is_type(ex, json_type_array) ||
	    index >= json_object_array_length(ex))
		return NULL;
	return json_object_array_get_idx(ex, index);
}
