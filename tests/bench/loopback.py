#!/usr/bin/python3
"""vtep-bench on virtual devices: no NIC, no hugepages.

    loopback.py VTEP_BENCH CASE [SOURCE_ROOT]

pacing    net_ring0 is a loopback (TX queue 0 feeds RX queue 0): 1 Mpps
          for 3 s sends no more than the frames due, gives one sample a
          second, and every frame sent comes back and verifies (--verify
          plain)
mismatch  frames that are not what the verify mode expects are counted by
          class, none accepted, and the exit status says so
features  a traffic file, VXLAN frames, random flows, VNI range, BUM share,
          latency probes and the histogram CSV, on the same loopback
rfc2544   the throughput search end to end, up to a low first rate and then
          from a rate beyond the generator: every trial lossless or marked
          generator-limited, and the result the one its trials give
memif     two processes joined by net_memif without hugepages: dpdk-testpmd
          io-forwards the frames back, every one of them, and they verify
          (skipped without dpdk-testpmd)
usage     bad options and a bad traffic file exit 2 with the reason

The generator gets lcore 0 to itself; the only other busy loop (testpmd in
the memif case) runs on CPU 1.

Every assertion is a count or a content, never a rate: the machine is
shared, and a generator that gets less CPU sends fewer frames, but each
frame it sends must come back and verify. Every wait is bounded; no
process is reaped while its memif peer runs (peers.py).
"""
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

import peers

SKIP = 77


def prefix(tag):
    return "vb-test-%d-%s" % (os.getpid(), tag)


def eal(tag, cores=("-l", "0")):
    return ["--no-huge", "-m", "512", "--no-pci", "--no-shconf",
            "--file-prefix", prefix(tag), *cores,
            "--log-level", "lib.eal:error", "--log-level", "pmd.net.memif:error"]


def forget(tag):
    """Remove the runtime directory EAL leaves behind for this prefix."""
    base = "/var/run/dpdk" if os.geteuid() == 0 else \
        os.path.join(os.environ.get("XDG_RUNTIME_DIR", "/tmp"), "dpdk")
    shutil.rmtree(os.path.join(base, prefix(tag)), ignore_errors=True)


def run(bench, tag, args, expect_rc=0, timeout=40, peer=None):
    """One generator process, its output printed and returned. With @peer
    (Popen, name), a DPDK process joined to it: the generator's exit is
    observed without reaping it, the peer stopped, then both reaped."""
    cmd = [bench] + eal(tag) + ["--"] + args
    print("$", " ".join(cmd))
    name = "vtep-bench (%s)" % tag
    with tempfile.TemporaryFile("w+") as out:
        p = None
        try:
            p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out,
                                 stderr=subprocess.STDOUT)
            peers.wait_for(lambda: peers.exited(p), timeout, name + " to end")
        finally:
            try:
                rc = peers.end_all([(p, name)] + ([peer] if peer else [])).get(name)
            finally:
                forget(tag)
                out.seek(0)
                text = out.read()
                sys.stdout.write(text)
    if expect_rc is not None and rc != expect_rc:
        raise AssertionError("%s: exit %d, expected %d" % (" ".join(cmd), rc, expect_rc))
    return text


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print("ok:", what)


def due(pps, seconds):
    """The most frames a run of @seconds at @pps sends: pps x seconds, and one
    more that the rounding of the schedule to TSC cycles can let in (a 0.2 s
    trial at 14 Mpps has sent 2 800 001)."""
    return int(round(pps * seconds)) + 1


def all_back(j, most, what):
    """A run's counts: at most the @most frames due sent (fewer if the
    generator fell behind: not asserted), none refused, every one back and
    verified."""
    tx, v = j["tx"], j["verify"]
    check(0 < j["sent"] <= most, "%s: %d frames sent, at most %d due" % (what, j["sent"], most))
    check(tx["refused"] == 0 and tx["nombuf"] == 0,
          "%s: none refused (%d), no mbuf shortage (%d)" % (what, tx["refused"], tx["nombuf"]))
    check(j["rx"]["frames"] == j["sent"] and j["received"] == j["sent"] and j["lost"] == 0,
          "%s: every frame sent came back (%d of %d) and verified, none lost (%d)"
          % (what, j["received"], j["sent"], j["lost"]))
    check(v["ok"] == j["sent"] and v["mismatches"] == 0 and v["reordered"] == 0,
          "%s: zero mismatches (%d), nothing reordered (%d)"
          % (what, v["mismatches"], v["reordered"]))


def pacing(bench, tmp, src):
    out = os.path.join(tmp, "pacing.json")
    run(bench, "pacing", ["--tx-port", "net_ring0", "--rate", "1mpps", "--duration", "3",
                          "--verify", "plain", "--json", out])
    j = json.load(open(out))
    all_back(j, due(1e6, 3), "1 Mpps for 3 s")
    # One sample per whole second of the run, their times in order: counts
    # of the schedule, not how fast the generator went.
    t = [x["t"] for x in j["seconds"]]
    check(len(t) == 3 and t == sorted(t), "three per-second samples, in order: %s" % t)


def mismatch(bench, tmp, src):
    out = os.path.join(tmp, "mismatch.json")
    # Access frames come back as they went: not the VXLAN encap expects.
    run(bench, "mm1", ["--tx-port", "net_ring0", "--rate", "100kpps", "--duration", "0.5",
                       "--verify", "encap", "--json", out], expect_rc=3)
    j = json.load(open(out))
    v = j["verify"]
    check(0 < j["sent"] <= due(1e5, 0.5), "%d frames sent, at most 50001 due" % j["sent"])
    check(v["not_vxlan"] == j["sent"] and v["ok"] == 0,
          "all %d counted as not_vxlan, none accepted" % v["not_vxlan"])
    check(j["received"] == 0 and j["lost"] == j["sent"], "none counted as received")
    check(v["mismatches"] == j["rx"]["frames"], "every frame received has a verdict")
    # VXLAN frames come back still encapsulated: decap finds no inner stamp.
    run(bench, "mm2", ["--tx-port", "net_ring0", "--kind", "vxlan", "--rate", "100kpps",
                       "--duration", "0.5", "--verify", "decap", "--json", out], expect_rc=3)
    j = json.load(open(out))
    check(j["verify"]["unknown"] == j["sent"] and j["verify"]["ok"] == 0,
          "decap of VXLAN frames: all %d unknown" % j["sent"])


def features(bench, tmp, src):
    out = os.path.join(tmp, "features.json")
    csv = os.path.join(tmp, "latency.csv")
    traffic = os.path.join(src, "bench", "gen", "traffic-example.yaml")
    run(bench, "feat", ["--tx-port", "net_ring0", "--traffic", traffic,
                        "--rate", "200kpps", "--duration", "1", "--verify", "plain",
                        "--latency-csv", csv, "--json", out])
    j = json.load(open(out))
    c, lat = j["config"], j["latency"]
    check(c["kind"] == "vxlan" and c["size"] == 128 and c["wire_size"] == 178,
          "the file's kind and size (VXLAN adds 50 bytes)")
    check(c["flows"] == 1000 and c["flow_mode"] == "random" and c["vni"] == [100, 163]
          and c["bum_pct"] == 5, "the file's flows, VNIs and BUM share")
    check(j["rate_asked_pps"] == 200000, "the command line's rate over the file's")
    all_back(j, due(2e5, 1) + due(1000, 1), "the traffic file's frames and the probes")
    check(lat is not None and 0 < lat["probes_sent"] <= due(1000, 1),
          "%d probes sent, at most 1001 due in 1 s" % (lat and lat["probes_sent"]))
    check(lat["probes_received"] == lat["probes_sent"], "every probe came back")
    check(lat["min_ns"] <= lat["median_ns"] <= lat["p99_ns"] <= lat["p999_ns"]
          <= lat["max_ns"], "min <= median <= p99 <= p99.9 <= max")
    rows = open(csv).read().split()
    check(rows[0] == "bucket_ns,count", "CSV header")
    check(sum(int(r.split(",")[1]) for r in rows[1:]) == lat["probes_received"],
          "the histogram holds every probe")


def search_consistent(r, max_rate, resolution):
    """What a search reports follows from its trials, whatever the rates the
    generator managed: on a loopback nothing is lost, so a trial fails only
    when the generator could not offer its rate, and says so."""
    trials = r["trials"]
    check(trials and trials[0]["rate_pps"] == max_rate,
          "%d B: the first trial at the maximum rate" % r["size"])
    for t in trials:
        check(t["received"] == t["sent"] and t["pass"] == (not t["limited"]),
              "%d B at %.0f pps: %d of %d back; %s" % (
                  r["size"], t["rate_pps"], t["received"], t["sent"],
                  "passed" if t["pass"] else "failed, generator-limited"))
    passed = [t["rate_pps"] for t in trials if t["pass"]]
    failed = [t["rate_pps"] for t in trials if not t["pass"]]
    check(r["found"] == bool(passed), "%d B: a rate found iff a trial passed" % r["size"])
    if passed:
        check(r["rate_pps"] == max(passed) and all(f > r["rate_pps"] for f in failed),
              "%d B: %.0f pps, the highest rate that passed, below every failure"
              % (r["size"], r["rate_pps"]))
    if trials[0]["pass"]:
        check(len(trials) == 1 and r["rate_pps"] == max_rate,
              "%d B: lossless at the first rate, one trial" % r["size"])
    else:
        check(r["generator_limited"], "%d B: the generator, not the loopback, is named "
              "as the limit" % r["size"])
        if passed and r["complete"]:
            check(r["fail_pps"] - r["rate_pps"] <= resolution + 1,
                  "%d B: pass and fail within the resolution" % r["size"])
    # Halving the span from the maximum down to the resolution.
    span = max(1, int(max_rate / resolution))
    check(len(trials) <= 2 + span.bit_length(), "%d B: %d trials for a search of %d steps"
          % (r["size"], len(trials), span))


def rfc2544(bench, tmp, src):
    out = os.path.join(tmp, "rfc.json")
    run(bench, "rfc1", ["--tx-port", "net_ring0", "--rfc2544", "--sizes", "64,1518",
                        "--trial-seconds", "0.3", "--drain", "0.1", "--max-rate", "100kpps",
                        "--resolution", "10kpps", "--verify", "plain", "--json", out])
    j = json.load(open(out))
    check(j["mode"] == "rfc2544" and [r["size"] for r in j["results"]] == [64, 1518],
          "one result per size")
    for r in j["results"]:
        search_consistent(r, 100000, 10000)
    # 50 Mpps is beyond one core: the search bisects down to what the
    # generator offers, and says the generator limited it. Whatever rate
    # it settles at, the report must follow from the trials.
    run(bench, "rfc2", ["--tx-port", "net_ring0", "--rfc2544", "--sizes", "64",
                        "--trial-seconds", "0.2", "--drain", "0.1", "--max-rate", "50mpps",
                        "--resolution", "2mpps", "--json", out])
    r = json.load(open(out))["results"][0]
    search_consistent(r, 50e6, 2e6)


def memif(bench, tmp, src):
    testpmd = shutil.which("dpdk-testpmd")
    if testpmd is None:
        print("dpdk-testpmd not found: skipped")
        sys.exit(SKIP)
    sock = os.path.join(tmp, "memif.sock")
    out = os.path.join(tmp, "memif.json")
    # testpmd on CPU 1 (its main and forwarding lcores both), the generator on CPU 0.
    tp = subprocess.Popen([testpmd] + eal("tp", ("--lcores", "0@1,1@1")) +
                          ["--vdev", "net_memif0,role=server,socket=" + sock, "--",
                           "--forward-mode=io", "--auto-start", "--no-mlockall",
                           "--total-num-mbufs=8192", "--stats-period", "1"],
                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.STDOUT)
    try:
        # The warm-up brings testpmd's forwarding up: frames sent while it
        # starts (about 4 % of a 2 s run, all in its first second) are lost
        # in testpmd, not in what this case tests. The client sets the
        # rings up: 16384 slots ride out a few milliseconds in which a
        # loaded machine schedules neither side. The generator's exit is
        # observed, testpmd stopped, then both reaped.
        run(bench, "memif", ["--tx-port", "net_memif0,role=client,rsize=14,socket=" + sock,
                             "--rate", "50kpps", "--duration", "2", "--warmup", "1",
                             "--link-wait", "20", "--verify", "plain", "--latency",
                             "--json", out], peer=(tp, "dpdk-testpmd"))
    finally:
        peers.end_all([(tp, "dpdk-testpmd")])
        forget("tp")
    j = json.load(open(out))
    # The frames cross two processes without hugepages and come back
    # intact, all of them. No rate: testpmd's share of a busy CPU 1
    # decides it.
    all_back(j, due(5e4, 2) + due(1000, 2), "over memif through dpdk-testpmd")
    lat = j["latency"]
    check(lat["probes_sent"] > 0 and lat["probes_received"] == lat["probes_sent"],
          "every probe came back (%d of %d)" % (lat["probes_received"], lat["probes_sent"]))


def sweep(bench, tmp, src):
    """--sweep: every point a full run, in one process, one JSON document."""
    out = os.path.join(tmp, "sweep.json")
    text = run(bench, "sweep", ["--tx-port", "net_ring0", "--rate", "100kpps",
                                "--duration", "0.5", "--flows", "4", "--verify", "plain",
                                "--quiet", "--warmup", "0.3",
                                "--sweep", "size=64,512,1518", "--json", out])
    m = re.search(r"^warm-up: 0\.3 s at 0\.100 Mpps, (\d+) sent, (\d+) back$", text, re.M)
    check(m and 0 < int(m.group(1)) <= due(1e5, 0.3) and m.group(1) == m.group(2),
          "a warm-up of 0.3 s at the first point's rate before the first point, all back")
    j = json.load(open(out))
    check(j["mode"] == "sweep" and j["parameter"] == "size", "a sweep over size")
    pts = j["points"]
    check([p["value"] for p in pts] == ["64", "512", "1518"]
          and [p["config"]["size"] for p in pts] == [64, 512, 1518],
          "one point per value, each run at its size")
    for p in pts:
        # 0.5 s at 100 kpps: the warm-up's frames are not counted.
        all_back(p, due(1e5, 0.5), "%s B" % p["value"])
    run(bench, "sweep2", ["--tx-port", "net_ring0", "--rate", "100kpps", "--duration", "0.2",
                          "--verify", "plain", "--quiet", "--sweep", "flows=1,300",
                          "--json", out])
    pts = json.load(open(out))["points"]
    check([p["config"]["flows"] for p in pts] == [1, 300], "a flows sweep: 1 and 300 flows")
    for p in pts:
        all_back(p, due(1e5, 0.2), "%d flows" % p["config"]["flows"])


def rxqueues(bench, tmp, src):
    """--rx-queues: frames that arrive on another RX queue than 0 are received.

    A pcap port with two RX queues (one pcap file each) stands in for a
    device under test that sends on its second TX queue, as Open vSwitch's
    PMD does: queue 0 stays empty, queue 1 replays frames the generator
    wrote in a first run."""
    empty, frames = os.path.join(tmp, "empty.pcap"), os.path.join(tmp, "frames.pcap")
    with open(empty, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    out = os.path.join(tmp, "rxq.json")
    run(bench, "rxq0", ["--tx-port", "net_pcap0,rx_pcap=%s,tx_pcap=%s" % (empty, frames),
                        "--rate", "100kpps", "--duration", "0.02", "--flows", "4",
                        "--quiet", "--drain", "0", "--json", out])
    # As many as the generator sent: what is in the file is what is replayed.
    n = json.load(open(out))["sent"]
    check(0 < n <= due(1e5, 0.02), "%d frames written to %s" % (n, frames))
    rx = "net_pcap1,rx_pcap=%s,rx_pcap=%s" % (empty, frames)
    for queues, expect in ((1, 0), (2, n)):
        run(bench, "rxq%d" % queues, ["--tx-port", "net_null0,no-rx=1", "--rx-port", rx,
                                      "--rx-queues", str(queues), "--rate", "10kpps",
                                      "--duration", "0.5", "--flows", "4",
                                      "--verify", "plain", "--quiet", "--json", out])
        j = json.load(open(out))
        check(j["rx"]["frames"] == expect and j["verify"]["ok"] == expect,
              "--rx-queues %d: %d of the %d frames on queue 1 received and verified"
              % (queues, j["verify"]["ok"], n))


def usage(bench, tmp, src):
    out = run(bench, "use1", ["--tx-port", "net_ring0", "--rate", "fast"], expect_rc=2)
    check("--rate" in out, "a bad rate is named")
    out = run(bench, "use2", ["--rate", "1mpps"], expect_rc=2)
    check("--tx-port: required" in out, "a missing port is named")
    bad = os.path.join(tmp, "bad.yaml")
    with open(bad, "w") as f:
        f.write("kind: vxlan\nflows: lots\n")
    out = run(bench, "use3", ["--tx-port", "net_ring0", "--traffic", bad], expect_rc=2)
    check(bad + ":2: flows" in out, "a bad traffic file is named with its line")
    out = run(bench, "use4", ["--help"])
    check("--tx-port" in out and "--rfc2544" in out, "--help lists the options")


CASES = {f.__name__: f for f in (pacing, mismatch, features, rfc2544, memif, sweep,
                                  rxqueues, usage)}


def main():
    if len(sys.argv) < 3 or sys.argv[2] not in CASES:
        sys.exit("usage: loopback.py VTEP_BENCH {%s} [SOURCE_ROOT]" % ",".join(CASES))
    bench = sys.argv[1]
    src = sys.argv[3] if len(sys.argv) > 3 else \
        os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    tmp = tempfile.mkdtemp(prefix="vtep-bench-test.")
    try:
        CASES[sys.argv[2]](bench, tmp, src)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
