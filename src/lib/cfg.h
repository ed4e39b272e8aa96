/*
 * cfg: the settings table.  Each setting has a name, a type, a default and
 * bounds; $WEBHOOKS_HOME/webhooks.conf may set it with "key = value" lines,
 * and the environment variable WEBHOOKS_<KEY upper-cased> overrides the file.
 */
#ifndef CFG_H
#define CFG_H

#include <stddef.h>

struct cfg {
	char	 home[4096];	/* WEBHOOKS_HOME, default "./var" */
	int	 allow_private;	/* deliveries may go to private addresses */
	long	 max_body;	/* request body limit in bytes (1 MiB) */
	int	 per_page_max;	/* list page size cap (100) */
	int	 timeout_ms;	/* delivery timeout (10000) */
	double	 retention_days;/* attempt log retention (30; fractions too) */
	int	 concurrency;	/* webhookd: transfers in flight (64) */
	int	 per_endpoint;	/* webhookd: transfers per team and host (4) */
	double	 time_scale;	/* test only: retry delays are multiplied by it (1) */
	int	 max_requests;	/* FastCGI: a process exits after this many
				   requests, the server starts another (0:
				   never) */
	char	 webhookd[4096]; /* the program test deliveries run ("": found
				   next to this one, or under PREFIX) */
	char	 base_url[512];	/* links' base, "http(s)://host[:port][/path]"
				   without a trailing '/'; "" from Host */
};

/*
 * Fills c with the defaults, then $WEBHOOKS_HOME/webhooks.conf if present,
 * then the environment.  Returns 0, or -1 with a message naming the line or
 * variable in err.
 */
int	cfg_load(struct cfg *c, char *err, size_t errlen);

#endif /* CFG_H */
