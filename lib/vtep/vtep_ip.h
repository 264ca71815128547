/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VTEP_IP_H
#define VTEP_IP_H

/**
 * @file
 * An IP address as the project stores it everywhere: IPv4 today, laid out so
 * that IPv6 fits later without changing the users.
 */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_byteorder.h>

struct vtep_ip {
	uint8_t family;    /**< AF_INET, AF_INET6, or 0 for none */
	uint8_t pad[3];
	union {
		rte_be32_t v4; /**< network order */
		uint8_t v6[16];
	};
};

static inline struct vtep_ip
vtep_ip4(rte_be32_t a)
{
	struct vtep_ip ip;

	memset(&ip, 0, sizeof(ip));
	ip.family = AF_INET;
	ip.v4 = a;
	return ip;
}

static inline bool
vtep_ip_eq(const struct vtep_ip *a, const struct vtep_ip *b)
{
	if (a->family != b->family)
		return false;
	if (a->family == AF_INET)
		return a->v4 == b->v4;
	return memcmp(a->v6, b->v6, sizeof(a->v6)) == 0;
}

/**
 * Parse "a.b.c.d" (IPv6 later).
 * @return 0, or -EINVAL.
 */
int vtep_ip_parse(const char *s, struct vtep_ip *ip);

/** Format into @p buf (at least 46 bytes); returns buf. */
const char *vtep_ip_str(const struct vtep_ip *ip, char *buf, size_t len);

#endif /* VTEP_IP_H */
