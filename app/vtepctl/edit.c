/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The commands that change something. Their arguments are the API's
 * fields as words, "FIELD VALUE...", made into the JSON body the API
 * takes. vtepctl checks the words, not the values: a value is sent in
 * the type its text has (a number, on/off, else a string) and the API
 * judges it, so a refusal carries the validator's own reason.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vtepctl.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

enum kind {
	K_STR,    /* a string */
	K_NUM,    /* a number if it reads as one, else a string ("untagged") */
	K_BOOL,   /* on/off, true/false, yes/no */
	K_LIST,   /* appended to a list; "none": the list is empty */
	K_ACCESS, /* a binding {port} appended to access */
	K_VLAN,   /* the vlan of the last binding */
};

struct field {
	const char *word; /* on the command line */
	const char *key;  /* in the body */
	enum kind kind;
};

/* The fields of a VNI (docs/CONFIG.md, vnis), "remote" for one of the
 * remotes as "bridge fdb" says it. */
static const struct field vni_fields[] = {
	{ "access", "access", K_ACCESS }, { "vlan", "access", K_VLAN },
	{ "flood", "flood", K_STR },      { "remote", "remotes", K_LIST },
	{ "remotes", "remotes", K_LIST }, { "group", "group", K_STR },
	{ "learning", "learning", K_BOOL }, { "mac_limit", "mac_limit", K_NUM },
	{ "ageing", "ageing", K_NUM },    { "inner_vlan", "inner_vlan", K_STR },
	{ "bum_limit_pps", "bum_limit_pps", K_NUM },
	{ "service_node", "service_node", K_STR }, { "replicator", "replicator", K_BOOL },
	{ "arp_suppress", "arp_suppress", K_BOOL },
};

static const struct field fdb_fields[] = {
	{ "remote", "remote", K_STR }, { "port", "port", K_STR }, { "vlan", "vlan", K_NUM },
};

static const struct field underlay_fields[] = {
	{ "ttl", "ttl", K_NUM }, { "tos", "tos", K_NUM }, { "df", "df", K_BOOL },
	{ "ecn", "ecn", K_STR }, { "source_ports", "source_ports", K_NUM },
	{ "mtu", "mtu", K_NUM },
};

static json_t *
number_or_string(const char *s)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno == 0 && end != s && *end == '\0')
		return json_integer(v);
	return json_string(s);
}

static json_t *
value_of(const char *s, enum kind kind)
{
	static const char *const yes[] = { "on", "true", "yes" }, *const no[] = { "off", "false", "no" };

	if (kind == K_NUM)
		return number_or_string(s);
	if (kind == K_BOOL) {
		for (size_t i = 0; i < N(yes); i++) {
			if (strcmp(s, yes[i]) == 0)
				return json_true();
			if (strcmp(s, no[i]) == 0)
				return json_false();
		}
	}
	return json_string(s);
}

static char *
field_words(const struct field *tbl, size_t n)
{
	char *s = vtepctl_fmt("%s", ""), *next;

	for (size_t i = 0; i < n; i++) {
		next = vtepctl_fmt("%s%s%s", s, i ? " " : "", tbl[i].word);
		free(s);
		s = next;
	}
	return s;
}

/*
 * "FIELD VALUE..." into obj. A scalar "none" is a JSON null: left out of
 * a new object, removed by merge(). Returns 0 or a usage error.
 */
static int
parse_fields(const struct vtepctl *c, const struct field *tbl, size_t n, int argc,
	     char **argv, json_t *obj)
{
	for (int i = 0; i < argc; i += 2) {
		const struct field *f = NULL;
		json_t *list, *last;
		const char *val;

		for (size_t k = 0; k < n && f == NULL; k++)
			if (strcmp(argv[i], tbl[k].word) == 0)
				f = &tbl[k];
		if (f == NULL) {
			char *words = field_words(tbl, n);
			int rc = vtepctl_usage(c, "unknown field %s (%s)", argv[i], words);
			free(words);
			return rc;
		}
		if (i + 1 >= argc)
			return vtepctl_usage(c, "%s needs a value", f->word);
		val = argv[i + 1];
		list = json_object_get(obj, f->key);
		switch (f->kind) {
		case K_LIST:
		case K_ACCESS:
			if (list == NULL) {
				list = json_array();
				json_object_set_new(obj, f->key, list);
			}
			if (strcmp(val, "none") == 0)
				json_array_clear(list);
			else if (f->kind == K_ACCESS)
				json_array_append_new(list, json_pack("{s:s}", "port", val));
			else
				json_array_append_new(list, json_string(val));
			break;
		case K_VLAN:
			last = json_array_get(list, json_array_size(list) - 1);
			if (last == NULL)
				return vtepctl_usage(c, "vlan %s: name its access port first "
						     "(access PORT vlan VLAN)", val);
			if (json_object_get(last, "vlan") != NULL) {
				char *port = vtepctl_cell(json_object_get(last, "port"));
				int rc = vtepctl_usage(c, "vlan %s: access %s has a vlan already",
						       val, port);
				free(port);
				return rc;
			}
			json_object_set_new(last, "vlan", number_or_string(val));
			break;
		default:
			if (json_object_get(obj, f->key) != NULL)
				return vtepctl_usage(c, "%s is given twice", f->word);
			json_object_set_new(obj, f->key,
					    strcmp(val, "none") == 0 ? json_null() : value_of(val, f->kind));
			break;
		}
	}
	return VTEPCTL_OK;
}

/* Changes over cur: a field named replaces the one of cur, a null one
 * goes back to its default (leaves cur). */
static void
merge(json_t *cur, json_t *changes)
{
	const char *key;
	json_t *v;

	json_object_foreach(changes, key, v) {
		if (json_is_null(v))
			json_object_del(cur, key);
		else
			json_object_set(cur, key, v);
	}
}

/* One request whose answer is printed with --json only. */
static int
change(struct vtepctl *c, const char *method, const char *path, json_t *body)
{
	json_t *doc;
	int rc = vtepctl_call(c, method, path, body, &doc);

	json_decref(doc);
	return rc;
}

/*
 * One request to /v1/vnis/VNI, /v1/vnis/VNI/WHAT or /v1/vnis/VNI/WHAT/ITEM
 * (what, item NULL: not there), VNI and ITEM escaped as what the user
 * typed. Takes body (NULL: none).
 */
static int
change_vni(struct vtepctl *c, const char *method, json_t *body, const char *vni,
	   const char *what, const char *item)
{
	char *ev = vtepctl_escape(vni), *ei = item ? vtepctl_escape(item) : NULL, *path;
	int rc;

	if (what == NULL)
		path = vtepctl_fmt("/v1/vnis/%s", ev);
	else if (ei == NULL)
		path = vtepctl_fmt("/v1/vnis/%s/%s", ev, what);
	else
		path = vtepctl_fmt("/v1/vnis/%s/%s/%s", ev, what, ei);
	rc = change(c, method, path, body);
	free(path);
	free(ev);
	free(ei);
	json_decref(body);
	return rc;
}

int
cmd_vni_add(struct vtepctl *c, int argc, char **argv)
{
	json_t *body = json_pack("{s:o}", "vni", number_or_string(argv[0])), *fields = json_object();
	int rc = parse_fields(c, vni_fields, N(vni_fields), argc - 1, argv + 1, fields);

	if (rc == VTEPCTL_OK) {
		merge(body, fields);
		rc = change(c, "POST", "/v1/vnis", body);
	}
	json_decref(fields);
	json_decref(body);
	return rc;
}

/* Merges tried when other clients keep changing the VNI meanwhile. */
#define VNI_SET_TRIES 5

int
cmd_vni_set(struct vtepctl *c, int argc, char **argv)
{
	json_t *fields = json_object(), *cur = NULL;
	struct vtepctl_answer a;
	char *vni, *path;
	int rc;

	rc = parse_fields(c, vni_fields, N(vni_fields), argc - 1, argv + 1, fields);
	if (rc != VTEPCTL_OK) {
		json_decref(fields);
		return rc;
	}
	vni = vtepctl_escape(argv[0]);
	path = vtepctl_fmt("/v1/vnis/%s", vni);
	/* GET, merge, PUT: PUT alone would create a VNI that is not there,
	 * and would take the fields left out back to their defaults. The PUT
	 * names the version it merged into (If-Match): if another client
	 * changed the VNI in between, vtepd answers 412 and this merges
	 * again into the new version rather than undo that change. */
	for (int tries = 0;; tries++) {
		char etag[sizeof(a.etag)];

		rc = vtepctl_api_json(c, "GET", path, NULL, &a, &cur);
		if (rc != VTEPCTL_OK)
			break;
		memcpy(etag, a.etag, sizeof(etag));
		vtepctl_answer_free(&a);
		/* An older vtepd: no ETag, no If-Match, no 412 to merge again. */
		if (etag[0] == '\0' && tries == 0)
			fputs("vtepctl: warning: vtepd sent no ETag; a change made meanwhile "
			      "would be undone\n", stderr);
		merge(cur, fields);
		c->if_match = etag[0] ? etag : NULL;
		c->quiet_status = tries < VNI_SET_TRIES - 1 ? 412 : 0;
		rc = change(c, "PUT", path, cur);
		c->if_match = NULL;
		c->quiet_status = 0;
		json_decref(cur);
		cur = NULL;
		if (rc != VTEPCTL_ERR_API || c->last_status != 412 || tries == VNI_SET_TRIES - 1)
			break;
	}
	json_decref(cur);
	json_decref(fields);
	free(path);
	free(vni);
	return rc;
}

int
cmd_vni_del(struct vtepctl *c, int argc, char **argv)
{
	(void)argc;
	return change_vni(c, "DELETE", NULL, argv[0], NULL, NULL);
}

int
cmd_fdb_add(struct vtepctl *c, int argc, char **argv)
{
	json_t *body = json_pack("{s:s}", "mac", argv[1]), *fields = json_object();
	int rc = parse_fields(c, fdb_fields, N(fdb_fields), argc - 2, argv + 2, fields);

	if (rc != VTEPCTL_OK) {
		json_decref(fields);
		json_decref(body);
		return rc;
	}
	merge(body, fields);
	json_decref(fields);
	return change_vni(c, "POST", body, argv[0], "fdb", NULL);
}

int
cmd_fdb_del(struct vtepctl *c, int argc, char **argv)
{
	(void)argc;
	return change_vni(c, "DELETE", NULL, argv[0], "fdb", argv[1]);
}

int
cmd_fdb_flush(struct vtepctl *c, int argc, char **argv)
{
	char *vni = vtepctl_escape(argv[0]), *path = vtepctl_fmt("/v1/vnis/%s/fdb?type=learned", vni);
	json_t *doc;
	int rc;

	(void)argc;
	rc = vtepctl_call(c, "DELETE", path, NULL, &doc);
	if (doc != NULL)
		printf("flushed %lld\n", (long long)json_integer_value(json_object_get(doc, "flushed")));
	json_decref(doc);
	free(path);
	free(vni);
	return rc;
}

int
cmd_flood_add(struct vtepctl *c, int argc, char **argv)
{
	(void)argc;
	return change_vni(c, "POST", json_pack("{s:s}", "remote", argv[1]), argv[0], "remotes",
			  NULL);
}

int
cmd_flood_del(struct vtepctl *c, int argc, char **argv)
{
	(void)argc;
	return change_vni(c, "DELETE", NULL, argv[0], "remotes", argv[1]);
}

int
cmd_underlay_set(struct vtepctl *c, int argc, char **argv)
{
	json_t *body = json_object();
	int rc = parse_fields(c, underlay_fields, N(underlay_fields), argc, argv, body);

	if (rc == VTEPCTL_OK)
		rc = change(c, "PATCH", "/v1/underlay", body);
	json_decref(body);
	return rc;
}
