# SPDX-License-Identifier: BSD-3-Clause
"""
The static IPv4 -> MAC bindings of a VNI (ARP suppression):
POST/GET/DELETE /v1/vnis/{vni}/neighbors, the validator's words for what it
refuses, arp_suppress and neighbors in the VNI document, and persistence
across a restart. Imported by run.py, which lists and runs these tests like
the others.
"""

from apitest import check, expect_error, test

IP_T = "10.0.0.5"
MAC_T = "02:00:00:00:00:05"
MAC_U = "02:00:00:00:00:06"


@test
def vni_neighbors_add_list_delete(ctx):
    """POST adds a static binding (201), the same again is 200, another MAC
    for the address is 409; GET lists it as static with age 0 and the VNI
    document has it in neighbors; DELETE removes it (204), then 404."""
    with ctx.daemon() as d:
        c = d.client
        check(c.expect(200, "GET", "/v1/vnis/100/neighbors").body == {"neighbors": []},
              "no bindings at first")
        a = c.expect(201, "POST", "/v1/vnis/100/neighbors", {"ip": IP_T, "mac": MAC_T})
        check(a.body == {"ip": IP_T, "mac": MAC_T, "type": "static", "age_s": 0},
              "POST answer %r", a.body)
        c.expect(200, "POST", "/v1/vnis/100/neighbors", {"ip": IP_T, "mac": MAC_T})
        expect_error(c.post("/v1/vnis/100/neighbors", {"ip": IP_T, "mac": MAC_U}), 409,
                     field="mac", reason="another MAC", what="another MAC")
        ns = c.expect(200, "GET", "/v1/vnis/100/neighbors").body["neighbors"]
        check(ns == [{"ip": IP_T, "mac": MAC_T, "type": "static", "age_s": 0}],
              "bindings %r", ns)
        v = c.expect(200, "GET", "/v1/vnis/100").body
        check(v.get("neighbors") == [{"ip": IP_T, "mac": MAC_T}], "VNI document %r", v)
        c.expect(204, "DELETE", "/v1/vnis/100/neighbors/" + IP_T)
        expect_error(c.delete("/v1/vnis/100/neighbors/" + IP_T), 404, field="ip",
                     what="second DELETE")
        check(c.expect(200, "GET", "/v1/vnis/100/neighbors").body == {"neighbors": []},
              "no bindings after DELETE")
        check("neighbors" not in c.expect(200, "GET", "/v1/vnis/100").body,
              "the VNI document keeps no empty neighbors")


@test
def vni_neighbors_refused(ctx):
    """What the rules refuse, in their words and with the body's field; an
    unknown VNI is 404; a refused request changes nothing."""
    with ctx.daemon() as d:
        c = d.client
        expect_error(c.post("/v1/vnis/100/neighbors", {"ip": "10.0.0", "mac": MAC_T}), 400,
                     field="ip", reason="is not an IPv4 address", what="bad address")
        expect_error(c.post("/v1/vnis/100/neighbors", {"ip": "224.0.0.5", "mac": MAC_T}),
                     400, field="ip", reason="is not a unicast address", what="multicast")
        expect_error(c.post("/v1/vnis/100/neighbors", {"ip": IP_T, "mac": "01:00:5e:00:00:01"}),
                     400, field="mac", reason="multicast MAC", what="multicast MAC")
        expect_error(c.post("/v1/vnis/100/neighbors", {"ip": IP_T, "mac": "zz"}), 400,
                     field="mac", reason="is not a MAC address", what="bad MAC")
        expect_error(c.post("/v1/vnis/100/neighbors", {"ip": IP_T}), 400, field="mac",
                     reason="missing", what="no MAC")
        expect_error(c.post("/v1/vnis/100/neighbors", {"ip": IP_T, "mac": MAC_T, "x": 1}),
                     400, field="x", reason="unknown field", what="unknown field")
        expect_error(c.post("/v1/vnis/999/neighbors", {"ip": IP_T, "mac": MAC_T}), 404,
                     field="vni", what="unknown VNI")
        expect_error(c.get("/v1/vnis/999/neighbors"), 404, field="vni", what="GET unknown VNI")
        expect_error(c.delete("/v1/vnis/100/neighbors/10.0.0"), 400, field="ip",
                     what="DELETE bad address")
        expect_error(c.put("/v1/vnis/100", {"vni": 100, "access": [{"port": "vm1"}],
                                             "arp_suppress": "yes"}), 400,
                     field="arp_suppress", what="arp_suppress not a boolean")
        check(c.expect(200, "GET", "/v1/vnis/100/neighbors").body == {"neighbors": []},
              "nothing changed")


@test
def vni_neighbors_persist(ctx):
    """arp_suppress and static bindings set over the API survive a restart."""
    with ctx.daemon() as d:
        c = d.client
        v = c.expect(200, "GET", "/v1/vnis/101").body
        v["arp_suppress"] = True
        c.expect(200, "PUT", "/v1/vnis/101", v)
        c.expect(201, "POST", "/v1/vnis/101/neighbors", {"ip": IP_T, "mac": MAC_T})
        before = c.expect(200, "GET", "/v1/vnis/101").body
        check(before.get("arp_suppress") is True and
              before.get("neighbors") == [{"ip": IP_T, "mac": MAC_T}], "VNI %r", before)
        d.stop()
        d.start()
        check(c.expect(200, "GET", "/v1/vnis/101").body == before, "VNI 101 after a restart")
        ns = c.expect(200, "GET", "/v1/vnis/101/neighbors").body["neighbors"]
        check(ns == [{"ip": IP_T, "mac": MAC_T, "type": "static", "age_s": 0}],
              "bindings after a restart %r", ns)
