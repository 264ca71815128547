#!/usr/bin/env bash
# vtepd's head-end replication of BUM frames on one worker core, beside its
# unicast encap rate and dpdk-testpmd io forwarding on the same devices, in
# one run (issue 10).
#
#   bench/bum.sh [--seconds S] [--flows N] [--size BYTES]
#                [--remotes LIST] [--frames broadcast|unknown]
#
# Input: 64-byte frames replayed from memory by net_pcap (infinite_rx=1) on
# the access port; output: net_null (no-rx=1) as the underlay. Needs root:
# it reserves 2 MB hugepages (bench/lib.sh, shared with bench/perf.sh).
#
# Cases, each a fresh vtepd:
#   bum-R     VNI 100 with a head-end flood list of R remotes (--remotes,
#             default 1,8,64), each a static neighbour, so no ARP; the
#             frames are broadcast (default) or, with --frames unknown,
#             unicast to N MACs that nobody has (unknown unicast)
#   unicast   the frames of bench/perf.sh's encap run: N MACs, each a static
#             FDB entry toward one remote
#   testpmd   io forwarding of the BUM capture to the same sink
# Rates come from the processes' counters over the measured interval: for
# vtepd, the access port's rx_packets (input) and the underlay's tx_packets
# (output copies) between two SIGUSR1 dumps S seconds apart. Cycles are TSC
# cycles of the one busy-polling worker core per input frame and per copy.
# Prints the output rate at 8 remotes against vtepd's unicast encap rate
# (issue 10's goal: >= 0.65) and against testpmd's.
set -euo pipefail
secs=10
flows=1024
size=64
remotes_list=1,8,64
frames=broadcast
usage="usage: $0 [--seconds S] [--flows N] [--size BYTES] [--remotes LIST] [--frames broadcast|unknown]"
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) secs=$2; shift 2 ;;
	--flows) flows=$2; shift 2 ;;
	--size) size=$2; shift 2 ;;
	--remotes) remotes_list=$2; shift 2 ;;
	--frames) frames=$2; shift 2 ;;
	*) echo "$usage" >&2; exit 2 ;;
	esac
done
[[ $frames =~ ^(broadcast|unknown)$ ]] || { echo "$usage" >&2; exit 2; }
[[ $remotes_list =~ ^[0-9]+(,[0-9]+)*$ ]] || { echo "--remotes: a list like 1,8,64" >&2; exit 2; }
IFS=, read -r -a remotes <<<"$remotes_list"
for r in "${remotes[@]}"; do
	# Remotes and neighbours are 198.18.0.2 up in the underlay's /24.
	if [ "$r" -lt 1 ] || [ "$r" -gt 250 ]; then
		echo "--remotes: 1-250 each" >&2
		exit 2
	fi
done
bench_name=bum
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
root=$bench_root
load=$(cut -d' ' -f1 /proc/loadavg)
bench_init
work=$bench_work

/usr/bin/python3 "$root/bench/mkpcap.py" "$work" --flows "$flows" --size "$size"
if [ "$frames" = broadcast ]; then
	# The encap capture's frames (same flows, sizes, source) to ff:ff:ff:ff:ff:ff.
	/usr/bin/python3 - "$root/bench" "$work/bum.pcap" "$flows" "$size" <<'PY'
import sys
sys.dont_write_bytecode = True
sys.path.insert(0, sys.argv[1])
import mkpcap
n, size = int(sys.argv[3]), int(sys.argv[4])
mkpcap.write_pcap(sys.argv[2], [mkpcap.inner_frame(b"\xff" * 6, mkpcap.VM_MAC, i, size)
                                for i in range(n)])
PY
else
	cp "$work/encap.pcap" "$work/bum.pcap"
fi

# conf_for CASE N PCAP: vtepd on PCAP into net_null, VNI 100 flooding to N
# remotes 198.18.0.2 up, each a static neighbour.
conf_for() {
	local tag=$1 n=$2 pcap=$3 i ip
	local -a rem=()
	cat <<YAML
eal: ["-l", "0,1", "-n", "4", "--file-prefix", "vtep-bum-$tag", "--no-pci",
      "--log-level", "pmd.net.pcap:error"]
ports:
  - { name: vm, devargs: "net_pcap0,rx_pcap=$pcap,infinite_rx=1", role: access }
  - { name: uplink, devargs: "net_null0,no-rx=1", role: underlay }
underlay:
  port: uplink
  address: 198.18.0.1/24
  neighbors:
YAML
	for ((i = 2; i < n + 2; i++)); do
		ip=198.18.0.$i
		rem+=("$ip")
		printf '    - { ip: %s, mac: "02:00:00:00:0a:%02x" }\n' "$ip" "$i"
	done
	cat <<YAML
vnis:
  - vni: 100
    access: [ { port: vm, vlan: untagged } ]
    remotes: [ $(IFS=,; echo "${rem[*]}") ]
YAML
}

# vtepd_case TAG N PCAP [FDB]: sets rin/rout (per second) and drops (in the
# interval) of vtepd on that configuration.
vtepd_case() {
	local tag=$1 n=$2 pcap=$3 fdb=${4:-}
	conf_for "$tag" "$n" "$pcap" >"$work/$tag.yaml"
	[ -z "$fdb" ] || cat "$fdb" >>"$work/$tag.yaml"
	bench_vtepd_window "$work/$tag.yaml" "$work/vtepd-$tag.log" "$secs" \
		port.vm.rx_packets port.uplink.tx_packets worker.0.drops \
		vni.100.flood_packets vni.100.flood_copies
	rin=$(awk -v d="${bench_delta[0]}" -v t="$bench_dt" 'BEGIN { printf "%.0f", d / t }')
	rout=$(awk -v d="${bench_delta[1]}" -v t="$bench_dt" 'BEGIN { printf "%.0f", d / t }')
	drops=${bench_delta[2]}
	# A figure with drops is not one of replication at full speed: say so.
	if [ "$drops" -ne 0 ]; then
		echo "bum: $tag: $drops frames dropped in the interval (vtepd's log: drop.*)" >&2
	fi
	if [ "$n" -gt 0 ] && [ -z "$fdb" ] && [ "${bench_delta[3]}" -gt 0 ]; then
		awk -v p="${bench_delta[3]}" -v c="${bench_delta[4]}" -v n="$n" -v t="$tag" 'BEGIN {
			if (c < p * n - n || c > p * n + n) printf "bum: %s: %d copies of %d frames, not %d each\n", t, c, p, n > "/dev/stderr" }'
	fi
}

row() {
	awk -v k="$1" -v r="$2" -v i="$3" -v o="$4" -v hz="$tsc_hz" 'BEGIN {
		printf "%-9s %7s %9.2f %10.2f %8.0f %9.1f\n", k, r, i / 1e6, o / 1e6,
		       i ? hz / i : 0, o ? hz / o : 0 }'
}

printf "%-9s %7s %9s %10s %8s %9s\n" case remotes in_Mpps out_Mpps cyc/in cyc/copy
vtepd_case unicast 1 "$work/encap.pcap" "$work/fdb.yaml"
uni=$rout
row unicast 1 "$rin" "$rout"
out8=
for r in "${remotes[@]}"; do
	vtepd_case "bum$r" "$r" "$work/bum.pcap"
	[ "$r" -ne 8 ] || out8=$rout
	row "bum-$r" "$r" "$rin" "$rout"
done
bench_testpmd "$work/testpmd.log" "$work/bum.pcap" bum "$secs"
tin=$(bench_testpmd_pps "$work/testpmd.log" 0 Rx-pps "$secs")
tout=$(bench_testpmd_pps "$work/testpmd.log" 1 Tx-pps "$secs")
row testpmd - "$tin" "$tout"
if [ -n "$out8" ]; then
	awk -v b="$out8" -v u="$uni" -v t="$tout" 'BEGIN {
		printf "bum-8 output / vtepd unicast encap: %.2f (goal >= 0.65)\n", u ? b / u : 0
		printf "bum-8 output / testpmd io:          %.2f\n", t ? b / t : 0 }'
fi
echo "($size-byte $frames frames, $flows flows, one worker core, $secs s each;" \
	"cycles at $((tsc_hz / 1000000)) MHz; load average $load at start)"
