/*
 * backup: a copy of a data directory that a new one can be made from.
 *
 *   DIR/BACKUP     what it is: "webhooks backup 1", when, whose; written
 *                  last, so a directory without it is no backup
 *   DIR/<file>     every regular file at the top of $WEBHOOKS_HOME
 *                  (webhooks.conf, admin.token, secrets), modes kept
 *   DIR/spool/     new/ cur/ deferred/ dead/ quarantine/ (tmp/ empty),
 *                  mtimes kept (a deferred file's is its next attempt)
 *   DIR/db/        the store's hot backup: databases, then logs, then
 *                  catastrophic recovery (store_backup)
 *
 * The spool is copied before the store, so the store is at least as new
 * as the spool: an event delivered while the backup ran is, in the copy,
 * either still pending (delivered again after a restore: a duplicate with
 * the same webhook-id, never a loss) or gone with its attempt recorded.
 */
#ifndef BACKUP_H
#define BACKUP_H

struct spool;
struct store;

#define BACKUP_MAGIC	"webhooks backup 1\n"

/*
 * Writes a backup of home into dir: built in a sibling directory, then
 * exchanged with dir in one rename (RENAME_EXCHANGE), so dir is always
 * either the previous backup or the new one, whole.  dir must not exist, or be empty, or hold an earlier
 * backup (which is replaced).  *nfiles (may be NULL) counts the spool
 * files copied.  0, or -1 (logged).
 */
int	backup_make(struct store *, struct spool *, const char *home,
	    const char *dir, unsigned long *nfiles);

/*
 * Makes home (which must not exist, or be an empty directory) from the
 * backup in dir, then runs catastrophic recovery on its store.  Run as
 * root, the files are given to the user that owned the backed-up home.
 * 0, or -1 (logged).
 */
int	backup_restore(const char *dir, const char *home);

#endif /* BACKUP_H */
