# Scenarios driven by sipp, for flows baresip cannot script. Sourced by lib/local.sh.
# shellcheck shell=bash
SIPP_DIR=$LAB_DIR/sipp

# Old-style hold: a LAN caller (sipp in l2, streaming l2's tone) re-INVITEs
# with c=0.0.0.0, then resumes. Pass = w1 heard l2's tone for most of the time
# outside the hold, w1's media reached the LAN, and c=0.0.0.0 left the
# gateway untouched.
scn_hold_zero() {
  phones_up w1 || return 1
  python3 "$LAB_DIR/tools/mktone.py" "$REP_DIR/tone.wav" "${PHONE_TONE[l2]}" 2
  local mark="$REP_DIR/.mark-hold0"; touch "$mark"
  ( cd "$REP_DIR" && exec ip netns exec "$(ns l2)" sipp -timeout 40 -max_log_size 1000000 -nostdin \
      -sf "$SIPP_DIR/uac-hold0.xml" -i "${HOST_IP[l2]}" -p 5060 -m 1 \
      -mp 10000 -trace_err "$PBX_IP:5060" \
      >"$REP_DIR/sipp-hold0.out" 2>&1 ) &
  local uac=$!
  SIPP_PIDS+=("$uac")
  sleep 2; expect_sample "$REP_DIR/expect.txt" "talking"
  sleep 3; expect_sample "$REP_DIR/expect.txt" "held (c=0.0.0.0)"
  sleep 4; expect_sample "$REP_DIR/expect.txt" "resumed"
  wait "$uac"
  local src=$? rc=0
  local wav; wav=$(newest_rec w1 "$mark")
  python3 "$LAB_DIR/tools/callcheck.py" --talk 3 --min-frac 0.7 \
    --meta "call=l2(sipp)->w1" --meta "note=sipp exit $src; judged: the 3 s before the hold" \
    "w1:${PHONE_TONE[l2]}:$wav" >"$REP_DIR/before-hold.json" || rc=1
  local zero
  zero=$(python3 "$LAB_DIR/tools/sipgrep.py" "$REP_DIR/wan0.pcap" out "c=IN IP4 0.0.0.0")
  python3 -c 'import json,sys; print(json.dumps({"summary": sys.argv[1]}))' \
    "sipp exit $src; re-INVITEs leaving on the WAN with c=IN IP4 0.0.0.0 intact: $zero" \
    >"$REP_DIR/hold0.json"
  hold_media_after_resume "$(sip_count_wan out INVITE)" || rc=1
  ((src == 0 && zero >= 1)) || rc=1
  return $rc
}

# Four concurrent calls on ONE UDP flow (sipp l1:5060 -> sipp w1:5060), calls
# starting 0.5 s apart and ending in reverse order, 3 s apart. Every live call
# must have its own inbound RTP pinhole on the public address until its own
# BYE, and none may outlive it. Which calls were live when is taken afterwards
# from the WAN capture (a slow guest shifts the timeline); the pinholes from
# the gateway's expectation events, judged mid-way between BYEs, and from
# `conntrack -L expect` samples taken all along (tools/trunkjudge.py).
scn_trunk() {
  [[ $PBX_PROFILE == plain ]] ||
    { pbx_not_applicable "sipp calls w1 directly, no provider in the path (see --pbx plain)"; return; }
  ip netns exec "$(ns w1)" sipp -timeout 30 -max_log_size 1000000 -nostdin \
    -sf "$SIPP_DIR/uas-sdp.xml" -i "${HOST_IP[w1]}" -p 5060 -mp 20000 -m 4 \
    >"$REP_DIR/sipp-uas.out" 2>&1 &
  SIPP_PIDS+=($!)
  sipp_wait_listening w1 || return 1
  ip netns exec "$(ns l1)" sipp -timeout 25 -max_log_size 1000000 -nostdin \
    -sf "$SIPP_DIR/uac-trunk.xml" -inf "$SIPP_DIR/trunk.csv" -i "${HOST_IP[l1]}" -p 5060 \
    -t u1 -m 4 -l 4 -r 2 -rp 1000 "${HOST_IP[w1]}:5060" >"$REP_DIR/sipp-uac.out" 2>&1 &
  local uac=$!
  SIPP_PIDS+=("$uac")
  : >"$REP_DIR/trunk-samples.txt"
  local i last=0
  # bounded: sipp's own -timeout ends it; 150 samples is > 30 s here
  for ((i = 0; i < 150 && last < 2; i++)); do
    kill -0 "$uac" 2>/dev/null || { last=$((last + 1)); sleep 0.5; }
    trunk_sample   # ~0.5 s in the guest: samples ~1 s apart there
    sleep 0.1
  done
  wait "$uac"; local src=$?
  sip_wait_wan out BYE 4
  tcpdump -tt -n -r "$REP_DIR/wan0.pcap" "udp port 5060 and src host $GW_WAN" 2>/dev/null |
    awk '/SIP: INVITE / { print $1, "INVITE" } /SIP: BYE / { print $1, "BYE" }' >"$REP_DIR/trunk-events.txt"
  sleep 0.3   # the last DESTROY events reach the listener's file
  python3 "$LAB_DIR/tools/trunkjudge.py" "$REP_DIR/trunk-samples.txt" "$REP_DIR/trunk-events.txt" \
    "$src" --expect-events "$REP_DIR/expect-events.txt" --public "$GW_WAN" >"$REP_DIR/trunk.json"
}

# one snapshot of the inbound RTP pinholes on the public address, with the
# times it was taken between
trunk_sample() {
  local before snap
  before=$(now)
  snap=$(alg_expectations)
  # the first dport= of a line is the expected flow's (the public RTP/RTCP port)
  echo "$before $(now) $(awk '/dst=203\.0\.113\.1 / { for (i = 1; i <= NF; i++) if ($i ~ /^dport=/) { split($i, a, "="); if (a[2] % 2 == 0) print; break } }' <<<"$snap" | wc -l)" \
    >>"$REP_DIR/trunk-samples.txt"
  { echo "== $before"; echo "$snap"; } >>"$REP_DIR/expect.txt"
}

# sipp_fixed_call LABEL: one fixed-bytes call l1 -> w1, captured on the WAN leg
sipp_fixed_call() {
  local label=$1 pid
  ip netns exec "$(ns gw)" tcpdump -U -n -i wan0 -s 1600 -w "$REP_DIR/fixed-$label.pcap" udp port 5060 \
    >/dev/null 2>"$REP_DIR/tcpdump-fixed-$label.log" &
  pid=$!
  local i; for ((i = 0; i < 30; i++)); do grep -q listening "$REP_DIR/tcpdump-fixed-$label.log" && break; sleep 0.1; done
  ip netns exec "$(ns w1)" sipp -timeout 15 -max_log_size 1000000 -nostdin \
    -sf "$SIPP_DIR/uas-sdp.xml" -i "${HOST_IP[w1]}" -p 5060 -mp 20000 -m 1 \
    >"$REP_DIR/sipp-uas-$label.out" 2>&1 &
  local uas=$!
  SIPP_PIDS+=("$uas")
  sipp_wait_listening w1 || return 1
  ip netns exec "$(ns l1)" sipp -timeout 15 -max_log_size 1000000 -nostdin \
    -sf "$SIPP_DIR/uac-fixed.xml" -cid_str 'lab-fixed-%u@%s' -i "${HOST_IP[l1]}" -p 5060 -mp 10000 -m 1 \
    "${HOST_IP[w1]}:5060" >"$REP_DIR/sipp-uac-$label.out" 2>&1
  local src=$?
  local i; for ((i = 0; i < 20; i++)); do kill -0 "$uas" 2>/dev/null || break; sleep 0.1; done
  kill "$uas" 2>/dev/null; wait "$uas" 2>/dev/null
  # a busy machine may schedule tcpdump late: stop it only once it has written
  # the whole dialog (6 messages), bounded
  for ((i = 0; i < 30; i++)); do
    (($(tcpdump -n -r "$REP_DIR/fixed-$label.pcap" 2>/dev/null | wc -l) >= 6)) && break
    sleep 0.1
  done
  kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  return $src
}

# The WAN-side SIP bytes with no ALG, then with the ALG under test; for
# sipalgd with every switch off. Identical = pass. (For none it checks that
# the fixed scenario really is repeatable; for kernel it shows its rewrites.)
scn_switches_off() {
  [[ $PBX_PROFILE == plain ]] ||
    { pbx_not_applicable "sipp calls w1 directly, no provider in the path (see --pbx plain)"; return; }
  alg_setup none || return 1
  ALG_DIRTY=1
  sipp_fixed_call none || echo "reference run: sipp failed" >>"$REP_DIR/notes.txt"
  case $CUR_ALG_UNDER_TEST in
    sipalgd) alg_setup sipalgd "${SIPALGD_ALL_OFF[@]}" || return 1 ;;
    *) alg_setup "$CUR_ALG_UNDER_TEST" || return 1 ;;
  esac
  local src=0
  sipp_fixed_call alg || src=$?
  python3 "$LAB_DIR/tools/sipdiff.py" "$REP_DIR/fixed-none.pcap" "$REP_DIR/fixed-alg.pcap" \
    --meta "sipp_exit=$src" >"$REP_DIR/bytes.json"
  local same=$?
  ((src == 0 && same == 0))
}
