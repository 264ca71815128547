# SPDX-License-Identifier: BSD-3-Clause
"""
ARP suppression (arp_suppress: true): a request from the access side for an
address the VNI knows is answered on the binding it came from instead of
being flooded; bindings come from the configuration (neighbors) or from
snooping ARP replies and gratuitous ARPs in either direction.
"""

from pkt import (
    R2, VM_A, VM_B, TestFailure, arp_frame, check_count, check_counters, check_drops,
    check_encap, check_frame, push_vlan, test, vni_yaml, vxlan_frame,
)

VM_T = "02:00:00:00:00:05"    # a static binding: 10.0.0.5 is here
VM_C = "02:cc:00:00:00:0c"    # a VM on the access side that announces itself
ZERO = "00:00:00:00:00:00"
IP_A, IP_T, IP_B, IP_C = "10.0.0.10", "10.0.0.5", "10.0.0.20", "10.0.0.30"
OP_REQUEST, OP_REPLY = 1, 2

SUPPRESS = 'arp_suppress: true\nneighbors: [{ ip: %s, mac: "%s" }]' % (IP_T, VM_T)


def request(target, sha=VM_A, spa=IP_A):
    return arp_frame(OP_REQUEST, sha, spa, ZERO, target)


def reply_to_a(sha, spa):
    """The reply VM_A (IP_A) gets for spa, from sha."""
    return arp_frame(OP_REPLY, sha, spa, VM_A, IP_A, dst=VM_A)


def arp_counters(c, suppressed, flooded, learned):
    check_counters(c, {"vni.100.arp_suppressed": suppressed, "vni.100.arp_flooded": flooded,
                       "vni.100.arp_learned": learned})


@test()
def arp_request_for_static_binding_answered(ctx):
    """A request for a static binding is answered on the access binding it
    came from, tagged like it, every field of the reply set (Ethernet
    destination the requester, source the binding's MAC, opcode 2, sender
    the target's MAC and address, target the requester's), and nothing is
    flooded to the underlay."""
    with ctx.lab() as lab:
        lab.start(lab.config(vni_yaml(100, [("acc", 10)], [R2], extra=SUPPRESS)))
        lab.send("acc", push_vlan(request(IP_T), 10))
        lab.wait_out("acc", 1)
        c = lab.wait_for("the answer counted", lambda c: c.get("vni.100.arp_suppressed") == 1)
        c = lab.stop()
        acc = lab.out("acc")
        check_count("access output", acc, 1)
        check_frame("ARP reply", push_vlan(reply_to_a(VM_T, IP_T), 10), acc[0])
        check_count("underlay output", lab.out("uplink"), 0)
        arp_counters(c, 1, 0, 0)
        check_counters(c, {"vni.100.flood_packets": 0, "vni.100.encap_packets": 0})
        check_drops(c, {})


@test()
def arp_request_for_unknown_ip_flooded(ctx):
    """A request for an address the VNI does not know is flooded as before
    and counted as arp_flooded; nothing answers it locally."""
    with ctx.lab() as lab:
        lab.start(lab.config(vni_yaml(100, [("acc", "untagged")], [R2], extra=SUPPRESS)))
        req = request("10.0.0.99")
        lab.send("acc", req)
        lab.wait_out("uplink", 1)
        c = lab.stop()
        up = lab.out("uplink")
        check_count("underlay output", up, 1)
        check_encap("flooded request", up[0], req, 100, R2)
        check_count("access output", lab.out("acc"), 0)
        arp_counters(c, 0, 1, 0)
        check_counters(c, {"vni.100.flood_packets": 1})


@test()
def arp_reply_from_tunnel_snooped_then_answered(ctx):
    """A remote VM's ARP reply, decapsulated, teaches the VNI its binding
    (arp_learned); the next request for that address is answered locally
    with the remote VM's MAC. A reply that claims a static binding's
    address for another MAC changes nothing: static wins."""
    with ctx.lab() as lab:
        lab.start(lab.config(vni_yaml(100, [("acc", "untagged")], [R2], extra=SUPPRESS)))
        lab.send("und", vxlan_frame(reply_to_a(VM_B, IP_B), 100, src_ip=R2))
        lab.send("und", vxlan_frame(reply_to_a(VM_B, IP_T), 100, src_ip=R2))
        lab.wait_out("acc", 2)
        lab.wait_for("the remote VM's binding learned",
                     lambda c: c.get("vni.100.arp_learned") == 1)
        lab.send("acc", [request(IP_B), request(IP_T)])
        lab.wait_out("acc", 4)
        c = lab.stop()
        acc = lab.out("acc")
        check_count("access output", acc, 4)
        check_frame("reply for the learned binding", reply_to_a(VM_B, IP_B), acc[2])
        check_frame("reply for the static binding", reply_to_a(VM_T, IP_T), acc[3])
        check_count("underlay output", lab.out("uplink"), 0)
        arp_counters(c, 2, 0, 1)


@test()
def gratuitous_arp_snooped_not_answered(ctx):
    """A gratuitous ARP request (sender IP == target IP) from the access side
    is flooded, never answered, even for a known address; its binding is
    learned, so that another VM's request for it is then answered."""
    with ctx.lab() as lab:
        lab.start(lab.config(vni_yaml(100, [("acc", "untagged")], [R2], extra=SUPPRESS)))
        garp = request(IP_C, sha=VM_C, spa=IP_C)
        lab.send("acc", garp)
        lab.wait_out("uplink", 1)
        lab.wait_for("the announced binding learned",
                     lambda c: c.get("vni.100.arp_learned") == 1)
        # Announced again: a refresh, not a second binding; still flooded.
        lab.send("acc", garp)
        lab.wait_out("uplink", 2)
        lab.send("acc", request(IP_C))
        lab.wait_out("acc", 1)
        c = lab.stop()
        up = lab.out("uplink")
        check_count("underlay output", up, 2)
        check_encap("gratuitous ARP", up[0], garp, 100, R2)
        acc = lab.out("acc")
        check_count("access output", acc, 1)
        check_frame("reply for the announced binding", reply_to_a(VM_C, IP_C), acc[0])
        arp_counters(c, 1, 0, 1)


@test()
def arp_suppress_off_floods(ctx):
    """Without arp_suppress, a request for a configured neighbour is flooded
    like any broadcast, and the ARP counters stay at zero."""
    with ctx.lab() as lab:
        lab.start(lab.config(vni_yaml(100, [("acc", "untagged")], [R2],
                                      extra='neighbors: [{ ip: %s, mac: "%s" }]' %
                                      (IP_T, VM_T))))
        req = request(IP_T)
        lab.send("acc", req)
        lab.send("und", vxlan_frame(reply_to_a(VM_B, IP_B), 100, src_ip=R2))
        lab.wait_out("uplink", 1)
        lab.wait_out("acc", 1)
        c = lab.stop()
        up = lab.out("uplink")
        check_count("underlay output", up, 1)
        check_encap("flooded request", up[0], req, 100, R2)
        arp_counters(c, 0, 0, 0)
        check_counters(c, {"vni.100.flood_packets": 1})


@test()
def api_neighbor_answers_and_lists(ctx):
    """A binding added over the API answers at once; GET lists it as static
    next to a learned one with its age; DELETE makes the next request
    flood."""
    with ctx.lab() as lab:
        lab.start(lab.config(vni_yaml(100, [("acc", "untagged")], [R2],
                                      extra="arp_suppress: true"), top_extra=lab.API_YAML))
        lab.api("POST", "/v1/vnis/100/neighbors", {"ip": IP_T, "mac": VM_T}, expect=201)
        lab.send("und", vxlan_frame(reply_to_a(VM_B, IP_B), 100, src_ip=R2))
        lab.wait_for("the remote VM's binding learned",
                     lambda c: c.get("vni.100.arp_learned") == 1)
        _, doc = lab.api("GET", "/v1/vnis/100/neighbors", expect=200)
        got = sorted((n["ip"], n["mac"], n["type"]) for n in doc["neighbors"])
        if got != [(IP_B, VM_B, "learned"), (IP_T, VM_T, "static")]:
            raise TestFailure("neighbors: %r" % (doc,))
        lab.send("acc", request(IP_T))
        lab.wait_out("acc", 2)
        lab.api("DELETE", "/v1/vnis/100/neighbors/" + IP_T, expect=204)
        lab.send("acc", request(IP_T))
        lab.wait_out("uplink", 1)
        c = lab.stop()
        acc = lab.out("acc")
        check_count("access output", acc, 2)
        check_frame("reply for the API's binding", reply_to_a(VM_T, IP_T), acc[1])
        arp_counters(c, 1, 1, 1)
