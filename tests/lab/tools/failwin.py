#!/usr/bin/env python3
"""Media through the new active gateway after a failover.

Usage: failwin.py LAN.pcap WAN.pcap --fail T --end T [--min N] [--min-frac F]
LAN/WAN.pcap are the captures of the backup gateway's legs; --fail is when the
active gateway died (epoch s), --end the hangup. Counts the non-SIP UDP
packets in (fail, end]: from_lan (the LAN phone's media reaching the new
gateway), to_wan (forwarded from the shared public address), from_wan and
to_lan, and how long after --fail the first packet went each way (the media
outage of the failover). Pass when each way >= --min packets reached the
gateway and >= --min-frac of those that reached it from its first forwarded
packet on were forwarded (frames its capture saw before it held the
addresses - flooded towards the dead gateway - are the outage, measured
apart, not packets it dropped).
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapsum  # noqa: E402


def media(path, leg, t0, t1):
    """(outward count, inward count, first outward ts, first inward ts)"""
    n = {True: 0, False: 0}
    first = {True: None, False: None}
    if not os.path.exists(path):
        return n, first
    for ts, data in pcapsum.records(path):
        if ts <= t0 or ts > t1:
            continue
        p = pcapsum.parse(data)
        if not p or p[0] != "udp" or 5060 in (p[2], p[4]):
            continue
        out = pcapsum.outward(leg, p[1])
        n[out] += 1
        if first[out] is None:
            first[out] = ts
    return n, first


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lan")
    ap.add_argument("wan")
    ap.add_argument("--fail", type=float, required=True)
    ap.add_argument("--end", type=float, required=True)
    ap.add_argument("--min", type=int, default=25)
    ap.add_argument("--min-frac", type=float, default=0.95)
    a = ap.parse_args()
    ln, lf = media(a.lan, "lan", a.fail, a.end)
    wn, wf = media(a.wan, "wan", a.fail, a.end)
    res = {"window_s": round(a.end - a.fail, 2),
           "from_lan": ln[True], "to_wan": wn[True], "from_wan": wn[False], "to_lan": ln[False]}

    def gap(ts):
        return None if ts is None else round(ts - a.fail, 2)
    # outage: from the failure to the first packet the new gateway forwarded
    res["outage_s"] = {"lan_to_wan": gap(wf[True]), "wan_to_lan": gap(lf[False])}
    # what reached it once it forwarded: the fraction's base
    ln2, _ = media(a.lan, "lan", wf[True] - 1e-6, a.end) if wf[True] else (ln, lf)
    wn2, _ = media(a.wan, "wan", lf[False] - 1e-6, a.end) if lf[False] else (wn, wf)
    res["from_lan_after_takeover"] = ln2[True]
    res["from_wan_after_takeover"] = wn2[False]
    ok = True
    for src, base, dst in (("from_lan", "from_lan_after_takeover", "to_wan"),
                           ("from_wan", "from_wan_after_takeover", "to_lan")):
        if res[src] < a.min or res[dst] < a.min_frac * res[base]:
            ok = False
    res["pass"] = ok
    print(json.dumps(res))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
