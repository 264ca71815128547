/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GEN_H
#define GEN_H

/**
 * @file
 * The pieces of vtep-bench that do not touch a port: the traffic model, the
 * frame builder, verification of received frames, TSC pacing, the latency
 * histogram and the option parser. All of it works on plain buffers so that
 * the unit tests need no EAL.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_byteorder.h>
#include <rte_ether.h>

#include "vtep.h"

/** Frame sizes count the FCS, as RFC 2544 does: 64 B is 60 B in the mbuf. */
#define GEN_SIZE_MIN 64
#define GEN_SIZE_MAX 9000
#define GEN_FCS_LEN 4
/** Preamble, start of frame delimiter and inter-frame gap: 8 + 12 bytes. */
#define GEN_FRAMING 20
#define GEN_VLAN_LEN 4
/** Largest frame the builder writes: a tagged or VXLAN frame of the largest size. */
#define GEN_FRAME_BUF (GEN_SIZE_MAX + sizeof(struct vtep_outer4) + GEN_VLAN_LEN)
#define GEN_FLOWS_MAX (1u << 24)
#define GEN_BURST_MAX 512
#define GEN_SIZES_MAX 32
/** RX queues the generator may poll per port. */
#define GEN_RXQ_MAX 16
/** Points of one --sweep. */
#define GEN_SWEEP_MAX 64

/** Magic of load frames and of latency probes, first in the stamp. */
#define GEN_MAGIC_LOAD 0x7e51
#define GEN_MAGIC_PROBE 0x7e52

/**
 * What every frame carries first in its UDP payload. The rest of the payload
 * is a fill pattern that depends on the frame size only, so the whole frame
 * can be regenerated from the stamp and compared byte for byte.
 */
struct gen_stamp {
	rte_be16_t magic;
	rte_be32_t flow;   /**< flow id, for people reading captures */
	rte_be32_t seq;    /**< per-run sequence number (load and probes apart) */
	uint64_t tsc;      /**< sender's TSC for probes, 0 for load; host order */
} __rte_packed;

/** Ethernet, IPv4 and UDP headers of the (inner) frame, untagged. */
#define GEN_HDR_LEN (sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) + \
		     sizeof(struct rte_udp_hdr))

_Static_assert(sizeof(struct gen_stamp) == 18, "the stamp is 18 bytes");
_Static_assert(GEN_HDR_LEN + sizeof(struct gen_stamp) == GEN_SIZE_MIN - GEN_FCS_LEN,
	       "headers and stamp fill exactly the smallest frame");

enum gen_kind {
	GEN_KIND_ACCESS = 0,  /**< plain Ethernet/IPv4/UDP for a VTEP to encapsulate */
	GEN_KIND_VXLAN,       /**< VXLAN to the local VTEP for it to decapsulate */
};

enum gen_flow_mode {
	GEN_FLOW_CYCLE = 0,   /**< flow = seq mod flows */
	GEN_FLOW_RANDOM,      /**< flow = hash(seq) mod flows: uniform, reproducible */
};

enum gen_verify_mode {
	GEN_VERIFY_NONE = 0,  /**< count frames; still find latency probes */
	GEN_VERIFY_PLAIN,     /**< the frames sent come back unchanged */
	GEN_VERIFY_ENCAP,     /**< access frames come back VXLAN-encapsulated */
	GEN_VERIFY_DECAP,     /**< VXLAN frames come back as their inner frame */
};

/** Header fields that differ from flow to flow (the base plus the flow id). */
#define GEN_VARY_SRC_MAC (1u << 0)
#define GEN_VARY_DST_MAC (1u << 1)
#define GEN_VARY_SRC_IP  (1u << 2)
#define GEN_VARY_DST_IP  (1u << 3)
#define GEN_VARY_SPORT   (1u << 4)
#define GEN_VARY_DPORT   (1u << 5)

/** The traffic one run sends. Addresses in network order, ports in host order. */
struct gen_traffic {
	enum gen_kind kind;
	uint16_t size;               /**< inner frame on the wire with FCS */
	uint32_t n_flows;
	enum gen_flow_mode flow_mode;
	uint64_t seed;               /**< of the random flow order */
	uint32_t vni_lo, n_vni;      /**< flow f has VNI vni_lo + f mod n_vni */
	uint16_t vlan_lo, n_vlan;    /**< access frames tagged likewise; 0: untagged */
	uint16_t bum_bp;             /**< share of BUM frames, in 1/10000 */
	struct rte_ether_addr bum_mac;  /**< their destination (broadcast by default) */
	uint32_t vary;               /**< GEN_VARY_* */
	/* Inner frame. */
	struct rte_ether_addr src_mac, dst_mac;
	rte_be32_t src_ip, dst_ip;
	uint16_t sport, dport;
	/* Outer headers: sent by the vxlan kind, expected by --verify encap. */
	struct rte_ether_addr vtep_mac, remote_mac;
	rte_be32_t vtep_ip;          /**< the VTEP under test */
	rte_be32_t remote_ip;        /**< the remote VTEP the generator plays */
	uint16_t udp_port;
};

/** Defaults: the addresses of bench/mkpcap.py, all in 198.18.0.0/15 (RFC 2544). */
void gen_traffic_defaults(struct gen_traffic *t);

/** GEN_VARY_* a kind varies unless told otherwise. */
uint32_t gen_vary_default(enum gen_kind kind);

/** Frames of one traffic description at one size, ready to build. */
struct gen_frames {
	struct gen_traffic t;
	uint16_t inner_len;   /**< untagged inner frame in the buffer: size - FCS */
	uint16_t tx_len;      /**< frame as sent, in the buffer (no FCS) */
	uint16_t tx_off;      /**< where the inner frame starts in what is sent */
	uint32_t fill_sum;    /**< raw ones' complement sum of the fill after the stamp */
	struct vtep_tmpl outer;
	uint8_t fill[GEN_SIZE_MAX];  /**< UDP payload pattern; the stamp overwrites the start */
};

/**
 * Prepare @p f to build the frames of @p t at its size.
 * @return 0, or -EINVAL if the traffic does not check (gen_traffic_check).
 */
int gen_frames_init(struct gen_frames *f, const struct gen_traffic *t);

/** Bytes of a frame as sent, on the wire with FCS (without framing). */
static inline unsigned
gen_wire_len(const struct gen_frames *f)
{
	return f->tx_len + GEN_FCS_LEN;
}

/** The flow of load frame @p seq. */
uint32_t gen_flow_of(const struct gen_frames *f, uint32_t seq);
/** Whether load frame @p seq goes to the BUM destination: an exact share, spread evenly. */
bool gen_is_bum(const struct gen_frames *f, uint32_t seq);
uint32_t gen_flow_vni(const struct gen_frames *f, uint32_t flow);
/**
 * The flow of a load frame (@p magic GEN_MAGIC_LOAD) or of a probe
 * (GEN_MAGIC_PROBE: seq mod flows), and in @p bum whether it goes to the BUM
 * destination (never for probes).
 */
uint32_t gen_frame_flow(const struct gen_frames *f, uint16_t magic, uint32_t seq, bool *bum);
uint16_t gen_flow_vlan(const struct gen_frames *f, uint32_t flow);

/**
 * Write the frame as sent: load frame (@p magic GEN_MAGIC_LOAD, flow and BUM
 * from @p seq) or probe (GEN_MAGIC_PROBE, flow seq mod flows, @p tsc).
 * @p buf holds at least GEN_FRAME_BUF bytes.
 * @return the length written, f->tx_len.
 */
uint16_t gen_frame_build(const struct gen_frames *f, uint16_t magic, uint32_t seq,
			 uint64_t tsc, uint8_t *buf);

/**
 * Write only the inner frame of the same load frame or probe, tagged with the
 * flow's VLAN when @p tagged and the traffic has VLANs.
 * @return its length.
 */
uint16_t gen_frame_inner(const struct gen_frames *f, uint16_t magic, uint32_t seq,
			 uint64_t tsc, bool tagged, uint8_t *buf);

/** Outcome of verifying one received frame. */
enum gen_verdict {
	GEN_V_OK = 0,
#define GEN_VERDICT(e, name, help) GEN_V_##e,
#include "gen_verdict.def"
#undef GEN_VERDICT
	GEN_V_MAX
};

const char *gen_verdict_name(enum gen_verdict v);
const char *gen_verdict_help(enum gen_verdict v);

/** What a received frame's stamp said. */
struct gen_rx {
	uint16_t magic;
	uint32_t flow;
	uint32_t seq;
	uint64_t tsc;
};

/**
 * Verify one received frame against what was sent for its stamp.
 *
 * In GEN_VERIFY_NONE mode only the stamp is looked for (through VLAN tags and
 * one level of VXLAN): GEN_V_OK if found, GEN_V_UNKNOWN otherwise.
 *
 * @param scratch at least GEN_FRAME_BUF bytes, for the expected frame
 * @return GEN_V_OK with @p rx filled, or the class of the mismatch.
 */
enum gen_verdict gen_verify(const struct gen_frames *f, enum gen_verify_mode mode,
			    const uint8_t *p, uint32_t len, struct gen_rx *rx,
			    uint8_t *scratch);

/**
 * TSC pacing on an absolute schedule: frame k is due at start + k * period,
 * with the period kept in 32.32 fixed point so that the rate has no rounding
 * drift. A generator that falls behind catches up in bursts of at most the
 * maximum; at low rates the due count is mostly 1, so bursts stay small.
 */
struct gen_pace {
	uint64_t next;        /**< TSC at which the next frame is due */
	uint32_t next_frac;   /**< fraction of a cycle, in 1/2^32 */
	uint64_t period;      /**< whole cycles per frame */
	uint32_t period_frac;
	bool unlimited;       /**< no pacing: every call may send a full burst */
};

/**
 * Start a schedule of @p pps frames per second on a TSC of @p hz, first frame
 * due at @p now. @p pps <= 0 means as fast as possible.
 */
void gen_pace_init(struct gen_pace *p, double pps, uint64_t hz, uint64_t now);

/** Take the frames due at @p now, at most @p max, and move the schedule past them. */
static inline unsigned
gen_pace_take(struct gen_pace *p, uint64_t now, unsigned max)
{
	unsigned n = 0;

	if (p->unlimited)
		return max;
	while (n < max && now >= p->next) {
		uint64_t frac = (uint64_t)p->next_frac + p->period_frac;

		p->next += p->period + (frac >> 32);
		p->next_frac = (uint32_t)frac;
		n++;
	}
	return n;
}

/** Frames per second that fill a line of @p line_bps with frames of @p wire_len (FCS included). */
double gen_line_pps(uint64_t line_bps, unsigned wire_len);

/** An offered rate: frames per second, a share of the line rate, or unlimited. */
struct gen_rate {
	enum { GEN_RATE_PPS, GEN_RATE_PCT, GEN_RATE_MAX } unit;
	double value;
};

/**
 * Parse "1.5mpps", "250kpps", "1000pps", "1000", "10%" or "max".
 * @return 0 or -EINVAL.
 */
int gen_rate_parse(const char *s, struct gen_rate *r);
/** Frames per second for @p r (0: unlimited). */
double gen_rate_pps(const struct gen_rate *r, uint64_t line_bps, unsigned wire_len);
/** Parse "10g", "25g", "40g", "100g" (or "1g", or bits per second). @return 0 or -EINVAL. */
int gen_line_parse(const char *s, uint64_t *bps);

/**
 * Latency histogram in nanoseconds, log-linear: exact below 64 ns, then 32
 * linear buckets per power of two (3 % wide at most).
 */
#define GEN_HIST_SUB_BITS 5
#define GEN_HIST_SUB (1u << GEN_HIST_SUB_BITS)
#define GEN_HIST_BUCKETS ((64 - GEN_HIST_SUB_BITS + 1) * GEN_HIST_SUB)

struct gen_hist {
	uint64_t n;
	uint64_t min, max;
	double sum;
	uint64_t count[GEN_HIST_BUCKETS];
};

void gen_hist_reset(struct gen_hist *h);
unsigned gen_hist_bucket(uint64_t ns);
uint64_t gen_hist_bucket_low(unsigned b);
uint64_t gen_hist_bucket_width(unsigned b);

static inline void
gen_hist_add(struct gen_hist *h, uint64_t ns)
{
	h->count[gen_hist_bucket(ns)]++;
	if (h->n == 0 || ns < h->min)
		h->min = ns;
	if (ns > h->max)
		h->max = ns;
	h->n++;
	h->sum += (double)ns;
}

/**
 * The @p q quantile (0..1): middle of the bucket holding the sample of rank
 * ceil(q n), clamped to [min, max]. 0 when empty.
 */
uint64_t gen_hist_quantile(const struct gen_hist *h, double q);
/**
 * Write "bucket_ns,count" lines: the lower bound of every non-empty bucket.
 * @return 0 or -EIO.
 */
int gen_hist_write_csv(const struct gen_hist *h, FILE *out);

/** Everything the command line and the traffic file set. */
struct gen_opts {
	char tx_dev[256];
	char rx_dev[256];
	struct gen_traffic t;
	struct gen_rate rate;
	uint64_t line_bps;
	unsigned burst;
	unsigned rx_queues;         /**< RX queues set up on every port, all polled */
	double duration;          /**< seconds of traffic */
	double drain;             /**< seconds to wait for frames in flight */
	double warmup;            /**< seconds of unmeasured traffic before the first run */
	enum gen_verify_mode verify;
	bool latency;
	double latency_pps;
	char json[256];
	char latency_csv[256];
	bool rfc2544;
	uint16_t sizes[GEN_SIZES_MAX];
	unsigned n_sizes;
	double trial_seconds;
	struct gen_rate resolution;
	struct gen_rate max_rate;
	double loss_tolerance;    /**< fraction of frames a trial may lose and pass */
	double link_wait;         /**< seconds to wait for the ports' links */
	bool quiet;               /**< no per-second lines */
	unsigned pool_size;
	/* --sweep KEY=V1,V2,...: one run per value of size, flows or rate. */
	char sweep_key[8];
	char sweep_vals[GEN_SWEEP_MAX][24];
	unsigned n_sweep;
	unsigned given;           /**< fields set explicitly, whose defaults depend on the kind */
};

void gen_opts_defaults(struct gen_opts *o);

/**
 * Parse the arguments after EAL's: the traffic file first (--traffic), then
 * every other option, so that the command line overrides the file.
 *
 * @return 0; 1 if help was asked and printed; -EINVAL with the reason in @p err
 *   ("--rate: ..." or "FILE:LINE: key: ...").
 */
int gen_opts_parse(struct gen_opts *o, int argc, char **argv, char *err, size_t len);

/**
 * Set one option by its long name, as the command line and the traffic file do.
 * @p value is NULL for a flag given on the command line.
 * @return 0 or -EINVAL with the reason in @p err.
 */
int gen_opt_set(struct gen_opts *o, const char *name, const char *value, char *err, size_t len);

/** Load a traffic file: a YAML mapping of option names to values. @return 0, -EINVAL or -errno. */
int gen_opts_load(struct gen_opts *o, const char *path, char *err, size_t len);

/**
 * The options of sweep point @p i: @p o with the swept option set to the
 * point's value (checked when --sweep was parsed).
 * @return 0, or -EINVAL if @p i is out of range.
 */
int gen_opts_sweep_point(const struct gen_opts *o, unsigned i, struct gen_opts *out);

/** Cross-field checks once everything is set. @return 0 or -EINVAL with the reason. */
int gen_opts_check(const struct gen_opts *o, char *err, size_t len);

void gen_opts_usage(FILE *out, const char *prog);

const char *gen_kind_name(enum gen_kind k);
const char *gen_verify_name(enum gen_verify_mode m);

#endif /* GEN_H */
