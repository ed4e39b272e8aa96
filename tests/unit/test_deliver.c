/* Unit tests of deliver: the SSRF guard over every spelling of an address,
 * the Standard Webhooks signature against the published test vector,
 * Retry-After, classification, the payload, and real
 * transfers against a one-shot responder on loopback (a forked child) and
 * a listener that never answers.  Then the recording of outcomes over a
 * real store.  Cases are tables. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "attempt.h"
#include "deliver.h"
#include "metrics.h"
#include "store.h"
#include "util.h"
#include "webhook.h"

/* ---- the SSRF guard ------------------------------------------------------ */

static const struct {
	const char	*addr;
	int		 refused;
} addr_cases[] = {
	/* Loopback in every spelling the resolver accepts. */
	{ "127.0.0.1", 1 }, { "127.1", 1 }, { "127.0.1", 1 },
	{ "0177.0.0.1", 1 }, { "0177.1", 1 }, { "2130706433", 1 },
	{ "0x7f000001", 1 }, { "0x7f.1", 1 }, { "127.255.255.254", 1 },
	{ "::1", 1 }, { "0:0:0:0:0:0:0:1", 1 },
	{ "::ffff:127.0.0.1", 1 }, { "::ffff:7f00:1", 1 },
	{ "::127.0.0.1", 1 }, { "64:ff9b::127.0.0.1", 1 },
	{ "2002:7f00:1::", 1 }, { "::ffff:0:127.0.0.1", 1 },
	/* Unspecified: 0.0.0.0 reaches the local host on Linux. */
	{ "0.0.0.0", 1 }, { "0", 1 }, { "0.1.2.3", 1 }, { "::", 1 },
	{ "::ffff:0.0.0.0", 1 },
	/* Private ranges and their edges. */
	{ "10.0.0.1", 1 }, { "10.255.255.255", 1 }, { "012.1", 1 },
	{ "172.16.0.1", 1 }, { "172.31.255.255", 1 },
	{ "172.15.255.255", 0 }, { "172.32.0.0", 0 },
	{ "192.168.0.1", 1 }, { "192.168.255.255", 1 },
	{ "0xc0a80001", 1 }, { "3232235521", 1 },	/* 192.168.0.1 */
	{ "::ffff:192.168.1.1", 1 }, { "::ffff:10.1.2.3", 1 },
	{ "100.64.0.1", 1 }, { "100.127.255.255", 1 }, { "100.63.255.255", 0 },
	{ "100.128.0.0", 0 },
	{ "169.254.169.254", 1 }, { "169.254.0.1", 1 },
	{ "::ffff:169.254.169.254", 1 },
	{ "fc00::1", 1 }, { "fd12:3456:789a::1", 1 }, { "fe80::1", 1 },
	{ "febf::1", 1 }, { "fec0::1", 1 },
	/* Multicast, reserved, broadcast, documentation. */
	{ "224.0.0.1", 1 }, { "239.255.255.250", 1 }, { "ff02::1", 1 },
	{ "ff0e::1", 1 }, { "240.0.0.1", 1 }, { "255.255.255.255", 1 },
	{ "192.0.2.1", 1 }, { "198.51.100.1", 1 }, { "203.0.113.1", 1 },
	{ "198.18.0.1", 1 }, { "2001:db8::1", 1 }, { "2001::1", 1 },
	{ "100::1", 1 },
	/* Public addresses. */
	{ "8.8.8.8", 0 }, { "1.1.1.1", 0 }, { "93.184.216.34", 0 },
	{ "134744072", 0 }, { "0x08080808", 0 },	/* 8.8.8.8 */
	{ "::ffff:8.8.8.8", 0 }, { "2606:4700:4700::1111", 0 },
	{ "2a00:1450:4001:82b::200e", 0 }, { "64:ff9b::8.8.8.8", 0 },
	{ "2002:0808:0808::1", 0 }, { "11.0.0.1", 0 }, { "192.169.0.1", 0 },
	{ "223.255.255.255", 0 },
};

static void
test_addr_table(void **state)
{
	struct sockaddr_storage	 ss;
	size_t			 i;
	const char		*why;

	(void)state;
	for (i = 0; i < sizeof(addr_cases) / sizeof(addr_cases[0]); i++) {
		if (deliver_addr_parse(addr_cases[i].addr, &ss) != 0)
			fail_msg("%s does not parse", addr_cases[i].addr);
		why = deliver_addr_refused((struct sockaddr *)&ss);
		if ((why != NULL) != addr_cases[i].refused)
			fail_msg("%s: want %s, got %s", addr_cases[i].addr,
			    addr_cases[i].refused ? "refused" : "allowed",
			    why ? why : "allowed");
	}
}

static void
test_addr_reasons(void **state)
{
	static const struct {
		const char *addr, *want;
	} cases[] = {
		{ "127.1", "loopback" }, { "::ffff:127.0.0.1", "loopback" },
		{ "10.1.1.1", "private" }, { "fd00::1", "private" },
		{ "169.254.1.1", "link-local" }, { "fe80::2", "link-local" },
		{ "224.1.1.1", "multicast" }, { "0.0.0.0", "unspecified" },
		{ "100.64.1.1", "carrier-grade" },
	};
	struct sockaddr_storage	 ss;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(deliver_addr_parse(cases[i].addr, &ss), 0);
		assert_non_null(strstr(deliver_addr_refused(
		    (struct sockaddr *)&ss), cases[i].want));
	}
	assert_int_equal(deliver_addr_parse("example.com", &ss), -1);
	assert_int_equal(deliver_addr_parse("127.0.0.1.1", &ss), -1);
	assert_int_equal(deliver_addr_parse("", &ss), -1);
}

/* ---- signature, ids, payload ------------------------------------------- */

static void
test_sign_vector(void **state)
{
	/* The Standard Webhooks specification's published test vector. */
	const char	*body = "{\"test\": 2432232314}";
	char		*sig;

	(void)state;
	sig = deliver_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
	    "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body, strlen(body));
	assert_string_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
	free(sig);
	/* A different timestamp, id or body changes it. */
	sig = deliver_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
	    "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265331, body, strlen(body));
	assert_string_not_equal(sig,
	    "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
	free(sig);
}

static void
test_sign_raw(void **state)
{
	char	*sig;

	(void)state;
	/* Any other token is its raw bytes:
	 * printf 'msg_x.1614265330.{}' | openssl dgst -sha256 \
	 *   -hmac plain-secret -binary | base64 */
	sig = deliver_sign("plain-secret", "msg_x", 1614265330, "{}", 2);
	assert_string_equal(sig, "v1,SD8DiQEYRqfNKPR3QaST+DsggsWKYeroJxntpEvj1wM=");
	free(sig);
	/* "whsec_" with a rest that is not base64: the whole text is the key. */
	sig = deliver_sign("whsec_not base64!", "msg_x", 1, "{}", 2);
	assert_non_null(sig);
	assert_memory_equal(sig, "v1,", 3);
	free(sig);
}

/*
 * Rotation: the token's signature first, then one for each old secret
 * still valid, newest first, separated by one space; expired ones and
 * those past the tenth are left out.
 */
static void
test_sign_all(void **state)
{
	struct webhook	 w;
	char		 out[DELIVER_SIGS_LEN + 1], want[DELIVER_SIGS_LEN + 1];
	char		*sig, name[32];
	size_t		 i;
	int64_t		 now = 1614265330000LL;

	(void)state;
	memset(&w, 0, sizeof(w));
	w.token = xstrdup("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
	deliver_sign_all(&w, "msg_x", 1614265330, now, "{}", 2, out);
	sig = deliver_sign(w.token, "msg_x", 1614265330, "{}", 2);
	assert_string_equal(out, sig);
	free(sig);

	w.old_secrets = xcalloc(WH_OLD_SECRETS_MAX + 2,
	    sizeof(*w.old_secrets));
	w.nold_secrets = WH_OLD_SECRETS_MAX + 2;
	for (i = 0; i < w.nold_secrets; i++) {
		snprintf(name, sizeof(name), "old-%zu", i);
		w.old_secrets[i].secret = xstrdup(name);
		/* The second has expired (to the millisecond). */
		w.old_secrets[i].expires_at = i == 1 ? now : now + 1;
	}
	deliver_sign_all(&w, "msg_x", 1614265330, now, "{}", 2, out);
	sig = deliver_sign(w.token, "msg_x", 1614265330, "{}", 2);
	snprintf(want, sizeof(want), "%s", sig);
	free(sig);
	for (i = 0; i < w.nold_secrets && i <= WH_OLD_SECRETS_MAX; i++) {
		if (i == 1)
			continue;
		sig = deliver_sign(w.old_secrets[i].secret, "msg_x",
		    1614265330, "{}", 2);
		strcat(want, " ");
		strcat(want, sig);
		free(sig);
	}
	assert_string_equal(out, want);
	assert_int_equal(strlen(out), (WH_OLD_SECRETS_MAX + 1) * 48 - 1);
	for (i = 0; i < w.nold_secrets; i++)
		free(w.old_secrets[i].secret);
	free(w.old_secrets);
	free(w.token);
}

static void
test_msg_id(void **state)
{
	char	 a[DELIVER_ID_LEN + 1], b[DELIVER_ID_LEN + 1];
	char	 c[DELIVER_ID_LEN + 1];
	size_t	 i;

	(void)state;
	deliver_msg_id("ev1", "0c5f1a52-8a4c-4d6c-9a39-4b1a53d1f8a1", a);
	deliver_msg_id("ev1", "0c5f1a52-8a4c-4d6c-9a39-4b1a53d1f8a1", b);
	deliver_msg_id("ev1", "1c5f1a52-8a4c-4d6c-9a39-4b1a53d1f8a1", c);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_int_equal(strlen(a), DELIVER_ID_LEN);
	assert_memory_equal(a, "msg_", 4);
	for (i = 4; i < DELIVER_ID_LEN; i++)
		assert_non_null(strchr("0123456789abcdef", a[i]));
}

static void
test_body(void **state)
{
	char	*s;

	(void)state;
	s = deliver_body("order.paid", "2024-01-02T03:04:05.006Z",
	    "{\"id\":7,\"url\":\"http://x/y\",\"u\":\"\\u00e9\"}");
	assert_string_equal(s, "{\"type\":\"order.paid\",\"timestamp\":"
	    "\"2024-01-02T03:04:05.006Z\",\"data\":{\"id\":7,\"url\":"
	    "\"http://x/y\",\"u\":\"\xc3\xa9\"}}");
	free(s);
	s = deliver_body("a\"b", "t", "[1,2]");
	assert_string_equal(s, "{\"type\":\"a\\\"b\",\"timestamp\":\"t\","
	    "\"data\":[1,2]}");
	free(s);
	s = deliver_body("t", "t", "null");
	assert_string_equal(s, "{\"type\":\"t\",\"timestamp\":\"t\",\"data\":null}");
	free(s);
	assert_null(deliver_body("t", "t", "{nope"));
}

/* ---- Retry-After, classification, schedule ------------------------------ */

static void
test_retry_after(void **state)
{
	/* Wed, 21 Oct 2015 07:28:00 GMT */
	const int64_t	 t = 1445412480LL * 1000;
	static const struct {
		const char	*v;
		int64_t		 now_off, want;
	} cases[] = {
		{ "120", 0, 120000 }, { "0", 0, 0 }, { " 5 ", 0, 5000 },
		{ "5\t", 0, 5000 }, { "-5", 0, -1 }, { "1.5", 0, -1 },
		{ "abc", 0, -1 }, { "", 0, -1 }, { "10s", 0, -1 },
		{ "99999999999999999999", 0, 1000000000LL * 1000 },
		{ "Wed, 21 Oct 2015 07:28:00 GMT", -60000, 60000 },
		{ "Wed, 21 Oct 2015 07:28:00 GMT", 0, 0 },
		{ "Wed, 21 Oct 2015 07:28:00 GMT", 5000, 0 },	/* past */
		{ "Wednesday, 21-Oct-15 07:28:00 GMT", -2000, 2000 },
		{ "Wed Oct 21 07:28:00 2015", -3000, 3000 },
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t got = deliver_retry_after(cases[i].v,
		    t + cases[i].now_off);
		if (got != cases[i].want)
			fail_msg("Retry-After \"%s\": want %lld, got %lld",
			    cases[i].v, (long long)cases[i].want,
			    (long long)got);
	}
}

static void
test_classify(void **state)
{
	static const struct {
		CURLcode		 rc;
		int			 status;
		enum deliver_class	 want;
	} cases[] = {
		{ CURLE_OK, 200, DELIVER_DONE }, { CURLE_OK, 201, DELIVER_DONE },
		{ CURLE_OK, 204, DELIVER_DONE }, { CURLE_OK, 299, DELIVER_DONE },
		{ CURLE_OK, 300, DELIVER_TEMPORARY },
		{ CURLE_OK, 301, DELIVER_TEMPORARY },
		{ CURLE_OK, 302, DELIVER_TEMPORARY },
		{ CURLE_OK, 400, DELIVER_TEMPORARY },
		{ CURLE_OK, 404, DELIVER_TEMPORARY },
		{ CURLE_OK, 408, DELIVER_TEMPORARY },
		{ CURLE_OK, 410, DELIVER_PERMANENT },
		{ CURLE_OK, 429, DELIVER_TEMPORARY },
		{ CURLE_OK, 500, DELIVER_TEMPORARY },
		{ CURLE_OK, 503, DELIVER_TEMPORARY },
		{ CURLE_OK, 100, DELIVER_TEMPORARY },
		{ CURLE_OPERATION_TIMEDOUT, 0, DELIVER_TEMPORARY },
		{ CURLE_OPERATION_TIMEDOUT, 200, DELIVER_TEMPORARY },
		{ CURLE_COULDNT_CONNECT, 0, DELIVER_TEMPORARY },
		{ CURLE_COULDNT_RESOLVE_HOST, 0, DELIVER_TEMPORARY },
		{ CURLE_SSL_CONNECT_ERROR, 0, DELIVER_TEMPORARY },
		{ CURLE_PEER_FAILED_VERIFICATION, 0, DELIVER_TEMPORARY },
		{ CURLE_GOT_NOTHING, 0, DELIVER_TEMPORARY },
		{ CURLE_RECV_ERROR, 0, DELIVER_TEMPORARY },
		{ CURLE_UNSUPPORTED_PROTOCOL, 0, DELIVER_PERMANENT },
		{ CURLE_URL_MALFORMAT, 0, DELIVER_PERMANENT },
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (deliver_classify(cases[i].rc, cases[i].status) !=
		    cases[i].want)
			fail_msg("case %zu (rc %d, status %d)", i,
			    (int)cases[i].rc, cases[i].status);
}

/* ---- real transfers --------------------------------------------------------- */

/* A listening TCP socket on 127.0.0.1 and a free port; -1 on error. */
static int
listen_loopback(int *port)
{
	struct sockaddr_in	 a;
	socklen_t		 len = sizeof(a);
	int			 fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd != -1);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 16), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* 1 if a connection is waiting on the listener. */
static int
has_connection(int lfd)
{
	int	 fl, c;

	fl = fcntl(lfd, F_GETFL);
	fcntl(lfd, F_SETFL, fl | O_NONBLOCK);
	c = accept(lfd, NULL, NULL);
	fcntl(lfd, F_SETFL, fl);
	if (c == -1)
		return 0;
	close(c);
	return 1;
}

struct responder {
	pid_t	 pid;
	int	 pipe;		/* the request as received */
	int	 port;
};

/* extra for responder_start: reset the connection (RST) instead of
 * answering. */
#define RESPOND_RESET	((size_t)-1)
/* extra for responder_start: answer on the first bytes, whatever they are
 * (a TLS client hello). */
#define RESPOND_EARLY	((size_t)-2)

/* Forks a child that serves one connection: reads the request (headers
 * and Content-Length bytes), sends it up the pipe, answers resp.  With
 * extra > 0, that many bytes of 'x' follow resp. */
static void
responder_start(struct responder *r, const char *resp, size_t extra)
{
	int	 lfd, p[2];

	lfd = listen_loopback(&r->port);
	assert_int_equal(pipe(p), 0);
	r->pid = fork();
	assert_true(r->pid != -1);
	if (r->pid == 0) {
		char	 req[65536], *end, *cl, *big;
		size_t	 n = 0, want = 0;
		ssize_t	 k;
		int	 c;

		close(p[0]);
		c = accept(lfd, NULL, NULL);
		if (c == -1)
			_exit(1);
		for (;;) {
			k = read(c, req + n, sizeof(req) - 1 - n);
			if (k <= 0)
				break;
			n += (size_t)k;
			req[n] = '\0';
			if (extra == RESPOND_EARLY)
				break;
			if ((end = strstr(req, "\r\n\r\n")) != NULL) {
				if (want == 0) {
					cl = strcasestr(req, "\r\nContent-Length:");
					want = (size_t)(end + 4 - req) +
					    (cl ? strtoul(cl + 17, NULL, 10) : 0);
				}
				if (n >= want)
					break;
			}
		}
		if (write(p[1], req, n) < 0)
			_exit(1);
		close(p[1]);
		if (extra == RESPOND_RESET) {
			struct linger	 l = { 1, 0 };

			setsockopt(c, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
			close(c);
			sleep(1);
			_exit(0);
		}
		if (write(c, resp, strlen(resp)) < 0)
			_exit(1);
		if (extra > 0 && extra != RESPOND_EARLY) {
			big = malloc(extra);
			memset(big, 'x', extra);
			/* The client may stop reading: that is the point. */
			signal(SIGPIPE, SIG_IGN);
			if (write(c, big, extra) < 0)
				_exit(0);
			free(big);
		}
		shutdown(c, SHUT_WR);
		sleep(1);
		_exit(0);
	}
	close(p[1]);
	close(lfd);
	r->pipe = p[0];
}

/* The request the responder got (caller frees); reaps the child. */
static char *
responder_finish(struct responder *r)
{
	struct buf	 b;
	char		 chunk[4096];
	ssize_t		 k;

	buf_init(&b);
	while ((k = read(r->pipe, chunk, sizeof(chunk))) > 0)
		buf_add(&b, chunk, (size_t)k);
	close(r->pipe);
	kill(r->pid, SIGKILL);
	waitpid(r->pid, NULL, 0);
	return buf_take(&b);
}

static void
test_webhook(struct webhook *w, const char *url)
{
	memset(w, 0, sizeof(*w));
	strcpy(w->uuid, "0c5f1a52-8a4c-4d6c-9a39-4b1a53d1f8a1");
	w->url = (char *)url;
	w->token = (char *)"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
	w->method = WH_POST;
	w->active = 1;
	w->max_attempts = 8;
}

/* The value of header name in a raw request, into out. */
static int
header_of(const char *req, const char *name, char *out, size_t outlen)
{
	char		 pat[128];
	const char	*p, *e;

	snprintf(pat, sizeof(pat), "\r\n%s:", name);
	if ((p = strcasestr(req, pat)) == NULL)
		return -1;
	p += strlen(pat);
	while (*p == ' ')
		p++;
	e = strstr(p, "\r\n");
	snprintf(out, outlen, "%.*s", (int)(e - p), p);
	return 0;
}

static void
test_request(void **state)
{
	static const char body[] = "{\"type\":\"a.b\",\"timestamp\":\"t\","
	    "\"data\":{}}";
	struct deliver_opts	 o = { 1, 5000 };
	struct deliver_result	 r;
	struct responder	 rs;
	struct wh_header	 hs[4] = {
		{ (char *)"X-Custom", (char *)"yes" },
		{ (char *)"webhook-id", (char *)"forged" },
		{ (char *)"Host", (char *)"evil.example" },
		{ (char *)"X-Two", (char *)"a b" },
	};
	struct webhook		 w;
	char			 url[64], v[256], *req, *sig, *p;
	long long		 ts;

	(void)state;
	responder_start(&rs, "HTTP/1.1 204 No Content\r\n"
	    "Content-Length: 0\r\n\r\n", 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook?a=1", rs.port);
	test_webhook(&w, url);
	w.method = WH_PUT;
	w.headers = hs;
	w.nheaders = 4;
	w.auth_user = (char *)"user";
	w.auth_pass = (char *)"pass";
	deliver_now(&w, "msg_123", body, strlen(body), &o, &r);
	req = responder_finish(&rs);

	assert_int_equal(r.cls, DELIVER_DONE);
	assert_int_equal(r.status, 204);
	assert_string_equal(r.error, "");
	assert_int_equal(strncmp(req, "PUT /hook?a=1 HTTP/1.1\r\n", 24), 0);
	assert_int_equal(header_of(req, "Content-Type", v, sizeof(v)), 0);
	assert_string_equal(v, "application/json");
	assert_int_equal(header_of(req, "X-Custom", v, sizeof(v)), 0);
	assert_string_equal(v, "yes");
	assert_int_equal(header_of(req, "X-Two", v, sizeof(v)), 0);
	assert_string_equal(v, "a b");
	assert_int_equal(header_of(req, "Authorization", v, sizeof(v)), 0);
	assert_string_equal(v, "Basic dXNlcjpwYXNz");
	assert_int_equal(header_of(req, "Host", v, sizeof(v)), 0);
	assert_string_not_equal(v, "evil.example");
	assert_int_equal(header_of(req, "webhook-id", v, sizeof(v)), 0);
	assert_string_equal(v, "msg_123");
	assert_null(strstr(req, "forged"));
	assert_null(strcasestr(req, "\r\nExpect:"));
	assert_int_equal(header_of(req, "webhook-timestamp", v, sizeof(v)), 0);
	ts = atoll(v);
	assert_true(llabs(ts - util_now_ms() / 1000) < 5);
	assert_int_equal(header_of(req, "webhook-signature", v, sizeof(v)), 0);
	sig = deliver_sign(w.token, "msg_123", ts, body, strlen(body));
	assert_string_equal(v, sig);
	free(sig);
	p = strstr(req, "\r\n\r\n");
	assert_non_null(p);
	assert_string_equal(p + 4, body);
	free(req);
}

static void
test_answers(void **state)
{
	static const struct {
		const char		*resp;
		size_t			 extra;
		enum deliver_class	 cls;
		int			 status;
		int			 gone;
		int64_t			 retry_after;
		const char		*error;
		const char		*body;
	} cases[] = {
		{ "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 0,
		    DELIVER_DONE, 200, 0, -1, "", "ok" },
		{ "HTTP/1.1 410 Gone\r\nContent-Length: 4\r\n\r\ngone", 0,
		    DELIVER_PERMANENT, 410, 1, -1,
		    "Request failed with status code 410", "gone" },
		{ "HTTP/1.1 503 Busy\r\nRetry-After: 7\r\nContent-Length: 0"
		    "\r\n\r\n", 0, DELIVER_TEMPORARY, 503, 0, 7000,
		    "Request failed with status code 503", "" },
		{ "HTTP/1.1 429 Slow\r\nretry-after:  30 \r\nContent-Length: 0"
		    "\r\n\r\n", 0, DELIVER_TEMPORARY, 429, 0, 30000,
		    "Request failed with status code 429", "" },
		/* Retry-After only counts on 429 and 503. */
		{ "HTTP/1.1 500 Oops\r\nRetry-After: 7\r\nContent-Length: 0"
		    "\r\n\r\n", 0, DELIVER_TEMPORARY, 500, 0, -1,
		    "Request failed with status code 500", "" },
		{ "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/\r\n"
		    "Content-Length: 0\r\n\r\n", 0, DELIVER_TEMPORARY, 302, 0,
		    -1, "Request failed with status code 302", "" },
		/* Over 64 KiB: read up to the cap, still a success. */
		{ "HTTP/1.1 200 OK\r\nContent-Length: 200000\r\n\r\n", 200000,
		    DELIVER_DONE, 200, 0, -1, "", NULL },
		/* Control bytes and broken UTF-8 are cleaned for the log. */
		{ "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\na\x01\xff\xc3\xa9z\xe2",
		    0, DELIVER_DONE, 200, 0, -1, "", "a??\xc3\xa9z?" },
	};
	struct deliver_opts	 o = { 1, 5000 };
	struct deliver_result	 r;
	struct responder	 rs;
	struct webhook		 w;
	char			 url[64], *req;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		responder_start(&rs, cases[i].resp, cases[i].extra);
		snprintf(url, sizeof(url), "http://127.0.0.1:%d/", rs.port);
		test_webhook(&w, url);
		deliver_now(&w, "msg_1", "{}", 2, &o, &r);
		req = responder_finish(&rs);
		free(req);
		if (r.cls != cases[i].cls || r.status != cases[i].status ||
		    r.gone != cases[i].gone ||
		    r.retry_after_ms != cases[i].retry_after ||
		    strcmp(r.error, cases[i].error) != 0)
			fail_msg("case %zu: cls %d status %d gone %d ra %lld "
			    "error \"%s\"", i, r.cls, r.status, r.gone,
			    (long long)r.retry_after_ms, r.error);
		if (cases[i].body != NULL)
			assert_string_equal(r.body, cases[i].body);
		else
			assert_int_equal(strlen(r.body), DELIVER_LOG_BODY);
	}

	/* Headers over libcurl's limits: one line over 100 KB, or 300 KB in
	 * all; a temporary failure that says so (once "Out of memory"). */
	for (i = 0; i < 2; i++) {
		struct buf	 b;
		int		 k;

		buf_init(&b);
		buf_puts(&b, "HTTP/1.1 200 OK\r\n");
		if (i == 0) {
			buf_puts(&b, "X-Big: ");
			for (k = 0; k < 150000; k++)
				buf_putc(&b, 'a');
			buf_puts(&b, "\r\n");
		} else
			for (k = 0; k < 400; k++)
				buf_printf(&b, "X-H%d: %01000d\r\n", k, 0);
		buf_puts(&b, "Content-Length: 0\r\n\r\n");
		responder_start(&rs, b.p, 0);
		buf_free(&b);
		snprintf(url, sizeof(url), "http://127.0.0.1:%d/", rs.port);
		test_webhook(&w, url);
		deliver_now(&w, "msg_1", "{}", 2, &o, &r);
		free(responder_finish(&rs));
		assert_int_equal(r.cls, DELIVER_TEMPORARY);
		if (strstr(r.error, i == 0 ? "a header line over 100 KB" :
		    "the response's headers are too large (over 300 KB in "
		    "all): Too large response headers") == NULL)
			fail_msg("headers case %zu: error \"%s\"", i, r.error);
	}
}

/*
 * Receivers that break HTTP: each a temporary failure (the receiver may be
 * fixed; a garbled status line was once "unsupported protocol", which
 * killed the delivery at its first attempt) whose error says what happened
 * in words, keeps libcurl's detail, and holds no control character from
 * the receiver's bytes.
 */
static void
test_broken_answers(void **state)
{
	static const struct {
		const char	*resp;
		size_t		 extra;
		const char	*what;		/* our words */
		const char	*detail;	/* libcurl's */
	} cases[] = {
		{ "HTTP/1.1 2OO OK\r\nContent-Length: 0\r\n\r\n", 0,
		    "the receiver's answer is not valid HTTP: ",
		    "response code" },
		{ "garbage\r\n\r\n", 0,
		    "the receiver's answer is not valid HTTP: ", "HTTP/0.9" },
		{ "<html>hello</html>", 0,
		    "the receiver's answer is not valid HTTP: ", "HTTP/0.9" },
		{ "HTTP/7.1 200 OK\r\n\r\n", 0,
		    "the receiver's answer is not valid HTTP: ", "version" },
		{ "HTTP/1.\x1b[31m1 200 \x07OK\r\n\r\n", 0,
		    "the receiver's answer is not valid HTTP: ", "version" },
		{ "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nabc", 0,
		    "the receiver's answer is not valid HTTP: ",
		    "Content-Length" },
		{ "HTTP/1.1 200 OK", 0, "the receiver closed the connection "
		    "without answering: ", "Empty reply" },
		{ "", 0, "the receiver closed the connection without "
		    "answering: ", "Empty reply" },
		{ "", RESPOND_RESET, "the connection failed while reading "
		    "the answer: ", "Connection reset by peer" },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc", 0,
		    "the answer ended before its Content-Length: ",
		    "97 bytes remaining" },
		{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		    "\x1b[31m\r\nabc\r\n", 0,
		    "the connection failed while reading the answer: ",
		    "chunked" },
		/* An https URL, a plain HTTP server (the one https case). */
		{ "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n",
		    RESPOND_EARLY, "the TLS handshake with the receiver failed: ",
		    "wrong version number" },
	};
	struct deliver_opts	 o = { 1, 5000 };
	struct deliver_result	 r;
	struct responder	 rs;
	struct webhook		 w;
	char			 url[64];
	size_t			 i, k;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		responder_start(&rs, cases[i].resp, cases[i].extra);
		snprintf(url, sizeof(url), "%s://127.0.0.1:%d/",
		    cases[i].extra == RESPOND_EARLY ? "https" : "http",
		    rs.port);
		test_webhook(&w, url);
		deliver_now(&w, "msg_1", "{}", 2, &o, &r);
		free(responder_finish(&rs));
		if (r.cls != DELIVER_TEMPORARY ||
		    strncmp(r.error, cases[i].what, strlen(cases[i].what)) ||
		    strstr(r.error, cases[i].detail) == NULL)
			fail_msg("case %zu: cls %d status %d error \"%s\"", i,
			    r.cls, r.status, r.error);
		for (k = 0; r.error[k] != '\0'; k++)
			if ((unsigned char)r.error[k] < 0x20 ||
			    (unsigned char)r.error[k] >= 0x7f)
				fail_msg("case %zu: byte %zu of \"%s\"", i, k,
				    r.error);
	}
}

/*
 * Opens of the CA bundle, counted while ca_path is set: this program's
 * fopen and fopen64 come first (OpenSSL reads the bundle through one).
 */
static const char	*ca_path;
static int		 ca_opens;

static FILE *
fopen_next(const char *name, const char *path, const char *mode)
{
	FILE	*(*next)(const char *, const char *);

	if (ca_path != NULL && strcmp(path, ca_path) == 0)
		ca_opens++;
	*(void **)&next = dlsym(RTLD_NEXT, name);
	return next(path, mode);
}

FILE	*fopen(const char *, const char *);
FILE	*fopen64(const char *, const char *);

FILE *
fopen(const char *path, const char *mode)
{
	return fopen_next("fopen", path, mode);
}

FILE *
fopen64(const char *path, const char *mode)
{
	return fopen_next("fopen64", path, mode);
}

/* Three TLS connections parse the CA bundle once: with the CA directory
 * set too (Debian's libcurl), libcurl 7.88 kept no CA cache and parsed the
 * whole bundle for every connection, 50 to 100 ms on webhookd's one thread
 * during which no other transfer moved. */
/* A port nobody listens on: libcurl's words, then the system's reason. */
static void
test_connect_refused(void **state)
{
	struct deliver_opts	 o = { 1, 5000 };
	struct deliver_result	 r;
	struct webhook		 w;
	char			 url[64];
	int			 lfd, port;

	(void)state;
	lfd = listen_loopback(&port);
	close(lfd);		/* the port is free again, and closed */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
	test_webhook(&w, url);
	deliver_now(&w, "msg_1", "{}", 2, &o, &r);
	assert_int_equal(r.cls, DELIVER_TEMPORARY);
	if (strncmp(r.error, "Failed to connect to 127.0.0.1 port ", 36) != 0 ||
	    strstr(r.error, " (Connection refused)") == NULL)
		fail_msg("error \"%s\"", r.error);
}

static void
test_ca_parsed_once(void **state)
{
	struct deliver_opts	 o = { 1, 5000 };
	struct deliver_result	 r;
	struct responder	 rs;
	struct webhook		 w;
	curl_version_info_data	*v = curl_version_info(CURLVERSION_NOW);
	char			 url[64];
	int			 i;

	(void)state;
	if (v->cainfo == NULL || v->cainfo[0] == '\0')
		skip();
	deliver_cleanup();	/* new easy handles, no cache yet */
	ca_path = v->cainfo;
	ca_opens = 0;
	for (i = 0; i < 3; i++) {
		responder_start(&rs, "HTTP/1.1 400 Bad\r\n\r\n", RESPOND_EARLY);
		snprintf(url, sizeof(url), "https://127.0.0.1:%d/", rs.port);
		test_webhook(&w, url);
		deliver_now(&w, "msg_1", "{}", 2, &o, &r);
		free(responder_finish(&rs));
		if (strstr(r.error, "TLS handshake") == NULL)
			fail_msg("%d: \"%s\"", i, r.error);
	}
	ca_path = NULL;
	if (ca_opens != 1)
		fail_msg("the CA bundle %s was opened %d times", v->cainfo,
		    ca_opens);
}

/*
 * A response whose first header line is folded (obsolete line folding),
 * after a transfer that had headers: libcurl 7.88 appended the folded line
 * to the previous transfer's last header, freed already, and freed it
 * again, when an easy handle served a second transfer (found by
 * tests/fuzz/fuzz_response.c).  Whatever libcurl makes of such an answer,
 * the attempt ends with a result, and the process lives on.
 */
static void
test_folded_headers(void **state)
{
	static const char *const resps[] = {
		"HTTP/1.1 200 OK\r\nX-A: 1\r\nX-B: 2\r\nContent-Length: 2"
		    "\r\n\r\nok",
		"HTTP/1.1 200 OK\r\n\tX-Folded: y\r\n Connection: z\r\n"
		    "Content-Length: 2\r\n\r\nok",
		"HTTP/1.1 200 OK\r\nX-A: 1\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 503 Busy\r\n  Retry-After: 9\r\nRetry-After: 4"
		    "\r\n\tfolded\r\nContent-Length: 0\r\n\r\n",
	};
	struct deliver_opts	 o = { 1, 5000 };
	struct deliver_result	 r;
	struct responder	 rs;
	struct webhook		 w;
	char			 url[64];
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(resps) / sizeof(resps[0]); i++) {
		responder_start(&rs, resps[i], 0);
		snprintf(url, sizeof(url), "http://127.0.0.1:%d/", rs.port);
		test_webhook(&w, url);
		deliver_now(&w, "msg_1", "{}", 2, &o, &r);
		free(responder_finish(&rs));
		if (!(r.cls == DELIVER_DONE && r.error[0] == '\0') &&
		    !(r.cls == DELIVER_TEMPORARY && r.error[0] != '\0'))
			fail_msg("answer %zu: cls %d error \"%s\"", i, r.cls,
			    r.error);
		if (i % 2 == 0 && r.cls != DELIVER_DONE)
			fail_msg("answer %zu: cls %d", i, r.cls);
	}
}

/*
 * Status lines HTTP has no status in: libcurl 7.88 read
 * "HTTP/2222222221.1 200" as status 222222221, which went into the
 * attempt log and the webhook's error (found by fuzz_response).  An
 * attempt has a status of three digits or none (0), and fails.
 */
static void
test_bad_status(void **state)
{
	static const char *const resps[] = {
		"HTTP/2222222221.1 200 \r\n\r\n5\r\nhello\r\n0\r\n\r\n",
		"HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 -200 OK\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 OK\r\nContent-Length: 0\r\n\r\n",
	};
	struct deliver_opts	 o = { 1, 5000 };
	struct deliver_result	 r;
	struct responder	 rs;
	struct webhook		 w;
	char			 url[64];
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(resps) / sizeof(resps[0]); i++) {
		responder_start(&rs, resps[i], 0);
		snprintf(url, sizeof(url), "http://127.0.0.1:%d/", rs.port);
		test_webhook(&w, url);
		deliver_now(&w, "msg_1", "{}", 2, &o, &r);
		free(responder_finish(&rs));
		if (r.status != 0 && (r.status < 100 || r.status > 999))
			fail_msg("answer %zu: status %d", i, r.status);
		if (r.cls != DELIVER_TEMPORARY || r.error[0] == '\0')
			fail_msg("answer %zu: cls %d error \"%s\"", i, r.cls,
			    r.error);
	}
}

static void
test_refused(void **state)
{
	static const char *const hosts[] = {
		"127.0.0.1", "127.1", "2130706433", "0x7f000001",
		"0177.0.0.1", "[::ffff:127.0.0.1]", "localhost",
	};
	struct deliver_opts	 o = { 0, 3000 };
	struct deliver_result	 r;
	struct webhook		 w;
	char			 url[128];
	size_t			 i;
	int			 lfd, port;

	(void)state;
	lfd = listen_loopback(&port);
	for (i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		snprintf(url, sizeof(url), "http://%s:%d/", hosts[i], port);
		test_webhook(&w, url);
		deliver_now(&w, "msg_1", "{}", 2, &o, &r);
		if (r.cls != DELIVER_PERMANENT ||
		    strstr(r.error, "refused to connect") == NULL ||
		    strstr(r.error, "loopback") == NULL)
			fail_msg("%s: cls %d error \"%s\"", hosts[i], r.cls,
			    r.error);
		assert_int_equal(r.status, 0);
	}
	/* The canary saw nothing. */
	assert_int_equal(has_connection(lfd), 0);

	/* Allowed, it does connect (and then times out: nobody answers). */
	o.allow_private = 1;
	o.timeout_ms = 300;
	snprintf(url, sizeof(url), "http://127.1:%d/", port);
	test_webhook(&w, url);
	deliver_now(&w, "msg_1", "{}", 2, &o, &r);
	assert_int_equal(r.cls, DELIVER_TEMPORARY);
	assert_string_equal(r.error, "timeout of 300ms exceeded");
	assert_true(r.latency_ms >= 290 && r.latency_ms < 2000);
	assert_int_equal(has_connection(lfd), 1);
	close(lfd);
}

static void
test_bad_urls(void **state)
{
	static const struct {
		const char		*url;
		enum deliver_class	 cls;
	} cases[] = {
		{ "ftp://127.0.0.1/x", DELIVER_PERMANENT },
		{ "file:///etc/passwd", DELIVER_PERMANENT },
		{ "gopher://127.0.0.1/", DELIVER_PERMANENT },
		{ "http://[::1", DELIVER_PERMANENT },
		/* Nobody listens on port 1: a temporary failure. */
		{ "http://127.0.0.1:1/", DELIVER_TEMPORARY },
	};
	struct deliver_opts	 o = { 1, 2000 };
	struct deliver_result	 r;
	struct webhook		 w;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		test_webhook(&w, cases[i].url);
		deliver_now(&w, "msg_1", "{}", 2, &o, &r);
		if (r.cls != cases[i].cls || r.error[0] == '\0')
			fail_msg("%s: cls %d error \"%s\"", cases[i].url,
			    r.cls, r.error);
	}
}

static void
test_proxy_env_ignored(void **state)
{
	struct deliver_opts	 o = { 1, 5000 };
	struct deliver_result	 r;
	struct responder	 rs;
	struct webhook		 w;
	char			 url[64], *req;

	(void)state;
	/* A proxy in the environment that does not exist: ignored. */
	setenv("http_proxy", "http://127.0.0.1:1", 1);
	setenv("HTTP_PROXY", "http://127.0.0.1:1", 1);
	setenv("ALL_PROXY", "http://127.0.0.1:1", 1);
	responder_start(&rs, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/p", rs.port);
	test_webhook(&w, url);
	deliver_now(&w, "msg_1", "{}", 2, &o, &r);
	req = responder_finish(&rs);
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	unsetenv("ALL_PROXY");
	assert_int_equal(r.cls, DELIVER_DONE);
	assert_int_equal(strncmp(req, "POST /p HTTP/1.1", 16), 0);
	free(req);
}

/* ---- recording over a real store --------------------------------------- */

static char	 home[] = "/tmp/test_deliver.XXXXXX";

static void
test_outcome(void **state)
{
	struct store		*st;
	struct webhook		 w, got;
	struct deliver_result	 r;
	struct deliver_attempt	 a;
	struct store_page	 pg;
	struct metrics_counts	 mc;
	int			 deact;
	const int64_t		 t0 = 1700000000000LL;

	(void)state;
	assert_non_null(mkdtemp(home));
	st = store_open(home, STORE_CREATE);
	assert_non_null(st);
	webhook_init(&w, "team1");
	free(w.url);
	w.url = xstrdup("https://example.com/h");
	free(w.name);
	w.name = xstrdup("h");
	assert_int_equal(webhook_create(st, &w, 0), STORE_OK);

	/* A failure: error set, the run of failures starts. */
	memset(&r, 0, sizeof(r));
	r.cls = DELIVER_TEMPORARY;
	r.status = 500;
	snprintf(r.error, sizeof(r.error), "Request failed with status code 500");
	assert_int_equal(deliver_note_outcome(st, "team1", w.uuid, &r, t0,
	    RETRY_FAIL_WINDOW_MS, 0, &deact), STORE_OK);
	assert_int_equal(deact, 0);
	assert_int_equal(webhook_get(st, "team1", w.uuid, &got), STORE_OK);
	assert_string_equal(got.error_msg, "Request failed with status code 500");
	assert_non_null(got.error_date);
	assert_true(got.fail_since == t0);
	assert_int_equal(got.active, 1);
	webhook_free(&got);

	/* Still failing just before 5 days: active; at 5 days: not. */
	assert_int_equal(deliver_note_outcome(st, "team1", w.uuid, &r,
	    t0 + RETRY_FAIL_WINDOW_MS - 1, RETRY_FAIL_WINDOW_MS, 0, &deact),
	    STORE_OK);
	assert_int_equal(deact, 0);
	assert_int_equal(metrics_read(st, &mc), STORE_OK);
	assert_int_equal(mc.v[METRICS_DISABLED], 0);
	assert_int_equal(deliver_note_outcome(st, "team1", w.uuid, &r,
	    t0 + RETRY_FAIL_WINDOW_MS, RETRY_FAIL_WINDOW_MS, 0, &deact),
	    STORE_OK);
	assert_int_equal(deact, 1);
	/* Counted, in the same transaction (metrics.h). */
	assert_int_equal(metrics_read(st, &mc), STORE_OK);
	assert_int_equal(mc.v[METRICS_DISABLED], 1);
	assert_int_equal(webhook_get(st, "team1", w.uuid, &got), STORE_OK);
	assert_int_equal(got.active, 0);
	assert_non_null(strstr(got.error_msg, "deactivated"));
	webhook_free(&got);

	/* A success ends the run, keeps the last error. */
	memset(&r, 0, sizeof(r));
	r.cls = DELIVER_DONE;
	r.status = 200;
	assert_int_equal(deliver_note_outcome(st, "team1", w.uuid, &r, t0 + 1,
	    RETRY_FAIL_WINDOW_MS, 0, NULL), STORE_OK);
	assert_int_equal(webhook_get(st, "team1", w.uuid, &got), STORE_OK);
	assert_true(got.fail_since == 0);
	assert_non_null(got.error_msg);
	webhook_free(&got);
	/* Nothing to write: still OK. */
	assert_int_equal(deliver_note_outcome(st, "team1", w.uuid, &r, t0 + 2,
	    RETRY_FAIL_WINDOW_MS, 0, NULL), STORE_OK);

	/* 410 deactivates at once; a test failure never deactivates. */
	memset(&r, 0, sizeof(r));
	r.cls = DELIVER_PERMANENT;
	r.status = 410;
	r.gone = 1;
	snprintf(r.error, sizeof(r.error), "Request failed with status code 410");
	assert_int_equal(deliver_note_outcome(st, "team1", w.uuid, &r, t0 + 3,
	    RETRY_FAIL_WINDOW_MS, 1, &deact), STORE_OK);
	assert_int_equal(deact, 0);
	assert_int_equal(deliver_note_outcome(st, "team1", w.uuid, &r, t0 + 4,
	    RETRY_FAIL_WINDOW_MS, 0, &deact), STORE_OK);
	/* Already inactive from the 5 days above: nothing deactivated now. */
	assert_int_equal(deact, 0);
	assert_int_equal(metrics_read(st, &mc), STORE_OK);
	assert_int_equal(mc.v[METRICS_DISABLED], 1);
	assert_int_equal(webhook_get(st, "team1", w.uuid, &got), STORE_OK);
	assert_int_equal(got.active, 0);
	webhook_free(&got);

	/* Another team's or an unknown webhook. */
	assert_int_equal(deliver_note_outcome(st, "team2", w.uuid, &r, t0,
	    RETRY_FAIL_WINDOW_MS, 0, NULL), STORE_NOTFOUND);

	/* The attempt log. */
	memset(&a, 0, sizeof(a));
	a.delivery_id = "msg_1";
	a.event_id = "ev1";
	a.event_type = "a.b";
	a.webhook = w.uuid;
	a.attempt = 2;
	a.at_ms = t0;
	a.r = &r;
	a.state = DELIVERY_DEAD;
	assert_int_equal(deliver_log_attempt(st, &a), STORE_OK);
	assert_int_equal(attempt_list(st, w.uuid, 0, 10, &pg), STORE_OK);
	assert_int_equal(pg.n, 1);
	assert_non_null(strstr(pg.recs[0], "\"delivery_id\":\"msg_1\""));
	assert_non_null(strstr(pg.recs[0], "\"status_code\":410"));
	assert_non_null(strstr(pg.recs[0], "\"state\":\"dead\""));
	store_page_free(&pg);

	webhook_free(&w);
	store_close(st);
}

static void
test_outcome_410(void **state)
{
	struct store		*st;
	struct webhook		 w, got;
	struct deliver_result	 r;
	struct metrics_counts	 mc;
	int64_t			 disabled;
	int			 deact;

	(void)state;
	st = store_open(home, 0);
	assert_non_null(st);
	webhook_init(&w, "team1");
	free(w.url);
	w.url = xstrdup("https://example.com/g");
	free(w.name);
	w.name = xstrdup("g");
	assert_int_equal(webhook_create(st, &w, 0), STORE_OK);
	memset(&r, 0, sizeof(r));
	r.cls = DELIVER_PERMANENT;
	r.status = 410;
	r.gone = 1;
	snprintf(r.error, sizeof(r.error), "Request failed with status code 410");
	assert_int_equal(metrics_read(st, &mc), STORE_OK);
	disabled = mc.v[METRICS_DISABLED];
	assert_int_equal(deliver_note_outcome(st, "team1", w.uuid, &r,
	    util_now_ms(), RETRY_FAIL_WINDOW_MS, 0, &deact), STORE_OK);
	assert_int_equal(deact, 1);
	/* A 410 is not the 5-day rule: not counted. */
	assert_int_equal(metrics_read(st, &mc), STORE_OK);
	assert_int_equal(mc.v[METRICS_DISABLED], disabled);
	assert_int_equal(webhook_get(st, "team1", w.uuid, &got), STORE_OK);
	assert_int_equal(got.active, 0);
	assert_non_null(strstr(got.error_msg, "410"));
	assert_non_null(strstr(got.error_msg, "deactivated"));
	webhook_free(&got);
	webhook_free(&w);
	store_close(st);
	{
		char *cmd = xasprintf("rm -rf '%s'", home);
		assert_int_equal(system(cmd), 0);
		free(cmd);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_table),
		cmocka_unit_test(test_addr_reasons),
		cmocka_unit_test(test_sign_vector),
		cmocka_unit_test(test_sign_raw),
		cmocka_unit_test(test_sign_all),
		cmocka_unit_test(test_msg_id),
		cmocka_unit_test(test_body),
		cmocka_unit_test(test_retry_after),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_broken_answers),
		cmocka_unit_test(test_ca_parsed_once),
		cmocka_unit_test(test_connect_refused),
		cmocka_unit_test(test_folded_headers),
		cmocka_unit_test(test_bad_status),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_bad_urls),
		cmocka_unit_test(test_proxy_env_ignored),
		cmocka_unit_test(test_outcome),
		cmocka_unit_test(test_outcome_410),
	};
	int	 rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests_name("deliver", tests, NULL, NULL);
	deliver_cleanup();
	curl_global_cleanup();
	return rc;
}
