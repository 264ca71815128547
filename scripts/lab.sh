#!/usr/bin/env bash
# Start the demo lab: a VM behind vtepd and a VM behind a host whose VTEP is
# the Linux kernel's vxlan driver, joined by an underlay link (see
# scripts/lab-lib.sh). Shows them pinging each other across VNI 100, prints
# vtepd's counters, adds VNI 200 with vtepctl and shows the VNIs, the FDB
# and a few metrics, runs until Ctrl-C, then removes everything it created.
#
#   scripts/lab.sh [--once]     --once: stop after the demonstration
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
once=0
[ "${1:-}" = "--once" ] && once=1

if [ "$(id -u)" -ne 0 ]; then
	echo "lab: needs root (network namespaces)" >&2
	exit 1
fi
"$root/scripts/build.sh"

# shellcheck source=lab-lib.sh
. "$root/scripts/lab-lib.sh"
state=$root/.lab
mkdir -p "$state"

cleanup() {
	trap - EXIT INT TERM
	if [ -n "${VTEPD_PID:-}" ] && kill -0 "$VTEPD_PID" 2>/dev/null; then
		lab_stop "$VTEPD_PID" vtepd || true
		echo "== vtepd's counters at exit =="
		sed -n '/--- vtepd counters/,$p' "$state/vtepd.log" | tail -n 80
	fi
	lab_down
	echo "lab: removed namespaces ${LAB_PREFIX}-*"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The lab's state file (config/lab.yaml): a fresh lab starts from the YAML.
mkdir -p /var/lib/vtep
rm -f /var/lib/vtep/lab-state.yaml
echo "lab: building the topology (namespaces ${LAB_PREFIX}-vtep, -vm1, -host2, -vm2)"
lab_up
lab_vtepd_start "$build" "$root/config/lab.yaml" "$state/vtepd.log"
if ! lab_vtepd_wait "$state/vtepd.log" 120; then
	echo "lab: vtepd did not start; its log:" >&2
	tail -n 40 "$state/vtepd.log" >&2
	exit 1
fi
echo "lab: vtepd running (pid $VTEPD_PID, log $state/vtepd.log)"

if ! lab_wait_ping "$NS_VM1" "$VM2_IP" 20; then
	echo "lab: vm1 cannot reach vm2; vtepd's log:" >&2
	tail -n 40 "$state/vtepd.log" >&2
	exit 1
fi
echo "== vm1 ($VM1_IP, behind vtepd) -> vm2 ($VM2_IP, behind Linux vxlan) =="
ip netns exec "$NS_VM1" ping -c 3 -i 0.3 "$VM2_IP"
echo "== vm2 -> vm1 =="
ip netns exec "$NS_VM2" ping -c 3 -i 0.3 "$VM1_IP"

# The block SIGUSR1 asks for is whole once its last lines (ctl.snapshots,
# then the neighbours) are flushed: wait for that, at most 10 s.
blocks() { grep -c '^--- vtepd counters at ' "$state/vtepd.log" || true; }
n=$(blocks)
kill -USR1 "$VTEPD_PID"
for ((i = 0; i < 100; i++)); do
	[ "$(blocks)" -gt "$n" ] && grep -q '^ctl\.snapshots ' <<<"$(tail -n 40 "$state/vtepd.log")" && break
	sleep 0.1
done
echo "== vtepd's counters =="
awk '/--- vtepd counters/{buf=""} {buf=buf $0 "\n"} END{printf "%s", buf}' "$state/vtepd.log" |
	sed -n '/--- vtepd counters/,$p' | grep -v ' 0$' || true

# The REST API, inside vtepd's namespace, through vtepctl: VNI 200 added
# while it forwards, then the VNIs and the FDB as an operator sees them.
vtepctl=$build/app/vtepctl/vtepctl
ctl() { ip netns exec "$NS_VTEP" "$vtepctl" --server http://127.0.0.1:8080 "$@"; }
echo "== vtepctl vni add 200 access vm1 vlan 200 remote $HOST2_IP =="
ctl vni add 200 access vm1 vlan 200 remote "$HOST2_IP"
echo "== vtepctl vni list =="
ctl vni list
echo "== vtepctl fdb show =="
ctl fdb show
echo "== GET /metrics (a few lines) =="
ip netns exec "$NS_VTEP" curl -s --max-time 10 http://127.0.0.1:8080/metrics |
	grep -E '^vtep_(vni_(encap|decap)_packets_total|vni_fdb_entries|worker_busy_ratio|neighbors\{state="reachable"\})' || true

[ "$once" -eq 1 ] && exit 0
echo "lab: running; try: ip netns exec $NS_VM1 ping $VM2_IP   (Ctrl-C to stop)"
echo "lab: the API answers inside vtepd's namespace on 127.0.0.1:8080:"
echo "       ip netns exec $NS_VTEP $vtepctl stats --watch     (or: vni list, fdb show, neigh)"
echo "       ip netns exec $NS_VTEP curl -s http://127.0.0.1:8080/metrics"
wait "$VTEPD_PID"
