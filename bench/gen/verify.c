/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Verification of received frames. The outer checks are written here from
 * RFC 7348 rather than taken from lib/vtep, so that a bug in the data path
 * cannot hide behind the same bug in the instrument.
 */
#include <netinet/in.h>
#include <string.h>

#include <rte_ip.h>

#include "gen.h"

static const char *const verdict_names[GEN_V_MAX] = {
	[GEN_V_OK] = "ok",
#define GEN_VERDICT(e, name, help) [GEN_V_##e] = name,
#include "gen_verdict.def"
#undef GEN_VERDICT
};

static const char *const verdict_help[GEN_V_MAX] = {
	[GEN_V_OK] = "the frame sent for its flow and sequence number, unchanged",
#define GEN_VERDICT(e, name, help) [GEN_V_##e] = help,
#include "gen_verdict.def"
#undef GEN_VERDICT
};

const char *
gen_verdict_name(enum gen_verdict v)
{
	return (unsigned)v < GEN_V_MAX ? verdict_names[v] : "?";
}

const char *
gen_verdict_help(enum gen_verdict v)
{
	return (unsigned)v < GEN_V_MAX ? verdict_help[v] : "?";
}

static inline uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static bool
read_stamp(const uint8_t *p, uint32_t len, uint32_t off, struct gen_rx *rx)
{
	struct gen_stamp st;

	if (len < off + sizeof(st))
		return false;
	memcpy(&st, p + off, sizeof(st));
	rx->magic = rte_be_to_cpu_16(st.magic);
	if (rx->magic != GEN_MAGIC_LOAD && rx->magic != GEN_MAGIC_PROBE)
		return false;
	rx->flow = rte_be_to_cpu_32(st.flow);
	rx->seq = rte_be_to_cpu_32(st.seq);
	rx->tsc = st.tsc;
	return true;
}

/* Find the stamp without knowing the frame's form: through VLAN tags and at
 * most one VXLAN header. For --verify none, which still times probes. */
static enum gen_verdict
find_stamp(const struct gen_frames *f, const uint8_t *p, uint32_t len, struct gen_rx *rx)
{
	uint32_t off = 0;
	int level;

	for (level = 0; level < 2; level++) {
		uint16_t type;
		uint32_t ihl;
		const uint8_t *udp;

		if (len < off + sizeof(struct rte_ether_hdr))
			return GEN_V_UNKNOWN;
		off += 12;
		type = get16(p + off);
		while ((type == RTE_ETHER_TYPE_VLAN || type == RTE_ETHER_TYPE_QINQ) &&
		       len >= off + 6) {
			off += 4;
			type = get16(p + off);
		}
		off += 2;
		if (type != RTE_ETHER_TYPE_IPV4 || len < off + sizeof(struct rte_ipv4_hdr) ||
		    p[off + 9] != IPPROTO_UDP)
			return GEN_V_UNKNOWN;
		ihl = (p[off] & 0x0f) * 4u;
		off += ihl;
		if (len < off + sizeof(struct rte_udp_hdr))
			return GEN_V_UNKNOWN;
		udp = p + off;
		off += sizeof(struct rte_udp_hdr);
		if (level == 0 && get16(udp + 2) == f->t.udp_port) {
			off += sizeof(struct rte_vxlan_hdr);
			continue;
		}
		return read_stamp(p, len, off, rx) ? GEN_V_OK : GEN_V_UNKNOWN;
	}
	return GEN_V_UNKNOWN;
}

/* The outer headers of a frame the VTEP under test encapsulated. On success
 * *inner and *inner_len locate the inner frame and *vni holds the VNI. */
static enum gen_verdict
check_outer(const struct gen_frames *f, const uint8_t *p, uint32_t len,
	    uint32_t *inner, uint32_t *inner_len, uint32_t *vni)
{
	const struct rte_ipv4_hdr *ip;
	const struct rte_udp_hdr *udp;
	const struct rte_vxlan_hdr *vx;
	uint32_t off = sizeof(struct rte_ether_hdr), ihl, ip_len;

	if (len < off + sizeof(*ip) || get16(p + 12) != RTE_ETHER_TYPE_IPV4)
		return GEN_V_NOT_VXLAN;
	ip = (const struct rte_ipv4_hdr *)(p + off);
	ihl = (ip->version_ihl & 0x0f) * 4u;
	ip_len = rte_be_to_cpu_16(ip->total_length);
	if ((ip->version_ihl >> 4) != 4 || ihl < sizeof(*ip) || len < off + ihl)
		return GEN_V_NOT_VXLAN;
	if (vtep_csum_fold(__rte_raw_cksum(ip, ihl, 0)) != 0xffff)
		return GEN_V_BAD_CSUM;
	if (ip->next_proto_id != IPPROTO_UDP ||
	    (ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_OFFSET_MASK |
						   RTE_IPV4_HDR_MF_FLAG)) ||
	    ip_len < ihl + sizeof(*udp) + sizeof(*vx) + sizeof(struct rte_ether_hdr) ||
	    off + ip_len > len)
		return GEN_V_NOT_VXLAN;
	udp = (const struct rte_udp_hdr *)(p + off + ihl);
	if (rte_be_to_cpu_16(udp->dst_port) != f->t.udp_port ||
	    rte_be_to_cpu_16(udp->dgram_len) != ip_len - ihl)
		return GEN_V_NOT_VXLAN;
	/* From the VTEP under test to the remote VTEP the generator plays, as
	 * the DUT resolved it: its own MAC, the remote's MAC. */
	if (memcmp(p, &f->t.remote_mac, RTE_ETHER_ADDR_LEN) != 0 ||
	    memcmp(p + RTE_ETHER_ADDR_LEN, &f->t.vtep_mac, RTE_ETHER_ADDR_LEN) != 0 ||
	    ip->src_addr != f->t.vtep_ip || ip->dst_addr != f->t.remote_ip)
		return GEN_V_WRONG_OUTER;
	vx = (const struct rte_vxlan_hdr *)(udp + 1);
	if (!(vx->vx_flags & rte_cpu_to_be_32((uint32_t)VTEP_VXLAN_FLAG_I << 24)))
		return GEN_V_BAD_FLAGS;
	*vni = rte_be_to_cpu_32(vx->vx_vni) >> 8;
	*inner = off + ihl + sizeof(*udp) + sizeof(*vx);
	/* The inner frame ends with the outer IP packet: padding is not part of it. */
	*inner_len = off + ip_len - *inner;
	return GEN_V_OK;
}

enum gen_verdict
gen_verify(const struct gen_frames *f, enum gen_verify_mode mode, const uint8_t *p,
	   uint32_t len, struct gen_rx *rx, uint8_t *scratch)
{
	uint32_t inner = 0, inner_len = len, vni = 0, l3, exp_len, flow;
	bool tagged, bum;

	switch (mode) {
	case GEN_VERIFY_NONE:
		return find_stamp(f, p, len, rx);
	case GEN_VERIFY_PLAIN:
		inner = f->tx_off;
		tagged = f->t.kind == GEN_KIND_ACCESS;
		break;
	case GEN_VERIFY_ENCAP: {
		enum gen_verdict v = check_outer(f, p, len, &inner, &inner_len, &vni);

		if (v != GEN_V_OK)
			return v;
		/* The VTEP maps the access VLAN to the VNI and strips it. */
		tagged = false;
		break;
	}
	case GEN_VERIFY_DECAP:
		tagged = true;
		break;
	default:
		return GEN_V_UNKNOWN;
	}
	tagged = tagged && f->t.n_vlan > 0;

	l3 = inner + sizeof(struct rte_ether_hdr) + (tagged ? GEN_VLAN_LEN : 0);
	if (!read_stamp(p, mode == GEN_VERIFY_ENCAP ? inner + inner_len : len,
			l3 + sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_udp_hdr), rx))
		return GEN_V_UNKNOWN;
	/* A damaged IPv4 header says more as a checksum error than as a byte
	 * that differs; whatever else differs is caught by the comparison. */
	if (p[l3] == RTE_IPV4_VHL_DEF &&
	    vtep_csum_fold(__rte_raw_cksum(p + l3, sizeof(struct rte_ipv4_hdr), 0)) != 0xffff)
		return GEN_V_BAD_CSUM;

	flow = gen_frame_flow(f, rx->magic, rx->seq, &bum);
	rx->flow = flow;
	if (mode == GEN_VERIFY_ENCAP && vni != gen_flow_vni(f, flow))
		return GEN_V_WRONG_VNI;

	/* The probe's TSC cannot be known in advance: take it from the frame.
	 * The UDP checksum still covers it, so a damaged TSC is a mismatch. */
	if (mode == GEN_VERIFY_PLAIN) {
		/* The whole frame as sent, outer headers included. */
		exp_len = gen_frame_build(f, rx->magic, rx->seq, rx->tsc, scratch);
		inner = 0;
		inner_len = len;
	} else {
		exp_len = gen_frame_inner(f, rx->magic, rx->seq, rx->tsc, tagged, scratch);
		if (mode == GEN_VERIFY_DECAP)
			inner_len = len;
	}
	if (inner_len != exp_len || memcmp(p + inner, scratch, exp_len) != 0)
		return GEN_V_PAYLOAD_MISMATCH;
	return GEN_V_OK;
}
