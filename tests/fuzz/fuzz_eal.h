/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef FUZZ_EAL_H
#define FUZZ_EAL_H

/*
 * What the packet fuzz targets share: one EAL per process, started from
 * LLVMFuzzerInitialize, and a way to abort with a reason that libFuzzer
 * reports as a crash.
 */

#include <stdio.h>
#include <stdlib.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/lsan_interface.h>
#define FUZZ_HAVE_LSAN 1
#endif
#endif

/*
 * Allocations made between these two are never reported as leaks. Only the
 * one-time set-up of a target goes between them: the EAL, the ports and
 * the daemon's tables keep their memory until exit, much of it behind
 * pointers stored in DPDK memory that LeakSanitizer does not scan.
 */
#ifdef FUZZ_HAVE_LSAN
#define FUZZ_LSAN_OFF() __lsan_disable()
#define FUZZ_LSAN_ON() __lsan_enable()
#else
#define FUZZ_LSAN_OFF() do { } while (0)
#define FUZZ_LSAN_ON() do { } while (0)
#endif

/* A broken invariant: say which, then abort so that libFuzzer saves the input. */
#define FUZZ_CHECK(cond, ...) do {                                           \
	if (!(cond)) {                                                       \
		fprintf(stderr, "%s:%d: invariant broken: %s: ", __FILE__,   \
			__LINE__, #cond);                                    \
		fprintf(stderr, __VA_ARGS__);                                \
		fputc('\n', stderr);                                         \
		abort();                                                     \
	}                                                                    \
} while (0)

/*
 * Start the EAL without hugepages, PCI, shared files or telemetry, under the
 * file prefix $FUZZ_EAL_PREFIX (default vtep-fuzz-<name>-<pid>), on the
 * lcores @p lcores (an --lcores value). Exits the process on failure. At
 * exit, after the handlers registered later, the EAL is cleaned up and its
 * runtime directory removed.
 */
void fuzz_eal_init(const char *name, const char *lcores);

#endif /* FUZZ_EAL_H */
