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

#include "api.h"
#include "bum.h"
#include "conf.h"
#include "ctl.h"
#include "fdb.h"
#include "vtep.h"

extern int vtepd_logtype;
#define VLOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, vtepd_logtype, "vtepd: " fmt "\n", ##__VA_ARGS__)

#define VTEPD_MAX_WORKERS CTL_MAX_WORKERS
#define VTEPD_MAX_VNIS CTL_MAX_VNIS
#define VTEPD_MAX_LOCAL CTL_MAX_LOCAL
#define VTEPD_BURST 32
#define VTEPD_FDB_CACHE 4096          /* per-worker FDB cache entries */
#define VTEPD_LEARN_PER_BURST 8      /* learn events a worker posts per burst */
#define VTEPD_VLAN_SLOTS CTL_VLAN_SLOTS
#define VTEPD_UNTAGGED_SLOT CTL_UNTAGGED_SLOT

/* ---- workers ------------------------------------------------------------- */

struct rxq_ref {
	uint16_t port;
	uint16_t queue;
	bool underlay;
};


struct worker {
	unsigned id;
	unsigned lcore;
	uint16_t txq;                    /* the TX queue it owns on every port */
	uint16_t n_rxq;
	struct rxq_ref rxq[RTE_MAX_ETHPORTS];
	struct rte_ring *ctl_tx;         /* frames the control thread sends */
	struct fdb_cache *fdb_cache;     /* private cache in front of the FDB */
	struct vtep_encap_ctx encap;     /* the snapshot's, with this worker's IPv4 id */
	uint64_t snap_gen;               /* the snapshot encap was copied from */
	struct dp_counters ctr;          /* summed by ctl_stats_get() */
	struct bum_worker bum;           /* what lib/bum floods with: pools, TX buffers */
	struct bum_bucket *storm;        /* [VTEPD_MAX_VNIS], by VNI slot */
	struct bum_txbuf tx[RTE_MAX_ETHPORTS];
} __rte_cache_aligned;

/* ---- the daemon ---------------------------------------------------------- */

/* A port: what ctl knows of it (name, id, role, MAC, capabilities). */
#define vtepd_port ctl_port

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
	struct fdb *arp;                 /* the VNIs' IPv4 -> MAC bindings (ARP suppression) */
	struct rte_ring *learn;          /* workers -> ctl */
	struct rte_ring *punt;           /* workers -> ctl: ARP, ICMP */
	struct dp_snap *snap;            /* published: load-acquire */
	struct ctl *ctl;
	struct api *api;                 /* the REST API; NULL: none */
	volatile bool quit;
	uint64_t tsc_hz, tsc0;
	uint64_t last_stats_ms;          /* stats_interval's clock */
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
/* One turn of the loop: poll every RX queue once, then transmit.
 * @return frames received or sent for the control thread. */
unsigned worker_poll(struct worker *w, uint32_t now);
/* lib/bum's view of the worker; after the ports (it names the underlay's). */
void worker_bum_init(struct worker *w);

/* control.c: the writer (lib/ctl) set up over the daemon's ports, rings and
 * workers; the counter dump. */
int control_init(struct vtepd *d);
void control_poll(struct vtepd *d);
void control_fini(struct vtepd *d);
void control_stats_print(struct vtepd *d, FILE *f);

/* telemetry.c: DPDK's tools on a running vtepd. The /vtep/ telemetry
 * commands read state through ctl_call(): start them after control_init();
 * telemetry_stop() before the writer is freed (vtepd_free()) fails and
 * waits for the calls in flight; the commands stay registered and answer
 * an error from then on. capture_init() after rte_eal_init() lets
 * dpdk-dumpcap attach (not to an EAL without shared files);
 * capture_fini() once the workers stopped, before the ports close. */
int telemetry_start(struct vtepd *d);
void telemetry_stop(struct vtepd *d);
void capture_init(void);
void capture_fini(void);

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
