/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * memif_cycle: connect to a VTEP's memif access port, send frames, check
 * that they come out encapsulated on its underlay port, disconnect; again,
 * as many times as asked, in one process.
 *
 *   memif_cycle [EAL options] -- --access DEVARGS --underlay DEVARGS
 *               [--cycles N] [--frames N] [--link-wait S] [--recv-wait S]
 *
 * --frames 0 only connects and disconnects.
 *
 * The underlay port (a memif client too) is probed once and stays
 * connected. The access port is hot-plugged every cycle: probed, started,
 * used, stopped, closed and removed (rte_dev_probe / rte_dev_remove), which
 * is what a container that restarts does to the VTEP, without the cost of a
 * process per cycle.
 *
 * The frames are those of bench/gen (vtepd-memif.yaml): VM 02:00:00:00:01:01
 * 198.18.1.1 to host 02:00:00:aa:00:00 198.19.0.0 behind the remote VTEP
 * 198.18.0.2, VNI 100. Each carries (magic, cycle, sequence) so that the
 * receiver regenerates it and compares the inner frame byte for byte; the
 * outer headers must be IPv4/UDP to port 4789 from 198.18.0.1 to 198.18.0.2
 * with the I flag and VNI 100.
 *
 * Each cycle first sends probe frames until one comes back (the path is
 * up), then exactly --frames frames, and waits for every one of them.
 * A connection that is not up within a second, or that drops before the
 * frames are through, is retried (removed and probed again) for up to
 * --link-wait seconds, and counted: a memif server that is not ready
 * refuses a client once and for all.
 *
 * Output: "name value" lines at the end (and "cycle N: ..." on a failure).
 * Exit status: 0 every cycle passed; 1 setup error; 2 usage; 3 a cycle
 * failed (no link within --link-wait, or frames missing or wrong).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "vtep.h"

#define NB_DESC 1024
#define BURST 32
#define FRAME_LEN 60                 /* 64 bytes on the wire, FCS excluded */
#define MAGIC 0x7e5a7e5au
#define PROBE_SEQ UINT32_MAX
#define VNI 100
#define MAX_AGAIN 10                 /* connections lost in a row before a cycle fails */

/* The stamp after the inner UDP header. */
struct stamp {
	rte_be32_t magic;
	rte_be32_t cycle;
	rte_be32_t seq;
} __rte_packed;

struct opts {
	const char *access;
	const char *underlay;
	unsigned cycles;
	unsigned frames;
	double link_wait;
	double recv_wait;
};

struct counts {
	uint64_t cycles, connects, retries, sent, received, late, bad, probes;
	uint64_t refused;                /* frames the access TX queue did not take */
};

static volatile sig_atomic_t stop;
static struct rte_mempool *pool;
static struct counts cnt;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t
secs_to_tsc(double s)
{
	return (uint64_t)(s * (double)rte_get_timer_hz());
}

/* ---- frames --------------------------------------------------------------- */

static const struct rte_ether_addr vm_mac = { { 0x02, 0, 0, 0, 0x01, 0x01 } };
static const struct rte_ether_addr host_mac = { { 0x02, 0, 0, 0xaa, 0, 0 } };

static void
frame_build(uint8_t *p, uint32_t cycle, uint32_t seq)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)p;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	struct stamp *st = (struct stamp *)(udp + 1);
	uint16_t ip_len = FRAME_LEN - sizeof(*eth);
	size_t i, off = sizeof(*eth) + sizeof(*ip) + sizeof(*udp) + sizeof(*st);

	memset(p, 0, FRAME_LEN);
	eth->dst_addr = host_mac;
	eth->src_addr = vm_mac;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(ip_len);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(RTE_IPV4(198, 18, 1, 1));
	ip->dst_addr = rte_cpu_to_be_32(RTE_IPV4(198, 19, 0, 0));
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = rte_cpu_to_be_16(1024);
	udp->dst_port = rte_cpu_to_be_16(9);
	udp->dgram_len = rte_cpu_to_be_16(ip_len - sizeof(*ip));
	st->magic = rte_cpu_to_be_32(MAGIC);
	st->cycle = rte_cpu_to_be_32(cycle);
	st->seq = rte_cpu_to_be_32(seq);
	for (i = off; i < FRAME_LEN; i++)
		p[i] = (uint8_t)i;
	udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
}

enum verdict { V_BAD, V_PROBE, V_DATA };

/* Why the first wrong frame was wrong, printed at the end. */
static char first_bad[160];

static enum verdict
bad(const struct rte_mbuf *m, const char *why)
{
	if (first_bad[0] == '\0')
		snprintf(first_bad, sizeof(first_bad), "%s (%u bytes)", why,
			 rte_pktmbuf_pkt_len(m));
	return V_BAD;
}

/* Check one frame from the underlay; on success say its cycle and sequence. */
static enum verdict
frame_check(const struct rte_mbuf *m, uint32_t *cycle, uint32_t *seq)
{
	uint8_t copy[sizeof(struct vtep_outer4) + FRAME_LEN], want[FRAME_LEN];
	const struct vtep_outer4 *o;
	const struct stamp *st;
	const uint8_t *buf;
	size_t stoff = sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) +
		       sizeof(struct rte_udp_hdr);

	if (rte_pktmbuf_pkt_len(m) != sizeof(copy))
		return bad(m, "not the length of an encapsulated frame");
	/* A pointer into the mbuf when the frame is contiguous, else the copy. */
	buf = rte_pktmbuf_read(m, 0, sizeof(copy), copy);
	o = (const struct vtep_outer4 *)buf;
	if (o->eth.ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
	    o->ip.next_proto_id != IPPROTO_UDP ||
	    o->udp.dst_port != rte_cpu_to_be_16(VTEP_UDP_PORT_DEFAULT))
		return bad(m, "not IPv4/UDP to the VXLAN port");
	if (o->ip.src_addr != rte_cpu_to_be_32(RTE_IPV4(198, 18, 0, 1)) ||
	    o->ip.dst_addr != rte_cpu_to_be_32(RTE_IPV4(198, 18, 0, 2)))
		return bad(m, "outer addresses not 198.18.0.1 -> 198.18.0.2");
	if (rte_raw_cksum(&o->ip, sizeof(o->ip)) != 0xffff)
		return bad(m, "outer IPv4 checksum wrong");
	if (!(o->vxlan.vx_flags & rte_cpu_to_be_32((uint32_t)VTEP_VXLAN_FLAG_I << 24)) ||
	    rte_be_to_cpu_32(o->vxlan.vx_vni) >> 8 != VNI)
		return bad(m, "VXLAN I flag or VNI 100 missing");
	st = (const struct stamp *)(buf + sizeof(*o) + stoff);
	if (st->magic != rte_cpu_to_be_32(MAGIC))
		return bad(m, "inner frame without a stamp");
	*cycle = rte_be_to_cpu_32(st->cycle);
	*seq = rte_be_to_cpu_32(st->seq);
	frame_build(want, *cycle, *seq);
	if (memcmp(want, buf + sizeof(*o), FRAME_LEN) != 0)
		return bad(m, "inner frame differs from the one sent");
	return *seq == PROBE_SEQ ? V_PROBE : V_DATA;
}

/* ---- ports ------------------------------------------------------------------ */

static int
port_configure(uint16_t port)
{
	struct rte_eth_conf ec;
	uint16_t nb_rxd = NB_DESC, nb_txd = NB_DESC;
	int rc;

	memset(&ec, 0, sizeof(ec));
	rc = rte_eth_dev_configure(port, 1, 1, &ec);
	if (rc != 0)
		return rc;
	rte_eth_dev_adjust_nb_rx_tx_desc(port, &nb_rxd, &nb_txd);
	rc = rte_eth_rx_queue_setup(port, 0, nb_rxd, rte_eth_dev_socket_id(port), NULL, pool);
	if (rc != 0)
		return rc;
	return rte_eth_tx_queue_setup(port, 0, nb_txd, rte_eth_dev_socket_id(port), NULL);
}

static bool
link_up(uint16_t port)
{
	struct rte_eth_link link;

	memset(&link, 0, sizeof(link));
	return rte_eth_link_get_nowait(port, &link) == 0 && link.link_status == RTE_ETH_LINK_UP;
}

/* Stop, close and remove a hot-plugged port. */
static void
port_unplug(uint16_t port)
{
	struct rte_eth_dev_info di;
	struct rte_device *dev = NULL;

	if (rte_eth_dev_info_get(port, &di) == 0)
		dev = di.device;
	rte_eth_dev_stop(port);
	rte_eth_dev_close(port);
	if (dev != NULL)
		rte_dev_remove(dev);
}

/*
 * Probe and start @devargs until its link is up, for at most @wait seconds
 * (each attempt gets a second). @return 0 and the port, or a negative errno.
 */
static int
port_plug(const char *devargs, double wait, uint16_t *port, bool hotplug)
{
	uint64_t deadline = rte_get_timer_cycles() + secs_to_tsc(wait);
	bool first = true;
	int rc;

	for (;;) {
		uint64_t retry = rte_get_timer_cycles() + secs_to_tsc(1.0);

		if (!first)
			cnt.retries++;
		first = false;
		rc = vtep_dev_probe(devargs, port);
		if (rc == 0)
			rc = port_configure(*port);
		if (rc == 0)
			rc = rte_eth_dev_start(*port);
		while (rc == 0 && rte_get_timer_cycles() < retry && !stop) {
			if (link_up(*port))
				return 0;
			rte_delay_us_sleep(1000);
		}
		if (rc == 0 || hotplug)
			port_unplug(*port);
		if (rte_get_timer_cycles() >= deadline || stop)
			return rc != 0 ? rc : -ENOLINK;
		rte_delay_us_sleep(20 * 1000);
	}
}

/* Send frames of @cycle from @seq; @return how many the queue took. */
static unsigned
send_frames(uint16_t port, uint32_t cycle, uint32_t seq, unsigned n)
{
	struct rte_mbuf *m[BURST];
	unsigned i, sent;

	n = RTE_MIN(n, (unsigned)BURST);
	if (rte_pktmbuf_alloc_bulk(pool, m, n) != 0)
		return 0;
	for (i = 0; i < n; i++) {
		uint8_t *p = (uint8_t *)rte_pktmbuf_append(m[i], FRAME_LEN);

		frame_build(p, cycle, seq == PROBE_SEQ ? PROBE_SEQ : seq + i);
	}
	sent = rte_eth_tx_burst(port, 0, m, (uint16_t)n);
	for (i = sent; i < n; i++)
		rte_pktmbuf_free(m[i]);
	return sent;
}

/* Receive from the underlay: count probes and data frames of @cycle. */
static void
recv_frames(uint16_t port, uint32_t cycle, uint8_t *seen, unsigned n_frames,
	    unsigned *got, unsigned *probes)
{
	struct rte_mbuf *m[BURST];
	uint16_t n, i;

	n = rte_eth_rx_burst(port, 0, m, BURST);
	for (i = 0; i < n; i++) {
		uint32_t c = 0, s = 0;
		enum verdict v = frame_check(m[i], &c, &s);

		if (v == V_BAD) {
			cnt.bad++;
		} else if (c != cycle) {
			cnt.late++;
		} else if (v == V_PROBE) {
			(*probes)++;
		} else if (s < n_frames && !seen[s]) {
			seen[s] = 1;
			(*got)++;
		} else {
			cnt.bad++;              /* a duplicate or out of range */
		}
		rte_pktmbuf_free(m[i]);
	}
}

/*
 * One cycle. @return 0; -EAGAIN when the connection went away before the
 * frames were through (the caller retries); another negative errno on a
 * failure.
 */
static int
cycle_run(const struct opts *o, uint16_t und, uint32_t cycle, uint8_t *seen)
{
	uint64_t hz = rte_get_timer_hz(), deadline, next_probe = 0;
	unsigned got = 0, probes = 0, sent = 0;
	uint16_t acc;
	int rc;

	rc = port_plug(o->access, o->link_wait, &acc, true);
	if (rc != 0) {
		printf("cycle %" PRIu32 ": access port: no link within %.1f s: %s\n", cycle,
		       o->link_wait, strerror(-rc));
		return rc;
	}
	cnt.connects++;
	memset(seen, 0, o->frames);
	if (o->frames == 0)             /* connect and disconnect only */
		goto out;

	/* Probes until one is through: the path is up. */
	deadline = rte_get_timer_cycles() + secs_to_tsc(o->recv_wait);
	while (probes == 0) {
		uint64_t now = rte_get_timer_cycles();

		if (now >= deadline || stop || !link_up(acc)) {
			rc = link_up(acc) ? -ETIMEDOUT : -EAGAIN;
			goto out;
		}
		if (now >= next_probe) {
			cnt.probes += send_frames(acc, cycle, PROBE_SEQ, 1);
			next_probe = now + hz / 100;
		}
		recv_frames(und, cycle, seen, o->frames, &got, &probes);
	}

	/* The frames, then every one of them back. */
	deadline = rte_get_timer_cycles() + secs_to_tsc(o->recv_wait);
	while (got < o->frames) {
		if (rte_get_timer_cycles() >= deadline || stop) {
			rc = -ETIMEDOUT;
			goto out;
		}
		if (sent < o->frames) {
			unsigned k = send_frames(acc, cycle, sent, o->frames - sent);

			sent += k;
			cnt.sent += k;
			if (k == 0)
				cnt.refused++;
		}
		recv_frames(und, cycle, seen, o->frames, &got, &probes);
	}
	rc = 0;
out:
	cnt.received += got;
	if (rc == -ETIMEDOUT)
		printf("cycle %" PRIu32 ": %u of %u frames back within %.1f s (%u sent, %u "
		       "probes back)\n", cycle, got, o->frames, o->recv_wait, sent, probes);
	/* A retried cycle sends its frames again: what was sent on a
	 * connection that went away is not owed. */
	if (rc == -EAGAIN) {
		cnt.sent -= sent;
		cnt.received -= got;
	}
	port_unplug(acc);
	return rc;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: memif_cycle [EAL options] -- --access DEVARGS --underlay DEVARGS\n"
		"       [--cycles N] [--frames N] [--link-wait S] [--recv-wait S]\n");
}

static int
opts_parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "access", required_argument, NULL, 'a' },
		{ "underlay", required_argument, NULL, 'u' },
		{ "cycles", required_argument, NULL, 'c' },
		{ "frames", required_argument, NULL, 'f' },
		{ "link-wait", required_argument, NULL, 'l' },
		{ "recv-wait", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	o->cycles = 10;
	o->frames = 64;
	o->link_wait = 10;
	o->recv_wait = 5;
	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (opt) {
		case 'a': o->access = optarg; break;
		case 'u': o->underlay = optarg; break;
		case 'c': o->cycles = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'f': o->frames = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'l': o->link_wait = strtod(optarg, NULL); break;
		case 'r': o->recv_wait = strtod(optarg, NULL); break;
		default: return -1;
		}
	}
	if (o->access == NULL || o->underlay == NULL || o->frames > 4096 ||
	    o->link_wait <= 0 || o->recv_wait <= 0)
		return -1;
	return 0;
}

static void
counts_print(void)
{
	printf("cycles %" PRIu64 "\n", cnt.cycles);
	printf("connects %" PRIu64 "\n", cnt.connects);
	printf("connect_retries %" PRIu64 "\n", cnt.retries);
	printf("frames_sent %" PRIu64 "\n", cnt.sent);
	printf("frames_received %" PRIu64 "\n", cnt.received);
	printf("frames_late %" PRIu64 "\n", cnt.late);
	printf("frames_bad %" PRIu64 "\n", cnt.bad);
	printf("probes_sent %" PRIu64 "\n", cnt.probes);
	printf("tx_refused %" PRIu64 "\n", cnt.refused);
	if (first_bad[0] != '\0')
		printf("first wrong frame: %s\n", first_bad);
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	struct opts o;
	uint8_t *seen;
	uint16_t und;
	uint32_t c;
	int n, again = 0, rc = 0;

	n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "memif_cycle: EAL: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	argc -= n;
	argv += n;
	memset(&o, 0, sizeof(o));
	if (opts_parse(argc, argv, &o) != 0) {
		usage(stderr);
		rte_eal_cleanup();
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	setvbuf(stdout, NULL, _IOLBF, 0);

	seen = calloc(o.frames + 1, 1);
	pool = rte_pktmbuf_pool_create("mbufs", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       (int)rte_socket_id());
	if (seen == NULL || pool == NULL) {
		fprintf(stderr, "memif_cycle: no memory\n");
		rc = 1;
		goto out;
	}
	if (port_plug(o.underlay, o.link_wait, &und, false) != 0) {
		fprintf(stderr, "memif_cycle: underlay port: no link within %.1f s\n", o.link_wait);
		rc = 1;
		goto out;
	}
	for (c = 0; c < o.cycles && !stop; ) {
		int r = cycle_run(&o, und, c, seen);

		if (r == -EAGAIN && ++again < MAX_AGAIN) {
			cnt.retries++;
			continue;
		}
		if (r != 0) {
			if (r == -EAGAIN)
				printf("cycle %" PRIu32 ": the connection went away %d times in a "
				       "row\n", c, again);
			rc = 3;
			break;
		}
		again = 0;
		cnt.cycles++;
		c++;
	}
	/* Late frames of the last cycle, if any, are counted, not waited for. */
	rte_eth_dev_stop(und);
	rte_eth_dev_close(und);
out:
	counts_print();
	free(seen);
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return rc;
}
