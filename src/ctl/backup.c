/*
 * backup: making a backup of a data directory and a new one from it
 * (backup.h for the layout and the order).
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "backup.h"
#include "log.h"
#include "spool.h"
#include "store.h"
#include "util.h"

/* The spool's directories by name, as spool.c has them. */
static const char *const spool_dirs[SPOOL_NDIRS] = {
	"tmp", "new", "cur", "deferred", "dead", "quarantine"
};

/*
 * Copies the regular file sdir/name to ddir/name (created O_EXCL) with its
 * mode, its mtime and, when root, its owner; fsync'd.  -1 with errno:
 * ENOENT when the source is gone, EINVAL when it is no regular file
 * (opened O_NONBLOCK, so a FIFO never blocks the copy).
 */
static int
copy_at(int sdir, const char *name, int ddir, const char *dname)
{
	struct timespec	 ts[2];
	struct stat	 st;
	char		 chunk[65536];
	ssize_t		 n, w;
	int		 in, out = -1, e;

	in = openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (in == -1)
		return errno == ELOOP ? (errno = EINVAL, -1) : -1;
	if (fstat(in, &st) == -1)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto fail;
	}
	out = openat(ddir, dname, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    st.st_mode & 0777);
	if (out == -1)
		goto fail;
	while ((n = read(in, chunk, sizeof(chunk))) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		for (w = 0; w < n; ) {
			ssize_t k = write(out, chunk + w, (size_t)(n - w));
			if (k == -1) {
				if (errno == EINTR)
					continue;
				goto fail;
			}
			w += k;
		}
	}
	ts[0] = st.st_atim;
	ts[1] = st.st_mtim;
	if (fchmod(out, st.st_mode & 0777) == -1 || futimens(out, ts) == -1)
		goto fail;
	if (geteuid() == 0 && fchown(out, st.st_uid, st.st_gid) == -1)
		goto fail;
	if (fsync(out) == -1 || close(out) == -1) {
		out = -1;
		goto fail;
	}
	close(in);
	return 0;
fail:
	e = errno;
	close(in);
	if (out != -1) {
		close(out);
		unlinkat(ddir, dname, 0);
	}
	errno = e;
	return -1;
}

static int
open_dir(const char *path)
{
	return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* mkdir path with mode; EEXIST is fine.  -1 logged. */
static int
make_dir(const char *path, mode_t mode)
{
	if (mkdir(path, mode) == -1 && errno != EEXIST) {
		log_warn("backup: mkdir %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* 1 if path is a directory with nothing in it, 0 if it has entries, -1
 * (errno) if it cannot be read or is no directory. */
static int
dir_empty(const char *path)
{
	DIR		*d;
	struct dirent	*de;
	int		 empty = 1;

	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0) {
			empty = 0;
			break;
		}
	closedir(d);
	return empty;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	if (remove(path) == -1 && errno != ENOENT)
		log_warn("backup: remove %s: %s", path, strerror(errno));
	return 0;
}

/* Removes a tree this module made (a replaced backup, a failed one). */
static void
rm_tree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
fsync_path(const char *path)
{
	int	 fd;

	if ((fd = open_dir(path)) != -1) {
		(void)fsync(fd);
		close(fd);
	}
}

/* Copies every regular file at the top of from into to (not the sockets,
 * not the directories).  *n counts them.  0 or -1 (logged). */
static int
copy_top_files(const char *from, const char *to, unsigned long *n)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 st;
	int		 sfd, dfd = -1, rc = -1;

	if ((d = opendir(from)) == NULL) {
		log_warn("backup: %s: %s", from, strerror(errno));
		return -1;
	}
	sfd = dirfd(d);
	if ((dfd = open_dir(to)) == -1) {
		log_warn("backup: %s: %s", to, strerror(errno));
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		if (fstatat(sfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (copy_at(sfd, de->d_name, dfd, de->d_name) == -1) {
			if (errno == ENOENT)
				continue;
			log_warn("backup: copy %s/%s to %s: %s", from,
			    de->d_name, to, strerror(errno));
			goto out;
		}
		(*n)++;
	}
	if (fsync(dfd) == -1) {
		log_warn("backup: fsync %s: %s", to, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (dfd != -1)
		close(dfd);
	closedir(d);
	return rc;
}

/* The names in the directory fd (not "." and ".."), into *v[0..*n).
 * 0, or -1 (errno set). */
static int
list_names(int fd, char ***v, size_t *n)
{
	DIR		*d;
	struct dirent	*de;
	int		 j;

	*v = NULL;
	*n = 0;
	if ((j = dup(fd)) == -1 || (d = fdopendir(j)) == NULL)
		return -1;
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		*v = xrealloc(*v, (*n + 1) * sizeof(**v));
		(*v)[(*n)++] = xstrdup(de->d_name);
	}
	closedir(d);
	return 0;
}

static void
names_free(char ***v, size_t *n)
{
	size_t	 i;

	for (i = 0; i < *n; i++)
		free((*v)[i]);
	free(*v);
	*v = NULL;
	*n = 0;
}

/*
 * Copies name, listed in order[i], from where it is now: where it was
 * listed, else the other states in the order files move (and into the same
 * state of the copy).  Found nowhere: finished meanwhile.  0, or -1 on an
 * error (logged).
 */
static int
copy_found(const int *sfd, const int *dfd, const enum spool_dir *order,
    size_t norder, size_t i, const char *name, unsigned long *n)
{
	enum spool_dir	 at;
	size_t		 k;

	for (k = 0; k <= norder; k++) {
		at = k == 0 ? order[i] : order[k - 1];
		if (k > 0 && (at == order[i] || !spool_name_ok(name)))
			continue;
		if (copy_at(sfd[at], name, dfd[at], name) == 0) {
			(*n)++;
			return 0;
		}
		if (errno == EINVAL) {
			log_warn("backup: spool/%s/%s is no regular file: not "
			    "copied", spool_dirs[at], name);
			return 0;
		}
		if (errno == EEXIST)
			return 0;
		if (errno != ENOENT) {
			log_warn("backup: copy spool/%s/%s: %s",
			    spool_dirs[at], name, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/*
 * Copies the spool's files into to/spool while webhookd may be moving
 * them.  A file moves new -> cur -> (deferred -> cur ->) gone; one that is
 * gone from where it was listed is looked for in the other states (and
 * copied as it is there), and only a file found nowhere was finished
 * meanwhile.  Each name is copied once.  Progress files (cur/.NAME.done)
 * go along.  Not tmp/: nothing there is accepted yet.  A deferred file
 * claimed for its retry goes back from deferred/ to cur/, a state already
 * listed: not in cur/ when cur/ was listed, not in deferred/ when deferred/
 * was, it would be missed.  So the states are listed back to back, names
 * only, then copied, and listed again until two passes in a row find no
 * name not seen yet (a file is in one of the states at every moment).
 */
static int
copy_spool(struct spool *sp, const char *to, unsigned long *n)
{
	static const enum spool_dir order[] = { SPOOL_NEW, SPOOL_CUR,
	    SPOOL_DEFERRED, SPOOL_DEAD, SPOOL_QUARANTINE };
	const size_t	 norder = sizeof(order) / sizeof(order[0]);
	json_object	*seen;
	char		*root, *p;
	int		 sfd[SPOOL_NDIRS], dfd[SPOOL_NDIRS];
	char		**names[5] = { NULL };
	size_t		 nnames[5] = { 0 }, i, m, pass, fresh, quiet;
	int		 j, rc = -1;

	for (j = 0; j < SPOOL_NDIRS; j++)
		sfd[j] = dfd[j] = -1;
	seen = json_object_new_object();
	root = xasprintf("%s/spool", to);
	if (make_dir(root, 0770) == -1)
		goto out;
	for (j = 0; j < SPOOL_NDIRS; j++) {
		p = xasprintf("%s/%s", root, spool_dirs[j]);
		if (make_dir(p, 0770) == -1 || (dfd[j] = open_dir(p)) == -1 ||
		    (sfd[j] = open_dir(spool_path(sp, (enum spool_dir)j)))
		    == -1) {
			log_warn("backup: spool/%s: %s", spool_dirs[j],
			    strerror(errno));
			free(p);
			goto out;
		}
		free(p);
	}
	for (pass = 0, quiet = 0; quiet < 2 && pass < 16; pass++) {
		/* The states listed back to back, names only: a file moving
		 * between them is missed only if it moves within this short
		 * window, and then by one pass of several. */
		for (i = 0; i < norder; i++)
			if (list_names(sfd[order[i]], &names[i], &nnames[i]) ==
			    -1) {
				log_warn("backup: %s: %s",
				    spool_path(sp, order[i]), strerror(errno));
				goto out;
			}
		fresh = 0;
		for (i = 0; i < norder; i++)
			for (m = 0; m < nnames[i]; m++) {
				if (json_object_object_get_ex(seen,
				    names[i][m], NULL))
					continue;
				fresh++;
				if (copy_found(sfd, dfd, order, norder, i,
				    names[i][m], n) == -1)
					goto out;
				json_object_object_add(seen, names[i][m],
				    NULL);
			}
		for (i = 0; i < norder; i++)
			names_free(&names[i], &nnames[i]);
		quiet = fresh == 0 ? quiet + 1 : 0;
	}
	for (j = 0; j < SPOOL_NDIRS; j++)
		if (fsync(dfd[j]) == -1) {
			log_warn("backup: fsync spool/%s: %s", spool_dirs[j],
			    strerror(errno));
			goto out;
		}
	fsync_path(root);
	rc = 0;
out:
	for (j = 0; j < SPOOL_NDIRS; j++) {
		if (sfd[j] != -1)
			close(sfd[j]);
		if (dfd[j] != -1)
			close(dfd[j]);
	}
	for (i = 0; i < norder; i++)
		names_free(&names[i], &nnames[i]);
	free(root);
	json_object_put(seen);
	return rc;
}

/* Writes dir/BACKUP, the mark of a whole backup.  0 or -1 (logged). */
static int
write_manifest(const char *dir, const char *home, unsigned long nspool,
    unsigned long nfiles)
{
	struct stat	 st;
	char		 when[UTIL_ISO_LEN], *path, *text;
	FILE		*f;
	int		 rc = -1;

	if (stat(home, &st) == -1) {
		log_warn("backup: %s: %s", home, strerror(errno));
		return -1;
	}
	util_iso8601(util_now_ms(), when);
	path = xasprintf("%s/BACKUP", dir);
	text = xasprintf("%screated %s\nhome %s\nowner %u %u\n"
	    "spool_files %lu\ntop_files %lu\n", BACKUP_MAGIC, when, home,
	    (unsigned)st.st_uid, (unsigned)st.st_gid, nspool, nfiles);
	if ((f = fopen(path, "wx")) == NULL ||
	    fputs(text, f) == EOF || fflush(f) == EOF || fsync(fileno(f)) == -1)
		log_warn("backup: write %s: %s", path, strerror(errno));
	else
		rc = 0;
	if (f != NULL && fclose(f) == EOF && rc == 0) {
		log_warn("backup: close %s: %s", path, strerror(errno));
		rc = -1;
	}
	free(text);
	free(path);
	return rc;
}

/* 1 if dir holds a whole backup (its BACKUP starts with the magic). */
static int
is_backup(const char *dir, unsigned *uid, unsigned *gid)
{
	char	*path, line[4096];
	FILE	*f;
	int	 ok = 0;

	path = xasprintf("%s/BACKUP", dir);
	f = fopen(path, "r");
	free(path);
	if (f == NULL)
		return 0;
	if (fgets(line, sizeof(line), f) != NULL &&
	    strcmp(line, BACKUP_MAGIC) == 0) {
		ok = 1;
		while (fgets(line, sizeof(line), f) != NULL)
			if (uid != NULL &&
			    sscanf(line, "owner %u %u", uid, gid) == 2)
				break;
	}
	fclose(f);
	return ok;
}

int
backup_make(struct store *st, struct spool *sp, const char *home,
    const char *dir_in, unsigned long *nfiles)
{
	struct stat	 sb;
	unsigned long	 nspool = 0, ntop = 0;
	char		*dir, *tmp = NULL, *old = NULL, *db = NULL;
	size_t		 len;
	int		 exists, e, rc = -1;

	dir = xstrdup(dir_in);
	for (len = strlen(dir); len > 1 && dir[len - 1] == '/'; len--)
		dir[len - 1] = '\0';
	if ((exists = lstat(dir, &sb) == 0)) {
		if (!S_ISDIR(sb.st_mode)) {
			log_warn("backup: %s is not a directory", dir);
			goto out;
		}
		if ((e = dir_empty(dir)) == -1) {
			log_warn("backup: %s: %s", dir, strerror(errno));
			goto out;
		}
		if (e == 0 && !is_backup(dir, NULL, NULL)) {
			log_warn("backup: %s is neither empty nor a backup: "
			    "refusing to replace it", dir);
			goto out;
		}
	} else if (errno != ENOENT) {
		log_warn("backup: %s: %s", dir, strerror(errno));
		goto out;
	}
	tmp = xasprintf("%s.new-%ld", dir, (long)getpid());
	old = xasprintf("%s.old-%ld", dir, (long)getpid());
	if (mkdir(tmp, 0700) == -1) {
		log_warn("backup: mkdir %s: %s", tmp, strerror(errno));
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if (copy_top_files(home, tmp, &ntop) == -1 ||
	    copy_spool(sp, tmp, &nspool) == -1)
		goto fail;
	db = xasprintf("%s/db", tmp);
	if (store_backup(st, db) != STORE_OK)
		goto fail;
	if (write_manifest(tmp, home, nspool, ntop) == -1)
		goto fail;
	fsync_path(tmp);
	if (exists && renameat2(AT_FDCWD, tmp, AT_FDCWD, dir,
	    RENAME_EXCHANGE) == 0) {
		/* One step: dir is the new backup, tmp the old one. */
		rm_tree(tmp);
	} else if (exists && errno != EINVAL && errno != ENOSYS) {
		log_warn("backup: exchange %s and %s: %s", tmp, dir,
		    strerror(errno));
		goto fail;
	} else {
		/* No exchange on this file system: two renames, with
		 * the old backup beside dir for the moment between. */
		if (exists && rename(dir, old) == -1) {
			log_warn("backup: rename %s: %s", dir,
			    strerror(errno));
			goto fail;
		}
		if (rename(tmp, dir) == -1) {
			log_warn("backup: rename %s to %s: %s", tmp, dir,
			    strerror(errno));
			if (exists)
				(void)rename(old, dir);
			goto fail;
		}
		if (exists)
			rm_tree(old);
	}
	free(tmp);
	tmp = xasprintf("%s/..", dir);
	fsync_path(tmp);
	if (nfiles != NULL)
		*nfiles = nspool;
	rc = 0;
	goto out;
fail:
	rm_tree(tmp);
out:
	free(db);
	free(old);
	free(tmp);
	free(dir);
	return rc;
}

/* Copies every regular file of from (region files aside) into to. */
static int
copy_dir_files(const char *from, const char *to)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 st;
	int		 dfd, rc = -1;

	if ((d = opendir(from)) == NULL) {
		log_warn("restore: %s: %s", from, strerror(errno));
		return -1;
	}
	if ((dfd = open_dir(to)) == -1) {
		log_warn("restore: %s: %s", to, strerror(errno));
		closedir(d);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW)
		    == -1 || !S_ISREG(st.st_mode) ||
		    strncmp(de->d_name, "__db.", 5) == 0)
			continue;
		if (copy_at(dirfd(d), de->d_name, dfd, de->d_name) == -1) {
			log_warn("restore: copy %s/%s: %s", from, de->d_name,
			    strerror(errno));
			goto out;
		}
	}
	if (fsync(dfd) == -1) {
		log_warn("restore: fsync %s: %s", to, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	close(dfd);
	closedir(d);
	return rc;
}

static uid_t	 chown_uid;
static gid_t	 chown_gid;

static int
chown_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	if (lchown(path, chown_uid, chown_gid) == -1) {
		log_warn("restore: chown %s: %s", path, strerror(errno));
		return 1;
	}
	return 0;
}

int
backup_restore(const char *dir, const char *home)
{
	struct stat	 sb;
	unsigned	 uid = 0, gid = 0;
	char		*from = NULL, *to = NULL;
	int		 j, e;

	if (!is_backup(dir, &uid, &gid)) {
		log_warn("restore: %s holds no whole backup (no %s/BACKUP "
		    "starting \"%.*s\")", dir, dir,
		    (int)strlen(BACKUP_MAGIC) - 1, BACKUP_MAGIC);
		return -1;
	}
	if (lstat(home, &sb) == 0) {
		if ((e = dir_empty(home)) != 1) {
			log_warn("restore: %s %s: restore only into a new data "
			    "directory", home, e == 0 ? "is not empty" :
			    "is not a directory");
			return -1;
		}
	} else if (errno != ENOENT || mkdir(home, 0700) == -1) {
		log_warn("restore: %s: %s", home, strerror(errno));
		return -1;
	}
	if (copy_top_files(dir, home, &(unsigned long){ 0 }) == -1)
		goto fail;
	/* The manifest describes the backup, not the data directory. */
	free(to);
	to = xasprintf("%s/BACKUP", home);
	if (unlink(to) == -1) {
		log_warn("restore: unlink %s: %s", to, strerror(errno));
		goto fail;
	}
	for (j = -2; j < SPOOL_NDIRS; j++) {
		free(from);
		free(to);
		from = j == -2 ? xasprintf("%s/db", dir) : j == -1 ?
		    xasprintf("%s/spool", dir) :
		    xasprintf("%s/spool/%s", dir, spool_dirs[j]);
		to = j == -2 ? xasprintf("%s/db", home) : j == -1 ?
		    xasprintf("%s/spool", home) :
		    xasprintf("%s/spool/%s", home, spool_dirs[j]);
		if (make_dir(to, j == -2 ? 0700 : 0770) == -1)
			goto fail;
		if (j != -1 && copy_dir_files(from, to) == -1)
			goto fail;
	}
	free(to);
	to = xasprintf("%s/db", home);
	if (store_recover_copy(to) != STORE_OK) {
		log_warn("restore: catastrophic recovery of %s failed", to);
		goto fail;
	}
	if (geteuid() == 0) {
		chown_uid = (uid_t)uid;
		chown_gid = (gid_t)gid;
		if (nftw(home, chown_one, 16, FTW_PHYS) != 0)
			goto fail;
	}
	fsync_path(home);
	free(from);
	free(to);
	return 0;
fail:
	log_warn("restore: %s is incomplete: remove it before trying again",
	    home);
	free(from);
	free(to);
	return -1;
}
