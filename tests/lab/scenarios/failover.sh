# The gateway pair (lib/failover.sh): a call in progress and the registrations
# survive the death of the active gateway. Sourced by lib/local.sh.
# shellcheck shell=bash
source "$LAB_DIR/lib/failover.sh"

FO_CAP_PIDS=()
# gwb's legs and its expectation events, beside the lab's captures of gwa
fo_cap_start() {
  local side i
  FO_CAP_PIDS=()
  ip netns exec "$(ns gwb)" stdbuf -oL conntrack -E expect -o timestamp \
    >"$REP_DIR/gwb-expect-events.txt" 2>/dev/null &
  FO_CAP_PIDS+=($!)
  for side in lan0 wan0; do
    ip netns exec "$(ns gwb)" tcpdump -U -n -i "$side" -s 1600 -w "$REP_DIR/gwb-$side.pcap" udp or tcp \
      >/dev/null 2>"$REP_DIR/tcpdump-gwb-$side.log" &
    FO_CAP_PIDS+=($!)
  done
  for i in $(seq 1 30); do
    [[ $(grep -l listening "$REP_DIR"/tcpdump-gwb-*.log 2>/dev/null | wc -l) -eq 2 ]] && break
    sleep 0.1
  done
}

fo_cap_stop() {
  local p
  sleep 0.6
  for p in "${FO_CAP_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${FO_CAP_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  FO_CAP_PIDS=()
}

# fo_snapshot LABEL: conntracks, expectations and conntrackd's caches of both
# gateways (a dead gwa answers nothing new: its kernel state is still there)
fo_snapshot() {
  local s f
  for s in a b; do
    f="$REP_DIR/gw$s-state.txt"
    {
      echo "== $1 $(now)"
      echo "-- conntrack -L"; fox $s conntrack -L 2>/dev/null
      echo "-- conntrack -L expect"; fox $s conntrack -L expect 2>/dev/null
      if [[ -S $FO_DIR/$s/conntrackd.ctl ]] && { [[ $s == b ]] || [[ -n ${FO_CTD_PID[a]:-} ]]; }; then
        echo "-- conntrackd -s"; fo_ctd_stats $s
        echo "-- conntrackd -s expect"; fox $s conntrackd -C "$FO_DIR/$s/conntrackd.conf" -s expect 2>&1
        echo "-- conntrackd -e expect (external cache)"
        fox $s conntrackd -C "$FO_DIR/$s/conntrackd.conf" -e expect 2>&1
      fi
    } >>"$f"
  done
}

# the call's expectations in gwb's kernel now (ports from gwa's captures of the INVITE/200)
fo_call_exps() {
  fox b conntrack -L expect 2>/dev/null | calls_expectations "$FO_PUB" "$FO_PRIV"
}

scn_failover() {
  ALG_DIRTY=1
  local rc=0
  if fo_up "$CUR_ALG_UNDER_TEST" >"$REP_DIR/failover-up.log" 2>&1; then
    fo_cap_start
    _scn_failover || rc=1
    fo_cap_stop
  else
    echo "failover pair not up: $(tail -3 "$REP_DIR/failover-up.log")" >>"$REP_DIR/notes.txt"
    rc=1
  fi
  local s
  for s in a b; do
    cp "$FO_DIR/$s/keepalived.log" "$REP_DIR/gw$s-keepalived.log" 2>/dev/null
    cp "$FO_DIR/$s/conntrackd.log" "$REP_DIR/gw$s-conntrackd.log" 2>/dev/null
    cp "$FO_DIR/$s/state" "$REP_DIR/gw$s-vrrp-states.txt" 2>/dev/null
  done
  cp "$FO_DIR/b/sipalgd.log" "$REP_DIR/gwb-sipalgd.log" 2>/dev/null
  fo_down >>"$REP_DIR/failover-up.log" 2>&1
  return $rc
}

_scn_failover() {
  local rc=0 t_fail="" t_master="" t_primary="" t_learn="" gwb_before=0 gwb_after=-1 talk
  # long registrations (the lab's registrar grants 20 s otherwise): l1 must
  # not re-register through gwb before the incoming call that tests its
  # registration from before the failover (checked below)
  pbx_start longreg || return 1
  phones_up l1 w1 || return 1
  call_dial l1 "$(aor w1)" w1
  if [[ $CALL_UP == yes ]]; then
    sleep "${SL_FO_BEFORE:-4}"
    fo_snapshot "call up on gwa"
    t_fail=$(now)
    fo_fail_a
    echo "gwa failed (links down, daemons SIGKILLed) at $t_fail" >>"$REP_DIR/notes.txt"
    fo_wait_master b 15 && t_master=$(now)
    local i
    for i in $(seq 1 100); do
      grep -q '^primary' "$FO_DIR/b/state" 2>/dev/null && { t_primary=$(now); break; }
      sleep 0.1
    done
    # sipalgd learns the calls the kernel now holds: a restart, until it can
    # recover them from a ctnetlink dump at start (the notify script's last step)
    if [[ $CUR_ALG_UNDER_TEST == sipalgd ]]; then
      sipalgd_b_stop
      sipalgd_b_start >>"$REP_DIR/notes.txt" 2>&1 && t_learn=$(now)
      sipalgd_b_status >"$REP_DIR/gwb-sipalgd-status-after-takeover.txt" 2>&1
    fi
    echo "gwb: master +$(fsub "${t_master:-$t_fail}" "$t_fail")s, notify primary done +$(fsub "${t_primary:-$t_fail}" "$t_fail")s, sipalgd restarted +$(fsub "${t_learn:-$t_fail}" "$t_fail")s" >>"$REP_DIR/notes.txt"
    fo_snapshot "after takeover"
    sleep "${SL_FO_AFTER:-8}"
  fi
  FO_PUB=$(sdp_ports "$REP_DIR/wan0.pcap" "src host $GW_WAN and port 5060")
  FO_PRIV=$(sdp_ports "$REP_DIR/lan0.pcap" "src net $LAN_NET.0/24 and port 5060")
  gwb_before=$(fo_call_exps | grep -c . || true)
  call_hangup l1 w1
  # the call's pinholes on the new active gateway, polled after the BYE for
  # 5 s (by the clock: one poll takes seconds in a loaded guest)
  local until=$(($(date +%s) + ${SL_EXPECT_GONE_S:-5}))
  while :; do
    gwb_after=$(fo_call_exps | grep -c . || true)
    ((gwb_after == 0 || $(date +%s) >= until)) && break
    sleep 0.2
  done
  { echo "== after BYE +$(fsub "$(now)" "$CALL_T1")s (public ports $FO_PUB, phone ports $FO_PRIV)"
    fox b conntrack -L expect 2>/dev/null; } >>"$REP_DIR/gwb-expect.txt"
  fo_snapshot "after BYE"
  # two-way audio over the whole call (a 2-3 s outage in a ~13 s call: 0.6
  # of it heard needs audio after the takeover too); not call_judge: its talk
  # time correction reads gwa's captures, which stop at the failure
  sleep 0.5
  talk=0; [[ $CALL_UP == yes ]] && talk=$(fsub "$CALL_T1" "$CALL_T0")
  python3 "$LAB_DIR/tools/callcheck.py" --talk "$talk" --min-frac 0.6 \
    --meta "call=l1->w1 across the failover" --meta "established=$([[ $CALL_UP == yes ]] && echo true || echo false)" \
    --meta "note=$CALL_NOTE" \
    "l1:${PHONE_TONE[w1]}:$(newest_rec l1 "$CALL_MARK"):" \
    "w1:${PHONE_TONE[l1]}:$(newest_rec w1 "$CALL_MARK"):" >"$REP_DIR/call-across-failover.json" || rc=1
  if [[ -n $t_fail ]]; then
    python3 "$LAB_DIR/tools/failwin.py" "$REP_DIR/gwb-lan0.pcap" "$REP_DIR/gwb-wan0.pcap" \
      --fail "$t_fail" --end "$CALL_T1" >"$REP_DIR/media-after-takeover.json" || rc=1
  else
    rc=1
  fi
  ((gwb_after == 0)) || rc=1
  # afterwards, through gwb: a new outgoing call, and an incoming one to l1,
  # which registered through gwa before it died (no REGISTER since: regint 300)
  call_simple call-out-after l1 "$(aor w1)" w1 "$TALK" || rc=1
  local regs_b
  regs_b=$(tcpdump -n -r "$REP_DIR/gwb-lan0.pcap" "src host ${HOST_IP[l1]} and udp port 5060" 2>/dev/null |
    grep -c "REGISTER" || true)
  echo "REGISTERs from l1 through gwb before the incoming call: $regs_b" >>"$REP_DIR/notes.txt"
  # else the incoming call would not test the registration from before the failover
  ((regs_b == 0)) || rc=1
  call_simple call-in-after w1 "$(aor l1)" l1 "$TALK" || rc=1
  python3 - "$REP_DIR/failover.json" <<PY
import json, sys
t = lambda v: round(float(v) - float("${t_fail:-0}"), 2) if v else None
json.dump({"summary": "gwa died at +0: gwb master +%s s, notify primary +%s s, sipalgd restarted +%s s; "
           "call's expectations on gwb before the BYE %s, after %s; l1's REGISTERs via gwb before the call in: %s" % (
    t("$t_master"), t("$t_primary"), t("$t_learn"), "$gwb_before", "$gwb_after", "${regs_b:-?}"),
    "gwb_master_s": t("$t_master"), "notify_primary_s": t("$t_primary"),
    "sipalgd_restarted_s": t("$t_learn"), "gwb_call_expectations_before_bye": int("$gwb_before" or 0),
    "gwb_call_expectations_after_bye": int("$gwb_after")}, open(sys.argv[1], "w"))
PY
  return $rc
}
