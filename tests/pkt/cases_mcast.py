# SPDX-License-Identifier: BSD-3-Clause
"""
The multicast underlay (RFC 7348 section 4.2, flood: multicast): BUM frames
leave once, to the VNI's group; VXLAN to a joined group is decapsulated,
to any other group dropped; and IGMP on the underlay: a report at start,
answers to queries, a leave when the last VNI of a group goes.
"""

import struct
import subprocess
import time

from pkt import (
    BCAST, LOCAL_IP, R2, VM_A, VM_B, VTEP_MAC, Lab, TestFailure, check_count, check_counters,
    check_drops, check_frame, csum, eth, inner_frame, ipv4, mac, outer_inner, test, vxlan_frame,
)

GROUP = "239.1.1.100"
GROUP_MAC = "01:00:5e:01:01:64"
OTHER = "239.1.1.101"
OTHER_MAC = "01:00:5e:01:01:65"


def mcast_vni(vni, access, group=GROUP):
    acc = ", ".join("{ port: %s, vlan: %s }" % a for a in access)
    return "- vni: %d\n  access: [%s]\n  flood: multicast\n  group: %s\n" % (vni, acc, group)


def is_igmp(f):
    return len(f) >= 34 and f[12:14] == b"\x08\x00" and f[23] == 2


def is_vxlan(f):
    return len(f) >= 50 and f[12:14] == b"\x08\x00" and f[23] == 17


def igmp_of(f):
    """(destination, IGMP message) of an IGMP frame."""
    ihl = (f[14] & 0xF) * 4
    tot = struct.unpack_from("!H", f, 16)[0]
    return f[30:34], f[14 + ihl:14 + tot]


def check_igmp_frame(what, f):
    """What RFC 3376 section 4 asks of every IGMP message vtepd sends."""
    ihl = (f[14] & 0xF) * 4
    if ihl != 24 or f[34:38] != b"\x94\x04\x00\x00":
        raise TestFailure("%s: no Router Alert option (IHL %d, %s)" % (what, ihl, f[34:38].hex()))
    if f[22] != 1:
        raise TestFailure("%s: TTL %d, expected 1" % (what, f[22]))
    if f[26:30] != bytes(int(x) for x in LOCAL_IP.split(".")):
        raise TestFailure("%s: source %s" % (what, f[26:30].hex()))
    if csum(f[14:14 + ihl]) != 0:
        raise TestFailure("%s: bad IPv4 checksum" % what)
    dst, msg = igmp_of(f)
    if csum(msg) != 0:
        raise TestFailure("%s: bad IGMP checksum" % what)
    want = bytes([0x01, 0x00, 0x5E, dst[1] & 0x7F, dst[2], dst[3]])
    if f[0:6] != want:
        raise TestFailure("%s: destination MAC %s for %s" % (what, f[0:6].hex(), dst.hex()))
    return dst, msg


def v3_records(msg):
    """(record type, group) of an IGMPv3 report."""
    if msg[0] != 0x22:
        raise TestFailure("IGMP type %#x, expected an IGMPv3 report" % msg[0])
    n = struct.unpack_from("!H", msg, 6)[0]
    out, off = [], 8
    for _ in range(n):
        t, aux, ns = msg[off], msg[off + 1], struct.unpack_from("!H", msg, off + 2)[0]
        out.append((t, ".".join(str(b) for b in msg[off + 4:off + 8])))
        off += 8 + 4 * ns + 4 * aux
    return out


def igmp_frames(lab):
    return [f for f in lab.out("uplink") if is_igmp(f)]


def wait_igmp(lab, n, what, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = igmp_frames(lab)
        if len(got) >= n:
            return got
        time.sleep(0.05)
    raise TestFailure("timed out after %.0f s waiting for %s: %d IGMP frames of %d" %
                      (timeout, what, len(igmp_frames(lab)), n))


def tshark_text(path):
    p = subprocess.run(["tshark", "-n", "-r", path, "-V"], capture_output=True, text=True,
                       timeout=60)
    if p.returncode != 0:
        raise TestFailure("tshark failed (%d): %s" % (p.returncode, p.stderr))
    return p.stdout


def query(group="0.0.0.0", max_resp=10, v3=True):
    """A membership query as a snooping bridge's querier sends it: from
    0.0.0.0, with the Router Alert option."""
    msg = struct.pack("!BBH4s", 0x11, max_resp, 0, bytes(int(x) for x in group.split(".")))
    if v3:
        msg += struct.pack("!BBH", 2, 125, 0)
    msg = msg[:2] + struct.pack("!H", csum(msg)) + msg[4:]
    dst = "224.0.0.1" if group == "0.0.0.0" else group
    d = bytes(int(x) for x in dst.split("."))
    dmac = "01:00:5e:%02x:%02x:%02x" % (d[1] & 0x7F, d[2], d[3])
    return eth(dmac, "02:00:00:00:00:fe", 0x0800,
               ipv4("0.0.0.0", dst, 2, msg, ttl=1, frag=0, tos=0xC0,
                    vihl=0x46, options=b"\x94\x04\x00\x00"))


@test()
def mcast_flood_once_to_the_group(ctx):
    """A broadcast on a VNI with flood: multicast leaves once, to the group:
    outer destination the group and its MAC (01:00:5e + the low 23 bits),
    TTL 1 (mcast_ttl's default); a second VNI on the same group sends its
    own single copy with its VNI."""
    with ctx.lab() as lab:
        lab.start(lab.config(mcast_vni(100, [("acc", "untagged")]) +
                             mcast_vni(101, [("acc", 10)])))
        inner = inner_frame(BCAST, VM_A, 100)
        tagged = inner_frame(BCAST, VM_A, 100, vlan=10, seed=3)
        lab.send("acc", [inner, tagged])
        lab.wait_rx("acc", 2)
        c = lab.stop()
        vx = [f for f in lab.out("uplink") if is_vxlan(f)]
        check_count("VXLAN frames on the underlay", vx, 2)
        for f, vni, want in ((vx[0], 100, inner), (vx[1], 101, tagged[:12] + tagged[16:])):
            if f[0:6] != mac(GROUP_MAC):
                raise TestFailure("VNI %d: outer destination MAC %s" % (vni, f[0:6].hex()))
            if f[30:34] != bytes([239, 1, 1, 100]):
                raise TestFailure("VNI %d: outer destination %s" % (vni, f[30:34].hex()))
            if f[6:12] != mac(VTEP_MAC):
                raise TestFailure("VNI %d: outer source MAC %s" % (vni, f[6:12].hex()))
            if f[22] != 1:
                raise TestFailure("VNI %d: outer TTL %d, expected 1" % (vni, f[22]))
            if csum(f[14:34]) != 0:
                raise TestFailure("VNI %d: bad outer IPv4 checksum" % vni)
            got_vni = struct.unpack_from("!I", f, 46)[0] >> 8
            if got_vni != vni:
                raise TestFailure("VNI %d sent as %d" % (vni, got_vni))
            check_frame("VNI %d inner frame" % vni, want, outer_inner(f))
        check_counters(c, {"vni.100.flood_packets": 1, "vni.100.flood_copies": 1,
                           "vni.101.flood_packets": 1, "vni.101.flood_copies": 1})
        check_drops(c, {})


@test()
def mcast_ttl_sets_the_outer_ttl(ctx):
    """underlay mcast_ttl is the outer TTL of copies to a group, whatever
    the unicast ttl says."""
    with ctx.lab() as lab:
        lab.start(lab.config(mcast_vni(100, [("acc", "untagged")]),
                             underlay_extra="mcast_ttl: 5\nttl: inherit"))
        lab.send("acc", inner_frame(BCAST, VM_A, 100))
        lab.wait_rx("acc", 1)
        lab.stop()
        vx = [f for f in lab.out("uplink") if is_vxlan(f)]
        check_count("VXLAN frames on the underlay", vx, 1)
        if vx[0][22] != 5:
            raise TestFailure("outer TTL %d, expected mcast_ttl 5" % vx[0][22])


@test()
def mcast_decap_joined_group_only(ctx):
    """VXLAN to the VNI's group at the group's MAC is decapsulated; to a
    group no VNI joined it is dropped as group_not_joined, and so is VXLAN
    to the group for a VNI mapped to another group."""
    with ctx.lab() as lab:
        lab.start(lab.config(mcast_vni(100, [("acc", "untagged")]) +
                             mcast_vni(102, [("acc", 12)], group="239.1.1.102")))
        inner = inner_frame(BCAST, VM_B, 100)
        ok = vxlan_frame(inner, 100, dst_ip=GROUP, eth_dst=GROUP_MAC, ttl=1)
        other = vxlan_frame(inner, 100, dst_ip=OTHER, eth_dst=OTHER_MAC, ttl=1)
        wrong_vni = vxlan_frame(inner, 102, dst_ip=GROUP, eth_dst=GROUP_MAC, ttl=1)
        lab.send("und", [ok, other, wrong_vni])
        lab.wait_rx("uplink", 3)
        c = lab.stop()
        out = lab.out("acc")
        check_count("access output", out, 1)
        check_frame("decapsulated frame", inner, out[0])
        check_counters(c, {"vni.100.decap_packets": 1})
        check_drops(c, {"group_not_joined": 2})


@test()
def igmp_report_at_start_and_query_answer(ctx):
    """vtepd joins its group at start with an IGMPv3 report (to 224.0.0.22,
    CHANGE_TO_EXCLUDE {}), sent twice; a general query injected into the
    underlay is answered within its Max Resp Time (1 s) with a current
    state record (MODE_IS_EXCLUDE)."""
    with ctx.lab() as lab:
        lab.start(lab.config(mcast_vni(100, [("acc", "untagged")])))
        got = wait_igmp(lab, 2, "the two unsolicited reports")
        for i, f in enumerate(got):
            dst, msg = check_igmp_frame("report %d" % i, f)
            if dst != bytes([224, 0, 0, 22]):
                raise TestFailure("report %d to %s, expected 224.0.0.22" % (i, dst.hex()))
            if v3_records(msg) != [(4, GROUP)]:
                raise TestFailure("report %d records %s" % (i, v3_records(msg)))
        time.sleep(1.2)
        check_count("IGMP frames before the query", igmp_frames(lab), 2)
        t0 = time.monotonic()
        lab.send("und", query(max_resp=10))
        got = wait_igmp(lab, 3, "the answer to the general query", timeout=5.0)
        took = time.monotonic() - t0
        # 1 s of Max Resp Time, plus what polling and the pcap flush take.
        if took > 1.8:
            raise TestFailure("the answer took %.2f s, Max Resp Time is 1 s" % took)
        dst, msg = check_igmp_frame("answer", got[2])
        if v3_records(msg) != [(2, GROUP)]:
            raise TestFailure("answer records %s, expected MODE_IS_EXCLUDE %s" %
                              (v3_records(msg), GROUP))
        c = lab.stop()
        check_counters(c, {"igmp.reports_sent": 3, "igmp.queries_received": 1})
        check_drops(c, {})
        text = tshark_text(lab.path("uplink-out.pcap"))
        for want in ("Membership Report", "Router Alert", "Change To Exclude Mode",
                     "Mode Is Exclude", GROUP):
            if want not in text:
                raise TestFailure("tshark -V shows no %r:\n%s" % (want, text[-3000:]))


@test()
def igmp_leave_when_the_vni_goes(ctx):
    """Deleting the last VNI of a group over the API sends a leave:
    IGMPv3 CHANGE_TO_INCLUDE {}, twice; then nothing more for it."""
    with ctx.lab() as lab:
        lab.start(lab.config(mcast_vni(100, [("acc", "untagged")]), top_extra=Lab.API_YAML))
        wait_igmp(lab, 2, "the two unsolicited reports")
        lab.api("DELETE", "/v1/vnis/100", expect=204)
        got = wait_igmp(lab, 4, "the two leaves")
        for i, f in enumerate(got[2:]):
            dst, msg = check_igmp_frame("leave %d" % i, f)
            if v3_records(msg) != [(3, GROUP)]:
                raise TestFailure("leave %d records %s" % (i, v3_records(msg)))
        lab.send("und", query(max_resp=5))
        time.sleep(1.0)
        c = lab.stop()
        check_count("IGMP frames", igmp_frames(lab), 4)
        check_counters(c, {"igmp.leaves_sent": 2, "igmp.reports_sent": 2})
        if "Change To Include Mode" not in tshark_text(lab.path("uplink-out.pcap")):
            raise TestFailure("tshark -V shows no Change To Include Mode record")


@test()
def mcast_vni_put_over_the_api(ctx):
    """flood: multicast is accepted over the API (PUT /v1/vnis/{vni}): the
    VNI joins its group and floods to it."""
    with ctx.lab() as lab:
        lab.start(lab.config(mcast_vni(100, [("acc", "untagged")]), top_extra=Lab.API_YAML))
        wait_igmp(lab, 2, "the two reports of 239.1.1.100")
        lab.api("PUT", "/v1/vnis/200", body={
            "access": [{"port": "acc", "vlan": 20}], "flood": "multicast",
            "group": "239.1.1.200"}, expect=201)
        got = wait_igmp(lab, 3, "a report of 239.1.1.200")
        _, msg = check_igmp_frame("report", got[2])
        if v3_records(msg) != [(4, "239.1.1.200")]:
            raise TestFailure("report records %s" % v3_records(msg))
        lab.send("acc", inner_frame(BCAST, VM_A, 100, vlan=20))
        lab.wait_rx("acc", 1)
        lab.stop()
        vx = [f for f in lab.out("uplink") if is_vxlan(f)]
        check_count("VXLAN frames", vx, 1)
        if vx[0][30:34] != bytes([239, 1, 1, 200]):
            raise TestFailure("sent to %s, expected 239.1.1.200" % vx[0][30:34].hex())
