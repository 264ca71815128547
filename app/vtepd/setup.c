/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Setting up the daemon's mbuf pools and workers: shared by main() and the
 * harnesses (tests/fuzz) that drive the real worker and control-thread code.
 */
#include <errno.h>

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "vtepd.h"

static struct rte_mempool *
pool_create(const char *name, unsigned n, uint16_t data_room)
{
	struct rte_mempool *mp;

	mp = rte_pktmbuf_pool_create(name, n, 256, 0, data_room, (int)rte_socket_id());
	if (mp == NULL)
		VLOG(ERR, "cannot create mbuf pool %s of %u: %s", name, n,
		     rte_strerror(rte_errno));
	return mp;
}

int
pools_create(struct vtepd *d)
{
	const struct conf *cf = d->conf;
	unsigned n = 0, i;

	for (i = 0; i < cf->n_ports; i++)
		n += cf->ports[i].rx_queues * cf->ports[i].rx_desc +
		     d->n_workers * cf->ports[i].tx_desc;
	n += d->n_workers * (cf->n_ports * VTEPD_BURST * 4 + 512) + 4096;
	d->pool = pool_create("mbufs", n, RTE_MBUF_DEFAULT_BUF_SIZE);
	/* Head-end replication: a small header mbuf chained to an indirect
	 * clone of the payload per copy. */
	d->hdr_pool = pool_create("hdrs", 8192, RTE_PKTMBUF_HEADROOM);
	d->clone_pool = pool_create("clones", 8192, 0);
	d->ctl_pool = pool_create("ctl", 1024, RTE_MBUF_DEFAULT_BUF_SIZE);
	if (d->pool == NULL || d->hdr_pool == NULL || d->clone_pool == NULL ||
	    d->ctl_pool == NULL)
		return -ENOMEM;
	d->bum.copy = d->pool;
	return 0;
}

int
workers_create(struct vtepd *d)
{
	unsigned lcore, i = 0;

	RTE_LCORE_FOREACH_WORKER(lcore) {
		struct worker *w;

		if (i == VTEPD_MAX_WORKERS) {
			VLOG(ERR, "at most %d workers", VTEPD_MAX_WORKERS);
			return -EINVAL;
		}
		w = rte_zmalloc_socket("worker", sizeof(*w), RTE_CACHE_LINE_SIZE,
				       (int)rte_lcore_to_socket_id(lcore));
		if (w == NULL)
			return -ENOMEM;
		w->ctr.vni = rte_zmalloc_socket("worker_vni", VTEPD_MAX_VNIS * sizeof(*w->ctr.vni),
					    RTE_CACHE_LINE_SIZE,
					    (int)rte_lcore_to_socket_id(lcore));
		w->storm = rte_zmalloc_socket("worker_storm", VTEPD_MAX_VNIS * sizeof(*w->storm),
					      RTE_CACHE_LINE_SIZE, (int)rte_lcore_to_socket_id(lcore));
		if (w->ctr.vni == NULL || w->storm == NULL) {
			rte_free(w->ctr.vni);
			rte_free(w->storm);
			rte_free(w);
			return -ENOMEM;
		}
		w->fdb_cache = fdb_cache_create(VTEPD_FDB_CACHE,
						(int)rte_lcore_to_socket_id(lcore));
		if (w->fdb_cache == NULL) {
			rte_free(w->ctr.vni);
			rte_free(w->storm);
			rte_free(w);
			return -ENOMEM;
		}
		w->id = i;
		w->lcore = lcore;
		w->txq = (uint16_t)i;
		d->workers[i++] = w;
	}
	d->n_workers = i;
	if (i == 0) {
		VLOG(ERR, "no worker lcore: give the EAL at least two lcores (e.g. -l 0,1 or "
		     "--lcores 0@0,1@0)");
		return -EINVAL;
	}
	d->workers[0]->ctl_tx = rte_ring_create("ctl_tx", 1024, (int)rte_socket_id(),
						 RING_F_SP_ENQ | RING_F_SC_DEQ);
	return d->workers[0]->ctl_tx != NULL ? 0 : -ENOMEM;
}

/* Spread every (port, RX queue) over the workers, round robin. */
void
queues_assign(struct vtepd *d)
{
	unsigned i, q, k = 0;

	for (i = 0; i < d->n_ports; i++) {
		for (q = 0; q < d->ports[i].n_rxq; q++) {
			struct worker *w = d->workers[k++ % d->n_workers];
			struct rxq_ref *r = &w->rxq[w->n_rxq++];

			r->port = d->ports[i].id;
			r->queue = (uint16_t)q;
			r->underlay = d->ports[i].underlay;
		}
	}
	/* The rest of each worker's encap context comes with the snapshot. */
	for (i = 0; i < d->n_workers; i++) {
		struct vtep_encap_ctx *e = &d->workers[i]->encap;

		e->csum_offload = d->ports[d->underlay].ip_csum;
		/* Workers start their IPv4 ids apart so that they rarely meet. */
		e->ip_id = (uint16_t)(i * (65536 / d->n_workers));
		worker_bum_init(d->workers[i]);
	}
}

void
workers_free(struct vtepd *d)
{
	unsigned i;

	for (i = 0; i < d->n_workers; i++) {
		struct worker *w = d->workers[i];

		if (w->ctl_tx != NULL) {
			struct rte_mbuf *m = NULL;

			while (rte_ring_dequeue(w->ctl_tx, (void **)&m) == 0)
				rte_pktmbuf_free(m);
			rte_ring_free(w->ctl_tx);
		}
		fdb_cache_free(w->fdb_cache);
		rte_free(w->ctr.vni);
		rte_free(w->storm);
		rte_free(w);
		d->workers[i] = NULL;
	}
	d->n_workers = 0;
}

void
vtepd_free(struct vtepd *d)
{
	/* Requests waiting for the control thread fail first; then the
	 * server stops, before the writer it calls goes away. */
	if (d->api != NULL) {
		ctl_call_shutdown(d->ctl);
		api_stop(d->api);
		d->api = NULL;
	}
	port_close_all(d);
	control_fini(d);
	workers_free(d);
	if (d->punt != NULL) {
		struct rte_mbuf *m = NULL;

		while (rte_ring_dequeue(d->punt, (void **)&m) == 0)
			rte_pktmbuf_free(m);
	}
	rte_ring_free(d->punt);
	rte_ring_free(d->learn);
	rte_free(d->qsbr);
	rte_mempool_free(d->pool);
	rte_mempool_free(d->hdr_pool);
	rte_mempool_free(d->clone_pool);
	rte_mempool_free(d->ctl_pool);
	conf_free(d->conf);
	d->punt = NULL;
	d->learn = NULL;
	d->qsbr = NULL;
	d->pool = d->hdr_pool = d->clone_pool = d->ctl_pool = NULL;
	d->conf = NULL;
}
