# The lab's kamailio registrar/proxy in the pbx namespace. Sourced by run.sh.
# PBX_PROFILE (--pbx): plain = NAT-unaware (kamailio.cfg); nataware = nathelper
# and rtpengine anchoring NATed calls (kamailio-nataware.cfg, lib/rtpengine.sh);
# anchored = the same, anchoring every call.
# shellcheck shell=bash
PBX_PID="" PBX_MODE="" PBX_PROFILE=${PBX_PROFILE:-plain}

# pbx_start rr|norr|longreg|v6 (longreg: rr, registrations up to 600 s; v6: rr,
# listening on IPv6 too, rtpengine with an IPv6 address: lib/v6.sh, which must be up)
pbx_start() {
  local mode=${1:-rr} d="$RUN_DIR/pbx" def=() cfg=$LAB_DIR/lib/kamailio.cfg
  pbx_stop
  mkdir -p "$d"
  [[ $mode == rr || $mode == longreg || $mode == v6 ]] && def=(-A WITH_RR)
  [[ $mode == longreg ]] && def+=(-A WITH_LONG_REG)
  [[ $mode == v6 ]] && def+=(-A WITH_IPV6)
  PBX_MODE=$mode
  if [[ $PBX_PROFILE != plain ]]; then
    cfg=$LAB_DIR/lib/kamailio-nataware.cfg
    [[ $PBX_PROFILE == anchored ]] && def+=(-A WITH_ANCHOR_ALL)
    rtpe_start "$d" || return 1
  fi
  ip netns exec "$(ns pbx)" kamailio -DD -E -f "$cfg" "${def[@]}" \
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
  rtpe_stop
  [[ -n $PBX_PID ]] || return 0
  kill "$PBX_PID" 2>/dev/null || true
  local i
  for i in $(seq 1 30); do kill -0 "$PBX_PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$PBX_PID" 2>/dev/null || true
  wait "$PBX_PID" 2>/dev/null || true
  PBX_PID=""
}

# pbx_not_applicable WHY: for a scenario the provider profile has no part in
# (its flow does not cross the provider): evidence na.json, status 2
pbx_not_applicable() {
  python3 -c 'import json,sys; print(json.dumps({"summary": "not applicable to --pbx " + sys.argv[1] + ": " + sys.argv[2]}))' \
    "$PBX_PROFILE" "$1" >"$REP_DIR/na.json"
  return 2
}
