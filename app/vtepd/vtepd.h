/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VTEPD_H
#define VTEPD_H

/*
 * vtepd internals: the published data-plane snapshot, the workers and the
 * control thread ("ctl"), the only writer of shared state.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_ethdev.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "bum.h"
#include "conf.h"
#include "fdb.h"
#include "vtep.h"

extern int vtepd_logtype;
#define VLOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, vtepd_logtype, "vtepd: " fmt "\n", ##__VA_ARGS__)

#define VTEPD_MAX_WORKERS 16
#define VTEPD_MAX_VNIS 4096          /* configured VNIs (counter slots) */
#define VTEPD_MAX_LOCAL 16           /* access bindings per VNI */
#define VTEPD_BURST 32
#define VTEPD_FDB_CACHE 4096          /* per-worker FDB cache entries */
#define VTEPD_LEARN_PER_BURST 8      /* learn events a worker posts per burst */
#define VTEPD_VLAN_SLOTS 4097        /* VLAN 0-4095, plus one for untagged */
#define VTEPD_UNTAGGED_SLOT 4096

/* ---- the snapshot workers read ---------------------------------------- */

struct dp_binding {
	uint16_t port;
	uint16_t vlan;                   /* VTEP_VLAN_NONE: untagged */
};

struct dp_vni {
	uint32_t vni;
	uint16_t slot;                   /* counter slot, stable while the VNI lives */
	bool learning;
	bool inner_vlan_accept;          /* tagged inner frames delivered, not dropped */
	uint16_t n_local;
	struct dp_binding local[VTEPD_MAX_LOCAL];
	uint32_t n_flood;
	const uint32_t *flood;           /* remote ids of the head-end flood list */
};

struct dp_remote {
	struct vtep_tmpl tmpl;           /* outer header toward it */
	struct vtep_ip ip;
	bool resolved;                   /* next hop MAC known; tmpl valid */
};

/* Immutable once published; replaced as a whole (RCU). */
struct dp_snap {
	uint32_t n_vnis;
	struct dp_vni *vnis;
	uint32_t vni_mask;               /* open addressing: vni -> index + 1 */
	uint32_t *vni_key;
	uint32_t *vni_val;
	/* per access port: VLAN slot -> VNI index + 1 (0: unbound) */
	uint32_t *bind[RTE_MAX_ETHPORTS];
	uint32_t n_remotes;
	struct dp_remote *remotes;       /* by remote id */
	struct vtep_decap_ctx decap;
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

struct vni_ctr {
	uint64_t encap_pkts, encap_bytes;
	uint64_t decap_pkts, decap_bytes;
	uint64_t flood_pkts;             /* BUM frames replicated */
	uint64_t flood_copies;           /* copies made of them */
};

struct port_ctr {
	uint64_t rx_pkts, rx_bytes;
	uint64_t tx_pkts, tx_bytes;
};

/* ---- workers ------------------------------------------------------------- */

struct rxq_ref {
	uint16_t port;
	uint16_t queue;
	bool underlay;
};

struct txbuf {
	uint16_t n;
	struct rte_mbuf *pkts[VTEPD_BURST * 4];
};

struct worker {
	unsigned id;
	unsigned lcore;
	uint16_t txq;                    /* the TX queue it owns on every port */
	uint16_t n_rxq;
	struct rxq_ref rxq[RTE_MAX_ETHPORTS];
	struct rte_ring *ctl_tx;         /* frames the control thread sends */
	struct fdb_cache *fdb_cache;     /* private cache in front of the FDB */
	struct vtep_encap_ctx encap;
	uint64_t drops[VTEP_DROP_MAX];
	uint64_t punts;
	uint64_t learn_posted, learn_lost;
	uint64_t learn_over_quota;       /* learn events past VTEPD_LEARN_PER_BURST */
	struct port_ctr port[RTE_MAX_ETHPORTS];
	struct vni_ctr *vni;             /* [VTEPD_MAX_VNIS] */
	struct txbuf tx[RTE_MAX_ETHPORTS];
} __rte_cache_aligned;

/* ---- the daemon ---------------------------------------------------------- */

struct vtepd_port {
	char name[CONF_NAME_MAX];
	uint16_t id;
	bool underlay;
	uint16_t n_rxq;
	struct rte_ether_addr mac;
	bool multi_seg;                  /* can send chained mbufs */
	bool ip_csum;                    /* computes the IPv4 header checksum */
};

struct vtepd {
	struct conf *conf;
	unsigned n_ports;
	struct vtepd_port ports[CONF_MAX_PORTS];
	uint16_t underlay;               /* index into ports[] */
	unsigned n_workers;
	struct worker *workers[VTEPD_MAX_WORKERS];
	struct rte_mempool *pool, *hdr_pool, *clone_pool, *ctl_pool;
	struct bum_pools bum;
	struct rte_rcu_qsbr *qsbr;
	struct fdb *fdb;
	struct rte_ring *learn;          /* workers -> ctl */
	struct rte_ring *punt;           /* workers -> ctl: ARP, ICMP */
	struct dp_snap *snap;            /* published: load-acquire */
	struct ctl *ctl;
	volatile bool quit;
	uint64_t tsc_hz, tsc0;
	bool unmap_grace;                /* munmap() waits for the workers (unmap.c) */
};

extern struct vtepd vd;

/* Monotonic seconds since start, on the same clock for workers and ctl. */
static inline uint32_t
vtepd_now(void)
{
	return (uint32_t)((rte_rdtsc() - vd.tsc0) / vd.tsc_hz);
}

/* worker.c */
int worker_main(void *arg);
/* One turn of the loop: poll every RX queue once, then transmit. */
void worker_poll(struct worker *w, uint32_t now);

/* ctl.c */
int ctl_init(struct vtepd *d);
void ctl_poll(struct vtepd *d);
void ctl_fini(struct vtepd *d);
void ctl_stats_print(struct vtepd *d, FILE *f);

/* port.c */
int port_setup_all(struct vtepd *d);
void port_close_all(struct vtepd *d);
/* Watch memif ports: count disconnects, check that a server that nobody
 * is connected to still listens; from ctl_poll(). */
void port_watch_poll(struct vtepd *d);
/* The "port.<name>.disconnects" and ".listener_lost" lines of port @i. */
void port_stats_print(struct vtepd *d, unsigned i, FILE *f);

/* setup.c: the pools (sized from the configuration and d->n_workers) and
 * one worker per EAL worker lcore; queues_assign() after the ports. */
int pools_create(struct vtepd *d);
int workers_create(struct vtepd *d);
void queues_assign(struct vtepd *d);
void workers_free(struct vtepd *d);
/* Everything the daemon set up, in reverse: ports, ctl, workers, rings, pools, conf. */
void vtepd_free(struct vtepd *d);

#endif /* VTEPD_H */
