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
bench_name=perf
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
root=$bench_root
bench_init
work=$bench_work

# vtepd takes only frames to its underlay's MAC. In decap runs the underlay
# is the process's only net_pcap device, whose MAC net_pcap makes up as
# 02:70:63:61:70 and its index (0), and cannot change.
/usr/bin/python3 "$root/bench/mkpcap.py" "$work" --flows "$flows" --size "$size" \
	--vtep-mac 02:70:63:61:70:00

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

# vtepd_rate KIND: sets v to the packets per second that left the TX port,
# measured between two counter prints once the pipeline is warm.
vtepd_rate() {
	local kind=$1 out
	[ "$kind" = encap ] && out=uplink || out=vm
	conf_for "$kind" >"$work/$kind.yaml"
	bench_vtepd_window "$work/$kind.yaml" "$work/vtepd-$kind.log" "$secs" "port.$out.tx_packets"
	v=$(awk -v d="${bench_delta[0]}" -v t="$bench_dt" 'BEGIN { printf "%.0f", d / t }')
}

# testpmd_rate KIND: sets t to the rate of io forwarding from the same
# capture to the same sink: the last once-a-second Tx-pps of port 1.
testpmd_rate() {
	local kind=$1
	local log=$work/testpmd-$kind.log
	bench_testpmd "$log" "$work/$kind.pcap" "$kind" "$secs"
	t=$(bench_testpmd_pps "$log" 1 Tx-pps 1)
}

printf "%-8s %14s %10s %14s %10s %8s\n" kind vtepd_Mpps cyc/pkt testpmd_Mpps cyc/pkt ratio
for kind in encap decap; do
	vtepd_rate "$kind"
	testpmd_rate "$kind"
	awk -v k="$kind" -v v="$v" -v t="$t" -v hz="$tsc_hz" 'BEGIN {
		printf "%-8s %14.2f %10.0f %14.2f %10.0f %8.2f\n", k, v / 1e6,
		       v ? hz / v : 0, t / 1e6, t ? hz / t : 0, t ? v / t : 0 }'
done
echo "(${size}-byte frames, $flows flows, one worker core, ${secs} s each; cycles at $((tsc_hz / 1000000)) MHz)"
