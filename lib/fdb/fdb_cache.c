/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A per-reader cache in front of the FDB. A hit costs one load of the cache
 * line and one of the table entry it names, instead of a hash lookup: for
 * the learning check and the destination of every frame.
 *
 * Why a hit can be trusted: the entry is checked in the table with an
 * acquire load of its destination, then its key. The writer writes the key
 * of a reused slot before it publishes the destination with release, and
 * zeroes the destination before a delete; a slot is reused only after a
 * grace period, which this reader cannot complete between the two loads.
 * So a matching (destination, key) pair is the entry as it is now, or as
 * it was an instant ago, never another key's.
 */
#include <errno.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include "fdb_private.h"

struct fdb_cache_ent {
	struct fdb_key key;
	uint64_t dest;   /* 0: empty */
	int32_t slot;
	uint32_t pad;
};

_Static_assert(sizeof(struct fdb_cache_ent) == 32, "two cache entries per line");

struct fdb_cache {
	uint32_t mask;
	struct fdb_cache_ent e[] __rte_cache_aligned;
};

struct fdb_cache *
fdb_cache_create(unsigned entries, int socket_id)
{
	struct fdb_cache *c;
	uint32_t n;

	if (entries == 0 || entries > (1u << 24)) {
		rte_errno = EINVAL;
		return NULL;
	}
	n = rte_align32pow2(entries);
	c = rte_zmalloc_socket("fdb_cache", sizeof(*c) + n * sizeof(c->e[0]),
			       RTE_CACHE_LINE_SIZE, socket_id);
	if (c == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	c->mask = n - 1;
	return c;
}

void
fdb_cache_free(struct fdb_cache *c)
{
	rte_free(c);
}

static inline uint32_t
cache_index(const struct fdb_cache *c, const struct fdb_key *k)
{
	uint64_t w[2];

	memcpy(w, k, sizeof(w));
	return rte_hash_crc_8byte(w[1], rte_hash_crc_8byte(w[0], 0)) & c->mask;
}

static inline bool
key_eq(const struct fdb_key *a, const struct fdb_key *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

unsigned
fdb_lookup_cached(const struct fdb *fdb, struct fdb_cache *c,
		  const struct fdb_key *const *keys, unsigned n, struct fdb_result *res)
{
	const struct fdb_key *miss_key[FDB_BULK_MAX];
	struct fdb_result miss_res[FDB_BULK_MAX];
	uint32_t idx[FDB_BULK_MAX];
	uint8_t miss_at[FDB_BULK_MAX];
	unsigned done, m, i, nm, hits = 0;

	for (done = 0; done < n; done += m) {
		m = RTE_MIN(n - done, (unsigned)FDB_BULK_MAX);
		for (i = 0; i < m; i++) {
			idx[i] = cache_index(c, keys[done + i]);
			rte_prefetch0(&c->e[idx[i]]);
		}
		nm = 0;
		for (i = 0; i < m; i++) {
			const struct fdb_cache_ent *ce = &c->e[idx[i]];
			struct fdb_result *r = &res[done + i];

			if (ce->dest != 0 && key_eq(&ce->key, keys[done + i])) {
				const struct fdb_entry *e = &fdb->ent[ce->slot];
				uint64_t d = __atomic_load_n(&e->dest, __ATOMIC_ACQUIRE);

				if (d == ce->dest && key_eq(&e->key, keys[done + i])) {
					r->dest = d;
					r->slot = ce->slot;
					hits++;
					continue;
				}
			}
			miss_key[nm] = keys[done + i];
			miss_at[nm++] = (uint8_t)i;
		}
		if (nm == 0)
			continue;
		hits += fdb_lookup_bulk(fdb, miss_key, nm, miss_res);
		for (i = 0; i < nm; i++) {
			struct fdb_cache_ent *ce = &c->e[idx[miss_at[i]]];

			res[done + miss_at[i]] = miss_res[i];
			if (miss_res[i].dest != 0) {
				ce->key = *miss_key[i];
				ce->dest = miss_res[i].dest;
				ce->slot = miss_res[i].slot;
			} else if (key_eq(&ce->key, miss_key[i])) {
				ce->dest = 0;
			}
		}
	}
	return hits;
}
