/* Unit tests of router: matching a path and a method against a route
 * table (parameters, trailing slashes, HEAD, 405's Allow, 404).  Cases are
 * a table. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "http.h"
#include "router.h"

static void h_a(struct api_ctx *c) { (void)c; }
static void h_b(struct api_ctx *c) { (void)c; }
static void h_c(struct api_ctx *c) { (void)c; }

static const struct route routes[] = {
	{ HTTP_M(HTTP_GET) | HTTP_M(HTTP_POST), "/api/2.0/webhooks", h_a, 0, 0 },
	{ HTTP_M(HTTP_GET) | HTTP_M(HTTP_PUT), "/api/2.0/webhooks/:id", h_b, 0, 0 },
	{ HTTP_M(HTTP_POST), "/api/2.0/webhooks/:id/test", h_c, 0, 0 },
	{ HTTP_M(HTTP_POST), "/x/test/:id", h_c, 0, 0 },
	{ HTTP_M(HTTP_GET), "/api/v1/app/:app", h_a, 0, ROUTE_SLASHES },
};

static void
test_router(void **state)
{
	static const struct {
		const char	*label;
		unsigned	 method;
		const char	*path;
		int		 want;
		route_fn	 fn;
		const char	*p0;
		unsigned	 allow;
	} cases[] = {
		{ "list", HTTP_GET, "/api/2.0/webhooks", ROUTER_OK, h_a, NULL, 0 },
		{ "list, trailing slash", HTTP_POST, "/api/2.0/webhooks/", ROUTER_OK, h_a, NULL, 0 },
		{ "one", HTTP_GET, "/api/2.0/webhooks/abc", ROUTER_OK, h_b, "abc", 0 },
		{ "one, trailing slash", HTTP_PUT, "/api/2.0/webhooks/abc/", ROUTER_OK, h_b, "abc", 0 },
		{ "HEAD is GET", HTTP_HEAD, "/api/2.0/webhooks/abc", ROUTER_OK, h_b, "abc", 0 },
		{ "nested", HTTP_POST, "/api/2.0/webhooks/abc/test", ROUTER_OK, h_c, "abc", 0 },
		{ "param last", HTTP_POST, "/x/test/42", ROUTER_OK, h_c, "42", 0 },
		{ "wrong method", HTTP_DELETE, "/api/2.0/webhooks/abc", ROUTER_BADMETHOD, NULL, NULL,
		    HTTP_M(HTTP_GET) | HTTP_M(HTTP_PUT) },
		{ "wrong method on list", HTTP_DELETE, "/api/2.0/webhooks", ROUTER_BADMETHOD, NULL, NULL,
		    HTTP_M(HTTP_GET) | HTTP_M(HTTP_POST) },
		{ "unknown", HTTP_GET, "/api/2.0/keywords", ROUTER_NOTFOUND, NULL, NULL, 0 },
		{ "prefix only", HTTP_GET, "/api/2.0", ROUTER_NOTFOUND, NULL, NULL, 0 },
		{ "too deep", HTTP_GET, "/api/2.0/webhooks/a/b/c", ROUTER_NOTFOUND, NULL, NULL, 0 },
		{ "empty param", HTTP_GET, "/api/2.0/webhooks//test", ROUTER_NOTFOUND, NULL, NULL, 0 },
		{ "longer literal", HTTP_GET, "/api/2.0/webhooksX", ROUTER_NOTFOUND, NULL, NULL, 0 },
		{ "root", HTTP_GET, "/", ROUTER_NOTFOUND, NULL, NULL, 0 },
		{ "repeated slashes, no ROUTE_SLASHES", HTTP_GET, "/x//test/42", ROUTER_NOTFOUND, NULL, NULL, 0 },
		{ "two trailing slashes, no ROUTE_SLASHES", HTTP_GET, "/api/2.0/webhooks//", ROUTER_NOTFOUND, NULL, NULL, 0 },
		{ "ROUTE_SLASHES", HTTP_GET, "/api/v1/app/a1", ROUTER_OK, h_a, "a1", 0 },
		{ "ROUTE_SLASHES, repeated", HTTP_GET, "//api///v1/app//a1//", ROUTER_OK, h_a, "a1", 0 },
		{ "ROUTE_SLASHES, still no empty param", HTTP_GET, "/api/v1/app//", ROUTER_NOTFOUND, NULL, NULL, 0 },
	};
	const struct route	*r;
	const char		*params[ROUTER_PARAMS_MAX];
	char			 buf[256];
	unsigned		 allow;
	size_t			 i;
	int			 rc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = NULL;
		rc = router_match(routes, sizeof(routes) / sizeof(routes[0]),
		    cases[i].method, cases[i].path, buf, &r, params, &allow);
		if (rc != cases[i].want)
			fail_msg("%s: got %d, want %d", cases[i].label, rc,
			    cases[i].want);
		if (rc == ROUTER_OK) {
			assert_ptr_equal(r->fn, cases[i].fn);
			if (cases[i].p0 != NULL)
				assert_string_equal(params[0], cases[i].p0);
		}
		if (rc == ROUTER_BADMETHOD && allow != cases[i].allow)
			fail_msg("%s: allow %x, want %x", cases[i].label,
			    allow, cases[i].allow);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_router),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
