# SIP over TCP with an INVITE larger than the path MSS (issue 7, item 5).
# Sourced by lib/local.sh.
# shellcheck shell=bash

# l1 and w1 offer many codecs: l1's INVITE is ~1.6 KB, more than one MSS of a
# 1500-byte link (1448 with timestamps), so it leaves the phone in two
# segments and the ALG must reassemble it before it can rewrite it. PCMU
# stays first, so the call and its judging are the usual ones.
# SL_TCPBIG_CODECS= (empty): an ordinary INVITE in one segment, a control run
# that tcp-split must fail. SL_TCPBIG_MTU=576 (say) also gives l1's route a
# small MTU: MSS 536 both ways, four segments.
TCPBIG_CODECS=${SL_TCPBIG_CODECS-g722 g726 gsm l16 opus codec2 amr mpa}
TCPBIG_MTU=${SL_TCPBIG_MTU:-}

# tcpbig_links on|off: one segment per packet from l1 and the PBX, as on a
# wire (gso_max_segs 1; TCP would otherwise hand the veth one GSO packet,
# which the gateway's capture shows as one big frame, cut by its snap
# length), and l1's small MTU when asked (a locked route metric: the link
# keeps 1500).
tcpbig_links() {
  local h segs=65535
  [[ $1 == on ]] && segs=1
  for h in l1 pbx; do nsx "$h" ip link set dev eth0 gso_max_segs "$segs" || return 1; done
  if [[ $1 == on && -n $TCPBIG_MTU ]]; then
    nsx l1 ip route replace default via "$GW_LAN" dev eth0 mtu lock "$TCPBIG_MTU"
  else
    nsx l1 ip route replace default via "$GW_LAN" dev eth0
  fi
}

# Pass = two-way audio, the call's pinholes and WAN leg as for call-out
# (call_pinhole_checks: no private address in any SIP line on the WAN leg,
# the RTP/RTCP expectations created, shown and gone), and the INVITE really
# spanned several segments on the LAN leg (tools/tcpsplit.py: a scenario
# whose INVITE fitted one segment proves nothing, so that fails too).
scn_tcp_big_invite() {
  local rc=0
  if ! tcpbig_links on; then
    echo "tcp-big-invite: could not set gso_max_segs 1 ${TCPBIG_MTU:+or MTU $TCPBIG_MTU }on l1/pbx" >>"$REP_DIR/notes.txt"
    tcpbig_links off
    return 1
  fi
  if PHONE_CODECS=$TCPBIG_CODECS phones_up l1 w1 --tcp; then
    CALL_PINHOLES=1 CALL_TCP=1 call_simple call l1 "$(aor w1 tcp)" w1 "$TALK" || rc=1
    call_pinhole_checks call || rc=1
  else
    rc=1
  fi
  python3 "$LAB_DIR/tools/tcpsplit.py" "$REP_DIR/lan0.pcap" "$REP_DIR/wan0.pcap" \
    >"$REP_DIR/tcp-split.json" || rc=1
  # what the daemon counted for TCP: its tcp_* reasons for passing a segment
  # unchanged, and the non-zero counters of its [tcp streams] section
  if [[ ${CUR_ALG_UNDER_TEST:-} == sipalgd ]]; then
    sipalgd_status 2>&1 | tee "$REP_DIR/sipalgd-status-end.txt" |
      awk '/^\[/ { sec = $0 } /^tcp_/ || (sec == "[tcp streams]" && NF == 2 && $2 != 0)' |
      python3 -c 'import json,sys; print(json.dumps({"summary": "sipalgd " + ", ".join(l.strip() for l in sys.stdin)}))' \
      >"$REP_DIR/sipalgd-tcp.json"
  fi
  tcpbig_links off
  return $rc
}
