/*
 * faultfs: an LD_PRELOAD shim for the fault tests (issue 16).  It makes
 * write, fsync and rename fail with EIO or ENOSPC for files under one
 * directory, as a failing or full disk would, and lets a test turn the
 * fault on and off while the processes run.
 *
 *   FAULTFS_CTL=/path/to/ctl   the control file, read again whenever it
 *                              changes; missing or empty: no fault
 *
 * The control file holds words separated by blanks:
 *
 *   dir=/abs/path     where the faults apply (the file's, or for a
 *                     rename the source's or target's, path starts
 *                     with it); required
 *   write=EIO|ENOSPC  write, pwrite, writev fail (nothing is written)
 *   fsync=EIO|ENOSPC  fsync and fdatasync fail (after doing nothing)
 *   rename=EIO|ENOSPC rename, renameat, renameat2 fail (nothing moves)
 *
 * Only what is named fails; everything else passes to the C library.
 * Built by the Makefile as build/fault/faultfs.so; a test program, not a
 * part of the service.
 */
#define _GNU_SOURCE
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum op { OP_WRITE, OP_FSYNC, OP_RENAME, OP_N };

static const char *const opnames[OP_N] = { "write", "fsync", "rename" };

static pthread_mutex_t	 mu = PTHREAD_MUTEX_INITIALIZER;
static struct stat	 seen;		/* the control file when last read */
static int		 have_seen;
static char		 dir[PATH_MAX];
static int		 err[OP_N];	/* 0: no fault */

/* Reads the control file again if it changed; answers the errno of op
 * (0: none) and copies the directory. */
static int
fault_of(enum op op, char *d, size_t dlen)
{
	const char	*ctl = getenv("FAULTFS_CTL");
	struct stat	 st;
	char		 buf[4096], *w, *save, *v;
	ssize_t		 n;
	int		 fd, e, i;

	if (ctl == NULL)
		return 0;
	pthread_mutex_lock(&mu);
	if (stat(ctl, &st) == -1) {
		memset(err, 0, sizeof(err));
		have_seen = 0;
	} else if (!have_seen || st.st_ino != seen.st_ino ||
	    st.st_size != seen.st_size ||
	    st.st_mtim.tv_sec != seen.st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != seen.st_mtim.tv_nsec) {
		seen = st;
		have_seen = 1;
		memset(err, 0, sizeof(err));
		dir[0] = '\0';
		n = -1;
		if ((fd = open(ctl, O_RDONLY | O_CLOEXEC)) != -1) {
			n = read(fd, buf, sizeof(buf) - 1);
			close(fd);
		}
		buf[n > 0 ? n : 0] = '\0';
		for (w = strtok_r(buf, " \t\r\n", &save); w != NULL;
		    w = strtok_r(NULL, " \t\r\n", &save)) {
			if ((v = strchr(w, '=')) == NULL)
				continue;
			*v++ = '\0';
			if (strcmp(w, "dir") == 0) {
				snprintf(dir, sizeof(dir), "%s", v);
				continue;
			}
			e = strcmp(v, "EIO") == 0 ? EIO :
			    strcmp(v, "ENOSPC") == 0 ? ENOSPC : 0;
			for (i = 0; i < OP_N; i++)
				if (strcmp(w, opnames[i]) == 0)
					err[i] = e;
		}
	}
	e = dir[0] != '\0' ? err[op] : 0;
	snprintf(d, dlen, "%s", dir);
	pthread_mutex_unlock(&mu);
	return e;
}

static int
under(const char *path, const char *d)
{
	size_t	 n = strlen(d);

	while (n > 1 && d[n - 1] == '/')
		n--;
	return strncmp(path, d, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* The path of fd, or "" */
static void
fd_path(int fd, char *out, size_t len)
{
	char	 link[64];
	ssize_t	 n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, out, len - 1);
	out[n > 0 ? n : 0] = '\0';
}

/* The absolute path of name relative to dirfd. */
static void
at_path(int dirfd, const char *name, char *out, size_t len)
{
	char	 base[PATH_MAX];

	if (name[0] == '/') {
		snprintf(out, len, "%s", name);
		return;
	}
	if (dirfd == AT_FDCWD) {
		if (getcwd(base, sizeof(base)) == NULL)
			base[0] = '\0';
	} else
		fd_path(dirfd, base, sizeof(base));
	snprintf(out, len, "%s/%s", base, name);
}

/* errno to fail op on fd with, or 0. */
static int
fd_fault(enum op op, int fd)
{
	char	 d[PATH_MAX], p[PATH_MAX];
	int	 e;

	if ((e = fault_of(op, d, sizeof(d))) == 0)
		return 0;
	fd_path(fd, p, sizeof(p));
	return under(p, d) ? e : 0;
}

static int
rename_fault(int fd1, const char *a, int fd2, const char *b)
{
	char	 d[PATH_MAX], p[PATH_MAX];
	int	 e;

	if ((e = fault_of(OP_RENAME, d, sizeof(d))) == 0)
		return 0;
	at_path(fd1, a, p, sizeof(p));
	if (under(p, d))
		return e;
	at_path(fd2, b, p, sizeof(p));
	return under(p, d) ? e : 0;
}

typedef ssize_t	(*write_fn)(int, const void *, size_t);
typedef ssize_t	(*pwrite_fn)(int, const void *, size_t, off_t);
typedef ssize_t	(*writev_fn)(int, const struct iovec *, int);
typedef int	(*fsync_fn)(int);
typedef int	(*rename_fn)(const char *, const char *);
typedef int	(*renameat_fn)(int, const char *, int, const char *);
typedef int	(*renameat2_fn)(int, const char *, int, const char *,
		    unsigned int);

#define NEXT(name, type) \
	static type next_ ## name; \
	if (next_ ## name == NULL) \
		next_ ## name = (type)dlsym(RTLD_NEXT, #name)

#define FAIL(e) do { errno = (e); return -1; } while (0)

ssize_t
write(int fd, const void *buf, size_t n)
{
	int	 e;
	NEXT(write, write_fn);

	if ((e = fd_fault(OP_WRITE, fd)) != 0)
		FAIL(e);
	return next_write(fd, buf, n);
}

ssize_t
pwrite(int fd, const void *buf, size_t n, off_t off)
{
	int	 e;
	NEXT(pwrite, pwrite_fn);

	if ((e = fd_fault(OP_WRITE, fd)) != 0)
		FAIL(e);
	return next_pwrite(fd, buf, n, off);
}

ssize_t
pwrite64(int fd, const void *buf, size_t n, off_t off)
{
	int	 e;
	NEXT(pwrite64, pwrite_fn);

	if ((e = fd_fault(OP_WRITE, fd)) != 0)
		FAIL(e);
	return next_pwrite64(fd, buf, n, off);
}

ssize_t
writev(int fd, const struct iovec *iov, int cnt)
{
	int	 e;
	NEXT(writev, writev_fn);

	if ((e = fd_fault(OP_WRITE, fd)) != 0)
		FAIL(e);
	return next_writev(fd, iov, cnt);
}

int
fsync(int fd)
{
	int	 e;
	NEXT(fsync, fsync_fn);

	if ((e = fd_fault(OP_FSYNC, fd)) != 0)
		FAIL(e);
	return next_fsync(fd);
}

int
fdatasync(int fd)
{
	int	 e;
	NEXT(fdatasync, fsync_fn);

	if ((e = fd_fault(OP_FSYNC, fd)) != 0)
		FAIL(e);
	return next_fdatasync(fd);
}

int
rename(const char *a, const char *b)
{
	int	 e;
	NEXT(rename, rename_fn);

	if ((e = rename_fault(AT_FDCWD, a, AT_FDCWD, b)) != 0)
		FAIL(e);
	return next_rename(a, b);
}

int
renameat(int fd1, const char *a, int fd2, const char *b)
{
	int	 e;
	NEXT(renameat, renameat_fn);

	if ((e = rename_fault(fd1, a, fd2, b)) != 0)
		FAIL(e);
	return next_renameat(fd1, a, fd2, b);
}

int
renameat2(int fd1, const char *a, int fd2, const char *b, unsigned int fl)
{
	int	 e;
	NEXT(renameat2, renameat2_fn);

	if ((e = rename_fault(fd1, a, fd2, b)) != 0)
		FAIL(e);
	return next_renameat2(fd1, a, fd2, b, fl);
}
