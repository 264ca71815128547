# shellcheck shell=bash
# shellcheck disable=SC2034 # tsc_hz, bench_dt, bench_delta: for the caller
# Shared by bench/perf.sh and bench/bum.sh (sourced, not run): one worker
# core of vtepd, or dpdk-testpmd io forwarding, on net_pcap infinite_rx input
# into net_null, with 2 MB hugepages; rates from the processes' own counters.
#
# A script sets bench_name (perf, bum) and calls bench_init. Its EAL file
# prefixes are vtep-$bench_name-* (vtepd) and tp-$bench_name-* (testpmd):
# their hugepage files and run directories, and the work directory, are
# removed on exit, also on failure or a signal. Every process is started in
# the script's own shell (never in a $(...) subshell, whose exit would not
# stop it), recorded by PID and stopped by PID, with bounded waits.

bench_root=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
bench_build=${BUILD_DIR:-$bench_root/build}
bench_name=${bench_name:-bench}
bench_work=
bench_pid=
tsc_hz=

bench_die() { echo "$bench_name: $*" >&2; exit 1; }

# bench_stop PID: SIGTERM, up to 10 s for it to exit, then SIGKILL; reaped.
bench_stop() {
	local p=$1 i
	kill -TERM "$p" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
}

bench_cleanup() {
	if [ -n "$bench_pid" ]; then kill -KILL "$bench_pid" 2>/dev/null || true; fi
	[ -n "$bench_work" ] && rm -rf "$bench_work"
	rm -f /dev/hugepages/vtep-"$bench_name"-* /dev/hugepages/tp-"$bench_name"-* 2>/dev/null || true
	rm -rf /var/run/dpdk/vtep-"$bench_name"-* /var/run/dpdk/tp-"$bench_name"-* 2>/dev/null || true
}

# bench_init: root, the build, the work directory ($bench_work), the exit
# trap, 2 MB hugepages, and the TSC rate ($tsc_hz) for cycles per packet.
bench_init() {
	[ "$(id -u)" -eq 0 ] || { echo "$bench_name: needs root (hugepages)" >&2; exit 1; }
	ROOT=$bench_root BUILD_DIR=$bench_build "$bench_root/scripts/build.sh"
	bench_work=$(mktemp -d /tmp/vtep-"$bench_name".XXXXXX)
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
	# 2 MB hugepages: the benchmark measures DPDK as it runs in production.
	if [ "$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages)" -lt 1024 ]; then
		echo 1024 >/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
	fi
	mkdir -p /dev/hugepages
	mountpoint -q /dev/hugepages || mount -t hugetlbfs nodev /dev/hugepages
	tsc_hz=$(awk '/^cpu MHz/{printf "%d", $4 * 1e6; exit}' /proc/cpuinfo)
}

# bench_counter LOG NAME: the value of NAME in the last counters block of LOG.
bench_counter() {
	awk -v k="$2" '$1 == k { v = $2 } END { print v + 0 }' "$1"
}

# bench_blocks LOG: complete counter blocks in LOG (ctl.snapshots comes late
# in a block, in the same flush as the counters before it).
bench_blocks() {
	grep -c '^ctl\.snapshots ' "$1" 2>/dev/null || true
}

# bench_dump PID LOG: SIGUSR1, then wait (at most 10 s) for the new block.
# Sets bench_t to the time of the signal.
bench_dump() {
	local p=$1 log=$2 n i
	n=$(bench_blocks "$log")
	kill -USR1 "$p"
	bench_t=$(date +%s.%N)
	for ((i = 0; i < 500; i++)); do
		[ "$(bench_blocks "$log")" -gt "$n" ] && return 0
		kill -0 "$p" 2>/dev/null || bench_die "vtepd died; its log: $log"
		sleep 0.02
	done
	bench_die "vtepd printed no counters within 10 s of SIGUSR1 ($log)"
}

# bench_vtepd_window CONF LOG SECS NAME...: run vtepd on CONF (output to
# LOG), warm up 2 s once it runs, then take two counter dumps SECS apart.
# Sets bench_dt (seconds between the dumps) and bench_delta[i], the increase
# of counter NAME[i] over that interval; vtepd is stopped before it returns.
bench_vtepd_window() {
	local conf=$1 log=$2 secs=$3 t0 i n
	shift 3
	local -a v0=()
	: >"$log"
	"$bench_build/app/vtepd/vtepd" -c "$conf" >"$log" 2>&1 </dev/null &
	bench_pid=$!
	for ((i = 0; i < 300; i++)); do
		grep -q '^vtepd: running:' "$log" && break
		kill -0 "$bench_pid" 2>/dev/null || bench_die "vtepd exited at start:$(echo; tail -20 "$log")"
		sleep 0.1
	done
	[ "$i" -lt 300 ] || bench_die "vtepd not running 30 s after start ($log)"
	sleep 2
	bench_dump "$bench_pid" "$log"
	t0=$bench_t
	for n in "$@"; do v0+=("$(bench_counter "$log" "$n")"); done
	sleep "$secs"
	bench_dump "$bench_pid" "$log"
	bench_dt=$(awk -v a="$t0" -v b="$bench_t" 'BEGIN { printf "%.6f", b - a }')
	bench_delta=()
	i=0
	for n in "$@"; do
		bench_delta+=($(($(bench_counter "$log" "$n") - v0[i])))
		i=$((i + 1))
	done
	bench_stop "$bench_pid"
	bench_pid=
}

# bench_testpmd LOG PCAP TAG SECS: dpdk-testpmd io forwarding from PCAP
# (net_pcap infinite_rx, port 0) to net_null (port 1) for SECS + 3 s, its
# once-a-second statistics to LOG.
bench_testpmd() {
	local log=$1 pcap=$2 tag=$3 secs=$4
	dpdk-testpmd -l 0,1 -n 4 --file-prefix "tp-$bench_name-$tag" --no-pci \
		--log-level pmd.net.pcap:error \
		--vdev "net_pcap0,rx_pcap=$pcap,infinite_rx=1" \
		--vdev "net_null0,no-rx=1" -- \
		--forward-mode=io --auto-start --stats-period 1 --nb-cores=1 \
		--total-num-mbufs=32768 >"$log" 2>&1 </dev/null &
	bench_pid=$!
	sleep $((secs + 3))
	bench_stop "$bench_pid"
	bench_pid=
}

# bench_testpmd_pps LOG PORT FIELD N: the mean of the last N once-a-second
# values of FIELD (Rx-pps, Tx-pps) of PORT in a testpmd log.
bench_testpmd_pps() {
	awk -v port="$2" -v f="$3:" -v n="$4" '
	     /Forward statistics for port / || /NIC statistics for port / { p = ($6 == port) }
	     p && index($0, f) { for (i = 1; i <= NF; i++) if ($i == f) v[k++] = $(i + 1) }
	     END { s = 0; m = 0
		   for (i = k - n; i < k; i++) if (i >= 0) { s += v[i]; m++ }
		   printf "%.0f", m ? s / m : 0 }' "$1"
}
