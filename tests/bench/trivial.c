/*
 * trivial: the reference FastCGI responder for benchmarks and config tests.
 * Answers every request with the same 300-byte JSON body, as fast as libfcgi
 * allows.  Run as plain CGI (FCGX_IsCGI: stdin is not a listening socket)
 * it answers the one request on stdout, its body drained from stdin, as
 * the program does (bench.mjs's cgi section compares the two).
 * Build: gcc -O2 -o /tmp/trivial tests/bench/trivial.c -lfcgi
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

#define BODY_LEN 300

int
main(void)
{
	static char	 body[BODY_LEN + 1];
	FCGX_Request	 r;
	const char	*head = "{\"data\":{\"name\":\"trivial\",\"padding\":\"";
	const char	*tail = "\"}}";
	size_t		 i, hl = strlen(head), tl = strlen(tail);

	memcpy(body, head, hl);
	for (i = hl; i < BODY_LEN - tl; i++)
		body[i] = 'x';
	memcpy(body + BODY_LEN - tl, tail, tl);
	body[BODY_LEN] = '\0';

	if (FCGX_IsCGI()) {
		char	 buf[4096];

		while (read(STDIN_FILENO, buf, sizeof(buf)) > 0)
			;
		printf("Status: 200 OK\r\n"
		    "Content-Type: application/json\r\n"
		    "Content-Length: %d\r\n\r\n%s", BODY_LEN, body);
		return 0;
	}
	if (FCGX_Init() != 0 || FCGX_InitRequest(&r, 0, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&r) >= 0) {
		char	 buf[4096];
		/* Drain the body so the server never waits on us. */
		while (FCGX_GetStr(buf, sizeof(buf), r.in) > 0)
			;
		FCGX_FPrintF(r.out, "Status: 200 OK\r\n"
		    "Content-Type: application/json\r\n"
		    "Content-Length: %d\r\n\r\n", BODY_LEN);
		FCGX_PutStr(body, BODY_LEN, r.out);
		FCGX_Finish_r(&r);
	}
	return 0;
}
