#define _POSIX_C_SOURCE 200809L
#include "json.h"
#include "util.h"

#include <string.h>

#include <sodium.h>

struct json_object *json_parse(const char *buf, size_t len)
{
	struct json_tokener *tok;
	struct json_object *o;

	if (!buf || len > (size_t)0x7fffffff)
		return NULL;
	tok = json_tokener_new_ex(32);
	if (!tok)
		die("out of memory");
	o = json_tokener_parse_ex(tok, buf, (int)len);
	if (o && (json_tokener_get_error(tok) != json_tokener_success ||
		  json_tokener_get_parse_end(tok) != len)) {
		/* trailing bytes after the value: not one JSON document */
		size_t end = json_tokener_get_parse_end(tok);

		while (end < len && strchr(" \t\r\n", buf[end]))
			end++;
		if (end != len) {
			json_put_wiped(o);
			o = NULL;
		}
	}
	json_tokener_free(tok);
	return o;
}

const char *json_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

int json_int(struct json_object *o, const char *key, long long *out)
{
	struct json_object *v;
	long val;

	if (!o || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v))
		return -1;
	if (json_object_is_type(v, json_type_int)) {
		*out = json_object_get_int64(v);
		return 0;
	}
	if (json_object_is_type(v, json_type_string) &&
	    !parse_long(json_object_get_string(v), 0, 0x7fffffffL, &val)) {
		*out = val;
		return 0;
	}
	return -1;
}

void json_wipe(struct json_object *s)
{
	if (s && json_object_is_type(s, json_type_string))
		sodium_memzero((char *)json_object_get_string(s),
			       (size_t)json_object_get_string_len(s));
}

static void wipe_all(struct json_object *o)
{
	size_t i, n;

	if (!o)
		return;
	switch (json_object_get_type(o)) {
	case json_type_string:
		json_wipe(o);
		break;
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			wipe_all(json_object_array_get_idx(o, i));
		break;
	case json_type_object: {
		json_object_object_foreach(o, k, v) {
			(void)k;
			wipe_all(v);
		}
		break;
	}
	default:
		break;
	}
}

void json_put_wiped(struct json_object *o)
{
	wipe_all(o);
	json_object_put(o);
}

const char *json_message(const char *body, size_t len, char *buf, size_t n)
{
	struct json_object *o = json_parse(body, len);
	const char *m = json_str(o, "message");

	if (!m)
		m = json_str(o, "error");
	sanitize(buf, n, m ? m : "");
	json_put_wiped(o);
	return buf;
}
