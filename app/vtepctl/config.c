/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vtepctl config: the running configuration, and a whole one applied as
 * "terraform plan/apply" does it: the difference first (a dry run of
 * PUT /v1/config), then the change.
 */

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vtepctl.h"

/* Well over any body_limit vtepd takes (64 MiB). */
#define FILE_MAX (65u << 20)

int
cmd_config_get(struct vtepctl *c, int argc, char **argv)
{
	struct vtepctl_answer a;
	int rc;

	(void)argc;
	(void)argv;
	rc = vtepctl_api(c, "GET", "/v1/config", NULL, NULL, 0,
			 c->json ? "application/json" : "application/yaml", &a);
	if (rc == VTEPCTL_OK)
		vtepctl_print_raw(&a);
	vtepctl_answer_free(&a);
	return rc;
}

static char *
read_file(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char *buf = NULL;
	size_t n = 0;

	if (f == NULL)
		return NULL;
	buf = malloc(FILE_MAX + 1);
	if (buf != NULL)
		n = fread(buf, 1, FILE_MAX + 1, f);
	if (buf == NULL || ferror(f) || n > FILE_MAX) {
		if (n > FILE_MAX)
			errno = EFBIG;
		free(buf);
		buf = NULL;
	} else {
		buf[n] = '\0';
		*len = n;
	}
	if (f != stdin)
		fclose(f);
	return buf;
}

static void
print_diff(const json_t *doc)
{
	const json_t *line;
	char *text;
	size_t i;

	json_array_foreach(json_object_get(doc, "diff"), i, line) {
		text = vtepctl_cell(line);
		printf("%s\n", text);
		free(text);
	}
}

static long long
changes(const json_t *doc)
{
	return json_integer_value(json_object_get(doc, "changes"));
}

static int
put_config(struct vtepctl *c, const char *query, const char *ctype, const char *body,
	   size_t len, struct vtepctl_answer *a, json_t **doc)
{
	char *path = vtepctl_fmt("/v1/config%s", query);
	int rc = vtepctl_api(c, "PUT", path, ctype, body, len, NULL, a);

	free(path);
	*doc = NULL;
	if (rc != VTEPCTL_OK)
		return rc;
	*doc = json_loadb(a->body, a->len, 0, NULL);
	if (!json_is_object(*doc)) {
		fprintf(stderr, "vtepctl: PUT /v1/config%s: the answer is not JSON\n", query);
		return VTEPCTL_ERR_API;
	}
	return VTEPCTL_OK;
}

int
cmd_config_apply(struct vtepctl *c, int argc, char **argv)
{
	struct vtepctl_answer a = { 0 }, b = { 0 };
	json_t *plan = NULL, *done = NULL;
	const char *ctype, *p;
	size_t len = 0;
	char *text;
	int rc;

	(void)argc;
	text = read_file(argv[0], &len);
	if (text == NULL) {
		fprintf(stderr, "vtepctl: %s: %s\n", argv[0], strerror(errno));
		return VTEPCTL_ERR_USAGE;
	}
	/* JSON by content, whatever the file's name: it starts with { or [. */
	for (p = text; *p && isspace((unsigned char)*p); p++)
		;
	ctype = (*p == '{' || *p == '[') ? "application/json" : "application/yaml";
	c->source = argv[0];

	rc = put_config(c, "?dry_run=true", ctype, text, len, &a, &plan);
	if (rc != VTEPCTL_OK)
		goto out;
	if ((c->opts & OPT_DRY_RUN) || changes(plan) == 0) {
		if (c->json)
			vtepctl_print_raw(&a);
		else if (changes(plan) == 0)
			printf("no changes\n");
		else {
			print_diff(plan);
			printf("%lld change%s (dry run: nothing applied)\n", changes(plan),
			       changes(plan) == 1 ? "" : "s");
		}
		goto out;
	}
	if (!c->json)
		print_diff(plan);
	fflush(stdout);
	rc = put_config(c, "", ctype, text, len, &b, &done);
	if (rc != VTEPCTL_OK)
		goto out;
	if (c->json)
		vtepctl_print_raw(&b);
	else
		printf("%lld change%s applied\n", changes(done), changes(done) == 1 ? "" : "s");
out:
	json_decref(plan);
	json_decref(done);
	vtepctl_answer_free(&a);
	vtepctl_answer_free(&b);
	free(text);
	return rc;
}
