# Evidence collection: captures on both sides of the gateway, expectation
# samples. Sourced by run.sh.
# shellcheck shell=bash
declare -a CAP_PIDS=()

# cap_start DIR: tcpdump on the gateway's LAN and WAN legs (headers + SIP),
# and the gateway's expectation events (NEW/DESTROY): a pinhole that media
# used at once never shows in a `conntrack -L expect` sample, only here.
cap_start() {
  local d=$1 side
  CAP_PIDS=()
  # line-buffered, so a check during the scenario reads every event so far
  ip netns exec "$(ns gw)" stdbuf -oL conntrack -E expect -o timestamp \
    >"$d/expect-events.txt" 2>/dev/null &
  CAP_PIDS+=($!)
  # and every new UDP flow with its NAT: media that beat its pinhole shows
  # here as a flow to the public address left without DNAT
  ip netns exec "$(ns gw)" stdbuf -oL conntrack -E -e NEW -p udp -o timestamp \
    >"$d/flow-events.txt" 2>/dev/null &
  CAP_PIDS+=($!)
  for side in lan0 wan0; do
    ip netns exec "$(ns gw)" tcpdump -U -n -i "$side" -s 1600 -w "$d/$side.pcap" udp or tcp \
      >/dev/null 2>"$d/tcpdump-$side.log" &
    CAP_PIDS+=($!)
  done
  # conntrack -E hears only what happens after it subscribed: wait until both
  # listeners hold their netlink socket (bounded)
  local i p ready
  for i in $(seq 1 30); do
    ready=1
    for p in "${CAP_PIDS[@]:0:2}"; do
      ls -l "/proc/$p/fd" 2>/dev/null | grep -q 'socket:' || { ready=0; break; }
    done
    ((ready)) && break
    sleep 0.1
  done
  # tcpdump needs a moment before it sees packets; poll its "listening" line
  for i in $(seq 1 30); do
    grep -q listening "$d/tcpdump-lan0.log" "$d/tcpdump-wan0.log" 2>/dev/null &&
      [[ $(grep -l listening "$d"/tcpdump-*.log | wc -l) -eq 2 ]] && break
    sleep 0.1
  done
}

cap_stop() {
  local p
  sleep 0.6   # let the last packets reach the file (tcpdump may be scheduled late)
  for p in "${CAP_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${CAP_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  CAP_PIDS=()
  flows_unnated "${1:-}"   # cleanup calls it without a directory (set -u)
}

# Packets sipalgd's media port guard (nft chain input of its table) dropped
# so far; 0 without that table.
guard_drops() {
  nsx gw nft list chain ip sipalgd input 2>/dev/null |
    awk 'BEGIN { n = 0 } /counter packets/ { for (i = 1; i < NF; i++) if ($i == "packets") n += $(i + 1) }
         END { print n }'
}

# guard_note DIR BEFORE: a note when the guard dropped media during the rep
# (the table may have been re-created meanwhile: then its count is all new)
guard_note() {
  local now; now=$(guard_drops)
  ((now >= $2)) && now=$((now - $2))
  ((now > 0)) && echo "media guard dropped $now unexpected media packet(s) to the public ports" >>"$1/notes.txt"
  return 0
}

# flows_unnated DIR: a note for every UDP flow from the WAN to the gateway's
# public address on a media port that got no DNAT (its reply still comes from
# the gateway): such a flow holds the port, and that phone hears nothing.
flows_unnated() {
  local d=$1 n
  [[ -n $d && -f $d/flow-events.txt ]] || return 0
  n=$(awk -v gw="$GW_WAN" '
    { o = ""; r = ""; k = 0
      for (i = 1; i <= NF; i++) {
        if ($i ~ /^src=/) { k++; if (k == 2) r = substr($i, 5) }
        if ($i ~ /^dst=/ && o == "") o = substr($i, 5)
        if ($i ~ /^dport=/ && !dp) dp = substr($i, 7)
      }
      if (o == gw && r == gw && dp != 5060) { c++; if (!first) first = $0 }
      dp = "" }
    END { print c + 0; if (first) print first }' "$d/flow-events.txt")
  [[ ${n%%$'\n'*} == 0 ]] && return 0
  echo "un-NATed media flows to $GW_WAN: ${n%%$'\n'*} (first: ${n#*$'\n'})" >>"$d/notes.txt"
}

# expect_sample FILE LABEL: append the current expectations under a label
expect_sample() {
  { echo "== $2 $(date +%s.%N)"; alg_expectations; } >>"$1"
}

# Audio ports in the SDPs sent from the LAN side on one gateway leg: wan0 =
# the public ports the gateway announced, lan0 = the phone's own. tcpdump
# and awk, not python: in the guest every python3 start costs seconds, and
# this runs between the BYE and the poll below. RTCP = a=rtcp or RTP + 1.
sdp_ports() {  # sdp_ports PCAP FILTER
  tcpdump -n -r "$1" -A "$2" 2>/dev/null |
    awk '/^m=audio [0-9]+ / { print $2; print $2 + 1 }
         /^a=rtcp:[0-9]+/ { sub(/^a=rtcp:/, ""); print $1 + 0 }' | sort -nu | tr '\n' ' '
}

# The call's expectations in a `conntrack -L expect` listing: the expected
# tuple comes first on a line, so its first dst/dport/src/sport decide;
# inbound = to the gateway's WAN address on a public port, outbound = from a
# LAN host on one of its SDP ports (same rule as tools/pinholes.py). IPv6
# (lib/v6.sh): inbound to the NAT66 address or, routed, to a LAN phone.
calls_expectations() {  # calls_expectations "PUBLIC PORTS" "PRIVATE PORTS" <listing
  local gw6="" lan6=""
  [[ -n ${V6_ACTIVE:-} ]] && gw6=$GW_WAN6 lan6="$LAN_NET6:"
  awk -v pub=" $1 " -v priv=" $2 " -v gw="$GW_WAN" -v lan="$LAN_NET." -v gw6="$gw6" -v lan6="$lan6" '{
    delete f
    for (i = 1; i <= NF; i++) if (split($i, kv, "=") == 2 && !(kv[1] in f)) f[kv[1]] = kv[2]
    in6 = gw6 != "" && (f["dst"] == gw6 || index(f["dst"], lan6) == 1)
    out6 = lan6 != "" && index(f["src"], lan6) == 1
    if (((f["dst"] == gw || in6) && f["dport"] != "" && index(pub, " " f["dport"] " ")) ||
        ((index(f["src"], lan) == 1 || out6) && f["sport"] != "" && index(priv, " " f["sport"] " "))) print
  }'
}

# expect_gone_poll LABEL: after the hangup, poll `conntrack -L expect` until
# the call's expectations are gone (bounded: SL_EXPECT_GONE_S, default 5 s);
# the last listing goes to expect.txt as "LABEL after BYE +Ns" (seconds since
# the hangup was sent, CALL_T1).
expect_gone_poll() {
  local label=$1 d=$REP_DIR pub priv snap t0 i
  t0=${CALL_T1:-$(now)}
  if [[ -s $d/$label-sdp-ports.txt ]]; then   # TCP: sipscan.py's, from call_simple
    IFS='|' read -r pub priv <"$d/$label-sdp-ports.txt"
  elif [[ -n ${V6_ACTIVE:-} ]]; then   # IPv6 (lib/v6.sh): the tcpdump filters below are IPv4's
    IFS='|' read -r pub priv < <(python3 "$LAB_DIR/tools/sipscan.py" ports "$d/wan0.pcap" "$d/lan0.pcap")
  else
    pub=$(sdp_ports "$d/wan0.pcap" "src host $GW_WAN and port 5060")
    priv=$(sdp_ports "$d/lan0.pcap" "src net $LAN_NET.0/24 and port 5060")
  fi
  for ((i = 0; i < ${SL_EXPECT_GONE_S:-5} * 5; i++)); do
    snap=$(alg_expectations)
    [[ -z $(calls_expectations "$pub" "$priv" <<<"$snap") ]] && break
    sleep 0.2
  done
  { echo "== $label after BYE +$(fsub "$(now)" "$t0")s $(now)"; echo "$snap"; } >>"$d/expect.txt"
}
