/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * FDB unit tests. Every functional test runs twice: with the default hash
 * and with a constant one that puts every key in the same bucket chain
 * (OVS test-cmap style), so that collisions, extendable buckets and their
 * compaction are exercised by the same assertions.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "fdb.h"
#include "test_eal.h"

/* Capacity of the table each functional test gets. */
#define CAP 64
#define MAX_READERS 4

static struct rte_rcu_qsbr *qsbr;
/* The hash function of the running group: NULL (CRC) or hash_zero. */
static rte_hash_function hash_fn;
/* The table of the running test, made by setup(). */
static struct fdb *fdb;

/* What on_remove was told, in order. */
struct removal {
	uint32_t vni;
	struct rte_ether_addr mac;
	uint64_t dest;
};

#define LOG_MAX 1024
static struct removal removals[LOG_MAX];
static unsigned n_removals;

static uint32_t
hash_zero(const void *key, uint32_t len, uint32_t init)
{
	RTE_SET_USED(key);
	RTE_SET_USED(len);
	RTE_SET_USED(init);
	return 0;
}

static void
record_removal(void *arg, uint32_t vni, const struct rte_ether_addr *mac, uint64_t dest)
{
	RTE_SET_USED(arg);
	if (n_removals < LOG_MAX) {
		removals[n_removals].vni = vni;
		removals[n_removals].mac = *mac;
		removals[n_removals].dest = dest;
	}
	n_removals++;
}

/* A locally administered unicast MAC that encodes @p i. */
static struct rte_ether_addr
mac_of(uint32_t i)
{
	struct rte_ether_addr m = {
		.addr_bytes = { 0x02, 0x00, (uint8_t)(i >> 24), (uint8_t)(i >> 16),
				(uint8_t)(i >> 8), (uint8_t)i },
	};

	return m;
}

static struct fdb *
make_fdb(uint32_t capacity, rte_hash_function fn)
{
	static unsigned seq;
	struct fdb_params p;
	char name[32];

	snprintf(name, sizeof(name), "fdbt%u", seq++);
	memset(&p, 0, sizeof(p));
	p.name = name;
	p.capacity = capacity;
	p.socket_id = SOCKET_ID_ANY;
	p.qsbr = qsbr;
	p.hash_func = fn;
	p.on_remove = record_removal;
	return fdb_create(&p);
}

/* Look up one key; returns its dest (0 on a miss) and its slot in *slot. */
static uint64_t
lookup(const struct fdb *f, uint32_t vni, const struct rte_ether_addr *mac, int32_t *slot)
{
	struct fdb_key k;
	const struct fdb_key *kp = &k;
	struct fdb_result r;
	unsigned hits;

	fdb_key_set(&k, vni, mac);
	hits = fdb_lookup_bulk(f, &kp, 1, &r);
	assert_int_equal(hits, r.dest != 0 ? 1 : 0);
	if (r.dest == 0)
		assert_true(r.slot < 0);
	if (slot != NULL)
		*slot = r.slot;
	return r.dest;
}

static uint64_t
static_dest(uint64_t d)
{
	return d | ((uint64_t)FDB_F_STATIC << 8);
}

static int
setup(void **state)
{
	RTE_SET_USED(state);
	n_removals = 0;
	fdb = make_fdb(CAP, hash_fn);
	return fdb == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	RTE_SET_USED(state);
	fdb_free(fdb);
	fdb = NULL;
	return 0;
}

static int
group_default_hash(void **state)
{
	RTE_SET_USED(state);
	hash_fn = NULL;
	return 0;
}

static int
group_constant_hash(void **state)
{
	RTE_SET_USED(state);
	hash_fn = hash_zero;
	return 0;
}

/*
 * Basic operations.
 */

static void
test_add_lookup_delete(void **state)
{
	struct rte_ether_addr a = mac_of(1), b = mac_of(2);
	uint64_t d = fdb_dest_remote(7);
	struct fdb_stats s;

	RTE_SET_USED(state);
	assert_int_equal(fdb_add_static(fdb, 10, &a, d), 0);
	assert_int_equal(lookup(fdb, 10, &a, NULL), static_dest(d));
	/* Same MAC, other VNI; other MAC, same VNI: both misses. */
	assert_int_equal(lookup(fdb, 11, &a, NULL), 0);
	assert_int_equal(lookup(fdb, 10, &b, NULL), 0);

	assert_int_equal(fdb_del(fdb, 10, &a), 0);
	assert_int_equal(lookup(fdb, 10, &a, NULL), 0);
	assert_int_equal(fdb_del(fdb, 10, &a), -ENOENT);
	assert_int_equal(n_removals, 1);
	assert_int_equal(removals[0].vni, 10);
	assert_memory_equal(&removals[0].mac, &a, sizeof(a));
	assert_int_equal(removals[0].dest, static_dest(d));

	fdb_stats_get(fdb, &s);
	assert_int_equal(s.entries, 0);
	assert_int_equal(s.statics, 0);
}

static void
test_bulk_lookup_mixed_hits(void **state)
{
	enum { N = FDB_BULK_MAX + 9 };
	struct fdb_key keys[N];
	const struct fdb_key *kp[N];
	struct fdb_result res[N];
	struct rte_ether_addr m;
	unsigned i;

	RTE_SET_USED(state);
	/* Every third key present; more keys than one group. */
	for (i = 0; i < N; i++) {
		m = mac_of(i + 1);
		fdb_key_set(&keys[i], 5, &m);
		kp[i] = &keys[i];
		if (i % 3 == 0)
			assert_int_equal(fdb_learn(fdb, 5, &m, fdb_dest_local(1, (uint16_t)i), 0),
					 FDB_LEARN_NEW);
	}
	assert_int_equal(fdb_lookup_bulk(fdb, kp, N, res), (N + 2) / 3);
	for (i = 0; i < N; i++) {
		if (i % 3 == 0) {
			assert_int_equal(res[i].dest, fdb_dest_local(1, (uint16_t)i));
			assert_true(res[i].slot >= 0);
		} else {
			assert_int_equal(res[i].dest, 0);
			assert_true(res[i].slot < 0);
		}
	}
}

/*
 * Learning.
 */

static void
test_learn_new(void **state)
{
	struct rte_ether_addr a = mac_of(1);
	uint64_t d = fdb_dest_local(3, 100);
	struct fdb_stats s;

	RTE_SET_USED(state);
	assert_int_equal(fdb_learn(fdb, 20, &a, d, 5), FDB_LEARN_NEW);
	assert_int_equal(lookup(fdb, 20, &a, NULL), d);
	assert_int_equal(fdb_dest_flags(lookup(fdb, 20, &a, NULL)) & FDB_F_STATIC, 0);
	fdb_stats_get(fdb, &s);
	assert_int_equal(s.entries, 1);
	assert_int_equal(s.learned, 1);
	assert_int_equal(s.statics, 0);
	assert_int_equal(n_removals, 0);
}

static int
collect_cb(void *arg, const struct fdb_entry_info *e)
{
	struct fdb_entry_info *out = arg;

	out[0] = *e;
	return 0;
}

static void
test_learn_refresh(void **state)
{
	struct rte_ether_addr a = mac_of(1);
	uint64_t d = fdb_dest_remote(9);
	struct fdb_entry_info info;
	struct fdb_stats s;

	RTE_SET_USED(state);
	assert_int_equal(fdb_learn(fdb, 20, &a, d, 10), FDB_LEARN_NEW);
	assert_int_equal(fdb_learn(fdb, 20, &a, d, 25), FDB_LEARN_REFRESH);
	assert_int_equal(fdb_walk(fdb, collect_cb, &info), 0);
	assert_int_equal(info.last_seen, 25);
	assert_int_equal(info.dest, d);
	fdb_stats_get(fdb, &s);
	assert_int_equal(s.moves, 0);
	assert_int_equal(s.entries, 1);
	assert_int_equal(n_removals, 0);
}

static void
test_learn_move(void **state)
{
	struct rte_ether_addr a = mac_of(1);
	uint64_t d1 = fdb_dest_remote(1), d2 = fdb_dest_local(2, 30);
	struct fdb_stats s;

	RTE_SET_USED(state);
	assert_int_equal(fdb_learn(fdb, 20, &a, d1, 1), FDB_LEARN_NEW);
	assert_int_equal(fdb_learn(fdb, 20, &a, d2, 2), FDB_LEARN_MOVE);
	assert_int_equal(lookup(fdb, 20, &a, NULL), d2);
	fdb_stats_get(fdb, &s);
	assert_int_equal(s.moves, 1);
	assert_int_equal(s.entries, 1);
	assert_int_equal(s.learned, 1);
	assert_int_equal(n_removals, 1);
	assert_int_equal(removals[0].vni, 20);
	assert_memory_equal(&removals[0].mac, &a, sizeof(a));
	assert_int_equal(removals[0].dest, d1);
}

static void
test_learn_ignores_static_flag(void **state)
{
	struct rte_ether_addr a = mac_of(1);
	uint64_t d = fdb_dest_remote(4);

	RTE_SET_USED(state);
	/* A worker cannot make an entry static by setting the flag. */
	assert_int_equal(fdb_learn(fdb, 20, &a, static_dest(d), 1), FDB_LEARN_NEW);
	assert_int_equal(lookup(fdb, 20, &a, NULL), d);
	assert_int_equal(fdb_age(fdb, 1000, 1000), 1);
}

static void
test_static_wins_over_learning(void **state)
{
	struct rte_ether_addr a = mac_of(1);
	uint64_t ds = fdb_dest_remote(1), dl = fdb_dest_remote(2);
	struct fdb_stats s;

	RTE_SET_USED(state);
	assert_int_equal(fdb_add_static(fdb, 30, &a, ds), 0);
	assert_int_equal(fdb_learn(fdb, 30, &a, dl, 1), -EPERM);
	/* Even the same place learned again does not touch the static entry. */
	assert_int_equal(fdb_learn(fdb, 30, &a, ds, 1), -EPERM);
	assert_int_equal(lookup(fdb, 30, &a, NULL), static_dest(ds));
	fdb_stats_get(fdb, &s);
	assert_int_equal(s.static_wins, 2);
	assert_int_equal(s.moves, 0);
	assert_int_equal(s.statics, 1);
	assert_int_equal(s.learned, 0);
	assert_int_equal(n_removals, 0);
}

static void
test_static_replaces_learned(void **state)
{
	struct rte_ether_addr a = mac_of(1), b = mac_of(2);
	uint64_t dl = fdb_dest_remote(1), ds = fdb_dest_local(4, 5);
	struct fdb_stats s;

	RTE_SET_USED(state);
	assert_int_equal(fdb_learn(fdb, 30, &a, dl, 1), FDB_LEARN_NEW);
	assert_int_equal(fdb_add_static(fdb, 30, &a, ds), 0);
	assert_int_equal(lookup(fdb, 30, &a, NULL), static_dest(ds));
	assert_int_equal(n_removals, 1);
	assert_int_equal(removals[0].dest, dl);

	/* Same place: the entry becomes static, its destination stays. */
	assert_int_equal(fdb_learn(fdb, 30, &b, dl, 1), FDB_LEARN_NEW);
	assert_int_equal(fdb_add_static(fdb, 30, &b, dl), 0);
	assert_int_equal(lookup(fdb, 30, &b, NULL), static_dest(dl));
	assert_int_equal(n_removals, 1);

	fdb_stats_get(fdb, &s);
	assert_int_equal(s.entries, 2);
	assert_int_equal(s.learned, 0);
	assert_int_equal(s.statics, 2);
	assert_int_equal(fdb_vni_count(fdb, 30), 2);
	/* Static now: ageing leaves it. */
	assert_int_equal(fdb_age(fdb, UINT32_MAX, 1000), 0);
}

static void
test_static_replaces_static(void **state)
{
	struct rte_ether_addr a = mac_of(1);
	uint64_t d1 = fdb_dest_remote(1), d2 = fdb_dest_remote(2);

	RTE_SET_USED(state);
	assert_int_equal(fdb_add_static(fdb, 30, &a, d1), 0);
	assert_int_equal(fdb_add_static(fdb, 30, &a, d1), 0);
	assert_int_equal(n_removals, 0);
	assert_int_equal(fdb_add_static(fdb, 30, &a, d2), 0);
	assert_int_equal(lookup(fdb, 30, &a, NULL), static_dest(d2));
	assert_int_equal(n_removals, 1);
	assert_int_equal(removals[0].dest, static_dest(d1));
	assert_int_equal(fdb_vni_count(fdb, 30), 1);
}

static void
test_mac_limit_per_vni(void **state)
{
	struct rte_ether_addr m1 = mac_of(1), m2 = mac_of(2), m3 = mac_of(3), m4 = mac_of(4);
	uint64_t d = fdb_dest_remote(1);
	struct fdb_stats s;

	RTE_SET_USED(state);
	assert_int_equal(fdb_vni_set(fdb, 40, 2, 300), 0);
	assert_int_equal(fdb_learn(fdb, 40, &m1, d, 1), FDB_LEARN_NEW);
	assert_int_equal(fdb_learn(fdb, 40, &m2, d, 1), FDB_LEARN_NEW);
	assert_int_equal(fdb_learn(fdb, 40, &m3, d, 1), -EDQUOT);
	assert_int_equal(lookup(fdb, 40, &m3, NULL), 0);
	/* Entries already there still refresh and move at the limit. */
	assert_int_equal(fdb_learn(fdb, 40, &m1, d, 2), FDB_LEARN_REFRESH);
	assert_int_equal(fdb_learn(fdb, 40, &m2, fdb_dest_remote(2), 2), FDB_LEARN_MOVE);
	/* Static entries do not count, nor do other VNIs. */
	assert_int_equal(fdb_add_static(fdb, 40, &m4, d), 0);
	assert_int_equal(fdb_learn(fdb, 41, &m3, d, 1), FDB_LEARN_NEW);
	assert_int_equal(fdb_learn(fdb, 41, &m4, d, 1), FDB_LEARN_NEW);
	fdb_stats_get(fdb, &s);
	assert_int_equal(s.limit_hits, 1);
	/* Room again after a delete. */
	assert_int_equal(fdb_del(fdb, 40, &m1), 0);
	assert_int_equal(fdb_learn(fdb, 40, &m3, d, 3), FDB_LEARN_NEW);
	assert_int_equal(fdb_vni_count(fdb, 40), 3);
	/* Lifting the limit. */
	assert_int_equal(fdb_vni_set(fdb, 40, 0, 300), 0);
	assert_int_equal(fdb_learn(fdb, 40, &m1, d, 4), FDB_LEARN_NEW);
	fdb_stats_get(fdb, &s);
	assert_int_equal(s.limit_hits, 1);
}

static void
test_table_full(void **state)
{
	struct rte_ether_addr m;
	struct fdb_stats s;
	uint32_t i;

	RTE_SET_USED(state);
	for (i = 0; i < CAP; i++) {
		m = mac_of(i + 1);
		assert_int_equal(fdb_learn(fdb, 1 + i % 3, &m, fdb_dest_remote(i), 0), FDB_LEARN_NEW);
	}
	m = mac_of(CAP + 1);
	assert_int_equal(fdb_learn(fdb, 1, &m, fdb_dest_remote(0), 0), -ENOSPC);
	assert_int_equal(fdb_add_static(fdb, 1, &m, fdb_dest_remote(0)), -ENOSPC);
	assert_int_equal(lookup(fdb, 1, &m, NULL), 0);
	fdb_stats_get(fdb, &s);
	assert_int_equal(s.full_hits, 2);
	assert_int_equal(s.entries, CAP);
	/* Updates of existing entries still work when full. */
	m = mac_of(1);
	assert_int_equal(fdb_learn(fdb, 1, &m, fdb_dest_remote(99), 1), FDB_LEARN_MOVE);
	assert_int_equal(fdb_del(fdb, 1, &m), 0);
	m = mac_of(CAP + 1);
	assert_int_equal(fdb_learn(fdb, 1, &m, fdb_dest_remote(0), 0), FDB_LEARN_NEW);
	/* The failed adds left no trace in the VNI counts. */
	assert_int_equal(fdb_vni_count(fdb, 1) + fdb_vni_count(fdb, 2) + fdb_vni_count(fdb, 3), CAP);
}

static void
test_deleted_slots_are_reused(void **state)
{
	struct rte_ether_addr m;
	uint32_t round, i;

	RTE_SET_USED(state);
	/* Many times the capacity through add/delete: only works if the
	 * positions come back from the RCU defer queue.
	 */
	for (round = 0; round < 20; round++) {
		for (i = 0; i < CAP; i++) {
			m = mac_of(round * CAP + i + 1);
			assert_int_equal(fdb_learn(fdb, 7, &m, fdb_dest_remote(round), 0),
					 FDB_LEARN_NEW);
		}
		for (i = 0; i < CAP; i++) {
			m = mac_of(round * CAP + i + 1);
			assert_int_equal(lookup(fdb, 7, &m, NULL), fdb_dest_remote(round));
			assert_int_equal(fdb_del(fdb, 7, &m), 0);
		}
	}
	assert_int_equal(fdb_vni_count(fdb, 7), 0);
	assert_int_equal(n_removals, 20 * CAP);
}

static void
test_invalid_input(void **state)
{
	struct rte_ether_addr ok = mac_of(1);
	struct rte_ether_addr mcast = { .addr_bytes = { 0x01, 0x00, 0x5e, 0, 0, 1 } };
	struct rte_ether_addr bcast = { .addr_bytes = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
	struct rte_ether_addr zero = { .addr_bytes = { 0 } };
	uint64_t d = fdb_dest_remote(1);
	uint64_t none = d & ~(uint64_t)0xff;
	uint64_t bad_kind = none | 4;  /* past FDB_KIND_MAC */
	struct fdb_stats s;

	RTE_SET_USED(state);
	assert_int_equal(fdb_learn(fdb, 0, &ok, d, 0), -EINVAL);
	assert_int_equal(fdb_learn(fdb, 0x1000000, &ok, d, 0), -EINVAL);
	assert_int_equal(fdb_learn(fdb, 1, &mcast, d, 0), -EINVAL);
	assert_int_equal(fdb_learn(fdb, 1, &bcast, d, 0), -EINVAL);
	assert_int_equal(fdb_learn(fdb, 1, &zero, d, 0), -EINVAL);
	assert_int_equal(fdb_learn(fdb, 1, &ok, none, 0), -EINVAL);
	assert_int_equal(fdb_learn(fdb, 1, &ok, bad_kind, 0), -EINVAL);
	assert_int_equal(fdb_learn(fdb, 1, NULL, d, 0), -EINVAL);

	assert_int_equal(fdb_add_static(fdb, 0, &ok, d), -EINVAL);
	assert_int_equal(fdb_add_static(fdb, 0x1000000, &ok, d), -EINVAL);
	assert_int_equal(fdb_add_static(fdb, 1, &mcast, d), -EINVAL);
	assert_int_equal(fdb_add_static(fdb, 1, &bcast, d), -EINVAL);
	assert_int_equal(fdb_add_static(fdb, 1, &zero, d), -EINVAL);
	assert_int_equal(fdb_add_static(fdb, 1, &ok, none), -EINVAL);
	assert_int_equal(fdb_add_static(fdb, 1, &ok, bad_kind), -EINVAL);

	assert_int_equal(fdb_vni_set(fdb, 0x1000000, 1, 1), -EINVAL);
	assert_int_equal(fdb_del(fdb, 0x1000000, &ok), -ENOENT);
	assert_int_equal(fdb_del(fdb, 1, NULL), -EINVAL);

	fdb_stats_get(fdb, &s);
	assert_int_equal(s.entries, 0);
	assert_int_equal(s.full_hits + s.limit_hits + s.static_wins, 0);
}

static void
test_create_rejects_bad_params(void **state)
{
	struct fdb_params p;
	struct fdb *f;

	RTE_SET_USED(state);
	memset(&p, 0, sizeof(p));
	p.name = "fdbbad";
	p.capacity = 16;
	p.socket_id = SOCKET_ID_ANY;
	p.qsbr = qsbr;
	p.hash_func = hash_fn;

	assert_null(fdb_create(NULL));
	assert_int_equal(rte_errno, EINVAL);

	p.qsbr = NULL;
	assert_null(fdb_create(&p));
	assert_int_equal(rte_errno, EINVAL);
	p.qsbr = qsbr;

	p.capacity = 0;
	assert_null(fdb_create(&p));
	assert_int_equal(rte_errno, EINVAL);
	p.capacity = 16;

	p.name = "a-name-much-too-long-for-rings";
	assert_null(fdb_create(&p));
	assert_int_equal(rte_errno, EINVAL);
	p.name = "fdbbad";

	f = fdb_create(&p);
	assert_non_null(f);
	assert_null(fdb_create(&p));
	assert_int_equal(rte_errno, EEXIST);
	fdb_free(f);
	/* The name is free again once the table is. */
	f = fdb_create(&p);
	assert_non_null(f);
	fdb_free(f);
	fdb_free(NULL);
}

/*
 * Flush.
 */

static void
fill_for_flush(void)
{
	struct rte_ether_addr m;
	uint32_t i;

	/* VNI 1: 4 learned + 2 static; VNI 2: 3 learned + 1 static. */
	for (i = 0; i < 4; i++) {
		m = mac_of(100 + i);
		assert_int_equal(fdb_learn(fdb, 1, &m, fdb_dest_remote(i), 0), FDB_LEARN_NEW);
	}
	for (i = 0; i < 2; i++) {
		m = mac_of(200 + i);
		assert_int_equal(fdb_add_static(fdb, 1, &m, fdb_dest_remote(i)), 0);
	}
	for (i = 0; i < 3; i++) {
		m = mac_of(100 + i);
		assert_int_equal(fdb_learn(fdb, 2, &m, fdb_dest_remote(i), 0), FDB_LEARN_NEW);
	}
	m = mac_of(300);
	assert_int_equal(fdb_add_static(fdb, 2, &m, fdb_dest_remote(0)), 0);
}

static void
test_flush_by_vni(void **state)
{
	struct rte_ether_addr m;
	struct fdb_stats s;
	unsigned i;

	RTE_SET_USED(state);
	fill_for_flush();
	assert_int_equal(fdb_flush(fdb, 1, FDB_FLUSH_LEARNED), 4);
	assert_int_equal(fdb_vni_count(fdb, 1), 2);
	assert_int_equal(fdb_vni_count(fdb, 2), 4);
	for (i = 0; i < n_removals; i++) {
		assert_int_equal(removals[i].vni, 1);
		assert_int_equal(fdb_dest_flags(removals[i].dest) & FDB_F_STATIC, 0);
	}
	m = mac_of(100);
	assert_int_equal(lookup(fdb, 1, &m, NULL), 0);
	assert_int_equal(lookup(fdb, 2, &m, NULL), fdb_dest_remote(0));
	m = mac_of(200);
	assert_int_equal(lookup(fdb, 1, &m, NULL), static_dest(fdb_dest_remote(0)));

	assert_int_equal(fdb_flush(fdb, 1, FDB_FLUSH_STATIC), 2);
	assert_int_equal(fdb_vni_count(fdb, 1), 0);
	assert_int_equal(n_removals, 6);
	/* Nothing left to flush, and unknown VNIs flush nothing. */
	assert_int_equal(fdb_flush(fdb, 1, FDB_FLUSH_LEARNED | FDB_FLUSH_STATIC), 0);
	assert_int_equal(fdb_flush(fdb, 77, FDB_FLUSH_LEARNED | FDB_FLUSH_STATIC), 0);
	fdb_stats_get(fdb, &s);
	assert_int_equal(s.entries, 4);
	assert_int_equal(s.learned, 3);
	assert_int_equal(s.statics, 1);
}

static void
test_flush_all(void **state)
{
	struct fdb_stats s;

	RTE_SET_USED(state);
	fill_for_flush();
	assert_int_equal(fdb_flush(fdb, FDB_VNI_ANY, FDB_FLUSH_LEARNED), 7);
	fdb_stats_get(fdb, &s);
	assert_int_equal(s.learned, 0);
	assert_int_equal(s.statics, 3);
	assert_int_equal(fdb_flush(fdb, FDB_VNI_ANY, FDB_FLUSH_LEARNED | FDB_FLUSH_STATIC), 3);
	fdb_stats_get(fdb, &s);
	assert_int_equal(s.entries, 0);
	assert_int_equal(n_removals, 10);
	assert_int_equal(fdb_vni_count(fdb, 1), 0);
	assert_int_equal(fdb_vni_count(fdb, 2), 0);
}

/*
 * Ageing, with the tests' own clock.
 */

static void
test_age_at_right_second(void **state)
{
	struct rte_ether_addr a = mac_of(1);
	uint64_t d = fdb_dest_remote(3);
	struct fdb_stats s;

	RTE_SET_USED(state);
	/* VNI never configured: the 300 s default. Stamps are whole
	 * seconds, so an entry stamped 1000 goes once 1300 has fully passed:
	 * never before 300 s. */
	assert_int_equal(fdb_learn(fdb, 50, &a, d, 1000), FDB_LEARN_NEW);
	assert_int_equal(fdb_age(fdb, 1299, 1000), 0);
	assert_int_equal(fdb_age(fdb, 1300, 1000), 0);
	assert_int_equal(lookup(fdb, 50, &a, NULL), d);
	assert_int_equal(fdb_age(fdb, 1301, 1000), 1);
	assert_int_equal(lookup(fdb, 50, &a, NULL), 0);
	fdb_stats_get(fdb, &s);
	assert_int_equal(s.aged, 1);
	assert_int_equal(s.entries, 0);
	assert_int_equal(n_removals, 1);
	assert_int_equal(removals[0].dest, d);
}

/* Ageing paced by time: a sweep of every slot per period, however the
 * polls fall, with no slot lost to rounding. */
static void
test_age_budget_by_time(void **state)
{
	uint64_t carry = 0, total = 0;
	unsigned nslots, i, b;
	struct rte_ether_addr a = mac_of(7);

	RTE_SET_USED(state);
	nslots = fdb_age_budget(fdb, 1000, 1000, &carry);
	assert_true(nslots >= 1);
	assert_int_equal(carry, 0);
	assert_int_equal(fdb_age_budget(fdb, 0, 1000, &carry), 0);
	/* 1000 polls 1 ms apart: exactly one sweep. */
	for (i = 0; i < 1000; i++) {
		b = fdb_age_budget(fdb, 1, 1000, &carry);
		assert_true(b <= nslots / 1000 + 1);
		total += b;
	}
	assert_int_equal(total, nslots);
	assert_int_equal(carry, 0);
	/* Uneven steps add up too: 333 + 333 + 334 ms. */
	total = fdb_age_budget(fdb, 333, 1000, &carry);
	total += fdb_age_budget(fdb, 333, 1000, &carry);
	total += fdb_age_budget(fdb, 334, 1000, &carry);
	assert_int_equal(total, nslots);
	/* A long pause owes one sweep, not many; no period: every slot. */
	assert_int_equal(fdb_age_budget(fdb, 3600 * 1000, 1000, &carry), nslots);
	assert_int_equal(fdb_age_budget(fdb, 1, 0, &carry), nslots);

	/* One sweep's budget ages an expired entry wherever it sits. */
	assert_int_equal(fdb_learn(fdb, 50, &a, fdb_dest_remote(3), 1000), FDB_LEARN_NEW);
	carry = 0;
	total = 0;
	for (i = 0; i < 10; i++)
		total += fdb_age(fdb, 1301, fdb_age_budget(fdb, 100, 1000, &carry));
	assert_int_equal(total, 1);
	assert_int_equal(lookup(fdb, 50, &a, NULL), 0);
}

static void
test_age_per_vni_and_default(void **state)
{
	struct rte_ether_addr a = mac_of(1);
	uint64_t d = fdb_dest_remote(3);

	RTE_SET_USED(state);
	assert_int_equal(fdb_vni_set(fdb, 51, 0, 10), 0);
	assert_int_equal(fdb_vni_set(fdb, 0, 0, 20), 0);
	assert_int_equal(fdb_learn(fdb, 51, &a, d, 100), FDB_LEARN_NEW);
	assert_int_equal(fdb_learn(fdb, 52, &a, d, 100), FDB_LEARN_NEW);
	assert_int_equal(fdb_age(fdb, 110, 1000), 0);
	assert_int_equal(fdb_age(fdb, 111, 1000), 1);
	assert_int_equal(lookup(fdb, 51, &a, NULL), 0);
	assert_int_equal(lookup(fdb, 52, &a, NULL), d);
	assert_int_equal(fdb_age(fdb, 120, 1000), 0);
	assert_int_equal(fdb_age(fdb, 121, 1000), 1);
	assert_int_equal(lookup(fdb, 52, &a, NULL), 0);
}

static void
test_touch_keeps_entry_alive(void **state)
{
	struct rte_ether_addr a = mac_of(1);
	uint64_t d = fdb_dest_remote(3);
	struct fdb_entry_info info;
	int32_t slot;

	RTE_SET_USED(state);
	assert_int_equal(fdb_vni_set(fdb, 53, 0, 10), 0);
	assert_int_equal(fdb_learn(fdb, 53, &a, d, 100), FDB_LEARN_NEW);
	assert_int_equal(lookup(fdb, 53, &a, &slot), d);
	assert_true(slot >= 0);
	fdb_touch(fdb, slot, 108);
	fdb_touch(fdb, -1, 500);
	assert_int_equal(fdb_walk(fdb, collect_cb, &info), 0);
	assert_int_equal(info.last_seen, 108);
	/* 100 + 10 has passed, 108 + 10 has not. */
	assert_int_equal(fdb_age(fdb, 115, 1000), 0);
	assert_int_equal(fdb_age(fdb, 118, 1000), 0);
	assert_int_equal(lookup(fdb, 53, &a, NULL), d);
	assert_int_equal(fdb_age(fdb, 119, 1000), 1);
	assert_int_equal(lookup(fdb, 53, &a, NULL), 0);
}

static void
test_age_zero_never_ages(void **state)
{
	struct rte_ether_addr a = mac_of(1), b = mac_of(2);
	uint64_t d = fdb_dest_remote(3);

	RTE_SET_USED(state);
	assert_int_equal(fdb_vni_set(fdb, 54, 0, 0), 0);
	assert_int_equal(fdb_vni_set(fdb, 0, 0, 0), 0);
	assert_int_equal(fdb_learn(fdb, 54, &a, d, 0), FDB_LEARN_NEW);
	assert_int_equal(fdb_learn(fdb, 55, &b, d, 0), FDB_LEARN_NEW);
	assert_int_equal(fdb_age(fdb, UINT32_MAX, 1000), 0);
	assert_int_equal(lookup(fdb, 54, &a, NULL), d);
	assert_int_equal(lookup(fdb, 55, &b, NULL), d);
	/* A default set back to non-zero applies to VNI 55 only. */
	assert_int_equal(fdb_vni_set(fdb, 0, 0, 5), 0);
	assert_int_equal(fdb_age(fdb, UINT32_MAX, 1000), 1);
	assert_int_equal(lookup(fdb, 54, &a, NULL), d);
	assert_int_equal(lookup(fdb, 55, &b, NULL), 0);
}

static void
test_static_never_ages(void **state)
{
	struct rte_ether_addr a = mac_of(1);
	uint64_t d = fdb_dest_remote(3);
	struct fdb_stats s;

	RTE_SET_USED(state);
	assert_int_equal(fdb_vni_set(fdb, 56, 0, 1), 0);
	assert_int_equal(fdb_add_static(fdb, 56, &a, d), 0);
	assert_int_equal(fdb_age(fdb, UINT32_MAX, 1000), 0);
	assert_int_equal(lookup(fdb, 56, &a, NULL), static_dest(d));
	fdb_stats_get(fdb, &s);
	assert_int_equal(s.aged, 0);
}

static void
test_age_time_sliced(void **state)
{
	enum { N = 40, BUDGET = 8 };
	struct rte_ether_addr m;
	unsigned calls = 0, total = 0, got;
	uint32_t i;

	RTE_SET_USED(state);
	for (i = 0; i < N; i++) {
		m = mac_of(i + 1);
		assert_int_equal(fdb_learn(fdb, 57, &m, fdb_dest_remote(i), 0), FDB_LEARN_NEW);
	}
	assert_int_equal(fdb_age(fdb, 1000, 0), 0);
	/* A slice visits BUDGET positions, so it removes at most BUDGET, and
	 * only resuming where the previous one stopped reaches them all.
	 */
	while (total < N && calls < 1000) {
		got = fdb_age(fdb, 1000, BUDGET);
		assert_true(got <= BUDGET);
		total += got;
		calls++;
	}
	assert_int_equal(total, N);
	assert_true(calls >= N / BUDGET);
	assert_int_equal(fdb_vni_count(fdb, 57), 0);
}

/*
 * Walk, stats, counts.
 */

struct walk_acc {
	unsigned n;
	unsigned stop_after;
	uint32_t vni_sum;
	uint64_t dest_xor;
	unsigned statics;
};

static int
walk_cb(void *arg, const struct fdb_entry_info *e)
{
	struct walk_acc *w = arg;

	w->n++;
	w->vni_sum += e->vni;
	w->dest_xor ^= e->dest;
	if (fdb_dest_flags(e->dest) & FDB_F_STATIC)
		w->statics++;
	assert_int_equal(e->mac.addr_bytes[0], 0x02);
	return w->stop_after != 0 && w->n == w->stop_after ? 42 : 0;
}

static void
test_walk(void **state)
{
	struct rte_ether_addr m1 = mac_of(1), m2 = mac_of(2), m3 = mac_of(3);
	uint64_t d1 = fdb_dest_remote(1), d2 = fdb_dest_local(1, 2), d3 = fdb_dest_remote(3);
	struct walk_acc w;

	RTE_SET_USED(state);
	memset(&w, 0, sizeof(w));
	assert_int_equal(fdb_walk(fdb, walk_cb, &w), 0);
	assert_int_equal(w.n, 0);

	assert_int_equal(fdb_learn(fdb, 60, &m1, d1, 0), FDB_LEARN_NEW);
	assert_int_equal(fdb_learn(fdb, 61, &m2, d2, 0), FDB_LEARN_NEW);
	assert_int_equal(fdb_add_static(fdb, 62, &m3, d3), 0);
	assert_int_equal(fdb_walk(fdb, walk_cb, &w), 0);
	assert_int_equal(w.n, 3);
	assert_int_equal(w.vni_sum, 60 + 61 + 62);
	assert_int_equal(w.dest_xor, d1 ^ d2 ^ static_dest(d3));
	assert_int_equal(w.statics, 1);
}

static void
test_walk_stops_early(void **state)
{
	struct rte_ether_addr m;
	struct walk_acc w;
	uint32_t i;

	RTE_SET_USED(state);
	for (i = 0; i < 5; i++) {
		m = mac_of(i + 1);
		assert_int_equal(fdb_learn(fdb, 60, &m, fdb_dest_remote(i), 0), FDB_LEARN_NEW);
	}
	memset(&w, 0, sizeof(w));
	w.stop_after = 2;
	assert_int_equal(fdb_walk(fdb, walk_cb, &w), 42);
	assert_int_equal(w.n, 2);
}

static void
test_stats(void **state)
{
	struct rte_ether_addr m1 = mac_of(1), m2 = mac_of(2), m3 = mac_of(3), m4 = mac_of(4);
	uint64_t d = fdb_dest_remote(1), e = fdb_dest_remote(2);
	struct fdb_stats s;

	RTE_SET_USED(state);
	fdb_stats_get(fdb, &s);
	assert_int_equal(s.entries + s.learned + s.statics, 0);
	assert_int_equal(s.moves + s.aged + s.limit_hits + s.full_hits + s.static_wins, 0);

	assert_int_equal(fdb_vni_set(fdb, 70, 2, 10), 0);
	assert_int_equal(fdb_learn(fdb, 70, &m1, d, 0), FDB_LEARN_NEW);     /* learned 1 */
	assert_int_equal(fdb_learn(fdb, 70, &m2, d, 5), FDB_LEARN_NEW);     /* learned 2 */
	assert_int_equal(fdb_learn(fdb, 70, &m3, d, 0), -EDQUOT);          /* limit_hits */
	assert_int_equal(fdb_learn(fdb, 70, &m2, e, 5), FDB_LEARN_MOVE);    /* moves */
	assert_int_equal(fdb_add_static(fdb, 70, &m4, d), 0);               /* statics 1 */
	assert_int_equal(fdb_learn(fdb, 70, &m4, e, 0), -EPERM);           /* static_wins */
	assert_int_equal(fdb_age(fdb, 11, 1000), 1);                        /* m1 aged */

	fdb_stats_get(fdb, &s);
	assert_int_equal(s.entries, 2);
	assert_int_equal(s.learned, 1);
	assert_int_equal(s.statics, 1);
	assert_int_equal(s.moves, 1);
	assert_int_equal(s.aged, 1);
	assert_int_equal(s.limit_hits, 1);
	assert_int_equal(s.full_hits, 0);
	assert_int_equal(s.static_wins, 1);
}

static void
test_vni_count(void **state)
{
	struct rte_ether_addr m;
	uint32_t i;

	RTE_SET_USED(state);
	/* Enough VNIs to grow the writer's VNI table several times. */
	for (i = 0; i < CAP; i++) {
		m = mac_of(i + 1);
		if (i % 2 == 0)
			assert_int_equal(fdb_learn(fdb, 1000 + i % 50, &m, fdb_dest_remote(i), 0),
					 FDB_LEARN_NEW);
		else
			assert_int_equal(fdb_add_static(fdb, 1000 + i % 50, &m, fdb_dest_remote(i)),
					 0);
	}
	for (i = 0; i < 50; i++)
		assert_int_equal(fdb_vni_count(fdb, 1000 + i), i < CAP - 50 ? 2 : 1);
	assert_int_equal(fdb_vni_count(fdb, 999), 0);
	assert_int_equal(fdb_vni_count(fdb, 0), 0);
	/* Deleting VNIs' last entries keeps the others reachable. */
	for (i = 0; i < CAP; i += 3) {
		m = mac_of(i + 1);
		assert_int_equal(fdb_del(fdb, 1000 + i % 50, &m), 0);
	}
	for (i = 0; i < CAP; i++) {
		m = mac_of(i + 1);
		assert_int_equal(lookup(fdb, 1000 + i % 50, &m, NULL) != 0, i % 3 != 0);
	}
	assert_int_equal(fdb_flush(fdb, FDB_VNI_ANY, FDB_FLUSH_LEARNED | FDB_FLUSH_STATIC),
			 CAP - (CAP + 2) / 3);
	for (i = 0; i < 50; i++)
		assert_int_equal(fdb_vni_count(fdb, 1000 + i), 0);
}

/*
 * Learn ring.
 */

static void
test_learn_ring_round_trip(void **state)
{
	struct fdb_learn_event in[20], out[20];
	struct rte_ring *r;
	unsigned i;

	RTE_SET_USED(state);
	memset(in, 0, sizeof(in));
	for (i = 0; i < RTE_DIM(in); i++) {
		in[i].vni = 100 + i;
		in[i].mac = mac_of(i);
		in[i].kind = i % 2 ? FDB_KIND_REMOTE : FDB_KIND_LOCAL;
		in[i].port = (uint16_t)i;
		in[i].vlan = (uint16_t)(i * 3);
		in[i].remote = vtep_ip4(rte_cpu_to_be_32(0x0a000000 + i));
	}
	r = fdb_learn_ring_create(hash_fn == NULL ? "fdbring0" : "fdbring1", 16, SOCKET_ID_ANY);
	assert_non_null(r);
	assert_int_equal(fdb_learn_post(r, in, 3), 3);
	assert_int_equal(fdb_learn_take(r, out, 20), 3);
	assert_memory_equal(in, out, 3 * sizeof(in[0]));
	/* Full: the rest is dropped, what fit comes out in order. */
	assert_int_equal(fdb_learn_post(r, in, 20), 15);
	memset(out, 0, sizeof(out));
	assert_int_equal(fdb_learn_take(r, out, 20), 15);
	assert_memory_equal(in, out, 15 * sizeof(in[0]));
	assert_int_equal(fdb_learn_take(r, out, 20), 0);
	rte_ring_free(r);

	assert_null(fdb_learn_ring_create("fdbringbad", 10, SOCKET_ID_ANY));
	assert_int_equal(rte_errno, EINVAL);
}

/*
 * Readers against the writer.
 */

#define CC_KEYS 256
#define CC_GEN_BITS 22
#define CC_GEN_MAX ((UINT32_C(1) << CC_GEN_BITS) - 1)
#define CC_READERS 2
#define CC_SECONDS 3
#define CC_ENOUGH 5000   /* reader hits and misses a run must reach */
#define CC_VNI 900

struct cc {
	struct fdb *fdb;
	struct fdb_key keys[CC_KEYS];
	uint32_t gen[CC_KEYS];  /* latest generation stored for each key */
	uint32_t clock;         /* the writer's seconds, for fdb_touch */
	int stop;
	uint64_t errors;
	uint64_t hits;
	uint64_t misses;
	uint64_t bad_dest;      /* first bad value, for the failure message */
	uint64_t live_hits;     /* running totals, so the writer knows the */
	uint64_t live_misses;   /* readers got CPU time, however loaded */
};

struct cc_reader {
	struct cc *cc;
	unsigned id;
};

/*
 * The dest of key k at generation g: odd ones are remote, with k and g in
 * the id; even ones local, with k in the VLAN and g in the port, so that a
 * value torn between two stores, or another key's, shows.
 */
static uint64_t
cc_dest(uint32_t k, uint32_t g)
{
	if (g & 1)
		return fdb_dest_remote(k << CC_GEN_BITS | g);
	return fdb_dest_local((uint16_t)g, (uint16_t)k);
}

static bool
cc_valid(struct cc *c, uint32_t k, uint64_t d)
{
	/* Acquire after the entry's acquire: at least the gen stored before it. */
	uint32_t latest = __atomic_load_n(&c->gen[k], __ATOMIC_ACQUIRE);
	uint32_t g;

	if ((fdb_dest_flags(d) & ~FDB_F_STATIC) != 0)
		return false;
	switch (fdb_dest_kind(d)) {
	case FDB_KIND_REMOTE:
		g = fdb_dest_remote_id(d) & CC_GEN_MAX;
		return fdb_dest_remote_id(d) >> CC_GEN_BITS == k && (g & 1) && g >= 1 &&
		       g <= latest && (d & 0xffff0000u) == 0;
	case FDB_KIND_LOCAL:
		g = fdb_dest_port(d);
		return fdb_dest_vlan(d) == k && (g & 1) == 0 && g >= 2 && d >> 48 == 0 &&
		       (latest > 0xffff || g <= latest);
	default:
		return false;
	}
}

static void *
cc_reader_main(void *arg)
{
	struct cc_reader *r = arg;
	struct cc *c = r->cc;
	const struct fdb_key *kp[CC_KEYS];
	struct fdb_result res[FDB_BULK_MAX];
	uint64_t hits = 0, misses = 0, errors = 0;
	unsigned base, i, n, seen;

	for (i = 0; i < CC_KEYS; i++)
		kp[i] = &c->keys[i];
	if (rte_rcu_qsbr_thread_register(qsbr, r->id) != 0)
		errors++;
	rte_rcu_qsbr_thread_online(qsbr, r->id);
	while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
		for (base = 0; base < CC_KEYS; base += FDB_BULK_MAX) {
			n = fdb_lookup_bulk(c->fdb, kp + base, FDB_BULK_MAX, res);
			seen = 0;
			for (i = 0; i < FDB_BULK_MAX; i++) {
				if (res[i].dest == 0) {
					misses++;
					if (res[i].slot >= 0)
						errors++;
					continue;
				}
				seen++;
				hits++;
				if (res[i].slot < 0 || !cc_valid(c, base + i, res[i].dest)) {
					errors++;
					__atomic_store_n(&c->bad_dest, res[i].dest,
							 __ATOMIC_RELAXED);
				}
				fdb_touch(c->fdb, res[i].slot,
					  __atomic_load_n(&c->clock, __ATOMIC_RELAXED));
			}
			if (seen != n)
				errors++;
			__atomic_fetch_add(&c->live_hits, seen, __ATOMIC_RELAXED);
			__atomic_fetch_add(&c->live_misses, FDB_BULK_MAX - seen,
					   __ATOMIC_RELAXED);
			/* Between lookups, as a worker does once per loop. */
			rte_rcu_qsbr_quiescent(qsbr, r->id);
		}
	}
	rte_rcu_qsbr_thread_offline(qsbr, r->id);
	rte_rcu_qsbr_thread_unregister(qsbr, r->id);
	__atomic_fetch_add(&c->hits, hits, __ATOMIC_RELAXED);
	__atomic_fetch_add(&c->misses, misses, __ATOMIC_RELAXED);
	__atomic_fetch_add(&c->errors, errors, __ATOMIC_RELAXED);
	return NULL;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int
count_cb(void *arg, const struct fdb_entry_info *e)
{
	RTE_SET_USED(e);
	(*(unsigned *)arg)++;
	return 0;
}

static void
test_concurrent_readers(void **state)
{
	struct cc_reader readers[CC_READERS];
	pthread_t tid[CC_READERS];
	pthread_attr_t attr;
	cpu_set_t cpus;
	uint32_t local_gen[CC_KEYS];
	struct rte_ether_addr macs[CC_KEYS];
	uint64_t rnd = 0x9e3779b97f4a7c15ull;
	uint64_t ops = 0, bad_ret = 0;
	struct fdb_stats s;
	struct cc *c;
	unsigned i, walked = 0, found = 0;
	double end;
	int ret;

	RTE_SET_USED(state);
	c = calloc(1, sizeof(*c));
	assert_non_null(c);
	c->fdb = make_fdb(4 * CC_KEYS, hash_fn);
	assert_non_null(c->fdb);
	assert_int_equal(fdb_vni_set(c->fdb, CC_VNI, 0, 2), 0);
	for (i = 0; i < CC_KEYS; i++) {
		macs[i] = mac_of(0x10000 + i);
		fdb_key_set(&c->keys[i], CC_VNI, &macs[i]);
		local_gen[i] = 0;
	}
	c->clock = 1;

	/*
	 * The EAL pinned this thread to lcore 0 and threads inherit that:
	 * put the readers on the other CPUs, so that they run truly in
	 * parallel with the writer rather than taking turns with it.
	 */
	CPU_ZERO(&cpus);
	for (i = 1; i < (unsigned)sysconf(_SC_NPROCESSORS_ONLN) && i < CPU_SETSIZE; i++)
		CPU_SET(i, &cpus);
	assert_int_equal(pthread_attr_init(&attr), 0);
	if (CPU_COUNT(&cpus) > 0)
		assert_int_equal(pthread_attr_setaffinity_np(&attr, sizeof(cpus), &cpus), 0);
	for (i = 0; i < CC_READERS; i++) {
		readers[i].cc = c;
		readers[i].id = i;
		assert_int_equal(pthread_create(&tid[i], &attr, cc_reader_main, &readers[i]), 0);
	}
	pthread_attr_destroy(&attr);

	end = now_s() + CC_SECONDS;
	/* At least CC_SECONDS, and on a loaded machine longer (up to a minute
	 * more) until the readers have seen both hits and misses. */
	while ((ops & 1023) != 0 || now_s() < end ||
	       ((__atomic_load_n(&c->live_hits, __ATOMIC_RELAXED) <= CC_ENOUGH ||
		 __atomic_load_n(&c->live_misses, __ATOMIC_RELAXED) <= CC_ENOUGH) &&
		now_s() < end + 60)) {
		uint32_t k, op;

		rnd ^= rnd << 13;
		rnd ^= rnd >> 7;
		rnd ^= rnd << 17;
		k = (uint32_t)(rnd >> 8) % CC_KEYS;
		op = (uint32_t)(rnd >> 40) % 100;
		ops++;
		if (op < 55 && local_gen[k] < CC_GEN_MAX) {
			/* Insert or move: publish the generation first. */
			uint32_t g = ++local_gen[k];

			__atomic_store_n(&c->gen[k], g, __ATOMIC_RELEASE);
			if (op < 50) {
				ret = fdb_learn(c->fdb, CC_VNI, &macs[k], cc_dest(k, g), c->clock);
				if (ret != FDB_LEARN_NEW && ret != FDB_LEARN_MOVE && ret != -EPERM)
					bad_ret++;
			} else if (fdb_add_static(c->fdb, CC_VNI, &macs[k], cc_dest(k, g)) != 0) {
				bad_ret++;
			}
		} else if (op < 90) {
			ret = fdb_del(c->fdb, CC_VNI, &macs[k]);
			if (ret != 0 && ret != -ENOENT)
				bad_ret++;
		} else {
			__atomic_store_n(&c->clock, c->clock + 1, __ATOMIC_RELAXED);
			fdb_age(c->fdb, c->clock, 64);
		}
	}
	__atomic_store_n(&c->stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < CC_READERS; i++)
		assert_int_equal(pthread_join(tid[i], NULL), 0);

	if (c->errors != 0)
		print_error("bad reader result, e.g. dest 0x%016" PRIx64 "\n", c->bad_dest);
	assert_int_equal(c->errors, 0);
	assert_int_equal(bad_ret, 0);
	/* The run exercised both outcomes and every writer path. */
	assert_true(c->hits > CC_ENOUGH);
	assert_true(c->misses > CC_ENOUGH);
	fdb_stats_get(c->fdb, &s);
	assert_true(s.moves > 0);
	assert_true(s.aged > 0);
	assert_true(s.static_wins > 0);
	assert_int_equal(s.full_hits, 0);
	/* What the writer counts is what is there. */
	assert_int_equal(fdb_walk(c->fdb, count_cb, &walked), 0);
	for (i = 0; i < CC_KEYS; i++)
		found += lookup(c->fdb, CC_VNI, &macs[i], NULL) != 0;
	assert_int_equal(walked, s.entries);
	assert_int_equal(found, s.entries);
	assert_int_equal(fdb_vni_count(c->fdb, CC_VNI), s.entries);
	print_message("    %" PRIu64 " writer ops, %" PRIu64 " reader hits, %" PRIu64
		      " misses\n", ops, c->hits, c->misses);

	fdb_free(c->fdb);
	free(c);
}

/*
 * Scale.
 */

#define MILLION (UINT32_C(1) << 20)

static void
million_key(uint32_t i, uint32_t *vni, struct rte_ether_addr *mac)
{
	*vni = 1 + (i & 0xfff);
	*mac = mac_of(i + 1);
}

static void
test_million_entries(void **state)
{
	struct fdb_key keys[FDB_BULK_MAX];
	const struct fdb_key *kp[FDB_BULK_MAX];
	struct fdb_result res[FDB_BULK_MAX];
	struct rte_ether_addr mac;
	struct fdb_stats s;
	struct fdb *f;
	uint32_t i, j, vni, hits = 0;
	int bad = 0;

	RTE_SET_USED(state);
	f = make_fdb(MILLION, NULL);
	if (f == NULL)
		print_error("fdb_create: %s\n", rte_strerror(rte_errno));
	assert_non_null(f);
	for (i = 0; i < MILLION; i++) {
		million_key(i, &vni, &mac);
		bad |= fdb_learn(f, vni, &mac, fdb_dest_remote(i), 0) != FDB_LEARN_NEW;
	}
	assert_int_equal(bad, 0);
	fdb_stats_get(f, &s);
	assert_int_equal(s.entries, MILLION);
	assert_int_equal(s.full_hits, 0);

	for (i = 0; i < MILLION; i += FDB_BULK_MAX) {
		for (j = 0; j < FDB_BULK_MAX; j++) {
			million_key(i + j, &vni, &mac);
			fdb_key_set(&keys[j], vni, &mac);
			kp[j] = &keys[j];
		}
		hits += fdb_lookup_bulk(f, kp, FDB_BULK_MAX, res);
		for (j = 0; j < FDB_BULK_MAX; j++)
			bad |= res[j].dest != fdb_dest_remote(i + j);
	}
	assert_int_equal(hits, MILLION);
	assert_int_equal(bad, 0);

	million_key(MILLION, &vni, &mac);
	assert_int_equal(fdb_learn(f, vni, &mac, fdb_dest_remote(0), 0), -ENOSPC);

	for (i = 0; i < MILLION; i++) {
		million_key(i, &vni, &mac);
		bad |= fdb_del(f, vni, &mac) != 0;
	}
	assert_int_equal(bad, 0);
	fdb_stats_get(f, &s);
	assert_int_equal(s.entries, 0);
	million_key(12345, &vni, &mac);
	assert_int_equal(lookup(f, vni, &mac, NULL), 0);
	assert_int_equal(n_removals, MILLION + 0u);
	fdb_free(f);
}

#define FDB_UNIT(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

#define FDB_COMMON_TESTS \
	FDB_UNIT(test_add_lookup_delete), \
	FDB_UNIT(test_bulk_lookup_mixed_hits), \
	FDB_UNIT(test_learn_new), \
	FDB_UNIT(test_learn_refresh), \
	FDB_UNIT(test_learn_move), \
	FDB_UNIT(test_learn_ignores_static_flag), \
	FDB_UNIT(test_static_wins_over_learning), \
	FDB_UNIT(test_static_replaces_learned), \
	FDB_UNIT(test_static_replaces_static), \
	FDB_UNIT(test_mac_limit_per_vni), \
	FDB_UNIT(test_table_full), \
	FDB_UNIT(test_deleted_slots_are_reused), \
	FDB_UNIT(test_invalid_input), \
	FDB_UNIT(test_create_rejects_bad_params), \
	FDB_UNIT(test_flush_by_vni), \
	FDB_UNIT(test_flush_all), \
	FDB_UNIT(test_age_at_right_second), \
	FDB_UNIT(test_age_budget_by_time), \
	FDB_UNIT(test_age_per_vni_and_default), \
	FDB_UNIT(test_touch_keeps_entry_alive), \
	FDB_UNIT(test_age_zero_never_ages), \
	FDB_UNIT(test_static_never_ages), \
	FDB_UNIT(test_age_time_sliced), \
	FDB_UNIT(test_walk), \
	FDB_UNIT(test_walk_stops_early), \
	FDB_UNIT(test_stats), \
	FDB_UNIT(test_vni_count), \
	FDB_UNIT(test_learn_ring_round_trip), \
	FDB_UNIT(test_concurrent_readers)

int
main(void)
{
	const struct CMUnitTest default_hash[] = {
		FDB_COMMON_TESTS,
		/* A constant hash makes every insert walk one chain: not at 1M. */
		FDB_UNIT(test_million_entries),
	};
	const struct CMUnitTest constant_hash[] = {
		FDB_COMMON_TESTS,
	};
	size_t sz;
	int fails;

	test_eal_init();
	sz = rte_rcu_qsbr_get_memsize(MAX_READERS);
	qsbr = rte_zmalloc("test_fdb_qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (qsbr == NULL || rte_rcu_qsbr_init(qsbr, MAX_READERS) != 0) {
		fprintf(stderr, "qsbr: %s\n", rte_strerror(rte_errno));
		return 2;
	}
	fails = cmocka_run_group_tests_name("fdb, default hash", default_hash,
					    group_default_hash, NULL);
	fails += cmocka_run_group_tests_name("fdb, constant hash", constant_hash,
					     group_constant_hash, NULL);
	rte_free(qsbr);
	return fails;
}
