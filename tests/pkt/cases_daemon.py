# SPDX-License-Identifier: BSD-3-Clause
"""
Packet tests of the running daemon's documented behaviours: ageing,
learning off, the MAC limit, the outer header's ttl/df/udp_port, local
switching and flooding, static local FDB entries, stats_interval, SIGINT,
--check, the learn quota per burst and a full learn ring.
"""

import ctypes
import os
import shutil
import signal
import struct
import subprocess
import tempfile
import time

from pkt import (
    BCAST, LOCAL_IP, NEIGH_MAC, R2, R3, SPORT_SPAN, VM_A, VM_B, VTEP_MAC,
    TestFailure, check_count, check_counters, check_drops, check_encap,
    check_frame, check_sport, fdb_remote, inner_frame, make_config, outer_dst_ip,
    outer_sport, pcap_count, proc_state, push_vlan, test, vni_yaml,
    vxlan_frame, write_pcap,
)

VM_C = "02:cc:00:00:00:0c"    # a third VM, on a second access binding


def by_remote(what, frames, inner, remotes):
    """frames are inner encapsulated once toward each of remotes, in any
    order, with one source port; returns them by remote."""
    got = sorted(outer_dst_ip(f) for f in frames)
    if got != sorted(remotes):
        raise TestFailure("%s: copies went to %s, expected one to each of %s" %
                          (what, got, sorted(remotes)))
    ports = {check_encap("%s, copy to %s" % (what, outer_dst_ip(f)), f, inner, 100,
                         outer_dst_ip(f)) for f in frames}
    if len(ports) != 1:
        raise TestFailure("%s: copies of one frame got source ports %s" % (what, sorted(ports)))
    return {outer_dst_ip(f): f for f in frames}


# ---- the FDB over time -----------------------------------------------------

@test()
def learned_entry_ages_out(ctx):
    """With ageing 3 a learned remote MAC takes unicast, then disappears
    (fdb.aged, vni.N.fdb_entries), and the next frame to it is flooded to
    the whole flood list again. An entry is never removed before its
    ageing time has passed since it was last seen (3 s: time enough for the
    steps between learning and use)."""
    with ctx.lab() as lab:
        lab.start(lab.config(vni_yaml(100, [("acc", "untagged")], [R2, R3],
                                      extra="ageing: 3")))
        req = inner_frame(VM_A, VM_B, 100, seed=1)
        lab.send("und", vxlan_frame(req, 100, src_ip=R3))
        lab.wait_for("VM_B learned behind %s" % R3,
                     lambda c: c.get("fdb.learned") == 1 and
                     c.get("vni.100.fdb_entries") == 1)
        known = inner_frame(VM_B, VM_A, 100, seed=2)
        lab.send("acc", known)
        lab.wait_for("the frame to VM_B sent and VM_A learned",
                     lambda c: c.get("vni.100.encap_packets") == 1 and
                     c.get("fdb.learned") == 2)
        c = lab.wait_for("both entries aged out",
                         lambda c: c.get("fdb.aged") == 2 and
                         c.get("vni.100.fdb_entries") == 0, timeout=30)
        check_counters(c, {"fdb.learned": 0, "fdb.entries": 0,
                           "vni.100.flood_packets": 0})
        again = inner_frame(VM_B, VM_A, 100, seed=3)
        lab.send("acc", again)
        lab.wait_for("the frame to the aged MAC flooded",
                     lambda c: c.get("vni.100.flood_copies") == 2)
        c = lab.stop()
        up = lab.out("uplink")
        check_count("underlay output", up, 3)
        check_encap("frame to VM_B while learned (unicast to %s)" % R3, up[0], known, 100, R3)
        by_remote("frame to VM_B once aged", up[1:], again, [R2, R3])
        acc = lab.out("acc")
        check_count("access output", acc, 1)
        check_frame("decapsulated frame", req, acc[0])
        check_counters(c, {"vni.100.encap_packets": 3, "vni.100.flood_packets": 1,
                           "vni.100.flood_copies": 2, "vni.100.decap_packets": 1})
        check_drops(c, {})


@test()
def learning_off_keeps_flooding(ctx):
    """learning: false: a MAC seen behind a remote VTEP and on the access
    port is never learned, so frames to it are flooded every time."""
    with ctx.lab() as lab:
        lab.start(lab.config(vni_yaml(100, [("acc", "untagged")], [R2, R3],
                                      extra="learning: false")))
        req = inner_frame(VM_A, VM_B, 100, seed=1)
        lab.send("und", vxlan_frame(req, 100, src_ip=R3))
        lab.wait_for("the VXLAN frame decapsulated",
                     lambda c: c.get("vni.100.decap_packets") == 1)
        replies = [inner_frame(VM_B, VM_A, 100, seed=s) for s in (2, 3)]
        for i, r in enumerate(replies):
            lab.send("acc", r)
            lab.wait_for("reply %d flooded" % (i + 1),
                         lambda c, n=2 * (i + 1): c.get("vni.100.flood_copies") == n)
        c = lab.stop()
        up = lab.out("uplink")
        check_count("underlay output", up, 4)
        for i, r in enumerate(replies):
            by_remote("reply %d to VM_B" % (i + 1), up[2 * i:2 * i + 2], r, [R2, R3])
        acc = lab.out("acc")
        check_count("access output", acc, 1)
        check_frame("decapsulated frame", req, acc[0])
        check_counters(c, {"fdb.learned": 0, "fdb.entries": 0, "vni.100.fdb_entries": 0,
                           "learn.posted": 0, "learn.applied": 0,
                           "vni.100.flood_packets": 2, "vni.100.encap_packets": 4})
        check_drops(c, {})


@test()
def mac_limit_refuses_excess(ctx):
    """mac_limit 3: of four new source MACs the fourth is not learned
    (fdb.limit_hits), so a frame to it is flooded to both bindings while a
    frame to the first goes to its binding alone; a MAC behind a remote
    VTEP is refused too, once per frame."""
    macs = ["02:aa:00:00:01:%02x" % i for i in range(1, 5)]
    with ctx.lab(access=("acc", "acc2")) as lab:
        lab.start(lab.config(vni_yaml(100, [("acc", "untagged"), ("acc2", "untagged")],
                                      extra="mac_limit: 3")))
        bcasts = [inner_frame(BCAST, m, 80, seed=i) for i, m in enumerate(macs)]
        lab.send("acc", bcasts)
        c = lab.wait_for("four learn events taken",
                         lambda c: c.get("learn.applied", 0) + c.get("learn.refused", 0) == 4)
        check_counters(c, {"fdb.learned": 3, "vni.100.fdb_entries": 3, "fdb.limit_hits": 1,
                           "learn.applied": 3, "learn.refused": 1})
        to_first = inner_frame(macs[0], VM_B, 100, seed=5)
        to_fourth = inner_frame(macs[3], VM_B, 100, seed=6)
        for i, f in enumerate((to_first, to_fourth)):
            lab.send("und", vxlan_frame(f, 100))
            lab.wait_for("VXLAN frame %d decapsulated and VM_B refused" % (i + 1),
                         lambda c, n=i + 1: c.get("vni.100.decap_packets") == n and
                         c.get("learn.refused") == 1 + n)
        c = lab.stop()
        acc = lab.out("acc")
        check_count("acc output", acc, 2)
        check_frame("frame to the first MAC on acc", to_first, acc[0])
        check_frame("frame to the fourth MAC on acc", to_fourth, acc[1])
        acc2 = lab.out("acc2")
        check_count("acc2 output", acc2, 5)
        for i, b in enumerate(bcasts):
            check_frame("broadcast %d on acc2" % (i + 1), b, acc2[i])
        check_frame("frame to the fourth MAC flooded to acc2", to_fourth, acc2[4])
        check_count("underlay output", lab.out("uplink"), 0)
        check_counters(c, {"fdb.learned": 3, "fdb.limit_hits": 3, "learn.applied": 3,
                           "vni.100.flood_packets": 5, "vni.100.flood_copies": 6})
        check_drops(c, {})


# ---- the outer header -------------------------------------------------------

@test()
def outer_ttl_df_udp_port(ctx):
    """ttl 17, df false, udp_port 8472: encapsulated frames carry exactly
    that (DF clear, so the IPv4 id counts up per frame), and the underlay
    takes VXLAN on 8472 only: 4789 is not_for_us."""
    port = 8472
    with ctx.lab() as lab:
        lab.start(lab.config(vni_yaml(100, [("acc", "untagged")]),
                             fdb=fdb_remote(100, VM_B, R2),
                             underlay_extra="udp_port: %d\nttl: 17\ndf: false" % port))
        inners = [inner_frame(VM_B, VM_A, 100 + 10 * i, seed=i) for i in range(3)]
        lab.send("acc", inners)
        lab.wait_for("three frames encapsulated",
                     lambda c: c.get("vni.100.encap_packets") == 3)
        on_4789 = inner_frame(VM_A, VM_B, 90, seed=7)
        on_port = inner_frame(VM_A, VM_B, 90, seed=8)
        lab.send("und", [vxlan_frame(on_4789, 100), vxlan_frame(on_port, 100, dport=port)])
        lab.wait_rx("uplink", 2)
        c = lab.stop()
        up = lab.out("uplink")
        check_count("underlay output", up, 3)
        id0 = struct.unpack_from("!H", up[0], 18)[0]
        for i, (inner, got) in enumerate(zip(inners, up)):
            want = vxlan_frame(inner, 100, src_ip=LOCAL_IP, dst_ip=R2, eth_src=VTEP_MAC,
                               eth_dst=NEIGH_MAC[R2], dport=port, ttl=17,
                               ident=(id0 + i) & 0xFFFF, frag=0)
            check_frame("frame %d (TTL 17, DF clear, IPv4 id %d, UDP port %d)" %
                        (i, (id0 + i) & 0xFFFF, port), want, got, ignore=[SPORT_SPAN])
            check_sport("frame %d" % i, outer_sport(got))
        acc = lab.out("acc")
        check_count("access output", acc, 1)
        check_frame("the frame sent to port %d" % port, on_port, acc[0])
        check_counters(c, {"vni.100.encap_packets": 3, "vni.100.decap_packets": 1})
        check_drops(c, {"not_for_us": 1})


# ---- the access side --------------------------------------------------------

@test()
def access_unicast_switched_locally(ctx):
    """A frame from one access binding to a MAC learned on another binding
    of the VNI goes to that binding alone and is never encapsulated."""
    with ctx.lab(access=("acc", "acc2")) as lab:
        lab.start(lab.config(vni_yaml(100, [("acc", "untagged"), ("acc2", "untagged")],
                                      [R2])))
        hello = inner_frame(BCAST, VM_C, 100, seed=1)
        lab.send("acc2", hello)
        lab.wait_for("VM_C learned on acc2", lambda c: c.get("fdb.learned") == 1)
        to_c = inner_frame(VM_C, VM_A, 120, seed=2)
        lab.send("acc", to_c)
        lab.wait_for("the frame to VM_C taken and VM_A learned",
                     lambda c: c.get("port.acc.rx_packets") == 1 and
                     c.get("fdb.learned") == 2)
        c = lab.stop()
        acc2 = lab.out("acc2")
        check_count("acc2 output", acc2, 1)
        check_frame("frame to VM_C on acc2", to_c, acc2[0])
        acc = lab.out("acc")
        check_count("acc output", acc, 1)
        check_frame("VM_C's broadcast on acc", hello, acc[0])
        up = lab.out("uplink")
        check_count("underlay output (the broadcast only)", up, 1)
        check_encap("VM_C's broadcast toward %s" % R2, up[0], hello, 100, R2)
        check_counters(c, {"vni.100.encap_packets": 1, "vni.100.flood_packets": 1,
                           "vni.100.flood_copies": 2, "port.uplink.tx_packets": 1,
                           "port.acc2.tx_packets": 1})
        check_drops(c, {})


@test()
def local_flood_copies(ctx):
    """A broadcast from one access binding goes once to every other binding
    of the VNI (another VLAN of the same port counts, with its tag) and once
    to each remote, never back to the binding it came from."""
    with ctx.lab(access=("acc", "acc2")) as lab:
        lab.start(lab.config(vni_yaml(100, [("acc", "untagged"), ("acc", 20),
                                            ("acc2", "untagged")], [R2, R3])))
        untagged = inner_frame(BCAST, VM_A, 100, seed=3)
        tagged = inner_frame(BCAST, VM_C, 110, seed=4)
        lab.send("acc", untagged)
        lab.wait_for("the untagged broadcast flooded",
                     lambda c: c.get("vni.100.flood_copies") == 4)
        lab.send("acc", push_vlan(tagged, 20))
        lab.wait_for("the VLAN 20 broadcast flooded",
                     lambda c: c.get("vni.100.flood_copies") == 8)
        c = lab.stop()
        acc = lab.out("acc")
        check_count("acc output", acc, 2)
        check_frame("untagged broadcast on acc VLAN 20", push_vlan(untagged, 20), acc[0])
        check_frame("VLAN 20 broadcast on acc untagged", tagged, acc[1])
        acc2 = lab.out("acc2")
        check_count("acc2 output", acc2, 2)
        check_frame("untagged broadcast on acc2", untagged, acc2[0])
        check_frame("VLAN 20 broadcast on acc2", tagged, acc2[1])
        up = lab.out("uplink")
        check_count("underlay output", up, 4)
        by_remote("untagged broadcast", up[:2], untagged, [R2, R3])
        by_remote("VLAN 20 broadcast", up[2:], tagged, [R2, R3])
        check_counters(c, {"vni.100.flood_packets": 2, "vni.100.flood_copies": 8,
                           "vni.100.encap_packets": 4})
        check_drops(c, {})


@test()
def static_fdb_local_binding(ctx):
    """A static entry toward (acc2, VLAN 10) sends frames to that MAC from
    the access side and from the tunnel to that binding alone, tagged; the
    MAC showing up on another binding does not replace it."""
    fdb = '- { vni: 100, mac: "%s", port: acc2, vlan: 10 }\n' % VM_C
    with ctx.lab(access=("acc", "acc2")) as lab:
        lab.start(lab.config(vni_yaml(100, [("acc", "untagged"), ("acc2", 10)], [R2]),
                             fdb=fdb))
        from_acc = inner_frame(VM_C, VM_A, 100, seed=1)
        lab.send("acc", from_acc)
        lab.wait_for("the access frame to VM_C taken",
                     lambda c: c.get("port.acc2.tx_packets") == 1)
        from_tunnel = inner_frame(VM_C, VM_B, 100, seed=2)
        lab.send("und", vxlan_frame(from_tunnel, 100))
        lab.wait_for("the VXLAN frame to VM_C decapsulated",
                     lambda c: c.get("port.acc2.tx_packets") == 2)
        # VM_C's address shows up on acc: learning must leave the entry.
        spoof = inner_frame(BCAST, VM_C, 100, seed=3)
        lab.send("acc", spoof)
        lab.wait_for("the broadcast from VM_C's address flooded",
                     lambda c: c.get("vni.100.flood_copies") == 2)
        after = inner_frame(VM_C, VM_B, 100, seed=4)
        lab.send("und", vxlan_frame(after, 100))
        lab.wait_for("the second VXLAN frame to VM_C decapsulated",
                     lambda c: c.get("vni.100.decap_packets") == 2)
        c = lab.stop()
        acc2 = lab.out("acc2")
        check_count("acc2 output", acc2, 4)
        check_frame("access frame to VM_C on acc2 VLAN 10", push_vlan(from_acc, 10), acc2[0])
        check_frame("VXLAN frame to VM_C on acc2 VLAN 10", push_vlan(from_tunnel, 10), acc2[1])
        check_frame("VM_C's broadcast from acc on acc2 VLAN 10", push_vlan(spoof, 10), acc2[2])
        check_frame("VXLAN frame to VM_C after it showed up on acc", push_vlan(after, 10),
                    acc2[3])
        check_count("acc output", lab.out("acc"), 0)
        up = lab.out("uplink")
        check_count("underlay output", up, 1)
        check_encap("VM_C's broadcast toward %s" % R2, up[0], spoof, 100, R2)
        # VM_A on acc and VM_B behind R2 are learned beside the static entry.
        check_counters(c, {"fdb.static": 1, "fdb.learned": 2, "vni.100.fdb_entries": 3,
                           "fdb.moves": 0, "vni.100.flood_packets": 1})
        check_drops(c, {})


# ---- the process ------------------------------------------------------------

@test()
def stats_interval_prints(ctx):
    """stats_interval 1: counter blocks appear in the log by themselves (no
    SIGUSR1 is sent), keep appearing, and show traffic as it happens."""
    with ctx.lab() as lab:
        lab.start(lab.config(vni_yaml(100, [("acc", "untagged")]),
                             fdb=fdb_remote(100, VM_B, R2)) + "stats_interval: 1\n")

        def wait_blocks(what, pred, timeout=15.0):
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                b = lab.blocks()
                if pred(b):
                    return b
                if lab.proc.poll() is not None:
                    raise TestFailure("vtepd died (exit %d):\n%s" %
                                      (lab.proc.returncode, lab.log()[-4000:]))
                time.sleep(0.05)
            raise TestFailure("timed out after %.0f s waiting for %s; %d block(s) in the log" %
                              (timeout, what, len(lab.blocks())))

        n1 = len(wait_blocks("a first counter block", lambda b: len(b) >= 1))
        wait_blocks("a block after the first %d" % n1, lambda b: len(b) > n1)
        lab.send("acc", inner_frame(VM_B, VM_A, 100))
        b = wait_blocks("a block that shows the frame",
                        lambda b: b[-1].get("vni.100.encap_packets") == 1)
        check_counters(b[-1], {"port.acc.rx_packets": 1, "port.uplink.tx_packets": 1})
        c = lab.stop()
        check_counters(c, {"vni.100.encap_packets": 1})
        check_drops(c, {})


@test()
def sigint_stops_cleanly(ctx):
    """SIGINT stops vtepd with exit status 0 after it prints its counters
    once, and leaves every output pcap complete. No SIGUSR1 is sent: the one
    counter block is the final one."""
    with ctx.lab() as lab:
        lab.start(lab.config(vni_yaml(100, [("acc", "untagged")]),
                             fdb=fdb_remote(100, VM_B, R2)))
        inners = [inner_frame(VM_B, VM_A, 100 + i, seed=i) for i in range(3)]
        lab.send("acc", inners)
        lab.wait_out("uplink", 3)
        c = lab.stop(sig=signal.SIGINT)
        if len(lab.blocks()) != 1:
            raise TestFailure("%d counter blocks, expected the final one only:\n%s" %
                              (len(lab.blocks()), lab.log()[-4000:]))
        up = lab.out("uplink")
        check_count("underlay output", up, 3)
        for i, (inner, got) in enumerate(zip(inners, up)):
            check_encap("frame %d" % i, got, inner, 100, R2)
        check_count("access output", lab.out("acc"), 0)
        check_counters(c, {"port.acc.rx_packets": 3, "vni.100.encap_packets": 3,
                           "port.uplink.tx_packets": 3})
        check_drops(c, {})


@test(root=False)
def check_validates_only(ctx):
    """--check: a valid file exits 0 without starting the EAL (its devices
    do not exist here), an invalid one exits non-zero with
    file:line: field: reason on stderr, before any EAL output."""
    good = make_config("vtep-pt-check", "/tmp", ["acc"],
                       vni_yaml(100, [("acc", "untagged")], [R2]))
    anchor = "  address: %s/24\n" % LOCAL_IP
    if good.count(anchor) != 1:
        raise TestFailure("%r is not once in the base configuration" % anchor)
    bad = good.replace(anchor, anchor + "  ttl: 0\n")
    line = 1 + bad.splitlines().index("  ttl: 0")
    tmp = tempfile.mkdtemp(prefix="vtep-pt-%d-check-" % os.getpid())
    try:
        results = {}
        for name, text in (("good", good), ("bad", bad)):
            path = os.path.join(tmp, name + ".yaml")
            with open(path, "w") as f:
                f.write(text)
            results[name] = (path, subprocess.run([ctx.vtepd, "-c", path, "--check"],
                                                  capture_output=True, text=True, timeout=30))
        failures = []
        path, p = results["good"]
        if p.returncode != 0 or p.stderr != "" or path not in p.stdout:
            failures.append("valid file: exit %d, stdout %r, stderr %r" %
                            (p.returncode, p.stdout, p.stderr))
        path, p = results["bad"]
        want = "vtepd: %s:%d: underlay.ttl: 0 is out of range (1-255)" % (path, line)
        if p.returncode == 0 or p.stderr.strip() != want:
            failures.append("invalid file: exit %d, expected %r on stderr, got %r" %
                            (p.returncode, want, p.stderr))
        for name, (path, p) in results.items():
            if "EAL" in p.stdout + p.stderr:
                failures.append("%s file: the EAL started:\n%s%s" % (name, p.stdout, p.stderr))
        if failures:
            raise TestFailure("\n".join(failures))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---- learning under load ------------------------------------------------------

@test()
def learn_quota_per_burst(ctx):
    """A worker posts at most 8 learn events per burst: from one burst of 32
    new source MACs (acc reads them from a pcap file, a whole burst per
    poll) only the first 8 are learned; the next burst, 24 of the others,
    learns 8 more; the last 16 are never learned and frames to them are
    flooded."""
    macs = ["02:aa:00:00:02:%02x" % i for i in range(32)]
    first = [inner_frame(BCAST, m, 60, seed=i) for i, m in enumerate(macs)]
    second = [inner_frame(BCAST, m, 60, seed=100 + i) for i, m in enumerate(macs[8:])]
    with ctx.lab(access=("acc", "acc2")) as lab:
        rx = lab.path("acc-in.pcap")
        write_pcap(rx, first + second)
        lab.start(lab.config(vni_yaml(100, [("acc", "untagged"), ("acc2", "untagged")]),
                             rx_pcap={"acc": rx}))
        c = lab.wait_for("the file read and its learn events taken",
                         lambda c: c.get("port.acc.rx_packets") == 56 and
                         c.get("learn.applied", 0) + c.get("learn.refused", 0) >= 16)
        # 24 of the first burst and 16 of the second were over the quota.
        check_counters(c, {"learn.posted": 16, "learn.applied": 16, "learn.ring_full": 0,
                           "learn.over_quota": 40,
                           "fdb.learned": 16, "vni.100.fdb_entries": 16})
        # Which ones: a frame to a learned MAC goes to acc alone, one to an
        # unknown MAC to acc and acc2. 0-7 came from the first burst, 8-15
        # from the second.
        probe = [0, 7, 8, 15, 16, 31]
        probes = [inner_frame(macs[i], VM_B, 100, seed=200 + i) for i in probe]
        lab.send("und", [vxlan_frame(f, 100) for f in probes])
        lab.wait_for("the probes decapsulated",
                     lambda c: c.get("vni.100.decap_packets") == len(probes))
        c = lab.stop()
        acc = lab.out("acc")
        check_count("acc output", acc, len(probes))
        for i, f, got in zip(probe, probes, acc):
            check_frame("probe to MAC %d on acc" % i, f, got)
        acc2 = lab.out("acc2")
        check_count("acc2 output (the file's broadcasts, then the unknown probes)", acc2,
                    56 + 2)
        for k, f in enumerate(first + second):
            check_frame("broadcast %d of the file on acc2" % k, f, acc2[k])
        check_frame("probe to MAC 16 flooded to acc2", probes[4], acc2[56])
        check_frame("probe to MAC 31 flooded to acc2", probes[5], acc2[57])
        check_count("underlay output", lab.out("uplink"), 0)
        # VM_B, the probes' source, is learned behind R2 beside the 16.
        check_counters(c, {"fdb.learned": 17, "learn.ring_full": 0,
                           "vni.100.flood_packets": 58, "vni.100.flood_copies": 60})
        check_drops(c, {})


# The control thread is vtepd's main thread (the main lcore). ptrace stops
# that one thread (PTRACE_INTERRUPT) while the worker runs on: the learn
# ring then fills, which it never does while the control thread drains it
# every 100 us.
_libc = ctypes.CDLL(None, use_errno=True)
_libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
_libc.ptrace.restype = ctypes.c_long
PTRACE_DETACH, PTRACE_SEIZE, PTRACE_INTERRUPT = 17, 0x4206, 0x4207
WALL = 0x40000000


def _ptrace(req, pid):
    if _libc.ptrace(req, pid, None, None) != 0:
        e = ctypes.get_errno()
        return os.strerror(e)
    return None


class ControlThreadStopped:
    """While in this context, vtepd's control thread is stopped and its
    workers run. Never poll or wait on the process meanwhile: its stops
    are this tracer's to collect."""

    def __init__(self, lab, timeout=10.0):
        self.lab = lab
        self.pid = lab.proc.pid
        self.timeout = timeout
        self.attached = False

    def __enter__(self):
        err = _ptrace(PTRACE_SEIZE, self.pid)
        if err:
            raise TestFailure("cannot ptrace vtepd (pid %d): %s" % (self.pid, err))
        self.attached = True
        err = _ptrace(PTRACE_INTERRUPT, self.pid)
        if err:
            self.__exit__(None, None, None)
            raise TestFailure("cannot stop vtepd's control thread: %s" % err)
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            pid, st = os.waitpid(self.pid, os.WNOHANG | WALL)
            if pid == self.pid:
                if os.WIFSTOPPED(st):
                    return self
                self.attached = False
                self.lab.proc.returncode = os.waitstatus_to_exitcode(st)
                raise TestFailure("vtepd ended (status %#x) while its control thread was "
                                  "being stopped:\n%s" % (st, self.lab.log()[-4000:]))
            time.sleep(0.005)
        raise TestFailure("vtepd's control thread not stopped %.0f s after PTRACE_INTERRUPT "
                          "(%s)" % (self.timeout, proc_state(self.pid)))

    def __exit__(self, et, ev, tb):
        if self.attached:
            self.attached = False
            err = _ptrace(PTRACE_DETACH, self.pid)
            if err and et is None:
                raise TestFailure("cannot resume vtepd's control thread: %s" % err)
        return False


def send_in_steps(lab, frames, out_port, done, step=8, timeout=60.0):
    """Send frames step at a time, each step once the previous ones are out
    on out_port (one frame out per frame in, all of one size; done of them
    out already), so that no burst holds more than step of them. Waits on
    the output file only: it works while the control thread is stopped."""
    path = lab.path(out_port + "-out.pcap")
    size = len(frames[0])
    deadline = time.monotonic() + timeout
    for k in range(0, len(frames), step):
        lab.send("acc", frames[k:k + step])
        want = 24 + (done + min(k + step, len(frames))) * (16 + size)
        while os.path.getsize(path) < want:
            if time.monotonic() > deadline:
                raise TestFailure("timed out after %.0f s: %d of %d frames out on %s" %
                                  (timeout, pcap_count(path) - done, len(frames), out_port))
            time.sleep(0.0005)


@test()
def learn_ring_full_counted(ctx):
    """With the control thread stopped, learn events fill the learn ring
    (4096 slots, 4095 usable); each one beyond is dropped and counted in
    learn.ring_full, the frame itself still forwarded. Once the thread runs
    again it learns what the ring held, and the lost MACs are learned the
    next time they are seen."""
    ring = 4095
    extra = 105
    n = ring + extra
    macs = ["02:ab:00:00:%02x:%02x" % (i >> 8, i & 0xFF) for i in range(n)]
    frames = [inner_frame(BCAST, m, 60, seed=i) for i, m in enumerate(macs)]
    with ctx.lab(access=("acc", "acc2")) as lab:
        lab.start(lab.config(vni_yaml(100, [("acc", "untagged"), ("acc2", "untagged")])))
        c = lab.counters_now()
        check_counters(c, {"learn.posted": 0, "fdb.learned": 0})
        with ControlThreadStopped(lab):
            send_in_steps(lab, frames, "acc2", 0)
        c = lab.wait_for("the ring's events applied",
                         lambda c: c.get("learn.applied") == ring)
        check_counters(c, {"port.acc.rx_packets": n, "learn.posted": ring,
                           "learn.ring_full": extra, "learn.refused": 0,
                           "fdb.learned": ring, "vni.100.fdb_entries": ring})
        # The lost ones are the last, seen after the ring was full.
        send_in_steps(lab, frames[ring:], "acc2", n)
        lab.wait_for("the lost MACs learned when seen again",
                     lambda c: c.get("fdb.learned") == n)
        c = lab.stop()
        acc2 = lab.out("acc2")
        check_count("acc2 output", acc2, n + extra)
        for k, f in enumerate(frames + frames[ring:]):
            if acc2[k] != f:
                check_frame("broadcast %d on acc2" % k, f, acc2[k])
        check_counters(c, {"learn.posted": n, "learn.ring_full": extra, "learn.applied": n,
                           "fdb.learned": n, "vni.100.flood_packets": n + extra})
        check_drops(c, {})
