/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the configuration: the document tree, the rules over it
 * (from YAML and from typed, JSON-like trees), the YAML writer and the
 * state merge. No EAL: conf uses DPDK headers only.
 * The bad fixtures in tests/conf/bad carry their expected message in their
 * first lines, so adding a case is adding a file:
 *   # expect: LINE: FIELD: REASON            (the whole message after "FILE:")
 * or, where libyaml words it:
 *   # expect-prefix: LINE: yaml:
 *   # expect-reason: a substring of the reason
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "conf.h"

#define CONF_DIR TEST_DATA_DIR "/conf"
#define EXAMPLES_DIR TEST_DATA_DIR "/../config"

static char err[1024];

static struct conf *
must_load(const char *path)
{
	struct conf *c = conf_load(path, err, sizeof(err));

	if (c == NULL)
		fail_msg("%s: %s", path, err);
	return c;
}

static void
assert_ip(const struct vtep_ip *ip, const char *want)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, want, &a), 1);
	assert_int_equal(ip->family, AF_INET);
	assert_int_equal(ip->v4, a.s_addr);
}

static void
assert_mac(const uint8_t *mac, const char *want)
{
	char s[18];

	snprintf(s, sizeof(s), "%02x:%02x:%02x:%02x:%02x:%02x",
		 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	assert_string_equal(s, want);
}

static void
test_full_file_sets_every_field(void **state)
{
	struct conf *c = must_load(CONF_DIR "/good/full.yaml");
	const struct conf_underlay *u;
	const struct conf_vni *v;

	(void)state;
	assert_string_equal(c->path, CONF_DIR "/good/full.yaml");

	assert_int_equal(c->n_eal_args, 5);
	assert_string_equal(c->eal_args[0], "-l");
	assert_string_equal(c->eal_args[1], "0-2");
	assert_string_equal(c->eal_args[2], "--no-huge");
	assert_string_equal(c->eal_args[3], "-m");
	assert_string_equal(c->eal_args[4], "512");

	assert_int_equal(c->n_ports, 3);
	assert_string_equal(c->ports[0].name, "uplink");
	assert_string_equal(c->ports[0].devargs, "net_af_packet0,iface=veth-u");
	assert_int_equal(c->ports[0].role, CONF_ROLE_UNDERLAY);
	assert_int_equal(c->ports[0].rx_queues, 2);
	assert_int_equal(c->ports[0].rx_desc, 2048);
	assert_int_equal(c->ports[0].tx_desc, 512);
	assert_true(c->ports[0].has_mac);
	assert_mac(c->ports[0].mac, "02:00:00:00:0a:01");
	assert_false(c->ports[1].has_mac);
	assert_string_equal(c->ports[1].name, "vm-1");
	assert_string_equal(c->ports[1].devargs, "net_af_packet1,iface=veth-a");
	assert_int_equal(c->ports[1].role, CONF_ROLE_ACCESS);
	assert_int_equal(c->ports[1].rx_queues, 1);
	assert_int_equal(c->ports[1].rx_desc, 1024);
	assert_int_equal(c->ports[1].tx_desc, 1024);
	assert_string_equal(c->ports[2].name, "vm_2");
	assert_string_equal(c->ports[2].devargs, "net_ring0");
	assert_int_equal(c->ports[2].role, CONF_ROLE_ACCESS);
	assert_int_equal(c->ports[2].rx_queues, 64);
	assert_int_equal(c->ports[2].rx_desc, 64);
	assert_int_equal(c->ports[2].tx_desc, 16384);

	u = &c->underlay;
	assert_string_equal(u->port, "uplink");
	assert_ip(&u->address, "198.18.0.1");
	assert_int_equal(u->prefix_len, 24);
	assert_ip(&u->gateway, "198.18.0.254");
	assert_int_equal(u->udp_port, 8472);
	assert_int_equal(u->sport_min, 10000);
	assert_int_equal(u->sport_max, 20000);
	assert_int_equal(u->ttl, 32);
	assert_false(u->ttl_inherit);
	assert_int_equal(u->mcast_ttl, 4);
	assert_int_equal(u->tos, 184);
	assert_false(u->tos_inherit);
	assert_int_equal(u->ecn, CONF_ECN_OFF);
	assert_false(u->df);
	assert_int_equal(u->mtu, 9000);
	assert_int_equal(u->n_neighbors, 2);
	assert_ip(&u->neighbors[0].ip, "198.18.0.2");
	assert_mac(u->neighbors[0].mac, "02:00:00:00:00:02");
	assert_ip(&u->neighbors[1].ip, "198.18.0.254");
	assert_mac(u->neighbors[1].mac, "02:aa:bb:cc:dd:fe");

	assert_int_equal(c->n_vnis, 5);
	v = &c->vnis[0];
	assert_int_equal(v->vni, 100);
	assert_int_equal(v->n_access, 2);
	assert_string_equal(v->access[0].port, "vm-1");
	assert_int_equal(v->access[0].vlan, CONF_VLAN_UNTAGGED);
	assert_string_equal(v->access[1].port, "vm_2");
	assert_int_equal(v->access[1].vlan, 10);
	assert_int_equal(v->flood_mode, CONF_FLOOD_HEAD_END);
	assert_int_equal(v->group.family, 0);
	assert_int_equal(v->n_remotes, 2);
	assert_ip(&v->remotes[0], "198.18.0.2");
	assert_ip(&v->remotes[1], "203.0.113.7");
	assert_false(v->learning);
	assert_int_equal(v->mac_limit, 4096);
	assert_int_equal(v->ageing, 0);
	assert_true(v->inner_vlan_accept);
	assert_int_equal(v->bum_limit_pps, 5000);
	assert_false(c->vnis[1].inner_vlan_accept);
	assert_int_equal(c->vnis[1].bum_limit_pps, 0);
	v = &c->vnis[1];
	assert_int_equal(v->vni, 16777215);
	assert_int_equal(v->n_access, 2);
	assert_string_equal(v->access[0].port, "vm-1");
	assert_int_equal(v->access[0].vlan, 4094);
	assert_string_equal(v->access[1].port, "vm_2");
	assert_int_equal(v->access[1].vlan, CONF_VLAN_UNTAGGED);
	assert_int_equal(v->flood_mode, CONF_FLOOD_MULTICAST);
	assert_ip(&v->group, "239.1.1.1");
	assert_int_equal(v->n_remotes, 0);
	assert_null(v->remotes);
	assert_true(v->learning);
	assert_int_equal(v->mac_limit, 0);
	assert_int_equal(v->ageing, 600);
	v = &c->vnis[2];
	assert_int_equal(v->vni, 1);
	assert_int_equal(v->n_access, 1);
	assert_int_equal(v->access[0].vlan, 1);
	assert_int_equal(v->flood_mode, CONF_FLOOD_HEAD_END);
	assert_true(v->learning);
	assert_int_equal(v->ageing, 300);
	assert_false(v->replicator);
	v = &c->vnis[3];
	assert_int_equal(v->flood_mode, CONF_FLOOD_SERVICE_NODE);
	assert_ip(&v->service_node, "203.0.113.9");
	assert_int_equal(v->n_remotes, 0);
	v = &c->vnis[4];
	assert_int_equal(v->flood_mode, CONF_FLOOD_HEAD_END);
	assert_true(v->replicator);
	assert_int_equal(v->n_remotes, 2);
	assert_true(v->arp_suppress);
	assert_int_equal(v->n_neighbors, 2);
	assert_ip(&v->neighbors[0].ip, "10.0.3.5");
	assert_mac(v->neighbors[0].mac, "02:00:00:00:03:05");
	assert_ip(&v->neighbors[1].ip, "10.0.3.6");
	assert_mac(v->neighbors[1].mac, "02:00:00:00:03:06");
	assert_false(c->vnis[2].arp_suppress);
	assert_int_equal(c->vnis[2].n_neighbors, 0);

	assert_int_equal(c->n_fdb, 4);
	assert_int_equal(c->fdb[0].vni, 100);
	assert_mac(c->fdb[0].mac, "02:00:00:00:01:02");
	assert_true(c->fdb[0].is_remote);
	assert_ip(&c->fdb[0].remote, "198.18.0.2");
	assert_int_equal(c->fdb[1].vni, 100);
	assert_mac(c->fdb[1].mac, "02:00:00:00:01:03");
	assert_false(c->fdb[1].is_remote);
	assert_string_equal(c->fdb[1].local.port, "vm-1");
	assert_int_equal(c->fdb[1].local.vlan, CONF_VLAN_UNTAGGED);
	assert_int_equal(c->fdb[2].vni, 16777215);
	assert_false(c->fdb[2].is_remote);
	assert_string_equal(c->fdb[2].local.port, "vm_2");
	assert_int_equal(c->fdb[2].local.vlan, CONF_VLAN_UNTAGGED);
	assert_int_equal(c->fdb[3].vni, 1);
	assert_mac(c->fdb[3].mac, "0a:0b:0c:0d:0e:0f");
	assert_string_equal(c->fdb[3].local.port, "vm-1");
	assert_int_equal(c->fdb[3].local.vlan, 1);

	assert_int_equal(c->fdb_capacity, 2048);
	assert_int_equal(c->stats_interval, 10);
	assert_string_equal(c->state_file, "/var/lib/vtep/state.json");
	conf_free(c);
}

static void
test_minimal_file_gets_defaults(void **state)
{
	struct conf *c = must_load(CONF_DIR "/good/minimal.yaml");
	const struct conf_underlay *u = &c->underlay;

	(void)state;
	assert_int_equal(c->n_eal_args, 0);
	assert_int_equal(c->n_ports, 2);
	assert_int_equal(c->ports[1].rx_queues, 1);
	assert_int_equal(c->ports[1].rx_desc, 1024);
	assert_int_equal(c->ports[1].tx_desc, 1024);
	assert_ip(&u->address, "198.18.0.1");
	assert_int_equal(u->prefix_len, 24);
	assert_int_equal(u->gateway.family, 0);
	assert_int_equal(u->udp_port, 4789);
	assert_int_equal(u->sport_min, 49152);
	assert_int_equal(u->sport_max, 65535);
	assert_int_equal(u->ttl, 64);
	assert_false(u->ttl_inherit);
	assert_int_equal(u->mcast_ttl, 1);
	assert_int_equal(u->tos, 0);
	assert_false(u->tos_inherit);
	assert_int_equal(u->ecn, CONF_ECN_RFC6040);
	assert_true(u->df);
	assert_int_equal(u->mtu, 1500);
	assert_int_equal(u->n_neighbors, 0);
	assert_null(u->neighbors);
	assert_int_equal(c->n_vnis, 1);
	assert_int_equal(c->vnis[0].access[0].vlan, CONF_VLAN_UNTAGGED);
	assert_int_equal(c->vnis[0].flood_mode, CONF_FLOOD_HEAD_END);
	assert_int_equal(c->vnis[0].n_remotes, 0);
	assert_true(c->vnis[0].learning);
	assert_false(c->vnis[0].inner_vlan_accept);
	assert_false(c->ports[0].has_mac);
	assert_int_equal(c->vnis[0].mac_limit, 0);
	assert_int_equal(c->vnis[0].ageing, 300);
	assert_int_equal(c->n_fdb, 0);
	assert_null(c->fdb);
	assert_int_equal(c->fdb_capacity, 1048576);
	assert_int_equal(c->stats_interval, 0);
	assert_null(c->state_file);
	conf_free(c);
}

static void
test_empty_values_count_as_absent(void **state)
{
	struct conf *c = must_load(CONF_DIR "/good/empty_values.yaml");

	(void)state;
	assert_int_equal(c->n_eal_args, 0);
	assert_int_equal(c->underlay.prefix_len, 31);
	/* In a /31 both addresses are hosts (RFC 3021): .0 is a valid gateway. */
	assert_ip(&c->underlay.gateway, "10.0.0.0");
	assert_int_equal(c->underlay.n_neighbors, 0);
	assert_int_equal(c->vnis[0].n_remotes, 0);
	assert_int_equal(c->vnis[0].group.family, 0);
	assert_int_equal(c->n_fdb, 0);
	assert_null(c->state_file);
	conf_free(c);
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted *.yaml names of @dir; their count in *n. */
static char **
list_yaml(const char *dir, size_t *n)
{
	char **names = NULL;
	struct dirent *e;
	size_t cap = 0;
	DIR *d = opendir(dir);

	assert_non_null(d);
	*n = 0;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);

		if (len < 6 || strcmp(e->d_name + len - 5, ".yaml") != 0)
			continue;
		if (*n == cap) {
			cap = cap != 0 ? cap * 2 : 64;
			names = realloc(names, cap * sizeof(*names));
			assert_non_null(names);
		}
		names[(*n)++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, *n, sizeof(*names), cmp_names);
	return names;
}

static void
free_names(char **names, size_t n)
{
	while (n > 0)
		free(names[--n]);
	free(names);
}

/* "# key: value" among the leading comment lines of @path, or "". */
static void
expectation(const char *path, const char *key, char *out, size_t size)
{
	char line[1024];
	size_t klen = strlen(key);
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	out[0] = '\0';
	while (fgets(line, sizeof(line), f) != NULL && line[0] == '#') {
		if (strncmp(line + 2, key, klen) == 0 && line[2 + klen] == ':' &&
		    line[3 + klen] == ' ') {
			line[strcspn(line, "\n")] = '\0';
			snprintf(out, size, "%s", line + 4 + klen);
			break;
		}
	}
	fclose(f);
}

static void
test_bad_files_fail_with_their_messages(void **state)
{
	char path[512], exact[512], prefix[512], reason[512], want[1024];
	unsigned bad = 0;
	size_t n, i;
	char **names = list_yaml(CONF_DIR "/bad", &n);

	(void)state;
	/* One fixture per refusal the loader owes its users. */
	assert_true(n >= 25);
	for (i = 0; i < n; i++) {
		struct conf *c;

		snprintf(path, sizeof(path), CONF_DIR "/bad/%s", names[i]);
		expectation(path, "expect", exact, sizeof(exact));
		expectation(path, "expect-prefix", prefix, sizeof(prefix));
		expectation(path, "expect-reason", reason, sizeof(reason));
		errno = 0;
		c = conf_load(path, err, sizeof(err));
		if (c != NULL) {
			print_error("%s: loaded, but should fail\n", names[i]);
			conf_free(c);
			bad++;
			continue;
		}
		if (errno != EINVAL) {
			print_error("%s: errno %d, want EINVAL\n", names[i], errno);
			bad++;
		}
		if (exact[0] != '\0') {
			snprintf(want, sizeof(want), "%s:%s", path, exact);
			if (strcmp(err, want) != 0) {
				print_error("%s:\n  want %s\n  got  %s\n", names[i], want, err);
				bad++;
			}
		} else if (prefix[0] != '\0' && reason[0] != '\0') {
			snprintf(want, sizeof(want), "%s:%s", path, prefix);
			if (strncmp(err, want, strlen(want)) != 0 || strstr(err, reason) == NULL) {
				print_error("%s:\n  want %s...%s...\n  got  %s\n", names[i], want,
					    reason, err);
				bad++;
			}
		} else {
			print_error("%s: no '# expect:' line\n", names[i]);
			bad++;
		}
	}
	free_names(names, n);
	assert_int_equal(bad, 0);
}

static void
test_good_files_load(void **state)
{
	char path[512];
	size_t n, i;
	char **names = list_yaml(CONF_DIR "/good", &n);

	(void)state;
	assert_true(n >= 3);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), CONF_DIR "/good/%s", names[i]);
		conf_free(must_load(path));
	}
	free_names(names, n);
}

/* config/lab.yaml must describe the topology the lab script builds. */
static void
test_lab_example_loads(void **state)
{
	static const char *const eal[] = {
		"--no-huge", "-m", "512", "--no-pci", "--no-shconf", "--file-prefix", "vtep-lab",
		"--lcores", "0@0,1@1", "--log-level", "pmd.net.af_packet:error",
	};
	struct conf *c = must_load(EXAMPLES_DIR "/lab.yaml");
	unsigned i;
	int p;

	(void)state;
	assert_int_equal(c->n_eal_args, sizeof(eal) / sizeof(eal[0]));
	for (i = 0; i < c->n_eal_args; i++)
		assert_string_equal(c->eal_args[i], eal[i]);
	assert_int_equal(c->n_ports, 2);
	p = conf_port_find(c, "uplink");
	assert_int_equal(p, 0);
	assert_string_equal(c->ports[p].devargs, "net_af_packet0,iface=vl-und,qpairs=1");
	assert_int_equal(c->ports[p].role, CONF_ROLE_UNDERLAY);
	p = conf_port_find(c, "vm1");
	assert_int_equal(p, 1);
	assert_string_equal(c->ports[p].devargs, "net_af_packet1,iface=vl-acc,qpairs=1");
	assert_int_equal(c->ports[p].role, CONF_ROLE_ACCESS);
	assert_string_equal(c->underlay.port, "uplink");
	assert_ip(&c->underlay.address, "198.18.0.1");
	assert_int_equal(c->underlay.prefix_len, 24);
	assert_int_equal(c->underlay.udp_port, 4789);
	assert_int_equal(c->n_vnis, 1);
	assert_int_equal(c->vnis[0].vni, 100);
	assert_int_equal(c->vnis[0].n_access, 1);
	assert_string_equal(c->vnis[0].access[0].port, "vm1");
	assert_int_equal(c->vnis[0].access[0].vlan, CONF_VLAN_UNTAGGED);
	assert_int_equal(c->vnis[0].flood_mode, CONF_FLOOD_HEAD_END);
	assert_int_equal(c->vnis[0].n_remotes, 1);
	assert_ip(&c->vnis[0].remotes[0], "198.18.0.2");
	assert_true(c->vnis[0].learning);
	assert_int_equal(c->stats_interval, 5);
	conf_free(c);
}

static void
test_two_hosts_example_loads(void **state)
{
	struct conf *c = must_load(EXAMPLES_DIR "/two-hosts.yaml");
	unsigned i, tagged = 0;

	(void)state;
	assert_int_equal(c->n_ports, 2);
	assert_string_equal(c->ports[0].devargs, "0000:03:00.0");
	assert_int_equal(c->ports[0].rx_queues, 2);
	assert_int_equal(c->underlay.gateway.family, AF_INET);
	assert_int_equal(c->n_vnis, 2);
	for (i = 0; i < c->n_vnis; i++)
		tagged += c->vnis[i].access[0].vlan != CONF_VLAN_UNTAGGED;
	assert_int_equal(tagged, 1);
	assert_true(c->n_fdb >= 2);
	conf_free(c);
}

static const char minimal[] =
	"ports:\n"
	"  - { name: uplink, devargs: net_null0, role: underlay }\n"
	"  - { name: vm, devargs: net_null1, role: access }\n"
	"underlay: { port: uplink, address: 198.18.0.1/24 }\n"
	"vnis: [{ vni: 7, access: [{ port: vm }] }]\n";

static void
test_load_string_loads(void **state)
{
	struct conf *c = conf_load_string(minimal, strlen(minimal), "api", err, sizeof(err));

	(void)state;
	if (c == NULL)
		fail_msg("%s", err);
	assert_string_equal(c->path, "api");
	assert_int_equal(c->vnis[0].vni, 7);
	assert_int_equal(c->underlay.udp_port, 4789);
	conf_free(c);
}

/* "inherit" for the outer TTL and TOS, beside the numbers. */
static void
test_tos_ttl_inherit(void **state)
{
	static const char doc[] =
		"ports:\n"
		"  - { name: uplink, devargs: net_null0, role: underlay }\n"
		"  - { name: vm, devargs: net_null1, role: access }\n"
		"underlay:\n"
		"  port: uplink\n"
		"  address: 198.18.0.1/24\n"
		"  ttl: inherit\n"
		"  tos: inherit\n"
		"  ecn: rfc6040\n"
		"vnis:\n"
		"  - { vni: 100, access: [{ port: vm }], inner_vlan: drop }\n";
	struct conf *c;

	(void)state;
	c = conf_load_string(doc, strlen(doc), "inherit", err, sizeof(err));
	if (c == NULL)
		fail_msg("%s", err);
	assert_true(c->underlay.ttl_inherit);
	assert_true(c->underlay.tos_inherit);
	assert_int_equal(c->underlay.ecn, CONF_ECN_RFC6040);
	assert_false(c->vnis[0].inner_vlan_accept);
	conf_free(c);
}

static void
test_load_string_names_errors(void **state)
{
	static const char doc[] = "ports: {}\n";

	(void)state;
	assert_null(conf_load_string(doc, strlen(doc), "PUT /config", err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_string_equal(err, "PUT /config:1: ports: expected a list, got a mapping");
	assert_null(conf_load_string(doc, strlen(doc), NULL, err, sizeof(err)));
	assert_string_equal(err, "<string>:1: ports: expected a list, got a mapping");
}

/* Only @len bytes count: a buffer need not end with a NUL. */
static void
test_load_string_honours_length(void **state)
{
	char *buf = malloc(sizeof(minimal) - 1);
	struct conf *c;

	(void)state;
	assert_non_null(buf);
	memcpy(buf, minimal, sizeof(minimal) - 1);
	c = conf_load_string(buf, sizeof(minimal) - 1, "buf", err, sizeof(err));
	if (c == NULL)
		fail_msg("%s", err);
	conf_free(c);
	free(buf);
}

static void
test_empty_input_fails(void **state)
{
	static const char *const want =
		"e:1: document: is empty; expected a mapping with ports, underlay and vnis";

	(void)state;
	assert_null(conf_load_string("", 0, "e", err, sizeof(err)));
	assert_string_equal(err, want);
	assert_null(conf_load_string(NULL, 0, "e", err, sizeof(err)));
	assert_string_equal(err, want);
	assert_null(conf_load_string("\n\n# only a comment\n", 19, "e", err, sizeof(err)));
	assert_string_equal(err, want);
	assert_null(conf_load_string("~\n", 2, "e", err, sizeof(err)));
	assert_string_equal(err, want);
}

static void
test_scalar_document_fails(void **state)
{
	(void)state;
	assert_null(conf_load_string("42", 2, "s", err, sizeof(err)));
	assert_string_equal(err, "s:1: document: expected a mapping, got a scalar");
}

static void
test_deep_nesting_fails(void **state)
{
	size_t n = 1000000, i;
	char *buf = malloc(2 * n);
	struct conf *c;

	(void)state;
	assert_non_null(buf);
	for (i = 0; i < n; i++) {
		buf[i] = '[';
		buf[2 * n - 1 - i] = ']';
	}
	c = conf_load_string(buf, 2 * n, "deep", err, sizeof(err));
	free(buf);
	assert_null(c);
	assert_string_equal(err, "deep:1: yaml: nested deeper than 16 levels");
}

static void
test_huge_number_fails(void **state)
{
	char doc[sizeof(minimal) + 256];

	(void)state;
	snprintf(doc, sizeof(doc), "%sstats_interval: 18446744073709551616000\n", minimal);
	assert_null(conf_load_string(doc, strlen(doc), "n", err, sizeof(err)));
	assert_string_equal(err, "n:6: stats_interval: 18446744073709551616000 is out of range "
			    "(0-4294967295)");
}

static void
test_raw_nul_byte_fails(void **state)
{
	static const char doc[] = "ports: [\0]\n";

	(void)state;
	assert_null(conf_load_string(doc, sizeof(doc) - 1, "z", err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, "z:1: yaml: control characters are not allowed"));
}

static void
test_missing_file_sets_errno(void **state)
{
	(void)state;
	errno = 0;
	assert_null(conf_load(CONF_DIR "/no-such-file.yaml", err, sizeof(err)));
	assert_int_equal(errno, ENOENT);
	assert_string_equal(err, CONF_DIR "/no-such-file.yaml: No such file or directory");
	assert_null(conf_load(CONF_DIR, err, sizeof(err)));
	assert_int_equal(errno, EISDIR);
}

static void
test_error_fits_small_buffers(void **state)
{
	static const char doc[] = "ports: {}\n";
	char small[12];

	(void)state;
	memset(small, 'x', sizeof(small));
	assert_null(conf_load_string(doc, strlen(doc), "name", small, sizeof(small)));
	assert_string_equal(small, "name:1: por");
	assert_null(conf_load_string(doc, strlen(doc), "name", NULL, 0));
	assert_int_equal(errno, EINVAL);
}

/* Long user text is cut and escaped so a message stays one printable line. */
static void
test_error_quotes_user_text_safely(void **state)
{
	char doc[sizeof(minimal) + 256];

	(void)state;
	snprintf(doc, sizeof(doc), "%s\"a\\x01%s\": 1\n", minimal,
		 "0123456789012345678901234567890123456789");
	assert_null(conf_load_string(doc, strlen(doc), "q", err, sizeof(err)));
	assert_string_equal(err, "q:6: \"a\\x0101234567890123456789012345678901234567...\": "
			    "unknown field");
}

/* Append to a growing buffer; the tests below build large documents. */
static void
append(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(*buf + *len, *cap - *len, fmt, ap);
		va_end(ap);
		assert_true(n >= 0);
		if ((size_t)n < *cap - *len)
			break;
		*cap = *cap * 2 + (size_t)n;
		*buf = realloc(*buf, *cap);
		assert_non_null(*buf);
	}
	*len += (size_t)n;
}

/*
 * A document with @n_vnis VNIs (VLANs 1..n_vnis on one port, one remote
 * each) and @n_fdb remote FDB entries spread over them; "fdb:" is on line
 * n_vnis + 7, entry i on line n_vnis + 8 + i.
 */
static char *
big_doc(unsigned n_vnis, unsigned n_fdb, unsigned capacity, size_t *len)
{
	size_t cap = 1 << 20;
	char *buf = malloc(cap);
	unsigned i;

	assert_non_null(buf);
	*len = 0;
	buf[0] = '\0';
	append(&buf, len, &cap, "ports:\n"
	       "  - { name: uplink, devargs: net_null0, role: underlay }\n"
	       "  - { name: vm, devargs: net_null1, role: access }\n"
	       "underlay: { port: uplink, address: 10.0.0.1/8 }\n"
	       "fdb_capacity: %u\nvnis:\n", capacity);
	for (i = 0; i < n_vnis; i++)
		append(&buf, len, &cap, "  - { vni: %u, access: [{ port: vm, vlan: %u }],"
		       " remotes: [10.0.%u.%u] }\n", i + 1, i + 1, (i >> 8) & 0xff, (i & 0xff) | 2);
	append(&buf, len, &cap, "fdb:\n");
	for (i = 0; i < n_fdb; i++)
		append(&buf, len, &cap, "  - { vni: %u, mac: \"02:00:%02x:%02x:%02x:%02x\","
		       " remote: 10.1.%u.%u }\n", i % n_vnis + 1, i >> 24, (i >> 16) & 0xff,
		       (i >> 8) & 0xff, i & 0xff, (i >> 8) & 0xff, (i & 0xff) | 1);
	return buf;
}

/* Counts are limited by memory only, and checks are not quadratic. */
static void
test_many_entries_load(void **state)
{
	size_t len;
	char *doc = big_doc(4000, 200000, 16777216, &len);
	struct conf *c = conf_load_string(doc, len, "big", err, sizeof(err));

	(void)state;
	free(doc);
	if (c == NULL)
		fail_msg("%s", err);
	assert_int_equal(c->n_vnis, 4000);
	assert_int_equal(c->n_fdb, 200000);
	assert_int_equal(c->vnis[3999].access[0].vlan, 4000);
	assert_int_equal(c->fdb[199999].vni, 199999 % 4000 + 1);
	conf_free(c);
}

static void
test_duplicate_among_many_is_found(void **state)
{
	size_t len;
	char *doc = big_doc(100, 5000, 16777216, &len);
	size_t cap = len + 1;
	struct conf *c;

	(void)state;
	/* Entry 5000 repeats entry 1234 (same VNI, same MAC). */
	append(&doc, &len, &cap, "  - { vni: %u, mac: \"02:00:00:00:04:d2\", remote: 10.9.9.9 }\n",
	       1234 % 100 + 1);
	c = conf_load_string(doc, len, "dup", err, sizeof(err));
	free(doc);
	assert_null(c);
	assert_string_equal(err, "dup:5108: fdb[5000].mac: duplicate entry for VNI 35 and "
			    "02:00:00:00:04:d2 (first at line 1342)");
}

static void
test_fdb_over_capacity_fails(void **state)
{
	size_t len;
	char *doc = big_doc(1, 1025, 1024, &len);
	struct conf *c = conf_load_string(doc, len, "cap", err, sizeof(err));

	(void)state;
	free(doc);
	assert_null(c);
	assert_string_equal(err, "cap:8: fdb: 1025 static entries do not fit in fdb_capacity 1024");
}

static void
test_port_find(void **state)
{
	struct conf *c = must_load(CONF_DIR "/good/full.yaml");

	(void)state;
	assert_int_equal(conf_port_find(c, "uplink"), 0);
	assert_int_equal(conf_port_find(c, "vm-1"), 1);
	assert_int_equal(conf_port_find(c, "vm_2"), 2);
	assert_int_equal(conf_port_find(c, "vm"), -1);
	assert_int_equal(conf_port_find(c, ""), -1);
	assert_int_equal(conf_port_find(c, NULL), -1);
	assert_int_equal(conf_port_find(NULL, "uplink"), -1);
	conf_free(c);
}

static void
test_free_null_is_noop(void **state)
{
	(void)state;
	conf_free(NULL);
}

/* The tree: insertion order, ownership, duplicates, removal. */
static void
test_node_map_keeps_order_and_refuses_duplicates(void **state)
{
	struct conf_node *m = conf_node_map(0), *seq = conf_node_seq(3);
	char key[16];
	unsigned i;

	(void)state;
	assert_non_null(m);
	assert_non_null(seq);
	assert_int_equal(conf_node_kind(m), CONF_NODE_MAP);
	assert_int_equal(conf_node_line(seq), 3);
	/* Past the scan limit, so that the hash index is built and kept. */
	for (i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "k%u", i);
		assert_int_equal(conf_node_map_add(m, key,
			conf_node_scalar(key, strlen(key), CONF_SCALAR_STRING, 0)), 0);
	}
	assert_int_equal(conf_node_map_add(m, "k7", conf_node_scalar("x", 1, CONF_SCALAR_STRING, 0)),
			 -EEXIST);
	assert_int_equal(conf_node_size(m), 1000);
	assert_string_equal(conf_node_key(m, 0), "k0");
	assert_string_equal(conf_node_key(m, 999), "k999");
	assert_string_equal(conf_node_text(conf_node_get(m, "k500")), "k500");
	assert_null(conf_node_get(m, "k1000"));
	assert_int_equal(conf_node_map_del(m, "k500"), 0);
	assert_int_equal(conf_node_map_del(m, "k500"), -ENOENT);
	assert_null(conf_node_get(m, "k500"));
	assert_string_equal(conf_node_key(m, 500), "k501");
	assert_string_equal(conf_node_text(conf_node_get(m, "k999")), "k999");
	assert_string_equal(conf_node_text(conf_node_value(m, 998)), "k999");
	assert_null(conf_node_value(m, 999));

	assert_int_equal(conf_node_seq_add(seq, conf_node_scalar("1", 1, CONF_SCALAR_NUMBER, 0)), 0);
	assert_int_equal(conf_node_seq_add(seq, conf_node_scalar(NULL, 0, CONF_SCALAR_NULL, 0)), 0);
	assert_int_equal(conf_node_size(seq), 2);
	assert_int_equal(conf_node_type(conf_node_item(seq, 0)), CONF_SCALAR_NUMBER);
	assert_string_equal(conf_node_text(conf_node_item(seq, 1)), "");
	assert_null(conf_node_item(seq, 2));
	assert_int_equal(conf_node_seq_add(m, conf_node_seq(0)), -EINVAL);
	assert_int_equal(conf_node_map_add(m, "seq", seq), 0);
	assert_int_equal(conf_node_size(conf_node_get(m, "seq")), 2);
	conf_node_free(m);
	conf_node_free(NULL);
}

static struct conf_node *
must_node(const struct conf *c)
{
	struct conf_node *n = conf_to_node(c);

	assert_non_null(n);
	return n;
}

/* Replace @key of @map by a scalar of type @t. */
static void
set(struct conf_node *map, const char *key, const char *text, enum conf_scalar_type t)
{
	assert_non_null(map);
	conf_node_map_del(map, key);
	assert_int_equal(conf_node_map_add(map, key,
		conf_node_scalar(text, strlen(text), t, 0)), 0);
}

/* conf_from_node() on @n refuses it with @field and @reason, at line 0. */
static void
assert_refused(struct conf_node *n, const char *field, const char *reason)
{
	struct conf_err e;
	struct conf *c = conf_from_node(n, &e);

	if (c != NULL)
		fail_msg("accepted; want %s: %s", field, reason);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(e.line, 0);
	assert_string_equal(e.field, field);
	assert_string_equal(e.reason, reason);
}

/* A JSON body is refused for the wrong type, in the loader's words. */
static void
test_typed_scalars_are_checked(void **state)
{
	struct conf *base = conf_load_string(minimal, strlen(minimal), "m", err, sizeof(err));
	struct conf_node *n, *u, *v;
	struct conf_err e;
	struct conf *c;

	(void)state;
	assert_non_null(base);
#define WITH(sect, key, text, type, field, reason) do {				\
		n = must_node(base);						\
		set(sect, key, text, type);					\
		assert_refused(n, field, reason);				\
		conf_node_free(n);						\
	} while (0)
	WITH(conf_node_get(n, "underlay"), "udp_port", "200", CONF_SCALAR_STRING,
	     "underlay.udp_port", "\"200\" is a string, not a number");
	WITH(conf_node_get(n, "underlay"), "mtu", "true", CONF_SCALAR_BOOL,
	     "underlay.mtu", "true is a boolean, not a number");
	WITH(conf_node_get(n, "underlay"), "mtu", "1500.5", CONF_SCALAR_NUMBER,
	     "underlay.mtu", "1500.5 is not a decimal integer");
	WITH(conf_node_get(n, "underlay"), "df", "true", CONF_SCALAR_STRING,
	     "underlay.df", "\"true\" is a string, not a boolean");
	WITH(conf_node_get(n, "underlay"), "df", "1", CONF_SCALAR_NUMBER,
	     "underlay.df", "1 is a number, not a boolean");
	WITH(conf_node_get(n, "underlay"), "port", "5", CONF_SCALAR_NUMBER,
	     "underlay.port", "5 is a number, not a port name");
	WITH(conf_node_get(n, "underlay"), "gateway", "false", CONF_SCALAR_BOOL,
	     "underlay.gateway", "false is a boolean, not an IPv4 address");
	WITH(conf_node_get(n, "underlay"), "ecn", "0", CONF_SCALAR_NUMBER,
	     "underlay.ecn", "0 is a number, not an ECN mode");
	WITH(conf_node_get(n, "underlay"), "ttl", "64", CONF_SCALAR_STRING,
	     "underlay.ttl", "\"64\" is a string, not a number");
	WITH(conf_node_get(n, "underlay"), "ttl", "always", CONF_SCALAR_STRING,
	     "underlay.ttl", "\"always\" is neither a number (1-255) nor inherit");
	WITH(conf_node_item(conf_node_get(n, "ports"), 0), "name", "7", CONF_SCALAR_NUMBER,
	     "ports[0].name", "7 is a number, not a port name");
	WITH(conf_node_item(conf_node_get(n, "vnis"), 0), "flood", "true", CONF_SCALAR_BOOL,
	     "vnis[0].flood", "true is a boolean, not a flood mode");
	WITH(conf_node_item(conf_node_get(conf_node_item(conf_node_get(n, "vnis"), 0), "access"), 0),
	     "vlan", "10", CONF_SCALAR_STRING,
	     "vnis[0].access[0].vlan", "\"10\" is not a VLAN id (1-4094 or untagged)");
	WITH(conf_node_item(conf_node_get(n, "vnis"), 0), "vni", "7", CONF_SCALAR_STRING,
	     "vnis[0].vni", "\"7\" is a string, not a number");
#undef WITH

	/* The typed forms a JSON body uses are taken, and null is "not given". */
	n = must_node(base);
	u = conf_node_get(n, "underlay");
	set(u, "ttl", "inherit", CONF_SCALAR_STRING);
	set(u, "tos", "184", CONF_SCALAR_NUMBER);
	set(u, "df", "false", CONF_SCALAR_BOOL);
	set(u, "source_ports", "5000", CONF_SCALAR_NUMBER);
	set(u, "gateway", "", CONF_SCALAR_NULL);
	v = conf_node_item(conf_node_get(conf_node_item(conf_node_get(n, "vnis"), 0), "access"), 0);
	set(v, "vlan", "10", CONF_SCALAR_NUMBER);
	c = conf_from_node(n, &e);
	if (c == NULL)
		fail_msg("%s: %s", e.field, e.reason);
	assert_null(c->path);
	assert_true(c->underlay.ttl_inherit);
	assert_int_equal(c->underlay.tos, 184);
	assert_false(c->underlay.df);
	assert_int_equal(c->underlay.sport_min, 5000);
	assert_int_equal(c->underlay.sport_max, 5000);
	assert_int_equal(c->underlay.gateway.family, 0);
	assert_int_equal(c->vnis[0].access[0].vlan, 10);
	set(v, "vlan", "untagged", CONF_SCALAR_STRING);
	conf_free(c);
	c = conf_from_node(n, &e);
	assert_non_null(c);
	assert_int_equal(c->vnis[0].access[0].vlan, CONF_VLAN_UNTAGGED);
	conf_free(c);
	conf_node_free(n);

	/* Without lines, a duplicate names the first by its field path. */
	n = must_node(base);
	v = conf_node_get(n, "vnis");
	assert_int_equal(conf_node_seq_add(v, conf_node_map(0)), 0);
	set(conf_node_item(v, 1), "vni", "7", CONF_SCALAR_NUMBER);
	assert_int_equal(conf_node_map_add(conf_node_item(v, 1), "access", conf_node_seq(0)), 0);
	u = conf_node_map(0);
	set(u, "port", "vm", CONF_SCALAR_STRING);
	set(u, "vlan", "5", CONF_SCALAR_NUMBER);
	assert_int_equal(conf_node_seq_add(conf_node_get(conf_node_item(v, 1), "access"), u), 0);
	assert_refused(n, "vnis[1].vni", "duplicate VNI 7 (first at vnis[0].vni)");
	conf_node_free(n);

	assert_null(conf_from_node(NULL, &e));
	assert_string_equal(e.field, "document");
	conf_free(base);
}

/* Nested lists, empty collections and null, as block YAML. */
static void
test_emit_yaml_nests_blocks(void **state)
{
	struct conf_node *root = conf_node_map(0), *a = conf_node_seq(0), *in = conf_node_seq(0);
	size_t len;
	char *y;

	(void)state;
	assert_int_equal(conf_node_seq_add(in, conf_node_scalar("1", 1, CONF_SCALAR_NUMBER, 0)), 0);
	assert_int_equal(conf_node_seq_add(in, conf_node_scalar("x y", 3, CONF_SCALAR_STRING, 0)), 0);
	assert_int_equal(conf_node_seq_add(a, in), 0);
	assert_int_equal(conf_node_seq_add(a, conf_node_seq(0)), 0);
	assert_int_equal(conf_node_map_add(root, "a", a), 0);
	assert_int_equal(conf_node_map_add(root, "b", conf_node_map(0)), 0);
	assert_int_equal(conf_node_map_add(root, "c", conf_node_scalar("", 0, CONF_SCALAR_NULL, 0)), 0);
	assert_int_equal(conf_node_map_add(root, "d e", conf_node_scalar("\n", 1, CONF_SCALAR_STRING, 0)), 0);
	assert_int_equal(conf_emit_yaml(root, &y, &len), 0);
	assert_string_equal(y, "a:\n  - - 1\n    - \"x y\"\n  - []\nb: {}\nc: null\n\"d e\": \"\\x0a\"\n");
	assert_int_equal(conf_emit_yaml(NULL, &y, &len), -EINVAL);
	free(y);
	conf_node_free(root);
}

static char *
must_write(const struct conf *c, size_t *len)
{
	char *out = NULL;

	assert_int_equal(conf_write(c, &out, len), 0);
	assert_non_null(out);
	assert_int_equal(strlen(out), *len);
	return out;
}

/* load, write, load: the same configuration; writing again: the same bytes. */
static void
round_trip(const char *path)
{
	struct conf *a = must_load(path), *b, *d;
	size_t len1, len2;
	char *y1 = must_write(a, &len1), *y2;
	struct conf_node *n;
	struct conf_err e;

	b = conf_load_string(y1, len1, "written", err, sizeof(err));
	if (b == NULL)
		fail_msg("%s: written back: %s\n%s", path, err, y1);
	if (!conf_equal(a, b))
		fail_msg("%s: differs once written:\n%s", path, y1);
	y2 = must_write(b, &len2);
	assert_int_equal(len1, len2);
	assert_memory_equal(y1, y2, len1);
	/* The typed tree goes through the rules as it is (the API's path). */
	n = must_node(a);
	d = conf_from_node(n, &e);
	if (d == NULL)
		fail_msg("%s: from its tree: %s: %s", path, e.field, e.reason);
	assert_true(conf_equal(a, d));
	conf_node_free(n);
	conf_free(d);
	d = conf_dup(a);
	assert_non_null(d);
	assert_true(conf_equal(a, d));
	assert_string_equal(d->path, a->path);
	conf_free(d);
	free(y1);
	free(y2);
	conf_free(a);
	conf_free(b);
}

static void
test_write_round_trips(void **state)
{
	static const char *const dirs[] = { CONF_DIR "/good", EXAMPLES_DIR };
	char path[512];
	size_t n, i, d;

	(void)state;
	for (d = 0; d < 2; d++) {
		char **names = list_yaml(dirs[d], &n);

		assert_true(n >= 2);
		for (i = 0; i < n; i++) {
			snprintf(path, sizeof(path), "%s/%s", dirs[d], names[i]);
			round_trip(path);
		}
		free_names(names, n);
	}
}

/* Defaults are left out; what a reader could misread is quoted. */
static void
test_write_omits_defaults_and_quotes(void **state)
{
	static const char want[] =
		"eal:\n"
		"  - \"-l\"\n"
		"  - 0-2\n"
		"  - \"--no-huge\"\n"
		"  - \"-m\"\n"
		"  - \"512\"\n"
		"ports:\n"
		"  - name: uplink\n"
		"    devargs: \"net_af_packet0,iface=veth-u\"\n"
		"    role: underlay\n"
		"    rx_queues: 2\n"
		"    rx_desc: 2048\n"
		"    tx_desc: 512\n"
		"    mac: \"02:00:00:00:0a:01\"\n";
	struct conf *c = must_load(CONF_DIR "/good/full.yaml"), *m;
	size_t len;
	char *y = must_write(c, &len);

	(void)state;
	assert_memory_equal(y, want, sizeof(want) - 1);
	assert_non_null(strstr(y, "\n  address: 198.18.0.1/24\n  gateway: 198.18.0.254\n"));
	assert_non_null(strstr(y, "\n  source_ports: 10000-20000\n"));
	assert_non_null(strstr(y, "\n  ecn: \"off\"\n  df: false\n"));
	assert_non_null(strstr(y, "\n      - port: vm-1\n      - port: vm_2\n        vlan: 10\n"));
	assert_non_null(strstr(y, "\nstate_file: /var/lib/vtep/state.json\n"));
	assert_null(strstr(y, "api:"));
	free(y);
	conf_free(c);

	m = must_load(CONF_DIR "/good/minimal.yaml");
	y = must_write(m, &len);
	assert_string_equal(y,
		"ports:\n"
		"  - name: uplink\n"
		"    devargs: net_null0\n"
		"    role: underlay\n"
		"  - name: vm\n"
		"    devargs: net_null1\n"
		"    role: access\n"
		"underlay:\n"
		"  port: uplink\n"
		"  address: 198.18.0.1/24\n"
		"vnis:\n"
		"  - vni: 100\n"
		"    access:\n"
		"      - port: vm\n");
	free(y);
	conf_free(m);
}

/* Names a YAML reader would take for null, a boolean or a number survive. */
static void
test_write_keeps_odd_names(void **state)
{
	static const char doc[] =
		"ports:\n"
		"  - { name: \"yes\", devargs: \"a\\\"b\\\\c: #d\", role: underlay }\n"
		"  - { name: \"null\", devargs: net_null1, role: access }\n"
		"  - { name: \"123\", devargs: net_null2, role: access }\n"
		"underlay: { port: \"yes\", address: 198.18.0.1/24 }\n"
		"vnis: [{ vni: 7, access: [{ port: \"null\" }, { port: \"123\", vlan: 2 }] }]\n"
		"api: {}\n";
	struct conf *a = conf_load_string(doc, strlen(doc), "odd", err, sizeof(err)), *b;
	size_t len;
	char *y;

	(void)state;
	if (a == NULL)
		fail_msg("%s", err);
	y = must_write(a, &len);
	b = conf_load_string(y, len, "odd2", err, sizeof(err));
	if (b == NULL)
		fail_msg("%s\n%s", err, y);
	assert_true(conf_equal(a, b));
	assert_string_equal(b->ports[0].devargs, "a\"b\\c: #d");
	assert_true(b->api.enabled);
	assert_non_null(strstr(y, "\napi: {}\n"));
	free(y);
	conf_free(a);
	conf_free(b);
}

static void
test_api_section(void **state)
{
	char doc[sizeof(minimal) + 256];
	struct conf *c = conf_load_string(minimal, strlen(minimal), "none", err, sizeof(err));

	(void)state;
	assert_non_null(c);
	assert_false(c->api.enabled);
	conf_free(c);

	snprintf(doc, sizeof(doc), "%sapi: {}\n", minimal);
	c = conf_load_string(doc, strlen(doc), "defaults", err, sizeof(err));
	assert_non_null(c);
	assert_true(c->api.enabled);
	assert_string_equal(c->api.listen_host, "127.0.0.1");
	assert_int_equal(c->api.listen_port, 8080);
	assert_false(c->api.has_token_file);
	assert_int_equal(c->api.max_connections, 64);
	assert_int_equal(c->api.idle_timeout, 30);
	assert_int_equal(c->api.body_limit, 1048576);
	conf_free(c);

	snprintf(doc, sizeof(doc), "%sapi: { listen: \"[::1]:8443\" }\n", minimal);
	c = conf_load_string(doc, strlen(doc), "v6", err, sizeof(err));
	if (c == NULL)
		fail_msg("%s", err);
	assert_string_equal(c->api.listen_host, "::1");
	assert_int_equal(c->api.listen_port, 8443);
	conf_free(c);

	snprintf(doc, sizeof(doc), "%sapi: { listen: 127.1.2.3:80 }\n", minimal);
	c = conf_load_string(doc, strlen(doc), "lo8", err, sizeof(err));
	if (c == NULL)
		fail_msg("%s", err);
	conf_free(c);

	c = must_load(CONF_DIR "/good/api.yaml");
	assert_string_equal(c->api.listen_host, "::");
	assert_int_equal(c->api.listen_port, 9000);
	assert_true(c->api.has_token_file);
	assert_string_equal(c->api.token_file, "/etc/vtep/token");
	assert_int_equal(c->api.max_connections, 8);
	assert_int_equal(c->api.idle_timeout, 3600);
	assert_int_equal(c->api.body_limit, 67108864);
	conf_free(c);
}

static const char merge_base[] =
	"eal: [\"--no-huge\"]\n"
	"ports:\n"
	"  - { name: uplink, devargs: net_null0, role: underlay }\n"
	"  - { name: vm, devargs: net_null1, role: access }\n"
	"underlay:\n"
	"  port: uplink\n"
	"  address: 198.18.0.1/24\n"
	"  udp_port: 8472\n"
	"  ttl: 10\n"
	"  neighbors: [{ ip: 198.18.0.2, mac: \"02:00:00:00:00:02\" }]\n"
	"vnis: [{ vni: 7, access: [{ port: vm }] }]\n"
	"fdb_capacity: 4096\n"
	"stats_interval: 3\n"
	"state_file: /var/lib/vtep/state.yaml\n"
	"api: { max_connections: 4 }\n";

static struct conf *
must_string(const char *doc, const char *name)
{
	struct conf *c = conf_load_string(doc, strlen(doc), name, err, sizeof(err));

	if (c == NULL)
		fail_msg("%s", err);
	return c;
}

/* The file keeps its own sections; the state brings segments and live knobs. */
static void
test_merge_state_takes_each_side(void **state)
{
	static const char st[] =
		"ports:\n"
		"  - { name: uplink, devargs: net_null9, role: underlay }\n"
		"  - { name: vm, devargs: net_null8, role: access }\n"
		"underlay:\n"
		"  port: uplink\n"
		"  address: 10.0.0.1/8\n"
		"  ttl: inherit\n"
		"  tos: 8\n"
		"  df: no\n"
		"  ecn: off\n"
		"  source_ports: 100-200\n"
		"  mtu: 9000\n"
		"vnis:\n"
		"  - { vni: 9, access: [{ port: vm, vlan: 3 }], remotes: [198.18.0.7] }\n"
		"fdb: [{ vni: 9, mac: \"02:00:00:00:00:09\", port: vm, vlan: 3 }]\n";
	struct conf *base = must_string(merge_base, "base.yaml"), *s = must_string(st, "state");
	struct conf_err e;
	struct conf *m = conf_merge_state(base, s, &e);

	(void)state;
	if (m == NULL)
		fail_msg("%s: %s", e.field, e.reason);
	assert_string_equal(m->path, "base.yaml");
	assert_int_equal(m->n_eal_args, 1);
	assert_string_equal(m->ports[0].devargs, "net_null0");
	assert_ip(&m->underlay.address, "198.18.0.1");
	assert_int_equal(m->underlay.udp_port, 8472);
	assert_int_equal(m->underlay.n_neighbors, 1);
	assert_true(m->underlay.ttl_inherit);
	assert_int_equal(m->underlay.tos, 8);
	assert_false(m->underlay.df);
	assert_int_equal(m->underlay.ecn, CONF_ECN_OFF);
	assert_int_equal(m->underlay.sport_min, 100);
	assert_int_equal(m->underlay.sport_max, 200);
	assert_int_equal(m->underlay.mtu, 9000);
	assert_int_equal(m->n_vnis, 1);
	assert_int_equal(m->vnis[0].vni, 9);
	assert_int_equal(m->vnis[0].access[0].vlan, 3);
	assert_int_equal(m->n_fdb, 1);
	assert_int_equal(m->fdb_capacity, 4096);
	assert_int_equal(m->stats_interval, 3);
	assert_string_equal(m->state_file, "/var/lib/vtep/state.yaml");
	assert_true(m->api.enabled);
	assert_int_equal(m->api.max_connections, 4);
	conf_free(m);
	conf_free(s);
	conf_free(base);
}

/* A state written for another file is refused by field, whole. */
static void
test_merge_state_validates_the_result(void **state)
{
	static const char st[] =
		"ports:\n"
		"  - { name: uplink, devargs: net_null0, role: underlay }\n"
		"  - { name: vm, devargs: net_null1, role: access }\n"
		"  - { name: vm9, devargs: net_null2, role: access }\n"
		"underlay: { port: uplink, address: 198.18.0.1/24 }\n"
		"vnis:\n"
		"  - { vni: 7, access: [{ port: vm }] }\n"
		"  - { vni: 8, access: [{ port: vm9 }] }\n";
	static const char st_remote[] =
		"ports:\n"
		"  - { name: uplink, devargs: net_null0, role: underlay }\n"
		"  - { name: vm, devargs: net_null1, role: access }\n"
		"underlay: { port: uplink, address: 10.0.0.1/8 }\n"
		"vnis: [{ vni: 7, access: [{ port: vm }], remotes: [198.18.0.1] }]\n";
	struct conf *base = must_string(merge_base, "base.yaml"), *s = must_string(st, "state");
	struct conf_err e;

	(void)state;
	assert_null(conf_merge_state(base, s, &e));
	assert_int_equal(errno, EINVAL);
	assert_int_equal(e.line, 0);
	assert_string_equal(e.field, "vnis[1].access[0].port");
	assert_string_equal(e.reason, "no port named \"vm9\" in ports");
	conf_free(s);
	/* Valid in its own file, but it is the merged underlay's own address. */
	s = must_string(st_remote, "state");
	assert_null(conf_merge_state(base, s, &e));
	assert_string_equal(e.field, "vnis[0].remotes[0]");
	assert_string_equal(e.reason, "198.18.0.1 is the local VTEP address");
	assert_null(conf_merge_state(NULL, s, &e));
	assert_int_equal(errno, EINVAL);
	conf_free(s);
	conf_free(base);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * 4 096 VNIs on VLANs of two ports, each with a remote, and 100 000 static
 * entries, remote and local.
 */
static char *
big_doc_4k(size_t *len)
{
	size_t cap = 1 << 20;
	char *buf = malloc(cap);
	unsigned i;

	assert_non_null(buf);
	*len = 0;
	append(&buf, len, &cap, "ports:\n"
	       "  - { name: uplink, devargs: net_null0, role: underlay }\n"
	       "  - { name: vm, devargs: net_null1, role: access }\n"
	       "  - { name: vm2, devargs: net_null2, role: access }\n"
	       "underlay: { port: uplink, address: 10.0.0.1/8 }\n"
	       "fdb_capacity: 1048576\nvnis:\n");
	for (i = 0; i < 4096; i++)
		append(&buf, len, &cap, "  - { vni: %u, access: [{ port: %s, vlan: %u }],"
		       " remotes: [10.0.%u.%u] }\n", i + 1, i < 4094 ? "vm" : "vm2", i % 4094 + 1,
		       (i >> 8) & 0xff, (i & 0xff) | 2);
	append(&buf, len, &cap, "fdb:\n");
	for (i = 0; i < 100000; i++) {
		if (i % 10 == 0)
			append(&buf, len, &cap, "  - { vni: %u, mac: \"02:00:%02x:%02x:%02x:%02x\","
			       " port: %s, vlan: %u }\n", i % 4096 + 1, i >> 24, (i >> 16) & 0xff,
			       (i >> 8) & 0xff, i & 0xff, i % 4096 < 4094 ? "vm" : "vm2",
			       i % 4096 % 4094 + 1);
		else
			append(&buf, len, &cap, "  - { vni: %u, mac: \"02:00:%02x:%02x:%02x:%02x\","
			       " remote: 10.1.%u.%u }\n", i % 4096 + 1, i >> 24, (i >> 16) & 0xff,
			       (i >> 8) & 0xff, i & 0xff, (i >> 8) & 0xff, (i & 0xff) | 1);
	}
	return buf;
}

/* 4 096 VNIs, 100 000 static entries: times printed, not asserted. */
static void
test_large_config_loads_and_writes(void **state)
{
	size_t len, ylen, ylen2;
	char *doc = big_doc_4k(&len), *y, *y2;
	double t0 = now(), t1, t2, t3;
	struct conf *c = conf_load_string(doc, len, "big", err, sizeof(err)), *b;

	(void)state;
	t1 = now();
	free(doc);
	if (c == NULL)
		fail_msg("%s", err);
	y = must_write(c, &ylen);
	t2 = now();
	b = conf_load_string(y, ylen, "big2", err, sizeof(err));
	t3 = now();
	if (b == NULL)
		fail_msg("%s", err);
	assert_true(conf_equal(c, b));
	y2 = must_write(b, &ylen2);
	assert_int_equal(ylen, ylen2);
	assert_memory_equal(y, y2, ylen);
	print_message("4096 VNIs, 100000 FDB entries: load %.3f s, write %.3f s (%zu bytes), "
		      "load written %.3f s\n", t1 - t0, t2 - t1, ylen, t3 - t2);
	free(y);
	free(y2);
	conf_free(b);
	conf_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_file_sets_every_field),
		cmocka_unit_test(test_minimal_file_gets_defaults),
		cmocka_unit_test(test_empty_values_count_as_absent),
		cmocka_unit_test(test_bad_files_fail_with_their_messages),
		cmocka_unit_test(test_good_files_load),
		cmocka_unit_test(test_lab_example_loads),
		cmocka_unit_test(test_two_hosts_example_loads),
		cmocka_unit_test(test_load_string_loads),
		cmocka_unit_test(test_load_string_names_errors),
		cmocka_unit_test(test_load_string_honours_length),
		cmocka_unit_test(test_empty_input_fails),
		cmocka_unit_test(test_scalar_document_fails),
		cmocka_unit_test(test_deep_nesting_fails),
		cmocka_unit_test(test_huge_number_fails),
		cmocka_unit_test(test_raw_nul_byte_fails),
		cmocka_unit_test(test_missing_file_sets_errno),
		cmocka_unit_test(test_error_fits_small_buffers),
		cmocka_unit_test(test_error_quotes_user_text_safely),
		cmocka_unit_test(test_many_entries_load),
		cmocka_unit_test(test_duplicate_among_many_is_found),
		cmocka_unit_test(test_fdb_over_capacity_fails),
		cmocka_unit_test(test_port_find),
		cmocka_unit_test(test_tos_ttl_inherit),
		cmocka_unit_test(test_free_null_is_noop),
		cmocka_unit_test(test_node_map_keeps_order_and_refuses_duplicates),
		cmocka_unit_test(test_typed_scalars_are_checked),
		cmocka_unit_test(test_emit_yaml_nests_blocks),
		cmocka_unit_test(test_write_round_trips),
		cmocka_unit_test(test_write_omits_defaults_and_quotes),
		cmocka_unit_test(test_write_keeps_odd_names),
		cmocka_unit_test(test_api_section),
		cmocka_unit_test(test_merge_state_takes_each_side),
		cmocka_unit_test(test_merge_state_validates_the_result),
		cmocka_unit_test(test_large_config_loads_and_writes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
