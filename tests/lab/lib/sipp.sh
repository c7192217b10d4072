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

# SIP start lines seen on the gateway's WAN leg so far (dir out|in, method or
# code), UDP only. tcpdump's SIP dissector names them; it starts much faster
# than python3 inside the guest, and this runs in polling loops.
sip_count_wan() {
  local filt what c
  [[ $1 == out ]] && filt="src host $GW_WAN" || filt="dst host $GW_WAN"
  # IPv6 (lib/v6.sh): the NAT66 address, or routed the LAN phones' own
  [[ -n ${V6_ACTIVE:-} ]] && filt="(${filt%% *} host $GW_WAN6 or ${filt%% *} net $LAN_NET6::/64)"
  [[ $2 =~ ^[0-9]+$ ]] && what="SIP: SIP/2.0 $2 " || what="SIP: $2 "
  c=$(tcpdump -n -r "$REP_DIR/wan0.pcap" "udp port 5060 and $filt" 2>/dev/null | grep -c -F "$what") || true
  echo "${c:-0}"
}

# sip_wait_wan DIR WHAT [N]: until the WAN capture holds N such messages
# (tcpdump may write a packet a moment after it crossed), bounded to 3 s
sip_wait_wan() {
  local i
  for ((i = 0; i < 30; i++)); do
    (($(sip_count_wan "$1" "$2") >= ${3:-1})) && return 0
    sleep 0.1
  done
  return 1
}
