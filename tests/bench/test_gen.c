/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vtep-bench without ports: the pacing arithmetic, rates, the frame builder
 * (sizes exact, checksums valid, flows distinct), verification by class,
 * the latency histogram and the options. Frames are checked here with a
 * checksum written from RFC 1071, not with the builder's.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "gen.h"

#define HZ 2400000000ull

static struct gen_frames frames;
static struct gen_frames frames2;
static uint8_t buf[GEN_FRAME_BUF];
static uint8_t buf2[GEN_FRAME_BUF];
static uint8_t scratch[GEN_FRAME_BUF];

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* RFC 1071 over big-endian words. */
static uint32_t
sum16(const uint8_t *p, size_t n, uint32_t s)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += get16(p + i);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t
fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* Checks an Ethernet/IPv4/UDP frame at p (untagged or one tag) of length n:
 * lengths agree with n, IPv4 and UDP checksums are valid. Returns the
 * offset of the UDP payload. */
static size_t
check_inner(const uint8_t *p, size_t n)
{
	size_t l3 = 14, l4;
	uint16_t ip_len, udp_len;
	uint32_t s;
	uint8_t ph[12];

	if (get16(p + 12) == 0x8100)
		l3 += 4;
	assert_int_equal(get16(p + l3 - 2), 0x0800);
	assert_int_equal(p[l3], 0x45);
	assert_int_equal(fold(sum16(p + l3, 20, 0)), 0xffff);
	ip_len = get16(p + l3 + 2);
	assert_int_equal(l3 + ip_len, n);
	assert_int_equal(p[l3 + 9], 17);
	l4 = l3 + 20;
	udp_len = get16(p + l4 + 4);
	assert_int_equal(udp_len, ip_len - 20);
	assert_int_not_equal(get16(p + l4 + 6), 0);
	memcpy(ph, p + l3 + 12, 8);
	ph[8] = 0;
	ph[9] = 17;
	ph[10] = (uint8_t)(udp_len >> 8);
	ph[11] = (uint8_t)udp_len;
	s = sum16(ph, sizeof(ph), 0);
	s = sum16(p + l4, udp_len, s);
	assert_int_equal(fold(s), 0xffff);
	return l4 + 8;
}

static void
traffic(struct gen_traffic *t, enum gen_kind kind, uint16_t size)
{
	gen_traffic_defaults(t);
	t->kind = kind;
	t->size = size;
	t->vary = gen_vary_default(kind);
}

/* ---- pacing ---- */

/* Drive a schedule with a clock that advances in steps of 1 to max_step
 * cycles up to @p end, then take what is still due before it, as the run
 * loop does; count the frames. */
static uint64_t
drive(struct gen_pace *p, uint64_t start, uint64_t end, unsigned burst, unsigned max_step,
      unsigned *largest)
{
	uint64_t now = start, n = 0;
	unsigned seed = 7, k;

	*largest = 0;
	while (now < end) {
		k = gen_pace_take(p, now, burst);
		n += k;
		if (k > *largest)
			*largest = k;
		now += 1 + (unsigned)rand_r(&seed) % max_step;
	}
	while ((k = gen_pace_take(p, end - 1, burst)) > 0)
		n += k;
	return n;
}

static void
test_pace_exact_rate(void **state)
{
	static const double rates[] = { 1e6, 7.3e6, 14880952.38, 812743.8, 1000, 1.5e6 };
	unsigned i, largest;

	(void)state;
	for (i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		struct gen_pace p;
		uint64_t n;

		gen_pace_init(&p, rates[i], HZ, 1000);
		/* Ten seconds of TSC: the fixed-point period leaves no drift. */
		n = drive(&p, 1000, 1000 + 10 * HZ, GEN_BURST_MAX, 20000, &largest);
		assert_true(fabs((double)n - rates[i] * 10) <= 1.0);
		assert_true(largest <= GEN_BURST_MAX);
	}
}

static void
test_pace_low_rate_small_bursts(void **state)
{
	struct gen_pace p;
	unsigned largest;
	uint64_t n;

	(void)state;
	/* 1 Mpps is a frame every 2400 cycles: a loop of ~100 cycles sees
	 * them one at a time, whatever the burst allowed. */
	gen_pace_init(&p, 1e6, HZ, 0);
	n = drive(&p, 0, HZ / 10, 32, 200, &largest);
	assert_true(n >= 99999 && n <= 100001);
	assert_int_equal(largest, 1);
}

static void
test_pace_catch_up_never_exceeds_burst(void **state)
{
	struct gen_pace p;
	uint64_t total = 0, now;
	unsigned k;

	(void)state;
	gen_pace_init(&p, 10e6, HZ, 0);
	/* A 1 ms stall: 10000 frames are due at once. */
	now = HZ / 1000;
	while ((k = gen_pace_take(&p, now, 32)) > 0) {
		assert_true(k <= 32);
		total += k;
	}
	assert_int_equal(total, 10001);   /* frames 0 to 10000 are due at 1 ms */
	assert_int_equal(gen_pace_take(&p, now, 32), 0);
}

static void
test_pace_burst_limit_and_unlimited(void **state)
{
	struct gen_pace p;

	(void)state;
	gen_pace_init(&p, 1e6, HZ, 0);
	assert_int_equal(gen_pace_take(&p, HZ, 7), 7);
	assert_int_equal(gen_pace_take(&p, 0, 7), 0);
	gen_pace_init(&p, 0, HZ, 0);
	assert_true(p.unlimited);
	assert_int_equal(gen_pace_take(&p, 0, 32), 32);
}

static void
test_line_rates(void **state)
{
	(void)state;
	/* 10GbE: 14.88 Mpps at 64 B, 812.7 kpps at 1518 B. */
	assert_true(fabs(gen_line_pps(10000000000ull, 64) - 14880952.38) < 0.01);
	assert_true(fabs(gen_line_pps(10000000000ull, 1518) - 812743.82) < 0.01);
	assert_true(fabs(gen_line_pps(100000000000ull, 64) - 148809523.8) < 0.1);
	/* A VXLAN frame of 64 B inner is 114 B on the wire. */
	assert_true(fabs(gen_line_pps(10000000000ull, 114) - 9328358.21) < 0.01);
}

static void
test_rate_parse(void **state)
{
	struct gen_rate r;
	uint64_t bps;

	(void)state;
	assert_int_equal(gen_rate_parse("1.5mpps", &r), 0);
	assert_true(r.unit == GEN_RATE_PPS && r.value == 1.5e6);
	assert_int_equal(gen_rate_parse("250kpps", &r), 0);
	assert_true(r.value == 250e3);
	assert_int_equal(gen_rate_parse("1000", &r), 0);
	assert_true(r.value == 1000);
	assert_int_equal(gen_rate_parse("10%", &r), 0);
	assert_true(r.unit == GEN_RATE_PCT);
	assert_true(fabs(gen_rate_pps(&r, 10000000000ull, 64) - 1488095.238) < 0.01);
	assert_int_equal(gen_rate_parse("max", &r), 0);
	assert_true(gen_rate_pps(&r, 10000000000ull, 64) == 0);
	assert_int_equal(gen_rate_parse("", &r), -EINVAL);
	assert_int_equal(gen_rate_parse("fast", &r), -EINVAL);
	assert_int_equal(gen_rate_parse("-1", &r), -EINVAL);
	assert_int_equal(gen_rate_parse("0", &r), -EINVAL);
	assert_int_equal(gen_rate_parse("101%", &r), -EINVAL);
	assert_int_equal(gen_rate_parse("1.5xpps", &r), -EINVAL);
	assert_int_equal(gen_line_parse("25g", &bps), 0);
	assert_true(bps == 25000000000ull);
	assert_int_equal(gen_line_parse("100G", &bps), 0);
	assert_true(bps == 100000000000ull);
	assert_int_equal(gen_line_parse("10x", &bps), -EINVAL);
}

/* ---- frames ---- */

static void
test_frame_sizes_and_checksums(void **state)
{
	static const uint16_t sizes[] = { 64, 65, 66, 127, 128, 1280, 1518, 9000 };
	struct gen_traffic t;
	unsigned i, seq;

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (seq = 0; seq < 4; seq++) {
			uint16_t n;

			traffic(&t, GEN_KIND_ACCESS, sizes[i]);
			t.n_flows = 3;
			assert_int_equal(gen_frames_init(&frames, &t), 0);
			n = gen_frame_build(&frames, GEN_MAGIC_LOAD, seq, 0, buf);
			/* FCS counted: 64 B on the wire is 60 B in the buffer. */
			assert_int_equal(n, sizes[i] - 4);
			assert_int_equal(gen_wire_len(&frames), sizes[i]);
			assert_int_equal(check_inner(buf, n), 42);

			/* A tag adds 4 bytes, as a switch adds it. */
			t.vlan_lo = 10;
			t.n_vlan = 3;
			assert_int_equal(gen_frames_init(&frames, &t), 0);
			n = gen_frame_build(&frames, GEN_MAGIC_PROBE, seq, 0x1122334455667788ull, buf);
			assert_int_equal(n, sizes[i]);
			assert_int_equal(get16(buf + 12), 0x8100);
			assert_int_equal(get16(buf + 14), 10 + seq % 3);
			assert_int_equal(check_inner(buf, n), 46);
		}
	}
}

static void
test_frame_vxlan_outer(void **state)
{
	struct gen_traffic t;
	uint16_t n;
	uint32_t seq;

	(void)state;
	traffic(&t, GEN_KIND_VXLAN, 64);
	t.n_flows = 300;
	t.vni_lo = 5000;
	t.n_vni = 7;
	assert_int_equal(gen_frames_init(&frames, &t), 0);
	for (seq = 0; seq < 600; seq += 37) {
		uint32_t flow = gen_flow_of(&frames, seq);

		n = gen_frame_build(&frames, GEN_MAGIC_LOAD, seq, 0, buf);
		assert_int_equal(n, 60 + 50);
		assert_int_equal(gen_wire_len(&frames), 114);
		assert_int_equal(get16(buf + 12), 0x0800);
		assert_int_equal(fold(sum16(buf + 14, 20, 0)), 0xffff);
		assert_int_equal(get16(buf + 16), n - 14);
		assert_int_equal(buf[14 + 9], 17);
		assert_memory_equal(buf + 26, "\xc6\x12\x00\x02\xc6\x12\x00\x01", 8);
		assert_int_equal(get16(buf + 36), 4789);
		assert_int_equal(get16(buf + 38), n - 34);
		assert_int_equal(get16(buf + 34), 49152 + flow % 16384);
		assert_int_equal(buf[42], 0x08);
		assert_int_equal(get32(buf + 46) >> 8, 5000 + flow % 7);
		/* The inner frame goes from the hosts to the VM by default... */
		check_inner(buf + 50, n - 50);
	}
}

static void
test_frame_flows_distinct(void **state)
{
	enum { N = 2048 };
	static uint8_t seen[N][12];
	struct gen_traffic t;
	unsigned f, g, same = 0;

	(void)state;
	traffic(&t, GEN_KIND_ACCESS, 64);
	t.n_flows = N;
	t.vary = GEN_VARY_SRC_MAC | GEN_VARY_DST_MAC | GEN_VARY_SRC_IP | GEN_VARY_DST_IP |
		 GEN_VARY_SPORT | GEN_VARY_DPORT;
	assert_int_equal(gen_frames_init(&frames, &t), 0);
	for (f = 0; f < N; f++) {
		gen_frame_build(&frames, GEN_MAGIC_LOAD, f, 0, buf);
		assert_int_equal(gen_flow_of(&frames, f), f);
		/* low bytes of dst MAC, src MAC, src IP, dst IP, ports */
		memcpy(seen[f], buf + 4, 2);
		memcpy(seen[f] + 2, buf + 10, 2);
		memcpy(seen[f] + 4, buf + 28, 2);
		memcpy(seen[f] + 6, buf + 32, 2);
		memcpy(seen[f] + 8, buf + 34, 4);
		/* The stamp names the flow. */
		assert_int_equal(get32(buf + 44), f);
	}
	/* Every varied field differs between every two flows. */
	for (f = 0; f < N; f++)
		for (g = f + 1; g < N; g++) {
			unsigned k;

			for (k = 0; k < 12; k += 2)
				same += memcmp(seen[f] + k, seen[g] + k, 2) == 0;
		}
	assert_int_equal(same, 0);

	/* Only what varies varies. */
	t.vary = GEN_VARY_DST_MAC;
	assert_int_equal(gen_frames_init(&frames, &t), 0);
	gen_frame_build(&frames, GEN_MAGIC_LOAD, 1, 0, buf);
	gen_frame_build(&frames, GEN_MAGIC_LOAD, 2, 0, buf2);
	assert_memory_not_equal(buf, buf2, 6);
	/* Source MAC to UDP ports; the UDP checksum covers the stamp. */
	assert_memory_equal(buf + 6, buf2 + 6, 34);
}

static void
test_flow_modes(void **state)
{
	enum { N = 100 };
	unsigned hits[N] = { 0 }, f, seq;
	struct gen_traffic t;

	(void)state;
	traffic(&t, GEN_KIND_ACCESS, 64);
	t.n_flows = N;
	t.flow_mode = GEN_FLOW_RANDOM;
	assert_int_equal(gen_frames_init(&frames, &t), 0);
	for (seq = 0; seq < 100000; seq++) {
		uint32_t flow = gen_flow_of(&frames, seq);

		assert_true(flow < N);
		assert_int_equal(flow, gen_flow_of(&frames, seq));
		hits[flow]++;
	}
	/* Uniform within a generous margin: 1000 expected each. */
	for (f = 0; f < N; f++)
		assert_true(hits[f] > 800 && hits[f] < 1200);
	/* Another seed, another order. */
	t.seed = 2;
	assert_int_equal(gen_frames_init(&frames2, &t), 0);
	for (seq = 0, f = 0; seq < 100; seq++)
		f += gen_flow_of(&frames, seq) != gen_flow_of(&frames2, seq);
	assert_true(f > 50);
}

static void
test_bum_share_exact(void **state)
{
	struct gen_traffic t;
	unsigned seq, bum = 0;

	(void)state;
	traffic(&t, GEN_KIND_ACCESS, 64);
	t.bum_bp = 500;   /* 5 % */
	assert_int_equal(gen_frames_init(&frames, &t), 0);
	for (seq = 0; seq < 10000; seq++) {
		gen_frame_build(&frames, GEN_MAGIC_LOAD, seq, 0, buf);
		if (memcmp(buf, "\xff\xff\xff\xff\xff\xff", 6) == 0) {
			bum++;
			assert_true(gen_is_bum(&frames, seq));
		}
	}
	assert_int_equal(bum, 500);
	/* Probes are never flooded. */
	for (seq = 0; seq < 1000; seq++) {
		gen_frame_build(&frames, GEN_MAGIC_PROBE, seq, 1, buf);
		assert_memory_not_equal(buf, "\xff\xff\xff\xff\xff\xff", 6);
	}
}

static void
test_frames_init_rejects(void **state)
{
	struct gen_traffic t;

	(void)state;
	traffic(&t, GEN_KIND_ACCESS, 63);
	assert_int_equal(gen_frames_init(&frames, &t), -EINVAL);
	t.size = 9001;
	assert_int_equal(gen_frames_init(&frames, &t), -EINVAL);
	t.size = 64;
	t.n_flows = 0;
	assert_int_equal(gen_frames_init(&frames, &t), -EINVAL);
	t.n_flows = 1;
	t.vni_lo = VTEP_VNI_MAX;
	t.n_vni = 2;
	assert_int_equal(gen_frames_init(&frames, &t), -EINVAL);
}

/* ---- verification ---- */

/* What a VTEP makes of access frame @p seq: the same traffic as VXLAN. */
static uint16_t
encapsulated(const struct gen_traffic *access, uint16_t magic, uint32_t seq, uint64_t tsc)
{
	struct gen_traffic t = *access;

	t.kind = GEN_KIND_VXLAN;
	t.n_vlan = 0;
	/* What the VTEP under test sends: from itself to the remote VTEP. */
	t.vtep_mac = access->remote_mac;
	t.remote_mac = access->vtep_mac;
	t.vtep_ip = access->remote_ip;
	t.remote_ip = access->vtep_ip;
	assert_int_equal(gen_frames_init(&frames2, &t), 0);
	return gen_frame_build(&frames2, magic, seq, tsc, buf);
}

/* A right checksum for whatever the outer IPv4 header in buf says. */
static void
outer_csum(void)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(buf + 14);

	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}

/* Swap the outer IPv4 addresses of the frame in buf: the checksum holds. */
static void
swap_outer_ips(void)
{
	uint8_t a[4];

	memcpy(a, buf + 26, 4);
	memmove(buf + 26, buf + 30, 4);
	memcpy(buf + 30, a, 4);
}

static enum gen_verdict
verify(enum gen_verify_mode mode, uint16_t n, struct gen_rx *rx)
{
	return gen_verify(&frames, mode, buf, n, rx, scratch);
}

static void
test_verify_plain(void **state)
{
	struct gen_traffic t;
	struct gen_rx rx;
	uint16_t n;

	(void)state;
	traffic(&t, GEN_KIND_ACCESS, 128);
	t.n_flows = 10;
	assert_int_equal(gen_frames_init(&frames, &t), 0);
	n = gen_frame_build(&frames, GEN_MAGIC_LOAD, 1234, 0, buf);
	assert_int_equal(verify(GEN_VERIFY_PLAIN, n, &rx), GEN_V_OK);
	assert_int_equal(rx.magic, GEN_MAGIC_LOAD);
	assert_int_equal(rx.seq, 1234);
	assert_int_equal(rx.flow, 4);

	buf[100] ^= 1;    /* payload */
	assert_int_equal(verify(GEN_VERIFY_PLAIN, n, &rx), GEN_V_PAYLOAD_MISMATCH);
	buf[100] ^= 1;
	buf[22] ^= 1;     /* TTL: the IPv4 checksum no longer holds */
	assert_int_equal(verify(GEN_VERIFY_PLAIN, n, &rx), GEN_V_BAD_CSUM);
	buf[22] ^= 1;
	assert_int_equal(verify(GEN_VERIFY_PLAIN, n - 1, &rx), GEN_V_PAYLOAD_MISMATCH);
	buf[42] ^= 0xff;  /* the magic */
	assert_int_equal(verify(GEN_VERIFY_PLAIN, n, &rx), GEN_V_UNKNOWN);
	buf[42] ^= 0xff;
	buf[46 + 3] ^= 1; /* the sequence number: another frame's headers */
	assert_int_not_equal(verify(GEN_VERIFY_PLAIN, n, &rx), GEN_V_OK);
	buf[46 + 3] ^= 1;
	assert_int_equal(verify(GEN_VERIFY_PLAIN, 20, &rx), GEN_V_UNKNOWN);

	/* A probe: its TSC is taken from the frame, yet covered by the UDP checksum. */
	n = gen_frame_build(&frames, GEN_MAGIC_PROBE, 7, 0xabcdef, buf);
	assert_int_equal(verify(GEN_VERIFY_PLAIN, n, &rx), GEN_V_OK);
	assert_int_equal(rx.magic, GEN_MAGIC_PROBE);
	assert_true(rx.tsc == 0xabcdef);
	buf[52] ^= 0x10;
	assert_int_equal(verify(GEN_VERIFY_PLAIN, n, &rx), GEN_V_PAYLOAD_MISMATCH);
}

static void
test_verify_encap(void **state)
{
	struct gen_traffic t;
	struct gen_rx rx;
	uint8_t saved[20];
	uint16_t n;

	(void)state;
	traffic(&t, GEN_KIND_ACCESS, 64);
	t.n_flows = 16;
	t.vni_lo = 100;
	t.n_vni = 4;
	t.vlan_lo = 100;
	t.n_vlan = 4;
	assert_int_equal(gen_frames_init(&frames, &t), 0);

	n = encapsulated(&t, GEN_MAGIC_LOAD, 21, 0);
	assert_int_equal(verify(GEN_VERIFY_ENCAP, n, &rx), GEN_V_OK);
	assert_int_equal(rx.flow, 5);
	/* Trailing Ethernet padding after the outer packet is not the inner frame's. */
	memset(buf + n, 0, 8);
	assert_int_equal(verify(GEN_VERIFY_ENCAP, n + 8, &rx), GEN_V_OK);

	buf[49] ^= 0xff;                  /* reserved: ignored (RFC 7348) */
	assert_int_equal(verify(GEN_VERIFY_ENCAP, n, &rx), GEN_V_OK);
	buf[49] ^= 0xff;
	buf[48] ^= 0x01;                  /* VNI 101 becomes 100 */
	assert_int_equal(verify(GEN_VERIFY_ENCAP, n, &rx), GEN_V_WRONG_VNI);
	buf[48] ^= 0x01;
	buf[42] = 0;                      /* I flag */
	assert_int_equal(verify(GEN_VERIFY_ENCAP, n, &rx), GEN_V_BAD_FLAGS);
	buf[42] = 0x08;
	buf[24] ^= 0x40;                  /* outer checksum */
	assert_int_equal(verify(GEN_VERIFY_ENCAP, n, &rx), GEN_V_BAD_CSUM);
	buf[24] ^= 0x40;
	buf[5] ^= 0x01;                   /* outer destination MAC */
	assert_int_equal(verify(GEN_VERIFY_ENCAP, n, &rx), GEN_V_WRONG_OUTER);
	buf[5] ^= 0x01;
	buf[11] ^= 0x01;                  /* outer source MAC */
	assert_int_equal(verify(GEN_VERIFY_ENCAP, n, &rx), GEN_V_WRONG_OUTER);
	buf[11] ^= 0x01;
	/* Outer addresses swapped, checksum still right: sent the wrong way. */
	swap_outer_ips();
	assert_int_equal(verify(GEN_VERIFY_ENCAP, n, &rx), GEN_V_WRONG_OUTER);
	swap_outer_ips();
	memcpy(saved, buf + 14, sizeof(saved));
	buf[29] ^= 0x01;                  /* outer source IP, checksum mended */
	outer_csum();
	assert_int_equal(verify(GEN_VERIFY_ENCAP, n, &rx), GEN_V_WRONG_OUTER);
	memcpy(buf + 14, saved, sizeof(saved));
	assert_int_equal(verify(GEN_VERIFY_ENCAP, n, &rx), GEN_V_OK);
	buf[37] ^= 0x01;                  /* UDP port 4788 */
	assert_int_equal(verify(GEN_VERIFY_ENCAP, n, &rx), GEN_V_NOT_VXLAN);
	buf[37] ^= 0x01;
	buf[50 + 59] ^= 0x80;             /* last byte of the inner frame */
	assert_int_equal(verify(GEN_VERIFY_ENCAP, n, &rx), GEN_V_PAYLOAD_MISMATCH);
	buf[50 + 59] ^= 0x80;
	buf[50 + 14 + 8] ^= 0x01;         /* inner TTL */
	assert_int_equal(verify(GEN_VERIFY_ENCAP, n, &rx), GEN_V_BAD_CSUM);
	buf[50 + 14 + 8] ^= 0x01;
	assert_int_equal(verify(GEN_VERIFY_ENCAP, n, &rx), GEN_V_OK);
	assert_int_equal(verify(GEN_VERIFY_ENCAP, 40, &rx), GEN_V_NOT_VXLAN);

	/* The access frame itself, not encapsulated. */
	n = gen_frame_build(&frames, GEN_MAGIC_LOAD, 21, 0, buf);
	assert_int_equal(verify(GEN_VERIFY_ENCAP, n, &rx), GEN_V_NOT_VXLAN);
}

static void
test_verify_decap(void **state)
{
	struct gen_traffic t;
	struct gen_rx rx;
	uint16_t n;

	(void)state;
	traffic(&t, GEN_KIND_VXLAN, 256);
	t.n_flows = 8;
	assert_int_equal(gen_frames_init(&frames, &t), 0);
	n = gen_frame_inner(&frames, GEN_MAGIC_LOAD, 3, 0, true, buf);
	assert_int_equal(n, 252);
	assert_int_equal(verify(GEN_VERIFY_DECAP, n, &rx), GEN_V_OK);
	buf[200] ^= 4;
	assert_int_equal(verify(GEN_VERIFY_DECAP, n, &rx), GEN_V_PAYLOAD_MISMATCH);
	/* Still encapsulated: no stamp where the inner frame's would be. */
	n = gen_frame_build(&frames, GEN_MAGIC_LOAD, 3, 0, buf);
	assert_int_equal(verify(GEN_VERIFY_DECAP, n, &rx), GEN_V_UNKNOWN);

	/* With VLANs, the decapsulated frame comes back tagged for its flow. */
	t.vlan_lo = 7;
	t.n_vlan = 2;
	assert_int_equal(gen_frames_init(&frames, &t), 0);
	n = gen_frame_inner(&frames, GEN_MAGIC_LOAD, 3, 0, true, buf);
	assert_int_equal(n, 256);
	assert_int_equal(get16(buf + 14), 8);
	assert_int_equal(verify(GEN_VERIFY_DECAP, n, &rx), GEN_V_OK);
	n = gen_frame_inner(&frames, GEN_MAGIC_LOAD, 3, 0, false, buf);
	assert_int_not_equal(verify(GEN_VERIFY_DECAP, n, &rx), GEN_V_OK);
}

static void
test_verify_none_finds_stamps(void **state)
{
	struct gen_traffic t;
	struct gen_rx rx;
	uint16_t n;

	(void)state;
	traffic(&t, GEN_KIND_ACCESS, 64);
	t.vlan_lo = 5;
	t.n_vlan = 1;
	assert_int_equal(gen_frames_init(&frames, &t), 0);
	n = gen_frame_build(&frames, GEN_MAGIC_PROBE, 9, 42, buf);
	assert_int_equal(verify(GEN_VERIFY_NONE, n, &rx), GEN_V_OK);
	assert_true(rx.magic == GEN_MAGIC_PROBE && rx.seq == 9 && rx.tsc == 42);
	n = encapsulated(&t, GEN_MAGIC_PROBE, 10, 43);
	assert_int_equal(verify(GEN_VERIFY_NONE, n, &rx), GEN_V_OK);
	assert_true(rx.seq == 10 && rx.tsc == 43);
	memset(buf, 0x55, 100);
	assert_int_equal(verify(GEN_VERIFY_NONE, 100, &rx), GEN_V_UNKNOWN);
}

static void
test_verdict_names(void **state)
{
	(void)state;
	assert_string_equal(gen_verdict_name(GEN_V_OK), "ok");
	assert_string_equal(gen_verdict_name(GEN_V_NOT_VXLAN), "not_vxlan");
	assert_string_equal(gen_verdict_name(GEN_V_PAYLOAD_MISMATCH), "payload_mismatch");
	assert_string_equal(gen_verdict_name(GEN_V_MAX), "?");
}

/* ---- histogram ---- */

static void
test_hist_buckets(void **state)
{
	uint64_t v;
	unsigned prev = 0;

	(void)state;
	for (v = 0; v < 64; v++)
		assert_int_equal(gen_hist_bucket(v), v);
	for (v = 0; v < (1ull << 40); v = v < 5000 ? v + 1 : v + v / 97) {
		unsigned b = gen_hist_bucket(v);

		assert_true(b < GEN_HIST_BUCKETS);
		assert_true(b >= prev);
		prev = b;
		assert_true(gen_hist_bucket_low(b) <= v);
		assert_true(v < gen_hist_bucket_low(b) + gen_hist_bucket_width(b));
		/* log-linear: a bucket is at most 1/32 of its lower bound wide */
		if (v >= 64)
			assert_true(gen_hist_bucket_width(b) * 32 <= gen_hist_bucket_low(b));
	}
	assert_int_equal(gen_hist_bucket(UINT64_MAX), GEN_HIST_BUCKETS - 1);
}

static void
test_hist_quantiles(void **state)
{
	static struct gen_hist h;
	uint64_t v, total = 0, bucket, count;
	char line[64];
	FILE *f;

	(void)state;
	gen_hist_reset(&h);
	assert_int_equal(gen_hist_quantile(&h, 0.5), 0);
	for (v = 1; v <= 100000; v++)
		gen_hist_add(&h, v * 10);   /* 10 ns to 1 ms */
	assert_int_equal(h.n, 100000);
	assert_int_equal(h.min, 10);
	assert_int_equal(h.max, 1000000);
	assert_true(fabs((double)gen_hist_quantile(&h, 0.5) - 500000) <= 500000 / 32.0);
	assert_true(fabs((double)gen_hist_quantile(&h, 0.99) - 990000) <= 990000 / 32.0);
	assert_true(fabs((double)gen_hist_quantile(&h, 0.999) - 999000) <= 999000 / 32.0);
	assert_int_equal(gen_hist_quantile(&h, 1), 1000000);
	assert_true(gen_hist_quantile(&h, 0.999) <= h.max);

	f = tmpfile();
	assert_non_null(f);
	assert_int_equal(gen_hist_write_csv(&h, f), 0);
	rewind(f);
	assert_non_null(fgets(line, sizeof(line), f));
	assert_string_equal(line, "bucket_ns,count\n");
	while (fscanf(f, "%" SCNu64 ",%" SCNu64 "\n", &bucket, &count) == 2)
		total += count;
	assert_int_equal(total, 100000);
	fclose(f);
}

/* ---- options ---- */

static int
parse(struct gen_opts *o, char *err, size_t len, ...)
{
	char *argv[64];
	int argc = 0;
	va_list ap;

	argv[argc++] = "vtep-bench";
	va_start(ap, len);
	while ((argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	gen_opts_defaults(o);
	return gen_opts_parse(o, argc, argv, err, len);
}

static void
test_opts_command_line(void **state)
{
	static struct gen_opts o;
	char err[256];

	(void)state;
	assert_int_equal(parse(&o, err, sizeof(err), "--tx-port", "net_ring0", "--rate", "10%",
			       "--line", "25g", "--flows", "1024", "--vni", "100-199",
			       "--kind", "vxlan", "--verify", "decap", "--bum", "2.5", "--burst", "8",
			       "--latency", "--sizes", "64,1518", NULL), 0);
	assert_string_equal(o.tx_dev, "net_ring0");
	assert_string_equal(o.rx_dev, "net_ring0");
	assert_true(o.rate.unit == GEN_RATE_PCT && o.rate.value == 10);
	assert_true(o.line_bps == 25000000000ull);
	assert_int_equal(o.t.n_flows, 1024);
	assert_int_equal(o.t.vni_lo, 100);
	assert_int_equal(o.t.n_vni, 100);
	assert_int_equal(o.t.bum_bp, 250);
	assert_int_equal(o.burst, 8);
	assert_true(o.latency);
	assert_int_equal(o.n_sizes, 2);
	assert_int_equal(o.sizes[1], 1518);
	/* The vxlan kind: frames from the hosts (varying source) to the VM. */
	assert_int_equal(o.t.vary, GEN_VARY_SRC_MAC | GEN_VARY_SRC_IP | GEN_VARY_SPORT);
	assert_int_equal(o.t.src_mac.addr_bytes[3], 0xaa);
	assert_int_equal(o.t.dst_mac.addr_bytes[5], 0x01);

	assert_int_equal(parse(&o, err, sizeof(err), "--tx-port", "x", "--rate", "fast", NULL),
			 -EINVAL);
	assert_non_null(strstr(err, "--rate"));
	assert_int_equal(parse(&o, err, sizeof(err), "--rate", "1mpps", NULL), -EINVAL);
	assert_non_null(strstr(err, "--tx-port"));
	assert_int_equal(parse(&o, err, sizeof(err), "--tx-port", "x", "--verify", "encap",
			       "--kind", "vxlan", NULL), -EINVAL);
	assert_int_equal(parse(&o, err, sizeof(err), "--tx-port", "x", "--size", "63", NULL),
			 -EINVAL);
	assert_int_equal(parse(&o, err, sizeof(err), "--tx-port", "x", "--bogus", NULL), -EINVAL);
	assert_int_equal(parse(&o, err, sizeof(err), "--tx-port", "x", "stray", NULL), -EINVAL);
}

static void
test_opts_sweep(void **state)
{
	static struct gen_opts o, p;
	char err[256];

	(void)state;
	assert_int_equal(parse(&o, err, sizeof(err), "--tx-port", "x", "--flows", "8",
			       "--sweep", "size=64,1518,128", "--rx-queues", "2", "--warmup", "1.5",
			       NULL), 0);
	assert_true(o.warmup == 1.5);
	assert_string_equal(o.sweep_key, "size");
	assert_int_equal(o.n_sweep, 3);
	assert_int_equal(o.rx_queues, 2);
	assert_int_equal(gen_opts_sweep_point(&o, 1, &p), 0);
	assert_int_equal(p.t.size, 1518);
	assert_int_equal(p.t.n_flows, 8);       /* the rest as given */
	assert_int_equal(o.t.size, 64);         /* the options themselves unchanged */
	assert_int_equal(gen_opts_sweep_point(&o, 3, &p), -EINVAL);

	assert_int_equal(parse(&o, err, sizeof(err), "--tx-port", "x",
			       "--sweep", "rate=1mpps,10%,max", NULL), 0);
	assert_int_equal(gen_opts_sweep_point(&o, 1, &p), 0);
	assert_true(p.rate.unit == GEN_RATE_PCT && p.rate.value == 10);
	assert_int_equal(gen_opts_sweep_point(&o, 2, &p), 0);
	assert_true(p.rate.unit == GEN_RATE_MAX);
	assert_int_equal(parse(&o, err, sizeof(err), "--tx-port", "x",
			       "--sweep", "flows=1,65536", NULL), 0);
	assert_int_equal(gen_opts_sweep_point(&o, 1, &p), 0);
	assert_int_equal(p.t.n_flows, 65536);

	/* Bad sweeps are refused with the reason. */
	assert_int_equal(parse(&o, err, sizeof(err), "--tx-port", "x", "--sweep", "burst=1,2",
			       NULL), -EINVAL);
	assert_non_null(strstr(err, "size, flows or rate"));
	assert_int_equal(parse(&o, err, sizeof(err), "--tx-port", "x", "--sweep", "size=64,63",
			       NULL), -EINVAL);
	assert_non_null(strstr(err, "--sweep: size"));
	assert_int_equal(parse(&o, err, sizeof(err), "--tx-port", "x", "--sweep", "size=64,,128",
			       NULL), -EINVAL);
	assert_int_equal(parse(&o, err, sizeof(err), "--tx-port", "x", "--sweep", "size",
			       NULL), -EINVAL);
	assert_int_equal(parse(&o, err, sizeof(err), "--tx-port", "x", "--sweep", "flows=",
			       NULL), -EINVAL);
	assert_int_equal(parse(&o, err, sizeof(err), "--tx-port", "x", "--sweep", "size=64",
			       "--rfc2544", NULL), -EINVAL);
	assert_non_null(strstr(err, "--rfc2544"));
	assert_int_equal(parse(&o, err, sizeof(err), "--tx-port", "x", "--rx-queues", "0",
			       NULL), -EINVAL);
	assert_int_equal(parse(&o, err, sizeof(err), "--tx-port", "x", "--rx-queues", "17",
			       NULL), -EINVAL);
	assert_non_null(strstr(err, "--rx-queues"));
	assert_int_equal(parse(&o, err, sizeof(err), "--tx-port", "x", "--warmup", "-1", NULL),
			 -EINVAL);
	assert_non_null(strstr(err, "--warmup"));
}

static void
test_opts_traffic_file(void **state)
{
	static struct gen_opts o;
	char path[] = "/tmp/vtep-bench-test-XXXXXX";
	char arg[64], err[256];
	FILE *f;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs("# traffic\nkind: vxlan\nsize: 128\nflows: 64\nflow_mode: random\n"
	      "rate: 2mpps\nsizes: [64, 128]\nlatency: true\n", f);
	fclose(f);
	snprintf(arg, sizeof(arg), "--traffic=%s", path);
	/* The command line wins over the file, wherever it stands. */
	assert_int_equal(parse(&o, err, sizeof(err), "--rate", "1mpps", arg, "--tx-port", "x",
			       NULL), 0);
	assert_int_equal(o.t.kind, GEN_KIND_VXLAN);
	assert_int_equal(o.t.size, 128);
	assert_int_equal(o.t.n_flows, 64);
	assert_int_equal(o.t.flow_mode, GEN_FLOW_RANDOM);
	assert_true(o.rate.value == 1e6);
	assert_int_equal(o.n_sizes, 2);
	assert_true(o.latency);

	f = fopen(path, "w");
	fputs("kind: vxlan\nflows: 0\n", f);
	fclose(f);
	assert_int_equal(parse(&o, err, sizeof(err), "--tx-port", "x", arg, NULL), -EINVAL);
	assert_non_null(strstr(err, ":2: flows"));

	f = fopen(path, "w");
	fputs("kind: vxlan\nkind: access\n", f);
	fclose(f);
	assert_int_equal(parse(&o, err, sizeof(err), "--tx-port", "x", arg, NULL), -EINVAL);
	assert_non_null(strstr(err, ":2: kind: given twice"));

	f = fopen(path, "w");
	fputs("colour: blue\n", f);
	fclose(f);
	assert_int_equal(parse(&o, err, sizeof(err), "--tx-port", "x", arg, NULL), -EINVAL);
	assert_non_null(strstr(err, ":1: colour: unknown option"));

	f = fopen(path, "w");
	fputs("kind: [vxlan\n", f);
	fclose(f);
	assert_int_equal(parse(&o, err, sizeof(err), "--tx-port", "x", arg, NULL), -EINVAL);
	assert_non_null(strstr(err, path));
	unlink(path);

	assert_int_equal(parse(&o, err, sizeof(err), "--tx-port", "x", "--traffic",
			       "/nonexistent/t.yaml", NULL), -EINVAL);
	assert_non_null(strstr(err, "/nonexistent/t.yaml"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pace_exact_rate),
		cmocka_unit_test(test_pace_low_rate_small_bursts),
		cmocka_unit_test(test_pace_catch_up_never_exceeds_burst),
		cmocka_unit_test(test_pace_burst_limit_and_unlimited),
		cmocka_unit_test(test_line_rates),
		cmocka_unit_test(test_rate_parse),
		cmocka_unit_test(test_frame_sizes_and_checksums),
		cmocka_unit_test(test_frame_vxlan_outer),
		cmocka_unit_test(test_frame_flows_distinct),
		cmocka_unit_test(test_flow_modes),
		cmocka_unit_test(test_bum_share_exact),
		cmocka_unit_test(test_frames_init_rejects),
		cmocka_unit_test(test_verify_plain),
		cmocka_unit_test(test_verify_encap),
		cmocka_unit_test(test_verify_decap),
		cmocka_unit_test(test_verify_none_finds_stamps),
		cmocka_unit_test(test_verdict_names),
		cmocka_unit_test(test_hist_buckets),
		cmocka_unit_test(test_hist_quantiles),
		cmocka_unit_test(test_opts_command_line),
		cmocka_unit_test(test_opts_sweep),
		cmocka_unit_test(test_opts_traffic_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
