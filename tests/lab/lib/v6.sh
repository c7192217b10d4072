# The IPv6 lab (issue 11 item 4): IPv6 on the lab's namespaces for the *-v6
# scenarios (scenarios/v6.sh). v6_up adds it when such a scenario starts and
# v6_down takes it all away when it ends, so every IPv4 scenario runs on the
# topology exactly as lib/topo.sh builds it. Sourced by lib/local.sh.
#
#   l1 2001:db8:1::10 ─┐                                ┌─ pbx 2001:db8:113::10 (kamailio; rtpengine ::11)
#   l2 2001:db8:1::11 ─┤ lan0 2001:db8:1::1 [gw] wan0 2001:db8:113::1 ├─ w1 2001:db8:113::20
#                      └                                └─ w2 2001:db8:113::21
#
# Routed (default), as most dual-stack gateways do: the phones keep their
# global addresses, the WAN hosts route the LAN prefix via the gateway (the
# provider routes the delegated prefix), and the gateway's ip6 forward chain
# is a default-deny stateful firewall: established/related accepted, new
# LAN -> WAN accepted, anything new from the WAN dropped (and counted).
# SL_V6_NAT66=1: the gateway masquerades the LAN prefix to 2001:db8:113::1
# (NAT66) and the WAN hosts get no route to the LAN (a leaked inside address
# is unreachable, as 192.168.x is in the IPv4 lab); the firewall stays.
# shellcheck shell=bash disable=SC2034  # the hooks elsewhere read these

LAN_NET6=2001:db8:1
WAN_NET6=2001:db8:113
GW_LAN6=$LAN_NET6::1
GW_WAN6=$WAN_NET6::1
PBX_IP6=$WAN_NET6::10
RTPE_IP6=$WAN_NET6::11
# RFC 5952 text throughout: conntrack and the judges (tools/pcapsum.py) print it so
declare -A HOST_IP6=(
  [l1]=$LAN_NET6::10 [l2]=$LAN_NET6::11
  [pbx]=$PBX_IP6 [w1]=$WAN_NET6::20 [w2]=$WAN_NET6::21
)
# Set while a v6 scenario runs (routed|nat66); the guarded hooks read it:
# phone.sh (PHONE_AF), call.sh (aor, call_talker, call_pinhole_checks), observe.sh (expect_gone_poll),
# alg.sh (CT_FAMILY), sipp.sh (sip_count_wan), pbx.sh/rtpengine.sh (pbx_start v6).
V6_ACTIVE=""

# an IPv6 SIP URI host part
v6_host() { echo "[$1]"; }
# aor6 USER [transport]: the account of a phone at the lab PBX over IPv6
aor6() { echo "sip:$1@[$PBX_IP6]${2:+;transport=$2}"; }

_v6_nft_fw() {
  nsx gw nft -f - <<NFT
table ip6 sl_fw6 {
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related accept
    ct state invalid counter drop
    iifname "lan0" oifname "wan0" accept
    iifname "wan0" udp dport 5060 counter drop comment "new inbound SIP"
    iifname "wan0" meta l4proto udp counter drop comment "new inbound UDP (media)"
    iifname "wan0" counter drop comment "anything else new inbound"
  }
}
NFT
}

_v6_nft_nat66() {
  nsx gw nft -f - <<'NFT'
table ip6 sl_nat6 {
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "wan0" masquerade
  }
}
NFT
}

# the kernel's SIP helper for IPv6: nf_conntrack_sip keeps its expectations
# per l3proto, so the ct helper objects of the IPv4 table (lib/alg.sh) do not
# see IPv6 flows; the same rule in an ip6 table
_v6_nft_kernel_helper() {
  nsx gw nft -f - <<'NFT'
table ip6 sl_alg6 {
  ct helper sip-udp { type "sip" protocol udp; l3proto ip6; }
  ct helper sip-tcp { type "sip" protocol tcp; l3proto ip6; }
  chain pre {
    type filter hook prerouting priority filter; policy accept;
    udp dport 5060 ct helper set "sip-udp"
    tcp dport 5060 ct helper set "sip-tcp"
  }
}
NFT
}

# v6_up: addresses (nodad: usable at once), routes, the firewall, NAT66 when
# asked, the kernel helper's ip6 table for the kernel row; then checks,
# bounded, that l1 reaches the PBX and (routed) that w1 cannot open a flow to l1.
v6_up() {
  local n mode=routed i
  [[ ${SL_V6_NAT66:-0} == 1 ]] && mode=nat66
  nsx gw sysctl -qw net.ipv6.conf.all.forwarding=1 || return 1
  nsx gw ip -6 addr add "$GW_LAN6/64" dev lan0 nodad || return 1
  nsx gw ip -6 addr add "$GW_WAN6/64" dev wan0 nodad || return 1
  for n in "${LAN_HOSTS[@]}"; do
    nsx "$n" ip -6 addr add "${HOST_IP6[$n]}/64" dev eth0 nodad || return 1
    nsx "$n" ip -6 route add default via "$GW_LAN6" || return 1
  done
  for n in "${WAN_HOSTS[@]}"; do
    nsx "$n" ip -6 addr add "${HOST_IP6[$n]}/64" dev eth0 nodad || return 1
    [[ $mode == routed ]] && { nsx "$n" ip -6 route add "$LAN_NET6::/64" via "$GW_WAN6" || return 1; }
  done
  nsx pbx ip -6 addr add "$RTPE_IP6/64" dev eth0 nodad || return 1
  _v6_nft_fw || return 1
  if [[ $mode == nat66 ]]; then _v6_nft_nat66 || return 1; fi
  if [[ ${CUR_ALG_UNDER_TEST:-} == kernel ]]; then _v6_nft_kernel_helper || return 1; fi
  nsx gw conntrack -F -f ipv6 >/dev/null 2>&1 || true
  nsx gw conntrack -F expect -f ipv6 >/dev/null 2>&1 || true
  # conntrack -L lists one family (ipv4 unless -f); -E and -F take both
  V6_ACTIVE=$mode CT_FAMILY=ipv6 PHONE_AF=6
  for i in $(seq 1 30); do
    nsx l1 ping -6 -c1 -W1 "$PBX_IP6" >/dev/null 2>&1 && break
    ((i == 30)) && { echo "v6: l1 cannot reach $PBX_IP6 through the gateway" >&2; return 1; }
    sleep 0.2
  done
  # the firewall's own check: a new flow from the WAN is dropped (routed: the
  # LAN address is reachable, only the firewall stops it)
  V6_INBOUND_PING="not tried (NAT66: the WAN has no route to the LAN)"
  if [[ $mode == routed ]]; then
    V6_INBOUND_PING=blocked
    nsx w1 ping -6 -c1 -W1 "${HOST_IP6[l1]}" >/dev/null 2>&1 && V6_INBOUND_PING=answered
  fi
  return 0
}

# v6_firewall_json FILE: the mode, the firewall's drop counters, its self check
v6_firewall_json() {
  local rules
  rules=$(nsx gw nft list table ip6 sl_fw6 2>/dev/null)
  python3 - "$V6_ACTIVE" "${V6_INBOUND_PING:-}" "$rules" >"$1" <<'PY'
import json, re, sys
mode, ping, rules = sys.argv[1:]
drops = {}
for line in rules.splitlines():
    m = re.search(r"counter packets (\d+) bytes \d+ drop(?: comment \"([^\"]*)\")?", line)
    if m:
        drops[m.group(2) or line.strip().split(" counter")[0]] = int(m.group(1))
print(json.dumps({
    "summary": f"IPv6 {mode}: default-deny forward firewall dropped "
               + ", ".join(f"{k}: {v}" for k, v in drops.items())
               + f"; its self check, a ping from w1 to l1 before the call: {ping}",
    "mode": mode, "drops": drops, "inbound_ping": ping}))
PY
}

v6_down() {
  local n
  local t
  for t in sl_fw6 sl_nat6 sl_alg6; do nsx gw nft delete table ip6 "$t" 2>/dev/null || true; done
  for n in "${LAN_HOSTS[@]}"; do
    nsx "$n" ip -6 route del default via "$GW_LAN6" 2>/dev/null || true
    nsx "$n" ip -6 addr flush dev eth0 scope global 2>/dev/null || true
  done
  for n in "${WAN_HOSTS[@]}"; do
    nsx "$n" ip -6 route del "$LAN_NET6::/64" via "$GW_WAN6" 2>/dev/null || true
    nsx "$n" ip -6 addr flush dev eth0 scope global 2>/dev/null || true
  done
  nsx gw ip -6 addr flush dev lan0 scope global 2>/dev/null || true
  nsx gw ip -6 addr flush dev wan0 scope global 2>/dev/null || true
  nsx gw sysctl -qw net.ipv6.conf.all.forwarding=0 2>/dev/null || true
  nsx gw conntrack -F -f ipv6 >/dev/null 2>&1 || true
  nsx gw conntrack -F expect -f ipv6 >/dev/null 2>&1 || true
  V6_ACTIVE="" CT_FAMILY="" PHONE_AF=""
}

# v6_talker HOST: where HOST's media reaches the gateway from over IPv6 (with
# the NAT-aware provider, a WAN phone's may come through rtpengine)
v6_talker() {
  local t=${HOST_IP6[$1]}
  [[ ${PBX_PROFILE:-plain} != plain && $t != "$LAN_NET6":* ]] && t+=",$RTPE_IP6"
  echo "$t"
}
