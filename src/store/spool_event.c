/*
 * spool_event: the spool file's format (spool.h, README "The spool
 * format"): an event, or one delivery of it, as a JSON object.  Read by
 * jscan on the fast path and by json-c whenever that gives up, so that
 * json-c decides what every file means.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "jscan.h"
#include "spool.h"
#include "util.h"

int
spool_type_ok(const char *s)
{
	size_t	 i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= SPOOL_TYPE_MAX || s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	return i > 0;
}

int
spool_channel_ok(const char *s)
{
	size_t	 i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= SPOOL_CHANNEL_MAX || !((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' &&
		    s[i] <= '9') || s[i] == '-' || s[i] == '_' ||
		    s[i] == '.' || s[i] == ':'))
			return 0;
	return i > 0;
}

static int
spool_id_ok(const char *s)
{
	size_t	 i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= SPOOL_ID_MAX || !((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' &&
		    s[i] <= '9') || s[i] == '-' || s[i] == '_' ||
		    s[i] == '.' || s[i] == ':'))
			return 0;
	return i > 0;
}

static int
spool_team_ok(const char *s)
{
	size_t	 i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= 64 || !((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' &&
		    s[i] <= '9') || s[i] == '-' || s[i] == '_' || s[i] == '.'))
			return 0;
	return i > 0;
}

/* The string field key of o, checked by ok; 0 (absent: *out NULL), or -1. */
static int
spool_str_field(json_object *o, const char *key, int (*ok)(const char *),
    char **out, char *err, size_t errlen)
{
	json_object	*v;

	*out = NULL;
	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_string) ||
	    (ok != NULL && !ok(json_object_get_string(v)))) {
		snprintf(err, errlen, "\"%s\" is not a valid value", key);
		return -1;
	}
	*out = xstrdup(json_object_get_string(v));
	return 0;
}

void
spool_event_free(struct spool_event *ev)
{
	size_t	 i;

	free(ev->id);
	free(ev->team);
	free(ev->type);
	free(ev->timestamp);
	json_object_put(ev->data);
	free(ev->data_text);
	free(ev->webhook);
	free(ev->app);
	for (i = 0; i < ev->nchannels; i++)
		free(ev->channels[i]);
	free(ev->channels);
	memset(ev, 0, sizeof(*ev));
}

static int
spool_ts_ok(const char *s)
{
	return s[0] != '\0' && strlen(s) <= 64 && spool_type_ok(s);
}

/*
 * The fast path of spool_event_parse: the jscan scanner checks the whole
 * file and takes the top-level fields, keeping the text of "data" as it is
 * (it becomes part of the delivery's body unchanged), without building a
 * json-c tree and serialising it again (most of the daemon's work per
 * event).  It gives up (FAST_NO) on anything it does not expect: escapes in
 * a key or in a field taken, a field twice, values of odd types, nesting
 * deeper than json-c's, text after the object; json-c then decides, as it
 * always did.
 */
#define FAST_NO		(-2)

/* A string field's value (no escapes) into *out, once. */
static int
spool_fast_str(struct jscan *s, char **out)
{
	const char	*v;
	size_t		 len;
	int		 esc;

	if (*out != NULL || jscan_string(s, &v, &len, &esc) == -1 || esc)
		return FAST_NO;
	*out = xstrndup(v, len);
	return 0;
}

/* 1 if the channels read are channel names (or there are none). */
static int
spool_fast_channels_ok(const struct spool_event *ev)
{
	size_t	 i;

	for (i = 0; i < ev->nchannels; i++)
		if (!spool_channel_ok(ev->channels[i]))
			return 0;
	return 1;
}

/* "channels": an array of 1..SPOOL_CHANNELS_MAX strings without escapes,
 * once (their rule is checked with the other fields'). */
static int
spool_fast_channels(struct jscan *s, struct spool_event *ev)
{
	const char	*v;
	size_t		 len;
	int		 esc;

	if (ev->channels != NULL || jscan_expect(s, '[') == -1)
		return FAST_NO;
	ev->channels = xcalloc(SPOOL_CHANNELS_MAX, sizeof(char *));
	do {
		if (ev->nchannels == SPOOL_CHANNELS_MAX ||
		    jscan_string(s, &v, &len, &esc) == -1 || esc)
			return FAST_NO;
		ev->channels[ev->nchannels++] = xstrndup(v, len);
	} while (jscan_expect(s, ',') == 0);
	return jscan_expect(s, ']') == -1 ? FAST_NO : 0;
}

static int
spool_parse_fast(const char *text, size_t len, struct spool_event *ev)
{
	struct jscan	 s;
	const char	*k, *v;
	size_t		 klen;
	int64_t		 n;
	int		 esc, seen_v = 0, seen_a = 0, seen_m = 0, seen_s = 0, rc;

	jscan_init(&s, text, len);
	if (jscan_expect(&s, '{') == -1)
		return FAST_NO;
	if (jscan_expect(&s, '}') == 0)
		goto closed;
	do {
		if (jscan_string(&s, &k, &klen, &esc) == -1 || esc ||
		    jscan_expect(&s, ':') == -1)
			return FAST_NO;
		jscan_ws(&s);
		v = s.p;
#define KEY(w)	(klen == sizeof(w) - 1 && memcmp(k, w, klen) == 0)
		if (KEY("id"))
			rc = spool_fast_str(&s, &ev->id);
		else if (KEY("team"))
			rc = spool_fast_str(&s, &ev->team);
		else if (KEY("type"))
			rc = spool_fast_str(&s, &ev->type);
		else if (KEY("timestamp"))
			rc = spool_fast_str(&s, &ev->timestamp);
		else if (KEY("webhook"))
			rc = spool_fast_str(&s, &ev->webhook);
		else if (KEY("app"))
			rc = spool_fast_str(&s, &ev->app);
		else if (KEY("channels"))
			rc = spool_fast_channels(&s, ev);
		else if (KEY("svix")) {
			if (seen_s++)
				rc = FAST_NO;
			else if (jscan_word(&s, "true") == 0)
				rc = 0, ev->svix = 1;
			else
				rc = jscan_word(&s, "false") == 0 ? 0 : FAST_NO;
		} else if (KEY("v"))
			rc = seen_v++ || jscan_int(&s, &n) == -1 ||
			    n != SPOOL_FORMAT_VERSION ? FAST_NO : 0;
		else if (KEY("attempt")) {
			rc = seen_a++ || jscan_int(&s, &n) == -1 ||
			    n < 0 || n > 1000 ? FAST_NO : 0;
			if (rc == 0)
				ev->attempt = (int)n;
		} else if (KEY("manual")) {
			if (seen_m++)
				rc = FAST_NO;
			else if (jscan_word(&s, "true") == 0)
				rc = 0, ev->manual = 1;
			else
				rc = jscan_word(&s, "false") == 0 ? 0 : FAST_NO;
		} else if (KEY("data")) {
			rc = ev->data_text != NULL ||
			    jscan_value(&s, 1) == -1 ? FAST_NO : 0;
			if (rc == 0)
				ev->data_text = xstrndup(v, (size_t)(s.p - v));
		} else
			rc = jscan_value(&s, 1) == -1 ? FAST_NO : 0;
#undef KEY
		if (rc != 0)
			return FAST_NO;
	} while (jscan_expect(&s, ',') == 0);
	if (jscan_expect(&s, '}') == -1)
		return FAST_NO;
closed:
	if (jscan_end(&s) == -1)
		return FAST_NO;
	/* The checks of the slow path; it says what is wrong, if anything. */
	if ((ev->id != NULL && !spool_id_ok(ev->id)) ||
	    (ev->team != NULL && !spool_team_ok(ev->team)) ||
	    (ev->type != NULL && !spool_type_ok(ev->type)) ||
	    (ev->timestamp != NULL && !spool_ts_ok(ev->timestamp)) ||
	    (ev->webhook != NULL && !util_is_uuid(ev->webhook)) ||
	    (ev->app != NULL && !spool_id_ok(ev->app)) ||
	    !spool_fast_channels_ok(ev) ||
	    ev->team == NULL || ev->type == NULL)
		return FAST_NO;
	return 0;
}

/* The fields every parse fills in the same way. */
static void
spool_event_defaults(struct spool_event *ev, const char *name, int64_t mtime_ms)
{
	char	 hex[65], ts[UTIL_ISO_LEN];

	if (ev->data_text == NULL)
		ev->data_text = xstrdup("{}");
	/* attempt and manual are a delivery's: an event has had no attempt,
	 * and its deliveries are no manual retry. */
	if (ev->webhook == NULL)
		ev->attempt = ev->manual = 0;
	if (ev->id == NULL) {
		/* Stable for the file: the same after a crash and a retry. */
		util_sha256_hex(name, strlen(name), hex);
		ev->id = xasprintf("%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8,
		    hex + 12, hex + 16, hex + 20);
	}
	if (ev->timestamp == NULL) {
		util_iso8601(mtime_ms, ts);
		ev->timestamp = xstrdup(ts);
	}
}

/* The "channels" member: an array of 1..SPOOL_CHANNELS_MAX channel names. */
static int
spool_channels(json_object *v, struct spool_event *ev, char *err,
    size_t errlen)
{
	json_object	*c;
	size_t		 i, n;

	n = json_object_is_type(v, json_type_array) ?
	    json_object_array_length(v) : 0;
	if (n == 0 || n > SPOOL_CHANNELS_MAX)
		goto bad;
	ev->channels = xcalloc(n, sizeof(char *));
	for (i = 0; i < n; i++) {
		c = json_object_array_get_idx(v, i);
		if (!json_object_is_type(c, json_type_string) ||
		    !spool_channel_ok(json_object_get_string(c)))
			goto bad;
		ev->channels[ev->nchannels++] =
		    xstrdup(json_object_get_string(c));
	}
	return 0;
bad:
	snprintf(err, errlen, "\"channels\" is not a valid value");
	return -1;
}

int
spool_event_parse(const char *text, size_t len, const char *name,
    int64_t mtime_ms, struct spool_event *ev, char *err, size_t errlen)
{
	struct json_tokener	*tok;
	json_object		*o = NULL, *v;
	int64_t			 n;

	memset(ev, 0, sizeof(ev[0]));
	if (spool_parse_fast(text, len, ev) == 0) {
		spool_event_defaults(ev, name, mtime_ms);
		return 0;
	}
	spool_event_free(ev);
	tok = json_tokener_new();
	o = json_tokener_parse_ex(tok, text, (int)len);
	if (o == NULL || json_tokener_get_error(tok) != json_tokener_success) {
		snprintf(err, errlen, "not JSON");
		json_tokener_free(tok);
		goto fail;
	}
	/* Two files run together, or a write torn in place, are corrupt:
	 * nothing but white space may follow the object. */
	for (n = (int64_t)json_tokener_get_parse_end(tok); (size_t)n < len; n++)
		if (strchr(" \t\r\n", text[n]) == NULL || text[n] == '\0') {
			snprintf(err, errlen, "text after the JSON object");
			json_tokener_free(tok);
			goto fail;
		}
	json_tokener_free(tok);
	if (!json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "not a JSON object");
		goto fail;
	}
	if (json_object_object_get_ex(o, "v", &v) &&
	    (!json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) != SPOOL_FORMAT_VERSION)) {
		snprintf(err, errlen, "unknown format version");
		goto fail;
	}
	if (spool_str_field(o, "id", spool_id_ok, &ev->id, err, errlen) == -1 ||
	    spool_str_field(o, "team", spool_team_ok, &ev->team, err,
	    errlen) == -1 ||
	    spool_str_field(o, "type", spool_type_ok, &ev->type, err,
	    errlen) == -1 ||
	    spool_str_field(o, "timestamp", spool_ts_ok, &ev->timestamp, err,
	    errlen) == -1 ||
	    spool_str_field(o, "webhook", util_is_uuid, &ev->webhook, err,
	    errlen) == -1 ||
	    spool_str_field(o, "app", spool_id_ok, &ev->app, err,
	    errlen) == -1)
		goto fail;
	if (json_object_object_get_ex(o, "channels", &v) && v != NULL &&
	    spool_channels(v, ev, err, errlen) == -1)
		goto fail;
	if (json_object_object_get_ex(o, "svix", &v))
		ev->svix = json_object_get_boolean(v);
	if (ev->team == NULL || ev->type == NULL) {
		snprintf(err, errlen, "\"team\" and \"type\" are required");
		goto fail;
	}
	if (json_object_object_get_ex(o, "attempt", &v)) {
		n = json_object_get_int64(v);
		if (!json_object_is_type(v, json_type_int) || n < 0 || n > 1000) {
			snprintf(err, errlen, "\"attempt\" is not a valid value");
			goto fail;
		}
		ev->attempt = (int)n;
	}
	if (json_object_object_get_ex(o, "manual", &v))
		ev->manual = json_object_get_boolean(v);
	/* data as json-c writes it (null when it is null). */
	if (json_object_object_get_ex(o, "data", &v))
		ev->data_text = xstrdup(json_object_to_json_string_ext(v,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	spool_event_defaults(ev, name, mtime_ms);
	json_object_put(o);
	return 0;
fail:
	json_object_put(o);
	spool_event_free(ev);
	return -1;
}

char *
spool_event_format(const struct spool_event *ev)
{
	struct buf	 b;
	size_t		 i;

	/* What json-c wrote (plain, '/' not escaped), without its tree. */
	buf_init(&b);
	buf_printf(&b, "{\"v\":%d,\"id\":", SPOOL_FORMAT_VERSION);
	buf_json_str(&b, ev->id);
	buf_puts(&b, ",\"team\":");
	buf_json_str(&b, ev->team);
	buf_puts(&b, ",\"type\":");
	buf_json_str(&b, ev->type);
	buf_puts(&b, ",\"timestamp\":");
	buf_json_str(&b, ev->timestamp);
	buf_puts(&b, ",\"data\":");
	if (ev->data_text != NULL)
		buf_puts(&b, ev->data_text);
	else if (ev->data != NULL)
		buf_puts(&b, json_object_to_json_string_ext(ev->data,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		buf_puts(&b, "null");
	if (ev->app != NULL) {
		buf_puts(&b, ",\"app\":");
		buf_json_str(&b, ev->app);
	}
	if (ev->nchannels > 0) {
		buf_puts(&b, ",\"channels\":[");
		for (i = 0; i < ev->nchannels; i++) {
			if (i > 0)
				buf_putc(&b, ',');
			buf_json_str(&b, ev->channels[i]);
		}
		buf_putc(&b, ']');
	}
	if (ev->svix)
		buf_puts(&b, ",\"svix\":true");
	if (ev->webhook != NULL) {
		buf_puts(&b, ",\"webhook\":");
		buf_json_str(&b, ev->webhook);
		buf_printf(&b, ",\"attempt\":%d", ev->attempt);
		if (ev->manual)
			buf_puts(&b, ",\"manual\":true");
	}
	buf_putc(&b, '}');
	return buf_take(&b);
}
