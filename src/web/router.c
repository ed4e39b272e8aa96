/*
 * router: finds the route of a request in a table.  A pattern is a path
 * whose ":name" segments match any one non-empty segment; a trailing slash
 * on the request is ignored ("/api/2.0/webhooks/" is the list); a route
 * with ROUTE_SLASHES also takes repeated slashes as one.
 */
#include <string.h>

#include "http.h"
#include "router.h"

/* Matches path (a writable copy) against pattern; params point at the
 * start of each ":name" segment in path (cut by the caller).  1 on a match. */
static int
match(const char *pattern, char *path, const char **params, int slashes)
{
	const char	*p = pattern;
	const char	*s = path;
	size_t		 np = 0, pl, sl, len;

	len = strlen(path);
	if (len > 1 && path[len - 1] == '/')
		path[--len] = '\0';
	while (slashes && len > 1 && path[len - 1] == '/')
		path[--len] = '\0';
	for (;;) {
		if (*p == '\0' && *s == '\0')
			return 1;
		if (*p != '/' || *s != '/')
			return 0;
		p++, s++;
		while (slashes && *s == '/')
			s++;
		pl = strcspn(p, "/");
		sl = strcspn(s, "/");
		if (*p == ':') {
			if (sl == 0 || np >= ROUTER_PARAMS_MAX)
				return 0;
			params[np++] = s;
		} else if (pl != sl || strncmp(p, s, pl) != 0)
			return 0;
		p += pl;
		s += sl;
	}
}

int
router_match(const struct route *routes, size_t n, unsigned method,
    const char *path, char *pathbuf, const struct route **out,
    const char **params, unsigned *allow)
{
	size_t	 i, k;
	int	 found = 0;

	*allow = 0;
	if (method == HTTP_HEAD)
		method = HTTP_GET;
	for (i = 0; i < n; i++) {
		strcpy(pathbuf, path);
		for (k = 0; k < ROUTER_PARAMS_MAX; k++)
			params[k] = NULL;
		if (!match(routes[i].pattern, pathbuf, params,
		    (routes[i].flags & ROUTE_SLASHES) != 0))
			continue;
		found = 1;
		if (routes[i].methods & HTTP_M(method)) {
			/* Cut the parameters out of the copy. */
			for (k = 0; k < ROUTER_PARAMS_MAX && params[k]; k++)
				((char *)params[k])[strcspn(params[k], "/")] =
				    '\0';
			*out = &routes[i];
			return ROUTER_OK;
		}
		*allow |= routes[i].methods;
	}
	return found ? ROUTER_BADMETHOD : ROUTER_NOTFOUND;
}
