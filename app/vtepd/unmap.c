/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * munmap() with a grace period: nothing is unmapped while a worker may be
 * inside an RX or TX burst that reads it.
 *
 * DPDK 22.11's memif PMD tears a connection down in the EAL interrupt
 * thread as soon as the peer's socket closes: it clears its "connected"
 * flag and unmaps the shared regions (rings and buffers) right away, while
 * a worker may be inside rte_eth_rx_burst() reading those rings. vtepd and
 * dpdk-testpmd alike died of it (SIGSEGV in the PMD's RX burst, about once
 * in 5 to 50 disconnects on the test machine), which looked like "the
 * server stops listening". The PMD calls munmap() through the PLT, so this
 * definition, in the executable, is the one it gets: from any thread but
 * a worker it first waits until every online worker has reported
 * quiescence (one turn of its loop), so no burst that saw the port
 * connected is still running, and a new one sees it disconnected.
 *
 * Only in the executable, not in the library the tests and fuzzers link.
 */
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <rte_lcore.h>

#include "vtepd.h"

int munmap(void *addr, size_t len);

__rte_used int
munmap(void *addr, size_t len)
{
	unsigned lcore = rte_lcore_id();

	/* A worker waiting for the workers would wait for itself. */
	if (__atomic_load_n(&vd.unmap_grace, __ATOMIC_ACQUIRE) &&
	    (lcore == LCORE_ID_ANY || lcore == rte_get_main_lcore()))
		rte_rcu_qsbr_synchronize(vd.qsbr, RTE_QSBR_THRID_INVALID);
	return (int)syscall(SYS_munmap, addr, len);
}
