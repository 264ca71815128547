/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CTL_DP_H
#define CTL_DP_H

/**
 * @file
 * What the control thread shares with the workers: the data-plane snapshot
 * it publishes (immutable once published, replaced whole through RCU) and
 * the counters each worker keeps for it to sum. Workers include this header
 * and nothing else of lib/ctl.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_ethdev.h>

#include "bum.h"
#include "vtep.h"

#define CTL_MAX_WORKERS 16
#define CTL_MAX_VNIS 8192            /**< configured VNIs: counter slots */
#define CTL_MAX_LOCAL BUM_MAX_LOCAL /**< access bindings per VNI */
#define CTL_VLAN_SLOTS 4097          /**< VLAN 0-4095, plus one for untagged */
#define CTL_UNTAGGED_SLOT 4096

/* ---- the snapshot workers read ---------------------------------------- */


struct dp_vni {
	uint32_t vni;
	uint16_t slot;                   /**< counter slot, stable while the VNI lives */
	bool learning;
	bool inner_vlan_accept;          /**< tagged inner frames delivered, not dropped */
	bool arp_suppress;               /**< answer ARP requests from the ARP table */
	rte_be32_t group;                /**< flood: multicast: its group; else 0 */
	struct bum_vni bum;              /**< local bindings, flood list, storm control */
};

/** Immutable once published; replaced as a whole (RCU). */
struct dp_snap {
	uint64_t gen;                    /**< distinct for every snapshot */
	uint32_t n_vnis;
	struct dp_vni *vnis;
	uint32_t vni_mask;               /**< open addressing: vni -> index + 1 */
	uint32_t *vni_key;
	uint32_t *vni_val;
	/** per access port: VLAN slot -> VNI index + 1 (0: unbound) */
	uint32_t *bind[RTE_MAX_ETHPORTS];
	uint32_t n_remotes;
	/** by remote id; then, from n_remotes on, one per multicast group,
	 * in the order of groups[] */
	struct bum_remote *remotes;
	uint32_t n_groups;
	rte_be32_t *groups;              /**< ascending; decap.groups points here */
	struct vtep_decap_ctx decap;
	/** The underlay's live fields (TTL, TOS, DF, ECN, source ports, MTU):
	 * a worker copies them, keeping its own IPv4 id, when it first sees
	 * a new snapshot. */
	struct vtep_encap_ctx encap;
};

static inline const struct dp_vni *
dp_vni_find(const struct dp_snap *s, uint32_t vni)
{
	uint32_t i = (vni * 0x9e3779b1u) & s->vni_mask;

	for (;;) {
		uint32_t v = s->vni_val[i];

		if (v == 0)
			return NULL;
		if (s->vni_key[i] == vni)
			return &s->vnis[v - 1];
		i = (i + 1) & s->vni_mask;
	}
}

/* ---- counters ------------------------------------------------------------ */

enum ctl_vni_ctr {
#define CTL_VNI_CTR(e, name, help) CTL_VNI_##e,
#include "ctl_vni_ctr.def"
#undef CTL_VNI_CTR
	CTL_VNI_CTR_MAX
};

enum ctl_port_ctr {
#define CTL_PORT_CTR(e, name, help) CTL_PORT_##e,
#include "ctl_port_ctr.def"
#undef CTL_PORT_CTR
	CTL_PORT_CTR_MAX
};

enum ctl_worker_ctr {
#define CTL_WORKER_CTR(e, group, name, help) CTL_WORKER_##e,
#include "ctl_worker_ctr.def"
#undef CTL_WORKER_CTR
	CTL_WORKER_CTR_MAX
};

struct vni_ctr {
	uint64_t c[CTL_VNI_CTR_MAX];
};

struct port_ctr {
	uint64_t c[CTL_PORT_CTR_MAX];
};

/** One worker's counters; only that worker writes them. */
struct dp_counters {
	uint64_t drops[VTEP_DROP_MAX];
	uint64_t w[CTL_WORKER_CTR_MAX];
	struct port_ctr port[RTE_MAX_ETHPORTS];  /**< by port id */
	struct vni_ctr *vni;                     /**< [CTL_MAX_VNIS], by slot */
	/** TSC cycles of the worker loop: all of them, and those of turns
	 * that received or sent something (the PMD load of VPP and OVS). */
	uint64_t cycles_polled, cycles_busy;
};

#endif /* CTL_DP_H */
