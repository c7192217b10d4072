#!/usr/bin/env python3
"""Judge one call's RTP/RTCP expectations (issue 3: "the expectations show in
`conntrack -L expect` during the call and are gone after BYE").

Usage: pinholes.py --wan WAN.pcap --lan LAN.pcap --expect EXPECT.txt
                   [--events EVENTS.txt] --alg none|kernel|sipalgd

Which expectations are the call's: the gateway announces the LAN phone's
public RTP/RTCP ports in the SDP it sends out on the WAN leg; an inbound
pinhole is an expectation for dst=<gateway WAN address> and one of those
dports. (IPv6, lib/v6.sh: the NAT66 address, or routed the phone's own
address and ports, which the SDP then names unchanged.) (sipalgd also opens outbound ones for symmetric media: src=<phone>
and one of the phone's own SDP ports.) Matching by port, not by helper
name or master, because the kernel helper also keeps a PERMANENT
expectation for the registration on the same master, which is not the
call's and must stay.

Why both `conntrack -L` samples and `conntrack -E expect` events: an inbound
pinhole that media already used has become a conntrack and left the -L
list (the far phone's first RTP can arrive before the call is even
established here), so "created" is taken from the NEW events as well;
"shown" needs at least one in a -L sample while the call was up; "gone"
needs the last -L sample after the BYE (polled, bounded) to hold none.

"Created" and "shown" count only expectations of the ALG under test's helper
(helper=sip for the kernel, helper=sipalg or sipalg-<i> for sipalgd's workers;
--helper overrides);
"gone" counts any.

EXPECT.txt: blocks "== LABEL EPOCH" followed by `conntrack -L expect` lines;
a label containing "after BYE" is a sample taken after the hangup.
Prints JSON {"summary", "pass", ...}; exit 1 only when the verdict applies
(kernel and sipalgd) and fails. With no ALG it reports and exits 0.
"""
import argparse
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapsum  # noqa: E402
import sipscan  # noqa: E402

JUDGED = ("kernel", "sipalgd")
# the helper that must own the call's expectations: the kernel's nf_conntrack_sip,
# or sipalgd's userspace helper as configs/sipalgd.conf names it
HELPER = {"kernel": "sip", "sipalgd": "sipalg"}


def fields(line):
    """First value of every key=value token: the expected tuple comes first."""
    f = {}
    for tok in line.split():
        if "=" in tok:
            k, v = tok.split("=", 1)
            f.setdefault(k, v)
    return f


def inbound_dst(dst):
    """The destination of an inbound pinhole: the gateway's public address, or
    in the IPv6 lab (lib/v6.sh) the NAT66 one or, routed, a LAN phone's own"""
    if dst == pcapsum.GW_WAN:
        return True
    return ":" in dst and (pcapsum.norm(dst) == pcapsum.GW_WAN6 or pcapsum.is_lan(dst))


def is_calls(line, public, private):
    f = fields(line)
    try:
        if inbound_dst(f.get("dst", "")) and int(f.get("dport", -1)) in public:
            return "in"
        if pcapsum.is_lan(f.get("src", "")) and int(f.get("sport", -1)) in private:
            return "out"
    except ValueError:
        pass
    return None


def samples(path):
    """-> [(label, [lines])]"""
    out = []
    try:
        with open(path) as fh:
            for ln in fh:
                ln = ln.rstrip("\n")
                if ln.startswith("== "):
                    out.append((ln[3:].rsplit(" ", 1)[0], []))
                elif ln.strip() and out:
                    out[-1][1].append(ln.strip())
    except OSError:
        pass
    return out


def event_time(line):
    """conntrack -o timestamp prints "[SEC.USEC]" with USEC not zero-padded"""
    try:
        sec, usec = line[1:line.index("]")].strip().split(".")
        return int(sec) + int(usec) / 1e6
    except ValueError:
        return None


def event_lines(path):
    if not path:
        return []
    try:
        with open(path) as fh:
            return [ln.strip() for ln in fh if "[NEW]" in ln or "[DESTROY]" in ln]
    except OSError:
        return []


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wan", required=True)
    ap.add_argument("--lan", required=True)
    ap.add_argument("--expect", required=True)
    ap.add_argument("--events")
    ap.add_argument("--alg", required=True)
    ap.add_argument("--hangup-at", type=float, default=0,
                    help="epoch of the hangup: DESTROY events are reported relative to it")
    ap.add_argument("--helper", help="helper name the call's expectations must carry "
                    "(default: sip for kernel, sipalg for sipalgd)")
    a = ap.parse_args()
    helper = a.helper or HELPER.get(a.alg)

    def owned(line):
        # with [netfilter] workers = N sipalgd's helpers are NAME, NAME-1 .. NAME-(N-1)
        # (docs/workers.md): a flow's expectations belong to the one its hash picked
        h = fields(line).get("helper") or ""
        return helper is None or h == helper or re.fullmatch(re.escape(helper) + r"-[0-9]+", h) is not None

    streams = sipscan.announced(a.wan, "wan", "out")
    public = set(sipscan.port_set(streams))
    private = set(sipscan.port_set(sipscan.announced(a.lan, "lan", "out")))
    want = {}   # public port -> "RTP"/"RTCP" of the LAN phone's first stream
    if streams:
        want = {streams[0]["rtp"]: "RTP", streams[0]["rtcp"]: "RTCP"}

    during, after, after_label = [], [], None
    for label, lines in samples(a.expect):
        mine = [ln for ln in lines if is_calls(ln, public, private)]
        if "after BYE" in label:
            after, after_label = mine, label
        else:
            during.extend(f"[{label}] {ln}" for ln in mine)
    events = [ln for ln in event_lines(a.events) if is_calls(ln, public, private)]
    created = set()
    for ln in during + [e for e in events if "[NEW]" in e]:
        if not owned(ln):
            continue
        f = fields(ln)   # the "[label]" / "[NEW]" prefixes hold no key=value
        if inbound_dst(f.get("dst", "")) and f.get("dport", "").isdigit():
            created.add(int(f["dport"]))
    missing = [f"{want[p]} {p}" for p in sorted(want) if p not in created]
    # when the kernel dropped each of the call's expectations, relative to the
    # hangup: removed by the BYE, or used (or expired) during the call
    removed = []
    for e in events:
        t = event_time(e) if "[DESTROY]" in e and e.startswith("[") and a.hangup_at else None
        if t is not None:
            f = fields(e)
            port = f.get("dport") if is_calls(e, public, private) == "in" else f"out:{f.get('sport')}"
            removed.append(f"{port}@{t - a.hangup_at:+.2f}s")

    checks = {
        "announced": bool(want),
        "created": bool(want) and not missing,
        "shown_during_call": any(owned(ln) for ln in during),
        "gone_after_bye": after_label is not None and not after,
    }
    ok = all(checks.values())
    judged = a.alg in JUDGED
    ann = (f"{streams[0]['addr']}:{streams[0]['rtp']}/rtcp {streams[0]['rtcp']}"
           if streams else "no SDP leaving on the WAN leg")
    failed = [k for k, v in checks.items() if not v]
    summary = (f"{'verdict' if judged else 'report only, not judged'}: "
               f"{'PASS' if ok else 'FAIL (' + ', '.join(failed) + ')'}; "
               f"helper {helper or 'any'}; "
               f"WAN SDP of the LAN phone {ann}; "
               f"inbound pinholes created for {sorted(created) or 'none'}"
               + (f" (missing {', '.join(missing)})" if missing else "")
               + f"; call's expectations in -L during the call: {len(during)}"
               + f"; after BYE ({after_label or 'not sampled'}): {len(after)}"
               + (f"; destroyed (port@s after hangup): {' '.join(removed)}" if removed else ""))
    print(json.dumps({"summary": summary, "pass": ok if judged else None, "checks": checks,
                      "public_ports": sorted(public), "private_ports": sorted(private),
                      "during_call": during[:12], "after_bye": after[:12],
                      "events": events[:16]}))
    sys.exit(1 if judged and not ok else 0)


if __name__ == "__main__":
    main()
