#ifndef RAXX_JSON_H
#define RAXX_JSON_H

/*
 * Thin helpers over json-c for answers from servers: bounded parsing,
 * typed look-ups that return NULL on the wrong type, and wiping of
 * strings that held secrets before the object is freed.
 */

#include <stddef.h>
#include <json-c/json.h>

/* Parse exactly len bytes (one JSON value, nothing after it) or NULL. */
struct json_object *json_parse(const char *buf, size_t len);
/* String member or NULL (also NULL when not a string). */
const char *json_str(struct json_object *o, const char *key);
/* Integer-or-numeric-string member into *out; 0 on success. */
int json_int(struct json_object *o, const char *key, long long *out);
/* Overwrite a string object's bytes with zeros (before json_object_put). */
void json_wipe(struct json_object *s);
/* Wipe every string value below o, recursively, then put it. */
void json_put_wiped(struct json_object *o);
/* The "message" of an error answer, sanitized, into buf ("" if none). */
const char *json_message(const char *body, size_t len, char *buf, size_t n);

#endif
