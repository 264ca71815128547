/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef BUM_H
#define BUM_H

/**
 * @file
 * Broadcast, unknown unicast and multicast: head-end replication of one
 * inner frame to many remote VTEPs, and copies for local access bindings.
 *
 * A tunnel copy is a small header mbuf holding the outer headers, chained to
 * an indirect clone of the inner frame: the payload is never copied, and
 * each copy still gets its own outer header. The last copy reuses the
 * original mbuf itself.
 *
 * Split horizon is the caller's: it passes only the targets a frame may go
 * to (never the tunnel a frame came from).
 */

#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "vtep.h"

struct bum_pools {
	struct rte_mempool *hdr;    /**< mbufs with headroom for an outer header; NULL when
				     *   the port cannot send chains: copies are whole then */
	struct rte_mempool *clone;  /**< mbufs for indirect clones (no data room) */
	struct rte_mempool *copy;   /**< full mbufs, for copies that are modified */
};

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
