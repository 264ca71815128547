# SPDX-License-Identifier: BSD-3-Clause
"""
Packet tests of vtepd, one behaviour each, on net_pcap virtual devices in a
network namespace (see pkt.py).

    run.py NAME --vtepd PATH [--build DIR]
    run.py --list

Exit status: 0 pass, 1 fail, 77 skip (not root; meson's skip code).
"""

import argparse
import importlib
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

# No __pycache__ in the source tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# tests/ last: its folders must not shadow the modules above.
sys.path.append(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from testrun import run_test  # noqa: E402

from pkt import (  # noqa: E402
    BCAST, LOCAL_IP, NEIGH_MAC, R2, R3, R4,
    TESTS, VM_A, VM_B, VTEP_MAC, Lab, TestFailure, at_least, check_count,
    check_counters, check_drops, check_frame, csum, eth,
    inner_frame, ip4, ipv4, mac, make_config, outer_dst_ip, outer_inner,
    pattern, push_vlan, reap_stale, strip_vlan, tshark_vxlan,
    arp_frame, check_encap, check_encap_to, fdb_remote, test, vni_yaml, vxlan_frame,
)

# ---- encapsulation --------------------------------------------------------

@test()
def encap_known_remote(ctx):
    """A static FDB entry sends an access frame to its remote VTEP as exactly
    one VXLAN frame."""
    with ctx.lab() as lab:
        lab.start(lab.config(vni_yaml(100, [("acc", "untagged")], [R3]),
                             fdb=fdb_remote(100, VM_B, R2)))
        inner = inner_frame(VM_B, VM_A, 100)
        lab.send("acc", inner)
        lab.wait_rx("acc", 1)
        c = lab.stop()
        up = lab.out("uplink")
        check_count("underlay output", up, 1)
        check_encap("VXLAN frame toward %s" % R2, up[0], inner, 100, R2)
        tshark_vxlan(lab.path("uplink-out.pcap"), [100])
        check_count("access output", lab.out("acc"), 0)
        check_counters(c, {"vni.100.encap_packets": 1, "vni.100.encap_bytes": len(inner),
                           "vni.100.flood_packets": 0, "port.uplink.tx_packets": 1,
                           "port.acc.rx_packets": 1})
        check_drops(c, {})


@test()
def encap_source_port_by_flow(ctx):
    """The outer UDP source port comes from the inner flow: the same flow
    keeps its port, different flows spread, all inside source_ports."""
    lo, hi = 50000, 50999
    with ctx.lab() as lab:
        lab.start(lab.config(vni_yaml(100, [("acc", "untagged")]),
                             fdb=fdb_remote(100, VM_B, R2),
                             underlay_extra='source_ports: "%d-%d"' % (lo, hi)))
        # Flow 1000 twice with different payloads, then 8 other flows.
        flows = [1000, 1000] + list(range(1001, 1009))
        inners = [inner_frame(VM_B, VM_A, 120, sport=p, seed=i) for i, p in enumerate(flows)]
        lab.send("acc", inners)
        lab.wait_rx("acc", len(inners))
        c = lab.stop()
        up = lab.out("uplink")
        check_count("underlay output", up, len(inners))
        ports = [check_encap("frame %d (inner UDP source port %d)" % (i, flows[i]),
                             f, inners[i], 100, R2, lo, hi)
                 for i, f in enumerate(up)]
        if ports[0] != ports[1]:
            raise TestFailure("two frames of one flow got source ports %d and %d" %
                              (ports[0], ports[1]))
        if len(set(ports[1:])) < 2:
            raise TestFailure("9 different flows all got source port %d" % ports[1])
        tshark_vxlan(lab.path("uplink-out.pcap"), [100] * len(inners))
        check_counters(c, {"vni.100.encap_packets": len(inners)})
        check_drops(c, {})


@test()
def encap_tagged_access(ctx):
    """A frame on a VLAN binding is encapsulated without its tag; a frame on
    an unbound VLAN is dropped as no_binding."""
    with ctx.lab() as lab:
        lab.start(lab.config(vni_yaml(200, [("acc", 10)]),
                             fdb=fdb_remote(200, VM_B, R2)))
        tagged = inner_frame(VM_B, VM_A, 100, vlan=10)
        unbound = inner_frame(VM_B, VM_A, 100, vlan=20, seed=1)
        lab.send("acc", [tagged, unbound])
        lab.wait_rx("acc", 2)
        c = lab.stop()
        up = lab.out("uplink")
        check_count("underlay output", up, 1)
        check_encap("VXLAN frame of the VLAN 10 frame", up[0], strip_vlan(tagged), 200, R2)
        tshark_vxlan(lab.path("uplink-out.pcap"), [200])
        check_counters(c, {"vni.200.encap_packets": 1,
                           "vni.200.encap_bytes": len(tagged) - 4})
        check_drops(c, {"no_binding": 1})


# ---- decapsulation --------------------------------------------------------

@test()
def decap_vlan_push(ctx):
    """A VXLAN frame leaves the access port with the 802.1Q tag of its VNI's
    binding, or untagged for an untagged binding."""
    with ctx.lab() as lab:
        lab.start(lab.config(vni_yaml(200, [("acc", 10)]) +
                             vni_yaml(100, [("acc", "untagged")])))
        in200 = inner_frame(VM_A, VM_B, 100, seed=1)
        in100 = inner_frame(VM_A, VM_B, 90, seed=2)
        lab.send("und", [vxlan_frame(in200, 200), vxlan_frame(in100, 100)])
        lab.wait_rx("uplink", 2)
        c = lab.stop()
        acc = lab.out("acc")
        check_count("access output", acc, 2)
        check_frame("VNI 200 frame on the access port (tag 10)", push_vlan(in200, 10), acc[0])
        check_frame("VNI 100 frame on the access port (untagged)", in100, acc[1])
        check_count("underlay output", lab.out("uplink"), 0)
        check_counters(c, {"vni.200.decap_packets": 1, "vni.100.decap_packets": 1,
                           "port.acc.tx_packets": 2})
        check_drops(c, {})


@test()
def learn_on_decap_then_encap(ctx):
    """An inner source MAC learned from a remote VTEP's VXLAN frame sends
    replies to that remote alone, not to the flood list."""
    with ctx.lab() as lab:
        lab.start(lab.config(vni_yaml(100, [("acc", "untagged")], [R2])))
        req = inner_frame(VM_A, VM_B, 100, seed=1)
        lab.send("und", vxlan_frame(req, 100, src_ip=R3))
        lab.wait_for("fdb.learned >= 1",
                     lambda c: c.get("fdb.learned", 0) >= 1 and
                     c.get("vni.100.fdb_entries", 0) >= 1)
        reply = inner_frame(VM_B, VM_A, 100, seed=2)
        lab.send("acc", reply)
        lab.wait_rx("acc", 1)
        c = lab.stop()
        up = lab.out("uplink")
        check_count("underlay output", up, 1)
        if outer_dst_ip(up[0]) != R3:
            raise TestFailure("reply went to %s, not the learned %s" % (outer_dst_ip(up[0]), R3))
        check_encap("reply toward %s" % R3, up[0], reply, 100, R3)
        tshark_vxlan(lab.path("uplink-out.pcap"), [100])
        acc = lab.out("acc")
        check_count("access output", acc, 1)
        check_frame("decapsulated frame", req, acc[0])
        check_counters(c, {"fdb.learned": at_least(1), "vni.100.encap_packets": 1,
                           "vni.100.decap_packets": 1, "vni.100.flood_packets": 0})
        check_drops(c, {})


# ---- flooding -------------------------------------------------------------

@test()
def unknown_unicast_flooded(ctx):
    """Unknown unicast and broadcast from the access port go to every remote
    of the flood list, one copy each, with the same inner bytes."""
    remotes = [R2, R3, R4]
    with ctx.lab() as lab:
        lab.start(lab.config(vni_yaml(100, [("acc", "untagged")], remotes)))
        unknown = inner_frame("02:cc:00:00:00:0c", VM_A, 100, seed=3)
        bcast = inner_frame(BCAST, VM_A, 110, seed=4)
        lab.send("acc", [unknown, bcast])
        lab.wait_rx("acc", 2)
        c = lab.stop()
        up = lab.out("uplink")
        check_count("underlay output", up, 6)
        for what, inner in (("unknown unicast", unknown), ("broadcast", bcast)):
            copies = [f for f in up if outer_inner(f) == inner]
            got = sorted(outer_dst_ip(f) for f in copies)
            if got != sorted(remotes):
                raise TestFailure("%s: copies went to %s, expected one to each of %s" %
                                  (what, got, remotes))
            ports = set()
            for f in copies:
                ports.add(check_encap("%s copy to %s" % (what, outer_dst_ip(f)),
                                      f, inner, 100, outer_dst_ip(f)))
            if len(ports) != 1:
                raise TestFailure("%s: copies of one frame got source ports %s" %
                                  (what, sorted(ports)))
        tshark_vxlan(lab.path("uplink-out.pcap"), [100] * 6)
        check_count("access output", lab.out("acc"), 0)
        check_counters(c, {"vni.100.flood_packets": 2, "vni.100.flood_copies": 6})
        check_drops(c, {})


@test()
def underlay_bum_not_reflooded(ctx):
    """Broadcast and unknown unicast arriving by VXLAN go to every access
    binding of the VNI and never back into the tunnel (split horizon)."""
    with ctx.lab(access=("acc", "acc2")) as lab:
        lab.start(lab.config(vni_yaml(100, [("acc", "untagged"), ("acc2", "untagged")],
                                      [R2, R3])))
        bcast = inner_frame(BCAST, VM_B, 100, seed=5)
        unknown = inner_frame("02:cc:00:00:00:0c", VM_B, 100, seed=6)
        lab.send("und", [vxlan_frame(bcast, 100), vxlan_frame(unknown, 100)])
        lab.wait_rx("uplink", 2)
        c = lab.stop()
        check_count("underlay output", lab.out("uplink"), 0)
        for port in ("acc", "acc2"):
            out = lab.out(port)
            check_count("%s output" % port, out, 2)
            check_frame("broadcast on %s" % port, bcast, out[0])
            check_frame("unknown unicast on %s" % port, unknown, out[1])
        check_counters(c, {"vni.100.decap_packets": 2, "vni.100.flood_packets": 2,
                           "vni.100.flood_copies": 4, "vni.100.encap_packets": 0,
                           "port.uplink.tx_packets": 0})
        check_drops(c, {})


@test()
def learn_local_then_move(ctx):
    """A source MAC is learned on the access binding it came in on: VXLAN
    frames to it then go to that binding only, not to every binding of the
    VNI; when the MAC shows up on another binding the entry moves (counted)
    and the next frame follows it."""
    with ctx.lab(access=("acc", "acc2")) as lab:
        lab.start(lab.config(vni_yaml(100, [("acc", "untagged"), ("acc2", "untagged")],
                                      [R2])))
        # VM_A speaks on acc (to an unknown MAC: flooded, and learned).
        lab.send("acc", inner_frame("02:cc:00:00:00:0c", VM_A, 100, seed=11))
        lab.wait_for("VM_A learned", lambda c: c.get("fdb.learned", 0) == 1)
        to_a1 = inner_frame(VM_A, VM_B, 100, seed=12)
        lab.send("und", vxlan_frame(to_a1, 100))
        lab.wait_for("the first frame to VM_A delivered",
                     lambda c: c.get("vni.100.decap_packets", 0) == 1)
        # VM_A moves to acc2.
        lab.send("acc2", inner_frame("02:cc:00:00:00:0c", VM_A, 100, seed=13))
        lab.wait_for("VM_A moved", lambda c: c.get("fdb.moves", 0) == 1)
        to_a2 = inner_frame(VM_A, VM_B, 100, seed=14)
        lab.send("und", vxlan_frame(to_a2, 100))
        lab.wait_for("the second frame to VM_A delivered",
                     lambda c: c.get("vni.100.decap_packets", 0) == 2)
        c = lab.stop()
        acc = [f for f in lab.out("acc") if f[0:6] == mac(VM_A)]
        acc2 = [f for f in lab.out("acc2") if f[0:6] == mac(VM_A)]
        check_count("frames to VM_A on acc", acc, 1)
        check_frame("frame to VM_A on acc", to_a1, acc[0])
        check_count("frames to VM_A on acc2", acc2, 1)
        check_frame("frame to VM_A on acc2", to_a2, acc2[0])
        # VM_A on the access side, VM_B behind R2.
        check_counters(c, {"fdb.learned": 2, "fdb.moves": 1})
        check_drops(c, {})


# ---- limits and validation ------------------------------------------------

@test()
def oversize_dropped(ctx):
    """With underlay mtu 1500 a 1464-byte inner frame (outer IPv4 1500)
    passes whole and a 1465-byte one is dropped, never fragmented."""
    with ctx.lab() as lab:
        lab.start(lab.config(vni_yaml(100, [("acc", "untagged")]),
                             fdb=fdb_remote(100, VM_B, R2), underlay_extra="mtu: 1500"))
        limit = inner_frame(VM_B, VM_A, 1464, seed=7)
        over = inner_frame(VM_B, VM_A, 1465, seed=8)
        lab.send("acc", [limit, over])
        lab.wait_rx("acc", 2)
        c = lab.stop()
        up = lab.out("uplink")
        check_count("underlay output", up, 1)
        check_encap("the 1464-byte frame", up[0], limit, 100, R2)
        total, frag = struct.unpack_from("!H2xH", up[0], 16)
        if total != 1500 or frag != 0x4000:
            raise TestFailure("outer IPv4 total length %d, flags/offset %#06x; expected "
                              "1500, 0x4000 (DF, not a fragment)" % (total, frag))
        tshark_vxlan(lab.path("uplink-out.pcap"), [100])
        check_counters(c, {"vni.100.encap_packets": 1})
        check_drops(c, {"mtu_exceeded": 1})


@test()
def malformed_vxlan_dropped(ctx):
    """Each kind of bad underlay frame is dropped and counted under its own
    reason, and a valid frame after them all still decapsulates."""
    good_inner = inner_frame(VM_A, VM_B, 100, seed=9)
    inner = inner_frame(VM_A, VM_B, 80, seed=10)
    ok_len = 20 + 8 + 8 + len(inner)
    bad = [
        # (reason, frame)
        ("truncated", eth(VTEP_MAC, NEIGH_MAC[R2], 0x0800, b"\x45" + bytes(9))),
        ("truncated", vxlan_frame(inner, 100, total=ok_len + 20)),
        ("ip_bad_header", vxlan_frame(inner, 100, vihl=0x65)),
        ("ip_bad_header", vxlan_frame(inner, 100, vihl=0x44)),
        ("ip_bad_checksum", vxlan_frame(inner, 100, bad_csum=True)),
        ("ip_fragment", vxlan_frame(inner, 100, frag=0x2000)),
        ("ip_fragment", vxlan_frame(inner, 100, frag=0x4000 | 0x0010)),
        ("not_for_us", vxlan_frame(inner, 100, dst_ip="198.18.0.99")),
        ("not_for_us", vxlan_frame(inner, 100, dport=4790)),
        ("not_for_us", eth(VTEP_MAC, NEIGH_MAC[R2], 0x86DD, pattern(80))),
        ("vxlan_bad_flags", vxlan_frame(inner, 100, flags=0x00)),
        ("vxlan_bad_flags", vxlan_frame(inner, 100, flags=0xF7)),
        ("unknown_vni", vxlan_frame(inner, 999)),
        ("inner_too_short", vxlan_frame(pattern(10), 100)),
    ]
    want = {}
    for why, _ in bad:
        want[why] = want.get(why, 0) + 1
    with ctx.lab() as lab:
        lab.start(lab.config(vni_yaml(100, [("acc", "untagged")])))
        lab.send("und", [f for _, f in bad] + [vxlan_frame(good_inner, 100)])
        lab.wait_rx("uplink", len(bad) + 1)
        c = lab.stop()
        acc = lab.out("acc")
        check_count("access output", acc, 1)
        check_frame("the valid frame after the bad ones", good_inner, acc[0])
        check_count("underlay output", lab.out("uplink"), 0)
        check_counters(c, {"vni.100.decap_packets": 1,
                           "port.uplink.rx_packets": len(bad) + 1})
        check_drops(c, want)


# ---- control plane --------------------------------------------------------

@test()
def arp_and_ping_reply(ctx):
    """vtepd answers ARP for its underlay address and ICMP echo to it, and
    ignores ARP for other addresses."""
    req_mac, req_ip = "02:00:00:00:00:09", "198.18.0.9"

    def arp(op, sha, spa, tha, tpa):
        return struct.pack("!HHBBH", 1, 0x0800, 6, 4, op) + \
            mac(sha) + ip4(spa) + mac(tha) + ip4(tpa)

    def icmp(typ, ident, seq, payload):
        h = struct.pack("!BBHHH", typ, 0, 0, ident, seq) + payload
        return h[:2] + struct.pack("!H", csum(h)) + h[4:]

    payload = pattern(56, 3)
    arp_req = eth(BCAST, req_mac, 0x0806, arp(1, req_mac, req_ip, "00:00:00:00:00:00", LOCAL_IP))
    arp_other = eth(BCAST, req_mac, 0x0806,
                    arp(1, req_mac, req_ip, "00:00:00:00:00:00", "198.18.0.77"))
    echo = eth(VTEP_MAC, req_mac, 0x0800,
               ipv4(req_ip, LOCAL_IP, 1, icmp(8, 0x4242, 7, payload), ident=0x1234))
    arp_rep = eth(req_mac, VTEP_MAC, 0x0806, arp(2, VTEP_MAC, LOCAL_IP, req_mac, req_ip))
    echo_rep = eth(req_mac, VTEP_MAC, 0x0800,
                   ipv4(LOCAL_IP, req_ip, 1, icmp(0, 0x4242, 7, payload), ident=0x1234))
    with ctx.lab() as lab:
        lab.start(lab.config(vni_yaml(100, [("acc", "untagged")])))
        lab.send("und", [arp_req, arp_other, echo])
        lab.wait_for("an ARP reply and an echo reply sent",
                     lambda c: c.get("port.uplink.tx_packets", 0) >= 2)
        c = lab.stop()
        up = lab.out("uplink")
        check_count("underlay output", up, 2)
        arps = [f for f in up if f[12:14] == b"\x08\x06"]
        ips = [f for f in up if f[12:14] == b"\x08\x00"]
        check_count("ARP replies", arps, 1)
        check_count("IPv4 replies", ips, 1)
        check_frame("ARP reply", arp_rep, arps[0])
        r = ips[0]
        if len(r) >= 34 + 4:
            ihl = (r[14] & 0x0F) * 4
            tot = struct.unpack_from("!H", r, 16)[0]
            if csum(r[14:14 + ihl]) != 0:
                raise TestFailure("echo reply: bad IPv4 header checksum\n" + r[:34].hex())
            if csum(r[14 + ihl:14 + tot]) != 0:
                raise TestFailure("echo reply: bad ICMP checksum\n" + r.hex())
        check_frame("ICMP echo reply", echo_rep, r)
        check_counters(c, {"ctl.arp_rx": 2, "ctl.arp_replies_sent": 1,
                           "ctl.icmp_echo_replies": 1, "ctl.arp_requests_sent": 0})
        check_drops(c, {})


def check_arp_requests(what, frames, target):
    """frames holds at least one ARP request from vtepd for target, and
    every ARP frame in it is one."""
    want = arp_frame(1, VTEP_MAC, LOCAL_IP, "00:00:00:00:00:00", target)
    arps = [f for f in frames if f[12:14] == b"\x08\x06"]
    if not arps:
        raise TestFailure("%s: no ARP request for %s" % (what, target))
    for f in arps:
        check_frame("%s: ARP request for %s" % (what, target), want, f)


@test()
def neighbour_resolved_by_arp(ctx):
    """A remote VTEP that is no static neighbour: frames toward it are
    dropped and counted (the worker never waits) while vtepd ARPs for it;
    its ARP reply resolves it and the next frame goes to the MAC it gave."""
    r5, r5_mac = "198.18.0.5", "02:00:00:00:05:05"
    with ctx.lab() as lab:
        lab.start(lab.config(vni_yaml(100, [("acc", "untagged")]),
                             fdb=fdb_remote(100, VM_B, r5)))
        inner = inner_frame(VM_B, VM_A, 100)
        lab.send("acc", inner)
        lab.wait_for("the frame dropped as unresolved",
                     lambda c: c.get("drop.neigh_unresolved", 0) == 1)
        lab.wait_for("an ARP request for %s" % r5,
                     lambda c: c.get("ctl.arp_requests_sent", 0) >= 1)
        lab.send("und", arp_frame(2, r5_mac, r5, VTEP_MAC, LOCAL_IP, dst=VTEP_MAC))
        lab.wait_for("%s resolved" % r5,
                     lambda c: c.get("neigh." + r5, "").split(" ")[0] == "reachable")
        lab.send("acc", inner)
        lab.wait_for("the frame encapsulated",
                     lambda c: c.get("vni.100.encap_packets", 0) == 1)
        c = lab.stop()
        up = lab.out("uplink")
        vx = [f for f in up if f[12:14] == b"\x08\x00"]
        check_count("VXLAN frames", vx, 1)
        want = vxlan_frame(inner, 100, src_ip=LOCAL_IP, dst_ip=r5, eth_src=VTEP_MAC,
                           eth_dst=r5_mac)
        check_encap_to("VXLAN frame toward %s" % r5, vx[0], want)
        check_arp_requests("underlay output", up, r5)
        if c.get("neigh." + r5) != "reachable " + r5_mac.upper():
            raise TestFailure("neigh.%s is %r" % (r5, c.get("neigh." + r5)))
        check_drops(c, {"neigh_unresolved": 1})


@test()
def gateway_next_hop(ctx):
    """A remote VTEP off the underlay prefix goes through the gateway: vtepd
    ARPs for the gateway, not for the remote, and sends to the gateway's MAC
    with the remote's address."""
    gw, gw_mac, far = "198.18.0.254", "02:00:00:00:fe:fe", "198.19.7.7"
    with ctx.lab() as lab:
        lab.start(lab.config(vni_yaml(100, [("acc", "untagged")]),
                             fdb=fdb_remote(100, VM_B, far),
                             underlay_extra="gateway: %s" % gw))
        lab.wait_for("an ARP request for the gateway",
                     lambda c: c.get("ctl.arp_requests_sent", 0) >= 1)
        lab.send("und", arp_frame(2, gw_mac, gw, VTEP_MAC, LOCAL_IP, dst=VTEP_MAC))
        lab.wait_for("the gateway resolved",
                     lambda c: c.get("neigh." + gw, "").split(" ")[0] == "reachable")
        inner = inner_frame(VM_B, VM_A, 100)
        lab.send("acc", inner)
        lab.wait_for("the frame encapsulated",
                     lambda c: c.get("vni.100.encap_packets", 0) == 1)
        c = lab.stop()
        up = lab.out("uplink")
        vx = [f for f in up if f[12:14] == b"\x08\x00"]
        check_count("VXLAN frames", vx, 1)
        want = vxlan_frame(inner, 100, src_ip=LOCAL_IP, dst_ip=far, eth_src=VTEP_MAC,
                           eth_dst=gw_mac)
        check_encap_to("VXLAN frame toward %s through %s" % (far, gw), vx[0], want)
        check_arp_requests("underlay output", up, gw)
        if any(k == "neigh." + far for k in c):
            raise TestFailure("vtepd tracks %s as a neighbour; it is off-link" % far)
        check_drops(c, {})


@test(root=False)
def invalid_config_exit(ctx):
    """An invalid configuration is refused before the EAL starts, with a
    non-zero exit and file:line: field: reason on stderr."""
    good = make_config("vtep-pt-conf", "/tmp", ["acc"],
                       vni_yaml(100, [("acc", "untagged")], [R2]),
                       fdb=fdb_remote(100, VM_B, R2))
    cases = [
        # (what, old, new, field or None for any, reason pattern); the error
        # is expected on the line where new is.
        ("VLAN 4095", "vlan: untagged", "vlan: 4095",
         "vnis[0].access[0].vlan", r"4095.*VLAN"),
        ("binding to an undeclared port", "{ port: acc, vlan: untagged }",
         "{ port: nosuch, vlan: untagged }", "vnis[0].access[0].port", r"nosuch"),
        ("underlay address without a prefix length", "address: %s/24" % LOCAL_IP,
         "address: %s" % LOCAL_IP, "underlay.address", r"prefix"),
        ("unknown field", "  port: uplink\n", "  port: uplink\n  colour: blue\n",
         "underlay.colour", r"unknown"),
        ("YAML syntax error", "  address:", "  address: [", None, r"."),
    ]
    tmp = tempfile.mkdtemp(prefix="vtep-pt-%d-conf-" % os.getpid())
    try:
        path = os.path.join(tmp, "good.yaml")
        with open(path, "w") as f:
            f.write(good)
        p = subprocess.run([ctx.vtepd, "-c", path, "--check"], capture_output=True,
                           text=True, timeout=30)
        if p.returncode != 0:
            raise TestFailure("the valid base configuration fails --check (%d):\n%s%s" %
                              (p.returncode, p.stdout, p.stderr))
        failures = []
        for i, (what, old, new, field, reason) in enumerate(cases):
            if good.count(old) != 1:
                raise TestFailure("case %r: %r is not once in the base configuration" %
                                  (what, old))
            text = good.replace(old, new)
            mark = new.strip().splitlines()[-1]
            line = 1 + next(n for n, l in enumerate(text.splitlines()) if mark in l)
            path = os.path.join(tmp, "bad%d.yaml" % i)
            with open(path, "w") as f:
                f.write(text)
            # The timeout bounds a refusal; how long it takes is no check.
            p = subprocess.run([ctx.vtepd, "-c", path], capture_output=True, text=True,
                               timeout=30)
            out = p.stdout + p.stderr
            if p.returncode == 0:
                failures.append("%s: exit 0\n%s" % (what, out))
                continue
            if field is None:
                # A syntax error: a line nearby, any field name.
                m = re.search(r"%s:(\d+): [\w.\[\]-]+: (.+)" % re.escape(path), p.stderr)
                ok = m is not None and abs(int(m.group(1)) - line) <= 1
            else:
                m = re.search(r"%s:%d: %s: (.+)" % (re.escape(path), line, re.escape(field)),
                              p.stderr)
                ok = m is not None and re.search(reason, m.group(1)) is not None
            if not ok:
                failures.append("%s: expected \"%s:%d: %s: <reason matching /%s/>\" on "
                                "stderr, got (exit %d):\n    %s" %
                                (what, path, line, field or "<field>", reason,
                                 p.returncode, p.stderr.strip()))
            if "EAL" in out:
                failures.append("%s: the EAL started:\n%s" % (what, out))
        if failures:
            raise TestFailure("\n".join(failures))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---- the other case files -------------------------------------------------

def load_cases():
    """Import tests/pkt/cases_*.py: each registers its tests with @test()."""
    here = os.path.dirname(os.path.abspath(__file__))
    for f in sorted(os.listdir(here)):
        if f.startswith("cases_") and f.endswith(".py"):
            importlib.import_module(f[:-3])


# ---- running --------------------------------------------------------------

class Ctx:
    def __init__(self, name, vtepd, build):
        self.name = name
        self.vtepd = vtepd
        self.keep = os.path.join(build, "meson-logs", "pkt") if build else None

    def lab(self, access=("acc",)):
        return Lab(self.vtepd, self.name, access=access, keep_dir=self.keep)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("name", nargs="?")
    ap.add_argument("--vtepd")
    ap.add_argument("--build", default="")
    ap.add_argument("--list", action="store_true")
    a = ap.parse_args()
    load_cases()
    if a.list:
        print("\n".join(TESTS))
        return 0
    if a.name not in TESTS or not a.vtepd:
        ap.error("a test name (%s) and --vtepd are needed" % ", ".join(TESTS))
    fn, root = TESTS[a.name]
    if root and os.geteuid() != 0:
        print("SKIP %s: needs root (network namespaces, AF_PACKET)" % a.name)
        return 77
    if not os.access(a.vtepd, os.X_OK):
        print("FAIL %s: %s is not an executable" % (a.name, a.vtepd))
        return 1
    if root:
        if shutil.which("tshark") is None:
            print("FAIL %s: tshark is not installed" % a.name)
            return 1
        reap_stale()
    return run_test(a.name, lambda: fn(Ctx(a.name, os.path.abspath(a.vtepd), a.build)),
                    (TestFailure,), ())


if __name__ == "__main__":
    sys.exit(main())
