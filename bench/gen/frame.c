/* SPDX-License-Identifier: BSD-3-Clause */
/* The traffic model and the frame builder. */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_ip.h>

#include "gen.h"

/* Outer UDP source ports of the vxlan kind: one per flow in the range a
 * VTEP would use (RFC 7348 section 5), so that RSS spreads them. */
#define GEN_OUTER_SPORT_BASE 49152u
#define GEN_OUTER_SPORT_SPAN 16384u

static const struct rte_ether_addr vm_mac = {{ 0x02, 0x00, 0x00, 0x00, 0x01, 0x01 }};
static const struct rte_ether_addr host_mac = {{ 0x02, 0x00, 0x00, 0xaa, 0x00, 0x00 }};

#define IP4(a, b, c, d) RTE_BE32(((uint32_t)(a) << 24) | ((b) << 16) | ((c) << 8) | (d))

uint32_t
gen_vary_default(enum gen_kind kind)
{
	/* Access frames come from one VM and go to many hosts behind remote
	 * VTEPs (one FDB entry each); VXLAN frames bring frames from those
	 * hosts to the VM (one learned MAC each). */
	if (kind == GEN_KIND_VXLAN)
		return GEN_VARY_SRC_MAC | GEN_VARY_SRC_IP | GEN_VARY_SPORT;
	return GEN_VARY_DST_MAC | GEN_VARY_DST_IP | GEN_VARY_SPORT;
}

void
gen_traffic_defaults(struct gen_traffic *t)
{
	memset(t, 0, sizeof(*t));
	t->kind = GEN_KIND_ACCESS;
	t->size = GEN_SIZE_MIN;
	t->n_flows = 1;
	t->flow_mode = GEN_FLOW_CYCLE;
	t->seed = 1;
	t->vni_lo = 100;
	t->n_vni = 1;
	memset(&t->bum_mac, 0xff, sizeof(t->bum_mac));
	t->vary = gen_vary_default(t->kind);
	/* The VM behind the VTEP under test is 02:00:00:00:01:01 198.18.1.1;
	 * the hosts behind the remote VTEP are 02:00:00:aa:00:00 + flow and
	 * 198.19.0.0 + flow. Which is source and which destination depends
	 * on the kind: see gen_frames_init(). */
	t->src_mac = vm_mac;
	t->dst_mac = host_mac;
	t->src_ip = IP4(198, 18, 1, 1);
	t->dst_ip = IP4(198, 19, 0, 0);
	t->sport = 1024;
	t->dport = 9;
	t->vtep_mac = (struct rte_ether_addr){{ 0x02, 0x00, 0x00, 0x00, 0x0a, 0x01 }};
	t->remote_mac = (struct rte_ether_addr){{ 0x02, 0x00, 0x00, 0x00, 0x0a, 0x02 }};
	t->vtep_ip = IP4(198, 18, 0, 1);
	t->remote_ip = IP4(198, 18, 0, 2);
	t->udp_port = VTEP_UDP_PORT_DEFAULT;
}

int
gen_frames_init(struct gen_frames *f, const struct gen_traffic *t)
{
	struct vtep_tmpl_params tp;
	unsigned payload, i;

	if (t->size < GEN_SIZE_MIN || t->size > GEN_SIZE_MAX || t->n_flows == 0 ||
	    t->n_flows > GEN_FLOWS_MAX || t->n_vni == 0 ||
	    t->vni_lo + (uint64_t)t->n_vni - 1 > VTEP_VNI_MAX || t->bum_bp > 10000 ||
	    (t->n_vlan > 0 && t->vlan_lo + t->n_vlan - 1u > 4094u) || t->udp_port == 0)
		return -EINVAL;

	memset(f, 0, sizeof(*f));
	f->t = *t;
	f->inner_len = (uint16_t)(t->size - GEN_FCS_LEN);
	if (t->kind == GEN_KIND_VXLAN) {
		f->tx_off = sizeof(struct vtep_outer4);
		f->tx_len = (uint16_t)(f->inner_len + f->tx_off);
	} else {
		/* A tag adds to the frame, as a switch port adds it: the inner
		 * frame keeps the asked size once the VTEP strips it. */
		f->tx_off = 0;
		f->tx_len = (uint16_t)(f->inner_len + (t->n_vlan ? GEN_VLAN_LEN : 0));
	}

	payload = f->inner_len - GEN_HDR_LEN;
	for (i = 0; i < payload; i++)
		f->fill[i] = (uint8_t)(i * 7 + 0x5a);
	/* The stamp is 18 bytes: the fill after it starts on an even offset
	 * of the UDP header, so its sum adds to the others as is. */
	f->fill_sum = __rte_raw_cksum(f->fill + sizeof(struct gen_stamp),
				      payload - sizeof(struct gen_stamp), 0);

	memset(&tp, 0, sizeof(tp));
	tp.src_mac = t->remote_mac;
	tp.dst_mac = t->vtep_mac;
	tp.src = vtep_ip4(t->remote_ip);
	tp.dst = vtep_ip4(t->vtep_ip);
	tp.udp_port = t->udp_port;
	tp.ttl = VTEP_TTL_DEFAULT;
	tp.df = true;
	return vtep_tmpl_build(&f->outer, &tp);
}

/* splitmix64's finaliser: a bijection with full avalanche. */
static inline uint64_t
mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

uint32_t
gen_flow_of(const struct gen_frames *f, uint32_t seq)
{
	uint64_t h;

	if (f->t.flow_mode == GEN_FLOW_CYCLE)
		return seq % f->t.n_flows;
	h = mix64(seq ^ (f->t.seed << 32)) & 0xffffffffu;
	return (uint32_t)((h * f->t.n_flows) >> 32);
}

bool
gen_is_bum(const struct gen_frames *f, uint32_t seq)
{
	uint64_t bp = f->t.bum_bp;

	/* Frame seq is BUM when floor((seq + 1) bp / 10000) steps: exactly
	 * bp in every 10000 frames, evenly spread, known from seq alone. */
	return ((seq + 1ull) * bp) / 10000 != ((uint64_t)seq * bp) / 10000;
}

uint32_t
gen_flow_vni(const struct gen_frames *f, uint32_t flow)
{
	return f->t.vni_lo + flow % f->t.n_vni;
}

uint16_t
gen_flow_vlan(const struct gen_frames *f, uint32_t flow)
{
	return f->t.n_vlan ? (uint16_t)(f->t.vlan_lo + flow % f->t.n_vlan) : 0;
}

static void
mac_add(struct rte_ether_addr *dst, const struct rte_ether_addr *base, uint32_t n)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < RTE_ETHER_ADDR_LEN; i++)
		v = (v << 8) | base->addr_bytes[i];
	v += n;
	for (i = RTE_ETHER_ADDR_LEN - 1; i >= 0; i--) {
		dst->addr_bytes[i] = (uint8_t)v;
		v >>= 8;
	}
}

static uint16_t
port_add(uint16_t base, uint32_t n)
{
	uint32_t span = 65536u - base;

	return (uint16_t)(base + n % span);
}

/* The header fields of one flow: each base plus the flow id where it varies. */
struct flow_hdr {
	struct rte_ether_addr src_mac, dst_mac;
	rte_be32_t src_ip, dst_ip;
	uint16_t sport, dport;
};

static void
flow_hdr(const struct gen_frames *f, uint32_t flow, struct flow_hdr *h)
{
	const struct gen_traffic *t = &f->t;
	uint32_t v = t->vary;

	mac_add(&h->src_mac, &t->src_mac, v & GEN_VARY_SRC_MAC ? flow : 0);
	mac_add(&h->dst_mac, &t->dst_mac, v & GEN_VARY_DST_MAC ? flow : 0);
	h->src_ip = rte_cpu_to_be_32(rte_be_to_cpu_32(t->src_ip) + (v & GEN_VARY_SRC_IP ? flow : 0));
	h->dst_ip = rte_cpu_to_be_32(rte_be_to_cpu_32(t->dst_ip) + (v & GEN_VARY_DST_IP ? flow : 0));
	h->sport = port_add(t->sport, v & GEN_VARY_SPORT ? flow : 0);
	h->dport = port_add(t->dport, v & GEN_VARY_DPORT ? flow : 0);
}

uint32_t
gen_frame_flow(const struct gen_frames *f, uint16_t magic, uint32_t seq, bool *bum)
{
	if (magic == GEN_MAGIC_PROBE) {
		/* Probes are never BUM: a flooded probe would come back once
		 * per remote and count as many samples. */
		*bum = false;
		return seq % f->t.n_flows;
	}
	*bum = gen_is_bum(f, seq);
	return gen_flow_of(f, seq);
}

uint16_t
gen_frame_inner(const struct gen_frames *f, uint16_t magic, uint32_t seq, uint64_t tsc,
		bool tagged, uint8_t *buf)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)buf;
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;
	struct gen_stamp st;
	struct flow_hdr h;
	uint16_t ip_len = (uint16_t)(f->inner_len - sizeof(*eth));
	uint16_t udp_len = (uint16_t)(ip_len - sizeof(*ip));
	uint32_t flow, off = sizeof(*eth), sum;
	struct {
		rte_be32_t src, dst;
		uint8_t zero, proto;
		rte_be16_t len;
	} __rte_packed ph;
	bool bum;

	flow = gen_frame_flow(f, magic, seq, &bum);
	flow_hdr(f, flow, &h);
	tagged = tagged && f->t.n_vlan > 0;

	eth->dst_addr = bum ? f->t.bum_mac : h.dst_mac;
	eth->src_addr = h.src_mac;
	if (tagged) {
		struct rte_vlan_hdr *vh = (struct rte_vlan_hdr *)(buf + off);

		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
		vh->vlan_tci = rte_cpu_to_be_16(gen_flow_vlan(f, flow));
		vh->eth_proto = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
		off += sizeof(*vh);
	} else {
		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	}

	ip = (struct rte_ipv4_hdr *)(buf + off);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = 0;
	ip->total_length = rte_cpu_to_be_16(ip_len);
	ip->packet_id = 0;
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->hdr_checksum = 0;
	ip->src_addr = h.src_ip;
	ip->dst_addr = h.dst_ip;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	off += sizeof(*ip);

	udp = (struct rte_udp_hdr *)(buf + off);
	udp->src_port = rte_cpu_to_be_16(h.sport);
	udp->dst_port = rte_cpu_to_be_16(h.dport);
	udp->dgram_len = rte_cpu_to_be_16(udp_len);
	udp->dgram_cksum = 0;
	off += sizeof(*udp);

	st.magic = rte_cpu_to_be_16(magic);
	st.flow = rte_cpu_to_be_32(flow);
	st.seq = rte_cpu_to_be_32(seq);
	st.tsc = tsc;
	memcpy(buf + off, &st, sizeof(st));
	memcpy(buf + off + sizeof(st), f->fill + sizeof(st),
	       udp_len - sizeof(*udp) - sizeof(st));

	/* The UDP checksum from its parts: the fill's sum is known per size,
	 * so a frame costs the sum of 38 bytes whatever its length. */
	ph.src = h.src_ip;
	ph.dst = h.dst_ip;
	ph.zero = 0;
	ph.proto = IPPROTO_UDP;
	ph.len = udp->dgram_len;
	sum = __rte_raw_cksum(&ph, sizeof(ph), f->fill_sum);
	sum = __rte_raw_cksum(udp, sizeof(*udp), sum);
	sum = __rte_raw_cksum(&st, sizeof(st), sum);
	sum = (uint16_t)~vtep_csum_fold(sum);
	/* 0 means "no checksum" in UDP over IPv4 (RFC 768). */
	udp->dgram_cksum = sum == 0 ? 0xffff : (uint16_t)sum;
	return (uint16_t)(f->inner_len + (tagged ? GEN_VLAN_LEN : 0));
}

uint16_t
gen_frame_build(const struct gen_frames *f, uint16_t magic, uint32_t seq, uint64_t tsc,
		uint8_t *buf)
{
	struct vtep_outer4 *o;
	uint32_t flow, ip_len;
	bool bum;

	if (f->t.kind == GEN_KIND_ACCESS)
		return gen_frame_inner(f, magic, seq, tsc, true, buf);

	gen_frame_inner(f, magic, seq, tsc, false, buf + f->tx_off);
	flow = gen_frame_flow(f, magic, seq, &bum);
	o = (struct vtep_outer4 *)buf;
	memcpy(o, &f->outer.hdr, sizeof(*o));
	ip_len = f->inner_len + VTEP_OUTER4_IP_OVERHEAD;
	o->ip.total_length = rte_cpu_to_be_16((uint16_t)ip_len);
	o->ip.hdr_checksum = 0;
	o->ip.hdr_checksum = rte_ipv4_cksum(&o->ip);
	o->udp.src_port = rte_cpu_to_be_16((uint16_t)(GEN_OUTER_SPORT_BASE +
						      flow % GEN_OUTER_SPORT_SPAN));
	o->udp.dgram_len = rte_cpu_to_be_16((uint16_t)(ip_len - sizeof(o->ip)));
	o->vxlan.vx_vni = rte_cpu_to_be_32(gen_flow_vni(f, flow) << 8);
	return f->tx_len;
}
