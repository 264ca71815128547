/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The route table, expanded from routes.def, and the matching of a request
 * line against it.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api_private.h"

#define API_ROUTE(method, path, handler, help) api_handler_fn api_h_##handler;
#include "routes.def"
#undef API_ROUTE

const struct api_route api_routes[] = {
#define API_ROUTE(method, path, handler, help) { API_##method, path, api_h_##handler, help },
#include "routes.def"
#undef API_ROUTE
};

const unsigned api_n_routes = sizeof(api_routes) / sizeof(api_routes[0]);

static const char *const method_names[API_METHOD_MAX] = {
	[API_GET] = "GET",
	[API_PUT] = "PUT",
	[API_POST] = "POST",
	[API_PATCH] = "PATCH",
	[API_DELETE] = "DELETE",
};

const char *
api_method_name(enum api_method m)
{
	return m < API_METHOD_MAX ? method_names[m] : "?";
}

enum api_method
api_method_parse(const char *s)
{
	/* Methods are case-sensitive (RFC 9110 section 9.1). */
	for (unsigned m = 0; m < API_METHOD_MAX; m++)
		if (strcmp(s, method_names[m]) == 0)
			return m;
	return API_METHOD_MAX;
}

unsigned
api_route_count(void)
{
	return api_n_routes;
}

int
api_route_get(unsigned i, const char **method, const char **path, const char **help)
{
	if (i >= api_n_routes)
		return -ENOENT;
	if (method)
		*method = api_method_name(api_routes[i].method);
	if (path)
		*path = api_routes[i].path;
	if (help)
		*help = api_routes[i].help;
	return 0;
}

/*
 * Match @p path against @p pat segment by segment; "{name}" takes one
 * non-empty segment into m->params.
 */
static bool
path_match(const char *pat, const char *path, struct api_match *m)
{
	m->n_params = 0;
	while (*pat && *path) {
		if (*pat == '{') {
			const char *end = strchr(path, '/');
			size_t len = end ? (size_t)(end - path) : strlen(path);

			if (len == 0 || len >= API_PARAM_MAX || m->n_params == API_MAX_PARAMS)
				return false;
			memcpy(m->params[m->n_params], path, len);
			m->params[m->n_params][len] = '\0';
			m->n_params++;
			path += len;
			pat = strchr(pat, '}') + 1;
			continue;
		}
		if (*pat != *path)
			return false;
		pat++;
		path++;
	}
	return *pat == '\0' && *path == '\0';
}

unsigned
api_route_match(const char *method, const char *path, struct api_match *m,
		char *allow, size_t allowlen)
{
	enum api_method want = api_method_parse(method);
	struct api_match tmp;
	bool seen[API_METHOD_MAX] = { false };
	bool any = false;
	size_t off = 0;

	for (unsigned i = 0; i < api_n_routes; i++) {
		const struct api_route *rt = &api_routes[i];

		if (!path_match(rt->path, path, &tmp))
			continue;
		if (rt->method == want) {
			*m = tmp;
			m->route = rt;
			return 0;
		}
		seen[rt->method] = true;
		any = true;
	}
	if (!any)
		return 404;
	if (allowlen)
		allow[0] = '\0';
	for (unsigned k = 0; k < API_METHOD_MAX; k++) {
		int n;

		if (!seen[k] || off >= allowlen)
			continue;
		n = snprintf(allow + off, allowlen - off, "%s%s", off ? ", " : "",
			     method_names[k]);
		if (n > 0)
			off += (size_t)n;
	}
	return 405;
}

enum api_ctype
api_ctype_parse(const char *s)
{
	size_t len;

	if (s == NULL)
		return API_CTYPE_NONE;
	while (*s == ' ' || *s == '\t')
		s++;
	len = strcspn(s, "; \t");
	if (len == strlen("application/json") && strncasecmp(s, "application/json", len) == 0)
		return API_CTYPE_JSON;
	if (len == strlen("application/yaml") && strncasecmp(s, "application/yaml", len) == 0)
		return API_CTYPE_YAML;
	/* What curl -d sends unless told otherwise: the server reads it as
	 * JSON (which must then parse) from a client with the token, so that
	 * a curl session works as typed (api.c). */
	if (len == strlen("application/x-www-form-urlencoded") &&
	    strncasecmp(s, "application/x-www-form-urlencoded", len) == 0)
		return API_CTYPE_FORM;
	return API_CTYPE_OTHER;
}
