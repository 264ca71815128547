/* SPDX-License-Identifier: BSD-3-Clause */
#include "bum.h"

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
