# SPDX-License-Identifier: BSD-3-Clause
"""
REST API test harness for vtepd: a Daemon that runs vtepd on DPDK virtual
devices that need no namespace (net_null, no hugepages, no PCI) with an
api: section on 127.0.0.1, a token file and a state file in a temporary
directory; an HTTP client (urllib) that validates every JSON response body
against the matching response of docs/openapi.yaml (jsonschema), so that
the document and the server cannot drift apart.

Standard library, Debian's python3-jsonschema and python3-yaml.
"""

import atexit
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

import jsonschema
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
OPENAPI = os.path.join(SRC, "docs", "openapi.yaml")
ROUTES_DEF = os.path.join(SRC, "lib", "api", "routes.def")

LOCAL_IP = "198.18.0.1"
R2, R3, R4 = "198.18.0.2", "198.18.0.3", "198.18.0.4"
UPLINK_MAC = "02:00:00:00:00:01"
NEIGH = {R2: "02:00:00:00:00:02", R3: "02:00:00:00:00:03"}
TOKEN = "t0k3n-for-the-api-tests-" + "x" * 16
# Small enough that a test can go over it quickly.
BODY_LIMIT = 65536


class TestFailure(Exception):
    """A check failed; the message says what differed."""


# name -> function; filled by @test(), listed by "run.py --list".
TESTS = {}


def test(fn):
    if fn.__name__ in TESTS:
        raise RuntimeError("two API tests named %s" % fn.__name__)
    TESTS[fn.__name__] = fn
    return fn


def check(cond, msg, *args):
    if not cond:
        raise TestFailure(msg % args if args else msg)


# ---- the OpenAPI document ---------------------------------------------------

class Spec:
    """docs/openapi.yaml, and the response schemas of its operations as
    plain JSON Schema (draft 7): $refs inlined, nullable converted."""

    METHODS = ("get", "put", "post", "delete", "patch")

    def __init__(self, path=OPENAPI):
        with open(path) as f:
            self.doc = yaml.safe_load(f)
        self.paths = []
        for p, item in self.doc["paths"].items():
            rx = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(p)) + "$"
            self.paths.append((re.compile(rx), p, item))
        self._cache = {}
        self._lock = threading.Lock()

    def ref(self, r):
        check(r.startswith("#/"), "openapi.yaml: $ref %s is outside the document", r)
        n = self.doc
        for part in r[2:].split("/"):
            n = n[part]
        return n

    def deref(self, n, depth=0):
        check(depth < 64, "openapi.yaml: $refs nest too deep (a cycle?)")
        if isinstance(n, list):
            return [self.deref(x, depth + 1) for x in n]
        if not isinstance(n, dict):
            return n
        if "$ref" in n:
            return self.deref(self.ref(n["$ref"]), depth + 1)
        out = {}
        for k, v in n.items():
            if k in ("example", "examples", "discriminator", "xml", "externalDocs",
                     "deprecated", "readOnly", "writeOnly"):
                continue
            if k == "properties":
                out[k] = {pk: self.deref(pv, depth + 1) for pk, pv in v.items()}
            else:
                out[k] = self.deref(v, depth + 1)
        if out.pop("nullable", False):
            t = out.get("type")
            if t is not None:
                out["type"] = [t, "null"] if isinstance(t, str) else list(t) + ["null"]
            if "enum" in out:
                out["enum"] = list(out["enum"]) + [None]
        return out

    def template(self, path):
        """The document's path template for a concrete path, or None."""
        path = path.split("?", 1)[0]
        for rx, p, item in self.paths:
            if rx.match(path):
                return p, item
        return None, None

    def response(self, method, path, status):
        """(documented response object, template) for the answer, or raise
        if the document does not describe it. Methods and paths that the
        document does not have may only be answered 401, 404 or 405; their
        bodies are Errors."""
        tpl, item = self.template(path)
        op = item.get(method.lower()) if item else None
        if op is None:
            check(status in (401, 404, 405),
                  "%s %s answered %d, but openapi.yaml has no such operation "
                  "(only 401, 404 or 405 would fit)", method, path, status)
            name = {401: "Unauthorized", 404: "NotFound", 405: "MethodNotAllowed"}[status]
            return self.deref(self.doc["components"]["responses"][name]), tpl
        resp = op["responses"].get(str(status))
        check(resp is not None, "%s %s answered %d, which openapi.yaml does not document "
              "for %s %s (it has %s)", method, path, status, method.upper(), tpl,
              ", ".join(sorted(op["responses"])))
        return self.deref(resp), tpl

    def validator(self, schema):
        key = json.dumps(schema, sort_keys=True)
        with self._lock:
            v = self._cache.get(key)
            if v is None:
                v = jsonschema.Draft7Validator(schema,
                                               format_checker=jsonschema.FormatChecker())
                self._cache[key] = v
        return v

    def schema(self, name):
        return self.deref(self.doc["components"]["schemas"][name])

    def validate_answer(self, method, path, status, headers, raw):
        """Check status, headers and body of one answer against the
        document; returns the body decoded (JSON), as text (YAML) or None."""
        resp, tpl = self.response(method, path, status)
        where = "%s %s -> %d" % (method, path, status)
        for h in (resp.get("headers") or {}):
            check(headers.get(h) is not None, "%s: header %s missing (openapi.yaml "
                  "documents it); headers: %s", where, h, dict(headers))
            hs = resp["headers"][h].get("schema")
            if hs:
                errs = list(self.validator(hs).iter_errors(headers.get(h)))
                check(not errs, "%s: header %s: %r does not match openapi.yaml: %s",
                      where, h, headers.get(h), errs[0].message if errs else "")
        content = resp.get("content")
        if not content:
            check(len(raw) == 0, "%s: a body of %d bytes where openapi.yaml documents "
                  "none: %r", where, len(raw), raw[:200])
            return None
        ctype = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
        check(ctype in content, "%s: Content-Type %r, openapi.yaml documents %s; body %r",
              where, ctype, sorted(content), raw[:200])
        schema = content[ctype].get("schema", {})
        if ctype != "application/json":
            text = raw.decode("utf-8")
            errs = list(self.validator(schema).iter_errors(text))
            check(not errs, "%s: body does not match openapi.yaml: %s", where,
                  errs[0].message if errs else "")
            return text
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise TestFailure("%s: the body is not JSON (%s): %r" % (where, e, raw[:300]))
        errs = sorted(self.validator(schema).iter_errors(body), key=lambda e: list(e.path))
        if errs:
            msgs = ["  at /%s: %s" % ("/".join(str(x) for x in e.path), e.message[:300])
                    for e in errs[:5]]
            raise TestFailure("%s: the body does not match the schema of openapi.yaml "
                              "(%s %s, %d):\n%s\nbody: %s" %
                              (where, method.upper(), tpl, status, "\n".join(msgs),
                               raw[:600].decode("utf-8", "replace")))
        return body


_spec = None
_spec_lock = threading.Lock()


def spec():
    global _spec
    with _spec_lock:
        if _spec is None:
            _spec = Spec()
        return _spec


# ---- HTTP -------------------------------------------------------------------

class Answer:
    def __init__(self, status, headers, raw, body):
        self.status = status
        self.headers = headers
        self.raw = raw
        self.body = body

    def __iter__(self):
        return iter((self.status, self.headers, self.body))

    def __repr__(self):
        return "%d %s" % (self.status, self.raw[:400].decode("utf-8", "replace"))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


class Client:
    """HTTP to one vtepd. Each answer is validated against openapi.yaml
    unless validate=False."""

    def __init__(self, base, token):
        self.base = base
        self.token = token

    def request(self, method, path, body=None, headers=None, token=True, ctype=None,
                timeout=20.0, validate=True):
        """body: a dict or list (sent as JSON), str or bytes (sent as is).
        token: True (the right one), False (none) or a string. ctype: the
        Content-Type of a body (default application/json)."""
        h = dict(headers or {})
        data = None
        if isinstance(body, (dict, list)):
            data = json.dumps(body).encode()
            h.setdefault("Content-Type", ctype or "application/json")
        elif isinstance(body, (str, bytes)):
            data = body.encode() if isinstance(body, str) else body
            # urllib would send application/x-www-form-urlencoded.
            h.setdefault("Content-Type", "application/json")
        if ctype is not None:
            h["Content-Type"] = ctype
        if token is True:
            h["Authorization"] = "Bearer " + self.token
        elif isinstance(token, str):
            h["Authorization"] = "Bearer " + token
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=h)
        try:
            with _opener.open(req, timeout=timeout) as r:
                status, hdrs, raw = r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            status, hdrs, raw = e.code, e.headers, e.read()
        if not validate:
            return Answer(status, hdrs, raw, None)
        body = spec().validate_answer(method, path, status, hdrs, raw)
        return Answer(status, hdrs, raw, body)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def put(self, path, body=None, **kw):
        return self.request("PUT", path, body, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def expect(self, status, method, path, body=None, **kw):
        a = self.request(method, path, body, **kw)
        check(a.status == status, "%s %s: expected %d, got %r", method, path, status, a)
        return a

    def config_raw(self, yaml_form=False):
        """GET /v1/config as bytes (JSON, or YAML with Accept)."""
        hdr = {"Accept": "application/yaml"} if yaml_form else {}
        a = self.expect(200, "GET", "/v1/config", headers=hdr)
        return a.raw


def expect_error(a, status, field=None, reason=None, what=""):
    """a is status with an Error body naming field (None: any or none; ""
    none) and a reason matching the regex reason."""
    pre = what + ": " if what else ""
    check(a.status == status, "%sexpected %d, got %r", pre, status, a)
    b = a.body
    check(isinstance(b, dict) and isinstance(b.get("error"), str) and b["error"],
          "%sno error reason in %r", pre, a)
    if field == "":
        check("field" not in b, "%sexpected no field, got %r", pre, b)
    elif field is not None:
        check(b.get("field") == field, "%sexpected field %r, got %r (%r)", pre, field,
              b.get("field"), b)
    if reason is not None:
        check(re.search(reason, b["error"]), "%sreason %r does not match /%s/", pre,
              b["error"], reason)
    return b


# ---- processes ----------------------------------------------------------------

def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def proc_state(pid):
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


def tmp_base():
    """A tmpfs when there is one: the tests fsync the state file thousands
    of times, and what they check is a crash of the process, not of the
    machine."""
    for d in ("/dev/shm", tempfile.gettempdir()):
        if os.path.isdir(d) and os.access(d, os.W_OK):
            return d
    return tempfile.gettempdir()


PREFIX_RE = re.compile(r"^vtep-at-(\d+)-")


def reap_stale():
    """Remove DPDK runtime directories and temporary directories that runs
    killed outright left behind (their pid is gone)."""
    for where in ("/var/run/dpdk", tmp_base(), tempfile.gettempdir()):
        try:
            names = os.listdir(where)
        except OSError:
            continue
        for n in names:
            m = PREFIX_RE.match(n)
            if m and not _pid_alive(int(m.group(1))):
                shutil.rmtree(os.path.join(where, n), ignore_errors=True)


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def base_vnis():
    """VNI 100 on vm1 untagged flooding to R2; VNI 101 on vm2 VLAN 10."""
    return [
        {"vni": 100, "access": [{"port": "vm1"}], "remotes": [R2]},
        {"vni": 101, "access": [{"port": "vm2", "vlan": 10}], "remotes": [R2, R3]},
    ]


def _flow(v):
    """A JSON value as YAML flow text (JSON is YAML, but keep the strings
    that YAML would read as something else quoted)."""
    return json.dumps(v)


_daemons = []
_signals_installed = False


def _cleanup_all():
    while _daemons:
        _daemons[-1].close()


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


class Daemon:
    """One vtepd with its temporary directory: vtepd.yaml, token (0600),
    state.yaml, vtepd.log."""

    _seq = 0

    def __init__(self, vtepd, name, keep_dir=None, vnis=None, fdb=None, api_extra=None,
                 state=True, devargs=None):
        _install_cleanup()
        self.vtepd = vtepd
        self.test = name
        self.keep_dir = keep_dir
        self.prefix = "vtep-at-%d-%d" % (os.getpid(), Daemon._seq)
        Daemon._seq += 1
        self.dir = tempfile.mkdtemp(prefix=self.prefix + "-", dir=tmp_base())
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.token_path = self.path("token")
        fd = os.open(self.token_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, (TOKEN + "\n").encode())
        os.close(fd)
        os.chmod(self.token_path, 0o600)
        self.state_path = self.path("state.yaml") if state else None
        self.conf_path = self.path("vtepd.yaml")
        self.log_path = self.path("vtepd.log")
        self.proc = None
        self.logf = None
        self.closed = False
        self.client = Client(self.base, TOKEN)
        # port name -> devargs, over the net_null defaults
        self.devargs = {"uplink": "net_null0,no-rx=1", "vm1": "net_null1,no-rx=1",
                        "vm2": "net_null2,no-rx=1"}
        self.devargs.update(devargs or {})
        with open(self.conf_path, "w") as f:
            f.write(self.config(vnis if vnis is not None else base_vnis(), fdb or [],
                                api_extra or {}))
        _daemons.append(self)

    def path(self, f):
        return os.path.join(self.dir, f)

    def config(self, vnis, fdb, api_extra):
        eal = ["--no-huge", "-m", "512", "--no-pci", "--no-shconf", "--lcores", "0@0,1@1",
               "--file-prefix", self.prefix, "--log-level", "lib.eal:error"]
        lines = ["# generated by tests/api/apitest.py",
                 "eal: %s" % _flow(eal),
                 "ports:",
                 '  - { name: uplink, devargs: %s, role: underlay, mac: "%s" }' % (
                     _flow(self.devargs["uplink"]), UPLINK_MAC),
                 '  - { name: vm1, devargs: %s, role: access }' % _flow(self.devargs["vm1"]),
                 '  - { name: vm2, devargs: %s, role: access }' % _flow(self.devargs["vm2"]),
                 "underlay:",
                 "  port: uplink",
                 "  address: %s/24" % LOCAL_IP,
                 "  neighbors:"]
        for ip, m in NEIGH.items():
            lines.append('    - { ip: %s, mac: "%s" }' % (ip, m))
        lines.append("vnis:")
        for v in vnis:
            lines.append("  - %s" % _flow(v))
        if fdb:
            lines.append("fdb:")
            for e in fdb:
                lines.append("  - %s" % _flow(e))
        if self.state_path:
            lines.append("state_file: %s" % _flow(self.state_path))
        api = {"listen": "127.0.0.1:%d" % self.port, "token_file": self.token_path,
               "body_limit": BODY_LIMIT}
        api.update(api_extra)
        lines.append("api:")
        for k, v in api.items():
            if v is not None:          # None: leave the field out
                lines.append("  %s: %s" % (k, _flow(v)))
        return "\n".join(lines) + "\n"

    # -- running --

    def start(self, timeout=30.0, args=()):
        """Start vtepd (with extra args) and wait until GET /v1/health
        answers 200."""
        check(self.proc is None or self.proc.poll() is not None, "vtepd is running already")
        if self.logf:
            self.logf.close()
        self.logf = open(self.log_path, "a")
        self.logf.write("==== start at %.3f\n" % time.time())
        self.logf.flush()
        self.proc = subprocess.Popen([self.vtepd, "-c", self.conf_path] + list(args),
                                     stdout=self.logf,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise TestFailure("vtepd exited with %d before GET /v1/health answered; "
                                  "its output:\n%s" % (self.proc.returncode, self.log()[-4000:]))
            try:
                a = self.client.get("/v1/health", token=False, timeout=2.0)
                if a.status == 200:
                    return a
                last = repr(a)
            except (OSError, urllib.error.URLError) as e:
                last = str(e)
            time.sleep(0.05)
        raise TestFailure("GET %s/v1/health did not answer 200 within %.0f s (last: %s); "
                          "vtepd's output:\n%s" % (self.base, timeout, last, self.log()[-4000:]))

    def start_refused(self, timeout=30.0, args=()):
        """Start vtepd expecting it to refuse: it must exit non-zero within
        timeout without the API answering. Returns its output."""
        self.logf = open(self.log_path, "a")
        self.proc = subprocess.Popen([self.vtepd, "-c", self.conf_path] + list(args),
                                     stdout=self.logf,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            hung = self.kill()
            raise TestFailure("vtepd still running %.0f s after start, expected a refusal%s;"
                              " output:\n%s" % (timeout, "; " + hung if hung else "",
                                                 self.log()[-3000:]))
        self._rm_runtime()
        check(rc != 0, "vtepd exited 0, expected a refusal; output:\n%s", self.log()[-3000:])
        return self.log()

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=20.0):
        """SIGTERM, wait (bounded); a clean exit is expected."""
        check(self.proc is not None, "vtepd was not started")
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            hung = self.kill()
            raise TestFailure("vtepd did not exit within %.0f s of SIGTERM%s; output:\n%s" %
                              (timeout, "; " + hung if hung else ", killed",
                               self.log()[-4000:]))
        check(rc == 0, "vtepd exited with %d after SIGTERM; output:\n%s", rc, self.log()[-4000:])
        self._rm_runtime()

    def kill(self, timeout=10.0):
        """SIGKILL and reap within timeout. None once reaped, else what
        the process was doing when the bound ran out."""
        if self.proc is None or self.proc.poll() is not None:
            return None
        self.proc.kill()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return "pid %d still there %.0f s after SIGKILL (%s)" % (
                self.proc.pid, timeout, proc_state(self.proc.pid))
        self._rm_runtime()
        return None

    def _rm_runtime(self):
        shutil.rmtree(os.path.join("/var/run/dpdk", self.prefix), ignore_errors=True)

    def state_text(self):
        with open(self.state_path) as f:
            return f.read()

    # -- teardown --

    def close(self, failed=False):
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
        if self in _daemons:
            _daemons.remove(self)
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                hung = self.kill()
                if hung:
                    print("cleanup: vtepd did not exit within 5 s of SIGTERM; " + hung)
        if self.logf is not None:
            self.logf.close()
        self._rm_runtime()
        if failed:
            print("---- vtepd's output (last 3000 bytes) ----\n%s" % self.log()[-3000:])
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
