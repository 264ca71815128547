/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "neigh.h"

struct neigh_entry {
	rte_be32_t ip;
	struct rte_ether_addr mac;
	enum neigh_state state;
	uint32_t probes;               /* requests sent in this state */
	uint64_t next_ms;              /* next ARP request, or end of reachable */
	uint32_t users;
};

struct neigh_table {
	struct neigh_entry *e;
	unsigned n, cap;
	uint32_t retry_ms, reachable_ms, probes;
};

static bool
neigh_mac_valid(const struct rte_ether_addr *mac)
{
	/* The group bit covers broadcast too. */
	return mac != NULL && rte_is_unicast_ether_addr(mac) && !rte_is_zero_ether_addr(mac);
}

static bool
neigh_usable(const struct neigh_entry *n)
{
	return n->state != NEIGH_INCOMPLETE;
}

static struct neigh_entry *
neigh_at(const struct neigh_table *t, int idx)
{
	if (idx < 0 || (unsigned)idx >= t->n)
		return NULL;
	return &t->e[idx];
}

/* A linear search: the table holds the next hops of the underlay, a few
 * hundred at most, and is searched on the control thread only. */
static int
neigh_find(const struct neigh_table *t, rte_be32_t ip)
{
	unsigned i;

	for (i = 0; i < t->n; i++)
		if (t->e[i].ip == ip)
			return (int)i;
	return -1;
}

struct neigh_table *
neigh_create(const struct neigh_params *p)
{
	struct neigh_table *t = calloc(1, sizeof(*t));

	if (t == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	t->retry_ms = p != NULL && p->retry_ms != 0 ? p->retry_ms : NEIGH_RETRY_MS_DEFAULT;
	t->reachable_ms = p != NULL && p->reachable_ms != 0 ?
		p->reachable_ms : NEIGH_REACHABLE_MS_DEFAULT;
	t->probes = p != NULL && p->probes != 0 ? p->probes : NEIGH_PROBES_DEFAULT;
	return t;
}

void
neigh_free(struct neigh_table *t)
{
	if (t == NULL)
		return;
	free(t->e);
	free(t);
}

int
neigh_get(struct neigh_table *t, rte_be32_t ip)
{
	int i = neigh_find(t, ip);
	struct neigh_entry *n;

	if (i >= 0)
		return i;
	if (t->n == t->cap) {
		unsigned cap = t->cap ? t->cap * 2 : 16;
		struct neigh_entry *p;

		if (cap > (unsigned)INT32_MAX)
			return -ENOMEM;
		p = realloc(t->e, cap * sizeof(*p));
		if (p == NULL)
			return -ENOMEM;
		t->e = p;
		t->cap = cap;
	}
	n = &t->e[t->n];
	memset(n, 0, sizeof(*n));
	n->ip = ip;
	n->state = NEIGH_INCOMPLETE;
	n->next_ms = 0;                /* probe at once */
	return (int)t->n++;
}

int
neigh_set_static(struct neigh_table *t, rte_be32_t ip, const struct rte_ether_addr *mac)
{
	int i;

	if (!neigh_mac_valid(mac))
		return -EINVAL;
	i = neigh_get(t, ip);
	if (i < 0)
		return i;
	t->e[i].mac = *mac;
	t->e[i].state = NEIGH_STATIC;
	t->e[i].probes = 0;
	return i;
}

int
neigh_hold(struct neigh_table *t, int idx)
{
	struct neigh_entry *n = neigh_at(t, idx);

	if (n == NULL)
		return -ENOENT;
	n->users++;
	return 0;
}

int
neigh_release(struct neigh_table *t, int idx)
{
	struct neigh_entry *n = neigh_at(t, idx);

	if (n == NULL)
		return -ENOENT;
	if (n->users == 0)
		return -EINVAL;
	n->users--;
	return 0;
}

bool
neigh_lookup(const struct neigh_table *t, int idx, struct rte_ether_addr *mac)
{
	const struct neigh_entry *n = neigh_at(t, idx);

	if (n == NULL || !neigh_usable(n))
		return false;
	if (mac != NULL)
		*mac = n->mac;
	return true;
}

bool
neigh_input(struct neigh_table *t, rte_be32_t ip, const struct rte_ether_addr *mac,
	    uint64_t now)
{
	struct neigh_entry *n;
	bool changed;
	int i;

	if (!neigh_mac_valid(mac))
		return false;
	/* RFC 826 merge: refresh only what we already track, from requests
	 * and replies alike; anyone else's ARP creates nothing, so that a
	 * flood of ARP cannot fill the table. */
	i = neigh_find(t, ip);
	if (i < 0)
		return false;
	n = &t->e[i];
	if (n->state == NEIGH_STATIC)
		return false;
	changed = !neigh_usable(n) || !rte_is_same_ether_addr(&n->mac, mac);
	n->mac = *mac;
	n->state = NEIGH_REACHABLE;
	n->probes = 0;
	n->next_ms = now + t->reachable_ms;
	return changed;
}

bool
neigh_poll(struct neigh_table *t, uint64_t now, neigh_send_fn *send, void *arg)
{
	bool lost = false;
	unsigned i;

	for (i = 0; i < t->n; i++) {
		struct neigh_entry *n = &t->e[i];

		if (n->state == NEIGH_STATIC || n->users == 0 || now < n->next_ms)
			continue;
		switch (n->state) {
		case NEIGH_REACHABLE:
			/* Keep using the MAC while it is re-confirmed. */
			n->state = NEIGH_PROBE;
			n->probes = 0;
			/* fall through */
		case NEIGH_PROBE:
			if (n->probes >= t->probes) {
				/* Unanswered: stop sending to a MAC that may be
				 * gone, and resolve afresh. */
				n->state = NEIGH_INCOMPLETE;
				n->probes = 0;
				lost = true;
			}
			break;
		default:
			break;
		}
		n->probes++;
		n->next_ms = now + t->retry_ms;
		send(arg, n->ip);
	}
	return lost;
}

int
neigh_walk(const struct neigh_table *t,
	   int (*cb)(void *arg, const struct neigh_info *n), void *arg)
{
	unsigned i;
	int rc;

	for (i = 0; i < t->n; i++) {
		const struct neigh_entry *n = &t->e[i];
		struct neigh_info info;

		memset(&info, 0, sizeof(info));
		info.ip = n->ip;
		info.state = n->state;
		info.usable = neigh_usable(n);
		if (info.usable)
			info.mac = n->mac;
		info.users = n->users;
		rc = cb(arg, &info);
		if (rc != 0)
			return rc;
	}
	return 0;
}

const char *
neigh_state_name(enum neigh_state s)
{
	static const char *const names[] = {
		[NEIGH_INCOMPLETE] = "incomplete",
		[NEIGH_REACHABLE] = "reachable",
		[NEIGH_PROBE] = "probe",
		[NEIGH_STATIC] = "static",
	};

	if ((unsigned)s >= sizeof(names) / sizeof(names[0]))
		return "?";
	return names[s];
}
