/* SPDX-License-Identifier: BSD-3-Clause */
/* The latency histogram: log-linear buckets in nanoseconds. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "gen.h"

void
gen_hist_reset(struct gen_hist *h)
{
	memset(h, 0, sizeof(*h));
}

unsigned
gen_hist_bucket(uint64_t ns)
{
	unsigned e, shift;

	if (ns < 2 * GEN_HIST_SUB)
		return (unsigned)ns;
	e = 63u - (unsigned)__builtin_clzll(ns);
	shift = e - GEN_HIST_SUB_BITS;
	/* ns >> shift is in [SUB, 2 SUB): the linear step within the octave. */
	return shift * GEN_HIST_SUB + (unsigned)(ns >> shift);
}

uint64_t
gen_hist_bucket_low(unsigned b)
{
	unsigned shift;

	if (b < 2 * GEN_HIST_SUB)
		return b;
	shift = b / GEN_HIST_SUB - 1;
	return (uint64_t)(b % GEN_HIST_SUB + GEN_HIST_SUB) << shift;
}

uint64_t
gen_hist_bucket_width(unsigned b)
{
	if (b < 2 * GEN_HIST_SUB)
		return 1;
	return 1ull << (b / GEN_HIST_SUB - 1);
}

uint64_t
gen_hist_quantile(const struct gen_hist *h, double q)
{
	uint64_t rank, seen = 0, v;
	unsigned b;

	if (h->n == 0)
		return 0;
	if (q <= 0)
		return h->min;
	if (q >= 1)
		return h->max;
	rank = (uint64_t)ceil(q * (double)h->n);
	if (rank == 0)
		rank = 1;
	for (b = 0; b < GEN_HIST_BUCKETS; b++) {
		seen += h->count[b];
		if (seen >= rank)
			break;
	}
	if (b == GEN_HIST_BUCKETS)
		return h->max;
	v = gen_hist_bucket_low(b) + gen_hist_bucket_width(b) / 2;
	if (v < h->min)
		v = h->min;
	if (v > h->max)
		v = h->max;
	return v;
}

int
gen_hist_write_csv(const struct gen_hist *h, FILE *out)
{
	unsigned b;

	if (fprintf(out, "bucket_ns,count\n") < 0)
		return -EIO;
	for (b = 0; b < GEN_HIST_BUCKETS; b++) {
		if (h->count[b] == 0)
			continue;
		if (fprintf(out, "%" PRIu64 ",%" PRIu64 "\n", gen_hist_bucket_low(b),
			    h->count[b]) < 0)
			return -EIO;
	}
	return 0;
}
