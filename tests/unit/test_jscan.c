/* Unit tests of jscan, the strict JSON scanner under the webhook record's
 * and the spool file's fast readers: each function against what RFC 8259
 * allows and refuses, bounds respected (texts are not NUL-terminated
 * here: each is copied into a buffer of its exact length), and a whole
 * value skipped as json-c would read it.  Pure: links util and jscan. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "jscan.h"
#include "util.h"

/* A scanner over a heap copy of t without its NUL (ASan sees over-reads). */
static struct jscan
over(const char *t, char **mem)
{
	struct jscan	 s;
	size_t		 n = strlen(t);

	*mem = xmalloc(n == 0 ? 1 : n);
	memcpy(*mem, t, n);
	jscan_init(&s, *mem, n);
	return s;
}

static void
test_strings(void **state)
{
	static const struct {
		const char	*text, *want;	/* want NULL: refused */
		int		 esc;
	} cases[] = {
		{ "\"abc\"", "abc", 0 },
		{ "  \"\"", "", 0 },
		{ "\"a\\\"b\\\\c\\/d\"", "a\"b\\c/d", 1 },
		{ "\"\\b\\f\\n\\r\\t\"", "\b\f\n\r\t", 1 },
		{ "\"caf\xc3\xa9\"", "caf\xc3\xa9", 0 },
		{ "\"\\u00e9\"", NULL, 1 },	/* checked, not decoded */
		{ "\"abc", NULL, 0 },
		{ "\"a\\", NULL, 0 },
		{ "\"a\\x\"", NULL, 0 },
		{ "\"a\nb\"", NULL, 0 },
		{ "\"\\u12\"", NULL, 0 },
		{ "\"\\u12g4\"", NULL, 0 },
		{ "abc", NULL, 0 },
		{ "", NULL, 0 },
	};
	struct jscan	 s;
	const char	*v;
	char		*mem, *out;
	size_t		 i, len;
	int		 esc, rc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s = over(cases[i].text, &mem);
		out = NULL;
		rc = jscan_strdup(&s, &out);
		if (cases[i].want == NULL)
			assert_int_equal(rc, -1);
		else {
			assert_int_equal(rc, 0);
			assert_string_equal(out, cases[i].want);
			assert_int_equal(jscan_end(&s), 0);
		}
		free(out);
		free(mem);
		/* jscan_string takes the \u escape and says it has one. */
		s = over(cases[i].text, &mem);
		rc = jscan_string(&s, &v, &len, &esc);
		if (cases[i].want != NULL || cases[i].esc) {
			assert_int_equal(rc, 0);
			assert_int_equal(esc, cases[i].esc);
			assert_true(v > mem && v + len < mem +
			    strlen(cases[i].text));
		} else
			assert_int_equal(rc, -1);
		free(mem);
	}
}

static void
test_ints(void **state)
{
	static const struct {
		const char	*text;
		int		 ok;
		int64_t		 want;
		const char	*rest;	/* what follows, when ok */
	} cases[] = {
		{ "0", 1, 0, "" }, { " 42,", 1, 42, "," }, { "-7}", 1, -7, "}" },
		{ "123456789012345678", 1, 123456789012345678LL, "" },
		{ "1234567890123456789", 0, 0, NULL },	/* 19 digits */
		{ "01", 0, 0, NULL }, { "1.5", 0, 0, NULL }, { "1e3", 0, 0, NULL },
		{ "-", 0, 0, NULL }, { "", 0, 0, NULL }, { "x", 0, 0, NULL },
		{ "true", 0, 0, NULL },
	};
	struct jscan	 s;
	char		*mem;
	int64_t		 n;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s = over(cases[i].text, &mem);
		if (!cases[i].ok)
			assert_int_equal(jscan_int(&s, &n), -1);
		else {
			assert_int_equal(jscan_int(&s, &n), 0);
			assert_true(n == cases[i].want);
			assert_int_equal((size_t)(s.end - s.p),
			    strlen(cases[i].rest));
		}
		free(mem);
	}
}

/*
 * What jscan_value takes, json-c reads too (what it refuses goes to
 * json-c anyway); the first NVALID texts are JSON and it takes them.
 */
#define NVALID	10
static void
test_values(void **state)
{
	static const char *const texts[] = {
		"{}", "[]", "null", "true", "false", "0", "-0.5e+10", "\"x\"",
		"{\"a\": [1, 2, {\"b\": null}], \"c\": \"\\u0041\"}",
		" [ 1 , [ ] , { } ] ",
		"{", "[1,]", "{\"a\" 1}", "{\"a\":}", "{1: 2}", "tru", "nul",
		"1.", "-", ".5", "[\"a\nb\"]", "{\"a\":1,}", "[1 2]",
		"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
	};
	struct json_tokener	*tok;
	json_object		*o;
	struct jscan		 s;
	char			*mem;
	size_t			 i;
	int			 ours, theirs;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		s = over(texts[i], &mem);
		ours = jscan_value(&s, 0) == 0 && jscan_end(&s) == 0;
		free(mem);
		tok = json_tokener_new();
		/* With its NUL: a literal at the end is then complete. */
		o = json_tokener_parse_ex(tok, texts[i],
		    (int)strlen(texts[i]) + 1);
		/* null parses to NULL. */
		theirs = json_tokener_get_error(tok) == json_tokener_success &&
		    strspn(texts[i] + json_tokener_get_parse_end(tok),
		    " \t\r\n") == strlen(texts[i] +
		    json_tokener_get_parse_end(tok));
		json_object_put(o);
		json_tokener_free(tok);
		if ((ours && !theirs) || (i < NVALID && !ours))
			fail_msg("\"%s\": jscan %d, json-c %d", texts[i], ours,
			    theirs);
	}
}

static void
test_words(void **state)
{
	struct jscan	 s;
	char		*mem;

	(void)state;
	s = over(" true", &mem);
	assert_int_equal(jscan_word(&s, "true"), 0);
	assert_int_equal(jscan_end(&s), 0);
	free(mem);
	s = over("tru", &mem);
	assert_int_equal(jscan_word(&s, "true"), -1);
	free(mem);
	s = over(" { } x", &mem);
	assert_int_equal(jscan_expect(&s, '{'), 0);
	assert_int_equal(jscan_expect(&s, ']'), -1);
	assert_int_equal(jscan_expect(&s, '}'), 0);
	assert_int_equal(jscan_end(&s), -1);
	free(mem);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_ints),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_words),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
