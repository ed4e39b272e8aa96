/*
 * app: the Svix dialect's applications (app.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "log.h"
#include "util.h"

#define RECORD_V	1

static const char b62[] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* ---- ids -------------------------------------------------------------- */

void
app_id_make(const char *prefix, char *out)
{
	static unsigned char	 last[20];
	static int64_t		 last_ms = -1;
	unsigned char		 b[20];
	int64_t			 now;
	size_t			 i, k, plen;
	unsigned		 carry, rem;

	now = util_now_ms();
	if (now <= last_ms) {
		/* The clock has not moved on (or went back): one more. */
		memcpy(b, last, sizeof(b));
		for (i = sizeof(b); i-- > 6; )
			if (++b[i] != 0)
				break;
	} else {
		for (i = 0; i < 6; i++)
			b[i] = (unsigned char)((uint64_t)now >> (8 * (5 - i)));
		util_random(b + 6, sizeof(b) - 6);
		b[6] &= 0x7f;	/* room to count up without wrapping */
		last_ms = now;
	}
	memcpy(last, b, sizeof(b));
	plen = strlen(prefix);
	memcpy(out, prefix, plen);
	/* 160 bits in base62, most significant digit first: repeated
	 * division of the big-endian number by 62. */
	for (k = APP_KSUID_LEN; k-- > 0; ) {
		rem = 0;
		for (i = 0; i < sizeof(b); i++) {
			carry = rem * 256 + b[i];
			b[i] = (unsigned char)(carry / 62);
			rem = carry % 62;
		}
		out[plen + k] = b62[rem];
	}
	out[plen + APP_KSUID_LEN] = '\0';
}

/* The 16 bytes of a UUID's text into u: 0, or -1 if it is none. */
static int
uuid_bytes(const char *uuid, unsigned char u[16])
{
	size_t	 i, k;
	int	 hi, lo;

	if (!util_is_uuid(uuid))
		return -1;
	for (i = 0, k = 0; k < 16; k++) {
		if (uuid[i] == '-')
			i++;
		hi = uuid[i] <= '9' ? uuid[i] - '0' : (uuid[i] | 0x20) - 'a' + 10;
		lo = uuid[i + 1] <= '9' ? uuid[i + 1] - '0' :
		    (uuid[i + 1] | 0x20) - 'a' + 10;
		u[k] = (unsigned char)(hi * 16 + lo);
		i += 2;
	}
	return 0;
}

int
app_id_from_uuid(const char *prefix, const char *uuid, char *out)
{
	unsigned char	 u[16];
	size_t		 i, k, plen;
	unsigned	 carry, rem;

	if (uuid_bytes(uuid, u) == -1)
		return -1;
	plen = strlen(prefix);
	memcpy(out, prefix, plen);
	for (k = APP_UUID_B62; k-- > 0; ) {
		rem = 0;
		for (i = 0; i < sizeof(u); i++) {
			carry = rem * 256 + u[i];
			u[i] = (unsigned char)(carry / 62);
			rem = carry % 62;
		}
		out[plen + k] = b62[rem];
	}
	out[plen + APP_UUID_B62] = '\0';
	return 0;
}

int
app_uuid_from_id(const char *prefix, const char *id, char out[37])
{
	unsigned char	 u[16];
	const char	*p;
	size_t		 plen, i, k;
	unsigned	 carry, d;

	plen = strlen(prefix);
	if (strncmp(id, prefix, plen) != 0 || strlen(id + plen) !=
	    APP_UUID_B62)
		return -1;
	memset(u, 0, sizeof(u));
	for (k = 0; k < APP_UUID_B62; k++) {
		if ((p = strchr(b62, id[plen + k])) == NULL || *p == '\0')
			return -1;
		carry = (unsigned)(p - b62);
		/* u = u * 62 + d, big-endian; a carry out of the top byte
		 * means the number is over 128 bits. */
		for (i = sizeof(u); i-- > 0; ) {
			d = u[i] * 62u + carry;
			u[i] = (unsigned char)(d & 0xff);
			carry = d >> 8;
		}
		if (carry != 0)
			return -1;
	}
	for (i = 0, k = 0; k < 16; k++) {
		if (k == 4 || k == 6 || k == 8 || k == 10)
			out[i++] = '-';
		snprintf(out + i, 3, "%02x", u[k]);
		i += 2;
	}
	out[36] = '\0';
	return 0;
}

int
app_name_ok(const char *s, size_t max)
{
	size_t	 i;
	int	 c;

	for (i = 0; s[i] != '\0'; i++) {
		c = (unsigned char)s[i];
		if (i >= max || !((c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.'))
			return 0;
	}
	return i > 0;
}

int
app_json_name_ok(json_object *v, size_t max)
{
	return json_object_is_type(v, json_type_string) &&
	    strlen(json_object_get_string(v)) ==
	    (size_t)json_object_get_string_len(v) &&
	    app_name_ok(json_object_get_string(v), max);
}

int
app_uid_ok(const char *s)
{
	return s != NULL && strncmp(s, "app_", 4) != 0 &&
	    app_name_ok(s, APP_UID_MAX);
}

int
app_ref_is_id(const char *ref)
{
	return strncmp(ref, "app_", 4) == 0;
}

/* ---- records ---------------------------------------------------------- */

void
app_free(struct app *a)
{
	free(a->uid);
	free(a->name);
	json_object_put(a->metadata);
	memset(a, 0, sizeof(*a));
}

static char *
app_record(const struct app *a)
{
	json_object	*j;
	char		*s;

	j = json_object_new_object();
	json_object_object_add(j, "v", json_object_new_int(RECORD_V));
	json_object_object_add(j, "id", json_object_new_string(a->id));
	json_object_object_add(j, "uid", a->uid != NULL ?
	    json_object_new_string(a->uid) : NULL);
	json_object_object_add(j, "name", json_object_new_string(a->name));
	json_object_object_add(j, "rateLimit", a->rate_limit >= 0 ?
	    json_object_new_int64(a->rate_limit) : NULL);
	json_object_object_add(j, "metadata", json_object_get(a->metadata));
	json_object_object_add(j, "createdAt",
	    json_object_new_int64(a->created_ms));
	json_object_object_add(j, "updatedAt",
	    json_object_new_int64(a->updated_ms));
	s = xstrdup(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(j);
	return s;
}

/* The record into a: 0, or -1 when it is not one (logged). */
static int
app_parse(const char *rec, struct app *a)
{
	json_object	*j, *v;

	memset(a, 0, sizeof(*a));
	if ((j = json_tokener_parse(rec)) == NULL ||
	    !json_object_is_type(j, json_type_object) ||
	    !json_object_object_get_ex(j, "id", &v) ||
	    strlen(json_object_get_string(v)) > APP_ID_MAX) {
		log_warn("app_parse: an unreadable application record");
		json_object_put(j);
		return -1;
	}
	snprintf(a->id, sizeof(a->id), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(j, "uid", &v) && v != NULL)
		a->uid = xstrdup(json_object_get_string(v));
	a->name = xstrdup(json_object_object_get_ex(j, "name", &v) ?
	    json_object_get_string(v) : "");
	a->rate_limit = json_object_object_get_ex(j, "rateLimit", &v) &&
	    v != NULL ? json_object_get_int64(v) : -1;
	if (json_object_object_get_ex(j, "metadata", &v) &&
	    json_object_is_type(v, json_type_object))
		a->metadata = json_object_get(v);
	else
		a->metadata = json_object_new_object();
	if (json_object_object_get_ex(j, "createdAt", &v))
		a->created_ms = json_object_get_int64(v);
	if (json_object_object_get_ex(j, "updatedAt", &v))
		a->updated_ms = json_object_get_int64(v);
	json_object_put(j);
	return 0;
}

json_object *
app_to_json(const struct app *a)
{
	json_object	*j;
	char		 ts[UTIL_ISO_LEN];

	j = json_object_new_object();
	json_object_object_add(j, "id", json_object_new_string(a->id));
	json_object_object_add(j, "uid", a->uid != NULL ?
	    json_object_new_string(a->uid) : NULL);
	json_object_object_add(j, "name", json_object_new_string(a->name));
	json_object_object_add(j, "rateLimit", a->rate_limit >= 0 ?
	    json_object_new_int64(a->rate_limit) : NULL);
	/* Client v1.99 reads rateLimit and its new name both. */
	json_object_object_add(j, "throttleRate", a->rate_limit >= 0 ?
	    json_object_new_int64(a->rate_limit) : NULL);
	json_object_object_add(j, "metadata", json_object_get(a->metadata));
	util_iso8601(a->created_ms, ts);
	json_object_object_add(j, "createdAt", json_object_new_string(ts));
	util_iso8601(a->updated_ms, ts);
	json_object_object_add(j, "updatedAt", json_object_new_string(ts));
	return j;
}

/* ---- decoding --------------------------------------------------------- */

/* The body's fields over a.  patch: an absent field stays, null clears;
 * otherwise (create, PUT) an absent field is none (name is required).
 * 0, or -1 with errs filled. */
static int
app_decode(json_object *body, int patch, struct app *a,
    struct wh_errors *errs)
{
	json_object	*v, *rl, *md = NULL;
	int		 has_rl;
	size_t		 n0 = errs->count;

	if (body == NULL || !json_object_is_type(body, json_type_object)) {
		webhook_error(errs, "body", "value is not a valid dict");
		return -1;
	}
	if (json_object_object_get_ex(body, "name", &v)) {
		if (!json_object_is_type(v, json_type_string))
			webhook_error(errs, "name", "str type expected");
		else if (json_object_get_string_len(v) == 0 ||
		    json_object_get_string_len(v) > APP_NAME_MAX)
			webhook_error(errs, "name", "ensure this value has "
			    "1 to %d characters", APP_NAME_MAX);
		else if (strlen(json_object_get_string(v)) !=
		    (size_t)json_object_get_string_len(v))
			/* Stored as a C string, it would be cut there. */
			webhook_error(errs, "name", "must not contain NUL");
		else {
			free(a->name);
			a->name = xstrdup(json_object_get_string(v));
		}
	} else if (!patch)
		webhook_error(errs, "name", "field required");
	if (json_object_object_get_ex(body, "uid", &v)) {
		if (v == NULL) {
			free(a->uid);
			a->uid = NULL;
		} else if (!json_object_is_type(v, json_type_string) ||
		    strlen(json_object_get_string(v)) !=
		    (size_t)json_object_get_string_len(v) ||
		    !app_uid_ok(json_object_get_string(v)))
			webhook_error(errs, "uid", "must match "
			    "^[a-zA-Z0-9\\-_.]{1,256}$ and not start with app_");
		else {
			free(a->uid);
			a->uid = xstrdup(json_object_get_string(v));
		}
	} else if (!patch) {
		free(a->uid);
		a->uid = NULL;
	}
	/* throttleRate is rateLimit's newer name: it wins when both come. */
	has_rl = json_object_object_get_ex(body, "throttleRate", &rl) ||
	    json_object_object_get_ex(body, "rateLimit", &rl);
	if (has_rl && rl == NULL)
		a->rate_limit = -1;
	else if (has_rl) {
		if (!json_object_is_type(rl, json_type_int) ||
		    json_object_get_int64(rl) < 1 ||
		    json_object_get_int64(rl) > 65535)
			webhook_error(errs, "rateLimit", "ensure this value "
			    "is an integer from 1 to 65535");
		else
			a->rate_limit = json_object_get_int64(rl);
	} else if (!patch)
		a->rate_limit = -1;
	if (json_object_object_get_ex(body, "metadata", &md) && md != NULL) {
		struct json_object_iterator it, end;
		int bad = 0;

		if (!json_object_is_type(md, json_type_object) ||
		    json_object_object_length(md) > APP_META_MAX)
			bad = 1;
		it = json_object_iter_begin(md);
		end = json_object_iter_end(md);
		for (; !bad && !json_object_iter_equal(&it, &end);
		    json_object_iter_next(&it))
			if (!json_object_is_type(json_object_iter_peek_value(
			    &it), json_type_string))
				bad = 1;
		if (bad)
			webhook_error(errs, "metadata", "must be an object of "
			    "at most %d strings", APP_META_MAX);
		else {
			json_object_put(a->metadata);
			a->metadata = json_object_get(md);
		}
	} else if (md == NULL && (!patch ||
	    json_object_object_get_ex(body, "metadata", NULL))) {
		json_object_put(a->metadata);
		a->metadata = json_object_new_object();
	}
	return errs->count > n0 ? -1 : 0;
}

/* ---- operations ------------------------------------------------------- */

int
app_get(struct store *st, const char *team, const char *ref, struct app *a)
{
	char	*rec = NULL;
	int	 rc;

	memset(a, 0, sizeof(*a));
	rc = store_app_get(st, team, ref, !app_ref_is_id(ref), &rec);
	if (rc == STORE_OK)
		rc = app_parse(rec, a) == 0 ? STORE_OK : STORE_ERR;
	free(rec);
	return rc;
}

int
app_create(struct store *st, const char *team, json_object *body,
    int get_if_exists, struct app *a, int *created, struct wh_errors *errs)
{
	char	*rec;
	int	 rc;

	*created = 0;
	memset(a, 0, sizeof(*a));
	a->rate_limit = -1;
	a->metadata = json_object_new_object();
	if (app_decode(body, 0, a, errs) == -1) {
		app_free(a);
		return APP_INVALID;
	}
	if (get_if_exists && a->uid != NULL) {
		struct app	 old;

		if ((rc = app_get(st, team, a->uid, &old)) != STORE_NOTFOUND) {
			app_free(a);
			*a = old;
			return rc;
		}
	}
	app_id_make("app_", a->id);
	a->created_ms = a->updated_ms = util_now_ms();
	rec = app_record(a);
	rc = store_app_create(st, team, a->id, a->uid, rec);
	free(rec);
	if (rc == STORE_EXISTS && get_if_exists && a->uid != NULL) {
		/* Made by another request in the meantime. */
		char	*uid = xstrdup(a->uid);

		app_free(a);
		rc = app_get(st, team, uid, a);
		free(uid);
		return rc;
	}
	if (rc != STORE_OK)
		app_free(a);
	else
		*created = 1;
	return rc;
}

struct app_upd {
	json_object		*body;
	int			 patch;
	struct wh_errors	*errs;
	struct wh_errors	 e0;	/* errs before the first run */
	struct app		 out;
};

/* store_update_fn: the stored record changed by the body. */
static int
app_update_fn(const char *old, char **uid, char **json, void *arg)
{
	struct app_upd	*u = arg;

	app_free(&u->out);
	*u->errs = u->e0;	/* fn may run again: count once */
	if (app_parse(old, &u->out) == -1)
		return 2;
	if (app_decode(u->body, u->patch, &u->out, u->errs) == -1)
		return 1;
	u->out.updated_ms = util_now_ms();
	*uid = u->out.uid != NULL ? xstrdup(u->out.uid) : NULL;
	*json = app_record(&u->out);
	return 0;
}

static int
app_update(struct store *st, const char *team, const char *ref,
    json_object *body, int patch, struct app *a, struct wh_errors *errs)
{
	struct app_upd	 u;
	int		 rc, fnret = 0;

	memset(&u, 0, sizeof(u));
	u.body = body;
	u.patch = patch;
	u.errs = errs;
	u.e0 = *errs;
	rc = store_app_update(st, team, ref, !app_ref_is_id(ref),
	    app_update_fn, &u, &fnret);
	if (rc == STORE_ABORTED) {
		app_free(&u.out);
		if (fnret == 1)
			return APP_INVALID;
		*errs = u.e0;
		return STORE_ERR;
	}
	if (rc != STORE_OK) {
		app_free(&u.out);
		return rc;
	}
	*a = u.out;
	return STORE_OK;
}

int
app_put(struct store *st, const char *team, const char *ref,
    json_object *body, int may_create, struct app *a, int *created,
    struct wh_errors *errs)
{
	json_object	*b, *v;
	int		 rc;

	*created = 0;
	memset(a, 0, sizeof(*a));
	rc = app_update(st, team, ref, body, 0, a, errs);
	if (rc != STORE_NOTFOUND || !may_create)
		return rc;
	/* Absent: made, under ref as its uid when the body names none. */
	if (app_ref_is_id(ref) || body == NULL ||
	    !json_object_is_type(body, json_type_object) ||
	    (json_object_object_get_ex(body, "uid", &v) && v != NULL))
		return app_create(st, team, body, 0, a, created, errs);
	b = json_object_new_object();
	json_object_object_foreach(body, k, val)
		json_object_object_add(b, k, json_object_get(val));
	json_object_object_add(b, "uid", json_object_new_string(ref));
	rc = app_create(st, team, b, 0, a, created, errs);
	json_object_put(b);
	return rc;
}

int
app_patch(struct store *st, const char *team, const char *ref,
    json_object *body, struct app *a, struct wh_errors *errs)
{
	memset(a, 0, sizeof(*a));
	return app_update(st, team, ref, body, 1, a, errs);
}

int
app_delete(struct store *st, const char *team, const char *ref)
{
	struct app	 a;
	int		 rc;

	if ((rc = app_get(st, team, ref, &a)) != STORE_OK)
		return rc;
	rc = store_app_delete(st, team, a.id, 0);
	/* Then its messages (Svix deletes them with it).  Left behind by a
	 * crash or a failing disk, they are out of reach (no application
	 * has the id again) and go with the retention. */
	if (rc == STORE_OK && store_msg_delete_app(st, team, a.id, NULL) !=
	    STORE_OK)
		log_warn("app_delete: %s: its messages are left to the "
		    "retention", a.id);
	app_free(&a);
	return rc;
}

void *
app_page(char **recs, size_t got, size_t limit, int back, size_t size,
    int (*parse)(const char *, void *), size_t *n, int *more)
{
	unsigned char	*items, *tmp;
	size_t		 i, k;

	*more = got > limit;
	if (got > limit) {
		for (i = limit; i < got; i++)
			free(recs[i]);
		got = limit;
	}
	items = xcalloc(got > 0 ? got : 1, size);
	for (i = 0, k = 0; i < got; i++) {
		if (parse(recs[i], items + k * size) == 0)
			k++;
		free(recs[i]);
	}
	free(recs);
	if (back && k > 1) {	/* read the other way: the asked order */
		tmp = xmalloc(size);
		for (i = 0; i < k / 2; i++) {
			memcpy(tmp, items + i * size, size);
			memcpy(items + i * size, items + (k - 1 - i) * size,
			    size);
			memcpy(items + (k - 1 - i) * size, tmp, size);
		}
		free(tmp);
	}
	*n = k;
	return items;
}

static int
app_parse_any(const char *rec, void *a)
{
	return app_parse(rec, a);
}

int
app_list(struct store *st, const char *team, const char *iterator,
    int desc, size_t limit, struct app **as, size_t *n, int *more)
{
	char	**recs = NULL;
	size_t	  got = 0;
	int	  back = 0, rc;

	*as = NULL;
	*n = 0;
	*more = 0;
	if (iterator != NULL && iterator[0] == '-') {
		back = 1;
		iterator++;
	}
	if (iterator != NULL && iterator[0] == '\0')
		iterator = NULL;
	/* One more than asked: whether there are more. */
	rc = store_app_list(st, team, iterator, desc != back, limit + 1,
	    &recs, &got);
	if (rc != STORE_OK)
		return rc;
	*as = app_page(recs, got, limit, back, sizeof(**as), app_parse_any, n,
	    more);
	return STORE_OK;
}
