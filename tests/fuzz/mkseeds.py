#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""
Write the seed corpora of the packet fuzz targets (tests/fuzz/decap/corpus
and tests/fuzz/worker/corpus), one file per case, from the frames below.
The files are committed; run this again after changing it.

    tests/fuzz/mkseeds.py

Addresses are those of fuzz_worker.c's configuration: the VTEP is
198.18.0.1/24, static neighbours .2, .3 and the gateway .254; 198.18.0.9 is
a remote without a neighbour entry.
"""

import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

LOCAL = "198.18.0.1"
BCAST = "ff:ff:ff:ff:ff:ff"
NEIGH2 = "02:00:00:00:00:02"
VTEP_MAC = "02:00:00:00:00:01"   # any: the data path does not check it


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def ip(s):
    return bytes(int(x) for x in s.split("."))


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def eth(dst, src, etype, payload, vlan=None):
    tag = b"" if vlan is None else struct.pack("!HH", 0x8100, vlan)
    return mac(dst) + mac(src) + tag + struct.pack("!H", etype) + payload


def ipv4(src, dst, proto, payload, ttl=64, frag=0, options=b"", bad_csum=False, tot=None,
         tos=0):
    ihl = 5 + len(options) // 4
    if tot is None:
        tot = ihl * 4 + len(payload)
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, tos, tot, 0, frag, ttl, proto, 0,
                    ip(src), ip(dst)) + options
    c = csum(h) ^ (0x1111 if bad_csum else 0)
    return h[:10] + struct.pack("!H", c) + h[12:] + payload


def udp(sport, dport, payload, src=None, dst=None, length=None):
    """With src and dst, the checksum is computed; else it is zero."""
    n = 8 + len(payload) if length is None else length
    h = struct.pack("!HHHH", sport, dport, n, 0) + payload
    if src is not None:
        ph = ip(src) + ip(dst) + struct.pack("!BBH", 0, 17, len(h))
        c = csum(ph + h) or 0xffff
        h = h[:6] + struct.pack("!H", c) + h[8:]
    return h


def vxlan_hdr(vni, flags=0x08):
    return struct.pack("!BBBB", flags, 0, 0, 0) + struct.pack("!I", vni << 8)


def inner(dst, src, vlan=None, size=60, etype=0x0800, sport=1000, tos=0):
    if etype == 0x86dd:
        body = struct.pack("!IHBB", (6 << 28) | (tos << 20), 8, 17, 64) + bytes(32) + \
            udp(sport, 2000, b"")
    else:
        body = ipv4("10.10.0.1", "10.10.0.2", 17, udp(sport, 2000, b""), tos=tos)
    frame = eth(dst, src, etype, body, vlan)
    if len(frame) < size:
        frame += bytes((i * 13) & 0xff for i in range(size - len(frame)))
    return frame


def vxlan(src, vni, inner_frame, dst=LOCAL, port=4789, flags=0x08, frag=0, pad=0,
          bad_csum=False, options=b"", tos=0, udp_csum=False, udp_len=None, eth_dst=VTEP_MAC):
    v = vxlan_hdr(vni, flags) + inner_frame
    payload = udp(50000, port, v, src if udp_csum else None, dst, length=udp_len)
    f = eth(eth_dst, NEIGH2, 0x0800, ipv4(src, dst, 17, payload, frag=frag,
                                          bad_csum=bad_csum, options=options, tos=tos))
    return f + b"\0" * pad


def arp(op, sha, spa, tha, tpa, dst=BCAST):
    body = struct.pack("!HHBBH", 1, 0x0800, 6, 4, op) + mac(sha) + ip(spa) + mac(tha) + ip(tpa)
    return eth(dst, sha, 0x0806, body + b"\0" * 18)


def icmp_echo(src, dst=LOCAL, size=56):
    data = bytes(i & 0xff for i in range(size))
    h = struct.pack("!BBHHH", 8, 0, 0, 0x1234, 1) + data
    h = h[:2] + struct.pack("!H", csum(h)) + h[4:]
    return eth(VTEP_MAC, NEIGH2, 0x0800, ipv4(src, dst, 1, h))


# ---- decap: [ol_flags byte][split byte][mode byte][frame] -----------------

def decap_seeds():
    v = inner("02:00:00:00:bb:01", "02:00:00:00:aa:02")
    s = {}
    s["vxlan"] = vxlan("198.18.0.2", 100, v)
    s["vxlan_min_inner"] = vxlan("198.18.0.2", 100, v[:14])
    s["vxlan_padded"] = vxlan("198.18.0.2", 100, v[:14], pad=20)
    s["vxlan_ip_options"] = vxlan("198.18.0.2", 100, v, options=b"\x01\x01\x01\x00")
    s["vxlan_no_i_flag"] = vxlan("198.18.0.2", 100, v, flags=0x00)
    s["vxlan_other_flags"] = vxlan("198.18.0.2", 100, v, flags=0xff)
    s["vxlan_wrong_port"] = vxlan("198.18.0.2", 100, v, port=4790)
    s["vxlan_not_for_us"] = vxlan("198.18.0.2", 100, v, dst="198.18.0.7")
    s["vxlan_fragment"] = vxlan("198.18.0.2", 100, v, frag=0x2000)
    s["vxlan_bad_csum"] = vxlan("198.18.0.2", 100, v, bad_csum=True)
    s["vxlan_inner_short"] = vxlan("198.18.0.2", 100, v[:10])
    s["vxlan_vni_max"] = vxlan("198.18.0.2", 0xffffff, v)
    s["arp_request"] = arp(1, NEIGH2, "198.18.0.2", "00:00:00:00:00:00", LOCAL)
    s["icmp_echo"] = icmp_echo("198.18.0.2")
    s["tagged"] = eth(VTEP_MAC, NEIGH2, 0x0800, vxlan("198.18.0.2", 100, v)[14:], vlan=5)
    s["ipv6"] = eth(VTEP_MAC, NEIGH2, 0x86dd, bytes(60))
    s["vxlan_udp_csum"] = vxlan("198.18.0.2", 100, v, udp_csum=True)
    s["vxlan_udp_bad_len"] = vxlan("198.18.0.2", 100, v, udp_len=30)
    s["vxlan_martian"] = vxlan("127.0.0.1", 100, v)
    s["vxlan_from_bcast"] = vxlan("198.18.0.255", 100, v)
    s["vxlan_eth_other"] = vxlan("198.18.0.2", 100, v, eth_dst="02:00:00:00:00:77")
    s["vxlan_eth_bcast"] = vxlan("198.18.0.2", 100, v, eth_dst=BCAST)
    s["arp_bcast"] = arp(1, NEIGH2, "198.18.0.2", "00:00:00:00:00:00", LOCAL)
    s["arp_unicast"] = arp(2, NEIGH2, "198.18.0.2", VTEP_MAC, LOCAL, dst=VTEP_MAC)
    # The multicast underlay: fuzz_decap.c joins 239.1.1.100.
    s["vxlan_group"] = vxlan("198.18.0.2", 100, v, dst="239.1.1.100",
                             eth_dst="01:00:5e:01:01:64")
    s["vxlan_group_not_joined"] = vxlan("198.18.0.2", 100, v, dst="239.1.1.101",
                                        eth_dst="01:00:5e:01:01:65")
    s["vxlan_group_wrong_mac"] = vxlan("198.18.0.2", 100, v, dst="239.1.1.100",
                                       eth_dst="01:00:5e:01:01:65")
    q = struct.pack("!BBH4sBBH", 0x11, 100, 0, bytes(4), 2, 125, 0)
    q = q[:2] + struct.pack("!H", csum(q)) + q[4:]
    s["igmp_query"] = eth("01:00:5e:00:00:01", NEIGH2, 0x0800,
                          ipv4("0.0.0.0", "224.0.0.1", 2, q, options=b"\x94\x04\x00\x00"))
    out = {}
    for name, f in s.items():
        out[name] = bytes([0, 0, 0]) + f
    full = s["vxlan"]
    out["vxlan_csum_good_flag"] = bytes([2, 0, 0]) + s["vxlan_bad_csum"]
    out["vxlan_csum_bad_flag"] = bytes([1, 0, 0]) + full
    out["vxlan_udp_csum_bad_flag"] = bytes([4, 0, 0]) + s["vxlan_udp_csum"]
    out["vxlan_split_in_headers"] = bytes([0, 31, 0]) + full
    out["vxlan_split_after_headers"] = bytes([0, 51, 0]) + full
    out["vxlan_udp_csum_split"] = bytes([0, 71, 0]) + s["vxlan_udp_csum"]
    out["runt"] = bytes([0, 0, 0]) + full[:13]
    # Inner checks and RFC 6040, with ECN decapsulation on (mode bit 0).
    for name, f in {
        "inner_ce_ect0": vxlan("198.18.0.2", 100, inner(BCAST, M(0xaa02), tos=2), tos=3),
        "inner_ce_not_ect": vxlan("198.18.0.2", 100, inner(BCAST, M(0xaa02)), tos=3),
        "inner_ce_ipv6": vxlan("198.18.0.2", 100, inner(BCAST, M(0xaa02), etype=0x86dd,
                                                        tos=1), tos=3),
        "inner_tagged": vxlan("198.18.0.2", 100, inner(BCAST, M(0xaa02), vlan=5, tos=1), tos=3),
        "inner_link_local": vxlan("198.18.0.2", 100, inner("01:80:c2:00:00:0e", M(0xaa02))),
        "inner_bad_source": vxlan("198.18.0.2", 100, inner(BCAST, "01:00:5e:00:00:01")),
        "inner_ip_truncated": vxlan("198.18.0.2", 100, inner(BCAST, M(0xaa02))[:20]),
    }.items():
        out[name] = bytes([0, 0, 1]) + f
    out["inner_tagged_accepted"] = bytes([0, 0, 3]) + vxlan(
        "198.18.0.2", 100, inner(BCAST, M(0xaa02), vlan=5, tos=1), tos=3)
    return out


# ---- worker: [mode byte] then records [h][len LE16][frame] ------------------

UP0, UP1, ACC0, ACC1 = 0, 1, 2, 3


def rec(where, frame, end=False, ck=0, segs=1):
    h = where | (4 if end else 0) | (ck << 3) | ((segs - 1) << 5)
    return struct.pack("<BH", h, len(frame)) + frame


def w(mode, *records):
    return bytes([mode]) + b"".join(records)


def M(x):
    return "02:00:00:00:%02x:%02x" % (x >> 8, x & 0xff)


def worker_seeds():
    s = {}
    # Known remote (static), known local, unknown: one burst each.
    s["encap_static_remote"] = w(0,
        rec(ACC0, inner(M(0x1003), M(0xc001))),
        rec(ACC0, inner(M(0x1003), M(0xc001), size=200)),
        rec(ACC0, inner(M(0x100a), M(0xc001)), end=True),
        rec(ACC1, inner(M(0x1003), M(0xc002), vlan=10)),
        rec(ACC1, inner(M(0xbb01), M(0xc002), vlan=10), end=True))
    s["flood_from_access"] = w(0,
        rec(ACC0, inner(BCAST, M(0xc101))),
        rec(ACC1, inner(BCAST, M(0xc102), vlan=10)),
        rec(ACC0, inner(BCAST, M(0xc103), vlan=40)),
        rec(ACC0, inner(BCAST, M(0xc104), vlan=20)),
        rec(ACC1, inner(BCAST, M(0xc105), vlan=4094)),
        rec(ACC1, inner(BCAST, M(0xc106), vlan=30)),
        rec(ACC1, inner("01:00:5e:00:00:01", M(0xc107), vlan=31), end=True))
    s["flood_chained_csum_offload"] = w(3,
        rec(ACC0, inner(BCAST, M(0xc201))),
        rec(ACC0, inner(BCAST, M(0xc203), vlan=40, size=300), segs=3),
        rec(ACC0, inner(M(0x4005), M(0xc203), vlan=40)),
        rec(ACC0, inner(M(0x1003), M(0xc201)), end=True))
    s["decap"] = w(0,
        rec(UP0, vxlan("198.18.0.2", 100, inner(M(0xbb01), M(0xd001)))),
        rec(UP1, vxlan("198.18.0.3", 100, inner(BCAST, M(0xd002)))),
        rec(UP0, vxlan("198.18.0.2", 300, inner(M(0x301e), M(0xd003)))),
        rec(UP0, vxlan("198.18.0.2", 300, inner(BCAST, M(0xd003)))),
        rec(UP1, vxlan("198.18.0.2", 200, inner(M(0xbb14), M(0xd004)))),
        rec(UP1, vxlan("198.18.0.2", 0xffffff, inner(BCAST, M(0xd005)))),
        rec(UP0, vxlan("198.18.0.2", 999, inner(BCAST, M(0xd006)))),
        rec(UP0, vxlan("198.18.0.2", 100, inner(M(0xaa02), M(0xd007), vlan=7)), end=True))
    s["learn_then_encap"] = w(0,
        rec(UP0, vxlan("198.18.0.7", 100, inner(BCAST, M(0xcc07)))),
        rec(UP1, vxlan("10.3.0.1", 100, inner(BCAST, M(0xcc31)))),
        rec(ACC0, inner(BCAST, M(0xcc41), vlan=20), end=True),
        rec(ACC0, inner(M(0xcc07), M(0xcc41))),
        rec(ACC0, inner(M(0xcc31), M(0xcc41))),
        rec(UP0, vxlan("198.18.0.2", 100, inner(M(0xcc41), M(0xcc07)))),
        rec(ACC1, inner(M(0xaa09), M(0xcc42), vlan=10), end=True),
        rec(ACC0, inner(M(0xaa09), M(0xcc43), vlan=40)),
        rec(ACC0, inner(M(0xcc07), M(0xcc31)), end=True))
    s["arp_icmp"] = w(0,
        rec(UP0, arp(1, NEIGH2, "198.18.0.2", "00:00:00:00:00:00", LOCAL)),
        rec(UP0, icmp_echo("198.18.0.2")),
        rec(UP1, icmp_echo("10.9.9.9", size=1000)),
        rec(UP0, arp(2, "02:00:00:00:00:09", "198.18.0.9", "02:00:00:00:00:01", LOCAL,
                     dst="02:00:00:00:00:01"), end=True),
        rec(ACC0, inner(M(0x2009), M(0xe001), vlan=20)),
        rec(ACC0, inner(BCAST, M(0xe002), vlan=20), end=True))
    s["jumbo_and_segments"] = w(1,
        rec(ACC0, inner(M(0x1003), M(0xf001), size=9000), segs=5),
        rec(ACC0, inner(M(0x100a), M(0xf001), size=9000), segs=5),
        rec(ACC0, inner(M(0x1003), M(0xf001), size=1450), segs=2),
        rec(ACC0, inner(M(0x1003), M(0xf001), size=1451), segs=2),
        rec(ACC0, inner(BCAST, M(0xf002), size=3000, vlan=40), segs=3),
        rec(UP0, vxlan("198.18.0.2", 100, inner(BCAST, M(0xf003), size=1464)), segs=3),
        rec(UP1, vxlan("198.18.0.2", 100, inner(M(0xbb01), M(0xf004), size=1000), pad=8),
            segs=8, end=True))
    s["vlan_edges"] = w(0,
        rec(ACC0, inner(M(0x1003), M(0xa001), vlan=0)),
        rec(ACC0, eth(M(0x1003), M(0xa002), 0x8100, struct.pack("!HH", 7, 0x0800) +
                      bytes(46), vlan=20)),
        rec(ACC1, inner(M(0x100a), M(0xa003), vlan=10)),
        rec(ACC1, inner(M(0x100a), M(0xa003), vlan=99)),
        rec(ACC0, inner(M(0x301e), M(0xa004), vlan=30)),
        rec(ACC1, inner(M(0x301e), M(0xa005), vlan=31)),
        rec(ACC0, mac(BCAST) + mac(M(0xa006)) + b"\x81\x00"),
        rec(ACC0, bytes(10)),
        rec(ACC1, inner("00:00:00:00:00:00", "01:00:00:00:00:01", vlan=10), end=True))
    s["bad_underlay"] = w(0,
        rec(UP0, vxlan("198.18.0.2", 100, inner(BCAST, M(0xb001)), frag=0x2000)),
        rec(UP0, vxlan("198.18.0.2", 100, inner(BCAST, M(0xb002)), bad_csum=True), ck=2),
        rec(UP0, vxlan("198.18.0.2", 100, inner(BCAST, M(0xb003))), ck=1),
        rec(UP1, vxlan("198.18.0.2", 100, inner(BCAST, M(0xb004)), port=4790)),
        rec(UP1, vxlan("198.18.0.2", 100, inner(BCAST, M(0xb005)), flags=0)),
        rec(UP1, vxlan("198.18.0.1", 100, inner(BCAST, M(0xb006)))),
        rec(UP0, vxlan("198.18.0.2", 100, inner(BCAST, M(0xb007))[:14], pad=30)),
        rec(UP0, eth(VTEP_MAC, NEIGH2, 0x86dd, bytes(60)), end=True))
    s["mac_limit"] = w(0, *[
        rec(ACC0, inner(BCAST, M(0x9000 + i), vlan=20), end=(i % 3 == 2)) for i in range(8)])
    s["many_flows"] = w(0, *[
        rec(ACC0 if i % 2 else ACC1, inner(M(0x1003), M(0x8000 + i), sport=1000 + i,
                                           vlan=None if i % 2 else 10))
        for i in range(40)])
    return s


def write(target, seeds):
    d = os.path.join(HERE, target, "corpus")
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
    print("%s: %d seeds in %s" % (target, len(seeds), os.path.relpath(d)), file=sys.stderr)


if __name__ == "__main__":
    write("decap", decap_seeds())
    write("worker", worker_seeds())
