# SPDX-License-Identifier: BSD-3-Clause
"""
REST API tests of vtepd, one behaviour each, against a running vtepd on
net_null devices (see apitest.py). Every answer is validated against
docs/openapi.yaml.

    run.py NAME --vtepd PATH [--build DIR]
    run.py --list

Exit status: 0 pass, 1 fail, 77 skip (meson's skip code).
"""

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import threading
import time
import traceback
import urllib.error

# No __pycache__ in the source tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# tests/ last: its folders must not shadow the modules above.
sys.path.append(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import yaml  # noqa: E402

from testrun import run_test  # noqa: E402
from apitest import (  # noqa: E402
    BODY_LIMIT, OPENAPI, R2, R3, R4, ROUTES_DEF, SRC, TESTS, TOKEN, Client, Daemon,
    TestFailure, check, expect_error, free_port, reap_stale, spec, test,
)

# The metrics tests register themselves with @test, like those below.
import cases_metrics  # noqa: E402,F401
import cases_neighbors  # noqa: E402,F401

MAC_A = "02:aa:00:00:00:0a"
MAC_B = "02:bb:00:00:00:0b"
MAC_C = "02:cc:00:00:00:0c"


def vni_body(vni=None, port="vm2", vlan=200, remotes=(R2,), **extra):
    b = {"access": [{"port": port, "vlan": vlan}], "flood": "head-end",
         "remotes": list(remotes)}
    if vni is not None:
        b["vni"] = vni
    b.update(extra)
    return b


def vni_ids(c):
    return sorted(v["vni"] for v in c.expect(200, "GET", "/v1/vnis").body["vnis"])


# ---- the document itself ----------------------------------------------------

@test
def openapi_lint(ctx):
    """docs/openapi.yaml passes @redocly/cli lint (its recommended rules)."""
    npx = shutil.which("npx")
    if npx is None:
        raise Skip("npx is not installed")
    p = subprocess.run([npx, "--yes", "@redocly/cli@2.77.0", "lint", OPENAPI],
                       capture_output=True, text=True, timeout=50, cwd=SRC)
    out = p.stdout + p.stderr
    check(p.returncode == 0, "redocly lint failed (%d):\n%s", p.returncode, out[-4000:])


@test
def openapi_matches_routes(ctx):
    """Every route of lib/api/routes.def is an operation of openapi.yaml,
    and the document has no operation that routes.def lacks."""
    with open(ROUTES_DEF) as f:
        text = f.read()
    routes = set()
    for m in re.finditer(r'^API_ROUTE\(\s*(\w+)\s*,\s*"([^"]+)"', text, re.M):
        routes.add((m.group(1).upper(), m.group(2)))
    check(routes, "no API_ROUTE lines in %s", ROUTES_DEF)
    doc = set()
    for p, item in spec().doc["paths"].items():
        for meth in ("get", "put", "post", "delete", "patch"):
            if meth in item:
                doc.add((meth.upper(), p))
    missing = sorted(routes - doc)
    extra = sorted(doc - routes)
    check(not missing and not extra, "routes.def and openapi.yaml differ:\n"
          "  in routes.def only: %s\n  in openapi.yaml only: %s", missing, extra)


# ---- health and auth ----------------------------------------------------------

@test
def health_without_token(ctx):
    """GET /v1/health answers without a token: status ok, the version, the
    uptime and one worker."""
    with ctx.daemon() as d:
        a = d.client.expect(200, "GET", "/v1/health", token=False)
        check(a.body["status"] == "ok", "status %r", a.body)
        check(a.body["workers"] == 1, "workers %r, expected 1 (lcores 0,1)", a.body)
        check(a.body["uptime_s"] < 60, "uptime_s %r just after start", a.body)


@test
def auth_missing_token(ctx):
    """Without a token every route but health, and unknown paths too, are
    401 with WWW-Authenticate: Bearer."""
    with ctx.daemon() as d:
        for meth, path in [("GET", "/v1/vnis"), ("GET", "/v1/config"),
                           ("DELETE", "/v1/vnis/100"), ("GET", "/v1/nosuch")]:
            a = d.client.request(meth, path, token=False)
            expect_error(a, 401, what="%s %s without a token" % (meth, path))
            check(a.headers.get("WWW-Authenticate") == "Bearer",
                  "%s %s: WWW-Authenticate %r", meth, path, a.headers.get("WWW-Authenticate"))
        a = d.client.request("PUT", "/v1/vnis/300", vni_body(), token=False)
        expect_error(a, 401, what="PUT without a token")
        check(vni_ids(d.client) == [100, 101], "a refused PUT created a VNI")


@test
def auth_wrong_token(ctx):
    """A wrong token (another value, a prefix, another scheme) is 401 with
    WWW-Authenticate: Bearer; the right one with a lower-case scheme is
    taken."""
    with ctx.daemon() as d:
        for tok in ["wrong", TOKEN[:-1], TOKEN + "x", ""]:
            a = d.client.request("GET", "/v1/vnis", token=tok)
            expect_error(a, 401, what="token %r" % tok)
            check(a.headers.get("WWW-Authenticate") == "Bearer", "WWW-Authenticate %r",
                  a.headers.get("WWW-Authenticate"))
        a = d.client.request("GET", "/v1/vnis", token=False,
                             headers={"Authorization": "Basic " + TOKEN})
        expect_error(a, 401, what="Basic scheme")
        d.client.expect(200, "GET", "/v1/vnis", token=False,
                        headers={"Authorization": "bearer " + TOKEN})


@test
def token_file_mode_refused(ctx):
    """A token file that group or others may read (0640, 0604) stops vtepd
    at start, naming the file; nothing listens."""
    for mode in (0o640, 0o604):
        with Daemon(ctx.vtepd, ctx.name, keep_dir=ctx.keep) as d:
            os.chmod(d.token_path, mode)
            out = d.start_refused()
            check(d.token_path in out, "mode %o: the message does not name %s:\n%s", mode,
                  d.token_path, out[-2000:])
            check("api: listening" not in out, "mode %o: the API listened:\n%s", mode, out)


@test
def no_token_beyond_loopback_refused(ctx):
    """listen beyond loopback without token_file stops vtepd at start with
    api.listen and the reason."""
    with Daemon(ctx.vtepd, ctx.name, keep_dir=ctx.keep,
                api_extra={"listen": "0.0.0.0:%d" % free_port(), "token_file": None}) as d:
        out = d.start_refused()
        check(re.search(r"api\.listen: .*not loopback; a token_file is required", out),
              "no api.listen refusal in the output:\n%s", out[-2000:])


@test
def url_too_long(ctx):
    """A path over 2048 bytes is 414 with an Error body, before the route
    is looked up."""
    with ctx.daemon() as d:
        a = d.client.get("/v1/vnis/" + "1" * 2100)
        expect_error(a, 414, what="a path of 2110 bytes")


@test
def query_too_long(ctx):
    """A URL over 2048 bytes by its query string is 414 too: the bound is
    on the URL, not on its path."""
    with ctx.daemon() as d:
        d.client.expect(200, "GET", "/v1/vnis/100?x=" + "a" * 1000)
        a = d.client.get("/v1/vnis/100?x=" + "a" * 2100)
        expect_error(a, 414, what="a URL of 2117 bytes (its query 2102)")


# ---- every route ----------------------------------------------------------------

@test
def underlay_get_and_patch(ctx):
    """GET /v1/underlay is the YAML's underlay; PATCH changes ttl, tos, df,
    ecn, source_ports and mtu, answers the new underlay, and GET and
    GET /v1/config then show it."""
    with ctx.daemon() as d:
        c = d.client
        u = c.expect(200, "GET", "/v1/underlay").body
        check(u["port"] == "uplink" and u["address"] == "198.18.0.1/24",
              "underlay %r", u)
        check(len(u.get("neighbors", [])) == 2, "neighbors %r", u)
        patch = {"ttl": 17, "tos": 32, "df": False, "ecn": "off",
                 "source_ports": "50000-50999", "mtu": 9000}
        a = c.expect(200, "PATCH", "/v1/underlay", patch)
        for k, v in patch.items():
            check(a.body.get(k) == v, "PATCH answer: %s is %r, expected %r", k,
                  a.body.get(k), v)
        check(a.body["address"] == u["address"], "PATCH changed the address: %r", a.body)
        u2 = c.expect(200, "GET", "/v1/underlay").body
        check(u2 == a.body, "GET after PATCH %r differs from the PATCH answer %r", u2, a.body)
        c.expect(200, "PATCH", "/v1/underlay", {"ttl": "inherit", "tos": "inherit"})
        u3 = c.expect(200, "GET", "/v1/config").body["underlay"]
        check(u3.get("ttl") == "inherit" and u3.get("tos") == "inherit" and
              u3.get("mtu") == 9000, "config's underlay after the second PATCH: %r", u3)


@test
def ports_get(ctx):
    """GET /v1/ports lists the three ports with role, MAC, queues, link and
    counters; the underlay has the MAC of the YAML."""
    with ctx.daemon() as d:
        ports = d.client.expect(200, "GET", "/v1/ports").body["ports"]
        check([p["name"] for p in ports] == ["uplink", "vm1", "vm2"], "ports %r", ports)
        check([p["role"] for p in ports] == ["underlay", "access", "access"], "roles %r", ports)
        check(ports[0]["mac"].lower() == "02:00:00:00:00:01", "uplink MAC %r", ports[0])
        for p in ports:
            check(p["rx_queues"] == 1, "%s rx_queues %r", p["name"], p["rx_queues"])
            check("rx_packets" in p["counters"], "%s has no rx_packets: %r", p["name"], p)


@test
def vnis_list(ctx):
    """GET /v1/vnis lists the VNIs of the YAML as the YAML has them;
    GET /v1/vnis/{vni} gives one."""
    with ctx.daemon() as d:
        vs = d.client.expect(200, "GET", "/v1/vnis").body["vnis"]
        check([v["vni"] for v in vs] == [100, 101], "vnis %r", vs)
        check(vs[1]["access"] == [{"port": "vm2", "vlan": 10}], "VNI 101 access %r", vs[1])
        check(vs[1]["remotes"] == [R2, R3], "VNI 101 remotes %r", vs[1])
        one = d.client.expect(200, "GET", "/v1/vnis/101").body
        check(one == vs[1], "GET /v1/vnis/101 %r differs from the list's %r", one, vs[1])


@test
def vni_post_creates(ctx):
    """POST /v1/vnis creates: 201 with the VNI as the YAML would have it,
    which GET then returns."""
    with ctx.daemon() as d:
        body = vni_body(300, learning=False, mac_limit=10, ageing=60, inner_vlan="accept")
        a = d.client.expect(201, "POST", "/v1/vnis", body)
        check(a.body["vni"] == 300 and a.body["access"] == body["access"] and
              a.body["remotes"] == [R2] and a.body.get("learning") is False and
              a.body.get("mac_limit") == 10 and a.body.get("ageing") == 60 and
              a.body.get("inner_vlan") == "accept", "POST answer %r", a.body)
        g = d.client.expect(200, "GET", "/v1/vnis/300").body
        check(g == a.body, "GET %r differs from the POST answer %r", g, a.body)
        check(vni_ids(d.client) == [100, 101, 300], "VNIs %r", vni_ids(d.client))


@test
def vni_put_create_replace(ctx):
    """PUT /v1/vnis/{vni}: 201 when it creates, 200 when it replaces, 200
    again for the same body (idempotent), and GET shows the last one."""
    with ctx.daemon() as d:
        c = d.client
        a = c.expect(201, "PUT", "/v1/vnis/300", vni_body())
        check(a.body["vni"] == 300, "PUT without vni in the body: %r", a.body)
        b2 = vni_body(300, remotes=[R2, R3], vlan=201)
        a = c.expect(200, "PUT", "/v1/vnis/300", b2)
        check(a.body["remotes"] == [R2, R3] and a.body["access"][0]["vlan"] == 201,
              "replaced VNI %r", a.body)
        again = c.expect(200, "PUT", "/v1/vnis/300", b2)
        check(again.body == a.body, "the same PUT twice: %r then %r", a.body, again.body)
        check(c.expect(200, "GET", "/v1/vnis/300").body == a.body, "GET after PUT differs")
        a = c.request("PUT", "/v1/vnis/300", vni_body(301))
        expect_error(a, 400, field="vni", what="body VNI differs from the path")


@test
def vni_delete(ctx):
    """DELETE /v1/vnis/{vni}: 204 with no body, then GET 404 and a second
    DELETE 404; its FDB entries go with it."""
    with ctx.daemon() as d:
        c = d.client
        c.expect(201, "PUT", "/v1/vnis/300", vni_body())
        c.expect(201, "POST", "/v1/vnis/300/fdb", {"mac": MAC_A, "remote": R3})
        a = c.expect(204, "DELETE", "/v1/vnis/300")
        check(a.raw == b"", "204 with a body: %r", a.raw)
        expect_error(c.get("/v1/vnis/300"), 404, field="vni", what="GET after DELETE")
        expect_error(c.delete("/v1/vnis/300"), 404, field="vni", what="second DELETE")
        cf = c.expect(200, "GET", "/v1/config").body
        check(all(e["vni"] != 300 for e in cf.get("fdb", [])),
              "FDB entries of the deleted VNI remain: %r", cf.get("fdb"))
        c.expect(201, "PUT", "/v1/vnis/300", vni_body())
        st = c.expect(200, "GET", "/v1/vnis/300/stats").body
        check(st.get("fdb_entries", 0) == 0, "VNI 300 created again has entries: %r", st)


@test
def fdb_static_entries(ctx):
    """POST /v1/vnis/{vni}/fdb adds a remote and a local entry (201);
    GET ?type=static lists them with vni, type, age and last seen;
    ?type=learned is empty; DELETE .../fdb/{mac} removes one (204), then
    404."""
    with ctx.daemon() as d:
        c = d.client
        a = c.expect(201, "POST", "/v1/vnis/101/fdb", {"mac": MAC_A, "remote": R3})
        check(a.body == {"added": 1, "existing": 0}, "POST answer %r", a.body)
        c.expect(201, "POST", "/v1/vnis/101/fdb", {"mac": MAC_B, "port": "vm2", "vlan": 10})
        es = c.expect(200, "GET", "/v1/vnis/101/fdb?type=static").body["fdb"]
        by = {e["mac"].lower(): e for e in es}
        check(sorted(by) == [MAC_A, MAC_B], "static entries %r", es)
        check(by[MAC_A]["remote"] == R3 and by[MAC_A]["type"] == "static" and
              by[MAC_A]["vni"] == 101, "remote entry %r", by[MAC_A])
        check(by[MAC_B]["port"] == "vm2" and by[MAC_B]["vlan"] == 10, "local entry %r",
              by[MAC_B])
        check(c.expect(200, "GET", "/v1/vnis/101/fdb?type=learned").body["fdb"] == [],
              "learned entries on net_null")
        allof = c.expect(200, "GET", "/v1/vnis/101/fdb").body["fdb"]
        check(len(allof) == 2, "GET without type: %r", allof)
        c.expect(204, "DELETE", "/v1/vnis/101/fdb/" + MAC_A)
        expect_error(c.delete("/v1/vnis/101/fdb/" + MAC_A), 404, what="second DELETE")
        expect_error(c.delete("/v1/vnis/101/fdb/zz:00"), 400, field="mac", what="bad MAC")
        expect_error(c.get("/v1/vnis/101/fdb?type=both"), 400, field="type",
                     what="bad type")
        es = c.expect(200, "GET", "/v1/vnis/101/fdb").body["fdb"]
        check([e["mac"].lower() for e in es] == [MAC_B], "after DELETE: %r", es)


@test
def fdb_flush_learned(ctx):
    """DELETE /v1/vnis/{vni}/fdb?type=learned flushes learned entries only
    (static ones stay); without type=learned it is refused."""
    with ctx.daemon() as d:
        c = d.client
        c.expect(201, "POST", "/v1/vnis/100/fdb", {"mac": MAC_A, "remote": R3})
        a = c.expect(200, "DELETE", "/v1/vnis/100/fdb?type=learned")
        check(a.body == {"flushed": 0}, "flush answer %r", a.body)
        expect_error(c.delete("/v1/vnis/100/fdb"), 400, field="type", what="no type")
        expect_error(c.delete("/v1/vnis/100/fdb?type=static"), 400, field="type",
                     what="type=static")
        expect_error(c.delete("/v1/vnis/999/fdb?type=learned"), 404, field="vni",
                     what="unknown VNI")
        es = c.expect(200, "GET", "/v1/vnis/100/fdb").body["fdb"]
        check(len(es) == 1 and es[0]["type"] == "static", "after the flush: %r", es)


@test
def remotes_add_delete(ctx):
    """POST /v1/vnis/{vni}/remotes adds to the flood list (201, then 200
    for the same one); DELETE .../remotes/{ip} removes it (204, then 404)."""
    with ctx.daemon() as d:
        c = d.client
        a = c.expect(201, "POST", "/v1/vnis/100/remotes", {"remote": R3})
        check(a.body == {"vni": 100, "remote": R3}, "POST answer %r", a.body)
        check(c.get("/v1/vnis/100").body["remotes"] == [R2, R3], "flood list after POST")
        c.expect(200, "POST", "/v1/vnis/100/remotes", {"remote": R3})
        check(c.get("/v1/vnis/100").body["remotes"] == [R2, R3], "the same remote twice")
        c.expect(204, "DELETE", "/v1/vnis/100/remotes/" + R2)
        check(c.get("/v1/vnis/100").body["remotes"] == [R3], "flood list after DELETE")
        expect_error(c.delete("/v1/vnis/100/remotes/" + R2), 404, what="second DELETE")
        expect_error(c.delete("/v1/vnis/100/remotes/1.2.3"), 400, field="ip",
                     what="bad address")
        expect_error(c.post("/v1/vnis/100/remotes", {"remote": "198.18.0.1"}), 400,
                     field="remote", what="the local address as a remote")


@test
def neighbors_get(ctx):
    """GET /v1/neighbors has the two static neighbours of the YAML."""
    with ctx.daemon() as d:
        ns = d.client.expect(200, "GET", "/v1/neighbors").body["neighbors"]
        got = {n["ip"]: (n["state"], (n["mac"] or "").lower()) for n in ns}
        check(got.get(R2) == ("static", "02:00:00:00:00:02") and
              got.get(R3) == ("static", "02:00:00:00:00:03"), "neighbours %r", ns)


@test
def stats_get(ctx):
    """GET /v1/stats has ports, VNIs, drops, workers and the control
    plane; GET /v1/vnis/{vni}/stats is the VNI's entry, 404 for another."""
    with ctx.daemon() as d:
        c = d.client
        s = c.expect(200, "GET", "/v1/stats").body
        check([p["name"] for p in s["ports"]] == ["uplink", "vm1", "vm2"], "ports %r",
              s["ports"])
        check(sorted(v["vni"] for v in s["vnis"]) == [100, 101], "vnis %r", s["vnis"])
        check(len(s["workers"]) == 1, "workers %r", s["workers"])
        check("unknown_vni" in s["drops"], "drops %r", s["drops"])
        v = c.expect(200, "GET", "/v1/vnis/101/stats").body
        check(v["vni"] == 101 and v.get("encap_packets") == 0, "VNI 101 stats %r", v)
        expect_error(c.get("/v1/vnis/4242/stats"), 404, field="vni", what="unknown VNI")


# ---- the whole configuration ------------------------------------------------------

@test
def config_get_json_yaml(ctx):
    """GET /v1/config is the running configuration in the YAML schema,
    as JSON, and as YAML with Accept: application/yaml; both say the same."""
    with ctx.daemon() as d:
        c = d.client
        j = c.expect(200, "GET", "/v1/config").body
        check([v["vni"] for v in j["vnis"]] == [100, 101], "vnis %r", j["vnis"])
        check(j["state_file"] == d.state_path, "state_file %r", j.get("state_file"))
        check(j["api"]["token_file"] == d.token_path, "api %r", j.get("api"))
        a = c.expect(200, "GET", "/v1/config", headers={"Accept": "application/yaml"})
        check(a.headers.get("Content-Type", "").startswith("application/yaml"),
              "Content-Type %r", a.headers.get("Content-Type"))
        y = yaml.safe_load(a.body)
        check(y == j, "the YAML form differs from the JSON form:\nYAML %r\nJSON %r", y, j)


@test
def config_put_dry_run_then_apply(ctx):
    """PUT /v1/config?dry_run=true answers the difference and changes
    nothing (GET /v1/config byte for byte); without dry_run the same body
    applies it."""
    with ctx.daemon() as d:
        c = d.client
        before = c.config_raw()
        state_before = d.state_text() if os.path.exists(d.state_path) else None
        cf = json.loads(before)
        cf["vnis"].append(vni_body(300))
        cf["vnis"] = [v for v in cf["vnis"] if v["vni"] != 100]
        cf["underlay"]["ttl"] = 9
        a = c.expect(200, "PUT", "/v1/config?dry_run=true", cf)
        check(a.body["dry_run"] is True and a.body["changes"] >= 3 and
              len(a.body["diff"]) >= 3, "dry run answer %r", a.body)
        text = "\n".join(a.body["diff"])
        check("300" in text and "100" in text, "the diff does not name VNIs 300 and 100: %r",
              a.body["diff"])
        check(c.config_raw() == before, "a dry run changed the configuration")
        if state_before is not None:
            check(d.state_text() == state_before, "a dry run wrote the state file")
        b = c.expect(200, "PUT", "/v1/config", cf)
        check(b.body["dry_run"] is False and b.body["changes"] == a.body["changes"] and
              b.body["diff"] == a.body["diff"], "apply %r differs from the dry run %r",
              b.body, a.body)
        after = c.expect(200, "GET", "/v1/config").body
        check([v["vni"] for v in after["vnis"]] == [101, 300], "vnis after PUT %r",
              after["vnis"])
        check(after["underlay"].get("ttl") == 9, "ttl after PUT %r", after["underlay"])
        same = c.expect(200, "PUT", "/v1/config", after)
        check(same.body["changes"] == 0 and same.body["diff"] == [],
              "PUT of the running configuration: %r", same.body)


@test
def config_put_yaml(ctx):
    """PUT /v1/config takes YAML (Content-Type: application/yaml); a bad
    YAML body is 400 with the field and the line."""
    with ctx.daemon() as d:
        c = d.client
        text = c.config_raw(yaml_form=True).decode()
        cf = yaml.safe_load(text)
        cf["vnis"].append({"vni": 300, "access": [{"port": "vm1", "vlan": 7}]})
        b = c.expect(200, "PUT", "/v1/config", yaml.safe_dump(cf, sort_keys=False),
                     ctype="application/yaml")
        check(b.body["changes"] == 1, "apply answer %r", b.body)
        check(vni_ids(c) == [100, 101, 300], "VNIs %r", vni_ids(c))
        bad = text.replace("vnis:\n", "vnis:\n- vni: 5000\n  access:\n  - port: vm1\n"
                           "    vlan: 4095\n", 1)
        check(bad != text, "no 'vnis:' line in the YAML form:\n%s", text)
        a = c.put("/v1/config", bad, ctype="application/yaml")
        e = expect_error(a, 400, field="vnis[0].access[0].vlan", reason="4095",
                         what="VLAN 4095 in YAML")
        line = 1 + bad.splitlines().index("    vlan: 4095")
        check(e.get("line") == line, "line %r, expected %d", e.get("line"), line)


# ---- errors -----------------------------------------------------------------------

@test
def not_found(ctx):
    """An unknown path and an unknown VNI are 404 with an Error body."""
    with ctx.daemon() as d:
        c = d.client
        for p in ["/v1/nosuch", "/v2/vnis", "/v1/vnis/100/nosuch", "/"]:
            expect_error(c.get(p), 404, what="GET " + p)
        expect_error(c.get("/v1/vnis/4242"), 404, field="vni", reason="4242",
                     what="unknown VNI")
        expect_error(c.delete("/v1/vnis/4242"), 404, field="vni", what="DELETE unknown VNI")
        expect_error(c.post("/v1/vnis/4242/fdb", {"mac": MAC_A, "remote": R2}), 404,
                     field="vni", what="FDB of an unknown VNI")
        expect_error(c.post("/v1/vnis/4242/remotes", {"remote": R2}), 404, field="vni",
                     what="remote of an unknown VNI")
        # deletions name what is missing: the VNI, or the entry in it
        expect_error(c.delete("/v1/vnis/4242/fdb/" + MAC_A), 404, field="vni",
                     what="DELETE fdb entry of an unknown VNI")
        expect_error(c.delete("/v1/vnis/4242/fdb?type=learned"), 404, field="vni",
                     what="flush of an unknown VNI")
        expect_error(c.delete("/v1/vnis/4242/remotes/" + R2), 404, field="vni",
                     what="DELETE remote of an unknown VNI")
        expect_error(c.delete("/v1/vnis/100/fdb/" + MAC_C), 404, field="mac",
                     what="DELETE of an fdb entry that is not there")
        expect_error(c.delete("/v1/vnis/100/remotes/198.18.0.77"), 404, field="ip",
                     what="DELETE of a remote not in the flood list")
        expect_error(c.get("/v1/vnis/0"), 400, field="vni", what="VNI 0")
        expect_error(c.get("/v1/vnis/16777216"), 400, field="vni", what="VNI 2^24")


@test
def method_not_allowed(ctx):
    """A method a path does not take is 405 with Allow listing the ones it
    does."""
    with ctx.daemon() as d:
        c = d.client
        for meth, path, allow in [("DELETE", "/v1/health", {"GET"}),
                                  ("PATCH", "/v1/vnis", {"GET", "POST"}),
                                  ("POST", "/v1/vnis/100", {"GET", "PUT", "DELETE"}),
                                  ("PUT", "/v1/stats", {"GET"}),
                                  ("POST", "/v1/config", {"GET", "PUT"})]:
            a = c.request(meth, path, {} if meth in ("PATCH", "POST", "PUT") else None)
            expect_error(a, 405, what="%s %s" % (meth, path))
            got = {m.strip() for m in (a.headers.get("Allow") or "").split(",") if m.strip()}
            check(got == allow, "%s %s: Allow %r, expected %s", meth, path,
                  a.headers.get("Allow"), sorted(allow))


@test
def conflict_vni_exists(ctx):
    """POST of a VNI that exists is 409 and changes nothing."""
    with ctx.daemon() as d:
        before = d.client.config_raw()
        a = d.client.post("/v1/vnis", vni_body(101, vlan=300))
        expect_error(a, 409, what="POST of VNI 101")
        check(d.client.config_raw() == before, "a 409 changed the configuration")


@test
def conflict_binding_in_use(ctx):
    """A VNI whose binding belongs to another VNI is 409, by POST and by
    PUT, naming the binding."""
    with ctx.daemon() as d:
        c = d.client
        before = c.config_raw()
        a = c.post("/v1/vnis", vni_body(300, port="vm2", vlan=10))
        expect_error(a, 409, reason="VNI 101", what="POST binding vm2 VLAN 10")
        a = c.put("/v1/vnis/300", vni_body(port="vm1", vlan="untagged"))
        expect_error(a, 409, reason="VNI 100", what="PUT binding vm1 untagged")
        check(c.config_raw() == before, "a 409 changed the configuration")


@test
def bad_json(ctx):
    """A body that is not JSON is 400 with the parser's reason; so are an
    empty body and duplicate keys."""
    with ctx.daemon() as d:
        c = d.client
        for body in ['{"access": [', "{'vni': 1}", "not json", '{"vni": 300,}']:
            expect_error(c.put("/v1/vnis/300", body, ctype="application/json"), 400,
                         what="body %r" % body)
        expect_error(c.put("/v1/vnis/300", b"", ctype="application/json"), 400,
                     what="empty body")
        a = c.put("/v1/vnis/300", '{"access": [{"port": "vm2", "vlan": 5}], '
                  '"access": [{"port": "vm2", "vlan": 6}]}', ctype="application/json")
        expect_error(a, 400, what="duplicate key")
        check(vni_ids(c) == [100, 101], "a refused body created a VNI")


@test
def bad_type(ctx):
    """"vlan": "200" (a quoted number) is 400 naming access[0].vlan; so
    are a number for a name and a string for a boolean."""
    with ctx.daemon() as d:
        c = d.client
        a = c.put("/v1/vnis/300", vni_body(vlan="200"))
        expect_error(a, 400, field="access[0].vlan", reason="200", what='"vlan": "200"')
        a = c.put("/v1/vnis/300", vni_body(learning="yes"))
        expect_error(a, 400, field="learning", what='"learning": "yes"')
        a = c.put("/v1/vnis/300", {"access": [{"port": 7}]})
        expect_error(a, 400, field="access[0].port", what='"port": 7')
        a = c.patch("/v1/underlay", {"mtu": "9000"})
        expect_error(a, 400, field="mtu", what='"mtu": "9000"')
        a = c.put("/v1/vnis/300", {"access": {"port": "vm2"}})
        expect_error(a, 400, field="access", what="access as a mapping")
        check(vni_ids(c) == [100, 101], "a refused body created a VNI")


@test
def unknown_field(ctx):
    """An unknown field is 400 "unknown field" with its path, in a VNI,
    in a binding, in a PATCH and in an FDB entry."""
    with ctx.daemon() as d:
        c = d.client
        expect_error(c.put("/v1/vnis/300", vni_body(colour="blue")), 400, field="colour",
                     reason="unknown field", what="VNI")
        b = vni_body()
        b["access"][0]["speed"] = 1
        expect_error(c.put("/v1/vnis/300", b), 400, field="access[0].speed",
                     reason="unknown field", what="binding")
        expect_error(c.patch("/v1/underlay", {"tll": 3}), 400, field="tll",
                     reason="unknown field", what="PATCH")
        expect_error(c.post("/v1/vnis/100/fdb", {"mac": MAC_A, "remote": R2, "x": 1}), 400,
                     field="x", reason="unknown field", what="FDB entry")
        expect_error(c.post("/v1/vnis/100/remotes", {"remote": R3, "x": 1}), 400, field="x",
                     reason="unknown field", what="remote")
        check(vni_ids(c) == [100, 101], "a refused body created a VNI")


@test
def out_of_range(ctx):
    """Values out of range are 400 with the field and the validator's
    words: VLAN 4095, VNI 2^24, mtu 99, tos 3, a multicast group that is
    none."""
    with ctx.daemon() as d:
        c = d.client
        expect_error(c.put("/v1/vnis/300", vni_body(vlan=4095)), 400,
                     field="access[0].vlan",
                     reason=r"4095 is not a VLAN id \(1-4094 or untagged\)", what="VLAN 4095")
        expect_error(c.post("/v1/vnis", vni_body(16777216)), 400, field="vni",
                     reason="16777216", what="VNI 2^24")
        expect_error(c.patch("/v1/underlay", {"mtu": 99}), 400, field="mtu",
                     reason=r"out of range \(576-9216\)", what="mtu 99")
        expect_error(c.patch("/v1/underlay", {"tos": 3}), 400, field="tos", what="tos 3")
        b = vni_body(flood="multicast", group="10.1.1.1")
        del b["remotes"]
        expect_error(c.put("/v1/vnis/300", b), 400, field="group",
                     reason="not a multicast group", what="group 10.1.1.1")
        check(vni_ids(c) == [100, 101], "a refused body created a VNI")


@test
def body_too_large(ctx):
    """A body over api.body_limit is 413 and changes nothing."""
    with ctx.daemon() as d:
        c = d.client
        big = json.dumps({"vni": 300, "access": [{"port": "vm2", "vlan": 300}],
                          "remotes": [R2], "pad": "x" * BODY_LIMIT})
        try:
            a = c.put("/v1/vnis/300", big, ctype="application/json")
        except (OSError, urllib.error.URLError) as e:
            raise TestFailure("PUT of %d bytes: no answer, the connection failed: %s" %
                              (len(big), e))
        expect_error(a, 413, what="%d bytes over a limit of %d" % (len(big), BODY_LIMIT))
        check(vni_ids(c) == [100, 101], "a refused body created a VNI")
        # Just under the limit is read (and refused for the pad, not its size).
        small = big[:BODY_LIMIT - 100] + '"}'
        a = c.put("/v1/vnis/300", small, ctype="application/json")
        check(a.status == 400, "a body under the limit: %r", a)


@test
def body_far_too_large(ctx):
    """A body many times the limit (1 MiB over 64 KiB) is answered 413 too,
    five times in a row: the client, which sends its whole body before
    reading, must get the answer, not a reset connection."""
    with ctx.daemon() as d:
        huge = json.dumps({"vni": 300, "access": [{"port": "vm2", "vlan": 300}],
                           "pad": "x" * (17 * BODY_LIMIT)})
        for i in range(5):
            try:
                a = d.client.put("/v1/vnis/300", huge, ctype="application/json")
            except (OSError, urllib.error.URLError) as e:
                raise TestFailure("PUT %d of %d bytes (limit %d): no answer, the connection "
                                  "failed: %s" % (i + 1, len(huge), BODY_LIMIT, e))
            expect_error(a, 413, what="%d bytes over a limit of %d" % (len(huge), BODY_LIMIT))
        check(vni_ids(d.client) == [100, 101], "a refused body created a VNI")


@test
def unsupported_media_type(ctx):
    """A body sent as text/plain is 415; so is YAML where only a whole
    configuration takes it."""
    with ctx.daemon() as d:
        c = d.client
        body = json.dumps(vni_body())
        expect_error(c.put("/v1/vnis/300", body, ctype="text/plain"), 415, what="text/plain")
        expect_error(c.patch("/v1/underlay", '{"ttl": 3}', ctype="text/plain"), 415,
                     what="PATCH text/plain")
        expect_error(c.put("/v1/vnis/300", "x=1", ctype="multipart/form-data"), 415,
                     what="multipart")
        expect_error(c.put("/v1/vnis/300", "access: []\n", ctype="application/yaml"), 415,
                     what="YAML for one VNI")
        c.expect(201, "PUT", "/v1/vnis/300", body, ctype="application/json; charset=utf-8")


@test
def curl_default_content_type_is_json(ctx):
    """curl -d sends application/x-www-form-urlencoded: the body is read as
    JSON, so the README's curl line works as typed; a body that is no JSON
    is then a 400."""
    with ctx.daemon() as d:
        c = d.client
        c.expect(201, "PUT", "/v1/vnis/301", json.dumps(vni_body(vlan=301)),
                 ctype="application/x-www-form-urlencoded")
        expect_error(c.put("/v1/vnis/302", "access=vm1", ctype="application/x-www-form-urlencoded"),
                     400, what="form fields")


@test
def refused_changes_nothing(ctx):
    """After a run of refused requests of every kind, GET /v1/config and
    the state file are byte for byte what they were."""
    with ctx.daemon() as d:
        c = d.client
        c.expect(201, "PUT", "/v1/vnis/300", vni_body())
        before = c.config_raw()
        ybefore = c.config_raw(yaml_form=True)
        sbefore = d.state_text()
        bad_fdb = [{"mac": MAC_A, "remote": R3}, {"mac": "02:00:00:00:00:zz", "remote": R3}]
        refused = [
            ("PUT", "/v1/vnis/301", '{"access": [', 400),
            ("PUT", "/v1/vnis/301", vni_body(vlan="200"), 400),
            ("PUT", "/v1/vnis/300", vni_body(colour="blue"), 400),
            ("PUT", "/v1/vnis/300", vni_body(vlan=4095), 400),
            ("POST", "/v1/vnis", vni_body(300, vlan=201), 409),
            ("PUT", "/v1/vnis/301", vni_body(port="vm2", vlan=10), 409),
            ("POST", "/v1/vnis/300/fdb", bad_fdb, 400),
            ("POST", "/v1/vnis/300/remotes", {"remote": "224.0.0.1"}, 400),
            ("PATCH", "/v1/underlay", {"mtu": 99, "ttl": 3}, 400),
            ("PATCH", "/v1/underlay", {"address": "198.18.0.9/24"}, 400),
            ("PUT", "/v1/config", {"vnis": []}, 400),
            ("DELETE", "/v1/vnis/4242", None, 404),
            ("DELETE", "/v1/vnis/300/fdb/" + MAC_C, None, 404),
        ]
        for meth, path, body, st in refused:
            a = c.request(meth, path, body)
            check(a.status == st, "%s %s %r: expected %d, got %r", meth, path, body, st, a)
        check(c.config_raw() == before, "refused requests changed GET /v1/config")
        check(c.config_raw(yaml_form=True) == ybefore, "refused requests changed the YAML")
        check(d.state_text() == sbefore, "refused requests changed the state file")


@test
def fdb_bulk_all_or_nothing(ctx):
    """A list of FDB entries with one bad entry is 400 naming it ([2].mac)
    and adds none; the list without it adds all (201, added 3)."""
    with ctx.daemon() as d:
        c = d.client
        good = [{"mac": "02:00:00:00:10:%02x" % i, "remote": R3} for i in range(3)]
        bad = good + [{"mac": "ff:ff:ff:ff:ff:ff", "remote": R3}]
        bad[2] = dict(bad[2], mac="02:00:00:00:10")
        expect_error(c.post("/v1/vnis/100/fdb", bad), 400, field="[2].mac", what="bad [2]")
        check(c.get("/v1/vnis/100/fdb").body["fdb"] == [], "a refused list added entries")
        a = c.post("/v1/vnis/100/fdb", good + [{"mac": MAC_A, "remote": "127.0.0.1"}])
        expect_error(a, 400, field="[3].remote", what="bad [3]")
        check(c.get("/v1/vnis/100/fdb").body["fdb"] == [], "a refused list added entries")
        dup = good + [dict(good[0], remote=R2)]
        expect_error(c.post("/v1/vnis/100/fdb", dup), 400, what="a MAC twice in one list")
        check(c.get("/v1/vnis/100/fdb").body["fdb"] == [], "a refused list added entries")
        a = c.expect(201, "POST", "/v1/vnis/100/fdb", good)
        check(a.body == {"added": 3, "existing": 0}, "answer %r", a.body)
        got = sorted(e["mac"].lower() for e in c.get("/v1/vnis/100/fdb").body["fdb"])
        check(got == [e["mac"] for e in good], "entries %r", got)
        expect_error(c.post("/v1/vnis/100/fdb", []), 400, what="an empty list")


# ---- restart, concurrency, durability ---------------------------------------------

@test
def restart_same_state(ctx):
    """Changes made over the API survive a restart: with the same YAML and
    state file, GET /v1/config (JSON and YAML) is byte for byte what it was
    before."""
    with ctx.daemon() as d:
        c = d.client
        c.expect(201, "PUT", "/v1/vnis/300", vni_body(learning=False))
        c.expect(201, "POST", "/v1/vnis/300/fdb", [{"mac": MAC_A, "remote": R3},
                                                   {"mac": MAC_B, "port": "vm2", "vlan": 200}])
        c.expect(201, "POST", "/v1/vnis/101/remotes", {"remote": R4})
        c.expect(204, "DELETE", "/v1/vnis/100")
        c.expect(200, "PATCH", "/v1/underlay", {"ttl": 33, "df": False})
        before = c.config_raw()
        ybefore = c.config_raw(yaml_form=True)
        d.stop()
        d.start()
        after = c.config_raw()
        check(after == before, "GET /v1/config after a restart differs:\nbefore %s\nafter  %s",
              before.decode(), after.decode())
        check(c.config_raw(yaml_form=True) == ybefore, "the YAML form differs after a restart")


@test
def bad_state_file_stops_start(ctx):
    """A state file that does not load stops vtepd with its file, line and
    reason, and is left alone; --state-recover renames it aside (never
    deletes it) and starts from the YAML."""
    with ctx.daemon() as d:
        c = d.client
        c.expect(201, "PUT", "/v1/vnis/300", vni_body())
        d.stop()
        good = d.state_text()
        with open(d.state_path, "a") as f:
            f.write("vnis: [\n")
        bad = d.state_text()
        out = d.start_refused()
        check(re.search(re.escape(d.state_path) + r":\d+: ", out),
              "the refusal does not name %s:LINE:\n%s", d.state_path, out[-2000:])
        check("--state-recover" in out, "the refusal does not say how to go on:\n%s",
              out[-2000:])
        check(d.state_text() == bad, "the refused state file was changed")
        d.start(args=["--state-recover"])
        ids = vni_ids(c)
        check(300 not in ids and 100 in ids, "after --state-recover the VNIs are %s, "
              "expected the YAML's", ids)
        aside = [f for f in os.listdir(d.dir) if f.startswith("state.yaml.bad.")]
        check(len(aside) == 1, "no state.yaml.bad.* beside the state file: %s",
              os.listdir(d.dir))
        with open(os.path.join(d.dir, aside[0])) as f:
            check(f.read() == bad, "the file set aside is not the refused state file")
        check(good in bad, "the test's own state file was not what it wrote")


def _raw(port, data=b"", timeout=5.0):
    """A plain TCP connection to the API, data sent on it."""
    import socket
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    if data:
        s.sendall(data)
    return s


def _closed_by_server(s, within):
    """Whether the server closes @s (EOF or reset) within @within s."""
    import socket
    s.settimeout(within)
    try:
        while True:
            b = s.recv(4096)
            if not b:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


@test
def connection_limit(ctx):
    """max_connections bounds the connections served at once: with 4 held
    open, a 5th is closed unanswered; once they go, requests are served
    again."""
    with ctx.daemon(api_extra={"max_connections": 4}) as d:
        held = [_raw(d.port) for _ in range(4)]
        try:
            time.sleep(0.3)
            extra = _raw(d.port, b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
            got = b""
            extra.settimeout(3.0)
            try:
                while True:
                    b = extra.recv(4096)
                    if not b:
                        break
                    got += b
            except (ConnectionResetError, OSError):
                pass
            extra.close()
            check(not got.startswith(b"HTTP/1.1 200"), "a 5th connection was served: %r",
                  got[:200])
        finally:
            for s in held:
                s.close()
        time.sleep(0.3)
        d.client.expect(200, "GET", "/v1/health", token=False)


@test
def idle_connection_closed(ctx):
    """idle_timeout closes a connection that sends nothing: with 1 s, it is
    gone within 4 s; one that keeps talking is not."""
    with ctx.daemon(api_extra={"idle_timeout": 1}) as d:
        s = _raw(d.port)
        t0 = time.monotonic()
        closed = _closed_by_server(s, 4.0)
        s.close()
        check(closed, "an idle connection was still open after 4 s (idle_timeout 1)")
        check(time.monotonic() - t0 >= 0.5, "the idle connection was closed at once")
        d.client.expect(200, "GET", "/v1/health", token=False)


@test
def header_too_large(ctx):
    """A request whose headers do not fit the connection's memory bound
    (64 KiB) is refused, never served, and the server goes on serving."""
    with ctx.daemon() as d:
        req = (b"GET /v1/vnis HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
               TOKEN.encode() + b"\r\nX-Big: " + b"a" * 100000 + b"\r\n\r\n")
        s = _raw(d.port)
        got = b""
        try:
            s.sendall(req)
        except (BrokenPipeError, ConnectionResetError):
            pass
        s.settimeout(5.0)
        try:
            while True:
                b = s.recv(4096)
                if not b:
                    break
                got += b
        except (ConnectionResetError, OSError):
            pass
        s.close()
        check(not got.startswith(b"HTTP/1.1 200"), "a 100 KB header was served: %r",
              got[:200])
        check(got == b"" or re.match(rb"HTTP/1\.[01] (4\d\d|5\d\d)", got),
              "no error status for a 100 KB header: %r", got[:200])
        d.client.expect(200, "GET", "/v1/health", token=False)


@test
def concurrent_patches_both_hold(ctx):
    """Two PATCH /v1/underlay of different fields at the same moment both
    hold: each takes only the fields it names, over the underlay as it
    runs when the control thread applies it (20 rounds)."""
    with ctx.daemon() as d:
        c = d.client
        for k in range(20):
            go = threading.Barrier(2)
            res = {}

            def patch(name, body):
                go.wait(5)
                res[name] = c.patch("/v1/underlay", json.dumps(body)).status

            ts = [threading.Thread(target=patch, args=("ttl", {"ttl": 10 + k})),
                  threading.Thread(target=patch, args=("mtu", {"mtu": 1400 + k}))]
            for t in ts:
                t.start()
            for t in ts:
                t.join(30)
            check(res == {"ttl": 200, "mtu": 200}, "round %d: statuses %s", k, res)
            u = c.expect(200, "GET", "/v1/underlay").body
            check(u.get("ttl") == 10 + k and u.get("mtu") == 1400 + k,
                  "round %d: after PATCH ttl %d and PATCH mtu %d at once, the underlay has "
                  "ttl %s and mtu %s", k, 10 + k, 1400 + k, u.get("ttl"), u.get("mtu"))


@test
def concurrent_clients(ctx):
    """16 clients x 1000 requests at once (each creating, replacing,
    reading and deleting VNIs of its own): every request is answered, no
    connection fails, each answer fits what that client did before, and
    the final set of VNIs is what the successful requests describe."""
    n_threads, n_req, pool = 16, 1000, 8
    with ctx.daemon(api_extra={"max_connections": 64}) as d:
        failures, lock = [], threading.Lock()
        expected = {}          # vni -> body the server answered, or None
        counts = {"answered": 0, "2xx": 0}

        def worker(t):
            c = Client(d.base, TOKEN)
            rnd = random.Random(t)
            state = {}
            mine = [20000 + t * pool + j for j in range(pool)]
            try:
                for i in range(n_req):
                    vni = rnd.choice(mine)
                    vlan = 1000 + (vni - 20000)
                    op = rnd.random()
                    if op < 0.4:
                        body = vni_body(port="vm2", vlan=vlan,
                                        remotes=rnd.sample([R2, R3, R4], rnd.randint(0, 3)))
                        a = c.put("/v1/vnis/%d" % vni, body)
                        want = 200 if vni in state else 201
                        check(a.status == want, "client %d request %d: PUT %d: expected %d, "
                              "got %r", t, i, vni, want, a)
                        state[vni] = a.body
                    elif op < 0.7:
                        a = c.delete("/v1/vnis/%d" % vni)
                        want = 204 if vni in state else 404
                        check(a.status == want, "client %d request %d: DELETE %d: expected "
                              "%d, got %r", t, i, vni, want, a)
                        state.pop(vni, None)
                    else:
                        a = c.get("/v1/vnis/%d" % vni)
                        want = 200 if vni in state else 404
                        check(a.status == want, "client %d request %d: GET %d: expected %d, "
                              "got %r", t, i, vni, want, a)
                        if a.status == 200:
                            check(a.body == state[vni], "client %d: GET %d is %r, the last "
                                  "PUT answered %r", t, vni, a.body, state[vni])
                    with lock:
                        counts["answered"] += 1
                        counts["2xx"] += 200 <= a.status < 300
            except (OSError, urllib.error.URLError) as e:
                with lock:
                    failures.append("client %d: a request got no answer: %s" % (t, e))
            except TestFailure as e:
                with lock:
                    failures.append(str(e))
            except Exception as e:      # noqa: BLE001 - report, never hang
                with lock:
                    failures.append("client %d: %s" % (t, traceback.format_exc()))
            with lock:
                expected.update({v: state.get(v) for v in mine})

        threads = [threading.Thread(target=worker, args=(t,), daemon=True)
                   for t in range(n_threads)]
        t0 = time.monotonic()
        for th in threads:
            th.start()
        for th in threads:
            th.join(max(1.0, 50.0 - (time.monotonic() - t0)))
        stuck = [i for i, th in enumerate(threads) if th.is_alive()]
        check(not stuck, "clients %s still running after 50 s (%d requests answered)",
              stuck, counts["answered"])
        check(not failures, "%d client(s) failed:\n%s", len(failures),
              "\n".join(failures[:10]))
        check(counts["answered"] == n_threads * n_req, "%d of %d requests answered",
              counts["answered"], n_threads * n_req)
        vs = {v["vni"]: v for v in d.client.expect(200, "GET", "/v1/vnis").body["vnis"]}
        want = {v: b for v, b in expected.items() if b is not None}
        got = {v: b for v, b in vs.items() if v >= 20000}
        check(got == want, "final VNIs differ from what the answers describe:\n"
              "  missing %s\n  extra %s\n  different %s", sorted(set(want) - set(got)),
              sorted(set(got) - set(want)),
              sorted(v for v in set(got) & set(want) if got[v] != want[v]))
        check(sorted(v for v in vs if v < 20000) == [100, 101], "base VNIs changed: %r",
              sorted(vs))
        print("%d requests in %.1f s" % (counts["answered"], time.monotonic() - t0))


@test
def durability_kill9(ctx):
    """20 rounds: a stream of writes (create a VNI, add a static FDB entry
    to it, delete an older VNI), kill -9 at a random moment, check the
    state file parses, restart: every change that got a 2xx is there, every
    acknowledged delete is gone, nothing else appeared."""
    rounds = 20
    rnd = random.Random(int(os.environ.get("API_TEST_SEED", "8")))
    with ctx.daemon() as d:
        alive = {}             # vni -> set of static MACs acknowledged
        gone = set()           # VNIs whose delete was acknowledged
        next_vni = [30000]
        total = [0]
        t_start = time.monotonic()

        def stream(stop_at, out):
            c = Client(d.base, TOKEN)
            try:
                while time.monotonic() < stop_at + 5:
                    v = next_vni[0]
                    next_vni[0] += 1
                    # VLANs are never reused: an unacknowledged create may
                    # hold its binding after the restart.
                    vlan = 1 + (v - 30000) % 4000
                    port = "vm1" if (v - 30000) < 4000 else "vm2"
                    out["pending"] = ("create", v)
                    a = c.put("/v1/vnis/%d" % v, vni_body(port=port, vlan=vlan), timeout=5)
                    check(a.status == 201, "PUT %d: %r", v, a)
                    alive[v] = set()
                    total[0] += 1
                    m = "02:dd:%02x:%02x:%02x:01" % (v >> 16 & 255, v >> 8 & 255, v & 255)
                    out["pending"] = ("fdb", v, m)
                    a = c.post("/v1/vnis/%d/fdb" % v, {"mac": m, "remote": R3}, timeout=5)
                    check(a.status == 201, "POST fdb %d: %r", v, a)
                    alive[v].add(m)
                    total[0] += 1
                    if len(alive) > 12:
                        old = min(alive)
                        out["pending"] = ("delete", old)
                        a = c.delete("/v1/vnis/%d" % old, timeout=5)
                        check(a.status == 204, "DELETE %d: %r", old, a)
                        del alive[old]
                        gone.add(old)
                        total[0] += 1
                    out["pending"] = None
            except (OSError, urllib.error.URLError, ConnectionError):
                pass           # killed under us: what was pending is unknown
            except TestFailure as e:
                if d.alive():
                    out["error"] = str(e)
            except Exception:  # noqa: BLE001
                out["error"] = traceback.format_exc()

        for r in range(rounds):
            out = {"pending": None}
            delay = rnd.uniform(0.05, 0.6)
            th = threading.Thread(target=stream, args=(time.monotonic() + delay, out),
                                  daemon=True)
            th.start()
            time.sleep(delay)
            hung = d.kill()
            check(hung is None, "round %d: %s", r, hung)
            th.join(10)
            check(not th.is_alive(), "round %d: the writer did not stop within 10 s of "
                  "the kill", r)
            check("error" not in out, "round %d: %s", r, out.get("error"))
            try:
                st = yaml.safe_load(d.state_text())
            except (OSError, yaml.YAMLError) as e:
                raise TestFailure("round %d: the state file does not parse after kill -9: "
                                  "%s" % (r, e))
            check(isinstance(st, dict) and "vnis" in st, "round %d: state file %r", r, st)
            d.start()
            cf = d.client.expect(200, "GET", "/v1/config").body
            present = {v["vni"] for v in cf["vnis"]}
            fdb = {(e["vni"], e["mac"].lower()) for e in cf.get("fdb", [])}
            p = out["pending"]
            amb = {p[1]} if p and p[0] in ("create", "delete") else set()
            lost = sorted(set(alive) - present - amb)
            check(not lost, "round %d: acknowledged VNIs missing after restart: %s "
                  "(pending %s)", r, lost, p)
            back = sorted((gone & present) - amb)
            check(not back, "round %d: deleted VNIs back after restart: %s", r, back)
            extra = sorted(v for v in present if v >= 30000 and v not in alive and
                           v not in amb)
            check(not extra, "round %d: VNIs nobody acknowledged: %s", r, extra)
            for v, macs in alive.items():
                if v in amb and v not in present:
                    continue   # its delete was pending: it went with its entries
                for m in macs:
                    check((v, m) in fdb, "round %d: acknowledged FDB entry %d %s missing",
                          r, v, m)
            # What the pending request did is now known: follow the server.
            if p and p[0] == "create" and p[1] in present:
                alive[p[1]] = set()
            if p and p[0] == "delete" and p[1] not in present:
                alive.pop(p[1], None)
                gone.add(p[1])
            if p and p[0] == "fdb" and (p[1], p[2]) in fdb:
                alive[p[1]].add(p[2])
            for v in list(alive):
                if v not in present:
                    alive.pop(v)
        print("%d rounds, %d acknowledged writes in %.1f s" %
              (rounds, total[0], time.monotonic() - t_start))
        t0 = time.monotonic()
        d.stop()
        print("clean exit %.1f s after SIGTERM" % (time.monotonic() - t0))


def put_two_if_match(d, path, body, tags):
    """PUT with one If-Match header line per tag; returns the status."""
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=10)
    try:
        data = json.dumps(body).encode()
        conn.putrequest("PUT", path)
        conn.putheader("Authorization", "Bearer " + TOKEN)
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Content-Length", str(len(data)))
        for t in tags:
            conn.putheader("If-Match", t)
        conn.endheaders(data)
        r = conn.getresponse()
        r.read()
        return r.status
    finally:
        conn.close()


@test
def vni_put_if_match(ctx):
    """GET gives the VNI's ETag; PUT with If-Match replaces it only if it is
    unchanged since (412 and nothing changed otherwise), answers the new
    ETag, and If-Match on a VNI that does not exist is 412."""
    with ctx.daemon() as d:
        c = d.client
        a = c.expect(200, "GET", "/v1/vnis/101")
        tag = a.headers.get("ETag")
        check(tag and re.fullmatch(r'"[0-9a-f]{16}"', tag), "ETag %r", tag)
        again = c.expect(200, "GET", "/v1/vnis/101").headers.get("ETag")
        check(again == tag, "the same VNI read twice: ETag %s then %s", tag, again)
        body = dict(a.body, mac_limit=50)
        body.pop("vni", None)
        a2 = c.expect(200, "PUT", "/v1/vnis/101", body, headers={"If-Match": tag})
        new = a2.headers.get("ETag")
        check(new and new != tag, "PUT answered ETag %r; the old one was %s", new, tag)
        check(c.expect(200, "GET", "/v1/vnis/101").headers.get("ETag") == new,
              "GET after PUT: not the ETag PUT answered")
        # A writer that read before that change loses, and changes nothing.
        stale = dict(body, mac_limit=70)
        expect_error(c.put("/v1/vnis/101", stale, headers={"If-Match": tag}), 412,
                     reason="changed since it was read", what="PUT with a stale If-Match")
        check(c.expect(200, "GET", "/v1/vnis/101").body.get("mac_limit") == 50,
              "a refused If-Match changed the VNI")
        # A list of tags, and *, match as RFC 9110 says; a weak tag never
        # does (the comparison is strong), nor a tag glued to another.
        expect_error(c.put("/v1/vnis/101", stale, headers={"If-Match": "W/" + new}), 412,
                     what="a weak If-Match")
        expect_error(c.put("/v1/vnis/101", stale, headers={"If-Match": '"x,"' + new}), 412,
                     what="two tags without a comma")
        c.expect(200, "PUT", "/v1/vnis/101", stale, headers={"If-Match": '"0,1", ' + new})
        new = c.expect(200, "GET", "/v1/vnis/101").headers.get("ETag")
        # Several If-Match lines are one list.
        st = put_two_if_match(d, "/v1/vnis/101", body, ['"0"', new])
        check(st == 200, "If-Match on two lines, the second right: %d", st)
        c.expect(200, "PUT", "/v1/vnis/101", body, headers={"If-Match": "*"})
        expect_error(c.put("/v1/vnis/777", vni_body(port="vm2", vlan=77),
                           headers={"If-Match": "*"}), 412, reason="there is no VNI 777",
                     what="If-Match on a VNI that does not exist")
        check(777 not in vni_ids(c), "a refused If-Match created the VNI")


# ---- running --------------------------------------------------------------------

class Skip(Exception):
    pass


class Ctx:
    def __init__(self, name, vtepd, build):
        self.name = name
        self.vtepd = vtepd
        self.keep = os.path.join(build, "meson-logs", "api") if build else None

    def daemon(self, **kw):
        d = Daemon(self.vtepd, self.name, keep_dir=self.keep, **kw)
        d.start()
        return d


NO_DAEMON = {"openapi_lint", "openapi_matches_routes"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("name", nargs="?")
    ap.add_argument("--vtepd")
    ap.add_argument("--build", default="")
    ap.add_argument("--list", action="store_true")
    a = ap.parse_args()
    if a.list:
        print("\n".join(TESTS))
        return 0
    if a.name not in TESTS or (not a.vtepd and a.name not in NO_DAEMON):
        ap.error("a test name (%s) and --vtepd are needed" % ", ".join(TESTS))
    if a.name not in NO_DAEMON:
        if not os.access(a.vtepd, os.X_OK):
            print("FAIL %s: %s is not an executable" % (a.name, a.vtepd))
            return 1
        if os.geteuid() != 0:
            print("SKIP %s: needs root (DPDK's runtime directory)" % a.name)
            return 77
        reap_stale()
    vtepd = os.path.abspath(a.vtepd) if a.vtepd else None
    return run_test(a.name, lambda: TESTS[a.name](Ctx(a.name, vtepd, a.build)), (TestFailure,),
                    (Skip,))


if __name__ == "__main__":
    sys.exit(main())
