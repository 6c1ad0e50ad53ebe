/*
 * Writing to the vault, and its folders (vault.h, "single secrets and
 * folders"): secrets created, updated and deleted through v3 raw, folders
 * created and listed through v2. Each request goes through vault.c's
 * session (vault_internal.h); values are never traced.
 */
#define _POSIX_C_SOURCE 200809L
#include "vault_internal.h"
#include "http.h"
#include "base/json.h"
#include "base/log.h"
#include "base/util.h"

#include <string.h>

static int says_exists(const struct http_response *r)
{
	return r->status == 400 && strstr(sb_str(&r->body), "already exists");
}

/* The JSON body of a v3 raw write: project, environment, path, type. */
static struct json_object *write_body(const struct vault *v, const char *path)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "workspaceId",
			       json_object_new_string(v->s->project_id));
	json_object_object_add(o, "environment",
			       json_object_new_string(v->s->environment));
	json_object_object_add(o, "secretPath", json_object_new_string(path));
	json_object_object_add(o, "type", json_object_new_string("shared"));
	return o;
}

static char *body_of(struct json_object *o)
{
	char *s = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));

	json_put_wiped(o);
	return s;
}

static int write_secret(struct vault *v, const char *method, const char *path,
			const char *name, const char *value)
{
	struct http_response r = HTTP_RESPONSE_INIT;
	struct json_object *o = write_body(v, path), *ans;
	char *n = http_escape(name), *url, *body;
	const char *what = !strcmp(method, "POST") ? "vault write of" :
		!strcmp(method, "PATCH") ? "vault update of" : "vault delete of";
	int ret;

	if (value)
		json_object_object_add(o, "secretValue", json_object_new_string(value));
	body = body_of(o);
	url = xstrfmt("%s/v3/secrets/raw/%s", v->s->base, n);
	free(n);
	ret = vault_authed_request(v, method, url, body, "vault write", &r);
	free_secret(body);
	free(url);
	if (ret)
		goto out;
	if (!strcmp(method, "POST") ? says_exists(&r) : vault_not_found(&r)) {
		ret = 1;
		goto out;
	}
	if (r.status != 200) {
		ret = vault_refused(&r, what, path, name, 1);
		goto out;
	}
	ans = json_parse(r.body.buf, r.body.len);
	if (ans && json_object_object_get_ex(ans, "approval", NULL))
		ret = raxx_fail(RAXX_EVAULT, "%s %s/%s is waiting for approval (a "
				"secret-approval policy covers that path): nothing "
				"changed yet: exempt the path, or approve it in "
				"Infisical", what, path, name);
	else if (!ans || !json_object_object_get_ex(ans, "secret", NULL))
		ret = raxx_fail(RAXX_EVAULT, "%s %s/%s: the answer is not "
				"Infisical's secret JSON: check INFISICAL_HOST",
				what, path, name);
	json_put_wiped(ans);
	trace("vault: %s %s/%s", method, path, name);
out:
	http_response_release(&r);
	return ret;
}

int vault_create_secret(struct vault *v, const char *path, const char *name,
			const char *value)
{
	return write_secret(v, "POST", path, name, value);
}

int vault_update_secret(struct vault *v, const char *path, const char *name,
			const char *value)
{
	return write_secret(v, "PATCH", path, name, value);
}

int vault_delete_secret(struct vault *v, const char *path, const char *name)
{
	return write_secret(v, "DELETE", path, name, NULL);
}

int vault_create_folder(struct vault *v, const char *parent, const char *name)
{
	struct http_response r = HTTP_RESPONSE_INIT;
	struct json_object *o = json_object_new_object();
	char *url, *body;
	int ret;

	json_object_object_add(o, "projectId", json_object_new_string(v->s->project_id));
	json_object_object_add(o, "environment",
			       json_object_new_string(v->s->environment));
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "path", json_object_new_string(parent));
	body = body_of(o);
	url = xstrfmt("%s/v2/folders", v->s->base);
	ret = vault_authed_request(v, "POST", url, body, "vault folder creation", &r);
	free(body);
	free(url);
	if (ret)
		goto out;
	if (says_exists(&r))
		ret = 1;
	else if (r.status != 200)
		ret = vault_refused(&r, "vault folder creation of", parent, name, 1);
	trace("vault: folder %s/%s %s", parent, name, ret == 1 ? "was there" :
	      ret ? "not created" : "created");
out:
	http_response_release(&r);
	return ret;
}

int vault_list_folders(struct vault *v, const char *path, char ***names,
		       size_t *nr)
{
	struct http_response r = HTTP_RESPONSE_INIT;
	struct json_object *o, *arr;
	char *proj = http_escape(v->s->project_id), *env = http_escape(v->s->environment);
	char *p = http_escape(path), *url;
	size_t i;
	int ret;

	*names = NULL;
	*nr = 0;
	url = xstrfmt("%s/v2/folders?projectId=%s&environment=%s&path=%s",
		      v->s->base, proj, env, p);
	free(proj);
	free(env);
	free(p);
	ret = vault_authed_request(v, "GET", url, NULL, "vault folder list", &r);
	free(url);
	if (ret || (ret = vault_read_answer(&r, "vault folder list of", path,
					    NULL)))
		goto out;
	o = json_parse(r.body.buf, r.body.len);
	if (!o || !json_object_object_get_ex(o, "folders", &arr) ||
	    !json_object_is_type(arr, json_type_array)) {
		ret = raxx_fail(RAXX_EVAULT, "vault folder list of %s: the answer "
				"is not Infisical's folders JSON: check "
				"INFISICAL_HOST", path);
	} else {
		for (i = 0; i < json_object_array_length(arr); i++) {
			const char *name = json_str(json_object_array_get_idx(arr, i),
						    "name");

			if (!name)
				continue;
			*names = xrealloc(*names, (*nr + 1) * sizeof(**names));
			(*names)[(*nr)++] = xstrdup(name);
		}
	}
	json_object_put(o);
out:
	http_response_release(&r);
	return ret;
}

void vault_names_free(char **names, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++)
		free(names[i]);
	free(names);
}
