/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef BENCH_H
#define BENCH_H

/**
 * @file
 * vtep-bench's application state: the ports, the run loop that sends and
 * receives on one lcore, and the reports.
 */

#include <signal.h>
#include <stdint.h>

#include <rte_mempool.h>

#include "bench_search.h"
#include "gen.h"

#define BENCH_RX_BURST 64

/** Counters of one run. One writer: the lcore that runs it. */
struct bench_counters {
	uint64_t tx_frames;    /**< accepted by the TX port, load and probes */
	uint64_t tx_bytes;     /**< their bytes on the wire, FCS included */
	uint64_t tx_refused;   /**< due but refused by a full TX queue */
	uint64_t tx_nombuf;    /**< due but no mbuf: the generator's own shortfall */
	uint64_t tx_probes;
	uint64_t rx_frames;    /**< everything the RX port delivered */
	uint64_t rx_bytes;
	uint64_t rx_ok;        /**< verified (or, without verification, stamped) */
	uint64_t rx_probes;
	uint64_t reordered;    /**< came back before a later frame of its flow */
	uint64_t verdict[GEN_V_MAX];
};

/** The counters at one instant: the run loop takes one every second. */
struct bench_sample {
	uint64_t tsc;
	struct bench_counters c;
};

struct bench {
	const struct gen_opts *o;
	uint16_t tx_port, rx_port;
	char tx_name[64], rx_name[64];
	struct rte_mempool *pool;
	struct gen_frames *f;
	uint64_t hz;
	double ns_per_tsc;

	struct bench_counters c;
	struct gen_hist hist;
	uint64_t *last_seq;     /**< per flow: 1 << 32 | last sequence number seen */
	uint32_t seq, probe_seq;
	uint64_t t_start, t_tx_end, t_end;

	struct bench_sample *samples;
	unsigned sample_cap;
	unsigned n_samples;     /**< published with release; samples[0] is the start */
	int report_done;        /**< tells the reporter thread to finish */
	bool verify_failed;     /**< some frame of some run failed verification */

	uint8_t scratch[GEN_FRAME_BUF] __rte_aligned(64);
	uint8_t rxbuf[GEN_FRAME_BUF + 64] __rte_aligned(64);
};

/** One run: traffic at @p pps for @p seconds, then up to @p drain seconds for what is in flight. */
struct bench_run_cfg {
	double pps;            /**< 0: unlimited */
	double seconds;
	double drain;
	bool sample;           /**< take per-second samples */
};

extern volatile sig_atomic_t bench_stop;

/** Run on the calling lcore. @return 0, or -ENOMEM if the samples do not fit. */
int bench_run(struct bench *b, const struct bench_run_cfg *rc);

/** Frames offered (due) in the last run, whether the port took them or not. */
static inline uint64_t
bench_offered(const struct bench_counters *c)
{
	return c->tx_frames + c->tx_refused + c->tx_nombuf;
}

/** Frames lost by the device under test: sent, not received verified. */
static inline uint64_t
bench_lost(const struct bench_counters *c)
{
	return c->rx_ok >= c->tx_frames ? 0 : c->tx_frames - c->rx_ok;
}

/** Print samples as the run publishes them, until told to finish. For a control thread. */
void *bench_reporter(void *arg);
/** The end of run summary, on stdout. */
void bench_report_summary(const struct bench *b, double pps);
/** The same summary as JSON. @return 0 or -errno. */
int bench_report_json(const struct bench *b, double pps, const char *path);
/**
 * A sweep's JSON: one object with the swept "parameter" and its "points",
 * each a run's object with the point's "value". Open writes the head, each
 * point is flushed as it ends (a sweep cut short keeps what it measured),
 * close ends the document. b->o->sweep_key and sweep_vals name the points.
 */
FILE *bench_report_sweep_open(const struct bench *b, const char *path);
void bench_report_sweep_point(const struct bench *b, double pps, FILE *f, unsigned i);
int bench_report_sweep_close(FILE *f);

/** The RFC 2544 results of every size. */
struct bench_rfc_row {
	uint16_t size;
	unsigned wire_len;
	double line_pps;
	int rc;
	struct bench_search_result res;
};

void bench_report_rfc_table(const struct bench *b, const struct bench_rfc_row *rows, unsigned n);
int bench_report_rfc_json(const struct bench *b, const struct bench_rfc_row *rows, unsigned n,
			  const char *path);

#endif /* BENCH_H */
