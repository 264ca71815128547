# SPDX-License-Identifier: BSD-3-Clause
"""
Packet tests of the strict receive path (the checks a NIC filter and the
Linux IPv4/UDP input make before vxlan_rcv), of the inner-frame checks, and
of the outer TOS, ECN and TTL on both sides (RFC 6040). Each test sends real
frames through vtepd and compares what comes out byte for byte.
"""

import os
import shutil
import signal
import struct
import subprocess
import tempfile
import time

from pkt import (
    BCAST, LOCAL_IP, NEIGH_MAC, R2, R3, R4, VM_A, VM_B, VTEP_MAC, VXLAN_PORT,
    TestFailure, check_count, check_counters, check_drops, check_encap_to, check_frame, csum,
    eth, fdb_remote, inner_frame, ipv4, mac, pattern, test, udp, vni_yaml, vxlan_frame,
    vxlan_hdr, write_pcap,
)

ECT0, ECT1, CE = 0x02, 0x01, 0x03


def inner_ip(dst=VM_A, src=VM_B, tos=0, ttl=64, size=100, seed=0, vlan=None):
    """An Ethernet/IPv4/UDP inner frame with the given TOS and TTL."""
    pl = size - 14 - 20 - 8
    body = ipv4("10.0.0.2", "10.0.0.1", 17,
                udp(2000, 1000, pattern(pl, seed), "10.0.0.2", "10.0.0.1"),
                ttl=ttl, tos=tos, ident=0x2222, frag=0)
    return eth(dst, src, 0x0800, body, vlan=vlan)


def inner_ip6(dst=VM_A, src=VM_B, tclass=0, hlim=64, size=100, seed=0):
    """An Ethernet/IPv6/UDP inner frame (UDP checksum 0: never checked here)."""
    pl = size - 14 - 40 - 8
    u = struct.pack("!HHHH", 2000, 1000, 8 + pl, 0) + pattern(pl, seed)
    h = struct.pack("!IHBB", 0x60000000 | tclass << 20 | 0x00abc, len(u), 17, hlim)
    h += bytes(range(16)) + bytes(range(16, 32))
    return eth(dst, src, 0x86DD, h + u)


def vxlan_udp(inner, vni, udp_len=None, csum=False, csum_xor=0, src_ip=R2):
    """A VXLAN frame from src_ip with a chosen UDP length and checksum."""
    payload = vxlan_hdr(vni) + inner
    if csum:
        u = udp(49152, VXLAN_PORT, payload, src_ip, LOCAL_IP)
        c = struct.unpack_from("!H", u, 6)[0] ^ csum_xor
        u = u[:6] + struct.pack("!H", c) + u[8:]
    else:
        u = udp(49152, VXLAN_PORT, payload)
    if udp_len is not None:
        u = u[:4] + struct.pack("!H", udp_len) + u[6:]
    return eth(VTEP_MAC, NEIGH_MAC.get(src_ip, "02:00:00:00:00:99"), 0x0800,
               ipv4(src_ip, LOCAL_IP, 17, u))


def outer_tos_ttl(frame):
    return frame[15], frame[22]


# ---- the outer headers ----------------------------------------------------

@test()
def outer_eth_dst_checked(ctx):
    """A promiscuous underlay sees frames for other hosts: VXLAN to another
    MAC is dropped as eth_not_ours, VXLAN in an Ethernet broadcast as
    eth_broadcast_ip (RFC 1122 3.3.6); an ARP request by broadcast is still
    answered and VXLAN to our MAC still decapsulates."""
    good = inner_frame(VM_A, VM_B, 100, seed=1)
    other = vxlan_frame(inner_frame(VM_A, VM_B, 100, seed=2), 100, eth_dst="02:70:63:61:70:99")
    mcast = vxlan_frame(inner_frame(VM_A, VM_B, 100, seed=3), 100, eth_dst="01:00:5e:01:01:01")
    bcast = vxlan_frame(inner_frame(VM_A, VM_B, 100, seed=4), 100, eth_dst=BCAST)
    arp = eth(BCAST, "02:00:00:00:00:09", 0x0806,
              struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mac("02:00:00:00:00:09") +
              bytes([198, 18, 0, 9]) + bytes(6) + bytes([198, 18, 0, 1]))
    with ctx.lab() as lab:
        lab.start(lab.config(vni_yaml(100, [("acc", "untagged")])))
        lab.send("und", [other, mcast, bcast, arp, vxlan_frame(good, 100)])
        lab.wait_for("the ARP reply sent and the frame delivered",
                     lambda c: c.get("ctl.arp_replies_sent", 0) == 1 and
                     c.get("vni.100.decap_packets", 0) == 1)
        c = lab.stop()
        acc = lab.out("acc")
        check_count("access output", acc, 1)
        check_frame("the frame to our MAC", good, acc[0])
        check_drops(c, {"eth_not_ours": 2, "eth_broadcast_ip": 1})


@test()
def port_mac_configured(ctx):
    """A port's mac field becomes its MAC (net_null sets it, net_ring takes
    it in its empty slot), which vtepd logs at start; a device that can take
    none (net_pcap reading a file) makes vtepd refuse to start, saying so.
    The frame tests run on net_pcap with the MAC it makes up (VTEP_MAC)."""
    m = "02:00:00:00:0a:01"
    tmp = tempfile.mkdtemp(prefix="vtep-pt-%d-mac-" % os.getpid())
    try:
        empty = os.path.join(tmp, "empty.pcap")
        write_pcap(empty, [])
        for dev, ok in (("net_null0", True), ("net_ring0", True),
                        ("net_pcap0,rx_pcap=%s,tx_pcap=%s/out.pcap" % (empty, tmp), False)):
            prefix = "vtep-pt-%d-mac" % os.getpid()
            conf = os.path.join(tmp, "vtepd.yaml")
            with open(conf, "w") as f:
                f.write('eal: ["--no-huge", "-m", "256", "--no-pci", "--no-shconf", '
                        '"--lcores", "0@0,1@1", "--file-prefix", "%s"]\n' % prefix)
                f.write('ports:\n  - { name: uplink, devargs: "%s", role: underlay, '
                        'mac: "%s" }\n' % (dev, m))
                f.write('  - { name: vm, devargs: "net_null9,no-rx=1", role: access }\n')
                f.write("underlay: { port: uplink, address: %s/24 }\n" % LOCAL_IP)
                f.write("vnis:\n  - { vni: 100, access: [{ port: vm }] }\n")
            log = os.path.join(tmp, "vtepd.log")
            with open(log, "w") as out:
                p = subprocess.Popen([ctx.vtepd, "-c", conf], stdout=out,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            try:
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline and p.poll() is None:
                    with open(log) as f:
                        if "vtepd: running:" in f.read():
                            break
                    time.sleep(0.05)
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
                rc = p.wait(timeout=30)
            finally:
                if p.poll() is None:
                    p.kill()
                    p.wait(timeout=10)
                shutil.rmtree("/var/run/dpdk/" + prefix, ignore_errors=True)
            with open(log) as f:
                text = f.read()
            if ok and (rc != 0 or "port uplink: underlay, MAC %s" % m.upper() not in text):
                raise TestFailure("%s: exit %d, no \"MAC %s\" for the uplink:\n%s" %
                                  (dev, rc, m, text))
            if not ok and (rc == 0 or "port uplink: cannot set MAC" not in text):
                raise TestFailure("%s: exit %d, expected a refusal to start:\n%s" %
                                  (dev, rc, text))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@test()
def martian_source_dropped(ctx):
    """VXLAN whose outer source is no unicast host address of another
    system (multicast, broadcast, 0/8, 127/8, ours, our prefix's broadcast)
    is dropped as ip_bad_source and nothing is learned from it."""
    bad = ["224.0.0.5", "239.1.1.1", "255.255.255.255", "0.0.0.7", "127.0.0.1",
           LOCAL_IP, "198.18.0.255"]
    frames = [vxlan_frame(inner_frame(VM_A, "02:bb:00:00:01:%02x" % i, 100, seed=i), 100,
                          src_ip=ip) for i, ip in enumerate(bad)]
    good = inner_frame(VM_A, VM_B, 100, seed=20)
    with ctx.lab() as lab:
        lab.start(lab.config(vni_yaml(100, [("acc", "untagged")])))
        lab.send("und", frames + [vxlan_frame(good, 100, src_ip=R3)])
        lab.wait_rx("uplink", len(frames) + 1)
        c = lab.stop()
        acc = lab.out("acc")
        check_count("access output", acc, 1)
        check_frame("the frame from %s" % R3, good, acc[0])
        check_counters(c, {"vni.100.decap_packets": 1, "fdb.learned": 1})
        check_drops(c, {"ip_bad_source": len(bad)})


@test()
def udp_length_mismatch_dropped(ctx):
    """A UDP length longer or shorter than the IPv4 payload is dropped as
    udp_bad_length (the kernel trims a short one; vtepd takes the inner
    frame's end from it and refuses to guess); Ethernet padding after the
    IPv4 packet is no mismatch."""
    inner = inner_frame(VM_A, VM_B, 100, seed=5)
    right = 8 + 8 + len(inner)
    padded = vxlan_frame(inner_frame(VM_A, VM_B, 60, seed=6), 100) + bytes(30)
    with ctx.lab() as lab:
        lab.start(lab.config(vni_yaml(100, [("acc", "untagged")])))
        lab.send("und", [vxlan_udp(inner, 100, udp_len=right + 1),
                         vxlan_udp(inner, 100, udp_len=right - 1),
                         vxlan_udp(inner, 100, udp_len=right), padded])
        lab.wait_rx("uplink", 4)
        c = lab.stop()
        acc = lab.out("acc")
        check_count("access output", acc, 2)
        check_frame("the frame with the right UDP length", inner, acc[0])
        check_frame("the padded frame, without its padding",
                    inner_frame(VM_A, VM_B, 60, seed=6), acc[1])
        check_drops(c, {"udp_bad_length": 2})


@test()
def udp_checksum_verified(ctx):
    """A non-zero outer UDP checksum is verified: a right one decapsulates,
    a wrong one is dropped as udp_bad_checksum (RFC 7348 section 5: MAY
    verify, MUST drop when it fails); a zero one is accepted."""
    a = inner_frame(VM_A, VM_B, 100, seed=7)
    b = inner_frame(VM_A, VM_B, 101, seed=8)
    z = inner_frame(VM_A, VM_B, 102, seed=9)
    with ctx.lab() as lab:
        lab.start(lab.config(vni_yaml(100, [("acc", "untagged")])))
        lab.send("und", [vxlan_udp(a, 100, csum=True),
                         vxlan_udp(inner_frame(VM_A, VM_B, 100, seed=10), 100, csum=True,
                                   csum_xor=0x0001),
                         vxlan_udp(b, 100, csum=True), vxlan_udp(z, 100)])
        lab.wait_rx("uplink", 4)
        c = lab.stop()
        acc = lab.out("acc")
        check_count("access output", acc, 3)
        for what, want, got in zip(("right checksum", "odd length", "zero checksum"),
                                   (a, b, z), acc):
            check_frame(what, want, got)
        check_drops(c, {"udp_bad_checksum": 1})


# ---- the inner frame ------------------------------------------------------

@test()
def inner_vlan_dropped_unless_accepted(ctx):
    """RFC 7348 section 6: a decapsulated frame with an inner VLAN tag is
    discarded (inner_vlan) unless its VNI says inner_vlan: accept; there it
    is delivered with its tag, under the binding's own tag."""
    tagged100 = inner_frame(VM_A, VM_B, 100, vlan=33, seed=11)
    tagged200 = inner_frame(VM_A, VM_B, 100, vlan=44, seed=12)
    with ctx.lab() as lab:
        lab.start(lab.config(vni_yaml(100, [("acc", "untagged")]) +
                             vni_yaml(200, [("acc", 20)], extra="inner_vlan: accept")))
        lab.send("und", [vxlan_frame(tagged100, 100), vxlan_frame(tagged200, 200)])
        lab.wait_rx("uplink", 2)
        c = lab.stop()
        acc = lab.out("acc")
        check_count("access output", acc, 1)
        want = tagged200[:12] + struct.pack("!HH", 0x8100, 20) + tagged200[12:]
        check_frame("VNI 200's tagged frame under VLAN 20", want, acc[0])
        check_counters(c, {"vni.100.decap_packets": 0, "vni.200.decap_packets": 1})
        check_drops(c, {"inner_vlan": 1})


@test()
def inner_frame_checks(ctx):
    """Inner frames a bridge port refuses: a multicast or zero source MAC
    (inner_bad_source_mac), a link-local destination such as LLDP
    (inner_link_local), an IPv4 or IPv6 header cut short
    (inner_ip_truncated). None is delivered or learned."""
    lldp = eth("01:80:c2:00:00:0e", VM_B, 0x88CC, pattern(60))
    short4 = eth(VM_A, VM_B, 0x0800, bytes([0x45]) + bytes(18))
    short6 = eth(VM_A, VM_B, 0x86DD, bytes([0x60]) + bytes(38))
    bad = [
        ("inner_bad_source_mac", inner_frame(VM_A, "03:00:00:00:00:01", 100, seed=13)),
        ("inner_bad_source_mac", inner_frame(VM_A, "00:00:00:00:00:00", 100, seed=14)),
        ("inner_link_local", lldp),
        ("inner_ip_truncated", short4),
        ("inner_ip_truncated", short6),
    ]
    want = {}
    for why, _ in bad:
        want[why] = want.get(why, 0) + 1
    good = inner_frame(VM_A, VM_B, 100, seed=15)
    with ctx.lab() as lab:
        lab.start(lab.config(vni_yaml(100, [("acc", "untagged")])))
        lab.send("und", [vxlan_frame(f, 100) for _, f in bad] + [vxlan_frame(good, 100)])
        lab.wait_rx("uplink", len(bad) + 1)
        c = lab.stop()
        acc = lab.out("acc")
        check_count("access output", acc, 1)
        check_frame("the valid frame", good, acc[0])
        check_counters(c, {"fdb.learned": 1})
        check_drops(c, want)


@test()
def access_frame_checks(ctx):
    """Access frames a bridge port refuses are never encapsulated: a
    multicast or zero source MAC (access_bad_source_mac), a link-local
    destination such as STP or LLDP (access_link_local)."""
    stp = eth("01:80:c2:00:00:00", VM_A, 0x0026, pattern(46))
    lldp = eth("01:80:c2:00:00:0e", VM_A, 0x88CC, pattern(60))
    bad_src = inner_frame(BCAST, "01:00:5e:00:00:01", 100, seed=16)
    zero_src = inner_frame(VM_B, "00:00:00:00:00:00", 100, seed=17)
    good = inner_frame(VM_B, VM_A, 100, seed=18)
    with ctx.lab() as lab:
        lab.start(lab.config(vni_yaml(100, [("acc", "untagged")], [R3]),
                             fdb=fdb_remote(100, VM_B, R2)))
        lab.send("acc", [stp, lldp, bad_src, zero_src, good])
        lab.wait_rx("acc", 5)
        c = lab.stop()
        up = lab.out("uplink")
        check_count("underlay output", up, 1)
        check_encap_to("the valid frame", up[0],
                       vxlan_frame(good, 100, src_ip=LOCAL_IP, dst_ip=R2, eth_src=VTEP_MAC,
                                   eth_dst=NEIGH_MAC[R2]))
        check_counters(c, {"fdb.learned": 1, "vni.100.flood_packets": 0})
        check_drops(c, {"access_bad_source_mac": 2, "access_link_local": 2})


# ---- ECN on decapsulation -------------------------------------------------

@test()
def ecn_decap_rfc6040(ctx):
    """RFC 6040 section 4.2 as the kernel does it: an outer CE marks an
    ECT(0) or ECT(1) inner IPv4 packet CE (checksum fixed) and an IPv6 one
    too; an outer CE over a Not-ECT inner packet is dropped as
    ecn_ce_not_ect; an outer ECT(0) leaves the inner packet as it is."""
    ect0 = inner_ip(tos=0x20 | ECT0, seed=21)
    ect1 = inner_ip(tos=0x20 | ECT1, seed=22)
    v6 = inner_ip6(tclass=0x48 | ECT0, seed=23)
    not_ect = inner_ip(tos=0x20, seed=24)
    plain = inner_ip(tos=0x20, seed=25)
    frames = [vxlan_frame(ect0, 100, tos=CE), vxlan_frame(ect1, 100, tos=0xb8 | CE),
              vxlan_frame(v6, 100, tos=CE), vxlan_frame(not_ect, 100, tos=CE),
              vxlan_frame(plain, 100, tos=ECT0)]
    with ctx.lab() as lab:
        lab.start(lab.config(vni_yaml(100, [("acc", "untagged")])))
        lab.send("und", frames)
        lab.wait_rx("uplink", len(frames))
        c = lab.stop()
        acc = lab.out("acc")
        check_count("access output", acc, 4)
        check_frame("ECT(0) under CE", inner_ip(tos=0x20 | CE, seed=21), acc[0])
        check_frame("ECT(1) under CE", inner_ip(tos=0x20 | CE, seed=22), acc[1])
        check_frame("IPv6 ECT(0) under CE", inner_ip6(tclass=0x48 | CE, seed=23), acc[2])
        check_frame("Not-ECT under ECT(0)", plain, acc[3])
        check_drops(c, {"ecn_ce_not_ect": 1})


@test()
def ecn_off_ignores_outer(ctx):
    """With ecn: off the outer ECN field is ignored on receive: an outer CE
    over a Not-ECT or ECT(0) inner packet is delivered unchanged, and the
    outer ECN of encapsulated frames is Not-ECT."""
    not_ect = inner_ip(tos=0x20, seed=26)
    ect0 = inner_ip(tos=0x20 | ECT0, seed=27)
    out = inner_ip(dst=VM_B, src=VM_A, tos=0x48 | CE, seed=28)
    with ctx.lab() as lab:
        lab.start(lab.config(vni_yaml(100, [("acc", "untagged")]),
                             fdb=fdb_remote(100, VM_B, R2),
                             underlay_extra="ecn: off\ntos: inherit"))
        lab.send("und", [vxlan_frame(not_ect, 100, tos=CE), vxlan_frame(ect0, 100, tos=CE)])
        lab.wait_rx("uplink", 2)
        lab.send("acc", out)
        lab.wait_rx("acc", 1)
        c = lab.stop()
        acc = lab.out("acc")
        check_count("access output", acc, 2)
        check_frame("Not-ECT under CE", not_ect, acc[0])
        check_frame("ECT(0) under CE", ect0, acc[1])
        up = lab.out("uplink")
        check_count("underlay output", up, 1)
        check_encap_to("encapsulated with ecn: off", up[0],
                       vxlan_frame(out, 100, src_ip=LOCAL_IP, dst_ip=R2, eth_src=VTEP_MAC,
                                   eth_dst=NEIGH_MAC[R2], tos=0x48))
        check_drops(c, {})


# ---- TOS, ECN and TTL on encapsulation ------------------------------------

@test()
def encap_tos_ttl_configured(ctx):
    """A configured outer TOS and TTL are sent, with the ECN field of the
    inner packet (CE sent as ECT(0), RFC 6040 section 4.1); a non-IP inner
    frame gets Not-ECT."""
    frames = [inner_ip(dst=VM_B, src=VM_A, tos=0x00 | ECT0, seed=31),
              inner_ip(dst=VM_B, src=VM_A, tos=0xfc | CE, seed=32),
              eth(VM_B, VM_A, 0x88B5, pattern(60))]
    outer = [(0xb8 | ECT0, 9), (0xb8 | ECT0, 9), (0xb8, 9)]
    with ctx.lab() as lab:
        lab.start(lab.config(vni_yaml(100, [("acc", "untagged")]),
                             fdb=fdb_remote(100, VM_B, R2),
                             underlay_extra="tos: 184\nttl: 9"))
        lab.send("acc", frames)
        lab.wait_rx("acc", len(frames))
        c = lab.stop()
        up = lab.out("uplink")
        check_count("underlay output", up, len(frames))
        for i, (f, (tos, ttl)) in enumerate(zip(frames, outer)):
            check_encap_to("frame %d" % i, up[i],
                           vxlan_frame(f, 100, src_ip=LOCAL_IP, dst_ip=R2, eth_src=VTEP_MAC,
                                       eth_dst=NEIGH_MAC[R2], tos=tos, ttl=ttl))
        check_counters(c, {"vni.100.encap_packets": len(frames)})
        check_drops(c, {})


@test()
def encap_tos_ttl_inherit(ctx):
    """tos: inherit and ttl: inherit take the inner IPv4 DSCP and TTL, or
    the IPv6 traffic class and hop limit; a non-IP frame gets DSCP 0 and
    TTL 64; every flooded copy of a BUM frame carries them too."""
    v4 = inner_ip(dst=VM_B, src=VM_A, tos=0x28 | CE, ttl=33, seed=33)
    v6 = inner_ip6(dst=VM_B, src=VM_A, tclass=0x48 | ECT1, hlim=7, seed=34)
    other = eth(VM_B, VM_A, 0x88B5, pattern(60))
    bum = inner_ip(dst=BCAST, src=VM_A, tos=0x10, ttl=3, seed=35)
    want = [(v4, 0x28 | ECT0, 33), (v6, 0x48 | ECT1, 7), (other, 0, 64)]
    with ctx.lab() as lab:
        lab.start(lab.config(vni_yaml(100, [("acc", "untagged")], [R3, R4]),
                             fdb=fdb_remote(100, VM_B, R2),
                             underlay_extra="tos: inherit\nttl: inherit"))
        lab.send("acc", [v4, v6, other, bum])
        lab.wait_rx("acc", 4)
        c = lab.stop()
        up = lab.out("uplink")
        check_count("underlay output", up, 5)
        for i, (f, tos, ttl) in enumerate(want):
            check_encap_to("frame %d" % i, up[i],
                           vxlan_frame(f, 100, src_ip=LOCAL_IP, dst_ip=R2, eth_src=VTEP_MAC,
                                       eth_dst=NEIGH_MAC[R2], tos=tos, ttl=ttl))
        copies = sorted(up[3:], key=lambda f: f[30:34])
        for f, r in zip(copies, (R3, R4)):
            check_encap_to("broadcast copy to %s" % r, f,
                           vxlan_frame(bum, 100, src_ip=LOCAL_IP, dst_ip=r, eth_src=VTEP_MAC,
                                       eth_dst=NEIGH_MAC[r], tos=0x10, ttl=3))
        for f in up:
            tos, ttl = outer_tos_ttl(f)
            if ttl == 0:
                raise TestFailure("an outer TTL of 0 was sent")
        check_drops(c, {})


# ---- what the control thread answers ---------------------------------------

@test()
def echo_from_group_mac_not_answered(ctx):
    """An echo request to the VTEP address from a multicast or zero source
    MAC gets no reply (a reply would go to a group); one from a unicast MAC
    does."""
    def echo(src_mac, seq):
        h = struct.pack("!BBHHH", 8, 0, 0, 0x4242, seq) + pattern(32, seq)
        h = h[:2] + struct.pack("!H", csum(h)) + h[4:]
        return eth(VTEP_MAC, src_mac, 0x0800, ipv4("198.18.0.9", LOCAL_IP, 1, h))

    with ctx.lab() as lab:
        lab.start(lab.config(vni_yaml(100, [("acc", "untagged")])))
        lab.send("und", [echo("01:00:5e:00:00:09", 1), echo("00:00:00:00:00:00", 2),
                         echo("02:00:00:00:00:09", 3)])
        lab.wait_for("one echo reply sent", lambda c: c.get("port.uplink.tx_packets", 0) >= 1)
        c = lab.stop()
        up = lab.out("uplink")
        check_count("underlay output", up, 1)
        if up[0][0:6] != mac("02:00:00:00:00:09") or up[0][40:42] != struct.pack("!H", 3):
            raise TestFailure("the reply is not to the unicast request (seq 3): %s" %
                              up[0][:48].hex())
        check_counters(c, {"ctl.punted": 3, "ctl.icmp_echo_replies": 1})
        check_drops(c, {})
