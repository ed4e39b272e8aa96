/*
 * fuzz_http: the HTTP request layer, from the FastCGI parameters and body
 * to the answer: http_req_read (method, path and its percent-decoding,
 * query string, Host, Authorization, Content-Type, Cookie,
 * Content-Length), then api_handle over a real store (routing in every
 * dialect, 404/405/413/415, the bearer token, the JSON body, each
 * handler's query parameters, the admin page's cookies and urlencoded
 * forms with their CSRF token), then http_send.
 *
 * Input: "NAME=value" lines (the FastCGI parameters, REQUEST_METHOD,
 * REQUEST_URI, HTTP_COOKIE, ...), an empty line, then the body.  In
 * values and body, @TOKEN@ stands for a valid API token with every scope,
 * @SID@ for a live admin session of it, @CSRF@ for that session's CSRF
 * token, @PRE@ for a fresh value of the login form's cookie wh_login (40
 * hex digits and the time, as admin.c makes it), @LCSRF@ for its token,
 * @UUID@ for a webhook of the token's team, so that inputs get past
 * authentication, and @LEN@ for the length of the body as it is sent.  The store (Berkeley DB) and spool live in a temporary
 * directory under /dev/shm, made at the first input and removed at exit;
 * the team's webhooks and spooled events are cleared every few thousand
 * inputs.  Test deliveries find no webhookd (a 500, no child process).
 * Every answer must be a status from 100 to 599 whose header lines hold
 * no bare CR or LF; the store must not need recovery.  Any failure aborts.
 *
 * FUZZ_HTTP_SHOW=1 prints each input's method, path and status.
 *
 * Corpus: tests/fuzz/corpus/http/, the seed documents' example requests
 * in each dialect, events, the admin page's login, forms and links.
 * Run: make fuzz, or build/fuzz/fuzz_http DIR.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "api.h"
#include "auth.h"
#include "cfg.h"
#include "http.h"
#include "store.h"
#include "util.h"
#include "webhook.h"

#ifndef FUZZ_TEMPLATES
#define FUZZ_TEMPLATES "templates"
#endif
#define TEAM		"fuzzteam"
/* The login form's pre-session cookie, wh_login (48 characters). */
#define PRE_RANDOM	"0123456789abcdef0123456789abcdef01234567"
#define CLEAR_EVERY	4096
#define PARAMS_MAX	64

int		LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
unsigned int	alarm(unsigned int);

static struct cfg	 cfg;
static struct store	*st;
static char		 home[64];
static char		*token;
static char		 sid[AUTH_SID_LEN + 1];
static char		 csrf[AUTH_CSRF_LEN + 1], lcsrf[AUTH_CSRF_LEN + 1];
static char		 pre[49];	/* @PRE@ */
static char		 uuid[37];
static unsigned long	 runs;
static unsigned char	 outbuf[4096];

/*
 * api_handle arms alarm() as the FastCGI program's watchdog; here the
 * timer is libFuzzer's (-timeout), which alarm() would cancel.  This
 * definition replaces libc's for the whole program.
 */
unsigned int
alarm(unsigned int seconds)
{
	(void)seconds;
	return 0;
}

static void
fail(const char *what, const char *a)
{
	fprintf(stderr, "fuzz_http: %s: %s\n", what, a ? a : "");
	abort();
}

static void
cleanup(void)
{
	char	*cmd;

	if (st != NULL)
		store_close(st);
	st = NULL;
	if (home[0] != '\0') {
		cmd = xasprintf("rm -rf '%s'", home);
		if (system(cmd) != 0)
			fprintf(stderr, "fuzz_http: cannot remove %s\n", home);
		free(cmd);
	}
}

/* A webhook of the team for @UUID@, made again when an input deleted it. */
static void
ensure_webhook(void)
{
	struct webhook	 w;

	if (uuid[0] != '\0' && webhook_get(st, TEAM, uuid, &w) == STORE_OK) {
		webhook_free(&w);
		return;
	}
	webhook_init(&w, TEAM);
	free(w.name);
	free(w.url);
	w.name = xstrdup("Example Webhook");
	w.url = xstrdup("https://digitonic.co.uk/webhook");
	if (webhook_create(st, &w, 0) != STORE_OK)
		fail("cannot create a webhook", "");
	memcpy(uuid, w.uuid, sizeof(uuid));
	webhook_free(&w);
}

static void
setup(void)
{
	struct auth	 a;
	char		 err[512], id[AUTH_ID_LEN + 1];

	snprintf(home, sizeof(home), "%s/fuzz_http.XXXXXX",
	    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (mkdtemp(home) == NULL)
		fail("mkdtemp", home);
	atexit(cleanup);
	setenv("WEBHOOKS_HOME", home, 1);
	if (getenv("WEBHOOKS_TEMPLATES") == NULL)
		setenv("WEBHOOKS_TEMPLATES", FUZZ_TEMPLATES, 1);
	if (cfg_load(&cfg, err, sizeof(err)) == -1)
		fail("configuration", err);
	snprintf(cfg.webhookd, sizeof(cfg.webhookd), "/nonexistent/webhookd");
	if ((st = store_open(cfg.home, STORE_CREATE)) == NULL)
		fail("store_open", cfg.home);
	if (store_team_add(st, TEAM, "{\"v\":1,\"name\":\"" TEAM "\"}") !=
	    STORE_OK ||
	    auth_token_create(st, TEAM, SCOPE_ALL, &token, id) != STORE_OK ||
	    auth_session_create(st, token, sid, &a) != STORE_OK)
		fail("cannot make the team, token and session", "");
	snprintf(pre, sizeof(pre), "%s%08llx", PRE_RANDOM,
	    (unsigned long long)(util_now_ms() / 1000) & 0xffffffffULL);
	if (auth_csrf_token(st, sid, csrf) != STORE_OK ||
	    auth_csrf_token(st, pre, lcsrf) != STORE_OK)
		fail("cannot make the CSRF tokens", "");
}

/* A live session for @SID@, made again when an input logged out. */
static void
ensure_session(void)
{
	struct auth	 a;

	if (auth_session_check(st, sid, &a) == STORE_OK)
		return;
	if (auth_session_create(st, token, sid, &a) != STORE_OK)
		fail("cannot make a session", "");
	if (auth_csrf_token(st, sid, csrf) != STORE_OK)
		fail("cannot make the CSRF token", "");
}

/* Deletes the team's webhooks and the spooled events: the store and the
 * spool stay small however long the run. */
static void
clear(void)
{
	struct webhook	*ws = NULL;
	struct dirent	*de;
	DIR		*d;
	char		*path;
	size_t		 n = 0, i;

	if (webhook_list(st, TEAM, 0, 100000, &ws, &n, NULL) == STORE_OK) {
		for (i = 0; i < n; i++) {
			webhook_delete(st, TEAM, ws[i].uuid);
			webhook_free(&ws[i]);
		}
		free(ws);
	}
	uuid[0] = '\0';
	path = xasprintf("%s/spool/new", home);
	if ((d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] != '.')
				unlinkat(dirfd(d), de->d_name, 0);
		closedir(d);
	}
	free(path);
}

/* s[0..n) with the @NAMES@ replaced, NUL-terminated; caller frees.
 * blen: the body's length for @LEN@. */
static char *
expand(const char *s, size_t n, size_t blen)
{
	static const char *const names[] = {
		"@TOKEN@", "@SID@", "@CSRF@", "@LCSRF@", "@UUID@", "@LEN@",
		"@PRE@",
	};
	char		 len_s[24];
	const char	*vals[7] = { token, sid, csrf, lcsrf, uuid, len_s, pre };
	struct buf	 b;
	size_t		 i, k, len;

	snprintf(len_s, sizeof(len_s), "%zu", blen);
	buf_init(&b);
	buf_reserve(&b, n + 1);
	for (i = 0; i < n; ) {
		for (k = 0; k < 7; k++) {
			len = strlen(names[k]);
			if (n - i >= len && memcmp(s + i, names[k], len) == 0)
				break;
		}
		if (k < 7) {
			buf_puts(&b, vals[k]);
			i += len;
		} else
			buf_putc(&b, s[i++]);
	}
	buf_add(&b, "", 1);
	return buf_take(&b);
}

/* The body is all in the buffer: once read, the stream ends. */
static void
in_fill(FCGX_Stream *s)
{
	s->isClosed = 1;
}

static void
out_empty(FCGX_Stream *s, int doclose)
{
	(void)doclose;
	s->wrNext = outbuf;
}

/* Every header line of the answer ends in CRLF and holds no other CR or
 * LF; the status is an HTTP one. */
static void
check_answer(const struct http_resp *w)
{
	const char	*p = w->headers.p, *end = p + w->headers.len, *nl;

	if (w->status < 100 || w->status > 599) {
		char s[16];
		snprintf(s, sizeof(s), "%d", w->status);
		fail("an answer with a status out of range", s);
	}
	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL ||
		    nl == p || nl[-1] != '\r' ||
		    memchr(p, '\r', (size_t)(nl - 1 - p)) != NULL)
			fail("a malformed header line", p);
		p = nl + 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FCGX_Stream	 in, out;
	FCGX_Request	 fr;
	struct http_req	 req;
	struct http_resp resp;
	const char	*p = (const char *)data, *end = p + size, *nl, *b;
	char		*envp[PARAMS_MAX + 1], *body, *base, q[256];
	size_t		 n = 0, blen, i;

	if (size > 2 << 20)
		return 0;
	if (st == NULL)
		setup();
	if (++runs % CLEAR_EVERY == 0)
		clear();
	ensure_webhook();
	ensure_session();

	/* The parameters: lines up to an empty one; then the body. */
	for (b = p; b < end; b = nl + 1) {
		if ((nl = memchr(b, '\n', (size_t)(end - b))) == NULL) {
			b = end;
			break;
		}
		if (nl == b) {
			b++;
			break;
		}
	}
	body = expand(b, (size_t)(end - b), 0);
	blen = strlen(body);
	while (p < end && n < PARAMS_MAX) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if (nl == p)
			break;
		envp[n++] = expand(p, (size_t)(nl - p), blen);
		p = nl < end ? nl + 1 : end;
	}
	envp[n] = NULL;

	memset(&in, 0, sizeof(in));
	in.rdNext = in.stopUnget = (unsigned char *)body;
	in.stop = in.wrNext = (unsigned char *)body + blen;
	in.isReader = 1;
	in.fillBuffProc = in_fill;
	memset(&out, 0, sizeof(out));
	out.wrNext = out.stopUnget = outbuf;
	out.stop = outbuf + sizeof(outbuf);
	out.emptyBuffProc = out_empty;
	memset(&fr, 0, sizeof(fr));
	fr.in = &in;
	fr.out = &out;
	fr.envp = envp;
	fr.ipcFd = -1;

	http_resp_init(&resp);
	if (http_req_read(&req, &fr, cfg.max_body) == 0) {
		static const char *const qs[] = { "page", "per_page", "id" };
		for (i = 0; i < sizeof(qs) / sizeof(qs[0]); i++)
			(void)http_query(&req, qs[i], q, sizeof(q));
		base = http_base_url(&req, NULL);
		free(base);
		store_read_begin(st);
		api_handle(st, &cfg, &req, &resp);
		store_read_end(st);
		check_answer(&resp);
		/* FUZZ_HTTP_SHOW=1: what each input was answered (to check
		 * that the corpus reaches the handlers). */
		if (getenv("FUZZ_HTTP_SHOW") != NULL)
			fprintf(stderr, "fuzz_http: %s %s -> %d %.*s\n",
			    req.method_name, req.path, resp.status,
			    resp.body.len > 200 ? 200 : (int)resp.body.len,
			    resp.body.p ? resp.body.p : "");
		http_send(&req, &resp);
		http_req_free(&req);
	}
	http_resp_free(&resp);
	if (store_is_fatal(st))
		fail("the store needs recovery", "");
	for (i = 0; i < n; i++)
		free(envp[i]);
	free(body);
	return 0;
}
