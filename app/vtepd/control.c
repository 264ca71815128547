/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The daemon's side of the control thread: lib/ctl, the one writer, set up
 * over vtepd's ports, rings, pools and workers, and the periodic work that
 * belongs to the daemon (memif watch, the counter dump).
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <rte_cycles.h>

#include "vtepd.h"

static uint64_t
daemon_ms(void *arg)
{
	RTE_SET_USED(arg);
	return (rte_rdtsc() - vd.tsc0) * 1000 / vd.tsc_hz;
}

int
control_init(struct vtepd *d)
{
	struct dp_counters *ctrs[VTEPD_MAX_WORKERS];
	struct ctl_params p;
	struct conf_err err;
	unsigned i;

	for (i = 0; i < d->n_workers; i++)
		ctrs[i] = &d->workers[i]->ctr;
	memset(&p, 0, sizeof(p));
	p.conf = d->conf;
	p.ports = d->ports;
	p.n_ports = d->n_ports;
	p.underlay = d->underlay;
	p.qsbr = d->qsbr;
	p.learn = d->learn;
	p.punt = d->punt;
	p.tx = d->workers[0]->ctl_tx;
	p.pool = d->ctl_pool;
	p.snap = &d->snap;
	p.counters = ctrs;
	p.n_workers = d->n_workers;
	p.clock_ms = daemon_ms;
	struct rte_mempool *pools[] = { d->pool, d->hdr_pool, d->clone_pool, d->ctl_pool };
	p.pools = pools;
	p.n_pools = RTE_DIM(pools);
	memset(&err, 0, sizeof(err));
	d->ctl = ctl_create(&p, &err);
	if (d->ctl == NULL) {
		VLOG(ERR, "control plane: %s%s%s", err.field, err.field[0] ? ": " : "", err.reason);
		return -EINVAL;
	}
	d->fdb = ctl_fdb(d->ctl);
	d->arp = ctl_arp(d->ctl);
	return 0;
}

void
control_stats_print(struct vtepd *d, FILE *f)
{
	struct ctl_stats s;
	unsigned i;

	if (ctl_stats_get(d->ctl, &s) != 0)
		return;
	fprintf(f, "--- vtepd counters at %" PRIu32 " s ---\n", vtepd_now());
	ctl_stats_print(d->ctl, &s, f);
	for (i = 0; i < d->n_ports; i++)
		port_stats_print(d, i, f);
	fflush(f);
	ctl_stats_release(&s);
}

void
control_poll(struct vtepd *d)
{
	uint64_t ms = daemon_ms(NULL);

	ctl_poll(d->ctl);
	port_watch_poll(d);
	if (d->conf->stats_interval != 0 &&
	    ms - d->last_stats_ms >= (uint64_t)d->conf->stats_interval * 1000) {
		d->last_stats_ms = ms;
		control_stats_print(d, stdout);
	}
}

void
control_fini(struct vtepd *d)
{
	ctl_free(d->ctl);
	d->ctl = NULL;
	d->fdb = NULL;
	d->arp = NULL;
	d->snap = NULL;
}
