#!/usr/bin/env bash
# vtepd against Open vSwitch 3.1 with DPDK (userspace datapath, one PMD core,
# a VXLAN port), the same generator against each over the same two memif
# links, in one run: encap and decap at 64 B with 1024 and 65536 flows, each
# DUT's achieved rate at the highest rate the generator offers, and the
# ratio vtepd/OVS.
#
#   bench/suite/ovs.sh [--seconds S] [--flows LIST] [--size BYTES]
#                      [--duts vtepd,ovs] [--out DIR]
#
# Defaults: 10 s per run, flows 1024,65536, 64 B, ./bench-results.
#
# OVS runs from a private directory (its own ovsdb, run and log directory)
# inside a network namespace of its own, where br-phy's internal port holds
# the local VTEP address 198.18.0.1/24; ovs-vswitchd-dpdk and ovsdb-server
# are started in the foreground and stopped by PID. Its DPDK has its own
# --file-prefix and 512 MB of hugepages; every OVS thread runs on CPU 1
# (pmd-cpu-mask=0x2), as vtepd's worker does; vtep-bench runs on CPU 0.
# The memif sockets are files (socket-abstract=no), which reach into the
# namespace. Topology, with explicit OpenFlow rules (no MAC learning):
#
#   memif0 (access) -- br-int -- vxlan0 (VNI 100, 198.18.0.1 -> 198.18.0.2)
#   memif1 (underlay) -- br-phy (LOCAL 198.18.0.1, MAC 02:00:00:00:0a:01)
#   route 198.18.0.2/32 via br-phy, neighbour 02:00:00:00:0a:02 (tnl/arp/set)
#
# Installs openvswitch-switch-dpdk if missing (without starting its service).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

secs=10
flowlist=1024,65536
size=64
duts=vtepd,ovs
out=$PWD/bench-results
usage() {
	sed -n '/^#   bench/,/^#$/p' "$0" >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) secs=$2; shift 2 ;;
	--flows) flowlist=$2; shift 2 ;;
	--size) size=$2; shift 2 ;;
	--duts) duts=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	*) usage ;;
	esac
done

ovs_bin=/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk
if [ ! -x "$ovs_bin" ]; then
	suite_log "installing openvswitch-switch-dpdk"
	# policy-rc.d keeps the package's own service from starting: this
	# script starts the only OVS it measures, privately.
	own_policy=
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod +x /usr/sbin/policy-rc.d
		own_policy=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends openvswitch-switch-dpdk >&2 ||
		{ apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends openvswitch-switch-dpdk >&2; }
	[ -n "$own_policy" ] && rm -f /usr/sbin/policy-rc.d
fi

suite_init
mkdir -p "$out"
ovsd=$suite_work/ovs
ns=$suite_tag-ovs
db_pid=
mkdir -p "$ovsd"
ovs_cleanup() {
	# The DUT (ovs-vswitchd) and ovsdb-server are in suite_pids; stop them
	# first, then the namespace.
	suite_cleanup
	ip netns del "$ns" 2>/dev/null || true
}
trap ovs_cleanup EXIT

vsctl() { ovs-vsctl --db="unix:$ovsd/db.sock" --timeout=30 "$@"; }
appctl() { ovs-appctl -t "$ovsd/ovs-vswitchd.ctl" "$@"; }

# ovs_stop: ovsdb-server, the namespace and the private directory; the
# DUT itself (ovs-vswitchd) was stopped by suite_gen_run.
ovs_stop() {
	suite_dut_stop
	if [ -n "$db_pid" ]; then
		kill -TERM "$db_pid" 2>/dev/null || true
		wait "$db_pid" 2>/dev/null || true
		db_pid=
	fi
	ip netns del "$ns" 2>/dev/null || true
	# The memif socket files too: a new listener cannot bind over them.
	rm -rf "$ovsd" /var/run/dpdk/"$suite_tag"-ovs "$suite_work/acc.sock" "$suite_work/und.sock"
	mkdir -p "$ovsd"
}

ovs_start() {
	export OVS_RUNDIR=$ovsd OVS_LOGDIR=$ovsd OVS_DBDIR=$ovsd OVS_SYSCONFDIR=$ovsd
	ovsdb-tool create "$ovsd/conf.db" /usr/share/openvswitch/vswitch.ovsschema
	ovsdb-server "$ovsd/conf.db" --remote="punix:$ovsd/db.sock" \
		--unixctl="$ovsd/ovsdb-server.ctl" --pidfile="$ovsd/ovsdb-server.pid" \
		--log-file="$ovsd/ovsdb-server.log" --no-chdir </dev/null >/dev/null 2>&1 &
	db_pid=$!
	suite_pids+=("$db_pid")
	for _ in $(seq 1 100); do [ -S "$ovsd/db.sock" ] && break; sleep 0.1; done
	vsctl --no-wait init
	vsctl --no-wait set Open_vSwitch . \
		other_config:dpdk-init=true \
		other_config:dpdk-lcore-mask=0x2 \
		other_config:pmd-cpu-mask=0x2 \
		other_config:dpdk-socket-mem=512 \
		"other_config:dpdk-extra=--file-prefix $suite_tag-ovs --huge-unlink --no-pci --log-level pmd.net.memif:error"
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	# br-phy is the only host port: no IPv6 chatter (router solicitations)
	# into the measured link.
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	# ip netns exec and taskset exec: $! is ovs-vswitchd's own PID.
	ip netns exec "$ns" taskset -c 1 "$ovs_bin" "unix:$ovsd/db.sock" \
		--unixctl="$ovsd/ovs-vswitchd.ctl" --pidfile="$ovsd/ovs-vswitchd.pid" \
		--log-file="$ovsd/ovs-vswitchd.log" --no-chdir </dev/null >"$ovsd/stdout.log" 2>&1 &
	suite_dut_pid=$!
	suite_pids+=("$suite_dut_pid")
	suite_dut=ovs
	for _ in $(seq 1 300); do [ -S "$ovsd/ovs-vswitchd.ctl" ] && break; sleep 0.1; done
	[ -S "$ovsd/ovs-vswitchd.ctl" ] || { tail -20 "$ovsd/ovs-vswitchd.log" >&2; suite_die "ovs-vswitchd did not start"; }
	vsctl get Open_vSwitch . dpdk_initialized >&2

	local memif="role=server,socket-abstract=no"
	vsctl add-br br-int -- set bridge br-int datapath_type=netdev \
		-- add-port br-int memif0 -- set interface memif0 type=dpdk \
		   "options:dpdk-devargs=net_memif0,$memif,socket=$suite_work/acc.sock" \
		-- add-port br-int vxlan0 -- set interface vxlan0 type=vxlan \
		   options:remote_ip=198.18.0.2 options:local_ip=198.18.0.1 \
		   options:key=100 options:dst_port=4789
	vsctl add-br br-phy -- set bridge br-phy datapath_type=netdev \
		other-config:hwaddr=02:00:00:00:0a:01 \
		-- add-port br-phy memif1 -- set interface memif1 type=dpdk \
		   "options:dpdk-devargs=net_memif1,$memif,socket=$suite_work/und.sock"
	local i
	for i in memif0 memif1; do
		[ "$(vsctl get interface $i ofport)" -gt 0 ] ||
			suite_die "OVS refused $i: $(vsctl get interface $i error)"
	done
	ip -n "$ns" addr add 198.18.0.1/24 dev br-phy
	ip -n "$ns" link set br-phy up
	appctl ovs/route/add 198.18.0.2/32 br-phy >&2
	appctl tnl/arp/set br-phy 198.18.0.2 02:00:00:00:0a:02 >&2
	ovs-ofctl del-flows br-int
	ovs-ofctl add-flow br-int "in_port=memif0,actions=output:vxlan0"
	ovs-ofctl add-flow br-int "in_port=vxlan0,actions=output:memif0"
	ovs-ofctl del-flows br-phy
	ovs-ofctl add-flow br-phy "in_port=memif1,actions=LOCAL"
	ovs-ofctl add-flow br-phy "in_port=LOCAL,actions=output:memif1"
	appctl dpif-netdev/pmd-rxq-show >&2
	# What OVS makes of one frame each way, for the record.
	{
		appctl ofproto/trace br-int "udp,in_port=memif0,dl_src=02:00:00:00:01:01,dl_dst=02:00:00:aa:00:00,nw_src=198.18.1.1,nw_dst=198.19.0.0,udp_src=1024,udp_dst=9"
		appctl ofproto/trace br-phy "udp,in_port=memif1,dl_src=02:00:00:00:0a:02,dl_dst=02:00:00:00:0a:01,nw_src=198.18.0.2,nw_dst=198.18.0.1,udp_src=49152,udp_dst=4789"
		appctl ovs/route/show
		appctl tnl/arp/show
	} >"$out/ovs-trace.txt" 2>&1 || true
}

# run DUT DIR: one generator process sweeping the flow counts, prints one
# line per point: "flows achieved_pps offered received mismatches".
run() {
	local dut=$1 dir=$2 json=$suite_work/$1-$2.json rc=0
	suite_gen_run "$dir" "$json" --size "$size" --sweep "flows=$flowlist" --rate max \
		--duration "$secs" --rx-queues "$rxq" --quiet || rc=$?
	[ -s "$json" ] || { cat "$json.log" >&2; suite_die "$dut $dir: vtep-bench exit $rc"; }
	cp "$json" "$out/ovs-$dut-$dir.json"
	/usr/bin/python3 -c '
import json, sys
for p in json.load(open(sys.argv[1]))["points"]:
    print("%s %.0f %d %d %d" % (p["value"], p["received"] / p["duration_s"],
          p["sent"] + p["tx"]["refused"], p["received"], p["verify"]["mismatches"]))' "$json"
}

suite_log "machine: $(suite_machine)"
declare -A res load
for dut in ${duts//,/ }; do
	load[$dut]=$(cut -d' ' -f1-3 /proc/loadavg)
	suite_log "$dut (load ${load[$dut]})"
	# The generator polls as many RX queues as the DUT has TX queues on
	# the link: one for vtepd's one worker; two for OVS, whose PMD sends
	# on queue 1 (queue 0 is its main thread's).
	for dir in encap decap; do
		# A fresh DUT per direction: a run ends its DUT (suite_gen_run).
		if [ "$dut" = vtepd ]; then
			suite_dut_start vtepd 65536
			suite_sock_opts=
			rxq=1
			unset GEN_RUN_BEFORE_STOP
		else
			ovs_start
			suite_sock_opts=,socket-abstract=no
			rxq=2
			# OVS's own view, read before the run stops it.
			export GEN_RUN_BEFORE_STOP="ovs-appctl -t $ovsd/ovs-vswitchd.ctl dpif-netdev/pmd-stats-show >$out/ovs-pmd-stats-$dir.txt 2>&1; for i in memif0 memif1 vxlan0; do echo \"\$i: \$(ovs-vsctl --db=unix:$ovsd/db.sock get interface \$i statistics)\"; done >>$out/ovs-pmd-stats-$dir.txt 2>&1"
		fi
		run "$dut" "$dir" >"$suite_work/points"
		while read -r f line; do
			res[$dut-$dir-$f]=$line
			suite_log "$dut $dir $f flows: $line"
		done <"$suite_work/points"
		if [ "$dut" = ovs ]; then
			cp "$ovsd/ovs-vswitchd.log" "$out/ovs-vswitchd-$dir.log" 2>/dev/null || true
			ovs_stop
		fi
	done
	unset GEN_RUN_BEFORE_STOP
done

{
	echo "vtepd against Open vSwitch $(ovs-vsctl --version | sed -n '1s/.* //p') (DPDK, userspace datapath, one PMD on CPU 1), $size B, $secs s per run, --rate max, over memif"
	echo "machine: $(suite_machine); load at start: vtepd ${load[vtepd]:-}, ovs ${load[ovs]:-}"
	echo
	echo "| direction | flows | vtepd Mpps | OVS Mpps | vtepd/OVS | verified: vtepd / OVS (mismatches) |"
	echo "| --- | ---: | ---: | ---: | ---: | --- |"
	for dir in encap decap; do
		for f in ${flowlist//,/ }; do
			read -r va vs vr vm <<<"${res[vtepd-$dir-$f]:-0 0 0 0}"
			read -r oa os orx om <<<"${res[ovs-$dir-$f]:-0 0 0 0}"
			awk -v d="$dir" -v f="$f" -v va="$va" -v oa="$oa" -v vr="$vr" -v vs="$vs" \
			    -v orx="$orx" -v os="$os" -v vm="$vm" -v om="$om" 'BEGIN {
				printf "| %s | %d | %.3f | %.3f | %s | %d of %d / %d of %d (%d / %d) |\n",
				       d, f, va / 1e6, oa / 1e6, (oa > 0 ? sprintf("%.2f", va / oa) : "-"),
				       vr, vs, orx, os, vm, om }'
		done
	done
} | tee "$out/ovs.md"
