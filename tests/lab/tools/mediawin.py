#!/usr/bin/env python3
"""Media packets delivered to each side in a time window between two SIP events.

Usage: mediawin.py LAN.pcap WAN.pcap --start METHOD:N --end METHOD:N [--skip S]
The window runs from the N-th SIP request METHOD leaving on the WAN leg (+skip
seconds, to let the media settle) to the N-th METHOD of --end. Counts non-SIP
UDP packets the gateway delivered to the LAN (LAN leg, inbound) and to the WAN
(WAN leg, outbound), and the rate per second. Used where recordings cannot
tell (baresip's sndfile stops recording at the first re-INVITE).
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
    a = ap.parse_args()
    t0, t1 = sip_time(a.wan, a.start), sip_time(a.wan, a.end)
    res = {"window": f"{a.start}+{a.skip}s .. {a.end}"}
    if t0 is None or t1 is None or t1 - t0 - a.skip <= 0.5:
        res.update({"error": "SIP events not found", "seconds": 0, "to_lan_pps": 0, "to_wan_pps": 0})
        print(json.dumps(res))
        return 1
    t0 += a.skip
    to_lan = sum(1 for ts, p in timed(a.lan)
                 if t0 <= ts <= t1 and p[0] == "udp" and 5060 not in (p[2], p[4])
                 and not pcapsum.outward("lan", p[1]))
    to_wan = sum(1 for ts, p in timed(a.wan)
                 if t0 <= ts <= t1 and p[0] == "udp" and 5060 not in (p[2], p[4])
                 and pcapsum.outward("wan", p[1]))
    secs = t1 - t0
    res.update({"seconds": round(secs, 2), "to_lan": to_lan, "to_wan": to_wan,
                "to_lan_pps": round(to_lan / secs, 1), "to_wan_pps": round(to_wan / secs, 1)})
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
