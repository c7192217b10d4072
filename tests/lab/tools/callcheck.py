#!/usr/bin/env python3
"""Judge one call from what each phone recorded.

Usage: callcheck.py --talk S [--min-frac 0.6] [--meta k=v ...]
                    [--start T0 --lan-pcap P --wan-pcap P]
                    NAME:EXPECTED_HZ:WAV_OR_-[:TALKER_IP[,IP...]] ...
Two-way audio = every listed phone heard its expected talker's tone (the
dominant frequency of its recording) for at least --min-frac of the talk time.

With --start and the gateway's captures, "talk time" is what the talker's
RTP that reached the gateway (its own leg, src = TALKER_IP, T0..T0+S) could
carry, when that is shorter than the wall-clock window: a guest stalled by
its host for N seconds sends N seconds less audio, and that must not be
blamed on the gateway. A gateway that loses media is still caught: the
talker's packets are captured as they reach the gateway, before netfilter.
A talker that sent under a quarter of the window is not trusted as the
measure (the wall clock is used). More than one TALKER_IP: the talker's
media may reach the gateway from any of them (a WAN phone's through the
provider's media relay, lib/rtpengine.sh); the first names the leg.
Prints the evidence as JSON; exit 0 if two-way, 1 if not.
"""
import argparse
import json
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapsum  # noqa: E402
import tone  # noqa: E402

CANDIDATES = [500.0, 700.0, 900.0, 1100.0]
G711_RATE = 8000   # the lab's phones speak G.711 only


def sent_seconds(pcap, talkers, t0, t1):
    """Seconds of audio in the talker's RTP captured on its leg in [t0, t1]:
    packets x ptime, ptime from the median RTP timestamp step (RTCP, whose
    second byte is 200-204, is not audio)."""
    n, steps, last = 0, [], {}
    for ts, data in pcapsum.records(pcap):
        if ts < t0 or ts > t1:
            continue
        p = pcapsum.parse(data)
        if not p or p[0] != "udp" or p[1] not in talkers or 5060 in (p[2], p[4]):
            continue
        rtp = p[5]
        if len(rtp) < 12 or rtp[0] >> 6 != 2 or 200 <= rtp[1] <= 204:
            continue
        n += 1
        ssrc, stamp = rtp[8:12], struct.unpack("!I", rtp[4:8])[0]
        if ssrc in last:
            step = (stamp - last[ssrc]) & 0xFFFFFFFF
            if 0 < step <= G711_RATE:
                steps.append(step)
        last[ssrc] = stamp
    ptime = sorted(steps)[len(steps) // 2] / G711_RATE if steps else 0.02
    return n * ptime


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--talk", type=float, required=True)
    ap.add_argument("--min-frac", type=float, default=0.6)
    ap.add_argument("--meta", action="append", default=[])
    ap.add_argument("--start", type=float, help="the call's start (epoch s): window T0..T0+talk")
    ap.add_argument("--lan-pcap")
    ap.add_argument("--wan-pcap")
    ap.add_argument("phones", nargs="+")
    a = ap.parse_args()
    ev = {"talk_s": round(a.talk, 2), "heard": {}}
    for m in a.meta:
        k, v = m.split("=", 1)
        try:
            ev[k] = json.loads(v)
        except ValueError:
            ev[k] = v
    ok = a.talk > 0
    for spec in a.phones:
        name, hz, wav, talker = (spec.split(":", 3) + [""])[:4]
        hz = int(hz)
        talk = a.talk
        sent = None
        if a.start is not None and talker and a.talk > 0:
            t0, t1 = a.start, a.start + a.talk
            # a LAN talker (192.168.x, or the IPv6 lab's LAN prefix) on the LAN leg
            pcap = a.lan_pcap if pcapsum.is_lan(talker.split(",")[0]) else a.wan_pcap
            if pcap and os.path.exists(pcap):
                sent = round(sent_seconds(pcap, [pcapsum.norm(t) for t in talker.split(",")], t0, t1), 2)
                if 0.25 * a.talk <= sent < a.talk:
                    talk = sent
        if wav == "-" or not os.path.exists(wav):
            ev["heard"][name] = {"hz": None, "expected": hz, "s": 0.0, "frac": 0.0,
                                 "note": "no recording"}
            ok = False
            continue
        r = tone.analyse(wav, CANDIDATES, 0.5)
        got = r["by_hz"].get(str(float(hz)), 0.0)
        frac = got / talk if talk > 0 else 0.0
        ev["heard"][name] = {"hz": int(r["dominant_hz"]) if r["dominant_hz"] else None,
                             "expected": hz, "s": round(got, 2), "frac": round(min(frac, 1.0), 2),
                             "recorded_s": r["seconds"]}
        if sent is not None:
            ev["heard"][name]["talker_sent_s"] = sent
            ev["heard"][name]["judged_against_s"] = round(talk, 2)
        if frac < a.min_frac:
            ok = False
    ev["two_way"] = ok
    print(json.dumps(ev))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
