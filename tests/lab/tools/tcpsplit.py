#!/usr/bin/env python3
"""Did the LAN phone's INVITE over TCP really span several segments?

Usage: tcpsplit.py LAN.pcap WAN.pcap [--method INVITE] [--min-segments 2]

A "message larger than the MSS" scenario proves nothing if the message left
in one segment (a bigger MSS, GSO/GRO merging, fewer codecs than meant). From
each gateway leg's capture it takes the first such request sent from the LAN
side over TCP, reassembled (tcpstream.py), and reports its size, how many
segments carried it, their sizes and where each cut fell (the text either
side of it: a cut inside a Via or a c= line is the case a helper without
reassembly gets wrong), and every message of either direction that spanned
several segments (an answer's SDP may too). Prints JSON {"summary", "pass",
"lan", "wan"}; pass (exit 0) when the LAN leg's copy spanned at least --min-segments segments,
whatever the ALG: the WAN leg's copy is reported, not judged.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapsum  # noqa: E402
import tcpstream  # noqa: E402


def scan(pcap, side, method):
    """-> (message, [(offset, len)...]) of the first METHOD sent from the LAN
    side (or None, None), every message of either direction that spanned
    several segments ("out INVITE 2"), and the TCP frames the capture cut short"""
    r = tcpstream.Reassembler()
    first, split = (None, None), []
    for frame in pcapsum.packets(pcap):
        for src, _, _, _, msg, segs in r.feed(frame):
            out = pcapsum.outward(side, src)
            if out and first[0] is None and msg.startswith(method.encode() + b" "):
                first = msg, segs
            if len(segs) > 1:
                line = msg.split(b"\r\n", 1)[0].decode(errors="replace")
                name = line.split()[1] if line.startswith("SIP/2.0") else line.split()[0]
                split.append(f"{'out' if out else 'in'} {name} {len(segs)}")
    return (*first, split, r.truncated)


def cut_text(msg, at, width=14):
    """the text either side of a cut, the cut shown as |"""
    def show(b):
        return b.decode(errors="replace").replace("\r\n", "\\n")
    return f"{at}: ...{show(msg[max(0, at - width):at])}|{show(msg[at:at + width])}..."


def leg(pcap, side, method):
    msg, segs, split, truncated = scan(pcap, side, method)
    if msg is None:
        return {"found": False, "segments": 0, "truncated_frames": truncated, "split": split}
    body = msg.find(b"\r\n\r\n") + 4
    cuts = [o for o, _ in segs if 0 < o < len(msg)]
    return {"found": True, "bytes": len(msg), "sdp_bytes": len(msg) - body,
            "segments": len(segs), "sizes": [ln for _, ln in segs],
            "starts_at_segment": bool(segs) and segs[0][0] == 0,
            "cuts": [cut_text(msg, c) for c in cuts], "truncated_frames": truncated, "split": split}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lan")
    ap.add_argument("wan")
    ap.add_argument("--method", default="INVITE")
    ap.add_argument("--min-segments", type=int, default=2)
    a = ap.parse_args()
    lan, wan = leg(a.lan, "lan", a.method), leg(a.wan, "wan", a.method)
    ok = lan["segments"] >= a.min_segments

    def say(name, x):
        if not x["found"]:
            cut = x["truncated_frames"]
            return f"{name} leg: no {a.method} over TCP" + (
                f" ({cut} TCP frames cut by the snap length: GSO packets?)" if cut else "")
        return (f"{name} leg: {a.method} of {x['bytes']} bytes (SDP {x['sdp_bytes']}) in "
                f"{x['segments']} segments ({'+'.join(map(str, x['sizes']))}); split messages "
                f"there: {', '.join(x['split']) or 'none'}")
    summary = (f"{'PASS' if ok else 'FAIL (the ' + a.method + ' did not span '}"
               f"{'' if ok else str(a.min_segments) + '+ segments on the LAN leg: the scenario proves nothing)'}"
               f"; {say('LAN', lan)}; {say('WAN', wan)}")
    if lan.get("cuts"):
        summary += f"; LAN cuts at {' ; '.join(lan['cuts'])}"
    print(json.dumps({"summary": summary, "pass": ok, "lan": lan, "wan": wan}))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
