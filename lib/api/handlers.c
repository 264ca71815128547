/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The handlers of routes.def.
 *
 * A change goes in two calls to the control thread. The first takes the
 * running configuration as a document tree. This thread then inserts the
 * body at its place and runs lib/conf's rules over the whole candidate, so
 * a refusal names the field within the body in the words a YAML file gets,
 * and the control thread spends no time on a request that is refused. The
 * second call applies the typed operation, which validates again against
 * what runs by then: two clients racing are still decided by the one
 * writer.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_ethdev.h>

#include "api_private.h"
#include "ctl.h"

#define MAC_FMT "%02x:%02x:%02x:%02x:%02x:%02x"
#define MAC_ARGS(m) (m)[0], (m)[1], (m)[2], (m)[3], (m)[4], (m)[5]

/* ---- helpers ---------------------------------------------------------- */

/* ctl_call(), answering 503 when the writer is stopping. */
static int
call(struct api_req *r, int (*fn)(struct ctl *c, void *arg), void *arg)
{
	int rc = ctl_call(r->ctl, fn, arg);

	if (rc == -ESHUTDOWN)
		api_error(r, 503, NULL, "vtepd is stopping");
	return rc;
}

static json_t *
mac_json(const uint8_t *m)
{
	char buf[18];

	snprintf(buf, sizeof(buf), MAC_FMT, MAC_ARGS(m));
	return json_string(buf);
}

static json_t *
ip_json(const struct vtep_ip *ip)
{
	char buf[64];

	return json_string(vtep_ip_str(ip, buf, sizeof(buf)));
}

static json_t *
vlan_json(uint16_t vlan)
{
	return vlan == CONF_VLAN_UNTAGGED ? json_string("untagged") : json_integer(vlan);
}

static bool
parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *v)
{
	uint64_t x = 0;

	if (*s == '\0')
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		x = x * 10 + (uint64_t)(*s - '0');
		if (x > max)
			return false;
	}
	if (x < min)
		return false;
	*v = (uint32_t)x;
	return true;
}

static int
vni_param(struct api_req *r, uint32_t *vni)
{
	if (parse_u32(r->m.params[0], 1, 16777215, vni))
		return 0;
	api_error(r, 400, "vni", "%.40s is not a VNI (1-16777215)", r->m.params[0]);
	return -EINVAL;
}

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Six pairs of hex digits separated by colons, as lib/conf reads a MAC. */
static bool
mac_parse(const char *s, uint8_t *mac)
{
	for (unsigned i = 0; i < 6; i++) {
		int hi = hex_digit(s[3 * i]), lo = hi < 0 ? -1 : hex_digit(s[3 * i + 1]);

		if (hi < 0 || lo < 0 || s[3 * i + 2] != (i == 5 ? '\0' : ':'))
			return false;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

static int
mac_param(struct api_req *r, const char *s, struct rte_ether_addr *mac)
{
	if (mac_parse(s, mac->addr_bytes))
		return 0;
	api_error(r, 400, "mac", "%.40s is not a MAC address", s);
	return -EINVAL;
}

static const struct conf_vni *
conf_vni_find(const struct conf *cf, uint32_t vni, size_t *index)
{
	for (unsigned i = 0; i < cf->n_vnis; i++) {
		if (cf->vnis[i].vni == vni) {
			if (index)
				*index = i;
			return &cf->vnis[i];
		}
	}
	return NULL;
}

/* ---- the running configuration as a tree ------------------------------ */

/* How much of the running configuration a handler needs as a document. */
enum tree_scope {
	TREE_ALL,      /* everything */
	TREE_NO_VNIS,  /* no VNI and no static entry */
	TREE_VNI,      /* only VNI @vni (if it exists) and its static entries */
};

struct tree_call {
	enum tree_scope scope;
	uint32_t vni;
	struct conf_node *root;
};

/*
 * A write is validated with the rules on a document of the running
 * configuration holding the body at its place. Rendering and checking all
 * of a configuration of thousands of VNIs for each request made a request
 * cost grow with the configuration; a write to one VNI is checked with
 * that VNI only, and the writer checks what spans VNIs (a binding used
 * twice) when it commits, in the same words.
 */
static int
tree_fn(struct ctl *c, void *arg)
{
	struct tree_call *t = arg;
	const struct conf *cf = ctl_conf(c);
	struct conf m;
	unsigned i, n = 0;

	if (t->scope == TREE_ALL) {
		t->root = conf_to_node(cf);
		return t->root ? 0 : -ENOMEM;
	}
	m = *cf;
	m.vnis = NULL;
	m.n_vnis = 0;
	m.fdb = NULL;
	m.n_fdb = 0;
	if (t->scope == TREE_VNI) {
		for (i = 0; i < cf->n_vnis; i++)
			if (cf->vnis[i].vni == t->vni) {
				m.vnis = &cf->vnis[i];
				m.n_vnis = 1;
			}
		for (i = 0; i < cf->n_fdb; i++)
			n += cf->fdb[i].vni == t->vni;
		if (n != 0) {
			m.fdb = malloc(n * sizeof(*m.fdb));
			if (m.fdb == NULL)
				return -ENOMEM;
			for (i = 0; i < cf->n_fdb; i++)
				if (cf->fdb[i].vni == t->vni)
					m.fdb[m.n_fdb++] = cf->fdb[i];
		}
	}
	t->root = conf_to_node(&m);
	free(m.fdb);
	return t->root ? 0 : -ENOMEM;
}

/* The running configuration as a document, as much as @scope says; NULL
 * once answered. */
static struct conf_node *
running_scoped(struct api_req *r, enum tree_scope scope, uint32_t vni)
{
	struct tree_call t = { .scope = scope, .vni = vni };
	int rc = call(r, tree_fn, &t);

	if (rc == -ESHUTDOWN)
		return NULL;
	if (rc < 0) {
		api_error(r, 500, NULL, "out of memory");
		return NULL;
	}
	return t.root;
}

static struct conf_node *
running_tree(struct api_req *r)
{
	return running_scoped(r, TREE_ALL, 0);
}

/* A copy of @seq (NULL: empty) with item @i replaced by @item, or appended
 * when @i is its size; @item NULL with @i the size: a plain copy. @item is
 * taken. */
static struct conf_node *
seq_with(const struct conf_node *seq, size_t i, struct conf_node *item)
{
	size_t k, n = seq ? conf_node_size(seq) : 0;
	struct conf_node *s = conf_node_seq(0), *c;

	for (k = 0; s != NULL && k < n; k++) {
		if (k == i) {
			c = item;
			item = NULL;
		} else {
			c = api_node_copy(conf_node_item(seq, k));
		}
		if (c == NULL || conf_node_seq_add(s, c) != 0) {
			conf_node_free(s);
			s = NULL;
		}
	}
	if (s == NULL) {
		conf_node_free(item);
		return NULL;
	}
	if (item != NULL && conf_node_seq_add(s, item) != 0) {
		conf_node_free(s);
		return NULL;
	}
	return s;
}

/* Set @key of @map to the number @v, unless @map has it. @return 0, -ENOMEM. */
static int
map_add_number(struct conf_node *map, const char *key, uint32_t v)
{
	struct conf_node *n;
	char num[16];

	if (conf_node_get(map, key))
		return 0;
	snprintf(num, sizeof(num), "%" PRIu32, v);
	n = conf_node_scalar(num, strlen(num), CONF_SCALAR_NUMBER, 0);
	return n && conf_node_map_add(map, key, n) == 0 ? 0 : -ENOMEM;
}

/* A copy of map @map whose keys in @over take @over's values (copied), the
 * others kept. @over may be NULL. */
static struct conf_node *
map_merge(const struct conf_node *map, const struct conf_node *over)
{
	struct conf_node *m = conf_node_map(0), *c;
	size_t i, n = map ? conf_node_size(map) : 0, no = over ? conf_node_size(over) : 0;

	for (i = 0; m != NULL && i < n; i++) {
		const char *key = conf_node_key(map, i);

		if (over && conf_node_get(over, key))
			continue;
		c = api_node_copy(conf_node_value(map, i));
		if (c == NULL || conf_node_map_add(m, key, c) != 0) {
			conf_node_free(m);
			return NULL;
		}
	}
	for (i = 0; m != NULL && i < no; i++) {
		c = api_node_copy(conf_node_value(over, i));
		if (c == NULL || conf_node_map_add(m, conf_node_key(over, i), c) != 0) {
			conf_node_free(m);
			return NULL;
		}
	}
	return m;
}

/* A copy of @map with @key set to @value (taken). */
static struct conf_node *
map_with(const struct conf_node *map, const char *key, struct conf_node *value)
{
	struct conf_node *m = conf_node_map(0), *c;
	size_t i, n = conf_node_size(map);

	for (i = 0; m != NULL && i < n; i++) {
		if (strcmp(conf_node_key(map, i), key) == 0)
			continue;
		c = api_node_copy(conf_node_value(map, i));
		if (c == NULL || conf_node_map_add(m, conf_node_key(map, i), c) != 0) {
			conf_node_free(m);
			m = NULL;
		}
	}
	if (m == NULL) {
		conf_node_free(value);
		return NULL;
	}
	if (conf_node_map_add(m, key, value) != 0) {
		conf_node_free(m);
		return NULL;
	}
	return m;
}

/* The index of VNI @vni in the sequence @vnis, or its size if absent. */
static size_t
tree_vni_index(const struct conf_node *vnis, uint32_t vni, bool *found)
{
	size_t i, n = vnis ? conf_node_size(vnis) : 0;
	char want[16];

	snprintf(want, sizeof(want), "%" PRIu32, vni);
	for (i = 0; i < n; i++) {
		const char *t = conf_node_text(conf_node_get(conf_node_item(vnis, i), "vni"));

		if (t && strcmp(t, want) == 0) {
			*found = true;
			return i;
		}
	}
	*found = false;
	return n;
}

/* The JSON body as a tree; NULL once answered (400, 415). */
static struct conf_node *
body_tree(struct api_req *r)
{
	char reason[256];
	struct conf_node *n;
	json_t *j;

	if (r->ctype == API_CTYPE_YAML) {
		api_error(r, 415, NULL, "this path takes application/json; "
			  "application/yaml is for a whole configuration (PUT /v1/config)");
		return NULL;
	}
	if (r->body_len == 0) {
		api_error(r, 400, NULL, "a JSON body is required");
		return NULL;
	}
	j = api_json_parse(r->body, r->body_len, reason, sizeof(reason));
	if (j == NULL) {
		api_error(r, 400, NULL, "%s", reason);
		return NULL;
	}
	n = api_json_to_node(j, reason, sizeof(reason));
	json_decref(j);
	if (n == NULL)
		api_error(r, 400, NULL, "%s", reason);
	return n;
}

/* Validate @cand (taken). NULL once answered with the refusal, its field
 * made relative to @prefix. */
static struct conf *
validate(struct api_req *r, struct conf_node *cand, const char *prefix)
{
	struct conf_err err = { 0 };
	struct conf *cf;
	int rc;

	if (cand == NULL) {
		api_error(r, 500, NULL, "out of memory");
		return NULL;
	}
	cf = conf_from_node(cand, &err);
	rc = cf == NULL && errno == ENOMEM ? -ENOMEM : -EINVAL;
	conf_node_free(cand);
	if (cf == NULL)
		api_conf_error(r, rc, &err, prefix);
	return cf;
}

void
api_conf_error(struct api_req *r, int rc, const struct conf_err *e, const char *prefix)
{
	const char *field = e->field;
	const char *reason = e->reason;
	unsigned status = api_errno_status(rc);

	if (prefix) {
		const char *f = api_field_strip(field, prefix);

		if (f)
			field = f;
	}
	if (reason[0] == '\0') {
		switch (rc) {
		case -ENOENT: reason = "not found"; break;
		case -EEXIST: reason = "already exists"; break;
		case -ENOSPC: reason = "no room left"; break;
		case -ENOMEM: reason = "out of memory"; break;
		case -EIO: reason = "the state file could not be written; nothing changed"; break;
		case -EBUSY: reason = "another batch is open"; break;
		default: reason = "refused"; break;
		}
	}
	/* A binding another VNI holds is a conflict with existing state, not
	 * a malformed request: lib/conf's words for it are the only sign. */
	if (rc == -EINVAL && strstr(reason, "is already bound to VNI"))
		status = 409;
	api_reply(r, status, api_error_body(reason, field));
}

/* ---- GET /v1/health --------------------------------------------------- */

void api_h_health_get(struct api_req *r);
void
api_h_health_get(struct api_req *r)
{
	uint64_t now = api_mono_ms();
	json_t *o;

	/* Answered here, without the control thread: health says the server
	 * is up even while the writer is busy with a large batch. */
	o = json_pack("{s:s, s:s, s:I, s:i}", "status", "ok", "version", r->api->version,
		      "uptime_s", (json_int_t)((now - r->api->start_ms) / 1000),
		      "workers", (int)r->api->n_workers);
	api_reply(r, 200, o);
}

/* ---- underlay --------------------------------------------------------- */

void api_h_underlay_get(struct api_req *r);
void
api_h_underlay_get(struct api_req *r)
{
	struct conf_node *root = running_scoped(r, TREE_NO_VNIS, 0);

	if (root == NULL)
		return;
	api_reply(r, 200, api_node_to_json(conf_node_get(root, "underlay")));
	conf_node_free(root);
	if (r->json == NULL)
		api_error(r, 500, NULL, "out of memory");
}

/* The underlay fields a PATCH body names. */
enum {
	U_TTL = 1 << 0, U_TOS = 1 << 1, U_DF = 1 << 2, U_ECN = 1 << 3, U_SPORT = 1 << 4,
	U_MTU = 1 << 5, U_FIXED = 1 << 6,
};

struct underlay_call {
	const struct conf_underlay *u;   /* the body over the running underlay, validated */
	unsigned named;                  /* U_*: what the body named */
	struct conf_err err;
};

static unsigned
underlay_named(const struct conf_node *body)
{
	static const struct { const char *key; unsigned bit; } f[] = {
		{ "ttl", U_TTL }, { "tos", U_TOS }, { "df", U_DF }, { "ecn", U_ECN },
		{ "source_ports", U_SPORT }, { "mtu", U_MTU },
	};
	unsigned named = 0, b;
	size_t i;

	for (i = 0; i < conf_node_size(body); i++) {
		for (b = 0; b < RTE_DIM(f); b++)
			if (strcmp(conf_node_key(body, i), f[b].key) == 0)
				break;
		named |= b < RTE_DIM(f) ? f[b].bit : U_FIXED;
	}
	return named;
}

/*
 * Only what the body named is taken, over the underlay as it runs now, on
 * the control thread: two PATCHes of different fields at once both hold.
 * A named field that needs a restart goes through too, for the writer to
 * refuse if it differs.
 */
static int
underlay_set_fn(struct ctl *c, void *arg)
{
	struct underlay_call *o = arg;
	struct conf_underlay u = ctl_conf(c)->underlay;
	const struct conf_underlay *b = o->u;

	if (o->named & U_TTL) {
		u.ttl = b->ttl;
		u.ttl_inherit = b->ttl_inherit;
	}
	if (o->named & U_TOS) {
		u.tos = b->tos;
		u.tos_inherit = b->tos_inherit;
	}
	if (o->named & U_DF)
		u.df = b->df;
	if (o->named & U_ECN)
		u.ecn = b->ecn;
	if (o->named & U_SPORT) {
		u.sport_min = b->sport_min;
		u.sport_max = b->sport_max;
	}
	if (o->named & U_MTU)
		u.mtu = b->mtu;
	if (o->named & U_FIXED) {
		snprintf(u.port, sizeof(u.port), "%s", b->port);
		u.address = b->address;
		u.prefix_len = b->prefix_len;
		u.gateway = b->gateway;
		u.udp_port = b->udp_port;
		u.mcast_ttl = b->mcast_ttl;
		u.neighbors = b->neighbors;
		u.n_neighbors = b->n_neighbors;
	}
	return ctl_underlay_set(c, &u, &o->err);
}

void api_h_underlay_patch(struct api_req *r);
void
api_h_underlay_patch(struct api_req *r)
{
	struct conf_node *body, *root, *u;
	struct underlay_call o = { 0 };
	struct conf *cf;
	int rc;

	body = body_tree(r);
	if (body == NULL)
		return;
	if (conf_node_kind(body) != CONF_NODE_MAP) {
		conf_node_free(body);
		api_error(r, 400, NULL, "expected a mapping of underlay fields");
		return;
	}
	root = running_scoped(r, TREE_NO_VNIS, 0);
	if (root == NULL) {
		conf_node_free(body);
		return;
	}
	o.named = underlay_named(body);
	u = map_merge(conf_node_get(root, "underlay"), body);
	conf_node_free(body);
	cf = validate(r, u ? map_with(root, "underlay", u) : NULL, "underlay");
	conf_node_free(root);
	if (cf == NULL)
		return;
	o.u = &cf->underlay;
	rc = call(r, underlay_set_fn, &o);
	if (rc >= 0)
		api_h_underlay_get(r);
	else if (rc != -ESHUTDOWN)
		api_conf_error(r, rc, &o.err, "underlay");
	conf_free(cf);
}

/* ---- ports ------------------------------------------------------------ */

struct json_call {
	uint32_t vni;
	const char *type;                /* fdb: "static", "learned" or NULL */
	json_t *out;
};

/* A port's counters into @o: the .def's, then the PMD's. */
static void
port_ctr_set(json_t *o, const struct ctl_port_stats *ps)
{
	for (unsigned k = 0; k < CTL_PORT_CTR_MAX; k++)
		json_object_set_new(o, ctl_port_ctr_name(k), json_integer((json_int_t)ps->c[k]));
	json_object_set_new(o, "rx_missed", json_integer((json_int_t)ps->rx_missed));
	json_object_set_new(o, "rx_nombuf", json_integer((json_int_t)ps->rx_nombuf));
}

static int
ports_fn(struct ctl *c, void *arg)
{
	struct json_call *o = arg;
	struct ctl_stats st;
	const struct ctl_port *p;
	unsigned n;
	int rc;

	rc = ctl_stats_get(c, &st);
	if (rc < 0)
		return rc;
	p = ctl_ports(c, &n);
	o->out = json_array();
	for (unsigned i = 0; o->out && i < n; i++) {
		struct rte_eth_link link;
		json_t *ctr = json_object();

		memset(&link, 0, sizeof(link));
		if (rte_eth_dev_is_valid_port(p[i].id))
			rte_eth_link_get_nowait(p[i].id, &link);
		for (unsigned s = 0; s < st.n_ports; s++) {
			if (strcmp(st.ports[s].name, p[i].name) != 0)
				continue;
			port_ctr_set(ctr, &st.ports[s]);
		}
		json_array_append_new(o->out, json_pack("{s:s, s:s, s:o, s:i, s:{s:b, s:I}, s:o}",
			"name", p[i].name,
			"role", p[i].underlay ? "underlay" : "access",
			"mac", mac_json(p[i].mac.addr_bytes),
			"rx_queues", (int)p[i].n_rxq,
			"link", "up", link.link_status == RTE_ETH_LINK_UP,
			"speed_mbps", (json_int_t)link.link_speed,
			"counters", ctr));
	}
	ctl_stats_release(&st);
	return o->out ? 0 : -ENOMEM;
}

/* Run @fn, which builds o->out, and answer 200 {key: out} (key NULL: out). */
static void
answer_call(struct api_req *r, int (*fn)(struct ctl *c, void *arg), struct json_call *o,
	    const char *key)
{
	int rc = call(r, fn, o);

	if (rc == -ESHUTDOWN) {
		json_decref(o->out);
		return;
	}
	if (rc == -ENOENT) {
		json_decref(o->out);
		api_error(r, 404, "vni", "no VNI %" PRIu32, o->vni);
		return;
	}
	if (rc < 0 || o->out == NULL) {
		json_decref(o->out);
		api_error(r, api_errno_status(rc < 0 ? rc : -ENOMEM), NULL, "%s",
			  rc == -ENOMEM || rc >= 0 ? "out of memory" : strerror(-rc));
		return;
	}
	api_reply(r, 200, key ? json_pack("{s:o}", key, o->out) : o->out);
}

void api_h_ports_get(struct api_req *r);
void
api_h_ports_get(struct api_req *r)
{
	struct json_call o = { 0 };

	answer_call(r, ports_fn, &o, "ports");
}

/* ---- VNIs ------------------------------------------------------------- */

/* One VNI in the YAML schema: conf_to_node() of a configuration holding
 * only it, so that the API and the writer share one rendering. */
static json_t *
vni_json(const struct conf_vni *v)
{
	struct conf one;
	struct conf_node *root;
	json_t *j;

	memset(&one, 0, sizeof(one));
	one.vnis = (struct conf_vni *)v;
	one.n_vnis = 1;
	root = conf_to_node(&one);
	j = api_node_to_json(conf_node_item(conf_node_get(root, "vnis"), 0));
	conf_node_free(root);
	return j;
}

void api_h_vnis_get(struct api_req *r);
void
api_h_vnis_get(struct api_req *r)
{
	struct conf_node *root = running_tree(r);
	const struct conf_node *vnis;
	json_t *j;

	if (root == NULL)
		return;
	vnis = conf_node_get(root, "vnis");
	j = vnis ? api_node_to_json(vnis) : json_array();
	conf_node_free(root);
	if (j == NULL)
		api_error(r, 500, NULL, "out of memory");
	else
		api_reply(r, 200, json_pack("{s:o}", "vnis", j));
}

static int
vni_get_fn(struct ctl *c, void *arg)
{
	struct json_call *o = arg;
	const struct conf_vni *v = conf_vni_find(ctl_conf(c), o->vni, NULL);

	if (v == NULL)
		return -ENOENT;
	o->out = vni_json(v);
	return o->out ? 0 : -ENOMEM;
}

/* The answer's ETag: that of the VNI document it carries. */
static void
etag_set(struct api_req *r)
{
	if (r->json != NULL && r->status < 300 && api_etag(r->json, r->etag) != 0)
		r->etag[0] = '\0';
}

void api_h_vni_get(struct api_req *r);
void
api_h_vni_get(struct api_req *r)
{
	struct json_call o = { 0 };

	if (vni_param(r, &o.vni) == 0) {
		answer_call(r, vni_get_fn, &o, NULL);
		etag_set(r);
	}
}

/*
 * Does If-Match name @p tag? RFC 9110 section 13.1.1: "*", or a list of
 * entity tags, each a quoted string that may hold commas; a weak tag
 * (W/"...") never matches, the comparison being strong.
 */
static bool
etag_matches(const char *list, const char *tag)
{
	size_t n = strlen(tag);

	for (const char *p = list;;) {
		const char *q;
		bool weak = false;

		p += strspn(p, " \t,");
		if (*p == '\0')
			return false;
		if (*p == '*')
			return true;
		if (p[0] == 'W' && p[1] == '/') {
			weak = true;
			p += 2;
		}
		if (*p != '"' || (q = strchr(p + 1, '"')) == NULL)
			return false;          /* not an entity tag: nothing matches */
		if (!weak && (size_t)(q + 1 - p) == n && strncmp(p, tag, n) == 0)
			return true;
		p = q + 1 + strspn(q + 1, " \t");
		if (*p != ',' && *p != '\0')
			return false;          /* tags are separated by commas */
	}
}

struct vni_call {
	const struct conf_vni *v;
	bool create_only;
	const char *if_match;            /* If-Match, or NULL */
	char etag[API_ETAG_SIZE];        /* the running VNI's, when If-Match failed */
	size_t index;                    /* where the VNI is or would be */
	struct conf_err err;
	json_t *out;
};

/* If-Match against the running VNI, on the control thread: no other
 * change can come between the comparison and the write. */
static int
vni_precondition(struct vni_call *o, const struct conf_vni *running)
{
	json_t *j;
	int rc;

	if (o->if_match == NULL)
		return 0;
	if (running == NULL)
		return -ECANCELED;
	j = vni_json(running);
	if (j == NULL)
		return -ENOMEM;
	rc = api_etag(j, o->etag);
	json_decref(j);
	if (rc < 0)
		return rc;
	return etag_matches(o->if_match, o->etag) ? 0 : -ECANCELED;
}

static int
vni_put_fn(struct ctl *c, void *arg)
{
	struct vni_call *o = arg;
	const struct conf *cf = ctl_conf(c);
	const struct conf_vni *running = conf_vni_find(cf, o->v->vni, &o->index);
	int rc;

	if (running == NULL)
		o->index = cf->n_vnis;
	else if (o->create_only)
		return -EEXIST;
	rc = vni_precondition(o, running);
	if (rc < 0)
		return rc;
	rc = ctl_vni_put(c, o->v, &o->err);
	if (rc >= 0) {
		const struct conf_vni *v = conf_vni_find(ctl_conf(c), o->v->vni, NULL);

		o->out = v ? vni_json(v) : NULL;
	}
	return rc;
}

/* PUT /v1/vnis/{vni} and POST /v1/vnis: @vni 0 takes it from the body. */
static void
vni_write(struct api_req *r, uint32_t vni, bool create_only)
{
	struct vni_call o = { .create_only = create_only };
	struct conf_node *body, *root, *vnis, *t;
	char if_match[512];
	const struct conf_vni *v;
	struct conf *cf;
	char prefix[32];
	bool found = false;
	size_t index;
	uint32_t bv;
	int rc;

	body = body_tree(r);
	if (body == NULL)
		return;
	if (conf_node_kind(body) != CONF_NODE_MAP) {
		conf_node_free(body);
		api_error(r, 400, NULL, "expected a mapping: a VNI as in the vnis list");
		return;
	}
	/* A vni the rules would refuse (quoted, out of range) is left for
	 * them to name; a well-formed one must be the path's. */
	t = conf_node_get(body, "vni");
	if (!(t && conf_node_type(t) == CONF_SCALAR_NUMBER &&
	      parse_u32(conf_node_text(t), 0, UINT32_MAX, &bv)))
		t = NULL;
	if (vni != 0 && t != NULL && bv != vni) {
		api_error(r, 400, "vni", "%.40s differs from the VNI of the path (%" PRIu32 ")",
			  conf_node_text(t), vni);
		conf_node_free(body);
		return;
	}
	if (vni != 0 && map_add_number(body, "vni", vni) != 0) {
		conf_node_free(body);
		api_error(r, 500, NULL, "out of memory");
		return;
	}
	if (vni == 0 && t != NULL)
		vni = bv;

	root = running_scoped(r, vni != 0 ? TREE_VNI : TREE_NO_VNIS, vni);
	if (root == NULL) {
		conf_node_free(body);
		return;
	}
	vnis = conf_node_get(root, "vnis");
	index = conf_node_size(vnis);
	if (vni != 0)
		index = tree_vni_index(vnis, vni, &found);
	if (found && create_only) {
		conf_node_free(root);
		conf_node_free(body);
		api_error(r, 409, "vni", "VNI %" PRIu32 " exists", vni);
		return;
	}
	snprintf(prefix, sizeof(prefix), "vnis[%zu]", index);
	vnis = seq_with(vnis, index, body);
	cf = validate(r, vnis ? map_with(root, "vnis", vnis) : NULL, prefix);
	conf_node_free(root);
	if (cf == NULL)
		return;
	v = index < cf->n_vnis ? &cf->vnis[index] : NULL;
	if (v == NULL || (vni != 0 && v->vni != vni)) {
		conf_free(cf);
		api_error(r, 500, NULL, "the validated VNI is not where it was put");
		return;
	}
	o.v = v;
	/* Several If-Match lines are one list (RFC 9110 section 5.3). */
	if (api_header_list(r, "If-Match", if_match, sizeof(if_match)) < 0) {
		conf_free(cf);
		api_error(r, 400, NULL, "If-Match: longer than %zu bytes", sizeof(if_match) - 1);
		return;
	}
	o.if_match = if_match[0] != '\0' ? if_match : NULL;
	rc = call(r, vni_put_fn, &o);
	if (rc == -EEXIST)
		api_error(r, 409, "vni", "VNI %" PRIu32 " exists", v->vni);
	else if (rc == -ECANCELED && o.etag[0] == '\0')
		api_error(r, 412, NULL, "If-Match: there is no VNI %" PRIu32, v->vni);
	else if (rc == -ECANCELED)
		api_error(r, 412, NULL, "If-Match: VNI %" PRIu32 " changed since it was read; "
			  "its ETag is now %s", v->vni, o.etag);
	else if (rc >= 0 && o.out) {
		api_reply(r, rc == 1 ? 201 : 200, o.out);
		etag_set(r);
	}
	else if (rc >= 0)
		api_error(r, 500, NULL, "out of memory");
	else if (rc != -ESHUTDOWN) {
		snprintf(prefix, sizeof(prefix), "vnis[%zu]", o.index);
		api_conf_error(r, rc, &o.err, prefix);
	}
	if (rc < 0)
		json_decref(o.out);
	conf_free(cf);
}

void api_h_vnis_post(struct api_req *r);
void
api_h_vnis_post(struct api_req *r)
{
	vni_write(r, 0, true);
}

void api_h_vni_put(struct api_req *r);
void
api_h_vni_put(struct api_req *r)
{
	uint32_t vni;

	if (vni_param(r, &vni) == 0)
		vni_write(r, vni, false);
}

struct del_call {
	uint32_t vni;
	struct rte_ether_addr mac;
	struct vtep_ip ip;
	unsigned what;
	struct conf_err err;
};

static int
vni_del_fn(struct ctl *c, void *arg)
{
	struct del_call *o = arg;

	return ctl_vni_del(c, o->vni, &o->err);
}

/* Run a deletion; 204, or 404 naming what is missing. */
static void
answer_delete(struct api_req *r, int (*fn)(struct ctl *c, void *arg), struct del_call *o,
	      const char *what, const char *field)
{
	int rc = call(r, fn, o);

	/* The typed operation names what is missing: the VNI, or the entry. */
	if (rc >= 0)
		api_reply(r, 204, NULL);
	else if (rc == -ENOENT && strcmp(o->err.field, "vni") == 0)
		api_error(r, 404, "vni", "no VNI %" PRIu32, o->vni);
	else if (rc == -ENOENT)
		api_error(r, 404, field, "no %s", what);
	else if (rc != -ESHUTDOWN)
		api_conf_error(r, rc, &o->err, NULL);
}

void api_h_vni_delete(struct api_req *r);
void
api_h_vni_delete(struct api_req *r)
{
	struct del_call o = { 0 };

	if (vni_param(r, &o.vni) != 0)
		return;
	answer_delete(r, vni_del_fn, &o, "VNI", "vni");
}

/* ---- FDB -------------------------------------------------------------- */

static int
fdb_entry_cb(void *arg, const struct ctl_fdb_entry *e)
{
	struct json_call *o = arg;
	json_t *j;

	if (o->type && strcmp(o->type, e->is_static ? "static" : "learned") != 0)
		return 0;
	j = json_pack("{s:I, s:o, s:s}", "vni", (json_int_t)e->vni,
		      "mac", mac_json(e->mac.addr_bytes),
		      "type", e->is_static ? "static" : "learned");
	if (j == NULL)
		return -ENOMEM;
	if (e->is_remote) {
		json_object_set_new(j, "remote", ip_json(&e->remote));
	} else {
		json_object_set_new(j, "port", json_string(e->port ? e->port : ""));
		json_object_set_new(j, "vlan", vlan_json(e->vlan));
	}
	json_object_set_new(j, "age_s", json_integer(e->age));
	json_object_set_new(j, "last_seen_s", json_integer(e->last_seen));
	return json_array_append_new(o->out, j) == 0 ? 0 : -ENOMEM;
}

static int
fdb_get_fn(struct ctl *c, void *arg)
{
	struct json_call *o = arg;

	if (conf_vni_find(ctl_conf(c), o->vni, NULL) == NULL)
		return -ENOENT;
	o->out = json_array();
	if (o->out == NULL)
		return -ENOMEM;
	return ctl_fdb_walk(c, o->vni, fdb_entry_cb, o);
}

void api_h_fdb_get(struct api_req *r);
void
api_h_fdb_get(struct api_req *r)
{
	struct json_call o = { 0 };

	if (vni_param(r, &o.vni) != 0)
		return;
	o.type = api_query(r, "type");
	if (o.type && strcmp(o.type, "static") != 0 && strcmp(o.type, "learned") != 0) {
		api_error(r, 400, "type", "%.40s: static or learned expected", o.type);
		return;
	}
	answer_call(r, fdb_get_fn, &o, "fdb");
}

struct fdb_call {
	const struct conf_fdb *e;
	unsigned n;
	unsigned added;
	struct conf_err err;
};

static int
fdb_add_fn(struct ctl *c, void *arg)
{
	struct fdb_call *o = arg;
	int rc;

	/* All or nothing: one batch, one snapshot. */
	rc = ctl_batch_begin(c);
	if (rc < 0)
		return rc;
	for (unsigned i = 0; i < o->n; i++) {
		rc = ctl_fdb_add(c, &o->e[i], &o->err);
		if (rc < 0) {
			ctl_batch_abort(c);
			return rc;
		}
		o->added += (unsigned)rc;
	}
	return ctl_batch_commit(c, &o->err);
}

/* "fdb[N]..." of the candidate as a path within the body: "[N - base]..."
 * for a list, "..." for one object. */
static const char *
fdb_field(const char *field, size_t base, bool list, char *buf, size_t size)
{
	const char *rest = api_field_strip(field, "fdb");
	char *end;
	unsigned long n;

	if (rest == NULL || rest[0] != '[')
		return field;
	n = strtoul(rest + 1, &end, 10);
	if (*end != ']' || n < base)
		return field;
	end++;
	if (list)
		snprintf(buf, size, "[%lu]%s", n - base, end);
	else
		snprintf(buf, size, "%s", *end == '.' ? end + 1 : end);
	return buf;
}

static int
mac_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static bool
mac_key(const struct conf_node *entry, uint64_t *key)
{
	const char *t = conf_node_text(conf_node_get(entry, "mac"));
	uint8_t m[6];

	if (t == NULL || !mac_parse(t, m))
		return false;
	*key = (uint64_t)m[0] << 40 | (uint64_t)m[1] << 32 | (uint64_t)m[2] << 24 |
	       (uint64_t)m[3] << 16 | (uint64_t)m[4] << 8 | m[5];
	return true;
}

/*
 * The running fdb list without the entries of @vni that the body names
 * again, then the body's entries with the path's VNI. Posting an entry
 * that exists is then the typed operation's call: the same destination is
 * a success that changes nothing, another one a conflict; the rules'
 * "duplicate entry" stays for two entries within one body.
 */
static struct conf_node *
fdb_candidate(const struct conf_node *running, const struct conf_node *body, bool list,
	      size_t n, uint32_t vni, size_t *base)
{
	struct conf_node *fdb = conf_node_seq(0), *item;
	size_t i, nr = running ? conf_node_size(running) : 0, nk = 0;
	uint64_t *keys = calloc(n, sizeof(*keys)), key;
	char num[16];

	snprintf(num, sizeof(num), "%" PRIu32, vni);
	for (i = 0; keys && i < n; i++)
		if (mac_key(list ? conf_node_item(body, i) : body, &key))
			keys[nk++] = key;
	qsort(keys, nk, sizeof(*keys), mac_cmp);
	for (i = 0; fdb && keys && i < nr; i++) {
		const struct conf_node *e = conf_node_item(running, i);
		const char *v = conf_node_text(conf_node_get(e, "vni"));

		if (v && strcmp(v, num) == 0 && mac_key(e, &key) &&
		    bsearch(&key, keys, nk, sizeof(*keys), mac_cmp))
			continue;
		item = api_node_copy(e);
		if (item == NULL || conf_node_seq_add(fdb, item) != 0) {
			conf_node_free(fdb);
			fdb = NULL;
		}
	}
	free(keys);
	if (keys == NULL) {
		conf_node_free(fdb);
		return NULL;
	}
	*base = fdb ? conf_node_size(fdb) : 0;
	for (i = 0; fdb && i < n; i++) {
		item = api_node_copy(list ? conf_node_item(body, i) : body);
		if (item && conf_node_kind(item) == CONF_NODE_MAP &&
		    map_add_number(item, "vni", vni) != 0) {
			conf_node_free(item);
			item = NULL;
		}
		if (item == NULL || conf_node_seq_add(fdb, item) != 0) {
			conf_node_free(fdb);
			fdb = NULL;
		}
	}
	return fdb;
}

/* Answer a refusal of the fdb candidate, its field within the body. */
static void
fdb_error(struct api_req *r, int rc, const struct conf_err *e, size_t base, bool list)
{
	char field[sizeof(e->field)];

	api_conf_error(r, rc, e, NULL);
	if (r->json && e->field[0]) {
		const char *f = fdb_field(e->field, base, list, field, sizeof(field));

		if (f[0])
			json_object_set_new(r->json, "field", json_string(f));
		else
			json_object_del(r->json, "field");
	}
}

void api_h_fdb_post(struct api_req *r);
void
api_h_fdb_post(struct api_req *r)
{
	struct conf_node *body, *root, *fdb;
	struct fdb_call o = { 0 };
	struct conf_err err = { 0 };
	size_t base = 0, n, i;
	struct conf *cf;
	bool list, found;
	uint32_t vni;
	int rc;

	if (vni_param(r, &vni) != 0)
		return;
	body = body_tree(r);
	if (body == NULL)
		return;
	list = conf_node_kind(body) == CONF_NODE_SEQ;
	n = list ? conf_node_size(body) : 1;
	if (n == 0) {
		conf_node_free(body);
		api_error(r, 400, NULL, "an empty list adds nothing");
		return;
	}
	root = running_scoped(r, TREE_VNI, vni);
	if (root == NULL) {
		conf_node_free(body);
		return;
	}
	tree_vni_index(conf_node_get(root, "vnis"), vni, &found);
	if (!found) {
		conf_node_free(root);
		conf_node_free(body);
		api_error(r, 404, "vni", "no VNI %" PRIu32, vni);
		return;
	}
	fdb = fdb_candidate(conf_node_get(root, "fdb"), body, list, n, vni, &base);
	conf_node_free(body);
	if (fdb == NULL) {
		conf_node_free(root);
		api_error(r, 500, NULL, "out of memory");
		return;
	}
	fdb = map_with(root, "fdb", fdb);
	conf_node_free(root);
	cf = fdb ? conf_from_node(fdb, &err) : NULL;
	if (cf == NULL) {
		fdb_error(r, fdb == NULL || errno == ENOMEM ? -ENOMEM : -EINVAL, &err, base, list);
		conf_node_free(fdb);
		return;
	}
	conf_node_free(fdb);
	for (i = 0; i < n; i++) {
		if (base + i >= cf->n_fdb || cf->fdb[base + i].vni != vni) {
			char field[32];

			snprintf(field, sizeof(field), list ? "[%zu].vni" : "vni", i);
			conf_free(cf);
			api_error(r, 400, field, "differs from the VNI of the path (%" PRIu32 ")", vni);
			return;
		}
	}
	o.e = &cf->fdb[base];
	o.n = (unsigned)n;
	rc = call(r, fdb_add_fn, &o);
	if (rc >= 0)
		api_reply(r, o.added ? 201 : 200, json_pack("{s:i, s:i}", "added", (int)o.added,
			  "existing", (int)(n - o.added)));
	else if (rc != -ESHUTDOWN)
		fdb_error(r, rc, &o.err, base, list);
	conf_free(cf);
}

static int
fdb_del_fn(struct ctl *c, void *arg)
{
	struct del_call *o = arg;

	return ctl_fdb_del(c, o->vni, &o->mac, &o->err);
}

void api_h_fdb_delete(struct api_req *r);
void
api_h_fdb_delete(struct api_req *r)
{
	struct del_call o = { 0 };
	char what[64];

	if (vni_param(r, &o.vni) != 0 || mac_param(r, r->m.params[1], &o.mac) != 0)
		return;
	snprintf(what, sizeof(what), "entry for " MAC_FMT, MAC_ARGS(o.mac.addr_bytes));
	answer_delete(r, fdb_del_fn, &o, what, "mac");
}

static int
fdb_flush_fn(struct ctl *c, void *arg)
{
	struct del_call *o = arg;

	return ctl_fdb_flush(c, o->vni, o->what, &o->err);
}

void api_h_fdb_flush(struct api_req *r);
void
api_h_fdb_flush(struct api_req *r)
{
	struct del_call o = { 0 };
	const char *type;
	int rc;

	if (vni_param(r, &o.vni) != 0)
		return;
	type = api_query(r, "type");
	/* Static entries are configuration: they go one by one, or by a
	 * PUT of the configuration; a flush takes learned entries only. */
	if (type == NULL || strcmp(type, "learned") != 0) {
		api_error(r, 400, "type", "a flush takes ?type=learned");
		return;
	}
	o.what = FDB_FLUSH_LEARNED;
	rc = call(r, fdb_flush_fn, &o);
	if (rc >= 0)
		api_reply(r, 200, json_pack("{s:i}", "flushed", rc));
	else if (rc == -ENOENT)
		api_error(r, 404, "vni", "no VNI %" PRIu32, o.vni);
	else if (rc != -ESHUTDOWN)
		api_conf_error(r, rc, &o.err, NULL);
}

/* ---- flood lists ------------------------------------------------------ */

struct remote_call {
	uint32_t vni;
	struct vtep_ip ip;
	struct conf_err err;
};

static int
remote_add_fn(struct ctl *c, void *arg)
{
	struct remote_call *o = arg;

	return ctl_flood_add(c, o->vni, &o->ip, &o->err);
}

void api_h_remotes_post(struct api_req *r);
void
api_h_remotes_post(struct api_req *r)
{
	struct conf_node *body, *root, *vnis, *v, *rem, *ip, *cand = NULL;
	struct remote_call o = { 0 };
	char prefix[64];
	struct conf *cf;
	size_t k, j, i;
	bool found;
	int rc;

	if (vni_param(r, &o.vni) != 0)
		return;
	body = body_tree(r);
	if (body == NULL)
		return;
	if (conf_node_kind(body) != CONF_NODE_MAP) {
		conf_node_free(body);
		api_error(r, 400, NULL, "expected a mapping: {\"remote\": \"198.18.0.2\"}");
		return;
	}
	for (i = 0; i < conf_node_size(body); i++) {
		if (strcmp(conf_node_key(body, i), "remote") != 0) {
			api_error(r, 400, conf_node_key(body, i), "unknown field");
			conf_node_free(body);
			return;
		}
	}
	ip = conf_node_get(body, "remote");
	if (ip == NULL) {
		conf_node_free(body);
		api_error(r, 400, "remote", "required field is missing");
		return;
	}
	root = running_scoped(r, TREE_VNI, o.vni);
	if (root == NULL) {
		conf_node_free(body);
		return;
	}
	vnis = conf_node_get(root, "vnis");
	k = tree_vni_index(vnis, o.vni, &found);
	if (!found) {
		conf_node_free(root);
		conf_node_free(body);
		api_error(r, 404, "vni", "no VNI %" PRIu32, o.vni);
		return;
	}
	v = conf_node_item(vnis, k);
	rem = conf_node_get(v, "remotes");
	j = rem ? conf_node_size(rem) : 0;
	for (i = 0; i < j; i++) {
		const char *t = conf_node_text(conf_node_item(rem, i));

		/* Already in the list: the rules would call it a duplicate,
		 * but adding it again is a success that changes nothing. */
		if (t && conf_node_type(ip) == CONF_SCALAR_STRING &&
		    strcmp(t, conf_node_text(ip)) == 0 &&
		    vtep_ip_parse(t, &o.ip) == 0)
			break;
	}
	if (i == j) {
		/* The candidate: the VNI's remotes with this one appended. */
		rem = seq_with(rem, j, api_node_copy(ip));
		v = rem ? map_with(v, "remotes", rem) : NULL;
		vnis = v ? seq_with(vnis, k, v) : NULL;
		cand = vnis ? map_with(root, "vnis", vnis) : NULL;
		snprintf(prefix, sizeof(prefix), "vnis[%zu].remotes[%zu]", k, j);
		cf = validate(r, cand, prefix);
		if (cf == NULL) {
			/* The item itself is the body's one field. */
			if (r->json && !json_object_get(r->json, "field"))
				json_object_set_new(r->json, "field", json_string("remote"));
			conf_node_free(root);
			conf_node_free(body);
			return;
		}
		if (k < cf->n_vnis && j < cf->vnis[k].n_remotes)
			o.ip = cf->vnis[k].remotes[j];
		conf_free(cf);
	}
	conf_node_free(root);
	conf_node_free(body);
	if (o.ip.family == 0) {
		api_error(r, 500, NULL, "the validated remote is not where it was put");
		return;
	}
	rc = call(r, remote_add_fn, &o);
	if (rc >= 0)
		api_reply(r, rc == 1 ? 201 : 200, json_pack("{s:I, s:o}", "vni",
			  (json_int_t)o.vni, "remote", ip_json(&o.ip)));
	else if (rc == -ENOENT)
		api_error(r, 404, "vni", "no VNI %" PRIu32, o.vni);
	else if (rc != -ESHUTDOWN)
		api_conf_error(r, rc, &o.err, NULL);
}

static int
remote_del_fn(struct ctl *c, void *arg)
{
	struct del_call *o = arg;

	return ctl_flood_del(c, o->vni, &o->ip, &o->err);
}

void api_h_remote_delete(struct api_req *r);
void
api_h_remote_delete(struct api_req *r)
{
	struct del_call o = { 0 };
	char what[API_PARAM_MAX + 32];

	if (vni_param(r, &o.vni) != 0)
		return;
	if (vtep_ip_parse(r->m.params[1], &o.ip) != 0) {
		api_error(r, 400, "ip", "%.40s is not an IPv4 address", r->m.params[1]);
		return;
	}
	snprintf(what, sizeof(what), "remote %s in the flood list", r->m.params[1]);
	answer_delete(r, remote_del_fn, &o, what, "ip");
}

/* ---- neighbours ------------------------------------------------------- */

static int
neigh_cb(void *arg, const struct neigh_info *n)
{
	struct json_call *o = arg;
	struct vtep_ip ip = vtep_ip4(n->ip);

	return json_array_append_new(o->out, json_pack("{s:o, s:s, s:o}",
		"ip", ip_json(&ip), "state", neigh_state_name(n->state),
		"mac", n->usable ? mac_json(n->mac.addr_bytes) : json_null())) == 0 ? 0 : -ENOMEM;
}

static int
neigh_fn(struct ctl *c, void *arg)
{
	struct json_call *o = arg;

	o->out = json_array();
	return o->out ? ctl_neigh_walk(c, neigh_cb, o) : -ENOMEM;
}

void api_h_neighbors_get(struct api_req *r);
void
api_h_neighbors_get(struct api_req *r)
{
	struct json_call o = { 0 };

	answer_call(r, neigh_fn, &o, "neighbors");
}

/* ---- counters --------------------------------------------------------- */

static json_t *
vni_stats_json(const struct ctl_vni_stats *v)
{
	json_t *j = json_pack("{s:I}", "vni", (json_int_t)v->vni);

	for (unsigned k = 0; j && k < CTL_VNI_CTR_MAX; k++)
		json_object_set_new(j, ctl_vni_ctr_name(k), json_integer((json_int_t)v->c[k]));
	if (j) {
		json_object_set_new(j, "fdb_entries", json_integer(v->fdb_entries));
		json_object_set_new(j, "fdb_learned", json_integer(v->fdb_learned));
	}
	return j;
}

/* Pools and rings: [{name, <used>, size}]. */
static json_t *
fill_json(const struct ctl_fill *f, unsigned n, const char *used)
{
	json_t *a = json_array();

	for (unsigned i = 0; a && i < n; i++)
		json_array_append_new(a, json_pack("{s:s, s:I, s:I}", "name", f[i].name,
						   used, (json_int_t)f[i].used,
						   "size", (json_int_t)f[i].size));
	return a;
}

static int
stats_fn(struct ctl *c, void *arg)
{
	struct json_call *o = arg;
	json_t *ports, *vnis, *drops, *workers, *worker, *ctl, *neighbors, *pools, *rings, *fdb;
	struct ctl_stats s;
	int rc = ctl_stats_get(c, &s);

	if (rc < 0)
		return rc;
	ports = json_array();
	for (unsigned i = 0; i < s.n_ports; i++) {
		json_t *p = json_pack("{s:s}", "name", s.ports[i].name);

		port_ctr_set(p, &s.ports[i]);
		json_array_append_new(ports, p);
	}
	vnis = json_array();
	for (unsigned i = 0; i < s.n_vnis; i++)
		json_array_append_new(vnis, vni_stats_json(&s.vnis[i]));
	drops = json_object();
	/* From 1: VTEP_DROP_NONE is no reason, only the "not dropped" mark. */
	for (unsigned k = VTEP_DROP_NONE + 1; k < VTEP_DROP_MAX; k++)
		json_object_set_new(drops, vtep_drop_name(k), json_integer((json_int_t)s.drops[k]));
	workers = json_array();
	for (unsigned i = 0; i < s.n_workers; i++)
		json_array_append_new(workers, json_pack("{s:I, s:I, s:I, s:I, s:f}",
			"rx_packets", (json_int_t)s.workers[i].rx_packets,
			"drops", (json_int_t)s.workers[i].drops,
			"cycles_polled", (json_int_t)s.workers[i].cycles_polled,
			"cycles_busy", (json_int_t)s.workers[i].cycles_busy,
			"busy_ratio", s.workers[i].busy_ratio));
	neighbors = json_object();
	for (unsigned k = 0; k < NEIGH_STATE_MAX; k++)
		json_object_set_new(neighbors, neigh_state_name(k), json_integer(s.neighbors[k]));
	pools = fill_json(s.pools, s.n_pools, "in_use");
	rings = fill_json(s.rings, s.n_rings, "used");
	worker = json_object();
	for (unsigned k = 0; k < CTL_WORKER_CTR_MAX; k++)
		json_object_set_new(worker, ctl_worker_ctr_name(k),
				    json_integer((json_int_t)s.worker[k]));
	ctl = json_object();
	for (unsigned k = 0; k < CTL_CTR_MAX; k++)
		json_object_set_new(ctl, ctl_ctr_name(k), json_integer((json_int_t)s.ctl[k]));
	fdb = json_object();
	for (unsigned k = 0; k < FDB_STAT_MAX; k++)
		json_object_set_new(fdb, fdb_stat_name(k),
				    json_integer((json_int_t)fdb_stat_value(&s.fdb, k)));
	o->out = json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
		"now_s", (json_int_t)s.now, "ports", ports, "vnis", vnis, "drops", drops,
		"workers", workers, "worker", worker, "ctl", ctl, "neighbors", neighbors,
		"pools", pools, "rings", rings, "fdb", fdb);
	ctl_stats_release(&s);
	return o->out ? 0 : -ENOMEM;
}

void api_h_stats_get(struct api_req *r);
void
api_h_stats_get(struct api_req *r)
{
	struct json_call o = { 0 };

	answer_call(r, stats_fn, &o, NULL);
}

static int
vni_stats_fn(struct ctl *c, void *arg)
{
	struct json_call *o = arg;
	struct ctl_stats s;
	int rc = ctl_stats_get(c, &s);

	if (rc < 0)
		return rc;
	rc = -ENOENT;
	for (unsigned i = 0; i < s.n_vnis; i++) {
		if (s.vnis[i].vni == o->vni) {
			o->out = vni_stats_json(&s.vnis[i]);
			rc = o->out ? 0 : -ENOMEM;
			break;
		}
	}
	ctl_stats_release(&s);
	return rc;
}

void api_h_vni_stats_get(struct api_req *r);
void
api_h_vni_stats_get(struct api_req *r)
{
	struct json_call o = { 0 };

	if (vni_param(r, &o.vni) == 0)
		answer_call(r, vni_stats_fn, &o, NULL);
}

/* ---- the whole configuration ------------------------------------------ */

void api_h_config_get(struct api_req *r);
void
api_h_config_get(struct api_req *r)
{
	struct conf_node *root = running_tree(r);
	char *yaml;
	size_t len;

	if (root == NULL)
		return;
	if (r->want_yaml) {
		if (conf_emit_yaml(root, &yaml, &len) != 0) {
			api_error(r, 500, NULL, "out of memory");
		} else {
			api_reply(r, 200, NULL);
			r->text = yaml;
			r->text_len = len;
			r->text_type = "application/yaml";
		}
	} else {
		api_reply(r, 200, api_node_to_json(root));
		if (r->json == NULL)
			api_error(r, 500, NULL, "out of memory");
	}
	conf_node_free(root);
}

struct config_call {
	const struct conf *target;
	bool dry_run;
	char *diff;
	struct conf_err err;
};

static int
config_apply_fn(struct ctl *c, void *arg)
{
	struct config_call *o = arg;

	return ctl_config_apply(c, o->target, o->dry_run, &o->diff, &o->err);
}

/* "body:12: vnis[0].vni: reason" from conf_load_string() as an error body
 * with the field and the line. */
static void
yaml_error(struct api_req *r, const char *msg)
{
	const char *p = msg + strlen("body:");
	unsigned long line;
	const char *sep;
	char *end;

	if (strncmp(msg, "body:", 5) == 0) {
		line = strtoul(p, &end, 10);
		if (end != p && end[0] == ':' && end[1] == ' ') {
			p = end + 2;
			sep = strstr(p, ": ");
			if (sep && (size_t)(sep - p) < 160) {
				char field[160];

				memcpy(field, p, (size_t)(sep - p));
				field[sep - p] = '\0';
				api_reply(r, 400, api_error_body(sep + 2, field));
				json_object_set_new(r->json, "line", json_integer((json_int_t)line));
				return;
			}
		}
	}
	api_error(r, 400, NULL, "%s", msg);
}

void api_h_config_put(struct api_req *r);
void
api_h_config_put(struct api_req *r)
{
	struct config_call o = { 0 };
	const char *dry = api_query(r, "dry_run");
	struct conf *cf;
	json_t *diff;
	int rc;

	if (dry && strcmp(dry, "true") != 0 && strcmp(dry, "false") != 0) {
		api_error(r, 400, "dry_run", "%.40s: true or false expected", dry);
		return;
	}
	o.dry_run = dry && strcmp(dry, "true") == 0;
	if (r->ctype == API_CTYPE_YAML) {
		char msg[512];

		cf = conf_load_string(r->body ? r->body : "", r->body_len, "body", msg, sizeof(msg));
		if (cf == NULL) {
			yaml_error(r, msg);
			return;
		}
	} else {
		struct conf_node *root = body_tree(r);

		if (root == NULL)
			return;
		cf = validate(r, root, NULL);
		if (cf == NULL)
			return;
	}
	o.target = cf;
	rc = call(r, config_apply_fn, &o);
	conf_free(cf);
	if (rc < 0) {
		free(o.diff);
		if (rc != -ESHUTDOWN)
			api_conf_error(r, rc, &o.err, NULL);
		return;
	}
	diff = json_array();
	for (char *line = o.diff, *nl; line && *line; line = nl) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		else
			nl = line + strlen(line);
		json_array_append_new(diff, json_string(line));
	}
	free(o.diff);
	api_reply(r, 200, json_pack("{s:i, s:b, s:o}", "changes", rc, "dry_run", o.dry_run,
				    "diff", diff));
}

/* ---- a VNI's neighbours (ARP suppression) ----------------------------- */

static int
vni_neigh_cb(void *arg, const struct ctl_vni_neigh *n)
{
	struct json_call *o = arg;
	json_t *j = json_pack("{s:o, s:o, s:s, s:I}", "ip", ip_json(&n->ip),
			      "mac", mac_json(n->mac.addr_bytes),
			      "type", n->is_static ? "static" : "learned",
			      "age_s", (json_int_t)n->age);

	if (j == NULL)
		return -ENOMEM;
	return json_array_append_new(o->out, j) == 0 ? 0 : -ENOMEM;
}

static int
vni_neighbors_get_fn(struct ctl *c, void *arg)
{
	struct json_call *o = arg;

	if (conf_vni_find(ctl_conf(c), o->vni, NULL) == NULL)
		return -ENOENT;
	o->out = json_array();
	if (o->out == NULL)
		return -ENOMEM;
	return ctl_vni_neigh_walk(c, o->vni, vni_neigh_cb, o);
}

void api_h_vni_neighbors_get(struct api_req *r);
void
api_h_vni_neighbors_get(struct api_req *r)
{
	struct json_call o = { 0 };

	if (vni_param(r, &o.vni) != 0)
		return;
	answer_call(r, vni_neighbors_get_fn, &o, "neighbors");
}

struct vni_neigh_call {
	uint32_t vni;
	struct conf_neigh n;
	struct conf_err err;
};

static int
vni_neigh_add_fn(struct ctl *c, void *arg)
{
	struct vni_neigh_call *o = arg;

	return ctl_vni_neigh_add(c, o->vni, &o->n, &o->err);
}

/* The index of the neighbour of @list whose ip reads as @ip, or its size. */
static size_t
tree_neigh_index(const struct conf_node *list, const struct conf_node *ip)
{
	size_t i, n = list ? conf_node_size(list) : 0;
	struct vtep_ip want, have;
	const char *t = conf_node_text(ip);

	if (t == NULL || vtep_ip_parse(t, &want) != 0)
		return n;
	for (i = 0; i < n; i++) {
		const char *h = conf_node_text(conf_node_get(conf_node_item(list, i), "ip"));

		if (h && vtep_ip_parse(h, &have) == 0 && vtep_ip_eq(&have, &want))
			return i;
	}
	return n;
}

void api_h_vni_neighbors_post(struct api_req *r);
void
api_h_vni_neighbors_post(struct api_req *r)
{
	struct conf_node *body, *root, *vnis, *v, *list, *cand;
	struct vni_neigh_call o = { 0 };
	char prefix[64];
	struct conf *cf;
	size_t k, j, i;
	bool found;
	int rc;

	if (vni_param(r, &o.vni) != 0)
		return;
	body = body_tree(r);
	if (body == NULL)
		return;
	if (conf_node_kind(body) != CONF_NODE_MAP) {
		conf_node_free(body);
		api_error(r, 400, NULL,
			  "expected a mapping: {\"ip\": \"10.0.0.5\", \"mac\": \"02:00:00:00:00:05\"}");
		return;
	}
	for (i = 0; i < conf_node_size(body); i++) {
		const char *key = conf_node_key(body, i);

		if (strcmp(key, "ip") != 0 && strcmp(key, "mac") != 0) {
			api_error(r, 400, key, "unknown field");
			conf_node_free(body);
			return;
		}
	}
	if (conf_node_get(body, "ip") == NULL || conf_node_get(body, "mac") == NULL) {
		api_error(r, 400, conf_node_get(body, "ip") == NULL ? "ip" : "mac",
			  "required field is missing");
		conf_node_free(body);
		return;
	}
	root = running_scoped(r, TREE_VNI, o.vni);
	if (root == NULL) {
		conf_node_free(body);
		return;
	}
	vnis = conf_node_get(root, "vnis");
	k = tree_vni_index(vnis, o.vni, &found);
	if (!found) {
		conf_node_free(root);
		conf_node_free(body);
		api_error(r, 404, "vni", "no VNI %" PRIu32, o.vni);
		return;
	}
	v = conf_node_item(vnis, k);
	list = conf_node_get(v, "neighbors");
	/* The candidate: the VNI's neighbours with this one in the place of
	 * the same address, or appended. The rules read the body's fields
	 * in their own words; the writer then tells a new, an equal and a
	 * conflicting binding apart. */
	j = tree_neigh_index(list, conf_node_get(body, "ip"));
	list = seq_with(list, j, body);
	v = list ? map_with(v, "neighbors", list) : NULL;
	vnis = v ? seq_with(vnis, k, v) : NULL;
	cand = vnis ? map_with(root, "vnis", vnis) : NULL;
	snprintf(prefix, sizeof(prefix), "vnis[%zu].neighbors[%zu]", k, j);
	cf = validate(r, cand, prefix);
	conf_node_free(root);
	if (cf == NULL)
		return;
	if (k < cf->n_vnis && j < cf->vnis[k].n_neighbors)
		o.n = cf->vnis[k].neighbors[j];
	conf_free(cf);
	if (o.n.ip.family == 0) {
		api_error(r, 500, NULL, "the validated neighbor is not where it was put");
		return;
	}
	rc = call(r, vni_neigh_add_fn, &o);
	if (rc >= 0)
		api_reply(r, rc == 1 ? 201 : 200, json_pack("{s:o, s:o, s:s, s:I}",
			  "ip", ip_json(&o.n.ip), "mac", mac_json(o.n.mac), "type", "static",
			  "age_s", (json_int_t)0));
	else if (rc == -ENOENT)
		api_error(r, 404, "vni", "no VNI %" PRIu32, o.vni);
	else if (rc == -EEXIST)
		api_reply(r, 409, api_error_body(o.err.reason, o.err.field));
	else if (rc != -ESHUTDOWN)
		api_conf_error(r, rc, &o.err, NULL);
}

static int
vni_neigh_del_fn(struct ctl *c, void *arg)
{
	struct del_call *o = arg;

	return ctl_vni_neigh_del(c, o->vni, &o->ip, &o->err);
}

void api_h_vni_neighbor_delete(struct api_req *r);
void
api_h_vni_neighbor_delete(struct api_req *r)
{
	struct del_call o = { 0 };
	char what[API_PARAM_MAX + 32];

	if (vni_param(r, &o.vni) != 0)
		return;
	if (vtep_ip_parse(r->m.params[1], &o.ip) != 0 || o.ip.family != AF_INET) {
		api_error(r, 400, "ip", "%.40s is not an IPv4 address", r->m.params[1]);
		return;
	}
	snprintf(what, sizeof(what), "neighbor %s in VNI %" PRIu32, r->m.params[1], o.vni);
	answer_delete(r, vni_neigh_del_fn, &o, what, "ip");
}
