/* Unit tests of tmpl: the escaping table, values, sections, loops, errors,
 * and the template files through the cache. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tmpl.h"
#include "util.h"

#ifndef TEMPLATES_DIR
#define TEMPLATES_DIR "templates"
#endif

static void
test_escape(void **state)
{
	static const struct {
		const char	*label;
		const char	*in;
		const char	*want;
	} cases[] = {
		{ "empty", "", "" },
		{ "plain", "hello world", "hello world" },
		{ "script", "<script>alert(1)</script>",
		    "&lt;script&gt;alert(1)&lt;/script&gt;" },
		{ "ampersand", "a&b&amp;", "a&amp;b&amp;amp;" },
		{ "double quote", "\"x\"", "&quot;x&quot;" },
		{ "single quote", "it's", "it&#39;s" },
		{ "attribute break", "\" onmouseover=\"x", "&quot; onmouseover=&quot;x" },
		{ "all at the edges", "<&>\"'", "&lt;&amp;&gt;&quot;&#39;" },
		{ "utf-8 kept", "caf\xc3\xa9 \xe2\x9c\x93", "caf\xc3\xa9 \xe2\x9c\x93" },
		{ "braces kept", "{{name}}", "{{name}}" },
	};
	struct buf	 b;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_init(&b);
		tmpl_escape(&b, cases[i].in);
		buf_add(&b, "", 0);
		if (strcmp(b.p, cases[i].want) != 0)
			fail_msg("%s: got %s, want %s", cases[i].label, b.p,
			    cases[i].want);
		buf_free(&b);
	}
}

/* Renders text with d and compares; want NULL: the template must fail. */
static void
check(const char *label, const char *text, const struct tmpl_data *d,
    const char *want)
{
	struct buf	 b;
	char		 err[256] = "";
	int		 rc;

	buf_init(&b);
	rc = tmpl_render_string(text, d, &b, err, sizeof(err));
	if (want == NULL) {
		if (rc != -1)
			fail_msg("%s: rendered a bad template: %s", label, b.p);
		if (err[0] == '\0')
			fail_msg("%s: no message", label);
	} else {
		if (rc != 0)
			fail_msg("%s: %s", label, err);
		if (strcmp(b.p, want) != 0)
			fail_msg("%s: got [%s], want [%s]", label, b.p, want);
	}
	buf_free(&b);
}

static void
test_values(void **state)
{
	struct tmpl_data	*d = tmpl_data_new();

	(void)state;
	tmpl_set(d, "name", "<b>Bob</b>");
	tmpl_set(d, "html", "<b>bold</b>");
	tmpl_setf(d, "n", "%d items", 3);
	tmpl_set(d, "empty", NULL);
	tmpl_set(d, "replaced", "old");
	tmpl_set(d, "replaced", "new");
	check("escaped by default", "Hi {{name}}!", d,
	    "Hi &lt;b&gt;Bob&lt;/b&gt;!");
	check("spaces in tags", "{{ name }}", d, "&lt;b&gt;Bob&lt;/b&gt;");
	check("raw", "{{{html}}}", d, "<b>bold</b>");
	check("formatted", "{{n}}", d, "3 items");
	check("missing is empty", "[{{nope}}]", d, "[]");
	check("empty value", "[{{empty}}]", d, "[]");
	check("replaced", "{{replaced}}", d, "new");
	check("comment", "a{{! not shown }}b", d, "ab");
	check("no tags", "plain text\n", d, "plain text\n");
	check("empty template", "", d, "");
	check("lone brace", "a { b } c }}", d, "a { b } c }}");
	check("value is not re-parsed", "{{x}}", NULL, "");
	tmpl_set(d, "x", "{{name}}");
	check("value holding a tag", "{{x}}", d, "{{name}}");
	tmpl_data_free(d);
}

static void
test_sections(void **state)
{
	struct tmpl_data	*d = tmpl_data_new();

	(void)state;
	tmpl_flag(d, "on", 1);
	tmpl_flag(d, "off", 0);
	tmpl_set(d, "who", "x&y");
	check("true section", "{{#on}}yes {{who}}{{/on}}", d, "yes x&amp;y");
	check("false section", "[{{#off}}yes{{/off}}]", d, "[]");
	check("missing section", "[{{#nope}}yes{{/nope}}]", d, "[]");
	check("inverted true", "[{{^on}}no{{/on}}]", d, "[]");
	check("inverted false", "[{{^off}}no{{/off}}]", d, "[no]");
	check("inverted missing", "[{{^nope}}no{{/nope}}]", d, "[no]");
	check("nested", "{{#on}}a{{#on}}b{{^off}}c{{/off}}{{/on}}{{/on}}", d,
	    "abc");
	check("value as section", "{{#who}}<{{who}}>{{/who}}", d, "<x&amp;y>");
	tmpl_data_free(d);
}

static void
test_loops(void **state)
{
	struct tmpl_data	*d = tmpl_data_new(), *it, *sub;

	(void)state;
	tmpl_set(d, "csrf", "T");
	check("empty list", "[{{#rows}}x{{/rows}}]{{^rows}}none{{/rows}}", d,
	    "[]none");
	it = tmpl_add(d, "rows");
	tmpl_set(it, "name", "a<");
	tmpl_flag(it, "active", 1);
	it = tmpl_add(d, "rows");
	tmpl_set(it, "name", "b");
	sub = tmpl_add(it, "tags");
	tmpl_set(sub, "t", "t1");
	sub = tmpl_add(it, "tags");
	tmpl_set(sub, "t", "t2");
	check("loop", "{{#rows}}<li>{{name}}{{#active}}*{{/active}}</li>{{/rows}}",
	    d, "<li>a&lt;*</li><li>b</li>");
	check("outer names inside a loop", "{{#rows}}{{name}}:{{csrf}} {{/rows}}",
	    d, "a&lt;:T b:T ");
	check("nested loop", "{{#rows}}{{name}}({{#tags}}{{t}}{{name}},{{/tags}})"
	    "{{/rows}}", d, "a&lt;()b(t1b,t2b,)");
	check("inverted list", "{{^rows}}none{{/rows}}", d, "");
	/* An item's own value hides the outer one. */
	tmpl_set(it, "csrf", "inner");
	check("shadowing", "{{#rows}}{{csrf}},{{/rows}}{{csrf}}", d,
	    "T,inner,T");
	/* A value turned into a list and back. */
	tmpl_set(d, "rows", "plain");
	check("list replaced by a value", "{{#rows}}[{{rows}}]{{/rows}}", d,
	    "[plain]");
	tmpl_data_free(d);
}

static void
test_errors(void **state)
{
	static const struct {
		const char	*label;
		const char	*text;
	} cases[] = {
		{ "unclosed tag", "a {{name" },
		{ "unclosed raw tag", "a {{{name}}" },
		{ "unclosed section", "{{#a}}x" },
		{ "wrong close", "{{#a}}x{{/b}}" },
		{ "stray close", "x{{/a}}" },
		{ "crossed sections", "{{#a}}{{#b}}{{/a}}{{/b}}" },
		{ "empty name", "{{}}" },
		{ "bad character", "{{a b}}" },
		{ "markup in a tag", "{{<script>}}" },
		{ "partials are not supported", "{{>other}}" },
		{ "too deep", "{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}"
		    "{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}"
		    "{{/a}}{{/a}}{{/a}}{{/a}}{{/a}}{{/a}}{{/a}}{{/a}}{{/a}}"
		    "{{/a}}{{/a}}{{/a}}{{/a}}{{/a}}{{/a}}{{/a}}{{/a}}" },
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check(cases[i].label, cases[i].text, NULL, NULL);
}

static void
test_files(void **state)
{
	char		 dir[] = "/tmp/test_tmpl.XXXXXX", *path;
	struct tmpl_data *d;
	struct buf	 b;
	FILE		*f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	path = xasprintf("%s/page.html", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("<p>{{msg}}</p>\n", f);
	fclose(f);
	setenv("WEBHOOKS_TEMPLATES", dir, 1);
	tmpl_reset();
	assert_string_equal(tmpl_dir(), dir);

	d = tmpl_data_new();
	tmpl_set(d, "msg", "<hi>");
	buf_init(&b);
	assert_int_equal(tmpl_render("page.html", d, &b), 0);
	assert_string_equal(b.p, "<p>&lt;hi&gt;</p>\n");
	/* Cached: the file may go away. */
	unlink(path);
	buf_reset(&b);
	assert_int_equal(tmpl_render("page.html", d, &b), 0);
	assert_string_equal(b.p, "<p>&lt;hi&gt;</p>\n");
	assert_int_equal(tmpl_render("missing.html", d, &b), -1);

	/* A malformed file is refused, not rendered. */
	free(path);
	path = xasprintf("%s/bad.html", dir);
	f = fopen(path, "w");
	fputs("{{#open}}never closed\n", f);
	fclose(f);
	assert_int_equal(tmpl_render("bad.html", d, &b), -1);
	unlink(path);
	rmdir(dir);
	buf_free(&b);
	tmpl_data_free(d);
	free(path);
	tmpl_reset();
	unsetenv("WEBHOOKS_TEMPLATES");
}

/* The shipped templates all parse. */
static void
test_shipped(void **state)
{
	static const char *const names[] = {
		"layout.html", "login.html", "list.html", "form.html",
		"webhook.html", "delete.html", "error.html", "style.css",
	};
	struct buf	 b;
	size_t		 i;

	(void)state;
	setenv("WEBHOOKS_TEMPLATES", TEMPLATES_DIR, 1);
	tmpl_reset();
	buf_init(&b);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (tmpl_render(names[i], NULL, &b) != 0)
			fail_msg("templates/%s does not parse", names[i]);
	buf_free(&b);
	tmpl_reset();
	unsetenv("WEBHOOKS_TEMPLATES");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_loops),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_shipped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
