/*
 * cgispawn: runs a CGI program N times one after another, the way a web
 * server's mod_cgi does (fork, the CGI variables as the whole environment,
 * the request body on a pipe to stdin, the answer read from a pipe on
 * stdout), and prints what each run cost: wall time, and the user and
 * system CPU time of the children (getrusage), which the machine's load
 * moves less.  Every answer must start with "Status: 2" (a 2xx).
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

int
main(int argc, char **argv)
{
	struct rusage	 ru;
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
		ssize_t r = read(fd, body, 65536);
		close(fd);
		blen = r > 0 ? (size_t)r : 0;
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
	for (i = 0; i < n; i++)
		if (one(argv[2], envp, body, blen) == -1)
			return 1;
	t1 = now_us();
	getrusage(RUSAGE_CHILDREN, &ru);
	printf("runs %ld wall_us %.1f user_us %.1f sys_us %.1f\n", n,
	    (t1 - t0) / n, tv_us(ru.ru_utime) / n, tv_us(ru.ru_stime) / n);
	return 0;
}
