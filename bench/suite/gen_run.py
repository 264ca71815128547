#!/usr/bin/python3
"""Run vtep-bench against a device under test, and end the DUT before the
generator exits.

    gen_run.py JSON DUT_PID LOG -- VTEP_BENCH_COMMAND...

Starts the generator (output to LOG), waits until it has written its whole
JSON summary (it writes it before it tears its ports down), then sends
SIGTERM to the DUT, waits until the DUT has been reaped by its parent (at
most 30 s), and only then waits for the generator.

Why: on the kernel of the test machine, reaping a DPDK process whose memif
peer still runs can stall the reaper in the kernel for minutes, spinning on
a CPU (d_invalidate of the process's /proc entries); stopping the peer ends
the stall. A shell reaps its children by itself the moment they exit, so
the order has to be kept by a process that decides when to reap.

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


def whole(path):
    try:
        with open(path) as f:
            json.load(f)
        return True
    except (OSError, ValueError):
        return False


def alive(pid):
    """Whether PID runs: not gone and not a zombie its parent has yet to reap."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def main():
    if len(sys.argv) < 6 or sys.argv[4] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    path, dut, log, cmd = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[5:]
    with open(log, "w") as out:
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out,
                             stderr=subprocess.STDOUT)
    # The summary, or the generator's end without one (a setup error); a
    # signal to this script is passed on.
    signal.signal(signal.SIGTERM, lambda *_: p.send_signal(signal.SIGTERM))
    signal.signal(signal.SIGINT, lambda *_: p.send_signal(signal.SIGINT))
    while p.poll() is None and not whole(path):
        time.sleep(0.2)
    dut_ran = alive(dut)
    hook = os.environ.get("GEN_RUN_BEFORE_STOP")
    if hook:
        subprocess.run(hook, shell=True, check=False)
    try:
        os.kill(dut, signal.SIGTERM)
    except ProcessLookupError:
        pass
    # Reap order matters too: the generator only once the DUT is gone,
    # reaped by its parent (the shell does so by itself), not a zombie.
    deadline = time.monotonic() + 30
    while os.path.exists("/proc/%d" % dut) and time.monotonic() < deadline:
        time.sleep(0.1)
    try:
        rc = p.wait(timeout=300)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        rc = 1
    if not dut_ran:
        print("gen_run.py: the DUT (PID %d) had ended before the generator's summary"
              % dut, file=sys.stderr)
        return 4
    return rc


if __name__ == "__main__":
    sys.exit(main())
