/*
 * api_chatbot: seed 002 (ChatBot.com) at /webhooks; its dialect is
 * api_chatbot_dialect (dialect.h).  Its encoders, for the tests; each
 * returns a new object the caller owns.
 */
#ifndef API_CHATBOT_H
#define API_CHATBOT_H

#include <stdint.h>
#include <json-c/json.h>

struct webhook;

/* One webhook: {id, name, url, token, headers [{name, value}], auth
 * {username, password masked}, error {date, message} ("" when none)}, then
 * the union fields the seed does not name. */
json_object *api_chatbot_json(const struct webhook *);
/* A list entry: {id, name, url, error: message or ""}. */
json_object *api_chatbot_item_json(const struct webhook *);
/* The answer to a write: {id, timestamp (ms, ISO 8601),
 * status: {code: 200, type: "success"}}. */
json_object *api_chatbot_status_json(const char *id, int64_t ms);

#endif /* API_CHATBOT_H */
