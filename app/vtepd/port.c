/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Probing, configuring and starting the ports the configuration names, and
 * watching the memif ones.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_errno.h>

#include "memif.h"
#include "vtepd.h"

/* What the control thread watches of a memif port. */
struct port_watch {
	bool memif;
	struct memif_info mi;
	bool up;                         /* link up at the last poll */
	bool lost;                       /* listening socket found gone */
	uint64_t next_check;             /* timer cycles: next listener check */
	uint64_t disconnects, listener_lost;
};

static struct port_watch watch[CONF_MAX_PORTS];

static int
port_probe(const struct conf_port *cp, uint16_t *port_id)
{
	int rc = vtep_dev_probe(cp->devargs, port_id);

	if (rc != 0)
		VLOG(ERR, "port %s: cannot probe \"%s\": %s", cp->name, cp->devargs,
		     strerror(-rc));
	return rc;
}

static int
port_setup(struct vtepd *d, const struct conf_port *cp, struct vtepd_port *p)
{
	struct rte_eth_conf ec;
	struct rte_eth_dev_info di;
	struct rte_eth_txconf txc;
	char macs[RTE_ETHER_ADDR_FMT_SIZE];
	uint16_t nb_rxd = cp->rx_desc, nb_txd = cp->tx_desc;
	uint16_t q;
	int rc;

	rc = port_probe(cp, &p->id);
	if (rc != 0)
		return rc;
	rc = rte_eth_dev_info_get(p->id, &di);
	if (rc != 0)
		return rc;
	if (cp->rx_queues > di.max_rx_queues || d->n_workers > di.max_tx_queues) {
		VLOG(ERR, "port %s: needs %u RX and %u TX queues (one per worker); "
		     "the device has %u and %u", cp->name, cp->rx_queues, d->n_workers,
		     di.max_rx_queues, di.max_tx_queues);
		return -EINVAL;
	}

	memset(&ec, 0, sizeof(ec));
	if (cp->rx_queues > 1) {
		ec.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		ec.rx_adv_conf.rss_conf.rss_hf = di.flow_type_rss_offloads &
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP | RTE_ETH_RSS_TCP);
	}
	p->multi_seg = (di.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS) != 0;
	if (p->multi_seg)
		ec.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	if (p->underlay && (di.tx_offload_capa & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM)) {
		ec.txmode.offloads |= RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
		p->ip_csum = true;
	}
	if (di.rx_offload_capa & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM)
		ec.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_IPV4_CKSUM;
	/* A non-zero outer UDP checksum is verified: by the port when it can. */
	if (p->underlay && (di.rx_offload_capa & RTE_ETH_RX_OFFLOAD_UDP_CKSUM))
		ec.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_UDP_CKSUM;

	rc = rte_eth_dev_configure(p->id, cp->rx_queues, (uint16_t)d->n_workers, &ec);
	if (rc != 0) {
		VLOG(ERR, "port %s: configure: %s", cp->name, strerror(-rc));
		return rc;
	}
	rte_eth_dev_adjust_nb_rx_tx_desc(p->id, &nb_rxd, &nb_txd);
	for (q = 0; q < cp->rx_queues; q++) {
		rc = rte_eth_rx_queue_setup(p->id, q, nb_rxd, rte_eth_dev_socket_id(p->id),
					    NULL, d->pool);
		if (rc != 0) {
			VLOG(ERR, "port %s: RX queue %u: %s", cp->name, q, strerror(-rc));
			return rc;
		}
	}
	txc = di.default_txconf;
	txc.offloads = ec.txmode.offloads;
	for (q = 0; q < d->n_workers; q++) {
		rc = rte_eth_tx_queue_setup(p->id, q, nb_txd, rte_eth_dev_socket_id(p->id), &txc);
		if (rc != 0) {
			VLOG(ERR, "port %s: TX queue %u: %s", cp->name, q, strerror(-rc));
			return rc;
		}
	}
	rc = rte_eth_dev_start(p->id);
	if (rc != 0) {
		VLOG(ERR, "port %s: start: %s", cp->name, strerror(-rc));
		return rc;
	}
	/* Access ports carry any VM's MAC. The underlay needs broadcast for
	 * ARP and its multicast groups, whose filter the control thread sets
	 * (lib/ctl/ctl_igmp.c). */
	if (!p->underlay)
		rte_eth_promiscuous_enable(p->id);
	if (cp->has_mac) {
		struct rte_ether_addr mac;

		memcpy(mac.addr_bytes, cp->mac, RTE_ETHER_ADDR_LEN);
		rc = rte_eth_dev_default_mac_addr_set(p->id, &mac);
		/* Devices that cannot change it (net_ring) may still take it
		 * in their empty first slot when they have no MAC of their own. */
		if (rc == -ENOTSUP)
			rc = rte_eth_dev_mac_addr_add(p->id, &mac, 0);
		if (rc != 0) {
			VLOG(ERR, "port %s: cannot set MAC: %s", cp->name, strerror(-rc));
			return rc;
		}
	}
	rte_eth_macaddr_get(p->id, &p->mac);
	rte_ether_format_addr(macs, sizeof(macs), &p->mac);
	VLOG(INFO, "port %s: %s, MAC %s, %u RX queue(s)", cp->name,
	     p->underlay ? "underlay" : "access", macs, cp->rx_queues);
	return 0;
}

int
port_setup_all(struct vtepd *d)
{
	const struct conf *cf = d->conf;
	unsigned i;
	int rc;

	for (i = 0; i < cf->n_ports; i++) {
		struct vtepd_port *p = &d->ports[i];

		snprintf(p->name, sizeof(p->name), "%s", cf->ports[i].name);
		p->underlay = cf->ports[i].role == CONF_ROLE_UNDERLAY;
		p->n_rxq = cf->ports[i].rx_queues;
		if (p->underlay)
			d->underlay = (uint16_t)i;
		rc = port_setup(d, &cf->ports[i], p);
		if (rc != 0)
			return rc;
		d->n_ports = i + 1;
		memset(&watch[i], 0, sizeof(watch[i]));
		watch[i].memif = memif_devargs_parse(cf->ports[i].devargs, &watch[i].mi);
	}
	/* From now on munmap() waits for the workers (unmap.c). */
	__atomic_store_n(&d->unmap_grace, true, __ATOMIC_RELEASE);
	return 0;
}

void
port_close_all(struct vtepd *d)
{
	unsigned i;

	for (i = 0; i < d->n_ports; i++) {
		rte_eth_dev_stop(d->ports[i].id);
		/* Closing flushes what pcap and similar devices buffered. */
		rte_eth_dev_close(d->ports[i].id);
	}
	d->n_ports = 0;
	__atomic_store_n(&d->unmap_grace, false, __ATOMIC_RELEASE);
}

/* ---- watching memif ports --------------------------------------------- */

/*
 * A memif server must accept a client again after any number of clients
 * have come and gone. With DPDK 22.11 the one way it stopped doing so was
 * the process dying in the PMD's RX burst when a client left (unmap.c
 * prevents that). It cannot be re-created in the process either: removing
 * a memif server device leaves its listening socket open and its interrupt
 * callback registered (the probe that follows fails with "Address already
 * in use" and the EAL interrupt thread spins on the stale callback). So
 * the control thread watches: it counts disconnects (the PMD raises no
 * link-state event: it does not set RTE_ETH_DEV_INTR_LSC), and while
 * nobody is connected it checks once a second that the server still
 * listens, and says so loudly if it does not.
 */
void
port_watch_poll(struct vtepd *d)
{
	uint64_t now = rte_get_timer_cycles();
	unsigned i;

	for (i = 0; i < d->n_ports; i++) {
		struct port_watch *pw = &watch[i];
		struct rte_eth_link link;
		bool up;

		if (!pw->memif)
			continue;
		memset(&link, 0, sizeof(link));
		if (rte_eth_link_get_nowait(d->ports[i].id, &link) != 0)
			continue;
		up = link.link_status == RTE_ETH_LINK_UP;
		if (pw->up && !up) {
			pw->disconnects++;
			VLOG(INFO, "port %s: the %s disconnected (%" PRIu64 " so far)",
			     d->ports[i].name, pw->mi.server ? "client" : "server",
			     pw->disconnects);
		}
		pw->up = up;
		if (up || !pw->mi.server || now < pw->next_check)
			continue;
		pw->next_check = now + rte_get_timer_hz();
		if (memif_listening(&pw->mi)) {
			pw->lost = false;
		} else if (!pw->lost) {
			pw->lost = true;
			pw->listener_lost++;
			VLOG(ERR, "port %s: nothing listens on %s%s any more: no client can "
			     "connect until vtepd restarts", d->ports[i].name,
			     pw->mi.abstract ? "@" : "", pw->mi.socket);
		}
	}
}

void
port_stats_print(struct vtepd *d, unsigned i, FILE *f)
{
	const char *name = d->ports[i].name;

	fprintf(f, "port.%s.disconnects %" PRIu64 "\n", name, watch[i].disconnects);
	fprintf(f, "port.%s.listener_lost %" PRIu64 "\n", name, watch[i].listener_lost);
}
