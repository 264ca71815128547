#!/usr/bin/env bash
# RFC 2544 throughput of vtepd over memif, beside dpdk-testpmd io forwarding
# on the same memif setup in the same run (bench/suite/lib.sh): vtep-bench
# --rfc2544 on CPU 0 searches the highest zero-loss rate per frame size, the
# DUT's worker runs on CPU 1.
#
#   bench/suite/rfc2544.sh [--trial-seconds S] [--sizes LIST] [--flows N]
#                          [--direction encap|decap] [--resolution R]
#                          [--duts vtepd,testpmd] [--line RATE] [--out DIR]
#                          [--max-rate R] [--loss-tolerance PCT]
#
# Defaults: 60 s trials (RFC 2544), sizes 64,128,256,512,1024,1280,1518,
# 1024 flows, encap, the generator's resolution (0.1 %), both DUTs, line
# 100g, results in ./bench-results. memif has no line rate: at 10g the
# search would stop at the first trial from 1024 B up, a limit of the
# instrument, so the search starts at 100 Gbit/s (the resolution is a
# share of it too; give it in pps, e.g. --resolution 20kpps, if needed).
# --max-rate starts the search lower (e.g. at what the generator can offer
# over memif), which saves trials; --loss-tolerance turns the zero-loss rate
# (RFC 2544, "NDR") into a partial-drop rate ("PDR", e.g. 0.5).
# Writes OUT/rfc2544-DIR-DUT.json (vtep-bench's summary), OUT/rfc2544-DIR.csv and OUT/rfc2544-DIR.md (the table). Needs
# root; BUILD_DIR names the build (default ./build of the source tree).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

trial=60
sizes=64,128,256,512,1024,1280,1518
flows=1024
direction=encap
resolution=
max_rate=
tolerance=
duts=vtepd,testpmd
line=100g
out=$PWD/bench-results
usage() {
	sed -n '/^#   bench/,/^#$/p' "$0" >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case $1 in
	--trial-seconds) trial=$2; shift 2 ;;
	--sizes) sizes=$2; shift 2 ;;
	--flows) flows=$2; shift 2 ;;
	--direction) direction=$2; shift 2 ;;
	--resolution) resolution=$2; shift 2 ;;
	--max-rate) max_rate=$2; shift 2 ;;
	--loss-tolerance) tolerance=$2; shift 2 ;;
	--duts) duts=$2; shift 2 ;;
	--line) line=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	*) usage ;;
	esac
done
case $direction in encap|decap) ;; *) usage ;; esac

suite_init
mkdir -p "$out"
suite_log "machine: $(suite_machine)"
for dut in ${duts//,/ }; do
	base=$out/rfc2544-$direction-$dut
	cut -d' ' -f1-3 /proc/loadavg >"$base.load"
	suite_log "$dut: RFC 2544 $direction, sizes $sizes, $flows flows, $trial s trials (load $(cat "$base.load"))"
	suite_dut_start "$dut" "$flows"
	suite_gen_run "$direction" "$base.json" --flows "$flows" --rfc2544 --line "$line" \
		--sizes "$sizes" --trial-seconds "$trial" ${resolution:+--resolution "$resolution"} \
		${max_rate:+--max-rate "$max_rate"} ${tolerance:+--loss-tolerance "$tolerance"} \
		--quiet || true
	cp "$base.json.log" "$base.log"
	cat "$base.log"
	[ "$dut" = vtepd ] && cp "$suite_work/vtepd.log" "$base.vtepd.log"
	[ -s "$base.json" ] || suite_die "$dut: vtep-bench wrote no summary (see $base.log)"
done
/usr/bin/python3 "$suite_root/bench/suite/report.py" rfc2544 "$out" "$direction"
echo "results: $out/rfc2544-$direction.md"
