#!/usr/bin/python3
"""Write the benchmark captures and the vtepd configuration that goes with them.

    mkpcap.py OUTDIR [--flows N] [--size BYTES] [--vtep-mac MAC]

OUTDIR/encap.pcap   access frames (untagged, VNI 100) to N distinct
                    destination MACs, each a static FDB entry toward 198.18.0.2
OUTDIR/decap.pcap   VXLAN frames from 198.18.0.2 to 198.18.0.1 (Ethernet
                    destination --vtep-mac, default 02:00:00:00:0a:01: vtepd
                    takes only frames to its underlay MAC), VNI 100, whose
                    inner frames come from N distinct source MACs
OUTDIR/fdb.yaml     the N static FDB entries, for the bench configurations

Frame sizes count the Ethernet FCS, as RFC 2544 does: a 64-byte frame is 60
bytes in the capture. Plain struct: no dependency beyond the standard library.
"""
import argparse
import os
import struct

VTEP_IP = bytes([198, 18, 0, 1])
REMOTE_IP = bytes([198, 18, 0, 2])
VTEP_MAC = bytes.fromhex("020000000a01")
REMOTE_MAC = bytes.fromhex("020000000a02")
VM_MAC = bytes.fromhex("020000000101")


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ipv4(src, dst, proto, payload, ident=0):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0x4000,
                      64, proto, 0, src, dst)
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def udp(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def flow_mac(i):
    return bytes([0x02, 0x00, 0x00, 0xAA, (i >> 8) & 0xFF, i & 0xFF])


def inner_frame(dst_mac, src_mac, i, size):
    """A UDP/IPv4 frame of `size` bytes on the wire (FCS included)."""
    body = size - 4 - 14 - 20 - 8
    ip = ipv4(bytes([198, 19, (i >> 8) & 0xFF, i & 0xFF]), bytes([198, 19, 255, 1]), 17,
              udp(1024 + (i & 0x3FFF), 9, bytes(max(body, 0))))
    return dst_mac + src_mac + b"\x08\x00" + ip


def vxlan(vni, inner, sport, vtep_mac=VTEP_MAC):
    hdr = struct.pack("!II", 0x08000000, vni << 8)
    return (vtep_mac + REMOTE_MAC + b"\x08\x00" +
            ipv4(REMOTE_IP, VTEP_IP, 17, udp(sport, 4789, hdr + inner)))


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for fr in frames:
            f.write(struct.pack("<IIII", 0, 0, len(fr), len(fr)))
            f.write(fr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--flows", type=int, default=1024)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--vtep-mac", default="02:00:00:00:0a:01")
    a = ap.parse_args()
    vtep_mac = bytes.fromhex(a.vtep_mac.replace(":", ""))
    if len(vtep_mac) != 6:
        ap.error("--vtep-mac: xx:xx:xx:xx:xx:xx")
    os.makedirs(a.outdir, exist_ok=True)
    n = a.flows
    if not 1 <= n <= 65536:
        ap.error("--flows: 1 to 65536 (a MAC per flow from 16 bits)")
    write_pcap(os.path.join(a.outdir, "encap.pcap"),
               [inner_frame(flow_mac(i), VM_MAC, i, a.size) for i in range(n)])
    write_pcap(os.path.join(a.outdir, "decap.pcap"),
               [vxlan(100, inner_frame(VM_MAC, flow_mac(i), i, a.size), 49152 + (i & 0x3FFF),
                      vtep_mac) for i in range(n)])
    with open(os.path.join(a.outdir, "fdb.yaml"), "w") as f:
        f.write("fdb:\n")
        for i in range(n):
            mac = ":".join("%02x" % b for b in flow_mac(i))
            f.write('  - { vni: 100, mac: "%s", remote: 198.18.0.2 }\n' % mac)


if __name__ == "__main__":
    main()
