/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TEST_EAL_H
#define TEST_EAL_H

/**
 * Start a DPDK EAL fit for unit tests: no hugepages, no PCI, no shared files,
 * a unique file prefix, one lcore. Aborts the test program if it fails.
 */
void test_eal_init(void);

#endif
