/*
 * util: allocation that aborts on failure, a growing buffer, time,
 * randomness, UUIDs, base64 and SHA-256.
 *
 * SHA-256, base64 encoding and the constant-time comparison come from
 * nettle rather than OpenSSL's libcrypto: the FastCGI program and
 * webhookctl need nothing else of a crypto library, and libcrypto's
 * initialisation alone (providers, configuration, error strings) kept
 * 3.3 MiB resident in every FastCGI process.  Base64 decoding is written
 * here, to keep exactly what EVP_DecodeBlock accepted (nettle refuses
 * non-zero bits before the padding, which would change the key of a
 * "whsec_" secret written that way).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <nettle/base64.h>
#include <nettle/hmac.h>
#include <nettle/memops.h>
#include <nettle/sha2.h>

#include "log.h"
#include "util.h"

void *
xmalloc(size_t n)
{
	void	*p;

	if ((p = malloc(n ? n : 1)) == NULL)
		log_panic("xmalloc: %zu bytes: out of memory", n);
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void	*p;

	if ((p = calloc(n ? n : 1, size ? size : 1)) == NULL)
		log_panic("xcalloc: %zu x %zu bytes: out of memory", n, size);
	return p;
}

void *
xrealloc(void *old, size_t n)
{
	void	*p;

	if ((p = realloc(old, n ? n : 1)) == NULL)
		log_panic("xrealloc: %zu bytes: out of memory", n);
	return p;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char	*p;
	size_t	 len;

	/* n 0 takes s NULL too (an empty Berkeley DB record's data), which
	 * strnlen and memcpy must not be given. */
	len = n > 0 ? strnlen(s, n) : 0;
	p = xmalloc(len + 1);
	if (len > 0)
		memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list	 ap;
	char	*p;

	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) < 0)
		log_panic("xasprintf: out of memory");
	va_end(ap);
	return p;
}

void
buf_init(struct buf *b)
{
	b->p = NULL;
	b->len = b->cap = 0;
}

static void
buf_grow(struct buf *b, size_t more)
{
	size_t	 need;

	need = b->len + more + 1;
	if (need <= b->cap)
		return;
	if (b->cap == 0)
		b->cap = 256;
	while (b->cap < need)
		b->cap *= 2;
	b->p = xrealloc(b->p, b->cap);
}

void
buf_reserve(struct buf *b, size_t n)
{
	size_t	 need = b->len + n + 1;

	if (need > b->cap) {
		b->cap = need;
		b->p = xrealloc(b->p, b->cap);
		if (b->len == 0)
			b->p[0] = '\0';
	}
}

void
buf_add(struct buf *b, const void *data, size_t len)
{
	buf_grow(b, len);
	memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
}

void
buf_puts(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_json_str(struct buf *b, const char *s)
{
	buf_json_strn(b, s, strlen(s));
}

void
buf_json_strn(struct buf *b, const char *s, size_t n)
{
	static const char	 hex[] = "0123456789abcdef";
	const char		*run, *end = s + n;
	char			 esc[6];
	unsigned char		 c;

	buf_putc(b, '"');
	for (run = s; s < end; s++) {
		c = (unsigned char)*s;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		buf_add(b, run, (size_t)(s - run));
		run = s + 1;
		esc[0] = '\\';
		switch (c) {
		case '"':
		case '\\':
			esc[1] = (char)c;
			break;
		case '\b':
			esc[1] = 'b';
			break;
		case '\f':
			esc[1] = 'f';
			break;
		case '\n':
			esc[1] = 'n';
			break;
		case '\r':
			esc[1] = 'r';
			break;
		case '\t':
			esc[1] = 't';
			break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 0xf];
			buf_add(b, esc, 6);
			continue;
		}
		buf_add(b, esc, 2);
	}
	buf_add(b, run, (size_t)(s - run));
	buf_putc(b, '"');
}

void
buf_putll(struct buf *b, long long v)
{
	char			 t[24], *p = t + sizeof(t);
	unsigned long long	 u = v < 0 ? 0ULL - (unsigned long long)v :
				    (unsigned long long)v;

	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--p = '-';
	buf_add(b, p, (size_t)(t + sizeof(t) - p));
}

void
buf_putc(struct buf *b, int c)
{
	char	 ch = (char)c;

	buf_add(b, &ch, 1);
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		log_panic("buf_printf: bad format");
	buf_grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
}

void
buf_free(struct buf *b)
{
	free(b->p);
	buf_init(b);
}

char *
buf_take(struct buf *b)
{
	char	*p;

	p = b->p != NULL ? b->p : xstrdup("");
	buf_init(b);
	return p;
}

int64_t
util_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
util_iso8601(int64_t ms, char *out)
{
	struct tm	 tm;
	time_t		 t;
	int64_t		 days, secs, era, doe, yoe, doy, mp, y, m, d;

	/*
	 * Written by hand for 1970..9999 (strftime and snprintf were a tenth
	 * of a list page's instructions): days to a civil date as in Howard
	 * Hinnant's days_from_civil inverse.  Other times take the libc road.
	 */
	if (ms >= 0 && ms < 253402300800000LL) {
		days = ms / 86400000;
		secs = ms / 1000 % 86400;
		era = (days + 719468) / 146097;
		doe = days + 719468 - era * 146097;
		yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
		doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
		mp = (5 * doy + 2) / 153;
		d = doy - (153 * mp + 2) / 5 + 1;
		m = mp < 10 ? mp + 3 : mp - 9;
		y = yoe + era * 400 + (m <= 2);
		out[0] = (char)('0' + y / 1000);
		out[1] = (char)('0' + y / 100 % 10);
		out[2] = (char)('0' + y / 10 % 10);
		out[3] = (char)('0' + y % 10);
		out[4] = '-';
		out[5] = (char)('0' + m / 10);
		out[6] = (char)('0' + m % 10);
		out[7] = '-';
		out[8] = (char)('0' + d / 10);
		out[9] = (char)('0' + d % 10);
		out[10] = 'T';
		out[11] = (char)('0' + secs / 36000);
		out[12] = (char)('0' + secs / 3600 % 10);
		out[13] = ':';
		out[14] = (char)('0' + secs / 600 % 6);
		out[15] = (char)('0' + secs / 60 % 10);
		out[16] = ':';
		out[17] = (char)('0' + secs % 60 / 10);
		out[18] = (char)('0' + secs % 10);
		out[19] = '.';
		out[20] = (char)('0' + ms % 1000 / 100);
		out[21] = (char)('0' + ms % 100 / 10);
		out[22] = (char)('0' + ms % 10);
		out[23] = 'Z';
		out[24] = '\0';
		return;
	}
	t = (time_t)(ms / 1000);
	gmtime_r(&t, &tm);
	strftime(out, UTIL_ISO_LEN, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + strlen(out), UTIL_ISO_LEN - strlen(out), ".%03uZ",
	    (unsigned)(ms % 1000));
}

void
util_random(void *buf, size_t len)
{
	unsigned char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		n = getrandom(p, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_panic("util_random: getrandom: %s", strerror(errno));
		}
		p += n;
		len -= (size_t)n;
	}
}

void
util_hex(const void *data, size_t len, char *out)
{
	static const char	 hex[] = "0123456789abcdef";
	const unsigned char	*p = data;
	size_t			 i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 0xf];
	}
	out[2 * len] = '\0';
}

void
util_uuid4(char *out)
{
	unsigned char	 b[16];
	char		 h[33];

	util_random(b, sizeof(b));
	b[6] = (b[6] & 0x0f) | 0x40;	/* version 4 */
	b[8] = (b[8] & 0x3f) | 0x80;	/* RFC 4122 variant */
	util_hex(b, sizeof(b), h);
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12,
	    h + 16, h + 20);
}

/* Writes b as a UUID's text (36 characters and a NUL). */
static void
uuid_text(const unsigned char b[16], char *out)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 i, o = 0;

	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[b[i] >> 4];
		out[o++] = hex[b[i] & 15];
	}
	out[o] = '\0';
}

void
util_uuid7(char *out)
{
	static uint64_t	 hi, lo;	/* 12 + 62 bits after the time */
	static int	 seeded;
	unsigned char	 b[16];
	uint64_t	 ms = (uint64_t)util_now_ms();
	int		 i;

	if (!seeded) {
		util_random(&hi, sizeof(hi));
		util_random(&lo, sizeof(lo));
		/* Below 2^61: a random 64-bit start would be past the
		 * 62-bit counter at once (3 times in 4), and every process
		 * would then count from 0, the ids of two of them in the same
		 * millisecond told apart by 12 random bits only. */
		lo >>= 3;
		hi &= 0xfff;
		seeded = 1;
	}
	/* RFC 9562's monotonic random: the counter goes on by one. */
	if (++lo >> 62 != 0) {
		lo = 0;
		hi++;
	}
	for (i = 0; i < 6; i++)
		b[i] = (unsigned char)(ms >> (40 - 8 * i));
	b[6] = (unsigned char)(0x70 | ((hi >> 8) & 0x0f));
	b[7] = (unsigned char)hi;
	b[8] = (unsigned char)(0x80 | ((lo >> 56) & 0x3f));
	for (i = 9; i < 16; i++)
		b[i] = (unsigned char)(lo >> (8 * (15 - i)));
	uuid_text(b, out);
}

int
util_is_uuid(const char *s)
{
	size_t	 i;

	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f') ||
		    (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	}
	return s[36] == '\0';
}

char *
util_base64(const void *data, size_t len)
{
	char	*out;

	out = xmalloc(BASE64_ENCODE_RAW_LENGTH(len) + 1);
	base64_encode_raw(out, len, data);
	out[BASE64_ENCODE_RAW_LENGTH(len)] = '\0';
	return out;
}

/* The value of a base64 digit, 0 for the padding '='; -1 for others. */
static int
b64_digit(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return c == '=' ? 0 : -1;
}

int
util_base64_decode(const char *s, unsigned char **out, size_t *outlen)
{
	size_t		 len, pad = 0, i, n;
	unsigned char	*p;
	uint32_t	 v;

	len = strlen(s);
	if (len == 0 || len % 4 != 0)
		return -1;
	for (i = 0; i < len; i++) {
		char c = s[i];
		if (c == '=') {
			if (i < len - 2)
				return -1;
			continue;
		}
		if (b64_digit(c) == -1)
			return -1;
		if (i > 0 && s[i - 1] == '=')
			return -1;
	}
	if (s[len - 1] == '=')
		pad++;
	if (s[len - 2] == '=')
		pad++;
	/* Checked above: whole quanta of digits, '=' only at the end. */
	p = xmalloc(len / 4 * 3 + 1);
	for (i = 0, n = 0; i < len; i += 4) {
		v = (uint32_t)b64_digit(s[i]) << 18 |
		    (uint32_t)b64_digit(s[i + 1]) << 12 |
		    (uint32_t)b64_digit(s[i + 2]) << 6 |
		    (uint32_t)b64_digit(s[i + 3]);
		p[n++] = (unsigned char)(v >> 16);
		p[n++] = (unsigned char)(v >> 8);
		p[n++] = (unsigned char)v;
	}
	*out = p;
	*outlen = n - pad;
	return 0;
}

void
util_sha256_hex(const void *data, size_t len, char *out)
{
	struct sha256_ctx	 ctx;
	uint8_t			 md[SHA256_DIGEST_SIZE];

	sha256_init(&ctx);
	sha256_update(&ctx, len, data);
	sha256_digest(&ctx, sizeof(md), md);
	util_hex(md, sizeof(md), out);
}

void
util_hmac_sha256_hex(const void *key, size_t keylen, const void *data,
    size_t len, char *out)
{
	struct hmac_sha256_ctx	 ctx;
	uint8_t			 md[SHA256_DIGEST_SIZE];

	hmac_sha256_set_key(&ctx, keylen, key);
	hmac_sha256_update(&ctx, len, data);
	hmac_sha256_digest(&ctx, sizeof(md), md);
	util_hex(md, sizeof(md), out);
}

int
util_ct_compare(const void *a, const void *b, size_t len)
{
	return memeql_sec(a, b, len) ? 0 : 1;
}

int
util_json_key_nul(const char *s, size_t len)
{
	size_t	 i, j;
	int	 nul;

	for (i = 0; i < len; i++) {
		if (s[i] != '"')
			continue;
		/* A string: to its closing quote, noting a \u0000. */
		nul = 0;
		for (i++; i < len && s[i] != '"'; i++) {
			if (s[i] != '\\' || i + 1 >= len)
				continue;
			if (s[i + 1] == 'u' && i + 5 < len &&
			    memcmp(s + i + 2, "0000", 4) == 0)
				nul = 1;
			i++;	/* the escaped character */
		}
		if (!nul)
			continue;
		/* A key is a string followed by ':'. */
		for (j = i + 1; j < len && (s[j] == ' ' || s[j] == '\t' ||
		    s[j] == '\n' || s[j] == '\r'); j++)
			;
		if (j < len && s[j] == ':')
			return 1;
	}
	return 0;
}
