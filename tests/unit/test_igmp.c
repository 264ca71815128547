/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control thread's IGMP (lib/ctl/ctl_igmp.c): the frame builders, and
 * joins, repeats, leaves and query answers on an injected clock, read from
 * the ring the control thread sends through.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_rcu_qsbr.h>

#include "ctl.h"
#include "ctl_private.h"
#include "test_eal.h"

static const char yaml[] =
	"ports:\n"
	"  - { name: up, devargs: net_null0, role: underlay }\n"
	"  - { name: vm1, devargs: net_null1, role: access }\n"
	"underlay:\n"
	"  port: up\n"
	"  address: 198.18.0.1/24\n"
	"vnis:\n"
	"  - vni: 100\n"
	"    access: [ { port: vm1, vlan: untagged } ]\n"
	"    flood: multicast\n"
	"    group: 239.1.1.100\n"
	"fdb_capacity: 1024\n";

#define GROUP RTE_BE32(0xef010164)    /* 239.1.1.100 */

static struct rte_rcu_qsbr *qsbr;
static struct rte_ring *learn, *tx;
static struct rte_mempool *pool;
static struct dp_counters ctr_block;
static struct dp_counters *ctrs[1] = { &ctr_block };
static struct dp_snap *snap;
static uint64_t fake_ms;
static struct conf *conf;
static struct ctl *c;

static uint64_t
clock_fn(void *arg)
{
	(void)arg;
	return fake_ms;
}

static int
setup(void **state)
{
	struct ctl_port ports[2] = {
		{ .name = "up", .id = 0, .underlay = true,
		  .mac = { .addr_bytes = { 0x02, 0, 0, 0, 0x0a, 0x01 } }, .n_rxq = 1 },
		{ .name = "vm1", .id = 1, .n_rxq = 1 },
	};
	struct ctl_params p = {
		.ports = ports, .n_ports = 2, .underlay = 0, .qsbr = qsbr, .learn = learn,
		.tx = tx, .pool = pool, .snap = &snap, .counters = ctrs, .n_workers = 1,
		.clock_ms = clock_fn,
	};
	struct conf_err err;
	char msg[512];

	(void)state;
	ctr_block.vni = calloc(CTL_MAX_VNIS, sizeof(struct vni_ctr));
	fake_ms = 1000;
	conf = conf_load_string(yaml, strlen(yaml), "test.yaml", msg, sizeof(msg));
	if (conf == NULL)
		fail_msg("%s", msg);
	p.conf = conf;
	c = ctl_create(&p, &err);
	if (c == NULL)
		fail_msg("ctl_create: %s: %s", err.field, err.reason);
	return 0;
}

static int
teardown(void **state)
{
	struct rte_mbuf *m;

	(void)state;
	ctl_free(c);
	c = NULL;
	conf_free(conf);
	free(ctr_block.vni);
	while (rte_ring_dequeue(tx, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	return 0;
}

/* What one sent frame says, checked for what every IGMP frame must be. */
struct sent {
	rte_be32_t dst;
	uint8_t type;
	uint8_t rtype;        /* v3: the first record's type */
	uint16_t n_rec;
	rte_be32_t group;     /* v2: the group field; v3: the first record's */
};

static unsigned
take(struct sent *out, unsigned max)
{
	struct rte_mbuf *m;
	unsigned n = 0;

	while (n < max && rte_ring_dequeue(tx, (void **)&m) == 0) {
		const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
		const struct rte_ipv4_hdr *ip = (const void *)(p + 14);
		const uint8_t *g = p + 14 + 24;
		uint16_t ilen = (uint16_t)(rte_be_to_cpu_16(ip->total_length) - 24);
		struct rte_ether_addr mac;

		assert_int_equal(ip->version_ihl, 0x46);
		assert_int_equal(ip->time_to_live, 1);
		assert_int_equal(ip->next_proto_id, IPPROTO_IGMP);
		assert_int_equal(ip->src_addr, RTE_BE32(0xc6120001));
		assert_int_equal(rte_raw_cksum(ip, 24), 0xffff);
		/* Router Alert (RFC 2113) */
		assert_int_equal(p[34], 0x94);
		assert_int_equal(p[35], 4);
		assert_int_equal(rte_raw_cksum(g, ilen), 0xffff);
		vtep_group_mac(ip->dst_addr, &mac);
		assert_memory_equal(p, mac.addr_bytes, 6);
		assert_int_equal(rte_pktmbuf_pkt_len(m), 14u + 24 + ilen);
		out[n].dst = ip->dst_addr;
		out[n].type = g[0];
		if (g[0] == 0x22) {
			out[n].n_rec = (uint16_t)(g[6] << 8 | g[7]);
			out[n].rtype = g[8];
			memcpy(&out[n].group, g + 12, 4);
		} else {
			memcpy(&out[n].group, g + 4, 4);
		}
		rte_pktmbuf_free(m);
		n++;
	}
	return n;
}

static void
poll_at(uint64_t ms)
{
	fake_ms = ms;
	ctl_poll(c);
}

static uint64_t
ctr(enum ctl_ctr k)
{
	struct ctl_stats s;
	uint64_t n;

	assert_int_equal(ctl_stats_get(c, &s), 0);
	n = s.ctl[k];
	ctl_stats_release(&s);
	return n;
}

/* A query from the switch's querier (source 0.0.0.0), as the worker
 * punts it: 8 bytes for IGMPv2, 12 for IGMPv3. */
static void
query(rte_be32_t group, uint8_t max_resp, bool v3)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint16_t ilen = v3 ? 12 : 8, sum;
	uint8_t *p, *q;

	assert_non_null(m);
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(14 + 24 + ilen));
	ctl_igmp_headers(p, &(const struct rte_ether_addr){ .addr_bytes = { 2, 0, 0, 0, 0, 9 } },
			 0, group != 0 ? group : CTL_IGMP_ALL_HOSTS, ilen);
	q = p + 14 + 24;
	memset(q, 0, ilen);
	q[0] = 0x11;
	q[1] = max_resp;
	memcpy(q + 4, &group, 4);
	if (v3)
		q[8] = 2;    /* QRV */
	sum = (uint16_t)~rte_raw_cksum(q, ilen);
	memcpy(q + 2, &sum, 2);
	ctl_igmp_rx(c, m);
}

/* ---- builders ------------------------------------------------------------- */

static void
v3_report_has_records_and_checksum(void **state)
{
	rte_be32_t g[2] = { GROUP, RTE_BE32(0xef000001) };
	uint8_t buf[64];
	uint16_t len;

	(void)state;
	len = ctl_igmp_v3_report(buf, CTL_IGMP_TO_EX, g, 2);
	assert_int_equal(len, 8 + 16);
	assert_int_equal(buf[0], 0x22);
	assert_int_equal(buf[7], 2);
	assert_int_equal(buf[8], CTL_IGMP_TO_EX);
	assert_int_equal(buf[11], 0);           /* no sources */
	assert_memory_equal(buf + 12, &g[0], 4);
	assert_memory_equal(buf + 20, &g[1], 4);
	assert_int_equal(rte_raw_cksum(buf, len), 0xffff);
	len = ctl_igmp_v2_msg(buf, 0x17, GROUP);
	assert_int_equal(len, 8);
	assert_int_equal(rte_raw_cksum(buf, len), 0xffff);
}

static void
headers_carry_router_alert_and_ttl_1(void **state)
{
	const struct rte_ether_addr src = { .addr_bytes = { 2, 0, 0, 0, 0, 1 } };
	static const uint8_t mac22[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x16 };
	uint8_t buf[38];
	const struct rte_ipv4_hdr *ip = (const void *)(buf + 14);

	(void)state;
	ctl_igmp_headers(buf, &src, RTE_BE32(0xc6120001), CTL_IGMP_V3_ROUTERS, 16);
	assert_memory_equal(buf, mac22, 6);
	assert_int_equal(ip->time_to_live, 1);
	assert_int_equal(ip->version_ihl, 0x46);
	assert_int_equal(rte_be_to_cpu_16(ip->total_length), 24 + 16);
	assert_int_equal(buf[34], 0x94);
	assert_int_equal(rte_raw_cksum(ip, 24), 0xffff);
}

static void
max_resp_time_decodes(void **state)
{
	(void)state;
	assert_int_equal(ctl_igmp_max_resp_ms(100, false), 10000);
	assert_int_equal(ctl_igmp_max_resp_ms(10, true), 1000);
	/* RFC 3376 4.1.1: 0x80 is mant 0, exp 0: 16 << 3 = 128 tenths. */
	assert_int_equal(ctl_igmp_max_resp_ms(0x80, true), 12800);
	assert_int_equal(ctl_igmp_max_resp_ms(0xff, true), 31744 * 100);
	/* IGMPv1: 0 means 10 s */
	assert_int_equal(ctl_igmp_max_resp_ms(0, false), 10000);
}

/* ---- the state machine ---------------------------------------------------- */

static void
join_is_reported_twice_then_quiet(void **state)
{
	struct sent s[8];

	(void)state;
	poll_at(1000);
	assert_int_equal(take(s, 8), 1);
	assert_int_equal(s[0].type, 0x22);
	assert_int_equal(s[0].dst, CTL_IGMP_V3_ROUTERS);
	assert_int_equal(s[0].rtype, CTL_IGMP_TO_EX);
	assert_int_equal(s[0].n_rec, 1);
	assert_int_equal(s[0].group, GROUP);
	poll_at(1500);
	assert_int_equal(take(s, 8), 0);
	poll_at(2000);
	assert_int_equal(take(s, 8), 1);
	assert_int_equal(s[0].rtype, CTL_IGMP_TO_EX);
	poll_at(10000);
	assert_int_equal(take(s, 8), 0);
	assert_int_equal(ctr(CTL_IGMP_REPORTS), 2);
}

static void
shared_group_leaves_with_the_last_vni(void **state)
{
	struct conf_access a = { .port = "vm1", .vlan = 7 };
	struct conf_vni v;
	struct conf_err err;
	struct sent s[8];

	(void)state;
	memset(&v, 0, sizeof(v));
	v.vni = 200;
	v.access = &a;
	v.n_access = 1;
	v.ageing = 300;
	v.flood_mode = CONF_FLOOD_MULTICAST;
	v.group = vtep_ip4(GROUP);
	poll_at(1000);
	poll_at(2000);
	take(s, 8);
	assert_true(ctl_vni_put(c, &v, &err) >= 0);
	poll_at(3000);
	assert_int_equal(take(s, 8), 0);     /* already joined */
	assert_int_equal(ctl_vni_del(c, 100, &err), 0);
	poll_at(4000);
	assert_int_equal(take(s, 8), 0);     /* VNI 200 still needs it */
	assert_int_equal(ctl_vni_del(c, 200, &err), 0);
	poll_at(5000);
	assert_int_equal(take(s, 8), 1);
	assert_int_equal(s[0].type, 0x22);
	assert_int_equal(s[0].rtype, CTL_IGMP_TO_IN);
	assert_int_equal(s[0].group, GROUP);
	poll_at(6000);
	assert_int_equal(take(s, 8), 1);
	assert_int_equal(s[0].rtype, CTL_IGMP_TO_IN);
	poll_at(9000);
	assert_int_equal(take(s, 8), 0);
	assert_int_equal(ctr(CTL_IGMP_LEAVES), 2);
	/* Answers stop too. */
	query(0, 10, true);
	poll_at(11000);
	assert_int_equal(take(s, 8), 0);
}

static void
general_query_is_answered_within_max_resp(void **state)
{
	struct sent s[8];
	uint64_t t, answered = 0;

	(void)state;
	poll_at(1000);
	poll_at(2000);
	take(s, 8);
	query(0, 20, true);      /* 2 s */
	assert_int_equal(ctr(CTL_IGMP_QUERIES), 1);
	for (t = 2000; t <= 4000 && answered == 0; t += 50) {
		poll_at(t);
		if (take(s, 8) == 1)
			answered = t;
	}
	assert_int_not_equal(answered, 0);
	assert_int_equal(s[0].type, 0x22);
	assert_int_equal(s[0].rtype, CTL_IGMP_IS_EX);
	assert_int_equal(s[0].group, GROUP);
	poll_at(8000);
	assert_int_equal(take(s, 8), 0);     /* one answer */
	/* A query for another group asks nothing of us. */
	query(RTE_BE32(0xef010165), 10, true);
	poll_at(9100);
	assert_int_equal(take(s, 8), 0);
	query(GROUP, 10, true);
	poll_at(10100);
	assert_int_equal(take(s, 8), 1);
	assert_int_equal(s[0].rtype, CTL_IGMP_IS_EX);
}

static void
v2_querier_switches_to_v2_messages(void **state)
{
	struct conf_err err;
	struct sent s[8];

	(void)state;
	poll_at(1000);
	poll_at(2000);
	take(s, 8);
	query(0, 10, false);     /* IGMPv2: 8 bytes */
	poll_at(3100);
	assert_int_equal(take(s, 8), 1);
	assert_int_equal(s[0].type, 0x16);
	assert_int_equal(s[0].dst, GROUP);
	assert_int_equal(s[0].group, GROUP);
	assert_int_equal(ctl_vni_del(c, 100, &err), 0);
	poll_at(4000);
	assert_int_equal(take(s, 8), 1);
	assert_int_equal(s[0].type, 0x17);
	assert_int_equal(s[0].dst, CTL_IGMP_ALL_ROUTERS);
	assert_int_equal(s[0].group, GROUP);
}

static void
v3_again_after_the_v2_querier_timeout(void **state)
{
	struct sent s[8];

	(void)state;
	poll_at(1000);
	poll_at(2000);
	take(s, 8);
	query(0, 10, false);
	poll_at(3100);
	take(s, 8);
	poll_at(2000 + CTL_IGMP_V2_TIMEOUT_MS + 1000);
	query(0, 10, true);
	poll_at(2000 + CTL_IGMP_V2_TIMEOUT_MS + 2100);
	assert_int_equal(take(s, 8), 1);
	assert_int_equal(s[0].type, 0x22);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(v3_report_has_records_and_checksum),
		cmocka_unit_test(headers_carry_router_alert_and_ttl_1),
		cmocka_unit_test(max_resp_time_decodes),
		cmocka_unit_test_setup_teardown(join_is_reported_twice_then_quiet, setup, teardown),
		cmocka_unit_test_setup_teardown(shared_group_leaves_with_the_last_vni, setup,
						teardown),
		cmocka_unit_test_setup_teardown(general_query_is_answered_within_max_resp, setup,
						teardown),
		cmocka_unit_test_setup_teardown(v2_querier_switches_to_v2_messages, setup, teardown),
		cmocka_unit_test_setup_teardown(v3_again_after_the_v2_querier_timeout, setup,
						teardown),
	};

	test_eal_init();
	qsbr = rte_zmalloc(NULL, rte_rcu_qsbr_get_memsize(1), RTE_CACHE_LINE_SIZE);
	rte_rcu_qsbr_init(qsbr, 1);
	learn = fdb_learn_ring_create("igmp_learn", 1024, 0);
	tx = rte_ring_create("igmp_tx", 256, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	pool = rte_pktmbuf_pool_create("igmp_pool", 511, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	if (qsbr == NULL || learn == NULL || tx == NULL || pool == NULL) {
		fprintf(stderr, "test_igmp: setup failed\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
