#!/usr/bin/env python3
"""Judge one-way media from the WAN to a silent LAN phone (announce-v6).

Usage: oneway.py LAN.pcap WAN.pcap --phone ADDR --far ADDR[,ADDR...]
                 --start T0 --end T1 [--skip S] [--min-packets N]
In the window T0+skip .. T1 (epoch seconds; the call's establishment on the
LAN phone and the far end's BYE as the gateway's WAN leg saw it) it counts
RTP (non-SIP UDP whose second byte is not an RTCP type 200-204) and RTCP:
- far_in: from the far end (any of --far: the WAN phone or the provider's
  media relay) reaching the gateway on its WAN leg, before netfilter;
- to_lan: that media delivered to the phone on the LAN leg;
- lan_rtp_out / lan_rtcp_out: what the phone itself sent (LAN leg), and
  lan_rtp_wan: the phone's RTP that left on the WAN leg.
--tone HZ: what the phone received, its PCMU payloads (payload type 0) as
they left the gateway on the LAN leg, decoded and classified as tools/tone.py
does a recording: seconds of HZ (baresip 1.0 records nothing of a stream it
answered recvonly, so its own recording cannot tell here).
--expect FILE (repeatable: expect_sample's `conntrack -L expect` listings,
the `conntrack -E expect` events, whose NEW lines show a pinhole that media
used at once and that never showed in a listing): the
sources the inbound pinholes for the phone's ports admit (src=, the first of
a line), reported beside the far end's media source: the kernel helper's
sip_direct_media=1 admits only the signalling peer. A pinhole is the phone's
when its expected tuple (the first dst=/dport=) is routed: dst= the phone
and dport= a port the far end's RTP was sent to; or NATed (NAT66): dst= the
address and port the far end's RTP was sent to on the WAN leg (the gateway's
public one) and that public port maps to the phone. conntrack prints no
expectation's NAT part (libnetfilter_conntrack's text output has the
expected, mask and master tuples, flags, class and helper only), so the
mapping is taken from the captures (the same far source reached the public
address:port on the WAN leg and the phone on the LAN leg) or, when nothing
was delivered, from the pinhole's master (master-src= or master-dst= the
phone: it belongs to the phone's signalling, which the NAT maps back to it).
Pass = the far end sent (far_in >= --min-packets) and the gateway delivered
>= 90% of it to the phone (with --tone: and it carried HZ for >= 60% of the
audio the far end sent), and the phone sent no RTP: a phone that sends
opens the firewall itself (symmetric RTP) and the case proves nothing about
pinholes (its RTCP, receiver reports from RTP port + 1, opens only the RTCP
path and is reported). Prints JSON {"summary", "pass", ...}; exit 0 on pass.
"""
import argparse
import json
import os
import sys
import tempfile
import warnings
import wave

warnings.filterwarnings("ignore", category=DeprecationWarning)
import audioop  # noqa: E402  deprecated in 3.11 but present (tools/mktone.py)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapsum  # noqa: E402
import tone  # noqa: E402

CANDIDATES = [500.0, 700.0, 900.0, 1100.0]   # the lab phones' tones (lib/phone.sh)


def heard(payloads, hz):
    """{"hz", "s", "dominant_hz", "seconds"} of PCMU payloads decoded in order"""
    pcm = audioop.ulaw2lin(b"".join(payloads), 2)
    fd, path = tempfile.mkstemp(suffix=".wav")
    os.close(fd)
    try:
        with wave.open(path, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(8000)
            w.writeframes(pcm)
        r = tone.analyse(path, CANDIDATES, 0.5)
    finally:
        os.unlink(path)
    return {"hz": hz, "s": r["by_hz"].get(str(float(hz)), 0.0),
            "dominant_hz": int(r["dominant_hz"]) if r["dominant_hz"] else None,
            "seconds": r["seconds"]}


def media(path, t0, t1):
    """(ts, src, sport, dst, dport, is_rtcp) of non-SIP UDP in [t0, t1]"""
    for ts, data in pcapsum.records(path):
        if ts < t0 or ts > t1:
            continue
        p = pcapsum.parse(data)
        if not p or p[0] != "udp" or 5060 in (p[2], p[4]):
            continue
        body = p[5]
        rtcp = len(body) >= 2 and 200 <= body[1] <= 204
        yield ts, p[1], p[2], p[3], p[4], rtcp, body


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lan")
    ap.add_argument("wan")
    ap.add_argument("--phone", required=True)
    ap.add_argument("--far", required=True)
    ap.add_argument("--start", type=float, required=True)
    ap.add_argument("--end", type=float, required=True)
    ap.add_argument("--skip", type=float, default=0.5)
    ap.add_argument("--min-packets", type=int, default=25)
    ap.add_argument("--tone", type=int)
    ap.add_argument("--expect", action="append", default=[])
    a = ap.parse_args()
    phone = pcapsum.norm(a.phone)
    far = {pcapsum.norm(f) for f in a.far.split(",") if f}
    t0, t1 = a.start + a.skip, a.end
    c = {"far_in": 0, "far_rtcp_in": 0, "to_lan": 0, "to_lan_rtcp": 0,
         "lan_rtp_out": 0, "lan_rtcp_out": 0, "lan_rtp_wan": 0}
    ports = set()
    far_seen = set()
    far_dsts = set()   # (address, port) the far end's RTP was sent to on the WAN leg
    wan_flow = {}      # (far address, its port) -> those, to map a public port to the phone's
    for _, src, sport, dst, dport, rtcp, _ in media(a.wan, t0, t1):
        if src in far:
            far_seen.add(src)
            c["far_rtcp_in" if rtcp else "far_in"] += 1
            if not rtcp:
                ports.add(dport)
                far_dsts.add((dst, dport))
                wan_flow.setdefault((src, sport), set()).add((dst, dport))
        elif pcapsum.outward("wan", src) and not rtcp:
            c["lan_rtp_wan"] += 1
    pcmu = []
    lan_flow = {}      # (far address, its port) -> the phone's ports it reached on the LAN leg
    for _, src, sport, dst, dport, rtcp, body in media(a.lan, t0, t1):
        if src in far and dst == phone:
            c["to_lan_rtcp" if rtcp else "to_lan"] += 1
            if not rtcp:
                lan_flow.setdefault((src, sport), set()).add(dport)
            if not rtcp and len(body) > 12 and body[0] >> 6 == 2 and body[1] & 0x7F == 0:
                cc = body[0] & 0x0F
                pcmu.append(body[12 + 4 * cc:])
        elif src == phone:
            c["lan_rtcp_out" if rtcp else "lan_rtp_out"] += 1
    # NAT: which public address:port (not the phone's own) delivered to which of the phone's ports
    nat_map = {}
    for key, dsts in wan_flow.items():
        for pub in dsts:
            if pub[0] != phone and key in lan_flow:
                nat_map.setdefault(pub, set()).update(lan_flow[key])
    admits = set()
    nat_holes = {}     # "[public]:port" -> {"phone_ports", "by", "admit"}
    for path in a.expect:
        if not os.path.exists(path):
            continue
        with open(path) as fh:
            for ln in fh:
                f = {}
                for tok in ln.split():
                    k, _, v = tok.partition("=")
                    f.setdefault(k, v)   # the first of each: the expected flow's
                try:
                    dst, dport = pcapsum.norm(f.get("dst", "")), int(f.get("dport", -1))
                except ValueError:
                    continue
                src = pcapsum.norm(f.get("src", ""))
                if dst == phone:
                    if dport in ports:
                        admits.add(src)
                    continue
                pub = (dst, dport)
                if pub not in far_dsts:
                    continue
                if pub in nat_map:
                    by = "captures"
                elif phone in (pcapsum.norm(f.get("master-src", "")), pcapsum.norm(f.get("master-dst", ""))):
                    by = "master"
                else:
                    continue   # another LAN host's, or nothing shows it is the phone's
                admits.add(src)
                h = nat_holes.setdefault(f"[{dst}]:{dport}" if ":" in dst else f"{dst}:{dport}",
                                         {"phone_ports": sorted(nat_map.get(pub, ())), "by": by, "admit": []})
                if src not in h["admit"]:
                    h["admit"] = sorted(h["admit"] + [src])
    secs = max(t1 - t0, 0.0)
    sent = c["far_in"] >= a.min_packets
    delivered = sent and c["to_lan"] >= 0.9 * c["far_in"]
    silent = c["lan_rtp_out"] == 0
    res = dict(c)
    tone_ok = True
    if a.tone:
        # 20 ms packets: what the far end's RTP on the WAN leg could carry
        res["tone"] = heard(pcmu, a.tone) if pcmu else {"hz": a.tone, "s": 0.0, "dominant_hz": None, "seconds": 0}
        res["tone"]["far_sent_s"] = round(0.02 * c["far_in"], 2)
        tone_ok = sent and res["tone"]["s"] >= 0.6 * res["tone"]["far_sent_s"]
    res.update({"window_s": round(secs, 2), "far_ports": sorted(ports),
                "far_sources": sorted(far_seen), "pinholes_admit": sorted(admits),
                "pinholes_nat": nat_holes,
                "far_sent": sent, "delivered": delivered, "tone_heard": tone_ok, "lan_silent": silent,
                "pass": bool(sent and delivered and tone_ok and silent)})
    res["summary"] = (
        f"over {secs:.1f} s of the call: far->LAN RTP {c['to_lan']} of {c['far_in']} "
        f"delivered (RTCP {c['to_lan_rtcp']} of {c['far_rtcp_in']}); the LAN phone sent "
        f"RTP {c['lan_rtp_out']} (on the WAN leg {c['lan_rtp_wan']}), RTCP {c['lan_rtcp_out']}"
        + (f"; what reached the phone carried {a.tone} Hz for {res['tone']['s']} s of the "
           f"{res['tone']['far_sent_s']} s sent" if a.tone else "")
        + (f"; far media from {', '.join(sorted(far_seen)) or 'nowhere'}, the inbound pinholes "
           f"to the phone's port admit {', '.join(sorted(admits)) or 'none'}"
           + (" (NATed: " + "; ".join(
               f"{k} -> the phone's " + (",".join(map(str, v["phone_ports"])) if v["phone_ports"]
                                         else "port (the pinhole's master is its signalling)")
               for k, v in sorted(nat_holes.items())) + ")" if nat_holes else "") if a.expect else "")
        + ("" if silent else " - it is not silent: its own RTP opened the firewall, nothing proved")
        + ("" if sent else f" - the far end sent under {a.min_packets} RTP packets"))
    print(json.dumps(res))
    return 0 if res["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
