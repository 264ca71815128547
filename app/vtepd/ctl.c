/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control thread: the one writer of shared state. It owns the remote
 * VTEP table and the underlay neighbour cache, applies learn events from the
 * workers, ages the FDB in time slices, answers ARP and ICMP echo for the
 * local VTEP address, and publishes data-plane snapshots through RCU.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_icmp.h>
#include <rte_malloc.h>

#include "neigh.h"
#include "vtepd.h"

#define AGE_SWEEP_MS 1000          /* every FDB slot aged once a second */
#define LEARN_PER_POLL 1024

enum remote_state { REMOTE_FREE, REMOTE_USED, REMOTE_DYING };

struct remote {
	struct vtep_ip ip;
	enum remote_state state;
	uint32_t refs;                 /* flood lists and FDB entries */
	int neigh;                     /* index into the neighbour table, -1 when
	                                  no route; a user of it while used */
};

struct ctl {
	struct remote *remotes;
	uint32_t n_remotes, cap_remotes;
	struct neigh_table *neighs;    /* the underlay's next hops */
	rte_be32_t local_ip, mask, gateway;
	bool dirty;                    /* the snapshot must be rebuilt */
	bool dying;                    /* remotes wait for a grace period */
	uint64_t last_stats_ms;
	uint64_t age_ms, age_carry;    /* ageing's clock and the fraction of a slot owed */
	/* counters of the control plane */
	uint64_t arp_rx, arp_replies, arp_requests, icmp_replies, punt_dropped;
	uint64_t learn_applied, learn_refused, snapshots;
};

static uint64_t
now_ms(void)
{
	return (rte_rdtsc() - vd.tsc0) * 1000 / vd.tsc_hz;
}

/* ---- neighbours ---------------------------------------------------------- */

/* The next hop toward @ip: itself when on-link, else the gateway. */
static int
next_hop(struct ctl *c, rte_be32_t ip, rte_be32_t *nh)
{
	if ((ip & c->mask) == (c->local_ip & c->mask)) {
		*nh = ip;
		return 0;
	}
	if (c->gateway == 0)
		return -ENETUNREACH;
	*nh = c->gateway;
	return 0;
}

/* ---- remotes ------------------------------------------------------------- */

static int
remote_find(struct ctl *c, const struct vtep_ip *ip)
{
	uint32_t i;

	for (i = 0; i < c->n_remotes; i++)
		if (c->remotes[i].state == REMOTE_USED && vtep_ip_eq(&c->remotes[i].ip, ip))
			return (int)i;
	return -1;
}

/* Find or create the remote for @ip; its refs are the caller's to take. */
static int
remote_get(struct ctl *c, const struct vtep_ip *ip)
{
	char buf[64];
	struct remote *r;
	rte_be32_t nh;
	uint32_t i;
	int id = remote_find(c, ip);

	if (id >= 0)
		return id;
	if (ip->family != AF_INET)
		return -EAFNOSUPPORT;
	for (i = 0; i < c->n_remotes; i++)
		if (c->remotes[i].state == REMOTE_FREE)
			break;
	if (i == c->n_remotes) {
		if (c->n_remotes == c->cap_remotes) {
			uint32_t cap = c->cap_remotes ? c->cap_remotes * 2 : 64;
			struct remote *p = realloc(c->remotes, cap * sizeof(*p));

			if (p == NULL)
				return -ENOMEM;
			c->remotes = p;
			c->cap_remotes = cap;
		}
		c->n_remotes++;
	}
	r = &c->remotes[i];
	memset(r, 0, sizeof(*r));
	r->ip = *ip;
	r->state = REMOTE_USED;
	r->neigh = -1;
	if (next_hop(c, ip->v4, &nh) == 0) {
		r->neigh = neigh_get(c->neighs, nh);
		if (r->neigh >= 0)
			neigh_hold(c->neighs, r->neigh);
	} else {
		VLOG(WARNING, "remote VTEP %s is off-link and no gateway is set",
		     vtep_ip_str(ip, buf, sizeof(buf)));
	}
	c->dirty = true;
	return (int)i;
}

static void
remote_put(struct ctl *c, uint32_t id)
{
	struct remote *r;

	if (id >= c->n_remotes)
		return;
	r = &c->remotes[id];
	if (r->state != REMOTE_USED || r->refs == 0)
		return;
	if (--r->refs == 0) {
		/* The id is reused only after a grace period: a worker may
		 * still hold an FDB result naming it. */
		r->state = REMOTE_DYING;
		if (r->neigh >= 0)
			neigh_release(c->neighs, r->neigh);
		c->dying = true;
		c->dirty = true;
	}
}

static void
fdb_removed(void *arg, uint32_t vni, const struct rte_ether_addr *mac, uint64_t dest)
{
	struct ctl *c = arg;

	RTE_SET_USED(vni);
	RTE_SET_USED(mac);
	if (fdb_dest_kind(dest) == FDB_KIND_REMOTE)
		remote_put(c, fdb_dest_remote_id(dest));
}

/* ---- snapshots ----------------------------------------------------------- */

static void
snap_free(struct dp_snap *s)
{
	unsigned i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n_vnis; i++)
		free((void *)(uintptr_t)s->vnis[i].flood);
	for (i = 0; i < RTE_MAX_ETHPORTS; i++)
		free(s->bind[i]);
	free(s->vnis);
	free(s->vni_key);
	free(s->vni_val);
	rte_free(s->remotes);
	free(s);
}

static struct dp_snap *
snap_build(struct ctl *c)
{
	const struct conf *cf = vd.conf;
	const struct conf_underlay *u = &cf->underlay;
	struct dp_snap *s = calloc(1, sizeof(*s));
	uint32_t size = 16, i, j;

	if (s == NULL)
		return NULL;
	s->decap.local_mac = vd.ports[vd.underlay].mac;
	s->decap.local_ip = u->address.v4;
	/* A /31 (RFC 3021) or /32 has no broadcast address. */
	if (u->prefix_len < 31)
		s->decap.bcast_ip = u->address.v4 | ~c->mask;
	s->decap.udp_port = rte_cpu_to_be_16(u->udp_port);
	s->decap.ecn = u->ecn == CONF_ECN_RFC6040;

	while (size < cf->n_vnis * 2)
		size *= 2;
	s->vni_mask = size - 1;
	s->vni_key = calloc(size, sizeof(uint32_t));
	s->vni_val = calloc(size, sizeof(uint32_t));
	s->vnis = calloc(cf->n_vnis ? cf->n_vnis : 1, sizeof(*s->vnis));
	/* Remotes hold templates that workers copy per packet: keep them in
	 * DPDK memory, cache-aligned. */
	s->remotes = rte_zmalloc("dp_remotes",
				 (c->n_remotes ? c->n_remotes : 1) * sizeof(*s->remotes),
				 RTE_CACHE_LINE_SIZE);
	if (s->vni_key == NULL || s->vni_val == NULL || s->vnis == NULL || s->remotes == NULL)
		goto fail;

	s->n_remotes = c->n_remotes;
	for (i = 0; i < c->n_remotes; i++) {
		const struct remote *r = &c->remotes[i];
		struct dp_remote *d = &s->remotes[i];
		struct vtep_tmpl_params p;

		d->ip = r->ip;
		memset(&p, 0, sizeof(p));
		if (r->state != REMOTE_USED ||
		    !neigh_lookup(c->neighs, r->neigh, &p.dst_mac))
			continue;
		p.src_mac = vd.ports[vd.underlay].mac;
		p.src = u->address;
		p.dst = r->ip;
		p.udp_port = u->udp_port;
		p.ttl = u->ttl_inherit ? VTEP_TTL_DEFAULT : u->ttl;
		p.tos = u->tos_inherit ? 0 : u->tos;
		p.df = u->df;
		if (vtep_tmpl_build(&d->tmpl, &p) == 0)
			d->resolved = true;
	}

	s->n_vnis = cf->n_vnis;
	for (i = 0; i < cf->n_vnis; i++) {
		const struct conf_vni *cv = &cf->vnis[i];
		struct dp_vni *v = &s->vnis[i];
		uint32_t h = (cv->vni * 0x9e3779b1u) & s->vni_mask;
		uint32_t *flood;

		v->vni = cv->vni;
		v->slot = (uint16_t)i;
		v->learning = cv->learning;
		v->inner_vlan_accept = cv->inner_vlan_accept;
		while (s->vni_val[h] != 0)
			h = (h + 1) & s->vni_mask;
		s->vni_key[h] = cv->vni;
		s->vni_val[h] = i + 1;

		for (j = 0; j < cv->n_access; j++) {
			const struct conf_access *a = &cv->access[j];
			int pi = conf_port_find(cf, a->port);
			uint16_t pid = vd.ports[pi].id;
			uint32_t slot = a->vlan == CONF_VLAN_UNTAGGED ? VTEPD_UNTAGGED_SLOT : a->vlan;

			v->local[v->n_local].port = pid;
			v->local[v->n_local].vlan = a->vlan;
			v->n_local++;
			if (s->bind[pid] == NULL) {
				s->bind[pid] = calloc(VTEPD_VLAN_SLOTS, sizeof(uint32_t));
				if (s->bind[pid] == NULL)
					goto fail;
			}
			s->bind[pid][slot] = i + 1;
		}

		flood = calloc(cv->n_remotes ? cv->n_remotes : 1, sizeof(*flood));
		if (flood == NULL)
			goto fail;
		for (j = 0; j < cv->n_remotes; j++) {
			int id = remote_find(c, &cv->remotes[j]);

			if (id >= 0)
				flood[v->n_flood++] = (uint32_t)id;
		}
		v->flood = flood;
	}
	return s;
fail:
	snap_free(s);
	return NULL;
}

static int
snap_publish(struct ctl *c)
{
	struct dp_snap *s = snap_build(c), *old;
	uint32_t i;

	if (s == NULL)
		return -ENOMEM;
	old = __atomic_exchange_n(&vd.snap, s, __ATOMIC_ACQ_REL);
	/* Wait until no worker can still read the old one. */
	rte_rcu_qsbr_synchronize(vd.qsbr, RTE_QSBR_THRID_INVALID);
	snap_free(old);
	if (c->dying) {
		for (i = 0; i < c->n_remotes; i++)
			if (c->remotes[i].state == REMOTE_DYING)
				c->remotes[i].state = REMOTE_FREE;
		c->dying = false;
	}
	c->dirty = false;
	c->snapshots++;
	return 0;
}

/* ---- frames the control thread sends ------------------------------------- */

static void
ctl_send(struct ctl *c, struct rte_mbuf *m)
{
	if (rte_ring_sp_enqueue(vd.workers[0]->ctl_tx, m) != 0) {
		rte_pktmbuf_free(m);
		c->punt_dropped++;
	}
}

static void
arp_send(struct ctl *c, uint16_t op, const struct rte_ether_addr *dst_mac,
	 const struct rte_ether_addr *tha, rte_be32_t tip)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(vd.ctl_pool);
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *arp;

	if (m == NULL)
		return;
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eth) + sizeof(*arp));
	arp = (struct rte_arp_hdr *)(eth + 1);
	rte_ether_addr_copy(dst_mac, &eth->dst_addr);
	rte_ether_addr_copy(&vd.ports[vd.underlay].mac, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = 4;
	arp->arp_opcode = rte_cpu_to_be_16(op);
	rte_ether_addr_copy(&vd.ports[vd.underlay].mac, &arp->arp_data.arp_sha);
	arp->arp_data.arp_sip = c->local_ip;
	rte_ether_addr_copy(tha, &arp->arp_data.arp_tha);
	arp->arp_data.arp_tip = tip;
	if (op == RTE_ARP_OP_REQUEST)
		c->arp_requests++;
	else
		c->arp_replies++;
	ctl_send(c, m);
}

static void
arp_rx(struct ctl *c, struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const struct rte_arp_hdr *arp = (const void *)(eth + 1);
	struct rte_ether_addr sha;
	rte_be32_t sip, tip;

	c->arp_rx++;
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
	if (neigh_input(c->neighs, sip, &sha, now_ms()))
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
	eth->src_addr = vd.ports[vd.underlay].mac;
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
	c->icmp_replies++;
	ctl_send(c, m);
	return;
drop:
	rte_pktmbuf_free(m);
}

static void
punt_poll(struct ctl *c)
{
	struct rte_mbuf *m[32];
	unsigned n, i;

	n = rte_ring_sc_dequeue_burst(vd.punt, (void **)m, RTE_DIM(m), NULL);
	for (i = 0; i < n; i++) {
		const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m[i], const struct rte_ether_hdr *);

		if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP))
			arp_rx(c, m[i]);
		else
			icmp_rx(c, m[i]);
	}
}

/* neigh_poll() asks for an ARP request to @ip. */
static void
neigh_request(void *arg, rte_be32_t ip)
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

	for (j = 0; j < v->n_local; j++)
		if (v->local[j].port == port && v->local[j].vlan == vlan)
			return true;
	return false;
}

static void
learn_apply(struct ctl *c, const struct fdb_learn_event *ev, uint32_t now)
{
	/* The published snapshot has the VNI by hash and its bindings by port
	 * id: no walk of the configuration per event. This thread wrote it. */
	const struct dp_vni *v = dp_vni_find(vd.snap, ev->vni);
	uint64_t dest;
	int id = -1, rc;

	if (v == NULL || !v->learning)
		goto refused;
	if (ev->kind == FDB_KIND_REMOTE) {
		/* Never learn our own address as a remote. */
		if (ev->remote.family == AF_INET && ev->remote.v4 == c->local_ip)
			goto refused;
		id = remote_get(c, &ev->remote);
		if (id < 0)
			goto refused;
		dest = fdb_dest_remote((uint32_t)id);
	} else if (ev->kind == FDB_KIND_LOCAL && vni_has_binding(v, ev->port, ev->vlan)) {
		dest = fdb_dest_local(ev->port, ev->vlan);
	} else {
		goto refused;
	}

	rc = fdb_learn(vd.fdb, ev->vni, &ev->mac, dest, now);
	if (rc == FDB_LEARN_NEW || rc == FDB_LEARN_MOVE) {
		if (id >= 0)
			c->remotes[id].refs++;
		c->learn_applied++;
		return;
	}
	if (rc == FDB_LEARN_REFRESH) {
		c->learn_applied++;
		return;
	}
refused:
	c->learn_refused++;
	/* A remote created for a refused learn has no user. */
	if (id >= 0 && c->remotes[id].refs == 0) {
		c->remotes[id].refs = 1;
		remote_put(c, (uint32_t)id);
	}
}

static void
learn_poll(struct ctl *c, uint32_t now)
{
	struct fdb_learn_event ev[64];
	unsigned n, i, total = 0;

	do {
		n = fdb_learn_take(vd.learn, ev, RTE_DIM(ev));
		for (i = 0; i < n; i++)
			learn_apply(c, &ev[i], now);
		total += n;
	} while (n == RTE_DIM(ev) && total < LEARN_PER_POLL);
}

/* ---- counters ------------------------------------------------------------ */

/* One "neigh.<ip> <state> <MAC or ->" line; the packet tests parse it. */
static int
neigh_print(void *arg, const struct neigh_info *n)
{
	char ip[64], mac[RTE_ETHER_ADDR_FMT_SIZE];
	struct vtep_ip a = vtep_ip4(n->ip);

	rte_ether_format_addr(mac, sizeof(mac), &n->mac);
	fprintf(arg, "neigh.%s %s %s\n", vtep_ip_str(&a, ip, sizeof(ip)),
		neigh_state_name(n->state), n->usable ? mac : "-");
	return 0;
}

void
ctl_stats_print(struct vtepd *d, FILE *f)
{
	struct ctl *c = d->ctl;
	struct fdb_stats fs;
	uint64_t drops[VTEP_DROP_MAX] = { 0 };
	uint64_t punts = 0, posted = 0, lost = 0, over = 0;
	unsigned i, w, e;

	fprintf(f, "--- vtepd counters at %" PRIu32 " s ---\n", vtepd_now());
	for (i = 0; i < d->n_ports; i++) {
		struct port_ctr sum = { 0 };
		struct rte_eth_stats es;
		uint16_t pid = d->ports[i].id;

		for (w = 0; w < d->n_workers; w++) {
			const struct port_ctr *p = &d->workers[w]->port[pid];

			sum.rx_pkts += p->rx_pkts;
			sum.rx_bytes += p->rx_bytes;
			sum.tx_pkts += p->tx_pkts;
			sum.tx_bytes += p->tx_bytes;
		}
		memset(&es, 0, sizeof(es));
		rte_eth_stats_get(pid, &es);
		fprintf(f, "port.%s.rx_packets %" PRIu64 "\n", d->ports[i].name, sum.rx_pkts);
		fprintf(f, "port.%s.rx_bytes %" PRIu64 "\n", d->ports[i].name, sum.rx_bytes);
		fprintf(f, "port.%s.tx_packets %" PRIu64 "\n", d->ports[i].name, sum.tx_pkts);
		fprintf(f, "port.%s.tx_bytes %" PRIu64 "\n", d->ports[i].name, sum.tx_bytes);
		fprintf(f, "port.%s.rx_missed %" PRIu64 "\n", d->ports[i].name, es.imissed);
		fprintf(f, "port.%s.rx_nombuf %" PRIu64 "\n", d->ports[i].name, es.rx_nombuf);
		port_stats_print(d, i, f);
	}
	for (i = 0; i < d->conf->n_vnis; i++) {
		struct vni_ctr sum = { 0 };
		uint32_t vni = d->conf->vnis[i].vni;

		for (w = 0; w < d->n_workers; w++) {
			const struct vni_ctr *v = &d->workers[w]->vni[i];

			sum.encap_pkts += v->encap_pkts;
			sum.encap_bytes += v->encap_bytes;
			sum.decap_pkts += v->decap_pkts;
			sum.decap_bytes += v->decap_bytes;
			sum.flood_pkts += v->flood_pkts;
			sum.flood_copies += v->flood_copies;
		}
		fprintf(f, "vni.%" PRIu32 ".encap_packets %" PRIu64 "\n", vni, sum.encap_pkts);
		fprintf(f, "vni.%" PRIu32 ".encap_bytes %" PRIu64 "\n", vni, sum.encap_bytes);
		fprintf(f, "vni.%" PRIu32 ".decap_packets %" PRIu64 "\n", vni, sum.decap_pkts);
		fprintf(f, "vni.%" PRIu32 ".decap_bytes %" PRIu64 "\n", vni, sum.decap_bytes);
		fprintf(f, "vni.%" PRIu32 ".flood_packets %" PRIu64 "\n", vni, sum.flood_pkts);
		fprintf(f, "vni.%" PRIu32 ".flood_copies %" PRIu64 "\n", vni, sum.flood_copies);
		fprintf(f, "vni.%" PRIu32 ".fdb_entries %" PRIu32 "\n", vni,
			fdb_vni_count(d->fdb, vni));
	}
	for (w = 0; w < d->n_workers; w++) {
		const struct worker *wk = d->workers[w];
		uint64_t wd = 0;

		for (e = 1; e < VTEP_DROP_MAX; e++) {
			drops[e] += wk->drops[e];
			wd += wk->drops[e];
		}
		uint64_t wrx = 0;

		for (i = 0; i < d->n_ports; i++)
			wrx += wk->port[d->ports[i].id].rx_pkts;
		punts += wk->punts;
		posted += wk->learn_posted;
		lost += wk->learn_lost;
		over += wk->learn_over_quota;
		fprintf(f, "worker.%u.rx_packets %" PRIu64 "\n", w, wrx);
		fprintf(f, "worker.%u.drops %" PRIu64 "\n", w, wd);
	}
	for (e = 1; e < VTEP_DROP_MAX; e++)
		fprintf(f, "drop.%s %" PRIu64 "\n", vtep_drop_name((enum vtep_drop)e), drops[e]);
	fdb_stats_get(d->fdb, &fs);
	fprintf(f, "fdb.entries %" PRIu32 "\n", fs.entries);
	fprintf(f, "fdb.learned %" PRIu32 "\n", fs.learned);
	fprintf(f, "fdb.static %" PRIu32 "\n", fs.statics);
	fprintf(f, "fdb.moves %" PRIu64 "\n", fs.moves);
	fprintf(f, "fdb.aged %" PRIu64 "\n", fs.aged);
	fprintf(f, "fdb.limit_hits %" PRIu64 "\n", fs.limit_hits);
	fprintf(f, "fdb.full_hits %" PRIu64 "\n", fs.full_hits);
	fprintf(f, "fdb.static_wins %" PRIu64 "\n", fs.static_wins);
	fprintf(f, "learn.posted %" PRIu64 "\n", posted);
	fprintf(f, "learn.ring_full %" PRIu64 "\n", lost);
	fprintf(f, "learn.over_quota %" PRIu64 "\n", over);
	fprintf(f, "learn.applied %" PRIu64 "\n", c->learn_applied);
	fprintf(f, "learn.refused %" PRIu64 "\n", c->learn_refused);
	fprintf(f, "ctl.punted %" PRIu64 "\n", punts);
	fprintf(f, "ctl.arp_rx %" PRIu64 "\n", c->arp_rx);
	fprintf(f, "ctl.arp_requests_sent %" PRIu64 "\n", c->arp_requests);
	fprintf(f, "ctl.arp_replies_sent %" PRIu64 "\n", c->arp_replies);
	fprintf(f, "ctl.icmp_echo_replies %" PRIu64 "\n", c->icmp_replies);
	fprintf(f, "ctl.tx_dropped %" PRIu64 "\n", c->punt_dropped);
	fprintf(f, "ctl.snapshots %" PRIu64 "\n", c->snapshots);
	neigh_walk(c->neighs, neigh_print, f);
	fflush(f);
}

/* ---- setup and the loop -------------------------------------------------- */

static int
add_static_fdb(struct ctl *c, const struct conf_fdb *e)
{
	struct rte_ether_addr mac;
	uint64_t dest;
	int id = -1, rc;

	memcpy(mac.addr_bytes, e->mac, RTE_ETHER_ADDR_LEN);
	if (e->is_remote) {
		id = remote_get(c, &e->remote);
		if (id < 0)
			return id;
		dest = fdb_dest_remote((uint32_t)id);
	} else {
		int pi = conf_port_find(vd.conf, e->local.port);

		if (pi < 0)
			return -EINVAL;
		dest = fdb_dest_local(vd.ports[pi].id, e->local.vlan);
	}
	rc = fdb_add_static(vd.fdb, e->vni, &mac, dest);
	if (rc == 0 && id >= 0)
		c->remotes[id].refs++;
	return rc;
}

int
ctl_init(struct vtepd *d)
{
	const struct conf *cf = d->conf;
	const struct conf_underlay *u = &cf->underlay;
	struct ctl *c = calloc(1, sizeof(*c));
	unsigned i, j;
	int rc;

	if (c == NULL)
		return -ENOMEM;
	d->ctl = c;
	if (cf->state_file != NULL)
		VLOG(WARNING, "state_file %s ignored: there is no REST API to persist yet",
		     cf->state_file);
	c->local_ip = u->address.v4;
	c->mask = u->prefix_len ? rte_cpu_to_be_32(~0u << (32 - u->prefix_len)) : 0;
	c->gateway = u->gateway.family == AF_INET ? u->gateway.v4 : 0;

	/* The default timers: ARP every second while unresolved, trust a
	 * reply for 60 s, drop the MAC after 3 unanswered re-probes. */
	c->neighs = neigh_create(NULL);
	if (c->neighs == NULL)
		return -errno;
	for (i = 0; i < u->n_neighbors; i++) {
		struct rte_ether_addr mac;
		int n;

		memcpy(mac.addr_bytes, u->neighbors[i].mac, RTE_ETHER_ADDR_LEN);
		n = neigh_set_static(c->neighs, u->neighbors[i].ip.v4, &mac);
		if (n < 0)
			return n;
	}

	/* The FDB belongs to the control thread, its only writer. */
	struct fdb_params fp = {
		.name = "fdb",
		.capacity = cf->fdb_capacity,
		.socket_id = (int)rte_socket_id(),
		.qsbr = d->qsbr,
		.on_remove = fdb_removed,
		.arg = c,
	};
	d->fdb = fdb_create(&fp);
	if (d->fdb == NULL) {
		VLOG(ERR, "cannot create an FDB of %u entries: %s", cf->fdb_capacity,
		     rte_strerror(rte_errno));
		return -rte_errno;
	}

	for (i = 0; i < cf->n_vnis; i++) {
		const struct conf_vni *cv = &cf->vnis[i];

		if (cv->flood_mode == CONF_FLOOD_MULTICAST) {
			VLOG(ERR, "vni %u: flood mode multicast is not supported yet; use head-end",
			     cv->vni);
			return -ENOTSUP;
		}
		rc = fdb_vni_set(d->fdb, cv->vni, cv->mac_limit, cv->ageing);
		if (rc != 0)
			return rc;
		for (j = 0; j < cv->n_remotes; j++) {
			int id = remote_get(c, &cv->remotes[j]);

			if (id < 0)
				return id;
			c->remotes[id].refs++;
		}
	}
	for (i = 0; i < cf->n_fdb; i++) {
		rc = add_static_fdb(c, &cf->fdb[i]);
		if (rc != 0) {
			VLOG(ERR, "fdb[%u]: %s", i, strerror(-rc));
			return rc;
		}
	}
	return snap_publish(c);
}

void
ctl_poll(struct vtepd *d)
{
	struct ctl *c = d->ctl;
	uint32_t now = vtepd_now();
	uint64_t ms = now_ms();
	unsigned budget;

	punt_poll(c);
	learn_poll(c, now);
	if (neigh_poll(c->neighs, now_ms(), neigh_request, c))
		c->dirty = true;
	port_watch_poll(d);
	/* Ageing is paced by time, not by polls: a fixed slice per poll
	 * swept a 256 K-slot table many times a second, and the cache lines
	 * it pulled in were the worker's when both share a core. */
	budget = fdb_age_budget(d->fdb, ms - c->age_ms, AGE_SWEEP_MS, &c->age_carry);
	c->age_ms = ms;
	if (budget > 0)
		fdb_age(d->fdb, now, budget);
	if (c->dirty)
		snap_publish(c);
	if (d->conf->stats_interval != 0 &&
	    ms - c->last_stats_ms >= (uint64_t)d->conf->stats_interval * 1000) {
		c->last_stats_ms = ms;
		ctl_stats_print(d, stdout);
	}
}

void
ctl_fini(struct vtepd *d)
{
	struct ctl *c = d->ctl;

	if (c == NULL)
		return;
	snap_free(d->snap);
	d->snap = NULL;
	fdb_free(d->fdb);
	d->fdb = NULL;
	free(c->remotes);
	neigh_free(c->neighs);
	free(c);
	d->ctl = NULL;
}
