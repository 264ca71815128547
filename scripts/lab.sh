#!/usr/bin/env bash
# Start the demo lab: a VM behind vtepd and a VM behind a host whose VTEP is
# the Linux kernel's vxlan driver, joined by an underlay link (see
# scripts/lab-lib.sh). Shows them pinging each other across VNI 100, prints
# vtepd's counters, runs until Ctrl-C, then removes everything it created.
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
	[ "$(blocks)" -gt "$n" ] && tail -n 40 "$state/vtepd.log" | grep -q '^ctl\.snapshots ' && break
	sleep 0.1
done
echo "== vtepd's counters =="
awk '/--- vtepd counters/{buf=""} {buf=buf $0 "\n"} END{printf "%s", buf}' "$state/vtepd.log" |
	sed -n '/--- vtepd counters/,$p' | grep -v ' 0$' || true

# The REST API, inside vtepd's namespace: VNI 200 added while it forwards.
api() { ip netns exec "$NS_VTEP" curl -s --max-time 10 "$@"; }
echo "== the REST API: PUT /v1/vnis/200, then GET /v1/vnis =="
api -X PUT -H 'Content-Type: application/json' \
	-d '{"access":[{"port":"vm1","vlan":200}],"flood":"head-end","remotes":["'"$HOST2_IP"'"]}' \
	-w ' (%{http_code})\n' http://127.0.0.1:8080/v1/vnis/200
api -w '\n' http://127.0.0.1:8080/v1/vnis

[ "$once" -eq 1 ] && exit 0
echo "lab: running; try: ip netns exec $NS_VM1 ping $VM2_IP   (Ctrl-C to stop)"
echo "lab: the API: ip netns exec $NS_VTEP curl -s http://127.0.0.1:8080/v1/stats"
wait "$VTEPD_PID"
