/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The document tree. Mappings keep their pairs in insertion order in an
 * array, scanned while small and hashed once they grow, so that neither a
 * file of 100 000 FDB entries nor a JSON object with many keys makes a
 * lookup quadratic.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf_private.h"

static struct conf_node *
node_new(enum conf_node_kind kind, unsigned line)
{
	struct conf_node *n = calloc(1, sizeof(*n));

	if (n == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	n->kind = kind;
	n->type = CONF_SCALAR_NULL;
	n->line = line;
	return n;
}

struct conf_node *
conf_node_map(unsigned line)
{
	return node_new(CONF_NODE_MAP, line);
}

struct conf_node *
conf_node_seq(unsigned line)
{
	return node_new(CONF_NODE_SEQ, line);
}

struct conf_node *
conf_node_scalar(const char *text, size_t len, enum conf_scalar_type t, unsigned line)
{
	struct conf_node *n = node_new(CONF_NODE_SCALAR, line);

	if (n == NULL)
		return NULL;
	n->type = t;
	n->s.text = malloc(len + 1);
	if (n->s.text == NULL) {
		free(n);
		errno = ENOMEM;
		return NULL;
	}
	if (len > 0)
		memcpy(n->s.text, text, len);
	n->s.text[len] = '\0';
	n->s.len = len;
	return n;
}

struct conf_node *
conf_node_scalar_quoted(const char *text, size_t len, unsigned line)
{
	struct conf_node *n = conf_node_scalar(text, len, CONF_SCALAR_PLAIN, line);

	if (n != NULL)
		n->quoted = true;
	return n;
}

/* FNV-1a: keys are short field names, or whatever junk a fuzzer sends. */
static uint64_t
key_hash(const char *key, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)key[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static bool
pair_is(const struct conf_pair *p, const char *key, size_t len)
{
	return p->key != NULL && p->key_len == len && memcmp(p->key, key, len) == 0;
}

/* Put pair @i in the index unless an earlier pair has its key. */
static void
index_put(struct conf_node *map, size_t i)
{
	const struct conf_pair *p = &map->map.pairs[i];
	size_t mask = map->map.index_cap - 1, slot;

	if (p->key == NULL)
		return;
	for (slot = key_hash(p->key, p->key_len) & mask; map->map.index[slot] != 0;
	     slot = (slot + 1) & mask)
		if (pair_is(&map->map.pairs[map->map.index[slot] - 1], p->key, p->key_len))
			return;
	map->map.index[slot] = (uint32_t)(i + 1);
}

static int
index_build(struct conf_node *map, size_t cap)
{
	uint32_t *idx = calloc(cap, sizeof(*idx));
	size_t i;

	if (idx == NULL)
		return -ENOMEM;
	free(map->map.index);
	map->map.index = idx;
	map->map.index_cap = cap;
	for (i = 0; i < map->map.n; i++)
		index_put(map, i);
	return 0;
}

long
conf_node_find(const struct conf_node *map, const char *key, size_t len)
{
	size_t i, mask, slot;

	if (map == NULL || map->kind != CONF_NODE_MAP || key == NULL)
		return -1;
	if (map->map.index == NULL) {
		for (i = 0; i < map->map.n; i++)
			if (pair_is(&map->map.pairs[i], key, len))
				return (long)i;
		return -1;
	}
	mask = map->map.index_cap - 1;
	for (slot = key_hash(key, len) & mask; map->map.index[slot] != 0; slot = (slot + 1) & mask) {
		i = map->map.index[slot] - 1;
		if (pair_is(&map->map.pairs[i], key, len))
			return (long)i;
	}
	return -1;
}

int
conf_node_map_push(struct conf_node *map, const char *key, size_t key_len, unsigned line,
		   const struct conf_node *bad_key, struct conf_node *value)
{
	struct conf_pair *p;

	if (map == NULL || map->kind != CONF_NODE_MAP || (key == NULL && bad_key == NULL)) {
		conf_node_free(value);
		return -EINVAL;
	}
	/* The index holds pair numbers in 32 bits. */
	if (map->map.n >= UINT32_MAX - 1) {
		conf_node_free(value);
		return -ENOMEM;
	}
	if (map->map.n == map->map.cap) {
		size_t cap = map->map.cap != 0 ? map->map.cap * 2 : 4;
		struct conf_pair *np = reallocarray(map->map.pairs, cap, sizeof(*np));

		if (np == NULL) {
			conf_node_free(value);
			return -ENOMEM;
		}
		map->map.pairs = np;
		map->map.cap = cap;
	}
	p = &map->map.pairs[map->map.n];
	memset(p, 0, sizeof(*p));
	if (key != NULL) {
		p->key = malloc(key_len + 1);
		if (p->key == NULL) {
			conf_node_free(value);
			return -ENOMEM;
		}
		memcpy(p->key, key, key_len);
		p->key[key_len] = '\0';
		p->key_len = key_len;
	} else {
		p->has_bad_key = true;
		p->bad_key = bad_key->kind;
	}
	p->line = line;
	p->value = value;
	map->map.n++;
	/* Keep the load factor at most one half. */
	if (map->map.n > CONF_MAP_SCAN_MAX && map->map.n * 2 > map->map.index_cap) {
		size_t cap = 32;

		while (cap < map->map.n * 4)
			cap *= 2;
		if (index_build(map, cap) < 0) {
			map->map.n--;
			free(p->key);
			conf_node_free(value);
			return -ENOMEM;
		}
	} else if (map->map.index != NULL) {
		index_put(map, map->map.n - 1);
	}
	return 0;
}

int
conf_node_map_add(struct conf_node *map, const char *key, struct conf_node *value)
{
	if (map == NULL || map->kind != CONF_NODE_MAP || key == NULL) {
		conf_node_free(value);
		return -EINVAL;
	}
	if (conf_node_find(map, key, strlen(key)) >= 0) {
		conf_node_free(value);
		return -EEXIST;
	}
	return conf_node_map_push(map, key, strlen(key), map->line, NULL, value);
}

int
conf_node_seq_add(struct conf_node *seq, struct conf_node *item)
{
	if (seq == NULL || seq->kind != CONF_NODE_SEQ) {
		conf_node_free(item);
		return -EINVAL;
	}
	if (seq->seq.n == seq->seq.cap) {
		size_t cap = seq->seq.cap != 0 ? seq->seq.cap * 2 : 4;
		struct conf_node **ni = reallocarray(seq->seq.items, cap, sizeof(*ni));

		if (ni == NULL) {
			conf_node_free(item);
			return -ENOMEM;
		}
		seq->seq.items = ni;
		seq->seq.cap = cap;
	}
	seq->seq.items[seq->seq.n++] = item;
	return 0;
}

enum conf_node_kind
conf_node_kind(const struct conf_node *n)
{
	return n->kind;
}

unsigned
conf_node_line(const struct conf_node *n)
{
	return n != NULL ? n->line : 0;
}

size_t
conf_node_size(const struct conf_node *n)
{
	if (n == NULL)
		return 0;
	switch (n->kind) {
	case CONF_NODE_MAP:
		return n->map.n;
	case CONF_NODE_SEQ:
		return n->seq.n;
	default:
		return 0;
	}
}

const char *
conf_node_key(const struct conf_node *map, size_t i)
{
	if (map == NULL || map->kind != CONF_NODE_MAP || i >= map->map.n)
		return NULL;
	return map->map.pairs[i].key;
}

struct conf_node *
conf_node_value(const struct conf_node *map, size_t i)
{
	if (map == NULL || map->kind != CONF_NODE_MAP || i >= map->map.n)
		return NULL;
	return map->map.pairs[i].value;
}

struct conf_node *
conf_node_get(const struct conf_node *map, const char *key)
{
	long i = key != NULL ? conf_node_find(map, key, strlen(key)) : -1;

	return i >= 0 ? map->map.pairs[i].value : NULL;
}

struct conf_node *
conf_node_item(const struct conf_node *seq, size_t i)
{
	if (seq == NULL || seq->kind != CONF_NODE_SEQ || i >= seq->seq.n)
		return NULL;
	return seq->seq.items[i];
}

const char *
conf_node_text(const struct conf_node *n)
{
	return n != NULL && n->kind == CONF_NODE_SCALAR ? n->s.text : NULL;
}

enum conf_scalar_type
conf_node_type(const struct conf_node *n)
{
	return n != NULL && n->kind == CONF_NODE_SCALAR ? n->type : CONF_SCALAR_NULL;
}

int
conf_node_map_del(struct conf_node *map, const char *key)
{
	long i;

	if (map == NULL || map->kind != CONF_NODE_MAP || key == NULL)
		return -EINVAL;
	i = conf_node_find(map, key, strlen(key));
	if (i < 0)
		return -ENOENT;
	free(map->map.pairs[i].key);
	conf_node_free(map->map.pairs[i].value);
	memmove(&map->map.pairs[i], &map->map.pairs[i + 1],
		(map->map.n - (size_t)i - 1) * sizeof(map->map.pairs[0]));
	map->map.n--;
	/* Indices moved: rebuild at the same size (no allocation can fail). */
	if (map->map.index != NULL) {
		memset(map->map.index, 0, map->map.index_cap * sizeof(map->map.index[0]));
		for (size_t j = 0; j < map->map.n; j++)
			index_put(map, j);
	}
	return 0;
}

void
conf_node_free(struct conf_node *n)
{
	size_t i;

	if (n == NULL)
		return;
	switch (n->kind) {
	case CONF_NODE_MAP:
		for (i = 0; i < n->map.n; i++) {
			free(n->map.pairs[i].key);
			conf_node_free(n->map.pairs[i].value);
		}
		free(n->map.pairs);
		free(n->map.index);
		break;
	case CONF_NODE_SEQ:
		for (i = 0; i < n->seq.n; i++)
			conf_node_free(n->seq.items[i]);
		free(n->seq.items);
		break;
	case CONF_NODE_SCALAR:
		free(n->s.text);
		break;
	}
	free(n);
}
