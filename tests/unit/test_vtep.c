/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/vtep: outer header templates, encapsulation, the source
 * port hash, classification of received frames, drop names and addresses.
 *
 * Frames are written byte by byte here and checksums computed by csum()
 * below, never with lib/vtep or rte_ip.h helpers, so that the tests are an
 * oracle independent of the code under test.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "test_eal.h"
#include "vtep.h"

#define POOL_N 64

/* Underlay addresses, host order. */
#define LOCAL_IP 0xc0000201u   /* 192.0.2.1 */
#define REMOTE_IP 0xc6336407u  /* 198.51.100.7 */
#define VNI 0xabcdefu

static struct rte_mempool *pool;

static const uint8_t port_mac[6] = { 0x02, 0xaa, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t nh_mac[6] = { 0x02, 0xbb, 0x00, 0x00, 0x00, 0x02 };

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/* RFC 1071 over bytes in network order; 0 over a header that verifies. */
static uint16_t
csum(const uint8_t *b, size_t n)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	if (n & 1)
		sum += (uint32_t)b[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* An inner Ethernet/IPv4/L4 frame, as a tenant sends it. */
struct inner {
	uint16_t vlan;      /* VTEP_VLAN_NONE: untagged */
	uint32_t src, dst;  /* host order */
	uint8_t proto;
	uint16_t sport, dport;
	uint16_t frag;      /* IPv4 flags and fragment offset */
	uint16_t id;
	uint8_t ttl;
	uint8_t seed;       /* payload pattern */
};

static const struct inner inner_default = {
	.vlan = VTEP_VLAN_NONE,
	.src = 0x0a000001,
	.dst = 0x0a000002,
	.proto = 17,
	.sport = 1234,
	.dport = 80,
	.id = 1,
	.ttl = 64,
};

/* Write a frame of len bytes (at least 42, 46 tagged). */
static void
inner_build(uint8_t *b, size_t len, const struct inner *in)
{
	static const uint8_t dmac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
	static const uint8_t smac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
	size_t off = 12, i;
	uint8_t *ip;

	memcpy(b, dmac, 6);
	memcpy(b + 6, smac, 6);
	if (in->vlan != VTEP_VLAN_NONE) {
		put16(b + 12, 0x8100);
		put16(b + 14, in->vlan);
		off = 16;
	}
	put16(b + off, 0x0800);
	off += 2;
	ip = b + off;
	ip[0] = 0x45;
	ip[1] = 0;
	put16(ip + 2, (uint16_t)(len - off));
	put16(ip + 4, in->id);
	put16(ip + 6, in->frag);
	ip[8] = in->ttl;
	ip[9] = in->proto;
	put16(ip + 10, 0);
	put32(ip + 12, in->src);
	put32(ip + 16, in->dst);
	put16(ip + 10, csum(ip, 20));
	put16(ip + 20, in->sport);
	put16(ip + 22, in->dport);
	for (i = off + 24; i < len; i++)
		b[i] = (uint8_t)(i * 7 + in->seed);
}

static struct rte_mbuf *
mbuf_from(const uint8_t *b, size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *d;

	assert_non_null(m);
	d = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
	assert_non_null(d);
	memcpy(d, b, len);
	return m;
}

static struct rte_mbuf *
inner_mbuf(size_t len, const struct inner *in)
{
	uint8_t b[2048];

	inner_build(b, len, in);
	return mbuf_from(b, len);
}

static void
tmpl_params(struct vtep_tmpl_params *p, bool df)
{
	memset(p, 0, sizeof(*p));
	memcpy(p->src_mac.addr_bytes, port_mac, 6);
	memcpy(p->dst_mac.addr_bytes, nh_mac, 6);
	p->src = vtep_ip4(rte_cpu_to_be_32(LOCAL_IP));
	p->dst = vtep_ip4(rte_cpu_to_be_32(REMOTE_IP));
	p->udp_port = VTEP_UDP_PORT_DEFAULT;
	p->ttl = VTEP_TTL_DEFAULT;
	p->df = df;
}

/*
 * The 50 bytes the template must hold, written from the RFC layout. Length,
 * id, checksum, source port, UDP length and VNI are the per-packet fields,
 * zero in a template.
 */
static void
expect_tmpl(uint8_t *b, const struct vtep_tmpl_params *p)
{
	memset(b, 0, 50);
	memcpy(b, p->dst_mac.addr_bytes, 6);
	memcpy(b + 6, p->src_mac.addr_bytes, 6);
	put16(b + 12, 0x0800);
	b[14] = 0x45;
	put16(b + 20, p->df ? 0x4000 : 0);
	b[22] = p->ttl;
	b[23] = 17;
	memcpy(b + 26, &p->src.v4, 4);
	memcpy(b + 30, &p->dst.v4, 4);
	put16(b + 36, p->udp_port);
	b[42] = 0x08;
}

static int
group_setup(void **state)
{
	(void)state;
	test_eal_init();
	pool = rte_pktmbuf_pool_create("test_vtep", POOL_N, 0, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	return pool == NULL ? -1 : 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	rte_mempool_free(pool);
	return 0;
}

/* Every test gives back each mbuf it took. Counted per test, so that one
 * failing test does not fail the next ones too. */
static unsigned avail_before;

static int
mark_pool(void **state)
{
	(void)state;
	avail_before = rte_mempool_avail_count(pool);
	return 0;
}

static int
no_leak(void **state)
{
	unsigned n = rte_mempool_avail_count(pool);

	(void)state;
	if (n != avail_before) {
		fprintf(stderr, "mbuf leak: %u in pool, %u before the test\n", n, avail_before);
		return -1;
	}
	return 0;
}

/* ---- template ---- */

static void
test_tmpl_df_set(void **state)
{
	struct vtep_tmpl_params p;
	struct vtep_tmpl t;
	uint8_t want[50];

	(void)state;
	tmpl_params(&p, true);
	assert_int_equal(vtep_tmpl_build(&t, &p), 0);
	expect_tmpl(want, &p);
	assert_memory_equal(&t.hdr, want, sizeof(want));
}

static void
test_tmpl_df_clear_other_ttl_port(void **state)
{
	struct vtep_tmpl_params p;
	struct vtep_tmpl t;
	uint8_t want[50];

	(void)state;
	tmpl_params(&p, false);
	p.ttl = 1;
	p.udp_port = 8472;
	/* A stale template must be fully overwritten. */
	memset(&t, 0xa5, sizeof(t));
	assert_int_equal(vtep_tmpl_build(&t, &p), 0);
	expect_tmpl(want, &p);
	assert_memory_equal(&t.hdr, want, sizeof(want));
}

static void
test_tmpl_rejects_non_ipv4(void **state)
{
	struct vtep_tmpl_params p;
	struct vtep_tmpl t;

	(void)state;
	tmpl_params(&p, true);
	p.src.family = AF_INET6;
	assert_int_equal(vtep_tmpl_build(&t, &p), -EAFNOSUPPORT);
	tmpl_params(&p, true);
	p.dst.family = AF_INET6;
	assert_int_equal(vtep_tmpl_build(&t, &p), -EAFNOSUPPORT);
	tmpl_params(&p, true);
	p.dst.family = 0;
	assert_int_equal(vtep_tmpl_build(&t, &p), -EAFNOSUPPORT);
}

static void
test_tmpl_rejects_ttl0_port0(void **state)
{
	struct vtep_tmpl_params p;
	struct vtep_tmpl t;

	(void)state;
	tmpl_params(&p, true);
	p.ttl = 0;
	assert_int_equal(vtep_tmpl_build(&t, &p), -EINVAL);
	tmpl_params(&p, true);
	p.udp_port = 0;
	assert_int_equal(vtep_tmpl_build(&t, &p), -EINVAL);
}

/* ---- encap ---- */

/*
 * Encapsulate three frames of inner_len bytes and check every outer field
 * against the template and the RFC 7348 layout, and the inner bytes.
 */
static void
check_encap(uint16_t inner_len, bool df, bool offload)
{
	struct vtep_encap_ctx c = {
		.sport_min = VTEP_SPORT_MIN_DEFAULT,
		.sport_span = VTEP_SPORT_MAX_DEFAULT - VTEP_SPORT_MIN_DEFAULT + 1,
		.mtu = 1500,
		.csum_offload = offload,
		.df = df,
		.ip_id = 0xfffe, /* wraps within the three packets */
	};
	struct vtep_tmpl_params p;
	struct vtep_tmpl t;
	uint8_t want[50], in[2048];
	unsigned k;

	tmpl_params(&p, df);
	c.ttl = p.ttl;
	assert_int_equal(vtep_tmpl_build(&t, &p), 0);
	expect_tmpl(want, &p);

	for (k = 0; k < 3; k++) {
		struct inner ii = inner_default;
		uint16_t sport = (uint16_t)(50000 + k);
		uint16_t id = df ? 0 : (uint16_t)(0xfffe + k);
		struct rte_mbuf *m;
		const uint8_t *o;

		ii.seed = (uint8_t)k;
		inner_build(in, inner_len, &ii);
		m = mbuf_from(in, inner_len);

		assert_int_equal(vtep_encap(&c, &t, m, VNI, sport, vtep_encap_qos(&c, m)),
				 VTEP_DROP_NONE);
		assert_int_equal(rte_pktmbuf_pkt_len(m), inner_len + 50u);
		assert_int_equal(rte_pktmbuf_data_len(m), inner_len + 50u);
		o = rte_pktmbuf_mtod(m, const uint8_t *);

		/* Template part: Ethernet, IPv4 version to addresses, UDP dst,
		 * VXLAN flags. */
		assert_memory_equal(o, want, 16);
		assert_memory_equal(o + 20, want + 20, 4);
		assert_memory_equal(o + 26, want + 26, 8);
		assert_memory_equal(o + 36, want + 36, 2);
		assert_memory_equal(o + 42, want + 42, 4);

		assert_int_equal(get16(o + 16), inner_len + 36u);
		assert_int_equal(get16(o + 18), id);
		assert_int_equal(get16(o + 20) & 0x4000, df ? 0x4000 : 0);
		assert_int_equal(get16(o + 34), sport);
		assert_int_equal(get16(o + 38), inner_len + 16u);
		assert_int_equal(get16(o + 40), 0);
		assert_int_equal(get32(o + 46), VNI << 8);
		assert_memory_equal(o + 50, in, inner_len);

		assert_int_equal(m->l2_len, 14);
		assert_int_equal(m->l3_len, 20);
		if (offload) {
			assert_int_equal(get16(o + 24), 0);
			assert_true(m->ol_flags & RTE_MBUF_F_TX_IP_CKSUM);
			assert_true(m->ol_flags & RTE_MBUF_F_TX_IPV4);
		} else {
			/* Patched incrementally from the template's sum. */
			assert_int_equal(csum(o + 14, 20), 0);
			assert_false(m->ol_flags & RTE_MBUF_F_TX_IP_CKSUM);
		}
		rte_pktmbuf_free(m);
	}
	/* The next id is kept for the next packet of this worker. */
	assert_int_equal(c.ip_id, df ? 0xfffe : 0x0001);
}

static void
test_encap_64(void **state)
{
	(void)state;
	check_encap(64, true, false);
}

static void
test_encap_1000(void **state)
{
	(void)state;
	check_encap(1000, true, false);
}

static void
test_encap_1450(void **state)
{
	(void)state;
	check_encap(1450, true, false);
}

static void
test_encap_df_clear_ip_id_increments(void **state)
{
	(void)state;
	check_encap(64, false, false);
	check_encap(1000, false, false);
	check_encap(1450, false, false);
}

static void
test_encap_csum_offload(void **state)
{
	(void)state;
	check_encap(64, true, true);
	check_encap(1450, false, true);
}

/* Everything vtep_encap may touch, to prove a drop left the mbuf alone. */
struct mbuf_state {
	uint16_t data_off, data_len;
	uint32_t pkt_len;
	uint64_t ol_flags, tx_offload;
	uint8_t bytes[2048];
};

static void
mbuf_save(const struct rte_mbuf *m, struct mbuf_state *s)
{
	s->data_off = m->data_off;
	s->data_len = m->data_len;
	s->pkt_len = m->pkt_len;
	s->ol_flags = m->ol_flags;
	s->tx_offload = m->tx_offload;
	memcpy(s->bytes, rte_pktmbuf_mtod(m, const void *), m->data_len);
}

static void
assert_mbuf_unchanged(const struct rte_mbuf *m, const struct mbuf_state *s)
{
	assert_int_equal(m->data_off, s->data_off);
	assert_int_equal(m->data_len, s->data_len);
	assert_int_equal(m->pkt_len, s->pkt_len);
	assert_int_equal(m->ol_flags, s->ol_flags);
	assert_int_equal(m->tx_offload, s->tx_offload);
	assert_memory_equal(rte_pktmbuf_mtod(m, const void *), s->bytes, s->data_len);
}

static void
test_encap_mtu_exceeded(void **state)
{
	struct vtep_encap_ctx c = { .sport_span = 0, .mtu = 1400, .df = true };
	struct vtep_tmpl_params p;
	struct mbuf_state s;
	struct vtep_tmpl t;
	struct rte_mbuf *m;

	(void)state;
	tmpl_params(&p, true);
	assert_int_equal(vtep_tmpl_build(&t, &p), 0);

	/* One byte over: the outer IPv4 packet would be 1401 bytes. */
	m = inner_mbuf(1400 - 36 + 1, &inner_default);
	mbuf_save(m, &s);
	assert_int_equal(vtep_encap(&c, &t, m, VNI, 1, vtep_encap_qos(&c, m)), VTEP_DROP_MTU_EXCEEDED);
	assert_mbuf_unchanged(m, &s);
	rte_pktmbuf_free(m);

	/* Exactly the MTU goes. */
	m = inner_mbuf(1400 - 36, &inner_default);
	assert_int_equal(vtep_encap(&c, &t, m, VNI, 1, vtep_encap_qos(&c, m)), VTEP_DROP_NONE);
	assert_int_equal(get16(rte_pktmbuf_mtod_offset(m, const uint8_t *, 16)), 1400);
	rte_pktmbuf_free(m);
}

static void
test_encap_no_headroom(void **state)
{
	struct vtep_encap_ctx c = { .mtu = 1500, .df = true };
	struct vtep_tmpl_params p;
	struct mbuf_state s;
	struct vtep_tmpl t;
	struct rte_mbuf *m;
	uint8_t in[64];
	unsigned room;

	(void)state;
	tmpl_params(&p, true);
	assert_int_equal(vtep_tmpl_build(&t, &p), 0);
	inner_build(in, sizeof(in), &inner_default);

	for (room = 49; room <= 50; room++) {
		m = rte_pktmbuf_alloc(pool);
		assert_non_null(m);
		m->data_off = (uint16_t)room;
		memcpy(rte_pktmbuf_append(m, sizeof(in)), in, sizeof(in));
		assert_int_equal(rte_pktmbuf_headroom(m), room);
		mbuf_save(m, &s);
		if (room < 50) {
			assert_int_equal(vtep_encap(&c, &t, m, VNI, 1, vtep_encap_qos(&c, m)), VTEP_DROP_NO_HEADROOM);
			assert_mbuf_unchanged(m, &s);
		} else {
			/* 50 bytes of headroom are enough. */
			assert_int_equal(vtep_encap(&c, &t, m, VNI, 1, vtep_encap_qos(&c, m)), VTEP_DROP_NONE);
			assert_int_equal(rte_pktmbuf_headroom(m), 0);
		}
		rte_pktmbuf_free(m);
	}
}

/* ---- source port ---- */

static uint32_t
xorshift32(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void
test_sport_in_range(void **state)
{
	static const struct { uint16_t min; uint32_t max; } ranges[] = {
		{ 49152, 65535 },
		{ 0, 65535 },      /* span 65536, stored as 0 */
		{ 4789, 4789 },    /* a single port */
		{ 1000, 1999 },
		{ 65535, 65535 },
		{ 0, 0 },
	};
	static const uint32_t edges[] = { 0, 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff };
	uint32_t seed = 0x12345678;
	unsigned r, k;

	(void)state;
	for (r = 0; r < RTE_DIM(ranges); r++) {
		struct vtep_encap_ctx c = {
			.sport_min = ranges[r].min,
			.sport_span = (uint16_t)(ranges[r].max - ranges[r].min + 1),
		};

		for (k = 0; k < RTE_DIM(edges); k++) {
			uint16_t s = vtep_sport(&c, edges[k]);

			assert_in_range(s, ranges[r].min, ranges[r].max);
		}
		/* Both ends of the range are reachable. */
		assert_int_equal(vtep_sport(&c, 0), ranges[r].min);
		assert_int_equal(vtep_sport(&c, 0xffffffff), ranges[r].max);
		for (k = 0; k < 100000; k++)
			assert_in_range(vtep_sport(&c, xorshift32(&seed)),
					ranges[r].min, ranges[r].max);
	}
}

static void
test_sport_spread(void **state)
{
	struct vtep_encap_ctx c = {
		.sport_min = VTEP_SPORT_MIN_DEFAULT,
		.sport_span = VTEP_SPORT_MAX_DEFAULT - VTEP_SPORT_MIN_DEFAULT + 1,
	};
	unsigned bucket[64], k, lo = UINT32_MAX, hi = 0;
	struct rte_mbuf *m;
	double chi2 = 0;
	uint8_t *d;

	(void)state;
	m = inner_mbuf(64, &inner_default);
	d = rte_pktmbuf_mtod(m, uint8_t *);
	memset(bucket, 0, sizeof(bucket));
	for (k = 0; k < 65536; k++) {
		struct inner ii = inner_default;
		uint16_t s;

		/* 65536 distinct flows: addresses and ports both vary. */
		ii.src = 0x0a000000 | (k >> 6);
		ii.dst = 0x0a800000 | (k & 0x3ff);
		ii.sport = (uint16_t)(1024 + (k & 63));
		ii.dport = (uint16_t)(80 + (k >> 13));
		inner_build(d, 64, &ii);
		s = vtep_sport(&c, vtep_flow_hash(m));
		assert_in_range(s, VTEP_SPORT_MIN_DEFAULT, VTEP_SPORT_MAX_DEFAULT);
		bucket[(s - VTEP_SPORT_MIN_DEFAULT) / 256]++;
	}
	rte_pktmbuf_free(m);

	for (k = 0; k < 64; k++) {
		double e = bucket[k] - 1024.0;

		chi2 += e * e / 1024.0;
		lo = RTE_MIN(lo, bucket[k]);
		hi = RTE_MAX(hi, bucket[k]);
	}
	/* 63 degrees of freedom: a fair hash stays far below 150, and no
	 * bucket gets half again as many flows as another. */
	print_message("sport spread: chi2 %.1f, buckets %u..%u\n", chi2, lo, hi);
	assert_true(chi2 < 150.0);
	assert_true(lo > 0 && hi * 2 < lo * 3);
}

/* ---- flow hash ---- */

static uint32_t
hash_of(size_t len, const struct inner *in)
{
	struct rte_mbuf *m = inner_mbuf(len, in);
	uint32_t h = vtep_flow_hash(m);

	rte_pktmbuf_free(m);
	return h;
}

static void
test_hash_same_flow_same_hash(void **state)
{
	struct inner a = inner_default, b = inner_default;

	(void)state;
	/* Packets of one flow differ in id, TTL, length and payload, never in
	 * path: they must hash alike to keep their order. */
	b.id = 999;
	b.ttl = 3;
	b.seed = 77;
	assert_int_equal(hash_of(64, &a), hash_of(1400, &b));
	assert_int_equal(hash_of(200, &a), hash_of(200, &a));
}

/* The hash must see the addresses and ports of this frame shape. */
static void
check_hash_uses_ip_ports(uint16_t vlan)
{
	struct inner base = inner_default, x;
	uint32_t h;

	base.vlan = vlan;
	h = hash_of(100, &base);

	x = base;
	x.src++;
	assert_int_not_equal(hash_of(100, &x), h);
	x = base;
	x.dst++;
	assert_int_not_equal(hash_of(100, &x), h);
	x = base;
	x.sport++;
	assert_int_not_equal(hash_of(100, &x), h);
	x = base;
	x.dport++;
	assert_int_not_equal(hash_of(100, &x), h);
	/* DF is not a fragment: ports still count. */
	x = base;
	x.frag = 0x4000;
	h = hash_of(100, &x);
	x.sport++;
	assert_int_not_equal(hash_of(100, &x), h);
}

static void
test_hash_untagged_uses_ip_ports(void **state)
{
	(void)state;
	check_hash_uses_ip_ports(VTEP_VLAN_NONE);
}

static void
test_hash_vlan_tagged_uses_ip_ports(void **state)
{
	(void)state;
	check_hash_uses_ip_ports(100);
}

/* TCP, UDP and SCTP flows between the same addresses and ports are
 * different flows: the protocol is part of the hash. */
static void
test_hash_uses_protocol(void **state)
{
	struct inner udp = inner_default, tcp = inner_default, sctp = inner_default;

	(void)state;
	tcp.proto = 6;
	sctp.proto = 132;
	assert_int_not_equal(hash_of(100, &udp), hash_of(100, &tcp));
	assert_int_not_equal(hash_of(100, &udp), hash_of(100, &sctp));
	assert_int_not_equal(hash_of(100, &tcp), hash_of(100, &sctp));
}

static void
test_hash_fragments_ignore_ports(void **state)
{
	static const uint16_t frags[] = { 0x2000 /* MF */, 0x00b9 /* offset */, 0x20b9 };
	unsigned k;

	(void)state;
	for (k = 0; k < RTE_DIM(frags); k++) {
		struct inner a = inner_default, b;

		a.frag = frags[k];
		b = a;
		b.sport = 4321;
		b.dport = 8080;
		/* Later fragments carry no ports: all fragments must agree. */
		assert_int_equal(hash_of(100, &a), hash_of(100, &b));
		/* Addresses still count. */
		b = a;
		b.src++;
		assert_int_not_equal(hash_of(100, &a), hash_of(100, &b));
	}
}

/* ---- decap classify ---- */

/* An underlay frame, as a remote VTEP sends it. */
struct outer {
	uint16_t ether_type;
	uint8_t vhl;
	int total_length;   /* < 0: the right one */
	uint16_t frag;
	uint8_t proto;
	uint32_t src, dst;  /* host order */
	uint16_t dport;
	uint32_t vx_flags;  /* first VXLAN word: flags and reserved */
	uint32_t vx_vni;    /* second VXLAN word: VNI and reserved */
	size_t inner_len;
	size_t pad;         /* Ethernet bytes after the IP packet */
	bool bad_csum;
	uint8_t tos;
	const uint8_t *eth_dst; /* NULL: port_mac */
	int udp_len;        /* < 0: the right one */
	bool udp_csum;      /* fill in the UDP checksum */
	uint16_t udp_csum_xor; /* then spoil it with this */
};

static const struct outer outer_default = {
	.ether_type = 0x0800,
	.vhl = 0x45,
	.total_length = -1,
	.frag = 0x4000,
	.proto = 17,
	.src = REMOTE_IP,
	.dst = LOCAL_IP,
	.dport = 4789,
	.vx_flags = 0x08000000,
	.vx_vni = VNI << 8,
	.inner_len = 64,
	.udp_len = -1,
};

static const struct vtep_decap_ctx *
dctx(void)
{
	static struct vtep_decap_ctx c;
	struct rte_ether_addr mac;

	memcpy(mac.addr_bytes, port_mac, 6);
	vtep_decap_ctx_init(&c, &mac, rte_cpu_to_be_32(LOCAL_IP),
			    rte_cpu_to_be_32(LOCAL_IP | 0xff) /* a /24 */, VTEP_UDP_PORT_DEFAULT,
			    false);
	return &c;
}

static size_t
outer_build(uint8_t *b, const struct outer *o)
{
	size_t ihl = (o->vhl & 0x0fu) * 4u, hl = ihl < 20 ? 20 : ihl;
	size_t ip_len = hl + 16 + o->inner_len, i;
	uint8_t *ip = b + 14, *udp = ip + hl;

	memcpy(b, o->eth_dst != NULL ? o->eth_dst : port_mac, 6);
	memcpy(b + 6, nh_mac, 6);
	put16(b + 12, o->ether_type);
	ip[0] = o->vhl;
	ip[1] = o->tos;
	put16(ip + 2, (uint16_t)(o->total_length < 0 ? ip_len : (size_t)o->total_length));
	put16(ip + 4, 0x1234);
	put16(ip + 6, o->frag);
	ip[8] = 64;
	ip[9] = o->proto;
	put16(ip + 10, 0);
	put32(ip + 12, o->src);
	put32(ip + 16, o->dst);
	memset(ip + 20, 1, hl - 20); /* NOP options */
	put16(ip + 10, (uint16_t)(csum(ip, hl) ^ (o->bad_csum ? 0x0100 : 0)));
	put16(udp, 51000);
	put16(udp + 2, o->dport);
	put16(udp + 4, (uint16_t)(o->udp_len < 0 ? 16 + o->inner_len : (size_t)o->udp_len));
	put16(udp + 6, 0);
	put32(udp + 8, o->vx_flags);
	put32(udp + 12, o->vx_vni);
	for (i = 0; i < o->inner_len; i++)
		udp[16 + i] = (uint8_t)(i * 3 + 1);
	if (o->udp_csum) {
		/* Pseudo-header, then the datagram; 0 is sent as 0xffff. */
		uint8_t ph[2048];
		size_t ul = 16 + o->inner_len;
		uint16_t c;

		memcpy(ph, ip + 12, 8);
		ph[8] = 0;
		ph[9] = 17;
		put16(ph + 10, (uint16_t)ul);
		memcpy(ph + 12, udp, ul);
		c = csum(ph, 12 + ul);
		put16(udp + 6, (uint16_t)((c == 0 ? 0xffff : c) ^ o->udp_csum_xor));
	}
	memset(udp + 16 + o->inner_len, 0xee, o->pad);
	return 14 + ip_len + o->pad;
}

/* Classify the first cut bytes (all if cut is 0) of frame o. */
static enum vtep_rx_kind
classify(const struct outer *o, size_t cut, uint64_t ol_flags, struct vtep_rx_info *ri)
{
	enum vtep_rx_kind k;
	struct rte_mbuf *m;
	uint8_t b[2048];
	size_t len;

	len = outer_build(b, o);
	m = mbuf_from(b, cut != 0 && cut < len ? cut : len);
	m->ol_flags |= ol_flags;
	/* Garbage in, so that fields left unset show. */
	memset(ri, 0xa5, sizeof(*ri));
	k = vtep_decap_classify(dctx(), m, ri);
	rte_pktmbuf_free(m);
	return k;
}

static void
expect_vxlan(const struct outer *o, uint64_t ol_flags, uint32_t vni, uint16_t outer_len)
{
	struct vtep_rx_info ri;

	assert_int_equal(classify(o, 0, ol_flags, &ri), VTEP_RX_VXLAN);
	assert_int_equal(ri.drop, VTEP_DROP_NONE);
	assert_int_equal(ri.vni, vni);
	assert_int_equal(rte_be_to_cpu_32(ri.outer_src), o->src);
	assert_int_equal(ri.outer_len, outer_len);
	assert_int_equal(ri.inner_len, o->inner_len);
}

static void
expect_drop(const struct outer *o, size_t cut, uint64_t ol_flags, enum vtep_drop why)
{
	struct vtep_rx_info ri;

	assert_int_equal(classify(o, cut, ol_flags, &ri), VTEP_RX_DROP);
	assert_string_equal(vtep_drop_name(ri.drop), vtep_drop_name(why));
}

static void
test_decap_valid(void **state)
{
	struct outer o = outer_default;

	(void)state;
	expect_vxlan(&o, 0, VNI, 50);
	o.inner_len = 1450;
	o.vx_vni = 1u << 8;
	expect_vxlan(&o, 0, 1, 50);
	/* Without DF too: senders may leave it clear. */
	o.frag = 0;
	o.vx_vni = VTEP_VNI_MAX << 8;
	expect_vxlan(&o, 0, VTEP_VNI_MAX, 50);
}

static void
test_decap_reserved_bits_ignored(void **state)
{
	struct outer o = outer_default;

	(void)state;
	/* RFC 7348 section 5: reserved fields ignored on receipt. */
	o.vx_flags = 0x08ffffff;
	o.vx_vni = VNI << 8 | 0xff;
	expect_vxlan(&o, 0, VNI, 50);
}

static void
test_decap_other_flag_bits_ignored(void **state)
{
	struct outer o = outer_default;

	(void)state;
	/* "The other 7 bits ... MUST be ignored on receipt." */
	o.vx_flags = 0xff000000;
	expect_vxlan(&o, 0, VNI, 50);
}

static void
test_decap_ip_options(void **state)
{
	struct outer o = outer_default;

	(void)state;
	o.vhl = 0x46;
	expect_vxlan(&o, 0, VNI, 54);
	o.vhl = 0x4f;
	expect_vxlan(&o, 0, VNI, 90);
}

static void
test_decap_padding_excluded(void **state)
{
	struct outer o = outer_default;

	(void)state;
	o.inner_len = 14;
	o.pad = 20;
	expect_vxlan(&o, 0, VNI, 50);
	o.inner_len = 100;
	o.pad = 3;
	expect_vxlan(&o, 0, VNI, 50);
}

static void
test_decap_truncated(void **state)
{
	struct outer o = outer_default;
	struct vtep_rx_info ri;
	struct rte_mbuf *m, *tail;
	uint8_t b[2048];
	size_t len;

	(void)state;
	expect_drop(&o, 13, 0, VTEP_DROP_TRUNCATED);       /* no Ethernet header */
	expect_drop(&o, 33, 0, VTEP_DROP_TRUNCATED);       /* no IPv4 header */
	expect_drop(&o, 14 + 20 + 4, 0, VTEP_DROP_TRUNCATED);   /* inside UDP */
	expect_drop(&o, 14 + 20 + 15, 0, VTEP_DROP_TRUNCATED);  /* inside VXLAN */
	expect_drop(&o, 14 + 20 + 16 + 63, 0, VTEP_DROP_TRUNCATED); /* inner cut */

	/* IP total length larger than the frame. */
	o.total_length = 20 + 16 + 64 + 1;
	expect_drop(&o, 0, 0, VTEP_DROP_TRUNCATED);

	/* IP total length too short for UDP and VXLAN. */
	o.total_length = 20 + 15;
	expect_drop(&o, 0, 0, VTEP_DROP_TRUNCATED);

	/* Options announced but cut off. */
	o = outer_default;
	o.vhl = 0x4f;
	o.inner_len = 0;
	expect_drop(&o, 14 + 40, 0, VTEP_DROP_TRUNCATED);

	/* Headers straddling two segments are not read across them. */
	o = outer_default;
	len = outer_build(b, &o);
	m = mbuf_from(b, 40);
	tail = mbuf_from(b + 40, len - 40);
	assert_int_equal(rte_pktmbuf_chain(m, tail), 0);
	assert_int_equal(vtep_decap_classify(dctx(), m, &ri), VTEP_RX_DROP);
	assert_int_equal(ri.drop, VTEP_DROP_TRUNCATED);
	rte_pktmbuf_free(m);
}

static void
test_decap_ip_bad_header(void **state)
{
	struct outer o = outer_default;

	(void)state;
	o.vhl = 0x65;                  /* version 6 */
	expect_drop(&o, 0, 0, VTEP_DROP_IP_BAD_HDR);
	o.vhl = 0x44;                  /* IHL 4: 16 bytes */
	expect_drop(&o, 0, 0, VTEP_DROP_IP_BAD_HDR);
	o.vhl = 0x45;
	o.total_length = 19;           /* shorter than the header */
	expect_drop(&o, 0, 0, VTEP_DROP_IP_BAD_HDR);
	o.vhl = 0x46;
	o.total_length = 23;
	expect_drop(&o, 0, 0, VTEP_DROP_IP_BAD_HDR);
}

static void
test_decap_ip_bad_checksum(void **state)
{
	struct outer o = outer_default;

	(void)state;
	o.bad_csum = true;
	expect_drop(&o, 0, 0, VTEP_DROP_IP_BAD_CSUM);
	/* Options are covered by the checksum too. */
	o.vhl = 0x46;
	expect_drop(&o, 0, 0, VTEP_DROP_IP_BAD_CSUM);
}

static void
test_decap_rx_cksum_bad_flag_drops(void **state)
{
	struct outer o = outer_default;

	(void)state;
	/* The PMD's verdict wins over a checksum that looks right. */
	expect_drop(&o, 0, RTE_MBUF_F_RX_IP_CKSUM_BAD, VTEP_DROP_IP_BAD_CSUM);
}

static void
test_decap_rx_cksum_good_flag_skips_check(void **state)
{
	struct outer o = outer_default;

	(void)state;
	o.bad_csum = true;
	expect_vxlan(&o, RTE_MBUF_F_RX_IP_CKSUM_GOOD, VNI, 50);
}

static void
test_decap_ip_fragment(void **state)
{
	struct outer o = outer_default;

	(void)state;
	o.frag = 0x2000;               /* MF */
	expect_drop(&o, 0, 0, VTEP_DROP_IP_FRAGMENT);
	o.frag = 0x0001;               /* offset 8 bytes */
	expect_drop(&o, 0, 0, VTEP_DROP_IP_FRAGMENT);
	o.frag = 0x1fff;               /* largest offset */
	expect_drop(&o, 0, 0, VTEP_DROP_IP_FRAGMENT);
}

static void
test_decap_not_for_us(void **state)
{
	struct outer o;

	(void)state;
	o = outer_default;
	o.dst = LOCAL_IP + 1;
	expect_drop(&o, 0, 0, VTEP_DROP_NOT_FOR_US);
	o = outer_default;
	o.dport = 4790;
	expect_drop(&o, 0, 0, VTEP_DROP_NOT_FOR_US);
	o = outer_default;
	o.proto = 6;                   /* TCP */
	expect_drop(&o, 0, 0, VTEP_DROP_NOT_FOR_US);
	o = outer_default;
	o.ether_type = 0x86dd;         /* IPv6 */
	expect_drop(&o, 0, 0, VTEP_DROP_NOT_FOR_US);
}

static void
test_decap_vxlan_bad_flags(void **state)
{
	struct outer o = outer_default;

	(void)state;
	o.vx_flags = 0;
	expect_drop(&o, 0, 0, VTEP_DROP_VXLAN_BAD_FLAGS);
	/* Every bit but I. */
	o.vx_flags = 0xf7ffffff;
	expect_drop(&o, 0, 0, VTEP_DROP_VXLAN_BAD_FLAGS);
}

static void
test_decap_inner_too_short(void **state)
{
	struct outer o = outer_default;

	(void)state;
	o.inner_len = 13;
	expect_drop(&o, 0, 0, VTEP_DROP_INNER_TOO_SHORT);
	o.inner_len = 0;
	expect_drop(&o, 0, 0, VTEP_DROP_INNER_TOO_SHORT);
	/* Padding does not make up for it. */
	o.inner_len = 13;
	o.pad = 30;
	expect_drop(&o, 0, 0, VTEP_DROP_INNER_TOO_SHORT);
	/* A bare Ethernet header is enough. */
	o.inner_len = 14;
	o.pad = 0;
	expect_vxlan(&o, 0, VNI, 50);
}

static void
test_decap_arp_punted(void **state)
{
	struct outer o = outer_default;
	struct vtep_rx_info ri;

	(void)state;
	o.ether_type = 0x0806;
	assert_int_equal(classify(&o, 42, 0, &ri), VTEP_RX_PUNT);
}

static void
test_decap_icmp_to_local_punted(void **state)
{
	struct outer o = outer_default;
	struct vtep_rx_info ri;

	(void)state;
	o.proto = 1;
	assert_int_equal(classify(&o, 0, 0, &ri), VTEP_RX_PUNT);
}

static void
test_decap_icmp_to_other_dropped(void **state)
{
	struct outer o = outer_default;

	(void)state;
	o.proto = 1;
	o.dst = LOCAL_IP + 1;
	expect_drop(&o, 0, 0, VTEP_DROP_NOT_FOR_US);
}

/* ---- strict receive: what a NIC filter and the IPv4/UDP input would drop ---- */

static void
test_decap_eth_dst_not_ours(void **state)
{
	static const uint8_t other[6] = { 0x02, 0xaa, 0x00, 0x00, 0x00, 0x09 };
	static const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0x01, 0x02, 0x03 };
	struct outer o = outer_default;

	(void)state;
	o.eth_dst = other;
	expect_drop(&o, 0, 0, VTEP_DROP_ETH_NOT_OURS);
	/* No group is joined: a multicast destination is not ours. */
	o.eth_dst = mcast;
	expect_drop(&o, 0, 0, VTEP_DROP_ETH_NOT_OURS);
	o.ether_type = 0x0806;
	expect_drop(&o, 0, 0, VTEP_DROP_ETH_NOT_OURS);
}

static void
test_decap_broadcast_only_arp(void **state)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct outer o = outer_default;
	struct vtep_rx_info ri;

	(void)state;
	o.eth_dst = bcast;
	expect_drop(&o, 0, 0, VTEP_DROP_L2_BCAST_NOT_ARP);
	o.proto = 1;
	expect_drop(&o, 0, 0, VTEP_DROP_L2_BCAST_NOT_ARP);
	o.ether_type = 0x0806;
	assert_int_equal(classify(&o, 0, 0, &ri), VTEP_RX_PUNT);
}

static void
test_decap_martian_source(void **state)
{
	static const uint32_t bad[] = {
		0xe0000001u,      /* 224.0.0.1 */
		0xefffffffu,      /* 239.255.255.255 */
		0xffffffffu,      /* limited broadcast */
		0x00000000u,      /* 0.0.0.0 */
		0x00010203u,      /* 0.1.2.3 */
		0x7f000001u,      /* 127.0.0.1 */
		LOCAL_IP,         /* ourselves */
		LOCAL_IP | 0xff,  /* our prefix's broadcast */
	};
	struct outer o = outer_default;
	unsigned k;

	(void)state;
	for (k = 0; k < RTE_DIM(bad); k++) {
		o.src = bad[k];
		expect_drop(&o, 0, 0, VTEP_DROP_IP_BAD_SRC);
	}
	/* The neighbours of those are fine. */
	o.src = 0xdfffffffu;  /* 223.255.255.255 */
	expect_vxlan(&o, 0, VNI, 50);
	o.src = LOCAL_IP + 1;
	expect_vxlan(&o, 0, VNI, 50);
	o.src = 0x80000001u;  /* 128.0.0.1 */
	expect_vxlan(&o, 0, VNI, 50);
}

static void
test_decap_udp_length_must_match(void **state)
{
	struct outer o = outer_default;

	(void)state;
	o.udp_len = 16 + 64 + 1;   /* longer than the IP payload */
	expect_drop(&o, 0, 0, VTEP_DROP_UDP_BAD_LEN);
	o.udp_len = 16 + 64 - 1;   /* shorter: the kernel trims, we drop */
	expect_drop(&o, 0, 0, VTEP_DROP_UDP_BAD_LEN);
	o.udp_len = 7;             /* shorter than a UDP header */
	expect_drop(&o, 0, 0, VTEP_DROP_UDP_BAD_LEN);
	o.udp_len = -1;
	expect_vxlan(&o, 0, VNI, 50);
	/* Ethernet padding after the IP packet is no disagreement. */
	o.pad = 9;
	expect_vxlan(&o, 0, VNI, 50);
}

static void
test_decap_udp_checksum(void **state)
{
	struct outer o = outer_default;

	(void)state;
	o.udp_csum = true;
	expect_vxlan(&o, 0, VNI, 50);
	o.inner_len = 333;         /* odd length */
	expect_vxlan(&o, 0, VNI, 50);
	o.udp_csum_xor = 0x0100;
	expect_drop(&o, 0, 0, VTEP_DROP_UDP_BAD_CSUM);
	/* The port's verdict is taken when it gives one. */
	expect_vxlan(&o, RTE_MBUF_F_RX_L4_CKSUM_GOOD, VNI, 50);
	o.udp_csum_xor = 0;
	expect_drop(&o, 0, RTE_MBUF_F_RX_L4_CKSUM_BAD, VTEP_DROP_UDP_BAD_CSUM);
	/* Zero: no checksum, accepted whatever the port says (RFC 7348). */
	o.udp_csum = false;
	expect_vxlan(&o, 0, VNI, 50);
	expect_vxlan(&o, RTE_MBUF_F_RX_L4_CKSUM_BAD, VNI, 50);
}

static void
test_decap_outer_tos_reported(void **state)
{
	struct outer o = outer_default;
	struct vtep_rx_info ri;

	(void)state;
	o.tos = 0xb9;
	assert_int_equal(classify(&o, 0, 0, &ri), VTEP_RX_VXLAN);
	assert_int_equal(ri.outer_tos, 0xb9);
}

/* A chain of the bytes of b: segment k holds [cut[k-1], cut[k]). */
static struct rte_mbuf *
chain_from(const uint8_t *b, size_t len, const size_t *cut, unsigned ncut)
{
	struct rte_mbuf *head = NULL;
	size_t from = 0;
	unsigned k;

	for (k = 0; k <= ncut; k++) {
		size_t to = k < ncut ? cut[k] : len;
		struct rte_mbuf *seg = mbuf_from(b + from, to - from);

		if (head == NULL)
			head = seg;
		else
			assert_int_equal(rte_pktmbuf_chain(head, seg), 0);
		from = to;
	}
	return head;
}

static enum vtep_rx_kind
classify_chain(const struct outer *o, const size_t *cut, unsigned ncut, struct vtep_rx_info *ri)
{
	enum vtep_rx_kind k;
	struct rte_mbuf *m;
	uint8_t b[2048];
	size_t len = outer_build(b, o);

	m = chain_from(b, len, cut, ncut);
	k = vtep_decap_classify(dctx(), m, ri);
	rte_pktmbuf_free(m);
	return k;
}

/* A right checksum over a chain whose segments start at odd offsets of the
 * datagram (DPDK 22.11's rte_raw_cksum_mbuf() gets those wrong). */
static void
test_decap_udp_checksum_chained(void **state)
{
	static const size_t odd[] = { 65, 101, 140 }, even[] = { 64 };
	struct outer o = outer_default;
	struct vtep_rx_info ri;

	(void)state;
	o.udp_csum = true;
	o.inner_len = 200;
	assert_int_equal(classify_chain(&o, odd, 3, &ri), VTEP_RX_VXLAN);
	assert_int_equal(ri.inner_len, 200);
	assert_int_equal(classify_chain(&o, even, 1, &ri), VTEP_RX_VXLAN);
	o.udp_csum_xor = 0x0001;
	assert_int_equal(classify_chain(&o, odd, 3, &ri), VTEP_RX_DROP);
	assert_int_equal(ri.drop, VTEP_DROP_UDP_BAD_CSUM);
}

/* Headers are read from the first segment: the inner Ethernet header too. */
static void
test_decap_inner_eth_in_first_segment(void **state)
{
	static const size_t cut_in_inner_eth[] = { 50 + 10 }, cut_after[] = { 50 + 14 };
	struct outer o = outer_default;
	struct vtep_rx_info ri;

	(void)state;
	assert_int_equal(classify_chain(&o, cut_in_inner_eth, 1, &ri), VTEP_RX_DROP);
	assert_int_equal(ri.drop, VTEP_DROP_TRUNCATED);
	assert_int_equal(classify_chain(&o, cut_after, 1, &ri), VTEP_RX_VXLAN);
}

/* Padding that spans segments is cut whole, the spare segments freed. */
static void
test_pkt_truncate_chain(void **state)
{
	static const size_t cut[] = { 40, 80 };
	uint8_t b[128];
	struct rte_mbuf *m;
	unsigned k, avail;

	(void)state;
	for (k = 0; k < sizeof(b); k++)
		b[k] = (uint8_t)k;
	avail = rte_mempool_avail_count(pool);
	m = chain_from(b, 120, cut, 2);
	vtep_pkt_truncate(m, 50);           /* within segment 2 */
	assert_int_equal(rte_pktmbuf_pkt_len(m), 50);
	assert_int_equal(m->nb_segs, 2);
	assert_int_equal(rte_pktmbuf_data_len(m->next), 10);
	assert_null(m->next->next);
	assert_int_equal(rte_mempool_avail_count(pool), avail - 2);
	rte_pktmbuf_free(m);
	m = chain_from(b, 120, cut, 2);
	vtep_pkt_truncate(m, 40);           /* at a segment's end */
	assert_int_equal(rte_pktmbuf_pkt_len(m), 40);
	assert_int_equal(m->nb_segs, 1);
	assert_null(m->next);
	assert_memory_equal(rte_pktmbuf_mtod(m, const uint8_t *), b, 40);
	rte_pktmbuf_free(m);
	m = chain_from(b, 120, cut, 2);
	vtep_pkt_truncate(m, 100);          /* within the last: plain trim */
	assert_int_equal(rte_pktmbuf_pkt_len(m), 100);
	assert_int_equal(m->nb_segs, 3);
	rte_pktmbuf_free(m);
	assert_int_equal(rte_mempool_avail_count(pool), avail);
}

/* ---- the inner frame and ECN on decapsulation ---- */

/* An inner frame with IPv4 TOS @tos (or IPv6 traffic class with @v6). */
static size_t
inner_ecn_build(uint8_t *b, size_t len, uint8_t tos, bool v6, uint16_t vlan)
{
	struct inner in = inner_default;
	size_t l3;

	in.vlan = vlan;
	inner_build(b, len, &in);
	l3 = vlan == VTEP_VLAN_NONE ? 14 : 18;
	if (!v6) {
		b[l3 + 1] = tos;
		put16(b + l3 + 10, 0);
		put16(b + l3 + 10, csum(b + l3, 20));
	} else {
		put16(b + l3 - 2, 0x86dd);
		put32(b + l3, 0x60000000u | (uint32_t)tos << 20 | 0x12345);
		put16(b + l3 + 4, (uint16_t)(len - l3 - 40));
		b[l3 + 6] = 17;
		b[l3 + 7] = 9;
	}
	return l3;
}

static enum vtep_drop
inner_run(uint8_t *b, size_t len, uint8_t outer_tos, bool ecn, bool accept_vlan)
{
	struct rte_mbuf *m = mbuf_from(b, len);
	enum vtep_drop d = vtep_decap_inner(m, outer_tos, ecn, accept_vlan);

	memcpy(b, rte_pktmbuf_mtod(m, const uint8_t *), len);
	rte_pktmbuf_free(m);
	return d;
}

static void
test_inner_bad_source_mac(void **state)
{
	uint8_t b[128];

	(void)state;
	inner_ecn_build(b, 100, 0, false, VTEP_VLAN_NONE);
	b[6] |= 0x01;
	assert_int_equal(inner_run(b, 100, 0, true, false), VTEP_DROP_INNER_BAD_SRC);
	memset(b + 6, 0, 6);
	assert_int_equal(inner_run(b, 100, 0, true, false), VTEP_DROP_INNER_BAD_SRC);
	inner_ecn_build(b, 100, 0, false, VTEP_VLAN_NONE);
	assert_int_equal(inner_run(b, 100, 0, true, false), VTEP_DROP_NONE);
}

static void
test_inner_link_local_dropped(void **state)
{
	static const uint8_t stp[6] = { 0x01, 0x80, 0xc2, 0x00, 0x00, 0x00 };
	uint8_t b[128];
	unsigned last;

	(void)state;
	for (last = 0; last <= 0x10; last++) {
		inner_ecn_build(b, 100, 0, false, VTEP_VLAN_NONE);
		memcpy(b, stp, 6);
		b[5] = (uint8_t)last;
		assert_int_equal(inner_run(b, 100, 0, true, false),
				 last < 0x10 ? VTEP_DROP_INNER_LINK_LOCAL : VTEP_DROP_NONE);
	}
	assert_true(vtep_link_local(&(struct rte_ether_addr){ { 0x01, 0x80, 0xc2, 0, 0, 0x0e } }));
	assert_false(vtep_link_local(&(struct rte_ether_addr){ { 0x01, 0x80, 0xc2, 0, 1, 0x00 } }));
}

static void
test_inner_vlan_policy(void **state)
{
	uint8_t b[128];

	(void)state;
	inner_ecn_build(b, 100, 0, false, 10);
	assert_int_equal(inner_run(b, 100, 0, true, false), VTEP_DROP_INNER_VLAN);
	assert_int_equal(inner_run(b, 100, 0, true, true), VTEP_DROP_NONE);
	put16(b + 12, 0x88a8);  /* 802.1ad */
	assert_int_equal(inner_run(b, 100, 0, true, false), VTEP_DROP_INNER_VLAN);
	inner_ecn_build(b, 100, 0, false, VTEP_VLAN_NONE);
	assert_int_equal(inner_run(b, 100, 0, true, false), VTEP_DROP_NONE);
}

static void
test_inner_ip_truncated(void **state)
{
	uint8_t b[128];

	(void)state;
	inner_ecn_build(b, 100, 0, false, VTEP_VLAN_NONE);
	assert_int_equal(inner_run(b, 14 + 19, 0, true, false), VTEP_DROP_INNER_IP_TRUNC);
	assert_int_equal(inner_run(b, 14 + 20, 0, true, false), VTEP_DROP_NONE);
	inner_ecn_build(b, 100, 0, true, VTEP_VLAN_NONE);
	assert_int_equal(inner_run(b, 14 + 39, 0, true, false), VTEP_DROP_INNER_IP_TRUNC);
	assert_int_equal(inner_run(b, 14 + 40, 0, true, false), VTEP_DROP_NONE);
	/* Behind an accepted tag too. */
	inner_ecn_build(b, 100, 0, false, 7);
	assert_int_equal(inner_run(b, 18 + 19, 0, true, true), VTEP_DROP_INNER_IP_TRUNC);
	/* Anything else is not looked into. */
	inner_ecn_build(b, 100, 0, false, VTEP_VLAN_NONE);
	put16(b + 12, 0x0806);
	assert_int_equal(inner_run(b, 20, 0, true, false), VTEP_DROP_NONE);
}

/*
 * RFC 6040 section 4.2 as the kernel applies it: only an outer CE acts; it
 * marks an ECN-capable inner packet CE and drops a Not-ECT one.
 */
static void
check_ecn_decap(bool v6, uint16_t vlan)
{
	static const uint8_t dscp = 0xb8;
	unsigned outer, inner;

	for (outer = 0; outer < 4; outer++) {
		for (inner = 0; inner < 4; inner++) {
			uint8_t b[128], want[128];
			size_t l3 = inner_ecn_build(b, 100, (uint8_t)(dscp | inner), v6, vlan);
			enum vtep_drop d;
			bool ce = outer == VTEP_ECN_CE;

			memcpy(want, b, sizeof(want));
			d = inner_run(b, 100, (uint8_t)(0x20 | outer), true, vlan != VTEP_VLAN_NONE);
			if (ce && inner == VTEP_ECN_NOT_ECT) {
				assert_int_equal(d, VTEP_DROP_ECN_CE_NOT_ECT);
				continue;
			}
			assert_int_equal(d, VTEP_DROP_NONE);
			if (ce && inner != VTEP_ECN_CE) {
				if (!v6) {
					want[l3 + 1] = dscp | VTEP_ECN_CE;
					put16(want + l3 + 10, 0);
					put16(want + l3 + 10, csum(want + l3, 20));
				} else {
					put32(want + l3, 0x60000000u |
					      (uint32_t)(dscp | VTEP_ECN_CE) << 20 | 0x12345);
				}
			}
			assert_memory_equal(b, want, 100);
			if (!v6)
				assert_int_equal(csum(b + l3, 20), 0);
		}
	}
}

static void
test_ecn_decap_ipv4(void **state)
{
	(void)state;
	check_ecn_decap(false, VTEP_VLAN_NONE);
	check_ecn_decap(false, 42);
}

static void
test_ecn_decap_ipv6(void **state)
{
	(void)state;
	check_ecn_decap(true, VTEP_VLAN_NONE);
}

static void
test_ecn_decap_off_ignores_outer(void **state)
{
	uint8_t b[128], want[128];

	(void)state;
	inner_ecn_build(b, 100, 0, false, VTEP_VLAN_NONE);
	memcpy(want, b, sizeof(want));
	assert_int_equal(inner_run(b, 100, VTEP_ECN_CE, false, false), VTEP_DROP_NONE);
	assert_memory_equal(b, want, 100);
	inner_ecn_build(b, 100, VTEP_ECN_ECT0, false, VTEP_VLAN_NONE);
	memcpy(want, b, sizeof(want));
	assert_int_equal(inner_run(b, 100, VTEP_ECN_CE, false, false), VTEP_DROP_NONE);
	assert_memory_equal(b, want, 100);
	/* A non-IP frame under CE is delivered as it is. */
	inner_ecn_build(b, 100, 0, false, VTEP_VLAN_NONE);
	put16(b + 12, 0x0806);
	memcpy(want, b, sizeof(want));
	assert_int_equal(inner_run(b, 100, VTEP_ECN_CE, true, false), VTEP_DROP_NONE);
	assert_memory_equal(b, want, 100);
}

/* ---- TOS, ECN and TTL on encapsulation ---- */

/* Encapsulate an inner frame under ctx @c; the outer TOS and TTL, and the
 * outer IPv4 checksum checked. */
static void
encap_qos(struct vtep_encap_ctx *c, const uint8_t *in, size_t len, uint8_t *tos, uint8_t *ttl)
{
	struct vtep_tmpl_params p;
	struct vtep_tmpl t;
	struct rte_mbuf *m = mbuf_from(in, len);
	const uint8_t *o;

	tmpl_params(&p, true);
	assert_int_equal(vtep_tmpl_build(&t, &p), 0);
	assert_int_equal(vtep_encap(c, &t, m, VNI, 50000, vtep_encap_qos(c, m)), VTEP_DROP_NONE);
	o = rte_pktmbuf_mtod(m, const uint8_t *);
	assert_int_equal(csum(o + 14, 20), 0);
	*tos = o[15];
	*ttl = o[22];
	/* The inner frame is never changed on the way in. */
	assert_memory_equal(o + 50, in, len);
	rte_pktmbuf_free(m);
}

static struct vtep_encap_ctx
qos_ctx(uint8_t tos, bool tos_inherit, uint8_t ttl, bool ttl_inherit, bool ecn)
{
	struct vtep_encap_ctx c = {
		.sport_span = 0, .mtu = 1500, .df = true,
		.tos = tos, .tos_inherit = tos_inherit,
		.ttl = ttl, .ttl_inherit = ttl_inherit, .ecn = ecn,
	};
	return c;
}

static void
test_encap_tos_ttl_configured(void **state)
{
	struct vtep_encap_ctx c = qos_ctx(0xb8, false, 17, false, false);
	uint8_t b[128], tos, ttl;
	unsigned v;

	(void)state;
	inner_ecn_build(b, 100, 0x03, false, VTEP_VLAN_NONE);
	encap_qos(&c, b, 100, &tos, &ttl);
	assert_int_equal(tos, 0xb8);
	assert_int_equal(ttl, 17);
	/* Every TOS and TTL keeps the incremental checksum right. */
	for (v = 0; v < 256; v += 4) {
		c = qos_ctx((uint8_t)v, false, (uint8_t)(v ? v : 1), false, false);
		encap_qos(&c, b, 100, &tos, &ttl);
		assert_int_equal(tos, v);
	}
}

static void
test_encap_tos_inherit(void **state)
{
	struct vtep_encap_ctx c = qos_ctx(0x20, true, 64, false, false);
	uint8_t b[128], tos, ttl;

	(void)state;
	inner_ecn_build(b, 100, 0xb9, false, VTEP_VLAN_NONE);
	encap_qos(&c, b, 100, &tos, &ttl);
	assert_int_equal(tos, 0xb8);     /* DSCP only: ECN off */
	inner_ecn_build(b, 100, 0x68, true, VTEP_VLAN_NONE);
	encap_qos(&c, b, 100, &tos, &ttl);
	assert_int_equal(tos, 0x68);
	/* Behind a tag (a frame left double-tagged). */
	inner_ecn_build(b, 100, 0x48, false, 5);
	encap_qos(&c, b, 100, &tos, &ttl);
	assert_int_equal(tos, 0x48);
	/* Not IP: DSCP 0. */
	inner_ecn_build(b, 100, 0xb8, false, VTEP_VLAN_NONE);
	put16(b + 12, 0x0806);
	encap_qos(&c, b, 100, &tos, &ttl);
	assert_int_equal(tos, 0);
	assert_int_equal(ttl, 64);
}

/* RFC 6040 section 4.1, normal mode (the kernel's INET_ECN_encapsulate). */
static void
test_encap_ecn_rfc6040(void **state)
{
	static const uint8_t want[4] = {
		[VTEP_ECN_NOT_ECT] = VTEP_ECN_NOT_ECT, [VTEP_ECN_ECT1] = VTEP_ECN_ECT1,
		[VTEP_ECN_ECT0] = VTEP_ECN_ECT0, [VTEP_ECN_CE] = VTEP_ECN_ECT0,
	};
	uint8_t b[128], tos, ttl;
	unsigned e, v6;

	(void)state;
	for (v6 = 0; v6 < 2; v6++) {
		for (e = 0; e < 4; e++) {
			struct vtep_encap_ctx c = qos_ctx(0x20, false, 64, false, true);

			inner_ecn_build(b, 100, (uint8_t)(0xb8 | e), v6, VTEP_VLAN_NONE);
			encap_qos(&c, b, 100, &tos, &ttl);
			assert_int_equal(tos, 0x20 | want[e]);
			c = qos_ctx(0, true, 64, false, true);
			encap_qos(&c, b, 100, &tos, &ttl);
			assert_int_equal(tos, 0xb8 | want[e]);
		}
	}
	/* Not IP: Not-ECT. */
	inner_ecn_build(b, 100, 0x03, false, VTEP_VLAN_NONE);
	put16(b + 12, 0x0806);
	{
		struct vtep_encap_ctx c = qos_ctx(0x20, false, 64, false, true);

		encap_qos(&c, b, 100, &tos, &ttl);
		assert_int_equal(tos, 0x20);
	}
}

static void
test_encap_ttl_inherit(void **state)
{
	struct vtep_encap_ctx c = qos_ctx(0, false, 64, true, false);
	struct inner in = inner_default;
	uint8_t b[128], tos, ttl;

	(void)state;
	in.ttl = 33;
	inner_build(b, 100, &in);
	encap_qos(&c, b, 100, &tos, &ttl);
	assert_int_equal(ttl, 33);
	inner_ecn_build(b, 100, 0, true, VTEP_VLAN_NONE);  /* hop limit 9 */
	encap_qos(&c, b, 100, &tos, &ttl);
	assert_int_equal(ttl, 9);
	in.ttl = 0;                                         /* never sent as 0 */
	inner_build(b, 100, &in);
	encap_qos(&c, b, 100, &tos, &ttl);
	assert_int_equal(ttl, 64);
	inner_ecn_build(b, 100, 0, false, VTEP_VLAN_NONE);
	put16(b + 12, 0x0806);                              /* not IP: the default */
	encap_qos(&c, b, 100, &tos, &ttl);
	assert_int_equal(ttl, 64);
	/* A truncated IPv4 header is not IP either. */
	in.ttl = 33;
	inner_build(b, 100, &in);
	encap_qos(&c, b, 14 + 19, &tos, &ttl);
	assert_int_equal(ttl, 64);
}

/* ---- drop names ---- */

static void
test_drop_names(void **state)
{
	unsigned a, b;

	(void)state;
	for (a = 0; a < VTEP_DROP_MAX; a++) {
		const char *n = vtep_drop_name((enum vtep_drop)a);
		const char *h = vtep_drop_help((enum vtep_drop)a);

		assert_non_null(n);
		assert_non_null(h);
		assert_true(n[0] != '\0' && strcmp(n, "?") != 0);
		assert_true(h[0] != '\0' && strcmp(h, "?") != 0);
		/* Names are metric labels: lower case and underscores. */
		assert_int_equal(strspn(n, "abcdefghijklmnopqrstuvwxyz_"), strlen(n));
		for (b = 0; b < a; b++) {
			assert_string_not_equal(n, vtep_drop_name((enum vtep_drop)b));
			assert_string_not_equal(h, vtep_drop_help((enum vtep_drop)b));
		}
	}
	/* The table follows the enum. */
	assert_string_equal(vtep_drop_name(VTEP_DROP_TRUNCATED), "truncated");
	assert_string_equal(vtep_drop_name(VTEP_DROP_MTU_EXCEEDED), "mtu_exceeded");
	assert_string_equal(vtep_drop_name(VTEP_DROP_TX_FULL), "tx_full");

	assert_string_equal(vtep_drop_name(VTEP_DROP_MAX), "?");
	assert_string_equal(vtep_drop_help(VTEP_DROP_MAX), "?");
	assert_string_equal(vtep_drop_name((enum vtep_drop)-1), "?");
	assert_string_equal(vtep_drop_help((enum vtep_drop)1000), "?");
}

/* ---- addresses ---- */

static void
test_ip_parse_str_round_trip(void **state)
{
	static const struct { const char *s; uint32_t a; } ok[] = {
		{ "192.0.2.1", 0xc0000201 },
		{ "0.0.0.0", 0 },
		{ "255.255.255.255", 0xffffffff },
		{ "10.1.2.3", 0x0a010203 },
	};
	char buf[64];
	unsigned k;

	(void)state;
	for (k = 0; k < RTE_DIM(ok); k++) {
		struct vtep_ip ip, want = vtep_ip4(rte_cpu_to_be_32(ok[k].a));

		memset(&ip, 0xa5, sizeof(ip));
		assert_int_equal(vtep_ip_parse(ok[k].s, &ip), 0);
		assert_int_equal(ip.family, AF_INET);
		assert_int_equal(rte_be_to_cpu_32(ip.v4), ok[k].a);
		assert_true(vtep_ip_eq(&ip, &want));
		assert_ptr_equal(vtep_ip_str(&ip, buf, sizeof(buf)), buf);
		assert_string_equal(buf, ok[k].s);
	}
}

static void
test_ip_parse_invalid(void **state)
{
	static const char *const bad[] = {
		"", "1.2.3", "1.2.3.4.5", "256.0.0.1", "a.b.c.d", " 1.2.3.4",
		"1.2.3.4 ", "1.2.3.4/24", "::1",
	};
	struct vtep_ip ip;
	unsigned k;

	(void)state;
	for (k = 0; k < RTE_DIM(bad); k++)
		assert_int_equal(vtep_ip_parse(bad[k], &ip), -EINVAL);
	assert_int_equal(vtep_ip_parse(NULL, &ip), -EINVAL);
}

#define T(f) cmocka_unit_test_setup_teardown(f, mark_pool, no_leak)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_tmpl_df_set),
		T(test_tmpl_df_clear_other_ttl_port),
		T(test_tmpl_rejects_non_ipv4),
		T(test_tmpl_rejects_ttl0_port0),
		T(test_encap_64),
		T(test_encap_1000),
		T(test_encap_1450),
		T(test_encap_df_clear_ip_id_increments),
		T(test_encap_csum_offload),
		T(test_encap_mtu_exceeded),
		T(test_encap_no_headroom),
		T(test_sport_in_range),
		T(test_sport_spread),
		T(test_hash_same_flow_same_hash),
		T(test_hash_untagged_uses_ip_ports),
		T(test_hash_vlan_tagged_uses_ip_ports),
		T(test_hash_uses_protocol),
		T(test_hash_fragments_ignore_ports),
		T(test_decap_valid),
		T(test_decap_reserved_bits_ignored),
		T(test_decap_other_flag_bits_ignored),
		T(test_decap_ip_options),
		T(test_decap_padding_excluded),
		T(test_decap_truncated),
		T(test_decap_ip_bad_header),
		T(test_decap_ip_bad_checksum),
		T(test_decap_rx_cksum_bad_flag_drops),
		T(test_decap_rx_cksum_good_flag_skips_check),
		T(test_decap_ip_fragment),
		T(test_decap_not_for_us),
		T(test_decap_vxlan_bad_flags),
		T(test_decap_inner_too_short),
		T(test_decap_arp_punted),
		T(test_decap_icmp_to_local_punted),
		T(test_decap_icmp_to_other_dropped),
		T(test_decap_eth_dst_not_ours),
		T(test_decap_broadcast_only_arp),
		T(test_decap_martian_source),
		T(test_decap_udp_length_must_match),
		T(test_decap_udp_checksum),
		T(test_decap_outer_tos_reported),
		T(test_decap_udp_checksum_chained),
		T(test_decap_inner_eth_in_first_segment),
		T(test_pkt_truncate_chain),
		T(test_inner_bad_source_mac),
		T(test_inner_link_local_dropped),
		T(test_inner_vlan_policy),
		T(test_inner_ip_truncated),
		T(test_ecn_decap_ipv4),
		T(test_ecn_decap_ipv6),
		T(test_ecn_decap_off_ignores_outer),
		T(test_encap_tos_ttl_configured),
		T(test_encap_tos_inherit),
		T(test_encap_ecn_rfc6040),
		T(test_encap_ttl_inherit),
		T(test_drop_names),
		T(test_ip_parse_str_round_trip),
		T(test_ip_parse_invalid),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
