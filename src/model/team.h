/*
 * team: the model of a team, the owner of webhooks and tokens.  Its name
 * rule, its stored record ({"v": 1, "name", "created_at"}) and the calls
 * over the store; webhookctl's team commands and whoever needs to know
 * that a team exists go through here.
 */
#ifndef TEAM_H
#define TEAM_H

#include "store.h"

#define TEAM_NAME_MAX		64
#define TEAM_RECORD_VERSION	1
#define TEAM_INVALID		100	/* beside the store's results */

/* 1 if name is a valid team name: 1..64 of [A-Za-z0-9._-]. */
int	team_name_valid(const char *name);
/* Adds the team, created now: STORE_OK, STORE_EXISTS, TEAM_INVALID (a
 * name team_name_valid refuses; nothing written) or a store error. */
int	team_add(struct store *, const char *name);
/* STORE_OK when the team exists, STORE_NOTFOUND, or a store error. */
int	team_exists(struct store *, const char *name);
/* Calls fn(name, created_at ms (0 when the record lacks it), arg) for each
 * team in name order; a non-zero return stops early.  A store result. */
typedef int (*team_each_fn)(const char *name, int64_t created_at, void *arg);
int	team_foreach(struct store *, team_each_fn, void *arg);

#endif /* TEAM_H */
