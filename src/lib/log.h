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
/*
 * log_buffer(1): lines are held in memory and written, whole, by
 * log_flush (or when 32 KiB are held); for a loop that logs many lines a
 * pass (webhookd: one a delivery) and flushes before it waits.  A line may
 * then be lost if the process is killed.  log_buffer(0) flushes.
 */
void	log_buffer(int on);
void	log_flush(void);
/* Copies s into out (size outlen) with control characters and bytes >= 0x7f
 * replaced by '?', for logging values that came from outside. */
void	log_clean(const char *s, char *out, size_t outlen);

#endif /* LOG_H */
