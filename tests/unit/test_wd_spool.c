/* Unit tests of webhookd's spool thread (src/daemon/wd_spool.c): the heap of
 * deferred deliveries (due order, every name once, growth past its first
 * allocation) and its loading from deferred/ at start (by the files'
 * mtimes, which hold their next attempt). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spool.h"
#include "util.h"
#include "wd.h"

static void
heap_free(struct wd *wd)
{
	while (wd->nheap > 0)
		free(wd_spool_heap_pop(wd));
	free(wd->heap);
}

static void
test_heap_order(void **state)
{
	struct wd	*wd = xcalloc(1, sizeof(*wd));
	char		 name[32], *s, seen[1000];
	int64_t		 due, last = INT64_MIN;
	uint32_t	 r;
	int		 i, n = 1000, k;

	(void)state;
	assert_null(wd_spool_heap_pop(wd));
	memset(seen, 0, sizeof(seen));
	/* Random due times (with ties), the name says which. */
	for (i = 0; i < n; i++) {
		util_random(&r, sizeof(r));
		snprintf(name, sizeof(name), "%lld.%d", (long long)(r % 300),
		    i);
		wd_spool_heap_push(wd, r % 300, name);
	}
	assert_true(wd->nheap == (size_t)n);
	assert_true(wd->heap_cap >= (size_t)n);
	for (i = 0; i < n; i++) {
		due = wd->heap[0].due;
		assert_true(due >= last);
		s = wd_spool_heap_pop(wd);
		assert_non_null(s);
		/* The name popped is the top's, due as it says. */
		assert_true(strtoll(s, NULL, 10) == due);
		k = atoi(strchr(s, '.') + 1);
		assert_true(k >= 0 && k < n);
		assert_int_equal(seen[k], 0);
		seen[k] = 1;
		free(s);
		last = due;
	}
	assert_true(wd->nheap == 0);
	assert_null(wd_spool_heap_pop(wd));
	heap_free(wd);
	free(wd);
}

/* Push and pop interleaved, as the spool thread does: the top is always
 * the earliest due. */
static void
test_heap_interleaved(void **state)
{
	struct wd	*wd = xcalloc(1, sizeof(*wd));
	char		*s;

	(void)state;
	wd_spool_heap_push(wd, 50, "c");
	wd_spool_heap_push(wd, 10, "a");
	wd_spool_heap_push(wd, 30, "b");
	s = wd_spool_heap_pop(wd);
	assert_string_equal(s, "a");
	free(s);
	wd_spool_heap_push(wd, 5, "z");
	wd_spool_heap_push(wd, 40, "d");
	assert_true(wd->heap[0].due == 5);
	s = wd_spool_heap_pop(wd);
	assert_string_equal(s, "z");
	free(s);
	s = wd_spool_heap_pop(wd);
	assert_string_equal(s, "b");
	free(s);
	s = wd_spool_heap_pop(wd);
	assert_string_equal(s, "d");
	free(s);
	assert_true(wd->heap[0].due == 50);
	assert_true(wd->nheap == 1);
	heap_free(wd);
	free(wd);
}

/* deferred/ listed into the heap by the files' due times (their mtimes);
 * what the heap held before goes. */
static void
test_list_deferred(void **state)
{
	static const struct {
		const char	*name;
		int64_t		 due;
	} files[] = {
		{ "msg_b", 1700000300000LL }, { "msg_a", 1700000100000LL },
		{ "msg_c", 1700000200000LL },
	};
	static const char *const order[] = { "msg_a", "msg_c", "msg_b" };
	struct wd	*wd = xcalloc(1, sizeof(*wd));
	char		 home[64], *s, *cmd;
	size_t		 i;

	(void)state;
	snprintf(home, sizeof(home), "/tmp/test_wd_spool.XXXXXX");
	assert_non_null(mkdtemp(home));
	wd->sp = spool_open(home, 1);
	assert_non_null(wd->sp);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		assert_int_equal(spool_write(wd->sp, SPOOL_DEFERRED,
		    files[i].name, "x", 1, files[i].due), 0);
	wd_spool_heap_push(wd, 1, "stale");
	wd_spool_list_deferred(wd);
	assert_true(wd->nheap == 3);
	for (i = 0; i < 3; i++) {
		assert_true(wd->heap[0].due == (i == 0 ? 1700000100000LL :
		    i == 1 ? 1700000200000LL : 1700000300000LL));
		s = wd_spool_heap_pop(wd);
		assert_string_equal(s, order[i]);
		free(s);
	}
	heap_free(wd);
	spool_close(wd->sp);
	free(wd);
	cmd = xasprintf("rm -rf '%s'", home);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_heap_order),
		cmocka_unit_test(test_heap_interleaved),
		cmocka_unit_test(test_list_deferred),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
