/* SPDX-License-Identifier: BSD-3-Clause */
/* RFC 2544 throughput: binary search over trials. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "bench_search.h"

bool
bench_trial_pass(const struct bench_search_cfg *cfg, uint64_t sent, uint64_t received)
{
	double lost;

	/* Nothing sent proves nothing. More back than sent (a flooded frame
	 * copied to several ports) is no loss. */
	if (sent == 0)
		return false;
	if (received >= sent)
		return true;
	lost = (double)(sent - received);
	return lost <= cfg->loss_tolerance * (double)sent;
}

/* One trial, recorded. @return 1 pass, 0 fail, or the trial's negative errno. */
static int
run_trial(const struct bench_search_cfg *cfg, bench_trial_fn trial, void *arg,
	  struct bench_search_result *res, double rate)
{
	struct bench_trial *t = &res->trials[res->n_trials];
	int rc;

	memset(t, 0, sizeof(*t));
	t->rate = rate;
	rc = trial(arg, rate, &t->sent, &t->received);
	if (rc < 0)
		return rc;
	t->limited = rc == 1;
	t->pass = !t->limited && bench_trial_pass(cfg, t->sent, t->received);
	/* Whose failure bounds the result: the latest failure is the lowest. */
	if (!t->pass)
		res->limited = t->limited;
	res->n_trials++;
	return t->pass;
}

int
bench_search_run(const struct bench_search_cfg *cfg, bench_trial_fn trial, void *arg,
		 struct bench_search_result *res)
{
	unsigned max_trials = cfg->max_trials ? cfg->max_trials : BENCH_SEARCH_TRIALS_MAX;
	double lo, hi;
	int rc;

	memset(res, 0, sizeof(*res));
	if (!(cfg->min_rate > 0) || !(cfg->max_rate >= cfg->min_rate) ||
	    !(cfg->resolution > 0) || !(cfg->loss_tolerance >= 0) ||
	    !(cfg->loss_tolerance < 1) || !isfinite(cfg->max_rate) ||
	    max_trials > BENCH_SEARCH_TRIALS_MAX || max_trials < 2 || trial == NULL)
		return -EINVAL;

	rc = run_trial(cfg, trial, arg, res, cfg->max_rate);
	if (rc < 0)
		return rc;
	if (rc == 1) {
		res->found = true;
		res->rate = cfg->max_rate;
		return 0;
	}
	hi = cfg->max_rate;
	if (cfg->max_rate - cfg->min_rate <= cfg->resolution) {
		/* The interval is already as narrow as asked. */
		res->fail_rate = hi;
		return 0;
	}
	rc = run_trial(cfg, trial, arg, res, cfg->min_rate);
	if (rc < 0)
		return rc;
	if (rc == 0) {
		res->fail_rate = cfg->min_rate;
		return 0;
	}
	lo = cfg->min_rate;
	res->found = true;

	while (hi - lo > cfg->resolution) {
		double mid = lo + (hi - lo) / 2;

		if (res->n_trials == max_trials) {
			res->rate = lo;
			res->fail_rate = hi;
			return -E2BIG;
		}
		rc = run_trial(cfg, trial, arg, res, mid);
		if (rc < 0)
			return rc;
		if (rc == 1)
			lo = mid;
		else
			hi = mid;
	}
	res->rate = lo;
	res->fail_rate = hi;
	return 0;
}
