#!/usr/bin/env python3
"""Self-test of the lab's judges on IPv6 captures and listings (lib/v6.sh), no root.

Routed IPv6 (the phone's own address and ports on the WAN leg, the kernel
helper's pinholes to it), NAT66 (the gateway's 2001:db8:113::1) and the
captures' own details: an IPv6 frame behind a hop-by-hop header, a
fragment other than the first, an INVITE over TCP cut between two IPv6
segments, addresses in any text form compared as RFC 5952 text. Asserts
the verdicts of wanleg.py, pinholes.py, callcheck.py (a LAN talker is found
on the LAN leg by its IPv6 address) and mediawin.py, and that the IPv4
rules are what they were. Usage: python3 tests/lab/tools/selftest_v6.py
"""
import ipaddress
import json
import os
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import pcapsum  # noqa: E402
import selftest_checks as base  # noqa: E402
import sipscan  # noqa: E402
import tcpstream  # noqa: E402

GW6, PBX6, FAR6, PHONE6 = "2001:db8:113::1", "2001:db8:113::10", "2001:db8:113::20", "2001:db8:1::10"
RELAY6 = "2001:db8:113::11"


def ip6(a):
    return ipaddress.IPv6Address(a).packed


def frame6(src, sport, dst, dport, payload, proto=17, ext=b"", l4=None):
    """Ethernet + IPv6 (+ extension headers `ext`, whose first next-header is
    `proto` unless they say otherwise) + UDP, or the given L4 bytes"""
    if l4 is None:
        l4 = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    first = 0 if ext else proto   # a hop-by-hop header leads; it names proto itself
    ip = struct.pack("!IHBB16s16s", 6 << 28, len(ext) + len(l4), first, 64, ip6(src), ip6(dst))
    return b"\0" * 12 + b"\x86\xdd" + ip + ext + l4


def hop_by_hop(proto):
    """an 8-byte hop-by-hop options header (PadN) naming `proto` next"""
    return bytes([proto, 0, 1, 4, 0, 0, 0, 0])


def invite6(addr, port, contact, ip="IP6"):
    sdp = (f"v=0\r\no=- 1 1 IN {ip} {addr}\r\ns=-\r\nc=IN {ip} {addr}\r\nt=0 0\r\n"
           f"m=audio {port} RTP/AVP 0\r\na=rtcp:{port + 1}\r\n").encode()
    head = (f"INVITE sip:w1@[{PBX6}] SIP/2.0\r\nVia: SIP/2.0/UDP [{contact}]:5060;branch=z9hG4bK-1\r\n"
            f"Call-ID: x-1\r\nContact: <sip:l1@[{contact}]:5060>\r\n"
            f"Content-Type: application/sdp\r\nContent-Length: {len(sdp)}\r\n\r\n").encode()
    return head + sdp


RTP, RTCP = base.RTP, base.RTCP


def call6(src, sdp_addr, port, contact, rtp_sport, rtcp_sport):
    """one call's WAN leg: the INVITE out from src, RTP/RTCP out, RTP back"""
    out = [frame6(src, 5060, PBX6, 5060, invite6(sdp_addr, port, contact))]
    out += [frame6(src, rtp_sport, FAR6, 4000, RTP)] * 5 + [frame6(src, rtcp_sport, FAR6, 4001, RTCP)]
    out += [frame6(FAR6, 4000, src, rtp_sport, RTP)] * 5
    return out


def exp6(dport, dst=PHONE6, src=PBX6, helper="sip", text=None):
    """a `conntrack -L expect -f ipv6` line as the kernel helper's (sip_direct_media:
    the expected source is the signalling peer)"""
    m = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
    return (f"100 proto=17 src={src} dst={text or dst} sport=0 dport={dport} mask-src={m} mask-dst={m} "
            f"sport=0 dport=65535 master-src={PHONE6} master-dst={PBX6} sport=5060 dport=5060 "
            f"class=1 helper={helper}")


def tcp6(src, dst, seq, payload, flags=0x18):
    tcp = struct.pack("!HHIIBBHHH", 5060, 5060, seq, 1, 5 << 4, flags, 65535, 0, 0) + payload
    return frame6(src, 0, dst, 0, b"", proto=6, l4=tcp)


def write_rtp6(path, src, secs, start=100.0):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i in range(int(secs / 0.02)):
            ts = start + i * 0.02
            fr = frame6(src, 10000, FAR6, 4000, b"\x80\x00" + struct.pack("!HI", i, 160 * i) + b"SSRC" + b"\xff" * 160)
            f.write(struct.pack("<IIII", int(ts), int((ts % 1) * 1e6), len(fr), len(fr)) + fr)


def main():
    fails = []

    def check(name, got, want):
        if got != want:
            fails.append(f"{name}: got {got}, want {want}")

    run = base.run
    # the frame parser: IPv6 behind a hop-by-hop header; a later fragment has no ports
    p = pcapsum.parse(frame6(PHONE6, 5060, PBX6, 5060, b"x", ext=hop_by_hop(17)))
    check("parse IPv6 behind hop-by-hop", p and p[:5], ("udp", PHONE6, 5060, PBX6, 5060))
    frag = bytes([17, 0]) + struct.pack("!H", 8 << 3) + b"\0\0\0\1"   # offset 64 bytes
    fr = frame6(PHONE6, 0, PBX6, 0, b"", l4=b"\0" * 16)
    fr = fr[:20] + bytes([44]) + fr[21:54] + frag + fr[54:]
    fr = fr[:18] + struct.pack("!H", len(fr) - 54) + fr[20:]
    check("parse a non-first fragment", pcapsum.parse(fr), None)
    check("RFC 5952 text", (pcapsum.norm("2001:0DB8:0001:0000::0010"), pcapsum.norm("[2001:db8:1::10]")),
          (PHONE6, PHONE6))
    check("LAN by prefix", [pcapsum.is_lan(a) for a in (PHONE6, "2001:db8:1::ffff", GW6, "192.168.1.10",
                                                       "203.0.113.1", "fe80::1")],
          [True, True, False, True, False, False])
    # out on the WAN leg: NAT66's address, routed a LAN phone's own; the far end is in
    check("outward on the WAN leg", [pcapsum.outward("wan", a) for a in (GW6, PHONE6, FAR6, "203.0.113.1",
                                                                        "192.168.1.10")],
          [True, True, False, True, False])
    check("sdp c=IN IP6", sipscan.sdp_streams(invite6(PHONE6, 10000, PHONE6)),
          [{"addr": PHONE6, "rtp": 10000, "rtcp": 10001}])

    # SIP over TCP/IPv6, the INVITE cut inside its c= line: read whole
    msg = invite6(GW6, 10000, PHONE6)
    cut = msg.index(b"c=IN IP6 ") + 12
    r = tcpstream.Reassembler()
    got = r.feed(tcp6(GW6, PBX6, 999, b"", flags=0x02)) + r.feed(tcp6(GW6, PBX6, 1000, msg[:cut])) + \
        r.feed(tcp6(GW6, PBX6, 1000 + cut, msg[cut:]))
    check("TCP over IPv6 reassembled", [(m[0], m[4] == msg, len(m[5])) for m in got], [(GW6, True, 2)])

    with tempfile.TemporaryDirectory() as d:
        def f(n):
            return os.path.join(d, n)

        def pcap(name, frames):
            base.write_pcap(f(name), frames)
            return f(name)
        # routed: the phone's own address and ports on both legs
        lan = pcap("lan.pcap", call6(PHONE6, PHONE6, 10000, PHONE6, 10000, 10001))
        routed = pcap("routed.pcap", call6(PHONE6, PHONE6, 10000, PHONE6, 10000, 10001))
        moved = pcap("moved.pcap", call6(PHONE6, PHONE6, 10000, PHONE6, 31000, 10001))
        nat66 = pcap("nat66.pcap", call6(GW6, GW6, 10000, GW6, 10000, 10001))
        leak = pcap("leak.pcap", call6(GW6, GW6, 10000, PHONE6, 10000, 10001))
        check("wanleg routed good", run("wanleg.py", routed, "--alg", "sipalgd"), 0)
        check("wanleg routed RTP from another port", run("wanleg.py", moved, "--alg", "sipalgd"), 1)
        check("wanleg NAT66 good", run("wanleg.py", nat66, "--alg", "sipalgd", "--private6", "2001:db8:1:"), 0)
        check("wanleg NAT66 inside address in Via/Contact",
              run("wanleg.py", leak, "--alg", "sipalgd", "--private6", "2001:db8:1:"), 1)
        check("wanleg routed: the LAN prefix is no leak", run("wanleg.py", leak, "--alg", "sipalgd"), 0)
        # an IPv4 leak is still one in an IPv6 lab run
        base.write_pcap(f("v4leak.pcap"), base.call_frames("wan", base.GW, 10000, base.PHONE, 10000, 10001))
        check("wanleg IPv4 leak with --private6",
              run("wanleg.py", f("v4leak.pcap"), "--alg", "sipalgd", "--private6", "2001:db8:1:"), 1)

        def listing(name, blocks):
            with open(f(name), "w") as fh:
                for label, lines in blocks:
                    fh.write(f"== {label} 1.0\n" + "".join(ln + "\n" for ln in lines))
            return f(name)

        def pin(wan, expect, alg="kernel", events=None):
            ev = ["--events", events] if events else []
            return run("pinholes.py", "--wan", wan, "--lan", lan, "--expect", expect, "--alg", alg, *ev)
        good = listing("good.txt", [("call established", [exp6(10000), exp6(10001)]), ("call after BYE +0.2s", [])])
        check("pinholes routed kernel good", pin(routed, good), 0)
        check("pinholes routed, another helper's", pin(routed, good, "sipalgd"), 1)
        norm = listing("norm.txt", [("call established",
                                     [exp6(10000, text="2001:0db8:0001::0010"), exp6(10001, text="2001:db8:1:0::10")]),
                                    ("call after BYE +0.2s", [])])
        check("pinholes routed, addresses in another text form", pin(routed, norm), 0)
        no_rtcp = listing("nortcp.txt", [("call established", [exp6(10000)]), ("call after BYE +0.2s", [])])
        check("pinholes routed RTCP never created", pin(routed, no_rtcp), 1)
        left = listing("left.txt", [("call established", [exp6(10000), exp6(10001)]),
                                    ("call after BYE +5.0s", [exp6(10001)])])
        check("pinholes routed left after BYE", pin(routed, left), 1)
        other = listing("other.txt", [("call established", [exp6(10000, dst="2001:db8:1::11"),
                                                            exp6(10001, dst="2001:db8:1::11")]),
                                      ("call after BYE +0.2s", [])])
        check("pinholes to another LAN address still match by port", pin(routed, other), 0)
        far = listing("far.txt", [("call established", [exp6(10000, dst=FAR6), exp6(10001, dst=FAR6)]),
                                  ("call after BYE +0.2s", [])])
        check("pinholes to a WAN host are not the call's", pin(routed, far), 1)
        n66 = listing("n66.txt", [("call established", [exp6(10001, dst=GW6)]), ("call after BYE +0.2s", [])])
        with open(f("ev.txt"), "w") as fh:   # conntrack -E expect prints both families
            fh.write(f"[1.0]\t    [NEW] {exp6(10000, dst=GW6)}\n[1.1]\t[DESTROY] {exp6(10000, dst=GW6)}\n")
        check("pinholes NAT66, RTP only as an event", pin(nat66, n66, events=f("ev.txt")), 0)
        check("pinholes NAT66 without the events", pin(nat66, n66), 1)
        check("pinholes no ALG reported only", pin(routed, left, "none"), 0)

        # callcheck: a LAN talker found on the LAN leg by its IPv6 address
        # (the guest stalled: it sent 10 s in a 24 s window)
        base.write_tone(f("heard.wav"), 500, 10)
        write_rtp6(f("l1.pcap"), PHONE6, 10)

        def heard(talker, lan_pcap, wan_pcap):
            return run("callcheck.py", "--talk", "24", "--start", "100", "--lan-pcap", lan_pcap,
                       "--wan-pcap", wan_pcap, f"w1:500:{f('heard.wav')}:{talker}")
        check("callcheck IPv6 LAN talker, stalled", heard(PHONE6, f("l1.pcap"), f("none.pcap")), 0)
        check("callcheck IPv6 talker named in another form", heard("2001:db8:1:0:0::10", f("l1.pcap"),
                                                                   f("none.pcap")), 0)
        check("callcheck IPv6 LAN talker not on the LAN leg: wall clock",
              heard(PHONE6, f("none.pcap"), f("l1.pcap")), 1)
        write_rtp6(f("relay.pcap"), RELAY6, 10)
        check("callcheck IPv6 WAN talker via the relay", heard(f"{FAR6},{RELAY6}", f("none.pcap"), f("relay.pcap")), 0)
        check("callcheck IPv6 relay not named: wall clock", heard(FAR6, f("none.pcap"), f("relay.pcap")), 1)

        # mediawin over routed IPv6: INVITE x3 out, then 30 packets each way, BYE out
        def timed(frames):
            with open(f("mw.pcap"), "wb") as fh:
                fh.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
                for ts, fr in frames:
                    fh.write(struct.pack("<IIII", int(ts), int((ts % 1) * 1e6), len(fr), len(fr)) + fr)
            return f("mw.pcap")
        sip = [(100 + i, frame6(PHONE6, 5060, PBX6, 5060, invite6(PHONE6, 10000, PHONE6))) for i in range(3)]
        media = [(104 + i * 0.02, frame6(PHONE6, 10000, FAR6, 4000, RTP)) for i in range(30)] + \
                [(104 + i * 0.02, frame6(FAR6, 4000, PHONE6, 10000, RTP)) for i in range(30)]
        bye = [(106, frame6(PHONE6, 5060, PBX6, 5060, b"BYE sip:w1@[2001:db8:113::20] SIP/2.0\r\n\r\n"))]
        mw = timed(sip + media + bye)
        r = subprocess.run([sys.executable, os.path.join(HERE, "mediawin.py"), mw, mw, "--start", "INVITE:3",
                            "--end", "BYE:1", "--skip", "1"], capture_output=True, text=True)
        m = json.loads(r.stdout or "{}")
        check("mediawin routed IPv6 counts", (m.get("to_wan"), m.get("from_wan"), m.get("to_lan"),
                                              m.get("from_lan")), (30, 30, 30, 30))
        s = pcapsum.summarise(mw, "wan", 5060)
        check("pcapsum WAN leg by far address", (s["sip_out"], s["media_out"], s["media_in"], s["media_peers"]),
              ({"INVITE": 3, "BYE": 1}, 30, 30, {FAR6: 60}))
    for x in fails:
        print("FAIL", x)
    print(f"selftest_v6: {'FAIL' if fails else 'ok'} ({len(fails)} failed)")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
