/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The RFC 2544 search against simulated devices whose loss curve is known:
 * the rate found must be within the resolution below the true knee.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bench_search.h"

#define LINE_64B 14880952.38  /* 10GbE at 64-byte frames */

/* A device that forwards everything up to its knee and, above it, loses
 * what exceeds the knee (or, with loss_floor, at least that many frames). */
struct sim {
	double knee;
	double seconds;
	uint64_t loss_floor;     /* frames lost by any trial above the knee */
	double noise_below;      /* chance that a trial below the knee loses a frame */
	double limit;            /* the generator cannot offer more than this, 0: none */
	unsigned calls;
	int fail_at;             /* return -EIO on this call, 0: never */
	unsigned seed;
};

static int
sim_trial(void *arg, double rate, uint64_t *sent, uint64_t *received)
{
	struct sim *s = arg;
	double secs = s->seconds ? s->seconds : 1;

	s->calls++;
	if (s->fail_at && (int)s->calls == s->fail_at)
		return -EIO;
	if (s->limit > 0 && rate > s->limit) {
		*sent = (uint64_t)(s->limit * secs);
		*received = *sent;
		return 1;
	}
	*sent = (uint64_t)llround(rate * secs);
	if (rate <= s->knee) {
		*received = *sent;
		if (s->noise_below > 0 && (double)rand_r(&s->seed) / RAND_MAX < s->noise_below)
			*received = *sent - 1;
	} else {
		uint64_t lost = (uint64_t)llround((rate - s->knee) * secs);

		if (lost < s->loss_floor)
			lost = s->loss_floor;
		*received = *sent > lost ? *sent - lost : 0;
	}
	return 0;
}

static struct bench_search_cfg
line_cfg(void)
{
	struct bench_search_cfg c = {
		.max_rate = LINE_64B,
		.resolution = LINE_64B / 1000,   /* 0.1 % of line rate */
		.min_rate = LINE_64B / 1000,
	};

	return c;
}

/* Trials the binary search may need for an interval of this width. */
static unsigned
trial_bound(const struct bench_search_cfg *c)
{
	return 2 + (unsigned)ceil(log2((c->max_rate - c->min_rate) / c->resolution));
}

static void
test_knee_found_within_resolution(void **state)
{
	struct bench_search_cfg c = line_cfg();
	struct bench_search_result r;
	struct sim s = { .knee = 7.3e6 };

	(void)state;
	assert_int_equal(bench_search_run(&c, sim_trial, &s, &r), 0);
	assert_true(r.found);
	assert_true(r.rate <= s.knee);
	assert_true(s.knee - r.rate <= c.resolution);
	assert_true(r.fail_rate > s.knee);
	assert_true(r.fail_rate - r.rate <= c.resolution);
	assert_false(r.limited);
	assert_true(r.n_trials <= trial_bound(&c));
	assert_int_equal(r.n_trials, s.calls);
	/* The first trial is at the line rate, the second at the floor. */
	assert_true(r.trials[0].rate == c.max_rate);
	assert_false(r.trials[0].pass);
	assert_true(r.trials[1].rate == c.min_rate);
	assert_true(r.trials[1].pass);
}

static void
test_knee_many_places(void **state)
{
	struct bench_search_cfg c = line_cfg();
	struct bench_search_result r;
	double knee;

	(void)state;
	/* Knees across the range, on and off the search's grid. */
	for (knee = c.min_rate * 1.5; knee < c.max_rate; knee += 611111.1) {
		struct sim s = { .knee = knee };

		assert_int_equal(bench_search_run(&c, sim_trial, &s, &r), 0);
		assert_true(r.found);
		assert_true(r.rate <= knee);
		assert_true(knee - r.rate <= c.resolution);
	}
}

static void
test_one_frame_lost_is_a_failure(void **state)
{
	struct bench_search_cfg c = line_cfg();
	struct bench_search_result r;
	/* Above the knee the device loses a single frame per trial: RFC 2544
	 * counts that as a failed trial all the same. */
	struct sim s = { .knee = 3.0e6, .loss_floor = 1, .seconds = 1e-3 };

	(void)state;
	assert_int_equal(bench_search_run(&c, sim_trial, &s, &r), 0);
	assert_true(r.rate <= s.knee);
	assert_true(s.knee - r.rate <= c.resolution);
}

static void
test_loss_free_at_max_rate(void **state)
{
	struct bench_search_cfg c = line_cfg();
	struct bench_search_result r;
	struct sim s = { .knee = 1e9 };

	(void)state;
	assert_int_equal(bench_search_run(&c, sim_trial, &s, &r), 0);
	assert_true(r.found);
	assert_true(r.rate == c.max_rate);
	assert_true(r.fail_rate == 0);
	assert_int_equal(r.n_trials, 1);
}

static void
test_lossy_at_min_rate(void **state)
{
	struct bench_search_cfg c = line_cfg();
	struct bench_search_result r;
	struct sim s = { .knee = c.min_rate / 2 };

	(void)state;
	assert_int_equal(bench_search_run(&c, sim_trial, &s, &r), 0);
	assert_false(r.found);
	assert_true(r.rate == 0);
	assert_true(r.fail_rate == c.min_rate);
	assert_int_equal(r.n_trials, 2);
}

static void
test_knee_just_below_max(void **state)
{
	struct bench_search_cfg c = line_cfg();
	struct bench_search_result r;
	struct sim s = { .knee = c.max_rate - c.resolution / 3 };

	(void)state;
	assert_int_equal(bench_search_run(&c, sim_trial, &s, &r), 0);
	assert_true(r.found);
	assert_true(r.rate <= s.knee && s.knee - r.rate <= c.resolution);
}

static void
test_noisy_device_never_reports_a_lossy_rate(void **state)
{
	struct bench_search_cfg c = line_cfg();
	unsigned seed, found = 0;

	(void)state;
	/* A device that now and then drops a frame below its knee too: the
	 * search may settle lower, but never above the knee, and whatever it
	 * reports passed a trial. */
	for (seed = 1; seed <= 50; seed++) {
		struct sim s = { .knee = 9.1e6, .noise_below = 0.2, .seed = seed };
		struct bench_search_result r;
		unsigned i;
		bool seen = false;

		assert_int_equal(bench_search_run(&c, sim_trial, &s, &r), 0);
		if (!r.found)
			continue;
		found++;
		assert_true(r.rate <= s.knee);
		for (i = 0; i < r.n_trials; i++)
			if (r.trials[i].rate == r.rate && r.trials[i].pass)
				seen = true;
		assert_true(seen);
	}
	/* A search that never finds a rate would pass the loop above
	 * vacuously. With one trial in five below the knee losing a frame,
	 * most seeds find one (44 of these 50). */
	print_message("%u of 50 noisy searches found a rate\n", found);
	assert_true(found > 25);
}

static void
test_loss_tolerance(void **state)
{
	struct bench_search_cfg c = line_cfg();
	struct bench_search_result r;
	struct sim s = { .knee = 5e6 };
	double edge;

	(void)state;
	/* With 1 % tolerated, a device losing (rate - knee) passes up to
	 * knee / 0.99. */
	c.loss_tolerance = 0.01;
	edge = s.knee / 0.99;
	assert_int_equal(bench_search_run(&c, sim_trial, &s, &r), 0);
	assert_true(r.rate <= edge + 1);
	assert_true(edge - r.rate <= c.resolution + 1);
}

static void
test_generator_limited(void **state)
{
	struct bench_search_cfg c = line_cfg();
	struct bench_search_result r;
	struct sim s = { .knee = 1e9, .limit = 6e6 };

	(void)state;
	/* The device would take the line rate but the generator cannot offer
	 * it: the result is the generator's limit, and says so. */
	assert_int_equal(bench_search_run(&c, sim_trial, &s, &r), 0);
	assert_true(r.limited);
	assert_true(r.rate <= s.limit && s.limit - r.rate <= c.resolution);
	assert_true(r.trials[0].limited);
	assert_false(r.trials[0].pass);

	/* A device that loses frames below the generator's limit: the first
	 * trial was the generator's, the bound is the device's. */
	s = (struct sim){ .knee = 3e6, .limit = 6e6 };
	assert_int_equal(bench_search_run(&c, sim_trial, &s, &r), 0);
	assert_true(r.trials[0].limited);
	assert_false(r.limited);
	assert_true(r.rate <= s.knee && s.knee - r.rate <= c.resolution);
}

static void
test_trial_error_stops_the_search(void **state)
{
	struct bench_search_cfg c = line_cfg();
	struct bench_search_result r;
	struct sim s = { .knee = 7.3e6, .fail_at = 4 };

	(void)state;
	assert_int_equal(bench_search_run(&c, sim_trial, &s, &r), -EIO);
	assert_int_equal(s.calls, 4);
	assert_int_equal(r.n_trials, 3);
}

static void
test_trial_budget(void **state)
{
	struct bench_search_cfg c = line_cfg();
	struct bench_search_result r;
	struct sim s = { .knee = 7.3e6 };

	(void)state;
	c.max_trials = 4;
	assert_int_equal(bench_search_run(&c, sim_trial, &s, &r), -E2BIG);
	assert_int_equal(r.n_trials, 4);
	/* The interval so far still brackets the knee. */
	assert_true(r.rate <= s.knee && r.fail_rate > s.knee);
}

static void
test_bad_config(void **state)
{
	struct bench_search_cfg c = line_cfg();
	struct bench_search_result r;
	struct sim s = { .knee = 1 };

	(void)state;
	c.resolution = 0;
	assert_int_equal(bench_search_run(&c, sim_trial, &s, &r), -EINVAL);
	c = line_cfg();
	c.min_rate = 0;
	assert_int_equal(bench_search_run(&c, sim_trial, &s, &r), -EINVAL);
	c = line_cfg();
	c.max_rate = c.min_rate / 2;
	assert_int_equal(bench_search_run(&c, sim_trial, &s, &r), -EINVAL);
	c = line_cfg();
	c.loss_tolerance = 1;
	assert_int_equal(bench_search_run(&c, sim_trial, &s, &r), -EINVAL);
	c = line_cfg();
	assert_int_equal(bench_search_run(&c, NULL, &s, &r), -EINVAL);
	assert_int_equal(s.calls, 0);
}

static void
test_trial_pass_rule(void **state)
{
	struct bench_search_cfg c = line_cfg();

	(void)state;
	assert_false(bench_trial_pass(&c, 0, 0));
	assert_true(bench_trial_pass(&c, 100, 100));
	assert_true(bench_trial_pass(&c, 100, 150));   /* flooded copies */
	assert_false(bench_trial_pass(&c, 100, 99));
	c.loss_tolerance = 0.01;
	assert_true(bench_trial_pass(&c, 100, 99));
	assert_false(bench_trial_pass(&c, 100, 98));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_knee_found_within_resolution),
		cmocka_unit_test(test_knee_many_places),
		cmocka_unit_test(test_one_frame_lost_is_a_failure),
		cmocka_unit_test(test_loss_free_at_max_rate),
		cmocka_unit_test(test_lossy_at_min_rate),
		cmocka_unit_test(test_knee_just_below_max),
		cmocka_unit_test(test_noisy_device_never_reports_a_lossy_rate),
		cmocka_unit_test(test_loss_tolerance),
		cmocka_unit_test(test_generator_limited),
		cmocka_unit_test(test_trial_error_stops_the_search),
		cmocka_unit_test(test_trial_budget),
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test(test_trial_pass_rule),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
