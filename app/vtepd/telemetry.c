/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK's own tools on a running vtepd: its telemetry commands, which
 * dpdk-telemetry.py reads from /var/run/dpdk/<prefix>/dpdk_telemetry.v2,
 * and packet capture by dpdk-dumpcap, a secondary process (rte_pdump).
 *
 * The callbacks run on DPDK's telemetry threads, one per client. Like the
 * REST API they read state only through ctl_call(): the reply is built on
 * the control thread, from copies, into the telemetry library's own data.
 *
 * rte_telemetry has no unregister, so a command may come in at any time,
 * after shutdown too. The writer is reached through an atomic pointer and
 * the calls in flight are counted: telemetry_stop() clears the pointer,
 * fails the queued calls and waits for those in flight before the writer
 * is freed. A callback that finds no writer returns -ESHUTDOWN ("null" to
 * the client) and touches nothing.
 *
 * The library's limits shape the replies: 256 entries per dictionary, 512
 * per array, 16 KiB of JSON per reply, and dictionary keys of A-Z a-z
 * 0-9 _ / only. A reply whose JSON would not fit loses entries silently in
 * the library, so a list stops by itself before (counting bytes as it
 * goes), says "truncated": 1 and where to go on ("next").
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_ethdev.h>
#include <rte_errno.h>
#include <rte_pdump.h>
#include <rte_telemetry.h>

#include "vtepd.h"

/* The library's reply buffer (MAX_OUTPUT_LEN in rte_telemetry's
 * telemetry.c) less the {"<command>":...} around the data and a margin. */
#define TEL_REPLY_MAX (16384 - 256)
#define TEL_MAX_DICT RTE_TEL_MAX_DICT_ENTRIES
#define TEL_MAX_ARRAY RTE_TEL_MAX_ARRAY_ENTRIES
#define TEL_VNI_MAX 16777215u

static struct {
	struct ctl *ctl;                 /* NULL: stopped (atomic) */
	unsigned in_flight;              /* callbacks inside ctl_call() (atomic) */
	uint64_t start_ms;               /* CLOCK_MONOTONIC at telemetry_start() */
	unsigned n_workers;
} tel;

/* ---- building replies -------------------------------------------------- */

/*
 * A dictionary or array being filled, with the bytes of JSON it will take
 * (compact, as the library writes it) and the first error.
 */
struct box {
	struct rte_tel_data *d;
	size_t len;
	int rc;
};

static void
box_err(struct box *b, int rc)
{
	if (rc != 0 && b->rc == 0)
		b->rc = rc < 0 ? rc : -rc;
}

/* A key the library takes: characters other than A-Z a-z 0-9 _ / become _. */
static const char *
key(const char *name, char *buf, size_t size)
{
	size_t i;

	for (i = 0; name[i] != '\0' && i + 1 < size; i++) {
		char ch = name[i];

		buf[i] = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			 (ch >= '0' && ch <= '9') || ch == '_' || ch == '/' ? ch : '_';
	}
	buf[i] = '\0';
	return buf;
}

/*
 * Start a dictionary in @d, the callback's data, or (@d NULL) in a new
 * container. Each helper does nothing once a box has failed: the library
 * does not check its arguments. @return b->rc.
 */
static int
box_dict(struct box *b, struct rte_tel_data *d)
{
	b->d = d != NULL ? d : rte_tel_data_alloc();
	b->len = 2;
	b->rc = b->d == NULL ? -ENOMEM : 0;
	if (b->rc == 0)
		box_err(b, rte_tel_data_start_dict(b->d));
	return b->rc;
}

static int
box_array(struct box *b, enum rte_tel_value_type type)
{
	b->d = rte_tel_data_alloc();
	b->len = 2;
	b->rc = b->d == NULL ? -ENOMEM : 0;
	if (b->rc == 0)
		box_err(b, rte_tel_data_start_array(b->d, type));
	return b->rc;
}

/* Drop a container that was not added anywhere (never the callback's). */
static void
box_drop(struct box *b)
{
	rte_tel_data_free(b->d);
	b->d = NULL;
}

static void
box_u64(struct box *b, const char *name, uint64_t v)
{
	char k[RTE_TEL_MAX_STRING_LEN], num[24];

	if (b->rc != 0)
		return;
	box_err(b, rte_tel_data_add_dict_u64(b->d, key(name, k, sizeof(k)), v));
	b->len += strlen(k) + (size_t)snprintf(num, sizeof(num), "%" PRIu64, v) + 4;
}

static void
box_str(struct box *b, const char *name, const char *v)
{
	char k[RTE_TEL_MAX_STRING_LEN];

	if (b->rc != 0)
		return;
	box_err(b, rte_tel_data_add_dict_string(b->d, key(name, k, sizeof(k)), v));
	b->len += strlen(k) + strlen(v) + 6;
}

/* Add @sub (taken: added, or freed on error) as @name of @b. */
static void
box_sub(struct box *b, const char *name, struct box *sub)
{
	char k[RTE_TEL_MAX_STRING_LEN];
	int rc = b->rc != 0 ? b->rc : sub->rc;

	if (rc == 0)
		rc = rte_tel_data_add_dict_container(b->d, key(name, k, sizeof(k)), sub->d, 0);
	if (rc != 0) {
		box_drop(sub);
		box_err(b, rc);
		return;
	}
	b->len += strlen(k) + sub->len + 4;
	sub->d = NULL;
}

static void
box_array_u64(struct box *b, uint64_t v)
{
	char num[24];

	if (b->rc != 0)
		return;
	box_err(b, rte_tel_data_add_array_u64(b->d, v));
	b->len += (size_t)snprintf(num, sizeof(num), "%" PRIu64, v) + 1;
}

static void
box_array_str(struct box *b, const char *v)
{
	if (b->rc != 0)
		return;
	box_err(b, rte_tel_data_add_array_string(b->d, v));
	b->len += strlen(v) + 3;
}

static const char *
mac_str(const uint8_t *m, char *buf, size_t size)
{
	snprintf(buf, size, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
		 m[5]);
	return buf;
}

static void
box_vlan(struct box *b, uint16_t vlan)
{
	if (vlan == CONF_VLAN_UNTAGGED)
		box_str(b, "vlan", "untagged");
	else
		box_u64(b, "vlan", vlan);
}

/*
 * A page of a list: entries @start to @start + 255 (a dictionary's
 * capacity) as long as the reply stays within TEL_REPLY_MAX. @reserve is
 * what the reply holds besides the list.
 */
struct page {
	struct box list;                 /* "<index>": {entry} */
	uint32_t start, total, shown;
	size_t reserve;
	bool full;
};

static int
page_init(struct page *p, uint32_t start, size_t reserve)
{
	memset(p, 0, sizeof(*p));
	p->start = start;
	p->reserve = reserve;
	return box_dict(&p->list, NULL);
}

/* Whether entry number p->total is on the page; counts it. */
static bool
page_wants(struct page *p)
{
	uint32_t i = p->total++;

	return i >= p->start && !p->full && p->list.rc == 0;
}

/* Add @e (taken), entry number p->total - 1, unless the page is full. */
static void
page_add(struct page *p, struct box *e)
{
	char name[16];

	snprintf(name, sizeof(name), "%" PRIu32, p->total - 1);
	if (p->shown >= TEL_MAX_DICT ||
	    p->reserve + p->list.len + strlen(name) + e->len + 4 > TEL_REPLY_MAX) {
		p->full = true;
		box_drop(e);
		return;
	}
	box_sub(&p->list, name, e);
	p->shown++;
}

/* The page's list as @name of @top, with total, start, shown, truncated
 * and, when cut, next. */
static void
page_finish(struct page *p, struct box *top, const char *name)
{
	bool cut = p->start + p->shown < p->total;

	box_u64(top, "total", p->total);
	box_u64(top, "start", p->start);
	box_u64(top, "shown", p->shown);
	box_u64(top, "truncated", cut);
	if (cut)
		box_u64(top, "next", p->start + p->shown);
	box_sub(top, name, &p->list);
}

/* ---- parameters -------------------------------------------------------- */

/* A decimal number in [min, max] at *@s, followed by ',' or the end;
 * *@s moves past it. No sign, space or other base. */
static bool
parse_u32(const char **s, uint32_t min, uint32_t max, uint32_t *v)
{
	const char *p = *s;
	uint64_t x = 0;

	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		x = x * 10 + (uint64_t)(*p - '0');
		if (x > max)
			return false;
	}
	if (x < min || (*p != '\0' && *p != ','))
		return false;
	*v = (uint32_t)x;
	*s = p;
	return true;
}

/* "A" or "A,B": @a in [1, max_a], @b any index; @return how many, -EINVAL. */
static int
params_two(const char *params, uint32_t max_a, uint32_t *a, uint32_t *b)
{
	const char *s = params;

	if (s == NULL || !parse_u32(&s, 1, max_a, a))
		return -EINVAL;
	if (*s == '\0')
		return 1;
	s++;
	if (!parse_u32(&s, 0, UINT32_MAX, b) || *s != '\0')
		return -EINVAL;
	return 2;
}

/* ---- the calls to the control thread ---------------------------------- */

/* What a callback asks the control thread for. */
struct tel_call {
	struct rte_tel_data *d;
	uint32_t vni;
	uint32_t start;                  /* a list's first entry */
};

/*
 * Run @fn on the control thread, unless vtepd is stopping. The increment
 * and the pointer's load (here), the pointer's clearing and the count's
 * load (telemetry_stop()) are sequentially consistent: either this call
 * sees no writer, or the stop waits for it.
 */
static int
tel_run(int (*fn)(struct ctl *c, void *arg), struct tel_call *o)
{
	struct ctl *c;
	int rc;

	__atomic_add_fetch(&tel.in_flight, 1, __ATOMIC_SEQ_CST);
	c = __atomic_load_n(&tel.ctl, __ATOMIC_SEQ_CST);
	rc = c != NULL ? ctl_call(c, fn, o) : -ESHUTDOWN;
	__atomic_sub_fetch(&tel.in_flight, 1, __ATOMIC_RELEASE);
	return rc;
}

static const struct conf_vni *
vni_find(const struct conf *cf, uint32_t vni)
{
	for (unsigned i = 0; i < cf->n_vnis; i++)
		if (cf->vnis[i].vni == vni)
			return &cf->vnis[i];
	return NULL;
}

/* A port's counters: the .def's, then the PMD's. */
static void
port_ctrs(struct box *b, const struct ctl_port_stats *ps)
{
	for (unsigned k = 0; k < CTL_PORT_CTR_MAX; k++)
		box_u64(b, ctl_port_ctr_name(k), ps->c[k]);
	box_u64(b, "rx_missed", ps->rx_missed);
	box_u64(b, "rx_nombuf", ps->rx_nombuf);
}

static const struct ctl_port_stats *
port_stats_find(const struct ctl_stats *s, const char *name)
{
	for (unsigned i = 0; i < s->n_ports; i++)
		if (strcmp(s->ports[i].name, name) == 0)
			return &s->ports[i];
	return NULL;
}

/* Counters of the ports, by ethdev port id (as DPDK's /ethdev/ commands). */
static void
stats_ports(struct ctl *c, const struct ctl_stats *s, struct box *top)
{
	const struct ctl_port *p;
	struct box ports, one;
	unsigned n;
	char id[8];

	p = ctl_ports(c, &n);
	box_err(top, box_dict(&ports, NULL));
	for (unsigned i = 0; top->rc == 0 && i < n; i++) {
		const struct ctl_port_stats *ps = port_stats_find(s, p[i].name);

		box_err(top, box_dict(&one, NULL));
		box_str(&one, "name", p[i].name);
		if (ps != NULL)
			port_ctrs(&one, ps);
		snprintf(id, sizeof(id), "%u", p[i].id);
		box_sub(&ports, id, &one);
	}
	box_sub(top, "ports", &ports);
}

/* Pools or rings by name: {<used>, size}. */
static void
fills(struct box *top, const char *name, const char *used, const struct ctl_fill *f,
      unsigned n)
{
	struct box all, one;

	box_err(top, box_dict(&all, NULL));
	for (unsigned i = 0; i < n; i++) {
		box_err(top, box_dict(&one, NULL));
		box_u64(&one, used, f[i].used);
		box_u64(&one, "size", f[i].size);
		box_sub(&all, f[i].name, &one);
	}
	box_sub(top, name, &all);
}

static int
stats_fn(struct ctl *c, void *arg)
{
	struct tel_call *o = arg;
	struct ctl_stats s;
	struct box top, sub, w;
	uint64_t vsum[CTL_VNI_CTR_MAX] = { 0 }, fdb_entries = 0, fdb_learned = 0;
	char name[16];
	int rc = ctl_stats_get(c, &s);

	if (rc < 0)
		return rc;
	box_dict(&top, o->d);
	box_u64(&top, "now_s", s.now);
	stats_ports(c, &s, &top);

	/* VNIs: how many and their counters summed; one VNI: /vtep/vni,N. */
	for (unsigned i = 0; i < s.n_vnis; i++) {
		for (unsigned k = 0; k < CTL_VNI_CTR_MAX; k++)
			vsum[k] += s.vnis[i].c[k];
		fdb_entries += s.vnis[i].fdb_entries;
		fdb_learned += s.vnis[i].fdb_learned;
	}
	box_err(&top, box_dict(&sub, NULL));
	box_u64(&sub, "count", s.n_vnis);
	for (unsigned k = 0; k < CTL_VNI_CTR_MAX; k++)
		box_u64(&sub, ctl_vni_ctr_name(k), vsum[k]);
	box_u64(&sub, "fdb_entries", fdb_entries);
	box_u64(&sub, "fdb_learned", fdb_learned);
	box_sub(&top, "vnis", &sub);

	/* From 1: VTEP_DROP_NONE is no reason, only the "not dropped" mark. */
	box_err(&top, box_dict(&sub, NULL));
	for (unsigned k = VTEP_DROP_NONE + 1; k < VTEP_DROP_MAX; k++)
		box_u64(&sub, vtep_drop_name(k), s.drops[k]);
	box_sub(&top, "drops", &sub);

	box_err(&top, box_dict(&sub, NULL));
	for (unsigned i = 0; i < s.n_workers; i++) {
		box_err(&top, box_dict(&w, NULL));
		box_u64(&w, "rx_packets", s.workers[i].rx_packets);
		box_u64(&w, "drops", s.workers[i].drops);
		snprintf(name, sizeof(name), "%u", i);
		box_sub(&sub, name, &w);
	}
	box_sub(&top, "workers", &sub);

	/* "learn.posted" is learn_posted: a key takes no dot. */
	box_err(&top, box_dict(&sub, NULL));
	for (unsigned k = 0; k < CTL_WORKER_CTR_MAX; k++)
		box_u64(&sub, ctl_worker_ctr_name(k), s.worker[k]);
	box_sub(&top, "worker", &sub);

	box_err(&top, box_dict(&sub, NULL));
	for (unsigned k = 0; k < CTL_CTR_MAX; k++)
		box_u64(&sub, ctl_ctr_name(k), s.ctl[k]);
	box_sub(&top, "ctl", &sub);

	box_err(&top, box_dict(&sub, NULL));
	for (unsigned k = 0; k < FDB_STAT_MAX; k++)
		box_u64(&sub, fdb_stat_name(k), fdb_stat_value(&s.fdb, k));
	box_sub(&top, "fdb", &sub);

	box_err(&top, box_dict(&sub, NULL));
	for (unsigned k = 0; k < NEIGH_STATE_MAX; k++)
		box_u64(&sub, neigh_state_name(k), s.neighbors[k]);
	box_sub(&top, "neighbors", &sub);
	fills(&top, "pools", "in_use", s.pools, s.n_pools);
	fills(&top, "rings", "used", s.rings, s.n_rings);
	ctl_stats_release(&s);
	return top.rc;
}

/* /vtep/vni: the VNIs in the configuration's order (as GET /v1/vnis). */
static int
vni_list_fn(struct ctl *c, void *arg)
{
	struct tel_call *o = arg;
	const struct conf *cf = ctl_conf(c);
	struct box top, list;
	uint32_t i, shown = 0;
	bool cut;

	box_dict(&top, o->d);
	box_err(&top, box_array(&list, RTE_TEL_U64_VAL));
	for (i = o->start; top.rc == 0 && i < cf->n_vnis && shown < TEL_MAX_ARRAY; i++) {
		box_array_u64(&list, cf->vnis[i].vni);
		shown++;
	}
	cut = o->start + shown < cf->n_vnis;
	box_u64(&top, "total", cf->n_vnis);
	box_u64(&top, "start", o->start);
	box_u64(&top, "shown", shown);
	box_u64(&top, "truncated", cut);
	if (cut)
		box_u64(&top, "next", o->start + shown);
	box_sub(&top, "vnis", &list);
	return top.rc;
}

/* /vtep/vni,N: the VNI as configured, and its counters. */
static int
vni_one_fn(struct ctl *c, void *arg)
{
	struct tel_call *o = arg;
	const struct conf_vni *v = vni_find(ctl_conf(c), o->vni);
	const struct ctl_vni_stats *vs = NULL;
	struct box top, sub, one;
	struct ctl_stats s;
	char buf[64];
	unsigned i, shown = 0;
	int rc;

	if (v == NULL)
		return -ENOENT;
	rc = ctl_stats_get(c, &s);
	if (rc < 0)
		return rc;
	for (i = 0; i < s.n_vnis; i++)
		if (s.vnis[i].vni == o->vni)
			vs = &s.vnis[i];
	box_dict(&top, o->d);
	box_u64(&top, "vni", v->vni);
	box_err(&top, box_dict(&sub, NULL));
	for (i = 0; top.rc == 0 && i < v->n_access && i < TEL_MAX_DICT; i++) {
		box_err(&top, box_dict(&one, NULL));
		box_str(&one, "port", v->access[i].port);
		box_vlan(&one, v->access[i].vlan);
		snprintf(buf, sizeof(buf), "%u", i);
		box_sub(&sub, buf, &one);
	}
	box_sub(&top, "access", &sub);
	box_str(&top, "flood", v->flood_mode == CONF_FLOOD_MULTICAST ? "multicast" :
		v->flood_mode == CONF_FLOOD_SERVICE_NODE ? "service-node" : "head-end");
	if (v->flood_mode == CONF_FLOOD_MULTICAST)
		box_str(&top, "group", vtep_ip_str(&v->group, buf, sizeof(buf)));
	if (v->flood_mode == CONF_FLOOD_SERVICE_NODE)
		box_str(&top, "service_node", vtep_ip_str(&v->service_node, buf, sizeof(buf)));
	box_u64(&top, "replicator", v->replicator);
	box_u64(&top, "learning", v->learning);
	box_u64(&top, "mac_limit", v->mac_limit);
	box_u64(&top, "ageing", v->ageing);
	box_str(&top, "inner_vlan", v->inner_vlan_accept ? "accept" : "drop");
	box_u64(&top, "bum_limit_pps", v->bum_limit_pps);
	box_err(&top, box_dict(&sub, NULL));
	if (vs != NULL) {
		for (unsigned k = 0; k < CTL_VNI_CTR_MAX; k++)
			box_u64(&sub, ctl_vni_ctr_name(k), vs->c[k]);
		box_u64(&sub, "fdb_entries", vs->fdb_entries);
		box_u64(&sub, "fdb_learned", vs->fdb_learned);
	}
	box_sub(&top, "counters", &sub);
	ctl_stats_release(&s);

	/* The flood list last: it is what may not fit. */
	box_err(&top, box_array(&sub, RTE_TEL_STRING_VAL));
	for (i = 0; top.rc == 0 && i < v->n_remotes && shown < TEL_MAX_ARRAY; i++) {
		vtep_ip_str(&v->remotes[i], buf, sizeof(buf));
		if (top.len + sub.len + strlen(buf) + 3 + 64 > TEL_REPLY_MAX)
			break;
		box_array_str(&sub, buf);
		shown++;
	}
	box_u64(&top, "remotes_total", v->n_remotes);
	box_u64(&top, "remotes_truncated", shown < v->n_remotes);
	box_sub(&top, "remotes", &sub);
	return top.rc;
}

static int
fdb_cb(void *arg, const struct ctl_fdb_entry *e)
{
	struct page *p = arg;
	struct box one;
	char buf[64];

	if (!page_wants(p))
		return 0;
	box_err(&p->list, box_dict(&one, NULL));
	box_str(&one, "mac", mac_str(e->mac.addr_bytes, buf, sizeof(buf)));
	box_str(&one, "type", e->is_static ? "static" : "learned");
	if (e->is_remote) {
		box_str(&one, "remote", vtep_ip_str(&e->remote, buf, sizeof(buf)));
	} else {
		box_str(&one, "port", e->port != NULL ? e->port : "");
		box_vlan(&one, e->vlan);
	}
	box_u64(&one, "age_s", e->age);
	box_u64(&one, "last_seen_s", e->last_seen);
	page_add(p, &one);
	return 0;
}

/* /vtep/fdb,N[,START]: the entries of VNI N, in the FDB's order. */
static int
fdb_fn(struct ctl *c, void *arg)
{
	struct tel_call *o = arg;
	struct box top;
	struct page p;
	int rc;

	if (vni_find(ctl_conf(c), o->vni) == NULL)
		return -ENOENT;
	box_dict(&top, o->d);
	box_u64(&top, "vni", o->vni);
	box_err(&top, page_init(&p, o->start, 256));
	rc = top.rc == 0 ? ctl_fdb_walk(c, o->vni, fdb_cb, &p) : 0;
	box_err(&top, rc);
	page_finish(&p, &top, "entries");
	return top.rc;
}

static int
neigh_cb(void *arg, const struct neigh_info *n)
{
	struct page *p = arg;
	struct vtep_ip ip = vtep_ip4(n->ip);
	struct box one;
	char buf[64];

	if (!page_wants(p))
		return 0;
	box_err(&p->list, box_dict(&one, NULL));
	box_str(&one, "ip", vtep_ip_str(&ip, buf, sizeof(buf)));
	box_str(&one, "state", neigh_state_name(n->state));
	/* No MAC yet: none, as the API's null. */
	box_str(&one, "mac", n->usable ? mac_str(n->mac.addr_bytes, buf, sizeof(buf)) : "");
	box_u64(&one, "users", n->users);
	page_add(p, &one);
	return 0;
}

/* /vtep/neigh[,START]: the underlay's ARP cache. */
static int
neigh_fn(struct ctl *c, void *arg)
{
	struct tel_call *o = arg;
	struct box top;
	struct page p;

	box_dict(&top, o->d);
	box_err(&top, page_init(&p, o->start, 256));
	if (top.rc == 0)
		box_err(&top, ctl_neigh_walk(c, neigh_cb, &p));
	page_finish(&p, &top, "neighbors");
	return top.rc;
}

/* /vtep/ports: by ethdev port id, with the device name dpdk-dumpcap -i
 * takes. */
static int
ports_fn(struct ctl *c, void *arg)
{
	struct tel_call *o = arg;
	const struct ctl_port *p;
	struct box top, one, ctr;
	struct ctl_stats s;
	char buf[RTE_ETH_NAME_MAX_LEN];
	unsigned n;
	int rc = ctl_stats_get(c, &s);

	if (rc < 0)
		return rc;
	box_dict(&top, o->d);
	p = ctl_ports(c, &n);
	for (unsigned i = 0; top.rc == 0 && i < n; i++) {
		const struct ctl_port_stats *ps = port_stats_find(&s, p[i].name);
		struct rte_eth_link link;

		memset(&link, 0, sizeof(link));
		if (rte_eth_dev_is_valid_port(p[i].id))
			rte_eth_link_get_nowait(p[i].id, &link);
		box_err(&top, box_dict(&one, NULL));
		box_str(&one, "name", p[i].name);
		if (rte_eth_dev_get_name_by_port(p[i].id, buf) == 0)
			box_str(&one, "device", buf);
		box_str(&one, "role", p[i].underlay ? "underlay" : "access");
		box_str(&one, "mac", mac_str(p[i].mac.addr_bytes, buf, sizeof(buf)));
		box_u64(&one, "rx_queues", p[i].n_rxq);
		box_u64(&one, "link_up", link.link_status == RTE_ETH_LINK_UP);
		box_u64(&one, "speed_mbps", link.link_speed);
		box_err(&one, box_dict(&ctr, NULL));
		if (ps != NULL)
			port_ctrs(&ctr, ps);
		box_sub(&one, "counters", &ctr);
		snprintf(buf, sizeof(buf), "%u", p[i].id);
		box_sub(&top, buf, &one);
	}
	ctl_stats_release(&s);
	return top.rc;
}

/* ---- the callbacks ------------------------------------------------------ */

static int
cmd_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct tel_call o = { .d = d };

	RTE_SET_USED(cmd);
	if (params != NULL)
		return -EINVAL;
	return tel_run(stats_fn, &o);
}

static int
cmd_vni(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct tel_call o = { .d = d };
	const char *s;

	RTE_SET_USED(cmd);
	if (params == NULL)
		return tel_run(vni_list_fn, &o);
	if (strncmp(params, "list,", 5) == 0) {
		s = params + 5;
		if (!parse_u32(&s, 0, UINT32_MAX, &o.start) || *s != '\0')
			return -EINVAL;
		return tel_run(vni_list_fn, &o);
	}
	s = params;
	if (!parse_u32(&s, 1, TEL_VNI_MAX, &o.vni) || *s != '\0')
		return -EINVAL;
	return tel_run(vni_one_fn, &o);
}

static int
cmd_fdb(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct tel_call o = { .d = d };

	RTE_SET_USED(cmd);
	if (params_two(params, TEL_VNI_MAX, &o.vni, &o.start) < 0)
		return -EINVAL;
	return tel_run(fdb_fn, &o);
}

static int
cmd_neigh(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct tel_call o = { .d = d };
	const char *s = params;

	RTE_SET_USED(cmd);
	if (s != NULL && (!parse_u32(&s, 0, UINT32_MAX, &o.start) || *s != '\0'))
		return -EINVAL;
	return tel_run(neigh_fn, &o);
}

static int
cmd_ports(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct tel_call o = { .d = d };

	RTE_SET_USED(cmd);
	if (params != NULL)
		return -EINVAL;
	return tel_run(ports_fn, &o);
}

/* Answered here, like GET /v1/health: the daemon is up even while the
 * control thread is busy; but not once it is stopping. */
static int
cmd_health(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct box top;

	RTE_SET_USED(cmd);
	if (params != NULL)
		return -EINVAL;
	if (__atomic_load_n(&tel.ctl, __ATOMIC_ACQUIRE) == NULL)
		return -ESHUTDOWN;
	box_dict(&top, d);
	box_str(&top, "status", "ok");
	box_str(&top, "version", VTEP_VERSION);
	box_u64(&top, "uptime_s", (api_mono_ms() - tel.start_ms) / 1000);
	box_u64(&top, "workers", tel.n_workers);
	return top.rc;
}

static const struct {
	const char *cmd;
	telemetry_cb fn;
	const char *help;
} tel_cmds[] = {
	/* The library takes help texts of up to 127 characters. */
	{ "/vtep/stats", cmd_stats,
	  "Every counter: ports by port id, VNIs summed, drops by reason, workers, "
	  "control thread, FDB, pools, rings. No parameters" },
	{ "/vtep/vni", cmd_vni,
	  "VNIs, 512 a reply (list,START for more); VNI N: bindings, flood list, "
	  "counters. Parameters: none, N or list,START" },
	{ "/vtep/fdb", cmd_fdb,
	  "FDB entries of VNI N: MAC, type, remote or port/VLAN, age; a page a reply, "
	  "START from its next. Parameters: N[,START]" },
	{ "/vtep/neigh", cmd_neigh,
	  "The underlay's ARP cache: IP, state, MAC; a page a reply. Parameters: [START]" },
	{ "/vtep/ports", cmd_ports,
	  "Ports by port id: name, DPDK device (dpdk-dumpcap -i), role, MAC, link, "
	  "counters. No parameters" },
	{ "/vtep/health", cmd_health,
	  "Status, version, uptime and workers. No parameters" },
};

int
telemetry_start(struct vtepd *d)
{
	int rc;

	tel.start_ms = api_mono_ms();
	tel.n_workers = d->n_workers;
	__atomic_store_n(&tel.ctl, d->ctl, __ATOMIC_SEQ_CST);
	for (unsigned i = 0; i < RTE_DIM(tel_cmds); i++) {
		rc = rte_telemetry_register_cmd(tel_cmds[i].cmd, tel_cmds[i].fn, tel_cmds[i].help);
		if (rc != 0) {
			VLOG(ERR, "telemetry: cannot register %s: %s", tel_cmds[i].cmd,
			     strerror(-rc));
			return rc;
		}
	}
	return 0;
}

void
telemetry_stop(struct vtepd *d)
{
	struct ctl *c = __atomic_exchange_n(&tel.ctl, NULL, __ATOMIC_SEQ_CST);

	RTE_SET_USED(d);
	if (c == NULL)
		return;
	/* Calls queued or about to queue fail with -ESHUTDOWN; those woken
	 * still take the writer's lock on their way out. */
	ctl_call_shutdown(c);
	while (__atomic_load_n(&tel.in_flight, __ATOMIC_ACQUIRE) != 0)
		rte_delay_us_sleep(1000);
}

/* ---- capture ------------------------------------------------------------ */

void
capture_init(void)
{
	/* Without shared files (--no-shconf, --in-memory) or hugepages
	 * (--no-huge) no secondary process attaches, so dpdk-dumpcap cannot
	 * either; rte_pdump_init() succeeds all the same, and vtepd runs
	 * without capture. */
	if (rte_pdump_init() != 0)
		VLOG(WARNING, "capture: dpdk-dumpcap cannot attach: %s", rte_strerror(rte_errno));
}

void
capture_fini(void)
{
	rte_pdump_uninit();
}
