/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The commands that only read: a GET, then a table for people or the
 * answer unchanged for --json. Absent fields are at their default (the
 * API leaves defaults out, as the YAML writer does), so a table shows
 * CONFIG.md's default rather than a dash where there is one.
 */

#include <stdlib.h>
#include <string.h>

#include "vtepctl.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define COL(k) { .key = k }
#define COL_DEFAULT(k, d) { .key = k, .dflt = d }
#define COL_FMT(k, f) { .key = k, .fmt = f }

/* The API's routes, from the project's one route table. */
static const struct {
	const char *method, *path, *help;
} routes[] = {
#define API_ROUTE(method, path, handler, help) { #method, path, help },
#include "routes.def"
#undef API_ROUTE
};

int
cmd_routes(struct vtepctl *c, int argc, char **argv)
{
	struct vtepctl_table *t;
	json_t *doc, *list;

	(void)argc;
	(void)argv;
	if (c->json) {
		list = json_array();
		for (size_t i = 0; i < N(routes); i++)
			json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "method",
							      routes[i].method, "path",
							      routes[i].path, "help", routes[i].help));
		doc = json_pack("{s:o}", "routes", list);
		json_dumpf(doc, stdout, JSON_COMPACT);
		putchar('\n');
		json_decref(doc);
		return VTEPCTL_OK;
	}
	t = vtepctl_table_new(3, (const char *const[]){ "METHOD", "PATH", "HELP" });
	for (size_t i = 0; i < N(routes); i++)
		vtepctl_table_row(t, (const char *const[]){ routes[i].method, routes[i].path,
							    routes[i].help });
	vtepctl_table_print(t, stdout);
	return VTEPCTL_OK;
}

/* GET path; the table of member @p member (an array) or of the object. */
static int
show(struct vtepctl *c, const char *path, const char *member, const struct vtepctl_col *cols,
     unsigned n)
{
	json_t *doc;
	int rc = vtepctl_call(c, "GET", path, NULL, &doc);

	if (rc != VTEPCTL_OK || doc == NULL)
		return rc;
	if (member != NULL)
		vtepctl_print_list(json_object_get(doc, member), cols, n);
	else
		vtepctl_print_object(doc, cols, n);
	json_decref(doc);
	return VTEPCTL_OK;
}

int
cmd_health(struct vtepctl *c, int argc, char **argv)
{
	static const struct vtepctl_col cols[] = {
		COL("status"), COL("version"), COL("uptime_s"), COL("workers"),
	};

	(void)argc;
	(void)argv;
	return show(c, "/v1/health", NULL, cols, N(cols));
}

int
cmd_neigh(struct vtepctl *c, int argc, char **argv)
{
	static const struct vtepctl_col cols[] = { COL("ip"), COL("state"), COL("mac") };

	(void)argc;
	(void)argv;
	return show(c, "/v1/neighbors", "neighbors", cols, N(cols));
}

static char *
fmt_link(const json_t *v)
{
	return vtepctl_fmt("%s", json_is_true(v) ? "up" : json_is_false(v) ? "down" : "");
}

int
cmd_port_list(struct vtepctl *c, int argc, char **argv)
{
	static const struct vtepctl_col fixed[] = {
		COL("name"), COL("role"), COL("mac"), COL("rx_queues"),
		{ .key = "link.up", .head = "LINK", .fmt = fmt_link }, COL("link.speed_mbps"),
	};
	struct vtepctl_col cols[N(fixed) + 64];
	unsigned n = N(fixed);
	json_t *doc, *counters, *v;
	const char *key;
	int rc;

	(void)argc;
	(void)argv;
	rc = vtepctl_call(c, "GET", "/v1/ports", NULL, &doc);
	if (rc != VTEPCTL_OK || doc == NULL)
		return rc;
	memcpy(cols, fixed, sizeof(fixed));
	/* A column per counter, in the order the API names them. */
	counters = json_object_get(json_array_get(json_object_get(doc, "ports"), 0), "counters");
	json_object_foreach(counters, key, v) {
		if (n == N(cols))
			break;
		cols[n++] = (struct vtepctl_col){ .key = vtepctl_fmt("counters.%s", key) };
	}
	vtepctl_print_list(json_object_get(doc, "ports"), cols, n);
	for (unsigned i = N(fixed); i < n; i++)
		free((char *)cols[i].key);
	json_decref(doc);
	return VTEPCTL_OK;
}

/* A part of a cell: a value absent or null (the MAC of an incomplete
 * neighbour) is a dash, as a whole cell would be. */
static const char *
or_dash(const char *s)
{
	return s[0] ? s : "-";
}

static char *
fmt_neighbors(const json_t *v)
{
	char *s = vtepctl_fmt("%s", ""), *next, *ip, *mac;
	const json_t *nb;
	size_t i;

	json_array_foreach(v, i, nb) {
		ip = vtepctl_cell(json_object_get(nb, "ip"));
		mac = vtepctl_cell(json_object_get(nb, "mac"));
		next = vtepctl_fmt("%s%s%s %s", s, i ? ", " : "", or_dash(ip), or_dash(mac));
		free(ip);
		free(mac);
		free(s);
		s = next;
	}
	return s;
}

int
cmd_underlay_show(struct vtepctl *c, int argc, char **argv)
{
	/* Defaults of docs/CONFIG.md, underlay. */
	static const struct vtepctl_col cols[] = {
		COL("port"), COL("address"), COL("gateway"), COL_DEFAULT("udp_port", "4789"),
		COL_DEFAULT("source_ports", "49152-65535"), COL_DEFAULT("ttl", "64"),
		COL_DEFAULT("tos", "0"), COL_DEFAULT("ecn", "rfc6040"), COL_DEFAULT("df", "on"),
		COL_DEFAULT("mtu", "1500"), COL_FMT("neighbors", fmt_neighbors),
	};

	(void)argc;
	(void)argv;
	return show(c, "/v1/underlay", NULL, cols, N(cols));
}

/* Bindings as Linux names VLAN interfaces: vm1 untagged, vm2.10. */
static char *
fmt_access(const json_t *v)
{
	char *s = vtepctl_fmt("%s", ""), *next, *port, *vlan;
	const json_t *b, *tag;
	size_t i;

	json_array_foreach(v, i, b) {
		tag = json_object_get(b, "vlan");
		vlan = json_is_integer(tag) ? vtepctl_fmt(".%lld", (long long)json_integer_value(tag))
					    : vtepctl_fmt("%s", "");
		port = vtepctl_cell(json_object_get(b, "port"));
		next = vtepctl_fmt("%s%s%s%s", s, i ? "," : "", or_dash(port), vlan);
		free(port);
		free(vlan);
		free(s);
		s = next;
	}
	return s;
}

/* Defaults of docs/CONFIG.md, vnis. */
static const struct vtepctl_col vni_cols[] = {
	COL("vni"), COL_FMT("access", fmt_access), COL_DEFAULT("flood", "head-end"),
	COL("remotes"), COL("group"), COL_DEFAULT("learning", "on"),
	COL_DEFAULT("mac_limit", "0"), COL_DEFAULT("ageing", "300"),
	COL_DEFAULT("inner_vlan", "drop"), COL_DEFAULT("bum_limit_pps", "0"),
	COL("service_node"), COL_DEFAULT("replicator", "off"),
	COL_DEFAULT("arp_suppress", "off"),
};

int
cmd_vni_list(struct vtepctl *c, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return show(c, "/v1/vnis", "vnis", vni_cols, N(vni_cols));
}

int
cmd_vni_show(struct vtepctl *c, int argc, char **argv)
{
	char *vni = vtepctl_escape(argv[0]), *path = vtepctl_fmt("/v1/vnis/%s", vni);
	int rc;

	(void)argc;
	rc = show(c, path, NULL, vni_cols, N(vni_cols));
	free(path);
	free(vni);
	return rc;
}

static const struct vtepctl_col fdb_cols[] = {
	COL("vni"), COL("mac"), COL("type"), COL("remote"), COL("port"), COL("vlan"),
	COL("age_s"), COL("last_seen_s"),
};

/* The FDB of one VNI into rows (a NULL rows: --json, print it as it is). */
static int
fdb_of(struct vtepctl *c, const char *vni, const char *query, json_t *rows, bool gone_ok)
{
	char *v = vtepctl_escape(vni), *path = vtepctl_fmt("/v1/vnis/%s/fdb%s", v, query);
	struct vtepctl_answer a;
	json_t *doc;
	int rc;

	/* A VNI deleted while we walk them has no entries left to show. */
	c->quiet_status = gone_ok ? 404 : 0;
	rc = vtepctl_api_json(c, "GET", path, NULL, &a, &doc);
	c->quiet_status = 0;
	free(path);
	free(v);
	if (rc == VTEPCTL_ERR_API && gone_ok && a.status == 404)
		return VTEPCTL_OK;
	if (rc != VTEPCTL_OK)
		return rc;
	if (rows == NULL)
		vtepctl_print_raw(&a);
	else
		json_array_extend(rows, json_object_get(doc, "fdb"));
	json_decref(doc);
	vtepctl_answer_free(&a);
	return VTEPCTL_OK;
}

int
cmd_fdb_show(struct vtepctl *c, int argc, char **argv)
{
	const char *query = (c->opts & OPT_LEARNED) ? "?type=learned" :
			    (c->opts & OPT_STATIC) ? "?type=static" : "";
	json_t *rows, *doc = NULL, *v;
	int rc = VTEPCTL_OK;
	size_t i;

	(void)argc;
	(void)argv;
	if ((c->opts & OPT_LEARNED) && (c->opts & OPT_STATIC))
		return vtepctl_usage(c, "--learned and --static exclude each other");
	rows = c->json ? NULL : json_array();
	if (c->vni != NULL) {
		rc = fdb_of(c, c->vni, query, rows, false);
	} else {
		/* Every VNI: with --json one document per VNI, as the API
		 * answers for each, one per line. */
		struct vtepctl_answer a;
		rc = vtepctl_api_json(c, "GET", "/v1/vnis", NULL, &a, &doc);
		if (rc == VTEPCTL_OK)
			vtepctl_answer_free(&a);
		json_array_foreach(json_object_get(doc, "vnis"), i, v) {
			char *id;
			if (rc != VTEPCTL_OK)
				break;
			id = vtepctl_cell(json_object_get(v, "vni"));
			rc = fdb_of(c, id, query, rows, true);
			free(id);
		}
		json_decref(doc);
	}
	if (rc == VTEPCTL_OK && rows != NULL)
		vtepctl_print_list(rows, fdb_cols, N(fdb_cols));
	json_decref(rows);
	return rc;
}
