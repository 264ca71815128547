/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: vtep_decap_classify() on arbitrary frames.
 *
 * Input: byte 0 selects the RX offload flags the "PMD" set (IP and L4
 * checksum verdicts, outer checksum bits), byte 1 where the frame is split
 * into two segments (0: not split), byte 2 the mode (bit 0: RFC 6040 ECN
 * decapsulation, bit 1: the VNI accepts tagged inner frames), the rest is
 * the frame. A valid VXLAN frame's inner frame then goes through
 * vtep_decap_inner() as the worker does it.
 *
 * Each segment lives in a heap buffer of exactly its length, with no
 * headroom, so that AddressSanitizer catches any read outside the frame.
 * The verdict is checked against what vtep.h promises for each kind.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include <rte_arp.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "fuzz_eal.h"
#include "vtep.h"

/* 02:00:00:00:00:01, 198.18.0.1/24 and the IANA port: what the seeds are
 * built for. */
static struct vtep_decap_ctx ctx;   /* vtep_decap_ctx_init() at start */
/* The groups joined: 239.1.1.100 and 239.129.1.100, which share a MAC. */
static const rte_be32_t groups[] = { RTE_BE32(0xef010164), RTE_BE32(0xef810164) };

/* The whole frame of this input, contiguous, for what spans segments. */
static const uint8_t *whole;
static uint64_t frames;

static uint64_t
ol_flags_of(uint8_t b)
{
	static const uint64_t ip[4] = {
		RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN, RTE_MBUF_F_RX_IP_CKSUM_BAD,
		RTE_MBUF_F_RX_IP_CKSUM_GOOD, RTE_MBUF_F_RX_IP_CKSUM_NONE,
	};
	static const uint64_t l4[4] = {
		RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN, RTE_MBUF_F_RX_L4_CKSUM_BAD,
		RTE_MBUF_F_RX_L4_CKSUM_GOOD, RTE_MBUF_F_RX_L4_CKSUM_NONE,
	};
	uint64_t f = ip[b & 3] | l4[(b >> 2) & 3];

	if (b & 0x10)
		f |= RTE_MBUF_F_RX_OUTER_IP_CKSUM_BAD;
	if (b & 0x20)
		f |= RTE_MBUF_F_RX_OUTER_L4_CKSUM_BAD;
	if (b & 0x40)
		f |= RTE_MBUF_F_RX_OUTER_L4_CKSUM_GOOD;
	if (b & 0x80)
		f |= RTE_MBUF_F_RX_RSS_HASH;
	return f;
}

static void
seg_init(struct rte_mbuf *m, uint8_t *buf, uint32_t len)
{
	memset(m, 0, sizeof(*m));
	m->buf_addr = buf;
	m->buf_len = (uint16_t)len;
	m->data_off = 0;
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	m->nb_segs = 1;
	rte_mbuf_refcnt_set(m, 1);
}

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* To a multicast group, at the group's own MAC (RFC 1112 6.4). */
static bool
to_group_mac(const uint8_t *f)
{
	return (f[30] >> 4) == 0xe && f[0] == 0x01 && f[1] == 0x00 && f[2] == 0x5e &&
	       f[3] == (f[31] & 0x7f) && f[4] == f[32] && f[5] == f[33];
}

/* What an IPv4 header the data path accepted (VXLAN) or punted (ICMP,
 * IGMP) must be: the control thread's ICMP and IGMP code rely on it. */
static void
check_ip(const struct rte_mbuf *m, const uint8_t *f, uint64_t ol)
{
	uint32_t data_len = rte_pktmbuf_data_len(m);
	uint32_t ihl, tot;

	FUZZ_CHECK(data_len >= 14 + 20, "data_len %u", data_len);
	FUZZ_CHECK(rd16(f + 12) == RTE_ETHER_TYPE_IPV4, "ether type %04x", rd16(f + 12));
	FUZZ_CHECK(f[14] >> 4 == 4, "IP version %u", f[14] >> 4);
	ihl = (f[14] & 0xf) * 4u;
	tot = rd16(f + 16);
	FUZZ_CHECK(ihl >= 20 && data_len >= 14 + ihl, "ihl %u data_len %u", ihl, data_len);
	FUZZ_CHECK(tot >= ihl && 14 + tot <= rte_pktmbuf_pkt_len(m),
		   "total length %u ihl %u pkt_len %u", tot, ihl, rte_pktmbuf_pkt_len(m));
	if (memcmp(f + 30, &ctx.local_ip, 4) == 0)
		FUZZ_CHECK(memcmp(f, ctx.local_mac.addr_bytes, 6) == 0,
			   "IPv4 taken from a frame not to the port's MAC");
	else
		FUZZ_CHECK(to_group_mac(f), "not to the local address, nor to a group at its MAC");
	FUZZ_CHECK((ol & RTE_MBUF_F_RX_IP_CKSUM_MASK) != RTE_MBUF_F_RX_IP_CKSUM_BAD,
		   "the PMD said the IPv4 checksum is bad");
	if ((ol & RTE_MBUF_F_RX_IP_CKSUM_MASK) != RTE_MBUF_F_RX_IP_CKSUM_GOOD)
		FUZZ_CHECK(rte_raw_cksum(f + 14, ihl) == 0xffff, "bad IPv4 checksum");
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Sources docs/CONFORMANCE.md calls martian. */
static bool
martian(const uint8_t *a)
{
	uint32_t v = rd32(a);

	return (v >> 28) == 0xe || v == 0xffffffffu || (v >> 24) == 0 || (v >> 24) == 127 ||
	       memcmp(a, &ctx.local_ip, 4) == 0 || memcmp(a, &ctx.bcast_ip, 4) == 0;
}

/* The UDP checksum over the datagram the IP header delimits. */
static bool
udp_csum_ok(uint32_t ihl)
{
	const uint8_t *f = whole;
	uint32_t udp = 14 + ihl, len = rd16(f + 16) - ihl, sum;
	uint8_t ph[12];

	memcpy(ph, f + 26, 8);
	ph[8] = 0;
	ph[9] = IPPROTO_UDP;
	ph[10] = (uint8_t)(len >> 8);
	ph[11] = (uint8_t)len;
	sum = __rte_raw_cksum(ph, sizeof(ph), 0);
	sum = __rte_raw_cksum(f + udp, len, sum);
	return vtep_csum_fold(sum) == 0xffff;
}

static void
check_vxlan(const struct rte_mbuf *m, const uint8_t *f, const struct vtep_rx_info *i)
{
	uint32_t data_len = rte_pktmbuf_data_len(m);
	uint32_t ihl = (f[14] & 0xf) * 4u, udp = 14 + ihl;
	uint32_t vni;

	check_ip(m, f, m->ol_flags);
	FUZZ_CHECK(i->drop == VTEP_DROP_NONE, "drop %d on VXLAN", i->drop);
	FUZZ_CHECK(f[23] == IPPROTO_UDP, "protocol %u", f[23]);
	FUZZ_CHECK((rd16(f + 20) & 0x3fff) == 0, "fragment accepted (%04x)", rd16(f + 20));
	FUZZ_CHECK(i->outer_len == udp + 16, "outer_len %u, ihl %u", i->outer_len, ihl);
	FUZZ_CHECK(i->outer_len <= data_len, "outer_len %u past the first segment (%u)",
		   i->outer_len, data_len);
	FUZZ_CHECK(i->inner_len >= RTE_ETHER_HDR_LEN, "inner_len %u", i->inner_len);
	FUZZ_CHECK(i->outer_len + RTE_ETHER_HDR_LEN <= data_len,
		   "inner Ethernet header past the first segment (%u)", data_len);
	FUZZ_CHECK((uint32_t)i->outer_len + i->inner_len <= rte_pktmbuf_pkt_len(m),
		   "outer_len %u + inner_len %u > pkt_len %u", i->outer_len, i->inner_len,
		   rte_pktmbuf_pkt_len(m));
	/* The inner frame ends where the outer IP packet does. */
	FUZZ_CHECK(14u + rd16(f + 16) == (uint32_t)i->outer_len + i->inner_len,
		   "IP total length %u, outer_len %u, inner_len %u", rd16(f + 16),
		   i->outer_len, i->inner_len);
	FUZZ_CHECK(memcmp(f + udp + 2, &ctx.udp_port, 2) == 0, "UDP port %u", rd16(f + udp + 2));
	FUZZ_CHECK(!martian(f + 26), "martian source %08x", rd32(f + 26));
	FUZZ_CHECK(rd16(f + udp + 4) == rd16(f + 16) - ihl, "UDP length %u, IP payload %u",
		   rd16(f + udp + 4), rd16(f + 16) - ihl);
	if (rd16(f + udp + 6) != 0) {
		uint64_t l4 = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;

		FUZZ_CHECK(l4 != RTE_MBUF_F_RX_L4_CKSUM_BAD, "the PMD said the UDP checksum is bad");
		if (l4 == RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN)
			FUZZ_CHECK(udp_csum_ok(ihl), "bad UDP checksum accepted");
	}
	FUZZ_CHECK(f[udp + 8] & VTEP_VXLAN_FLAG_I, "I flag clear (%02x)", f[udp + 8]);
	vni = (uint32_t)f[udp + 12] << 16 | (uint32_t)f[udp + 13] << 8 | f[udp + 14];
	FUZZ_CHECK(i->vni == vni, "vni %u, header says %u", i->vni, vni);
	FUZZ_CHECK(memcmp(&i->outer_src, f + 26, 4) == 0, "outer_src is not the IP source");
	FUZZ_CHECK(memcmp(&i->outer_dst, f + 30, 4) == 0, "outer_dst is not the IP destination");
	if (i->outer_dst != ctx.local_ip)
		FUZZ_CHECK(vtep_decap_joined(&ctx, i->outer_dst), "VXLAN to a group not joined");
}

static void
check_punt(const struct rte_mbuf *m, const uint8_t *f)
{
	uint16_t et;

	FUZZ_CHECK(rte_pktmbuf_data_len(m) >= 14, "punted a runt");
	et = rd16(f + 12);
	if (et == RTE_ETHER_TYPE_ARP) {
		FUZZ_CHECK(memcmp(f, ctx.local_mac.addr_bytes, 6) == 0 ||
			   rte_is_broadcast_ether_addr((const void *)f), "ARP to another MAC punted");
		return;
	}
	check_ip(m, f, m->ol_flags);
	if (f[23] == IPPROTO_IGMP) {
		/* Queries may come from 0.0.0.0: no source check. */
		FUZZ_CHECK(to_group_mac(f), "IGMP punted that is not to a group at its MAC");
		return;
	}
	FUZZ_CHECK(memcmp(f + 30, &ctx.local_ip, 4) == 0, "ICMP punted not to the local address");
	FUZZ_CHECK(f[23] == IPPROTO_ICMP, "punted IP protocol %u", f[23]);
	FUZZ_CHECK(!martian(f + 26), "ICMP from a martian source punted");
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
report(void)
{
	fprintf(stderr, "fuzz_decap: frames %" PRIu64 "\n", frames);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_eal_init("decap", "0@(0,1)");
	vtep_decap_ctx_init(&ctx, &(const struct rte_ether_addr){
				    .addr_bytes = { 0x02, 0, 0, 0, 0, 0x01 } },
			    RTE_BE32(0xc6120001), RTE_BE32(0xc61200ff), VTEP_UDP_PORT_DEFAULT, false);
	ctx.groups = groups;
	ctx.n_groups = RTE_DIM(groups);
	atexit(report);
	return 0;
}

/*
 * The worker's next step on a valid VXLAN frame: strip the outer headers,
 * trim to inner_len, vtep_decap_inner(). The inner frame is copied into its
 * own exact-size buffers, split where the outer frame was.
 */
static void
check_inner(const uint8_t *frame, uint32_t l0, const struct vtep_rx_info *inf, uint8_t mode)
{
	bool ecn = mode & 1, accept_vlan = mode & 2;
	uint32_t il0 = RTE_MIN((uint32_t)inf->inner_len, l0 - inf->outer_len);
	uint32_t il1 = inf->inner_len - il0, et_off = 12, ihl;
	struct rte_mbuf m0, m1;
	uint8_t *b0 = malloc(il0 ? il0 : 1), *b1 = NULL;
	const uint8_t *orig = frame + inf->outer_len;
	struct rte_ether_addr src;
	enum vtep_drop why;
	uint16_t et;
	bool ce = ecn && (inf->outer_tos & VTEP_ECN_MASK) == VTEP_ECN_CE;

	memcpy(b0, orig, il0);
	seg_init(&m0, b0, il0);
	if (il1 != 0) {
		b1 = malloc(il1);
		memcpy(b1, orig + il0, il1);
		seg_init(&m1, b1, il1);
		m0.next = &m1;
		m0.nb_segs = 2;
		m0.pkt_len = inf->inner_len;
	}
	FUZZ_CHECK(inf->outer_tos == frame[15], "outer_tos %02x, header %02x", inf->outer_tos,
		   frame[15]);
	why = vtep_decap_inner(&m0, inf->outer_tos, ecn, accept_vlan);
	FUZZ_CHECK(why < VTEP_DROP_MAX, "inner verdict %d", (int)why);
	/* The walk alone, on a copy of its own: the same verdict (the one
	 * test of the common frame passes only what the walk passes). */
	{
		uint8_t *w0 = malloc(il0 ? il0 : 1), *w1 = il1 ? malloc(il1) : NULL;
		struct rte_mbuf x0, x1;
		enum vtep_drop walk;

		memcpy(w0, orig, il0);
		seg_init(&x0, w0, il0);
		if (il1 != 0) {
			memcpy(w1, orig + il0, il1);
			seg_init(&x1, w1, il1);
			x0.next = &x1;
			x0.nb_segs = 2;
			x0.pkt_len = inf->inner_len;
		}
		walk = vtep_decap_inner_walk(&x0, inf->outer_tos, ecn, accept_vlan);
		FUZZ_CHECK(walk == why, "inner verdict %d, the walk's %d", (int)why, (int)walk);
		free(w0);
		free(w1);
	}
	et = rd16(orig + 12);
	if (et == RTE_ETHER_TYPE_VLAN || et == RTE_ETHER_TYPE_QINQ) {
		FUZZ_CHECK(why != VTEP_DROP_NONE || accept_vlan, "tagged inner frame taken");
		et_off = 16;
	}
	if (why != VTEP_DROP_NONE) {
		FUZZ_CHECK(memcmp(b0, orig, il0) == 0, "dropped inner frame modified");
		goto out;
	}
	memcpy(src.addr_bytes, orig + 6, sizeof(src.addr_bytes));
	FUZZ_CHECK(rte_is_valid_assigned_ether_addr(&src), "inner source MAC %02x:%02x:... taken",
		   orig[6], orig[7]);
	FUZZ_CHECK(!(orig[0] == 0x01 && orig[1] == 0x80 && orig[2] == 0xc2 && orig[3] == 0 &&
		     orig[4] == 0 && (orig[5] & 0xf0) == 0), "link-local group taken");
	/* Only ECN decapsulation writes, and only the ECN field and what
	 * covers it; an IPv4 header checksum stays right. */
	et = il0 >= et_off + 2 ? rd16(orig + et_off) : 0;
	if (ce && et == RTE_ETHER_TYPE_IPV4 && il0 >= et_off + 2 + 20) {
		const uint8_t *o = orig + et_off + 2, *n = b0 + et_off + 2;

		ihl = (o[0] & 0xf) * 4u;
		FUZZ_CHECK((o[1] & VTEP_ECN_MASK) != VTEP_ECN_NOT_ECT, "Not-ECT under CE taken");
		FUZZ_CHECK((n[1] & VTEP_ECN_MASK) == VTEP_ECN_CE, "inner not marked CE");
		FUZZ_CHECK((n[1] & ~VTEP_ECN_MASK) == (o[1] & ~VTEP_ECN_MASK), "DSCP changed");
		FUZZ_CHECK(memcmp(b0, orig, et_off + 2 + 1) == 0 &&
			   memcmp(n + 2, o + 2, 8) == 0 &&
			   memcmp(n + 12, o + 12, il0 - (et_off + 2 + 12)) == 0,
			   "bytes other than TOS and checksum changed");
		if (ihl >= 20 && il0 >= et_off + 2 + ihl && rte_raw_cksum(o, ihl) == 0xffff)
			FUZZ_CHECK(rte_raw_cksum(n, ihl) == 0xffff, "IPv4 checksum broken by CE");
	} else if (ce && et == RTE_ETHER_TYPE_IPV6 && il0 >= et_off + 2 + 40) {
		const uint8_t *o = orig + et_off + 2, *n = b0 + et_off + 2;
		uint32_t fo = rd32(o), fn = rd32(n);

		FUZZ_CHECK((fo >> 20 & 3) != 0, "Not-ECT under CE taken");
		FUZZ_CHECK((fn >> 20 & 3) == 3 && (fn & ~(3u << 20)) == (fo & ~(3u << 20)),
			   "IPv6 flow word %08x -> %08x", fo, fn);
		FUZZ_CHECK(memcmp(b0, orig, et_off + 2) == 0 &&
			   memcmp(n + 4, o + 4, il0 - (et_off + 2 + 4)) == 0,
			   "bytes other than the traffic class changed");
	} else {
		FUZZ_CHECK(memcmp(b0, orig, il0) == 0, "inner frame modified");
	}
out:
	FUZZ_CHECK(b1 == NULL || memcmp(b1, orig + il0, il1) == 0, "inner second segment modified");
	free(b0);
	free(b1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rte_mbuf m0, m1;
	struct vtep_rx_info inf, again;
	enum vtep_rx_kind k;
	uint32_t len, l0;
	uint8_t *b0, *b1 = NULL;
	const uint8_t *frame = data + 3;

	if (size < 3 || size - 3 > UINT16_MAX)
		return -1;
	len = (uint32_t)(size - 3);
	l0 = data[1] == 0 ? len : RTE_MIN(len, (uint32_t)data[1] - 1);
	ctx.ecn = data[2] & 1;
	whole = frame;

	b0 = malloc(l0 ? l0 : 1);
	memcpy(b0, frame, l0);
	seg_init(&m0, b0, l0);
	if (l0 < len) {
		b1 = malloc(len - l0);
		memcpy(b1, frame + l0, len - l0);
		seg_init(&m1, b1, len - l0);
		m0.next = &m1;
		m0.nb_segs = 2;
		m0.pkt_len = len;
	}
	m0.ol_flags = ol_flags_of(data[0]);
	frames++;

	memset(&inf, 0xa5, sizeof(inf));
	k = vtep_decap_classify(&ctx, &m0, &inf);
	switch (k) {
	case VTEP_RX_VXLAN:
		check_vxlan(&m0, b0, &inf);
		break;
	case VTEP_RX_DROP:
		FUZZ_CHECK(inf.drop > VTEP_DROP_NONE && inf.drop < VTEP_DROP_MAX,
			   "drop reason %d", (int)inf.drop);
		/* A right checksum is never the reason, unless the PMD said so. */
		if (inf.drop == VTEP_DROP_UDP_BAD_CSUM &&
		    (m0.ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN)
			FUZZ_CHECK(!udp_csum_ok((frame[14] & 0xf) * 4u),
				   "right UDP checksum dropped as bad");
		break;
	case VTEP_RX_PUNT:
		check_punt(&m0, b0);
		break;
	default:
		FUZZ_CHECK(0, "kind %d", (int)k);
	}
	/* The frame is const to it, and the verdict a function of the frame. */
	FUZZ_CHECK(memcmp(b0, frame, l0) == 0, "frame modified");
	FUZZ_CHECK(b1 == NULL || memcmp(b1, frame + l0, len - l0) == 0,
		   "second segment modified");
	/* The verdict is a function of the frame, and the fast match agrees
	 * with the walk of every check: the same kind, reason and fields. */
	memset(&again, 0x5a, sizeof(again));
	FUZZ_CHECK(vtep_decap_classify_walk(&ctx, &m0, &again) == k,
		   "the walk's verdict differs from vtep_decap_classify()'s %d", (int)k);
	if (k == VTEP_RX_VXLAN)
		FUZZ_CHECK(again.vni == inf.vni && again.outer_len == inf.outer_len &&
			   again.inner_len == inf.inner_len && again.outer_src == inf.outer_src &&
			   again.outer_tos == inf.outer_tos && again.drop == inf.drop,
			   "the walk's VXLAN result differs");
	else if (k == VTEP_RX_DROP)
		FUZZ_CHECK(again.drop == inf.drop, "the walk's drop reason %d differs from %d",
			   (int)again.drop, (int)inf.drop);
	if (k == VTEP_RX_VXLAN)
		check_inner(frame, l0, &inf, data[2]);
	free(b0);
	free(b1);
	return 0;
}
