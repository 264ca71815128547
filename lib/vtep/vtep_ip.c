/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>

#include "vtep_ip.h"

int
vtep_ip_parse(const char *s, struct vtep_ip *ip)
{
	struct in_addr a;

	if (s == NULL || inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*ip = vtep_ip4(a.s_addr);
	return 0;
}

const char *
vtep_ip_str(const struct vtep_ip *ip, char *buf, size_t len)
{
	if (ip->family == AF_INET) {
		if (inet_ntop(AF_INET, &ip->v4, buf, (socklen_t)len) != NULL)
			return buf;
	} else if (ip->family == AF_INET6) {
		if (inet_ntop(AF_INET6, ip->v6, buf, (socklen_t)len) != NULL)
			return buf;
	}
	snprintf(buf, len, "-");
	return buf;
}
