#!/usr/bin/env bash
# Interop: the multicast underlay (RFC 7348 section 4.2). Three VTEPs flood
# VNI 100 to the group 239.1.1.100: vtepd (flood: multicast) and two Linux
# kernel vxlan devices (group 239.1.1.100, ttl 1). The underlay is a Linux
# bridge acting as the switch: IGMP snooping and a querier, with short
# intervals, and mcast_flood off on every port, so that only ports that
# joined get the group's traffic. Asserts that the three VMs ping each
# other, that the bridge's mdb lists vtepd's port in the group and still
# lists it after several membership intervals (vtepd answers the queries),
# and that deleting the VNI over the API takes vtepd's port out of it.
#
#   [vm1] -- vl-acc [vtepd 198.18.0.1] vl-und --+
#                                               |  br0 (snooping, querier; ns -sw)
#   [vma] -- br100 [vxlan100 198.18.0.2] a-und -+
#   [vmb] -- br100 [vxlan100 198.18.0.3] b-und -+
#
#   test_mcast.sh BUILD_DIR
#
# Every wait is bounded and says what it waited for; everything is removed
# on exit, and what a run killed outright left behind goes with the next
# run (lab_reap_stale).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:?build dir}
[ "$(id -u)" -eq 0 ] || { echo "mcast: needs root; skipped"; exit 77; }
command -v curl >/dev/null || { echo "mcast: needs curl; skipped"; exit 77; }

LAB_PREFIX=vtep-it$$m
# shellcheck source=../../scripts/lab-lib.sh
. "$root/scripts/lab-lib.sh"
lab_reap_stale
NS_SW=$LAB_PREFIX-sw
NS_HA=$LAB_PREFIX-ha
NS_HB=$LAB_PREFIX-hb
NS_VMA=$LAB_PREFIX-vma
NS_VMB=$LAB_PREFIX-vmb
ALL_NS="$NS_VM1 $NS_VMA $NS_VMB $NS_HA $NS_HB $NS_VTEP $NS_SW"
GROUP=239.1.1.100
HA_IP=198.18.0.2
HB_IP=198.18.0.3
VMA_IP=198.18.100.2
VMB_IP=198.18.100.3
VMA_MAC=02:00:00:00:0a:02
VMB_MAC=02:00:00:00:0b:03
# The bridge's timers, in centiseconds: a query every 2 s, members gone
# 6 s after their last report.
QUERY_INTERVAL=200
MEMBERSHIP_INTERVAL=600
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
	echo "--- bridge mdb ---" >&2
	ip netns exec "$NS_SW" bridge mdb show >&2 || true
	echo "--- vtepd log ---" >&2
	tail -n 60 "$work/vtepd.log" >&2 || true
	exit 1
}

# A switch port that gets only the multicast its host joined.
sw_port() {
	ip -n "$NS_SW" link set "$1" master br0 up
	ip netns exec "$NS_SW" bridge link set dev "$1" mcast_flood off
}

# A kernel VTEP in namespace $1 at $2 (its underlay veth $3, attached to
# the switch as $4), with a VM in namespace $5 at $6/$7.
kernel_vtep() {
	local ns=$1 ip=$2 und=$3 swport=$4 vmns=$5 vmip=$6 vmmac=$7
	ip netns add "$ns"
	ip netns add "$vmns"
	ip link add "$und" netns "$ns" type veth peer name "$swport" netns "$NS_SW"
	sw_port "$swport"
	ip -n "$ns" link set lo up
	ip -n "$ns" link set "$und" mtu 1500 up
	ip -n "$ns" addr add "$ip/24" dev "$und"
	_lab_nooffload "$ns" "$und"
	ip -n "$ns" link add vxlan100 type vxlan id 100 local "$ip" group "$GROUP" \
		dev "$und" ttl 1 dstport 4789
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
	ip -n "$NS_SW" link add br0 type bridge mcast_snooping 1 mcast_querier 1 \
		mcast_igmp_version 3 mcast_query_interval "$QUERY_INTERVAL" \
		mcast_query_response_interval 100 mcast_membership_interval "$MEMBERSHIP_INTERVAL" \
		mcast_startup_query_interval 50 mcast_last_member_interval 50
	ip -n "$NS_SW" link set br0 up
	ip netns add "$NS_VTEP"
	ip netns add "$NS_VM1"
	ip link add vl-und netns "$NS_VTEP" type veth peer name sw-vtep netns "$NS_SW"
	sw_port sw-vtep
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

# The lab's configuration with VNI 100 flooding to the group, its API on
# loopback, no state file.
config=$work/vtepd.yaml
/usr/bin/python3 - "$root/config/lab.yaml" "$config" "$GROUP" <<'PY'
import sys
src, dst, group = sys.argv[1:]
text = open(src).read()
text = text.split("\nstate_file:")[0]
old = "    flood: head-end\n    remotes: [198.18.0.2]\n"
if text.count(old) != 1 or "\napi:" not in text:
    sys.exit("config/lab.yaml has no single '%s' or no api section" % old.strip())
text = text.replace(old, "    flood: multicast\n    group: %s\n" % group)
open(dst, "w").write(text + "\n")
PY

# Is switch port $1 a member of the group in the bridge's mdb?
in_mdb() {
	local mdb
	mdb=$(ip netns exec "$NS_SW" bridge mdb show dev br0)
	grep -q "port $1 grp $GROUP\b" <<<"$mdb"
}
# wait_mdb PORT yes|no SECONDS WHAT
wait_mdb() {
	local port=$1 want=$2 secs=$3 i
	for ((i = 0; i < secs * 10; i++)); do
		if in_mdb "$port"; then
			[ "$want" = yes ] && return 0
		else
			[ "$want" = no ] && return 0
		fi
		sleep 0.1
	done
	fail "after $secs s, $4"
}

up
lab_vtepd_start "$build" "$config" "$work/vtepd.log"
lab_vtepd_wait "$work/vtepd.log" 60 || fail "vtepd did not start"

wait_mdb sw-vtep yes 10 "the bridge's mdb has no vtepd port (sw-vtep) in $GROUP"
wait_mdb sw-a yes 10 "the bridge's mdb has no kernel VTEP A port (sw-a) in $GROUP"
wait_mdb sw-b yes 10 "the bridge's mdb has no kernel VTEP B port (sw-b) in $GROUP"

lab_wait_ping "$NS_VM1" "$VMA_IP" 20 || fail "vm1 cannot reach VM A"
lab_wait_ping "$NS_VM1" "$VMB_IP" 20 || fail "vm1 cannot reach VM B"
lab_wait_ping "$NS_VMA" "$VMB_IP" 20 || fail "VM A cannot reach VM B"
for pair in "$NS_VM1 $VMA_IP" "$NS_VM1 $VMB_IP" "$NS_VMA $VM1_IP" "$NS_VMB $VM1_IP" \
	    "$NS_VMA $VMB_IP" "$NS_VMB $VMA_IP"; do
	set -- $pair
	ip netns exec "$1" ping -c 3 -i 0.2 -W 2 "$2" >"$work/ping.txt" ||
		fail "$1 -> $2: $(tail -n 2 "$work/ping.txt")"
done

# Three membership intervals: without answers to the queries, the entry
# would have expired twice over. It must be there all along.
for ((i = 0; i < 3 * MEMBERSHIP_INTERVAL / 50; i++)); do
	in_mdb sw-vtep || fail "vtepd's port left the mdb after $((i / 2)) s: it does not answer queries"
	sleep 0.5
done
# Broadcasts still reach vtepd through the group after that.
ip netns exec "$NS_VMA" ping -c 1 -W 2 "$VM1_IP" >/dev/null ||
	fail "VM A -> vm1 after several membership intervals"

code=$(ip netns exec "$NS_VTEP" curl -s -m 10 -o /dev/null -w '%{http_code}' \
	-X DELETE http://127.0.0.1:8080/v1/vnis/100) || fail "DELETE /v1/vnis/100: curl failed"
[ "$code" = 204 ] || fail "DELETE /v1/vnis/100: status $code, expected 204"
# vtepd's leave takes it out at once (or after the last member queries);
# well before a membership interval.
wait_mdb sw-vtep no 5 "vtepd's port (sw-vtep) is still in the mdb after its VNI was deleted"
in_mdb sw-a || fail "kernel VTEP A left the group with vtepd"
echo "PASS: vtepd and two kernel VTEPs share $GROUP through an IGMP-snooping bridge;" \
     "vtepd stays a member while it answers queries and leaves when its VNI goes"
