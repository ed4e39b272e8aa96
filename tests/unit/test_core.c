/* Unit tests of the modules under the handlers: router, http parsing,
 * cfg, util.  Cases are tables. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cfg.h"
#include "http.h"
#include "router.h"
#include "util.h"

static void h_a(struct api_ctx *c) { (void)c; }
static void h_b(struct api_ctx *c) { (void)c; }
static void h_c(struct api_ctx *c) { (void)c; }

static const struct route routes[] = {
	{ HTTP_M(HTTP_GET) | HTTP_M(HTTP_POST), "/api/2.0/webhooks", h_a, 0, 0 },
	{ HTTP_M(HTTP_GET) | HTTP_M(HTTP_PUT), "/api/2.0/webhooks/:id", h_b, 0, 0 },
	{ HTTP_M(HTTP_POST), "/api/2.0/webhooks/:id/test", h_c, 0, 0 },
	{ HTTP_M(HTTP_POST), "/x/test/:id", h_c, 0, 0 },
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

static void
test_json_key_nul(void **state)
{
	static const struct {
		const char	*in;
		int		 want;
	} cases[] = {
		{ "{\"headers\":{\"X-A\\u0000Host\":\"v\"}}", 1 },
		{ "{\"a\\u0000\" : 1}", 1 },
		{ "{\"a\\u0000\"\n\t:1}", 1 },
		{ "[{\"k\":{\"\\u0000\":[]}}]", 1 },
		{ "{\"a\":\"v\\u0000\"}", 0 },	/* a value: the model checks */
		{ "[\"\\u0000\", \":\"]", 0 },
		{ "{\"a\\\\u0000\":1}", 0 },	/* "a\\u0000": a backslash */
		{ "{\"a\\u00001\":1}", 1 },
		{ "{\"a\\u0001\":1}", 0 },
		{ "{\"\\\"\\u0000\":1}", 1 },
		{ "\"\\u0000\"", 0 },
		{ "{\"a\\u00", 0 },			/* cut short */
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (util_json_key_nul(cases[i].in, strlen(cases[i].in)) !=
		    cases[i].want)
			fail_msg("util_json_key_nul(%s) != %d", cases[i].in,
			    cases[i].want);
}

static void
test_cfg(void **state)
{
	struct cfg	 c;
	char		 err[256], dir[] = "/tmp/cfgtestXXXXXX", path[300];
	FILE		*f;
	size_t		 i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	setenv("WEBHOOKS_HOME", dir, 1);
	unsetenv("WEBHOOKS_ALLOW_PRIVATE");
	unsetenv("WEBHOOKS_TIMEOUT_MS");
	assert_int_equal(cfg_load(&c, err, sizeof(err)), 0);
	assert_int_equal(c.max_body, 1048576);
	assert_int_equal(c.per_page_max, 100);
	assert_int_equal(c.timeout_ms, 10000);
	assert_int_equal(c.allow_private, 0);
	assert_int_equal(c.max_requests, 0);

	snprintf(path, sizeof(path), "%s/webhooks.conf", dir);
	f = fopen(path, "w");
	fputs("# comment\ntimeout_ms = 5000\nallow_private = yes\n"
	    "max_requests = 500\n", f);
	fclose(f);
	assert_int_equal(cfg_load(&c, err, sizeof(err)), 0);
	assert_int_equal(c.timeout_ms, 5000);
	assert_int_equal(c.allow_private, 1);
	assert_int_equal(c.max_requests, 500);
	assert_true(c.retention_days == 30);
	setenv("WEBHOOKS_RETENTION_DAYS", "0.001", 1);
	assert_int_equal(cfg_load(&c, err, sizeof(err)), 0);
	assert_true(c.retention_days == 0.001);
	setenv("WEBHOOKS_RETENTION_DAYS", "0", 1);
	assert_int_equal(cfg_load(&c, err, sizeof(err)), -1);
	unsetenv("WEBHOOKS_RETENTION_DAYS");
	setenv("WEBHOOKS_MAX_REQUESTS", "-1", 1);
	assert_int_equal(cfg_load(&c, err, sizeof(err)), -1);
	unsetenv("WEBHOOKS_MAX_REQUESTS");
	setenv("WEBHOOKS_TIMEOUT_MS", "7000", 1);
	assert_int_equal(cfg_load(&c, err, sizeof(err)), 0);
	assert_int_equal(c.timeout_ms, 7000);
	setenv("WEBHOOKS_TIMEOUT_MS", "5", 1);
	assert_int_equal(cfg_load(&c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "WEBHOOKS_TIMEOUT_MS"));
	unsetenv("WEBHOOKS_TIMEOUT_MS");

	f = fopen(path, "w");
	fputs("timeout_ms = 5000\nnonsense = 1\n", f);
	fclose(f);
	assert_int_equal(cfg_load(&c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":2:"));
	f = fopen(path, "w");
	fputs("timeout_ms = 5s\n", f);
	fclose(f);
	assert_int_equal(cfg_load(&c, err, sizeof(err)), -1);

	/* base_url: an http(s) URL of host and path characters, its trailing
	 * slashes cut; nothing that would need escaping in a link. */
	{
		static const struct {
			const char	*in;
			int		 rc;
			const char	*want;
		} bu[] = {
			{ "https://hooks.example.com", 0, "https://hooks.example.com" },
			{ "http://127.0.0.1:8080/hooks/", 0, "http://127.0.0.1:8080/hooks" },
			{ "https://[::1]:8443/a/b", 0, "https://[::1]:8443/a/b" },
			{ "", 0, "" },
			{ "ftp://example.com", -1, NULL },
			{ "https://", -1, NULL },
			{ "https://example.com/a\"b", -1, NULL },
			{ "https://example.com/<x>", -1, NULL },
			{ "https://ex ample.com", -1, NULL },
			{ "https://example.com/?q=1", -1, NULL },
			{ "https://user@example.com", -1, NULL },
		};

		for (i = 0; i < sizeof(bu) / sizeof(bu[0]); i++) {
			f = fopen(path, "w");
			fprintf(f, "base_url = %s\n", bu[i].in);
			fclose(f);
			assert_int_equal(cfg_load(&c, err, sizeof(err)),
			    bu[i].rc);
			if (bu[i].rc == 0)
				assert_string_equal(c.base_url, bu[i].want);
			else
				assert_non_null(strstr(err, "base_url"));
		}
	}
	unlink(path);
	rmdir(dir);
}

static void
test_util(void **state)
{
	static const struct {
		const char	*in;
		int		 rc;
		const char	*want;
	} b64[] = {
		{ "aGVsbG8=", 0, "hello" },
		{ "aGVsbG8h", 0, "hello!" },
		{ "aGVsbA==", 0, "hell" },
		{ "aGVsbG8", -1, NULL },
		{ "aGV*bG8=", -1, NULL },
		{ "a=Vs", -1, NULL },
		{ "", -1, NULL },
	};
	static const struct {
		const char	*in;
		const char	*want;
	} sha[] = {
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	};
	char		 u[37], iso[UTIL_ISO_LEN], *e, hex[65];
	unsigned char	*out;
	size_t		 i, n;

	(void)state;
	for (i = 0; i < sizeof(b64) / sizeof(b64[0]); i++) {
		assert_int_equal(util_base64_decode(b64[i].in, &out, &n), b64[i].rc);
		if (b64[i].rc == 0) {
			assert_int_equal(n, strlen(b64[i].want));
			assert_memory_equal(out, b64[i].want, n);
			e = util_base64(out, n);
			assert_string_equal(e, b64[i].in);
			free(e);
			free(out);
		}
	}
	/* Non-zero bits before the padding are read as they come, as
	 * OpenSSL's EVP_DecodeBlock did: "QR==" is "A" (canonically "QQ=="). */
	assert_int_equal(util_base64_decode("QR==", &out, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(out[0], 'A');
	free(out);
	assert_int_equal(util_base64_decode("QUJDRA==", &out, &n), 0);
	assert_int_equal(n, 4);
	assert_memory_equal(out, "ABCD", 4);
	free(out);
	e = util_base64("\xff\xfe\xfd\x00", 4);
	assert_string_equal(e, "//79AA==");
	free(e);
	e = util_base64("", 0);
	assert_string_equal(e, "");
	free(e);
	/* SHA-256 against FIPS 180-2's vectors. */
	for (i = 0; i < sizeof(sha) / sizeof(sha[0]); i++) {
		util_sha256_hex(sha[i].in, strlen(sha[i].in), hex);
		assert_string_equal(hex, sha[i].want);
	}
	/* HMAC-SHA256: RFC 4231, test case 2. */
	util_hmac_sha256_hex("Jefe", 4, "what do ya want for nothing?", 28,
	    hex);
	assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c7"
	    "5a003f089d2739839dec58b964ec3843");
	assert_int_equal(util_ct_compare("abcd", "abcd", 4), 0);
	assert_int_not_equal(util_ct_compare("abcd", "abce", 4), 0);
	util_uuid4(u);
	assert_true(util_is_uuid(u));
	assert_int_equal(u[14], '4');
	assert_false(util_is_uuid("f3357bfe-fb20-11e9-93ef-0242ac120008ds"));
	assert_false(util_is_uuid("f3357bfe-fb20-11e9-93ef-0242ac12000"));
	assert_true(util_is_uuid("a3377a90-fbbf-11e9-8044-0242ac120009"));
	util_iso8601(1512400000053LL, iso);
	assert_string_equal(iso, "2017-12-04T15:06:40.053Z");
	/* The hand-written road's edges: the epoch, a leap day, 9999. */
	util_iso8601(0, iso);
	assert_string_equal(iso, "1970-01-01T00:00:00.000Z");
	util_iso8601(951868799999LL, iso);
	assert_string_equal(iso, "2000-02-29T23:59:59.999Z");
	util_iso8601(253402300799999LL, iso);
	assert_string_equal(iso, "9999-12-31T23:59:59.999Z");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_router),
		cmocka_unit_test(test_urldecode),
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_base_url),
		cmocka_unit_test(test_cfg),
		cmocka_unit_test(test_json_key_nul),
		cmocka_unit_test(test_util),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
