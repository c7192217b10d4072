#!/usr/bin/env bash
# The sipalgd binary's own contract: `-n` exit codes and messages, --replay
# exit codes and its -v line per packet.
#   check_cli.sh SIPALGD SHIPPED.conf TEST_REPLAY
set -u
sipalgd=$1 shipped=$2 test_replay=$3
tmp=$(mktemp -d /tmp/sipalgd-cli-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() {	# check DESCRIPTION EXPECTED_RC ACTUAL_RC
	if [[ $2 != "$3" ]]; then echo "FAIL: $1: exit $3, expected $2"; fail=1; fi
}

out=$("$sipalgd" -n -c "$shipped" 2>&1); rc=$?
check "-n on the shipped config" 0 $rc
[[ $out == "configuration OK" ]] || { echo "FAIL: -n printed '$out'"; fail=1; }

printf '[general]\nenabled = yes\n\n[media]\nport_min = 10001\n' > "$tmp/bad.conf"
out=$("$sipalgd" -n -c "$tmp/bad.conf" 2>&1); rc=$?
check "-n on a broken config" 1 $rc
[[ $out == *"$tmp/bad.conf:5: "* ]] || { echo "FAIL: -n did not name line 5: '$out'"; fail=1; }

out=$("$sipalgd" --help 2>&1); rc=$?
check "--help" 0 $rc
[[ $out == usage:*"--replay"*"status"* ]] || { echo "FAIL: --help printed '$out'"; fail=1; }
out=$("$sipalgd" --version 2>&1); rc=$?
check "--version" 0 $rc
[[ $out =~ ^sipalgd\ [0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "FAIL: --version printed '$out'"; fail=1; }
"$sipalgd" --no-such-option >/dev/null 2>&1; rc=$?
check "an unknown long option" 2 $rc

out=$("$sipalgd" -n -c "$tmp/missing.conf" 2>&1); rc=$?
check "-n on a missing file" 1 $rc

printf '[general]\nuser = no-such-user-sipalgd-test\n' > "$tmp/user.conf"
out=$("$sipalgd" -n -c "$tmp/user.conf" 2>&1); rc=$?
check "-n with a user this system lacks" 1 $rc
[[ $out == *"no-such-user-sipalgd-test' does not exist"* ]] || { echo "FAIL: -n user: '$out'"; fail=1; }

out=$("$sipalgd" status -s "$tmp/no-daemon.sock" 2>&1); rc=$?
check "status without a daemon" 1 $rc
[[ $out == *"$tmp/no-daemon.sock"* ]] || { echo "FAIL: status did not name the socket: '$out'"; fail=1; }

"$test_replay" --sample "$tmp/in.pcap" || { echo "FAIL: could not write the sample"; exit 1; }
n_in=$(tcpdump -nn -r "$tmp/in.pcap" 2>/dev/null | wc -l)
"$sipalgd" --replay "$tmp/in.pcap" --out "$tmp/out.pcap" --inside 192.168.1.0/24 \
	--public 198.51.100.1 -v > "$tmp/v.txt" 2> "$tmp/err.txt"; rc=$?
check "--replay -v" 0 $rc
n_v=$(wc -l < "$tmp/v.txt")
[[ $n_v == "$n_in" ]] || { echo "FAIL: -v printed $n_v lines for $n_in packets"; fail=1; }
grep -q '^1 out udp 192.168.1.10:5060 > 203.0.113.5:5060 => 198.51.100.1:5060 > 203.0.113.5:5060 | SIP REGISTER: .*via' "$tmp/v.txt" ||
	{ echo "FAIL: -v line 1 unexpected: $(head -1 "$tmp/v.txt")"; fail=1; }
grep -q 'IP fragment' "$tmp/v.txt" || { echo "FAIL: -v does not say why a fragment was copied"; fail=1; }
n_out=$(tcpdump -nn -r "$tmp/out.pcap" 2>/dev/null | wc -l)
[[ $n_out == "$n_in" ]] || { echo "FAIL: $n_out packets out, $n_in in"; fail=1; }

# with -c: the switches come from the file
printf '[general]\nenabled = no\n' > "$tmp/off.conf"
"$sipalgd" --replay "$tmp/in.pcap" --out "$tmp/off.pcap" --inside 192.168.1.0/24 \
	--public 198.51.100.1 -v -c "$tmp/off.conf" > "$tmp/voff.txt" 2>&1; rc=$?
check "--replay -c (disabled)" 0 $rc
grep -q 'SIP disabled' "$tmp/voff.txt" || { echo "FAIL: enabled = no not reported by -v"; fail=1; }

"$sipalgd" --replay "$tmp/nonexistent.pcap" --out "$tmp/x.pcap" --inside 10.0.0.0/8 \
	--public 198.51.100.1 2>/dev/null; rc=$?
check "--replay of a missing file" 1 $rc
"$sipalgd" --replay "$tmp/in.pcap" --out "$tmp/nodir/x.pcap" --inside 10.0.0.0/8 \
	--public 198.51.100.1 2>/dev/null; rc=$?
check "--replay into a missing directory" 1 $rc
"$sipalgd" --replay "$tmp/in.pcap" --out "$tmp/x.pcap" --inside 10.0.0/8 \
	--public 198.51.100.1 2>/dev/null; rc=$?
check "--replay with a bad CIDR" 2 $rc
"$sipalgd" --replay "$tmp/in.pcap" --out "$tmp/x.pcap" 2>/dev/null; rc=$?
check "--replay without --inside/--public" 2 $rc

exit $fail
