/* SPDX-License-Identifier: BSD-3-Clause */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "test_eal.h"

static char prefix[64];

static int
remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* The EAL leaves its runtime directory behind even with --no-shconf. */
static void
test_eal_fini(void)
{
	char dir[128];

	rte_eal_cleanup();
	snprintf(dir, sizeof(dir), "%s/%s", getuid() == 0 ? "/var/run/dpdk" : "/tmp/dpdk",
		 prefix);
	nftw(dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

void
test_eal_init(void)
{
	static int done;
	char *argv[] = {
		"test", "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
		"--log-level", "lib.eal:error", "-l", "0", "--file-prefix", prefix, NULL,
	};

	if (done)
		return;
	snprintf(prefix, sizeof(prefix), "vtep-test-%d", (int)getpid());
	if (rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv) < 0) {
		fprintf(stderr, "rte_eal_init: %s\n", rte_strerror(rte_errno));
		exit(2);
	}
	atexit(test_eal_fini);
	done = 1;
}
