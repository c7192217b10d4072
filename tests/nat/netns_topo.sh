# netns_topo.sh - sourced: the test topology of tests/nat, all in namespaces.
#
#   topo_up LAN GW WAN
#     LAN 192.168.77.10/24 (default via GW) -- GW lan0 192.168.77.1, wan0 203.0.113.1
#     (forwarding, masquerade out of wan0) -- WAN 203.0.113.2/24 (no default route: a
#     private address that leaks into SIP is unreachable there, as on the internet).
#   topo_down LAN GW WAN
#   topo_cleanup (trap it on EXIT): the caller's pids killed and reaped, its namespaces
#     $lan $gw $wan and $rundir removed, $tmp kept when it failed or NAT_KEEP is set
#   check DESCRIPTION COMMAND... (the tests' ok/FAIL lines)
topo_up() {
	local lan=$1 gw=$2 wan=$3 n
	ip netns add "$lan"; ip netns add "$gw"; ip netns add "$wan"
	ip -n "$lan" link add eth0 type veth peer name lan0 netns "$gw"
	ip -n "$gw" link add wan0 type veth peer name eth0 netns "$wan"
	ip -n "$lan" addr add 192.168.77.10/24 dev eth0
	ip -n "$gw" addr add 192.168.77.1/24 dev lan0
	ip -n "$gw" addr add 203.0.113.1/24 dev wan0
	ip -n "$wan" addr add 203.0.113.2/24 dev eth0
	for n in "$lan" "$gw" "$wan"; do ip -n "$n" link set lo up; done
	ip -n "$lan" link set eth0 up; ip -n "$wan" link set eth0 up
	ip -n "$gw" link set lan0 up; ip -n "$gw" link set wan0 up
	ip -n "$lan" route add default via 192.168.77.1
	ip netns exec "$gw" sysctl -qw net.ipv4.ip_forward=1
	ip netns exec "$gw" nft -f - <<'NFT'
table ip natlab {
	chain post { type nat hook postrouting priority srcnat; oifname "wan0" masquerade; }
}
NFT
}

# check DESCRIPTION COMMAND...: one "ok"/"FAIL" line; a failure sets the caller's fail=1.
check() {
	local what=$1; shift
	if "$@"; then echo "ok   - $what"; else echo "FAIL - $what"; fail=1; fi
}

topo_down() {
	local n
	for n in "$@"; do ip netns del "$n" 2>/dev/null || true; done
}

# shellcheck disable=SC2154  # the caller's globals, named above
topo_cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	topo_down "$lan" "$gw" "$wan"
	rm -rf "$rundir"
	if ((fail)) || [[ -n ${NAT_KEEP:-} ]]; then echo "kept for inspection: $tmp"; else rm -rf "$tmp"; fi
}

# sip_messages DIR: DIR/register.sip and DIR/invite.sip (with SDP), CRLF, from the LAN host
# 192.168.77.10:5060 to the WAN host - what tests/nat and tests/bench send through the gateway.
crlf() { sed 's/$/\r/'; }
sip_messages() {
	crlf > "$1/register.sip" <<'SIP'
REGISTER sip:203.0.113.2 SIP/2.0
Via: SIP/2.0/UDP 192.168.77.10:5060;branch=z9hG4bK-reg1;rport
Max-Forwards: 70
From: <sip:alice@example.com>;tag=a1
To: <sip:alice@example.com>
Call-ID: reg-1@alice-pc
CSeq: 1 REGISTER
Contact: <sip:alice@192.168.77.10:5060>
Expires: 3600
Content-Length: 0

SIP
	local body
	body=$(crlf <<'SDP'
v=0
o=alice 1 1 IN IP4 192.168.77.10
s=-
c=IN IP4 192.168.77.10
t=0 0
m=audio 10000 RTP/AVP 0
a=rtpmap:0 PCMU/8000
SDP
	)
	body+=$'\r\n'
	{ crlf <<SIP
INVITE sip:bob@203.0.113.2 SIP/2.0
Via: SIP/2.0/UDP 192.168.77.10:5060;branch=z9hG4bK-inv1;rport
Max-Forwards: 70
From: <sip:alice@example.com>;tag=a2
To: <sip:bob@203.0.113.2>
Call-ID: call-1@alice-pc
CSeq: 1 INVITE
Contact: <sip:alice@192.168.77.10:5060>
Content-Type: application/sdp
Content-Length: ${#body}

SIP
	printf '%s' "$body"; } > "$1/invite.sip"
}
