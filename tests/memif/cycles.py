#!/usr/bin/python3
"""vtepd's memif access port across many client restarts.

    cycles.py --vtepd VTEPD --client MEMIF_CYCLE --source ROOT [--cycles N]
              [--frames N] [--timeout S]

vtepd runs as in bench/gen/vtepd-memif.yaml (the shipped file, with sockets
and file prefix private to this run): memif server of an access port and
an underlay port, --no-huge, its control and worker lcores on CPU 1.
memif_cycle (CPU 0, --no-huge) keeps a client on the underlay port and, N
times, connects a client to the access port, sends frames, receives every
one of them encapsulated on the underlay, and disconnects.

Asserts: vtepd survived; every cycle passed with all its frames back and
none wrong; vtepd's counters saw them (vni.100.encap_packets) and every
disconnect (port.vm.disconnects); its access port still listens after the
last cycle and never stopped (port.vm.listener_lost 0). Never a speed.

Without app/vtepd/unmap.c, vtepd dies (SIGSEGV in the memif PMD's RX
burst) within the first 200 cycles: that was DPDK 22.11's memif server
"no longer listening after about a dozen clients".
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
import peers  # noqa: E402

FRAMES = 64


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print("ok:", what)

def listening(path):
    """Whether a listening unix socket is bound to @path (abstract or not)."""
    with open("/proc/net/unix") as f:
        next(f)
        for line in f:
            t = line.split()
            # Num RefCount Protocol Flags Type St Inode [Path]
            if len(t) >= 8 and int(t[3], 16) & 0x10000 and t[7] in (path, "@" + path):
                return True
    return False
def wait_for(what, cond, timeout, step=0.05):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %.0f s waiting for %s" % (timeout, what))
        time.sleep(step)

def stop_all(procs, timeout):
    """SIGTERM each process in turn and see it exit (SIGKILL after @timeout s),
    then reap them all: none is reaped while its memif peer still runs."""
    for p in procs:
        if p is None or peers.exited(p):
            continue
        p.send_signal(signal.SIGTERM)
        try:
            wait_for("pid %d to exit after SIGTERM" % p.pid, lambda: peers.exited(p), timeout)
        except AssertionError as e:
            print(e, "; SIGKILL")
            p.kill()
            wait_for("pid %d to exit after SIGKILL" % p.pid, lambda: peers.exited(p), timeout)
    for p in procs:
        if p is not None:
            p.wait()


def run(a, tmp):
    tag = "%d" % os.getpid()
    vprefix, cprefix = "memif-cycles-vtepd-" + tag, "memif-cycles-client-" + tag
    acc, und = os.path.join(tmp, "acc.sock"), os.path.join(tmp, "und.sock")
    conf = peers.memif_conf(a.source, tmp, vprefix, 1)
    vlog, clog = os.path.join(tmp, "vtepd.log"), os.path.join(tmp, "client.log")
    vp = cp = None
    t0 = took = 0
    try:
        with open(vlog, "w") as log:
            vp = subprocess.Popen([a.vtepd, "-c", conf], stdin=subprocess.DEVNULL,
                                  stdout=log, stderr=subprocess.STDOUT)
        wait_for("vtepd to listen on %s and %s" % (acc, und),
                 lambda: peers.exited(vp) or (listening(acc) and listening(und)), 5)
        check(not peers.exited(vp), "vtepd runs and listens on both memif sockets")
        cmd = [a.client, "--no-huge", "-m", "512", "--no-pci", "--no-shconf",
               "--file-prefix", cprefix, "-l", "0",
               "--log-level", "lib.eal:error", "--log-level", "pmd.net.memif:error", "--",
               "--access", "net_memif0,role=client,socket=" + acc,
               "--underlay", "net_memif1,role=client,socket=" + und,
               "--cycles", str(a.cycles), "--frames", str(a.frames)]
        print("$", " ".join(cmd), flush=True)
        t0 = time.monotonic()
        with open(clog, "w") as log:
            cp = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                  stderr=subprocess.STDOUT)
        wait_for("memif_cycle to finish %d cycles" % a.cycles,
                 lambda: peers.exited(cp) or peers.exited(vp), a.timeout, step=0.2)
        took = time.monotonic() - t0
        if peers.exited(vp):
            # Not reaped yet: the client may still run.
            r = os.waitid(os.P_PID, vp.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            raise AssertionError("vtepd died during the cycles: %s" % (
                "exit %d" % r.si_status if r.si_code == os.CLD_EXITED
                else "signal %d" % r.si_status))
        print("ok: vtepd still runs after the cycles")
        listens = listening(acc)
    finally:
        try:
            # vtepd first; the client, exited or not, is reaped after.
            stop_all([vp, cp], 3)
        finally:
            for prefix in (vprefix, cprefix):
                shutil.rmtree(peers.dpdk_rundir(prefix), ignore_errors=True)
        for path in (vlog, clog):
            if os.path.exists(path):
                with open(path) as f:
                    text = f.read()
                lines = text.splitlines()
                print("--- %s (last 60 lines) ---" % os.path.basename(path))
                print("\n".join(lines[-60:]))
    res = peers.counters(clog)
    c = peers.counters(vlog)
    print("%d cycles in %.1f s" % (res.get("cycles", 0), took))
    check(cp.returncode == 0, "memif_cycle exit %d (0 expected)" % cp.returncode)
    check(res.get("cycles") == a.cycles, "%s of %d cycles passed" % (res.get("cycles"), a.cycles))
    want = a.cycles * a.frames
    check(res.get("frames_sent") == want and res.get("frames_received") == want,
          "%s frames sent and %s received encapsulated, %d expected" %
          (res.get("frames_sent"), res.get("frames_received"), want))
    check(res.get("frames_bad") == 0, "%s frames wrong" % res.get("frames_bad"))
    check(listens, "vtepd listens on the access socket after the last cycle")
    check(c.get("vni.100.encap_packets", 0) >= want,
          "vtepd encapsulated %d frames (>= %d)" % (c.get("vni.100.encap_packets", 0), want))
    # vtepd polls the link (the PMD raises no event): a client that leaves
    # and the next one that connects between two polls of its control
    # thread, which shares CPU 1 with the worker, count as one.
    n, retries = res.get("connects", 0), res.get("connect_retries", 0)
    check(0.9 * n <= c.get("port.vm.disconnects", -1) <= n + retries,
          "vtepd saw %d disconnects of the access port (%d connections, %d retried)"
          % (c.get("port.vm.disconnects", -1), n, retries))
    check(c.get("port.vm.listener_lost", -1) == 0, "vtepd never found its listener gone")
    # memif_cycle leaves the underlay when it exits, before vtepd stops.
    check(c.get("port.uplink.disconnects", -1) <= 1,
          "the underlay client stayed connected throughout (%d disconnects)"
          % c.get("port.uplink.disconnects", -1))

def on_sigterm(sig, frame):
    raise SystemExit("cycles.py: SIGTERM")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vtepd", required=True)
    ap.add_argument("--client", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--cycles", type=int, default=200)
    ap.add_argument("--frames", type=int, default=FRAMES)
    ap.add_argument("--timeout", type=float, default=None,
                    help="seconds for all cycles (default: 5 + 0.025 per cycle; "
                    "a cycle usually takes 5 ms)")
    a = ap.parse_args()
    if a.timeout is None:
        a.timeout = 5 + 0.025 * a.cycles
    if os.geteuid() != 0:
        print("memif cycles: needs root (memif sockets, /var/run/dpdk)")
        return 77
    # meson's timeout sends SIGTERM: clean up as on any failure.
    signal.signal(signal.SIGTERM, on_sigterm)
    tmp = tempfile.mkdtemp(prefix="memif-cycles-")
    try:
        run(a, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
