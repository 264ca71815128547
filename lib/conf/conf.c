/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The model: freeing, copying and comparing configurations, the model back
 * to a document (what conf_write() prints and the API returns), and the
 * merge of a state file over the YAML file.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_private.h"

void
conf_free(struct conf *c)
{
	unsigned i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n_eal_args; i++)
		free(c->eal_args[i]);
	free(c->underlay.neighbors);
	for (i = 0; i < c->n_vnis; i++) {
		free(c->vnis[i].access);
		free(c->vnis[i].remotes);
		free(c->vnis[i].neighbors);
	}
	free(c->vnis);
	free(c->fdb);
	free(c->state_file);
	free(c->path);
	free(c);
}

int
conf_port_find(const struct conf *c, const char *name)
{
	unsigned i;

	if (c == NULL || name == NULL)
		return -1;
	for (i = 0; i < c->n_ports; i++)
		if (strcmp(c->ports[i].name, name) == 0)
			return (int)i;
	return -1;
}

void
conf_api_defaults(struct conf_api *api)
{
	memset(api, 0, sizeof(*api));
	snprintf(api->listen_host, sizeof(api->listen_host), "%s", CONF_DEF_API_HOST);
	api->listen_port = CONF_DEF_API_PORT;
	api->max_connections = CONF_DEF_API_MAX_CONN;
	api->idle_timeout = CONF_DEF_API_IDLE;
	api->body_limit = CONF_DEF_API_BODY;
}

/*
 * Building a document: every helper adds to @parent and returns it, or
 * NULL once anything failed, so that a section reads as one chain and
 * checks for failure once.
 */
struct build {
	bool failed;
};

static struct conf_node *
add(struct build *b, struct conf_node *parent, const char *key, struct conf_node *v)
{
	int rc;

	if (b->failed || parent == NULL || v == NULL) {
		conf_node_free(v);
		b->failed = true;
		return NULL;
	}
	rc = key != NULL ? conf_node_map_add(parent, key, v) : conf_node_seq_add(parent, v);
	if (rc < 0) {
		b->failed = true;
		return NULL;
	}
	return v;
}

static void
add_str(struct build *b, struct conf_node *m, const char *key, const char *s)
{
	add(b, m, key, conf_node_scalar(s, strlen(s), CONF_SCALAR_STRING, 0));
}

/* Numbers and MACs by hand: a document of 100 000 static entries formats
 * 300 000 of them, and printf's machinery was most of that time. */
static void
add_num(struct build *b, struct conf_node *m, const char *key, uint64_t x)
{
	char s[24];
	size_t i = sizeof(s);

	do
		s[--i] = (char)('0' + x % 10);
	while ((x /= 10) != 0);
	add(b, m, key, conf_node_scalar(s + i, sizeof(s) - i, CONF_SCALAR_NUMBER, 0));
}

static void
add_bool(struct build *b, struct conf_node *m, const char *key, bool x)
{
	add(b, m, key, conf_node_scalar(x ? "true" : "false", x ? 4 : 5, CONF_SCALAR_BOOL, 0));
}

static void
add_mac(struct build *b, struct conf_node *m, const char *key, const uint8_t mac[6])
{
	static const char hex[] = "0123456789abcdef";
	char s[18];
	unsigned i;

	for (i = 0; i < 6; i++) {
		s[i * 3] = hex[mac[i] >> 4];
		s[i * 3 + 1] = hex[mac[i] & 15];
		s[i * 3 + 2] = i < 5 ? ':' : '\0';
	}
	add_str(b, m, key, s);
}

static void
add_ip(struct build *b, struct conf_node *m, const char *key, const struct vtep_ip *ip)
{
	char s[INET6_ADDRSTRLEN];

	if (inet_ntop(ip->family == AF_INET6 ? AF_INET6 : AF_INET,
		      ip->family == AF_INET6 ? (const void *)ip->v6 : (const void *)&ip->v4,
		      s, sizeof(s)) == NULL)
		s[0] = '\0';
	add_str(b, m, key, s);
}

static void
add_vlan(struct build *b, struct conf_node *m, uint16_t vlan)
{
	if (vlan != CONF_VLAN_UNTAGGED)
		add_num(b, m, "vlan", vlan);
}

static struct conf_node *
add_map(struct build *b, struct conf_node *parent, const char *key)
{
	return add(b, parent, key, conf_node_map(0));
}

static struct conf_node *
add_seq(struct build *b, struct conf_node *parent, const char *key)
{
	return add(b, parent, key, conf_node_seq(0));
}

static void
ports_to_node(struct build *b, struct conf_node *root, const struct conf *c)
{
	struct conf_node *seq = add_seq(b, root, "ports");
	unsigned i;

	for (i = 0; i < c->n_ports && !b->failed; i++) {
		const struct conf_port *p = &c->ports[i];
		struct conf_node *m = add_map(b, seq, NULL);

		add_str(b, m, "name", p->name);
		add_str(b, m, "devargs", p->devargs);
		add_str(b, m, "role", p->role == CONF_ROLE_UNDERLAY ? "underlay" : "access");
		if (p->rx_queues != CONF_DEF_RX_QUEUES)
			add_num(b, m, "rx_queues", p->rx_queues);
		if (p->rx_desc != CONF_DEF_DESC)
			add_num(b, m, "rx_desc", p->rx_desc);
		if (p->tx_desc != CONF_DEF_DESC)
			add_num(b, m, "tx_desc", p->tx_desc);
		if (p->has_mac)
			add_mac(b, m, "mac", p->mac);
	}
}

static void
underlay_to_node(struct build *b, struct conf_node *root, const struct conf_underlay *u)
{
	struct conf_node *m = add_map(b, root, "underlay"), *seq;
	char s[INET6_ADDRSTRLEN + 8], a[INET6_ADDRSTRLEN];
	unsigned i;

	add_str(b, m, "port", u->port);
	if (inet_ntop(AF_INET, &u->address.v4, a, sizeof(a)) == NULL)
		a[0] = '\0';
	snprintf(s, sizeof(s), "%s/%u", a, u->prefix_len);
	add_str(b, m, "address", s);
	if (u->gateway.family != 0)
		add_ip(b, m, "gateway", &u->gateway);
	if (u->udp_port != CONF_DEF_UDP_PORT)
		add_num(b, m, "udp_port", u->udp_port);
	if (u->sport_min != CONF_DEF_SPORT_MIN || u->sport_max != CONF_DEF_SPORT_MAX) {
		snprintf(s, sizeof(s), "%u-%u", u->sport_min, u->sport_max);
		add_str(b, m, "source_ports", s);
	}
	if (u->ttl_inherit)
		add_str(b, m, "ttl", "inherit");
	else if (u->ttl != CONF_DEF_TTL)
		add_num(b, m, "ttl", u->ttl);
	if (u->mcast_ttl != CONF_DEF_MCAST_TTL)
		add_num(b, m, "mcast_ttl", u->mcast_ttl);
	if (u->tos_inherit)
		add_str(b, m, "tos", "inherit");
	else if (u->tos != CONF_DEF_TOS)
		add_num(b, m, "tos", u->tos);
	if (u->ecn != CONF_ECN_RFC6040)
		add_str(b, m, "ecn", "off");
	if (!u->df)
		add_bool(b, m, "df", false);
	if (u->mtu != CONF_DEF_MTU)
		add_num(b, m, "mtu", u->mtu);
	if (u->n_neighbors == 0)
		return;
	seq = add_seq(b, m, "neighbors");
	for (i = 0; i < u->n_neighbors && !b->failed; i++) {
		struct conf_node *nm = add_map(b, seq, NULL);

		add_ip(b, nm, "ip", &u->neighbors[i].ip);
		add_mac(b, nm, "mac", u->neighbors[i].mac);
	}
}

static void
vnis_to_node(struct build *b, struct conf_node *root, const struct conf *c)
{
	struct conf_node *seq = add_seq(b, root, "vnis");
	unsigned i, j;

	for (i = 0; i < c->n_vnis && !b->failed; i++) {
		const struct conf_vni *v = &c->vnis[i];
		struct conf_node *m = add_map(b, seq, NULL), *list;

		add_num(b, m, "vni", v->vni);
		list = add_seq(b, m, "access");
		for (j = 0; j < v->n_access && !b->failed; j++) {
			struct conf_node *am = add_map(b, list, NULL);

			add_str(b, am, "port", v->access[j].port);
			add_vlan(b, am, v->access[j].vlan);
		}
		if (v->flood_mode == CONF_FLOOD_MULTICAST) {
			add_str(b, m, "flood", "multicast");
			add_ip(b, m, "group", &v->group);
		} else if (v->flood_mode == CONF_FLOOD_SERVICE_NODE) {
			add_str(b, m, "flood", "service-node");
			add_ip(b, m, "service_node", &v->service_node);
		} else if (v->n_remotes > 0) {
			list = add_seq(b, m, "remotes");
			for (j = 0; j < v->n_remotes && !b->failed; j++)
				add_ip(b, list, NULL, &v->remotes[j]);
		}
		if (!v->learning)
			add_bool(b, m, "learning", false);
		if (v->mac_limit != 0)
			add_num(b, m, "mac_limit", v->mac_limit);
		if (v->ageing != CONF_DEF_AGEING)
			add_num(b, m, "ageing", v->ageing);
		if (v->inner_vlan_accept)
			add_str(b, m, "inner_vlan", "accept");
		if (v->bum_limit_pps != 0)
			add_num(b, m, "bum_limit_pps", v->bum_limit_pps);
		if (v->replicator)
			add_bool(b, m, "replicator", true);
		if (v->arp_suppress)
			add_bool(b, m, "arp_suppress", true);
		if (v->n_neighbors > 0) {
			list = add_seq(b, m, "neighbors");
			for (j = 0; j < v->n_neighbors && !b->failed; j++) {
				struct conf_node *nm = add_map(b, list, NULL);

				add_ip(b, nm, "ip", &v->neighbors[j].ip);
				add_mac(b, nm, "mac", v->neighbors[j].mac);
			}
		}
	}
}

static void
fdb_to_node(struct build *b, struct conf_node *root, const struct conf *c)
{
	struct conf_node *seq;
	unsigned i;

	if (c->n_fdb == 0)
		return;
	seq = add_seq(b, root, "fdb");
	for (i = 0; i < c->n_fdb && !b->failed; i++) {
		const struct conf_fdb *e = &c->fdb[i];
		struct conf_node *m = add_map(b, seq, NULL);

		add_num(b, m, "vni", e->vni);
		add_mac(b, m, "mac", e->mac);
		if (e->is_remote) {
			add_ip(b, m, "remote", &e->remote);
		} else {
			add_str(b, m, "port", e->local.port);
			add_vlan(b, m, e->local.vlan);
		}
	}
}

static void
api_to_node(struct build *b, struct conf_node *root, const struct conf_api *api)
{
	struct conf_node *m;
	char s[sizeof(api->listen_host) + 16];

	if (!api->enabled)
		return;
	m = add_map(b, root, "api");
	if (strcmp(api->listen_host, CONF_DEF_API_HOST) != 0 ||
	    api->listen_port != CONF_DEF_API_PORT) {
		snprintf(s, sizeof(s), strchr(api->listen_host, ':') != NULL ? "[%s]:%u" : "%s:%u",
			 api->listen_host, api->listen_port);
		add_str(b, m, "listen", s);
	}
	if (api->has_token_file)
		add_str(b, m, "token_file", api->token_file);
	if (api->max_connections != CONF_DEF_API_MAX_CONN)
		add_num(b, m, "max_connections", api->max_connections);
	if (api->idle_timeout != CONF_DEF_API_IDLE)
		add_num(b, m, "idle_timeout", api->idle_timeout);
	if (api->body_limit != CONF_DEF_API_BODY)
		add_num(b, m, "body_limit", api->body_limit);
}

struct conf_node *
conf_to_node(const struct conf *c)
{
	struct build b = { 0 };
	struct conf_node *root;
	unsigned i;

	if (c == NULL) {
		errno = EINVAL;
		return NULL;
	}
	root = conf_node_map(0);
	if (root == NULL)
		return NULL;
	if (c->n_eal_args > 0) {
		struct conf_node *seq = add_seq(&b, root, "eal");

		for (i = 0; i < c->n_eal_args; i++)
			add_str(&b, seq, NULL, c->eal_args[i]);
	}
	ports_to_node(&b, root, c);
	underlay_to_node(&b, root, &c->underlay);
	vnis_to_node(&b, root, c);
	fdb_to_node(&b, root, c);
	if (c->fdb_capacity != CONF_DEF_FDB_CAPACITY)
		add_num(&b, root, "fdb_capacity", c->fdb_capacity);
	if (c->stats_interval != 0)
		add_num(&b, root, "stats_interval", c->stats_interval);
	if (c->state_file != NULL)
		add_str(&b, root, "state_file", c->state_file);
	api_to_node(&b, root, &c->api);
	if (b.failed) {
		conf_node_free(root);
		errno = ENOMEM;
		return NULL;
	}
	return root;
}

static void *
dup_array(const void *src, size_t n, size_t size, bool *failed)
{
	void *p;

	if (n == 0 || src == NULL)
		return NULL;
	p = malloc(n * size);
	if (p == NULL) {
		*failed = true;
		return NULL;
	}
	memcpy(p, src, n * size);
	return p;
}

struct conf *
conf_dup(const struct conf *c)
{
	struct conf *d;
	bool failed = false;
	unsigned i;

	if (c == NULL) {
		errno = EINVAL;
		return NULL;
	}
	d = malloc(sizeof(*d));
	if (d == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	*d = *c;
	/* Nothing is shared: clear what conf_free() would release twice. */
	d->path = NULL;
	d->n_eal_args = 0;
	d->underlay.neighbors = NULL;
	d->vnis = NULL;
	d->n_vnis = 0;
	d->fdb = NULL;
	d->state_file = NULL;
	for (i = 0; i < c->n_eal_args && !failed; i++) {
		d->eal_args[i] = strdup(c->eal_args[i]);
		failed = d->eal_args[i] == NULL;
		d->n_eal_args += !failed;
	}
	if (c->path != NULL && (d->path = strdup(c->path)) == NULL)
		failed = true;
	if (c->state_file != NULL && (d->state_file = strdup(c->state_file)) == NULL)
		failed = true;
	d->underlay.neighbors = dup_array(c->underlay.neighbors, c->underlay.n_neighbors,
					  sizeof(*c->underlay.neighbors), &failed);
	d->fdb = dup_array(c->fdb, c->n_fdb, sizeof(*c->fdb), &failed);
	if (c->n_vnis > 0) {
		d->vnis = calloc(c->n_vnis, sizeof(*d->vnis));
		failed |= d->vnis == NULL;
	}
	for (i = 0; i < c->n_vnis && d->vnis != NULL; i++) {
		struct conf_vni *v = &d->vnis[i];

		*v = c->vnis[i];
		v->access = dup_array(c->vnis[i].access, v->n_access, sizeof(*v->access), &failed);
		v->remotes = dup_array(c->vnis[i].remotes, v->n_remotes, sizeof(*v->remotes),
				       &failed);
		v->neighbors = dup_array(c->vnis[i].neighbors, v->n_neighbors,
					 sizeof(*v->neighbors), &failed);
		d->n_vnis++;
	}
	if (failed) {
		conf_free(d);
		errno = ENOMEM;
		return NULL;
	}
	return d;
}

static bool
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool
ip_eq(const struct vtep_ip *a, const struct vtep_ip *b)
{
	return (a->family == 0 && b->family == 0) || vtep_ip_eq(a, b);
}

static bool
port_eq(const struct conf_port *a, const struct conf_port *b)
{
	return strcmp(a->name, b->name) == 0 && strcmp(a->devargs, b->devargs) == 0 &&
		a->role == b->role && a->rx_queues == b->rx_queues && a->rx_desc == b->rx_desc &&
		a->tx_desc == b->tx_desc && a->has_mac == b->has_mac &&
		(!a->has_mac || memcmp(a->mac, b->mac, 6) == 0);
}

/* The fields a state file may change. */
static bool
underlay_live_eq(const struct conf_underlay *a, const struct conf_underlay *b)
{
	return a->sport_min == b->sport_min && a->sport_max == b->sport_max &&
		a->ttl_inherit == b->ttl_inherit && (a->ttl_inherit || a->ttl == b->ttl) &&
		a->tos_inherit == b->tos_inherit && (a->tos_inherit || a->tos == b->tos) &&
		a->ecn == b->ecn && a->df == b->df && a->mtu == b->mtu;
}

static bool
underlay_eq(const struct conf_underlay *a, const struct conf_underlay *b)
{
	unsigned i;

	if (strcmp(a->port, b->port) != 0 || !ip_eq(&a->address, &b->address) ||
	    a->prefix_len != b->prefix_len || !ip_eq(&a->gateway, &b->gateway) ||
	    a->udp_port != b->udp_port || a->mcast_ttl != b->mcast_ttl ||
	    !underlay_live_eq(a, b) ||
	    a->n_neighbors != b->n_neighbors)
		return false;
	for (i = 0; i < a->n_neighbors; i++)
		if (!ip_eq(&a->neighbors[i].ip, &b->neighbors[i].ip) ||
		    memcmp(a->neighbors[i].mac, b->neighbors[i].mac, 6) != 0)
			return false;
	return true;
}

static bool
vni_eq(const struct conf_vni *a, const struct conf_vni *b)
{
	unsigned i;

	if (a->vni != b->vni || a->n_access != b->n_access || a->flood_mode != b->flood_mode ||
	    a->n_remotes != b->n_remotes || a->learning != b->learning ||
	    a->mac_limit != b->mac_limit || a->ageing != b->ageing ||
	    a->inner_vlan_accept != b->inner_vlan_accept || a->bum_limit_pps != b->bum_limit_pps ||
	    a->replicator != b->replicator || a->arp_suppress != b->arp_suppress ||
	    a->n_neighbors != b->n_neighbors)
		return false;
	for (i = 0; i < a->n_neighbors; i++)
		if (!ip_eq(&a->neighbors[i].ip, &b->neighbors[i].ip) ||
		    memcmp(a->neighbors[i].mac, b->neighbors[i].mac, 6) != 0)
			return false;
	if (a->flood_mode == CONF_FLOOD_MULTICAST && !ip_eq(&a->group, &b->group))
		return false;
	if (a->flood_mode == CONF_FLOOD_SERVICE_NODE && !ip_eq(&a->service_node, &b->service_node))
		return false;
	for (i = 0; i < a->n_access; i++)
		if (strcmp(a->access[i].port, b->access[i].port) != 0 ||
		    a->access[i].vlan != b->access[i].vlan)
			return false;
	for (i = 0; i < a->n_remotes; i++)
		if (!ip_eq(&a->remotes[i], &b->remotes[i]))
			return false;
	return true;
}

static bool
fdb_eq(const struct conf_fdb *a, const struct conf_fdb *b)
{
	if (a->vni != b->vni || memcmp(a->mac, b->mac, 6) != 0 || a->is_remote != b->is_remote)
		return false;
	if (a->is_remote)
		return ip_eq(&a->remote, &b->remote);
	return strcmp(a->local.port, b->local.port) == 0 && a->local.vlan == b->local.vlan;
}

static bool
api_eq(const struct conf_api *a, const struct conf_api *b)
{
	if (a->enabled != b->enabled)
		return false;
	if (!a->enabled)
		return true;
	return strcmp(a->listen_host, b->listen_host) == 0 && a->listen_port == b->listen_port &&
		a->has_token_file == b->has_token_file &&
		(!a->has_token_file || strcmp(a->token_file, b->token_file) == 0) &&
		a->max_connections == b->max_connections && a->idle_timeout == b->idle_timeout &&
		a->body_limit == b->body_limit;
}

bool
conf_equal(const struct conf *a, const struct conf *b)
{
	unsigned i;

	if (a == NULL || b == NULL)
		return a == b;
	if (a->n_eal_args != b->n_eal_args || a->n_ports != b->n_ports ||
	    a->n_vnis != b->n_vnis || a->n_fdb != b->n_fdb ||
	    a->fdb_capacity != b->fdb_capacity || a->stats_interval != b->stats_interval ||
	    !str_eq(a->state_file, b->state_file) || !api_eq(&a->api, &b->api) ||
	    !underlay_eq(&a->underlay, &b->underlay))
		return false;
	for (i = 0; i < a->n_eal_args; i++)
		if (strcmp(a->eal_args[i], b->eal_args[i]) != 0)
			return false;
	for (i = 0; i < a->n_ports; i++)
		if (!port_eq(&a->ports[i], &b->ports[i]))
			return false;
	for (i = 0; i < a->n_vnis; i++)
		if (!vni_eq(&a->vnis[i], &b->vnis[i]))
			return false;
	for (i = 0; i < a->n_fdb; i++)
		if (!fdb_eq(&a->fdb[i], &b->fdb[i]))
			return false;
	return true;
}

struct conf *
conf_merge_state(const struct conf *base, const struct conf *state, struct conf_err *err)
{
	const struct conf_underlay *su;
	struct conf_underlay *u;
	struct conf_node *doc;
	struct conf *m, *out;
	int saved;

	if (err != NULL)
		memset(err, 0, sizeof(*err));
	if (base == NULL || state == NULL) {
		if (err != NULL)
			snprintf(err->reason, sizeof(err->reason), "no configuration to merge");
		errno = EINVAL;
		return NULL;
	}
	m = conf_dup(base);
	if (m == NULL)
		goto oom;
	/* Swap in the state's segments and table; base's own are freed with m. */
	for (unsigned i = 0; i < m->n_vnis; i++) {
		free(m->vnis[i].access);
		free(m->vnis[i].remotes);
		free(m->vnis[i].neighbors);
	}
	free(m->vnis);
	free(m->fdb);
	m->vnis = NULL;
	m->n_vnis = 0;
	m->fdb = NULL;
	m->n_fdb = 0;
	su = &state->underlay;
	u = &m->underlay;
	u->ttl = su->ttl;
	u->ttl_inherit = su->ttl_inherit;
	u->tos = su->tos;
	u->tos_inherit = su->tos_inherit;
	u->df = su->df;
	u->ecn = su->ecn;
	u->sport_min = su->sport_min;
	u->sport_max = su->sport_max;
	u->mtu = su->mtu;
	/* Borrowed for conf_to_node() only: never freed through m. */
	m->vnis = state->vnis;
	m->n_vnis = state->n_vnis;
	m->fdb = state->fdb;
	m->n_fdb = state->n_fdb;
	doc = conf_to_node(m);
	m->vnis = NULL;
	m->n_vnis = 0;
	m->fdb = NULL;
	m->n_fdb = 0;
	if (doc == NULL) {
		conf_free(m);
		goto oom;
	}
	/* The whole result through the rules: a state written for another
	 * file (a VNI on a port that is gone) is refused here, by field. */
	out = conf_from_node(doc, err);
	saved = errno;
	conf_node_free(doc);
	if (out != NULL) {
		out->path = m->path;
		m->path = NULL;
	}
	conf_free(m);
	errno = saved;
	return out;
oom:
	if (err != NULL)
		snprintf(err->reason, sizeof(err->reason), "out of memory");
	errno = ENOMEM;
	return NULL;
}
