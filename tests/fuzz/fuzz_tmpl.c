/*
 * fuzz_tmpl: template rendering with hostile values.  The admin page puts
 * values strangers chose (webhook names, urls, header names and values,
 * error messages, response bodies) into the templates/ pages; every one
 * goes through tmpl_escape, and only {{{...}}} slots (this program's own
 * fragments) are raw.
 *
 * Input: values separated by NUL bytes.  Every page of templates/ is
 * rendered by tmpl_render (as the admin page does) with each of its {{name}} slots set to one of the values and
 * each of its sections a list of two items (or a flag).
 * A value must never add markup: every '<' of the output opens a tag the
 * template itself has.  The first value is also rendered as a template of
 * its own (malformed ones must be refused with a message, not crash).
 * Any difference aborts.
 *
 * Corpus: tests/fuzz/corpus/tmpl/, values of the seed documents' example
 * webhooks and attempts, and markup, quotes and template syntax.
 * Run: make fuzz, or build/fuzz/fuzz_tmpl DIR.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tmpl.h"
#include "util.h"

#ifndef FUZZ_TEMPLATES
#define FUZZ_TEMPLATES "templates"
#endif

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const pages[] = {
	"layout.html", "login.html", "list.html", "form.html",
	"webhook.html", "delete.html", "error.html",
};
#define NPAGES	(sizeof(pages) / sizeof(pages[0]))
#define NAMES_MAX 128

struct page {
	const char *name;
	char	*text;
	char	*names[NAMES_MAX];	/* {{name}} slots */
	size_t	 nnames;
	char	*sections[NAMES_MAX];	/* {{#name}} and {{^name}} */
	size_t	 nsections;
	char	*raws[NAMES_MAX];	/* {{{name}}} */
	size_t	 nraws;
	char	*tags[NAMES_MAX];	/* "<a", "<div", "</", ...: each once */
	size_t	 ntags;
};
static struct page	 cache[NPAGES];
static int		 loaded;

static void
fail(const char *what, const char *a, const char *b)
{
	fprintf(stderr, "fuzz_tmpl: %s\n  got:  %s\n  want: %s\n", what,
	    a ? a : "(null)", b ? b : "(null)");
	abort();
}

static void
add_name(char **v, size_t *n, const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < *n; i++)
		if (strlen(v[i]) == len && memcmp(v[i], s, len) == 0)
			return;
	if (*n < NAMES_MAX)
		v[(*n)++] = xstrndup(s, len);
}

/* The length of the tag's start at p ("<div", "</", "<!"). */
static size_t
tag_len(const char *p)
{
	size_t	 n;

	for (n = 1; p[n] == '/' || p[n] == '!' || isalnum((unsigned char)p[n]);
	    n++)
		;
	return n;
}

/* The slots, sections and tags a page uses. */
static void
scan_page(struct page *pg)
{
	const char	*p = pg->text, *e;
	size_t		 n;

	while ((p = strstr(p, "{{")) != NULL) {
		int raw = p[2] == '{', kind = raw ? 0 : p[2];
		p += raw ? 3 : 2;
		if (kind == '#' || kind == '^' || kind == '/' || kind == '!')
			p++;
		if ((e = strstr(p, "}}")) == NULL)
			break;
		while (*p == ' ')
			p++;
		n = (size_t)(e - p);
		while (n > 0 && p[n - 1] == ' ')
			n--;
		if (raw)
			add_name(pg->raws, &pg->nraws, p, n);
		else if (kind == '#' || kind == '^')
			add_name(pg->sections, &pg->nsections, p, n);
		else if (kind != '/' && kind != '!')
			add_name(pg->names, &pg->nnames, p, n);
		p = e + 2;
	}
	for (p = pg->text; (p = strchr(p, '<')) != NULL; p++)
		add_name(pg->tags, &pg->ntags, p, tag_len(p));
}

static void
load(void)
{
	const char	*dir = getenv("WEBHOOKS_TEMPLATES");
	char		*path;
	FILE		*f;
	struct buf	 b;
	char		 chunk[4096];
	size_t		 i, n;

	if (dir == NULL || *dir == '\0') {
		dir = FUZZ_TEMPLATES;
		setenv("WEBHOOKS_TEMPLATES", dir, 1);
	}
	for (i = 0; i < NPAGES; i++) {
		path = xasprintf("%s/%s", dir, pages[i]);
		if ((f = fopen(path, "r")) == NULL)
			fail("cannot read a template", path, "");
		buf_init(&b);
		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			buf_add(&b, chunk, n);
		buf_putc(&b, '\0');
		fclose(f);
		free(path);
		cache[i].name = pages[i];
		cache[i].text = buf_take(&b);
		scan_page(&cache[i]);
	}
	loaded = 1;
}

/* 1 if the output's '<' at p opens a tag the page has. */
static int
known_tag(const struct page *pg, const char *p)
{
	size_t	 i, n = tag_len(p);

	for (i = 0; i < pg->ntags; i++)
		if (strlen(pg->tags[i]) == n && memcmp(pg->tags[i], p, n) == 0)
			return 1;
	return 0;
}

static void
fill(struct tmpl_data *d, const struct page *pg, char **vals, size_t nvals,
    size_t *k)
{
	size_t	 i;

	for (i = 0; i < pg->nnames; i++)
		tmpl_set(d, pg->names[i], vals[(*k)++ % nvals]);
	for (i = 0; i < pg->nraws; i++)
		tmpl_set(d, pg->raws[i], "<p>fragment</p>");
}

static void
render_page(const struct page *pg, char **vals, size_t nvals)
{
	struct tmpl_data	*d, *it;
	struct buf		 out;
	const char		*p;
	size_t			 i, j, k = 0;

	d = tmpl_data_new();
	fill(d, pg, vals, nvals, &k);
	for (i = 0; i < pg->nsections; i++) {
		/* A section that is also a slot stays a value; the others
		 * are lists or flags, by the values' lengths. */
		for (j = 0; j < pg->nnames; j++)
			if (strcmp(pg->names[j], pg->sections[i]) == 0)
				break;
		if (j < pg->nnames)
			continue;
		if (strlen(vals[(k++) % nvals]) % 3 == 0)
			tmpl_flag(d, pg->sections[i], 1);
		else
			/* Two items; a slot inside finds the root's value,
			 * but the second item's own first slot differs. */
			for (j = 0; j < 2; j++) {
				it = tmpl_add(d, pg->sections[i]);
				if (j == 1 && pg->nnames > 0)
					tmpl_set(it, pg->names[k % pg->nnames],
					    vals[k % nvals]);
				k++;
			}
	}
	buf_init(&out);
	/* As the admin page renders it: parsed once, from the cache. */
	if (tmpl_render(pg->name, d, &out) == -1)
		fail("a page of templates/ does not render", pg->name, "");
	buf_putc(&out, '\0');
	for (p = out.p; (p = strchr(p, '<')) != NULL; p++)
		if (!known_tag(pg, p) && strncmp(p, "<p>fragment</p>", 15) &&
		    strncmp(p, "</p>", 4))
			fail("a value added markup", p, "");
	buf_free(&out);
	tmpl_data_free(d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tmpl_data	*d;
	struct buf		 out;
	char			*copy, *vals[64], err[256];
	size_t			 nvals = 0, i, off = 0;

	if (size > 1 << 16)
		return 0;
	if (!loaded)
		load();
	copy = xmalloc(size + 1);
	memcpy(copy, data, size);
	copy[size] = '\0';
	while (off <= size && nvals < 64) {
		vals[nvals++] = copy + off;
		off += strlen(copy + off) + 1;
	}
	for (i = 0; i < NPAGES; i++)
		render_page(&cache[i], vals, nvals);

	/* The first value as a template, with the others as its data (two
	 * items a list: nested loops multiply). */
	d = tmpl_data_new();
	for (i = 1; i + 1 < nvals && i < 5; i += 2)
		tmpl_set(tmpl_add(d, "items"), vals[i], vals[i + 1]);
	for (i = 1; i < nvals; i++)
		tmpl_set(d, vals[i], vals[i]);
	buf_init(&out);
	err[0] = '\0';
	if (tmpl_render_string(vals[0], d, &out, err, sizeof(err)) == -1 &&
	    err[0] == '\0')
		fail("a template refused without a message", vals[0], "");
	buf_free(&out);
	tmpl_data_free(d);
	free(copy);
	return 0;
}
