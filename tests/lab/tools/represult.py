#!/usr/bin/env python3
"""One repetition's result line: the scenario's verdict plus its evidence.

Collects from the repetition directory: every *.json a scenario wrote (calls,
checks), the capture summary of both gateway legs (pcapsum), the sampled
`conntrack -L expect` lines and any notes.  Prints one JSON line.
"""
import argparse
import glob
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapsum  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rep-dir", required=True)
    ap.add_argument("--scenario", required=True)
    ap.add_argument("--alg", required=True)
    ap.add_argument("--rep", type=int, required=True)
    ap.add_argument("--rc", type=int, required=True)
    ap.add_argument("--place", required=True)
    ap.add_argument("--seconds", type=float, default=0)
    ap.add_argument("--pbx", default="plain", help="the provider profile (run.sh --pbx)")
    a = ap.parse_args()
    d = a.rep_dir
    ev = {}
    for path in sorted(glob.glob(os.path.join(d, "*.json"))):
        key = os.path.basename(path)[:-5]
        try:
            with open(path) as f:
                ev[key] = json.load(f)
        except (OSError, ValueError) as e:
            ev[key] = {"unreadable": str(e)}
    lan, wan = os.path.join(d, "lan0.pcap"), os.path.join(d, "wan0.pcap")
    if os.path.exists(lan) or os.path.exists(wan):
        ev["gateway"] = {"lan": pcapsum.summarise(lan, "lan", 5060),
                         "wan": pcapsum.summarise(wan, "wan", 5060)}
    exp = os.path.join(d, "expect.txt")
    if os.path.exists(exp):
        with open(exp) as f:
            lines = [ln.rstrip() for ln in f if ln.strip()]
        ev["expectations"] = lines[:40]
    notes = os.path.join(d, "notes.txt")
    if os.path.exists(notes):
        with open(notes) as f:
            ev["notes"] = f.read().strip().splitlines()[:20]
    verdict = {0: True, 2: None}.get(a.rc, False)
    print(json.dumps({"scenario": a.scenario, "alg": a.alg, "pbx": a.pbx, "place": a.place, "rep": a.rep,
                      "pass": verdict, "seconds": a.seconds, "evidence": ev}))


if __name__ == "__main__":
    main()
