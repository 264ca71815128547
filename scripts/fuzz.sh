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
timeout=10
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
	echo "fuzz: clang is not installed (Debian: clang libclang-rt-14-dev llvm)" >&2
	exit 1
fi
# libFuzzer and the sanitizer runtimes are only a Recommends of clang.
if [ ! -f "$(clang -print-runtime-dir)/libclang_rt.fuzzer-x86_64.a" ]; then
	echo "fuzz: clang has no libFuzzer runtime (Debian: libclang-rt-14-dev)" >&2
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
	*) echo "$root/tests/fuzz/$1/corpus $root/tests/fuzz/$1/regressions" ;;
	esac
}
max_len() {
	case $1 in
	conf) echo 16384 ;;
	decap) echo 4096 ;;
	worker) echo 32768 ;;
	esac
}

# Stack traces with function names need llvm-symbolizer (Debian: llvm-14).
if ! command -v llvm-symbolizer >/dev/null && [ -x /usr/lib/llvm-14/bin/llvm-symbolizer ]; then
	export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:detect_stack_use_after_return=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
runtime=/var/run/dpdk
[ "$(id -u)" -ne 0 ] && runtime=${XDG_RUNTIME_DIR:-/tmp}/dpdk
mkdir -p "$build/fuzz-logs"
work=$(mktemp -d /tmp/vtep-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT

# One libFuzzer session of target $1 for $2 seconds, appended to $log.
session() {
	FUZZ_EAL_PREFIX=$prefix timeout --kill-after=10 $(($2 * 2 + 60)) \
		"$bin" -max_total_time="$2" -timeout="$timeout" -rss_limit_mb=2048 \
		-max_len="$(max_len "$1")" -print_final_stats=1 -artifact_prefix="$art/" \
		"${dict[@]}" ${FUZZ_ARGS:-} "$corpus" >>"$log" 2>&1
	status=$?
	# The EAL's runtime directory, left behind when the target died.
	rm -rf "${runtime:?}/$prefix"
}

# A unit over the timeout that runs in time on its own was the machine's
# load (two cores shared with busy-polling tests), not a hang: the input is
# set aside and the session goes on for the time left, at most 3 times.
stalled() {
	local f
	[ "$status" -eq 70 ] || return 1
	f=$(ls "$art"/timeout-* 2>/dev/null | head -1)
	[ -n "$f" ] || return 1
	FUZZ_EAL_PREFIX=$prefix timeout 60 "$bin" -timeout="$timeout" -runs=1 "$f" \
		>>"$log.stall" 2>&1 || return 1
	rm -rf "${runtime:?}/$prefix"
	mkdir -p "$art/stalled"
	mv "$f" "$art/stalled/"
	echo "note: fuzz_$t: one input passed the ${timeout} s timeout under load and ran in" \
		"time alone (kept in $art/stalled/); going on" >&2
}

rc=0
for t in "${targets[@]}"; do
	bin=$build/tests/fuzz/fuzz_$t
	log=$build/fuzz-logs/$t.log
	art=$build/fuzz-artifacts/$t/$(date +%Y%m%d-%H%M%S)
	prefix=vtep-fuzz-$t-$$
	corpus=$work/$t
	dict=()
	mkdir -p "$corpus" "$art"
	: >"$log"
	rm -f "$log.stall"
	for d in $(seeds "$t"); do
		cp "$d"/* "$corpus"/ 2>/dev/null
	done
	[ -f "$root/tests/fuzz/$t.dict" ] && dict=("-dict=$root/tests/fuzz/$t.dict")
	start=$SECONDS
	left=$seconds
	stalls=0
	while :; do
		# libFuzzer stops itself after max_total_time; the outer bound in
		# session() is for a run that wedges before it can.
		session "$t" "$left"
		[ $stalls -lt 3 ] && stalled || break
		stalls=$((stalls + 1))
		left=$((seconds - (SECONDS - start)))
		[ $left -ge 5 ] || { status=0; break; }
	done
	rmdir "$art" 2>/dev/null
	units=$(awk '/^stat::number_of_executed_units:/ { n += $2; s = 1 } END { if (s) print n }' "$log")
	frames=$(sed -n "s/^fuzz_$t: .*frames \([0-9][0-9]*\).*/\1/p" "$log" |
		 awk '{ n += $1 } END { if (NR) print n }')
	line="fuzz: $t: ${units:-?} inputs"
	[ "$t" != conf ] && line+=", ${frames:-?} frames"
	line+=" in $((SECONDS - start)) s"
	if [ $status -ne 0 ] || [ -z "$units" ]; then
		case $status in
		124|137) why="did not stop (killed after $((left * 2 + 60)) s)" ;;
		*) why=$(grep -m1 -E "ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|invariant broken|ALARM" "$log") ;;
		esac
		echo "$line: FAILED (exit $status): ${why:-see the log}"
		ls "$art"/* 2>/dev/null | grep -v '/stalled$' | sed 's/^/  input: /'
		echo "  log: $log"
		rc=1
	else
		echo "$line: ok"
	fi
done
exit $rc
