/*
 * The unit tests' store fixture (test_store, test_store_attempt, and
 * test_webhook's tests over a store): a real
 * Berkeley DB environment in a fresh temporary directory per test.
 */
#ifndef STORE_FIXTURE_H
#define STORE_FIXTURE_H

#include <sys/stat.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

#include "store.h"
#include "util.h"

struct fx {
	char		 home[64];
	struct store	*s;
};

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
setup(void **state)
{
	struct fx	*fx = xcalloc(1, sizeof(*fx));

	snprintf(fx->home, sizeof(fx->home), "/tmp/test_store.XXXXXX");
	if (mkdtemp(fx->home) == NULL)
		return -1;
	fx->s = store_open(fx->home, STORE_CREATE);
	if (fx->s == NULL)
		return -1;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx	*fx = *state;

	store_close(fx->s);
	nftw(fx->home, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return 0;
}

#endif /* STORE_FIXTURE_H */
