/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the whole worker path, app/vtepd/worker.c and lib/ctl.
 *
 * The daemon is set up with its own code (conf_load_string() on the YAML
 * below, pools and workers from setup.c, port_setup_all(), control_init()) on
 * three net_ring ports whose RX rings this harness fills and whose TX rings
 * it drains. Each input is a sequence of frames, each tagged with the port
 * and queue it arrives on; they run through worker_poll() in bursts, with
 * control_poll() between bursts so that what was learned applies.
 *
 * Input: byte 0 sets the mode of the input (bit 0: the underlay sends
 * chains, so head-end copies are a header mbuf chained to a clone; bit 1:
 * the underlay computes the outer IPv4 checksum; bits 2, 3, 4: the outer
 * TTL inherited, the outer DSCP inherited, ECN not copied on encap: the
 * worker's encap context is set as a configuration would set it). Then
 * records of
 *   1 byte   bits 0-1: 0, 1 underlay RX queue 0, 1; 2 acc0; 3 acc1
 *            bit 2: the burst ends after this frame
 *            bits 3-4: the RX IPv4 checksum verdict of the "PMD"
 *            bits 5-7: segments - 1 (the first one holds at least 128 bytes)
 *   2 bytes  frame length, little endian (cut to what is left and to what
 *            the port can receive)
 *   N bytes  the frame
 *
 * Every input starts from the same state: learned entries flushed, then a
 * few fixed frames learn the same entries again. After each burst every TX
 * ring is drained and each frame checked; after the input every mbuf must be
 * back in its pool, and none may have been sent twice.
 *
 * Each frame the harness queues carries in an mbuf dynamic field the length
 * its inner frame must have wherever it leaves (and whether it came from the
 * underlay); copies inherit it (rte_pktmbuf_copy copies dynamic fields), so
 * a frame out of a port is checked against the frame it came from.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf_dyn.h>
#include <rte_ring.h>

#include "fuzz_eal.h"
#include "vtepd.h"

/* What main.c defines in the daemon. */
struct vtepd vd;
int vtepd_logtype;

#define FZ_MAX_FRAMES 256        /* per input */
#define FZ_BURST_MAX 64          /* frames queued before the loop runs regardless */
#define FZ_FIRST_SEG_MIN 128     /* every PMD puts this much in the first segment */
#define FZ_ACCESS_MAX 9022       /* a jumbo frame with a tag */
#define FZ_RX_RING 1024
#define FZ_TX_RING 8192
#define FZ_N_PORTS 3
#define FZ_FLOOD_400 40          /* remotes of VNI 400: more than a burst */
#define FZ_MAX_SEEN 32768

#define FZ_LOCAL_IP RTE_BE32(0xc6120001) /* 198.18.0.1 */

struct fz_port {
	const char *name;            /* ring name; the ethdev is net_ring_<name> */
	unsigned conf_idx;
	struct rte_ring *rx[2];
	unsigned n_rx;
	struct rte_ring *tx[VTEPD_MAX_WORKERS];
	bool untagged;               /* has an untagged binding */
	uint8_t tagged[4096];        /* has a binding on that VLAN */
};

static struct fz_port fzp[FZ_N_PORTS] = {
	{ .name = "fz_up", .conf_idx = 0 },
	{ .name = "fz_acc0", .conf_idx = 1 },
	{ .name = "fz_acc1", .conf_idx = 2 },
};

static uint64_t frames, frames_out, inputs;
static uint8_t mode;                 /* byte 0 of this input */
static bool trace;                   /* FUZZ_WORKER_TRACE: every frame in and out */
#define MODE_CHAINS 0x01
#define MODE_CSUM 0x02
#define MODE_TTL_INHERIT 0x04
#define MODE_TOS_INHERIT 0x08
#define MODE_ECN_OFF 0x10

/* The dynamic field: what a frame must look like when it leaves. */
#define EXP_UNDERLAY (1u << 31)      /* came in on the underlay */
#define EXP_LEN (1u << 30)           /* its inner frame is (low 16 bits) long */
static int exp_off = -1;
#define EXP(m) (*RTE_MBUF_DYNFIELD(m, exp_off, uint32_t *))
static struct rte_mbuf *seen[FZ_MAX_SEEN];
static unsigned n_seen;

/* ---- the configuration ---------------------------------------------------- */

static char config[4096];

static void
config_build(void)
{
	static const char head[] =
		"ports:\n"
		"  - { name: uplink, devargs: net_ring_fz_up, role: underlay, rx_queues: 2,\n"
		"      rx_desc: 256, tx_desc: 256 }\n"
		"  - { name: acc0, devargs: net_ring_fz_acc0, role: access, rx_desc: 256, tx_desc: 256 }\n"
		"  - { name: acc1, devargs: net_ring_fz_acc1, role: access, rx_desc: 256, tx_desc: 256 }\n"
		"underlay:\n"
		"  port: uplink\n"
		"  address: 198.18.0.1/24\n"
		"  gateway: 198.18.0.254\n"
		"  ttl: 64\n"
		"  df: no\n"
		"  mtu: 1500\n"
		"  neighbors:\n"
		"    - { ip: 198.18.0.2, mac: \"02:00:00:00:00:02\" }\n"
		"    - { ip: 198.18.0.3, mac: \"02:00:00:00:00:03\" }\n"
		"    - { ip: 198.18.0.254, mac: \"02:00:00:00:00:fe\" }\n"
		"vnis:\n"
		"  - vni: 100\n"
		"    access: [{ port: acc0, vlan: untagged }, { port: acc1, vlan: 10 }]\n"
		"    remotes: [198.18.0.2, 198.18.0.3, 10.0.0.5]\n"
		"  - vni: 200\n"
		"    access: [{ port: acc0, vlan: 20 }]\n"
		"    remotes: [198.18.0.2, 198.18.0.9]\n"
		"    mac_limit: 4\n"
		"    ageing: 1\n"
		"  - vni: 300\n"
		"    access: [{ port: acc1, vlan: 30 }, { port: acc1, vlan: 31 }, { port: acc0, vlan: 30 }]\n"
		"    learning: false\n"
		"    inner_vlan: accept\n"
		"  - vni: 16777215\n"
		"    access: [{ port: acc1, vlan: 4094 }]\n"
		"  - vni: 400\n"
		"    access: [{ port: acc0, vlan: 40 }]\n"
		"    remotes: [";
	static const char tail[] =
		"]\n"
		"fdb:\n"
		"  - { vni: 100, mac: \"02:00:00:00:10:03\", remote: 198.18.0.3 }\n"
		"  - { vni: 100, mac: \"02:00:00:00:10:0a\", port: acc1, vlan: 10 }\n"
		"  - { vni: 200, mac: \"02:00:00:00:20:09\", remote: 198.18.0.9 }\n"
		"  - { vni: 300, mac: \"02:00:00:00:30:1e\", port: acc0, vlan: 30 }\n"
		"  - { vni: 400, mac: \"02:00:00:00:40:05\", remote: 10.1.0.5 }\n"
		"fdb_capacity: 1024\n";
	size_t n = 0;
	unsigned i;

	n += (size_t)snprintf(config + n, sizeof(config) - n, "%s", head);
	/* VNI 400's flood list is longer than a burst. */
	for (i = 1; i <= FZ_FLOOD_400; i++)
		n += (size_t)snprintf(config + n, sizeof(config) - n, "%s10.1.0.%u",
				      i > 1 ? ", " : "", i);
	n += (size_t)snprintf(config + n, sizeof(config) - n, "%s", tail);
	FUZZ_CHECK(n < sizeof(config), "configuration too long");
}

/* ---- frames the harness builds itself ------------------------------------- */

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
mac(uint8_t *p, uint8_t a, uint8_t b)
{
	static const uint8_t m[6] = { 0x02, 0, 0, 0, 0, 0 };

	memcpy(p, m, 6);
	p[4] = a;
	p[5] = b;
}

/* An inner frame: dst, src, optional tag, IPv4 ethertype, some payload. */
static uint32_t
inner_build(uint8_t *p, const uint8_t *dst, const uint8_t *src, int vlan)
{
	uint32_t n = 12;
	unsigned i;

	memcpy(p, dst, 6);
	memcpy(p + 6, src, 6);
	if (vlan >= 0) {
		put16(p + n, RTE_ETHER_TYPE_VLAN);
		put16(p + n + 2, (uint16_t)vlan);
		n += 4;
	}
	put16(p + n, RTE_ETHER_TYPE_IPV4);
	n += 2;
	for (i = 0; i < 46; i++)
		p[n++] = (uint8_t)(i * 7);
	return n;
}

static uint32_t
vxlan_build(uint8_t *p, uint32_t src_ip, uint32_t vni, const uint8_t *inner, uint32_t ilen)
{
	uint32_t tot = 20 + 8 + 8 + ilen;
	uint16_t sum;

	memset(p, 0, 50);
	memcpy(p, vd.ports[vd.underlay].mac.addr_bytes, 6);
	mac(p + 6, 0, 2);
	put16(p + 12, RTE_ETHER_TYPE_IPV4);
	p[14] = 0x45;
	put16(p + 16, (uint16_t)tot);
	p[22] = 64;
	p[23] = IPPROTO_UDP;
	put16(p + 26, (uint16_t)(src_ip >> 16));
	put16(p + 28, (uint16_t)src_ip);
	memcpy(p + 30, &(rte_be32_t){ FZ_LOCAL_IP }, 4);
	sum = (uint16_t)~rte_raw_cksum(p + 14, 20);
	memcpy(p + 24, &sum, 2);
	put16(p + 34, 50000);
	put16(p + 36, VTEP_UDP_PORT_DEFAULT);
	put16(p + 38, (uint16_t)(tot - 20));
	p[42] = VTEP_VXLAN_FLAG_I;
	p[46] = (uint8_t)(vni >> 16);
	p[47] = (uint8_t)(vni >> 8);
	p[48] = (uint8_t)vni;
	memcpy(p + 50, inner, ilen);
	return 50 + ilen;
}

/* ---- ports and the loop ----------------------------------------------------- */

static struct rte_mbuf *
frame_make(const uint8_t *p, uint32_t len, unsigned nseg, uint64_t ol, uint16_t port)
{
	uint32_t room = rte_pktmbuf_data_room_size(vd.pool) - RTE_PKTMBUF_HEADROOM;
	uint32_t seg = (len + nseg - 1) / nseg, off = 0;
	struct rte_mbuf *head = NULL;

	seg = RTE_MIN(RTE_MAX(seg, (uint32_t)FZ_FIRST_SEG_MIN), room);
	do {
		uint32_t n = RTE_MIN(len - off, seg);
		struct rte_mbuf *m = rte_pktmbuf_alloc(vd.pool);
		char *d;

		if (m == NULL)
			goto fail;
		d = rte_pktmbuf_append(m, (uint16_t)n);
		FUZZ_CHECK(d != NULL, "append %u", n);
		memcpy(d, p + off, n);
		off += n;
		if (head == NULL) {
			head = m;
		} else if (rte_pktmbuf_chain(head, m) != 0) {
			rte_pktmbuf_free(m);
			goto fail;
		}
	} while (off < len);
	head->port = port;
	head->ol_flags = ol;
	return head;
fail:
	rte_pktmbuf_free(head);
	return NULL;
}

/* What the inner frame of @p p must measure when it leaves. */
static uint32_t
expect(unsigned pi, const uint8_t *p, uint32_t len)
{
	uint32_t ihl, tot;

	if (pi != 0) {
		/* Access: the 802.1Q tag is stripped, another may be pushed. */
		if (len >= 18 && rd16(p + 12) == RTE_ETHER_TYPE_VLAN)
			len -= 4;
		return EXP_LEN | len;
	}
	/* Underlay: the inner frame ends where the outer IP packet does. */
	if (len < 34 || rd16(p + 12) != RTE_ETHER_TYPE_IPV4)
		return EXP_UNDERLAY;
	ihl = (p[14] & 0xf) * 4u;
	tot = rd16(p + 16);
	if (tot < ihl + 16 + RTE_ETHER_HDR_LEN)
		return EXP_UNDERLAY;
	return EXP_UNDERLAY | EXP_LEN | (tot - ihl - 16);
}

/* Queue one frame on (port, queue); false when the pool is empty. */
static bool
frame_rx(unsigned pi, unsigned q, const uint8_t *p, uint32_t len, unsigned nseg, uint64_t ol)
{
	struct rte_mbuf *m = frame_make(p, len, nseg, ol, vd.ports[fzp[pi].conf_idx].id);

	if (m == NULL)
		return false;
	EXP(m) = expect(pi, p, len);
	if (trace)
		fprintf(stderr, "in  %s q%u %u bytes %u segs expect %08x mbuf %p\n", fzp[pi].name,
			q, len, m->nb_segs, EXP(m), (void *)m);
	FUZZ_CHECK(rte_ring_sp_enqueue(fzp[pi].rx[q], m) == 0, "RX ring full");
	return true;
}

static bool
rx_empty(void)
{
	unsigned i, q;

	for (i = 0; i < FZ_N_PORTS; i++)
		for (q = 0; q < fzp[i].n_rx; q++)
			if (rte_ring_count(fzp[i].rx[q]) != 0)
				return false;
	return true;
}

/* Workers turn until every RX ring is empty; each one online only while it
 * polls, so that ctl_poll() never waits for a grace period. */
static void
poll_workers(void)
{
	unsigned i, rounds;

	for (rounds = 0; rounds < 1000; rounds++) {
		for (i = 0; i < vd.n_workers; i++) {
			rte_rcu_qsbr_thread_online(vd.qsbr, i);
			worker_poll(vd.workers[i], vtepd_now());
			rte_rcu_qsbr_quiescent(vd.qsbr, i);
			rte_rcu_qsbr_thread_offline(vd.qsbr, i);
		}
		if (rx_empty())
			return;
	}
	FUZZ_CHECK(0, "RX rings still hold frames after %u turns", rounds);
}

/* ---- what leaves the ports ---------------------------------------------------- */

static void
seen_add(struct rte_mbuf *m)
{
	for (; m != NULL; m = m->next) {
		FUZZ_CHECK(n_seen < FZ_MAX_SEEN, "more than %u segments out", FZ_MAX_SEEN);
		seen[n_seen++] = m;
	}
}

static int
ptr_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(void *const *)a, y = (uintptr_t)*(void *const *)b;

	return x < y ? -1 : x > y;
}

static void
check_mbuf(const struct rte_mbuf *m)
{
	const char *why = NULL;

	FUZZ_CHECK(rte_mbuf_check(m, 1, &why) == 0, "bad mbuf: %s", why);
	FUZZ_CHECK(m->pool == vd.pool || m->pool == vd.hdr_pool || m->pool == vd.ctl_pool,
		   "first segment from pool %s", m->pool->name);
}

static void
check_underlay(struct rte_mbuf *m)
{
	const struct conf_underlay *u = &vd.conf->underlay;
	const struct rte_ether_addr *own = &vd.ports[vd.underlay].mac;
	uint8_t buf[9216 + 14] __rte_aligned(8);
	uint32_t len = rte_pktmbuf_pkt_len(m), ihl, tot;
	const uint8_t *f;
	uint16_t et;

	check_mbuf(m);
	FUZZ_CHECK(len <= (uint32_t)u->mtu + RTE_ETHER_HDR_LEN,
		   "%u-byte frame on the underlay (mtu %u)", len, u->mtu);
	FUZZ_CHECK(len >= RTE_ETHER_HDR_LEN, "%u-byte frame on the underlay", len);
	f = rte_pktmbuf_read(m, 0, len, buf);
	FUZZ_CHECK(f != NULL, "unreadable frame");
	FUZZ_CHECK(memcmp(f + 6, own->addr_bytes, 6) == 0, "source MAC is not the port's");
	et = rd16(f + 12);
	if (et == RTE_ETHER_TYPE_ARP) {
		uint16_t op = rd16(f + 20);

		FUZZ_CHECK(len >= 42, "%u-byte ARP", len);
		FUZZ_CHECK(rd16(f + 14) == RTE_ARP_HRD_ETHER && rd16(f + 16) == RTE_ETHER_TYPE_IPV4 &&
			   f[18] == 6 && f[19] == 4, "ARP header");
		FUZZ_CHECK(op == RTE_ARP_OP_REQUEST || op == RTE_ARP_OP_REPLY, "ARP op %u", op);
		FUZZ_CHECK(memcmp(f + 22, own->addr_bytes, 6) == 0, "ARP sender MAC");
		FUZZ_CHECK(memcmp(f + 28, &u->address.v4, 4) == 0, "ARP sender address");
		if (op == RTE_ARP_OP_REQUEST)
			FUZZ_CHECK(rte_is_broadcast_ether_addr((const void *)f), "ARP request not broadcast");
		else
			FUZZ_CHECK(rte_is_valid_assigned_ether_addr((const void *)f) &&
				   memcmp(f, f + 32, 6) == 0, "ARP reply destination");
		return;
	}
	FUZZ_CHECK(et == RTE_ETHER_TYPE_IPV4, "ether type %04x on the underlay", et);
	FUZZ_CHECK(len >= 34 && f[14] >> 4 == 4, "IPv4 header");
	ihl = (f[14] & 0xf) * 4u;
	tot = rd16(f + 16);
	FUZZ_CHECK(ihl >= 20 && tot == len - 14,
		   "ihl %u, total length %u in a %u-byte frame", ihl, tot, len);
	FUZZ_CHECK(memcmp(f + 26, &u->address.v4, 4) == 0, "IPv4 source is not the VTEP");
	FUZZ_CHECK(rte_is_valid_assigned_ether_addr((const void *)f), "destination MAC");
	if (m->ol_flags & RTE_MBUF_F_TX_IP_CKSUM) {
		FUZZ_CHECK(mode & MODE_CSUM, "checksum offload asked of a port without it");
		FUZZ_CHECK((m->ol_flags & RTE_MBUF_F_TX_IPV4) && m->l2_len == 14 &&
			   m->l3_len == ihl, "offload flags and lengths");
	} else {
		FUZZ_CHECK(rte_raw_cksum(f + 14, ihl) == 0xffff, "bad outer IPv4 checksum");
	}
	if (f[23] == IPPROTO_UDP) {
		uint16_t sport = rd16(f + 34);
		uint32_t vni, i;
		bool known = false;

		FUZZ_CHECK(ihl == 20 && len >= 50 + RTE_ETHER_HDR_LEN, "%u-byte VXLAN frame", len);
		if (m->pool == vd.pool) {
			/* The original or a whole copy: it says where it came from. */
			FUZZ_CHECK(!(EXP(m) & EXP_UNDERLAY),
				   "a frame from the underlay went back into the tunnel");
			FUZZ_CHECK(!(EXP(m) & EXP_LEN) || len == 50 + (EXP(m) & 0xffff),
				   "%u-byte VXLAN frame of a %u-byte inner frame", len,
				   EXP(m) & 0xffff);
		}
		if (mode & MODE_TTL_INHERIT)
			FUZZ_CHECK(f[22] != 0, "TTL 0");
		else
			FUZZ_CHECK(f[22] == u->ttl, "TTL %u", f[22]);
		if (!(mode & MODE_TOS_INHERIT))
			FUZZ_CHECK((f[15] & ~VTEP_ECN_MASK) == u->tos, "TOS %02x", f[15]);
		if (mode & MODE_ECN_OFF)
			FUZZ_CHECK((f[15] & VTEP_ECN_MASK) == VTEP_ECN_NOT_ECT, "ECN with ecn off");
		else
			FUZZ_CHECK((f[15] & VTEP_ECN_MASK) != VTEP_ECN_CE, "CE sent on encap");
		FUZZ_CHECK(!!(rd16(f + 20) & 0x4000) == u->df && (rd16(f + 20) & 0xbfff) == 0,
			   "fragment field %04x", rd16(f + 20));
		FUZZ_CHECK(sport >= u->sport_min && sport <= u->sport_max, "source port %u", sport);
		FUZZ_CHECK(rd16(f + 36) == u->udp_port, "UDP port %u", rd16(f + 36));
		FUZZ_CHECK(rd16(f + 38) == tot - 20, "UDP length %u, IP %u", rd16(f + 38), tot);
		FUZZ_CHECK(f[42] == VTEP_VXLAN_FLAG_I && f[43] == 0 && f[44] == 0 && f[45] == 0 &&
			   f[49] == 0, "VXLAN flags and reserved fields");
		FUZZ_CHECK(memcmp(f + 30, &u->address.v4, 4) != 0, "VXLAN to ourselves");
		vni = (uint32_t)f[46] << 16 | (uint32_t)f[47] << 8 | f[48];
		for (i = 0; i < vd.conf->n_vnis; i++)
			known |= vd.conf->vnis[i].vni == vni;
		FUZZ_CHECK(known, "VXLAN with VNI %u, not configured", vni);
		return;
	}
	FUZZ_CHECK(f[23] == IPPROTO_ICMP, "IP protocol %u on the underlay", f[23]);
	FUZZ_CHECK(tot >= ihl + 8 && f[14 + ihl] == RTE_IP_ICMP_ECHO_REPLY && f[15 + ihl] == 0,
		   "ICMP other than an echo reply");
	FUZZ_CHECK(rte_raw_cksum(f + 14 + ihl, tot - ihl) == 0xffff, "bad ICMP checksum");
}

static void
check_access(const struct fz_port *p, struct rte_mbuf *m)
{
	uint32_t len = rte_pktmbuf_pkt_len(m);
	uint8_t buf[18] __rte_aligned(8);
	const uint8_t *f;

	check_mbuf(m);
	FUZZ_CHECK(len >= RTE_ETHER_HDR_LEN && len <= FZ_ACCESS_MAX + 4,
		   "%u-byte frame on %s", len, p->name);
	FUZZ_CHECK((m->ol_flags & RTE_MBUF_F_TX_OFFLOAD_MASK) == 0,
		   "TX offload flags %" PRIx64 " on an access port", m->ol_flags);
	FUZZ_CHECK(m->pool == vd.pool, "access frame from pool %s", m->pool->name);
	if (EXP(m) & EXP_LEN) {
		uint32_t e = EXP(m) & 0xffff;

		FUZZ_CHECK(len == e || len == e + 4, "%u-byte frame out of %s, of a %u-byte %s frame",
			   len, p->name, e, EXP(m) & EXP_UNDERLAY ? "inner" : "access");
	}
	f = rte_pktmbuf_read(m, 0, RTE_MIN(len, (uint32_t)sizeof(buf)), buf);
	FUZZ_CHECK(f != NULL, "unreadable frame");
	if (len >= 18 && rd16(f + 12) == RTE_ETHER_TYPE_VLAN) {
		uint16_t vid = rd16(f + 14) & 0xfff;

		FUZZ_CHECK(p->tagged[vid] || p->untagged, "VLAN %u out of %s, not bound there",
			   vid, p->name);
	} else {
		FUZZ_CHECK(p->untagged, "untagged frame out of %s, which has no untagged binding",
			   p->name);
	}
}

/* Take everything the ports sent, check it, free it. */
static void
drain(void)
{
	static struct rte_mbuf *heads[FZ_MAX_SEEN];
	static uint8_t head_port[FZ_MAX_SEEN];
	unsigned i, w, n, k, n_heads = 0;

	for (i = 0; i < FZ_N_PORTS; i++) {
		for (w = 0; w < vd.n_workers; w++) {
			do {
				n = rte_ring_sc_dequeue_burst(fzp[i].tx[w], (void **)heads + n_heads,
							      RTE_MIN(64u, FZ_MAX_SEEN - n_heads),
							      NULL);
				memset(head_port + n_heads, (int)i, n);
				n_heads += n;
			} while (n != 0);
			FUZZ_CHECK(rte_ring_count(fzp[i].tx[w]) == 0, "more than %u frames out",
				   FZ_MAX_SEEN);
		}
	}
	/* No mbuf, head or segment, in two frames or twice in one. */
	n_seen = 0;
	for (k = 0; k < n_heads; k++)
		seen_add(heads[k]);
	qsort(seen, n_seen, sizeof(seen[0]), ptr_cmp);
	for (k = 1; k < n_seen; k++)
		FUZZ_CHECK(seen[k] != seen[k - 1], "mbuf %p sent twice", (void *)seen[k]);
	for (k = 0; k < n_heads; k++) {
		if (trace)
			fprintf(stderr, "out %s %u bytes %u segs pool %s expect %08x mbuf %p\n",
				fzp[head_port[k]].name, rte_pktmbuf_pkt_len(heads[k]),
				heads[k]->nb_segs, heads[k]->pool->name,
				heads[k]->pool == vd.pool ? EXP(heads[k]) : 0, (void *)heads[k]);
		if (head_port[k] == 0)
			check_underlay(heads[k]);
		else
			check_access(&fzp[head_port[k]], heads[k]);
		rte_pktmbuf_free(heads[k]);
	}
	frames_out += n_heads;
}

/* The outer TTL, DSCP and ECN of the input's mode, set as an operator
 * would: through the writer's typed operation, live. */
static void
underlay_mode(uint8_t m)
{
	struct conf_underlay u = ctl_conf(vd.ctl)->underlay;
	struct conf_err err;

	if (u.ttl_inherit == !!(m & MODE_TTL_INHERIT) && u.tos_inherit == !!(m & MODE_TOS_INHERIT) &&
	    (u.ecn == CONF_ECN_OFF) == !!(m & MODE_ECN_OFF))
		return;
	u.ttl_inherit = m & MODE_TTL_INHERIT;
	u.tos_inherit = m & MODE_TOS_INHERIT;
	u.ecn = (m & MODE_ECN_OFF) ? CONF_ECN_OFF : CONF_ECN_RFC6040;
	FUZZ_CHECK(ctl_underlay_set(vd.ctl, &u, &err) == 0, "underlay: %s: %s", err.field, err.reason);
}

/* Run the loop until nothing is left anywhere, then drain the ports. */
static void
settle(void)
{
	unsigned i;

	for (i = 0; i < 100; i++) {
		poll_workers();
		control_poll(&vd);
		if (rte_ring_count(vd.punt) == 0 && rte_ring_count(vd.learn) == 0 &&
		    rte_ring_count(vd.workers[0]->ctl_tx) == 0)
			break;
	}
	FUZZ_CHECK(i < 100, "punt %u, learn %u, ctl_tx %u still queued",
		   rte_ring_count(vd.punt), rte_ring_count(vd.learn),
		   rte_ring_count(vd.workers[0]->ctl_tx));
	drain();
}

/* ---- set-up --------------------------------------------------------------------- */

static void
ports_create(void)
{
	static struct rte_ether_addr underlay_mac = {
		.addr_bytes = { 0x02, 0, 0, 0, 0, 0x01 } };
	unsigned i, q;
	int id;

	for (i = 0; i < FZ_N_PORTS; i++) {
		struct fz_port *p = &fzp[i];
		const struct conf_port *cp = &vd.conf->ports[p->conf_idx];
		char name[RTE_RING_NAMESIZE];

		p->n_rx = cp->rx_queues;
		FUZZ_CHECK(p->n_rx <= RTE_DIM(p->rx), "%u RX queues", p->n_rx);
		for (q = 0; q < p->n_rx; q++) {
			snprintf(name, sizeof(name), "%s_rx%u", p->name, q);
			p->rx[q] = rte_ring_create(name, FZ_RX_RING, (int)rte_socket_id(),
						   RING_F_SP_ENQ | RING_F_SC_DEQ);
			FUZZ_CHECK(p->rx[q] != NULL, "ring %s", name);
		}
		for (q = 0; q < vd.n_workers; q++) {
			snprintf(name, sizeof(name), "%s_tx%u", p->name, q);
			p->tx[q] = rte_ring_create(name, FZ_TX_RING, (int)rte_socket_id(),
						   RING_F_SP_ENQ | RING_F_SC_DEQ);
			FUZZ_CHECK(p->tx[q] != NULL, "ring %s", name);
		}
		id = rte_eth_from_rings(p->name, p->rx, p->n_rx, p->tx, vd.n_workers,
					(unsigned)rte_socket_id());
		FUZZ_CHECK(id >= 0, "rte_eth_from_rings %s", p->name);
		/* net_ring's MAC is all zeros and it cannot set another as its
		 * default (the "mac" field fails with ENOTSUP), but it lets one
		 * be added in the empty slot 0, which is the default: the
		 * underlay is 02:00:00:00:00:01, what the seeds are sent to. */
		if (i == 0)
			FUZZ_CHECK(rte_eth_dev_mac_addr_add((uint16_t)id, &underlay_mac, 0) == 0,
				   "MAC of %s", p->name);
	}
}

static void
bindings_note(void)
{
	const struct conf *cf = vd.conf;
	unsigned i, j, k;

	for (i = 0; i < cf->n_vnis; i++) {
		for (j = 0; j < cf->vnis[i].n_access; j++) {
			const struct conf_access *a = &cf->vnis[i].access[j];

			for (k = 0; k < FZ_N_PORTS; k++) {
				if (strcmp(cf->ports[fzp[k].conf_idx].name, a->port) != 0)
					continue;
				if (a->vlan == CONF_VLAN_UNTAGGED)
					fzp[k].untagged = true;
				else
					fzp[k].tagged[a->vlan] = 1;
			}
		}
	}
}

static void
fz_fini(void)
{
	unsigned i, q;

	fprintf(stderr, "fuzz_worker: inputs %" PRIu64 ", frames %" PRIu64 ", frames out %"
		PRIu64 "\n", inputs, frames, frames_out);
	/* FUZZ_WORKER_STATS=1: the daemon's counters, to see what was reached. */
	if (getenv("FUZZ_WORKER_STATS") != NULL)
		control_stats_print(&vd, stderr);
	vtepd_free(&vd);
	for (i = 0; i < FZ_N_PORTS; i++) {
		for (q = 0; q < fzp[i].n_rx; q++)
			rte_ring_free(fzp[i].rx[q]);
		for (q = 0; q < VTEPD_MAX_WORKERS; q++)
			rte_ring_free(fzp[i].tx[q]);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[512];
	unsigned i;
	size_t sz;

	(void)argc;
	(void)argv;
	/* Two workers, both turned by this thread: lcores 1 and 2 stay idle. */
	fuzz_eal_init("worker", "0@(0,1),1@(0,1),2@(0,1)");
	FUZZ_LSAN_OFF();
	exp_off = rte_mbuf_dynfield_register(&(const struct rte_mbuf_dynfield){
		.name = "vtep_fuzz_expect", .size = sizeof(uint32_t),
		.align = __alignof__(uint32_t) });
	FUZZ_CHECK(exp_off >= 0, "dynamic field");
	config_build();
	vd.conf = conf_load_string(config, strlen(config), "fuzz_worker.yaml", err, sizeof(err));
	FUZZ_CHECK(vd.conf != NULL, "%s", err);
	vtepd_logtype = rte_log_register_type_and_pick_level("vtepd", RTE_LOG_WARNING);
	vd.tsc_hz = rte_get_tsc_hz();
	vd.tsc0 = rte_rdtsc();

	/* main()'s order. */
	FUZZ_CHECK(workers_create(&vd) == 0, "workers_create");
	FUZZ_CHECK(vd.n_workers == 2, "%u workers", vd.n_workers);
	sz = rte_rcu_qsbr_get_memsize(vd.n_workers);
	vd.qsbr = rte_zmalloc("qsbr", sz, RTE_CACHE_LINE_SIZE);
	FUZZ_CHECK(vd.qsbr != NULL && rte_rcu_qsbr_init(vd.qsbr, vd.n_workers) == 0, "qsbr");
	vd.learn = fdb_learn_ring_create("learn", 4096, (int)rte_socket_id());
	vd.punt = rte_ring_create("punt", 1024, (int)rte_socket_id(), RING_F_SC_DEQ);
	FUZZ_CHECK(vd.learn != NULL && vd.punt != NULL, "rings");
	FUZZ_CHECK(pools_create(&vd) == 0, "pools_create");
	ports_create();
	FUZZ_CHECK(port_setup_all(&vd) == 0, "port_setup_all");
	queues_assign(&vd);
	FUZZ_CHECK(control_init(&vd) == 0, "control_init");
	for (i = 0; i < vd.n_workers; i++)
		rte_rcu_qsbr_thread_register(vd.qsbr, i);
	bindings_note();
	trace = getenv("FUZZ_WORKER_TRACE") != NULL;
	FUZZ_LSAN_ON();
	atexit(fz_fini);
	return 0;
}

/* The same learned entries at the start of every input. */
static void
warm_up(void)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t in[128], f[256], a[6], b[6];
	uint32_t n;

	fdb_flush(vd.fdb, FDB_VNI_ANY, FDB_FLUSH_LEARNED);
	fdb_flush(vd.arp, FDB_VNI_ANY, FDB_FLUSH_LEARNED);
	/* 02:00:00:00:aa:02 behind 198.18.0.2 in VNI 100. */
	mac(a, 0xaa, 0x02);
	n = inner_build(in, bcast, a, -1);
	frame_rx(0, 0, f, vxlan_build(f, 0xc6120002, 100, in, n), 1, 0);
	/* 02:00:00:00:aa:09 behind 10.2.0.9 (through the gateway) in VNI 400. */
	mac(a, 0xaa, 0x09);
	n = inner_build(in, bcast, a, -1);
	frame_rx(0, 1, f, vxlan_build(f, 0x0a020009, 400, in, n), 1, 0);
	/* 02:00:00:00:bb:01 on acc0 untagged (VNI 100), flooded everywhere. */
	mac(a, 0xbb, 0x01);
	frame_rx(1, 0, in, inner_build(in, bcast, a, -1), 1, 0);
	/* 02:00:00:00:bb:14 on acc0 VLAN 20 (VNI 200). */
	mac(a, 0xbb, 0x14);
	frame_rx(1, 0, in, inner_build(in, bcast, a, 20), 1, 0);
	/* VNI 300 does not learn: switched to its static entry on acc0. */
	mac(a, 0xbb, 0x1e);
	mac(b, 0x30, 0x1e);
	frame_rx(2, 0, in, inner_build(in, b, a, 30), 1, 0);
	settle();
}

static void
pools_avail(unsigned *a)
{
	a[0] = rte_mempool_avail_count(vd.pool);
	a[1] = rte_mempool_avail_count(vd.hdr_pool);
	a[2] = rte_mempool_avail_count(vd.clone_pool);
	a[3] = rte_mempool_avail_count(vd.ctl_pool);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t ip_ck[4] = {
		RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN, RTE_MBUF_F_RX_IP_CKSUM_BAD,
		RTE_MBUF_F_RX_IP_CKSUM_GOOD, RTE_MBUF_F_RX_IP_CKSUM_NONE,
	};
	static const char *const pool_name[4] = { "mbufs", "hdrs", "clones", "ctl" };
	const uint32_t up_max = (uint32_t)vd.conf->underlay.mtu + RTE_ETHER_HDR_LEN;
	unsigned before[4], after[4], i, n_frames = 0, queued = 0;
	size_t off = 1;

	if (size < 1)
		return -1;
	inputs++;
	pools_avail(before);
	if (data[0] & MODE_CHAINS) {
		vd.bum.hdr = vd.hdr_pool;
		vd.bum.clone = vd.clone_pool;
	} else {
		vd.bum.hdr = NULL;
		vd.bum.clone = NULL;
	}
	mode = data[0];
	for (i = 0; i < vd.n_workers; i++)
		vd.workers[i]->encap.csum_offload = mode & MODE_CSUM;
	underlay_mode(mode);

	warm_up();
	if (trace)
		fprintf(stderr, "--- input, mode %02x\n", mode);
	while (off + 3 <= size && n_frames < FZ_MAX_FRAMES) {
		uint8_t h = data[off];
		unsigned where = h & 3, pi = where < 2 ? 0 : where - 1, q = where < 2 ? where : 0;
		uint32_t len = (uint32_t)data[off + 1] | (uint32_t)data[off + 2] << 8;

		off += 3;
		len = RTE_MIN(len, (uint32_t)(size - off));
		/* A port receives no more than its MTU allows: the underlay's is
		 * the configured one, access ports take jumbo frames. */
		len = RTE_MIN(len, pi == 0 ? up_max : (uint32_t)FZ_ACCESS_MAX);
		if (len > 0 && frame_rx(pi, q, data + off, len, (h >> 5) + 1u, ip_ck[(h >> 3) & 3])) {
			frames++;
			n_frames++;
			queued++;
		}
		off += len;
		if ((h & 4) || queued == FZ_BURST_MAX) {
			settle();
			queued = 0;
		}
	}
	settle();

	/* Sent or freed, each exactly once. */
	pools_avail(after);
	for (i = 0; i < RTE_DIM(before); i++)
		FUZZ_CHECK(after[i] == before[i], "pool %s: %u free before the input, %u after",
			   pool_name[i], before[i], after[i]);
	for (i = 0; i < vd.n_workers; i++)
		FUZZ_CHECK(vd.workers[i]->ctr.drops[VTEP_DROP_NONE] == 0,
			   "worker %u counted %" PRIu64 " drops without a reason", i,
			   vd.workers[i]->ctr.drops[VTEP_DROP_NONE]);
	return 0;
}
