# The IPv6 scenarios (issue 11 item 4), run only when named (lib/scenarios.sh
# NAMED_SCENARIOS): the IPv4 scenarios' own code, run with the phones and the
# provider on IPv6 (lib/v6.sh) through the gateway's default-deny stateful
# firewall, so they are judged exactly as the IPv4 ones (audio, pinholes,
# WAN leg; media after the resume). Sourced by lib/local.sh.
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
