/*
 * fuzz_ssrf: the URL and address checks of the SSRF guard.  A webhook's
 * url is checked when it is set (webhook_decode's URL check); the address
 * libcurl actually connects to is checked at connect time
 * (deliver_addr_refused, through deliver_addr_parse for the spellings a
 * resolver accepts).
 *
 * Input: text, used as
 *   - a webhook url ({"url": text} through webhook_decode).  A url the
 *     check accepts must be one libcurl reads the same way: its scheme
 *     http or https, no user name or password, a host;
 *   - an address in any spelling (deliver_addr_parse): one that parses is
 *     judged, and written back as text it parses and is judged the same;
 *   - raw bytes: the first 4 an IPv4 address, judged the same as when it
 *     is carried inside IPv6 (mapped, compatible, NAT64, 6to4), which the
 *     guard promises; the first 16 an IPv6 address, judged the same after
 *     a trip through its text form.
 * Any difference aborts.
 *
 * Corpus: tests/fuzz/corpus/ssrf/, the seed documents' example urls and
 * spellings of loopback and private addresses.
 * Run: make fuzz, or build/fuzz/fuzz_ssrf DIR.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "deliver.h"
#include "util.h"
#include "webhook.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what, const char *a, const char *b)
{
	fprintf(stderr, "fuzz_ssrf: %s\n  got:  %s\n  want: %s\n", what,
	    a ? a : "(null)", b ? b : "(null)");
	abort();
}

static const char *
judge6(const unsigned char a[16])
{
	struct sockaddr_in6	 in6;

	memset(&in6, 0, sizeof(in6));
	in6.sin6_family = AF_INET6;
	memcpy(in6.sin6_addr.s6_addr, a, 16);
	return deliver_addr_refused((const struct sockaddr *)&in6);
}

/* IPv4 inside IPv6 is judged as the IPv4 address. */
static void
check_v4(const uint8_t *p)
{
	static const unsigned char pre[4][12] = {
		{ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff },	/* mapped */
		{ 0 },						/* compatible */
		{ 0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0 },/* NAT64 */
		{ 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0 },	/* translated */
	};
	struct sockaddr_in	 in;
	unsigned char		 a[16];
	const char		*v4, *v6;
	char			 text[INET_ADDRSTRLEN];
	size_t			 i;

	memset(&in, 0, sizeof(in));
	in.sin_family = AF_INET;
	memcpy(&in.sin_addr.s_addr, p, 4);
	v4 = deliver_addr_refused((const struct sockaddr *)&in);
	inet_ntop(AF_INET, p, text, sizeof(text));
	for (i = 0; i < 4; i++) {
		memcpy(a, pre[i], 12);
		memcpy(a + 12, p, 4);
		v6 = judge6(a);
		if ((v6 == NULL) != (v4 == NULL))
			fail("IPv4 inside IPv6 is judged otherwise", v6, v4);
	}
	memset(a, 0, sizeof(a));
	a[0] = 0x20;
	a[1] = 0x02;
	memcpy(a + 2, p, 4);
	v6 = judge6(a);
	if ((v6 == NULL) != (v4 == NULL))
		fail("6to4 is judged otherwise than its IPv4 address", v6, v4);
	(void)text;
}

/* An address judged as bytes is judged the same after inet_ntop. */
static void
check_v6(const uint8_t *p)
{
	struct sockaddr_storage	 ss;
	const char		*a, *b;
	char			 text[INET6_ADDRSTRLEN];

	a = judge6(p);
	inet_ntop(AF_INET6, p, text, sizeof(text));
	if (deliver_addr_parse(text, &ss) == -1)
		fail("inet_ntop's text does not parse", text, "");
	b = deliver_addr_refused((const struct sockaddr *)&ss);
	if ((a == NULL) != (b == NULL))
		fail("judged otherwise as text", b, a);
}

static void
check_address(const char *s)
{
	struct sockaddr_storage	 ss, ss2;
	const char		*why, *why2;
	char			 text[INET6_ADDRSTRLEN];
	const void		*p;

	if (deliver_addr_parse(s, &ss) == -1)
		return;
	why = deliver_addr_refused((const struct sockaddr *)&ss);
	if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)
		fail("a numeric host that is not IP", s, "");
	p = ss.ss_family == AF_INET ?
	    (const void *)&((struct sockaddr_in *)&ss)->sin_addr :
	    (const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr;
	inet_ntop(ss.ss_family, p, text, sizeof(text));
	if (deliver_addr_parse(text, &ss2) == -1)
		fail("the canonical text does not parse", text, s);
	why2 = deliver_addr_refused((const struct sockaddr *)&ss2);
	if ((why == NULL) != (why2 == NULL))
		fail("judged otherwise in its canonical text", why2, why);
}

/* A url webhook_decode accepts, as libcurl reads it. */
static void
check_url(const char *s, size_t len)
{
	json_object		*body;
	struct wh_input		 in;
	struct wh_errors	 errs;
	CURLU			*u;
	char			*scheme = NULL, *host = NULL, *user = NULL,
				*pass = NULL;
	CURLUcode		 rc;

	body = json_object_new_object();
	json_object_object_add(body, "url",
	    json_object_new_string_len(s, (int)len));
	memset(&errs, 0, sizeof(errs));
	if (webhook_decode(body, 0, &in, &errs) == 0 &&
	    (in.set & WF_URL) && in.w.url != NULL) {
		u = curl_url();
		rc = curl_url_set(u, CURLUPART_URL, in.w.url, 0);
		if (rc == CURLUE_OK) {
			curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
			curl_url_get(u, CURLUPART_HOST, &host, 0);
			curl_url_get(u, CURLUPART_USER, &user, 0);
			curl_url_get(u, CURLUPART_PASSWORD, &pass, 0);
			if (scheme == NULL || (strcasecmp(scheme, "http") != 0 &&
			    strcasecmp(scheme, "https") != 0))
				fail("an accepted url has another scheme for "
				    "libcurl", scheme, in.w.url);
			if (user != NULL || pass != NULL)
				fail("an accepted url has a user for libcurl",
				    user, in.w.url);
			if (host == NULL || host[0] == '\0')
				fail("an accepted url has no host for libcurl",
				    host, in.w.url);
			/* "[::1]": the address inside the brackets. */
			if (host != NULL && host[0] == '[' &&
			    strlen(host) >= 2) {
				host[strlen(host) - 1] = '\0';
				check_address(host + 1);
			} else if (host != NULL)
				check_address(host);
		}
		curl_free(scheme);
		curl_free(host);
		curl_free(user);
		curl_free(pass);
		curl_url_cleanup(u);
	}
	webhook_input_free(&in);
	json_object_put(body);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*s;

	if (size > 4096)
		return 0;
	s = xstrndup((const char *)data, size);
	check_url(s, strlen(s));
	check_address(s);
	if (size >= 4)
		check_v4(data);
	if (size >= 16)
		check_v6(data);
	free(s);
	return 0;
}
