/*
 * tmpl: templates parsed once into a tree of nodes (text, value, raw value,
 * section, inverted section) and rendered against a tree of named values
 * and lists.  Every value goes out through tmpl_escape unless the template
 * says {{{name}}}.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "tmpl.h"

#define TMPL_NAME_MAX	64	/* a slot's name */
#define TMPL_DEPTH_MAX	16	/* nested sections */
#define TMPL_FILE_MAX	(256 * 1024)

/* ---- the data model ------------------------------------------------- */

struct tmpl_var {
	char		 *name;
	char		 *value;	/* NULL when a list */
	struct tmpl_data **items;
	size_t		  nitems;
};

struct tmpl_data {
	struct tmpl_var	*v;
	size_t		 n;
	size_t		 cap;
};

struct tmpl_data *
tmpl_data_new(void)
{
	return xcalloc(1, sizeof(struct tmpl_data));
}

void
tmpl_data_free(struct tmpl_data *d)
{
	size_t	 i, j;

	if (d == NULL)
		return;
	for (i = 0; i < d->n; i++) {
		free(d->v[i].name);
		free(d->v[i].value);
		for (j = 0; j < d->v[i].nitems; j++)
			tmpl_data_free(d->v[i].items[j]);
		free(d->v[i].items);
	}
	free(d->v);
	free(d);
}

/* The variable called name in d, created (empty) when create is set. */
static struct tmpl_var *
var_get(const struct tmpl_data *d, const char *name, size_t len, int create)
{
	struct tmpl_data	*w;
	size_t			 i;

	for (i = 0; i < d->n; i++)
		if (strlen(d->v[i].name) == len &&
		    memcmp(d->v[i].name, name, len) == 0)
			return &d->v[i];
	if (!create)
		return NULL;
	w = (struct tmpl_data *)d;
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 8;
		w->v = xrealloc(w->v, w->cap * sizeof(*w->v));
	}
	memset(&w->v[w->n], 0, sizeof(w->v[w->n]));
	w->v[w->n].name = xstrndup(name, len);
	return &w->v[w->n++];
}

void
tmpl_set(struct tmpl_data *d, const char *name, const char *value)
{
	struct tmpl_var	*v = var_get(d, name, strlen(name), 1);
	size_t		 j;

	for (j = 0; j < v->nitems; j++)
		tmpl_data_free(v->items[j]);
	free(v->items);
	v->items = NULL;
	v->nitems = 0;
	free(v->value);
	v->value = xstrdup(value != NULL ? value : "");
}

void
tmpl_setf(struct tmpl_data *d, const char *name, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		log_panic("tmpl_setf: out of memory");
	va_end(ap);
	tmpl_set(d, name, s);
	free(s);
}

void
tmpl_flag(struct tmpl_data *d, const char *name, int on)
{
	tmpl_set(d, name, on ? "1" : "");
}

struct tmpl_data *
tmpl_add(struct tmpl_data *d, const char *name)
{
	struct tmpl_var	*v = var_get(d, name, strlen(name), 1);

	free(v->value);
	v->value = NULL;
	v->items = xrealloc(v->items, (v->nitems + 1) * sizeof(*v->items));
	v->items[v->nitems] = tmpl_data_new();
	return v->items[v->nitems++];
}

void
tmpl_escape(struct buf *b, const char *s)
{
	const char	*run = s;

	for (; *s != '\0'; s++) {
		const char *rep;
		switch (*s) {
		case '&':  rep = "&amp;"; break;
		case '<':  rep = "&lt;"; break;
		case '>':  rep = "&gt;"; break;
		case '"':  rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default:   continue;
		}
		buf_add(b, run, (size_t)(s - run));
		buf_puts(b, rep);
		run = s + 1;
	}
	buf_add(b, run, (size_t)(s - run));
}

/* ---- parsing ---------------------------------------------------------- */

enum node_type { N_TEXT, N_VALUE, N_RAW, N_SECTION, N_INVERTED };

struct node {
	enum node_type	 type;
	char		*text;		/* the text, or the slot's name */
	size_t		 len;
	struct node	*kids;		/* a section's body */
	size_t		 nkids;
};

struct nodes {
	struct node	*v;
	size_t		 n;
};

static void
nodes_free(struct node *v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(v[i].text);
		nodes_free(v[i].kids, v[i].nkids);
	}
	free(v);
}

static struct node *
nodes_push(struct nodes *ns, enum node_type t, const char *text, size_t len)
{
	struct node	*nd;

	ns->v = xrealloc(ns->v, (ns->n + 1) * sizeof(*ns->v));
	nd = &ns->v[ns->n++];
	memset(nd, 0, sizeof(*nd));
	nd->type = t;
	nd->text = xstrndup(text, len);
	nd->len = len;
	return nd;
}

/* Trims spaces around [*s, *e) and checks that what remains is a name. */
static int
tag_name(const char **s, const char **e)
{
	const char	*p;

	while (*s < *e && (**s == ' ' || **s == '\t'))
		(*s)++;
	while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t'))
		(*e)--;
	if (*e == *s || *e - *s > TMPL_NAME_MAX)
		return -1;
	for (p = *s; p < *e; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' ||
		    *p == '.'))
			return -1;
	return 0;
}

/* The line of p in text, for messages. */
static int
line_of(const char *text, const char *p)
{
	int	 n = 1;

	for (; text < p; text++)
		if (*text == '\n')
			n++;
	return n;
}

/*
 * Parses from *p until the end of the text (close == NULL) or the
 * {{/close}} that ends the section.  Appends to ns.
 */
static int
parse(const char *text, const char **p, const char *close, size_t closelen,
    int depth, struct nodes *ns, char *err, size_t errlen)
{
	const char	*open, *s, *e, *end;
	struct node	*nd;
	struct nodes	 kids;
	int		 raw;

	for (;;) {
		open = strstr(*p, "{{");
		if (open == NULL) {
			if (close != NULL) {
				snprintf(err, errlen, "line %d: section %.*s "
				    "is not closed", line_of(text, *p),
				    (int)closelen, close);
				return -1;
			}
			if (**p != '\0')
				nodes_push(ns, N_TEXT, *p, strlen(*p));
			*p += strlen(*p);
			return 0;
		}
		if (open > *p)
			nodes_push(ns, N_TEXT, *p, (size_t)(open - *p));
		raw = open[2] == '{';
		s = open + (raw ? 3 : 2);
		if ((end = strstr(s, raw ? "}}}" : "}}")) == NULL) {
			snprintf(err, errlen, "line %d: tag is not closed",
			    line_of(text, open));
			return -1;
		}
		*p = end + (raw ? 3 : 2);
		e = end;
		if (!raw && *s == '!')
			continue;
		if (!raw && (*s == '#' || *s == '^' || *s == '/')) {
			char kind = *s++;
			if (tag_name(&s, &e) == -1)
				goto badname;
			if (kind == '/') {
				if (close == NULL || (size_t)(e - s) != closelen ||
				    memcmp(s, close, closelen) != 0) {
					snprintf(err, errlen, "line %d: {{/%.*s}} "
					    "closes no open section",
					    line_of(text, open), (int)(e - s), s);
					return -1;
				}
				return 0;
			}
			if (depth >= TMPL_DEPTH_MAX) {
				snprintf(err, errlen, "line %d: sections nested "
				    "too deep", line_of(text, open));
				return -1;
			}
			memset(&kids, 0, sizeof(kids));
			if (parse(text, p, s, (size_t)(e - s), depth + 1, &kids,
			    err, errlen) == -1) {
				nodes_free(kids.v, kids.n);
				return -1;
			}
			nd = nodes_push(ns, kind == '#' ? N_SECTION : N_INVERTED,
			    s, (size_t)(e - s));
			nd->kids = kids.v;
			nd->nkids = kids.n;
			continue;
		}
		if (tag_name(&s, &e) == -1)
			goto badname;
		nodes_push(ns, raw ? N_RAW : N_VALUE, s, (size_t)(e - s));
	}
badname:
	snprintf(err, errlen, "line %d: bad tag %.*s", line_of(text, open),
	    (int)(*p - open) > 80 ? 80 : (int)(*p - open), open);
	return -1;
}

/* ---- rendering -------------------------------------------------------- */

/* The variable name in the innermost item that has it. */
static const struct tmpl_var *
lookup(const struct tmpl_data **stack, int depth, const struct node *nd)
{
	const struct tmpl_var	*v;
	int			 i;

	for (i = depth - 1; i >= 0; i--)
		if ((v = var_get(stack[i], nd->text, nd->len, 0)) != NULL)
			return v;
	return NULL;
}

static int
truthy(const struct tmpl_var *v)
{
	return v != NULL && (v->nitems > 0 ||
	    (v->value != NULL && v->value[0] != '\0'));
}

static void
render(const struct node *v, size_t n, const struct tmpl_data **stack,
    int depth, struct buf *out)
{
	const struct tmpl_var	*var;
	size_t			 i, j;

	for (i = 0; i < n; i++) {
		const struct node *nd = &v[i];
		switch (nd->type) {
		case N_TEXT:
			buf_add(out, nd->text, nd->len);
			break;
		case N_VALUE:
		case N_RAW:
			var = lookup(stack, depth, nd);
			if (var == NULL || var->value == NULL)
				break;
			if (nd->type == N_RAW)
				buf_puts(out, var->value);
			else
				tmpl_escape(out, var->value);
			break;
		case N_SECTION:
			var = lookup(stack, depth, nd);
			if (!truthy(var))
				break;
			if (var->nitems == 0) {
				render(nd->kids, nd->nkids, stack, depth, out);
				break;
			}
			/* depth < TMPL_DEPTH_MAX + 1: checked by parse. */
			for (j = 0; j < var->nitems; j++) {
				stack[depth] = var->items[j];
				render(nd->kids, nd->nkids, stack, depth + 1,
				    out);
			}
			break;
		case N_INVERTED:
			if (!truthy(lookup(stack, depth, nd)))
				render(nd->kids, nd->nkids, stack, depth, out);
			break;
		}
	}
}

static void
render_tree(const struct nodes *ns, const struct tmpl_data *d,
    struct buf *out)
{
	const struct tmpl_data	*stack[TMPL_DEPTH_MAX + 2];
	struct tmpl_data	*empty = NULL;

	if (d == NULL)
		d = empty = tmpl_data_new();
	stack[0] = d;
	render(ns->v, ns->n, stack, 1, out);
	tmpl_data_free(empty);
	/* An empty page still makes out->p a string. */
	buf_add(out, "", 0);
}

int
tmpl_render_string(const char *text, const struct tmpl_data *d,
    struct buf *out, char *err, size_t errlen)
{
	struct nodes	 ns;
	const char	*p = text;

	memset(&ns, 0, sizeof(ns));
	if (parse(text, &p, NULL, 0, 0, &ns, err, errlen) == -1) {
		nodes_free(ns.v, ns.n);
		return -1;
	}
	render_tree(&ns, d, out);
	nodes_free(ns.v, ns.n);
	return 0;
}

/* ---- the template files ---------------------------------------------- */

static struct cached {
	char		*name;
	struct nodes	 ns;
}		*cache;
static size_t	 ncache;
static char	*dir;

const char *
tmpl_dir(void)
{
	char	 exe[PATH_MAX], *slash;
	ssize_t	 n;
	const char *env;

	if (dir != NULL)
		return dir;
	if ((env = getenv("WEBHOOKS_TEMPLATES")) != NULL && *env != '\0')
		dir = xstrdup(env);
	else if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL)
			*slash = '\0';
		/* The repository: cgi-bin/../templates.  Else `make
		 * install`'s layout: PREFIX/lib/webhooks/cgi-bin and
		 * PREFIX/share/webhooks/templates.  Else shared hosting in a
		 * subdirectory: public_html/hooks/../../templates. */
		dir = xasprintf("%s/../templates", exe);
		if (access(dir, R_OK | X_OK) == -1) {
			free(dir);
			dir = xasprintf("%s/../../../share/webhooks/templates",
			    exe);
		}
		if (access(dir, R_OK | X_OK) == -1) {
			free(dir);
			dir = xasprintf("%s/../../templates", exe);
		}
		if (access(dir, R_OK | X_OK) == -1) {
			free(dir);
			dir = xasprintf("%s/../templates", exe);
		}
	} else
		dir = xstrdup("templates");
	return dir;
}

void
tmpl_reset(void)
{
	size_t	 i;

	for (i = 0; i < ncache; i++) {
		free(cache[i].name);
		nodes_free(cache[i].ns.v, cache[i].ns.n);
	}
	free(cache);
	cache = NULL;
	ncache = 0;
	free(dir);
	dir = NULL;
}

/* Reads and parses templates/name into the cache. */
static const struct nodes *
load(const char *name)
{
	struct buf	 b;
	char		*path, chunk[8192], err[256];
	const char	*p;
	struct nodes	 ns;
	FILE		*f;
	size_t		 i, n;

	for (i = 0; i < ncache; i++)
		if (strcmp(cache[i].name, name) == 0)
			return &cache[i].ns;
	/* A plain file name: the handlers pass constants, but be strict. */
	if (name[0] == '.' || strchr(name, '/') != NULL)
		log_panic("tmpl_render: bad template name %s", name);
	path = xasprintf("%s/%s", tmpl_dir(), name);
	if ((f = fopen(path, "r")) == NULL) {
		log_warn("tmpl_render: %s: %s", path, strerror(errno));
		free(path);
		return NULL;
	}
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 &&
	    b.len <= TMPL_FILE_MAX)
		buf_add(&b, chunk, n);
	buf_add(&b, "", 0);
	if (ferror(f) || b.len > TMPL_FILE_MAX) {
		log_warn("tmpl_render: %s: cannot read it whole", path);
		goto fail;
	}
	memset(&ns, 0, sizeof(ns));
	p = b.p;
	if (parse(b.p, &p, NULL, 0, 0, &ns, err, sizeof(err)) == -1) {
		log_warn("tmpl_render: %s: %s", path, err);
		nodes_free(ns.v, ns.n);
		goto fail;
	}
	fclose(f);
	free(path);
	buf_free(&b);
	cache = xrealloc(cache, (ncache + 1) * sizeof(*cache));
	cache[ncache].name = xstrdup(name);
	cache[ncache].ns = ns;
	return &cache[ncache++].ns;
fail:
	fclose(f);
	free(path);
	buf_free(&b);
	return NULL;
}

int
tmpl_render(const char *name, const struct tmpl_data *d, struct buf *out)
{
	const struct nodes	*ns;

	if ((ns = load(name)) == NULL)
		return -1;
	render_tree(ns, d, out);
	return 0;
}
