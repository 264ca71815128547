/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_debug.h>
#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_hash.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring_elem.h>

#include "fdb.h"
#include "fdb_private.h"

/* Smallest VNI table: grows by doubling, never shrinks. */
#define FDB_VNI_TAB_MIN_BITS 6

static inline bool
fdb_vni_valid(uint32_t vni)
{
	return vni != 0 && vni <= FDB_VNI_MAX;
}

static inline bool
fdb_mac_valid(const struct rte_ether_addr *mac)
{
	/* The group bit covers broadcast too. */
	return mac != NULL && rte_is_unicast_ether_addr(mac) && !rte_is_zero_ether_addr(mac);
}

static inline bool
fdb_kind_valid(uint64_t dest)
{
	enum fdb_kind k = fdb_dest_kind(dest);

	return k == FDB_KIND_REMOTE || k == FDB_KIND_LOCAL || k == FDB_KIND_MAC;
}

static inline bool
fdb_is_static(uint64_t dest)
{
	return (fdb_dest_flags(dest) & FDB_F_STATIC) != 0;
}

/*
 * The VNI table.
 */

static inline uint32_t
fdb_vni_home(const struct fdb_vni_tab *t, uint32_t vni)
{
	/* Fibonacci hashing: the top bits of the product mix all of vni. */
	return (uint32_t)(vni * 0x9e3779b1u) >> (32 - t->bits);
}

static inline uint32_t
fdb_vni_mask(const struct fdb_vni_tab *t)
{
	return (UINT32_C(1) << t->bits) - 1;
}

static int
fdb_vni_tab_init(struct fdb_vni_tab *t, uint32_t bits)
{
	t->b = calloc((size_t)1 << bits, sizeof(*t->b));
	if (t->b == NULL)
		return -ENOMEM;
	t->bits = bits;
	t->used = 0;
	return 0;
}

static struct fdb_vni *
fdb_vni_find(const struct fdb *fdb, uint32_t vni)
{
	const struct fdb_vni_tab *t = &fdb->vnis;
	uint32_t mask = fdb_vni_mask(t);
	uint32_t i;

	/* The table is at most half full, so an empty bucket ends the probe. */
	for (i = fdb_vni_home(t, vni); t->b[i].vni != 0; i = (i + 1) & mask)
		if (t->b[i].vni == vni)
			return &t->b[i];
	return NULL;
}

static struct fdb_vni *
fdb_vni_slot_for(struct fdb_vni_tab *t, uint32_t vni)
{
	uint32_t mask = fdb_vni_mask(t);
	uint32_t i;

	for (i = fdb_vni_home(t, vni); t->b[i].vni != 0; i = (i + 1) & mask)
		;
	return &t->b[i];
}

static int
fdb_vni_grow(struct fdb_vni_tab *t)
{
	struct fdb_vni_tab n;
	uint32_t i;

	if (fdb_vni_tab_init(&n, t->bits + 1) != 0)
		return -ENOMEM;
	for (i = 0; i <= fdb_vni_mask(t); i++)
		if (t->b[i].vni != 0)
			*fdb_vni_slot_for(&n, t->b[i].vni) = t->b[i];
	n.used = t->used;
	free(t->b);
	*t = n;
	return 0;
}

/* The state of @p vni, created with the defaults when missing; NULL on ENOMEM. */
static struct fdb_vni *
fdb_vni_get(struct fdb *fdb, uint32_t vni)
{
	struct fdb_vni_tab *t = &fdb->vnis;
	struct fdb_vni *v = fdb_vni_find(fdb, vni);

	if (v != NULL)
		return v;
	if ((t->used + 1) * 2 > (UINT32_C(1) << t->bits) && fdb_vni_grow(t) != 0)
		return NULL;
	v = fdb_vni_slot_for(t, vni);
	memset(v, 0, sizeof(*v));
	v->vni = vni;
	t->used++;
	return v;
}

/*
 * Drop the state of a VNI that neither holds entries nor was configured, so
 * that VNIs seen once do not pile up. Backward-shift deletion keeps every
 * probe sequence unbroken without tombstones; it moves other buckets, so no
 * pointer into the table survives this call.
 */
static void
fdb_vni_put(struct fdb *fdb, struct fdb_vni *v)
{
	struct fdb_vni_tab *t = &fdb->vnis;
	uint32_t mask = fdb_vni_mask(t);
	uint32_t hole, j, home;

	if (v->configured || v->total != 0)
		return;
	hole = (uint32_t)(v - t->b);
	for (j = (hole + 1) & mask; t->b[j].vni != 0; j = (j + 1) & mask) {
		home = fdb_vni_home(t, t->b[j].vni);
		/* Move j into the hole unless its home lies cyclically in (hole, j]. */
		if (((j - home) & mask) >= ((j - hole) & mask)) {
			t->b[hole] = t->b[j];
			hole = j;
		}
	}
	memset(&t->b[hole], 0, sizeof(t->b[hole]));
	t->used--;
}

static uint32_t
fdb_vni_age(const struct fdb *fdb, uint32_t vni)
{
	const struct fdb_vni *v = fdb_vni_find(fdb, vni);

	return v != NULL && v->configured ? v->age_s : fdb->default_age;
}

/*
 * Creation.
 */

struct fdb *
fdb_create(const struct fdb_params *p)
{
	struct rte_hash_parameters hp;
	struct rte_hash_rcu_config rc;
	struct fdb *fdb;
	uint64_t entries;
	int32_t max_id;
	int err;

	if (p == NULL || p->name == NULL || p->qsbr == NULL || p->capacity == 0 ||
	    strnlen(p->name, FDB_NAME_MAX + 1) > FDB_NAME_MAX) {
		rte_errno = EINVAL;
		return NULL;
	}
	/*
	 * Deleted positions wait in the RCU defer queue until readers pass a
	 * quiescent state. The slack keeps a table at its capacity able to
	 * take a new entry right after a delete; the capacity itself is
	 * enforced by count, so "full" means the same with or without readers.
	 */
	entries = (uint64_t)p->capacity + RTE_MAX(p->capacity / 64, 64u);
	if (entries > RTE_HASH_ENTRIES_MAX) {
		rte_errno = EINVAL;
		return NULL;
	}

	fdb = rte_zmalloc_socket("fdb", sizeof(*fdb), RTE_CACHE_LINE_SIZE, p->socket_id);
	if (fdb == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}

	memset(&hp, 0, sizeof(hp));
	hp.name = p->name;
	hp.entries = (uint32_t)entries;
	hp.key_len = sizeof(struct fdb_key);
	hp.hash_func = p->hash_func;
	hp.socket_id = p->socket_id;
	/*
	 * Lock-free readers; extendable buckets so that the table reaches its
	 * capacity whatever the key distribution (even a constant hash).
	 */
	hp.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF | RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
	rte_errno = 0;
	fdb->h = rte_hash_create(&hp);
	if (fdb->h == NULL) {
		err = rte_errno == EEXIST ? EEXIST : ENOMEM;
		goto fail;
	}

	memset(&rc, 0, sizeof(rc));
	rc.v = p->qsbr;
	rc.mode = RTE_HASH_QSBR_MODE_DQ;
	rc.trigger_reclaim_limit = FDB_DQ_RECLAIM_THD;
	rc.max_reclaim_size = FDB_DQ_RECLAIM_MAX;
	rte_errno = 0;
	/* Returns 1, not a negative errno, on failure in 22.11. */
	if (rte_hash_rcu_qsbr_add(fdb->h, &rc) != 0) {
		err = rte_errno == EEXIST ? EEXIST : ENOMEM;
		goto fail;
	}

	max_id = rte_hash_max_key_id(fdb->h);
	if (max_id < 0) {
		err = EINVAL;
		goto fail;
	}
	fdb->nslots = (uint32_t)max_id + 1;
	fdb->ent = rte_zmalloc_socket("fdb_entries", (size_t)fdb->nslots * sizeof(*fdb->ent),
				      RTE_CACHE_LINE_SIZE, p->socket_id);
	if (fdb->ent == NULL) {
		err = ENOMEM;
		goto fail;
	}
	if (fdb_vni_tab_init(&fdb->vnis, FDB_VNI_TAB_MIN_BITS) != 0) {
		err = ENOMEM;
		goto fail;
	}

	fdb->qsbr = p->qsbr;
	fdb->capacity = p->capacity;
	fdb->default_age = FDB_DEFAULT_AGE_S;
	fdb->on_remove = p->on_remove;
	fdb->arg = p->arg;
	return fdb;

fail:
	fdb_free(fdb);
	rte_errno = err;
	return NULL;
}

void
fdb_free(struct fdb *fdb)
{
	if (fdb == NULL)
		return;
	rte_hash_free(fdb->h);
	rte_free(fdb->ent);
	free(fdb->vnis.b);
	rte_free(fdb);
}

/*
 * Readers.
 */

unsigned
fdb_lookup_bulk(const struct fdb *fdb, const struct fdb_key *const *keys, unsigned n,
		struct fdb_result *res)
{
	int32_t pos[FDB_BULK_MAX];
	unsigned hits = 0;
	unsigned done, m, i;

	for (done = 0; done < n; done += m) {
		m = RTE_MIN(n - done, (unsigned)FDB_BULK_MAX);
		/* rte_hash wants non-const pointers to the keys; it only reads them. */
		if (rte_hash_lookup_bulk(fdb->h, (const void **)(uintptr_t)(keys + done), m,
					 pos) != 0) {
			for (i = 0; i < m; i++)
				pos[i] = -ENOENT;
		}
		/* All entry misses in flight at once, then the loads. */
		for (i = 0; i < m; i++)
			if (pos[i] >= 0)
				rte_prefetch0(&fdb->ent[pos[i]]);
		for (i = 0; i < m; i++) {
			struct fdb_result *r = &res[done + i];
			uint64_t d = 0;

			/* Acquire pairs with the writer's release: whatever the
			 * caller published before storing this destination (its
			 * remote table entry, say) is visible now.
			 */
			if (pos[i] >= 0)
				d = __atomic_load_n(&fdb->ent[pos[i]].dest, __ATOMIC_ACQUIRE);
			r->dest = d;
			r->slot = d != 0 ? pos[i] : -1;
			hits += d != 0;
		}
	}
	return hits;
}

void
fdb_touch(const struct fdb *fdb, int32_t slot, uint32_t now)
{
	uint32_t *ls;

	if (unlikely(slot < 0 || (uint32_t)slot >= fdb->nslots))
		return;
	ls = &fdb->ent[slot].last_seen;
	/* Read first: a store per packet would bounce the line between cores. */
	if (__atomic_load_n(ls, __ATOMIC_RELAXED) != now)
		__atomic_store_n(ls, now, __ATOMIC_RELAXED);
}

/*
 * Writer.
 */

int
fdb_vni_set(struct fdb *fdb, uint32_t vni, uint32_t mac_limit, uint32_t age_s)
{
	struct fdb_vni *v;

	if (vni > FDB_VNI_MAX)
		return -EINVAL;
	if (vni == 0) {
		fdb->default_age = age_s;
		return 0;
	}
	v = fdb_vni_get(fdb, vni);
	if (v == NULL)
		return -ENOMEM;
	v->configured = true;
	v->mac_limit = mac_limit;
	v->age_s = age_s;
	return 0;
}

/* Insert a key known to be absent. */
static int
fdb_insert(struct fdb *fdb, const struct fdb_key *key, uint64_t dest, uint32_t now)
{
	bool is_static = fdb_is_static(dest);
	struct fdb_entry *e;
	struct fdb_vni *v;
	int32_t pos;

	if (fdb->st.entries >= fdb->capacity) {
		fdb->st.full_hits++;
		return -ENOSPC;
	}
	v = fdb_vni_get(fdb, key->vni);
	if (v == NULL)
		return -ENOMEM;
	pos = rte_hash_add_key(fdb->h, key);
	if (pos == -ENOSPC) {
		/*
		 * Below capacity, yet every spare position (or extendable
		 * bucket) waits for a grace period: a reader was slow to report
		 * quiescence. Wait for one, so that the capacity holds; the
		 * retry reclaims from the defer queue. Workers report every
		 * loop, so this is short, and it is the writer that waits.
		 */
		rte_rcu_qsbr_synchronize(fdb->qsbr, RTE_QSBR_THRID_INVALID);
		pos = rte_hash_add_key(fdb->h, key);
	}
	if (pos < 0) {
		fdb->st.full_hits++;
		fdb_vni_put(fdb, v);
		return -ENOSPC;
	}
	/*
	 * The key is already visible to readers, but its dest is still the 0
	 * stored when the position was last freed: they get a miss until the
	 * release below publishes the fully written entry.
	 */
	e = &fdb->ent[pos];
	e->key = *key;
	__atomic_store_n(&e->last_seen, now, __ATOMIC_RELAXED);
	__atomic_store_n(&e->dest, dest, __ATOMIC_RELEASE);

	v->total++;
	fdb->st.entries++;
	if (is_static) {
		fdb->st.statics++;
	} else {
		v->learned++;
		fdb->st.learned++;
	}
	return 0;
}

/* Remove the live entry at @p slot; the caller has counted why. */
static void
fdb_remove_slot(struct fdb *fdb, uint32_t slot)
{
	struct fdb_entry *e = &fdb->ent[slot];
	uint64_t old = __atomic_load_n(&e->dest, __ATOMIC_RELAXED);
	struct fdb_key key = e->key;
	struct fdb_vni *v;
	int32_t ret;

	/*
	 * Readers that found the key before the delete read a miss from here
	 * on; the position itself is reused only after they all report a
	 * quiescent state (the hash's defer queue), so they never read
	 * another key's entry through it.
	 */
	__atomic_store_n(&e->dest, 0, __ATOMIC_RELEASE);
	ret = rte_hash_del_key(fdb->h, &key);
	RTE_VERIFY(ret == (int32_t)slot);

	fdb->st.entries--;
	v = fdb_vni_find(fdb, key.vni);
	RTE_VERIFY(v != NULL);
	v->total--;
	if (fdb_is_static(old)) {
		fdb->st.statics--;
	} else {
		fdb->st.learned--;
		v->learned--;
	}
	fdb_vni_put(fdb, v);

	if (fdb->on_remove != NULL)
		fdb->on_remove(fdb->arg, key.vni, &key.mac, old);
}

int
fdb_add_static(struct fdb *fdb, uint32_t vni, const struct rte_ether_addr *mac, uint64_t dest)
{
	struct fdb_entry *e;
	struct fdb_key key;
	struct fdb_vni *v;
	uint64_t old;
	int32_t pos;

	if (!fdb_vni_valid(vni) || !fdb_mac_valid(mac) || !fdb_kind_valid(dest))
		return -EINVAL;
	dest = fdb_dest_where(dest) | ((uint64_t)FDB_F_STATIC << 8);
	fdb_key_set(&key, vni, mac);

	pos = rte_hash_lookup(fdb->h, &key);
	if (pos < 0)
		return fdb_insert(fdb, &key, dest, 0);

	e = &fdb->ent[pos];
	old = __atomic_load_n(&e->dest, __ATOMIC_RELAXED);
	if (old == dest)
		return 0;
	if (!fdb_is_static(old)) {
		/* Configuration overrides what was learned. */
		v = fdb_vni_find(fdb, vni);
		RTE_VERIFY(v != NULL);
		v->learned--;
		fdb->st.learned--;
		fdb->st.statics++;
	}
	__atomic_store_n(&e->dest, dest, __ATOMIC_RELEASE);
	if (fdb_dest_where(old) != fdb_dest_where(dest) && fdb->on_remove != NULL)
		fdb->on_remove(fdb->arg, vni, mac, old);
	return 0;
}

int
fdb_learn(struct fdb *fdb, uint32_t vni, const struct rte_ether_addr *mac, uint64_t dest,
	  uint32_t now)
{
	const struct fdb_vni *v;
	struct fdb_entry *e;
	struct fdb_key key;
	uint64_t old;
	int32_t pos;
	int ret;

	if (!fdb_vni_valid(vni) || !fdb_mac_valid(mac) || !fdb_kind_valid(dest))
		return -EINVAL;
	/* Learned entries carry no flags: FDB_F_STATIC is configuration's. */
	dest = fdb_dest_where(dest);
	fdb_key_set(&key, vni, mac);

	pos = rte_hash_lookup(fdb->h, &key);
	if (pos >= 0) {
		e = &fdb->ent[pos];
		old = __atomic_load_n(&e->dest, __ATOMIC_RELAXED);
		if (fdb_is_static(old)) {
			fdb->st.static_wins++;
			return -EPERM;
		}
		__atomic_store_n(&e->last_seen, now, __ATOMIC_RELAXED);
		if (old == dest)
			return FDB_LEARN_REFRESH;
		__atomic_store_n(&e->dest, dest, __ATOMIC_RELEASE);
		fdb->st.moves++;
		if (fdb->on_remove != NULL)
			fdb->on_remove(fdb->arg, vni, mac, old);
		return FDB_LEARN_MOVE;
	}

	v = fdb_vni_find(fdb, vni);
	if (v != NULL && v->configured && v->mac_limit != 0 && v->learned >= v->mac_limit) {
		fdb->st.limit_hits++;
		return -EDQUOT;
	}
	ret = fdb_insert(fdb, &key, dest, now);
	return ret < 0 ? ret : FDB_LEARN_NEW;
}

int
fdb_del(struct fdb *fdb, uint32_t vni, const struct rte_ether_addr *mac)
{
	struct fdb_key key;
	int32_t pos;

	if (mac == NULL)
		return -EINVAL;
	if (!fdb_vni_valid(vni))
		return -ENOENT;
	fdb_key_set(&key, vni, mac);
	pos = rte_hash_lookup(fdb->h, &key);
	if (pos < 0)
		return -ENOENT;
	fdb_remove_slot(fdb, (uint32_t)pos);
	return 0;
}

unsigned
fdb_flush(struct fdb *fdb, uint32_t vni, unsigned what)
{
	const struct fdb_vni *v;
	uint64_t learned, statics, left;
	unsigned n = 0;
	uint32_t i;

	if (vni == FDB_VNI_ANY) {
		learned = fdb->st.learned;
		statics = fdb->st.statics;
	} else {
		v = fdb_vni_find(fdb, vni);
		if (v == NULL)
			return 0;
		learned = v->learned;
		statics = v->total - v->learned;
	}
	/* Counting what is selected lets a small VNI's flush stop early. */
	left = ((what & FDB_FLUSH_LEARNED) ? learned : 0) + ((what & FDB_FLUSH_STATIC) ? statics : 0);

	for (i = 0; i < fdb->nslots && left > 0; i++) {
		const struct fdb_entry *e = &fdb->ent[i];
		uint64_t d = __atomic_load_n(&e->dest, __ATOMIC_RELAXED);

		if (d == 0 || (vni != FDB_VNI_ANY && e->key.vni != vni))
			continue;
		if (!(what & (fdb_is_static(d) ? FDB_FLUSH_STATIC : FDB_FLUSH_LEARNED)))
			continue;
		fdb_remove_slot(fdb, i);
		n++;
		left--;
	}
	return n;
}

unsigned
fdb_age(struct fdb *fdb, uint32_t now, unsigned budget)
{
	uint32_t slot = fdb->age_cursor;
	unsigned removed = 0;
	unsigned visited;

	/* Each position at most once per call, however large the budget. */
	budget = RTE_MIN(budget, fdb->nslots);
	for (visited = 0; visited < budget; visited++) {
		const struct fdb_entry *e = &fdb->ent[slot];
		uint64_t d = __atomic_load_n(&e->dest, __ATOMIC_RELAXED);

		if (d != 0 && !fdb_is_static(d)) {
			uint32_t age = fdb_vni_age(fdb, e->key.vni);
			uint32_t seen = __atomic_load_n(&e->last_seen, __ATOMIC_RELAXED);

			/* Stamps are whole seconds (floor): an entry stamped
			 * "seen" may have been refreshed up to 1 s later, so it
			 * goes only once seen + age has fully passed, never
			 * early. 64-bit sum: seen + age must not wrap past now. */
			if (age != 0 && (uint64_t)seen + age < now) {
				fdb->st.aged++;
				fdb_remove_slot(fdb, slot);
				removed++;
			}
		}
		if (++slot == fdb->nslots)
			slot = 0;
	}
	fdb->age_cursor = slot;
	return removed;
}

unsigned
fdb_age_budget(const struct fdb *fdb, uint64_t elapsed_ms, uint32_t period_ms, uint64_t *carry)
{
	uint64_t owed, budget;

	if (period_ms == 0)
		return fdb->nslots;
	/* A long pause (a stopped process, a huge step) owes one sweep. */
	if (elapsed_ms > period_ms)
		elapsed_ms = period_ms;
	owed = *carry + elapsed_ms * fdb->nslots;
	budget = owed / period_ms;
	if (budget >= fdb->nslots) {
		*carry = 0;
		return fdb->nslots;
	}
	*carry = owed - budget * period_ms;
	return (unsigned)budget;
}

int
fdb_walk(const struct fdb *fdb, int (*cb)(void *arg, const struct fdb_entry_info *e), void *arg)
{
	struct fdb_entry_info info;
	uint32_t i;
	int ret;

	for (i = 0; i < fdb->nslots; i++) {
		const struct fdb_entry *e = &fdb->ent[i];
		uint64_t d = __atomic_load_n(&e->dest, __ATOMIC_RELAXED);

		if (d == 0)
			continue;
		memset(&info, 0, sizeof(info));
		info.vni = e->key.vni;
		info.mac = e->key.mac;
		info.dest = d;
		info.last_seen = __atomic_load_n(&e->last_seen, __ATOMIC_RELAXED);
		ret = cb(arg, &info);
		if (ret != 0)
			return ret;
	}
	return 0;
}

void
fdb_stats_get(const struct fdb *fdb, struct fdb_stats *s)
{
	*s = fdb->st;
}

static const struct {
	const char *name, *help;
	bool counter;
	size_t off;
} stat_info[] = {
#define FDB_STAT(e, field, name, counter, help) \
	[FDB_STAT_##e] = { name, help, counter, offsetof(struct fdb_stats, field) },
#include "fdb_stats.def"
#undef FDB_STAT
};

const char *
fdb_stat_name(enum fdb_stat i)
{
	return (unsigned)i < FDB_STAT_MAX ? stat_info[i].name : "?";
}

const char *
fdb_stat_help(enum fdb_stat i)
{
	return (unsigned)i < FDB_STAT_MAX ? stat_info[i].help : "?";
}

bool
fdb_stat_is_counter(enum fdb_stat i)
{
	return (unsigned)i < FDB_STAT_MAX && stat_info[i].counter;
}

uint64_t
fdb_stat_value(const struct fdb_stats *s, enum fdb_stat i)
{
	uint64_t v;

	if ((unsigned)i >= FDB_STAT_MAX)
		return 0;
	memcpy(&v, (const char *)s + stat_info[i].off, sizeof(v));
	return v;
}

uint32_t
fdb_vni_count(const struct fdb *fdb, uint32_t vni)
{
	const struct fdb_vni *v;

	if (!fdb_vni_valid(vni))
		return 0;
	v = fdb_vni_find(fdb, vni);
	return v != NULL ? v->total : 0;
}

uint32_t
fdb_vni_learned(const struct fdb *fdb, uint32_t vni)
{
	const struct fdb_vni *v;

	if (!fdb_vni_valid(vni))
		return 0;
	v = fdb_vni_find(fdb, vni);
	return v != NULL ? v->learned : 0;
}

struct rte_ring *
fdb_learn_ring_create(const char *name, unsigned size, int socket_id)
{
	if (name == NULL) {
		rte_errno = EINVAL;
		return NULL;
	}
	/* Any worker posts; only the writer takes. */
	return rte_ring_create_elem(name, sizeof(struct fdb_learn_event), size, socket_id,
				    RING_F_SC_DEQ);
}
