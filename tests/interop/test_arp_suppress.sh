#!/usr/bin/env bash
# Interop: ARP suppression against the Linux kernel's vxlan driver, in the
# lab topology (scripts/lab-lib.sh) with arp_suppress: true on VNI 100.
# vm1 (behind vtepd) arpings vm2 (behind the kernel VTEP): the first
# request is flooded, vtepd learns vm2's binding from the reply that comes
# back through the tunnel, and the next requests are answered by vtepd on
# vm1's port. A capture of the underlay at the kernel VTEP shows one
# flooded request for vm2's address, however many vm1 sent.
#
#   test_arp_suppress.sh BUILD_DIR
#
# Every wait is bounded and says what it waited for; everything is removed
# on exit, and what a run killed outright left behind goes with the next
# run (lab_reap_stale).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:?build dir}
[ "$(id -u)" -eq 0 ] || { echo "arp suppression: needs root; skipped"; exit 77; }
command -v arping >/dev/null || { echo "FAIL: arping is missing: scripts/deps.sh installs iputils-arping"; exit 1; }

LAB_PREFIX=vtep-it$$a
# shellcheck source=../../scripts/lab-lib.sh
. "$root/scripts/lab-lib.sh"
lab_reap_stale
work=$(mktemp -d "/tmp/$LAB_PREFIX.XXXXXX")
cap_pid=
cleanup() {
	[ -n "$cap_pid" ] && kill -TERM "$cap_pid" 2>/dev/null || true
	if [ -n "${VTEPD_PID:-}" ]; then
		lab_stop "$VTEPD_PID" vtepd || true
	fi
	lab_down
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
	echo "FAIL: $*" >&2
	echo "--- vtepd log ---" >&2
	tail -n 40 "$work/vtepd.log" >&2 || true
	exit 1
}

# The lab's configuration with ARP suppression on VNI 100, without its API
# and state file.
config=$work/vtepd.yaml
/usr/bin/python3 - "$root/config/lab.yaml" "$config" <<'PY'
import sys
src, dst = sys.argv[1:]
text = open(src).read().split("\napi:")[0].split("\nstate_file:")[0]
old = "    learning: true\n"
if text.count(old) != 1:
    sys.exit("config/lab.yaml has no single '%s'" % old.strip())
open(dst, "w").write(text.replace(old, old + "    arp_suppress: true\n") + "\n")
PY

lab_up
lab_vtepd_start "$build" "$config" "$work/vtepd.log"
lab_vtepd_wait "$work/vtepd.log" 60 || fail "vtepd did not start"

# The ARP requests inside VXLAN on the underlay, as the kernel VTEP sees
# them, one line each as they arrive (-l): the count needs no file that
# tshark must first close.
ip netns exec "$NS_HOST2" timeout 60 tshark -l -i h2-und -f "udp port 4789" \
	-d udp.port==4789,vxlan -Y "arp.opcode == 1" -T fields -e arp.dst.proto_ipv4 \
	>"$work/requests.txt" 2>"$work/tshark.log" &
cap_pid=$!
for ((i = 0; i < 100; i++)); do
	grep -q "Capturing on" "$work/tshark.log" && break
	kill -0 "$cap_pid" 2>/dev/null || fail "tshark stopped: $(cat "$work/tshark.log")"
	sleep 0.1
done
grep -q "Capturing on" "$work/tshark.log" || fail "tshark did not start capturing within 10 s"
sleep 0.5                     # "Capturing on" comes just before the capture

counter() {
	lab_counter "$work/vtepd.log" "$1" || fail "no counter block within 10 s of SIGUSR1"
}

# -b: every request a broadcast, as a VM's ARP is; iputils' arping would
# otherwise go unicast once answered.
ip netns exec "$NS_VM1" arping -b -c 1 -w 5 -I vm1-eth0 "$VM2_IP" >"$work/first.txt" ||
	fail "the first arping got no reply: $(cat "$work/first.txt")"
for ((i = 0; i < 50; i++)); do
	[ "$(counter vni.100.arp_learned)" -ge 1 ] && break
	sleep 0.1
done
[ "$(counter vni.100.arp_learned)" -ge 1 ] || fail "vtepd learned no binding from vm2's reply"
ip netns exec "$NS_VM1" arping -b -c 3 -w 10 -I vm1-eth0 "$VM2_IP" >"$work/next.txt" ||
	fail "arping after the binding got no reply: $(cat "$work/next.txt")"
grep -q "Received 3 response" "$work/next.txt" ||
	fail "arping after the binding: $(tail -n 2 "$work/next.txt")"
answered=$(counter vni.100.arp_suppressed)
[ "$answered" -ge 3 ] || fail "vtepd answered $answered requests, 3 expected"
# The answers come from vm2's MAC, as if vm2 had answered.
grep -qi "$VM2_MAC" "$work/next.txt" || fail "the answers do not give vm2's MAC: $(cat "$work/next.txt")"

# Long enough for a request that did cross to be printed.
sleep 1
flooded=$(grep -cx "$VM2_IP" "$work/requests.txt" || true)
[ "$flooded" -eq 1 ] ||
	fail "$flooded ARP requests for $VM2_IP crossed the underlay; only the first should have"
echo "PASS: 4 requests for $VM2_IP, 1 flooded, $answered answered by vtepd from vm2's MAC"
