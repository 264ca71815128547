/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CONF_H
#define CONF_H

/**
 * @file
 * The configuration model of vtepd and its YAML loader. A file is validated
 * as a whole: either every field is valid and cross-references resolve, or
 * the load fails with one message naming the file, the line, the field and
 * the reason ("lab.yaml:12: vnis[0].access[1].vlan: 4095 is not a VLAN id
 * (1-4094 or untagged)").
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vtep_ip.h"

#define CONF_NAME_MAX 32
#define CONF_DEVARGS_MAX 256
#define CONF_MAX_PORTS 16
#define CONF_MAX_EAL_ARGS 64
/** VLAN value meaning "untagged" (same value as VTEP_VLAN_NONE). */
#define CONF_VLAN_UNTAGGED 0xffffu

enum conf_role {
	CONF_ROLE_UNDERLAY,
	CONF_ROLE_ACCESS,
};

struct conf_port {
	char name[CONF_NAME_MAX];
	char devargs[CONF_DEVARGS_MAX];  /**< e.g. "net_af_packet0,iface=veth0" or a PCI address */
	enum conf_role role;
	uint16_t rx_queues;              /**< default 1 */
	uint16_t rx_desc;                /**< default 1024 */
	uint16_t tx_desc;                /**< default 1024 */
	bool has_mac;                    /**< set the port's MAC to @c mac */
	uint8_t mac[6];
};

/** A static neighbour of the underlay (IP -> MAC), not resolved by ARP. */
struct conf_neigh {
	struct vtep_ip ip;
	uint8_t mac[6];
};

enum conf_ecn {
	CONF_ECN_RFC6040,                /**< RFC 6040 normal mode, both ways */
	CONF_ECN_OFF,                    /**< outer Not-ECT; outer ECN ignored on receive */
};

struct conf_underlay {
	char port[CONF_NAME_MAX];        /**< name of a port with role underlay */
	struct vtep_ip address;          /**< local VTEP address */
	uint8_t prefix_len;              /**< on-link prefix of address, 1-32 */
	struct vtep_ip gateway;          /**< next hop for off-link VTEPs; family 0 if none */
	uint16_t udp_port;               /**< default 4789 */
	uint16_t sport_min, sport_max;   /**< default 49152-65535 */
	uint8_t ttl;                     /**< default 64; unused when ttl_inherit */
	bool ttl_inherit;                /**< "inherit": the inner IPv4 TTL / IPv6 hop limit */
	uint8_t tos;                     /**< outer DSCP, ECN bits 0, default 0 */
	bool tos_inherit;                /**< "inherit": the inner packet's DSCP */
	enum conf_ecn ecn;               /**< default CONF_ECN_RFC6040 */
	bool df;                         /**< default true */
	uint16_t mtu;                    /**< largest outer IP packet, default 1500 */
	struct conf_neigh *neighbors;
	unsigned n_neighbors;
};

struct conf_access {
	char port[CONF_NAME_MAX];        /**< name of a port with role access */
	uint16_t vlan;                   /**< 1-4094 or CONF_VLAN_UNTAGGED */
};

enum conf_flood_mode {
	CONF_FLOOD_HEAD_END,             /**< a copy to each remote of the flood list */
	CONF_FLOOD_MULTICAST,            /**< one copy to an underlay multicast group */
};

struct conf_vni {
	uint32_t vni;                    /**< 1-16777215 */
	struct conf_access *access;
	unsigned n_access;
	enum conf_flood_mode flood_mode; /**< default head-end */
	struct vtep_ip group;            /**< multicast: the group (224.0.0.0/4) */
	struct vtep_ip *remotes;         /**< head-end: the flood list */
	unsigned n_remotes;
	bool learning;                   /**< default true */
	uint32_t mac_limit;              /**< default 0: none */
	uint32_t ageing;                 /**< seconds, default 300, 0: never */
	bool inner_vlan_accept;          /**< "inner_vlan: accept"; default drop (RFC 7348 section 6) */
};

struct conf_fdb {
	uint32_t vni;
	uint8_t mac[6];
	bool is_remote;                  /**< true: remote; false: local access binding */
	struct vtep_ip remote;
	struct conf_access local;
};

struct conf {
	char *path;                      /**< the file it came from */
	char *eal_args[CONF_MAX_EAL_ARGS]; /**< EAL arguments, in order */
	unsigned n_eal_args;
	struct conf_port ports[CONF_MAX_PORTS];
	unsigned n_ports;
	struct conf_underlay underlay;
	struct conf_vni *vnis;
	unsigned n_vnis;
	struct conf_fdb *fdb;
	unsigned n_fdb;
	uint32_t fdb_capacity;           /**< default 1048576 */
	uint32_t stats_interval;         /**< seconds between counter prints, 0: never (default) */
	char *state_file;                /**< where accepted changes persist; NULL: nowhere */
};

/**
 * Load and validate @p path.
 * @param err buffer for the reason when it fails (file:line: field: reason)
 * @return the configuration, or NULL with @p err filled.
 */
struct conf *conf_load(const char *path, char *err, size_t errlen);

/** Same as conf_load() for a YAML document in memory; @p name is used in messages. */
struct conf *conf_load_string(const char *yaml, size_t len, const char *name,
			      char *err, size_t errlen);

/** Free a configuration; NULL is a no-op. */
void conf_free(struct conf *c);

/** Index of the port named @p name, or -1. */
int conf_port_find(const struct conf *c, const char *name);

#endif /* CONF_H */
