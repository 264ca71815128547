"""Ending DPDK processes joined over memif (or vhost) without a kernel stall.

On the kernel of the test machine, reaping a DPDK process (wait4, and so
Popen.poll() and Popen.wait()) while its memif peer still runs can spin the
reaper in the kernel for seconds to minutes (wait4 -> release_task ->
proc_invalidate_siblings_dcache -> d_invalidate -> shrink_dcache_parent),
and stalls other processes' exits on the machine meanwhile. Stopping the
peer ends it. So a test here

- observes an exit without reaping: exited() (waitid with WNOWAIT) for a
  child, running() (/proc/PID/stat) for any process;
- ends a group of peers with end_all(): each stopped in turn (SIGTERM, a
  bounded wait, SIGKILL, a bounded wait), none reaped before all of them
  have exited, then all reaped.

Every wait is bounded and says on timeout what it was waiting for.
Shared by smoke.py, loopback.py, bench/suite/gen_run.py and
tests/memif/cycles.py, with counters() and dpdk_rundir() for their runs of
vtepd.
"""
import os
import signal
import time


class Timeout(AssertionError):
    """A bounded wait ran out."""


def exited(proc):
    """Whether the child @proc (a Popen) has exited, without reaping it."""
    if proc.returncode is not None:
        return True
    try:
        info = os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        # Reaped already, by someone who did not tell Popen.
        return True
    return info is not None


def running(pid):
    """Whether PID runs: it exists and is not a zombie awaiting its reaper.
    Works for processes that are not this one's children."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def wait_for(cond, timeout, what, interval=0.1):
    """Poll @cond until it is true; Timeout naming @what after @timeout s."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() >= deadline:
            # Said at once too: cleaning up after it may take the rest of
            # the test's own timeout.
            msg = "timed out after %g s waiting for %s" % (timeout, what)
            print(msg, flush=True)
            raise Timeout(msg)
        time.sleep(interval)


def stop(proc, name, term_wait=15, kill_wait=10):
    """End the child @proc (SIGTERM, then SIGKILL) without reaping it.
    True if it ended on its own or on SIGTERM, False if it took SIGKILL.
    Timeout if it is still there @kill_wait s after SIGKILL."""
    if exited(proc):
        return True
    proc.send_signal(signal.SIGTERM)
    try:
        wait_for(lambda: exited(proc), term_wait, "%s (PID %d) to exit on SIGTERM"
                 % (name, proc.pid), 0.05)
        return True
    except Timeout:
        print("sending SIGKILL to %s (PID %d)" % (name, proc.pid), flush=True)
    proc.kill()
    wait_for(lambda: exited(proc), kill_wait, "%s (PID %d) to exit on SIGKILL"
             % (name, proc.pid), 0.05)
    return False


def reap(proc, name, timeout=30):
    """Reap the child @proc, which has exited; its exit status."""
    try:
        return proc.wait(timeout=timeout)
    except Exception as e:  # subprocess.TimeoutExpired
        raise Timeout("timed out after %g s reaping %s (PID %d): %s"
                      % (timeout, name, proc.pid, e)) from None


def end_all(procs, term_wait=15, kill_wait=10):
    """End peers: @procs is a list of (Popen or None, name), stopped in that
    order (what has exited already is left alone), reaped only once every
    one of them has exited. Returns {name: exit status}; a process that had
    to be killed is reported on stdout. Raises Timeout (after trying every
    process) if one cannot be stopped; the others are then left unreaped
    rather than reaped beside a running peer."""
    procs = [(p, n) for p, n in procs if p is not None]
    error = None
    for p, n in procs:
        try:
            if not stop(p, n, term_wait, kill_wait):
                print("%s had to be killed" % n)
        except Timeout as e:
            error = error or e
    if error is not None:
        raise error
    return {n: reap(p, n) for p, n in procs}


def counters(log):
    """The last counters block vtepd printed in @log: name -> integer."""
    c = {}
    with open(log) as f:
        for line in f:
            t = line.split()
            if len(t) == 2 and t[1].isdigit():
                c[t[0]] = int(t[1])
    return c


def dpdk_rundir(prefix):
    """The EAL's runtime directory of file prefix @prefix."""
    base = "/var/run/dpdk" if os.geteuid() == 0 else \
        os.path.join(os.environ.get("XDG_RUNTIME_DIR", "/tmp"), "dpdk")
    return os.path.join(base, prefix)


def memif_conf(src, tmp, prefix, flows):
    """bench/gen/vtepd-memif.yaml made private to one run (its sockets in
    @tmp, EAL file prefix @prefix) with @flows static FDB entries
    02:00:00:aa:HH:LL -> 198.18.0.2; written to @tmp/vtepd.yaml, whose path
    it returns."""
    with open(os.path.join(src, "bench", "gen", "vtepd-memif.yaml")) as f:
        text = f.read()
    text = text.replace("/tmp/vtep-bench-acc.sock", os.path.join(tmp, "acc.sock"))
    text = text.replace("/tmp/vtep-bench-und.sock", os.path.join(tmp, "und.sock"))
    text = text.replace('"vtepd-bench"', '"%s"' % prefix)
    if os.path.join(tmp, "acc.sock") not in text or prefix not in text:
        raise AssertionError("vtepd-memif.yaml lacks the sockets or the file prefix this "
                             "run rewrites")
    text += "fdb:\n"
    for i in range(flows):
        text += '  - { vni: 100, mac: "02:00:00:aa:%02x:%02x", remote: 198.18.0.2 }\n' \
            % (i >> 8, i & 255)
    path = os.path.join(tmp, "vtepd.yaml")
    with open(path, "w") as f:
        f.write(text)
    return path
