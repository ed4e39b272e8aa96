/*
 * spool: the maildir-style queue in $WEBHOOKS_HOME/spool, the only path
 * from the web side (and any other program on the host) to webhookd.
 *
 *   tmp/         files being written; nobody reads them
 *   new/         accepted events (and delivery files, below) waiting
 *   cur/         claimed by the running webhookd
 *   deferred/    one file per delivery waiting for a retry; the file's
 *                mtime is the time of its next attempt (Postfix's way)
 *   dead/        deliveries that ran out of attempts, kept for inspection
 *                and manual retry, pruned after the retention period
 *   quarantine/  files that could not be read or parsed, never removed
 *
 * State is the directory a file is in; every change of state is a rename,
 * so a file is in exactly one state whatever is killed when.  Writing is
 * maildir's protocol: tmp/NAME opened O_EXCL, every write checked, fsync,
 * close, rename into place, fsync of the directory.  At that rename the
 * file is accepted.
 *
 * Results: 0 on success, -1 on an error that was logged (errno is kept for
 * the caller), and for spool_claim and spool_withdraw 1 when the file was
 * not there (someone else took it).
 */
#ifndef SPOOL_H
#define SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

enum spool_dir {
	SPOOL_TMP = 0,
	SPOOL_NEW,
	SPOOL_CUR,
	SPOOL_DEFERRED,
	SPOOL_DEAD,
	SPOOL_QUARANTINE,
	SPOOL_NDIRS
};

#define SPOOL_NAME_MAX	200	/* longest file name the spool accepts */
#define SPOOL_FILE_MAX	(8L * 1024 * 1024) /* longer files are quarantined */

struct spool;

/* Opens $home/spool, creating the directories when create is set.  NULL
 * (logged) if a directory is missing or cannot be opened. */
struct spool	*spool_open(const char *home, int create);
void		 spool_close(struct spool *);
/* "$home/spool/new" and so on; owned by the spool. */
const char	*spool_path(const struct spool *, enum spool_dir);

/*
 * Takes the spool's lock (spool/.lock, flock) for the life of the spool
 * handle: one webhookd per spool, so that putting cur/ back at start never
 * steals a live daemon's claims.  0, 1 if another process holds it, -1.
 */
int	 spool_lock(struct spool *);

/* 1 if name may be a spool file: 1..SPOOL_NAME_MAX of printable ASCII
 * other than '/', not starting with '.'. */
int	 spool_name_ok(const char *name);
/* 1 if dir/name is a regular file (not following a symlink); 0 if it is
 * anything else or gone.  A FIFO, symlink or directory that appears in new/
 * is claimed at once, to be quarantined; a regular file waits for its
 * rename (or close) to be whole. */
int	 spool_is_regular(struct spool *, enum spool_dir dir, const char *name);

/*
 * Enqueues data as a new file: "<ms>.<unique>" where unique is the
 * caller's (an event id; random when NULL), written by maildir's protocol.
 * name (SPOOL_NAME_MAX + 1 bytes) receives the file's name.  Returns 0 once
 * the file is durable in new/, -1 if any step failed (nothing is left in
 * new/ then).
 */
int	 spool_enqueue(struct spool *, const char *data, size_t len,
	    const char *unique, char *name);
/* Takes new/name back before a daemon claimed it: 0 when withdrawn, 1 when
 * it was already claimed, -1 on error. */
int	 spool_withdraw(struct spool *, const char *name);

/*
 * Writes data as dir/name durably (maildir's protocol), replacing a file of
 * that name, with its mtime set to mtime_ms (0: now).  For deferred/ and
 * dead/.
 */
int	 spool_write(struct spool *, enum spool_dir, const char *name,
	    const char *data, size_t len, int64_t mtime_ms);

/* A directory entry: its name and mtime. */
struct spool_ent {
	char	*name;
	int64_t	 mtime_ms;
};
/* The spool files in dir (dot files and bad names skipped), sorted by
 * name; free with spool_list_free.  0 or -1. */
int	 spool_list(struct spool *, enum spool_dir, struct spool_ent **ents,
	    size_t *n);
/* The same without the mtimes (0): one stat call less a file. */
int	 spool_list_names(struct spool *, enum spool_dir,
	    struct spool_ent **ents, size_t *n);
void	 spool_list_free(struct spool_ent *, size_t);

/* Claims from/name by renaming it into cur/: 0, 1 when it is gone (another
 * daemon or a withdraw took it), -1 on error. */
int	 spool_claim(struct spool *, enum spool_dir from, const char *name);
/* 0 if a file can be written in the spool (a file of a byte created in
 * tmp/ and removed: the health check), -1 if not.  Logs nothing. */
int	 spool_writable(struct spool *);
/* 1 if dir/name exists. */
int	 spool_exists(struct spool *, enum spool_dir, const char *name);
/* Removes dir/name (a deferred delivery cancelled by a manual retry that
 * succeeded, a dead one delivered after all); 0 also when it was gone. */
int	 spool_remove(struct spool *, enum spool_dir, const char *name);
/* Reads the claimed file cur/name whole; *data (NUL-terminated) is the
 * caller's.  -1 with errno EFBIG when over SPOOL_FILE_MAX. */
int	 spool_read(struct spool *, const char *name, char **data,
	    size_t *len);
/* The same for dir/name (the API reads dead/ and deferred/ files). */
int	 spool_read_from(struct spool *, enum spool_dir, const char *name,
	    char **data, size_t *len);
/* Removes cur/name and, when progress is set, its progress file: every
 * delivery of it has been recorded as done, dead or deferred.  progress 0
 * (the caller knows there is no progress file) saves an unlink. */
int	 spool_finish(struct spool *, const char *name, int progress);
/*
 * Moves the claim cur/name back into to (SPOOL_NEW or SPOOL_DEFERRED) with
 * its mtime set to mtime_ms (0: unchanged).  The directory is fsync'd.
 */
int	 spool_unclaim(struct spool *, const char *name, enum spool_dir to,
	    int64_t mtime_ms);
/* Moves cur/name into quarantine/ and logs why. */
int	 spool_quarantine(struct spool *, const char *name, const char *why);

/*
 * At start (with the lock held): puts every claim a killed daemon left in
 * cur/ back into new/, except one that a later state already replaced (a
 * deferred/ file of the same name: the claim had been deferred when the
 * daemon died), each with its progress file (spool_progress_mark).
 * Removes progress files of events no longer in the spool.
 * *n (may be NULL) counts the claims put back.
 */
int	 spool_recover(struct spool *, size_t *n);

/*
 * Progress of an event with several deliveries: cur/.NAME.done lists the
 * webhooks already done, one line each, so that an event put back after a
 * crash is not delivered again to them.  Appended without fsync: it
 * survives the daemon's death (the page cache does), and a machine crash
 * costs at most duplicates, never a loss.
 */
int	 spool_progress_add(struct spool *, const char *name, const char *line);
/*
 * Creates the progress file (empty) unless it exists: the event was worked
 * on.  A claimed event without one comes from new/ untouched, so none of its
 * deliveries can be in deferred/ or dead/ yet and webhookd need not look;
 * spool_recover marks every claim it puts back, webhookd every event it
 * gives back at shutdown.
 */
int	 spool_progress_mark(struct spool *, const char *name);
/* 1 if cur/ holds any progress file (or it cannot be read), else 0. */
int	 spool_progress_any(struct spool *);
/* The progress file's contents (caller frees), or NULL when there is none. */
char	*spool_progress_read(struct spool *, const char *name);

/* Removes files of dir older than before_ms (tmp/ leftovers, dead/ past
 * retention); *n (may be NULL) counts them. */
int	 spool_prune(struct spool *, enum spool_dir, int64_t before_ms,
	    size_t *n);

/* ---- the file format (README, "The spool format") ----------------------- */

#define SPOOL_FORMAT_VERSION	1
#define SPOOL_TYPE_MAX		128	/* a type: 1..128 printable */
#define SPOOL_ID_MAX		64

/*
 * One spool file: an event ({"v":1, "id", "team", "type", "timestamp",
 * "data", "idempotency_key"}), or, with "webhook" set, one delivery of it
 * (a deferred or dead delivery, a manual retry) with the attempts made so
 * far.  Optional members (older files have none): "app", the Svix
 * application whose endpoints alone receive it; "channels", an array of
 * 1..SPOOL_CHANNELS_MAX channel names; "svix": true for a message of the
 * Svix API (delivered as its payload alone, with svix-* headers).
 */
#define SPOOL_CHANNELS_MAX	10
#define SPOOL_CHANNEL_MAX	128	/* bytes of a channel name */
struct spool_event {
	char		*id;		/* from the file name's hash when absent */
	char		*team;
	char		*type;
	char		*timestamp;	/* ISO 8601; the file's mtime if absent */
	json_object	*data;		/* for spool_event_format: any JSON
					   value (NULL: null), if data_text
					   is NULL */
	char		*data_text;	/* from spool_event_parse: the text
					   of data as in the file; "{}" when
					   absent */
	char		*webhook;	/* a delivery: its webhook; else NULL */
	int		 attempt;	/* attempts already made */
	int		 manual;	/* a manual retry: one attempt only */
	char		*app;		/* a Svix application's id; NULL: none */
	char		**channels;	/* NULL when nchannels is 0 */
	size_t		 nchannels;
	int		 svix;		/* a Svix message */
};

/*
 * Checks a spool file field by field into ev (free with
 * spool_event_free); ev->data stays NULL, ev->data_text holds data.  name and mtime_ms are the file's, for the defaults.
 * Returns 0, or -1 with the reason in err (the file goes to quarantine).
 */
int	 spool_event_parse(const char *text, size_t len, const char *name,
	    int64_t mtime_ms, struct spool_event *ev, char *err, size_t errlen);
/* The file's text for ev; the caller frees it. */
char	*spool_event_format(const struct spool_event *ev);
void	 spool_event_free(struct spool_event *);
/*
 * 1 if s is a type the format holds: 1..128 printable ASCII characters.
 * Wider than the event-type rule (event.h) that publishing and subscribing
 * follow, so that every file accepted before that rule is still read.
 */
int	 spool_type_ok(const char *s);
/* 1 if s is a channel name: 1..128 of [A-Za-z0-9._:-] (Svix's rule). */
int	 spool_channel_ok(const char *s);

#endif /* SPOOL_H */
