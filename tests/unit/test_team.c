/* Unit tests of the team model: the name rule, the record team_add writes,
 * team_exists and team_foreach over a real store. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <json-c/json.h>

#include "auth.h"
#include "store.h"
#include "team.h"
#include "util.h"

static void
test_team_names(void **state)
{
	static const struct {
		const char	*name;
		int		 ok;
	} cases[] = {
		{ "default", 1 }, { "Team-1.a_b", 1 }, { "", 0 },
		{ "a b", 0 }, { "a/b", 0 }, { "é", 0 }, { "x\n", 0 },
		{ "0123456789012345678901234567890123456789012345678901234567890123", 1 },
		{ "01234567890123456789012345678901234567890123456789012345678901234", 0 },
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (team_name_valid(cases[i].name) != cases[i].ok)
			fail_msg("\"%s\": want %d", cases[i].name, cases[i].ok);
		/* auth's name for the rule is the same rule. */
		if (auth_team_valid(cases[i].name) != cases[i].ok)
			fail_msg("auth: \"%s\": want %d", cases[i].name,
			    cases[i].ok);
	}
}

struct seen {
	char	 names[4][TEAM_NAME_MAX + 1];
	int64_t	 at[4];
	size_t	 n;
	size_t	 stop;	/* stop after this many (0: never) */
};

static int
see(const char *name, int64_t created_at, void *arg)
{
	struct seen	*s = arg;

	assert_true(s->n < 4);
	snprintf(s->names[s->n], sizeof(s->names[0]), "%s", name);
	s->at[s->n] = created_at;
	s->n++;
	return s->stop != 0 && s->n >= s->stop;
}

static void
test_teams(void **state)
{
	char		 dir[] = "/tmp/teamtestXXXXXX", cmd[64], *rec;
	struct store	*st;
	struct seen	 s;
	json_object	*j, *v;
	int64_t		 before;

	(void)state;
	assert_non_null(mkdtemp(dir));
	st = store_open(dir, STORE_CREATE);
	assert_non_null(st);

	before = util_now_ms();
	assert_int_equal(team_exists(st, "red"), STORE_NOTFOUND);
	assert_int_equal(team_add(st, "red"), STORE_OK);
	assert_int_equal(team_add(st, "blue"), STORE_OK);
	assert_int_equal(team_add(st, "red"), STORE_EXISTS);
	assert_int_equal(team_add(st, "a b"), TEAM_INVALID);
	assert_int_equal(team_add(st, ""), TEAM_INVALID);
	assert_int_equal(team_exists(st, "red"), STORE_OK);
	assert_int_equal(team_exists(st, "a b"), STORE_NOTFOUND);

	/* The record: {"v": 1, "name", "created_at"}. */
	assert_int_equal(store_team_get(st, "red", &rec), STORE_OK);
	assert_non_null(j = json_tokener_parse(rec));
	assert_true(json_object_object_get_ex(j, "v", &v));
	assert_int_equal(json_object_get_int(v), TEAM_RECORD_VERSION);
	assert_true(json_object_object_get_ex(j, "name", &v));
	assert_string_equal(json_object_get_string(v), "red");
	assert_true(json_object_object_get_ex(j, "created_at", &v));
	assert_true(json_object_get_int64(v) >= before);
	json_object_put(j);
	free(rec);

	/* In name order, with their times; a record without one: 0. */
	assert_int_equal(store_team_add(st, "old", "{\"v\":1}"), STORE_OK);
	memset(&s, 0, sizeof(s));
	assert_int_equal(team_foreach(st, see, &s), STORE_OK);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.names[0], "blue");
	assert_string_equal(s.names[1], "old");
	assert_string_equal(s.names[2], "red");
	assert_true(s.at[0] >= before);
	assert_int_equal(s.at[1], 0);
	/* A non-zero return stops the walk. */
	memset(&s, 0, sizeof(s));
	s.stop = 1;
	team_foreach(st, see, &s);
	assert_int_equal(s.n, 1);

	store_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_team_names),
		cmocka_unit_test(test_teams),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
