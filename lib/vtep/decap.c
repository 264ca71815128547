/* SPDX-License-Identifier: BSD-3-Clause */
#include <netinet/in.h>

#include <rte_arp.h>

#include "vtep.h"

static inline enum vtep_rx_kind
drop(struct vtep_rx_info *i, enum vtep_drop why)
{
	i->drop = why;
	return VTEP_RX_DROP;
}

enum vtep_rx_kind
vtep_decap_classify(const struct vtep_decap_ctx *ctx, const struct rte_mbuf *m,
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

	i->drop = VTEP_DROP_NONE;
	if (unlikely(len < sizeof(*eth)))
		return drop(i, VTEP_DROP_TRUNCATED);
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
	if (unlikely(off + ip_len > pkt_len))
		return drop(i, VTEP_DROP_TRUNCATED);
	/* A PMD that verified the checksum says so; otherwise verify here. */
	if ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_BAD)
		return drop(i, VTEP_DROP_IP_BAD_CSUM);
	if ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) != RTE_MBUF_F_RX_IP_CKSUM_GOOD &&
	    unlikely(vtep_csum_fold(__rte_raw_cksum(ip, ihl, 0)) != 0xffff))
		return drop(i, VTEP_DROP_IP_BAD_CSUM);
	if (unlikely(ip->dst_addr != ctx->local_ip))
		return drop(i, VTEP_DROP_NOT_FOR_US);
	if (unlikely(ip->next_proto_id != IPPROTO_UDP)) {
		if (ip->next_proto_id == IPPROTO_ICMP)
			return VTEP_RX_PUNT;
		return drop(i, VTEP_DROP_NOT_FOR_US);
	}
	/* Fragments are dropped rather than reassembled: RFC 7348 section 4.3
	 * expects VTEPs not to fragment, and reassembly at line rate would cost
	 * state per flow. */
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
	off += sizeof(*udp);
	vx = (const void *)(p + off);
	/* Only the I flag is checked; the other flag bits and the reserved
	 * fields are ignored on receive (RFC 7348 section 5). */
	if (unlikely(!(vx->vx_flags & rte_cpu_to_be_32((uint32_t)VTEP_VXLAN_FLAG_I << 24))))
		return drop(i, VTEP_DROP_VXLAN_BAD_FLAGS);
	off += sizeof(*vx);
	/* The inner frame ends where the outer IP packet does: trailing
	 * Ethernet padding of the outer frame is not part of it. */
	if (unlikely(sizeof(*eth) + ip_len < off + sizeof(struct rte_ether_hdr)))
		return drop(i, VTEP_DROP_INNER_TOO_SHORT);

	i->vni = rte_be_to_cpu_32(vx->vx_vni) >> 8;
	i->outer_src = ip->src_addr;
	i->outer_len = (uint16_t)off;
	i->inner_len = (uint16_t)(sizeof(*eth) + ip_len - off);
	return VTEP_RX_VXLAN;
}
