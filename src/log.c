/*
 * log: one line a message on stderr, "prog[pid]: level: message".  Under
 * lighttpd and Apache stderr is the server's error log; under webhookd it is
 * the daemon's journal.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static const char	*progname = "webhooks";
static long		 pid;	/* cached: one syscall less a line */

/* Lines held for log_flush (log_buffer). */
static struct {
	int	 on;
	size_t	 len;
	char	 b[32768];
} held;

static void
write_all(const char *p, size_t n)
{
	ssize_t	 w;

	while (n > 0) {
		if ((w = write(STDERR_FILENO, p, n)) <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

void
log_flush(void)
{
	if (held.len > 0)
		write_all(held.b, held.len);
	held.len = 0;
}

void
log_buffer(int on)
{
	if (!on)
		log_flush();
	held.on = on;
}

void
log_init(const char *name)
{
	progname = name;
	pid = (long)getpid();
}

static void
log_v(const char *level, const char *fmt, va_list ap)
{
	char	 line[2048];
	int	 n;

	n = snprintf(line, sizeof(line), "%s[%ld]: %s: ", progname,
	    pid ? pid : (long)getpid(), level);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	/* One write, so lines of concurrent processes do not interleave. */
	n = (int)strlen(line);
	if ((size_t)n < sizeof(line) - 1)
		line[n++] = '\n';
	else
		line[sizeof(line) - 2] = '\n', n = sizeof(line) - 1;
	if (held.on) {
		if (held.len + (size_t)n > sizeof(held.b))
			log_flush();
		memcpy(held.b + held.len, line, (size_t)n);
		held.len += (size_t)n;
		return;
	}
	write_all(line, (size_t)n);
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
