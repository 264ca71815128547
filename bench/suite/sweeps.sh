#!/usr/bin/env bash
# Sweeps in the shape of the seed paper's figures, for vtepd and, measured in
# the same run on the same memif setup (bench/suite/lib.sh), dpdk-testpmd io
# forwarding: achieved throughput against frame size, against the number of
# flows, and achieved against offered load. PNG plots (gnuplot) and markdown
# tables into the results directory.
#
#   bench/suite/sweeps.sh [--seconds S] [--direction encap|decap]
#                         [--sizes LIST] [--flows LIST] [--loads LIST]
#                         [--duts vtepd,testpmd] [--out DIR]
#
# Defaults: 10 s per point, encap; sizes 64,128,256,512,1024,1280,1518 at
# the highest rate the generator offers (--rate max) with 1024 flows; flows
# 1,16,256,1024,4096,65536 at 64 B, --rate max; loads (Mpps offered at 64 B,
# 1024 flows) 0.5,1,1.5,2,2.5,3,3.5,4,5,6. Achieved = frames received and
# verified per second of the run; offered = frames sent or refused by the
# DUT's full RX ring per second. Each sweep has a DUT of its own (vtepd
# with a static FDB entry per host of the largest flow count) and one
# generator process for all its points (--sweep). Needs root; installs
# gnuplot-nox if missing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

secs=10
direction=encap
sizes=64,128,256,512,1024,1280,1518
flowlist=1,16,256,1024,4096,65536
loads=0.5,1,1.5,2,2.5,3,3.5,4,5,6
duts=vtepd,testpmd
out=$PWD/bench-results
usage() {
	sed -n '/^#   bench/,/^#$/p' "$0" >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) secs=$2; shift 2 ;;
	--direction) direction=$2; shift 2 ;;
	--sizes) sizes=$2; shift 2 ;;
	--flows) flowlist=$2; shift 2 ;;
	--loads) loads=$2; shift 2 ;;
	--duts) duts=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	*) usage ;;
	esac
done
case $direction in encap|decap) ;; *) usage ;; esac

if ! command -v gnuplot >/dev/null; then
	suite_log "installing gnuplot-nox for the plots"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends gnuplot-nox >&2 ||
		{ apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends gnuplot-nox >&2; }
fi

suite_init
mkdir -p "$out"
suite_log "machine: $(suite_machine)"

# series SWEEP DUT LIST [vtep-bench options]: a fresh DUT, and one
# generator process that runs every point of the sweep over one connection
# to it (a process per point cost a reconnect and a process exit each,
# both slow or fragile on this machine); one CSV row per point.
series() {
	local sweep=$1 dut=$2 list=$3; shift 3
	local key=$sweep json=$suite_work/$sweep-$dut.json load rc=0
	[ "$sweep" = load ] && key=rate
	# vtepd holds an FDB entry for every host of the largest flow count.
	suite_dut_start "$dut" "$max_flows"
	load=$(cut -d' ' -f1 /proc/loadavg)
	suite_gen_run "$direction" "$json" --duration "$secs" --quiet --sweep "$key=$list" "$@" || rc=$?
	[ "$dut" = vtepd ] && cp "$suite_work/vtepd.log" "$out/sweep-$sweep-vtepd.log"
	if [ ! -s "$json" ]; then
		cat "$json.log" >&2
		suite_die "$dut, $sweep sweep: vtep-bench exit $rc without a summary"
	fi
	cp "$json" "$out/sweep-$sweep-$dut.json"
	/usr/bin/python3 - "$json" "$dut" "$load" >>"$out/sweep-$sweep.csv" <<'PY'
import json, sys
path, dut, load = sys.argv[1:]
for p in json.load(open(path))["points"]:
    d = p["duration_s"] or 1
    x = p["value"][:-4] if p["value"].endswith("mpps") else p["value"]
    print("%s,%s,%.1f,%.1f,%d,%d,%d,%s,%d" % (dut, x, (p["tx"]["frames"] + p["tx"]["refused"]) / d,
          p["received"] / d, p["sent"] + p["tx"]["refused"], p["received"],
          p["lost"] + p["tx"]["refused"], load, p["verify"]["mismatches"]))
PY
	grep "^$dut," "$out/sweep-$sweep.csv" >&2
}

max_flows=$(tr , '\n' <<<"$flowlist" | sort -n | tail -1)
for s in size flows load; do
	echo "dut,x,offered_pps,achieved_pps,sent,received,lost,load,mismatches" >"$out/sweep-$s.csv"
done
for dut in ${duts//,/ }; do
	suite_log "$dut: sweeps, $direction, $secs s per point (load $(cut -d' ' -f1-3 /proc/loadavg))"
	series size "$dut" "$sizes" --flows 1024 --rate max
	series flows "$dut" "$flowlist" --size 64 --rate max
	series load "$dut" "$(sed 's/\([^,]*\)/\1mpps/g' <<<"$loads")" --size 64 --flows 1024
done

for s in size flows load; do
	/usr/bin/python3 "$suite_root/bench/suite/report.py" sweep "$out" "$s" >/dev/null
done

title="$direction over memif, $secs s per point, $(lscpu | sed -n 's/^Model name: *//p')"
gnuplot <<GP
set terminal pngcairo size 800,500 font ",10"
set grid
set key top right
set ylabel "achieved Mpps (verified)"
set title "Throughput against frame size, 1024 flows\n$title"
set output "$out/sweep-size.png"
set xlabel "frame size (B)"
plot "$out/sweep-size.dat" using 1:2 with linespoints title "vtepd", \
     "" using 1:3 with linespoints title "testpmd io"
set title "Throughput against flows, 64 B\n$title"
set output "$out/sweep-flows.png"
set xlabel "flows"
set logscale x 2
plot "$out/sweep-flows.dat" using 1:2 with linespoints title "vtepd", \
     "" using 1:3 with linespoints title "testpmd io"
unset logscale x
set title "Achieved against offered load, 64 B, 1024 flows\n$title"
set output "$out/sweep-load.png"
set xlabel "offered Mpps"
set key top left
plot "$out/sweep-load.dat" using 4:2 with linespoints title "vtepd", \
     "" using 5:3 with linespoints title "testpmd io", \
     x with lines dashtype 2 title "offered = achieved"
GP
{
	echo "Sweeps, $direction over memif, $secs s per point; machine: $(suite_machine)"
	for s in size flows load; do
		echo
		echo "### sweep: $s"
		echo
		cat "$out/sweep-$s.md"
	done
} >"$out/sweeps.md"
cat "$out/sweeps.md"
echo "results: $out/sweeps.md, $out/sweep-{size,flows,load}.png"
