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
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
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
