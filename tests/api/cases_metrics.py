# SPDX-License-Identifier: BSD-3-Clause
"""
GET /metrics: the Prometheus text format 0.0.4 checked by promtool, every
counter of the .def files present with its help text, gauges that follow
the state, and a real Prometheus server scraping a vtepd that forwards
traffic. Imported by run.py, which lists and runs these tests like the
others.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import yaml

from apitest import (
    R2, SRC, TOKEN, TestFailure, check, expect_error, free_port, test, tmp_base,
)

sys.path.insert(0, os.path.join(SRC, "tests", "pkt"))
from pkt import VM_A, inner_frame, write_pcap  # noqa: E402

PROMTOOL = "/usr/bin/promtool"
PROMETHEUS = "/usr/bin/prometheus"
SCRAPE_EXAMPLE = os.path.join(SRC, "docs", "prometheus.yml")

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


class Metrics:
    """One scrape: samples by (name, labels), and each family's help and type."""

    def __init__(self, text):
        self.text = text
        self.help, self.type, self.samples = {}, {}, {}
        for line in text.splitlines():
            if line.startswith("# HELP "):
                name, _, h = line[7:].partition(" ")
                self.help[name] = h.replace("\\n", "\n").replace("\\\\", "\\")
            elif line.startswith("# TYPE "):
                name, _, t = line[7:].partition(" ")
                self.type[name] = t
            elif line and not line.startswith("#"):
                m = SAMPLE.match(line)
                check(m, "not a sample line: %r", line)
                labels = tuple(sorted(LABEL.findall(m.group(2) or "")))
                self.samples[(m.group(1), labels)] = float(m.group(3))

    def get(self, name, **labels):
        key = (name, tuple(sorted((k, str(v)) for k, v in labels.items())))
        check(key in self.samples, "no sample %s%s in /metrics; the %s samples: %s", name,
              labels or "", name, [k[1] for k in self.samples if k[0] == name][:20])
        return self.samples[key]

    def has(self, name, **labels):
        return (name, tuple(sorted((k, str(v)) for k, v in labels.items()))) in self.samples

    def series(self, name):
        return {k[1]: v for k, v in self.samples.items() if k[0] == name}


def scrape(d):
    a = d.client.get("/metrics")
    check(a.status == 200, "GET /metrics: %r", a)
    ctype = a.headers.get("Content-Type", "")
    check(ctype == "text/plain; version=0.0.4; charset=utf-8",
          "GET /metrics: Content-Type %r, the text format 0.0.4 expected", ctype)
    return Metrics(a.raw.decode("utf-8"))


def def_counters():
    """(family, help, label value or None) of every counter of the .def files."""
    out = []
    two = re.compile(r'^\w+\(\s*\w+,\s*"([^"]+)",\s*"((?:[^"\\]|\\.)*)"\)', re.M)
    three = re.compile(r'^\w+\(\s*\w+,\s*"([^"]+)",\s*"([^"]+)",\s*"((?:[^"\\]|\\.)*)"\)', re.M)
    ctl = os.path.join(SRC, "lib", "ctl")
    for fname, prefix in (("ctl_port_ctr.def", "vtep_port_"), ("ctl_vni_ctr.def", "vtep_vni_")):
        with open(os.path.join(ctl, fname)) as f:
            for name, h in two.findall(f.read()):
                out.append((prefix + name + "_total", h, fname))
    for fname in ("ctl_worker_ctr.def", "ctl_ctr.def"):
        with open(os.path.join(ctl, fname)) as f:
            for group, name, h in three.findall(f.read()):
                out.append(("vtep_%s_%s_total" % (group, name), h, fname))
    fdb = re.compile(r'^FDB_STAT\(\s*\w+,\s*\w+,\s*"([^"]+)",\s*(true|false),\s*"([^"]+)"\)',
                     re.M)
    with open(os.path.join(SRC, "lib", "fdb", "fdb_stats.def")) as f:
        stats = fdb.findall(f.read())
    check(len(stats) >= 8, "only %d stats found in fdb_stats.def: the pattern is stale", len(stats))
    for name, counter, h in stats:
        out.append(("vtep_fdb_" + name + ("_total" if counter == "true" else ""), h,
                    "fdb_stats.def"))
    check(len(out) >= 28, "only %d counters found in the .def files: the pattern is stale",
          len(out))
    return out


def drop_reasons():
    with open(os.path.join(SRC, "lib", "vtep", "vtep_drop.def")) as f:
        names = re.findall(r'^VTEP_DROP\(\s*\w+,\s*"([^"]+)"', f.read(), re.M)
    check(len(names) >= 10, "only %d drop reasons found in vtep_drop.def", len(names))
    return names


def promtool_check(text):
    check(os.access(PROMTOOL, os.X_OK), "%s is missing: scripts/deps.sh installs prometheus",
          PROMTOOL)
    p = subprocess.run([PROMTOOL, "check", "metrics"], input=text.encode(),
                       capture_output=True, timeout=30)
    out = (p.stdout + p.stderr).decode(errors="replace").strip()
    check(p.returncode == 0 and out == "",
          "promtool check metrics: exit %d, said:\n%s", p.returncode, out[:3000])


@test
def metrics_promtool(ctx):
    """GET /metrics passes promtool check metrics (format and lint), with
    the token when one is configured."""
    with ctx.daemon() as d:
        expect_error(d.client.get("/metrics", token=False), 401, what="GET /metrics without a token")
        m = scrape(d)
        promtool_check(m.text)
        for fam, t in m.type.items():
            check(t in ("counter", "gauge"), "%s: type %s", fam, t)
            check((t == "counter") == fam.endswith("_total"),
                  "%s is a %s: counters and only counters end in _total", fam, t)
            check(fam.startswith("vtep_"), "%s: not prefixed vtep_", fam)
            check(fam in m.help and m.help[fam], "%s has no # HELP", fam)


@test
def metrics_def_counters(ctx):
    """Every counter of the .def files (and the FDB's stats) is a family of
    /metrics with the .def's help text, and every drop reason a
    vtep_drops_total series."""
    with ctx.daemon() as d:
        m = scrape(d)
        for fam, h, src in def_counters():
            want = "counter" if fam.endswith("_total") else "gauge"
            check(m.type.get(fam) == want, "%s of %s: not a %s family in /metrics", fam, src,
                  want)
            check(m.help.get(fam) == h, "%s: help %r, %s says %r", fam, m.help.get(fam), src, h)
        for reason in drop_reasons():
            check(m.has("vtep_drops_total", reason=reason),
                  "vtep_drops_total{reason=%r} missing", reason)
        # labels of the per-object families
        check(m.has("vtep_port_rx_packets_total", port="uplink"), "no port label")
        check(m.has("vtep_vni_encap_packets_total", vni=100), "no vni label")
        check(m.has("vtep_worker_busy_ratio", worker=0), "no worker label")


@test
def metrics_follow_state(ctx):
    """The gauges follow what the API changes: VNIs, FDB entries by type
    per VNI, neighbours by state, pools, rings, busy ratio, build info."""
    with ctx.daemon() as d:
        c = d.client
        m0 = scrape(d)
        check(m0.get("vtep_vnis") == 2, "vtep_vnis %s, 2 configured", m0.get("vtep_vnis"))
        check(not m0.has("vtep_vni_fdb_entries", vni=300, type="static"), "VNI 300 before it exists")
        c.expect(201, "PUT", "/v1/vnis/300", {"access": [{"port": "vm2", "vlan": 30}],
                                              "remotes": [R2]})
        c.expect(201, "POST", "/v1/vnis/300/fdb", {"mac": "02:00:00:00:30:01", "remote": R2})
        m = scrape(d)
        check(m.get("vtep_vnis") == 3, "vtep_vnis after PUT: %s", m.get("vtep_vnis"))
        check(m.get("vtep_vni_fdb_entries", vni=300, type="static") == 1, "static entry of 300")
        check(m.get("vtep_vni_fdb_entries", vni=300, type="learned") == 0, "learned of 300")
        check(m.get("vtep_fdb_static") == 1 and m.get("vtep_fdb_entries") == 1, "vtep_fdb_static")
        changes = m.get("vtep_ctl_changes_total") - m0.get("vtep_ctl_changes_total")
        check(changes == 2, "vtep_ctl_changes_total went up by %s for two changes", changes)
        check(m.get("vtep_vni_encap_packets_total", vni=300) == 0, "a new VNI's counter")
        # two static neighbours in the configuration, none other
        check(m.get("vtep_neighbors", state="static") == 2, "static neighbours")
        check(m.get("vtep_neighbors", state="reachable") == 0, "reachable neighbours")
        health = c.expect(200, "GET", "/v1/health").body
        check(m.get("vtep_build_info", version=health["version"]) == 1, "build info")
        pools = m.series("vtep_mempool_size")
        check(len(pools) >= 2, "mbuf pools: %s", pools)
        for labels, size in pools.items():
            used = m.samples[("vtep_mempool_in_use", labels)]
            check(0 <= used <= size and size > 0, "pool %s: %s in use of %s", labels, used, size)
        rings = m.series("vtep_ring_size")
        check(any(dict(k).get("ring", "").startswith("learn") for k in rings),
              "no learn ring among %s", list(rings))
        for labels, size in rings.items():
            used = m.samples[("vtep_ring_used", labels)]
            check(0 <= used <= size, "ring %s: %s of %s", labels, used, size)
        # The ratio is measured once a second; an idle worker polls
        # without work, so it stays well below 1.
        time.sleep(1.2)
        m = scrape(d)
        polled = m.get("vtep_worker_cycles_polled_total", worker=0)
        busy = m.get("vtep_worker_cycles_busy_total", worker=0)
        ratio = m.get("vtep_worker_busy_ratio", worker=0)
        check(polled > 0 and 0 <= busy <= polled, "cycles: busy %s of %s", busy, polled)
        check(0 <= ratio < 0.5, "an idle worker's busy ratio: %s", ratio)
        c.expect(204, "DELETE", "/v1/vnis/300")
        m = scrape(d)
        check(not m.has("vtep_vni_encap_packets_total", vni=300), "VNI 300 after DELETE")
        check(m.get("vtep_vnis") == 2, "vtep_vnis after DELETE")


OPERATING = os.path.join(SRC, "docs", "OPERATING.md")


@test
def metrics_documented(ctx):
    """docs/OPERATING.md lists every family /metrics has, with its type,
    no family it does not have, and every drop reason of vtep_drop.def."""
    with open(OPERATING) as f:
        doc = f.read()
    rows = dict(re.findall(r"^\| `(vtep_\w+)` \| (counter|gauge) \|", doc, re.M))
    with ctx.daemon() as d:
        m = scrape(d)
    for fam, t in m.type.items():
        check(rows.get(fam) == t, "%s (%s) is not in the table of docs/OPERATING.md as a %s",
              fam, t, t)
    stale = sorted(set(rows) - set(m.type))
    check(not stale, "docs/OPERATING.md lists families /metrics does not have: %s", stale)
    reasons = set(re.findall(r"^\| `([a-z_0-9]+)` \| [^|]+ \|$", doc, re.M))
    missing = [r for r in drop_reasons() if r not in reasons]
    check(not missing, "drop reasons missing from docs/OPERATING.md: %s", missing)


# ---- a real Prometheus ------------------------------------------------------

def http_json(url, timeout=5.0):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        import json
        return json.loads(r.read().decode())


def prometheus_config(path, target, token_path):
    """docs/prometheus.yml, scraping @target every second with the token."""
    with open(SCRAPE_EXAMPLE) as f:
        doc = yaml.safe_load(f)
    doc["global"]["scrape_interval"] = "1s"
    doc["global"]["scrape_timeout"] = "1s"
    job = doc["scrape_configs"][0]
    job["authorization"]["credentials_file"] = token_path
    job["static_configs"][0]["targets"] = [target]
    with open(path, "w") as f:
        yaml.safe_dump(doc, f)
    p = subprocess.run([PROMTOOL, "check", "config", path], capture_output=True, timeout=30)
    check(p.returncode == 0, "promtool check config of docs/prometheus.yml: %s",
          (p.stdout + p.stderr).decode(errors="replace"))


class Prometheus:
    def __init__(self, conf, workdir):
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.log_path = os.path.join(workdir, "prometheus.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [PROMETHEUS, "--config.file=" + conf,
             "--storage.tsdb.path=" + os.path.join(workdir, "tsdb"),
             "--web.listen-address=127.0.0.1:%d" % self.port, "--log.level=warn"],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def output(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()[-3000:]

    def wait_ready(self, timeout=60.0):
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise TestFailure("prometheus exited with %d: %s" % (self.proc.returncode,
                                                                    self.output()))
            try:
                with urllib.request.urlopen(self.base + "/-/ready", timeout=2) as r:
                    if r.status == 200:
                        return
            except (OSError, urllib.error.URLError) as e:
                last = str(e)
            time.sleep(0.2)
        raise TestFailure("prometheus not ready within %.0f s (%s): %s" % (timeout, last,
                                                                          self.output()))

    def query(self, q):
        doc = http_json(self.base + "/api/v1/query?" + urllib.parse.urlencode({"query": q}))
        check(doc.get("status") == "success", "query %s: %s", q, doc)
        return doc["data"]["result"]

    def wait_value(self, q, want, timeout=30.0):
        deadline = time.monotonic() + timeout
        got = None
        while time.monotonic() < deadline:
            got = self.query(q)
            if len(got) == 1 and float(got[0]["value"][1]) == want:
                return got[0]
            time.sleep(0.5)
        targets = http_json(self.base + "/api/v1/targets")
        raise TestFailure("prometheus: %s is %s after %.0f s, %s expected; targets: %s" %
                          (q, got, timeout, want, targets["data"]["activeTargets"]))

    def close(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.log.close()


@test
def metrics_prometheus_scrape(ctx):
    """A real Prometheus, on loopback with a 1 s scrape and the example
    configuration, scrapes vtepd; a query through its HTTP API returns the
    encap counter of the VNI that the test sent traffic on."""
    check(os.access(PROMETHEUS, os.X_OK), "%s is missing: scripts/deps.sh installs prometheus",
          PROMETHEUS)
    work = tempfile.mkdtemp(prefix="vtep-prom-", dir=tmp_base())
    prom = None
    try:
        n = 50
        frames = [inner_frame("02:dd:00:00:00:%02x" % (i % 5), VM_A, seed=i) for i in range(n)]
        rx = os.path.join(work, "vm1.pcap")
        write_pcap(rx, frames)
        # vm1 replays the frames once: unknown unicast on VNI 100, flooded
        # to its one remote, so encap_packets ends at n.
        devargs = "net_pcap1,rx_pcap=%s,tx_pcap=%s" % (rx, os.path.join(work, "vm1-tx.pcap"))
        with ctx.daemon(devargs={"vm1": devargs}) as d:
            conf = os.path.join(work, "prometheus.yml")
            prometheus_config(conf, "127.0.0.1:%d" % d.port, d.token_path)
            prom = Prometheus(conf, work)
            prom.wait_ready()
            prom.wait_value('up{job="vtepd"}', 1)
            r = prom.wait_value('vtep_vni_encap_packets_total{vni="100"}', n)
            check(r["metric"].get("host") == "vtep1", "the example's target label: %s",
                  r["metric"])
            stats = d.client.expect(200, "GET", "/v1/vnis/100/stats").body
            check(stats["encap_packets"] == n, "the API says %s encapsulated", stats)
            prom.wait_value('vtep_vni_fdb_entries{vni="100",type="learned"}', 1)
            prom.wait_value('vtep_port_rx_packets_total{port="vm1"}', n)
    finally:
        if prom is not None:
            prom.close()
        shutil.rmtree(work, ignore_errors=True)
