# rtpengine, the NAT-aware provider's media anchor (--pbx nataware|anchored),
# in the pbx namespace beside kamailio: ng control on 127.0.0.1:2223 (what
# kamailio-nataware.cfg talks to), media on its own WAN address RTPE_IP so
# the captures tell anchored media (from/to RTPE_IP) from direct media.
# Userspace forwarding only (--table=-1: no kernel module), the packaged
# config file not read (--config-file=none), learning of the real source as
# shipped (endpoint-learning delayed: the media source seen in the first 3 s).
# Sourced by lib/local.sh.
# shellcheck shell=bash
RTPE_IP=${WAN_NET:-203.0.113}.11
RTPE_NG=127.0.0.1:2223
RTPE_PID=""

# rtpe_start DIR: start it and wait (bounded) for its ng socket
rtpe_start() {
  local d=$1 i
  rtpe_stop
  nsx pbx ip -4 addr show dev eth0 | grep -qF " $RTPE_IP/" ||
    nsx pbx ip addr add "$RTPE_IP/24" dev eth0 || return 1
  # IPv6 (pbx_start v6, lib/v6.sh): the same logical interface gets an IPv6
  # address too; rtpengine answers an SDP in its own family
  local v6=()
  [[ ${PBX_MODE:-} == v6 ]] && v6=(--interface="$RTPE_IP6")
  ip netns exec "$(ns pbx)" rtpengine --config-file=none --foreground --log-stderr \
    --table=-1 --interface="$RTPE_IP" "${v6[@]}" --listen-ng="$RTPE_NG" \
    --port-min=30000 --port-max=30999 --num-threads=2 --delete-delay=0 \
    --timeout=60 --log-level=6 --pidfile="$d/rtpengine.pid" >>"$d/rtpengine.log" 2>&1 &
  RTPE_PID=$!
  for i in $(seq 1 50); do
    nsx pbx ss -lun 2>/dev/null | grep -qF "$RTPE_NG" && return 0
    kill -0 "$RTPE_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "pbx: rtpengine did not come up (see $d/rtpengine.log)" >&2
  rtpe_stop
  return 1
}

rtpe_stop() {
  [[ -n $RTPE_PID ]] || return 0
  kill "$RTPE_PID" 2>/dev/null || true
  local i
  for i in $(seq 1 30); do kill -0 "$RTPE_PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$RTPE_PID" 2>/dev/null || true
  wait "$RTPE_PID" 2>/dev/null || true
  RTPE_PID=""
}
