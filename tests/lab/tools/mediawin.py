#!/usr/bin/env python3
"""Media packets delivered to each side in a time window between two SIP events.

Usage: mediawin.py LAN.pcap WAN.pcap --start METHOD:N --end METHOD:N [--skip S] [--tail T]
The window runs from the N-th SIP request METHOD leaving on the WAN leg (+skip
seconds, to let the media settle) to the N-th METHOD of --end. Counts non-SIP
UDP packets the gateway delivered to the LAN (LAN leg, inbound) and to the WAN
(WAN leg, outbound), and the rate per second; also what reached the gateway to
be forwarded (from_wan: WAN leg inbound, from_lan: LAN leg outbound), so a
phone that is slow to restart its media is told apart from a gateway that
loses it, and the rates over the window's last T seconds (tail_*: is media
flowing at full rate by the end?). Used where recordings cannot tell
(baresip's sndfile stops recording at the first re-INVITE).
"""
import argparse
import json
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapsum  # noqa: E402


def timed(path):
    """(ts, parsed) for every packet of a classic pcap."""
    for ts, data in pcapsum.records(path):
        p = pcapsum.parse(data)
        if p:
            yield ts, p


def sip_time(wan, spec):
    method, n = spec.split(":")
    seen = 0
    for ts, p in timed(wan):
        if 5060 in (p[2], p[4]) and pcapsum.outward("wan", p[1]) and \
                p[5].startswith(method.encode() + b" "):
            seen += 1
            if seen == int(n):
                return ts
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lan")
    ap.add_argument("wan")
    ap.add_argument("--start", required=True)
    ap.add_argument("--end", required=True)
    ap.add_argument("--skip", type=float, default=1.0)
    ap.add_argument("--tail", type=float, default=2.0)
    a = ap.parse_args()
    t0, t1 = sip_time(a.wan, a.start), sip_time(a.wan, a.end)
    res = {"window": f"{a.start}+{a.skip}s .. {a.end}"}
    if t0 is None or t1 is None or t1 - t0 - a.skip <= 0.5:
        res.update({"error": "SIP events not found", "seconds": 0, "to_lan_pps": 0, "to_wan_pps": 0})
        print(json.dumps(res))
        return 1
    t0 += a.skip
    tail0 = max(t0, t1 - a.tail)

    def media(path, leg, out, since):
        return sum(1 for ts, p in timed(path)
                   if since <= ts <= t1 and p[0] == "udp" and 5060 not in (p[2], p[4])
                   and pcapsum.outward(leg, p[1]) == out)
    to_lan, to_wan = media(a.lan, "lan", False, t0), media(a.wan, "wan", True, t0)
    secs, tsecs = t1 - t0, t1 - tail0
    res.update({"seconds": round(secs, 2), "to_lan": to_lan, "to_wan": to_wan,
                "from_wan": media(a.wan, "wan", False, t0), "from_lan": media(a.lan, "lan", True, t0),
                "to_lan_pps": round(to_lan / secs, 1), "to_wan_pps": round(to_wan / secs, 1),
                "tail_s": round(tsecs, 2),
                "tail_to_lan_pps": round(media(a.lan, "lan", False, tail0) / tsecs, 1),
                "tail_to_wan_pps": round(media(a.wan, "wan", True, tail0) / tsecs, 1)})
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
