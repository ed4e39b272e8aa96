/*
 * team: a team's name rule and record, over the store's teams table.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "team.h"
#include "util.h"

int
team_name_valid(const char *name)
{
	size_t	 i;
	char	 c;

	for (i = 0; name[i] != '\0'; i++) {
		c = name[i];
		if (i >= TEAM_NAME_MAX || !((c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return i > 0;
}

int
team_add(struct store *st, const char *name)
{
	json_object	*j;
	int		 rc;

	if (!team_name_valid(name))
		return TEAM_INVALID;
	j = json_object_new_object();
	json_object_object_add(j, "v", json_object_new_int(TEAM_RECORD_VERSION));
	json_object_object_add(j, "name", json_object_new_string(name));
	json_object_object_add(j, "created_at",
	    json_object_new_int64(util_now_ms()));
	rc = store_team_add(st, name,
	    json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
	json_object_put(j);
	return rc;
}

int
team_exists(struct store *st, const char *name)
{
	char	*rec = NULL;
	int	 rc;

	rc = store_team_get(st, name, &rec);
	free(rec);
	return rc;
}

struct team_each {
	team_each_fn	 fn;
	void		*arg;
};

static int
team_each_record(const char *key, const char *json, void *arg)
{
	struct team_each *e = arg;
	json_object	*j, *v;
	int64_t		 at = 0;

	if ((j = json_tokener_parse(json)) != NULL) {
		if (json_object_object_get_ex(j, "created_at", &v))
			at = json_object_get_int64(v);
		json_object_put(j);
	}
	return e->fn(key, at, e->arg);
}

int
team_foreach(struct store *st, team_each_fn fn, void *arg)
{
	struct team_each e = { fn, arg };

	return store_team_foreach(st, team_each_record, &e);
}
