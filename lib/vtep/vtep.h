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
#include <string.h>

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
	uint8_t tos;                    /**< the usual outer TOS (the configured DSCP) */
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
	 * vtep_encap() adds the packet's length and id, and the difference
	 * when its TOS or TTL is not the template's. */
	uint16_t ip_sum;
} __rte_aligned(64);

/**
 * Build the outer header template for one remote VTEP.
 *
 * @return 0, or -EAFNOSUPPORT if either address is not IPv4,
 *   -EINVAL if a parameter is out of range (ttl 0, udp_port 0).
 */
int vtep_tmpl_build(struct vtep_tmpl *t, const struct vtep_tmpl_params *p);

/** ECN codepoints, the low two bits of the IPv4 TOS / IPv6 traffic class. */
#define VTEP_ECN_MASK    0x03
#define VTEP_ECN_NOT_ECT 0x00
#define VTEP_ECN_ECT1    0x01
#define VTEP_ECN_ECT0    0x02
#define VTEP_ECN_CE      0x03

/** How the data plane fills the per-packet fields of the outer header. */
struct vtep_encap_ctx {
	uint16_t sport_min;   /**< source port range, host order, inclusive */
	uint16_t sport_span;  /**< sport_max - sport_min + 1, 0 meaning 65536 */
	uint16_t mtu;         /**< largest outer IPv4 packet the underlay takes */
	bool csum_offload;    /**< the underlay port computes the outer IPv4 checksum */
	bool df;              /**< DF set: IPv4 id stays 0 (RFC 6864) */
	uint16_t ip_id;       /**< next IPv4 id when DF is clear; per worker */
	uint8_t tos;          /**< outer DSCP (ECN bits 0) unless tos_inherit */
	uint8_t ttl;          /**< outer TTL unless ttl_inherit */
	bool tos_inherit;     /**< DSCP from the inner IPv4/IPv6 packet */
	bool ttl_inherit;     /**< TTL from the inner IPv4 TTL / IPv6 hop limit */
	bool ecn;             /**< RFC 6040 normal mode: ECN from the inner packet */
};

/** The outer TOS and TTL of one frame, computed once for all its copies. */
struct vtep_qos {
	uint8_t tos;
	uint8_t ttl;
};

/* The ethertype of an inner frame past one 802.1Q/802.1ad tag, and the
 * offset of what follows it; 0 when the frame is too short for either. */
static inline uint16_t
vtep_inner_type(const uint8_t *p, uint32_t len, uint32_t *off)
{
	uint16_t et;

	if (unlikely(len < sizeof(struct rte_ether_hdr)))
		return 0;
	memcpy(&et, p + 12, sizeof(et));
	*off = sizeof(struct rte_ether_hdr);
	if (et == rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN) ||
	    et == rte_cpu_to_be_16(RTE_ETHER_TYPE_QINQ)) {
		if (len < sizeof(struct rte_ether_hdr) + sizeof(struct rte_vlan_hdr))
			return 0;
		memcpy(&et, p + 16, sizeof(et));
		*off += sizeof(struct rte_vlan_hdr);
	}
	return et;
}

/**
 * The outer TOS and TTL for inner frame @p m, as the kernel's
 * ip_tunnel_ecn_encap() and ip_tunnel_get_ttl() choose them: DSCP
 * configured or inherited; ECN copied from the inner packet, CE sent as
 * ECT(0) (RFC 6040 section 4.1, normal mode), Not-ECT for a non-IP frame;
 * TTL configured or inherited, the default for a non-IP frame.
 */
static inline struct vtep_qos
vtep_encap_qos(const struct vtep_encap_ctx *c, const struct rte_mbuf *m)
{
	struct vtep_qos q = { .tos = c->tos, .ttl = c->ttl };
	const uint8_t *p;
	uint8_t ds = 0, hl = 0;
	uint32_t len, off = 0;
	uint16_t et;

	if (likely(!(c->tos_inherit | c->ttl_inherit | c->ecn)))
		return q;
	p = rte_pktmbuf_mtod(m, const uint8_t *);
	len = rte_pktmbuf_data_len(m);
	/* The default (ECN only) for an untagged IPv4 frame: one byte. */
	if (likely(!(c->tos_inherit | c->ttl_inherit) && len >= 14 + 20 &&
		   *(const unaligned_uint16_t *)(p + 12) == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4))) {
		uint8_t e = p[15] & VTEP_ECN_MASK;

		q.tos |= e == VTEP_ECN_CE ? VTEP_ECN_ECT0 : e;
		return q;
	}
	et = vtep_inner_type(p, len, &off);
	if (et == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) &&
	    len >= off + sizeof(struct rte_ipv4_hdr)) {
		const struct rte_ipv4_hdr *ip = (const void *)(p + off);

		ds = ip->type_of_service;
		hl = ip->time_to_live;
	} else if (et == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6) &&
		   len >= off + sizeof(struct rte_ipv6_hdr)) {
		const struct rte_ipv6_hdr *ip = (const void *)(p + off);

		ds = (uint8_t)(rte_be_to_cpu_32(ip->vtc_flow) >> RTE_IPV6_HDR_TC_SHIFT);
		hl = ip->hop_limits;
	}
	if (c->tos_inherit)
		q.tos = ds & (uint8_t)~VTEP_ECN_MASK;
	if (c->ecn) {
		uint8_t e = ds & VTEP_ECN_MASK;

		q.tos |= e == VTEP_ECN_CE ? VTEP_ECN_ECT0 : e;
	}
	/* A TTL of 0 is never sent (RFC 1122 3.2.1.7): the default then. */
	if (c->ttl_inherit)
		q.ttl = hl != 0 ? hl : VTEP_TTL_DEFAULT;
	return q;
}

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
 * @param q     outer TOS and TTL (vtep_encap_qos() of the inner frame)
 * @return VTEP_DROP_NONE, VTEP_DROP_MTU_EXCEEDED (the outer packet would be
 *   larger than c->mtu; @p m is untouched) or VTEP_DROP_NO_HEADROOM.
 */
static inline enum vtep_drop
vtep_encap(struct vtep_encap_ctx *c, const struct vtep_tmpl *t,
	   struct rte_mbuf *m, uint32_t vni, uint16_t sport, struct vtep_qos q)
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
		h->ip.type_of_service = q.tos;
		h->ip.time_to_live = q.ttl;
		h->ip.hdr_checksum = 0;
		m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
	} else {
		/* Incremental: the template's sum plus the two fields that vary.
		 * The sum is over 16-bit words as they lie in memory (network
		 * order), so the fields are added in that order too and the
		 * result is stored as is. */
		uint32_t sum = (uint32_t)t->ip_sum + rte_cpu_to_be_16((uint16_t)ip_len) +
			       rte_cpu_to_be_16(id);

		/* TOS and TTL differ from the template's only when the inner
		 * packet decides them: RFC 1624's ~old + new for each. TOS is
		 * the low byte of its word, TTL the high byte of its own. */
		if (unlikely((q.tos ^ t->hdr.ip.type_of_service) |
			     (q.ttl ^ t->hdr.ip.time_to_live))) {
			sum += (uint16_t)~rte_cpu_to_be_16(t->hdr.ip.type_of_service) +
			       rte_cpu_to_be_16(q.tos) +
			       (uint16_t)~rte_cpu_to_be_16((uint16_t)(t->hdr.ip.time_to_live << 8)) +
			       rte_cpu_to_be_16((uint16_t)(q.ttl << 8));
			h->ip.type_of_service = q.tos;
			h->ip.time_to_live = q.ttl;
		}
		h->ip.hdr_checksum = (uint16_t)~vtep_csum_fold(sum);
	}
	return VTEP_DROP_NONE;
}

/** What the data plane accepts on the underlay. */
struct vtep_decap_ctx {
	struct rte_ether_addr local_mac; /**< the underlay port's MAC */
	rte_be32_t local_ip;  /**< local VTEP address */
	rte_be32_t bcast_ip;  /**< broadcast address of its prefix, 0 if none */
	rte_be16_t udp_port;  /**< VXLAN destination port */
	bool ecn;             /**< RFC 6040 decapsulation (else outer ECN ignored) */
	/** Multicast groups joined (RFC 7348 section 4.2), ascending as
	 * rte_be32_t values compare; owned by whoever fills the context. */
	const rte_be32_t *groups;
	uint32_t n_groups;
	/* Derived by vtep_decap_ctx_init() for the fast match of the common
	 * frame: local_mac in the low 6 bytes of a word, the UDP port where
	 * it stands in the word of the UDP ports. */
	uint64_t mac_word;
	uint32_t port_word;
};

/** Fill @p c, the words the fast match reads too. */
static inline void
vtep_decap_ctx_init(struct vtep_decap_ctx *c, const struct rte_ether_addr *mac,
		    rte_be32_t local_ip, rte_be32_t bcast_ip, uint16_t udp_port, bool ecn)
{
	uint8_t w[8] = { 0 }, pw[4] = { 0 };
	rte_be16_t port = rte_cpu_to_be_16(udp_port);

	memset(c, 0, sizeof(*c));
	c->local_mac = *mac;
	c->local_ip = local_ip;
	c->bcast_ip = bcast_ip;
	c->udp_port = port;
	c->ecn = ecn;
	memcpy(w, mac->addr_bytes, RTE_ETHER_ADDR_LEN);
	memcpy(&c->mac_word, w, sizeof(w));
	memcpy(pw + 2, &port, sizeof(port));
	memcpy(&c->port_word, pw, sizeof(pw));
}

/** The Ethernet address of IPv4 group @p g (RFC 1112 6.4): 01:00:5e and
 * its low 23 bits. */
static inline void
vtep_group_mac(rte_be32_t g, struct rte_ether_addr *mac)
{
	uint32_t a = rte_be_to_cpu_32(g);

	mac->addr_bytes[0] = 0x01;
	mac->addr_bytes[1] = 0x00;
	mac->addr_bytes[2] = 0x5e;
	mac->addr_bytes[3] = (uint8_t)((a >> 16) & 0x7f);
	mac->addr_bytes[4] = (uint8_t)(a >> 8);
	mac->addr_bytes[5] = (uint8_t)a;
}

/** Is IPv4 address @p a (network order) a multicast group, 224.0.0.0/4? */
static inline bool
vtep_ip4_is_mcast(rte_be32_t a)
{
	return (rte_be_to_cpu_32(a) >> 28) == 0xe;
}

/** Is @p g one of @p c's joined groups? */
static inline bool
vtep_decap_joined(const struct vtep_decap_ctx *c, rte_be32_t g)
{
	uint32_t lo = 0, hi = c->n_groups;

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;

		if (c->groups[mid] == g)
			return true;
		if (c->groups[mid] < g)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/** Result of classifying one underlay frame. */
enum vtep_rx_kind {
	VTEP_RX_VXLAN = 0,    /**< valid VXLAN to us: vni and outer source are set */
	VTEP_RX_DROP,         /**< drop with the reason returned alongside */
	VTEP_RX_PUNT,         /**< ARP, ICMP to the local address, IGMP: for the control thread */
};

struct vtep_rx_info {
	uint32_t vni;          /**< host order */
	rte_be32_t outer_src;  /**< remote VTEP address */
	rte_be32_t outer_dst;  /**< the local address, or a joined group */
	uint8_t outer_tos;     /**< outer IPv4 TOS, for ECN decapsulation */
	uint16_t outer_len;    /**< bytes to strip before the inner frame */
	uint16_t inner_len;    /**< length of the inner frame, without outer padding */
	enum vtep_drop drop;
};

/**
 * Classify one frame received on the underlay port and validate it as VXLAN.
 *
 * Accepts a frame to ctx->local_mac carrying IPv4 from a unicast source to
 * ctx->local_ip, or to a group of ctx->groups at its multicast MAC, UDP to ctx->udp_port whose length is the IP payload's and
 * whose checksum is zero or right, and a VXLAN header with the I flag set.
 * Reserved bits of the VXLAN header are ignored on receive as RFC 7348 asks.
 * ARP to us or broadcast, ICMP to us, and IGMP to a multicast address at
 * its multicast MAC, are punted. Whether the VNI is
 * configured is for the caller to decide (VTEP_DROP_UNKNOWN_VNI), and so are
 * the checks of the inner frame (vtep_decap_inner()).
 *
 * @return VTEP_RX_VXLAN, VTEP_RX_PUNT, or VTEP_RX_DROP with i->drop one of
 *   TRUNCATED, ETH_NOT_OURS, L2_BCAST_NOT_ARP, IP_BAD_HDR, IP_BAD_CSUM,
 *   IP_BAD_SRC, IP_FRAGMENT, NOT_FOR_US, UDP_BAD_LEN, UDP_BAD_CSUM,
 *   VXLAN_BAD_FLAGS, INNER_TOO_SHORT, GROUP_NOT_JOINED.
 */
enum vtep_rx_kind vtep_decap_classify(const struct vtep_decap_ctx *ctx,
				      const struct rte_mbuf *m,
				      struct vtep_rx_info *i);

/**
 * vtep_decap_classify() without its fast match of the common frame: every
 * check one after the other. The same verdict and fields for any frame;
 * exported for the tests that hold the two against each other.
 */
enum vtep_rx_kind vtep_decap_classify_walk(const struct vtep_decap_ctx *ctx,
					   const struct rte_mbuf *m,
					   struct vtep_rx_info *i);

/**
 * Cut chain @p m to its first @p len bytes (@p len <= its length), freeing
 * the segments past them: rte_pktmbuf_trim() only trims within the last
 * segment, and a frame's Ethernet padding can span several.
 */
void vtep_pkt_truncate_chain(struct rte_mbuf *m, uint32_t len);

static inline void
vtep_pkt_truncate(struct rte_mbuf *m, uint32_t len)
{
	if (unlikely(rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_pkt_len(m) - len)) != 0))
		vtep_pkt_truncate_chain(m, len);
}

/* IEEE 802.1D link-local groups 01:80:c2:00:00:00-0f (STP, pause, LACP,
 * LLDP, 802.1X): a bridge never forwards them. */
static inline bool
vtep_link_local(const struct rte_ether_addr *a)
{
	static const uint8_t pfx[5] = { 0x01, 0x80, 0xc2, 0x00, 0x00 };

	return memcmp(a->addr_bytes, pfx, sizeof(pfx)) == 0 && (a->addr_bytes[5] & 0xf0) == 0;
}

/*
 * An outer CE over the inner IPv4 (or IPv6) header at @p l3: mark an
 * ECN-capable packet CE (the IPv4 checksum fixed incrementally, RFC 1624),
 * or VTEP_DROP_ECN_CE_NOT_ECT for a Not-ECT one. Out of line: it is rare.
 */
enum vtep_drop vtep_ecn_decap_ce(uint8_t *l3, bool v6);

/**
 * Checks of the inner frame of a valid VXLAN frame, after its outer headers
 * were stripped, and its ECN decapsulation (RFC 6040 section 4.2, as the
 * kernel's IP_ECN_decapsulate() does it: an outer CE marks an ECN-capable
 * inner packet CE and drops a Not-ECT one; other outer codepoints leave the
 * inner packet as it is). A bridge's checks come first: a multicast or zero
 * source MAC and the 802.1D link-local groups are dropped.
 *
 * @param outer_tos   the outer TOS (vtep_rx_info.outer_tos)
 * @param ecn         apply RFC 6040 decapsulation
 * @param accept_vlan the VNI takes VLAN-tagged inner frames (RFC 7348
 *                    section 6: discarded unless configured otherwise)
 * @return VTEP_DROP_NONE, or INNER_BAD_SRC, INNER_LINK_LOCAL, INNER_VLAN,
 *   INNER_IP_TRUNC, ECN_CE_NOT_ECT; @p m is changed only when it sets CE.
 */
static inline enum vtep_drop
vtep_decap_inner_walk(struct rte_mbuf *m, uint8_t outer_tos, bool ecn, bool accept_vlan)
{
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	const struct rte_ether_hdr *eth = (const void *)p;
	uint32_t len = rte_pktmbuf_data_len(m), off = 0;
	uint16_t et;

	/* The caller's classification guarantees a whole Ethernet header. */
	if (unlikely(!rte_is_valid_assigned_ether_addr(&eth->src_addr)))
		return VTEP_DROP_INNER_BAD_SRC;
	if (unlikely(rte_is_multicast_ether_addr(&eth->dst_addr)) &&
	    vtep_link_local(&eth->dst_addr))
		return VTEP_DROP_INNER_LINK_LOCAL;
	if (unlikely(eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN) ||
		     eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_QINQ)) && !accept_vlan)
		return VTEP_DROP_INNER_VLAN;
	et = vtep_inner_type(p, len, &off);
	if (et == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4)) {
		/* As the kernel's pskb_inet_may_pull() in vxlan_rcv(). */
		if (unlikely(len < off + sizeof(struct rte_ipv4_hdr)))
			return VTEP_DROP_INNER_IP_TRUNC;
		if (unlikely(ecn && (outer_tos & VTEP_ECN_MASK) == VTEP_ECN_CE))
			return vtep_ecn_decap_ce(p + off, false);
	} else if (et == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6)) {
		if (unlikely(len < off + sizeof(struct rte_ipv6_hdr)))
			return VTEP_DROP_INNER_IP_TRUNC;
		if (unlikely(ecn && (outer_tos & VTEP_ECN_MASK) == VTEP_ECN_CE))
			return vtep_ecn_decap_ce(p + off, true);
	}
	return VTEP_DROP_NONE;
}

/**
 * vtep_decap_inner() (above), first with one test of the common frame:
 * unicast to a unicast, non-zero source, untagged IPv4 whole in the first
 * segment, and no CE to carry over. It only passes what the walk passes,
 * and changes nothing; anything else takes the walk, which gives the
 * reason.
 */
static inline enum vtep_drop
vtep_decap_inner(struct rte_mbuf *m, uint8_t outer_tos, bool ecn, bool accept_vlan)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	uint32_t s4;
	uint16_t s2;

	memcpy(&s4, &eth->src_addr.addr_bytes[0], sizeof(s4));
	memcpy(&s2, &eth->src_addr.addr_bytes[4], sizeof(s2));
	if (likely(!((eth->dst_addr.addr_bytes[0] | eth->src_addr.addr_bytes[0]) & 1) &
		   ((s4 | s2) != 0) &
		   (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4)) &
		   (rte_pktmbuf_data_len(m) >= sizeof(*eth) + sizeof(struct rte_ipv4_hdr)) &
		   !(ecn & ((outer_tos & VTEP_ECN_MASK) == VTEP_ECN_CE))))
		return VTEP_DROP_NONE;
	return vtep_decap_inner_walk(m, outer_tos, ecn, accept_vlan);
}

/**
 * Probe the device @p devargs names (a PCI address or a virtual device with
 * its arguments), unless it exists already, and give its ethdev port.
 * @return 0, -EINVAL (no name before the first ','), -ENODEV (probed, but
 *   no ethdev of that name appeared), or the error of rte_dev_probe().
 */
int vtep_dev_probe(const char *devargs, uint16_t *port_id);

#endif /* VTEP_H */
