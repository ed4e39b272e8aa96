/*
 * attempt: a webhook's attempt log as the handlers read it (the model over
 * the store's attempt records): pages of the API's JSON objects, newest
 * first.
 */
#ifndef ATTEMPT_H
#define ATTEMPT_H

#include <stddef.h>

#include "store.h"

/*
 * One page of the attempts of the webhook uuid, newest first, from offset
 * (0-based), at most limit: pg->recs[0..n) are JSON objects of the attempt
 * log's API form (store.h's store_attempt_info), pg->total counts the whole
 * log.  The caller has checked that the webhook is its team's.  A store
 * result; free the page with attempt_page_free.
 */
int	attempt_list(struct store *, const char *uuid, size_t offset,
	    size_t limit, struct store_page *pg);
void	attempt_page_free(struct store_page *);

#endif /* ATTEMPT_H */
