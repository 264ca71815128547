/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of the per-reader FDB cache: fdb_lookup_cached() must return what
 * fdb_lookup_bulk() returns, through moves, deletes and slot reuse, with the
 * default hash and with a constant one, and under a concurrent writer.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "fdb.h"
#include "test_eal.h"

#define CAP 64
#define KEYS 96       /* more keys than capacity: churn reuses slots */
#define VNI 100

static struct rte_rcu_qsbr *qsbr;
static rte_hash_function hash_fn;

static uint32_t
hash_zero(const void *key, uint32_t len, uint32_t init)
{
	RTE_SET_USED(key);
	RTE_SET_USED(len);
	RTE_SET_USED(init);
	return 0;
}

static struct rte_ether_addr
mac_of(uint32_t i)
{
	struct rte_ether_addr m = {
		.addr_bytes = { 0x02, 0x00, 0x00, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i },
	};
	return m;
}

static struct fdb *
table(const char *name, uint32_t cap)
{
	struct fdb_params p = {
		.name = name, .capacity = cap, .socket_id = 0, .qsbr = qsbr,
		.hash_func = hash_fn,
	};
	struct fdb *f = fdb_create(&p);

	assert_non_null(f);
	return f;
}

static uint64_t
lookup_one(const struct fdb *f, struct fdb_cache *c, uint32_t key_id, int32_t *slot)
{
	struct rte_ether_addr mac = mac_of(key_id);
	struct fdb_key k;
	const struct fdb_key *kp = &k;
	struct fdb_result r;

	fdb_key_set(&k, VNI, &mac);
	if (c != NULL)
		fdb_lookup_cached(f, c, &kp, 1, &r);
	else
		fdb_lookup_bulk(f, &kp, 1, &r);
	if (slot != NULL)
		*slot = r.slot;
	return r.dest;
}

static void
test_cache_hit_returns_table_result(void **state)
{
	struct fdb *f = table("fc_hit", CAP);
	struct fdb_cache *c = fdb_cache_create(16, 0);
	struct rte_ether_addr mac = mac_of(1);
	int32_t s1, s2;

	(void)state;
	assert_non_null(c);
	assert_int_equal(lookup_one(f, c, 1, NULL), 0);
	assert_int_equal(fdb_add_static(f, VNI, &mac, fdb_dest_remote(7)), 0);
	/* The miss above must not have cached an absence. */
	assert_int_equal(fdb_dest_where(lookup_one(f, c, 1, &s1)), fdb_dest_remote(7));
	assert_int_equal(fdb_dest_where(lookup_one(f, c, 1, &s2)), fdb_dest_remote(7));
	assert_int_equal(s1, s2);
	assert_true(s1 >= 0);
	fdb_cache_free(c);
	fdb_free(f);
}

static void
test_cache_sees_move(void **state)
{
	struct fdb *f = table("fc_move", CAP);
	struct fdb_cache *c = fdb_cache_create(16, 0);
	struct rte_ether_addr mac = mac_of(2);

	(void)state;
	assert_int_equal(fdb_learn(f, VNI, &mac, fdb_dest_remote(1), 0), FDB_LEARN_NEW);
	assert_int_equal(lookup_one(f, c, 2, NULL), fdb_dest_remote(1));
	assert_int_equal(fdb_learn(f, VNI, &mac, fdb_dest_local(3, 10), 1), FDB_LEARN_MOVE);
	assert_int_equal(lookup_one(f, c, 2, NULL), fdb_dest_local(3, 10));
	fdb_cache_free(c);
	fdb_free(f);
}

static void
test_cache_sees_delete(void **state)
{
	struct fdb *f = table("fc_del", CAP);
	struct fdb_cache *c = fdb_cache_create(16, 0);
	struct rte_ether_addr mac = mac_of(3);

	(void)state;
	assert_int_equal(fdb_learn(f, VNI, &mac, fdb_dest_remote(1), 0), FDB_LEARN_NEW);
	assert_int_equal(lookup_one(f, c, 3, NULL), fdb_dest_remote(1));
	assert_int_equal(fdb_del(f, VNI, &mac), 0);
	assert_int_equal(lookup_one(f, c, 3, NULL), 0);
	fdb_cache_free(c);
	fdb_free(f);
}

/*
 * Differential: a long random sequence of learns, moves, deletes and
 * flushes over more keys than the table holds, so slots are reused by other
 * keys with the same destinations; after each step, a few keys looked up
 * through the cache give what the table gives.
 */
static void
test_cache_matches_table_under_churn(void **state)
{
	struct fdb *f = table("fc_churn", CAP);
	/* Room for every key, and sparse checks below: cached entries outlive
	 * the deletes and slot reuses that a check must then see through. */
	struct fdb_cache *c = fdb_cache_create(4 * KEYS, 0);
	unsigned step, k, reused = 0;
	int32_t first_slot[KEYS];

	(void)state;
	srand(42);
	for (k = 0; k < KEYS; k++)
		first_slot[k] = -1;
	for (step = 0; step < 20000; step++) {
		uint32_t id = (uint32_t)rand() % KEYS;
		struct rte_ether_addr mac = mac_of(id);
		/* Few destinations, so reused slots often carry the same one. */
		uint64_t dest = fdb_dest_remote((uint32_t)rand() % 3);

		switch (rand() % 4) {
		case 0:
		case 1:
			fdb_learn(f, VNI, &mac, dest, step);
			break;
		case 2:
			fdb_del(f, VNI, &mac);
			break;
		default:
			if (rand() % 50 == 0)
				fdb_flush(f, VNI, FDB_FLUSH_LEARNED);
			break;
		}
		for (k = (unsigned)rand() % 64; k < KEYS; k += 1 + (unsigned)rand() % 64) {
			int32_t sc, st;
			uint64_t want = lookup_one(f, NULL, k, &st);
			uint64_t got = lookup_one(f, c, k, &sc);

			assert_int_equal(got, want);
			if (want != 0) {
				assert_int_equal(sc, st);
				if (first_slot[k] >= 0 && first_slot[k] != st)
					reused++;
				first_slot[k] = st;
			}
		}
	}
	/* The sequence did exercise keys changing slots. */
	assert_true(reused > 100);
	fdb_cache_free(c);
	fdb_free(f);
}

/* Concurrency: readers through their caches while the writer churns. Each
 * key's destinations encode its id, so a result naming another key's id is
 * a stale or foreign slot. */
struct reader {
	struct fdb *f;
	unsigned id;
	volatile bool *stop;
	unsigned long lookups, wrong;
	unsigned long hits;     /* read by the writer while it runs */
};

static uint64_t
dest_for(uint32_t key_id, uint32_t gen)
{
	/* remote id = key id in the low 16 bits, a generation above */
	return fdb_dest_remote((gen << 16) | key_id);
}

static void *
reader_main(void *arg)
{
	struct reader *r = arg;
	struct fdb_cache *c = fdb_cache_create(16, 0);
	cpu_set_t cpus;

	CPU_ZERO(&cpus);
	CPU_SET(1, &cpus);
	pthread_setaffinity_np(pthread_self(), sizeof(cpus), &cpus);
	if (c == NULL || rte_rcu_qsbr_thread_register(qsbr, r->id) != 0)
		return NULL;
	rte_rcu_qsbr_thread_online(qsbr, r->id);
	while (!*r->stop) {
		const struct fdb_key *kp[FDB_BULK_MAX];
		struct fdb_key keys[FDB_BULK_MAX];
		struct fdb_result res[FDB_BULK_MAX];
		unsigned i;

		for (i = 0; i < FDB_BULK_MAX; i++) {
			struct rte_ether_addr mac = mac_of((r->lookups + i) % KEYS);

			fdb_key_set(&keys[i], VNI, &mac);
			kp[i] = &keys[i];
		}
		fdb_lookup_cached(r->f, c, kp, FDB_BULK_MAX, res);
		for (i = 0; i < FDB_BULK_MAX; i++) {
			uint32_t want_id = (uint32_t)((r->lookups + i) % KEYS);

			if (res[i].dest == 0)
				continue;
			__atomic_fetch_add(&r->hits, 1, __ATOMIC_RELAXED);
			if ((fdb_dest_remote_id(res[i].dest) & 0xffff) != want_id)
				r->wrong++;
		}
		r->lookups += FDB_BULK_MAX;
		rte_rcu_qsbr_quiescent(qsbr, r->id);
	}
	rte_rcu_qsbr_thread_offline(qsbr, r->id);
	rte_rcu_qsbr_thread_unregister(qsbr, r->id);
	fdb_cache_free(c);
	return NULL;
}

static void
test_cache_concurrent_readers(void **state)
{
	struct fdb *f = table("fc_conc", CAP);
	volatile bool stop = false;
	struct reader r[2];
	pthread_t t[2];
	struct timespec t0, now;
	uint32_t gen = 0;
	unsigned i;

	(void)state;
	for (i = 0; i < 2; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].f = f;
		r[i].id = i;
		r[i].stop = &stop;
		assert_int_equal(pthread_create(&t[i], NULL, reader_main, &r[i]), 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* Two seconds, and on a loaded machine longer (a minute more at most)
	 * until both readers have looked up enough. */
	do {
		uint32_t id = (uint32_t)rand() % KEYS;
		struct rte_ether_addr mac = mac_of(id);

		if (rand() % 3 == 0)
			fdb_del(f, VNI, &mac);
		else {
			gen++;
			fdb_learn(f, VNI, &mac, dest_for(id, gen & 0x7fff), gen);
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec - t0.tv_sec < 2 ||
		 ((__atomic_load_n(&r[0].hits, __ATOMIC_RELAXED) < 1000 ||
		   __atomic_load_n(&r[1].hits, __ATOMIC_RELAXED) < 1000) &&
		  now.tv_sec - t0.tv_sec < 62));
	stop = true;
	for (i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		assert_true(r[i].lookups > 1000);
		assert_true(r[i].hits >= 1000);
		assert_int_equal(r[i].wrong, 0);
	}
	fdb_free(f);
}

static void
test_cache_create_rejects_bad_size(void **state)
{
	(void)state;
	assert_null(fdb_cache_create(0, 0));
	assert_int_equal(rte_errno, EINVAL);
}

static int
group_default(void **state)
{
	(void)state;
	hash_fn = NULL;
	return 0;
}

static int
group_constant(void **state)
{
	(void)state;
	hash_fn = hash_zero;
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cache_hit_returns_table_result),
		cmocka_unit_test(test_cache_sees_move),
		cmocka_unit_test(test_cache_sees_delete),
		cmocka_unit_test(test_cache_matches_table_under_churn),
		cmocka_unit_test(test_cache_create_rejects_bad_size),
	};
	const struct CMUnitTest conc[] = {
		cmocka_unit_test(test_cache_concurrent_readers),
	};
	size_t sz;
	int rc;

	test_eal_init();
	sz = rte_rcu_qsbr_get_memsize(2);
	qsbr = rte_zmalloc("test_fdb_cache_qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (qsbr == NULL || rte_rcu_qsbr_init(qsbr, 2) != 0)
		return 2;
	rc = cmocka_run_group_tests_name("fdb_cache, default hash", tests, group_default, NULL);
	rc |= cmocka_run_group_tests_name("fdb_cache, constant hash", tests, group_constant, NULL);
	rc |= cmocka_run_group_tests_name("fdb_cache, concurrent", conc, group_default, NULL);
	rte_free(qsbr);
	return rc;
}
