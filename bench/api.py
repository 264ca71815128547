#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""
The REST API's cost while the worker forwards at full rate.

    bench/api.py [--build DIR] [--vnis N] [--fdb N] [--seconds S]

vtepd encapsulates 64-byte frames replayed from memory (net_pcap,
infinite_rx) to net_null on one worker core, as bench/perf.sh does, while
this script:
  1. creates N VNIs one request each (PUT /v1/vnis/{vni}) and deletes them,
     without and with a state_file: requests per second, p50 and p99;
  2. creates the same N VNIs by one PUT /v1/config;
  3. adds --fdb static FDB entries by one bulk POST /v1/vnis/100/fdb.
For each phase it prints the worker's encap rate during the phase against
the rate in the seconds before it (the dip). Nothing here is a test: no
figure is checked. Needs root (2 MB hugepages).
"""

import argparse
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PORT = 18181


def hugepages():
    p = "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
    if int(open(p).read()) < 1024:
        open(p, "w").write("1024")
    os.makedirs("/dev/hugepages", exist_ok=True)
    if subprocess.call(["mountpoint", "-q", "/dev/hugepages"]) != 0:
        subprocess.check_call(["mount", "-t", "hugetlbfs", "nodev", "/dev/hugepages"])


class Api:
    def __init__(self):
        self.conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)

    def req(self, method, path, body=None):
        # bytes: encoded beforehand, so that the client's own JSON encoding
        # is not in the time measured
        data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
        hdrs = {"Content-Type": "application/json"} if data is not None else {}
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=data, headers=hdrs)
                r = self.conn.getresponse()
                raw = r.read()
                break
            except (http.client.HTTPException, OSError):
                # the server closed an idle keep-alive connection
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
                if attempt:
                    raise
        return r.status, (json.loads(raw) if raw else None)

    def ok(self, method, path, body=None, want=(200, 201, 204)):
        st, doc = self.req(method, path, body)
        if st not in want:
            raise SystemExit("%s %s: %d %s" % (method, path, st, doc))
        return doc


def encap_count(api):
    return api.ok("GET", "/v1/vnis/100/stats")["encap_packets"]


def rate(api, seconds):
    a, t0 = encap_count(api), time.monotonic()
    time.sleep(seconds)
    b, t1 = encap_count(api), time.monotonic()
    return (b - a) / (t1 - t0)


def phase(api, name, fn, base_s):
    """Run fn while measuring the worker's rate; print the dip."""
    before = rate(api, base_s)
    a, t0 = encap_count(api), time.monotonic()
    extra = fn()
    t1 = time.monotonic()
    # A phase shorter than a second is measured over a second from its
    # start: the counters are read through the API, and a rate over a few
    # milliseconds says nothing.
    if t1 - t0 < 1.0:
        time.sleep(1.0 - (t1 - t0))
    b, t2 = encap_count(api), time.monotonic()
    during = (b - a) / (t2 - t0)
    print("%-44s %8.3f s  %s  worker %.2f -> %.2f Mpps over %.1f s (dip %.1f %%)" %
          (name, t1 - t0, extra, before / 1e6, during / 1e6, t2 - t0,
           100.0 * (1 - during / before) if before else 0.0))
    sys.stdout.flush()


def percentile(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * p / 100.0))]


def one_by_one(api, vnis):
    lat = []
    t0 = time.monotonic()
    for v in vnis:
        s = time.monotonic()
        api.ok("PUT", "/v1/vnis/%d" % v["vni"], {"access": v["access"]}, want=(201,))
        lat.append(time.monotonic() - s)
    dt = time.monotonic() - t0
    return "%6.0f req/s  p50 %6.2f ms  p99 %6.2f ms" % (
        len(vnis) / dt, percentile(lat, 50) * 1e3, percentile(lat, 99) * 1e3)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--vnis", type=int, default=4096)
    ap.add_argument("--fdb", type=int, default=100000)
    ap.add_argument("--seconds", type=float, default=2.0, help="rate window before each phase")
    a = ap.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("api.py: needs root (hugepages)")
    subprocess.check_call([os.path.join(ROOT, "scripts", "build.sh")],
                          env=dict(os.environ, BUILD_DIR=a.build))
    hugepages()
    work = tempfile.mkdtemp(prefix="vtep-apibench-")
    proc = None
    try:
        subprocess.check_call(["/usr/bin/python3", os.path.join(ROOT, "bench", "mkpcap.py"),
                               work, "--flows", "64", "--size", "64"],
                              stdout=subprocess.DEVNULL)
        others = [{"vni": 10000 + i,
                   "access": [{"port": "vm2" if i < 4094 else "vm", "vlan": i % 4094 + 1}]}
                  for i in range(a.vnis)]
        for with_state in (False, True):
            conf = os.path.join(work, "vtepd.yaml")
            state = os.path.join(work, "state.yaml")
            if os.path.exists(state):
                os.unlink(state)
            with open(conf, "w") as f:
                f.write("""eal: ["-l", "0,1", "-n", "4", "--file-prefix", "vtep-apibench", "--no-pci",
      "--log-level", "pmd.net.pcap:error"]
ports:
  - { name: vm, devargs: "net_pcap0,rx_pcap=%s/encap.pcap,infinite_rx=1", role: access }
  - { name: vm2, devargs: "net_null1,no-rx=1", role: access }
  - { name: uplink, devargs: "net_null0,no-rx=1", role: underlay }
underlay:
  port: uplink
  address: 198.18.0.1/24
  neighbors:
    - { ip: 198.18.0.2, mac: "02:00:00:00:0a:02" }
vnis:
  - vni: 100
    access: [ { port: vm, vlan: untagged } ]
    remotes: [ 198.18.0.2 ]
api: { listen: 127.0.0.1:%d, body_limit: 67108864 }
%s
""" % (work, PORT, ("state_file: " + state) if with_state else ""))
                f.write(open(os.path.join(work, "fdb.yaml")).read())
            log = open(os.path.join(work, "vtepd.log"), "w")
            proc = subprocess.Popen([os.path.join(a.build, "app", "vtepd", "vtepd"), "-c", conf],
                                    stdout=log, stderr=subprocess.STDOUT)
            api = Api()
            deadline = time.monotonic() + 30
            while True:
                try:
                    if api.req("GET", "/v1/health")[0] == 200:
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise SystemExit("vtepd did not answer within 30 s; see %s" % log.name)
                time.sleep(0.2)
            time.sleep(2)  # the pipeline warms up
            tag = "with state_file" if with_state else "no state_file"
            print("--- %s" % tag)
            phase(api, "%d VNIs, one PUT each" % a.vnis, lambda: one_by_one(api, others),
                  a.seconds)
            phase(api, "%d VNIs, one DELETE each" % a.vnis,
                  lambda: [api.ok("DELETE", "/v1/vnis/%d" % v["vni"], want=(204,))
                           for v in others] and "", a.seconds)
            base = api.ok("GET", "/v1/config")
            whole = json.dumps(dict(base, vnis=base["vnis"] + others)).encode()
            phase(api, "%d VNIs by one PUT /v1/config" % a.vnis,
                  lambda: api.ok("PUT", "/v1/config", whole) and "", a.seconds)
            api.ok("PUT", "/v1/config", base)
            entries = [{"mac": "02:%02x:%02x:%02x:%02x:%02x" % (
                        0x10 + (i >> 32 & 0xff), i >> 24 & 0xff, i >> 16 & 0xff,
                        i >> 8 & 0xff, i & 0xff), "remote": "198.18.0.2"}
                       for i in range(a.fdb)]
            entries = json.dumps(entries).encode()
            phase(api, "%d static FDB entries by one POST" % a.fdb,
                  lambda: api.ok("POST", "/v1/vnis/100/fdb", entries) and "", a.seconds)
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
            proc = None
            log.close()
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(10)
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree("/var/run/dpdk/vtep-apibench", ignore_errors=True)
        for f in os.listdir("/dev/hugepages"):
            if f.startswith("vtep-apibench"):
                os.unlink(os.path.join("/dev/hugepages", f))


if __name__ == "__main__":
    main()
