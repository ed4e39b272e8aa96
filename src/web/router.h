/*
 * router: a table of (methods, path pattern, handler, scope, flags).  Patterns are
 * segments; ":name" matches one segment.  A trailing slash is ignored.
 * Wrong method: 405 with Allow; no pattern matches: 404.
 */
#ifndef ROUTER_H
#define ROUTER_H

#include <stddef.h>

#define ROUTER_PARAMS_MAX 4

struct api_ctx;
typedef void (*route_fn)(struct api_ctx *);

struct route {
	unsigned	 methods;	/* HTTP_M(HTTP_GET) | ... */
	const char	*pattern;	/* "/api/2.0/webhooks/:id" */
	route_fn	 fn;
	unsigned	 scope;		/* SCOPE_* needed, 0: none */
	unsigned	 flags;		/* ROUTE_* */
};
#define ROUTE_BODY	0x01	/* JSON body expected (415, 413, 400) */
#define ROUTE_NOAUTH	0x02	/* no Bearer token (admin, static) */
#define ROUTE_BODY_OPT	0x04	/* as ROUTE_BODY, but an empty body (white
				   space only, any type) is no body */
#define ROUTE_SLASHES	0x08	/* repeated slashes in the request count as
				   one ("/api/v1//app//"), as Svix's do */

enum router_res { ROUTER_OK = 0, ROUTER_NOTFOUND, ROUTER_BADMETHOD };

/*
 * Finds the route for method and path.  ROUTER_OK: *match is set and
 * params[0..] point into pathbuf (a copy of path the caller provides, at
 * least strlen(path)+1 bytes).  ROUTER_BADMETHOD: *allow holds the methods
 * of the routes whose pattern matched.  ROUTER_NOTFOUND: nothing matched.
 */
int	router_match(const struct route *, size_t nroutes, unsigned method,
	    const char *path, char *pathbuf, const struct route **match,
	    const char **params, unsigned *allow);

#endif /* ROUTER_H */
