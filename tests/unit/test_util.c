/* Unit tests of util: a NUL in a JSON key, base64, SHA-256 and
 * HMAC-SHA256 against their published vectors, UUIDs, ISO 8601 times.
 * Cases are tables. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "util.h"

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

/* xstrndup: at most n bytes, cut at a NUL; n 0 with s NULL (an empty
 * Berkeley DB record's data, an endpoint without a uid) is "", which
 * UndefinedBehaviorSanitizer checks under make asan. */
static void
test_xstrndup(void **state)
{
	char	*p;

	(void)state;
	p = xstrndup(NULL, 0);
	assert_string_equal(p, "");
	free(p);
	p = xstrndup("abc", 2);
	assert_string_equal(p, "ab");
	free(p);
	p = xstrndup("a\0bc", 4);
	assert_string_equal(p, "a");
	free(p);
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

/*
 * util_uuid7: version 7, increasing, and the 62 bits after the variant
 * random from the first id on (a counter that started at 0 in every
 * process made ids of two processes in the same millisecond differ in 12
 * bits only).
 */
static void
test_uuid7(void **state)
{
	char	 a[37], b[37];
	int	 i, small = 0;

	(void)state;
	util_uuid7(a);
	for (i = 0; i < 100; i++) {
		util_uuid7(b);
		assert_true(util_is_uuid(b));
		assert_int_equal(b[14], '7');
		assert_true(strchr("89ab", b[19]) != NULL);
		assert_true(strcmp(a, b) < 0);
		/* The counter's high bits: zero for a counter from 0. */
		if (strncmp(b + 19, "8000-0000", 9) == 0)
			small++;
		memcpy(a, b, sizeof(a));
	}
	assert_int_equal(small, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_key_nul),
		cmocka_unit_test(test_util),
		cmocka_unit_test(test_xstrndup),
		cmocka_unit_test(test_uuid7),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
