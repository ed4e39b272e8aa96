/*
 * log: one line a message on stderr, "prog[pid]: level: message".  Under
 * lighttpd and Apache stderr is the server's error log; under webhookd it is
 * the daemon's journal.  Callable from any thread (webhookd's spool
 * reader logs too): one mutex around the prefix, the buffer and the write.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static const char	*progname = "webhooks";
static long		 pid;	/* cached: one syscall less a line */

/* "prog[pid]: level: " of info and warning lines, made once (log_init
 * starts again). */
static char	 info_pfx[128], warning_pfx[128];
static int	 info_n = -1, warning_n = -1;

/* Lines held for log_flush (log_buffer). */
static struct {
	int	 on;
	size_t	 len;
	char	 b[32768];
} held;

static pthread_mutex_t	 mu = PTHREAD_MUTEX_INITIALIZER;

static void
write_all(const char *p, size_t n)
{
	ssize_t	 w;

	while (n > 0) {
		if ((w = write(STDERR_FILENO, p, n)) <= 0) {
			if (w == -1 && errno == EINTR)
				continue;
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

/* The held lines, in writes of whole lines of at most PIPE_BUF bytes (a
 * line is shorter), so that on a pipe shared with other processes no
 * line is cut into by theirs. */
static void
flush_locked(void)
{
	const char	*p = held.b, *end = held.b + held.len, *cut;

	while (p < end) {
		cut = end;
		if ((size_t)(end - p) > PIPE_BUF) {
			cut = p + PIPE_BUF;
			while (cut > p && cut[-1] != '\n')
				cut--;
			if (cut == p)
				cut = p + PIPE_BUF;
		}
		write_all(p, (size_t)(cut - p));
		p = cut;
	}
	held.len = 0;
}

void
log_flush(void)
{
	pthread_mutex_lock(&mu);
	flush_locked();
	pthread_mutex_unlock(&mu);
}

void
log_buffer(int on)
{
	pthread_mutex_lock(&mu);
	if (!on)
		flush_locked();
	held.on = on;
	pthread_mutex_unlock(&mu);
}

void
log_init(const char *name)
{
	progname = name;
	pid = (long)getpid();
	info_n = warning_n = -1;
}

static int
prefix(const char *level, char *line, size_t size)
{
	char	*p;
	int	*n;

	if (strcmp(level, "info") == 0)
		p = info_pfx, n = &info_n;
	else if (strcmp(level, "warning") == 0)
		p = warning_pfx, n = &warning_n;
	else
		return snprintf(line, size, "%s[%ld]: %s: ", progname,
		    pid ? pid : (long)getpid(), level);
	if (*n == -1 || !pid) {
		*n = snprintf(p, 128, "%s[%ld]: %s: ", progname,
		    pid ? pid : (long)getpid(), level);
		if (*n < 0 || *n >= 128)
			*n = 0;
	}
	memcpy(line, p, (size_t)*n);
	return *n;
}

static void
log_v(const char *level, const char *fmt, va_list ap)
{
	char	 line[2048];
	int	 n;

	pthread_mutex_lock(&mu);
	n = prefix(level, line, sizeof(line));
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	/* One write (or one with other whole lines, held), so that lines of
	 * concurrent processes do not interleave. */
	n = (int)strlen(line);
	if ((size_t)n < sizeof(line) - 1)
		line[n++] = '\n';
	else
		line[sizeof(line) - 2] = '\n', n = sizeof(line) - 1;
	if (held.on) {
		if (held.len + (size_t)n > sizeof(held.b))
			flush_locked();
		memcpy(held.b + held.len, line, (size_t)n);
		held.len += (size_t)n;
	} else
		write_all(line, (size_t)n);
	pthread_mutex_unlock(&mu);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_v("info", fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_v("warning", fmt, ap);
	va_end(ap);
}

void
log_panic(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_v("panic", fmt, ap);
	va_end(ap);
	log_flush();
	abort();
}

void
log_clean(const char *s, char *out, size_t outlen)
{
	size_t	 i;

	if (outlen == 0)
		return;
	for (i = 0; s[i] != '\0' && i < outlen - 1; i++) {
		unsigned char c = (unsigned char)s[i];
		out[i] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
	}
	out[i] = '\0';
}
