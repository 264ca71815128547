# SPDX-License-Identifier: BSD-3-Clause
"""
Packet tests: traffic follows the REST API. Each test changes the running
vtepd over /v1 (inside the lab's namespace) and checks the frames that
follow the change, byte for byte where the harness can build them.
"""

import time

from pkt import (
    R2, R3, VM_A, VM_B, Lab, TestFailure, mac, outer_inner, check_count, check_counters, check_drops,
    check_encap, check_frame, fdb_remote, inner_frame, outer_dst_ip,
    push_vlan, test, vni_yaml, vxlan_frame,
)


def _start(lab, vnis, fdb=""):
    lab.start(lab.config(vnis, fdb=fdb, top_extra=Lab.API_YAML))


@test()
def api_vni_added_forwards_at_once(ctx):
    """A VNI created with PUT /v1/vnis/{vni} decapsulates to its binding as
    soon as the request is answered."""
    with ctx.lab() as lab:
        _start(lab, vni_yaml(100, [("acc", "untagged")]))
        lab.api("PUT", "/v1/vnis/200", {"access": [{"port": "acc", "vlan": 20}],
                                        "flood": "head-end", "remotes": [R2]}, expect=201)
        inner = inner_frame(VM_A, VM_B, 100)
        lab.send("und", vxlan_frame(inner, 200))
        lab.wait_rx("uplink", 1)
        c = lab.stop()
        acc = lab.out("acc")
        check_count("access output", acc, 1)
        check_frame("VNI 200 frame on the access port (tag 20)", push_vlan(inner, 20), acc[0])
        check_counters(c, {"vni.200.decap_packets": 1})
        check_drops(c, {})


@test()
def api_vni_deleted_drops_unknown_vni(ctx):
    """Once DELETE /v1/vnis/{vni} is answered, its frames drop as
    unknown_vni and its counters are gone."""
    with ctx.lab() as lab:
        _start(lab, vni_yaml(100, [("acc", "untagged")]) + vni_yaml(200, [("acc", 20)]))
        inner = inner_frame(VM_A, VM_B, 100)
        lab.send("und", vxlan_frame(inner, 100))
        lab.wait_rx("uplink", 1)
        lab.api("DELETE", "/v1/vnis/100", expect=204)
        lab.api("DELETE", "/v1/vnis/100", expect=404)
        lab.send("und", vxlan_frame(inner, 100))
        lab.wait_rx("uplink", 2)
        c = lab.stop()
        check_count("access output", lab.out("acc"), 1)
        check_drops(c, {"unknown_vni": 1})
        if "vni.100.decap_packets" in c:
            raise TestFailure("VNI 100 still has counters after its deletion")


@test()
def api_static_fdb_steers_encap(ctx):
    """A static entry added with POST /v1/vnis/{vni}/fdb sends the next frame
    to its remote only, where it was flooded before."""
    with ctx.lab() as lab:
        _start(lab, vni_yaml(100, [("acc", "untagged")], [R2]))
        first = inner_frame(VM_B, VM_A, 100, seed=1)
        lab.send("acc", first)
        lab.wait_rx("acc", 1)
        lab.api("POST", "/v1/vnis/100/fdb", {"mac": VM_B, "remote": R3}, expect=201)
        st, doc = lab.api("GET", "/v1/vnis/100/fdb?type=static", expect=200)
        entries = doc.get("entries", doc.get("fdb", [])) if isinstance(doc, dict) else doc
        if not any(e.get("mac", "").lower() == VM_B and e.get("remote") == R3 for e in entries):
            raise TestFailure("GET fdb does not list the entry: %s" % doc)
        second = inner_frame(VM_B, VM_A, 100, seed=2)
        lab.send("acc", second)
        lab.wait_rx("acc", 2)
        c = lab.stop()
        up = lab.out("uplink")
        check_count("underlay output", up, 2)
        check_encap("the flooded first frame", up[0], first, 100, R2)
        check_encap("the second frame, by the static entry", up[1], second, 100, R3)
        check_counters(c, {"vni.100.encap_packets": 2, "vni.100.flood_packets": 1})


@test()
def api_flood_list_change_takes_effect(ctx):
    """POST and DELETE /v1/vnis/{vni}/remotes change where the next BUM frame
    is replicated."""
    with ctx.lab() as lab:
        _start(lab, vni_yaml(100, [("acc", "untagged")], [R2]))
        lab.api("POST", "/v1/vnis/100/remotes", {"remote": R3}, expect=201)
        one = inner_frame("ff:ff:ff:ff:ff:ff", VM_A, 100, seed=1)
        lab.send("acc", one)
        lab.wait_rx("acc", 1)
        lab.api("DELETE", "/v1/vnis/100/remotes/" + R2, expect=204)
        two = inner_frame("ff:ff:ff:ff:ff:ff", VM_A, 100, seed=2)
        lab.send("acc", two)
        lab.wait_rx("acc", 2)
        c = lab.stop()
        up = lab.out("uplink")
        check_count("underlay output", up, 3)
        dsts = sorted(outer_dst_ip(f) for f in up[:2])
        if dsts != sorted([R2, R3]):
            raise TestFailure("first broadcast went to %s, expected %s and %s" % (dsts, R2, R3))
        check_encap("second broadcast, after the delete", up[2], two, 100, R3)
        check_counters(c, {"vni.100.flood_packets": 2, "vni.100.encap_packets": 3})


@test()
def api_patch_ttl_changes_next_frames(ctx):
    """PATCH /v1/underlay with a TTL changes the outer TTL of the very next
    frame; GET /v1/underlay shows it."""
    with ctx.lab() as lab:
        _start(lab, vni_yaml(100, [("acc", "untagged")]), fdb=fdb_remote(100, VM_B, R2))
        first = inner_frame(VM_B, VM_A, 100, seed=1)
        lab.send("acc", first)
        lab.wait_rx("acc", 1)
        lab.api("PATCH", "/v1/underlay", {"ttl": 9}, expect=200)
        st, u = lab.api("GET", "/v1/underlay", expect=200)
        if u.get("ttl") != 9:
            raise TestFailure("GET /v1/underlay after PATCH: %s" % u)
        second = inner_frame(VM_B, VM_A, 100, seed=2)
        lab.send("acc", second)
        lab.wait_rx("acc", 2)
        lab.stop()
        up = lab.out("uplink")
        check_count("underlay output", up, 2)
        ttls = [f[14 + 8] for f in up]
        if ttls != [64, 9]:
            raise TestFailure("outer TTLs %s, expected [64, 9]" % ttls)


@test()
def api_churn_loses_nothing_on_other_vnis(ctx):
    """A fixed count of frames on VNI 100 all arrive while 4 096 other VNIs
    are added and deleted over the API: by whole configurations (PUT
    /v1/config, 4 096 at a time) and one request each. Counted, not
    timed."""
    import threading
    n_frames = 20000
    with ctx.lab(access=("acc", "acc2")) as lab:
        _start(lab, vni_yaml(100, [("acc", "untagged")]), fdb=fdb_remote(100, VM_B, R2))
        st, base = lab.api("GET", "/v1/config", expect=200)
        others = [{"vni": 10000 + i,
                   "access": [{"port": "acc2" if i < 4094 else "acc", "vlan": i % 4094 + 1}]}
                  for i in range(4096)]
        big = dict(base, vnis=base["vnis"] + others)
        frames = [inner_frame(VM_B, VM_A, 80, sport=1000 + i % 64, seed=i % 7)
                  for i in range(64)]
        sent = [0]
        errors = []

        def stream():
            try:
                for i in range(n_frames):
                    lab.send("acc", frames[i % 64])
                    sent[0] += 1
                    if i % 200 == 199:
                        time.sleep(0.02)
            except Exception as e:  # reported below, after the join
                errors.append(e)

        t = threading.Thread(target=stream)
        t.start()
        rounds = 0
        try:
            while t.is_alive() or rounds < 2:
                lab.api("PUT", "/v1/config", big, expect=200)
                lab.api("PUT", "/v1/config", base, expect=200)
                for i in range(50):
                    lab.api("PUT", "/v1/vnis/%d" % (20000 + i),
                            {"access": [{"port": "acc2", "vlan": i + 1}]}, expect=201)
                for i in range(50):
                    lab.api("DELETE", "/v1/vnis/%d" % (20000 + i), expect=204)
                rounds += 1
        finally:
            t.join(120)
        if errors:
            raise TestFailure("sending failed: %s" % errors[0])
        lab.wait_rx("acc", n_frames, timeout=60)
        c = lab.stop()
        up = lab.out("uplink")
        check_count("underlay output (frames on VNI 100)", up, n_frames)
        check_counters(c, {"vni.100.encap_packets": n_frames, "port.acc.rx_packets": n_frames,
                           "port.uplink.tx_packets": n_frames})
        check_drops(c, {})
        print("%d frames, %d rounds of 4 096 VNIs in and out and 100 single requests" %
              (n_frames, rounds))


@test()
def flood_over_a_burst_of_remotes_counted(ctx):
    """A flood list longer than a burst (40 remotes, copies go out in rounds
    of 32) sends one copy to each and counts every copy in encap_packets and
    flood_copies: the rounds were once counted apart and drifted."""
    remotes = ["198.18.0.%d" % (100 + i) for i in range(40)]
    neigh = {ip: "02:00:00:00:01:%02x" % i for i, ip in enumerate(remotes)}
    with ctx.lab() as lab:
        lab.start(lab.config(vni_yaml(100, [("acc", "untagged")], remotes), neighbors=neigh))
        bcast = inner_frame("ff:ff:ff:ff:ff:ff", VM_A, 100, seed=5)
        lab.send("acc", bcast)
        lab.wait_rx("acc", 1)
        c = lab.stop()
        up = lab.out("uplink")
        check_count("underlay output", up, 40)
        got = sorted(outer_dst_ip(f) for f in up)
        if got != sorted(remotes):
            raise TestFailure("copies went to %s, expected one to each of the 40" % got)
        for f in up:
            ip = outer_dst_ip(f)
            if f[0:6] != mac(neigh[ip]) or outer_inner(f) != bcast:
                raise TestFailure("the copy to %s has outer MAC %s or another inner frame" %
                                  (ip, f[0:6].hex(":")))
        check_counters(c, {"vni.100.flood_packets": 1, "vni.100.flood_copies": 40,
                           "vni.100.encap_packets": 40})
        check_drops(c, {})


@test()
def api_flood_mode_changes_lose_nothing_on_other_vnis(ctx):
    """VNI 200 goes round its flood modes over PUT /v1/vnis/200 (head-end,
    service-node, multicast, replicator, storm-limited) while a fixed count of frames
    on VNI 100 streams: all of them arrive. Then VNI 200 floods the way its
    last mode says. Counted, not timed."""
    import threading
    n_frames = 5000
    modes = [
        {"flood": "head-end", "remotes": [R2, R3]},
        {"flood": "service-node", "service_node": R3},
        {"flood": "multicast", "group": "239.1.1.200"},
        {"flood": "head-end", "remotes": [R2, R3], "replicator": True},
        {"flood": "head-end", "remotes": [R2], "bum_limit_pps": 1000},
    ]
    with ctx.lab(access=("acc", "acc2")) as lab:
        _start(lab, vni_yaml(100, [("acc", "untagged")]) + vni_yaml(200, [("acc2", "untagged")]),
               fdb=fdb_remote(100, VM_B, R2))
        frames = [inner_frame(VM_B, VM_A, 80, sport=1000 + i % 64, seed=i % 7)
                  for i in range(64)]
        errors = []

        def stream():
            try:
                for i in range(n_frames):
                    lab.send("acc", frames[i % 64])
                    if i % 200 == 199:
                        time.sleep(0.02)
            except Exception as e:  # reported below, after the join
                errors.append(e)

        t = threading.Thread(target=stream)
        t.start()
        rounds = 0
        try:
            while t.is_alive() or rounds < 2:
                for m in modes:
                    lab.api("PUT", "/v1/vnis/200", dict(m, access=[{"port": "acc2"}]),
                            expect=200)
                rounds += 1
        finally:
            t.join(120)
        if errors:
            raise TestFailure("sending failed: %s" % errors[0])
        lab.wait_rx("acc", n_frames, timeout=60)
        lab.api("PUT", "/v1/vnis/200", dict(modes[1], access=[{"port": "acc2"}]), expect=200)
        bcast = inner_frame("ff:ff:ff:ff:ff:ff", VM_A, 90, seed=9)
        lab.send("acc2", bcast)
        lab.wait_rx("acc2", 1)
        lab.wait_for("VNI 200's broadcast encapsulated",
                     lambda c: c.get("vni.200.encap_packets", 0) >= 1 and
                     c.get("port.uplink.tx_packets", 0) >= n_frames + 1)
        c = lab.stop()
        # VXLAN only: the multicast round made vtepd join and leave its
        # group, and those IGMP frames went out on the underlay too.
        up = [f for f in lab.out("uplink") if f[23] == 17 and f[36:38] == b"\x12\xb5"]
        check_count("VXLAN on the underlay", up, n_frames + 1)
        check_encap("VNI 200's broadcast, to its service node", up[-1], bcast, 200, R3)
        check_counters(c, {"vni.100.encap_packets": n_frames, "port.acc.rx_packets": n_frames})
        check_drops(c, {})
        print("%d frames on VNI 100, %d rounds of %d flood modes on VNI 200" %
              (n_frames, rounds, len(modes)))
