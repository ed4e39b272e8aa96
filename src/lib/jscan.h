/*
 * jscan: a strict JSON scanner over text[0..len), for the two readers that
 * must not build a json-c tree on their hot path: the webhook record's
 * quick reader (model/webhook_field.c: a GET, each item of a list) and the
 * spool file's (store/spool_event.c: each event webhookd delivers).
 * Parsing with json-c builds a tree of objects and hash tables and costs
 * ~45,000 instructions for a record; walking the text once costs a tenth.
 *
 * It follows RFC 8259, and each function takes only what is valid there:
 * a caller that meets something it does not expect (an escape where it
 * wants plain text, a number with a fraction, a key twice) gives up and
 * lets json-c decide, so what a text means is always json-c's answer and
 * this is only a faster way to it.  Every function but jscan_end first
 * skips white space; each answers 0, or -1 with s->p anywhere.
 */
#ifndef JSCAN_H
#define JSCAN_H

#include <stddef.h>
#include <stdint.h>

#define JSCAN_DEPTH	32	/* json-c's default nesting limit */

struct jscan {
	const char	*p, *end;
};

static inline void
jscan_init(struct jscan *s, const char *text, size_t len)
{
	s->p = text;
	s->end = text + len;
}

static inline void
jscan_ws(struct jscan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' ||
	    *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

/* The byte c, after white space. */
static inline int
jscan_expect(struct jscan *s, char c)
{
	jscan_ws(s);
	if (s->p >= s->end || *s->p != c)
		return -1;
	s->p++;
	return 0;
}

/*
 * A string, checked: *v is its text between the quotes, *len its length
 * as written, *esc 1 if it holds an escape (then *v is not its value).
 */
int	jscan_string(struct jscan *, const char **v, size_t *len, int *esc);
/* A string's value into *out (the caller frees it); -1 on a \u escape. */
int	jscan_strdup(struct jscan *, char **out);
/* An integer of at most 18 digits, without fraction or exponent. */
int	jscan_int(struct jscan *, int64_t *out);
/* The literal word ("true", "false", "null"). */
int	jscan_word(struct jscan *, const char *word);
/* Any value, nested at most JSCAN_DEPTH - depth deep, skipped. */
int	jscan_value(struct jscan *, int depth);
/* 0 if nothing but white space is left. */
int	jscan_end(struct jscan *);

#endif /* JSCAN_H */
