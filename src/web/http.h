/*
 * http: the request as the FastCGI (or CGI) program sees it, and writing the
 * response.  Reads the body up to a limit and no further.  Knows nothing of
 * the store or the model.
 */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>

#include "util.h"

enum http_method {
	HTTP_GET = 0, HTTP_HEAD, HTTP_POST, HTTP_PUT, HTTP_PATCH, HTTP_DELETE,
	HTTP_OPTIONS, HTTP_OTHER
};
#define HTTP_M(m)	(1u << (m))

struct FCGX_Request;

struct http_req {
	struct FCGX_Request *fcgi;	/* NULL: plain CGI (stdin/stdout) */
	enum http_method method;
	const char	*method_name;
	char		*path;		/* percent-decoded path below the mount,
					   no query: what the routes match */
	char		*mount;		/* percent-decoded path the server
					   mounts the program at: "" at the
					   root, else "/hooks" (no final '/') */
	char		*prefix;	/* the mount as links carry it:
					   percent-encoded but for unreserved
					   characters and '/' */
	char		*query;		/* raw query string, "" when none */
	const char	*host;		/* Host header, "" when none */
	int		 https;
	const char	*authorization;	/* NULL when absent */
	const char	*content_type;
	const char	*cookie;
	const char	*remote_addr;
	char		*body;		/* NUL-terminated, body_len bytes */
	size_t		 body_len;
	int		 body_too_large; /* CONTENT_LENGTH over the limit */
	int		 bad_path;	/* undecodable or NUL in the path */
};

struct http_resp {
	int		 status;
	struct buf	 headers;	/* "Name: value\r\n" lines */
	struct buf	 body;
	int		 sent;
};

/*
 * Reads the request's parameters and at most max_body bytes of its body.
 * fcgi is the accepted request, or NULL under plain CGI.  Free with
 * http_req_free.  Returns 0, or -1 if the request cannot be read at all.
 */
int	 http_req_read(struct http_req *, struct FCGX_Request *fcgi,
	    long max_body);
/*
 * Where the server mounts the program in path (the percent-decoded request
 * path): the length of the mount, the path below it starting at path[len]
 * (empty, or '/').  script_name, path_info may be NULL.
 *
 * lighttpd (virtual: SCRIPT_FILENAME names no file, it is lighttpd's
 * document root and SCRIPT_NAME) puts the first segment below its mount
 * into SCRIPT_NAME: "/hooks/" => ... gives SCRIPT_NAME=/hooks/api for
 * /hooks/api/2.0/webhooks, and "/" => ... SCRIPT_NAME=/api; or the mount
 * and '/' when nothing follows it.  The mount is SCRIPT_NAME without its
 * last segment.
 *
 * Elsewhere (Apache's ScriptAlias and .htaccess rewrite, plain CGI), what
 * precedes PATH_INFO when path ends with it, else SCRIPT_NAME when path
 * begins with it, else the root.
 */
size_t	 http_mount(const char *path, const char *script_name,
	    const char *path_info, int virtual);
void	 http_req_free(struct http_req *);
/* A CGI/FastCGI parameter ("HTTP_ACCEPT"), or NULL. */
const char *http_param(const struct http_req *, const char *name);
/* The decoded value of a query parameter into out; 0, or -1 if absent. */
int	 http_query(const struct http_req *, const char *name, char *out,
	    size_t outlen);
/* The links' base: configured (the base_url setting, checked by cfg) when
 * not NULL or "", else "http://host" or "https://host" from the request's
 * Host header, host[:port] characters only, followed by the mount
 * (r->prefix); caller frees.  Every absolute link is this and a path. */
char	*http_base_url(const struct http_req *, const char *configured);
/* The path part of http_base_url's answer ("" at the root, "/hooks"): what
 * every link written as a path ("/admin/...", a cookie's Path) begins
 * with.  Points into configured or r. */
const char *http_prefix(const struct http_req *, const char *configured);

void	 http_resp_init(struct http_resp *);
void	 http_resp_free(struct http_resp *);
/* Adds a header; name and value must not hold CR or LF (panics if so). */
void	 http_header(struct http_resp *, const char *name, const char *value);
/* Writes status, headers and body to the client (once). */
void	 http_send(struct http_req *, struct http_resp *);
const char *http_reason(int status);
const char *http_method_name(enum http_method);
/* Decodes %XX in place ('+' kept); -1 on a bad escape or a NUL byte. */
int	 http_urldecode(char *s, int plus_is_space);

#endif /* HTTP_H */
