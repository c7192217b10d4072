# A gateway pair for the failover scenario (issue 9 item 4): gwa = the lab's
# own gateway namespace ($(ns gw), so the captures, the ALG setup and every
# judge of the lab keep working on it), gwb = $(ns gwb) on the same LAN and
# WAN bridges, and a sync link between them (sync0, 198.51.100.1 - .2).
# keepalived (VRRP, one per namespace) moves the LAN and WAN virtual
# addresses 192.168.1.1 / 203.0.113.1; conntrackd (FTFW on sync0, one per
# namespace) syncs the conntracks and the expectations of our helper and of
# the kernel's "sip". Debian's daemons, own configs, pid/lock/socket files in
# $FO_DIR, started and stopped by PID. fo_down puts the lab's single gateway
# back as topo_up made it. Sourced by lib/local.sh (through scenarios/failover.sh).
# shellcheck shell=bash

FO_A_LAN=$LAN_NET.2 FO_B_LAN=$LAN_NET.3
FO_A_WAN=$WAN_NET.2 FO_B_WAN=$WAN_NET.3
FO_A_SYNC=198.51.100.1 FO_B_SYNC=198.51.100.2
FO_DIR="" SIPALGD_B_PID=""
declare -A FO_KA_PID=() FO_CTD_PID=()

# gateway namespace of a side: a -> the lab's gw, b -> gwb
fo_ns() { [[ $1 == a ]] && ns gw || ns gwb; }
fox() { local s=$1; shift; ip netns exec "$(fo_ns "$s")" "$@"; }

# The NAT of either gateway: SNAT to the WAN virtual address, not masquerade.
# Masquerade takes wan0's primary address (the gateway's own .2/.3), and the
# kernel drops masqueraded conntracks when their device's address goes;
# conntrackd's documentation has the pair SNAT to the shared address.
fo_nat() {
  fox "$1" nft delete table ip sl_nat 2>/dev/null || true
  fox "$1" nft -f - <<NFT
table ip sl_nat {
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "wan0" snat to $GW_WAN
  }
}
NFT
}

fo_conntrackd_conf() {  # SIDE SELF PEER
  local d=$FO_DIR/$1
  cat >"$d/conntrackd.conf" <<EOF
# conntrackd on gateway $1: FTFW over the dedicated sync link.
Sync {
	Mode FTFW {
		# the backup keeps the peer's states in its external cache and
		# commits them into the kernel at takeover (conntrackd -c)
		DisableExternalCache Off
		CommitTimeout 1800
		PurgeTimeout 5
		# resend unacked messages quickly: a lost update is a lost call state
		ResendQueueSize 131072
		ACKWindowSize 300
	}
	UDP {
		IPv4_address $2
		IPv4_Destination_Address $3
		Port 3780
		Interface sync0
		SndSocketBuffer 1249280
		RcvSocketBuffer 1249280
		Checksum on
	}
	Options {
		# the expectations (media pinholes) of sipalgd's helper and of the
		# kernel's SIP helper; the master conntrack must carry the helper on
		# the peer too, so sipalgd runs (registered) on both gateways
		ExpectationSync {
			sip
			${FO_HELPER:-sipalg}
		}
	}
}
General {
	Systemd off
	HashSize 8192
	HashLimit 65536
	LogFile $d/conntrackd.log
	Syslog off
	LockFile $d/conntrackd.lock
	UNIX {
		Path $d/conntrackd.ctl
	}
	NetlinkBufferSize 2097152
	NetlinkBufferSizeMaxGrowth 8388608
	NetlinkOverrunResync On
	NetlinkEventsReliable Off
	Filter From Userspace {
		Protocol Accept {
			TCP
			UDP
		}
		# the gateways' own traffic (the sync link itself, loopback)
		Address Ignore {
			IPv4_address 127.0.0.1
			IPv4_address $FO_A_SYNC
			IPv4_address $FO_B_SYNC
		}
	}
}
EOF
}

fo_keepalived_conf() {  # SIDE PRIORITY
  local d=$FO_DIR/$1
  cat >"$d/keepalived.conf" <<EOF
# keepalived on gateway $1: one VRRP instance on the LAN moving both
# virtual addresses; the state changes run the conntrackd script.
global_defs {
	router_id sl_gw$1
	script_user root
	# v3: sub-second advertisements (v2 rounds them to whole seconds)
	vrrp_version 3
	vrrp_garp_master_repeat 3
	vrrp_garp_master_refresh 0
}
vrrp_instance SL_GW {
	state BACKUP
	interface lan0
	virtual_router_id 51
	priority $2
	advert_int ${FO_ADVERT:-0.5}
	virtual_ipaddress {
		$GW_LAN/24 dev lan0
		$GW_WAN/24 dev wan0
	}
	notify_master "$FO_DIR/notify.sh primary $d/conntrackd.conf $FO_DIR/$1/state"
	notify_backup "$FO_DIR/notify.sh backup $d/conntrackd.conf $FO_DIR/$1/state"
	notify_fault "$FO_DIR/notify.sh fault $d/conntrackd.conf $FO_DIR/$1/state"
}
EOF
}

fo_ctd_start() {  # SIDE
  local d=$FO_DIR/$1 i
  ip netns exec "$(fo_ns "$1")" conntrackd -C "$d/conntrackd.conf" >"$d/conntrackd.out" 2>&1 &
  FO_CTD_PID[$1]=$!
  for i in $(seq 1 50); do
    [[ -S $d/conntrackd.ctl ]] && return 0
    kill -0 "${FO_CTD_PID[$1]}" 2>/dev/null || break
    sleep 0.1
  done
  echo "failover: conntrackd $1 not up: $(tail -3 "$d/conntrackd.log" "$d/conntrackd.out" 2>/dev/null)" >&2
  return 1
}

fo_ka_start() {  # SIDE
  local d=$FO_DIR/$1
  # -n: no daemon fork (its PID is ours), -l: log to the console, -D: detail,
  # -P: VRRP only; own pid files so a system keepalived is not disturbed
  ip netns exec "$(fo_ns "$1")" keepalived -n -l -D -P -f "$d/keepalived.conf" \
    -p "$d/keepalived.pid" -r "$d/vrrp.pid" -c "$d/checkers.pid" >"$d/keepalived.log" 2>&1 &
  FO_KA_PID[$1]=$!
}

# The pair, on the lab's topology (after topo_up and alg_setup ALG for gwa).
fo_up() {  # ALG
  local alg=$1 s i
  FO_DIR=$(mktemp -d "$RUN_DIR/fo.XXXXXX")
  chmod 755 "$FO_DIR"
  mkdir -p "$FO_DIR/a" "$FO_DIR/b"
  ip netns add "$(ns gwb)"
  fox b ip link set lo up
  ip link add lan0 netns "$(ns gwb)" type veth peer name gwb netns "$(ns lan)"
  ip link add wan0 netns "$(ns gwb)" type veth peer name gwb netns "$(ns wan)"
  ip link add sync0 netns "$(ns gw)" type veth peer name sync0 netns "$(ns gwb)"
  nsx lan ip link set gwb master br0 up
  nsx wan ip link set gwb master br0 up
  # the shared addresses leave gwa: keepalived gives them to the master
  nsx gw ip addr del "$GW_LAN/24" dev lan0
  nsx gw ip addr del "$GW_WAN/24" dev wan0
  nsx gw ip addr add "$FO_A_LAN/24" dev lan0
  nsx gw ip addr add "$FO_A_WAN/24" dev wan0
  nsx gw ip addr add "$FO_A_SYNC/24" dev sync0
  fox b ip addr add "$FO_B_LAN/24" dev lan0
  fox b ip addr add "$FO_B_WAN/24" dev wan0
  fox b ip addr add "$FO_B_SYNC/24" dev sync0
  for s in a b; do
    for i in lan0 wan0 sync0; do fox $s ip link set $i up; done
    fox $s sysctl -qw net.ipv4.ip_forward=1
    # the virtual address may be bound before it arrives
    fox $s sysctl -qw net.ipv4.ip_nonlocal_bind=1
    fo_nat $s
  done
  fox b sysctl -qw net.netfilter.nf_conntrack_udp_timeout=30
  fox b sysctl -qw net.netfilter.nf_conntrack_udp_timeout_stream=120
  fo_alg_b "$alg" || return 1
  install -m 755 "$LAB_DIR/lib/failover-notify.sh" "$FO_DIR/notify.sh"
  fo_conntrackd_conf a "$FO_A_SYNC" "$FO_B_SYNC"
  fo_conntrackd_conf b "$FO_B_SYNC" "$FO_A_SYNC"
  fo_ctd_start a && fo_ctd_start b || return 1
  fo_keepalived_conf a 150
  fo_keepalived_conf b 100
  fo_ka_start a
  # gwa first: it is master before gwb even listens (no election race)
  fo_wait_master a 15 || { echo "failover: gwa never became master" >&2; return 1; }
  fo_ka_start b
  for i in $(seq 1 30); do
    nsx l1 ping -c1 -W1 "$PBX_IP" >/dev/null 2>&1 && nsx w1 ping -c1 -W1 "$GW_WAN" >/dev/null 2>&1 &&
      return 0
    sleep 0.2
  done
  echo "failover: no path l1 -> pbx through gwa" >&2
  return 1
}

# fo_wait_master SIDE SECONDS: until the side holds the WAN virtual address
fo_wait_master() {
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    fox "$1" ip -4 addr show dev wan0 | grep -q "inet $GW_WAN/" && return 0
    sleep 0.1
  done
  return 1
}

# The ALG on gwb: the same as alg_setup puts on gwa.
fo_alg_b() {
  case $1 in
    none) ;;
    kernel)
      fox b nft -f - <<'NFT'
table ip sl_alg {
  ct helper sip-udp { type "sip" protocol udp; l3proto ip; }
  ct helper sip-tcp { type "sip" protocol tcp; l3proto ip; }
  chain pre {
    type filter hook prerouting priority filter; policy accept;
    udp dport 5060 ct helper set "sip-udp"
    tcp dport 5060 ct helper set "sip-tcp"
  }
}
NFT
      ;;
    sipalgd) sipalgd_b_start ;;
  esac
}

# sipalgd on gwb: the lab's config with its own status socket. On one kernel
# the userspace helper registration is global (nfnetlink_cthelper keeps one
# list): both daemons register the same "sipalg", each gets the packets of
# its own namespace on its own queue instance (NFQUEUE is per namespace).
sipalgd_b_start() {
  local conf="$FO_DIR/b/sipalgd.conf" i
  sipalgd_find_bin || return 1
  RUN_DIR=$FO_DIR/b sipalgd_write_config "$conf"
  chmod a+rx "$FO_DIR/b"
  ip netns exec "$(ns gwb)" "$SIPALGD_BIN" -f -c "$conf" >>"$FO_DIR/b/sipalgd.log" 2>&1 &
  SIPALGD_B_PID=$!
  for i in $(seq 1 50); do
    kill -0 "$SIPALGD_B_PID" 2>/dev/null || break
    fox b "$SIPALGD_BIN" status -c "$conf" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "failover: sipalgd on gwb not up: $(tail -3 "$FO_DIR/b/sipalgd.log")" >&2
  return 1
}

sipalgd_b_stop() {
  [[ -n $SIPALGD_B_PID ]] || return 0
  kill -TERM "$SIPALGD_B_PID" 2>/dev/null || true
  local i
  for i in $(seq 1 30); do kill -0 "$SIPALGD_B_PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$SIPALGD_B_PID" 2>/dev/null || true
  wait "$SIPALGD_B_PID" 2>/dev/null || true
  SIPALGD_B_PID=""
}

sipalgd_b_status() { fox b "$SIPALGD_BIN" status -c "$FO_DIR/b/sipalgd.conf" 2>&1; }

# fo_kill_tree PID: the process and its children (keepalived -n forks its VRRP child)
fo_kill_tree() {
  local p=$1 c
  [[ -n $p ]] || return 0
  for c in $(pgrep -P "$p" 2>/dev/null); do kill -KILL "$c" 2>/dev/null || true; done
  kill -KILL "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
}

# gwa dies (power loss): its daemons are SIGKILLed and its links go down at
# once, so none says goodbye (no VRRP priority 0, no conntrackd
# shutdown, no helper disabled, no address removed: nothing is flushed).
fo_fail_a() {
  local i
  # daemons first, so that keepalived's fault script does not run on a dead box
  fo_kill_tree "${FO_KA_PID[a]:-}"; FO_KA_PID[a]=""
  fo_kill_tree "${FO_CTD_PID[a]:-}"; FO_CTD_PID[a]=""
  if [[ -n ${SIPALGD_PID:-} ]]; then
    kill -KILL "$SIPALGD_PID" 2>/dev/null; wait "$SIPALGD_PID" 2>/dev/null; SIPALGD_PID=""
  fi
  for i in lan0 wan0 sync0; do nsx gw ip link set "$i" down; done
}

# conntrackd -s / -i / -e of a side, for the evidence
fo_ctd_stats() { fox "$1" conntrackd -C "$FO_DIR/$1/conntrackd.conf" -s 2>&1; }

fo_down() {
  local s
  for s in a b; do
    fo_kill_tree "${FO_KA_PID[$s]:-}"; FO_KA_PID[$s]=""
    if [[ -n ${FO_CTD_PID[$s]:-} ]]; then
      kill -TERM "${FO_CTD_PID[$s]}" 2>/dev/null
      wait "${FO_CTD_PID[$s]}" 2>/dev/null
      FO_CTD_PID[$s]=""
    fi
  done
  sipalgd_b_stop
  for p in $(ip netns pids "$(ns gwb)" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
  ip netns del "$(ns gwb)" 2>/dev/null || true
  # the lab's single gateway again, as topo_up made it
  nsx gw ip link del sync0 2>/dev/null || true
  nsx gw ip addr flush dev lan0
  nsx gw ip addr flush dev wan0
  nsx gw ip link set lan0 up
  nsx gw ip link set wan0 up
  nsx gw ip addr add "$GW_LAN/24" dev lan0
  nsx gw ip addr add "$GW_WAN/24" dev wan0
  nsx gw nft delete table ip sl_nat 2>/dev/null || true
  nsx gw nft -f - <<NFT
table ip sl_nat {
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "wan0" masquerade
  }
}
NFT
  # the phones and servers must not keep gwb's MAC for the gateway
  for s in "${LAN_HOSTS[@]}" "${WAN_HOSTS[@]}"; do nsx "$s" ip neigh flush all 2>/dev/null || true; done
}
