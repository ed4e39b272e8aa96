/*
 * log: one line per message on stderr (the web server's error log, the
 * daemon's journal): "prog[pid]: level: where: what".  Never pass a secret.
 */
#ifndef LOG_H
#define LOG_H

void	log_init(const char *progname);
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
/* A broken internal invariant: logs and aborts. */
void	log_panic(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
/* Copies s into out (size outlen) with control characters and bytes >= 0x7f
 * replaced by '?', for logging values that came from outside. */
void	log_clean(const char *s, char *out, size_t outlen);

#endif /* LOG_H */
