#!/usr/bin/env bash
# The whole test suite: unit tests (cmocka), packet tests on DPDK virtual
# devices, the benchmark tests and the interop test against the Linux
# kernel's vxlan driver, on a release build; then every C test (meson suite
# "c": the unit tests, bench_search, bench_gen) again under
# AddressSanitizer and UndefinedBehaviorSanitizer; then each libFuzzer
# target (tests/fuzz, scripts/fuzz.sh) for FUZZ_SECONDS (30) seconds. With
# meson test arguments (one suite, one test), the fuzzers do not run.
#
# It fails if any test failed or was skipped: a suite skipped (not root, a
# tool missing) must not look green. Its last lines name the skipped tests
# and why, and the five slowest tests; the very last line is
# "tests: N passed, N failed, N skipped".
#
#   scripts/test.sh [meson test arguments, e.g. --suite unit]
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
asan=${ASAN_BUILD_DIR:-$root/build-asan}

"$root/scripts/build.sh" || exit 1
BUILD_DIR=$asan "$root/scripts/build.sh" -Db_sanitize=address,undefined -Dbuildtype=debug \
	-Db_lundef=false -Db_lto=false || exit 1

# Only this run's results count in the summary.
rm -f "$build/meson-logs/testlog.json" "$asan/meson-logs/testlog.json"
rc=0
meson test -C "$build" --print-errorlogs "$@" || rc=1
ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1} \
	meson test -C "$asan" --suite c --print-errorlogs || rc=1

fuzz_log=$build/meson-logs/fuzz.txt
rm -f "$fuzz_log"
if [ $# -eq 0 ]; then
	"$root/scripts/fuzz.sh" --seconds "${FUZZ_SECONDS:-30}" | tee "$fuzz_log" || rc=1
fi

/usr/bin/python3 - "$build" "$asan" "$fuzz_log" <<'PY' || rc=1
import json, sys

passed = failed = skipped = 0
runs, skips = [], []
for d, tag in ((sys.argv[1], ""), (sys.argv[2], " (asan)")):
    try:
        lines = open(d + "/meson-logs/testlog.json").read().splitlines()
    except OSError:
        print("no results in %s/meson-logs/testlog.json" % d)
        failed += 1
        continue
    for line in lines:
        r = json.loads(line)
        name = r["name"].split(":", 1)[-1] + tag
        runs.append((r.get("duration") or 0.0, name))
        if r["result"] in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif r["result"] == "SKIP":
            skipped += 1
            said = [l for l in (r.get("stdout") or "").splitlines() +
                    (r.get("stderr") or "").splitlines() if l.strip()]
            skips.append("%s: %s" % (name, said[-1].strip() if said else "exit 77"))
        else:
            failed += 1
# scripts/fuzz.sh: "fuzz: TARGET: N inputs[, M frames] in S s: ok|FAILED ...".
try:
    fuzz = [l for l in open(sys.argv[3]).read().splitlines() if l.startswith("fuzz: ")]
except OSError:
    fuzz = []
for l in fuzz:
    target = l.split(":")[1].strip()
    secs = l.split(" in ")[-1].split(" s")[0] if " in " in l else "0"
    runs.append((float(secs) if secs.isdigit() else 0.0, "fuzz_" + target))
    if l.endswith(": ok"):
        passed += 1
    else:
        failed += 1
if skips:
    print("skipped, which fails the run (a skipped test proves nothing):")
    for s in skips:
        print("  " + s)
print("five slowest tests:")
for t, name in sorted(runs, reverse=True)[:5]:
    print("  %7.2f s  %s" % (t, name))
print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if skipped or failed else 0)
PY
exit $rc
