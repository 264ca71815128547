/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "test_eal.h"

void
test_eal_init(void)
{
	static int done;
	char prefix[64];
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
	done = 1;
}
