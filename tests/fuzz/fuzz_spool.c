/*
 * fuzz_spool: the spool event file reader, spool_event_parse: webhookd
 * reads every file of spool/new/ with it, and a file it refuses goes to
 * quarantine.  Its fast scanner takes the common files and gives up on
 * anything unusual, which json-c then decides.
 *
 * Input: the bytes of one spool file.  A file that parses must then hold
 * up: its "data" is JSON (it goes into the delivery's body as it is), and
 * the file spool_event_format writes for the event parses back into the
 * same event.  A file refused must say why.  Any difference aborts.
 *
 * Corpus: tests/fuzz/corpus/spool/, events as the API writes them for the
 * seed documents' examples, deliveries (deferred, manual retry) and a few
 * malformed files.  Run: make fuzz, or build/fuzz/fuzz_spool DIR.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "spool.h"
#include "util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAME	"1733400000000.a1b2c3d4e5f60718.host"
#define MTIME	1733400000000LL

static void
fail(const char *what, const char *a, const char *b)
{
	fprintf(stderr, "fuzz_spool: %s\n  got:  %s\n  want: %s\n", what,
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

/* text as one JSON value into *o (NULL is JSON's null): 0, or -1. */
static int
parse_all(const char *text, json_object **o)
{
	struct json_tokener	*tok = json_tokener_new();
	int			 rc = 0;

	*o = json_tokener_parse_ex(tok, text, -1);
	if (json_tokener_get_error(tok) != json_tokener_success ||
	    text[json_tokener_get_parse_end(tok)] != '\0') {
		json_object_put(*o);
		*o = NULL;
		rc = -1;
	}
	json_tokener_free(tok);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spool_event	 ev, back;
	json_object		*d1, *d2;
	char			 err[256], *text, *in;
	size_t			 i;

	if (size > 1 << 20)
		return 0;
	in = xstrndup((const char *)data, size);	/* for messages */
	err[0] = '\0';
	if (spool_event_parse((const char *)data, size, NAME, MTIME, &ev, err,
	    sizeof(err)) == -1) {
		if (err[0] == '\0')
			fail("refused without a reason", "", "");
		spool_event_free(&ev);
		free(in);
		return 0;
	}
	if (ev.id == NULL || ev.team == NULL || ev.type == NULL ||
	    ev.timestamp == NULL || ev.data_text == NULL)
		fail("parsed without a required field", ev.id, ev.type);
	if (!spool_type_ok(ev.type))
		fail("parsed with a bad type", ev.type, "");
	if (parse_all(ev.data_text, &d1) == -1)
		fail("data is not JSON", ev.data_text, "");

	text = spool_event_format(&ev);
	err[0] = '\0';
	if (spool_event_parse(text, strlen(text), NAME, MTIME, &back, err,
	    sizeof(err)) == -1)
		fail("the file written for an event is refused", err, text);
	if (!same(ev.id, back.id) || !same(ev.team, back.team) ||
	    !same(ev.type, back.type) || !same(ev.timestamp, back.timestamp) ||
	    !same(ev.webhook, back.webhook) || ev.attempt != back.attempt ||
	    ev.manual != back.manual || !same(ev.app, back.app) ||
	    ev.svix != back.svix || ev.nchannels != back.nchannels)
		fail("format and parse again: a field differs", text, in);
	for (i = 0; i < ev.nchannels; i++) {
		if (!spool_channel_ok(ev.channels[i]))
			fail("parsed with a bad channel", ev.channels[i], in);
		if (!same(ev.channels[i], back.channels[i]))
			fail("format and parse again: a channel differs", text,
			    in);
	}
	if (parse_all(back.data_text, &d2) == -1 ||
	    !json_object_equal(d1, d2))
		fail("format and parse again: data differs", back.data_text,
		    ev.data_text);
	json_object_put(d1);
	json_object_put(d2);
	free(text);
	spool_event_free(&back);
	spool_event_free(&ev);
	free(in);
	return 0;
}
