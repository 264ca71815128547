/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Receive-side validation of underlay frames. vtepd owns its ports, often in
 * promiscuous mode, so this makes every check that the NIC's filter and the
 * Linux IPv4 and UDP input paths make before the kernel's vxlan_rcv() sees a
 * frame, then the VXLAN checks of RFC 7348 section 5. docs/CONFORMANCE.md
 * lists each check with its test.
 */
#include <netinet/in.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>

#include "vtep.h"
#include "vtep_private.h"


static inline enum vtep_rx_kind
drop(struct vtep_rx_info *i, enum vtep_drop why)
{
	i->drop = why;
	return VTEP_RX_DROP;
}

/*
 * Sources the kernel's route input calls martian (ip_route_input_slow,
 * fib_validate_source): multicast, the limited broadcast, 0.0.0.0/8,
 * 127.0.0.0/8, and our own or our prefix's broadcast address. A VTEP must
 * not learn an inner MAC behind any of them.
 */
static inline bool
martian_source(const struct vtep_decap_ctx *ctx, rte_be32_t src)
{
	uint32_t a = rte_be_to_cpu_32(src);

	return (a >> 28) == 0xe || a == 0xffffffffu || (a >> 24) == 0 || (a >> 24) == 127 ||
	       src == ctx->local_ip || (ctx->bcast_ip != 0 && src == ctx->bcast_ip);
}

/*
 * The ones' complement sum of @len bytes at offset @off of chain @m, with
 * each segment's partial sum byte-swapped when it starts at an odd offset of
 * the datagram. DPDK 22.11's rte_raw_cksum_mbuf() gets that case wrong (a
 * right checksum then fails), so the chain is walked here.
 */
static __rte_noinline uint32_t
sum_chain(const struct rte_mbuf *m, uint32_t off, uint32_t len, bool *ok)
{
	uint32_t sum = 0, done = 0;

	while (m != NULL && off >= m->data_len) {
		off -= m->data_len;
		m = m->next;
	}
	for (; m != NULL && done < len; m = m->next, off = 0) {
		uint32_t n = RTE_MIN(m->data_len - off, len - done);
		uint16_t part = vtep_csum_fold(
			__rte_raw_cksum(rte_pktmbuf_mtod_offset(m, const uint8_t *, off), n, 0));

		sum += (done & 1) ? rte_bswap16(part) : part;
		done += n;
	}
	*ok = done == len;
	return sum;
}

/* A non-zero UDP checksum: the port's verdict where it gives one, else ours. */
static inline bool
udp_csum_bad(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip, uint32_t l4_off,
	     uint32_t ulen)
{
	uint32_t sum;
	bool ok;

	switch (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) {
	case RTE_MBUF_F_RX_L4_CKSUM_GOOD:
	case RTE_MBUF_F_RX_L4_CKSUM_NONE:  /* data intact, field not filled in */
		return false;
	case RTE_MBUF_F_RX_L4_CKSUM_BAD:
		return true;
	}
	/* The datagram is usually whole in the first segment. */
	if (likely(rte_pktmbuf_data_len(m) >= l4_off + ulen))
		return rte_ipv4_udptcp_cksum_verify(ip, rte_pktmbuf_mtod_offset(m, const void *,
									      l4_off)) != 0;
	sum = sum_chain(m, l4_off, ulen, &ok) + rte_ipv4_phdr_cksum(ip, 0);
	return !ok || vtep_csum_fold(sum) != 0xffff;
}

/*
 * The frame nearly every packet is: option-less IPv4 in one segment to our
 * MAC and address, an unfragmented UDP datagram to our port with a zero
 * checksum, the I flag set, and lengths that agree. The fixed fields are
 * compared as a few masked words with one branch; anything else, and every
 * drop, takes the full walk below, which gives the reason. The checks are
 * the same: the fast match only accepts what the walk would accept, and
 * fills the same fields (tests/fuzz/fuzz_decap.c holds the two against
 * each other). The match reads ctx's derived words (vtep_decap_ctx_init()):
 * a MAC assembled on the stack per frame stalled every frame on a store
 * that could not be forwarded to the wider load.
 */
static inline bool
classify_fast(const struct vtep_decap_ctx *ctx, const struct rte_mbuf *m,
	      struct vtep_rx_info *i)
{
	enum { OUTER = 14 + 20 + 8 + 8 };
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m);
	const struct rte_ipv4_hdr *ip = (const void *)(p + 14);
	uint64_t mac_mask = rte_cpu_to_be_64(0xffffffffffff0000ull);
	uint64_t csum = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
	uint64_t diff;
	uint32_t ip_len, src;

	if (unlikely(len < OUTER + RTE_ETHER_HDR_LEN))
		return false;
	/* ether type IPv4, version 4 with no options */
	diff = (vtep_load64(p) & mac_mask) ^ ctx->mac_word;
	diff |= (vtep_load32(p + 12) & rte_cpu_to_be_32(0xffffff00u)) ^ rte_cpu_to_be_32(0x08004500u);
	/* no MF, no offset; protocol UDP */
	diff |= (vtep_load32(p + 20) & rte_cpu_to_be_32(0x3fff00ffu)) ^ rte_cpu_to_be_32(IPPROTO_UDP);
	diff |= vtep_load32(p + 30) ^ ctx->local_ip;
	/* UDP destination port, zero checksum, the I flag */
	diff |= (vtep_load32(p + 34) & rte_cpu_to_be_32(0x0000ffffu)) ^ ctx->port_word;
	diff |= vtep_load32(p + 38) & rte_cpu_to_be_32(0x0000ffffu);
	diff |= (p[42] & VTEP_VXLAN_FLAG_I) ^ VTEP_VXLAN_FLAG_I;
	if (diff != 0)
		return false;
	ip_len = rte_be_to_cpu_16(ip->total_length);
	if (ip_len + 14u > rte_pktmbuf_pkt_len(m) || ip_len < OUTER - 14 + RTE_ETHER_HDR_LEN ||
	    rte_be_to_cpu_16(*(const unaligned_uint16_t *)(p + 38)) != ip_len - 20)
		return false;
	if (csum != RTE_MBUF_F_RX_IP_CKSUM_GOOD &&
	    (csum == RTE_MBUF_F_RX_IP_CKSUM_BAD ||
	     vtep_csum_fold(__rte_raw_cksum(ip, 20, 0)) != 0xffff))
		return false;
	src = vtep_load32(p + 26);
	if (martian_source(ctx, src))
		return false;
	i->drop = VTEP_DROP_NONE;
	i->vni = rte_be_to_cpu_32(vtep_load32(p + 46)) >> 8;
	i->outer_src = src;
	i->outer_dst = ctx->local_ip;
	i->outer_tos = ip->type_of_service;
	i->outer_len = OUTER;
	i->inner_len = (uint16_t)(14 + ip_len - OUTER);
	return true;
}

enum vtep_rx_kind
vtep_decap_classify(const struct vtep_decap_ctx *ctx, const struct rte_mbuf *m,
		    struct vtep_rx_info *i)
{
	if (likely(classify_fast(ctx, m, i)))
		return VTEP_RX_VXLAN;
	return vtep_decap_classify_walk(ctx, m, i);
}

enum vtep_rx_kind
vtep_decap_classify_walk(const struct vtep_decap_ctx *ctx, const struct rte_mbuf *m,
			 struct vtep_rx_info *i)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	/* Headers are read from the first segment only: every PMD puts at
	 * least the first 128 bytes of a frame there. A frame whose headers
	 * straddle segments is treated as truncated. */
	uint32_t len = rte_pktmbuf_data_len(m);
	uint32_t pkt_len = rte_pktmbuf_pkt_len(m);
	const struct rte_ether_hdr *eth = (const void *)p;
	const struct rte_ipv4_hdr *ip;
	const struct rte_udp_hdr *udp;
	const struct rte_vxlan_hdr *vx;
	uint32_t ihl, ip_len, off;
	bool mcast = false;

	i->drop = VTEP_DROP_NONE;
	if (unlikely(len < sizeof(*eth)))
		return drop(i, VTEP_DROP_TRUNCATED);
	/* The NIC's unicast filter: a promiscuous port passes every frame on
	 * the wire, and the kernel drops those for other hosts
	 * (PACKET_OTHERHOST) before IP sees them. */
	if (unlikely(!rte_is_same_ether_addr(&eth->dst_addr, &ctx->local_mac))) {
		/* An IPv4 group's MAC (RFC 1112 6.4): the IP destination
		 * must be a group that maps to it, checked below. */
		if (eth->dst_addr.addr_bytes[0] == 0x01 && eth->dst_addr.addr_bytes[1] == 0x00 &&
		    eth->dst_addr.addr_bytes[2] == 0x5e && !(eth->dst_addr.addr_bytes[3] & 0x80) &&
		    eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4)) {
			mcast = true;
		} else {
			if (!rte_is_broadcast_ether_addr(&eth->dst_addr))
				return drop(i, VTEP_DROP_ETH_NOT_OURS);
			if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP))
				return VTEP_RX_PUNT;
			/* RFC 1122 3.3.6: a datagram received by link-layer
			 * broadcast whose IP destination is no broadcast or
			 * multicast address SHOULD be discarded. VXLAN and
			 * echo requests to the VTEP address are unicast, so
			 * nothing else is taken from a broadcast frame. */
			return drop(i, VTEP_DROP_L2_BCAST_NOT_ARP);
		}
	}
	if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP))
		return VTEP_RX_PUNT;
	if (unlikely(eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4)))
		return drop(i, VTEP_DROP_NOT_FOR_US);

	off = sizeof(*eth);
	if (unlikely(len < off + sizeof(*ip)))
		return drop(i, VTEP_DROP_TRUNCATED);
	ip = (const void *)(p + off);
	ihl = (ip->version_ihl & 0x0f) * 4u;
	ip_len = rte_be_to_cpu_16(ip->total_length);
	if (unlikely((ip->version_ihl >> 4) != 4 || ihl < sizeof(*ip) || ip_len < ihl))
		return drop(i, VTEP_DROP_IP_BAD_HDR);
	if (unlikely(len < off + ihl))
		return drop(i, VTEP_DROP_TRUNCATED);
	/* A frame shorter than its IP packet is cut; a longer one carries
	 * Ethernet padding, which the inner frame does not include. */
	if (unlikely(off + ip_len > pkt_len))
		return drop(i, VTEP_DROP_TRUNCATED);
	/* A PMD that verified the checksum says so; otherwise verify here. */
	if ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_BAD)
		return drop(i, VTEP_DROP_IP_BAD_CSUM);
	if ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) != RTE_MBUF_F_RX_IP_CKSUM_GOOD &&
	    unlikely(vtep_csum_fold(__rte_raw_cksum(ip, ihl, 0)) != 0xffff))
		return drop(i, VTEP_DROP_IP_BAD_CSUM);
	if (unlikely(mcast)) {
		struct rte_ether_addr gm;

		/* RFC 7348 section 4.2: VXLAN to a group the VNIs joined;
		 * IGMP to any group (queries, other hosts' reports) is for
		 * the control thread, before the source check: a snooping
		 * switch's querier may send from 0.0.0.0. */
		vtep_group_mac(ip->dst_addr, &gm);
		if (!vtep_ip4_is_mcast(ip->dst_addr) || !rte_is_same_ether_addr(&gm, &eth->dst_addr))
			return drop(i, VTEP_DROP_ETH_NOT_OURS);
		if (ip->next_proto_id == IPPROTO_IGMP)
			return VTEP_RX_PUNT;
		if (!vtep_decap_joined(ctx, ip->dst_addr))
			return drop(i, VTEP_DROP_GROUP_NOT_JOINED);
	} else if (unlikely(ip->dst_addr != ctx->local_ip)) {
		return drop(i, VTEP_DROP_NOT_FOR_US);
	}
	if (unlikely(martian_source(ctx, ip->src_addr)))
		return drop(i, VTEP_DROP_IP_BAD_SRC);
	if (unlikely(ip->next_proto_id != IPPROTO_UDP)) {
		/* Echo requests to the VTEP address only, never to a group. */
		if (ip->next_proto_id == IPPROTO_ICMP && !mcast)
			return VTEP_RX_PUNT;
		return drop(i, VTEP_DROP_NOT_FOR_US);
	}
	/* Fragments are dropped rather than reassembled: RFC 7348 section 4.3
	 * lets the destination VTEP discard them, and reassembly at line rate
	 * would cost state per flow. */
	if (unlikely(ip->fragment_offset &
		     rte_cpu_to_be_16(RTE_IPV4_HDR_OFFSET_MASK | RTE_IPV4_HDR_MF_FLAG)))
		return drop(i, VTEP_DROP_IP_FRAGMENT);

	off += ihl;
	if (unlikely(len < off + sizeof(*udp) + sizeof(*vx) ||
		     ip_len < ihl + sizeof(*udp) + sizeof(*vx)))
		return drop(i, VTEP_DROP_TRUNCATED);
	udp = (const void *)(p + off);
	if (unlikely(udp->dst_port != ctx->udp_port))
		return drop(i, VTEP_DROP_NOT_FOR_US);
	/* The UDP length must be the IP payload's. The kernel drops a longer
	 * one and trims the packet to a shorter one; we drop both: the inner
	 * frame's end is taken from these lengths, and with the usual zero
	 * UDP checksum nothing else tells which of the two is right. */
	if (unlikely(rte_be_to_cpu_16(udp->dgram_len) != ip_len - ihl))
		return drop(i, VTEP_DROP_UDP_BAD_LEN);
	/* RFC 7348 section 5: a zero checksum MUST be accepted; a non-zero
	 * one MAY be verified, and if it is, a wrong one MUST be dropped. The
	 * kernel verifies it, and so do we. */
	if (unlikely(udp->dgram_cksum != 0) && udp_csum_bad(m, ip, off, ip_len - ihl))
		return drop(i, VTEP_DROP_UDP_BAD_CSUM);
	off += sizeof(*udp);
	vx = (const void *)(p + off);
	/* Only the I flag is checked; the other flag bits and the reserved
	 * fields are ignored on receive as RFC 7348 section 5 says. The
	 * kernel diverges here and drops frames with reserved bits set. */
	if (unlikely(!(vx->vx_flags & rte_cpu_to_be_32((uint32_t)VTEP_VXLAN_FLAG_I << 24))))
		return drop(i, VTEP_DROP_VXLAN_BAD_FLAGS);
	off += sizeof(*vx);
	if (unlikely(sizeof(*eth) + ip_len < off + sizeof(struct rte_ether_hdr)))
		return drop(i, VTEP_DROP_INNER_TOO_SHORT);
	/* The inner Ethernet header is read from the first segment too. */
	if (unlikely(len < off + sizeof(struct rte_ether_hdr)))
		return drop(i, VTEP_DROP_TRUNCATED);

	i->vni = rte_be_to_cpu_32(vx->vx_vni) >> 8;
	i->outer_src = ip->src_addr;
	i->outer_dst = ip->dst_addr;
	i->outer_tos = ip->type_of_service;
	i->outer_len = (uint16_t)off;
	i->inner_len = (uint16_t)(sizeof(*eth) + ip_len - off);
	return VTEP_RX_VXLAN;
}
