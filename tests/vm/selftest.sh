#!/usr/bin/env bash
# Guest self-test: run it inside the VM (tests/vm/run.sh -- tests/vm/selftest.sh) to check
# that the stock kernel can do what the lab and sipalgd's helper mode need: the netfilter
# modules load (nfnetlink_cthelper above all), two namespaces ping across a veth, and the lab's
# tools (from the host root over 9p) start and work. Prints one line per check and a summary;
# exits non-zero if any check failed. Bounded: every external step has a timeout.
set -uo pipefail

failed=0 passed=0
ok() { echo "ok   $*"; passed=$((passed + 1)); }
bad() { echo "FAIL $*"; failed=$((failed + 1)); }
uptime_s() { cut -d' ' -f1 /proc/uptime; }
t0=$(uptime_s)

echo "kernel: $(uname -r) ($(uname -v))"
[[ ${SIPALGD_VM:-} == 1 ]] || echo "note: SIPALGD_VM is not set; this does not look like the run.sh guest"

# --- modules ------------------------------------------------------------------------------
modules=(nf_conntrack nf_nat nf_conntrack_sip nf_nat_sip nfnetlink_queue nfnetlink_cthelper
	nf_conntrack_netlink nft_ct nft_nat nft_chain_nat nft_masq veth bridge xt_NFQUEUE
	iptable_nat iptable_filter nf_tables)
for m in "${modules[@]}"; do
	if err=$(timeout 20 modprobe "$m" 2>&1); then ok "modprobe $m"; else bad "modprobe $m: $err"; fi
done
if ls /sys/module | grep -x nfnetlink_cthelper; then
	ok "nfnetlink_cthelper is loaded (/sys/module/nfnetlink_cthelper)"
else
	bad "nfnetlink_cthelper not in /sys/module"
fi
if out=$(timeout 20 python3 "$(dirname "$0")/cthelper-probe.py" 2>&1); then ok "cthelper: $out"; else bad "cthelper: $out"; fi
[[ -e /proc/net/netfilter/nfnetlink_queue ]] && ok "/proc/net/netfilter/nfnetlink_queue present" ||
	bad "no /proc/net/netfilter/nfnetlink_queue"

# --- two namespaces, one veth -------------------------------------------------------------
a=vmst-a b=vmst-b
cleanup() { ip netns del "$a" 2>/dev/null; ip netns del "$b" 2>/dev/null; }
trap cleanup EXIT
cleanup
if ip netns add "$a" && ip netns add "$b" &&
	ip -n "$a" link add eth0 type veth peer name eth0 netns "$b" &&
	ip -n "$a" addr add 10.99.0.1/24 dev eth0 && ip -n "$b" addr add 10.99.0.2/24 dev eth0 &&
	ip -n "$a" link set eth0 up && ip -n "$b" link set eth0 up &&
	ip -n "$a" link set lo up && ip -n "$b" link set lo up; then
	ok "netns $a <-veth-> $b"
else
	bad "could not build two namespaces with a veth"
fi
if out=$(timeout 15 ip netns exec "$a" ping -c 3 -i 0.2 -W 2 10.99.0.2 2>&1); then
	ok "ping across the veth: $(echo "$out" | grep -o '[0-9]* received')"
else
	bad "ping across the veth: $out"
fi
# conntrack and nft inside a namespace: a masquerade rule and a kernel SIP helper object.
if timeout 10 ip netns exec "$a" nft -f - <<'EOF'
table ip vmst {
	ct helper sip-h { type "sip" protocol udp; l3proto ip; }
	chain pre { type filter hook prerouting priority filter; udp dport 5060 ct helper set "sip-h"; }
	chain post { type nat hook postrouting priority srcnat; oifname "eth0" masquerade; }
}
EOF
then ok "nft: ct helper \"sip\" object + masquerade rule loaded"; else bad "nft ruleset with ct helper sip"; fi
timeout 10 ip netns exec "$b" ping -c 1 -W 2 10.99.0.1 >/dev/null 2>&1
if timeout 10 ip netns exec "$a" conntrack -L 2>&1 | grep -q 'icmp'; then
	ok "conntrack -L shows the ping"
else
	bad "conntrack -L shows no icmp entry"
fi

# --- the lab's tools, from the host root ----------------------------------------------------
tool() { # NAME PATTERN COMMAND... : the command's output must match PATTERN (exit codes vary)
	local name=$1 pat=$2 out; shift 2
	out=$(timeout 20 "$@" 2>&1)
	if grep -qE "$pat" <<<"$out"; then ok "$name: $(grep -m1 -oE "$pat.*" <<<"$out" | cut -c1-60)"
	else bad "$name: '$*' printed: $(head -c 200 <<<"$out")"; fi
}
tool baresip 'baresip v[0-9.]+' baresip -h
tool kamailio 'version: kamailio [0-9.]+' kamailio -v
tool sipp 'SIPp v[0-9.]+' sipp -v
tool tcpdump 'tcpdump version [0-9.]+' tcpdump --version
tool python3 'Python 3\.[0-9]+' python3 --version
tool conntrack 'conntrack v[0-9.]+' conntrack --version
tool nft 'nftables v[0-9.]+' nft --version
tool iptables 'iptables v[0-9.]+' iptables --version

# A real SIP call over loopback in namespace b: sipp UAS + UAC, one call, INVITE..BYE.
work=$(mktemp -d /tmp/vmst.XXXXXX)
ip netns exec "$b" sipp -sn uas -i 127.0.0.1 -p 5070 -m 1 -timeout 20 -bg >"$work/uas.out" 2>&1
if timeout 25 ip netns exec "$b" sipp -sn uac 127.0.0.1:5070 -i 127.0.0.1 -p 5071 -m 1 \
	-timeout 20 -timeout_error >"$work/uac.out" 2>&1; then
	ok "sipp: one INVITE..BYE call over loopback"
else
	bad "sipp call failed: $(tail -n 5 "$work/uac.out")"
fi
# tcpdump in a namespace (it drops privileges to user tcpdump: needs a writable target dir).
chmod 1777 "$work"
ip netns exec "$b" timeout 15 tcpdump -U -n -i lo -c 2 -w "$work/lo.pcap" icmp 2>"$work/td.err" &
td=$!
sleep 1.5
ip netns exec "$b" ping -c 2 -i 0.2 127.0.0.1 >/dev/null 2>&1
wait "$td"
n=$(tcpdump -n -r "$work/lo.pcap" 2>/dev/null | wc -l)
((n >= 2)) && ok "tcpdump captured $n packets in a namespace" || bad "tcpdump captured $n packets: $(cat "$work/td.err")"
# kamailio needs a writable runtime dir (-Y) and pid file: /var/run/kamailio is read-only here.
ip netns exec "$b" kamailio -f /etc/kamailio/kamailio.cfg -c >"$work/kam.out" 2>&1 &&
	ok "kamailio -c: default config parses" || bad "kamailio -c: $(tail -n 3 "$work/kam.out")"
ip netns exec "$b" timeout 20 kamailio -DD -E -n 1 -Y "$work/kam" -P "$work/kam.pid" \
	-l udp:127.0.0.1:5080 >"$work/kam.log" 2>&1 &
kam=$!
# An OPTIONS ping answered by kamailio proves it runs: sipp's stock "uac" cannot do OPTIONS,
# so use python3 for one datagram.
reply=$(ip netns exec "$b" timeout 20 python3 - <<'EOF'
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 5090)); s.settimeout(1)
msg = ("OPTIONS sip:127.0.0.1:5080 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5090;branch=z9hG4bK-vmst\r\n"
       "Max-Forwards: 70\r\nFrom: <sip:t@127.0.0.1>;tag=1\r\nTo: <sip:127.0.0.1>\r\n"
       "Call-ID: vmst@127.0.0.1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").encode()
for _ in range(15):
    s.sendto(msg, ("127.0.0.1", 5080))
    try:
        print(s.recv(2000).decode(errors="replace").splitlines()[0]); break
    except socket.timeout:
        time.sleep(0.2)
EOF
)
kill "$kam" 2>/dev/null; wait "$kam" 2>/dev/null
[[ $reply == SIP/2.0\ * ]] && ok "kamailio answered OPTIONS: $reply" || bad "kamailio did not answer OPTIONS: $(tail -n 5 "$work/kam.log")"
# baresip writes its config under $HOME (run.sh sets HOME=/tmp/home) and needs -t to stop.
mkdir -p "$work/baresip"
printf 'sip_listen 127.0.0.1:5062\nmodule_path /usr/lib/baresip/modules\nmodule g711.so\n' >"$work/baresip/config"
: >"$work/baresip/accounts"
if ip netns exec "$b" timeout 20 baresip -f "$work/baresip" -t 1 >"$work/bs.out" 2>&1; then
	ok "baresip started and stopped (-t 1)"
else
	bad "baresip -t 1: $(tail -n 3 "$work/bs.out")"
fi
rm -rf "$work"

echo "memory: $(free -m | awk '/^Mem:/ { printf "%d MB used of %d MB (buff/cache %d MB)", $3, $2, $6 }')"
echo "selftest: $passed passed, $failed failed, $(awk -v a="$t0" -v b="$(uptime_s)" 'BEGIN { printf "%.1f", b - a }') s (guest uptime at start ${t0} s)"
((failed == 0))
