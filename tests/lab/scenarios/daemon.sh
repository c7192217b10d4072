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
