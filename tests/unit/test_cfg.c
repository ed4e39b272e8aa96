/* Unit tests of cfg: the defaults, webhooks.conf, the WEBHOOKS_*
 * variables over it, and the values each refuses (base_url as a table). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cfg.h"

static void
test_cfg(void **state)
{
	struct cfg	 c;
	char		 err[256], dir[] = "/tmp/cfgtestXXXXXX", path[300];
	FILE		*f;
	size_t		 i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	setenv("WEBHOOKS_HOME", dir, 1);
	unsetenv("WEBHOOKS_ALLOW_PRIVATE");
	unsetenv("WEBHOOKS_TIMEOUT_MS");
	assert_int_equal(cfg_load(&c, err, sizeof(err)), 0);
	assert_int_equal(c.max_body, 1048576);
	assert_int_equal(c.per_page_max, 100);
	assert_int_equal(c.timeout_ms, 10000);
	assert_int_equal(c.allow_private, 0);
	assert_int_equal(c.max_requests, 0);

	snprintf(path, sizeof(path), "%s/webhooks.conf", dir);
	f = fopen(path, "w");
	fputs("# comment\ntimeout_ms = 5000\nallow_private = yes\n"
	    "max_requests = 500\n", f);
	fclose(f);
	assert_int_equal(cfg_load(&c, err, sizeof(err)), 0);
	assert_int_equal(c.timeout_ms, 5000);
	assert_int_equal(c.allow_private, 1);
	assert_int_equal(c.max_requests, 500);
	assert_true(c.retention_days == 30);
	setenv("WEBHOOKS_RETENTION_DAYS", "0.001", 1);
	assert_int_equal(cfg_load(&c, err, sizeof(err)), 0);
	assert_true(c.retention_days == 0.001);
	setenv("WEBHOOKS_RETENTION_DAYS", "0", 1);
	assert_int_equal(cfg_load(&c, err, sizeof(err)), -1);
	unsetenv("WEBHOOKS_RETENTION_DAYS");
	setenv("WEBHOOKS_MAX_REQUESTS", "-1", 1);
	assert_int_equal(cfg_load(&c, err, sizeof(err)), -1);
	unsetenv("WEBHOOKS_MAX_REQUESTS");
	setenv("WEBHOOKS_TIMEOUT_MS", "7000", 1);
	assert_int_equal(cfg_load(&c, err, sizeof(err)), 0);
	assert_int_equal(c.timeout_ms, 7000);
	setenv("WEBHOOKS_TIMEOUT_MS", "5", 1);
	assert_int_equal(cfg_load(&c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "WEBHOOKS_TIMEOUT_MS"));
	unsetenv("WEBHOOKS_TIMEOUT_MS");

	f = fopen(path, "w");
	fputs("timeout_ms = 5000\nnonsense = 1\n", f);
	fclose(f);
	assert_int_equal(cfg_load(&c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":2:"));
	f = fopen(path, "w");
	fputs("timeout_ms = 5s\n", f);
	fclose(f);
	assert_int_equal(cfg_load(&c, err, sizeof(err)), -1);

	/* A long line is one line: a 3000-byte comment is a comment (it
	 * used to be cut at 1023 bytes, its rest read as a line of its
	 * own); over 8191 bytes is refused, and so is a NUL byte. */
	{
		char	 big[9001];

		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		f = fopen(path, "w");
		fprintf(f, "# %.3000s\ntimeout_ms = 6000\n", big);
		fclose(f);
		assert_int_equal(cfg_load(&c, err, sizeof(err)), 0);
		assert_int_equal(c.timeout_ms, 6000);
		f = fopen(path, "w");
		fprintf(f, "timeout_ms = 6000\n# %s\n", big);
		fclose(f);
		assert_int_equal(cfg_load(&c, err, sizeof(err)), -1);
		assert_non_null(strstr(err, ":2: longer than 8191 bytes"));
		f = fopen(path, "w");
		fwrite("timeout_ms = 6000\0 1\n", 1, 21, f);
		fclose(f);
		assert_int_equal(cfg_load(&c, err, sizeof(err)), -1);
		assert_non_null(strstr(err, ":1: a NUL byte"));
	}

	/* base_url: an http(s) URL of host and path characters, its trailing
	 * slashes cut; nothing that would need escaping in a link. */
	{
		static const struct {
			const char	*in;
			int		 rc;
			const char	*want;
		} bu[] = {
			{ "https://hooks.example.com", 0, "https://hooks.example.com" },
			{ "http://127.0.0.1:8080/hooks/", 0, "http://127.0.0.1:8080/hooks" },
			{ "https://[::1]:8443/a/b", 0, "https://[::1]:8443/a/b" },
			{ "", 0, "" },
			{ "ftp://example.com", -1, NULL },
			{ "https://", -1, NULL },
			{ "https://example.com/a\"b", -1, NULL },
			{ "https://example.com/<x>", -1, NULL },
			{ "https://ex ample.com", -1, NULL },
			{ "https://example.com/?q=1", -1, NULL },
			{ "https://user@example.com", -1, NULL },
		};

		for (i = 0; i < sizeof(bu) / sizeof(bu[0]); i++) {
			f = fopen(path, "w");
			fprintf(f, "base_url = %s\n", bu[i].in);
			fclose(f);
			assert_int_equal(cfg_load(&c, err, sizeof(err)),
			    bu[i].rc);
			if (bu[i].rc == 0)
				assert_string_equal(c.base_url, bu[i].want);
			else
				assert_non_null(strstr(err, "base_url"));
		}
	}
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cfg),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
