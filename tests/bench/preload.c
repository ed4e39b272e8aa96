/*
 * preload: fills a store with N webhooks of one team through the model, each
 * create one durable transaction, and prints the creates per second.
 * usage: WEBHOOKS_HOME=dir preload TEAM N
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store.h"
#include "util.h"
#include "webhook.h"

int
main(int argc, char **argv)
{
	struct store	*st;
	struct webhook	 w;
	const char	*home;
	long		 i, n;
	int64_t		 t0, t1;

	log_init("preload");
	if (argc != 3 || (n = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: preload TEAM N\n");
		return 2;
	}
	home = getenv("WEBHOOKS_HOME");
	if (home == NULL || (st = store_open(home, 0)) == NULL) {
		fprintf(stderr, "preload: cannot open the store\n");
		return 1;
	}
	t0 = util_now_ms();
	for (i = 0; i < n; i++) {
		webhook_init(&w, argv[1]);
		free(w.name);
		w.name = xasprintf("Bench webhook %ld", i);
		free(w.url);
		w.url = xasprintf("https://example.com/hooks/%ld", i);
		if (webhook_create(st, &w, 0) != STORE_OK) {
			fprintf(stderr, "preload: create %ld failed\n", i);
			return 1;
		}
		webhook_free(&w);
	}
	t1 = util_now_ms();
	printf("%ld creates in %.2f s: %.0f creates/s\n", n,
	    (double)(t1 - t0) / 1000, n * 1000.0 / (double)(t1 - t0 ? t1 - t0 : 1));
	store_close(st);
	return 0;
}
