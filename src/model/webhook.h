/*
 * webhook: the model.  The union resource of the four seed dialects, its
 * validation, its stored record (JSON with a format version) and the union
 * JSON every dialect starts its output from, all driven by one table of
 * fields in webhook_field.c (key, type, member, limits below, flags).
 * Adding a field: its member in struct webhook and its WF_ bit here, its
 * row in webhook_field.c's fields[], its input in templates/form.html
 * (and the dialects that spell it otherwise): README, "Where to change
 * what".  Knows json-c and the store's interface; knows nothing of HTTP.
 */
#ifndef WEBHOOK_H
#define WEBHOOK_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "store.h"

struct buf;

#define WEBHOOK_RECORD_VERSION	1

/* Limits; the field table (webhook_field.c) applies them. */
#define WH_NAME_MAX	1024
#define WH_URL_MAX	2048
#define WH_HEADERS_MAX	99
#define WH_HNAME_MAX	128
#define WH_HVALUE_MAX	1024
#define WH_AUTH_MAX	1024
#define WH_TOKEN_MAX	1024
#define WH_EVENTS_MAX	128
#define WH_EVENT_MAX	128
#define WH_ATTEMPTS_MAX	20
#define WH_ATTEMPTS_DEFAULT 8
#define WH_CHANNELS_MAX	10	/* Svix's limit */
#define WH_CHANNEL_MAX	128
#define WH_METADATA_MAX	64	/* keys, as an application's */
#define WH_RATE_LIMIT_MAX 65535	/* Svix's uint16 */
/* Secret rotation: a replaced signing secret stays valid this long (also
 * signing every delivery beside the new one); at most this many kept. */
#define WH_GRACE_DEFAULT_S	(24 * 3600)
#define WH_GRACE_MAX_S		(7 * 24 * 3600)
#define WH_OLD_SECRETS_MAX	10

enum wh_method { WH_POST = 0, WH_PUT, WH_PATCH };

struct wh_header {
	char	*name;
	char	*value;
};

/* A replaced signing secret, valid until expires_at (ms since the epoch). */
struct wh_secret {
	char	*secret;
	int64_t	 expires_at;
};

struct webhook {
	char		  uuid[37];
	char		 *team;
	char		 *name;
	char		 *url;
	enum wh_method	  method;
	struct wh_header *headers;
	size_t		  nheaders;
	char		 *auth_user;	/* NULL: no basic auth */
	char		 *auth_pass;
	char		 *token;	/* the signing secret */
	struct wh_secret *old_secrets;	/* replaced ones, newest first */
	size_t		  nold_secrets;
	char		**events;	/* {"*"}: every event */
	size_t		  nevents;
	int		  active;
	int		  max_attempts;
	char		 *error_date;	/* NULL: no error */
	char		 *error_msg;
	int64_t		  fail_since;	/* ms of the first failure in a row, 0 */
	int64_t		  created_at;	/* ms since the epoch */
	int64_t		  updated_at;
	/* The Svix dialect's (api_svix*.c): the application the webhook is an
	 * endpoint of, "app_..." (NULL: none, as every webhook the native and
	 * seed dialects make), and its channels (none: every message).  In
	 * the record only, and left out of it when none. */
	char		 *app;
	char		**channels;
	size_t		  nchannels;
	/* The rest of a Svix endpoint (endpoint.h), likewise: its uid and
	 * description (NULL: none), metadata (name: key), throttle rate in
	 * messages a second (0: none). */
	char		 *uid;
	char		 *description;
	struct wh_header *metadata;
	size_t		  nmetadata;
	int		  rate_limit;
};

/* Fields a request body set (struct wh_input.set). */
#define WF_NAME		0x001
#define WF_URL		0x002
#define WF_METHOD	0x004
#define WF_HEADERS	0x008
#define WF_AUTH		0x010
#define WF_TOKEN	0x020
#define WF_EVENTS	0x040
#define WF_ACTIVE	0x080
#define WF_MAX_ATTEMPTS	0x100
/* No body webhook_decode reads sets these: the Svix dialect's model
 * (endpoint.c) does. */
#define WF_CHANNELS	0x200
#define WF_UID		0x400
#define WF_DESCRIPTION	0x800
#define WF_METADATA	0x1000
#define WF_RATE_LIMIT	0x2000

/* A decoded, checked request body: only the fields in set are meaningful.
 * A token that replaces the stored one keeps the old one valid for
 * grace_s seconds when has_grace, else WH_GRACE_DEFAULT_S (at most
 * WH_GRACE_MAX_S; 0: not at all). */
struct wh_input {
	unsigned	 set;
	struct webhook	 w;
	int		 has_grace;
	int64_t		 grace_s;
};

/* Validation errors, one per bad field.  The table keeps the first
 * WH_ERRORS_MAX; count goes on counting past it, so "did this step add an
 * error" is always `count > before`, never `n > before` (n stops growing). */
#define WH_ERRORS_MAX 32
struct wh_errors {
	size_t	n;		/* recorded in e[], at most WH_ERRORS_MAX */
	size_t	count;		/* reported, recorded or not */
	struct {
		char	field[64];
		char	msg[192];
	} e[WH_ERRORS_MAX];
};
void	webhook_error(struct wh_errors *, const char *field, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/*
 * Checks a request body field by field and fills in (which the caller frees
 * with webhook_input_free).  Accepts every dialect's spelling: headers as an
 * object or an array of {name, value}; seed 003's {"webhook": {...}}
 * envelope (then name, active, settings, url and http_method are all
 * required); "settings" {"event": "true"|"false"}; booleans as true/false or
 * "true"/"false"; an empty token, [] headers or {} auth meaning "none".
 * Unknown fields are ignored.  If create, name and url are required.
 * Returns 0, or -1 with errs filled.
 */
int	webhook_decode(json_object *body, int create, struct wh_input *in,
	    struct wh_errors *errs);
void	webhook_input_free(struct wh_input *);

/* A new webhook of the team with the defaults: a fresh uuid, POST, events
 * ["*"], active, max_attempts 8, a generated whsec_ token, created now. */
void	webhook_init(struct webhook *, const char *team);
/* Applies the fields in->set to w (copies; in is unchanged). */
void	webhook_apply(struct webhook *w, const struct wh_input *in);
/* The rules across fields (webhook_decode and webhook_update apply them)
 * on a webhook about to be stored: errors added to errs. */
void	webhook_check(const struct webhook *w, struct wh_errors *errs);
void	webhook_free(struct webhook *);
/* dst becomes a copy of src with its own strings (free it with
 * webhook_free). */
void	webhook_dup(struct webhook *dst, const struct webhook *src);
/* Masks what only a token that may edit sees: the signing secret and the
 * values of the webhook's own headers (a credential in an Authorization
 * header, an API key) become "********", as the basic-auth password is
 * always.  For answers to tokens without webhooks:edit. */
void	webhook_redact(struct webhook *);

/*
 * The plain fields a form shows as one input each (name, url, active,
 * max_attempts): the admin form reads, writes, shows and labels them from
 * the field table, so that a plain field added to the table needs in the
 * form only its template's input (named by its key, errors in err_KEY).
 */
enum wh_input_kind {
	WH_INPUT_NONE = 0,
	WH_INPUT_TEXT,		/* a string */
	WH_INPUT_NUMBER,	/* an integer, sent as one when it is */
	WH_INPUT_CHECK		/* a boolean: "1" on, "" off */
};
struct wh_form_field {
	const char	*key;	/* the body's key, the form's input name */
	const char	*label;	/* what the form calls it */
	enum wh_input_kind	 input;
	size_t		 index;	/* in the table */
};
/* The i-th such field into *out and out, or NULL past the last. */
const struct wh_form_field *webhook_form_field(size_t i,
	    struct wh_form_field *out);
/* Its value in w as the input's text, appended to b; w NULL: the value a
 * new webhook starts with. */
void	webhook_form_text(const struct wh_form_field *, const struct webhook *,
	    struct buf *);

/* "whsec_" + base64 of 24 random bytes; the caller frees it. */
char	*webhook_new_secret(void);
/*
 * Secret rotation.  webhook_keep_secret keeps old (replaced by w->token)
 * valid until until_ms: first among w's old secrets, a copy of it or of
 * w->token dropped, those expired by now_ms dropped, the oldest past
 * WH_OLD_SECRETS_MAX dropped.  webhook_prune_secrets drops the expired
 * ones only.  webhook_grace_ms is in's grace in ms (default, cap).
 */
void	webhook_keep_secret(struct webhook *w, const char *old, int64_t until_ms,
	    int64_t now_ms);
void	webhook_prune_secrets(struct webhook *w, int64_t now_ms);
int64_t	webhook_grace_ms(const struct wh_input *in);
/*
 * A rotate request's body (NULL: none): {"token"?: a new secret as
 * webhook_decode checks it (absent or "": one is generated),
 * "grace_seconds"?: 0..WH_GRACE_MAX_S}.  Fills in for webhook_update (its
 * set is WF_TOKEN); 0, or -1 with errs filled.
 */
int	webhook_decode_rotate(json_object *body, struct wh_input *in,
	    struct wh_errors *errs);
/* 1 if the webhook is active and subscribed to the event type. */
int	webhook_wants(const struct webhook *, const char *type);
const char *webhook_method_name(enum wh_method);

/* The stored record: JSON with "v"; the caller frees the string. */
char	*webhook_to_record(const struct webhook *);
/* 0, or -1 if the record cannot be read (logged). */
int	webhook_from_record(const char *json, struct webhook *);

/*
 * The union fields as a new json object: uuid, id, name, url, http_method,
 * headers (object), auth {username, password: "********" when set}, token,
 * events, settings, active, max_attempts, error ({date, message} or null),
 * created_at, updated_at.  Dialects add to it or pick from it.
 */
json_object *webhook_to_json(const struct webhook *);
/* The same members written as JSON text into b, without the braces, for
 * answers serialised without building a json-c tree (same bytes as json-c's
 * plain, no-slash-escape output). */
void	webhook_json_members(struct buf *, const struct webhook *);

/*
 * The union members webhook_json_members wrote into a record when it was
 * stored: 1 with *members (braces excluded, inside rec) and *mlen, or 0
 * when the record carries none of this build's view version.
 */
int	webhook_record_view(const char *rec, size_t len, const char **members,
	    size_t *mlen);

/*
 * A webhook as JSON text ready to answer: webhook_json_members' output,
 * taken from the record when it carries it, else written afresh.
 */
struct webhook_view {
	char		 uuid[37];
	const char	*members;	/* without braces; len bytes */
	size_t		 len;
	char		*mem;		/* what members points into */
};
void	webhook_view_free(struct webhook_view *);

/* ---- the model over the store ------------------------------------------ */
/* Results: the store's (STORE_OK, STORE_NOTFOUND, STORE_EXISTS for a
 * duplicate url with STORE_UNIQUE_URL, STORE_ERR, STORE_FATAL). */
int	webhook_create(struct store *, struct webhook *, int flags);
int	webhook_get(struct store *, const char *team, const char *uuid,
	    struct webhook *);
/* Applies in to the stored webhook in one transaction; *out (if not NULL)
 * receives the result.  WEBHOOK_INVALID (nothing written) when the result
 * would break a rule across fields (webhook_decode checks each field, and
 * these rules on what a body sets itself); errs (if not NULL) names it. */
#define WEBHOOK_INVALID	100	/* beside the store's results */
int	webhook_update(struct store *, const char *team, const char *uuid,
	    const struct wh_input *in, int flags, struct webhook *out,
	    struct wh_errors *errs);
/* An update that changes the token keeps the stored one as an old secret
 * for in's grace (webhook_keep_secret); so does every dialect's. */
int	webhook_delete(struct store *, const char *team, const char *uuid);
/* webhook_get as a view (free it with webhook_view_free); redact: as
 * webhook_redact (the stored view is then not used). */
int	webhook_get_view(struct store *, const char *team, const char *uuid,
	    int redact, struct webhook_view *);
/* webhook_list as views: v[0..n), most pointing into mem (the page's
 * records); free all with webhook_views_free. */
struct webhook_views {
	struct webhook_view	*v;
	size_t			 n;
	size_t			 total;	/* of the whole list */
	char			*mem;
};
int	webhook_list_views(struct store *, const char *team, size_t offset,
	    size_t limit, int redact, struct webhook_views *);
void	webhook_views_free(struct webhook_views *);
/* One page: ws[0..n) (free each with webhook_free, then the array). */
int	webhook_list(struct store *, const char *team, size_t offset,
	    size_t limit, struct webhook **ws, size_t *n, size_t *total);
/*
 * Every webhook of team, in creation order, for webhookd's fan-out: fn
 * receives each (a record that cannot be read is left out, and logged)
 * and owns it (webhook_free); a non-zero return stops the walk.
 * webhook_team_gen changes with every create, update or delete of one of
 * team's webhooks (0 before the first): read before webhook_team_each, it
 * says whether a copy made then is still good.
 */
typedef int (*webhook_each_fn)(struct webhook *w, void *arg);
int	webhook_team_each(struct store *, const char *team, webhook_each_fn,
	    void *arg);
int	webhook_team_gen(struct store *, const char *team, uint64_t *gen);

#endif /* WEBHOOK_H */
