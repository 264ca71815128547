/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rules of the schema, over the document tree. The walk follows the
 * schema, never the shape of the input, so junk can make it fail but not
 * recurse or loop. Every check returns at the first error with the field
 * path and the reason; the YAML loader adds the file and the line, the REST
 * API passes it to its client as it is.
 *
 * Scalars carry their type: a YAML scalar is PLAIN and typed by the rule
 * that reads it, exactly as the YAML loader always has; a JSON body brings
 * strings, numbers and booleans, and a rule refuses the wrong one in the
 * same words for both ("\"200\" is a string, not a number").
 *
 * Each section is checked field by field as it is read; duplicates and
 * lookups across a section (VNIs, bindings, remotes, FDB keys) then use a
 * sorted array so that documents with millions of entries load in n log n.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf_private.h"

/* User text quoted in a message is cut to this many bytes. */
#define SHOW_LEN 40
#define SHOW_BUF (SHOW_LEN * 4 + 8)
#define PATH_BUF 256

#define SVAL(n) ((const char *)(n)->s.text)
#define SLEN(n) ((n)->s.len)
#define LINE(n) ((n)->line)

/* A sortable key naming an entry of the document, for duplicates and lookups. */
struct key {
	uint64_t hi, lo;
	size_t ord;            /* document order: the first of equal keys is the original */
	unsigned a, b;         /* indices that rebuild the entry's field path */
	unsigned line;
};

struct keyvec {
	struct key *k;
	size_t n, cap;
};

struct loader {
	struct conf *c;
	struct conf_err *err;
	int rc;                /* -errno of the first failure */
	bool have_address;     /* underlay.address is parsed: remotes can be checked */
	struct keyvec vnis;    /* vni -> index in c->vnis; sorted once all are read */
	struct keyvec binds;   /* (port, vlan) -> vni and access index */
	struct keyvec remotes; /* (vni index, remote) */
};

static int __attribute__((format(printf, 4, 5)))
fail_line(struct loader *l, unsigned line, const char *field, const char *fmt, ...)
{
	va_list ap;

	if (l->rc != 0)
		return -1;
	l->rc = -EINVAL;
	l->err->line = line;
	snprintf(l->err->field, sizeof(l->err->field), "%s",
		 *field != '\0' ? field : "document");
	va_start(ap, fmt);
	vsnprintf(l->err->reason, sizeof(l->err->reason), fmt, ap);
	va_end(ap);
	return -1;
}

#define fail(l, node, field, ...) fail_line(l, LINE(node), field, __VA_ARGS__)

static int
fail_oom(struct loader *l)
{
	if (l->rc != 0)
		return -1;
	l->rc = -ENOMEM;
	l->err->line = 0;
	l->err->field[0] = '\0';
	snprintf(l->err->reason, sizeof(l->err->reason), "out of memory");
	return -1;
}

static void *
alloc(struct loader *l, size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (p == NULL)
		fail_oom(l);
	return p;
}

/*
 * Where the first of two duplicates is: its line in a file, its field path
 * in a document without lines (JSON).
 */
static const char *
at(char *buf, size_t size, unsigned line, const char *path)
{
	if (line != 0)
		snprintf(buf, size, "line %u", line);
	else
		snprintf(buf, size, "%s", path);
	return buf;
}

/*
 * User text for a message: printable ASCII as is, other bytes escaped, long
 * values cut, so a message stays one line of valid UTF-8 whatever the
 * document holds (the API puts it in JSON). Quoted when it was a string.
 */
static const char *
show(char *buf, const char *s, size_t len, bool quote)
{
	size_t o = 0, i;

	if (quote)
		buf[o++] = '"';
	for (i = 0; i < len && i < SHOW_LEN; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (quote && (ch == '"' || ch == '\\')) {
			buf[o++] = '\\';
			buf[o++] = (char)ch;
		} else if (ch >= 0x20 && ch < 0x7f) {
			buf[o++] = (char)ch;
		} else {
			o += (size_t)snprintf(buf + o, SHOW_BUF - o, "\\x%02x", ch);
		}
	}
	if (i < len) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	if (quote)
		buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

/* A YAML scalar written without quotes: the one form a number may take. */
static bool
is_plain(const struct conf_node *n)
{
	return n->type == CONF_SCALAR_PLAIN && !n->quoted;
}

static const char *
show_node(char *buf, const struct conf_node *n)
{
	return show(buf, SVAL(n), SLEN(n), n->quoted || n->type == CONF_SCALAR_STRING);
}

static void
path_key(char *p, const char *base, const char *key)
{
	/* By hand, not snprintf(): a path is made for every field of every
	 * entry, and a document may hold 100 000 entries. Cut at PATH_BUF. */
	size_t n = strnlen(base, PATH_BUF - 1), k;

	memmove(p, base, n);
	if (n != 0 && n < PATH_BUF - 1)
		p[n++] = '.';
	k = strlen(key);
	if (k > PATH_BUF - 1 - n)
		k = PATH_BUF - 1 - n;
	memcpy(p + n, key, k);
	p[n + k] = '\0';
}

static void
path_idx(char *p, const char *base, size_t i)
{
	char num[24];
	size_t n = strnlen(base, PATH_BUF - 1), d = sizeof(num);

	do
		num[--d] = (char)('0' + i % 10);
	while ((i /= 10) != 0);
	memmove(p, base, n);
	if (n + 2 + (sizeof(num) - d) < PATH_BUF) {
		p[n++] = '[';
		memcpy(p + n, num + d, sizeof(num) - d);
		n += sizeof(num) - d;
		p[n++] = ']';
	}
	p[n] = '\0';
}

/* JSON null, or a plain empty, ~ or null in YAML: taken as "not given". */
static bool
is_null(const struct conf_node *n)
{
	const char *s;

	if (n->kind != CONF_NODE_SCALAR)
		return false;
	if (n->type == CONF_SCALAR_NULL)
		return true;
	if (!is_plain(n))
		return false;
	s = SVAL(n);
	return SLEN(n) == 0 || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
		strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

static const char *
kind_name(enum conf_node_kind k)
{
	return k == CONF_NODE_MAP ? "a mapping" : "a list";
}

static const char *
kind(const struct conf_node *n)
{
	if (n->kind != CONF_NODE_SCALAR)
		return kind_name(n->kind);
	return is_null(n) ? "an empty value" : "a scalar";
}

static int
want_map(struct loader *l, const struct conf_node *n, const char *path)
{
	if (n->kind != CONF_NODE_MAP)
		return fail(l, n, path, "expected a mapping, got %s", kind(n));
	return 0;
}

static int
want_list(struct loader *l, const struct conf_node *n, const char *path)
{
	if (n->kind != CONF_NODE_SEQ)
		return fail(l, n, path, "expected a list, got %s", kind(n));
	/* The model counts in unsigned; no real file comes near. */
	if (n->seq.n > UINT_MAX)
		return fail(l, n, path, "too many entries");
	return 0;
}

/*
 * A scalar with a value. A YAML null word among list items stays text
 * (the YAML loader always took "~" as such); a JSON null is no value.
 */
static int
want_scalar(struct loader *l, const struct conf_node *n, const char *path, const char *what)
{
	if (n->kind != CONF_NODE_SCALAR || n->type == CONF_SCALAR_NULL)
		return fail(l, n, path, "expected %s, got %s", what, kind(n));
	if (memchr(SVAL(n), '\0', SLEN(n)) != NULL)
		return fail(l, n, path, "contains a NUL character");
	return 0;
}

/* Text: a name, an address, a keyword; a JSON number or boolean is none. */
static int
want_text(struct loader *l, const struct conf_node *n, const char *path, const char *what)
{
	char q[SHOW_BUF];

	if (want_scalar(l, n, path, what) < 0)
		return -1;
	if (n->type == CONF_SCALAR_NUMBER)
		return fail(l, n, path, "%s is a number, not %s", show_node(q, n), what);
	if (n->type == CONF_SCALAR_BOOL)
		return fail(l, n, path, "%s is a boolean, not %s", show_node(q, n), what);
	return 0;
}

static bool
valid_name(const char *s)
{
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return false;
	return true;
}

/*
 * @n must be a mapping whose keys are scalars, all in @keys, none twice:
 * libyaml keeps duplicate keys, and a silently ignored second "vni:" is the
 * kind of mistake a loader must not hide. The YAML reader keeps both, and
 * keys that are not scalars, for this check to find in document order.
 */
static int
check_map(struct loader *l, const struct conf_node *n, const char *path,
	  const char *const *keys)
{
	char q1[SHOW_BUF], kp[PATH_BUF], w[PATH_BUF];
	size_t i;

	if (want_map(l, n, path) < 0)
		return -1;
	for (i = 0; i < n->map.n; i++) {
		const struct conf_pair *p = &n->map.pairs[i];
		const char *const *known;
		long first;
		bool odd;

		if (p->has_bad_key)
			return fail_line(l, p->line, path, "a key is %s; keys are field names",
					 kind_name(p->bad_key));
		for (known = keys; *known != NULL; known++)
			if (strlen(*known) == p->key_len && memcmp(*known, p->key, p->key_len) == 0)
				break;
		/* Quote odd keys: a FIELD with spaces or colons would be ambiguous. */
		odd = p->key_len == 0 || strlen(p->key) != p->key_len || !valid_name(p->key);
		path_key(kp, path, show(q1, p->key, p->key_len, odd));
		if (*known == NULL)
			return fail_line(l, p->line, kp, "unknown field");
		first = conf_node_find(n, p->key, p->key_len);
		if (first >= 0 && (size_t)first != i)
			return fail_line(l, p->line, kp, "duplicate field (first at %s)",
					 at(w, sizeof(w), n->map.pairs[first].line, kp));
	}
	return 0;
}

/*
 * Find @key in the checked mapping @map; its path goes to @path.
 * @return 1 with *v set, 0 when absent or null and optional, -1 on error.
 */
static int
member(struct loader *l, const struct conf_node *map, const char *base, const char *key,
       bool required, const struct conf_node **v, char *path)
{
	long i = conf_node_find(map, key, strlen(key));

	path_key(path, base, key);
	if (i >= 0) {
		*v = map->map.pairs[i].value;
		if (!is_null(*v))
			return 1;
		if (required)
			return fail_line(l, map->map.pairs[i].line, path,
					 "required field has no value");
		return 0;
	}
	if (required)
		return fail(l, map, path, "required field is missing");
	return 0;
}

/*
 * Strict decimal: digits only, no leading zero ("010" is octal in YAML 1.1),
 * no overflow. A leading '-' is read only so that "-1" is reported as out
 * of range rather than as not a number.
 */
static int
parse_u64(const char *s, uint64_t *out)
{
	bool neg = false, overflow = false;
	uint64_t x = 0;

	if (*s == '-') {
		neg = true;
		s++;
	}
	if (*s < '0' || *s > '9' || (s[0] == '0' && s[1] != '\0'))
		return -EINVAL;
	for (; *s != '\0'; s++) {
		unsigned d;

		if (*s < '0' || *s > '9')
			return -EINVAL;
		d = (unsigned)(*s - '0');
		if (x > (UINT64_MAX - d) / 10)
			overflow = true;
		x = x * 10 + d;
	}
	if (neg && x == 0 && !overflow)
		return -EINVAL;
	if (neg || overflow)
		return -ERANGE;
	*out = x;
	return 0;
}

static int
get_uint(struct loader *l, const struct conf_node *v, const char *path,
	 uint64_t min, uint64_t max, uint64_t *out)
{
	char q[SHOW_BUF];
	uint64_t x = 0;
	int rc;

	if (want_scalar(l, v, path, "a number") < 0)
		return -1;
	show_node(q, v);
	if (v->type == CONF_SCALAR_STRING)
		return fail(l, v, path, "%s is a string, not a number", q);
	if (v->type == CONF_SCALAR_BOOL)
		return fail(l, v, path, "%s is a boolean, not a number", q);
	/* "4789" in quotes is a string in YAML; taking it would hide typos. */
	if (v->quoted)
		return fail(l, v, path, "%s is quoted; numbers are written without quotes", q);
	rc = parse_u64(SVAL(v), &x);
	if (rc == -EINVAL)
		return fail(l, v, path, "%s is not a decimal integer", q);
	if (rc == -ERANGE || x < min || x > max)
		return fail(l, v, path, "%s is out of range (%" PRIu64 "-%" PRIu64 ")", q, min, max);
	*out = x;
	return 0;
}

static int
field_uint(struct loader *l, const struct conf_node *map, const char *base, const char *key,
	   uint64_t min, uint64_t max, uint64_t def, uint64_t *out)
{
	char path[PATH_BUF];
	const struct conf_node *v;
	int rc;

	*out = def;
	rc = member(l, map, base, key, false, &v, path);
	if (rc <= 0)
		return rc;
	return get_uint(l, v, path, min, max, out);
}

static int
field_u32(struct loader *l, const struct conf_node *map, const char *base, const char *key,
	  uint32_t min, uint32_t max, uint32_t def, uint32_t *out)
{
	uint64_t x;

	if (field_uint(l, map, base, key, min, max, def, &x) < 0)
		return -1;
	*out = (uint32_t)x;
	return 0;
}

static int
field_u16(struct loader *l, const struct conf_node *map, const char *base, const char *key,
	  uint16_t min, uint16_t max, uint16_t def, uint16_t *out)
{
	uint64_t x;

	if (field_uint(l, map, base, key, min, max, def, &x) < 0)
		return -1;
	*out = (uint16_t)x;
	return 0;
}

/*
 * A number in [min, max] or the word @kw: *is_kw tells which. Absent: def.
 * @mult: the number must be a multiple of it (1: any). The word is plain
 * in YAML, a string in JSON.
 */
static int
field_uint_or(struct loader *l, const struct conf_node *map, const char *base, const char *key,
	      uint64_t min, uint64_t max, uint64_t mult, uint64_t def, const char *kw,
	      uint64_t *out, bool *is_kw)
{
	char path[PATH_BUF], q[SHOW_BUF];
	const struct conf_node *v;
	bool word;
	int rc;

	*out = def;
	*is_kw = false;
	rc = member(l, map, base, key, false, &v, path);
	if (rc <= 0)
		return rc;
	if (want_scalar(l, v, path, "a number") < 0)
		return -1;
	word = is_plain(v) || v->type == CONF_SCALAR_STRING;
	if (word && strcmp(SVAL(v), kw) == 0) {
		*is_kw = true;
		return 0;
	}
	if ((word || v->type == CONF_SCALAR_BOOL) &&
	    (SVAL(v)[0] < '0' || SVAL(v)[0] > '9') && SVAL(v)[0] != '-')
		return fail(l, v, path, "%s is neither a number (%" PRIu64 "-%" PRIu64 ") nor %s",
			    show_node(q, v), min, max, kw);
	if (get_uint(l, v, path, min, max, out) < 0)
		return -1;
	if (*out % mult != 0)
		return fail(l, v, path, "%s is not a multiple of %" PRIu64, show_node(q, v), mult);
	return 0;
}

/* One of the words @words (NULL-terminated); *out is its index. Absent: def. */
static int
field_word(struct loader *l, const struct conf_node *map, const char *base, const char *key,
	   const char *const *words, const char *what, unsigned def, unsigned *out)
{
	char path[PATH_BUF], q[SHOW_BUF], list[128];
	const struct conf_node *v;
	size_t n = 0;
	unsigned i;
	int rc;

	*out = def;
	rc = member(l, map, base, key, false, &v, path);
	if (rc <= 0)
		return rc;
	if (want_text(l, v, path, what) < 0)
		return -1;
	for (i = 0; words[i] != NULL; i++)
		if (strcmp(SVAL(v), words[i]) == 0) {
			*out = i;
			return 0;
		}
	list[0] = '\0';
	for (i = 0; words[i] != NULL && n < sizeof(list); i++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s",
				      i == 0 ? "" : words[i + 1] == NULL ? " or " : ", ", words[i]);
	return fail(l, v, path, "%s is not %s (%s)", show_node(q, v), what, list);
}

static int
field_bool(struct loader *l, const struct conf_node *map, const char *base, const char *key,
	   bool def, bool *out)
{
	char path[PATH_BUF], q[SHOW_BUF];
	const struct conf_node *v;
	const char *s;
	int rc;

	*out = def;
	rc = member(l, map, base, key, false, &v, path);
	if (rc <= 0)
		return rc;
	if (want_scalar(l, v, path, "a boolean") < 0)
		return -1;
	if (v->type == CONF_SCALAR_STRING)
		return fail(l, v, path, "%s is a string, not a boolean", show_node(q, v));
	if (v->type == CONF_SCALAR_NUMBER)
		return fail(l, v, path, "%s is a number, not a boolean", show_node(q, v));
	s = SVAL(v);
	if (is_plain(v) || v->type == CONF_SCALAR_BOOL) {
		if (strcasecmp(s, "true") == 0 || strcasecmp(s, "yes") == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, "false") == 0 || strcasecmp(s, "no") == 0) {
			*out = false;
			return 0;
		}
	}
	return fail(l, v, path, "%s is not a boolean (true, false, yes or no)", show_node(q, v));
}

/* A string scalar of 1 to @size - 1 bytes, copied into @dst. */
static int
get_str(struct loader *l, const struct conf_node *v, const char *path, char *dst, size_t size)
{
	if (want_text(l, v, path, "a string") < 0)
		return -1;
	if (SLEN(v) == 0)
		return fail(l, v, path, "is empty");
	if (SLEN(v) >= size)
		return fail(l, v, path, "is %zu bytes long; the limit is %zu", SLEN(v), size - 1);
	memcpy(dst, SVAL(v), SLEN(v) + 1);
	return 0;
}

/* A port name: the definition in ports[] or a reference to one. */
static int
get_name(struct loader *l, const struct conf_node *v, const char *path, char *dst)
{
	char q[SHOW_BUF];

	if (want_text(l, v, path, "a port name") < 0)
		return -1;
	if (SLEN(v) == 0 || SLEN(v) >= CONF_NAME_MAX || !valid_name(SVAL(v)))
		return fail(l, v, path, "%s is not a port name (1-%d characters of A-Z a-z 0-9 _ -)",
			    show_node(q, v), CONF_NAME_MAX - 1);
	memcpy(dst, SVAL(v), SLEN(v) + 1);
	return 0;
}

static int
hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/*
 * "xx:xx:xx:xx:xx:xx", and one host: a group or all-zero address can be
 * neither a static FDB entry nor a neighbour.
 */
static int
get_mac(struct loader *l, const struct conf_node *v, const char *path, uint8_t mac[6])
{
	char q[SHOW_BUF];
	const char *s;
	int i;

	if (want_text(l, v, path, "a MAC address") < 0)
		return -1;
	s = SVAL(v);
	if (SLEN(v) != 17)
		goto bad;
	for (i = 0; i < 6; i++) {
		int h = hexval(s[3 * i]), lo = hexval(s[3 * i + 1]);

		if (h < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			goto bad;
		mac[i] = (uint8_t)(h << 4 | lo);
	}
	if (mac[0] & 1)
		return fail(l, v, path, "%s is a multicast MAC address; it must be unicast",
			    show_node(q, v));
	if ((mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) == 0)
		return fail(l, v, path, "%s is the zero MAC address", show_node(q, v));
	return 0;
bad:
	return fail(l, v, path, "%s is not a MAC address (xx:xx:xx:xx:xx:xx)", show_node(q, v));
}

static const char *
mac_str(char *buf, size_t size, const uint8_t mac[6])
{
	snprintf(buf, size, "%02x:%02x:%02x:%02x:%02x:%02x",
		 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	return buf;
}

/* IPv4 dotted quad; inet_pton is strict (four parts, no leading zeros). */
static int
get_ip(struct loader *l, const struct conf_node *v, const char *path, struct vtep_ip *ip)
{
	char q[SHOW_BUF];
	struct in_addr a;

	if (want_text(l, v, path, "an IPv4 address") < 0)
		return -1;
	if (inet_pton(AF_INET, SVAL(v), &a) != 1)
		return fail(l, v, path, "%s is not an IPv4 address", show_node(q, v));
	*ip = vtep_ip4(a.s_addr);
	return 0;
}

static const char *
ip_str(char *buf, const struct vtep_ip *ip)
{
	struct in_addr a = { .s_addr = ip->v4 };

	if (inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN) == NULL)
		buf[0] = '\0';
	return buf;
}

static uint32_t
ip_host(const struct vtep_ip *ip)
{
	return ntohl(ip->v4);
}

static uint32_t
prefix_mask(uint8_t len)
{
	return len == 0 ? 0 : UINT32_MAX << (32 - len);
}

/* Why @ip cannot be a unicast host (VTEP, gateway, neighbour), or NULL. */
static const char *
not_unicast(const struct vtep_ip *ip)
{
	uint32_t a = ip_host(ip);

	if (a >> 24 == 0)
		return "0.0.0.0/8";
	if (a >> 24 == 127)
		return "loopback";
	if (a >> 28 == 0xe)
		return "multicast";
	if (a == UINT32_MAX)
		return "broadcast";
	if (a >> 28 == 0xf)
		return "reserved, 240.0.0.0/4";
	return NULL;
}

/*
 * Is @ip a unicast host that is not the local address nor the network or
 * broadcast address of the local subnet (once that is known)?
 */
static int
check_host(struct loader *l, const struct conf_node *v, const char *path, const struct vtep_ip *ip)
{
	const struct conf_underlay *u = &l->c->underlay;
	char s[INET_ADDRSTRLEN], net[INET_ADDRSTRLEN];
	const char *why = not_unicast(ip);
	uint32_t a = ip_host(ip), mask, base;
	struct vtep_ip n;

	if (why != NULL)
		return fail(l, v, path, "%s is not a unicast address (%s)", ip_str(s, ip), why);
	if (!l->have_address)
		return 0;
	if (vtep_ip_eq(ip, &u->address))
		return fail(l, v, path, "%s is the local VTEP address", ip_str(s, ip));
	/* /31 and /32 have no network or broadcast address (RFC 3021). */
	if (u->prefix_len > 30)
		return 0;
	mask = prefix_mask(u->prefix_len);
	base = ip_host(&u->address) & mask;
	n = vtep_ip4(htonl(base));
	if (a == base)
		return fail(l, v, path, "%s is the network address of %s/%u",
			    ip_str(s, ip), ip_str(net, &n), u->prefix_len);
	if (a == (base | ~mask))
		return fail(l, v, path, "%s is the broadcast address of %s/%u",
			    ip_str(s, ip), ip_str(net, &n), u->prefix_len);
	return 0;
}

static bool
on_link(const struct conf_underlay *u, const struct vtep_ip *ip)
{
	uint32_t mask = prefix_mask(u->prefix_len);

	return (ip_host(ip) & mask) == (ip_host(&u->address) & mask);
}

static int
need_on_link(struct loader *l, const struct conf_node *v, const char *path, const struct vtep_ip *ip)
{
	const struct conf_underlay *u = &l->c->underlay;
	char s[INET_ADDRSTRLEN], net[INET_ADDRSTRLEN];
	struct vtep_ip n;

	if (on_link(u, ip))
		return 0;
	n = vtep_ip4(htonl(ip_host(&u->address) & prefix_mask(u->prefix_len)));
	return fail(l, v, path, "%s is not inside the local prefix %s/%u",
		    ip_str(s, ip), ip_str(net, &n), u->prefix_len);
}

/* "untagged" or 1-4094; 0 and 4095 are reserved by 802.1Q. */
static int
get_vlan(struct loader *l, const struct conf_node *v, const char *path, uint16_t *vlan)
{
	char q[SHOW_BUF];
	uint64_t x;

	if (want_scalar(l, v, path, "a VLAN id") < 0)
		return -1;
	if ((v->type == CONF_SCALAR_PLAIN || v->type == CONF_SCALAR_STRING) &&
	    strcmp(SVAL(v), "untagged") == 0) {
		*vlan = CONF_VLAN_UNTAGGED;
		return 0;
	}
	if ((is_plain(v) || v->type == CONF_SCALAR_NUMBER) &&
	    parse_u64(SVAL(v), &x) == 0 && x >= 1 && x <= 4094) {
		*vlan = (uint16_t)x;
		return 0;
	}
	return fail(l, v, path, "%s is not a VLAN id (1-4094 or untagged)", show_node(q, v));
}

const char *
conf_binding_str(char *buf, size_t size, const char *port, uint16_t vlan)
{
	if (vlan == CONF_VLAN_UNTAGGED)
		snprintf(buf, size, "%s untagged", port);
	else
		snprintf(buf, size, "%s vlan %u", port, vlan);
	return buf;
}

/* A reference to a port that must exist with role @role; its index. */
static int
get_port_ref(struct loader *l, const struct conf_node *v, const char *path,
	     enum conf_role role, char *name)
{
	static const char *const roles[] = {
		[CONF_ROLE_UNDERLAY] = "underlay",
		[CONF_ROLE_ACCESS] = "access",
	};
	char q[SHOW_BUF];
	int i;

	if (want_text(l, v, path, "a port name") < 0)
		return -1;
	i = SLEN(v) < CONF_NAME_MAX ? conf_port_find(l->c, SVAL(v)) : -1;
	if (i < 0)
		return fail(l, v, path, "no port named %s in ports",
			    show(q, SVAL(v), SLEN(v), true));
	if (l->c->ports[i].role != role)
		return fail(l, v, path, "port \"%s\" has role %s, not %s", l->c->ports[i].name,
			    roles[l->c->ports[i].role], roles[role]);
	memcpy(name, l->c->ports[i].name, CONF_NAME_MAX);
	return i;
}

static int
key_cmp(const void *x, const void *y)
{
	const struct key *a = x, *b = y;

	if (a->hi != b->hi)
		return a->hi < b->hi ? -1 : 1;
	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	if (a->ord != b->ord)
		return a->ord < b->ord ? -1 : 1;
	return 0;
}

/*
 * Sort @keys; return the repeat that comes first in the file, with the
 * entry it repeats in *first, or NULL when all keys are distinct.
 */
static const struct key *
key_sort_dup(struct key *keys, size_t n, const struct key **first)
{
	const struct key *dup = NULL;
	size_t i, head = 0;

	if (n == 0)
		return NULL;
	qsort(keys, n, sizeof(*keys), key_cmp);
	for (i = 1; i < n; i++) {
		if (keys[i].hi != keys[head].hi || keys[i].lo != keys[head].lo) {
			head = i;
			continue;
		}
		if (dup == NULL || keys[i].ord < dup->ord) {
			dup = &keys[i];
			*first = &keys[head];
		}
	}
	return dup;
}

static const struct key *
key_find(const struct key *keys, size_t n, uint64_t hi, uint64_t lo)
{
	size_t lo_i = 0, hi_i = n;

	while (lo_i < hi_i) {
		size_t mid = lo_i + (hi_i - lo_i) / 2;
		const struct key *k = &keys[mid];

		if (k->hi == hi && k->lo == lo)
			return k;
		if (k->hi < hi || (k->hi == hi && k->lo < lo))
			lo_i = mid + 1;
		else
			hi_i = mid;
	}
	return NULL;
}

static int
parse_eal(struct loader *l, const struct conf_node *root)
{
	char path[PATH_BUF], ip[PATH_BUF];
	const struct conf_node *v;
	size_t i, n;
	int rc;

	rc = member(l, root, "", "eal", false, &v, path);
	if (rc <= 0)
		return rc;
	if (want_list(l, v, path) < 0)
		return -1;
	n = v->seq.n;
	for (i = 0; i < n; i++) {
		const struct conf_node *a = v->seq.items[i];

		path_idx(ip, path, i);
		if (i == CONF_MAX_EAL_ARGS)
			return fail(l, a, ip, "more than %d EAL arguments", CONF_MAX_EAL_ARGS);
		if (want_text(l, a, ip, "a string") < 0)
			return -1;
		if (SLEN(a) == 0)
			return fail(l, a, ip, "is empty");
		l->c->eal_args[i] = strdup(SVAL(a));
		if (l->c->eal_args[i] == NULL)
			return fail_oom(l);
		l->c->n_eal_args++;
	}
	return 0;
}

/* Where port @j is, for a message about a later one. */
static const char *
port_at(char *buf, const unsigned *lines, unsigned j, const char *field)
{
	char ip[PATH_BUF], fp[PATH_BUF];

	path_idx(ip, "ports", j);
	path_key(fp, ip, field);
	return at(buf, PATH_BUF, lines[j], fp);
}

static int
parse_port(struct loader *l, const struct conf_node *m, const char *base, unsigned i,
	   const unsigned *lines)
{
	static const char *const keys[] = {
		"name", "devargs", "role", "rx_queues", "rx_desc", "tx_desc", "mac", NULL,
	};
	static const char *const desc[] = { "rx_desc", "tx_desc" };
	struct conf_port *p = &l->c->ports[i];
	char path[PATH_BUF], q[SHOW_BUF], w[PATH_BUF];
	const struct conf_node *v;
	unsigned j, d;
	int rc;

	if (check_map(l, m, base, keys) < 0)
		return -1;
	if (member(l, m, base, "name", true, &v, path) < 0 || get_name(l, v, path, p->name) < 0)
		return -1;
	for (j = 0; j < i; j++)
		if (strcmp(l->c->ports[j].name, p->name) == 0)
			return fail(l, v, path, "duplicate port name \"%s\" (first at %s)",
				    p->name, port_at(w, lines, j, "name"));
	if (member(l, m, base, "devargs", true, &v, path) < 0 ||
	    get_str(l, v, path, p->devargs, sizeof(p->devargs)) < 0)
		return -1;
	/* The same device probed twice fails in EAL with a worse message. */
	for (j = 0; j < i; j++)
		if (strcmp(l->c->ports[j].devargs, p->devargs) == 0)
			return fail(l, v, path, "same devargs as port \"%s\" (%s)",
				    l->c->ports[j].name, port_at(w, lines, j, "devargs"));
	if (member(l, m, base, "role", true, &v, path) < 0 ||
	    want_text(l, v, path, "a role") < 0)
		return -1;
	if (strcmp(SVAL(v), "underlay") == 0)
		p->role = CONF_ROLE_UNDERLAY;
	else if (strcmp(SVAL(v), "access") == 0)
		p->role = CONF_ROLE_ACCESS;
	else
		return fail(l, v, path, "%s is not a role (underlay or access)", show_node(q, v));
	if (p->role == CONF_ROLE_UNDERLAY)
		for (j = 0; j < i; j++)
			if (l->c->ports[j].role == CONF_ROLE_UNDERLAY)
				return fail(l, v, path,
					    "port \"%s\" (%s) is already the underlay port; there is exactly one",
					    l->c->ports[j].name, port_at(w, lines, j, "role"));
	if (field_u16(l, m, base, "rx_queues", 1, 64, CONF_DEF_RX_QUEUES, &p->rx_queues) < 0)
		return -1;
	for (d = 0; d < 2; d++) {
		uint16_t *out = d == 0 ? &p->rx_desc : &p->tx_desc;
		uint64_t x;

		*out = CONF_DEF_DESC;
		rc = member(l, m, base, desc[d], false, &v, path);
		if (rc < 0 || (rc > 0 && get_uint(l, v, path, 64, 16384, &x) < 0))
			return -1;
		if (rc == 0)
			continue;
		/* Drivers round ring sizes or refuse them; say it here instead. */
		if ((x & (x - 1)) != 0)
			return fail(l, v, path, "%" PRIu64 " is not a power of two (64-16384)", x);
		*out = (uint16_t)x;
	}
	/* The underlay receives only frames to its MAC: some devices (pcap,
	 * null, ring) invent one, and a lab or a benchmark needs a known one. */
	rc = member(l, m, base, "mac", false, &v, path);
	if (rc < 0 || (rc > 0 && get_mac(l, v, path, p->mac) < 0))
		return -1;
	p->has_mac = rc > 0;
	return 0;
}

static int
parse_ports(struct loader *l, const struct conf_node *root)
{
	unsigned lines[CONF_MAX_PORTS];
	char path[PATH_BUF], ip[PATH_BUF];
	bool underlay = false, access = false;
	const struct conf_node *v;
	size_t i, n;

	if (member(l, root, "", "ports", true, &v, path) < 0 || want_list(l, v, path) < 0)
		return -1;
	n = v->seq.n;
	for (i = 0; i < n; i++) {
		const struct conf_node *m = v->seq.items[i];

		path_idx(ip, path, i);
		if (i == CONF_MAX_PORTS)
			return fail(l, m, ip, "more than %d ports", CONF_MAX_PORTS);
		lines[i] = LINE(m);
		if (parse_port(l, m, ip, (unsigned)i, lines) < 0)
			return -1;
		l->c->n_ports++;
		underlay |= l->c->ports[i].role == CONF_ROLE_UNDERLAY;
		access |= l->c->ports[i].role == CONF_ROLE_ACCESS;
	}
	if (!underlay)
		return fail(l, v, path, "no port has role underlay; exactly one is needed");
	if (!access)
		return fail(l, v, path, "no port has role access; at least one is needed");
	return 0;
}

/* "a.b.c.d/len": the local VTEP address and its on-link prefix. */
static int
get_address(struct loader *l, const struct conf_node *v, const char *path)
{
	struct conf_underlay *u = &l->c->underlay;
	char q[SHOW_BUF], s[INET_ADDRSTRLEN], buf[INET_ADDRSTRLEN];
	const char *slash;
	struct in_addr a;
	uint64_t len;
	const char *why;
	uint32_t mask, h;

	if (want_text(l, v, path, "an address with prefix length") < 0)
		return -1;
	slash = strchr(SVAL(v), '/');
	if (slash == NULL || (size_t)(slash - SVAL(v)) >= sizeof(buf) ||
	    parse_u64(slash + 1, &len) < 0 || len < 1 || len > 32)
		return fail(l, v, path, "%s is not an IPv4 address with a prefix length (a.b.c.d/1-32)",
			    show_node(q, v));
	memcpy(buf, SVAL(v), (size_t)(slash - SVAL(v)));
	buf[slash - SVAL(v)] = '\0';
	if (inet_pton(AF_INET, buf, &a) != 1)
		return fail(l, v, path, "%s is not an IPv4 address with a prefix length (a.b.c.d/1-32)",
			    show_node(q, v));
	u->address = vtep_ip4(a.s_addr);
	u->prefix_len = (uint8_t)len;
	why = not_unicast(&u->address);
	if (why != NULL)
		return fail(l, v, path, "%s is not a unicast address (%s)", ip_str(s, &u->address), why);
	mask = prefix_mask(u->prefix_len);
	h = ip_host(&u->address);
	if (len <= 30 && (h & ~mask) == 0)
		return fail(l, v, path, "%s is the network address of its prefix", show_node(q, v));
	if (len <= 30 && (h & ~mask) == ~mask)
		return fail(l, v, path, "%s is the broadcast address of its prefix", show_node(q, v));
	l->have_address = true;
	return 0;
}

/* "min-max" (or one port) of UDP source ports. */
static int
get_port_range(struct loader *l, const struct conf_node *v, const char *path)
{
	struct conf_underlay *u = &l->c->underlay;
	char q[SHOW_BUF], buf[16];
	uint64_t lo, hi;
	const char *dash;

	/* One port may come as a JSON number. */
	if (v->type == CONF_SCALAR_NUMBER ? want_scalar(l, v, path, "a port range") < 0 :
	    want_text(l, v, path, "a port range") < 0)
		return -1;
	dash = strchr(SVAL(v), '-');
	if (dash == NULL) {
		if (parse_u64(SVAL(v), &lo) < 0)
			goto bad;
		hi = lo;
	} else {
		if ((size_t)(dash - SVAL(v)) >= sizeof(buf))
			goto bad;
		memcpy(buf, SVAL(v), (size_t)(dash - SVAL(v)));
		buf[dash - SVAL(v)] = '\0';
		if (parse_u64(buf, &lo) < 0 || parse_u64(dash + 1, &hi) < 0)
			goto bad;
	}
	if (lo < 1 || hi > 65535 || lo > hi)
		goto bad;
	u->sport_min = (uint16_t)lo;
	u->sport_max = (uint16_t)hi;
	return 0;
bad:
	return fail(l, v, path, "%s is not a port range (min-max, 1 <= min <= max <= 65535)",
		    show_node(q, v));
}

static int
parse_neighbors(struct loader *l, const struct conf_node *u_map)
{
	static const char *const keys[] = { "ip", "mac", NULL };
	struct conf_underlay *u = &l->c->underlay;
	char path[PATH_BUF], ip[PATH_BUF], fp[PATH_BUF], w[PATH_BUF], w2[PATH_BUF];
	char s[INET_ADDRSTRLEN];
	const struct key *dup, *first = NULL;
	struct key *keys_ip;
	const struct conf_node *v;
	size_t i, n;
	int rc;

	rc = member(l, u_map, "underlay", "neighbors", false, &v, path);
	if (rc <= 0)
		return rc;
	if (want_list(l, v, path) < 0)
		return -1;
	n = v->seq.n;
	if (n == 0)
		return 0;
	u->neighbors = alloc(l, n, sizeof(*u->neighbors));
	keys_ip = alloc(l, n, sizeof(*keys_ip));
	if (u->neighbors == NULL || keys_ip == NULL)
		goto err;
	for (i = 0; i < n; i++) {
		const struct conf_node *m = v->seq.items[i], *f;
		struct conf_neigh *nb = &u->neighbors[i];

		path_idx(ip, path, i);
		if (check_map(l, m, ip, keys) < 0 ||
		    member(l, m, ip, "ip", true, &f, fp) < 0 || get_ip(l, f, fp, &nb->ip) < 0 ||
		    check_host(l, f, fp, &nb->ip) < 0 || need_on_link(l, f, fp, &nb->ip) < 0 ||
		    member(l, m, ip, "mac", true, &f, fp) < 0 || get_mac(l, f, fp, nb->mac) < 0)
			goto err;
		u->n_neighbors++;
		keys_ip[i] = (struct key){ .lo = ip_host(&nb->ip), .ord = i, .a = (unsigned)i,
					   .line = LINE(m) };
	}
	dup = key_sort_dup(keys_ip, n, &first);
	if (dup != NULL) {
		path_idx(ip, path, dup->a);
		path_key(fp, ip, "ip");
		path_idx(w, path, first->a);
		path_key(w2, w, "ip");
		fail_line(l, dup->line, fp, "duplicate neighbor %s (first at %s)",
			  ip_str(s, &u->neighbors[dup->a].ip), at(w, sizeof(w), first->line, w2));
		goto err;
	}
	free(keys_ip);
	return 0;
err:
	free(keys_ip);
	return -1;
}

static int
parse_underlay(struct loader *l, const struct conf_node *root)
{
	static const char *const keys[] = {
		"port", "address", "gateway", "udp_port", "source_ports", "ttl", "mcast_ttl", "tos",
		"ecn", "df", "mtu", "neighbors", NULL,
	};
	static const char *const ecn_modes[] = { "rfc6040", "off", NULL };
	struct conf_underlay *u = &l->c->underlay;
	char path[PATH_BUF], s[INET_ADDRSTRLEN];
	const struct conf_node *m, *v;
	uint64_t x;
	unsigned ecn;
	int rc;

	if (member(l, root, "", "underlay", true, &m, path) < 0 ||
	    check_map(l, m, "underlay", keys) < 0)
		return -1;
	if (member(l, m, "underlay", "port", true, &v, path) < 0 ||
	    get_port_ref(l, v, path, CONF_ROLE_UNDERLAY, u->port) < 0)
		return -1;
	if (member(l, m, "underlay", "address", true, &v, path) < 0 ||
	    get_address(l, v, path) < 0)
		return -1;
	rc = member(l, m, "underlay", "gateway", false, &v, path);
	if (rc < 0)
		return -1;
	if (rc > 0) {
		if (get_ip(l, v, path, &u->gateway) < 0 || check_host(l, v, path, &u->gateway) < 0)
			return -1;
		/* The gateway is reached by ARP on the underlay link. */
		if (!on_link(u, &u->gateway))
			return fail(l, v, path, "%s is not inside the prefix of underlay.address",
				    ip_str(s, &u->gateway));
	}
	if (field_u16(l, m, "underlay", "udp_port", 1, 65535, CONF_DEF_UDP_PORT, &u->udp_port) < 0)
		return -1;
	u->sport_min = CONF_DEF_SPORT_MIN;
	u->sport_max = CONF_DEF_SPORT_MAX;
	rc = member(l, m, "underlay", "source_ports", false, &v, path);
	if (rc < 0 || (rc > 0 && get_port_range(l, v, path) < 0))
		return -1;
	if (field_uint_or(l, m, "underlay", "ttl", 1, 255, 1, CONF_DEF_TTL, "inherit", &x,
			  &u->ttl_inherit) < 0)
		return -1;
	u->ttl = (uint8_t)x;
	{
		uint16_t t;

		if (field_u16(l, m, "underlay", "mcast_ttl", 1, 255, CONF_DEF_MCAST_TTL, &t) < 0)
			return -1;
		u->mcast_ttl = (uint8_t)t;
	}
	/* The ECN bits of the outer TOS come from the ecn setting alone. */
	if (field_uint_or(l, m, "underlay", "tos", 0, 252, 4, 0, "inherit", &x,
			  &u->tos_inherit) < 0)
		return -1;
	u->tos = (uint8_t)x;
	if (field_word(l, m, "underlay", "ecn", ecn_modes, "an ECN mode", CONF_ECN_RFC6040,
		       &ecn) < 0)
		return -1;
	u->ecn = (enum conf_ecn)ecn;
	if (field_bool(l, m, "underlay", "df", true, &u->df) < 0 ||
	    field_u16(l, m, "underlay", "mtu", 576, 9216, CONF_DEF_MTU, &u->mtu) < 0)
		return -1;
	return parse_neighbors(l, m);
}

static int
key_push(struct loader *l, struct keyvec *kv, struct key k)
{
	if (kv->n == kv->cap) {
		size_t cap = kv->cap != 0 ? kv->cap * 2 : 64;
		struct key *nk = reallocarray(kv->k, cap, sizeof(*nk));

		if (nk == NULL)
			return fail_oom(l);
		kv->k = nk;
		kv->cap = cap;
	}
	k.ord = kv->n;
	kv->k[kv->n++] = k;
	return 0;
}

static int
parse_access(struct loader *l, const struct conf_node *vm, const char *base, unsigned vi)
{
	static const char *const keys[] = { "port", "vlan", NULL };
	struct conf_vni *vni = &l->c->vnis[vi];
	char path[PATH_BUF], ip[PATH_BUF], fp[PATH_BUF];
	const struct conf_node *v;
	size_t i, n;
	int rc, port;

	if (member(l, vm, base, "access", true, &v, path) < 0 || want_list(l, v, path) < 0)
		return -1;
	n = v->seq.n;
	if (n == 0)
		return fail(l, v, path, "at least one access binding is needed");
	vni->access = alloc(l, n, sizeof(*vni->access));
	if (vni->access == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		const struct conf_node *m = v->seq.items[i], *f;
		struct conf_access *a = &vni->access[i];

		path_idx(ip, path, i);
		if (check_map(l, m, ip, keys) < 0 ||
		    member(l, m, ip, "port", true, &f, fp) < 0)
			return -1;
		port = get_port_ref(l, f, fp, CONF_ROLE_ACCESS, a->port);
		if (port < 0)
			return -1;
		a->vlan = CONF_VLAN_UNTAGGED;
		rc = member(l, m, ip, "vlan", false, &f, fp);
		if (rc < 0 || (rc > 0 && get_vlan(l, f, fp, &a->vlan) < 0))
			return -1;
		vni->n_access++;
		if (key_push(l, &l->binds, (struct key){ .hi = (uint64_t)port, .lo = a->vlan,
			     .a = vi, .b = (unsigned)i, .line = LINE(m) }) < 0)
			return -1;
	}
	return 0;
}

static int
parse_remotes(struct loader *l, const struct conf_node *v, const char *path, unsigned vi)
{
	struct conf_vni *vni = &l->c->vnis[vi];
	char ip[PATH_BUF];
	size_t i, n;

	if (want_list(l, v, path) < 0)
		return -1;
	n = v->seq.n;
	if (n == 0)
		return 0;
	vni->remotes = alloc(l, n, sizeof(*vni->remotes));
	if (vni->remotes == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		const struct conf_node *r = v->seq.items[i];

		path_idx(ip, path, i);
		if (get_ip(l, r, ip, &vni->remotes[i]) < 0 ||
		    check_host(l, r, ip, &vni->remotes[i]) < 0)
			return -1;
		vni->n_remotes++;
		if (key_push(l, &l->remotes, (struct key){ .hi = vi,
			     .lo = ip_host(&vni->remotes[i]), .a = vi, .b = (unsigned)i,
			     .line = LINE(r) }) < 0)
			return -1;
	}
	return 0;
}

/*
 * The static IPv4 -> MAC bindings of a VNI, for ARP suppression. The
 * addresses are the VMs' own, in the overlay: only what cannot be a host
 * anywhere is refused, not the underlay's subnet.
 */
static int
parse_vni_neighbors(struct loader *l, const struct conf_node *v, const char *path,
		    struct conf_vni *vni)
{
	static const char *const keys[] = { "ip", "mac", NULL };
	char ip[PATH_BUF], fp[PATH_BUF], w[PATH_BUF], w2[PATH_BUF], s[INET_ADDRSTRLEN];
	const struct key *dup, *first = NULL;
	struct key *keys_ip;
	size_t i, n;

	if (want_list(l, v, path) < 0)
		return -1;
	n = v->seq.n;
	if (n == 0)
		return 0;
	if (n > CONF_MAX_VNI_NEIGHBORS)
		return fail(l, v, path, "%zu neighbors; a VNI has at most %u", n,
			    CONF_MAX_VNI_NEIGHBORS);
	vni->neighbors = alloc(l, n, sizeof(*vni->neighbors));
	keys_ip = alloc(l, n, sizeof(*keys_ip));
	if (vni->neighbors == NULL || keys_ip == NULL)
		goto err;
	for (i = 0; i < n; i++) {
		const struct conf_node *m = v->seq.items[i], *f;
		struct conf_neigh *nb = &vni->neighbors[i];
		const char *why;

		path_idx(ip, path, i);
		if (check_map(l, m, ip, keys) < 0 ||
		    member(l, m, ip, "ip", true, &f, fp) < 0 || get_ip(l, f, fp, &nb->ip) < 0)
			goto err;
		why = not_unicast(&nb->ip);
		if (why != NULL) {
			fail(l, f, fp, "%s is not a unicast address (%s)", ip_str(s, &nb->ip), why);
			goto err;
		}
		if (member(l, m, ip, "mac", true, &f, fp) < 0 || get_mac(l, f, fp, nb->mac) < 0)
			goto err;
		vni->n_neighbors++;
		keys_ip[i] = (struct key){ .lo = ip_host(&nb->ip), .ord = i, .a = (unsigned)i,
					   .line = LINE(m) };
	}
	dup = key_sort_dup(keys_ip, n, &first);
	if (dup != NULL) {
		path_idx(ip, path, dup->a);
		path_key(fp, ip, "ip");
		path_idx(w, path, first->a);
		path_key(w2, w, "ip");
		fail_line(l, dup->line, fp, "duplicate neighbor %s (first at %s)",
			  ip_str(s, &vni->neighbors[dup->a].ip), at(w, sizeof(w), first->line, w2));
		goto err;
	}
	free(keys_ip);
	return 0;
err:
	free(keys_ip);
	return -1;
}

static int
parse_vni(struct loader *l, const struct conf_node *m, const char *base, unsigned vi)
{
	static const char *const keys[] = {
		"vni", "access", "flood", "remotes", "group", "learning", "mac_limit", "ageing",
		"inner_vlan", "bum_limit_pps", "service_node", "replicator", "arp_suppress",
		"neighbors", NULL,
	};
	static const char *const vlan_modes[] = { "drop", "accept", NULL };
	unsigned inner_vlan;
	struct conf_vni *vni = &l->c->vnis[vi];
	char path[PATH_BUF], q[SHOW_BUF], s[INET_ADDRSTRLEN];
	const struct conf_node *v;
	uint64_t x;
	int rc;

	if (check_map(l, m, base, keys) < 0)
		return -1;
	if (member(l, m, base, "vni", true, &v, path) < 0 ||
	    get_uint(l, v, path, 1, 16777215, &x) < 0)
		return -1;
	vni->vni = (uint32_t)x;
	if (key_push(l, &l->vnis, (struct key){ .lo = x, .a = vi, .line = LINE(v) }) < 0)
		return -1;
	if (parse_access(l, m, base, vi) < 0)
		return -1;
	vni->flood_mode = CONF_FLOOD_HEAD_END;
	rc = member(l, m, base, "flood", false, &v, path);
	if (rc < 0 || (rc > 0 && want_text(l, v, path, "a flood mode") < 0))
		return -1;
	if (rc > 0) {
		if (strcmp(SVAL(v), "multicast") == 0)
			vni->flood_mode = CONF_FLOOD_MULTICAST;
		else if (strcmp(SVAL(v), "service-node") == 0)
			vni->flood_mode = CONF_FLOOD_SERVICE_NODE;
		else if (strcmp(SVAL(v), "head-end") != 0)
			return fail(l, v, path, "%s is not a flood mode (head-end, multicast or "
				    "service-node)", show_node(q, v));
	}
	rc = member(l, m, base, "remotes", false, &v, path);
	if (rc < 0)
		return -1;
	if (rc > 0 && vni->flood_mode != CONF_FLOOD_HEAD_END)
		return fail(l, v, path, "a flood list is only valid with flood: head-end");
	if (rc > 0 && parse_remotes(l, v, path, vi) < 0)
		return -1;
	rc = member(l, m, base, "group", vni->flood_mode == CONF_FLOOD_MULTICAST, &v, path);
	if (rc < 0)
		return -1;
	if (rc > 0 && vni->flood_mode != CONF_FLOOD_MULTICAST)
		return fail(l, v, path, "a group is only valid with flood: multicast");
	if (rc > 0) {
		if (get_ip(l, v, path, &vni->group) < 0)
			return -1;
		if (ip_host(&vni->group) >> 28 != 0xe)
			return fail(l, v, path, "%s is not a multicast group (224.0.0.0/4)",
				    ip_str(s, &vni->group));
	}
	rc = member(l, m, base, "service_node", vni->flood_mode == CONF_FLOOD_SERVICE_NODE, &v,
		    path);
	if (rc < 0)
		return -1;
	if (rc > 0 && vni->flood_mode != CONF_FLOOD_SERVICE_NODE)
		return fail(l, v, path, "a service node is only valid with flood: service-node");
	if (rc > 0 && (get_ip(l, v, path, &vni->service_node) < 0 ||
		       check_host(l, v, path, &vni->service_node) < 0))
		return -1;
	if (field_bool(l, m, base, "replicator", false, &vni->replicator) < 0)
		return -1;
	if (vni->replicator && vni->flood_mode != CONF_FLOOD_HEAD_END) {
		member(l, m, base, "replicator", false, &v, path);
		return fail(l, v, path, "a replicator floods to its flood list: only valid with "
			    "flood: head-end");
	}
	if (field_bool(l, m, base, "learning", true, &vni->learning) < 0 ||
	    field_u32(l, m, base, "mac_limit", 0, UINT32_MAX, 0, &vni->mac_limit) < 0 ||
	    field_u32(l, m, base, "ageing", 0, UINT32_MAX, CONF_DEF_AGEING, &vni->ageing) < 0 ||
	    field_u32(l, m, base, "bum_limit_pps", 0, CONF_MAX_BUM_PPS, 0,
		      &vni->bum_limit_pps) < 0)
		return -1;
	if (field_word(l, m, base, "inner_vlan", vlan_modes, "an inner VLAN policy", 0,
		       &inner_vlan) < 0)
		return -1;
	vni->inner_vlan_accept = inner_vlan == 1;
	if (field_bool(l, m, base, "arp_suppress", false, &vni->arp_suppress) < 0)
		return -1;
	rc = member(l, m, base, "neighbors", false, &v, path);
	if (rc < 0 || (rc > 0 && parse_vni_neighbors(l, v, path, vni) < 0))
		return -1;
	return 0;
}

/*
 * Each VNI once; each (port, VLAN) in one VNI only, else a frame could not
 * tell which segment it belongs to; each remote once per flood list, else
 * the remote would get every flooded frame twice.
 */
static int
check_vni_dups(struct loader *l)
{
	const struct conf *c = l->c;
	const struct key *dup, *first = NULL;
	char p1[PATH_BUF], p2[PATH_BUF], w[PATH_BUF], w2[PATH_BUF];
	char b[CONF_NAME_MAX + 16], s[INET_ADDRSTRLEN];

	dup = key_sort_dup(l->vnis.k, l->vnis.n, &first);
	if (dup != NULL) {
		path_idx(p1, "vnis", dup->a);
		path_key(p2, p1, "vni");
		path_idx(w, "vnis", first->a);
		path_key(w2, w, "vni");
		return fail_line(l, dup->line, p2, "duplicate VNI %" PRIu64 " (first at %s)",
				 dup->lo, at(w, sizeof(w), first->line, w2));
	}
	dup = key_sort_dup(l->binds.k, l->binds.n, &first);
	if (dup != NULL) {
		const struct conf_access *a = &c->vnis[dup->a].access[dup->b];

		path_idx(p1, "vnis", dup->a);
		path_key(p2, p1, "access");
		path_idx(p1, p2, dup->b);
		path_idx(w, "vnis", first->a);
		path_key(w2, w, "access");
		path_idx(w, w2, first->b);
		return fail_line(l, dup->line, p1, "%s is already bound to VNI %u (%s)",
				 conf_binding_str(b, sizeof(b), a->port, a->vlan),
				 c->vnis[first->a].vni, at(w2, sizeof(w2), first->line, w));
	}
	dup = key_sort_dup(l->remotes.k, l->remotes.n, &first);
	if (dup != NULL) {
		path_idx(p1, "vnis", dup->a);
		path_key(p2, p1, "remotes");
		path_idx(p1, p2, dup->b);
		path_idx(w, "vnis", first->a);
		path_key(w2, w, "remotes");
		path_idx(w, w2, first->b);
		return fail_line(l, dup->line, p1, "duplicate remote %s (first at %s)",
				 ip_str(s, &c->vnis[dup->a].remotes[dup->b]),
				 at(w2, sizeof(w2), first->line, w));
	}
	return 0;
}

static int
parse_vnis(struct loader *l, const struct conf_node *root)
{
	char path[PATH_BUF], ip[PATH_BUF];
	const struct conf_node *v;
	size_t i, n;
	int rc;

	/* No VNI is a valid start: a daemon provisioned over the API may
	 * begin with none, and deleting the last one leaves none. */
	rc = member(l, root, "", "vnis", false, &v, path);
	if (rc <= 0)
		return rc;
	if (want_list(l, v, path) < 0)
		return -1;
	n = v->seq.n;
	if (n == 0)
		return 0;
	l->c->vnis = alloc(l, n, sizeof(*l->c->vnis));
	if (l->c->vnis == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		const struct conf_node *m = v->seq.items[i];

		path_idx(ip, path, i);
		/* Counted first so that conf_free() releases a half-parsed entry. */
		l->c->n_vnis++;
		if (parse_vni(l, m, ip, (unsigned)i) < 0)
			return -1;
	}
	return check_vni_dups(l);
}

/* Static FDB entries: a local one must be an access binding of its VNI. */
static int
parse_fdb_entry(struct loader *l, const struct conf_node *m, const char *base, struct conf_fdb *e)
{
	static const char *const keys[] = { "vni", "mac", "remote", "port", "vlan", NULL };
	char path[PATH_BUF], b[CONF_NAME_MAX + 16];
	const struct conf_node *v, *rv = NULL, *pv = NULL, *vv = NULL;
	const struct key *vk, *bk;
	uint64_t x;
	int rr, rp, rl, port;

	if (check_map(l, m, base, keys) < 0)
		return -1;
	if (member(l, m, base, "vni", true, &v, path) < 0 ||
	    get_uint(l, v, path, 1, 16777215, &x) < 0)
		return -1;
	e->vni = (uint32_t)x;
	vk = key_find(l->vnis.k, l->vnis.n, 0, x);
	if (vk == NULL)
		return fail(l, v, path, "VNI %u is not in vnis", e->vni);
	if (member(l, m, base, "mac", true, &v, path) < 0 || get_mac(l, v, path, e->mac) < 0)
		return -1;
	rr = member(l, m, base, "remote", false, &rv, path);
	rp = member(l, m, base, "port", false, &pv, path);
	rl = member(l, m, base, "vlan", false, &vv, path);
	if (rr < 0 || rp < 0 || rl < 0)
		return -1;
	if (rr > 0 && rp > 0)
		return fail(l, m, base, "has both remote and port; an entry points to one of them");
	if (rr == 0 && rp == 0)
		return fail(l, m, base, "needs a remote or a port");
	if (rr > 0) {
		path_key(path, base, "remote");
		if (rl > 0) {
			path_key(path, base, "vlan");
			return fail(l, vv, path, "only valid with port, not with remote");
		}
		e->is_remote = true;
		return get_ip(l, rv, path, &e->remote) < 0 || check_host(l, rv, path, &e->remote) < 0 ?
			-1 : 0;
	}
	path_key(path, base, "port");
	port = get_port_ref(l, pv, path, CONF_ROLE_ACCESS, e->local.port);
	if (port < 0)
		return -1;
	e->local.vlan = CONF_VLAN_UNTAGGED;
	path_key(path, base, "vlan");
	if (rl > 0 && get_vlan(l, vv, path, &e->local.vlan) < 0)
		return -1;
	conf_binding_str(b, sizeof(b), e->local.port, e->local.vlan);
	bk = key_find(l->binds.k, l->binds.n, (uint64_t)port, e->local.vlan);
	if (bk == NULL)
		return fail(l, m, base, "%s is not an access binding of any VNI", b);
	if (bk->a != vk->a)
		return fail(l, m, base, "%s is bound to VNI %u, not %u", b,
			    l->c->vnis[bk->a].vni, e->vni);
	return 0;
}

static int
parse_fdb(struct loader *l, const struct conf_node *root)
{
	struct conf *c = l->c;
	char path[PATH_BUF], ip[PATH_BUF], fp[PATH_BUF], w[PATH_BUF], w2[PATH_BUF], mac[18];
	const struct key *dup, *first = NULL;
	struct keyvec keys = { 0 };
	const struct conf_node *v;
	size_t i, n;
	int rc;

	rc = member(l, root, "", "fdb", false, &v, path);
	if (rc <= 0)
		return rc;
	if (want_list(l, v, path) < 0)
		return -1;
	n = v->seq.n;
	if (n == 0)
		return 0;
	if (n > c->fdb_capacity)
		return fail(l, v, path, "%zu static entries do not fit in fdb_capacity %u",
			    n, c->fdb_capacity);
	c->fdb = alloc(l, n, sizeof(*c->fdb));
	if (c->fdb == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		const struct conf_node *m = v->seq.items[i];
		struct conf_fdb *e = &c->fdb[i];

		path_idx(ip, path, i);
		if (parse_fdb_entry(l, m, ip, e) < 0)
			goto err;
		c->n_fdb++;
		if (key_push(l, &keys, (struct key){ .hi = e->vni,
			     .lo = (uint64_t)e->mac[0] << 40 | (uint64_t)e->mac[1] << 32 |
				   (uint64_t)e->mac[2] << 24 | (uint64_t)e->mac[3] << 16 |
				   (uint64_t)e->mac[4] << 8 | e->mac[5],
			     .a = (unsigned)i, .line = LINE(m) }) < 0)
			goto err;
	}
	dup = key_sort_dup(keys.k, keys.n, &first);
	if (dup != NULL) {
		path_idx(ip, path, dup->a);
		path_key(fp, ip, "mac");
		path_idx(w, path, first->a);
		path_key(w2, w, "mac");
		fail_line(l, dup->line, fp, "duplicate entry for VNI %u and %s (first at %s)",
			  c->fdb[dup->a].vni, mac_str(mac, sizeof(mac), c->fdb[dup->a].mac),
			  at(w, sizeof(w), first->line, w2));
		goto err;
	}
	free(keys.k);
	return 0;
err:
	free(keys.k);
	return -1;
}

static int
parse_state_file(struct loader *l, const struct conf_node *root)
{
	char path[PATH_BUF];
	const struct conf_node *v;
	int rc;

	rc = member(l, root, "", "state_file", false, &v, path);
	if (rc <= 0)
		return rc;
	if (want_text(l, v, path, "a file name") < 0)
		return -1;
	if (SLEN(v) == 0)
		return fail(l, v, path, "is empty");
	if (SLEN(v) >= PATH_MAX)
		return fail(l, v, path, "is longer than PATH_MAX");
	l->c->state_file = strdup(SVAL(v));
	return l->c->state_file != NULL ? 0 : fail_oom(l);
}

/* "a.b.c.d:port" or "[ipv6]:port", literals only: no name to resolve. */
static int
get_listen(struct loader *l, const struct conf_node *v, const char *path, struct conf_api *api)
{
	char q[SHOW_BUF], host[sizeof(api->listen_host)];
	const char *s = SVAL(v), *colon;
	unsigned char a[16];
	uint64_t port;
	size_t hl;
	int af = AF_INET;

	if (want_text(l, v, path, "a listen address") < 0)
		return -1;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL || close[1] != ':')
			goto bad;
		af = AF_INET6;
		s++;
		hl = (size_t)(close - s);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			goto bad;
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= sizeof(host))
		goto bad;
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (inet_pton(af, host, a) != 1 || parse_u64(colon + 1, &port) < 0 ||
	    port < 1 || port > 65535)
		goto bad;
	memcpy(api->listen_host, host, hl + 1);
	api->listen_port = (uint16_t)port;
	return 0;
bad:
	return fail(l, v, path, "%s is not a listen address (a.b.c.d:port or [ipv6]:port, "
		    "port 1-65535)", show_node(q, v));
}

static bool
is_loopback(const char *host)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (inet_pton(AF_INET, host, &a4) == 1)
		return ntohl(a4.s_addr) >> 24 == 127;
	return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

/*
 * The REST API. Off without the section. A client that can reach the
 * listener can reconfigure the VTEP: beyond loopback a token is required.
 */
static int
parse_api(struct loader *l, const struct conf_node *root)
{
	static const char *const keys[] = {
		"listen", "token_file", "max_connections", "idle_timeout", "body_limit", NULL,
	};
	struct conf_api *api = &l->c->api;
	const struct conf_node *m, *lv = NULL, *v;
	char path[PATH_BUF], lpath[PATH_BUF], q[SHOW_BUF];
	int rc;

	conf_api_defaults(api);
	rc = member(l, root, "", "api", false, &m, path);
	if (rc <= 0)
		return rc;
	if (check_map(l, m, "api", keys) < 0)
		return -1;
	api->enabled = true;
	rc = member(l, m, "api", "listen", false, &lv, lpath);
	if (rc < 0 || (rc > 0 && get_listen(l, lv, lpath, api) < 0))
		return -1;
	if (rc == 0)
		lv = NULL;
	rc = member(l, m, "api", "token_file", false, &v, path);
	if (rc < 0 || (rc > 0 && get_str(l, v, path, api->token_file, sizeof(api->token_file)) < 0))
		return -1;
	api->has_token_file = rc > 0;
	if (field_u32(l, m, "api", "max_connections", 1, 1024, CONF_DEF_API_MAX_CONN,
		      &api->max_connections) < 0 ||
	    field_u32(l, m, "api", "idle_timeout", 1, 3600, CONF_DEF_API_IDLE,
		      &api->idle_timeout) < 0 ||
	    field_u32(l, m, "api", "body_limit", 1024, 67108864, CONF_DEF_API_BODY,
		      &api->body_limit) < 0)
		return -1;
	if (lv != NULL && !api->has_token_file && !is_loopback(api->listen_host))
		return fail(l, lv, lpath, "%s is not loopback; a token_file is required",
			    show_node(q, lv));
	return 0;
}

static int
parse_root(struct loader *l, const struct conf_node *root)
{
	static const char *const keys[] = {
		"eal", "ports", "underlay", "vnis", "fdb", "fdb_capacity", "stats_interval",
		"state_file", "api", NULL,
	};
	struct conf *c = l->c;

	if (check_map(l, root, "", keys) < 0 ||
	    parse_eal(l, root) < 0 ||
	    parse_ports(l, root) < 0 ||
	    parse_underlay(l, root) < 0 ||
	    parse_vnis(l, root) < 0 ||
	    field_u32(l, root, "", "fdb_capacity", 1024, 16777216, CONF_DEF_FDB_CAPACITY,
		      &c->fdb_capacity) < 0 ||
	    parse_fdb(l, root) < 0 ||
	    field_u32(l, root, "", "stats_interval", 0, UINT32_MAX, 0, &c->stats_interval) < 0 ||
	    parse_state_file(l, root) < 0 ||
	    parse_api(l, root) < 0)
		return -1;
	return 0;
}

struct conf *
conf_from_node(const struct conf_node *root, struct conf_err *err)
{
	struct conf_err dummy;
	struct loader l = { .err = err != NULL ? err : &dummy };
	int rc;

	memset(l.err, 0, sizeof(*l.err));
	l.c = calloc(1, sizeof(*l.c));
	if (l.c == NULL) {
		fail_oom(&l);
		errno = ENOMEM;
		return NULL;
	}
	conf_api_defaults(&l.c->api);
	if (root == NULL || is_null(root))
		rc = fail_line(&l, root != NULL ? LINE(root) : 0, "",
			       "is empty; expected a mapping with ports, underlay and vnis");
	else
		rc = parse_root(&l, root);
	free(l.vnis.k);
	free(l.binds.k);
	free(l.remotes.k);
	if (rc < 0) {
		conf_free(l.c);
		errno = l.rc != 0 ? -l.rc : EINVAL;
		return NULL;
	}
	return l.c;
}
