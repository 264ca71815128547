/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the REST API that need no running writer: the token file,
 * the constant-time compare, the route table (dispatch, 404, 405 and
 * Allow), JSON to and from lib/conf's document tree, error bodies, field
 * paths made relative to a body, and the HTTP gate of a live server (401,
 * 404, 405, 413, 414, 415, GET /v1/health), whose answers are all given
 * before a handler would call the writer; then every handler against a
 * real writer (lib/ctl on net_null-less fake ports, polled by a thread of
 * its own, as vtepd's control lcore does). The traffic the API changes is
 * tested against a running vtepd.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <pthread.h>

#include <cmocka.h>

#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "api.h"
#include "api_private.h"
#include "conf.h"
#include "ctl.h"
#include "test_eal.h"

#define CONF_DIR TEST_DATA_DIR "/conf"

static char err[1024];

/* ---- the token file --------------------------------------------------- */

static char tmpdir[64];

static const char *
token_file(const char *name, const char *content, size_t len, mode_t mode)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(content, 1, len, f), len);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static int
setup_tmpdir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_api.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int
teardown_tmpdir(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
token_read_strips_one_newline(void **state)
{
	char buf[API_TOKEN_MAX + 1];

	(void)state;
	assert_int_equal(api_token_read(token_file("t1", "s3cret\n", 7, 0600), buf, sizeof(buf),
					err, sizeof(err)), 0);
	assert_string_equal(buf, "s3cret");
	assert_int_equal(api_token_read(token_file("t2", "s3cret\r\n", 8, 0400), buf, sizeof(buf),
					err, sizeof(err)), 0);
	assert_string_equal(buf, "s3cret");
	assert_int_equal(api_token_read(token_file("t3", "s3cret", 6, 0600), buf, sizeof(buf),
					err, sizeof(err)), 0);
	assert_string_equal(buf, "s3cret");
}

static void
token_read_refuses_open_modes(void **state)
{
	static const mode_t bad[] = { 0640, 0604, 0620, 0602, 0644, 0660, 0610, 0601 };
	char buf[64];

	(void)state;
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *p = token_file("open", "s3cret\n", 7, bad[i]);

		assert_int_equal(api_token_read(p, buf, sizeof(buf), err, sizeof(err)), -EPERM);
		assert_non_null(strstr(err, "0600 or stricter"));
	}
}

static void
token_read_refuses_bad_content(void **state)
{
	char buf[64], big[API_TOKEN_MAX + 2];
	const char *p;

	(void)state;
	p = token_file("empty", "", 0, 0600);
	assert_int_equal(api_token_read(p, buf, sizeof(buf), err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "empty"));
	p = token_file("nl", "\n", 1, 0600);
	assert_int_equal(api_token_read(p, buf, sizeof(buf), err, sizeof(err)), -EINVAL);
	p = token_file("two", "a\n\n", 3, 0600);
	assert_int_equal(api_token_read(p, buf, sizeof(buf), err, sizeof(err)), -EINVAL);
	p = token_file("space", "a b\n", 4, 0600);
	assert_int_equal(api_token_read(p, buf, sizeof(buf), err, sizeof(err)), -EINVAL);
	p = token_file("nul", "a\0b", 3, 0600);
	assert_int_equal(api_token_read(p, buf, sizeof(buf), err, sizeof(err)), -EINVAL);
	memset(big, 'x', sizeof(big));
	p = token_file("big", big, sizeof(big), 0600);
	assert_int_equal(api_token_read(p, buf, sizeof(buf), err, sizeof(err)), -E2BIG);
	assert_int_equal(api_token_read(tmpdir, buf, sizeof(buf), err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a regular file"));
	assert_int_equal(api_token_read("/nonexistent/token", buf, sizeof(buf), err,
					sizeof(err)), -ENOENT);
}

static void
token_compare(void **state)
{
	(void)state;
	assert_true(api_token_equal("abc", 3, "abc", 3));
	assert_false(api_token_equal("abd", 3, "abc", 3));
	assert_false(api_token_equal("xbc", 3, "abc", 3));
	assert_false(api_token_equal("ab", 2, "abc", 3));
	assert_false(api_token_equal("abcd", 4, "abc", 3));
	assert_false(api_token_equal("", 0, "abc", 3));
	/* A NUL where the token ends must not pass for the end. */
	assert_false(api_token_equal("ab\0", 3, "ab", 2));
}

/* ---- routes ----------------------------------------------------------- */

static const struct api_route *
route(const char *method, const char *path, struct api_match *m)
{
	char allow[64];

	return api_route_match(method, path, m, allow, sizeof(allow)) == 0 ? m->route : NULL;
}

static void
routes_each_dispatches_to_itself(void **state)
{
	struct api_match m;

	(void)state;
	assert_int_equal(api_route_count(), 24);
	for (unsigned i = 0; i < api_route_count(); i++) {
		const char *method, *path, *help;
		char url[128], *o = url;

		assert_int_equal(api_route_get(i, &method, &path, &help), 0);
		assert_true(help[0] != '\0');
		/* Prometheus looks for /metrics; everything else is versioned. */
		assert_true(strncmp(path, "/v1/", 4) == 0 || strcmp(path, "/metrics") == 0);
		/* Fill each parameter with a value and match it back. */
		for (const char *p = path; *p; p++) {
			if (*p == '{') {
				o += sprintf(o, "x%u", (unsigned)(o - url));
				p = strchr(p, '}');
			} else {
				*o++ = *p;
			}
		}
		*o = '\0';
		assert_ptr_equal(route(method, url, &m), &api_routes[i]);
	}
	assert_int_equal(api_route_get(api_route_count(), NULL, NULL, NULL), -ENOENT);
}

static void
routes_take_parameters(void **state)
{
	struct api_match m;

	(void)state;
	assert_non_null(route("GET", "/v1/vnis/200", &m));
	assert_string_equal(m.route->path, "/v1/vnis/{vni}");
	assert_int_equal(m.n_params, 1);
	assert_string_equal(m.params[0], "200");
	assert_non_null(route("DELETE", "/v1/vnis/200/fdb/02:00:00:00:00:01", &m));
	assert_string_equal(m.route->path, "/v1/vnis/{vni}/fdb/{mac}");
	assert_int_equal(m.n_params, 2);
	assert_string_equal(m.params[0], "200");
	assert_string_equal(m.params[1], "02:00:00:00:00:01");
	assert_non_null(route("DELETE", "/v1/vnis/7/remotes/198.18.0.2", &m));
	assert_string_equal(m.params[1], "198.18.0.2");
	assert_non_null(route("DELETE", "/v1/vnis/7/fdb", &m));
	assert_string_equal(m.route->path, "/v1/vnis/{vni}/fdb");
}

static void
routes_unknown_path_is_404(void **state)
{
	static const char *const paths[] = {
		"/", "/v1", "/v1/", "/v2/health", "/v1/health/", "/v1/vnis/", "/v1/vnis//fdb",
		"/v1/vnis/200/fdb/", "/v1/vnis/200/nope", "/v1/healthz", "/v1/vnis/200/fdb/a/b",
		"v1/health",
	};
	struct api_match m;
	char allow[64];

	(void)state;
	for (unsigned i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		assert_int_equal(api_route_match("GET", paths[i], &m, allow, sizeof(allow)), 404);
	/* A parameter longer than any valid value does not match. */
	char url[200];

	snprintf(url, sizeof(url), "/v1/vnis/%0*d", API_PARAM_MAX, 1);
	assert_int_equal(api_route_match("GET", url, &m, allow, sizeof(allow)), 404);
}

static void
routes_wrong_method_is_405_with_allow(void **state)
{
	struct api_match m;
	char allow[64];

	(void)state;
	assert_int_equal(api_route_match("PATCH", "/v1/vnis/200", &m, allow, sizeof(allow)), 405);
	assert_string_equal(allow, "GET, PUT, DELETE");
	assert_int_equal(api_route_match("POST", "/v1/health", &m, allow, sizeof(allow)), 405);
	assert_string_equal(allow, "GET");
	assert_int_equal(api_route_match("FOO", "/v1/vnis", &m, allow, sizeof(allow)), 405);
	assert_string_equal(allow, "GET, POST");
	assert_int_equal(api_route_match("get", "/v1/underlay", &m, allow, sizeof(allow)), 405);
	assert_string_equal(allow, "GET, PATCH");
	assert_int_equal(api_route_match("GET", "/v1/vnis/1/remotes", &m, allow, sizeof(allow)),
			 405);
	assert_string_equal(allow, "POST");
	assert_int_equal(api_route_match("PUT", "/v1/vnis/1/fdb", &m, allow, sizeof(allow)), 405);
	assert_string_equal(allow, "GET, POST, DELETE");
}

static void
content_types(void **state)
{
	(void)state;
	assert_int_equal(api_ctype_parse(NULL), API_CTYPE_NONE);
	assert_int_equal(api_ctype_parse("application/json"), API_CTYPE_JSON);
	assert_int_equal(api_ctype_parse("Application/JSON; charset=utf-8"), API_CTYPE_JSON);
	assert_int_equal(api_ctype_parse("application/yaml"), API_CTYPE_YAML);
	assert_int_equal(api_ctype_parse("application/jsonx"), API_CTYPE_OTHER);
	assert_int_equal(api_ctype_parse("text/plain"), API_CTYPE_OTHER);
	/* curl -d's default: JSON, from a client with the token (api.c) */
	assert_int_equal(api_ctype_parse("application/x-www-form-urlencoded"), API_CTYPE_FORM);
	assert_int_equal(api_ctype_parse("multipart/form-data"), API_CTYPE_OTHER);
}

/* ---- JSON and the tree ------------------------------------------------ */

static struct conf_node *
tree(const char *json)
{
	char reason[256];
	json_t *j = api_json_parse(json, strlen(json), reason, sizeof(reason));
	struct conf_node *n;

	if (j == NULL)
		fail_msg("%s: %s", json, reason);
	n = api_json_to_node(j, reason, sizeof(reason));
	json_decref(j);
	if (n == NULL)
		fail_msg("%s: %s", json, reason);
	return n;
}

static void
assert_scalar(const struct conf_node *n, enum conf_scalar_type t, const char *text)
{
	assert_non_null(n);
	assert_int_equal(conf_node_kind(n), CONF_NODE_SCALAR);
	assert_int_equal(conf_node_type(n), t);
	assert_string_equal(conf_node_text(n), text);
}

static void
json_scalars_keep_their_types(void **state)
{
	struct conf_node *n = tree("{\"s\":\"4789\",\"i\":4789,\"neg\":-1,\"r\":4789.0,"
				   "\"e\":1e3,\"f\":0.5,\"t\":true,\"no\":false,\"z\":null,"
				   "\"mac\":\"02:00:00:00:00:01\"}");

	(void)state;
	assert_int_equal(conf_node_kind(n), CONF_NODE_MAP);
	assert_scalar(conf_node_get(n, "s"), CONF_SCALAR_STRING, "4789");
	assert_scalar(conf_node_get(n, "i"), CONF_SCALAR_NUMBER, "4789");
	assert_scalar(conf_node_get(n, "neg"), CONF_SCALAR_NUMBER, "-1");
	/* Not integers, and written so that the rules refuse them as such. */
	assert_scalar(conf_node_get(n, "r"), CONF_SCALAR_NUMBER, "4789.0");
	assert_scalar(conf_node_get(n, "e"), CONF_SCALAR_NUMBER, "1000.0");
	assert_scalar(conf_node_get(n, "f"), CONF_SCALAR_NUMBER, "0.5");
	assert_scalar(conf_node_get(n, "t"), CONF_SCALAR_BOOL, "true");
	assert_scalar(conf_node_get(n, "no"), CONF_SCALAR_BOOL, "false");
	assert_scalar(conf_node_get(n, "z"), CONF_SCALAR_NULL, "");
	assert_scalar(conf_node_get(n, "mac"), CONF_SCALAR_STRING, "02:00:00:00:00:01");
	conf_node_free(n);
}

static void
json_nesting_and_order(void **state)
{
	struct conf_node *n = tree("{\"vni\":200,\"access\":[{\"port\":\"vm1\",\"vlan\":200},"
				   "{\"port\":\"vm2\",\"vlan\":\"untagged\"}],\"remotes\":[]}");
	const struct conf_node *acc;

	(void)state;
	assert_int_equal(conf_node_size(n), 3);
	assert_string_equal(conf_node_key(n, 0), "vni");
	assert_string_equal(conf_node_key(n, 1), "access");
	assert_string_equal(conf_node_key(n, 2), "remotes");
	acc = conf_node_get(n, "access");
	assert_int_equal(conf_node_kind(acc), CONF_NODE_SEQ);
	assert_int_equal(conf_node_size(acc), 2);
	assert_scalar(conf_node_get(conf_node_item(acc, 1), "vlan"), CONF_SCALAR_STRING,
		      "untagged");
	assert_int_equal(conf_node_kind(conf_node_get(n, "remotes")), CONF_NODE_SEQ);
	assert_int_equal(conf_node_size(conf_node_get(n, "remotes")), 0);
	conf_node_free(n);
}

static void
json_refused_with_position(void **state)
{
	char reason[256];
	const char *dup = "{\"vni\": 1,\n \"vni\": 2}";

	(void)state;
	assert_null(api_json_parse(dup, strlen(dup), reason, sizeof(reason)));
	assert_non_null(strstr(reason, "duplicate"));
	assert_non_null(strstr(reason, "line 2"));
	assert_null(api_json_parse("{\"a\": [1, 2}", 12, reason, sizeof(reason)));
	assert_non_null(strstr(reason, "invalid JSON at line 1, column"));
	assert_null(api_json_parse("", 0, reason, sizeof(reason)));
	assert_null(api_json_parse("{} {}", 5, reason, sizeof(reason)));
	assert_null(api_json_parse("\"a\\u0000b\"", 10, reason, sizeof(reason)));
}

static void
json_too_deep_is_refused(void **state)
{
	char buf[256], reason[256];
	unsigned d = API_JSON_DEPTH_MAX + 2;
	struct conf_node *n;
	json_t *j;

	(void)state;
	memset(buf, '[', d);
	memset(buf + d, ']', d);
	buf[2 * d] = '\0';
	j = api_json_parse(buf, strlen(buf), reason, sizeof(reason));
	assert_non_null(j);
	n = api_json_to_node(j, reason, sizeof(reason));
	json_decref(j);
	assert_null(n);
	assert_non_null(strstr(reason, "nested deeper"));
}

static void
node_to_json_types(void **state)
{
	struct conf_node *n = tree("{\"i\":7,\"s\":\"7\",\"b\":false,\"z\":null,\"l\":[1,\"x\"]}");
	json_t *j = api_node_to_json(n);

	(void)state;
	assert_true(json_is_integer(json_object_get(j, "i")));
	assert_int_equal(json_integer_value(json_object_get(j, "i")), 7);
	assert_true(json_is_string(json_object_get(j, "s")));
	assert_true(json_is_false(json_object_get(j, "b")));
	assert_true(json_is_null(json_object_get(j, "z")));
	assert_int_equal(json_array_size(json_object_get(j, "l")), 2);
	json_decref(j);
	conf_node_free(n);
}

/* A file's configuration through JSON and back is the same configuration:
 * what GET /v1/config shows, PUT /v1/config takes. */
static void
config_round_trips_through_json(void **state)
{
	static const char *const files[] = { "full.yaml", "minimal.yaml", "api.yaml" };
	char reason[256], path[256];

	(void)state;
	for (unsigned i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct conf_err e = { 0 };
		struct conf *c, *back;
		struct conf_node *n, *n2;
		char *text;
		json_t *j;

		snprintf(path, sizeof(path), "%s/good/%s", CONF_DIR, files[i]);
		c = conf_load(path, err, sizeof(err));
		if (c == NULL)
			fail_msg("%s", err);
		n = conf_to_node(c);
		j = api_node_to_json(n);
		assert_non_null(j);
		text = json_dumps(j, JSON_COMPACT);
		json_decref(j);
		j = api_json_parse(text, strlen(text), reason, sizeof(reason));
		assert_non_null(j);
		n2 = api_json_to_node(j, reason, sizeof(reason));
		json_decref(j);
		back = conf_from_node(n2, &e);
		if (back == NULL)
			fail_msg("%s: %s: %s (%s)", files[i], e.field, e.reason, text);
		assert_true(conf_equal(c, back));
		free(text);
		conf_free(back);
		conf_node_free(n2);
		conf_node_free(n);
		conf_free(c);
	}
}

/* The rules refuse a JSON body with the words a file gets. */
static void
json_refused_by_the_rules(void **state)
{
	struct conf_err e = { 0 };
	struct conf_node *n, *copy;
	struct conf *c;
	json_t *j;
	char path[256], *text;
	size_t len;

	(void)state;
	snprintf(path, sizeof(path), "%s/good/minimal.yaml", CONF_DIR);
	c = conf_load(path, err, sizeof(err));
	assert_non_null(c);
	n = conf_to_node(c);
	conf_free(c);
	copy = api_node_copy(n);
	j = api_node_to_json(copy);
	conf_node_free(copy);
	/* vnis[0].vni as a string, as a client might send it */
	json_object_set_new(json_array_get(json_object_get(j, "vnis"), 0), "vni",
			    json_string("100"));
	text = json_dumps(j, JSON_COMPACT);
	len = strlen(text);
	json_decref(j);
	j = api_json_parse(text, len, err, sizeof(err));
	free(text);
	conf_node_free(n);
	n = api_json_to_node(j, err, sizeof(err));
	json_decref(j);
	assert_null(conf_from_node(n, &e));
	assert_string_equal(e.field, "vnis[0].vni");
	assert_string_equal(api_field_strip(e.field, "vnis[0]"), "vni");
	conf_node_free(n);
}

/* ---- errors ----------------------------------------------------------- */

static void
error_body_shape(void **state)
{
	json_t *j = api_error_body("4095 is not a VLAN id (1-4094 or untagged)", "access[0].vlan");
	char *s = json_dumps(j, JSON_COMPACT);

	(void)state;
	assert_string_equal(s, "{\"error\":\"4095 is not a VLAN id (1-4094 or untagged)\","
			    "\"field\":\"access[0].vlan\"}");
	free(s);
	json_decref(j);
	j = api_error_body("wrong token", NULL);
	s = json_dumps(j, JSON_COMPACT);
	assert_string_equal(s, "{\"error\":\"wrong token\"}");
	free(s);
	json_decref(j);
	j = api_error_body("x", "");
	assert_null(json_object_get(j, "field"));
	json_decref(j);
}

static void
field_paths_within_the_body(void **state)
{
	(void)state;
	assert_string_equal(api_field_strip("vnis[5].access[0].vlan", "vnis[5]"), "access[0].vlan");
	assert_string_equal(api_field_strip("vnis[5]", "vnis[5]"), "");
	assert_string_equal(api_field_strip("vnis[5].vni", "vnis[5]"), "vni");
	assert_null(api_field_strip("vnis[50].vni", "vnis[5]"));
	assert_null(api_field_strip("vnis[4].vni", "vnis[5]"));
	assert_null(api_field_strip("fdb[0]", "vnis[5]"));
	assert_string_equal(api_field_strip("underlay.ttl", "underlay"), "ttl");
	assert_null(api_field_strip("underlayx", "underlay"));
	assert_string_equal(api_field_strip("fdb[3].mac", "fdb"), "[3].mac");
	assert_string_equal(api_field_strip("vnis[2].remotes[1]", "vnis[2].remotes[1]"), "");
}

static void
errno_to_status(void **state)
{
	(void)state;
	assert_int_equal(api_errno_status(-EINVAL), 400);
	assert_int_equal(api_errno_status(-ENOENT), 404);
	assert_int_equal(api_errno_status(-EEXIST), 409);
	assert_int_equal(api_errno_status(-EBUSY), 409);
	assert_int_equal(api_errno_status(-ENOSPC), 507);
	assert_int_equal(api_errno_status(-ENOMEM), 500);
	assert_int_equal(api_errno_status(-EIO), 500);
	assert_int_equal(api_errno_status(-ESHUTDOWN), 503);
}

/* ---- the server's gate ------------------------------------------------ */

#define TOKEN "t0ken-for-tests"

static struct conf_api test_conf = {
	.enabled = true,
	.listen_host = "127.0.0.1",
	.listen_port = 0,
	.max_connections = 8,
	.idle_timeout = 5,
	.body_limit = 4096,
};

/* Requests here are all answered before a handler would reach the writer,
 * so no writer runs: ctl points nowhere it is ever used. */
static struct api *
start(const char *token)
{
	struct api_params p = {
		.ctl = (struct ctl *)&test_conf,
		.conf = &test_conf,
		.token = token,
		.version = "9.9.9",
		.start_ms = 0,
		.n_workers = 3,
	};
	struct api *a = api_start(&p, err, sizeof(err));

	if (a == NULL)
		fail_msg("api_start: %s", err);
	return a;
}

struct answer {
	int status;
	char head[4096];
	char *body;
};

/* One request on a new connection; every wait bounded at 5 s. */
static void
http(uint16_t port, const char *req, size_t len, struct answer *ans)
{
	static char buf[1 << 16];
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct timeval tv = { .tv_sec = 5 };
	size_t got = 0, off = 0;
	ssize_t n;
	char *end;
	int fd;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	while (off < len) {
		n = send(fd, req + off, len - off, MSG_NOSIGNAL);
		if (n <= 0)
			break;          /* an early answer may close the socket */
		off += (size_t)n;
	}
	while (got < sizeof(buf) - 1) {
		n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			fail_msg("no answer within 5 s to: %.60s", req);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	end = strstr(buf, "\r\n\r\n");
	if (end == NULL)
		fail_msg("no complete header in the answer to %.60s: %s", req, buf);
	*end = '\0';
	if ((size_t)(end - buf) >= sizeof(ans->head))
		fail_msg("a header of %zu bytes", (size_t)(end - buf));
	memcpy(ans->head, buf, (size_t)(end - buf) + 1);
	ans->body = end + 4;
	assert_int_equal(sscanf(buf, "HTTP/1.1 %d", &ans->status), 1);
}

static void
get(uint16_t port, const char *path, const char *extra, struct answer *ans)
{
	char req[8192];
	int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
			 "%s\r\n", path, extra ? extra : "");

	http(port, req, (size_t)n, ans);
}

/* The body is an error object with this reason part. */
static void
assert_error(const struct answer *ans, int status, const char *reason_part)
{
	json_error_t e;
	json_t *j;

	assert_int_equal(ans->status, status);
	assert_non_null(strcasestr(ans->head, "Content-Type: application/json"));
	j = json_loads(ans->body, 0, &e);
	if (j == NULL)
		fail_msg("not JSON: %s", ans->body);
	assert_true(json_is_string(json_object_get(j, "error")));
	if (strstr(json_string_value(json_object_get(j, "error")), reason_part) == NULL)
		fail_msg("\"%s\" not in %s", reason_part, ans->body);
	json_decref(j);
}

static void
health_needs_no_token(void **state)
{
	struct api *a = start(TOKEN);
	struct answer ans;
	json_t *j;

	(void)state;
	get(api_port(a), "/v1/health", NULL, &ans);
	assert_int_equal(ans.status, 200);
	j = json_loads(ans.body, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "status")), "ok");
	assert_string_equal(json_string_value(json_object_get(j, "version")), "9.9.9");
	assert_int_equal(json_integer_value(json_object_get(j, "workers")), 3);
	assert_true(json_is_integer(json_object_get(j, "uptime_s")));
	json_decref(j);
	api_stop(a);
}

static void
token_required_elsewhere(void **state)
{
	struct api *a = start(TOKEN);
	struct answer ans;

	(void)state;
	get(api_port(a), "/v1/vnis", NULL, &ans);
	assert_error(&ans, 401, "token is required");
	assert_non_null(strcasestr(ans.head, "WWW-Authenticate: Bearer"));
	get(api_port(a), "/v1/vnis", "Authorization: Bearer t0ken-for-testz\r\n", &ans);
	assert_error(&ans, 401, "wrong token");
	get(api_port(a), "/v1/vnis", "Authorization: Basic dXNlcjpwYXNz\r\n", &ans);
	assert_error(&ans, 401, "wrong token");
	/* Unknown paths too: without the token nothing is learnt. */
	get(api_port(a), "/v1/secret", NULL, &ans);
	assert_error(&ans, 401, "token");
	get(api_port(a), "/v1/secret", "Authorization: bearer " TOKEN "\r\n", &ans);
	assert_error(&ans, 404, "no such path");
	{
		static const char put[] = "PUT /v1/vnis/300 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
			"Connection: close\r\nContent-Type: application/json\r\n"
			"Content-Length: 20\r\n\r\n{\"access\": [      ]}";

		http(api_port(a), put, sizeof(put) - 1, &ans);
		assert_error(&ans, 401, "token is required");
	}
	api_stop(a);
}

static void
gate_statuses(void **state)
{
	struct api *a = start(NULL);
	uint16_t port = api_port(a);
	char req[8192], path[API_URL_MAX + 100];
	struct answer ans;
	int n;

	(void)state;
	get(port, "/v2/nothing", NULL, &ans);
	assert_error(&ans, 404, "no such path");

	/* Without a token: a Host that is no loopback name (a web page, DNS
	 * rebinding) is refused; loopback names are served. */
	n = snprintf(req, sizeof(req), "GET /v1/health HTTP/1.1\r\nHost: evil.example:8080\r\n"
		     "Connection: close\r\n\r\n");
	http(port, req, (size_t)n, &ans);
	assert_error(&ans, 403, "no loopback name");
	n = snprintf(req, sizeof(req), "GET /v1/health HTTP/1.1\r\nHost: 127.1.2.3.evil.example\r\n"
		     "Connection: close\r\n\r\n");
	http(port, req, (size_t)n, &ans);
	assert_error(&ans, 403, "no loopback name");
	n = snprintf(req, sizeof(req), "GET /v1/health HTTP/1.1\r\nHost: localhost:8080\r\n"
		     "Connection: close\r\n\r\n");
	http(port, req, (size_t)n, &ans);
	assert_int_equal(ans.status, 200);
	n = snprintf(req, sizeof(req), "GET /v1/health HTTP/1.1\r\nHost: [::1]:8080\r\n"
		     "Connection: close\r\n\r\n");
	http(port, req, (size_t)n, &ans);
	assert_int_equal(ans.status, 200);
	/* ...and curl -d's form type, which a page may send unasked, is no
	 * JSON without the token. */
	n = snprintf(req, sizeof(req), "PUT /v1/vnis/300 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		     "Connection: close\r\nContent-Type: application/x-www-form-urlencoded\r\n"
		     "Content-Length: 2\r\n\r\n{}");
	http(port, req, (size_t)n, &ans);
	assert_error(&ans, 415, "application/x-www-form-urlencoded");

	n = snprintf(req, sizeof(req), "DELETE /v1/vnis HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		     "Connection: close\r\n\r\n");
	http(port, req, (size_t)n, &ans);
	assert_error(&ans, 405, "allowed: GET, POST");
	assert_non_null(strcasestr(ans.head, "Allow: GET, POST"));

	memset(path, 'a', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	memcpy(path, "/v1/", 4);
	get(port, path, NULL, &ans);
	assert_error(&ans, 414, "longer than");

	n = snprintf(req, sizeof(req), "PUT /v1/vnis/200 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		     "Connection: close\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n"
		     "\r\n{}");
	http(port, req, (size_t)n, &ans);
	assert_error(&ans, 415, "text/plain");

	n = snprintf(req, sizeof(req), "PUT /v1/vnis/200 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		     "Connection: close\r\nContent-Length: 2\r\n\r\n{}");
	http(port, req, (size_t)n, &ans);
	assert_error(&ans, 415, "Content-Type");

	/* Announced far too large (past API_DISCARD_MIN): refused before
	 * the body is read. */
	n = snprintf(req, sizeof(req), "POST /v1/vnis HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		     "Connection: close\r\nContent-Type: application/json\r\n"
		     "Content-Length: 100000000\r\n\r\n");
	http(port, req, (size_t)n, &ans);
	assert_error(&ans, 413, "larger than 4096");

	/* A little over: read and dropped, then refused, so that the answer
	 * is not lost to a reset of a socket closed with data unread. */
	{
		static char big[8192];
		size_t len;

		len = (size_t)snprintf(big, sizeof(big), "POST /v1/vnis HTTP/1.1\r\nHost: 127.0.0.1\r\n"
				       "Connection: close\r\nContent-Type: application/json\r\n"
				       "Content-Length: 5000\r\n\r\n");
		memset(big + len, ' ', 5000);
		http(port, big, len + 5000, &ans);
		assert_error(&ans, 413, "larger than 4096");
	}

	/* A client that waits for 100 Continue is answered at once. */
	n = snprintf(req, sizeof(req), "POST /v1/vnis HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		     "Connection: close\r\nContent-Type: application/json\r\n"
		     "Expect: 100-continue\r\nContent-Length: 5000\r\n\r\n");
	http(port, req, (size_t)n, &ans);
	assert_error(&ans, 413, "larger than 4096");
	api_stop(a);
}

/* A chunked body has no length to refuse up front: it is read, dropped
 * past the limit, and refused at its end. */
static void
chunked_body_over_the_limit(void **state)
{
	struct api *a = start(NULL);
	static char req[16384];
	struct answer ans;
	size_t n;

	(void)state;
	n = (size_t)snprintf(req, sizeof(req), "POST /v1/vnis HTTP/1.1\r\nHost: 127.0.0.1\r\n"
			     "Connection: close\r\nContent-Type: application/json\r\n"
			     "Transfer-Encoding: chunked\r\n\r\n");
	for (int i = 0; i < 5; i++) {
		n += (size_t)snprintf(req + n, sizeof(req) - n, "400\r\n");
		memset(req + n, ' ', 0x400);
		n += 0x400;
		n += (size_t)snprintf(req + n, sizeof(req) - n, "\r\n");
	}
	n += (size_t)snprintf(req + n, sizeof(req) - n, "0\r\n\r\n");
	http(api_port(a), req, n, &ans);
	assert_error(&ans, 413, "larger than 4096");
	api_stop(a);
}

static void
port_in_use_is_reported(void **state)
{
	struct api *a = start(NULL);
	struct conf_api c = test_conf;
	struct api_params p = { .ctl = (struct ctl *)&test_conf, .conf = &c };

	(void)state;
	c.listen_port = api_port(a);
	assert_null(api_start(&p, err, sizeof(err)));
	assert_non_null(strstr(err, "Address already in use"));
	api_stop(a);
	snprintf(c.listen_host, sizeof(c.listen_host), "not-an-address");
	c.listen_port = 0;
	assert_null(api_start(&p, err, sizeof(err)));
}

/* ---- the handlers, against a writer ----------------------------------- */

#define N_WORKERS 2

static const char base_yaml[] =
	"ports:\n"
	"  - { name: up, devargs: net_null0, role: underlay }\n"
	"  - { name: vm1, devargs: net_null1, role: access }\n"
	"  - { name: vm2, devargs: net_null2, role: access }\n"
	"underlay:\n"
	"  port: up\n"
	"  address: 198.18.0.1/24\n"
	"  neighbors:\n"
	"    - { ip: 198.18.0.2, mac: \"02:00:00:00:0a:02\" }\n"
	"vnis:\n"
	"  - vni: 100\n"
	"    access: [ { port: vm1, vlan: untagged } ]\n"
	"    remotes: [ 198.18.0.2 ]\n"
	"fdb:\n"
	"  - { vni: 100, mac: \"02:00:00:00:00:aa\", remote: 198.18.0.3 }\n"
	"fdb_capacity: 1024\n";

static struct {
	struct rte_rcu_qsbr *qsbr;
	struct rte_ring *learn;
	struct dp_counters blocks[N_WORKERS];
	struct dp_counters *ctrs[N_WORKERS];
	struct dp_snap *snap;
	struct conf *conf;
	struct ctl *ctl;
	struct api *api;
	pthread_t poller;
	volatile int stop;
} w;

static uint64_t
fake_clock(void *arg)
{
	(void)arg;
	return 1000;
}

static void *
poll_loop(void *arg)
{
	(void)arg;
	while (!w.stop) {
		ctl_poll(w.ctl);
		usleep(200);
	}
	return NULL;
}

static int
writer_setup(void **state)
{
	struct ctl_port ports[3] = {
		{ .name = "up", .id = 0, .underlay = true,
		  .mac = { .addr_bytes = { 0x02, 0, 0, 0, 0x0a, 0x01 } }, .n_rxq = 1 },
		{ .name = "vm1", .id = 1, .n_rxq = 1 },
		{ .name = "vm2", .id = 2, .n_rxq = 1 },
	};
	struct ctl_params p = {
		.ports = ports, .n_ports = 3, .underlay = 0,
		.snap = &w.snap, .counters = w.ctrs, .n_workers = N_WORKERS,
		.clock_ms = fake_clock,
	};
	struct api_params ap = {
		.conf = &test_conf, .version = "9.9.9", .n_workers = N_WORKERS,
	};
	struct conf_err e;
	char msg[512];

	(void)state;
	test_eal_init();
	if (w.qsbr == NULL) {
		size_t sz = rte_rcu_qsbr_get_memsize(1);

		w.qsbr = rte_zmalloc("qsbr", sz, RTE_CACHE_LINE_SIZE);
		if (w.qsbr == NULL || rte_rcu_qsbr_init(w.qsbr, 1) != 0)
			return -1;
		w.learn = fdb_learn_ring_create("learn", 1024, 0);
		if (w.learn == NULL)
			return -1;
		for (unsigned i = 0; i < N_WORKERS; i++) {
			w.blocks[i].vni = calloc(CTL_MAX_VNIS, sizeof(struct vni_ctr));
			w.ctrs[i] = &w.blocks[i];
		}
	}
	p.qsbr = w.qsbr;
	p.learn = w.learn;
	w.conf = conf_load_string(base_yaml, strlen(base_yaml), "test.yaml", msg, sizeof(msg));
	if (w.conf == NULL) {
		fprintf(stderr, "%s\n", msg);
		return -1;
	}
	p.conf = w.conf;
	w.ctl = ctl_create(&p, &e);
	if (w.ctl == NULL) {
		fprintf(stderr, "ctl_create: %s: %s\n", e.field, e.reason);
		return -1;
	}
	w.stop = 0;
	if (pthread_create(&w.poller, NULL, poll_loop, NULL) != 0)
		return -1;
	ap.ctl = w.ctl;
	w.api = api_start(&ap, err, sizeof(err));
	if (w.api == NULL) {
		fprintf(stderr, "api_start: %s\n", err);
		return -1;
	}
	return 0;
}

static int
writer_teardown(void **state)
{
	(void)state;
	ctl_call_shutdown(w.ctl);
	api_stop(w.api);
	w.stop = 1;
	pthread_join(w.poller, NULL);
	ctl_free(w.ctl);
	conf_free(w.conf);
	return 0;
}

static struct answer ans;
static json_t *body;

/* One request to the writer's server; @p ctype NULL: application/json when
 * there is a body. Leaves the answer in ans, its JSON (or NULL) in body. */
static int
req(const char *method, const char *path, const char *ctype, const char *data)
{
	static char buf[1 << 16];
	size_t len = data ? strlen(data) : 0;
	int n;

	n = snprintf(buf, sizeof(buf), "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
		     "%s%s%s" "Content-Length: %zu\r\n\r\n%s", method, path,
		     data ? "Content-Type: " : "", data ? (ctype ? ctype : "application/json") : "",
		     data ? "\r\n" : "", len, data ? data : "");
	assert_true(n > 0 && (size_t)n < sizeof(buf));
	http(api_port(w.api), buf, (size_t)n, &ans);
	json_decref(body);
	body = json_loads(ans.body, JSON_DECODE_ANY, NULL);
	if (getenv("TEST_API_VERBOSE"))
		fprintf(stderr, "%s %s %s\n-> %d %s", method, path, data ? data : "", ans.status,
			ans.body);
	return ans.status;
}

static const char *
str(const char *key)
{
	const char *s = json_string_value(json_object_get(body, key));

	return s ? s : "(none)";
}

/* The answer is an error with this status, field (NULL: none) and a
 * reason containing @p part. */
static void
refused(int status, const char *field, const char *part)
{
	if (ans.status != status)
		fail_msg("status %d, not %d: %s", ans.status, status, ans.body);
	if (field == NULL && json_object_get(body, "field"))
		fail_msg("a field where none was due: %s", ans.body);
	if (field && strcmp(str("field"), field) != 0)
		fail_msg("field %s, not %s: %s", str("field"), field, ans.body);
	if (strstr(str("error"), part) == NULL)
		fail_msg("\"%s\" not in the reason: %s", part, ans.body);
}

static void
handlers_vni_lifecycle(void **state)
{
	const char *vni200 = "{\"access\":[{\"port\":\"vm2\",\"vlan\":200}],"
			     "\"remotes\":[\"198.18.0.2\"]}";

	(void)state;
	assert_int_equal(req("GET", "/v1/vnis", NULL, NULL), 200);
	assert_int_equal(json_array_size(json_object_get(body, "vnis")), 1);
	assert_int_equal(req("PUT", "/v1/vnis/200", NULL, vni200), 201);
	assert_int_equal(json_integer_value(json_object_get(body, "vni")), 200);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(
		json_object_get(body, "access"), 0), "vlan")), 200);
	/* Idempotent: the same PUT again replaces with the same. */
	assert_int_equal(req("PUT", "/v1/vnis/200", NULL, vni200), 200);
	assert_int_equal(req("GET", "/v1/vnis/200", NULL, NULL), 200);
	assert_string_equal(json_string_value(json_array_get(json_object_get(body, "remotes"), 0)),
			    "198.18.0.2");
	assert_int_equal(req("POST", "/v1/vnis", NULL,
			     "{\"vni\":200,\"access\":[{\"port\":\"vm2\",\"vlan\":200}]}"), 409);
	refused(409, "vni", "exists");
	assert_int_equal(req("POST", "/v1/vnis", NULL,
			     "{\"vni\":300,\"access\":[{\"port\":\"vm2\",\"vlan\":300}]}"), 201);
	assert_int_equal(req("GET", "/v1/vnis", NULL, NULL), 200);
	assert_int_equal(json_array_size(json_object_get(body, "vnis")), 3);
	assert_int_equal(req("DELETE", "/v1/vnis/200", NULL, NULL), 204);
	assert_int_equal(req("DELETE", "/v1/vnis/200", NULL, NULL), 404);
	refused(404, "vni", "no VNI 200");
	assert_int_equal(req("GET", "/v1/vnis/200", NULL, NULL), 404);
	assert_int_equal(req("GET", "/v1/vnis/0", NULL, NULL), 400);
	refused(400, "vni", "not a VNI");
	assert_int_equal(req("DELETE", "/v1/vnis/300", NULL, NULL), 204);
}

static void
handlers_refuse_bodies_with_the_rules_words(void **state)
{
	(void)state;
	req("PUT", "/v1/vnis/200", NULL, "{\"access\":[{\"port\":\"vm2\",\"vlan\":4095}]}");
	refused(400, "access[0].vlan", "4095 is not a VLAN id");
	req("PUT", "/v1/vnis/200", NULL, "{\"access\":[{\"port\":\"vm2\"}],\"bogus\":1}");
	refused(400, "bogus", "unknown field");
	req("PUT", "/v1/vnis/200", NULL, "{\"access\":[{\"port\":\"vm2\",\"vlan\":\"200\"}]}");
	assert_int_equal(ans.status, 400);
	assert_string_equal(str("field"), "access[0].vlan");
	req("PUT", "/v1/vnis/200", NULL, "{\"access\":[{\"port\":\"vm9\"}]}");
	refused(400, "access[0].port", "vm9");
	/* vm1 untagged is VNI 100's */
	req("PUT", "/v1/vnis/200", NULL, "{\"access\":[{\"port\":\"vm1\"}]}");
	refused(409, "access[0]", "already bound to VNI 100");
	req("PUT", "/v1/vnis/200", NULL, "{\"vni\":201,\"access\":[{\"port\":\"vm2\"}]}");
	refused(400, "vni", "differs");
	req("PUT", "/v1/vnis/200", NULL, "{\"access\":[{\"port\":\"vm2\"}],}");
	refused(400, NULL, "invalid JSON at line 1");
	req("PUT", "/v1/vnis/200", NULL, "{\"access\":[],\"access\":[]}");
	refused(400, NULL, "duplicate");
	req("PUT", "/v1/vnis/200", NULL, "[1]");
	refused(400, NULL, "expected a mapping");
	req("PUT", "/v1/vnis/200", NULL, NULL);
	refused(400, NULL, "body is required");
	req("PUT", "/v1/vnis/200", "application/yaml", "access: []");
	assert_int_equal(ans.status, 415);
	req("POST", "/v1/vnis", NULL, "{\"access\":[{\"port\":\"vm2\"}]}");
	refused(400, "vni", "required");
	/* Nothing of it changed anything. */
	assert_int_equal(req("GET", "/v1/vnis", NULL, NULL), 200);
	assert_int_equal(json_array_size(json_object_get(body, "vnis")), 1);
}

static void
handlers_fdb(void **state)
{
	json_t *e;

	(void)state;
	assert_int_equal(req("POST", "/v1/vnis/100/fdb", NULL,
			     "{\"mac\":\"02:00:00:00:00:bb\",\"remote\":\"198.18.0.2\"}"), 201);
	assert_int_equal(json_integer_value(json_object_get(body, "added")), 1);
	/* Again, the same: nothing changes. Another destination: a conflict. */
	assert_int_equal(req("POST", "/v1/vnis/100/fdb", NULL,
			     "{\"mac\":\"02:00:00:00:00:BB\",\"remote\":\"198.18.0.2\"}"), 200);
	assert_int_equal(json_integer_value(json_object_get(body, "existing")), 1);
	req("POST", "/v1/vnis/100/fdb", NULL,
	    "{\"mac\":\"02:00:00:00:00:bb\",\"remote\":\"198.18.0.4\"}");
	assert_int_equal(ans.status, 409);
	/* A list is all or nothing, and a refusal names the entry. */
	req("POST", "/v1/vnis/100/fdb", NULL,
	    "[{\"mac\":\"02:00:00:00:00:c1\",\"remote\":\"198.18.0.2\"},"
	    "{\"mac\":\"02:00:00:00:00:zz\",\"remote\":\"198.18.0.2\"}]");
	refused(400, "[1].mac", "02:00:00:00:00:zz");
	req("POST", "/v1/vnis/100/fdb", NULL,
	    "{\"mac\":\"02:00:00:00:00:c1\",\"port\":\"vm2\"}");
	assert_int_equal(ans.status, 400);
	assert_int_equal(req("POST", "/v1/vnis/100/fdb", NULL,
			     "[{\"mac\":\"02:00:00:00:00:c1\",\"remote\":\"198.18.0.2\"},"
			     "{\"mac\":\"02:00:00:00:00:c2\",\"port\":\"vm1\"}]"), 201);
	assert_int_equal(json_integer_value(json_object_get(body, "added")), 2);
	assert_int_equal(req("GET", "/v1/vnis/100/fdb?type=static", NULL, NULL), 200);
	assert_int_equal(json_array_size(json_object_get(body, "fdb")), 4);
	e = json_array_get(json_object_get(body, "fdb"), 0);
	assert_string_equal(json_string_value(json_object_get(e, "type")), "static");
	assert_true(json_is_integer(json_object_get(e, "age_s")));
	assert_int_equal(req("GET", "/v1/vnis/100/fdb?type=learned", NULL, NULL), 200);
	assert_int_equal(json_array_size(json_object_get(body, "fdb")), 0);
	req("GET", "/v1/vnis/100/fdb?type=other", NULL, NULL);
	refused(400, "type", "static or learned");
	assert_int_equal(req("DELETE", "/v1/vnis/100/fdb/02:00:00:00:00:c2", NULL, NULL), 204);
	assert_int_equal(req("DELETE", "/v1/vnis/100/fdb/02:00:00:00:00:c2", NULL, NULL), 404);
	refused(404, "mac", "no entry");
	req("DELETE", "/v1/vnis/100/fdb/nope", NULL, NULL);
	refused(400, "mac", "not a MAC");
	assert_int_equal(req("DELETE", "/v1/vnis/100/fdb?type=learned", NULL, NULL), 200);
	assert_int_equal(json_integer_value(json_object_get(body, "flushed")), 0);
	req("DELETE", "/v1/vnis/100/fdb", NULL, NULL);
	refused(400, "type", "type=learned");
	req("POST", "/v1/vnis/999/fdb", NULL, "{\"mac\":\"02:00:00:00:00:bb\",\"remote\":\"198.18.0.2\"}");
	refused(404, "vni", "no VNI 999");
	req("GET", "/v1/vnis/999/fdb", NULL, NULL);
	refused(404, "vni", "no VNI 999");
}

static void
handlers_flood_list(void **state)
{
	(void)state;
	assert_int_equal(req("POST", "/v1/vnis/100/remotes", NULL,
			     "{\"remote\":\"198.18.0.3\"}"), 201);
	assert_string_equal(str("remote"), "198.18.0.3");
	assert_int_equal(req("POST", "/v1/vnis/100/remotes", NULL,
			     "{\"remote\":\"198.18.0.3\"}"), 200);
	req("POST", "/v1/vnis/100/remotes", NULL, "{\"remote\":\"198.18.0.1\"}");
	assert_int_equal(ans.status, 400);
	assert_string_equal(str("field"), "remote");
	req("POST", "/v1/vnis/100/remotes", NULL, "{\"remote\":\"nope\"}");
	refused(400, "remote", "nope");
	req("POST", "/v1/vnis/100/remotes", NULL, "{\"ip\":\"198.18.0.5\"}");
	refused(400, "ip", "unknown field");
	assert_int_equal(req("DELETE", "/v1/vnis/100/remotes/198.18.0.3", NULL, NULL), 204);
	assert_int_equal(req("DELETE", "/v1/vnis/100/remotes/198.18.0.3", NULL, NULL), 404);
	req("DELETE", "/v1/vnis/100/remotes/300.1.1.1", NULL, NULL);
	refused(400, "ip", "not an IPv4");
	assert_int_equal(req("GET", "/v1/vnis/100", NULL, NULL), 200);
	assert_int_equal(json_array_size(json_object_get(body, "remotes")), 1);
}

static void
handlers_underlay(void **state)
{
	(void)state;
	assert_int_equal(req("PATCH", "/v1/underlay", NULL, "{\"ttl\":32,\"df\":false}"), 200);
	assert_int_equal(json_integer_value(json_object_get(body, "ttl")), 32);
	assert_true(json_is_false(json_object_get(body, "df")));
	assert_string_equal(str("port"), "up");
	req("PATCH", "/v1/underlay", NULL, "{\"mtu\":99}");
	refused(400, "mtu", "out of range");
	req("PATCH", "/v1/underlay", NULL, "{\"udp_port\":4790}");
	assert_int_equal(ans.status, 400);
	assert_int_equal(req("GET", "/v1/underlay", NULL, NULL), 200);
	assert_int_equal(json_integer_value(json_object_get(body, "ttl")), 32);
	assert_null(json_object_get(body, "udp_port"));
}

static void
handlers_config(void **state)
{
	json_t *cfg, *vnis;
	char *text;

	(void)state;
	assert_int_equal(req("GET", "/v1/config", NULL, NULL), 200);
	cfg = json_incref(body);
	assert_non_null(json_object_get(cfg, "ports"));
	vnis = json_object_get(cfg, "vnis");
	json_array_append_new(vnis, json_pack("{s:i, s:[{s:s, s:i}]}", "vni", 300, "access",
					      "port", "vm2", "vlan", 300));
	text = json_dumps(cfg, JSON_COMPACT);
	assert_int_equal(req("PUT", "/v1/config?dry_run=true", NULL, text), 200);
	assert_int_equal(json_integer_value(json_object_get(body, "changes")), 1);
	assert_true(json_is_true(json_object_get(body, "dry_run")));
	assert_string_equal(json_string_value(json_array_get(json_object_get(body, "diff"), 0)),
			    "+ vni 300");
	assert_int_equal(req("GET", "/v1/vnis/300", NULL, NULL), 404);
	assert_int_equal(req("PUT", "/v1/config", NULL, text), 200);
	assert_int_equal(json_integer_value(json_object_get(body, "changes")), 1);
	assert_int_equal(req("GET", "/v1/vnis/300", NULL, NULL), 200);
	assert_int_equal(req("PUT", "/v1/config", NULL, text), 200);
	assert_int_equal(json_integer_value(json_object_get(body, "changes")), 0);
	free(text);
	json_decref(cfg);
	req("PUT", "/v1/config?dry_run=maybe", NULL, "{}");
	refused(400, "dry_run", "true or false");
	req("PUT", "/v1/config", NULL, "{\"ports\":[]}");
	assert_int_equal(ans.status, 400);

	/* YAML both ways: what GET gives, PUT takes. */
	assert_int_equal(req("GET", "/v1/config", NULL, NULL), 200);
	{
		char r2[256];
		int n = snprintf(r2, sizeof(r2), "GET /v1/config HTTP/1.1\r\nHost: 127.0.0.1\r\n"
				 "Connection: close\r\nAccept: application/yaml\r\n\r\n");

		http(api_port(w.api), r2, (size_t)n, &ans);
	}
	assert_int_equal(ans.status, 200);
	assert_non_null(strcasestr(ans.head, "Content-Type: application/yaml"));
	assert_non_null(strstr(ans.body, "vni: 300"));
	text = strdup(ans.body);
	assert_int_equal(req("PUT", "/v1/config", "application/yaml", text), 200);
	assert_int_equal(json_integer_value(json_object_get(body, "changes")), 0);
	free(text);
	req("PUT", "/v1/config", "application/yaml", "ports: {}\n");
	assert_int_equal(ans.status, 400);
	assert_string_equal(str("field"), "ports");
	assert_int_equal(json_integer_value(json_object_get(body, "line")), 1);
	assert_int_equal(req("DELETE", "/v1/vnis/300", NULL, NULL), 204);
}

static void
handlers_read_state(void **state)
{
	json_t *p;

	(void)state;
	assert_int_equal(req("GET", "/v1/ports", NULL, NULL), 200);
	assert_int_equal(json_array_size(json_object_get(body, "ports")), 3);
	p = json_array_get(json_object_get(body, "ports"), 0);
	assert_string_equal(json_string_value(json_object_get(p, "name")), "up");
	assert_string_equal(json_string_value(json_object_get(p, "role")), "underlay");
	assert_string_equal(json_string_value(json_object_get(p, "mac")), "02:00:00:00:0a:01");
	assert_true(json_is_boolean(json_object_get(json_object_get(p, "link"), "up")));
	assert_true(json_is_integer(json_object_get(json_object_get(p, "counters"), "rx_packets")));
	assert_int_equal(req("GET", "/v1/neighbors", NULL, NULL), 200);
	p = json_array_get(json_object_get(body, "neighbors"), 0);
	assert_string_equal(json_string_value(json_object_get(p, "ip")), "198.18.0.2");
	assert_string_equal(json_string_value(json_object_get(p, "state")), "static");
	assert_string_equal(json_string_value(json_object_get(p, "mac")), "02:00:00:00:0a:02");
	assert_int_equal(req("GET", "/v1/stats", NULL, NULL), 200);
	assert_true(json_is_integer(json_object_get(json_object_get(body, "drops"), "unknown_vni")));
	assert_null(json_object_get(json_object_get(body, "drops"), "none"));
	assert_true(json_is_integer(json_object_get(json_object_get(body, "ctl"), "ctl.changes")));
	assert_true(json_is_integer(json_object_get(json_object_get(body, "worker"), "learn.posted")));
	assert_int_equal(json_array_size(json_object_get(body, "workers")), N_WORKERS);
	assert_int_equal(json_array_size(json_object_get(body, "vnis")), 1);
	assert_int_equal(req("GET", "/v1/vnis/100/stats", NULL, NULL), 200);
	assert_int_equal(json_integer_value(json_object_get(body, "vni")), 100);
	assert_true(json_is_integer(json_object_get(body, "encap_packets")));
	assert_int_equal(json_integer_value(json_object_get(body, "fdb_entries")), 1);
	assert_int_equal(req("GET", "/v1/vnis/101/stats", NULL, NULL), 404);
	assert_int_equal(req("GET", "/v1/health", NULL, NULL), 200);
}

/* The text format of a synthetic set of counters: names from the .def
 * files, labels escaped, one family's samples together. */
static void
metrics_text_format(void **state)
{
	static struct ctl_vni_stats vnis[2] = {
		{ .vni = 7, .fdb_entries = 3, .fdb_learned = 2 },
		{ .vni = 16777215 },
	};
	struct ctl_stats *s = calloc(1, sizeof(*s));
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(s);
	assert_non_null(f);
	s->n_ports = 1;
	snprintf(s->ports[0].name, sizeof(s->ports[0].name), "%s", "a\"b\\c");
	s->ports[0].c[CTL_PORT_TX_PACKETS] = 42;
	vnis[0].c[CTL_VNI_ENCAP_PACKETS] = 5;
	s->n_vnis = 2;
	s->vnis = vnis;
	s->n_workers = 1;
	s->workers[0].busy_ratio = 0.25;
	s->drops[VTEP_DROP_UNKNOWN_VNI] = 9;
	s->worker[CTL_WORKER_LEARN_POSTED] = 11;
	s->ctl[CTL_CHANGES] = 4;
	s->neighbors[NEIGH_PROBE] = 1;
	s->n_rings = 1;
	s->rings[0] = (struct ctl_fill){ .name = "learn", .used = 3, .size = 1023 };
	assert_int_equal(api_metrics_write(f, s, "1.2\"3", 60), 0);
	assert_int_equal(fclose(f), 0);
	assert_non_null(strstr(buf, "vtep_build_info{version=\"1.2\\\"3\"} 1\n"));
	assert_non_null(strstr(buf, "vtep_uptime_seconds 60\n"));
	assert_non_null(strstr(buf, "# HELP vtep_port_tx_packets_total frames sent\n"
				    "# TYPE vtep_port_tx_packets_total counter\n"
				    "vtep_port_tx_packets_total{port=\"a\\\"b\\\\c\"} 42\n"));
	assert_non_null(strstr(buf, "# TYPE vtep_vni_encap_packets_total counter\n"
				    "vtep_vni_encap_packets_total{vni=\"7\"} 5\n"
				    "vtep_vni_encap_packets_total{vni=\"16777215\"} 0\n"));
	assert_non_null(strstr(buf, "vtep_vni_fdb_entries{vni=\"7\",type=\"static\"} 1\n"
				    "vtep_vni_fdb_entries{vni=\"7\",type=\"learned\"} 2\n"));
	assert_non_null(strstr(buf, "vtep_worker_busy_ratio{worker=\"0\"} 0.2500\n"));
	assert_non_null(strstr(buf, "vtep_drops_total{reason=\"unknown_vni\"} 9\n"));
	assert_null(strstr(buf, "reason=\"none\""));
	assert_non_null(strstr(buf, "vtep_learn_posted_total 11\n"));
	assert_non_null(strstr(buf, "vtep_ctl_changes_total 4\n"));
	assert_non_null(strstr(buf, "vtep_neighbors{state=\"probe\"} 1\n"));
	assert_non_null(strstr(buf, "vtep_ring_used{ring=\"learn\"} 3\n"));
	assert_non_null(strstr(buf, "vtep_ring_size{ring=\"learn\"} 1023\n"));
	/* Each family is declared once, and every sample follows its own. */
	for (char *line = buf, *nl, fam[128] = ""; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		assert_non_null(nl);
		*nl = '\0';
		if (strncmp(line, "# TYPE ", 7) == 0) {
			char *name = line + 7;

			name[strcspn(name, " ")] = '\0';
			assert_true(strcmp(name, fam) != 0);
			snprintf(fam, sizeof(fam), "%s", name);
		} else if (line[0] != '#') {
			assert_int_equal(strncmp(line, fam, strlen(fam)), 0);
			assert_true(line[strlen(fam)] == '{' || line[strlen(fam)] == ' ');
		}
	}
	free(buf);
	free(s);
}

/* GET /metrics answers the text format. */
static void
metrics_route(void **state)
{
	(void)state;
	assert_int_equal(req("GET", "/metrics", NULL, NULL), 200);
	assert_non_null(strstr(ans.head, "Content-Type: text/plain; version=0.0.4"));
	assert_non_null(strstr(ans.body, "vtep_vni_encap_packets_total{vni=\"100\"} 0\n"));
	assert_non_null(strstr(ans.body, "vtep_vnis 1\n"));
	assert_int_equal(req("POST", "/metrics", NULL, NULL), 405);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(token_read_strips_one_newline),
		cmocka_unit_test(token_read_refuses_open_modes),
		cmocka_unit_test(token_read_refuses_bad_content),
		cmocka_unit_test(token_compare),
		cmocka_unit_test(routes_each_dispatches_to_itself),
		cmocka_unit_test(routes_take_parameters),
		cmocka_unit_test(routes_unknown_path_is_404),
		cmocka_unit_test(routes_wrong_method_is_405_with_allow),
		cmocka_unit_test(content_types),
		cmocka_unit_test(json_scalars_keep_their_types),
		cmocka_unit_test(json_nesting_and_order),
		cmocka_unit_test(json_refused_with_position),
		cmocka_unit_test(json_too_deep_is_refused),
		cmocka_unit_test(node_to_json_types),
		cmocka_unit_test(config_round_trips_through_json),
		cmocka_unit_test(json_refused_by_the_rules),
		cmocka_unit_test(error_body_shape),
		cmocka_unit_test(field_paths_within_the_body),
		cmocka_unit_test(errno_to_status),
		cmocka_unit_test(health_needs_no_token),
		cmocka_unit_test(token_required_elsewhere),
		cmocka_unit_test(gate_statuses),
		cmocka_unit_test(chunked_body_over_the_limit),
		cmocka_unit_test(port_in_use_is_reported),
		cmocka_unit_test_setup_teardown(handlers_vni_lifecycle, writer_setup, writer_teardown),
		cmocka_unit_test_setup_teardown(handlers_refuse_bodies_with_the_rules_words,
						writer_setup, writer_teardown),
		cmocka_unit_test_setup_teardown(handlers_fdb, writer_setup, writer_teardown),
		cmocka_unit_test_setup_teardown(handlers_flood_list, writer_setup, writer_teardown),
		cmocka_unit_test_setup_teardown(handlers_underlay, writer_setup, writer_teardown),
		cmocka_unit_test_setup_teardown(handlers_config, writer_setup, writer_teardown),
		cmocka_unit_test_setup_teardown(handlers_read_state, writer_setup, writer_teardown),
		cmocka_unit_test(metrics_text_format),
		cmocka_unit_test_setup_teardown(metrics_route, writer_setup, writer_teardown),
	};

	return cmocka_run_group_tests(tests, setup_tmpdir, teardown_tmpdir);
}
