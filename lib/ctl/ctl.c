/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one writer. The running configuration (c->model) is the truth; the
 * data plane (FDB, remotes, VNI counter slots, the published snapshot) is
 * derived from it (ctl_plane.c). A batch edits a copy of it (c->cand);
 * committing validates the copy with lib/conf's rules, applies the
 * difference to the data plane, publishes one snapshot after one grace
 * period and writes the state file (ctl_batch.c). When a step fails, the
 * difference is applied backwards. This file: the clock, calls from other
 * threads, the reading side, the loop and the setup.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include "ctl_private.h"

#define AGE_SWEEP_MS 1000          /* every FDB slot aged once a second */

RTE_LOG_REGISTER_DEFAULT(ctl_logtype, INFO);

static uint64_t
tsc_ms(void *arg)
{
	static uint64_t hz, t0;

	RTE_SET_USED(arg);
	if (hz == 0) {
		hz = rte_get_tsc_hz();
		t0 = rte_rdtsc();
	}
	return (rte_rdtsc() - t0) * 1000 / hz;
}

uint64_t
ctl_ms(const struct ctl *c)
{
	return c->p.clock_ms(c->p.clock_arg);
}

uint32_t
ctl_now(const struct ctl *c)
{
	return (uint32_t)(ctl_ms(c) / 1000);
}

int
ctl_fail(struct conf_err *err, int rc, const char *field, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL) {
		err->line = 0;
		snprintf(err->field, sizeof(err->field), "%s", field != NULL ? field : "");
		va_start(ap, fmt);
		vsnprintf(err->reason, sizeof(err->reason), fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* ---- calls from other threads -------------------------------------------- */

int
ctl_call(struct ctl *c, int (*fn)(struct ctl *c, void *arg), void *arg)
{
	struct ctl_call_req r = { .fn = fn, .arg = arg };

	pthread_mutex_lock(&c->call_lock);
	if (c->calls_shut) {
		pthread_mutex_unlock(&c->call_lock);
		return -ESHUTDOWN;
	}
	*c->calls_tail = &r;
	c->calls_tail = &r.next;
	while (!r.done)
		pthread_cond_wait(&c->call_cond, &c->call_lock);
	pthread_mutex_unlock(&c->call_lock);
	return r.rc;
}

void
ctl_call_shutdown(struct ctl *c)
{
	struct ctl_call_req *r;

	pthread_mutex_lock(&c->call_lock);
	c->calls_shut = true;
	for (r = c->calls; r != NULL; r = r->next) {
		r->rc = -ESHUTDOWN;
		r->done = true;
	}
	c->calls = NULL;
	c->calls_tail = &c->calls;
	pthread_cond_broadcast(&c->call_cond);
	pthread_mutex_unlock(&c->call_lock);
}

/*
 * Run what other threads queued, as one group: every call runs, the state
 * file is written once for all their changes (one fsync, not one each),
 * and only then is any of them answered. When that write fails, the
 * group's changes are undone and each call that changed something fails
 * with -EIO.
 */
static void
calls_run(struct ctl *c)
{
	struct ctl_call_req *r, *head, *next;
	int prc = 0;

	pthread_mutex_lock(&c->call_lock);
	head = c->calls;
	c->calls = NULL;
	c->calls_tail = &c->calls;
	pthread_mutex_unlock(&c->call_lock);
	if (head == NULL)
		return;
	c->group = true;
	for (r = head; r != NULL; r = r->next) {
		uint64_t before = c->ctr[CTL_CHANGES];

		r->rc = r->fn(c, r->arg);
		r->changed = c->ctr[CTL_CHANGES] != before;
		/* A call must not leave a batch open. */
		if (c->cand != NULL)
			ctl_batch_abort(c);
	}
	c->group = false;
	if (c->persist_due) {
		c->persist_due = false;
		prc = ctl_persist(c);
		if (prc != 0 && c->group_saved != NULL) {
			struct conf *now = c->model;

			c->ctr[CTL_PERSIST_ERRORS]++;
			ctl_apply(c, now, c->group_saved);
			c->model = c->group_saved;
			c->group_saved = NULL;
			ctl_refs_recount(c);
			ctl_snap_publish(c);
			conf_free(now);
		}
	}
	conf_free(c->group_saved);
	c->group_saved = NULL;
	for (r = head; r != NULL; r = next) {
		pthread_mutex_lock(&c->call_lock);
		next = r->next;
		if (prc != 0 && r->changed)
			r->rc = -EIO;
		r->done = true;
		pthread_cond_broadcast(&c->call_cond);
		pthread_mutex_unlock(&c->call_lock);
	}
}

/* ---- reading ------------------------------------------------------------- */

struct fdb *
ctl_fdb(const struct ctl *c)
{
	return c->fdb;
}

struct fdb *
ctl_arp(const struct ctl *c)
{
	return c->arp;
}

const struct conf *
ctl_conf(const struct ctl *c)
{
	return c->model;
}

const struct ctl_port *
ctl_ports(const struct ctl *c, unsigned *n)
{
	*n = c->p.n_ports;
	return c->ports;
}

struct walk_arg {
	struct ctl *c;
	uint32_t vni, now;
	int (*cb)(void *arg, const struct ctl_fdb_entry *e);
	void *arg;
};

static int
walk_one(void *arg, const struct fdb_entry_info *i)
{
	struct walk_arg *w = arg;
	struct ctl_fdb_entry e;
	unsigned p;

	if (w->vni != FDB_VNI_ANY && i->vni != w->vni)
		return 0;
	memset(&e, 0, sizeof(e));
	e.vni = i->vni;
	e.mac = i->mac;
	e.is_static = (fdb_dest_flags(i->dest) & FDB_F_STATIC) != 0;
	e.last_seen = i->last_seen;
	e.age = e.is_static || w->now < i->last_seen ? 0 : w->now - i->last_seen;
	if (fdb_dest_kind(i->dest) == FDB_KIND_REMOTE) {
		uint32_t id = fdb_dest_remote_id(i->dest);

		e.is_remote = true;
		if (id < w->c->n_remotes)
			e.remote = w->c->remotes[id].ip;
	} else {
		for (p = 0; p < w->c->p.n_ports; p++)
			if (w->c->ports[p].id == fdb_dest_port(i->dest))
				e.port = w->c->ports[p].name;
		e.vlan = fdb_dest_vlan(i->dest);
	}
	return w->cb(w->arg, &e);
}

int
ctl_fdb_walk(struct ctl *c, uint32_t vni, int (*cb)(void *arg, const struct ctl_fdb_entry *e),
	     void *arg)
{
	struct walk_arg w = { .c = c, .vni = vni, .now = ctl_now(c), .cb = cb, .arg = arg };

	return fdb_walk(c->fdb, walk_one, &w);
}

struct neigh_walk_arg {
	uint32_t vni, now;
	int (*cb)(void *arg, const struct ctl_vni_neigh *n);
	void *arg;
};

static int
neigh_walk_one(void *arg, const struct fdb_entry_info *i)
{
	struct neigh_walk_arg *w = arg;
	struct ctl_vni_neigh n;

	if (i->vni != w->vni)
		return 0;
	memset(&n, 0, sizeof(n));
	n.vni = i->vni;
	n.ip = vtep_ip4(fdb_mac_ip(&i->mac));
	fdb_dest_mac_get(i->dest, &n.mac);
	n.is_static = (fdb_dest_flags(i->dest) & FDB_F_STATIC) != 0;
	n.age = n.is_static || w->now < i->last_seen ? 0 : w->now - i->last_seen;
	return w->cb(w->arg, &n);
}

int
ctl_vni_neigh_walk(struct ctl *c, uint32_t vni,
		   int (*cb)(void *arg, const struct ctl_vni_neigh *n), void *arg)
{
	struct neigh_walk_arg w = { .vni = vni, .now = ctl_now(c), .cb = cb, .arg = arg };
	unsigned i;

	for (i = 0; i < c->model->n_vnis; i++)
		if (c->model->vnis[i].vni == vni)
			return fdb_walk(c->arp, neigh_walk_one, &w);
	return -ENOENT;
}

int
ctl_neigh_walk(struct ctl *c, int (*cb)(void *arg, const struct neigh_info *n), void *arg)
{
	return neigh_walk(c->neighs, cb, arg);
}

/* ---- the loop ------------------------------------------------------------ */

void
ctl_poll(struct ctl *c)
{
	uint64_t ms = ctl_ms(c);
	uint32_t now = (uint32_t)(ms / 1000);
	unsigned budget;

	ctl_punt_poll(c);
	ctl_learn_poll(c, now);
	if (neigh_poll(c->neighs, ms, ctl_neigh_request, c))
		c->dirty = true;
	/* Ageing is paced by time, not by polls: a fixed slice per poll
	 * swept a 256 K-slot table many times a second, and the cache lines
	 * it pulled in were the worker's when both share a core. */
	budget = fdb_age_budget(c->fdb, ms - c->age_ms, AGE_SWEEP_MS, &c->age_carry);
	if (budget > 0)
		fdb_age(c->fdb, now, budget);
	budget = fdb_age_budget(c->arp, ms - c->age_ms, AGE_SWEEP_MS, &c->arp_age_carry);
	if (budget > 0)
		fdb_age(c->arp, now, budget);
	c->age_ms = ms;
	calls_run(c);
	if (c->dirty)
		ctl_snap_publish(c);
	ctl_igmp_poll(c, ms);
	ctl_load_poll(c, ms);
}

/* ---- setup --------------------------------------------------------------- */

static bool
pools_valid(const struct ctl_params *p)
{
	if (p->n_pools > CTL_MAX_POOLS || (p->n_pools != 0 && p->pools == NULL))
		return false;
	for (unsigned i = 0; i < p->n_pools; i++)
		if (p->pools[i] == NULL)
			return false;
	return true;
}

struct ctl *
ctl_create(const struct ctl_params *p, struct conf_err *err)
{
	const struct conf_underlay *u = &p->conf->underlay;
	struct ctl *c;
	struct conf *empty, *next;
	char name[32];
	unsigned i;
	int rc;

	if (p->n_ports > CONF_MAX_PORTS || p->underlay >= p->n_ports ||
	    p->n_workers > CTL_MAX_WORKERS || p->snap == NULL || !pools_valid(p)) {
		ctl_fail(err, -EINVAL, "", "invalid parameters");
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		ctl_fail(err, -ENOMEM, "", "out of memory");
		return NULL;
	}
	c->p = *p;
	if (c->p.clock_ms == NULL)
		c->p.clock_ms = tsc_ms;
	memcpy(c->ports, p->ports, p->n_ports * sizeof(*c->ports));
	c->p.ports = c->ports;
	if (p->n_workers != 0)
		memcpy(c->counters, p->counters, p->n_workers * sizeof(*c->counters));
	c->p.counters = c->counters;
	if (p->n_pools != 0)
		memcpy(c->pools, p->pools, p->n_pools * sizeof(*c->pools));
	c->p.pools = c->pools;
	pthread_mutex_init(&c->call_lock, NULL);
	pthread_cond_init(&c->call_cond, NULL);
	c->calls_tail = &c->calls;
	if (p->state_file != NULL || p->conf->state_file != NULL) {
		c->state_file = strdup(p->state_file != NULL ? p->state_file : p->conf->state_file);
		if (c->state_file == NULL)
			goto oom;
	}
	c->local_ip = u->address.v4;
	/* Answer delays differ between VTEPs that share a querier. */
	c->igmp.rnd = (uint32_t)rte_rdtsc() ^ rte_be_to_cpu_32(c->local_ip);
	c->mask = u->prefix_len ? rte_cpu_to_be_32(~0u << (32 - u->prefix_len)) : 0;
	c->gateway = u->gateway.family == AF_INET ? u->gateway.v4 : 0;

	/* The default timers: ARP every second while unresolved, trust a
	 * reply for 60 s, drop the MAC after 3 unanswered re-probes. */
	c->neighs = neigh_create(NULL);
	if (c->neighs == NULL)
		goto oom;
	for (i = 0; i < u->n_neighbors; i++) {
		struct rte_ether_addr mac;

		memcpy(mac.addr_bytes, u->neighbors[i].mac, RTE_ETHER_ADDR_LEN);
		if (neigh_set_static(c->neighs, u->neighbors[i].ip.v4, &mac) < 0) {
			ctl_fail(err, -EINVAL, "underlay.neighbors", "cannot add neighbour %u", i);
			goto out;
		}
	}

	/* The FDB belongs to the control thread, its only writer. */
	snprintf(name, sizeof(name), "fdb%p", (void *)c);
	struct fdb_params fp = {
		.name = name,
		.capacity = p->conf->fdb_capacity,
		.socket_id = (int)rte_socket_id(),
		.qsbr = p->qsbr,
		.on_remove = ctl_fdb_removed,
		.arg = c,
	};
	c->fdb = fdb_create(&fp);
	if (c->fdb == NULL) {
		ctl_fail(err, -rte_errno, "fdb_capacity", "cannot create an FDB of %u entries: %s",
		     p->conf->fdb_capacity, rte_strerror(rte_errno));
		goto out;
	}

	snprintf(name, sizeof(name), "arp%p", (void *)c);
	fp.name = name;
	/* No more bindings than MACs, and no more than CTL_ARP_CAPACITY. */
	c->arp_capacity = RTE_MIN(p->conf->fdb_capacity, (uint32_t)CTL_ARP_CAPACITY);
	fp.capacity = c->arp_capacity;
	/* A binding references nothing: nothing to release when it goes. */
	fp.on_remove = NULL;
	fp.arg = NULL;
	c->arp = fdb_create(&fp);
	if (c->arp == NULL) {
		ctl_fail(err, -rte_errno, "", "cannot create the ARP table: %s",
			 rte_strerror(rte_errno));
		goto out;
	}

	/* Start from nothing and apply the configuration as one change, the
	 * same way as a change made at run time. */
	empty = conf_dup(p->conf);
	if (empty == NULL)
		goto oom;
	ctl_model_clear_vnis_fdb(empty);
	c->model = empty;
	rc = ctl_snap_publish(c);
	if (rc != 0)
		goto oom;
	next = conf_dup(p->conf);
	if (next == NULL)
		goto oom;
	/* The start is no change to persist: the state file already says it. */
	c->starting = true;
	rc = ctl_commit(c, next, err);
	c->starting = false;
	if (rc != 0)
		goto out;
	return c;
oom:
	ctl_fail(err, -ENOMEM, "", "out of memory");
out:
	ctl_free(c);
	return NULL;
}

void
ctl_free(struct ctl *c)
{
	if (c == NULL)
		return;
	ctl_call_shutdown(c);
	ctl_batch_abort(c);
	if (c->p.snap != NULL) {
		ctl_snap_free(*c->p.snap);
		*c->p.snap = NULL;
	}
	fdb_free(c->fdb);
	fdb_free(c->arp);
	free(c->remotes);
	ctl_igmp_free(c);
	free(c->rhash);
	free(c->touched);
	free(c->fidx_key);
	free(c->fidx_val);
	ctl_vmap_free(&c->slot_of);
	neigh_free(c->neighs);
	conf_free(c->model);
	free(c->state_file);
	pthread_mutex_destroy(&c->call_lock);
	pthread_cond_destroy(&c->call_cond);
	free(c);
}
