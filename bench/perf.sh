#!/usr/bin/env bash
# vtepd's encap and decap rates on one worker core, beside dpdk-testpmd io
# forwarding on the same virtual devices, in one run.
#
#   bench/perf.sh [--seconds S] [--flows N] [--size BYTES]
#
# Input: 64-byte frames replayed from memory by net_pcap (infinite_rx=1);
# output: net_null (no-rx=1). Needs root: it reserves 2 MB hugepages.
# Prints Mpps and cycles per packet (TSC cycles of the one worker core per
# packet) for each, and vtepd's rate as a share of testpmd's.
set -euo pipefail
root=${ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
build=${BUILD_DIR:-$root/build}
secs=10
flows=1024
size=64
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) secs=$2; shift 2 ;;
	--flows) flows=$2; shift 2 ;;
	--size) size=$2; shift 2 ;;
	*) echo "usage: $0 [--seconds S] [--flows N] [--size BYTES]" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" -eq 0 ] || { echo "perf: needs root (hugepages)" >&2; exit 1; }
"$root/scripts/build.sh"

work=$(mktemp -d /tmp/vtep-perf.XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
	rm -rf "$work"
	rm -f /dev/hugepages/vtep-perf-* /dev/hugepages/tp-perf-* 2>/dev/null || true
	rm -rf /var/run/dpdk/vtep-perf-* /var/run/dpdk/tp-perf-* 2>/dev/null || true
}
trap cleanup EXIT

# 2 MB hugepages: the benchmark measures DPDK as it runs in production.
if [ "$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages)" -lt 1024 ]; then
	echo 1024 >/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
fi
mkdir -p /dev/hugepages
mountpoint -q /dev/hugepages || mount -t hugetlbfs nodev /dev/hugepages

# vtepd takes only frames to its underlay's MAC. In decap runs the underlay
# is the process's only net_pcap device, whose MAC net_pcap makes up as
# 02:70:63:61:70 and its index (0), and cannot change.
/usr/bin/python3 "$root/bench/mkpcap.py" "$work" --flows "$flows" --size "$size" \
	--vtep-mac 02:70:63:61:70:00
tsc_hz=$(awk '/^cpu MHz/{printf "%d", $4 * 1e6; exit}' /proc/cpuinfo)

# conf_for KIND: a configuration whose RX port for KIND replays the capture.
conf_for() {
	local kind=$1 acc und
	if [ "$kind" = encap ]; then
		acc="net_pcap0,rx_pcap=$work/encap.pcap,infinite_rx=1"
		und="net_null0,no-rx=1"
	else
		acc="net_null0,no-rx=1"
		und="net_pcap0,rx_pcap=$work/decap.pcap,infinite_rx=1"
	fi
	cat <<YAML
eal: ["-l", "0,1", "-n", "4", "--file-prefix", "vtep-perf-$kind", "--no-pci",
      "--log-level", "pmd.net.pcap:error"]
ports:
  - { name: vm, devargs: "$acc", role: access }
  - { name: uplink, devargs: "$und", role: underlay }
underlay:
  port: uplink
  address: 198.18.0.1/24
  neighbors:
    - { ip: 198.18.0.2, mac: "02:00:00:00:0a:02" }
vnis:
  - vni: 100
    access: [ { port: vm, vlan: untagged } ]
    remotes: [ 198.18.0.2 ]
YAML
	cat "$work/fdb.yaml"
}

# counter LOG NAME: the value of NAME in the last counters block of LOG.
counter() {
	awk -v k="$2" '$1 == k { v = $2 } END { print v + 0 }' "$1"
}

# vtepd_rate KIND: packets per second that left the TX port, measured between
# two counter prints once the pipeline is warm.
vtepd_rate() {
	local kind=$1 out log=$work/vtepd-$kind.log t0 t1 p0 p1
	[ "$kind" = encap ] && out=uplink || out=vm
	conf_for "$kind" >"$work/$kind.yaml"
	"$build/app/vtepd/vtepd" -c "$work/$kind.yaml" >"$log" 2>&1 &
	pid=$!
	sleep 3
	kill -USR1 "$pid"; t0=$(date +%s.%N); sleep 0.2
	p0=$(counter "$log" "port.$out.tx_packets")
	sleep "$secs"
	kill -USR1 "$pid"; t1=$(date +%s.%N); sleep 0.2
	p1=$(counter "$log" "port.$out.tx_packets")
	kill -TERM "$pid"; wait "$pid" || true; pid=
	awk -v a="$p0" -v b="$p1" -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%.0f", (b - a) / (t1 - t0) }'
}

# testpmd_rate KIND: io forwarding from the same capture to the same sink.
testpmd_rate() {
	local kind=$1 log=$work/testpmd-$kind.log
	dpdk-testpmd -l 0,1 -n 4 --file-prefix "tp-perf-$kind" --no-pci \
		--log-level pmd.net.pcap:error \
		--vdev "net_pcap0,rx_pcap=$work/$kind.pcap,infinite_rx=1" \
		--vdev "net_null0,no-rx=1" -- \
		--forward-mode=io --auto-start --stats-period 1 --nb-cores=1 \
		--total-num-mbufs=32768 >"$log" 2>&1 </dev/null &
	pid=$!
	sleep $((secs + 3))
	kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; pid=
	# The last once-a-second Tx-pps of port 1 (the sink).
	awk '/Forward statistics for port 1/ { p = 1 } /NIC statistics for port 1/ { p = 1 }
	     /NIC statistics for port 0/ { p = 0 }
	     p && /Tx-pps:/ { for (i = 1; i <= NF; i++) if ($i == "Tx-pps:") v = $(i + 1) }
	     END { print v + 0 }' "$log"
}

printf "%-8s %14s %10s %14s %10s %8s\n" kind vtepd_Mpps cyc/pkt testpmd_Mpps cyc/pkt ratio
for kind in encap decap; do
	v=$(vtepd_rate "$kind")
	t=$(testpmd_rate "$kind")
	awk -v k="$kind" -v v="$v" -v t="$t" -v hz="$tsc_hz" 'BEGIN {
		printf "%-8s %14.2f %10.0f %14.2f %10.0f %8.2f\n", k, v / 1e6,
		       v ? hz / v : 0, t / 1e6, t ? hz / t : 0, t ? v / t : 0 }'
done
echo "(${size}-byte frames, $flows flows, one worker core, ${secs} s each; cycles at $((tsc_hz / 1000000)) MHz)"
