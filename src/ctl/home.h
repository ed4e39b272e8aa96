/*
 * home: the checks `webhookctl init` makes on the data directory before it
 * writes there: that it is not in reach of the web server (a document
 * root, by --docroot or by the signs a shared host leaves), and, run by
 * the account's own user (not root), that the directory and everything in
 * it are that user's, the directory mode 0700.
 */
#ifndef HOME_H
#define HOME_H

#include <stddef.h>

/*
 * Whether home (need not exist yet) is, or is inside, a document root:
 * docroot itself when given (NULL: none); any directory on home's resolved
 * path named public_html, htdocs, httpdocs or www (Debian's /var/www is
 * only the parent of its document root, /var/www/html); any directory on
 * it that holds .htaccess, webhooks.fcgi or cgi-bin/webhooks.fcgi (not a
 * source tree of this project, whose cgi-bin/ alone is served); or home
 * holding, one level down, a directory that is such a document root.
 * Returns 0 when none applies, 1 with the reason in why, -1 with the error
 * in why (docroot does not exist).
 */
int	home_in_docroot(const char *home, const char *docroot, char *why,
	    size_t whylen);

/*
 * Run as the account's user: home must be a directory that this user owns
 * (its mode becomes 0700) and so must everything under it.  Returns 0, or
 * -1 with the reason in err (the first few strangers named).
 */
int	home_own(const char *home, char *err, size_t errlen);

#endif /* HOME_H */
