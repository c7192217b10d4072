# The lab's kamailio registrar/proxy in the pbx namespace. Sourced by run.sh.
# shellcheck shell=bash
PBX_PID="" PBX_MODE=""

# pbx_start rr|norr|longreg (longreg: rr, registrations up to 600 s)
pbx_start() {
  local mode=${1:-rr} d="$RUN_DIR/pbx" def=()
  pbx_stop
  mkdir -p "$d"
  [[ $mode == rr || $mode == longreg ]] && def=(-A WITH_RR)
  [[ $mode == longreg ]] && def+=(-A WITH_LONG_REG)
  PBX_MODE=$mode
  ip netns exec "$(ns pbx)" kamailio -DD -E -f "$LAB_DIR/lib/kamailio.cfg" "${def[@]}" \
    -Y "$d" -P "$d/kamailio.pid" -m 64 -M 8 >"$d/kamailio-$mode.log" 2>&1 &
  PBX_PID=$!
  local i
  for i in $(seq 1 50); do
    nsx pbx ss -lun 2>/dev/null | grep -q "$PBX_IP:5060" && return 0
    kill -0 "$PBX_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "pbx: kamailio did not come up (see $d/kamailio-$mode.log)" >&2
  return 1
}

pbx_stop() {
  [[ -n $PBX_PID ]] || return 0
  kill "$PBX_PID" 2>/dev/null || true
  local i
  for i in $(seq 1 30); do kill -0 "$PBX_PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$PBX_PID" 2>/dev/null || true
  wait "$PBX_PID" 2>/dev/null || true
  PBX_PID=""
}
