#!/usr/bin/env python3
"""How long the LAN phone's SIP flow was idle before an incoming call, from
the gateway's WAN capture: did the call really come after the UDP timeout?

Usage: idlegap.py WAN.pcap --pbx IP --dial EPOCH --timeout S [--ctflow FILE]

The flow is every UDP 5060 datagram between the gateway's public address and
the registrar. Idle gap = the dial time (or the first INVITE the registrar
sent to the gateway, if earlier: it is the call) minus the last datagram of
the flow before it. Also reports the REGISTERs sent, the expiry the
registrar granted (the last 200 OK to REGISTER: Contact expires=, else
Expires:), and whether the call's INVITE reached the gateway at all.
--ctflow: a `conntrack -L` listing of the flow taken just before the dial
(its remaining timeout shows who kept it). Prints JSON; exit 1 when the gap
is shorter than --timeout + 1 s (the run proved nothing) or no REGISTER was
answered 2xx.
"""
import argparse
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapsum  # noqa: E402

EXP = re.compile(rb"expires=(\d+)", re.I)
EXP_HDR = re.compile(rb"^Expires:\s*(\d+)", re.I | re.M)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("wan")
    ap.add_argument("--pbx", required=True)
    ap.add_argument("--dial", type=float, required=True)
    ap.add_argument("--timeout", type=float, required=True)
    ap.add_argument("--ctflow")
    a = ap.parse_args()
    gw = pcapsum.GW_WAN
    flow, registers, granted, invite_in = [], 0, None, None
    for ts, fr in pcapsum.records(a.wan):
        p = pcapsum.parse(fr)
        if not p or p[0] != "udp" or 5060 not in (p[2], p[4]):
            continue
        if {p[1], p[3]} != {gw, a.pbx}:
            continue
        pl = p[5]
        if p[1] == gw and pl.startswith(b"REGISTER "):
            registers += 1
        if p[3] == gw and pl.startswith(b"SIP/2.0 2") and re.search(rb"^CSeq:\s*\d+\s+REGISTER", pl, re.I | re.M):
            m = EXP.search(pl) or EXP_HDR.search(pl)
            granted = int(m.group(1)) if m else granted
        if p[3] == gw and pl.startswith(b"INVITE ") and ts >= a.dial - 0.5 and invite_in is None:
            invite_in = ts
        flow.append(ts)
    call_t = min(a.dial, invite_in) if invite_in else a.dial
    before = [t for t in flow if t < call_t - 0.001]
    gap = round(call_t - before[-1], 2) if before else None
    ct = ""
    if a.ctflow:
        try:
            ct = " | ".join(ln.strip() for ln in open(a.ctflow) if "dport=5060" in ln)[:600]
        except OSError:
            pass
    ok = gap is not None and gap >= a.timeout + 1 and granted is not None and granted > 0
    res = {"idle_gap_s": gap, "udp_stream_timeout_s": a.timeout, "registers_sent": registers,
           "expires_granted": granted, "invite_reached_gateway": invite_in is not None,
           "sip_flow_before_call": ct, "gap_ok": ok}
    res["summary"] = (f"SIP flow idle {gap} s before the call (stream timeout {a.timeout:g} s); "
                      f"REGISTERs sent {registers}, expires granted {granted}; the call's INVITE "
                      f"{'reached' if invite_in else 'never reached'} the gateway"
                      + ("" if ok else " - the run proved nothing (gap too short or no registration)"))
    print(json.dumps(res))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
