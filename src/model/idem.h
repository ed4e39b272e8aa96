/*
 * idem: the answers kept for the Svix dialect's idempotency keys.  A POST
 * with an `idempotency-key` header is answered once: a repeat of the same
 * token, key and path gets the first answer (its status and body) while it
 * is younger than IDEM_ANSWER_TTL_MS, and a repeat that comes while the
 * first is still running waits for it (at most IDEM_WAIT_MS, then 409).
 * Only 2xx answers are kept: a client retries a 5xx with the same key,
 * and that retry runs again.
 *
 * The records share STORE_IDEMPOTENCY with event publishing's (event.h):
 * key "svix\n" token id "\n" path "\n" key (an event's key holds one "\n",
 * never three), value {"at": ms, "pending": true} while the first runs,
 * then {"at", "status", "body"}.  event_idem_prune removes them with the
 * others, once older than its 24 h.
 */
#ifndef IDEM_H
#define IDEM_H

#include "store.h"

#define IDEM_ANSWER_TTL_MS	(12LL * 3600 * 1000)
#define IDEM_WAIT_MS		5000	/* a repeat waits for the first */
/* A first request pending longer than this died: the key is free again
 * (a request is cut off after API_DEADLINE_S). */
#define IDEM_PENDING_MS		30000

struct idem {
	char	*skey;		/* the store key; NULL: no key, nothing kept */
	int	 status;	/* IDEM_REPLAY: the first answer */
	char	*body;
};

enum idem_res {
	IDEM_FIRST,	/* run the request, then idem_end */
	IDEM_REPLAY,	/* answer i->status, i->body */
	IDEM_BUSY,	/* the first is still running after IDEM_WAIT_MS */
	IDEM_INVALID,	/* the key is not 1..255 printable ASCII characters */
	IDEM_STORE	/* the store failed: *store_res */
};

/* who: the token's public id; key: the header's value (NULL: none, then
 * IDEM_FIRST and idem_end keeps nothing). */
enum idem_res idem_begin(struct store *, const char *who, const char *key,
	    const char *path, struct idem *, int *store_res);
/* Keeps the answer of an IDEM_FIRST for its repeats (a 2xx), or frees the
 * key (anything else); frees i. */
void	 idem_end(struct store *, struct idem *, int status,
	    const char *body);
void	 idem_free(struct idem *);

#endif /* IDEM_H */
