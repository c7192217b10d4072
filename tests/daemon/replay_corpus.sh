#!/usr/bin/env bash
# Replay every listed capture (the shared corpus, when present) through sipalgd:
# no crash, exit 0, the same number of packets out as in, and for outbound
# SIP no inside address left in Via/Contact/c=/o= and a right Content-Length
# (pcap_check). The inside network of each capture is chosen by hand in
# corpus_pcaps.txt (looked up with tcpdump -r). An IPv6 inside prefix is
# replayed routed (no NAT66): every packet must leave byte for byte, and the
# -v lines must name IPv6 SIP flows (column 3 "routed" asks for a pinhole too).
#   replay_corpus.sh SIPALGD PCAP_CHECK LIST CORPUS_DIR
set -u
sipalgd=$1 pcap_check=$2 list=$3 corpus=$4
[[ -d $corpus ]] || { echo "no corpus at $corpus: skipped"; exit 77; }
tmp=$(mktemp -d /tmp/sipalgd-corpus-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0 ran=0
while read -r file inside strict ports; do
	[[ -z $file || $file == \#* ]] && continue
	in=$corpus/$file
	[[ -f $in ]] || { echo "absent: $file"; continue; }
	out=$tmp/out.pcap
	# A capture whose SIP runs on other ports names them: sip_ports=5060,5090
	conf=()
	if [[ ${ports:-} == sip_ports=* ]]; then
		printf '[netfilter]\nsip_ports = %s\n' "${ports#sip_ports=}" > "$tmp/ports.conf"
		conf=(-c "$tmp/ports.conf")
	fi
	"$sipalgd" --replay "$in" --out "$out" --inside "$inside" --public 198.51.100.1 \
		"${conf[@]}" -v > "$tmp/v.txt" 2> "$tmp/err.txt"
	rc=$?
	if [[ $rc != 0 ]]; then
		echo "FAIL: $file: exit $rc: $(tail -3 "$tmp/err.txt")"; fail=1; continue
	fi
	if [[ $inside == *:* ]]; then
		if ! "$pcap_check" "$in" "$out" "$inside" - routed; then
			echo "FAIL: $file (routed IPv6: changed)"; fail=1
		elif ! grep -q ' udp \[' "$tmp/v.txt"; then
			echo "FAIL: $file: -v names no IPv6 flow"; fail=1
		elif [[ ${strict:-} == routed ]] && ! grep -q 'routed, pinhole to \[' "$tmp/v.txt"; then
			echo "FAIL: $file: -v names no routed pinhole"; fail=1
		fi
	elif ! "$pcap_check" "$in" "$out" "$inside" 198.51.100.1 "${strict:-lax}"; then
		echo "FAIL: $file"; fail=1
	fi
	ran=$((ran + 1))
done < "$list"
[[ $ran -gt 0 ]] || { echo "no listed capture present: skipped"; exit 77; }
echo "corpus: $ran captures replayed"
exit $fail
