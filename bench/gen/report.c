/* SPDX-License-Identifier: BSD-3-Clause */
/* Per-second lines, the summary and the JSON that scripts read. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bench.h"

/* Rates of one interval between two samples. */
struct rates {
	double tx_pps, tx_mbps, tx_mbps_l1;
	double rx_pps, rx_mbps, rx_mbps_l1;
	uint64_t lost;
	uint64_t bad;
};

static void
interval(const struct bench *b, const struct bench_sample *a, const struct bench_sample *z,
	 struct rates *r)
{
	double dt = (double)(z->tsc - a->tsc) / (double)b->hz;
	uint64_t tx = z->c.tx_frames - a->c.tx_frames;
	uint64_t rx = z->c.rx_frames - a->c.rx_frames;
	uint64_t ok = z->c.rx_ok - a->c.rx_ok;
	unsigned v;

	if (dt <= 0)
		dt = 1;
	r->tx_pps = (double)tx / dt;
	r->tx_mbps = (double)(z->c.tx_bytes - a->c.tx_bytes) * 8 / dt / 1e6;
	r->tx_mbps_l1 = r->tx_mbps + r->tx_pps * GEN_FRAMING * 8 / 1e6;
	r->rx_pps = (double)rx / dt;
	r->rx_mbps = (double)(z->c.rx_bytes - a->c.rx_bytes) * 8 / dt / 1e6;
	r->rx_mbps_l1 = r->rx_mbps + r->rx_pps * GEN_FRAMING * 8 / 1e6;
	/* Frames in flight make this a little noisy second to second; the
	 * totals after the drain are the figure that counts. */
	r->lost = tx > ok ? tx - ok : 0;
	r->bad = 0;
	for (v = GEN_V_OK + 1; v < GEN_V_MAX; v++)
		r->bad += z->c.verdict[v] - a->c.verdict[v];
}

static void
print_interval(const struct bench *b, const struct bench_sample *a, const struct bench_sample *z)
{
	struct rates r;

	interval(b, a, z, &r);
	printf("[%s tx] %.3f Mpps, %.0f Mbit/s (%.0f Mbit/s with framing)\n",
	       b->tx_name, r.tx_pps / 1e6, r.tx_mbps, r.tx_mbps_l1);
	printf("[%s rx] %.3f Mpps, %.0f Mbit/s (%.0f Mbit/s with framing), lost %" PRIu64
	       " (%.3f %%)", b->rx_name, r.rx_pps / 1e6, r.rx_mbps, r.rx_mbps_l1, r.lost,
	       r.tx_pps > 0 ? 100.0 * (double)r.lost / (r.tx_pps *
		(double)(z->tsc - a->tsc) / (double)b->hz) : 0.0);
	if (b->o->verify != GEN_VERIFY_NONE)
		printf(", %" PRIu64 " failed verification", r.bad);
	printf("\n");
	fflush(stdout);
}

void *
bench_reporter(void *arg)
{
	struct bench *b = arg;
	const struct timespec pause = { 0, 50 * 1000 * 1000 };
	unsigned shown = 1;

	for (;;) {
		int done = __atomic_load_n(&b->report_done, __ATOMIC_ACQUIRE);
		unsigned n = __atomic_load_n(&b->n_samples, __ATOMIC_ACQUIRE);

		for (; shown < n; shown++)
			if (!b->o->quiet)
				print_interval(b, &b->samples[shown - 1], &b->samples[shown]);
		if (done)
			break;
		nanosleep(&pause, NULL);
	}
	return NULL;
}

struct mean_sd {
	double mean, sd;
};

/* Mean and sample standard deviation of the per-second figures. */
static void
per_second(const struct bench *b, size_t field, struct mean_sd *s)
{
	unsigned n = b->n_samples, i;
	double sum = 0, sq = 0;

	s->mean = 0;
	s->sd = 0;
	if (n < 2)
		return;
	for (i = 1; i < n; i++) {
		struct rates r;
		double v;

		interval(b, &b->samples[i - 1], &b->samples[i], &r);
		memcpy(&v, (const char *)&r + field, sizeof(v));
		sum += v;
	}
	s->mean = sum / (n - 1);
	for (i = 1; i < n; i++) {
		struct rates r;
		double v;

		interval(b, &b->samples[i - 1], &b->samples[i], &r);
		memcpy(&v, (const char *)&r + field, sizeof(v));
		sq += (v - s->mean) * (v - s->mean);
	}
	if (n > 2)
		s->sd = sqrt(sq / (n - 2));
}

static double
seconds(const struct bench *b, uint64_t from, uint64_t to)
{
	return (double)(to - from) / (double)b->hz;
}

static uint64_t
mismatches(const struct bench_counters *c)
{
	uint64_t n = 0;
	unsigned v;

	for (v = GEN_V_OK + 1; v < GEN_V_MAX; v++)
		n += c->verdict[v];
	return n;
}

void
bench_report_summary(const struct bench *b, double pps)
{
	const struct bench_counters *c = &b->c;
	double t = seconds(b, b->t_start, b->t_tx_end);
	struct mean_sd tx, txm, rx, rxm;
	uint64_t lost = bench_lost(c);
	unsigned v;

	per_second(b, offsetof(struct rates, tx_pps), &tx);
	per_second(b, offsetof(struct rates, tx_mbps), &txm);
	per_second(b, offsetof(struct rates, rx_pps), &rx);
	per_second(b, offsetof(struct rates, rx_mbps), &rxm);

	printf("---- summary: %.3f s of %s frames of %u B (%u B on the wire), %u flows ----\n",
	       t, gen_kind_name(b->f->t.kind), b->f->t.size, gen_wire_len(b->f),
	       b->f->t.n_flows);
	if (b->n_samples >= 2) {
		printf("[%s tx] %.3f Mpps (sd %.3f), %.0f Mbit/s (sd %.0f), %.0f Mbit/s with "
		       "framing; mean of %u seconds\n", b->tx_name, tx.mean / 1e6, tx.sd / 1e6,
		       txm.mean, txm.sd, txm.mean + tx.mean * GEN_FRAMING * 8 / 1e6,
		       b->n_samples - 1);
		printf("[%s rx] %.3f Mpps (sd %.3f), %.0f Mbit/s (sd %.0f), %.0f Mbit/s with "
		       "framing\n", b->rx_name, rx.mean / 1e6, rx.sd / 1e6, rxm.mean, rxm.sd,
		       rxm.mean + rx.mean * GEN_FRAMING * 8 / 1e6);
	}
	printf("[%s tx] %.6f Mpps over the whole run", b->tx_name,
	       t > 0 ? (double)c->tx_frames / t / 1e6 : 0.0);
	if (pps > 0)
		printf(" (asked %.6f Mpps)", pps / 1e6);
	printf("\n");
	printf("sent %" PRIu64 ", received %" PRIu64 ", lost %" PRIu64 " (%.4f %%)\n",
	       c->tx_frames, c->rx_ok, lost,
	       c->tx_frames ? 100.0 * (double)lost / (double)c->tx_frames : 0.0);
	if (c->tx_refused || c->tx_nombuf)
		printf("not sent: %" PRIu64 " refused by a full TX queue, %" PRIu64
		       " for want of mbufs\n", c->tx_refused, c->tx_nombuf);
	if (b->o->verify != GEN_VERIFY_NONE) {
		printf("verify %s: %" PRIu64 " ok", gen_verify_name(b->o->verify), c->verdict[GEN_V_OK]);
		for (v = GEN_V_OK + 1; v < GEN_V_MAX; v++)
			printf(", %" PRIu64 " %s", c->verdict[v], gen_verdict_name(v));
		printf("; %" PRIu64 " reordered\n", c->reordered);
		if (mismatches(c))
			printf("VERIFICATION FAILED: %" PRIu64 " of %" PRIu64 " frames received\n",
			       mismatches(c), c->rx_frames);
	} else if (c->rx_frames != c->rx_ok) {
		printf("received %" PRIu64 " frames without a stamp (not counted)\n",
		       c->rx_frames - c->rx_ok);
	}
	if (b->o->latency)
		printf("latency: %" PRIu64 " probes sent, %" PRIu64 " timed; min %" PRIu64
		       " ns, median %" PRIu64 " ns, p99 %" PRIu64 " ns, p99.9 %" PRIu64
		       " ns, max %" PRIu64 " ns\n", c->tx_probes, b->hist.n, b->hist.min,
		       gen_hist_quantile(&b->hist, 0.5), gen_hist_quantile(&b->hist, 0.99),
		       gen_hist_quantile(&b->hist, 0.999), b->hist.max);
	fflush(stdout);
}

static void
json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void
json_stat(FILE *f, const char *name, const struct mean_sd *s, double scale)
{
	fprintf(f, "\"%s\": {\"mean\": %.6f, \"stddev\": %.6f}", name, s->mean / scale,
		s->sd / scale);
}

static void
json_config(FILE *f, const struct bench *b)
{
	const struct gen_opts *o = b->o;
	const struct gen_traffic *t = &b->f->t;

	fprintf(f, "  \"config\": {\"tx_port\": ");
	json_str(f, o->tx_dev);
	fprintf(f, ", \"rx_port\": ");
	json_str(f, o->rx_dev);
	fprintf(f, ", \"kind\": \"%s\", \"size\": %u, \"wire_size\": %u, \"flows\": %u, "
		"\"flow_mode\": \"%s\", \"vni\": [%u, %u], ", gen_kind_name(t->kind), t->size,
		gen_wire_len(b->f), t->n_flows, t->flow_mode == GEN_FLOW_RANDOM ? "random" : "cycle",
		t->vni_lo, t->vni_lo + t->n_vni - 1);
	if (t->n_vlan)
		fprintf(f, "\"vlan\": [%u, %u], ", t->vlan_lo, t->vlan_lo + t->n_vlan - 1);
	else
		fprintf(f, "\"vlan\": null, ");
	fprintf(f, "\"bum_pct\": %.2f, \"line_bps\": %" PRIu64 ", \"burst\": %u, "
		"\"verify\": \"%s\", \"latency\": %s},\n", t->bum_bp / 100.0, o->line_bps,
		o->burst, gen_verify_name(o->verify), o->latency ? "true" : "false");
}

/* The members of one run's object, without its braces. */
static void
json_run(FILE *f, const struct bench *b, double pps)
{
	const struct bench_counters *c = &b->c;
	double t = seconds(b, b->t_start, b->t_tx_end);
	struct mean_sd s;
	unsigned i, v;

	json_config(f, b);
	fprintf(f, "  \"rate_asked_pps\": %.3f,\n  \"duration_s\": %.6f,\n  \"drain_s\": %.6f,\n",
		pps, t, seconds(b, b->t_tx_end, b->t_end));

	fprintf(f, "  \"tx\": {\"frames\": %" PRIu64 ", \"bytes\": %" PRIu64 ", \"refused\": %"
		PRIu64 ", \"nombuf\": %" PRIu64 ", \"probes\": %" PRIu64 ", \"rate_pps\": %.3f, ",
		c->tx_frames, c->tx_bytes, c->tx_refused, c->tx_nombuf, c->tx_probes,
		t > 0 ? (double)c->tx_frames / t : 0.0);
	per_second(b, offsetof(struct rates, tx_pps), &s);
	json_stat(f, "mpps", &s, 1e6);
	fprintf(f, ", ");
	per_second(b, offsetof(struct rates, tx_mbps), &s);
	json_stat(f, "mbps", &s, 1);
	fprintf(f, ", ");
	per_second(b, offsetof(struct rates, tx_mbps_l1), &s);
	json_stat(f, "mbps_framing", &s, 1);
	fprintf(f, "},\n");

	fprintf(f, "  \"rx\": {\"frames\": %" PRIu64 ", \"bytes\": %" PRIu64 ", \"verified\": %"
		PRIu64 ", \"probes\": %" PRIu64 ", \"rate_pps\": %.3f, ", c->rx_frames, c->rx_bytes,
		c->rx_ok, c->rx_probes, t > 0 ? (double)c->rx_frames / t : 0.0);
	per_second(b, offsetof(struct rates, rx_pps), &s);
	json_stat(f, "mpps", &s, 1e6);
	fprintf(f, ", ");
	per_second(b, offsetof(struct rates, rx_mbps), &s);
	json_stat(f, "mbps", &s, 1);
	fprintf(f, ", ");
	per_second(b, offsetof(struct rates, rx_mbps_l1), &s);
	json_stat(f, "mbps_framing", &s, 1);
	fprintf(f, "},\n");

	fprintf(f, "  \"sent\": %" PRIu64 ",\n  \"received\": %" PRIu64 ",\n  \"lost\": %" PRIu64
		",\n  \"loss_pct\": %.6f,\n", c->tx_frames, c->rx_ok, bench_lost(c),
		c->tx_frames ? 100.0 * (double)bench_lost(c) / (double)c->tx_frames : 0.0);

	fprintf(f, "  \"verify\": {\"mode\": \"%s\"", gen_verify_name(b->o->verify));
	for (v = GEN_V_OK; v < GEN_V_MAX; v++)
		fprintf(f, ", \"%s\": %" PRIu64, gen_verdict_name(v), c->verdict[v]);
	fprintf(f, ", \"mismatches\": %" PRIu64 ", \"reordered\": %" PRIu64 "},\n",
		mismatches(c), c->reordered);

	if (b->o->latency)
		fprintf(f, "  \"latency\": {\"probes_sent\": %" PRIu64 ", \"probes_received\": %"
			PRIu64 ", \"min_ns\": %" PRIu64 ", \"mean_ns\": %.1f, \"median_ns\": %" PRIu64
			", \"p99_ns\": %" PRIu64 ", \"p999_ns\": %" PRIu64 ", \"max_ns\": %" PRIu64
			"},\n", c->tx_probes, c->rx_probes, b->hist.min,
			b->hist.n ? b->hist.sum / (double)b->hist.n : 0.0,
			gen_hist_quantile(&b->hist, 0.5), gen_hist_quantile(&b->hist, 0.99),
			gen_hist_quantile(&b->hist, 0.999), b->hist.max);
	else
		fprintf(f, "  \"latency\": null,\n");

	fprintf(f, "  \"seconds\": [");
	for (i = 1; i < b->n_samples; i++) {
		struct rates r;

		interval(b, &b->samples[i - 1], &b->samples[i], &r);
		fprintf(f, "%s\n    {\"t\": %.6f, \"tx_pps\": %.1f, \"tx_mbps\": %.3f, "
			"\"rx_pps\": %.1f, \"rx_mbps\": %.3f, \"lost\": %" PRIu64 ", \"failed\": %"
			PRIu64 "}", i > 1 ? "," : "", seconds(b, b->t_start, b->samples[i].tsc),
			r.tx_pps, r.tx_mbps, r.rx_pps, r.rx_mbps, r.lost, r.bad);
	}
	fprintf(f, "\n  ]\n");
}

static int
json_close(FILE *f)
{
	int rc = ferror(f) ? -EIO : 0;

	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	return rc;
}

int
bench_report_json(const struct bench *b, double pps, const char *path)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -errno;
	fprintf(f, "{\n  \"tool\": \"vtep-bench\",\n  \"version\": 1,\n  \"mode\": \"run\",\n");
	json_run(f, b, pps);
	fprintf(f, "}\n");
	return json_close(f);
}

FILE *
bench_report_sweep_open(const struct bench *b, const char *path)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return NULL;
	fprintf(f, "{\n  \"tool\": \"vtep-bench\",\n  \"version\": 1,\n  \"mode\": \"sweep\",\n"
		"  \"parameter\": ");
	json_str(f, b->o->sweep_key);
	fprintf(f, ",\n  \"points\": [");
	return f;
}

void
bench_report_sweep_point(const struct bench *b, double pps, FILE *f, unsigned i)
{
	fprintf(f, "%s\n {\n  \"value\": ", i > 0 ? "," : "");
	json_str(f, b->o->sweep_vals[i]);
	fprintf(f, ",\n");
	json_run(f, b, pps);
	fprintf(f, " }");
	fflush(f);
}

int
bench_report_sweep_close(FILE *f)
{
	fprintf(f, "\n  ]\n}\n");
	return json_close(f);
}

void
bench_report_rfc_table(const struct bench *b, const struct bench_rfc_row *rows, unsigned n)
{
	unsigned i;

	printf("RFC 2544 throughput, %s frames, %u flows, %.1f s trials, line %.0f Gbit/s:\n",
	       gen_kind_name(b->o->t.kind), b->o->t.n_flows, b->o->trial_seconds,
	       (double)b->o->line_bps / 1e9);
	printf("%6s %6s %12s %10s %10s %8s %7s %s\n", "size", "wire", "Mpps", "Mbit/s",
	       "Mbit/s+fr", "line_%", "trials", "note");
	for (i = 0; i < n; i++) {
		const struct bench_rfc_row *r = &rows[i];
		double pps = r->res.rate;
		double mbps = pps * r->wire_len * 8 / 1e6;

		printf("%6u %6u %12.6f %10.1f %10.1f %8.3f %7u %s\n", r->size, r->wire_len,
		       pps / 1e6, mbps, mbps + pps * GEN_FRAMING * 8 / 1e6,
		       100.0 * pps / r->line_pps, r->res.n_trials,
		       r->rc != 0 ? "trial budget ran out" :
		       !r->res.found ? "lossy at the lowest rate" :
		       r->res.limited ? "generator-limited" : "");
	}
	fflush(stdout);
}

int
bench_report_rfc_json(const struct bench *b, const struct bench_rfc_row *rows, unsigned n,
		      const char *path)
{
	FILE *f = fopen(path, "w");
	unsigned i, j;

	if (f == NULL)
		return -errno;
	fprintf(f, "{\n  \"tool\": \"vtep-bench\",\n  \"version\": 1,\n  \"mode\": \"rfc2544\",\n");
	json_config(f, b);
	fprintf(f, "  \"trial_seconds\": %.3f,\n  \"loss_tolerance_pct\": %.6f,\n  \"results\": [",
		b->o->trial_seconds, b->o->loss_tolerance * 100);
	for (i = 0; i < n; i++) {
		const struct bench_rfc_row *r = &rows[i];
		double pps = r->res.rate;

		fprintf(f, "%s\n    {\"size\": %u, \"wire_size\": %u, \"found\": %s, "
			"\"complete\": %s, \"rate_pps\": %.3f, \"fail_pps\": %.3f, \"line_pps\": %.3f, "
			"\"line_pct\": %.4f, \"mbps\": %.3f, \"mbps_framing\": %.3f, "
			"\"generator_limited\": %s, \"trials\": [", i ? "," : "", r->size,
			r->wire_len, r->res.found ? "true" : "false", r->rc == 0 ? "true" : "false",
			pps, r->res.fail_rate, r->line_pps, 100.0 * pps / r->line_pps,
			pps * r->wire_len * 8 / 1e6,
			pps * (r->wire_len + GEN_FRAMING) * 8 / 1e6,
			r->res.limited ? "true" : "false");
		for (j = 0; j < r->res.n_trials; j++) {
			const struct bench_trial *t = &r->res.trials[j];

			fprintf(f, "%s{\"rate_pps\": %.3f, \"sent\": %" PRIu64 ", \"received\": %"
				PRIu64 ", \"pass\": %s, \"limited\": %s}", j ? ", " : "", t->rate,
				t->sent, t->received, t->pass ? "true" : "false",
				t->limited ? "true" : "false");
		}
		fprintf(f, "]}");
	}
	fprintf(f, "\n  ]\n}\n");
	return json_close(f);
}
