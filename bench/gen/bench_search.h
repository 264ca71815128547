/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef BENCH_SEARCH_H
#define BENCH_SEARCH_H

/**
 * @file
 * RFC 2544 section 26.1 throughput: the highest offered rate at which the
 * device under test forwards every frame, found by binary search between a
 * rate known to pass and one known to fail. Pure: the trials are a callback,
 * so the search is tested against simulated devices.
 */

#include <stdbool.h>
#include <stdint.h>

#define BENCH_SEARCH_TRIALS_MAX 64

struct bench_search_cfg {
	double min_rate;        /**< lowest rate worth trying, frames/s, > 0 */
	double max_rate;        /**< highest rate, normally the line rate, >= min_rate */
	double resolution;      /**< stop once pass and fail are this close, frames/s, > 0 */
	double loss_tolerance;  /**< share of frames a trial may lose and pass; RFC 2544: 0 */
	unsigned max_trials;    /**< bound on trials, at most BENCH_SEARCH_TRIALS_MAX; 0: that */
};

/**
 * Run one trial at @p rate frames per second and report what was sent and
 * what came back.
 *
 * @return 0; 1 if the generator could not offer @p rate (the trial counts as
 *   failed and the result says the generator limited it); a negative errno to
 *   stop the search, which then returns it.
 */
typedef int (*bench_trial_fn)(void *arg, double rate, uint64_t *sent, uint64_t *received);

struct bench_trial {
	double rate;
	uint64_t sent, received;
	bool pass;
	bool limited;           /**< the generator fell short of the rate */
};

struct bench_search_result {
	bool found;             /**< some rate passed */
	double rate;            /**< the highest rate that passed, 0 if none */
	double fail_rate;       /**< the lowest rate that failed above it, 0 if max passed */
	bool limited;           /**< the trial at fail_rate failed for the generator, not the device */
	unsigned n_trials;
	struct bench_trial trials[BENCH_SEARCH_TRIALS_MAX];
};

/** Whether a trial that sent @p sent frames and got @p received back passes. */
bool bench_trial_pass(const struct bench_search_cfg *cfg, uint64_t sent, uint64_t received);

/**
 * Search: a trial at max_rate (done if it passes), one at min_rate (nothing
 * passes if it fails), then halve the interval between the highest pass and
 * the lowest fail until it is at most @p cfg->resolution wide. When the loss
 * grows with the rate, the true throughput lies in [rate, fail_rate).
 *
 * @return 0 with @p res filled (also when nothing passed: res->found false),
 *   -EINVAL for a configuration out of range, -E2BIG if max_trials ran out
 *   before the resolution was reached (res holds the interval so far), or
 *   the trial's negative errno.
 */
int bench_search_run(const struct bench_search_cfg *cfg, bench_trial_fn trial, void *arg,
		     struct bench_search_result *res);

#endif /* BENCH_SEARCH_H */
