#!/usr/bin/env python3
"""Judge a call whose LAN-side media port moved mid-call (an UPDATE, or a
re-INVITE resuming a c=0.0.0.0 hold on another port), from the gateway's two
captures and its expectation events.

Usage: portmove.py LAN.pcap WAN.pcap --inside IP --ports OLD,NEW
                   --events EXPECT-EVENTS.txt --alg none|kernel|sipalgd [--hold]
                   [--skip S] [--min N]

The SDPs the gateway sent out on the WAN leg name the LAN phone's public
ports: the first one's m= port is the stream's public port, the last one's
(the move) the new public port Q. Pass when
1. media flowed both ways on the new port after the move: from the last SDP
   on the WAN leg (+skip s) to the first BYE, the phone sent >= N packets from
   IP:NEW and the gateway sent >= 95% as many out from public:Q; the far side
   sent >= N to public:Q and >= 95% as many reached IP:NEW;
2. the new public port got pinholes: an expectation NEW event for
   dst=203.0.113.1 dport=Q (any helper; with no ALG there is none);
3. the WAN leg never shows the inside port or address: no SDP the gateway
   sent names OLD or NEW as an m= or a=rtcp port (the phone's ports lie
   outside the gateway's pool, so a match is the phone's own port), and no
   Via/Contact/c=/o=/a=rtcp line names 192.168.x;
4. --hold: an SDP holding with c=0.0.0.0 went out, its m= port the stream's
   public port (the first SDP's), not the phone's.
Prints JSON {"summary", "pass", ...}; exit 1 when it fails (every ALG is
judged: none and kernel are measured by the same rule).
"""
import argparse
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapsum  # noqa: E402

GW = pcapsum.GW_WAN
M_AUDIO = re.compile(rb"^m=audio (\d+)", re.M)
A_RTCP = re.compile(rb"^a=rtcp:(\d+)", re.M)
HOLD0 = re.compile(rb"^c=IN IP4 0\.0\.0\.0", re.M)
ADDR_LINE = re.compile(rb"^(?:via|v|contact|m)\s*:.*|^[co]=.*|^a=rtcp:.*", re.I | re.M)
START = re.compile(rb"^(?:SIP/2\.0 (\d{3})|([A-Z]+) \S+ SIP/2\.0)")


def sip(path):
    """(ts, src, dst, payload) of every UDP SIP datagram"""
    for ts, fr in pcapsum.records(path):
        p = pcapsum.parse(fr)
        if p and p[0] == "udp" and 5060 in (p[2], p[4]) and START.match(p[5]):
            yield ts, p[1], p[3], p[5]


def first_line(payload):
    return payload.split(b"\r\n", 1)[0].decode("latin-1")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lan")
    ap.add_argument("wan")
    ap.add_argument("--inside", required=True)
    ap.add_argument("--ports", required=True)
    ap.add_argument("--events", required=True)
    ap.add_argument("--alg", required=True)
    ap.add_argument("--hold", action="store_true")
    ap.add_argument("--skip", type=float, default=1.0)
    ap.add_argument("--min", type=int, default=25)
    a = ap.parse_args()
    old, new = (int(x) for x in a.ports.split(","))
    res, why = {"alg": a.alg, "inside_ports": [old, new]}, []

    wan = list(sip(a.wan))
    sdp_out = [(ts, pl) for ts, s, _, pl in wan if s == GW and M_AUDIO.search(pl)]
    sdps = [ts for ts, _, _, pl in wan if M_AUDIO.search(pl)]
    byes = [ts for ts, _, _, pl in wan if pl.startswith(b"BYE ")]
    res["wan_sdp_out"] = [f"{first_line(pl)} m={M_AUDIO.search(pl).group(1).decode()}"
                          + (" c=0.0.0.0" if HOLD0.search(pl) else "") for _, pl in sdp_out]
    if not sdp_out or not byes:
        res.update({"pass": False, "summary": "no SDP left on the WAN leg, or no BYE crossed"})
        print(json.dumps(res))
        return 1
    first_pub = int(M_AUDIO.search(sdp_out[0][1]).group(1))
    q = int(M_AUDIO.search(sdp_out[-1][1]).group(1))
    res.update(first_public=first_pub, new_public=q)

    # 3. leaks on the WAN leg
    port_leaks, addr_leaks = [], []
    for _, pl in sdp_out:
        for rx in (M_AUDIO, A_RTCP):
            for m in rx.finditer(pl):
                if int(m.group(1)) in (old, new, old + 1, new + 1):
                    port_leaks.append(f"{first_line(pl)}: {m.group(0).decode()}")
    for _, _, _, pl in wan:
        for m in ADDR_LINE.finditer(pl):
            if b"192.168." in m.group(0):
                addr_leaks.append(f"{first_line(pl)}: {m.group(0).decode('latin-1').strip()}")
    res.update(inside_port_on_wan=port_leaks[:6], private_addr_on_wan=addr_leaks[:6])
    if port_leaks:
        why.append(f"the WAN leg shows the inside port ({port_leaks[0]})")
    if addr_leaks:
        why.append(f"the WAN leg names a private address ({addr_leaks[0]})")

    # 4. the hold
    if a.hold:
        held = [pl for _, pl in sdp_out if HOLD0.search(pl)]
        hp = int(M_AUDIO.search(held[0]).group(1)) if held else None
        res["hold_public_port"] = hp
        if hp is None:
            why.append("no c=0.0.0.0 hold left on the WAN leg")
        elif hp != first_pub:
            why.append(f"the hold announced m={hp}, not the stream's public port {first_pub}")

    # 1. media on the new port after the move
    t0, t1 = max(sdps) + a.skip, min(b for b in byes if b > max(sdps)) if any(
        b > max(sdps) for b in byes) else None
    if t1 is None or t1 - t0 < 1:
        why.append("no time between the move and the BYE")
        t1 = t0
    cnt = {"from_lan": 0, "to_wan": 0, "from_wan": 0, "to_lan": 0}
    for ts, fr in pcapsum.records(a.lan):
        p = pcapsum.parse(fr)
        if not p or p[0] != "udp" or not t0 <= ts <= t1 or 5060 in (p[2], p[4]):
            continue
        if p[1] == a.inside and p[2] == new:
            cnt["from_lan"] += 1
        if p[3] == a.inside and p[4] == new:
            cnt["to_lan"] += 1
    for ts, fr in pcapsum.records(a.wan):
        p = pcapsum.parse(fr)
        if not p or p[0] != "udp" or not t0 <= ts <= t1 or 5060 in (p[2], p[4]):
            continue
        if p[1] == GW and p[2] == q:
            cnt["to_wan"] += 1
        if p[3] == GW and p[4] == q:
            cnt["from_wan"] += 1
    res.update(cnt, window_s=round(t1 - t0, 2))
    if cnt["from_lan"] < a.min or cnt["to_wan"] < 0.95 * max(cnt["from_lan"], a.min):
        why.append(f"LAN->far on the new port: {cnt['to_wan']} of {cnt['from_lan']} "
                   f"left from public {q}")
    if cnt["from_wan"] < a.min or cnt["to_lan"] < 0.95 * max(cnt["from_wan"], a.min):
        why.append(f"far->LAN on the new port: {cnt['to_lan']} of {cnt['from_wan']} "
                   f"sent to public {q} reached {a.inside}:{new}")

    # 2. pinholes for the new public port
    holes = []
    try:
        for ln in open(a.events, encoding="utf-8", errors="replace"):
            if "[NEW]" not in ln:
                continue
            kv = {}
            for tok in ln.split():
                if "=" in tok:
                    k, v = tok.split("=", 1)
                    kv.setdefault(k, v)
            if kv.get("dst") == GW and kv.get("dport") in (str(q), str(q + 1)):
                holes.append(f"dport={kv['dport']} helper={kv.get('helper', '?')}")
    except OSError:
        pass
    res["new_port_pinholes"] = holes
    if not any(h.startswith(f"dport={q} ") for h in holes):
        why.append(f"no pinhole created for the new public port {q}")

    ok = not why
    res["pass"] = ok
    res["summary"] = (f"public port {first_pub} -> {q} (inside {old} -> {new}); after the move "
                      f"over {res['window_s']} s: LAN->far {cnt['to_wan']}/{cnt['from_lan']}, "
                      f"far->LAN {cnt['to_lan']}/{cnt['from_wan']}; pinholes {q}: {len(holes)}"
                      + ("" if ok else "; FAIL: " + "; ".join(why)))
    print(json.dumps(res))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
