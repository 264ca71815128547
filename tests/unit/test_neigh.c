/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/neigh, the underlay neighbour cache, on an injected
 * clock. Every test polls the table at each millisecond of the span it
 * covers and records each ARP request it is asked to send, with the time:
 * the assertions are exact counts and times, so a request one retry early
 * or late, or one too many, fails.
 *
 * No EAL: the library does no I/O and uses only DPDK's headers.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <rte_byteorder.h>
#include <rte_ether.h>

#include "neigh.h"

/* The documented defaults (docs/ARCHITECTURE.md), written out rather than
 * taken from the library's macros, so that a wrong macro fails the tests:
 * an ARP request every second while unresolved, a confirmed MAC trusted
 * 60 s, dropped after 3 unanswered re-probes. */
#define RETRY 1000u
#define REACHABLE 60000u
#define PROBES 3u

/* Where the clock stands when a test starts: not 0, so that "at once"
 * cannot pass by luck of a zero-initialised timer compared to a zero time. */
#define T0 5000u

#define SENT_MAX 4096

/* One ARP request neigh_poll() asked for. */
struct sent {
	rte_be32_t ip;
	uint64_t at;
};

static struct sent sent[SENT_MAX];
static unsigned n_sent;
static uint64_t clock_ms;            /* the time of the poll in progress */
static struct neigh_table *tab;      /* the running test's table, from setup() */

/* 192.0.2.k, in network order. */
static rte_be32_t
ip_of(unsigned k)
{
	return rte_cpu_to_be_32(0xc0000200u + k);
}

/* A locally administered unicast MAC that encodes @p k. */
static struct rte_ether_addr
mac_of(unsigned k)
{
	struct rte_ether_addr m = {
		.addr_bytes = { 0x02, 0xaa, 0x00, 0x00, (uint8_t)(k >> 8), (uint8_t)k },
	};

	return m;
}

static void
record(void *arg, rte_be32_t ip)
{
	assert_ptr_equal(arg, &sent);
	assert_true(n_sent < SENT_MAX);
	sent[n_sent].ip = ip;
	sent[n_sent].at = clock_ms;
	n_sent++;
}

/* Poll once at @p now. */
static bool
poll_at(struct neigh_table *t, uint64_t now)
{
	clock_ms = now;
	return neigh_poll(t, now, record, &sent);
}

/* Poll at every millisecond of [@p from, @p to]; how many polls said a
 * neighbour became unusable. */
static unsigned
poll_span(struct neigh_table *t, uint64_t from, uint64_t to)
{
	unsigned lost = 0;
	uint64_t now;

	for (now = from; now <= to; now++)
		lost += poll_at(t, now);
	return lost;
}

/* Assert that requests @p first.. went to @p ip at @p at, @p at + step, ... */
static void
assert_sent_every(unsigned first, unsigned n, rte_be32_t ip, uint64_t at, uint64_t step)
{
	unsigned i;

	assert_true(first + n <= n_sent);
	for (i = 0; i < n; i++) {
		assert_int_equal(sent[first + i].ip, ip);
		assert_int_equal(sent[first + i].at, at + i * step);
	}
}

static void
assert_mac(const struct neigh_table *t, int idx, const struct rte_ether_addr *want)
{
	struct rte_ether_addr mac;

	assert_true(neigh_lookup(t, idx, &mac));
	assert_memory_equal(&mac, want, sizeof(mac));
}

/* Create a neighbour for 192.0.2.@p k with one user. */
static int
used_neigh(struct neigh_table *t, unsigned k)
{
	int idx = neigh_get(t, ip_of(k));

	assert_true(idx >= 0);
	assert_int_equal(neigh_hold(t, idx), 0);
	return idx;
}

/* Resolve a used neighbour at @p at: its first probe at @p at, the reply
 * at once. */
static int
resolved_neigh(struct neigh_table *t, unsigned k, uint64_t at)
{
	struct rte_ether_addr mac = mac_of(k);
	int idx = used_neigh(t, k);

	assert_false(poll_at(t, at));
	assert_true(neigh_input(t, ip_of(k), &mac, at));
	n_sent = 0;
	return idx;
}

/* ---- walking ------------------------------------------------------------- */

struct walk_log {
	struct neigh_info n[1024];
	unsigned count;
	unsigned stop_at;                /* return non-zero at this count; 0 never */
};

static int
walk_rec(void *arg, const struct neigh_info *n)
{
	struct walk_log *w = arg;

	assert_true(w->count < 1024);
	w->n[w->count++] = *n;
	return w->stop_at != 0 && w->count == w->stop_at ? 7 : 0;
}

static unsigned
count_of(const struct neigh_table *t)
{
	static struct walk_log w;

	memset(&w, 0, sizeof(w));
	assert_int_equal(neigh_walk(t, walk_rec, &w), 0);
	return w.count;
}

static enum neigh_state
state_of(const struct neigh_table *t, int idx)
{
	static struct walk_log w;

	memset(&w, 0, sizeof(w));
	assert_int_equal(neigh_walk(t, walk_rec, &w), 0);
	assert_true(idx >= 0 && (unsigned)idx < w.count);
	return w.n[idx].state;
}

static int
setup(void **state)
{
	(void)state;
	n_sent = 0;
	clock_ms = 0;
	tab = neigh_create(NULL);
	return tab == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	neigh_free(tab);
	tab = NULL;
	return 0;
}

/* ---- tests --------------------------------------------------------------- */

static void
new_neighbour_probed_at_once_then_every_retry(void **state)
{
	int idx;

	(void)state;
	idx = used_neigh(tab, 1);
	assert_int_equal(state_of(tab, idx), NEIGH_INCOMPLETE);
	assert_false(neigh_lookup(tab, idx, NULL));

	assert_int_equal(poll_span(tab, T0, T0 + 4 * RETRY - 1), 0);
	assert_int_equal(n_sent, 4);
	assert_sent_every(0, 4, ip_of(1), T0, RETRY);
	assert_int_equal(state_of(tab, idx), NEIGH_INCOMPLETE);
	assert_false(neigh_lookup(tab, idx, NULL));
}

static void
reply_makes_it_usable(void **state)
{
	struct rte_ether_addr mac = mac_of(1), got;
	int idx;

	(void)state;
	idx = used_neigh(tab, 1);
	assert_false(poll_at(tab, T0));
	assert_int_equal(n_sent, 1);

	assert_true(neigh_input(tab, ip_of(1), &mac, T0 + 10));
	assert_int_equal(state_of(tab, idx), NEIGH_REACHABLE);
	assert_true(neigh_lookup(tab, idx, &got));
	assert_memory_equal(&got, &mac, sizeof(got));
	/* No more requests while it is trusted. */
	assert_int_equal(poll_span(tab, T0 + 10, T0 + 10 + 5 * RETRY), 0);
	assert_int_equal(n_sent, 1);
}

static void
reachable_reprobed_when_time_ends_while_usable(void **state)
{
	struct rte_ether_addr mac = mac_of(1);
	uint64_t now;
	int idx;

	(void)state;
	idx = resolved_neigh(tab, 1, T0);

	assert_int_equal(poll_span(tab, T0, T0 + REACHABLE - 1), 0);
	assert_int_equal(n_sent, 0);
	assert_int_equal(state_of(tab, idx), NEIGH_REACHABLE);

	/* Its time is over: re-probed every retry, the MAC still in use. */
	for (now = T0 + REACHABLE; now < T0 + REACHABLE + PROBES * RETRY; now++) {
		assert_false(poll_at(tab, now));
		assert_mac(tab, idx, &mac);
	}
	assert_int_equal(n_sent, PROBES);
	assert_sent_every(0, PROBES, ip_of(1), T0 + REACHABLE, RETRY);
	assert_int_equal(state_of(tab, idx), NEIGH_PROBE);
}

static void
answer_while_probing_makes_it_reachable_again(void **state)
{
	struct rte_ether_addr mac = mac_of(1);
	uint64_t answer = T0 + REACHABLE + RETRY + 500;
	int idx;

	(void)state;
	idx = resolved_neigh(tab, 1, T0);
	assert_int_equal(poll_span(tab, T0, answer - 1), 0);
	assert_int_equal(n_sent, 2);
	assert_int_equal(state_of(tab, idx), NEIGH_PROBE);

	/* The same MAC again: reachable, but nothing to update. */
	assert_false(neigh_input(tab, ip_of(1), &mac, answer));
	assert_int_equal(state_of(tab, idx), NEIGH_REACHABLE);
	assert_mac(tab, idx, &mac);

	/* A fresh timer, from the answer; and a fresh probe count: the
	 * full PROBES re-probes before the MAC is dropped. */
	assert_int_equal(poll_span(tab, answer, answer + REACHABLE - 1), 0);
	assert_int_equal(n_sent, 2);
	assert_int_equal(poll_span(tab, answer + REACHABLE,
				   answer + REACHABLE + PROBES * RETRY - 1), 0);
	assert_int_equal(n_sent, 2 + PROBES);
	assert_sent_every(2, PROBES, ip_of(1), answer + REACHABLE, RETRY);
	assert_mac(tab, idx, &mac);
}

static void
unanswered_probes_make_it_unusable_and_probing_goes_on(void **state)
{
	uint64_t end = T0 + REACHABLE, drop = end + PROBES * RETRY;
	struct rte_ether_addr mac = mac_of(1);
	int idx;

	(void)state;
	idx = resolved_neigh(tab, 1, T0);
	assert_int_equal(poll_span(tab, T0, drop - 1), 0);
	assert_int_equal(n_sent, PROBES);
	assert_true(neigh_lookup(tab, idx, NULL));

	/* The poll after the last unanswered re-probe drops the MAC, says
	 * so, and asks again at once. */
	assert_true(poll_at(tab, drop));
	assert_int_equal(n_sent, PROBES + 1);
	assert_false(neigh_lookup(tab, idx, NULL));
	assert_int_equal(state_of(tab, idx), NEIGH_INCOMPLETE);

	/* Then every retry, and only one poll ever says it was lost. */
	assert_int_equal(poll_span(tab, drop + 1, drop + 3 * RETRY), 0);
	assert_int_equal(n_sent, PROBES + 4);
	assert_sent_every(0, PROBES + 4, ip_of(1), end, RETRY);
	assert_false(neigh_lookup(tab, idx, NULL));

	/* The same MAC answering at last is usable again: a change. */
	assert_true(neigh_input(tab, ip_of(1), &mac, drop + 3 * RETRY + 1));
	assert_mac(tab, idx, &mac);
}

static void
changed_mac_is_a_change(void **state)
{
	struct rte_ether_addr a = mac_of(1), b = mac_of(2);
	int idx;

	(void)state;
	idx = resolved_neigh(tab, 1, T0);
	assert_mac(tab, idx, &a);

	assert_true(neigh_input(tab, ip_of(1), &b, T0 + 100));
	assert_mac(tab, idx, &b);
	assert_false(neigh_input(tab, ip_of(1), &b, T0 + 200));
	assert_mac(tab, idx, &b);

	/* While probing too. */
	assert_int_equal(poll_span(tab, T0 + 200, T0 + 200 + REACHABLE), 0);
	assert_int_equal(n_sent, 1);
	assert_int_equal(state_of(tab, idx), NEIGH_PROBE);
	assert_true(neigh_input(tab, ip_of(1), &a, T0 + 200 + REACHABLE + 1));
	assert_mac(tab, idx, &a);
	assert_int_equal(state_of(tab, idx), NEIGH_REACHABLE);
}

static void
arp_from_untracked_address_creates_nothing(void **state)
{
	struct rte_ether_addr mac = mac_of(9);
	int idx;

	(void)state;
	assert_false(neigh_input(tab, ip_of(9), &mac, T0));
	assert_int_equal(count_of(tab), 0);

	idx = used_neigh(tab, 1);
	assert_false(neigh_input(tab, ip_of(9), &mac, T0));
	assert_int_equal(count_of(tab), 1);
	assert_false(neigh_lookup(tab, idx, NULL));
	assert_int_equal(poll_span(tab, T0, T0 + RETRY), 0);
	assert_int_equal(n_sent, 2);
	assert_sent_every(0, 2, ip_of(1), T0, RETRY);
}

static void
non_unicast_mac_ignored(void **state)
{
	static const struct rte_ether_addr zero, bcast = {
		.addr_bytes = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
	static const struct rte_ether_addr mcast = {
		.addr_bytes = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 } };
	struct rte_ether_addr a = mac_of(1);
	int idx;

	(void)state;
	idx = used_neigh(tab, 1);
	assert_false(neigh_input(tab, ip_of(1), &zero, T0));
	assert_false(neigh_input(tab, ip_of(1), &bcast, T0));
	assert_false(neigh_input(tab, ip_of(1), &mcast, T0));
	assert_false(neigh_input(tab, ip_of(1), NULL, T0));
	assert_false(neigh_lookup(tab, idx, NULL));

	assert_true(neigh_input(tab, ip_of(1), &a, T0));
	assert_false(neigh_input(tab, ip_of(1), &bcast, T0 + 1));
	assert_mac(tab, idx, &a);
	assert_int_equal(neigh_set_static(tab, ip_of(2), &mcast), -EINVAL);
	assert_int_equal(neigh_set_static(tab, ip_of(2), &zero), -EINVAL);
	assert_int_equal(count_of(tab), 1);
}

static void
static_never_probed_nor_expired_nor_overridden(void **state)
{
	struct rte_ether_addr s = mac_of(1), other = mac_of(2);
	int idx, idx2;

	(void)state;
	idx = neigh_set_static(tab, ip_of(1), &s);
	assert_true(idx >= 0);
	assert_int_equal(neigh_hold(tab, idx), 0);
	assert_int_equal(state_of(tab, idx), NEIGH_STATIC);
	assert_mac(tab, idx, &s);

	assert_false(neigh_input(tab, ip_of(1), &other, T0));
	assert_mac(tab, idx, &s);

	assert_int_equal(poll_span(tab, T0, T0 + 2 * REACHABLE + PROBES * RETRY), 0);
	assert_int_equal(n_sent, 0);
	assert_int_equal(state_of(tab, idx), NEIGH_STATIC);
	assert_mac(tab, idx, &s);

	/* Made static while resolving: the probing stops. */
	idx2 = used_neigh(tab, 2);
	assert_false(poll_at(tab, 3 * REACHABLE));
	assert_int_equal(n_sent, 1);
	assert_int_equal(neigh_set_static(tab, ip_of(2), &other), idx2);
	assert_int_equal(poll_span(tab, 3 * REACHABLE, 3 * REACHABLE + 5 * RETRY), 0);
	assert_int_equal(n_sent, 1);
	assert_mac(tab, idx2, &other);
	assert_int_equal(neigh_get(tab, ip_of(2)), idx2);
	assert_int_equal(state_of(tab, idx2), NEIGH_STATIC);
}

static void
neighbour_without_users_not_probed(void **state)
{
	struct rte_ether_addr mac = mac_of(1);
	int idx;

	(void)state;
	idx = neigh_get(tab, ip_of(1));
	assert_true(idx >= 0);
	assert_int_equal(poll_span(tab, T0, T0 + 5 * RETRY), 0);
	assert_int_equal(n_sent, 0);

	/* Tracked all the same: an ARP from it resolves it. */
	assert_true(neigh_input(tab, ip_of(1), &mac, T0 + 5 * RETRY));
	assert_mac(tab, idx, &mac);
	/* Long after its time, still no request without a user... */
	assert_int_equal(poll_span(tab, T0 + 5 * RETRY, T0 + 5 * RETRY + 2 * REACHABLE), 0);
	assert_int_equal(n_sent, 0);
	assert_int_equal(state_of(tab, idx), NEIGH_REACHABLE);
	/* ...and with one, a re-probe at once. */
	assert_int_equal(neigh_hold(tab, idx), 0);
	assert_false(poll_at(tab, T0 + 5 * RETRY + 2 * REACHABLE + 1));
	assert_int_equal(n_sent, 1);
	assert_int_equal(state_of(tab, idx), NEIGH_PROBE);
	assert_mac(tab, idx, &mac);
}

static void
release_to_zero_stops_probing(void **state)
{
	int idx;

	(void)state;
	idx = used_neigh(tab, 1);
	assert_int_equal(neigh_hold(tab, idx), 0);
	assert_false(poll_at(tab, T0));
	assert_int_equal(n_sent, 1);

	/* One user left: still probed. */
	assert_int_equal(neigh_release(tab, idx), 0);
	assert_int_equal(poll_span(tab, T0 + 1, T0 + RETRY), 0);
	assert_int_equal(n_sent, 2);

	/* None: no more requests. */
	assert_int_equal(neigh_release(tab, idx), 0);
	assert_int_equal(poll_span(tab, T0 + RETRY + 1, T0 + 10 * RETRY), 0);
	assert_int_equal(n_sent, 2);
	assert_int_equal(neigh_release(tab, idx), -EINVAL);

	/* A user again: its timer ran out meanwhile, so at once. */
	assert_int_equal(neigh_hold(tab, idx), 0);
	assert_int_equal(poll_span(tab, T0 + 10 * RETRY + 1, T0 + 11 * RETRY + 1), 0);
	assert_int_equal(n_sent, 4);
	assert_sent_every(0, 2, ip_of(1), T0, RETRY);
	assert_sent_every(2, 2, ip_of(1), T0 + 10 * RETRY + 1, RETRY);
}

static void
hundreds_of_neighbours(void **state)
{
	enum { N = 600 };
	static unsigned seen[N + 1];
	static struct walk_log w;
	unsigned k, i;
	int idx[N + 1];

	(void)state;
	memset(seen, 0, sizeof(seen));
	for (k = 1; k <= N; k++)
		idx[k] = used_neigh(tab, k);
	for (k = 1; k <= N; k++) {
		assert_int_equal(idx[k], (int)(k - 1));
		assert_int_equal(neigh_get(tab, ip_of(k)), idx[k]);
	}
	assert_int_equal(count_of(tab), N);

	/* Each asked for once at once. */
	assert_false(poll_at(tab, T0));
	assert_int_equal(n_sent, N);
	for (i = 0; i < n_sent; i++) {
		k = rte_be_to_cpu_32(sent[i].ip) - 0xc0000200u;
		assert_true(k >= 1 && k <= N);
		seen[k]++;
		assert_int_equal(sent[i].at, T0);
	}
	for (k = 1; k <= N; k++)
		assert_int_equal(seen[k], 1);

	/* The even ones answer; only the odd ones are asked again. */
	for (k = 2; k <= N; k += 2) {
		struct rte_ether_addr mac = mac_of(k);

		assert_true(neigh_input(tab, ip_of(k), &mac, T0 + 10));
	}
	n_sent = 0;
	assert_int_equal(poll_span(tab, T0 + 1, T0 + RETRY), 0);
	assert_int_equal(n_sent, N / 2);
	for (i = 0; i < n_sent; i++) {
		k = rte_be_to_cpu_32(sent[i].ip) - 0xc0000200u;
		assert_int_equal(k % 2, 1);
		assert_int_equal(sent[i].at, T0 + RETRY);
	}
	for (k = 1; k <= N; k++) {
		struct rte_ether_addr mac = mac_of(k);

		if (k % 2 == 0)
			assert_mac(tab, idx[k], &mac);
		else
			assert_false(neigh_lookup(tab, idx[k], NULL));
	}

	/* The walk shows them in creation order. */
	memset(&w, 0, sizeof(w));
	assert_int_equal(neigh_walk(tab, walk_rec, &w), 0);
	assert_int_equal(w.count, N);
	for (k = 1; k <= N; k++) {
		assert_int_equal(w.n[k - 1].ip, ip_of(k));
		assert_int_equal(w.n[k - 1].users, 1);
		assert_int_equal(w.n[k - 1].usable, k % 2 == 0);
	}
}

static void
timers_from_params(void **state)
{
	const struct neigh_params p = { .retry_ms = 250, .reachable_ms = 2000, .probes = 1 };
	struct neigh_table *t = neigh_create(&p);
	struct rte_ether_addr mac = mac_of(1);
	int idx;

	(void)state;
	assert_non_null(t);
	idx = neigh_get(t, ip_of(1));
	assert_int_equal(neigh_hold(t, idx), 0);
	assert_int_equal(poll_span(t, T0, T0 + 999), 0);
	assert_int_equal(n_sent, 4);
	assert_sent_every(0, 4, ip_of(1), T0, 250);

	assert_true(neigh_input(t, ip_of(1), &mac, T0 + 1000));
	n_sent = 0;
	/* Trusted 2 s, one re-probe, dropped a retry later. */
	assert_int_equal(poll_span(t, T0 + 1000, T0 + 3249), 0);
	assert_int_equal(n_sent, 1);
	assert_int_equal(sent[0].at, T0 + 3000);
	assert_true(neigh_lookup(t, idx, NULL));
	assert_true(poll_at(t, T0 + 3250));
	assert_false(neigh_lookup(t, idx, NULL));
	assert_int_equal(n_sent, 2);
	assert_int_equal(sent[1].at, T0 + 3250);
	neigh_free(t);
}

static void
walk_shows_states_by_name(void **state)
{
	static struct walk_log w;
	struct rte_ether_addr a = mac_of(1), s = mac_of(3);
	int i1, i2, i3, i4;

	(void)state;
	i1 = resolved_neigh(tab, 1, T0);
	i2 = used_neigh(tab, 2);
	i3 = neigh_set_static(tab, ip_of(3), &s);
	i4 = resolved_neigh(tab, 4, T0);
	/* 1 and 4 go to probe, 2 is still unanswered; 1 answers. */
	assert_false(poll_at(tab, T0 + REACHABLE));
	assert_false(neigh_input(tab, ip_of(1), &a, T0 + REACHABLE + 1));

	memset(&w, 0, sizeof(w));
	assert_int_equal(neigh_walk(tab, walk_rec, &w), 0);
	assert_int_equal(w.count, 4);
	assert_string_equal(neigh_state_name(w.n[i1].state), "reachable");
	assert_string_equal(neigh_state_name(w.n[i2].state), "incomplete");
	assert_false(w.n[i2].usable);
	assert_string_equal(neigh_state_name(w.n[i3].state), "static");
	assert_string_equal(neigh_state_name(w.n[i4].state), "probe");
	assert_string_equal(neigh_state_name((enum neigh_state)42), "?");
	assert_memory_equal(&w.n[i3].mac, &s, sizeof(s));
	assert_true(w.n[i3].usable);
	assert_int_equal(w.n[i3].users, 0);

	/* Early stop, with the callback's value. */
	memset(&w, 0, sizeof(w));
	w.stop_at = 2;
	assert_int_equal(neigh_walk(tab, walk_rec, &w), 7);
	assert_int_equal(w.count, 2);
}

static void
bad_index_refused(void **state)
{
	int idx;

	(void)state;
	assert_int_equal(neigh_hold(tab, 0), -ENOENT);
	assert_int_equal(neigh_release(tab, -1), -ENOENT);
	assert_false(neigh_lookup(tab, -1, NULL));
	idx = neigh_get(tab, ip_of(1));
	assert_int_equal(idx, 0);
	assert_int_equal(neigh_hold(tab, 1), -ENOENT);
	assert_int_equal(neigh_release(tab, idx), -EINVAL);
	assert_false(neigh_lookup(tab, 1, NULL));
	neigh_free(NULL);
}

#define NEIGH_UNIT(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		NEIGH_UNIT(new_neighbour_probed_at_once_then_every_retry),
		NEIGH_UNIT(reply_makes_it_usable),
		NEIGH_UNIT(reachable_reprobed_when_time_ends_while_usable),
		NEIGH_UNIT(answer_while_probing_makes_it_reachable_again),
		NEIGH_UNIT(unanswered_probes_make_it_unusable_and_probing_goes_on),
		NEIGH_UNIT(changed_mac_is_a_change),
		NEIGH_UNIT(arp_from_untracked_address_creates_nothing),
		NEIGH_UNIT(non_unicast_mac_ignored),
		NEIGH_UNIT(static_never_probed_nor_expired_nor_overridden),
		NEIGH_UNIT(neighbour_without_users_not_probed),
		NEIGH_UNIT(release_to_zero_stops_probing),
		NEIGH_UNIT(hundreds_of_neighbours),
		NEIGH_UNIT(timers_from_params),
		NEIGH_UNIT(walk_shows_states_by_name),
		NEIGH_UNIT(bad_index_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
