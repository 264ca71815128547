#!/usr/bin/env bash
# Interop: vtepd as the service node of two Linux kernel VTEPs. Each kernel
# vxlan device has vtepd as its only remote, so everything it floods goes
# to vtepd; vtepd's VNI 100 has both in its flood list with replicator:
# true. Asserts that VM A (behind kernel VTEP A) and VM B (behind kernel
# VTEP B) ping each other through vtepd, that vm1 (behind vtepd) pings both,
# that each kernel VTEP learned the other's VM behind vtepd, and that
# vtepd's counters show the frames it relayed.
#
#   [vm1] -- vl-acc [vtepd 198.18.0.1] vl-und --+
#                                               |  br0 (a Linux bridge, ns -sw)
#   [vma] -- br100 [vxlan100 198.18.0.2] a-und -+
#   [vmb] -- br100 [vxlan100 198.18.0.3] b-und -+
#
#   test_service_node.sh BUILD_DIR
#
# Every wait is bounded and says what it waited for; everything is removed
# on exit, and what a run killed outright left behind goes with the next
# run (lab_reap_stale).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:?build dir}
[ "$(id -u)" -eq 0 ] || { echo "service node: needs root; skipped"; exit 77; }

LAB_PREFIX=vtep-it$$s
# shellcheck source=../../scripts/lab-lib.sh
. "$root/scripts/lab-lib.sh"
lab_reap_stale
NS_SW=$LAB_PREFIX-sw
NS_HA=$LAB_PREFIX-ha
NS_HB=$LAB_PREFIX-hb
NS_VMA=$LAB_PREFIX-vma
NS_VMB=$LAB_PREFIX-vmb
ALL_NS="$NS_VM1 $NS_VMA $NS_VMB $NS_HA $NS_HB $NS_VTEP $NS_SW"
HA_IP=198.18.0.2
HB_IP=198.18.0.3
VMA_IP=198.18.100.2
VMB_IP=198.18.100.3
VMA_MAC=02:00:00:00:0a:02
VMB_MAC=02:00:00:00:0b:03
work=$(mktemp -d "/tmp/$LAB_PREFIX.XXXXXX")

down() {
	# shellcheck disable=SC2086
	lab_down_ns $ALL_NS
}
cleanup() {
	if [ -n "${VTEPD_PID:-}" ]; then
		lab_stop "$VTEPD_PID" vtepd || true
	fi
	down
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

# A kernel VTEP in namespace $1 at $2 (its underlay veth $3, attached to
# the switch as $4), with a VM in namespace $5 at $6/$7.
kernel_vtep() {
	local ns=$1 ip=$2 und=$3 swport=$4 vmns=$5 vmip=$6 vmmac=$7
	ip netns add "$ns"
	ip netns add "$vmns"
	ip link add "$und" netns "$ns" type veth peer name "$swport" netns "$NS_SW"
	ip -n "$NS_SW" link set "$swport" master br0 up
	ip -n "$ns" link set lo up
	ip -n "$ns" link set "$und" mtu 1500 up
	ip -n "$ns" addr add "$ip/24" dev "$und"
	_lab_nooffload "$ns" "$und"
	# vtepd is its only remote: everything it floods goes there.
	ip -n "$ns" link add vxlan100 type vxlan id 100 local "$ip" remote "$VTEP_IP" \
		dstport 4789 dev "$und"
	ip -n "$ns" link add br100 type bridge
	ip -n "$ns" link set vxlan100 master br100 up
	ip link add vm-port netns "$ns" type veth peer name eth0 netns "$vmns"
	ip -n "$ns" link set vm-port master br100 mtu 1450 up
	ip -n "$ns" link set br100 up
	_lab_nooffload "$ns" vm-port
	ip -n "$vmns" link set lo up
	ip -n "$vmns" link set eth0 address "$vmmac" mtu 1450 up
	ip -n "$vmns" addr add "$vmip/24" dev eth0
	_lab_nooffload "$vmns" eth0
}

up() {
	down
	ip netns add "$NS_SW"
	ip -n "$NS_SW" link add br0 type bridge
	ip -n "$NS_SW" link set br0 up
	ip netns add "$NS_VTEP"
	ip netns add "$NS_VM1"
	ip link add vl-und netns "$NS_VTEP" type veth peer name sw-vtep netns "$NS_SW"
	ip -n "$NS_SW" link set sw-vtep master br0 up
	ip link add vl-acc netns "$NS_VTEP" type veth peer name vm1-eth0 netns "$NS_VM1"
	ip -n "$NS_VTEP" link set lo up
	ip -n "$NS_VTEP" link set vl-acc mtu 1500 up
	ip -n "$NS_VTEP" link set vl-und mtu 1500 up
	_lab_nooffload "$NS_VTEP" vl-acc
	_lab_nooffload "$NS_VTEP" vl-und
	ip netns exec "$NS_VTEP" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip -n "$NS_VM1" link set lo up
	ip -n "$NS_VM1" link set vm1-eth0 address "$VM1_MAC" mtu 1450 up
	ip -n "$NS_VM1" addr add "$VM1_IP/24" dev vm1-eth0
	_lab_nooffload "$NS_VM1" vm1-eth0
	kernel_vtep "$NS_HA" "$HA_IP" a-und sw-a "$NS_VMA" "$VMA_IP" "$VMA_MAC"
	kernel_vtep "$NS_HB" "$HB_IP" b-und sw-b "$NS_VMB" "$VMB_IP" "$VMB_MAC"
}

# The lab's configuration, VNI 100 serving both kernel VTEPs, no API and
# no state file.
config=$work/vtepd.yaml
/usr/bin/python3 - "$root/config/lab.yaml" "$config" "$HA_IP" "$HB_IP" <<'PY'
import sys
src, dst, a, b = sys.argv[1:]
text = open(src).read()
text = text.split("\napi:")[0].split("\nstate_file:")[0]
old = "    remotes: [198.18.0.2]\n"
if text.count(old) != 1:
    sys.exit("config/lab.yaml has no single '%s'" % old.strip())
text = text.replace(old, "    remotes: [%s, %s]\n    replicator: true\n" % (a, b))
open(dst, "w").write(text + "\n")
PY

up
lab_vtepd_start "$build" "$config" "$work/vtepd.log"
lab_vtepd_wait "$work/vtepd.log" 60 || fail "vtepd did not start"

# Counters on demand: a SIGUSR1 block, whole once ctl.snapshots is out.
counter() {
	lab_counter "$work/vtepd.log" "$1" || fail "no counter block within 10 s of SIGUSR1"
}

lab_wait_ping "$NS_VMA" "$VMB_IP" 20 || fail "VM A cannot reach VM B through vtepd"
before=$(counter vni.100.encap_packets)
ip netns exec "$NS_VMA" ping -c 5 -i 0.2 -W 2 "$VMB_IP" >"$work/ab.txt" ||
	fail "VM A -> VM B: $(tail -n 2 "$work/ab.txt")"
ip netns exec "$NS_VMB" ping -c 5 -i 0.2 -W 2 "$VMA_IP" >"$work/ba.txt" ||
	fail "VM B -> VM A: $(tail -n 2 "$work/ba.txt")"
after=$(counter vni.100.encap_packets)
# 10 requests and 10 replies between A and B, each relayed once by vtepd.
[ $((after - before)) -ge 20 ] ||
	fail "vtepd encapsulated $((after - before)) frames for 20 pings between A and B"
grep -q ' 0% packet loss' "$work/ab.txt" || fail "A -> B lost pings: $(tail -n 2 "$work/ab.txt")"
grep -q ' 0% packet loss' "$work/ba.txt" || fail "B -> A lost pings: $(tail -n 2 "$work/ba.txt")"

lab_wait_ping "$NS_VM1" "$VMA_IP" 20 || fail "vm1 cannot reach VM A"
lab_wait_ping "$NS_VM1" "$VMB_IP" 20 || fail "vm1 cannot reach VM B"

# Each kernel VTEP knows the other's VM behind vtepd, not behind each other.
# (The table is read whole first: grep -q in a pipe would stop early and,
# with pipefail, fail the pipe on SIGPIPE.)
fdb_a=$(ip netns exec "$NS_HA" bridge fdb show dev vxlan100)
fdb_b=$(ip netns exec "$NS_HB" bridge fdb show dev vxlan100)
grep -qi "^$VMB_MAC dst $VTEP_IP " <<<"$fdb_a" ||
	fail "kernel VTEP A has no entry for VM B behind vtepd: $fdb_a"
grep -qi "^$VMA_MAC dst $VTEP_IP " <<<"$fdb_b" ||
	fail "kernel VTEP B has no entry for VM A behind vtepd: $fdb_b"
copies=$(counter vni.100.flood_copies)
[ "${copies:-0}" -gt 0 ] || fail "vtepd replicated nothing (flood_copies ${copies:-none})"
same=$(counter drop.same_binding)
echo "PASS: VMs behind two kernel VTEPs ping each other through vtepd as their service node" \
     "($((after - before)) frames relayed, $copies flooded copies, $same back to the sender dropped)"
