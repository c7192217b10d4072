# The IPv6 scenarios (issue 11 item 4; lib/scenarios.sh): the IPv4
# scenarios' own code, run with the phones and the provider on IPv6 (lib/v6.sh) through the gateway's default-deny stateful
# firewall, so they are judged exactly as the IPv4 ones (audio, pinholes,
# WAN leg; media after the resume); and announce-v6, IPv6 only, where the
# LAN phone never sends and only a pinhole lets media in. Sourced by lib/local.sh.
# shellcheck shell=bash

# v6_scenario SCN: IPv6 up, the provider restarted listening on IPv6 as well
# (pbx_start v6; lib/local.sh starts the standard one again after the rep),
# SCN, the firewall's evidence (firewall.json), then every IPv6 address,
# route and table removed again. A firewall that let a new inbound flow
# through fails the rep: it proved nothing.
v6_scenario() {
  local rc
  if ! v6_up >>"$REP_DIR/v6-setup.log" 2>&1 || ! pbx_start v6 >>"$REP_DIR/v6-setup.log" 2>&1; then
    python3 -c 'import json,sys; print(json.dumps({"summary": "IPv6 setup failed: " + open(sys.argv[1]).read()[-400:]}))' \
      "$REP_DIR/v6-setup.log" >"$REP_DIR/v6-setup.json"
    v6_down
    return 1
  fi
  "$@"
  rc=$?
  v6_firewall_json "$REP_DIR/firewall.json"
  [[ $V6_INBOUND_PING == answered ]] && {
    echo "v6: the firewall let w1's ping reach l1" >>"$REP_DIR/notes.txt"; rc=1; }
  phones_stop_all
  pbx_stop
  v6_down
  return $rc
}

scn_call_out_v6() { v6_scenario scn_call_out; }
scn_call_in_v6() { v6_scenario scn_call_in; }
scn_hold_v6() { v6_scenario scn_hold_sendonly; }

# announce-v6: a pinhole that matters. In the three above baresip sends RTP
# first and its own packets open the firewall (symmetric RTP), so they pass
# with no ALG. Here the LAN phone only listens: a WAN UAC (sipp in w1, over
# IPv6, through the provider as a caller does) calls the registered l1
# offering a=sendonly and streams w1's tone (sipp/uac-announce.xml); baresip
# answers recvonly and sends no RTP, so only a pinhole lets the far end's
# media through the default-deny firewall. Pass = >= 90% of the far RTP that
# reached the gateway's WAN leg was delivered to l1 on lan0 and carried w1's
# tone, while l1 sent no RTP (tools/oneway.py: a phone that sends proves
# nothing), the call was set up and sipp's completed, and the call's pinholes
# (tools/pinholes.py, judged for kernel and sipalgd). No wanleg.py: its
# symmetric-media check needs RTP from the LAN phone, which is the point here.
# SL_ANNOUNCE_FROM=pbx: the announcement comes from the provider itself (sipp
# in the pbx namespace on [2001:db8:113::10]:5070, media from that address),
# the one media source the kernel helper's pinhole admits: nf_conntrack_sip's
# sip_direct_media=1 (its default) expects media only from the signalling
# peer, the provider, so w1's own media never matches it.
scn_announce() {
  local far=w1 fip=${HOST_IP6[w1]} fport=5060 rc=0 uac src ne nc bye talker
  if [[ ${SL_ANNOUNCE_FROM:-w1} == pbx ]]; then
    far=pbx fip=$PBX_IP6 fport=5070 talker=$PBX_IP6
    [[ ${PBX_PROFILE:-plain} == plain ]] || talker+=",$RTPE_IP6"
  else
    talker=$(call_talker w1)
  fi
  local d="$REP_DIR/sipp-$far"
  phones_up l1 || return 1
  mkdir -p "$d"
  python3 "$LAB_DIR/tools/mktone.py" "$d/tone.wav" "${PHONE_TONE[w1]}" 2
  ne=$(phone_count l1 CALL_ESTABLISHED) nc=$(phone_count l1 CALL_CLOSED)
  CALL_MARK="$REP_DIR/.mark-w1-l1-$(date +%s%N)"
  touch "$CALL_MARK"
  # sipp plays ./tone.wav; -d: the bare <pause/>, the talk time
  ( cd "$d" && exec ip netns exec "$(ns "$far")" sipp -timeout $((TALK + 20)) -max_log_size 1000000 -nostdin \
      -sf "$SIPP_DIR/uac-announce.xml" -i "$fip" -p "$fport" -m 1 -mp 20000 -d $((TALK * 1000)) \
      -trace_err "[$PBX_IP6]:5060" >"$REP_DIR/sipp-announce.out" 2>&1 ) &
  uac=$!
  SIPP_PIDS+=("$uac")
  CALL_UP=no CALL_NOTE=""
  if phone_wait l1 CALL_ESTABLISHED 10 $((ne + 1)) >/dev/null; then
    CALL_UP=yes
  else
    CALL_NOTE="l1 never answered"
  fi
  CALL_T0=$(now)
  expect_sample "$REP_DIR/expect.txt" "call established"
  sleep "$(half "$TALK")"
  expect_sample "$REP_DIR/expect.txt" "call mid-call"
  wait "$uac"
  src=$?
  # the far end's BYE as the WAN leg saw it (bounded), else now
  sip_wait_wan in BYE || true
  bye=$(tcpdump -tt -n -r "$REP_DIR/wan0.pcap" "udp port 5060" 2>/dev/null | awk '/SIP: BYE / { print $1; exit }')
  CALL_T1=${bye:-$(now)}
  expect_gone_poll call
  phone_wait l1 CALL_CLOSED 5 $((nc + 1)) >/dev/null || CALL_NOTE+=" l1 saw no BYE"
  sleep 0.5   # baresip closes (finishes the header of) the recording
  # what l1 heard, judged from what the gateway delivered to it on lan0:
  # baresip 1.0's recording of a stream it answered recvonly stays empty
  # (its log shows the RTP arriving at 64 kbit/s), so it is only reported
  python3 - "$(newest_rec l1 "$CALL_MARK")" "$LAB_DIR/tools" "$src" "$CALL_UP" "$CALL_NOTE" \
    >"$REP_DIR/recording.json" <<'PY'
import json, os, sys
wav, tools, src, up, note = sys.argv[1:]
sys.path.insert(0, tools)
import tone
r = tone.analyse(wav, [500.0, 700.0, 900.0, 1100.0], 0.5) if os.path.exists(wav) else {"seconds": 0, "by_hz": {}}
print(json.dumps({"summary": f"report only (judged in oneway): sipp exit {src}, l1 established: {up}{note and '; ' + note};"
                  f" l1's own recording holds {r['seconds']} s, by tone {r['by_hz']}", "recording": r}))
PY
  python3 "$LAB_DIR/tools/oneway.py" "$REP_DIR/lan0.pcap" "$REP_DIR/wan0.pcap" --tone "${PHONE_TONE[w1]}" \
    --phone "${HOST_IP6[l1]}" --far "$talker" --start "$CALL_T0" --end "$CALL_T1" \
    --expect "$REP_DIR/expect.txt" --expect "$REP_DIR/expect-events.txt" \
    >"$REP_DIR/oneway.json" || rc=1
  python3 "$LAB_DIR/tools/pinholes.py" --wan "$REP_DIR/wan0.pcap" --lan "$REP_DIR/lan0.pcap" \
    --expect "$REP_DIR/expect.txt" --events "$REP_DIR/expect-events.txt" --alg "${CUR_ALG_UNDER_TEST:-none}" \
    --hangup-at "$CALL_T1" >"$REP_DIR/call-pinholes.json" || rc=1
  ((src == 0)) && [[ $CALL_UP == yes ]] || rc=1
  return $rc
}

scn_announce_v6() { v6_scenario scn_announce; }
# NAT66 (lib/v6.sh SL_V6_NAT66): the LAN prefix masqueraded, the WAN with no
# route to it, so a leaked inside address is unreachable as 192.168.x is
scn_call_out_nat66() { SL_V6_NAT66=1 v6_scenario scn_call_out; }
scn_announce_nat66() { SL_V6_NAT66=1 v6_scenario scn_announce; }
