/*
 * webhook_int: what the webhook model's three files share, and nothing
 * outside them includes.  webhook.c is the model (a webhook's life over
 * the store, its views); webhook_field.c the field table and the loops
 * over it (decode, apply, copy, free, the stored record, the union JSON);
 * webhook_check.c the checks of single values and the decoders of the
 * shaped fields that the table's rows call.
 */
#ifndef WEBHOOK_INT_H
#define WEBHOOK_INT_H

#include <stddef.h>

#include <json-c/json.h>

#include "webhook.h"

#define PASSWORD_MASK	"********"
#define SECRET_PREFIX	"whsec_"
#define TEXT_TAB	0x01	/* wh_check_text: a tab is allowed */

/* ---- webhook_check.c ---------------------------------------------------- */

/*
 * Checks a JSON value as text of min..max bytes: a string, valid UTF-8,
 * without NUL or control characters.  0, or -1 with an error for field.
 */
int	 wh_check_text(json_object *v, size_t min, size_t max, int flags,
	    const char *field, struct wh_errors *errs);
/* NULL if url is an acceptable delivery URL, else what is wrong. */
const char *wh_check_url(const char *url, size_t len);
/* true/false or the strings "true"/"false" (any case): 0 and *out, or -1. */
int	 wh_get_bool(json_object *v, int *out);
/* The shaped fields' decoders: each fills w or adds errors; 0 or -1. */
int	 wh_decode_headers(json_object *v, struct webhook *w,
	    struct wh_errors *errs);
int	 wh_decode_auth(json_object *v, int create, struct webhook *w,
	    struct wh_errors *errs);
int	 wh_decode_token(json_object *v, struct webhook *w,
	    struct wh_errors *errs);
int	 wh_decode_events(json_object *v, struct webhook *w,
	    struct wh_errors *errs);
/* Seed 003's settings: adds the "true" entries to w's events; *entries
 * counts the entries seen. */
int	 wh_decode_settings(json_object *v, struct webhook *w,
	    size_t *entries, struct wh_errors *errs);
int	 wh_decode_method(json_object *v, struct webhook *w,
	    struct wh_errors *errs);
/* The rules across fields, on the webhook a create or update would store. */
void	 wh_check_combined(const struct webhook *w, struct wh_errors *errs);
/* w's events: one more name (kept once); all freed. */
void	 wh_add_event(struct webhook *w, const char *name);
void	 wh_free_events(struct webhook *w);
void	 wh_free_headers(struct webhook *w);

/* ---- webhook_field.c ---------------------------------------------------- */

/* Every row's default into w (webhook_init, decode's start). */
void	 wh_fields_init(struct webhook *w);

#endif /* WEBHOOK_INT_H */
