/*
 * cfg: the settings table.  Defaults here; $WEBHOOKS_HOME/webhooks.conf
 * ("key = value" lines, '#' comments) may change them; WEBHOOKS_<KEY> in the
 * environment overrides the file.  Unknown keys and values out of bounds are
 * refused with the line (or variable) that holds them.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"

/* CFG_PATH: a string of at most cfg_def.max bytes, default "" (none).
 * CFG_URL: the same, and an absolute http(s) URL of base_url_ok's form. */
enum cfg_type { CFG_INT, CFG_LONG, CFG_BOOL, CFG_DOUBLE, CFG_PATH, CFG_URL };

static const struct cfg_def {
	const char	*key;
	enum cfg_type	 type;
	size_t		 off;
	double		 def, min, max;
} defs[] = {
	{ "allow_private",  CFG_BOOL,   offsetof(struct cfg, allow_private), 0, 0, 1 },
	{ "max_body",	    CFG_LONG,   offsetof(struct cfg, max_body), 1048576, 1024, 67108864 },
	{ "per_page_max",   CFG_INT,    offsetof(struct cfg, per_page_max), 100, 1, 1000 },
	{ "timeout_ms",	    CFG_INT,    offsetof(struct cfg, timeout_ms), 10000, 100, 120000 },
	/* Fractions of a day too: a soak keeps attempts a minute or two. */
	{ "retention_days", CFG_DOUBLE, offsetof(struct cfg, retention_days), 30, 0.00001, 3650 },
	{ "concurrency",    CFG_INT,    offsetof(struct cfg, concurrency), 64, 1, 4096 },
	{ "per_endpoint",   CFG_INT,    offsetof(struct cfg, per_endpoint), 4, 1, 256 },
	/* Test only: multiplies every retry delay (0.001 turns 5 min into 0.3 s). */
	{ "time_scale",	    CFG_DOUBLE, offsetof(struct cfg, time_scale), 1, 0.00001, 1 },
	/* A FastCGI process leaves after this many requests (0: never); the
	 * web server starts a fresh one.  For lighttpd, which has no such
	 * setting of its own (mod_fcgid has FcgidMaxRequestsPerProcess). */
	{ "max_requests",   CFG_INT,    offsetof(struct cfg, max_requests), 0, 0, 1000000000 },
	/* The FastCGI program's test deliveries run this (see probe.h). */
	{ "webhookd",	    CFG_PATH,   offsetof(struct cfg, webhookd), 0, 0,
	    sizeof(((struct cfg *)0)->webhookd) - 1 },
	/* The service's public URL for the links it writes (Location, links,
	 * pagination); "" takes them from the request's Host header. */
	{ "base_url",	    CFG_URL,    offsetof(struct cfg, base_url), 0, 0,
	    sizeof(((struct cfg *)0)->base_url) - 1 },
};

/*
 * 1 if u is http:// or https://, a host[:port] of the characters a Host
 * header may keep (http_base_url's), then an optional path of unreserved
 * characters, '/' and '%'.  Nothing in it needs escaping in a JSON string, an
 * HTML attribute or a header.  A trailing '/' is cut by the caller.
 */
static int
base_url_ok(const char *u)
{
	size_t	 i, h;

	if (strncmp(u, "http://", 7) == 0)
		i = 7;
	else if (strncmp(u, "https://", 8) == 0)
		i = 8;
	else
		return 0;
	for (h = i; u[i] != '\0' && u[i] != '/'; i++)
		if (!isalnum((unsigned char)u[i]) &&
		    strchr(".-:[]_", u[i]) == NULL)
			return 0;
	if (i == h)
		return 0;
	for (; u[i] != '\0'; i++)
		if (!isalnum((unsigned char)u[i]) &&
		    strchr("-._~/%", u[i]) == NULL)
			return 0;
	return 1;
}

/* Sets one key from text; 0, or -1 with a reason in err. */
static int
cfg_set(struct cfg *c, const char *key, const char *val, char *err,
    size_t errlen)
{
	const struct cfg_def	*d;
	char			*end;
	double			 v;
	size_t			 i;

	for (i = 0; i < sizeof(defs) / sizeof(defs[0]); i++)
		if (strcmp(defs[i].key, key) == 0)
			break;
	if (i == sizeof(defs) / sizeof(defs[0])) {
		snprintf(err, errlen, "unknown setting \"%s\"", key);
		return -1;
	}
	d = &defs[i];
	if (d->type == CFG_PATH || d->type == CFG_URL) {
		if (strlen(val) > d->max) {
			snprintf(err, errlen, "%s: longer than %g bytes", key,
			    d->max);
			return -1;
		}
		if (d->type == CFG_URL && *val != '\0' && !base_url_ok(val)) {
			snprintf(err, errlen, "%s: \"%s\" is not an "
			    "http:// or https:// URL of host, port and path",
			    key, val);
			return -1;
		}
		strcpy((char *)c + d->off, val);
		if (d->type == CFG_URL) {
			char	*e = (char *)c + d->off + strlen(val);

			while (e > (char *)c + d->off && e[-1] == '/')
				*--e = '\0';
		}
		return 0;
	}
	if (d->type == CFG_BOOL) {
		if (!strcmp(val, "1") || !strcasecmp(val, "yes") ||
		    !strcasecmp(val, "true") || !strcasecmp(val, "on"))
			v = 1;
		else if (!strcmp(val, "0") || !strcasecmp(val, "no") ||
		    !strcasecmp(val, "false") || !strcasecmp(val, "off") ||
		    *val == '\0')
			v = 0;
		else {
			snprintf(err, errlen, "%s: \"%s\" is not a boolean",
			    key, val);
			return -1;
		}
	} else {
		errno = 0;
		v = strtod(val, &end);
		if (errno || end == val || *end != '\0' ||
		    (d->type != CFG_DOUBLE && v != (double)(long)v)) {
			snprintf(err, errlen, "%s: \"%s\" is not a number",
			    key, val);
			return -1;
		}
		if (v < d->min || v > d->max) {
			snprintf(err, errlen, "%s: %s is outside %g..%g",
			    key, val, d->min, d->max);
			return -1;
		}
	}
	switch (d->type) {
	case CFG_BOOL:
	case CFG_INT:
		*(int *)(void *)((char *)c + d->off) = (int)v;
		break;
	case CFG_LONG:
		*(long *)(void *)((char *)c + d->off) = (long)v;
		break;
	case CFG_DOUBLE:
		*(double *)(void *)((char *)c + d->off) = v;
		break;
	case CFG_PATH:
	case CFG_URL:
		break;
	}
	return 0;
}

static char *
trim(char *s)
{
	char	*e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* A line of webhooks.conf: the longest value (webhookd, 4095 bytes) with
 * its key and room to spare. */
#define CFG_LINE_MAX	8191

static int
cfg_file(struct cfg *c, const char *path, char *err, size_t errlen)
{
	FILE	*f;
	char	*line = NULL, why[256], *k, *v, *eq;
	size_t	 cap = 0;
	ssize_t	 n;
	int	 lineno = 0, rc = 0;

	if ((f = fopen(path, "r")) == NULL)
		return errno == ENOENT ? 0 : (snprintf(err, errlen, "%s: %s",
		    path, strerror(errno)), -1);
	while ((n = getline(&line, &cap, f)) != -1) {
		lineno++;
		if (n > 0 && line[n - 1] == '\n')
			n--;
		if (n > CFG_LINE_MAX) {
			snprintf(err, errlen, "%s:%d: longer than %d bytes",
			    path, lineno, CFG_LINE_MAX);
			rc = -1;
			break;
		}
		if (memchr(line, '\0', (size_t)n) != NULL) {
			snprintf(err, errlen, "%s:%d: a NUL byte", path,
			    lineno);
			rc = -1;
			break;
		}
		k = trim(line);
		if (*k == '#' || *k == '\0')
			continue;
		if ((eq = strchr(k, '=')) == NULL) {
			snprintf(err, errlen, "%s:%d: expected key = value",
			    path, lineno);
			rc = -1;
			break;
		}
		*eq = '\0';
		k = trim(k);
		v = trim(eq + 1);
		if (cfg_set(c, k, v, why, sizeof(why)) == -1) {
			snprintf(err, errlen, "%s:%d: %s", path, lineno, why);
			rc = -1;
			break;
		}
	}
	free(line);
	fclose(f);
	return rc;
}

int
cfg_load(struct cfg *c, char *err, size_t errlen)
{
	const char	*home;
	char		 path[4200], env[64], why[256];
	const char	*val;
	size_t		 i, j;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < sizeof(defs) / sizeof(defs[0]); i++) {
		char num[64];
		if (defs[i].type == CFG_PATH || defs[i].type == CFG_URL)
			continue;	/* "" */
		snprintf(num, sizeof(num), "%.17g", defs[i].def);
		if (cfg_set(c, defs[i].key, num, why, sizeof(why)) == -1) {
			snprintf(err, errlen, "default %s", why);
			return -1;
		}
	}
	home = getenv("WEBHOOKS_HOME");
	if (home == NULL || *home == '\0')
		home = "./var";
	if (strlen(home) >= sizeof(c->home)) {
		snprintf(err, errlen, "WEBHOOKS_HOME is too long");
		return -1;
	}
	strcpy(c->home, home);
	snprintf(path, sizeof(path), "%s/webhooks.conf", c->home);
	if (cfg_file(c, path, err, errlen) == -1)
		return -1;
	for (i = 0; i < sizeof(defs) / sizeof(defs[0]); i++) {
		snprintf(env, sizeof(env), "WEBHOOKS_");
		for (j = 0; defs[i].key[j] != '\0' && j + 10 < sizeof(env); j++)
			env[9 + j] = (char)toupper((unsigned char)defs[i].key[j]);
		env[9 + j] = '\0';
		if ((val = getenv(env)) == NULL)
			continue;
		if (cfg_set(c, defs[i].key, val, why, sizeof(why)) == -1) {
			snprintf(err, errlen, "%s: %s", env, why);
			return -1;
		}
	}
	return 0;
}
