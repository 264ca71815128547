/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the workers hand to the control thread: ARP and ICMP echo for the
 * local VTEP address, and learn events. Replies and ARP requests go out
 * through a worker's TX queue (the ctl_tx ring).
 */
#include <arpa/inet.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_icmp.h>
#include <rte_ip.h>

#include "ctl_private.h"

#define LEARN_PER_POLL 1024

/* ---- frames the control thread sends ------------------------------------- */

static void
ctl_send(struct ctl *c, struct rte_mbuf *m)
{
	if (c->p.tx == NULL || rte_ring_sp_enqueue(c->p.tx, m) != 0) {
		rte_pktmbuf_free(m);
		c->ctr[CTL_TX_DROPPED]++;
	}
}

static void
arp_send(struct ctl *c, uint16_t op, const struct rte_ether_addr *dst_mac,
	 const struct rte_ether_addr *tha, rte_be32_t tip)
{
	struct rte_mbuf *m = c->p.pool != NULL ? rte_pktmbuf_alloc(c->p.pool) : NULL;
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *arp;

	if (m == NULL)
		return;
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eth) + sizeof(*arp));
	arp = (struct rte_arp_hdr *)(eth + 1);
	rte_ether_addr_copy(dst_mac, &eth->dst_addr);
	rte_ether_addr_copy(&c->ports[c->p.underlay].mac, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = 4;
	arp->arp_opcode = rte_cpu_to_be_16(op);
	rte_ether_addr_copy(&c->ports[c->p.underlay].mac, &arp->arp_data.arp_sha);
	arp->arp_data.arp_sip = c->local_ip;
	rte_ether_addr_copy(tha, &arp->arp_data.arp_tha);
	arp->arp_data.arp_tip = tip;
	if (op == RTE_ARP_OP_REQUEST)
		c->ctr[CTL_ARP_REQUESTS]++;
	else
		c->ctr[CTL_ARP_REPLIES]++;
	ctl_send(c, m);
}

static void
arp_rx(struct ctl *c, struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const struct rte_arp_hdr *arp = (const void *)(eth + 1);
	struct rte_ether_addr sha;
	rte_be32_t sip, tip;

	c->ctr[CTL_ARP_RX]++;
	if (rte_pktmbuf_data_len(m) < sizeof(*eth) + sizeof(*arp) ||
	    arp->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
	    arp->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
	    arp->arp_hlen != RTE_ETHER_ADDR_LEN || arp->arp_plen != 4)
		goto out;
	sha = arp->arp_data.arp_sha;
	sip = arp->arp_data.arp_sip;
	tip = arp->arp_data.arp_tip;
	if (!rte_is_valid_assigned_ether_addr(&sha))
		goto out;

	/* RFC 826 merge: refresh a neighbour we already track, from requests
	 * and replies alike. */
	if (neigh_input(c->neighs, sip, &sha, ctl_ms(c)))
		c->dirty = true;
	if (arp->arp_opcode == rte_cpu_to_be_16(RTE_ARP_OP_REQUEST) && tip == c->local_ip)
		arp_send(c, RTE_ARP_OP_REPLY, &sha, &sha, sip);
out:
	rte_pktmbuf_free(m);
}

/* Echo requests to the local VTEP address, answered in place. */
static void
icmp_rx(struct ctl *c, struct rte_mbuf *m)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_icmp_hdr *icmp;
	uint32_t ihl = rte_ipv4_hdr_len(ip);
	uint32_t len = rte_be_to_cpu_16(ip->total_length);
	struct rte_ether_addr tmp;
	rte_be32_t a;

	/* The worker validated the IPv4 header and its length already. */
	if (rte_pktmbuf_data_len(m) < sizeof(*eth) + len || len < ihl + sizeof(*icmp) ||
	    (ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_OFFSET_MASK | RTE_IPV4_HDR_MF_FLAG)))
		goto drop;
	/* Never an answer to a group or the zero address (RFC 1122 3.2.2.6
	 * answers unicast sources; the worker refused martian IP sources). */
	if (!rte_is_valid_assigned_ether_addr(&eth->src_addr))
		goto drop;
	icmp = (struct rte_icmp_hdr *)((uint8_t *)ip + ihl);
	if (icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || icmp->icmp_code != 0)
		goto drop;
	if (rte_raw_cksum(icmp, len - ihl) != 0xffff)
		goto drop;

	vtep_pkt_truncate(m, sizeof(*eth) + len);
	tmp = eth->src_addr;
	eth->src_addr = c->ports[c->p.underlay].mac;
	eth->dst_addr = tmp;
	a = ip->src_addr;
	ip->src_addr = c->local_ip;
	ip->dst_addr = a;
	ip->time_to_live = 64;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	icmp->icmp_cksum = 0;
	icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(icmp, len - ihl);
	m->ol_flags = 0;
	c->ctr[CTL_ICMP_REPLIES]++;
	ctl_send(c, m);
	return;
drop:
	rte_pktmbuf_free(m);
}

void
ctl_punt_poll(struct ctl *c)
{
	struct rte_mbuf *m[32];
	unsigned n, i;

	if (c->p.punt == NULL)
		return;
	n = rte_ring_sc_dequeue_burst(c->p.punt, (void **)m, RTE_DIM(m), NULL);
	for (i = 0; i < n; i++) {
		const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m[i], const struct rte_ether_hdr *);

		const struct rte_ipv4_hdr *ip = (const void *)(eth + 1);

		if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP))
			arp_rx(c, m[i]);
		else if (ip->next_proto_id == IPPROTO_IGMP)
			ctl_igmp_rx(c, m[i]);
		else
			icmp_rx(c, m[i]);
	}
}

/* neigh_poll() asks for an ARP request to @ip. */
void
ctl_neigh_request(void *arg, rte_be32_t ip)
{
	static const struct rte_ether_addr bcast = {
		.addr_bytes = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
	static const struct rte_ether_addr zero;

	arp_send(arg, RTE_ARP_OP_REQUEST, &bcast, &zero, ip);
}

/* ---- learning ------------------------------------------------------------ */

/* Whether (port, VLAN) is an access binding of @v. */
static bool
vni_has_binding(const struct dp_vni *v, uint16_t port, uint16_t vlan)
{
	unsigned j;

	for (j = 0; j < v->bum.n_local; j++)
		if (v->bum.local[j].port == port && v->bum.local[j].vlan == vlan)
			return true;
	return false;
}

/*
 * A binding a worker snooped from an ARP reply or a gratuitous ARP: the
 * sender's IPv4 address (ev->remote) is at the sender's MAC (ev->mac). A
 * static binding of the address wins (fdb_learn() says -EPERM).
 */
static void
arp_learn_apply(struct ctl *c, const struct dp_vni *v, const struct fdb_learn_event *ev,
		uint32_t now)
{
	struct rte_ether_addr ipm;
	int rc;

	if (v == NULL || !v->arp_suppress || ev->remote.family != AF_INET ||
	    !rte_is_unicast_ether_addr(&ev->mac) || rte_is_zero_ether_addr(&ev->mac))
		return;
	fdb_ip_mac(&ipm, ev->remote.v4);
	rc = fdb_learn(c->arp, ev->vni, &ipm, fdb_dest_mac(&ev->mac), now);
	if (rc == FDB_LEARN_NEW || rc == FDB_LEARN_MOVE)
		c->arp_learned[v->slot]++;
}

static void
learn_apply(struct ctl *c, const struct fdb_learn_event *ev, uint32_t now)
{
	/* The published snapshot has the VNI by hash and its bindings by port
	 * id: no walk of the configuration per event. This thread wrote it. */
	const struct dp_vni *v = dp_vni_find(*c->p.snap, ev->vni);
	uint64_t dest;
	int id = -1, rc;

	if (ev->kind == FDB_KIND_MAC) {
		arp_learn_apply(c, v, ev, now);
		return;
	}
	if (v == NULL || !v->learning)
		goto refused;
	if (ev->kind == FDB_KIND_REMOTE) {
		/* Never learn our own address as a remote. */
		if (ev->remote.family == AF_INET && ev->remote.v4 == c->local_ip)
			goto refused;
		id = ctl_remote_get(c, &ev->remote);
		if (id < 0)
			goto refused;
		dest = fdb_dest_remote((uint32_t)id);
	} else if (ev->kind == FDB_KIND_LOCAL && vni_has_binding(v, ev->port, ev->vlan)) {
		dest = fdb_dest_local(ev->port, ev->vlan);
	} else {
		goto refused;
	}

	rc = fdb_learn(c->fdb, ev->vni, &ev->mac, dest, now);
	if (rc == FDB_LEARN_NEW || rc == FDB_LEARN_MOVE) {
		if (id >= 0)
			c->remotes[id].refs++;
		c->ctr[CTL_LEARN_APPLIED]++;
		return;
	}
	if (rc == FDB_LEARN_REFRESH) {
		c->ctr[CTL_LEARN_APPLIED]++;
		return;
	}
refused:
	c->ctr[CTL_LEARN_REFUSED]++;
	/* A remote created for a refused learn has no user. */
	if (id >= 0 && c->remotes[id].refs == 0) {
		c->remotes[id].refs = 1;
		ctl_remote_put(c, (uint32_t)id);
	}
}

void
ctl_learn_poll(struct ctl *c, uint32_t now)
{
	struct fdb_learn_event ev[64];
	unsigned n, i, total = 0;

	do {
		n = fdb_learn_take(c->p.learn, ev, RTE_DIM(ev));
		for (i = 0; i < n; i++)
			learn_apply(c, &ev[i], now);
		total += n;
	} while (n == RTE_DIM(ev) && total < LEARN_PER_POLL);
}

