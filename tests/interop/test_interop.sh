#!/usr/bin/env bash
# Interop: vtepd against the Linux kernel's vxlan driver, in the lab topology
# (scripts/lab-lib.sh) under a private prefix. Asserts ping both ways, that
# vtepd resolved the kernel VTEP by ARP to its real MAC, and that 10 MB sent
# over TCP across the overlay arrive byte-identical, in each direction.
#
#   test_interop.sh BUILD_DIR [WORKERS]
#
# WORKERS 2 runs the same test with two workers sharing one CPU and two
# queue pairs per port, which the kernel spreads by flow hash (af_packet
# fanout) between the workers.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:?build dir}
workers=${2:-1}
[ "$(id -u)" -eq 0 ] || { echo "interop: needs root; skipped"; exit 77; }

LAB_PREFIX=vtep-it$$
# shellcheck source=../../scripts/lab-lib.sh
. "$root/scripts/lab-lib.sh"
work=$(mktemp -d /tmp/vtep-interop.XXXXXX)
cleanup() {
	if [ -n "${VTEPD_PID:-}" ]; then
		kill -TERM "$VTEPD_PID" 2>/dev/null || true
		wait "$VTEPD_PID" 2>/dev/null || true
	fi
	lab_down
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
	echo "FAIL: $*" >&2
	echo "--- vtepd log ---" >&2
	tail -n 60 "$work/vtepd.log" >&2 || true
	exit 1
}

config=$root/config/lab.yaml
if [ "$workers" = 2 ]; then
	config=$work/lab-2workers.yaml
	sed -e 's/"--lcores", "0@0,1@1"/"--lcores", "0@0,1@1,2@1"/' \
	    -e 's/qpairs=1/qpairs=2/g' -e 's/rx_queues: 1/rx_queues: 2/g' \
	    "$root/config/lab.yaml" >"$config"
	grep -q '0@0,1@1,2@1' "$config" || fail "could not derive a two-worker configuration"
fi

lab_up
lab_vtepd_start "$build" "$config" "$work/vtepd.log"
lab_vtepd_wait "$work/vtepd.log" 120 || fail "vtepd did not start"

lab_wait_ping "$NS_VM1" "$VM2_IP" 15 || fail "vm1 cannot ping vm2 across VNI 100"
ip netns exec "$NS_VM1" ping -c 3 -i 0.2 -W 2 "$VM2_IP" >/dev/null || fail "ping vm1 -> vm2 lost packets"
ip netns exec "$NS_VM2" ping -c 3 -i 0.2 -W 2 "$VM1_IP" >/dev/null || fail "ping vm2 -> vm1 lost packets"
echo "ok: ping both ways"

# vtepd must have resolved the kernel VTEP by ARP, to host2's real MAC.
h2mac=$(ip -n "$NS_HOST2" -br link show h2-und | awk '{print toupper($3)}')
kill -USR1 "$VTEPD_PID"
sleep 0.5
got=$(awk -v ip="neigh.$HOST2_IP" '$1 == ip { st = $2; mac = toupper($3) } END { print st, mac }' "$work/vtepd.log")
[ "$got" = "reachable $h2mac" ] || fail "neighbour $HOST2_IP is '$got', expected 'reachable $h2mac'"
echo "ok: $HOST2_IP resolved by ARP to $h2mac"

# 10 MB over TCP, each way, compared by SHA-256.
head -c $((10 * 1024 * 1024)) /dev/urandom >"$work/payload"
want=$(sha256sum <"$work/payload" | cut -d' ' -f1)
# transfer FROM_NS TO_NS TO_IP PORT: sends the payload over TCP; prints what
# went wrong, if anything. Timeouts are bounds for a loaded machine, not
# speed requirements.
transfer() {
	local from=$1 to=$2 ip=$3 port=$4 out=$work/recv-$4 srv got
	ip netns exec "$to" /usr/bin/python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(1); s.settimeout(120)
c, _ = s.accept(); c.settimeout(120)
with open(sys.argv[3], "wb") as f:
    while True:
        b = c.recv(65536)
        if not b: break
        f.write(b)
' "$ip" "$port" "$out" 2>"$work/srv-$port.err" &
	srv=$!
	sleep 0.5
	if ! ip netns exec "$from" timeout 300 /usr/bin/python3 -c '
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=120)
with open(sys.argv[3], "rb") as f:
    s.sendall(f.read())
s.close()
' "$ip" "$port" "$work/payload" 2>"$work/cli-$port.err"; then
		kill "$srv" 2>/dev/null
		echo "sender failed: $(tail -n 1 "$work/cli-$port.err")"
		return 1
	fi
	if ! wait "$srv"; then
		echo "receiver failed: $(tail -n 1 "$work/srv-$port.err")"
		return 1
	fi
	got=$(sha256sum <"$out" | cut -d' ' -f1)
	if [ "$got" != "$want" ]; then
		echo "received $(stat -c %s "$out") bytes with SHA-256 $got, sent $((10 * 1024 * 1024)) with $want"
		return 1
	fi
}
why=$(transfer "$NS_VM1" "$NS_VM2" "$VM2_IP" 5001) || fail "10 MB vm1 -> vm2: $why"
echo "ok: 10 MB vm1 -> vm2 byte-identical"
why=$(transfer "$NS_VM2" "$NS_VM1" "$VM1_IP" 5002) || fail "10 MB vm2 -> vm1: $why"
echo "ok: 10 MB vm2 -> vm1 byte-identical"

kill -TERM "$VTEPD_PID"
wait "$VTEPD_PID" || fail "vtepd exited with an error"
VTEPD_PID=
enc=$(awk '$1 == "vni.100.encap_packets" { v = $2 } END { print v + 0 }' "$work/vtepd.log")
dec=$(awk '$1 == "vni.100.decap_packets" { v = $2 } END { print v + 0 }' "$work/vtepd.log")
[ "$enc" -gt 7000 ] && [ "$dec" -gt 7000 ] || fail "counters too low: encap $enc decap $dec"
echo "ok: vtepd encapsulated $enc and decapsulated $dec packets"
if [ "$workers" = 2 ]; then
	running=$(grep -c 'running: 2 worker' "$work/vtepd.log" || true)
	[ "$running" = 1 ] || fail "vtepd did not run two workers"
	echo "ok: two workers ($(grep -E '^worker\.[01]\.rx_packets' "$work/vtepd.log" | tail -n 2 | tr '\n' ' '))"
fi
echo "interop: 1 passed, 0 failed"
