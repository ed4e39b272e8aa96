/*
 * webhook_field: the table of a webhook's fields (fields[], below) and the
 * loops over it that are the model's verbs on a webhook's data: decode a
 * body (webhook_decode), apply, copy, free, redact, write the stored
 * record and read it back (json-c, or the quick reader on jscan), write
 * the union JSON, and the admin form's plain inputs.  The checks the rows
 * call are webhook_check.c's (webhook_int.h).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jscan.h"
#include "log.h"
#include "util.h"
#include "webhook.h"
#include "webhook_int.h"

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
 * The quick reader of records (quick_from_record) walks the record's text
 * once with jscan (jscan.h) and fills the struct directly, but only for
 * the shape webhook_to_record writes: the known keys, each at most once,
 * each with the type it is written with (or null where the writer puts
 * null), integers without fraction or exponent, strings without \u
 * escapes, nothing after the object.  On anything else a rec_quick answers
 * -1 and the caller reads the record with json-c, so that what a record
 * means is decided on the json-c road (each field type's rec_get) and this
 * one (its rec_quick) is only a faster way to the same result.
 */

/* A string replacing *dst (freed first). */
static int
wh_str_into(struct jscan *r, char **dst)
{
	char	*s;

	if (jscan_strdup(r, &s) == -1)
		return -1;
	free(*dst);
	*dst = s;
	return 0;
}

/*
 * An object of exactly the two string members k1 and k2, in either order,
 * into *v1 and *v2 (the caller frees them, also on -1).
 */
static int
wh_pair(struct jscan *r, const char *k1, char **v1, const char *k2,
    char **v2)
{
	char	*key = NULL, **dst;
	int	 i;

	if (jscan_expect(r, '{') == -1)
		return -1;
	for (i = 0; i < 2; i++) {
		if ((i == 1 && jscan_expect(r, ',') == -1) ||
		    jscan_strdup(r, &key) == -1)
			return -1;
		dst = strcmp(key, k1) == 0 ? v1 : strcmp(key, k2) == 0 ? v2 :
		    NULL;
		free(key);
		if (dst == NULL || *dst != NULL || jscan_expect(r, ':') == -1 ||
		    jscan_strdup(r, dst) == -1)
			return -1;
	}
	return jscan_expect(r, '}');
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
	int	(*rec_quick)(const struct field *, struct jscan *,
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
	/* 1 when the member is left out of the record and the union JSON
	 * (NULL: always written). */
	int	(*omit)(const struct field *, const struct webhook *);
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

static int
t_str_quick(const struct field *f, struct jscan *r, struct webhook *w)
{
	return wh_str_into(r, AT(f, w, char *));
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
	if (wh_check_text(v, (size_t)f->min, (size_t)f->max, 0, f->key, errs)
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
	else if ((msg = wh_check_url(json_object_get_string(v),
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
	wh_decode_token(v, &in->w, errs);
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

static int
t_uuid_quick(const struct field *f, struct jscan *r, struct webhook *w)
{
	char	*s = NULL;

	if (jscan_strdup(r, &s) != 0 || !util_is_uuid(s)) {
		free(s);
		return -1;
	}
	memcpy(AT(f, w, char), s, 37);
	free(s);
	return 0;
}

static void
t_method_decode(const struct field *f, json_object *v, json_object *alt,
    int create, struct wh_input *in, struct wh_errors *errs)
{
	(void)f;
	(void)alt;
	(void)create;
	wh_decode_method(v, &in->w, errs);
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

static int
t_method_quick(const struct field *f, struct jscan *r, struct webhook *w)
{
	char	*s;

	if (jscan_strdup(r, &s) != 0)
		return -1;
	*AT(f, w, enum wh_method) = method_of(s);
	free(s);
	return 0;
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
	if (wh_get_bool(v, AT(f, &in->w, int)) == -1)
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

static int
t_bool_quick(const struct field *f, struct jscan *r, struct webhook *w)
{
	if (jscan_word(r, "true") == 0)
		*AT(f, w, int) = 1;
	else if (jscan_word(r, "false") == 0)
		*AT(f, w, int) = 0;
	else
		return -1;
	return 0;
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

static int
t_int_quick(const struct field *f, struct jscan *r, struct webhook *w)
{
	int64_t	 n;

	if (jscan_int(r, &n) != 0)
		return -1;
	*AT(f, w, int) = n < f->min || n > f->max ? (int)f->def : (int)n;
	return 0;
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

static int
t_ms_quick(const struct field *f, struct jscan *r, struct webhook *w)
{
	return jscan_int(r, AT(f, w, int64_t));
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
	wh_decode_headers(v, &in->w, errs);
}

static void
t_headers_apply(const struct field *f, struct webhook *w,
    const struct webhook *s)
{
	size_t	 i;

	(void)f;
	wh_free_headers(w);
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
	wh_free_headers(w);
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

static int
t_headers_quick(const struct field *f, struct jscan *r, struct webhook *w)
{
	char	*n, *v;
	int	 rc;

	(void)f;
	if (jscan_expect(r, '[') != 0)
		return -1;
	if (jscan_expect(r, ']') == 0)
		return 0;
	do {
		n = v = NULL;
		rc = wh_pair(r, "name", &n, "value", &v);
		add_header(w, n != NULL ? n : xstrdup(""),
		    v != NULL ? v : xstrdup(""));
		if (rc != 0)
			return -1;
	} while (jscan_expect(r, ',') == 0);
	return jscan_expect(r, ']');
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
	wh_decode_auth(v, create, &in->w, errs);
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

static int
t_auth_quick(const struct field *f, struct jscan *r, struct webhook *w)
{
	(void)f;
	if (jscan_word(r, "null") == 0)
		return 0;
	return wh_pair(r, "username", &w->auth_user, "password",
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
	bad = wh_decode_events(ev, &in->w, errs);
	bad |= wh_decode_settings(st, &in->w, &entries, errs);
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
		wh_free_events(&in->w);
		wh_add_event(&in->w, "*");
	}
}

static void
t_events_apply(const struct field *f, struct webhook *w,
    const struct webhook *s)
{
	size_t	 i;

	(void)f;
	wh_free_events(w);
	for (i = 0; i < s->nevents; i++)
		wh_add_event(w, s->events[i]);
	if (w->nevents == 0)
		wh_add_event(w, "*");
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
	wh_free_events(w);
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
			wh_add_event(w, json_object_get_string(e));
	}
}

static int
t_events_quick(const struct field *f, struct jscan *r, struct webhook *w)
{
	char	*s;

	(void)f;
	if (jscan_expect(r, '[') != 0)
		return -1;
	if (jscan_expect(r, ']') == 0)
		return 0;
	do {
		if (jscan_strdup(r, &s) != 0)
			return -1;
		wh_add_event(w, s);
		free(s);
	} while (jscan_expect(r, ',') == 0);
	return jscan_expect(r, ']');
}

/* A webhook never has zero events. */
static void
t_events_settle(const struct field *f, struct webhook *w)
{
	(void)f;
	if (w->nevents == 0)
		wh_add_event(w, "*");
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

static int
t_error_quick(const struct field *f, struct jscan *r, struct webhook *w)
{
	(void)f;
	if (jscan_word(r, "null") == 0)
		return 0;
	return wh_pair(r, "date", &w->error_date, "message", &w->error_msg);
}

/* The replaced signing secrets (secret rotation), newest first.  In the
 * record [{"secret", "expires_at": ms}]; in the union JSON
 * [{"expires_at": ISO 8601}] only, never a value.  Left out of both while
 * there are none, so that a webhook never rotated is written as before. */
static int
t_old_omit(const struct field *f, const struct webhook *w)
{
	(void)f;
	return w->nold_secrets == 0;
}

static void
t_old_free(const struct field *f, struct webhook *w)
{
	size_t	 i;

	(void)f;
	for (i = 0; i < w->nold_secrets; i++)
		free(w->old_secrets[i].secret);
	free(w->old_secrets);
	w->old_secrets = NULL;
	w->nold_secrets = 0;
}

static void
add_old(struct webhook *w, char *secret, int64_t expires_at)
{
	w->old_secrets = xrealloc(w->old_secrets,
	    (w->nold_secrets + 1) * sizeof(*w->old_secrets));
	w->old_secrets[w->nold_secrets].secret = secret;
	w->old_secrets[w->nold_secrets].expires_at = expires_at;
	w->nold_secrets++;
}

static void
t_old_copy(const struct field *f, struct webhook *d, const struct webhook *s)
{
	size_t	 i;

	(void)f;
	d->old_secrets = NULL;
	d->nold_secrets = 0;
	for (i = 0; i < s->nold_secrets; i++)
		add_old(d, xstrdup(s->old_secrets[i].secret),
		    s->old_secrets[i].expires_at);
}

static void
t_old_put(const struct field *f, struct buf *b, const struct webhook *w)
{
	size_t	 i;

	(void)f;
	buf_putc(b, '[');
	for (i = 0; i < w->nold_secrets; i++) {
		buf_puts(b, i > 0 ? ",{\"secret\":" : "{\"secret\":");
		put_str(b, w->old_secrets[i].secret);
		buf_puts(b, ",\"expires_at\":");
		buf_putll(b, (long long)w->old_secrets[i].expires_at);
		buf_putc(b, '}');
	}
	buf_putc(b, ']');
}

/* Entries past the row's max, or without a secret, are left out. */
static void
t_old_get(const struct field *f, json_object *v, struct webhook *w)
{
	json_object	*e, *x;
	const char	*sec;
	size_t		 i;

	if (!json_object_is_type(v, json_type_array))
		return;
	for (i = 0; i < json_object_array_length(v) &&
	    w->nold_secrets < (size_t)f->max; i++) {
		e = json_object_array_get_idx(v, i);
		if ((sec = rec_str(e, "secret")) == NULL || *sec == '\0' ||
		    !json_object_object_get_ex(e, "expires_at", &x) ||
		    !json_object_is_type(x, json_type_int))
			continue;
		add_old(w, xstrdup(sec), json_object_get_int64(x));
	}
}

static int
t_old_quick(const struct field *f, struct jscan *r, struct webhook *w)
{
	char	*key, *sec;
	int64_t	 exp;
	int	 ok;

	if (jscan_expect(r, '[') != 0)
		return -1;
	if (jscan_expect(r, ']') == 0)
		return 0;
	do {
		if (w->nold_secrets >= (size_t)f->max ||
		    jscan_expect(r, '{') != 0 || jscan_strdup(r, &key) != 0)
			return -1;
		ok = strcmp(key, "secret") == 0;
		free(key);
		if (!ok || jscan_expect(r, ':') != 0 ||
		    jscan_strdup(r, &sec) != 0)
			return -1;
		if (*sec == '\0' || jscan_expect(r, ',') != 0 ||
		    jscan_strdup(r, &key) != 0) {
			free(sec);
			return -1;
		}
		ok = strcmp(key, "expires_at") == 0;
		free(key);
		if (!ok || jscan_expect(r, ':') != 0 ||
		    jscan_int(r, &exp) != 0 || jscan_expect(r, '}') != 0) {
			free(sec);
			return -1;
		}
		add_old(w, sec, exp);
	} while (jscan_expect(r, ',') == 0);
	return jscan_expect(r, ']');
}

static void
t_old_json(const struct field *f, struct buf *b, const struct webhook *w)
{
	char	 ts[UTIL_ISO_LEN];
	size_t	 i;

	(void)f;
	buf_putc(b, '[');
	for (i = 0; i < w->nold_secrets; i++) {
		util_iso8601(w->old_secrets[i].expires_at, ts);
		buf_puts(b, i > 0 ? ",{\"expires_at\":" : "{\"expires_at\":");
		put_str(b, ts);
		buf_putc(b, '}');
	}
	buf_putc(b, ']');
}

static void
t_old_redact(const struct field *f, struct webhook *w)
{
	size_t	 i;

	(void)f;
	for (i = 0; i < w->nold_secrets; i++)
		replace(&w->old_secrets[i].secret, PASSWORD_MASK);
}

/* An optional string (the application): NULL is none, and left out of
 * the record then, so that a webhook without one is written as before. */
static int
t_opt_omit(const struct field *f, const struct webhook *w)
{
	return *CAT(f, w, char *) == NULL;
}

/* The channels: an array of strings, left out of the record while there
 * are none (every message). */
static int
t_chan_omit(const struct field *f, const struct webhook *w)
{
	(void)f;
	return w->nchannels == 0;
}

static void
t_chan_free(const struct field *f, struct webhook *w)
{
	size_t	 i;

	(void)f;
	for (i = 0; i < w->nchannels; i++)
		free(w->channels[i]);
	free(w->channels);
	w->channels = NULL;
	w->nchannels = 0;
}

static void
add_channel(struct webhook *w, char *name)
{
	w->channels = xrealloc(w->channels,
	    (w->nchannels + 1) * sizeof(*w->channels));
	w->channels[w->nchannels++] = name;
}

static void
t_chan_copy(const struct field *f, struct webhook *d, const struct webhook *s)
{
	size_t	 i;

	(void)f;
	d->channels = NULL;
	d->nchannels = 0;
	for (i = 0; i < s->nchannels; i++)
		add_channel(d, xstrdup(s->channels[i]));
}

static void
t_chan_apply(const struct field *f, struct webhook *w,
    const struct webhook *s)
{
	t_chan_free(f, w);
	t_chan_copy(f, w, s);
}

static void
t_chan_put(const struct field *f, struct buf *b, const struct webhook *w)
{
	size_t	 i;

	(void)f;
	buf_putc(b, '[');
	for (i = 0; i < w->nchannels; i++) {
		if (i > 0)
			buf_putc(b, ',');
		put_str(b, w->channels[i]);
	}
	buf_putc(b, ']');
}

/* Entries past the row's max, or not strings, are left out. */
static void
t_chan_get(const struct field *f, json_object *v, struct webhook *w)
{
	json_object	*e;
	size_t		 i;

	if (!json_object_is_type(v, json_type_array))
		return;
	for (i = 0; i < json_object_array_length(v) &&
	    w->nchannels < (size_t)f->max; i++) {
		e = json_object_array_get_idx(v, i);
		if (json_object_is_type(e, json_type_string))
			add_channel(w, xstrdup(json_object_get_string(e)));
	}
}

static int
t_chan_quick(const struct field *f, struct jscan *r, struct webhook *w)
{
	char	*s;

	if (jscan_expect(r, '[') != 0)
		return -1;
	if (jscan_expect(r, ']') == 0)
		return 0;
	do {
		if (w->nchannels >= (size_t)f->max || jscan_strdup(r, &s) != 0)
			return -1;
		add_channel(w, s);
	} while (jscan_expect(r, ',') == 0);
	return jscan_expect(r, ']');
}

/* A small integer (the rate limit): left out of the record when 0. */
static int
t_optint_omit(const struct field *f, const struct webhook *w)
{
	return *CAT(f, w, int) == 0;
}

/* The metadata: {"key": "value", ...} in the record, left out while
 * empty; pairs as the headers' (w->metadata, nmetadata). */
static int
t_meta_omit(const struct field *f, const struct webhook *w)
{
	(void)f;
	return w->nmetadata == 0;
}

static void
meta_free(struct webhook *w)
{
	size_t	 i;

	for (i = 0; i < w->nmetadata; i++) {
		free(w->metadata[i].name);
		free(w->metadata[i].value);
	}
	free(w->metadata);
	w->metadata = NULL;
	w->nmetadata = 0;
}

static void
add_meta(struct webhook *w, char *name, char *value)
{
	w->metadata = xrealloc(w->metadata,
	    (w->nmetadata + 1) * sizeof(*w->metadata));
	w->metadata[w->nmetadata].name = name;
	w->metadata[w->nmetadata].value = value;
	w->nmetadata++;
}

static void
t_meta_free(const struct field *f, struct webhook *w)
{
	(void)f;
	meta_free(w);
}

static void
t_meta_copy(const struct field *f, struct webhook *d, const struct webhook *s)
{
	size_t	 i;

	(void)f;
	d->metadata = NULL;
	d->nmetadata = 0;
	for (i = 0; i < s->nmetadata; i++)
		add_meta(d, xstrdup(s->metadata[i].name),
		    xstrdup(s->metadata[i].value));
}

static void
t_meta_apply(const struct field *f, struct webhook *w,
    const struct webhook *s)
{
	meta_free(w);
	t_meta_copy(f, w, s);
}

static void
t_meta_put(const struct field *f, struct buf *b, const struct webhook *w)
{
	size_t	 i;

	(void)f;
	buf_putc(b, '{');
	for (i = 0; i < w->nmetadata; i++) {
		if (i > 0)
			buf_putc(b, ',');
		put_str(b, w->metadata[i].name);
		buf_putc(b, ':');
		put_str(b, w->metadata[i].value);
	}
	buf_putc(b, '}');
}

/* Members that are not strings, or past the row's max, are left out. */
static void
t_meta_get(const struct field *f, json_object *v, struct webhook *w)
{
	struct json_object_iterator	 it, end;
	json_object			*val;

	if (!json_object_is_type(v, json_type_object))
		return;
	it = json_object_iter_begin(v);
	end = json_object_iter_end(v);
	for (; !json_object_iter_equal(&it, &end) &&
	    w->nmetadata < (size_t)f->max; json_object_iter_next(&it)) {
		val = json_object_iter_peek_value(&it);
		if (json_object_is_type(val, json_type_string))
			add_meta(w, xstrdup(json_object_iter_peek_name(&it)),
			    xstrdup(json_object_get_string(val)));
	}
}

/* A repeated key, which json-c would read as one, goes to json-c. */
static int
t_meta_quick(const struct field *f, struct jscan *r, struct webhook *w)
{
	char	*k, *v;
	size_t	 i;

	if (jscan_expect(r, '{') != 0)
		return -1;
	if (jscan_expect(r, '}') == 0)
		return 0;
	do {
		if (w->nmetadata >= (size_t)f->max || jscan_strdup(r, &k) != 0)
			return -1;
		for (i = 0; i < w->nmetadata; i++)
			if (strcmp(w->metadata[i].name, k) == 0)
				break;
		if (i < w->nmetadata || jscan_expect(r, ':') != 0 ||
		    jscan_strdup(r, &v) != 0) {
			free(k);
			return -1;
		}
		add_meta(w, k, v);
	} while (jscan_expect(r, ',') == 0);
	return jscan_expect(r, '}');
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
static const struct ftype t_old = {
	.free = t_old_free, .copy = t_old_copy, .rec_put = t_old_put,
	.rec_get = t_old_get, .rec_quick = t_old_quick, .json_put = t_old_json,
	.redact = t_old_redact, .omit = t_old_omit,
};
static const struct ftype t_opt = {
	.apply = t_str_apply, .free = t_str_free, .copy = t_str_copy,
	.rec_put = t_str_put, .rec_get = t_str_get, .rec_quick = t_str_quick,
	.omit = t_opt_omit,
};
static const struct ftype t_channels = {
	.apply = t_chan_apply, .free = t_chan_free, .copy = t_chan_copy,
	.rec_put = t_chan_put, .rec_get = t_chan_get,
	.rec_quick = t_chan_quick, .omit = t_chan_omit,
};
static const struct ftype t_optint = {
	.apply = t_int_apply, .rec_put = t_int_put, .rec_get = t_int_get,
	.rec_quick = t_int_quick, .omit = t_optint_omit,
};
static const struct ftype t_meta = {
	.apply = t_meta_apply, .free = t_meta_free, .copy = t_meta_copy,
	.rec_put = t_meta_put, .rec_get = t_meta_get,
	.rec_quick = t_meta_quick, .omit = t_meta_omit,
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
	{ KEY("previous_secrets"), NULL, &t_old, OFF(old_secrets), 0,
	    RJ | FL_SECRET, 0, WH_OLD_SECRETS_MAX, 0, NULL },
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
	{ KEY("app"), NULL, &t_opt, OFF(app), 0, FL_RECORD, 0, 0, 0, NULL },
	{ KEY("channels"), NULL, &t_channels, OFF(channels), WF_CHANNELS,
	    FL_RECORD, 0, WH_CHANNELS_MAX, 0, NULL },
	{ KEY("uid"), NULL, &t_opt, OFF(uid), WF_UID, FL_RECORD, 0, 0, 0,
	    NULL },
	{ KEY("description"), NULL, &t_opt, OFF(description), WF_DESCRIPTION,
	    FL_RECORD, 0, 0, 0, NULL },
	{ KEY("metadata"), NULL, &t_meta, OFF(metadata), WF_METADATA,
	    FL_RECORD, 0, WH_METADATA_MAX, 0, NULL },
	{ KEY("rate_limit"), NULL, &t_optint, OFF(rate_limit), WF_RATE_LIMIT,
	    FL_RECORD, 0, WH_RATE_LIMIT_MAX, 0, NULL },
};
#define NFIELDS	(sizeof(fields) / sizeof(fields[0]))

/* The defaults of the rows that have one (method, active, max_attempts). */
void
wh_fields_init(struct webhook *w)
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
		wh_fields_init(&def);
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
	wh_fields_init(&in->w);
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
		wh_check_combined(&in->w, errs);
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

/* A field a loop writes: in the record or the union JSON (flag), unless
 * its type leaves it out for w. */
static int
writes(const struct field *f, unsigned flag, const struct webhook *w)
{
	return (f->flags & flag) && (f->type->omit == NULL ||
	    !f->type->omit(f, w));
}

/*
 * The old secrets of w still valid at now into *live (a shallow copy of w
 * whose array the caller frees): expired secrets are dropped whenever a
 * record is written.  Returns w itself when none expired.
 */
static const struct webhook *
live_secrets(const struct webhook *w, struct webhook *live, int64_t now)
{
	size_t	 i, n;

	for (i = 0; i < w->nold_secrets; i++)
		if (w->old_secrets[i].expires_at <= now)
			break;
	if (i == w->nold_secrets)
		return w;
	*live = *w;
	live->old_secrets = xcalloc(w->nold_secrets, sizeof(*w->old_secrets));
	for (i = n = 0; i < w->nold_secrets; i++)
		if (w->old_secrets[i].expires_at > now)
			live->old_secrets[n++] = w->old_secrets[i];
	live->nold_secrets = n;
	return live;
}

char *
webhook_to_record(const struct webhook *w)
{
	struct buf	 b, view;
	struct webhook	 live;
	size_t		 i;

	live.old_secrets = NULL;
	w = live_secrets(w, &live, util_now_ms());
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
		if (!writes(&fields[i], FL_RECORD, w))
			continue;
		buf_add(&b, fields[i].jkey, fields[i].klen + 4);
		fields[i].type->rec_put(&fields[i], &b, w);
	}
	buf_putc(&b, '}');
	free(live.old_secrets);
	return buf_take(&b);
}

/* updated_at before a record is read: absent, it is created_at. */
#define UPDATED_UNSET	INT64_MIN

/* A record's start: the defaults, before its members are read. */
static void
record_init(struct webhook *w)
{
	memset(w, 0, sizeof(*w));
	wh_fields_init(w);
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
enum { OWN_V, OWN_VIEW_V, OWN_VIEW_LEN, OWN_VIEW, OWN_N };
#define OWN_KEY(s)	{ s, sizeof(s) - 1 }
static const struct {
	const char	*s;
	size_t		 n;
} rec_own[OWN_N] = {
	OWN_KEY("v"), OWN_KEY("view_v"), OWN_KEY("view_len"), OWN_KEY("view"),
};
_Static_assert(NFIELDS + OWN_N <= 64, "quick_from_record's seen bits");

/* 0 with w filled, or -1 with w empty. */
static int
quick_from_record(const char *json, struct webhook *w)
{
	struct jscan	 r;
	const char	*key;
	uint64_t	 seen = 0;
	int64_t		 ver = -1, vlen = -1, vver = -1;
	size_t		 k, n, o;
	int		 esc;

	record_init(w);
	jscan_init(&r, json, strlen(json));
	if (jscan_expect(&r, '{') == -1)
		goto other;
	do {
		/* Keys are compared in place: an escaped key is not ours. */
		if (jscan_string(&r, &key, &n, &esc) == -1 || esc)
			goto other;
		/* k: a row of the table, or NFIELDS + one of rec_own. */
		for (k = 0; k < NFIELDS; k++)
			if (fields[k].klen == n &&
			    (fields[k].flags & FL_RECORD) &&
			    memcmp(key, fields[k].key, n) == 0)
				break;
		if (k == NFIELDS) {
			for (o = 0; o < OWN_N; o++)
				if (rec_own[o].n == n &&
				    memcmp(key, rec_own[o].s, n) == 0)
					break;
			if (o == OWN_N)
				goto other;
			k += o;
		}
		if (seen & (1ull << k))
			goto other;
		seen |= 1ull << k;
		if (jscan_expect(&r, ':') == -1)
			goto other;
		if (k < NFIELDS) {
			if (fields[k].type->rec_quick(&fields[k], &r, w) == -1)
				goto other;
			continue;
		}
		switch (k - NFIELDS) {
		case OWN_V:
			if (jscan_int(&r, &ver) == -1)
				goto other;
			break;
		case OWN_VIEW_V:
			if (jscan_int(&r, &vver) == -1)
				goto other;
			break;
		case OWN_VIEW_LEN:
			if (jscan_int(&r, &vlen) == -1)
				goto other;
			break;
		default:
			/* Skipped by its length: the fields follow. */
			jscan_ws(&r);
			if (vlen < 2 || r.end - r.p < vlen || *r.p != '{' ||
			    r.p[vlen - 1] != '}')
				goto other;
			r.p += vlen;
			break;
		}
	} while (jscan_expect(&r, ',') == 0);
	if (jscan_expect(&r, '}') == -1 || jscan_end(&r) == -1)
		goto other;
	/* Version and uuid are the json-c reader's to refuse (and log). */
	if (ver != WEBHOOK_RECORD_VERSION || w->uuid[0] == '\0')
		goto other;
	record_settle(w);
	return 0;

other:
	webhook_free(w);
	return -1;
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

	if (json != NULL && quick_from_record(json, w) == 0)
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
		if (!writes(&fields[i], FL_JSON, w))
			continue;
		buf_add(b, fields[i].jkey + comma, fields[i].klen + 4 - comma);
		comma = 0;
		fields[i].type->json_put(&fields[i], b, w);
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
