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
