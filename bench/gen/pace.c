/* SPDX-License-Identifier: BSD-3-Clause */
/* Rates: parsing, line rates and the TSC schedule. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gen.h"

void
gen_pace_init(struct gen_pace *p, double pps, uint64_t hz, uint64_t now)
{
	double period;

	memset(p, 0, sizeof(*p));
	p->next = now;
	if (!(pps > 0)) {
		p->unlimited = true;
		return;
	}
	period = (double)hz / pps;
	/* A period under one cycle would mean more than hz frames a second:
	 * no port goes there, so treat it as unlimited. */
	if (period < 1.0) {
		p->unlimited = true;
		return;
	}
	p->period = (uint64_t)period;
	p->period_frac = (uint32_t)((period - (double)p->period) * 4294967296.0);
}

double
gen_line_pps(uint64_t line_bps, unsigned wire_len)
{
	return (double)line_bps / ((double)(wire_len + GEN_FRAMING) * 8.0);
}

int
gen_rate_parse(const char *s, struct gen_rate *r)
{
	static const struct {
		const char *suffix;
		double mult;
	} units[] = {
		{ "gpps", 1e9 }, { "mpps", 1e6 }, { "kpps", 1e3 }, { "pps", 1 }, { "", 1 },
	};
	char *end;
	double v;
	unsigned i;

	if (strcasecmp(s, "max") == 0) {
		r->unit = GEN_RATE_MAX;
		r->value = 0;
		return 0;
	}
	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno != 0 || !isfinite(v) || !(v > 0))
		return -EINVAL;
	if (strcmp(end, "%") == 0) {
		if (v > 100)
			return -EINVAL;
		r->unit = GEN_RATE_PCT;
		r->value = v;
		return 0;
	}
	for (i = 0; i < RTE_DIM(units); i++) {
		if (strcasecmp(end, units[i].suffix) == 0) {
			r->unit = GEN_RATE_PPS;
			r->value = v * units[i].mult;
			return 0;
		}
	}
	return -EINVAL;
}

double
gen_rate_pps(const struct gen_rate *r, uint64_t line_bps, unsigned wire_len)
{
	switch (r->unit) {
	case GEN_RATE_PPS:
		return r->value;
	case GEN_RATE_PCT:
		return gen_line_pps(line_bps, wire_len) * r->value / 100.0;
	default:
		return 0;
	}
}

int
gen_line_parse(const char *s, uint64_t *bps)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno != 0 || !isfinite(v) || !(v > 0))
		return -EINVAL;
	if (strcasecmp(end, "g") == 0 || strcasecmp(end, "gbit") == 0)
		v *= 1e9;
	else if (strcasecmp(end, "m") == 0 || strcasecmp(end, "mbit") == 0)
		v *= 1e6;
	else if (*end != '\0')
		return -EINVAL;
	if (v < 1e6 || v > 1e13)
		return -EINVAL;
	*bps = (uint64_t)llround(v);
	return 0;
}
