/* Unit tests of http's parsing: percent-decoding, the query string, the
 * base URL from Host or the base_url setting.  Cases are tables. */
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_urldecode),
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_base_url),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
