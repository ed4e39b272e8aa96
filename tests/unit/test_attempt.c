/*
 * Unit tests of the attempt record (src/model/attempt.c): the packed form the
 * attempt log keeps and the JSON object the API lists it as, without a
 * store (test_store.c lists them through one).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "attempt.h"
#include "util.h"

static struct store_attempt_view
view(const char *rec, size_t len, int64_t at_ms)
{
	struct store_attempt_view a;

	a.uuid = "w1-and-more";		/* 2 bytes of it */
	a.ulen = 2;
	a.id = "01a2-idXYZ";		/* 7 bytes of it */
	a.idlen = 7;
	a.at_ms = at_ms;
	a.rec = rec;
	a.len = len;
	return a;
}

/* Every field comes back, escaped; the key's parts by their lengths. */
static void
test_pack_json(void **state)
{
	struct attempt_info	 i;
	struct store_attempt_view a;
	struct buf		 out;
	char			*rec, want[1024], at[UTIL_ISO_LEN],
				 next[UTIL_ISO_LEN];
	size_t			 len;
	const int64_t		 t = 1795463400914LL;

	(void)state;
	memset(&i, 0, sizeof(i));
	i.delivery_id = "msg_1";
	i.event_id = "ev\"1";
	i.event_type = "order.created";
	i.state = "retrying";
	i.error = "boom\nline";
	i.body = "<p>\x01";
	i.attempt = 2;
	i.status = 503;
	i.manual = 1;
	i.latency_ms = 77;
	i.next_ms = t + 1000;
	rec = attempt_pack(&i, &len);
	assert_true(len < 100);
	a = view(rec, len, t);
	buf_init(&out);
	assert_int_equal(attempt_json(&out, &a), 0);
	buf_add(&out, "", 1);
	util_iso8601(t, at);
	util_iso8601(t + 1000, next);
	snprintf(want, sizeof(want), "{\"v\":1,\"id\":\"01a2-id\","
	    "\"delivery_id\":\"msg_1\",\"event_id\":\"ev\\\"1\","
	    "\"event_type\":\"order.created\",\"webhook_id\":\"w1\","
	    "\"attempt\":2,\"created_at\":\"%s\",\"status_code\":503,"
	    "\"latency_ms\":77,\"success\":false,\"error\":\"boom\\nline\","
	    "\"response_body\":\"<p>\\u0001\",\"state\":\"retrying\","
	    "\"next_attempt_at\":\"%s\",\"manual\":true}", at, next);
	assert_string_equal(out.p, want);

	/* Every shorter record is refused (nothing half written). */
	for (a.len = 0; a.len < len; a.len++) {
		buf_reset(&out);
		assert_int_equal(attempt_json(&out, &a), -1);
	}
	/* Another version's record too. */
	rec[0] = 0x03;
	a.len = len;
	assert_int_equal(attempt_json(&out, &a), -1);
	buf_free(&out);
	free(rec);
}

/* A record written as JSON (stores made before) lists as it is. */
static void
test_json_record(void **state)
{
	struct store_attempt_view a;
	struct buf		 out;

	(void)state;
	a = view("{\"old\":true}", 12, 5);
	buf_init(&out);
	assert_int_equal(attempt_json(&out, &a), 0);
	buf_add(&out, "", 1);
	assert_string_equal(out.p, "{\"old\":true}");
	buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pack_json),
		cmocka_unit_test(test_json_record),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
