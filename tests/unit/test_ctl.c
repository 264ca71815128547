/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/ctl, the one writer: each typed operation, conflicts,
 * the remotes' reference counts, VNI counter slots, batches, the state
 * file, calls from another thread and the counters' sum. The writer runs
 * on an EAL without ports: its ports are names and ids, its clock is ours,
 * its workers are counter blocks this test writes.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "ctl.h"
#include "test_eal.h"

#define N_WORKERS 2

static const char base_yaml[] =
	"ports:\n"
	"  - { name: up, devargs: net_null0, role: underlay }\n"
	"  - { name: vm1, devargs: net_null1, role: access }\n"
	"  - { name: vm2, devargs: net_null2, role: access }\n"
	"  - { name: vm3, devargs: net_null3, role: access }\n"
	"underlay:\n"
	"  port: up\n"
	"  address: 198.18.0.1/24\n"
	"  neighbors:\n"
	"    - { ip: 198.18.0.2, mac: \"02:00:00:00:0a:02\" }\n"
	"    - { ip: 198.18.0.3, mac: \"02:00:00:00:0a:03\" }\n"
	"vnis:\n"
	"  - vni: 100\n"
	"    access: [ { port: vm1, vlan: untagged } ]\n"
	"    remotes: [ 198.18.0.2 ]\n"
	"fdb:\n"
	"  - { vni: 100, mac: \"02:00:00:00:00:aa\", remote: 198.18.0.3 }\n"
	"fdb_capacity: 1024\n";

static struct rte_rcu_qsbr *qsbr;
static struct rte_ring *learn;
static struct dp_counters ctr_blocks[N_WORKERS];
static struct dp_counters *ctrs[N_WORKERS];
static struct dp_snap *snap;
static uint64_t fake_ms;
static struct conf *start_conf;
static struct ctl *c;
static char state_dir[64];

static uint64_t
clock_fn(void *arg)
{
	(void)arg;
	return fake_ms;
}

static struct ctl *
make(const char *yaml, const char *state_file)
{
	struct ctl_port ports[4] = {
		{ .name = "up", .id = 0, .underlay = true,
		  .mac = { .addr_bytes = { 0x02, 0, 0, 0, 0x0a, 0x01 } }, .n_rxq = 1 },
		{ .name = "vm1", .id = 1, .n_rxq = 1 },
		{ .name = "vm2", .id = 2, .n_rxq = 1 },
		{ .name = "vm3", .id = 3, .n_rxq = 1 },
	};
	struct ctl_params p = {
		.ports = ports, .n_ports = 4, .underlay = 0, .qsbr = qsbr, .learn = learn,
		.snap = &snap, .counters = ctrs, .n_workers = N_WORKERS,
		.clock_ms = clock_fn, .state_file = state_file,
	};
	struct conf_err err;
	char msg[512];
	struct ctl *x;

	conf_free(start_conf);
	start_conf = conf_load_string(yaml, strlen(yaml), "test.yaml", msg, sizeof(msg));
	if (start_conf == NULL)
		fail_msg("%s", msg);
	p.conf = start_conf;
	x = ctl_create(&p, &err);
	if (x == NULL)
		fail_msg("ctl_create: %s: %s", err.field, err.reason);
	return x;
}

static int
setup(void **state)
{
	unsigned i;

	(void)state;
	for (i = 0; i < N_WORKERS; i++) {
		memset(&ctr_blocks[i], 0, sizeof(ctr_blocks[i]));
		ctr_blocks[i].vni = calloc(CTL_MAX_VNIS, sizeof(struct vni_ctr));
		ctrs[i] = &ctr_blocks[i];
	}
	fake_ms = 1000;
	c = make(base_yaml, NULL);
	return 0;
}

static int
teardown(void **state)
{
	unsigned i;

	(void)state;
	ctl_free(c);
	c = NULL;
	assert_null(snap);
	for (i = 0; i < N_WORKERS; i++)
		free(ctr_blocks[i].vni);
	conf_free(start_conf);
	start_conf = NULL;
	return 0;
}

static struct conf_vni
vni_of(uint32_t vni, const char *port, uint16_t vlan, struct conf_access *acc,
       struct vtep_ip *remotes, unsigned n_remotes)
{
	struct conf_vni v;

	memset(&v, 0, sizeof(v));
	v.vni = vni;
	snprintf(acc->port, sizeof(acc->port), "%s", port);
	acc->vlan = vlan;
	v.access = acc;
	v.n_access = 1;
	v.remotes = remotes;
	v.n_remotes = n_remotes;
	v.learning = true;
	v.ageing = 300;
	v.flood_mode = CONF_FLOOD_HEAD_END;
	return v;
}

static struct vtep_ip
ip4(const char *s)
{
	struct vtep_ip ip;

	assert_int_equal(vtep_ip_parse(s, &ip), 0);
	return ip;
}

static uint64_t
snapshots(void)
{
	struct ctl_stats s;
	uint64_t n;

	assert_int_equal(ctl_stats_get(c, &s), 0);
	n = s.ctl[CTL_SNAPSHOTS];
	ctl_stats_release(&s);
	return n;
}

static uint64_t
fdb_dest_of(uint32_t vni, const char *mac_s)
{
	struct fdb_key k;
	const struct fdb_key *kp = &k;
	struct fdb_result r;
	struct rte_ether_addr mac;

	assert_int_equal(rte_ether_unformat_addr(mac_s, &mac), 0);
	fdb_key_set(&k, vni, &mac);
	fdb_lookup_bulk(ctl_fdb(c), &kp, 1, &r);
	return r.dest;
}

/* ---- tests --------------------------------------------------------------- */

static void
start_state_is_published(void **state)
{
	const struct dp_vni *v;

	(void)state;
	assert_non_null(snap);
	assert_int_equal(snap->n_vnis, 1);
	v = dp_vni_find(snap, 100);
	assert_non_null(v);
	assert_int_equal(v->bum.n_local, 1);
	assert_int_equal(v->bum.local[0].port, 1);
	assert_int_equal(v->bum.n_flood, 1);
	assert_true(snap->remotes[v->bum.flood[0]].resolved);
	assert_int_equal(snap->bind[1][CTL_UNTAGGED_SLOT], 1);
	assert_int_equal(fdb_dest_kind(fdb_dest_of(100, "02:00:00:00:00:aa")), FDB_KIND_REMOTE);
	assert_null(dp_vni_find(snap, 200));
}

static void
vni_put_creates_then_replaces(void **state)
{
	struct conf_access a;
	struct vtep_ip r = ip4("198.18.0.3");
	struct conf_vni v = vni_of(200, "vm2", 200, &a, &r, 1);
	struct conf_err err;
	const struct dp_vni *dv;

	(void)state;
	assert_int_equal(ctl_vni_put(c, &v, &err), 1);
	dv = dp_vni_find(snap, 200);
	assert_non_null(dv);
	assert_int_equal(dv->bum.local[0].port, 2);
	assert_int_equal(dv->bum.local[0].vlan, 200);
	assert_int_equal(snap->bind[2][200], (uint32_t)(dv - snap->vnis) + 1);
	/* the same again: replaced, idempotent */
	assert_int_equal(ctl_vni_put(c, &v, &err), 0);
	v.learning = false;
	assert_int_equal(ctl_vni_put(c, &v, &err), 0);
	assert_false(dp_vni_find(snap, 200)->learning);
	assert_int_equal(ctl_conf(c)->n_vnis, 2);
}

static void
vni_put_binding_conflict_changes_nothing(void **state)
{
	struct conf_access a;
	struct conf_vni v = vni_of(300, "vm1", CONF_VLAN_UNTAGGED, &a, NULL, 0);
	struct conf_err err;
	uint64_t before = snapshots();

	(void)state;
	memset(&err, 0, sizeof(err));
	assert_int_equal(ctl_vni_put(c, &v, &err), -EINVAL);
	assert_non_null(strstr(err.field, "access"));
	assert_true(err.reason[0] != '\0');
	assert_null(dp_vni_find(snap, 300));
	assert_int_equal(ctl_conf(c)->n_vnis, 1);
	assert_int_equal(snapshots(), before);
}

static void
vni_put_refuses_unknown_port_with_the_rules_words(void **state)
{
	struct conf_access a;
	struct conf_vni v = vni_of(300, "nope", 10, &a, NULL, 0);
	struct conf_err err;

	(void)state;
	memset(&err, 0, sizeof(err));
	assert_int_equal(ctl_vni_put(c, &v, &err), -EINVAL);
	assert_non_null(strstr(err.field, "access[0].port"));
	assert_non_null(strstr(err.reason, "nope"));
}

/* flood: multicast: one template per group, shared by the VNIs that use
 * it, with the group's MAC and mcast_ttl; the decap classifier gets the
 * groups. */
static void
vni_put_multicast_floods_to_the_group(void **state)
{
	static const uint8_t gmac[6] = { 0x01, 0x00, 0x5e, 0x01, 0x01, 0x01 };
	struct conf_access a1, a2, a3;
	struct conf_vni v1 = vni_of(300, "vm2", 30, &a1, NULL, 0);
	struct conf_vni v2 = vni_of(301, "vm2", 31, &a2, NULL, 0);
	struct conf_vni v3 = vni_of(302, "vm3", 32, &a3, NULL, 0);
	const struct dp_vni *d1, *d2, *d3;
	const struct bum_remote *g;
	struct conf_err err;

	(void)state;
	v1.flood_mode = v2.flood_mode = v3.flood_mode = CONF_FLOOD_MULTICAST;
	v1.group = v2.group = ip4("239.1.1.1");
	v3.group = ip4("239.129.1.2");
	memset(&err, 0, sizeof(err));
	assert_true(ctl_vni_put(c, &v1, &err) >= 0);
	assert_true(ctl_vni_put(c, &v2, &err) >= 0);
	assert_true(ctl_vni_put(c, &v3, &err) >= 0);
	d1 = dp_vni_find(snap, 300);
	d2 = dp_vni_find(snap, 301);
	d3 = dp_vni_find(snap, 302);
	assert_non_null(d1);
	assert_non_null(d3);
	assert_int_equal(snap->n_groups, 2);
	assert_int_equal(snap->decap.n_groups, 2);
	assert_true(vtep_decap_joined(&snap->decap, ip4("239.1.1.1").v4));
	assert_false(vtep_decap_joined(&snap->decap, ip4("239.1.1.3").v4));
	assert_true(d1->bum.mcast);
	assert_int_equal(d1->bum.n_flood, 1);
	assert_int_equal(d2->bum.n_flood, 1);
	assert_int_equal(d1->bum.flood[0], d2->bum.flood[0]);
	assert_int_not_equal(d1->bum.flood[0], d3->bum.flood[0]);
	assert_true(d1->bum.flood[0] >= snap->n_remotes);
	assert_int_equal(d1->group, ip4("239.1.1.1").v4);
	g = &snap->remotes[d1->bum.flood[0]];
	assert_true(g->resolved);
	assert_memory_equal(g->tmpl.hdr.eth.dst_addr.addr_bytes, gmac, 6);
	assert_int_equal(g->tmpl.hdr.ip.dst_addr, ip4("239.1.1.1").v4);
	assert_int_equal(g->tmpl.hdr.ip.time_to_live, 1);
	/* 239.129.1.2: only the low 23 bits make the MAC. */
	g = &snap->remotes[d3->bum.flood[0]];
	assert_int_equal(g->tmpl.hdr.eth.dst_addr.addr_bytes[3], 0x01);
	assert_int_equal(ctl_conf(c)->n_vnis, 4);
}

static void
vni_del_takes_entries_and_counters(void **state)
{
	struct conf_access a;
	struct conf_vni v = vni_of(200, "vm2", 5, &a, NULL, 0);
	struct conf_fdb e;
	struct conf_err err;
	const struct dp_vni *dv;
	uint16_t slot;
	unsigned w;

	(void)state;
	assert_int_equal(ctl_vni_del(c, 200, &err), -ENOENT);
	assert_int_equal(ctl_vni_put(c, &v, &err), 1);
	memset(&e, 0, sizeof(e));
	e.vni = 200;
	memcpy(e.mac, (uint8_t[]){ 2, 0, 0, 0, 2, 1 }, 6);
	e.is_remote = true;
	e.remote = ip4("198.18.0.2");
	assert_int_equal(ctl_fdb_add(c, &e, &err), 1);
	dv = dp_vni_find(snap, 200);
	slot = dv->slot;
	/* the workers counted something on it */
	for (w = 0; w < N_WORKERS; w++)
		ctrs[w]->vni[slot].c[CTL_VNI_ENCAP_PACKETS] = 7;

	assert_int_equal(ctl_vni_del(c, 200, &err), 0);
	assert_null(dp_vni_find(snap, 200));
	assert_int_equal(fdb_dest_of(200, "02:00:00:00:02:01"), 0);
	assert_int_equal(ctl_conf(c)->n_fdb, 1);

	/* Created again, it starts from zero, whichever slot it gets. */
	assert_int_equal(ctl_vni_put(c, &v, &err), 1);
	dv = dp_vni_find(snap, 200);
	for (w = 0; w < N_WORKERS; w++)
		assert_int_equal(ctrs[w]->vni[dv->slot].c[CTL_VNI_ENCAP_PACKETS], 0);
}

static void
slots_are_reused(void **state)
{
	struct conf_access a;
	struct conf_vni v;
	struct conf_err err;
	unsigned i;

	(void)state;
	/* Every slot taken, in one batch: VNI 100 and all but one more, on
	 * VLANs 1-4094 of vm2, vm1, then vm3. */
	static const char *const port[] = { "vm2", "vm1", "vm3" };

	assert_int_equal(ctl_batch_begin(c), 0);
	for (i = 0; i < CTL_MAX_VNIS - 1; i++) {
		v = vni_of(10000 + i, port[i / 4094], (uint16_t)(i % 4094 + 1), &a, NULL, 0);
		assert_int_equal(ctl_vni_put(c, &v, &err), 1);
	}
	assert_int_equal(ctl_batch_commit(c, &err), 0);
	assert_int_equal(snap->n_vnis, CTL_MAX_VNIS);
	v = vni_of(99999, "vm3", 4000, &a, NULL, 0);
	assert_int_equal(ctl_vni_put(c, &v, &err), -ENOSPC);
	/* A deleted VNI gives its slot back. */
	assert_int_equal(ctl_vni_del(c, 10000, &err), 0);
	v = vni_of(99999, "vm2", 1, &a, NULL, 0);
	assert_int_equal(ctl_vni_put(c, &v, &err), 1);
	assert_non_null(dp_vni_find(snap, 99999));
}

static void
remotes_are_shared_and_counted(void **state)
{
	struct conf_access a1, a2;
	struct vtep_ip r = ip4("198.18.0.3");
	struct conf_vni v1 = vni_of(201, "vm2", 1, &a1, &r, 1);
	struct conf_vni v2 = vni_of(202, "vm2", 2, &a2, &r, 1);
	struct conf_err err;
	const struct dp_vni *dv;

	(void)state;
	assert_int_equal(ctl_vni_put(c, &v1, &err), 1);
	assert_int_equal(ctl_vni_put(c, &v2, &err), 1);
	assert_int_equal(ctl_vni_del(c, 201, &err), 0);
	/* .3 is still in 202's flood list and behind the static entry */
	dv = dp_vni_find(snap, 202);
	assert_int_equal(dv->bum.n_flood, 1);
	assert_true(snap->remotes[dv->bum.flood[0]].resolved);
	assert_int_equal(snap->remotes[dv->bum.flood[0]].ip.v4, r.v4);
	assert_int_equal(ctl_flood_add(c, 202, &r, &err), 0);   /* already there */
	assert_int_equal(ctl_flood_del(c, 202, &r, &err), 0);
	assert_int_equal(ctl_flood_del(c, 202, &r, &err), -ENOENT);
	assert_int_equal(dp_vni_find(snap, 202)->bum.n_flood, 0);
	/* the static entry of VNI 100 still holds .3 */
	assert_int_equal(fdb_dest_kind(fdb_dest_of(100, "02:00:00:00:00:aa")), FDB_KIND_REMOTE);
	assert_int_equal(ctl_flood_add(c, 202, &r, &err), 1);
	dv = dp_vni_find(snap, 202);
	assert_int_equal(snap->remotes[dv->bum.flood[0]].ip.v4, r.v4);
	assert_int_equal(ctl_flood_add(c, 999, &r, &err), -ENOENT);
}

static void
fdb_static_add_del_flush(void **state)
{
	struct conf_fdb e;
	struct conf_err err;
	struct rte_ether_addr mac;
	struct fdb_learn_event ev;

	(void)state;
	memset(&e, 0, sizeof(e));
	e.vni = 100;
	memcpy(e.mac, (uint8_t[]){ 2, 0, 0, 0, 1, 1 }, 6);
	snprintf(e.local.port, sizeof(e.local.port), "vm1");
	e.local.vlan = CONF_VLAN_UNTAGGED;
	assert_int_equal(ctl_fdb_add(c, &e, &err), 1);
	assert_int_equal(ctl_fdb_add(c, &e, &err), 0);
	assert_int_equal(fdb_dest_kind(fdb_dest_of(100, "02:00:00:00:01:01")), FDB_KIND_LOCAL);
	e.is_remote = true;
	e.remote = ip4("198.18.0.2");
	assert_int_equal(ctl_fdb_add(c, &e, &err), -EEXIST);
	e.vni = 4242;
	assert_int_equal(ctl_fdb_add(c, &e, &err), -ENOENT);

	/* a learned entry, through the ring as a worker posts it */
	memset(&ev, 0, sizeof(ev));
	ev.vni = 100;
	rte_ether_unformat_addr("02:00:00:00:03:03", &ev.mac);
	ev.kind = FDB_KIND_REMOTE;
	ev.remote = ip4("198.18.0.2");
	assert_int_equal(fdb_learn_post(learn, &ev, 1), 1);
	ctl_poll(c);
	assert_int_equal(fdb_dest_kind(fdb_dest_of(100, "02:00:00:00:03:03")), FDB_KIND_REMOTE);
	/* learned entries are no configuration */
	assert_int_equal(ctl_conf(c)->n_fdb, 2);

	assert_int_equal(ctl_fdb_flush(c, 100, FDB_FLUSH_LEARNED, &err), 1);
	assert_int_equal(fdb_dest_of(100, "02:00:00:00:03:03"), 0);
	assert_int_equal(fdb_dest_kind(fdb_dest_of(100, "02:00:00:00:01:01")), FDB_KIND_LOCAL);

	rte_ether_unformat_addr("02:00:00:00:01:01", &mac);
	assert_int_equal(ctl_fdb_del(c, 100, &mac, &err), 0);
	assert_int_equal(ctl_fdb_del(c, 100, &mac, &err), -ENOENT);
	assert_int_equal(fdb_dest_of(100, "02:00:00:00:01:01"), 0);
	assert_int_equal(ctl_fdb_flush(c, 100, FDB_FLUSH_STATIC, &err), 1);
	assert_int_equal(ctl_conf(c)->n_fdb, 0);
}

/* Learned entries age on the writer's clock, which the test drives. */
static void
learned_entry_ages_on_the_clock(void **state)
{
	struct fdb_learn_event ev;
	struct ctl_stats s;
	unsigned i;

	(void)state;
	memset(&ev, 0, sizeof(ev));
	ev.vni = 100;
	rte_ether_unformat_addr("02:00:00:00:04:04", &ev.mac);
	ev.kind = FDB_KIND_REMOTE;
	ev.remote = ip4("198.18.0.2");
	assert_int_equal(fdb_learn_post(learn, &ev, 1), 1);
	ctl_poll(c);
	assert_int_equal(fdb_dest_kind(fdb_dest_of(100, "02:00:00:00:04:04")), FDB_KIND_REMOTE);
	/* 299 s later it is still there (ageing 300 s)... */
	fake_ms += 299 * 1000;
	for (i = 0; i < 3; i++)
		ctl_poll(c);
	assert_int_equal(fdb_dest_kind(fdb_dest_of(100, "02:00:00:00:04:04")), FDB_KIND_REMOTE);
	/* ...and gone once 300 s have passed without a frame. */
	fake_ms += 3 * 1000;
	for (i = 0; i < 3; i++) {
		fake_ms += 1000;
		ctl_poll(c);
	}
	assert_int_equal(fdb_dest_of(100, "02:00:00:00:04:04"), 0);
	assert_int_equal(ctl_stats_get(c, &s), 0);
	assert_int_equal(s.fdb.aged, 1);
	ctl_stats_release(&s);
	/* the static entry never ages */
	assert_int_equal(fdb_dest_kind(fdb_dest_of(100, "02:00:00:00:00:aa")), FDB_KIND_REMOTE);
}

static void
batch_publishes_once_and_abort_changes_nothing(void **state)
{
	struct conf_access a[3];
	struct conf_vni v;
	struct conf_err err;
	uint64_t before = snapshots();
	unsigned i;

	(void)state;
	assert_int_equal(ctl_batch_begin(c), 0);
	assert_int_equal(ctl_batch_begin(c), -EBUSY);
	for (i = 0; i < 3; i++) {
		v = vni_of(500 + i, "vm2", (uint16_t)(500 + i), &a[i], NULL, 0);
		assert_int_equal(ctl_vni_put(c, &v, &err), 1);
	}
	/* nothing is visible before the commit */
	assert_null(dp_vni_find(snap, 500));
	assert_int_equal(ctl_batch_commit(c, &err), 0);
	assert_int_equal(snapshots(), before + 1);
	for (i = 0; i < 3; i++)
		assert_non_null(dp_vni_find(snap, 500 + i));

	before = snapshots();
	assert_int_equal(ctl_batch_begin(c), 0);
	assert_int_equal(ctl_vni_del(c, 500, &err), 0);
	ctl_batch_abort(c);
	assert_non_null(dp_vni_find(snap, 500));
	assert_int_equal(snapshots(), before);

	/* A batch with one bad operation is refused whole. */
	assert_int_equal(ctl_batch_begin(c), 0);
	assert_int_equal(ctl_vni_del(c, 501, &err), 0);
	v = vni_of(600, "vm1", CONF_VLAN_UNTAGGED, &a[0], NULL, 0);  /* vm1 untagged is 100's */
	assert_int_equal(ctl_vni_put(c, &v, &err), 1);
	assert_int_equal(ctl_batch_commit(c, &err), -EINVAL);
	assert_non_null(dp_vni_find(snap, 501));
	assert_null(dp_vni_find(snap, 600));
}

static void
underlay_set_changes_live_fields_only(void **state)
{
	struct conf_underlay u = ctl_conf(c)->underlay;
	struct conf_err err;
	const struct dp_vni *v = dp_vni_find(snap, 100);

	(void)state;
	assert_int_equal(snap->remotes[v->bum.flood[0]].tmpl.hdr.ip.time_to_live, 64);
	u.ttl = 9;
	u.mtu = 1400;
	assert_int_equal(ctl_underlay_set(c, &u, &err), 0);
	v = dp_vni_find(snap, 100);
	assert_int_equal(snap->remotes[v->bum.flood[0]].tmpl.hdr.ip.time_to_live, 9);
	assert_int_equal(snap->encap.ttl, 9);
	assert_int_equal(snap->encap.mtu, 1400);
	/* The running one again: its neighbours array was the old model's. */
	u = ctl_conf(c)->underlay;
	u.udp_port = 4790;
	assert_int_equal(ctl_underlay_set(c, &u, &err), -EINVAL);
	assert_string_equal(err.field, "underlay.udp_port");
	assert_int_equal(ctl_conf(c)->underlay.udp_port, 4789);
	u = ctl_conf(c)->underlay;
	u.ttl = 0;  /* out of range for the rules */
	assert_int_equal(ctl_underlay_set(c, &u, &err), -EINVAL);
	assert_int_equal(snap->encap.ttl, 9);
}

static void
config_apply_dry_run_then_apply(void **state)
{
	static const char target_yaml[] =
		"ports:\n"
		"  - { name: up, devargs: net_null0, role: underlay }\n"
		"  - { name: vm1, devargs: net_null1, role: access }\n"
		"  - { name: vm2, devargs: net_null2, role: access }\n"
		"  - { name: vm3, devargs: net_null3, role: access }\n"
		"underlay:\n"
		"  port: up\n"
		"  address: 198.18.0.1/24\n"
		"  ttl: 32\n"
		"  neighbors:\n"
		"    - { ip: 198.18.0.2, mac: \"02:00:00:00:0a:02\" }\n"
		"    - { ip: 198.18.0.3, mac: \"02:00:00:00:0a:03\" }\n"
		"vnis:\n"
		"  - vni: 700\n"
		"    access: [ { port: vm2, vlan: 70 } ]\n"
		"fdb_capacity: 1024\n";
	char msg[512], *diff = NULL;
	struct conf *t = conf_load_string(target_yaml, sizeof(target_yaml) - 1, "t.yaml", msg,
					  sizeof(msg));
	struct conf_err err;
	uint64_t before = snapshots();

	(void)state;
	assert_non_null(t);
	/* - vni 100, + vni 700, - its fdb entry, ~ ttl */
	assert_int_equal(ctl_config_apply(c, t, true, &diff, &err), 4);
	assert_non_null(strstr(diff, "+ vni 700"));
	assert_non_null(strstr(diff, "- vni 100"));
	free(diff);
	assert_non_null(dp_vni_find(snap, 100));
	assert_int_equal(snapshots(), before);

	assert_int_equal(ctl_config_apply(c, t, false, NULL, &err), 4);
	assert_null(dp_vni_find(snap, 100));
	assert_non_null(dp_vni_find(snap, 700));
	assert_int_equal(snap->encap.ttl, 32);
	assert_int_equal(fdb_dest_of(100, "02:00:00:00:00:aa"), 0);
	assert_int_equal(snapshots(), before + 1);
	/* nothing left to do */
	assert_int_equal(ctl_config_apply(c, t, false, NULL, &err), 0);
	/* what needs a restart is refused by name, not ignored */
	t->fdb_capacity = 2048;
	assert_int_equal(ctl_config_apply(c, t, false, NULL, &err), -EINVAL);
	assert_string_equal(err.field, "fdb_capacity");
	t->fdb_capacity = ctl_conf(c)->fdb_capacity;
	t->n_ports--;
	assert_int_equal(ctl_config_apply(c, t, false, NULL, &err), -EINVAL);
	assert_string_equal(err.field, "ports");
	t->n_ports++;
	conf_free(t);
}

static void
state_file_holds_each_change(void **state)
{
	char path[128], msg[512];
	struct conf_access a;
	struct conf_vni v = vni_of(800, "vm2", 80, &a, NULL, 0);
	struct conf_err err;
	struct conf *back;
	struct stat st;

	(void)state;
	ctl_free(c);
	snprintf(path, sizeof(path), "%s/state.yaml", state_dir);
	unlink(path);
	c = make(base_yaml, path);
	/* the start is not a change */
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(ctl_vni_put(c, &v, &err), 1);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	back = conf_load(path, msg, sizeof(msg));
	if (back == NULL)
		fail_msg("%s", msg);
	assert_int_equal(back->n_vnis, 2);
	assert_int_equal(back->n_fdb, 1);
	conf_free(back);
	unlink(path);
}

static void
state_file_failure_rolls_back(void **state)
{
	struct conf_access a;
	struct conf_vni v = vni_of(900, "vm2", 90, &a, NULL, 0);
	struct conf_err err;

	(void)state;
	ctl_free(c);
	c = make(base_yaml, "/nonexistent-dir/vtep/state.yaml");
	assert_int_equal(ctl_vni_put(c, &v, &err), -EIO);
	assert_null(dp_vni_find(snap, 900));
	assert_int_equal(ctl_conf(c)->n_vnis, 1);
	assert_non_null(dp_vni_find(snap, 100));
}

/* The users of the neighbour @ip: one per remote VTEP that needs it. */
static int
neigh_users_cb(void *arg, const struct neigh_info *n)
{
	uint32_t *want = arg;

	if (n->ip == want[0])
		want[1] = n->users;
	return 0;
}

static uint32_t
neigh_users(const char *ip)
{
	uint32_t want[2] = { ip4(ip).v4, 999 };

	ctl_neigh_walk(c, neigh_users_cb, want);
	return want[1];
}

/* A whole configuration refused half way (more VNIs than counter slots)
 * leaves every remote held exactly as before: once the last user goes,
 * the remote goes, and its neighbour has no user left. */
static void
refused_apply_keeps_references_right(void **state)
{
	static const char *const port[] = { "vm2", "vm1", "vm3" };
	struct conf *t = conf_dup(ctl_conf(c));
	struct conf_access *acc;
	struct conf_err err;
	unsigned i, n = CTL_MAX_VNIS + 1;

	(void)state;
	assert_int_equal(neigh_users("198.18.0.2"), 1);
	assert_int_equal(neigh_users("198.18.0.3"), 1);
	/* VNI 100 (and its static entry) out, 8 193 others in. */
	for (i = 0; i < t->n_vnis; i++) {
		free(t->vnis[i].access);
		free(t->vnis[i].remotes);
	}
	free(t->vnis);
	t->n_fdb = 0;
	t->vnis = calloc(n, sizeof(*t->vnis));
	acc = calloc(n, sizeof(*acc));
	for (i = 0; i < n; i++) {
		struct conf_vni *v = &t->vnis[i];

		v->vni = 20000 + i;
		v->access = malloc(sizeof(*v->access));
		snprintf(v->access->port, sizeof(v->access->port), "%s", port[i / 4094]);
		v->access->vlan = (uint16_t)(i % 4094 + 1);
		v->n_access = 1;
		v->learning = true;
		v->ageing = 300;
	}
	t->n_vnis = n;
	free(acc);
	assert_int_equal(ctl_config_apply(c, t, false, NULL, &err), -ENOSPC);
	assert_non_null(strstr(err.reason, "counter slots"));
	conf_free(t);
	assert_non_null(dp_vni_find(snap, 100));
	assert_null(dp_vni_find(snap, 20000));
	assert_int_equal(neigh_users("198.18.0.2"), 1);
	assert_int_equal(neigh_users("198.18.0.3"), 1);
	assert_int_equal(ctl_vni_del(c, 100, &err), 0);
	ctl_poll(c);
	assert_int_equal(neigh_users("198.18.0.2"), 0);
	assert_int_equal(neigh_users("198.18.0.3"), 0);
}

/* A static entry over a learned one with the same remote takes no second
 * reference: deleting the VNI lets the remote go. */
static void
static_over_learned_holds_once(void **state)
{
	struct fdb_learn_event ev;
	struct conf_fdb e;
	struct conf_access a;
	struct vtep_ip r4 = ip4("198.18.0.2");
	struct conf_vni v = vni_of(300, "vm2", 30, &a, NULL, 0);
	struct conf_err err;

	(void)state;
	assert_int_equal(ctl_vni_put(c, &v, &err), 1);
	memset(&ev, 0, sizeof(ev));
	ev.vni = 300;
	rte_ether_unformat_addr("02:00:00:00:05:05", &ev.mac);
	ev.kind = FDB_KIND_REMOTE;
	ev.remote = r4;
	assert_int_equal(fdb_learn_post(learn, &ev, 1), 1);
	ctl_poll(c);
	memset(&e, 0, sizeof(e));
	e.vni = 300;
	memcpy(e.mac, ev.mac.addr_bytes, 6);
	e.is_remote = true;
	e.remote = r4;
	assert_int_equal(ctl_fdb_add(c, &e, &err), 1);
	/* VNI 100 still floods to .2; then neither VNI holds it */
	assert_int_equal(ctl_vni_del(c, 300, &err), 0);
	assert_int_equal(ctl_vni_del(c, 100, &err), 0);
	ctl_poll(c);
	assert_int_equal(neigh_users("198.18.0.2"), 0);
}

struct call_arg {
	int result;
};

static int
put_from_thread(struct ctl *x, void *arg)
{
	struct conf_access a;
	struct conf_vni v = vni_of(1234, "vm2", 12, &a, NULL, 0);
	struct conf_err err;

	(void)arg;
	return ctl_vni_put(x, &v, &err);
}

static void *
caller(void *arg)
{
	struct call_arg *ca = arg;

	__atomic_store_n(&ca->result, ctl_call(c, put_from_thread, NULL), __ATOMIC_RELEASE);
	return NULL;
}

static void
call_runs_on_the_control_thread(void **state)
{
	struct call_arg ca = { .result = -999 };
	pthread_t t;
	unsigned i;

	(void)state;
	assert_int_equal(pthread_create(&t, NULL, caller, &ca), 0);
	/* It waits for ctl_poll(); bounded: 10 s. */
	for (i = 0; i < 10000 && __atomic_load_n(&ca.result, __ATOMIC_ACQUIRE) == -999; i++) {
		ctl_poll(c);
		usleep(1000);
	}
	pthread_join(t, NULL);
	assert_int_equal(ca.result, 1);
	assert_non_null(dp_vni_find(snap, 1234));
	ctl_call_shutdown(c);
	assert_int_equal(ctl_call(c, put_from_thread, NULL), -ESHUTDOWN);
}

struct group_arg {
	uint32_t vni;
	int result;
};

static int
put_group_fn(struct ctl *x, void *arg)
{
	struct group_arg *g = arg;
	struct conf_access a;
	struct conf_vni v = vni_of(g->vni, "vm2", (uint16_t)(g->vni - 2000 + 1), &a, NULL, 0);
	struct conf_err err;

	return ctl_vni_put(x, &v, &err);
}

static void *
group_caller(void *arg)
{
	struct group_arg *g = arg;

	__atomic_store_n(&g->result, ctl_call(c, put_group_fn, g), __ATOMIC_RELEASE);
	return NULL;
}

/* Eight threads at once: all answered after the state file has them all
 * (or, when it cannot be written, all refused and nothing changed). */
static void
run_group(struct group_arg *g, unsigned n)
{
	pthread_t t[8];
	unsigned i, k, left;

	for (i = 0; i < n; i++) {
		g[i].vni = 2000 + i;
		g[i].result = -999;
		assert_int_equal(pthread_create(&t[i], NULL, group_caller, &g[i]), 0);
	}
	for (k = 0; k < 10000; k++) {
		ctl_poll(c);
		for (i = 0, left = 0; i < n; i++)
			left += __atomic_load_n(&g[i].result, __ATOMIC_ACQUIRE) == -999;
		if (left == 0)
			break;
		usleep(1000);
	}
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
}

static void
concurrent_calls_persist_together(void **state)
{
	struct group_arg g[8];
	char path[128], msg[512];
	struct conf *back;
	unsigned i;

	(void)state;
	ctl_free(c);
	snprintf(path, sizeof(path), "%s/group.yaml", state_dir);
	unlink(path);
	c = make(base_yaml, path);
	run_group(g, 8);
	for (i = 0; i < 8; i++) {
		assert_int_equal(g[i].result, 1);
		assert_non_null(dp_vni_find(snap, 2000 + i));
	}
	back = conf_load(path, msg, sizeof(msg));
	if (back == NULL)
		fail_msg("%s", msg);
	assert_int_equal(back->n_vnis, 9);
	conf_free(back);
	unlink(path);

	ctl_free(c);
	c = make(base_yaml, "/nonexistent-dir/vtep/group.yaml");
	run_group(g, 8);
	for (i = 0; i < 8; i++) {
		assert_int_equal(g[i].result, -EIO);
		assert_null(dp_vni_find(snap, 2000 + i));
	}
	assert_int_equal(ctl_conf(c)->n_vnis, 1);
}

static void
stats_sum_the_workers(void **state)
{
	const struct dp_vni *v = dp_vni_find(snap, 100);
	struct ctl_stats s;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	ctrs[0]->vni[v->slot].c[CTL_VNI_DECAP_PACKETS] = 3;
	ctrs[1]->vni[v->slot].c[CTL_VNI_DECAP_PACKETS] = 4;
	ctrs[0]->drops[VTEP_DROP_UNKNOWN_VNI] = 2;
	ctrs[1]->drops[VTEP_DROP_UNKNOWN_VNI] = 5;
	ctrs[1]->port[1].c[CTL_PORT_RX_PACKETS] = 11;
	ctrs[0]->w[CTL_WORKER_LEARN_POSTED] = 1;
	ctrs[1]->w[CTL_WORKER_LEARN_POSTED] = 1;
	assert_int_equal(ctl_stats_get(c, &s), 0);
	assert_int_equal(s.n_vnis, 1);
	assert_int_equal(s.vnis[0].c[CTL_VNI_DECAP_PACKETS], 7);
	assert_int_equal(s.vnis[0].fdb_entries, 1);
	assert_int_equal(s.drops[VTEP_DROP_UNKNOWN_VNI], 7);
	assert_int_equal(s.ports[1].c[CTL_PORT_RX_PACKETS], 11);
	assert_int_equal(s.workers[1].rx_packets, 11);
	assert_int_equal(s.worker[CTL_WORKER_LEARN_POSTED], 2);
	f = open_memstream(&buf, &len);
	ctl_stats_print(c, &s, f);
	fclose(f);
	assert_non_null(strstr(buf, "vni.100.decap_packets 7\n"));
	assert_non_null(strstr(buf, "drop.unknown_vni 7\n"));
	assert_non_null(strstr(buf, "learn.posted 2\n"));
	assert_non_null(strstr(buf, "port.vm1.rx_packets 11\n"));
	assert_non_null(strstr(buf, "neigh.198.18.0.2 static"));
	assert_string_equal(ctl_vni_ctr_name(CTL_VNI_ENCAP_PACKETS), "encap_packets");
	assert_string_equal(ctl_worker_ctr_name(CTL_WORKER_LEARN_RING_FULL), "learn.ring_full");
	assert_true(strlen(ctl_ctr_help(CTL_SNAPSHOTS)) > 0);
	free(buf);
	ctl_stats_release(&s);
}

/* Storm control: each worker gets its share of the VNI's limit, with a
 * tenth of a second of it as burst; a replaced VNI gets the new limit. */
static void
storm_limit_shared_by_workers(void **state)
{
	struct conf_access a;
	struct vtep_ip r = ip4("198.18.0.2");
	struct conf_vni v = vni_of(100, "vm1", CONF_VLAN_UNTAGGED, &a, &r, 1);
	struct conf_err err;
	const struct dp_vni *dv;

	(void)state;
	assert_int_equal(dp_vni_find(snap, 100)->bum.limit_pps, 0);
	v.bum_limit_pps = 1001;
	assert_int_equal(ctl_vni_put(c, &v, &err), 0);
	dv = dp_vni_find(snap, 100);
	assert_int_equal(dv->bum.limit_pps, (1001 + N_WORKERS - 1) / N_WORKERS);
	assert_int_equal(dv->bum.limit_burst, dv->bum.limit_pps / 10);
	v.bum_limit_pps = 3;
	assert_int_equal(ctl_vni_put(c, &v, &err), 0);
	dv = dp_vni_find(snap, 100);
	assert_int_equal(dv->bum.limit_burst, 1);
}

/* A service-node VNI floods to its service node alone, which it holds as
 * a remote; a replicator's flag reaches the snapshot; switching modes
 * moves the references. */
static void
service_node_and_replicator(void **state)
{
	struct conf_access a;
	struct vtep_ip r = ip4("198.18.0.2");
	struct conf_vni v = vni_of(100, "vm1", CONF_VLAN_UNTAGGED, &a, &r, 1);
	struct conf_err err;
	const struct dp_vni *dv;

	(void)state;
	v.replicator = true;
	assert_int_equal(ctl_vni_put(c, &v, &err), 0);
	dv = dp_vni_find(snap, 100);
	assert_true(dv->bum.replicator);
	assert_int_equal(dv->bum.n_flood, 1);
	v.replicator = false;
	v.flood_mode = CONF_FLOOD_SERVICE_NODE;
	v.remotes = NULL;
	v.n_remotes = 0;
	v.service_node = ip4("198.18.0.3");
	assert_int_equal(ctl_vni_put(c, &v, &err), 0);
	dv = dp_vni_find(snap, 100);
	assert_false(dv->bum.replicator);
	assert_int_equal(dv->bum.n_flood, 1);
	assert_int_equal(snap->remotes[dv->bum.flood[0]].ip.v4, v.service_node.v4);
	assert_true(snap->remotes[dv->bum.flood[0]].resolved);
	/* Back to head-end with no list: nothing to flood to. */
	v.flood_mode = CONF_FLOOD_HEAD_END;
	memset(&v.service_node, 0, sizeof(v.service_node));
	assert_int_equal(ctl_vni_put(c, &v, &err), 0);
	assert_int_equal(dp_vni_find(snap, 100)->bum.n_flood, 0);
}

/* The busy ratio is that of the last interval, per worker, not since
 * start; the gauges count neighbours by state and the learn ring. */
static void
stats_busy_ratio_and_gauges(void **state)
{
	struct ctl_stats s;

	(void)state;
	ctl_poll(c);                    /* the first interval starts here */
	ctrs[0]->cycles_polled += 1000000;
	ctrs[0]->cycles_busy += 1000000;
	fake_ms += CTL_LOAD_INTERVAL_MS;
	ctl_poll(c);
	assert_int_equal(ctl_stats_get(c, &s), 0);
	assert_true(s.workers[0].busy_ratio > 0.999 && s.workers[0].busy_ratio <= 1.0);
	if (N_WORKERS > 1)
		assert_true(s.workers[1].busy_ratio == 0.0);
	assert_int_equal(s.workers[0].cycles_busy, 1000000);
	ctl_stats_release(&s);
	/* A quarter busy in the next interval: the old one is forgotten. */
	ctrs[0]->cycles_polled += 4000000;
	ctrs[0]->cycles_busy += 1000000;
	fake_ms += CTL_LOAD_INTERVAL_MS / 2;
	ctl_poll(c);                    /* not over yet: still the last ratio */
	assert_int_equal(ctl_stats_get(c, &s), 0);
	assert_true(s.workers[0].busy_ratio > 0.999);
	ctl_stats_release(&s);
	fake_ms += CTL_LOAD_INTERVAL_MS / 2;
	ctl_poll(c);
	assert_int_equal(ctl_stats_get(c, &s), 0);
	assert_true(s.workers[0].busy_ratio > 0.249 && s.workers[0].busy_ratio < 0.251);
	assert_int_equal(s.neighbors[NEIGH_STATIC], 2);
	assert_int_equal(s.neighbors[NEIGH_REACHABLE], 0);
	assert_int_equal(s.n_rings, 1);
	assert_int_equal(s.rings[0].size, rte_ring_get_capacity(learn));
	assert_int_equal(s.rings[0].used, 0);
	assert_int_equal(s.vnis[0].fdb_entries, 1);
	assert_int_equal(s.vnis[0].fdb_learned, 0);
	ctl_stats_release(&s);
}

/* ---- ARP suppression ------------------------------------------------------ */

static const char arp_yaml[] =
	"ports:\n"
	"  - { name: up, devargs: net_null0, role: underlay }\n"
	"  - { name: vm1, devargs: net_null1, role: access }\n"
	"  - { name: vm2, devargs: net_null2, role: access }\n"
	"  - { name: vm3, devargs: net_null3, role: access }\n"
	"underlay:\n"
	"  port: up\n"
	"  address: 198.18.0.1/24\n"
	"vnis:\n"
	"  - vni: 100\n"
	"    access: [ { port: vm1, vlan: untagged } ]\n"
	"    arp_suppress: true\n"
	"    ageing: 10\n"
	"    neighbors:\n"
	"      - { ip: 10.0.0.5, mac: \"02:00:00:00:00:05\" }\n"
	"  - vni: 200\n"
	"    access: [ { port: vm2, vlan: untagged } ]\n"
	"fdb_capacity: 1024\n";

/* The MAC the ARP table gives for @ip in @vni; 0 dest on a miss. */
static uint64_t
arp_dest_of(uint32_t vni, const char *ip_s, struct rte_ether_addr *mac)
{
	struct fdb_key k;
	const struct fdb_key *kp = &k;
	struct fdb_result r;

	fdb_ip_key_set(&k, vni, ip4(ip_s).v4);
	fdb_lookup_bulk(ctl_arp(c), &kp, 1, &r);
	if (mac != NULL && r.dest != 0)
		fdb_dest_mac_get(r.dest, mac);
	return r.dest;
}

static bool
arp_has(uint32_t vni, const char *ip_s, const char *mac_s)
{
	struct rte_ether_addr got, want;

	assert_int_equal(rte_ether_unformat_addr(mac_s, &want), 0);
	if (arp_dest_of(vni, ip_s, &got) == 0)
		return false;
	return rte_is_same_ether_addr(&got, &want);
}

static void
arp_snoop_post(uint32_t vni, const char *ip_s, const char *mac_s)
{
	struct fdb_learn_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.vni = vni;
	assert_int_equal(rte_ether_unformat_addr(mac_s, &ev.mac), 0);
	ev.kind = FDB_KIND_MAC;
	ev.remote = ip4(ip_s);
	assert_int_equal(fdb_learn_post(learn, &ev, 1), 1);
	ctl_poll(c);
}

static uint64_t
vni_ctr(uint32_t vni, enum ctl_vni_ctr k)
{
	struct ctl_stats s;
	uint64_t v = UINT64_MAX;

	assert_int_equal(ctl_stats_get(c, &s), 0);
	for (unsigned i = 0; i < s.n_vnis; i++)
		if (s.vnis[i].vni == vni)
			v = s.vnis[i].c[k];
	ctl_stats_release(&s);
	return v;
}

static void
arp_dest_packs_a_mac_and_keys_by_address(void **state)
{
	struct rte_ether_addr m = { .addr_bytes = { 0x02, 0x11, 0x22, 0x33, 0x44, 0xff } }, back;
	struct fdb_key a, b, a2;
	uint64_t d = fdb_dest_mac(&m);

	(void)state;
	assert_int_equal(fdb_dest_kind(d), FDB_KIND_MAC);
	assert_int_equal(fdb_dest_flags(d), 0);
	fdb_dest_mac_get(d, &back);
	assert_true(rte_is_same_ether_addr(&m, &back));
	/* Flags do not touch the MAC; another MAC is another place. */
	fdb_dest_mac_get(d | ((uint64_t)FDB_F_STATIC << 8), &back);
	assert_true(rte_is_same_ether_addr(&m, &back));
	back.addr_bytes[5] ^= 1;
	assert_true(fdb_dest_where(fdb_dest_mac(&back)) != fdb_dest_where(d));
	fdb_ip_key_set(&a, 100, ip4("10.0.0.1").v4);
	fdb_ip_key_set(&a2, 100, ip4("10.0.0.1").v4);
	fdb_ip_key_set(&b, 100, ip4("10.0.0.2").v4);
	assert_memory_equal(&a, &a2, sizeof(a));
	assert_memory_not_equal(&a, &b, sizeof(a));
	fdb_ip_key_set(&b, 101, ip4("10.0.0.1").v4);
	assert_memory_not_equal(&a, &b, sizeof(a));
	/* Addresses whose first byte is odd still make a unicast key. */
	fdb_ip_mac(&back, ip4("1.2.3.4").v4);
	assert_true(rte_is_unicast_ether_addr(&back));
	assert_int_equal(fdb_mac_ip(&back), ip4("1.2.3.4").v4);
}

static void
arp_static_bindings_from_yaml_and_ops(void **state)
{
	struct conf_neigh n;
	struct conf_err err;
	struct vtep_ip ip;

	(void)state;
	ctl_free(c);
	c = make(arp_yaml, NULL);
	assert_true(dp_vni_find(snap, 100)->arp_suppress);
	assert_false(dp_vni_find(snap, 200)->arp_suppress);
	assert_true(arp_has(100, "10.0.0.5", "02:00:00:00:00:05"));
	assert_true(fdb_dest_flags(arp_dest_of(100, "10.0.0.5", NULL)) & FDB_F_STATIC);
	assert_int_equal(arp_dest_of(200, "10.0.0.5", NULL), 0);

	memset(&n, 0, sizeof(n));
	n.ip = ip4("10.0.0.6");
	memcpy(n.mac, (uint8_t[]){ 2, 0, 0, 0, 0, 6 }, 6);
	assert_int_equal(ctl_vni_neigh_add(c, 100, &n, &err), 1);
	assert_int_equal(ctl_vni_neigh_add(c, 100, &n, &err), 0);
	assert_true(arp_has(100, "10.0.0.6", "02:00:00:00:00:06"));
	assert_int_equal(ctl_conf(c)->vnis[0].n_neighbors, 2);
	n.mac[5] = 7;
	memset(&err, 0, sizeof(err));
	assert_int_equal(ctl_vni_neigh_add(c, 100, &n, &err), -EEXIST);
	assert_string_equal(err.field, "mac");
	assert_true(arp_has(100, "10.0.0.6", "02:00:00:00:00:06"));
	memset(&err, 0, sizeof(err));
	assert_int_equal(ctl_vni_neigh_add(c, 999, &n, &err), -ENOENT);
	assert_string_equal(err.field, "vni");

	ip = ip4("10.0.0.6");
	assert_int_equal(ctl_vni_neigh_del(c, 100, &ip, &err), 0);
	assert_int_equal(arp_dest_of(100, "10.0.0.6", NULL), 0);
	assert_int_equal(ctl_conf(c)->vnis[0].n_neighbors, 1);
	memset(&err, 0, sizeof(err));
	assert_int_equal(ctl_vni_neigh_del(c, 100, &ip, &err), -ENOENT);
	assert_string_equal(err.field, "ip");
	assert_int_equal(ctl_vni_neigh_del(c, 999, &ip, &err), -ENOENT);
	assert_string_equal(err.field, "vni");

	/* A VNI that goes takes its bindings along. */
	assert_int_equal(ctl_vni_del(c, 100, &err), 0);
	assert_int_equal(arp_dest_of(100, "10.0.0.5", NULL), 0);
}

static void
arp_snooped_binding_learned_refreshed_aged(void **state)
{
	unsigned i;

	(void)state;
	ctl_free(c);
	c = make(arp_yaml, NULL);
	arp_snoop_post(100, "10.0.0.20", "02:00:00:00:00:20");
	assert_true(arp_has(100, "10.0.0.20", "02:00:00:00:00:20"));
	assert_false(fdb_dest_flags(arp_dest_of(100, "10.0.0.20", NULL)) & FDB_F_STATIC);
	assert_int_equal(vni_ctr(100, CTL_VNI_ARP_LEARNED), 1);
	/* The same again is a refresh, another MAC a move: both counted once
	 * as what is new. */
	arp_snoop_post(100, "10.0.0.20", "02:00:00:00:00:20");
	assert_int_equal(vni_ctr(100, CTL_VNI_ARP_LEARNED), 1);
	arp_snoop_post(100, "10.0.0.20", "02:00:00:00:00:21");
	assert_true(arp_has(100, "10.0.0.20", "02:00:00:00:00:21"));
	assert_int_equal(vni_ctr(100, CTL_VNI_ARP_LEARNED), 2);
	/* Not learned in a VNI that does not suppress. */
	arp_snoop_post(200, "10.0.0.20", "02:00:00:00:00:20");
	assert_int_equal(arp_dest_of(200, "10.0.0.20", NULL), 0);
	assert_int_equal(vni_ctr(200, CTL_VNI_ARP_LEARNED), 0);
	/* Ageing 10 s: gone after it, the static one stays. */
	for (i = 0; i < 12; i++) {
		fake_ms += 1000;
		ctl_poll(c);
	}
	assert_int_equal(arp_dest_of(100, "10.0.0.20", NULL), 0);
	assert_true(arp_has(100, "10.0.0.5", "02:00:00:00:00:05"));
}

static int
neigh_collect(void *arg, const struct ctl_vni_neigh *n)
{
	unsigned *seen = arg;

	if (n->is_static) {
		assert_int_equal(n->ip.v4, ip4("10.0.0.5").v4);
		assert_int_equal(n->age, 0);
		seen[0]++;
	} else {
		assert_int_equal(n->ip.v4, ip4("10.0.0.30").v4);
		assert_int_equal(n->age, 3);
		seen[1]++;
	}
	return 0;
}

static void
arp_static_wins_over_learned(void **state)
{
	struct conf_neigh n;
	struct conf_err err;
	struct vtep_ip ip;
	unsigned seen[2] = { 0, 0 };

	(void)state;
	ctl_free(c);
	c = make(arp_yaml, NULL);
	/* A snooped claim for a static address changes nothing. */
	arp_snoop_post(100, "10.0.0.5", "02:00:00:00:00:99");
	assert_true(arp_has(100, "10.0.0.5", "02:00:00:00:00:05"));
	assert_int_equal(vni_ctr(100, CTL_VNI_ARP_LEARNED), 0);
	/* A static binding replaces a learned one of its address. */
	arp_snoop_post(100, "10.0.0.30", "02:00:00:00:00:30");
	memset(&n, 0, sizeof(n));
	n.ip = ip4("10.0.0.30");
	memcpy(n.mac, (uint8_t[]){ 2, 0, 0, 0, 0, 0x31 }, 6);
	assert_int_equal(ctl_vni_neigh_add(c, 100, &n, &err), 1);
	assert_true(arp_has(100, "10.0.0.30", "02:00:00:00:00:31"));
	assert_true(fdb_dest_flags(arp_dest_of(100, "10.0.0.30", NULL)) & FDB_F_STATIC);
	ip = n.ip;
	assert_int_equal(ctl_vni_neigh_del(c, 100, &ip, &err), 0);
	/* Learned again, listed with its age next to the static one. */
	arp_snoop_post(100, "10.0.0.30", "02:00:00:00:00:30");
	fake_ms += 3000;
	assert_int_equal(ctl_vni_neigh_walk(c, 100, neigh_collect, seen), 0);
	assert_int_equal(seen[0], 1);
	assert_int_equal(seen[1], 1);
	assert_int_equal(ctl_vni_neigh_walk(c, 999, neigh_collect, seen), -ENOENT);
	/* A learned binding is deleted from the table, not the configuration. */
	assert_int_equal(ctl_vni_neigh_del(c, 100, &ip, &err), 0);
	assert_int_equal(arp_dest_of(100, "10.0.0.30", NULL), 0);
	/* arp_suppress off: the learned ones go, the static ones stay. */
	arp_snoop_post(100, "10.0.0.40", "02:00:00:00:00:40");
	{
		struct conf_vni v = ctl_conf(c)->vnis[0];

		v.arp_suppress = false;
		assert_int_equal(ctl_vni_put(c, &v, &err), 0);
	}
	assert_int_equal(arp_dest_of(100, "10.0.0.40", NULL), 0);
	assert_true(arp_has(100, "10.0.0.5", "02:00:00:00:00:05"));
	assert_false(dp_vni_find(snap, 100)->arp_suppress);
}

static void
arp_table_full_is_refused_by_name(void **state)
{
	struct conf_neigh *nb = calloc(1025, sizeof(*nb));
	struct conf_vni v;
	struct conf_err err;
	unsigned i;

	(void)state;
	ctl_free(c);
	c = make(arp_yaml, NULL);    /* fdb_capacity 1024: as many bindings */
	assert_non_null(nb);
	for (i = 0; i < 1025; i++) {
		nb[i].ip = vtep_ip4(rte_cpu_to_be_32(0x0a010000u + i));
		memcpy(nb[i].mac, (uint8_t[]){ 2, 0, 0, 1, (uint8_t)(i >> 8), (uint8_t)i }, 6);
	}
	v = ctl_conf(c)->vnis[1];
	v.arp_suppress = true;
	v.neighbors = nb;
	v.n_neighbors = 1025;
	memset(&err, 0, sizeof(err));
	assert_int_equal(ctl_vni_put(c, &v, &err), -ENOSPC);
	assert_non_null(strstr(err.reason, "ARP table is full"));
	/* Nothing of it stayed. */
	assert_int_equal(arp_dest_of(200, "10.1.0.0", NULL), 0);
	assert_false(dp_vni_find(snap, 200)->arp_suppress);
	assert_true(arp_has(100, "10.0.0.5", "02:00:00:00:00:05"));
	free(nb);
}

static void
arp_bindings_persist_in_the_state_file(void **state)
{
	char path[128], msg[512];
	struct conf_neigh n;
	struct conf_err err;
	struct conf *back;

	(void)state;
	ctl_free(c);
	snprintf(path, sizeof(path), "%s/state-arp.yaml", state_dir);
	unlink(path);
	c = make(arp_yaml, path);
	memset(&n, 0, sizeof(n));
	n.ip = ip4("10.0.0.6");
	memcpy(n.mac, (uint8_t[]){ 2, 0, 0, 0, 0, 6 }, 6);
	assert_int_equal(ctl_vni_neigh_add(c, 100, &n, &err), 1);
	back = conf_load(path, msg, sizeof(msg));
	if (back == NULL)
		fail_msg("%s", msg);
	assert_true(back->vnis[0].arp_suppress);
	assert_int_equal(back->vnis[0].n_neighbors, 2);
	assert_int_equal(back->vnis[0].neighbors[1].ip.v4, n.ip.v4);
	assert_memory_equal(back->vnis[0].neighbors[1].mac, n.mac, 6);
	assert_false(back->vnis[1].arp_suppress);
	conf_free(back);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(start_state_is_published, setup, teardown),
		cmocka_unit_test_setup_teardown(stats_busy_ratio_and_gauges, setup, teardown),
		cmocka_unit_test_setup_teardown(storm_limit_shared_by_workers, setup, teardown),
		cmocka_unit_test_setup_teardown(service_node_and_replicator, setup, teardown),
		cmocka_unit_test_setup_teardown(vni_put_creates_then_replaces, setup, teardown),
		cmocka_unit_test_setup_teardown(vni_put_binding_conflict_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(vni_put_refuses_unknown_port_with_the_rules_words, setup,
						teardown),
		cmocka_unit_test_setup_teardown(vni_put_multicast_floods_to_the_group, setup, teardown),
		cmocka_unit_test_setup_teardown(vni_del_takes_entries_and_counters, setup, teardown),
		cmocka_unit_test_setup_teardown(slots_are_reused, setup, teardown),
		cmocka_unit_test_setup_teardown(remotes_are_shared_and_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(fdb_static_add_del_flush, setup, teardown),
		cmocka_unit_test_setup_teardown(learned_entry_ages_on_the_clock, setup, teardown),
		cmocka_unit_test_setup_teardown(batch_publishes_once_and_abort_changes_nothing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(underlay_set_changes_live_fields_only, setup, teardown),
		cmocka_unit_test_setup_teardown(config_apply_dry_run_then_apply, setup, teardown),
		cmocka_unit_test_setup_teardown(refused_apply_keeps_references_right, setup, teardown),
		cmocka_unit_test_setup_teardown(static_over_learned_holds_once, setup, teardown),
		cmocka_unit_test_setup_teardown(state_file_holds_each_change, setup, teardown),
		cmocka_unit_test_setup_teardown(state_file_failure_rolls_back, setup, teardown),
		cmocka_unit_test_setup_teardown(call_runs_on_the_control_thread, setup, teardown),
		cmocka_unit_test_setup_teardown(concurrent_calls_persist_together, setup, teardown),
		cmocka_unit_test_setup_teardown(stats_sum_the_workers, setup, teardown),
		cmocka_unit_test_setup_teardown(arp_dest_packs_a_mac_and_keys_by_address, setup,
						teardown),
		cmocka_unit_test_setup_teardown(arp_static_bindings_from_yaml_and_ops, setup, teardown),
		cmocka_unit_test_setup_teardown(arp_snooped_binding_learned_refreshed_aged, setup,
						teardown),
		cmocka_unit_test_setup_teardown(arp_static_wins_over_learned, setup, teardown),
		cmocka_unit_test_setup_teardown(arp_bindings_persist_in_the_state_file, setup,
						teardown),
		cmocka_unit_test_setup_teardown(arp_table_full_is_refused_by_name, setup, teardown),
	};
	size_t sz;
	int rc;

	test_eal_init();
	sz = rte_rcu_qsbr_get_memsize(1);
	qsbr = rte_zmalloc("qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (qsbr == NULL || rte_rcu_qsbr_init(qsbr, 1) != 0)
		return 1;
	learn = fdb_learn_ring_create("learn", 1024, 0);
	if (learn == NULL)
		return 1;
	snprintf(state_dir, sizeof(state_dir), "/tmp/test_ctl.XXXXXX");
	if (mkdtemp(state_dir) == NULL)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(state_dir);
	return rc;
}
