/* SPDX-License-Identifier: BSD-3-Clause */
#include "bum.h"

#include <rte_common.h>

struct rte_mbuf *
bum_copy(struct rte_mempool *pool, const struct rte_mbuf *m)
{
	return rte_pktmbuf_copy(m, pool, 0, UINT32_MAX);
}

/* A header mbuf with nothing in it but headroom, chained to a clone of m. */
static struct rte_mbuf *
tunnel_copy(const struct bum_pools *pools, struct rte_mbuf *m)
{
	struct rte_mbuf *hdr, *clone;

	/* A port that cannot send chained mbufs gets whole copies. */
	if (pools->hdr == NULL)
		return rte_pktmbuf_copy(m, pools->copy, 0, UINT32_MAX);
	hdr = rte_pktmbuf_alloc(pools->hdr);
	if (unlikely(hdr == NULL))
		return NULL;
	clone = rte_pktmbuf_clone(m, pools->clone);
	if (unlikely(clone == NULL)) {
		rte_pktmbuf_free(hdr);
		return NULL;
	}
	if (unlikely(rte_pktmbuf_chain(hdr, clone) != 0)) {
		rte_pktmbuf_free(hdr);
		rte_pktmbuf_free(clone);
		return NULL;
	}
	return hdr;
}

struct bum_result
bum_replicate(const struct bum_pools *pools, struct vtep_encap_ctx *c,
	      struct rte_mbuf *m, const struct vtep_tmpl *const *tmpl,
	      unsigned n, uint32_t vni, uint16_t sport, struct vtep_qos q,
	      struct rte_mbuf **out)
{
	struct bum_result r = { 0 };
	enum vtep_drop d;
	unsigned i;

	if (n == 0) {
		rte_pktmbuf_free(m);
		return r;
	}
	/* Every copy has the same size: check the MTU once, before any work. */
	if (rte_pktmbuf_pkt_len(m) + VTEP_OUTER4_IP_OVERHEAD > c->mtu) {
		rte_pktmbuf_free(m);
		r.other = (uint16_t)n;
		r.why = VTEP_DROP_MTU_EXCEEDED;
		return r;
	}

	for (i = 0; i + 1 < n; i++) {
		struct rte_mbuf *t = tunnel_copy(pools, m);

		if (t == NULL) {
			r.no_mbuf++;
			continue;
		}
		d = vtep_encap(c, tmpl[i], t, vni, sport, q);
		if (unlikely(d != VTEP_DROP_NONE)) {
			rte_pktmbuf_free(t);
			r.other++;
			r.why = d;
			continue;
		}
		out[r.sent++] = t;
	}

	/* The last copy is the original itself. Its data is shared with the
	 * clones only through refcounts, and prepend writes into its own
	 * headroom, which no clone reads. */
	d = vtep_encap(c, tmpl[n - 1], m, vni, sport, q);
	if (unlikely(d != VTEP_DROP_NONE)) {
		rte_pktmbuf_free(m);
		r.other++;
		r.why = d;
	} else {
		out[r.sent++] = m;
	}
	return r;
}

/* ---- storm control ------------------------------------------------------ */

bool
bum_storm_admit(struct bum_bucket *b, const struct bum_vni *v, uint64_t tsc, uint64_t tsc_hz)
{
	uint64_t cap = (uint64_t)v->limit_burst * tsc_hz, dt;

	/* A limit set or changed since: start from a full bucket. */
	if (unlikely(b->pps != v->limit_pps)) {
		b->pps = v->limit_pps;
		b->tokens = cap;
		b->tsc = tsc;
	}
	/* Tokens in frames x tsc_hz: a refill needs no division. The gap is
	 * capped at a second, so that the product cannot overflow. */
	dt = tsc - b->tsc;
	if (dt > tsc_hz)
		dt = tsc_hz;
	b->tsc = tsc;
	b->tokens += dt * v->limit_pps;
	if (b->tokens > cap)
		b->tokens = cap;
	if (b->tokens < tsc_hz)
		return false;
	b->tokens -= tsc_hz;
	return true;
}

/* ---- flooding ----------------------------------------------------------- */

/*
 * Copy @m to every local binding of @v except (port, vlan), and consume @m
 * unless @keep_m (the tunnel copies still need it): then every delivery is
 * a copy. @return copies delivered.
 */
static uint32_t
flood_local(struct bum_worker *w, const struct bum_vni *v, struct rte_mbuf *m,
	    uint16_t in_port, uint16_t in_vlan, bool keep_m)
{
	const struct bum_binding *last = NULL;
	uint32_t copies = 0;
	unsigned i;

	for (i = 0; i < v->n_local; i++) {
		const struct bum_binding *b = &v->local[i];
		struct rte_mbuf *c;

		if (bum_same_binding(b, in_port, in_vlan))
			continue;
		if (last != NULL) {
			c = bum_copy(w->pools->copy, m);
			if (unlikely(c == NULL)) {
				w->drops[VTEP_DROP_NO_MBUF]++;
			} else {
				bum_to_binding(w, last, c);
				copies++;
			}
		}
		last = b;
	}
	if (last == NULL) {
		if (!keep_m)
			rte_pktmbuf_free(m);
		return copies;
	}
	if (keep_m) {
		struct rte_mbuf *c = bum_copy(w->pools->copy, m);

		if (unlikely(c == NULL)) {
			w->drops[VTEP_DROP_NO_MBUF]++;
			return copies;
		}
		m = c;
	}
	bum_to_binding(w, last, m);
	return copies + 1;
}

/* One round of tunnel copies of @m, which it consumes. @return copies sent;
 * @lost gets those made or dropped in all. */
static uint32_t
flood_round(struct bum_worker *w, const struct bum_vni *v, struct rte_mbuf *m,
	    const struct vtep_tmpl *const *tmpl, unsigned n, struct vtep_qos q, uint32_t *tried)
{
	struct rte_mbuf *out[BUM_ROUND];
	struct bum_result br;
	unsigned i;

	br = bum_replicate(w->pools, w->encap, m, tmpl, n, v->vni,
			   vtep_sport(w->encap, vtep_flow_hash(m)), q, out);
	for (i = 0; i < br.sent; i++)
		bum_send(w, w->underlay, out[i]);
	w->drops[VTEP_DROP_NO_MBUF] += br.no_mbuf;
	w->drops[br.why] += br.other;
	*tried += br.sent + br.no_mbuf + br.other;
	return br.sent;
}

/*
 * Flood @m to the local bindings of @v but (in_port, in_vlan) and to its
 * remotes but the one at @skip (0: none), and consume it.
 */
static struct bum_counts
flood_all(struct bum_worker *w, const struct bum_vni *v, const struct bum_remote *remotes,
	  struct rte_mbuf *m, uint16_t in_port, uint16_t in_vlan, rte_be32_t skip)
{
	const struct vtep_tmpl *tmpl[BUM_ROUND];
	struct bum_counts r = { .flooded = true, .bytes = rte_pktmbuf_pkt_len(m) };
	/* Every tunnel copy has the outer TOS and TTL of the original. */
	struct vtep_qos q = vtep_encap_qos(w->encap, m);
	uint32_t j, tried = 0;
	unsigned n = 0;

	/* A group's scope is its TTL: inheriting the inner one would send
	 * it past the underlay's routers. */
	if (unlikely(v->mcast) && v->n_flood != 0)
		q.ttl = remotes[v->flood[0]].tmpl.hdr.ip.time_to_live;

	for (j = 0; j < v->n_flood; j++) {
		const struct bum_remote *rem = &remotes[v->flood[j]];

		if (rem->ip.v4 == skip && skip != 0)
			continue;
		if (unlikely(!rem->resolved)) {
			w->drops[VTEP_DROP_NEIGH_UNRESOLVED]++;
			continue;
		}
		tmpl[n++] = &rem->tmpl;
		/* Flood lists longer than a round go out in several, each
		 * from a copy; the last round takes the frame itself. */
		if (n == RTE_DIM(tmpl) && j + 1 < v->n_flood) {
			struct rte_mbuf *cp = bum_copy(w->pools->copy, m);

			if (cp == NULL) {
				w->drops[VTEP_DROP_NO_MBUF] += n;
				tried += n;
			} else {
				r.tunnel += flood_round(w, v, cp, tmpl, n, q, &tried);
			}
			n = 0;
		}
	}
	r.local = flood_local(w, v, m, in_port, in_vlan, n != 0);
	tried += r.local;
	if (n != 0)
		r.tunnel += flood_round(w, v, m, tmpl, n, q, &tried);
	if (tried == 0)
		w->drops[VTEP_DROP_FLOOD_NO_TARGET]++;
	return r;
}

struct bum_counts
bum_flood_access(struct bum_worker *w, const struct bum_vni *v, const struct bum_remote *remotes,
		 struct bum_bucket *bucket, struct rte_mbuf *m, uint16_t in_port, uint16_t in_vlan)
{
	struct bum_counts r = { 0 };

	if (v->limit_pps != 0 && !bum_storm_admit(bucket, v, w->tsc, w->tsc_hz)) {
		w->drops[VTEP_DROP_BUM_STORM]++;
		rte_pktmbuf_free(m);
		r.storm = true;
		return r;
	}
	return flood_all(w, v, remotes, m, in_port, in_vlan, 0);
}

bool
bum_replicates_for(const struct bum_vni *v, const struct bum_remote *remotes, rte_be32_t from)
{
	if (!v->replicator)
		return false;
	for (uint32_t j = 0; j < v->n_flood; j++)
		if (remotes[v->flood[j]].ip.v4 == from)
			return true;
	return false;
}

struct bum_counts
bum_flood_decap(struct bum_worker *w, const struct bum_vni *v, const struct bum_remote *remotes,
		struct rte_mbuf *m, rte_be32_t from)
{
	struct bum_counts r = { 0 };

	/* The service node re-sends what one of its VTEPs floods to the
	 * others, never back to the sender. */
	if (bum_replicates_for(v, remotes, from))
		return flood_all(w, v, remotes, m, UINT16_MAX, 0, from);
	/* Split horizon: what came from the tunnel stays on the access side. */
	if (v->n_local == 0) {
		w->drops[VTEP_DROP_FLOOD_NO_TARGET]++;
		rte_pktmbuf_free(m);
		return r;
	}
	r.flooded = true;
	r.local = flood_local(w, v, m, UINT16_MAX, 0, false);
	return r;
}
