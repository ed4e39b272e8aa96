/*
 * cgispawn: runs a CGI program N times one after another, the way a web
 * server's mod_cgi does (fork, the CGI variables as the whole environment,
 * the request body on a pipe to stdin, the answer read from a pipe on
 * stdout), and prints what each run cost: wall time, and the user and
 * system CPU time of the children (getrusage).  Every answer must start
 * with "Status: 2" (a 2xx).  In the body, each "@N@" becomes a number of
 * its own for each run (the loop's pid and the run's index), so that
 * creates do not collide.
 *
 * usage: cgispawn N PROG [-b BODYFILE] [NAME=VALUE ...]
 * output: "runs N wall_us W user_us U sys_us S" (microseconds a run)
 */
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double
now_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static double
tv_us(struct timeval tv)
{
	return tv.tv_sec * 1e6 + tv.tv_usec;
}

/* One run: 0 if the answer was a 2xx, else -1 (said on stderr). */
static int
one(const char *prog, char **envp, const char *body, size_t blen)
{
	char	 buf[65536], head[16];
	int	 in[2], out[2], st;
	size_t	 got = 0;
	ssize_t	 n;
	pid_t	 pid;

	if (pipe(in) == -1 || pipe(out) == -1) {
		perror("cgispawn: pipe");
		return -1;
	}
	if ((pid = fork()) == -1) {
		perror("cgispawn: fork");
		return -1;
	}
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		execle(prog, prog, (char *)NULL, envp);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	if (blen > 0 && write(in[1], body, blen) != (ssize_t)blen)
		perror("cgispawn: write body");
	close(in[1]);
	while ((n = read(out[0], buf, sizeof(buf))) > 0 ||
	    (n == -1 && errno == EINTR)) {
		if (n > 0 && got < sizeof(head)) {
			size_t k = (size_t)n < sizeof(head) - got ?
			    (size_t)n : sizeof(head) - got;
			memcpy(head + got, buf, k);
			got += k;
		}
	}
	close(out[0]);
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	if (got < 9 || memcmp(head, "Status: 2", 9) != 0) {
		fprintf(stderr, "cgispawn: %s answered %.*s (exit status "
		    "%d)\n", prog, (int)got, head, st);
		return -1;
	}
	return 0;
}

/* body with each "@N@" replaced by num, into out. */
static void
fill(char *out, size_t size, const char *body, long num)
{
	const char	*p, *q;
	size_t		 len = 0;
	int		 k;

	for (p = body; (q = strstr(p, "@N@")) != NULL && len < size; p = q + 3) {
		k = snprintf(out + len, size - len, "%.*s%ld", (int)(q - p), p,
		    num);
		len += k > 0 ? (size_t)k : 0;
	}
	if (len < size)
		snprintf(out + len, size - len, "%s", p);
}

int
main(int argc, char **argv)
{
	struct rusage	 ru;
	static char	 run[70000];
	char		**envp, *body = NULL, cl[48];
	size_t		 blen = 0;
	double		 t0, t1;
	long		 i, n;
	int		 a = 3, e = 0, fd;

	if (argc < 3 || (n = atol(argv[1])) <= 0) {
		fprintf(stderr, "usage: cgispawn N PROG [-b BODYFILE] "
		    "[NAME=VALUE ...]\n");
		return 2;
	}
	if (argc > 4 && strcmp(argv[3], "-b") == 0) {
		if ((fd = open(argv[4], O_RDONLY)) == -1 ||
		    (body = malloc(65536)) == NULL) {
			perror(argv[4]);
			return 2;
		}
		ssize_t r = read(fd, body, 65535);
		close(fd);
		blen = r > 0 ? (size_t)r : 0;
		body[blen] = '\0';
		a = 5;
	}
	envp = calloc((size_t)(argc - a + 2), sizeof(*envp));
	for (; a < argc; a++)
		envp[e++] = argv[a];
	if (blen > 0) {
		snprintf(cl, sizeof(cl), "CONTENT_LENGTH=%zu", blen);
		envp[e++] = cl;
	}
	t0 = now_us();
	for (i = 0; i < n; i++) {
		if (blen > 0 && strstr(body, "@N@") != NULL) {
			fill(run, sizeof(run), body, (long)getpid() * 1000000 + i);
			snprintf(cl, sizeof(cl), "CONTENT_LENGTH=%zu",
			    strlen(run));
			if (one(argv[2], envp, run, strlen(run)) == -1)
				return 1;
		} else if (one(argv[2], envp, body, blen) == -1)
			return 1;
	}
	t1 = now_us();
	getrusage(RUSAGE_CHILDREN, &ru);
	printf("runs %ld wall_us %.1f user_us %.1f sys_us %.1f\n", n,
	    (t1 - t0) / n, tv_us(ru.ru_utime) / n, tv_us(ru.ru_stime) / n);
	return 0;
}
