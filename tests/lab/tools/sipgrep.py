#!/usr/bin/env python3
"""Count SIP messages on one gateway leg that contain a byte string.

Usage: sipgrep.py CAPTURE.pcap out|in STRING [--side wan|lan]
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapsum  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pcap")
    ap.add_argument("dir", choices=["out", "in"])
    ap.add_argument("needle")
    ap.add_argument("--side", default="wan")
    a = ap.parse_args()
    n = 0
    for frame in pcapsum.packets(a.pcap):
        p = pcapsum.parse(frame)
        if not p or 5060 not in (p[2], p[4]):
            continue
        d = "out" if pcapsum.outward(a.side, p[1]) else "in"
        if d == a.dir and a.needle.encode() in p[5]:
            n += 1
    print(n)


if __name__ == "__main__":
    main()
