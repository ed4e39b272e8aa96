/*
 * auth: API tokens and scopes.  A token is "wh_" + base64url of 24 random
 * bytes (192 bits); the store keeps its SHA-256 only, with the team, the
 * scopes and a public id (the first 12 hex digits of the hash) by which an
 * operator lists and revokes it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "auth.h"
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
	size_t	 i;

	for (i = 0; name[i] != '\0'; i++) {
		char c = name[i];
		if (i >= AUTH_TEAM_MAX || !((c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return i > 0;
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

int
auth_token_check(struct store *st, const char *token, struct auth *out)
{
	char		 hash[65], *rec = NULL;
	json_object	*j = NULL, *v;
	const char	*s;
	int		 rc;

	if (strlen(token) > 256)
		return STORE_NOTFOUND;
	util_sha256_hex(token, strlen(token), hash);
	if ((rc = store_token_get(st, hash, &rec)) != STORE_OK)
		return rc;
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
