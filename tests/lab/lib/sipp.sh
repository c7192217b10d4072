# sipp runs for flows baresip cannot script. Sourced by lib/local.sh.
# shellcheck shell=bash
declare -a SIPP_PIDS=()

# sipp_bg HOST ARGS...: start sipp in a namespace in the background, bounded
sipp_bg() {
  local host=$1; shift
  ip netns exec "$(ns "$host")" sipp -timeout "${SIPP_TIMEOUT:-60}" -max_log_size 1000000 -nostdin "$@" \
    >>"$REP_DIR/sipp-$host.out" 2>&1 &
  SIPP_PIDS+=($!)
  LAST_SIPP_PID=$!
}

# sipp_wait_listening HOST: until something listens on HOST's UDP 5060 (bounded)
sipp_wait_listening() {
  local i
  for ((i = 0; i < 30; i++)); do
    nsx "$1" ss -lun | grep -q ":5060 " && return 0
    sleep 0.1
  done
  echo "sipp in $1 is not listening on 5060" >>"$REP_DIR/notes.txt"
  return 1
}

sipp_stop_all() {
  local p
  for p in "${SIPP_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${SIPP_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  SIPP_PIDS=()
}

# SIP start lines seen on the gateway's WAN leg so far (dir out|in, method or code)
sip_count_wan() {
  python3 - "$REP_DIR/wan0.pcap" "$1" "$2" <<'PY'
import sys, os
sys.path.insert(0, os.environ["LAB_DIR"] + "/tools")
import pcapsum
r = pcapsum.summarise(sys.argv[1], "wan", 5060)
print(r["sip_" + sys.argv[2]].get(sys.argv[3], 0))
PY
}
