#!/usr/bin/env bash
# Build the libFuzzer targets (tests/fuzz) with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer, then run each for a bounded time on a copy of
# its seed corpus. Exits non-zero on any crash, leak, timeout or broken
# invariant; prints per target the inputs executed and, for the packet
# targets, the frames processed.
#
#   scripts/fuzz.sh [--seconds N] [--timeout S] [target...]   targets: conf decap worker
#
# Installs nothing: clang must be there (Debian: clang). The build
# goes to FUZZ_BUILD_DIR (default build-fuzz/); crashing inputs are kept in
# FUZZ_BUILD_DIR/fuzz-artifacts/<target>/<time>/, logs in FUZZ_BUILD_DIR/fuzz-logs/.
# Extra libFuzzer arguments: FUZZ_ARGS.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
seconds=30
timeout=5
targets=()

usage() {
	sed -n '2,13s/^# \{0,1\}//p' "$0"
	exit "${1:-2}"
}

while [ $# -gt 0 ]; do
	case $1 in
	--seconds) seconds=${2:?--seconds needs a value}; shift 2 ;;
	--timeout) timeout=${2:?--timeout needs a value}; shift 2 ;;
	-h|--help) usage 0 ;;
	-*) echo "fuzz: unknown option $1" >&2; usage ;;
	*) targets+=("$1"); shift ;;
	esac
done
[ ${#targets[@]} -eq 0 ] && targets=(conf decap worker)
for t in "${targets[@]}"; do
	case $t in
	conf|decap|worker) ;;
	*) echo "fuzz: no target \"$t\" (conf, decap, worker)" >&2; exit 2 ;;
	esac
done
case $seconds in ''|*[!0-9]*) echo "fuzz: --seconds takes a number" >&2; exit 2 ;; esac

if ! command -v clang >/dev/null; then
	echo "fuzz: clang is not installed (apt-get install clang)" >&2
	exit 1
fi

# One instrumented build: the libraries and the daemon's code get
# -fsanitize=fuzzer-no-link (coverage for libFuzzer) and both sanitizers;
# only the targets link libFuzzer itself. LTO off: the sanitizers and the
# coverage instrumentation want the code as compiled.
if [ ! -f "$build/build.ninja" ]; then
	CC=clang meson setup "$build" "$root" -Dfuzz=true -Dtests=disabled \
		-Dbuildtype=debugoptimized -Db_lto=false -Db_lundef=false \
		-Db_sanitize=address,undefined \
		"-Dc_args=-fsanitize=fuzzer-no-link -fno-sanitize-recover=all -fno-omit-frame-pointer" \
		>/dev/null || exit 1
fi
ninja -C "$build" >/dev/null || ninja -C "$build" || exit 1

# Per target: its seeds, its input size limit, and a dictionary if any.
seeds() {
	case $1 in
	conf) echo "$root/tests/conf/good $root/tests/conf/bad $root/config" ;;
	*) echo "$root/tests/fuzz/$1/corpus" ;;
	esac
}
max_len() {
	case $1 in
	conf) echo 16384 ;;
	decap) echo 4096 ;;
	worker) echo 32768 ;;
	esac
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:detect_stack_use_after_return=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
runtime=/var/run/dpdk
[ "$(id -u)" -ne 0 ] && runtime=${XDG_RUNTIME_DIR:-/tmp}/dpdk
mkdir -p "$build/fuzz-logs"
work=$(mktemp -d /tmp/vtep-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT

rc=0
for t in "${targets[@]}"; do
	bin=$build/tests/fuzz/fuzz_$t
	log=$build/fuzz-logs/$t.log
	art=$build/fuzz-artifacts/$t/$(date +%Y%m%d-%H%M%S)
	prefix=vtep-fuzz-$t-$$
	corpus=$work/$t
	dict=()
	mkdir -p "$corpus" "$art"
	for d in $(seeds "$t"); do
		cp "$d"/* "$corpus"/ 2>/dev/null
	done
	[ -f "$root/tests/fuzz/$t.dict" ] && dict=("-dict=$root/tests/fuzz/$t.dict")
	# libFuzzer stops itself after max_total_time; the outer bound is for
	# a run that wedges before it can (EAL start-up, a stuck exit).
	FUZZ_EAL_PREFIX=$prefix timeout --kill-after=10 $((seconds * 2 + 60)) \
		"$bin" -max_total_time="$seconds" -timeout="$timeout" -rss_limit_mb=2048 \
		-max_len="$(max_len "$t")" -print_final_stats=1 -artifact_prefix="$art/" \
		"${dict[@]}" ${FUZZ_ARGS:-} "$corpus" >"$log" 2>&1
	status=$?
	# The EAL's runtime directory, left behind when the target died.
	rm -rf "${runtime:?}/$prefix"
	rmdir "$art" 2>/dev/null
	units=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	frames=$(sed -n "s/^fuzz_$t: .*frames \([0-9][0-9]*\).*/\1/p" "$log" | tail -1)
	line="fuzz: $t: ${units:-?} inputs"
	[ "$t" != conf ] && line+=", ${frames:-?} frames"
	line+=" in $seconds s"
	if [ $status -ne 0 ] || [ -z "$units" ]; then
		case $status in
		124|137) why="did not stop (killed after $((seconds * 2 + 60)) s)" ;;
		*) why=$(grep -m1 -E "ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|invariant broken|ALARM" "$log") ;;
		esac
		echo "$line: FAILED (exit $status): ${why:-see the log}"
		ls "$art"/* 2>/dev/null | sed 's/^/  input: /'
		echo "  log: $log"
		rc=1
	else
		echo "$line: ok"
	fi
done
exit $rc
