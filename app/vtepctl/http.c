/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one HTTP helper: a libcurl easy handle kept for the life of the
 * process (so that stats --watch reuses its connection), the body
 * collected in memory, the API's error printed in its own words.
 */

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "vtepctl.h"

/* No answer of the API comes near this; a bigger one is not vtepd. */
#define BODY_MAX (256u << 20)

static CURL *easy;

char *
vtepctl_fmt(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0) {
		fputs("vtepctl: out of memory\n", stderr);
		exit(VTEPCTL_ERR_USAGE);
	}
	va_end(ap);
	return s;
}

char *
vtepctl_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	/* A segment "." or ".." would be removed by curl (RFC 3986, 5.2.4)
	 * and change the route: its dots are encoded too, so that the
	 * server sees them as a value. */
	bool dots = strcmp(s, ".") == 0 || strcmp(s, "..") == 0;
	char *out = malloc(3 * strlen(s) + 1), *o = out;

	if (out == NULL) {
		fputs("vtepctl: out of memory\n", stderr);
		exit(VTEPCTL_ERR_USAGE);
	}
	/* Unreserved characters and ':' (MACs) pass; '/', '?', '#' and the
	 * rest are percent-encoded, so the server sees one bad segment. */
	for (; *s; s++) {
		unsigned char ch = *s;
		if (!dots && ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			      (ch >= '0' && ch <= '9') || strchr("-._~:", ch))) {
			*o++ = ch;
		} else {
			*o++ = '%';
			*o++ = hex[ch >> 4];
			*o++ = hex[ch & 15];
		}
	}
	*o = '\0';
	return out;
}

static size_t
collect(char *data, size_t size, size_t n, void *arg)
{
	struct vtepctl_answer *a = arg;
	size_t len = size * n;
	char *b;

	/* Returning short fails the transfer; the flags say why. */
	if (a->len + len > BODY_MAX) {
		a->too_big = true;
		return 0;
	}
	/* Doubled, not grown by each chunk: a realloc may copy. */
	if (a->body == NULL || a->len + len + 1 > a->cap) {
		size_t cap = a->cap ? a->cap : 4096;

		while (cap < a->len + len + 1)
			cap *= 2;
		if (cap > BODY_MAX + 1)
			cap = BODY_MAX + 1;
		b = realloc(a->body, cap);
		if (b == NULL) {
			a->no_memory = true;
			return 0;
		}
		a->body = b;
		a->cap = cap;
	}
	memcpy(a->body + a->len, data, len);
	a->len += len;
	a->body[a->len] = '\0';
	return len;
}

void
vtepctl_answer_free(struct vtepctl_answer *a)
{
	free(a->body);
	a->body = NULL;
	a->len = 0;
	a->cap = 0;
}

void
vtepctl_print_raw(const struct vtepctl_answer *a)
{
	fwrite(a->body, 1, a->len, stdout);
}

/* The API's error body, {"error": reason, "field": path, "line": n},
 * printed as the YAML loader prints a file's errors: the reason is the
 * server's, unchanged. */
static void
print_error(const struct vtepctl *c, const struct vtepctl_answer *a)
{
	json_t *doc = a->len ? json_loadb(a->body, a->len, 0, NULL) : NULL;
	const char *reason = NULL, *field = NULL;
	json_int_t line = 0;

	if (json_is_object(doc)) {
		reason = json_string_value(json_object_get(doc, "error"));
		field = json_string_value(json_object_get(doc, "field"));
		line = json_integer_value(json_object_get(doc, "line"));
	}
	if (reason == NULL) {
		/* Not vtepd's error (a proxy?): the status and the first line. */
		int n = a->len ? (int)strcspn(a->body, "\r\n") : 0;
		fprintf(stderr, "vtepctl: HTTP %ld%s%.*s\n", a->status, n ? ": " : "", n,
			a->len ? a->body : "");
	} else {
		fputs("vtepctl: ", stderr);
		if (line > 0)
			fprintf(stderr, "%s:%lld: ", c->source ? c->source : "line",
				(long long)line);
		if (field != NULL)
			fprintf(stderr, "%s: ", field);
		fprintf(stderr, "%s\n", reason);
	}
	json_decref(doc);
}

/* Keep the ETag of the answer: vni set sends it back as If-Match. */
static size_t
header_line(char *buf, size_t size, size_t n, void *arg)
{
	struct vtepctl_answer *a = arg;
	size_t len = size * n;

	if (len > 5 && strncasecmp(buf, "ETag:", 5) == 0) {
		const char *v = buf + 5;
		size_t vlen = len - 5;

		while (vlen > 0 && (*v == ' ' || *v == '\t'))
			v++, vlen--;
		while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
			vlen--;
		if (vlen < sizeof(a->etag)) {
			memcpy(a->etag, v, vlen);
			a->etag[vlen] = '\0';
		}
	}
	return len;
}

int
vtepctl_api(struct vtepctl *c, const char *method, const char *path, const char *ctype,
	    const char *body, size_t len, const char *accept, struct vtepctl_answer *a)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdrs = NULL;
	char *url, *h;
	CURLcode rc;

	memset(a, 0, sizeof(*a));
	if (easy == NULL && (easy = curl_easy_init()) == NULL) {
		fputs("vtepctl: cannot initialise libcurl\n", stderr);
		return VTEPCTL_ERR_CONNECT;
	}
	/* Reset, not a new handle: the connection stays open between calls. */
	curl_easy_reset(easy);
	url = vtepctl_fmt("%s%s", c->server, path);
	curl_easy_setopt(easy, CURLOPT_URL, url);
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, c->timeout_ms);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, header_line);
	curl_easy_setopt(easy, CURLOPT_HEADERDATA, a);
	if (strcmp(method, "GET") != 0)
		curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method);
	if (body != NULL) {
		curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		h = vtepctl_fmt("Content-Type: %s", ctype);
		hdrs = curl_slist_append(hdrs, h);
		free(h);
		/* No "Expect: 100-continue" wait before a large body. */
		hdrs = curl_slist_append(hdrs, "Expect:");
	}
	if (accept != NULL) {
		h = vtepctl_fmt("Accept: %s", accept);
		hdrs = curl_slist_append(hdrs, h);
		free(h);
	}
	if (c->if_match != NULL) {
		h = vtepctl_fmt("If-Match: %s", c->if_match);
		hdrs = curl_slist_append(hdrs, h);
		free(h);
	}
	if (c->token != NULL) {
		h = vtepctl_fmt("Authorization: Bearer %s", c->token);
		hdrs = curl_slist_append(hdrs, h);
		free(h);
	}
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, hdrs);

	rc = curl_easy_perform(easy);
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &a->status);
	/* The handle outlives this call: it must not keep pointers to this
	 * frame (curl_easy_cleanup may still write the error buffer), to the
	 * headers freed below, to the caller's answer or body. */
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, NULL);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, NULL);
	curl_easy_setopt(easy, CURLOPT_HEADERDATA, NULL);
	curl_easy_setopt(easy, CURLOPT_POSTFIELDS, NULL);
	curl_slist_free_all(hdrs);
	if (rc == CURLE_WRITE_ERROR && (a->too_big || a->no_memory)) {
		/* The server answered; vtepctl could not keep the answer. */
		int err = a->too_big ? VTEPCTL_ERR_API : VTEPCTL_ERR_USAGE;

		if (a->too_big)
			fprintf(stderr, "vtepctl: %s %s: the answer is larger than %u bytes\n",
				method, url, BODY_MAX);
		else
			fputs("vtepctl: out of memory\n", stderr);
		c->last_status = a->status;
		free(url);
		vtepctl_answer_free(a);
		return err;
	}
	c->last_status = rc == CURLE_OK ? a->status : 0;
	if (a->body == NULL)
		collect("", 0, 0, a); /* an empty body is "" */
	if (rc != CURLE_OK) {
		fprintf(stderr, "vtepctl: %s %s: %s\n", method, url,
			errbuf[0] ? errbuf : curl_easy_strerror(rc));
		free(url);
		vtepctl_answer_free(a);
		/* A --server that is no URL is the user's typo, not the network. */
		return rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL ?
			VTEPCTL_ERR_USAGE : VTEPCTL_ERR_CONNECT;
	}
	free(url);
	if (a->status < 200 || a->status > 299) {
		if (a->status != c->quiet_status)
			print_error(c, a);
		vtepctl_answer_free(a);
		return VTEPCTL_ERR_API;
	}
	return VTEPCTL_OK;
}

int
vtepctl_api_json(struct vtepctl *c, const char *method, const char *path, json_t *body,
		 struct vtepctl_answer *a, json_t **doc)
{
	char *text = NULL;
	json_error_t err;
	int rc;

	*doc = NULL;
	if (body != NULL) {
		text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
		/* Never the request without its body: a PUT of nothing. */
		if (text == NULL) {
			memset(a, 0, sizeof(*a));
			fputs("vtepctl: out of memory\n", stderr);
			return VTEPCTL_ERR_USAGE;
		}
	}
	rc = vtepctl_api(c, method, path, "application/json", text, text ? strlen(text) : 0,
			 NULL, a);
	free(text);
	if (rc != VTEPCTL_OK || a->len == 0)
		return rc;
	*doc = json_loadb(a->body, a->len, 0, &err);
	if (*doc == NULL) {
		fprintf(stderr, "vtepctl: %s %s: the answer is not JSON: %s\n", method, path,
			err.text);
		vtepctl_answer_free(a);
		return VTEPCTL_ERR_API;
	}
	return VTEPCTL_OK;
}

void
vtepctl_http_close(void)
{
	if (easy != NULL)
		curl_easy_cleanup(easy);
	easy = NULL;
}

int
vtepctl_call(struct vtepctl *c, const char *method, const char *path, json_t *body,
	     json_t **doc)
{
	struct vtepctl_answer a;
	int rc = vtepctl_api_json(c, method, path, body, &a, doc);

	if (rc != VTEPCTL_OK)
		return rc;
	if (c->json) {
		vtepctl_print_raw(&a);
		json_decref(*doc);
		*doc = NULL;
	}
	vtepctl_answer_free(&a);
	return VTEPCTL_OK;
}
