/*
 * fuzz_body: the JSON body of a webhook create or update, in every dialect
 * (seed 000 native, seed 001, seed 002 with headers as an array and basic
 * auth, seed 003's {"webhook": {...}} envelope with "settings" and string
 * booleans): all of them go through webhook_decode.
 *
 * Input: the request body as a client sends it.  It is parsed as
 * api_handle parses it (json-c, nothing but white space after the value),
 * then decoded both as a create and as an update.  A body that decodes is
 * applied to a new webhook, which must then hold up everywhere it goes:
 *   - webhook_json_members writes exactly what json-c writes for
 *     webhook_to_json (the contract of webhook.h);
 *   - its stored record reads back (webhook_from_record) as the same
 *     webhook, and the record's view is found (webhook_record_view);
 *   - each dialect's encoder (seed 001, seed 002) takes it.
 * Any difference aborts: libFuzzer keeps the input as a crash.
 *
 * Corpus: tests/fuzz/corpus/body/, the request bodies of the seed
 * documents' examples (/work/shared/seeds/) and a few hostile ones.
 * Run: make fuzz (every target), or build/fuzz/fuzz_body DIR.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "api.h"
#include "api_chatbot.h"
#include "api_v1.h"
#include "util.h"
#include "webhook.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what, const char *a, const char *b)
{
	fprintf(stderr, "fuzz_body: %s\n  got:  %s\n  want: %s\n", what,
	    a ? a : "(null)", b ? b : "(null)");
	abort();
}

static int
same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* The fields a client sets must survive the stored record. */
static void
compare(const struct webhook *a, const struct webhook *b)
{
	size_t	 i;

	if (!same(a->uuid, b->uuid) || !same(a->team, b->team) ||
	    !same(a->name, b->name) || !same(a->url, b->url) ||
	    !same(a->token, b->token) || !same(a->auth_user, b->auth_user) ||
	    !same(a->auth_pass, b->auth_pass) || a->method != b->method ||
	    a->active != b->active || a->max_attempts != b->max_attempts ||
	    a->nheaders != b->nheaders || a->nevents != b->nevents ||
	    a->created_at != b->created_at || a->updated_at != b->updated_at)
		fail("record round trip: a field differs", b->name, a->name);
	for (i = 0; i < a->nheaders; i++)
		if (!same(a->headers[i].name, b->headers[i].name) ||
		    !same(a->headers[i].value, b->headers[i].value))
			fail("record round trip: a header differs",
			    b->headers[i].name, a->headers[i].name);
	for (i = 0; i < a->nevents; i++)
		if (!same(a->events[i], b->events[i]))
			fail("record round trip: an event differs",
			    b->events[i], a->events[i]);
}

static void
check_webhook(const struct wh_input *in)
{
	struct webhook	 w, back;
	struct buf	 b;
	json_object	*j;
	const char	*members;
	char		*rec;
	size_t		 mlen;

	webhook_init(&w, "fuzzteam");
	webhook_apply(&w, in);

	/* webhook_json_members is json-c's output, byte for byte. */
	buf_init(&b);
	buf_putc(&b, '{');
	webhook_json_members(&b, &w);
	buf_putc(&b, '}');
	j = webhook_to_json(&w);
	if (strcmp(b.p, api_json_string(j)) != 0)
		fail("webhook_json_members differs from json-c", b.p,
		    api_json_string(j));
	json_object_put(j);

	rec = webhook_to_record(&w);
	if (!webhook_record_view(rec, strlen(rec), &members, &mlen) ||
	    mlen != b.len - 2 || memcmp(members, b.p + 1, mlen) != 0)
		fail("the record's view is not the members", rec, b.p);
	if (webhook_from_record(rec, &back) == -1)
		fail("a record written cannot be read", rec, "");
	compare(&w, &back);
	webhook_free(&back);
	free(rec);
	buf_free(&b);

	json_object_put(api_v1_json(&w));
	json_object_put(api_chatbot_json(&w));
	json_object_put(api_chatbot_item_json(&w));
	webhook_free(&w);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_tokener	*tok;
	json_object		*body;
	struct wh_input		 in;
	struct wh_errors	 errs;
	size_t			 end, i;
	int			 create;

	if (size > 1 << 20)
		return 0;
	/* As api_handle: one JSON value, then only white space. */
	tok = json_tokener_new();
	body = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	if (body == NULL || json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(body);
		json_tokener_free(tok);
		return 0;
	}
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	for (i = end; i < size; i++)
		if (strchr(" \t\r\n", data[i]) == NULL || data[i] == '\0') {
			json_object_put(body);
			return 0;
		}

	for (create = 0; create <= 1; create++) {
		memset(&errs, 0, sizeof(errs));
		if (webhook_decode(body, create, &in, &errs) == 0) {
			if (errs.n != 0)
				fail("decoded with errors", errs.e[0].msg, "");
			check_webhook(&in);
		} else if (errs.n == 0)
			fail("refused without an error", "", "");
		webhook_input_free(&in);
	}
	json_object_put(body);
	return 0;
}
