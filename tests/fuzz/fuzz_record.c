/*
 * fuzz_record: the stored-record quick readers, fed bytes as if the store
 * were corrupt (a torn page, a store written by another version, a disk
 * that lies).  A record that cannot be read must be refused, never crash
 * a process or put broken JSON into an answer.
 *
 * Input: one record, read three ways:
 *   - as a webhooks.db record: webhook_from_record (its quick reader, and
 *     json-c when the quick reader gives up) and webhook_record_view.  A
 *     record that reads must survive writing it again and reading that
 *     back, and webhook_json_members must write exactly json-c's bytes for
 *     what was read (the union JSON of every answer);
 *   - as an at_log.db record: the first byte is the key's length, that
 *     many bytes the key (uuid NUL be64(at) id), the rest the value
 *     (attempt_pack's packed record, or JSON text), read by
 *     attempt_json as every listing of attempts reads it.  A packed
 *     record that reads must come out as one JSON object.
 * Any difference aborts.
 *
 * Corpus: tests/fuzz/corpus/record/, records this build writes for the
 * seed documents' example webhooks, and packed attempts.
 * Run: make fuzz, or build/fuzz/fuzz_record DIR.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "api.h"
#include "attempt.h"
#include "store.h"
#include "util.h"
#include "webhook.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what, const char *a, const char *b)
{
	fprintf(stderr, "fuzz_record: %s\n  got:  %s\n  want: %s\n", what,
	    a ? a : "(null)", b ? b : "(null)");
	abort();
}

/* webhook_json_members' bytes are json-c's for the same webhook. */
static void
check_members(const struct webhook *w)
{
	struct buf	 b;
	json_object	*j;

	buf_init(&b);
	buf_putc(&b, '{');
	webhook_json_members(&b, w);
	buf_putc(&b, '}');
	j = webhook_to_json(w);
	if (strcmp(b.p, api_json_string(j)) != 0)
		fail("webhook_json_members differs from json-c", b.p,
		    api_json_string(j));
	json_object_put(j);
	buf_free(&b);
}

static void
webhook_record(const uint8_t *data, size_t size)
{
	struct webhook	 w, back;
	const char	*members;
	char		*text, *rec, *rec2;
	size_t		 mlen;

	if (webhook_record_view((const char *)data, size, &members, &mlen) &&
	    (members < (const char *)data ||
	    members + mlen > (const char *)data + size))
		fail("the view is outside the record", "", "");

	text = xstrndup((const char *)data, size);
	if (webhook_from_record(text, &w) == -1) {
		free(text);
		return;
	}
	check_members(&w);
	/* What was read writes and reads back the same. */
	rec = webhook_to_record(&w);
	if (webhook_from_record(rec, &back) == -1)
		fail("a record written cannot be read", rec, text);
	rec2 = webhook_to_record(&back);
	/* created_at etc. are kept, so the two records are one. */
	if (strcmp(rec, rec2) != 0)
		fail("a record read and written again differs", rec2, rec);
	free(rec2);
	free(rec);
	webhook_free(&back);
	webhook_free(&w);
	free(text);
}

static void
attempt_record(const uint8_t *data, size_t size)
{
	struct json_tokener	*tok;
	json_object		*o;
	struct store_attempt_view a;
	struct buf		 out;
	const char		*key, *nul;
	uint64_t		 at;
	size_t			 klen, i;

	if (size < 1)
		return;
	klen = data[0];
	if (klen > size - 1)
		klen = size - 1;
	/* The key's parts, as the store hands them over (a key without
	 * them is the store's to leave out). */
	key = (const char *)data + 1;
	if ((nul = memchr(key, '\0', klen)) == NULL ||
	    (size_t)(key + klen - nul) < 1 + 8)
		return;
	a.uuid = key;
	a.ulen = (size_t)(nul - key);
	for (i = 0, at = 0; i < 8; i++)
		at = at << 8 | (unsigned char)nul[1 + i];
	a.at_ms = (int64_t)(at ^ ((uint64_t)1 << 63));
	a.id = nul + 9;
	a.idlen = (size_t)(key + klen - (nul + 9));
	a.rec = data + 1 + klen;
	a.len = size - 1 - klen;
	buf_init(&out);
	if (attempt_json(&out, &a) == 0 && out.len > 0 && out.p[0] == '{' &&
	    (size - 1 - klen == 0 || data[1 + klen] != '{')) {
		/* A packed record: written by us, so it must be JSON. */
		tok = json_tokener_new();
		o = json_tokener_parse_ex(tok, out.p, (int)out.len);
		if (o == NULL || !json_object_is_type(o, json_type_object) ||
		    json_tokener_get_parse_end(tok) != out.len) {
			buf_add(&out, "", 1);
			fail("an attempt record lists as broken JSON", out.p,
			    "");
		}
		json_object_put(o);
		json_tokener_free(tok);
	}
	buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1 << 20)
		return 0;
	webhook_record(data, size);
	attempt_record(data, size);
	return 0;
}
