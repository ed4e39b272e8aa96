/*
 * priv: least privilege for the programs an operator may start as root.
 * Root is the owner of the data directory's fate, not its user: a process
 * started as root becomes the user that owns $WEBHOOKS_HOME (the one the
 * web server's program writes as), so that every file it creates stays
 * usable by the others and a bug in it is not a bug in root.
 */
#ifndef PRIV_H
#define PRIV_H

#include <stddef.h>

enum priv_root {
	PRIV_REFUSE_ROOT,	/* a root-owned home is refused (webhookd) */
	PRIV_KEEP_ROOT		/* a root-owned home keeps root (webhookctl,
				   webhookd --test run by a root web server) */
};

/*
 * When the process runs as root: with user NULL, becomes the owner of home
 * (its passwd entry's groups, or the directory's group alone when the uid
 * has none); a root-owned home is refused or kept as root_home says.  With
 * user "root", stays root; with another user name, becomes that user.
 * Not root: user must be NULL or name this user.  The change is setgid,
 * initgroups, setuid, then verified (real and effective ids, and that
 * setuid(0) now fails).  Returns 0, or -1 with the reason in err.
 * *dropped (may be NULL) is set to 1 when the ids changed.
 */
int	priv_drop(const char *home, const char *user, enum priv_root root_home,
	    int *dropped, char *err, size_t errlen);

#endif /* PRIV_H */
