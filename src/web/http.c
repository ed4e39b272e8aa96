/*
 * http: the request as a FastCGI or plain CGI program sees it, and the
 * response.  Under FastCGI the parameters and streams come from the accepted
 * FCGX_Request; under CGI from the environment, stdin and stdout.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "http.h"
#include "log.h"

const char *
http_param(const struct http_req *r, const char *name)
{
	if (r->fcgi != NULL)
		return FCGX_GetParam(name, r->fcgi->envp);
	return getenv(name);
}

static const struct {
	const char		*name;
	enum http_method	 m;
} methods[] = {
	{ "GET", HTTP_GET }, { "HEAD", HTTP_HEAD }, { "POST", HTTP_POST },
	{ "PUT", HTTP_PUT }, { "PATCH", HTTP_PATCH }, { "DELETE", HTTP_DELETE },
	{ "OPTIONS", HTTP_OPTIONS },
};

const char *
http_method_name(enum http_method m)
{
	size_t	 i;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (methods[i].m == m)
			return methods[i].name;
	return "OTHER";
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
http_urldecode(char *s, int plus_is_space)
{
	char	*w = s;
	int	 hi, lo;

	for (; *s != '\0'; s++) {
		if (*s == '%') {
			if ((hi = hexval((unsigned char)s[1])) < 0 ||
			    (lo = hexval((unsigned char)s[2])) < 0)
				return -1;
			if (hi == 0 && lo == 0)
				return -1;
			*w++ = (char)(hi << 4 | lo);
			s += 2;
		} else if (*s == '+' && plus_is_space)
			*w++ = ' ';
		else
			*w++ = *s;
	}
	*w = '\0';
	return 0;
}

static size_t
read_in(struct http_req *r, char *buf, size_t n)
{
	int	 got;

	if (r->fcgi != NULL) {
		got = FCGX_GetStr(buf, (int)n, r->fcgi->in);
		return got > 0 ? (size_t)got : 0;
	}
	return fread(buf, 1, n, stdin);
}

/* The parameters http_req_read reads, found in one pass over them. */
enum reqp {
	P_METHOD, P_URI, P_SCRIPT, P_PATHINFO, P_SFILE, P_HOST, P_HTTPS, P_AUTH,
	P_RAUTH, P_CTYPE, P_COOKIE, P_RADDR, P_CLEN, P_N
};
#define PN(s)	{ s, sizeof(s) - 1 }
static const struct {
	const char	*name;
	size_t		 len;
} reqp_names[P_N] = {
	[P_METHOD] = PN("REQUEST_METHOD"), [P_URI] = PN("REQUEST_URI"),
	[P_SCRIPT] = PN("SCRIPT_NAME"), [P_PATHINFO] = PN("PATH_INFO"),
	[P_SFILE] = PN("SCRIPT_FILENAME"),
	[P_HOST] = PN("HTTP_HOST"), [P_HTTPS] = PN("HTTPS"),
	[P_AUTH] = PN("HTTP_AUTHORIZATION"),
	[P_RAUTH] = PN("REDIRECT_HTTP_AUTHORIZATION"),
	[P_CTYPE] = PN("CONTENT_TYPE"), [P_COOKIE] = PN("HTTP_COOKIE"),
	[P_RADDR] = PN("REMOTE_ADDR"), [P_CLEN] = PN("CONTENT_LENGTH"),
};

/*
 * Fills v[] with the values of reqp_names from "NAME=value" strings, the
 * first of each name winning (as FCGX_GetParam and getenv answer).  One
 * pass: looking each name up on its own was ~6,000 instructions of a GET.
 */
static void
reqp_scan(char **envp, const char *v[P_N])
{
	const char	*e, *eq;
	size_t		 n;
	int		 k;

	memset(v, 0, P_N * sizeof(*v));
	for (; envp != NULL && *envp != NULL; envp++) {
		e = *envp;
		if ((eq = strchr(e, '=')) == NULL)
			continue;
		n = (size_t)(eq - e);
		for (k = 0; k < P_N; k++)
			if (reqp_names[k].len == n && v[k] == NULL &&
			    memcmp(e, reqp_names[k].name, n) == 0) {
				v[k] = eq + 1;
				break;
			}
	}
}

/* 1 if path begins with the path sn, a whole number of segments. */
static int
begins_with(const char *path, const char *sn, size_t m)
{
	return strncmp(path, sn, m) == 0 && (path[m] == '\0' ||
	    path[m] == '/' || (m > 0 && sn[m - 1] == '/'));
}

static size_t
mount_in(const char *path, const char *sn, const char *pi, int virtual)
{
	size_t	 n = strlen(path), m = sn != NULL ? strlen(sn) : 0, k = 0;

	if (virtual && m > 0 && begins_with(path, sn, m)) {
		if (sn[m - 1] == '/')
			k = m - 1;
		else
			for (k = m; k > 0 && sn[k - 1] != '/'; k--)
				;
	} else if (pi != NULL && *pi == '/' && strlen(pi) <= n &&
	    strcmp(path + n - strlen(pi), pi) == 0)
		k = n - strlen(pi);
	else if (m > 0 && m <= n && begins_with(path, sn, m))
		k = m;
	while (k > 0 && path[k - 1] == '/')
		k--;
	return k;
}

/* The servers take repeated slashes as one in SCRIPT_NAME and PATH_INFO
 * (lighttpd gives SCRIPT_NAME=/api for //api/v1/app): the mount is found
 * in the path with its repeated slashes merged, and its end mapped back
 * onto the path as the client sent it. */
size_t
http_mount(const char *path, const char *sn, const char *pi, int virtual)
{
	char	*merged;
	size_t	*at, i, n, k;

	if (strstr(path, "//") == NULL)
		return mount_in(path, sn, pi, virtual);
	n = strlen(path);
	merged = xmalloc(n + 1);
	at = xcalloc(n + 1, sizeof(*at));
	for (i = 0, k = 0; i < n; i++)
		if (path[i] != '/' || k == 0 || merged[k - 1] != '/') {
			at[k] = i;
			merged[k++] = path[i];
		}
	merged[k] = '\0';
	k = mount_in(merged, sn, pi, virtual);
	k = k > 0 ? at[k - 1] + 1 : 0;
	free(merged);
	free(at);
	return k;
}

/*
 * 1 if SCRIPT_FILENAME names no regular file (lighttpd's, see http_mount).
 * A process serves one server: the last answer is kept for the next
 * request with the same value, saving a stat() on most.
 */
static int
script_virtual(const char *sf)
{
	static char	*last;
	static int	 last_virtual;
	struct stat	 st;

	if (sf == NULL || *sf == '\0')
		return 0;
	if (last != NULL && strcmp(last, sf) == 0)
		return last_virtual;
	free(last);
	last = xstrdup(sf);
	last_virtual = stat(sf, &st) == -1 || !S_ISREG(st.st_mode);
	return last_virtual;
}

/* The mount as links carry it: bytes other than unreserved characters and
 * '/' as %XX, so that it needs no escaping in a header, JSON or HTML. */
static char *
prefix_encode(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf	 b;

	buf_init(&b);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c) || strchr("-._~/", c) != NULL)
			buf_putc(&b, (char)c);
		else {
			buf_putc(&b, '%');
			buf_putc(&b, hex[c >> 4]);
			buf_putc(&b, hex[c & 15]);
		}
	}
	return buf_take(&b);
}

int
http_req_read(struct http_req *r, struct FCGX_Request *fcgi, long max_body)
{
	const char	*m, *uri, *cl, *https, *p[P_N];
	char		*q, *end, *full;
	size_t		 i, want, got, k;
	long		 len = -1;

	memset(r, 0, sizeof(*r));
	r->fcgi = fcgi;
	reqp_scan(fcgi != NULL ? fcgi->envp : environ, p);

	m = p[P_METHOD];
	r->method = HTTP_OTHER;
	r->method_name = m != NULL ? m : "";
	for (i = 0; m != NULL && i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcmp(m, methods[i].name) == 0)
			r->method = methods[i].m;

	/* REQUEST_URI is the path as the client sent it, the same under
	 * lighttpd and Apache; SCRIPT_NAME/PATH_INFO differ between them. */
	if ((uri = p[P_URI]) != NULL)
		r->path = xstrdup(uri);
	else {
		const char *sn = p[P_SCRIPT];
		const char *pi = p[P_PATHINFO];
		r->path = xasprintf("%s%s", sn ? sn : "", pi ? pi : "");
	}
	if ((q = strchr(r->path, '?')) != NULL) {
		r->query = xstrdup(q + 1);
		*q = '\0';
	} else
		r->query = xstrdup("");
	if ((q = strchr(r->path, '#')) != NULL)
		*q = '\0';
	if (http_urldecode(r->path, 0) == -1 || r->path[0] != '/')
		r->bad_path = 1;
	/* The routes match the path below the mount. */
	k = r->bad_path ? 0 : http_mount(r->path, p[P_SCRIPT], p[P_PATHINFO],
	    p[P_SCRIPT] != NULL && *p[P_SCRIPT] != '\0' &&
	    script_virtual(p[P_SFILE]));
	r->mount = xstrndup(r->path, k);
	r->prefix = prefix_encode(r->mount);
	if (k > 0) {
		full = r->path;
		r->path = xstrdup(full[k] != '\0' ? full + k : "/");
		free(full);
	}

	r->host = (m = p[P_HOST]) ? m : "";
	https = p[P_HTTPS];
	r->https = https != NULL && strcasecmp(https, "on") == 0;
	r->authorization = p[P_AUTH];
	/* Apache before 2.4.13 (no CGIPassAuth): .htaccess copies the header
	 * into an environment variable through a rewrite. */
	if (r->authorization == NULL)
		r->authorization = p[P_RAUTH];
	r->content_type = p[P_CTYPE];
	r->cookie = p[P_COOKIE];
	r->remote_addr = (m = p[P_RADDR]) ? m : "";

	if ((cl = p[P_CLEN]) != NULL && *cl != '\0') {
		errno = 0;
		len = strtol(cl, &end, 10);
		if (errno || *end != '\0' || len < 0)
			len = -1;
	}
	if (len > max_body) {
		r->body_too_large = 1;
		r->body = xstrdup("");
		return 0;
	}
	/* Without a length, read up to the limit and one byte more. */
	want = len >= 0 ? (size_t)len : (size_t)max_body + 1;
	r->body = xmalloc(want + 1);
	got = 0;
	while (got < want) {
		size_t n = read_in(r, r->body + got, want - got);
		if (n == 0)
			break;
		got += n;
	}
	if (got > (size_t)max_body)
		r->body_too_large = 1;
	r->body[got] = '\0';
	r->body_len = got;
	return 0;
}

void
http_req_free(struct http_req *r)
{
	free(r->path);
	free(r->mount);
	free(r->prefix);
	free(r->query);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

int
http_query(const struct http_req *r, const char *name, char *out,
    size_t outlen)
{
	const char	*p = r->query, *amp, *eq;
	size_t		 nlen = strlen(name), vlen;

	while (*p != '\0') {
		amp = strchr(p, '&');
		if (amp == NULL)
			amp = p + strlen(p);
		eq = memchr(p, '=', (size_t)(amp - p));
		if (eq != NULL && (size_t)(eq - p) == nlen &&
		    strncmp(p, name, nlen) == 0) {
			vlen = (size_t)(amp - eq - 1);
			if (vlen >= outlen)
				return -1;
			memcpy(out, eq + 1, vlen);
			out[vlen] = '\0';
			return http_urldecode(out, 1);
		}
		p = *amp ? amp + 1 : amp;
	}
	return -1;
}

char *
http_base_url(const struct http_req *r, const char *configured)
{
	const char	*h = r->host;
	struct buf	 b;
	size_t		 i;

	if (configured != NULL && *configured != '\0')
		return xstrdup(configured);
	/* The Host header goes into links: keep only host[:port] characters. */
	for (i = 0; h[i] != '\0'; i++)
		if (!isalnum((unsigned char)h[i]) && strchr(".-:[]_", h[i]) == NULL)
			break;
	if (h[i] != '\0' || i == 0)
		h = "localhost";
	buf_init(&b);
	buf_reserve(&b, 8 + strlen(h) + (r->prefix ? strlen(r->prefix) : 0));
	buf_puts(&b, r->https ? "https://" : "http://");
	buf_puts(&b, h);
	if (r->prefix != NULL)
		buf_puts(&b, r->prefix);
	return buf_take(&b);
}

const char *
http_prefix(const struct http_req *r, const char *configured)
{
	const char	*p;

	if (configured != NULL && *configured != '\0') {
		/* cfg checked it: http(s)://host[:port] then the path. */
		if ((p = strstr(configured, "://")) == NULL)
			return "";
		p = strchr(p + 3, '/');
		return p != NULL ? p : "";
	}
	return r->prefix != NULL ? r->prefix : "";
}

void
http_resp_init(struct http_resp *w)
{
	w->status = 200;
	buf_init(&w->headers);
	buf_init(&w->body);
	w->sent = 0;
}

void
http_resp_free(struct http_resp *w)
{
	buf_free(&w->headers);
	buf_free(&w->body);
}

void
http_header(struct http_resp *w, const char *name, const char *value)
{
	if (strpbrk(name, "\r\n") != NULL || strpbrk(value, "\r\n") != NULL)
		log_panic("http_header: CR or LF in header %s", name);
	buf_puts(&w->headers, name);
	buf_add(&w->headers, ": ", 2);
	buf_puts(&w->headers, value);
	buf_add(&w->headers, "\r\n", 2);
}

/* n in decimal (what printf's %zu writes), without printf: it was a tenth
 * of a GET's instructions with the header lines. */
static void
put_size(struct buf *b, size_t n)
{
	char	 d[24];
	size_t	 i = sizeof(d);

	do {
		d[--i] = (char)('0' + n % 10);
		n /= 10;
	} while (n > 0);
	buf_add(b, d + i, sizeof(d) - i);
}

const char *
http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default:  return "Unknown";
	}
}

void
http_send(struct http_req *r, struct http_resp *w)
{
	struct buf	 head;
	int		 nobody;

	if (w->sent)
		return;
	w->sent = 1;
	nobody = w->status == 204 || w->status == 304 || r->method == HTTP_HEAD;
	buf_init(&head);
	buf_puts(&head, "Status: ");
	if (w->status >= 0)
		put_size(&head, (size_t)w->status);
	else
		buf_printf(&head, "%d", w->status);
	buf_putc(&head, ' ');
	buf_puts(&head, http_reason(w->status));
	buf_add(&head, "\r\n", 2);
	if (w->headers.len > 0)
		buf_add(&head, w->headers.p, w->headers.len);
	if (w->status != 204 && w->status != 304) {
		buf_puts(&head, "Content-Length: ");
		put_size(&head, w->body.len);
		buf_add(&head, "\r\n", 2);
	}
	buf_add(&head, "\r\n", 2);
	if (r->fcgi != NULL) {
		FCGX_PutStr(head.p, (int)head.len, r->fcgi->out);
		if (!nobody && w->body.len > 0)
			FCGX_PutStr(w->body.p, (int)w->body.len, r->fcgi->out);
	} else {
		fwrite(head.p, 1, head.len, stdout);
		if (!nobody && w->body.len > 0)
			fwrite(w->body.p, 1, w->body.len, stdout);
		fflush(stdout);
	}
	buf_free(&head);
}
