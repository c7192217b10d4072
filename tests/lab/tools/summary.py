#!/usr/bin/env python3
"""Fold the repetitions into summary.json and summary.md, print the table.

summary.json: [{"scenario", "pbx", "alg", "pass", "detail"}], one per scenario x
provider profile (run.sh --pbx; a repetition that names none is "plain") x ALG;
pass = every repetition passed (null = not applicable to that ALG or profile,
or no run); detail = where it ran, how many repetitions passed, and each one's
evidence. summary.md: one column per ALG; with several profiles, the ALG
columns once per profile, the profile named above its group.
Exit 0 only if every sipalgd row asked for passed.
"""
import argparse
import glob
import json
import os
import sys


def load(results):
    reps = []
    for path in sorted(glob.glob(os.path.join(results, "reps-*.jsonl"))):
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line:
                    try:
                        reps.append(json.loads(line))
                    except ValueError:
                        pass
    return reps


def short_call(name, ev):
    if not isinstance(ev, dict):
        return None
    if "summary" in ev:
        return f"{name}: {ev['summary']}"
    if "heard" not in ev:
        return None
    parts = []
    for phone, h in ev["heard"].items():
        hz = f"{h['hz']} Hz" if h.get("hz") else "nothing"
        talk = "talk"
        if h.get("judged_against_s", ev.get("talk_s", 0)) < 0.95 * ev.get("talk_s", 0):
            # the talker's own RTP carried less than the wall clock (a stalled guest)
            talk = f"the {h['judged_against_s']} s of audio its talker sent in {ev['talk_s']} s,"
        parts.append(f"{phone} heard {hz} ({int(round(100 * h.get('frac', 0)))}% of {talk}"
                     f" as {h['expected']} Hz)")
    extra = "" if ev.get("established", True) else f" NOT ESTABLISHED: {ev.get('note', '')}"
    return f"{name}: " + ", ".join(parts) + extra


def short_gateway(gw):
    def sip(d):
        return " ".join(f"{k}x{v}" for k, v in sorted(d.items())) or "-"
    lan, wan = gw["lan"], gw["wan"]
    peers = ", ".join(f"{k} {v}" for k, v in sorted(wan.get("media_peers", {}).items()))
    return (f"LAN out[{sip(lan['sip_out'])}] in[{sip(lan['sip_in'])}]; "
            f"WAN out[{sip(wan['sip_out'])}] in[{sip(wan['sip_in'])}]; "
            f"media pkts LAN out/in {lan['media_out']}/{lan['media_in']}, "
            f"WAN out/in {wan['media_out']}/{wan['media_in']}"
            + (f" (WAN media by far address: {peers})" if peers else ""))


def evidence_lines(rep):
    ev = rep.get("evidence", {})
    out = []
    for name, v in ev.items():
        if name in ("gateway", "expectations", "notes"):
            continue
        s = short_call(name, v)
        if s:
            out.append(s)
        elif isinstance(v, dict) and ("alg_setup" in v or "topology" in v):
            out.append(f"{name}: {json.dumps(v)[:300]}")
    if "gateway" in ev:
        out.append(short_gateway(ev["gateway"]))
    exp = [ln for ln in ev.get("expectations", []) if not ln.startswith("==")]
    out.append(f"expectations sampled: {len(exp)} line(s)" + (f", e.g. `{exp[0]}`" if exp else ""))
    for n in ev.get("notes", [])[:3]:
        out.append(f"note: {n}")
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--algs", default="none kernel sipalgd")
    ap.add_argument("--pbxs", default="plain")
    ap.add_argument("--reps", type=int, default=0)
    ap.add_argument("scenarios", nargs="*")
    a = ap.parse_args()
    algs, pbxs = a.algs.split(), a.pbxs.replace(",", " ").split()
    reps = load(a.results)
    for r in reps:
        r.setdefault("pbx", "plain")
    scen = a.scenarios or sorted({r["scenario"] for r in reps})
    cols = [(p, alg) for p in pbxs for alg in algs]
    rows = []
    for s in scen:
        for pbx, alg in cols:
            mine = [r for r in reps if r["scenario"] == s and r["alg"] == alg and r["pbx"] == pbx]
            verdicts = [r["pass"] for r in mine]
            applicable = [v for v in verdicts if v is not None]
            if not mine:
                ok, why = None, "not run"
            elif not applicable:
                ok, why = None, "not applicable"
            else:
                ok, why = all(applicable), ""
            rows.append({"scenario": s, "pbx": pbx, "alg": alg, "pass": ok, "detail": {
                "place": sorted({r["place"] for r in mine}),
                "reps": len(mine), "passed": sum(1 for v in verdicts if v is True),
                "not_applicable": sum(1 for v in verdicts if v is None),
                "why": why,
                "seconds": sum(r.get("seconds", 0) for r in mine),
                "runs": [{"rep": r["rep"], "pass": r["pass"], "evidence": r["evidence"]}
                         for r in mine]}})
    with open(os.path.join(a.results, "summary.json"), "w") as f:
        json.dump(rows, f, indent=1)

    md = ["# Lab summary: scenario x ALG", "",
          "Cell: verdict, repetitions passed / run, where it ran (host kernel or the qemu guest).", ""]
    if len(pbxs) == 1:
        if pbxs != ["plain"]:
            md[-1:-1] = [f"Provider profile: {pbxs[0]} (run.sh --pbx)."]
        md += ["| scenario | " + " | ".join(algs) + " |", "|---|" + "---|" * len(algs)]
    else:
        # a column group per profile: its name above its first ALG column
        md[0] = "# Lab summary: scenario x provider profile x ALG"
        md += ["| | " + " | ".join(p if i == 0 else "" for p in pbxs for i in range(len(algs))) + " |",
               "|---|" + "---|" * len(cols),
               "| **scenario** | " + " | ".join(f"**{alg}**" for _, alg in cols) + " |"]
    for s in scen:
        cells = []
        for pbx, alg in cols:
            r = next(x for x in rows if x["scenario"] == s and x["alg"] == alg and x["pbx"] == pbx)
            d = r["detail"]
            if r["pass"] is None:
                cells.append(d["why"])
            else:
                cells.append(f"{'PASS' if r['pass'] else 'FAIL'} {d['passed']}/{d['reps']}"
                             f" ({','.join(d['place'])})")
        md.append(f"| {s} | " + " | ".join(cells) + " |")
    md += ["", "## Evidence (first failing repetition, else the first one)", ""]
    for r in rows:
        runs = r["detail"]["runs"]
        if not runs:
            continue
        pick = next((x for x in runs if x["pass"] is False), runs[0])
        where = r["alg"] if len(pbxs) == 1 else f"{r['pbx']} / {r['alg']}"
        md.append(f"### {r['scenario']} / {where} — rep {pick['rep']}: "
                  f"{ {True: 'pass', False: 'FAIL', None: 'n/a'}[pick['pass']] }")
        md += [f"- {ln}" for ln in evidence_lines({"evidence": pick["evidence"]})]
        md.append("")
    text = "\n".join(md) + "\n"
    with open(os.path.join(a.results, "summary.md"), "w") as f:
        f.write(text)
    print(text)

    sip_rows = [r for r in rows if r["alg"] == "sipalgd"]
    if "sipalgd" not in algs:
        return 0 if rows else 1
    bad = [r for r in sip_rows if r["pass"] is False or r["detail"]["why"] == "not run"]
    return 1 if bad or not sip_rows else 0


if __name__ == "__main__":
    sys.exit(main())
