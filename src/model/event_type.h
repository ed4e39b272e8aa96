/*
 * event_type: the Svix dialect's event-type catalog (src/web/api_svix.c),
 * one per team, kept in the store's apps table under the type's name
 * (store_evtype_*, store_app.c), so that a list is in name order and its
 * iterator is the name it stopped at.
 *
 * A name follows this service's own rule for event types (event_type_ok,
 * event.h): Svix's characters ^[a-zA-Z0-9\-_.]+$, but at most
 * EVENT_TYPE_MAX (128) of them rather than Svix's 256, so that every type
 * of the catalog can be published and subscribed to.
 *
 * Deleting archives (Svix's default): an archived type stays readable and
 * is left out of lists unless asked for; creating it again un-archives it
 * with the new body's fields (its createdAt kept).  Expunging removes it.
 * Feature flags and the group name are kept and answered, not enforced
 * (no token here is limited to flags).
 *
 * The record: {"v": 1, "name", "description", "archived", "deprecated",
 * "schemas" (null: none), "featureFlags" (null: none), "groupName" (null:
 * none), "createdAt", "updatedAt" (ms)}.
 */
#ifndef EVENT_TYPE_H
#define EVENT_TYPE_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "event.h"
#include "store.h"
#include "webhook.h"

#define EVTYPE_DESC_MAX		4096	/* bytes; Svix sets none */
#define EVTYPE_SCHEMAS_MAX	65536	/* bytes of the schemas as JSON */
#define EVTYPE_FLAG_MAX		256	/* a feature flag's or group's name */
#define EVTYPE_FLAGS_MAX	32	/* feature flags of one type */

#define EVTYPE_INVALID	(-1)	/* a model result: the body breaks a rule */

struct evtype {
	char		 name[EVENT_TYPE_MAX + 1];
	char		*description;
	int		 archived;
	int		 deprecated;
	json_object	*schemas;	/* NULL: none */
	json_object	*flags;		/* an array of strings; NULL: none */
	char		*group;		/* NULL: none */
	int64_t		 created_ms;
	int64_t		 updated_ms;
};

void	 evtype_free(struct evtype *);
/* Svix's EventTypeOut; schemas null unless with_schemas. */
json_object *evtype_to_json(const struct evtype *, int with_schemas);
/* The type's example number index, as Svix's send-example reads it:
 * schemas["1"].examples[index] (borrowed), or NULL when there is none. */
json_object *evtype_example(const struct evtype *, size_t index);

/*
 * The operations: a store result, or EVTYPE_INVALID with errs naming the
 * bad fields.  Unknown fields are ignored.  On STORE_OK *e is filled
 * (evtype_free it).
 *
 * evtype_create: an EventTypeIn; STORE_EXISTS when the name is taken by a
 * type that is not archived.
 */
int	 evtype_create(struct store *, const char *team, json_object *body,
	    struct evtype *e, struct wh_errors *errs);
int	 evtype_get(struct store *, const char *team, const char *name,
	    struct evtype *e);
/* PUT: an EventTypeUpdate replaces every field but the name (absent:
 * none, false); creates the type when absent if may_create (*created 1),
 * STORE_NOTFOUND otherwise. */
int	 evtype_put(struct store *, const char *team, const char *name,
	    json_object *body, int may_create, struct evtype *e, int *created,
	    struct wh_errors *errs);
/* PATCH: a field absent stays, null clears (schemas, featureFlags,
 * groupName; description, archived and deprecated take no null). */
int	 evtype_patch(struct store *, const char *team, const char *name,
	    json_object *body, struct evtype *e, struct wh_errors *errs);
/* Archives the type, or removes it when expunge. */
int	 evtype_delete(struct store *, const char *team, const char *name,
	    int expunge);
/*
 * A page of the team's event types: at most limit, in name order (desc:
 * the other way) after the name iterator (NULL: from the start); an
 * iterator "-" name goes the other way, the page still in the asked order.
 * Archived types only when include_archived.  *more: 1 when there are more
 * in the direction of travel.  The caller frees each and the array.
 */
int	 evtype_list(struct store *, const char *team, const char *iterator,
	    int desc, int include_archived, size_t limit, struct evtype **es,
	    size_t *n, int *more);

#endif /* EVENT_TYPE_H */
