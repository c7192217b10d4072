#!/usr/bin/env python3
"""Judge the trunk scenario: inbound RTP pinholes vs live calls over time.

Usage: trunkjudge.py SAMPLES EVENTS SIPP_EXIT --expect-events FILE --public ADDR
EVENTS: lines "t INVITE|BYE" - the requests the gateway sent on the WAN leg.
--expect-events: `conntrack -E expect -o timestamp` of the gateway. Replaying
its NEW/DESTROY lines gives the inbound RTP pinholes (to ADDR, even port) at
any instant. Every stretch between two events once all calls are up (4, 3,
2, 1, 0 live calls) is judged at its middle, far from the BYEs that bound
it: the pinholes then must be exactly one per live call.
SAMPLES: lines "t_before t_after n" - n inbound RTP pinholes seen by one
`conntrack -L expect` taken between t_before and t_after: a second witness,
judged where taken clear (MARGIN) of any event. (Sampling alone cannot carry
the verdict: one listing takes up to 1.5 s in a busy guest, and a stretch
can pass without a clear sample.)
Prints one JSON object; exit 0 = pass.
"""
import argparse
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pinholes import event_time  # noqa: E402

MARGIN = 0.3
CALLS = 4


def load(path):
    with open(path) as f:
        return [l.split() for l in f if l.strip()]


def pinhole_timeline(path, public):
    """[(t, +1|-1)] for the inbound RTP expectations to public (even port)."""
    out, live = [], set()
    pat = re.compile(r"\[(NEW|DESTROY)\]\s+\d+\s+(.*)$")
    with open(path) as f:
        for line in f:
            t = event_time(line)
            m = pat.search(line)
            if t is None or not m or f" dst={public} " not in f" {m.group(2)} ":
                continue
            fields = m.group(2).split()
            dport = next((x for x in fields if x.startswith("dport=")), "dport=1")
            if int(dport.split("=")[1]) % 2:
                continue
            # the same expectation in NEW and DESTROY: its tuple, mask and master
            key = " ".join(fields)
            if m.group(1) == "NEW" and key not in live:
                live.add(key)
                out.append((t, +1))
            elif m.group(1) == "DESTROY" and key in live:
                live.discard(key)
                out.append((t, -1))
    return out


def count_at(timeline, t):
    return sum(d for ts, d in timeline if ts <= t)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("samples")
    ap.add_argument("events")
    ap.add_argument("sipp_exit")
    ap.add_argument("--expect-events", required=True)
    ap.add_argument("--public", required=True)
    a = ap.parse_args()
    samples = [(float(x), float(y), int(n)) for x, y, n in load(a.samples)]
    events = sorted((float(t), k) for t, k in load(a.events))
    invites = [t for t, k in events if k == "INVITE"]
    byes = [t for t, k in events if k == "BYE"]
    timeline = pinhole_timeline(a.expect_events, a.public)

    # stretches once every call is up: [last INVITE, BYE1), [BYE1, BYE2), ... [BYE4, +2 s]
    bounds = ([max(invites)] if invites else []) + byes
    parts, wrong = [], 0
    for i in range(len(bounds)):
        start = bounds[i]
        end = bounds[i + 1] if i + 1 < len(bounds) else start + 2.0
        mid = (start + end) / 2
        live = sum(1 for t in invites if t <= mid) - sum(1 for t in byes if t <= mid)
        n = count_at(timeline, mid)
        wrong += n != live
        parts.append(f"{live} live: {n} pinholes" + ("" if n == live else " WRONG"))

    judged, swrong, slog = 0, 0, []
    for t0, t1, n in samples:
        if any(t0 - MARGIN < t < t1 + MARGIN for t, _ in events):
            continue
        live = sum(1 for t in invites if t < t0) - sum(1 for t in byes if t < t0)
        judged += 1
        if n != live:
            swrong += 1
            first = events[0][0] if events else t0
            slog.append(f"+{t0 - first:.1f}s live={live} listed={n}")

    ok = (len(invites) == CALLS and len(byes) == CALLS and a.sipp_exit == "0"
          and len(parts) == CALLS + 1 and wrong == 0 and swrong == 0)
    summary = (f"sipp UAC exit {a.sipp_exit}, {len(invites)} calls on one flow, {len(byes)} BYEs; "
               f"inbound RTP pinholes (kernel events) mid-way between BYEs: " + "; ".join(parts)
               + f"; `conntrack -L expect` samples clear of events: {judged - swrong} of {judged} agree")
    if slog:
        summary += " [" + "; ".join(slog[:5]) + "]"
    print(json.dumps({"summary": summary, "pass": ok, "stretches_wrong": wrong,
                      "samples_judged": judged, "samples_wrong": swrong}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
