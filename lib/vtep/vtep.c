/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_hash_crc.h>

#include "vtep.h"
#include "vtep_private.h"

static const char *const drop_names[VTEP_DROP_MAX] = {
	[VTEP_DROP_NONE] = "none",
#define VTEP_DROP(e, name, help) [VTEP_DROP_##e] = name,
#include "vtep_drop.def"
#undef VTEP_DROP
};

static const char *const drop_help[VTEP_DROP_MAX] = {
	[VTEP_DROP_NONE] = "not dropped",
#define VTEP_DROP(e, name, help) [VTEP_DROP_##e] = help,
#include "vtep_drop.def"
#undef VTEP_DROP
};

const char *
vtep_drop_name(enum vtep_drop d)
{
	return (unsigned)d < VTEP_DROP_MAX ? drop_names[d] : "?";
}

const char *
vtep_drop_help(enum vtep_drop d)
{
	return (unsigned)d < VTEP_DROP_MAX ? drop_help[d] : "?";
}

int
vtep_tmpl_build(struct vtep_tmpl *t, const struct vtep_tmpl_params *p)
{
	struct vtep_outer4 *h = &t->hdr;

	if (p->src.family != AF_INET || p->dst.family != AF_INET)
		return -EAFNOSUPPORT;
	if (p->ttl == 0 || p->udp_port == 0)
		return -EINVAL;

	memset(t, 0, sizeof(*t));
	rte_ether_addr_copy(&p->dst_mac, &h->eth.dst_addr);
	rte_ether_addr_copy(&p->src_mac, &h->eth.src_addr);
	h->eth.ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);

	h->ip.version_ihl = RTE_IPV4_VHL_DEF;
	h->ip.type_of_service = p->tos;
	h->ip.fragment_offset = p->df ? rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG) : 0;
	h->ip.next_proto_id = IPPROTO_UDP;
	h->ip.src_addr = p->src.v4;
	h->ip.dst_addr = p->dst.v4;
	h->ip.time_to_live = p->ttl;
	/* Length, id and checksum are zero here; vtep_encap() adds the first
	 * two to this partial sum per packet, and corrects TOS and TTL when a
	 * packet's differ. */
	t->ip_sum = vtep_csum_fold(__rte_raw_cksum(&h->ip, sizeof(h->ip), 0));

	/* UDP checksum stays 0: RFC 7348 allows it over IPv4, and the inner
	 * frame carries its own end-to-end checksums. */
	h->udp.dst_port = rte_cpu_to_be_16(p->udp_port);
	h->udp.dgram_cksum = 0;

	h->vxlan.vx_flags = rte_cpu_to_be_32((uint32_t)VTEP_VXLAN_FLAG_I << 24);
	return 0;
}

/*
 * The flow hash reads the fields in place with the CRC32-C instruction (when
 * the CPU has it) instead of gathering them into a buffer first: it runs on
 * every encapsulated packet.
 */
uint32_t
vtep_flow_hash(const struct rte_mbuf *m)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m);
	uint32_t off = sizeof(struct rte_ether_hdr);
	uint32_t h = 0x5bd1e995;
	uint16_t et;

	if (unlikely(len < sizeof(struct rte_ether_hdr)))
		return 0;
	/* Both MACs: bytes 0-11. */
	h = rte_hash_crc_8byte(vtep_load64(p), h);
	h = rte_hash_crc_4byte(vtep_load32(p + 8), h);
	memcpy(&et, p + 12, 2);
	if (et == rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN) && len >= off + 4) {
		memcpy(&et, p + 16, 2);
		off += 4;
	}
	if (et == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) &&
	    len >= off + sizeof(struct rte_ipv4_hdr)) {
		const struct rte_ipv4_hdr *ip = (const void *)(p + off);
		uint32_t ihl = (ip->version_ihl & 0x0f) * 4u;
		uint32_t ports = 0;

		/* Ports of unfragmented datagrams only, so that all fragments
		 * of one take the same path. */
		if ((ip->next_proto_id == IPPROTO_TCP || ip->next_proto_id == IPPROTO_UDP ||
		     ip->next_proto_id == IPPROTO_SCTP) && ihl >= 20 &&
		    (ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_OFFSET_MASK |
							   RTE_IPV4_HDR_MF_FLAG)) == 0 &&
		    len >= off + ihl + 4)
			ports = vtep_load32(p + off + ihl);
		/* Source and destination addresses: 8 bytes at offset 12. */
		h = rte_hash_crc_8byte(vtep_load64((const uint8_t *)ip + 12), h);
		h = rte_hash_crc_8byte(((uint64_t)ip->next_proto_id << 32) | ports, h);
		return h;
	}
	return rte_hash_crc_4byte(et, h);
}

void
vtep_pkt_truncate_chain(struct rte_mbuf *m, uint32_t len)
{
	struct rte_mbuf *s = m, *rest;
	uint32_t keep = len;
	uint16_t nb = 1;

	while (keep > s->data_len && s->next != NULL) {
		keep -= s->data_len;
		s = s->next;
		nb++;
	}
	s->data_len = (uint16_t)keep;
	rest = s->next;
	s->next = NULL;
	m->nb_segs = nb;
	m->pkt_len = len;
	rte_pktmbuf_free(rest);
}

enum vtep_drop
vtep_ecn_decap_ce(uint8_t *l3, bool v6)
{
	if (v6) {
		struct rte_ipv6_hdr *ip = (void *)l3;
		uint32_t f = rte_be_to_cpu_32(ip->vtc_flow);

		if ((f & RTE_IPV6_HDR_ECN_MASK) == 0)
			return VTEP_DROP_ECN_CE_NOT_ECT;
		ip->vtc_flow = rte_cpu_to_be_32(f | RTE_IPV6_HDR_ECN_CE);
	} else {
		struct rte_ipv4_hdr *ip = (void *)l3;
		uint16_t old = rte_be_to_cpu_16(*(const unaligned_uint16_t *)ip);
		uint16_t new = old | VTEP_ECN_CE;
		uint32_t sum;

		if ((old & VTEP_ECN_MASK) == VTEP_ECN_NOT_ECT)
			return VTEP_DROP_ECN_CE_NOT_ECT;
		sum = (uint16_t)~rte_be_to_cpu_16(ip->hdr_checksum) + (uint16_t)~old + new;
		ip->type_of_service |= VTEP_ECN_CE;
		ip->hdr_checksum = rte_cpu_to_be_16((uint16_t)~vtep_csum_fold(sum));
	}
	return VTEP_DROP_NONE;
}
