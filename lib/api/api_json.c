/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * JSON on the wire and lib/conf's document tree: the conversions both ways,
 * and the error bodies.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_private.h"

json_t *
api_error_body(const char *reason, const char *field)
{
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "error", json_string(reason ? reason : ""));
	if (field && field[0])
		json_object_set_new(o, "field", json_string(field));
	return o;
}

unsigned
api_errno_status(int rc)
{
	switch (rc) {
	case -EINVAL:
		return 400;
	case -ENOENT:
		return 404;
	case -EEXIST:
	case -EBUSY:
		return 409;
	case -ENOSPC:
		/* The request was valid; the daemon has no room for it (FDB
		 * full, no VNI counter slot left): 507, not a conflict the
		 * client could resolve by changing its request. */
		return 507;
	case -ESHUTDOWN:
		return 503;
	default:
		return 500;
	}
}

const char *
api_field_strip(const char *field, const char *prefix)
{
	size_t n = strlen(prefix);

	if (strncmp(field, prefix, n) != 0)
		return NULL;
	switch (field[n]) {
	case '\0':
		return field + n;
	case '.':
		return field + n + 1;
	case '[':
		return field + n;
	default:
		/* "vnis[1]" is not under "vnis[10]"'s prefix "vnis[1" */
		return NULL;
	}
}

json_t *
api_json_parse(const char *buf, size_t len, char *reason, size_t rlen)
{
	json_error_t e;
	json_t *j;

	/* Duplicate keys are refused as the YAML reader refuses them: a
	 * silently ignored second "vni" is the worst kind of accident. */
	j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &e);
	if (j == NULL)
		snprintf(reason, rlen, "invalid JSON at line %d, column %d: %s",
			 e.line, e.column, e.text);
	return j;
}

/* A JSON number as text lib/conf reads: integers as written; anything else
 * with a fraction or exponent, so that the rules refuse it as they refuse
 * "4789.0" in a file. */
static struct conf_node *
number_node(const json_t *j)
{
	char buf[64];
	int n;

	if (json_is_integer(j)) {
		n = snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(j));
	} else {
		n = snprintf(buf, sizeof(buf), "%.17g", json_real_value(j));
		if (n > 0 && (size_t)n < sizeof(buf) - 2 && strpbrk(buf, ".eEn") == NULL) {
			memcpy(buf + n, ".0", 3);
			n += 2;
		}
	}
	return conf_node_scalar(buf, (size_t)n, CONF_SCALAR_NUMBER, 0);
}

static struct conf_node *
to_node(const json_t *j, unsigned depth, char *reason, size_t rlen)
{
	struct conf_node *n = NULL;
	const char *key;
	json_t *v;
	size_t i;

	if (depth > API_JSON_DEPTH_MAX) {
		snprintf(reason, rlen, "nested deeper than %u levels", API_JSON_DEPTH_MAX);
		return NULL;
	}
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		n = conf_node_map(0);
		if (n == NULL)
			break;
		json_object_foreach((json_t *)j, key, v) {
			struct conf_node *c = to_node(v, depth + 1, reason, rlen);

			if (c == NULL) {
				conf_node_free(n);
				return NULL;
			}
			if (conf_node_map_add(n, key, c) != 0) {
				conf_node_free(n);
				n = NULL;
				break;
			}
		}
		break;
	case JSON_ARRAY:
		n = conf_node_seq(0);
		if (n == NULL)
			break;
		json_array_foreach(j, i, v) {
			struct conf_node *c = to_node(v, depth + 1, reason, rlen);

			if (c == NULL) {
				conf_node_free(n);
				return NULL;
			}
			if (conf_node_seq_add(n, c) != 0) {
				conf_node_free(n);
				n = NULL;
				break;
			}
		}
		break;
	case JSON_STRING:
		n = conf_node_scalar(json_string_value(j), json_string_length(j),
				     CONF_SCALAR_STRING, 0);
		break;
	case JSON_INTEGER:
	case JSON_REAL:
		n = number_node(j);
		break;
	case JSON_TRUE:
		n = conf_node_scalar("true", 4, CONF_SCALAR_BOOL, 0);
		break;
	case JSON_FALSE:
		n = conf_node_scalar("false", 5, CONF_SCALAR_BOOL, 0);
		break;
	case JSON_NULL:
		n = conf_node_scalar("", 0, CONF_SCALAR_NULL, 0);
		break;
	}
	if (n == NULL)
		snprintf(reason, rlen, "out of memory");
	return n;
}

struct conf_node *
api_json_to_node(const json_t *j, char *reason, size_t rlen)
{
	/* jansson keeps objects in insertion order, so the tree's key order
	 * is the body's, and field paths match what the client sent. */
	return to_node(j, 0, reason, rlen);
}

/* A scalar of a tree: conf_to_node() types its scalars, and a YAML file's
 * PLAIN ones are shown as what they read as. */
static json_t *
scalar_json(const struct conf_node *n)
{
	const char *t = conf_node_text(n);
	char *end;

	switch (conf_node_type(n)) {
	case CONF_SCALAR_NULL:
		return json_null();
	case CONF_SCALAR_BOOL:
		return json_boolean(strcmp(t, "true") == 0);
	case CONF_SCALAR_NUMBER:
	case CONF_SCALAR_PLAIN: {
		long long v;

		if (t[0] != '\0' && (t[0] == '-' || (t[0] >= '0' && t[0] <= '9'))) {
			errno = 0;
			v = strtoll(t, &end, 10);
			if (errno == 0 && *end == '\0')
				return json_integer(v);
		}
		if (conf_node_type(n) == CONF_SCALAR_NUMBER)
			return json_real(strtod(t, NULL));
		return json_string(t);
	}
	case CONF_SCALAR_STRING:
	default:
		return json_string(t);
	}
}

static json_t *
to_json(const struct conf_node *n)
{
	size_t i, size = conf_node_size(n);
	json_t *j, *c;

	switch (conf_node_kind(n)) {
	case CONF_NODE_MAP:
		j = json_object();
		for (i = 0; j != NULL && i < size; i++) {
			c = to_json(conf_node_value(n, i));
			if (c == NULL || json_object_set_new(j, conf_node_key(n, i), c) != 0) {
				json_decref(j);
				return NULL;
			}
		}
		return j;
	case CONF_NODE_SEQ:
		j = json_array();
		for (i = 0; j != NULL && i < size; i++) {
			c = to_json(conf_node_item(n, i));
			if (c == NULL || json_array_append_new(j, c) != 0) {
				json_decref(j);
				return NULL;
			}
		}
		return j;
	case CONF_NODE_SCALAR:
	default:
		return scalar_json(n);
	}
}

json_t *
api_node_to_json(const struct conf_node *n)
{
	return n ? to_json(n) : NULL;
}

struct conf_node *
api_node_copy(const struct conf_node *n)
{
	size_t i, size = conf_node_size(n);
	struct conf_node *c, *k;

	switch (conf_node_kind(n)) {
	case CONF_NODE_MAP:
		c = conf_node_map(conf_node_line(n));
		for (i = 0; c != NULL && i < size; i++) {
			k = api_node_copy(conf_node_value(n, i));
			if (k == NULL || conf_node_map_add(c, conf_node_key(n, i), k) != 0) {
				conf_node_free(c);
				return NULL;
			}
		}
		return c;
	case CONF_NODE_SEQ:
		c = conf_node_seq(conf_node_line(n));
		for (i = 0; c != NULL && i < size; i++) {
			k = api_node_copy(conf_node_item(n, i));
			if (k == NULL || conf_node_seq_add(c, k) != 0) {
				conf_node_free(c);
				return NULL;
			}
		}
		return c;
	case CONF_NODE_SCALAR:
	default:
		return conf_node_scalar(conf_node_text(n), strlen(conf_node_text(n)),
					conf_node_type(n), conf_node_line(n));
	}
}

int
api_etag(const json_t *j, char out[API_ETAG_SIZE])
{
	char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	uint64_t h = 0xcbf29ce484222325ull;

	if (text == NULL)
		return -ENOMEM;
	/* FNV-1a: a change detector for read-modify-write, not a secret. */
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		h = (h ^ *p) * 0x100000001b3ull;
	free(text);
	snprintf(out, API_ETAG_SIZE, "\"%016" PRIx64 "\"", h);
	return 0;
}
