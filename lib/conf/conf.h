/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CONF_H
#define CONF_H

/**
 * @file
 * The configuration model of vtepd, its rules, and its YAML reader and
 * writer. A document is validated as a whole: either every field is valid
 * and cross-references resolve, or it is refused with one error naming the
 * line, the field and the reason ("lab.yaml:12: vnis[0].access[1].vlan:
 * 4095 is not a VLAN id (1-4094 or untagged)").
 *
 * The rules work on a generic document tree (struct conf_node), so that a
 * YAML file and a JSON body of the REST API are checked by the same code
 * and refused with the same words: the YAML reader builds such a tree,
 * and so does the API's JSON reader.
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
	uint8_t mcast_ttl;               /**< outer TTL toward a multicast group, default 1 */
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
	CONF_FLOOD_SERVICE_NODE,         /**< one unicast copy to a service node, which floods */
};

/** The highest bum_limit_pps: more than a core floods anyway. */
#define CONF_MAX_BUM_PPS 100000000u

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
	uint32_t bum_limit_pps;          /**< storm control of access BUM, frames/s; 0: none */
	struct vtep_ip service_node;     /**< service-node: where BUM frames go */
	/** head-end: act as the service node of the VTEPs in the flood list,
	 * re-sending what one of them floods to the others (default false) */
	bool replicator;
	/** Answer ARP requests from the access side for the addresses whose
	 * MAC this VNI knows (default false). */
	bool arp_suppress;
	struct conf_neigh *neighbors;    /**< static IPv4 -> MAC bindings of the VNI */
	unsigned n_neighbors;
};

/** The most static neighbours a VNI may have. */
#define CONF_MAX_VNI_NEIGHBORS 4096

struct conf_fdb {
	uint32_t vni;
	uint8_t mac[6];
	bool is_remote;                  /**< true: remote; false: local access binding */
	struct vtep_ip remote;
	struct conf_access local;
};

/** The REST API's settings, the optional "api" section. */
struct conf_api {
	bool enabled;                    /**< the section is present */
	char listen_host[64];            /**< IPv4 or IPv6 literal, without brackets */
	uint16_t listen_port;            /**< default 8080 */
	char token_file[256];
	bool has_token_file;
	uint32_t max_connections;        /**< default 64, 1-1024 */
	uint32_t idle_timeout;           /**< seconds, default 30, 1-3600 */
	uint32_t body_limit;             /**< bytes, default 1 MiB, 1024-67108864 */
};

struct conf {
	char *path;                      /**< the file it came from; NULL from conf_from_node() */
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
	struct conf_api api;             /**< api.enabled false: no API */
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

/** A binding as the rules name it in their reasons: "vm1 vlan 200" or
 * "vm1 untagged". @return @p buf. */
const char *conf_binding_str(char *buf, size_t size, const char *port, uint16_t vlan);

/** Index of the port named @p name, or -1. */
int conf_port_find(const struct conf *c, const char *name);

/**
 * @name Document tree
 * What a YAML file or a JSON body reads as, before the rules: mappings
 * (keys in insertion order), sequences and scalars that keep their text as
 * written. Lookups by key hash once a mapping has more than a few keys;
 * sequences are arrays.
 * @{
 */
enum conf_node_kind { CONF_NODE_MAP, CONF_NODE_SEQ, CONF_NODE_SCALAR };

enum conf_scalar_type {
	CONF_SCALAR_PLAIN,   /**< YAML scalar: its text is typed by the rule that reads it */
	CONF_SCALAR_STRING,  /**< JSON string */
	CONF_SCALAR_NUMBER,  /**< JSON number (text as written) */
	CONF_SCALAR_BOOL,    /**< JSON true/false (text "true"/"false") */
	CONF_SCALAR_NULL,    /**< JSON null; YAML's null words stay PLAIN */
};

struct conf_node;

/**
 * New empty mapping, sequence, or a scalar holding a copy of @p len bytes
 * of @p text. @p line is where it starts in its file, 0 when there is none.
 * @return the node, or NULL with errno ENOMEM.
 */
struct conf_node *conf_node_map(unsigned line);
struct conf_node *conf_node_seq(unsigned line);
struct conf_node *conf_node_scalar(const char *text, size_t len, enum conf_scalar_type t,
				   unsigned line);

/**
 * Add @p key with @p value at the end of @p map; @p value is owned by the
 * map from now on, also when this fails (it is then freed).
 * @return 0, -EEXIST when @p map has @p key already, -EINVAL when @p map is
 * not a mapping, -ENOMEM.
 */
int conf_node_map_add(struct conf_node *map, const char *key, struct conf_node *value);

/**
 * Append @p item to @p seq, which owns it from now on (freed on failure).
 * @return 0, -EINVAL when @p seq is not a sequence, -ENOMEM.
 */
int conf_node_seq_add(struct conf_node *seq, struct conf_node *item);

enum conf_node_kind conf_node_kind(const struct conf_node *n);
/** The node's line in its file; 0: none (JSON). */
unsigned conf_node_line(const struct conf_node *n);
/** Pairs of a mapping, items of a sequence; 0 for a scalar. */
size_t conf_node_size(const struct conf_node *n);
/** Key of pair @p i of @p map, in insertion order; NULL if out of range. */
const char *conf_node_key(const struct conf_node *map, size_t i);
/** Value of pair @p i of @p map; NULL if out of range. */
struct conf_node *conf_node_value(const struct conf_node *map, size_t i);
/** Value of @p key in @p map; NULL when absent or @p map is not a mapping. */
struct conf_node *conf_node_get(const struct conf_node *map, const char *key);
/** Item @p i of @p seq; NULL if out of range. */
struct conf_node *conf_node_item(const struct conf_node *seq, size_t i);
/** A scalar's text (NUL-terminated); NULL for a collection. */
const char *conf_node_text(const struct conf_node *n);
/** A scalar's type; CONF_SCALAR_NULL for a collection. */
enum conf_scalar_type conf_node_type(const struct conf_node *n);
/**
 * Remove @p key from @p map and free its value.
 * @return 0, -ENOENT when absent, -EINVAL when @p map is not a mapping.
 */
int conf_node_map_del(struct conf_node *map, const char *key);
/**
 * Free @p n and everything under it; NULL is a no-op. This, like
 * conf_emit_yaml(), recurses: whoever builds a tree bounds its depth (the
 * YAML reader refuses more than 16 levels).
 */
void conf_node_free(struct conf_node *n);
/** @} */

/** Why a document was refused: the field path and the reason, in the rules' words. */
struct conf_err {
	unsigned line;                   /**< 0: none (JSON, or out of memory) */
	char field[160];                 /**< "vnis[0].vni", "document", "yaml"; "" when none */
	char reason[256];
};

/**
 * Apply every rule of the schema to the document @p root: field types and
 * ranges, defaults, cross-references, duplicates. A PLAIN scalar is read as
 * YAML text; a JSON STRING is refused where a number or a boolean is due,
 * a NUMBER or BOOL where text is due.
 * @return the configuration (path NULL), or NULL with @p err filled and
 * errno EINVAL (refused) or ENOMEM.
 */
struct conf *conf_from_node(const struct conf_node *root, struct conf_err *err);

/**
 * The model as a document in the schema conf_from_node() takes, with typed
 * scalars (STRING, NUMBER, BOOL). Fields at their default are left out.
 * @return the tree, or NULL with errno ENOMEM (EINVAL for a NULL @p c).
 */
struct conf_node *conf_to_node(const struct conf *c);

/**
 * Write @p n as block-style YAML that the reader takes back: deterministic,
 * strings quoted where a YAML reader would take them for anything else.
 * @param out a malloc'ed, NUL-terminated buffer, @p len bytes without the NUL
 * @return 0, -EINVAL (NULL argument), -ENOMEM.
 */
int conf_emit_yaml(const struct conf_node *n, char **out, size_t *len);

/** conf_to_node() and conf_emit_yaml(): @return 0, -EINVAL, -ENOMEM. */
int conf_write(const struct conf *c, char **out, size_t *len);

/** A deep copy of @p c. @return it, or NULL with errno ENOMEM (EINVAL for NULL). */
struct conf *conf_dup(const struct conf *c);

/** Do @p a and @p b configure the same thing? Their paths are not compared. */
bool conf_equal(const struct conf *a, const struct conf *b);

/**
 * The configuration that a state file applies to the file @p base: base's
 * eal, ports, state_file, api, fdb_capacity, stats_interval and fixed
 * underlay fields (port, address, prefix, gateway, udp_port, mcast_ttl,
 * neighbors);
 * state's vnis, fdb and live underlay fields (ttl, tos, df, ecn, source
 * ports, mtu). The result is validated whole, so that a state naming a
 * port the file no longer has is refused with its field path.
 * @return the result (path copied from @p base), or NULL with @p err filled
 * and errno EINVAL (refused or a NULL argument) or ENOMEM.
 */
struct conf *conf_merge_state(const struct conf *base, const struct conf *state,
			      struct conf_err *err);

#endif /* CONF_H */
