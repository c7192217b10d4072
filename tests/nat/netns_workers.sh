#!/usr/bin/env bash
# Root test of [netfilter] workers = 2 (queues 20-21).
#
#   netns_workers.sh degraded SIPALGD_BINARY   # this host's kernel: the UDP queue rule
#                                              # balances with the kernel's address hash
#   netns_workers.sh helper SIPALGD_BINARY     # a kernel with nfnetlink_cthelper (the qemu
#                                              # guest: in_guest.sh): one helper per queue
#
# The WAN peer answers on 12 addresses, so the flows spread over both queues. Degraded: the
# hash sees the public address outbound but the inside address inbound, so a REGISTER and
# its 200 OK may be served by different workers. Helper: a flow's helper (its queue) is
# picked once, on its first packet, so both directions reach one worker (docs/workers.md).
# 1. One REGISTER exchange per WAN address, the status read after each: the per-queue packet
#    counters say which worker saw the REGISTER and which its 200 OK. Degraded: at least one
#    exchange was split across the workers; helper: none was, and both helpers were used.
#    Every registration (split or not) is in the shared table: [registrations] flows grows
#    by one each time.
# 2. Two LAN hosts at once (REGISTER + INVITE with SDP to every address, 8 rounds) while the
#    status is polled and a SIGHUP reloads: every message reached the WAN with no private
#    address, every answer came back with the inside address, both queues served, the
#    per-queue counters add up to the total, and the daemon's stderr has no sanitizer report
#    (run it with a -fsanitize=thread build: build-tsan/daemon/sipalgd). Helper mode: the
#    INVITEs' pinholes were created (both workers' first-packet layers) and none failed.
# 3. SIGTERM: clean exit, our nft table gone.
# Exit 77 (ctest SKIP) when not root or a tool is missing.
set -euo pipefail
mode=${1:?usage: $0 degraded|helper SIPALGD_BINARY}
bin=$(readlink -f "${2:?usage: $0 degraded|helper SIPALGD_BINARY}")
[[ $mode == degraded || $mode == helper ]] || { echo "mode must be degraded or helper"; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
. "$here/netns_topo.sh"
((EUID == 0)) || { echo "SKIP: needs root (network namespaces)"; exit 77; }
for t in ip nft python3; do
	command -v "$t" >/dev/null || { echo "SKIP: $t missing"; exit 77; }
done

if [[ $mode == helper ]]; then	# a modular kernel (the qemu guest): load what we use
	modprobe -a nfnetlink_cthelper nfnetlink_queue nf_conntrack_netlink nf_nat nf_nat_sip \
		nft_ct nft_chain_nat nft_masq nft_hash nft_objref 2>/dev/null || true
	# 192 calls that never end, 4 pinholes each: above the guest's default of 128 (EMFILE)
	sysctl -qw net.netfilter.nf_conntrack_expect_max=4096 2>/dev/null || true
fi
tag=$$
lan=wk-lan-$tag gw=wk-gw-$tag wan=wk-wan-$tag
tmp=$(mktemp -d "${NAT_KEEP_DIR:-/tmp}/wk-workers.XXXXXX")
rundir=/run/wk-workers-$tag
naddr=12 rounds=8
pids=()
fail=0
dpid=""
trap topo_cleanup EXIT

topo_up "$lan" "$gw" "$wan"
ip -n "$lan" addr add 192.168.77.11/24 dev eth0
for i in $(seq 3 $((naddr + 1))); do ip -n "$wan" addr add "203.0.113.$i/24" dev eth0; done
mkdir -p "$rundir" "$tmp/wan" "$tmp/seq" "$tmp/lan10" "$tmp/lan11"
cat > "$tmp/sipalgd.conf" <<CONF
[general]
enabled = yes
user =
status_socket = $rundir/status.sock
log = stderr
[netfilter]
queue = 20
workers = 2
tcp = no
degraded_ok = $([[ $mode == degraded ]] && echo yes || echo no)
install_rules = yes
[media]
; every INVITE comes from two LAN hosts: the per-host caps must not refuse them
max_dialogs_per_host = 4096
CONF

ip netns exec "$gw" "$bin" -f -c "$tmp/sipalgd.conf" 2> "$tmp/daemon.log" &
dpid=$!; pids+=("$dpid")
for _ in $(seq 100); do grep -q "sipalgd running:" "$tmp/daemon.log" && break; sleep 0.1; done
check "daemon started with 2 queue workers" grep -q "sipalgd running: .*queue 20 (+1 more: 2 queue workers)" "$tmp/daemon.log"
[[ $mode == helper ]] && check "helper mode, helpers sipalg and sipalg-1" bash -c \
	"grep -q 'sipalgd running: helper mode' '$tmp/daemon.log' && grep -q 'conntrack helpers \"sipalg-1\"' '$tmp/daemon.log'"
((fail)) && { cat "$tmp/daemon.log"; exit 1; }

status_json() {
	ip netns exec "$gw" timeout 10 "$bin" status --json -s "$rundir/status.sock" 2>/dev/null
}
# "q20 q21 registrations total_packets rewritten workers"
counts() {
	status_json | python3 -c '
import json, sys
d = json.load(sys.stdin)["counters"]
w = d.get("workers", {})
e = d["expectations"]
print(w.get("queue20_packets", -1), w.get("queue21_packets", -1), d["registrations"]["flows"],
      d["packets"]["packets"], d["packets"]["rewritten"], w.get("workers", -1),
      e.get("created", 0), e.get("failed", 0))'
}

ip netns exec "$wan" timeout 120 python3 "$here/workers_peer.py" server 203.0.113.2 "$naddr" \
	"$tmp/wan" 110 &
pids+=($!)
for _ in $(seq 100); do [[ -e $tmp/wan/ready ]] && break; sleep 0.1; done

# --- 1. one REGISTER exchange at a time -------------------------------------------------------
read -r q0 q1 regs _ _ nw _ _ <<<"$(counts)"
check "status: [workers] workers 2" test "$nw" = 2
splits=0 together=0 reg_ok=1
for ((i = 0; i < naddr; i++)); do
	ip netns exec "$lan" timeout 10 python3 "$here/workers_peer.py" client 192.168.77.10 5060 \
		203.0.113.2 "$i" $((i + 1)) 1 "$tmp/seq" 8 register >/dev/null || true
	read -r n0 n1 nregs _ <<<"$(counts)"
	d0=$((n0 - q0)) d1=$((n1 - q1))
	if ((d0 == 1 && d1 == 1)); then splits=$((splits + 1)); elif ((d0 + d1 == 2)); then together=$((together + 1)); fi
	((nregs == regs + 1)) || { reg_ok=0; echo "     address $i: registrations $regs -> $nregs (queue deltas $d0/$d1)"; }
	q0=$n0 q1=$n1 regs=$nregs
done
echo "     REGISTER + 200 OK: $splits split across the workers, $together on one"
check "each exchange took 2 packets on the queues" test $((splits + together)) = "$naddr"
if [[ $mode == degraded ]]; then
	check "at least one REGISTER and its 200 OK were served by different workers" test "$splits" -ge 1
else
	check "helper mode: every REGISTER and its 200 OK on one worker" test "$splits" = 0
	ip netns exec "$gw" conntrack -L -p udp 2>/dev/null | grep -o 'helper=[a-z0-9-]*' | sort | uniq -c | sed 's/^/     /'
	check "helper mode: flows on both helpers" bash -c \
		"ip netns exec '$gw' conntrack -L -p udp 2>/dev/null | grep -q 'helper=sipalg ' &&
		 ip netns exec '$gw' conntrack -L -p udp 2>/dev/null | grep -q 'helper=sipalg-1 '"
fi
check "every registration is in the shared table, split or not" test "$reg_ok" = 1

# --- 2. two LAN hosts at once, the status polled, a reload ------------------------------------
# distinct source ports: the masquerade keeps them (a remapped port on a flow's first packet
# is a degraded-mode limit of its own, the mark carries only the address)
for h in 10 11; do
	ip netns exec "$lan" timeout 90 python3 "$here/workers_peer.py" client "192.168.77.$h" \
		$((5060 + 2 * (h - 10))) 203.0.113.2 0 "$naddr" "$rounds" "$tmp/lan$h" 80 both > "$tmp/client$h.out" &
	pids+=($!)
	eval "cpid$h=$!"
done
for _ in $(seq 20); do status_json >/dev/null || true; sleep 0.05; done
kill -HUP "$dpid"
wait "$cpid10" "$cpid11" || true
: > "$tmp/wan/stop"
sleep 0.3
sent=$((2 * naddr * rounds * 2 + naddr))
nrecv=$(find "$tmp/wan" -name 'recv-*' | wc -l)
nans=$(find "$tmp/lan10" "$tmp/lan11" -name 'answer-*' | wc -l)
echo "     WAN received $nrecv of $sent; answers $nans of $((sent - naddr))"
check "every message reached the WAN" test "$nrecv" = "$sent"
check "no private address reached the WAN" bash -c "! grep -l '192\.168\.77\.' '$tmp'/wan/recv-* | head -1 | grep -q ."
check "every answer came back" test "$nans" = $((sent - naddr))
check "every answer names the inside host again (Via)" bash -c \
	"for f in '$tmp'/lan1[01]/answer-*; do grep -Eq 'Via: SIP/2.0/UDP 192\.168\.77\.1(0:5060|1:5062)' \"\$f\" || { echo \"\$f\"; exit 1; }; done"
read -r n0 n1 nregs total rewritten _ ecreated efailed <<<"$(counts)"
echo "     queue 20: $n0 packets, queue 21: $n1; total $total, rewritten $rewritten; registrations $nregs; expectations created $ecreated failed $efailed"
if [[ $mode == helper ]]; then
	check "helper mode: the INVITEs' pinholes created, none failed" bash -c "(( $ecreated >= 2 * $naddr && $efailed == 0 ))"
fi
check "both workers served the burst" bash -c "(( $n0 > 2 * $naddr && $n1 > 2 * $naddr ))"
check "per-queue packets add up to the total" test $((n0 + n1)) = "$total"
check "every SIP packet rewritten" test "$rewritten" = "$total"
check "the reload ran while the workers served" grep -q "configuration reloaded" "$tmp/daemon.log"
status_json > "$tmp/status.json" || true
opt=(--optional counters.tcp_streams)
for k in kernel_queue_dropped kernel_user_dropped kernel_queue_len kernel_queue_max; do
	opt+=(--optional "counters.queue.$k")
done
check "status --json with [workers]: valid against docs/status.schema.json" \
	python3 "$here/../daemon/json_schema_check.py" "$here/../../docs/status.schema.json" "$tmp/status.json" "${opt[@]}"
check "no sanitizer report in the daemon's stderr" bash -c "! grep -E 'ThreadSanitizer|AddressSanitizer|runtime error' '$tmp/daemon.log'"

# --- 3. exit ------------------------------------------------------------------------------------
kill -TERM "$dpid"
rc=0; wait "$dpid" || rc=$?
check "SIGTERM: exit status 0" test "$rc" = 0
check "SIGTERM: nft table sipalgd removed" bash -c "! ip netns exec '$gw' nft list table ip sipalgd >/dev/null 2>&1"
check "no sanitizer report at exit" bash -c "! grep -E 'ThreadSanitizer|AddressSanitizer|runtime error|LeakSanitizer' '$tmp/daemon.log'"
((fail)) && { echo "--- daemon log"; tail -30 "$tmp/daemon.log"; }
exit $fail
