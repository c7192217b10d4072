#!/usr/bin/env bash
# Re-make tests/daemon/captures/*.pcap (root; run by hand, not by ctest).
# Two namespaces joined by one veth, no NAT: the capture is what a gateway's
# LAN port sees. sipp: two callers on 192.168.77.10 and .11, both from local
# port 5060 (a NAT port clash). baresip: one call with RTP/RTCP (g711).
# Everything is bounded by timeout and stopped by PID.
set -u
out=$(cd "$(dirname "$0")" && pwd)/captures
IN=cfgcapin OUT=cfgcapout
W=$(mktemp -d /tmp/cfg-captures-XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	ip netns del $IN 2>/dev/null; ip netns del $OUT 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT

ip netns add $IN && ip netns add $OUT || exit 1
ip link add eth0 netns $IN type veth peer name eth0 netns $OUT
ip -n $IN addr add 192.168.77.10/24 dev eth0
ip -n $IN addr add 192.168.77.11/24 dev eth0
ip -n $OUT addr add 203.0.113.50/24 dev eth0
for n in $IN $OUT; do ip -n $n link set eth0 up; ip -n $n link set lo up; done
ip -n $IN route add 203.0.113.0/24 dev eth0
ip -n $OUT route add 192.168.77.0/24 dev eth0

capture() {	# file: start tcpdump on the inside link, PID in $td
	ip netns exec $IN timeout 60 tcpdump -U -i eth0 -s 0 -w "$1" udp 2>/dev/null &
	td=$!; pids+=($td); sleep 1
}
stop() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

# --- sipp: two callers, same local port, one UAS ---------------------------
capture "$W/sipp.pcap"
ip netns exec $OUT timeout 30 sipp -sn uas -i 203.0.113.50 -p 5060 -m 2 -timeout 25 \
	>/dev/null 2>&1 </dev/null &
uas=$!; pids+=($uas); sleep 0.5
for ip in 192.168.77.10 192.168.77.11; do
	ip netns exec $IN timeout 15 sipp -sn uac -i $ip -p 5060 -m 1 -timeout 10 \
		-mp 16000 203.0.113.50:5060 >/dev/null 2>&1 </dev/null || echo "sipp uac $ip failed"
done
stop $uas; sleep 0.5; stop $td

# --- baresip: one call with media -------------------------------------------
phone() {	# dir ip tone
	mkdir -p "$1"
	cat > "$1/config" <<EOC
poll_method epoll
sip_listen $2:5060
audio_source ausine,$3
ausrc_srate 48000
ausrc_channels 2
audio_player aufile,/dev/null
rtp_ports 16000-16098
module_path /usr/lib/baresip/modules
module g711.so
module ausine.so
module aufile.so
module_tmp account.so
module_app menu.so
EOC
}
phone "$W/a" 192.168.77.10 440
phone "$W/b" 203.0.113.50 1000
echo '<sip:a@192.168.77.10>;regint=0' > "$W/a/accounts"
echo '<sip:b@203.0.113.50>;regint=0;answermode=auto' > "$W/b/accounts"
capture "$W/baresip.pcap"
ip netns exec $OUT timeout 30 baresip -f "$W/b" -t 8 >"$W/b.log" 2>&1 </dev/null &
pb=$!; pids+=($pb); sleep 1
ip netns exec $IN timeout 30 baresip -f "$W/a" -t 4 -e "/dial sip:b@203.0.113.50" \
	>"$W/a.log" 2>&1 </dev/null
stop $pb; sleep 0.5; stop $td

for f in sipp baresip; do	# never replace a good capture by an empty one
	n=$(tcpdump -nn -r "$W/$f.pcap" 2>/dev/null | wc -l)
	[[ $n -gt 0 ]] || { echo "$f: nothing captured, captures/ left as they were"; exit 1; }
done
cp "$W/sipp.pcap" "$out/sipp-two-callers-same-port.pcap"
cp "$W/baresip.pcap" "$out/baresip-call-rtp.pcap"
chmod 644 "$out"/*.pcap
ls -l "$out"
