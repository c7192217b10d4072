# The gateway's WAN address changes under registered phones (DHCP or PPPoE
# re-addressing). Sourced by lib/local.sh.
# shellcheck shell=bash

WAN_NEW=${WAN_NET}.3

# wan_move OLD NEW: the new address first, then the old one goes (the
# secondary must survive the primary's removal)
wan_move() {
  nsx gw sysctl -qw net.ipv4.conf.wan0.promote_secondaries=1
  nsx gw ip addr add "$2/24" dev wan0
  nsx gw ip addr del "$1/24" dev wan0
  echo "WAN address $1 -> $2 at $(now)" >>"$REP_DIR/notes.txt"
}

# REGISTERs that left the gateway from ADDR so far (the rep's WAN capture)
registers_from() {
  local c
  c=$(tcpdump -n -r "$REP_DIR/wan0.pcap" "udp port 5060 and src host $1" 2>/dev/null |
      grep -c -F "SIP: REGISTER ") || true
  echo "${c:-0}"
}

# l1 is in a call when the WAN address moves. Pass: sipalgd drops that call's
# dialog and pinholes at once (logged), the phone re-registers through the new
# address, and a call to it then has two-way audio. The address is moved back
# at the end, so the rest of the run has the lab's topology.
scn_wan_address_change() {
  phones_up l1 w1 || return 1
  local rc=0 i regs=0 flushed="" live="" e_old=0
  ALG_DIRTY=1
  call_dial l1 "$(aor w1)" w1
  [[ $CALL_UP == yes ]] && sleep 2
  wan_move "$GW_WAN" "$WAN_NEW"
  sleep 1
  expect_sample "$REP_DIR/expect-moved.txt" "WAN moved"
  e_old=$(grep -c "dst=$GW_WAN " "$REP_DIR/expect-moved.txt" 2>/dev/null) || true
  if [[ $CUR_ALG_UNDER_TEST == sipalgd ]]; then
    flushed=$(grep -o "address $GW_WAN removed: [0-9]* dialog" "$RUN_DIR/sipalgd.log" | tail -1)
    live=$(status_value live dialogs)	# scenarios/daemon.sh
  fi
  call_hangup l1 w1
  # the registrar grants at most 20 s: the refresh comes through the new address
  for ((i = 0; i < 35; i++)); do
    regs=$(registers_from "$WAN_NEW")
    ((regs >= 1)) && break
    sleep 1
  done
  call_simple call-after-move w1 "$(aor l1)" l1 "$TALK" || rc=1
  wan_move "$WAN_NEW" "$GW_WAN"
  python3 -c 'import json,sys; print(json.dumps({"summary": sys.argv[1]}))' \
    "REGISTERs from the new address $WAN_NEW: $regs; expectations on the old address after the move: $e_old; sipalgd: '${flushed:-n/a}', dialogs live ${live:-n/a}" \
    >"$REP_DIR/wan-move.json"
  ((regs >= 1 && e_old == 0)) || rc=1
  if [[ $CUR_ALG_UNDER_TEST == sipalgd ]]; then
    [[ -n $flushed && $live == 0 ]] || rc=1
  fi
  return $rc
}
