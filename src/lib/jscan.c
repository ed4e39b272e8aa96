/*
 * jscan: a strict JSON scanner (jscan.h).  Bounds are checked on every
 * byte: the text need not end in a NUL.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jscan.h"
#include "util.h"

static int
jscan_is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

int
jscan_string(struct jscan *s, const char **v, size_t *len, int *esc)
{
	const char	*p;
	unsigned char	 c;
	int		 i;

	if (jscan_expect(s, '"') == -1)
		return -1;
	*esc = 0;
	for (p = s->p;; p++) {
		if (p >= s->end)
			return -1;
		c = (unsigned char)*p;
		if (c == '"')
			break;
		if (c < 0x20)
			return -1;
		if (c != '\\')
			continue;
		*esc = 1;
		if (++p >= s->end)
			return -1;
		switch (*p) {
		case '"': case '\\': case '/': case 'b': case 'f': case 'n':
		case 'r': case 't':
			break;
		case 'u':
			if (s->end - p < 5)
				return -1;
			for (i = 1; i <= 4; i++)
				if (!jscan_is_hex(p[i]))
					return -1;
			p += 4;
			break;
		default:
			return -1;
		}
	}
	*v = s->p;
	*len = (size_t)(p - s->p);
	s->p = p + 1;
	return 0;
}

int
jscan_strdup(struct jscan *s, char **out)
{
	const char	*v, *q, *end;
	size_t		 len;
	char		*d;
	int		 esc;

	if (jscan_string(s, &v, &len, &esc) == -1)
		return -1;
	if (!esc) {
		*out = xstrndup(v, len);
		return 0;
	}
	d = *out = xmalloc(len + 1);
	for (q = v, end = v + len; q < end; q++) {
		if (*q != '\\') {
			*d++ = *q;
			continue;
		}
		switch (*++q) {
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
		case 'u':
			free(*out);
			*out = NULL;
			return -1;
		default:	/* '"', '\\', '/' */
			*d++ = *q;
			break;
		}
	}
	*d = '\0';
	return 0;
}

int
jscan_int(struct jscan *s, int64_t *out)
{
	const char	*q, *digits;
	int64_t		 v = 0;

	jscan_ws(s);
	q = s->p;
	if (q < s->end && *q == '-')
		q++;
	digits = q;
	if (q >= s->end || *q < '0' || *q > '9' ||
	    (*q == '0' && q + 1 < s->end && q[1] >= '0' && q[1] <= '9'))
		return -1;
	for (; q < s->end && *q >= '0' && *q <= '9'; q++) {
		if (q - digits >= 18)
			return -1;
		v = v * 10 + (*q - '0');
	}
	if (q < s->end && (*q == '.' || *q == 'e' || *q == 'E'))
		return -1;
	*out = *s->p == '-' ? -v : v;
	s->p = q;
	return 0;
}

int
jscan_word(struct jscan *s, const char *w)
{
	size_t	 n = strlen(w);

	jscan_ws(s);
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, w, n) != 0)
		return -1;
	s->p += n;
	return 0;
}

static int
jscan_digits(struct jscan *s)
{
	const char	*p = s->p;

	while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
		s->p++;
	return s->p > p ? 0 : -1;
}

static int
jscan_number(struct jscan *s)
{
	if (s->p < s->end && *s->p == '-')
		s->p++;
	if (s->p < s->end && *s->p == '0')
		s->p++;
	else if (jscan_digits(s) == -1)
		return -1;
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		if (jscan_digits(s) == -1)
			return -1;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (jscan_digits(s) == -1)
			return -1;
	}
	return 0;
}

int
jscan_value(struct jscan *s, int depth)
{
	const char	*v;
	size_t		 len;
	int		 esc;
	char		 close;

	jscan_ws(s);
	if (s->p >= s->end)
		return -1;
	switch (*s->p) {
	case '"':
		return jscan_string(s, &v, &len, &esc);
	case 't':
		return jscan_word(s, "true");
	case 'f':
		return jscan_word(s, "false");
	case 'n':
		return jscan_word(s, "null");
	case '{':
	case '[':
		if (depth >= JSCAN_DEPTH)
			return -1;
		close = *s->p == '{' ? '}' : ']';
		s->p++;
		if (jscan_expect(s, close) == 0)
			return 0;
		do {
			if (close == '}' &&
			    (jscan_string(s, &v, &len, &esc) == -1 ||
			    jscan_expect(s, ':') == -1))
				return -1;
			if (jscan_value(s, depth + 1) == -1)
				return -1;
		} while (jscan_expect(s, ',') == 0);
		return jscan_expect(s, close);
	default:
		return jscan_number(s);
	}
}

int
jscan_end(struct jscan *s)
{
	jscan_ws(s);
	return s->p == s->end ? 0 : -1;
}
