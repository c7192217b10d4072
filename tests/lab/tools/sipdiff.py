#!/usr/bin/env python3
"""Are two captures' SIP payloads byte-identical, message for message?

Usage: sipdiff.py REFERENCE.pcap OTHER.pcap [--meta k=v ...]
       sipdiff.py --count CAPTURE.pcap   (how many SIP messages it holds)
Compares the UDP payloads to or from port 5060 in capture order, with their
direction and ports. Prints JSON evidence; exit 0 if identical (and not empty).
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapsum  # noqa: E402


def messages(path):
    out = []
    for frame in pcapsum.packets(path):
        p = pcapsum.parse(frame)
        if p and p[0] == "udp" and 5060 in (p[2], p[4]) and p[5]:
            proto, src, sport, dst, dport, payload = p
            out.append({"flow": f"{src}:{sport}>{dst}:{dport}", "payload": payload})
    return out


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--count":   # helper for the shell
        print(len(messages(sys.argv[2])))
        return 0
    ap = argparse.ArgumentParser()
    ap.add_argument("ref")
    ap.add_argument("other")
    ap.add_argument("--meta", action="append", default=[])
    a = ap.parse_args()
    ra, rb = messages(a.ref), messages(a.other)
    ev = dict(m.split("=", 1) for m in a.meta)
    ev.update({"reference_msgs": len(ra), "alg_msgs": len(rb)})
    diff = None
    for i, (x, y) in enumerate(zip(ra, rb)):
        if x != y:
            xl = x["payload"].split(b"\r\n")
            yl = y["payload"].split(b"\r\n")
            line = next((j for j, (u, v) in enumerate(zip(xl, yl)) if u != v), min(len(xl), len(yl)))
            diff = {"msg": i, "flow_ref": x["flow"], "flow_alg": y["flow"],
                    "line_ref": xl[line].decode(errors="replace") if line < len(xl) else "<end>",
                    "line_alg": yl[line].decode(errors="replace") if line < len(yl) else "<end>"}
            break
    if diff is None and len(ra) != len(rb):
        diff = {"msg": min(len(ra), len(rb)), "note": "different number of messages"}
    same = diff is None and len(ra) > 0
    ev["identical"] = same
    if diff:
        ev["first_difference"] = diff
    ev["summary"] = (f"{len(ra)} reference vs {len(rb)} messages on the WAN leg: "
                     + ("byte-identical" if same else f"DIFFER {json.dumps(diff)}"))
    print(json.dumps(ev))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
