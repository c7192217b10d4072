#!/usr/bin/env bash
# What a full queue does with SIP, on the running kernel (degraded mode, netns):
#
#   netns_overload.sh SIPALGD_BINARY
#
# The daemon runs with queue_maxlen = 64 and is stopped (SIGSTOP): it is alive
# but does not keep up. 300 INVITEs cross the gateway meanwhile.
#  - overload = drop (the default): not one leaves on the WAN un-rewritten; the
#    kernel counts the drops and the status shows them; once the daemon runs
#    again the 64 it held leave rewritten.
#  - after a SIGHUP to overload = pass, the same flood leaks INVITEs with the
#    private address (what drop prevents, so the check above can fail).
#  - a dead daemon (kill -9) is bypassed: SIP still crosses.
# Exit 77 (ctest SKIP) when not root or a tool is missing.
set -euo pipefail
bin=$(readlink -f "${1:?usage: $0 SIPALGD_BINARY}")
here=$(cd "$(dirname "$0")" && pwd)
. "$here/netns_topo.sh"
((EUID == 0)) || { echo "SKIP: needs root (network namespaces)"; exit 77; }
for t in ip nft tcpdump python3; do
	command -v "$t" >/dev/null || { echo "SKIP: $t missing"; exit 77; }
done

tag=$$
lan=ovl-lan-$tag gw=ovl-gw-$tag wan=ovl-wan-$tag
tmp=$(mktemp -d /tmp/nat-overload.XXXXXX)
chmod 755 "$tmp"
rundir=/run/nat-overload-$tag
pids=() dpid="" fail=0
cleanup() {
	local p
	if [[ -n $dpid ]]; then kill -CONT "$dpid" 2>/dev/null || true; fi
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	topo_down "$lan" "$gw" "$wan"
	rm -rf "$rundir"
	if ((fail)) || [[ -n ${NAT_KEEP:-} ]]; then echo "kept for inspection: $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

topo_up "$lan" "$gw" "$wan"
sip_messages "$tmp"
mkdir -p "$rundir"

write_conf() {	# write_conf drop|pass
	cat > "$tmp/sipalgd.conf" <<CONF
[general]
user =
status_socket = $rundir/status.sock
log = stderr
[netfilter]
queue = 9
tcp = no
degraded_ok = yes
install_rules = yes
queue_maxlen = 64
overload = $1
CONF
}
write_conf drop

status_to() { ip netns exec "$gw" "$bin" status -s "$rundir/status.sock" > "$1" 2>&1 || true; }

ip netns exec "$gw" "$bin" -f -c "$tmp/sipalgd.conf" 2>>"$tmp/daemon.log" &
dpid=$!; pids+=("$dpid")
for _ in $(seq 50); do grep -q "sipalgd running:" "$tmp/daemon.log" && break; sleep 0.1; done
grep -q "sipalgd running:" "$tmp/daemon.log" || { echo "sipalgd did not start:"; cat "$tmp/daemon.log"; fail=1; exit 1; }

# flood NAME COUNT: send COUNT INVITEs from the LAN host while capturing the WAN leg.
cap=""
capture_start() {	# capture_start NAME
	ip netns exec "$gw" tcpdump -U --immediate-mode -B 16384 -n -i wan0 -w "$tmp/$1.pcap" udp port 5060 2>"$tmp/$1.err" &
	cap=$!; pids+=("$cap")
	for _ in $(seq 100); do grep -q "listening on" "$tmp/$1.err" 2>/dev/null && break; sleep 0.1; done
	sleep 0.2
}
capture_stop() { sleep 0.5; kill "$cap" 2>/dev/null || true; wait "$cap" 2>/dev/null || true; }
flood() {	# flood COUNT [PORT]: one socket, 192.168.77.10:PORT -> 203.0.113.2:5060
	ip netns exec "$lan" timeout 20 python3 - "$tmp/invite.sip" "$1" "${2:-5060}" <<'PY'
import socket, sys
msg = open(sys.argv[1], "rb").read()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.168.77.10", int(sys.argv[3])))
for i in range(int(sys.argv[2])):
    s.sendto(msg, ("203.0.113.2", 5060))
PY
}
count() {	# count PCAP TEXT: packets whose payload has TEXT
	tcpdump -r "$1" -A -n 2>/dev/null | grep -c "$2" || true
}

# --- overload = drop -----------------------------------------------------------------------
status_to "$tmp/status-0.txt"
check "status: overload drop is the default" grep -q "^overload drop" "$tmp/status-0.txt"
capture_start drop-stopped
kill -STOP "$dpid"
flood 300
sleep 1
capture_stop
priv=$(count "$tmp/drop-stopped.pcap" "UDP 192.168.77.10")
echo "     stopped daemon, drop: $priv INVITEs left with the private Via"
check "drop: no INVITE leaves un-rewritten while the daemon lags" test "$priv" -eq 0
capture_start drop-resumed
kill -CONT "$dpid"
sleep 2
capture_stop
pub=$(count "$tmp/drop-resumed.pcap" "UDP 203.0.113.1:5060")
priv=$(count "$tmp/drop-resumed.pcap" "UDP 192.168.77.10")
echo "     resumed: $pub held INVITEs left rewritten, $priv private"
check "drop: the held INVITEs leave rewritten once the daemon runs" test "$pub" -ge 32 -a "$priv" -eq 0
status_to "$tmp/status-1.txt"
drops=$(awk '$1 == "kernel_queue_dropped" {print $2}' "$tmp/status-1.txt")
echo "     status: kernel_queue_dropped ${drops:-?}"
check "drop: status counts the kernel's drops (>= 200)" test "${drops:-0}" -ge 200

# --- SIGHUP to overload = pass: the same flood leaks -----------------------------------------
write_conf pass
kill -HUP "$dpid"
for _ in $(seq 30); do
	status_to "$tmp/status-2.txt"; grep -q "^overload pass" "$tmp/status-2.txt" && break; sleep 0.1
done
check "reload: overload = pass taken over live" grep -q "^overload pass" "$tmp/status-2.txt"
capture_start pass-stopped
kill -STOP "$dpid"
flood 300
sleep 1
capture_stop
priv=$(count "$tmp/pass-stopped.pcap" "UDP 192.168.77.10")
echo "     stopped daemon, pass: $priv INVITEs left with the private Via"
check "pass: a full queue lets INVITEs through un-rewritten (what drop prevents)" test "$priv" -ge 100
kill -CONT "$dpid"
sleep 1

# --- a dead daemon is bypassed, whatever the policy ---------------------------------------
write_conf drop
kill -HUP "$dpid"; sleep 0.5
kill -9 "$dpid"; wait "$dpid" 2>/dev/null || true
capture_start dead
flood 5 5070
capture_stop
n=$(count "$tmp/dead.pcap" "Via: SIP/2.0/UDP 192.168.77.10")
check "dead daemon: SIP still crosses (queue bypass), $n of 5" test "$n" -eq 5

if ((fail)); then echo "--- daemon log"; tail -20 "$tmp/daemon.log"; exit 1; fi
echo "all checks passed"
