/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CTL_PRIVATE_H
#define CTL_PRIVATE_H

#include <pthread.h>

#include <rte_log.h>

#include "ctl.h"

extern int ctl_logtype;
#define CLOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, ctl_logtype, "vtepd: " fmt "\n", ##__VA_ARGS__)

enum remote_state { REMOTE_FREE, REMOTE_USED, REMOTE_DYING };

struct remote {
	struct vtep_ip ip;
	enum remote_state state;
	uint32_t refs;                 /* flood lists and FDB entries */
	int neigh;                     /* index into the neighbour table, -1 when
	                                  no route; a user of it while used */
};

/* An open-addressing map of VNI -> value, for the writer's lookups. */
struct vmap {
	uint32_t *key;                 /* 0: empty (no VNI is 0) */
	uint32_t *val;
	uint32_t mask;
	uint32_t n;
};

/* A call queued by another thread (ctl_call). */
struct ctl_call_req {
	int (*fn)(struct ctl *c, void *arg);
	void *arg;
	int rc;
	bool changed;                  /* it committed a change */
	bool done;
	struct ctl_call_req *next;
};

/* ctl_igmp.c: membership of the underlay's groups (RFC 3376, RFC 2236). */
#define CTL_IGMP_ROBUSTNESS 2           /* reports and leaves sent, RFC 3376 8.1 */
#define CTL_IGMP_REPEAT_MS 1000         /* between them (Unsolicited Report Interval) */
/* Older Version Querier Present Timeout, RFC 3376 8.12: robustness x the
 * default query interval (125 s) + the default response interval (10 s). */
#define CTL_IGMP_V2_TIMEOUT_MS (CTL_IGMP_ROBUSTNESS * 125000 + 10000)
#define CTL_IGMP_ALL_HOSTS RTE_BE32(0xe0000001)    /* 224.0.0.1 */
#define CTL_IGMP_ALL_ROUTERS RTE_BE32(0xe0000002)  /* 224.0.0.2, v2 leaves */
#define CTL_IGMP_V3_ROUTERS RTE_BE32(0xe0000016)   /* 224.0.0.22, v3 reports */
/* IGMPv3 group record types (RFC 3376 4.2.12). */
#define CTL_IGMP_IS_EX 2
#define CTL_IGMP_TO_IN 3
#define CTL_IGMP_TO_EX 4

struct ctl_igmp_group {
	rte_be32_t g;
	bool leaving;                  /* no VNI needs it: leaves being sent */
	uint8_t left;                  /* reports or leaves still to send */
	uint64_t next_ms;              /* when the next of them is due */
	uint64_t answer_ms;            /* group-specific query answer due; 0: none */
};

struct ctl_igmp {
	struct ctl_igmp_group *groups;
	uint32_t n, cap;
	uint64_t general_ms;           /* general query answer due; 0: none */
	uint64_t v2_until_ms;          /* an IGMPv2 querier was heard: v2 until then */
	uint32_t rnd;                  /* xorshift state for the answer delays */
	bool filter_due;               /* the port's multicast filter must be set */
};

struct ctl {
	struct ctl_params p;
	struct ctl_port ports[CONF_MAX_PORTS];
	struct dp_counters *counters[CTL_MAX_WORKERS];
	char *state_file;
	struct conf *model;            /* the running configuration */
	struct conf *cand;             /* the open batch's candidate; NULL: none */
	bool cand_auto;                /* the batch was opened by the operation */
	bool starting;                 /* ctl_create(): nothing to persist */
	struct fdb *fdb;
	/* The VNIs' IPv4 -> MAC bindings for ARP suppression: an FDB of its
	 * own, keyed by fdb_ip_key_set(), read by the workers like the FDB. */
	struct fdb *arp;
	uint32_t arp_capacity;
	bool arp_short;                /* ctl_apply() -ENOSPC: the ARP table is full */
	uint64_t arp_learned[CTL_MAX_VNIS];  /* by counter slot: bindings snooped */
	struct neigh_table *neighs;    /* the underlay's next hops */
	rte_be32_t local_ip, mask, gateway;

	struct remote *remotes;
	uint32_t n_remotes, cap_remotes;
	uint32_t *rhash;               /* open addressing: IPv4 -> remote id + 1 */
	uint32_t rhash_mask;

	/* Counter slots of VNIs: slot_vni[slot] is the VNI using it, 0 when
	 * free; a freed slot waits for a grace period (slot_dying). */
	uint32_t slot_vni[CTL_MAX_VNIS];
	bool slot_dying[CTL_MAX_VNIS];
	unsigned slot_next;            /* where slot_alloc() looks first */
	unsigned slots_short;          /* ctl_apply() -ENOSPC: counter slots missing */

	/* What the open batch touched: the VNIs whose documents the commit
	 * validates, or all of it (touch_all). */
	uint32_t *touched;
	unsigned n_touched, cap_touched;
	bool touch_all;

	struct vmap slot_of;           /* VNI -> counter slot */

	/* (VNI, MAC) -> index into fidx_of's static entries (ctl.c). */
	const struct conf *fidx_of;
	uint64_t *fidx_key;
	uint32_t *fidx_val;
	uint32_t fidx_mask, fidx_n;

	bool group;                    /* running queued calls: persist once */
	bool persist_due;              /* the group changed something */
	struct conf *group_saved;      /* the model before the group */

	bool dirty;                    /* the snapshot must be rebuilt */
	bool dying;                    /* remotes or slots wait for a grace period */
	uint64_t gen;                  /* snapshots built */
	uint64_t age_ms, age_carry;    /* ageing's clock and the fraction of a slot owed */
	uint64_t arp_age_carry;        /* the same for the ARP table */
	uint64_t ctr[CTL_CTR_MAX];

	struct rte_mempool *pools[CTL_MAX_POOLS];
	/* The workers' busy ratio over the last interval (ctl_stats.c). */
	uint64_t load_ms;
	bool load_started;
	uint64_t load_polled[CTL_MAX_WORKERS], load_busy[CTL_MAX_WORKERS];
	double load[CTL_MAX_WORKERS];

	struct ctl_igmp igmp;

	pthread_mutex_t call_lock;
	pthread_cond_t call_cond;
	struct ctl_call_req *calls, **calls_tail;
	bool calls_shut;
};

uint64_t ctl_ms(const struct ctl *c);

/* Fill @err (its line 0) and return @rc. */
int ctl_fail(struct conf_err *err, int rc, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* ctl_plane.c: VNI maps. */
void ctl_vmap_free(struct vmap *m);
int ctl_vmap_init(struct vmap *m, uint32_t n);
int ctl_vmap_put(struct vmap *m, uint32_t key, uint32_t val);
int64_t ctl_vmap_get(const struct vmap *m, uint32_t key);
/* VNI -> index into cf->vnis. */
int ctl_vmap_of_conf(struct vmap *m, const struct conf *cf);

/* ctl_plane.c: the model's data plane. */
void ctl_fdb_removed(void *arg, uint32_t vni, const struct rte_ether_addr *mac, uint64_t dest);
void ctl_snap_free(struct dp_snap *s);
int ctl_snap_publish(struct ctl *c);
/* Make the data plane, which matches @from, match @to; on an error the
 * caller applies (to, from) to come back. */
int ctl_apply(struct ctl *c, const struct conf *from, const struct conf *to);
/* Every remote's reference count again, from the model's flood lists and
 * the FDB: after a change applied backwards. */
void ctl_refs_recount(struct ctl *c);
bool ctl_vni_same(const struct conf_vni *a, const struct conf_vni *b);
uint64_t ctl_fdb_key64(uint32_t vni, const uint8_t mac[6]);
int ctl_fdb_entry_cmp(const void *x, const void *y);
bool ctl_fdb_entry_same(const struct conf_fdb *a, const struct conf_fdb *b);
/* Pointers to cf's static entries sorted by (VNI, MAC); malloc'ed. */
const struct conf_fdb **ctl_fdb_sorted(const struct conf *cf);

/* ctl_batch.c: commits and the state file. */
int ctl_commit(struct ctl *c, struct conf *next, struct conf_err *err);
int ctl_persist(struct ctl *c);
void ctl_model_clear_vnis_fdb(struct conf *cf);
/* ctl_plane.c: the groups @cf's VNIs flood to, ascending, each once;
 * *out is malloc'ed. */
int ctl_groups_of(const struct conf *cf, rte_be32_t **out, uint32_t *n_out);

/* ctl_punt.c: frames for the control thread, and ARP requests it sends. */
void ctl_punt_poll(struct ctl *c);
void ctl_neigh_request(void *arg, rte_be32_t ip);
void ctl_learn_poll(struct ctl *c, uint32_t now);

/* ctl_igmp.c */
/* An IGMPv3 report of @n records of type @rtype, no sources, into @buf
 * (room for 8 + 8 * n bytes). @return its length. */
uint16_t ctl_igmp_v3_report(uint8_t *buf, uint8_t rtype, const rte_be32_t *g, uint16_t n);
/* An IGMPv2 message (8 bytes): @type 0x16 report, 0x17 leave. */
uint16_t ctl_igmp_v2_msg(uint8_t *buf, uint8_t type, rte_be32_t g);
/* The Ethernet and IPv4 headers (Router Alert, TTL 1) before @len bytes of
 * IGMP to @dst, from @src_mac and @src, into @buf (38 bytes). */
void ctl_igmp_headers(uint8_t *buf, const struct rte_ether_addr *src_mac, rte_be32_t src,
		      rte_be32_t dst, uint16_t len);
/* Max Resp Time of a query in milliseconds: @v3 decodes the exponential
 * form of RFC 3376 4.1.1. */
uint32_t ctl_igmp_max_resp_ms(uint8_t code, bool v3);
/* The groups the snapshot has now: joins and leaves to send. */
void ctl_igmp_sync(struct ctl *c, const rte_be32_t *groups, uint32_t n);
void ctl_igmp_poll(struct ctl *c, uint64_t ms);
void ctl_igmp_rx(struct ctl *c, struct rte_mbuf *m);
void ctl_igmp_free(struct ctl *c);

/* ctl_stats.c: measure the workers' busy ratio when an interval is over. */
void ctl_load_poll(struct ctl *c, uint64_t ms);

/* ctl.c, for ctl_punt.c */
int ctl_remote_get(struct ctl *c, const struct vtep_ip *ip);
void ctl_remote_put(struct ctl *c, uint32_t id);

#endif /* CTL_PRIVATE_H */
