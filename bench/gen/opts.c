/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Options: the command line and the traffic file set the same names through
 * gen_opt_set(), so a file is the command line written down.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "gen.h"

/* Fields whose default depends on the kind, unless given. */
#define GIVEN_SRC_MAC (1u << 0)
#define GIVEN_DST_MAC (1u << 1)
#define GIVEN_SRC_IP  (1u << 2)
#define GIVEN_DST_IP  (1u << 3)
#define GIVEN_VARY    (1u << 4)

static const uint16_t rfc2544_sizes[] = { 64, 128, 256, 512, 1024, 1280, 1518 };

static int
fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

const char *
gen_kind_name(enum gen_kind k)
{
	return k == GEN_KIND_VXLAN ? "vxlan" : "access";
}

const char *
gen_verify_name(enum gen_verify_mode m)
{
	static const char *const names[] = {
		[GEN_VERIFY_NONE] = "none",
		[GEN_VERIFY_PLAIN] = "plain",
		[GEN_VERIFY_ENCAP] = "encap",
		[GEN_VERIFY_DECAP] = "decap",
	};

	return (unsigned)m < RTE_DIM(names) ? names[m] : "?";
}

void
gen_opts_defaults(struct gen_opts *o)
{
	memset(o, 0, sizeof(*o));
	gen_traffic_defaults(&o->t);
	o->rate.unit = GEN_RATE_PPS;
	o->rate.value = 1e6;
	o->line_bps = 10000000000ull;
	o->burst = 32;
	o->rx_queues = 1;
	o->duration = 10;
	o->drain = 0.5;
	o->verify = GEN_VERIFY_NONE;
	o->latency_pps = 1000;
	memcpy(o->sizes, rfc2544_sizes, sizeof(rfc2544_sizes));
	o->n_sizes = RTE_DIM(rfc2544_sizes);
	o->trial_seconds = 60;
	/* 0.1 % of the line rate: 15 kpps at 64 B on 10G, ten trials. */
	o->resolution.unit = GEN_RATE_PCT;
	o->resolution.value = 0.1;
	o->max_rate.unit = GEN_RATE_PCT;
	o->max_rate.value = 100;
	o->loss_tolerance = 0;
	o->link_wait = 10;
	o->pool_size = 16383;
}

static int
parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *v)
{
	char *end;
	unsigned long long x;

	if (s == NULL || *s == '\0' || *s == '-')
		return -EINVAL;
	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0' || x < min || x > max)
		return -EINVAL;
	*v = x;
	return 0;
}

static int
parse_double(const char *s, double min, double max, double *v)
{
	char *end;
	double x;

	if (s == NULL || *s == '\0')
		return -EINVAL;
	errno = 0;
	x = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !isfinite(x) || x < min || x > max)
		return -EINVAL;
	*v = x;
	return 0;
}

/* "N" or "LO-HI" into lo and count. */
static int
parse_range(const char *s, uint64_t min, uint64_t max, uint64_t *lo, uint64_t *count)
{
	char buf[64], *dash;
	uint64_t hi;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", s);
	dash = strchr(buf, '-');
	if (dash != NULL)
		*dash = '\0';
	if (parse_u64(buf, min, max, lo) != 0)
		return -EINVAL;
	hi = *lo;
	if (dash != NULL && parse_u64(dash + 1, min, max, &hi) != 0)
		return -EINVAL;
	if (hi < *lo)
		return -EINVAL;
	*count = hi - *lo + 1;
	return 0;
}

static int
parse_bool(const char *s, bool *b)
{
	if (s == NULL || strcasecmp(s, "true") == 0 || strcasecmp(s, "yes") == 0 ||
	    strcmp(s, "1") == 0 || strcasecmp(s, "on") == 0) {
		*b = true;
		return 0;
	}
	if (strcasecmp(s, "false") == 0 || strcasecmp(s, "no") == 0 ||
	    strcmp(s, "0") == 0 || strcasecmp(s, "off") == 0) {
		*b = false;
		return 0;
	}
	return -EINVAL;
}

static int
parse_ip(const char *s, rte_be32_t *ip)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*ip = a.s_addr;
	return 0;
}

static int
parse_vary(const char *s, uint32_t *vary)
{
	static const struct {
		const char *name;
		uint32_t bit;
	} fields[] = {
		{ "src-mac", GEN_VARY_SRC_MAC }, { "dst-mac", GEN_VARY_DST_MAC },
		{ "src-ip", GEN_VARY_SRC_IP }, { "dst-ip", GEN_VARY_DST_IP },
		{ "sport", GEN_VARY_SPORT }, { "dport", GEN_VARY_DPORT },
	};
	char buf[256], *tok, *save = NULL;
	uint32_t v = 0;
	unsigned i;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	if (strcmp(s, "none") == 0) {
		*vary = 0;
		return 0;
	}
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ", ", &save); tok != NULL; tok = strtok_r(NULL, ", ", &save)) {
		for (i = 0; i < RTE_DIM(fields); i++)
			if (strcmp(tok, fields[i].name) == 0)
				break;
		if (i == RTE_DIM(fields))
			return -EINVAL;
		v |= fields[i].bit;
	}
	*vary = v;
	return 0;
}

static int
parse_sizes(const char *s, struct gen_opts *o)
{
	char buf[512], *tok, *save = NULL;
	unsigned n = 0;
	uint64_t v;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ", []", &save); tok != NULL; tok = strtok_r(NULL, ", []", &save)) {
		if (n == GEN_SIZES_MAX || parse_u64(tok, GEN_SIZE_MIN, GEN_SIZE_MAX, &v) != 0)
			return -EINVAL;
		o->sizes[n++] = (uint16_t)v;
	}
	if (n == 0)
		return -EINVAL;
	o->n_sizes = n;
	return 0;
}

static int
set_path(char *dst, size_t cap, const char *v)
{
	if (v == NULL || *v == '\0' || strlen(v) >= cap)
		return -EINVAL;
	snprintf(dst, cap, "%s", v);
	return 0;
}

/* "KEY=V1,V2,...": every value checked as the option KEY would check it. */
static int
parse_sweep(struct gen_opts *o, const char *v, char *err, size_t len)
{
	static const char *const keys[] = { "size", "flows", "rate" };
	const char *eq = v != NULL ? strchr(v, '=') : NULL, *p;
	size_t klen;
	unsigned k, n = 0;

	if (eq == NULL)
		return fail(err, len, "--sweep: \"%s\": KEY=V1,V2,... with KEY size, flows or rate",
			    v != NULL ? v : "");
	klen = (size_t)(eq - v);
	for (k = 0; k < RTE_DIM(keys); k++)
		if (strlen(keys[k]) == klen && strncmp(v, keys[k], klen) == 0)
			break;
	if (k == RTE_DIM(keys))
		return fail(err, len, "--sweep: \"%.*s\": size, flows or rate", (int)klen, v);
	for (p = eq + 1;; p++) {
		const char *end = strchr(p, ',');
		size_t vlen = end != NULL ? (size_t)(end - p) : strlen(p);
		struct gen_opts tmp;
		char val[sizeof(o->sweep_vals[0])], why[256];

		if (n == GEN_SWEEP_MAX)
			return fail(err, len, "--sweep: more than %u values", GEN_SWEEP_MAX);
		if (vlen == 0 || vlen >= sizeof(val))
			return fail(err, len, "--sweep: %s: empty or too long a value", keys[k]);
		memcpy(val, p, vlen);
		val[vlen] = '\0';
		gen_opts_defaults(&tmp);
		if (gen_opt_set(&tmp, keys[k], val, why, sizeof(why)) != 0)
			return fail(err, len, "--sweep: %s", why + 2);
		memcpy(o->sweep_vals[n++], val, vlen + 1);
		if (end == NULL)
			break;
		p = end;
	}
	snprintf(o->sweep_key, sizeof(o->sweep_key), "%s", keys[k]);
	o->n_sweep = n;
	return 0;
}

int
gen_opt_set(struct gen_opts *o, const char *name, const char *v, char *err, size_t len)
{
	struct gen_traffic *t = &o->t;
	uint64_t u, lo, n;
	double d;
	bool b;
	int rc = -EINVAL;

	if (v == NULL && strcmp(name, "latency") != 0 && strcmp(name, "rfc2544") != 0 &&
	    strcmp(name, "quiet") != 0)
		return fail(err, len, "--%s: needs a value", name);

	if (strcmp(name, "tx-port") == 0) {
		if (set_path(o->tx_dev, sizeof(o->tx_dev), v) != 0)
			return fail(err, len, "--tx-port: devargs empty or too long");
		return 0;
	} else if (strcmp(name, "rx-port") == 0) {
		if (set_path(o->rx_dev, sizeof(o->rx_dev), v) != 0)
			return fail(err, len, "--rx-port: devargs empty or too long");
		return 0;
	} else if (strcmp(name, "kind") == 0) {
		if (strcmp(v, "access") == 0)
			t->kind = GEN_KIND_ACCESS;
		else if (strcmp(v, "vxlan") == 0)
			t->kind = GEN_KIND_VXLAN;
		else
			return fail(err, len, "--kind: \"%s\": one of access, vxlan", v);
		return 0;
	} else if (strcmp(name, "size") == 0) {
		if (parse_u64(v, GEN_SIZE_MIN, GEN_SIZE_MAX, &u) != 0)
			return fail(err, len, "--size: \"%s\": bytes from %u to %u (FCS included)",
				    v, GEN_SIZE_MIN, GEN_SIZE_MAX);
		t->size = (uint16_t)u;
		return 0;
	} else if (strcmp(name, "sizes") == 0) {
		if (parse_sizes(v, o) != 0)
			return fail(err, len, "--sizes: \"%s\": up to %u sizes from %u to %u, "
				    "comma-separated", v, GEN_SIZES_MAX, GEN_SIZE_MIN, GEN_SIZE_MAX);
		return 0;
	} else if (strcmp(name, "flows") == 0) {
		if (parse_u64(v, 1, GEN_FLOWS_MAX, &u) != 0)
			return fail(err, len, "--flows: \"%s\": from 1 to %u", v, GEN_FLOWS_MAX);
		t->n_flows = (uint32_t)u;
		return 0;
	} else if (strcmp(name, "flow-mode") == 0) {
		if (strcmp(v, "cycle") == 0)
			t->flow_mode = GEN_FLOW_CYCLE;
		else if (strcmp(v, "random") == 0)
			t->flow_mode = GEN_FLOW_RANDOM;
		else
			return fail(err, len, "--flow-mode: \"%s\": one of cycle, random", v);
		return 0;
	} else if (strcmp(name, "seed") == 0) {
		if (parse_u64(v, 0, UINT32_MAX, &u) != 0)
			return fail(err, len, "--seed: \"%s\": a 32-bit number", v);
		t->seed = u;
		return 0;
	} else if (strcmp(name, "vni") == 0) {
		if (parse_range(v, 1, VTEP_VNI_MAX, &lo, &n) != 0)
			return fail(err, len, "--vni: \"%s\": N or LO-HI within 1-%u", v, VTEP_VNI_MAX);
		t->vni_lo = (uint32_t)lo;
		t->n_vni = (uint32_t)n;
		return 0;
	} else if (strcmp(name, "vlan") == 0) {
		if (strcmp(v, "none") == 0 || strcmp(v, "untagged") == 0) {
			t->vlan_lo = 0;
			t->n_vlan = 0;
			return 0;
		}
		if (parse_range(v, 1, 4094, &lo, &n) != 0)
			return fail(err, len, "--vlan: \"%s\": N or LO-HI within 1-4094, or none", v);
		t->vlan_lo = (uint16_t)lo;
		t->n_vlan = (uint16_t)n;
		return 0;
	} else if (strcmp(name, "bum") == 0) {
		if (parse_double(v, 0, 100, &d) != 0)
			return fail(err, len, "--bum: \"%s\": a percentage from 0 to 100", v);
		t->bum_bp = (uint16_t)lround(d * 100);
		return 0;
	} else if (strcmp(name, "bum-mac") == 0) {
		rc = rte_ether_unformat_addr(v, &t->bum_mac);
	} else if (strcmp(name, "vary") == 0) {
		if (parse_vary(v, &t->vary) != 0)
			return fail(err, len, "--vary: \"%s\": comma-separated src-mac, dst-mac, "
				    "src-ip, dst-ip, sport, dport, or none", v);
		o->given |= GIVEN_VARY;
		return 0;
	} else if (strcmp(name, "src-mac") == 0) {
		rc = rte_ether_unformat_addr(v, &t->src_mac);
		o->given |= GIVEN_SRC_MAC;
	} else if (strcmp(name, "dst-mac") == 0) {
		rc = rte_ether_unformat_addr(v, &t->dst_mac);
		o->given |= GIVEN_DST_MAC;
	} else if (strcmp(name, "vtep-mac") == 0) {
		rc = rte_ether_unformat_addr(v, &t->vtep_mac);
	} else if (strcmp(name, "remote-mac") == 0) {
		rc = rte_ether_unformat_addr(v, &t->remote_mac);
	} else if (strcmp(name, "src-ip") == 0) {
		rc = parse_ip(v, &t->src_ip);
		o->given |= GIVEN_SRC_IP;
	} else if (strcmp(name, "dst-ip") == 0) {
		rc = parse_ip(v, &t->dst_ip);
		o->given |= GIVEN_DST_IP;
	} else if (strcmp(name, "vtep-ip") == 0) {
		rc = parse_ip(v, &t->vtep_ip);
	} else if (strcmp(name, "remote-ip") == 0) {
		rc = parse_ip(v, &t->remote_ip);
	} else if (strcmp(name, "sport") == 0 || strcmp(name, "dport") == 0 ||
		   strcmp(name, "udp-port") == 0) {
		if (parse_u64(v, 1, 65535, &u) != 0)
			return fail(err, len, "--%s: \"%s\": a port from 1 to 65535", name, v);
		if (name[0] == 's')
			t->sport = (uint16_t)u;
		else if (name[0] == 'd')
			t->dport = (uint16_t)u;
		else
			t->udp_port = (uint16_t)u;
		return 0;
	} else if (strcmp(name, "rate") == 0 || strcmp(name, "max-rate") == 0 ||
		   strcmp(name, "resolution") == 0) {
		struct gen_rate r;

		if (gen_rate_parse(v, &r) != 0 ||
		    (r.unit == GEN_RATE_MAX && strcmp(name, "resolution") == 0))
			return fail(err, len, "--%s: \"%s\": a rate such as 1.5mpps, 200kpps, "
				    "1000pps or 10%% of --line%s", name, v,
				    strcmp(name, "resolution") == 0 ? "" : ", or max");
		if (name[0] == 'r' && name[1] == 'a')
			o->rate = r;
		else if (name[0] == 'm')
			o->max_rate = r;
		else
			o->resolution = r;
		return 0;
	} else if (strcmp(name, "line") == 0) {
		if (gen_line_parse(v, &o->line_bps) != 0)
			return fail(err, len, "--line: \"%s\": 1g, 10g, 25g, 40g, 100g or bits/s", v);
		return 0;
	} else if (strcmp(name, "burst") == 0) {
		if (parse_u64(v, 1, GEN_BURST_MAX, &u) != 0)
			return fail(err, len, "--burst: \"%s\": from 1 to %u", v, GEN_BURST_MAX);
		o->burst = (unsigned)u;
		return 0;
	} else if (strcmp(name, "sweep") == 0) {
		return parse_sweep(o, v, err, len);
	} else if (strcmp(name, "rx-queues") == 0) {
		if (parse_u64(v, 1, GEN_RXQ_MAX, &u) != 0)
			return fail(err, len, "--rx-queues: \"%s\": from 1 to %u", v, GEN_RXQ_MAX);
		o->rx_queues = (unsigned)u;
		return 0;
	} else if (strcmp(name, "duration") == 0 || strcmp(name, "trial-seconds") == 0) {
		if (parse_double(v, 0.001, 86400, &d) != 0)
			return fail(err, len, "--%s: \"%s\": seconds, from 0.001 to 86400", name, v);
		if (name[0] == 'd')
			o->duration = d;
		else
			o->trial_seconds = d;
		return 0;
	} else if (strcmp(name, "drain") == 0 || strcmp(name, "link-wait") == 0 ||
		   strcmp(name, "warmup") == 0) {
		if (parse_double(v, 0, 3600, &d) != 0)
			return fail(err, len, "--%s: \"%s\": seconds, from 0 to 3600", name, v);
		if (name[0] == 'd')
			o->drain = d;
		else if (name[0] == 'w')
			o->warmup = d;
		else
			o->link_wait = d;
		return 0;
	} else if (strcmp(name, "verify") == 0) {
		enum gen_verify_mode m;

		for (m = GEN_VERIFY_NONE; m <= GEN_VERIFY_DECAP; m++)
			if (strcmp(v, gen_verify_name(m)) == 0)
				break;
		if (m > GEN_VERIFY_DECAP)
			return fail(err, len, "--verify: \"%s\": one of none, plain, encap, decap", v);
		o->verify = m;
		return 0;
	} else if (strcmp(name, "latency") == 0 || strcmp(name, "rfc2544") == 0 ||
		   strcmp(name, "quiet") == 0) {
		if (parse_bool(v, &b) != 0)
			return fail(err, len, "--%s: \"%s\": true or false", name, v);
		if (name[0] == 'l')
			o->latency = b;
		else if (name[0] == 'r')
			o->rfc2544 = b;
		else
			o->quiet = b;
		return 0;
	} else if (strcmp(name, "latency-rate") == 0) {
		if (parse_double(v, 1, 1e6, &d) != 0)
			return fail(err, len, "--latency-rate: \"%s\": probes/s, 1 to 1000000", v);
		o->latency_pps = d;
		return 0;
	} else if (strcmp(name, "loss-tolerance") == 0) {
		if (parse_double(v, 0, 50, &d) != 0)
			return fail(err, len, "--loss-tolerance: \"%s\": a percentage, 0 to 50", v);
		o->loss_tolerance = d / 100;
		return 0;
	} else if (strcmp(name, "json") == 0 || strcmp(name, "latency-csv") == 0) {
		char *dst = name[0] == 'j' ? o->json : o->latency_csv;

		if (set_path(dst, sizeof(o->json), v) != 0)
			return fail(err, len, "--%s: path empty or too long", name);
		return 0;
	} else if (strcmp(name, "pool") == 0) {
		if (parse_u64(v, 1023, 1u << 22, &u) != 0)
			return fail(err, len, "--pool: \"%s\": mbufs, 1023 to %u", v, 1u << 22);
		o->pool_size = (unsigned)u;
		return 0;
	} else {
		return fail(err, len, "--%s: unknown option", name);
	}
	if (rc != 0)
		return fail(err, len, "--%s: \"%s\": not a valid %s", name, v,
			    strstr(name, "mac") ? "MAC address" : "IPv4 address");
	return 0;
}

static const struct option long_opts[] = {
	{ "tx-port", required_argument, NULL, 0 },
	{ "rx-port", required_argument, NULL, 0 },
	{ "traffic", required_argument, NULL, 0 },
	{ "kind", required_argument, NULL, 0 },
	{ "size", required_argument, NULL, 0 },
	{ "sizes", required_argument, NULL, 0 },
	{ "flows", required_argument, NULL, 0 },
	{ "flow-mode", required_argument, NULL, 0 },
	{ "seed", required_argument, NULL, 0 },
	{ "vni", required_argument, NULL, 0 },
	{ "vlan", required_argument, NULL, 0 },
	{ "bum", required_argument, NULL, 0 },
	{ "bum-mac", required_argument, NULL, 0 },
	{ "vary", required_argument, NULL, 0 },
	{ "src-mac", required_argument, NULL, 0 },
	{ "dst-mac", required_argument, NULL, 0 },
	{ "src-ip", required_argument, NULL, 0 },
	{ "dst-ip", required_argument, NULL, 0 },
	{ "sport", required_argument, NULL, 0 },
	{ "dport", required_argument, NULL, 0 },
	{ "vtep-mac", required_argument, NULL, 0 },
	{ "remote-mac", required_argument, NULL, 0 },
	{ "vtep-ip", required_argument, NULL, 0 },
	{ "remote-ip", required_argument, NULL, 0 },
	{ "udp-port", required_argument, NULL, 0 },
	{ "rate", required_argument, NULL, 0 },
	{ "line", required_argument, NULL, 0 },
	{ "burst", required_argument, NULL, 0 },
	{ "rx-queues", required_argument, NULL, 0 },
	{ "warmup", required_argument, NULL, 0 },
	{ "sweep", required_argument, NULL, 0 },
	{ "duration", required_argument, NULL, 0 },
	{ "drain", required_argument, NULL, 0 },
	{ "verify", required_argument, NULL, 0 },
	{ "latency", no_argument, NULL, 0 },
	{ "latency-rate", required_argument, NULL, 0 },
	{ "latency-csv", required_argument, NULL, 0 },
	{ "json", required_argument, NULL, 0 },
	{ "rfc2544", no_argument, NULL, 0 },
	{ "trial-seconds", required_argument, NULL, 0 },
	{ "resolution", required_argument, NULL, 0 },
	{ "max-rate", required_argument, NULL, 0 },
	{ "loss-tolerance", required_argument, NULL, 0 },
	{ "link-wait", required_argument, NULL, 0 },
	{ "pool", required_argument, NULL, 0 },
	{ "quiet", no_argument, NULL, 0 },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

void
gen_opts_usage(FILE *out, const char *prog)
{
	fprintf(out,
"usage: %s [EAL options] -- --tx-port DEVARGS [--rx-port DEVARGS] [options]\n"
"\n"
"ports (any DPDK devargs, probed with rte_dev_probe; rx defaults to tx):\n"
"  --tx-port DEVARGS       e.g. net_memif0,role=client,socket=/tmp/acc.sock\n"
"  --rx-port DEVARGS       e.g. net_memif1,role=client,socket=/tmp/und.sock\n"
"  --link-wait S           seconds to wait for the links to come up [10]\n"
"  --rx-queues N           RX queues per port, all polled: a device under test\n"
"                          may send on any of its TX queues (memif: one ring\n"
"                          each; Open vSwitch's PMD sends on queue 1) [1]\n"
"traffic (also from a YAML file of the same names: --traffic FILE; options win):\n"
"  --kind access|vxlan     plain frames to encapsulate, or VXLAN to decapsulate [access]\n"
"  --size BYTES            64..9000, FCS included (vxlan: the inner frame;\n"
"                          the outer adds 50) [64]\n"
"  --flows N               distinct flows [1]\n"
"  --flow-mode cycle|random  [cycle]; --seed N for random\n"
"  --vary LIST             fields that differ per flow: src-mac,dst-mac,src-ip,\n"
"                          dst-ip,sport,dport [access: dst-mac,dst-ip,sport;\n"
"                          vxlan: src-mac,src-ip,sport]\n"
"  --vni N|LO-HI           VNI of flow f: LO + f mod count [100]\n"
"  --vlan N|LO-HI|none     tag access frames likewise (the tag adds 4 bytes) [none]\n"
"  --bum PCT               share of frames to the BUM destination [0]\n"
"  --bum-mac MAC           that destination [ff:ff:ff:ff:ff:ff]\n"
"  --src-mac, --dst-mac MAC, --src-ip, --dst-ip A.B.C.D, --sport, --dport N\n"
"                          bases of the inner headers [access: VM 02:00:00:00:01:01\n"
"                          198.18.1.1 to hosts 02:00:00:aa:00:00 198.19.0.0; vxlan:\n"
"                          the reverse]; ports [1024 -> 9]\n"
"  --vtep-ip, --remote-ip A.B.C.D  the VTEP under test and the remote one the\n"
"                          generator plays [198.18.0.1, 198.18.0.2]\n"
"  --vtep-mac, --remote-mac MAC    outer MACs of VXLAN frames [02:00:00:00:0a:01/02]\n"
"  --udp-port N            VXLAN UDP port [4789]\n"
"rate and time:\n"
"  --rate R                1.5mpps, 200kpps, 1000pps, 10%% (of --line) or max [1mpps]\n"
"  --line 10g|25g|40g|100g line rate for %% rates, 20 B framing per frame [10g]\n"
"  --burst N               largest burst, 1..%u [32]\n"
"  --duration S            seconds of traffic [10]\n"
"  --drain S               seconds to wait for frames in flight after [0.5]\n"
"  --warmup S              unmeasured traffic first, at the first run's rate\n"
"                          (at most 1 Mpps): links, caches, ARP settle [0]\n"
"checks and output:\n"
"  --verify none|plain|encap|decap  check every received frame [none]\n"
"  --latency               timestamped probes beside the load; --latency-rate PPS [1000]\n"
"  --latency-csv FILE      the latency histogram (bucket_ns,count)\n"
"  --json FILE             the summary as JSON\n"
"  --quiet                 no per-second lines\n"
"  --sweep KEY=V1,V2,...   one run per value of size, flows or rate, in one\n"
"                          process and one connection; --json gets them all\n"
"RFC 2544 throughput:\n"
"  --rfc2544               binary search per size instead of one run\n"
"  --sizes LIST            [64,128,256,512,1024,1280,1518]\n"
"  --trial-seconds S       [60]\n"
"  --resolution R          stop when pass and fail are this close [0.1%%]\n"
"  --max-rate R            first trial [100%%]\n"
"  --loss-tolerance PCT    loss a trial may have and pass [0]\n"
"  --pool N                mbufs in the pool [16383]\n",
		prog, GEN_BURST_MAX);
}

/* The traffic file: one mapping of option names to scalars (or a sequence
 * of scalars, for sizes). */
int
gen_opts_load(struct gen_opts *o, const char *path, char *err, size_t len)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	char key[64] = "", seen[64][64], sub[512];
	unsigned n_seen = 0, i, depth = 0;
	bool have_key = false, in_seq = false, done = false;
	unsigned long line = 0;
	FILE *fp;
	int rc = 0;

	fp = fopen(path, "r");
	if (fp == NULL) {
		rc = -errno;
		snprintf(err, len, "%s: %s", path, strerror(errno));
		return rc;
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, fp);
	sub[0] = '\0';
	while (!done && rc == 0) {
		if (!yaml_parser_parse(&parser, &ev)) {
			rc = fail(err, len, "%s:%lu: %s", path,
				  (unsigned long)parser.problem_mark.line + 1,
				  parser.problem ? parser.problem : "YAML syntax error");
			break;
		}
		line = ev.start_mark.line + 1;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_MAPPING_START_EVENT:
			if (depth++ != 0)
				rc = fail(err, len, "%s:%lu: %s: a value, not a mapping", path,
					  line, key);
			break;
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		case YAML_SEQUENCE_START_EVENT:
			if (!have_key || in_seq)
				rc = fail(err, len, "%s:%lu: a sequence only as a value", path, line);
			in_seq = true;
			sub[0] = '\0';
			break;
		case YAML_SEQUENCE_END_EVENT:
			in_seq = false;
			have_key = false;
			rc = gen_opt_set(o, key, sub, err, len);
			if (rc != 0) {
				char msg[256];

				snprintf(msg, sizeof(msg), "%s", err);
				rc = fail(err, len, "%s:%lu: %s: %s", path, line, key, msg);
			}
			break;
		case YAML_ALIAS_EVENT:
			rc = fail(err, len, "%s:%lu: aliases are not supported", path, line);
			break;
		case YAML_SCALAR_EVENT: {
			const char *s = (const char *)ev.data.scalar.value;

			if (depth != 1) {
				rc = fail(err, len, "%s:%lu: the file is a mapping of option "
					  "names to values", path, line);
			} else if (in_seq) {
				if (strlen(sub) + strlen(s) + 2 >= sizeof(sub))
					rc = fail(err, len, "%s:%lu: %s: too long", path, line, key);
				else
					snprintf(sub + strlen(sub), sizeof(sub) - strlen(sub),
						 "%s%s", sub[0] ? "," : "", s);
			} else if (!have_key) {
				char *c;

				if (strlen(s) >= sizeof(seen[0])) {
					rc = fail(err, len, "%s:%lu: %s: unknown option", path,
						  line, s);
					break;
				}
				snprintf(key, sizeof(key), "%s", s);
				for (c = key; *c; c++)
					if (*c == '_')
						*c = '-';
				for (i = 0; i < n_seen; i++)
					if (strcmp(seen[i], key) == 0)
						break;
				if (i < n_seen)
					rc = fail(err, len, "%s:%lu: %s: given twice", path, line, key);
				else if (strcmp(key, "traffic") == 0 || strcmp(key, "help") == 0)
					rc = fail(err, len, "%s:%lu: %s: not allowed in a traffic file",
						  path, line, key);
				else if (n_seen < RTE_DIM(seen))
					snprintf(seen[n_seen++], sizeof(seen[0]), "%s", key);
				have_key = true;
			} else {
				have_key = false;
				rc = gen_opt_set(o, key, s, err, len);
				if (rc != 0) {
					char msg[256];

					/* err already names the option: keep only the reason. */
					snprintf(msg, sizeof(msg), "%s", err);
					rc = fail(err, len, "%s:%lu: %s", path, line, msg + 2);
				}
			}
			break;
		}
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	fclose(fp);
	return rc;
}

int
gen_opts_sweep_point(const struct gen_opts *o, unsigned i, struct gen_opts *out)
{
	char err[128];

	if (i >= o->n_sweep)
		return -EINVAL;
	*out = *o;
	return gen_opt_set(out, o->sweep_key, o->sweep_vals[i], err, sizeof(err));
}

/* Defaults that depend on the kind, for what was not given. */
static void
finish(struct gen_opts *o)
{
	struct gen_traffic d;

	if (o->t.kind == GEN_KIND_VXLAN) {
		gen_traffic_defaults(&d);
		/* VXLAN frames carry traffic from the hosts to the VM. */
		if (!(o->given & GIVEN_SRC_MAC))
			o->t.src_mac = d.dst_mac;
		if (!(o->given & GIVEN_DST_MAC))
			o->t.dst_mac = d.src_mac;
		if (!(o->given & GIVEN_SRC_IP))
			o->t.src_ip = d.dst_ip;
		if (!(o->given & GIVEN_DST_IP))
			o->t.dst_ip = d.src_ip;
	}
	if (!(o->given & GIVEN_VARY))
		o->t.vary = gen_vary_default(o->t.kind);
	if (o->rx_dev[0] == '\0')
		snprintf(o->rx_dev, sizeof(o->rx_dev), "%s", o->tx_dev);
}

int
gen_opts_check(const struct gen_opts *o, char *err, size_t len)
{
	const struct gen_traffic *t = &o->t;

	if (o->tx_dev[0] == '\0')
		return fail(err, len, "--tx-port: required");
	if (t->vni_lo + (uint64_t)t->n_vni - 1 > VTEP_VNI_MAX)
		return fail(err, len, "--vni: beyond %u", VTEP_VNI_MAX);
	if (o->verify == GEN_VERIFY_ENCAP && t->kind != GEN_KIND_ACCESS)
		return fail(err, len, "--verify encap: needs --kind access (frames to encapsulate)");
	if (o->verify == GEN_VERIFY_DECAP && t->kind != GEN_KIND_VXLAN)
		return fail(err, len, "--verify decap: needs --kind vxlan (frames to decapsulate)");
	if (t->n_vlan > 0 && t->kind != GEN_KIND_ACCESS && o->verify != GEN_VERIFY_DECAP)
		return fail(err, len, "--vlan: tags access frames, or the frames --verify decap "
			    "expects back");
	if (o->rfc2544 && o->max_rate.unit == GEN_RATE_MAX)
		return fail(err, len, "--max-rate: the search needs a finite first rate");
	if (o->latency_csv[0] != '\0' && !o->latency)
		return fail(err, len, "--latency-csv: needs --latency");
	if (o->n_sweep > 0 && o->rfc2544)
		return fail(err, len, "--sweep: one run per value; --rfc2544 searches instead");
	if (o->n_sweep > 0 && o->latency_csv[0] != '\0')
		return fail(err, len, "--latency-csv: one histogram per run; not with --sweep");
	return 0;
}

int
gen_opts_parse(struct gen_opts *o, int argc, char **argv, char *err, size_t len)
{
	int i, c, idx, rc;

	/* The file first, so that the command line overrides it. */
	for (i = 1; i < argc; i++) {
		const char *path = NULL;

		if (strcmp(argv[i], "--traffic") == 0 && i + 1 < argc)
			path = argv[i + 1];
		else if (strncmp(argv[i], "--traffic=", 10) == 0)
			path = argv[i] + 10;
		if (path != NULL) {
			rc = gen_opts_load(o, path, err, len);
			if (rc != 0)
				return -EINVAL;
		}
	}

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", long_opts, &idx)) != -1) {
		if (c == 'h') {
			gen_opts_usage(stdout, argv[0]);
			return 1;
		}
		if (c != 0)
			return fail(err, len, "%s: unknown option or missing value", argv[optind - 1]);
		if (strcmp(long_opts[idx].name, "traffic") == 0)
			continue;
		rc = gen_opt_set(o, long_opts[idx].name, optarg, err, len);
		if (rc != 0)
			return rc;
	}
	if (optind < argc)
		return fail(err, len, "%s: unexpected argument", argv[optind]);
	finish(o);
	return gen_opts_check(o, err, len);
}
