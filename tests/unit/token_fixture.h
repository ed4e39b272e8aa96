/*
 * token_fixture: a store in a temporary directory with the team "red" and
 * one token of it (webhooks:view and webhooks:edit), for the tests of the
 * admin page's sessions and pages (test_auth_session, test_admin).
 * token_setup(state, name) names the directory after the test program.
 */
#ifndef TOKEN_FIXTURE_H
#define TOKEN_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

#include "auth.h"
#include "store.h"
#include "util.h"

struct fixture {
	char		 dir[64];
	struct store	*st;
	char		*token;
	char		 id[AUTH_ID_LEN + 1];
};

static int
token_setup(void **state, const char *name)
{
	struct fixture	*f = xcalloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/%s.XXXXXX", name);
	if (mkdtemp(f->dir) == NULL)
		return -1;
	if ((f->st = store_open(f->dir, STORE_CREATE)) == NULL)
		return -1;
	if (store_team_add(f->st, "red", "{}") != STORE_OK)
		return -1;
	if (auth_token_create(f->st, "red", SCOPE_VIEW | SCOPE_EDIT, &f->token,
	    f->id) != STORE_OK)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	char		 cmd[128];

	store_close(f->st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f->token);
	free(f);
	return 0;
}

#endif /* TOKEN_FIXTURE_H */
