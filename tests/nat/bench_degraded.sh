#!/usr/bin/env bash
# Signalling throughput through sipalgd on this host's kernel (degraded mode), compared with
# the same NAT without any ALG: sipp UAC (LAN) -> masquerading gateway -> sipp UAS (WAN),
# every INVITE (with SDP) / 100 / 180 / 200 / ACK / BYE / 200 on one UDP 5-tuple.
#
#   bench_degraded.sh SIPALGD_BINARY [RATE calls/s] [CALLS]     (root; not part of ctest)
#
# Prints, for "none" and "sipalgd": calls ok/failed, SIP packets the daemon saw, its CPU time
# per packet, kernel queue drops. Numbers are for 2 shared cores: sipp, the kernel and
# the daemon all compete for them.
set -euo pipefail
bin=$(readlink -f "${1:?usage: $0 SIPALGD_BINARY [RATE] [CALLS]}")
rate=${2:-2000} calls=${3:-20000}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/netns_topo.sh"
((EUID == 0)) || { echo "needs root"; exit 77; }
command -v sipp >/dev/null || { echo "needs sipp"; exit 77; }
tag=$$ lan=nat-blan-$$ gw=nat-bgw-$$ wan=nat-bwan-$$
tmp=$(mktemp -d /tmp/nat-bench.XXXXXX); chmod 755 "$tmp"
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	topo_down "$lan" "$gw" "$wan"; rm -rf "$tmp" "/run/nat-bench-$tag"
}
trap cleanup EXIT
topo_up "$lan" "$gw" "$wan"
mkdir -p "/run/nat-bench-$tag"
cat > "$tmp/sipalgd.conf" <<CONF
[general]
user = nobody
status_socket = /run/nat-bench-$tag/status.sock
log_level = warning
[netfilter]
queue = 9
tcp = no
degraded_ok = yes
CONF

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

run() {	# run LABEL: one sipp run, prints the summary line
	local label=$1 uas rc=0 out
	ip netns exec "$wan" sipp -sn uas -i 203.0.113.2 -p 5060 -nostdin -timeout 120s \
		-max_log_size 1000000 >/dev/null 2>&1 &
	uas=$!; pids+=("$uas")
	sleep 0.5
	out=$(ip netns exec "$lan" sipp 203.0.113.2:5060 -sn uac -i 192.168.77.10 -p 5060 \
		-r "$rate" -m "$calls" -l 2000 -nostdin -timeout 120s -max_log_size 1000000 \
		-trace_stat -stf "$tmp/$label.csv" 2>&1) || rc=$?
	kill "$uas" 2>/dev/null || true; wait "$uas" 2>/dev/null || true
	# last line of the stat file: cumulative successful / failed calls
	python3 - "$tmp/$label.csv" "$label" "$rc" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1]), delimiter=";"))
h, last = rows[0], rows[-1]
get = lambda k: last[h.index(k)]
print("%-8s sipp exit %s: calls ok %s failed %s, elapsed %s" % (sys.argv[2], sys.argv[3],
      get("SuccessfulCall(C)"), get("FailedCall(C)"), get("ElapsedTime(C)")))
PY
}

echo "rate $rate calls/s, $calls calls"
run none
ip netns exec "$gw" conntrack -F >/dev/null 2>&1 || true
ip netns exec "$gw" "$bin" -f -c "$tmp/sipalgd.conf" 2>"${NAT_BENCH_LOG:-$tmp/daemon.log}" &
dpid=$!; pids+=("$dpid")
for _ in $(seq 50); do [[ -S /run/nat-bench-$tag/status.sock ]] && break; sleep 0.1; done
t0=$(cpu_ticks "$dpid")
run sipalgd
t1=$(cpu_ticks "$dpid")
ip netns exec "$gw" "$bin" status -s "/run/nat-bench-$tag/status.sock" > "$tmp/status.txt"
pk=$(awk '$1=="packets"{print $2}' "$tmp/status.txt")
rw=$(awk '$1=="rewritten"{print $2}' "$tmp/status.txt")
hz=$(getconf CLK_TCK)
echo "sipalgd  packets $pk rewritten $rw; daemon CPU $(( (t1 - t0) * 1000 / hz )) ms =" \
	"$(python3 -c "print(round(($t1-$t0)/$hz*1e6/max(1,$pk),2))") us/packet"
grep -E "kernel_|socket_overruns|verdict_errors|no_binding|internal_errors|binding_from_mark" "$tmp/status.txt"
