/*
 * webhook_check: the checks of a webhook's single values and the decoders
 * of its shaped fields, which the field table's rows call (webhook_int.h).
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
 *    Proxy-Connection) and every "webhook-*" and "svix-*" name, since the Standard
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
#include "util.h"
#include "webhook.h"
#include "webhook_int.h"

#if WH_EVENT_MAX != EVENT_TYPE_MAX
#error "WH_EVENT_MAX is event.h's EVENT_TYPE_MAX"
#endif

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


/*
 * Checks a JSON value as text of min..max bytes: a string, valid UTF-8,
 * without NUL or control characters.  0, or -1 with an error for field.
 */
int
wh_check_text(json_object *v, size_t min, size_t max, int flags,
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
const char *
wh_check_url(const char *url, size_t len)
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
int
wh_get_bool(json_object *v, int *out)
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

void
wh_add_event(struct webhook *w, const char *name)
{
	size_t	 i;

	for (i = 0; i < w->nevents; i++)
		if (strcmp(w->events[i], name) == 0)
			return;
	w->events = xrealloc(w->events, (w->nevents + 1) * sizeof(char *));
	w->events[w->nevents++] = xstrdup(name);
}

void
wh_free_events(struct webhook *w)
{
	size_t	 i;

	for (i = 0; i < w->nevents; i++)
		free(w->events[i]);
	free(w->events);
	w->events = NULL;
	w->nevents = 0;
}

void
wh_free_headers(struct webhook *w)
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
		} else if (strncasecmp(n, "webhook-", 8) == 0 ||
		    strncasecmp(n, "svix-", 5) == 0) {
			/* Standard Webhooks' and Svix's signature headers
			 * (a Svix library reads svix-* first): the
			 * service's own, in every dialect. */
			webhook_error(errs, f, "%s-* headers are the "
			    "service's own signature headers",
			    n[0] == 'w' || n[0] == 'W' ? "webhook" : "svix");
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
	} else if (wh_check_text(value, 1, WH_HVALUE_MAX, TEXT_TAB, f, errs)
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

int
wh_decode_headers(json_object *v, struct webhook *w, struct wh_errors *errs)
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

int
wh_decode_auth(json_object *v, int create, struct webhook *w,
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
	else if (wh_check_text(u, 1, WH_AUTH_MAX, 0, "auth.username", errs)
	    == 0 && strchr(json_object_get_string(u), ':') != NULL)
		webhook_error(errs, "auth.username", "must not contain ':'");
	if (p == NULL)
		webhook_error(errs, "auth.password", "is required");
	else if (wh_check_text(p, 1, WH_AUTH_MAX, 0, "auth.password", errs)
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

int
wh_decode_token(json_object *v, struct webhook *w, struct wh_errors *errs)
{

	if (v == NULL || json_object_is_type(v, json_type_null) ||
	    (json_object_is_type(v, json_type_string) &&
	    json_object_get_string_len(v) == 0)) {
		w->token = webhook_new_secret();
		return 0;
	}
	if (wh_check_text(v, 1, WH_TOKEN_MAX, 0, "token", errs) == -1)
		return -1;
	if (check_secret(json_object_get_string(v), errs) == -1)
		return -1;
	w->token = xstrdup(json_object_get_string(v));
	return 0;
}

int
webhook_decode_rotate(json_object *body, struct wh_input *in,
    struct wh_errors *errs)
{
	json_object	*v = NULL, *g = NULL;
	int64_t		 n;

	memset(in, 0, sizeof(*in));
	errs->n = errs->count = 0;
	if (body != NULL && !json_object_is_type(body, json_type_object)) {
		webhook_error(errs, "body", "must be a JSON object");
		return -1;
	}
	if (body != NULL && json_object_object_get_ex(body, "grace_seconds",
	    &g) && !json_object_is_type(g, json_type_null)) {
		n = json_object_is_type(g, json_type_int) ?
		    json_object_get_int64(g) : -1;
		if (n < 0 || n > WH_GRACE_MAX_S)
			webhook_error(errs, "grace_seconds", "must be an integer "
			    "from 0 to %d (7 days)", WH_GRACE_MAX_S);
		else {
			in->has_grace = 1;
			in->grace_s = n;
		}
	}
	if (body != NULL)
		json_object_object_get_ex(body, "token", &v);
	if (wh_decode_token(v, &in->w, errs) == 0)
		in->set = WF_TOKEN;
	if (errs->count > 0) {
		webhook_input_free(in);
		return -1;
	}
	return 0;
}

int
wh_decode_events(json_object *v, struct webhook *w, struct wh_errors *errs)
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
		wh_add_event(w, json_object_get_string(e));
	}
	return errs->count > before ? -1 : 0;
}

/* Seed 003's settings: adds the "true" entries to w's events.  *entries
 * counts the entries seen. */
int
wh_decode_settings(json_object *v, struct webhook *w, size_t *entries,
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
		if (wh_get_bool(json_object_iter_peek_value(&it), &on) == -1) {
			webhook_error(errs, f, "must be \"true\" or \"false\"");
			continue;
		}
		if (on)
			wh_add_event(w, key);
	}
	return errs->count > before ? -1 : 0;
}

int
wh_decode_method(json_object *v, struct webhook *w, struct wh_errors *errs)
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
void
wh_check_combined(const struct webhook *w, struct wh_errors *errs)
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
