/*
 * deliver: one delivery of one event to one webhook.  Builds the request
 * (the webhook's method, its headers and basic auth, the Standard Webhooks
 * headers and signature), guards against SSRF on the address actually
 * connected to, reads at most 64 KiB of the answer and classifies the
 * outcome as done, permanent or temporary failure (qmail's 0 / 100 / 111).
 *
 * The transfer itself is a libcurl easy handle: webhookd runs many of them
 * in one multi loop (deliver_xfer_*), and one synchronously for the
 * FastCGI program's test endpoint (deliver_now, deliver_test, run by
 * `webhookd --test`: see probe.h).  What a delivery is apart from its
 * transfer (its id, the outcome of an attempt and its record, the manual
 * retry, the test delivery's answer line) is the model's delivery.h, which
 * needs no libcurl and which the FastCGI program links; what an outcome
 * means for the delivery (its state, the retry schedule) is the policy of
 * retry.h, and what it means for the webhook webhook_outcome.h's.
 * Nothing here knows HTTP requests from the API's side.
 */
#ifndef DELIVER_H
#define DELIVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "cfg.h"
#include "delivery.h"
#include "store.h"
#include "webhook.h"

#define DELIVER_RESPONSE_MAX	65536	/* bytes of a response read at most */

struct deliver_opts {
	int	 allow_private;	/* WEBHOOKS_ALLOW_PRIVATE: no SSRF guard */
	int	 timeout_ms;	/* whole transfer, connect included */
};

/* ---- pure parts (unit-tested on their own) ---------------------------- */

/*
 * The payload {"type", "timestamp", "data"}; data is JSON text (already
 * checked: the spool's parser produced it).  The caller frees the result.
 * NULL if data does not parse.
 */
char	*deliver_body(const char *type, const char *timestamp,
	    const char *data);
/* The same from data's JSON text, taken as it is (the spool's parser
 * checked it); *len is the result's length. */
char	*deliver_body_text(const char *type, const char *timestamp,
	    const char *data, size_t *len);
/* The same from a parsed data value (not consumed). */
char	*deliver_body_json(const char *type, const char *timestamp,
	    json_object *data);

/*
 * The webhook-signature value "v1,<base64 HMAC-SHA256>" over
 * "<msg_id>.<ts>.<body>".  The key is the base64 part of a "whsec_" secret,
 * decoded, or the raw bytes of any other token (also of a "whsec_" token
 * whose rest is not base64).  The caller frees the result.
 */
char	*deliver_sign(const char *secret, const char *msg_id, int64_t ts,
	    const char *body, size_t len);
/*
 * The whole webhook-signature value into out: the signature with w's
 * token, then one with each of its old secrets still valid at now_ms
 * (secret rotation), newest first, separated by a space, as Standard
 * Webhooks lets a receiver accept any of them.
 */
#define DELIVER_SIGS_LEN	((WH_OLD_SECRETS_MAX + 1) * 48)	/* "v1," + 44, a space */
void	deliver_sign_all(const struct webhook *w, const char *msg_id,
	    int64_t ts, int64_t now_ms, const char *body, size_t len,
	    char out[DELIVER_SIGS_LEN + 1]);

/*
 * Why an address may not be connected to ("a loopback address", ...), or
 * NULL when it may.  IPv4-mapped, IPv4-compatible, NAT64 (64:ff9b::/96) and
 * 6to4 (2002::/16) IPv6 addresses are judged by the IPv4 address inside.
 */
const char *deliver_addr_refused(const struct sockaddr *sa);
/*
 * Parses an address in any spelling the resolver accepts for a numeric
 * host (inet_aton's "127.1", "0177.0.0.1", "2130706433", "0x7f000001", and
 * IPv6) into ss, as libcurl would resolve it.  0, or -1 if s is not one.
 */
int	 deliver_addr_parse(const char *s, struct sockaddr_storage *ss);

/*
 * A Retry-After value (delta-seconds or an HTTP-date) as milliseconds from
 * now_ms, never negative; -1 when it cannot be parsed.
 */
int64_t	 deliver_retry_after(const char *value, int64_t now_ms);

/*
 * The class of a finished transfer: curl's result code and the HTTP status
 * (0 when none came).  2xx done; 410 permanent; everything else temporary:
 * the contract retries every failed attempt up to max_attempts, so a
 * receiver that answers 404 or 500 while it is being redeployed loses
 * nothing.
 */
enum deliver_class deliver_classify(CURLcode rc, int status);

/* ---- transfers ---------------------------------------------------------- */

struct deliver_xfer;

/*
 * Prepares the request of one attempt of webhook w: msg_id is its
 * webhook-id (svix: its svix-id, and the three headers are svix-*, as
 * Svix's libraries verify them), body[0..len) the payload, which must stay valid until
 * deliver_xfer_free.  arg is the caller's (deliver_xfer_arg).  The easy
 * handle's CURLOPT_PRIVATE is the xfer.  Returns 0 and *out, or -1 with r
 * filled (a permanent failure: the URL cannot be sent to).
 */
int	 deliver_xfer_new(const struct webhook *w, const char *msg_id,
	    int svix, const char *body, size_t len, const struct deliver_opts *,
	    void *arg, struct deliver_xfer **out, struct deliver_result *r);
CURL	*deliver_xfer_easy(struct deliver_xfer *);
void	*deliver_xfer_arg(struct deliver_xfer *);
/* Fills r from the finished transfer (rc is curl's result for it). */
void	 deliver_xfer_done(struct deliver_xfer *, CURLcode rc,
	    struct deliver_result *r);
/* Frees x; its easy handle must no longer be in a multi handle. */
void	 deliver_xfer_free(struct deliver_xfer *);

/* One delivery now, blocking until it ends (at most the timeout). */
void	 deliver_now(const struct webhook *w, const char *msg_id,
	    const char *body, size_t len, const struct deliver_opts *,
	    struct deliver_result *r);

/* Frees what is kept between transfers (the transfers pooled for reuse,
 * the HMAC contexts, deliver_now's multi handle): at exit, for leak
 * checkers. */
void	 deliver_cleanup(void);

/* ---- the test delivery ------------------------------------------------- */

/*
 * The test endpoint: sends a "webhook.test" event of id evid (a UUID) to w
 * now (even when w is inactive), records the attempt and, on failure, the
 * webhook's error.  Fills r; returns a store result of the recording (r is
 * valid anyway).
 */
int	 deliver_test(struct store *, const struct cfg *,
	    const struct webhook *w, const char *evid,
	    struct deliver_result *r);

#endif /* DELIVER_H */
