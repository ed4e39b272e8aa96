/*
 * api_svix_msg: the Svix dialect's messages (src/model/message.h): create,
 * get (by id or eventId), list, expunge its content, send an event type's
 * example to one endpoint; their attempts, an endpoint's attempted
 * messages and a message's attempted endpoints; resend, stats, recover.
 * A message is an event of the spool, so its deliveries, retries and
 * attempts are the service's own.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "api_svix_int.h"
#include "endpoint.h"
#include "event.h"
#include "event_type.h"
#include "log.h"
#include "message.h"

static void
msg_answer(struct api_ctx *c, int status, struct message *m, int content)
{
	api_json(c, status, message_to_json(m, content));
	message_free(m);
}

/* with_content: true unless the query says false. */
static int
msg_with_content(struct api_ctx *c)
{
	char	 v[8];

	return http_query(c->req, "with_content", v, sizeof(v)) != 0 ||
	    (strcmp(v, "false") != 0 && strcmp(v, "0") != 0);
}

void
svix_msg_create(struct api_ctx *c)
{
	struct wh_errors errs;
	struct message	 m;
	struct spool	*sp;
	int		 rc;

	memset(&errs, 0, sizeof(errs));
	if ((sp = api_ctx_spool(c)) == NULL) {
		svix_fail(c, STORE_ERR, NULL);
		return;
	}
	rc = message_create(c->st, sp, c->auth.team, c->params[0], c->body,
	    &m, &errs);
	if (rc == STORE_EXISTS) {
		svix_error(c, 409, "A message with this eventId already "
		    "exists.", NULL);
		return;
	}
	if (svix_fail(c, rc, &errs))
		return;
	log_info("svix_msg_create: team %s: application %s: message %s (%s)",
	    c->auth.team, m.app, m.id, m.event_type);
	msg_answer(c, 202, &m, msg_with_content(c));
}

void
svix_msg_get(struct api_ctx *c)
{
	struct message	 m;

	if (!svix_fail(c, message_get(c->st, c->auth.team, c->params[0],
	    c->params[1], &m), NULL))
		msg_answer(c, 200, &m, msg_with_content(c));
}

/* An RFC 3339 date ("2024-01-02T03:04:05[.123](Z|+hh:mm)") as ms, or -1. */
static int64_t
msg_date(const char *s)
{
	struct tm	 tm;
	int		 y, mo, d, h, mi, sec, n = 0, oh, om;
	int64_t		 ms = 0, scale = 100, t;
	const char	*p;

	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec,
	    &n) != 6 || n == 0)
		return -1;
	p = s + n;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
			ms += (*p - '0') * scale;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60 || (t = (int64_t)timegm(&tm)) == -1)
		return -1;
	t = t * 1000 + ms;
	if (strcmp(p, "Z") == 0 || strcmp(p, "z") == 0)
		return t;
	if ((p[0] == '+' || p[0] == '-' || p[0] == ' ') &&
	    sscanf(p + 1, "%2d:%2d", &oh, &om) == 2 && strlen(p) == 6)
		return p[0] == '-' ? t + (oh * 60 + om) * 60000LL :
		    t - (oh * 60 + om) * 60000LL;
	return -1;
}

/* A date of the query into *ms (0 when absent): 0, or -1 with errs. */
static int
msg_query_date(struct api_ctx *c, const char *name, int64_t *ms,
    struct wh_errors *errs)
{
	char	 v[64], field[32];

	*ms = 0;
	if (http_query(c->req, name, v, sizeof(v)) != 0) {
		if (!svix_query_has(c, name))
			return 0;
		v[0] = '\0';
	}
	if ((*ms = msg_date(v)) == -1) {
		snprintf(field, sizeof(field), "query/%s", name);
		webhook_error(errs, field, "invalid datetime format");
		*ms = 0;
		return -1;
	}
	return 0;
}

/*
 * The query's message filter (channel, event_types, before, after) into
 * f, its strings in channel and types (which the caller keeps while f is
 * used; free f->types): 0, or -1 with a 422 answered.
 */
static int
msg_query_filter(struct api_ctx *c, struct message_filter *f, char *channel,
    size_t channellen, char *types, size_t typeslen)
{
	struct wh_errors errs;
	char		*p, *save;

	memset(&errs, 0, sizeof(errs));
	memset(f, 0, sizeof(*f));
	if (http_query(c->req, "channel", channel, channellen) == 0)
		f->channel = channel;
	if (http_query(c->req, "event_types", types, typeslen) == 0)
		for (p = strtok_r(types, ",", &save); p != NULL;
		    p = strtok_r(NULL, ",", &save)) {
			f->types = xrealloc(f->types, (f->ntypes + 1) *
			    sizeof(char *));
			f->types[f->ntypes++] = p;
		}
	(void)msg_query_date(c, "before", &f->before_ms, &errs);
	(void)msg_query_date(c, "after", &f->after_ms, &errs);
	if (errs.count > 0) {
		svix_error(c, 422, "", &errs);
		free(f->types);
		f->types = NULL;
		return -1;
	}
	return 0;
}

void
svix_msg_list(struct api_ctx *c)
{
	struct message_filter	 f;
	struct message		*ms;
	json_object		*j, *d;
	char			 iter[APP_ID_MAX + 2], channel[160];
	char			 types[2048];
	size_t			 limit, n, i;
	int			 desc, more, back, content;

	if (svix_list_params(c, &limit, iter, sizeof(iter), &desc) == -1)
		return;
	/* Svix lists messages newest first unless asked otherwise. */
	if (!svix_query_has(c, "order"))
		desc = 1;
	if (msg_query_filter(c, &f, channel, sizeof(channel), types,
	    sizeof(types)) == -1)
		return;
	back = iter[0] == '-';
	content = msg_with_content(c);
	if (svix_fail(c, message_list(c->st, c->auth.team, c->params[0],
	    iter[0] ? iter : NULL, desc, limit, &f, &ms, &n, &more), NULL)) {
		free(f.types);
		return;
	}
	free(f.types);
	d = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(d, message_to_json(&ms[i], content));
	j = svix_list_page(d, n > 0 ? ms[0].id : NULL, n > 0 ?
	    ms[n - 1].id : NULL, back, more);
	for (i = 0; i < n; i++)
		message_free(&ms[i]);
	free(ms);
	api_json(c, 200, j);
}

/* DELETE /app/{app}/msg/{msg}/content: 204; the payload is gone. */
void
svix_msg_expunge(struct api_ctx *c)
{
	struct spool	*sp;
	size_t		 n;

	if ((sp = api_ctx_spool(c)) == NULL) {
		svix_fail(c, STORE_ERR, NULL);
		return;
	}
	if (svix_fail(c, message_expunge(c->st, sp, c->auth.team,
	    c->params[0], c->params[1], &n), NULL))
		return;
	log_info("svix_msg_expunge: team %s: application %s: message %s: "
	    "content removed, %zu spool files withdrawn", c->auth.team,
	    c->params[0], c->params[1], n);
	api_json(c, 204, NULL);
}

/* ---- send-example ------------------------------------------------------- */

/* POST /app/{app}/endpoint/{ep}/send-example {eventType, exampleIndex?}:
 * the type's example as a message to that endpoint alone; MessageOut. */
void
svix_send_example(struct api_ctx *c)
{
	struct wh_errors errs;
	struct evtype	 e;
	struct message	 m;
	struct spool	*sp;
	json_object	*v, *payload = NULL;
	const char	*type = NULL;
	int64_t		 index = 0;
	int		 rc;

	memset(&errs, 0, sizeof(errs));
	memset(&e, 0, sizeof(e));
	if (c->body == NULL || !json_object_is_type(c->body, json_type_object))
		webhook_error(&errs, "body", "value is not a valid dict");
	else {
		if (!json_object_object_get_ex(c->body, "eventType", &v) ||
		    v == NULL)
			webhook_error(&errs, "eventType", "field required");
		else if (!json_object_is_type(v, json_type_string) ||
		    !event_type_ok(json_object_get_string(v),
		    (size_t)json_object_get_string_len(v)))
			webhook_error(&errs, "eventType", "must be %s",
			    EVENT_TYPE_RULE);
		else
			type = json_object_get_string(v);
		if (json_object_object_get_ex(c->body, "exampleIndex", &v) &&
		    v != NULL && (!json_object_is_type(v, json_type_int) ||
		    (index = json_object_get_int64(v)) < 0 ||
		    index > INT32_MAX))
			webhook_error(&errs, "exampleIndex", "must be an "
			    "integer, at least 0");
	}
	if (errs.count > 0) {
		svix_error(c, 422, "", &errs);
		return;
	}
	if (strcmp(type, "svix.ping") == 0) {
		/* Svix's ping: no event type needed. */
		payload = json_object_new_object();
		json_object_object_add(payload, "success",
		    json_object_new_boolean(1));
	} else {
		if (svix_fail(c, evtype_get(c->st, c->auth.team, type, &e),
		    NULL))
			return;
		if ((v = evtype_example(&e, (size_t)index)) == NULL) {
			evtype_free(&e);
			svix_error_code(c, 400, "invalid_scheme", "Unable to "
			    "generate example message from event-type schema",
			    NULL);
			return;
		}
		payload = json_object_get(v);
		evtype_free(&e);
	}
	if ((sp = api_ctx_spool(c)) == NULL) {
		json_object_put(payload);
		svix_fail(c, STORE_ERR, NULL);
		return;
	}
	rc = message_send_to(c->st, sp, c->auth.team, c->params[0],
	    c->params[1], type, payload, &m);
	json_object_put(payload);
	if (svix_fail(c, rc, NULL))
		return;
	log_info("svix_send_example: team %s: application %s: endpoint %s: "
	    "message %s (%s)", c->auth.team, m.app, c->params[1], m.id,
	    m.event_type);
	/* Svix answers it without its content. */
	msg_answer(c, 200, &m, 0);
}

/* ---- attempted messages and destinations -------------------------------- */

/* Svix's MessageStatusText of a MessageStatus. */
static const char *
msg_status_text(int status)
{
	static const char *const text[] = { "success", "pending", "fail",
	    "sending" };

	return status >= 0 && status <= 3 ? text[status] : "fail";
}

/* The query's status (0..3) into *want (-1 when absent): 0, or -1 with a
 * 422 answered. */
static int
msg_query_status(struct api_ctx *c, int *want)
{
	struct wh_errors errs;
	char		 st[8], *end;
	long		 v;

	*want = -1;
	if (http_query(c->req, "status", st, sizeof(st)) != 0)
		return 0;
	v = strtol(st, &end, 10);
	if (end == st || *end != '\0' || v < 0 || v > 3) {
		memset(&errs, 0, sizeof(errs));
		webhook_error(&errs, "query/status", "must be 0, 1, 2 or 3");
		svix_error(c, 422, "", &errs);
		return -1;
	}
	*want = (int)v;
	return 0;
}

/* GET /app/{app}/endpoint/{ep}/msg: EndpointMessageOut, newest first. */
void
svix_attempted_msgs(struct api_ctx *c)
{
	struct wh_errors	 errs;
	struct message_filter	 f;
	struct msg_attempted	*v;
	json_object		*j, *d, *one;
	char			 iter[APP_ID_MAX + 2], channel[160];
	char			 types[2048];
	size_t			 limit, n, i;
	int			 desc, more, content, status, rc;

	if (svix_list_params(c, &limit, iter, sizeof(iter), &desc) == -1 ||
	    msg_query_status(c, &status) == -1)
		return;
	if (msg_query_filter(c, &f, channel, sizeof(channel), types,
	    sizeof(types)) == -1)
		return;
	content = msg_with_content(c);
	memset(&errs, 0, sizeof(errs));
	rc = message_attempted(c->st, c->auth.team, c->params[0], c->params[1],
	    iter[0] ? iter : NULL, limit, &f, status, &v, &n, &more, &errs);
	free(f.types);
	if (svix_fail(c, rc, &errs))
		return;
	d = json_object_new_array();
	for (i = 0; i < n; i++) {
		one = message_to_json(&v[i].m, content);
		json_object_object_add(one, "status",
		    json_object_new_int(v[i].status));
		json_object_object_add(one, "statusText",
		    json_object_new_string(msg_status_text(v[i].status)));
		if (v[i].next[0] != '\0')	/* Svix leaves it out */
			json_object_object_add(one, "nextAttempt",
			    json_object_new_string(v[i].next));
		json_object_array_add(d, one);
	}
	j = svix_list_page(d, n > 0 ? v[0].m.id : NULL, n > 0 ?
	    v[n - 1].m.id : NULL, iter[0] == '-', more);
	message_attempted_free(v, n);
	api_json(c, 200, j);
}

/* GET /app/{app}/msg/{msg}/endpoint: MessageEndpointOut, by endpoint id. */
void
svix_attempted_destinations(struct api_ctx *c)
{
	struct wh_errors	 errs;
	struct msg_attempted	*v;
	json_object		*j, *d, *one;
	char			 iter[APP_ID_MAX + 2];
	char			 first[APP_ID_MAX + 1], last[APP_ID_MAX + 1];
	size_t			 limit, n, i;
	int			 desc, more;

	if (svix_list_params(c, &limit, iter, sizeof(iter), &desc) == -1)
		return;
	memset(&errs, 0, sizeof(errs));
	if (svix_fail(c, message_destinations(c->st, c->auth.team,
	    c->params[0], c->params[1], iter[0] ? iter : NULL, limit, &v, &n,
	    &more, &errs), &errs))
		return;
	d = json_object_new_array();
	for (i = 0; i < n; i++) {
		/* EndpointOut without its metadata. */
		one = endpoint_to_json(&v[i].w);
		json_object_object_del(one, "metadata");
		json_object_object_add(one, "status",
		    json_object_new_int(v[i].status));
		json_object_object_add(one, "statusText",
		    json_object_new_string(msg_status_text(v[i].status)));
		json_object_object_add(one, "nextAttempt", v[i].next[0] !=
		    '\0' ? json_object_new_string(v[i].next) : NULL);
		json_object_array_add(d, one);
	}
	if (n > 0) {
		endpoint_id(&v[0].w, first);
		endpoint_id(&v[n - 1].w, last);
	}
	j = svix_list_page(d, n > 0 ? first : NULL, n > 0 ? last : NULL,
	    iter[0] == '-', more);
	message_attempted_free(v, n);
	api_json(c, 200, j);
}

/* ---- attempts ----------------------------------------------------------- */

/*
 * A page of all (Svix's MessageAttemptOut, newest first; taken over): the
 * iterator is an offset into the list ("-" and an offset: the page that
 * ends there), as the attempt log pages by offset.  The query's status
 * (0..3) keeps only those.
 */
static void
svix_attempt_page(struct api_ctx *c, json_object *all)
{
	struct wh_errors errs;
	json_object	*d, *a, *v;
	char		 iter[APP_ID_MAX + 2], first[24], last[24], *end;
	size_t		 limit, total, i, from, to;
	long		 off;
	int		 desc, back, want;

	if (svix_list_params(c, &limit, iter, sizeof(iter), &desc) == -1 ||
	    msg_query_status(c, &want) == -1) {
		json_object_put(all);
		return;
	}
	memset(&errs, 0, sizeof(errs));
	if (want >= 0) {
		d = json_object_new_array();
		for (i = 0; i < json_object_array_length(all); i++) {
			a = json_object_array_get_idx(all, i);
			if (json_object_object_get_ex(a, "status", &v) &&
			    json_object_get_int(v) == want)
				json_object_array_add(d, json_object_get(a));
		}
		json_object_put(all);
		all = d;
	}
	back = iter[0] == '-';
	off = iter[0] != '\0' ? strtol(iter + back, &end, 10) : 0;
	if (iter[0] != '\0' && (*end != '\0' || off < 0)) {
		webhook_error(&errs, "query/iterator", "not an iterator of "
		    "this list");
		svix_error(c, 422, "", &errs);
		json_object_put(all);
		return;
	}
	total = json_object_array_length(all);
	if ((size_t)off > total)
		off = (long)total;
	if (back) {
		to = (size_t)off;
		from = to > limit ? to - limit : 0;
	} else {
		from = (size_t)off;
		to = from + limit < total ? from + limit : total;
	}
	d = json_object_new_array();
	for (i = from; i < to; i++)
		json_object_array_add(d, json_object_get(
		    json_object_array_get_idx(all, i)));
	json_object_put(all);
	snprintf(first, sizeof(first), "%zu", from);
	snprintf(last, sizeof(last), "%zu", to);
	api_json(c, 200, svix_list_page(d, to > from ? first : NULL,
	    to > from ? last : NULL, back, to < total));
}

/* GET /app/{app}/attempt/endpoint/{ep} */
void
svix_attempt_by_endpoint(struct api_ctx *c)
{
	json_object	*all;

	if (!svix_fail(c, message_attempts(c->st, c->auth.team, c->params[0],
	    NULL, c->params[1], NULL, &all), NULL))
		svix_attempt_page(c, all);
}

/* GET /app/{app}/attempt/msg/{msg} (?endpoint_id= keeps one endpoint's) */
void
svix_attempt_by_msg(struct api_ctx *c)
{
	json_object	*all;
	char		 ep[APP_ID_MAX + 1];
	int		 has_ep;

	has_ep = http_query(c->req, "endpoint_id", ep, sizeof(ep)) == 0;
	if (!svix_fail(c, message_attempts(c->st, c->auth.team, c->params[0],
	    c->params[1], has_ep ? ep : NULL, NULL, &all), NULL))
		svix_attempt_page(c, all);
}

/* GET /app/{app}/msg/{msg}/attempt/{attempt} */
void
svix_attempt_get(struct api_ctx *c)
{
	json_object	*all;

	if (svix_fail(c, message_attempts(c->st, c->auth.team, c->params[0],
	    c->params[1], NULL, c->params[2], &all), NULL))
		return;
	if (json_object_array_length(all) == 0) {
		json_object_put(all);
		svix_fail(c, STORE_NOTFOUND, NULL);
		return;
	}
	api_json(c, 200, json_object_get(json_object_array_get_idx(all, 0)));
	json_object_put(all);
}

/* POST /app/{app}/msg/{msg}/endpoint/{ep}/resend: 202 {} */
void
svix_resend(struct api_ctx *c)
{
	struct spool	*sp;
	int		 rc;

	if ((sp = api_ctx_spool(c)) == NULL) {
		svix_fail(c, STORE_ERR, NULL);
		return;
	}
	rc = message_resend(c->st, sp, c->auth.team, c->params[0],
	    c->params[1], c->params[2]);
	if (rc == MSG_EXPUNGED) {
		svix_error_code(c, 400, "missing_payload", "Unable to resend "
		    "message. Payload is missing (probably expired).", NULL);
		return;
	}
	if (svix_fail(c, rc, NULL))
		return;
	log_info("svix_resend: team %s: application %s: message %s to %s",
	    c->auth.team, c->params[0], c->params[1], c->params[2]);
	api_json(c, 202, json_object_new_object());
}

/* ---- an endpoint's messages: stats, recover ------------------------------ */

/* GET /app/{app}/endpoint/{ep}/stats (?since, ?until): EndpointStats. */
void
svix_ep_stats(struct api_ctx *c)
{
	struct wh_errors errs;
	struct msg_stats s;
	json_object	*j;
	int64_t		 since, until;

	memset(&errs, 0, sizeof(errs));
	(void)msg_query_date(c, "since", &since, &errs);
	(void)msg_query_date(c, "until", &until, &errs);
	if (errs.count > 0) {
		svix_error(c, 422, "", &errs);
		return;
	}
	if (svix_fail(c, message_endpoint_stats(c->st, c->auth.team,
	    c->params[0], c->params[1], since, until, &s), NULL))
		return;
	j = json_object_new_object();
	json_object_object_add(j, "success", json_object_new_int64(
	    (int64_t)s.success));
	json_object_object_add(j, "pending", json_object_new_int64(
	    (int64_t)s.pending));
	json_object_object_add(j, "sending", json_object_new_int64(
	    (int64_t)s.sending));
	json_object_object_add(j, "fail", json_object_new_int64(
	    (int64_t)s.fail));
	json_object_object_add(j, "canceled", json_object_new_int(0));
	api_json(c, 200, j);
}

/* A date member of the body into *ms (0 when absent or null): 0, or -1
 * with errs. */
static int
msg_body_date(json_object *body, const char *name, int required, int64_t *ms,
    struct wh_errors *errs)
{
	json_object	*v;

	*ms = 0;
	if (!json_object_object_get_ex(body, name, &v) || v == NULL) {
		if (required)
			webhook_error(errs, name, "field required");
		return required ? -1 : 0;
	}
	if (!json_object_is_type(v, json_type_string) ||
	    (*ms = msg_date(json_object_get_string(v))) == -1) {
		webhook_error(errs, name, "invalid datetime format");
		*ms = 0;
		return -1;
	}
	return 0;
}

/* POST /app/{app}/endpoint/{ep}/recover {since, until?}: 202 RecoverOut. */
void
svix_ep_recover(struct api_ctx *c)
{
	struct wh_errors errs;
	struct spool	*sp;
	json_object	*j;
	char		 id[APP_ID_MAX + 1], ts[UTIL_ISO_LEN];
	int64_t		 since, until;
	size_t		 n;
	int		 rc;

	memset(&errs, 0, sizeof(errs));
	if (c->body == NULL || !json_object_is_type(c->body,
	    json_type_object))
		webhook_error(&errs, "body", "value is not a valid dict");
	else {
		(void)msg_body_date(c->body, "since", 1, &since, &errs);
		(void)msg_body_date(c->body, "until", 0, &until, &errs);
	}
	if (errs.count > 0) {
		svix_error(c, 422, "", &errs);
		return;
	}
	if ((sp = api_ctx_spool(c)) == NULL) {
		svix_fail(c, STORE_ERR, NULL);
		return;
	}
	rc = message_recover(c->st, sp, c->auth.team, c->params[0],
	    c->params[1], since, until, &n);
	if (svix_fail(c, rc, NULL))
		return;
	log_info("svix_ep_recover: team %s: application %s: endpoint %s: %zu "
	    "messages sent again", c->auth.team, c->params[0], c->params[1], n);
	/* Svix's background task, finished: the messages are queued. */
	app_id_make("qtask_", id);
	util_iso8601(util_now_ms(), ts);
	j = json_object_new_object();
	json_object_object_add(j, "id", json_object_new_string(id));
	json_object_object_add(j, "status", json_object_new_string("finished"));
	json_object_object_add(j, "task",
	    json_object_new_string("endpoint.recover"));
	json_object_object_add(j, "updatedAt", json_object_new_string(ts));
	api_json(c, 202, j);
}

