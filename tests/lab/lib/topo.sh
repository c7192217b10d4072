# Lab topology: L2 bridge namespaces for the LAN and the WAN, one namespace per
# phone/server, a gateway namespace that forwards and masquerades onto the WAN.
# Sourced by run.sh; every name carries $SL_PREFIX so other labs can run beside us.
# shellcheck shell=bash

SL_PREFIX=${SL_PREFIX:-sl-}
LAN_NET=192.168.1
WAN_NET=203.0.113
GW_LAN=$LAN_NET.1
GW_WAN=$WAN_NET.1
PBX_IP=$WAN_NET.10

# name -> address of every end host (phones, servers). LAN hosts route via the
# gateway; WAN hosts get no default route, so a leaked private address is
# unreachable there (as on the Internet).
declare -A HOST_IP=(
  [l1]=$LAN_NET.10 [l2]=$LAN_NET.11
  [pbx]=$PBX_IP [w1]=$WAN_NET.20 [w2]=$WAN_NET.21
)
LAN_HOSTS=(l1 l2)
WAN_HOSTS=(pbx w1 w2)

ns() { echo "${SL_PREFIX}$1"; }
nsx() { local n=$1; shift; ip netns exec "$(ns "$n")" "$@"; }
# Background jobs: call `ip netns exec` directly (not through a function) so
# that $! is the program itself (ip execs it) and kill reaches it.

topo_down() {
  local n p
  # gwb: the failover scenario's second gateway (lib/failover.sh)
  for n in lan wan gw gwb "${LAN_HOSTS[@]}" "${WAN_HOSTS[@]}"; do
    # safety net: whatever still runs in our namespaces was started by the lab
    for p in $(ip netns pids "$(ns "$n")" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
  done
  for n in lan wan gw gwb "${LAN_HOSTS[@]}" "${WAN_HOSTS[@]}"; do
    ip netns del "$(ns "$n")" 2>/dev/null || true
  done
}

# veth with one end in host namespace $1 (named eth0) and the other in bridge
# namespace $2 (named $3, enslaved to br0).
_topo_link() {
  ip link add eth0 netns "$(ns "$1")" type veth peer name "$3" netns "$(ns "$2")"
  nsx "$2" ip link set "$3" master br0 up
  nsx "$1" ip link set eth0 up
}

topo_up() {
  topo_down
  local n
  for n in lan wan gw "${LAN_HOSTS[@]}" "${WAN_HOSTS[@]}"; do
    ip netns add "$(ns "$n")"
    nsx "$n" ip link set lo up
  done
  for n in lan wan; do
    nsx "$n" ip link add br0 type bridge
    nsx "$n" ip link set br0 up
  done
  # gateway: lan0 on the LAN bridge, wan0 on the WAN bridge
  ip link add lan0 netns "$(ns gw)" type veth peer name gw netns "$(ns lan)"
  ip link add wan0 netns "$(ns gw)" type veth peer name gw netns "$(ns wan)"
  nsx lan ip link set gw master br0 up
  nsx wan ip link set gw master br0 up
  nsx gw ip addr add "$GW_LAN/24" dev lan0
  nsx gw ip addr add "$GW_WAN/24" dev wan0
  nsx gw ip link set lan0 up
  nsx gw ip link set wan0 up
  nsx gw sysctl -qw net.ipv4.ip_forward=1
  nsx gw nft -f - <<NFT
table ip sl_nat {
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "wan0" masquerade
  }
}
NFT
  for n in "${LAN_HOSTS[@]}"; do
    _topo_link "$n" lan "$n"
    nsx "$n" ip addr add "${HOST_IP[$n]}/24" dev eth0
    nsx "$n" ip route add default via "$GW_LAN"
  done
  for n in "${WAN_HOSTS[@]}"; do
    _topo_link "$n" wan "$n"
    nsx "$n" ip addr add "${HOST_IP[$n]}/24" dev eth0
  done
  # wait (bounded) until the gateway reaches both sides
  local i
  for i in $(seq 1 30); do
    nsx l1 ping -c1 -W1 "$PBX_IP" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "topology: l1 cannot reach $PBX_IP through the gateway" >&2
  return 1
}

# Conntrack timeouts of the gateway, lowered so time-dependent cases are fast.
topo_ct_timeouts() {  # udp udp_stream
  nsx gw sysctl -qw net.netfilter.nf_conntrack_udp_timeout="$1"
  nsx gw sysctl -qw net.netfilter.nf_conntrack_udp_timeout_stream="$2"
}
