/*
 * dialect: the table of dialects api_handle dispatches over, made from
 * API_DIALECTS (dialect.h).
 */
#include "dialect.h"

#define DIALECT_ENTRY(d)	&d,

const struct dialect *const dialects[] = { API_DIALECTS(DIALECT_ENTRY) };
const size_t ndialects = sizeof(dialects) / sizeof(dialects[0]);
