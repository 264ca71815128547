/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NEIGH_H
#define NEIGH_H

/**
 * @file
 * The underlay neighbour cache: IPv4 next hop -> MAC, resolved by ARP.
 *
 * The table only decides; the caller does the I/O. It hands in what ARP it
 * sees (neigh_input) and sends the requests neigh_poll() asks for. Time is
 * whatever monotonic milliseconds the caller passes as @p now; the tests
 * inject their own clock.
 *
 * Each neighbour goes through the states of enum neigh_state:
 * - INCOMPLETE: no MAC; an ARP request every retry_ms while in use.
 * - REACHABLE: a MAC confirmed by ARP, trusted for reachable_ms.
 * - PROBE: reachable time over and still in use: the MAC is still used
 *   while requests go out every retry_ms. After @c probes unanswered ones
 *   the MAC is dropped and the neighbour is INCOMPLETE again.
 * - STATIC: configured; never probed, never expires, never changed by ARP.
 *
 * Only neighbours with users (neigh_hold) are probed: one that nothing
 * routes through costs no ARP traffic, and is probed at once when it gets a
 * user again if its timer ran out meanwhile.
 *
 * Neighbours are never removed: an index stays valid for the life of the
 * table, so callers keep indices rather than pointers.
 *
 * Not thread-safe: one thread (vtepd's control thread) owns the table.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_ether.h>

struct neigh_table;

/** Default time between ARP requests while resolving or probing. */
#define NEIGH_RETRY_MS_DEFAULT 1000
/** Default time a confirmed MAC is trusted. */
#define NEIGH_REACHABLE_MS_DEFAULT 60000
/** Default number of unanswered re-probes before a MAC is dropped. */
#define NEIGH_PROBES_DEFAULT 3

/** Timers of a table; a field left 0 takes its default. */
struct neigh_params {
	uint32_t retry_ms;      /**< between ARP requests while unanswered */
	uint32_t reachable_ms;  /**< a confirmed MAC is trusted this long */
	uint32_t probes;        /**< unanswered re-probes of a reachable MAC
	                             before it is dropped */
};

enum neigh_state {
	NEIGH_INCOMPLETE,  /**< no MAC yet, probing */
	NEIGH_REACHABLE,   /**< MAC confirmed recently */
	NEIGH_PROBE,       /**< MAC still used, being re-confirmed */
	NEIGH_STATIC,      /**< from the configuration, never expires */
	NEIGH_STATE_MAX
};

/** Called by neigh_poll() for each ARP request to send, to @p ip. */
typedef void neigh_send_fn(void *arg, rte_be32_t ip);

/**
 * Create an empty table.
 * @param p timers; NULL for all the defaults
 * @return the table, or NULL with errno ENOMEM.
 */
struct neigh_table *neigh_create(const struct neigh_params *p);

/** Free the table; NULL is a no-op. */
void neigh_free(struct neigh_table *t);

/**
 * Find or create the neighbour @p ip. A new one is INCOMPLETE, without
 * users, and due for a probe at once.
 * @return its index (>= 0), or -ENOMEM.
 */
int neigh_get(struct neigh_table *t, rte_be32_t ip);

/**
 * Configure @p ip as a static neighbour with @p mac, creating it or
 * overriding what ARP resolved.
 * @return its index (>= 0), or -EINVAL (@p mac NULL, multicast or zero),
 *   -ENOMEM.
 */
int neigh_set_static(struct neigh_table *t, rte_be32_t ip, const struct rte_ether_addr *mac);

/**
 * Take a user of neighbour @p idx: it is probed while it has users.
 * @return 0, or -ENOENT (no such index).
 */
int neigh_hold(struct neigh_table *t, int idx);

/**
 * Give back a user of neighbour @p idx taken by neigh_hold(). At zero users
 * it is no longer probed; it keeps its state and MAC.
 * @return 0, or -ENOENT (no such index), -EINVAL (it has no user).
 */
int neigh_release(struct neigh_table *t, int idx);

/**
 * The MAC of neighbour @p idx, if it has one that may be used (any state
 * but INCOMPLETE).
 * @param mac set when the result is true; may be NULL
 * @return true when usable; false when INCOMPLETE or no such index.
 */
bool neigh_lookup(const struct neigh_table *t, int idx, struct rte_ether_addr *mac);

/**
 * An ARP request or reply was seen from @p ip with sender MAC @p mac at
 * @p now. RFC 826 merge: a neighbour already tracked (and not static) takes
 * that MAC and becomes REACHABLE for reachable_ms; an untracked address
 * creates nothing. A multicast or zero @p mac is ignored.
 * @return true when a usable MAC appeared or changed: what the caller
 *   forwards with must be updated.
 */
bool neigh_input(struct neigh_table *t, rte_be32_t ip, const struct rte_ether_addr *mac,
		 uint64_t now);

/**
 * Run the timers at @p now: call @p send(@p arg, ip) for each ARP request
 * due, at most one per neighbour. Neighbours without users and static ones
 * are skipped. A REACHABLE neighbour whose time is over goes to PROBE; one
 * in PROBE after @c probes unanswered requests goes INCOMPLETE and is
 * requested again every retry_ms.
 * @return true when a neighbour lost its usable MAC: what the caller
 *   forwards with must be updated.
 */
bool neigh_poll(struct neigh_table *t, uint64_t now, neigh_send_fn *send, void *arg);

/** One neighbour, as neigh_walk() shows it. */
struct neigh_info {
	rte_be32_t ip;
	enum neigh_state state;
	struct rte_ether_addr mac;  /**< meaningful only when @c usable */
	bool usable;                /**< any state but INCOMPLETE */
	uint32_t users;
};

/**
 * Call @p cb for every neighbour, in the order they were created; stops
 * early when @p cb returns non-zero and returns that value, else 0.
 * @p cb must not modify the table.
 */
int neigh_walk(const struct neigh_table *t,
	       int (*cb)(void *arg, const struct neigh_info *n), void *arg);

/**
 * The name of @p s as printed in counters: "incomplete", "reachable",
 * "probe", "static"; "?" for a value out of range.
 */
const char *neigh_state_name(enum neigh_state s);

#endif /* NEIGH_H */
