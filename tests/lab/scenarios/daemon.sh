# Scenarios about the sipalgd process itself. Sourced by lib/local.sh.
# shellcheck shell=bash

# sipalgd is SIGKILLed 3 s into a call: the call must keep two-way audio
# (media never enters userspace); restarted, a new call must work.
scn_kill_restart() {
  if [[ $CUR_ALG_UNDER_TEST != sipalgd ]]; then
    echo '{"summary": "not applicable: only sipalgd has a daemon to kill"}' >"$REP_DIR/na.json"
    return 2
  fi
  phones_up l1 w1 || return 1
  local rc=0
  call_dial l1 "$(aor w1)" w1
  if [[ $CALL_UP == yes ]]; then
    sleep 3
    kill -KILL "$SIPALGD_PID" 2>/dev/null
    wait "$SIPALGD_PID" 2>/dev/null
    SIPALGD_PID=""
    echo "sipalgd SIGKILLed at $(now)" >>"$REP_DIR/notes.txt"
    sleep 6
    expect_sample "$REP_DIR/expect.txt" "daemon dead"
  fi
  call_hangup l1 w1
  call_judge call-across-kill l1 w1 0.7 || rc=1
  if ! sipalgd_start; then
    echo "sipalgd did not restart" >>"$REP_DIR/notes.txt"
    return 1
  fi
  sipalgd_status >"$REP_DIR/status-after-restart.txt" 2>&1
  call_simple call-after-restart l1 "$(aor w1)" w1 "$TALK" || rc=1
  return $rc
}

# status_value KEY SECTION: a number from the running daemon's status section.
status_value() {
  sipalgd_status | awk -v k="$1" -v s="[$2]" '$0 == s { in_s = 1; next }
    /^\[/ { in_s = 0 } in_s && $1 == k { print $2; exit }'
}

# sipalgd_reload OVERRIDES...: rewrite the lab config with them and SIGHUP;
# waits (at most 5 s) for the daemon's "configuration reloaded" line.
sipalgd_reload() {
  local before i
  before=$(grep -c "configuration reloaded" "$RUN_DIR/sipalgd.log" 2>/dev/null || true)
  sipalgd_write_config "$RUN_DIR/sipalgd.conf" "$@"
  # the daemon re-reads it as user nobody: the run dir is mktemp's 0700
  chmod a+rx "$RUN_DIR"; chmod a+r "$RUN_DIR/sipalgd.conf"
  kill -HUP "$SIPALGD_PID"
  for i in $(seq 1 50); do
    (($(grep -c "configuration reloaded" "$RUN_DIR/sipalgd.log" 2>/dev/null || true) > ${before:-0})) && return 0
    sleep 0.1
  done
  return 1
}

ours() { grep -c "helper=sipalg" "$1" 2>/dev/null || true; }

# A SIGHUP that changes an unrelated switch mid-call: the call keeps two-way
# audio and the daemon keeps its dialog, so the BYE still ends it (live 0).
scn_reload_live() {
  if [[ $CUR_ALG_UNDER_TEST != sipalgd ]]; then
    echo '{"summary": "not applicable: only sipalgd reloads a configuration"}' >"$REP_DIR/na.json"
    return 2
  fi
  phones_up l1 w1 || return 1
  local rc=0 live_before="" live_after="" live_end="" reloaded=no
  ALG_DIRTY=1
  call_dial l1 "$(aor w1)" w1
  if [[ $CALL_UP == yes ]]; then
    sleep 2
    live_before=$(status_value live dialogs)
    sipalgd_reload general.log_level=info media.dialog_timeout=1800 && reloaded=yes
    echo "SIGHUP (log_level, dialog_timeout) at $(now): reloaded $reloaded" >>"$REP_DIR/notes.txt"
    live_after=$(status_value live dialogs)
    sleep "$TALK"
  fi
  call_hangup l1 w1
  call_judge call-across-reload l1 w1 || rc=1
  sleep 1
  live_end=$(status_value live dialogs)
  python3 -c 'import json,sys; print(json.dumps({"summary": sys.argv[1]}))' \
    "reloaded: $reloaded; dialogs live before ${live_before:-?}, after the reload ${live_after:-?}, after the BYE ${live_end:-?}" \
    >"$REP_DIR/reload.json"
  [[ $reloaded == yes && ${live_before:-0} -ge 1 && $live_after == "$live_before" && ${live_end:-1} == 0 ]] || rc=1
  return $rc
}

# Turning the ALG off with a call up removes its dialog and pinholes at once
# (no stray until dialog_timeout); turned on again, a new call is helped.
scn_reload_off_on() {
  if [[ $CUR_ALG_UNDER_TEST != sipalgd ]]; then
    echo '{"summary": "not applicable: only sipalgd reloads a configuration"}' >"$REP_DIR/na.json"
    return 2
  fi
  phones_up l1 w1 || return 1
  local rc=0 live_on="" live_off="" ports_off="" e_on=0 e_off=0 off=no on=no
  ALG_DIRTY=1
  call_dial l1 "$(aor w1)" w1
  if [[ $CALL_UP == yes ]]; then
    expect_sample "$REP_DIR/expect-on.txt" "call up, ALG on"
    live_on=$(status_value live dialogs)
    sipalgd_reload general.enabled=no && off=yes
    expect_sample "$REP_DIR/expect-off.txt" "ALG switched off"
    live_off=$(status_value live dialogs)
    ports_off=$(status_value ports_in_use expectations)
    e_on=$(ours "$REP_DIR/expect-on.txt") e_off=$(ours "$REP_DIR/expect-off.txt")
  fi
  call_hangup l1 w1
  sipalgd_reload general.enabled=yes && on=yes
  python3 -c 'import json,sys; print(json.dumps({"summary": sys.argv[1]}))' \
    "off: $off, on again: $on; dialogs live ${live_on:-?} -> ${live_off:-?} (ports in use ${ports_off:-?}); our expectations in the kernel $e_on -> $e_off; log: $(grep -o 'ALG disabled - [0-9]* dialog' "$RUN_DIR/sipalgd.log" | tail -1)" \
    >"$REP_DIR/reload.json"
  [[ $off == yes && $on == yes && ${live_on:-0} -ge 1 && ${live_off:-1} == 0 && ${ports_off:-1} == 0 && $e_off == 0 ]] || rc=1
  # The WAN leg carried private addresses while the ALG was off (by design), so
  # the whole-capture WAN judge does not apply; the new call must have its
  # pinholes made again (the daemon's count) and two-way audio.
  local made0 made1
  made0=$(status_value created expectations)
  call_simple call-after-on l1 "$(aor w1)" w1 "$TALK" || rc=1
  made1=$(status_value created expectations)
  echo "expectations created by the call after the ALG came back: $((${made1:-0} - ${made0:-0}))" >>"$REP_DIR/notes.txt"
  ((${made1:-0} - ${made0:-0} >= 2)) || rc=1
  return $rc
}

# ---- restart recovery (rtp/README.md "Restarts") ----------------------------

# restart_with_state: sipalgd again, now with a state file the lab's user
# (nobody) can write; its path in RESTART_STATE.
restart_with_state() {
  RESTART_STATE="$RUN_DIR/state/dialogs"
  mkdir -p "$RUN_DIR/state" && chmod 0777 "$RUN_DIR/state" && chmod a+rx "$RUN_DIR"
  rm -f "$RESTART_STATE"
  sipalgd_stop
  sipalgd_start "general.state_file=$RESTART_STATE"
}

# restart_kill_mid_call: SIGKILL the daemon 3 s into the established call and
# start it again on the same state file; evidence: the state file as it was,
# the log's recovery line, the status after the restart.
restart_kill_mid_call() {
  sleep 3
  cp "$RESTART_STATE" "$REP_DIR/state-before-kill.txt" 2>/dev/null ||
    echo "no state file at the kill" >>"$REP_DIR/notes.txt"
  expect_sample "$REP_DIR/expect.txt" "before kill"
  kill -KILL "$SIPALGD_PID" 2>/dev/null
  wait "$SIPALGD_PID" 2>/dev/null
  SIPALGD_PID=""
  echo "sipalgd SIGKILLed at $(now)" >>"$REP_DIR/notes.txt"
  sipalgd_start "general.state_file=$RESTART_STATE" || return 1
  grep "restart recovery" "$RUN_DIR/sipalgd.log" | tail -1 >>"$REP_DIR/notes.txt"
  sipalgd_status >"$REP_DIR/status-after-restart.txt" 2>&1
  expect_sample "$REP_DIR/expect.txt" "after restart"
}

restart_not_applicable() {
  if [[ $CUR_ALG_UNDER_TEST != sipalgd ]]; then
    # kernel: its helper keeps the state in the kernel, which nothing restarts
    echo '{"summary": "not applicable: only sipalgd has a daemon to restart (the kernel helper'"'"'s state never leaves the kernel)"}' >"$REP_DIR/na.json"
    return 0
  fi
  return 1
}

# SIGKILL mid-call, restart, then the BYE: the call's pinholes still in the
# kernel (those its media did not consume) are gone at once - within 1 s of
# the hangup, where the kernel alone would keep them expect_timeout (300 s).
scn_restart_then_bye() {
  restart_not_applicable && return 2
  phones_up l1 w1 || return 1
  ALG_DIRTY=1   # alg_restore puts the lab's own daemon (no state file) back
  restart_with_state || return 1
  local rc=0 restored
  call_dial l1 "$(aor w1)" w1
  if [[ $CALL_UP != yes ]]; then
    call_hangup l1 w1; call_judge call l1 w1; return 1
  fi
  restart_kill_mid_call || rc=1
  restored=$(awk '$0 == "[recovery]" { s = 1; next } /^\[/ { s = 0 }
    s && $1 == "dialogs_restored" { print $2 }' "$REP_DIR/status-after-restart.txt")
  sleep 2
  call_hangup l1 w1
  # first, before the (slow) judging: "at once" is the sample's +Ns
  SL_EXPECT_GONE_S=1 expect_gone_poll restart-bye
  call_judge call-across-restart l1 w1 0.6 || rc=1
  # this call's expectations (by its SDP ports, as expect_gone_poll) in the
  # sample after the restart and in the last one after the BYE
  local pub priv
  pub=$(sdp_ports "$REP_DIR/wan0.pcap" "src host $GW_WAN and port 5060")
  priv=$(sdp_ports "$REP_DIR/lan0.pcap" "src net $LAN_NET.0/24 and port 5060")
  awk '/^== after restart/ { s = 1; next } /^== / { s = 0 } s' "$REP_DIR/expect.txt" |
    calls_expectations "$pub" "$priv" >"$REP_DIR/call-expect-after-restart.txt"
  awk '/^== restart-bye after BYE/ { s = 1; delete l; n = 0; next } /^== / { s = 0 } s { l[n++] = $0 }
    END { for (i = 0; i < n; i++) print l[i] }' "$REP_DIR/expect.txt" |
    calls_expectations "$pub" "$priv" >"$REP_DIR/call-expect-after-bye.txt"
  python3 - "$REP_DIR" "${restored:-0}" "$(grep '^== restart-bye after BYE' "$REP_DIR/expect.txt" | tail -1)" \
    >"$REP_DIR/bye.json" <<'PY' || rc=1
import json, sys
d, restored, when = sys.argv[1], int(sys.argv[2]), sys.argv[3]
before = [l for l in open(d + "/call-expect-after-restart.txt") if l.strip()]
left = [l.strip() for l in open(d + "/call-expect-after-bye.txt") if l.strip()]
ok = restored >= 1 and len(before) > 0 and not left and bool(when)
print(json.dumps({
    "summary": f"dialogs restored {restored}; the call's expectations after the restart {len(before)}, "
               f"after the BYE ({when[3:] if when else 'no sample'}): {len(left)}",
    "left_after_bye": left, "pass": ok}))
sys.exit(0 if ok else 1)
PY
  return $rc
}

# SIGKILL mid-call, restart, then hold and resume: the WAN leg announces the
# same public m= port throughout (call, hold, resume) and audio returns.
scn_restart_then_hold() {
  restart_not_applicable && return 2
  phones_up l1 w1 || return 1
  ALG_DIRTY=1   # alg_restore puts the lab's own daemon (no state file) back
  restart_with_state || return 1
  local rc=0 ports
  call_dial l1 "$(aor w1)" w1
  if [[ $CALL_UP != yes ]]; then
    call_hangup l1 w1; call_judge call l1 w1; return 1
  fi
  restart_kill_mid_call || rc=1
  phone_cmd l1 hold
  sleep 3
  expect_sample "$REP_DIR/expect.txt" "held"
  phone_cmd l1 resume
  sleep 5
  expect_sample "$REP_DIR/expect.txt" "resumed"
  call_hangup l1 w1
  hold_media_after_resume "$(sip_count_wan out INVITE)" || rc=1
  ports=$(sdp_ports "$REP_DIR/wan0.pcap" "src host $GW_WAN and port 5060")
  python3 - "$ports" "$(sip_count_wan out INVITE)" >"$REP_DIR/ports.json" <<'PY' || rc=1
import json, sys
ports, invites = [int(p) for p in sys.argv[1].split()], int(sys.argv[2])
ok = invites >= 3 and len(ports) == 2 and ports[1] == ports[0] + 1
print(json.dumps({"summary": f"public RTP/RTCP ports the gateway announced on the WAN over "
                             f"{invites} INVITEs (call, hold, resume): {ports}", "pass": ok}))
sys.exit(0 if ok else 1)
PY
  return $rc
}
