/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef BUM_H
#define BUM_H

/**
 * @file
 * Broadcast, unknown unicast and multicast: everything a worker does with
 * one BUM frame. bum_flood_access() takes a frame from an access port and
 * sends it to the VNI's other local bindings and to its remote VTEPs;
 * bum_flood_decap() takes a decapsulated frame and sends it to the local
 * bindings only. Split horizon lives here: a frame never goes back to the
 * binding it came from, and a frame from the tunnel never goes back into
 * it. Storm control (a token bucket per VNI and worker) limits what an
 * access port may flood.
 *
 * A tunnel copy is a small header mbuf holding the outer headers, chained to
 * an indirect clone of the inner frame: the payload is never copied, and
 * each copy still gets its own outer header. The last copy reuses the
 * original mbuf itself.
 *
 * Copies go into the worker's TX buffers (struct bum_worker): lib/bum owns
 * no queue and sends nothing itself.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "vtep.h"

struct bum_pools {
	struct rte_mempool *hdr;    /**< mbufs with headroom for an outer header; NULL when
				     *   the port cannot send chains: copies are whole then */
	struct rte_mempool *clone;  /**< mbufs for indirect clones (no data room) */
	struct rte_mempool *copy;   /**< full mbufs, for copies that are modified */
};

/** Local access bindings per VNI. */
#define BUM_MAX_LOCAL 16
/** TX buffer of one port: a few bursts, flushed by the worker. */
#define BUM_TXBUF 128
/** Tunnel copies made per round: longer flood lists take several. */
#define BUM_ROUND 32

/** An access binding: a port and a VLAN (VTEP_VLAN_NONE: untagged). */
struct bum_binding {
	uint16_t port;
	uint16_t vlan;
};

/** A remote VTEP as the snapshot has it. */
struct bum_remote {
	struct vtep_tmpl tmpl;           /**< outer header toward it */
	struct vtep_ip ip;
	bool resolved;                   /**< next hop MAC known; tmpl valid */
};

/** Where one VNI floods to; part of the snapshot, built by lib/ctl. */
struct bum_vni {
	uint32_t vni;
	uint16_t n_local;
	struct bum_binding local[BUM_MAX_LOCAL];
	uint32_t n_flood;
	const uint32_t *flood;           /**< ids of the remotes it floods to: the flood
					  *   list, or the service node alone */
	/** Act as the service node of the flood list: a BUM frame from one
	 * of its VTEPs goes on to the others, unicast from one to another
	 * is relayed. */
	bool replicator;
	/** flood: multicast: the flood list is the group's template alone,
	 * whose TTL (underlay mcast_ttl) every copy keeps (RFC 7348 4.2). */
	bool mcast;
	/** Storm control of this worker's share: frames per second and the
	 * burst it may send at once; 0: no limit. */
	uint32_t limit_pps, limit_burst;
};

/** A token bucket of one VNI on one worker (storm control). */
struct bum_bucket {
	uint64_t tsc;                    /**< when last refilled */
	uint64_t tokens;                 /**< frames x tsc_hz */
	uint32_t pps;                    /**< the limit it was filled for */
};

struct bum_txbuf {
	uint16_t n;
	struct rte_mbuf *pkts[BUM_TXBUF];
};

/** What lib/bum needs of the worker that calls it. */
struct bum_worker {
	const struct bum_pools *pools;
	struct vtep_encap_ctx *encap;    /**< the worker's: IPv4 ids advance */
	struct bum_txbuf *tx;            /**< by port id */
	/** Send tx[port]'s frames; called when it is full. */
	void (*flush)(void *arg, uint16_t port);
	void *arg;
	uint64_t *drops;                 /**< the worker's counters, by enum vtep_drop */
	uint16_t underlay;               /**< port id */
	uint64_t tsc, tsc_hz;            /**< now, for storm control */
};

/** What happened to one BUM frame, for the VNI's counters. */
struct bum_counts {
	bool flooded;                    /**< taken for flooding (a flood_packets) */
	bool storm;                      /**< dropped by storm control */
	uint32_t local;                  /**< copies to local bindings */
	uint32_t tunnel;                 /**< copies encapsulated to remotes */
	uint32_t bytes;                  /**< the inner frame's length */
};

static inline bool
bum_same_binding(const struct bum_binding *b, uint16_t port, uint16_t vlan)
{
	return b->port == port && b->vlan == vlan;
}

/** Queue @p m on port @p port, flushing the buffer first when it is full. */
static inline void
bum_send(struct bum_worker *w, uint16_t port, struct rte_mbuf *m)
{
	struct bum_txbuf *b = &w->tx[port];

	if (unlikely(b->n == BUM_TXBUF))
		w->flush(w->arg, port);
	b->pkts[b->n++] = m;
}

/** Deliver @p m to an access binding, tagging it when the binding is. */
static inline void
bum_to_binding(struct bum_worker *w, const struct bum_binding *b, struct rte_mbuf *m)
{
	if (b->vlan != VTEP_VLAN_NONE) {
		m->vlan_tci = b->vlan;
		if (unlikely(rte_vlan_insert(&m) != 0)) {
			w->drops[VTEP_DROP_NO_HEADROOM]++;
			rte_pktmbuf_free(m);
			return;
		}
	}
	bum_send(w, b->port, m);
}

/**
 * Flood @p m, received on access binding (@p in_port, @p in_vlan), to the
 * other local bindings of @p v and to its remotes (@p remotes by id), and
 * consume it. Storm control first: over the bucket's budget, @p m is
 * dropped (VTEP_DROP_BUM_STORM) and nothing is sent. A remote whose next
 * hop is unresolved is skipped (VTEP_DROP_NEIGH_UNRESOLVED, per copy).
 * With no target at all the frame counts VTEP_DROP_FLOOD_NO_TARGET.
 */
struct bum_counts bum_flood_access(struct bum_worker *w, const struct bum_vni *v,
				   const struct bum_remote *remotes, struct bum_bucket *bucket,
				   struct rte_mbuf *m, uint16_t in_port, uint16_t in_vlan);

/**
 * Flood decapsulated @p m, which remote VTEP @p from sent, and consume it:
 * to every local binding of @p v, never back into the tunnel (split
 * horizon); but when @p v is a replicator and @p from is in its flood
 * list, also to every other remote of the list.
 */
struct bum_counts bum_flood_decap(struct bum_worker *w, const struct bum_vni *v,
				  const struct bum_remote *remotes, struct rte_mbuf *m,
				  rte_be32_t from);

/** Is @p v a replicator for the VTEP at @p from (in its flood list)? */
bool bum_replicates_for(const struct bum_vni *v, const struct bum_remote *remotes,
			rte_be32_t from);

/**
 * Take one frame from @p b for a VNI limited to @p v->limit_pps, refilling
 * at that rate up to @p v->limit_burst. @return false: over the limit.
 */
bool bum_storm_admit(struct bum_bucket *b, const struct bum_vni *v, uint64_t tsc,
		     uint64_t tsc_hz);

/** Per-call counts of what replication could not do. */
struct bum_result {
	uint16_t sent;       /**< copies written to out[] */
	uint16_t no_mbuf;    /**< copies lost to an empty pool */
	uint16_t other;      /**< copies lost to another reason, in @c why */
	enum vtep_drop why;
};

/**
 * Replicate inner frame @p m to @p n remote VTEPs whose outer headers are
 * @p tmpl[0..n-1]. @p m is consumed whatever happens: it becomes the last
 * copy, or is freed.
 *
 * @param q   outer TOS and TTL, vtep_encap_qos() of @p m, the same for every copy
 * @param out room for @p n mbufs; each is a complete frame for the underlay
 * @return counts of copies made and lost. No copy is made when the
 *   encapsulated frame would exceed c->mtu (why = VTEP_DROP_MTU_EXCEEDED).
 */
struct bum_result bum_replicate(const struct bum_pools *pools, struct vtep_encap_ctx *c,
				struct rte_mbuf *m, const struct vtep_tmpl *const *tmpl,
				unsigned n, uint32_t vni, uint16_t sport, struct vtep_qos q,
				struct rte_mbuf **out);

/**
 * A private, writable copy of @p m (data and metadata) from @p pool, for a
 * local binding whose frame is modified (VLAN pushed).
 * @return the copy, or NULL when @p pool is empty.
 */
struct rte_mbuf *bum_copy(struct rte_mempool *pool, const struct rte_mbuf *m);

#endif /* BUM_H */
