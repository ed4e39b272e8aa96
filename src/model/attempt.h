/*
 * attempt: a delivery attempt as the model knows it: the record the
 * attempt log keeps of it (packed, a third the size of its JSON) and the
 * JSON object the API lists it as.  The log itself (keys, time order,
 * pages, pruning) is the store's (store_attempt_*); the store hands each
 * record to attempt_json through store_attempt_list.
 */
#ifndef ATTEMPT_H
#define ATTEMPT_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct buf;

/*
 * What the log keeps of an attempt besides its webhook, id and time (which
 * are its key).  The log lists it as the JSON object of the API:
 * {"v":1,"id","delivery_id","event_id","event_type","webhook_id","attempt",
 * "created_at","status_code","latency_ms","success","error",
 * "response_body","state","next_attempt_at","manual"}.
 */
struct attempt_info {
	const char	*delivery_id;
	const char	*event_id;
	const char	*event_type;
	const char	*state;
	const char	*error;		/* "": none (null) */
	const char	*body;		/* the response's first bytes */
	int		 attempt;
	int		 status;	/* 0: no answer (null) */
	int		 success;
	int		 manual;
	int64_t		 latency_ms;
	int64_t		 next_ms;	/* 0: none (null) */
};

/* The log's record of i (struct store_attempt's rec), for
 * store_attempt_add_many; *len its size.  The caller frees it. */
char	*attempt_pack(const struct attempt_info *i, size_t *len);
/*
 * Appends the JSON object of the attempt a (a record of attempt_pack's,
 * or JSON text, taken as it is) to out: 0, or -1 when the record is
 * malformed (out is then left as it was, or longer: a caller that keeps
 * going takes it back).  A store_render_fn.
 */
int	 attempt_json(struct buf *out, const struct store_attempt_view *a);
/* A webhook's attempts as JSON, newest first (store_attempt_list). */
int	 attempt_list(struct store *, const char *webhook_uuid, size_t offset,
	    size_t limit, struct store_page *);
/* Frees a page of attempt_list. */
void	 attempt_page_free(struct store_page *);
/*
 * Appends n attempts (records of attempt_pack) to the log in one
 * transaction, all or none but for a key taken already (left out, and
 * logged): webhookd logs the attempts of one pass of its loop at once.
 */
int	 attempt_add_many(struct store *, const struct store_attempt *v,
	    size_t n);
/* Removes the attempts made before before_ms (the retention);
 * *removed counts them. */
int	 attempt_prune(struct store *, int64_t before_ms, size_t *removed);

#endif /* ATTEMPT_H */
