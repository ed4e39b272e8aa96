/*
 * The spool's unit tests' fixture (test_spool, test_event, test_backup): a
 * fresh temporary directory per test, /tmp/<program>.XXXXXX, holding the
 * data directory home with its spool open, and its store too when the test
 * defines SPOOL_FIXTURE_STORE before including this (test_spool links no
 * store).
 */
#ifndef SPOOL_FIXTURE_H
#define SPOOL_FIXTURE_H

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "spool.h"
#ifdef SPOOL_FIXTURE_STORE
#include "store.h"
#endif
#include "util.h"

struct fx {
	char		 base[64];	/* the test's temporary directory */
	char		*home;		/* the data directory: base/home */
	struct spool	*sp;
	struct store	*st;		/* NULL without SPOOL_FIXTURE_STORE */
};

static int
setup(void **state)
{
	struct fx	*f = xcalloc(1, sizeof(*f));

	snprintf(f->base, sizeof(f->base), "/tmp/%s.XXXXXX",
	    program_invocation_short_name);
	if (mkdtemp(f->base) == NULL)
		return -1;
	f->home = xasprintf("%s/home", f->base);
	if (mkdir(f->home, 0700) == -1)
		return -1;
#ifdef SPOOL_FIXTURE_STORE
	if ((f->st = store_open(f->home, STORE_CREATE)) == NULL)
		return -1;
#endif
	if ((f->sp = spool_open(f->home, 1)) == NULL)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx	*f = *state;
	char		*cmd;
	int		 rc;

	spool_close(f->sp);
#ifdef SPOOL_FIXTURE_STORE
	store_close(f->st);
#endif
	cmd = xasprintf("rm -rf '%s'", f->base);
	rc = system(cmd);
	free(cmd);
	free(f->home);
	free(f);
	return rc == 0 ? 0 : -1;
}

#endif /* SPOOL_FIXTURE_H */
