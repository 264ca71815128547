/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker loop: poll its RX queues, process each burst to completion,
 * transmit once per port, report RCU quiescence. No locks, no syscalls, no
 * heap, no logging in here.
 */
#include <rte_arp.h>
#include <rte_prefetch.h>

#include "vtepd.h"

#define PREFETCH_AHEAD 4

static inline bool
key_eq(const struct fdb_key *a, const struct fdb_key *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

/* FDB keys of one burst, looked up together. */
struct key_batch {
	unsigned n;
	struct fdb_key key[VTEPD_BURST];
	const struct fdb_key *kp[VTEPD_BURST];
	struct fdb_result res[VTEPD_BURST];
	uint8_t pkt[VTEPD_BURST];        /* the frame that added the key */
	uint32_t ctx[VTEPD_BURST];       /* what else the answer depends on */
};

/*
 * Add (vni, mac) for frame @pkt and return the key's index. Consecutive
 * frames of one flow share a lookup: a key equal to the previous one, in
 * the same context (outer source, VLAN), is not added again.
 */
static inline unsigned
batch_add(struct key_batch *b, uint32_t vni, const struct rte_ether_addr *mac,
	  unsigned pkt, uint32_t ctx)
{
	struct fdb_key *k = &b->key[b->n];

	fdb_key_set(k, vni, mac);
	if (b->n != 0 && b->ctx[b->n - 1] == ctx && key_eq(k, &b->key[b->n - 1]))
		return b->n - 1;
	b->kp[b->n] = k;
	b->pkt[b->n] = (uint8_t)pkt;
	b->ctx[b->n] = ctx;
	return b->n++;
}

static inline void
batch_lookup(struct worker *w, struct key_batch *b)
{
	if (b->n != 0)
		fdb_lookup_cached(vd.fdb, w->fdb_cache, b->kp, b->n, b->res);
}

/* Learn events of one burst, posted together, at most a few. */
struct learn_batch {
	unsigned n;
	unsigned over;                   /* events beyond the quota, not posted */
	struct fdb_learn_event ev[VTEPD_LEARN_PER_BURST];
};

static inline struct fdb_learn_event *
learn_next(struct learn_batch *l, uint32_t vni, const struct rte_ether_addr *mac)
{
	struct fdb_learn_event *ev;

	if (l->n == VTEPD_LEARN_PER_BURST) {
		l->over++;
		return NULL;
	}
	ev = &l->ev[l->n++];
	memset(ev, 0, sizeof(*ev));
	ev->vni = vni;
	rte_ether_addr_copy(mac, &ev->mac);
	return ev;
}

static inline void
drop(struct worker *w, struct rte_mbuf *m, enum vtep_drop why)
{
	w->ctr.drops[why]++;
	rte_pktmbuf_free(m);
}

static void
tx_flush_port(struct worker *w, uint16_t port)
{
	struct bum_txbuf *b = &w->tx[port];
	uint64_t bytes = 0;
	uint16_t i, sent;

	for (i = 0; i < b->n; i++)
		bytes += rte_pktmbuf_pkt_len(b->pkts[i]);
	sent = rte_eth_tx_burst(port, w->txq, b->pkts, b->n);
	for (i = sent; i < b->n; i++) {
		bytes -= rte_pktmbuf_pkt_len(b->pkts[i]);
		drop(w, b->pkts[i], VTEP_DROP_TX_FULL);
	}
	w->ctr.port[port].c[CTL_PORT_TX_PACKETS] += sent;
	w->ctr.port[port].c[CTL_PORT_TX_BYTES] += bytes;
	b->n = 0;
}

/* lib/bum's way to flush a full TX buffer. */
static void
tx_flush_cb(void *arg, uint16_t port)
{
	tx_flush_port(arg, port);
}

void
worker_bum_init(struct worker *w)
{
	w->bum = (struct bum_worker){
		.pools = &vd.bum,
		.encap = &w->encap,
		.tx = w->tx,
		.flush = tx_flush_cb,
		.arg = w,
		.drops = w->ctr.drops,
		.underlay = vd.ports[vd.underlay].id,
		.tsc_hz = vd.tsc_hz,
	};
}

static void
tx_flush(struct worker *w)
{
	unsigned i;

	for (i = 0; i < vd.n_ports; i++)
		if (w->tx[vd.ports[i].id].n != 0)
			tx_flush_port(w, vd.ports[i].id);
}

/*
 * The learning verdict for one source looked up in the FDB: refresh the
 * entry when it already says @same, leave a static entry alone, else return
 * a new event for the caller to fill (NULL once the burst's quota is used).
 */
static inline struct fdb_learn_event *
learn_check(struct learn_batch *l, const struct fdb_result *r, bool same,
	    uint32_t vni, const struct rte_ether_addr *mac, uint32_t now)
{
	if (same) {
		fdb_touch(vd.fdb, r->slot, now);
		return NULL;
	}
	if (fdb_dest_flags(r->dest) & FDB_F_STATIC)
		return NULL;
	return learn_next(l, vni, mac);
}

static inline void
learn_post(struct worker *w, struct learn_batch *l)
{
	unsigned sent;

	w->ctr.w[CTL_WORKER_LEARN_OVER_QUOTA] += l->over;
	l->over = 0;
	if (l->n == 0)
		return;
	sent = fdb_learn_post(vd.learn, l->ev, l->n);
	w->ctr.w[CTL_WORKER_LEARN_POSTED] += sent;
	w->ctr.w[CTL_WORKER_LEARN_RING_FULL] += l->n - sent;
	l->n = 0;
}

/* A BUM frame's outcome into its VNI's counters. */
static inline void
flood_count(struct worker *w, const struct dp_vni *v, struct bum_counts r)
{
	struct vni_ctr *c = &w->ctr.vni[v->slot];

	c->c[CTL_VNI_FLOOD_PACKETS] += r.flooded;
	c->c[CTL_VNI_FLOOD_COPIES] += r.local + r.tunnel;
	c->c[CTL_VNI_ENCAP_PACKETS] += r.tunnel;
	c->c[CTL_VNI_ENCAP_BYTES] += (uint64_t)r.tunnel * r.bytes;
	c->c[CTL_VNI_STORM_DROPS] += r.storm;
}

/*
 * A replicator relays unicast between the VTEPs it serves: a frame from one
 * to a MAC learned behind another is encapsulated again toward it.
 */
static void
relay(struct worker *w, const struct dp_snap *s, const struct dp_vni *v, struct rte_mbuf *m,
      uint64_t d, rte_be32_t from)
{
	uint32_t id = fdb_dest_remote_id(d);
	const struct bum_remote *r = id < s->n_remotes ? &s->remotes[id] : NULL;
	struct vni_ctr *c = &w->ctr.vni[v->slot];
	uint32_t len = rte_pktmbuf_pkt_len(m);
	enum vtep_drop why;

	if (unlikely(r == NULL || !r->resolved)) {
		drop(w, m, VTEP_DROP_NEIGH_UNRESOLVED);
		return;
	}
	if (r->ip.v4 == from) {
		drop(w, m, VTEP_DROP_SAME_BINDING);
		return;
	}
	why = vtep_encap(&w->encap, &r->tmpl, m, v->vni, vtep_sport(&w->encap, vtep_flow_hash(m)),
			 vtep_encap_qos(&w->encap, m));
	if (unlikely(why != VTEP_DROP_NONE)) {
		drop(w, m, why);
		return;
	}
	c->c[CTL_VNI_ENCAP_PACKETS]++;
	c->c[CTL_VNI_ENCAP_BYTES] += len;
	bum_send(&w->bum, w->bum.underlay, m);
}

/* ---- ARP suppression ----------------------------------------------------- */

/* The ARP header of an untagged Ethernet/IPv4 ARP frame, else NULL. */
static inline struct rte_arp_hdr *
arp_of(struct rte_mbuf *m)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *a;

	if (eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP) ||
	    rte_pktmbuf_data_len(m) < sizeof(*eth) + sizeof(*a))
		return NULL;
	a = (struct rte_arp_hdr *)(eth + 1);
	if (a->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
	    a->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
	    a->arp_hlen != RTE_ETHER_ADDR_LEN || a->arp_plen != sizeof(rte_be32_t))
		return NULL;
	return a;
}

/* The ARP table's answer for @ip in @vni: a packed MAC, 0 on a miss. ARP
 * frames are few: one lookup each, no batch. */
static inline uint64_t
arp_lookup(uint32_t vni, rte_be32_t ip, int32_t *slot)
{
	struct fdb_key k;
	const struct fdb_key *kp = &k;
	struct fdb_result r;

	fdb_ip_key_set(&k, vni, ip);
	fdb_lookup_bulk(vd.arp, &kp, 1, &r);
	*slot = r.slot;
	return r.dest;
}

/*
 * Snoop what an ARP reply or a gratuitous ARP (sender IP == target IP) says
 * of its sender: refresh the binding when the table has it already, else
 * post it to the writer, within the burst's learning quota.
 */
static inline void
arp_snoop(struct learn_batch *l, const struct dp_vni *v, const struct rte_arp_hdr *a,
	  uint32_t now)
{
	rte_be32_t sip = a->arp_data.arp_sip;
	struct rte_ether_addr sha = a->arp_data.arp_sha, known;
	struct fdb_learn_event *ev;
	int32_t slot;
	uint64_t d;

	if (!(a->arp_opcode == rte_cpu_to_be_16(RTE_ARP_OP_REPLY) ||
	      (a->arp_opcode == rte_cpu_to_be_16(RTE_ARP_OP_REQUEST) &&
	       sip == a->arp_data.arp_tip)))
		return;
	if (sip == 0 || !rte_is_valid_assigned_ether_addr(&sha))
		return;
	d = arp_lookup(v->vni, sip, &slot);
	if (d != 0) {
		if (fdb_dest_flags(d) & FDB_F_STATIC)
			return;
		fdb_dest_mac_get(d, &known);
		if (rte_is_same_ether_addr(&known, &sha)) {
			fdb_touch(vd.arp, slot, now);
			return;
		}
	}
	ev = learn_next(l, v->vni, &sha);
	if (ev != NULL) {
		ev->kind = FDB_KIND_MAC;
		ev->remote = vtep_ip4(sip);
	}
}

/*
 * Answer ARP request @m, from access binding (@port, @vlan), in its own
 * mbuf when the VNI knows the target: the reply comes from the target's
 * MAC and goes back to the requester only. Gratuitous requests and probes
 * (sender 0.0.0.0, RFC 5227) are not answered, nor a requester asking for
 * its own address: those are flooded, as is a request for an unknown
 * target. @return true when @m was answered (and consumed).
 */
static inline bool
arp_answer(struct worker *w, const struct dp_vni *v, struct rte_mbuf *m,
	   struct rte_arp_hdr *a, uint16_t port, uint16_t vlan)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	rte_be32_t sip = a->arp_data.arp_sip, tip = a->arp_data.arp_tip;
	struct rte_ether_addr mac, sha = a->arp_data.arp_sha;
	struct bum_binding b = { .port = port, .vlan = vlan };
	int32_t slot;
	uint64_t d;

	if (a->arp_opcode != rte_cpu_to_be_16(RTE_ARP_OP_REQUEST) || sip == tip || sip == 0)
		return false;
	d = arp_lookup(v->vni, tip, &slot);
	if (d == 0) {
		w->ctr.vni[v->slot].c[CTL_VNI_ARP_FLOODED]++;
		return false;
	}
	fdb_dest_mac_get(d, &mac);
	if (rte_is_same_ether_addr(&mac, &sha))
		return false;
	rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
	rte_ether_addr_copy(&mac, &eth->src_addr);
	a->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
	a->arp_data.arp_tha = sha;
	a->arp_data.arp_tip = sip;
	a->arp_data.arp_sha = mac;
	a->arp_data.arp_sip = tip;
	w->ctr.vni[v->slot].c[CTL_VNI_ARP_SUPPRESSED]++;
	bum_to_binding(&w->bum, &b, m);
	return true;
}

/* ---- underlay: decapsulate ---------------------------------------------- */

static void
underlay_rx(struct worker *w, const struct dp_snap *s, struct rte_mbuf **pkts,
	    uint16_t n, uint32_t now)
{
	struct rte_mbuf *ok[VTEPD_BURST];
	const struct dp_vni *vn[VTEPD_BURST];
	rte_be32_t src[VTEPD_BURST];
	int8_t dslot[VTEPD_BURST];
	struct key_batch sb, db;
	struct learn_batch lb;
	unsigned nok = 0, i;

	sb.n = db.n = lb.n = lb.over = 0;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct vtep_rx_info inf;
		const struct dp_vni *v;
		const struct rte_ether_hdr *eth;
		enum vtep_rx_kind k;
		enum vtep_drop why;

		if (i + PREFETCH_AHEAD < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + PREFETCH_AHEAD], void *));

		k = vtep_decap_classify(&s->decap, m, &inf);
		if (unlikely(k != VTEP_RX_VXLAN)) {
			if (k == VTEP_RX_PUNT) {
				if (rte_ring_mp_enqueue(vd.punt, m) != 0)
					drop(w, m, VTEP_DROP_PUNT_FULL);
				else
					w->ctr.w[CTL_WORKER_PUNTED]++;
			} else {
				drop(w, m, inf.drop);
			}
			continue;
		}
		v = dp_vni_find(s, inf.vni);
		if (unlikely(v == NULL)) {
			drop(w, m, VTEP_DROP_UNKNOWN_VNI);
			continue;
		}
		/* To a group: only for the VNIs mapped to that group. */
		if (unlikely(inf.outer_dst != s->decap.local_ip) && inf.outer_dst != v->group) {
			drop(w, m, VTEP_DROP_GROUP_NOT_JOINED);
			continue;
		}
		rte_pktmbuf_adj(m, inf.outer_len);
		if (rte_pktmbuf_pkt_len(m) > inf.inner_len)
			vtep_pkt_truncate(m, inf.inner_len);
		/* Offload flags of the outer frame mean nothing for the inner one. */
		m->ol_flags = 0;
		why = vtep_decap_inner(m, inf.outer_tos, s->decap.ecn, v->inner_vlan_accept);
		if (unlikely(why != VTEP_DROP_NONE)) {
			drop(w, m, why);
			continue;
		}

		eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
		dslot[nok] = -1;
		/* vtep_decap_inner() refused a source that is no unicast MAC. */
		if (v->learning)
			batch_add(&sb, v->vni, &eth->src_addr, nok, inf.outer_src);
		/* One binding needs no lookup, unless the VNI relays between
		 * remotes (a replicator). */
		if ((v->bum.n_local > 1 || v->bum.replicator) &&
		    rte_is_unicast_ether_addr(&eth->dst_addr))
			dslot[nok] = (int8_t)batch_add(&db, v->vni, &eth->dst_addr, nok, 0);
		ok[nok] = m;
		vn[nok] = v;
		src[nok++] = inf.outer_src;
	}

	/* Learning: inner source MAC -> outer source address. */
	batch_lookup(w, &sb);
	for (i = 0; i < sb.n; i++) {
		uint64_t d = sb.res[i].dest;
		unsigned k = sb.pkt[i];
		bool same = fdb_dest_kind(d) == FDB_KIND_REMOTE &&
			    fdb_dest_remote_id(d) < s->n_remotes &&
			    s->remotes[fdb_dest_remote_id(d)].ip.v4 == src[k];
		struct fdb_learn_event *ev;

		ev = learn_check(&lb, &sb.res[i], same, vn[k]->vni, &sb.key[i].mac, now);
		if (ev != NULL) {
			ev->kind = FDB_KIND_REMOTE;
			ev->remote = vtep_ip4(src[k]);
		}
	}
	batch_lookup(w, &db);

	for (i = 0; i < nok; i++) {
		struct rte_mbuf *m = ok[i];
		const struct dp_vni *v = vn[i];
		struct vni_ctr *c = &w->ctr.vni[v->slot];

		c->c[CTL_VNI_DECAP_PACKETS]++;
		c->c[CTL_VNI_DECAP_BYTES] += rte_pktmbuf_pkt_len(m);
		if (unlikely(v->arp_suppress)) {
			const struct rte_arp_hdr *a = arp_of(m);

			if (a != NULL)
				arp_snoop(&lb, v, a, now);
		}
		if (v->bum.n_local == 1 && !v->bum.replicator) {
			bum_to_binding(&w->bum, &v->bum.local[0], m);
			continue;
		}
		if (dslot[i] >= 0) {
			uint64_t d = db.res[(unsigned)dslot[i]].dest;

			if (fdb_dest_kind(d) == FDB_KIND_LOCAL) {
				struct bum_binding b = {
					.port = fdb_dest_port(d), .vlan = fdb_dest_vlan(d),
				};
				bum_to_binding(&w->bum, &b, m);
				continue;
			}
			if (fdb_dest_kind(d) == FDB_KIND_REMOTE &&
			    bum_replicates_for(&v->bum, s->remotes, src[i])) {
				relay(w, s, v, m, d, src[i]);
				continue;
			}
		}
		/* BUM, unknown, or known as remote: lib/bum keeps it on the
		 * access side (split horizon), or relays it as a replicator. */
		flood_count(w, v, bum_flood_decap(&w->bum, &v->bum, s->remotes, m, src[i]));
	}
	learn_post(w, &lb);
}

/* ---- access: encapsulate ------------------------------------------------- */

static void
access_rx(struct worker *w, const struct dp_snap *s, uint16_t port,
	  struct rte_mbuf **pkts, uint16_t n, uint32_t now)
{
	const uint32_t *bind = s->bind[port];
	struct rte_mbuf *ok[VTEPD_BURST];
	const struct dp_vni *vn[VTEPD_BURST];
	uint16_t vlan[VTEPD_BURST];
	int8_t dslot[VTEPD_BURST];
	struct key_batch sb, db;
	struct learn_batch lb;
	unsigned nok = 0, i;
	uint16_t uport = vd.ports[vd.underlay].id;

	sb.n = db.n = lb.n = lb.over = 0;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct rte_ether_hdr *eth;
		uint32_t slot, vi;
		uint16_t tag = VTEP_VLAN_NONE;

		if (i + PREFETCH_AHEAD < n) {
			const uint8_t *d = rte_pktmbuf_mtod(pkts[i + PREFETCH_AHEAD], const uint8_t *);

			rte_prefetch0(d);
			/* The outer header goes in the headroom just before the
			 * frame: a line no one has touched since the mbuf was
			 * last used. */
			rte_prefetch0(d - sizeof(struct vtep_outer4));
		}

		if (unlikely(rte_pktmbuf_data_len(m) < sizeof(*eth))) {
			drop(w, m, VTEP_DROP_ACCESS_TOO_SHORT);
			continue;
		}
		eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
		/* What a bridge port refuses (the Linux bridge's
		 * br_handle_frame): a source that is no unicast MAC, and the
		 * 802.1D link-local groups, which are never forwarded. */
		if (unlikely(!rte_is_valid_assigned_ether_addr(&eth->src_addr))) {
			drop(w, m, VTEP_DROP_ACCESS_BAD_SRC);
			continue;
		}
		if (unlikely(rte_is_multicast_ether_addr(&eth->dst_addr)) &&
		    vtep_link_local(&eth->dst_addr)) {
			drop(w, m, VTEP_DROP_ACCESS_LINK_LOCAL);
			continue;
		}
		slot = VTEPD_UNTAGGED_SLOT;
		if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN)) {
			const struct rte_vlan_hdr *vh = (const void *)(eth + 1);
			uint16_t vid;

			if (unlikely(rte_pktmbuf_data_len(m) < sizeof(*eth) + sizeof(*vh))) {
				drop(w, m, VTEP_DROP_ACCESS_TOO_SHORT);
				continue;
			}
			vid = rte_be_to_cpu_16(vh->vlan_tci) & 0x0fff;
			/* VID 0 is a priority tag: the frame belongs to the
			 * untagged binding (IEEE 802.1Q). */
			if (vid != 0) {
				slot = vid;
				tag = vid;
			}
		}
		vi = bind != NULL ? bind[slot] : 0;
		if (unlikely(vi == 0)) {
			drop(w, m, VTEP_DROP_NO_BINDING);
			continue;
		}
		if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN)) {
			/* The access tag is not carried inside the tunnel. */
			memmove((uint8_t *)eth + sizeof(struct rte_vlan_hdr), eth,
				2 * RTE_ETHER_ADDR_LEN);
			rte_pktmbuf_adj(m, sizeof(struct rte_vlan_hdr));
			eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
		}
		m->ol_flags = 0;

		vn[nok] = &s->vnis[vi - 1];
		vlan[nok] = tag;
		dslot[nok] = -1;
		if (vn[nok]->learning)
			batch_add(&sb, vn[nok]->vni, &eth->src_addr, nok, tag);
		if (rte_is_unicast_ether_addr(&eth->dst_addr))
			dslot[nok] = (int8_t)batch_add(&db, vn[nok]->vni, &eth->dst_addr, nok, 0);
		ok[nok++] = m;
	}

	batch_lookup(w, &db);
	/* Learning: source MAC -> the binding it came in on. */
	batch_lookup(w, &sb);
	for (i = 0; i < sb.n; i++) {
		unsigned k = sb.pkt[i];
		bool same = fdb_dest_where(sb.res[i].dest) ==
			    fdb_dest_where(fdb_dest_local(port, vlan[k]));
		struct fdb_learn_event *ev;

		ev = learn_check(&lb, &sb.res[i], same, vn[k]->vni, &sb.key[i].mac, now);
		if (ev != NULL) {
			ev->kind = FDB_KIND_LOCAL;
			ev->port = port;
			ev->vlan = vlan[k];
		}
	}

	for (i = 0; i < nok; i++) {
		struct rte_mbuf *m = ok[i];
		const struct dp_vni *v = vn[i];
		uint64_t d = dslot[i] >= 0 ? db.res[(unsigned)dslot[i]].dest : 0;

		if (unlikely(v->arp_suppress)) {
			struct rte_arp_hdr *a = arp_of(m);

			if (a != NULL) {
				arp_snoop(&lb, v, a, now);
				/* Only what would be flooded is answered. */
				if (fdb_dest_kind(d) == FDB_KIND_NONE &&
				    arp_answer(w, v, m, a, port, vlan[i]))
					continue;
			}
		}
		switch (fdb_dest_kind(d)) {
		case FDB_KIND_REMOTE: {
			uint32_t id = fdb_dest_remote_id(d);
			const struct bum_remote *r;
			uint32_t hash;
			enum vtep_drop why;

			if (unlikely(id >= s->n_remotes || !s->remotes[id].resolved)) {
				drop(w, m, VTEP_DROP_NEIGH_UNRESOLVED);
				break;
			}
			r = &s->remotes[id];
			hash = vtep_flow_hash(m);
			uint32_t inner = rte_pktmbuf_pkt_len(m);

			why = vtep_encap(&w->encap, &r->tmpl, m, v->vni, vtep_sport(&w->encap, hash),
					 vtep_encap_qos(&w->encap, m));
			if (unlikely(why != VTEP_DROP_NONE)) {
				drop(w, m, why);
				break;
			}
			w->ctr.vni[v->slot].c[CTL_VNI_ENCAP_PACKETS]++;
			w->ctr.vni[v->slot].c[CTL_VNI_ENCAP_BYTES] += inner;
			bum_send(&w->bum, uport, m);
			break;
		}
		case FDB_KIND_LOCAL: {
			struct bum_binding b = { .port = fdb_dest_port(d), .vlan = fdb_dest_vlan(d) };

			if (bum_same_binding(&b, port, vlan[i])) {
				drop(w, m, VTEP_DROP_SAME_BINDING);
				break;
			}
			bum_to_binding(&w->bum, &b, m);
			break;
		}
		default:
			flood_count(w, v, bum_flood_access(&w->bum, &v->bum, s->remotes,
							   &w->storm[v->slot], m, port, vlan[i]));
			break;
		}
	}
	learn_post(w, &lb);
}

/* Frames the control thread asked this worker to send on the underlay. */
static unsigned
ctl_tx_drain(struct worker *w)
{
	struct rte_mbuf *m[VTEPD_BURST];
	unsigned n, i;

	n = rte_ring_sc_dequeue_burst(w->ctl_tx, (void **)m, RTE_DIM(m), NULL);
	for (i = 0; i < n; i++)
		bum_send(&w->bum, vd.ports[vd.underlay].id, m[i]);
	return n;
}

/*
 * One turn of the worker loop: every RX queue once, the control thread's
 * frames, one transmit per port. The fuzzer drives the data path through
 * this function, as the loop below does.
 */
unsigned
worker_poll(struct worker *w, uint32_t now)
{
	const struct dp_snap *s = __atomic_load_n(&vd.snap, __ATOMIC_ACQUIRE);
	struct rte_mbuf *pkts[VTEPD_BURST];
	unsigned q, moved = 0;

	/* The underlay's live fields changed: take them, keep our IPv4 id
	 * and what our port can do. */
	if (unlikely(s->gen != w->snap_gen)) {
		uint16_t id = w->encap.ip_id;
		bool csum = w->encap.csum_offload;

		w->encap = s->encap;
		w->encap.ip_id = id;
		w->encap.csum_offload = csum;
		w->snap_gen = s->gen;
	}

	for (q = 0; q < w->n_rxq; q++) {
		const struct rxq_ref *r = &w->rxq[q];
		uint16_t n, i;
		uint64_t bytes = 0;

		n = rte_eth_rx_burst(r->port, r->queue, pkts, VTEPD_BURST);
		if (n == 0)
			continue;
		moved += n;
		for (i = 0; i < n; i++)
			bytes += rte_pktmbuf_pkt_len(pkts[i]);
		w->ctr.port[r->port].c[CTL_PORT_RX_PACKETS] += n;
		w->ctr.port[r->port].c[CTL_PORT_RX_BYTES] += bytes;
		if (r->underlay)
			underlay_rx(w, s, pkts, n, now);
		else
			access_rx(w, s, r->port, pkts, n, now);
	}
	if (w->ctl_tx != NULL)
		moved += ctl_tx_drain(w);
	tx_flush(w);
	return moved;
}

int
worker_main(void *arg)
{
	struct worker *w = arg;
	uint64_t t0, t;

	rte_rcu_qsbr_thread_register(vd.qsbr, w->id);
	rte_rcu_qsbr_thread_online(vd.qsbr, w->id);

	/* One TSC read per turn gives both the clock and the busy ratio:
	 * a turn's cycles count as busy when it moved frames. The control
	 * thread reads the cycle counters (relaxed atomics: plain moves). */
	t0 = rte_rdtsc();
	while (!__atomic_load_n(&vd.quit, __ATOMIC_RELAXED)) {
		unsigned moved;

		w->bum.tsc = t0;
		moved = worker_poll(w, (uint32_t)((t0 - vd.tsc0) / vd.tsc_hz));

		rte_rcu_qsbr_quiescent(vd.qsbr, w->id);
		t = rte_rdtsc();
		__atomic_store_n(&w->ctr.cycles_polled, w->ctr.cycles_polled + (t - t0),
				 __ATOMIC_RELAXED);
		if (moved != 0)
			__atomic_store_n(&w->ctr.cycles_busy, w->ctr.cycles_busy + (t - t0),
					 __ATOMIC_RELAXED);
		t0 = t;
	}

	tx_flush(w);
	rte_rcu_qsbr_thread_offline(vd.qsbr, w->id);
	rte_rcu_qsbr_thread_unregister(vd.qsbr, w->id);
	return 0;
}
