#!/usr/bin/python3
"""Smoke test of the benchmark setup: vtep-bench drives vtepd over memif.

    smoke.py encap|decap VTEP_BENCH VTEPD SOURCE_ROOT

vtepd runs as in bench/gen/vtepd-memif.yaml (the shipped file, with the
sockets and the file prefix made private to this run): memif server of two
links, --no-huge, control and worker lcores on CPU 1. vtep-bench runs on
CPU 0, --no-huge, as the memif client: a 1-second warm-up, then a 2-second
trial at a low rate (100 000 frames):

encap   access frames in, VXLAN out: every frame back verified as encap
decap   VXLAN frames in, inner frames out: verified as decap

It asserts counts and contents, never a speed: no more frames sent than
due, none refused, every one sent back and verified, zero mismatches,
none lost, and vtepd's own counter (vni.100.encap_packets or
decap_packets) equal to the frames of the warm-up and the trial. The generator's exit is
observed without reaping it, vtepd is stopped, then both are reaped
(peers.py). No NIC, no hugepages.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import peers

FLOWS = 16
RATE, RATE_PPS = "50kpps", 50000
SECONDS = 2
# Unmeasured traffic first: the first frames after a memif connection comes
# up can be lost while the path settles (bench/gen/README.md, --warmup).
WARMUP = 1


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print("ok:", what)
def summary(path):
    """The generator's JSON summary once it is whole, or None."""
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None

def warmup_frames(text):
    """The frames the generator's warm-up sent and got back, from its line
    "warm-up: 1.0 s at 0.050 Mpps, 50000 sent, 50000 back"."""
    m = re.search(r"^warm-up: .*, (\d+) sent, (\d+) back$", text, re.M)
    return (int(m.group(1)), int(m.group(2))) if m else None


def trial(kind, bench, vtepd, src, tmp):
    tag = "%d-%s" % (os.getpid(), kind)
    vprefix, bprefix = "vb-smoke-vtepd-" + tag, "vb-smoke-gen-" + tag
    conf = peers.memif_conf(src, tmp, vprefix, FLOWS)
    vlog = os.path.join(tmp, "vtepd.log")
    out = os.path.join(tmp, "trial.json")
    acc = "net_memif0,role=client,rsize=14,socket=" + os.path.join(tmp, "acc.sock")
    und = "net_memif1,role=client,rsize=14,socket=" + os.path.join(tmp, "und.sock")
    if kind == "encap":
        ports = ["--tx-port", acc, "--rx-port", und, "--kind", "access", "--verify", "encap"]
    else:
        ports = ["--tx-port", und, "--rx-port", acc, "--kind", "vxlan", "--verify", "decap"]
    cmd = [bench, "--no-huge", "-m", "512", "--no-pci", "--no-shconf",
           "--file-prefix", bprefix, "-l", "0",
           "--log-level", "lib.eal:error", "--log-level", "pmd.net.memif:error", "--"] + \
        ports + ["--flows", str(FLOWS), "--rate", RATE, "--duration", str(SECONDS),
                 "--warmup", str(WARMUP), "--link-wait", "20", "--quiet", "--json", out]
    glog = os.path.join(tmp, "gen.log")
    vp = p = None
    try:
        with open(vlog, "w") as log:
            vp = subprocess.Popen([vtepd, "-c", conf], stdin=subprocess.DEVNULL,
                                  stdout=log, stderr=subprocess.STDOUT)
        print("$", " ".join(cmd))
        with open(glog, "w") as log:
            p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                 stderr=subprocess.STDOUT)
        # Observe the generator's exit without reaping it (peers.py says
        # why); vtepd, its memif peer, is stopped first, then both reaped.
        peers.wait_for(lambda: peers.exited(p) or peers.exited(vp), 40,
                       "vtep-bench to end its %g s trial (or vtepd to die)" % SECONDS)
        vtepd_ran = not peers.exited(vp)
    finally:
        try:
            rc = peers.end_all([(p, "vtep-bench"), (vp, "vtepd")])
        finally:
            for prefix in (vprefix, bprefix):
                shutil.rmtree(peers.dpdk_rundir(prefix), ignore_errors=True)
            gtext = ""
            if os.path.exists(glog):
                with open(glog) as f:
                    gtext = f.read()
            sys.stdout.write(gtext)
    with open(vlog) as f:
        vtext = f.read()
    check(vtepd_ran, "vtepd still ran when vtep-bench had ended")
    if rc["vtepd"] != 0:
        sys.stdout.write(vtext)
    check(rc["vtepd"] == 0, "vtepd exit %d on SIGTERM (0 expected)" % rc["vtepd"])
    check(rc["vtep-bench"] == 0, "vtep-bench exit %d (0 expected)" % rc["vtep-bench"])
    j = summary(out)
    check(j is not None, "vtep-bench wrote its summary")
    v = j["verify"]
    # Rate x duration frames are due, and one more that the schedule's
    # rounding to TSC cycles can let in; a generator that fell behind sends
    # fewer (not asserted: no speed), but every one it sent counts.
    most = int(RATE_PPS * SECONDS) + 1
    print("sent %d, received %d, lost %d, verify %s" % (j["sent"], j["received"], j["lost"], v))
    check(0 < j["sent"] <= most, "%d frames sent, at most %d due" % (j["sent"], most))
    check(j["tx"]["refused"] == 0 and j["tx"]["nombuf"] == 0,
          "none refused by vtepd's full RX ring (%d) nor short of mbufs (%d)"
          % (j["tx"]["refused"], j["tx"]["nombuf"]))
    check(v["mismatches"] == 0, "zero mismatches (%d)" % v["mismatches"])
    check(j["lost"] == 0, "%d frames lost (0 expected)" % j["lost"])
    check(v["ok"] == j["sent"] and j["received"] == j["sent"],
          "every frame sent came back verified as %s (%d of %d)" % (kind, v["ok"], j["sent"]))
    warm = warmup_frames(gtext)
    check(warm is not None, "vtep-bench reported its warm-up: %s frames sent, %s back"
          % (warm or (None, None)))
    c = peers.counters(vlog)
    name = "vni.100.%s_packets" % kind
    # vtepd counts a frame when it en- or decapsulates it: each frame of
    # the warm-up and of the trial exactly once, whether or not a frame of
    # the warm-up (unmeasured: the memif path comes up then) made it back.
    expect = warm[0] + j["sent"]
    if c.get(name) != expect:
        sys.stdout.write(vtext)
    check(c.get(name) == expect,
          "vtepd's %s = %s, the %d warm-up and %d trial frames it was sent"
          % (name, c.get(name), warm[0], j["sent"]))


def main():
    if len(sys.argv) != 5 or sys.argv[1] not in ("encap", "decap"):
        print(__doc__, file=sys.stderr)
        return 2
    kind, bench, vtepd, src = sys.argv[1:]
    tmp = tempfile.mkdtemp(prefix="vb-smoke-")
    try:
        trial(kind, bench, vtepd, src, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
