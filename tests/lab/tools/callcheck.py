#!/usr/bin/env python3
"""Judge one call from what each phone recorded.

Usage: callcheck.py --talk S [--min-frac 0.6] [--meta k=v ...]
                    NAME:EXPECTED_HZ:WAV_OR_- ...
Two-way audio = every listed phone heard its expected talker's tone (the
dominant frequency of its recording) for at least --min-frac of the talk time.
Prints the evidence as JSON; exit 0 if two-way, 1 if not.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tone  # noqa: E402

CANDIDATES = [500.0, 700.0, 900.0, 1100.0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--talk", type=float, required=True)
    ap.add_argument("--min-frac", type=float, default=0.6)
    ap.add_argument("--meta", action="append", default=[])
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
        name, hz, wav = spec.split(":", 2)
        hz = int(hz)
        if wav == "-" or not os.path.exists(wav):
            ev["heard"][name] = {"hz": None, "expected": hz, "s": 0.0, "frac": 0.0,
                                 "note": "no recording"}
            ok = False
            continue
        r = tone.analyse(wav, CANDIDATES, 0.5)
        got = r["by_hz"].get(str(float(hz)), 0.0)
        frac = got / a.talk if a.talk > 0 else 0.0
        ev["heard"][name] = {"hz": int(r["dominant_hz"]) if r["dominant_hz"] else None,
                             "expected": hz, "s": round(got, 2), "frac": round(min(frac, 1.0), 2),
                             "recorded_s": r["seconds"]}
        if frac < a.min_frac:
            ok = False
    ev["two_way"] = ok
    print(json.dumps(ev))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
