#!/usr/bin/env python3
"""Print, in plain words, who heard whom in the lab's calls.

Usage: whoheard.py summary.json [SCENARIO]
"""
import json
import sys

TONES = {500: "l1 (LAN phone)", 700: "l2 (LAN phone)", 900: "w1 (WAN phone)",
         1100: "w2 (WAN phone)"}


def main():
    rows = json.load(open(sys.argv[1]))
    want = sys.argv[2] if len(sys.argv) > 2 else None
    for row in rows:
        if want and row["scenario"] != want:
            continue
        verdict = {True: "PASS", False: "FAIL", None: "n/a"}[row["pass"]]
        print(f"{row['scenario']} with ALG '{row['alg']}': {verdict}")
        for run in row["detail"]["runs"]:
            for name, ev in run["evidence"].items():
                if not isinstance(ev, dict) or "heard" not in ev:
                    continue
                print(f"  call {ev.get('call', name)}" +
                      ("" if ev.get("established", True) else f" (not established: {ev.get('note')})"))
                for phone, h in ev["heard"].items():
                    who = TONES.get(h.get("hz"), f"{h.get('hz')} Hz" if h.get("hz") else "nothing")
                    print(f"    {phone} heard {who}: expected {TONES.get(h['expected'], h['expected'])}"
                          f" for {h['s']} s = {int(100 * h['frac'])}% of {ev['talk_s']} s talk")
    return 0


if __name__ == "__main__":
    sys.exit(main())
