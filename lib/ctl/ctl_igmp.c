/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Membership of the underlay's multicast groups (RFC 7348 section 4.2):
 * the host side of IGMPv3 (RFC 3376) with IGMPv2 compatibility (RFC 2236,
 * RFC 3376 section 7.2.1), for the groups the VNIs flood to. A group gets
 * an unsolicited report when the first VNI needs it and a leave when the
 * last one stops, each sent CTL_IGMP_ROBUSTNESS times; queries are answered
 * after a random delay within their Max Resp Time. Frames are built here
 * and go out through a worker's queue, like ARP.
 *
 * Sources are never listed: a VTEP takes VXLAN from any VTEP of the group
 * (EXCLUDE {}), so the filter-mode change records carry no source.
 */
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_ip.h>

#include "ctl_private.h"

enum {
	IGMP_QUERY = 0x11,
	IGMP_V1_REPORT = 0x12,
	IGMP_V2_REPORT = 0x16,
	IGMP_V2_LEAVE = 0x17,
	IGMP_V3_REPORT = 0x22,
	IP_RA_LEN = 4,                  /* the Router Alert option, RFC 2113 */
	IGMP_HDRS = RTE_ETHER_HDR_LEN + 20 + IP_RA_LEN,
	/* Records per report: what fits a 1500-byte packet. */
	IGMP_V3_MAX_RECORDS = (1500 - 24 - 8) / 8,
};

static uint16_t
csum16(const void *p, uint16_t len)
{
	return (uint16_t)~rte_raw_cksum(p, len);
}

uint16_t
ctl_igmp_v3_report(uint8_t *buf, uint8_t rtype, const rte_be32_t *g, uint16_t n)
{
	uint16_t len = (uint16_t)(8 + 8 * n), i, sum;

	memset(buf, 0, len);
	buf[0] = IGMP_V3_REPORT;
	buf[6] = (uint8_t)(n >> 8);
	buf[7] = (uint8_t)n;
	for (i = 0; i < n; i++) {
		uint8_t *r = buf + 8 + 8 * i;

		r[0] = rtype;       /* no aux data, no sources */
		memcpy(r + 4, &g[i], 4);
	}
	sum = csum16(buf, len);
	memcpy(buf + 2, &sum, 2);
	return len;
}

uint16_t
ctl_igmp_v2_msg(uint8_t *buf, uint8_t type, rte_be32_t g)
{
	uint16_t sum;

	memset(buf, 0, 8);
	buf[0] = type;
	memcpy(buf + 4, &g, 4);
	sum = csum16(buf, 8);
	memcpy(buf + 2, &sum, 2);
	return 8;
}

void
ctl_igmp_headers(uint8_t *buf, const struct rte_ether_addr *src_mac, rte_be32_t src,
		 rte_be32_t dst, uint16_t len)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)buf;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	uint8_t *ra = (uint8_t *)(ip + 1);

	vtep_group_mac(dst, &eth->dst_addr);
	rte_ether_addr_copy(src_mac, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = 0x40 | (20 + IP_RA_LEN) / 4;
	/* Internetwork control, as the kernel's IGMP sends it. */
	ip->type_of_service = 0xc0;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(20 + IP_RA_LEN + len));
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	/* RFC 3376 4: TTL 1 and the Router Alert option. */
	ip->time_to_live = 1;
	ip->next_proto_id = IPPROTO_IGMP;
	ip->src_addr = src;
	ip->dst_addr = dst;
	ra[0] = 0x94;
	ra[1] = 4;
	ra[2] = 0;
	ra[3] = 0;
	ip->hdr_checksum = csum16(ip, 20 + IP_RA_LEN);
}

uint32_t
ctl_igmp_max_resp_ms(uint8_t code, bool v3)
{
	uint32_t t = code;

	/* RFC 3376 4.1.1: from 128 on, a mantissa and an exponent. */
	if (v3 && code >= 128)
		t = ((code & 0x0fu) | 0x10u) << (((code >> 4) & 0x07u) + 3);
	/* RFC 2236 2.2 / RFC 1112: a zero (an IGMPv1 query) means 10 s. */
	if (t == 0)
		t = 100;
	return t * 100;
}

static bool
v2_mode(const struct ctl *c, uint64_t ms)
{
	return c->igmp.v2_until_ms != 0 && ms < c->igmp.v2_until_ms;
}

/* Queue one IGMP message of @len bytes at @igmp to @dst. */
static void
igmp_send(struct ctl *c, rte_be32_t dst, const uint8_t *igmp, uint16_t len)
{
	struct rte_mbuf *m = c->p.pool != NULL ? rte_pktmbuf_alloc(c->p.pool) : NULL;
	uint8_t *p;

	if (m == NULL) {
		c->ctr[CTL_TX_DROPPED]++;
		return;
	}
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(IGMP_HDRS + len));
	if (p == NULL) {
		rte_pktmbuf_free(m);
		c->ctr[CTL_TX_DROPPED]++;
		return;
	}
	ctl_igmp_headers(p, &c->ports[c->p.underlay].mac, c->local_ip, dst, len);
	memcpy(p + IGMP_HDRS, igmp, len);
	if (c->p.tx == NULL || rte_ring_sp_enqueue(c->p.tx, m) != 0) {
		rte_pktmbuf_free(m);
		c->ctr[CTL_TX_DROPPED]++;
	}
}

/* Records of @rtype for @g[0..n-1], as v3 reports (several when many), or
 * as v2 reports or leaves. */
static void
send_records(struct ctl *c, uint64_t ms, uint8_t rtype, const rte_be32_t *g, uint32_t n)
{
	uint8_t buf[8 + 8 * IGMP_V3_MAX_RECORDS];
	uint32_t i;

	if (n == 0)
		return;
	if (v2_mode(c, ms)) {
		for (i = 0; i < n; i++) {
			bool leave = rtype == CTL_IGMP_TO_IN;
			uint16_t len = ctl_igmp_v2_msg(buf, leave ? IGMP_V2_LEAVE : IGMP_V2_REPORT,
						       g[i]);

			/* RFC 2236 3: leaves to all routers, reports to the group. */
			igmp_send(c, leave ? CTL_IGMP_ALL_ROUTERS : g[i], buf, len);
			c->ctr[leave ? CTL_IGMP_LEAVES : CTL_IGMP_REPORTS]++;
		}
		return;
	}
	for (i = 0; i < n; i += IGMP_V3_MAX_RECORDS) {
		uint16_t k = (uint16_t)RTE_MIN(n - i, (uint32_t)IGMP_V3_MAX_RECORDS);
		uint16_t len = ctl_igmp_v3_report(buf, rtype, g + i, k);

		igmp_send(c, CTL_IGMP_V3_ROUTERS, buf, len);
		c->ctr[rtype == CTL_IGMP_TO_IN ? CTL_IGMP_LEAVES : CTL_IGMP_REPORTS]++;
	}
}

static uint32_t
rnd_next(struct ctl_igmp *s)
{
	uint32_t x = s->rnd != 0 ? s->rnd : 0x9e3779b9u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	s->rnd = x;
	return x;
}

/* Program the port's filter: the groups' MACs, all hosts and the IGMPv3
 * routers' address; all-multicast where the PMD has no such filter. */
static void
filter_set(struct ctl *c)
{
	struct ctl_igmp *s = &c->igmp;
	struct rte_ether_addr *macs = malloc((s->n + 2) * sizeof(*macs));
	uint16_t port = c->ports[c->p.underlay].id;
	uint32_t i, n = 0;
	int rc;

	s->filter_due = false;
	/* Unit tests run without the port. */
	if (macs == NULL || !rte_eth_dev_is_valid_port(port)) {
		free(macs);
		return;
	}
	vtep_group_mac(CTL_IGMP_ALL_HOSTS, &macs[n++]);
	vtep_group_mac(CTL_IGMP_V3_ROUTERS, &macs[n++]);
	for (i = 0; i < s->n; i++) {
		uint32_t k;

		if (s->groups[i].leaving)
			continue;
		vtep_group_mac(s->groups[i].g, &macs[n]);
		/* Groups that differ in the high bits share a MAC. */
		for (k = 0; k < n && !rte_is_same_ether_addr(&macs[k], &macs[n]); k++)
			;
		if (k == n)
			n++;
	}
	rc = rte_eth_dev_set_mc_addr_list(port, macs, n);
	if (rc != 0) {
		rte_eth_allmulticast_enable(port);
		c->ctr[CTL_IGMP_ALLMULTI]++;
	} else {
		rte_eth_allmulticast_disable(port);
	}
	free(macs);
}

static struct ctl_igmp_group *
group_find(struct ctl_igmp *s, rte_be32_t g)
{
	uint32_t i;

	for (i = 0; i < s->n; i++)
		if (s->groups[i].g == g)
			return &s->groups[i];
	return NULL;
}

void
ctl_igmp_sync(struct ctl *c, const rte_be32_t *groups, uint32_t n)
{
	struct ctl_igmp *s = &c->igmp;
	uint64_t ms = ctl_ms(c);
	uint32_t i, j;

	/* Leaving: those the snapshot no longer has. */
	for (i = 0; i < s->n; i++) {
		struct ctl_igmp_group *e = &s->groups[i];
		bool wanted = false;

		for (j = 0; j < n && !wanted; j++)
			wanted = groups[j] == e->g;
		if (!wanted && !e->leaving) {
			e->leaving = true;
			e->left = CTL_IGMP_ROBUSTNESS;
			e->next_ms = ms;
			e->answer_ms = 0;
			s->filter_due = true;
		}
	}
	for (j = 0; j < n; j++) {
		struct ctl_igmp_group *e = group_find(s, groups[j]);

		if (e != NULL && !e->leaving)
			continue;
		if (e == NULL) {
			if (s->n == s->cap) {
				uint32_t cap = s->cap ? s->cap * 2 : 16;
				struct ctl_igmp_group *p = realloc(s->groups, cap * sizeof(*p));

				if (p == NULL)
					return;
				s->groups = p;
				s->cap = cap;
			}
			e = &s->groups[s->n++];
		}
		/* Wanted again while leaving: a join anew. */
		memset(e, 0, sizeof(*e));
		e->g = groups[j];
		e->left = CTL_IGMP_ROBUSTNESS;
		e->next_ms = ms;
		s->filter_due = true;
	}
}

/* Records of one type for the groups whose timers are due now. */
static void
send_due(struct ctl *c, uint64_t ms, bool leaving)
{
	struct ctl_igmp *s = &c->igmp;
	rte_be32_t *g = malloc((s->n ? s->n : 1) * sizeof(*g));
	uint32_t i, n = 0;

	if (g == NULL)
		return;
	for (i = 0; i < s->n; i++) {
		struct ctl_igmp_group *e = &s->groups[i];

		if (e->leaving != leaving || e->left == 0 || ms < e->next_ms)
			continue;
		g[n++] = e->g;
		e->left--;
		e->next_ms = ms + CTL_IGMP_REPEAT_MS;
	}
	send_records(c, ms, leaving ? CTL_IGMP_TO_IN : CTL_IGMP_TO_EX, g, n);
	free(g);
}

void
ctl_igmp_poll(struct ctl *c, uint64_t ms)
{
	struct ctl_igmp *s = &c->igmp;
	rte_be32_t *g;
	uint32_t i, n = 0;

	if (s->filter_due)
		filter_set(c);
	if (s->n == 0)
		return;
	send_due(c, ms, false);
	send_due(c, ms, true);
	g = malloc(s->n * sizeof(*g));
	if (g == NULL)
		return;
	/* Answers: every joined group for a general query, or the one a
	 * group-specific query asked about (RFC 3376 5.2). */
	for (i = 0; i < s->n; i++) {
		struct ctl_igmp_group *e = &s->groups[i];
		bool general = s->general_ms != 0 && ms >= s->general_ms;

		if (e->leaving)
			continue;
		if (general || (e->answer_ms != 0 && ms >= e->answer_ms)) {
			g[n++] = e->g;
			e->answer_ms = 0;
		}
	}
	if (s->general_ms != 0 && ms >= s->general_ms)
		s->general_ms = 0;
	send_records(c, ms, CTL_IGMP_IS_EX, g, n);
	free(g);
	/* Leaves all sent: the group is gone. */
	for (i = 0; i < s->n;)
		if (s->groups[i].leaving && s->groups[i].left == 0)
			s->groups[i] = s->groups[--s->n];
		else
			i++;
}

/* When to answer a query of @max_ms: a random time within it, or an
 * answer already due sooner (RFC 3376 5.2). */
static uint64_t
answer_at(struct ctl *c, uint64_t ms, uint32_t max_ms, uint64_t pending)
{
	uint64_t at = ms + rnd_next(&c->igmp) % (max_ms ? max_ms : 1);

	return pending != 0 && pending <= at ? pending : at;
}

void
ctl_igmp_rx(struct ctl *c, struct rte_mbuf *m)
{
	struct ctl_igmp *s = &c->igmp;
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m), ihl, ip_len, ilen;
	uint64_t ms = ctl_ms(c);
	const uint8_t *q;
	uint32_t max_ms;
	rte_be32_t g;
	bool v3;

	/* The worker's classifier checked the IPv4 header and its lengths. */
	if (len < RTE_ETHER_HDR_LEN + 20)
		goto out;
	ihl = (p[14] & 0x0fu) * 4u;
	ip_len = (uint32_t)p[16] << 8 | p[17];
	if (ip_len < ihl + 8 || len < RTE_ETHER_HDR_LEN + ip_len)
		goto out;
	q = p + RTE_ETHER_HDR_LEN + ihl;
	ilen = ip_len - ihl;
	/* Reports of other hosts need nothing: the host part of IGMPv3 does
	 * not suppress its own (RFC 3376 5.2), and v2 suppression is an
	 * option the kernel does not take either. */
	if (q[0] != IGMP_QUERY || rte_raw_cksum(q, (size_t)ilen) != 0xffff)
		goto out;
	c->ctr[CTL_IGMP_QUERIES]++;
	/* RFC 3376 7.1: 8 bytes is v1 or v2, 12 or more v3. */
	if (ilen >= 12) {
		v3 = true;
	} else if (ilen == 8) {
		v3 = false;
		s->v2_until_ms = ms + CTL_IGMP_V2_TIMEOUT_MS;
	} else {
		goto out;
	}
	max_ms = ctl_igmp_max_resp_ms(q[1], v3);
	memcpy(&g, q + 4, 4);
	if (g == 0) {
		s->general_ms = answer_at(c, ms, max_ms, s->general_ms);
	} else {
		struct ctl_igmp_group *e = group_find(s, g);

		if (e != NULL && !e->leaving)
			e->answer_ms = answer_at(c, ms, max_ms, e->answer_ms);
	}
out:
	rte_pktmbuf_free(m);
}

void
ctl_igmp_free(struct ctl *c)
{
	free(c->igmp.groups);
	memset(&c->igmp, 0, sizeof(c->igmp));
}
