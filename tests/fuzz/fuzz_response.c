/*
 * fuzz_response: the receiver's answer to a delivery, as deliver.c reads
 * it: libcurl parses the status line and framing, deliver's callbacks keep
 * Retry-After (delta-seconds or an HTTP-date, the last of the final
 * response) and the first bytes of the body, and deliver_xfer_done
 * classifies the attempt and cleans the body for the attempt log.
 *
 * Input: the raw bytes a receiver sends back.  A thread of this process
 * serves them on a loopback port (then closes), and deliver_now sends one
 * real delivery there (the SSRF guard allows loopback here, as
 * WEBHOOKS_ALLOW_PRIVATE does).  The result must hold up: done exactly
 * when a 2xx came and with no error, a Retry-After only for 429 and 503
 * and never negative, the body kept valid UTF-8 without control
 * characters, the error a bounded string.  The input is also given to
 * deliver_retry_after as a header value.  Any difference aborts.
 *
 * Corpus: tests/fuzz/corpus/response/, answers of the kinds receivers
 * send (2xx, 410, 429 and 503 with Retry-After in both forms, 1xx before
 * the answer, chunked, truncated, a malformed status line).
 * Run: make fuzz, or build/fuzz/fuzz_response DIR.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "deliver.h"
#include "util.h"
#include "webhook.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int		 lfd = -1;
static char		 url[64];
static pthread_mutex_t	 mu = PTHREAD_MUTEX_INITIALIZER;
static const uint8_t	*answer;	/* under mu */
static size_t		 answer_len;

static void
fail(const char *what, const char *a, const char *b)
{
	fprintf(stderr, "fuzz_response: %s\n  got:  %s\n  want: %s\n", what,
	    a ? a : "(null)", b ? b : "(null)");
	abort();
}

/* Reads the request whole (its headers, then Content-Length bytes), so
 * that closing sends a FIN and no reset the client could lose data to. */
static void
read_request(int fd)
{
	char	 buf[8192], *end, *cl;
	size_t	 have = 0, want = 0;
	ssize_t	 n;

	for (;;) {
		if (have == sizeof(buf) - 1)
			return;
		if ((n = read(fd, buf + have, sizeof(buf) - 1 - have)) <= 0)
			return;
		have += (size_t)n;
		buf[have] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) == NULL)
			continue;
		if ((cl = strcasestr(buf, "\r\nContent-Length:")) != NULL &&
		    cl < end)
			want = (size_t)strtoul(cl + 17, NULL, 10);
		if (have >= (size_t)(end + 4 - buf) + want)
			return;
	}
}

static void *
serve(void *arg)
{
	const uint8_t	*p;
	size_t		 len, off;
	ssize_t		 n;
	int		 fd;

	(void)arg;
	for (;;) {
		if ((fd = accept(lfd, NULL, NULL)) == -1)
			continue;
		read_request(fd);
		pthread_mutex_lock(&mu);
		p = answer;
		len = answer_len;
		for (off = 0; p != NULL && off < len; off += (size_t)n)
			if ((n = send(fd, p + off, len - off, MSG_NOSIGNAL)) <= 0)
				break;
		pthread_mutex_unlock(&mu);
		close(fd);
	}
	return NULL;
}

static void
start(void)
{
	struct sockaddr_in	 sin;
	socklen_t		 sl = sizeof(sin);
	pthread_t		 t;

	signal(SIGPIPE, SIG_IGN);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((lfd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(lfd, 16) == -1 ||
	    getsockname(lfd, (struct sockaddr *)&sin, &sl) == -1)
		fail("cannot listen on loopback", "", "");
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook",
	    ntohs(sin.sin_port));
	if (pthread_create(&t, NULL, serve, NULL) != 0)
		fail("cannot start the receiver", "", "");
	pthread_detach(t);
}

/* Valid UTF-8, no control characters but tab, CR and LF. */
static int
clean(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 need, k;

	while (*p != '\0') {
		if (*p < 0x80) {
			if ((*p < 0x20 && *p != '\t' && *p != '\n' &&
			    *p != '\r') || *p == 0x7f)
				return 0;
			p++;
			continue;
		}
		need = *p >= 0xc2 && *p <= 0xdf ? 1 : *p >= 0xe0 &&
		    *p <= 0xef ? 2 : *p >= 0xf0 && *p <= 0xf4 ? 3 : 0;
		if (need == 0)
			return 0;
		for (k = 1; k <= need; k++)
			if ((p[k] & 0xc0) != 0x80)
				return 0;
		if ((p[0] == 0xe0 && p[1] < 0xa0) ||
		    (p[0] == 0xed && p[1] > 0x9f) ||
		    (p[0] == 0xf0 && p[1] < 0x90) ||
		    (p[0] == 0xf4 && p[1] > 0x8f))
			return 0;
		p += need + 1;
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char	 body[] = "{\"type\":\"webhook.test\","
	    "\"timestamp\":\"2024-01-01T00:00:00.000Z\",\"data\":{}}";
	struct deliver_opts	 o = { 1, 5000 };
	struct deliver_result	 r;
	struct webhook		 w;
	char			*s, msg_id[DELIVER_ID_LEN + 1];
	int64_t			 ra;

	if (size > 256 * 1024)
		return 0;
	if (lfd == -1)
		start();

	/* The value of a Retry-After header, either form. */
	s = xstrndup((const char *)data, size);
	if ((ra = deliver_retry_after(s, 1733400000000LL)) < -1)
		fail("Retry-After below -1", s, "");
	free(s);

	pthread_mutex_lock(&mu);
	answer = data;
	answer_len = size;
	pthread_mutex_unlock(&mu);

	memset(&w, 0, sizeof(w));
	memcpy(w.uuid, "a3377a90-fbbf-11e9-8044-0242ac120009", 37);
	w.url = url;
	w.token = (char *)"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
	w.method = WH_POST;
	deliver_msg_id("5f0c9b8e-2f9a-4a57-9b1e-0d2f6a1c3e4b", w.uuid, msg_id);
	deliver_now(&w, msg_id, body, sizeof(body) - 1, &o, &r);

	pthread_mutex_lock(&mu);
	answer = NULL;
	pthread_mutex_unlock(&mu);

	if (memchr(r.error, '\0', sizeof(r.error)) == NULL ||
	    memchr(r.body, '\0', sizeof(r.body)) == NULL)
		fail("an unterminated error or body", "", "");
	if ((r.cls == DELIVER_DONE) != (r.status >= 200 && r.status <= 299 &&
	    r.error[0] == '\0'))
		fail("done without a 2xx, or a 2xx with an error", r.error, "");
	if (r.cls == DELIVER_DONE && r.error[0] != '\0')
		fail("done with an error", r.error, "");
	if (r.cls != DELIVER_DONE && r.error[0] == '\0')
		fail("a failure without an error", "", "");
	if (r.retry_after_ms < -1 || (r.retry_after_ms != -1 &&
	    r.status != 429 && r.status != 503))
		fail("a Retry-After where there may be none", "", "");
	if (r.gone != (r.status == 410 && r.cls == DELIVER_PERMANENT))
		fail("gone without a 410", "", "");
	if (!clean(r.body))
		fail("the body kept is not clean UTF-8", r.body, "");
	if (r.status < 0 || r.status > 999) {
		char st[32];
		snprintf(st, sizeof(st), "%d", r.status);
		fail("a status out of range", st, "0 to 999");
	}
	return 0;
}
