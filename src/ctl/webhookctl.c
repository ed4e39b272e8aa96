/*
 * webhookctl: the operator's command line.  Every command works on
 * $WEBHOOKS_HOME (default ./var).  Run as root on a data directory that
 * another user owns, it becomes that user first (priv.h), so that nothing
 * it creates (a log file, a region file, a spool file) is root's.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "auth.h"
#include "backup.h"
#include "cfg.h"
#include "event.h"
#include "home.h"
#include "log.h"
#include "priv.h"
#include "spool.h"
#include "store.h"
#include "team.h"
#include "util.h"

static struct cfg	 cfg;

/* The usage text: asked for (help, -h, --help) on standard output with
 * status 0, else on standard error with status 2. */
static void
usage_to(int asked)
{
	fprintf(asked ? stdout : stderr,
	    "usage: webhookctl init [--docroot DIR] [--force]\n"
	    "       webhookctl team add NAME | team list\n"
	    "       webhookctl token add --team NAME [--scopes LIST]\n"
	    "       webhookctl token list | token revoke ID|TOKEN\n"
	    "       webhookctl publish --team NAME --event TYPE [--data FILE|-]\n"
	    "       webhookctl backup DIR | restore DIR | check [--fix] | "
	    "recover\n"
	    "scopes: webhooks:view,webhooks:add,webhooks:edit,webhooks:remove,"
	    "events:publish (default: all of these), metrics:view (named "
	    "only)\n");
	exit(asked ? 0 : 2);
}

static void
usage(void)
{
	usage_to(0);
}

static struct store *
open_store(int flags)
{
	struct store	*st;

	if ((st = store_open(cfg.home, flags)) == NULL) {
		fprintf(stderr, "webhookctl: cannot open the store in %s/db%s\n",
		    cfg.home, flags & STORE_CREATE ? "" :
		    " (run \"webhookctl init\" first)");
		exit(1);
	}
	return st;
}

static int
fail(const char *what, int rc)
{
	static const char *why[] = { "ok", "not found", "already exists",
	    "refused", "store error", "store needs recovery" };

	fprintf(stderr, "webhookctl: %s: %s\n", what,
	    rc >= 0 && rc <= STORE_FATAL ? why[rc] : "error");
	return 1;
}

static int
mkdir_p(const char *path)
{
	char	*p, *s;

	p = xstrdup(path);
	for (s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) == -1 && errno != EEXIST)
			goto fail;
		*s = '/';
	}
	if (mkdir(p, 0700) == -1 && errno != EEXIST)
		goto fail;
	free(p);
	return 0;
fail:
	fprintf(stderr, "webhookctl: mkdir %s: %s\n", p, strerror(errno));
	free(p);
	return -1;
}

/*
 * init [--docroot DIR] [--force]: refuses a data directory in reach of the
 * web server (home.h; --force: a warning), makes it, and run by a user
 * other than root (the account's own, on a shared host) checks that the
 * directory and all in it are that user's and makes the directory 0700.
 * Started as root it has become the directory's owner already (main).
 */
static int
cmd_init(int argc, char **argv, int root)
{
	struct store	*st;
	struct spool	*sp;
	const char	*docroot = NULL;
	char		 why[PATH_MAX + 256];
	int		 i, force = 0, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--docroot") == 0 && i + 1 < argc)
			docroot = argv[++i];
		else if (strcmp(argv[i], "--force") == 0)
			force = 1;
		else
			usage();
	}
	if ((rc = home_in_docroot(cfg.home, docroot, why, sizeof(why))) == -1) {
		fprintf(stderr, "webhookctl: init: %s\n", why);
		return 1;
	}
	if (rc == 1 && !force) {
		fprintf(stderr, "webhookctl: init: refusing %s: %s. The data "
		    "directory holds the tokens' hashes, the signing secrets "
		    "and every event: put it outside the document root (e.g. "
		    "$HOME/webhooks-data), or pass --force if the web server "
		    "cannot reach it\n", cfg.home, why);
		return 3;
	}
	if (rc == 1)
		fprintf(stderr, "webhookctl: init: WARNING: %s (--force: "
		    "going on; make sure the web server cannot serve %s)\n",
		    why, cfg.home);
	if (mkdir_p(cfg.home) == -1)
		return 1;
	if (!root && home_own(cfg.home, why, sizeof(why)) == -1) {
		fprintf(stderr, "webhookctl: init: %s\n", why);
		return 1;
	}
	if ((sp = spool_open(cfg.home, 1)) == NULL) {
		fprintf(stderr, "webhookctl: cannot create %s/spool\n",
		    cfg.home);
		return 1;
	}
	spool_close(sp);
	st = open_store(STORE_CREATE);
	if (auth_keys_init(st) != STORE_OK) {
		fprintf(stderr, "webhookctl: cannot make the server's keys in "
		    "%s/db\n", cfg.home);
		store_close(st);
		return 1;
	}
	store_close(st);
	printf("initialised %s\n", cfg.home);
	return 0;
}

static int
cmd_team(int argc, char **argv)
{
	struct store	*st;
	int		 rc;

	if (argc != 3 || strcmp(argv[1], "add") != 0)
		usage();
	if (!team_name_valid(argv[2])) {
		fprintf(stderr, "webhookctl: a team name is 1 to %d of "
		    "A-Z a-z 0-9 . _ -\n", TEAM_NAME_MAX);
		return 1;
	}
	st = open_store(0);
	rc = team_add(st, argv[2]);
	store_close(st);
	if (rc != STORE_OK)
		return fail(argv[2], rc);
	printf("team %s added\n", argv[2]);
	return 0;
}

static int
print_team(const char *name, int64_t created_at, void *arg)
{
	(void)created_at;
	(void)arg;
	printf("%s\n", name);
	return 0;
}

static int
print_token(const struct auth_token_info *t, void *arg)
{
	char	 when[UTIL_ISO_LEN] = "?";

	(void)arg;
	if (t->created_at != 0)
		util_iso8601(t->created_at, when);
	printf("%s  %-16s %s  %s\n", t->id, t->team != NULL ? t->team : "?",
	    when, t->scopes != NULL ? t->scopes : "?");
	return 0;
}

static int
cmd_token(int argc, char **argv)
{
	struct store	*st;
	const char	*team = NULL, *scopes = "all";
	char		*token, id[AUTH_ID_LEN + 1], *scopes_text;
	unsigned	 bits;
	int		 i, rc;

	if (argc < 2)
		usage();
	if (strcmp(argv[1], "list") == 0) {
		st = open_store(0);
		printf("%-12s  %-16s %-24s  %s\n", "ID", "TEAM", "CREATED",
		    "SCOPES");
		rc = auth_token_foreach(st, print_token, NULL);
		store_close(st);
		return rc != STORE_OK ? fail("token list", rc) : 0;
	}
	if (strcmp(argv[1], "revoke") == 0) {
		if (argc != 3)
			usage();
		st = open_store(0);
		rc = auth_token_revoke(st, argv[2]);
		store_close(st);
		if (rc != STORE_OK)
			return fail("token revoke", rc);
		printf("token revoked\n");
		return 0;
	}
	if (strcmp(argv[1], "add") != 0)
		usage();
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--team") == 0 && i + 1 < argc)
			team = argv[++i];
		else if (strcmp(argv[i], "--scopes") == 0 && i + 1 < argc)
			scopes = argv[++i];
		else
			usage();
	}
	if (team == NULL)
		usage();
	if (auth_scopes_parse(scopes, &bits) == -1 || bits == 0) {
		fprintf(stderr, "webhookctl: unknown scope in \"%s\"\n", scopes);
		return 1;
	}
	st = open_store(0);
	if ((rc = team_exists(st, team)) != STORE_OK) {
		store_close(st);
		return fail(team, rc);
	}
	rc = auth_token_create(st, team, bits, &token, id);
	store_close(st);
	if (rc != STORE_OK)
		return fail("token add", rc);
	scopes_text = auth_scopes_format(bits);
	printf("token %s for team %s, scopes %s (shown once):\n%s\n", id,
	    team, scopes_text, token);
	free(scopes_text);
	free(token);
	return 0;
}

/*
 * publish --team NAME --event TYPE [--data FILE|-]: enqueues one event
 * through event_publish, as POST /api/2.0/events does (the same type rule;
 * maildir's protocol, durable before this says so) and prints its id.
 * data is a JSON object, {} by default.
 */
static int
cmd_publish(int argc, char **argv)
{
	struct event_pub	 pub;
	struct event_ack	 ack;
	struct spool		*sp;
	struct store		*st;
	struct buf		 b;
	const char		*team = NULL, *type = NULL, *file = NULL;
	char			 chunk[8192], *text;
	FILE			*f;
	size_t			 n;
	int			 i, rc, store_res;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--team") == 0 && i + 1 < argc)
			team = argv[++i];
		else if (strcmp(argv[i], "--event") == 0 && i + 1 < argc)
			type = argv[++i];
		else if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
			file = argv[++i];
		else
			usage();
	}
	if (team == NULL || type == NULL)
		usage();
	if (!event_type_ok(type, strlen(type))) {
		fprintf(stderr, "webhookctl: publish: the event type must be "
		    EVENT_TYPE_RULE "\n");
		return 1;
	}
	memset(&pub, 0, sizeof(pub));
	pub.team = team;
	pub.type = type;
	if (file != NULL) {
		if (strcmp(file, "-") == 0)
			f = stdin;
		else if ((f = fopen(file, "r")) == NULL) {
			fprintf(stderr, "webhookctl: publish: %s: %s\n", file,
			    strerror(errno));
			return 1;
		}
		buf_init(&b);
		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 &&
		    b.len <= (size_t)cfg.max_body)
			buf_add(&b, chunk, n);
		if (f != stdin)
			fclose(f);
		text = buf_take(&b);
		if (strlen(text) > (size_t)cfg.max_body) {
			fprintf(stderr, "webhookctl: publish: the data is over "
			    "%ld bytes\n", cfg.max_body);
			free(text);
			return 1;
		}
		pub.data = json_tokener_parse(text);
		free(text);
		if (!json_object_is_type(pub.data, json_type_object)) {
			fprintf(stderr, "webhookctl: publish: the data is not "
			    "a JSON object\n");
			json_object_put(pub.data);
			return 1;
		}
	}
	st = open_store(0);
	if ((rc = team_exists(st, team)) != STORE_OK) {
		store_close(st);
		json_object_put(pub.data);
		return fail("publish: team", rc);
	}
	if ((sp = spool_open(cfg.home, 1)) == NULL) {
		store_close(st);
		json_object_put(pub.data);
		return 1;
	}
	/* No idempotency key here: the store only counts the event (the
	 * metrics). */
	rc = event_publish(st, sp, &pub, &ack, &store_res);
	spool_close(sp);
	store_close(st);
	json_object_put(pub.data);
	if (rc != EVENT_PUB_OK) {
		fprintf(stderr, "webhookctl: publish: the event could not be "
		    "written (see above)\n");
		return 1;
	}
	printf("%s\n", ack.id);
	return 0;
}

/* maildir's rule: a file in tmp/ older than this was never finished. */
#define TMP_STRAY_MS	(36LL * 3600 * 1000)

/*
 * check [--fix]: the store's files (store_check), stray tmp/ files (older
 * than 36 h: a writer died before its rename; --fix removes them) and what
 * the quarantine holds (listed, never touched: a person decides).  1 when
 * the store has errors or strays are left.
 */
static int
cmd_check(int argc, char **argv)
{
	struct spool_ent	*v;
	struct spool		*sp;
	char			 when[UTIL_ISO_LEN];
	size_t			 n, i, strays = 0, fixed = 0;
	int64_t			 now = util_now_ms();
	int			 fix = 0, bad = 0;

	if (argc == 2 && strcmp(argv[1], "--fix") == 0)
		fix = 1;
	else if (argc != 1)
		usage();
	if (store_check(cfg.home) != 0) {
		fprintf(stderr, "webhookctl: check: the store has errors "
		    "(see above)\n");
		bad = 1;
	} else
		printf("store OK\n");
	if ((sp = spool_open(cfg.home, 0)) == NULL) {
		fprintf(stderr, "webhookctl: check: cannot open %s/spool\n",
		    cfg.home);
		return 1;
	}
	if (spool_list(sp, SPOOL_TMP, &v, &n) == 0) {
		for (i = 0; i < n; i++) {
			if (v[i].mtime_ms >= now - TMP_STRAY_MS)
				continue;
			strays++;
			util_iso8601(v[i].mtime_ms, when);
			if (fix && spool_remove(sp, SPOOL_TMP, v[i].name) == 0) {
				fixed++;
				printf("spool: removed stray tmp/%s (%s)\n",
				    v[i].name, when);
			} else
				printf("spool: stray tmp/%s (%s), unfinished "
				    "for over 36 h\n", v[i].name, when);
		}
		spool_list_free(v, n);
	} else
		bad = 1;
	if (strays > fixed) {
		fprintf(stderr, "webhookctl: check: %zu stray files in "
		    "spool/tmp/ (--fix removes them)\n", strays - fixed);
		bad = 1;
	} else
		printf("spool: tmp/ clean%s\n", fixed > 0 ? " (fixed)" : "");
	if (spool_list(sp, SPOOL_QUARANTINE, &v, &n) == 0) {
		if (n == 0)
			printf("spool: quarantine empty\n");
		else
			printf("spool: quarantine holds %zu files (they "
			    "could not be read; the log said why):\n", n);
		for (i = 0; i < n; i++) {
			util_iso8601(v[i].mtime_ms, when);
			printf("  %s/%s  %s\n",
			    spool_path(sp, SPOOL_QUARANTINE), v[i].name, when);
		}
		spool_list_free(v, n);
	} else
		bad = 1;
	spool_close(sp);
	return bad;
}

/* backup DIR: the spool, then the store, then the log trimmed (backup.h). */
static int
cmd_backup(const char *dir)
{
	struct store	*st;
	struct spool	*sp;
	unsigned long	 n = 0;
	int		 rc;

	if ((sp = spool_open(cfg.home, 0)) == NULL) {
		fprintf(stderr, "webhookctl: backup: cannot open %s/spool\n",
		    cfg.home);
		return 1;
	}
	st = open_store(0);
	if (backup_make(st, sp, cfg.home, dir, &n) == -1) {
		store_close(st);
		spool_close(sp);
		fprintf(stderr, "webhookctl: backup: failed (see above); "
		    "%s is as it was\n", dir);
		return 1;
	}
	rc = store_maintain(st);
	store_close(st);
	spool_close(sp);
	if (rc != STORE_OK)
		return fail("backup written, but trimming the log", rc);
	printf("backup written to %s (%lu spool files)\n", dir, n);
	return 0;
}

int
main(int argc, char **argv)
{
	struct store	*st;
	struct stat	 sb;
	char		 err[512];
	int		 rc, root = geteuid() == 0;

	log_init("webhookctl");
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)
		usage_to(1);
	if (cfg_load(&cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "webhookctl: %s\n", err);
		return 1;
	}
	if (root && stat(cfg.home, &sb) == 0 &&
	    priv_drop(cfg.home, NULL, PRIV_KEEP_ROOT, NULL, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "webhookctl: %s\n", err);
		return 1;
	}
	if (strcmp(argv[1], "init") == 0)
		return cmd_init(argc - 1, argv + 1, root);
	if (strcmp(argv[1], "team") == 0) {
		if (argc == 3 && strcmp(argv[2], "list") == 0) {
			st = open_store(0);
			rc = team_foreach(st, print_team, NULL);
			store_close(st);
			return rc != STORE_OK ? fail("team list", rc) : 0;
		}
		return cmd_team(argc - 1, argv + 1);
	}
	if (strcmp(argv[1], "token") == 0)
		return cmd_token(argc - 1, argv + 1);
	if (strcmp(argv[1], "publish") == 0)
		return cmd_publish(argc - 1, argv + 1);
	if (strcmp(argv[1], "check") == 0)
		return cmd_check(argc - 1, argv + 1);
	if (strcmp(argv[1], "backup") == 0 && argc == 3)
		return cmd_backup(argv[2]);
	if (strcmp(argv[1], "restore") == 0 && argc == 3) {
		if (backup_restore(argv[2], cfg.home) == -1)
			return 1;
		printf("restored %s into %s\n", argv[2], cfg.home);
		return 0;
	}
	if (strcmp(argv[1], "recover") == 0) {
		st = open_store(STORE_FATAL_RECOVER);
		store_close(st);
		printf("recovered %s/db\n", cfg.home);
		return 0;
	}
	usage();
	return 2;
}
