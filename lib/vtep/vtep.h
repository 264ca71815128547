/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VTEP_H
#define VTEP_H

/**
 * @file
 * VXLAN (RFC 7348) wire formats and the per-packet primitives of the data
 * plane: outer header templates, encapsulation, validation of received
 * VXLAN frames, the UDP source-port hash and the drop reasons.
 *
 * Everything here is inline or allocation-free and may run on a worker lcore.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>
#include <rte_vxlan.h>

#include "vtep_ip.h"

#define VTEP_UDP_PORT_DEFAULT 4789
#define VTEP_SPORT_MIN_DEFAULT 49152
#define VTEP_SPORT_MAX_DEFAULT 65535
#define VTEP_TTL_DEFAULT 64
#define VTEP_VNI_MAX 0xffffffu
/** VLAN value meaning "untagged" in an access binding. */
#define VTEP_VLAN_NONE 0xffffu
/** The VXLAN I flag: the VNI is valid (RFC 7348 section 5). */
#define VTEP_VXLAN_FLAG_I 0x08

/** Outer headers of an IPv4 VXLAN frame, as they go on the wire. */
struct vtep_outer4 {
	struct rte_ether_hdr eth;
	struct rte_ipv4_hdr ip;
	struct rte_udp_hdr udp;
	struct rte_vxlan_hdr vxlan;
} __rte_packed __rte_aligned(2);

_Static_assert(sizeof(struct rte_ether_hdr) == 14, "Ethernet header is 14 bytes");
_Static_assert(sizeof(struct rte_ipv4_hdr) == 20, "IPv4 header is 20 bytes");
_Static_assert(sizeof(struct rte_udp_hdr) == 8, "UDP header is 8 bytes");
_Static_assert(sizeof(struct rte_vxlan_hdr) == 8, "VXLAN header is 8 bytes");
_Static_assert(sizeof(struct vtep_outer4) == 50, "IPv4 VXLAN encapsulation adds 50 bytes");

/** Bytes the outer IPv4 header, UDP and VXLAN add to the inner frame. */
#define VTEP_OUTER4_IP_OVERHEAD \
	(sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_udp_hdr) + sizeof(struct rte_vxlan_hdr))

enum vtep_drop {
	VTEP_DROP_NONE = 0,
#define VTEP_DROP(e, name, help) VTEP_DROP_##e,
#include "vtep_drop.def"
#undef VTEP_DROP
	VTEP_DROP_MAX
};

/** Short name of a drop reason, as the daemon prints it. */
const char *vtep_drop_name(enum vtep_drop d);
/** One-line description of a drop reason. */
const char *vtep_drop_help(enum vtep_drop d);

/** What an outer header template is built from. */
struct vtep_tmpl_params {
	struct rte_ether_addr src_mac;  /**< underlay port MAC */
	struct rte_ether_addr dst_mac;  /**< next hop MAC */
	struct vtep_ip src;             /**< local VTEP address */
	struct vtep_ip dst;             /**< remote VTEP address */
	uint16_t udp_port;              /**< destination UDP port, host order */
	uint8_t ttl;
	bool df;
};

/**
 * An outer header built once per remote VTEP. Per packet only lengths, the
 * checksum, the source port and the VNI are patched.
 */
struct vtep_tmpl {
	struct vtep_outer4 hdr;
	/** Ones' complement sum of the IPv4 header with total length, id and
	 * checksum zero, folded to 16 bits, over words read in memory order:
	 * the packet's length and id (network order) are added to it. */
	uint16_t ip_sum;
} __rte_aligned(64);

/**
 * Build the outer header template for one remote VTEP.
 *
 * @return 0, or -EAFNOSUPPORT if either address is not IPv4,
 *   -EINVAL if a parameter is out of range (ttl 0, udp_port 0).
 */
int vtep_tmpl_build(struct vtep_tmpl *t, const struct vtep_tmpl_params *p);

/** How the data plane fills the per-packet fields of the outer header. */
struct vtep_encap_ctx {
	uint16_t sport_min;   /**< source port range, host order, inclusive */
	uint16_t sport_span;  /**< sport_max - sport_min + 1, 0 meaning 65536 */
	uint16_t mtu;         /**< largest outer IPv4 packet the underlay takes */
	bool csum_offload;    /**< the underlay port computes the outer IPv4 checksum */
	bool df;              /**< DF set: IPv4 id stays 0 (RFC 6864) */
	uint16_t ip_id;       /**< next IPv4 id when DF is clear; per worker */
};

/**
 * Hash of the inner frame's L2 to L4 headers, spread over the whole 32 bits:
 * the same flow always hashes the same, so its packets keep their order
 * through ECMP in the underlay (RFC 7348 section 5, source port).
 */
uint32_t vtep_flow_hash(const struct rte_mbuf *m);

/** Map a flow hash into the configured source port range (host order). */
static inline uint16_t
vtep_sport(const struct vtep_encap_ctx *c, uint32_t hash)
{
	uint32_t span = c->sport_span ? c->sport_span : 65536u;

	/* Multiply-shift instead of a modulo: uniform and division-free. */
	return (uint16_t)(c->sport_min + (uint32_t)(((uint64_t)hash * span) >> 32));
}

static inline uint16_t
vtep_csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/**
 * Prepend the outer headers of template @p t to the inner frame in @p m.
 *
 * @param vni   VNI, host order
 * @param sport UDP source port, host order
 * @return VTEP_DROP_NONE, VTEP_DROP_MTU_EXCEEDED (the outer packet would be
 *   larger than c->mtu; @p m is untouched) or VTEP_DROP_NO_HEADROOM.
 */
static inline enum vtep_drop
vtep_encap(struct vtep_encap_ctx *c, const struct vtep_tmpl *t,
	   struct rte_mbuf *m, uint32_t vni, uint16_t sport)
{
	uint32_t inner = rte_pktmbuf_pkt_len(m);
	uint32_t ip_len = inner + VTEP_OUTER4_IP_OVERHEAD;
	struct vtep_outer4 *h;
	uint16_t id = 0;

	if (unlikely(ip_len > c->mtu))
		return VTEP_DROP_MTU_EXCEEDED;
	h = (struct vtep_outer4 *)rte_pktmbuf_prepend(m, sizeof(*h));
	if (unlikely(h == NULL))
		return VTEP_DROP_NO_HEADROOM;

	rte_memcpy(h, &t->hdr, sizeof(*h));
	if (!c->df)
		id = c->ip_id++;
	h->ip.total_length = rte_cpu_to_be_16((uint16_t)ip_len);
	h->ip.packet_id = rte_cpu_to_be_16(id);
	h->udp.dgram_len = rte_cpu_to_be_16((uint16_t)(inner + sizeof(h->udp) + sizeof(h->vxlan)));
	h->udp.src_port = rte_cpu_to_be_16(sport);
	h->vxlan.vx_vni = rte_cpu_to_be_32(vni << 8);

	m->l2_len = sizeof(h->eth);
	m->l3_len = sizeof(h->ip);
	if (c->csum_offload) {
		h->ip.hdr_checksum = 0;
		m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
	} else {
		/* Incremental: the template's sum plus the two fields that vary.
		 * The sum is over 16-bit words as they lie in memory (network
		 * order), so the fields are added in that order too and the
		 * result is stored as is. */
		uint32_t sum = (uint32_t)t->ip_sum + rte_cpu_to_be_16((uint16_t)ip_len) +
			       rte_cpu_to_be_16(id);

		h->ip.hdr_checksum = (uint16_t)~vtep_csum_fold(sum);
	}
	return VTEP_DROP_NONE;
}

/** What the data plane accepts on the underlay. */
struct vtep_decap_ctx {
	rte_be32_t local_ip;  /**< local VTEP address */
	rte_be16_t udp_port;  /**< VXLAN destination port */
};

/** Result of classifying one underlay frame. */
enum vtep_rx_kind {
	VTEP_RX_VXLAN = 0,    /**< valid VXLAN to us: vni and outer source are set */
	VTEP_RX_DROP,         /**< drop with the reason returned alongside */
	VTEP_RX_PUNT,         /**< ARP, or ICMP to the local address: for the control thread */
};

struct vtep_rx_info {
	uint32_t vni;          /**< host order */
	rte_be32_t outer_src;  /**< remote VTEP address */
	uint16_t outer_len;    /**< bytes to strip before the inner frame */
	uint16_t inner_len;    /**< length of the inner frame, without outer padding */
	enum vtep_drop drop;
};

/**
 * Classify one frame received on the underlay port and validate it as VXLAN.
 *
 * Accepts IPv4 to ctx->local_ip, UDP to ctx->udp_port, I flag set. Reserved
 * bits of the VXLAN header are ignored on receive as RFC 7348 asks. Whether
 * the VNI is configured is for the caller to decide (VTEP_DROP_UNKNOWN_VNI).
 *
 * @return VTEP_RX_VXLAN, VTEP_RX_PUNT, or VTEP_RX_DROP with i->drop one of
 *   TRUNCATED, IP_BAD_HDR, IP_BAD_CSUM, IP_FRAGMENT, NOT_FOR_US,
 *   VXLAN_BAD_FLAGS, INNER_TOO_SHORT.
 */
enum vtep_rx_kind vtep_decap_classify(const struct vtep_decap_ctx *ctx,
				      const struct rte_mbuf *m,
				      struct vtep_rx_info *i);

/**
 * Probe the device @p devargs names (a PCI address or a virtual device with
 * its arguments), unless it exists already, and give its ethdev port.
 * @return 0, -EINVAL (no name before the first ','), -ENODEV (probed, but
 *   no ethdev of that name appeared), or the error of rte_dev_probe().
 */
int vtep_dev_probe(const char *devargs, uint16_t *port_id);

#endif /* VTEP_H */
