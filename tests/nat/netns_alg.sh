#!/usr/bin/env bash
# Root integration test of sipalgd in network namespaces:
# a LAN host behind a masquerading gateway namespace sends REGISTER and INVITE+SDP over UDP
# through sipalgd to a WAN peer that answers the REGISTER.
#
#   netns_alg.sh degraded SIPALGD_BINARY   # this host's kernel: no nfnetlink_cthelper
#   netns_alg.sh helper SIPALGD_BINARY     # a kernel with it (tests/nat/in_guest.sh runs
#                                          # this inside the qemu guest)
#
# The daemon runs first as root (drops to nobody), then as configs/sipalgd.service runs it
# (uid 65534 with only CAP_NET_ADMIN, via setpriv).
# Checks: WAN side sees Via/Contact/o=/c= public, nothing private, correct Content-Length
# and UDP checksums (tcpdump on both gateway interfaces, recomputed in Python); the 200 OK
# reaches the LAN host with the inside address back; the SIP conntrack's timeout was
# stretched to the registration and stays so after further packets of the flow (kernel
# refresh on each); status names the mode; after SIGHUP to enabled = no the
# same messages cross byte for byte; after kill -9 SIP still crosses and a restart over the
# stale helper/table works; SIGTERM removes the nft table.
# helper mode also: the helper is registered and attached by `ct helper set`, the INVITE's
# RTP/RTCP expectations show in `conntrack -L expect`, and SIP over TCP with messages that
# grow is received intact (the kernel shifted the sequence numbers: seqadj).
# Exit 77 (ctest SKIP) when not root or a tool is missing.
set -euo pipefail
mode=${1:?usage: $0 degraded|helper SIPALGD_BINARY}
bin=$(readlink -f "${2:?usage: $0 degraded|helper SIPALGD_BINARY}")
[[ $mode == degraded || $mode == helper ]] || { echo "mode must be degraded or helper"; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
. "$here/netns_topo.sh"
((EUID == 0)) || { echo "SKIP: needs root (network namespaces)"; exit 77; }
for t in ip nft conntrack tcpdump python3; do
	command -v "$t" >/dev/null || { echo "SKIP: $t missing"; exit 77; }
done

if [[ $mode == helper ]]; then	# a modular kernel (the qemu guest): load what we use
	modprobe -a nfnetlink_cthelper nfnetlink_queue nf_conntrack_netlink nf_nat nf_nat_sip \
		nft_ct nft_chain_nat nft_masq 2>/dev/null || true
fi

tag=$$
lan=nat-lan-$tag gw=nat-gw-$tag wan=nat-wan-$tag
# NAT_KEEP_DIR: where to put the work dir (in_guest.sh shares one with the guest).
tmp=$(mktemp -d "${NAT_KEEP_DIR:-/tmp}/nat-$mode.XXXXXX")
chmod 755 "$tmp"	# the daemon re-reads its config on SIGHUP as user nobody
rundir=/run/nat-alg-$tag	# unix sockets: not on a 9p share (in_guest.sh)
pids=()
fail=0
trap topo_cleanup EXIT

# --- topology: lan (192.168.77.10) -- gw (masquerade) -- wan (203.0.113.2) ---------------
topo_up "$lan" "$gw" "$wan"

# --- the messages, CRLF ---------------------------------------------------------------------
sip_messages "$tmp"

cat > "$tmp/sipalgd.conf" <<CONF
[general]
enabled = yes
user = nobody
status_socket = $rundir/status.sock
log = stderr
log_level = debug
[netfilter]
queue = 7
tcp = $([[ $mode == helper ]] && echo yes || echo no)
degraded_ok = $([[ $mode == degraded ]] && echo yes || echo no)
install_rules = yes
CONF
chmod 644 "$tmp/sipalgd.conf"

content_length_ok() {	# the body is exactly what Content-Length says
	python3 - "$1" <<'PY'
import re, sys
d = open(sys.argv[1], "rb").read()
head, _, body = d.partition(b"\r\n\r\n")
m = re.search(rb"(?im)^(?:content-length|l)\s*:\s*(\d+)", head)
sys.exit(0 if m and int(m.group(1)) == len(body) else 1)
PY
}

status_to() { ip netns exec "$gw" "$bin" status -s "$rundir/status.sock" > "$1" 2>&1 || true; }

start_daemon() {	# start_daemon [PREFIX...]: e.g. setpriv, as the systemd unit runs it
	local before
	before=$(grep -c "sipalgd running:" "$tmp/daemon.log" 2>/dev/null || true)
	rm -f "$rundir/status.sock"	# an unprivileged daemon cannot unlink it in a root-owned dir
	ip netns exec "$gw" "$@" "$bin" -f -c "$tmp/sipalgd.conf" 2>>"$tmp/daemon.log" &
	dpid=$!; pids+=("$dpid")
	for _ in $(seq 50); do
		(($(grep -c "sipalgd running:" "$tmp/daemon.log" || true) > ${before:-0})) && return 0
		sleep 0.1
	done
	echo "sipalgd did not start:"; cat "$tmp/daemon.log"; fail=1; exit 1
}

# wait_ready FILE [NEEDLE]: until FILE exists (or holds NEEDLE), at most 30 s. The peers
# are pythons started over the guest's 9p root: 5 s has not always been enough (a round
# then fails with "received 0" although the gateway passed everything it got).
wait_ready() {
	local i
	for ((i = 0; i < 300; i++)); do
		if [[ -n ${2:-} ]]; then grep -q "$2" "$1" 2>/dev/null && return 0
		else [[ -e $1 ]] && return 0; fi
		sleep 0.1
	done
	echo "note: $1 not ready after 30 s"
}

run_round() {	# run_round NAME LOCAL_PORT: capture both sides, send, collect
	local name=$1 port=$2 d=$tmp/$1
	mkdir -p "$d/wan" "$d/lan"
	ip netns exec "$gw" tcpdump -U -n -i lan0 -w "$d/lan.pcap" udp port 5060 2>/dev/null &
	local t1=$!; pids+=("$t1")
	ip netns exec "$gw" tcpdump -U -n -i wan0 -w "$d/wan.pcap" udp port 5060 2>/dev/null &
	local t2=$!; pids+=("$t2")
	sleep 1
	ip netns exec "$wan" timeout 45 python3 "$here/sip_peer.py" server 203.0.113.2 5060 "$d/wan" 2 8 &
	local srv=$!
	wait_ready "$d/wan/ready"
	ip netns exec "$lan" timeout 45 python3 "$here/sip_peer.py" client 192.168.77.10 "$port" \
		203.0.113.2 5060 "$d/lan" 2 "$tmp/register.sip" "$tmp/invite.sip" || true
	wait "$srv" || true
	sleep 0.5
	kill "$t1" "$t2" 2>/dev/null || true
	wait "$t1" "$t2" 2>/dev/null || true
}

mkdir -p "$rundir"
# configs/sipalgd.nft: syntax accepted here (type "sip" stands in: "sipalg" exists only
# once registered, which this kernel cannot do).
check "configs/sipalgd.nft syntax (nft -c)" bash -c \
	"sed 's/type \"sipalg\"/type \"sip\"/' '$here/../../configs/sipalgd.nft' | ip netns exec '$gw' nft -c -f -"

# As root with user = nobody: setup, then the drop to nobody keeping CAP_NET_ADMIN.
start_daemon
check "root start: dropped to nobody" grep -q "running as nobody with CAP_NET_ADMIN only" "$tmp/daemon.log"
status_to "$tmp/status-root.txt"
check "root start: status answers after the drop" grep -q "^packets 0" "$tmp/status-root.txt"
kill -TERM "$dpid"; wait "$dpid" || true

# The rest as configs/sipalgd.service runs it: unprivileged user, CAP_NET_ADMIN only.
chown 65534:65534 "$rundir"
start_daemon setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all,+net_admin \
	--ambient-caps=-all,+net_admin --bounding-set=-all,+net_admin
check "unit-like start: unprivileged with CAP_NET_ADMIN" grep -q "started unprivileged (uid 65534)" "$tmp/daemon.log"
if [[ $mode == degraded ]]; then
	status_to "$tmp/status-start.txt"
	check "status says DEGRADED" grep -q "mode: DEGRADED" "$tmp/status-start.txt"
else
	status_to "$tmp/status-start.txt"
	check "status says helper mode" grep -q '^mode: helper "sipalg"' "$tmp/status-start.txt"
	check "nft ct helper objects of type sipalg loaded" bash -c \
		"ip netns exec '$gw' nft list table ip sipalgd | grep -q 'type \"sipalg\" protocol udp'"
	check "media port guard installed (input, 10000-20000)" bash -c \
		"ip netns exec '$gw' nft list chain ip sipalgd input | grep -Eq 'udp dport 10000-20000 ct state new counter packets [0-9]+ bytes [0-9]+ drop'"
fi
check "nft table ip sipalgd installed" bash -c "ip netns exec '$gw' nft list table ip sipalgd >/dev/null 2>&1"

# --- round 1: ALG on -------------------------------------------------------------------------
run_round on 5060
d=$tmp/on
check "WAN got REGISTER and INVITE" test -s "$d/wan/recv-0.sip" -a -s "$d/wan/recv-1.sip"
check "REGISTER Via public on WAN" grep -q "^Via: SIP/2.0/UDP 203.0.113.1:5060" "$d/wan/recv-0.sip"
check "REGISTER Contact public on WAN" grep -q "^Contact: <sip:alice@203.0.113.1:5060>" "$d/wan/recv-0.sip"
check "INVITE c= public on WAN" grep -q "^c=IN IP4 203.0.113.1" "$d/wan/recv-1.sip"
check "INVITE o= public on WAN" grep -q "^o=alice 1 1 IN IP4 203.0.113.1" "$d/wan/recv-1.sip"
check "no private address on WAN" bash -c "! grep -q 192.168.77.10 '$d/wan/recv-0.sip' '$d/wan/recv-1.sip'"
check "INVITE Content-Length matches body" content_length_ok "$d/wan/recv-1.sip"
check "200 OK reached LAN" test -s "$d/lan/answer-0.sip"
check "200 OK Via back to inside on LAN" grep -q "^Via: SIP/2.0/UDP 192.168.77.10:5060" "$d/lan/answer-0.sip"
check "200 OK Contact back to inside on LAN" grep -q "^Contact: <sip:alice@192.168.77.10:5060>" "$d/lan/answer-0.sip"
check "tcpdump WAN side: public only, checksums ok" python3 "$here/pcap_sip.py" "$d/wan.pcap" \
	must-contain="c=IN IP4 203.0.113.1" must-not-contain=192.168.77.10 csum-from=203.0.113.1
check "tcpdump LAN side: inside addresses, checksums ok" python3 "$here/pcap_sip.py" "$d/lan.pcap" \
	must-contain="Via: SIP/2.0/UDP 192.168.77.10:5060" must-not-contain="Contact: <sip:alice@203.0.113.1" \
	csum-from=203.0.113.2
ctl=$(ip netns exec "$gw" conntrack -L -p udp --orig-src 192.168.77.10 --orig-port-src 5060 2>/dev/null | head -1)
echo "     conntrack: $ctl"
check "SIP conntrack timeout stretched to the registration (> 3000 s)" \
	test "$(awk '{print $3}' <<<"$ctl")" -gt 3000
# Every later packet of the flow makes the kernel reset the timeout to the UDP stream
# timeout: the daemon must raise it again each time (helper mode: in the packet's own
# verdict; degraded: from its 1 s timer). Three OPTIONS each way on the registered flow.
crlf > "$tmp/options-out.sip" <<'SIP'
OPTIONS sip:203.0.113.2 SIP/2.0
Via: SIP/2.0/UDP 192.168.77.10:5060;branch=z9hG4bK-ka1;rport
Max-Forwards: 70
From: <sip:alice@example.com>;tag=k1
To: <sip:203.0.113.2>
Call-ID: ka-1@alice-pc
CSeq: 1 OPTIONS
Content-Length: 0

SIP
crlf > "$tmp/options-in.sip" <<'SIP'
OPTIONS sip:alice@203.0.113.1:5060 SIP/2.0
Via: SIP/2.0/UDP 203.0.113.2:5060;branch=z9hG4bK-ka2
Max-Forwards: 70
From: <sip:registrar@203.0.113.2>;tag=k2
To: <sip:alice@example.com>
Call-ID: ka-2@registrar
CSeq: 1 OPTIONS
Content-Length: 0

SIP
mkdir -p "$tmp/ka/lan" "$tmp/ka/wan"
ip netns exec "$lan" timeout 10 python3 "$here/sip_peer.py" client 192.168.77.10 5060 \
	203.0.113.2 5060 "$tmp/ka/lan" 0.3 "$tmp/options-out.sip" "$tmp/options-out.sip" \
	"$tmp/options-out.sip" >/dev/null || true
ip netns exec "$wan" timeout 10 python3 "$here/sip_peer.py" client 203.0.113.2 5060 \
	203.0.113.1 5060 "$tmp/ka/wan" 0.3 "$tmp/options-in.sip" "$tmp/options-in.sip" \
	"$tmp/options-in.sip" >/dev/null || true
stream=$(ip netns exec "$gw" cat /proc/sys/net/netfilter/nf_conntrack_udp_timeout_stream)
ka_timeout() {	# the flow's timeout stays stretched (degraded: wait for the 1 s timer)
	local i t
	for i in $(seq 30); do
		t=$(ip netns exec "$gw" conntrack -L -p udp --orig-src 192.168.77.10 --orig-port-src 5060 \
			2>/dev/null | awk 'NR == 1 {print $3}')
		[[ -n $t ]] && ((t > stream && t > 3000)) && break
		sleep 0.1
	done
	echo "     conntrack timeout after 6 more packets: ${t:-none} (udp stream timeout $stream)"
	[[ -n $t ]] && ((t > stream && t > 3000))
}
check "SIP conntrack timeout still above the UDP stream timeout after 6 more packets" ka_timeout
status_to "$tmp/status-on.txt"
check "status counts rewrites" grep -q "^rewritten [1-9]" "$tmp/status-on.txt"
sed -n '/^\[registrations\]/,/^$/p' "$tmp/status-on.txt" | sed 's/^/     /'
if [[ $mode == helper ]]; then	# conntrack glue: the timeout rode in the verdicts, no ctnetlink update
	check "registration timeout carried in verdicts, no ctnetlink round trip" bash -c \
		"grep -q '^timeouts_in_verdict [1-9]' '$tmp/status-on.txt' && grep -q '^timeouts_set 0$' '$tmp/status-on.txt'"
else	# no glue: packets mark the flow, the timer raised it (at most once a second)
	check "registration timeout raised by the timer, not per packet" bash -c \
		"grep -q '^marked_dirty [1-9]' '$tmp/status-on.txt' && grep -q '^timeouts_set [1-9]' '$tmp/status-on.txt' && \
		 (( \$(sed -n 's/^timeouts_set //p' '$tmp/status-on.txt') < \$(sed -n 's/^marked_dirty //p' '$tmp/status-on.txt') ))"
fi

if [[ $mode == helper ]]; then
	# --- expectations: the INVITE's media got RTP and RTCP pinholes ----------------------
	mport=$(sed -n 's/^m=audio \([0-9]*\) .*/\1/p' "$d/wan/recv-1.sip" | head -1)
	ip netns exec "$gw" conntrack -L expect > "$tmp/expect.txt" 2>/dev/null || true
	echo "     WAN m=audio port: ${mport:-none}; conntrack -L expect:"; sed 's/^/       /' "$tmp/expect.txt"
	check "RTP expectation to the announced public port" grep -q "dport=${mport:-x} " "$tmp/expect.txt"
	check "RTCP expectation (port+1)" grep -q "dport=$(( ${mport:-0} + 1 )) " "$tmp/expect.txt"
	check "expectations belong to our helper" grep -q "helper=sipalg" "$tmp/expect.txt"
	# status --json with a live call (daemon/status_report.c), and the debug pinhole lines
	ip netns exec "$gw" "$bin" status --json -s "$rundir/status.sock" > "$tmp/status-on.json" 2>&1 || true
	check "status --json valid against docs/status.schema.json (a live dialog)" python3 \
		"$here/../daemon/json_schema_check.py" "$here/../../docs/status.schema.json" "$tmp/status-on.json"
	check "status --json: the INVITE's dialog with its in-rtp pinhole to the phone" python3 -c "
import json, sys; d = json.load(open('$tmp/status-on.json'))
ok = any(g['call_id'] == 'call-1@alice-pc' and any(p['kind'] == 'in-rtp' and p['nat_to'] == {'ip': '192.168.77.10', 'port': 10000}
         for st in g['streams'] if st['now'] for p in st['now']['pinholes']) for g in d['dialogs'])
sys.exit(0 if ok else 1)"
	grep 'pinhole ' "$tmp/daemon.log" | head -4 | sed 's/^/     /'
	check "debug: a pinhole line per create, naming the NAT target and the INVITE" grep -Eq \
		"^sipalgd: pinhole create: udp [0-9.:any]+ -> 203\.0\.113\.1:${mport:-x} nat-to 192\.168\.77\.10:10000, master .*out INVITE call-id call-1@alice-pc" \
		"$tmp/daemon.log"

	# --- SIP over TCP: rewritten messages change length; seqadj must keep the stream whole
	for i in 1 2; do
		crlf > "$tmp/reg-tcp-$i.sip" <<SIP
REGISTER sip:203.0.113.2 SIP/2.0
Via: SIP/2.0/TCP 192.168.77.10:5070;branch=z9hG4bK-tcp$i
Max-Forwards: 70
From: <sip:carol@example.com>;tag=c$i
To: <sip:carol@example.com>
Call-ID: tcp-reg@carol-pc
CSeq: $i REGISTER
Contact: <sip:carol@192.168.77.10:5070;transport=tcp>
Expires: 600
Content-Length: 0

SIP
	done
	dt=$tmp/tcp; mkdir -p "$dt/wan" "$dt/lan"
	ip netns exec "$wan" timeout 45 python3 "$here/sip_peer.py" tcp-server 203.0.113.2 5060 "$dt/wan" 2 10 &
	srv=$!
	wait_ready "$dt/wan/ready"
	ip netns exec "$lan" timeout 45 python3 "$here/sip_peer.py" tcp-client 192.168.77.10 5070 \
		203.0.113.2 5060 "$dt/lan" 5 "$tmp/reg-tcp-1.sip" "$tmp/reg-tcp-2.sip" || true
	wait "$srv" || true
	check "TCP: both REGISTERs arrived whole" test -s "$dt/wan/recv-1.sip"
	check "TCP: 2nd REGISTER rewritten after a length change (seqadj)" \
		grep -q "^Via: SIP/2.0/TCP 203.0.113.1:5070;branch=z9hG4bK-tcp2" "$dt/wan/recv-1.sip"
	check "TCP: no private address on WAN" bash -c "! grep -q 192.168.77.10 '$dt/wan/'recv-*.sip"
	check "TCP: both 200 OKs back on LAN, inside address restored" bash -c \
		"grep -q '^Via: SIP/2.0/TCP 192.168.77.10:5070;branch=z9hG4bK-tcp2' '$dt/lan/answer-1.sip'"
fi

# --- round 2: SIGHUP to enabled = no: byte for byte -----------------------------------------
sed -i 's/^enabled = yes/enabled = no/' "$tmp/sipalgd.conf"
kill -HUP "$dpid"
sleep 0.5
run_round off 5062
d=$tmp/off
check "enabled=no: REGISTER byte-identical" cmp -s "$tmp/register.sip" "$d/wan/recv-0.sip"
check "enabled=no: INVITE byte-identical" cmp -s "$tmp/invite.sip" "$d/wan/recv-1.sip"
status_to "$tmp/status-off.txt"
check "enabled=no: status says disabled" grep -q "^alg: DISABLED" "$tmp/status-off.txt"
check "enabled=no: no media port guard (reload swapped the table)" bash -c \
	"! ip netns exec '$gw' nft list table ip sipalgd | grep -q 'hook input'"

# --- kill -9: traffic still passes (queue bypass); a restart over the leftovers works -------
kill -KILL "$dpid"; wait "$dpid" 2>/dev/null || true
run_round crashed 5064
d=$tmp/crashed
check "daemon killed: SIP still crosses (bypass, not dropped)" test -s "$d/wan/recv-1.sip"
sed -i 's/^enabled = no/enabled = yes/' "$tmp/sipalgd.conf"
start_daemon setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all,+net_admin \
	--ambient-caps=-all,+net_admin --bounding-set=-all,+net_admin
check "restart over a stale helper and table" bash -c "ip netns exec '$gw' nft list table ip sipalgd >/dev/null 2>&1"
run_round restarted 5060	# the messages name port 5060: only that binding matches
d=$tmp/restarted
check "after restart: REGISTER Via public again" grep -q "^Via: SIP/2.0/UDP 203.0.113.1:5060" "$d/wan/recv-0.sip"

# --- a burst: 3000 REGISTERs as fast as the LAN host sends them ------------------------------
# The queue backs up and a drain holds hundreds of packets; their verdicts must still fit
# one sendto (a 512 KB one was refused with EMSGSIZE and left every packet of that drain in
# the queue for ever). All must arrive, rewritten. sip_flood: tests/bench, same build tree.
flood=$(dirname "$bin")/../tests/bench/sip_flood
if [[ -x $flood ]]; then
	ip netns exec "$wan" "$flood" recv 203.0.113.2 5060 3000 192.168.77.10 >"$tmp/burst.out" &
	fr=$!; pids+=("$fr")
	wait_ready "$tmp/burst.out" ready
	ip netns exec "$lan" "$flood" send 192.168.77.10 5060 203.0.113.2 5060 "$tmp/register.sip" 3000 \
		>"$tmp/burst-send.out" 2>&1 || true
	wait "$fr" || true
	status_to "$tmp/status-burst.txt"
	check "burst of 3000 REGISTERs: all arrived, rewritten ($(tail -n1 "$tmp/burst.out"))" \
		grep -q "^received 3000 leaked 0 " "$tmp/burst.out"
	check "burst: no verdict send error" grep -q "^verdict_send_errors 0$" "$tmp/status-burst.txt"
else
	echo "note: $flood not built: burst not tried"
fi

# --- SIGTERM: clean exit removes our table ---------------------------------------------------
kill -TERM "$dpid"; wait "$dpid" || true
check "SIGTERM: nft table removed" bash -c "! ip netns exec '$gw' nft list table ip sipalgd >/dev/null 2>&1"
((fail == 0)) && echo "PASS" || { echo "--- daemon log"; tail -40 "$tmp/daemon.log"; }
exit $fail
