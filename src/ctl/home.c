/*
 * home: where the data directory may be and whose it is (home.h).
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "home.h"
#include "util.h"

/* The names hosts give a document root (cPanel, Apache, Plesk). */
static const char *const docroot_names[] = { "public_html", "htdocs",
    "httpdocs", "www", NULL };

static int
exists(const char *dir, const char *name)
{
	char		 p[PATH_MAX];
	struct stat	 st;

	if (snprintf(p, sizeof(p), "%s/%s", dir, name) >= (int)sizeof(p))
		return 0;
	return lstat(p, &st) == 0;
}

/*
 * home made absolute, "." and ".." taken out, the part that exists
 * resolved (symbolic links: cPanel's ~/www is one to ~/public_html).
 * Returns a string to free, or NULL (a path over PATH_MAX).
 */
static char *
resolve(const char *home)
{
	char	 abs[PATH_MAX], out[PATH_MAX], real[PATH_MAX], *s, *tok, *save;
	size_t	 n = 0, cut;

	if (home[0] == '/')
		snprintf(abs, sizeof(abs), "%s", home);
	else {
		if (getcwd(out, sizeof(out)) == NULL)
			return NULL;
		if (snprintf(abs, sizeof(abs), "%s/%s", out, home) >=
		    (int)sizeof(abs))
			return NULL;
	}
	out[0] = '\0';
	for (tok = strtok_r(abs, "/", &save); tok != NULL;
	    tok = strtok_r(NULL, "/", &save)) {
		if (strcmp(tok, ".") == 0)
			continue;
		if (strcmp(tok, "..") == 0) {
			if ((s = strrchr(out, '/')) != NULL)
				*s = '\0';
			continue;
		}
		n = strlen(out);
		if (snprintf(out + n, sizeof(out) - n, "/%s", tok) >=
		    (int)(sizeof(out) - n))
			return NULL;
	}
	if (out[0] == '\0')
		snprintf(out, sizeof(out), "/");
	/* The longest existing prefix, resolved, then the rest as is. */
	for (cut = strlen(out); cut > 0; ) {
		char	 c = out[cut];

		out[cut] = '\0';
		if (realpath(out, real) != NULL) {
			out[cut] = c;
			if (strcmp(real, "/") == 0)
				real[0] = '\0';
			if (snprintf(real + strlen(real), sizeof(real) -
			    strlen(real), "%s", out + cut) >= (int)(sizeof(real)
			    - strlen(real)))
				return NULL;
			return xstrdup(real[0] != '\0' ? real : "/");
		}
		out[cut] = c;
		while (cut > 0 && out[--cut] != '/')
			;
	}
	return xstrdup(out);
}

/* Whether dir (an existing directory) looks served: see home.h. */
static const char *
served(const char *dir)
{
	if (exists(dir, ".htaccess"))
		return ".htaccess";
	if (exists(dir, "webhooks.fcgi"))
		return "webhooks.fcgi";
	if (exists(dir, "cgi-bin/webhooks.fcgi") &&
	    !exists(dir, "src/web/webhooks_fcgi.c"))
		return "cgi-bin/webhooks.fcgi";
	return NULL;
}

static int
docroot_name(const char *path, const char *last)
{
	int	 i;

	for (i = 0; docroot_names[i] != NULL; i++)
		if (strcmp(last, docroot_names[i]) == 0)
			return strcmp(path, "/var/www") != 0;
	return strcmp(path, "/var/www/html") == 0;
}

int
home_in_docroot(const char *home, const char *docroot, char *why,
    size_t whylen)
{
	char		 root[PATH_MAX], sub[PATH_MAX], *p, *s;
	const char	*sign;
	struct dirent	*de;
	DIR		*d;
	size_t		 n;
	int		 rc = 0;

	if ((p = resolve(home)) == NULL) {
		snprintf(why, whylen, "%s: the path is too long", home);
		return -1;
	}
	if (docroot != NULL) {
		if (realpath(docroot, root) == NULL) {
			snprintf(why, whylen, "--docroot %s: %s", docroot,
			    strerror(errno));
			rc = -1;
			goto done;
		}
		n = strlen(root);
		if (strcmp(root, "/") == 0 || (strncmp(p, root, n) == 0 &&
		    (p[n] == '\0' || p[n] == '/'))) {
			snprintf(why, whylen, "%s is inside the document root "
			    "%s (--docroot)", p, root);
			rc = 1;
			goto done;
		}
	}
	/* home holding a document root: making it 0700 would shut the web
	 * server out, and the two are mixed. */
	if ((d = opendir(p)) != NULL) {
		while (rc == 0 && (de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.' && (de->d_name[1] == '\0' ||
			    strcmp(de->d_name, "..") == 0))
				continue;
			if (snprintf(sub, sizeof(sub), "%s/%s", p, de->d_name)
			    >= (int)sizeof(sub))
				continue;
			if (docroot_name(sub, de->d_name)) {
				struct stat	 st;

				if (stat(sub, &st) == 0 && S_ISDIR(st.st_mode)) {
					snprintf(why, whylen, "%s holds %s, "
					    "named as a web server's document "
					    "root", p, de->d_name);
					rc = 1;
				}
			} else if ((sign = served(sub)) != NULL) {
				snprintf(why, whylen, "%s holds %s, which "
				    "holds %s: a directory the web server "
				    "serves", p, de->d_name, sign);
				rc = 1;
			}
		}
		closedir(d);
		if (rc != 0)
			goto done;
	}
	/* Each directory on the path: home, its parent, ..., /. */
	for (;;) {
		s = strrchr(p, '/');
		if (s != NULL && s[1] != '\0' && docroot_name(p, s + 1)) {
			snprintf(why, whylen, "%s is named as a web server's "
			    "document root", p);
			rc = 1;
			goto done;
		}
		if ((sign = served(p)) != NULL) {
			snprintf(why, whylen, "%s holds %s: a directory the "
			    "web server serves", p, sign);
			rc = 1;
			goto done;
		}
		if (s == NULL || strcmp(p, "/") == 0)
			break;
		if (s == p)
			s[1] = '\0';
		else
			*s = '\0';
	}
done:
	free(p);
	return rc;
}

/* nftw has no argument for its callback. */
static uid_t	 own_uid;
static size_t	 own_bad;
static char	*own_err;
static size_t	 own_errlen;

static int
own_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	size_t	 n;

	(void)flag;
	(void)ftw;
	if (st->st_uid == own_uid)
		return 0;
	if (own_bad++ < 3) {
		n = strlen(own_err);
		snprintf(own_err + n, own_errlen - n, "%s%s (uid %u)",
		    own_bad > 1 ? ", " : "", path, (unsigned)st->st_uid);
	}
	return 0;
}

int
home_own(const char *home, char *err, size_t errlen)
{
	struct stat	 st;
	char		 list[512] = "";

	if (stat(home, &st) == -1) {
		snprintf(err, errlen, "%s: %s", home, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s is not a directory", home);
		return -1;
	}
	if (st.st_uid != geteuid()) {
		snprintf(err, errlen, "%s is owned by uid %u, not by this user "
		    "(uid %u): run init as its owner, or give it to this user "
		    "(or init a new directory)", home, (unsigned)st.st_uid,
		    (unsigned)geteuid());
		return -1;
	}
	own_uid = geteuid();
	own_bad = 0;
	own_err = list;
	own_errlen = sizeof(list);
	if (nftw(home, own_one, 16, FTW_PHYS) != 0) {
		snprintf(err, errlen, "%s: %s", home, strerror(errno));
		return -1;
	}
	if (own_bad > 0) {
		snprintf(err, errlen, "files in %s are not this user's (uid "
		    "%u), %zu in all: %s%s; only their owner or root can fix "
		    "that", home, (unsigned)own_uid, own_bad, list,
		    own_bad > 3 ? ", ..." : "");
		return -1;
	}
	if ((st.st_mode & 07777) != 0700 && chmod(home, 0700) == -1) {
		snprintf(err, errlen, "chmod 700 %s: %s", home,
		    strerror(errno));
		return -1;
	}
	return 0;
}
