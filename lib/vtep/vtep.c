/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_hash_crc.h>

#include "vtep.h"

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
	h->ip.type_of_service = 0;
	h->ip.fragment_offset = p->df ? rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG) : 0;
	h->ip.time_to_live = p->ttl;
	h->ip.next_proto_id = IPPROTO_UDP;
	h->ip.src_addr = p->src.v4;
	h->ip.dst_addr = p->dst.v4;
	/* Length, id and checksum are zero here; vtep_encap() adds the first
	 * two to this partial sum per packet. */
	t->ip_sum = vtep_csum_fold(__rte_raw_cksum(&h->ip, sizeof(h->ip), 0));

	/* UDP checksum stays 0: RFC 7348 allows it over IPv4, and the inner
	 * frame carries its own end-to-end checksums. */
	h->udp.dst_port = rte_cpu_to_be_16(p->udp_port);
	h->udp.dgram_cksum = 0;

	h->vxlan.vx_flags = rte_cpu_to_be_32((uint32_t)VTEP_VXLAN_FLAG_I << 24);
	return 0;
}

/* Bytes of the inner frame that identify its flow. */
struct flow_words {
	uint8_t macs[12];
	uint16_t ether_type;
	uint8_t proto;
	uint8_t pad;
	uint32_t src, dst;
	uint32_t ports;
};

uint32_t
vtep_flow_hash(const struct rte_mbuf *m)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m);
	struct flow_words w;
	uint32_t off = sizeof(struct rte_ether_hdr);
	uint16_t et;

	memset(&w, 0, sizeof(w));
	if (unlikely(len < sizeof(struct rte_ether_hdr)))
		return 0;
	memcpy(w.macs, p, 12);
	memcpy(&et, p + 12, 2);
	if (et == rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN) && len >= off + 4) {
		memcpy(&et, p + 16, 2);
		off += 4;
	}
	w.ether_type = et;
	if (et == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) &&
	    len >= off + sizeof(struct rte_ipv4_hdr)) {
		const struct rte_ipv4_hdr *ip = (const void *)(p + off);
		uint32_t ihl = (ip->version_ihl & 0x0f) * 4u;

		w.proto = ip->next_proto_id;
		w.src = ip->src_addr;
		w.dst = ip->dst_addr;
		/* Ports of the first fragment only, so that all fragments of a
		 * datagram take the same path. */
		if ((w.proto == IPPROTO_TCP || w.proto == IPPROTO_UDP ||
		     w.proto == IPPROTO_SCTP) && ihl >= 20 &&
		    (ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_OFFSET_MASK |
							   RTE_IPV4_HDR_MF_FLAG)) == 0 &&
		    len >= off + ihl + 4)
			memcpy(&w.ports, p + off + ihl, 4);
	}
	return rte_hash_crc(&w, sizeof(w), 0x5bd1e995);
}
