/*
 * The unit tests' JSON bodies (test_app, test_endpoint, test_event_type,
 * test_message): text a test writes, parsed, or the test fails.
 */
#ifndef JSON_FIXTURE_H
#define JSON_FIXTURE_H

#include <json-c/json.h>

static json_object *
body(const char *text)
{
	json_object	*j = json_tokener_parse(text);

	assert_non_null(j);
	return j;
}

#endif /* JSON_FIXTURE_H */
