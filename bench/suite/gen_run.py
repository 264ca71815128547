#!/usr/bin/python3
"""Run vtep-bench against a device under test (DUT), and reap neither of the
two while the other still runs.

    gen_run.py JSON DUT_PID LOG -- VTEP_BENCH_COMMAND...

Starts the generator (output to LOG), waits until it has written its whole
JSON summary (it writes it before it tears its ports down) and then until
it has exited, without reaping it; then sends SIGTERM to the DUT (SIGKILL
after 20 s), waits until the DUT has been reaped by its parent (at most
30 s), and only then reaps the generator.

Why: on the kernel of the test machine, reaping a DPDK process whose memif
peer still runs can stall the reaper in the kernel for minutes, spinning on
a CPU (d_invalidate of the process's /proc entries); stopping the peer ends
the stall. A shell reaps its children by itself the moment they exit, so
the DUT, the shell's child, must only exit once the generator has, and the
generator, this script's child, is only reaped once the DUT is gone
(tests/bench/peers.py, shared with the tests, has the helpers).

A shell command in the environment variable GEN_RUN_BEFORE_STOP runs once
the summary is there and before the DUT is stopped (ovs.sh reads OVS's PMD
statistics there).

Exit status: the generator's; 1 if it had to be killed; 4 if the DUT had
ended before the summary was there (a DUT that died under load), which
gen_run.py also says on stderr.
"""
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "tests", "bench"))
import peers  # noqa: E402  (tests/bench/peers.py)

# Bounds, each for a loaded machine: the generator's end once its summary is
# there (it only tears its ports down), the DUT's exit on SIGTERM, and its
# reaping by its parent.
GEN_EXIT_S = 60
DUT_TERM_S = 20
DUT_GONE_S = 30


def whole(path):
    try:
        with open(path) as f:
            json.load(f)
        return True
    except (OSError, ValueError):
        return False


def say(what):
    print("gen_run.py: " + what, file=sys.stderr)


def main():
    if len(sys.argv) < 6 or sys.argv[4] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    path, dut, log, cmd = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[5:]
    with open(log, "w") as out:
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out,
                             stderr=subprocess.STDOUT)
    # The summary, or the generator's end without one (a setup error); a
    # signal to this script is passed on. Neither wait reaps the generator.
    signal.signal(signal.SIGTERM, lambda *_: p.send_signal(signal.SIGTERM))
    signal.signal(signal.SIGINT, lambda *_: p.send_signal(signal.SIGINT))
    # Not bounded here: how long a run, a sweep or a search takes is the
    # caller's choice of options, and a signal ends it.
    while not peers.exited(p) and not whole(path):
        time.sleep(0.2)
    dut_ran = peers.running(dut)
    killed = False
    try:
        peers.wait_for(lambda: peers.exited(p), GEN_EXIT_S,
                       "vtep-bench (PID %d) to exit after its summary" % p.pid)
    except peers.Timeout as e:
        # Stopping the DUT may be what it waits for; it is stopped below
        # either way, and the generator after it.
        say(str(e))
    hook = os.environ.get("GEN_RUN_BEFORE_STOP")
    if hook:
        subprocess.run(hook, shell=True, check=False)
    try:
        os.kill(dut, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        peers.wait_for(lambda: not peers.running(dut), DUT_TERM_S,
                       "the DUT (PID %d) to exit on SIGTERM" % dut)
    except peers.Timeout as e:
        say(str(e) + "; sending SIGKILL")
        try:
            os.kill(dut, signal.SIGKILL)
        except ProcessLookupError:
            pass
    # Reaped by its parent (the shell does so by itself), not a zombie.
    try:
        peers.wait_for(lambda: not os.path.exists("/proc/%d" % dut), DUT_GONE_S,
                       "the DUT (PID %d) to be reaped by its parent" % dut)
    except peers.Timeout as e:
        say(str(e))
    try:
        if not peers.stop(p, "vtep-bench", term_wait=15, kill_wait=10):
            say("vtep-bench had to be killed")
            killed = True
        rc = peers.reap(p, "vtep-bench", timeout=300)
    except peers.Timeout as e:
        say(str(e))
        return 1
    if not dut_ran:
        say("the DUT (PID %d) had ended before the generator's summary" % dut)
        return 4
    return 1 if killed else rc


if __name__ == "__main__":
    sys.exit(main())
