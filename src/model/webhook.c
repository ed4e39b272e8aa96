/*
 * webhook: the model.  A request body becomes a checked struct wh_input
 * through one function (webhook_decode) that walks the field table
 * (fields[], below) against the limits in webhook.h; a webhook becomes a
 * stored record (JSON with "v") and back; and the union JSON the dialects
 * start their answers from; each of them a loop over the same table.  Below the
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

/* ---- the shaped fields' decoders --------------------------------------- */

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


/* ---- reading and writing JSON text ------------------------------------ */

/* s as a JSON string; NULL as "". */
static void
put_str(struct buf *b, const char *s)
{
	buf_json_str(b, s != NULL ? s : "");
}

static void
replace(char **dst, const char *src)
{
	char	*old = *dst;

	*dst = src != NULL ? xstrdup(src) : NULL;
	free(old);
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
 * the record with json-c, so that what a record means is decided on the
 * json-c road (each field type's rec_get) and this one (its rec_quick) is
 * only a faster way to the same result.
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


/* ---- the field table --------------------------------------------------- */

/*
 * Every field of a webhook is one row of fields[] below: its key (the same
 * in a request body, the stored record and the union JSON), its type, where
 * it sits in struct webhook, the bit a body sets (WF_*), its limits and
 * flags.  A type is a set of handlers, one per thing done to a field:
 * decode a body's value, apply it to a webhook, free it, write it into the
 * record and read it back (json-c's road and the quick one), write it into
 * the union JSON, mask it.  The plain types (text, url, token, method,
 * bool, int, time) work from the row's offset and limits; the shaped ones
 * (headers, auth, events with seed 003's settings, error) are handlers of
 * their own.  webhook_decode, webhook_apply, webhook_free, webhook_redact,
 * webhook_to_record, webhook_from_record and webhook_json_members are loops
 * over the table.
 *
 * Adding a field: a member in struct webhook and a WF_ bit (webhook.h), a
 * row here, the admin form's template (and the dialects that spell it
 * otherwise).  The rows' order is the members' order in the record and in
 * the union JSON; a new member of the union JSON changes its bytes, so
 * VIEW_VERSION goes up with it (stored views are then written afresh).
 */
struct field;

struct ftype {
	/* v: the body's value under the row's key (NULL: absent or null);
	 * alt: under its second spelling.  Fills in->w; may take the row's
	 * bit out of in->set again (a value meaning "unchanged"). */
	void	(*decode)(const struct field *, json_object *v,
		    json_object *alt, int create, struct wh_input *,
		    struct wh_errors *);
	void	(*apply)(const struct field *, struct webhook *,
		    const struct webhook *src);
	void	(*free)(const struct field *, struct webhook *);
	/* dst is a shallow copy of src: give it its own copies. */
	void	(*copy)(const struct field *, struct webhook *dst,
		    const struct webhook *src);
	/* The record: written; read by json-c (v NULL when absent); read by
	 * the quick reader. */
	void	(*rec_put)(const struct field *, struct buf *,
		    const struct webhook *);
	void	(*rec_get)(const struct field *, json_object *v,
		    struct webhook *);
	enum qr	(*rec_quick)(const struct field *, struct qrd *,
		    struct webhook *);
	/* The union JSON. */
	void	(*json_put)(const struct field *, struct buf *,
		    const struct webhook *);
	/* The default (decode's start, a record's absent member). */
	void	(*init)(const struct field *, struct webhook *);
	/* After a record is read: what an absent member means. */
	void	(*settle)(const struct field *, struct webhook *);
	/* webhook_redact, for rows with FL_SECRET. */
	void	(*redact)(const struct field *, struct webhook *);
	/* A form's one input (rows with FL_FORM): its kind, and the value
	 * as the input's text. */
	enum wh_input_kind	 input;
	void	(*text)(const struct field *, struct buf *,
		    const struct webhook *);
};

#define FL_RECORD	0x01	/* a member of the stored record */
#define FL_JSON		0x02	/* a member of the union JSON */
#define FL_REQ_CREATE	0x04	/* a create body must send it */
#define FL_REQ_ENVELOPE	0x08	/* seed 003's envelope must send it (under
				   the second spelling when there is one) */
#define FL_SECRET	0x10	/* masked by webhook_redact */
#define FL_FORM		0x20	/* one input of a form (webhook_form_field) */

struct field {
	const char		*key;
	size_t			 klen;
	const char		*jkey;	/* ",\"key\":", klen + 4 bytes */
	const char		*alt;	/* a second spelling decode reads */
	const struct ftype	*type;
	size_t			 off;	/* in struct webhook */
	unsigned		 set;	/* WF_*, 0: not from a body */
	unsigned		 flags;	/* FL_* */
	int64_t			 min, max, def;
	const char		*label;	/* a form's name for it */
};

#define AT(f, w, T)	((T *)(void *)((char *)(w) + (f)->off))
#define CAT(f, w, T)	((const T *)(const void *)((const char *)(w) + \
			    (f)->off))

/* ---- plain types ---- */

static void
t_str_apply(const struct field *f, struct webhook *w, const struct webhook *s)
{
	replace(AT(f, w, char *), *CAT(f, s, char *));
}

static void
t_str_free(const struct field *f, struct webhook *w)
{
	free(*AT(f, w, char *));
	*AT(f, w, char *) = NULL;
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static void
t_str_copy(const struct field *f, struct webhook *d, const struct webhook *s)
{
	*AT(f, d, char *) = dup_or_null(*CAT(f, s, char *));
}

static void
t_str_put(const struct field *f, struct buf *b, const struct webhook *w)
{
	put_str(b, *CAT(f, w, char *));
}

static void
t_str_get(const struct field *f, json_object *v, struct webhook *w)
{
	if (json_object_is_type(v, json_type_string))
		replace(AT(f, w, char *), json_object_get_string(v));
}

static enum qr
t_str_quick(const struct field *f, struct qrd *r, struct webhook *w)
{
	return qr_str_into(r, AT(f, w, char *));
}

/* An absent string is "". */
static void
t_str_settle(const struct field *f, struct webhook *w)
{
	if (*AT(f, w, char *) == NULL)
		*AT(f, w, char *) = xstrdup("");
}

static void
t_str_redact(const struct field *f, struct webhook *w)
{
	if (*AT(f, w, char *) != NULL)
		replace(AT(f, w, char *), PASSWORD_MASK);
}

static void
t_str_text(const struct field *f, struct buf *b, const struct webhook *w)
{
	if (*CAT(f, w, char *) != NULL)
		buf_puts(b, *CAT(f, w, char *));
}

/* Text of min..max bytes (check_text). */
static void
t_text_decode(const struct field *f, json_object *v, json_object *alt,
    int create, struct wh_input *in, struct wh_errors *errs)
{
	(void)alt;
	(void)create;
	if (check_text(v, (size_t)f->min, (size_t)f->max, 0, f->key, errs)
	    == 0)
		replace(AT(f, &in->w, char *), json_object_get_string(v));
}

static void
t_url_decode(const struct field *f, json_object *v, json_object *alt,
    int create, struct wh_input *in, struct wh_errors *errs)
{
	const char	*msg;

	(void)alt;
	(void)create;
	if (!json_object_is_type(v, json_type_string))
		webhook_error(errs, f->key, "must be a string");
	else if ((size_t)json_object_get_string_len(v) !=
	    strlen(json_object_get_string(v)))
		webhook_error(errs, f->key, "must not contain NUL");
	else if ((msg = check_url_string(json_object_get_string(v),
	    (size_t)json_object_get_string_len(v))) != NULL)
		webhook_error(errs, f->key, "%s", msg);
	else
		replace(AT(f, &in->w, char *), json_object_get_string(v));
}

/*
 * The signing secret.  On update an empty token keeps the secret: seed
 * 002's own update example sends "token": "", and rotating a signing
 * secret by accident breaks every receiver.
 */
static void
t_token_decode(const struct field *f, json_object *v, json_object *alt,
    int create, struct wh_input *in, struct wh_errors *errs)
{
	(void)alt;
	if (!create && (v == NULL || (json_object_is_type(v,
	    json_type_string) && json_object_get_string_len(v) == 0))) {
		in->set &= ~f->set;
		return;
	}
	decode_token(v, &in->w, errs);
}

/* Applied only when the body carried one (decode leaves NULL otherwise). */
static void
t_token_apply(const struct field *f, struct webhook *w, const struct webhook *s)
{
	if (*CAT(f, s, char *) != NULL)
		t_str_apply(f, w, s);
}

static void
t_uuid_put(const struct field *f, struct buf *b, const struct webhook *w)
{
	put_str(b, CAT(f, w, char));
}

static void
t_uuid_get(const struct field *f, json_object *v, struct webhook *w)
{
	if (json_object_is_type(v, json_type_string) &&
	    util_is_uuid(json_object_get_string(v)))
		memcpy(AT(f, w, char), json_object_get_string(v), 37);
}

static enum qr
t_uuid_quick(const struct field *f, struct qrd *r, struct webhook *w)
{
	char	*s = NULL;

	if (qr_str(r, &s) != QR_OK || !util_is_uuid(s)) {
		free(s);
		return QR_OTHER;
	}
	memcpy(AT(f, w, char), s, 37);
	free(s);
	return QR_OK;
}

static void
t_method_decode(const struct field *f, json_object *v, json_object *alt,
    int create, struct wh_input *in, struct wh_errors *errs)
{
	(void)f;
	(void)alt;
	(void)create;
	decode_method(v, &in->w, errs);
}

static void
t_method_apply(const struct field *f, struct webhook *w,
    const struct webhook *s)
{
	*AT(f, w, enum wh_method) = *CAT(f, s, enum wh_method);
}

static void
t_method_put(const struct field *f, struct buf *b, const struct webhook *w)
{
	put_str(b, webhook_method_name(*CAT(f, w, enum wh_method)));
}

static enum wh_method
method_of(const char *s)
{
	return strcmp(s, "PUT") == 0 ? WH_PUT :
	    strcmp(s, "PATCH") == 0 ? WH_PATCH : WH_POST;
}

static void
t_method_get(const struct field *f, json_object *v, struct webhook *w)
{
	if (json_object_is_type(v, json_type_string))
		*AT(f, w, enum wh_method) = method_of(json_object_get_string(v));
}

static enum qr
t_method_quick(const struct field *f, struct qrd *r, struct webhook *w)
{
	char	*s;

	if (qr_str(r, &s) != QR_OK)
		return QR_OTHER;
	*AT(f, w, enum wh_method) = method_of(s);
	free(s);
	return QR_OK;
}

static void
t_method_init(const struct field *f, struct webhook *w)
{
	*AT(f, w, enum wh_method) = (enum wh_method)f->def;
}

/* A boolean: true/false, or the strings "true"/"false" in a body. */
static void
t_bool_decode(const struct field *f, json_object *v, json_object *alt,
    int create, struct wh_input *in, struct wh_errors *errs)
{
	(void)alt;
	(void)create;
	if (get_bool(v, AT(f, &in->w, int)) == -1)
		webhook_error(errs, f->key, "must be true or false");
}

static void
t_int_apply(const struct field *f, struct webhook *w, const struct webhook *s)
{
	*AT(f, w, int) = *CAT(f, s, int);
}

static void
t_bool_put(const struct field *f, struct buf *b, const struct webhook *w)
{
	buf_puts(b, *CAT(f, w, int) ? "true" : "false");
}

static void
t_bool_get(const struct field *f, json_object *v, struct webhook *w)
{
	if (json_object_is_type(v, json_type_boolean))
		*AT(f, w, int) = json_object_get_boolean(v) ? 1 : 0;
}

static enum qr
t_bool_quick(const struct field *f, struct qrd *r, struct webhook *w)
{
	if (qr_word(r, "true"))
		*AT(f, w, int) = 1;
	else if (qr_word(r, "false"))
		*AT(f, w, int) = 0;
	else
		return QR_OTHER;
	return QR_OK;
}

/* A check box's text: "1" when on, "" when off. */
static void
t_bool_text(const struct field *f, struct buf *b, const struct webhook *w)
{
	if (*CAT(f, w, int))
		buf_putc(b, '1');
}

static void
t_int_text(const struct field *f, struct buf *b, const struct webhook *w)
{
	buf_printf(b, "%d", *CAT(f, w, int));
}

static void
t_int_init(const struct field *f, struct webhook *w)
{
	*AT(f, w, int) = (int)f->def;
}

/* A JSON integer min..max. */
static void
t_int_decode(const struct field *f, json_object *v, json_object *alt,
    int create, struct wh_input *in, struct wh_errors *errs)
{
	int64_t	 n;

	(void)alt;
	(void)create;
	if (json_object_is_type(v, json_type_int)) {
		n = json_object_get_int64(v);
		if (n >= f->min && n <= f->max) {
			*AT(f, &in->w, int) = (int)n;
			return;
		}
	}
	webhook_error(errs, f->key, "must be an integer from %lld to %lld",
	    (long long)f->min, (long long)f->max);
}

/* Small numbers (max_attempts is 1..20) without printf. */
static void
t_int_put(const struct field *f, struct buf *b, const struct webhook *w)
{
	int	 n = *CAT(f, w, int);

	if (n >= 0 && n < 100) {
		if (n >= 10)
			buf_putc(b, '0' + n / 10);
		buf_putc(b, '0' + n % 10);
	} else
		buf_printf(b, "%d", n);
}

/* Out of bounds in a record: the default. */
static void
t_int_get(const struct field *f, json_object *v, struct webhook *w)
{
	int64_t	 n;

	if (!json_object_is_type(v, json_type_int))
		return;
	n = json_object_get_int64(v);
	*AT(f, w, int) = n < f->min || n > f->max ? (int)f->def : (int)n;
}

static enum qr
t_int_quick(const struct field *f, struct qrd *r, struct webhook *w)
{
	int64_t	 n;

	if (qr_int(r, &n) != QR_OK)
		return QR_OTHER;
	*AT(f, w, int) = n < f->min || n > f->max ? (int)f->def : (int)n;
	return QR_OK;
}

/* Milliseconds since the epoch: an integer in the record, ISO 8601 in
 * the union JSON. */
static void
t_ms_put(const struct field *f, struct buf *b, const struct webhook *w)
{
	buf_putll(b, (long long)*CAT(f, w, int64_t));
}

static void
t_ms_get(const struct field *f, json_object *v, struct webhook *w)
{
	if (json_object_is_type(v, json_type_int))
		*AT(f, w, int64_t) = json_object_get_int64(v);
}

static enum qr
t_ms_quick(const struct field *f, struct qrd *r, struct webhook *w)
{
	return qr_int(r, AT(f, w, int64_t));
}

static void
t_time_json(const struct field *f, struct buf *b, const struct webhook *w)
{
	char	 ts[UTIL_ISO_LEN];

	util_iso8601(*CAT(f, w, int64_t), ts);
	put_str(b, ts);
}

/* ---- shaped types ---- */

static void
t_headers_decode(const struct field *f, json_object *v, json_object *alt,
    int create, struct wh_input *in, struct wh_errors *errs)
{
	(void)f;
	(void)alt;
	(void)create;
	decode_headers(v, &in->w, errs);
}

static void
t_headers_apply(const struct field *f, struct webhook *w,
    const struct webhook *s)
{
	size_t	 i;

	(void)f;
	free_headers(w);
	if (s->nheaders > 0)
		w->headers = xcalloc(s->nheaders, sizeof(*w->headers));
	for (i = 0; i < s->nheaders; i++) {
		w->headers[i].name = xstrdup(s->headers[i].name);
		w->headers[i].value = xstrdup(s->headers[i].value);
	}
	w->nheaders = s->nheaders;
}

static void
t_headers_copy(const struct field *f, struct webhook *d,
    const struct webhook *s)
{
	d->headers = NULL;
	d->nheaders = 0;
	t_headers_apply(f, d, s);
}

static void
t_headers_free(const struct field *f, struct webhook *w)
{
	(void)f;
	free_headers(w);
}

static void
add_header(struct webhook *w, char *name, char *value)
{
	w->headers = xrealloc(w->headers,
	    (w->nheaders + 1) * sizeof(*w->headers));
	w->headers[w->nheaders].name = name;
	w->headers[w->nheaders].value = value;
	w->nheaders++;
}

/* The record: an array of {name, value}, in order, repeats kept. */
static void
t_headers_put(const struct field *f, struct buf *b, const struct webhook *w)
{
	size_t	 i;

	(void)f;
	buf_putc(b, '[');
	for (i = 0; i < w->nheaders; i++) {
		buf_puts(b, i > 0 ? ",{\"name\":" : "{\"name\":");
		put_str(b, w->headers[i].name);
		buf_puts(b, ",\"value\":");
		put_str(b, w->headers[i].value);
		buf_putc(b, '}');
	}
	buf_putc(b, ']');
}

static void
t_headers_get(const struct field *f, json_object *v, struct webhook *w)
{
	json_object	*e;
	const char	*n, *val;
	size_t		 i;

	(void)f;
	if (!json_object_is_type(v, json_type_array))
		return;
	for (i = 0; i < json_object_array_length(v); i++) {
		e = json_object_array_get_idx(v, i);
		if ((n = rec_str(e, "name")) != NULL &&
		    (val = rec_str(e, "value")) != NULL)
			add_header(w, xstrdup(n), xstrdup(val));
	}
}

static enum qr
t_headers_quick(const struct field *f, struct qrd *r, struct webhook *w)
{
	char	*n, *v;
	enum qr	 rc;

	(void)f;
	if (qr_expect(r, '[') != QR_OK)
		return QR_OTHER;
	if (qr_expect(r, ']') == QR_OK)
		return QR_OK;
	do {
		n = v = NULL;
		rc = qr_pair(r, "name", &n, "value", &v);
		add_header(w, n != NULL ? n : xstrdup(""),
		    v != NULL ? v : xstrdup(""));
		if (rc != QR_OK)
			return QR_OTHER;
	} while (qr_expect(r, ',') == QR_OK);
	return qr_expect(r, ']');
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

/* The union JSON: an object; a repeated name is written once, at its
 * first place with its last value, as json_object_object_add does with a
 * repeated key. */
static void
t_headers_json(const struct field *f, struct buf *b, const struct webhook *w)
{
	size_t	 i, k, last;

	(void)f;
	buf_putc(b, '{');
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
	buf_putc(b, '}');
}

/* The values may hold credentials (an Authorization header, an API key). */
static void
t_headers_redact(const struct field *f, struct webhook *w)
{
	size_t	 i;

	(void)f;
	for (i = 0; i < w->nheaders; i++)
		replace(&w->headers[i].value, PASSWORD_MASK);
}

static void
t_auth_decode(const struct field *f, json_object *v, json_object *alt,
    int create, struct wh_input *in, struct wh_errors *errs)
{
	(void)f;
	(void)alt;
	decode_auth(v, create, &in->w, errs);
}

static void
t_auth_apply(const struct field *f, struct webhook *w, const struct webhook *s)
{
	(void)f;
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

static void
t_auth_copy(const struct field *f, struct webhook *d, const struct webhook *s)
{
	(void)f;
	d->auth_user = dup_or_null(s->auth_user);
	d->auth_pass = dup_or_null(s->auth_pass);
}

static void
t_auth_free(const struct field *f, struct webhook *w)
{
	(void)f;
	replace(&w->auth_user, NULL);
	replace(&w->auth_pass, NULL);
}

/* The record: null, or the user name and the password itself. */
static void
t_auth_put(const struct field *f, struct buf *b, const struct webhook *w)
{
	(void)f;
	if (w->auth_user == NULL) {
		buf_puts(b, "null");
		return;
	}
	buf_puts(b, "{\"username\":");
	put_str(b, w->auth_user);
	buf_puts(b, ",\"password\":");
	put_str(b, w->auth_pass);
	buf_putc(b, '}');
}

static void
t_auth_get(const struct field *f, json_object *v, struct webhook *w)
{
	(void)f;
	if (json_object_is_type(v, json_type_object) &&
	    rec_str(v, "username") != NULL) {
		w->auth_user = rec_strdup(v, "username", NULL);
		w->auth_pass = rec_strdup(v, "password", "");
	}
}

static enum qr
t_auth_quick(const struct field *f, struct qrd *r, struct webhook *w)
{
	(void)f;
	if (qr_word(r, "null"))
		return QR_OK;
	return qr_pair(r, "username", &w->auth_user, "password",
	    &w->auth_pass);
}

/* The union JSON: the password is never shown, only the mask. */
static void
t_auth_json(const struct field *f, struct buf *b, const struct webhook *w)
{
	(void)f;
	buf_puts(b, "{\"username\":");
	if (w->auth_user != NULL) {
		put_str(b, w->auth_user);
		buf_puts(b, ",\"password\":\"" PASSWORD_MASK "\"}");
	} else
		buf_puts(b, "\"\",\"password\":\"\"}");
}

/* events, and seed 003's spelling of them (alt: "settings"). */
static void
t_events_decode(const struct field *f, json_object *ev, json_object *st,
    int create, struct wh_input *in, struct wh_errors *errs)
{
	size_t	 entries = 0, i;
	int	 bad, all;

	(void)create;
	bad = decode_events(ev, &in->w, errs);
	bad |= decode_settings(st, &in->w, &entries, errs);
	if (bad == 0) {
		if (in->w.nevents > (size_t)f->max)
			webhook_error(errs, f->key, "at most %lld events",
			    (long long)f->max);
		else if (in->w.nevents == 0 && entries > 0 && (ev == NULL ||
		    json_object_is_type(ev, json_type_null) ||
		    json_object_array_length(ev) == 0))
			webhook_error(errs, f->alt, "subscribes to no event: "
			    "set at least one to \"true\"");
	}
	/* No name (or "*" among them) means every event. */
	all = in->w.nevents == 0;
	for (i = 0; i < in->w.nevents; i++)
		if (strcmp(in->w.events[i], "*") == 0)
			all = 1;
	if (all) {
		free_events(&in->w);
		add_event(&in->w, "*");
	}
}

static void
t_events_apply(const struct field *f, struct webhook *w,
    const struct webhook *s)
{
	size_t	 i;

	(void)f;
	free_events(w);
	for (i = 0; i < s->nevents; i++)
		add_event(w, s->events[i]);
	if (w->nevents == 0)
		add_event(w, "*");
}

static void
t_events_copy(const struct field *f, struct webhook *d,
    const struct webhook *s)
{
	size_t	 i;

	(void)f;
	d->events = s->nevents > 0 ?
	    xcalloc(s->nevents, sizeof(*d->events)) : NULL;
	for (i = 0; i < s->nevents; i++)
		d->events[i] = xstrdup(s->events[i]);
}

static void
t_events_free(const struct field *f, struct webhook *w)
{
	(void)f;
	free_events(w);
}

static void
t_events_put(const struct field *f, struct buf *b, const struct webhook *w)
{
	size_t	 i;

	(void)f;
	buf_putc(b, '[');
	for (i = 0; i < w->nevents; i++) {
		if (i > 0)
			buf_putc(b, ',');
		put_str(b, w->events[i]);
	}
	buf_putc(b, ']');
}

static void
t_events_get(const struct field *f, json_object *v, struct webhook *w)
{
	json_object	*e;
	size_t		 i;

	(void)f;
	if (!json_object_is_type(v, json_type_array))
		return;
	for (i = 0; i < json_object_array_length(v); i++) {
		e = json_object_array_get_idx(v, i);
		if (json_object_is_type(e, json_type_string))
			add_event(w, json_object_get_string(e));
	}
}

static enum qr
t_events_quick(const struct field *f, struct qrd *r, struct webhook *w)
{
	char	*s;

	(void)f;
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
}

/* A webhook never has zero events. */
static void
t_events_settle(const struct field *f, struct webhook *w)
{
	(void)f;
	if (w->nevents == 0)
		add_event(w, "*");
}

/* The union JSON's "settings" (seed 003): {"name": "true", ...}, each
 * name once. */
static void
t_settings_json(const struct field *f, struct buf *b, const struct webhook *w)
{
	size_t	 i, k, last;

	(void)f;
	buf_putc(b, '{');
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
	buf_putc(b, '}');
}

/* The last delivery error: null, or {date, message}. */
static void
t_error_free(const struct field *f, struct webhook *w)
{
	(void)f;
	replace(&w->error_date, NULL);
	replace(&w->error_msg, NULL);
}

static void
t_error_copy(const struct field *f, struct webhook *d, const struct webhook *s)
{
	(void)f;
	d->error_date = dup_or_null(s->error_date);
	d->error_msg = dup_or_null(s->error_msg);
}

static void
t_error_put(const struct field *f, struct buf *b, const struct webhook *w)
{
	(void)f;
	if (w->error_date == NULL && w->error_msg == NULL) {
		buf_puts(b, "null");
		return;
	}
	buf_puts(b, "{\"date\":");
	put_str(b, w->error_date);
	buf_puts(b, ",\"message\":");
	put_str(b, w->error_msg);
	buf_putc(b, '}');
}

static void
t_error_get(const struct field *f, json_object *v, struct webhook *w)
{
	(void)f;
	if (json_object_is_type(v, json_type_object)) {
		w->error_date = rec_strdup(v, "date", "");
		w->error_msg = rec_strdup(v, "message", "");
	}
}

static enum qr
t_error_quick(const struct field *f, struct qrd *r, struct webhook *w)
{
	(void)f;
	if (qr_word(r, "null"))
		return QR_OK;
	return qr_pair(r, "date", &w->error_date, "message", &w->error_msg);
}

static const struct ftype t_uuid = {
	.rec_put = t_uuid_put, .rec_get = t_uuid_get, .rec_quick = t_uuid_quick,
	.json_put = t_uuid_put,
};
/* Text the service sets (team): no decode. */
static const struct ftype t_label = {
	.free = t_str_free, .copy = t_str_copy, .rec_put = t_str_put,
	.rec_get = t_str_get, .rec_quick = t_str_quick, .settle = t_str_settle,
};
static const struct ftype t_text = {
	.decode = t_text_decode, .apply = t_str_apply, .free = t_str_free,
	.copy = t_str_copy, .rec_put = t_str_put, .rec_get = t_str_get, .rec_quick = t_str_quick,
	.json_put = t_str_put, .settle = t_str_settle, .redact = t_str_redact,
	.input = WH_INPUT_TEXT, .text = t_str_text,
};
static const struct ftype t_url = {
	.decode = t_url_decode, .apply = t_str_apply, .free = t_str_free,
	.copy = t_str_copy, .rec_put = t_str_put, .rec_get = t_str_get, .rec_quick = t_str_quick,
	.json_put = t_str_put, .settle = t_str_settle,
	.input = WH_INPUT_TEXT, .text = t_str_text,
};
static const struct ftype t_token = {
	.decode = t_token_decode, .apply = t_token_apply, .free = t_str_free,
	.copy = t_str_copy, .rec_put = t_str_put, .rec_get = t_str_get, .rec_quick = t_str_quick,
	.json_put = t_str_put, .settle = t_str_settle, .redact = t_str_redact,
};
static const struct ftype t_method = {
	.decode = t_method_decode, .apply = t_method_apply,
	.rec_put = t_method_put, .rec_get = t_method_get,
	.rec_quick = t_method_quick, .json_put = t_method_put,
	.init = t_method_init,
};
static const struct ftype t_headers = {
	.decode = t_headers_decode, .apply = t_headers_apply,
	.free = t_headers_free, .copy = t_headers_copy,
	.rec_put = t_headers_put,
	.rec_get = t_headers_get, .rec_quick = t_headers_quick,
	.json_put = t_headers_json, .redact = t_headers_redact,
};
static const struct ftype t_auth = {
	.decode = t_auth_decode, .apply = t_auth_apply, .free = t_auth_free,
	.copy = t_auth_copy, .rec_put = t_auth_put, .rec_get = t_auth_get,
	.rec_quick = t_auth_quick, .json_put = t_auth_json,
};
static const struct ftype t_events = {
	.decode = t_events_decode, .apply = t_events_apply,
	.free = t_events_free, .copy = t_events_copy,
	.rec_put = t_events_put,
	.rec_get = t_events_get, .rec_quick = t_events_quick,
	.json_put = t_events_put, .settle = t_events_settle,
};
static const struct ftype t_settings = {
	.json_put = t_settings_json,
};
static const struct ftype t_bool = {
	.decode = t_bool_decode, .apply = t_int_apply, .rec_put = t_bool_put,
	.rec_get = t_bool_get, .rec_quick = t_bool_quick,
	.json_put = t_bool_put, .init = t_int_init,
	.input = WH_INPUT_CHECK, .text = t_bool_text,
};
static const struct ftype t_int = {
	.decode = t_int_decode, .apply = t_int_apply, .rec_put = t_int_put,
	.rec_get = t_int_get, .rec_quick = t_int_quick, .json_put = t_int_put,
	.init = t_int_init, .input = WH_INPUT_NUMBER, .text = t_int_text,
};
static const struct ftype t_error = {
	.free = t_error_free, .copy = t_error_copy, .rec_put = t_error_put,
	.rec_get = t_error_get, .rec_quick = t_error_quick,
	.json_put = t_error_put,
};
static const struct ftype t_ms = {
	.rec_put = t_ms_put, .rec_get = t_ms_get, .rec_quick = t_ms_quick,
};
static const struct ftype t_time = {
	.rec_put = t_ms_put, .rec_get = t_ms_get, .rec_quick = t_ms_quick,
	.json_put = t_time_json,
};

#define KEY(k)		k, sizeof(k) - 1, ",\"" k "\":"
#define OFF(m)		offsetof(struct webhook, m)
#define RJ		(FL_RECORD | FL_JSON)

static const struct field fields[] = {
	{ KEY("uuid"), NULL, &t_uuid, OFF(uuid), 0, RJ, 0, 0, 0, NULL },
	{ KEY("id"), NULL, &t_uuid, OFF(uuid), 0, FL_JSON, 0, 0, 0, NULL },
	{ KEY("team"), NULL, &t_label, OFF(team), 0, FL_RECORD, 0, 0, 0,
	    NULL },
	{ KEY("name"), NULL, &t_text, OFF(name), WF_NAME,
	    RJ | FL_REQ_CREATE | FL_REQ_ENVELOPE | FL_FORM, 1, WH_NAME_MAX, 0,
	    "Name" },
	{ KEY("url"), NULL, &t_url, OFF(url), WF_URL,
	    RJ | FL_REQ_CREATE | FL_REQ_ENVELOPE | FL_FORM, 1, WH_URL_MAX, 0,
	    "URL" },
	{ KEY("http_method"), NULL, &t_method, OFF(method), WF_METHOD,
	    RJ | FL_REQ_ENVELOPE, 0, 0, WH_POST, "Method" },
	{ KEY("headers"), NULL, &t_headers, OFF(headers), WF_HEADERS,
	    RJ | FL_SECRET, 0, WH_HEADERS_MAX, 0, "Headers" },
	{ KEY("auth"), NULL, &t_auth, OFF(auth_user), WF_AUTH, RJ,
	    1, WH_AUTH_MAX, 0, "Basic auth" },
	{ KEY("token"), NULL, &t_token, OFF(token), WF_TOKEN, RJ | FL_SECRET,
	    1, WH_TOKEN_MAX, 0, "The signing secret" },
	{ KEY("events"), "settings", &t_events, OFF(events), WF_EVENTS,
	    RJ | FL_REQ_ENVELOPE, 0, WH_EVENTS_MAX, 0, "Events" },
	{ KEY("settings"), NULL, &t_settings, OFF(events), 0, FL_JSON,
	    0, 0, 0, NULL },
	{ KEY("active"), NULL, &t_bool, OFF(active), WF_ACTIVE,
	    RJ | FL_REQ_ENVELOPE | FL_FORM, 0, 1, 1, "Active" },
	{ KEY("max_attempts"), NULL, &t_int, OFF(max_attempts),
	    WF_MAX_ATTEMPTS, RJ | FL_FORM, 1, WH_ATTEMPTS_MAX,
	    WH_ATTEMPTS_DEFAULT, "Max attempts" },
	{ KEY("error"), NULL, &t_error, OFF(error_date), 0, RJ, 0, 0, 0,
	    NULL },
	{ KEY("fail_since"), NULL, &t_ms, OFF(fail_since), 0, FL_RECORD,
	    0, 0, 0, NULL },
	{ KEY("created_at"), NULL, &t_time, OFF(created_at), 0, RJ, 0, 0, 0,
	    NULL },
	{ KEY("updated_at"), NULL, &t_time, OFF(updated_at), 0, RJ, 0, 0, 0,
	    NULL },
};
#define NFIELDS	(sizeof(fields) / sizeof(fields[0]))

/* The defaults of the rows that have one (method, active, max_attempts). */
static void
fields_init(struct webhook *w)
{
	size_t	 i;

	for (i = 0; i < NFIELDS; i++)
		if (fields[i].type->init != NULL)
			fields[i].type->init(&fields[i], w);
}

const struct wh_form_field *
webhook_form_field(size_t i, struct wh_form_field *out)
{
	size_t	 k;

	for (k = 0; k < NFIELDS; k++)
		if ((fields[k].flags & FL_FORM) && i-- == 0) {
			out->key = fields[k].key;
			out->label = fields[k].label;
			out->input = fields[k].type->input;
			out->index = k;
			return out;
		}
	return NULL;
}

void
webhook_form_text(const struct wh_form_field *ff, const struct webhook *w,
    struct buf *b)
{
	struct webhook	 def;

	if (w == NULL) {
		memset(&def, 0, sizeof(def));
		fields_init(&def);
		w = &def;
	}
	fields[ff->index].type->text(&fields[ff->index], b, w);
}

/* ---- the loops over the table ------------------------------------------ */

int
webhook_decode(json_object *body, int create, struct wh_input *in,
    struct wh_errors *errs)
{
	const struct field	*f;
	json_object		*o, *v, *alt;
	size_t			 i;
	int			 envelope = 0, has, has_alt;

	memset(in, 0, sizeof(*in));
	fields_init(&in->w);
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
	for (i = 0; i < NFIELDS; i++) {
		f = &fields[i];
		if (f->type->decode == NULL)
			continue;
		v = alt = NULL;
		has = json_object_object_get_ex(o, f->key, &v);
		has_alt = f->alt != NULL &&
		    json_object_object_get_ex(o, f->alt, &alt);
		if (envelope && (f->flags & FL_REQ_ENVELOPE) &&
		    !(f->alt != NULL ? has_alt : has))
			webhook_error(errs, f->alt != NULL ? f->alt : f->key,
			    "is required");
		else if (create && (f->flags & FL_REQ_CREATE) && !has &&
		    !has_alt)
			webhook_error(errs, f->key, "is required");
		/* Under two spellings, a null under both is not sent (events:
		 * null leaves the events as they are). */
		if (f->alt != NULL ? v != NULL || alt != NULL : has) {
			in->set |= f->set;
			f->type->decode(f, v, alt, create, in, errs);
		}
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

void
webhook_apply(struct webhook *w, const struct wh_input *in)
{
	size_t	 i;

	for (i = 0; i < NFIELDS; i++)
		if (in->set & fields[i].set)
			fields[i].type->apply(&fields[i], w, &in->w);
	w->updated_at = util_now_ms();
}

void
webhook_free(struct webhook *w)
{
	size_t	 i;

	for (i = 0; i < NFIELDS; i++)
		if (fields[i].type->free != NULL)
			fields[i].type->free(&fields[i], w);
	memset(w, 0, sizeof(*w));
}

void
webhook_dup(struct webhook *dst, const struct webhook *src)
{
	size_t	 i;

	*dst = *src;
	for (i = 0; i < NFIELDS; i++)
		if (fields[i].type->copy != NULL)
			fields[i].type->copy(&fields[i], dst, src);
}

void
webhook_redact(struct webhook *w)
{
	size_t	 i;

	for (i = 0; i < NFIELDS; i++)
		if (fields[i].flags & FL_SECRET)
			fields[i].type->redact(&fields[i], w);
}

/* ---- the stored record ------------------------------------------------- */

/*
 * A record starts with the webhook's union members as webhook_json_members
 * writes them (the "view"), its length in front, so that a GET or a list
 * answers from the record's bytes without reading it into a struct and
 * writing it again (that was two thirds of a list page's instructions):
 *   {"v":1,"view_v":1,"view_len":N,"view":{...N bytes...},"uuid":...}
 * view_v is the version of webhook_json_members' output: change it with
 * that output, and records written before are rendered afresh instead.
 * Readers that want the fields skip the view.  The fields follow in the
 * table's order, written as json-c's plain output would write them.
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
	struct buf	 b, view;
	size_t		 i;

	buf_init(&view);
	buf_putc(&view, '{');
	webhook_json_members(&view, w);
	buf_putc(&view, '}');
	buf_init(&b);
	buf_reserve(&b, 2 * view.len + 64);
	buf_puts(&b, VIEW_PREFIX);
	buf_putll(&b, (long long)view.len);
	buf_puts(&b, ",\"view\":");
	buf_add(&b, view.p, view.len);
	buf_free(&view);
	for (i = 0; i < NFIELDS; i++) {
		if (!(fields[i].flags & FL_RECORD))
			continue;
		buf_add(&b, fields[i].jkey, fields[i].klen + 4);
		fields[i].type->rec_put(&fields[i], &b, w);
	}
	buf_putc(&b, '}');
	return buf_take(&b);
}

/* updated_at before a record is read: absent, it is created_at. */
#define UPDATED_UNSET	INT64_MIN

/* A record's start: the defaults, before its members are read. */
static void
record_init(struct webhook *w)
{
	memset(w, 0, sizeof(*w));
	fields_init(w);
	w->updated_at = UPDATED_UNSET;
}

/* A record read: what its absent members mean. */
static void
record_settle(struct webhook *w)
{
	size_t	 i;

	for (i = 0; i < NFIELDS; i++)
		if ((fields[i].flags & FL_RECORD) &&
		    fields[i].type->settle != NULL)
			fields[i].type->settle(&fields[i], w);
	if (w->updated_at == UPDATED_UNSET)
		w->updated_at = w->created_at;
}

/* The record's members besides the table's rows, each allowed once. */
enum { QR_V, QR_VIEW_V, QR_VIEW_LEN, QR_VIEW, QR_NOWN };
#define QR_KEY(s)	{ s, sizeof(s) - 1 }
static const struct {
	const char	*s;
	size_t		 n;
} qr_own[QR_NOWN] = {
	QR_KEY("v"), QR_KEY("view_v"), QR_KEY("view_len"), QR_KEY("view"),
};
_Static_assert(NFIELDS + QR_NOWN <= 64, "quick_from_record's seen bits");

/* QR_OK with w filled, or QR_OTHER with w empty. */
static enum qr
quick_from_record(const char *json, struct webhook *w)
{
	struct qrd	 r;
	const char	*key;
	uint64_t	 seen = 0;
	int64_t		 ver = -1, vlen = -1, vver = -1;
	size_t		 k, n, o;

	record_init(w);
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
		n = (size_t)(key - r.p);
		/* k: a row of the table, or NFIELDS + one of qr_own. */
		for (k = 0; k < NFIELDS; k++)
			if (fields[k].klen == n &&
			    (fields[k].flags & FL_RECORD) &&
			    memcmp(r.p, fields[k].key, n) == 0)
				break;
		if (k == NFIELDS) {
			for (o = 0; o < QR_NOWN; o++)
				if (qr_own[o].n == n &&
				    memcmp(r.p, qr_own[o].s, n) == 0)
					break;
			if (o == QR_NOWN)
				goto other;
			k += o;
		}
		r.p = key + 1;
		if (seen & (1ull << k))
			goto other;
		seen |= 1ull << k;
		if (qr_expect(&r, ':') != QR_OK)
			goto other;
		if (k < NFIELDS) {
			if (fields[k].type->rec_quick(&fields[k], &r, w) !=
			    QR_OK)
				goto other;
			continue;
		}
		switch (k - NFIELDS) {
		case QR_V:
			if (qr_int(&r, &ver) != QR_OK)
				goto other;
			break;
		case QR_VIEW_V:
			if (qr_int(&r, &vver) != QR_OK)
				goto other;
			break;
		case QR_VIEW_LEN:
			if (qr_int(&r, &vlen) != QR_OK)
				goto other;
			break;
		default:
			/* Skipped by its length: the fields follow. */
			qr_ws(&r);
			if (vlen < 2 || *r.p != '{' ||
			    strnlen(r.p, (size_t)vlen) != (size_t)vlen ||
			    r.p[vlen - 1] != '}')
				goto other;
			r.p += vlen;
			break;
		}
	} while (qr_expect(&r, ',') == QR_OK);
	if (qr_expect(&r, '}') != QR_OK)
		goto other;
	qr_ws(&r);
	/* Version and uuid are the json-c reader's to refuse (and log). */
	if (*r.p != '\0' || ver != WEBHOOK_RECORD_VERSION || w->uuid[0] == '\0')
		goto other;
	record_settle(w);
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
	json_object	*j, *v;
	int64_t		 ver;
	size_t		 i;

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
	record_init(w);
	for (i = 0; i < NFIELDS; i++) {
		if (!(fields[i].flags & FL_RECORD))
			continue;
		v = NULL;
		json_object_object_get_ex(j, fields[i].key, &v);
		fields[i].type->rec_get(&fields[i], v, w);
	}
	if (!util_is_uuid(w->uuid)) {
		log_warn("webhook_from_record: no uuid");
		goto fail;
	}
	record_settle(w);
	json_object_put(j);
	return 0;

fail:
	json_object_put(j);
	webhook_free(w);
	return -1;
}

/* ---- the union JSON ---------------------------------------------------- */

/*
 * The union members written straight into b, byte for byte what json-c's
 * plain, no-slash-escape output of the same object holds between its
 * braces (webhook_to_json parses them for the dialects that build on a
 * json-c object).
 */
void
webhook_json_members(struct buf *b, const struct webhook *w)
{
	size_t	 i, comma = 1;	/* the first member goes without */

	for (i = 0; i < NFIELDS; i++) {
		if (!(fields[i].flags & FL_JSON))
			continue;
		buf_add(b, fields[i].jkey + comma, fields[i].klen + 4 - comma);
		comma = 0;
		fields[i].type->json_put(&fields[i], b, w);
	}
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
	fields_init(w);
	util_uuid4(w->uuid);
	w->team = xstrdup(team != NULL ? team : "");
	w->name = xstrdup("");
	w->url = xstrdup("");
	add_event(w, "*");
	w->token = webhook_new_secret();
	w->created_at = w->updated_at = util_now_ms();
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


/* ---- the stored view --------------------------------------------------- */

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
