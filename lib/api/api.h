/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef API_H
#define API_H

/**
 * @file
 * The REST control API of vtepd: HTTP (libmicrohttpd) and JSON (jansson)
 * over the model of lib/conf, versioned under /v1. The routes are declared
 * once, in routes.def.
 *
 * The server runs on threads of its own. A handler never touches shared
 * state: it parses and validates the request, then hands one closure to the
 * control thread with ctl_call() and answers with what the closure found.
 * Bodies use the YAML schema's field names and value forms (docs/CONFIG.md),
 * and a refused body is answered with the validator's words:
 * {"error": reason, "field": path within the body}.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"

struct ctl;
struct api;

/** The largest bearer token api_token_read() accepts, in bytes. */
#define API_TOKEN_MAX 256

struct api_params {
	struct ctl *ctl;                 /**< where every request is applied */
	const struct conf_api *conf;     /**< listen address, limits */
	const char *token;               /**< bearer token; NULL: no auth */
	const char *version;             /**< shown by GET /v1/health */
	uint64_t start_ms;               /**< api_mono_ms() at start, for the uptime */
	unsigned n_workers;              /**< shown by GET /v1/health */
};

/** CLOCK_MONOTONIC in milliseconds: the clock of the uptimes vtepd shows. */
uint64_t api_mono_ms(void);

/**
 * Listen on @p p->conf's address and serve until api_stop(). The listening
 * socket is bound before this returns, so a port in use fails here.
 * @p p->token and @p p->version are copied.
 * @return the server, or NULL with @p err filled: the address does not
 *   resolve, the socket cannot be bound ("127.0.0.1:8080: Address already
 *   in use"), libmicrohttpd refused to start, or out of memory.
 */
struct api *api_start(const struct api_params *p, char *err, size_t errlen);

/** The port @p a listens on: the configured one, or the one the kernel
 * chose for port 0. */
uint16_t api_port(const struct api *a);

/**
 * Stop serving: close the socket, finish the connections, join the
 * threads. Call it before ctl_free(); a request blocked in ctl_call()
 * returns once ctl_call_shutdown() has been called. NULL is a no-op.
 */
void api_stop(struct api *a);

/**
 * Read a bearer token from @p path: the file's content without one
 * trailing newline ("\n" or "\r\n").
 * @return 0, or a negative errno with @p err filled:
 *   -errno of open/fstat/read; -EPERM (group or others may read or write
 *   the file: mode must be 0600 or stricter), -EINVAL (not a regular file,
 *   empty, or holding a NUL, a space or a newline inside),
 *   -E2BIG (longer than @p size - 1 bytes or API_TOKEN_MAX).
 */
int api_token_read(const char *path, char *buf, size_t size, char *err, size_t errlen);

/**
 * Compare a presented token with the configured one in time that depends
 * on the configured token's length only, not on where they differ.
 */
bool api_token_equal(const char *given, size_t given_len, const char *token, size_t token_len);

/* ---- the route table, for the CLI and the docs --------------------------- */

/** Number of routes in routes.def. */
unsigned api_route_count(void);

/**
 * Route @p i in the order of routes.def.
 * @return 0, or -ENOENT if @p i is out of range.
 */
int api_route_get(unsigned i, const char **method, const char **path, const char **help);

#endif /* API_H */
