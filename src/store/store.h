/*
 * store: the service's durable state in $WEBHOOKS_HOME/db: teams, tokens,
 * webhooks (listed per team in creation order), the attempt log, and a few
 * small key -> JSON tables.  Records are opaque bytes, mostly JSON text
 * (the model puts a format version in them: webhook.c, attempt.c); the
 * store owns keys, indexes, ordering, pages, transactions and recovery.
 * Nothing here knows HTTP.
 *
 * Every call is atomic on its own (one transaction), and never waits for
 * another process: a process killed anywhere, even in the middle of a
 * write, never wedges the others.  Several processes share the store (the
 * FastCGI processes, webhookd, webhookctl), each with its own handle.
 * When the store can no longer be used by this process (it needs
 * recovery) every call returns STORE_FATAL and the process should answer
 * 503 and exit; the next process to open the store recovers it.
 *
 * A full or failing disk makes writes return STORE_ERR (the caller answers
 * 503) and never a signal; reads go on, and writes again once there is
 * space.
 *
 * Strings returned through char ** are the caller's to free.
 * The implementation (Berkeley DB 5.3) is in store_env.c, store_range.c,
 * store_team.c, store_webhook.c, store_attempt.c, store_app.c and
 * store_upgrade.c.
 */
#ifndef STORE_H
#define STORE_H

#include <stddef.h>
#include <stdint.h>

enum store_res {
	STORE_OK = 0,
	STORE_NOTFOUND,		/* no such key (or another team's) */
	STORE_EXISTS,		/* the key, or a unique value, is taken */
	STORE_ABORTED,		/* an update callback refused; nothing written */
	STORE_ERR,		/* an error that was logged; try later */
	STORE_FATAL		/* the environment needs recovery: exit */
};

struct store;

#define STORE_CREATE	0x01	/* create the directory and databases */
#define STORE_FATAL_RECOVER 0x02 /* catastrophic recovery (webhookctl recover) */
#define STORE_LAZY	0x04	/* open each database at its first use */

/*
 * Opens (and recovers if a registered process died) $home/db.  NULL on error.
 * Without STORE_CREATE the directory $home/db must exist.  One store per
 * process: a forked child opens its own and never uses its parent's.
 * STORE_FATAL_RECOVER only while no other process uses the store.
 * STORE_LAZY: for a process that serves one request (plain CGI), which then
 * opens only the database files that request uses; without it every file
 * is opened here, before any request, as a long-running process wants.
 */
struct store	*store_open(const char *home, int flags);
void		 store_close(struct store *);
/* 1 once the store needs recovery, or another process recovered it. */
int		 store_is_fatal(struct store *);
/*
 * Frees what processes that died in the middle of a call left held (their
 * locks, their transactions).  The store does this by itself when a
 * process opens it, when a call keeps finding a lock taken, and in
 * store_maintain; this is for a caller that wants it alone.
 */
int		 store_failchk(struct store *);
/*
 * A read scope, for a process that serves requests: the reads between
 * begin and end share one transaction (begun at the first of them,
 * committed at end) instead of one each; a FastCGI request's token lookup
 * and webhook read cost one transaction begin and commit instead of two.
 * Each read still sees what is committed when it runs (read committed) and
 * still never waits for a lock.  A write within the scope ends its
 * transaction first; reads after it begin another.
 */
void		 store_read_begin(struct store *);
void		 store_read_end(struct store *);
/*
 * Housekeeping for a long-running process, every few minutes (webhookd:
 * every 5; each FastCGI process: every minute): frees what dead processes
 * left (store_failchk), checkpoints, and removes the log files normal
 * recovery no longer needs.
 */
int		 store_maintain(struct store *);
/*
 * The same, but the checkpoint only if the environment's last one (by any
 * process) is at least `minutes` old: for processes that each call it
 * now and then, so that together they checkpoint about that often.
 */
int		 store_maintain_every(struct store *, int minutes);
/*
 * Verifies every database file (like db_verify); 0 when clean.  Meant for a
 * quiescent environment (nothing else running, no store open in the caller).
 */
int		 store_check(const char *home);
/* Hot backup of the environment into dir (created). */
int		 store_backup(struct store *, const char *dir);
/*
 * Catastrophic recovery, in a private environment, of a copy of the
 * environment in dir (a restored backup) that no process uses: no region
 * files are left behind.  STORE_OK or STORE_ERR (logged).
 */
int		 store_recover_copy(const char *dir);

/* ---- teams: name -> json -------------------------------------------- */
int	store_team_add(struct store *, const char *name, const char *json);
int	store_team_get(struct store *, const char *name, char **json);
typedef int (*store_each_fn)(const char *key, const char *json, void *arg);
/* Calls fn for each record in key order; a non-zero return stops early. */
int	store_team_foreach(struct store *, store_each_fn, void *arg);

/* ---- tokens: SHA-256 hex of the token -> json ------------------------- */
int	store_token_add(struct store *, const char *hash, const char *json);
int	store_token_get(struct store *, const char *hash, char **json);
int	store_token_del(struct store *, const char *hash);
int	store_token_foreach(struct store *, store_each_fn, void *arg);

/* ---- webhooks: uuid -> json, listed per team in creation order ------- */
/*
 * A webhook as the store sees it.  url feeds the per-team URL index (used by
 * dialects that refuse a URL registered twice).
 */
struct store_wh {
	const char	*team;
	const char	*uuid;
	const char	*url;
	const char	*json;
};

#define STORE_UNIQUE_URL 0x01	/* STORE_EXISTS if another webhook of the
				   team has this url */

int	store_webhook_create(struct store *, const struct store_wh *, int flags);
/* STORE_NOTFOUND when the uuid is unknown or belongs to another team. */
int	store_webhook_get(struct store *, const char *team, const char *uuid,
	    char **json);
/*
 * Read-modify-write in one transaction.  fn receives the current json and
 * fills *url and *json (malloc'd; the store frees them) with the new values,
 * returning 0 to write or non-zero to abort (that value is then left in
 * *fnret and the call returns STORE_ABORTED).  fn may run more than once
 * (deadlock retry), so it must not have side effects beyond its outputs.
 */
typedef int (*store_update_fn)(const char *old, char **url, char **json,
	    void *arg);
int	store_webhook_update(struct store *, const char *team, const char *uuid,
	    int flags, store_update_fn, void *arg, int *fnret);
int	store_webhook_delete(struct store *, const char *team, const char *uuid);

/*
 * One page of a list.  recs[i] are json strings, all in one block, mem;
 * free the page with store_page_free (a caller may take mem, and then
 * frees it itself, after the last use of recs).
 */
struct store_page {
	char	**recs;
	size_t	  n;
	size_t	  total;	/* all records of the list, not counted by scan */
	char	 *mem;		/* what recs[i] point into */
};
void	store_page_free(struct store_page *);
/*
 * The team's webhooks in creation order, from offset (0-based), at most
 * limit.  Costs O(log n + limit) whatever the offset: the index is a btree
 * with record numbers.
 */
int	store_webhook_list(struct store *, const char *team, size_t offset,
	    size_t limit, struct store_page *);
/* Calls fn(uuid, json) for each webhook of the team in creation order. */
int	store_webhook_foreach(struct store *, const char *team, store_each_fn,
	    void *arg);
/*
 * The team's webhook generation: changes with every create, update or
 * delete of one of its webhooks (0 before the first).  Read it before
 * store_webhook_foreach to know whether a copy made then is still good.
 */
int	store_webhook_gen(struct store *, const char *team, uint64_t *gen);

/* ---- delivery attempts: the attempt log ------------------------------ */
/*
 * Appends one attempt (id unique) of the webhook at time at_ms.  Committed
 * without waiting for the log flush: losing the last second of attempt lines
 * in a machine crash is acceptable, losing an event is not.
 */
int	store_attempt_add(struct store *, const char *webhook_uuid,
	    const char *id, int64_t at_ms, const char *json);
/* One attempt of the log, for store_attempt_add_many. */
struct store_attempt {
	const char	*uuid;		/* the webhook's */
	const char	*id;
	int64_t		 at_ms;
	const char	*rec;		/* the record's bytes (attempt_pack's) */
	size_t		 len;
};
/*
 * Appends n attempts in one transaction (one commit instead of n: the
 * daemon logs all the attempts that ended in one pass of its loop).  An
 * attempt whose key (webhook, time, id) is taken already is left out (and
 * logged); otherwise all or none are written.
 */
int	store_attempt_add_many(struct store *, const struct store_attempt *v,
	    size_t n);
/*
 * An attempt of the log as store_attempt_list hands it to its renderer:
 * its key (webhook, time, id) and its record's bytes, in the store's
 * memory for the call only.
 */
struct store_attempt_view {
	const char	*uuid;		/* the webhook's, ulen bytes */
	size_t		 ulen;
	const char	*id;		/* idlen bytes */
	size_t		 idlen;
	int64_t		 at_ms;
	const void	*rec;		/* len bytes */
	size_t		 len;
};
/*
 * Appends what a lists as (its JSON) to out: 0, or -1 when it cannot be
 * read: the listing then leaves it out (and logs it).
 */
struct buf;
typedef int (*store_render_fn)(struct buf *out,
	    const struct store_attempt_view *a);
/*
 * A page of the webhook's attempts, newest first, each rendered by render
 * straight into the page: O(log n + limit) like store_webhook_list.
 */
int	store_attempt_list(struct store *, const char *webhook_uuid,
	    size_t offset, size_t limit, store_render_fn render,
	    struct store_page *);
/* Removes attempts older than before_ms; *removed counts them. */
int	store_attempt_prune(struct store *, int64_t before_ms, size_t *removed);
/* Brings a store made by an older version up to date (webhookd, at
 * start): moves its attempt log into the current format (*moved counts the
 * attempts; STORE_ERR when that failed) and removes the tables nothing
 * uses (deliveries.db, events.db; a failure there is only logged). */
int	store_upgrade(struct store *, const char *home, size_t *moved);

/* ---- generic small tables: key -> json -------------------------------- */
enum store_table {
	STORE_IDEMPOTENCY,	/* team "\n" key -> {"event": id, "at": ms} */
	STORE_SESSIONS,		/* SHA-256 hex of session id -> session json */
	STORE_LIMITS,		/* "addr " address or "team " name -> the admin
				   login's failures in the current minute */
	STORE_SECRETS,		/* name -> a server secret (the CSRF key) */
	STORE_COUNTERS,		/* name -> counts that every process adds to
				   (the metrics: src/model/metrics.c) */
	STORE_APPS,		/* the Svix dialect's applications and event
				   types: only through store_app_* and
				   store_evtype_* (store_app.c) */
	STORE_MSGS,		/* the Svix dialect's messages: only through
				   store_msg_* (store_msg.c) */
	STORE_NTABLES
};
int	store_put(struct store *, enum store_table, const char *key,
	    const char *json);
/* STORE_EXISTS and *existing (if not NULL) set when the key is present. */
int	store_put_new(struct store *, enum store_table, const char *key,
	    const char *json, char **existing);
int	store_get(struct store *, enum store_table, const char *key, char **json);
int	store_del(struct store *, enum store_table, const char *key);
/* Calls fn for each record; used for pruning expired entries. */
int	store_foreach(struct store *, enum store_table, store_each_fn, void *arg);
/*
 * Read-modify-write of one record in one transaction (a counter that
 * several processes bump).  fn gets the current json (NULL when the key is
 * absent) and returns 0 with *json set (malloc'd; the store frees it) to
 * write it, or non-zero to write nothing (then the value is left in *fnret
 * and the call returns STORE_ABORTED).  fn may run more than once
 * (deadlock retry): no side effects beyond *json.
 */
typedef int (*store_rmw_fn)(const char *old, char **json, void *arg);
int	store_update(struct store *, enum store_table, const char *key,
	    store_rmw_fn fn, void *arg, int *fnret);
/* The same, but the commit does not wait for the log flush: a counter may
 * lose its last additions in a machine crash, never in a process's. */
int	store_update_nosync(struct store *, enum store_table, const char *key,
	    store_rmw_fn fn, void *arg, int *fnret);
/*
 * A read-modify-write of one record of a small table done in the
 * transaction of another write: a count of what that write records, kept
 * with it (committed, retried and rolled back with it).  needed (NULL:
 * always) is asked first, after the call's own writes: 0 leaves the record
 * alone, not even read (no lock taken on it).  fn as store_update's, but a
 * *json left NULL writes nothing, and a non-zero return refuses the whole
 * write (STORE_ABORTED).
 */
struct store_rmw {
	enum store_table	 table;
	const char		*key;
	int			(*needed)(void *arg);
	store_rmw_fn		 fn;
	void			*arg;
};
/*
 * The next write call of this handle (one store_* call that writes) also
 * does rmw, after its own writes and in its transaction; the call forgets
 * it whatever its outcome.  rmw (and its arg) must outlive that call.
 */
void	store_also(struct store *, const struct store_rmw *rmw);

/* ---- Svix applications: per team, in id order (store_app.c) --------- */
/*
 * An application is found by its id, or by its uid when by_uid; uids are
 * unique within a team (STORE_EXISTS).  uid "" or NULL: none.  Another
 * team's application is STORE_NOTFOUND.
 */
int	store_app_create(struct store *, const char *team, const char *id,
	    const char *uid, const char *json);
int	store_app_get(struct store *, const char *team, const char *ref,
	    int by_uid, char **json);
/* As store_webhook_update, fn's url being the new uid (NULL or "": none):
 * STORE_EXISTS when another application has it. */
int	store_app_update(struct store *, const char *team, const char *ref,
	    int by_uid, store_update_fn fn, void *arg, int *fnret);
int	store_app_delete(struct store *, const char *team, const char *ref,
	    int by_uid);
/*
 * At most limit of the team's applications' JSON texts into *recs (n of
 * them; the caller frees each and the array), in id order from after
 * (NULL: the first), or in reverse order before it when desc (NULL: the
 * last).
 */
int	store_app_list(struct store *, const char *team, const char *after,
	    int desc, size_t limit, char ***recs, size_t *n);

/* ---- Svix endpoints: an application's webhooks (store_app.c) -------- */
/*
 * An endpoint is a webhook of the team (store_webhook_*) listed under its
 * application (app: the application's id) in uuid order, with its uid
 * (NULL or "": none) unique within the application; the webhook and the
 * application's index change in one transaction, and an application's
 * delete removes its endpoints' webhooks.  A webhook deleted through
 * another dialect is no longer an endpoint.
 *
 * store_ep_create: STORE_NOTFOUND when there is no such application,
 * STORE_EXISTS when the uid is taken.
 */
int	store_ep_create(struct store *, const char *app, const char *uid,
	    const struct store_wh *wh);
/* The uuid of the application's endpoint with this uid. */
int	store_ep_uid(struct store *, const char *team, const char *app,
	    const char *uid, char **uuid);
/* As store_webhook_update for an endpoint of app (STORE_NOTFOUND when the
 * webhook is not one), fn also giving the new uid (NULL: none):
 * STORE_EXISTS when another endpoint of the app has it. */
typedef int (*store_ep_fn)(const char *old, char **url, char **uid,
	    char **json, void *arg);
int	store_ep_update(struct store *, const char *team, const char *app,
	    const char *uuid, store_ep_fn fn, void *arg, int *fnret);
int	store_ep_delete(struct store *, const char *team, const char *app,
	    const char *uuid);
/* As store_app_list: the endpoints' webhook records, in uuid order from
 * after a uuid (NULL: the first), or backwards before it when desc. */
int	store_ep_list(struct store *, const char *team, const char *app,
	    const char *after, int desc, size_t limit, char ***recs, size_t *n);

/* ---- Svix event types: per team, in name order (store_app.c) -------- */
int	store_evtype_get(struct store *, const char *team, const char *name,
	    char **json);
/* A read-modify-write of the team's event type name as store_update's:
 * fn gets its json, or NULL when there is none, and writes *json. */
int	store_evtype_put(struct store *, const char *team, const char *name,
	    store_rmw_fn fn, void *arg, int *fnret);
int	store_evtype_delete(struct store *, const char *team, const char *name);
/* As store_app_list, in name order. */
int	store_evtype_list(struct store *, const char *team, const char *after,
	    int desc, size_t limit, char ***recs, size_t *n);

/* ---- Svix messages: per application, in id order (store_msg.c) ---- */
/*
 * A message is found by its id, or by its eventId when by_event; eventIds
 * are unique within an application (STORE_EXISTS).  event_id NULL or "":
 * none.
 */
int	store_msg_create(struct store *, const char *team, const char *app,
	    const char *id, const char *event_id, const char *json);
int	store_msg_get(struct store *, const char *team, const char *app,
	    const char *ref, int by_event, char **json);
int	store_msg_delete(struct store *, const char *team, const char *app,
	    const char *id);
/* As store_app_list, for the application's messages. */
int	store_msg_list(struct store *, const char *team, const char *app,
	    const char *after, int desc, size_t limit, char ***recs, size_t *n);
/* Removes every message of the application (its delete); *removed (may
 * be NULL) counts them. */
int	store_msg_delete_app(struct store *, const char *team, const char *app,
	    size_t *removed);
/* Removes every message (of any team) whose JSON old() calls old (1);
 * *removed counts them. */
typedef int (*store_msg_old_fn)(const char *json, void *arg);
int	store_msg_prune(struct store *, store_msg_old_fn old, void *arg,
	    size_t *removed);
/* Replaces the JSON of the message id (its eventId stays): an expunged
 * payload.  STORE_NOTFOUND when there is none. */
int	store_msg_replace(struct store *, const char *team, const char *app,
	    const char *id, const char *json);

/* The bytes of the store's files on disk (databases and logs), for
 * the metrics: a stat of each file, no lock. */
int	store_size(struct store *, uint64_t *bytes);

#endif /* STORE_H */
