# An inside PBX (or an IP-authenticated trunk) calling out: no REGISTER, so the
# INVITE opens a fresh UDP flow and its pinholes must be set up for the flow's
# very first packet (nat/verdict_exp.h). Sourced by lib/local.sh.
# shellcheck shell=bash

# sipp in l2 (the PBX, streaming l2's tone) calls w1 through the WAN proxy from
# l2:5060, a flow nothing used before; w1 answers. Pass = w1 heard l2's tone,
# and in the call (INVITE .. BYE, after 1 s to settle) each side's media
# reached the gateway (>= 25 packets) and >= 95% of it was delivered: w1's
# media to the PBX can only enter through the first packet's pinholes (the
# PBX is silent for its first 2 s, so no flow of its own lets that media back).
scn_pbx_fresh() {
  phones_up w1 || return 1
  python3 "$LAB_DIR/tools/mktone.py" "$REP_DIR/tone.wav" "${PHONE_TONE[l2]}" 2
  local mark="$REP_DIR/.mark-pbx"; touch "$mark"
  ( cd "$REP_DIR" && exec ip netns exec "$(ns l2)" sipp -timeout 40 -max_log_size 1000000 -nostdin \
      -sf "$SIPP_DIR/uac-pbx.xml" -i "${HOST_IP[l2]}" -p 5060 -m 1 \
      -mp 10000 -trace_err "$PBX_IP:5060" \
      >"$REP_DIR/sipp-pbx.out" 2>&1 ) &
  local uac=$!
  SIPP_PIDS+=("$uac")
  sleep 1; expect_sample "$REP_DIR/expect.txt" "ringing or talking"
  sleep 2; expect_sample "$REP_DIR/expect.txt" "talking"
  wait "$uac"
  local src=$? rc=0 m
  local wav; wav=$(newest_rec w1 "$mark")
  python3 "$LAB_DIR/tools/callcheck.py" --talk 4 --min-frac 0.7 \
    --meta "call=l2(sipp PBX, no REGISTER)->w1" --meta "note=sipp exit $src" \
    "w1:${PHONE_TONE[l2]}:$wav" >"$REP_DIR/heard.json" || rc=1
  sip_wait_wan out BYE || true
  m=$(python3 "$LAB_DIR/tools/mediawin.py" "$REP_DIR/lan0.pcap" "$REP_DIR/wan0.pcap" \
    --start INVITE:1 --end BYE:1 --skip 1)
  python3 - "$m" "$src" >"$REP_DIR/media.json" <<'PY' || rc=1
import json, sys
m, src = json.loads(sys.argv[1]), int(sys.argv[2])
g = m.get
ok = (src == 0 and g("from_wan", 0) >= 25 and g("from_lan", 0) >= 25
      and g("to_lan", 0) >= 0.95 * g("from_wan", 0) and g("to_wan", 0) >= 0.95 * g("from_lan", 0))
m["summary"] = (f"sipp exit {src}; over {g('seconds', 0)} s of the call: far->PBX {g('to_lan', 0)} of "
                f"{g('from_wan', 0)} packets delivered, PBX->far {g('to_wan', 0)} of {g('from_lan', 0)}")
m["two_way"] = ok
print(json.dumps(m))
sys.exit(0 if ok else 1)
PY
  return $rc
}
