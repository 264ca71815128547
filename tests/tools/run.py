# SPDX-License-Identifier: BSD-3-Clause
"""
DPDK's own tools on a running vtepd, one behaviour each:

- telemetry: vtepd's /vtep/ commands read over the v2 socket
  /var/run/dpdk/<prefix>/dpdk_telemetry.v2, with Debian's
  /usr/bin/dpdk-telemetry.py and with a direct SOCK_SEQPACKET client, give
  the values the REST API gives for the same state. These daemons run as
  the API tests' do (apitest.Daemon: net_null ports, --no-huge,
  --no-shconf), which telemetry works with.
- capture: /usr/bin/dpdk-dumpcap, a DPDK secondary process, captures the
  underlay port of a running vtepd (rte_pdump). A secondary cannot attach
  to a primary without shared files (--no-huge, --no-shconf, --in-memory),
  so these tests reserve 2 MB hugepages, mount hugetlbfs if nothing is
  mounted on /dev/hugepages, and put both back however the test ends.

    run.py NAME --vtepd PATH [--build DIR]
    run.py --list          (one "name timeout" line per test, for meson)

Exit status: 0 pass, 1 fail, 77 skip (meson's skip code). Needs root.
Standard library, Debian's python3-jsonschema and python3-yaml (through
apitest.py), tshark for the capture tests.
"""

import argparse
import glob
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

# No __pycache__ in the source tree.
sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SRC, "tests", "api"))
sys.path.insert(0, os.path.join(SRC, "tests", "pkt"))
# tests/ last: its folders must not shadow the modules above.
sys.path.append(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from testrun import run_test  # noqa: E402

import apitest  # noqa: E402
from apitest import R2, R3, R4, Daemon, TestFailure, check, reap_stale  # noqa: E402
import pkt  # noqa: E402

PY = "/usr/bin/python3"
TELEMETRY_PY = "/usr/bin/dpdk-telemetry.py"
DUMPCAP = "/usr/bin/dpdk-dumpcap"
TSHARK = "/usr/bin/tshark"
RUN_DIR = "/var/run/dpdk"
VTEP_CMDS = ["/vtep/stats", "/vtep/vni", "/vtep/fdb", "/vtep/neigh", "/vtep/ports",
             "/vtep/health"]


class Skip(Exception):
    pass


class Closed(TestFailure):
    """The telemetry socket closed or answered nothing in time."""


# name -> (function, timeout in seconds for meson); filled by @test().
TESTS = {}


def test(timeout):
    def reg(fn):
        if fn.__name__ in TESTS:
            raise RuntimeError("two tool tests named %s" % fn.__name__)
        TESTS[fn.__name__] = (fn, timeout)
        return fn
    return reg


# ---- names from the .def files ---------------------------------------------

def def_names(path, macro, group=False):
    """The names a .def file declares, as the telemetry keys have them:
    "group.name" becomes group_name (a key takes no dot)."""
    with open(os.path.join(SRC, path)) as f:
        text = f.read()
    out = []
    for m in re.finditer(r'^%s\(\s*\w+\s*,\s*"([^"]+)"(?:\s*,\s*"([^"]+)")?' % macro, text, re.M):
        out.append("%s_%s" % (m.group(1), m.group(2)) if group else m.group(1))
    check(out, "no %s lines in %s", macro, path)
    return out


def tel_key(name):
    return re.sub(r"[^A-Za-z0-9_/]", "_", name)


# ---- telemetry clients --------------------------------------------------------

def socket_path(prefix):
    return os.path.join(RUN_DIR, prefix, "dpdk_telemetry.v2")


class Telemetry:
    """A direct client of the v2 socket: SOCK_SEQPACKET, one message per
    command and one per reply; the first message is the library's info."""

    def __init__(self, prefix, timeout=10.0):
        self.path = socket_path(prefix)
        deadline = time.monotonic() + timeout
        while True:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            s.settimeout(timeout)
            try:
                s.connect(self.path)
                break
            except OSError as e:
                s.close()
                if time.monotonic() > deadline:
                    raise TestFailure("cannot connect to %s within %.0f s: %s" %
                                      (self.path, timeout, e))
                time.sleep(0.05)
        self.sock = s
        self.timeout = timeout
        info = self._recv("the info message")
        self.max_len = info["max_output_len"]
        self.pid = info["pid"]
        self.version = info["version"]

    def _recv(self, what):
        try:
            raw = self.sock.recv(1 << 17)
        except socket.timeout:
            raise Closed("%s: no reply within %.0f s" % (what, self.timeout))
        except OSError as e:
            raise Closed("%s: %s" % (what, e))
        if not raw:
            raise Closed("%s: vtepd closed the telemetry socket" % what)
        self.last_len = len(raw)
        try:
            return json.loads(raw.decode())
        except ValueError as e:
            raise TestFailure("%s: the reply is not JSON (%s): %r" % (what, e, raw[:400]))

    def raw(self, cmd):
        """The reply's value for cmd (None: the command failed)."""
        try:
            self.sock.send(cmd.encode())
        except OSError as e:
            raise Closed("%s: %s" % (cmd, e))
        reply = self._recv(cmd)
        check(self.last_len <= self.max_len, "%s: a reply of %d bytes, more than the "
              "library's max_output_len %d", cmd, self.last_len, self.max_len)
        name = cmd.split(",", 1)[0]
        check(isinstance(reply, dict) and list(reply) == [name],
              "%s: the reply is not {%r: ...}: %r", cmd, name, str(reply)[:400])
        return reply[name]

    def get(self, cmd):
        v = self.raw(cmd)
        check(v is not None, "%s answered null (an error)", cmd)
        return v

    def error(self, cmd):
        v = self.raw(cmd)
        check(v is None, "%s: expected an error (null), got %s", cmd, str(v)[:400])

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()
        return False


def telemetry_script(prefix, cmds, timeout=30.0):
    """Run Debian's dpdk-telemetry.py -f prefix with cmds on its stdin; not
    a terminal, it prints one JSON line per command. Returns the values."""
    try:
        p = subprocess.run([PY, TELEMETRY_PY, "-f", prefix], input="\n".join(cmds) + "\n",
                           capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise TestFailure("%s -f %s did not finish within %.0f s" % (TELEMETRY_PY, prefix,
                                                                     timeout))
    check(p.returncode == 0, "%s exited %d: %s%s", TELEMETRY_PY, p.returncode, p.stdout[-2000:],
          p.stderr[-2000:])
    lines = [l for l in p.stdout.splitlines() if l.strip()]
    check(len(lines) == len(cmds), "%d commands, %d lines from %s:\n%s", len(cmds), len(lines),
          TELEMETRY_PY, p.stdout[-3000:])
    out = []
    for cmd, line in zip(cmds, lines):
        try:
            reply = json.loads(line)
        except ValueError as e:
            raise TestFailure("%s: %s printed no JSON (%s): %r" % (cmd, TELEMETRY_PY, e,
                                                                   line[:400]))
        name = cmd.split(",", 1)[0]
        check(isinstance(reply, dict) and name in reply, "%s: reply %r", cmd, line[:400])
        out.append(reply[name])
    return out


def page_all(t, cmd, key, limit=40):
    """Every entry of a paged list: cmd,START from 0 along "next". Each page
    must hold exactly what it says ("shown"): the library drops what does
    not fit without a word. Returns (entries in order, pages)."""
    entries, start, pages = [], 0, 0
    while True:
        check(pages < limit, "%s: more than %d pages", cmd, limit)
        r = t.get("%s,%d" % (cmd, start) if start or "," in cmd else cmd)
        pages += 1
        got = r[key]
        check(r["start"] == start, "%s from %d: start %r", cmd, start, r["start"])
        check(len(got) == r["shown"], "%s from %d: %d entries, the reply says shown %d "
              "(something was cut silently)", cmd, start, len(got), r["shown"])
        if isinstance(got, dict):
            want = [str(i) for i in range(start, start + r["shown"])]
            check(list(got) == want, "%s from %d: keys %s, expected %s", cmd, start,
                  list(got)[:5], want[:5])
            got = list(got.values())
        entries += got
        if not r["truncated"]:
            check("next" not in r, "%s: next without truncated: %r", cmd, r)
            check(len(entries) == r["total"], "%s: %d entries over %d pages, total says %d",
                  cmd, len(entries), pages, r["total"])
            return entries, pages
        check(r["next"] == start + r["shown"] and r["shown"] > 0,
              "%s from %d: next %r after %d shown", cmd, start, r.get("next"), r["shown"])
        start = r["next"]


# ---- the tests' daemons -----------------------------------------------------

class Ctx:
    def __init__(self, name, vtepd, build):
        self.name = name
        self.vtepd = vtepd
        self.keep = os.path.join(build, "meson-logs", "tools") if build else None

    def daemon(self, **kw):
        d = Daemon(self.vtepd, self.name, keep_dir=self.keep, **kw)
        d.start()
        return d


def need(path):
    if not os.access(path, os.X_OK):
        raise Skip("%s is not installed" % path)


# ---- telemetry ----------------------------------------------------------------

@test(timeout=45)
def telemetry_commands_listed(ctx):
    """dpdk-telemetry.py -f <prefix> reaches vtepd: "/" lists every /vtep/
    command, each has a help text, /info names vtepd's pid, and the
    commands answer JSON through the script."""
    need(TELEMETRY_PY)
    with ctx.daemon() as d:
        check(os.path.exists(socket_path(d.prefix)), "no %s", socket_path(d.prefix))
        cmds = ["/", "/info"] + ["/help,%s" % c for c in VTEP_CMDS] + VTEP_CMDS[:1] + \
            ["/vtep/vni,100", "/vtep/fdb,100", "/vtep/neigh", "/vtep/ports", "/vtep/health"]
        out = telemetry_script(d.prefix, cmds)
        listed = out[0]
        missing = [c for c in VTEP_CMDS if c not in listed]
        check(not missing, "/ does not list %s: %s", missing, listed)
        check(out[1]["pid"] == d.proc.pid, "/info: pid %r, vtepd is %d", out[1], d.proc.pid)
        for c, h in zip(VTEP_CMDS, out[2:2 + len(VTEP_CMDS)]):
            check(isinstance(h, dict) and isinstance(h.get(c), str) and len(h[c]) > 20,
                  "/help,%s: %r", c, h)
        for c, v in zip(cmds[2 + len(VTEP_CMDS):], out[2 + len(VTEP_CMDS):]):
            check(isinstance(v, dict) and v, "%s through the script: %r", c, v)


@test(timeout=45)
def telemetry_stats_match_api(ctx):
    """/vtep/stats holds every counter of the .def files, with the values
    GET /v1/stats gives: ports, VNIs summed, drops, workers, the control
    thread's counters and the FDB's."""
    with ctx.daemon() as d, Telemetry(d.prefix) as t:
        c = d.client
        c.expect(201, "POST", "/v1/vnis/100/fdb", [
            {"mac": "02:aa:00:00:00:01", "remote": R3},
            {"mac": "02:aa:00:00:00:02", "port": "vm1"}])
        c.expect(201, "PUT", "/v1/vnis/300", {"access": [{"port": "vm2", "vlan": 300}],
                                             "remotes": [R2]})
        api = c.expect(200, "GET", "/v1/stats").body
        s = t.get("/vtep/stats")

        ports = {p["name"]: p for p in api["ports"]}
        port_keys = def_names("lib/ctl/ctl_port_ctr.def", "CTL_PORT_CTR") + \
            ["rx_missed", "rx_nombuf"]
        check(sorted(p["name"] for p in s["ports"].values()) == sorted(ports),
              "ports %s, the API has %s", s["ports"], sorted(ports))
        for pid, p in s["ports"].items():
            for k in port_keys:
                check(p.get(k) == ports[p["name"]][k], "port %s (%s) %s: %r, the API %r",
                      pid, p["name"], k, p.get(k), ports[p["name"]][k])

        vni_keys = def_names("lib/ctl/ctl_vni_ctr.def", "CTL_VNI_CTR") + \
            ["fdb_entries", "fdb_learned"]
        check(s["vnis"]["count"] == len(api["vnis"]) == 3, "vnis.count %r, the API has %d",
              s["vnis"], len(api["vnis"]))
        for k in vni_keys:
            want = sum(v[k] for v in api["vnis"])
            check(s["vnis"].get(k) == want, "vnis.%s %r, the API's sum %d", k,
                  s["vnis"].get(k), want)
        check(s["vnis"]["fdb_entries"] == 2, "vnis.fdb_entries %r", s["vnis"])

        drops = def_names("lib/vtep/vtep_drop.def", "VTEP_DROP")
        check(sorted(s["drops"]) == sorted(drops), "drops %s, the .def has %s",
              sorted(s["drops"]), sorted(drops))
        check(s["drops"] == api["drops"], "drops %r, the API %r", s["drops"], api["drops"])

        check(len(s["workers"]) == len(api["workers"]) == 1, "workers %r, the API %r",
              s["workers"], api["workers"])
        for i, w in enumerate(api["workers"]):
            got = s["workers"][str(i)]
            check(got == {"rx_packets": w["rx_packets"], "drops": w["drops"]},
                  "worker %d: %r, the API %r", i, got, w)

        for name, path, macro in [("worker", "lib/ctl/ctl_worker_ctr.def", "CTL_WORKER_CTR"),
                                  ("ctl", "lib/ctl/ctl_ctr.def", "CTL_CTR")]:
            keys = def_names(path, macro, group=True)
            want = {tel_key(k): v for k, v in api[name].items()}
            check(sorted(s[name]) == sorted(keys), "%s: keys %s, the .def has %s", name,
                  sorted(s[name]), sorted(keys))
            check(s[name] == want, "%s: %r, the API %r", name, s[name], want)
        check(s["ctl"]["ctl_changes"] >= 2, "ctl.changes %r after two changes", s["ctl"])

        want = {k: api["fdb"][k] for k in s["fdb"]}
        check(len(s["fdb"]) == 8 and s["fdb"] == want, "fdb %r, the API %r", s["fdb"],
              api["fdb"])
        check(s["fdb"]["static"] == 2, "fdb.static %r", s["fdb"])

        check(s["neighbors"] == api["neighbors"], "neighbors %r, the API %r", s["neighbors"],
              api["neighbors"])
        check(s["neighbors"]["static"] == 2, "neighbors %r", s["neighbors"])
        for name, used in [("pools", "in_use"), ("rings", "used")]:
            want = {f["name"]: {used: f[used], "size": f["size"]} for f in api[name]}
            # What is in use moves with the traffic; there is none here.
            check(s[name] == want and len(want) >= 3, "%s %r, the API %r", name, s[name],
                  api[name])


def vni_expected(api):
    """A VNI as /vtep/vni,N shows it, from GET /v1/vnis/N (which leaves the
    defaults out)."""
    return {
        "vni": api["vni"],
        "access": {str(i): {"port": a["port"], "vlan": a.get("vlan", "untagged")}
                   for i, a in enumerate(api["access"])},
        "flood": api.get("flood", "head-end"),
        "learning": int(api.get("learning", True)),
        "mac_limit": api.get("mac_limit", 0),
        "ageing": api.get("ageing", 300),
        "inner_vlan": api.get("inner_vlan", "drop"),
        "bum_limit_pps": api.get("bum_limit_pps", 0),
        "replicator": int(api.get("replicator", False)),
        "remotes": api.get("remotes", []),
        "remotes_total": len(api.get("remotes", [])),
        "remotes_truncated": 0,
    }


@test(timeout=45)
def telemetry_vni_matches_api(ctx):
    """/vtep/vni lists the VNIs of GET /v1/vnis in its order; /vtep/vni,N
    shows what GET /v1/vnis/N and GET /v1/vnis/N/stats show; a VNI created
    or deleted through the API shows at once; an unknown VNI is an error."""
    with ctx.daemon() as d, Telemetry(d.prefix) as t:
        c = d.client
        c.expect(201, "PUT", "/v1/vnis/300", {
            "access": [{"port": "vm2", "vlan": 300}, {"port": "vm1", "vlan": 7}],
            "remotes": [R3, R2], "learning": False, "mac_limit": 10, "ageing": 60,
            "inner_vlan": "accept", "bum_limit_pps": 2000})
        ids = [v["vni"] for v in c.expect(200, "GET", "/v1/vnis").body["vnis"]]
        r = t.get("/vtep/vni")
        check(r["vnis"] == ids == [100, 101, 300], "/vtep/vni %r, GET /v1/vnis %r", r, ids)
        check(r["total"] == 3 and r["truncated"] == 0 and r["start"] == 0, "/vtep/vni %r", r)
        for vni in ids:
            api = c.expect(200, "GET", "/v1/vnis/%d" % vni).body
            st = c.expect(200, "GET", "/v1/vnis/%d/stats" % vni).body
            got = t.get("/vtep/vni,%d" % vni)
            ctr = got.pop("counters")
            check(got == vni_expected(api), "/vtep/vni,%d:\n  %r\nexpected from the API:\n  %r",
                  vni, got, vni_expected(api))
            want = {k: st[k] for k in ctr}
            # every counter of GET .../stats but "vni" itself
            check(len(ctr) == len(st) - 1 and ctr == want, "/vtep/vni,%d counters %r, the API %r", vni,
                  ctr, st)
        c.expect(204, "DELETE", "/v1/vnis/101")
        t.error("/vtep/vni,101")
        t.error("/vtep/vni,4242")
        r = t.get("/vtep/vni")
        check(r["vnis"] == [100, 300], "/vtep/vni after DELETE 101: %r", r)


@test(timeout=45)
def telemetry_vni_pages(ctx):
    """More VNIs than an array holds (512): /vtep/vni says truncated and
    where to go on, /vtep/vni,list,START gives the rest, together GET
    /v1/vnis's list; /vtep/stats still fits."""
    vnis = [{"vni": 100, "access": [{"port": "vm1"}], "remotes": [R2]}]
    vnis += [{"vni": 5000 + i, "access": [{"port": "vm2", "vlan": i + 1}]} for i in range(600)]
    with ctx.daemon(vnis=vnis) as d, Telemetry(d.prefix) as t:
        ids = [v["vni"] for v in d.client.expect(200, "GET", "/v1/vnis").body["vnis"]]
        check(len(ids) == 601, "GET /v1/vnis: %d VNIs", len(ids))
        r = t.get("/vtep/vni")
        check(r["total"] == 601 and r["shown"] == 512 and r["truncated"] == 1 and
              r["next"] == 512 and len(r["vnis"]) == 512, "/vtep/vni: %s",
              {k: v for k, v in r.items() if k != "vnis"})
        got = r["vnis"]
        r = t.get("/vtep/vni,list,512")
        check(r["start"] == 512 and r["shown"] == 89 and r["truncated"] == 0 and
              "next" not in r, "/vtep/vni,list,512: %s",
              {k: v for k, v in r.items() if k != "vnis"})
        got += r["vnis"]
        check(got == ids, "the pages of /vtep/vni differ from GET /v1/vnis")
        r = t.get("/vtep/vni,list,601")
        check(r["vnis"] == [] and r["shown"] == 0 and r["truncated"] == 0,
              "/vtep/vni,list,601: %r", r)
        s = t.get("/vtep/stats")
        check(s["vnis"]["count"] == 601, "/vtep/stats vnis %r", s["vnis"])
        check(t.get("/vtep/vni,5599")["access"] == {"0": {"port": "vm2", "vlan": 600}},
              "/vtep/vni,5599")


def fdb_expected(e):
    """An entry of GET /v1/vnis/N/fdb as /vtep/fdb shows it."""
    e = dict(e)
    del e["vni"]
    return e


@test(timeout=45)
def telemetry_fdb_matches_api(ctx):
    """A static FDB entry added through the API shows in /vtep/fdb,N as GET
    /v1/vnis/N/fdb shows it (MAC, static, remote or port and VLAN, age);
    one deleted goes; an unknown VNI is an error."""
    with ctx.daemon() as d, Telemetry(d.prefix) as t:
        c = d.client
        c.expect(201, "POST", "/v1/vnis/100/fdb", [
            {"mac": "02:aa:00:00:00:01", "remote": R3},
            {"mac": "02:aa:00:00:00:02", "remote": R2},
            {"mac": "02:aa:00:00:00:03", "port": "vm1"}])
        c.expect(201, "POST", "/v1/vnis/101/fdb", {"mac": "02:bb:00:00:00:01", "port": "vm2",
                                                  "vlan": 10})
        for vni, n in [(100, 3), (101, 1)]:
            api = [fdb_expected(e) for e in
                   c.expect(200, "GET", "/v1/vnis/%d/fdb" % vni).body["fdb"]]
            r = t.get("/vtep/fdb,%d" % vni)
            check(r["vni"] == vni and r["total"] == n and r["shown"] == n and
                  r["truncated"] == 0, "/vtep/fdb,%d: %r", vni, r)
            got = list(r["entries"].values())
            key = lambda e: e["mac"]  # noqa: E731
            check(sorted(got, key=key) == sorted(api, key=key),
                  "/vtep/fdb,%d:\n  %r\nGET /v1/vnis/%d/fdb:\n  %r", vni, got, vni, api)
        got = {e["mac"]: e for e in t.get("/vtep/fdb,100")["entries"].values()}
        check(got["02:aa:00:00:00:01"]["remote"] == R3 and
              got["02:aa:00:00:00:01"]["type"] == "static", "remote entry %r", got)
        check(got["02:aa:00:00:00:03"].get("port") == "vm1" and
              got["02:aa:00:00:00:03"].get("vlan") == "untagged", "local entry %r", got)
        c.expect(204, "DELETE", "/v1/vnis/100/fdb/02:aa:00:00:00:02")
        macs = sorted(e["mac"] for e in t.get("/vtep/fdb,100")["entries"].values())
        check(macs == ["02:aa:00:00:00:01", "02:aa:00:00:00:03"], "after DELETE: %s", macs)
        t.error("/vtep/fdb,4242")
        t.error("/vtep/fdb")


@test(timeout=45)
def telemetry_fdb_pages(ctx):
    """600 entries in one VNI: /vtep/fdb,N cuts its reply before the 16 KiB
    the library holds, says so, and /vtep/fdb,N,START along "next" gives
    every entry of GET /v1/vnis/N/fdb once."""
    with ctx.daemon() as d, Telemetry(d.prefix) as t:
        c = d.client
        body = [{"mac": "02:cc:00:00:%02x:%02x" % (i >> 8, i & 0xFF),
                 "remote": (R2, R3)[i % 2]} for i in range(600)]
        c.expect(201, "POST", "/v1/vnis/100/fdb", body)
        entries, pages = page_all(t, "/vtep/fdb,100", "entries")
        check(pages >= 3, "600 entries in %d page(s)", pages)
        macs = [e["mac"] for e in entries]
        check(len(set(macs)) == 600, "%d distinct MACs over the pages", len(set(macs)))
        api = c.expect(200, "GET", "/v1/vnis/100/fdb").body["fdb"]
        key = lambda e: e["mac"]  # noqa: E731
        check(sorted(entries, key=key) == sorted((fdb_expected(e) for e in api), key=key),
              "the pages of /vtep/fdb,100 differ from GET /v1/vnis/100/fdb")
        r = t.get("/vtep/fdb,100,600")
        check(r["shown"] == 0 and r["truncated"] == 0 and r["entries"] == {},
              "/vtep/fdb,100,600: %r", r)


@test(timeout=45)
def telemetry_neigh_matches_api(ctx):
    """/vtep/neigh is GET /v1/neighbors: static neighbours, and a remote
    VTEP being resolved (incomplete, no MAC)."""
    with ctx.daemon() as d, Telemetry(d.prefix) as t:
        c = d.client
        c.expect(201, "PUT", "/v1/vnis/300", {"access": [{"port": "vm2", "vlan": 300}],
                                             "remotes": [R4]})
        api = c.expect(200, "GET", "/v1/neighbors").body["neighbors"]
        got, _ = page_all(t, "/vtep/neigh", "neighbors")
        check(all(n.pop("users") >= 0 for n in got), "users %r", got)
        for n in got:
            if n["mac"] == "":
                n["mac"] = None
        check(got == api, "/vtep/neigh:\n  %r\nGET /v1/neighbors:\n  %r", got, api)
        states = {n["ip"]: n["state"] for n in got}
        check(states.get(R2) == "static" and states.get(R4) == "incomplete",
              "neighbour states %r", states)


@test(timeout=45)
def telemetry_ports_match_api(ctx):
    """/vtep/ports is GET /v1/ports, keyed by the port ids of DPDK's own
    /ethdev/ commands, with the device name dpdk-dumpcap -i takes."""
    with ctx.daemon() as d, Telemetry(d.prefix) as t:
        api = {p["name"]: p for p in d.client.expect(200, "GET", "/v1/ports").body["ports"]}
        got = t.get("/vtep/ports")
        check(sorted(p["name"] for p in got.values()) == sorted(api), "ports %r, the API %r",
              got, sorted(api))
        ethdevs = t.get("/ethdev/list")
        for pid, p in got.items():
            a = api[p["name"]]
            want = {"name": a["name"], "role": a["role"], "mac": a["mac"],
                    "rx_queues": a["rx_queues"], "link_up": int(a["link"]["up"]),
                    "speed_mbps": a["link"]["speed_mbps"], "counters": a["counters"],
                    "device": p.get("device")}
            check(p == want, "/vtep/ports %s:\n  %r\nfrom the API:\n  %r", pid, p, want)
            check(int(pid) in ethdevs, "port id %s not in /ethdev/list %r", pid, ethdevs)
            info = t.get("/ethdev/info,%s" % pid)
            check(info.get("name") == p["device"], "/ethdev/info,%s name %r, /vtep/ports "
                  "device %r", pid, info.get("name"), p["device"])
        check(got["0"]["name"] == "uplink" and got["0"]["device"] == "net_null0",
              "port 0: %r", got["0"])


@test(timeout=45)
def telemetry_health_matches_api(ctx):
    """/vtep/health: status, version and workers of GET /v1/health, the
    same uptime within a second or two."""
    with ctx.daemon() as d, Telemetry(d.prefix) as t:
        time.sleep(1.2)
        api = d.client.expect(200, "GET", "/v1/health", token=False).body
        got = t.get("/vtep/health")
        check({k: got[k] for k in ("status", "version", "workers")} ==
              {k: api[k] for k in ("status", "version", "workers")},
              "/vtep/health %r, GET /v1/health %r", got, api)
        check(abs(got["uptime_s"] - api["uptime_s"]) <= 2 and got["uptime_s"] >= 1,
              "/vtep/health uptime %r, the API %r", got, api)


@test(timeout=45)
def telemetry_bad_params_refused(ctx):
    """A bad parameter is an error (null), never a crash: VNIs out of range
    or not numbers, parameters to commands that take none, junk after a
    number, a parameter as long as the library reads; vtepd answers on."""
    bad = ["/vtep/fdb", "/vtep/fdb,", "/vtep/fdb,0", "/vtep/fdb,16777216",
           "/vtep/fdb,99999999999999999999", "/vtep/fdb,abc", "/vtep/fdb,100,",
           "/vtep/fdb,100,x", "/vtep/fdb,100,-1", "/vtep/fdb,100,1,2", "/vtep/fdb,-100",
           "/vtep/fdb, 100", "/vtep/fdb,100 ", "/vtep/fdb,0x64", "/vtep/vni,0",
           "/vtep/vni,abc", "/vtep/vni,list", "/vtep/vni,list,", "/vtep/vni,list,x",
           "/vtep/vni,100,1", "/vtep/vni,16777216", "/vtep/neigh,x", "/vtep/neigh,1,2",
           "/vtep/stats,1", "/vtep/ports,x", "/vtep/health,x", "/vtep/nosuch",
           "/vtep/fdb," + "9" * 1000]
    with ctx.daemon() as d, Telemetry(d.prefix) as t:
        for cmd in bad:
            if len(cmd) < 900:
                t.error(cmd)
            else:
                # The library reads 1023 bytes of a command and names it
                # in the reply; only the answer being an error counts.
                t.sock.send(cmd.encode())
                r = t._recv("a long parameter")
                check(list(r.values()) == [None], "a long parameter: %r", str(r)[:200])
        check(t.get("/vtep/health")["status"] == "ok", "health after bad parameters")
        check(t.get("/vtep/fdb,100")["vni"] == 100, "/vtep/fdb,100 after bad parameters")
        check(d.alive(), "vtepd died")
        d.client.expect(200, "GET", "/v1/health", token=False)


@test(timeout=90)
def telemetry_during_shutdown(ctx):
    """Clients that keep asking while vtepd stops: each answer is a reply or
    an error, vtepd exits 0 within its bound, every time (5 rounds)."""
    for rnd in range(5):
        d = ctx.daemon()
        with d:
            stop, stopping = threading.Event(), threading.Event()
            problems, counts = [], {"ok": 0, "null": 0}
            lock = threading.Lock()

            def hammer(cmds):
                try:
                    t = Telemetry(d.prefix, timeout=5.0)
                except TestFailure as e:
                    with lock:
                        problems.append(str(e))
                    return
                try:
                    while not stop.is_set():
                        for cmd in cmds:
                            try:
                                v = t.raw(cmd)
                            except Closed as e:
                                # Gone with the process: the end of the test.
                                if not stopping.is_set():
                                    with lock:
                                        problems.append("%s: %s" % (cmd, e))
                                return
                            except TestFailure as e:
                                with lock:
                                    problems.append("%s: %s" % (cmd, e))
                                return
                            with lock:
                                counts["ok" if v is not None else "null"] += 1
                finally:
                    t.close()

            threads = [threading.Thread(target=hammer, args=(c,), daemon=True) for c in
                       (["/vtep/stats"], ["/vtep/fdb,100", "/vtep/vni,100"],
                        ["/vtep/health", "/vtep/neigh"], ["/vtep/ports"])]
            for th in threads:
                th.start()
            time.sleep(0.3 + 0.1 * rnd)
            stopping.set()
            d.stop(timeout=10.0)
            stop.set()
            for th in threads:
                th.join(10.0)
            check(not any(th.is_alive() for th in threads),
                  "round %d: a client still waits 10 s after vtepd exited", rnd)
            check(not problems, "round %d: %s", rnd, problems[:5])
            check(counts["ok"] > 0, "round %d: no answer before the stop: %r", rnd, counts)
            print("round %d: %d replies, %d errors (vtepd stopping)" % (rnd, counts["ok"],
                                                                        counts["null"]))
            check("Sanitizer" not in d.log(), "round %d: %s", rnd, d.log()[-3000:])


# ---- capture ------------------------------------------------------------------

HP_DIR = "/sys/kernel/mm/hugepages/hugepages-2048kB"
HP_MOUNT = "/dev/hugepages"


def read_int(path):
    with open(path) as f:
        return int(f.read().strip())


def write_int(path, v):
    with open(path, "w") as f:
        f.write("%d\n" % v)


def hugetlbfs_on(path):
    with open("/proc/mounts") as f:
        return any(l.split()[1] == path and l.split()[2] == "hugetlbfs" for l in f)


class Hugepages:
    """At least `pages` free 2 MB hugepages and hugetlbfs on /dev/hugepages
    while the block runs; then the old page count back, hugetlbfs unmounted
    if this mounted it, and the hugepage files of `prefixes` removed."""

    def __init__(self, pages=512):
        self.pages = pages
        self.old = None
        self.mounted = False
        self.prefixes = []

    def __enter__(self):
        if not os.path.isdir(HP_DIR):
            raise Skip("no 2 MB hugepages on this kernel (%s)" % HP_DIR)
        try:
            nr, free = read_int(HP_DIR + "/nr_hugepages"), read_int(HP_DIR + "/free_hugepages")
            if free < self.pages:
                self.old = nr
                write_int(HP_DIR + "/nr_hugepages", nr + self.pages - free)
                free = read_int(HP_DIR + "/free_hugepages")
                check(free >= self.pages, "asked the kernel for %d more 2 MB hugepages, "
                      "%d free: not enough memory?", self.pages - free, free)
            if not hugetlbfs_on(HP_MOUNT):
                os.makedirs(HP_MOUNT, exist_ok=True)
                p = subprocess.run(["mount", "-t", "hugetlbfs", "nodev", HP_MOUNT],
                                   capture_output=True, text=True, timeout=30)
                check(p.returncode == 0, "mount -t hugetlbfs nodev %s: %s", HP_MOUNT,
                      p.stderr)
                self.mounted = True
        except BaseException:
            self.restore()
            raise
        return self

    def files(self, prefix):
        return glob.glob(os.path.join(HP_MOUNT, glob.escape(prefix) + "map_*"))

    def restore(self):
        for prefix in self.prefixes:
            for f in self.files(prefix):
                try:
                    os.unlink(f)
                except OSError as e:
                    print("cleanup: %s: %s" % (f, e))
        if self.mounted:
            p = subprocess.run(["umount", HP_MOUNT], capture_output=True, text=True,
                               timeout=30)
            if p.returncode != 0:
                print("cleanup: umount %s: %s" % (HP_MOUNT, p.stderr.strip()))
            self.mounted = False
        if self.old is not None:
            write_int(HP_DIR + "/nr_hugepages", self.old)
            self.old = None

    def __exit__(self, *a):
        held = {signal.SIGTERM, signal.SIGINT, signal.SIGHUP}
        old = signal.pthread_sigmask(signal.SIG_BLOCK, held)
        try:
            self.restore()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)
        return False


LOCAL = apitest.LOCAL_IP
VM_A = pkt.VM_A                     # behind vtepd's access port
VM_B = pkt.VM_B                     # unknown: flooded to R2
VM_C = "02:cc:00:00:00:0c"          # a static entry: to R3
CAP_VNI = 100


class CapDaemon(Daemon):
    """vtepd as a primary other processes can attach to: hugepages and
    shared files. The access port vm1 replays two frames from a pcap file
    for as long as it runs (net_pcap infinite_rx): one to an unknown MAC,
    flooded to R2, one to VM_C, which a static entry sends to R3. The
    underlay is net_null: what it sends is gone, but for a capture."""

    def __init__(self, ctx, hp):
        self.frames = [pkt.inner_frame(VM_B, VM_A, size=100),
                       pkt.inner_frame(VM_C, VM_A, size=120, seed=1)]
        super().__init__(ctx.vtepd, ctx.name, keep_dir=ctx.keep,
                         vnis=[{"vni": CAP_VNI, "access": [{"port": "vm1"}],
                                "remotes": [R2]}],
                         fdb=[{"vni": CAP_VNI, "mac": VM_C, "remote": R3}])
        hp.prefixes.append(self.prefix)

    def config(self, vnis, fdb, api_extra):
        rx = self.path("vm1-in.pcap")
        pkt.write_pcap(rx, self.frames)
        text = super().config(vnis, fdb, api_extra)
        eal = ["-m", "256", "--no-pci", "--lcores", "0@0,1@1", "--file-prefix", self.prefix,
               "--log-level", "lib.eal:error", "--log-level", "pmd.net.pcap:error"]
        lines = []
        for l in text.splitlines():
            if l.startswith("eal:"):
                l = "eal: %s" % json.dumps(eal)
            elif "name: uplink" in l:
                l = '  - { name: uplink, devargs: "net_null0,no-rx=1", role: underlay, ' \
                    'mac: "%s" }' % pkt.VTEP_MAC
            elif "name: vm1" in l:
                l = '  - { name: vm1, devargs: "net_pcap1,rx_pcap=%s,infinite_rx=1", ' \
                    'role: access }' % rx
            lines.append(l)
        return "\n".join(lines) + "\n"


def dumpcap(prefix, args, timeout, what):
    """Run dpdk-dumpcap --file-prefix=prefix args to its end, bounded."""
    cmd = [DUMPCAP, "--file-prefix=%s" % prefix] + args
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise TestFailure("%s: %s did not finish within %.0f s:\n%s%s" % (
            what, " ".join(cmd), timeout, e.stdout or "", e.stderr or ""))


def underlay_device(prefix):
    with Telemetry(prefix) as t:
        ports = t.get("/vtep/ports")
    dev = [p["device"] for p in ports.values() if p["role"] == "underlay"]
    check(len(dev) == 1, "/vtep/ports: %r", ports)
    return dev[0]


def tshark(args, timeout=20):
    try:
        p = subprocess.run([TSHARK, "-n"] + args, capture_output=True, text=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        raise TestFailure("tshark %s did not finish within %.0f s" % (" ".join(args), timeout))
    check(p.returncode == 0, "tshark %s: exit %d: %s", " ".join(args), p.returncode, p.stderr)
    return p.stdout


def check_captured(path, frames, count=None):
    """Every frame of the capture (its first `count` if given) is one of
    frames encapsulated in VNI CAP_VNI from the local VTEP: the first toward
    R2 (flooded), the second toward R3 (static entry), byte for byte but the
    outer UDP source port; tshark's dissection agrees. Returns {remote:
    frames}."""
    head = ["-c", str(count)] if count else []
    rows = tshark(["-r", path] + head + ["-o", "ip.check_checksum:TRUE", "-T", "fields",
                   "-E", "separator=|", "-e", "frame.number", "-e", "ip.src", "-e", "ip.dst",
                   "-e", "udp.dstport", "-e", "vxlan.vni", "-e", "eth.src", "-e", "eth.dst",
                   "-e", "ip.checksum.status"]).splitlines()
    check(rows, "tshark finds no frame in %s", path)
    seen = {R2: 0, R3: 0}
    problems = []
    for row in rows:
        # Two of each but VXLAN's: the outer header's, then the inner's.
        num, src, dst, dport, vni, esrc, edst, csum = row.split("|")
        remote = dst.split(",")[0]
        inner_dst = {R2: VM_B, R3: VM_C}.get(remote)
        want = (LOCAL, "4789", str(CAP_VNI), "%s,%s" % (pkt.VTEP_MAC, VM_A),
                "%s,%s" % (pkt.NEIGH_MAC.get(remote, "?"), inner_dst), "1")
        got = (src.split(",")[0], dport.split(",")[0], vni, esrc, edst, csum.split(",")[0])
        if inner_dst is None or got != want:
            problems.append("frame %s: %s, expected %s (ip.src, udp.dstport, vxlan.vni, "
                            "eth.src, eth.dst, outer checksum status)" % (num, got, want))
        else:
            seen[remote] += 1
    check(not problems, "tshark on the capture:\n  %s", "\n  ".join(problems[:10]))
    # Byte for byte, but the outer UDP source port (a hash, in range).
    plain = path + ".pcap"
    tshark(["-r", path] + head + ["-F", "pcap", "-w", plain])
    got = pkt.read_pcap(plain)
    check(len(got) == len(rows), "%d frames as pcap, %d rows", len(got), len(rows))
    for i, f in enumerate(got):
        remote = pkt.outer_dst_ip(f)
        inner = frames[0] if remote == R2 else frames[1]
        pkt.check_encap("captured frame %d" % (i + 1), f, inner, CAP_VNI, remote)
    return seen


@test(timeout=60)
def capture_underlay_encap(ctx):
    """dpdk-dumpcap -i <the underlay's device> on a running vtepd captures
    what it sends: VXLAN from the local VTEP to the remotes, VNI 100, the
    frames the access port received inside (tshark and byte for byte);
    vtepd runs on and stops cleanly after."""
    for p in (DUMPCAP, TSHARK):
        need(p)
    with Hugepages() as hp, CapDaemon(ctx, hp) as d:
        d.start()
        dev = underlay_device(d.prefix)
        check(dev == "net_null0", "the underlay's device is %r", dev)
        p = dumpcap(d.prefix, ["-D"], 20, "listing the interfaces")
        check(p.returncode == 0 and dev in p.stdout, "dpdk-dumpcap -D (exit %d) does not "
              "list %s:\n%s%s", p.returncode, dev, p.stdout, p.stderr)
        out = d.path("uplink.pcapng")
        p = dumpcap(d.prefix, ["-i", dev, "-c", "40", "-w", out, "-q"], 20, "the capture")
        check(p.returncode == 0, "dpdk-dumpcap exited %d:\n%s%s", p.returncode, p.stdout,
              p.stderr)
        check(os.path.exists(out), "no %s after dpdk-dumpcap:\n%s%s", out, p.stdout, p.stderr)
        seen = check_captured(out, d.frames)
        check(sum(seen.values()) >= 40 and seen[R2] and seen[R3],
              "captured %r, expected 40 or more with both remotes", seen)
        check(d.alive(), "vtepd died after the capture:\n%s", d.log()[-3000:])
        with Telemetry(d.prefix) as t:
            s = t.get("/vtep/stats")
        check(s["vnis"]["encap_packets"] > 0 and s["vnis"]["flood_packets"] > 0,
              "counters after the capture: %r", s["vnis"])
        d.client.expect(200, "GET", "/v1/health", token=False)
        d.stop()


class PipeKeeper(threading.Thread):
    """Reads a capture from dpdk-dumpcap's stdout ("-w -") to its end:
    the first `keep` bytes into a file, the rest counted and dropped, so
    that a capture at line rate fills no disk."""

    def __init__(self, pipe, path, keep):
        super().__init__(daemon=True)
        self.pipe, self.path, self.keep = pipe, path, keep
        self.kept = self.total = 0

    def run(self):
        with open(self.path, "wb") as f:
            while True:
                b = self.pipe.read1(1 << 16)
                if not b:
                    return
                if self.kept < self.keep:
                    f.write(b[:self.keep - self.kept])
                    f.flush()
                    self.kept += min(len(b), self.keep - self.kept)
                self.total += len(b)


@test(timeout=60)
def capture_stop_while_capturing(ctx):
    """vtepd stops cleanly (exit 0, within its bound) while dpdk-dumpcap
    still captures its underlay at line rate; the capture holds what it
    sent before (its first frames, checked with tshark)."""
    for p in (DUMPCAP, TSHARK):
        need(p)
    with Hugepages() as hp, CapDaemon(ctx, hp) as d:
        d.start()
        out = d.path("uplink-head.pcapng")
        cap = subprocess.Popen([DUMPCAP, "--file-prefix=%s" % d.prefix, "-i",
                                underlay_device(d.prefix), "-a", "duration:60", "-w", "-",
                                "-q"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               stdin=subprocess.DEVNULL)
        keeper = PipeKeeper(cap.stdout, out, 1 << 20)
        keeper.start()
        try:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and cap.poll() is None and \
                    keeper.total < 4 << 20:
                time.sleep(0.05)
            check(cap.poll() is None, "dpdk-dumpcap exited %r before vtepd stopped: %s",
                  cap.returncode, cap.stderr.read1(4096) if cap.stderr else "")
            check(keeper.total >= 4 << 20, "dpdk-dumpcap wrote %d bytes within 20 s",
                  keeper.total)
            d.stop(timeout=20.0)
        finally:
            # dumpcap stops with SIGINT and writes its file out.
            if cap.poll() is None:
                cap.send_signal(signal.SIGINT)
                try:
                    cap.wait(10)
                except subprocess.TimeoutExpired:
                    cap.kill()
                    cap.wait(10)
            keeper.join(10)
            cap.stdout.close()
            err = cap.stderr.read1(1 << 16).decode(errors="replace") if cap.stderr else ""
            cap.stderr.close()
        check(not keeper.is_alive(), "the capture's pipe still open 10 s after dumpcap "
              "ended")
        print("dpdk-dumpcap: exit %r after vtepd stopped, %d bytes; %s" %
              (cap.returncode, keeper.total, err.strip()[-300:]))
        seen = check_captured(out, d.frames, count=300)
        check(seen[R2] and seen[R3] and sum(seen.values()) == 300, "captured %r", seen)


@test(timeout=45)
def capture_refused_without_shared_files(ctx):
    """vtepd run as the API tests run it (--no-huge, --no-shconf) cannot be
    captured: dpdk-dumpcap fails by itself, bounded, and vtepd runs on."""
    need(DUMPCAP)
    with ctx.daemon() as d:
        out = d.path("x.pcapng")
        p = dumpcap(d.prefix, ["-i", "net_null0", "-c", "1", "-w", out, "-q"], 20,
                    "dumpcap against --no-shconf")
        check(p.returncode != 0, "dpdk-dumpcap exited 0 against a --no-shconf vtepd:\n%s%s",
              p.stdout, p.stderr)
        check(d.alive(), "vtepd died:\n%s", d.log()[-3000:])
        d.client.expect(200, "GET", "/v1/health", token=False)
        with Telemetry(d.prefix) as t:
            check(t.get("/vtep/health")["status"] == "ok", "health")
        print("dpdk-dumpcap said (exit %d): %s" % (p.returncode,
                                                   (p.stdout + p.stderr).strip()[-600:]))
        d.stop()


# ---- main ---------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("name", nargs="?")
    ap.add_argument("--vtepd")
    ap.add_argument("--build", default="")
    ap.add_argument("--list", action="store_true")
    a = ap.parse_args()
    if a.list:
        print("\n".join("%s %d" % (n, t) for n, (f, t) in TESTS.items()))
        return 0
    if a.name not in TESTS or not a.vtepd:
        ap.error("a test name (%s) and --vtepd are needed" % ", ".join(TESTS))
    if not os.access(a.vtepd, os.X_OK):
        print("FAIL %s: %s is not an executable" % (a.name, a.vtepd))
        return 1
    if os.geteuid() != 0:
        print("SKIP %s: needs root (DPDK's runtime directory, hugepages)" % a.name)
        return 77
    reap_stale()
    ctx = Ctx(a.name, os.path.abspath(a.vtepd), a.build)
    return run_test(a.name, lambda: TESTS[a.name][0](ctx), (TestFailure, pkt.TestFailure),
                    (Skip,))


if __name__ == "__main__":
    sys.exit(main())
