/* SPDX-License-Identifier: BSD-3-Clause */
/* memif devargs and listening sockets, for port.c's restarts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memif.h"

/* The PMD's defaults (DPDK 22.11 drivers/net/memif). */
#define MEMIF_DEFAULT_SOCKET "/run/memif.sock"
#define SO_ACCEPTCON_FLAG 0x10000        /* __SO_ACCEPTCON in /proc/net/unix */

static bool
kv_is(const char *kv, size_t len, const char *key, const char **val, size_t *vlen)
{
	size_t k = strlen(key);

	if (len <= k || strncmp(kv, key, k) != 0 || kv[k] != '=')
		return false;
	*val = kv + k + 1;
	*vlen = len - k - 1;
	return true;
}

bool
memif_devargs_parse(const char *devargs, struct memif_info *mi)
{
	const char *p = devargs, *v;
	size_t n, vlen;

	if (strncmp(devargs, "net_memif", strlen("net_memif")) != 0)
		return false;
	memset(mi, 0, sizeof(*mi));
	mi->server = true;
	mi->abstract = true;
	snprintf(mi->socket, sizeof(mi->socket), "%s", MEMIF_DEFAULT_SOCKET);
	p += strcspn(p, ",");
	while (*p == ',') {
		p++;
		n = strcspn(p, ",");
		if (kv_is(p, n, "role", &v, &vlen))
			mi->server = !(vlen == 6 && strncmp(v, "client", 6) == 0);
		else if (kv_is(p, n, "socket-abstract", &v, &vlen))
			mi->abstract = !(vlen == 2 && strncmp(v, "no", 2) == 0);
		else if (kv_is(p, n, "socket", &v, &vlen) && vlen < sizeof(mi->socket))
			snprintf(mi->socket, sizeof(mi->socket), "%.*s", (int)vlen, v);
		p += n;
	}
	return true;
}

bool
memif_listening(const struct memif_info *mi)
{
	char want[sizeof(mi->socket) + 1], line[512], path[sizeof(want)];
	unsigned long flags;
	bool found = false;
	FILE *f;

	snprintf(want, sizeof(want), "%s%s", mi->abstract ? "@" : "", mi->socket);
	f = fopen("/proc/net/unix", "r");
	if (f == NULL)
		return true;
	/* Num RefCount Protocol Flags Type St Inode Path */
	while (!found && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%*s %*s %*s %lx %*s %*s %*s %108s", &flags, path) == 2 &&
		    (flags & SO_ACCEPTCON_FLAG) && strcmp(path, want) == 0)
			found = true;
	fclose(f);
	return found;
}
