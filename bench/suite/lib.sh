# Shared by the benchmark suite scripts (sourced, not run): the two-process
# memif setup of bench/gen/README.md with a device under test (DUT) on CPU 1
# and vtep-bench on CPU 0, each with its own --file-prefix.
#
# DUTs: vtepd (bench/gen/vtepd-memif.yaml, with private sockets, prefix and
# FDB entries) and dpdk-testpmd io forwarding between the same two memif
# server ports (port 0 "acc" <-> port 1 "und"), the floor any DUT on this
# setup is measured against. The generator is the memif client of both.
#
# Everything a script starts is recorded by PID and stopped by PID; the work
# directory, the EAL run directories and hugepage files of the prefixes used
# here are removed on exit, also on failure. The generator runs in the
# foreground and ends on its own (or with the script, on a signal).

suite_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
suite_build=${BUILD_DIR:-$suite_root/build}
suite_gen=$suite_build/bench/gen/vtep-bench
suite_vtepd=$suite_build/app/vtepd/vtepd
suite_tag=vbs$$
suite_work=
suite_pids=()
suite_dut_pid=
suite_dut=
# SUITE_HUGE=0 runs every process with --no-huge (memif copy mode needs no
# shared memory); by default 2 MB hugepages back the mbufs, as in production.
SUITE_HUGE=${SUITE_HUGE:-1}
# Seconds of unmeasured traffic before a generator process's first run: the
# first second after a memif connection is lossy on this machine.
SUITE_WARMUP=${SUITE_WARMUP:-2}
# Appended to the generator's memif devargs (ovs.sh: ",socket-abstract=no",
# a socket file that reaches into another network namespace).
suite_sock_opts=

suite_log() { echo "[$(date +%T)] $*" >&2; }
suite_die() { echo "${0##*/}: $*" >&2; exit 1; }

suite_cleanup() {
	local p
	for p in "${suite_pids[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${suite_pids[@]}"; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.5
		done
		kill -KILL "$p" 2>/dev/null || true
	done
	[ -n "$suite_work" ] && rm -rf "$suite_work"
	rm -rf /var/run/dpdk/"$suite_tag"-* 2>/dev/null || true
	rm -f /dev/hugepages/"$suite_tag"-* 2>/dev/null || true
}

# suite_init: checks, work directory, trap, memory.
suite_init() {
	[ "$(id -u)" -eq 0 ] || suite_die "needs root (hugepages, /var/run/dpdk)"
	[ -x "$suite_gen" ] && [ -x "$suite_vtepd" ] ||
		suite_die "build first: meson setup $suite_build && ninja -C $suite_build (or set BUILD_DIR)"
	command -v dpdk-testpmd >/dev/null || suite_die "dpdk-testpmd not found (Debian package dpdk)"
	suite_work=$(mktemp -d /tmp/vb-suite.XXXXXX)
	trap suite_cleanup EXIT
	trap 'exit 130' INT TERM
	if [ "$SUITE_HUGE" = 1 ]; then
		local hp=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
		[ "$(cat $hp)" -ge 1024 ] || echo 1024 >$hp
		mkdir -p /dev/hugepages
		mountpoint -q /dev/hugepages || mount -t hugetlbfs nodev /dev/hugepages
		local free
		free=$(awk '/HugePages_Free/ { print $2 }' /proc/meminfo)
		if [ "$free" -lt 600 ]; then
			suite_log "only $free free hugepages: running with --no-huge"
			SUITE_HUGE=0
		fi
	fi
	if [ "$SUITE_HUGE" = 1 ]; then
		suite_mem=(-m 512 --huge-unlink)
	else
		suite_mem=(--no-huge -m 512)
	fi
}

# suite_eal PREFIX LCORES...: EAL arguments of one process.
suite_eal() {
	local prefix=$1; shift
	echo "${suite_mem[@]} --no-pci --file-prefix $suite_tag-$prefix $* --log-level lib.eal:error --log-level pmd.net.memif:error"
}

# suite_machine: one line about the machine and its load, for the record.
suite_machine() {
	local model
	model=$(lscpu | sed -n 's/^Model name: *//p')
	echo "$model, $(nproc) CPUs, $(free -g | awk '/Mem:/ { print $2 }') GB; load $(cut -d' ' -f1-3 /proc/loadavg)"
}

# suite_fdb N: N static FDB entries for vtep-bench's hosts behind 198.18.0.2.
suite_fdb() {
	awk -v n="$1" 'BEGIN { print "fdb:"; for (i = 0; i < n; i++)
		printf "  - { vni: 100, mac: \"02:00:00:aa:%02x:%02x\", remote: 198.18.0.2 }\n",
			int(i / 256) % 256, i % 256 }'
}

# suite_wait_ready: until the DUT says it runs. memif sockets are abstract
# (DPDK 22.11's default), so there is no file to wait for.
suite_wait_ready() {
	local mark
	[ "$suite_dut" = vtepd ] && mark="vtepd: running" || mark="start packet forwarding"
	for _ in $(seq 1 600); do
		grep -q "$mark" "$suite_work/$suite_dut.log" 2>/dev/null && { sleep 0.5; return 0; }
		kill -0 "$suite_dut_pid" 2>/dev/null || { cat "$suite_work/$suite_dut.log" >&2; suite_die "$suite_dut exited"; }
		sleep 0.1
	done
	suite_die "$suite_dut: not ready after 60 s"
}

# suite_dut_start vtepd|testpmd [FLOWS]: the DUT on CPU 1 as the memif server.
# vtepd gets FLOWS static FDB entries (default 65536; hosts beyond 65536
# would repeat MACs).
suite_dut_start() {
	local dut=$1 flows=${2:-65536} eal
	suite_dut=$dut
	if [ "$dut" = vtepd ]; then
		eal=$(suite_eal vtepd --lcores 0@1,1@1 | sed 's/[^ ][^ ]*/"&"/g; s/ /, /g')
		{
			# The shipped file, its EAL list and socket paths replaced.
			awk -v eal="eal: [$eal]" -v w="$suite_work/" '
				/^eal:/ { skip = 1; print eal }
				skip { if (/\]/) skip = 0; next }
				{ gsub("/tmp/vtep-bench-", w); print }' \
				"$suite_root/bench/gen/vtepd-memif.yaml"
			echo "fdb_capacity: 262144"
			suite_fdb "$flows"
		} >"$suite_work/vtepd.yaml"
		"$suite_vtepd" -c "$suite_work/vtepd.yaml" >"$suite_work/vtepd.log" 2>&1 </dev/null &
	else
		# Without a stats period testpmd reads stdin and exits at its
		# end; an hour's period keeps it running without printing into
		# the measurements (its main lcore shares CPU 1).
		# shellcheck disable=SC2046
		stdbuf -oL dpdk-testpmd $(suite_eal testpmd --lcores 0@1,1@1) \
			--vdev "net_memif0,role=server,socket=$suite_work/acc.sock" \
			--vdev "net_memif1,role=server,socket=$suite_work/und.sock" -- \
			--forward-mode=io --auto-start --no-mlockall --nb-cores=1 \
			--total-num-mbufs=32768 --stats-period 3600 \
			>"$suite_work/testpmd.log" 2>&1 </dev/null &
	fi
	suite_dut_pid=$!
	suite_pids+=("$suite_dut_pid")
	suite_wait_ready
}

# suite_dut_stop: SIGTERM (vtepd prints its counters), then wait.
suite_dut_stop() {
	[ -n "$suite_dut_pid" ] || return 0
	kill -TERM "$suite_dut_pid" 2>/dev/null || true
	for _ in $(seq 1 40); do
		kill -0 "$suite_dut_pid" 2>/dev/null || break
		sleep 0.25
	done
	kill -KILL "$suite_dut_pid" 2>/dev/null || true
	wait "$suite_dut_pid" 2>/dev/null || true
	suite_dut_pid=
}

# suite_counter NAME: the last value vtepd printed for counter NAME.
suite_counter() {
	awk -v k="$1" '$1 == k { v = $2 } END { print v + 0 }' "$suite_work/vtepd.log"
}

# suite_gen_run encap|decap JSON [vtep-bench options]: one run of the
# generator against the running DUT, its output in JSON.log. encap sends
# access frames into "acc" and expects VXLAN from "und"; decap the other way
# round. Verification follows the DUT: encap/decap for vtepd, plain for
# testpmd (it forwards frames unchanged). The run ends the DUT: gen_run.py
# stops it once the generator has written its summary and exited, and
# reaps the generator only once the DUT is gone (see there why); start a
# DUT again for the next run. Exit status as vtep-bench's.
suite_gen_run() {
	local dir=$1 json=$2; shift 2
	local acc="net_memif0,role=client,rsize=14,socket=$suite_work/acc.sock$suite_sock_opts"
	local und="net_memif1,role=client,rsize=14,socket=$suite_work/und.sock$suite_sock_opts"
	local ports verify rc=0
	if [ "$dir" = encap ]; then
		ports=(--tx-port "$acc" --rx-port "$und" --kind access)
		verify=encap
	else
		ports=(--tx-port "$und" --rx-port "$acc" --kind vxlan)
		verify=decap
	fi
	[ "$suite_dut" = testpmd ] && verify=plain
	rm -f "$json"
	# shellcheck disable=SC2046
	/usr/bin/python3 "$suite_root/bench/suite/gen_run.py" "$json" "$suite_dut_pid" "$json.log" -- \
		"$suite_gen" $(suite_eal gen -l 0) -- "${ports[@]}" --verify "$verify" \
		--link-wait 30 --warmup "$SUITE_WARMUP" --json "$json" "$@" || rc=$?
	suite_dut_stop
	return "$rc"
}
