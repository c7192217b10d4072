#!/usr/bin/env bash
# sipalgd's SIP-over-TCP path on a real kernel: a live daemon in helper mode (tcp = yes,
# install_rules = yes) in a masquerading gateway namespace (netns_topo.sh), a LAN client
# that sends chosen byte chunks as separate TCP segments (TCP_NODELAY, one send() each,
# a pause between), a WAN server that records every byte (tcp_peer.py). tcpdump on both
# gateway legs; tcp_pcap.py checks on the real packets that the segments fall where each
# case means. Needs nfnetlink_cthelper: tests/nat/tcp_vm.sh runs it in the qemu guest.
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
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	topo_down "$lan" "$gw" "$wan"
	rm -rf "$rundir"
	if ((fail)) || [[ -n ${NAT_KEEP:-} ]]; then echo "kept for inspection: $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

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
# The expectations whose master is CASE's connection, read 5 times over 2 s (their union):
# a pinhole that comes late still counts, and so does one that goes early.
read_expects() {
	local c=$1 i
	for i in 1 2 3 4 5; do
		ip netns exec "$gw" conntrack -L expect 2>/dev/null | grep -F "sport=${port[$c]} dport=5060" || true
		sleep 0.4
	done | sed 's/^[0-9]* //' | sort -u > "$tmp/cases/$c/expect.txt"	# minus the timeout
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
drops=$(sed -n 's/.*counter packets \([0-9]*\) .*/\1/p' "$tmp/cases/e/droponce.txt")

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

# --- phase 2: the packets and streams, one python pass -----------------------------------------
sleep 0.5	# the last packets into the pcaps
python3 "$here/tcp_judge.py" "$tmp" "${specs[@]}"

# --- phase 3: one verdict per case ---------------------------------------------------------------
why=()	# the failed sub-checks of the current case
need() {	# need DESCRIPTION COMMAND...
	local d=$1; shift
	"$@" >/dev/null 2>&1 || why+=("$d")
}
fact() { grep -qx "$2" "$tmp/cases/$1/facts"; }	# fact CASE key=value
verdict() {	# verdict CASE TITLE EVIDENCE
	if ((${#why[@]} == 0)); then
		echo "PASS $1 - $2: $3"
	else
		echo "FAIL $1 - $2: $3; failed: $(IFS=';'; echo "${why[*]}")"
		fail=1
		sed 's/^/     /' "$tmp/cases/$1/segments.txt"
	fi
	why=()
}
nexp() { grep -c . "$tmp/cases/$1/expect.txt" || true; }
exp_ports() {	# "dport=P helper=H" of each expectation
	sed -n 's/.* dport=\([0-9]*\) mask.* helper=\([^ ]*\).*/dport=\1 helper=\2/p' "$tmp/cases/$1/expect.txt" |
		paste -sd, - || true
}
pinholes() {	# pinholes CASE PUBLIC_PORT...: an RTP and an RTCP expectation (ours) for each
	local c=$1 p; shift
	(($#)) || return 1
	for p in "$@"; do
		grep -q "dport=$p .*helper=sipalg" "$tmp/cases/$c/expect.txt" &&
			grep -q "dport=$((p + 1)) .*helper=sipalg" "$tmp/cases/$c/expect.txt" || return 1
	done
}
msgs_line() { awk '{printf "%s%s", (NR > 1 ? " / " : ""), $0}' "$tmp/cases/$1/msgs.txt"; }
mports() { awk '$1 == "INVITE" { sub("m=", "", $7); printf "%s ", $7 }' "$tmp/cases/$1/msgs.txt"; }
srv_bytes() { stat -c %s "$tmp/srv/conn-${port[$1]}.bin" 2>/dev/null || echo 0; }

# a, b: Slipstreaming
for c in a b; do
	need "LAN segments not where meant" fact $c lan_bounds=1
	need "no WAN segment begins with INVITE" fact $c wan_starts_invite=1
	need "server bytes differ from what the client sent" fact $c server_identical=1
	need "expectations created" test "$(nexp $c)" = 0
	[[ $c == a ]] && title="Slipstreaming v1 (SDP names the client)" ||
		title="Slipstreaming v2 (SDP names another inside host)"
	verdict $c "$title" "$(nexp $c) expectations for the connection (5 polls / 2 s) [$(
		exp_ports $c)] | server got $(srv_bytes $c) of $(
		stat -c %s "$tmp/cases/$c/sent.bin") bytes, $(fact $c server_identical=1 && echo identical || echo CHANGED)"
done

# c: an INVITE split in three, then an OPTIONS
m=$tmp/cases/c/msgs.txt
read -r -a cports <<<"$(mports c)"
need "LAN segments not where meant" fact c lan_bounds=1
need "server did not get INVITE then OPTIONS, nothing else" \
	test "$(awk '{print $1}' "$m" | tr '\n' ' ')" = "INVITE OPTIONS rest=0 "
need "LAN address reached the server" bash -c "! grep -q 'private=1' '$m'"
need "a Content-Length is wrong" bash -c "! grep -q 'cl_ok=0' '$m'"
need "INVITE c= not public" grep -q '^INVITE .* c=203.0.113.1 ' "$m"
need "OPTIONS Via not rewritten" grep -q "^OPTIONS .* via=203.0.113.1:${port[c]} " "$m"
need "no RTP+RTCP pinholes for m=${cports[*]:-none}" pinholes c "${cports[@]}"
need "WAN leg: not 4 data segments" fact c wan_segments=4
need "client did not get two 200 OKs with the inside Via back" \
	test "$(grep -c "^SIP/2.0 .*via=192.168.77.10:${port[c]} " "$tmp/cases/c/answers.txt")" = 2
verdict c "INVITE split in 3 (inside Via, inside c=) + OPTIONS" "server: $(msgs_line c) | $(
	nexp c) expectations [$(exp_ports c)] | answers: $(grep -c '^SIP/2.0' "$tmp/cases/c/answers.txt" || true)"

# d: two INVITEs in one segment
m=$tmp/cases/d/msgs.txt
read -r -a dports <<<"$(mports d)"
need "LAN segments not where meant" fact d lan_bounds=1
need "server did not get two INVITEs with a public c=" test "$(grep -c '^INVITE .* c=203.0.113.1 ' "$m")" = 2
need "Call-IDs not distinct" test "$(awk '$1 == "INVITE" {print $4}' "$m" | sort -u | wc -l)" = 2
need "LAN address reached the server" bash -c "! grep -q 'private=1' '$m'"
need "a Content-Length is wrong" bash -c "! grep -q 'cl_ok=0' '$m'"
need "not both INVITEs got RTP+RTCP pinholes (m= ${dports[*]:-none})" pinholes d "${dports[@]}"
need "not two INVITEs' worth of m= ports" test "${#dports[@]}" = 2
verdict d "two INVITEs in one segment" "server: $(msgs_line d) | $(nexp d) expectations [$(exp_ports d)]"

# g: two INVITEs, the second finished by the next segment
m=$tmp/cases/g/msgs.txt
read -r -a gports <<<"$(mports g)"
need "LAN segments not where meant" fact g lan_bounds=1
need "server did not get two INVITEs with a public c=, nothing else" \
	bash -c "test \"\$(grep -c '^INVITE .* c=203.0.113.1 ' '$m')\" = 2 && test \"\$(wc -l < '$m')\" = 3"
need "LAN address reached the server" bash -c "! grep -q 'private=1' '$m'"
need "a Content-Length is wrong" bash -c "! grep -q 'cl_ok=0' '$m'"
need "not both INVITEs got RTP+RTCP pinholes (m= ${gports[*]:-none})" pinholes g "${gports[@]}"
need "not two INVITEs' worth of m= ports" test "${#gports[@]}" = 2
verdict g "two INVITEs, the 2nd finished by the next segment" "server: $(msgs_line g) | $(
	nexp g) expectations [$(exp_ports g)]"

# h: CRLF keep-alives
m=$tmp/cases/h/msgs.txt
read -r -a hports <<<"$(mports h)"
need "LAN segments not where meant" fact h lan_bounds=1
need "server did not get keepalive INVITE keepalive OPTIONS" \
	test "$(awk '{print $1}' "$m" | tr '\n' ' ')" = "keepalive INVITE keepalive OPTIONS rest=0 "
need "LAN address reached the server" bash -c "! grep -q 'private=1' '$m'"
need "a Content-Length is wrong" bash -c "! grep -q 'cl_ok=0' '$m'"
need "INVITE c= not public" grep -q '^INVITE .* c=203.0.113.1 ' "$m"
need "OPTIONS after a keep-alive not rewritten" grep -q "^OPTIONS .* via=203.0.113.1:${port[h]} " "$m"
need "no RTP+RTCP pinholes for m=${hports[*]:-none}" pinholes h "${hports[@]}"
verdict h "CRLF keep-alives before an INVITE and an OPTIONS" "server: $(msgs_line h) | $(
	nexp h) expectations [$(exp_ports h)]"

# e: a retransmitted segment
m=$tmp/cases/e/msgs.txt
need "LAN segments not where meant" fact e lan_bounds=1
need "the drop rule did not drop exactly one segment (${drops:-none})" test "${drops:-0}" = 1
need "WAN leg: no identical second copy" fact e retrans=identical
need "retransmitted copy not rewritten" bash -c \
	"test -s '$tmp/cases/e/retx.bin' && ! grep -q 192.168.77. '$tmp/cases/e/retx.bin' && grep -q 203.0.113.1 '$tmp/cases/e/retx.bin'"
need "server did not get one whole rewritten INVITE" \
	bash -c "grep -q '^INVITE cl_ok=1 private=0 .* c=203.0.113.1 ' '$m' && test \"\$(wc -l < '$m')\" = 2"
verdict e "retransmitted segment" "dropped ${drops:-?} after the gateway; WAN: $(
	sed -n 's/^WAN retransmission: //p' "$tmp/cases/e/segments.txt") | server: $(msgs_line e)"

# f: control, enabled = no
need "daemon did not say DISABLED" grep -q "^alg: DISABLED" "$tmp/status-off.txt"
need "LAN segments not where meant" fact f lan_bounds=1
need "WAN segments differ from the LAN's" fact f wan_bounds=1
need "server bytes differ from what the client sent" fact f server_identical=1
need "expectations created" test "$(nexp f)" = 0
verdict f "control: enabled = no, case c's chunks" "server got $(srv_bytes f) of $(
	stat -c %s "$tmp/cases/f/sent.bin") bytes, $(fact f server_identical=1 && echo identical || echo CHANGED), $(
	fact f wan_bounds=1 && echo "same segments on both legs" || echo "segments CHANGED"), $(nexp f) expectations"

grep -E '^(packets|rewritten|tcp_[a-z_]*) ' "$tmp/status-end.txt" | tr '\n' ' ' | sed 's/^/status: /; s/$/\n/'
((fail == 0)) && echo "PASS" || { echo "--- daemon log (tail)"; tail -30 "$tmp/daemon.log"; }
exit $fail
