# The scenario catalogue: names, in run order, and how many repetitions each
# gets. Each NAME is implemented by scn_NAME (dashes -> underscores) in
# scenarios/*.sh; it returns 0 pass, 1 fail, 2 not applicable to this ALG, and
# leaves its evidence as *.json files in $REP_DIR.
# shellcheck shell=bash
SCENARIOS=(
  call-out          # LAN phone registers through the NAT, calls a WAN phone
  call-in           # WAN phone calls the registered LAN phone
  same-port         # two LAN phones on local port 5060, each called from the WAN
  hairpin           # LAN phone calls LAN phone through the WAN registrar
  hold-sendonly     # re-INVITE a=sendonly, then resume
  hold-zero         # re-INVITE c=0.0.0.0 (sipp on the WAN), then resume
  hold-zero-port    # c=0.0.0.0 hold (sipp in l2), resume on another port
  update-sdp        # mid-call UPDATE with SDP from the LAN moves its port (sipp)
  update-sdp-wan    # mid-call UPDATE from the WAN; the LAN answers on a new port (sipp)
  transfer          # blind transfer (REFER) of the LAN phone to a third phone
  attended-transfer # the LAN phone holds w1, consults w2, REFERs w1 with Replaces (sipp)
  park-retrieve     # the LAN phone parks w1 at a sipp orbit; the orbit hands it to l2
  long-call         # call >> UDP timeout, then incoming call after a REGISTER refresh
  call-after-timeout # incoming call after the idle SIP flow's UDP timeout, no refresh
  overlap-ports     # two LAN phones, same RTP port, concurrent calls via one proxy
  no-record-route   # proxy without Record-Route: ACK/BYE go straight to the phones
  trunk             # many concurrent calls on one signalling flow (sipp)
  pbx-fresh         # inside PBX, no REGISTER, calls out on a fresh flow: two-way media (sipp)
  tcp               # SIP over TCP
  tcp-big-invite    # SIP over TCP, an INVITE larger than the MSS (many codecs)
  switches-off      # sipalgd with every switch off == no ALG, byte for byte (sipp)
  kill-restart      # sipalgd killed mid-call: audio goes on; restarted: new call works
  restart-then-bye  # sipalgd killed mid-call, restarted on its state file: the BYE removes the call's pinholes at once
  restart-then-hold # the same, then hold/resume: the same public m= port, audio returns
  reload-live       # SIGHUP changing unrelated keys mid-call: audio goes on, BYE still ends the dialog
  reload-off-on     # SIGHUP enabled=no mid-call: dialog and pinholes gone at once; on again: new call helped
  wan-address-change # the WAN address moves under a call: flushed, re-registered via the new one, called again
  failover          # gateway pair (keepalived + conntrackd): the active one dies mid-call, the backup carries on
  # IPv6 (lib/v6.sh, scenarios/v6.sh): the phones and the provider on IPv6 through the
  # gateway's default-deny stateful firewall; routed unless the name says nat66
  call-out-v6       # IPv6: l1 registers over IPv6, calls w1 through the stateful firewall
  call-in-v6        # IPv6: w1 calls the registered l1; new inbound flows are dropped
  hold-v6           # IPv6: l1 holds (a=sendonly) and resumes
  announce-v6       # IPv6: w1 (sipp) streams a=sendonly to l1, which never sends: only a pinhole lets it in
  call-out-nat66    # IPv6 with NAT66 (masquerade to 2001:db8:113::1): call-out-v6 rewritten as IPv4 is
  announce-nat66    # IPv6 with NAT66: announce-v6 through a NATed pinhole
)

# Run only when named (tests/lab/run.sh ... NAME): none at present.
NAMED_SCENARIOS=(
)

scenario_known() {
  local s
  for s in "${SCENARIOS[@]}" "${NAMED_SCENARIOS[@]}"; do [[ $s == "$1" ]] && return 0; done
  return 1
}

# The long and the deterministic cases get at most 2 repetitions: their
# evidence does not depend on a race, and they are the slow ones.
scenario_reps() {
  case $1 in
    long-call|switches-off) echo $(($2 < 2 ? $2 : 2)) ;;
    *) echo "$2" ;;
  esac
}
