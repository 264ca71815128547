/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/bum: head-end replication of one inner frame to several
 * remote VTEPs, private copies for local bindings, and flooding a frame
 * from an access port or from the tunnel (split horizon, unresolved
 * remotes, several rounds, storm control).
 *
 * Every pool is counted before and after each test: replication juggles
 * header mbufs, indirect clones and refcounts, and a leak there empties a
 * pool within seconds at line rate. Outer headers are checked field by field
 * against values written here, with an independent IPv4 checksum.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "bum.h"
#include "test_eal.h"
#include "vtep.h"

#define FRAME_N 48
#define HDR_N 40
#define CLONE_N 40
#define COPY_N 40
/* More than a round of bum_flood_access(), to see it take two. */
#define MAX_REMOTES 40

#define LOCAL_IP 0xc0000201u   /* 192.0.2.1 */
#define REMOTE_IP 0xc6336401u  /* 198.51.100.1, .2, ... */
#define VNI 5000
#define SPORT 50001
/* The outer TOS and TTL every copy carries: not the defaults, so that a
 * copy built from the template alone shows. */
static const struct vtep_qos QOS = { .tos = 0x2a, .ttl = 41 };

enum { P_FRAME, P_HDR, P_CLONE, P_COPY, P_NUM };

static struct rte_mempool *pools[P_NUM];
static const unsigned pool_n[P_NUM] = { FRAME_N, HDR_N, CLONE_N, COPY_N };
static unsigned avail_before[P_NUM];

/* Mbufs a test took out of a pool to empty it. */
static struct rte_mbuf *held[HDR_N + CLONE_N + COPY_N];
static unsigned n_held;

static struct vtep_tmpl tmpls[MAX_REMOTES];
static const struct vtep_tmpl *tmpl_ptrs[MAX_REMOTES];

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
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
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Next hop MAC of remote k. */
static void
nh_mac(uint8_t *mac, unsigned k)
{
	static const uint8_t base[6] = { 0x02, 0xbb, 0x00, 0x00, 0x00, 0x00 };

	memcpy(mac, base, 6);
	mac[5] = (uint8_t)(k + 1);
}

/* A broadcast inner frame of len bytes; seed varies the payload. */
static void
inner_build(uint8_t *b, size_t len, uint8_t seed)
{
	static const uint8_t smac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
	size_t i;

	memset(b, 0xff, 6);
	memcpy(b + 6, smac, 6);
	put16(b + 12, 0x0806);
	for (i = 14; i < len; i++)
		b[i] = (uint8_t)(i * 13 + seed);
}

static struct rte_mbuf *
frame(const uint8_t *b, size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pools[P_FRAME]);
	char *d;

	assert_non_null(m);
	d = rte_pktmbuf_append(m, (uint16_t)len);
	assert_non_null(d);
	memcpy(d, b, len);
	return m;
}

static struct vtep_encap_ctx
ctx(void)
{
	struct vtep_encap_ctx c = {
		.sport_min = VTEP_SPORT_MIN_DEFAULT,
		.sport_span = VTEP_SPORT_MAX_DEFAULT - VTEP_SPORT_MIN_DEFAULT + 1,
		.mtu = 1500,
		.df = true,
	};

	return c;
}

static struct bum_pools
chained_pools(void)
{
	struct bum_pools p = {
		.hdr = pools[P_HDR],
		.clone = pools[P_CLONE],
		.copy = pools[P_COPY],
	};

	return p;
}

static struct bum_pools
whole_copy_pools(void)
{
	struct bum_pools p = chained_pools();

	/* A port that cannot send chains. */
	p.hdr = NULL;
	return p;
}

/*
 * Copy out of replication is a complete underlay frame for remote k:
 * its own outer header, then the untouched inner frame.
 */
static void
check_copy(struct rte_mbuf *m, unsigned k, const uint8_t *inner, size_t inner_len)
{
	uint8_t buf[2048], mac[6];
	const uint8_t *o;

	assert_int_equal(rte_pktmbuf_pkt_len(m), inner_len + 50);
	o = rte_pktmbuf_read(m, 0, rte_pktmbuf_pkt_len(m), buf);
	assert_non_null(o);

	nh_mac(mac, k);
	assert_memory_equal(o, mac, 6);
	assert_int_equal(get16(o + 12), 0x0800);
	assert_int_equal(o[15], QOS.tos);
	assert_int_equal(get16(o + 16), inner_len + 36);
	assert_int_equal(o[22], QOS.ttl);
	assert_int_equal(get32(o + 26), LOCAL_IP);
	assert_int_equal(get32(o + 30), REMOTE_IP + k);
	assert_int_equal(csum(o + 14, 20), 0);
	assert_int_equal(get16(o + 34), SPORT);
	assert_int_equal(get16(o + 36), VTEP_UDP_PORT_DEFAULT);
	assert_int_equal(get16(o + 38), inner_len + 16);
	assert_int_equal(get32(o + 42), 0x08000000);
	assert_int_equal(get32(o + 46), (uint32_t)VNI << 8);
	assert_memory_equal(o + 50, inner, inner_len);
}

static void
assert_pool_restored(unsigned p)
{
	assert_int_equal(rte_mempool_avail_count(pools[p]), avail_before[p]);
}

static void
assert_pools_restored(void)
{
	unsigned p;

	for (p = 0; p < P_NUM; p++)
		assert_pool_restored(p);
}

static void
free_all(struct rte_mbuf **out, unsigned n)
{
	unsigned k;

	for (k = 0; k < n; k++)
		rte_pktmbuf_free(out[k]);
}

/* Take mbufs from pool p until only left remain. */
static void
drain(unsigned p, unsigned left)
{
	unsigned n = rte_mempool_avail_count(pools[p]) - left;

	assert_in_range(n_held + n, 0, RTE_DIM(held));
	assert_int_equal(rte_pktmbuf_alloc_bulk(pools[p], held + n_held, n), 0);
	n_held += n;
	assert_int_equal(rte_mempool_avail_count(pools[p]), left);
}

static void
give_back(void)
{
	free_all(held, n_held);
	n_held = 0;
}

static int
group_setup(void **state)
{
	static const char *const names[P_NUM] = {
		"bum_frame", "bum_hdr", "bum_clone", "bum_copy",
	};
	/* Header mbufs hold only the headroom the outer header goes into;
	 * clones hold no data at all. */
	const uint16_t room[P_NUM] = {
		RTE_MBUF_DEFAULT_BUF_SIZE, RTE_PKTMBUF_HEADROOM, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
	};
	unsigned p, k;

	(void)state;
	test_eal_init();
	for (p = 0; p < P_NUM; p++) {
		/* No per-lcore cache, so that counts are exact. */
		pools[p] = rte_pktmbuf_pool_create(names[p], pool_n[p], 0, 0, room[p],
						   SOCKET_ID_ANY);
		if (pools[p] == NULL)
			return -1;
	}
	for (k = 0; k < MAX_REMOTES; k++) {
		struct vtep_tmpl_params tp = {
			.src_mac = { { 0x02, 0xaa, 0x00, 0x00, 0x00, 0x01 } },
			.src = vtep_ip4(rte_cpu_to_be_32(LOCAL_IP)),
			.dst = vtep_ip4(rte_cpu_to_be_32(REMOTE_IP + k)),
			.udp_port = VTEP_UDP_PORT_DEFAULT,
			.ttl = VTEP_TTL_DEFAULT,
			.df = true,
		};

		nh_mac(tp.dst_mac.addr_bytes, k);
		if (vtep_tmpl_build(&tmpls[k], &tp) != 0)
			return -1;
		tmpl_ptrs[k] = &tmpls[k];
	}
	return 0;
}

static int
group_teardown(void **state)
{
	unsigned p;

	(void)state;
	for (p = 0; p < P_NUM; p++)
		rte_mempool_free(pools[p]);
	return 0;
}

static int
mark_pools(void **state)
{
	unsigned p;

	(void)state;
	for (p = 0; p < P_NUM; p++)
		avail_before[p] = rte_mempool_avail_count(pools[p]);
	return 0;
}

/* Each test gives back every mbuf, whatever it checked. */
static int
no_leak(void **state)
{
	unsigned p, n;
	int rc = 0;

	(void)state;
	/* Also after a failed test, so that the next one has its pools. */
	give_back();
	for (p = 0; p < P_NUM; p++) {
		n = rte_mempool_avail_count(pools[p]);
		if (n != avail_before[p]) {
			fprintf(stderr, "mbuf leak in %s: %u, %u before the test\n",
				pools[p]->name, n, avail_before[p]);
			rc = -1;
		}
	}
	return rc;
}

/* ---- replication ---- */

/* Replicate a 100-byte frame to n remotes over chained copies. */
static void
check_replicate_chained(unsigned n)
{
	struct bum_pools bp = chained_pools();
	struct vtep_encap_ctx c = ctx();
	struct rte_mbuf *m, *out[MAX_REMOTES];
	uint8_t in[100];
	struct bum_result r;
	unsigned k, j;

	inner_build(in, sizeof(in), (uint8_t)n);
	m = frame(in, sizeof(in));
	r = bum_replicate(&bp, &c, m, tmpl_ptrs, n, VNI, SPORT, QOS, out);
	assert_int_equal(r.sent, n);
	assert_int_equal(r.no_mbuf, 0);
	assert_int_equal(r.other, 0);

	/* Check only once all copies exist, so that a header shared between
	 * copies would show as a wrong destination. */
	for (k = 0; k < n; k++) {
		check_copy(out[k], k, in, sizeof(in));
		for (j = 0; j < k; j++)
			assert_ptr_not_equal(rte_pktmbuf_mtod(out[k], void *),
					     rte_pktmbuf_mtod(out[j], void *));
	}
	for (k = 0; k + 1 < n; k++) {
		struct rte_mbuf *seg = out[k]->next;

		/* A header mbuf holding the outer header only, then a clone
		 * of the original frame: the payload is never copied. */
		assert_ptr_equal(out[k]->pool, pools[P_HDR]);
		assert_int_equal(out[k]->nb_segs, 2);
		assert_int_equal(out[k]->data_len, 50);
		assert_non_null(seg);
		/* RTE_MBUF_CLONED() is the 22.11 name of RTE_MBUF_INDIRECT(). */
		assert_true(RTE_MBUF_CLONED(seg));
		assert_ptr_equal(seg->pool, pools[P_CLONE]);
		assert_ptr_equal(rte_mbuf_from_indirect(seg), m);
	}
	/* The last copy is the original mbuf; every clone holds a reference. */
	assert_ptr_equal(out[n - 1], m);
	assert_int_equal(m->nb_segs, 1);
	assert_int_equal(rte_mbuf_refcnt_read(m), n);

	free_all(out, n);
	assert_pools_restored();
}

static void
test_replicate_one(void **state)
{
	(void)state;
	check_replicate_chained(1);
}

static void
test_replicate_two_chained(void **state)
{
	(void)state;
	check_replicate_chained(2);
}

static void
test_replicate_five_chained(void **state)
{
	(void)state;
	check_replicate_chained(5);
}

static void
test_replicate_whole_copies(void **state)
{
	struct bum_pools bp = whole_copy_pools();
	static const unsigned ns[] = { 2, 5 };
	struct vtep_encap_ctx c = ctx();
	struct rte_mbuf *m, *out[MAX_REMOTES];
	struct bum_result r;
	uint8_t in[300];
	unsigned i, k, n;

	(void)state;
	for (i = 0; i < RTE_DIM(ns); i++) {
		n = ns[i];
		inner_build(in, sizeof(in), (uint8_t)i);
		m = frame(in, sizeof(in));
		r = bum_replicate(&bp, &c, m, tmpl_ptrs, n, VNI, SPORT, QOS, out);
		assert_int_equal(r.sent, n);
		assert_int_equal(r.no_mbuf + r.other, 0);
		for (k = 0; k < n; k++) {
			check_copy(out[k], k, in, sizeof(in));
			assert_int_equal(out[k]->nb_segs, 1);
			assert_true(RTE_MBUF_DIRECT(out[k]));
		}
		for (k = 0; k + 1 < n; k++)
			assert_ptr_equal(out[k]->pool, pools[P_COPY]);
		assert_ptr_equal(out[n - 1], m);
		assert_int_equal(rte_mbuf_refcnt_read(m), 1);
		/* Neither header mbufs nor clones are used. */
		assert_pool_restored(P_HDR);
		assert_pool_restored(P_CLONE);
		assert_int_equal(rte_mempool_avail_count(pools[P_COPY]),
				 avail_before[P_COPY] - (n - 1));

		free_all(out, n);
		assert_pools_restored();
	}
}

static void
test_replicate_zero_frees_frame(void **state)
{
	struct bum_pools bp = chained_pools();
	struct vtep_encap_ctx c = ctx();
	struct rte_mbuf *out[1] = { NULL };
	struct bum_result r;
	uint8_t in[64];

	(void)state;
	inner_build(in, sizeof(in), 0);
	r = bum_replicate(&bp, &c, frame(in, sizeof(in)), tmpl_ptrs, 0, VNI, SPORT, QOS, out);
	assert_int_equal(r.sent, 0);
	assert_int_equal(r.no_mbuf + r.other, 0);
	assert_null(out[0]);
	assert_pools_restored();
}

static void
test_replicate_mtu_exceeded(void **state)
{
	struct bum_pools bp = chained_pools();
	struct vtep_encap_ctx c = ctx();
	struct rte_mbuf *m, *out[3] = { NULL, NULL, NULL };
	struct bum_result r;
	uint8_t in[1500];

	(void)state;
	c.mtu = 1400;
	/* One byte too many for the underlay: no copy at all. */
	inner_build(in, 1400 - 36 + 1, 0);
	m = frame(in, 1400 - 36 + 1);
	r = bum_replicate(&bp, &c, m, tmpl_ptrs, 3, VNI, SPORT, QOS, out);
	assert_int_equal(r.sent, 0);
	assert_int_equal(r.other, 3);
	assert_int_equal(r.why, VTEP_DROP_MTU_EXCEEDED);
	assert_int_equal(r.no_mbuf, 0);
	assert_null(out[0]);
	/* The frame is consumed: freed. */
	assert_pools_restored();

	/* Exactly the MTU goes to everyone. */
	inner_build(in, 1400 - 36, 0);
	m = frame(in, 1400 - 36);
	r = bum_replicate(&bp, &c, m, tmpl_ptrs, 3, VNI, SPORT, QOS, out);
	assert_int_equal(r.sent, 3);
	assert_int_equal(r.other, 0);
	free_all(out, 3);
	assert_pools_restored();
}

static void
test_replicate_empty_header_pool(void **state)
{
	struct bum_pools bp = chained_pools();
	struct vtep_encap_ctx c = ctx();
	struct rte_mbuf *m, *out[MAX_REMOTES];
	struct bum_result r;
	uint8_t in[100];

	(void)state;
	inner_build(in, sizeof(in), 0);

	/* Two header mbufs for four chained copies: the first two copies
	 * go, two are counted lost, and the original still goes last. */
	drain(P_HDR, 2);
	m = frame(in, sizeof(in));
	r = bum_replicate(&bp, &c, m, tmpl_ptrs, 5, VNI, SPORT, QOS, out);
	assert_int_equal(r.sent, 3);
	assert_int_equal(r.no_mbuf, 2);
	assert_int_equal(r.other, 0);
	check_copy(out[0], 0, in, sizeof(in));
	check_copy(out[1], 1, in, sizeof(in));
	check_copy(out[2], 4, in, sizeof(in));
	assert_ptr_equal(out[2], m);
	/* A clone taken for a lost copy would keep a reference. */
	assert_int_equal(rte_mbuf_refcnt_read(m), 3);
	free_all(out, r.sent);

	/* None at all: only the original goes. */
	drain(P_HDR, 0);
	m = frame(in, sizeof(in));
	r = bum_replicate(&bp, &c, m, tmpl_ptrs, 3, VNI, SPORT, QOS, out);
	assert_int_equal(r.sent, 1);
	assert_int_equal(r.no_mbuf, 2);
	assert_ptr_equal(out[0], m);
	check_copy(out[0], 2, in, sizeof(in));
	assert_int_equal(rte_mbuf_refcnt_read(m), 1);
	free_all(out, r.sent);

	give_back();
	assert_pools_restored();
}

static void
test_replicate_empty_clone_pool(void **state)
{
	struct bum_pools bp = chained_pools();
	struct vtep_encap_ctx c = ctx();
	struct rte_mbuf *m, *out[MAX_REMOTES];
	struct bum_result r;
	uint8_t in[100];

	(void)state;
	inner_build(in, sizeof(in), 0);
	drain(P_CLONE, 0);
	m = frame(in, sizeof(in));
	r = bum_replicate(&bp, &c, m, tmpl_ptrs, 4, VNI, SPORT, QOS, out);
	assert_int_equal(r.sent, 1);
	assert_int_equal(r.no_mbuf, 3);
	assert_ptr_equal(out[0], m);
	check_copy(out[0], 3, in, sizeof(in));
	/* The header mbufs taken for the lost copies went back. */
	assert_pool_restored(P_HDR);
	free_all(out, r.sent);
	give_back();
	assert_pools_restored();
}

static void
test_replicate_empty_copy_pool(void **state)
{
	struct bum_pools bp = whole_copy_pools();
	struct vtep_encap_ctx c = ctx();
	struct rte_mbuf *m, *out[MAX_REMOTES];
	struct bum_result r;
	uint8_t in[100];

	(void)state;
	inner_build(in, sizeof(in), 0);
	drain(P_COPY, 1);
	m = frame(in, sizeof(in));
	r = bum_replicate(&bp, &c, m, tmpl_ptrs, 3, VNI, SPORT, QOS, out);
	assert_int_equal(r.sent, 2);
	assert_int_equal(r.no_mbuf, 1);
	check_copy(out[0], 0, in, sizeof(in));
	check_copy(out[1], 2, in, sizeof(in));
	assert_ptr_equal(out[1], m);
	free_all(out, r.sent);
	give_back();
	assert_pools_restored();
}

/* ---- local copies ---- */

static void
test_copy_independent_writable(void **state)
{
	struct rte_mbuf *m, *cp;
	uint8_t in[200];

	(void)state;
	inner_build(in, sizeof(in), 7);
	m = frame(in, sizeof(in));
	m->port = 3;
	m->vlan_tci = 42;

	cp = bum_copy(pools[P_COPY], m);
	assert_non_null(cp);
	assert_ptr_not_equal(cp, m);
	assert_ptr_equal(cp->pool, pools[P_COPY]);
	assert_true(RTE_MBUF_DIRECT(cp));
	assert_int_equal(rte_mbuf_refcnt_read(cp), 1);
	assert_int_equal(rte_mbuf_refcnt_read(m), 1);
	assert_int_equal(rte_pktmbuf_pkt_len(cp), sizeof(in));
	assert_memory_equal(rte_pktmbuf_mtod(cp, void *), in, sizeof(in));
	assert_int_equal(cp->port, 3);
	assert_int_equal(cp->vlan_tci, 42);

	/* Writing the copy (a VLAN push) leaves the original alone. */
	assert_non_null(rte_pktmbuf_prepend(cp, 4));
	memset(rte_pktmbuf_mtod(cp, void *), 0, 20);
	assert_memory_equal(rte_pktmbuf_mtod(m, void *), in, sizeof(in));

	rte_pktmbuf_free(cp);
	rte_pktmbuf_free(m);
	assert_pools_restored();
}

static void
test_copy_pool_empty(void **state)
{
	struct rte_mbuf *m;
	uint8_t in[64];

	(void)state;
	inner_build(in, sizeof(in), 0);
	m = frame(in, sizeof(in));
	drain(P_COPY, 0);
	assert_null(bum_copy(pools[P_COPY], m));
	/* The original is the caller's still. */
	assert_int_equal(rte_mbuf_refcnt_read(m), 1);
	assert_memory_equal(rte_pktmbuf_mtod(m, void *), in, sizeof(in));
	give_back();
	rte_pktmbuf_free(m);
	assert_pools_restored();
}

/* ---- flooding ---- */

#define N_PORTS 4
#define UPLINK 0
#define TSC_HZ 1000000u

static struct bum_txbuf txb[N_PORTS];
static uint64_t drops[VTEP_DROP_MAX];
static unsigned flushes[N_PORTS];
static bool flush_frees = true;
static struct bum_remote remotes[MAX_REMOTES];
static uint32_t flood_ids[MAX_REMOTES];
static struct bum_pools flood_pools;
static struct vtep_encap_ctx flood_ctx;

static void
flush_cb(void *arg, uint16_t port)
{
	(void)arg;
	flushes[port]++;
	if (flush_frees)
		free_all(txb[port].pkts, txb[port].n);
	txb[port].n = 0;
}

static void
tx_clear(void)
{
	for (unsigned p = 0; p < N_PORTS; p++) {
		free_all(txb[p].pkts, txb[p].n);
		txb[p].n = 0;
	}
}

/* A worker with empty TX buffers and counters, and remotes 0..n-1, all
 * resolved, as the VNI's flood list. */
static struct bum_worker
worker(struct bum_vni *v, unsigned n_remotes)
{
	memset(txb, 0, sizeof(txb));
	memset(drops, 0, sizeof(drops));
	memset(flushes, 0, sizeof(flushes));
	flush_frees = true;
	flood_pools = chained_pools();
	flood_ctx = ctx();
	memset(v, 0, sizeof(*v));
	v->vni = VNI;
	for (unsigned k = 0; k < MAX_REMOTES; k++) {
		remotes[k].tmpl = tmpls[k];
		remotes[k].ip = vtep_ip4(rte_cpu_to_be_32(REMOTE_IP + k));
		remotes[k].resolved = true;
		flood_ids[k] = k;
	}
	v->n_flood = n_remotes;
	v->flood = flood_ids;
	return (struct bum_worker){
		.pools = &flood_pools, .encap = &flood_ctx, .tx = txb, .flush = flush_cb,
		.drops = drops, .underlay = UPLINK, .tsc_hz = TSC_HZ,
	};
}

static void
add_binding(struct bum_vni *v, uint16_t port, uint16_t vlan)
{
	v->local[v->n_local++] = (struct bum_binding){ .port = port, .vlan = vlan };
}

/* The outer destination of a tunnel copy and its inner frame. */
static void
check_tunnel(struct rte_mbuf *m, uint32_t dst, const uint8_t *inner, size_t len)
{
	uint8_t buf[2048];
	const uint8_t *o = rte_pktmbuf_read(m, 0, rte_pktmbuf_pkt_len(m), buf);

	assert_non_null(o);
	assert_int_equal(rte_pktmbuf_pkt_len(m), len + 50);
	assert_int_equal(get32(o + 30), dst);
	assert_int_equal(get32(o + 46), (uint32_t)VNI << 8);
	assert_memory_equal(o + 50, inner, len);
}

static void
test_flood_access_split_horizon(void **state)
{
	struct bum_vni v;
	struct bum_worker w = worker(&v, 3);
	struct bum_bucket bucket = { 0 };
	uint8_t in[100], buf[2048];
	const uint8_t *o;
	struct bum_counts r;
	bool seen[3] = { false };

	(void)state;
	add_binding(&v, 1, VTEP_VLAN_NONE);        /* where the frame comes from */
	add_binding(&v, 2, VTEP_VLAN_NONE);
	add_binding(&v, 3, 10);
	inner_build(in, sizeof(in), 1);
	r = bum_flood_access(&w, &v, remotes, &bucket, frame(in, sizeof(in)), 1, VTEP_VLAN_NONE);
	assert_true(r.flooded);
	assert_false(r.storm);
	assert_int_equal(r.local, 2);
	assert_int_equal(r.tunnel, 3);
	assert_int_equal(r.bytes, sizeof(in));
	/* Never back where it came from. */
	assert_int_equal(txb[1].n, 0);
	assert_int_equal(txb[2].n, 1);
	assert_memory_equal(rte_pktmbuf_mtod(txb[2].pkts[0], void *), in, sizeof(in));
	/* The tagged binding gets its tag. */
	assert_int_equal(txb[3].n, 1);
	o = rte_pktmbuf_read(txb[3].pkts[0], 0, sizeof(in) + 4, buf);
	assert_non_null(o);
	assert_int_equal(get16(o + 12), 0x8100);
	assert_int_equal(get16(o + 14) & 0xfff, 10);
	assert_memory_equal(o + 16, in + 12, sizeof(in) - 12);
	/* One copy per remote, each with its own outer header. */
	assert_int_equal(txb[UPLINK].n, 3);
	for (unsigned i = 0; i < 3; i++) {
		uint32_t dst;

		o = rte_pktmbuf_read(txb[UPLINK].pkts[i], 30, 4, buf);
		dst = get32(o);
		assert_true(dst >= REMOTE_IP && dst < REMOTE_IP + 3);
		assert_false(seen[dst - REMOTE_IP]);
		seen[dst - REMOTE_IP] = true;
		check_tunnel(txb[UPLINK].pkts[i], dst, in, sizeof(in));
	}
	for (unsigned d = 0; d < VTEP_DROP_MAX; d++)
		assert_int_equal(drops[d], 0);
	tx_clear();
}

static void
test_flood_access_unresolved_skipped(void **state)
{
	struct bum_vni v;
	struct bum_worker w = worker(&v, 3);
	struct bum_bucket bucket = { 0 };
	uint8_t in[80];
	struct bum_counts r;

	(void)state;
	add_binding(&v, 1, VTEP_VLAN_NONE);
	remotes[1].resolved = false;
	inner_build(in, sizeof(in), 2);
	r = bum_flood_access(&w, &v, remotes, &bucket, frame(in, sizeof(in)), 1, VTEP_VLAN_NONE);
	assert_int_equal(r.tunnel, 2);
	assert_int_equal(r.local, 0);
	assert_int_equal(drops[VTEP_DROP_NEIGH_UNRESOLVED], 1);
	check_tunnel(txb[UPLINK].pkts[0], REMOTE_IP + 0, in, sizeof(in));
	check_tunnel(txb[UPLINK].pkts[1], REMOTE_IP + 2, in, sizeof(in));
	tx_clear();
}

static void
test_flood_access_no_target(void **state)
{
	struct bum_vni v;
	struct bum_worker w = worker(&v, 0);
	struct bum_bucket bucket = { 0 };
	uint8_t in[64];
	struct bum_counts r;

	(void)state;
	add_binding(&v, 1, 20);                      /* only the binding it came from */
	inner_build(in, sizeof(in), 3);
	r = bum_flood_access(&w, &v, remotes, &bucket, frame(in, sizeof(in)), 1, 20);
	assert_int_equal(r.local + r.tunnel, 0);
	assert_int_equal(drops[VTEP_DROP_FLOOD_NO_TARGET], 1);
	for (unsigned p = 0; p < N_PORTS; p++)
		assert_int_equal(txb[p].n, 0);
}

/* 40 remotes: a round of 32 from a copy, then 8 from the frame itself. */
static void
test_flood_access_two_rounds(void **state)
{
	struct bum_vni v;
	struct bum_worker w = worker(&v, MAX_REMOTES);
	struct bum_bucket bucket = { 0 };
	uint8_t in[90];
	struct bum_counts r;

	(void)state;
	assert_true(MAX_REMOTES > BUM_ROUND);
	add_binding(&v, 2, VTEP_VLAN_NONE);
	inner_build(in, sizeof(in), 4);
	r = bum_flood_access(&w, &v, remotes, &bucket, frame(in, sizeof(in)), 1, VTEP_VLAN_NONE);
	assert_int_equal(r.tunnel, MAX_REMOTES);
	assert_int_equal(r.local, 1);
	assert_int_equal(txb[UPLINK].n, MAX_REMOTES);
	for (unsigned k = 0; k < MAX_REMOTES; k++)
		check_tunnel(txb[UPLINK].pkts[k], REMOTE_IP + k, in, sizeof(in));
	assert_int_equal(drops[VTEP_DROP_NO_MBUF], 0);
	tx_clear();
}

static void
test_flood_decap_local_only(void **state)
{
	struct bum_vni v;
	struct bum_worker w = worker(&v, 3);
	uint8_t in[70];
	struct bum_counts r;

	(void)state;
	add_binding(&v, 1, VTEP_VLAN_NONE);
	add_binding(&v, 2, 30);
	inner_build(in, sizeof(in), 5);
	r = bum_flood_decap(&w, &v, remotes, frame(in, sizeof(in)), 0);
	assert_true(r.flooded);
	assert_int_equal(r.local, 2);
	assert_int_equal(r.tunnel, 0);
	/* Split horizon: from the tunnel, never back into it. */
	assert_int_equal(txb[UPLINK].n, 0);
	assert_int_equal(txb[1].n, 1);
	assert_int_equal(txb[2].n, 1);
	tx_clear();
	/* No local binding: nowhere to go. */
	v.n_local = 0;
	r = bum_flood_decap(&w, &v, remotes, frame(in, sizeof(in)), 0);
	assert_false(r.flooded);
	assert_int_equal(drops[VTEP_DROP_FLOOD_NO_TARGET], 1);
}

/* A replicator re-sends what one VTEP of its flood list floods to the
 * others and its local bindings, never back to the sender; from a VTEP
 * not in the list, local only (split horizon). */
static void
test_flood_decap_replicator(void **state)
{
	struct bum_vni v;
	struct bum_worker w = worker(&v, 3);
	uint8_t in[72];
	struct bum_counts r;
	rte_be32_t from = rte_cpu_to_be_32(REMOTE_IP + 1);

	(void)state;
	add_binding(&v, 1, VTEP_VLAN_NONE);
	v.replicator = true;
	inner_build(in, sizeof(in), 8);
	assert_true(bum_replicates_for(&v, remotes, from));
	r = bum_flood_decap(&w, &v, remotes, frame(in, sizeof(in)), from);
	assert_int_equal(r.local, 1);
	assert_int_equal(r.tunnel, 2);
	assert_int_equal(txb[UPLINK].n, 2);
	check_tunnel(txb[UPLINK].pkts[0], REMOTE_IP + 0, in, sizeof(in));
	check_tunnel(txb[UPLINK].pkts[1], REMOTE_IP + 2, in, sizeof(in));
	assert_int_equal(txb[1].n, 1);
	tx_clear();
	/* Not one of its VTEPs: only the local side. */
	from = rte_cpu_to_be_32(REMOTE_IP + 7);
	assert_false(bum_replicates_for(&v, remotes, from));
	r = bum_flood_decap(&w, &v, remotes, frame(in, sizeof(in)), from);
	assert_int_equal(r.tunnel, 0);
	assert_int_equal(r.local, 1);
	assert_int_equal(txb[UPLINK].n, 0);
	tx_clear();
	/* Not a replicator: the sender in the list changes nothing. */
	v.replicator = false;
	from = rte_cpu_to_be_32(REMOTE_IP + 1);
	assert_false(bum_replicates_for(&v, remotes, from));
	r = bum_flood_decap(&w, &v, remotes, frame(in, sizeof(in)), from);
	assert_int_equal(r.tunnel, 0);
	tx_clear();
}

/* flood: multicast: one copy, to the group's template, which keeps its own
 * TTL even when the underlay inherits the inner one. */
static void
test_flood_access_multicast(void **state)
{
	struct bum_vni v;
	struct bum_worker w = worker(&v, 1);
	struct bum_bucket bucket = { 0 };
	uint8_t in[100], buf[64];
	const uint8_t *o;
	struct bum_counts r;

	(void)state;
	add_binding(&v, 1, VTEP_VLAN_NONE);
	v.mcast = true;
	remotes[0].tmpl.hdr.ip.time_to_live = 1;   /* the group's scope */
	flood_ctx.ttl_inherit = true;
	inner_build(in, sizeof(in), 9);
	r = bum_flood_access(&w, &v, remotes, &bucket, frame(in, sizeof(in)), 1, VTEP_VLAN_NONE);
	assert_int_equal(r.tunnel, 1);
	assert_int_equal(txb[UPLINK].n, 1);
	o = rte_pktmbuf_read(txb[UPLINK].pkts[0], 0, 34, buf);
	assert_non_null(o);
	assert_int_equal(o[22], 1);
	tx_clear();
	/* Head-end with the same setting inherits: the frame is no IP, so
	 * the default TTL of the inheritance, not the template's 1. */
	v.mcast = false;
	r = bum_flood_access(&w, &v, remotes, &bucket, frame(in, sizeof(in)), 1, VTEP_VLAN_NONE);
	o = rte_pktmbuf_read(txb[UPLINK].pkts[0], 0, 34, buf);
	assert_non_null(o);
	assert_int_not_equal(o[22], 1);
	tx_clear();
}

/* A full TX buffer is flushed through the worker before the next copy. */
static void
test_flood_full_txbuf_flushed(void **state)
{
	struct bum_vni v;
	struct bum_worker w = worker(&v, 0);
	struct bum_bucket bucket = { 0 };
	uint8_t in[64];

	(void)state;
	add_binding(&v, 2, VTEP_VLAN_NONE);
	flush_frees = false;                  /* the slots below hold no mbuf */
	txb[2].n = BUM_TXBUF;
	inner_build(in, sizeof(in), 6);
	bum_flood_access(&w, &v, remotes, &bucket, frame(in, sizeof(in)), 1, VTEP_VLAN_NONE);
	assert_int_equal(flushes[2], 1);
	assert_int_equal(txb[2].n, 1);
	tx_clear();
}

static void
test_storm_bucket(void **state)
{
	struct bum_vni v = { .limit_pps = 10, .limit_burst = 2 };
	struct bum_bucket b = { 0 };
	uint64_t t = 5 * TSC_HZ;

	(void)state;
	/* A new limit starts full: the burst passes, then nothing. */
	assert_true(bum_storm_admit(&b, &v, t, TSC_HZ));
	assert_true(bum_storm_admit(&b, &v, t, TSC_HZ));
	assert_false(bum_storm_admit(&b, &v, t, TSC_HZ));
	/* A tenth of a second at 10 pps is one frame. */
	t += TSC_HZ / 10;
	assert_true(bum_storm_admit(&b, &v, t, TSC_HZ));
	assert_false(bum_storm_admit(&b, &v, t, TSC_HZ));
	/* A long silence refills to the burst, not beyond. */
	t += 3600 * (uint64_t)TSC_HZ;
	assert_true(bum_storm_admit(&b, &v, t, TSC_HZ));
	assert_true(bum_storm_admit(&b, &v, t, TSC_HZ));
	assert_false(bum_storm_admit(&b, &v, t, TSC_HZ));
	/* A changed limit starts full again. */
	v.limit_pps = 20;
	assert_true(bum_storm_admit(&b, &v, t, TSC_HZ));
}

static void
test_flood_access_storm_drops(void **state)
{
	struct bum_vni v;
	struct bum_worker w = worker(&v, 1);
	struct bum_bucket bucket = { 0 };
	unsigned passed = 0, stormed = 0;
	uint8_t in[64];

	(void)state;
	add_binding(&v, 2, VTEP_VLAN_NONE);
	v.limit_pps = 100;
	v.limit_burst = 5;
	w.tsc = 7 * TSC_HZ;
	inner_build(in, sizeof(in), 7);
	for (unsigned i = 0; i < 20; i++) {
		struct bum_counts r = bum_flood_access(&w, &v, remotes, &bucket,
							frame(in, sizeof(in)), 1, VTEP_VLAN_NONE);

		passed += r.flooded;
		stormed += r.storm;
		assert_true(r.flooded != r.storm);
		tx_clear();
	}
	assert_int_equal(passed, 5);
	assert_int_equal(stormed, 15);
	assert_int_equal(drops[VTEP_DROP_BUM_STORM], 15);
}

#define T(f) cmocka_unit_test_setup_teardown(f, mark_pools, no_leak)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_replicate_one),
		T(test_replicate_two_chained),
		T(test_replicate_five_chained),
		T(test_replicate_whole_copies),
		T(test_replicate_zero_frees_frame),
		T(test_replicate_mtu_exceeded),
		T(test_replicate_empty_header_pool),
		T(test_replicate_empty_clone_pool),
		T(test_replicate_empty_copy_pool),
		T(test_copy_independent_writable),
		T(test_copy_pool_empty),
		T(test_flood_access_split_horizon),
		T(test_flood_access_unresolved_skipped),
		T(test_flood_access_no_target),
		T(test_flood_access_two_rounds),
		T(test_flood_decap_local_only),
		T(test_flood_decap_replicator),
		T(test_flood_access_multicast),
		T(test_flood_full_txbuf_flushed),
		T(test_storm_bucket),
		T(test_flood_access_storm_drops),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
