/* SPDX-License-Identifier: BSD-3-Clause */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "fuzz_eal.h"

static char runtime_dir[256];

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
fuzz_eal_fini(void)
{
	rte_eal_cleanup();
	if (runtime_dir[0] != '\0')
		nftw(runtime_dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

void
fuzz_eal_init(const char *name, const char *lcores)
{
	static char prefix[64], lc[64];
	const char *env = getenv("FUZZ_EAL_PREFIX");
	char *argv[] = {
		"fuzz", "--no-huge", "-m", "512", "--no-pci", "--no-shconf",
		"--no-telemetry", "--file-prefix", prefix, "--lcores", lc,
		"--log-level", "lib.eal:error", "--log-level", "pmd.net.ring:error",
		NULL,
	};

	if (env != NULL && env[0] != '\0')
		snprintf(prefix, sizeof(prefix), "%s", env);
	else
		snprintf(prefix, sizeof(prefix), "vtep-fuzz-%s-%d", name, (int)getpid());
	snprintf(lc, sizeof(lc), "%s", lcores);
	FUZZ_LSAN_OFF();
	if (rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv) < 0) {
		fprintf(stderr, "fuzz_%s: rte_eal_init: %s\n", name, rte_strerror(rte_errno));
		exit(2);
	}
	FUZZ_LSAN_ON();
	snprintf(runtime_dir, sizeof(runtime_dir), "%s", rte_eal_get_runtime_dir());
	atexit(fuzz_eal_fini);
}
