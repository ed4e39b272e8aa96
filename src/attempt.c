/*
 * attempt: the attempt log as the handlers read it, so that they never
 * call the store themselves.
 */
#include "attempt.h"

int
attempt_list(struct store *st, const char *uuid, size_t offset, size_t limit,
    struct store_page *pg)
{
	return store_attempt_list(st, uuid, offset, limit, pg);
}

void
attempt_page_free(struct store_page *pg)
{
	store_page_free(pg);
}
