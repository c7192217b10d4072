#!/usr/bin/env bash
# Helper mode, a flow's very first packet: an INVITE+SDP opens a new UDP flow (no REGISTER
# before it, as an inside PBX or IP-authenticated trunk calls out) through the live daemon.
# While that packet is queued its conntrack is unconfirmed, so ctnetlink cannot hang
# pinholes on it (ENOENT, DESIGN.md fact 7): sipalgd must put the RTP one in the verdict
# (NFQA_EXP) and send RTCP right after the flush (nat/verdict_exp.h).
#
#   netns_firstpkt.sh SIPALGD_BINARY     # on a kernel with nfnetlink_cthelper
#                                        # (tests/nat/in_guest.sh runs it in the qemu guest)
#
# Checks: the WAN peer gets the INVITE with c= public and an m= port P; the far end never
# answers, yet the kernel's expectation events show P (RTP) and P+1 (RTCP) created within
# 1 s of the send, and `conntrack -L expect` holds both, owned by helper sipalg, once the
# far end has the INVITE; a far RTP packet 203.0.113.2:40000 -> 203.0.113.1:P reaches the
# phone at 192.168.77.10:10000 (the pinhole's NAT works), and the phone's reply leaves from
# public port P; the daemon counts no failed expectation. Exit 77 when not root or a tool is
# missing.
# Measured in the guest (ASan build, 2026-12-03): RTP pinhole (in the verdict) 0.27 s after
# the phone's sendto, RTCP (ctnetlink after the flush) 0.03 s later; both class=1,
# helper=sipalg. Before verdict_exp (00504d6) the same run fails: no expectation, the
# daemon's [expectations] "failed 2", last_error -2 (ENOENT), far RTP dropped.
set -euo pipefail
bin=$(readlink -f "${1:?usage: $0 SIPALGD_BINARY}")
here=$(cd "$(dirname "$0")" && pwd)
. "$here/netns_topo.sh"
((EUID == 0)) || { echo "SKIP: needs root (network namespaces)"; exit 77; }
for t in ip nft conntrack python3; do
	command -v "$t" >/dev/null || { echo "SKIP: $t missing"; exit 77; }
done
modprobe -a nfnetlink_cthelper nfnetlink_queue nf_conntrack_netlink nf_nat nf_nat_sip \
	nft_ct nft_chain_nat nft_masq 2>/dev/null || true	# nf_nat_sip: expect function "sip"

tag=$$
lan=fp-lan-$tag gw=fp-gw-$tag wan=fp-wan-$tag
tmp=$(mktemp -d "${NAT_KEEP_DIR:-/tmp}/nat-firstpkt.XXXXXX")
chmod 755 "$tmp"
rundir=/run/nat-fp-$tag
pids=()
fail=0
trap topo_cleanup EXIT
wait_file() {	# wait_file FILE: at most 30 s (pythons start slowly over the guest's 9p root)
	local i
	for ((i = 0; i < 300; i++)); do [[ -s $1 ]] && return 0; sleep 0.1; done
	echo "note: $1 not there after 30 s"; return 1
}

topo_up "$lan" "$gw" "$wan"
sip_messages "$tmp"
mkdir -p "$rundir"
cat > "$tmp/sipalgd.conf" <<CONF
[general]
enabled = yes
user = nobody
status_socket = $rundir/status.sock
log = stderr
log_level = debug
[netfilter]
queue = 7
tcp = no
degraded_ok = no
install_rules = yes
CONF
chmod 644 "$tmp/sipalgd.conf"

ip netns exec "$gw" "$bin" -f -c "$tmp/sipalgd.conf" 2>>"$tmp/daemon.log" &
dpid=$!; pids+=("$dpid")
for _ in $(seq 100); do grep -q "sipalgd running:" "$tmp/daemon.log" 2>/dev/null && break; sleep 0.1; done
grep -q "sipalgd running:" "$tmp/daemon.log" || { echo "sipalgd did not start:"; cat "$tmp/daemon.log"; fail=1; exit 1; }
# (no process substitution: the guest has no /dev/fd)
ip netns exec "$gw" "$bin" status -s "$rundir/status.sock" > "$tmp/status-start.txt" 2>&1 || true
grep -q '^mode: helper' "$tmp/status-start.txt" ||
	{ echo "SKIP: not in helper mode (no nfnetlink_cthelper?)"; cat "$tmp/status-start.txt"; exit 77; }
echo "     nf_conntrack_expect_max $(ip netns exec "$gw" cat /proc/sys/net/netfilter/nf_conntrack_expect_max 2>/dev/null ||
	echo ?), nf_conntrack_max $(ip netns exec "$gw" cat /proc/sys/net/netfilter/nf_conntrack_max 2>/dev/null || echo ?)"

# The far end: receives, never answers (a SIP 100/200 would make the test about later packets).
ip netns exec "$wan" timeout 160 python3 - "$tmp" <<'PY' &
import socket, sys, time
d = sys.argv[1]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("203.0.113.2", 5060))
open(d + "/wan.ready", "w").write("1")
s.settimeout(150)
data, peer = s.recvfrom(65535)
open(d + "/wan-invite.sip", "wb").write(data)
PY
pids+=($!)
# The phone's media socket: one far RTP packet, then a reply from the same socket.
ip netns exec "$lan" timeout 160 python3 - "$tmp" <<'PY' &
import socket, sys
d = sys.argv[1]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.168.77.10", 10000))
open(d + "/phone.ready", "w").write("1")
s.settimeout(150)
data, peer = s.recvfrom(2048)
open(d + "/phone-got.txt", "w").write("%s %s:%d\n" % (data.decode(errors="replace"), peer[0], peer[1]))
s.sendto(b"rtp-from-phone", peer)
PY
pids+=($!)
wait_file "$tmp/wan.ready" || true
wait_file "$tmp/phone.ready" || true

# The INVITE is the flow's first packet: nothing crossed 192.168.77.10:5060 -> 203.0.113.2:5060.
check "no conntrack for the SIP flow before the INVITE" bash -c \
	"! ip netns exec '$gw' conntrack -L -p udp --orig-src 192.168.77.10 --orig-port-src 5060 2>/dev/null | grep -q ."
# Expectation events with the kernel's timestamps: when each pinhole appeared.
# stdbuf: line by line into the file (block-buffered otherwise, seen empty); no timeout(1)
# in between, so $! is conntrack itself, stopped by cleanup. Starting a process costs ~1 s
# in the guest: 3 s for it to subscribe.
# (conntrack 1.4.7 takes no -e for expectations: NEW is picked out below)
ip netns exec "$gw" stdbuf -oL conntrack -E expect -o timestamp > "$tmp/expect-events.txt" 2>&1 &
evpid=$!; pids+=("$evpid")
sleep 3
ip netns exec "$lan" python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.168.77.10", 5060))
open(sys.argv[2], "w").write("%.6f\n" % time.time())
s.sendto(open(sys.argv[1], "rb").read(), ("203.0.113.2", 5060))' "$tmp/invite.sip" "$tmp/sent-at.txt"
wait_file "$tmp/wan-invite.sip" || true
# The far end got the INVITE and never answers: what exists now existed before any answer.
ip netns exec "$gw" conntrack -L expect > "$tmp/expect.txt" 2>/dev/null || true
echo "     conntrack -L expect once the far end had the INVITE:"; sed 's/^/       /' "$tmp/expect.txt"
mport=$(tr -d '\r' < "$tmp/wan-invite.sip" 2>/dev/null | awk '/^m=audio/ {print $2}')
echo "     WAN m=audio port: ${mport:-none}"
sleep 0.5
echo "     expectation events:"; sed 's/^/       /' "$tmp/expect-events.txt"
# seconds from the INVITE's send to the NEW event of the pinhole to PORT (a large number if none)
since_send() {
	awk -v p="$1" -v t0="$(cat "$tmp/sent-at.txt" 2>/dev/null || echo 0)" '
		/\[NEW\]/ && $0 ~ "dport=" p " " { gsub(/[][]/, "", $1); printf "%.3f\n", $1 - t0; found = 1; exit }
		END { if (!found) print 999 }' "$tmp/expect-events.txt"
}
rtp_s=$(since_send "${mport:-x}") rtcp_s=$(since_send "$(( ${mport:-0} + 1 ))")
echo "     RTP pinhole ${rtp_s} s after the send, RTCP ${rtcp_s} s"
check "RTP pinhole created within 1 s of the send" awk -v s="$rtp_s" 'BEGIN { exit !(s < 1) }'
check "RTCP pinhole created within 1 s of the send" awk -v s="$rtcp_s" 'BEGIN { exit !(s < 1) }'
check "WAN got the INVITE with c= public" grep -q "^c=IN IP4 203.0.113.1" "$tmp/wan-invite.sip"
check "RTP expectation to the announced public port" grep -q "dport=${mport:-x} " "$tmp/expect.txt"
check "RTCP expectation (port+1)" grep -q "dport=$(( ${mport:-0} + 1 )) " "$tmp/expect.txt"
check "expectations belong to our helper" grep -q "helper=sipalg" "$tmp/expect.txt"

# Far media to the announced pair: DNATed to the phone by the verdict-attached pinhole.
ip netns exec "$wan" timeout 20 python3 - "$tmp" "${mport:-9}" <<'PY' || true
import socket, sys
d, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("203.0.113.2", 40000))
s.settimeout(2)
for _ in range(5):                      # bounded: 5 tries, 2 s each
    s.sendto(b"rtp-from-far", ("203.0.113.1", port))
    try:
        data, peer = s.recvfrom(2048)
    except socket.timeout:
        continue
    open(d + "/far-got.txt", "w").write("%s %s:%d\n" % (data.decode(errors="replace"), peer[0], peer[1]))
    break
PY
echo "     phone got: $(cat "$tmp/phone-got.txt" 2>/dev/null || echo nothing)"
echo "     far got:   $(cat "$tmp/far-got.txt" 2>/dev/null || echo nothing)"
check "far RTP to public:P reached the phone at 192.168.77.10:10000" grep -q "^rtp-from-far 203.0.113.2:40000" "$tmp/phone-got.txt"
check "the phone's reply came back from public:P" grep -q "^rtp-from-phone 203.0.113.1:${mport:-x}$" "$tmp/far-got.txt"

ip netns exec "$gw" "$bin" status -s "$rundir/status.sock" > "$tmp/status.txt" 2>&1 || true
sed -n '/^\[expectations\]/,/^sdp_retransmits/p;/^\[first packets\]/,/^last_error/p' "$tmp/status.txt" | sed 's/^/     /'
check "daemon: no expectation failed" grep -q "^failed 0$" "$tmp/status.txt"
kill -TERM "$dpid"; wait "$dpid" || true
if ((fail)); then echo "--- daemon log (tail)"; tail -30 "$tmp/daemon.log"; fi
exit $fail
