/*
 * webhook: the model.  A request body becomes a checked struct wh_input
 * through one function (webhook_decode) that walks the fields against the
 * limits in webhook.h; a webhook becomes a stored record (JSON with "v") and
 * back; and the union JSON the dialects start their answers from.  Below the
 * model sits the store, whose records this module alone reads and writes.
 *
 * Choices made here (the seeds leave them open):
 *
 *  - Text (name, auth, raw token, header values) must be valid UTF-8 without
 *    NUL or other control characters (C0 and DEL); header values may hold a
 *    tab.  json-c does not validate UTF-8 unless asked, and invalid UTF-8
 *    would make every later answer invalid JSON.
 *  - url: http or https (any case), printable ASCII in RFC 3986's character
 *    set only ('%' followed by two hex digits), a host, no userinfo (basic
 *    auth belongs in "auth"), a port 1..65535 when one is written.  Whatever
 *    the URL names, where it may connect is the delivery's SSRF guard's
 *    business, not this one.
 *  - headers: names are RFC 7230 tokens; refused are the framing and
 *    hop-by-hop headers curl owns (Host, Content-Length, Transfer-Encoding,
 *    Connection, Keep-Alive, Upgrade, TE, Trailer, Expect,
 *    Proxy-Connection) and every "webhook-*" name, since the Standard
 *    Webhooks signature headers are ours.  Content-Type and Authorization
 *    are allowed.  Two names differing only in case are refused.
 *  - auth: null, {} and {"username": "", "password": ""} (what seed 002
 *    serves for "none") all mean no basic auth.  The password "********" is
 *    the mask webhook_to_json serves: on update it means "keep the stored
 *    password" so a client (or the admin form) may send back what it read
 *    (with no password stored, it leaves the webhook without auth); on
 *    create it is refused.  Both strings are otherwise 1..1024 (seed 002),
 *    and a username holds no ':' (basic auth could not carry it).
 *  - token: "" or null means "generate one" on create and "keep it" on
 *    update (seed 002's update example sends ""); the secret is generated here, in decode, so that webhook_apply stays
 *    deterministic under the store's deadlock retry.
 *  - events: null or [] mean ["*"] (every event), as Svix and the
 *    Standard Webhooks tools treat "no filter"; absent means ["*"] on
 *    create and "unchanged" on update.  "*" among other names
 *    makes the list ["*"]; repeated names are kept once.
 *  - settings (seed 003): its "true" entries are subscribed, united with
 *    "events" when both are sent.  {} means ["*"], like [].  A settings
 *    object whose entries are all "false" (and no events beside it) is
 *    refused: the client asked for no event at all, which the model does not
 *    represent, and turning it into "every event" would be the opposite of
 *    what was asked.
 *  - booleans (active, settings values): true/false or the strings
 *    "true"/"false" in any case.  max_attempts: a JSON integer 1..20.
 *  - A webhook never has zero events; the record and to_json always carry
 *    at least one name, so a GET answer sent back unchanged means the same.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json_object_iterator.h>

#include "event.h"
#include "log.h"
#include "util.h"
#include "webhook.h"

#if WH_EVENT_MAX != EVENT_TYPE_MAX
#error "WH_EVENT_MAX is event.h's EVENT_TYPE_MAX"
#endif

#define PASSWORD_MASK	"********"
#define SECRET_PREFIX	"whsec_"
#define SECRET_BYTES	24
#define SECRET_MIN	24	/* decoded bytes of a whsec_ token */
#define SECRET_MAX	64
/* Longest object key used in an error's field name ("headers.KEY.value"
 * must fit struct wh_errors' 64 bytes); longer keys are named otherwise. */
#define KEY_IN_FIELD_MAX 40

void
webhook_error(struct wh_errors *errs, const char *field, const char *fmt, ...)
{
	va_list	 ap;

	errs->count++;
	if (errs->n >= WH_ERRORS_MAX)
		return;
	snprintf(errs->e[errs->n].field, sizeof(errs->e[errs->n].field), "%s",
	    field);
	va_start(ap, fmt);
	vsnprintf(errs->e[errs->n].msg, sizeof(errs->e[errs->n].msg), fmt, ap);
	va_end(ap);
	errs->n++;
}

/* ---- checks of single values ------------------------------------------ */

/* 1 if s[0..len) is valid UTF-8 (no overlong forms, surrogates or values
 * above U+10FFFF). */
static int
utf8_valid(const unsigned char *s, size_t len)
{
	size_t		 i = 0, n, k;
	unsigned int	 cp, min;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0)
			n = 1, cp = s[i] & 0x1f, min = 0x80;
		else if ((s[i] & 0xf0) == 0xe0)
			n = 2, cp = s[i] & 0x0f, min = 0x800;
		else if ((s[i] & 0xf8) == 0xf0)
			n = 3, cp = s[i] & 0x07, min = 0x10000;
		else
			return 0;
		if (len - i - 1 < n)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

#define TEXT_TAB	0x01	/* a tab is allowed */

/*
 * Checks a JSON value as text of min..max bytes: a string, valid UTF-8,
 * without NUL or control characters.  0, or -1 with an error for field.
 */
static int
check_text(json_object *v, size_t min, size_t max, int flags,
    const char *field, struct wh_errors *errs)
{
	const char	*s;
	size_t		 len, i;

	if (!json_object_is_type(v, json_type_string)) {
		webhook_error(errs, field, "must be a string");
		return -1;
	}
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (len < min || len > max) {
		if (min == 1 && len == 0)
			webhook_error(errs, field, "must not be empty");
		else
			webhook_error(errs, field, "must be %zu to %zu bytes "
			    "long", min, max);
		return -1;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\t' && (flags & TEXT_TAB))
			continue;
		if (c < 0x20 || c == 0x7f) {
			webhook_error(errs, field, "must not contain control "
			    "characters");
			return -1;
		}
	}
	if (!utf8_valid((const unsigned char *)s, len)) {
		webhook_error(errs, field, "must be valid UTF-8");
		return -1;
	}
	return 0;
}

/* RFC 7230 tchar. */
static int
is_tchar(int c)
{
	return c != '\0' && isascii(c) &&
	    (isalnum(c) || strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int
is_token(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++)
		if (!is_tchar((unsigned char)s[i]))
			return 0;
	return 1;
}

/* A subscription's event name: "*" (every event) or an event type, by
 * the one rule publishing follows (event.h). */
static int
is_event_name(const char *s, size_t len)
{
	return (len == 1 && s[0] == '*') || event_type_ok(s, len);
}

/* 1 if c may appear in a URL as RFC 3986 writes it (besides '%'). */
static int
is_url_char(int c)
{
	return c != '\0' && isascii(c) && (isalnum(c) ||
	    strchr("-._~:/?#[]@!$&'()*+,;=", c) != NULL);
}

/* Returns NULL if url is an acceptable delivery URL, else what is wrong. */
static const char *
check_url_string(const char *url, size_t len)
{
	const char	*p, *auth, *end, *host, *hend, *port;
	char		 v6[64];
	size_t		 i;
	long		 pn;

	if (len > WH_URL_MAX)
		return "must be at most 2048 bytes long";
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)url[i];
		if (c == '%') {
			if (i + 2 >= len ||
			    !isxdigit((unsigned char)url[i + 1]) ||
			    !isxdigit((unsigned char)url[i + 2]))
				return "has a '%' not followed by two hex "
				    "digits";
			continue;
		}
		if (c <= 0x20 || c >= 0x7f)
			return "must not contain spaces, control or non-ASCII "
			    "characters (percent-encode them)";
		if (!is_url_char(c))
			return "contains a character URLs do not allow";
	}
	if (strncasecmp(url, "http://", 7) == 0)
		auth = url + 7;
	else if (strncasecmp(url, "https://", 8) == 0)
		auth = url + 8;
	else
		return "must be an absolute http or https URL";
	end = auth + strcspn(auth, "/?#");
	for (p = auth; p < end; p++)
		if (*p == '@')
			return "must not contain a user name or password "
			    "(use auth)";
	host = auth;
	if (*host == '[') {
		hend = memchr(host, ']', (size_t)(end - host));
		if (hend == NULL || (size_t)(hend - host - 1) >= sizeof(v6))
			return "has a bad IPv6 address";
		memcpy(v6, host + 1, (size_t)(hend - host - 1));
		v6[hend - host - 1] = '\0';
		{
			struct in6_addr a;
			if (inet_pton(AF_INET6, v6, &a) != 1)
				return "has a bad IPv6 address";
		}
		hend++;
		if (hend != end && *hend != ':')
			return "has a bad IPv6 address";
	} else {
		hend = memchr(host, ':', (size_t)(end - host));
		if (hend == NULL)
			hend = end;
		if (hend == host)
			return "must name a host";
		if (hend - host > 253)
			return "has a host name over 253 characters";
		for (p = host; p < hend; p++)
			if (!isalnum((unsigned char)*p) && *p != '-' &&
			    *p != '.' && *p != '_')
				return "has a bad host name";
	}
	if (hend < end) {	/* *hend == ':' */
		port = hend + 1;
		if (port == end || end - port > 5)
			return "must have a port from 1 to 65535";
		pn = 0;
		for (p = port; p < end; p++) {
			if (!isdigit((unsigned char)*p))
				return "must have a port from 1 to 65535";
			pn = pn * 10 + (*p - '0');
		}
		if (pn < 1 || pn > 65535)
			return "must have a port from 1 to 65535";
	}
	return NULL;
}

/*
 * A boolean as true/false or the strings "true"/"false" (any case).
 * 0 with *out set, or -1.
 */
static int
get_bool(json_object *v, int *out)
{
	const char	*s;

	if (json_object_is_type(v, json_type_boolean)) {
		*out = json_object_get_boolean(v) ? 1 : 0;
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return -1;
	s = json_object_get_string(v);
	if (strcasecmp(s, "true") == 0 &&
	    json_object_get_string_len(v) == 4) {
		*out = 1;
		return 0;
	}
	if (strcasecmp(s, "false") == 0 &&
	    json_object_get_string_len(v) == 5) {
		*out = 0;
		return 0;
	}
	return -1;
}

/* 0 if the token may be used as a signing secret, else -1 with an error. */
static int
check_secret(const char *s, struct wh_errors *errs)
{
	unsigned char	*raw;
	size_t		 rawlen;

	if (strncmp(s, SECRET_PREFIX, strlen(SECRET_PREFIX)) != 0)
		return 0;
	if (util_base64_decode(s + strlen(SECRET_PREFIX), &raw, &rawlen)
	    == -1) {
		webhook_error(errs, "token", "a whsec_ token must continue "
		    "with standard base64");
		return -1;
	}
	free(raw);
	if (rawlen < SECRET_MIN || rawlen > SECRET_MAX) {
		webhook_error(errs, "token", "a whsec_ token must hold %d to "
		    "%d bytes of key", SECRET_MIN, SECRET_MAX);
		return -1;
	}
	return 0;
}

/* ---- the field decoders ----------------------------------------------- */

static void
add_event(struct webhook *w, const char *name)
{
	size_t	 i;

	for (i = 0; i < w->nevents; i++)
		if (strcmp(w->events[i], name) == 0)
			return;
	w->events = xrealloc(w->events, (w->nevents + 1) * sizeof(char *));
	w->events[w->nevents++] = xstrdup(name);
}

static void
free_events(struct webhook *w)
{
	size_t	 i;

	for (i = 0; i < w->nevents; i++)
		free(w->events[i]);
	free(w->events);
	w->events = NULL;
	w->nevents = 0;
}

static void
free_headers(struct webhook *w)
{
	size_t	 i;

	for (i = 0; i < w->nheaders; i++) {
		free(w->headers[i].name);
		free(w->headers[i].value);
	}
	free(w->headers);
	w->headers = NULL;
	w->nheaders = 0;
}

static const char *const refused_headers[] = {
	"Host", "Content-Length", "Transfer-Encoding", "Connection",
	"Keep-Alive", "Upgrade", "TE", "Trailer", "Expect", "Proxy-Connection",
	NULL
};

/*
 * Checks one header (name and value as JSON values) and adds it to w.
 * field names it in errors ("headers[2]" or "headers.X-Foo").
 */
static void
decode_header(struct webhook *w, const char *field, json_object *name,
    json_object *value, struct wh_errors *errs)
{
	const char	*n;
	char		 f[64];
	size_t		 len, i;
	int		 bad = 0;

	snprintf(f, sizeof(f), "%s.name", field);
	if (name == NULL) {
		webhook_error(errs, f, "is required");
		bad = 1;
	} else if (!json_object_is_type(name, json_type_string)) {
		webhook_error(errs, f, "must be a string");
		bad = 1;
	} else {
		n = json_object_get_string(name);
		len = (size_t)json_object_get_string_len(name);
		if (len == 0 || len > WH_HNAME_MAX) {
			webhook_error(errs, f, "must be 1 to %d characters "
			    "long", WH_HNAME_MAX);
			bad = 1;
		} else if (!is_token(n, len)) {
			webhook_error(errs, f, "must be an HTTP token "
			    "(letters, digits and !#$%%&'*+-.^_`|~)");
			bad = 1;
		} else if (strncasecmp(n, "webhook-", 8) == 0) {
			webhook_error(errs, f, "webhook-* headers are the "
			    "service's own signature headers");
			bad = 1;
		} else {
			for (i = 0; refused_headers[i] != NULL; i++)
				if (strcasecmp(n, refused_headers[i]) == 0)
					break;
			if (refused_headers[i] != NULL) {
				webhook_error(errs, f, "%s is set by the "
				    "service", refused_headers[i]);
				bad = 1;
			}
			for (i = 0; !bad && i < w->nheaders; i++)
				if (strcasecmp(n, w->headers[i].name) == 0) {
					webhook_error(errs, f, "repeats a "
					    "header name");
					bad = 1;
				}
		}
	}
	snprintf(f, sizeof(f), "%s.value", field);
	if (value == NULL) {
		webhook_error(errs, f, "is required");
		bad = 1;
	} else if (check_text(value, 1, WH_HVALUE_MAX, TEXT_TAB, f, errs)
	    == -1)
		bad = 1;
	if (bad)
		return;
	w->headers = xrealloc(w->headers,
	    (w->nheaders + 1) * sizeof(*w->headers));
	w->headers[w->nheaders].name = xstrdup(json_object_get_string(name));
	w->headers[w->nheaders].value = xstrdup(json_object_get_string(value));
	w->nheaders++;
}

static int
decode_headers(json_object *v, struct webhook *w, struct wh_errors *errs)
{
	struct json_object_iterator	 it, end;
	json_object			*e, *name, *value;
	size_t				 i, n, before = errs->count;
	char				 f[64];
	const char			*key;

	if (v == NULL || json_object_is_type(v, json_type_null))
		return 0;
	if (json_object_is_type(v, json_type_array)) {
		n = json_object_array_length(v);
		if (n > WH_HEADERS_MAX) {
			webhook_error(errs, "headers", "at most %d headers",
			    WH_HEADERS_MAX);
			return -1;
		}
		for (i = 0; i < n; i++) {
			e = json_object_array_get_idx(v, i);
			snprintf(f, sizeof(f), "headers[%zu]", i);
			if (!json_object_is_type(e, json_type_object)) {
				webhook_error(errs, f, "must be an object "
				    "{name, value}");
				continue;
			}
			name = value = NULL;
			json_object_object_get_ex(e, "name", &name);
			json_object_object_get_ex(e, "value", &value);
			decode_header(w, f, name, value, errs);
		}
	} else if (json_object_is_type(v, json_type_object)) {
		if ((size_t)json_object_object_length(v) > WH_HEADERS_MAX) {
			webhook_error(errs, "headers", "at most %d headers",
			    WH_HEADERS_MAX);
			return -1;
		}
		it = json_object_iter_begin(v);
		end = json_object_iter_end(v);
		for (i = 0; !json_object_iter_equal(&it, &end); i++) {
			key = json_object_iter_peek_name(&it);
			/* A key that is no token, or too long to name a field,
			 * is named by its position. */
			if (is_token(key, strlen(key)) &&
			    strlen(key) <= KEY_IN_FIELD_MAX)
				snprintf(f, sizeof(f), "headers.%.*s",
				    KEY_IN_FIELD_MAX, key);
			else
				snprintf(f, sizeof(f), "headers{%zu}", i);
			name = json_object_new_string(key);
			decode_header(w, f, name,
			    json_object_iter_peek_value(&it), errs);
			json_object_put(name);
			json_object_iter_next(&it);
		}
	} else {
		webhook_error(errs, "headers", "must be an object "
		    "{name: value} or an array of {name, value}");
		return -1;
	}
	return errs->count > before ? -1 : 0;
}

static int
decode_auth(json_object *v, int create, struct webhook *w,
    struct wh_errors *errs)
{
	json_object	*u = NULL, *p = NULL;
	size_t		 before = errs->count;

	if (v == NULL || json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_object)) {
		webhook_error(errs, "auth", "must be an object "
		    "{username, password}");
		return -1;
	}
	json_object_object_get_ex(v, "username", &u);
	json_object_object_get_ex(v, "password", &p);
	if (u != NULL && json_object_is_type(u, json_type_null))
		u = NULL;
	if (p != NULL && json_object_is_type(p, json_type_null))
		p = NULL;
	/* {}, and seed 002's {"username": "", "password": ""}: none. */
	if ((u == NULL || (json_object_is_type(u, json_type_string) &&
	    json_object_get_string_len(u) == 0)) &&
	    (p == NULL || (json_object_is_type(p, json_type_string) &&
	    json_object_get_string_len(p) == 0)))
		return 0;
	if (u == NULL)
		webhook_error(errs, "auth.username", "is required");
	else if (check_text(u, 1, WH_AUTH_MAX, 0, "auth.username", errs)
	    == 0 && strchr(json_object_get_string(u), ':') != NULL)
		webhook_error(errs, "auth.username", "must not contain ':'");
	if (p == NULL)
		webhook_error(errs, "auth.password", "is required");
	else if (check_text(p, 1, WH_AUTH_MAX, 0, "auth.password", errs)
	    == 0 && create &&
	    strcmp(json_object_get_string(p), PASSWORD_MASK) == 0)
		webhook_error(errs, "auth.password", "%s is the mask of a "
		    "stored password; send the password itself", PASSWORD_MASK);
	if (errs->count > before)
		return -1;
	w->auth_user = xstrdup(json_object_get_string(u));
	/* The mask on update: keep the stored password (auth_pass NULL). */
	if (strcmp(json_object_get_string(p), PASSWORD_MASK) != 0)
		w->auth_pass = xstrdup(json_object_get_string(p));
	return 0;
}

static int
decode_token(json_object *v, struct webhook *w, struct wh_errors *errs)
{

	if (v == NULL || json_object_is_type(v, json_type_null) ||
	    (json_object_is_type(v, json_type_string) &&
	    json_object_get_string_len(v) == 0)) {
		w->token = webhook_new_secret();
		return 0;
	}
	if (check_text(v, 1, WH_TOKEN_MAX, 0, "token", errs) == -1)
		return -1;
	if (check_secret(json_object_get_string(v), errs) == -1)
		return -1;
	w->token = xstrdup(json_object_get_string(v));
	return 0;
}

static int
decode_events(json_object *v, struct webhook *w, struct wh_errors *errs)
{
	json_object	*e;
	size_t		 i, n, before = errs->count;
	char		 f[64];

	if (v == NULL || json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_array)) {
		webhook_error(errs, "events", "must be an array of event "
		    "names");
		return -1;
	}
	n = json_object_array_length(v);
	if (n > WH_EVENTS_MAX) {
		webhook_error(errs, "events", "at most %d events",
		    WH_EVENTS_MAX);
		return -1;
	}
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(v, i);
		snprintf(f, sizeof(f), "events[%zu]", i);
		if (!json_object_is_type(e, json_type_string) ||
		    !is_event_name(json_object_get_string(e),
		    (size_t)json_object_get_string_len(e))) {
			webhook_error(errs, f, "must be \"*\" or an event "
			    "type of " EVENT_TYPE_RULE);
			continue;
		}
		add_event(w, json_object_get_string(e));
	}
	return errs->count > before ? -1 : 0;
}

/* Seed 003's settings: adds the "true" entries to w's events.  *entries
 * counts the entries seen. */
static int
decode_settings(json_object *v, struct webhook *w, size_t *entries,
    struct wh_errors *errs)
{
	struct json_object_iterator	 it, end;
	const char			*key;
	size_t				 before = errs->count;
	char				 f[64];
	int				 on;

	*entries = 0;
	if (v == NULL || json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_object)) {
		webhook_error(errs, "settings", "must be an object "
		    "{\"event_name\": \"true\" or \"false\"}");
		return -1;
	}
	it = json_object_iter_begin(v);
	end = json_object_iter_end(v);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		key = json_object_iter_peek_name(&it);
		(*entries)++;
		if (!is_event_name(key, strlen(key))) {
			webhook_error(errs, "settings", "event names are "
			    EVENT_TYPE_RULE);
			continue;
		}
		if (strlen(key) <= KEY_IN_FIELD_MAX)
			snprintf(f, sizeof(f), "settings.%.*s",
			    KEY_IN_FIELD_MAX, key);
		else
			snprintf(f, sizeof(f), "settings");
		if (get_bool(json_object_iter_peek_value(&it), &on) == -1) {
			webhook_error(errs, f, "must be \"true\" or \"false\"");
			continue;
		}
		if (on)
			add_event(w, key);
	}
	return errs->count > before ? -1 : 0;
}

static int
decode_max_attempts(json_object *v, struct webhook *w, struct wh_errors *errs)
{
	int64_t	 n;

	if (!json_object_is_type(v, json_type_int)) {
		webhook_error(errs, "max_attempts", "must be an integer from 1 "
		    "to %d", WH_ATTEMPTS_MAX);
		return -1;
	}
	n = json_object_get_int64(v);
	if (n < 1 || n > WH_ATTEMPTS_MAX) {
		webhook_error(errs, "max_attempts", "must be an integer from 1 "
		    "to %d", WH_ATTEMPTS_MAX);
		return -1;
	}
	w->max_attempts = (int)n;
	return 0;
}

static int
decode_method(json_object *v, struct webhook *w, struct wh_errors *errs)
{
	const char	*s;

	if (json_object_is_type(v, json_type_string)) {
		s = json_object_get_string(v);
		if (strcasecmp(s, "POST") == 0)
			w->method = WH_POST;
		else if (strcasecmp(s, "PUT") == 0)
			w->method = WH_PUT;
		else if (strcasecmp(s, "PATCH") == 0)
			w->method = WH_PATCH;
		else
			s = NULL;
		if (s != NULL && strlen(s) ==
		    (size_t)json_object_get_string_len(v))
			return 0;
	}
	webhook_error(errs, "http_method", "must be POST, PUT or PATCH");
	return -1;
}

/*
 * The rules across fields, on the webhook a create or update would store:
 * basic auth and an Authorization header of its own both set the request's
 * Authorization, and only one would reach the receiver (libcurl sends the
 * custom header and drops the basic auth without a word).
 */
static void
check_combined(const struct webhook *w, struct wh_errors *errs)
{
	size_t	 i;

	if (w->auth_user == NULL)
		return;
	for (i = 0; i < w->nheaders; i++)
		if (strcasecmp(w->headers[i].name, "Authorization") == 0) {
			webhook_error(errs, "auth", "basic auth and an "
			    "Authorization header cannot both be set; remove "
			    "one of them");
			return;
		}
}

int
webhook_decode(json_object *body, int create, struct wh_input *in,
    struct wh_errors *errs)
{
	json_object	*o, *v, *ev, *st;
	const char	*msg;
	size_t		 entries = 0;
	int		 envelope = 0, bad;

	memset(in, 0, sizeof(*in));
	in->w.method = WH_POST;
	in->w.active = 1;
	in->w.max_attempts = WH_ATTEMPTS_DEFAULT;
	errs->n = errs->count = 0;

	if (body == NULL || !json_object_is_type(body, json_type_object)) {
		webhook_error(errs, "body", "must be a JSON object");
		return -1;
	}
	o = body;
	/* Seed 003 wraps the webhook: {"webhook": {...}}. */
	if (json_object_object_get_ex(body, "webhook", &v) &&
	    json_object_is_type(v, json_type_object)) {
		o = v;
		envelope = 1;
	}

	if (json_object_object_get_ex(o, "name", &v)) {
		in->set |= WF_NAME;
		if (check_text(v, 1, WH_NAME_MAX, 0, "name", errs) == 0)
			in->w.name = xstrdup(json_object_get_string(v));
	} else if (create || envelope)
		webhook_error(errs, "name", "is required");

	if (json_object_object_get_ex(o, "url", &v)) {
		in->set |= WF_URL;
		if (!json_object_is_type(v, json_type_string))
			webhook_error(errs, "url", "must be a string");
		else if ((size_t)json_object_get_string_len(v) !=
		    strlen(json_object_get_string(v)))
			webhook_error(errs, "url", "must not contain NUL");
		else if ((msg = check_url_string(json_object_get_string(v),
		    (size_t)json_object_get_string_len(v))) != NULL)
			webhook_error(errs, "url", "%s", msg);
		else
			in->w.url = xstrdup(json_object_get_string(v));
	} else if (create || envelope)
		webhook_error(errs, "url", "is required");

	if (json_object_object_get_ex(o, "http_method", &v)) {
		in->set |= WF_METHOD;
		decode_method(v, &in->w, errs);
	} else if (envelope)
		webhook_error(errs, "http_method", "is required");

	if (json_object_object_get_ex(o, "headers", &v)) {
		in->set |= WF_HEADERS;
		decode_headers(v, &in->w, errs);
	}

	if (json_object_object_get_ex(o, "auth", &v)) {
		in->set |= WF_AUTH;
		decode_auth(v, create, &in->w, errs);
	}

	/* On update an empty token keeps the secret: seed 002's own update
	 * example sends "token": "", and rotating a signing secret by
	 * accident breaks every receiver. */
	if (json_object_object_get_ex(o, "token", &v) && (create ||
	    !(v == NULL || json_object_is_type(v, json_type_null) ||
	    (json_object_is_type(v, json_type_string) &&
	    json_object_get_string_len(v) == 0)))) {
		in->set |= WF_TOKEN;
		decode_token(v, &in->w, errs);
	}

	ev = st = NULL;
	json_object_object_get_ex(o, "events", &ev);
	if (!json_object_object_get_ex(o, "settings", &st) && envelope)
		webhook_error(errs, "settings", "is required");
	if (ev != NULL || st != NULL) {
		in->set |= WF_EVENTS;
		bad = decode_events(ev, &in->w, errs);
		bad |= decode_settings(st, &in->w, &entries, errs);
		if (bad == 0) {
			if (in->w.nevents > WH_EVENTS_MAX)
				webhook_error(errs, "events", "at most %d "
				    "events", WH_EVENTS_MAX);
			else if (in->w.nevents == 0 && entries > 0 &&
			    (ev == NULL || json_object_is_type(ev,
			    json_type_null) ||
			    json_object_array_length(ev) == 0))
				webhook_error(errs, "settings", "subscribes to "
				    "no event: set at least one to \"true\"");
		}
		/* No name (or "*" among them) means every event. */
		{
			size_t	 i;
			int	 all = in->w.nevents == 0;

			for (i = 0; i < in->w.nevents; i++)
				if (strcmp(in->w.events[i], "*") == 0)
					all = 1;
			if (all) {
				free_events(&in->w);
				add_event(&in->w, "*");
			}
		}
	}

	if (json_object_object_get_ex(o, "active", &v)) {
		in->set |= WF_ACTIVE;
		if (get_bool(v, &in->w.active) == -1)
			webhook_error(errs, "active", "must be true or false");
	} else if (envelope)
		webhook_error(errs, "active", "is required");

	if (json_object_object_get_ex(o, "max_attempts", &v)) {
		in->set |= WF_MAX_ATTEMPTS;
		decode_max_attempts(v, &in->w, errs);
	}

	if (errs->count == 0)
		check_combined(&in->w, errs);
	return errs->count > 0 ? -1 : 0;
}

void
webhook_input_free(struct wh_input *in)
{
	webhook_free(&in->w);
	in->set = 0;
}

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
webhook_init(struct webhook *w, const char *team)
{
	memset(w, 0, sizeof(*w));
	util_uuid4(w->uuid);
	w->team = xstrdup(team != NULL ? team : "");
	w->name = xstrdup("");
	w->url = xstrdup("");
	w->method = WH_POST;
	add_event(w, "*");
	w->active = 1;
	w->max_attempts = WH_ATTEMPTS_DEFAULT;
	w->token = webhook_new_secret();
	w->created_at = w->updated_at = util_now_ms();
}

static void
replace(char **dst, const char *src)
{
	char	*old = *dst;

	*dst = src != NULL ? xstrdup(src) : NULL;
	free(old);
}

void
webhook_apply(struct webhook *w, const struct wh_input *in)
{
	const struct webhook	*s = &in->w;
	size_t			 i;

	if (in->set & WF_NAME)
		replace(&w->name, s->name);
	if (in->set & WF_URL)
		replace(&w->url, s->url);
	if (in->set & WF_METHOD)
		w->method = s->method;
	if (in->set & WF_HEADERS) {
		free_headers(w);
		if (s->nheaders > 0)
			w->headers = xcalloc(s->nheaders, sizeof(*w->headers));
		for (i = 0; i < s->nheaders; i++) {
			w->headers[i].name = xstrdup(s->headers[i].name);
			w->headers[i].value = xstrdup(s->headers[i].value);
		}
		w->nheaders = s->nheaders;
	}
	if (in->set & WF_AUTH) {
		if (s->auth_user != NULL && s->auth_pass == NULL &&
		    w->auth_pass != NULL) {
			/* The mask: a new user name, the stored password. */
			replace(&w->auth_user, s->auth_user);
		} else if (s->auth_user != NULL && s->auth_pass != NULL) {
			replace(&w->auth_user, s->auth_user);
			replace(&w->auth_pass, s->auth_pass);
		} else {
			/* None, or the mask with no password stored. */
			replace(&w->auth_user, NULL);
			replace(&w->auth_pass, NULL);
		}
	}
	if ((in->set & WF_TOKEN) && s->token != NULL)
		replace(&w->token, s->token);
	if (in->set & WF_EVENTS) {
		free_events(w);
		for (i = 0; i < s->nevents; i++)
			add_event(w, s->events[i]);
		if (w->nevents == 0)
			add_event(w, "*");
	}
	if (in->set & WF_ACTIVE)
		w->active = s->active;
	if (in->set & WF_MAX_ATTEMPTS)
		w->max_attempts = s->max_attempts;
	w->updated_at = util_now_ms();
}

void
webhook_free(struct webhook *w)
{
	free(w->team);
	free(w->name);
	free(w->url);
	free_headers(w);
	free(w->auth_user);
	free(w->auth_pass);
	free(w->token);
	free_events(w);
	free(w->error_date);
	free(w->error_msg);
	memset(w, 0, sizeof(*w));
}

void
webhook_redact(struct webhook *w)
{
	size_t	 i;

	if (w->token != NULL) {
		free(w->token);
		w->token = xstrdup(PASSWORD_MASK);
	}
	for (i = 0; i < w->nheaders; i++) {
		free(w->headers[i].value);
		w->headers[i].value = xstrdup(PASSWORD_MASK);
	}
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

/* ---- the stored record ------------------------------------------------- */

static json_object *
jstr(const char *s)
{
	return json_object_new_string(s != NULL ? s : "");
}

/*
 * A record starts with the webhook's union members as webhook_json_members
 * writes them (the "view"), its length in front, so that a GET or a list
 * answers from the record's bytes without reading it into a struct and
 * writing it again (that was two thirds of a list page's instructions):
 *   {"v":1,"view_v":1,"view_len":N,"view":{...N bytes...},"uuid":...}
 * view_v is the version of webhook_json_members' output: change it with
 * that output, and records written before are rendered afresh instead.
 * Readers that want the fields skip the view.
 */
#define VIEW_VERSION	1
#define STR_(x)		#x
#define STR(x)		STR_(x)
#define VIEW_AFTER	"{\"v\":" STR(WEBHOOK_RECORD_VERSION) ","
#define VIEW_PREFIX	VIEW_AFTER "\"view_v\":" STR(VIEW_VERSION) \
			",\"view_len\":"

char *
webhook_to_record(const struct webhook *w)
{
	json_object	*j, *a, *o;
	struct buf	 b, view;
	const char	*rest;
	char		 num[24];
	size_t		 i;

	j = json_object_new_object();
	json_object_object_add(j, "v",
	    json_object_new_int(WEBHOOK_RECORD_VERSION));
	json_object_object_add(j, "uuid", jstr(w->uuid));
	json_object_object_add(j, "team", jstr(w->team));
	json_object_object_add(j, "name", jstr(w->name));
	json_object_object_add(j, "url", jstr(w->url));
	json_object_object_add(j, "http_method",
	    jstr(webhook_method_name(w->method)));
	a = json_object_new_array();
	for (i = 0; i < w->nheaders; i++) {
		o = json_object_new_object();
		json_object_object_add(o, "name", jstr(w->headers[i].name));
		json_object_object_add(o, "value", jstr(w->headers[i].value));
		json_object_array_add(a, o);
	}
	json_object_object_add(j, "headers", a);
	if (w->auth_user != NULL) {
		o = json_object_new_object();
		json_object_object_add(o, "username", jstr(w->auth_user));
		json_object_object_add(o, "password", jstr(w->auth_pass));
		json_object_object_add(j, "auth", o);
	} else
		json_object_object_add(j, "auth", NULL);
	json_object_object_add(j, "token", jstr(w->token));
	a = json_object_new_array();
	for (i = 0; i < w->nevents; i++)
		json_object_array_add(a, jstr(w->events[i]));
	json_object_object_add(j, "events", a);
	json_object_object_add(j, "active",
	    json_object_new_boolean(w->active ? 1 : 0));
	json_object_object_add(j, "max_attempts",
	    json_object_new_int(w->max_attempts));
	if (w->error_date != NULL || w->error_msg != NULL) {
		o = json_object_new_object();
		json_object_object_add(o, "date", jstr(w->error_date));
		json_object_object_add(o, "message", jstr(w->error_msg));
		json_object_object_add(j, "error", o);
	} else
		json_object_object_add(j, "error", NULL);
	json_object_object_add(j, "fail_since",
	    json_object_new_int64(w->fail_since));
	json_object_object_add(j, "created_at",
	    json_object_new_int64(w->created_at));
	json_object_object_add(j, "updated_at",
	    json_object_new_int64(w->updated_at));
	rest = json_object_to_json_string_ext(j,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (strncmp(rest, VIEW_AFTER, sizeof(VIEW_AFTER) - 1) != 0)
		log_panic("webhook_to_record: json-c wrote %.16s", rest);
	/* The view first, its length in front (see webhook_record_view). */
	buf_init(&view);
	buf_putc(&view, '{');
	webhook_json_members(&view, w);
	buf_putc(&view, '}');
	buf_init(&b);
	buf_puts(&b, VIEW_PREFIX);
	snprintf(num, sizeof(num), "%zu", view.len);
	buf_puts(&b, num);
	buf_puts(&b, ",\"view\":");
	buf_add(&b, view.p, view.len);
	buf_puts(&b, rest + sizeof(VIEW_AFTER) - 2);
	json_object_put(j);
	buf_free(&view);
	return buf_take(&b);
}

int
webhook_record_view(const char *rec, size_t len, const char **members,
    size_t *mlen)
{
	const char	*p, *end = rec + len;
	size_t		 n = 0;

	if (len < sizeof(VIEW_PREFIX) - 1 ||
	    memcmp(rec, VIEW_PREFIX, sizeof(VIEW_PREFIX) - 1) != 0)
		return 0;
	for (p = rec + sizeof(VIEW_PREFIX) - 1; p < end && *p >= '0' &&
	    *p <= '9' && n < 100000000; p++)
		n = n * 10 + (size_t)(*p - '0');
	if (end - p < 8 || memcmp(p, ",\"view\":", 8) != 0)
		return 0;
	p += 8;
	if (n < 2 || (size_t)(end - p) < n || p[0] != '{' || p[n - 1] != '}')
		return 0;
	*members = p + 1;
	*mlen = n - 2;
	return 1;
}

/* The string member key of o, or NULL when absent or of another type. */
static const char *
rec_str(json_object *o, const char *key)
{
	json_object	*v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static char *
rec_strdup(json_object *o, const char *key, const char *def)
{
	const char	*s;

	if ((s = rec_str(o, key)) != NULL)
		return xstrdup(s);
	return def != NULL ? xstrdup(def) : NULL;
}

static int64_t
rec_int(json_object *o, const char *key, int64_t def)
{
	json_object	*v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return def;
	return json_object_get_int64(v);
}

/*
 * The quick reader of records.  Parsing a record with json-c builds a tree
 * of objects and hash tables and costs ~45,000 instructions, most of a GET
 * and of each item of a list.  This reader walks the text once and fills
 * the struct directly, but only for the shape webhook_to_record writes:
 * the known keys, each at most once, each with the type it is written with
 * (or null where the writer puts null), integers without fraction or
 * exponent, strings without \u escapes or raw control bytes, nothing after
 * the object.  On anything else it answers QR_OTHER and the caller reads
 * the record with json-c, so that what a record means is decided in one
 * place (the json-c reader below) and this is only a faster road to the
 * same result.
 */
enum qr { QR_OK = 0, QR_OTHER };

struct qrd {
	const char	*p;
};

static void
qr_ws(struct qrd *r)
{
	while (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r')
		r->p++;
}

/* Skips white space and c; QR_OTHER if the next byte is not c. */
static enum qr
qr_expect(struct qrd *r, char c)
{
	qr_ws(r);
	if (*r->p != c)
		return QR_OTHER;
	r->p++;
	return QR_OK;
}

/* A string into *out (the caller frees it). */
static enum qr
qr_str(struct qrd *r, char **out)
{
	const char	*q;
	char		*d;

	if (qr_expect(r, '"') != QR_OK)
		return QR_OTHER;
	for (q = r->p; *q != '"' && *q != '\\'; q++)
		if ((unsigned char)*q < 0x20)
			return QR_OTHER;
	if (*q == '"') {
		*out = xstrndup(r->p, (size_t)(q - r->p));
		r->p = q + 1;
		return QR_OK;
	}
	for (q = r->p; *q != '"'; q++) {
		if ((unsigned char)*q < 0x20)
			return QR_OTHER;
		if (*q == '\\' && *++q == '\0')
			return QR_OTHER;
	}
	d = *out = xmalloc((size_t)(q - r->p) + 1);
	for (q = r->p; *q != '"'; q++) {
		if (*q != '\\') {
			*d++ = *q;
			continue;
		}
		switch (*++q) {
		case '"':
		case '\\':
		case '/':
			*d++ = *q;
			break;
		case 'b':
			*d++ = '\b';
			break;
		case 'f':
			*d++ = '\f';
			break;
		case 'n':
			*d++ = '\n';
			break;
		case 'r':
			*d++ = '\r';
			break;
		case 't':
			*d++ = '\t';
			break;
		default:
			free(*out);
			*out = NULL;
			return QR_OTHER;
		}
	}
	*d = '\0';
	r->p = q + 1;
	return QR_OK;
}

/* A string replacing *dst (freed first). */
static enum qr
qr_str_into(struct qrd *r, char **dst)
{
	char	*s;

	if (qr_str(r, &s) != QR_OK)
		return QR_OTHER;
	free(*dst);
	*dst = s;
	return QR_OK;
}

/* An integer of at most 18 digits, no leading zero, fraction or exponent. */
static enum qr
qr_int(struct qrd *r, int64_t *out)
{
	const char	*q;
	int64_t		 v = 0;
	int		 neg = 0;

	qr_ws(r);
	q = r->p;
	if (*q == '-') {
		neg = 1;
		q++;
	}
	if (*q < '0' || *q > '9' || (*q == '0' && q[1] >= '0' && q[1] <= '9'))
		return QR_OTHER;
	for (; *q >= '0' && *q <= '9'; q++) {
		if (q - r->p >= 18)
			return QR_OTHER;
		v = v * 10 + (*q - '0');
	}
	if (*q == '.' || *q == 'e' || *q == 'E')
		return QR_OTHER;
	*out = neg ? -v : v;
	r->p = q;
	return QR_OK;
}

/* 1 and the word skipped if the next value is the literal word, else 0. */
static int
qr_word(struct qrd *r, const char *word)
{
	size_t	 n = strlen(word);

	qr_ws(r);
	if (strncmp(r->p, word, n) != 0)
		return 0;
	r->p += n;
	return 1;
}

/*
 * An object of exactly the two string members k1 and k2, in either order,
 * into *v1 and *v2 (the caller frees them, also on QR_OTHER).
 */
static enum qr
qr_pair(struct qrd *r, const char *k1, char **v1, const char *k2, char **v2)
{
	char	*key = NULL, **dst;
	int	 i;

	if (qr_expect(r, '{') != QR_OK)
		return QR_OTHER;
	for (i = 0; i < 2; i++) {
		if ((i == 1 && qr_expect(r, ',') != QR_OK) ||
		    qr_str(r, &key) != QR_OK)
			return QR_OTHER;
		dst = strcmp(key, k1) == 0 ? v1 : strcmp(key, k2) == 0 ? v2 :
		    NULL;
		free(key);
		if (dst == NULL || *dst != NULL || qr_expect(r, ':') != QR_OK ||
		    qr_str(r, dst) != QR_OK)
			return QR_OTHER;
	}
	return qr_expect(r, '}');
}

/* The record's top-level keys, each allowed once. */
#define QR_KEY(s)	{ s, sizeof(s) - 1 }
static const struct {
	const char	*s;
	size_t		 n;
} qr_keys[] = {
	QR_KEY("v"), QR_KEY("uuid"), QR_KEY("team"), QR_KEY("name"),
	QR_KEY("url"), QR_KEY("http_method"), QR_KEY("headers"),
	QR_KEY("auth"), QR_KEY("token"), QR_KEY("events"), QR_KEY("active"),
	QR_KEY("max_attempts"), QR_KEY("error"), QR_KEY("fail_since"),
	QR_KEY("created_at"), QR_KEY("updated_at"),
	QR_KEY("view_v"), QR_KEY("view_len"), QR_KEY("view"),
};
#define QR_VIEW_V	16
#define QR_VIEW_LEN	17
#define QR_VIEW		18
#define QR_NKEYS (sizeof(qr_keys) / sizeof(qr_keys[0]))

/* One member's value into w; k indexes qr_keys. */
static enum qr
qr_member(struct qrd *r, size_t k, struct webhook *w, int64_t *ver)
{
	char	*s = NULL, *n, *v;
	enum qr	 rc;

	switch (k) {
	case 0:
		return qr_int(r, ver);
	case 1:
		if (qr_str(r, &s) != QR_OK || !util_is_uuid(s)) {
			free(s);
			return QR_OTHER;
		}
		memcpy(w->uuid, s, 37);
		free(s);
		return QR_OK;
	case 2:
		return qr_str_into(r, &w->team);
	case 3:
		return qr_str_into(r, &w->name);
	case 4:
		return qr_str_into(r, &w->url);
	case 5:
		if (qr_str(r, &s) != QR_OK)
			return QR_OTHER;
		w->method = strcmp(s, "PUT") == 0 ? WH_PUT :
		    strcmp(s, "PATCH") == 0 ? WH_PATCH : WH_POST;
		free(s);
		return QR_OK;
	case 6:
		if (qr_expect(r, '[') != QR_OK)
			return QR_OTHER;
		if (qr_expect(r, ']') == QR_OK)
			return QR_OK;
		do {
			n = v = NULL;
			rc = qr_pair(r, "name", &n, "value", &v);
			w->headers = xrealloc(w->headers,
			    (w->nheaders + 1) * sizeof(*w->headers));
			w->headers[w->nheaders].name = n != NULL ? n : xstrdup("");
			w->headers[w->nheaders].value = v != NULL ? v :
			    xstrdup("");
			w->nheaders++;
			if (rc != QR_OK)
				return QR_OTHER;
		} while (qr_expect(r, ',') == QR_OK);
		return qr_expect(r, ']');
	case 7:
		if (qr_word(r, "null"))
			return QR_OK;
		return qr_pair(r, "username", &w->auth_user, "password",
		    &w->auth_pass);
	case 8:
		return qr_str_into(r, &w->token);
	case 9:
		if (qr_expect(r, '[') != QR_OK)
			return QR_OTHER;
		if (qr_expect(r, ']') == QR_OK)
			return QR_OK;
		do {
			if (qr_str(r, &s) != QR_OK)
				return QR_OTHER;
			add_event(w, s);
			free(s);
		} while (qr_expect(r, ',') == QR_OK);
		return qr_expect(r, ']');
	case 10:
		if (qr_word(r, "true"))
			w->active = 1;
		else if (qr_word(r, "false"))
			w->active = 0;
		else
			return QR_OTHER;
		return QR_OK;
	case 11: {
		int64_t	 a;

		if (qr_int(r, &a) != QR_OK)
			return QR_OTHER;
		w->max_attempts = a < 1 || a > WH_ATTEMPTS_MAX ?
		    WH_ATTEMPTS_DEFAULT : (int)a;
		return QR_OK;
	}
	case 12:
		if (qr_word(r, "null"))
			return QR_OK;
		return qr_pair(r, "date", &w->error_date, "message",
		    &w->error_msg);
	case 13:
		return qr_int(r, &w->fail_since);
	case 14:
		return qr_int(r, &w->created_at);
	default:
		return qr_int(r, &w->updated_at);
	}
}

/* QR_OK with w filled, or QR_OTHER with w empty. */
static enum qr
quick_from_record(const char *json, struct webhook *w)
{
	struct qrd	 r;
	const char	*key;
	unsigned	 seen = 0;
	int64_t		 ver = -1, vlen = -1, vver = -1;
	size_t		 k;

	memset(w, 0, sizeof(*w));
	w->method = WH_POST;
	w->active = 1;
	w->max_attempts = WH_ATTEMPTS_DEFAULT;
	r.p = json;
	if (qr_expect(&r, '{') != QR_OK)
		goto other;
	do {
		/* Keys are compared in place: an escaped key is not ours. */
		if (qr_expect(&r, '"') != QR_OK)
			goto other;
		key = strchr(r.p, '"');
		if (key == NULL)
			goto other;
		for (k = 0; k < QR_NKEYS; k++)
			if (qr_keys[k].n == (size_t)(key - r.p) &&
			    memcmp(r.p, qr_keys[k].s, qr_keys[k].n) == 0)
				break;
		r.p = key + 1;
		if (k == QR_NKEYS || seen & (1u << k))
			goto other;
		seen |= 1u << k;
		if (qr_expect(&r, ':') != QR_OK)
			goto other;
		if (k == QR_VIEW_V || k == QR_VIEW_LEN) {
			if (qr_int(&r, k == QR_VIEW_LEN ? &vlen : &vver) !=
			    QR_OK)
				goto other;
			continue;
		}
		if (k == QR_VIEW) {
			/* Skipped by its length: the fields follow. */
			qr_ws(&r);
			if (vlen < 2 || *r.p != '{' ||
			    strnlen(r.p, (size_t)vlen) != (size_t)vlen ||
			    r.p[vlen - 1] != '}')
				goto other;
			r.p += vlen;
			continue;
		}
		if (qr_member(&r, k, w, &ver) != QR_OK)
			goto other;
	} while (qr_expect(&r, ',') == QR_OK);
	if (qr_expect(&r, '}') != QR_OK)
		goto other;
	qr_ws(&r);
	/* Version and uuid are the json-c reader's to refuse (and log). */
	if (*r.p != '\0' || ver != WEBHOOK_RECORD_VERSION || !(seen & 2u))
		goto other;
	if (w->team == NULL)
		w->team = xstrdup("");
	if (w->name == NULL)
		w->name = xstrdup("");
	if (w->url == NULL)
		w->url = xstrdup("");
	if (w->token == NULL)
		w->token = xstrdup("");
	if (w->nevents == 0)
		add_event(w, "*");
	if (!(seen & (1u << 15)))
		w->updated_at = w->created_at;
	return QR_OK;

other:
	webhook_free(w);
	return QR_OTHER;
}

/*
 * Reads a record.  Every field but "v" and "uuid" is optional and takes its
 * default when absent or of the wrong type, so that a record written by an
 * older build (or mended by hand) still loads; a version newer than this
 * build knows is refused rather than half understood.
 */
int
webhook_from_record(const char *json, struct webhook *w)
{
	json_object	*j, *v, *e, *o;
	const char	*s, *n, *val;
	size_t		 i;
	int64_t		 ver;

	if (json != NULL && quick_from_record(json, w) == QR_OK)
		return 0;
	memset(w, 0, sizeof(*w));
	if (json == NULL || (j = json_tokener_parse(json)) == NULL) {
		log_warn("webhook_from_record: not JSON");
		return -1;
	}
	if (!json_object_is_type(j, json_type_object)) {
		log_warn("webhook_from_record: not a JSON object");
		goto fail;
	}
	ver = rec_int(j, "v", -1);
	if (ver != WEBHOOK_RECORD_VERSION) {
		log_warn("webhook_from_record: record version %lld, this "
		    "build reads %d", (long long)ver, WEBHOOK_RECORD_VERSION);
		goto fail;
	}
	if ((s = rec_str(j, "uuid")) == NULL || !util_is_uuid(s)) {
		log_warn("webhook_from_record: no uuid");
		goto fail;
	}
	memcpy(w->uuid, s, 37);
	w->team = rec_strdup(j, "team", "");
	w->name = rec_strdup(j, "name", "");
	w->url = rec_strdup(j, "url", "");
	w->method = WH_POST;
	if ((s = rec_str(j, "http_method")) != NULL) {
		if (strcmp(s, "PUT") == 0)
			w->method = WH_PUT;
		else if (strcmp(s, "PATCH") == 0)
			w->method = WH_PATCH;
	}
	if (json_object_object_get_ex(j, "headers", &v) &&
	    json_object_is_type(v, json_type_array)) {
		for (i = 0; i < json_object_array_length(v); i++) {
			e = json_object_array_get_idx(v, i);
			if ((n = rec_str(e, "name")) == NULL ||
			    (val = rec_str(e, "value")) == NULL)
				continue;
			w->headers = xrealloc(w->headers,
			    (w->nheaders + 1) * sizeof(*w->headers));
			w->headers[w->nheaders].name = xstrdup(n);
			w->headers[w->nheaders].value = xstrdup(val);
			w->nheaders++;
		}
	}
	if (json_object_object_get_ex(j, "auth", &o) &&
	    json_object_is_type(o, json_type_object) &&
	    rec_str(o, "username") != NULL) {
		w->auth_user = rec_strdup(o, "username", NULL);
		w->auth_pass = rec_strdup(o, "password", "");
	}
	w->token = rec_strdup(j, "token", "");
	if (json_object_object_get_ex(j, "events", &v) &&
	    json_object_is_type(v, json_type_array)) {
		for (i = 0; i < json_object_array_length(v); i++) {
			e = json_object_array_get_idx(v, i);
			if (json_object_is_type(e, json_type_string))
				add_event(w, json_object_get_string(e));
		}
	}
	if (w->nevents == 0)
		add_event(w, "*");
	w->active = 1;
	if (json_object_object_get_ex(j, "active", &v) &&
	    json_object_is_type(v, json_type_boolean))
		w->active = json_object_get_boolean(v) ? 1 : 0;
	w->max_attempts = (int)rec_int(j, "max_attempts", WH_ATTEMPTS_DEFAULT);
	if (w->max_attempts < 1 || w->max_attempts > WH_ATTEMPTS_MAX)
		w->max_attempts = WH_ATTEMPTS_DEFAULT;
	if (json_object_object_get_ex(j, "error", &o) &&
	    json_object_is_type(o, json_type_object)) {
		w->error_date = rec_strdup(o, "date", "");
		w->error_msg = rec_strdup(o, "message", "");
	}
	w->fail_since = rec_int(j, "fail_since", 0);
	w->created_at = rec_int(j, "created_at", 0);
	w->updated_at = rec_int(j, "updated_at", w->created_at);
	json_object_put(j);
	return 0;

fail:
	json_object_put(j);
	webhook_free(w);
	return -1;
}

/* ---- the union JSON ---------------------------------------------------- */

json_object *
webhook_to_json(const struct webhook *w)
{
	struct buf	 b;
	json_object	*j;

	buf_init(&b);
	buf_putc(&b, '{');
	webhook_json_members(&b, w);
	buf_putc(&b, '}');
	if ((j = json_tokener_parse(b.p)) == NULL)
		log_panic("webhook_to_json: webhook_json_members wrote bad JSON");
	buf_free(&b);
	return j;
}

/* s as a JSON string; NULL as "" (as jstr does). */
static void
put_str(struct buf *b, const char *s)
{
	buf_json_str(b, s != NULL ? s : "");
}

/* 1 if headers[0..i) holds a name equal to headers[i].name. */
static int
header_seen(const struct webhook *w, size_t i)
{
	size_t	 k;

	for (k = 0; k < i; k++)
		if (strcmp(w->headers[k].name, w->headers[i].name) == 0)
			return 1;
	return 0;
}

/*
 * The union members written straight into b, byte for byte what json-c's
 * plain, no-slash-escape output of the same object holds between its
 * braces (webhook_to_json parses them for the dialects that build on a
 * json-c object).  A repeated header name is written once, at its first
 * place with its last value, as json_object_object_add does with a
 * repeated key.
 */
void
webhook_json_members(struct buf *b, const struct webhook *w)
{
	char	 ts[UTIL_ISO_LEN];
	size_t	 i, k, last;

	buf_puts(b, "\"uuid\":");
	put_str(b, w->uuid);
	buf_puts(b, ",\"id\":");
	put_str(b, w->uuid);
	buf_puts(b, ",\"name\":");
	put_str(b, w->name);
	buf_puts(b, ",\"url\":");
	put_str(b, w->url);
	buf_puts(b, ",\"http_method\":");
	put_str(b, webhook_method_name(w->method));
	buf_puts(b, ",\"headers\":{");
	for (i = 0, k = 0; i < w->nheaders; i++) {
		if (header_seen(w, i))
			continue;
		for (last = w->nheaders - 1; strcmp(w->headers[last].name,
		    w->headers[i].name) != 0; last--)
			;
		if (k++ > 0)
			buf_putc(b, ',');
		put_str(b, w->headers[i].name);
		buf_putc(b, ':');
		put_str(b, w->headers[last].value);
	}
	buf_puts(b, "},\"auth\":{\"username\":");
	if (w->auth_user != NULL) {
		put_str(b, w->auth_user);
		buf_puts(b, ",\"password\":\"" PASSWORD_MASK "\"}");
	} else
		buf_puts(b, "\"\",\"password\":\"\"}");
	buf_puts(b, ",\"token\":");
	put_str(b, w->token);
	buf_puts(b, ",\"events\":[");
	for (i = 0; i < w->nevents; i++) {
		if (i > 0)
			buf_putc(b, ',');
		put_str(b, w->events[i]);
	}
	buf_puts(b, "],\"settings\":{");
	for (i = 0, k = 0; i < w->nevents; i++) {
		for (last = 0; last < i; last++)
			if (strcmp(w->events[last], w->events[i]) == 0)
				break;
		if (last < i)
			continue;
		if (k++ > 0)
			buf_putc(b, ',');
		put_str(b, w->events[i]);
		buf_puts(b, ":\"true\"");
	}
	buf_puts(b, w->active ? "},\"active\":true" : "},\"active\":false");
	if (w->max_attempts >= 0 && w->max_attempts < 100) {
		/* max_attempts is 1..20 once checked: no printf for it. */
		buf_puts(b, ",\"max_attempts\":");
		if (w->max_attempts >= 10)
			buf_putc(b, '0' + w->max_attempts / 10);
		buf_putc(b, '0' + w->max_attempts % 10);
	} else
		buf_printf(b, ",\"max_attempts\":%d", w->max_attempts);
	buf_puts(b, ",\"error\":");
	if (w->error_date != NULL || w->error_msg != NULL) {
		buf_puts(b, "{\"date\":");
		put_str(b, w->error_date);
		buf_puts(b, ",\"message\":");
		put_str(b, w->error_msg);
		buf_putc(b, '}');
	} else
		buf_puts(b, "null");
	util_iso8601(w->created_at, ts);
	buf_puts(b, ",\"created_at\":");
	put_str(b, ts);
	util_iso8601(w->updated_at, ts);
	buf_puts(b, ",\"updated_at\":");
	put_str(b, ts);
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

	if (webhook_from_record(old, &w) == -1)
		return -1;
	webhook_apply(&w, arg->in);
	memset(&arg->errs, 0, sizeof(arg->errs));
	check_combined(&w, &arg->errs);
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
