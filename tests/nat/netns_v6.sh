#!/usr/bin/env bash
# IPv6 SIP through sipalgd on a routed dual-stack gateway (issue 11): no NAT66, a stateful
# firewall whose ip6 forward chain drops everything but LAN->WAN and established/related.
#
#   netns_v6.sh degraded SIPALGD_BINARY   # this host's kernel: no nfnetlink_cthelper
#   netns_v6.sh helper SIPALGD_BINARY     # a kernel with it (in_guest.sh runs it in the guest)
#
#   LAN phone 2001:db8:1::10 -- GW lan0 2001:db8:1::1 | wan0 2001:db8:2::1 -- WAN 2001:db8:2::2
#   (and 2001:db8:2::3, a stranger on the WAN side)
#
# B. The phone registers over IPv6; the WAN side calls it on that flow (the firewall lets it
#    in as established), the phone answers with m=audio 4100.
# A. The phone calls out from a new flow (its first packet is the INVITE, m=audio 4000); the
#    WAN side answers naming its media [2001:db8:2::2]:30000.
# Both modes: the IPv6 SIP is queued (status: ipv6 packets, routed messages), every message
#    arrives byte for byte (nothing to rewrite when routed), the daemon shows both families;
#    UDP from the WAN to a phone port nobody announced is dropped by the firewall.
# helper: conntrack -L expect -f ipv6 holds the RTP and RTCP pinholes to the phone's own
#    [v6]:port, owned by our helper, no NAT; the far end's RTP reaches the phone (RELATED),
#    a stranger's to the same port does not; the BYE removes the call's pinholes.
# degraded: no expectation is possible, so the same far RTP is dropped - the documented limit.
# Exit 77 (ctest SKIP) when not root or a tool is missing.
set -euo pipefail
mode=${1:?usage: $0 degraded|helper SIPALGD_BINARY}
bin=$(readlink -f "${2:?usage: $0 degraded|helper SIPALGD_BINARY}")
[[ $mode == degraded || $mode == helper ]] || { echo "mode must be degraded or helper"; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
. "$here/netns_topo.sh"
((EUID == 0)) || { echo "SKIP: needs root (network namespaces)"; exit 77; }
for t in ip nft conntrack python3 cmp; do
	command -v "$t" >/dev/null || { echo "SKIP: $t missing"; exit 77; }
done
[[ -e /proc/net/if_inet6 ]] || { echo "SKIP: no IPv6 in this kernel"; exit 77; }
if [[ $mode == helper ]]; then	# a modular kernel (the qemu guest): load what we use
	modprobe -a nfnetlink_cthelper nfnetlink_queue nf_conntrack_netlink nft_ct 2>/dev/null || true
fi

tag=$$
lan=v6-lan-$tag gw=v6-gw-$tag wan=v6-wan-$tag
tmp=$(mktemp -d "${NAT_KEEP_DIR:-/tmp}/nat-v6-$mode.XXXXXX")
chmod 755 "$tmp"
rundir=/run/nat-v6-$tag
pids=()
fail=0
trap topo_cleanup EXIT

PHONE=2001:db8:1::10 FAR=2001:db8:2::2 STRANGER=2001:db8:2::3
# --- topology: routed IPv6, no NAT; DAD off so the addresses are usable at once -----------
ip netns add "$lan"; ip netns add "$gw"; ip netns add "$wan"
for n in "$lan" "$gw" "$wan"; do
	ip netns exec "$n" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
	ip -n "$n" link set lo up
done
ip -n "$lan" link add eth0 type veth peer name lan0 netns "$gw"
ip -n "$gw" link add wan0 type veth peer name eth0 netns "$wan"
ip -n "$lan" addr add $PHONE/64 dev eth0 nodad
ip -n "$gw" addr add 2001:db8:1::1/64 dev lan0 nodad
ip -n "$gw" addr add 2001:db8:2::1/64 dev wan0 nodad
ip -n "$wan" addr add $FAR/64 dev eth0 nodad
ip -n "$wan" addr add $STRANGER/64 dev eth0 nodad
ip -n "$lan" link set eth0 up; ip -n "$wan" link set eth0 up
ip -n "$gw" link set lan0 up; ip -n "$gw" link set wan0 up
ip -n "$lan" -6 route add default via 2001:db8:1::1
ip -n "$wan" -6 route add 2001:db8:1::/64 via 2001:db8:2::1
ip netns exec "$gw" sysctl -qw net.ipv6.conf.all.forwarding=1
# the stateful firewall: nothing in from the WAN that conntrack does not relate to a flow
ip netns exec "$gw" nft -f - <<'NFT'
table ip6 fw {
	chain forward {
		type filter hook forward priority filter + 10; policy drop;
		ct state established,related accept
		iifname "lan0" oifname "wan0" accept
		meta l4proto ipv6-icmp accept
		counter comment "dropped"
	}
}
NFT
for _ in $(seq 50); do	# neighbours and routes up
	ip netns exec "$lan" ping -6 -c1 -W1 $FAR >/dev/null 2>&1 && break
	sleep 0.1
done

crlf() { sed 's/$/\r/'; }
sdp() {	# sdp ADDR PORT
	crlf <<SDP
v=0
o=alice 1 1 IN IP6 $1
s=-
c=IN IP6 $1
t=0 0
m=audio $2 RTP/AVP 0
a=rtpmap:0 PCMU/8000
SDP
}
message() {	# message FILE START_LINE VIA_HOST VIA_PORT CALL_ID CSEQ [SDP_ADDR SDP_PORT]
	local f=$1 start=$2 vh=$3 vp=$4 cid=$5 cseq=$6 body=""
	[[ -n ${7:-} ]] && { body=$(sdp "$7" "$8"); body+=$'\r\n'; }
	{
		printf '%s\r\n' "$start" "Via: SIP/2.0/UDP [$vh]:$vp;branch=z9hG4bK-$cid-${cseq%% *};rport" \
			"Max-Forwards: 70" "From: <sip:alice@example.com>;tag=a-$cid" \
			"To: <sip:bob@example.com>" "Call-ID: $cid" "CSeq: $cseq" \
			"Contact: <sip:alice@[$vh]:$vp>"
		[[ -n $body ]] && printf '%s\r\n' "Content-Type: application/sdp"
		printf '%s\r\n\r\n' "Content-Length: ${#body}"
		printf '%s' "$body"
	} > "$f"
}
message "$tmp/register.sip" "REGISTER sip:example.com SIP/2.0" $PHONE 5060 reg6 "1 REGISTER"
sed -i 's/^Contact: \(.*\)\r$/Contact: \1\r\nExpires: 3600\r/' "$tmp/register.sip"
message "$tmp/invite-in.sip" "INVITE sip:alice@[$PHONE]:5060 SIP/2.0" $FAR 5060 in6 "7 INVITE" $FAR 30100
message "$tmp/invite-out.sip" "INVITE sip:bob@[$FAR] SIP/2.0" $PHONE 5062 out6 "1 INVITE" $PHONE 4000
message "$tmp/bye-out.sip" "BYE sip:bob@[$FAR] SIP/2.0" $PHONE 5062 out6 "2 BYE"
sed -i 's/^To: <sip:bob@example.com>\r$/To: <sip:bob@example.com>;tag=uas1\r/' "$tmp/bye-out.sip"

mkdir -p "$rundir"
cat > "$tmp/sipalgd.conf" <<CONF
[general]
enabled = yes
user = nobody
status_socket = $rundir/status.sock
log = stderr
log_level = debug
[netfilter]
queue = 9
tcp = no
degraded_ok = $([[ $mode == degraded ]] && echo yes || echo no)
install_rules = yes
; subnets no flow here has: each table must take its own family's only
exclude = fd00:99::/64, 10.99.0.0/16
CONF
chmod 644 "$tmp/sipalgd.conf"
ip netns exec "$gw" "$bin" -f -c "$tmp/sipalgd.conf" 2>>"$tmp/daemon.log" &
dpid=$!; pids+=("$dpid")
for _ in $(seq 50); do grep -q "sipalgd running:" "$tmp/daemon.log" && break; sleep 0.1; done
grep -q "sipalgd running:" "$tmp/daemon.log" || { echo "sipalgd did not start:"; cat "$tmp/daemon.log"; fail=1; exit 1; }
not() { if "$@"; then return 1; fi; return 0; }
status() { ip netns exec "$gw" "$bin" status -s "$rundir/status.sock" > "$1" 2>&1 || true; }
counter() { sed -n "s/^$2 \([0-9]*\)$/\1/p" "$1" | head -1; }
wait_file() { local i; for ((i = 0; i < 100; i++)); do [[ -e $1 ]] && return 0; sleep 0.1; done; echo "note: $1 not there"; }
expects() { ip netns exec "$gw" conntrack -L expect -f ipv6 2>/dev/null || true; }
# rtp_reaches FROM SPORT PORT: does the far side's RTP to [PHONE]:PORT arrive? (count > 0)
rtp_reaches() {
	local out=$tmp/rtp-$1-$2-$3
	rm -f "$out" "$out.ready"
	ip netns exec "$lan" timeout 10 python3 "$here/v6_peer.py" rtp-recv $PHONE "$3" 2.5 "$out" &
	local r=$!
	wait_file "$out.ready"
	ip netns exec "$wan" timeout 10 python3 "$here/v6_peer.py" rtp-send "$1" "$2" $PHONE "$3" 20 || true
	wait "$r" || true
	echo "     RTP [$1]:$2 -> [$PHONE]:$3: $(cat "$out" 2>/dev/null || echo none) received"
	[[ $(cat "$out" 2>/dev/null || echo 0) -gt 0 ]]
}

status "$tmp/status-start.txt"
check "status: both families" grep -q "^families: ipv4, ipv6" "$tmp/status-start.txt"
check "nft table ip6 sipalgd installed" bash -c "ip netns exec '$gw' nft list table ip6 sipalgd >/dev/null"
check "exclude: the ip6 table returns the IPv6 subnet, not the IPv4 one" bash -c \
	"ip netns exec '$gw' nft list table ip6 sipalgd > '$tmp/nft6.txt' && grep -q 'ip6 saddr fd00:99::/64 return' '$tmp/nft6.txt' && ! grep -q '10\.99\.' '$tmp/nft6.txt'"
check "exclude: the ip table returns the IPv4 subnet, not the IPv6 one" bash -c \
	"ip netns exec '$gw' nft list table ip sipalgd > '$tmp/nft4.txt' && grep -q 'ip saddr 10.99.0.0/16 return' '$tmp/nft4.txt' && ! grep -q 'fd00' '$tmp/nft4.txt'"
if [[ $mode == helper ]]; then
	check "ip6 table: ct helper objects of our helper, l3proto ip6" bash -c \
		"ip netns exec '$gw' nft list table ip6 sipalgd | grep -A2 'type \"sipalg\" protocol udp' | grep -q 'l3proto ip6'"
fi

# --- B. register, then an inbound call on the registered flow -----------------------------
mkdir -p "$tmp/b-wan" "$tmp/b-lan"
ip netns exec "$wan" timeout 20 python3 "$here/v6_peer.py" uas $FAR 5060 "$tmp/b-wan" 8 30100 1 &
srv=$!
wait_file "$tmp/b-wan/ready"
ip netns exec "$lan" timeout 20 python3 "$here/v6_peer.py" send $PHONE 5060 $FAR 5060 "$tmp/b-lan" 4 \
	"$tmp/register.sip" || true
wait "$srv" || true
check "REGISTER over IPv6 arrives byte for byte" cmp -s "$tmp/register.sip" "$tmp/b-wan/recv-1.sip"
check "its 200 OK reaches the phone" grep -q "^SIP/2.0 200 OK" "$tmp/b-lan/answer-1.sip"
sleep 1.5	# degraded: the 1 s timer raises the timeout over ctnetlink
ip netns exec "$gw" conntrack -L -f ipv6 -p udp --orig-port-src 5060 --orig-port-dst 5060 \
	> "$tmp/ct-reg.txt" 2>/dev/null || true
echo "     the SIP flow's conntrack: $(head -1 "$tmp/ct-reg.txt")"
check "the registered IPv6 flow's timeout is stretched (the firewall keeps it open for calls)" \
	bash -c "[[ \$(awk '{print \$3; exit}' '$tmp/ct-reg.txt') -gt 600 ]]"
mkdir -p "$tmp/b-phone" "$tmp/b-call"
ip netns exec "$lan" timeout 20 python3 "$here/v6_peer.py" phone $PHONE 5060 "$tmp/b-phone" 8 4100 &
ph=$!
wait_file "$tmp/b-phone/ready"
ip netns exec "$wan" timeout 20 python3 "$here/v6_peer.py" call $FAR 5060 $PHONE 5060 "$tmp/b-call" 4 \
	"$tmp/invite-in.sip" || true
wait "$ph" || true
check "inbound INVITE rings the phone through the firewall (its registered flow)" \
	cmp -s "$tmp/invite-in.sip" "$tmp/b-phone/invite.sip"
check "the phone's 200 OK reaches the caller, its SDP as sent" \
	grep -q "^m=audio 4100 " "$tmp/b-call/answer-1.sip"
expects > "$tmp/expect-b.txt"
echo "     conntrack -L expect -f ipv6 after the inbound call:"; sed 's/^/       /' "$tmp/expect-b.txt"
if [[ $mode == helper ]]; then
	check "B: RTP pinhole to the phone's own [v6]:4100, narrowed to the caller's media address" \
		grep -q "src=$FAR dst=$PHONE sport=0 dport=4100 " "$tmp/expect-b.txt"
	check "B: RTCP pinhole to 4101" grep -q "dport=4101 " "$tmp/expect-b.txt"
	check "B: the far end's RTP reaches the phone (RELATED)" rtp_reaches $FAR 30100 4100
else
	check "B: degraded - no expectation possible" bash -c "! grep -q 'dport=4100 ' '$tmp/expect-b.txt'"
	check "B: degraded - so the far end's RTP is dropped by the firewall" not rtp_reaches $FAR 30100 4100
fi

# --- A. an outbound call whose INVITE opens its flow ---------------------------------------
mkdir -p "$tmp/a-wan" "$tmp/a-lan"
ip netns exec "$wan" timeout 20 python3 "$here/v6_peer.py" uas $FAR 5060 "$tmp/a-wan" 40 30000 2 &
srv=$!
wait_file "$tmp/a-wan/ready"
ip netns exec "$lan" timeout 20 python3 "$here/v6_peer.py" send $PHONE 5062 $FAR 5060 "$tmp/a-lan" 4 \
	"$tmp/invite-out.sip" || true
check "INVITE (a new flow's first packet) arrives byte for byte" cmp -s "$tmp/invite-out.sip" "$tmp/a-wan/recv-1.sip"
check "its 200 OK reaches the phone" grep -q "^m=audio 30000 " "$tmp/a-lan/answer-1.sip"
expects > "$tmp/expect-a.txt"
echo "     conntrack -L expect -f ipv6 after the outbound call's answer:"; sed 's/^/       /' "$tmp/expect-a.txt"
if [[ $mode == helper ]]; then
	check "A: RTP pinhole to the phone's own [v6]:4000" grep -q "dport=4000 " "$tmp/expect-a.txt"
	check "A: RTCP pinhole to 4001" grep -q "dport=4001 " "$tmp/expect-a.txt"
	check "A: pinholes belong to our helper" grep -q "helper=sipalg" "$tmp/expect-a.txt"
	check "A: narrowed to the far end's address" grep -q "src=$FAR dst=$PHONE sport=0 dport=4000 " "$tmp/expect-a.txt"
	check "A: no NAT on them (routed)" bash -c "! grep -q 'nat' '$tmp/expect-a.txt'"
	check "A: nothing but RTP and RTCP of the two calls" bash -c \
		"[[ \$(grep -c 'helper=sipalg' '$tmp/expect-a.txt') -le 4 ]] && ! grep -Eq ' dst=$PHONE sport=[0-9]+ dport=(5060|5062|4002) ' '$tmp/expect-a.txt'"
fi
# before the far end's own RTP: the pinhole is narrowed to the far address, so a stranger
# does not match it (after, the far flow holds the port and the expectation is used up)
check "unrelated UDP to a port nobody announced is dropped" not rtp_reaches $FAR 30000 4002
check "a stranger's UDP to the announced port is dropped" not rtp_reaches $STRANGER 30000 4000
if [[ $mode == helper ]]; then
	check "A: the far end's RTP reaches the phone (RELATED)" rtp_reaches $FAR 30000 4000
else
	check "A: degraded - no expectation possible" bash -c "! grep -q 'dport=4000 ' '$tmp/expect-a.txt'"
	check "A: degraded - so the far end's RTP is dropped by the firewall" not rtp_reaches $FAR 30000 4000
fi
ip netns exec "$lan" timeout 20 python3 "$here/v6_peer.py" send $PHONE 5062 $FAR 5060 "$tmp/a-lan" 4 \
	"$tmp/bye-out.sip" || true
wait "$srv" || true
sleep 0.3
expects > "$tmp/expect-bye.txt"
if [[ $mode == helper ]]; then
	check "A: the BYE removed the call's pinholes (RTCP 4001 gone)" bash -c "! grep -q 'dport=4001 ' '$tmp/expect-bye.txt'"
	check "B's call keeps its RTCP pinhole" grep -q "dport=4101 " "$tmp/expect-bye.txt"
fi

status "$tmp/status.txt"
sed -n '/^\[packets\]/,/^ipv6_routed/p;/^\[expectations\]/,/^last_error/p' "$tmp/status.txt" | sed 's/^/     /'
at_least() { [[ $(counter "$1" "$2") -ge $3 ]]; }
check "status: IPv6 packets queued" at_least "$tmp/status.txt" ipv6 7
check "status: routed IPv6 messages seen" at_least "$tmp/status.txt" ipv6_routed 5
check "status: nothing rewritten" bash -c "[[ \$(sed -n 's/^rewritten //p' '$tmp/status.txt') == 0 ]]"
check "status: the registration over IPv6 is tracked" grep -q "udp \[$PHONE\]:5060 -> \[$FAR\]:5060 expires in" "$tmp/status.txt"
if [[ $mode == helper ]]; then
	check "status: no expectation failed" grep -q "^failed 0$" "$tmp/status.txt"
fi
ip netns exec "$gw" "$bin" status --json -s "$rundir/status.sock" > "$tmp/status.json" 2>&1 || true
check "status --json valid against docs/status.schema.json" python3 \
	"$here/../daemon/json_schema_check.py" "$here/../../docs/status.schema.json" "$tmp/status.json"
check "daemon log: no IPv6 parse failure" bash -c "! grep -Eiq 'internal error|assert' '$tmp/daemon.log'"

kill -TERM "$dpid"; wait "$dpid" 2>/dev/null || true
check "SIGTERM: both tables removed" bash -c \
	"! ip netns exec '$gw' nft list table ip sipalgd >/dev/null 2>&1 && ! ip netns exec '$gw' nft list table ip6 sipalgd >/dev/null 2>&1"
if ((fail)); then echo "--- daemon log (tail)"; tail -40 "$tmp/daemon.log"; fi
exit $fail
