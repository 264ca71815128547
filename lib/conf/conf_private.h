/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CONF_PRIVATE_H
#define CONF_PRIVATE_H

/*
 * Internals shared by the document tree (conf_node.c), the rules
 * (conf_rules.c), the YAML reader and writer (conf_yaml.c) and the model
 * helpers (conf.c). Nothing here is part of the library's interface.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"

/*
 * One pair of a mapping. The YAML reader keeps what the rules must refuse
 * in file order, as the schema walk meets it: a key that is a list or a
 * mapping (key NULL, bad_key its kind) and a key given twice (both pairs
 * kept; lookups find the first).
 */
struct conf_pair {
	char *key;
	size_t key_len;                  /* keys may hold NUL bytes (YAML "\0") */
	unsigned line;                   /* the key's line; 0 when unknown */
	bool has_bad_key;
	enum conf_node_kind bad_key;
	struct conf_node *value;
};

struct conf_node {
	enum conf_node_kind kind;
	enum conf_scalar_type type;
	/* A YAML scalar written quoted or as a block: still PLAIN, but
	 * numbers, booleans and keywords must be written without quotes. */
	bool quoted;
	unsigned line;
	union {
		struct {
			char *text;              /* NUL-terminated; len excludes it */
			size_t len;
		} s;
		struct {
			struct conf_node **items;
			size_t n, cap;
		} seq;
		struct {
			struct conf_pair *pairs;
			size_t n, cap;
			/* Open addressing over pairs (index + 1, 0: free), built
			 * once a map outgrows a scan; first pair of a key wins. */
			uint32_t *index;
			size_t index_cap;
		} map;
	};
};

/* Largest map that is scanned rather than hashed. */
#define CONF_MAP_SCAN_MAX 8

/*
 * Append a pair without refusing a duplicate key, for the YAML reader.
 * @key of @key_len bytes, NULL with @bad_key for a key that is a list or
 * a mapping. Takes ownership of @value. @return 0 or -ENOMEM.
 */
int conf_node_map_push(struct conf_node *map, const char *key, size_t key_len,
		       unsigned line, const struct conf_node *bad_key,
		       struct conf_node *value);

/* Index of the first pair with @key (@len bytes) in @map, or -1. */
long conf_node_find(const struct conf_node *map, const char *key, size_t len);

/* A scalar that was written in quotes in a YAML file. */
struct conf_node *conf_node_scalar_quoted(const char *text, size_t len, unsigned line);

/* The model's default values, shared by the rules and the writer. */
#define CONF_DEF_RX_QUEUES 1
#define CONF_DEF_DESC 1024
#define CONF_DEF_UDP_PORT 4789
#define CONF_DEF_SPORT_MIN 49152
#define CONF_DEF_SPORT_MAX 65535
#define CONF_DEF_TTL 64
/* The kernel's vxlan sends to a group with TTL 1 unless told otherwise. */
#define CONF_DEF_MCAST_TTL 1
#define CONF_DEF_TOS 0
#define CONF_DEF_MTU 1500
#define CONF_DEF_AGEING 300
#define CONF_DEF_FDB_CAPACITY 1048576
#define CONF_DEF_API_HOST "127.0.0.1"
#define CONF_DEF_API_PORT 8080
#define CONF_DEF_API_MAX_CONN 64
#define CONF_DEF_API_IDLE 30
#define CONF_DEF_API_BODY (1024 * 1024)

/* Fill @api with the defaults of an absent api section. */
void conf_api_defaults(struct conf_api *api);

/* Message formatting shared by conf_load() and friends. */
void conf_err_format(const struct conf_err *e, const char *name, char *buf, size_t size);

#endif /* CONF_PRIVATE_H */
