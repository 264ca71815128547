/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The data plane the writer derives from its model: the remote VTEPs, the
 * VNI counter slots, the snapshot the workers read, and ctl_apply(), which
 * makes all of them match a new model.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_malloc.h>

#include "ctl_private.h"

/* ---- VNI maps ------------------------------------------------------------ */

void
ctl_vmap_free(struct vmap *m)
{
	free(m->key);
	free(m->val);
	memset(m, 0, sizeof(*m));
}

int
ctl_vmap_init(struct vmap *m, uint32_t n)
{
	uint32_t size = 16;

	ctl_vmap_free(m);
	while (size < n * 2)
		size *= 2;
	m->key = calloc(size, sizeof(*m->key));
	m->val = calloc(size, sizeof(*m->val));
	if (m->key == NULL || m->val == NULL) {
		ctl_vmap_free(m);
		return -ENOMEM;
	}
	m->mask = size - 1;
	return 0;
}

int
ctl_vmap_put(struct vmap *m, uint32_t key, uint32_t val)
{
	uint32_t i;

	if (m->key == NULL || (m->n + 1) * 2 > m->mask + 1) {
		struct vmap g = { 0 };

		if (ctl_vmap_init(&g, (m->n + 1) * 2) != 0)
			return -ENOMEM;
		for (i = 0; m->key != NULL && i <= m->mask; i++)
			if (m->key[i] != 0)
				ctl_vmap_put(&g, m->key[i], m->val[i]);
		ctl_vmap_free(m);
		*m = g;
	}
	for (i = (key * 0x9e3779b1u) & m->mask; m->key[i] != 0 && m->key[i] != key;
	     i = (i + 1) & m->mask)
		;
	if (m->key[i] == 0)
		m->n++;
	m->key[i] = key;
	m->val[i] = val;
	return 0;
}

int64_t
ctl_vmap_get(const struct vmap *m, uint32_t key)
{
	uint32_t i;

	if (m->key == NULL)
		return -1;
	for (i = (key * 0x9e3779b1u) & m->mask; m->key[i] != 0; i = (i + 1) & m->mask)
		if (m->key[i] == key)
			return m->val[i];
	return -1;
}

/* VNI -> index into cf->vnis. */
int
ctl_vmap_of_conf(struct vmap *m, const struct conf *cf)
{
	unsigned i;
	int rc = ctl_vmap_init(m, cf->n_vnis);

	for (i = 0; rc == 0 && i < cf->n_vnis; i++)
		rc = ctl_vmap_put(m, cf->vnis[i].vni, i);
	return rc;
}

/* ---- remotes ------------------------------------------------------------- */

/*
 * Where a VNI floods to: its flood list (head-end), or its service node,
 * a list of one. Both hold the remotes they name.
 */
static const struct vtep_ip *
flood_targets(const struct conf_vni *v, unsigned *n)
{
	/* A group is no remote: it has a template of its own per snapshot. */
	if (v->flood_mode == CONF_FLOOD_MULTICAST) {
		*n = 0;
		return NULL;
	}
	if (v->flood_mode == CONF_FLOOD_SERVICE_NODE) {
		*n = 1;
		return &v->service_node;
	}
	*n = v->n_remotes;
	return v->remotes;
}

static uint32_t
rhash_slot(const struct ctl *c, rte_be32_t ip)
{
	return ((uint32_t)ip * 0x9e3779b1u) & c->rhash_mask;
}

static int
rhash_rebuild(struct ctl *c, uint32_t want)
{
	uint32_t size = 64, i, *h;

	while (size < want * 2)
		size *= 2;
	h = calloc(size, sizeof(*h));
	if (h == NULL)
		return -ENOMEM;
	free(c->rhash);
	c->rhash = h;
	c->rhash_mask = size - 1;
	for (i = 0; i < c->n_remotes; i++) {
		uint32_t s;

		if (c->remotes[i].state != REMOTE_USED)
			continue;
		s = rhash_slot(c, c->remotes[i].ip.v4);
		while (h[s] != 0)
			s = (s + 1) & c->rhash_mask;
		h[s] = i + 1;
	}
	return 0;
}

static int
remote_find(const struct ctl *c, const struct vtep_ip *ip)
{
	uint32_t s;

	if (ip->family != AF_INET || c->rhash == NULL)
		return -1;
	for (s = rhash_slot(c, ip->v4); c->rhash[s] != 0; s = (s + 1) & c->rhash_mask) {
		const struct remote *r = &c->remotes[c->rhash[s] - 1];

		if (r->state == REMOTE_USED && r->ip.v4 == ip->v4)
			return (int)(c->rhash[s] - 1);
	}
	return -1;
}

/* The next hop toward @ip: itself when on-link, else the gateway. */
static int
next_hop(const struct ctl *c, rte_be32_t ip, rte_be32_t *nh)
{
	if ((ip & c->mask) == (c->local_ip & c->mask)) {
		*nh = ip;
		return 0;
	}
	if (c->gateway == 0)
		return -ENETUNREACH;
	*nh = c->gateway;
	return 0;
}

/* Find or create the remote for @ip; its refs are the caller's to take. */
int
ctl_remote_get(struct ctl *c, const struct vtep_ip *ip)
{
	char buf[64];
	struct remote *r;
	rte_be32_t nh;
	uint32_t i, s;
	int id = remote_find(c, ip);

	if (id >= 0)
		return id;
	if (ip->family != AF_INET)
		return -EAFNOSUPPORT;
	for (i = 0; i < c->n_remotes; i++)
		if (c->remotes[i].state == REMOTE_FREE)
			break;
	if (i == c->n_remotes) {
		if (c->n_remotes == c->cap_remotes) {
			uint32_t cap = c->cap_remotes ? c->cap_remotes * 2 : 64;
			struct remote *p = realloc(c->remotes, cap * sizeof(*p));

			if (p == NULL)
				return -ENOMEM;
			c->remotes = p;
			c->cap_remotes = cap;
		}
		c->n_remotes++;
	}
	r = &c->remotes[i];
	memset(r, 0, sizeof(*r));
	r->ip = *ip;
	r->state = REMOTE_USED;
	r->neigh = -1;
	/* Keep the table at most half full. */
	if (c->rhash == NULL || c->n_remotes * 2 > c->rhash_mask + 1) {
		if (rhash_rebuild(c, c->n_remotes) != 0) {
			r->state = REMOTE_FREE;
			return -ENOMEM;
		}
	} else {
		for (s = rhash_slot(c, ip->v4); c->rhash[s] != 0; s = (s + 1) & c->rhash_mask)
			;
		c->rhash[s] = i + 1;
	}
	if (next_hop(c, ip->v4, &nh) == 0) {
		r->neigh = neigh_get(c->neighs, nh);
		if (r->neigh >= 0)
			neigh_hold(c->neighs, r->neigh);
	} else {
		CLOG(WARNING, "remote VTEP %s is off-link and no gateway is set",
		     vtep_ip_str(ip, buf, sizeof(buf)));
	}
	c->dirty = true;
	return (int)i;
}

void
ctl_remote_put(struct ctl *c, uint32_t id)
{
	struct remote *r;

	if (id >= c->n_remotes)
		return;
	r = &c->remotes[id];
	if (r->state != REMOTE_USED || r->refs == 0)
		return;
	if (--r->refs == 0) {
		/* The id is reused only after a grace period: a worker may
		 * still hold an FDB result naming it. Its hash entry stays
		 * until then, marked by the state. */
		r->state = REMOTE_DYING;
		if (r->neigh >= 0)
			neigh_release(c->neighs, r->neigh);
		c->dying = true;
		c->dirty = true;
	}
}

/* Take a reference on the remote for @ip, creating it. */
static int
remote_hold(struct ctl *c, const struct vtep_ip *ip)
{
	int id = ctl_remote_get(c, ip);

	if (id >= 0)
		c->remotes[id].refs++;
	return id;
}

static void
remote_drop(struct ctl *c, const struct vtep_ip *ip)
{
	int id = remote_find(c, ip);

	if (id >= 0)
		ctl_remote_put(c, (uint32_t)id);
}

void
ctl_fdb_removed(void *arg, uint32_t vni, const struct rte_ether_addr *mac, uint64_t dest)
{
	struct ctl *c = arg;

	RTE_SET_USED(vni);
	RTE_SET_USED(mac);
	if (fdb_dest_kind(dest) == FDB_KIND_REMOTE)
		ctl_remote_put(c, fdb_dest_remote_id(dest));
}

/* A remote put to death by a step that is being undone, wanted again: it
 * lives on under its id, which FDB entries still name. */
static void
remote_revive(struct ctl *c, uint32_t id)
{
	struct remote *r = &c->remotes[id];
	rte_be32_t nh;

	r->state = REMOTE_USED;
	r->neigh = -1;
	if (next_hop(c, r->ip.v4, &nh) == 0) {
		r->neigh = neigh_get(c->neighs, nh);
		if (r->neigh >= 0)
			neigh_hold(c->neighs, r->neigh);
	}
	c->dirty = true;
}

static int
count_fdb_ref(void *arg, const struct fdb_entry_info *e)
{
	struct ctl *c = arg;
	uint32_t id;

	if (fdb_dest_kind(e->dest) != FDB_KIND_REMOTE)
		return 0;
	id = fdb_dest_remote_id(e->dest);
	if (id >= c->n_remotes || c->remotes[id].state == REMOTE_FREE)
		return 0;
	if (c->remotes[id].state == REMOTE_DYING)
		remote_revive(c, id);
	c->remotes[id].refs++;
	return 0;
}

/*
 * Count every remote's references again from what holds them: the flood
 * lists of the model and the entries of the FDB. After a change that
 * failed half way and was applied backwards, the steps that were never
 * taken were undone too; this puts the counts right whatever was done.
 */
void
ctl_refs_recount(struct ctl *c)
{
	const struct conf *cf = c->model;
	uint32_t i, j;

	for (i = 0; i < c->n_remotes; i++)
		c->remotes[i].refs = 0;
	fdb_walk(c->fdb, count_fdb_ref, c);
	for (i = 0; i < cf->n_vnis; i++) {
		unsigned n;
		const struct vtep_ip *targets = flood_targets(&cf->vnis[i], &n);

		for (j = 0; j < n; j++) {
			const struct vtep_ip *ip = &targets[j];
			int id = remote_find(c, ip);
			uint32_t k;

			for (k = 0; id < 0 && k < c->n_remotes; k++)
				if (c->remotes[k].state == REMOTE_DYING &&
				    vtep_ip_eq(&c->remotes[k].ip, ip)) {
					remote_revive(c, k);
					id = (int)k;
				}
			if (id < 0)
				id = ctl_remote_get(c, ip);
			if (id >= 0)
				c->remotes[id].refs++;
		}
	}
	for (i = 0; i < c->n_remotes; i++)
		if (c->remotes[i].state == REMOTE_USED && c->remotes[i].refs == 0) {
			c->remotes[i].refs = 1;
			ctl_remote_put(c, i);
		}
}

/* ---- VNI counter slots ----------------------------------------------------- */

static int
slot_find(const struct ctl *c, uint32_t vni)
{
	int64_t s = ctl_vmap_get(&c->slot_of, vni);

	return s >= 0 && c->slot_vni[s] == vni && !c->slot_dying[s] ? (int)s : -1;
}

/* A free slot for @vni, its counters zeroed: a VNI created again starts
 * from zero. No worker writes a free slot: the last snapshot naming it was
 * retired after a grace period. */
static int
slot_alloc(struct ctl *c, uint32_t vni)
{
	unsigned i, k, w;

	/* From where the last search ended: a run of creations does not
	 * walk the taken slots again and again. */
	for (k = 0; k < CTL_MAX_VNIS; k++) {
		i = (c->slot_next + k) % CTL_MAX_VNIS;
		if (c->slot_vni[i] != 0 || c->slot_dying[i])
			continue;
		if (ctl_vmap_put(&c->slot_of, vni, i) != 0)
			return -ENOMEM;
		c->slot_next = (i + 1) % CTL_MAX_VNIS;
		for (w = 0; w < c->p.n_workers; w++)
			memset(&c->p.counters[w]->vni[i], 0, sizeof(struct vni_ctr));
		c->arp_learned[i] = 0;
		c->slot_vni[i] = vni;
		return (int)i;
	}
	return -ENOSPC;
}

static void
slot_free(struct ctl *c, uint32_t vni)
{
	int s = slot_find(c, vni);

	if (s >= 0) {
		c->slot_dying[s] = true;
		c->dying = true;
	}
}

/* The map again from the slots in use: after freed ones were released. */
static void
slots_remap(struct ctl *c)
{
	unsigned i;

	ctl_vmap_init(&c->slot_of, CTL_MAX_VNIS / 4);
	for (i = 0; i < CTL_MAX_VNIS; i++)
		if (c->slot_vni[i] != 0)
			ctl_vmap_put(&c->slot_of, c->slot_vni[i], i);
}

/* ---- snapshots ----------------------------------------------------------- */

void
ctl_snap_free(struct dp_snap *s)
{
	unsigned i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n_vnis; i++)
		free((void *)(uintptr_t)s->vnis[i].bum.flood);
	for (i = 0; i < RTE_MAX_ETHPORTS; i++)
		free(s->bind[i]);
	free(s->vnis);
	free(s->vni_key);
	free(s->vni_val);
	free(s->groups);
	rte_free(s->remotes);
	free(s);
}

static const struct ctl_port *
port_named(const struct ctl *c, const char *name)
{
	unsigned i;

	for (i = 0; i < c->p.n_ports; i++)
		if (strcmp(c->ports[i].name, name) == 0)
			return &c->ports[i];
	return NULL;
}

static void
encap_ctx_fill(const struct ctl *c, const struct conf_underlay *u, struct vtep_encap_ctx *e)
{
	memset(e, 0, sizeof(*e));
	e->sport_min = u->sport_min;
	e->sport_span = (uint16_t)(u->sport_max - u->sport_min + 1);
	e->mtu = u->mtu;
	e->csum_offload = c->ports[c->p.underlay].ip_csum;
	e->df = u->df;
	e->tos = u->tos;
	e->ttl = u->ttl_inherit ? VTEP_TTL_DEFAULT : u->ttl;
	e->tos_inherit = u->tos_inherit;
	e->ttl_inherit = u->ttl_inherit;
	e->ecn = u->ecn == CONF_ECN_RFC6040;
}

/*
 * Storm control per worker: each gets its share of the VNI's limit, and a
 * burst of a tenth of a second of it (at least one frame): together they
 * pass the limit, whichever worker the frames arrive on.
 */
static void
storm_share(struct bum_vni *b, uint32_t pps, unsigned n_workers)
{
	unsigned n = n_workers != 0 ? n_workers : 1;

	b->limit_pps = pps != 0 ? (pps + n - 1) / n : 0;
	b->limit_burst = b->limit_pps != 0 ? RTE_MAX(b->limit_pps / 10, 1u) : 0;
}

static int
be32_cmp(const void *x, const void *y)
{
	rte_be32_t a = *(const rte_be32_t *)x, b = *(const rte_be32_t *)y;

	return a < b ? -1 : a > b;
}

/* The groups the model's VNIs flood to, ascending, each once. */
int
ctl_groups_of(const struct conf *cf, rte_be32_t **out, uint32_t *n_out)
{
	rte_be32_t *g = malloc((cf->n_vnis ? cf->n_vnis : 1) * sizeof(*g));
	uint32_t i, n = 0, k = 0;

	if (g == NULL)
		return -ENOMEM;
	for (i = 0; i < cf->n_vnis; i++)
		if (cf->vnis[i].flood_mode == CONF_FLOOD_MULTICAST)
			g[n++] = cf->vnis[i].group.v4;
	qsort(g, n, sizeof(*g), be32_cmp);
	for (i = 0; i < n; i++)
		if (k == 0 || g[k - 1] != g[i])
			g[k++] = g[i];
	*out = g;
	*n_out = k;
	return 0;
}

static uint32_t
group_index(const struct dp_snap *s, rte_be32_t g)
{
	uint32_t i;

	for (i = 0; i < s->n_groups; i++)
		if (s->groups[i] == g)
			return i;
	return UINT32_MAX;
}

static struct dp_snap *
snap_build(struct ctl *c)
{
	const struct conf *cf = c->model;
	const struct conf_underlay *u = &cf->underlay;
	const struct ctl_port *up = &c->ports[c->p.underlay];
	struct dp_snap *s = calloc(1, sizeof(*s));
	uint32_t size = 16, i, j;

	if (s == NULL)
		return NULL;
	/* A /31 (RFC 3021) or /32 has no broadcast address. */
	vtep_decap_ctx_init(&s->decap, &up->mac, u->address.v4,
			    u->prefix_len < 31 ? (u->address.v4 | ~c->mask) : 0, u->udp_port,
			    u->ecn == CONF_ECN_RFC6040);
	encap_ctx_fill(c, u, &s->encap);
	s->gen = ++c->gen;
	if (ctl_groups_of(cf, &s->groups, &s->n_groups) != 0)
		goto fail;
	s->decap.groups = s->groups;
	s->decap.n_groups = s->n_groups;

	while (size < cf->n_vnis * 2)
		size *= 2;
	s->vni_mask = size - 1;
	s->vni_key = calloc(size, sizeof(uint32_t));
	s->vni_val = calloc(size, sizeof(uint32_t));
	s->vnis = calloc(cf->n_vnis ? cf->n_vnis : 1, sizeof(*s->vnis));
	/* Remotes hold templates that workers copy per packet: keep them in
	 * DPDK memory, cache-aligned. */
	s->remotes = rte_zmalloc("dp_remotes",
				 (c->n_remotes + s->n_groups + 1) * sizeof(*s->remotes),
				 RTE_CACHE_LINE_SIZE);
	if (s->vni_key == NULL || s->vni_val == NULL || s->vnis == NULL || s->remotes == NULL)
		goto fail;

	s->n_remotes = c->n_remotes;
	for (i = 0; i < c->n_remotes; i++) {
		const struct remote *r = &c->remotes[i];
		struct bum_remote *d = &s->remotes[i];
		struct vtep_tmpl_params p;

		d->ip = r->ip;
		memset(&p, 0, sizeof(p));
		if (r->state != REMOTE_USED || !neigh_lookup(c->neighs, r->neigh, &p.dst_mac))
			continue;
		p.src_mac = up->mac;
		p.src = u->address;
		p.dst = r->ip;
		p.udp_port = u->udp_port;
		p.ttl = u->ttl_inherit ? VTEP_TTL_DEFAULT : u->ttl;
		p.tos = u->tos_inherit ? 0 : u->tos;
		p.df = u->df;
		if (vtep_tmpl_build(&d->tmpl, &p) == 0)
			d->resolved = true;
	}
	/* A group's template: its MAC, TTL mcast_ttl; never unresolved. */
	for (i = 0; i < s->n_groups; i++) {
		struct bum_remote *d = &s->remotes[c->n_remotes + i];
		struct vtep_tmpl_params p;

		memset(&p, 0, sizeof(p));
		d->ip = vtep_ip4(s->groups[i]);
		vtep_group_mac(s->groups[i], &p.dst_mac);
		p.src_mac = up->mac;
		p.src = u->address;
		p.dst = d->ip;
		p.udp_port = u->udp_port;
		p.ttl = u->mcast_ttl != 0 ? u->mcast_ttl : 1;
		p.tos = u->tos_inherit ? 0 : u->tos;
		p.df = u->df;
		if (vtep_tmpl_build(&d->tmpl, &p) == 0)
			d->resolved = true;
	}

	s->n_vnis = cf->n_vnis;
	for (i = 0; i < cf->n_vnis; i++) {
		const struct conf_vni *cv = &cf->vnis[i];
		struct dp_vni *v = &s->vnis[i];
		uint32_t h = (cv->vni * 0x9e3779b1u) & s->vni_mask;
		int slot = slot_find(c, cv->vni);
		const struct vtep_ip *targets;
		unsigned n_targets;
		uint32_t *flood;

		if (slot < 0)
			goto fail;
		v->vni = cv->vni;
		v->slot = (uint16_t)slot;
		v->learning = cv->learning;
		v->inner_vlan_accept = cv->inner_vlan_accept;
		v->arp_suppress = cv->arp_suppress;
		v->bum.vni = cv->vni;
		storm_share(&v->bum, cv->bum_limit_pps, c->p.n_workers);
		while (s->vni_val[h] != 0)
			h = (h + 1) & s->vni_mask;
		s->vni_key[h] = cv->vni;
		s->vni_val[h] = i + 1;

		for (j = 0; j < cv->n_access && j < CTL_MAX_LOCAL; j++) {
			const struct conf_access *a = &cv->access[j];
			const struct ctl_port *pt = port_named(c, a->port);
			uint32_t vs = a->vlan == CONF_VLAN_UNTAGGED ? CTL_UNTAGGED_SLOT : a->vlan;

			if (pt == NULL)
				goto fail;
			v->bum.local[v->bum.n_local].port = pt->id;
			v->bum.local[v->bum.n_local].vlan = a->vlan;
			v->bum.n_local++;
			if (s->bind[pt->id] == NULL) {
				s->bind[pt->id] = calloc(CTL_VLAN_SLOTS, sizeof(uint32_t));
				if (s->bind[pt->id] == NULL)
					goto fail;
			}
			s->bind[pt->id][vs] = i + 1;
		}

		targets = flood_targets(cv, &n_targets);
		flood = calloc(n_targets ? n_targets : 1, sizeof(*flood));
		if (flood == NULL)
			goto fail;
		v->bum.replicator = cv->replicator;
		if (cv->flood_mode == CONF_FLOOD_MULTICAST) {
			uint32_t gi = group_index(s, cv->group.v4);

			v->group = cv->group.v4;
			v->bum.mcast = true;
			if (gi != UINT32_MAX)
				flood[v->bum.n_flood++] = c->n_remotes + gi;
			n_targets = 0;
		}
		for (j = 0; j < n_targets; j++) {
			int id = remote_find(c, &targets[j]);

			if (id >= 0)
				flood[v->bum.n_flood++] = (uint32_t)id;
		}
		v->bum.flood = flood;
	}
	return s;
fail:
	ctl_snap_free(s);
	return NULL;
}

/* Publish a snapshot of the model, wait until no worker reads the old one,
 * then release what waited for that grace period. */
int
ctl_snap_publish(struct ctl *c)
{
	struct dp_snap *s = snap_build(c), *old;
	uint32_t i;

	if (s == NULL)
		return -ENOMEM;
	old = __atomic_exchange_n(c->p.snap, s, __ATOMIC_ACQ_REL);
	if (c->p.qsbr != NULL)
		rte_rcu_qsbr_synchronize(c->p.qsbr, RTE_QSBR_THRID_INVALID);
	ctl_snap_free(old);
	ctl_igmp_sync(c, s->groups, s->n_groups);
	if (c->dying) {
		bool rebuild = false;

		for (i = 0; i < c->n_remotes; i++)
			if (c->remotes[i].state == REMOTE_DYING) {
				c->remotes[i].state = REMOTE_FREE;
				rebuild = true;
			}
		for (i = 0; i < CTL_MAX_VNIS; i++)
			if (c->slot_dying[i]) {
				c->slot_dying[i] = false;
				c->slot_vni[i] = 0;
			}
		slots_remap(c);
		/* Freed remotes leave the hash: they were skipped by lookups. */
		if (rebuild)
			rhash_rebuild(c, c->n_remotes);
		c->dying = false;
	}
	c->dirty = false;
	c->ctr[CTL_SNAPSHOTS]++;
	return 0;
}

/* ---- applying a difference to the data plane -------------------------- */

static bool
ip_in(const struct vtep_ip *list, unsigned n, const struct vtep_ip *ip)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (vtep_ip_eq(&list[i], ip))
			return true;
	return false;
}

static bool
access_eq(const struct conf_vni *a, const struct conf_vni *b)
{
	unsigned i;

	if (a->n_access != b->n_access)
		return false;
	for (i = 0; i < a->n_access; i++)
		if (strcmp(a->access[i].port, b->access[i].port) != 0 ||
		    a->access[i].vlan != b->access[i].vlan)
			return false;
	return true;
}

uint64_t
ctl_fdb_key64(uint32_t vni, const uint8_t mac[6])
{
	return (uint64_t)vni << 48 | (uint64_t)mac[0] << 40 | (uint64_t)mac[1] << 32 |
	       (uint64_t)mac[2] << 24 | (uint64_t)mac[3] << 16 | (uint64_t)mac[4] << 8 | mac[5];
}

int
ctl_fdb_entry_cmp(const void *x, const void *y)
{
	const struct conf_fdb *a = *(const struct conf_fdb *const *)x;
	const struct conf_fdb *b = *(const struct conf_fdb *const *)y;
	uint64_t ka = ctl_fdb_key64(a->vni, a->mac), kb = ctl_fdb_key64(b->vni, b->mac);

	return ka < kb ? -1 : ka > kb;
}

bool
ctl_fdb_entry_same(const struct conf_fdb *a, const struct conf_fdb *b)
{
	if (a->is_remote != b->is_remote)
		return false;
	if (a->is_remote)
		return vtep_ip_eq(&a->remote, &b->remote);
	return strcmp(a->local.port, b->local.port) == 0 && a->local.vlan == b->local.vlan;
}

const struct conf_fdb **
ctl_fdb_sorted(const struct conf *cf)
{
	const struct conf_fdb **v = malloc((cf->n_fdb ? cf->n_fdb : 1) * sizeof(*v));
	unsigned i;

	if (v == NULL)
		return NULL;
	for (i = 0; i < cf->n_fdb; i++)
		v[i] = &cf->fdb[i];
	qsort(v, cf->n_fdb, sizeof(*v), ctl_fdb_entry_cmp);
	return v;
}

static int
static_add(struct ctl *c, const struct conf_fdb *e)
{
	struct rte_ether_addr mac;
	uint64_t dest;
	bool same;
	int id = -1, rc;

	memcpy(mac.addr_bytes, e->mac, RTE_ETHER_ADDR_LEN);
	if (e->is_remote) {
		id = ctl_remote_get(c, &e->remote);
		if (id < 0)
			return id;
		dest = fdb_dest_remote((uint32_t)id);
	} else {
		const struct ctl_port *pt = port_named(c, e->local.port);

		if (pt == NULL)
			return -EINVAL;
		dest = fdb_dest_local(pt->id, e->local.vlan);
	}
	/* An entry already there with this destination (learned, or static
	 * again) keeps the reference it holds: fdb_add_static() does not call
	 * on_remove for it. */
	{
		struct fdb_key k;
		const struct fdb_key *kp = &k;
		struct fdb_result r;

		fdb_key_set(&k, e->vni, &mac);
		fdb_lookup_bulk(c->fdb, &kp, 1, &r);
		same = r.dest != 0 && fdb_dest_where(r.dest) == fdb_dest_where(dest);
	}
	rc = fdb_add_static(c->fdb, e->vni, &mac, dest);
	if (id >= 0 && rc == 0 && !same) {
		c->remotes[id].refs++;
	} else if (id >= 0 && rc != 0 && c->remotes[id].refs == 0) {
		/* created for nothing: let it go */
		c->remotes[id].refs = 1;
		ctl_remote_put(c, (uint32_t)id);
	}
	return rc;
}

static void
static_del(struct ctl *c, const struct conf_fdb *e)
{
	struct rte_ether_addr mac;

	memcpy(mac.addr_bytes, e->mac, RTE_ETHER_ADDR_LEN);
	fdb_del(c->fdb, e->vni, &mac);  /* on_remove releases the remote */
}

static const struct conf_neigh *
neigh_in(const struct conf_vni *v, const struct conf_neigh *n)
{
	unsigned j;

	if (v == NULL)
		return NULL;
	for (j = 0; j < v->n_neighbors; j++)
		if (vtep_ip_eq(&v->neighbors[j].ip, &n->ip))
			return &v->neighbors[j];
	return NULL;
}

/*
 * The static bindings of a VNI in the ARP table, from @old's to @nv's:
 * deletions first, which make room. Learned bindings go when the VNI stops
 * suppressing; a static one replaces a learned one of its address.
 */
static int
vni_neigh_apply(struct ctl *c, const struct conf_vni *old, const struct conf_vni *nv)
{
	struct rte_ether_addr ipm, mac;
	unsigned j;
	int rc;

	rc = fdb_vni_set(c->arp, nv->vni, 0, nv->ageing);
	if (rc != 0)
		return rc;
	for (j = 0; old != NULL && j < old->n_neighbors; j++) {
		const struct conf_neigh *o = &old->neighbors[j], *n = neigh_in(nv, o);

		if (n == NULL || memcmp(n->mac, o->mac, 6) != 0) {
			fdb_ip_mac(&ipm, o->ip.v4);
			fdb_del(c->arp, nv->vni, &ipm);
		}
	}
	if (old != NULL && old->arp_suppress && !nv->arp_suppress)
		fdb_flush(c->arp, nv->vni, FDB_FLUSH_LEARNED);
	for (j = 0; j < nv->n_neighbors; j++) {
		const struct conf_neigh *n = &nv->neighbors[j], *o = neigh_in(old, n);

		if (o != NULL && memcmp(n->mac, o->mac, 6) == 0)
			continue;
		fdb_ip_mac(&ipm, n->ip.v4);
		memcpy(mac.addr_bytes, n->mac, RTE_ETHER_ADDR_LEN);
		rc = fdb_add_static(c->arp, nv->vni, &ipm, fdb_dest_mac(&mac));
		if (rc == -ENOSPC)
			c->arp_short = true;
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* A VNI comes or changes: its FDB limits, its flood list's references. */
static int
vni_enter(struct ctl *c, const struct conf_vni *old, const struct conf_vni *nv)
{
	const struct vtep_ip *nt, *ot = NULL;
	unsigned j, n_nt, n_ot = 0;
	int rc;

	rc = fdb_vni_set(c->fdb, nv->vni, nv->mac_limit, nv->ageing);
	if (rc != 0)
		return rc;
	rc = vni_neigh_apply(c, old, nv);
	if (rc != 0)
		return rc;
	if (old == NULL && slot_find(c, nv->vni) < 0 && slot_alloc(c, nv->vni) < 0)
		return -ENOSPC;
	nt = flood_targets(nv, &n_nt);
	if (old != NULL)
		ot = flood_targets(old, &n_ot);
	for (j = 0; j < n_nt; j++)
		if (old == NULL || !ip_in(ot, n_ot, &nt[j])) {
			rc = remote_hold(c, &nt[j]);
			if (rc < 0)
				return rc;
		}
	if (old != NULL) {
		for (j = 0; j < n_ot; j++)
			if (!ip_in(nt, n_nt, &ot[j]))
				remote_drop(c, &ot[j]);
		/* Learned entries behind bindings it no longer has, or all of
		 * them when it stops learning, go. */
		if (!access_eq(old, nv) || (old->learning && !nv->learning))
			fdb_flush(c->fdb, nv->vni, FDB_FLUSH_LEARNED);
	}
	return 0;
}

static void
vni_leave(struct ctl *c, const struct conf_vni *old)
{
	unsigned j, n;
	const struct vtep_ip *targets = flood_targets(old, &n);

	fdb_flush(c->fdb, old->vni, FDB_FLUSH_LEARNED | FDB_FLUSH_STATIC);
	fdb_flush(c->arp, old->vni, FDB_FLUSH_LEARNED | FDB_FLUSH_STATIC);
	fdb_vni_set(c->arp, old->vni, 0, 300);
	for (j = 0; j < n; j++)
		remote_drop(c, &targets[j]);
	fdb_vni_set(c->fdb, old->vni, 0, 300);
	slot_free(c, old->vni);
}

bool
ctl_vni_same(const struct conf_vni *a, const struct conf_vni *b)
{
	unsigned j;

	if (a->flood_mode != b->flood_mode || !vtep_ip_eq(&a->group, &b->group) ||
	    !vtep_ip_eq(&a->service_node, &b->service_node) || a->replicator != b->replicator ||
	    a->learning != b->learning || a->mac_limit != b->mac_limit ||
	    a->ageing != b->ageing || a->inner_vlan_accept != b->inner_vlan_accept ||
	    a->bum_limit_pps != b->bum_limit_pps || !access_eq(a, b) ||
	    a->n_remotes != b->n_remotes || a->arp_suppress != b->arp_suppress ||
	    a->n_neighbors != b->n_neighbors)
		return false;
	for (j = 0; j < a->n_remotes; j++)
		if (!vtep_ip_eq(&a->remotes[j], &b->remotes[j]))
			return false;
	for (j = 0; j < a->n_neighbors; j++)
		if (!vtep_ip_eq(&a->neighbors[j].ip, &b->neighbors[j].ip) ||
		    memcmp(a->neighbors[j].mac, b->neighbors[j].mac, 6) != 0)
			return false;
	return true;
}

/*
 * Make the data plane, which matches @from, match @to. Order: VNIs that
 * come or change, then static entries (deleted before added), then VNIs
 * that go. @return 0, or the first error, after which the caller applies
 * (to, from) to come back.
 */
int
ctl_apply(struct ctl *c, const struct conf *from, const struct conf *to)
{
	const struct conf_fdb **a = NULL, **b = NULL;
	struct vmap fm = { 0 }, tm = { 0 };
	unsigned i, j;
	int rc = 0;
	unsigned fresh = 0, free_slots = 0;

	if (ctl_vmap_of_conf(&fm, from) != 0 || ctl_vmap_of_conf(&tm, to) != 0) {
		rc = -ENOMEM;
		goto out;
	}

	if (memcmp(&from->underlay, &to->underlay, offsetof(struct conf_underlay, neighbors)) != 0)
		c->dirty = true;
	/* Counter slots first: running out half way would leave half a change. */
	for (i = 0; i < to->n_vnis; i++)
		if (slot_find(c, to->vnis[i].vni) < 0)
			fresh++;
	for (i = 0; i < CTL_MAX_VNIS; i++)
		if (c->slot_vni[i] == 0 && !c->slot_dying[i])
			free_slots++;
	if (fresh > free_slots) {
		c->slots_short = fresh - free_slots;
		rc = -ENOSPC;
		goto out;
	}
	for (i = 0; i < to->n_vnis; i++) {
		int64_t k = ctl_vmap_get(&fm, to->vnis[i].vni);
		const struct conf_vni *old = k >= 0 ? &from->vnis[k] : NULL;

		if (old != NULL && ctl_vni_same(old, &to->vnis[i]))
			continue;
		rc = vni_enter(c, old, &to->vnis[i]);
		if (rc != 0)
			goto out;
		c->dirty = true;
	}

	a = ctl_fdb_sorted(from);
	b = ctl_fdb_sorted(to);
	if (a == NULL || b == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	/* Deletions first: they make room for the additions. */
	for (i = 0, j = 0; i < from->n_fdb; i++) {
		int d = 1;

		while (j < to->n_fdb && (d = ctl_fdb_entry_cmp(&b[j], &a[i])) < 0)
			j++;
		if (d != 0 || !ctl_fdb_entry_same(a[i], b[j]))
			static_del(c, a[i]);
	}
	for (i = 0, j = 0; j < to->n_fdb; j++) {
		int d = 1;

		while (i < from->n_fdb && (d = ctl_fdb_entry_cmp(&a[i], &b[j])) < 0)
			i++;
		if (d != 0 || !ctl_fdb_entry_same(a[i], b[j])) {
			rc = static_add(c, b[j]);
			if (rc != 0)
				goto out;
		}
	}

	for (i = 0; i < from->n_vnis; i++)
		if (ctl_vmap_get(&tm, from->vnis[i].vni) < 0) {
			vni_leave(c, &from->vnis[i]);
			c->dirty = true;
		}
out:
	ctl_vmap_free(&fm);
	ctl_vmap_free(&tm);
	free(a);
	free(b);
	return rc;
}
