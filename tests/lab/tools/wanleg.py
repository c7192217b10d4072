#!/usr/bin/env python3
"""Judge the WAN leg of one call from the gateway's WAN-side capture.

Usage: wanleg.py WAN.pcap --alg none|kernel|sipalgd

1. Symmetric media: every RTP packet the gateway sends out (source = its WAN
   address, not SIP) leaves from the public RTP port that the LAN phone's SDP
   announced on the WAN leg, and every RTCP packet from the announced RTCP
   port (a=rtcp, else RTP + 1). RTP and RTCP are told apart by the RTCP
   packet types 200-204 in the second byte (RFC 5761, section 4). At least
   one RTP packet must have left; RTCP may not have (short calls).
2. No private address leaks: no SIP message on the WAN leg, either way,
   names 192.168.x in a Via, Contact, c=, o=, m= or a=rtcp line (a branch or
   Call-ID may legitimately carry such text, so only those lines count);
   with --private6 (IPv6 NAT66, lib/v6.sh) the LAN's IPv6 prefix neither.
   Over routed IPv6 the gateway is the phone's own address on the WAN leg
   (pcapsum.outward) and nothing is private.
Prints JSON {"summary", "pass", ...}; exit 1 only for sipalgd rows that
fail; the kernel helper and no-ALG rows are reported, not judged.
"""
import argparse
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapsum  # noqa: E402
import sipscan  # noqa: E402

JUDGED = ("sipalgd",)
# header names long and compact (v = Via, m = Contact), and the SDP lines
ADDR_LINE = re.compile(rb"^(?:via|v|contact|m)\s*:|^[com]=|^a=rtcp:", re.IGNORECASE)
PRIVATE = re.compile(rb"192\.168\.\d{1,3}\.\d{1,3}")
# a Via branch is an opaque token that phones may build from their address
BRANCH = re.compile(rb";\s*branch\s*=\s*[^;,\s]*", re.IGNORECASE)


def media_out(pcap):
    """-> {"rtp": {sport: n}, "rtcp": {sport: n}} of media the gateway sent out"""
    res = {"rtp": {}, "rtcp": {}}
    for frame in pcapsum.packets(pcap):
        p = pcapsum.parse(frame)
        # the gateway's public address (or, over routed IPv6, a LAN phone's own)
        if not p or p[0] != "udp" or not pcapsum.outward("wan", p[1]):
            continue
        sport, payload = p[2], p[5]
        if sipscan.SIP_PORT in (sport, p[4]) or len(payload) < 8 or payload[0] >> 6 != 2:
            continue
        kind = "rtcp" if 200 <= payload[1] <= 204 else "rtp"
        res[kind][sport] = res[kind].get(sport, 0) + 1
    return res


def kind(line):
    """Via, Contact, c=, o=, m= or a=rtcp: which part still names the LAN (a
    header rewrite and an SDP rewrite fail for different reasons)"""
    if line[1:2] == b"=":
        return "a=rtcp" if line.startswith(b"a=") else line[:2].decode()
    name = line.split(b":", 1)[0].strip().lower()
    return "Via" if name in (b"via", b"v") else "Contact"


def leaks(pcap, private=PRIVATE):
    """-> ([line...], {kind: n}) of the WAN leg's SIP lines naming 192.168.x
    (or what `private` matches)"""
    out, kinds = [], {}
    for d, src, dst, payload in sipscan.messages(pcap, "wan"):
        for line in payload.split(b"\r\n"):
            if ADDR_LINE.match(line) and private.search(BRANCH.sub(b"", line)):
                out.append(f"{d} {src}->{dst}: {line.decode(errors='replace')[:120]}")
                k = f"{d} {kind(line)}"
                kinds[k] = kinds.get(k, 0) + 1
    return out, kinds


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("wan")
    ap.add_argument("--alg", required=True)
    ap.add_argument("--private6", metavar="PREFIX",
                    help="IPv6 with NAT66 (lib/v6.sh): text of the LAN prefix (e.g. 2001:db8:1:) "
                    "that must not show either; routed IPv6 has no private address to leak")
    a = ap.parse_args()
    streams = sipscan.announced(a.wan, "wan", "out")
    rtp_ports = {s["rtp"] for s in streams}
    rtcp_ports = {s["rtcp"] for s in streams}
    media = media_out(a.wan)
    bad_rtp = {p: n for p, n in media["rtp"].items() if p not in rtp_ports}
    bad_rtcp = {p: n for p, n in media["rtcp"].items() if p not in rtcp_ports}
    private = PRIVATE
    if a.private6:
        private = re.compile(PRIVATE.pattern + rb"|" + re.escape(a.private6.lower().encode()), re.IGNORECASE)
    leaked, kinds = leaks(a.wan, private)
    checks = {
        "announced": bool(streams),
        "rtp_left": sum(media["rtp"].values()) > 0,
        "rtp_from_announced_port": not bad_rtp,
        "rtcp_from_announced_port": not bad_rtcp,
        "no_private_address": not leaked,
    }
    ok = all(checks.values())
    judged = a.alg in JUDGED

    def by_port(d):
        return ", ".join(f"{n} from :{p}" for p, n in sorted(d.items())) or "none"
    ann = ", ".join(f"{s['addr']}:{s['rtp']}/rtcp {s['rtcp']}" for s in streams) or "none"
    failed = [k for k, v in checks.items() if not v]
    summary = (f"{'verdict' if judged else 'report only, not judged'}: "
               f"{'PASS' if ok else 'FAIL (' + ', '.join(failed) + ')'}; "
               f"WAN SDP announced {ann}; RTP out {by_port(media['rtp'])}; "
               f"RTCP out {by_port(media['rtcp'])}; private addresses in SIP on the WAN leg: "
               f"{len(leaked)}" + (f" ({', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))};"
                                   f" first: {leaked[0]})" if leaked else ""))
    print(json.dumps({"summary": summary, "pass": ok if judged else None, "checks": checks,
                      "media_out": {k: {str(p): n for p, n in v.items()} for k, v in media.items()},
                      "leaks": leaked[:10], "leak_kinds": kinds}))
    sys.exit(1 if judged and not ok else 0)


if __name__ == "__main__":
    main()
