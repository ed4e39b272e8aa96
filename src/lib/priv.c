/*
 * priv: becoming the data directory's owner when started as root (priv.h).
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "priv.h"

/* setgid, supplementary groups, setuid, then checks that they took (real,
 * effective and saved ids) and cannot be undone.  name NULL: the groups
 * are gid alone. */
static int
become(const char *name, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	uid_t	 r, e, sv;
	gid_t	 rg, eg, sg;

	if (setgid(gid) == -1) {
		snprintf(err, errlen, "setgid %u: %s", (unsigned)gid,
		    strerror(errno));
		return -1;
	}
	if ((name != NULL ? initgroups(name, gid) : setgroups(1, &gid))
	    == -1) {
		snprintf(err, errlen, "initgroups %s: %s",
		    name != NULL ? name : "(no passwd entry)", strerror(errno));
		return -1;
	}
	if (setuid(uid) == -1) {
		snprintf(err, errlen, "setuid %u: %s", (unsigned)uid,
		    strerror(errno));
		return -1;
	}
	if (getresuid(&r, &e, &sv) == -1 || r != uid || e != uid ||
	    sv != uid || getresgid(&rg, &eg, &sg) == -1 || rg != gid ||
	    eg != gid || sg != gid) {
		snprintf(err, errlen, "the user and group ids did not change "
		    "to %u:%u", (unsigned)uid, (unsigned)gid);
		return -1;
	}
	if (uid != 0 && (setuid(0) != -1 || seteuid(0) != -1)) {
		snprintf(err, errlen, "root could be taken back after "
		    "becoming uid %u", (unsigned)uid);
		return -1;
	}
	return 0;
}

int
priv_drop(const char *home, const char *user, enum priv_root root_home,
    int *dropped, char *err, size_t errlen)
{
	struct passwd	*pw;
	struct stat	 st;
	char		 name[256];

	if (dropped != NULL)
		*dropped = 0;
	if (geteuid() != 0) {
		if (user == NULL)
			return 0;
		pw = getpwnam(user);
		if (pw != NULL && pw->pw_uid == geteuid())
			return 0;
		snprintf(err, errlen, "--user %s: only root can change "
		    "its user", user);
		return -1;
	}
	if (user != NULL && strcmp(user, "root") == 0)
		return 0;
	if (user != NULL) {
		if ((pw = getpwnam(user)) == NULL) {
			snprintf(err, errlen, "--user %s: no such user", user);
			return -1;
		}
	} else {
		if (stat(home, &st) == -1) {
			snprintf(err, errlen, "%s: %s", home, strerror(errno));
			return -1;
		}
		if (st.st_uid == 0) {
			if (root_home == PRIV_KEEP_ROOT)
				return 0;
			snprintf(err, errlen, "refusing to run as root: %s is "
			    "owned by root; give it to the user to run as "
			    "(chown -R USER %s) or pass --user root", home,
			    home);
			return -1;
		}
		if ((pw = getpwuid(st.st_uid)) == NULL) {
			if (become(NULL, st.st_uid, st.st_gid, err, errlen)
			    == -1)
				return -1;
			goto done;
		}
	}
	if (pw->pw_uid == 0)
		return 0;
	/* pw is getpwnam's static storage: keep what become needs. */
	if (snprintf(name, sizeof(name), "%s", pw->pw_name) >=
	    (int)sizeof(name)) {
		snprintf(err, errlen, "a user name over %zu bytes",
		    sizeof(name) - 1);
		return -1;
	}
	if (become(name, pw->pw_uid, pw->pw_gid, err, errlen) == -1)
		return -1;
done:
	if (dropped != NULL)
		*dropped = 1;
	return 0;
}
