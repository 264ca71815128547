/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The run loop: one lcore sends the paced load and the probes and receives
 * what comes back, so that a generator and a device under test fit on a
 * two-core machine. No syscalls, locks or allocation inside the loop; the
 * per-second samples are copies of the counters that a control thread
 * prints.
 */
#include <errno.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "bench.h"

volatile sig_atomic_t bench_stop;

static void
take_sample(struct bench *b, uint64_t now)
{
	unsigned n = b->n_samples;

	if (n >= b->sample_cap)
		return;
	b->samples[n].tsc = now;
	b->samples[n].c = b->c;
	__atomic_store_n(&b->n_samples, n + 1, __ATOMIC_RELEASE);
}

static void
tx_load(struct bench *b, unsigned n)
{
	struct rte_mbuf *pkts[GEN_BURST_MAX];
	uint16_t len = b->f->tx_len, sent;
	unsigned i;

	if (rte_pktmbuf_alloc_bulk(b->pool, pkts, n) != 0) {
		/* The frames were due: the schedule moves on without them. */
		b->c.tx_nombuf += n;
		b->seq += n;
		return;
	}
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		gen_frame_build(b->f, GEN_MAGIC_LOAD, b->seq++, 0,
				rte_pktmbuf_mtod(m, uint8_t *));
		m->data_len = len;
		m->pkt_len = len;
	}
	sent = rte_eth_tx_burst(b->tx_port, 0, pkts, (uint16_t)n);
	if (sent < n) {
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
		b->c.tx_refused += n - sent;
	}
	b->c.tx_frames += sent;
	b->c.tx_bytes += (uint64_t)sent * gen_wire_len(b->f);
}

static void
tx_probe(struct bench *b)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(b->pool);
	uint16_t len = b->f->tx_len;

	if (m == NULL) {
		b->c.tx_nombuf++;
		b->probe_seq++;
		return;
	}
	/* Stamped as late as possible: what is timed is the way out, through
	 * the device and back, not the building. */
	gen_frame_build(b->f, GEN_MAGIC_PROBE, b->probe_seq++, rte_rdtsc(),
			rte_pktmbuf_mtod(m, uint8_t *));
	m->data_len = len;
	m->pkt_len = len;
	if (rte_eth_tx_burst(b->tx_port, 0, &m, 1) == 0) {
		rte_pktmbuf_free(m);
		b->c.tx_refused++;
		return;
	}
	b->c.tx_frames++;
	b->c.tx_probes++;
	b->c.tx_bytes += gen_wire_len(b->f);
}

static void
rx_one(struct bench *b, struct rte_mbuf *m, uint64_t now)
{
	enum gen_verify_mode mode = b->o->verify;
	uint32_t len = rte_pktmbuf_pkt_len(m);
	const uint8_t *p;
	struct gen_rx rx;
	enum gen_verdict v;

	b->c.rx_bytes += len + GEN_FCS_LEN;
	if (m->nb_segs == 1) {
		p = rte_pktmbuf_mtod(m, const uint8_t *);
	} else if (len <= sizeof(b->rxbuf)) {
		/* memif and scattered RX chain large frames. */
		p = rte_pktmbuf_read(m, 0, len, b->rxbuf);
	} else {
		p = NULL;
	}
	v = p != NULL ? gen_verify(b->f, mode, p, len, &rx, b->scratch) : GEN_V_UNKNOWN;
	if (mode != GEN_VERIFY_NONE)
		b->c.verdict[v]++;
	if (v != GEN_V_OK)
		return;

	b->c.rx_ok++;
	if (rx.magic == GEN_MAGIC_PROBE) {
		b->c.rx_probes++;
		if (now >= rx.tsc)
			gen_hist_add(&b->hist, (uint64_t)((double)(now - rx.tsc) * b->ns_per_tsc));
	} else if (mode != GEN_VERIFY_NONE || rx.flow < b->f->t.n_flows) {
		uint64_t *last = &b->last_seq[rx.flow];

		/* Serial number arithmetic: the sequence wraps at 2^32. */
		if ((*last >> 32) && (int32_t)(rx.seq - (uint32_t)*last) <= 0)
			b->c.reordered++;
		else
			*last = 1ull << 32 | rx.seq;
	}
}

static unsigned
rx_poll(struct bench *b)
{
	struct rte_mbuf *pkts[BENCH_RX_BURST];
	unsigned total = 0, q;
	uint16_t n, i;
	uint64_t now;

	/* Every RX queue, in turn: a device under test chooses the queue it
	 * sends on, and the generator cannot know which. */
	for (q = 0; q < b->o->rx_queues; q++) {
		n = rte_eth_rx_burst(b->rx_port, (uint16_t)q, pkts, BENCH_RX_BURST);
		if (n == 0)
			continue;
		now = rte_rdtsc();
		for (i = 0; i < n; i++) {
			if (i + 1 < n)
				rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
			rx_one(b, pkts[i], now);
		}
		b->c.rx_frames += n;
		rte_pktmbuf_free_bulk(pkts, n);
		total += n;
	}
	return total;
}

int
bench_run(struct bench *b, const struct bench_run_cfg *rc)
{
	const struct gen_opts *o = b->o;
	struct gen_pace pace, probes;
	uint64_t now, end, next_tick, drain_end, grace;
	unsigned cap = rc->sample ? (unsigned)rc->seconds + 2 : 0, i;

	memset(&b->c, 0, sizeof(b->c));
	gen_hist_reset(&b->hist);
	memset(b->last_seq, 0, sizeof(*b->last_seq) * b->f->t.n_flows);
	b->seq = 0;
	b->probe_seq = 0;
	b->n_samples = 0;
	if (cap > b->sample_cap)
		return -ENOMEM;

	now = rte_rdtsc();
	b->t_start = now;
	end = now + (uint64_t)(rc->seconds * (double)b->hz);
	next_tick = now + b->hz;
	gen_pace_init(&pace, rc->pps, b->hz, now);
	/* Probes start half a period in, apart from the first load burst. */
	if (o->latency)
		gen_pace_init(&probes, o->latency_pps, b->hz,
			      now + (uint64_t)((double)b->hz / o->latency_pps / 2));
	if (rc->sample)
		take_sample(b, now);

	while (!bench_stop) {
		unsigned n;

		now = rte_rdtsc();
		/* The tick before the end test: a run of whole seconds gets its
		 * last sample. */
		if (rc->sample && now >= next_tick) {
			take_sample(b, now);
			next_tick += b->hz;
		}
		if (now >= end)
			break;
		n = gen_pace_take(&pace, now, o->burst);
		if (n > 0)
			tx_load(b, n);
		if (o->latency && gen_pace_take(&probes, now, 1))
			tx_probe(b);
		rx_poll(b);
	}
	/* Frames due before the end that a preemption delayed go out now, so
	 * that S seconds at R send R S frames; a generator too slow for R gives
	 * up after a short grace. The rate reported counts the delay. */
	grace = end + b->hz / 20;
	while (!bench_stop && now < grace) {
		unsigned n = pace.unlimited ? 0 : gen_pace_take(&pace, end - 1, o->burst);

		if (n == 0)
			break;
		tx_load(b, n);
		rx_poll(b);
		now = rte_rdtsc();
	}
	b->t_tx_end = now;

	/* Frames still in the device or in the rings: wait for them, but no
	 * longer than asked and no longer than needed. */
	drain_end = now + (uint64_t)(rc->drain * (double)b->hz);
	while (!bench_stop && b->c.rx_ok < b->c.tx_frames && rte_rdtsc() < drain_end)
		rx_poll(b);
	/* What the queue holds still counts; a DUT that never stops sending
	 * does not hold the run open. */
	for (i = 0; i < 1024 && rx_poll(b) > 0; i++)
		;
	b->t_end = rte_rdtsc();
	return 0;
}
