/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The HTTP server: libmicrohttpd on a small pool of its own threads. Each
 * request goes through the same gate before any handler runs: URL length,
 * token, route, content type, body size. Handlers then run on the server's
 * thread and reach shared state only through ctl_call().
 */

#include <errno.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "api_private.h"

/* Threads serving connections. Requests queue at the control thread one
 * at a time anyway; a few threads let one request be parsed while another
 * waits there, and keep a slow client from holding up the others. */
#define API_THREADS 4
/* Per connection: the request line and headers must fit here, with room
 * left for libmicrohttpd's read buffer. */
#define API_CONN_MEMORY (64 * 1024)

void
api_reply(struct api_req *r, unsigned status, json_t *body)
{
	json_decref(r->json);
	free(r->text);
	r->text = NULL;
	r->status = status;
	r->json = body;
	r->answered = true;
}

void
api_error(struct api_req *r, unsigned status, const char *field, const char *fmt, ...)
{
	char reason[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	api_reply(r, status, api_error_body(reason, field));
}

const char *
api_query(struct api_req *r, const char *key)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

const char *
api_header(struct api_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

struct header_list {
	const char *name;
	char *buf;
	size_t size, len;
	bool overflow;
};

static enum MHD_Result
header_line(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct header_list *h = cls;
	size_t need = strlen(value) + (h->len != 0 ? 2 : 0);

	(void)kind;
	if (strcasecmp(key, h->name) != 0)
		return MHD_YES;
	if (h->len + need >= h->size) {
		h->overflow = true;
		return MHD_NO;
	}
	h->len += (size_t)snprintf(h->buf + h->len, h->size - h->len, "%s%s",
				   h->len != 0 ? ", " : "", value);
	return MHD_YES;
}

int
api_header_list(struct api_req *r, const char *name, char *buf, size_t size)
{
	struct header_list h = { .name = name, .buf = buf, .size = size };

	buf[0] = '\0';
	MHD_get_connection_values(r->conn, MHD_HEADER_KIND, header_line, &h);
	return h.overflow ? -E2BIG : 0;
}

/* "Bearer <token>", the scheme case-insensitive (RFC 9110 section 11.1). */
static bool
authorized(struct api_req *r)
{
	const char *h = api_header(r, MHD_HTTP_HEADER_AUTHORIZATION);

	if (!r->api->auth)
		return true;
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return false;
	h += 7;
	while (*h == ' ')
		h++;
	return api_token_equal(h, strlen(h), r->api->token, r->api->token_len);
}

/*
 * Without a token, a browser on this host is the danger: a page of any
 * site can make it send requests to 127.0.0.1, and with DNS rebinding
 * read the answers too. Such a request names the page's host, so without a
 * token only loopback names are served.
 */
static bool
host_is_loopback(const char *h)
{
	char name[64];
	size_t n;

	if (h == NULL)
		return false;
	if (h[0] == '[') {
		n = strcspn(h, "]");
		return n == 4 && strncmp(h, "[::1", 4) == 0 && (h[5] == '\0' || h[5] == ':');
	}
	n = strcspn(h, ":");
	if (n == 0 || n >= sizeof(name))
		return false;
	memcpy(name, h, n);
	name[n] = '\0';
	if (strcasecmp(name, "localhost") == 0)
		return true;
	return strncmp(name, "127.", 4) == 0 && strspn(name, "0123456789.") == n;
}

static bool
has_body(enum api_method m)
{
	return m == API_PUT || m == API_POST || m == API_PATCH;
}

/* The first call for a request: everything that can be decided from its
 * headers. A request that cannot succeed gets its answer here. */
static void
req_begin(struct api_req *r, const char *url, const char *method)
{
	const char *cl, *accept;
	unsigned st;

	/* libmicrohttpd gives the path without its query: the whole URI's
	 * length came from on_uri(). */
	if (strlen(url) > API_URL_MAX || r->uri_len > API_URL_MAX) {
		api_error(r, 414, NULL, "the URL is longer than %u bytes", API_URL_MAX);
		return;
	}
	if (!r->api->auth && !host_is_loopback(api_header(r, MHD_HTTP_HEADER_HOST))) {
		api_error(r, 403, NULL, "Host %.64s is no loopback name: without a token_file, "
			  "only requests to 127.0.0.1, [::1] or localhost are served",
			  api_header(r, MHD_HTTP_HEADER_HOST) ? api_header(r, MHD_HTTP_HEADER_HOST)
							       : "(none)");
		return;
	}
	st = api_route_match(method, url, &r->m, r->allow, sizeof(r->allow));
	/* Every route but GET /v1/health needs the token, and so do unknown
	 * paths: without it, a client learns nothing, not even which paths
	 * exist. */
	if (!(st == 0 && strcmp(r->m.route->path, "/v1/health") == 0) && !authorized(r)) {
		api_error(r, 401, NULL, "%s", api_header(r, MHD_HTTP_HEADER_AUTHORIZATION)
			  ? "wrong token" : "a bearer token is required");
		return;
	}
	if (st == 404) {
		api_error(r, 404, NULL, "no such path: %s", url);
		return;
	}
	if (st == 405) {
		api_error(r, 405, NULL, "%s is not allowed on %s; allowed: %s", method, url,
			  r->allow);
		return;
	}
	r->ctype = api_ctype_parse(api_header(r, MHD_HTTP_HEADER_CONTENT_TYPE));
	/* curl -d's form type is read as JSON only from a client that holds
	 * the token: a web page can send that type without asking first. */
	if (r->ctype == API_CTYPE_FORM)
		r->ctype = r->api->auth ? API_CTYPE_JSON : API_CTYPE_OTHER;
	if (has_body(r->m.route->method) && r->ctype == API_CTYPE_OTHER) {
		api_error(r, 415, NULL, "content type %s: application/json or application/yaml "
			  "expected", api_header(r, MHD_HTTP_HEADER_CONTENT_TYPE));
		return;
	}
	cl = api_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl && strtoull(cl, NULL, 10) > r->api->body_limit) {
		api_error(r, 413, NULL, "the body is larger than %zu bytes", r->api->body_limit);
		return;
	}
	accept = api_header(r, MHD_HTTP_HEADER_ACCEPT);
	r->want_yaml = accept && strstr(accept, "application/yaml");
}

/* Bytes of a body read and dropped, at most, before the connection is cut:
 * enough to answer a body somewhat over the limit cleanly. */
static size_t
discard_max(const struct api *a)
{
	size_t four = 4 * a->body_limit;

	/* Reading and dropping a few MiB costs less than a client that
	 * never sees why it was refused. */
	return four > API_DISCARD_MIN ? four : API_DISCARD_MIN;
}

/*
 * Can an answer decided from the headers wait until the body is read?
 * Answering with a body still unread makes libmicrohttpd close the
 * connection, and a socket closed with unread data sends a reset that may
 * destroy the answer on the client's side before it reads it. So the body
 * is read and dropped first, unless the client waits for "100 Continue"
 * (it has sent nothing yet) or announces more than discard_max().
 */
static bool
answer_after_body(struct api_req *r)
{
	const char *cl = api_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);

	if (api_header(r, MHD_HTTP_HEADER_EXPECT))
		return false;
	return cl == NULL || strtoull(cl, NULL, 10) <= discard_max(r->api);
}

static void
body_append(struct api_req *r, const char *data, size_t len)
{
	size_t cap;
	char *p;

	if (r->too_big || r->answered) {
		r->discarded += len;
		return;
	}
	if (len > r->api->body_limit - r->body_len) {
		r->too_big = true;
		r->discarded = r->body_len + len;
		free(r->body);
		r->body = NULL;
		r->body_len = r->body_cap = 0;
		return;
	}
	if (r->body_len + len + 1 > r->body_cap) {
		cap = r->body_cap ? r->body_cap : 4096;
		while (cap < r->body_len + len + 1)
			cap *= 2;
		p = realloc(r->body, cap);
		if (p == NULL) {
			api_error(r, 500, NULL, "out of memory");
			return;
		}
		r->body = p;
		r->body_cap = cap;
	}
	memcpy(r->body + r->body_len, data, len);
	r->body_len += len;
	r->body[r->body_len] = '\0';
}

static enum MHD_Result
send_answer(struct api_req *r)
{
	struct MHD_Response *resp;
	const char *type = "application/json";
	enum MHD_Result ret;
	char *buf = NULL;
	size_t len = 0;

	if (r->json) {
		buf = json_dumps(r->json, JSON_COMPACT);
		if (buf == NULL) {
			r->status = 500;
		} else {
			/* One line, ended, for curl and for line-based tools. */
			len = strlen(buf);
			char *p = realloc(buf, len + 2);

			if (p == NULL) {
				free(buf);
				buf = NULL;
				len = 0;
				r->status = 500;
			} else {
				buf = p;
				buf[len++] = '\n';
				buf[len] = '\0';
			}
		}
	} else if (r->text) {
		buf = r->text;
		len = r->text_len;
		type = r->text_type;
		r->text = NULL;
	}
	resp = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(buf);
		return MHD_NO;
	}
	if (len > 0)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (r->status == 401)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
	if (r->status == 405)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
	if (r->etag[0] != '\0')
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, r->etag);
	ret = MHD_queue_response(r->conn, r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
	   const char *version, const char *upload_data, size_t *upload_data_size,
	   void **con_cls)
{
	struct api_req *r = *con_cls;

	(void)version;
	if (r == NULL || !r->started) {
		if (r == NULL)
			r = calloc(1, sizeof(*r));
		if (r == NULL)
			return MHD_NO;
		r->started = true;
		r->api = cls;
		r->ctl = r->api->ctl;
		r->conn = conn;
		*con_cls = r;
		req_begin(r, url, method);
		if (r->answered && !answer_after_body(r))
			return send_answer(r);
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		body_append(r, upload_data, *upload_data_size);
		*upload_data_size = 0;
		/* A chunked body has no length to refuse up front. */
		return r->discarded > discard_max(r->api) ? MHD_NO : MHD_YES;
	}
	if (r->answered)
		;                       /* decided from the headers, or out of memory */
	else if (r->too_big)
		api_error(r, 413, NULL, "the body is larger than %zu bytes", r->api->body_limit);
	else if (r->body_len > 0 && r->ctype == API_CTYPE_NONE)
		api_error(r, 415, NULL, "a body needs a Content-Type: application/json "
			  "or application/yaml");
	else
		r->m.route->handler(r);
	if (!r->answered)
		api_error(r, 500, NULL, "the handler gave no answer");
	return send_answer(r);
}

/* The first thing libmicrohttpd knows of a request is its whole URI, query
 * included: the request's state starts here, with that length. */
static void *
on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct api_req *r = calloc(1, sizeof(*r));

	(void)cls;
	(void)conn;
	if (r != NULL)
		r->uri_len = strlen(uri);
	return r;
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
	     enum MHD_RequestTerminationCode toe)
{
	struct api_req *r = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (r == NULL)
		return;
	json_decref(r->json);
	free(r->text);
	free(r->body);
	free(r);
	*con_cls = NULL;
}

static void
on_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	fputs("vtepd: api: ", stderr);
	vfprintf(stderr, fmt, ap);
}

/* Bind the socket here rather than in libmicrohttpd, which only says that
 * it failed: the caller gets "Address already in use". */
static int
listen_socket(const struct conf_api *c, uint16_t *bound, char *err, size_t errlen)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_PASSIVE | AI_NUMERICSERV,
	};
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	struct addrinfo *res;
	char port[8];
	int fd, rc, one = 1;

	snprintf(port, sizeof(port), "%u", c->listen_port);
	rc = getaddrinfo(c->listen_host, port, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", c->listen_host, gai_strerror(rc));
		return -1;
	}
	fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    res->ai_protocol);
	if (fd < 0)
		goto fail;
	/* A restarted vtepd binds again while old connections are in
	 * TIME_WAIT. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 64) < 0)
		goto fail;
	freeaddrinfo(res);
	*bound = c->listen_port;
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == 0)
		*bound = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
					: ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
fail:
	snprintf(err, errlen, "%s%s%s:%u: %s", res->ai_family == AF_INET6 ? "[" : "",
		 c->listen_host, res->ai_family == AF_INET6 ? "]" : "", c->listen_port,
		 strerror(errno));
	if (fd >= 0)
		close(fd);
	freeaddrinfo(res);
	return -1;
}

struct api *
api_start(const struct api_params *p, char *err, size_t errlen)
{
	const struct conf_api *c = p->conf;
	unsigned threads = API_THREADS;
	struct api *a;
	int fd;

	if (p->ctl == NULL || c == NULL) {
		snprintf(err, errlen, "api: no writer or no settings");
		errno = EINVAL;
		return NULL;
	}
	if (p->token && strlen(p->token) > API_TOKEN_MAX) {
		snprintf(err, errlen, "api: the token is longer than %u bytes", API_TOKEN_MAX);
		errno = EINVAL;
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (a == NULL) {
		snprintf(err, errlen, "api: out of memory");
		return NULL;
	}
	a->ctl = p->ctl;
	if (p->token) {
		a->auth = true;
		a->token_len = strlen(p->token);
		memcpy(a->token, p->token, a->token_len + 1);
	}
	snprintf(a->version, sizeof(a->version), "%s", p->version ? p->version : "");
	a->start_ms = p->start_ms;
	a->n_workers = p->n_workers;
	a->body_limit = c->body_limit;

	fd = listen_socket(c, &a->port, err, errlen);
	if (fd < 0) {
		free(a);
		errno = EADDRNOTAVAIL;
		return NULL;
	}
	/* libmicrohttpd splits the connection limit between its threads. */
	if (c->max_connections < threads)
		threads = c->max_connections ? c->max_connections : 1;
	a->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
				MHD_USE_ERROR_LOG,
				0, NULL, NULL, on_request, a,
				/* first, so that it gets every message */
				MHD_OPTION_EXTERNAL_LOGGER, on_log, a,
				MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
				MHD_OPTION_THREAD_POOL_SIZE, threads,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)c->max_connections,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)c->idle_timeout,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)API_CONN_MEMORY,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, a,
				MHD_OPTION_URI_LOG_CALLBACK, on_uri, a,
				MHD_OPTION_END);
	if (a->d == NULL) {
		snprintf(err, errlen, "%s:%u: libmicrohttpd did not start", c->listen_host,
			 c->listen_port);
		close(fd);
		free(a);
		errno = EIO;
		return NULL;
	}
	return a;
}

uint64_t
api_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint16_t
api_port(const struct api *a)
{
	return a->port;
}

void
api_stop(struct api *a)
{
	if (a == NULL)
		return;
	/* Joins the threads and closes the listening socket it was given. */
	MHD_stop_daemon(a->d);
	memset(a->token, 0, sizeof(a->token));
	free(a);
}
