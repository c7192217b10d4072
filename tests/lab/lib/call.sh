# Calls between baresip phones and the evidence they leave. Sourced by run.sh.
# shellcheck shell=bash

now() { date +%s.%N; }
fsub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f\n", a - b }'; }
half() { awk -v a="$1" 'BEGIN { printf "%.3f\n", a / 2 }'; }

# uri of a phone's registered account at the lab PBX (over IPv6 in the v6 scenarios, lib/v6.sh)
aor() {
  [[ -n ${V6_ACTIVE:-} ]] && { aor6 "$@"; return; }
  echo "sip:$1@$PBX_IP${2:+;transport=$2}"
}

# Newest recording of HOST created after marker file $2 (or "-")
newest_rec() {
  local f
  f=$(find "$(phone_dir "$1")/rec" -name '*-dec.wav' -newer "$2" 2>/dev/null | sort | tail -1)
  echo "${f:--}"
}

# last CALL_CLOSED reason of a phone
closed_reason() {
  grep -F '"CALL_CLOSED"' "$(phone_dir "$1")/ctrl.log" 2>/dev/null | tail -1 |
    sed -n 's/.*"param": "\([^"]*\)".*/\1/p'
}

# call_dial CALLER URI CALLEE: dial and wait (bounded) until both sides are up.
# Sets CALL_T0 (established on the caller) and CALL_UP=yes|no, CALL_NOTE.
call_dial() {
  local caller=$1 uri=$2 callee=$3 nc ne
  nc=$(phone_count "$caller" CALL_ESTABLISHED)
  ne=$(phone_count "$callee" CALL_ESTABLISHED)
  CALL_MARK="$REP_DIR/.mark-$caller-$callee-$(date +%s%N)"
  touch "$CALL_MARK"
  phone_cmd "$caller" "dial $uri"
  CALL_UP=no CALL_NOTE=""
  if phone_wait "$caller" CALL_ESTABLISHED "${CALL_SETUP_TIMEOUT:-10}" $((nc + 1)) >/dev/null; then
    CALL_T0=$(now)
    if phone_wait "$callee" CALL_ESTABLISHED 3 $((ne + 1)) >/dev/null; then
      CALL_UP=yes
    else
      CALL_NOTE="$callee never answered"
    fi
  else
    CALL_T0=$(now)
    CALL_NOTE="$caller: call not established ($(closed_reason "$caller"))"
  fi
}

# call_hangup WHO OTHER: hang up and wait for both sides to close.
call_hangup() {
  local who=$1 other=$2 nw no
  nw=$(phone_count "$who" CALL_CLOSED)
  no=$(phone_count "$other" CALL_CLOSED)
  local t=5
  [[ ${CALL_UP:-no} == yes ]] || t=1
  CALL_T1=$(now)
  phone_cmd "$who" hangup
  phone_wait "$who" CALL_CLOSED "$t" $((nw + 1)) >/dev/null || true
  phone_wait "$other" CALL_CLOSED "$t" $((no + 1)) >/dev/null || true
}

# call_judge LABEL A B [min_frac] [extra callcheck meta...]: A and B each must
# have heard the other's tone (for min_frac of the talk time: CALL_T0..CALL_T1,
# or $CALL_TALK seconds when the caller says how long they should have talked;
# shorter when the talker's RTP that reached the gateway carried less: see
# tools/callcheck.py). Writes $REP_DIR/LABEL.json, returns its verdict.
call_judge() {
  local label=$1 a=$2 b=$3 frac=${4:-0.6}; shift 4 2>/dev/null || shift $#
  local talk
  sleep 0.5   # let baresip close (finish the header of) the recordings
  talk=${CALL_TALK:-$(fsub "${CALL_T1:-$(now)}" "$CALL_T0")}
  [[ $CALL_UP == yes ]] || talk=0
  # the talkers' RTP on their own legs measures talk time too (a stalled guest)
  python3 "$LAB_DIR/tools/callcheck.py" --talk "$talk" --min-frac "$frac" \
    --start "$CALL_T0" \
    --lan-pcap "$REP_DIR/lan0.pcap" --wan-pcap "$REP_DIR/wan0.pcap" \
    --meta "call=$a->$b" --meta "established=$([[ $CALL_UP == yes ]] && echo true || echo false)" \
    --meta "note=$CALL_NOTE" \
    --meta "closed=$(python3 -c 'import json,sys; print(json.dumps(dict(zip(sys.argv[1::2], sys.argv[2::2]))))' \
        "$a" "$(closed_reason "$a")" "$b" "$(closed_reason "$b")")" \
    "$@" \
    "$a:${PHONE_TONE[$b]}:$(newest_rec "$a" "$CALL_MARK"):$(call_talker "$b")" \
    "$b:${PHONE_TONE[$a]}:$(newest_rec "$b" "$CALL_MARK"):$(call_talker "$a")" >"$REP_DIR/$label.json"
}

# call_talker HOST: where HOST's media reaches the gateway from: the host, or
# for a WAN host also the NAT-aware provider's media relay (--pbx nataware|anchored)
call_talker() {
  [[ -n ${V6_ACTIVE:-} ]] && { v6_talker "$1"; return; }   # lib/v6.sh
  local t=${HOST_IP[$1]}
  [[ ${PBX_PROFILE:-plain} != plain && $t != "$LAN_NET".* ]] && t+=",$RTPE_IP"
  echo "$t"
}

# call_simple LABEL CALLER URI CALLEE TALK: a whole call, caller hangs up.
call_simple() {
  local label=$1 caller=$2 uri=$3 callee=$4 talk=$5
  call_dial "$caller" "$uri" "$callee"
  if [[ $CALL_UP == yes ]]; then
    local stp="" spp=""
    if [[ ${CALL_PINHOLES:-0} == 1 ]]; then
      # right away: inbound pinholes that media uses become conntracks and leave the list
      expect_sample "$REP_DIR/expect.txt" "$label established"
      # what the daemon itself believes it opened (kept with the evidence); in
      # the background, it must not eat into the talk time
      if [[ ${CUR_ALG_UNDER_TEST:-} == sipalgd ]]; then
        sipalgd_status >"$REP_DIR/$label-sipalgd-status.txt" 2>&1 &
        stp=$!
      fi
      # CALL_TCP=1: an m= line may be cut between segments, which the poll's
      # tcpdump reader cannot join; sipscan.py reassembles (expect_gone_poll)
      if [[ ${CALL_TCP:-0} == 1 ]]; then
        python3 "$LAB_DIR/tools/sipscan.py" ports "$REP_DIR/wan0.pcap" "$REP_DIR/lan0.pcap" \
          >"$REP_DIR/$label-sdp-ports.txt" 2>/dev/null &
        spp=$!
      fi
    fi
    sleep "$(half "$talk")"
    expect_sample "$REP_DIR/expect.txt" "$label mid-call"
    sleep "$(half "$talk")"
    [[ -n $stp ]] && wait "$stp"
  fi
  call_hangup "$caller" "$callee"
  # after the hangup: a python3 start in the guest must not stretch the call
  [[ -n ${spp:-} ]] && wait "$spp"
  # before judging the audio (slow in the guest): "+Ns" then counts from the BYE
  [[ ${CALL_PINHOLES:-0} == 1 ]] && expect_gone_poll "$label"
  call_judge "$label" "$caller" "$callee"
}

# call_pinhole_checks LABEL: after CALL_PINHOLES=1 call_simple LABEL (which
# polls for the expectations' end right after the hangup) of a LAN phone with a WAN
# phone (one call at a time): its RTP/RTCP expectations were created, showed
# in `conntrack -L expect` during the call and are gone after the BYE
# (tools/pinholes.py; judged for kernel and sipalgd), and its media left the
# gateway symmetric, with no private address in the WAN leg's SIP
# (tools/wanleg.py; judged for sipalgd). Evidence: LABEL-pinholes.json and
# LABEL-wan-leg.json.
call_pinhole_checks() {
  local label=$1 rc=0 alg=${CUR_ALG_UNDER_TEST:-none} p1 p2
  # side by side: a python3 start costs seconds in the guest
  python3 "$LAB_DIR/tools/pinholes.py" --wan "$REP_DIR/wan0.pcap" --lan "$REP_DIR/lan0.pcap" \
    --expect "$REP_DIR/expect.txt" --events "$REP_DIR/expect-events.txt" --alg "$alg" \
    --hangup-at "${CALL_T1:-0}" >"$REP_DIR/$label-pinholes.json" &
  p1=$!
  # NAT66 (lib/v6.sh): the LAN's IPv6 prefix must not leak either
  local w6=()
  [[ ${V6_ACTIVE:-} == nat66 ]] && w6=(--private6 "$LAN_NET6:")
  python3 "$LAB_DIR/tools/wanleg.py" "$REP_DIR/wan0.pcap" --alg "$alg" "${w6[@]}" >"$REP_DIR/$label-wan-leg.json" &
  p2=$!
  wait "$p1" || rc=1
  wait "$p2" || rc=1
  return $rc
}
