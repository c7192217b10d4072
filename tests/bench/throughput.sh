#!/usr/bin/env bash
# throughput.sh - SIP packets per second through a masquerading gateway namespace:
# plain forwarding, the kernel's SIP helper, and sipalgd (helper mode), side by side.
#
#   tests/bench/throughput.sh --vm [--count N] [--bin SIPALGD] [--flood SIP_FLOOD]
#       in a qemu guest on Debian's stock kernel (tests/vm/run.sh; nfnetlink_cthelper)
#   tests/bench/throughput.sh [--count N] ...      here (root; sipalgd needs nfnetlink_cthelper)
#   --modes "plain kernel queue sipalgd" picks the rows (default all four; queue only when
#   nfq_null is built); --pps N paces the
#   sender (default: as fast as it goes - beyond what a queue can serve, so fail-open shows)
#   --sweep: instead of one flood per row, paced rates for each row (500/s, doubling, then
#   one step between the last rate served in full and the first that was not), each from a
#   fresh gateway, 2 s of traffic (at least 500 messages, at most --count). A rate is served
#   in full when every message arrived, nothing un-rewritten, at >= 90% of the rate asked
#   (a queue that holds a burst and drains it later is not keeping up; nor is a sender that
#   cannot pace that fast: under TCG the sender itself tops out near 3000/s). Prints the
#   knee, the highest rate each gateway served in full, and each one's ratio to the kernel's.
#   The "queue" row is the floor of any NFQUEUE helper: nfq_null (tests/bench/nfq_null.c),
#   sipalgd's own queue and verdict layers accepting every SIP packet unread, behind an nft
#   `queue` rule; it rewrites nothing, so like plain forwarding it is judged on arrivals only.
#   --workers N: sipalgd with [netfilter] workers = N (queues 11..11+N-1, docs/workers.md;
#   0 = its default, the online CPUs);
#   --flows K: the load comes from K LAN source ports (5060, 5062, ...: K SIP flows, each its
#   own conntrack, so that a helper-mode hash can spread them over the workers), sent by one
#   sip_flood in turns (a batch of up to 8 each) at the same total rate and count as one flow,
#   so a K-flow sweep judges like a one-flow one; every row gets the same flows (default 1).
#   --messages "register invite newcall": the messages (default all three)
#   --pace spin|sleep: the paced sender spins between batches (default: one vCPU of the
#   guest's two goes to the sender, as in every figure so far) or sleeps (SIP_FLOOD_PACE).
#   In one TCG boot sleeping measured slower (kernel new calls 3000/s against 8000/s
#   spinning; an idle vCPU's wakeup is dear under TCG), but another guest may have shared
#   the host then: not settled
#
# A benchmark, not a test: it prints a table and asserts nothing about speed. For each
# gateway and message (tests/nat's REGISTER: Via/Contact rewrite; its INVITE with SDP:
# Via/Contact/o=/c=/m= rewrite, its copies being retransmissions of one call; "newcall":
# that INVITE with a new Call-ID each time, so each one opens a call's pinholes - at most
# 4000 of them, under the default max_dialogs and the 5000 public port pairs), sip_flood sends N copies
# from the LAN host as fast as its socket takes them, and the WAN host counts what arrived
# and how many still name the LAN address (crossed un-rewritten: a queue that overflowed and
# failed open). Also shown: the queue's own drop counters (/proc/net/netfilter/
# nfnetlink_queue) and sipalgd's counters. Under TCG the absolute rates are the emulator's;
# the ratios between the rows are the finding (the host and the guest kernel treat each row
# alike).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
count=20000 vm=0 modes="" messages="register invite newcall" pace=spin pps=0 sweep=0 max_rate=64000 workers=1 flows=1
bin=$top/build-rel/daemon/sipalgd flood=$top/build-rel/tests/bench/sip_flood
nullq=$top/build-rel/tests/bench/nfq_null
while (($#)); do
	case $1 in
	--vm) vm=1; shift ;;
	--count) count=${2:?}; shift 2 ;;
	--modes) modes=${2:?}; shift 2 ;;
	--messages) messages=${2:?}; shift 2 ;;
	--pace) pace=${2:?}; shift 2 ;;
	--pps) pps=${2:?}; shift 2 ;;
	--sweep) sweep=1; shift ;;
	--max-rate) max_rate=${2:?}; shift 2 ;;
	--workers) workers=${2:?}; shift 2 ;;
	--flows) flows=${2:?}; shift 2 ;;
	--bin) bin=$(readlink -f "${2:?}"); shift 2 ;;
	--flood) flood=$(readlink -f "${2:?}"); shift 2 ;;
	--nullq) nullq=$(readlink -f "${2:?}"); shift 2 ;;
	*) echo "usage: $0 [--vm] [--sweep] [--count N] [--modes 'plain kernel queue sipalgd'] [--messages 'register invite newcall'] [--pace spin|sleep] [--workers N] [--flows K] [--bin SIPALGD] [--flood SIP_FLOOD] [--nullq NFQ_NULL]" >&2; exit 2 ;;
	esac
done
((EUID == 0)) || { echo "throughput: needs root" >&2; exit 2; }
[[ $pace == spin || $pace == sleep ]] || { echo "throughput: --pace spin or sleep" >&2; exit 2; }
export SIP_FLOOD_PACE=$pace
if [[ -z $modes ]]; then
	modes="plain kernel sipalgd"
	[[ -x $nullq ]] && modes="plain kernel queue sipalgd"
fi
[[ " $modes " != *" queue "* || -x $nullq ]] ||
	{ echo "throughput: $nullq not built (the queue row)" >&2; exit 2; }
for b in "$bin" "$flood"; do
	[[ -x $b ]] || { echo "throughput: $b not built (cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release && cmake --build build-rel)" >&2; exit 2; }
done
if ((vm)); then
	exec bash "$top/tests/vm/run.sh" --smp 2 --mem 1024 --timeout 900 -- \
		env BENCH_VERBOSE="${BENCH_VERBOSE:-}" bash "$here/throughput.sh" --count "$count" --pps "$pps" --modes "$modes" --messages "$messages" --pace "$pace" --bin "$bin" --flood "$flood" --nullq "$nullq" \
		$( ((sweep)) && echo --sweep) --max-rate "$max_rate" --workers "$workers" --flows "$flows"
fi

modprobe -a nfnetlink_cthelper nfnetlink_queue nf_conntrack_netlink nf_nat nf_nat_sip \
	nf_conntrack_sip nft_ct nft_chain_nat nft_masq nft_queue 2>/dev/null || true
. "$top/tests/nat/netns_topo.sh"
tag=$$ lan=tp-lan-$$ gw=tp-gw-$$ wan=tp-wan-$$
tmp=$(mktemp -d /tmp/throughput.XXXXXX)
dpid=""
cleanup() {
	[[ -n $dpid ]] && { kill "$dpid" 2>/dev/null || true; wait "$dpid" 2>/dev/null || true; }
	topo_down "$lan" "$gw" "$wan"
	rm -rf "$tmp"
}
trap cleanup EXIT
topo_up "$lan" "$gw" "$wan"
sysctl -qw net.netfilter.nf_conntrack_expect_max=4096 2>/dev/null || true

sip_messages "$tmp"	# tests/nat/netns_topo.sh: the REGISTER and INVITE of tests/nat

cat >"$tmp/sipalgd.conf" <<CONF
[general]
user =
status_socket = $tmp/status.sock
log_level = info
[netfilter]
queue = 11
workers = $workers
tcp = no
[media]
; every "newcall" INVITE comes from the one LAN host: the per-host caps would stop it at 64
max_dialogs_per_host = 4096
max_pairs_per_host = 5000
CONF

# gateway MODE: plain | kernel | sipalgd (the previous one torn down first)
gateway() {
	ip netns exec "$gw" nft delete table ip bench 2>/dev/null || true
	ip netns exec "$gw" iptables -w -F FORWARD 2>/dev/null || true
	if [[ -n $dpid ]]; then kill "$dpid"; wait "$dpid" 2>/dev/null || true; dpid=""; fi
	case $1 in
	kernel)
		ip netns exec "$gw" nft -f - <<'NFT'
table ip bench {
	ct helper sip-udp { type "sip" protocol udp; l3proto ip; }
	chain pre { type filter hook prerouting priority filter; udp dport 5060 ct helper set "sip-udp"; }
}
NFT
		;;
	queue)	# nft's queue statement, or xtables' NFQUEUE where nft_queue is not built
		ip netns exec "$gw" nft -f - 2>/dev/null <<'NFT' ||
table ip bench {
	chain forward_queue { type filter hook forward priority filter; udp dport 5060 queue num 11; }
}
NFT
			ip netns exec "$gw" iptables -w -I FORWARD -p udp --dport 5060 -j NFQUEUE --queue-num 11
		ip netns exec "$gw" "$nullq" 11 3600 >"$tmp/nullq.out" 2>&1 &
		dpid=$!
		local k
		for ((k = 0; k < 100; k++)); do grep -q ready "$tmp/nullq.out" && break; sleep 0.1; done
		grep -q ready "$tmp/nullq.out" || { cat "$tmp/nullq.out" >&2; exit 1; }
		;;
	sipalgd)
		ip netns exec "$gw" "$bin" -f -c "$tmp/sipalgd.conf" 2>"$tmp/sipalgd.log" &
		dpid=$!
		local i
		for ((i = 0; i < 100; i++)); do grep -q "sipalgd running:" "$tmp/sipalgd.log" && break; sleep 0.1; done
		grep -q "sipalgd running:" "$tmp/sipalgd.log" || { cat "$tmp/sipalgd.log" >&2; exit 1; }
		;;
	esac
	ip netns exec "$gw" conntrack -F >/dev/null 2>&1 || true
	ip netns exec "$gw" conntrack -F expect >/dev/null 2>&1 || true
}

daemon_cpu() {	# sipalgd's user and system CPU so far, in clock ticks, or "- -"
	if [[ -n $dpid && -r /proc/$dpid/stat ]]; then
		# fields after the ")" of the command name: utime is the 12th, stime the 13th
		sed 's/.*) //' "/proc/$dpid/stat" | awk '{ print $12, $13 }'
	else
		echo "- -"
	fi
}

nqueues=$workers	# workers = 0: the daemon takes the online CPUs, at most 16
((nqueues)) || nqueues=$(nproc)
((nqueues <= 16)) || nqueues=16
queue_drops() {	# queue_dropped + user_dropped of our queue in the gateway's namespace, or "-"
	ip netns exec "$gw" awk -v last=$((11 + nqueues - 1)) \
		'$1 >= 11 && $1 <= last { d += $6 + $7; found = 1 } END { if (!found) print "-"; else print d }' \
		/proc/net/netfilter/nfnetlink_queue 2>/dev/null || echo -
}

# one MODE MSG [N [PPS]]: a flood and what arrived
one() {
	local mode=$1 msg=$2 r s n=${3:-$count} pps=${4:-$pps} file=$2 vary=""
	if [[ $msg == newcall ]]; then
		file=invite vary=new-calls
		((n > 4000)) && n=4000
	fi
	ip netns exec "$wan" "$flood" recv 203.0.113.2 5060 1500 192.168.77.10 >"$tmp/recv.out" &
	local rx=$! i
	for ((i = 0; i < 100; i++)); do grep -q ready "$tmp/recv.out" && break; sleep 0.05; done
	local qd0 cpu0 cpu1; qd0=$(queue_drops); cpu0=$(daemon_cpu)
	if ((flows <= 1)); then
		s=$(ip netns exec "$lan" "$flood" send 192.168.77.10 5060 203.0.113.2 5060 "$tmp/$file.sip" "$n" "$pps" $vary)
	else	# K flows, each its own source port (named in its Via/Contact) and conntrack, from
		# one sender taking turns on one schedule: the same total and pace as one flow
		# (K processes started one after another began up to 0.3 s apart under TCG, which
		# stretched the arrival span past the 90% mark, and K pacing loops spun on the CPUs)
		local f port ports="" files=""
		for ((f = 0; f < flows; f++)); do
			port=$((5060 + 2 * f))
			# a Call-ID of its own too (same length), and its own RTP port (10000, 10002, ...:
			# the same length too): like K phones. With one shared media address the kernel
			# helper drops every INVITE whose expectation clashes with another flow's
			# (another master: -EBUSY), and let 1 flow of 4 through
			sed -e "s/192\.168\.77\.10:5060/192.168.77.10:$port/g" -e "s/call-1@/call-$((f % 10))@/" \
				-e "s/^m=audio 10000 /m=audio $((10000 + 2 * f)) /" "$tmp/$file.sip" >"$tmp/$file-$f.sip"
			ports+=${ports:+,}$port files+=${files:+,}$tmp/$file-$f.sip
		done
		s="$flows flows: $(ip netns exec "$lan" "$flood" send 192.168.77.10 "$ports" 203.0.113.2 5060 "$files" "$n" "$pps" $vary)"
	fi
	wait "$rx" || true
	r=$(tail -n1 "$tmp/recv.out")
	local got leaked span qd1
	read -r _ got _ leaked _ span _ <<<"$r"
	qd1=$(queue_drops); cpu1=$(daemon_cpu)
	local qd="-"
	[[ $qd0 != - && $qd1 != - ]] && qd=$((qd1 - qd0))
	awk -v m="$mode" -v g="$msg" -v n="$n" -v got="$got" -v lk="$leaked" -v sp="$span" \
		-v qd="$qd" -v sent="$s" 'BEGIN {
		pps = sp > 0 ? got / sp : 0
		printf "%-8s %-8s %7d/%-7d %7d %10.0f %8s   (%s)\n", m, g, got, n, lk, pps, qd, sent }'
	# where sipalgd's time went: user (parsing, rewriting, tables) or system (netlink
	# round trips, including the kernel's own work on each request)
	if [[ ${cpu0% *} != - && ${cpu1% *} != - ]]; then
		awk -v u0="${cpu0% *}" -v s0="${cpu0#* }" -v u1="${cpu1% *}" -v s1="${cpu1#* }" \
			-v hz="$(getconf CLK_TCK)" -v n="$got" -v sp="$span" -v who="$([[ $mode == queue ]] && echo nfq_null || echo sipalgd)" 'BEGIN {
			u = (u1 - u0) / hz; s = (s1 - s0) / hz
			printf "  %s cpu: user %.2f s, system %.2f s for %d messages (%.0f us each; busy %.0f%% of the %.2f s span)\n",
				who, u, s, n, (n ? 1e6 * (u + s) / n : 0), (sp > 0 ? 100 * (u + s) / sp : 0), sp }'
	fi
	if [[ $mode == sipalgd ]] && ((workers != 1)); then	# how the flows spread (counted since its start)
		ip netns exec "$gw" "$bin" status -s "$tmp/status.sock" 2>/dev/null |
			awk '$1 ~ /^queue[0-9]+_(packets|kernel_queue_dropped)$/ { l = l " " $1 "=" $2 } END { if (l != "") print "  sipalgd per queue:" l }' || true
	fi
	echo "$mode $msg $got $leaked $span $n $pps" >>"$tmp/rows"
}

# full MODE MSG RATE: a fresh gateway, 2 s of paced traffic. 0 when everything arrived
# (rewritten, but for plain forwarding) AND at >= 90% of the rate asked: a gateway that
# queues a burst and drains it later, or a sender that cannot keep the pace, does not count.
full() {
	local n=$(($3 * 2)) last got leaked span
	((n < 500)) && n=500
	((n > count)) && n=$count
	gateway "$1"
	one "$1" "$2" "$n" "$3" | tee -a "$tmp/sweep.log"	# the step's lines, as it goes
	last=$(tail -n1 "$tmp/rows")
	read -r _ _ got leaked span n _ <<<"$last"
	[[ $1 == plain || $1 == queue ]] && leaked=0	# these rewrite nothing, by design
	((got == n && leaked == 0)) || return 1
	awk -v g="$got" -v s="$span" -v r="$3" 'BEGIN { exit !(s > 0 && g / s >= 0.9 * r) }'
}
# knee MODE MSG: the highest rate served in full (doubling from 500/s, then one step between)
knee() {
	local mode=$1 msg=$2 rate=500 ok=0 bad=0 mid
	while ((rate <= max_rate)); do
		if full "$mode" "$msg" "$rate" >&2; then ok=$rate; rate=$((rate * 2)); else bad=$rate; break; fi
	done
	if ((ok && bad)); then
		mid=$(((ok + bad) / 2))
		full "$mode" "$msg" "$mid" >&2 && ok=$mid
	fi
	gateway none	# this runs in a subshell: its daemon must not outlive it
	echo "$ok $bad"
}

if ((sweep)); then
	echo "kernel $(uname -r); $(nproc) CPUs; sweep: paced rates from 500/s, 2 s each (500..$count messages), up to $max_rate/s"
	printf "%-8s %-8s %s\n" gateway message "highest rate delivered in full, nothing un-rewritten (first rate that failed)"
	for mode in $modes; do
		for msg in $messages; do
			# no /dev/fd in the guest for <(...); a gateway that did not start prints nothing
			read -r ok bad <<<"$(knee "$mode" "$msg")" || true
			[[ $ok =~ ^[0-9]+$ && $bad =~ ^[0-9]+$ ]] ||
				{ printf "%-8s %-8s did not start (its log is above)\n" "$mode" "$msg"; continue; }
			printf "%-8s %-8s %8s/s  (%s)\n" "$mode" "$msg" "$ok" "$( ((bad)) && echo "$bad/s failed" || echo "none failed up to $max_rate/s")"
			echo "$mode $msg $ok" >>"$tmp/knees"
		done
	done
	gateway none
	awk '{ k[$1 " " $2] = $3 } END { for (m in k) { split(m, a, " "); if (a[1] != "kernel" && k["kernel " a[2]] > 0)
		printf "ratio %s/kernel %s: %.2f\n", a[1], a[2], k[m] / k["kernel " a[2]] } }' "$tmp/knees" | sort
	echo "--- every step (gateway message arrived/sent private pkt/s q-drops):"
	cat "$tmp/sweep.log"
	exit 0
fi
echo "kernel $(uname -r); $(nproc) CPUs; sipalgd workers $workers; $flows flow(s); $count messages per row; sender $( ((pps)) && echo "paced to $pps/s" || echo unpaced)"
printf "%-8s %-8s %15s %7s %10s %8s\n" gateway message "arrived/sent" private "pkt/s" "q-drops"
for mode in $modes; do
	gateway "$mode"
	# newcall last: each of its INVITEs leaves a dialog (and pinholes) behind
	for msg in $messages; do one "$mode" "$msg"; done
	if [[ $mode == sipalgd ]]; then
		ip netns exec "$gw" "$bin" status -s "$tmp/status.sock" >"$tmp/status.txt" 2>&1 || true
		if [[ -n ${BENCH_VERBOSE:-} ]]; then cat "$tmp/status.txt"; cat "$tmp/sipalgd.log"; cat /proc/net/netfilter/nfnetlink_queue; fi
		grep -E "^(packets|rewritten|received|socket_overruns|verdict_errors|verdict_send_errors|kernel_queue_dropped|kernel_user_dropped|kernel_queue_len|created|failed|sdp_retransmits|live) " \
			"$tmp/status.txt" | sed 's/^/  sipalgd: /' || true
	fi
done
gateway none
# the ratios: each row against plain forwarding of the same message
awk '{ pps[$1 " " $2] = ($5 > 0 ? $3 / $5 : 0) }
     END { for (k in pps) { split(k, a, " "); if (a[1] != "plain" && pps["plain " a[2]] > 0)
             printf "ratio %s/%s %s: %.2f of plain forwarding\n", a[1], "plain", a[2], pps[k] / pps["plain " a[2]] } }' \
	"$tmp/rows" | sort
