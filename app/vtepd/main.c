/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vtepd: a VXLAN tunnel endpoint on DPDK.
 *
 *   vtepd -c FILE [--check] [-- EAL arguments...]
 *
 * The main lcore runs the control thread; every other lcore is a worker.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "vtepd.h"

struct vtepd vd;
int vtepd_logtype;

static volatile sig_atomic_t stats_requested;

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		stats_requested = 1;
	else
		__atomic_store_n(&vd.quit, true, __ATOMIC_RELAXED);
}

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: vtepd -c FILE [--check] [-- EAL arguments...]\n"
		"  -c, --config FILE  configuration (YAML); see docs/CONFIG.md\n"
		"      --check        validate the configuration and exit\n"
		"  -h, --help         this text\n"
		"EAL arguments come from the file's 'eal' list, then from after '--'.\n"
		"Signals: SIGUSR1 prints the counters, SIGINT/SIGTERM stop.\n");
}

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

static int
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

static int
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
		w->vni = rte_zmalloc_socket("worker_vni", VTEPD_MAX_VNIS * sizeof(*w->vni),
					    RTE_CACHE_LINE_SIZE,
					    (int)rte_lcore_to_socket_id(lcore));
		if (w->vni == NULL) {
			rte_free(w);
			return -ENOMEM;
		}
		w->fdb_cache = fdb_cache_create(VTEPD_FDB_CACHE,
						(int)rte_lcore_to_socket_id(lcore));
		if (w->fdb_cache == NULL) {
			rte_free(w->vni);
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
static void
queues_assign(struct vtepd *d)
{
	const struct conf_underlay *u = &d->conf->underlay;
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
	for (i = 0; i < d->n_workers; i++) {
		struct vtep_encap_ctx *e = &d->workers[i]->encap;

		e->sport_min = u->sport_min;
		e->sport_span = (uint16_t)(u->sport_max - u->sport_min + 1);
		e->mtu = u->mtu;
		e->df = u->df;
		e->csum_offload = d->ports[d->underlay].ip_csum;
		/* Workers start their IPv4 ids apart so that they rarely meet. */
		e->ip_id = (uint16_t)(i * (65536 / d->n_workers));
	}
}

static void
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
		rte_free(w->vni);
		rte_free(w);
		d->workers[i] = NULL;
	}
	d->n_workers = 0;
}

static int
run(void)
{
	struct sigaction sa;
	unsigned i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);

	for (i = 0; i < vd.n_workers; i++)
		rte_eal_remote_launch(worker_main, vd.workers[i], vd.workers[i]->lcore);
	VLOG(INFO, "running: %u worker(s), %u port(s), %u VNI(s)", vd.n_workers,
	     vd.n_ports, vd.conf->n_vnis);

	while (!__atomic_load_n(&vd.quit, __ATOMIC_RELAXED)) {
		ctl_poll(&vd);
		if (stats_requested) {
			stats_requested = 0;
			ctl_stats_print(&vd, stdout);
		}
		/* The control thread is not a poller: it wakes every 100 us. */
		rte_delay_us_sleep(100);
	}
	rte_eal_mp_wait_lcore();
	/* What the workers punted or learned last is applied before the
	 * final counters. */
	ctl_poll(&vd);
	ctl_stats_print(&vd, stdout);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char err[512];
	const char *path = NULL;
	bool check = false;
	char *eal_argv[CONF_MAX_EAL_ARGS * 2 + 2];
	int eal_argc = 0, opt, rc, i;
	struct rte_rcu_qsbr *qsbr;
	size_t sz;

	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case 'k':
			check = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (path == NULL) {
		usage(stderr);
		return 2;
	}
	vd.conf = conf_load(path, err, sizeof(err));
	if (vd.conf == NULL) {
		fprintf(stderr, "vtepd: %s\n", err);
		return 1;
	}
	if (check) {
		printf("vtepd: %s: valid\n", path);
		conf_free(vd.conf);
		return 0;
	}

	eal_argv[eal_argc++] = argv[0];
	for (i = 0; i < (int)vd.conf->n_eal_args; i++)
		eal_argv[eal_argc++] = vd.conf->eal_args[i];
	for (i = optind; i < argc && eal_argc < (int)RTE_DIM(eal_argv) - 1; i++)
		eal_argv[eal_argc++] = argv[i];
	eal_argv[eal_argc] = NULL;
	if (rte_eal_init(eal_argc, eal_argv) < 0) {
		fprintf(stderr, "vtepd: EAL: %s\n", rte_strerror(rte_errno));
		conf_free(vd.conf);
		return 1;
	}
	vtepd_logtype = rte_log_register_type_and_pick_level("vtepd", RTE_LOG_INFO);
	vd.tsc_hz = rte_get_tsc_hz();
	vd.tsc0 = rte_rdtsc();

	rc = workers_create(&vd);
	if (rc != 0)
		goto out;
	sz = rte_rcu_qsbr_get_memsize(vd.n_workers);
	qsbr = rte_zmalloc("qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (qsbr == NULL || rte_rcu_qsbr_init(qsbr, vd.n_workers) != 0) {
		rc = -ENOMEM;
		goto out;
	}
	vd.qsbr = qsbr;
	vd.learn = fdb_learn_ring_create("learn", 4096, (int)rte_socket_id());
	vd.punt = rte_ring_create("punt", 1024, (int)rte_socket_id(), RING_F_SC_DEQ);
	if (vd.learn == NULL || vd.punt == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	/* Ports need the main pool; the pools need to know the underlay's
	 * capabilities: pools first, replication mode after the ports. */
	rc = pools_create(&vd);
	if (rc != 0)
		goto out;
	rc = port_setup_all(&vd);
	if (rc != 0)
		goto out;
	if (vd.ports[vd.underlay].multi_seg) {
		vd.bum.hdr = vd.hdr_pool;
		vd.bum.clone = vd.clone_pool;
	}
	queues_assign(&vd);
	rc = ctl_init(&vd);
	if (rc != 0) {
		VLOG(ERR, "control plane: %s", strerror(-rc));
		goto out;
	}
	rc = run();
out:
	port_close_all(&vd);
	ctl_fini(&vd);
	workers_free(&vd);
	if (vd.punt != NULL) {
		struct rte_mbuf *m = NULL;

		while (rte_ring_dequeue(vd.punt, (void **)&m) == 0)
			rte_pktmbuf_free(m);
	}
	rte_ring_free(vd.punt);
	rte_ring_free(vd.learn);
	rte_free(vd.qsbr);
	rte_mempool_free(vd.pool);
	rte_mempool_free(vd.hdr_pool);
	rte_mempool_free(vd.clone_pool);
	rte_mempool_free(vd.ctl_pool);
	conf_free(vd.conf);
	rte_eal_cleanup();
	return rc == 0 ? 0 : 1;
}
