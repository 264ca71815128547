/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CTL_H
#define CTL_H

/**
 * @file
 * The one writer of shared state. It owns the running configuration (the
 * model of lib/conf), the remote VTEP table, the underlay's neighbour cache
 * and the FDB's writer side; it applies learn events from the workers, ages
 * the FDB, answers ARP and ICMP echo for the local VTEP address, publishes
 * data-plane snapshots through RCU and persists every accepted change.
 *
 * Changes are typed operations on the running configuration. Every
 * operation runs inside a batch: the operations of a batch edit a candidate
 * configuration, and ctl_batch_commit() validates the candidate whole with
 * lib/conf's rules (the same field paths and reasons as a YAML file), then
 * applies the difference, publishes one snapshot, waits one grace period
 * and writes the state file. A refused batch changes nothing. An operation
 * called outside a batch is a batch of its own.
 *
 * Everything here runs on the control thread, except ctl_call(), which any
 * thread may use to run a function on it.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_ether.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "conf.h"
#include "ctl_dp.h"
#include "fdb.h"
#include "neigh.h"

struct ctl;

/** Pools ctl_params can name. */
#define CTL_MAX_POOLS 8
/** The rings the writer knows: learn, punt, tx. */
#define CTL_MAX_RINGS 3
/** How often the workers' busy ratio is measured, in milliseconds. */
#define CTL_LOAD_INTERVAL_MS 1000

/** A port as the writer needs to know it. */
struct ctl_port {
	char name[CONF_NAME_MAX];
	uint16_t id;                     /**< ethdev port id */
	bool underlay;
	struct rte_ether_addr mac;
	uint16_t n_rxq;
	bool multi_seg;
	bool ip_csum;
};

struct ctl_params {
	const struct conf *conf;         /**< the start-up configuration (copied) */
	const struct ctl_port *ports;    /**< in the configuration's order (copied) */
	unsigned n_ports;
	unsigned underlay;               /**< index into ports */
	struct rte_rcu_qsbr *qsbr;       /**< the workers' */
	struct rte_ring *learn;          /**< workers -> ctl */
	struct rte_ring *punt;           /**< workers -> ctl; NULL: none */
	struct rte_ring *tx;             /**< ctl -> a worker; NULL: frames are counted as tx_dropped */
	struct rte_mempool *pool;        /**< for the frames ctl sends */
	struct dp_snap **snap;           /**< where snapshots are published (store-release) */
	struct dp_counters *const *counters; /**< each worker's, to sum (the array is copied) */
	unsigned n_workers;
	/** Monotonic milliseconds; NULL: the TSC. */
	uint64_t (*clock_ms)(void *arg);
	void *clock_arg;
	/** Where accepted changes persist; NULL: the configuration's state_file. */
	const char *state_file;
	/** The mbuf pools whose fill the metrics show (the array is copied). */
	struct rte_mempool *const *pools;
	unsigned n_pools;                /**< at most CTL_MAX_POOLS */
};

/**
 * Create the writer: the FDB, the neighbour cache and the remotes, from
 * @p p->conf through the same operations as a run-time change, and publish
 * the first snapshot.
 * @return the writer, or NULL with @p err filled (field and reason).
 */
struct ctl *ctl_create(const struct ctl_params *p, struct conf_err *err);

/** Free the writer and the last snapshot; NULL is a no-op. */
void ctl_free(struct ctl *c);

/** The FDB workers read. */
struct fdb *ctl_fdb(const struct ctl *c);

/** The VNIs' IPv4 -> MAC table (ARP suppression) workers read: an FDB
 * instance keyed by fdb_ip_key_set(), answers packed by fdb_dest_mac(). */
struct fdb *ctl_arp(const struct ctl *c);

/** The most entries the ARP table holds, static and learned over all VNIs
 * (fewer when fdb_capacity is smaller: no more bindings than MACs). */
#define CTL_ARP_CAPACITY 65536

/** The running configuration (static FDB entries included). Control thread. */
const struct conf *ctl_conf(const struct ctl *c);

/**
 * One turn of the control thread: punted frames, learn events, ARP timers,
 * ageing, calls queued by ctl_call(), and a new snapshot if one is due.
 */
void ctl_poll(struct ctl *c);

/* ---- batches and typed operations ---------------------------------------- */

/** Begin a batch. @return 0, or -EBUSY if one is open. */
int ctl_batch_begin(struct ctl *c);

/**
 * Validate the batch's candidate configuration, apply it, publish one
 * snapshot, write the state file.
 * @return 0; -EINVAL (a rule refused the candidate: @p err names the field),
 *   -ENOSPC (the FDB is full), -ENOMEM, -EIO (the state file could not be
 *   written; the change was rolled back). Nothing changed unless 0.
 */
int ctl_batch_commit(struct ctl *c, struct conf_err *err);

/** Drop the open batch; nothing changes. */
void ctl_batch_abort(struct ctl *c);

/**
 * Create or replace the VNI @p v->vni: its bindings, flood list, learning,
 * limits. Replacing keeps its FDB entries and counters.
 * @return 1 created, 0 replaced; -EINVAL, -ENOSPC (no counter slot left), or
 *   a commit's errors.
 */
int ctl_vni_put(struct ctl *c, const struct conf_vni *v, struct conf_err *err);

/** Delete a VNI with its FDB entries and counters. @return 0, -ENOENT. */
int ctl_vni_del(struct ctl *c, uint32_t vni, struct conf_err *err);

/**
 * Add a static FDB entry. @return 1 added, 0 already there with the same
 * destination; -ENOENT (no such VNI), -EEXIST (a static entry with another
 * destination), or a commit's errors.
 */
int ctl_fdb_add(struct ctl *c, const struct conf_fdb *e, struct conf_err *err);

/** Delete one FDB entry, static or learned. @return 0, -ENOENT. */
int ctl_fdb_del(struct ctl *c, uint32_t vni, const struct rte_ether_addr *mac,
		struct conf_err *err);

/**
 * Flush @p vni's entries (FDB_VNI_ANY: all VNIs) of kinds @p what
 * (FDB_FLUSH_LEARNED, FDB_FLUSH_STATIC). @return entries removed, -ENOENT.
 */
int ctl_fdb_flush(struct ctl *c, uint32_t vni, unsigned what, struct conf_err *err);

/**
 * Add a static IPv4 -> MAC binding to VNI @p vni (ARP suppression).
 * @return 1 added, 0 already there with the same MAC; -ENOENT (no such
 *   VNI), -EEXIST (@p ip has another static MAC), or a commit's errors.
 */
int ctl_vni_neigh_add(struct ctl *c, uint32_t vni, const struct conf_neigh *n,
		      struct conf_err *err);

/**
 * Delete the binding of @p ip in VNI @p vni, static or learned.
 * @return 0; -ENOENT (no such VNI or binding), or a commit's errors.
 */
int ctl_vni_neigh_del(struct ctl *c, uint32_t vni, const struct vtep_ip *ip,
		      struct conf_err *err);

/** Add a remote VTEP to a VNI's flood list. @return 1 added, 0 already there; -ENOENT. */
int ctl_flood_add(struct ctl *c, uint32_t vni, const struct vtep_ip *ip, struct conf_err *err);

/** Remove one. @return 0; -ENOENT (no such VNI or entry). */
int ctl_flood_del(struct ctl *c, uint32_t vni, const struct vtep_ip *ip, struct conf_err *err);

/**
 * Set the underlay's live fields (ttl, tos, df, ecn, source ports, mtu)
 * from @p u; the others must equal the running ones (-EINVAL otherwise).
 * Templates are rebuilt.
 */
int ctl_underlay_set(struct ctl *c, const struct conf_underlay *u, struct conf_err *err);

/**
 * Make the running configuration @p target: its VNIs, FDB entries and the
 * underlay's live fields (the rest must be the running one's). One batch.
 * @param dry_run compute and describe the difference only
 * @param diff    if not NULL, receives one line per change ("+ vni 200",
 *                "- fdb 100 02:00:00:00:00:01", "~ underlay.ttl 64 -> 32"),
 *                malloc'ed, for the caller to free
 * @return the number of changes; a commit's errors.
 */
int ctl_config_apply(struct ctl *c, const struct conf *target, bool dry_run, char **diff,
		     struct conf_err *err);

/* ---- calls from other threads -------------------------------------------- */

/**
 * Run @p fn(c, arg) on the control thread and return its result. Any thread
 * but the control thread may call it; it blocks until ctl_poll() has run
 * @p fn. This is how the REST API reads and changes state. The calls
 * queued at one ctl_poll() run as a group: the state file is written once
 * for all their changes before any of them returns; when it cannot be,
 * the group's changes are undone and each call that changed something
 * returns -EIO.
 * @return fn's result, -EIO (see above), or -ESHUTDOWN once the writer is
 *   stopping.
 */
int ctl_call(struct ctl *c, int (*fn)(struct ctl *c, void *arg), void *arg);

/** Refuse new calls and fail the queued ones with -ESHUTDOWN. */
void ctl_call_shutdown(struct ctl *c);

/* ---- reading state (control thread, or inside ctl_call()) --------------- */

/** Monotonic seconds on the clock the FDB's ages use. */
uint32_t ctl_now(const struct ctl *c);

/** The ports, as given at creation. */
const struct ctl_port *ctl_ports(const struct ctl *c, unsigned *n);

/** One FDB entry as the API shows it. */
struct ctl_fdb_entry {
	uint32_t vni;
	struct rte_ether_addr mac;
	bool is_static;
	bool is_remote;
	struct vtep_ip remote;           /**< when is_remote */
	const char *port;                /**< when local: the port's name */
	uint16_t vlan;                   /**< when local: VLAN or CONF_VLAN_UNTAGGED */
	uint32_t age;                    /**< seconds since last seen (0 for static) */
	uint32_t last_seen;              /**< ctl_now() of the last frame seen */
};

/** Call @p cb for every FDB entry of @p vni (FDB_VNI_ANY: all); stops at a non-zero return. */
int ctl_fdb_walk(struct ctl *c, uint32_t vni, int (*cb)(void *arg, const struct ctl_fdb_entry *e),
		 void *arg);

/** One IPv4 -> MAC binding of a VNI, as the API shows it. */
struct ctl_vni_neigh {
	uint32_t vni;
	struct vtep_ip ip;
	struct rte_ether_addr mac;
	bool is_static;
	uint32_t age;                    /**< seconds since last seen (0 for static) */
};

/**
 * Call @p cb for every binding of @p vni; stops at a non-zero return.
 * @return cb's, 0, or -ENOENT (no such VNI).
 */
int ctl_vni_neigh_walk(struct ctl *c, uint32_t vni,
		       int (*cb)(void *arg, const struct ctl_vni_neigh *n), void *arg);

/** Call @p cb for every neighbour of the underlay. */
int ctl_neigh_walk(struct ctl *c, int (*cb)(void *arg, const struct neigh_info *n), void *arg);

/* ---- counters ------------------------------------------------------------ */

enum ctl_ctr {
#define CTL_CTR(e, group, name, help) CTL_##e,
#include "ctl_ctr.def"
#undef CTL_CTR
	CTL_CTR_MAX
};

/*
 * struct ctl_stats holds copies, names included, so that it can be read on
 * another thread after ctl_call() returned, whatever the writer does then.
 */
struct ctl_port_stats {
	char name[CONF_NAME_MAX];
	uint64_t c[CTL_PORT_CTR_MAX];
	uint64_t rx_missed, rx_nombuf;   /**< the PMD's */
};

struct ctl_vni_stats {
	uint32_t vni;
	uint64_t c[CTL_VNI_CTR_MAX];
	uint32_t fdb_entries;
	uint32_t fdb_learned;            /**< of fdb_entries; the rest are static */
};

struct ctl_worker_stats {
	uint64_t rx_packets;
	uint64_t drops;
	uint64_t cycles_polled;          /**< TSC cycles in the worker loop */
	uint64_t cycles_busy;            /**< of those, in turns that moved frames */
	/** cycles_busy / cycles_polled over the last CTL_LOAD_INTERVAL_MS; 0
	 * until the first interval after the first ctl_poll() is over. */
	double busy_ratio;
};

/** The longest pool or ring name kept (DPDK's are shorter). */
#define CTL_FILL_NAME_MAX 32

/** An mbuf pool or a ring: how full it is. */
struct ctl_fill {
	char name[CTL_FILL_NAME_MAX];
	uint32_t used;                   /**< mbufs in use, or ring entries */
	uint32_t size;                   /**< mbufs, or ring capacity */
};

/** Every counter, summed over the workers in one place. */
struct ctl_stats {
	uint32_t now;                    /**< ctl_now() when taken */
	unsigned n_ports;
	struct ctl_port_stats ports[CONF_MAX_PORTS];
	unsigned n_vnis;
	struct ctl_vni_stats *vnis;      /**< in the configuration's order */
	unsigned n_workers;
	struct ctl_worker_stats workers[CTL_MAX_WORKERS];
	uint64_t drops[VTEP_DROP_MAX];
	uint64_t worker[CTL_WORKER_CTR_MAX];
	uint64_t ctl[CTL_CTR_MAX];
	struct fdb_stats fdb;
	uint32_t neighbors[NEIGH_STATE_MAX];   /**< the underlay's, by state */
	unsigned n_pools;
	struct ctl_fill pools[CTL_MAX_POOLS];
	unsigned n_rings;
	struct ctl_fill rings[CTL_MAX_RINGS];
};

/** Sum every counter into @p s. @return 0, -ENOMEM. Release with ctl_stats_release(). */
int ctl_stats_get(struct ctl *c, struct ctl_stats *s);
void ctl_stats_release(struct ctl_stats *s);

/** Names and help texts of the counters, from the .def files. */
const char *ctl_vni_ctr_name(enum ctl_vni_ctr i);
const char *ctl_vni_ctr_help(enum ctl_vni_ctr i);
const char *ctl_port_ctr_name(enum ctl_port_ctr i);
const char *ctl_port_ctr_help(enum ctl_port_ctr i);
/** "group.name", e.g. "learn.posted". */
const char *ctl_worker_ctr_name(enum ctl_worker_ctr i);
const char *ctl_worker_ctr_help(enum ctl_worker_ctr i);
const char *ctl_ctr_name(enum ctl_ctr i);
const char *ctl_ctr_help(enum ctl_ctr i);

/**
 * The text dump (SIGUSR1, stats_interval): one "name value" line per
 * counter, then one "neigh.<ip> <state> <MAC>" line per neighbour.
 */
void ctl_stats_print(struct ctl *c, const struct ctl_stats *s, FILE *f);

#endif /* CTL_H */
