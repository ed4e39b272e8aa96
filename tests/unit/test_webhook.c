/*
 * Unit tests of the webhook model: webhook_decode against a table of good
 * and bad bodies, the stored record, the union JSON, apply, and the model
 * over a real store in a temporary directory.
 *
 * Bodies in the table may hold expansions, so that long values stay
 * readable:  @A<n>@ is n letters 'a';  @U<n>@ a URL of exactly n bytes;
 * @H<n>@ n distinct {name, value} headers (array elements);  @O<n>@ n
 * distinct "name": "value" members;  @E<n>@ n distinct event names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "store.h"
#include "store_fixture.h"
#include "util.h"
#include "webhook.h"

/* ---- body expansion ----------------------------------------------------- */

static char *
expand(const char *src)
{
	struct buf	 b;
	const char	*p, *q;
	char		 kind;
	long		 n, i;

	buf_init(&b);
	for (p = src; *p != '\0'; p++) {
		if (*p != '@' || (q = strchr(p + 1, '@')) == NULL) {
			buf_putc(&b, *p);
			continue;
		}
		kind = p[1];
		n = strtol(p + 2, NULL, 10);
		switch (kind) {
		case 'A':
			for (i = 0; i < n; i++)
				buf_putc(&b, 'a');
			break;
		case 'U':	/* "https://example.com/" is 20 bytes */
			buf_puts(&b, "https://example.com/");
			for (i = 20; i < n; i++)
				buf_putc(&b, 'p');
			break;
		case 'H':
			for (i = 0; i < n; i++)
				buf_printf(&b, "%s{\"name\":\"X-H%ld\","
				    "\"value\":\"v\"}", i ? "," : "", i);
			break;
		case 'O':
			for (i = 0; i < n; i++)
				buf_printf(&b, "%s\"X-H%ld\":\"v\"",
				    i ? "," : "", i);
			break;
		case 'E':
			for (i = 0; i < n; i++)
				buf_printf(&b, "%s\"ev.%ld\"", i ? "," : "", i);
			break;
		default:
			fail_msg("bad expansion in %s", src);
		}
		p = q;
	}
	return buf_take(&b);
}

static json_object *
parse(const char *src)
{
	json_object		*j;
	enum json_tokener_error	 e;
	char			*s;

	s = expand(src);
	j = json_tokener_parse_verbose(s, &e);	/* "null" is NULL */
	if (e != json_tokener_success)
		fail_msg("test body is not JSON: %.200s", s);
	free(s);
	return j;
}

/* ---- the decode table --------------------------------------------------- */

struct decode_case {
	const char	*label;
	const char	*body;
	int		 create;
	int		 ok;		/* 1: decodes, 0: refused */
	const char	*field;		/* refused: a field to be named */
};

#define GOOD(l, b)		{ l, b, 1, 1, NULL }
#define GOOD_UPD(l, b)		{ l, b, 0, 1, NULL }
#define BAD(l, b, f)		{ l, b, 1, 0, f }
#define BAD_UPD(l, b, f)	{ l, b, 0, 0, f }
#define BASE	"\"name\":\"n\",\"url\":\"https://example.com/h\""

static const struct decode_case decode_cases[] = {
	/* body */
	BAD("body is an array", "[]", "body"),
	BAD("body is a string", "\"x\"", "body"),
	BAD("body is null", "null", "body"),
	BAD("create needs name", "{\"url\":\"https://a.example/\"}", "name"),
	BAD("create needs url", "{\"name\":\"n\"}", "url"),
	GOOD_UPD("update may send nothing", "{}"),
	GOOD("a \"webhook\" that is no object is just an unknown field",
	    "{" BASE ",\"webhook\":\"x\"}"),
	GOOD_UPD("update may send only the name", "{\"name\":\"x\"}"),
	GOOD("unknown fields are ignored", "{" BASE ",\"colour\":\"red\"}"),

	/* the seeds' own bodies */
	GOOD("seed 000 create", "{\"name\":\"Example Webhook\","
	    "\"url\":\"https://digitonic.co.uk/webhook\",\"headers\":{"
	    "\"Accept\":\"application/json\","
	    "\"Content-Type\":\"application/json\"}}"),
	GOOD("seed 002 create", "{\"name\":\"Webhook name\","
	    "\"url\":\"https://example.com/hook\",\"token\":\"\","
	    "\"headers\":[],\"auth\":{}}"),
	GOOD("seed 003 envelope", "{\"webhook\":{\"name\":\"webhook to "
	    "capture customer state changes\",\"active\":\"true\","
	    "\"settings\":{\"customer_state_changed\":\"true\"},"
	    "\"url\":\"https://endpoint.com/catch-a-hook\","
	    "\"http_method\":\"POST\"}}"),
	BAD("seed 003 envelope without active", "{\"webhook\":{\"name\":\"n\","
	    "\"settings\":{\"a\":\"true\"},\"url\":\"https://e.com/\","
	    "\"http_method\":\"POST\"}}", "active"),
	BAD("seed 003 envelope without settings", "{\"webhook\":{\"name\":"
	    "\"n\",\"active\":\"true\",\"url\":\"https://e.com/\","
	    "\"http_method\":\"POST\"}}", "settings"),
	BAD("seed 003 envelope without http_method", "{\"webhook\":{\"name\":"
	    "\"n\",\"active\":true,\"settings\":{\"a\":\"true\"},"
	    "\"url\":\"https://e.com/\"}}", "http_method"),
	BAD_UPD("seed 003 envelope on update needs name too", "{\"webhook\":{"
	    "\"active\":true,\"settings\":{\"a\":\"true\"},"
	    "\"url\":\"https://e.com/\",\"http_method\":\"PUT\"}}", "name"),

	/* name */
	GOOD("name of 1024 bytes", "{\"name\":\"@A1024@\","
	    "\"url\":\"https://e.com/\"}"),
	BAD("name of 1025 bytes", "{\"name\":\"@A1025@\","
	    "\"url\":\"https://e.com/\"}", "name"),
	BAD("empty name", "{\"name\":\"\",\"url\":\"https://e.com/\"}", "name"),
	BAD("name is a number", "{\"name\":5,\"url\":\"https://e.com/\"}",
	    "name"),
	BAD("name with a newline", "{\"name\":\"a\\nb\","
	    "\"url\":\"https://e.com/\"}", "name"),
	BAD("name with NUL", "{\"name\":\"a\\u0000b\","
	    "\"url\":\"https://e.com/\"}", "name"),
	GOOD("name in UTF-8", "{\"name\":\"Caf\\u00e9 \\u2603\","
	    "\"url\":\"https://e.com/\"}"),
	/* json-c turns a lone surrogate escape into U+FFFD, but passes raw
	 * bytes through unchecked. */
	BAD("name with invalid UTF-8", "{\"name\":\"a\xff\","
	    "\"url\":\"https://e.com/\"}", "name"),
	BAD("name with an overlong UTF-8 form", "{\"name\":\"a\xc0\xaf\","
	    "\"url\":\"https://e.com/\"}", "name"),
	BAD("header value with invalid UTF-8", "{" BASE ",\"headers\":"
	    "{\"X-A\":\"\xed\xa0\x80\"}}", "headers.X-A.value"),

	/* url */
	GOOD("url of 2048 bytes", "{\"name\":\"n\",\"url\":\"@U2048@\"}"),
	BAD("url of 2049 bytes", "{\"name\":\"n\",\"url\":\"@U2049@\"}", "url"),
	BAD("ftp url", "{\"name\":\"n\",\"url\":\"ftp://x\"}", "url"),
	BAD("url without host", "{\"name\":\"n\",\"url\":\"http://\"}", "url"),
	BAD("url with empty host", "{\"name\":\"n\",\"url\":\"http:///p\"}",
	    "url"),
	BAD("javascript url", "{\"name\":\"n\","
	    "\"url\":\"javascript:alert(1)\"}", "url"),
	BAD("url with userinfo", "{\"name\":\"n\","
	    "\"url\":\"http://user:pw@host/\"}", "url"),
	BAD("relative url", "{\"name\":\"n\",\"url\":\"/hook\"}", "url"),
	BAD("url with a space", "{\"name\":\"n\","
	    "\"url\":\"https://e.com/a b\"}", "url"),
	BAD("url with CRLF", "{\"name\":\"n\","
	    "\"url\":\"https://e.com/\\r\\nX: y\"}", "url"),
	BAD("url with a backslash", "{\"name\":\"n\","
	    "\"url\":\"https://e.com\\\\@evil/\"}", "url"),
	BAD("url with port 0", "{\"name\":\"n\","
	    "\"url\":\"https://e.com:0/\"}", "url"),
	BAD("url with port 65536", "{\"name\":\"n\","
	    "\"url\":\"https://e.com:65536/\"}", "url"),
	BAD("url with an empty port", "{\"name\":\"n\","
	    "\"url\":\"https://e.com:/\"}", "url"),
	GOOD("url with port 65535 and a query", "{\"name\":\"n\","
	    "\"url\":\"HTTPS://e.com:65535/a?b=c&d=%2F#f\"}"),
	GOOD("url with an IPv6 literal", "{\"name\":\"n\","
	    "\"url\":\"http://[2001:db8::1]:8080/x\"}"),
	BAD("url with a bad IPv6 literal", "{\"name\":\"n\","
	    "\"url\":\"http://[2001:zz::1]/x\"}", "url"),
	BAD("url with a bad escape", "{\"name\":\"n\","
	    "\"url\":\"https://e.com/%zz\"}", "url"),
	BAD("url is not a string", "{\"name\":\"n\",\"url\":[]}", "url"),
	GOOD("url without a path", "{\"name\":\"n\",\"url\":\"http://e.com\"}"),
	BAD("url with one slash", "{\"name\":\"n\",\"url\":\"http:/e.com\"}",
	    "url"),
	BAD("url with a raw non-ASCII host", "{\"name\":\"n\","
	    "\"url\":\"https://b\u00fccher.de/\"}", "url"),
	BAD("url with a bad host character", "{\"name\":\"n\","
	    "\"url\":\"https://e!x.com/\"}", "url"),

	/* http_method */
	GOOD("method PUT", "{" BASE ",\"http_method\":\"PUT\"}"),
	GOOD("method patch in lower case", "{" BASE ",\"http_method\":"
	    "\"patch\"}"),
	BAD("method GET", "{" BASE ",\"http_method\":\"GET\"}", "http_method"),
	BAD("method as a number", "{" BASE ",\"http_method\":1}",
	    "http_method"),

	/* headers */
	GOOD("99 headers in an array", "{" BASE ",\"headers\":[@H99@]}"),
	BAD("100 headers in an array", "{" BASE ",\"headers\":[@H100@]}",
	    "headers"),
	GOOD("99 headers in an object", "{" BASE ",\"headers\":{@O99@}}"),
	BAD("100 headers in an object", "{" BASE ",\"headers\":{@O100@}}",
	    "headers"),
	GOOD("empty headers object", "{" BASE ",\"headers\":{}}"),
	GOOD("header name of 128", "{" BASE ",\"headers\":[{\"name\":"
	    "\"@A128@\",\"value\":\"v\"}]}"),
	BAD("header name of 129", "{" BASE ",\"headers\":[{\"name\":"
	    "\"@A129@\",\"value\":\"v\"}]}", "headers[0].name"),
	GOOD("header value of 1024", "{" BASE ",\"headers\":[{\"name\":"
	    "\"X\",\"value\":\"@A1024@\"}]}"),
	BAD("header value of 1025", "{" BASE ",\"headers\":[{\"name\":"
	    "\"X\",\"value\":\"@A1025@\"}]}", "headers[0].value"),
	BAD("header value with CRLF", "{" BASE ",\"headers\":{\"X-A\":"
	    "\"a\\r\\nInjected: 1\"}}", "headers.X-A.value"),
	BAD("header value with LF in an array", "{" BASE ",\"headers\":["
	    "{\"name\":\"X-A\",\"value\":\"ok\"},{\"name\":\"X-B\","
	    "\"value\":\"a\\nb\"}]}", "headers[1].value"),
	BAD("header value with NUL", "{" BASE ",\"headers\":{\"X-A\":"
	    "\"a\\u0000b\"}}", "headers.X-A.value"),
	GOOD("header value with a tab", "{" BASE ",\"headers\":{\"X-A\":"
	    "\"a\\tb\"}}"),
	BAD("empty header value", "{" BASE ",\"headers\":{\"X-A\":\"\"}}",
	    "headers.X-A.value"),
	BAD("header name with a space", "{" BASE ",\"headers\":[{\"name\":"
	    "\"X A\",\"value\":\"v\"}]}", "headers[0].name"),
	BAD("header name with a colon", "{" BASE ",\"headers\":[{\"name\":"
	    "\"X:A\",\"value\":\"v\"}]}", "headers[0].name"),
	BAD("empty header name", "{" BASE ",\"headers\":[{\"name\":\"\","
	    "\"value\":\"v\"}]}", "headers[0].name"),
	BAD("Host header", "{" BASE ",\"headers\":{\"host\":\"x\"}}",
	    "headers.host.name"),
	BAD("Content-Length header", "{" BASE ",\"headers\":"
	    "{\"Content-Length\":\"1\"}}", "headers.Content-Length.name"),
	BAD("Connection header", "{" BASE ",\"headers\":{\"connection\":"
	    "\"close\"}}", "headers.connection.name"),
	GOOD("Authorization header", "{" BASE ",\"headers\":{\"Authorization\":"
	    "\"Bearer x\"}}"),
	BAD("Transfer-Encoding header", "{" BASE ",\"headers\":"
	    "{\"Transfer-Encoding\":\"chunked\"}}",
	    "headers.Transfer-Encoding.name"),
	BAD("webhook-signature header", "{" BASE ",\"headers\":"
	    "{\"Webhook-Signature\":\"v1,x\"}}",
	    "headers.Webhook-Signature.name"),
	/* Svix's, in every dialect: a native update of an endpoint's
	 * webhook must not forge its svix-signature either. */
	BAD("svix-signature header", "{" BASE ",\"headers\":"
	    "{\"Svix-Signature\":\"v1,x\"}}",
	    "headers.Svix-Signature.name"),
	BAD("header names repeated in another case", "{" BASE ",\"headers\":"
	    "[{\"name\":\"X-A\",\"value\":\"1\"},{\"name\":\"x-a\","
	    "\"value\":\"2\"}]}", "headers[1].name"),
	BAD("header element not an object", "{" BASE ",\"headers\":[\"X\"]}",
	    "headers[0]"),
	BAD("header without value", "{" BASE ",\"headers\":[{\"name\":"
	    "\"X\"}]}", "headers[0].value"),
	BAD("headers is a string", "{" BASE ",\"headers\":\"X: y\"}",
	    "headers"),

	/* auth */
	GOOD("auth with both", "{" BASE ",\"auth\":{\"username\":\"u\","
	    "\"password\":\"p\"}}"),
	GOOD("auth null", "{" BASE ",\"auth\":null}"),
	GOOD("auth empty strings (seed 002's none)", "{" BASE ",\"auth\":"
	    "{\"username\":\"\",\"password\":\"\"}}"),
	BAD("auth without password", "{" BASE ",\"auth\":{\"username\":"
	    "\"u\"}}", "auth.password"),
	BAD("auth without username", "{" BASE ",\"auth\":{\"password\":"
	    "\"p\"}}", "auth.username"),
	BAD("auth username with a colon", "{" BASE ",\"auth\":{\"username\":"
	    "\"a:b\",\"password\":\"p\"}}", "auth.username"),
	GOOD("auth of 1024 each", "{" BASE ",\"auth\":{\"username\":"
	    "\"@A1024@\",\"password\":\"@A1024@\"}}"),
	BAD("auth password of 1025", "{" BASE ",\"auth\":{\"username\":"
	    "\"u\",\"password\":\"@A1025@\"}}", "auth.password"),
	BAD("auth password with a newline", "{" BASE ",\"auth\":{\"username\":"
	    "\"u\",\"password\":\"a\\nb\"}}", "auth.password"),
	BAD("auth username with NUL", "{" BASE ",\"auth\":{\"username\":"
	    "\"a\\u0000b\",\"password\":\"p\"}}", "auth.username"),
	BAD("auth is a string", "{" BASE ",\"auth\":\"u:p\"}", "auth"),
	BAD("auth mask on create", "{" BASE ",\"auth\":{\"username\":\"u\","
	    "\"password\":\"********\"}}", "auth.password"),
	GOOD_UPD("auth mask on update", "{\"auth\":{\"username\":\"u\","
	    "\"password\":\"********\"}}"),

	/* token */
	GOOD("raw token", "{" BASE ",\"token\":\"qwerty\"}"),
	GOOD("token of 1024", "{" BASE ",\"token\":\"@A1024@\"}"),
	BAD("token of 1025", "{" BASE ",\"token\":\"@A1025@\"}", "token"),
	GOOD("whsec token of 24 bytes", "{" BASE ",\"token\":"
	    "\"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"}"),
	BAD("whsec token of 3 bytes", "{" BASE ",\"token\":\"whsec_YWJj\"}",
	    "token"),
	BAD("whsec token not base64", "{" BASE ",\"token\":\"whsec_!!!!\"}",
	    "token"),
	BAD("token is a number", "{" BASE ",\"token\":12}", "token"),
	BAD("token with a control character", "{" BASE ",\"token\":"
	    "\"a\\u0001\"}", "token"),

	/* events and settings */
	GOOD("events list", "{" BASE ",\"events\":[\"a.b\",\"c\"]}"),
	GOOD("128 events", "{" BASE ",\"events\":[@E128@]}"),
	BAD("129 events", "{" BASE ",\"events\":[@E129@]}", "events"),
	GOOD("event name of 128", "{" BASE ",\"events\":[\"@A128@\"]}"),
	BAD("event name of 129", "{" BASE ",\"events\":[\"@A129@\"]}",
	    "events[0]"),
	BAD("event name with a space", "{" BASE ",\"events\":[\"a\",\"b c\"]}",
	    "events[1]"),
	BAD("empty event name", "{" BASE ",\"events\":[\"\"]}", "events[0]"),
	BAD("events is an object", "{" BASE ",\"events\":{}}", "events"),
	GOOD("settings with booleans", "{" BASE ",\"settings\":{\"a\":true,"
	    "\"b\":false}}"),
	BAD("settings value not a boolean", "{" BASE ",\"settings\":{"
	    "\"a\":\"yes\"}}", "settings.a"),
	BAD("settings all false", "{" BASE ",\"settings\":{\"a\":\"false\"}}",
	    "settings"),
	GOOD("settings empty", "{" BASE ",\"settings\":{}}"),
	GOOD("settings \"*\"", "{" BASE ",\"settings\":{\"*\":\"true\"}}"),
	BAD("settings key with a space", "{" BASE ",\"settings\":{"
	    "\"a b\":\"true\"}}", "settings"),
	GOOD("events and all-false settings", "{" BASE ",\"events\":[\"a\"],"
	    "\"settings\":{\"b\":\"false\"}}"),
	BAD("settings is an array", "{" BASE ",\"settings\":[\"a\"]}",
	    "settings"),

	/* active, max_attempts */
	GOOD("active false", "{" BASE ",\"active\":false}"),
	GOOD("active \"FALSE\"", "{" BASE ",\"active\":\"FALSE\"}"),
	BAD("active 1", "{" BASE ",\"active\":1}", "active"),
	BAD("active \"yes\"", "{" BASE ",\"active\":\"yes\"}", "active"),
	GOOD("max_attempts 1", "{" BASE ",\"max_attempts\":1}"),
	GOOD("max_attempts 20", "{" BASE ",\"max_attempts\":20}"),
	BAD("max_attempts 0", "{" BASE ",\"max_attempts\":0}", "max_attempts"),
	BAD("max_attempts 21", "{" BASE ",\"max_attempts\":21}",
	    "max_attempts"),
	BAD("max_attempts 2.5", "{" BASE ",\"max_attempts\":2.5}",
	    "max_attempts"),
	BAD("max_attempts \"3\"", "{" BASE ",\"max_attempts\":\"3\"}",
	    "max_attempts"),
	BAD("max_attempts huge", "{" BASE ",\"max_attempts\":"
	    "99999999999999999999}", "max_attempts"),
};

static void
print_errors(const char *label, const struct wh_errors *errs)
{
	size_t	 i;

	for (i = 0; i < errs->n; i++)
		print_message("  %s: %s: %s\n", label, errs->e[i].field,
		    errs->e[i].msg);
}

static void
test_decode_table(void **state)
{
	const struct decode_case	*c;
	struct wh_input			 in;
	struct wh_errors		 errs;
	json_object			*j;
	size_t				 i, k;
	int				 rc, failed = 0, named;

	(void)state;
	for (i = 0; i < sizeof(decode_cases) / sizeof(decode_cases[0]); i++) {
		c = &decode_cases[i];
		j = parse(c->body);
		rc = webhook_decode(j, c->create, &in, &errs);
		if (c->ok && rc != 0) {
			print_message("FAIL %s: refused\n", c->label);
			print_errors(c->label, &errs);
			failed++;
		} else if (!c->ok && rc == 0) {
			print_message("FAIL %s: accepted\n", c->label);
			failed++;
		} else if (!c->ok) {
			named = 0;
			for (k = 0; k < errs.n; k++)
				if (strcmp(errs.e[k].field, c->field) == 0)
					named = 1;
			if (!named) {
				print_message("FAIL %s: %s not named\n",
				    c->label, c->field);
				print_errors(c->label, &errs);
				failed++;
			}
			if (getenv("TEST_VERBOSE") != NULL)
				print_errors(c->label, &errs);
			if (errs.n == 0 || errs.e[0].msg[0] == '\0') {
				print_message("FAIL %s: no message\n",
				    c->label);
				failed++;
			}
		}
		webhook_input_free(&in);
		json_object_put(j);
	}
	print_message("decode table: %zu cases, %d failed\n",
	    sizeof(decode_cases) / sizeof(decode_cases[0]), failed);
	assert_int_equal(failed, 0);
}

/* ---- decode results in detail ------------------------------------------ */

/* Decodes body (which must be good) into in. */
static void
decode_ok(const char *body, int create, struct wh_input *in)
{
	struct wh_errors	 errs;
	json_object		*j;

	j = parse(body);
	if (webhook_decode(j, create, in, &errs) != 0) {
		print_errors(body, &errs);
		fail_msg("refused: %s", body);
	}
	json_object_put(j);
}

static void
test_decode_values(void **state)
{
	struct wh_input	 in;

	(void)state;
	decode_ok("{\"webhook\":{\"name\":\"s\",\"active\":\"false\","
	    "\"settings\":{\"b\":\"true\",\"a\":\"true\",\"c\":\"false\"},"
	    "\"url\":\"https://e.com/\",\"http_method\":\"patch\"}}", 1, &in);
	assert_int_equal(in.set, WF_NAME | WF_URL | WF_METHOD | WF_EVENTS |
	    WF_ACTIVE);
	assert_string_equal(in.w.name, "s");
	assert_int_equal(in.w.method, WH_PATCH);
	assert_int_equal(in.w.active, 0);
	assert_int_equal(in.w.nevents, 2);
	assert_true(strcmp(in.w.events[0], "a") == 0 ||
	    strcmp(in.w.events[1], "a") == 0);
	webhook_input_free(&in);

	/* events and settings together: their union. */
	decode_ok("{\"events\":[\"a\",\"b\"],\"settings\":{\"b\":true,"
	    "\"c\":\"true\"}}", 0, &in);
	assert_int_equal(in.set, WF_EVENTS);
	assert_int_equal(in.w.nevents, 3);
	webhook_input_free(&in);

	/* [] and "*" among others both mean every event. */
	decode_ok("{\"events\":[]}", 0, &in);
	assert_int_equal(in.w.nevents, 1);
	assert_string_equal(in.w.events[0], "*");
	webhook_input_free(&in);
	decode_ok("{\"events\":[\"a\",\"*\"]}", 0, &in);
	assert_int_equal(in.w.nevents, 1);
	assert_string_equal(in.w.events[0], "*");
	webhook_input_free(&in);

	/* headers as an array and as an object, in order. */
	decode_ok("{\"headers\":[{\"name\":\"X-A\",\"value\":\"1\"},"
	    "{\"name\":\"X-B\",\"value\":\"2\"}]}", 0, &in);
	assert_int_equal(in.set, WF_HEADERS);
	assert_int_equal(in.w.nheaders, 2);
	assert_string_equal(in.w.headers[1].name, "X-B");
	assert_string_equal(in.w.headers[1].value, "2");
	webhook_input_free(&in);
	decode_ok("{\"headers\":[]}", 0, &in);
	assert_int_equal(in.set, WF_HEADERS);
	assert_int_equal(in.w.nheaders, 0);
	webhook_input_free(&in);

	/* "" token on update: the stored secret is kept. */
	decode_ok("{\"token\":\"\",\"auth\":{}}", 0, &in);
	assert_int_equal(in.set, WF_AUTH);
	assert_null(in.w.auth_user);
	webhook_input_free(&in);
	/* "" token on create: a fresh secret. */
	decode_ok("{\"name\":\"n\",\"url\":\"https://e.com/\",\"token\":\"\",\"auth\":{}}", 1, &in);
	assert_true(in.set & WF_TOKEN);
	assert_non_null(in.w.token);
	assert_int_equal(strncmp(in.w.token, "whsec_", 6), 0);
	assert_null(in.w.auth_user);
	webhook_input_free(&in);

	decode_ok("{\"max_attempts\":1,\"active\":\"true\"}", 0, &in);
	assert_int_equal(in.set, WF_MAX_ATTEMPTS | WF_ACTIVE);
	assert_int_equal(in.w.max_attempts, 1);
	assert_int_equal(in.w.active, 1);
	webhook_input_free(&in);
}

static void
test_decode_many_errors(void **state)
{
	struct wh_input		 in;
	struct wh_errors	 errs;
	json_object		*j;

	(void)state;
	/* Every bad field is named, once. */
	j = parse("{\"name\":\"\",\"url\":\"ftp://x\",\"http_method\":\"GET\","
	    "\"active\":2,\"max_attempts\":0,\"token\":5}");
	assert_int_equal(webhook_decode(j, 1, &in, &errs), -1);
	assert_int_equal(errs.n, 6);
	webhook_input_free(&in);
	json_object_put(j);

	/* More bad headers than error slots: capped, not overrun. */
	{
		struct buf	 b;
		int		 i;

		buf_init(&b);
		buf_puts(&b, "{\"headers\":[");
		for (i = 0; i < 99; i++)
			buf_printf(&b, "%s{\"name\":\"a b\",\"value\":\"\"}",
			    i ? "," : "");
		buf_puts(&b, "]}");
		j = json_tokener_parse(b.p);
		buf_free(&b);
	}
	assert_int_equal(webhook_decode(j, 0, &in, &errs), -1);
	assert_int_equal(errs.n, WH_ERRORS_MAX);
	assert_int_equal(errs.count, 2 * 99);	/* name and value */
	webhook_input_free(&in);
	json_object_put(j);

	/*
	 * A full table, then a field whose decoder checks its own errors: each
	 * must still see its error (it crashed the FastCGI process on auth with
	 * a password and no username, 33 bad headers before it).  Under every
	 * field order json-c keeps (insertion order), headers come first.
	 */
	{
		static const char *const after[] = {
			"\"auth\":{\"password\":\"x\"}",
			"\"auth\":{\"username\":\"u\"}",
			"\"auth\":{\"username\":5,\"password\":\"x\"}",
			"\"events\":[\"a b\"]",
			"\"settings\":{\"a b\":\"true\"}",
			"\"settings\":{\"e\":\"maybe\"}",
			"\"token\":\"whsec_!!\"",
			"\"max_attempts\":0",
		};
		struct buf	 b;
		size_t		 k;
		int		 i, create;

		for (k = 0; k < sizeof(after) / sizeof(after[0]); k++)
			for (create = 0; create <= 1; create++) {
				buf_init(&b);
				buf_puts(&b, "{\"name\":\"n\",\"url\":"
				    "\"https://example.com/\",\"headers\":[");
				for (i = 0; i < WH_ERRORS_MAX + 1; i++)
					buf_printf(&b, "%s{\"name\":\"a b\","
					    "\"value\":\"v\"}", i ? "," : "");
				buf_printf(&b, "],%s}", after[k]);
				j = json_tokener_parse(b.p);
				assert_non_null(j);
				assert_int_equal(webhook_decode(j, create, &in,
				    &errs), -1);
				assert_int_equal(errs.n, WH_ERRORS_MAX);
				assert_true(errs.count > WH_ERRORS_MAX + 0u);
				webhook_input_free(&in);
				json_object_put(j);
				buf_free(&b);
			}
	}
}

/* ---- the model ----------------------------------------------------------- */

static void
test_init_defaults(void **state)
{
	struct webhook	 w;
	unsigned char	*raw;
	size_t		 rawlen;

	(void)state;
	webhook_init(&w, "default");
	assert_true(util_is_uuid(w.uuid));
	assert_string_equal(w.team, "default");
	assert_int_equal(w.method, WH_POST);
	assert_int_equal(w.nevents, 1);
	assert_string_equal(w.events[0], "*");
	assert_int_equal(w.active, 1);
	assert_int_equal(w.max_attempts, WH_ATTEMPTS_DEFAULT);
	assert_int_equal(strncmp(w.token, "whsec_", 6), 0);
	assert_int_equal(util_base64_decode(w.token + 6, &raw, &rawlen), 0);
	assert_int_equal(rawlen, 24);
	free(raw);
	assert_true(w.created_at > 0);
	assert_true(w.created_at == w.updated_at);
	assert_true(webhook_wants(&w, "anything"));
	w.active = 0;
	assert_false(webhook_wants(&w, "anything"));
	webhook_free(&w);
}

static void
test_wants(void **state)
{
	struct webhook	 w;
	struct wh_input	 in;

	(void)state;
	webhook_init(&w, "t");
	decode_ok("{\"events\":[\"a.created\",\"b\"]}", 0, &in);
	webhook_apply(&w, &in);
	webhook_input_free(&in);
	assert_true(webhook_wants(&w, "a.created"));
	assert_true(webhook_wants(&w, "b"));
	assert_false(webhook_wants(&w, "a"));
	assert_false(webhook_wants(&w, "a.created.x"));
	webhook_free(&w);
	assert_string_equal(webhook_method_name(WH_POST), "POST");
	assert_string_equal(webhook_method_name(WH_PUT), "PUT");
	assert_string_equal(webhook_method_name(WH_PATCH), "PATCH");
}

static void
test_apply_partial(void **state)
{
	struct webhook	 w;
	struct wh_input	 in;
	char		*token;
	int64_t		 created;

	(void)state;
	webhook_init(&w, "t");
	decode_ok("{\"name\":\"one\",\"url\":\"https://e.com/1\","
	    "\"headers\":{\"X-A\":\"1\"},\"auth\":{\"username\":\"u\","
	    "\"password\":\"secret\"},\"token\":\"raw key\","
	    "\"events\":[\"e1\"],\"max_attempts\":3}", 1, &in);
	webhook_apply(&w, &in);
	webhook_input_free(&in);
	created = w.created_at;

	/* Only the name changes. */
	decode_ok("{\"name\":\"two\"}", 0, &in);
	webhook_apply(&w, &in);
	webhook_input_free(&in);
	assert_string_equal(w.name, "two");
	assert_string_equal(w.url, "https://e.com/1");
	assert_int_equal(w.nheaders, 1);
	assert_string_equal(w.auth_user, "u");
	assert_string_equal(w.auth_pass, "secret");
	assert_string_equal(w.token, "raw key");
	assert_int_equal(w.nevents, 1);
	assert_string_equal(w.events[0], "e1");
	assert_int_equal(w.max_attempts, 3);
	assert_int_equal(w.active, 1);
	assert_true(w.created_at == created);
	assert_true(w.updated_at >= created);

	/* The mask keeps the stored password; the user name may change. */
	decode_ok("{\"auth\":{\"username\":\"v\",\"password\":\"********\"}}",
	    0, &in);
	webhook_apply(&w, &in);
	webhook_input_free(&in);
	assert_string_equal(w.auth_user, "v");
	assert_string_equal(w.auth_pass, "secret");

	/* [] headers, {} auth, "" token: none, none, the secret kept. */
	token = xstrdup(w.token);
	decode_ok("{\"headers\":[],\"auth\":{},\"token\":\"\"}", 0, &in);
	webhook_apply(&w, &in);
	webhook_input_free(&in);
	assert_int_equal(w.nheaders, 0);
	assert_null(w.headers);
	assert_null(w.auth_user);
	assert_null(w.auth_pass);
	assert_string_equal(w.token, token);

	/* The mask with no stored password: no auth, not a bogus one. */
	decode_ok("{\"auth\":{\"username\":\"v\",\"password\":\"********\"}}",
	    0, &in);
	webhook_apply(&w, &in);
	webhook_input_free(&in);
	assert_null(w.auth_user);

	/* active through a string, the token untouched. */
	decode_ok("{\"active\":\"false\"}", 0, &in);
	webhook_apply(&w, &in);
	webhook_input_free(&in);
	assert_int_equal(w.active, 0);
	assert_string_equal(w.token, token);
	free(token);
	webhook_free(&w);
}

/* A webhook with every field set. */
static void
full_webhook(struct webhook *w)
{
	struct wh_input	 in;

	webhook_init(w, "team-a");
	decode_ok("{\"name\":\"Caf\\u00e9 \\\"hook\\\"\","
	    "\"url\":\"https://e.com/a/b?c=d\",\"http_method\":\"PUT\","
	    "\"headers\":[{\"name\":\"Accept\",\"value\":\"application/json\"},"
	    "{\"name\":\"X-Tab\",\"value\":\"a\\tb\"}],"
	    "\"auth\":{\"username\":\"user\",\"password\":\"pa ss\"},"
	    "\"token\":\"qwerty\",\"events\":[\"a\",\"b\"],\"active\":false,"
	    "\"max_attempts\":1}", 1, &in);
	webhook_apply(w, &in);
	webhook_input_free(&in);
	w->error_date = xstrdup("2017-12-04T15:06:12.053Z");
	w->error_msg = xstrdup("timeout of 10000ms exceeded");
	w->fail_since = 1512399972053LL;
	w->created_at = 1512399000000LL;
	w->updated_at = 1512399972053LL;
}

static void
test_record_roundtrip(void **state)
{
	struct webhook	 w, r;
	char		*rec, *rec2;

	(void)state;
	full_webhook(&w);
	rec = webhook_to_record(&w);
	assert_int_equal(webhook_from_record(rec, &r), 0);
	assert_string_equal(r.uuid, w.uuid);
	assert_string_equal(r.team, "team-a");
	assert_string_equal(r.name, w.name);
	assert_string_equal(r.url, w.url);
	assert_int_equal(r.method, WH_PUT);
	assert_int_equal(r.nheaders, 2);
	assert_string_equal(r.headers[0].name, "Accept");
	assert_string_equal(r.headers[1].value, "a\tb");
	assert_string_equal(r.auth_user, "user");
	assert_string_equal(r.auth_pass, "pa ss");
	assert_string_equal(r.token, "qwerty");
	assert_int_equal(r.nevents, 2);
	assert_string_equal(r.events[1], "b");
	assert_int_equal(r.active, 0);
	assert_int_equal(r.max_attempts, 1);
	assert_string_equal(r.error_date, "2017-12-04T15:06:12.053Z");
	assert_string_equal(r.error_msg, "timeout of 10000ms exceeded");
	assert_true(r.fail_since == 1512399972053LL);
	assert_true(r.created_at == 1512399000000LL);
	assert_true(r.updated_at == 1512399972053LL);
	/* Encoding is stable. */
	rec2 = webhook_to_record(&r);
	assert_string_equal(rec, rec2);
	free(rec);
	free(rec2);
	webhook_free(&r);
	webhook_free(&w);
}

/*
 * The Svix dialect's members (app, channels): stored and read back on both
 * roads (the quick reader and json-c's, which an unknown key forces),
 * copied, applied under WF_CHANNELS, left out of the record when none and
 * never in the union JSON.
 */
static void
test_record_app_channels(void **state)
{
	struct webhook	 w, q, j, d;
	struct wh_input	 in;
	char		*rec, *other, *rq, *rj;
	json_object	*o, *v;

	(void)state;
	full_webhook(&w);
	rec = webhook_to_record(&w);
	assert_null(strstr(rec, "\"app\""));
	assert_null(strstr(rec, "\"channels\""));
	free(rec);
	w.app = xstrdup("app_2Ab9");
	w.channels = xcalloc(2, sizeof(char *));
	w.channels[0] = xstrdup("project_1");
	w.channels[1] = xstrdup("caf\xc3\xa9 \"x\"");
	w.nchannels = 2;
	w.uid = xstrdup("ep-1");
	w.description = xstrdup("D");
	w.metadata = xcalloc(2, sizeof(*w.metadata));
	w.metadata[0].name = xstrdup("k");
	w.metadata[0].value = xstrdup("v");
	w.metadata[1].name = xstrdup("k2");
	w.metadata[1].value = xstrdup("");
	w.nmetadata = 2;
	w.rate_limit = 300;
	rec = webhook_to_record(&w);
	assert_non_null(strstr(rec, ",\"app\":\"app_2Ab9\",\"channels\":"
	    "[\"project_1\",\"caf\xc3\xa9 \\\"x\\\"\"],\"uid\":\"ep-1\","
	    "\"description\":\"D\",\"metadata\":{\"k\":\"v\",\"k2\":\"\"},"
	    "\"rate_limit\":300}"));
	assert_int_equal(webhook_from_record(rec, &q), 0);
	other = xasprintf("%.*s,\"zz\":0}", (int)strlen(rec) - 1, rec);
	assert_int_equal(webhook_from_record(other, &j), 0);
	assert_string_equal(q.app, "app_2Ab9");
	assert_string_equal(j.app, "app_2Ab9");
	assert_int_equal(q.nchannels, 2);
	assert_int_equal(j.nchannels, 2);
	assert_string_equal(q.channels[1], "caf\xc3\xa9 \"x\"");
	assert_string_equal(j.channels[0], "project_1");
	assert_string_equal(q.uid, "ep-1");
	assert_string_equal(j.description, "D");
	assert_int_equal(q.nmetadata, 2);
	assert_int_equal(j.nmetadata, 2);
	assert_string_equal(j.metadata[1].name, "k2");
	assert_int_equal(q.rate_limit, 300);
	assert_int_equal(j.rate_limit, 300);
	rq = webhook_to_record(&q);
	rj = webhook_to_record(&j);
	assert_string_equal(rq, rec);
	assert_string_equal(rj, rec);
	free(rq);
	free(rj);
	/* Not in the union JSON. */
	o = webhook_to_json(&q);
	assert_false(json_object_object_get_ex(o, "app", &v));
	assert_false(json_object_object_get_ex(o, "channels", &v));
	json_object_put(o);
	/* A copy of its own. */
	webhook_dup(&d, &q);
	assert_ptr_not_equal(d.app, q.app);
	assert_ptr_not_equal(d.channels[0], q.channels[0]);
	webhook_free(&q);
	rq = webhook_to_record(&d);
	assert_string_equal(rq, rec);
	free(rq);
	/* Applied only under WF_CHANNELS; none clears them. */
	memset(&in, 0, sizeof(in));
	webhook_apply(&d, &in);
	assert_int_equal(d.nchannels, 2);
	in.set = WF_CHANNELS;
	webhook_apply(&d, &in);
	assert_int_equal(d.nchannels, 0);
	assert_null(d.channels);
	assert_string_equal(d.app, "app_2Ab9");
	webhook_free(&d);
	webhook_free(&j);
	free(other);
	free(rec);
	webhook_free(&w);
}

/*
 * The record's bytes, pinned: data directories hold records of this form,
 * and every build must keep reading them and writing them the same way
 * (webhook_to_record writes them from the field table, no longer through
 * json-c: this is what json-c wrote).
 */
#define GOLDEN_RECORD \
	"{\"v\":1,\"view_v\":1,\"view_len\":536,\"view\":{\"uuid\":" \
	"\"4b8e3e4e-2a59-4d0b-9c1a-2d7c1f0e9a11\",\"id\":" \
	"\"4b8e3e4e-2a59-4d0b-9c1a-2d7c1f0e9a11\",\"name\":" \
	"\"Caf\xc3\xa9 \\\"hook\\\"\",\"url\":\"https://e.com/a/b?c=d\"," \
	"\"http_method\":\"PUT\",\"headers\":{\"Accept\":" \
	"\"application/json\",\"X-Tab\":\"a\\tb\"},\"auth\":{\"username\":" \
	"\"user\",\"password\":\"********\"},\"token\":\"qwerty\"," \
	"\"events\":[\"a\",\"b\"],\"settings\":{\"a\":\"true\",\"b\":" \
	"\"true\"},\"active\":false,\"max_attempts\":1,\"error\":{\"date\":" \
	"\"2017-12-04T15:06:12.053Z\",\"message\":\"timeout of 10000ms " \
	"exceeded\"},\"created_at\":\"2017-12-04T14:50:00.000Z\"," \
	"\"updated_at\":\"2017-12-04T15:06:12.053Z\"},\"uuid\":" \
	"\"4b8e3e4e-2a59-4d0b-9c1a-2d7c1f0e9a11\",\"team\":\"team-a\"," \
	"\"name\":\"Caf\xc3\xa9 \\\"hook\\\"\",\"url\":" \
	"\"https://e.com/a/b?c=d\",\"http_method\":\"PUT\",\"headers\":" \
	"[{\"name\":\"Accept\",\"value\":\"application/json\"},{\"name\":" \
	"\"X-Tab\",\"value\":\"a\\tb\"}],\"auth\":{\"username\":\"user\"," \
	"\"password\":\"pa ss\"},\"token\":\"qwerty\",\"events\":[\"a\"," \
	"\"b\"],\"active\":false,\"max_attempts\":1,\"error\":{\"date\":" \
	"\"2017-12-04T15:06:12.053Z\",\"message\":\"timeout of 10000ms " \
	"exceeded\"},\"fail_since\":1512399972053,\"created_at\":" \
	"1512399000000,\"updated_at\":1512399972053}"

static void
test_record_golden(void **state)
{
	struct webhook	 w, r;
	char		*rec;

	(void)state;
	full_webhook(&w);
	strcpy(w.uuid, "4b8e3e4e-2a59-4d0b-9c1a-2d7c1f0e9a11");
	rec = webhook_to_record(&w);
	assert_string_equal(rec, GOLDEN_RECORD);
	free(rec);
	assert_int_equal(webhook_from_record(GOLDEN_RECORD, &r), 0);
	rec = webhook_to_record(&r);
	assert_string_equal(rec, GOLDEN_RECORD);
	free(rec);
	webhook_free(&r);
	webhook_free(&w);
}

/*
 * The record is what json-c writes for the same object, byte for byte, for
 * any text in its strings (controls, '/', quotes, non-ASCII): parsed and
 * written again by json-c, it comes back unchanged.
 */
static void
test_record_is_json_c(void **state)
{
	static const char *const texts[] = {
		"", "plain", "a/b\\c\"d", "\x01\x02\x1f\x7f tab\tnl\nret\r",
		"caf\xc3\xa9 \xe2\x98\x83", "\b\f",
	};
	struct webhook	 w;
	json_object	*j;
	char		*rec;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		full_webhook(&w);
		if (i % 2 == 1) {
			free(w.auth_user);
			free(w.auth_pass);
			free(w.error_date);
			free(w.error_msg);
			w.auth_user = w.auth_pass = NULL;
			w.error_date = w.error_msg = NULL;
		} else {
			free(w.error_msg);
			w.error_msg = xstrdup(texts[i]);
		}
		free(w.team);
		w.team = xstrdup(texts[i]);
		free(w.token);
		w.token = xstrdup(texts[i]);
		w.fail_since = -(int64_t)i;
		rec = webhook_to_record(&w);
		assert_non_null(j = json_tokener_parse(rec));
		assert_string_equal(json_object_to_json_string_ext(j,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
		    rec);
		json_object_put(j);
		free(rec);
		webhook_free(&w);
	}
}

/* webhook_dup: the same webhook, sharing no memory with the original. */
static void
test_dup(void **state)
{
	struct webhook	 w, d, e;
	char		*rw, *rd;

	(void)state;
	full_webhook(&w);
	webhook_dup(&d, &w);
	rw = webhook_to_record(&w);
	assert_ptr_not_equal(d.name, w.name);
	assert_ptr_not_equal(d.headers, w.headers);
	assert_ptr_not_equal(d.headers[0].value, w.headers[0].value);
	assert_ptr_not_equal(d.events, w.events);
	assert_ptr_not_equal(d.auth_pass, w.auth_pass);
	assert_ptr_not_equal(d.error_msg, w.error_msg);
	webhook_free(&w);	/* d must stand alone (ASan, valgrind) */
	rd = webhook_to_record(&d);
	assert_string_equal(rd, rw);
	/* NULLs stay NULL. */
	webhook_init(&w, "t");
	webhook_dup(&e, &w);
	assert_null(e.auth_user);
	assert_null(e.error_date);
	assert_int_equal(e.nheaders, 0);
	assert_int_equal(e.nevents, 1);
	webhook_free(&e);
	webhook_free(&w);
	webhook_free(&d);
	free(rw);
	free(rd);
}

/* The plain fields a form shows, from the table, with their texts. */
static void
test_form_fields(void **state)
{
	struct wh_form_field	 ff;
	struct webhook		 w;
	struct buf		 b;
	const char		*want[][4] = {
		/* key, input, new webhook's text, full_webhook's text */
		{ "name", "t", "", "Caf\xc3\xa9 \"hook\"" },
		{ "url", "t", "", "https://e.com/a/b?c=d" },
		{ "active", "c", "1", "" },
		{ "max_attempts", "n", "8", "1" },
	};
	size_t			 i;

	(void)state;
	full_webhook(&w);
	buf_init(&b);
	for (i = 0; webhook_form_field(i, &ff) != NULL; i++) {
		assert_true(i < sizeof(want) / sizeof(want[0]));
		assert_string_equal(ff.key, want[i][0]);
		assert_non_null(ff.label);
		assert_int_equal(ff.input, want[i][1][0] == 't' ?
		    WH_INPUT_TEXT : want[i][1][0] == 'c' ? WH_INPUT_CHECK :
		    WH_INPUT_NUMBER);
		buf_reset(&b);
		webhook_form_text(&ff, NULL, &b);
		assert_string_equal(b.p != NULL ? b.p : "", want[i][2]);
		buf_reset(&b);
		webhook_form_text(&ff, &w, &b);
		assert_string_equal(b.p != NULL ? b.p : "", want[i][3]);
	}
	assert_int_equal(i, sizeof(want) / sizeof(want[0]));
	buf_free(&b);
	webhook_free(&w);
}

static void
test_record_damaged(void **state)
{
	struct webhook	 w;
	static const char *const bad[] = {
		"", "not json", "[]", "{}",
		"{\"v\":2,\"uuid\":\"4b8e3e4e-2a59-4d0b-9c1a-2d7c1f0e9a11\"}",
		"{\"v\":\"1\",\"uuid\":"
		    "\"4b8e3e4e-2a59-4d0b-9c1a-2d7c1f0e9a11\"}",
		"{\"v\":1}",
		"{\"v\":1,\"uuid\":\"nope\"}",
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(webhook_from_record(bad[i], &w), -1);
		assert_null(w.name);	/* nothing left to free */
	}
	/* Only v and uuid: every other field takes its default. */
	assert_int_equal(webhook_from_record("{\"v\":1,\"uuid\":"
	    "\"4b8e3e4e-2a59-4d0b-9c1a-2d7c1f0e9a11\",\"headers\":[{\"x\":1}],"
	    "\"auth\":{},\"events\":[],\"max_attempts\":99,\"active\":\"no\"}",
	    &w), 0);
	assert_string_equal(w.name, "");
	assert_string_equal(w.url, "");
	assert_string_equal(w.token, "");
	assert_string_equal(w.team, "");
	assert_int_equal(w.method, WH_POST);
	assert_int_equal(w.nheaders, 0);
	assert_null(w.auth_user);
	assert_int_equal(w.nevents, 1);
	assert_string_equal(w.events[0], "*");
	assert_int_equal(w.active, 1);
	assert_int_equal(w.max_attempts, WH_ATTEMPTS_DEFAULT);
	assert_null(w.error_date);
	webhook_free(&w);
}

static void
test_to_json(void **state)
{
	struct webhook	 w;
	json_object	*j, *v, *o;
	const char	*s;

	(void)state;
	full_webhook(&w);
	j = webhook_to_json(&w);
	assert_true(json_object_object_get_ex(j, "uuid", &v));
	assert_string_equal(json_object_get_string(v), w.uuid);
	assert_true(json_object_object_get_ex(j, "id", &v));
	assert_string_equal(json_object_get_string(v), w.uuid);
	assert_true(json_object_object_get_ex(j, "http_method", &v));
	assert_string_equal(json_object_get_string(v), "PUT");
	/* headers: an object. */
	assert_true(json_object_object_get_ex(j, "headers", &o));
	assert_true(json_object_is_type(o, json_type_object));
	assert_true(json_object_object_get_ex(o, "Accept", &v));
	assert_string_equal(json_object_get_string(v), "application/json");
	/* auth: the password masked. */
	assert_true(json_object_object_get_ex(j, "auth", &o));
	assert_true(json_object_object_get_ex(o, "username", &v));
	assert_string_equal(json_object_get_string(v), "user");
	assert_true(json_object_object_get_ex(o, "password", &v));
	assert_string_equal(json_object_get_string(v), "********");
	/* events and settings. */
	assert_true(json_object_object_get_ex(j, "events", &o));
	assert_int_equal(json_object_array_length(o), 2);
	assert_true(json_object_object_get_ex(j, "settings", &o));
	assert_true(json_object_object_get_ex(o, "b", &v));
	assert_string_equal(json_object_get_string(v), "true");
	assert_true(json_object_object_get_ex(j, "active", &v));
	assert_true(json_object_is_type(v, json_type_boolean));
	assert_false(json_object_get_boolean(v));
	assert_true(json_object_object_get_ex(j, "max_attempts", &v));
	assert_int_equal(json_object_get_int(v), 1);
	assert_true(json_object_object_get_ex(j, "token", &v));
	assert_string_equal(json_object_get_string(v), "qwerty");
	assert_true(json_object_object_get_ex(j, "error", &o));
	assert_true(json_object_object_get_ex(o, "message", &v));
	assert_string_equal(json_object_get_string(v),
	    "timeout of 10000ms exceeded");
	assert_true(json_object_object_get_ex(j, "created_at", &v));
	assert_string_equal(json_object_get_string(v),
	    "2017-12-04T14:50:00.000Z");
	assert_true(json_object_object_get_ex(j, "updated_at", &v));
	assert_string_equal(json_object_get_string(v),
	    "2017-12-04T15:06:12.053Z");
	/* The secret password appears nowhere. */
	s = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN);
	assert_null(strstr(s, "pa ss"));
	json_object_put(j);
	webhook_free(&w);

	/* No auth, no error, every event. */
	webhook_init(&w, "t");
	j = webhook_to_json(&w);
	assert_true(json_object_object_get_ex(j, "auth", &o));
	assert_true(json_object_object_get_ex(o, "username", &v));
	assert_string_equal(json_object_get_string(v), "");
	assert_true(json_object_object_get_ex(o, "password", &v));
	assert_string_equal(json_object_get_string(v), "");
	assert_true(json_object_object_get_ex(j, "error", &v));
	assert_null(v);
	assert_true(json_object_object_get_ex(j, "settings", &o));
	assert_true(json_object_object_get_ex(o, "*", &v));
	assert_true(json_object_object_get_ex(j, "headers", &o));
	assert_int_equal(json_object_object_length(o), 0);
	json_object_put(j);
	webhook_free(&w);
}

/* What to_json serves, sent back as an update, changes nothing. */
static void
test_json_roundtrip(void **state)
{
	struct webhook	 w, before;
	struct wh_input	 in;
	json_object	*j;
	char		*a, *b;

	(void)state;
	full_webhook(&w);
	a = webhook_to_record(&w);
	assert_int_equal(webhook_from_record(a, &before), 0);
	j = webhook_to_json(&w);
	decode_ok(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN),
	    0, &in);
	json_object_put(j);
	webhook_apply(&w, &in);
	webhook_input_free(&in);
	w.updated_at = before.updated_at;
	b = webhook_to_record(&w);
	assert_string_equal(a, b);
	free(a);
	free(b);
	webhook_free(&before);
	webhook_free(&w);
}

/* ---- through a real store ---------------------------------------------- */

static void
test_store(void **state)
{
	struct store	*st = ((struct fx *)*state)->s;
	struct webhook	 w, g, u, *ws;
	struct wh_input	 in;
	size_t		 n, total, i;


	full_webhook(&w);
	assert_int_equal(webhook_create(st, &w, 0), STORE_OK);
	assert_int_equal(webhook_get(st, "team-a", w.uuid, &g), STORE_OK);
	assert_string_equal(g.name, w.name);
	assert_string_equal(g.auth_pass, "pa ss");
	webhook_free(&g);
	/* Another team's webhook does not exist. */
	assert_int_equal(webhook_get(st, "team-b", w.uuid, &g),
	    STORE_NOTFOUND);
	webhook_free(&g);

	decode_ok("{\"name\":\"renamed\",\"url\":\"https://e.com/new\"}", 0,
	    &in);
	assert_int_equal(webhook_update(st, "team-a", w.uuid, &in, 0, &u, NULL),
	    STORE_OK);
	assert_string_equal(u.name, "renamed");
	assert_string_equal(u.token, "qwerty");
	webhook_free(&u);
	assert_int_equal(webhook_update(st, "team-b", w.uuid, &in, 0, &u, NULL),
	    STORE_NOTFOUND);
	assert_int_equal(webhook_update(st, "team-a", w.uuid, &in, 0, NULL, NULL),
	    STORE_OK);
	webhook_input_free(&in);
	assert_int_equal(webhook_get(st, "team-a", w.uuid, &g), STORE_OK);
	assert_string_equal(g.url, "https://e.com/new");
	webhook_free(&g);

	/*
	 * Basic auth and an Authorization header of its own: refused in one
	 * body, and on an update that adds one to a webhook holding the
	 * other (libcurl would drop the basic auth without a word).
	 */
	{
		struct wh_errors	 errs;
		json_object		*j;

		j = parse("{\"headers\":{\"authorization\":\"Bearer x\"},"
		    "\"auth\":{\"username\":\"u\",\"password\":\"p\"}}");
		assert_int_equal(webhook_decode(j, 0, &in, &errs), -1);
		assert_string_equal(errs.e[0].field, "auth");
		webhook_input_free(&in);
		json_object_put(j);

		/* w has basic auth: adding the header is refused, and
		 * nothing is written. */
		decode_ok("{\"name\":\"n2\",\"headers\":[{\"name\":"
		    "\"Authorization\",\"value\":\"Bearer x\"}]}", 0, &in);
		memset(&errs, 0, sizeof(errs));
		assert_int_equal(webhook_update(st, "team-a", w.uuid, &in, 0,
		    &u, &errs), WEBHOOK_INVALID);
		assert_int_equal(errs.n, 1);
		assert_string_equal(errs.e[0].field, "auth");
		webhook_input_free(&in);
		assert_int_equal(webhook_get(st, "team-a", w.uuid, &g),
		    STORE_OK);
		assert_string_equal(g.name, "renamed");
		webhook_free(&g);

		/* Removing the basic auth in the same body is fine. */
		decode_ok("{\"auth\":{},\"headers\":{\"Authorization\":"
		    "\"Bearer x\"}}", 0, &in);
		assert_int_equal(webhook_update(st, "team-a", w.uuid, &in, 0,
		    NULL, NULL), STORE_OK);
		webhook_input_free(&in);

		/* Now the header is stored: basic auth alone is refused. */
		decode_ok("{\"auth\":{\"username\":\"u\",\"password\":"
		    "\"p\"}}", 0, &in);
		assert_int_equal(webhook_update(st, "team-a", w.uuid, &in, 0,
		    NULL, NULL), WEBHOOK_INVALID);
		webhook_input_free(&in);
		assert_int_equal(webhook_get(st, "team-a", w.uuid, &g),
		    STORE_OK);
		assert_null(g.auth_user);
		webhook_free(&g);
	}

	for (i = 0; i < 3; i++) {
		webhook_init(&g, "team-a");
		assert_int_equal(webhook_create(st, &g, 0), STORE_OK);
		webhook_free(&g);
	}
	assert_int_equal(webhook_list(st, "team-a", 1, 2, &ws, &n, &total),
	    STORE_OK);
	assert_int_equal(n, 2);
	assert_int_equal(total, 4);
	for (i = 0; i < n; i++)
		webhook_free(&ws[i]);
	free(ws);
	assert_int_equal(webhook_list(st, "team-a", 0, 10, &ws, &n, &total),
	    STORE_OK);
	assert_int_equal(n, 4);
	assert_string_equal(ws[0].uuid, w.uuid);	/* creation order */
	for (i = 0; i < n; i++)
		webhook_free(&ws[i]);
	free(ws);

	assert_int_equal(webhook_delete(st, "team-b", w.uuid), STORE_NOTFOUND);
	assert_int_equal(webhook_delete(st, "team-a", w.uuid), STORE_OK);
	assert_int_equal(webhook_get(st, "team-a", w.uuid, &g),
	    STORE_NOTFOUND);
	assert_int_equal(webhook_delete(st, "team-a", w.uuid), STORE_NOTFOUND);

	webhook_free(&w);
}

/* webhook_json_members writes what json-c would: read back by json-c
 * (webhook_to_json) and written out plain, no-slash-escape, it comes out
 * byte for byte the same, for plain and awkward contents alike (escapes,
 * control characters, non-ASCII, repeated header names). */
/* What the object must hold, independently of how it is written: its
 * members in the API's order; each header name once, at its first place,
 * with its last value (what json-c made of repeated names). */
static void
assert_members_shape(const struct webhook *w, json_object *j)
{
	static const char *const keys[] = { "uuid", "id", "name", "url",
	    "http_method", "headers", "auth", "token", "events", "settings",
	    "active", "max_attempts", "error", "created_at", "updated_at" };
	json_object	*h;
	size_t		 n = 0, i, k, last;

	{
		json_object_object_foreach(j, key, val) {
			(void)val;
			assert_true(n < sizeof(keys) / sizeof(keys[0]));
			assert_string_equal(key, keys[n]);
			n++;
		}
	}
	assert_int_equal(n, sizeof(keys) / sizeof(keys[0]));
	/* The distinct names in w's order, one by one against the object's. */
	h = json_object_object_get(j, "headers");
	i = 0;
	{
		json_object_object_foreach(h, name, val) {
			for (;; i++) {
				assert_true(i < w->nheaders);
				for (k = 0; k < i; k++)
					if (strcmp(w->headers[k].name,
					    w->headers[i].name) == 0)
						break;
				if (k == i)
					break;
			}
			assert_string_equal(name, w->headers[i].name);
			for (last = w->nheaders - 1;
			    strcmp(w->headers[last].name, name) != 0; last--)
				;
			assert_string_equal(json_object_get_string(val),
			    w->headers[last].value);
			i++;
		}
	}
	/* ... and no distinct name left over. */
	for (; i < w->nheaders; i++) {
		for (k = 0; k < i; k++)
			if (strcmp(w->headers[k].name, w->headers[i].name) == 0)
				break;
		assert_true(k < i);
	}
}

static void
assert_members_match(const struct webhook *w)
{
	struct buf	 b;
	json_object	*j;
	const char	*want;

	j = webhook_to_json(w);
	want = json_object_to_json_string_ext(j,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	buf_init(&b);
	buf_putc(&b, '{');
	webhook_json_members(&b, w);
	buf_putc(&b, '}');
	assert_string_equal(b.p, want);
	buf_free(&b);
	assert_members_shape(w, j);
	json_object_put(j);
}

static void
test_json_members(void **state)
{
	struct webhook	 w;
	char		 all[256];
	int		 i;

	(void)state;
	full_webhook(&w);
	assert_members_match(&w);
	/* Every byte json-c escapes or not, in a name and a header value. */
	for (i = 1; i < 256; i++)
		all[i - 1] = (char)i;
	all[255] = '\0';
	free(w.name);
	w.name = xstrdup(all);
	free(w.headers[1].value);
	w.headers[1].value = xstrdup(all);
	/* A repeated header name (a hand-mended record): json-c keeps the
	 * first place and the last value. */
	w.headers = xrealloc(w.headers, 3 * sizeof(*w.headers));
	w.headers[2].name = xstrdup("Accept");
	w.headers[2].value = xstrdup("text/plain");
	w.nheaders = 3;
	assert_members_match(&w);
	free(w.error_date);
	free(w.error_msg);
	w.error_date = w.error_msg = NULL;
	free(w.auth_user);
	free(w.auth_pass);
	w.auth_user = w.auth_pass = NULL;
	w.active = 1;
	assert_members_match(&w);
	webhook_free(&w);
	webhook_init(&w, "team-b");
	assert_members_match(&w);
	webhook_free(&w);
}

/*
 * webhook_from_record reads the records webhook_to_record writes through a
 * quick reader and anything else through json-c.  An unknown key sends a
 * record to json-c: each record below, read both ways, must give the same
 * webhook (compared as the record it writes back).
 */
static void
test_record_quick_reader(void **state)
{
	static const char *const recs[] = {
		"{\"v\":1,\"uuid\":\"3a2695ee-27bd-4a22-8bae-f679d902c6e3\","
		"\"team\":\"t\",\"name\":\"n \\\"q\\\" \\\\ \\/ \\b\\f\\n\\r\\t\","
		"\"url\":\"https://e.com/a\",\"http_method\":\"PATCH\","
		"\"headers\":[{\"name\":\"A\",\"value\":\"1\"},"
		"{\"value\":\"2\",\"name\":\"B\"}],"
		"\"auth\":{\"username\":\"u\",\"password\":\"p\"},"
		"\"token\":\"whsec_x\",\"events\":[\"a\",\"b\",\"a\"],"
		"\"active\":false,\"max_attempts\":20,"
		"\"error\":{\"date\":\"d\",\"message\":\"m\"},"
		"\"fail_since\":-5,\"created_at\":1512399000000,"
		"\"updated_at\":1512399972053}",
		" { \"uuid\" : \"3a2695ee-27bd-4a22-8bae-f679d902c6e3\" ,\n"
		"\"v\" : 1 , \"headers\" : [ ] , \"events\" : [ ] , "
		"\"auth\" : null , \"error\" : null , \"max_attempts\" : 0 , "
		"\"created_at\" : 7 } \n",
		"{\"v\":1,\"uuid\":\"3a2695ee-27bd-4a22-8bae-f679d902c6e3\","
		"\"max_attempts\":21,\"http_method\":\"GET\",\"active\":true}",
		/* What the quick reader leaves to json-c. */
		"{\"v\":1,\"uuid\":\"3a2695ee-27bd-4a22-8bae-f679d902c6e3\","
		"\"name\":\"caf\\u00e9\",\"created_at\":1.5,\"active\":\"yes\"}",
		"{\"v\":1,\"uuid\":\"3a2695ee-27bd-4a22-8bae-f679d902c6e3\","
		"\"name\":\"a\",\"name\":\"b\",\"headers\":[{\"name\":\"A\"}],"
		"\"auth\":{\"username\":\"u\"},\"error\":{\"date\":\"d\"}}",
		"{\"v\":1,\"uuid\":\"3a2695ee-27bd-4a22-8bae-f679d902c6e3\","
		"\"created_at\":12345678901234567890,\"updated_at\":007}",
	};
	struct webhook	 a, b;
	char		*other, *ra, *rb;
	size_t		 i, n;

	(void)state;
	for (i = 0; i < sizeof(recs) / sizeof(recs[0]); i++) {
		n = strlen(recs[i]);
		while (recs[i][n - 1] != '}')
			n--;
		other = xasprintf("%.*s,\"zz\":0}", (int)(n - 1), recs[i]);
		assert_int_equal(webhook_from_record(recs[i], &a), 0);
		assert_int_equal(webhook_from_record(other, &b), 0);
		ra = webhook_to_record(&a);
		rb = webhook_to_record(&b);
		assert_string_equal(ra, rb);
		free(ra);
		free(rb);
		free(other);
		webhook_free(&a);
		webhook_free(&b);
	}
	/* Refused either way. */
	assert_int_equal(webhook_from_record("{\"v\":2,\"uuid\":"
	    "\"3a2695ee-27bd-4a22-8bae-f679d902c6e3\"}", &a), -1);
	assert_int_equal(webhook_from_record("{\"v\":1,\"uuid\":\"x\"}", &a),
	    -1);
	assert_int_equal(webhook_from_record("{\"v\":1}", &a), -1);
}

/* CPU seconds of n reads of rec. */
static double
read_cost(const char *rec, int n)
{
	struct timespec	 a, b;
	struct webhook	 w;
	int		 i;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
	for (i = 0; i < n; i++) {
		assert_int_equal(webhook_from_record(rec, &w), 0);
		webhook_free(&w);
	}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
	return (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
}

/*
 * The records webhook_to_record writes take the quick road: reading one
 * costs well under half of what json-c's road costs (about a tenth under
 * callgrind).  A reader that sends every record to json-c answers the same
 * and is caught only here.
 */
static void
test_record_quick_road(void **state)
{
	struct webhook	 w;
	char		*rec, *other;
	double		 quick, slow;

	(void)state;
	full_webhook(&w);
	rec = webhook_to_record(&w);
	rec[strlen(rec) - 1] = '\0';
	other = xasprintf("%s,\"zz\":0}", rec);	/* unknown key: json-c */
	rec[strlen(rec)] = '}';
	read_cost(rec, 200);			/* warm-up */
	quick = read_cost(rec, 3000);
	slow = read_cost(other, 3000);
	print_message("record reads: quick %.3f s, json-c %.3f s\n", quick,
	    slow);
	assert_true(quick < slow / 2);
	free(other);
	free(rec);
	webhook_free(&w);
}

/*
 * A record carries webhook_json_members' text (the view) in front; GET and
 * list answer from it.  It must be what the members of the record's own
 * webhook are, the readers must skip it, and a record without it (or
 * with another view version) must give the same view written afresh.
 */
static void
assert_view_matches(struct store *st, const struct webhook *w)
{
	struct webhook_view	 v;
	struct webhook_views	 vs;
	struct webhook		 back;
	struct buf		 want;
	const char		*m;
	char			*rec, *rec2, *old;
	size_t			 ml, i;

	buf_init(&want);
	webhook_json_members(&want, w);
	rec = webhook_to_record(w);
	assert_int_equal(webhook_record_view(rec, strlen(rec), &m, &ml), 1);
	assert_int_equal(ml, want.len);
	assert_memory_equal(m, want.p, ml);
	/* Read back (the quick reader skips the view), written again. */
	assert_int_equal(webhook_from_record(rec, &back), 0);
	rec2 = webhook_to_record(&back);
	assert_string_equal(rec, rec2);
	free(rec2);
	webhook_free(&back);
	/* Without the view, as records were written before: no view. */
	assert_int_equal(webhook_record_view(rec, strlen(rec), &m, &ml), 1);
	old = xasprintf("{\"v\":1%s", m + ml + 1);
	assert_int_equal(webhook_record_view(old, strlen(old), &m, &ml), 0);
	assert_int_equal(webhook_from_record(old, &back), 0);
	rec2 = webhook_to_record(&back);
	assert_string_equal(rec, rec2);
	free(rec2);
	webhook_free(&back);
	free(old);
	/* Another view version: no view. */
	old = xstrdup(rec);
	m = strstr(old, "\"view_v\":");
	assert_non_null(m);
	old[m - old + 9] = m[9] == '7' ? '8' : '7';
	assert_int_equal(webhook_record_view(old, strlen(old), &m, &ml), 0);
	free(old);
	free(rec);
	if (st != NULL) {
		assert_int_equal(webhook_get_view(st, w->team, w->uuid, 0, &v),
		    STORE_OK);
		assert_string_equal(v.uuid, w->uuid);
		assert_int_equal(v.len, want.len);
		assert_memory_equal(v.members, want.p, v.len);
		webhook_view_free(&v);
		assert_int_equal(webhook_list_views(st, w->team, 0, 100, 0, &vs),
		    STORE_OK);
		for (i = 0; i < vs.n; i++) {
			if (strcmp(vs.v[i].uuid, w->uuid) == 0) {
				assert_int_equal(vs.v[i].len, want.len);
				assert_memory_equal(vs.v[i].members, want.p,
				    want.len);
				break;
			}
		}
		assert_true(i < vs.n);
		webhook_views_free(&vs);

		/* Redacted: the secret and header values masked, the rest as
		 * the view has it. */
		{
			struct webhook	 r;
			struct buf	 rb;

			assert_int_equal(webhook_get(st, w->team, w->uuid, &r),
			    STORE_OK);
			webhook_redact(&r);
			buf_init(&rb);
			webhook_json_members(&rb, &r);
			assert_int_equal(webhook_get_view(st, w->team, w->uuid,
			    1, &v), STORE_OK);
			assert_int_equal(v.len, rb.len);
			assert_memory_equal(v.members, rb.p, rb.len);
			assert_null(memmem(v.members, v.len, w->token,
			    strlen(w->token)));
			for (i = 0; i < w->nheaders; i++)
				assert_null(memmem(v.members, v.len,
				    w->headers[i].value,
				    strlen(w->headers[i].value)));
			webhook_view_free(&v);
			assert_int_equal(webhook_list_views(st, w->team, 0, 100,
			    1, &vs), STORE_OK);
			for (i = 0; i < vs.n; i++)
				if (strcmp(vs.v[i].uuid, w->uuid) == 0)
					assert_memory_equal(vs.v[i].members,
					    rb.p, rb.len);
			webhook_views_free(&vs);
			buf_free(&rb);
			webhook_free(&r);
		}
	}
	buf_free(&want);
}

static void
test_record_view(void **state)
{
	struct store	*st = ((struct fx *)*state)->s;
	char		 all[256];
	struct webhook	 w;
	int		 i;

	full_webhook(&w);
	assert_int_equal(webhook_create(st, &w, 0), STORE_OK);
	assert_view_matches(st, &w);
	webhook_free(&w);
	webhook_init(&w, "team-b");
	assert_int_equal(webhook_create(st, &w, 0), STORE_OK);
	assert_view_matches(st, &w);
	/* Every byte json-c escapes or not, in a name and an event. */
	for (i = 1; i < 256; i++)
		all[i - 1] = (char)i;
	all[255] = '\0';
	free(w.name);
	w.name = xstrdup(all);
	assert_view_matches(NULL, &w);
	webhook_free(&w);
}

/* ---- secret rotation ---------------------------------------------------- */

/* w's token becomes next; the old one kept until until. */
static void
rotate_to(struct webhook *w, const char *next, int64_t until, int64_t now)
{
	char	*old = w->token;

	w->token = xstrdup(next);
	webhook_keep_secret(w, old, until, now);
	free(old);
}

/*
 * Rotation keeps each replaced secret, newest first, at most 10 (the
 * oldest go); a secret rotated back to leaves the list; an expired one is
 * dropped; a grace of nothing keeps nothing.
 */
static void
test_rotation_keep(void **state)
{
	struct webhook	 w;
	char		 name[16];
	int64_t		 now = 1700000000000LL;
	int		 i;

	(void)state;
	webhook_init(&w, "t");
	free(w.token);
	w.token = xstrdup("s0");
	for (i = 1; i <= 3; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		rotate_to(&w, name, now + 1000 * i, now);
	}
	assert_int_equal(w.nold_secrets, 3);
	assert_string_equal(w.old_secrets[0].secret, "s2");
	assert_int_equal(w.old_secrets[0].expires_at, now + 3000);
	assert_string_equal(w.old_secrets[2].secret, "s0");
	for (i = 4; i <= 14; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		rotate_to(&w, name, now + 1000 * i, now);
	}
	assert_int_equal(w.nold_secrets, WH_OLD_SECRETS_MAX);
	assert_string_equal(w.token, "s14");
	assert_string_equal(w.old_secrets[0].secret, "s13");
	assert_string_equal(w.old_secrets[9].secret, "s4");
	/* Back to s8: it is the token again, not an old secret. */
	rotate_to(&w, "s8", now + 99000, now);
	assert_int_equal(w.nold_secrets, WH_OLD_SECRETS_MAX);
	assert_string_equal(w.old_secrets[0].secret, "s14");
	assert_int_equal(w.old_secrets[0].expires_at, now + 99000);
	for (i = 0; i < (int)w.nold_secrets; i++)
		assert_string_not_equal(w.old_secrets[i].secret, "s8");
	/* Later: those valid until now + 9 s and before are gone. */
	webhook_prune_secrets(&w, now + 9000);
	for (i = 0; i < (int)w.nold_secrets; i++)
		assert_true(w.old_secrets[i].expires_at > now + 9000);
	assert_int_equal(w.nold_secrets, 6);	/* s14, s13..s10, s9 */
	assert_string_equal(w.old_secrets[5].secret, "s9");
	/* No grace: the old secret is not kept (and the expired go too). */
	rotate_to(&w, "s15", now + 10000, now + 10000);
	assert_int_equal(w.nold_secrets, 5);
	assert_string_equal(w.old_secrets[0].secret, "s14");
	/* The same secret again: nothing changes. */
	rotate_to(&w, "s15", now + 50000, now);
	assert_int_equal(w.nold_secrets, 5);
	webhook_free(&w);
}

static void
test_rotation_grace(void **state)
{
	struct wh_input	 in;

	(void)state;
	memset(&in, 0, sizeof(in));
	assert_int_equal(webhook_grace_ms(&in), 24LL * 3600 * 1000);
	in.has_grace = 1;
	in.grace_s = 2;
	assert_int_equal(webhook_grace_ms(&in), 2000);
	in.grace_s = 0;
	assert_int_equal(webhook_grace_ms(&in), 0);
	in.grace_s = 8LL * 24 * 3600;
	assert_int_equal(webhook_grace_ms(&in), 7LL * 24 * 3600 * 1000);
	in.grace_s = -5;
	assert_int_equal(webhook_grace_ms(&in), 0);
}

/* The rotate body: a token or a generated one, a grace of 0..7 days. */
static void
test_rotation_decode(void **state)
{
	static const char *const bad[] = {
		"{\"grace_seconds\":604801}", "{\"grace_seconds\":-1}",
		"{\"grace_seconds\":\"5\"}", "{\"grace_seconds\":1.5}",
		"{\"token\":5}", "{\"token\":\"a\\u0000b\"}", "[]", "\"x\"",
	};
	struct wh_input		 in;
	struct wh_errors	 errs;
	json_object		*j;
	size_t			 i;

	(void)state;
	assert_int_equal(webhook_decode_rotate(NULL, &in, &errs), 0);
	assert_int_equal(in.set, WF_TOKEN);
	assert_int_equal(in.has_grace, 0);
	assert_int_equal(strncmp(in.w.token, "whsec_", 6), 0);
	webhook_input_free(&in);
	j = parse("{\"token\":\"my secret\",\"grace_seconds\":604800}");
	assert_int_equal(webhook_decode_rotate(j, &in, &errs), 0);
	assert_string_equal(in.w.token, "my secret");
	assert_int_equal(in.has_grace, 1);
	assert_int_equal(in.grace_s, 604800);
	webhook_input_free(&in);
	json_object_put(j);
	j = parse("{\"token\":\"\",\"grace_seconds\":null}");
	assert_int_equal(webhook_decode_rotate(j, &in, &errs), 0);
	assert_int_equal(strncmp(in.w.token, "whsec_", 6), 0);
	assert_int_equal(in.has_grace, 0);
	webhook_input_free(&in);
	json_object_put(j);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		j = parse(bad[i]);
		if (webhook_decode_rotate(j, &in, &errs) != -1)
			fail_msg("accepted: %s", bad[i]);
		assert_true(errs.count > 0);
		json_object_put(j);
	}
}

/*
 * The old secrets in the record (with their values) and in the union JSON
 * (their expiry only); both roads read them; expired ones are not written;
 * none: no member at all, as before rotation existed.
 */
static void
test_rotation_record(void **state)
{
	struct webhook	 w, r, d;
	struct buf	 j;
	char		*rec, *other;
	int64_t		 now = util_now_ms();

	(void)state;
	full_webhook(&w);
	rec = webhook_to_record(&w);
	assert_null(strstr(rec, "previous_secrets"));
	free(rec);
	rotate_to(&w, "new one", now + 3600000, now);
	rotate_to(&w, "newer one", now + 7200000, now);
	rotate_to(&w, "newest", now - 1, now - 2);	/* expired by now */
	assert_int_equal(w.nold_secrets, 3);
	rec = webhook_to_record(&w);
	assert_non_null(strstr(rec, "\"previous_secrets\":[{\"secret\":"
	    "\"new one\","));
	assert_null(strstr(rec, "\"newer one\""));
	assert_int_equal(webhook_from_record(rec, &r), 0);
	assert_int_equal(r.nold_secrets, 2);
	assert_string_equal(r.old_secrets[0].secret, "new one");
	assert_int_equal(r.old_secrets[0].expires_at, now + 7200000);
	assert_string_equal(r.old_secrets[1].secret, "qwerty");
	assert_int_equal(r.old_secrets[1].expires_at, now + 3600000);
	webhook_free(&r);
	/* json-c's road: the same. */
	rec[strlen(rec) - 1] = '\0';
	other = xasprintf("%s,\"zz\":0}", rec);
	assert_int_equal(webhook_from_record(other, &r), 0);
	assert_int_equal(r.nold_secrets, 2);
	assert_string_equal(r.old_secrets[0].secret, "new one");
	assert_int_equal(r.old_secrets[1].expires_at, now + 3600000);
	/* The union JSON: the expiry, never a value. */
	buf_init(&j);
	webhook_json_members(&j, &r);
	buf_putc(&j, '\0');
	assert_non_null(strstr(j.p, "\"previous_secrets\":[{\"expires_at\":\""));
	assert_null(strstr(j.p, "new one"));
	assert_null(strstr(j.p, "qwerty"));
	buf_free(&j);
	webhook_dup(&d, &r);
	assert_int_equal(d.nold_secrets, 2);
	assert_ptr_not_equal(d.old_secrets[0].secret, r.old_secrets[0].secret);
	assert_string_equal(d.old_secrets[0].secret, "new one");
	webhook_redact(&d);
	assert_string_equal(d.old_secrets[0].secret, "********");
	webhook_free(&d);
	webhook_free(&r);
	free(other);
	free(rec);
	webhook_free(&w);
}

/* Over the store: an update that changes the token keeps the old one (the
 * default grace, or the input's), one that does not keeps none. */
static void
test_rotation_store(void **state)
{
	struct store	*st = ((struct fx *)*state)->s;
	struct webhook	 w, u;
	struct wh_input	 in;
	int64_t		 before;

	full_webhook(&w);
	assert_int_equal(webhook_create(st, &w, 0), STORE_OK);

	decode_ok("{\"name\":\"renamed\",\"token\":\"\"}", 0, &in);
	assert_int_equal(webhook_update(st, "team-a", w.uuid, &in, 0, &u,
	    NULL), STORE_OK);
	webhook_input_free(&in);
	assert_int_equal(u.nold_secrets, 0);
	webhook_free(&u);

	before = util_now_ms();
	decode_ok("{\"token\":\"second\"}", 0, &in);
	assert_int_equal(webhook_update(st, "team-a", w.uuid, &in, 0, &u,
	    NULL), STORE_OK);
	webhook_input_free(&in);
	assert_string_equal(u.token, "second");
	assert_int_equal(u.nold_secrets, 1);
	assert_string_equal(u.old_secrets[0].secret, "qwerty");
	assert_true(u.old_secrets[0].expires_at >= before +
	    WH_GRACE_DEFAULT_S * 1000LL);
	assert_true(u.old_secrets[0].expires_at <= util_now_ms() +
	    WH_GRACE_DEFAULT_S * 1000LL);
	assert_view_matches(st, &u);
	webhook_free(&u);

	/* A grace of 0: the old secret is not kept, the earlier one is. */
	decode_ok("{\"token\":\"third\"}", 0, &in);
	in.has_grace = 1;
	in.grace_s = 0;
	assert_int_equal(webhook_update(st, "team-a", w.uuid, &in, 0, &u,
	    NULL), STORE_OK);
	webhook_input_free(&in);
	assert_int_equal(u.nold_secrets, 1);
	assert_string_equal(u.old_secrets[0].secret, "qwerty");
	webhook_free(&u);
	assert_int_equal(webhook_get(st, "team-a", w.uuid, &u), STORE_OK);
	assert_string_equal(u.token, "third");
	assert_int_equal(u.nold_secrets, 1);
	webhook_free(&u);

	webhook_free(&w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_table),
		cmocka_unit_test(test_decode_values),
		cmocka_unit_test(test_decode_many_errors),
		cmocka_unit_test(test_init_defaults),
		cmocka_unit_test(test_wants),
		cmocka_unit_test(test_apply_partial),
		cmocka_unit_test(test_record_roundtrip),
		cmocka_unit_test(test_record_golden),
		cmocka_unit_test(test_record_app_channels),
		cmocka_unit_test(test_record_is_json_c),
		cmocka_unit_test(test_record_damaged),
		cmocka_unit_test(test_dup),
		cmocka_unit_test(test_form_fields),
		cmocka_unit_test(test_record_quick_reader),
		cmocka_unit_test(test_record_quick_road),
		cmocka_unit_test_setup_teardown(test_record_view, setup, teardown),
		cmocka_unit_test(test_to_json),
		cmocka_unit_test(test_json_members),
		cmocka_unit_test(test_json_roundtrip),
		cmocka_unit_test_setup_teardown(test_store, setup, teardown),
		cmocka_unit_test(test_rotation_keep),
		cmocka_unit_test(test_rotation_grace),
		cmocka_unit_test(test_rotation_decode),
		cmocka_unit_test(test_rotation_record),
		cmocka_unit_test_setup_teardown(test_rotation_store, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
