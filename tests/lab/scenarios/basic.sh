# Basic call scenarios with baresip phones. Sourced by lib/local.sh.
# shellcheck shell=bash
TALK=${SL_TALK:-5}

# issue 3's "done when": two-way audio, and the call's pinholes and WAN leg
# checked (call_pinhole_checks)
scn_call_out() {
  phones_up l1 w1 || return 1
  local rc=0
  CALL_PINHOLES=1 call_simple call l1 "$(aor w1)" w1 "$TALK" || rc=1
  call_pinhole_checks call || rc=1
  return $rc
}

scn_call_in() {
  phones_up l1 w1 || return 1
  local rc=0
  CALL_PINHOLES=1 call_simple call w1 "$(aor l1)" l1 "$TALK" || rc=1
  call_pinhole_checks call || rc=1
  return $rc
}

# Both LAN phones use local port 5060: the gateway must keep their bindings
# (and their registrations) apart; each is then called from the WAN at once.
scn_same_port() {
  phones_up l1 l2 w1 w2 || return 1
  local rc=0
  call_dial w1 "$(aor l1)" l1; local up1=$CALL_UP t1=$CALL_T0 n1=$CALL_NOTE m1=$CALL_MARK
  call_dial w2 "$(aor l2)" l2
  sleep "$TALK"
  expect_sample "$REP_DIR/expect.txt" "two calls up"
  call_hangup w2 l2
  call_judge call-w2-l2 w2 l2 || rc=1
  CALL_UP=$up1 CALL_T0=$t1 CALL_NOTE=$n1 CALL_MARK=$m1
  call_hangup w1 l1
  call_judge call-w1-l1 w1 l1 || rc=1
  return $rc
}

scn_hairpin() {
  phones_up l1 l2 || return 1
  call_simple call l1 "$(aor l2)" l2 "$TALK"
}

# Both LAN phones get the same one-port RTP range, so their media ports
# collide on the gateway; two concurrent calls through the one proxy.
scn_overlap_ports() {
  PHONE_RTP_PORTS=10000-10001 phones_up l1 l2 || return 1
  phones_up w1 w2 || return 1
  local rc=0
  call_dial l1 "$(aor w1)" w1; local up1=$CALL_UP t1=$CALL_T0 n1=$CALL_NOTE m1=$CALL_MARK
  call_dial l2 "$(aor w2)" w2
  sleep "$TALK"
  expect_sample "$REP_DIR/expect.txt" "two calls up"
  call_hangup l2 w2
  call_judge call-l2-w2 l2 w2 || rc=1
  CALL_UP=$up1 CALL_T0=$t1 CALL_NOTE=$n1 CALL_MARK=$m1
  call_hangup l1 w1
  call_judge call-l1-w1 l1 w1 || rc=1
  return $rc
}

scn_tcp() {
  phones_up l1 w1 --tcp || return 1
  call_simple call l1 "$(aor w1 tcp)" w1 "$TALK"
}

# The proxy does not record-route: ACK and BYE go from the LAN phone straight to
# the WAN phone's Contact. Pass = two-way audio, the WAN phone got the ACK (no
# 200 OK retransmissions) and its call was ended by the BYE, not by a timeout.
scn_no_record_route() {
  pbx_start norr || return 1
  phones_up l1 w1 || return 1
  call_simple call l1 "$(aor w1)" w1 "$TALK"
  local rc=$? acks byes ok200
  sip_wait_wan out BYE
  acks=$(sip_count_wan out ACK) byes=$(sip_count_wan out BYE) ok200=$(sip_count_wan in 200)
  local reason; reason=$(closed_reason w1)
  python3 -c 'import json,sys; print(json.dumps({"summary": sys.argv[1]}))' \
    "ACK out on WAN: $acks, BYE out on WAN: $byes, 200 in on WAN: $ok200, w1 closed: '$reason'" \
    >"$REP_DIR/direct-signalling.json"
  ((acks >= 1 && byes >= 1)) || rc=1
  [[ $reason == *"reset by peer"* ]] || rc=1
  return $rc
}
