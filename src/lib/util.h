/*
 * util: allocation that succeeds or aborts, a growing byte buffer, time,
 * randomness, UUIDs, base64, SHA-256 and HMAC-SHA256.  Nothing here knows HTTP or the store.
 */
#ifndef UTIL_H
#define UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Allocation either succeeds or aborts the process: callers never see NULL. */
void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
/* Returns a new string the caller frees. */
char	*xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));

/* A growing buffer; p is always NUL-terminated once anything was added. */
struct buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};
void	 buf_init(struct buf *);
void	 buf_add(struct buf *, const void *, size_t);
void	 buf_puts(struct buf *, const char *);
void	 buf_putc(struct buf *, int);
/* v in decimal, without printf. */
void	 buf_putll(struct buf *, long long v);
void	 buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Makes room for n more bytes at once (one allocation for a known size). */
void	 buf_reserve(struct buf *, size_t n);
void	 buf_reset(struct buf *);
void	 buf_free(struct buf *);
/*
 * s as a JSON string, quotes included, escaped exactly as json-c writes it
 * with JSON_C_TO_STRING_NOSLASHESCAPE: \" \\ \b \f \n \r \t, other
 * bytes below 0x20 as \u00xx, everything else (UTF-8, '/') as it is.
 */
void	 buf_json_str(struct buf *, const char *s);
/* The same for the n bytes at s (a NUL among them is escaped). */
void	 buf_json_strn(struct buf *, const char *s, size_t n);
/* Hands the contents to the caller (who frees them) and empties the buffer. */
char	*buf_take(struct buf *);

/* Milliseconds since the epoch. */
int64_t	 util_now_ms(void);
/* "2017-12-04T15:06:12.053Z" into out (at least UTIL_ISO_LEN bytes). */
#define UTIL_ISO_LEN 32
void	 util_iso8601(int64_t ms, char *out);

/* Fills buf with cryptographically random bytes; aborts if it cannot. */
void	 util_random(void *buf, size_t len);
/* A random (version 4) UUID, lower case, into out[37]. */
void	 util_uuid4(char *out);
/*
 * A version 7 UUID (RFC 9562): the time in ms, then a counter that starts
 * at a random value in each process and goes up by one a call.  Unique
 * (the process's random start), ordered by time within a process, and
 * without a system call: for keys that are appended to a B-tree.
 */
void	 util_uuid7(char *out);
/* 1 if s is a UUID in the 8-4-4-4-12 hex form, else 0. */
int	 util_is_uuid(const char *s);
/* Lower-case hex into out (2 * len + 1 bytes). */
void	 util_hex(const void *, size_t len, char *out);

/* Standard base64 with padding; the result is the caller's to free. */
char	*util_base64(const void *, size_t);
/* Decodes standard base64; -1 on bad input. *out is the caller's to free. */
int	 util_base64_decode(const char *, unsigned char **out, size_t *outlen);
/* SHA-256 as 64 hex characters into out[65]. */
void	 util_sha256_hex(const void *, size_t, char *out);
/* HMAC-SHA256 of data under key, as 64 hex characters into out[65]. */
void	 util_hmac_sha256_hex(const void *key, size_t keylen, const void *,
	    size_t, char *out);
/* Constant-time comparison of two equal-length buffers: 0 if equal. */
int	 util_ct_compare(const void *, const void *, size_t);

/*
 * 1 if the JSON text s[0..len), which a parser has already accepted, has an
 * object key with a \u0000 escape.  json-c keeps keys as C strings: such a
 * key would be cut at the NUL ("X-A\u0000Host" read as "X-A"), so a body
 * that holds one is refused rather than read as something else.
 */
int	 util_json_key_nul(const char *s, size_t len);

#endif /* UTIL_H */
