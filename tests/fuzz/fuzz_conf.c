/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the YAML loader, conf_load_string(), on arbitrary text.
 *
 * A refusal must come with a one-line, NUL-terminated, non-empty message
 * naming the document; an acceptance must hold only what docs/CONFIG.md
 * allows, since the rest of vtepd trusts the model without checking again.
 * conf_free() on success; LeakSanitizer sees every allocation.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include "conf.h"
#include "fuzz_eal.h"

#define NAME "fuzz.yaml"
#define ERRLEN 512

static bool
terminated(const char *s, size_t max)
{
	return memchr(s, '\0', max) != NULL;
}

static bool
mac_unicast(const uint8_t *m)
{
	static const uint8_t zero[6];

	return !(m[0] & 1) && memcmp(m, zero, 6) != 0;
}

static bool
ip4_unicast(const struct vtep_ip *ip)
{
	uint32_t a = rte_be_to_cpu_32(ip->v4);

	return ip->family == AF_INET && (a >> 24) != 0 && (a >> 24) != 127 && (a >> 28) < 14;
}

static bool
in_prefix(const struct conf_underlay *u, const struct vtep_ip *ip)
{
	uint32_t mask = u->prefix_len ? ~0u << (32 - u->prefix_len) : 0;

	return ((rte_be_to_cpu_32(ip->v4) ^ rte_be_to_cpu_32(u->address.v4)) & mask) == 0;
}

static bool
vlan_ok(uint16_t vlan)
{
	return vlan == CONF_VLAN_UNTAGGED || (vlan >= 1 && vlan <= 4094);
}

static int
access_port(const struct conf *c, const char *name)
{
	int pi = conf_port_find(c, name);

	FUZZ_CHECK(pi >= 0, "access port \"%.*s\" not in ports", CONF_NAME_MAX, name);
	FUZZ_CHECK(c->ports[pi].role == CONF_ROLE_ACCESS, "port %d is not an access port", pi);
	return pi;
}

/* What docs/CONFIG.md promises of an accepted document. */
static void
check_model(const struct conf *c)
{
	const struct conf_underlay *u = &c->underlay;
	unsigned i, j, k, underlays = 0, access = 0;
	int pi;

	FUZZ_CHECK(c->path != NULL && strcmp(c->path, NAME) == 0, "path");
	FUZZ_CHECK(c->n_eal_args <= CONF_MAX_EAL_ARGS, "%u EAL arguments", c->n_eal_args);
	for (i = 0; i < c->n_eal_args; i++)
		FUZZ_CHECK(c->eal_args[i] != NULL && c->eal_args[i][0] != '\0', "eal[%u]", i);

	FUZZ_CHECK(c->n_ports >= 1 && c->n_ports <= CONF_MAX_PORTS, "%u ports", c->n_ports);
	for (i = 0; i < c->n_ports; i++) {
		const struct conf_port *p = &c->ports[i];

		FUZZ_CHECK(terminated(p->name, sizeof(p->name)) && p->name[0] != '\0',
			   "ports[%u].name", i);
		FUZZ_CHECK(terminated(p->devargs, sizeof(p->devargs)) && p->devargs[0] != '\0',
			   "ports[%u].devargs", i);
		FUZZ_CHECK(conf_port_find(c, p->name) == (int)i, "ports[%u].name not unique", i);
		for (j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(c->ports[j].devargs, p->devargs) != 0,
				   "ports[%u].devargs not unique", i);
		FUZZ_CHECK(p->rx_queues >= 1 && p->rx_queues <= 64, "ports[%u].rx_queues %u", i,
			   p->rx_queues);
		FUZZ_CHECK(p->rx_desc >= 64 && p->rx_desc <= 16384 &&
			   (p->rx_desc & (p->rx_desc - 1)) == 0, "ports[%u].rx_desc %u", i, p->rx_desc);
		FUZZ_CHECK(p->tx_desc >= 64 && p->tx_desc <= 16384 &&
			   (p->tx_desc & (p->tx_desc - 1)) == 0, "ports[%u].tx_desc %u", i, p->tx_desc);
		if (p->role == CONF_ROLE_UNDERLAY)
			underlays++;
		else
			FUZZ_CHECK(p->role == CONF_ROLE_ACCESS, "ports[%u].role %d", i, p->role);
		access += p->role == CONF_ROLE_ACCESS;
		FUZZ_CHECK(!p->has_mac || mac_unicast(p->mac), "ports[%u].mac", i);
	}
	FUZZ_CHECK(underlays == 1 && access >= 1, "%u underlay and %u access ports",
		   underlays, access);

	pi = conf_port_find(c, u->port);
	FUZZ_CHECK(pi >= 0 && c->ports[pi].role == CONF_ROLE_UNDERLAY, "underlay.port");
	FUZZ_CHECK(ip4_unicast(&u->address), "underlay.address");
	FUZZ_CHECK(u->prefix_len >= 1 && u->prefix_len <= 32, "prefix_len %u", u->prefix_len);
	if (u->prefix_len < 31) {
		uint32_t host = rte_be_to_cpu_32(u->address.v4) & (~0u >> u->prefix_len);

		FUZZ_CHECK(host != 0 && host != ~0u >> u->prefix_len,
			   "underlay.address is its prefix's network or broadcast address");
	}
	FUZZ_CHECK(u->gateway.family == 0 ||
		   (ip4_unicast(&u->gateway) && in_prefix(u, &u->gateway) &&
		    u->gateway.v4 != u->address.v4),
		   "underlay.gateway");
	FUZZ_CHECK(u->udp_port != 0, "udp_port 0");
	FUZZ_CHECK(u->sport_min >= 1 && u->sport_min <= u->sport_max, "source_ports %u-%u",
		   u->sport_min, u->sport_max);
	FUZZ_CHECK(u->ttl >= 1 || u->ttl_inherit, "ttl 0");
	FUZZ_CHECK(u->tos_inherit || (u->tos <= 252 && (u->tos & 3) == 0), "tos %u", u->tos);
	FUZZ_CHECK(u->ecn == CONF_ECN_RFC6040 || u->ecn == CONF_ECN_OFF, "ecn %d", u->ecn);
	FUZZ_CHECK(u->mtu >= 576 && u->mtu <= 9216, "mtu %u", u->mtu);
	FUZZ_CHECK(u->n_neighbors == 0 || u->neighbors != NULL, "neighbors");
	for (i = 0; i < u->n_neighbors; i++) {
		FUZZ_CHECK(ip4_unicast(&u->neighbors[i].ip) && in_prefix(u, &u->neighbors[i].ip) &&
			   u->neighbors[i].ip.v4 != u->address.v4, "neighbors[%u].ip", i);
		FUZZ_CHECK(mac_unicast(u->neighbors[i].mac), "neighbors[%u].mac", i);
		for (j = 0; j < i; j++)
			FUZZ_CHECK(u->neighbors[j].ip.v4 != u->neighbors[i].ip.v4,
				   "neighbors[%u] duplicate", i);
	}

	/* No VNI is valid: they may all come over the REST API. */
	FUZZ_CHECK(c->n_vnis == 0 || c->vnis != NULL, "%u VNIs without a list", c->n_vnis);
	for (i = 0; i < c->n_vnis; i++) {
		const struct conf_vni *v = &c->vnis[i];

		FUZZ_CHECK(v->vni >= 1 && v->vni <= 0xffffff, "vnis[%u].vni %u", i, v->vni);
		for (j = 0; j < i; j++)
			FUZZ_CHECK(c->vnis[j].vni != v->vni, "vnis[%u].vni duplicate", i);
		FUZZ_CHECK(v->n_access >= 1 && v->access != NULL, "vnis[%u] has no binding", i);
		for (j = 0; j < v->n_access; j++) {
			const struct conf_access *a = &v->access[j];
			unsigned i2, j2;

			FUZZ_CHECK(terminated(a->port, sizeof(a->port)), "vnis[%u].access[%u]", i, j);
			access_port(c, a->port);
			FUZZ_CHECK(vlan_ok(a->vlan), "vnis[%u].access[%u].vlan %u", i, j, a->vlan);
			/* A (port, vlan) pair belongs to one VNI over the whole file. */
			for (i2 = 0; i2 <= i; i2++)
				for (j2 = 0; j2 < (i2 == i ? j : c->vnis[i2].n_access); j2++)
					FUZZ_CHECK(c->vnis[i2].access[j2].vlan != a->vlan ||
						   strcmp(c->vnis[i2].access[j2].port, a->port) != 0,
						   "vnis[%u].access[%u] bound twice", i, j);
		}
		if (v->flood_mode == CONF_FLOOD_MULTICAST) {
			uint32_t g = rte_be_to_cpu_32(v->group.v4);

			FUZZ_CHECK(v->group.family == AF_INET && (g >> 28) == 14,
				   "vnis[%u].group", i);
			FUZZ_CHECK(v->n_remotes == 0, "vnis[%u]: remotes with multicast", i);
		} else if (v->flood_mode == CONF_FLOOD_SERVICE_NODE) {
			FUZZ_CHECK(ip4_unicast(&v->service_node) &&
				   v->service_node.v4 != u->address.v4, "vnis[%u].service_node", i);
			FUZZ_CHECK(v->n_remotes == 0 && !v->replicator,
				   "vnis[%u]: remotes or replicator with service-node", i);
		} else {
			FUZZ_CHECK(v->flood_mode == CONF_FLOOD_HEAD_END, "vnis[%u].flood %d", i,
				   v->flood_mode);
		}
		FUZZ_CHECK(v->n_remotes == 0 || v->remotes != NULL, "vnis[%u].remotes", i);
		for (j = 0; j < v->n_remotes; j++) {
			FUZZ_CHECK(ip4_unicast(&v->remotes[j]) &&
				   v->remotes[j].v4 != u->address.v4, "vnis[%u].remotes[%u]", i, j);
			for (k = 0; k < j; k++)
				FUZZ_CHECK(v->remotes[k].v4 != v->remotes[j].v4,
					   "vnis[%u].remotes[%u] duplicate", i, j);
		}
	}

	FUZZ_CHECK(c->fdb_capacity >= 1024 && c->fdb_capacity <= 16777216, "fdb_capacity %u",
		   c->fdb_capacity);
	FUZZ_CHECK(c->n_fdb <= c->fdb_capacity, "%u static entries", c->n_fdb);
	FUZZ_CHECK(c->n_fdb == 0 || c->fdb != NULL, "fdb");
	for (i = 0; i < c->n_fdb; i++) {
		const struct conf_fdb *e = &c->fdb[i];
		const struct conf_vni *v = NULL;

		for (j = 0; j < c->n_vnis; j++)
			if (c->vnis[j].vni == e->vni)
				v = &c->vnis[j];
		FUZZ_CHECK(v != NULL, "fdb[%u].vni %u not configured", i, e->vni);
		FUZZ_CHECK(mac_unicast(e->mac), "fdb[%u].mac", i);
		for (j = 0; j < i; j++)
			FUZZ_CHECK(c->fdb[j].vni != e->vni || memcmp(c->fdb[j].mac, e->mac, 6) != 0,
				   "fdb[%u] duplicate", i);
		if (e->is_remote) {
			FUZZ_CHECK(ip4_unicast(&e->remote) && e->remote.v4 != u->address.v4,
				   "fdb[%u].remote", i);
		} else {
			bool bound = false;

			access_port(c, e->local.port);
			for (j = 0; j < v->n_access; j++)
				bound |= v->access[j].vlan == e->local.vlan &&
					 strcmp(v->access[j].port, e->local.port) == 0;
			FUZZ_CHECK(bound, "fdb[%u]: not a binding of vni %u", i, e->vni);
		}
	}
	FUZZ_CHECK(c->state_file == NULL || c->state_file[0] != '\0', "state_file");
}

/* One line of printable ASCII: the API puts it in JSON as is. */
static void
check_message(const char *err)
{
	size_t n;
	const char *p;

	FUZZ_CHECK(terminated(err, ERRLEN), "message not NUL-terminated");
	n = strlen(err);
	FUZZ_CHECK(n > 0, "refused without a message");
	FUZZ_CHECK(strncmp(err, NAME ":", strlen(NAME ":")) == 0,
		   "message does not start with the document's name: \"%s\"", err);
	for (p = err; *p != '\0'; p++)
		FUZZ_CHECK(*p >= 0x20 && *p < 0x7f, "byte %02x at %zu in \"%s\"",
			   (unsigned)(unsigned char)*p, (size_t)(p - err), err);
}

/* What is accepted is written back (the state file, GET /v1/config) as a
 * document that loads to the same model, and writes the same again. */
static void
round_trip(const struct conf *c)
{
	char err[512], *out = NULL, *again = NULL;
	size_t len = 0, len2 = 0;
	struct conf *back;

	FUZZ_CHECK(conf_write(c, &out, &len) == 0, "conf_write failed");
	back = conf_load_string(out, len, "written", err, sizeof(err));
	FUZZ_CHECK(back != NULL, "what conf_write wrote does not load: %s\n%.*s", err, (int)len,
		   out);
	FUZZ_CHECK(conf_equal(c, back), "what conf_write wrote loads to another model:\n%.*s",
		   (int)len, out);
	FUZZ_CHECK(conf_write(back, &again, &len2) == 0, "conf_write failed the second time");
	FUZZ_CHECK(len == len2 && memcmp(out, again, len) == 0, "writing twice differs");
	conf_free(back);
	free(out);
	free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Heap copies of exactly their size: a read past the document or a
	 * write past the message buffer is AddressSanitizer's to see. */
	char *yaml = malloc(size ? size : 1);
	char *err = malloc(ERRLEN);
	struct conf *c;

	memcpy(yaml, data, size);
	memset(err, 'x', ERRLEN);
	c = conf_load_string(yaml, size, NAME, err, ERRLEN);
	if (c != NULL) {
		check_model(c);
		round_trip(c);
		conf_free(c);
	} else {
		check_message(err);
	}
	FUZZ_CHECK(memcmp(yaml, data, size) == 0, "document modified");
	free(yaml);
	free(err);
	return 0;
}
