/*
 * Unit tests of the Svix dialect's event-type catalog (src/model/
 * event_type.c over src/store/store_app.c): create and its rules (the name
 * is this service's event-type rule), a duplicate refused, archive (hidden
 * from lists unless asked for, made again un-archives it), expunge, PUT
 * creating when absent, PATCH (absent unchanged, null clears), list pages
 * in name order both ways and backwards, another team's types apart;
 * an example as send-example reads it.
 * Each test runs in its own temporary store.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event_type.h"
#include "store.h"
#include "util.h"
#include "store_fixture.h"
#include "json_fixture.h"

/* evtype_create of text: its result (e freed). */
static int
create(struct fx *fx, const char *team, const char *text)
{
	struct wh_errors errs;
	struct evtype	 e;
	json_object	*j = body(text);
	int		 rc;

	memset(&errs, 0, sizeof(errs));
	rc = evtype_create(fx->s, team, j, &e, &errs);
	json_object_put(j);
	if (rc == STORE_OK)
		evtype_free(&e);
	return rc;
}

static void
test_create_rules(void **state)
{
	struct fx	*fx = *state;
	struct wh_errors errs;
	struct evtype	 e;
	json_object	*j;
	char		 big[300], text[400];

	memset(&errs, 0, sizeof(errs));
	j = body("{\"name\":\"user.signup\",\"description\":\"A user\","
	    "\"schemas\":{\"1\":{\"type\":\"object\"}},\"featureFlag\":\"beta\","
	    "\"unknown\":1}");
	assert_int_equal(evtype_create(fx->s, "t1", j, &e, &errs), STORE_OK);
	json_object_put(j);
	assert_string_equal(e.name, "user.signup");
	assert_string_equal(e.description, "A user");
	assert_false(e.archived);
	assert_false(e.deprecated);
	assert_non_null(e.schemas);
	assert_int_equal(json_object_array_length(e.flags), 1);
	assert_true(e.created_ms > 0 && e.updated_ms == e.created_ms);
	evtype_free(&e);
	assert_int_equal(evtype_get(fx->s, "t1", "user.signup", &e), STORE_OK);
	assert_string_equal(e.description, "A user");
	j = evtype_to_json(&e, 0);
	assert_string_equal(json_object_to_json_string_ext(
	    json_object_object_get(j, "featureFlags"), JSON_C_TO_STRING_PLAIN),
	    "[\"beta\"]");
	assert_string_equal(json_object_get_string(json_object_object_get(j,
	    "featureFlag")), "beta");
	assert_null(json_object_object_get(j, "schemas"));
	json_object_put(j);
	evtype_free(&e);

	/* The name: this service's rule, at most 128. */
	assert_int_equal(create(fx, "t1", "{\"description\":\"\"}"),
	    EVTYPE_INVALID);
	assert_int_equal(create(fx, "t1", "{\"name\":\"a b\",\"description\":"
	    "\"\"}"), EVTYPE_INVALID);
	assert_int_equal(create(fx, "t1", "{\"name\":\"\",\"description\":"
	    "\"\"}"), EVTYPE_INVALID);
	memset(big, 'a', 128);
	snprintf(big + 128, sizeof(big) - 128, "\",\"description\":\"\"}");
	snprintf(text, sizeof(text), "{\"name\":\"%s", big);
	assert_int_equal(create(fx, "t1", text), STORE_OK);
	snprintf(text, sizeof(text), "{\"name\":\"b%s", big);
	assert_int_equal(create(fx, "t1", text), EVTYPE_INVALID);
	/* description required, a string; booleans are booleans. */
	assert_int_equal(create(fx, "t1", "{\"name\":\"x\"}"), EVTYPE_INVALID);
	assert_int_equal(create(fx, "t1", "{\"name\":\"x\",\"description\":"
	    "\"a\\nb\"}"), EVTYPE_INVALID);
	assert_int_equal(create(fx, "t1", "{\"name\":\"x\",\"description\":"
	    "\"\",\"archived\":\"yes\"}"), EVTYPE_INVALID);
	assert_int_equal(create(fx, "t1", "{\"name\":\"x\",\"description\":"
	    "\"\",\"schemas\":[1]}"), EVTYPE_INVALID);
	assert_int_equal(create(fx, "t1", "{\"name\":\"x\",\"description\":"
	    "\"\",\"featureFlags\":[\"a b\"]}"), EVTYPE_INVALID);
	memset(&errs, 0, sizeof(errs));
	j = body("{\"name\":\"a b\",\"description\":1,\"deprecated\":2}");
	assert_int_equal(evtype_create(fx->s, "t1", j, &e, &errs),
	    EVTYPE_INVALID);
	json_object_put(j);
	assert_int_equal(errs.count, 3);
	assert_string_equal(errs.e[0].field, "name");
	assert_int_equal(evtype_get(fx->s, "t1", "x", &e), STORE_NOTFOUND);
}

static void
test_duplicate_archive_expunge(void **state)
{
	struct fx	*fx = *state;
	struct evtype	 e;
	int64_t		 created;

	assert_int_equal(create(fx, "t1", "{\"name\":\"a\",\"description\":"
	    "\"one\",\"schemas\":{\"1\":{}}}"), STORE_OK);
	assert_int_equal(create(fx, "t1", "{\"name\":\"a\",\"description\":"
	    "\"two\"}"), STORE_EXISTS);
	/* Another team's catalog is its own. */
	assert_int_equal(create(fx, "t2", "{\"name\":\"a\",\"description\":"
	    "\"two\"}"), STORE_OK);
	assert_int_equal(evtype_get(fx->s, "t1", "a", &e), STORE_OK);
	assert_string_equal(e.description, "one");
	created = e.created_ms;
	evtype_free(&e);
	/* Archived: still read, made again un-archives with the new body. */
	assert_int_equal(evtype_delete(fx->s, "t1", "a", 0), STORE_OK);
	assert_int_equal(evtype_get(fx->s, "t1", "a", &e), STORE_OK);
	assert_true(e.archived);
	evtype_free(&e);
	assert_int_equal(create(fx, "t1", "{\"name\":\"a\",\"description\":"
	    "\"three\"}"), STORE_OK);
	assert_int_equal(evtype_get(fx->s, "t1", "a", &e), STORE_OK);
	assert_false(e.archived);
	assert_string_equal(e.description, "three");
	assert_null(e.schemas);
	assert_true(e.created_ms == created);
	evtype_free(&e);
	/* Expunged: gone, and the name free. */
	assert_int_equal(evtype_delete(fx->s, "t1", "a", 1), STORE_OK);
	assert_int_equal(evtype_get(fx->s, "t1", "a", &e), STORE_NOTFOUND);
	assert_int_equal(evtype_delete(fx->s, "t1", "a", 0), STORE_NOTFOUND);
	assert_int_equal(evtype_delete(fx->s, "t1", "a", 1), STORE_NOTFOUND);
	assert_int_equal(evtype_delete(fx->s, "t1", "no such", 0),
	    STORE_NOTFOUND);
	/* t2's is still there. */
	assert_int_equal(evtype_get(fx->s, "t2", "a", &e), STORE_OK);
	evtype_free(&e);
}

static void
test_put_patch(void **state)
{
	struct fx	*fx = *state;
	struct wh_errors errs;
	struct evtype	 e;
	json_object	*j;
	int		 created;

	memset(&errs, 0, sizeof(errs));
	j = body("{\"description\":\"d\",\"deprecated\":true,"
	    "\"groupName\":\"g\"}");
	/* Absent and not allowed to make it: not found. */
	assert_int_equal(evtype_put(fx->s, "t1", "p", j, 0, &e, &created,
	    &errs), STORE_NOTFOUND);
	assert_int_equal(evtype_put(fx->s, "t1", "p", j, 1, &e, &created,
	    &errs), STORE_OK);
	assert_true(created);
	assert_string_equal(e.name, "p");
	assert_true(e.deprecated);
	assert_string_equal(e.group, "g");
	evtype_free(&e);
	json_object_put(j);
	/* PUT again: every field replaced, absent ones none. */
	j = body("{\"description\":\"d2\",\"schemas\":{\"1\":{}}}");
	assert_int_equal(evtype_put(fx->s, "t1", "p", j, 1, &e, &created,
	    &errs), STORE_OK);
	json_object_put(j);
	assert_false(created);
	assert_false(e.deprecated);
	assert_null(e.group);
	assert_non_null(e.schemas);
	evtype_free(&e);
	j = body("{\"description\":\"d\"}");
	assert_int_equal(evtype_put(fx->s, "t1", "a b", j, 1, &e, &created,
	    &errs), EVTYPE_INVALID);
	assert_string_equal(errs.e[0].field, "path/event_type_name");
	json_object_put(j);
	/* PATCH: absent unchanged, null clears. */
	memset(&errs, 0, sizeof(errs));
	j = body("{\"featureFlags\":[\"f1\",\"f2\"]}");
	assert_int_equal(evtype_patch(fx->s, "t1", "p", j, &e, &errs),
	    STORE_OK);
	json_object_put(j);
	assert_string_equal(e.description, "d2");
	assert_non_null(e.schemas);
	assert_int_equal(json_object_array_length(e.flags), 2);
	evtype_free(&e);
	j = body("{\"schemas\":null,\"featureFlags\":null,\"archived\":true}");
	assert_int_equal(evtype_patch(fx->s, "t1", "p", j, &e, &errs),
	    STORE_OK);
	json_object_put(j);
	assert_null(e.schemas);
	assert_null(e.flags);
	assert_true(e.archived);
	assert_string_equal(e.description, "d2");
	evtype_free(&e);
	j = body("{\"description\":null}");
	assert_int_equal(evtype_patch(fx->s, "t1", "p", j, &e, &errs),
	    EVTYPE_INVALID);
	assert_int_equal(evtype_patch(fx->s, "t1", "nope", j, &e, &errs),
	    STORE_NOTFOUND);
	json_object_put(j);
}

/* The names of a page, joined by spaces, into out. */
static void
names(struct evtype *es, size_t n, char *out, size_t len)
{
	size_t	 i;

	out[0] = '\0';
	for (i = 0; i < n; i++) {
		snprintf(out + strlen(out), len - strlen(out), "%s%s",
		    i > 0 ? " " : "", es[i].name);
		evtype_free(&es[i]);
	}
	free(es);
}

static void
test_list(void **state)
{
	struct fx	*fx = *state;
	struct evtype	*es;
	size_t		 n;
	int		 more;
	char		 got[256];
	const char	*order[] = { "d", "b", "e", "a", "c", "f" };
	size_t		 i;

	for (i = 0; i < 6; i++) {
		char	 text[64];

		snprintf(text, sizeof(text), "{\"name\":\"%s\",\"description\":"
		    "\"\"}", order[i]);
		assert_int_equal(create(fx, "t1", text), STORE_OK);
	}
	assert_int_equal(create(fx, "t0", "{\"name\":\"zz\",\"description\":"
	    "\"\"}"), STORE_OK);
	assert_int_equal(evtype_delete(fx->s, "t1", "b", 0), STORE_OK);
	assert_int_equal(evtype_delete(fx->s, "t1", "c", 0), STORE_OK);
	/* By name, archived left out, in pages of 2. */
	assert_int_equal(evtype_list(fx->s, "t1", NULL, 0, 0, 2, &es, &n,
	    &more), STORE_OK);
	names(es, n, got, sizeof(got));
	assert_string_equal(got, "a d");
	assert_true(more);
	assert_int_equal(evtype_list(fx->s, "t1", "d", 0, 0, 2, &es, &n,
	    &more), STORE_OK);
	names(es, n, got, sizeof(got));
	assert_string_equal(got, "e f");
	assert_false(more);
	/* With the archived ones. */
	assert_int_equal(evtype_list(fx->s, "t1", NULL, 0, 1, 50, &es, &n,
	    &more), STORE_OK);
	names(es, n, got, sizeof(got));
	assert_string_equal(got, "a b c d e f");
	assert_false(more);
	/* Descending, and backwards from e (the page before it). */
	assert_int_equal(evtype_list(fx->s, "t1", NULL, 1, 0, 3, &es, &n,
	    &more), STORE_OK);
	names(es, n, got, sizeof(got));
	assert_string_equal(got, "f e d");
	assert_true(more);
	assert_int_equal(evtype_list(fx->s, "t1", "-e", 0, 1, 2, &es, &n,
	    &more), STORE_OK);
	names(es, n, got, sizeof(got));
	assert_string_equal(got, "c d");
	assert_true(more);
	/* Another team's, and an empty one. */
	assert_int_equal(evtype_list(fx->s, "t0", NULL, 0, 0, 50, &es, &n,
	    &more), STORE_OK);
	names(es, n, got, sizeof(got));
	assert_string_equal(got, "zz");
	assert_int_equal(evtype_list(fx->s, "t9", NULL, 0, 0, 50, &es, &n,
	    &more), STORE_OK);
	names(es, n, got, sizeof(got));
	assert_string_equal(got, "");
	assert_false(more);
}

/* A page of 1 when many archived types come first: the reads go on. */
static void
test_list_skips_archived(void **state)
{
	struct fx	*fx = *state;
	struct evtype	*es;
	size_t		 n, i;
	int		 more;
	char		 got[64], text[64];

	for (i = 0; i < 7; i++) {
		snprintf(text, sizeof(text), "{\"name\":\"a%zu\",\"description\":"
		    "\"\",\"archived\":true}", i);
		assert_int_equal(create(fx, "t1", text), STORE_OK);
	}
	assert_int_equal(create(fx, "t1", "{\"name\":\"b\",\"description\":"
	    "\"\"}"), STORE_OK);
	assert_int_equal(evtype_list(fx->s, "t1", NULL, 0, 0, 1, &es, &n,
	    &more), STORE_OK);
	names(es, n, got, sizeof(got));
	assert_string_equal(got, "b");
	assert_false(more);
}

/* send-example's example: schemas["1"].examples[index], else none. */
static void
test_example(void **state)
{
	struct fx	*fx = *state;
	struct evtype	 e;
	json_object	*x;
	const struct {
		const char	*schemas;	/* NULL: none */
		size_t		 index;
		const char	*want;		/* NULL: no example */
	} cases[] = {
		{ "{\"1\":{\"examples\":[{\"a\":1},{\"b\":2}]}}", 0, "{\"a\":1}" },
		{ "{\"1\":{\"examples\":[{\"a\":1},{\"b\":2}]}}", 1, "{\"b\":2}" },
		{ "{\"1\":{\"examples\":[{\"a\":1},{\"b\":2}]}}", 2, NULL },
		{ "{\"1\":{\"examples\":[]}}", 0, NULL },
		{ "{\"1\":{\"type\":\"object\"}}", 0, NULL },
		{ "{\"2\":{\"examples\":[{\"a\":1}]}}", 0, NULL },
		{ "{\"1\":[1]}", 0, NULL },
		{ NULL, 0, NULL },
	};
	size_t		 i;

	(void)fx;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&e, 0, sizeof(e));
		e.schemas = cases[i].schemas != NULL ?
		    body(cases[i].schemas) : NULL;
		x = evtype_example(&e, cases[i].index);
		if (cases[i].want == NULL)
			assert_null(x);
		else
			assert_string_equal(json_object_to_json_string_ext(x,
			    JSON_C_TO_STRING_PLAIN), cases[i].want);
		json_object_put(e.schemas);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_rules, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_archive_expunge,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_put_patch, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_example, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_skips_archived, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
