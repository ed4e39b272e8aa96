/*
 * deliver: one delivery.  See deliver.h for the contract; the notes here are
 * about how.
 *
 * The SSRF guard sits in CURLOPT_OPENSOCKETFUNCTION, which sees every
 * address libcurl is about to connect to, after DNS and after Happy
 * Eyeballs picked it: checking the URL's host beforehand would miss a name
 * that resolves differently at connect time.  A refused address makes
 * libcurl try the next one and end in CURLE_COULDNT_CONNECT, which we turn
 * into a permanent failure that says why.  The check works on the binary
 * address, so every spelling of a host ("127.1", "0x7f000001",
 * "::ffff:127.0.0.1") is judged by what it resolves to.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/hmac.h>
#include <openssl/params.h>

#include "deliver.h"
#include "log.h"
#include "util.h"

#define USER_AGENT	"webhooks/1.0"

#define SIG_LEN		(3 + 44)	/* "v1," + base64 of 32 bytes */

/*
 * A transfer and its easy handle.  The struct is kept for the next
 * transfer, the easy handle is not: each transfer gets a new one (the
 * connections stay in webhookd's multi handle, which keeps them alive
 * between transfers).  libcurl 7.88 (Debian 12) keeps a pointer to the
 * last response header of a handle's previous transfer, already freed,
 * and appends to it when the next response starts with a folded header
 * line: a receiver answering "HTTP/1.1 200 OK\r\n\tX: y" freed memory
 * twice in webhookd (curl issue 11101, fixed in 8.1.0; found by
 * tests/fuzz/fuzz_response.c).  The request headers are a list of our own
 * nodes (struct curl_slist is public, and libcurl only reads it): no
 * allocation for the Standard Webhooks lines.
 */
struct deliver_xfer {
	CURL			*easy;
	void			*arg;
	int			 allow_private;
	int			 timeout_ms;
	int			 custom;	/* CURLOPT_CUSTOMREQUEST is set */
	int			 auth;		/* basic auth is set */
	struct curl_slist	*own;		/* the webhook's headers */
	size_t			 nown;
	struct curl_slist	 fixed[5];	/* Content-Type, Expect, the
						   three webhook-* */
	char			 idline[16 + DELIVER_ID_LEN];
	char			 tsline[48];
	char			 sigline[24 + DELIVER_SIGS_LEN];
	char			 errbuf[CURL_ERROR_SIZE];
	char			 refused[160];	/* why the guard said no */
	char			 retry_after[64]; /* the raw header value */
	char			 head[DELIVER_LOG_BODY]; /* start of the body */
	size_t			 headlen;
	size_t			 total;		/* body bytes seen */
	int			 truncated;	/* stopped at the 64 KiB cap */
	struct deliver_xfer	*next;		/* the pool */
};

/* ---- identifiers, payload, signature --------------------------------- */

char *
deliver_body_json(const char *type, const char *timestamp, json_object *data)
{
	json_object	*j;
	char		*s;

	j = json_object_new_object();
	json_object_object_add(j, "type", json_object_new_string(type));
	json_object_object_add(j, "timestamp",
	    json_object_new_string(timestamp));
	json_object_object_add(j, "data", json_object_get(data));
	s = xstrdup(json_object_to_json_string_ext(j,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(j);
	return s;
}

char *
deliver_body_text(const char *type, const char *timestamp, const char *data,
    size_t *len)
{
	struct buf	 b;

	/* What deliver_body_json writes, with data spliced in as it is. */
	buf_init(&b);
	buf_puts(&b, "{\"type\":");
	buf_json_str(&b, type);
	buf_puts(&b, ",\"timestamp\":");
	buf_json_str(&b, timestamp);
	buf_puts(&b, ",\"data\":");
	buf_puts(&b, data);
	buf_putc(&b, '}');
	*len = b.len;
	return buf_take(&b);
}

char *
deliver_body(const char *type, const char *timestamp, const char *data)
{
	json_object	*d;
	char		*s;

	if ((d = json_tokener_parse(data)) == NULL &&
	    strcmp(data, "null") != 0)
		return NULL;
	s = deliver_body_json(type, timestamp, d);
	json_object_put(d);
	return s;
}

/* The HMAC implementation, fetched once: EVP_Q_mac fetches it on every
 * call, which cost as much as hashing a 1 KiB body. */
static EVP_MAC	*hmac;

static EVP_MAC *
hmac_impl(void)
{
	if (hmac == NULL && (hmac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		log_panic("deliver_sign: EVP_MAC_fetch failed");
	return hmac;
}

/*
 * HMAC contexts keyed with recent secrets: a context initialised with a
 * key is started again for the next signature with EVP_MAC_init(ctx, NULL,
 * ...), which skips decoding the secret, hashing the key pads and
 * allocating (a quarter of a signature's cost).  A small table, the oldest
 * entry replaced; the secrets are wiped when they leave it.
 */
#define MACS_MAX	64

static struct mac {
	char		*secret;
	EVP_MAC_CTX	*ctx;
} macs[MACS_MAX];
static size_t	 nmacs, mac_next;

static void
mac_clear(struct mac *m)
{
	OPENSSL_cleanse(m->secret, strlen(m->secret));
	free(m->secret);
	EVP_MAC_CTX_free(m->ctx);
	m->secret = NULL;
	m->ctx = NULL;
}

static EVP_MAC_CTX *
mac_for(const char *secret)
{
	unsigned char	*key = NULL;
	size_t		 keylen = 0, i, len = strlen(secret);
	OSSL_PARAM	 params[2];
	struct mac	*m;

	/* Secrets are compared in constant time, here too. */
	for (i = 0; i < nmacs; i++)
		if (strlen(macs[i].secret) == len &&
		    util_ct_compare(macs[i].secret, secret, len) == 0)
			return macs[i].ctx;
	if (nmacs < MACS_MAX)
		m = &macs[nmacs++];
	else {
		m = &macs[mac_next];
		mac_next = (mac_next + 1) % MACS_MAX;
		mac_clear(m);
	}
	if (strncmp(secret, "whsec_", 6) != 0 ||
	    util_base64_decode(secret + 6, &key, &keylen) == -1) {
		key = (unsigned char *)xstrdup(secret);
		keylen = strlen(secret);
	}
	params[0] = OSSL_PARAM_construct_utf8_string("digest", "SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if ((m->ctx = EVP_MAC_CTX_new(hmac_impl())) == NULL ||
	    !EVP_MAC_init(m->ctx, key, keylen, params))
		log_panic("deliver_sign: HMAC key setup failed");
	OPENSSL_cleanse(key, keylen);
	free(key);
	m->secret = xstrdup(secret);
	return m->ctx;
}

/* The signature into out (SIG_LEN + 1 bytes). */
static void
sign_into(const char *secret, const char *msg_id, int64_t ts,
    const char *body, size_t len, char out[SIG_LEN + 1])
{
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	size_t		 maclen = 0;
	EVP_MAC_CTX	*ctx = mac_for(secret);
	char		 head[128];
	int		 n;

	/* msg_id "." ts "." body, without copying the body. */
	n = snprintf(head, sizeof(head), "%s.%lld.", msg_id, (long long)ts);
	if (n < 0 || (size_t)n >= sizeof(head))
		log_panic("deliver_sign: message id too long");
	if (!EVP_MAC_init(ctx, NULL, 0, NULL) ||
	    !EVP_MAC_update(ctx, (unsigned char *)head, (size_t)n) ||
	    !EVP_MAC_update(ctx, (const unsigned char *)body, len) ||
	    !EVP_MAC_final(ctx, mac, &maclen, sizeof(mac)) || maclen != 32)
		log_panic("deliver_sign: HMAC failed");
	memcpy(out, "v1,", 3);
	EVP_EncodeBlock((unsigned char *)out + 3, mac, (int)maclen);
	OPENSSL_cleanse(mac, sizeof(mac));
}

char *
deliver_sign(const char *secret, const char *msg_id, int64_t ts,
    const char *body, size_t len)
{
	char	 out[SIG_LEN + 1];

	sign_into(secret, msg_id, ts, body, len, out);
	return xstrdup(out);
}

_Static_assert(DELIVER_SIGS_LEN >= (WH_OLD_SECRETS_MAX + 1) * (SIG_LEN + 1),
    "DELIVER_SIGS_LEN holds a signature per secret");

void
deliver_sign_all(const struct webhook *w, const char *msg_id, int64_t ts,
    int64_t now_ms, const char *body, size_t len,
    char out[DELIVER_SIGS_LEN + 1])
{
	size_t	 i, n = SIG_LEN, k;

	sign_into(w->token != NULL ? w->token : "", msg_id, ts, body, len,
	    out);
	for (i = k = 0; i < w->nold_secrets && k < WH_OLD_SECRETS_MAX; i++) {
		if (w->old_secrets[i].expires_at <= now_ms)
			continue;
		out[n++] = ' ';
		sign_into(w->old_secrets[i].secret, msg_id, ts, body, len,
		    out + n);
		n += SIG_LEN;
		k++;
	}
	out[n] = '\0';
}

/* ---- the SSRF guard ---------------------------------------------------- */

/* Why an IPv4 address (host byte order) is refused, or NULL. */
static const char *
v4_refused(uint32_t a)
{
	static const struct {
		uint32_t	 net;
		int		 bits;
		const char	*why;
	} nets[] = {
		{ 0x00000000, 8,  "an unspecified address" },	/* 0/8 */
		{ 0x0a000000, 8,  "a private address" },	/* 10/8 */
		{ 0x64400000, 10, "a shared (carrier-grade NAT) address" },
		{ 0x7f000000, 8,  "a loopback address" },	/* 127/8 */
		{ 0xa9fe0000, 16, "a link-local address" },	/* 169.254/16 */
		{ 0xac100000, 12, "a private address" },	/* 172.16/12 */
		{ 0xc0000000, 24, "a reserved address" },	/* 192.0.0/24 */
		{ 0xc0000200, 24, "a documentation address" },	/* 192.0.2/24 */
		{ 0xc0a80000, 16, "a private address" },	/* 192.168/16 */
		{ 0xc6120000, 15, "a benchmarking address" },	/* 198.18/15 */
		{ 0xc6336400, 24, "a documentation address" },	/* 198.51.100/24 */
		{ 0xcb007100, 24, "a documentation address" },	/* 203.0.113/24 */
		{ 0xe0000000, 4,  "a multicast address" },	/* 224/4 */
		{ 0xf0000000, 4,  "a reserved address" },	/* 240/4, broadcast */
	};
	size_t	 i;

	for (i = 0; i < sizeof(nets) / sizeof(nets[0]); i++) {
		uint32_t mask = 0xffffffffu << (32 - nets[i].bits);
		if ((a & mask) == nets[i].net)
			return nets[i].why;
	}
	return NULL;
}

static uint32_t
v4_at(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static int
all_zero(const unsigned char *p, size_t n)
{
	while (n-- > 0)
		if (*p++ != 0)
			return 0;
	return 1;
}

static const char *
v6_refused(const unsigned char *a)
{
	static const unsigned char mapped[12] =
	    { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const unsigned char translated[12] =
	    { 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0 };
	static const unsigned char nat64[12] =
	    { 0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0 };

	if (all_zero(a, 15))
		return a[15] == 0 ? "an unspecified address" :
		    a[15] == 1 ? "a loopback address" :
		    "a reserved address";
	/* IPv4 inside IPv6: judge the IPv4 address. */
	if (memcmp(a, mapped, 12) == 0 || memcmp(a, translated, 12) == 0 ||
	    memcmp(a, nat64, 12) == 0 || all_zero(a, 12))
		return v4_refused(v4_at(a + 12));
	if (a[0] == 0x20 && a[1] == 0x02)		/* 6to4 2002::/16 */
		return v4_refused(v4_at(a + 2));
	if (a[0] == 0x00 && a[1] == 0x64 && a[2] == 0xff && a[3] == 0x9b &&
	    a[4] == 0x00 && a[5] == 0x01)		/* 64:ff9b:1::/48 */
		return "a private (local NAT64) address";
	if ((a[0] & 0xfe) == 0xfc)			/* fc00::/7 */
		return "a private (unique local) address";
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)	/* fe80::/10 */
		return "a link-local address";
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0)	/* fec0::/10 */
		return "a private (site-local) address";
	if (a[0] == 0xff)				/* ff00::/8 */
		return "a multicast address";
	if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8)
		return "a documentation address";	/* 2001:db8::/32 */
	if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0 && a[3] == 0)
		return "a Teredo address";		/* 2001::/32 */
	if (a[0] == 0x01 && all_zero(a + 1, 7))		/* 100::/64 */
		return "a reserved (discard) address";
	return NULL;
}

const char *
deliver_addr_refused(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		return v4_refused(ntohl(in->sin_addr.s_addr));
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 =
		    (const struct sockaddr_in6 *)sa;
		return v6_refused(in6->sin6_addr.s6_addr);
	}
	return "not an IP address";
}

int
deliver_addr_parse(const char *s, struct sockaddr_storage *ss)
{
	struct addrinfo	 hints, *res = NULL;

	/* The resolver's numeric parser: inet_aton's forms and IPv6. */
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_flags = AI_NUMERICHOST;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(s, NULL, &hints, &res) != 0 || res == NULL)
		return -1;
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

static void
addr_text(const struct sockaddr *sa, char *out, size_t outlen)
{
	const void *p = sa->sa_family == AF_INET6 ?
	    (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr :
	    (const void *)&((const struct sockaddr_in *)sa)->sin_addr;

	if (inet_ntop(sa->sa_family, p, out, (socklen_t)outlen) == NULL)
		snprintf(out, outlen, "?");
}

static curl_socket_t
open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct deliver_xfer	*x = arg;
	const char		*why;
	char			 host[INET6_ADDRSTRLEN];

	(void)purpose;
	if (a->family != AF_INET && a->family != AF_INET6)
		why = "not an IP address";
	else if (x->allow_private)
		why = NULL;
	else
		why = deliver_addr_refused(&a->addr);
	if (why != NULL) {
		addr_text(&a->addr, host, sizeof(host));
		snprintf(x->refused, sizeof(x->refused),
		    "refused to connect to %s: %s (WEBHOOKS_ALLOW_PRIVATE is "
		    "not set)", host, why);
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

/* ---- answers ----------------------------------------------------------- */

int64_t
deliver_retry_after(const char *v, int64_t now_ms)
{
	const char	*p;
	long long	 secs = 0;
	time_t		 t;

	while (*v == ' ' || *v == '\t')
		v++;
	if (*v >= '0' && *v <= '9') {
		for (p = v; *p >= '0' && *p <= '9'; p++) {
			secs = secs * 10 + (*p - '0');
			if (secs > 1000000000LL)	/* beyond any bound */
				secs = 1000000000LL;
		}
		while (*p == ' ' || *p == '\t')
			p++;
		return *p == '\0' ? secs * 1000 : -1;
	}
	/* An HTTP-date, in any of its three historic forms. */
	if ((t = curl_getdate(v, NULL)) == -1)
		return -1;
	return (int64_t)t * 1000 <= now_ms ? 0 : (int64_t)t * 1000 - now_ms;
}

enum deliver_class
deliver_classify(CURLcode rc, int status)
{
	switch (rc) {
	case CURLE_OK:
		break;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return DELIVER_PERMANENT;
	default:
		return DELIVER_TEMPORARY;
	}
	if (status >= 200 && status <= 299)
		return DELIVER_DONE;
	if (status == 410)
		return DELIVER_PERMANENT;
	return DELIVER_TEMPORARY;
}

/* Copies src[0..len) into out (len + 1 bytes) as valid UTF-8 without
 * control characters other than tab and newline: '?' for anything else. */
static void
clean_utf8(const char *src, size_t len, char *out)
{
	const unsigned char	*s = (const unsigned char *)src;
	size_t			 i = 0, o = 0, k, need;

	while (i < len) {
		unsigned char c = s[i];
		if (c < 0x80) {
			out[o++] = (c < 0x20 && c != '\t' && c != '\n' &&
			    c != '\r') || c == 0x7f ? '?' : (char)c;
			i++;
			continue;
		}
		need = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ?
		    2 : c >= 0xf0 && c <= 0xf4 ? 3 : 0;
		if (need == 0 || i + need >= len) {
			out[o++] = '?';
			i++;
			continue;
		}
		for (k = 1; k <= need; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				break;
		/* Overlong three-byte and surrogates, over U+10FFFF. */
		if (k <= need || (c == 0xe0 && s[i + 1] < 0xa0) ||
		    (c == 0xed && s[i + 1] > 0x9f) ||
		    (c == 0xf0 && s[i + 1] < 0x90) ||
		    (c == 0xf4 && s[i + 1] > 0x8f)) {
			out[o++] = '?';
			i++;
			continue;
		}
		memcpy(out + o, s + i, need + 1);
		o += need + 1;
		i += need + 1;
	}
	out[o] = '\0';
}

/* ---- transfers ----------------------------------------------------------- */

/* Transfers kept for the next one (without their easy handles: see
 * struct deliver_xfer); the processes using this are single-threaded. */
#define POOL_MAX 256
static struct deliver_xfer	*pool;
static size_t			 npool;

static size_t
on_body(char *p, size_t sz, size_t nm, void *arg)
{
	struct deliver_xfer	*x = arg;
	size_t			 len = sz * nm, keep;

	if (x->headlen < sizeof(x->head)) {
		keep = sizeof(x->head) - x->headlen;
		if (keep > len)
			keep = len;
		memcpy(x->head + x->headlen, p, keep);
		x->headlen += keep;
	}
	x->total += len;
	if (x->total > DELIVER_RESPONSE_MAX) {
		/* Enough: a short count ends the transfer (CURLE_WRITE_ERROR). */
		x->truncated = 1;
		return 0;
	}
	return len;
}

static size_t
on_header(char *p, size_t sz, size_t nm, void *arg)
{
	struct deliver_xfer	*x = arg;
	size_t			 len = sz * nm, n;

	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0)
		x->retry_after[0] = '\0';	/* a new response (after 1xx) */
	else if (len > 12 && strncasecmp(p, "Retry-After:", 12) == 0) {
		p += 12;
		len -= 12;
		while (len > 0 && (*p == ' ' || *p == '\t'))
			p++, len--;
		while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == '\n' ||
		    p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		n = len < sizeof(x->retry_after) - 1 ? len :
		    sizeof(x->retry_after) - 1;
		memcpy(x->retry_after, p, n);
		x->retry_after[n] = '\0';
	}
	return sz * nm;
}

/* 1 if a webhook's own header may be sent: a valid name and value, and not
 * one that the request's framing or the signature depends on. */
static int
header_allowed(const struct wh_header *h)
{
	static const char *const refused[] = {
		"host", "content-length", "transfer-encoding", "connection",
		"expect", "upgrade", "te", "trailer",
	};
	size_t	 i;

	if (h->name == NULL || h->value == NULL || h->name[0] == '\0' ||
	    strpbrk(h->name, "\r\n: \t") != NULL ||
	    strpbrk(h->value, "\r\n") != NULL)
		return 0;
	if (strncasecmp(h->name, "webhook-", 8) == 0 ||
	    strncasecmp(h->name, "svix-", 5) == 0)
		return 0;
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (strcasecmp(h->name, refused[i]) == 0)
			return 0;
	return 1;
}

static void
result_fail(struct deliver_result *r, enum deliver_class cls,
    const char *msg)
{
	memset(r, 0, sizeof(*r));
	r->cls = cls;
	r->retry_after_ms = -1;
	snprintf(r->error, sizeof(r->error), "%s", msg);
}

/*
 * 1 if libcurl has a CA bundle of its own.  libcurl keeps the parsed bundle
 * for the next TLS connection (CURLOPT_CA_CACHE_TIMEOUT, 24 h), but not
 * when a CA directory is set too, as Debian's libcurl is built: then every
 * new connection parses the whole bundle again, 50 to 100 ms on webhookd's
 * one thread, during which no other transfer moves (a burst of https
 * webhooks stalled every delivery).  The bundle holds the directory's
 * certificates: with one, the directory is left out.
 */
static int
ca_bundle(void)
{
	static int		 has = -1;
	curl_version_info_data	*v;

	if (has == -1) {
		v = curl_version_info(CURLVERSION_NOW);
		has = v->age >= CURLVERSION_NINTH && v->cainfo != NULL &&
		    v->cainfo[0] != '\0';
	}
	return has;
}

/* A transfer with a new easy handle, its constant options set. */
/* A new easy handle for x's next transfer, with the options that never
 * change (the guard, the callbacks, the protocols, the user agent). */
static void
xfer_easy(struct deliver_xfer *x)
{
	CURL	*e;

	x->custom = x->auth = 0;
	if ((e = x->easy = curl_easy_init()) == NULL)
		log_panic("deliver_xfer_new: curl_easy_init failed");
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	curl_easy_setopt(e, CURLOPT_POST, 1L);
	/* Strangers chose the URL. */
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_PROXY, "");	/* not from the env */
	curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, x);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, USER_AGENT);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	if (ca_bundle())
		curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
}

int
deliver_xfer_new(const struct webhook *w, const char *msg_id, int svix,
    const char *body, size_t len, const struct deliver_opts *o, void *arg,
    struct deliver_xfer **out, struct deliver_result *r)
{
	struct deliver_xfer	*x;
	struct curl_slist	*h, **tail;
	const char		*pfx;
	char			 sig[DELIVER_SIGS_LEN + 1];
	int64_t			 now_ms, now_s;
	int			 user_ct = 0;
	size_t			 i, n;

	*out = NULL;
	if (strncasecmp(w->url, "http://", 7) != 0 &&
	    strncasecmp(w->url, "https://", 8) != 0) {
		result_fail(r, DELIVER_PERMANENT,
		    "the url is not http or https");
		return -1;
	}
	if ((x = pool) != NULL) {
		pool = x->next;
		npool--;
	} else
		x = xcalloc(1, sizeof(*x));
	xfer_easy(x);
	x->next = NULL;
	x->arg = arg;
	x->allow_private = o->allow_private;
	x->timeout_ms = o->timeout_ms;
	x->errbuf[0] = x->refused[0] = x->retry_after[0] = '\0';
	x->headlen = x->total = 0;
	x->truncated = 0;

	/* The webhook's own headers first, so a Content-Type of its own
	 * replaces ours; then the signature's, which nobody may replace. */
	tail = &h;
	if (w->nheaders > 0) {
		x->own = xcalloc(w->nheaders, sizeof(*x->own));
		for (i = n = 0; i < w->nheaders; i++) {
			if (!header_allowed(&w->headers[i]))
				continue;
			if (strcasecmp(w->headers[i].name, "content-type") == 0)
				user_ct = 1;
			x->own[n].data = w->headers[i].value[0] != '\0' ?
			    xasprintf("%s: %s", w->headers[i].name,
			    w->headers[i].value) :
			    xasprintf("%s;", w->headers[i].name);
			*tail = &x->own[n];
			tail = &x->own[n++].next;
		}
		x->nown = n;
	}
	if (!user_ct) {
		x->fixed[0].data = (char *)"Content-Type: application/json";
		*tail = &x->fixed[0];
		tail = &x->fixed[0].next;
	}
	x->fixed[1].data = (char *)"Expect:";	/* no 100-continue round trip */
	now_ms = util_now_ms();
	now_s = now_ms / 1000;
	deliver_sign_all(w, msg_id, now_s, now_ms, body, len, sig);
	/* Standard Webhooks' names, or Svix's for its messages. */
	pfx = svix ? "svix" : "webhook";
	snprintf(x->idline, sizeof(x->idline), "%s-id: %s", pfx, msg_id);
	snprintf(x->tsline, sizeof(x->tsline), "%s-timestamp: %lld", pfx,
	    (long long)now_s);
	snprintf(x->sigline, sizeof(x->sigline), "%s-signature: %s", pfx,
	    sig);
	x->fixed[2].data = x->idline;
	x->fixed[3].data = x->tsline;
	x->fixed[4].data = x->sigline;
	*tail = &x->fixed[1];
	for (i = 1; i < 4; i++)
		x->fixed[i].next = &x->fixed[i + 1];
	x->fixed[4].next = NULL;

	curl_easy_setopt(x->easy, CURLOPT_URL, w->url);
	curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(x->easy, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(x->easy, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)len);
	if (w->method != WH_POST) {
		curl_easy_setopt(x->easy, CURLOPT_CUSTOMREQUEST,
		    webhook_method_name(w->method));
		x->custom = 1;
	} else if (x->custom) {
		curl_easy_setopt(x->easy, CURLOPT_CUSTOMREQUEST, NULL);
		x->custom = 0;
	}
	if (w->auth_user != NULL) {
		curl_easy_setopt(x->easy, CURLOPT_HTTPAUTH,
		    (long)CURLAUTH_BASIC);
		curl_easy_setopt(x->easy, CURLOPT_USERNAME, w->auth_user);
		curl_easy_setopt(x->easy, CURLOPT_PASSWORD,
		    w->auth_pass != NULL ? w->auth_pass : "");
		x->auth = 1;
	} else if (x->auth) {
		curl_easy_setopt(x->easy, CURLOPT_USERNAME, NULL);
		curl_easy_setopt(x->easy, CURLOPT_PASSWORD, NULL);
		curl_easy_setopt(x->easy, CURLOPT_HTTPAUTH,
		    (long)CURLAUTH_BASIC);
		x->auth = 0;
	}
	curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS, (long)o->timeout_ms);
	curl_easy_setopt(x->easy, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)o->timeout_ms);
	*out = x;
	return 0;
}

CURL *
deliver_xfer_easy(struct deliver_xfer *x)
{
	return x->easy;
}

void *
deliver_xfer_arg(struct deliver_xfer *x)
{
	return x->arg;
}

/* 1 if the transfer reached a receiver. */
static int
connected(struct deliver_xfer *x)
{
	char	*ip = NULL;

	return curl_easy_getinfo(x->easy, CURLINFO_PRIMARY_IP, &ip) ==
	    CURLE_OK && ip != NULL && ip[0] != '\0';
}

/*
 * What a failed transfer records: what went wrong in words a receiver's
 * owner can act on, then libcurl's own detail (which names the cause:
 * "Connection reset by peer", "Received HTTP/0.9 when not allowed").  The
 * detail may quote the receiver's bytes: anything but printable ASCII
 * becomes '?' (libcurl's own words are ASCII).
 */
static void
fail_text(CURLcode rc, const char *detail, long oserr, char *out,
    size_t outlen)
{
	const char	*what;
	size_t		 i, n;

	switch (rc) {
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_UNSUPPORTED_PROTOCOL:
		what = "the receiver's answer is not valid HTTP: ";
		break;
	case CURLE_GOT_NOTHING:
		what = "the receiver closed the connection without "
		    "answering: ";
		break;
	case CURLE_RECV_ERROR:
		/* (libcurl 7.88 ends over 300 KB of headers with this code) */
		what = strncmp(detail, "Too large response headers", 26) == 0 ?
		    "the response's headers are too large (over 300 KB in "
		    "all): " :
		    "the connection failed while reading the answer: ";
		break;
	case CURLE_SEND_ERROR:
		what = "the connection failed while sending the request: ";
		break;
	case CURLE_SSL_CONNECT_ERROR:
		what = "the TLS handshake with the receiver failed: ";
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
		what = "the receiver's TLS certificate is not trusted: ";
		break;
	case CURLE_PARTIAL_FILE:
		what = "the answer ended before its Content-Length: ";
		break;
	default:
		what = "";
		break;
	}
	/* (what is shorter than any outlen; a long detail is cut.) */
	n = strlen(what);
	memcpy(out, what, n);
	snprintf(out + n, outlen - n, "%.*s", (int)(outlen - n - 1), detail);
	/* libcurl 7.88 says "Couldn't connect to server" for every failed
	 * connect: the system's reason (refused, unreachable) is the news. */
	if (rc == CURLE_COULDNT_CONNECT && oserr > 0 &&
	    strstr(out, strerror((int)oserr)) == NULL) {
		n = strlen(out);
		snprintf(out + n, outlen - n, " (%s)", strerror((int)oserr));
	}
	for (i = 0; out[i] != '\0'; i++)
		if ((unsigned char)out[i] < 0x20 ||
		    (unsigned char)out[i] >= 0x7f)
			out[i] = '?';
}

void
deliver_xfer_done(struct deliver_xfer *x, CURLcode rc,
    struct deliver_result *r)
{
	long		 code = 0, oserr = 0;
	curl_off_t	 us = 0;

	memset(r, 0, sizeof(*r));
	r->retry_after_ms = -1;
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(x->easy, CURLINFO_TOTAL_TIME_T, &us);
	r->latency_ms = (int64_t)(us / 1000);
	/* libcurl's code for a status line it could not read may be any
	 * number, negative too (a 33-digit version after "HTTP/" gave -1
	 * with an error): only a three-digit status is one. */
	r->status = code >= 100 && code <= 999 ? (int)code : 0;
	if (rc == CURLE_WRITE_ERROR && x->truncated)
		rc = CURLE_OK;		/* we stopped reading: not a failure */
	/* The scheme was checked before the transfer and redirects are not
	 * followed: libcurl's "unsupported protocol" after a connection is
	 * about the answer (HTTP/0.9, a status code that is not 3 digits),
	 * a receiver's fault that may pass, not a permanent one. */
	if (rc == CURLE_UNSUPPORTED_PROTOCOL && connected(x))
		rc = CURLE_WEIRD_SERVER_REPLY;
	/*
	 * A status HTTP has not: libcurl 7.88 reads "HTTP/2222222221.1 200"
	 * as status 222222221 (HTTP has three digits: that is no status),
	 * which would go into the attempt log and the webhook's error.  A
	 * temporary failure like any other answer, with no status.
	 */
	if (rc == CURLE_OK && (code < 100 || code > 999)) {
		r->status = 0;
		r->cls = DELIVER_TEMPORARY;
		snprintf(r->error, sizeof(r->error), "the receiver's status "
		    "line is malformed (no status of three digits)");
		clean_utf8(x->head, x->headlen, r->body);
		return;
	}
	r->cls = deliver_classify(rc, r->status);
	if (rc == CURLE_OK) {
		if (r->cls != DELIVER_DONE)
			snprintf(r->error, sizeof(r->error),
			    "Request failed with status code %d", r->status);
		r->gone = r->status == 410;
		if ((r->status == 429 || r->status == 503) &&
		    x->retry_after[0] != '\0')
			r->retry_after_ms = deliver_retry_after(x->retry_after,
			    util_now_ms());
	} else if (rc == CURLE_OPERATION_TIMEDOUT) {
		snprintf(r->error, sizeof(r->error),
		    "timeout of %dms exceeded", x->timeout_ms);
	} else if (x->refused[0] != '\0' && rc == CURLE_COULDNT_CONNECT) {
		r->cls = DELIVER_PERMANENT;
		snprintf(r->error, sizeof(r->error), "%s", x->refused);
	} else if (rc == CURLE_OUT_OF_MEMORY) {
		/* libcurl's answer to a response header line over its
		 * CURL_MAX_HTTP_HEADER (100 KB); an allocation of ours that
		 * fails aborts instead (xmalloc). */
		snprintf(r->error, sizeof(r->error), "the response's headers "
		    "are too large (a header line over 100 KB)");
	} else {
		if (curl_easy_getinfo(x->easy, CURLINFO_OS_ERRNO, &oserr) !=
		    CURLE_OK)
			oserr = 0;
		fail_text(rc, x->errbuf[0] != '\0' ? x->errbuf :
		    curl_easy_strerror(rc), oserr, r->error, sizeof(r->error));
	}
	if (r->cls == DELIVER_DONE)
		r->error[0] = '\0';
	clean_utf8(x->head, x->headlen, r->body);
}

void
deliver_xfer_free(struct deliver_xfer *x)
{
	size_t	 i;

	if (x == NULL)
		return;
	for (i = 0; i < x->nown; i++)
		free(x->own[i].data);
	free(x->own);
	x->own = NULL;
	x->nown = 0;
	curl_easy_cleanup(x->easy);
	x->easy = NULL;
	if (npool < POOL_MAX) {
		x->next = pool;
		pool = x;
		npool++;
		return;
	}
	free(x);
}

static CURLM	*now_multi;	/* deliver_now's */

void
deliver_now(const struct webhook *w, const char *msg_id, const char *body,
    size_t len, const struct deliver_opts *o, struct deliver_result *r)
{
	struct deliver_xfer	*x;
	CURLcode		 rc;

	CURLMsg			*m;
	CURLMcode		 mc;
	int			 running = 1, left;

	if (deliver_xfer_new(w, msg_id, 0, body, len, o, NULL, &x, r) == -1)
		return;
	/* Through a multi handle of its own, as webhookd's transfers go:
	 * libcurl keeps its caches there (connections, the parsed CA
	 * bundle), and each transfer has a new easy handle (xfer_easy). */
	if (now_multi == NULL && (now_multi = curl_multi_init()) == NULL)
		log_panic("deliver_now: curl_multi_init failed");
	if (curl_multi_add_handle(now_multi, x->easy) != CURLM_OK)
		log_panic("deliver_now: curl_multi_add_handle failed");
	rc = CURLE_FAILED_INIT;
	do {
		mc = curl_multi_perform(now_multi, &running);
		if (mc == CURLM_OK && running)
			mc = curl_multi_poll(now_multi, NULL, 0, 1000, NULL);
	} while (mc == CURLM_OK && running);
	while ((m = curl_multi_info_read(now_multi, &left)) != NULL)
		if (m->msg == CURLMSG_DONE && m->easy_handle == x->easy)
			rc = m->data.result;
	curl_multi_remove_handle(now_multi, x->easy);
	deliver_xfer_done(x, rc, r);
	deliver_xfer_free(x);
}

/* ---- the test delivery ------------------------------------------------- */

int
deliver_test(struct store *st, const struct cfg *cfg, const struct webhook *w,
    const char *evid, struct deliver_result *r)
{
	struct deliver_opts	 o;
	struct deliver_attempt	 a;
	char			 msg_id[DELIVER_ID_LEN + 1];
	char			 ts[UTIL_ISO_LEN], *data, *body;
	int64_t			 now;
	int			 rc, rc2;

	deliver_msg_id(evid, w->uuid, msg_id);
	now = util_now_ms();
	util_iso8601(now, ts);
	data = xasprintf("{\"webhook_id\":\"%s\",\"message\":\"This is a test "
	    "event.\"}", w->uuid);
	body = deliver_body("webhook.test", ts, data);
	o.allow_private = cfg->allow_private;
	o.timeout_ms = cfg->timeout_ms;
	deliver_now(w, msg_id, body, strlen(body), &o, r);
	free(body);
	free(data);

	memset(&a, 0, sizeof(a));
	a.delivery_id = msg_id;
	a.event_id = evid;
	a.event_type = "webhook.test";
	a.webhook = w->uuid;
	a.attempt = 1;
	a.at_ms = now;
	a.r = r;
	a.state = DELIVERY_TEST;
	rc = deliver_log_attempt(st, &a);
	log_info("deliver: webhook %s event %s (webhook.test) test: status %d, "
	    "%lld ms%s%s", w->uuid, evid, r->status, (long long)r->latency_ms,
	    r->error[0] ? ", " : "", r->error);
	if (r->cls != DELIVER_DONE) {
		rc2 = deliver_note_outcome(st, w->team, w->uuid, r, now,
		    RETRY_FAIL_WINDOW_MS, 1, NULL);
		if (rc == STORE_OK)
			rc = rc2;
	}
	return rc;
}

void
deliver_cleanup(void)
{
	struct deliver_xfer	*x;
	size_t			 i;

	while ((x = pool) != NULL) {
		pool = x->next;
		free(x);
	}
	npool = 0;
	for (i = 0; i < nmacs; i++)
		mac_clear(&macs[i]);
	nmacs = mac_next = 0;
	EVP_MAC_free(hmac);
	hmac = NULL;
	if (now_multi != NULL) {
		curl_multi_cleanup(now_multi);
		now_multi = NULL;
	}
}
