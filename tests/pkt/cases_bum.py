# SPDX-License-Identifier: BSD-3-Clause
"""
Flooding through lib/bum on a running vtepd: storm control (bum_limit_pps),
a service node (flood: service-node), and vtepd as the service node
(replicator: true).
"""

import time

from pkt import (
    BCAST, R2, R3, R4, VM_A, VM_B, TestFailure, check_count, check_counters, check_drops,
    check_encap, fdb_remote, inner_frame, test, vni_yaml, vxlan_frame,
)
from cases_daemon import by_remote

VM_C = "02:cc:00:00:00:0c"    # a VM behind another remote VTEP


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


@test()
def service_node_gets_one_copy(ctx):
    """flood: service-node sends each broadcast and unknown unicast as one
    unicast copy to the service node and to no other remote, while a MAC
    known behind another remote still goes there directly."""
    with ctx.lab() as lab:
        lab.start(lab.config("- vni: 100\n  access: [{ port: acc, vlan: untagged }]\n"
                             "  flood: service-node\n  service_node: %s\n" % R3,
                             fdb=fdb_remote(100, VM_B, R2)))
        bcast = inner_frame(BCAST, VM_A, 90, seed=1)
        unknown = inner_frame(VM_C, VM_A, 95, seed=2)
        known = inner_frame(VM_B, VM_A, 100, seed=3)
        lab.send("acc", [bcast, unknown, known])
        lab.wait_out("uplink", 3)
        c = lab.stop()
        up = lab.out("uplink")
        check_count("underlay output", up, 3)
        check_encap("broadcast", up[0], bcast, 100, R3)
        check_encap("unknown unicast", up[1], unknown, 100, R3)
        check_encap("known unicast", up[2], known, 100, R2)
        check_counters(c, {"vni.100.flood_packets": 2, "vni.100.flood_copies": 2,
                           "vni.100.encap_packets": 3})
        check_drops(c, {})


@test()
def replicator_resends_and_relays(ctx):
    """replicator: true makes vtepd the service node of its flood list: a
    broadcast from one of its VTEPs goes on to the others and the local
    binding, never back to the sender; unicast from one VTEP to a MAC
    learned behind another is relayed to it alone; from a VTEP not in the
    list, split horizon holds."""
    with ctx.lab() as lab:
        lab.start(lab.config(vni_yaml(100, [("acc", "untagged")], [R2, R3, R4],
                                      extra="replicator: true")))
        from_r2 = inner_frame(BCAST, VM_B, 90, seed=1)
        lab.send("und", vxlan_frame(from_r2, 100, src_ip=R2))
        lab.wait_out("uplink", 2)
        # R3's VM speaks: vtepd learns VM_C behind R3 (and floods it on).
        from_r3 = inner_frame(BCAST, VM_C, 92, seed=2)
        lab.send("und", vxlan_frame(from_r3, 100, src_ip=R3))
        lab.wait_out("uplink", 4)
        lab.wait_for("VM_C learned behind R3",
                     lambda c: c.get("vni.100.fdb_entries") == 2)
        # R2 to VM_C: relayed to R3 only.
        to_c = inner_frame(VM_C, VM_B, 94, seed=3)
        lab.send("und", vxlan_frame(to_c, 100, src_ip=R2))
        lab.wait_out("uplink", 5)
        # R3 to VM_C, which sits behind R3 itself: dropped.
        lab.send("und", vxlan_frame(inner_frame(VM_C, VM_B, 96, seed=4), 100, src_ip=R3))
        lab.wait_for("the frame back to its sender dropped",
                     lambda c: c.get("drop.same_binding") == 1)
        c = lab.stop()
        up = lab.out("uplink")
        check_count("underlay output", up, 5)
        by_remote("R2's broadcast", up[0:2], from_r2, [R3, R4])
        by_remote("R3's broadcast", up[2:4], from_r3, [R2, R4])
        check_encap("R2 to VM_C", up[4], to_c, 100, R3)
        acc = lab.out("acc")
        check_count("access output", acc, 2)
        check_counters(c, {"vni.100.decap_packets": 4, "vni.100.encap_packets": 5,
                           "vni.100.flood_packets": 2, "vni.100.flood_copies": 6})
        check_drops(c, {"same_binding": 1})


@test()
def replicator_keeps_split_horizon_for_others(ctx):
    """A broadcast from a VTEP that is not in the replicator's flood list
    reaches the local binding only."""
    with ctx.lab() as lab:
        lab.start(lab.config(vni_yaml(100, [("acc", "untagged")], [R2, R3],
                                      extra="replicator: true")))
        inner = inner_frame(BCAST, VM_B, 90, seed=5)
        lab.send("und", vxlan_frame(inner, 100, src_ip=R4))
        lab.wait_out("acc", 1)
        c = lab.stop()
        check_count("underlay output", lab.out("uplink"), 0)
        check_count("access output", lab.out("acc"), 1)
        check_drops(c, {})
