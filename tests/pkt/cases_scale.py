# SPDX-License-Identifier: BSD-3-Clause
"""
Packet tests of head-end replication at scale (issue 10): a flood list of
1000 remotes, each a static neighbour (nothing answers ARP on a pcap file),
in an underlay /16 so that they are all on-link. Every copy is checked: one
to each remote, with its neighbour's MAC, the VNI, and the inner frame byte
for byte.
"""

import struct
import threading
import time

from pkt import (
    BCAST, LOCAL_IP, PREFIX_LEN, SPORT_SPAN, VM_A, VTEP_MAC, Lab, TestFailure,
    check_count, check_counters, check_drops, check_frame, check_sport,
    inner_frame, mac, outer_dst_ip, outer_inner, outer_sport, test, tshark_vxlan,
    vni_yaml, vxlan_frame,
)

N_REMOTES = 1000
# 198.18.10.1 - 198.18.13.250: clear of the harness's own neighbours
# (198.18.0.2-4) and of the local address.
REMOTES = ["198.18.%d.%d" % (10 + i // 250, 1 + i % 250) for i in range(N_REMOTES)]


def remote_mac(ip):
    """A unicast MAC per remote, from its last two octets."""
    a, b = ip.split(".")[2:]
    return "02:00:c6:12:%02x:%02x" % (int(a), int(b))


NEIGH = {ip: remote_mac(ip) for ip in REMOTES}
# The VXLAN header's VNI field in an IPv4 VXLAN frame (offset 46: 14 + 20 + 8
# + 4), and the outer destination MAC.
VNI_SPAN = slice(46, 49)


def scale_config(lab, remotes, top_extra=""):
    """The lab's configuration with VNI 100 flooding to remotes, every one
    of REMOTES a static neighbour, and the underlay prefix widened to /16."""
    text = lab.config(vni_yaml(100, [("acc", "untagged")], remotes), neighbors=NEIGH,
                      top_extra=top_extra)
    old = "address: %s/%d" % (LOCAL_IP, PREFIX_LEN)
    if text.count(old) != 1:
        raise TestFailure("the harness's configuration has no single %r" % old)
    return text.replace(old, "address: %s/16" % LOCAL_IP)


def copies_by_inner(frames):
    """Output frames grouped by their inner frame."""
    out = {}
    for f in frames:
        out.setdefault(outer_inner(f), []).append(f)
    return out


def check_copy_set(what, copies, remotes):
    """copies go one to each of remotes: the outer destination IPs are
    exactly remotes, each once."""
    got = [outer_dst_ip(f) for f in copies]
    if len(got) != len(remotes) or set(got) != set(remotes):
        missing = sorted(set(remotes) - set(got))
        extra = sorted(set(got) - set(remotes))
        dup = len(got) - len(set(got))
        raise TestFailure("%s: %d copies for %d remotes; %d remotes without a copy %s, "
                          "%d copies to others %s, %d duplicates" %
                          (what, len(got), len(remotes), len(missing), missing[:5],
                           len(extra), extra[:5], dup))


@test()
def flood_to_1000_remotes(ctx):
    """A broadcast frame on the access port leaves the underlay as exactly
    1000 VXLAN copies, one to each remote of a 1000-long head-end flood
    list: each to its static neighbour's MAC, from the local VTEP, with VNI
    100, one outer source port per frame, and the inner frame unchanged; the
    counters say 1000 copies per frame."""
    n_frames = 3
    with ctx.lab() as lab:
        lab.start(scale_config(lab, REMOTES))
        inners = [inner_frame(BCAST, VM_A, 100 + 10 * i, sport=3000 + i, seed=20 + i)
                  for i in range(n_frames)]
        lab.send("acc", inners)
        lab.wait_rx("acc", n_frames)
        lab.wait_out("uplink", n_frames * N_REMOTES)
        c = lab.stop()
        up = lab.out("uplink")
        check_count("underlay output", up, n_frames * N_REMOTES)
        groups = copies_by_inner(up)
        for i, inner in enumerate(inners):
            what = "broadcast frame %d" % i
            copies = groups.pop(inner, [])
            check_copy_set(what, copies, REMOTES)
            for f in copies:
                ip = outer_dst_ip(f)
                want = vxlan_frame(inner, 100, src_ip=LOCAL_IP, dst_ip=ip, eth_src=VTEP_MAC,
                                   eth_dst=NEIGH[ip])
                check_frame("%s, copy to %s" % (what, ip), want, f, ignore=[SPORT_SPAN])
            ports = {outer_sport(f) for f in copies}
            if len(ports) != 1:
                raise TestFailure("%s: copies got %d source ports %s..." %
                                  (what, len(ports), sorted(ports)[:5]))
            check_sport(what, ports.pop())
        if groups:
            raise TestFailure("%d output frames carry none of the frames sent" %
                              sum(len(v) for v in groups.values()))
        # An independent dissector: VNI and outer checksum of every copy.
        tshark_vxlan(lab.path("uplink-out.pcap"), [100] * len(up))
        check_count("access output", lab.out("acc"), 0)
        total = n_frames * N_REMOTES
        check_counters(c, {"vni.100.flood_packets": n_frames,
                           "vni.100.flood_copies": total,
                           "vni.100.encap_packets": total,
                           "port.acc.rx_packets": n_frames,
                           "port.uplink.tx_packets": total})
        check_drops(c, {})


@test()
def flood_list_shrinks_to_999_without_loss(ctx):
    """While broadcast frames stream in, PUT /v1/vnis/100 replaces the
    1000-long flood list with 999 of its remotes: every frame is flooded
    whole to one list or the other (never a mix, none lost), frames flooded
    before the request to all 1000, frames sent after its answer to the
    999. Counted, not timed."""
    gap, before, after = 0.005, 40, 40
    removed = REMOTES[N_REMOTES // 2]
    kept = [r for r in REMOTES if r != removed]
    with ctx.lab() as lab:
        lab.start(scale_config(lab, REMOTES, top_extra=Lab.API_YAML))
        # Unique per frame: the inner UDP source port and payload.
        frames = [inner_frame(BCAST, VM_A, 80, sport=10000 + i, seed=i % 251)
                  for i in range(2000)]
        sent = [0]
        stop = threading.Event()
        errors = []

        def stream():
            try:
                while not stop.is_set() and sent[0] < len(frames):
                    lab.send("acc", frames[sent[0]])
                    sent[0] += 1
                    time.sleep(gap)
            except Exception as e:  # reported below, after the join
                errors.append(e)

        def wait_sent(n, what):
            deadline = time.monotonic() + 30
            while sent[0] < n and t.is_alive():
                if time.monotonic() > deadline:
                    raise TestFailure("timed out after 30 s waiting for %s (%d sent)" %
                                      (what, sent[0]))
                time.sleep(0.01)
            if sent[0] < n:
                raise TestFailure("the sender stopped at %d frames (%s): %s" %
                                  (sent[0], what, errors[:1]))

        t = threading.Thread(target=stream)
        t.start()
        try:
            wait_sent(before, "%d frames before the change" % before)
            # Sent is not yet flooded: the frames vtepd has flooded when
            # the request goes out (in order: one queue) are the ones that
            # must have gone to all 1000.
            first_during = lab.counters_now()["vni.100.flood_packets"]
            if first_during == 0:
                raise TestFailure("no frame flooded yet of %d sent" % sent[0])
            lab.api("PUT", "/v1/vnis/100",
                    {"access": [{"port": "acc", "vlan": "untagged"}],
                     "flood": "head-end", "remotes": kept}, expect=200)
            first_after = sent[0] + 1
            wait_sent(first_after + after, "%d frames after the change" % after)
        finally:
            stop.set()
            t.join(30)
        if t.is_alive():
            raise TestFailure("the sender did not stop within 30 s")
        if errors:
            raise TestFailure("sending failed: %s" % errors[0])
        n = sent[0]
        lab.wait_rx("acc", n)
        c = lab.wait_for("every frame of %d flooded" % n,
                         lambda c: c.get("vni.100.flood_packets", 0) >= n)
        lab.wait_out("uplink", c["vni.100.flood_copies"])
        c = lab.stop()
        up = lab.out("uplink")
        groups = copies_by_inner(up)
        whole, shrunk = 0, 0
        for i in range(n):
            copies = groups.pop(frames[i], [])
            if i < first_during:
                lists = [("all 1000 (flooded before the request)", REMOTES)]
            elif i >= first_after:
                lists = [("the 999 (sent after the answer)", kept)]
            else:
                lists = [("all 1000", REMOTES), ("the 999", kept)]
            for j, (name, remotes) in enumerate(lists):
                try:
                    check_copy_set("frame %d to %s" % (i, name), copies, remotes)
                    break
                except TestFailure:
                    if j == len(lists) - 1:
                        raise
            if len(copies) == N_REMOTES:
                whole += 1
            else:
                shrunk += 1
            for f in copies:
                ip = outer_dst_ip(f)
                if f[0:6] != mac(NEIGH[ip]) or f[VNI_SPAN] != struct.pack("!I", 100)[1:]:
                    raise TestFailure("frame %d: the copy to %s has outer MAC %s, VNI %s" %
                                      (i, ip, f[0:6].hex(":"), f[VNI_SPAN].hex()))
        if groups:
            raise TestFailure("%d output frames carry none of the frames sent" %
                              sum(len(v) for v in groups.values()))
        total = whole * N_REMOTES + shrunk * (N_REMOTES - 1)
        check_count("underlay output", up, total)
        check_counters(c, {"vni.100.flood_packets": n, "vni.100.flood_copies": total,
                           "vni.100.encap_packets": total, "port.acc.rx_packets": n,
                           "port.uplink.tx_packets": total})
        check_drops(c, {})
        print("%d frames: %d to 1000 remotes, %d to 999; frames %d-%d could go either way" %
              (n, whole, shrunk, first_during, first_after - 1))
