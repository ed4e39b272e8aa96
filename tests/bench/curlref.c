/*
 * curlref: the reference sender of the delivery benchmark.  Posts every
 * body of BODIES (one a line) to every URL of URLS (one a line) through one
 * libcurl multi handle with at most CONCURRENCY transfers in flight and the
 * connection cache shared by them (keep-alive reuse), as a lean sender
 * would; prints "<deliveries> <seconds> <deliveries/s> <failures>".
 *
 * Each request carries the headers a Standard Webhooks sender adds
 * (webhook-id, webhook-timestamp, webhook-signature, here of the same
 * length but not computed), so that the bytes on the wire match webhookd's.
 *
 * usage: curlref URLS BODIES CONCURRENCY
 * Build: cc -O2 -o curlref tests/bench/curlref.c -lcurl
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

struct job {
	const char	*url;
	const char	*body;
	size_t		 len;
};

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads a file into lines (the buffer is modified and kept). */
static char **
lines(const char *path, size_t *n)
{
	FILE	*f;
	char	*buf, *p, *nl, **out = NULL;
	long	 sz;
	size_t	 cap = 0;

	*n = 0;
	if ((f = fopen(path, "rb")) == NULL || fseek(f, 0, SEEK_END) != 0 ||
	    (sz = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		perror(path);
		exit(1);
	}
	if ((buf = malloc((size_t)sz + 1)) == NULL ||
	    fread(buf, 1, (size_t)sz, f) != (size_t)sz) {
		perror(path);
		exit(1);
	}
	fclose(f);
	buf[sz] = '\0';
	for (p = buf; p < buf + sz; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = buf + sz;
		*nl = '\0';
		if (*p == '\0')
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 1024;
			if ((out = realloc(out, cap * sizeof(*out))) == NULL) {
				perror("realloc");
				exit(1);
			}
		}
		out[(*n)++] = p;
	}
	return out;
}

static size_t
discard(char *ptr, size_t size, size_t nmemb, void *arg)
{
	(void)ptr;
	(void)arg;
	return size * nmemb;
}

static void
start(CURLM *m, CURL *e, struct curl_slist *hdrs, const struct job *j)
{
	curl_easy_setopt(e, CURLOPT_URL, j->url);
	curl_easy_setopt(e, CURLOPT_POST, 1L);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, j->body);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)j->len);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	curl_easy_setopt(e, CURLOPT_PRIVATE, (void *)j);
	curl_multi_add_handle(m, e);
}

int
main(int argc, char **argv)
{
	struct curl_slist	*hdrs = NULL;
	struct job		*jobs;
	CURLM			*m;
	CURL			**easy;
	CURLMsg			*msg;
	char			**urls, **bodies;
	size_t			 nurl, nbody, njob, next = 0, done = 0, fail = 0;
	size_t			 i, k;
	long			 conc, code;
	double			 t0, t1;
	int			 running, left;

	if (argc != 4 || (conc = atol(argv[3])) <= 0) {
		fprintf(stderr, "usage: curlref URLS BODIES CONCURRENCY\n");
		return 2;
	}
	urls = lines(argv[1], &nurl);
	bodies = lines(argv[2], &nbody);
	njob = nurl * nbody;
	if (njob == 0) {
		fprintf(stderr, "curlref: nothing to send\n");
		return 2;
	}
	if ((jobs = calloc(njob, sizeof(*jobs))) == NULL ||
	    (easy = calloc((size_t)conc, sizeof(*easy))) == NULL) {
		perror("calloc");
		return 1;
	}
	/* Event after event, each to every URL: webhookd's order. */
	for (i = 0, k = 0; i < nbody; i++)
		for (size_t u = 0; u < nurl; u++, k++) {
			jobs[k].url = urls[u];
			jobs[k].body = bodies[i];
			jobs[k].len = strlen(bodies[i]);
		}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	hdrs = curl_slist_append(hdrs, "User-Agent: webhooks");
	hdrs = curl_slist_append(hdrs,
	    "webhook-id: msg_0123456789abcdef0123456789abcdef01234567");
	hdrs = curl_slist_append(hdrs, "webhook-timestamp: 1700000000");
	hdrs = curl_slist_append(hdrs, "webhook-signature: "
	    "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
	hdrs = curl_slist_append(hdrs, "Expect:");
	m = curl_multi_init();
	/* The number of easy handles bounds the transfers in flight; a
	 * host connection limit would only park new transfers until
	 * libcurl's next timeout. */
	curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, conc);

	t0 = now();
	for (i = 0; i < (size_t)conc && next < njob; i++) {
		easy[i] = curl_easy_init();
		start(m, easy[i], hdrs, &jobs[next++]);
	}
	while (done < njob) {
		size_t	 finished = 0;
		long	 tmo = -1;

		if (curl_multi_perform(m, &running) != CURLM_OK) {
			fprintf(stderr, "curlref: multi error\n");
			return 1;
		}
		while ((msg = curl_multi_info_read(m, &left)) != NULL) {
			CURL	*e;

			if (msg->msg != CURLMSG_DONE)
				continue;
			e = msg->easy_handle;
			code = 0;
			curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
			if (msg->data.result != CURLE_OK || code < 200 ||
			    code > 299)
				fail++;
			done++;
			finished++;
			curl_multi_remove_handle(m, e);
			if (next < njob)
				start(m, e, hdrs, &jobs[next++]);
		}
		/* New transfers start at the next perform: no waiting then,
		 * nor when libcurl has work due now. */
		if (finished > 0 || done >= njob)
			continue;
		curl_multi_timeout(m, &tmo);
		if (tmo == 0)
			continue;
		if (tmo < 0 || tmo > 100)
			tmo = 100;
		if (curl_multi_poll(m, NULL, 0, (int)tmo, NULL) != CURLM_OK) {
			fprintf(stderr, "curlref: multi error\n");
			return 1;
		}
	}
	t1 = now();
	printf("%zu %.3f %.0f %zu\n", done, t1 - t0, (double)done / (t1 - t0),
	    fail);
	fflush(stdout);
	for (i = 0; i < (size_t)conc; i++)
		if (easy[i] != NULL)
			curl_easy_cleanup(easy[i]);
	curl_multi_cleanup(m);
	curl_slist_free_all(hdrs);
	curl_global_cleanup();
	return fail == 0 ? 0 : 1;
}
