#!/usr/bin/env bash
# A WAN re-addressing (DHCP/PPPoE style) on the running kernel, netns, degraded mode:
#
#   netns_wanchange.sh SIPALGD_BINARY
#
# The gateway SNATs to its WAN address (an SNAT rule's conntracks outlive the address;
# MASQUERADE's the kernel flushes itself). A phone's SIP flow is up; the WAN address
# moves (the new one added, the old one deleted, the SNAT rule follows).
#  - control, no daemon: the phone's next REGISTER still leaves from the old address,
#    which the gateway no longer has - a binding nobody can reach.
#  - with sipalgd: it sees the address go (rtnetlink), deletes the SIP flows NATed to
#    it and logs one line; the next REGISTER leaves from the new address, with the new
#    address in Via and Contact, and nothing names the old one.
# Exit 77 (ctest SKIP) when not root or a tool is missing.
set -euo pipefail
bin=$(readlink -f "${1:?usage: $0 SIPALGD_BINARY}")
here=$(cd "$(dirname "$0")" && pwd)
. "$here/netns_topo.sh"
((EUID == 0)) || { echo "SKIP: needs root (network namespaces)"; exit 77; }
for t in ip nft conntrack tcpdump python3; do
	command -v "$t" >/dev/null || { echo "SKIP: $t missing"; exit 77; }
done

tag=$$
lan=wch-lan-$tag gw=wch-gw-$tag wan=wch-wan-$tag
tmp=$(mktemp -d /tmp/nat-wanchange.XXXXXX)
chmod 755 "$tmp"
rundir=/run/nat-wanchange-$tag
pids=() dpid="" fail=0
trap topo_cleanup EXIT

topo_up "$lan" "$gw" "$wan"
sip_messages "$tmp"
mkdir -p "$rundir"
snat_to() {	# the operator's static SNAT, following the address
	ip netns exec "$gw" nft -f - <<NFT
flush table ip natlab
table ip natlab {
	chain post { type nat hook postrouting priority srcnat; oifname "wan0" snat to $1; }
}
NFT
}
readdress() {	# readdress OLD NEW: the new address first, then the old one goes
	ip -n "$gw" addr add "$2/24" dev wan0
	snat_to "$2"
	ip -n "$gw" addr del "$1/24" dev wan0
}
register() {	# register NAME: one REGISTER from the phone's SIP socket, WAN leg captured
	ip netns exec "$gw" tcpdump -U --immediate-mode -n -i wan0 -w "$tmp/$1.pcap" udp port 5060 2>"$tmp/$1.err" &
	local cap=$!
	for _ in $(seq 100); do grep -q "listening on" "$tmp/$1.err" 2>/dev/null && break; sleep 0.1; done
	sleep 0.2
	ip netns exec "$lan" timeout 10 python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.168.77.10", 5060))
s.sendto(open(sys.argv[1], "rb").read(), ("203.0.113.2", 5060))' "$tmp/register.sip"
	sleep 0.7
	kill "$cap" 2>/dev/null || true; wait "$cap" 2>/dev/null || true
	tcpdump -r "$tmp/$1.pcap" -n -A 2>/dev/null > "$tmp/$1.txt" || true
}
sip_flow() {	# the phone's SIP conntrack, or nothing
	ip netns exec "$gw" conntrack -L -p udp --orig-src 192.168.77.10 --orig-port-src 5060 2>/dev/null || true
}
# the old address deleted must not take the new (secondary) one with it
ip netns exec "$gw" sysctl -qw net.ipv4.conf.wan0.promote_secondaries=1
snat_to 203.0.113.1

# --- control: no daemon, plain SNAT ---------------------------------------------------------
register ctl-before
readdress 203.0.113.1 203.0.113.9
register ctl-after
echo "     control, after the move: $(sip_flow)"
check "control: the SIP flow still leaves from the old address (what the daemon fixes)" \
	grep -q "IP 203.0.113.1.5060 > 203.0.113.2.5060" "$tmp/ctl-after.txt"
ip netns exec "$gw" conntrack -F >/dev/null 2>&1 || true

# --- with sipalgd ---------------------------------------------------------------------------
cat > "$tmp/sipalgd.conf" <<CONF
[general]
user =
status_socket = $rundir/status.sock
log = stderr
[netfilter]
queue = 13
tcp = no
degraded_ok = yes
install_rules = yes
CONF
ip netns exec "$gw" "$bin" -f -c "$tmp/sipalgd.conf" 2>>"$tmp/daemon.log" &
dpid=$!; pids+=("$dpid")
for _ in $(seq 50); do grep -q "sipalgd running:" "$tmp/daemon.log" && break; sleep 0.1; done
grep -q "sipalgd running:" "$tmp/daemon.log" || { echo "sipalgd did not start:"; cat "$tmp/daemon.log"; fail=1; exit 1; }

register alg-before
check "before: REGISTER leaves from 203.0.113.9, Via rewritten to it" \
	grep -q "Via: SIP/2.0/UDP 203.0.113.9:5060" "$tmp/alg-before.txt"
readdress 203.0.113.9 203.0.113.1
for _ in $(seq 30); do grep -q "address 203.0.113.9 removed" "$tmp/daemon.log" && break; sleep 0.1; done
check "the daemon logs one line naming what it flushed" \
	grep -q "address 203.0.113.9 removed: 0 dialog(s) and their pinholes removed, 1 SIP flow(s) flushed" "$tmp/daemon.log"
check "the SIP flow NATed to the old address is gone" bash -c "! grep -q 'dst=203.0.113.9' <<<'$(sip_flow)'"
register alg-after
echo "     after the move: $(sip_flow)"
check "after: REGISTER leaves from the new address" \
	grep -q "IP 203.0.113.1.5060 > 203.0.113.2.5060" "$tmp/alg-after.txt"
check "after: Via and Contact name the new address" bash -c \
	"grep -q 'Via: SIP/2.0/UDP 203.0.113.1:5060' '$tmp/alg-after.txt' && grep -q 'Contact: <sip:alice@203.0.113.1:5060>' '$tmp/alg-after.txt'"
check "after: nothing names the old address" bash -c "! grep -q 203.0.113.9 '$tmp/alg-after.txt'"
ip netns exec "$gw" "$bin" status -s "$rundir/status.sock" > "$tmp/status.txt" 2>&1 || true
check "status counts it" grep -q "^sip_flows_flushed 1" "$tmp/status.txt"

if ((fail)); then echo "--- daemon log"; tail -20 "$tmp/daemon.log"; exit 1; fi
echo "all checks passed"
