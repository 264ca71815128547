# SPDX-License-Identifier: BSD-3-Clause
"""
Flooding through lib/bum on a running vtepd: storm control (bum_limit_pps)
drops what is over a VNI's budget and counts it.
"""

import time

from pkt import (
    BCAST, R2, R3, VM_A, check_count, check_counters, check_drops, inner_frame,
    test, vni_yaml, TestFailure,
)


@test()
def storm_control_limits_bum(ctx):
    """A burst of broadcasts above bum_limit_pps: what passed is flooded
    (to every remote), the excess is dropped and counted as bum_storm and
    the VNI's storm_drops, and every frame is one or the other; after a
    pause the bucket has refilled and a broadcast passes again."""
    n, limit = 300, 50
    with ctx.lab() as lab:
        lab.start(lab.config(vni_yaml(100, [("acc", "untagged")], [R2, R3],
                                      extra="bum_limit_pps: %d" % limit)))
        frames = [inner_frame(BCAST, VM_A, 80, seed=i) for i in range(n)]
        lab.send("acc", frames)
        c = lab.wait_for("every broadcast of the burst accounted for",
                         lambda c: c.get("port.acc.rx_packets") == n and
                         c.get("vni.100.flood_packets", 0) + c.get("vni.100.storm_drops", 0) == n)
        passed, dropped = c["vni.100.flood_packets"], c["vni.100.storm_drops"]
        # One worker: its bucket holds a tenth of a second of the limit
        # when the burst starts, and refills at the limit meanwhile.
        if not (limit // 10 <= passed < n // 2):
            raise TestFailure("%d of %d broadcasts passed a %d pps limit" % (passed, n, limit))
        check_counters(c, {"drop.bum_storm": dropped, "vni.100.flood_copies": 2 * passed,
                           "vni.100.encap_packets": 2 * passed})
        lab.wait_out("uplink", 2 * passed)
        # A second at the limit refills the bucket to its burst.
        time.sleep(1.0)
        lab.send("acc", inner_frame(BCAST, VM_A, 80, seed=n))
        c = lab.wait_for("one more broadcast after the pause",
                         lambda c: c.get("port.acc.rx_packets") == n + 1 and
                         c.get("vni.100.flood_packets", 0) + c.get("vni.100.storm_drops", 0) == n + 1)
        check_counters(c, {"vni.100.flood_packets": passed + 1, "vni.100.storm_drops": dropped})
        c = lab.stop()
        check_count("underlay output", lab.out("uplink"), 2 * (passed + 1))
        check_drops(c, {"bum_storm": dropped})
