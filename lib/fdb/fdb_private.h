/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef FDB_PRIVATE_H
#define FDB_PRIVATE_H

/**
 * @file
 * Internals of the FDB, shared by fdb.c only.
 *
 * Readers resolve a key to a position with rte_hash, then read the entry at
 * that position in a side array. rte_hash frees a deleted position only
 * after an RCU grace period (its defer queue), so an entry a reader found
 * cannot turn into another key's entry before the reader's next quiescent
 * state.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_hash.h>
#include <rte_rcu_qsbr.h>

#include "fdb.h"

/*
 * rte_hash derives ring names from ours: "HASH_RCU_<name>" must fit in
 * RTE_RING_NAMESIZE (29 with the NUL), or two tables whose names share a
 * long prefix would collide.
 */
#define FDB_NAME_MAX 19

/* Ageing time of VNIs never configured, until fdb_vni_set(vni 0) says otherwise. */
#define FDB_DEFAULT_AGE_S 300

#define FDB_VNI_MAX 0xffffffu

/*
 * Defer queue tuning: reclaim a few positions on every delete once more than
 * a handful wait, so that the queue stays short while readers are healthy.
 */
#define FDB_DQ_RECLAIM_THD 32
#define FDB_DQ_RECLAIM_MAX 16

/** One position of the side array. Two per cache line. */
struct fdb_entry {
	/*
	 * Packed destination, read by workers with acquire and written by the
	 * writer with release. 0 means no live entry: a deleted entry reads as
	 * a miss during the grace period that keeps its position from reuse,
	 * and a reused position reads as a miss until it is fully written.
	 */
	uint64_t dest;
	/*
	 * Seconds, written by workers through fdb_touch() and by the writer;
	 * relaxed, because a stale value only moves ageing by a second.
	 */
	uint32_t last_seen;
	uint32_t reserved;
	/* Written by the writer while dest is 0; read by the writer to delete
	 * by position, and by fdb_lookup_cached() after an acquire of dest to
	 * check a cached slot still holds its key. */
	struct fdb_key key;
};

_Static_assert(sizeof(struct fdb_entry) == 32, "two entries per cache line");

/** Writer-side state of one VNI; workers never read it. */
struct fdb_vni {
	uint32_t vni;        /**< 0 marks an empty bucket: VNI 0 holds no entries */
	uint32_t mac_limit;  /**< learned entries at most; 0 for none */
	uint32_t age_s;      /**< used when configured; else the table default */
	uint32_t learned;    /**< learned entries in this VNI */
	uint32_t total;      /**< learned and static entries in this VNI */
	bool configured;     /**< set by fdb_vni_set(); kept while it has no entries */
};

/**
 * Open addressing with linear probing and backward-shift deletion: a few
 * thousand VNIs at most, touched only by the writer, so no need for rte_hash.
 */
struct fdb_vni_tab {
	struct fdb_vni *b;
	uint32_t bits;   /**< log2 of the bucket count */
	uint32_t used;
};

struct fdb {
	/* Read by workers; never written after fdb_create(). */
	struct rte_hash *h;
	struct fdb_entry *ent;
	uint32_t nslots;  /**< size of ent: every position rte_hash can return */

	/* Writer only, on its own cache line so that counters do not bounce
	 * the line workers read on every lookup.
	 */
	uint32_t capacity __rte_cache_aligned;
	uint32_t age_cursor;   /**< next position fdb_age() visits */
	struct rte_rcu_qsbr *qsbr;
	uint32_t default_age;  /**< seconds, for VNIs never configured */
	void (*on_remove)(void *arg, uint32_t vni, const struct rte_ether_addr *mac,
			  uint64_t dest);
	void *arg;
	struct fdb_stats st;
	struct fdb_vni_tab vnis;
};

#endif /* FDB_PRIVATE_H */
