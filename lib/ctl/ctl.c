/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one writer. The running configuration (c->model) is the truth; the
 * data plane (FDB, remotes, VNI counter slots, the published snapshot) is
 * derived from it. A batch edits a copy of it (c->cand); committing
 * validates the copy with lib/conf's rules, applies the difference to the
 * data plane, publishes one snapshot after one grace period and writes the
 * state file. When a step fails, the difference is applied backwards.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

static int
fail(struct conf_err *err, int rc, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int
fail(struct conf_err *err, int rc, const char *field, const char *fmt, ...)
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

/* ---- VNI maps ------------------------------------------------------------ */

static void
vmap_free(struct vmap *m)
{
	free(m->key);
	free(m->val);
	memset(m, 0, sizeof(*m));
}

static int
vmap_init(struct vmap *m, uint32_t n)
{
	uint32_t size = 16;

	vmap_free(m);
	while (size < n * 2)
		size *= 2;
	m->key = calloc(size, sizeof(*m->key));
	m->val = calloc(size, sizeof(*m->val));
	if (m->key == NULL || m->val == NULL) {
		vmap_free(m);
		return -ENOMEM;
	}
	m->mask = size - 1;
	return 0;
}

static int
vmap_put(struct vmap *m, uint32_t key, uint32_t val)
{
	uint32_t i;

	if (m->key == NULL || (m->n + 1) * 2 > m->mask + 1) {
		struct vmap g = { 0 };

		if (vmap_init(&g, (m->n + 1) * 2) != 0)
			return -ENOMEM;
		for (i = 0; m->key != NULL && i <= m->mask; i++)
			if (m->key[i] != 0)
				vmap_put(&g, m->key[i], m->val[i]);
		vmap_free(m);
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

static int64_t
vmap_get(const struct vmap *m, uint32_t key)
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
static int
vmap_of_conf(struct vmap *m, const struct conf *cf)
{
	unsigned i;
	int rc = vmap_init(m, cf->n_vnis);

	for (i = 0; rc == 0 && i < cf->n_vnis; i++)
		rc = vmap_put(m, cf->vnis[i].vni, i);
	return rc;
}

/* ---- remotes ------------------------------------------------------------- */

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

static void
fdb_removed(void *arg, uint32_t vni, const struct rte_ether_addr *mac, uint64_t dest)
{
	struct ctl *c = arg;

	RTE_SET_USED(vni);
	RTE_SET_USED(mac);
	if (fdb_dest_kind(dest) == FDB_KIND_REMOTE)
		ctl_remote_put(c, fdb_dest_remote_id(dest));
}

/* ---- VNI counter slots ----------------------------------------------------- */

static int
slot_find(const struct ctl *c, uint32_t vni)
{
	int64_t s = vmap_get(&c->slot_of, vni);

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
		if (vmap_put(&c->slot_of, vni, i) != 0)
			return -ENOMEM;
		c->slot_next = (i + 1) % CTL_MAX_VNIS;
		for (w = 0; w < c->p.n_workers; w++)
			memset(&c->p.counters[w]->vni[i], 0, sizeof(struct vni_ctr));
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

	vmap_init(&c->slot_of, CTL_MAX_VNIS / 4);
	for (i = 0; i < CTL_MAX_VNIS; i++)
		if (c->slot_vni[i] != 0)
			vmap_put(&c->slot_of, c->slot_vni[i], i);
}

/* ---- snapshots ----------------------------------------------------------- */

static void
snap_free(struct dp_snap *s)
{
	unsigned i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n_vnis; i++)
		free((void *)(uintptr_t)s->vnis[i].flood);
	for (i = 0; i < RTE_MAX_ETHPORTS; i++)
		free(s->bind[i]);
	free(s->vnis);
	free(s->vni_key);
	free(s->vni_val);
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
	s->decap.local_mac = up->mac;
	s->decap.local_ip = u->address.v4;
	/* A /31 (RFC 3021) or /32 has no broadcast address. */
	if (u->prefix_len < 31)
		s->decap.bcast_ip = u->address.v4 | ~c->mask;
	s->decap.udp_port = rte_cpu_to_be_16(u->udp_port);
	s->decap.ecn = u->ecn == CONF_ECN_RFC6040;
	encap_ctx_fill(c, u, &s->encap);
	s->gen = ++c->gen;

	while (size < cf->n_vnis * 2)
		size *= 2;
	s->vni_mask = size - 1;
	s->vni_key = calloc(size, sizeof(uint32_t));
	s->vni_val = calloc(size, sizeof(uint32_t));
	s->vnis = calloc(cf->n_vnis ? cf->n_vnis : 1, sizeof(*s->vnis));
	/* Remotes hold templates that workers copy per packet: keep them in
	 * DPDK memory, cache-aligned. */
	s->remotes = rte_zmalloc("dp_remotes",
				 (c->n_remotes ? c->n_remotes : 1) * sizeof(*s->remotes),
				 RTE_CACHE_LINE_SIZE);
	if (s->vni_key == NULL || s->vni_val == NULL || s->vnis == NULL || s->remotes == NULL)
		goto fail;

	s->n_remotes = c->n_remotes;
	for (i = 0; i < c->n_remotes; i++) {
		const struct remote *r = &c->remotes[i];
		struct dp_remote *d = &s->remotes[i];
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

	s->n_vnis = cf->n_vnis;
	for (i = 0; i < cf->n_vnis; i++) {
		const struct conf_vni *cv = &cf->vnis[i];
		struct dp_vni *v = &s->vnis[i];
		uint32_t h = (cv->vni * 0x9e3779b1u) & s->vni_mask;
		int slot = slot_find(c, cv->vni);
		uint32_t *flood;

		if (slot < 0)
			goto fail;
		v->vni = cv->vni;
		v->slot = (uint16_t)slot;
		v->learning = cv->learning;
		v->inner_vlan_accept = cv->inner_vlan_accept;
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
			v->local[v->n_local].port = pt->id;
			v->local[v->n_local].vlan = a->vlan;
			v->n_local++;
			if (s->bind[pt->id] == NULL) {
				s->bind[pt->id] = calloc(CTL_VLAN_SLOTS, sizeof(uint32_t));
				if (s->bind[pt->id] == NULL)
					goto fail;
			}
			s->bind[pt->id][vs] = i + 1;
		}

		flood = calloc(cv->n_remotes ? cv->n_remotes : 1, sizeof(*flood));
		if (flood == NULL)
			goto fail;
		for (j = 0; j < cv->n_remotes; j++) {
			int id = remote_find(c, &cv->remotes[j]);

			if (id >= 0)
				flood[v->n_flood++] = (uint32_t)id;
		}
		v->flood = flood;
	}
	return s;
fail:
	snap_free(s);
	return NULL;
}

/* Publish a snapshot of the model, wait until no worker reads the old one,
 * then release what waited for that grace period. */
static int
snap_publish(struct ctl *c)
{
	struct dp_snap *s = snap_build(c), *old;
	uint32_t i;

	if (s == NULL)
		return -ENOMEM;
	old = __atomic_exchange_n(c->p.snap, s, __ATOMIC_ACQ_REL);
	if (c->p.qsbr != NULL)
		rte_rcu_qsbr_synchronize(c->p.qsbr, RTE_QSBR_THRID_INVALID);
	snap_free(old);
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

static const struct conf_vni *
vni_in(const struct conf *cf, uint32_t vni)
{
	unsigned i;

	for (i = 0; i < cf->n_vnis; i++)
		if (cf->vnis[i].vni == vni)
			return &cf->vnis[i];
	return NULL;
}

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

static uint64_t
fdb_key64(uint32_t vni, const uint8_t mac[6])
{
	return (uint64_t)vni << 48 | (uint64_t)mac[0] << 40 | (uint64_t)mac[1] << 32 |
	       (uint64_t)mac[2] << 24 | (uint64_t)mac[3] << 16 | (uint64_t)mac[4] << 8 | mac[5];
}

static int
fdb_entry_cmp(const void *x, const void *y)
{
	const struct conf_fdb *a = *(const struct conf_fdb *const *)x;
	const struct conf_fdb *b = *(const struct conf_fdb *const *)y;
	uint64_t ka = fdb_key64(a->vni, a->mac), kb = fdb_key64(b->vni, b->mac);

	return ka < kb ? -1 : ka > kb;
}

static bool
fdb_entry_same(const struct conf_fdb *a, const struct conf_fdb *b)
{
	if (a->is_remote != b->is_remote)
		return false;
	if (a->is_remote)
		return vtep_ip_eq(&a->remote, &b->remote);
	return strcmp(a->local.port, b->local.port) == 0 && a->local.vlan == b->local.vlan;
}

static const struct conf_fdb **
fdb_sorted(const struct conf *cf)
{
	const struct conf_fdb **v = malloc((cf->n_fdb ? cf->n_fdb : 1) * sizeof(*v));
	unsigned i;

	if (v == NULL)
		return NULL;
	for (i = 0; i < cf->n_fdb; i++)
		v[i] = &cf->fdb[i];
	qsort(v, cf->n_fdb, sizeof(*v), fdb_entry_cmp);
	return v;
}

static int
static_add(struct ctl *c, const struct conf_fdb *e)
{
	struct rte_ether_addr mac;
	uint64_t dest;
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
	rc = fdb_add_static(c->fdb, e->vni, &mac, dest);
	if (id >= 0) {
		if (rc == 0) {
			c->remotes[id].refs++;
		} else if (c->remotes[id].refs == 0) {
			/* created for nothing: let it go */
			c->remotes[id].refs = 1;
			ctl_remote_put(c, (uint32_t)id);
		}
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

/* A VNI comes or changes: its FDB limits, its flood list's references. */
static int
vni_enter(struct ctl *c, const struct conf_vni *old, const struct conf_vni *nv)
{
	unsigned j;
	int rc;

	rc = fdb_vni_set(c->fdb, nv->vni, nv->mac_limit, nv->ageing);
	if (rc != 0)
		return rc;
	if (old == NULL && slot_find(c, nv->vni) < 0 && slot_alloc(c, nv->vni) < 0)
		return -ENOSPC;
	for (j = 0; j < nv->n_remotes; j++)
		if (old == NULL || !ip_in(old->remotes, old->n_remotes, &nv->remotes[j])) {
			rc = remote_hold(c, &nv->remotes[j]);
			if (rc < 0)
				return rc;
		}
	if (old != NULL) {
		for (j = 0; j < old->n_remotes; j++)
			if (!ip_in(nv->remotes, nv->n_remotes, &old->remotes[j]))
				remote_drop(c, &old->remotes[j]);
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
	unsigned j;

	fdb_flush(c->fdb, old->vni, FDB_FLUSH_LEARNED | FDB_FLUSH_STATIC);
	for (j = 0; j < old->n_remotes; j++)
		remote_drop(c, &old->remotes[j]);
	fdb_vni_set(c->fdb, old->vni, 0, 300);
	slot_free(c, old->vni);
}

static bool
vni_same(const struct conf_vni *a, const struct conf_vni *b)
{
	unsigned j;

	if (a->flood_mode != b->flood_mode || !vtep_ip_eq(&a->group, &b->group) ||
	    a->learning != b->learning || a->mac_limit != b->mac_limit ||
	    a->ageing != b->ageing || a->inner_vlan_accept != b->inner_vlan_accept ||
	    !access_eq(a, b) || a->n_remotes != b->n_remotes)
		return false;
	for (j = 0; j < a->n_remotes; j++)
		if (!vtep_ip_eq(&a->remotes[j], &b->remotes[j]))
			return false;
	return true;
}

/*
 * Make the data plane, which matches @from, match @to. Order: VNIs that
 * come or change, then static entries (deleted before added), then VNIs
 * that go. @return 0, or the first error, after which the caller applies
 * (to, from) to come back.
 */
static int
apply(struct ctl *c, const struct conf *from, const struct conf *to)
{
	const struct conf_fdb **a = NULL, **b = NULL;
	struct vmap fm = { 0 }, tm = { 0 };
	unsigned i, j;
	int rc = 0;
	unsigned fresh = 0, free_slots = 0;

	if (vmap_of_conf(&fm, from) != 0 || vmap_of_conf(&tm, to) != 0) {
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
		rc = -ENOSPC;
		goto out;
	}
	for (i = 0; i < to->n_vnis; i++) {
		int64_t k = vmap_get(&fm, to->vnis[i].vni);
		const struct conf_vni *old = k >= 0 ? &from->vnis[k] : NULL;

		if (old != NULL && vni_same(old, &to->vnis[i]))
			continue;
		rc = vni_enter(c, old, &to->vnis[i]);
		if (rc != 0)
			goto out;
		c->dirty = true;
	}

	a = fdb_sorted(from);
	b = fdb_sorted(to);
	if (a == NULL || b == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	/* Deletions first: they make room for the additions. */
	for (i = 0, j = 0; i < from->n_fdb; i++) {
		int d = 1;

		while (j < to->n_fdb && (d = fdb_entry_cmp(&b[j], &a[i])) < 0)
			j++;
		if (d != 0 || !fdb_entry_same(a[i], b[j]))
			static_del(c, a[i]);
	}
	for (i = 0, j = 0; j < to->n_fdb; j++) {
		int d = 1;

		while (i < from->n_fdb && (d = fdb_entry_cmp(&a[i], &b[j])) < 0)
			i++;
		if (d != 0 || !fdb_entry_same(a[i], b[j])) {
			rc = static_add(c, b[j]);
			if (rc != 0)
				goto out;
		}
	}

	for (i = 0; i < from->n_vnis; i++)
		if (vmap_get(&tm, from->vnis[i].vni) < 0) {
			vni_leave(c, &from->vnis[i]);
			c->dirty = true;
		}
out:
	vmap_free(&fm);
	vmap_free(&tm);
	free(a);
	free(b);
	return rc;
}

/* The index of static entries (below) is stale once entries move. */
static void
fidx_forget(struct ctl *c)
{
	c->fidx_of = NULL;
}

static void fidx_put(struct ctl *c, uint64_t key, uint32_t val);

/* ---- persistence --------------------------------------------------------- */

/* Write @buf to @path as a whole or not at all: a temporary file, fsync,
 * rename over the old one, fsync of the directory. */
static int
write_atomic(const char *path, const char *buf, size_t len)
{
	char tmp[4200], dir[4200];
	size_t off = 0;
	int fd, rc = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	while (off < len) {
		ssize_t n = write(fd, buf + off, len - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		off += (size_t)n;
	}
	if (rc == 0 && fsync(fd) != 0)
		rc = -errno;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0) {
		unlink(tmp);
		return rc;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) != 0)
		rc = -errno;
	close(fd);
	return rc;
}

static int
persist(struct ctl *c)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	if (c->state_file == NULL || c->starting)
		return 0;
	rc = conf_write(c->model, &buf, &len);
	if (rc == 0)
		rc = write_atomic(c->state_file, buf, len);
	free(buf);
	if (rc != 0)
		CLOG(ERR, "state file %s: %s", c->state_file, strerror(-rc));
	return rc;
}

/* ---- batches ------------------------------------------------------------- */

int
ctl_batch_begin(struct ctl *c)
{
	if (c->cand != NULL)
		return -EBUSY;
	c->cand = conf_dup(c->model);
	if (c->cand == NULL)
		return -ENOMEM;
	c->cand_auto = false;
	c->n_touched = 0;
	c->touch_all = false;
	fidx_forget(c);
	return 0;
}

void
ctl_batch_abort(struct ctl *c)
{
	fidx_forget(c);
	conf_free(c->cand);
	c->cand = NULL;
}

/* The candidate through the rules of a configuration file. */
static struct conf *
validate(const struct conf *cand, struct conf_err *err)
{
	struct conf_node *n = conf_to_node(cand);
	struct conf *v;

	if (n == NULL) {
		fail(err, -ENOMEM, "", "out of memory");
		return NULL;
	}
	v = conf_from_node(n, err);
	conf_node_free(n);
	return v;
}

static int
commit(struct ctl *c, struct conf *next, struct conf_err *err)
{
	struct conf *prev = c->model;
	int rc;

	fidx_forget(c);
	/* In a group of calls, the state file is written once for all of
	 * them (calls_run()); keep where the group started to go back to. */
	if (c->group && c->group_saved == NULL && c->state_file != NULL) {
		c->group_saved = conf_dup(prev);
		if (c->group_saved == NULL) {
			conf_free(next);
			return fail(err, -ENOMEM, "", "out of memory");
		}
	}
	rc = apply(c, prev, next);
	if (rc == 0) {
		c->model = next;
		rc = snap_publish(c);
		if (rc == 0 && c->group) {
			c->persist_due = true;
		} else if (rc == 0) {
			rc = persist(c);
			if (rc != 0) {
				c->ctr[CTL_PERSIST_ERRORS]++;
				fail(err, -EIO, "", "the state file could not be written: %s",
				     strerror(-rc));
				rc = -EIO;
			}
		}
		if (rc == 0) {
			conf_free(prev);
			c->ctr[CTL_CHANGES]++;
			return 0;
		}
		c->model = prev;
	} else if (rc == -ENOSPC) {
		fail(err, rc, "fdb", "the FDB is full (fdb_capacity %u)", prev->fdb_capacity);
	} else {
		fail(err, rc, "", "%s", strerror(-rc));
	}
	/* Back to where we were; what failed going forward was undone by
	 * going backward over the same difference. */
	apply(c, next, prev);
	snap_publish(c);
	conf_free(next);
	c->ctr[CTL_CHANGES_REFUSED]++;
	return rc;
}

/* The batch changed VNI @vni: the commit validates its document. */
static int
touch(struct ctl *c, uint32_t vni)
{
	if (c->n_touched == c->cap_touched) {
		unsigned cap = c->cap_touched ? c->cap_touched * 2 : 16;
		uint32_t *t = realloc(c->touched, cap * sizeof(*t));

		if (t == NULL)
			return -ENOMEM;
		c->touched = t;
		c->cap_touched = cap;
	}
	c->touched[c->n_touched++] = vni;
	return 0;
}

/* "vnis[3].access" of a small document -> the same field of the whole one. */
static void
remap_field(struct conf_err *err, const char *list, const unsigned *real, unsigned n)
{
	char rest[sizeof(err->field)], buf[sizeof(err->field) + 32];
	size_t l = strlen(list);
	unsigned k;
	char *end;

	if (strncmp(err->field, list, l) != 0 || err->field[l] != '[')
		return;
	k = (unsigned)strtoul(err->field + l + 1, &end, 10);
	if (*end != ']' || k >= n)
		return;
	snprintf(rest, sizeof(rest), "%s", end + 1);
	snprintf(buf, sizeof(buf), "%s[%u]%s", list, real[k], rest);
	snprintf(err->field, sizeof(err->field), "%.*s", (int)sizeof(err->field) - 1, buf);
}

static void
binding_fmt(char *buf, size_t size, const struct conf_access *a)
{
	if (a->vlan == CONF_VLAN_UNTAGGED)
		snprintf(buf, size, "%s untagged", a->port);
	else
		snprintf(buf, size, "%s vlan %u", a->port, a->vlan);
}

/*
 * Validate a batch that changed a few VNIs without reading the whole
 * configuration through the rules: the rules see the candidate's ports and
 * underlay with only the VNIs the batch touched and their static entries
 * (so every field check and reference within them has the rules' words),
 * and what spans VNIs, a binding used twice, is checked here against all
 * of them, in the rules' words. The rest was valid before and is
 * unchanged. @return 0 or -EINVAL with @p err filled.
 */
static int
validate_touched(struct ctl *c, const struct conf *cand, struct conf_err *err)
{
	struct vmap cm = { 0 }, tm = { 0 }, bind = { 0 };
	struct conf m = *cand;
	unsigned *vidx = NULL, *fidx = NULL, i, j, nv = 0, nf = 0;
	struct conf_node *n = NULL;
	struct conf *v = NULL;
	int rc = -ENOMEM;

	m.vnis = NULL;
	m.fdb = NULL;
	if (vmap_of_conf(&cm, cand) != 0 || vmap_init(&tm, c->n_touched) != 0 ||
	    vmap_init(&bind, 64) != 0)
		goto out;
	vidx = malloc((c->n_touched + 1) * sizeof(*vidx));
	m.vnis = malloc((c->n_touched + 1) * sizeof(*m.vnis));
	if (vidx == NULL || m.vnis == NULL)
		goto out;
	for (i = 0; i < c->n_touched; i++) {
		int64_t k = vmap_get(&cm, c->touched[i]);

		if (k < 0 || vmap_get(&tm, c->touched[i]) >= 0)
			continue;   /* deleted since, or seen */
		vmap_put(&tm, c->touched[i], nv);
		vidx[nv] = (unsigned)k;
		m.vnis[nv++] = cand->vnis[k];
	}
	m.n_vnis = nv;
	for (i = 0; i < cand->n_fdb; i++)
		if (vmap_get(&tm, cand->fdb[i].vni) >= 0)
			nf++;
	fidx = malloc((nf + 1) * sizeof(*fidx));
	m.fdb = malloc((nf + 1) * sizeof(*m.fdb));
	if (fidx == NULL || m.fdb == NULL)
		goto out;
	for (i = 0, nf = 0; i < cand->n_fdb; i++)
		if (vmap_get(&tm, cand->fdb[i].vni) >= 0) {
			fidx[nf] = i;
			m.fdb[nf++] = cand->fdb[i];
		}
	m.n_fdb = nf;
	n = conf_to_node(&m);
	if (n == NULL)
		goto out;
	v = conf_from_node(n, err);
	if (v == NULL) {
		remap_field(err, "vnis", vidx, nv);
		remap_field(err, "fdb", fidx, nf);
		rc = -EINVAL;
		goto out;
	}
	/* Bindings across VNIs, in the order the rules would meet them. */
	for (i = 0; i < cand->n_vnis; i++) {
		const struct conf_vni *cv = &cand->vnis[i];

		if (cv->n_access > CTL_MAX_LOCAL) {
			snprintf(err->field, sizeof(err->field), "vnis[%u].access", i);
			snprintf(err->reason, sizeof(err->reason),
				 "%u access bindings; vtepd takes at most %u per VNI", cv->n_access,
				 CTL_MAX_LOCAL);
			rc = -EINVAL;
			goto out;
		}
		for (j = 0; j < cv->n_access; j++) {
			int p = conf_port_find(cand, cv->access[j].port);
			uint32_t key = (uint32_t)(p + 1) << 16 | cv->access[j].vlan;
			int64_t first = vmap_get(&bind, key);

			if (first >= 0) {
				unsigned fi = (unsigned)first >> 8, fj = (unsigned)first & 0xff;
				char b[CONF_NAME_MAX + 16];

				err->line = 0;
				binding_fmt(b, sizeof(b), &cv->access[j]);
				snprintf(err->field, sizeof(err->field), "vnis[%u].access[%u]", i, j);
				snprintf(err->reason, sizeof(err->reason),
					 "%s is already bound to VNI %u (vnis[%u].access[%u])", b,
					 cand->vnis[fi].vni, fi, fj);
				rc = -EINVAL;
				goto out;
			}
			vmap_put(&bind, key, i << 8 | j);
		}
	}
	rc = 0;
out:
	if (rc == -ENOMEM)
		fail(err, rc, "", "out of memory");
	conf_free(v);
	conf_node_free(n);
	free(m.vnis);
	free(m.fdb);
	free(vidx);
	free(fidx);
	vmap_free(&cm);
	vmap_free(&tm);
	vmap_free(&bind);
	return rc;
}

int
ctl_batch_commit(struct ctl *c, struct conf_err *err)
{
	struct conf *cand = c->cand, *next;

	if (cand == NULL)
		return fail(err, -EINVAL, "", "no batch is open");
	c->cand = NULL;
	if (c->touch_all) {
		next = validate(cand, err);
		conf_free(cand);
	} else if (validate_touched(c, cand, err) == 0) {
		next = cand;
	} else {
		conf_free(cand);
		next = NULL;
	}
	if (next == NULL) {
		c->ctr[CTL_CHANGES_REFUSED]++;
		return -EINVAL;
	}
	return commit(c, next, err);
}

/* Operations outside a batch make one of their own. */
static int
op_begin(struct ctl *c)
{
	int rc;

	if (c->cand != NULL)
		return 0;
	rc = ctl_batch_begin(c);
	if (rc == 0)
		c->cand_auto = true;
	return rc;
}

static int
op_end(struct ctl *c, int rc, struct conf_err *err)
{
	int crc;

	if (!c->cand_auto)
		return rc;
	c->cand_auto = false;
	if (rc < 0) {
		ctl_batch_abort(c);
		return rc;
	}
	crc = ctl_batch_commit(c, err);
	return crc < 0 ? crc : rc;
}

/* ---- typed operations ---------------------------------------------------- */

static int
vni_index(const struct conf *cf, uint32_t vni)
{
	unsigned i;

	for (i = 0; i < cf->n_vnis; i++)
		if (cf->vnis[i].vni == vni)
			return (int)i;
	return -1;
}

static void
vni_clear(struct conf_vni *v)
{
	free(v->access);
	free(v->remotes);
	memset(v, 0, sizeof(*v));
}

static int
vni_copy(struct conf_vni *dst, const struct conf_vni *src)
{
	*dst = *src;
	dst->access = NULL;
	dst->remotes = NULL;
	if (src->n_access != 0) {
		dst->access = malloc(src->n_access * sizeof(*dst->access));
		if (dst->access == NULL)
			return -ENOMEM;
		memcpy(dst->access, src->access, src->n_access * sizeof(*dst->access));
	}
	if (src->n_remotes != 0) {
		dst->remotes = malloc(src->n_remotes * sizeof(*dst->remotes));
		if (dst->remotes == NULL) {
			free(dst->access);
			dst->access = NULL;
			return -ENOMEM;
		}
		memcpy(dst->remotes, src->remotes, src->n_remotes * sizeof(*dst->remotes));
	}
	return 0;
}

/* The VNIs and static entries of a configuration, dropped or copied. */
static void
model_clear_vnis_fdb(struct conf *cf)
{
	unsigned i;

	for (i = 0; i < cf->n_vnis; i++)
		vni_clear(&cf->vnis[i]);
	free(cf->vnis);
	free(cf->fdb);
	cf->vnis = NULL;
	cf->fdb = NULL;
	cf->n_vnis = 0;
	cf->n_fdb = 0;
}

static int
model_copy_vnis_fdb(struct conf *dst, const struct conf *src)
{
	unsigned i;

	dst->vnis = calloc(src->n_vnis ? src->n_vnis : 1, sizeof(*dst->vnis));
	dst->fdb = malloc((src->n_fdb ? src->n_fdb : 1) * sizeof(*dst->fdb));
	if (dst->vnis == NULL || dst->fdb == NULL)
		return -ENOMEM;
	for (i = 0; i < src->n_vnis; i++) {
		if (vni_copy(&dst->vnis[i], &src->vnis[i]) != 0)
			return -ENOMEM;
		dst->n_vnis++;
	}
	if (src->n_fdb != 0)
		memcpy(dst->fdb, src->fdb, src->n_fdb * sizeof(*dst->fdb));
	dst->n_fdb = src->n_fdb;
	return 0;
}

static int
vni_put(struct ctl *c, const struct conf_vni *v, struct conf_err *err)
{
	struct conf *cf = c->cand;
	int i = vni_index(cf, v->vni);
	struct conf_vni copy;

	if (v->vni == 0 || v->vni > 16777215)
		return fail(err, -EINVAL, "vni", "%u is not a VNI (1-16777215)", v->vni);
	if (touch(c, v->vni) != 0 || vni_copy(&copy, v) != 0)
		return fail(err, -ENOMEM, "", "out of memory");
	if (i >= 0) {
		vni_clear(&cf->vnis[i]);
		cf->vnis[i] = copy;
		return 0;
	}
	if (cf->n_vnis >= CTL_MAX_VNIS) {
		vni_clear(&copy);
		return fail(err, -ENOSPC, "vni", "%u VNIs are configured, the most vtepd holds",
			    cf->n_vnis);
	}
	struct conf_vni *nv = realloc(cf->vnis, (cf->n_vnis + 1) * sizeof(*nv));

	if (nv == NULL) {
		vni_clear(&copy);
		return fail(err, -ENOMEM, "", "out of memory");
	}
	cf->vnis = nv;
	cf->vnis[cf->n_vnis++] = copy;
	return 1;
}

int
ctl_vni_put(struct ctl *c, const struct conf_vni *v, struct conf_err *err)
{
	int rc = op_begin(c);

	if (rc != 0)
		return fail(err, rc, "", "%s", strerror(-rc));
	return op_end(c, vni_put(c, v, err), err);
}

static void
fdb_remove_at(struct conf *cf, unsigned i)
{
	/* Callers forget the index (fidx_forget()): entries move. */
	cf->fdb[i] = cf->fdb[cf->n_fdb - 1];
	cf->n_fdb--;
}

static int
vni_del(struct ctl *c, uint32_t vni, struct conf_err *err)
{
	struct conf *cf = c->cand;
	int i = vni_index(cf, vni);
	unsigned j;

	if (i < 0)
		return fail(err, -ENOENT, "vni", "VNI %u is not configured", vni);
	vni_clear(&cf->vnis[i]);
	memmove(&cf->vnis[i], &cf->vnis[i + 1], (cf->n_vnis - (unsigned)i - 1) * sizeof(*cf->vnis));
	cf->n_vnis--;
	/* Its static entries go with it. */
	for (j = cf->n_fdb; j-- > 0;)
		if (cf->fdb[j].vni == vni)
			fdb_remove_at(cf, j);
	fidx_forget(c);
	return 0;
}

int
ctl_vni_del(struct ctl *c, uint32_t vni, struct conf_err *err)
{
	int rc = op_begin(c);

	if (rc != 0)
		return fail(err, rc, "", "%s", strerror(-rc));
	return op_end(c, vni_del(c, vni, err), err);
}


/* (VNI, MAC) -> index into the candidate's static entries, built on the
 * batch's first look and kept while entries are only added: a bulk POST
 * of 100 000 entries must not scan the list once per entry. */
static int
fidx_build(struct ctl *c, const struct conf *cf)
{
	uint32_t size = 64, i;

	while (size < (cf->n_fdb + 1) * 2)
		size *= 2;
	free(c->fidx_key);
	free(c->fidx_val);
	c->fidx_key = calloc(size, sizeof(*c->fidx_key));
	c->fidx_val = calloc(size, sizeof(*c->fidx_val));
	if (c->fidx_key == NULL || c->fidx_val == NULL)
		return -ENOMEM;
	c->fidx_mask = size - 1;
	c->fidx_n = 0;
	c->fidx_of = cf;
	for (i = 0; i < cf->n_fdb; i++)
		fidx_put(c, fdb_key64(cf->fdb[i].vni, cf->fdb[i].mac), i);
	return 0;
}

static void
fidx_put(struct ctl *c, uint64_t key, uint32_t val)
{
	uint32_t i = (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> 32) & c->fidx_mask;

	while (c->fidx_key[i] != 0 && c->fidx_key[i] != key)
		i = (i + 1) & c->fidx_mask;
	if (c->fidx_key[i] == 0)
		c->fidx_n++;
	c->fidx_key[i] = key;
	c->fidx_val[i] = val;
}

static int
fdb_index(struct ctl *c, const struct conf *cf, uint32_t vni, const uint8_t mac[6])
{
	uint64_t key = fdb_key64(vni, mac);
	uint32_t i;

	if (c->fidx_of != cf || c->fidx_key == NULL || (c->fidx_n + 1) * 2 > c->fidx_mask + 1)
		if (fidx_build(c, cf) != 0)
			return -ENOMEM;
	for (i = (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> 32) & c->fidx_mask;
	     c->fidx_key[i] != 0; i = (i + 1) & c->fidx_mask)
		if (c->fidx_key[i] == key)
			return (int)c->fidx_val[i];
	return -1;
}


static int
fdb_add(struct ctl *c, const struct conf_fdb *e, struct conf_err *err)
{
	struct conf *cf = c->cand;
	struct conf_fdb *nf;
	int i;

	if (vni_index(cf, e->vni) < 0)
		return fail(err, -ENOENT, "vni", "VNI %u is not configured", e->vni);
	i = fdb_index(c, cf, e->vni, e->mac);
	if (i == -ENOMEM)
		return fail(err, -ENOMEM, "", "out of memory");
	if (i >= 0) {
		if (fdb_entry_same(&cf->fdb[i], e))
			return 0;
		return fail(err, -EEXIST, "mac",
			    "%02x:%02x:%02x:%02x:%02x:%02x has a static entry with another destination",
			    e->mac[0], e->mac[1], e->mac[2], e->mac[3], e->mac[4], e->mac[5]);
	}
	if (touch(c, e->vni) != 0)
		return fail(err, -ENOMEM, "", "out of memory");
	nf = realloc(cf->fdb, (cf->n_fdb + 1) * sizeof(*nf));
	if (nf == NULL)
		return fail(err, -ENOMEM, "", "out of memory");
	cf->fdb = nf;
	cf->fdb[cf->n_fdb] = *e;
	fidx_put(c, fdb_key64(e->vni, e->mac), cf->n_fdb);
	cf->n_fdb++;
	return 1;
}

int
ctl_fdb_add(struct ctl *c, const struct conf_fdb *e, struct conf_err *err)
{
	int rc = op_begin(c);

	if (rc != 0)
		return fail(err, rc, "", "%s", strerror(-rc));
	return op_end(c, fdb_add(c, e, err), err);
}

int
ctl_fdb_del(struct ctl *c, uint32_t vni, const struct rte_ether_addr *mac, struct conf_err *err)
{
	int i, rc;

	if (c->cand == NULL && vni_index(c->model, vni) < 0)
		return fail(err, -ENOENT, "vni", "VNI %u is not configured", vni);
	i = fdb_index(c, c->cand != NULL ? c->cand : c->model, vni, mac->addr_bytes);
	if (i >= 0) {
		rc = op_begin(c);
		if (rc != 0)
			return fail(err, rc, "", "%s", strerror(-rc));
		i = fdb_index(c, c->cand, vni, mac->addr_bytes);
		if (i < 0)
			return op_end(c, fail(err, -ENOMEM, "", "out of memory"), err);
		fdb_remove_at(c->cand, (unsigned)i);
		fidx_forget(c);
		return op_end(c, 0, err);
	}
	/* A learned entry is no configuration: delete it now. */
	if (fdb_del(c->fdb, vni, mac) != 0)
		return fail(err, -ENOENT, "mac", "no entry for this MAC in VNI %u", vni);
	return 0;
}

int
ctl_fdb_flush(struct ctl *c, uint32_t vni, unsigned what, struct conf_err *err)
{
	const struct conf *cf = c->cand != NULL ? c->cand : c->model;
	unsigned n = 0, j;
	int rc;

	if (vni != FDB_VNI_ANY && vni_index(cf, vni) < 0)
		return fail(err, -ENOENT, "vni", "VNI %u is not configured", vni);
	if (what & FDB_FLUSH_STATIC) {
		rc = op_begin(c);
		if (rc != 0)
			return fail(err, rc, "", "%s", strerror(-rc));
		for (j = c->cand->n_fdb; j-- > 0;)
			if (vni == FDB_VNI_ANY || c->cand->fdb[j].vni == vni) {
				fdb_remove_at(c->cand, j);
				n++;
			}
		fidx_forget(c);
		rc = op_end(c, 0, err);
		if (rc < 0)
			return rc;
	}
	if (what & FDB_FLUSH_LEARNED)
		n += fdb_flush(c->fdb, vni, FDB_FLUSH_LEARNED);
	return (int)n;
}

static int
flood_edit(struct ctl *c, uint32_t vni, const struct vtep_ip *ip, bool add, struct conf_err *err)
{
	struct conf_vni *v;
	struct vtep_ip *r;
	unsigned j;
	int i = vni_index(c->cand, vni);

	if (i < 0)
		return fail(err, -ENOENT, "vni", "VNI %u is not configured", vni);
	v = &c->cand->vnis[i];
	for (j = 0; j < v->n_remotes; j++)
		if (vtep_ip_eq(&v->remotes[j], ip))
			break;
	if (add) {
		if (j < v->n_remotes)
			return 0;
		if (touch(c, vni) != 0)
			return fail(err, -ENOMEM, "", "out of memory");
		r = realloc(v->remotes, (v->n_remotes + 1) * sizeof(*r));
		if (r == NULL)
			return fail(err, -ENOMEM, "", "out of memory");
		v->remotes = r;
		v->remotes[v->n_remotes++] = *ip;
		return 1;
	}
	if (j == v->n_remotes)
		return fail(err, -ENOENT, "remote", "not in the flood list of VNI %u", vni);
	memmove(&v->remotes[j], &v->remotes[j + 1], (v->n_remotes - j - 1) * sizeof(*v->remotes));
	v->n_remotes--;
	return 0;
}

int
ctl_flood_add(struct ctl *c, uint32_t vni, const struct vtep_ip *ip, struct conf_err *err)
{
	int rc = op_begin(c);

	if (rc != 0)
		return fail(err, rc, "", "%s", strerror(-rc));
	return op_end(c, flood_edit(c, vni, ip, true, err), err);
}

int
ctl_flood_del(struct ctl *c, uint32_t vni, const struct vtep_ip *ip, struct conf_err *err)
{
	int rc = op_begin(c);

	if (rc != 0)
		return fail(err, rc, "", "%s", strerror(-rc));
	return op_end(c, flood_edit(c, vni, ip, false, err), err);
}

/* The fields of the underlay that change live; the others need a restart. */
static int
underlay_fixed_differ(const struct conf_underlay *a, const struct conf_underlay *b,
		      struct conf_err *err)
{
	if (strcmp(a->port, b->port) != 0)
		return fail(err, -EINVAL, "underlay.port", "changes only with a restart");
	if (!vtep_ip_eq(&a->address, &b->address) || a->prefix_len != b->prefix_len)
		return fail(err, -EINVAL, "underlay.address", "changes only with a restart");
	if (!vtep_ip_eq(&a->gateway, &b->gateway))
		return fail(err, -EINVAL, "underlay.gateway", "changes only with a restart");
	if (a->udp_port != b->udp_port)
		return fail(err, -EINVAL, "underlay.udp_port", "changes only with a restart");
	if (a->n_neighbors != b->n_neighbors ||
	    (a->n_neighbors != 0 &&
	     memcmp(a->neighbors, b->neighbors, a->n_neighbors * sizeof(*a->neighbors)) != 0))
		return fail(err, -EINVAL, "underlay.neighbors", "change only with a restart");
	return 0;
}

static void
underlay_live_copy(struct conf_underlay *dst, const struct conf_underlay *src)
{
	dst->sport_min = src->sport_min;
	dst->sport_max = src->sport_max;
	dst->ttl = src->ttl;
	dst->ttl_inherit = src->ttl_inherit;
	dst->tos = src->tos;
	dst->tos_inherit = src->tos_inherit;
	dst->ecn = src->ecn;
	dst->df = src->df;
	dst->mtu = src->mtu;
}

int
ctl_underlay_set(struct ctl *c, const struct conf_underlay *u, struct conf_err *err)
{
	int rc = op_begin(c);

	if (rc != 0)
		return fail(err, rc, "", "%s", strerror(-rc));
	rc = underlay_fixed_differ(&c->cand->underlay, u, err);
	if (rc == 0)
		underlay_live_copy(&c->cand->underlay, u);
	return op_end(c, rc, err);
}

/* ---- declarative apply --------------------------------------------------- */

struct diff_buf {
	char *s;
	size_t len, cap;
	int n;
};

static void
diff_add(struct diff_buf *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
diff_add(struct diff_buf *d, const char *fmt, ...)
{
	va_list ap;
	int n;

	d->n++;
	if (d->cap - d->len < 256) {
		size_t cap = d->cap ? d->cap * 2 : 4096;
		char *s = realloc(d->s, cap);

		if (s == NULL)
			return;
		d->s = s;
		d->cap = cap;
	}
	va_start(ap, fmt);
	n = vsnprintf(d->s + d->len, d->cap - d->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		d->len += RTE_MIN((size_t)n, d->cap - d->len - 1);
}

static void
mac_fmt(char *b, size_t n, const uint8_t m[6])
{
	snprintf(b, n, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void
describe(const struct conf *from, const struct conf *to, struct diff_buf *d)
{
	const struct conf_underlay *a = &from->underlay, *b = &to->underlay;
	const struct conf_fdb **x = fdb_sorted(from), **y = fdb_sorted(to);
	char m[32], ip[64];
	unsigned i, j;

	if (a->ttl != b->ttl || a->ttl_inherit != b->ttl_inherit)
		diff_add(d, "~ underlay.ttl\n");
	if (a->tos != b->tos || a->tos_inherit != b->tos_inherit)
		diff_add(d, "~ underlay.tos\n");
	if (a->df != b->df)
		diff_add(d, "~ underlay.df %s -> %s\n", a->df ? "true" : "false", b->df ? "true" : "false");
	if (a->ecn != b->ecn)
		diff_add(d, "~ underlay.ecn\n");
	if (a->sport_min != b->sport_min || a->sport_max != b->sport_max)
		diff_add(d, "~ underlay.sport %u-%u -> %u-%u\n", a->sport_min, a->sport_max,
			 b->sport_min, b->sport_max);
	if (a->mtu != b->mtu)
		diff_add(d, "~ underlay.mtu %u -> %u\n", a->mtu, b->mtu);
	for (i = 0; i < to->n_vnis; i++) {
		const struct conf_vni *o = vni_in(from, to->vnis[i].vni);

		if (o == NULL)
			diff_add(d, "+ vni %u\n", to->vnis[i].vni);
		else if (!vni_same(o, &to->vnis[i]))
			diff_add(d, "~ vni %u\n", to->vnis[i].vni);
	}
	for (i = 0; i < from->n_vnis; i++)
		if (vni_in(to, from->vnis[i].vni) == NULL)
			diff_add(d, "- vni %u\n", from->vnis[i].vni);
	if (x == NULL || y == NULL)
		goto out;
	for (i = 0, j = 0; i < from->n_fdb || j < to->n_fdb;) {
		int cmp = i == from->n_fdb ? 1 : j == to->n_fdb ? -1 : fdb_entry_cmp(&x[i], &y[j]);
		const struct conf_fdb *e = cmp <= 0 ? x[i] : y[j];

		mac_fmt(m, sizeof(m), e->mac);
		if (cmp < 0) {
			diff_add(d, "- fdb %u %s\n", e->vni, m);
			i++;
		} else if (cmp > 0) {
			diff_add(d, "+ fdb %u %s %s\n", e->vni, m,
				 e->is_remote ? vtep_ip_str(&e->remote, ip, sizeof(ip)) : e->local.port);
			j++;
		} else {
			if (!fdb_entry_same(x[i], y[j]))
				diff_add(d, "~ fdb %u %s\n", e->vni, m);
			i++;
			j++;
		}
	}
out:
	free(x);
	free(y);
}

int
ctl_config_apply(struct ctl *c, const struct conf *target, bool dry_run, char **diff,
		 struct conf_err *err)
{
	struct diff_buf d = { 0 };
	struct conf *next;
	int rc;

	if (diff != NULL)
		*diff = NULL;
	if (c->cand != NULL)
		return fail(err, -EBUSY, "", "a batch is open");
	rc = underlay_fixed_differ(&c->model->underlay, &target->underlay, err);
	if (rc != 0)
		return rc;
	/* Only the VNIs, the static entries and the underlay's live fields
	 * come from @target: the ports and the rest need a restart. */
	next = conf_dup(c->model);
	if (next == NULL)
		return fail(err, -ENOMEM, "", "out of memory");
	model_clear_vnis_fdb(next);
	if (model_copy_vnis_fdb(next, target) != 0) {
		conf_free(next);
		return fail(err, -ENOMEM, "", "out of memory");
	}
	underlay_live_copy(&next->underlay, &target->underlay);
	c->cand = next;
	c->n_touched = 0;
	c->touch_all = true;
	describe(c->model, next, &d);
	if (diff != NULL) {
		*diff = d.s != NULL ? d.s : strdup("");
		d.s = NULL;
	}
	free(d.s);
	if (dry_run || d.n == 0) {
		ctl_batch_abort(c);
		return d.n;
	}
	rc = ctl_batch_commit(c, err);
	return rc < 0 ? rc : d.n;
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
		prc = persist(c);
		if (prc != 0 && c->group_saved != NULL) {
			struct conf *now = c->model;

			c->ctr[CTL_PERSIST_ERRORS]++;
			apply(c, now, c->group_saved);
			c->model = c->group_saved;
			c->group_saved = NULL;
			snap_publish(c);
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
	c->age_ms = ms;
	if (budget > 0)
		fdb_age(c->fdb, now, budget);
	calls_run(c);
	if (c->dirty)
		snap_publish(c);
}

/* ---- setup --------------------------------------------------------------- */

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
	    p->n_workers > CTL_MAX_WORKERS || p->snap == NULL) {
		fail(err, -EINVAL, "", "invalid parameters");
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		fail(err, -ENOMEM, "", "out of memory");
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
	pthread_mutex_init(&c->call_lock, NULL);
	pthread_cond_init(&c->call_cond, NULL);
	c->calls_tail = &c->calls;
	if (p->state_file != NULL || p->conf->state_file != NULL) {
		c->state_file = strdup(p->state_file != NULL ? p->state_file : p->conf->state_file);
		if (c->state_file == NULL)
			goto oom;
	}
	c->local_ip = u->address.v4;
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
			fail(err, -EINVAL, "underlay.neighbors", "cannot add neighbour %u", i);
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
		.on_remove = fdb_removed,
		.arg = c,
	};
	c->fdb = fdb_create(&fp);
	if (c->fdb == NULL) {
		fail(err, -rte_errno, "fdb_capacity", "cannot create an FDB of %u entries: %s",
		     p->conf->fdb_capacity, rte_strerror(rte_errno));
		goto out;
	}

	for (i = 0; i < p->conf->n_vnis; i++)
		if (p->conf->vnis[i].flood_mode == CONF_FLOOD_MULTICAST) {
			char f[32];

			snprintf(f, sizeof(f), "vnis[%u].flood", i);
			fail(err, -ENOTSUP, f, "flood mode multicast is not supported yet; use head-end");
			goto out;
		}
	/* Start from nothing and apply the configuration as one change, the
	 * same way as a change made at run time. */
	empty = conf_dup(p->conf);
	if (empty == NULL)
		goto oom;
	model_clear_vnis_fdb(empty);
	c->model = empty;
	rc = snap_publish(c);
	if (rc != 0)
		goto oom;
	next = conf_dup(p->conf);
	if (next == NULL)
		goto oom;
	/* The start is no change to persist: the state file already says it. */
	c->starting = true;
	rc = commit(c, next, err);
	c->starting = false;
	if (rc != 0)
		goto out;
	return c;
oom:
	fail(err, -ENOMEM, "", "out of memory");
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
		snap_free(*c->p.snap);
		*c->p.snap = NULL;
	}
	fdb_free(c->fdb);
	free(c->remotes);
	free(c->rhash);
	free(c->touched);
	free(c->fidx_key);
	free(c->fidx_val);
	vmap_free(&c->slot_of);
	neigh_free(c->neighs);
	conf_free(c->model);
	free(c->state_file);
	pthread_mutex_destroy(&c->call_lock);
	pthread_cond_destroy(&c->call_cond);
	free(c);
}
