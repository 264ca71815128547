# shellcheck shell=bash
# The lab topology, shared by scripts/lab.sh and the interop test.
#
#   [vm1 ns]                 [vtep ns: vtepd]                [host2 ns: Linux vxlan]       [vm2 ns]
#   vm1-eth0 ---------- vl-acc (access)  vl-und (underlay) ---- h2-und 198.18.0.2
#   198.18.100.1/24                      VTEP 198.18.0.1         vxlan100 (VNI 100) --br100-- h2-vm2 ---- vm2-eth0
#                                                                                                      198.18.100.2/24
# Addresses come from 198.18.0.0/15 (RFC 2544, benchmarking). Every name
# carries LAB_PREFIX so that a test lab and a demo lab can coexist.

LAB_PREFIX=${LAB_PREFIX:-vtep-lab}
NS_VTEP=$LAB_PREFIX-vtep
NS_VM1=$LAB_PREFIX-vm1
NS_HOST2=$LAB_PREFIX-host2
NS_VM2=$LAB_PREFIX-vm2
VM1_IP=198.18.100.1
VM2_IP=198.18.100.2
VTEP_IP=198.18.0.1
HOST2_IP=198.18.0.2
VM1_MAC=02:00:00:00:01:01
VM2_MAC=02:00:00:00:01:02

lab_down() {
	local ns
	for ns in "$NS_VM1" "$NS_VM2" "$NS_HOST2" "$NS_VTEP"; do
		# Killing what runs inside first lets the namespace go at once.
		if ip netns pids "$ns" >/dev/null 2>&1; then
			ip netns pids "$ns" 2>/dev/null | xargs -r kill -TERM 2>/dev/null || true
		fi
	done
	sleep 0.3
	for ns in "$NS_VM1" "$NS_VM2" "$NS_HOST2" "$NS_VTEP"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
		ip netns del "$ns" 2>/dev/null || true
	done
	# The EAL leaves its runtime directory behind even with --no-shconf.
	rm -rf "/var/run/dpdk/$LAB_PREFIX"
}

# No checksum or segmentation offload on the veths: af_packet hands DPDK the
# frame as the kernel left it, and a partial checksum would arrive broken.
_lab_nooffload() {
	ip netns exec "$1" ethtool -K "$2" tx off tso off gso off gro off >/dev/null 2>&1 || true
}

lab_up() {
	lab_down
	ip netns add "$NS_VTEP"
	ip netns add "$NS_VM1"
	ip netns add "$NS_HOST2"
	ip netns add "$NS_VM2"

	ip link add vl-acc netns "$NS_VTEP" type veth peer name vm1-eth0 netns "$NS_VM1"
	ip link add vl-und netns "$NS_VTEP" type veth peer name h2-und netns "$NS_HOST2"
	ip link add h2-vm2 netns "$NS_HOST2" type veth peer name vm2-eth0 netns "$NS_VM2"

	# vtepd's namespace: the interfaces are DPDK's; the kernel only moves frames.
	ip -n "$NS_VTEP" link set lo up
	ip -n "$NS_VTEP" link set vl-acc mtu 1500 up
	ip -n "$NS_VTEP" link set vl-und mtu 1500 up
	_lab_nooffload "$NS_VTEP" vl-acc
	_lab_nooffload "$NS_VTEP" vl-und
	# The kernel must not answer for the DPDK-owned address or send IPv6 noise.
	ip netns exec "$NS_VTEP" sysctl -qw net.ipv6.conf.all.disable_ipv6=1

	# VM 1: behind vtepd. 1450 leaves room for the 50 bytes of VXLAN in 1500.
	ip -n "$NS_VM1" link set lo up
	ip -n "$NS_VM1" link set vm1-eth0 address "$VM1_MAC" mtu 1450 up
	ip -n "$NS_VM1" addr add "$VM1_IP/24" dev vm1-eth0
	_lab_nooffload "$NS_VM1" vm1-eth0

	# Host 2: the Linux kernel's own VXLAN driver as the peer VTEP.
	ip -n "$NS_HOST2" link set lo up
	ip -n "$NS_HOST2" link set h2-und mtu 1500 up
	ip -n "$NS_HOST2" addr add "$HOST2_IP/24" dev h2-und
	_lab_nooffload "$NS_HOST2" h2-und
	# LAB_VXLAN_OPTS: more options for the kernel's vxlan device (the
	# interop test's "udpcsum" run sets udpcsum).
	# shellcheck disable=SC2086
	ip -n "$NS_HOST2" link add vxlan100 type vxlan id 100 local "$HOST2_IP" \
		remote "$VTEP_IP" dstport 4789 dev h2-und ${LAB_VXLAN_OPTS:-}
	ip -n "$NS_HOST2" link add br100 type bridge
	ip -n "$NS_HOST2" link set vxlan100 master br100 up
	ip -n "$NS_HOST2" link set h2-vm2 master br100 mtu 1450 up
	ip -n "$NS_HOST2" link set br100 up
	_lab_nooffload "$NS_HOST2" h2-vm2

	# VM 2: behind the kernel VTEP.
	ip -n "$NS_VM2" link set lo up
	ip -n "$NS_VM2" link set vm2-eth0 address "$VM2_MAC" mtu 1450 up
	ip -n "$NS_VM2" addr add "$VM2_IP/24" dev vm2-eth0
	_lab_nooffload "$NS_VM2" vm2-eth0
}

# lab_vtepd_start BUILD_DIR CONFIG LOG [extra EAL args...]: runs vtepd in its
# namespace in the background; sets VTEPD_PID.
lab_vtepd_start() {
	local build=$1 config=$2 log=$3
	shift 3
	ip netns exec "$NS_VTEP" "$build/app/vtepd/vtepd" -c "$config" -- \
		--file-prefix "$LAB_PREFIX" "$@" >"$log" 2>&1 &
	VTEPD_PID=$!
}

# lab_vtepd_wait LOG SECONDS: true once vtepd says it runs; false if it
# exits or the time runs out. A loaded machine can take many seconds to
# populate the mbuf pools, so callers wait for this before any ping.
lab_vtepd_wait() {
	local log=$1 secs=$2 i
	for ((i = 0; i < secs * 10; i++)); do
		grep -q 'vtepd: running:' "$log" 2>/dev/null && return 0
		kill -0 "$VTEPD_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# lab_wait_ping NS DST TRIES: true once DST answers a ping from NS.
lab_wait_ping() {
	local ns=$1 dst=$2 tries=$3 i
	for ((i = 0; i < tries; i++)); do
		if ip netns exec "$ns" ping -c 1 -W 1 "$dst" >/dev/null 2>&1; then
			return 0
		fi
	done
	return 1
}

# lab_running PID: true while PID exists and is not a zombie.
lab_running() {
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "${st%% *}" != Z ]
}

# lab_wait_exit PID SECONDS: true once PID has exited, false if it still
# runs after SECONDS.
lab_wait_exit() {
	local pid=$1 secs=$2 i
	for ((i = 0; i < secs * 10; i++)); do
		lab_running "$pid" || return 0
		sleep 0.1
	done
	! lab_running "$pid"
}

# lab_stop PID NAME [SECONDS]: SIGTERM to PID, a child of this shell, up to
# SECONDS (15) for it to exit, then SIGKILL and up to 10 s more; then its
# exit status is collected. Returns that status; 124 (and says so on
# stderr) if it had to be killed or would not go.
lab_stop() {
	local pid=$1 name=$2 secs=${3:-15} rc=0
	kill -TERM "$pid" 2>/dev/null || true
	if ! lab_wait_exit "$pid" "$secs"; then
		echo "$name (PID $pid) still runs $secs s after SIGTERM; sending SIGKILL" >&2
		kill -KILL "$pid" 2>/dev/null || true
		if ! lab_wait_exit "$pid" 10; then
			echo "$name (PID $pid) still runs 10 s after SIGKILL; not waiting for it" >&2
			return 124
		fi
		rc=124
	fi
	# It has exited: wait returns at once.
	wait "$pid" 2>/dev/null || { local w=$?; [ "$rc" -ne 0 ] || rc=$w; }
	return "$rc"
}

# lab_counter LOG NAME: ask vtepd (VTEPD_PID, its output in LOG) for its
# counters with SIGUSR1 and print counter NAME of the new block, once the
# block is whole (ctl.snapshots is out). False after 10 s without one.
lab_counter() {
	local log=$1 name=$2 n i
	n=$(grep -c '^--- vtepd counters at ' "$log" || true)
	kill -USR1 "$VTEPD_PID"
	for ((i = 0; i < 100; i++)); do
		if [ "$(grep -c '^--- vtepd counters at ' "$log" || true)" -gt "$n" ] &&
		   grep -q '^ctl\.snapshots ' <<<"$(tail -n 200 "$log")"; then
			awk -v k="$name" '/^--- vtepd counters at /{v=""} $1==k{v=$2} END{print v}' "$log"
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# lab_down_ns NS...: kill what runs in each namespace and delete it, and
# the EAL's runtime directory of LAB_PREFIX.
lab_down_ns() {
	local ns
	for ns in "$@"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
		ip netns del "$ns" 2>/dev/null || true
	done
	rm -rf "/var/run/dpdk/$LAB_PREFIX"
}

# lab_reap_stale: remove what a test lab (LAB_PREFIX vtep-it<PID>) killed
# outright left behind, once the PID that made it is gone: its namespaces
# (and what still runs in them), EAL runtime directory and work directories
# /tmp/vtep-it<PID>.*.
lab_reap_stale() {
	local p pid ns
	for p in /run/netns/vtep-it* /var/run/dpdk/vtep-it* /tmp/vtep-it*; do
		[ -e "$p" ] || continue
		pid=${p##*/vtep-it}
		pid=${pid%%[!0-9]*}
		[ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null || continue
		case $p in
		/run/netns/*)
			ns=${p##*/}
			ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
			ip netns del "$ns" 2>/dev/null || true
			;;
		*) rm -rf "$p" ;;
		esac
	done
}
