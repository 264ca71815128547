/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VTEPD_MEMIF_H
#define VTEPD_MEMIF_H

/*
 * What vtepd needs to know of a memif port's devargs, and whether its
 * listening socket still exists (memif.c).
 */

#include <stdbool.h>
#include <sys/un.h>

struct memif_info {
	bool server;                     /* role=server, the PMD's default */
	bool abstract;                   /* socket-abstract=yes, the default */
	char socket[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

/* Whether @devargs names a memif device; if so, fill @mi. */
bool memif_devargs_parse(const char *devargs, struct memif_info *mi);

/*
 * Whether a unix socket listens on @mi's socket in this network namespace
 * (/proc/net/unix). True when that cannot be read: nothing is re-created
 * on a guess.
 */
bool memif_listening(const struct memif_info *mi);

#endif /* VTEPD_MEMIF_H */
