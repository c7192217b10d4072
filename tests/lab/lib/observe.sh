# Evidence collection: captures on both sides of the gateway, expectation
# samples. Sourced by run.sh.
# shellcheck shell=bash
declare -a CAP_PIDS=()

# cap_start DIR: tcpdump on the gateway's LAN and WAN legs (headers + SIP).
cap_start() {
  local d=$1 side
  CAP_PIDS=()
  for side in lan0 wan0; do
    ip netns exec "$(ns gw)" tcpdump -U -n -i "$side" -s 1600 -w "$d/$side.pcap" udp or tcp \
      >/dev/null 2>"$d/tcpdump-$side.log" &
    CAP_PIDS+=($!)
  done
  # tcpdump needs a moment before it sees packets; poll its "listening" line
  local i
  for i in $(seq 1 30); do
    grep -q listening "$d/tcpdump-lan0.log" "$d/tcpdump-wan0.log" 2>/dev/null &&
      [[ $(grep -l listening "$d"/tcpdump-*.log | wc -l) -eq 2 ]] && break
    sleep 0.1
  done
}

cap_stop() {
  local p
  sleep 0.6   # let the last packets reach the file (tcpdump may be scheduled late)
  for p in "${CAP_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${CAP_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  CAP_PIDS=()
}

# expect_sample FILE LABEL: append the current expectations under a label
expect_sample() {
  { echo "== $2 $(date +%s.%N)"; alg_expectations; } >>"$1"
}
