/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Counters: declared once in the .def files, kept per worker, summed here
 * for the text dump, the API and the metrics alike.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "ctl_private.h"

static const char *const vni_names[] = {
#define CTL_VNI_CTR(e, name, help) name,
#include "ctl_vni_ctr.def"
#undef CTL_VNI_CTR
};
static const char *const vni_helps[] = {
#define CTL_VNI_CTR(e, name, help) help,
#include "ctl_vni_ctr.def"
#undef CTL_VNI_CTR
};
static const char *const port_names[] = {
#define CTL_PORT_CTR(e, name, help) name,
#include "ctl_port_ctr.def"
#undef CTL_PORT_CTR
};
static const char *const port_helps[] = {
#define CTL_PORT_CTR(e, name, help) help,
#include "ctl_port_ctr.def"
#undef CTL_PORT_CTR
};
static const char *const worker_names[] = {
#define CTL_WORKER_CTR(e, group, name, help) group "." name,
#include "ctl_worker_ctr.def"
#undef CTL_WORKER_CTR
};
static const char *const worker_helps[] = {
#define CTL_WORKER_CTR(e, group, name, help) help,
#include "ctl_worker_ctr.def"
#undef CTL_WORKER_CTR
};
static const char *const ctl_names[] = {
#define CTL_CTR(e, group, name, help) group "." name,
#include "ctl_ctr.def"
#undef CTL_CTR
};
static const char *const ctl_helps[] = {
#define CTL_CTR(e, group, name, help) help,
#include "ctl_ctr.def"
#undef CTL_CTR
};

#define LOOKUP(table, i) ((unsigned)(i) < RTE_DIM(table) ? table[i] : "?")

const char *ctl_vni_ctr_name(enum ctl_vni_ctr i) { return LOOKUP(vni_names, i); }
const char *ctl_vni_ctr_help(enum ctl_vni_ctr i) { return LOOKUP(vni_helps, i); }
const char *ctl_port_ctr_name(enum ctl_port_ctr i) { return LOOKUP(port_names, i); }
const char *ctl_port_ctr_help(enum ctl_port_ctr i) { return LOOKUP(port_helps, i); }
const char *ctl_worker_ctr_name(enum ctl_worker_ctr i) { return LOOKUP(worker_names, i); }
const char *ctl_worker_ctr_help(enum ctl_worker_ctr i) { return LOOKUP(worker_helps, i); }
const char *ctl_ctr_name(enum ctl_ctr i) { return LOOKUP(ctl_names, i); }
const char *ctl_ctr_help(enum ctl_ctr i) { return LOOKUP(ctl_helps, i); }

static int
vni_slot(const struct ctl *c, uint32_t vni)
{
	const struct dp_snap *s = *c->p.snap;
	const struct dp_vni *v = s != NULL ? dp_vni_find(s, vni) : NULL;

	return v != NULL ? v->slot : -1;
}

/*
 * The busy ratio of each worker over the last interval: cycles of loop
 * turns that moved frames over all cycles polled, as VPP and OVS report
 * PMD load. A ratio since start would hide a worker saturated now.
 */
void
ctl_load_poll(struct ctl *c, uint64_t ms)
{
	unsigned w;

	/* The first interval starts at the first poll. */
	bool first = !c->load_started;

	if (!first && ms - c->load_ms < CTL_LOAD_INTERVAL_MS)
		return;
	for (w = 0; w < c->p.n_workers; w++) {
		const struct dp_counters *d = c->p.counters[w];
		uint64_t polled = __atomic_load_n(&d->cycles_polled, __ATOMIC_RELAXED);
		uint64_t busy = __atomic_load_n(&d->cycles_busy, __ATOMIC_RELAXED);
		uint64_t dp = polled - c->load_polled[w], db = busy - c->load_busy[w];

		if (!first)
			c->load[w] = dp != 0 ? (double)(db > dp ? dp : db) / (double)dp : 0.0;
		c->load_polled[w] = polled;
		c->load_busy[w] = busy;
	}
	c->load_ms = ms;
	c->load_started = true;
}

static int
neigh_count(void *arg, const struct neigh_info *n)
{
	uint32_t *by_state = arg;

	if ((unsigned)n->state < NEIGH_STATE_MAX)
		by_state[n->state]++;
	return 0;
}

static void
fill_ring(struct ctl_stats *s, const struct rte_ring *r)
{
	struct ctl_fill *f;

	if (r == NULL || s->n_rings >= CTL_MAX_RINGS)
		return;
	f = &s->rings[s->n_rings++];
	snprintf(f->name, sizeof(f->name), "%s", r->name);
	f->used = rte_ring_count(r);
	f->size = rte_ring_get_capacity(r);
}

int
ctl_stats_get(struct ctl *c, struct ctl_stats *s)
{
	const struct conf *cf = c->model;
	unsigned i, w, e, k;

	memset(s, 0, sizeof(*s));
	s->now = ctl_now(c);
	s->n_ports = c->p.n_ports;
	s->n_workers = c->p.n_workers;
	for (i = 0; i < c->p.n_ports; i++) {
		struct ctl_port_stats *ps = &s->ports[i];
		struct rte_eth_stats es;
		uint16_t pid = c->ports[i].id;

		snprintf(ps->name, sizeof(ps->name), "%s", c->ports[i].name);
		for (w = 0; w < c->p.n_workers; w++)
			for (k = 0; k < CTL_PORT_CTR_MAX; k++)
				ps->c[k] += c->p.counters[w]->port[pid].c[k];
		memset(&es, 0, sizeof(es));
		if (rte_eth_dev_is_valid_port(pid) && rte_eth_stats_get(pid, &es) == 0) {
			ps->rx_missed = es.imissed;
			ps->rx_nombuf = es.rx_nombuf;
		}
	}
	s->vnis = calloc(cf->n_vnis ? cf->n_vnis : 1, sizeof(*s->vnis));
	if (s->vnis == NULL)
		return -ENOMEM;
	s->n_vnis = cf->n_vnis;
	for (i = 0; i < cf->n_vnis; i++) {
		struct ctl_vni_stats *vs = &s->vnis[i];
		int slot = vni_slot(c, cf->vnis[i].vni);

		vs->vni = cf->vnis[i].vni;
		vs->fdb_entries = fdb_vni_count(c->fdb, vs->vni);
		vs->fdb_learned = fdb_vni_learned(c->fdb, vs->vni);
		if (slot < 0)
			continue;
		for (w = 0; w < c->p.n_workers; w++)
			for (k = 0; k < CTL_VNI_CTR_MAX; k++)
				vs->c[k] += c->p.counters[w]->vni[slot].c[k];
		/* Learning happens here, on the writer, not in a worker. */
		vs->c[CTL_VNI_ARP_LEARNED] += c->arp_learned[slot];
	}
	for (w = 0; w < c->p.n_workers; w++) {
		const struct dp_counters *d = c->p.counters[w];

		for (e = 1; e < VTEP_DROP_MAX; e++) {
			s->drops[e] += d->drops[e];
			s->workers[w].drops += d->drops[e];
		}
		for (i = 0; i < c->p.n_ports; i++)
			s->workers[w].rx_packets += d->port[c->ports[i].id].c[CTL_PORT_RX_PACKETS];
		for (k = 0; k < CTL_WORKER_CTR_MAX; k++)
			s->worker[k] += d->w[k];
		s->workers[w].cycles_polled = __atomic_load_n(&d->cycles_polled, __ATOMIC_RELAXED);
		s->workers[w].cycles_busy = __atomic_load_n(&d->cycles_busy, __ATOMIC_RELAXED);
		s->workers[w].busy_ratio = c->load[w];
	}
	memcpy(s->ctl, c->ctr, sizeof(s->ctl));
	fdb_stats_get(c->fdb, &s->fdb);
	neigh_walk(c->neighs, neigh_count, s->neighbors);
	for (i = 0; i < c->p.n_pools; i++) {
		const struct rte_mempool *mp = c->pools[i];
		struct ctl_fill *f = &s->pools[s->n_pools++];

		snprintf(f->name, sizeof(f->name), "%s", mp->name);
		f->used = rte_mempool_in_use_count(mp);
		f->size = mp->size;
	}
	fill_ring(s, c->p.learn);
	fill_ring(s, c->p.punt);
	fill_ring(s, c->p.tx);
	return 0;
}

void
ctl_stats_release(struct ctl_stats *s)
{
	free(s->vnis);
	s->vnis = NULL;
	s->n_vnis = 0;
}

/* One "neigh.<ip> <state> <MAC or ->" line; the packet tests parse it. */
static int
neigh_print(void *arg, const struct neigh_info *n)
{
	char ip[64], mac[RTE_ETHER_ADDR_FMT_SIZE];
	struct vtep_ip a = vtep_ip4(n->ip);

	rte_ether_format_addr(mac, sizeof(mac), &n->mac);
	fprintf(arg, "neigh.%s %s %s\n", vtep_ip_str(&a, ip, sizeof(ip)),
		neigh_state_name(n->state), n->usable ? mac : "-");
	return 0;
}

void
ctl_stats_print(struct ctl *c, const struct ctl_stats *s, FILE *f)
{
	unsigned i, k;

	for (i = 0; i < s->n_ports; i++) {
		for (k = 0; k < CTL_PORT_CTR_MAX; k++)
			fprintf(f, "port.%s.%s %" PRIu64 "\n", s->ports[i].name, port_names[k],
				s->ports[i].c[k]);
		fprintf(f, "port.%s.rx_missed %" PRIu64 "\n", s->ports[i].name, s->ports[i].rx_missed);
		fprintf(f, "port.%s.rx_nombuf %" PRIu64 "\n", s->ports[i].name, s->ports[i].rx_nombuf);
	}
	for (i = 0; i < s->n_vnis; i++) {
		for (k = 0; k < CTL_VNI_CTR_MAX; k++)
			fprintf(f, "vni.%" PRIu32 ".%s %" PRIu64 "\n", s->vnis[i].vni, vni_names[k],
				s->vnis[i].c[k]);
		fprintf(f, "vni.%" PRIu32 ".fdb_entries %" PRIu32 "\n", s->vnis[i].vni,
			s->vnis[i].fdb_entries);
		fprintf(f, "vni.%" PRIu32 ".fdb_learned %" PRIu32 "\n", s->vnis[i].vni,
			s->vnis[i].fdb_learned);
	}
	for (i = 0; i < s->n_workers; i++) {
		fprintf(f, "worker.%u.rx_packets %" PRIu64 "\n", i, s->workers[i].rx_packets);
		fprintf(f, "worker.%u.drops %" PRIu64 "\n", i, s->workers[i].drops);
		fprintf(f, "worker.%u.busy_ratio %.3f\n", i, s->workers[i].busy_ratio);
	}
	for (i = 0; i < s->n_pools; i++) {
		fprintf(f, "pool.%s.in_use %" PRIu32 "\n", s->pools[i].name, s->pools[i].used);
		fprintf(f, "pool.%s.size %" PRIu32 "\n", s->pools[i].name, s->pools[i].size);
	}
	for (i = 0; i < s->n_rings; i++) {
		fprintf(f, "ring.%s.used %" PRIu32 "\n", s->rings[i].name, s->rings[i].used);
		fprintf(f, "ring.%s.size %" PRIu32 "\n", s->rings[i].name, s->rings[i].size);
	}
	for (k = 1; k < VTEP_DROP_MAX; k++)
		fprintf(f, "drop.%s %" PRIu64 "\n", vtep_drop_name((enum vtep_drop)k), s->drops[k]);
	for (k = 0; k < FDB_STAT_MAX; k++)
		fprintf(f, "fdb.%s %" PRIu64 "\n", fdb_stat_name(k), fdb_stat_value(&s->fdb, k));
	for (k = 0; k < CTL_WORKER_CTR_MAX; k++)
		fprintf(f, "%s %" PRIu64 "\n", worker_names[k], s->worker[k]);
	for (k = 0; k < CTL_CTR_MAX; k++)
		fprintf(f, "%s %" PRIu64 "\n", ctl_names[k], s->ctl[k]);
	neigh_walk(c->neighs, neigh_print, f);
	fflush(f);
}
