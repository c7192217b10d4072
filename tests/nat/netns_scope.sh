#!/usr/bin/env bash
# Root test, this host's kernel (degraded mode), of mode = observe and of the ALG's scope:
#
#   lan 192.168.77.10 -- gw (lan0; wan0 masquerade; vpn0 routed, NO NAT) -- wan 203.0.113.2
#                                                                        -- vpn 10.8.0.5
#   netns_scope.sh SIPALGD_BINARY [helper]
#   (helper: a kernel with nfnetlink_cthelper - in_guest.sh runs it in the qemu guest - where
#   the pinholes are checked in `conntrack -L expect` too)
#
# 1. mode = observe: REGISTER and INVITE+SDP to the WAN cross byte for byte (the WAN peer's
#    copy equals what the LAN host sent; the SIP payloads captured on lan0 and wan0 are the
#    same, both ways), the log names the Call-ID, the method, each change and the pinholes,
#    the status counts them, and the SIP conntrack's timeout is not stretched.
# 2. SIGHUP to mode = rewrite, same messages on a fresh flow: rewritten (what makes 1 able to
#    fail) and the timeout stretched.
# 3. A routed VPN-style flow (lan -> 10.8.0.5 over vpn0, no NAT): byte for byte on both
#    legs; the daemon saw it and passed it as out of scope (its conntrack shows no NAT).
# 3b. helper: SIGHUP to no_nat_pinholes = yes: the VPN flow is still byte for byte, and gets
#    plain expectations to the phone's own ports (no NAT).
# 4. SIGHUP to exclude = vpn0 and interfaces = wan0: the VPN flow is not even queued (the
#    daemon's packet counter stays), and the WAN flow is still helped.
# Exit 77 (ctest SKIP) when not root or a tool is missing.
set -euo pipefail
bin=$(readlink -f "${1:?usage: $0 SIPALGD_BINARY [helper]}")
mode=${2:-degraded}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/netns_topo.sh"
((EUID == 0)) || { echo "SKIP: needs root (network namespaces)"; exit 77; }
for t in ip nft conntrack tcpdump python3; do
	command -v "$t" >/dev/null || { echo "SKIP: $t missing"; exit 77; }
done

if [[ $mode == helper ]]; then	# a modular kernel (the qemu guest): load what we use
	modprobe -a nfnetlink_cthelper nfnetlink_queue nf_conntrack_netlink nf_nat nf_nat_sip \
		nft_ct nft_chain_nat nft_masq nft_fib_ipv4 2>/dev/null || true
fi
tag=$$
lan=sc-lan-$tag gw=sc-gw-$tag wan=sc-wan-$tag vpn=sc-vpn-$tag
tmp=$(mktemp -d "${NAT_KEEP_DIR:-/tmp}/nat-scope.XXXXXX")
chmod 755 "$tmp"
rundir=/run/nat-scope-$tag
pids=()
fail=0
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	topo_down "$lan" "$gw" "$wan" "$vpn"
	rm -rf "$rundir"
	if ((fail)) || [[ -n ${NAT_KEEP:-} ]]; then echo "kept for inspection: $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

topo_up "$lan" "$gw" "$wan"
# the VPN leg: routed, and the masquerade is only for wan0
ip netns add "$vpn"
ip -n "$gw" link add vpn0 type veth peer name eth0 netns "$vpn"
ip -n "$gw" addr add 10.8.0.1/24 dev vpn0
ip -n "$vpn" addr add 10.8.0.5/24 dev eth0
ip -n "$vpn" link set lo up; ip -n "$vpn" link set eth0 up; ip -n "$gw" link set vpn0 up
ip -n "$vpn" route add default via 10.8.0.1
sip_messages "$tmp"
mkdir -p "$rundir"

cat > "$tmp/sipalgd.conf" <<CONF
[general]
mode = observe
user = nobody
status_socket = $rundir/status.sock
log = stderr
log_level = info
[netfilter]
queue = 9
tcp = no
degraded_ok = $([[ $mode == degraded ]] && echo yes || echo no)
CONF
chmod 644 "$tmp/sipalgd.conf"

status_to() { ip netns exec "$gw" "$bin" status -s "$rundir/status.sock" > "$1" 2>&1 || true; }
expects() { ip netns exec "$gw" conntrack -L expect 2>/dev/null || true; }
counter() { sed -n "s/^$2 //p" "$1" | head -1 || true; }

ip netns exec "$gw" "$bin" -f -c "$tmp/sipalgd.conf" 2>>"$tmp/daemon.log" &
dpid=$!; pids+=("$dpid")
for _ in $(seq 50); do grep -q "sipalgd running:" "$tmp/daemon.log" && break; sleep 0.1; done
grep -q "sipalgd running:" "$tmp/daemon.log" || { echo "sipalgd did not start:"; cat "$tmp/daemon.log"; fail=1; exit 1; }

reload() {	# reload: SIGHUP, wait for the "configuration reloaded" line
	local n
	n=$(grep -c "configuration reloaded" "$tmp/daemon.log" || true)
	kill -HUP "$dpid"
	for _ in $(seq 50); do
		(($(grep -c "configuration reloaded" "$tmp/daemon.log" || true) > n)) && return 0
		sleep 0.1
	done
	echo "note: no reload line"; return 1
}

wait_ready() {
	local i
	for ((i = 0; i < 300; i++)); do [[ -e $1 ]] && return 0; sleep 0.1; done
	echo "note: $1 not ready after 30 s"
}

# round NAME PEER_NS PEER_IP OUT_IF: REGISTER + INVITE from lan:5060 to the peer, captured
# on lan0 and on OUT_IF of the gateway
round() {
	local name=$1 peer=$2 ip=$3 oif=$4 d=$tmp/$1
	mkdir -p "$d/peer" "$d/lan"
	ip netns exec "$gw" tcpdump -U -n -i lan0 -w "$d/lan.pcap" udp port 5060 2>/dev/null &
	local t1=$!; pids+=("$t1")
	ip netns exec "$gw" tcpdump -U -n -i "$oif" -w "$d/out.pcap" udp port 5060 2>/dev/null &
	local t2=$!; pids+=("$t2")
	sleep 1
	ip netns exec "$peer" timeout 30 python3 "$here/sip_peer.py" server "$ip" 5060 "$d/peer" 2 8 &
	local srv=$!
	wait_ready "$d/peer/ready"
	ip netns exec "$lan" timeout 30 python3 "$here/sip_peer.py" client 192.168.77.10 5060 \
		"$ip" 5060 "$d/lan" 2 "$tmp/register.sip" "$tmp/invite.sip" || true
	wait "$srv" || true
	sleep 0.5
	kill "$t1" "$t2" 2>/dev/null || true
	wait "$t1" "$t2" 2>/dev/null || true
	python3 "$here/pcap_payloads.py" "$d/lan.pcap" > "$d/lan.hex"
	python3 "$here/pcap_payloads.py" "$d/out.pcap" > "$d/out.hex"
}
same_both_legs() {	# same_both_legs DIR: 3 datagrams (REGISTER, 200 OK, INVITE), equal on both legs
	[[ $(wc -l < "$1/lan.hex") -ge 3 ]] && cmp -s "$1/lan.hex" "$1/out.hex"
}
sip_timeout() {	# the conntrack timeout of lan:5060 -> PEER:5060
	ip netns exec "$gw" conntrack -L -p udp --orig-src 192.168.77.10 --orig-port-src 5060 \
		--orig-dst "$1" 2>/dev/null | awk 'NR == 1 {print $3}' || true
}

# --- 1. observe ---------------------------------------------------------------------------
check "start: observe mode announced" grep -q "ALG enabled in OBSERVE mode" "$tmp/daemon.log"
round observe "$wan" 203.0.113.2 wan0
d=$tmp/observe
check "observe: REGISTER reached the WAN byte for byte" cmp -s "$tmp/register.sip" "$d/peer/recv-0.sip"
check "observe: INVITE reached the WAN byte for byte" cmp -s "$tmp/invite.sip" "$d/peer/recv-1.sip"
check "observe: 200 OK reached the LAN" test -s "$d/lan/answer-0.sip"
check "observe: SIP payloads identical on lan0 and wan0, both ways ($(wc -l < "$d/lan.hex") datagrams)" \
	same_both_legs "$d"
{ grep "observe " "$tmp/daemon.log" || true; } | sed "s/^/     log: /"
check "observe: log names the INVITE's Call-ID and its Via change" grep -q \
	'observe INVITE \[call-1@alice-pc\]: would change via "192.168.77.10:5060" to "203.0.113.1:5060"' "$tmp/daemon.log"
check "observe: log names the SDP c= change" grep -q \
	'observe INVITE \[call-1@alice-pc\]: would change sdp-connection "192.168.77.10" to "203.0.113.1"' "$tmp/daemon.log"
check "observe: log names the pinholes it would open" grep -q \
	'observe INVITE \[call-1@alice-pc\]: would open pinholes: audio stream 0, 203.0.113.1:<pool port> -> inside 192.168.77.10:10000 (RTP)' "$tmp/daemon.log"
check "observe: log names the REGISTER's Contact change" grep -q \
	'observe REGISTER \[reg-1@alice-pc\]: would change contact' "$tmp/daemon.log"
check "observe: a summary line per message, passed unchanged" grep -q \
	'observe INVITE \[call-1@alice-pc\]: outbound 192.168.77.10:5060 -> 203.0.113.2:5060: .* passed unchanged (mode = observe)' "$tmp/daemon.log"
status_to "$tmp/status-observe.txt"
sed -n '/^\[scope and observe\]/,/^$/p' "$tmp/status-observe.txt" | sed 's/^/     /'
check "observe: status says observe and counts messages, changes, pinholes" bash -c \
	"grep -q '^mode observe' '$tmp/status-observe.txt' && grep -q '^observed_messages [2-9]' '$tmp/status-observe.txt' && \
	 grep -q '^observed_changes [4-9]' '$tmp/status-observe.txt' && grep -q '^observed_pinhole_streams 1' '$tmp/status-observe.txt'"
check "observe: nothing rewritten" grep -q "^rewritten 0$" "$tmp/status-observe.txt"
if [[ $mode == helper ]]; then
	expects > "$tmp/expect-observe.txt"
	check "observe: no expectation in the kernel" bash -c "! grep -q dport=1 '$tmp/expect-observe.txt'"
fi
sleep 1.5	# the 1 s timer would raise a registered flow's timeout here
t=$(sip_timeout 203.0.113.2)
echo "     conntrack timeout after the 200 OK to REGISTER: ${t:-none}"
check "observe: SIP conntrack timeout not stretched to the registration (< 3000 s)" \
	test "${t:-0}" -gt 0 -a "${t:-99999}" -lt 3000

# --- 2. rewrite: the same messages are helped (the checks above can fail) -------------------
sed -i 's/^mode = observe/mode = rewrite/' "$tmp/sipalgd.conf"
reload
ip netns exec "$gw" conntrack -D -p udp --orig-src 192.168.77.10 >/dev/null 2>&1 || true
round rewrite "$wan" 203.0.113.2 wan0
d=$tmp/rewrite
check "rewrite: INVITE Via public on the WAN" grep -q "^Via: SIP/2.0/UDP 203.0.113.1:5060" "$d/peer/recv-1.sip"
check "rewrite: payloads differ between lan0 and wan0" bash -c "! cmp -s '$d/lan.hex' '$d/out.hex'"
if [[ $mode == helper ]]; then
	mport=$(sed -n 's/^m=audio \([0-9]*\) .*/\1/p' "$d/peer/recv-1.sip" | head -1)
	expects > "$tmp/expect-rewrite.txt"; sed 's/^/     /' "$tmp/expect-rewrite.txt"
	check "rewrite: RTP expectation to the announced public port ${mport:-none}" \
		grep -q "dst=203.0.113.1 sport=0 dport=${mport:-x} " "$tmp/expect-rewrite.txt"
fi
t=$(sip_timeout 203.0.113.2)
for _ in $(seq 20); do [[ ${t:-0} -gt 3000 ]] && break; sleep 0.1; t=$(sip_timeout 203.0.113.2); done
check "rewrite: SIP conntrack timeout stretched (${t:-none} s)" test "${t:-0}" -gt 3000

# --- 3. a routed VPN flow, no NAT: left alone ---------------------------------------------
status_to "$tmp/status-before-vpn.txt"
round vpn "$vpn" 10.8.0.5 vpn0
d=$tmp/vpn
ctv=$(ip netns exec "$gw" conntrack -L -p udp --orig-dst 10.8.0.5 2>/dev/null | head -1)
echo "     conntrack: $ctv"
check "vpn: flow not NATed (reply goes to 192.168.77.10)" grep -q "dst=192.168.77.10 sport=5060 dport=5060" <<<"$ctv"
check "vpn: REGISTER reached the VPN peer byte for byte" cmp -s "$tmp/register.sip" "$d/peer/recv-0.sip"
check "vpn: INVITE reached the VPN peer byte for byte" cmp -s "$tmp/invite.sip" "$d/peer/recv-1.sip"
check "vpn: SIP payloads identical on lan0 and vpn0, both ways" same_both_legs "$d"
status_to "$tmp/status-vpn.txt"
check "vpn: the daemon saw it and passed it as out of scope" \
	test "$(counter "$tmp/status-vpn.txt" out_of_scope_passed)" -ge 1
check "vpn: nothing rewritten" test "$(counter "$tmp/status-vpn.txt" rewritten)" = \
	"$(counter "$tmp/status-before-vpn.txt" rewritten)"
if [[ $mode == helper ]]; then
	expects > "$tmp/expect-vpn.txt"
	check "vpn: no pinhole to the phone by default" bash -c "! grep -q 'dst=192.168.77.10' '$tmp/expect-vpn.txt'"
	# --- 3b. no_nat_pinholes = yes: plain pinholes, bytes still untouched -------------------
	sed -i 's/^degraded_ok = no/degraded_ok = no\nno_nat_pinholes = yes/' "$tmp/sipalgd.conf"
	reload
	ip netns exec "$gw" conntrack -D -p udp --orig-src 192.168.77.10 >/dev/null 2>&1 || true
	round vpn-pinholes "$vpn" 10.8.0.5 vpn0
	d=$tmp/vpn-pinholes
	expects > "$tmp/expect-vpn-pinholes.txt"; sed 's/^/     /' "$tmp/expect-vpn-pinholes.txt"
	check "no_nat_pinholes: INVITE reached the VPN peer byte for byte" cmp -s "$tmp/invite.sip" "$d/peer/recv-1.sip"
	check "no_nat_pinholes: SIP payloads identical on lan0 and vpn0" same_both_legs "$d"
	check "no_nat_pinholes: RTP and RTCP expectations to the phone's own ports 10000/10001" bash -c \
		"grep -q 'dst=192.168.77.10 sport=0 dport=10000 ' '$tmp/expect-vpn-pinholes.txt' && \
		 grep -q 'dst=192.168.77.10 sport=0 dport=10001 ' '$tmp/expect-vpn-pinholes.txt'"
	sed -i '/^no_nat_pinholes = yes/d' "$tmp/sipalgd.conf"
fi

# --- 4. exclude = vpn0, interfaces = wan0: the VPN flow is not even queued ------------------
sed -i 's/^\(degraded_ok = .*\)/\1\ninterfaces = wan0\nexclude = vpn0, 10.8.0.0\/24/' "$tmp/sipalgd.conf"
reload
chain=postrouting oif=oifname
[[ $mode == helper ]] && chain=prerouting oif="fib daddr oifname"	# before routing: the route's
ip netns exec "$gw" nft list chain ip sipalgd $chain > "$tmp/$chain.txt" 2>&1 || true
sed 's/^/     /' "$tmp/$chain.txt"
check "exclude: nft ($chain) returns vpn0 and 10.8.0.0/24 before the SIP rules" bash -c \
	"grep -q '$oif \"vpn0\" return' '$tmp/$chain.txt' && grep -q 'ip daddr 10.8.0.0/24 return' '$tmp/$chain.txt' && \
	 grep -q 'iifname != \"wan0\" $oif != \"wan0\" return' '$tmp/$chain.txt'"
check "exclude: log line names the scope" grep -q "scope: interfaces wan0; exclude vpn0,10.8.0.0/24" "$tmp/daemon.log"
ip netns exec "$gw" conntrack -D -p udp --orig-src 192.168.77.10 >/dev/null 2>&1 || true
status_to "$tmp/status-before-ex.txt"
round vpn-excluded "$vpn" 10.8.0.5 vpn0
d=$tmp/vpn-excluded
status_to "$tmp/status-ex.txt"
check "exclude: INVITE reached the VPN peer byte for byte" cmp -s "$tmp/invite.sip" "$d/peer/recv-1.sip"
check "exclude: SIP payloads identical on lan0 and vpn0" same_both_legs "$d"
check "exclude: not queued (packets $(counter "$tmp/status-before-ex.txt" packets) -> $(counter "$tmp/status-ex.txt" packets))" \
	test "$(counter "$tmp/status-ex.txt" packets)" = "$(counter "$tmp/status-before-ex.txt" packets)"
round wan-scoped "$wan" 203.0.113.2 wan0
d=$tmp/wan-scoped
check "interfaces = wan0: the WAN flow is still helped" grep -q "^Via: SIP/2.0/UDP 203.0.113.1:5060" "$d/peer/recv-1.sip"
check "interfaces = wan0: no private address on the WAN" bash -c "! grep -q 192.168.77.10 '$d/peer/recv-0.sip' '$d/peer/recv-1.sip'"

kill -TERM "$dpid"; wait "$dpid" || true
((fail == 0)) && echo "PASS" || { echo "--- daemon log"; tail -40 "$tmp/daemon.log"; }
exit $fail
