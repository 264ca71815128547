/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vtep-bench: a MoonGen-style traffic generator for VXLAN VTEPs on any DPDK
 * ports. One lcore sends and receives; a control thread prints once a
 * second; the summary goes to stdout and, with --json, to a file.
 *
 * Exit status: 0, 1 on a setup error, 2 on a usage error, 3 when received
 * frames failed verification.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "bench.h"
#include "vtep.h"

#define NB_DESC 1024

static void
on_signal(int sig)
{
	(void)sig;
	bench_stop = 1;
}

static int
port_probe(const char *devargs, uint16_t *port_id)
{
	int rc = vtep_dev_probe(devargs, port_id);

	if (rc != 0)
		fprintf(stderr, "vtep-bench: cannot probe \"%s\": %s\n", devargs, strerror(-rc));
	return rc;
}

static int
port_start(uint16_t port, struct rte_mempool *pool, unsigned max_frame, uint16_t nb_rxq,
	   double link_wait)
{
	struct rte_eth_conf ec;
	struct rte_eth_dev_info di;
	struct rte_eth_link link;
	uint16_t nb_rxd = NB_DESC, nb_txd = NB_DESC;
	uint64_t deadline;
	bool restart;
	uint16_t q;
	int rc;

	rc = rte_eth_dev_info_get(port, &di);
	if (rc != 0)
		return rc;
	memset(&ec, 0, sizeof(ec));
	/* Frames up to the largest size asked, VXLAN and a tag included. */
	if (max_frame > RTE_ETHER_MAX_LEN) {
		uint32_t mtu = max_frame - RTE_ETHER_HDR_LEN - RTE_ETHER_CRC_LEN;
		uint32_t cap = di.max_mtu;

		if (di.max_rx_pktlen > RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN)
			cap = RTE_MIN(cap, di.max_rx_pktlen - RTE_ETHER_HDR_LEN - RTE_ETHER_CRC_LEN);
		/* Virtual devices often report 1500 and carry more: say so and go on. */
		if (mtu > cap)
			fprintf(stderr, "vtep-bench: port %u takes frames of up to %u B; larger ones "
				"may not arrive\n", port, cap + RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN);
		ec.rxmode.mtu = RTE_MIN(mtu, cap);
	}
	if (nb_rxq > di.max_rx_queues) {
		fprintf(stderr, "vtep-bench: port %u has at most %u RX queues\n", port,
			di.max_rx_queues);
		return -EINVAL;
	}
	rc = rte_eth_dev_configure(port, nb_rxq, 1, &ec);
	if (rc != 0)
		return rc;
	rte_eth_dev_adjust_nb_rx_tx_desc(port, &nb_rxd, &nb_txd);
	for (q = 0; q < nb_rxq; q++) {
		rc = rte_eth_rx_queue_setup(port, q, nb_rxd, rte_eth_dev_socket_id(port), NULL,
					    pool);
		if (rc != 0)
			return rc;
	}
	rc = rte_eth_tx_queue_setup(port, 0, nb_txd, rte_eth_dev_socket_id(port), NULL);
	if (rc != 0)
		return rc;
	/* A memif client fails to start until its server listens, and a
	 * server that is not ready yet refuses it once and for all: start, and
	 * restart a memif after a second without link, for as long as asked.
	 * Other devices only get the time: a restart would renegotiate. */
	restart = strcmp(di.driver_name, "net_memif") == 0;
	deadline = rte_get_timer_cycles() + (uint64_t)(link_wait * (double)rte_get_timer_hz());
	for (;;) {
		uint64_t retry = restart ? rte_get_timer_cycles() + rte_get_timer_hz() : deadline;

		rc = rte_eth_dev_start(port);
		while (rc == 0 && rte_get_timer_cycles() < retry) {
			memset(&link, 0, sizeof(link));
			if (rte_eth_link_get_nowait(port, &link) == 0 &&
			    link.link_status == RTE_ETH_LINK_UP) {
				/* Frames come back with any MAC; devices that
				 * cannot filter ignore this. */
				rte_eth_promiscuous_enable(port);
				return 0;
			}
			rte_delay_us_sleep(10 * 1000);
		}
		if (rc == 0)
			rte_eth_dev_stop(port);
		if (rte_get_timer_cycles() >= deadline || bench_stop)
			return rc != 0 ? rc : -ENOLINK;
		rte_delay_us_sleep(100 * 1000);
	}
}

/* Largest frame any run sends or expects back, FCS included. */
static unsigned
max_frame(const struct gen_opts *o)
{
	unsigned m = o->t.size, i;
	struct gen_opts po;

	if (o->rfc2544)
		for (i = 0; i < o->n_sizes; i++)
			m = RTE_MAX(m, (unsigned)o->sizes[i]);
	for (i = 0; i < o->n_sweep; i++)
		if (gen_opts_sweep_point(o, i, &po) == 0)
			m = RTE_MAX(m, (unsigned)po.t.size);
	if (o->t.kind == GEN_KIND_VXLAN || o->verify == GEN_VERIFY_ENCAP)
		m += sizeof(struct vtep_outer4);
	if (o->t.n_vlan > 0)
		m += GEN_VLAN_LEN;
	return m;
}

/* Most flows any run has. */
static unsigned
max_flows(const struct gen_opts *o)
{
	unsigned m = o->t.n_flows, i;
	struct gen_opts po;

	for (i = 0; i < o->n_sweep; i++)
		if (gen_opts_sweep_point(o, i, &po) == 0)
			m = RTE_MAX(m, po.t.n_flows);
	return m;
}

/* Room for any frame in one mbuf, as sent. */
static unsigned
max_buf(const struct gen_opts *o)
{
	return max_frame(o) + sizeof(struct vtep_outer4) + GEN_VLAN_LEN;
}

static int
setup(struct bench *b, const struct gen_opts *o)
{
	unsigned frame = max_frame(o);
	uint16_t room = (uint16_t)(RTE_PKTMBUF_HEADROOM + RTE_MAX((unsigned)RTE_MBUF_DEFAULT_DATAROOM,
								 RTE_ALIGN_CEIL(max_buf(o), 64)));
	int rc;

	b->o = o;
	b->tx_port = RTE_MAX_ETHPORTS;
	b->rx_port = RTE_MAX_ETHPORTS;
	b->hz = rte_get_tsc_hz();
	b->ns_per_tsc = 1e9 / (double)b->hz;
	b->pool = rte_pktmbuf_pool_create("bench_pool", o->pool_size, 256, 0, room,
					  rte_socket_id());
	if (b->pool == NULL) {
		fprintf(stderr, "vtep-bench: mbuf pool of %u x %u B: %s\n", o->pool_size, room,
			rte_strerror(rte_errno));
		return -ENOMEM;
	}
	rc = port_probe(o->tx_dev, &b->tx_port);
	if (rc == 0)
		rc = port_probe(o->rx_dev, &b->rx_port);
	if (rc != 0)
		return rc;
	rte_eth_dev_get_name_by_port(b->tx_port, b->tx_name);
	rte_eth_dev_get_name_by_port(b->rx_port, b->rx_name);

	/* Every port gets the RX queues asked: a device under test may send
	 * back on either port. */
	rc = port_start(b->tx_port, b->pool, frame, (uint16_t)o->rx_queues, o->link_wait);
	if (rc == 0 && b->rx_port != b->tx_port)
		rc = port_start(b->rx_port, b->pool, frame, (uint16_t)o->rx_queues, o->link_wait);
	if (rc == -ENOLINK) {
		fprintf(stderr, "vtep-bench: link down after %.1f s (memif: is the peer up, on "
			"the same socket, in the other role?)\n", o->link_wait);
		return rc;
	}
	if (rc != 0) {
		fprintf(stderr, "vtep-bench: port setup: %s\n", strerror(-rc));
		return rc;
	}

	b->f = rte_zmalloc("bench_frames", sizeof(*b->f), 0);
	b->last_seq = calloc(max_flows(o), sizeof(*b->last_seq));
	b->sample_cap = (unsigned)o->duration + 2;
	b->samples = calloc(b->sample_cap, sizeof(*b->samples));
	if (b->f == NULL || b->last_seq == NULL || b->samples == NULL) {
		fprintf(stderr, "vtep-bench: out of memory\n");
		return -ENOMEM;
	}
	return 0;
}

static void
teardown(struct bench *b)
{
	uint16_t ports[2] = { b->tx_port, b->rx_port };
	unsigned i;

	for (i = 0; i < 2; i++) {
		if (!rte_eth_dev_is_valid_port(ports[i]) || (i == 1 && ports[1] == ports[0]))
			continue;
		rte_eth_dev_stop(ports[i]);
		rte_eth_dev_close(ports[i]);
	}
	free(b->samples);
	free(b->last_seq);
	rte_free(b->f);
	rte_mempool_free(b->pool);
}

static int
frames_for(struct bench *b, uint16_t size)
{
	struct gen_traffic t = b->o->t;

	t.size = size;
	return gen_frames_init(b->f, &t);
}

/* --warmup: traffic nobody measures, before the first run or trial, so that
 * the first figure is not the one that pays for a fresh connection, cold
 * caches and the DUT's first ARP and FDB work. At the rate asked, but at
 * most 1 Mpps: the point is to bring the path up, not to load it. */
static int
warm_up(struct bench *b, double pps)
{
	struct bench_run_cfg rc = {
		.pps = pps > 0 && pps < 1e6 ? pps : 1e6,
		.seconds = b->o->warmup, .drain = b->o->drain, .sample = false,
	};
	int r;

	if (b->o->warmup <= 0 || bench_stop)
		return 0;
	r = bench_run(b, &rc);
	if (r == 0)
		printf("warm-up: %.1f s at %.3f Mpps, %" PRIu64 " sent, %" PRIu64 " back\n",
		       b->o->warmup, rc.pps / 1e6, b->c.tx_frames, b->c.rx_ok);
	return r;
}

/* One run; its JSON goes to --json, or into the sweep's file @p sweep_f as point @p point. */
static int
one_run(struct bench *b, FILE *sweep_f, unsigned point)
{
	const struct gen_opts *o = b->o;
	struct bench_run_cfg rc = { .seconds = o->duration, .drain = o->drain, .sample = true };
	pthread_t reporter;
	double line_pps;
	int r;

	line_pps = gen_line_pps(o->line_bps, gen_wire_len(b->f));
	rc.pps = gen_rate_pps(&o->rate, o->line_bps, gen_wire_len(b->f));
	printf("vtep-bench: %s -> %s, %s frames of %u B (%u B on the wire), %u flows, ",
	       b->tx_name, b->rx_name, gen_kind_name(b->f->t.kind), b->f->t.size,
	       gen_wire_len(b->f), b->f->t.n_flows);
	if (rc.pps > 0)
		printf("%.6f Mpps (%.2f %% of %.0f Gbit/s)", rc.pps / 1e6,
		       100.0 * rc.pps / line_pps, (double)o->line_bps / 1e9);
	else
		printf("as fast as it goes");
	printf(", %.1f s\n", o->duration);
	fflush(stdout);

	__atomic_store_n(&b->report_done, 0, __ATOMIC_RELEASE);
	r = rte_ctrl_thread_create(&reporter, "bench-report", NULL, bench_reporter, b);
	if (r != 0) {
		fprintf(stderr, "vtep-bench: reporter thread: %s\n", strerror(r));
		return -r;
	}
	r = bench_run(b, &rc);
	__atomic_store_n(&b->report_done, 1, __ATOMIC_RELEASE);
	pthread_join(reporter, NULL);
	if (r != 0)
		return r;
	if (o->verify != GEN_VERIFY_NONE && b->c.verdict[GEN_V_OK] != b->c.rx_frames)
		b->verify_failed = true;

	bench_report_summary(b, rc.pps);
	if (sweep_f != NULL) {
		bench_report_sweep_point(b, rc.pps, sweep_f, point);
	} else if (o->json[0] != '\0') {
		r = bench_report_json(b, rc.pps, o->json);
		if (r != 0)
			fprintf(stderr, "vtep-bench: %s: %s\n", o->json, strerror(-r));
	}
	if (r == 0 && o->latency_csv[0] != '\0') {
		FILE *f = fopen(o->latency_csv, "w");

		r = f != NULL ? gen_hist_write_csv(&b->hist, f) : -errno;
		if (f != NULL && fclose(f) != 0 && r == 0)
			r = -errno;
		if (r != 0)
			fprintf(stderr, "vtep-bench: %s: %s\n", o->latency_csv, strerror(-r));
	}
	return r;
}

/* --sweep: the runs of every point in one process, over the links it set up
 * once. A device under test sees one client for the whole sweep. */
static int
sweep(struct bench *b)
{
	const struct gen_opts *o = b->o;
	struct gen_opts *po = malloc(sizeof(*po));
	FILE *f = NULL;
	unsigned i;
	int r = 0, cr;

	if (po == NULL)
		return -ENOMEM;
	if (o->json[0] != '\0') {
		f = bench_report_sweep_open(b, o->json);
		if (f == NULL) {
			r = -errno;
			fprintf(stderr, "vtep-bench: %s: %s\n", o->json, strerror(errno));
			free(po);
			return r;
		}
	}
	for (i = 0; i < o->n_sweep && !bench_stop && r == 0; i++) {
		r = gen_opts_sweep_point(o, i, po);
		if (r != 0)
			break;
		printf("sweep: %s=%s (%u of %u)\n", o->sweep_key, o->sweep_vals[i], i + 1,
		       o->n_sweep);
		b->o = po;
		r = frames_for(b, po->t.size);
		if (r == 0 && i == 0)
			r = warm_up(b, gen_rate_pps(&po->rate, po->line_bps, gen_wire_len(b->f)));
		if (r == 0)
			r = one_run(b, f, i);
		b->o = o;
	}
	if (f != NULL) {
		cr = bench_report_sweep_close(f);
		if (cr != 0)
			fprintf(stderr, "vtep-bench: %s: %s\n", o->json, strerror(-cr));
		if (r == 0)
			r = cr;
	}
	free(po);
	return r;
}

/* One RFC 2544 trial: the search's callback. */
static int
trial(void *arg, double rate, uint64_t *sent, uint64_t *received)
{
	struct bench *b = arg;
	struct bench_run_cfg rc = {
		.pps = rate, .seconds = b->o->trial_seconds, .drain = b->o->drain, .sample = false,
	};
	const struct bench_counters *c = &b->c;
	double expect = rate * b->o->trial_seconds;
	bool limited;
	int r;

	if (bench_stop)
		return -EINTR;
	r = bench_run(b, &rc);
	if (r != 0)
		return r;
	if (bench_stop)
		return -EINTR;
	/* Frames the port refused count as lost: a full queue is the device
	 * not keeping up. Frames never due, or without an mbuf, are the
	 * generator's shortfall: the trial says nothing of the device. */
	*sent = bench_offered(c) - c->tx_nombuf;
	*received = c->rx_ok;
	limited = c->tx_nombuf > 0 || (double)bench_offered(c) < 0.99 * expect;
	if (b->o->verify != GEN_VERIFY_NONE && c->verdict[GEN_V_OK] != c->rx_frames)
		b->verify_failed = true;
	printf("  %5u B %12.6f Mpps: sent %" PRIu64 ", received %" PRIu64 ", lost %" PRIu64
	       "%s%s\n", b->f->t.size, rate / 1e6, *sent, *received,
	       *received >= *sent ? 0 : *sent - *received,
	       limited ? ", generator could not offer the rate" : "",
	       b->o->verify != GEN_VERIFY_NONE && c->verdict[GEN_V_OK] != c->rx_frames ?
	       ", frames failed verification" : "");
	fflush(stdout);
	return limited ? 1 : 0;
}

static int
rfc2544(struct bench *b)
{
	const struct gen_opts *o = b->o;
	struct bench_rfc_row *rows;
	unsigned i;
	int r = 0;

	rows = calloc(o->n_sizes, sizeof(*rows));
	if (rows == NULL)
		return -ENOMEM;
	for (i = 0; i < o->n_sizes && !bench_stop; i++) {
		struct bench_rfc_row *row = &rows[i];
		struct bench_search_cfg cfg;

		r = frames_for(b, o->sizes[i]);
		if (r != 0)
			break;
		row->size = o->sizes[i];
		row->wire_len = gen_wire_len(b->f);
		row->line_pps = gen_line_pps(o->line_bps, row->wire_len);
		memset(&cfg, 0, sizeof(cfg));
		cfg.max_rate = gen_rate_pps(&o->max_rate, o->line_bps, row->wire_len);
		cfg.resolution = gen_rate_pps(&o->resolution, o->line_bps, row->wire_len);
		cfg.min_rate = RTE_MIN(cfg.resolution, cfg.max_rate);
		cfg.loss_tolerance = o->loss_tolerance;
		if (i == 0) {
			r = warm_up(b, cfg.max_rate);
			if (r != 0)
				break;
		}
		printf("RFC 2544: %u B (%u B on the wire), %.6f to %.6f Mpps, resolution %.6f Mpps\n",
		       row->size, row->wire_len, cfg.min_rate / 1e6, cfg.max_rate / 1e6,
		       cfg.resolution / 1e6);
		row->rc = bench_search_run(&cfg, trial, b, &row->res);
		if (row->rc == -EINTR || (row->rc < 0 && row->rc != -E2BIG)) {
			r = row->rc;
			break;
		}
	}
	/* The sizes whose search completed; an interrupted one is left out. */
	if (i > 0) {
		bench_report_rfc_table(b, rows, i);
		if (o->json[0] != '\0') {
			int jr = bench_report_rfc_json(b, rows, i, o->json);

			if (jr != 0)
				fprintf(stderr, "vtep-bench: %s: %s\n", o->json, strerror(-jr));
		}
	}
	free(rows);
	return r == -EINTR ? 0 : r;
}

int
main(int argc, char **argv)
{
	static struct gen_opts o;
	static struct bench b;
	char err[512];
	int ret, r;

	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "vtep-bench: EAL: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	argc -= ret;
	argv += ret;

	gen_opts_defaults(&o);
	r = gen_opts_parse(&o, argc, argv, err, sizeof(err));
	if (r == 1) {
		rte_eal_cleanup();
		return 0;
	}
	if (r != 0) {
		fprintf(stderr, "vtep-bench: %s\n", err);
		fprintf(stderr, "usage: vtep-bench [EAL options] -- --tx-port DEVARGS [options]; "
			"--help for all\n");
		rte_eal_cleanup();
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	r = setup(&b, &o);
	if (r == 0)
		r = frames_for(&b, o.t.size);
	if (r == 0) {
		if (o.rfc2544)
			r = rfc2544(&b);
		else if (o.n_sweep > 0)
			r = sweep(&b);
		else if ((r = warm_up(&b, gen_rate_pps(&o.rate, o.line_bps,
						      gen_wire_len(b.f)))) == 0)
			r = one_run(&b, NULL, 0);
	}
	teardown(&b);
	rte_eal_cleanup();
	if (r != 0)
		return 1;
	return b.verify_failed ? 3 : 0;
}
