/*
 * tmpl: a very small template engine for the admin page, after mustache:
 *
 *	{{name}}		the value of name, HTML-escaped
 *	{{{name}}}		the value unescaped: only for fragments this
 *				program rendered itself (the layout's page body)
 *	{{#name}}...{{/name}}	a section: rendered once if name is a non-empty
 *				value, once per item if name is a list, not at
 *				all if name is missing, empty or an empty list
 *	{{^name}}...{{/name}}	the inverse: rendered only where {{#name}} is not
 *	{{! comment }}		nothing
 *
 * A name is looked up in the current item first, then outwards to the root.
 * There is no other logic: the handlers compute what the page shows.
 *
 * Templates are files in the templates directory: $WEBHOOKS_TEMPLATES, else
 * <directory of the executable>/../templates (the repository), else
 * <directory of the executable>/../../../share/webhooks/templates (`make
 * install`), else <directory of the executable>/../../templates (shared
 * hosting, the program in a subdirectory of the document root).  Each is read and checked once per process and kept.
 */
#ifndef TMPL_H
#define TMPL_H

#include <stddef.h>

#include "util.h"

/* The data model: named values and lists of items, each item itself a
 * tmpl_data.  All strings are copied in; tmpl_data_free frees the tree. */
struct tmpl_data;

struct tmpl_data *tmpl_data_new(void);
void	 tmpl_data_free(struct tmpl_data *);
/* Sets name to a copy of value (NULL: the empty string); replaces a value
 * already set. */
void	 tmpl_set(struct tmpl_data *, const char *name, const char *value);
void	 tmpl_setf(struct tmpl_data *, const char *name, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* A flag for sections: "1" when on, unset when off. */
void	 tmpl_flag(struct tmpl_data *, const char *name, int on);
/* Appends an item to the list name and returns it (owned by the parent). */
struct tmpl_data *tmpl_add(struct tmpl_data *, const char *name);

/* The one escaping writer: appends s to b with & < > " ' escaped. */
void	 tmpl_escape(struct buf *b, const char *s);

/*
 * Renders the template text with data, appending to out.  Returns 0, or -1
 * with a message in err when the template is malformed (an unclosed tag or
 * section, a bad name); out may then hold a partial page.
 */
int	 tmpl_render_string(const char *text, const struct tmpl_data *,
	    struct buf *out, char *err, size_t errlen);
/* Renders templates/<name> (a plain file name, "list.html") from the cache;
 * -1 (logged) if it cannot be read or is malformed. */
int	 tmpl_render(const char *name, const struct tmpl_data *, struct buf *out);
/* The templates directory in use (for messages); set by the first render. */
const char *tmpl_dir(void);
/* Forgets the cached templates and directory (tests). */
void	 tmpl_reset(void);

#endif /* TMPL_H */
