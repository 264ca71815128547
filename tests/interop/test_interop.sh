#!/usr/bin/env bash
# Interop: vtepd against the Linux kernel's vxlan driver, in the lab topology
# (scripts/lab-lib.sh) under a private prefix. Asserts ping both ways with
# every reply back, that vtepd resolved the kernel VTEP by ARP to its real
# MAC, and that 10 MB sent over TCP across the overlay arrive byte-identical,
# in each direction.
#
#   test_interop.sh BUILD_DIR [WORKERS [udpcsum]]
#
# WORKERS 2 runs the same test with two workers sharing one CPU and two
# queue pairs per port, which the kernel spreads by flow hash (af_packet
# fanout) between the workers; it asserts that both workers received.
# udpcsum has the kernel's VTEP send non-zero outer UDP checksums, which
# vtepd verifies: a capture shows they are non-zero and right, and vtepd
# must drop none of them.
#
# Every wait is bounded and says what it waited for. What a run killed
# outright left behind (namespaces vtep-it<PID>-*, /var/run/dpdk/vtep-it<PID>,
# /tmp/vtep-it<PID>.*) is removed by the next run once that PID is gone.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:?build dir}
workers=${2:-1}
mode=${3:-}
[ "$(id -u)" -eq 0 ] || { echo "interop: needs root; skipped"; exit 77; }

LAB_PREFIX=vtep-it$$
# shellcheck source=../../scripts/lab-lib.sh
. "$root/scripts/lab-lib.sh"
lab_reap_stale
work=$(mktemp -d "/tmp/$LAB_PREFIX.XXXXXX")
cleanup() {
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
	tail -n 60 "$work/vtepd.log" >&2 || true
	exit 1
}

# The lab's configuration without its state file: what a lab left there
# must not change this test.
config=$work/lab.yaml
grep -v '^state_file:' "$root/config/lab.yaml" >"$config"
if [ "$workers" = 2 ]; then
	sed -i -e 's/"--lcores", "0@0,1@1"/"--lcores", "0@0,1@1,2@1"/' \
	    -e 's/qpairs=1/qpairs=2/g' -e 's/rx_queues: 1/rx_queues: 2/g' "$config"
	grep -q '0@0,1@1,2@1' "$config" || fail "could not derive a two-worker configuration"
fi

[ "$mode" = udpcsum ] && export LAB_VXLAN_OPTS=udpcsum
lab_up
lab_vtepd_start "$build" "$config" "$work/vtepd.log"
lab_vtepd_wait "$work/vtepd.log" 40 || fail "vtepd did not say it runs within 40 s"

# ping_all NS DST: 3 echo requests, every one answered (ping itself passes
# on one reply).
ping_all() {
	local out
	out=$(ip netns exec "$1" ping -c 3 -i 0.2 -W 2 "$2" 2>&1) || true
	grep -q '^3 packets transmitted, 3 received' <<<"$out" ||
		fail "ping $1 -> $2: $(grep 'packets transmitted' <<<"$out" || echo "$out")"
}

lab_wait_ping "$NS_VM1" "$VM2_IP" 15 || fail "vm1 cannot ping vm2 across VNI 100"
if [ "$mode" = udpcsum ]; then
	# What the kernel's VTEP sends toward vtepd, during the pings.
	ip netns exec "$NS_HOST2" timeout 60 tshark -n -i h2-und -c 6 -w "$work/csum.pcap" \
		-f "udp dst port 4789 and src host $HOST2_IP" >/dev/null 2>"$work/tshark.err" &
	cap=$!
	for ((i = 0; i < 200; i++)); do
		grep -q '^Capturing on' "$work/tshark.err" && break
		lab_running "$cap" || fail "tshark exited: $(cat "$work/tshark.err")"
		sleep 0.1
	done
	[ "$i" -lt 200 ] || fail "tshark not capturing after 20 s"
fi
ping_all "$NS_VM1" "$VM2_IP"
ping_all "$NS_VM2" "$VM1_IP"
echo "ok: ping both ways, 3 of 3 replies each"
if [ "$mode" = udpcsum ]; then
	lab_wait_exit "$cap" 30 || fail "tshark caught fewer than 6 VXLAN frames in 30 s"
	wait "$cap" || fail "tshark failed: $(cat "$work/tshark.err")"
	sums=$(tshark -n -r "$work/csum.pcap" -o udp.check_checksum:TRUE \
		-T fields -e udp.checksum -e udp.checksum.status 2>&1)
	n=$(awk '$1 != "0x0000" && $2 == 1' <<<"$sums" | wc -l)
	[ "$n" -eq 6 ] || fail "expected 6 frames with a right non-zero UDP checksum, got: $sums"
	echo "ok: the kernel's VTEP sent non-zero UDP checksums, all right"
fi

if [ "$workers" = 2 ]; then
	# Flows enough that the kernel's flow hash (af_packet fanout) gives
	# both queues, and so both workers, some: 64 UDP source ports from vm1
	# to the discard port of vm2, early, so that they are long through
	# when the counters are read. All 64 on one queue would be a chance of
	# one in 2^63.
	ip netns exec "$NS_VM1" /usr/bin/python3 -c '
import socket, sys
for sport in range(40000, 40064):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("", sport))
    s.sendto(b"flow %d" % sport, (sys.argv[1], 9))
    s.close()
' "$VM2_IP" || fail "could not send the UDP flows"
fi

# blocks: how many counter blocks vtepd has printed ("--- vtepd counters at
# N s ---", then the counters, ctl.snapshots, the neigh. lines).
blocks() { grep -c '^--- vtepd counters at ' "$work/vtepd.log" || true; }
# wait_blocks N SECONDS: until vtepd has printed at least N blocks.
wait_blocks() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		[ "$(blocks)" -ge "$1" ] && return 0
		lab_running "$VTEPD_PID" || fail "vtepd exited while printing its counters"
		sleep 0.1
	done
	fail "vtepd printed $(blocks) counter blocks after $2 s, waiting for $1 (SIGUSR1)"
}
# block N: the lines of counter block N (from 1).
block() { awk -v n="$1" '/^--- vtepd counters at / { b++ } b == n' "$work/vtepd.log"; }

# vtepd must have resolved the kernel VTEP by ARP, to host2's real MAC.
# The block SIGUSR1 asks for is whole once the next one has begun: vtepd
# writes one block at a time, its last (neigh.) lines with the final flush.
h2mac=$(ip -n "$NS_HOST2" -br link show h2-und | awk '{print toupper($3)}')
n=$(blocks)
kill -USR1 "$VTEPD_PID"
wait_blocks $((n + 1)) 20
kill -USR1 "$VTEPD_PID"
wait_blocks $((n + 2)) 20
grep -q '^ctl\.snapshots ' <<<"$(block $((n + 1)))" ||
	fail "counter block $((n + 1)) has no ctl.snapshots: $(block $((n + 1)))"
got=$(block $((n + 1)) | awk -v ip="neigh.$HOST2_IP" '$1 == ip { st = $2; mac = toupper($3) } END { print st, mac }')
[ "$got" = "reachable $h2mac" ] || fail "neighbour $HOST2_IP is '$got', expected 'reachable $h2mac'"
echo "ok: $HOST2_IP resolved by ARP to $h2mac"

# 10 MB over TCP, each way, compared by SHA-256.
head -c $((10 * 1024 * 1024)) /dev/urandom >"$work/payload"
want=$(sha256sum <"$work/payload" | cut -d' ' -f1)
# transfer FROM_NS TO_NS TO_IP PORT: sends the payload over TCP; prints what
# went wrong, if anything. Timeouts are bounds for a loaded machine, not
# speed requirements.
transfer() {
	local from=$1 to=$2 ip=$3 port=$4 out=$work/recv-$4 srv got i
	ip netns exec "$to" /usr/bin/python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(1); s.settimeout(30)
c, _ = s.accept(); c.settimeout(30)
with open(sys.argv[3], "wb") as f:
    while True:
        b = c.recv(65536)
        if not b: break
        f.write(b)
' "$ip" "$port" "$out" 2>"$work/srv-$port.err" &
	srv=$!
	# Connect once the receiver listens, not after a guess at how long it
	# takes to start.
	for ((i = 0; i < 200; i++)); do
		[ -n "$(ip netns exec "$to" ss -ltnH "sport = :$port" 2>/dev/null)" ] && break
		if ! lab_running "$srv"; then
			echo "receiver exited before listening: $(tail -n 1 "$work/srv-$port.err")"
			return 1
		fi
		sleep 0.1
	done
	if [ "$i" -eq 200 ]; then
		lab_stop "$srv" receiver 5 >/dev/null 2>&1 || true
		echo "receiver not listening on $ip:$port after 20 s"
		return 1
	fi
	if ! ip netns exec "$from" timeout 40 /usr/bin/python3 -c '
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=30)
with open(sys.argv[3], "rb") as f:
    s.sendall(f.read())
s.close()
' "$ip" "$port" "$work/payload" 2>"$work/cli-$port.err"; then
		lab_stop "$srv" receiver 5 >/dev/null 2>&1 || true
		echo "sender failed: $(tail -n 1 "$work/cli-$port.err")"
		return 1
	fi
	# The sender has closed: the receiver ends at once, or its own 30 s
	# timeouts end it.
	if ! lab_wait_exit "$srv" 40; then
		lab_stop "$srv" receiver 5 >/dev/null 2>&1 || true
		echo "receiver still running 40 s after the sender closed"
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

rc=0
lab_stop "$VTEPD_PID" vtepd || rc=$?
VTEPD_PID=
[ "$rc" -eq 0 ] || fail "vtepd exit $rc on SIGTERM (0 expected)"
enc=$(awk '$1 == "vni.100.encap_packets" { v = $2 } END { print v + 0 }' "$work/vtepd.log")
dec=$(awk '$1 == "vni.100.decap_packets" { v = $2 } END { print v + 0 }' "$work/vtepd.log")
[ "$enc" -gt 7000 ] && [ "$dec" -gt 7000 ] || fail "counters too low: encap $enc decap $dec"
echo "ok: vtepd encapsulated $enc and decapsulated $dec packets"
bad=$(awk '$1 == "drop.udp_bad_checksum" { v = $2 } END { print v }' "$work/vtepd.log")
[ "$bad" = 0 ] || fail "vtepd dropped '$bad' frames as udp_bad_checksum"
if [ "$workers" = 2 ]; then
	running=$(grep -c 'running: 2 worker' "$work/vtepd.log" || true)
	[ "$running" = 1 ] || fail "vtepd did not run two workers"
	# From the last block, printed on SIGTERM.
	w0=$(awk '$1 == "worker.0.rx_packets" { v = $2 } END { print v + 0 }' "$work/vtepd.log")
	w1=$(awk '$1 == "worker.1.rx_packets" { v = $2 } END { print v + 0 }' "$work/vtepd.log")
	[ "$w0" -gt 0 ] && [ "$w1" -gt 0 ] ||
		fail "both workers must carry traffic: worker.0.rx_packets $w0, worker.1.rx_packets $w1"
	echo "ok: two workers, both carried traffic (rx_packets $w0 and $w1)"
fi
echo "interop: 1 passed, 0 failed"
