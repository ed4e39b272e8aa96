/*
 * spool: see spool.h.  Every directory is kept open, and every step works
 * relative to those descriptors (openat, renameat, fsync of the directory
 * descriptor): one path lookup less per step, and a directory fsync is on
 * the very directory that was renamed into.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "spool.h"
#include "util.h"

static const char *const dirnames[SPOOL_NDIRS] = {
	"tmp", "new", "cur", "deferred", "dead", "quarantine"
};

struct spool {
	char	*root;
	char	*path[SPOOL_NDIRS];
	int	 fd[SPOOL_NDIRS];
	int	 lockfd;
};

#define PROGRESS_FMT ".%s.done"

struct spool *
spool_open(const char *home, int create)
{
	struct spool	*sp;
	int		 i;

	sp = xcalloc(1, sizeof(*sp));
	sp->lockfd = -1;
	for (i = 0; i < SPOOL_NDIRS; i++)
		sp->fd[i] = -1;
	sp->root = xasprintf("%s/spool", home);
	if (create && mkdir(sp->root, 0770) == -1 && errno != EEXIST) {
		log_warn("spool_open: mkdir %s: %s", sp->root, strerror(errno));
		goto fail;
	}
	for (i = 0; i < SPOOL_NDIRS; i++) {
		sp->path[i] = xasprintf("%s/%s", sp->root, dirnames[i]);
		if (create && mkdir(sp->path[i], 0770) == -1 &&
		    errno != EEXIST) {
			log_warn("spool_open: mkdir %s: %s", sp->path[i],
			    strerror(errno));
			goto fail;
		}
		sp->fd[i] = open(sp->path[i], O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC);
		if (sp->fd[i] == -1) {
			log_warn("spool_open: %s: %s", sp->path[i],
			    strerror(errno));
			goto fail;
		}
	}
	return sp;
fail:
	spool_close(sp);
	return NULL;
}

void
spool_close(struct spool *sp)
{
	int	 i;

	if (sp == NULL)
		return;
	for (i = 0; i < SPOOL_NDIRS; i++) {
		if (sp->fd[i] != -1)
			close(sp->fd[i]);
		free(sp->path[i]);
	}
	if (sp->lockfd != -1)
		close(sp->lockfd);
	free(sp->root);
	free(sp);
}

const char *
spool_path(const struct spool *sp, enum spool_dir d)
{
	return sp->path[d];
}

int
spool_lock(struct spool *sp)
{
	char	*p;

	if (sp->lockfd != -1)
		return 0;
	p = xasprintf("%s/.lock", sp->root);
	sp->lockfd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0660);
	if (sp->lockfd == -1) {
		log_warn("spool_lock: %s: %s", p, strerror(errno));
		free(p);
		return -1;
	}
	free(p);
	if (flock(sp->lockfd, LOCK_EX | LOCK_NB) == -1) {
		int e = errno;
		close(sp->lockfd);
		sp->lockfd = -1;
		if (e == EWOULDBLOCK)
			return 1;
		log_warn("spool_lock: flock: %s", strerror(e));
		errno = e;
		return -1;
	}
	return 0;
}

int
spool_name_ok(const char *name)
{
	size_t	 i;

	if (name[0] == '\0' || name[0] == '.')
		return 0;
	for (i = 0; name[i] != '\0'; i++)
		if (i >= SPOOL_NAME_MAX || name[i] <= ' ' || name[i] >= 0x7f ||
		    name[i] == '/')
			return 0;
	return 1;
}

int
spool_is_regular(struct spool *sp, enum spool_dir dir, const char *name)
{
	struct stat	 st;

	return fstatat(sp->fd[dir], name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode);
}

/* write(2) until done; -1 on error (errno set). */
static int
spool_write_all(int fd, const char *p, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Maildir's protocol: tmp/TMPNAME with O_EXCL, write, (mtime), fsync,
 * close, rename to dir/name, fsync dir.  noreplace refuses to replace an
 * existing dir/name.  On failure nothing is left behind and errno tells.
 */
static int
spool_write_file(struct spool *sp, const char *where, enum spool_dir dir,
    const char *name, const char *data, size_t len, int64_t mtime_ms,
    int noreplace)
{
	struct timespec	 ts[2];
	unsigned char	 rnd[8];
	char		 tmpname[SPOOL_NAME_MAX + 64], hex[17];
	const char	*step;
	int		 fd, e, renamed = 0;

	util_random(rnd, sizeof(rnd));
	util_hex(rnd, sizeof(rnd), hex);
	snprintf(tmpname, sizeof(tmpname), "%s.%ld.%s", name, (long)getpid(),
	    hex);
	step = "open";
	fd = openat(sp->fd[SPOOL_TMP], tmpname, O_WRONLY | O_CREAT | O_EXCL |
	    O_CLOEXEC | O_NOFOLLOW, 0660);
	if (fd == -1)
		goto fail;
	step = "write";
	if (spool_write_all(fd, data, len) == -1)
		goto fail_fd;
	if (mtime_ms > 0) {
		step = "futimens";
		ts[0].tv_sec = ts[1].tv_sec = (time_t)(mtime_ms / 1000);
		ts[0].tv_nsec = ts[1].tv_nsec = (long)(mtime_ms % 1000) *
		    1000000L;
		if (futimens(fd, ts) == -1)
			goto fail_fd;
	}
	step = "fsync";
	if (fsync(fd) == -1)
		goto fail_fd;
	step = "close";
	if (close(fd) == -1) {
		fd = -1;
		goto fail_tmp;
	}
	step = "rename";
	if (noreplace) {
		if (renameat2(sp->fd[SPOOL_TMP], tmpname, sp->fd[dir], name,
		    RENAME_NOREPLACE) == -1) {
			if (errno != EINVAL && errno != ENOSYS)
				goto fail_tmp;
			/* A file system without RENAME_NOREPLACE: the
			 * names are unique anyway. */
			if (renameat(sp->fd[SPOOL_TMP], tmpname, sp->fd[dir],
			    name) == -1)
				goto fail_tmp;
		}
	} else if (renameat(sp->fd[SPOOL_TMP], tmpname, sp->fd[dir],
	    name) == -1)
		goto fail_tmp;
	renamed = 1;
	step = "fsync of the directory";
	if (fsync(sp->fd[dir]) == -1)
		goto fail_tmp;
	return 0;

fail_fd:
	e = errno;
	close(fd);
	errno = e;
fail_tmp:
	e = errno;
	if (renamed)
		/* Not durable: take it back (a daemon that took it already
		 * delivers it: a duplicate at worst, never a loss). */
		unlinkat(sp->fd[dir], name, 0);
	else
		unlinkat(sp->fd[SPOOL_TMP], tmpname, 0);
	errno = e;
fail:
	e = errno;
	log_warn("%s: %s %s/%s: %s", where, step,
	    sp->path[renamed ? dir : SPOOL_TMP], renamed ? name : tmpname,
	    strerror(e));
	errno = e;
	return -1;
}

int
spool_enqueue(struct spool *sp, const char *data, size_t len,
    const char *unique, char *name)
{
	unsigned char	 rnd[16];
	char		 hex[33];

	if (unique == NULL) {
		util_random(rnd, sizeof(rnd));
		util_hex(rnd, sizeof(rnd), hex);
		unique = hex;
	}
	snprintf(name, SPOOL_NAME_MAX + 1, "%013lld.%s",
	    (long long)util_now_ms(), unique);
	if (!spool_name_ok(name))
		log_panic("spool_enqueue: bad unique part \"%s\"", unique);
	return spool_write_file(sp, "spool_enqueue", SPOOL_NEW, name, data, len, 0,
	    1);
}

int
spool_writable(struct spool *sp)
{
	char	 name[64];
	int	 fd, ok;

	/* A dot file: no listing and no cleaning of tmp/ takes it. */
	snprintf(name, sizeof(name), ".writable.%ld", (long)getpid());
	if ((fd = openat(sp->fd[SPOOL_TMP], name, O_WRONLY | O_CREAT |
	    O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600)) == -1)
		return -1;
	ok = write(fd, "", 1) == 1;
	close(fd);
	if (unlinkat(sp->fd[SPOOL_TMP], name, 0) == -1)
		ok = 0;
	return ok ? 0 : -1;
}

int
spool_withdraw(struct spool *sp, const char *name)
{
	char	 tmpname[SPOOL_NAME_MAX + 16];

	snprintf(tmpname, sizeof(tmpname), "%s.withdrawn", name);
	if (renameat(sp->fd[SPOOL_NEW], name, sp->fd[SPOOL_TMP],
	    tmpname) == -1) {
		if (errno == ENOENT)
			return 1;
		log_warn("spool_withdraw: rename %s: %s", name,
		    strerror(errno));
		return -1;
	}
	unlinkat(sp->fd[SPOOL_TMP], tmpname, 0);
	return 0;
}

int
spool_write(struct spool *sp, enum spool_dir dir, const char *name,
    const char *data, size_t len, int64_t mtime_ms)
{
	if (!spool_name_ok(name)) {
		log_warn("spool_write: bad name");
		errno = EINVAL;
		return -1;
	}
	return spool_write_file(sp, "spool_write", dir, name, data, len,
	    mtime_ms > 0 ? mtime_ms : 0, 0);
}

static int
spool_ent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct spool_ent *)a)->name,
	    ((const struct spool_ent *)b)->name);
}

/*
 * Moves new/name, a name the spool does not take (spaces, control
 * characters, bytes above 0x7e, too long), into quarantine/ under a name of
 * its own ("badname.MS.HEX"), and logs the old name cleaned.
 */
static void
spool_quarantine_bad_name(struct spool *sp, const char *name)
{
	unsigned char	 r[4];
	char		 to[64], hex[9], clean[96];

	util_random(r, sizeof(r));
	util_hex(r, sizeof(r), hex);
	snprintf(to, sizeof(to), "badname.%lld.%s",
	    (long long)util_now_ms(), hex);
	log_clean(name, clean, sizeof(clean));
	if (renameat(sp->fd[SPOOL_NEW], name, sp->fd[SPOOL_QUARANTINE],
	    to) == -1) {
		if (errno != ENOENT)
			log_warn("spool: rename new/\"%s\" into quarantine: "
			    "%s", clean, strerror(errno));
		return;
	}
	fsync(sp->fd[SPOOL_QUARANTINE]);
	log_warn("spool: quarantined new/\"%s\" as %s: not a spool name "
	    "(1..%d printable ASCII characters, no '/')", clean, to,
	    SPOOL_NAME_MAX);
}

static int
spool_list_dir(struct spool *sp, enum spool_dir dir, int mtimes,
    struct spool_ent **ents, size_t *n)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 st;
	struct spool_ent *v = NULL;
	size_t		 nv = 0, cap = 0;
	int		 fd;

	*ents = NULL;
	*n = 0;
	if ((fd = dup(sp->fd[dir])) == -1 || (d = fdopendir(fd)) == NULL) {
		log_warn("spool_list: %s: %s", sp->path[dir], strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (!spool_name_ok(de->d_name)) {
			/* Hidden names are maildir's to skip; any other name
			 * in new/ would wait there for ever: quarantined. */
			if (dir == SPOOL_NEW && de->d_name[0] != '.')
				spool_quarantine_bad_name(sp, de->d_name);
			continue;
		}
		if (!mtimes)
			st.st_mtim.tv_sec = st.st_mtim.tv_nsec = 0;
		else if (fstatat(sp->fd[dir], de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) == -1)
			continue;	/* gone meanwhile */
		if (nv == cap) {
			cap = cap ? cap * 2 : 64;
			v = xrealloc(v, cap * sizeof(*v));
		}
		v[nv].name = xstrdup(de->d_name);
		v[nv].mtime_ms = (int64_t)st.st_mtim.tv_sec * 1000 +
		    st.st_mtim.tv_nsec / 1000000;
		nv++;
	}
	closedir(d);
	if (nv > 1)
		qsort(v, nv, sizeof(*v), spool_ent_cmp);
	*ents = v;
	*n = nv;
	return 0;
}

int
spool_list(struct spool *sp, enum spool_dir dir, struct spool_ent **ents,
    size_t *n)
{
	return spool_list_dir(sp, dir, 1, ents, n);
}

int
spool_list_names(struct spool *sp, enum spool_dir dir,
    struct spool_ent **ents, size_t *n)
{
	return spool_list_dir(sp, dir, 0, ents, n);
}

void
spool_list_free(struct spool_ent *v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

int
spool_claim(struct spool *sp, enum spool_dir from, const char *name)
{
	int	 rc;

	/* Never over a claim of the same name (it would be lost). */
	rc = renameat2(sp->fd[from], name, sp->fd[SPOOL_CUR], name,
	    RENAME_NOREPLACE);
	if (rc == -1 && (errno == EINVAL || errno == ENOSYS))
		rc = renameat(sp->fd[from], name, sp->fd[SPOOL_CUR], name);
	if (rc == -1) {
		if (errno == ENOENT)
			return 1;
		if (errno == EEXIST) {
			log_warn("spool_claim: %s is claimed already", name);
			return 1;
		}
		log_warn("spool_claim: rename %s/%s: %s", sp->path[from], name,
		    strerror(errno));
		return -1;
	}
	return 0;
}

int
spool_read(struct spool *sp, const char *name, char **data, size_t *len)
{
	return spool_read_from(sp, SPOOL_CUR, name, data, len);
}

int
spool_read_from(struct spool *sp, enum spool_dir dir, const char *name,
    char **data, size_t *len)
{
	struct stat	 st;
	char		*p = NULL;
	size_t		 got = 0;
	ssize_t		 r;
	int		 fd, e;

	*data = NULL;
	*len = 0;
	fd = openat(sp->fd[dir], name, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC | O_NONBLOCK);
	if (fd == -1)
		goto fail;
	if (fstat(fd, &st) == -1)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;		/* a fifo, a device: not ours */
		goto fail;
	}
	if (st.st_size > SPOOL_FILE_MAX) {
		errno = EFBIG;
		goto fail;
	}
	p = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		r = read(fd, p + got, (size_t)st.st_size - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			goto fail;
		if (r == 0)
			break;		/* shrank: take what is there */
		got += (size_t)r;
	}
	p[got] = '\0';
	close(fd);
	*data = p;
	*len = got;
	return 0;
fail:
	e = errno;
	if (fd != -1)
		close(fd);
	free(p);
	if (e != ENOENT || dir == SPOOL_CUR)
		log_warn("spool_read: %s/%s: %s", sp->path[dir], name,
		    strerror(e));
	errno = e;
	return -1;
}

int
spool_finish(struct spool *sp, const char *name, int progress)
{
	char	 pname[SPOOL_NAME_MAX + 16];

	if (unlinkat(sp->fd[SPOOL_CUR], name, 0) == -1 && errno != ENOENT) {
		log_warn("spool_finish: unlink %s/%s: %s", sp->path[SPOOL_CUR],
		    name, strerror(errno));
		return -1;
	}
	if (progress) {
		snprintf(pname, sizeof(pname), PROGRESS_FMT, name);
		unlinkat(sp->fd[SPOOL_CUR], pname, 0);
	}
	return 0;
}

int
spool_unclaim(struct spool *sp, const char *name, enum spool_dir to,
    int64_t mtime_ms)
{
	struct timespec	 ts[2];

	if (mtime_ms > 0) {
		ts[0].tv_sec = ts[1].tv_sec = (time_t)(mtime_ms / 1000);
		ts[0].tv_nsec = ts[1].tv_nsec = (long)(mtime_ms % 1000) *
		    1000000L;
		if (utimensat(sp->fd[SPOOL_CUR], name, ts,
		    AT_SYMLINK_NOFOLLOW) == -1)
			log_warn("spool_unclaim: utimensat %s: %s", name,
			    strerror(errno));
	}
	if (renameat(sp->fd[SPOOL_CUR], name, sp->fd[to], name) == -1) {
		log_warn("spool_unclaim: rename %s into %s: %s", name,
		    dirnames[to], strerror(errno));
		return -1;
	}
	if (fsync(sp->fd[to]) == -1)
		log_warn("spool_unclaim: fsync %s: %s", sp->path[to],
		    strerror(errno));
	return 0;
}

int
spool_quarantine(struct spool *sp, const char *name, const char *why)
{
	log_warn("spool: quarantined %s: %s", name, why);
	if (renameat(sp->fd[SPOOL_CUR], name, sp->fd[SPOOL_QUARANTINE],
	    name) == -1) {
		log_warn("spool_quarantine: rename %s: %s", name,
		    strerror(errno));
		return -1;
	}
	fsync(sp->fd[SPOOL_QUARANTINE]);
	return 0;
}

static int
spool_exists_in(struct spool *sp, enum spool_dir d, const char *name)
{
	struct stat	 st;

	return fstatat(sp->fd[d], name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

int
spool_exists(struct spool *sp, enum spool_dir d, const char *name)
{
	return spool_exists_in(sp, d, name);
}

int
spool_remove(struct spool *sp, enum spool_dir d, const char *name)
{
	if (unlinkat(sp->fd[d], name, 0) == -1 && errno != ENOENT) {
		log_warn("spool_remove: %s/%s: %s", sp->path[d], name,
		    strerror(errno));
		return -1;
	}
	return 0;
}

int
spool_recover(struct spool *sp, size_t *n)
{
	struct spool_ent *v;
	DIR		*d;
	struct dirent	*de;
	size_t		 nv, i, back = 0, len;
	char		 ev[SPOOL_NAME_MAX + 16];
	int		 fd, rc = 0;

	if (n != NULL)
		*n = 0;
	if (spool_list(sp, SPOOL_CUR, &v, &nv) == -1)
		return -1;
	for (i = 0; i < nv; i++) {
		if (spool_exists_in(sp, SPOOL_DEFERRED, v[i].name) ||
		    spool_exists_in(sp, SPOOL_DEAD, v[i].name)) {
			/* Its next state was written before the daemon
			 * died: this copy is stale. */
			unlinkat(sp->fd[SPOOL_CUR], v[i].name, 0);
			v[i].mtime_ms = -1;
			continue;
		}
		/* It was worked on: the next claim must look for what
		 * was done already (spool_progress_mark). */
		if (spool_progress_mark(sp, v[i].name) == -1)
			rc = -1;
	}
	if (nv > 0 && fsync(sp->fd[SPOOL_CUR]) == -1)
		log_warn("spool_recover: fsync %s: %s", sp->path[SPOOL_CUR],
		    strerror(errno));
	for (i = 0; i < nv; i++) {
		if (v[i].mtime_ms == -1)
			continue;
		if (renameat(sp->fd[SPOOL_CUR], v[i].name, sp->fd[SPOOL_NEW],
		    v[i].name) == -1) {
			log_warn("spool_recover: rename %s: %s", v[i].name,
			    strerror(errno));
			rc = -1;
			continue;
		}
		back++;
	}
	spool_list_free(v, nv);
	if (back > 0 && fsync(sp->fd[SPOOL_NEW]) == -1)
		log_warn("spool_recover: fsync %s: %s", sp->path[SPOOL_NEW],
		    strerror(errno));

	/* Progress files whose event has left the spool. */
	if ((fd = dup(sp->fd[SPOOL_CUR])) == -1 ||
	    (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_name[0] != '.' || len < 7 || len - 6 >= sizeof(ev) ||
		    strcmp(de->d_name + len - 5, ".done") != 0)
			continue;
		memcpy(ev, de->d_name + 1, len - 6);
		ev[len - 6] = '\0';
		if (!spool_exists_in(sp, SPOOL_NEW, ev) &&
		    !spool_exists_in(sp, SPOOL_CUR, ev) &&
		    !spool_exists_in(sp, SPOOL_DEFERRED, ev))
			unlinkat(sp->fd[SPOOL_CUR], de->d_name, 0);
	}
	closedir(d);
	if (n != NULL)
		*n = back;
	return rc;
}

/*
 * Opens name's progress file in cur/ with flags: never through a link,
 * never blocking on a FIFO (any local program may write into the spool),
 * and only if it is a regular file (else -1, errno EINVAL).
 */
static int
spool_progress_open(struct spool *sp, const char *pname, int flags)
{
	struct stat	 st;
	int		 fd;

	fd = openat(sp->fd[SPOOL_CUR], pname, flags | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK, 0660);
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

int
spool_progress_add(struct spool *sp, const char *name, const char *line)
{
	char	 pname[SPOOL_NAME_MAX + 16];
	char	*s;
	int	 fd, rc;

	snprintf(pname, sizeof(pname), PROGRESS_FMT, name);
	fd = spool_progress_open(sp, pname, O_WRONLY | O_APPEND | O_CREAT);
	if (fd == -1) {
		log_warn("spool_progress_add: %s: %s", pname, strerror(errno));
		return -1;
	}
	s = xasprintf("%s\n", line);
	rc = spool_write_all(fd, s, strlen(s));
	if (rc == -1)
		log_warn("spool_progress_add: write %s: %s", pname,
		    strerror(errno));
	free(s);
	close(fd);
	return rc;
}

int
spool_progress_any(struct spool *sp)
{
	DIR		*d;
	struct dirent	*de;
	size_t		 len;
	int		 fd, any = 0;

	if ((fd = dup(sp->fd[SPOOL_CUR])) == -1 ||
	    (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return 1;		/* cannot tell: assume there are */
	}
	rewinddir(d);
	while (!any && (de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		any = de->d_name[0] == '.' && len >= 7 &&
		    strcmp(de->d_name + len - 5, ".done") == 0;
	}
	closedir(d);
	return any;
}

int
spool_progress_mark(struct spool *sp, const char *name)
{
	char	 pname[SPOOL_NAME_MAX + 16];
	int	 fd;

	snprintf(pname, sizeof(pname), PROGRESS_FMT, name);
	fd = spool_progress_open(sp, pname, O_WRONLY | O_CREAT);
	if (fd == -1) {
		log_warn("spool_progress_mark: %s: %s", pname, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

char *
spool_progress_read(struct spool *sp, const char *name)
{
	struct buf	 b;
	char		 pname[SPOOL_NAME_MAX + 16], chunk[4096];
	ssize_t		 r;
	int		 fd;

	snprintf(pname, sizeof(pname), PROGRESS_FMT, name);
	if ((fd = spool_progress_open(sp, pname, O_RDONLY)) == -1)
		return NULL;
	buf_init(&b);
	buf_puts(&b, "");
	/* A line a delivery: far less than an event file may hold. */
	while (b.len < SPOOL_FILE_MAX &&
	    (r = read(fd, chunk, sizeof(chunk))) != 0) {
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			break;
		buf_add(&b, chunk, (size_t)r);
	}
	close(fd);
	return buf_take(&b);
}

int
spool_prune(struct spool *sp, enum spool_dir dir, int64_t before_ms,
    size_t *n)
{
	struct spool_ent *v;
	size_t		 nv, i, gone = 0;

	if (n != NULL)
		*n = 0;
	if (spool_list(sp, dir, &v, &nv) == -1)
		return -1;
	for (i = 0; i < nv; i++)
		if (v[i].mtime_ms < before_ms &&
		    unlinkat(sp->fd[dir], v[i].name, 0) == 0)
			gone++;
	spool_list_free(v, nv);
	if (n != NULL)
		*n = gone;
	return 0;
}
