/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef API_PRIVATE_H
#define API_PRIVATE_H

/*
 * Internals of lib/api, shared by its files and tests/unit/test_api.c.
 */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "api.h"
#include "conf.h"

/** Longest URL served; a longer one is answered 414. */
#define API_URL_MAX 2048
#define API_DISCARD_MIN (16u << 20)    /**< refused bodies up to this are read, then dropped */
/** Path parameters of one route ({vni}, {mac}). */
#define API_MAX_PARAMS 2
#define API_PARAM_MAX 64
/** An entity tag: a quoted 64-bit hash in hex, with its NUL. */
#define API_ETAG_SIZE 19
/** Nesting of a JSON body; lib/conf allows 16 levels, a body sits below them. */
#define API_JSON_DEPTH_MAX 16

/** The server. */
struct api {
	void *d;                         /**< struct MHD_Daemon */
	struct ctl *ctl;
	bool auth;
	char token[API_TOKEN_MAX + 1];
	size_t token_len;
	char version[64];
	uint64_t start_ms;
	unsigned n_workers;
	size_t body_limit;
	uint16_t port;                   /**< bound */
};

enum api_method {
	API_GET,
	API_PUT,
	API_POST,
	API_PATCH,
	API_DELETE,
	API_METHOD_MAX
};

enum api_ctype {
	API_CTYPE_NONE,                  /**< no Content-Type */
	API_CTYPE_JSON,
	API_CTYPE_YAML,
	API_CTYPE_FORM,                  /**< curl -d's default: JSON from a client with the token */
	API_CTYPE_OTHER,
};

struct api_req;
typedef void api_handler_fn(struct api_req *r);

struct api_route {
	enum api_method method;
	const char *path;
	api_handler_fn *handler;
	const char *help;
};

struct api_match {
	const struct api_route *route;
	unsigned n_params;
	char params[API_MAX_PARAMS][API_PARAM_MAX];
};

/** A request being served, from its first header to its answer. */
struct api_req {
	bool started;                    /**< on_request() has seen it */
	size_t uri_len;                  /**< the whole URI, query included */
	struct api *api;
	struct ctl *ctl;
	void *conn;                      /**< struct MHD_Connection */
	struct api_match m;
	enum api_ctype ctype;
	bool want_yaml;                  /**< Accept: application/yaml */
	char *body;                      /**< NUL-terminated */
	size_t body_len, body_cap;
	bool too_big;                    /**< the body went over the limit */
	size_t discarded;                /**< body bytes read and dropped */
	bool answered;
	/* the answer */
	unsigned status;
	json_t *json;                    /**< body, or */
	char *text;                      /**< body (malloc'ed) with its type */
	size_t text_len;
	const char *text_type;
	char allow[64];                  /**< for a 405 */
	char etag[API_ETAG_SIZE];        /**< ETag header of the answer; "" none */
};

/** The routes of routes.def, and their number. */
extern const struct api_route api_routes[];
extern const unsigned api_n_routes;

const char *api_method_name(enum api_method m);
/** @return the method, or API_METHOD_MAX for one no route uses. */
enum api_method api_method_parse(const char *s);

/**
 * Find the route of @p method and @p path (without the query).
 * @return 0 with @p m filled; 404 (no route has this path), 405 (routes
 *   have this path with other methods: @p allow lists them, "GET, PUT").
 */
unsigned api_route_match(const char *method, const char *path, struct api_match *m,
			 char *allow, size_t allowlen);

/** @return the type of a Content-Type value ("application/json; charset=utf-8"). */
enum api_ctype api_ctype_parse(const char *s);

/* ---- answers ---------------------------------------------------------- */

/** {"error": reason, "field": field}; no "field" when @p field is NULL or empty. */
json_t *api_error_body(const char *reason, const char *field);

/** Answer @p status with an error body. */
void api_error(struct api_req *r, unsigned status, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/** Answer @p status with @p body (taken). */
void api_reply(struct api_req *r, unsigned status, json_t *body);

/**
 * The HTTP status of a negative errno of lib/ctl: -EINVAL 400, -ENOENT
 * 404, -EEXIST 409, -ENOSPC 507 (no room: FDB or VNI slots; the request was
 * valid), -EBUSY 409, -ESHUTDOWN 503, anything else 500.
 */
unsigned api_errno_status(int rc);

/**
 * The part of @p field inside the body that sits at @p prefix of the
 * candidate document ("vnis[5]" strips "vnis[5].access[0].vlan" to
 * "access[0].vlan"). @return that part ("" for the body as a whole), or
 * NULL when @p field is not under @p prefix.
 */
const char *api_field_strip(const char *field, const char *prefix);

/**
 * Answer a refusal of lib/conf or lib/ctl: the status of @p rc, the reason
 * of @p e, its field made relative to @p prefix (NULL: kept whole).
 */
void api_conf_error(struct api_req *r, int rc, const struct conf_err *e, const char *prefix);

/* ---- JSON and the document tree --------------------------------------- */

/**
 * Parse a JSON body (duplicate keys refused).
 * @return the value, or NULL with @p reason filled (jansson's words and
 *   position).
 */
json_t *api_json_parse(const char *buf, size_t len, char *reason, size_t rlen);

/**
 * Convert a JSON value into lib/conf's document tree: objects to maps,
 * arrays to sequences, strings, numbers, booleans and null to scalars of
 * those types. Numbers keep a form lib/conf refuses if they are not
 * integers (1.0 stays "1.0").
 * @return the tree, or NULL with @p reason and @p field filled (nesting
 *   too deep, out of memory).
 */
struct conf_node *api_json_to_node(const json_t *j, char *reason, size_t rlen);

/**
 * Convert a document tree to JSON: integers as numbers, booleans as
 * booleans, null as null, other scalars as strings.
 * @return the value, or NULL (out of memory).
 */
json_t *api_node_to_json(const struct conf_node *n);

/** A deep copy of @p n. @return it, or NULL (out of memory). */
struct conf_node *api_node_copy(const struct conf_node *n);

/**
 * The entity tag of a JSON document: "\"<16 hex digits>\"", a hash of its
 * compact form with sorted keys, so that equal documents get equal tags.
 * @return 0, -ENOMEM.
 */
int api_etag(const json_t *j, char out[API_ETAG_SIZE]);

/* ---- metrics ---------------------------------------------------------- */

struct ctl_stats;

/**
 * Write @p s in the Prometheus text exposition format 0.0.4 (GET
 * /metrics), with vtep_build_info{version} and vtep_uptime_seconds.
 * @return 0, or -EIO if @p f failed.
 */
int api_metrics_write(FILE *f, const struct ctl_stats *s, const char *version,
		      uint64_t uptime_s);

/* ---- the request, for the handlers ------------------------------------ */

/** A query argument ("type" of ?type=learned), or NULL. */
const char *api_query(struct api_req *r, const char *key);

/** A request header, or NULL. */
const char *api_header(struct api_req *r, const char *name);

/**
 * Every line of header @p name joined with ", " into @p buf ("" when
 * there is none). @return 0, or -E2BIG when they do not fit.
 */
int api_header_list(struct api_req *r, const char *name, char *buf, size_t size);

#endif /* API_PRIVATE_H */
