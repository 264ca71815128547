/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef FDB_H
#define FDB_H

/**
 * @file
 * The forwarding database: (VNI, MAC) -> remote VTEP or local access binding.
 *
 * Concurrency contract (OVS cmap style):
 * - Exactly one writer thread calls the functions marked "writer".
 * - Any number of reader threads (the workers) call fdb_lookup_bulk() and
 *   fdb_touch() without locks. Each reader is registered with the RCU QSBR
 *   variable given at creation and reports quiescence between lookups;
 *   deleted slots are reused only after a grace period, so a reader sees for
 *   each key either a current or an earlier value, never a torn one.
 * - Learning by workers goes through the learn ring (fdb_learn_post), never
 *   through the writer functions.
 * - The writer never waits for readers, except when an insert finds every
 *   spare position still held by a grace period (readers slow to report):
 *   then it waits for one, so that the table always holds its capacity. The
 *   writer thread must therefore not be an online reader of the same QSBR
 *   variable.
 *
 * Time is whatever monotonic seconds the caller passes as @p now; the tests
 * inject their own clock.
 */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_hash.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "vtep_ip.h"

struct fdb;

/** Largest group fdb_lookup_bulk() takes at once. */
#define FDB_BULK_MAX 32

/** Lookup key. Padding must be zero: build keys with fdb_key_set(). */
struct fdb_key {
	uint32_t vni;
	struct rte_ether_addr mac;
	uint8_t pad[6];
} __rte_aligned(16);

_Static_assert(sizeof(struct fdb_key) == 16, "fdb_key hashes as 16 bytes");

static inline void
fdb_key_set(struct fdb_key *k, uint32_t vni, const struct rte_ether_addr *mac)
{
	/* Two 8-byte stores: cheaper than memset + copy, and pad ends up zero. */
	uint64_t lo = vni;
	uint64_t hi = 0;

	memcpy((uint8_t *)&lo + 4, mac->addr_bytes, 4);
	memcpy(&hi, mac->addr_bytes + 4, 2);
	memcpy(k, &lo, 8);
	memcpy((uint8_t *)k + 8, &hi, 8);
}

/*
 * A destination, packed in 64 bits so that readers load it in one atomic
 * access: bits 0-7 kind, 8-15 flags, 16-31 VLAN, 32-47 port (local), or
 * bits 32-63 remote id (remote).
 */
enum fdb_kind {
	FDB_KIND_NONE = 0,
	FDB_KIND_REMOTE = 1,  /**< behind a remote VTEP: id into the caller's remote table */
	FDB_KIND_LOCAL = 2,   /**< on an access port and VLAN of this VTEP */
	/** A MAC address in bits 16-63: the answer of a neighbour table, an
	 * FDB instance of its own keyed by fdb_ip_key_set() (ARP suppression). */
	FDB_KIND_MAC = 3,
};

#define FDB_F_STATIC 0x01u  /**< configured; never replaced by learning, never aged */

static inline uint64_t
fdb_dest_remote(uint32_t remote_id)
{
	return (uint64_t)FDB_KIND_REMOTE | ((uint64_t)remote_id << 32);
}

static inline uint64_t
fdb_dest_local(uint16_t port, uint16_t vlan)
{
	return (uint64_t)FDB_KIND_LOCAL | ((uint64_t)vlan << 16) | ((uint64_t)port << 32);
}

/** A neighbour table's answer: @p mac, packed. */
static inline uint64_t
fdb_dest_mac(const struct rte_ether_addr *mac)
{
	uint64_t d = FDB_KIND_MAC;
	unsigned i;

	for (i = 0; i < RTE_ETHER_ADDR_LEN; i++)
		d |= (uint64_t)mac->addr_bytes[i] << (16 + 8 * i);
	return d;
}

static inline void
fdb_dest_mac_get(uint64_t d, struct rte_ether_addr *mac)
{
	unsigned i;

	for (i = 0; i < RTE_ETHER_ADDR_LEN; i++)
		mac->addr_bytes[i] = (uint8_t)(d >> (16 + 8 * i));
}

/*
 * A neighbour table keys (VNI, IPv4) as (VNI, 02:00:<the address>): a
 * locally administered unicast "MAC" that no key of the same table can
 * share with another address, and that the table's checks accept.
 */
static inline void
fdb_ip_mac(struct rte_ether_addr *mac, rte_be32_t ip)
{
	mac->addr_bytes[0] = 0x02;
	mac->addr_bytes[1] = 0;
	memcpy(&mac->addr_bytes[2], &ip, 4);
}

static inline rte_be32_t
fdb_mac_ip(const struct rte_ether_addr *mac)
{
	rte_be32_t ip;

	memcpy(&ip, &mac->addr_bytes[2], 4);
	return ip;
}

static inline void
fdb_ip_key_set(struct fdb_key *k, uint32_t vni, rte_be32_t ip)
{
	struct rte_ether_addr mac;

	fdb_ip_mac(&mac, ip);
	fdb_key_set(k, vni, &mac);
}

static inline enum fdb_kind fdb_dest_kind(uint64_t d) { return (enum fdb_kind)(d & 0xff); }
static inline unsigned fdb_dest_flags(uint64_t d) { return (unsigned)((d >> 8) & 0xff); }
static inline uint32_t fdb_dest_remote_id(uint64_t d) { return (uint32_t)(d >> 32); }
static inline uint16_t fdb_dest_port(uint64_t d) { return (uint16_t)(d >> 32); }
static inline uint16_t fdb_dest_vlan(uint64_t d) { return (uint16_t)(d >> 16); }
/** The destination without its flags: what two entries compare on. */
static inline uint64_t fdb_dest_where(uint64_t d) { return d & ~(uint64_t)0xff00; }

/** What a reader gets for one key. */
struct fdb_result {
	uint64_t dest;  /**< packed destination with flags; 0 on a miss */
	int32_t slot;   /**< for fdb_touch(); negative on a miss */
};

struct fdb_params {
	const char *name;          /**< unique among this process's hash tables;
	                                at most 19 characters */
	uint32_t capacity;         /**< entries; the table holds at least this many */
	int socket_id;
	struct rte_rcu_qsbr *qsbr; /**< readers' RCU variable; required */
	/** Hash function; NULL for the default (CRC32). Tests pass a constant
	 * one to force every key into collision. */
	rte_hash_function hash_func;
	/** Called by the writer for every entry that leaves the table (delete,
	 * flush, age, replace by another destination), with its old
	 * destination: the caller releases what the destination referenced.
	 * "Another destination" compares fdb_dest_where(): a static entry
	 * replacing a learned one at the same place is no removal. Readers may
	 * still hold the old destination until their next quiescent state.
	 * It must not modify the table. */
	void (*on_remove)(void *arg, uint32_t vni, const struct rte_ether_addr *mac,
			  uint64_t dest);
	void *arg;
};

/**
 * Create an empty table.
 * @return the table, or NULL with rte_errno EINVAL (bad params), ENOMEM,
 *   EEXIST (name in use).
 */
struct fdb *fdb_create(const struct fdb_params *p);

/**
 * Free the table; no reader may use it any more, and every registered reader
 * must have reported quiescence since the last delete. on_remove is not
 * called: flush first if destinations hold references. NULL is a no-op.
 */
void fdb_free(struct fdb *fdb);

/**
 * Reader: look up @p n keys at once, in groups of FDB_BULK_MAX.
 * @return the number of hits; res[i].dest is 0 for a miss.
 */
unsigned fdb_lookup_bulk(const struct fdb *fdb, const struct fdb_key *const *keys,
			 unsigned n, struct fdb_result *res);

/**
 * A reader's private cache in front of the table, in the manner of the
 * exact-match cache of Open vSwitch's PMD threads: direct-mapped, filled
 * by the misses of fdb_lookup_cached(), never shared between threads.
 *
 * A cached result is used only after checking, in the table itself, that
 * its slot still holds the same key with the same destination: a move,
 * delete or reuse of the slot shows as a miss, never as a stale result.
 */
struct fdb_cache;

/**
 * Create a cache of @p entries (rounded up to a power of two).
 * @return the cache, or NULL with rte_errno EINVAL or ENOMEM.
 */
struct fdb_cache *fdb_cache_create(unsigned entries, int socket_id);

/** Free a cache; NULL is a no-op. */
void fdb_cache_free(struct fdb_cache *c);

/**
 * Reader: fdb_lookup_bulk() through the reader's cache @p c. Same results,
 * same contract; only misses in the cache reach the hash table.
 * @return the number of hits.
 */
unsigned fdb_lookup_cached(const struct fdb *fdb, struct fdb_cache *c,
			   const struct fdb_key *const *keys, unsigned n,
			   struct fdb_result *res);

/**
 * Reader: note that the entry in @p slot was seen at @p now. Writes the entry
 * only when its time stamp differs from @p now, i.e. at most once a second:
 * never a shared cache line per packet.
 */
void fdb_touch(const struct fdb *fdb, int32_t slot, uint32_t now);

/**
 * Writer: set the limits of a VNI. Entries of VNIs never set have no MAC
 * limit and the default ageing time given here with vni 0 (whose
 * @p mac_limit is ignored).
 * @param mac_limit learned entries at most; 0 for no limit
 * @param age_s     seconds an unrefreshed learned entry lives; 0 for never
 * @return 0, -EINVAL (vni > 0xffffff), -ENOMEM.
 */
int fdb_vni_set(struct fdb *fdb, uint32_t vni, uint32_t mac_limit, uint32_t age_s);

/**
 * Writer: add or replace a static entry. It replaces a learned one.
 * Valid VNIs are 1 to 0xffffff; FDB_F_STATIC is set for the caller.
 * @return 0, -EINVAL (vni, multicast or zero MAC, kind NONE), -ENOSPC (table
 *   full), -ENOMEM.
 */
int fdb_add_static(struct fdb *fdb, uint32_t vni, const struct rte_ether_addr *mac,
		   uint64_t dest);

/** Outcome of fdb_learn(). */
enum fdb_learn_result {
	FDB_LEARN_NEW = 0,     /**< entry created */
	FDB_LEARN_REFRESH,     /**< same destination; time stamp renewed */
	FDB_LEARN_MOVE,        /**< destination changed; move counted */
};

/**
 * Writer: learn that @p mac in @p vni is behind @p dest at @p now. The
 * flags of @p dest are ignored: learned entries carry none.
 * @return an enum fdb_learn_result, or -EPERM (a static entry wins),
 *   -EDQUOT (VNI at its MAC limit), -ENOSPC (table full),
 *   -EINVAL (bad vni, multicast or zero MAC, kind NONE), -ENOMEM.
 */
int fdb_learn(struct fdb *fdb, uint32_t vni, const struct rte_ether_addr *mac,
	      uint64_t dest, uint32_t now);

/**
 * Writer: delete one entry, static or learned.
 * @return 0, -ENOENT, -EINVAL (@p mac NULL).
 */
int fdb_del(struct fdb *fdb, uint32_t vni, const struct rte_ether_addr *mac);

#define FDB_VNI_ANY UINT32_MAX
#define FDB_FLUSH_LEARNED 0x1  /**< learned entries */
#define FDB_FLUSH_STATIC  0x2  /**< static entries */

/**
 * Writer: delete the entries of @p vni (or of every VNI) that @p what
 * selects. @return how many were deleted.
 */
unsigned fdb_flush(struct fdb *fdb, uint32_t vni, unsigned what);

/**
 * Writer: age learned entries, visiting at most @p budget slots from where
 * the previous call stopped, so that a large table is aged in time slices.
 * @return how many entries were removed.
 */
unsigned fdb_age(struct fdb *fdb, uint32_t now, unsigned budget);

/**
 * Writer: the budget for fdb_age() that sweeps the whole table once every
 * @p period_ms however often it is called: slots in proportion to the
 * @p elapsed_ms since the previous call, the fraction of a slot carried in
 * @p carry (zero it once). At most one sweep per call.
 */
unsigned fdb_age_budget(const struct fdb *fdb, uint64_t elapsed_ms, uint32_t period_ms,
			uint64_t *carry);

/** One entry, as fdb_walk() shows it. */
struct fdb_entry_info {
	uint32_t vni;
	struct rte_ether_addr mac;
	uint64_t dest;       /**< with FDB_F_STATIC in its flags when static */
	uint32_t last_seen;  /**< seconds, the caller's clock */
};

/**
 * Writer: call @p cb for every entry; stops early when @p cb returns non-zero
 * and returns that value, else 0. @p cb may delete the entry it is shown.
 */
int fdb_walk(const struct fdb *fdb, int (*cb)(void *arg, const struct fdb_entry_info *e),
	     void *arg);

/** Sizes and counters of the table, from fdb_stats.def. */
struct fdb_stats {
#define FDB_STAT(e, field, name, counter, help) uint64_t field;
#include "fdb_stats.def"
#undef FDB_STAT
};

enum fdb_stat {
#define FDB_STAT(e, field, name, counter, help) FDB_STAT_##e,
#include "fdb_stats.def"
#undef FDB_STAT
	FDB_STAT_MAX
};

/** The name ("moves"), help text and kind of a field of struct fdb_stats. */
const char *fdb_stat_name(enum fdb_stat i);
const char *fdb_stat_help(enum fdb_stat i);
bool fdb_stat_is_counter(enum fdb_stat i);
/** Field @p i of @p s. */
uint64_t fdb_stat_value(const struct fdb_stats *s, enum fdb_stat i);

/** Writer: counters and sizes. */
void fdb_stats_get(const struct fdb *fdb, struct fdb_stats *s);

/** Writer: entries in @p vni (static and learned). */
uint32_t fdb_vni_count(const struct fdb *fdb, uint32_t vni);

/** Writer: learned entries in @p vni (the rest of fdb_vni_count() are static). */
uint32_t fdb_vni_learned(const struct fdb *fdb, uint32_t vni);

/*
 * The learn ring: workers post what they saw, the writer applies it.
 * Multi-producer, single-consumer.
 */
struct fdb_learn_event {
	uint32_t vni;
	struct rte_ether_addr mac;
	uint8_t kind;              /**< FDB_KIND_REMOTE or FDB_KIND_LOCAL; FDB_KIND_MAC:
	                                an ARP binding snooped, remote.v4 -> mac */
	uint8_t pad;
	uint16_t port;             /**< local: access port */
	uint16_t vlan;             /**< local: VLAN or VTEP_VLAN_NONE */
	struct vtep_ip remote;     /**< remote: VTEP address */
};

_Static_assert(sizeof(struct fdb_learn_event) % 4 == 0, "ring elements are multiples of 4 bytes");

/**
 * Create a learn ring of @p size events (a power of two); as every rte_ring,
 * it holds size - 1 at once.
 * @return the ring, or NULL with rte_errno EINVAL (size), EEXIST (name in
 *   use), ENAMETOOLONG, ENOMEM.
 */
struct rte_ring *fdb_learn_ring_create(const char *name, unsigned size, int socket_id);

/** Worker: post up to @p n events; returns how many fit (the rest are dropped). */
static inline unsigned
fdb_learn_post(struct rte_ring *r, const struct fdb_learn_event *ev, unsigned n)
{
	return rte_ring_mp_enqueue_burst_elem(r, ev, sizeof(*ev), n, NULL);
}

/** Writer: take up to @p n events. */
static inline unsigned
fdb_learn_take(struct rte_ring *r, struct fdb_learn_event *ev, unsigned n)
{
	return rte_ring_sc_dequeue_burst_elem(r, ev, sizeof(*ev), n, NULL);
}

#endif /* FDB_H */
