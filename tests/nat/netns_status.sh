#!/usr/bin/env bash
# Root test of the status report and the debug log, on this host's kernel (degraded mode):
# a LAN host behind a masquerading gateway namespace running sipalgd, a WAN peer.
#
#   netns_status.sh SIPALGD_BINARY
#
# 1. `sipalgd status --json` after a REGISTER and an INVITE: valid against
#    docs/status.schema.json (tests/daemon/json_schema_check.py, which must also refuse
#    every key dropped and every value retyped), and every "key number" line of the
#    text report has the same number in the JSON's counters.<section>.
# 2. log_level = debug with stderr as the "journal" (JOURNAL_STREAM = its dev:inode):
#    one "<7>" line per rewritten message naming Call-ID, method/status and the edits,
#    "<6>" on info lines; without JOURNAL_STREAM no prefix.
# 3. A status reader that never reads: 3000 registrations make the JSON report larger
#    than the socket buffer; while such a reader is connected, SIP round trips through
#    the gateway keep their latency (measured: p50/p99/max, with and without it), other
#    status clients are answered, and the daemon drops the reader after its deadline.
# Exit 77 (ctest SKIP) when not root or a tool is missing.
set -euo pipefail
bin=$(readlink -f "${1:?usage: $0 SIPALGD_BINARY}")
here=$(cd "$(dirname "$0")" && pwd)
schema=$here/../../docs/status.schema.json
checker=$here/../daemon/json_schema_check.py
. "$here/netns_topo.sh"
((EUID == 0)) || { echo "SKIP: needs root (network namespaces)"; exit 77; }
for t in ip nft conntrack python3 iptables; do
	command -v "$t" >/dev/null || { echo "SKIP: $t missing"; exit 77; }
done

tag=$$
lan=sts-lan-$tag gw=sts-gw-$tag wan=sts-wan-$tag
tmp=$(mktemp -d /tmp/sts-status.XXXXXX)
rundir=/run/sts-status-$tag
pids=()
fail=0
dpid=""
trap topo_cleanup EXIT

topo_up "$lan" "$gw" "$wan"
sip_messages "$tmp"
mkdir -p "$rundir"
cat > "$tmp/sipalgd.conf" <<CONF
[general]
enabled = yes
user =
status_socket = $rundir/status.sock
log = stderr
log_level = debug
[netfilter]
queue = 11
tcp = no
degraded_ok = yes
install_rules = yes
CONF

status_to() {	# status_to FILE [--json]
	ip netns exec "$gw" timeout 10 "$bin" status ${2:-} -s "$rundir/status.sock" > "$1" 2>&1 || true
}

start_daemon() {	# start_daemon LOG [journal]: stderr to LOG, as the journal's stream if asked
	: > "$1"
	local js=""
	[[ ${2:-} == journal ]] && js=$(stat -c '%d:%i' "$1")
	rm -f "$rundir/status.sock"
	JOURNAL_STREAM=$js ip netns exec "$gw" "$bin" -f -c "$tmp/sipalgd.conf" 2>>"$1" &
	dpid=$!; pids+=("$dpid")
	for _ in $(seq 50); do grep -q "sipalgd running:" "$1" && return 0; sleep 0.1; done
	echo "sipalgd did not start:"; cat "$1"; fail=1; exit 1
}
stop_daemon() { kill -TERM "$dpid"; wait "$dpid" || true; }

# --- without JOURNAL_STREAM: plain lines -----------------------------------------------------
start_daemon "$tmp/plain.log"
stop_daemon
check "no JOURNAL_STREAM: no priority prefix" bash -c \
	"grep -q '^sipalgd: sipalgd running:' '$tmp/plain.log' && ! grep -q '^<[0-7]>' '$tmp/plain.log'"

# --- a REGISTER and an INVITE through the gateway, the daemon's stderr as the journal ------
start_daemon "$tmp/daemon.log" journal
check "journal stream: info lines carry <6>" grep -q '^<6>sipalgd: sipalgd running:' "$tmp/daemon.log"
ip netns exec "$wan" timeout 60 python3 "$here/status_peer.py" responder 203.0.113.2 5060 50 \
	> "$tmp/responder.out" &
pids+=($!)
for _ in $(seq 100); do grep -q ready "$tmp/responder.out" 2>/dev/null && break; sleep 0.1; done
mkdir -p "$tmp/lan"
ip netns exec "$lan" timeout 20 python3 "$here/sip_peer.py" client 192.168.77.10 5060 \
	203.0.113.2 5060 "$tmp/lan" 2 "$tmp/register.sip" "$tmp/invite.sip" >/dev/null || true
sleep 0.3
grep '^<7>sipalgd: rewrote' "$tmp/daemon.log" | sed 's/^/     /'
check "debug: REGISTER line (call-id, edits)" grep -Eq \
	'^<7>sipalgd: rewrote out REGISTER call-id reg-1@alice-pc, udp 192\.168\.77\.10:5060 -> 203\.0\.113\.2:5060: via 1, contact 1; [+-][0-9]+ bytes$' \
	"$tmp/daemon.log"
check "debug: the REGISTER's 200 OK line" grep -Eq \
	'^<7>sipalgd: rewrote in 200 \(REGISTER\) call-id reg-1@alice-pc, .*via 1, contact 1;' "$tmp/daemon.log"
check "debug: INVITE line names the SDP edits" grep -Eq \
	'^<7>sipalgd: rewrote out INVITE call-id call-1@alice-pc, .*via 1, contact 1, sdp-origin 1, sdp-connection 1, content-length 1;' \
	"$tmp/daemon.log"

status_to "$tmp/status.json" --json
status_to "$tmp/status.txt"
opt=()
for k in kernel_queue_dropped kernel_user_dropped kernel_queue_len kernel_queue_max; do
	opt+=(--optional "counters.queue.$k")	# absent when /proc has no line for the queue
done
opt+=(--optional counters.tcp_streams)	# exists once TCP stream state was allocated
check "status --json: valid against docs/status.schema.json; every other key dropped or retyped is refused" \
	python3 "$checker" "$schema" "$tmp/status.json" --mutate "${opt[@]}"
python3 "$checker" "$schema" "$tmp/status.json" --mutate "${opt[@]}" 2>&1 | cut -c1-200 | sed 's/^/     /' || true
compare_text_json() {	# every "key number" line of each [section] equals counters.<section>.key
	python3 - "$tmp/status.txt" "$tmp/status.json" <<'PY'
import json, re, sys
text, doc = open(sys.argv[1]).read(), json.load(open(sys.argv[2]))
sec, n, bad = None, 0, []
for line in text.splitlines():
    m = re.match(r"^\[(.+)\]$", line)
    if m:
        sec = m.group(1).replace(" ", "_"); continue
    m = re.match(r"^([a-z0-9_-]+) (-?\d+)$", line)
    if not (sec and m):
        continue
    k, v = m.group(1), int(m.group(2))
    got = doc["counters"].get(sec, {}).get(k)
    n += 1
    # status_socket counts this very report's siblings: served moves between the two
    if got != v and not (sec == "status_socket" and k in ("served", "clients_now")):
        bad.append("%s.%s text %d json %r" % (sec, k, v, got))
print("     %d numbers compared, %d differ %s" % (n, len(bad), bad[:5]))
sys.exit(1 if bad or n < 60 else 0)
PY
}
check "every number of the text report is in the JSON, same value" compare_text_json
check "text report: no key without its value" bash -c "! grep -n ' \$' '$tmp/status.txt'"
check "text report lists the registered phone" grep -q "^  udp 192.168.77.10:5060 -> 203.0.113.2:5060 expires in [0-9]*s$" "$tmp/status.txt"
check "status --json: mode degraded, registration listed" python3 -c "
import json,sys; d=json.load(open('$tmp/status.json'))
sys.exit(0 if d['mode']=='degraded' and any(r['phone']=='192.168.77.10:5060' and r['expires_in_s']>3000 for r in d['registrations']) else 1)"

# --- a reader that never reads, while SIP flows -------------------------------------------
ip netns exec "$lan" timeout 120 python3 "$here/status_peer.py" register 192.168.77.10 \
	203.0.113.2 5060 3000 20000 > "$tmp/register.out" 2>&1 || true
echo "     $(cat "$tmp/register.out")"
status_to "$tmp/big.json" --json
size=$(stat -c %s "$tmp/big.json")
wmem=$(cat /proc/sys/net/core/wmem_default)
check "report with 3000 registrations ($size bytes) is larger than a socket buffer ($wmem)" \
	test "$size" -gt "$wmem"
check "big report valid against the schema" python3 "$checker" "$schema" "$tmp/big.json"

probe() {	# probe OUT: 300 OPTIONS round trips, one per 10 ms, from LAN port 5090
	ip netns exec "$lan" timeout 30 python3 "$here/status_peer.py" probe 192.168.77.10 5090 \
		203.0.113.2 5060 300 10 > "$1"
}
probe "$tmp/rtt-base.json"
echo "     SIP round trips, no status reader:       $(cat "$tmp/rtt-base.json")"
ip netns exec "$gw" timeout 30 python3 "$here/status_peer.py" stall "$rundir/status.sock" 8 \
	> "$tmp/stall.out" &
spid=$!; pids+=("$spid")
for _ in $(seq 50); do grep -q stalling "$tmp/stall.out" 2>/dev/null && break; sleep 0.1; done
probe "$tmp/rtt-stall.json" &	# the whole probe (3 s) inside the stall (8 s)
ppid=$!; pids+=("$ppid")
sleep 0.3
t0=$(date +%s.%N)
status_to "$tmp/during.txt"
t1=$(date +%s.%N)
ms=$(python3 -c "print(round(($t1 - $t0) * 1000))")
wait "$ppid" || true
echo "     SIP round trips, a stalled reader on:    $(cat "$tmp/rtt-stall.json")"
check "while a reader stalls: another status is answered at once ($ms ms)" \
	bash -c "grep -q '^clients_now 2$' '$tmp/during.txt' && ((ms < 1000))"
check "while a reader stalls: no SIP lost, max round trip < 500 ms (a blocking write: seconds), p99 < 3x baseline + 20 ms" python3 -c "
import json,sys; b=json.load(open('$tmp/rtt-base.json')); s=json.load(open('$tmp/rtt-stall.json'))
sys.exit(0 if s['answered']==s['sent'] and s['max_ms']<500 and s['p99_ms']<3*b['p99_ms']+20 else 1)"
wait "$spid" || true
echo "     stalled reader: $(tail -n1 "$tmp/stall.out")"
status_to "$tmp/after.txt"
check "the stalled reader was dropped at its deadline (report incomplete)" bash -c \
	"grep -q '^slow_readers_dropped 1$' '$tmp/after.txt' && grep -q '\"complete\": false' '$tmp/stall.out'"
check "after the drop: status answers, nothing held" grep -q "^clients_now 1$" "$tmp/after.txt"
stop_daemon
check "debug lines bounded: at most DEBUG_BURST + DEBUG_PER_S/s (3000 REGISTERs + answers sent)" bash -c \
	"n=\$(grep -c '^<7>sipalgd: rewrote' '$tmp/daemon.log'); echo \"     \$n rewrite lines, \$(grep -o '[0-9]* debug lines suppressed' '$tmp/daemon.log' | awk '{s+=\$1} END {print s+0}') suppressed\"; ((n < 1500))"
((fail == 0)) && echo "PASS" || { echo "--- daemon log"; grep -v '^<7>' "$tmp/daemon.log" | tail -20; }
exit $fail
