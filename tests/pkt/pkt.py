# SPDX-License-Identifier: BSD-3-Clause
"""
Packet-test harness for vtepd: frame builders, a pcap reader, and a Lab that
runs vtepd in its own network namespace on net_pcap virtual devices.

Frames go in through AF_PACKET sockets on the peer end of veth pairs
(und-peer -> und-in, acc-peer -> acc-in) where net_pcap captures them
(rx_iface_in); what vtepd sends goes to one pcap file per port (tx_pcap),
complete once vtepd has exited. Expected frames are built here with struct,
independently of vtepd's code. Standard library only (Debian's python3).
"""

import atexit
import ctypes
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time

# ---- addresses every test uses -------------------------------------------

LOCAL_IP = "198.18.0.1"
PREFIX_LEN = 24
# Remote VTEPs; each is a static neighbour of the underlay, since nothing
# answers vtepd's ARP requests on a pcap file.
R2, R3, R4 = "198.18.0.2", "198.18.0.3", "198.18.0.4"
NEIGH_MAC = {
    R2: "02:00:00:00:00:02",
    R3: "02:00:00:00:00:03",
    R4: "02:00:00:00:00:04",
}
# net_pcap gives a device that is not a single interface ("iface=") the MAC
# 02:70:63:61:70:NN ("pcap" and an index); the underlay is the first port
# the configuration names. vtepd uses the ethdev MAC, not the veth's.
VTEP_MAC = "02:70:63:61:70:00"

VM_A = "02:aa:00:00:00:0a"    # a VM behind vtepd's access port
VM_B = "02:bb:00:00:00:0b"    # a VM behind a remote VTEP
BCAST = "ff:ff:ff:ff:ff:ff"

VXLAN_PORT = 4789
SPORT_MIN, SPORT_MAX = 49152, 65535


class TestFailure(Exception):
    """A check failed; the message says what differed."""


# name -> (function, needs root); filled by @test() in run.py and the
# cases_*.py files, listed by "run.py --list" (which meson reads).
TESTS = {}


def test(root=True):
    def reg(fn):
        if fn.__name__ in TESTS:
            raise RuntimeError("two packet tests named %s" % fn.__name__)
        TESTS[fn.__name__] = (fn, root)
        return fn
    return reg


# ---- bytes ----------------------------------------------------------------

def mac(s):
    b = bytes(int(x, 16) for x in s.split(":"))
    assert len(b) == 6, s
    return b


def ip4(s):
    return socket.inet_aton(s)


def csum(data):
    """RFC 1071 Internet checksum of data (the value to store)."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def eth(dst, src, etype, payload, vlan=None):
    """Ethernet frame; with vlan, an 802.1Q tag (PCP 0) before etype."""
    h = mac(dst) + mac(src)
    if vlan is not None:
        h += struct.pack("!HH", 0x8100, vlan)
    return h + struct.pack("!H", etype) + payload


def ipv4(src, dst, proto, payload, ttl=64, ident=0, frag=0x4000, tos=0,
         vihl=0x45, total=None, bad_csum=False, options=b""):
    """IPv4 packet. frag is the flags+offset field (0x4000: DF)."""
    if total is None:
        total = 20 + len(options) + len(payload)
    h = struct.pack("!BBHHHBBH4s4s", vihl, tos, total, ident, frag, ttl, proto,
                    0, ip4(src), ip4(dst)) + options
    c = csum(h)
    if bad_csum:
        c ^= 0x5A5A
    return h[:10] + struct.pack("!H", c) + h[12:] + payload


def udp(sport, dport, payload, src=None, dst=None):
    """UDP datagram; checksum computed when src/dst given, else 0."""
    length = 8 + len(payload)
    h = struct.pack("!HHHH", sport, dport, length, 0)
    if src is None:
        return h + payload
    pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 17, length)
    c = csum(pseudo + h + payload) or 0xFFFF
    return h[:6] + struct.pack("!H", c) + payload


def vxlan_hdr(vni, flags=0x08):
    return struct.pack("!II", flags << 24, vni << 8)


def pattern(n, seed=0):
    return bytes((seed + i * 7) & 0xFF for i in range(n))


def inner_frame(dst, src, size=100, sport=1000, dport=2000, vlan=None,
                sip="10.0.0.1", dip="10.0.0.2", seed=0):
    """An Ethernet/IPv4/UDP frame of exactly size bytes (untagged size; an
    802.1Q tag adds 4)."""
    pl = size - 14 - 20 - 8
    assert pl >= 0, size
    body = ipv4(sip, dip, 17, udp(sport, dport, pattern(pl, seed), sip, dip),
                ident=0x1111, frag=0)
    return eth(dst, src, 0x0800, body, vlan=vlan)


def strip_vlan(frame):
    assert frame[12:14] == b"\x81\x00"
    return frame[:12] + frame[16:]


def push_vlan(frame, vid):
    return frame[:12] + struct.pack("!HH", 0x8100, vid) + frame[12:]


def vxlan_frame(inner, vni, src_ip=R2, dst_ip=LOCAL_IP, eth_src=None,
                eth_dst=VTEP_MAC, sport=SPORT_MIN, dport=VXLAN_PORT, ttl=64,
                ident=0, frag=0x4000, flags=0x08, **ipkw):
    """A whole VXLAN frame as a remote VTEP (default) or vtepd sends it."""
    if eth_src is None:
        eth_src = NEIGH_MAC.get(src_ip, "02:00:00:00:00:99")
    u = struct.pack("!HHHH", sport, dport, 8 + 8 + len(inner), 0)
    body = ipv4(src_ip, dst_ip, 17, u + vxlan_hdr(vni, flags) + inner,
                ttl=ttl, ident=ident, frag=frag, **ipkw)
    return eth(eth_dst, eth_src, 0x0800, body)


def expected_encap(inner, vni, remote, sport=0):
    """What vtepd sends toward remote: from its underlay MAC and address to
    the remote's static neighbour MAC, TTL 64, DF, id 0, UDP checksum 0."""
    return vxlan_frame(inner, vni, src_ip=LOCAL_IP, dst_ip=remote,
                       eth_src=VTEP_MAC, eth_dst=NEIGH_MAC[remote], sport=sport)


# Offset of the outer UDP source port in an IPv4 VXLAN frame.
SPORT_OFF = 14 + 20
SPORT_SPAN = (SPORT_OFF, SPORT_OFF + 2)


def outer_sport(frame):
    return struct.unpack_from("!H", frame, SPORT_OFF)[0]


def outer_dst_ip(frame):
    return socket.inet_ntoa(frame[30:34])


def outer_inner(frame):
    return frame[50:]


# ---- comparing ------------------------------------------------------------

def hexdump_diff(expected, got, ignore=()):
    """Side-by-side hex dump; rows that differ are marked, bytes in an
    ignored span [a, b) print as '..' on both sides."""
    def masked(b, i):
        if i >= len(b):
            return "  "
        if any(a <= i < z for a, z in ignore):
            return ".."
        return "%02x" % b[i]

    out = ["      expected (%d bytes)%s| got (%d bytes)" %
           (len(expected), " " * 27, len(got))]
    n = max(len(expected), len(got))
    for off in range(0, n, 16):
        e = " ".join(masked(expected, i) for i in range(off, off + 16))
        g = " ".join(masked(got, i) for i in range(off, off + 16))
        mark = "" if e == g else "  <--"
        out.append("%04x  %s | %s%s" % (off, e, g, mark))
    return "\n".join(out)


def same_bytes(expected, got, ignore=()):
    if len(expected) != len(got):
        return False
    for i, (a, b) in enumerate(zip(expected, got)):
        if a != b and not any(x <= i < y for x, y in ignore):
            return False
    return True


def check_frame(what, expected, got, ignore=()):
    if not same_bytes(expected, got, ignore):
        raise TestFailure("%s differs:\n%s" % (what, hexdump_diff(expected, got, ignore)))


def check_count(what, frames, n):
    if len(frames) != n:
        dumps = "\n".join("frame %d (%d bytes): %s" % (i, len(f), f[:64].hex())
                          for i, f in enumerate(frames))
        raise TestFailure("%s: expected %d frame(s), got %d\n%s" %
                          (what, n, len(frames), dumps))


def check_counters(c, expected):
    """Every named counter has exactly its value; int or a predicate."""
    bad = []
    for k, v in expected.items():
        got = c.get(k)
        ok = v(got) if callable(v) else got == v
        if not ok:
            bad.append("%s: expected %s, got %s" %
                       (k, v.__doc__ if callable(v) else v, got))
    if bad:
        raise TestFailure("counters differ:\n  " + "\n  ".join(bad))


def check_drops(c, expected):
    """Drop counters: the named reasons have exactly these counts, every
    other reason zero."""
    names = [k for k in c if k.startswith("drop.")]
    if not names:
        raise TestFailure("no drop.* counters in vtepd's output")
    want = {k: expected.get(k[len("drop."):], 0) for k in names}
    unknown = set(expected) - {k[len("drop."):] for k in names}
    if unknown:
        raise TestFailure("vtepd prints no drop counter named %s" % sorted(unknown))
    check_counters(c, want)


def at_least(n):
    def f(v):
        return v is not None and v >= n
    f.__doc__ = ">= %d" % n
    return f


# ---- what tests configure and expect ---------------------------------------

def vni_yaml(vni, access, remotes=(), extra=""):
    """One entry of vnis: access is a list of (port, vlan or "untagged")."""
    acc = ", ".join("{ port: %s, vlan: %s }" % a for a in access)
    s = "- vni: %d\n  access: [%s]\n  flood: head-end\n  remotes: [%s]\n" % (
        vni, acc, ", ".join(remotes))
    return s + "".join("  %s\n" % l for l in extra.splitlines() if l.strip())


def fdb_remote(vni, m, remote):
    return '- { vni: %d, mac: "%s", remote: %s }\n' % (vni, m, remote)


def check_sport(what, port, lo=SPORT_MIN, hi=SPORT_MAX):
    if not lo <= port <= hi:
        raise TestFailure("%s: outer UDP source port %d outside %d-%d" % (what, port, lo, hi))


def check_encap_to(what, got, want):
    """got is want but for the UDP source port, which must be in range."""
    check_frame(what, want, got, ignore=[SPORT_SPAN])
    check_sport(what, outer_sport(got))


def check_encap(what, got, inner, vni, remote, lo=SPORT_MIN, hi=SPORT_MAX):
    """got is inner encapsulated toward remote, byte for byte but the UDP
    source port, which must be in range. Returns that port."""
    check_frame(what, expected_encap(inner, vni, remote), got, ignore=[SPORT_SPAN])
    sp = outer_sport(got)
    check_sport(what, sp, lo, hi)
    return sp


def arp_frame(op, sha, spa, tha, tpa, dst=BCAST):
    return eth(dst, sha, 0x0806, struct.pack("!HHBBH", 1, 0x0800, 6, 4, op) +
               mac(sha) + ip4(spa) + mac(tha) + ip4(tpa))



# ---- pcap -----------------------------------------------------------------

def read_pcap(path):
    """The frames of a classic pcap file (micro- or nanosecond, either byte
    order), as bytes."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise TestFailure("%s: not a pcap file (%d bytes)" % (path, len(data)))
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        raise TestFailure("%s: bad pcap magic %s" % (path, magic.hex()))
    linktype = struct.unpack_from(end + "I", data, 20)[0]
    if linktype != 1:
        raise TestFailure("%s: link type %d, not Ethernet" % (path, linktype))
    frames, off = [], 24
    while off + 16 <= len(data):
        _, _, incl, orig = struct.unpack_from(end + "IIII", data, off)
        off += 16
        if incl != orig:
            raise TestFailure("%s: frame cut at %d of %d bytes" % (path, incl, orig))
        frames.append(data[off:off + incl])
        off += incl
    if off != len(data):
        raise TestFailure("%s: %d trailing bytes" % (path, len(data) - off))
    return frames


def write_pcap(path, frames):
    """A classic microsecond pcap file of Ethernet frames, for rx_pcap."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 0, i, len(fr), len(fr)) + fr)


def pcap_count(path):
    """Whole frames in a pcap file that vtepd may still be writing (net_pcap
    flushes it after every burst, in this host's byte order); 0 before its
    header is there."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return 0
    n, off = 0, 24
    while off + 16 <= len(data):
        incl = struct.unpack_from("<I", data, off + 8)[0]
        if off + 16 + incl > len(data):
            break
        n += 1
        off += 16 + incl
    return n


def tshark_vxlan(path, vnis):
    """Check with tshark that every frame of path dissects as VXLAN with the
    VNI expected for it (vnis: one per frame, in order) and a good outer
    IPv4 header checksum. Returns the rows."""
    cmd = ["tshark", "-n", "-r", path, "-o", "ip.check_checksum:TRUE",
           "-T", "fields", "-E", "separator=|", "-e", "frame.number",
           "-e", "vxlan.vni", "-e", "ip.checksum.status", "-e", "udp.dstport",
           "-e", "_ws.col.Protocol"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise TestFailure("tshark failed (%d): %s" % (p.returncode, p.stderr))
    rows = [l.split("|") for l in p.stdout.splitlines() if l]
    p2 = subprocess.run(["tshark", "-n", "-r", path, "-Y", "vxlan"],
                        capture_output=True, text=True, timeout=60)
    n_vxlan = len([l for l in p2.stdout.splitlines() if l.strip()])
    problems = []
    if len(rows) != len(vnis):
        problems.append("%d frames, expected %d" % (len(rows), len(vnis)))
    if n_vxlan != len(rows):
        problems.append("only %d of %d frames match -Y vxlan" % (n_vxlan, len(rows)))
    for row, vni in zip(rows, vnis):
        num, got_vni, status = row[0], row[1], row[2].split(",")[0]
        if got_vni != str(vni):
            problems.append("frame %s: VNI %r, expected %d (%s)" %
                            (num, got_vni, vni, row[4]))
        # Wireshark's checksum status: 0 bad, 1 good, 2 unverified.
        if status != "1":
            problems.append("frame %s: outer IPv4 checksum status %r, expected 1 (good)" %
                            (num, status))
    if problems:
        raise TestFailure("tshark on %s:\n  %s\n%s" %
                          (os.path.basename(path), "\n  ".join(problems), p.stdout))
    return rows


# ---- network namespaces ---------------------------------------------------

_libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000


def _setns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, "setns: " + os.strerror(e))


def sh(*cmd, check=True):
    p = subprocess.run(list(cmd), capture_output=True, text=True, timeout=60)
    if check and p.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(cmd), p.returncode,
                                                 p.stderr.strip()))
    return p


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def proc_state(pid):
    """What a process is doing, for a message: its state and the kernel
    function it sleeps in, from /proc."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "gone from /proc"
    try:
        with open("/proc/%d/wchan" % pid) as f:
            wchan = f.read().strip() or "-"
    except OSError:
        wchan = "?"
    return "state %s, wchan %s" % (state, wchan)


def reap_stale():
    """Remove the namespaces, DPDK runtime directories and temporary
    directories that earlier runs of this harness left behind when they were
    killed outright (their pid is gone)."""
    pat = re.compile(r"^vtep-pt-(\d+)-")
    places = [("/run/netns", "netns"), ("/var/run/dpdk", "dir"),
              (tempfile.gettempdir(), "dir")]
    for where, kind in places:
        try:
            names = os.listdir(where)
        except OSError:
            continue
        for n in names:
            m = pat.match(n)
            if not m or _pid_alive(int(m.group(1))):
                continue
            if kind == "netns":
                sh("ip", "netns", "del", n, check=False)
            else:
                shutil.rmtree(os.path.join(where, n), ignore_errors=True)


def make_config(prefix, outdir, access, vnis, fdb="", underlay_extra="", rx_pcap=None,
                uplink_mac=None, top_extra="", neighbors=None):
    """The YAML vtepd runs with: the EAL arguments, the underlay port first
    (so that it gets VTEP_MAC) on und-in, then one port per access name on
    <name>-in, each sending to <outdir>/<port>-out.pcap. vnis and fdb are
    YAML lists as text, inserted as given. rx_pcap maps a port name to a
    pcap file it reads instead of its veth: net_pcap reads a file as fast as
    it is polled, up to a whole burst at once, then nothing more. uplink_mac
    sets the underlay port's mac field; top_extra is YAML appended at the
    top level (an api section, say); neighbors adds static neighbours (IP ->
    MAC) to NEIGH_MAC's."""
    rx_pcap = rx_pcap or {}
    eal = ["--no-huge", "-m", "256", "--no-pci", "--no-shconf",
           "--lcores", "0@0,1@1", "--file-prefix", prefix,
           "--log-level", "pmd.net.pcap:error"]

    def devargs(idx, iface, port):
        rx = ("rx_pcap=" + rx_pcap[port]) if port in rx_pcap else ("rx_iface_in=" + iface)
        return "net_pcap%d,%s,tx_pcap=%s" % (
            idx, rx, os.path.join(outdir, port + "-out.pcap"))

    lines = ["eal: [%s]" % ", ".join('"%s"' % a for a in eal), "ports:"]
    lines.append('  - { name: uplink, devargs: "%s", role: underlay%s }' %
                 (devargs(0, "und-in", "uplink"),
                  ', mac: "%s"' % uplink_mac if uplink_mac else ""))
    for i, a in enumerate(access):
        lines.append('  - { name: %s, devargs: "%s", role: access }' %
                     (a, devargs(i + 1, a + "-in", a)))
    lines += ["underlay:", "  port: uplink", "  address: %s/%d" % (LOCAL_IP, PREFIX_LEN)]
    lines += ["  " + l for l in underlay_extra.splitlines() if l.strip()]
    lines.append("  neighbors:")
    for ip, m in list(NEIGH_MAC.items()) + list((neighbors or {}).items()):
        lines.append('    - { ip: %s, mac: "%s" }' % (ip, m))
    lines.append("vnis:")
    lines += ["  " + l for l in vnis.splitlines() if l.strip()]
    if fdb:
        lines.append("fdb:")
        lines += ["  " + l for l in fdb.splitlines() if l.strip()]
    lines += [l for l in top_extra.splitlines() if l.strip()]
    return "\n".join(lines) + "\n"


_labs = []
_signals_installed = False


def _cleanup_all():
    while _labs:
        _labs[-1].close()


def _on_signal(sig, frame):
    raise SystemExit("interrupted by signal %d" % sig)


def _install_cleanup():
    global _signals_installed
    if _signals_installed:
        return
    atexit.register(_cleanup_all)
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, _on_signal)
    _signals_installed = True


class Lab:
    """One network namespace, its veth pairs, one vtepd, and its files.

    access: names of access ports; each gets a veth pair <name>-in/<name>-peer
    and a net_pcap port named <name>. The underlay port is "uplink" on
    und-in/und-peer."""

    _seq = 0

    def __init__(self, vtepd, name, access=("acc",), keep_dir=None):
        _install_cleanup()
        self.vtepd = vtepd
        self.name = "vtep-pt-%d-%d" % (os.getpid(), Lab._seq)
        Lab._seq += 1
        self.test = name
        self.access = list(access)
        self.keep_dir = keep_dir
        self.dir = tempfile.mkdtemp(prefix=self.name + "-")
        self.proc = None
        self.logf = None
        self.log_path = os.path.join(self.dir, "vtepd.log")
        self.socks = {}
        self.netns_made = False
        self.closed = False
        _labs.append(self)
        self._netns()

    # -- setup --

    def _netns(self):
        sh("ip", "netns", "add", self.name)
        self.netns_made = True
        ex = ["ip", "netns", "exec", self.name]
        # No IPv6 means no router or neighbour solicitations: the kernel
        # stays silent on the veths.
        sh(*ex, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1",
           "net.ipv6.conf.default.disable_ipv6=1")
        # Loopback carries the REST API's connections.
        sh("ip", "-n", self.name, "link", "set", "lo", "up")
        pairs = [("und-in", "und-peer")] + [(a + "-in", a + "-peer") for a in self.access]
        for a, b in pairs:
            sh("ip", "-n", self.name, "link", "add", a, "type", "veth", "peer", "name", b)
            for i in (a, b):
                sh("ip", "-n", self.name, "link", "set", i, "up")
                sh(*ex, "ethtool", "-K", i, "tx", "off")
        # Injecting sockets live in the namespace; the harness does not.
        home = os.open("/proc/self/ns/net", os.O_RDONLY)
        target = os.open("/run/netns/" + self.name, os.O_RDONLY)
        try:
            _setns(target)
            try:
                for _, peer in pairs:
                    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
                    s.bind((peer, 0))
                    self.socks[peer] = s
            finally:
                _setns(home)
        finally:
            os.close(home)
            os.close(target)

    def path(self, f):
        return os.path.join(self.dir, f)

    def config(self, vnis, fdb="", underlay_extra="", rx_pcap=None, uplink_mac=None,
               top_extra="", neighbors=None):
        return make_config(self.name, self.dir, self.access, vnis, fdb, underlay_extra,
                           rx_pcap, uplink_mac, top_extra, neighbors)

    # -- the REST API, on 127.0.0.1 inside the namespace --

    API_PORT = 8080
    API_YAML = "api: { listen: 127.0.0.1:8080 }"

    def api(self, method, path, body=None, expect=None, timeout=30.0):
        """One request to vtepd's API (its api section must be API_YAML);
        returns (status, decoded JSON or None). The socket is made inside
        the namespace, then used from here. With expect, a different status
        fails the test."""
        import http.client
        import json
        home = os.open("/proc/self/ns/net", os.O_RDONLY)
        target = os.open("/run/netns/" + self.name, os.O_RDONLY)
        conn = http.client.HTTPConnection("127.0.0.1", self.API_PORT, timeout=timeout)
        try:
            _setns(target)
            try:
                conn.connect()
            finally:
                _setns(home)
        finally:
            os.close(home)
            os.close(target)
        try:
            data = None if body is None else json.dumps(body).encode()
            hdrs = {"Content-Type": "application/json"} if data is not None else {}
            conn.request(method, path, body=data, headers=hdrs)
            r = conn.getresponse()
            raw = r.read()
        finally:
            conn.close()
        doc = json.loads(raw) if raw else None
        if expect is not None and r.status != expect:
            raise TestFailure("%s %s: status %d, expected %d: %s" %
                              (method, path, r.status, expect, raw[:500]))
        return r.status, doc

    # -- vtepd --

    def start(self, conf_text, timeout=60.0):
        self.conf_path = self.path("vtepd.yaml")
        with open(self.conf_path, "w") as f:
            f.write(conf_text)
        self.logf = open(self.log_path, "w")
        # "ip netns exec" execs vtepd: the pid is vtepd's own.
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", self.name, self.vtepd, "-c", self.conf_path],
            stdout=self.logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "vtepd: running:" in self.log():
                return
            if self.proc.poll() is not None:
                raise TestFailure("vtepd exited with %d before running; its output:\n%s" %
                                  (self.proc.returncode, self.log()))
            time.sleep(0.05)
        raise TestFailure("vtepd not running after %.0f s; its output:\n%s" %
                          (timeout, self.log()))

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def blocks(self):
        """Complete counter blocks printed so far, oldest first, as dicts."""
        text = self.log()
        parts = re.split(r"^--- vtepd counters at \d+ s ---\n", text, flags=re.M)[1:]
        out = []
        for p in parts:
            c = {}
            for line in p.splitlines():
                t = line.split()
                if len(t) == 2 and re.fullmatch(r"\d+", t[1]):
                    c[t[0]] = int(t[1])
                elif len(t) == 3 and t[0].startswith("neigh."):
                    c[t[0]] = t[1] + " " + t[2]
            # ctl.snapshots is printed last but for the neighbours, in the
            # same flush: a block without it is still being written.
            if "ctl.snapshots" in c:
                out.append(c)
        return out

    def counters_now(self, timeout=15.0):
        """Ask vtepd for its counters (SIGUSR1) and return them."""
        n = len(self.blocks())
        self.proc.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            b = self.blocks()
            if len(b) > n:
                return b[-1]
            if self.proc.poll() is not None:
                raise TestFailure("vtepd died (exit %d); its output:\n%s" %
                                  (self.proc.returncode, self.log()[-4000:]))
            time.sleep(0.02)
        raise TestFailure("vtepd printed no counters within %.0f s of SIGUSR1" % timeout)

    def wait_for(self, what, pred, timeout=30.0):
        """Poll the counters until pred(counters) holds."""
        deadline = time.monotonic() + timeout
        c = None
        while time.monotonic() < deadline:
            c = self.counters_now()
            if pred(c):
                return c
            time.sleep(0.1)
        raise TestFailure("timed out after %.0f s waiting for %s; last counters:\n%s" %
                          (timeout, what, "\n".join("  %s %s" % kv for kv in (c or {}).items())))

    def wait_rx(self, port, n, timeout=30.0):
        key = "port.%s.rx_packets" % port
        return self.wait_for("%s == %d" % (key, n), lambda c: c.get(key, 0) >= n, timeout)

    def stop(self, timeout=30.0, sig=signal.SIGTERM):
        """Signal (SIGTERM), wait, return the counters it printed on the way
        out."""
        if self.proc is None:
            raise TestFailure("vtepd was not started")
        name = signal.Signals(sig).name
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            hung = self.kill()
            raise TestFailure("vtepd did not exit within %.0f s of %s%s; output:\n%s" %
                              (timeout, name, "; " + hung if hung else ", killed",
                               self.log()[-4000:]))
        self.logf.close()
        if rc != 0:
            raise TestFailure("vtepd exited with %d after %s; output:\n%s" %
                              (rc, name, self.log()[-4000:]))
        b = self.blocks()
        if not b:
            raise TestFailure("vtepd printed no counters at exit; output:\n%s" % self.log())
        return b[-1]

    def kill(self, timeout=10.0):
        """SIGKILL vtepd and reap it within timeout. Returns None once it
        is reaped, else what the process was doing when the bound ran out."""
        self.proc.kill()
        try:
            self.proc.wait(timeout)
            return None
        except subprocess.TimeoutExpired:
            return "pid %d still there %.0f s after SIGKILL (%s)" % (
                self.proc.pid, timeout, proc_state(self.proc.pid))

    def wait_out(self, port, n, timeout=30.0):
        """Wait until vtepd has written n frames to port's output file,
        without asking for counters (no SIGUSR1, no control thread)."""
        path = self.path(port + "-out.pcap")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = pcap_count(path)
            if got >= n:
                return got
            if self.proc.poll() is not None:
                raise TestFailure("vtepd died (exit %d) while %s had %d of %d frames; "
                                  "its output:\n%s" % (self.proc.returncode, port, got, n,
                                                        self.log()[-4000:]))
            time.sleep(0.02)
        raise TestFailure("timed out after %.0f s waiting for %d frames out of %s; it has %d" %
                          (timeout, n, port, pcap_count(path)))

    # -- traffic --

    def send(self, iface, frames, gap=0.0):
        """Send frames, in order, from the peer end of iface's veth pair
        ("und" or an access port name)."""
        s = self.socks[iface + "-peer"]
        if isinstance(frames, (bytes, bytearray)):
            frames = [frames]
        for f in frames:
            n = s.send(f)
            if n != len(f):
                raise TestFailure("sent %d of %d bytes on %s" % (n, len(f), iface))
            if gap:
                time.sleep(gap)

    def out(self, port):
        """Frames vtepd sent on port ("uplink" or an access port name)."""
        return read_pcap(self.path(port + "-out.pcap"))

    # -- teardown --

    def close(self, failed=False):
        # A signal now would leave the cleanup half done: hold it until the
        # end.
        held = {signal.SIGTERM, signal.SIGINT, signal.SIGHUP}
        old = signal.pthread_sigmask(signal.SIG_BLOCK, held)
        try:
            self._close(failed)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)

    def _close(self, failed):
        if self.closed:
            return
        self.closed = True
        if self in _labs:
            _labs.remove(self)
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                hung = self.kill()
                if hung:
                    print("cleanup: vtepd did not exit within 5 s of SIGTERM; " + hung)
        if self.logf is not None:
            self.logf.close()
        for s in self.socks.values():
            s.close()
        self.socks = {}
        if self.netns_made:
            sh("ip", "netns", "del", self.name, check=False)
        shutil.rmtree(os.path.join("/var/run/dpdk", self.name), ignore_errors=True)
        if failed and self.keep_dir:
            dst = os.path.join(self.keep_dir, self.test)
            shutil.rmtree(dst, ignore_errors=True)
            try:
                shutil.copytree(self.dir, dst)
                print("artifacts kept in %s" % dst)
            except OSError as e:
                print("could not keep artifacts: %s" % e)
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, et, ev, tb):
        self.close(failed=et is not None)
        return False
