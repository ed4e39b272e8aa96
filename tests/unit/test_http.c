/* Unit tests of http's parsing: percent-decoding, the query string, the
 * base URL from Host or the base_url setting, the mount from the server's
 * variables.  Cases are tables. */
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

static void
test_urldecode(void **state)
{
	static const struct {
		const char	*in;
		int		 plus;
		int		 rc;
		const char	*want;
	} cases[] = {
		{ "/a%20b", 0, 0, "/a b" },
		{ "a+b", 1, 0, "a b" },
		{ "a+b", 0, 0, "a+b" },
		{ "%2F%2f", 0, 0, "//" },
		{ "%zz", 0, -1, NULL },
		{ "%4", 0, -1, NULL },
		{ "%00", 0, -1, NULL },
		{ "", 0, 0, "" },
	};
	char	 buf[64];
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		strcpy(buf, cases[i].in);
		assert_int_equal(http_urldecode(buf, cases[i].plus), cases[i].rc);
		if (cases[i].rc == 0)
			assert_string_equal(buf, cases[i].want);
	}
}

static void
test_query(void **state)
{
	struct http_req	 r;
	char		 v[16];

	(void)state;
	memset(&r, 0, sizeof(r));
	r.query = (char *)"page=2&per_page=15&x=a%20b&big=12345678901234567890";
	assert_int_equal(http_query(&r, "page", v, sizeof(v)), 0);
	assert_string_equal(v, "2");
	assert_int_equal(http_query(&r, "per_page", v, sizeof(v)), 0);
	assert_string_equal(v, "15");
	assert_int_equal(http_query(&r, "x", v, sizeof(v)), 0);
	assert_string_equal(v, "a b");
	assert_int_equal(http_query(&r, "age", v, sizeof(v)), -1);
	assert_int_equal(http_query(&r, "big", v, sizeof(v)), -1);
}

static void
test_base_url(void **state)
{
	static const struct {
		const char	*host;
		int		 https;
		const char	*want;
	} cases[] = {
		{ "127.0.0.1:8080", 0, "http://127.0.0.1:8080" },
		{ "example.com", 1, "https://example.com" },
		{ "[::1]:80", 0, "http://[::1]:80" },
		{ "evil.com/\"<x>", 0, "http://localhost" },
		{ "", 0, "http://localhost" },
	};
	struct http_req	 r;
	char		*u;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&r, 0, sizeof(r));
		r.host = cases[i].host;
		r.https = cases[i].https;
		u = http_base_url(&r, NULL);
		assert_string_equal(u, cases[i].want);
		free(u);
		u = http_base_url(&r, "");
		assert_string_equal(u, cases[i].want);
		free(u);
		/* A base_url setting wins over any Host. */
		u = http_base_url(&r, "https://hooks.example.com/svc");
		assert_string_equal(u, "https://hooks.example.com/svc");
		free(u);
	}
}

/*
 * The mount, from the variables each server sets for one request (measured
 * with an environment-dumping program under lighttpd 1.4.69 and Apache
 * 2.4.71, CGI and mod_fcgid alike).  lighttpd: SCRIPT_FILENAME names no
 * file (virtual), SCRIPT_NAME is the mount and one segment more.
 */
static void
test_mount(void **state)
{
	static const struct {
		const char	*label;
		const char	*sn, *pi, *path;
		int		 virtual;
		const char	*mount;
	} cases[] = {
		{ "lighttpd \"/\"", "/api", "/2.0/webhooks/x",
		    "/api/2.0/webhooks/x", 1, "" },
		{ "lighttpd \"/\", admin", "/admin", "/", "/admin/", 1, "" },
		{ "lighttpd \"/\", /admin", "/admin", NULL, "/admin", 1, "" },
		{ "lighttpd \"/\", an admin page", "/admin", "/webhooks/x",
		    "/admin/webhooks/x", 1, "" },
		{ "lighttpd \"/\", seed 002", "/webhooks", "/x", "/webhooks/x", 1,
		    "" },
		{ "lighttpd \"/\", /", "/", NULL, "/", 1, "" },
		{ "lighttpd \"/\", unknown", "/hooks", "/api/2.0/webhooks",
		    "/hooks/api/2.0/webhooks", 1, "" },
		{ "lighttpd \"/\" fix-root-scriptname", "", "/api/2.0/webhooks",
		    "/api/2.0/webhooks", 1, "" },
		{ "lighttpd \"/hooks/\"", "/hooks/api", "/2.0/webhooks/x",
		    "/hooks/api/2.0/webhooks/x", 1, "/hooks" },
		{ "lighttpd \"/hooks/\", admin", "/hooks/admin", "/",
		    "/hooks/admin/", 1, "/hooks" },
		{ "lighttpd \"/hooks/\", seed 002", "/hooks/webhooks", "/x",
		    "/hooks/webhooks/x", 1, "/hooks" },
		{ "lighttpd \"/hooks/\", the mount", "/hooks/", NULL, "/hooks/", 1,
		    "/hooks" },
		{ "lighttpd \"/hooks/\", unknown", "/hooks/nothing", "/x",
		    "/hooks/nothing/x", 1, "/hooks" },
		{ "lighttpd \"/a/b/\"", "/a/b/api", "/web/v1/webhooks",
		    "/a/b/api/web/v1/webhooks", 1, "/a/b" },
		{ "lighttpd \"/webhooks/\"", "/webhooks/api", "/2.0/webhooks",
		    "/webhooks/api/2.0/webhooks", 1, "/webhooks" },
		{ "lighttpd \"/my hooks/\"", "/my hooks/admin", "/",
		    "/my hooks/admin/", 1, "/my hooks" },
		{ "Apache ScriptAlias /", "", "/api/2.0/webhooks",
		    "/api/2.0/webhooks", 0, "" },
		{ "Apache ScriptAlias /hooks/", "/hooks", "/api/2.0/webhooks/x",
		    "/hooks/api/2.0/webhooks/x", 0, "/hooks" },
		{ "Apache ScriptAlias /hooks/, admin", "/hooks", "/admin/",
		    "/hooks/admin/", 0, "/hooks" },
		{ "Apache ScriptAlias /webhooks/", "/webhooks",
		    "/api/2.0/webhooks", "/webhooks/api/2.0/webhooks", 0,
		    "/webhooks" },
		{ "Apache ScriptAlias /admin/", "/admin", "/admin/login",
		    "/admin/admin/login", 0, "/admin" },
		{ ".htaccess at the root", "/webhooks.fcgi", "/api/2.0/webhooks",
		    "/api/2.0/webhooks", 0, "" },
		{ ".htaccess in /sub/", "/sub/webhooks.fcgi", "/admin/",
		    "/sub/admin/", 0, "/sub" },
		{ ".htaccess in /a/b/", "/a/b/webhooks.fcgi", "/webhooks/x",
		    "/a/b/webhooks/x", 0, "/a/b" },
		{ "the program by its name", "/sub/webhooks.fcgi",
		    "/api/2.0/webhooks", "/sub/webhooks.fcgi/api/2.0/webhooks", 0,
		    "/sub/webhooks.fcgi" },
		{ "plain CGI in /cgi-bin/", "/cgi-bin/webhooks.fcgi", "/admin/",
		    "/cgi-bin/webhooks.fcgi/admin/", 0, "/cgi-bin/webhooks.fcgi" },
		{ "no variables", NULL, NULL, "/api/2.0/webhooks", 0, "" },
		{ "PATH_INFO elsewhere", "/hooks", "/other",
		    "/hooks/api/2.0/webhooks", 0, "/hooks" },
		{ "SCRIPT_NAME elsewhere", "/elsewhere", NULL,
		    "/api/2.0/webhooks", 0, "" },
		{ "SCRIPT_NAME elsewhere, virtual", "/elsewhere", NULL,
		    "/api/2.0/webhooks", 1, "" },
		/* A client's repeated slashes, which the servers merge in
		 * SCRIPT_NAME and PATH_INFO (a server URL ending in '/'). */
		{ "lighttpd \"/\", repeated slashes", "/api", "/v1/app",
		    "//api/v1/app", 1, "" },
		{ "lighttpd \"/\", repeated slashes inside", "/api", "/v1/app",
		    "/api//v1//app", 1, "" },
		{ "lighttpd \"/hooks/\", repeated slashes", "/hooks/api",
		    "/v1/app", "/hooks//api/v1/app", 1, "/hooks" },
		{ "lighttpd \"/hooks/\", repeated slashes first", "/hooks/api",
		    "/v1/app", "//hooks/api/v1/app", 1, "//hooks" },
		{ "Apache ScriptAlias /, repeated slashes", "", "/api/v1/app",
		    "//api/v1/app", 0, "" },
		{ "Apache ScriptAlias /hooks/, repeated slashes", "/hooks",
		    "/api/v1/app", "/hooks///api/v1/app", 0, "/hooks" },
	};
	size_t	 i, k;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		k = http_mount(cases[i].path, cases[i].sn, cases[i].pi,
		    cases[i].virtual);
		if (k != strlen(cases[i].mount) ||
		    strncmp(cases[i].path, cases[i].mount, k) != 0)
			fail_msg("%s: mount \"%.*s\", want \"%s\"",
			    cases[i].label, (int)k, cases[i].path,
			    cases[i].mount);
		if (cases[i].path[k] != '\0' && cases[i].path[k] != '/')
			fail_msg("%s: the path below is \"%s\"",
			    cases[i].label, cases[i].path + k);
	}
}

/* The request as plain CGI reads it: path, mount, prefix and the links. */
static void
test_req_mount(void **state)
{
	/* lighttpd's SCRIPT_FILENAME names no file, Apache's the program (here
	 * this test's). */
	static const char lt[] = "/nonexistent/docroot/x", ap[] = "/proc/self/exe";
	static const struct {
		const char	*uri, *sn, *pi, *sf;
		const char	*path, *mount, *prefix;
	} cases[] = {
		{ "/api/2.0/webhooks?page=2", "/api", "/2.0/webhooks", lt,
		    "/api/2.0/webhooks", "", "" },
		{ "/my%20hooks/api/2.0/webhooks?page=2", "/my hooks/api",
		    "/2.0/webhooks", lt, "/api/2.0/webhooks", "/my hooks",
		    "/my%20hooks" },
		{ "/h%C3%A9/admin/", "/h\xc3\xa9/webhooks.fcgi", "/admin/", ap,
		    "/admin/", "/h\xc3\xa9", "/h%C3%A9" },
		{ "/hooks", "/hooks", NULL, ap, "/", "/hooks", "/hooks" },
		{ "/hooks/", "/hooks/", NULL, lt, "/", "/hooks", "/hooks" },
		{ "/webhooks/api/2.0/webhooks", "/webhooks", "/api/2.0/webhooks",
		    ap, "/api/2.0/webhooks", "/webhooks", "/webhooks" },
		{ "/webhooks/x", "/webhooks", "/x", lt, "/webhooks/x", "", "" },
	};
	struct http_req	 r;
	char		*u;
	size_t		 i;

	(void)state;
	setenv("REQUEST_METHOD", "GET", 1);
	setenv("CONTENT_LENGTH", "0", 1);
	setenv("HTTP_HOST", "example.com", 1);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		setenv("REQUEST_URI", cases[i].uri, 1);
		setenv("SCRIPT_NAME", cases[i].sn, 1);
		setenv("SCRIPT_FILENAME", cases[i].sf, 1);
		if (cases[i].pi != NULL)
			setenv("PATH_INFO", cases[i].pi, 1);
		else
			unsetenv("PATH_INFO");
		assert_int_equal(http_req_read(&r, NULL, 1024), 0);
		assert_false(r.bad_path);
		assert_string_equal(r.path, cases[i].path);
		assert_string_equal(r.mount, cases[i].mount);
		assert_string_equal(r.prefix, cases[i].prefix);
		assert_string_equal(http_prefix(&r, NULL), cases[i].prefix);
		u = http_base_url(&r, NULL);
		assert_true(strncmp(u, "http://example.com", 18) == 0);
		assert_string_equal(u + 18, cases[i].prefix);
		free(u);
		/* base_url, when set, is the whole base: its path the prefix. */
		u = http_base_url(&r, "https://x.example/svc");
		assert_string_equal(u, "https://x.example/svc");
		free(u);
		assert_string_equal(http_prefix(&r, "https://x.example/svc"),
		    "/svc");
		assert_string_equal(http_prefix(&r, "https://x.example"), "");
		http_req_free(&r);
	}
	unsetenv("REQUEST_URI");
	unsetenv("SCRIPT_NAME");
	unsetenv("SCRIPT_FILENAME");
	unsetenv("PATH_INFO");
	unsetenv("CONTENT_LENGTH");
	unsetenv("HTTP_HOST");
	unsetenv("REQUEST_METHOD");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_urldecode),
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_base_url),
		cmocka_unit_test(test_mount),
		cmocka_unit_test(test_req_mount),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
