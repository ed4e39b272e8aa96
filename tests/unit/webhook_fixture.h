/*
 * The dialects' encoder and decoder tests' fixture (test_api_v1,
 * test_api_chatbot): a fixed webhook whose fields a seed shows, set from a
 * table row, and the check of the fields a decoder refused.
 */
#ifndef WEBHOOK_FIXTURE_H
#define WEBHOOK_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "webhook.h"

/* A fixed webhook to encode. */
struct fixture {
	const char	*name;
	const char	*url;
	const char	*hname, *hvalue;	/* one header, or NULL */
	const char	*user, *pass;		/* NULL: no basic auth */
	const char	*event;			/* NULL: every event */
	int		 active;
	const char	*err_date, *err_msg;	/* NULL: no error */
};

static void
fixture_webhook(const struct fixture *f, struct webhook *w)
{
	webhook_init(w, "team");
	memcpy(w->uuid, "0b7c1f9e-2d4a-4c3e-9f1a-5e6d7c8b9a01", 37);
	free(w->name);
	w->name = xstrdup(f->name);
	free(w->url);
	w->url = xstrdup(f->url);
	free(w->token);
	w->token = xstrdup("qwerty");
	if (f->hname != NULL) {
		w->headers = xcalloc(1, sizeof(*w->headers));
		w->headers[0].name = xstrdup(f->hname);
		w->headers[0].value = xstrdup(f->hvalue);
		w->nheaders = 1;
	}
	if (f->user != NULL) {
		w->auth_user = xstrdup(f->user);
		w->auth_pass = xstrdup(f->pass);
	}
	if (f->event != NULL) {
		free(w->events[0]);
		w->events[0] = xstrdup(f->event);
	}
	w->active = f->active;
	if (f->err_date != NULL) {
		w->error_date = xstrdup(f->err_date);
		w->error_msg = xstrdup(f->err_msg);
	}
	w->created_at = 1515764440260LL;	/* 2018-01-12T13:40:40.260Z */
	w->updated_at = 1515764441000LL;
}

/* 1 if every comma-separated field of want is named in errs, and errs
 * names no other. */
static int
same_fields(const struct wh_errors *errs, const char *want)
{
	char	 buf[512], *f, *save;
	size_t	 n = 0, i;

	snprintf(buf, sizeof(buf), "%s", want);
	for (f = strtok_r(buf, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < errs->n; i++)
			if (strcmp(errs->e[i].field, f) == 0)
				break;
		if (i == errs->n)
			return 0;
		n++;
	}
	return n == errs->n;
}

#endif /* WEBHOOK_FIXTURE_H */
