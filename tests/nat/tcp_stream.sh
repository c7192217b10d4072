#!/usr/bin/env bash
# sipalgd's SIP-over-TCP path on a real kernel: a live daemon in helper mode (tcp = yes,
# install_rules = yes) in a masquerading gateway namespace (netns_topo.sh), a LAN client
# that sends chosen byte chunks as separate TCP segments (TCP_NODELAY, one send() each,
# 50 ms between; tcp_cases.py makes the chunks), a WAN server that records every byte and
# answers SIP requests (tcp_peer.py). tcpdump on both gateway legs, `conntrack -L expect`
# polled after each case; then tcp_judge.py decides every case from the real packets
# (tcp_pcap.py: the segments must fall where the case means, else it FAILs as untested),
# the server's bytes (tcp_msgs.py) and the expectations. Needs nfnetlink_cthelper:
# tests/nat/in_guest.sh runs it in the qemu guest (ctest nat_tcp_vm).
#
#   tcp_stream.sh SIPALGD_BINARY
#
# Cases (one PASS/FAIL line each, with its evidence):
#  a. Slipstreaming v1: an HTTP POST (Content-Length: 2000) whose padding makes the 2nd
#     segment begin with an INVITE whose SDP names the client (m=audio 3306). Proves the
#     daemon does not parse a segment that is not at a message boundary: no expectation
#     for that connection (5 polls over 2 s) and the server gets the bytes unchanged.
#  b. Slipstreaming v2: the same, the smuggled SDP names another inside host
#     (192.168.77.20). Same expectations.
#  c. A genuine INVITE+SDP split over three segments, one cut inside the Via address and
#     one inside c=, then an OPTIONS in a 4th segment. Proves reassembly: the server gets
#     an INVITE with no LAN address anywhere and a right Content-Length, the RTP and RTCP
#     pinholes (helper sipalg) are in `conntrack -L expect` for the public port it names,
#     the WAN leg still has four segments, and the OPTIONS after the length change arrives
#     parsed and rewritten, and both 200 OKs come back to the client with the inside
#     address restored (sequence numbers right both ways: seqadj).
#  d. Two INVITEs (different Call-IDs) in one segment: both rewritten, both get RTP and
#     RTCP pinholes. Proves every message of a segment is handled, not just the first.
#  g. Two INVITEs, the second cut inside its Via and finished by the next segment. Proves
#     the stream advances by whole messages across segments: both rewritten, both pinned.
#  h. RFC 5626 CRLF keep-alives: one alone before an INVITE, one ahead of an OPTIONS in
#     the same segment. Proves keep-alives move the message boundary: the INVITE gets its
#     pinholes, both messages arrive rewritten, the keep-alives unchanged.
#  e. A retransmission: an nft rule in the server namespace drops the first copy of the
#     first data segment of a two-segment INVITE (after the gateway), so the client
#     sends it again. Proves a retransmitted segment gets exactly the bytes of its first
#     copy: in the WAN-leg pcap both copies of that offset are identical and rewritten
#     (no LAN address), and the server's message is whole and rewritten.
#  f. Control: after SIGHUP to enabled = no, case c's chunks cross byte for byte, in the
#     same segments, with no expectation. Proves the checks above see the daemon's work.
# Exit: 0 only if every case passes; 77 (ctest SKIP) when not root or a tool is missing.
# The work dir (pcaps, daemon log, status, received streams) is kept on failure.
set -euo pipefail
bin=$(readlink -f "${1:?usage: $0 SIPALGD_BINARY}")
here=$(cd "$(dirname "$0")" && pwd)
. "$here/netns_topo.sh"
((EUID == 0)) || { echo "SKIP: needs root (network namespaces)"; exit 77; }
for t in ip nft conntrack tcpdump python3; do
	command -v "$t" >/dev/null || { echo "SKIP: $t missing"; exit 77; }
done
modprobe -a nfnetlink_cthelper nfnetlink_queue nf_conntrack_netlink nf_nat nf_nat_sip \
	nft_ct nft_chain_nat nft_masq 2>/dev/null || true

tag=$$
lan=tcp-lan-$tag gw=tcp-gw-$tag wan=tcp-wan-$tag
tmp=$(mktemp -d "${NAT_KEEP_DIR:-/tmp}/tcp-stream.XXXXXX")
chmod 755 "$tmp"	# the daemon (nobody) re-reads its config on SIGHUP
rundir=/run/tcp-stream-$tag	# unix socket: not on a 9p share
pids=()
fail=0
trap topo_cleanup EXIT

topo_up "$lan" "$gw" "$wan"
# A retransmission keeps its segment's bounds (no merging with the next one): case e.
ip netns exec "$lan" sysctl -qw net.ipv4.tcp_retrans_collapse=0
mkdir -p "$rundir" "$tmp/srv"

cat > "$tmp/sipalgd.conf" <<CONF
[general]
enabled = yes
user = nobody
status_socket = $rundir/status.sock
log = stderr
log_level = debug
[netfilter]
queue = 7
udp = yes
tcp = yes
install_rules = yes
CONF
chmod 644 "$tmp/sipalgd.conf"

status_to() { ip netns exec "$gw" "$bin" status -s "$rundir/status.sock" > "$1" 2>&1 || true; }

ip netns exec "$gw" "$bin" -f -c "$tmp/sipalgd.conf" 2>>"$tmp/daemon.log" &
dpid=$!; pids+=("$dpid")
for _ in $(seq 100); do grep -q "sipalgd running:" "$tmp/daemon.log" 2>/dev/null && break; sleep 0.1; done
grep -q "sipalgd running:" "$tmp/daemon.log" || { echo "FAIL - sipalgd did not start:"; cat "$tmp/daemon.log"; fail=1; exit 1; }
status_to "$tmp/status-start.txt"
grep -q '^mode: helper "sipalg"' "$tmp/status-start.txt" ||
	{ echo "FAIL - not in helper mode:"; cat "$tmp/status-start.txt"; fail=1; exit 1; }
ip netns exec "$gw" nft list table ip sipalgd > "$tmp/nft.txt" 2>&1 || true
grep -q 'type "sipalg" protocol tcp' "$tmp/nft.txt" ||
	{ echo "FAIL - no TCP helper rule installed"; fail=1; exit 1; }

ip netns exec "$gw" tcpdump -Z root -U --immediate-mode -n -i lan0 -w "$tmp/lan.pcap" tcp port 5060 2>/dev/null &
pids+=($!)
ip netns exec "$gw" tcpdump -Z root -U --immediate-mode -n -i wan0 -w "$tmp/wan.pcap" tcp port 5060 2>/dev/null &
pids+=($!)

declare -A port=([a]=5071 [b]=5072 [c]=5073 [d]=5074 [e]=5075 [f]=5076 [g]=5077 [h]=5078)
specs=(); for c in "${!port[@]}"; do specs+=("$c:${port[$c]}"); done
python3 "$here/tcp_cases.py" "$tmp/cases" "${specs[@]}"
ip netns exec "$wan" timeout 210 python3 "$here/tcp_peer.py" server 203.0.113.2 5060 "$tmp/srv" 200 \
	>"$tmp/srv.log" 2>&1 &
pids+=($!)
for _ in $(seq 300); do [[ -e $tmp/srv/ready ]] && break; sleep 0.1; done
sleep 1	# tcpdump: ready before the first packet

# --- phase 1: the traffic, case by case; expectations are read live --------------------------
# One client process runs every case in this order, each when the script says go (python
# starts slowly under TCG): the chunks 50 ms apart, then it waits for the server to close.
order=(a b c d g h e f)
plan=(); for c in "${order[@]}"; do plan+=("$c:${port[$c]}"); done
ip netns exec "$lan" timeout 280 python3 "$here/tcp_peer.py" plan 192.168.77.10 203.0.113.2 5060 \
	"$tmp/cases" 30 0.05 "${plan[@]}" >"$tmp/client.log" 2>&1 &
pids+=($!)
send_case() {	# send_case CASE: go, and wait (at most 40 s) until the client is done with it
	local c=$1 i
	touch "$tmp/cases/$c/go"
	for ((i = 0; i < 400; i++)); do [[ -e $tmp/cases/$c/done ]] && break; sleep 0.1; done
	[[ $(cat "$tmp/cases/$c/done" 2>/dev/null) == 0 ]] || echo "note: client of case $c: $(
		cat "$tmp/cases/$c/done" 2>/dev/null || echo "not done after 40 s"); $(tail -1 "$tmp/client.log")"
}
# The expectations, read 5 times over 2 s after CASE (tcp_judge.py takes the union of those
# whose master is CASE's connection): a pinhole that comes late counts, one that goes early too.
read_expects() {
	local i
	for i in 1 2 3 4 5; do
		ip netns exec "$gw" conntrack -L expect >> "$tmp/cases/$1/expect.txt" 2>/dev/null || true
		sleep 0.4
	done
}

for c in "${order[@]:0:6}"; do send_case $c; read_expects $c; done

# e: the first data segment (IP length > 200: not a bare ACK) of a new connection to 5060 is
# dropped once, in the server's namespace: after the gateway, which sees both copies.
ip netns exec "$wan" nft -f - <<'NFT'
table ip droponce {
	chain pre {
		type filter hook prerouting priority -150; policy accept;
		tcp dport 5060 ip length > 200 ct mark 0 ct mark set 1 counter drop
	}
}
NFT
send_case e
read_expects e
ip netns exec "$wan" nft list table ip droponce > "$tmp/cases/e/droponce.txt" 2>&1 || true
ip netns exec "$wan" nft delete table ip droponce

# f: the control, after SIGHUP to enabled = no
sed -i 's/^enabled = yes/enabled = no/' "$tmp/sipalgd.conf"
kill -HUP "$dpid"
for _ in $(seq 30); do
	status_to "$tmp/status-off.txt"
	grep -q "^alg: DISABLED" "$tmp/status-off.txt" && break
	sleep 0.2
done
send_case f
read_expects f
touch "$tmp/srv/stop"
status_to "$tmp/status-end.txt"

# --- phase 2: the verdicts, from the pcaps, the streams and the expectations: one python run
sleep 0.5	# the last packets into the pcaps
python3 "$here/tcp_judge.py" "$tmp" "${plan[@]}" || fail=1
grep -E '^(packets|rewritten|tcp_[a-z_]*) ' "$tmp/status-end.txt" | tr '\n' ' ' | sed 's/^/status: /; s/$/\n/'
((fail == 0)) && echo "PASS" || { echo "--- daemon log (tail)"; tail -30 "$tmp/daemon.log"; }
exit $fail
