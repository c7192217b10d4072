#!/usr/bin/env bash
# kernel_check.sh - rtp/'s expectations against a real kernel (root).
#
#   tests/rtp/kernel_check.sh --vm [--kcheck BIN]  in a qemu guest (tests/vm/run.sh, stock
#                                                  Debian 6.1 kernel with nfnetlink_cthelper)
#   tests/rtp/kernel_check.sh [--kcheck BIN]       here (the kernel must have nfnetlink_cthelper)
#
# BIN is the built rtp_kcheck (default: build-rtp/tests/rtp/rtp_kcheck); ctest runs this as
# rtp_kernel_vm. --vm exits 77 (ctest SKIP) when not root, with SIPALGD_SKIP_VM=1, or when
# the guest did not come up. In namespaces
# rtpk-lan (phone 192.168.1.10) / rtpk-gw (masquerade to 203.0.113.1) / rtpk-wan (proxy
# 203.0.113.5, far phone 203.0.113.20), a throwaway userspace helper is attached to UDP 5060,
# a master SIP flow is created, and the real rtp table + expect_nl.c open pinholes for a call.
# Real UDP packets then prove: a far packet to public:P reaches inside:p (DNAT), and the
# phone's first packet to far:X leaves from public:P (the sibling SNAT), in both orders.
# P is taken from 12000-12999 while the phone uses 10000+, so only the expectations can
# produce these ports. Exit 0 when every "check" passes; "finding" lines are comparisons.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
kc=$top/build-rtp/tests/rtp/rtp_kcheck
vm=0
while (($#)); do
	case "$1" in
	--vm) vm=1; shift ;;
	--kcheck) kc=$(readlink -f "${2:?}"); shift 2 ;;
	*) echo "usage: $0 [--vm] [--kcheck BIN]" >&2; exit 2 ;;
	esac
done
[[ -x $kc ]] || { echo "kernel_check: $kc not built (cmake --build BUILD --target rtp_kcheck)" >&2; exit 2; }
if ((vm)); then
	((EUID == 0)) || { echo "SKIP: needs root (qemu, network namespaces)"; exit 77; }
	[[ ${SIPALGD_SKIP_VM:-0} == 1 ]] && { echo "SKIP: SIPALGD_SKIP_VM=1"; exit 77; }
	[[ -f $top/tests/vm/run.sh ]] || { echo "SKIP: no tests/vm/run.sh"; exit 77; }
	rc=0
	bash "$top/tests/vm/run.sh" --timeout 400 -- bash "$here/kernel_check.sh" --kcheck "$kc" || rc=$?
	((rc == 125)) && { echo "SKIP: the guest did not come up (vm/run.sh said 125)"; exit 77; }
	exit $rc
fi
((EUID == 0)) || { echo "kernel_check: must run as root" >&2; exit 2; }

probe="/usr/bin/python3 $here/udp_probe.py"
lan="ip netns exec rtpk-lan" gw="ip netns exec rtpk-gw" wan="ip netns exec rtpk-wan"
fails=0 kc_pid=""

cleanup() {
	[[ -n $kc_pid ]] && kill "$kc_pid" 2>/dev/null || true
	for n in lan gw wan; do ip netns del "rtpk-$n" 2>/dev/null || true; done
	"$kc" helper-del rtpchk 2>/dev/null || true
	"$kc" helper-del rtpchk1 2>/dev/null || true
}
trap cleanup EXIT

check() { # check NAME EXPECTED ACTUAL
	if [[ $3 == "$2" ]]; then echo "check PASS $1: $3"
	else echo "check FAIL $1: expected '$2', got '$3'"; fails=$((fails + 1)); fi
}

for m in veth nf_conntrack nf_nat nf_tables nft_ct nft_chain_nat nft_masq \
	 nf_conntrack_netlink nfnetlink_cthelper nf_nat_sip; do
	modprobe "$m" 2>/dev/null || echo "note: modprobe $m failed (built in?)"
done
uname -r

# --- topology -----------------------------------------------------------------------------
for n in lan gw wan; do ip netns add "rtpk-$n"; ip -n "rtpk-$n" link set lo up; done
ip -n rtpk-lan link add eth0 type veth peer name lan netns rtpk-gw
ip -n rtpk-wan link add eth0 type veth peer name wan netns rtpk-gw
ip -n rtpk-lan addr add 192.168.1.10/24 dev eth0
ip -n rtpk-gw addr add 192.168.1.1/24 dev lan
ip -n rtpk-gw addr add 203.0.113.1/24 dev wan
ip -n rtpk-wan addr add 203.0.113.5/24 dev eth0
ip -n rtpk-wan addr add 203.0.113.20/24 dev eth0
for l in "rtpk-lan eth0" "rtpk-gw lan" "rtpk-gw wan" "rtpk-wan eth0"; do
	set -- $l; ip -n "$1" link set "$2" up
done
ip -n rtpk-lan route add default via 192.168.1.1
$gw sysctl -qw net.ipv4.ip_forward=1

# Helpers: rtpchk with four expectation classes (0-3, as nat/ registers sipalgd's),
# rtpchk1 with one (class 0 only).
"$kc" helper-add rtpchk 4
"$kc" helper-add rtpchk1 1
$gw nft -f - <<'NFT'
table ip rtpk {
	ct helper sipalg-h { type "rtpchk" protocol udp; l3proto ip; }
	ct helper sipalg-h1 { type "rtpchk1" protocol udp; l3proto ip; }
	chain pre {
		type filter hook prerouting priority filter;
		udp dport 5060 ct helper set "sipalg-h"
		udp dport 5070 ct helper set "sipalg-h1"
	}
	chain prenat { type nat hook prerouting priority dstnat; }
	chain post { type nat hook postrouting priority srcnat; oifname "wan" masquerade; }
}
NFT

# The master SIP flows: phone 5060 -> proxy 5060 (and 5070 -> 5070 for rtpchk1). An
# exchange on the flow also restarts its 30 s UDP timeout: without a live master the
# kernel refuses expectations with ENOENT, so every call below refreshes it first.
# receiver NS FILE IP PORT: start a bounded receiver, return once it is bound (pid in $rx).
# Its 30 s (and the senders' 10 s) only cost time when a check fails: the sender is a
# python started over the guest's 9p root, which has taken more than the old 8 s.
receiver() {
	local i
	: >"$2"
	ip netns exec "$1" $probe recv "$3" "$4" 30 >"$2" &
	rx=$!
	for ((i = 0; i < 100; i++)); do grep -q ready "$2" && return 0; sleep 0.1; done
	echo "note: receiver $3:$4 not ready after 10 s"
}
master_flow() { # SIP_PORT
	local rx
	receiver rtpk-wan /tmp/rtpk.sip 203.0.113.5 "$1"
	$lan $probe send 192.168.1.10 "$1" 203.0.113.5 "$1" 10 >/dev/null ||
		echo "note: no reply on the master flow $1"
	wait "$rx" || true
}
for p in 5060 5070; do master_flow $p; done
echo "--- master flows"
$gw conntrack -L -p udp 2>/dev/null | grep -E "dport=50[67]0" | sed -n '1,4p'
check "master carries the helper" "yes" \
	"$($gw conntrack -L -p udp --orig-port-dst 5060 2>/dev/null | grep -q 'helper=rtpchk' && echo yes || echo no)"

# --- one call through the real pinhole layer ------------------------------------------------
kc_start() { # FN CLASS SIP_PORT
	coproc KC { $gw "$kc" call "$1" "$2" 12000 12999 "192.168.1.10:$3" "203.0.113.5:$3" \
		203.0.113.1 203.0.113.20; }
	kc_pid=$KC_PID
}
kc_cmd() { echo "$1" >&"${KC[1]}"; local r; read -r -t 10 r <&"${KC[0]}" || r="(no answer)"; echo "$r"; }
kc_stop() { echo quit >&"${KC[1]}" || true; wait "$kc_pid" 2>/dev/null || true; kc_pid=""; }
expect_count() { $gw conntrack -L expect 2>/dev/null | grep -c 'proto=17' || true; }

# Failures come back though nothing is ACKed (expect_nl.c asks for answers to failures only):
# a pinhole naming a master flow that does not exist gets the kernel's ENOENT, while its
# neighbour in the same datagram, on the live master, is created.
echo "=== a failed create is reported without ACKs"
master_flow 5060
kc_start sip 1 5060
r=$(kc_cmd "orphan 12900"); echo "  $r"
check "orphan master: ENOENT answered, the live one created" "orphan err=-2 live_master_err=0" "$r"
kc_stop

# call NAME FN CLASS SIP_PORT INSIDE_PORT FAR_PORT ORDER(far|phone|wide) MODE(check|finding)
call() {
	local name=$1 fn=$2 class=$3 sip=$4 ip=$5 fp=$6 order=$7 mode=$8 r pub a b rx before
	echo "=== $name (fn=$fn class=$class, $order first)"
	master_flow "$sip"
	kc_start "$fn" "$class" "$sip"
	r=$(kc_cmd "offer $ip"); echo "  $r"
	pub=$(sed -n 's/.*public_port=\([0-9]*\).*/\1/p' <<<"$r")
	if [[ $order == wide ]]; then
		# A retransmitted offer: the pinholes are replaced, not duplicated or failed.
		r=$(kc_cmd "offer $ip"); echo "  again: $r"
		check "$name: offer sent twice - no failure" "failed=0" "$(grep -o 'failed=[0-9]*' <<<"$r")"
		check "$name: offer sent twice - still two expectations" 2 "$(expect_count)"
	else
		r=$(kc_cmd "answer $fp"); echo "  $r"
	fi
	echo "  conntrack -L expect:"; $gw conntrack -L expect 2>/dev/null | sed 's/^/    /'
	if [[ $order == phone ]]; then
		receiver rtpk-wan /tmp/rtpk.far 203.0.113.20 "$fp"
		b=$($lan $probe send 192.168.1.10 "$ip" 203.0.113.20 "$fp" 10 || true)
		wait "$rx" || true; a=$(tail -n1 /tmp/rtpk.far)
		echo "  far saw: $a; phone got: $b"
		if [[ $mode == check ]]; then
			check "$name: phone's first packet leaves from public:P" "recv from 203.0.113.1:$pub" "$a"
			check "$name: far's answer reaches the phone" "reply from 203.0.113.20:$fp" "$b"
		else
			echo "finding $name: phone's first packet left as '${a#recv from }' (public pair was $pub)"
		fi
	else
		receiver rtpk-lan /tmp/rtpk.lan 192.168.1.10 "$ip"
		b=$($wan $probe send 203.0.113.20 "$fp" 203.0.113.1 "$pub" 10 || true)
		wait "$rx" || true; a=$(tail -n1 /tmp/rtpk.lan)
		echo "  phone saw: $a; far got: $b"
		if [[ $mode == check ]]; then
			check "$name: far packet to public:P reaches inside:p" "recv from 203.0.113.20:$fp" "$a"
			check "$name: phone's answer leaves from public:P" "reply from 203.0.113.1:$pub" "$b"
		else
			echo "finding $name: phone saw '$a', far got '$b' (public pair was $pub)"
		fi
	fi
	echo "  media conntrack:"
	$gw conntrack -L -p udp 2>/dev/null | grep -E "sport=($ip|$fp) " | sed 's/^/    /' || true
	# The unused ones (RTCP, the sibling or pinhole the other side's flow made
	# redundant) are still there: the BYE must remove them.
	before=$(expect_count)
	r=$(kc_cmd bye); echo "  $r"
	if [[ $mode == check ]]; then
		check "$name: expectations left before BYE (not zero)" yes \
			"$( ((before > 0)) && echo yes || echo "no ($before)")"
		check "$name: no expectation left after BYE" 0 "$(expect_count)"
	fi
	kc_stop
}

call far-first sip 1 5060 10000 40000 far check
call phone-first sip 1 5060 10002 40002 phone check
call far-before-answer sip 1 5060 10004 40004 wide check
call phone-first-class3 sip 3 5060 10014 40014 phone check
call follow-master-far-first nat-follow-master 1 5060 10012 40012 far finding
call follow-master-phone-first nat-follow-master 1 5060 10006 40006 phone finding
call class0-phone-first sip 0 5060 10008 40008 phone finding

# Narrowing has a gap: the answer replaces the wide inbound pinhole by a narrow one, and
# the kernel refuses the narrow one while the wide one exists (EBUSY), so the wide one goes
# first. Far media arriving in between (seen in the lab: the far phone's first RTP reached
# the gateway 4 ms after its 200 OK, while that answer sat in the queue) finds no
# expectation. Unguarded, it becomes a flow to the gateway itself (no DNAT) that holds
# public:P as long as the far end keeps sending: the narrow pinhole is never used and the
# phone hears nothing. sipalgd's input chain (configs/sipalgd.nft) drops such packets
# before conntrack confirms them, so the far end's next packet meets the narrow pinhole.
# The gap is made long here: "gap" deletes the wide pinholes, one far packet arrives,
# then "answer" creates the narrow ones.
guard_load() {
	{ echo "table ip rtpk-guard {"
	  sed -n '/^\tchain input {/,/^\t}/p' "$top/configs/sipalgd.nft"
	  echo "}"; } | $gw nft -f -
}
gap_call() { # NAME GUARD(yes|no) INSIDE_PORT FAR_PORT
	local name=$1 guard=$2 ip=$3 fp=$4 r pub a rx stale
	echo "=== $name (far media in the narrowing gap, guard $guard)"
	master_flow 5060
	[[ $guard == yes ]] && guard_load
	kc_start sip 1 5060
	r=$(kc_cmd "offer $ip"); echo "  $r"
	pub=$(sed -n 's/.*public_port=\([0-9]*\).*/\1/p' <<<"$r")
	r=$(kc_cmd gap); echo "  $r"
	$wan $probe send 203.0.113.20 "$fp" 203.0.113.1 "$pub" 1 >/dev/null || true
	r=$(kc_cmd "answer $fp"); echo "  $r"
	receiver rtpk-lan /tmp/rtpk.lan 192.168.1.10 "$ip"
	$wan $probe send 203.0.113.20 "$fp" 203.0.113.1 "$pub" 4 >/dev/null || true
	wait "$rx" || true; a=$(tail -n1 /tmp/rtpk.lan)
	# a flow from the far end to public:P whose reply still comes from the gateway
	stale=$($gw conntrack -L -p udp --orig-port-dst "$pub" 2>/dev/null |
		grep -c "src=203.0.113.1 dst=203.0.113.20 sport=$pub" || true)
	echo "  phone saw: $a; un-NATed flows to public:$pub: $stale"
	$gw conntrack -L -p udp --orig-port-dst "$pub" 2>/dev/null | sed 's/^/    /' || true
	if [[ $guard == yes ]]; then
		check "$name: far media after the gap reaches inside:p" "recv from 203.0.113.20:$fp" "$a"
		check "$name: no un-NATed flow holds public:P" 0 "$stale"
		$gw nft delete table ip rtpk-guard
	else
		# the gap is real: what the guarded run must not show
		check "$name: far media in the gap leaves a flow holding public:P" 1 "$stale"
		echo "finding $name: without the guard the phone saw '$a'"
	fi
	kc_cmd bye >/dev/null
	kc_stop
	$gw conntrack -D -p udp --orig-port-dst "$pub" >/dev/null 2>&1 || true
}
gap_call narrowing-gap-unguarded no 10020 40020
gap_call narrowing-gap-guarded yes 10022 40022

# A trunk: 150 ringing calls on one signalling flow = 300 inbound pinholes. The kernel keeps
# at most max_expected (255) per master and class and silently evicts the oldest beyond it;
# spread over classes 1..3 they all stay. One class: the oldest calls lose their pinholes.
# The kernel's global cap comes first: nf_conntrack_expect_max is 4 x the expectation hash
# size, 128 in a 1 GB guest (EMFILE beyond). Measured once at the default, then raised.
echo "nf_conntrack_expect_max=$(sysctl -n net.netfilter.nf_conntrack_expect_max)"
echo "=== trunk: 150 calls on one flow, default global expectation cap"
master_flow 5060
kc_start sip 1 5060
r=$(kc_cmd "trunk 150"); echo "  $r"
echo "finding trunk at the default nf_conntrack_expect_max: $(expect_count) of 300 pinholes; $r"
kc_stop
sysctl -qw net.netfilter.nf_conntrack_expect_max=4096
for k in 1 3; do
	echo "=== trunk: 150 calls on one flow, $k class(es)"
	master_flow 5060
	kc_start sip 1 5060
	r=$(kc_cmd "classes $k"); echo "  $r"
	r=$(kc_cmd "trunk 150"); echo "  $r"
	n=$(expect_count)
	if ((k == 3)); then
		check "trunk over 3 classes: every pinhole kept" 300 "$n"
	else
		echo "finding trunk in one class: $n of 300 pinholes in the kernel (eviction)"
	fi
	kc_stop
	check "trunk ($k): table free removes them all" 0 "$(expect_count)"
done

echo "=== helper with one policy, class 1"
master_flow 5070
kc_start sip 1 5070
r=$(kc_cmd "offer 10010"); echo "  $r"
echo "finding one-policy helper + class 1: $r"
kc_stop

echo "--- $fails check(s) failed"
((fails == 0))
