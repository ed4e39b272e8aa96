/*
 * api_v1: seed 001 ("WebhooksApi") at /api/web/v1/webhooks; its dialect is
 * api_v1_dialect (dialect.h).  Its encoders, for the tests.
 */
#ifndef API_V1_H
#define API_V1_H

#include <json-c/json.h>

struct deliver_result;
struct webhook;

/* The bare webhook with "id" and the union fields (a new object the caller
 * owns). */
json_object *api_v1_json(const struct webhook *);
/* The answer to a test: {id, event: "webhook.test", delivered, status (HTTP
 * status or null), latency_ms, error (string or null)}. */
json_object *api_v1_test_json(const char *id, const struct deliver_result *);

#endif /* API_V1_H */
