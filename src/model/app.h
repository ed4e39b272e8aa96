/*
 * app: the Svix dialect's applications (src/web/api_svix.c).  An
 * application belongs to one team (the Svix "environment" of the token that
 * made it); its id is "app_" and a time-ordered string (app_id_make), so
 * that the store's id order is creation order and a list's iterator is
 * the id it stopped at.  Kept in the store's apps table (store_app.c).
 *
 * The record: {"v": 1, "id", "uid" (null: none), "name", "rateLimit"
 * (null: none), "metadata": {string: string}, "createdAt", "updatedAt"
 * (ms)}.
 */
#ifndef APP_H
#define APP_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "store.h"
#include "webhook.h"

/* A Svix id: prefix and 27 characters of base62 (0-9A-Za-z, so that
 * byte order is numeric order) of 160 bits: 48 bits of Unix time in ms,
 * then 112 random bits, raised by one over the last id of the process
 * when the clock has not moved on (so that one process's ids are strictly
 * increasing). */
#define APP_KSUID_LEN	27
#define APP_ID_MAX	(8 + APP_KSUID_LEN)	/* "atmpt_" and the rest */
#define APP_UID_MAX	256
#define APP_NAME_MAX	1024	/* bytes; Svix sets none, the store does */
#define APP_META_MAX	64	/* metadata keys */

#define APP_INVALID	(-1)	/* a model result: the body breaks a rule */

struct app {
	char		 id[APP_ID_MAX + 1];
	char		*uid;		/* NULL: none */
	char		*name;
	int64_t		 rate_limit;	/* -1: none */
	json_object	*metadata;	/* an object of strings, never NULL */
	int64_t		 created_ms;
	int64_t		 updated_ms;
};

/* A new id "prefix" + 27 characters into out (APP_ID_MAX + 1 bytes). */
void	 app_id_make(const char *prefix, char *out);
/*
 * The Svix ids of the records that have a UUID (an endpoint is a webhook,
 * a message an event, an attempt the attempt log's): prefix ("ep_",
 * "msg_", "atmpt_") and the UUID's 128 bits in APP_UUID_B62 base62 digits,
 * so that the id order is the UUID's (time order for a version 7 UUID).
 * app_id_from_uuid: 0, or -1 if uuid is none (out has APP_ID_MAX + 1
 * bytes).  app_uuid_from_id: the UUID back into out, or -1 when id is not
 * prefix and 22 base62 digits of at most 128 bits.
 */
#define APP_UUID_B62	22
int	 app_id_from_uuid(const char *prefix, const char *uuid, char *out);
int	 app_uuid_from_id(const char *prefix, const char *id, char out[37]);
/*
 * Svix's one rule for names that are identifiers (an application's or an
 * endpoint's uid, a message's eventId, a channel, an event type's feature
 * flag and group): ^[a-zA-Z0-9\-_.]{1,max}$.  app_json_name_ok: v is a
 * JSON string by that rule, with no NUL inside (a C string would cut it
 * short).
 */
int	 app_name_ok(const char *s, size_t max);
int	 app_json_name_ok(json_object *v, size_t max);
/* 1 if s is a uid: ^[a-zA-Z0-9\-_.]{1,256}$, not starting with "app_". */
int	 app_uid_ok(const char *s);
/* 1 if ref (an application in a path) is an id rather than a uid. */
int	 app_ref_is_id(const char *ref);

void	 app_free(struct app *);
/* Svix's ApplicationOut: dates as RFC 3339 UTC with milliseconds and Z. */
json_object *app_to_json(const struct app *);

/*
 * The operations: a store result, or APP_INVALID with errs naming the bad
 * fields (field "uid", "name"...).  Unknown fields are ignored.  On
 * STORE_OK *a is filled (app_free it).
 *
 * app_create: an ApplicationIn.  STORE_EXISTS: the uid is taken, unless
 * get_if_exists, which then answers that application (*created 0).
 */
int	 app_create(struct store *, const char *team, json_object *body,
	    int get_if_exists, struct app *a, int *created,
	    struct wh_errors *errs);
/* ref: an id, or a uid. */
int	 app_get(struct store *, const char *team, const char *ref,
	    struct app *a);
/* PUT: replaces name, uid, rateLimit and metadata with the body's (absent:
 * none), or, when may_create, creates the application when ref names none
 * (*created 1; ref then is its uid unless the body gives one or ref is an
 * id); STORE_NOTFOUND otherwise. */
int	 app_put(struct store *, const char *team, const char *ref,
	    json_object *body, int may_create, struct app *a, int *created,
	    struct wh_errors *errs);
/* PATCH: a field absent stays, null clears it (uid, rateLimit, metadata). */
int	 app_patch(struct store *, const char *team, const char *ref,
	    json_object *body, struct app *a, struct wh_errors *errs);
/* Also removes its messages (message.h). */
int	 app_delete(struct store *, const char *team, const char *ref);

/*
 * A page of the team's applications: at most limit, in id order (desc:
 * newest first) after the id iterator (NULL: from the start); an iterator
 * "-" id goes the other way, the page still in the asked order.  *more: 1
 * when there are more in the direction of travel.  The caller frees each
 * and the array.
 */
int	 app_list(struct store *, const char *team, const char *iterator,
	    int desc, size_t limit, struct app **as, size_t *n, int *more);

/*
 * A page the store read one record more than asked (got records, in the
 * order of travel): *more when it found the extra one; each record parsed
 * (0 from parse: kept) into an array of items of size bytes, back to the
 * asked order when it was read backwards (back).  Frees the records and
 * recs; the caller frees the items and the array.  Every Svix list's.
 */
void	*app_page(char **recs, size_t got, size_t limit, int back,
	    size_t size, int (*parse)(const char *rec, void *item), size_t *n,
	    int *more);

#endif /* APP_H */
