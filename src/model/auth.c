/*
 * auth: API tokens and scopes.  A token is "wh_" + base64url of 24 random
 * bytes (192 bits); the store keeps its SHA-256 only, with the team, the
 * scopes and a public id (the first 12 hex digits of the hash) by which an
 * operator lists and revokes it.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "auth.h"
#include "auth_int.h"
#include "log.h"
#include "util.h"

#define TOKEN_RECORD_VERSION 1

static const struct {
	unsigned	 bit;
	const char	*name;
} scopes[] = {
	{ SCOPE_VIEW,	 "webhooks:view" },
	{ SCOPE_ADD,	 "webhooks:add" },
	{ SCOPE_EDIT,	 "webhooks:edit" },
	{ SCOPE_REMOVE,	 "webhooks:remove" },
	{ SCOPE_PUBLISH, "events:publish" },
	{ SCOPE_METRICS, "metrics:view" },
};
#define NSCOPES (sizeof(scopes) / sizeof(scopes[0]))

int
auth_scopes_parse(const char *list, unsigned *out)
{
	char	*copy, *tok, *save = NULL;
	size_t	 i;
	int	 rc = 0;

	*out = 0;
	copy = xstrdup(list);
	for (tok = strtok_r(copy, ", ", &save); tok != NULL;
	    tok = strtok_r(NULL, ", ", &save)) {
		if (strcasecmp(tok, "all") == 0) {
			*out |= SCOPE_ALL;
			continue;
		}
		for (i = 0; i < NSCOPES; i++)
			if (strcasecmp(tok, scopes[i].name) == 0)
				break;
		if (i == NSCOPES) {
			rc = -1;
			break;
		}
		*out |= scopes[i].bit;
	}
	free(copy);
	return rc;
}

char *
auth_scopes_format(unsigned bits)
{
	struct buf	 b;
	size_t		 i;

	buf_init(&b);
	for (i = 0; i < NSCOPES; i++)
		if (bits & scopes[i].bit) {
			if (b.len > 0)
				buf_putc(&b, ',');
			buf_puts(&b, scopes[i].name);
		}
	return buf_take(&b);
}

int
auth_team_valid(const char *name)
{
	return team_name_valid(name);
}

int
auth_token_create(struct store *st, const char *team, unsigned scopes_bits,
    char **token, char *id)
{
	unsigned char	 raw[24];
	char		*b64, hash[65], *sc;
	json_object	*j;
	size_t		 i;
	int		 rc;

	util_random(raw, sizeof(raw));
	b64 = util_base64(raw, sizeof(raw));	/* 32 chars, no padding */
	for (i = 0; b64[i] != '\0'; i++)
		if (b64[i] == '+')
			b64[i] = '-';
		else if (b64[i] == '/')
			b64[i] = '_';
	*token = xasprintf("wh_%s", b64);
	free(b64);
	util_sha256_hex(*token, strlen(*token), hash);
	memcpy(id, hash, AUTH_ID_LEN);
	id[AUTH_ID_LEN] = '\0';

	sc = auth_scopes_format(scopes_bits);
	j = json_object_new_object();
	json_object_object_add(j, "v", json_object_new_int(TOKEN_RECORD_VERSION));
	json_object_object_add(j, "id", json_object_new_string(id));
	json_object_object_add(j, "team", json_object_new_string(team));
	json_object_object_add(j, "scopes", json_object_new_string(sc));
	json_object_object_add(j, "created_at",
	    json_object_new_int64(util_now_ms()));
	rc = store_token_add(st, hash,
	    json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
	json_object_put(j);
	free(sc);
	if (rc != STORE_OK) {
		free(*token);
		*token = NULL;
	}
	return rc;
}

/*
 * A string member of a token record as auth_token_create writes it
 * (json-c, plain): the text between pat (,"key":") and the next quote,
 * with no escape in it.  1 and *v, *vlen, or 0 when the record is not of
 * that shape (then json-c reads it).
 */
static int
quick_member(const char *rec, const char *pat, const char **v, size_t *vlen)
{
	const char	*p, *q;

	if ((p = strstr(rec, pat)) == NULL)
		return 0;
	p += strlen(pat);
	for (q = p; *q != '"'; q++)
		if (*q == '\0' || *q == '\\')
			return 0;
	*v = p;
	*vlen = (size_t)(q - p);
	return 1;
}

/* The canonical scope list (auth_scopes_format's) -> bits, without a copy
 * of it; -1 for anything else (then auth_scopes_parse decides). */
static int
quick_scopes(const char *p, size_t len, unsigned *out)
{
	const char	*end = p + len, *comma;
	size_t		 i, n;

	*out = 0;
	while (p < end) {
		if ((comma = memchr(p, ',', (size_t)(end - p))) == NULL)
			comma = end;
		n = (size_t)(comma - p);
		for (i = 0; i < NSCOPES; i++)
			if (strlen(scopes[i].name) == n &&
			    memcmp(p, scopes[i].name, n) == 0)
				break;
		if (i == NSCOPES)
			return -1;
		*out |= scopes[i].bit;
		p = comma + 1;
	}
	return 0;
}

/*
 * The team and scopes of a token record written by auth_token_create,
 * without json-c (its parse was ~14,000 instructions, a sixth of a GET).
 * 0, or -1 when the record is not of the written shape.
 */
int
auth_quick_token(const char *rec, struct auth *out)
{
	const char	*t, *sc;
	size_t		 tl, scl;
	char		 scopes_s[160];

	if (strncmp(rec, "{\"v\":1,", 7) != 0 ||
	    !quick_member(rec, ",\"team\":\"", &t, &tl) ||
	    tl > AUTH_TEAM_MAX ||
	    !quick_member(rec, ",\"scopes\":\"", &sc, &scl))
		return -1;
	if (quick_scopes(sc, scl, &out->scopes) == -1) {
		if (scl >= sizeof(scopes_s))
			return -1;
		memcpy(scopes_s, sc, scl);
		scopes_s[scl] = '\0';
		if (auth_scopes_parse(scopes_s, &out->scopes) == -1)
			return -1;
	}
	memcpy(out->team, t, tl);
	out->team[tl] = '\0';
	return 0;
}

/* The token whose SHA-256 is hash: STORE_OK and *out, or STORE_NOTFOUND. */
int
auth_token_by_hash(struct store *st, const char *hash, struct auth *out)
{
	char		*rec = NULL;
	json_object	*j = NULL, *v;
	const char	*s;
	int		 rc;

	if ((rc = store_token_get(st, hash, &rec)) != STORE_OK)
		return rc;
	if (auth_quick_token(rec, out) == 0) {
		memcpy(out->id, hash, AUTH_ID_LEN);
		out->id[AUTH_ID_LEN] = '\0';
		free(rec);
		return STORE_OK;
	}
	rc = STORE_NOTFOUND;
	if ((j = json_tokener_parse(rec)) == NULL ||
	    !json_object_object_get_ex(j, "team", &v) ||
	    (s = json_object_get_string(v)) == NULL ||
	    strlen(s) > AUTH_TEAM_MAX) {
		log_warn("auth_token_check: token %.12s: unreadable record",
		    hash);
		goto out;
	}
	strcpy(out->team, s);
	out->scopes = 0;
	if (json_object_object_get_ex(j, "scopes", &v) &&
	    auth_scopes_parse(json_object_get_string(v), &out->scopes) == -1)
		log_warn("auth_token_check: token %.12s: unknown scope", hash);
	memcpy(out->id, hash, AUTH_ID_LEN);
	out->id[AUTH_ID_LEN] = '\0';
	rc = STORE_OK;
out:
	json_object_put(j);
	free(rec);
	return rc;
}

/*
 * The last token this process checked and its SHA-256: a client sends the
 * same token with each request, and the hash through OpenSSL's one-shot
 * call was ~6,000 instructions of a GET.  Only the hash is remembered
 * across requests, not what the token may do: the record is read from the
 * store every time, so a revocation takes effect at the next request.
 */
static struct {
	size_t	 len;		/* 0: empty */
	char	 token[257];
	char	 hash[65];
} last_token;

int
auth_token_check(struct store *st, const char *token, struct auth *out)
{
	char		 hash[65];
	size_t		 len = strlen(token);

	if (len > 256)
		return STORE_NOTFOUND;
	if (len > 0 && len == last_token.len &&
	    util_ct_compare(token, last_token.token, len) == 0)
		memcpy(hash, last_token.hash, sizeof(hash));
	else {
		util_sha256_hex(token, len, hash);
		memcpy(last_token.token, token, len + 1);
		memcpy(last_token.hash, hash, sizeof(hash));
		last_token.len = len;
	}
	return auth_token_by_hash(st, hash, out);
}

struct find_id {
	const char	*id;
	char		 hash[65];
};

static int
find_id(const char *key, const char *json, void *arg)
{
	struct find_id	*f = arg;

	(void)json;
	if (strncmp(key, f->id, strlen(f->id)) == 0) {
		snprintf(f->hash, sizeof(f->hash), "%s", key);
		return 1;
	}
	return 0;
}

int
auth_token_revoke(struct store *st, const char *id_or_token)
{
	struct find_id	 f;
	int		 rc;

	memset(&f, 0, sizeof(f));
	if (strlen(id_or_token) == AUTH_ID_LEN) {
		f.id = id_or_token;
		if ((rc = store_token_foreach(st, find_id, &f)) != STORE_OK)
			return rc;
		if (f.hash[0] == '\0')
			return STORE_NOTFOUND;
	} else
		util_sha256_hex(id_or_token, strlen(id_or_token), f.hash);
	return store_token_del(st, f.hash);
}

struct token_each {
	auth_token_each_fn	 fn;
	void			*arg;
};

static int
token_each_record(const char *key, const char *json, void *arg)
{
	struct token_each	*e = arg;
	struct auth_token_info	 t;
	json_object		*j, *v;
	int			 rc;

	if ((j = json_tokener_parse(json)) == NULL)
		return 0;
	memset(&t, 0, sizeof(t));
	snprintf(t.id, sizeof(t.id), "%.*s", AUTH_ID_LEN, key);
	if (json_object_object_get_ex(j, "team", &v))
		t.team = json_object_get_string(v);
	if (json_object_object_get_ex(j, "scopes", &v))
		t.scopes = json_object_get_string(v);
	if (json_object_object_get_ex(j, "created_at", &v))
		t.created_at = json_object_get_int64(v);
	rc = e->fn(&t, e->arg);
	json_object_put(j);
	return rc;
}

int
auth_token_foreach(struct store *st, auth_token_each_fn fn, void *arg)
{
	struct token_each	 e = { fn, arg };

	return store_token_foreach(st, token_each_record, &e);
}
